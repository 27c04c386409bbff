//! The plugin interface: a [`Transport`] opens a URL as a stream of bytes.

use crate::TransportError;
use bytes::Bytes;
use futures_util::Stream;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use url::Url;

/// A body as it arrives: chunks of bytes, or an error.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, TransportError>> + Send>>;

/// What a transport hands back once a URL is open and its body can be read.
pub struct Opened {
    /// The body. Limits are applied by the caller ([`crate::Download`]) as it is read.
    pub body: BodyStream,
    /// The HTTP status, for HTTP-like transports.
    pub status: Option<u16>,
    /// The announced length, if any (informative: the limits do not trust it).
    pub content_length: Option<u64>,
    /// Bytes received from the network so far, when that differs from the decoded bytes
    /// (compressed transfers). `None` means "same as decoded".
    pub wire_bytes: Option<Arc<AtomicU64>>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("status", &self.status)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

/// Fetches URLs of one or more schemes. Implement it to plug in a new scheme (`s3://`, an
/// in-memory store, a test double) and register it in a [`crate::TransportRegistry`].
///
/// A transport only opens and streams; the length limit, the total timeout and the minimum
/// throughput are enforced uniformly on top of every transport by [`crate::Download`], so a
/// plugin cannot forget them. `max_len` is passed so a transport can refuse early (say, on a
/// `Content-Length` above it) and bound its own buffers.
///
/// Errors must be [`TransportError::NotFound`] when the resource does not exist: the updater
/// needs it to end the root chain (spec 5.3.3).
///
/// ```
/// use async_trait::async_trait;
/// use tuf_transport::{Opened, Transport, TransportError};
///
/// /// Serves the same bytes for every URL.
/// struct Constant(&'static [u8]);
///
/// #[async_trait]
/// impl Transport for Constant {
///     async fn open(&self, _url: &url::Url, _max_len: u64) -> Result<Opened, TransportError> {
///         let chunk: Result<bytes::Bytes, TransportError> = Ok(bytes::Bytes::from_static(self.0));
///         Ok(Opened {
///             body: Box::pin(futures_util::stream::iter([chunk])),
///             status: None,
///             content_length: Some(self.0.len() as u64),
///             wire_bytes: None,
///         })
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    /// Opens `url` for reading.
    async fn open(&self, url: &Url, max_len: u64) -> Result<Opened, TransportError>;
}
