//! [`UpdaterBuilder`]: the short way to a TUF client. It hands back only an [`Updater`] that
//! has refreshed, so "refresh first" cannot be forgotten.

use crate::store::MetadataStore;
use crate::{Updater, UpdaterConfig, UpdaterError};
use std::path::PathBuf;
use tuf_metadata::Expiry;
use tuf_transport::{Fetcher, HttpConfig, Limits, TransportRegistry};
use url::Url;

type ConfigEdit = Box<dyn FnOnce(&mut UpdaterConfig) + Send>;

/// The root given for first use: bytes, or a file read only if the store holds no root.
#[derive(Debug)]
enum TrustedRoot {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Builds a refreshed [`Updater`]; made by [`Updater::builder`].
///
/// Transports: `http`/`https` (web PKI roots, plus [`UpdaterBuilder::ca_file`]) and `file`
/// for `file://` mirrors. Everything else keeps [`UpdaterConfig::new`]'s defaults unless
/// changed with [`UpdaterBuilder::configure`].
#[must_use = "a builder does nothing until build() is awaited"]
pub struct UpdaterBuilder {
    metadata_dir: PathBuf,
    trusted_root: Option<TrustedRoot>,
    metadata_urls: Vec<Url>,
    targets_urls: Vec<Url>,
    target_dir: Option<PathBuf>,
    http: HttpConfig,
    offline: bool,
    limits: Option<Limits>,
    reference_time: Option<Expiry>,
    edits: Vec<ConfigEdit>,
    bad_url: Option<String>,
}

impl std::fmt::Debug for UpdaterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdaterBuilder")
            .field("metadata_dir", &self.metadata_dir)
            .field("trusted_root", &self.trusted_root)
            .field("metadata_urls", &self.metadata_urls)
            .field("targets_urls", &self.targets_urls)
            .field("target_dir", &self.target_dir)
            .field("offline", &self.offline)
            .field("edits", &self.edits.len())
            .finish_non_exhaustive()
    }
}

impl Updater {
    /// Starts a client whose trusted metadata lives in `metadata_dir`.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), tuf_updater::UpdaterError> {
    /// let updater = tuf_updater::Updater::builder("/var/lib/myapp/tuf")
    ///     .trusted_root(std::fs::read("root.json").unwrap())
    ///     .metadata_url("https://example.org/metadata/")
    ///     .targets_url("https://example.org/targets/")
    ///     .target_dir("/var/cache/myapp")
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn builder(metadata_dir: impl Into<PathBuf>) -> UpdaterBuilder {
        UpdaterBuilder {
            metadata_dir: metadata_dir.into(),
            trusted_root: None,
            metadata_urls: Vec::new(),
            targets_urls: Vec::new(),
            target_dir: None,
            http: HttpConfig::default(),
            offline: false,
            limits: None,
            reference_time: None,
            edits: Vec::new(),
            bad_url: None,
        }
    }
}

impl UpdaterBuilder {
    /// The root trusted on first use (spec 5.2), written to the store if it holds none. Once
    /// the store holds a root, that (updated) root is used and these bytes are not.
    pub fn trusted_root(mut self, root: impl Into<Vec<u8>>) -> Self {
        self.trusted_root = Some(TrustedRoot::Bytes(root.into()));
        self
    }

    /// As [`UpdaterBuilder::trusted_root`], from a file that is read only when the store
    /// holds no root yet (so it may be gone once the store has one).
    pub fn trusted_root_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.trusted_root = Some(TrustedRoot::File(path.into()));
        self
    }

    /// A metadata mirror's base URL (a trailing `/` is added if missing); repeat for more,
    /// tried in order.
    pub fn metadata_url(mut self, url: impl AsRef<str>) -> Self {
        if let Some(u) = self.parse(url.as_ref()) {
            self.metadata_urls.push(u);
        }
        self
    }

    /// A targets mirror's base URL (a trailing `/` is added if missing); repeat for more.
    pub fn targets_url(mut self, url: impl AsRef<str>) -> Self {
        if let Some(u) = self.parse(url.as_ref()) {
            self.targets_urls.push(u);
        }
        self
    }

    /// Where downloaded targets are kept.
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    /// Answers from unexpired local metadata only, without any request.
    pub fn offline(mut self) -> Self {
        self.offline = true;
        self
    }

    /// A PEM file of extra CA certificates for HTTPS mirrors (besides the web PKI roots).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.http.extra_ca_file = Some(path.into());
        self
    }

    /// Time and throughput limits for every fetch.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = Some(limits);
        self
    }

    /// A fixed reference time for every expiry check (spec 5.1), e.g. to read a recorded
    /// repository; by default the wall clock at the start of each refresh.
    pub fn reference_time(mut self, at: Expiry) -> Self {
        self.reference_time = Some(at);
        self
    }

    /// Any other setting of [`UpdaterConfig`], applied last:
    /// `.configure(|c| c.concurrency = 8)`.
    pub fn configure(mut self, edit: impl FnOnce(&mut UpdaterConfig) + Send + 'static) -> Self {
        self.edits.push(Box::new(edit));
        self
    }

    fn parse(&mut self, url: &str) -> Option<Url> {
        let with_slash = if url.ends_with('/') {
            url.to_owned()
        } else {
            format!("{url}/")
        };
        match Url::parse(&with_slash) {
            Ok(u) => Some(u),
            Err(e) => {
                self.bad_url
                    .get_or_insert(format!("mirror URL {url:?}: {e}"));
                None
            }
        }
    }

    /// Opens the store (writing the trusted root on first use), and refreshes: the root
    /// chain, timestamp, snapshot and top-level targets (or, offline, loads them from the
    /// store). Returns the client ready for [`Updater::target_info`] and downloads.
    pub async fn build(self) -> Result<Updater, UpdaterError> {
        if let Some(e) = self.bad_url {
            return Err(UpdaterError::Config(e));
        }
        if self.metadata_urls.is_empty() && !self.offline {
            return Err(UpdaterError::Config("no metadata mirror".into()));
        }
        let store = MetadataStore::open(&self.metadata_dir)?;
        if store.read("root")?.is_none() {
            let root = match self.trusted_root {
                Some(TrustedRoot::Bytes(b)) => b,
                Some(TrustedRoot::File(path)) => {
                    std::fs::read(&path).map_err(|e| UpdaterError::TrustedRoot {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?
                }
                None => {
                    return Err(UpdaterError::Config(format!(
                        "{} holds no trusted root yet: give one with trusted_root()",
                        self.metadata_dir.display()
                    )));
                }
            };
            Updater::init_store(&store, &root)?;
        }
        let mut config =
            UpdaterConfig::new(&self.metadata_dir, self.metadata_urls, self.targets_urls);
        config.target_dir = self.target_dir;
        config.offline = self.offline;
        config.reference_time = self.reference_time;
        if let Some(l) = self.limits {
            config.limits = l;
        }
        for edit in self.edits {
            edit(&mut config);
        }
        let mirrors = config
            .metadata_mirrors
            .iter()
            .chain(&config.targets_mirrors);
        let registry = TransportRegistry::for_mirrors(&self.http, mirrors)?;
        let mut updater = Updater::with_store(config, Fetcher::new(registry), store)?;
        updater.refresh().await?;
        Ok(updater)
    }
}
