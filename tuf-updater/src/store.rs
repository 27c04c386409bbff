//! The crash-safe local store: trusted metadata under unversioned names, written atomically,
//! guarded by an inter-process lock, laid out so that no two roles share a file on any file
//! system.
//!
//! Layout: the top-level roles are `root.json`, `timestamp.json`, `snapshot.json` and
//! `targets.json`; every delegated role is `<stem>.json` beside them, where `<stem>` is
//! [`role_file_stem`] of the role name: lower-case ASCII only outside `%XX` escapes, so two
//! names never meet on a case-insensitive (macOS, Windows) or normalising (APFS, HFS+) disk,
//! and no stem is a top-level name in any case (those names are reserved for delegations,
//! [`tuf_metadata::is_reserved_role_name`], and a stem equal to one ignoring case would have
//! to be that very name). The directory stays flat, as python-tuf's and the public
//! conformance protocol's metadata directory is: every `*.json` in it is a trusted role.

use crate::UpdaterError;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Local metadata files are bounded too: 64 MiB.
const MAX_LOCAL: u64 = 64 * 1024 * 1024;

/// The top-level roles, stored by their own names.
const TOP_LEVEL: [&str; 4] = ["root", "timestamp", "snapshot", "targets"];

/// Present once a store has its current layout (and any earlier one was migrated).
const LAYOUT_MARKER: &str = ".layout";

/// Windows device names, which are not usable as file names whatever the extension.
const WINDOWS_DEVICES: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Longest stem kept as is; longer ones are shortened and given a hash (file names are
/// limited to 255 bytes).
const MAX_STEM: usize = 200;

/// The file name (without `.json`) a delegated role is stored under.
///
/// Every byte but `a-z`, `0-9`, `_`, `-`, `~` and `.` becomes `%XX` with upper-case hex, so
/// upper-case letters appear only inside escapes and lower-case letters only outside them:
/// two different names never give stems that are equal when case is ignored, and the stem is
/// ASCII, which no file system normalises. A name that would be a Windows device name gets
/// its first character escaped. The encoding is reversible, hence collision-free; a stem
/// longer than 200 bytes is cut to about 150 (never inside an escape) and followed by `~` and
/// the SHA-256 of the name (213 to 215 bytes, lengths no reversible stem has).
///
/// ```
/// use tuf_updater::role_file_stem;
/// assert_eq!(role_file_stem("bins-0a"), "bins-0a");
/// assert_eq!(role_file_stem("Timestamp"), "%54imestamp");
/// assert_ne!(role_file_stem("A").to_lowercase(), role_file_stem("a").to_lowercase());
/// assert_eq!(role_file_stem("a/b"), "a%2Fb");
/// ```
pub fn role_file_stem(role: &str) -> String {
    let mut out = String::with_capacity(role.len());
    for (i, b) in role.bytes().enumerate() {
        let plain = b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-~.".contains(&b);
        let device = i == 0
            && WINDOWS_DEVICES
                .iter()
                .any(|d| role.split('.').next() == Some(*d));
        if plain && !device {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.len() <= MAX_STEM {
        return out;
    }
    let mut cut = 150;
    // Never cut inside an escape.
    while out.as_bytes()[cut - 1] == b'%' || out.as_bytes()[cut - 2] == b'%' {
        cut -= 1;
    }
    format!(
        "{}~{}",
        &out[..cut],
        hex::encode(Sha256::digest(role.as_bytes()))
    )
}

/// The store-relative name of the file holding `role`.
fn file_name(role: &str) -> String {
    if TOP_LEVEL.contains(&role) {
        format!("{role}.json")
    } else {
        format!("{}.json", role_file_stem(role))
    }
}

/// Where a [`MetadataStore`] keeps its files. Names are relative, `/`-separated, and come
/// only from this module (`root.json`, `<stem>.json`, `.layout`). [`DirBackend`] is a
/// directory; [`MemoryBackend`] keeps everything in memory, optionally folding case as the
/// file systems of macOS and Windows do (to test a store's layout against them anywhere).
pub trait StoreBackend: Send + Sync + std::fmt::Debug {
    /// The bytes of `name`, at most `max` of them (more is an error), or `None` when absent.
    /// Anything but a regular file is an error, and never blocks (a FIFO, a device).
    fn read(&self, name: &str, max: u64) -> std::io::Result<Option<Vec<u8>>>;
    /// Replaces `name` atomically: a crash leaves the old bytes or the new, never a mix.
    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// Replaces `name` atomically for every reader, but need not make it durable: for
    /// metadata that is verified on every load and fetched again when missing or invalid
    /// (snapshot, targets, delegated roles). By default the same as [`StoreBackend::write`].
    fn write_cache(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.write(name, bytes)
    }
    /// Removes `name`; absent is fine.
    fn remove(&self, name: &str) -> std::io::Result<()>;
    /// The names of the files directly in the top level of the store.
    fn list_top(&self) -> std::io::Result<Vec<String>>;
    /// Takes the store's exclusive lock, held until the returned guard is dropped.
    fn lock(&self) -> std::io::Result<StoreLock>;
    /// How to show `name` in messages (a path, or a name in memory).
    fn describe(&self, name: &str) -> String;
}

/// Holds a store's exclusive lock until dropped.
pub struct StoreLock {
    _guard: Box<dyn Send + Sync>,
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreLock")
    }
}

impl StoreLock {
    /// A lock held as long as `guard` lives.
    pub fn new(guard: impl Send + Sync + 'static) -> StoreLock {
        StoreLock {
            _guard: Box::new(guard),
        }
    }
}

fn store_err(path: &str, error: std::io::Error) -> UpdaterError {
    UpdaterError::Store {
        path: path.to_owned(),
        error,
    }
}

/// A directory on disk: files written with [`tuf_fs::write_atomic`] (caches with
/// [`tuf_fs::write_replace`]), read with
/// [`tuf_fs::read_regular_file`], locked with [`tuf_fs::DirLock`] (`.lock` in the directory).
#[derive(Debug, Clone)]
pub struct DirBackend {
    dir: PathBuf,
}

impl DirBackend {
    /// The directory `dir`, created if needed.
    pub fn open(dir: &Path) -> std::io::Result<DirBackend> {
        std::fs::create_dir_all(dir)?;
        Ok(DirBackend {
            dir: dir.to_owned(),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        name.split('/').fold(self.dir.clone(), |p, seg| p.join(seg))
    }
}

impl StoreBackend for DirBackend {
    fn read(&self, name: &str, max: u64) -> std::io::Result<Option<Vec<u8>>> {
        tuf_fs::read_regular_file(&self.path(name), max)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        tuf_fs::write_atomic(&path, bytes)
    }

    fn write_cache(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        tuf_fs::write_replace(&path, bytes)
    }

    fn remove(&self, name: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn list_top(&self) -> std::io::Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file()
                && let Some(name) = entry.file_name().to_str()
            {
                out.push(name.to_owned());
            }
        }
        Ok(out)
    }

    fn lock(&self) -> std::io::Result<StoreLock> {
        tuf_fs::DirLock::acquire(&self.dir).map(StoreLock::new)
    }

    fn describe(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

/// A store in memory. With `case_insensitive`, names that differ only in case are the same
/// file, and the first spelling written is kept, as on the default file systems of macOS
/// (APFS) and Windows (NTFS). Clones share the files.
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    files: Arc<Mutex<MemoryFiles>>,
    lock: MemoryLock,
    case_insensitive: bool,
}

impl MemoryBackend {
    /// An empty store whose names are compared exactly.
    pub fn case_sensitive() -> MemoryBackend {
        MemoryBackend::default()
    }

    /// An empty store whose names are compared ignoring case (Unicode lower case).
    pub fn case_insensitive() -> MemoryBackend {
        MemoryBackend {
            case_insensitive: true,
            ..MemoryBackend::default()
        }
    }

    fn key(&self, name: &str) -> String {
        if self.case_insensitive {
            name.to_lowercase()
        } else {
            name.to_owned()
        }
    }

    fn files(&self) -> std::sync::MutexGuard<'_, MemoryFiles> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `name` as it is, bypassing the store's layout (to build an old-layout store).
    pub fn insert(&self, name: &str, bytes: &[u8]) {
        let key = self.key(name);
        let mut files = self.files();
        let spelling = files
            .get(&key)
            .map_or_else(|| name.to_owned(), |(n, _)| n.clone());
        files.insert(key, (spelling, bytes.to_vec()));
    }

    /// Every file's name (as first spelled) and bytes.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        self.files()
            .values()
            .map(|(n, b)| (n.clone(), b.clone()))
            .collect()
    }
}

impl StoreBackend for MemoryBackend {
    fn read(&self, name: &str, max: u64) -> std::io::Result<Option<Vec<u8>>> {
        match self.files().get(&self.key(name)) {
            Some((_, b)) if b.len() as u64 > max => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than {max} bytes"),
            )),
            Some((_, b)) => Ok(Some(b.clone())),
            None => Ok(None),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.insert(name, bytes);
        Ok(())
    }

    fn remove(&self, name: &str) -> std::io::Result<()> {
        self.files().remove(&self.key(name));
        Ok(())
    }

    fn list_top(&self) -> std::io::Result<Vec<String>> {
        Ok(self
            .files()
            .values()
            .filter(|(n, _)| !n.contains('/'))
            .map(|(n, _)| n.clone())
            .collect())
    }

    fn lock(&self) -> std::io::Result<StoreLock> {
        // In-process only: wait until no other holder (of this backend or a clone) has it.
        let (held, freed) = &*self.lock;
        let mut h = held.lock().unwrap_or_else(|p| p.into_inner());
        while *h {
            h = freed.wait(h).unwrap_or_else(|p| p.into_inner());
        }
        *h = true;
        Ok(StoreLock::new(MemoryLockGuard(Arc::clone(&self.lock))))
    }

    fn describe(&self, name: &str) -> String {
        format!("memory:{name}")
    }
}

type MemoryLock = Arc<(Mutex<bool>, std::sync::Condvar)>;

/// Files by (possibly case-folded) name: the name as first spelled, and the bytes.
type MemoryFiles = BTreeMap<String, (String, Vec<u8>)>;

struct MemoryLockGuard(MemoryLock);

impl Drop for MemoryLockGuard {
    fn drop(&mut self) {
        let (held, freed) = &*self.0;
        *held.lock().unwrap_or_else(|p| p.into_inner()) = false;
        freed.notify_one();
    }
}

/// Trusted metadata by role name: `root`, `timestamp`, `snapshot`, `targets` and delegated
/// roles, each holding the exact bytes that were verified (see the module docs for the
/// layout). Cheap to clone; clones share the backend.
#[derive(Debug, Clone)]
pub struct MetadataStore {
    backend: Arc<dyn StoreBackend>,
}

impl MetadataStore {
    /// Opens (creating if needed) the directory `dir`.
    pub fn open(dir: &Path) -> Result<MetadataStore, UpdaterError> {
        let backend =
            DirBackend::open(dir).map_err(|e| store_err(&dir.display().to_string(), e))?;
        Ok(MetadataStore::with_backend(Arc::new(backend)))
    }

    /// A store kept by `backend`.
    pub fn with_backend(backend: Arc<dyn StoreBackend>) -> MetadataStore {
        MetadataStore { backend }
    }

    /// Where `role` is kept, for messages.
    pub fn location(&self, role: &str) -> String {
        self.backend.describe(&file_name(role))
    }

    /// Takes the exclusive inter-process lock (blocking until other clients release it), so
    /// that concurrent clients never interleave their updates; the first time, it renames
    /// delegated roles stored by the earlier layout (`quote(role).json`, which kept
    /// upper-case letters) to their stems and marks the store (`.layout`).
    pub fn lock(&self) -> Result<StoreLock, UpdaterError> {
        let lock = self
            .backend
            .lock()
            .map_err(|e| store_err(&self.backend.describe(".lock"), e))?;
        self.migrate()?;
        Ok(lock)
    }

    /// The earlier layout named delegated roles `quote(role).json`, which keeps upper-case
    /// letters: on a case-insensitive disk `Timestamp.json` is `timestamp.json` and `A.json`
    /// is `a.json`. Both layouts are percent-encodings of the role name, so a file's role is
    /// its decoded name; files whose name is not the role's stem and that hold targets
    /// metadata are renamed. Anything else (other programs' files, such as a repository's
    /// state) is left alone.
    fn migrate(&self) -> Result<(), UpdaterError> {
        let marker_err = |e: std::io::Error| store_err(&self.backend.describe(LAYOUT_MARKER), e);
        if self
            .backend
            .read(LAYOUT_MARKER, 64)
            .map_err(marker_err)?
            .is_some()
        {
            return Ok(());
        }
        let names = self
            .backend
            .list_top()
            .map_err(|e| store_err(&self.backend.describe(""), e))?;
        for name in names {
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if TOP_LEVEL.iter().any(|t| t.eq_ignore_ascii_case(stem)) || stem.starts_with('.') {
                continue;
            }
            let Ok(role) = percent_decode_str(stem).decode_utf8() else {
                continue;
            };
            let new = file_name(&role);
            if new == name {
                continue;
            }
            let fail = |e: std::io::Error| store_err(&self.backend.describe(&name), e);
            let Some(bytes) = self.backend.read(&name, MAX_LOCAL).map_err(fail)? else {
                continue;
            };
            if !is_targets_metadata(&bytes) {
                continue;
            }
            // The new name never meets the old one, even ignoring case (the old one has an
            // upper-case letter where the new one has an escape): write, then remove.
            self.backend.write(&new, &bytes).map_err(fail)?;
            self.backend.remove(&name).map_err(fail)?;
            tracing::info!("Renamed {name} to {new} (case-insensitive-safe store layout)");
        }
        // Done once per store: later locks do not list or read anything.
        self.backend
            .write(LAYOUT_MARKER, b"2\n")
            .map_err(marker_err)
    }

    /// The stored bytes of `role`, or `None` if there are none. A file that is not a
    /// regular file (a FIFO, say) is an error, never a wait.
    pub fn read(&self, role: &str) -> Result<Option<Vec<u8>>, UpdaterError> {
        let name = file_name(role);
        self.backend
            .read(&name, MAX_LOCAL)
            .map_err(|e| store_err(&self.backend.describe(&name), e))
    }

    /// Stores `bytes` as role `role`, atomically.
    pub fn write(&self, role: &str, bytes: &[u8]) -> Result<(), UpdaterError> {
        let name = file_name(role);
        self.backend
            .write(&name, bytes)
            .map_err(|e| store_err(&self.backend.describe(&name), e))
    }

    /// Stores `bytes` as role `role`, atomically for every reader but not necessarily
    /// durably ([`StoreBackend::write_cache`]): a crash may lose it, and the next refresh
    /// fetches it again. For the snapshot, targets and delegated roles; the trusted root and
    /// timestamp, the anchors of spec 5.3 and of the rollback checks of 5.4.3, are written
    /// with [`MetadataStore::write`].
    pub fn write_cache(&self, role: &str, bytes: &[u8]) -> Result<(), UpdaterError> {
        let name = file_name(role);
        self.backend
            .write_cache(&name, bytes)
            .map_err(|e| store_err(&self.backend.describe(&name), e))
    }

    /// Removes what is stored for `role`.
    pub fn remove(&self, role: &str) -> Result<(), UpdaterError> {
        let name = file_name(role);
        self.backend
            .remove(&name)
            .map_err(|e| store_err(&self.backend.describe(&name), e))
    }
}

/// Whether `bytes` look like TUF targets metadata (`signed._type` is `targets`).
fn is_targets_metadata(bytes: &[u8]) -> bool {
    tuf_metadata::json::parse(bytes).is_ok_and(|v| {
        v.as_object()
            .and_then(|o| o.get("signed"))
            .and_then(|s| s.as_object())
            .and_then(|s| s.get("_type"))
            .and_then(|t| t.as_str())
            == Some("targets")
    })
}
