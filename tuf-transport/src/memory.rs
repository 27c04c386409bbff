//! An in-memory transport: for tests, simulators and embedding.

use crate::{Opened, Transport, TransportError};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use url::Url;

/// Serves bytes stored under URLs, in 64 KiB chunks. Cloning shares the store.
///
/// ```
/// use tuf_transport::{Download, Limits, MemoryTransport, Metrics, Transport};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let t = MemoryTransport::default();
/// let url = url::Url::parse("mem://repo/1.root.json").unwrap();
/// t.insert(&url, &b"{}"[..]);
/// let opened = t.open(&url, 100).await.unwrap();
/// let body = Download::new(url, None, opened, Limits::default(), Metrics::default()).bytes().await.unwrap();
/// assert_eq!(&body[..], b"{}");
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryTransport {
    files: Arc<RwLock<HashMap<String, Bytes>>>,
}

impl MemoryTransport {
    /// Stores `data` under `url`.
    pub fn insert(&self, url: &Url, data: impl Into<Bytes>) {
        self.write().insert(url.to_string(), data.into());
    }

    /// Removes what is stored under `url`.
    pub fn remove(&self, url: &Url) -> Option<Bytes> {
        self.write().remove(url.as_str())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Bytes>> {
        self.files
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait::async_trait]
impl Transport for MemoryTransport {
    async fn open(&self, url: &Url, _max_len: u64) -> Result<Opened, TransportError> {
        let data = self
            .files
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(url.as_str())
            .cloned()
            .ok_or_else(|| TransportError::NotFound {
                url: url.to_string(),
            })?;
        let len = data.len() as u64;
        let chunks: Vec<Result<Bytes, TransportError>> = (0..data.len())
            .step_by(64 * 1024)
            .map(|i| Ok(data.slice(i..data.len().min(i + 64 * 1024))))
            .collect();
        Ok(Opened {
            body: Box::pin(futures_util::stream::iter(chunks)),
            status: None,
            content_length: Some(len),
            wire_bytes: None,
        })
    }
}
