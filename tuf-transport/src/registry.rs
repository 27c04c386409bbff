//! Transports by URL scheme.

use crate::file::FileTransport;
use crate::http::{HttpConfig, HttpTransport};
use crate::{Transport, TransportError};
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

/// Maps URL schemes to transports. Library users add their own schemes with
/// [`TransportRegistry::register`].
///
/// ```
/// use std::sync::Arc;
/// use tuf_transport::{MemoryTransport, TransportRegistry};
///
/// let mut registry = TransportRegistry::new();
/// registry.register("mem", Arc::new(MemoryTransport::default()));
/// assert!(registry.get("mem").is_some());
/// assert!(registry.get("ftp").is_none());
/// ```
#[derive(Clone, Default)]
pub struct TransportRegistry {
    by_scheme: HashMap<String, Arc<dyn Transport>>,
}

impl std::fmt::Debug for TransportRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut schemes: Vec<&String> = self.by_scheme.keys().collect();
        schemes.sort();
        f.debug_struct("TransportRegistry")
            .field("schemes", &schemes)
            .finish()
    }
}

impl TransportRegistry {
    /// An empty registry.
    pub fn new() -> TransportRegistry {
        TransportRegistry::default()
    }

    /// `http` and `https` (one shared client built from `http`), and `file` confined to
    /// `file_root` if one is given.
    pub fn with_defaults(
        http: &HttpConfig,
        file_root: Option<&std::path::Path>,
    ) -> Result<TransportRegistry, TransportError> {
        let mut r = TransportRegistry::new();
        let client: Arc<dyn Transport> = Arc::new(HttpTransport::new(http)?);
        r.register("http", client.clone());
        r.register("https", client);
        if let Some(root) = file_root {
            r.register("file", Arc::new(FileTransport::new(root)?));
        }
        Ok(r)
    }

    /// Adds or replaces the transport for `scheme` (lower case, without `:`).
    pub fn register(&mut self, scheme: &str, transport: Arc<dyn Transport>) {
        self.by_scheme
            .insert(scheme.to_ascii_lowercase(), transport);
    }

    /// The transport for `scheme`.
    pub fn get(&self, scheme: &str) -> Option<&Arc<dyn Transport>> {
        self.by_scheme.get(scheme)
    }

    /// The transport for `url`'s scheme.
    pub fn for_url(&self, url: &Url) -> Result<&Arc<dyn Transport>, TransportError> {
        self.get(url.scheme())
            .ok_or_else(|| TransportError::UnsupportedScheme {
                url: url.to_string(),
                scheme: url.scheme().to_owned(),
            })
    }
}
