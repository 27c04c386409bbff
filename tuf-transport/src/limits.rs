//! The limits every fetch runs under: the endless-data and slow-retrieval attacks of spec
//! 1.5.2, and the "up to N bytes" of the download steps 5.3.3, 5.4.1, 5.5.1, 5.6.1, 5.7.3.

use std::time::Duration;

/// Hard limits enforced while a body streams in, whatever the transport.
///
/// ```
/// use std::time::Duration;
/// use tuf_transport::Limits;
///
/// // A timestamp file: tiny, and must come quickly.
/// let limits = Limits::default().max_len(16 * 1024).total_timeout(Duration::from_secs(30));
/// assert_eq!(limits.max_len, 16 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes accepted (after decoding); one more is an error and reading stops.
    pub max_len: u64,
    /// Longest time for the whole fetch, from the request to the last byte.
    pub total_timeout: Duration,
    /// Minimum average rate over each window, in bytes per second.
    pub min_bytes_per_sec: u64,
    /// The window over which the rate is averaged.
    pub throughput_window: Duration,
}

impl Default for Limits {
    /// 32 MiB, 5 minutes in all, at least 1 KiB/s averaged over 10-second windows.
    fn default() -> Self {
        Limits {
            max_len: 32 * 1024 * 1024,
            total_timeout: Duration::from_secs(300),
            min_bytes_per_sec: 1024,
            throughput_window: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// Sets [`Limits::max_len`].
    pub fn max_len(mut self, n: u64) -> Self {
        self.max_len = n;
        self
    }

    /// Sets [`Limits::total_timeout`].
    pub fn total_timeout(mut self, d: Duration) -> Self {
        self.total_timeout = d;
        self
    }

    /// Sets the minimum average throughput and its window.
    pub fn min_throughput(mut self, bytes_per_sec: u64, window: Duration) -> Self {
        self.min_bytes_per_sec = bytes_per_sec;
        self.throughput_window = window;
        self
    }
}
