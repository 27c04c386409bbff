//! The async updater: the I/O around [`TrustedSet`] — fetching, persisting, walking
//! delegations, downloading targets.

use crate::UpdaterError;
use crate::store::MetadataStore;
use crate::target::{TargetInfo, VOUCHED_RULE, VouchedFile};
use crate::trusted::{TrustedSet, Update};
use bytes::Bytes;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use tuf_crypto::StreamVerifier;
use tuf_metadata::naming::{self, quote_all};
use tuf_metadata::{Expiry, Signed, TargetFile};
use tuf_transport::{Fetcher, Limits, Metrics, TransportError};
use url::Url;

/// How an [`Updater`] works. Made by [`UpdaterConfig::new`] (or the builder) and then
/// edited field by field; new fields may be added.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UpdaterConfig {
    /// Where trusted metadata lives (must hold `root.json`; see [`Updater::init`]).
    pub metadata_dir: PathBuf,
    /// Metadata mirrors, tried in order (base URLs).
    pub metadata_mirrors: Vec<Url>,
    /// Target mirrors, tried in order (base URLs).
    pub targets_mirrors: Vec<Url>,
    /// Where downloaded targets are kept, each as one file named by
    /// [`naming::local_name`] (unique also on case-insensitive disks).
    pub target_dir: Option<PathBuf>,
    /// Name downloaded targets as python-tuf's ngclient does instead, `quote(path, safe="")`
    /// ([`quote_all`]): to share a target directory with it, or for the public conformance
    /// suite, which reads them there. Two targets differing only in case then share a file
    /// on a case-insensitive disk.
    pub python_target_names: bool,
    /// Most new roots accepted in one refresh (spec 5.3.3).
    pub max_root_rotations: u64,
    /// Most delegated roles visited in one target search besides the top-level targets
    /// (spec 5.6.7; python-tuf's `max_delegations`, which counts the same way).
    pub max_delegations: usize,
    /// Longest root file accepted.
    pub root_max_len: u64,
    /// Longest timestamp file accepted.
    pub timestamp_max_len: u64,
    /// Longest snapshot file accepted when the timestamp does not give its length.
    pub snapshot_max_len: u64,
    /// Longest targets file accepted when the snapshot does not give its length.
    pub targets_max_len: u64,
    /// Time and throughput limits for every fetch (the length limit is set per file).
    pub limits: Limits,
    /// Answer from unexpired local metadata only, without any request.
    pub offline: bool,
    /// Most target downloads at once in [`Updater::download_targets`].
    pub concurrency: usize,
    /// The time every expiry is compared with (spec 5.1), fixed; `None` (the default) takes
    /// the wall clock at the start of each refresh. For reading a recorded repository as of a
    /// moment inside its validity (tests, audits, reproducing an incident).
    pub reference_time: Option<Expiry>,
}

impl UpdaterConfig {
    /// A configuration with python-tuf's limits (larger snapshot and targets defaults, for
    /// PyPI-sized repositories).
    pub fn new(
        metadata_dir: &Path,
        metadata_mirrors: Vec<Url>,
        targets_mirrors: Vec<Url>,
    ) -> UpdaterConfig {
        UpdaterConfig {
            metadata_dir: metadata_dir.to_owned(),
            metadata_mirrors,
            targets_mirrors,
            target_dir: None,
            max_root_rotations: 256,
            max_delegations: 32,
            root_max_len: 512_000,
            timestamp_max_len: 16_384,
            snapshot_max_len: 16 * 1024 * 1024,
            targets_max_len: 16 * 1024 * 1024,
            limits: Limits::default(),
            offline: false,
            concurrency: 4,
            reference_time: None,
            python_target_names: false,
        }
    }
}

/// A TUF client: keeps a local store of trusted metadata up to date (spec 5.3–5.6) and
/// downloads targets verified against it (spec 5.7).
///
/// [`Updater::refresh`] takes `&mut self`; everything after it ([`Updater::target_info`],
/// the downloads) takes `&self`, so one refreshed updater serves many tasks at once (share
/// it in an `Arc`). Inside, the trusted set is behind a read-write lock held only while
/// metadata is checked, never across a request, and each delegated role has a lock of its
/// own so that tasks needing the same role fetch it once while other roles load in parallel.
#[derive(Debug)]
pub struct Updater {
    config: UpdaterConfig,
    fetcher: Fetcher,
    store: MetadataStore,
    trusted: Option<RwLock<Arc<TrustedSet>>>,
    loading: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Updater {
    /// Writes the initial trusted root into `metadata_dir` (spec 5.2). The bytes are checked
    /// to be a root signed by a threshold of its own keys; no request is made.
    pub fn init(metadata_dir: &Path, root: &[u8]) -> Result<(), UpdaterError> {
        Updater::init_store(&MetadataStore::open(metadata_dir)?, root)
    }

    /// As [`Updater::init`], into any store.
    pub fn init_store(store: &MetadataStore, root: &[u8]) -> Result<(), UpdaterError> {
        TrustedSet::new(root, Expiry::now()).map_err(|e| UpdaterError::TrustedRoot {
            path: "initial root".into(),
            reason: e.to_string(),
        })?;
        let _lock = store.lock()?;
        store.write("root", root)
    }

    /// An updater over `config`, fetching through `fetcher`.
    pub fn new(config: UpdaterConfig, fetcher: Fetcher) -> Result<Updater, UpdaterError> {
        let store = MetadataStore::open(&config.metadata_dir)?;
        Updater::with_store(config, fetcher, store)
    }

    /// An updater keeping its trusted metadata in `store` instead of
    /// [`UpdaterConfig::metadata_dir`] (which is then unused).
    pub fn with_store(
        config: UpdaterConfig,
        fetcher: Fetcher,
        store: MetadataStore,
    ) -> Result<Updater, UpdaterError> {
        if config.metadata_mirrors.is_empty() && !config.offline {
            return Err(UpdaterError::Config("no metadata mirror".into()));
        }
        Ok(Updater {
            config,
            fetcher,
            store,
            trusted: None,
            loading: Default::default(),
        })
    }

    /// What every fetch of this updater cost.
    pub fn metrics(&self) -> &Metrics {
        self.fetcher.metrics()
    }

    /// The trusted metadata of the last refresh and of the delegated roles loaded since:
    /// a snapshot of the moment (no lock is held; later loads do not change it).
    pub fn trusted(&self) -> Option<Arc<TrustedSet>> {
        self.read_trusted().ok()
    }

    fn trusted_set(&self) -> Result<&RwLock<Arc<TrustedSet>>, UpdaterError> {
        self.trusted
            .as_ref()
            .ok_or_else(|| UpdaterError::State("refresh first".into()))
    }

    fn read_trusted(&self) -> Result<Arc<TrustedSet>, UpdaterError> {
        Ok(self
            .trusted_set()?
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    /// Checks `bytes` as `role` delegated by `delegator` and, if they pass, makes the role
    /// trusted. The lock is held only for the check; readers holding an earlier
    /// [`Updater::trusted`] keep their copy (copy on write, cheap: metadata is shared).
    fn admit_delegated(
        set: &RwLock<Arc<TrustedSet>>,
        bytes: &[u8],
        role: &str,
        delegator: &str,
    ) -> Result<(), UpdaterError> {
        let mut guard = set.write().unwrap_or_else(PoisonError::into_inner);
        Arc::make_mut(&mut guard)
            .update_delegated_targets(bytes, role, delegator)
            .map(|_| ())
    }

    /// The configuration.
    pub fn config(&self) -> &UpdaterConfig {
        &self.config
    }

    fn limits(&self, max_len: u64) -> Limits {
        self.config.limits.max_len(max_len)
    }

    /// Fetches metadata file `file` from the mirrors, giving each mirror's bytes to `verify`
    /// until one passes; returns the verified result and the bytes. If every mirror fails,
    /// the first verification error is returned (it names the rule), else the transport's.
    async fn fetch_meta<T>(
        fetcher: &Fetcher,
        mirrors: &[Url],
        file: &str,
        limits: Limits,
        mut verify: impl FnMut(&Bytes) -> Result<T, UpdaterError>,
    ) -> Result<(T, Bytes), UpdaterError> {
        let mut first: Option<UpdaterError> = None;
        let result = fetcher
            .fetch_verified(mirrors, file, limits, |b| match verify(b) {
                Ok(v) => Ok((v, b.clone())),
                Err(e) => {
                    let msg = e.to_string();
                    first.get_or_insert(e);
                    Err(msg)
                }
            })
            .await;
        match result {
            Ok((v, _)) => Ok(v),
            Err(e) => Err(first.unwrap_or(UpdaterError::Transport(e))),
        }
    }

    fn load_trusted_root(&self, reference: Expiry) -> Result<TrustedSet, UpdaterError> {
        let path = self.store.location("root");
        let bytes = self
            .store
            .read("root")?
            .ok_or_else(|| UpdaterError::TrustedRoot {
                path: path.clone(),
                reason: "missing: initialise the client with a trusted root first".into(),
            })?;
        TrustedSet::new(&bytes, reference).map_err(|e| UpdaterError::TrustedRoot {
            path,
            reason: e.to_string(),
        })
    }

    /// Refreshes the top-level metadata (spec 5.1–5.6): the root chain, timestamp, snapshot
    /// and targets, each persisted as soon as it is verified. What the local store already
    /// holds and still verifies is not fetched again. A failed or attacked refresh leaves the
    /// store as it was, except for metadata verified before the failure.
    pub async fn refresh(&mut self) -> Result<(), UpdaterError> {
        self.trusted = None;
        let store = self.store.clone();
        let _lock = store.lock()?;
        // 5.1: one reference time for the whole refresh.
        let reference = self.config.reference_time.unwrap_or_else(Expiry::now);
        let mut trusted = self.load_trusted_root(reference)?;
        if self.config.offline {
            return self.refresh_offline(trusted);
        }
        let mirrors = self.config.metadata_mirrors.clone();

        // 5.3: the root chain, one version at a time, each persisted once verified.
        self.update_root_chain(&mut trusted, &mirrors).await?;

        // The timestamp and snapshot trusted in an earlier refresh anchor the rollback checks
        // (5.4.3, 5.5.5); they are read back only if they verify with the (possibly new) root,
        // and not at all after a rotation of their keys (5.3.11, deleted above).
        if let Some(local) = store.read("timestamp")? {
            let _ = trusted.load_local_timestamp(&local);
        }
        // 5.4: timestamp.
        let limits = self.limits(self.config.timestamp_max_len);
        let (update, bytes) =
            Self::fetch_meta(&self.fetcher, &mirrors, "timestamp.json", limits, |b| {
                trusted.update_timestamp(b)
            })
            .await?;
        if update == Update::Applied {
            store.write("timestamp", &bytes)?;
        }
        if let Some(ts) = trusted.timestamp() {
            tracing::info!(
                "Verified timestamp version {} ({update:?})",
                ts.signed().version()
            );
        }

        // 5.5: snapshot, from the store if it is still the one the timestamp names.
        let local_ok = match store.read("snapshot")? {
            Some(local) => trusted.load_local_snapshot_shared(&local.into()).is_ok(),
            None => false,
        };
        if !local_ok {
            let meta = trusted
                .timestamp()
                .map(|t| t.signed().snapshot_meta.clone())
                .ok_or_else(|| UpdaterError::State("no timestamp".into()))?;
            let file = if trusted.root().signed().consistent_snapshot() {
                format!("{}.snapshot.json", meta.version)
            } else {
                "snapshot.json".to_owned()
            };
            let limits = self.limits(meta.length().unwrap_or(self.config.snapshot_max_len));
            let ((), bytes) = Self::fetch_meta(&self.fetcher, &mirrors, &file, limits, |b| {
                trusted.update_snapshot_shared(b, false)
            })
            .await?;
            store.write_cache("snapshot", &bytes)?;
            tracing::info!("Verified snapshot version {}", meta.version);
        } else {
            tracing::info!("Snapshot in the local store is current: not downloading it");
        }
        self.trusted = Some(RwLock::new(Arc::new(trusted)));

        // 5.6: top-level targets.
        self.load_targets("targets", "root").await?;
        Ok(())
    }

    /// Spec 5.3: fetches and verifies `N+1.root.json` until a mirror says it is not
    /// available (404 or 410, or 401 or 403 as object storage answers for a missing key),
    /// persisting each root once verified. Before persisting a root that rotates the
    /// timestamp or snapshot keys, the stored timestamp and snapshot are deleted (5.3.11), so
    /// that a crash in between cannot leave them beside the new root. More than
    /// [`UpdaterConfig::max_root_rotations`] new roots is [`UpdaterError::TooManyRotations`]
    /// (spec 5.3.3 would go on with the last root reached; a root that is not the newest may
    /// trust online keys a later root revoked, so this client stops instead): the roots
    /// verified so far stay persisted, and the next refresh goes on from there.
    async fn update_root_chain(
        &self,
        trusted: &mut TrustedSet,
        mirrors: &[Url],
    ) -> Result<(), UpdaterError> {
        let first = trusted.root().signed().version() + 1;
        let max = self.config.max_root_rotations;
        let mut deleted = false;
        for n in first..first.saturating_add(max) {
            let limits = self.limits(self.config.root_max_len);
            let got = Self::fetch_meta(
                &self.fetcher,
                mirrors,
                &format!("{n}.root.json"),
                limits,
                |b| trusted.update_root(b).map(|_| ()),
            )
            .await;
            match got {
                Ok(((), bytes)) => {
                    if trusted.online_keys_rotated() && !deleted {
                        self.store.remove("timestamp")?;
                        self.store.remove("snapshot")?;
                        deleted = true;
                        tracing::info!(
                            "Root version {n} rotates the timestamp or snapshot keys: \
                             deleted the trusted timestamp and snapshot (spec 5.3.11)"
                        );
                    }
                    self.store.write("root", &bytes)?;
                    tracing::info!(
                        "Verified root version {n} (signed by the old and the new root keys)"
                    );
                }
                // 5.3.3: the next root is not available.
                Err(UpdaterError::Transport(e)) if not_available(&e) => {
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        // As many new roots as allowed were accepted: one more existing is too many.
        let next = format!("{}.root.json", first.saturating_add(max));
        let limits = self.limits(self.config.root_max_len);
        match self.fetcher.fetch_bytes(mirrors, &next, limits).await {
            Err(e) if not_available(&e) => Ok(()),
            Err(e) => Err(UpdaterError::Transport(e)),
            Ok(_) => Err(UpdaterError::TooManyRotations { max }),
        }
    }

    fn refresh_offline(&mut self, mut trusted: TrustedSet) -> Result<(), UpdaterError> {
        let offline = |what: &str, e: Option<UpdaterError>| {
            UpdaterError::State(match e {
                Some(e) => format!("offline: local {what} is not usable: {e}"),
                None => format!("offline: no local {what}"),
            })
        };
        let ts = self
            .store
            .read("timestamp")?
            .ok_or_else(|| offline("timestamp", None))?;
        trusted
            .update_timestamp(&ts)
            .map_err(|e| offline("timestamp", Some(e)))?;
        let snap = self
            .store
            .read("snapshot")?
            .ok_or_else(|| offline("snapshot", None))?;
        trusted
            .update_snapshot(&snap, true)
            .map_err(|e| offline("snapshot", Some(e)))?;
        let targets = self
            .store
            .read("targets")?
            .ok_or_else(|| offline("targets", None))?;
        trusted
            .update_targets(&targets)
            .map_err(|e| offline("targets", Some(e)))?;
        self.trusted = Some(RwLock::new(Arc::new(trusted)));
        Ok(())
    }

    /// Makes targets role `role` (reached from `delegator`) trusted: from the store if it
    /// still verifies, else from the mirrors (spec 5.6), then persisted. Tasks asking for
    /// the same role wait for the first one's answer instead of fetching it again.
    async fn load_targets(&self, role: &str, delegator: &str) -> Result<(), UpdaterError> {
        if let Some(r) = self.read_trusted()?.role_via(role, delegator) {
            return r.map(|_| ());
        }
        let role_lock = {
            let mut loading = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
            loading.entry(role.to_owned()).or_default().clone()
        };
        let _loading = role_lock.lock().await;
        let set = self.trusted_set()?;
        let (meta, consistent) = {
            let trusted = self.read_trusted()?;
            // Loaded by another task while this one waited.
            if let Some(r) = trusted.role_via(role, delegator) {
                return r.map(|_| ());
            }
            let snapshot = trusted
                .snapshot()
                .ok_or_else(|| UpdaterError::State("no snapshot".into()))?;
            let meta = snapshot.signed().role_meta(role).cloned().ok_or_else(|| {
                UpdaterError::NotInSnapshot {
                    role: role.to_owned(),
                }
            })?;
            (meta, trusted.root().signed().consistent_snapshot())
        };
        if let Some(local) = self.store.read(role)?
            && Self::admit_delegated(set, &local, role, delegator).is_ok()
        {
            return Ok(());
        }
        if self.config.offline {
            return Err(UpdaterError::State(format!(
                "offline: no usable local metadata for {role}"
            )));
        }
        let file = naming::metadata_file(role, consistent.then_some(meta.version));
        let limits = self.limits(meta.length().unwrap_or(self.config.targets_max_len));
        let mirrors = &self.config.metadata_mirrors;
        let ((), bytes) = Self::fetch_meta(&self.fetcher, mirrors, &file, limits, |b| {
            Self::admit_delegated(set, b, role, delegator)
        })
        .await?;
        self.store.write_cache(role, &bytes)?;
        tracing::info!(
            "Verified {role} version {} (delegated by {delegator})",
            meta.version
        );
        Ok(())
    }

    /// Finds `target` by a pre-order depth-first search of the delegation graph
    /// (spec 5.6.7), loading delegated roles only as the search reaches them.
    ///
    /// Takes `&self`: many tasks may search at once (see [`Updater`]). An updater that has
    /// not refreshed answers [`UpdaterError::State`]; one made by [`Updater::builder`] always
    /// has.
    pub async fn target_info(&self, target: &str) -> Result<TargetInfo, UpdaterError> {
        let mut stack = vec![("targets".to_owned(), "root".to_owned())];
        let mut visited: HashSet<String> = HashSet::new();
        let mut visits = 0;
        while let Some((role, delegator)) = stack.pop() {
            // python-tuf's count: the top-level targets plus `max_delegations` more roles.
            if visits > self.config.max_delegations {
                break;
            }
            if visited.contains(&role) {
                continue;
            }
            visits += 1;
            self.load_targets(&role, &delegator).await?;
            let trusted = self.read_trusted()?;
            let md = trusted
                .role(&role)
                .ok_or_else(|| UpdaterError::State(format!("{role} not loaded")))?;
            if let Some(info) = md.signed().targets.get(target) {
                return Ok(TargetInfo::new(target, info.clone()));
            }
            visited.insert(role.clone());
            if let Some(d) = &md.signed().delegations {
                let mut children = Vec::new();
                for (child, terminating) in d.roles_for_target(target) {
                    children.push((child.into_owned(), role.clone()));
                    // 5.6.7.2.1: "If the role is terminating then abort searching for a
                    // target" — nothing after this delegation's subtree is visited.
                    if terminating {
                        stack.clear();
                        break;
                    }
                }
                stack.extend(children.into_iter().rev());
            }
        }
        Err(UpdaterError::TargetNotFound {
            path: target.to_owned(),
        })
    }

    fn target_dir(&self) -> Result<&Path, UpdaterError> {
        self.config
            .target_dir
            .as_deref()
            .ok_or_else(|| UpdaterError::Config("no target directory".into()))
    }

    /// Where `target` is kept in the target directory.
    pub fn target_path(&self, target: &str) -> Result<PathBuf, UpdaterError> {
        Ok(self.target_dir()?.join(self.local_name(target)))
    }

    /// The file name `target` is kept under (see [`UpdaterConfig::python_target_names`]).
    fn local_name(&self, target: &str) -> String {
        if self.config.python_target_names {
            quote_all(target)
        } else {
            naming::local_name(target)
        }
    }

    /// The cached copy of the target `info` describes, if there is one and it still
    /// matches (re-verified now, every time).
    pub async fn find_cached_target(
        &self,
        info: &TargetInfo,
    ) -> Result<Option<PathBuf>, UpdaterError> {
        let (target, info) = (info.path(), info.file());
        let verifier = info
            .verifier(target)
            .map_err(|source| UpdaterError::length_or_hash(target, source, "5.7.3"))?;
        self.cached_copy(target, verifier).await
    }

    /// The file kept for `target` in the target directory, if there is one and `verifier`
    /// passes it now.
    async fn cached_copy(
        &self,
        target: &str,
        verifier: StreamVerifier,
    ) -> Result<Option<PathBuf>, UpdaterError> {
        let path = self.target_path(target)?;
        // A FIFO or device in the target directory is not a cached copy (and never a wait).
        let Ok(Some(file)) = tuf_fs::open_regular_file(&path) else {
            return Ok(None);
        };
        let ok = tokio::task::spawn_blocking(move || {
            verifier
                .verify_reader(std::io::BufReader::new(file))
                .is_ok()
        })
        .await
        .unwrap_or(false);
        Ok(ok.then_some(path))
    }

    /// The path, relative to a targets mirror, that `target` is served under: with
    /// consistent snapshots, `dir/HASH.name` for the first listed hash (spec 5.7.3), unless
    /// its signed entry says it is served at its own path ([`TargetFile::unprefixed`]).
    fn target_url_path(&self, target: &str, info: &TargetFile) -> Result<String, UpdaterError> {
        let consistent = self.read_trusted()?.root().signed().consistent_snapshot();
        let served = match info.hashes.iter().next() {
            Some((_, digest)) if consistent && !info.unprefixed() => {
                naming::hash_prefixed(target, digest)
            }
            _ => target.to_owned(),
        };
        Ok(naming::url_path(&served))
    }

    /// Downloads several targets, at most [`UpdaterConfig::concurrency`] at a time; results
    /// come back in the order of `items`.
    pub async fn download_targets(
        &self,
        items: &[TargetInfo],
    ) -> Vec<Result<PathBuf, UpdaterError>> {
        use futures_util::StreamExt;
        let mut done: Vec<(usize, Result<PathBuf, UpdaterError>)> =
            futures_util::stream::iter(items.iter().enumerate())
                .map(|(i, info)| async move { (i, self.download_target(info).await) })
                .buffer_unordered(self.config.concurrency.max(1))
                .collect()
                .await;
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, r)| r).collect()
    }

    /// Downloads the target `info` describes (spec 5.7): at most its trusted length is
    /// read, length and every listed hash are checked while streaming, and only verified
    /// bytes reach the target directory (written to a temporary file, then renamed).
    /// A mirror serving bad bytes is skipped for the next one.
    pub async fn download_target(&self, info: &TargetInfo) -> Result<PathBuf, UpdaterError> {
        let (target, info) = (info.path(), info.file());
        let url_path = self.target_url_path(target, info)?;
        let verifier = || {
            info.verifier(target)
                .map_err(|source| UpdaterError::length_or_hash(target, source, "5.7.3"))
        };
        let dest = self
            .fetch_to_target_dir(target, &url_path, info.length, &verifier, "5.7.3")
            .await?;
        for (alg, digest) in info.hashes.iter() {
            tracing::info!("The file's {alg} hash is correct: {digest}");
        }
        Ok(dest)
    }

    /// Downloads a file that is not a target but whose digests a verified target lists (a
    /// distribution file by the `#sha256=` of a TUF-verified PyPI index page, where only the
    /// pages are targets, as Warehouse signs them): served by the targets mirrors at `path`
    /// as it is (no hash prefix), checked while streaming against `hashes` and `length`, or
    /// read up to `max_length` bytes when the page does not give the length. Kept in the target
    /// directory under `path`, like a target.
    pub async fn download_vouched(
        &self,
        file: &VouchedFile,
        max_length: u64,
    ) -> Result<PathBuf, UpdaterError> {
        let limit = file.length.unwrap_or(max_length);
        let verifier = || file.verifier(max_length);
        self.fetch_to_target_dir(
            &file.path,
            &naming::url_path(&file.path),
            limit,
            &verifier,
            VOUCHED_RULE,
        )
        .await
    }

    /// The cached copy of a vouched file, if there is one and it still matches (re-verified
    /// now).
    pub async fn find_cached_vouched(
        &self,
        file: &VouchedFile,
        max_length: u64,
    ) -> Result<Option<PathBuf>, UpdaterError> {
        self.cached_copy(&file.path, file.verifier(max_length)?)
            .await
    }

    /// Streams `url_path` from the targets mirrors (at most `limit` bytes) through the
    /// verifier `verifier` makes, into the target directory as `target`; a mirror serving bad
    /// bytes is skipped for the next one.
    async fn fetch_to_target_dir(
        &self,
        target: &str,
        url_path: &str,
        limit: u64,
        verifier: &(dyn Fn() -> Result<StreamVerifier, UpdaterError> + Sync),
        section: &'static str,
    ) -> Result<PathBuf, UpdaterError> {
        let dest = self.target_path(target)?;
        let mirrors = &self.config.targets_mirrors;
        let mut attempts = self.fetcher.attempts(mirrors, url_path, self.limits(limit));
        let mut first_rejection: Option<UpdaterError> = None;
        loop {
            let mut download = match attempts.next().await {
                Ok(d) => d,
                Err(e) => return Err(first_rejection.unwrap_or(UpdaterError::Transport(e))),
            };
            let dir = self.target_dir()?;
            std::fs::create_dir_all(dir).map_err(|error| UpdaterError::Store {
                path: dir.display().to_string(),
                error,
            })?;
            let tmp = dir.join(format!(
                ".{}.{}.{}.partial",
                self.local_name(target),
                std::process::id(),
                PARTIAL_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            let mut verifier = verifier()?;
            let outcome = stream_to_file(&mut download, &mut verifier, &tmp).await;
            let failure = match outcome {
                Ok(()) => match verifier.finish() {
                    Ok(()) => None,
                    Err(e) => Some(Failure::Verify(e)),
                },
                Err(f) => Some(f),
            };
            match failure {
                None => {
                    std::fs::rename(&tmp, &dest).map_err(|error| UpdaterError::Store {
                        path: dest.display().to_string(),
                        error,
                    })?;
                    return Ok(dest);
                }
                Some(Failure::Verify(source)) => {
                    let _ = std::fs::remove_file(&tmp);
                    let e = UpdaterError::length_or_hash(target, source, section);
                    attempts.reject(e.to_string());
                    first_rejection.get_or_insert(e);
                }
                Some(Failure::Transport(e)) => {
                    let _ = std::fs::remove_file(&tmp);
                    attempts.fail(e).await;
                }
                Some(Failure::Local(error)) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(UpdaterError::Store {
                        path: tmp.display().to_string(),
                        error,
                    });
                }
            }
        }
    }
}

/// Spec 5.3.3: the next root "is not available" — a mirror said 404 or 410, or 401 or 403 as
/// object storage answers for a key that does not exist.
fn not_available(e: &TransportError) -> bool {
    e.is_not_found() || e.is_denied()
}

static PARTIAL_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

enum Failure {
    Verify(tuf_crypto::CryptoError),
    Transport(TransportError),
    Local(std::io::Error),
}

/// Streams a download into `tmp`, checking each chunk against the verifier before it is
/// written (so no byte past the trusted length is ever stored). No fsync: the target
/// directory is a cache whose every file is verified again before it is used
/// ([`Updater::find_cached_target`]), so a file a crash damaged is fetched again.
async fn stream_to_file(
    download: &mut tuf_transport::Download,
    verifier: &mut StreamVerifier,
    tmp: &Path,
) -> Result<(), Failure> {
    let local = Failure::Local;
    let mut file = std::fs::File::create(tmp).map_err(local)?;
    while let Some(chunk) = download.chunk().await.map_err(Failure::Transport)? {
        verifier.update(&chunk).map_err(Failure::Verify)?;
        file.write_all(&chunk).map_err(local)?;
    }
    Ok(())
}
