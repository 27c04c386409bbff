//! Pluggable async transports for TUF clients, with the hard limits that defeat the
//! endless-data and slow-retrieval attacks (spec 1.5.2; the byte limits of the client
//! workflow's download steps 5.3.3, 5.4.1, 5.5.1, 5.6.1 and 5.7.3), mirror failover and
//! per-fetch metrics.
//!
//! * [`Transport`]: the plugin interface (open a URL as a byte stream); built in:
//!   [`HttpTransport`] (reqwest + rustls, web PKI roots plus an optional private CA, gzip
//!   decoded with the limit on decoded bytes, bounded redirects never from https to http),
//!   [`FileTransport`] (confined to a root directory), [`MemoryTransport`].
//! * [`TransportRegistry`]: transports by URL scheme; add your own.
//! * [`Download`]: reads a body under [`Limits`] (length, total time, minimum throughput over
//!   a window), enforced while streaming.
//! * [`Fetcher`] and [`Attempts`]: mirrors tried in order, transient failures retried with
//!   backoff, content the caller rejects moves on to the next mirror; 404 and 410 are a
//!   distinct [`TransportError::NotFound`], and 401 and 403 are recognisable by
//!   [`TransportError::is_denied`] (object storage's answer for a missing key, which a TUF
//!   client takes as "not available" for the next root only).
//! * The throughput floor of [`Limits`] holds from the request on: a server that never sends
//!   its response headers fails like one that trickles its body.
//! * [`Metrics`]: URL, mirror, status, wire and decoded bytes, and time of every fetch.
//!
//! This crate knows nothing of TUF metadata.
//!
//! ```
//! use std::sync::Arc;
//! use tuf_transport::{Fetcher, Limits, MemoryTransport, TransportError, TransportRegistry};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = MemoryTransport::default();
//! let mut registry = TransportRegistry::new();
//! registry.register("mem", Arc::new(store.clone()));
//! let mirrors = [url::Url::parse("mem://mirror/metadata/").unwrap()];
//! store.insert(&mirrors[0].join("timestamp.json").unwrap(), vec![b'x'; 100]);
//!
//! let fetcher = Fetcher::new(registry);
//! // The endless-data defence: only 10 bytes are accepted.
//! let err = fetcher.fetch_bytes(&mirrors, "timestamp.json", Limits::default().max_len(10)).await.unwrap_err();
//! assert!(matches!(err, TransportError::AllMirrorsFailed { .. }));
//! // A missing file is "not found", which ends a root chain.
//! let err = fetcher.fetch_bytes(&mirrors, "2.root.json", Limits::default()).await.unwrap_err();
//! assert!(err.is_not_found());
//! # });
//! ```

mod download;
mod error;
mod file;
mod gzip;
mod http;
mod limits;
mod memory;
mod metrics;
mod mirrors;
mod registry;
mod transport;

pub use download::Download;
pub use error::TransportError;
pub use file::FileTransport;
pub use gzip::gunzip;
pub use http::{HttpConfig, HttpTransport};
pub use limits::Limits;
pub use memory::MemoryTransport;
pub use metrics::{FetchRecord, Metrics, Outcome, Totals};
pub use mirrors::{Attempts, Fetcher, RetryPolicy, join_mirror};
pub use registry::TransportRegistry;
pub use transport::{BodyStream, Opened, Transport};
