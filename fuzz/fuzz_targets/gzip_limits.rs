//! Streaming gzip decoding with its cap (`tuf_transport::gunzip`), fed in fuzzed chunks:
//! never a panic; never more than the cap handed out; what it decodes whole is what a plain
//! gzip reader decodes from the same bytes; and a body the plain reader decodes to no more
//! than the cap (one gzip member, nothing after it) is decoded whole.
#![no_main]

use bytes::Bytes;
use futures_util::StreamExt;
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::sync::OnceLock;
use tuf_transport::{BodyStream, TransportError, gunzip};

fn runtime() -> &'static tokio::runtime::Runtime {
    static R: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    R.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let cap = u64::from(u16::from_le_bytes([data[0], data[1]]));
    let chunk = usize::from(data[2]).max(1);
    let body = &data[3..];
    // Half the time, a real gzip stream of the input (so the decoder's deep paths are met).
    let body: Vec<u8> = if data[2] & 1 == 1 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, body).expect("in memory");
        gz.finish().expect("in memory")
    } else {
        body.to_vec()
    };
    let chunks: Vec<Result<Bytes, TransportError>> = body
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let input: BodyStream = Box::pin(futures_util::stream::iter(chunks));
    let url = url::Url::parse("https://example.org/x.json.gz").expect("a URL");
    let (out, failed) = runtime().block_on(async {
        let mut stream = gunzip(input, url, cap);
        let mut out = Vec::new();
        let mut failed = false;
        while let Some(item) = stream.next().await {
            match item {
                Ok(b) => out.extend_from_slice(&b),
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        (out, failed)
    });
    assert!(
        out.len() as u64 <= cap,
        "{} bytes out, cap {cap}",
        out.len()
    );
    let mut plain = Vec::new();
    let mut reader = flate2::read::GzDecoder::new(body.as_slice());
    let plain_ok = reader.read_to_end(&mut plain).is_ok();
    if !failed {
        assert!(plain_ok, "decoded what a plain gzip reader refuses");
        assert_eq!(out, plain, "decoded other bytes than a plain gzip reader");
    }
    if plain_ok && plain.len() as u64 <= cap && data[2] & 1 == 1 {
        assert!(!failed, "refused a gzip body within the cap");
        assert_eq!(out, plain);
    }
});
