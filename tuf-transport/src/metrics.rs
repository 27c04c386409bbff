//! What each fetch cost: URL, mirror, status, bytes on the wire and decoded, time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a fetch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The whole body was read.
    Complete,
    /// It failed; the error's message.
    Failed(String),
    /// The caller stopped reading before the end (e.g. it rejected the content).
    Abandoned,
}

/// One fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRecord {
    /// The URL requested.
    pub url: String,
    /// Index of the mirror in its list, if the fetch went through a mirror list.
    pub mirror: Option<usize>,
    /// HTTP status, for HTTP.
    pub status: Option<u16>,
    /// Body bytes received from the network (compressed size when gzip was used).
    pub wire_bytes: u64,
    /// Body bytes after decoding, as handed to the caller.
    pub decoded_bytes: u64,
    /// From the request to the end.
    pub duration: Duration,
    /// How it ended.
    pub outcome: Outcome,
}

/// Sums over a session's fetches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Number of fetches (including failed ones).
    pub requests: u64,
    /// Fetches that did not complete.
    pub failures: u64,
    /// Body bytes on the wire.
    pub wire_bytes: u64,
    /// Body bytes after decoding.
    pub decoded_bytes: u64,
}

/// A session's fetch records, shared by everything that fetches in it. Cloning shares.
///
/// ```
/// use tuf_transport::Metrics;
///
/// let m = Metrics::default();
/// assert_eq!(m.totals().requests, 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Metrics(Arc<Mutex<Vec<FetchRecord>>>);

impl Metrics {
    /// Adds a record.
    pub fn push(&self, record: FetchRecord) {
        self.lock().push(record);
    }

    /// All records so far, in the order fetches ended.
    pub fn records(&self) -> Vec<FetchRecord> {
        self.lock().clone()
    }

    /// Removes and returns all records (e.g. to report one operation at a time).
    pub fn take(&self) -> Vec<FetchRecord> {
        std::mem::take(&mut *self.lock())
    }

    /// Sums over all records.
    pub fn totals(&self) -> Totals {
        self.lock().iter().fold(Totals::default(), |mut t, r| {
            t.requests += 1;
            t.failures += u64::from(r.outcome != Outcome::Complete);
            t.wire_bytes += r.wire_bytes;
            t.decoded_bytes += r.decoded_bytes;
            t
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FetchRecord>> {
        // A panic while holding this lock cannot leave the vector inconsistent.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
