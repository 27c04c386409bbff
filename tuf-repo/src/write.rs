//! Writing metadata files: gzip copies, atomic and unflushed writes, one durable point for a
//! batch of new files.

use crate::{RepoError, Result};
use std::path::{Path, PathBuf};

/// Bins smaller than this many bytes get no `.json.gz` copy (a static server sends the
/// plain file instead).
pub(crate) const GZIP_MIN: usize = 1024;

/// `bytes` gzip-compressed.
pub(crate) fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, bytes)?;
    gz.finish()
}

/// [`tuf_fs::write_atomic`], with the error naming the file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    tuf_fs::write_atomic(path, bytes).map_err(|e| RepoError::io(path, e))
}

/// Writes a new versioned file in place, without flushing (see [`make_durable`]): no
/// published metadata refers to it yet, so nothing can read it half-written.
pub(crate) fn write_unsynced(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| RepoError::io(path, e))
}

/// Makes `files`, new in `dir`, durable: one `syncfs` of the file system where the system
/// has it (Linux, Android), else each file flushed and then the directory (where a
/// directory can be opened for that: Unix).
pub(crate) fn make_durable(dir: &Path, files: &[PathBuf]) -> Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = files;
        let d = std::fs::File::open(dir).map_err(|e| RepoError::io(dir, e))?;
        rustix::fs::syncfs(&d).map_err(|e| RepoError::io(dir, e.into()))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        for f in files {
            std::fs::File::open(f)
                .and_then(|h| h.sync_all())
                .map_err(|e| RepoError::io(f, e))?;
        }
        #[cfg(unix)]
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| RepoError::io(dir, e))?;
        #[cfg(not(unix))]
        let _ = dir;
        Ok(())
    }
}
