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

    /// `http` and `https`, plus `file` when some of `mirrors` are `file://` URLs: confined to
    /// the deepest directory holding all of them (paths are further kept inside each
    /// mirror's base when joined).
    ///
    /// ```
    /// use tuf_transport::{HttpConfig, TransportRegistry};
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let m = url::Url::from_directory_path(dir.path()).unwrap();
    /// let r = TransportRegistry::for_mirrors(&HttpConfig::default(), [&m]).unwrap();
    /// assert!(r.get("file").is_some());
    /// ```
    pub fn for_mirrors<'a>(
        http: &HttpConfig,
        mirrors: impl IntoIterator<Item = &'a Url>,
    ) -> Result<TransportRegistry, TransportError> {
        let dirs: Vec<std::path::PathBuf> = mirrors
            .into_iter()
            .filter(|u| u.scheme() == "file")
            .filter_map(|u| u.to_file_path().ok())
            .collect();
        let mut root = dirs.first().cloned();
        for d in &dirs {
            while let Some(r) = root.take() {
                if d.starts_with(&r) {
                    root = Some(r);
                    break;
                }
                root = r.parent().map(std::path::Path::to_path_buf);
            }
        }
        TransportRegistry::with_defaults(http, root.as_deref())
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
