//! The one error type of this crate.

use std::time::Duration;
use thiserror::Error;

/// Everything that can go wrong fetching bytes. Every variant names the URL (or, for the
/// mirror-level errors, the path tried on every mirror).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// No transport is registered for the URL's scheme.
    #[error("{url}: no transport for scheme `{scheme}`")]
    UnsupportedScheme {
        /// The URL.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// The URL or path is malformed, or leaves the base it must stay under.
    #[error("{url}: invalid URL: {reason}")]
    InvalidUrl {
        /// The URL (or the text that failed to become one).
        url: String,
        /// Why.
        reason: String,
    },
    /// The resource does not exist (HTTP 404 or 410, or no such file).
    #[error("{url}: not found")]
    NotFound {
        /// The URL.
        url: String,
    },
    /// The server answered with a status other than success or not found (401 and 403
    /// included: see [`TransportError::is_denied`]).
    #[error("{url}: HTTP status {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The connection could not be made (refused, DNS, TLS handshake, connect timeout).
    #[error("{url}: cannot connect: {reason}")]
    Connect {
        /// The URL.
        url: String,
        /// Why, as the underlying library put it.
        reason: String,
    },
    /// Reading the body failed (connection dropped, body shorter than its Content-Length).
    #[error("{url}: read failed: {reason}")]
    Io {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// More bytes than allowed: the endless-data attack, or a decompression bomb.
    #[error("{url}: more than the limit of {limit} bytes (endless-data defence)")]
    TooLong {
        /// The URL.
        url: String,
        /// The limit that was reached.
        limit: u64,
    },
    /// The whole fetch took longer than allowed.
    #[error("{url}: not complete within {limit:?} (slow-retrieval defence)")]
    TotalTimeout {
        /// The URL.
        url: String,
        /// The time allowed.
        limit: Duration,
    },
    /// The average throughput over a window fell below the minimum.
    #[error(
        "{url}: {bytes} bytes in {window:?}, below the minimum of {min_bytes_per_sec} bytes/s (slow-retrieval defence)"
    )]
    TooSlow {
        /// The URL.
        url: String,
        /// Bytes received in the window.
        bytes: u64,
        /// The window.
        window: Duration,
        /// The minimum average rate.
        min_bytes_per_sec: u64,
    },
    /// A redirect was refused (too many, a loop, or from https to http).
    #[error("{url}: redirect refused: {reason}")]
    Redirect {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The body could not be decoded (bad gzip, unsupported content encoding).
    #[error("{url}: cannot decode body: {reason}")]
    Decode {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The caller rejected what a mirror served (e.g. it failed verification).
    #[error("{url}: rejected: {reason}")]
    Rejected {
        /// The URL.
        url: String,
        /// The caller's reason.
        reason: String,
    },
    /// Every mirror failed; each failure is listed, in mirror order.
    #[error("{path}: every mirror failed: {}", failures.join("; "))]
    AllMirrorsFailed {
        /// The path tried on each mirror.
        path: String,
        /// One message per failed attempt.
        failures: Vec<String>,
    },
}

impl TransportError {
    /// Whether retrying the same URL after a pause may help: connection problems, dropped
    /// bodies and server-side errors (5xx, 429). Limit violations (which look like attacks),
    /// not-found and rejections are not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            TransportError::Connect { .. } | TransportError::Io { .. } => true,
            TransportError::HttpStatus { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Whether this says the resource does not exist: HTTP 404 or 410, no such file, or no
    /// mirror having it ([`TransportError::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, TransportError::NotFound { .. })
    }

    /// Whether the server refused to serve the resource: HTTP 401 or 403. A bucket on S3 or
    /// GCS without list permission answers 403, not 404, for a key that does not exist, so
    /// where the TUF workflow asks whether a file "is available" (the next root, spec 5.3.3)
    /// this means "not available" as [`TransportError::is_not_found`] does. Everywhere else
    /// it stays an error like any other status.
    pub fn is_denied(&self) -> bool {
        matches!(
            self,
            TransportError::HttpStatus {
                status: 401 | 403,
                ..
            }
        )
    }
}
