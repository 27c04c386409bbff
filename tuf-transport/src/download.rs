//! Reading a body under hard limits: length, total time and minimum throughput.

use crate::metrics::{FetchRecord, Metrics, Outcome};
use crate::transport::BodyStream;
use crate::{Limits, Opened, TransportError};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::time::{Instant, timeout_at};
use url::Url;

/// A body being read under [`Limits`]: at most `max_len` bytes are ever handed out (the
/// endless-data attack ends there), the whole fetch must end by its deadline, and the average
/// rate over every window must reach the minimum (the slow-retrieval attack). The limits are
/// checked while streaming, never after buffering. When dropped, the fetch is recorded in the
/// session's [`Metrics`].
pub struct Download {
    url: Url,
    mirror: Option<usize>,
    body: BodyStream,
    status: Option<u16>,
    content_length: Option<u64>,
    limits: Limits,
    started: Instant,
    deadline: Instant,
    window_start: Instant,
    window_bytes: u64,
    total: u64,
    wire: Option<Arc<AtomicU64>>,
    outcome: Option<Outcome>,
    metrics: Metrics,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("url", &self.url.as_str())
            .field("mirror", &self.mirror)
            .field("status", &self.status)
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Starts reading an opened body under `limits`; the clock started when `open` was
    /// called is not known here, so callers that want the request time included use
    /// [`Download::with_start`].
    pub fn new(
        url: Url,
        mirror: Option<usize>,
        opened: Opened,
        limits: Limits,
        metrics: Metrics,
    ) -> Download {
        Download::with_start(url, mirror, opened, limits, metrics, Instant::now())
    }

    /// As [`Download::new`], with the time the request was made.
    pub fn with_start(
        url: Url,
        mirror: Option<usize>,
        opened: Opened,
        limits: Limits,
        metrics: Metrics,
        started: Instant,
    ) -> Download {
        Download {
            url,
            mirror,
            body: opened.body,
            status: opened.status,
            content_length: opened.content_length,
            deadline: started + limits.total_timeout,
            limits,
            started,
            // The first window runs from the request, so waiting for headers counts.
            window_start: started,
            window_bytes: 0,
            total: 0,
            wire: opened.wire_bytes,
            outcome: None,
            metrics,
        }
    }

    /// The URL being read.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The mirror index, when it came through a mirror list.
    pub fn mirror(&self) -> Option<usize> {
        self.mirror
    }

    /// The announced length, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Bytes handed out so far.
    pub fn bytes_read(&self) -> u64 {
        self.total
    }

    fn finish(&mut self, outcome: Outcome) {
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
        }
    }

    fn fail(&mut self, e: TransportError) -> TransportError {
        self.finish(Outcome::Failed(e.to_string()));
        e
    }

    /// The next chunk, `Ok(None)` at the end, or the first limit broken.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, TransportError> {
        if self.outcome.is_some() {
            return Ok(None);
        }
        loop {
            let window_end = self.window_start + self.limits.throughput_window;
            let wake = window_end.min(self.deadline);
            match timeout_at(wake, self.body.next()).await {
                Ok(Some(Ok(chunk))) => {
                    // Counted once handed out: a chunk that breaks a limit (the length, or
                    // the rate of the window it ends) is not.
                    if self.total.saturating_add(chunk.len() as u64) > self.limits.max_len {
                        let e = TransportError::TooLong {
                            url: self.url.to_string(),
                            limit: self.limits.max_len,
                        };
                        return Err(self.fail(e));
                    }
                    self.window_bytes += chunk.len() as u64;
                    if Instant::now() >= window_end {
                        self.check_window()?;
                    }
                    self.total += chunk.len() as u64;
                    if chunk.is_empty() {
                        continue;
                    }
                    return Ok(Some(chunk));
                }
                Ok(Some(Err(e))) => return Err(self.fail(e)),
                Ok(None) => {
                    self.finish(Outcome::Complete);
                    return Ok(None);
                }
                Err(_elapsed) => {
                    if Instant::now() >= self.deadline {
                        let e = TransportError::TotalTimeout {
                            url: self.url.to_string(),
                            limit: self.limits.total_timeout,
                        };
                        return Err(self.fail(e));
                    }
                    self.check_window()?;
                }
            }
        }
    }

    /// At the end of a window: the average rate over it must reach the minimum.
    fn check_window(&mut self) -> Result<(), TransportError> {
        let elapsed = self.window_start.elapsed();
        let required = u128::from(self.limits.min_bytes_per_sec) * elapsed.as_millis() / 1000;
        if u128::from(self.window_bytes) < required {
            let e = TransportError::TooSlow {
                url: self.url.to_string(),
                bytes: self.window_bytes,
                window: elapsed,
                min_bytes_per_sec: self.limits.min_bytes_per_sec,
            };
            return Err(self.fail(e));
        }
        self.window_start = Instant::now();
        self.window_bytes = 0;
        Ok(())
    }

    /// Reads the whole body into memory (for metadata, whose `max_len` is small).
    pub async fn bytes(mut self) -> Result<Bytes, TransportError> {
        let mut buf = BytesMut::with_capacity(
            self.content_length
                .unwrap_or(0)
                .min(self.limits.max_len)
                .min(16 * 1024 * 1024) as usize,
        );
        while let Some(chunk) = self.chunk().await? {
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

impl Drop for Download {
    fn drop(&mut self) {
        let outcome = self.outcome.take().unwrap_or(Outcome::Abandoned);
        let wire = self
            .wire
            .as_ref()
            .map_or(self.total, |w| w.load(Ordering::Relaxed));
        self.metrics.push(FetchRecord {
            url: self.url.to_string(),
            mirror: self.mirror,
            status: self.status,
            wire_bytes: wire,
            decoded_bytes: self.total,
            duration: self.started.elapsed(),
            outcome,
        });
    }
}
