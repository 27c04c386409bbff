//! The crash-safe local store: trusted metadata under unversioned names, written atomically,
//! guarded by an inter-process lock.

use crate::UpdaterError;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What Python's `urllib.parse.quote(s, safe="")` leaves alone: letters, digits and `_.-~`.
/// Role names and target paths become file names and URL segments with it.
pub const QUOTE_ALL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// Percent-encodes `s` as `quote(s, safe="")` does (`/` becomes `%2F`).
pub fn quote_all(s: &str) -> String {
    utf8_percent_encode(s, QUOTE_ALL).to_string()
}

/// Local metadata files are bounded too: 64 MiB.
const MAX_LOCAL: u64 = 64 * 1024 * 1024;

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn store_err(path: &Path, e: impl std::fmt::Display) -> UpdaterError {
    UpdaterError::Store {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory (a name that
/// never ends in `.json`), fsync, rename over the target, fsync of the directory. A crash at
/// any point leaves either the old file or the new one, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), UpdaterError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(store_err(path, e));
    }
    Ok(())
}

/// A directory of trusted metadata: `root.json`, `timestamp.json`, `snapshot.json`,
/// `targets.json` and `<quoted role>.json`, each holding the exact bytes that were verified.
#[derive(Debug, Clone)]
pub struct MetadataStore {
    dir: PathBuf,
}

/// Holds the store's inter-process lock until dropped.
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

impl MetadataStore {
    /// Opens (creating if needed) the directory.
    pub fn open(dir: &Path) -> Result<MetadataStore, UpdaterError> {
        std::fs::create_dir_all(dir).map_err(|e| store_err(dir, e))?;
        Ok(MetadataStore {
            dir: dir.to_owned(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding role `role`.
    pub fn path(&self, role: &str) -> PathBuf {
        self.dir.join(format!("{}.json", quote_all(role)))
    }

    /// Takes the exclusive inter-process lock (blocking until other clients release it), so
    /// that concurrent clients on one directory never interleave their updates.
    pub fn lock(&self) -> Result<StoreLock, UpdaterError> {
        let path = self.dir.join(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| store_err(&path, e))?;
        file.lock().map_err(|e| store_err(&path, e))?;
        Ok(StoreLock { _file: file })
    }

    /// The stored bytes of `role`, or `None` if there are none.
    pub fn read(&self, role: &str) -> Result<Option<Vec<u8>>, UpdaterError> {
        let path = self.path(role);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_err(&path, e)),
        };
        let mut buf = Vec::new();
        file.take(MAX_LOCAL + 1)
            .read_to_end(&mut buf)
            .map_err(|e| store_err(&path, e))?;
        if buf.len() as u64 > MAX_LOCAL {
            return Err(store_err(&path, "larger than 64 MiB"));
        }
        Ok(Some(buf))
    }

    /// Stores `bytes` as role `role`, atomically.
    pub fn write(&self, role: &str, bytes: &[u8]) -> Result<(), UpdaterError> {
        write_atomic(&self.path(role), bytes)
    }

    /// Removes what is stored for `role`.
    pub fn remove(&self, role: &str) -> Result<(), UpdaterError> {
        let path = self.path(role);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(store_err(&path, e)),
            _ => Ok(()),
        }
    }
}
