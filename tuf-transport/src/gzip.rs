//! Streaming gzip decoding with a hard cap on the decoded size.

use crate::TransportError;
use crate::transport::BodyStream;
use bytes::Bytes;
use flate2::write::GzDecoder;
use futures_util::StreamExt;
use std::io::Write;
use url::Url;

/// Input is fed to the decoder in slices this small, so that one network chunk of a
/// decompression bomb (deflate expands at most about 1032:1) cannot balloon in memory before
/// the cap is checked.
const SLICE: usize = 4096;

/// A `Vec` that refuses to grow past a cap.
struct Capped {
    buf: Vec<u8>,
    total: u64,
    cap: u64,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.total += data.len() as u64;
        if self.total > self.cap {
            return Err(std::io::Error::other("decoded size limit reached"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct State {
    input: BodyStream,
    decoder: Option<GzDecoder<Capped>>,
    url: Url,
    max_len: u64,
}

impl State {
    fn fail(&mut self, reason: String) -> TransportError {
        self.decoder = None;
        TransportError::Decode {
            url: self.url.to_string(),
            reason,
        }
    }

    fn too_long(&mut self) -> TransportError {
        self.decoder = None;
        TransportError::TooLong {
            url: self.url.to_string(),
            limit: self.max_len,
        }
    }

    fn take_output(&mut self) -> Option<Bytes> {
        let out = &mut self.decoder.as_mut()?.get_mut().buf;
        (!out.is_empty()).then(|| Bytes::from(std::mem::take(out)))
    }
}

/// Decodes a gzip body as it streams, failing with [`TransportError::TooLong`] as soon as the
/// decoded size passes `max_len` (never handing out more than `max_len` bytes), and with
/// [`TransportError::Decode`] on bytes that are not one whole gzip member. `url` names the
/// body in errors.
pub fn gunzip(input: BodyStream, url: Url, max_len: u64) -> BodyStream {
    let state = State {
        input,
        decoder: Some(GzDecoder::new(Capped {
            buf: Vec::new(),
            total: 0,
            cap: max_len,
        })),
        url,
        max_len,
    };
    Box::pin(futures_util::stream::unfold(state, |mut st| async move {
        loop {
            st.decoder.as_ref()?;
            match st.input.next().await {
                Some(Ok(chunk)) => {
                    for slice in chunk.chunks(SLICE) {
                        let dec = st.decoder.as_mut()?;
                        if let Err(e) = dec.write_all(slice) {
                            let over = dec.get_ref().total > dec.get_ref().cap;
                            let err = if over {
                                st.too_long()
                            } else {
                                st.fail(format!("bad gzip data: {e}"))
                            };
                            return Some((Err(err), st));
                        }
                    }
                    if let Some(out) = st.take_output() {
                        return Some((Ok(out), st));
                    }
                }
                Some(Err(e)) => {
                    st.decoder = None;
                    return Some((Err(e), st));
                }
                None => {
                    let mut dec = st.decoder.take()?;
                    if let Err(e) = dec.try_finish() {
                        let over = dec.get_ref().total > dec.get_ref().cap;
                        let err = if over {
                            st.too_long()
                        } else {
                            st.fail(format!("truncated gzip data: {e}"))
                        };
                        return Some((Err(err), st));
                    }
                    let out = std::mem::take(&mut dec.get_mut().buf);
                    return (!out.is_empty()).then(|| (Ok(Bytes::from(out)), st));
                }
            }
        }
    }))
}
