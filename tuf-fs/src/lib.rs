//! Crash-safe file helpers shared by the TUF client's store, the repository writer and the
//! command line, so that none of them borrows another's internals:
//!
//! * [`write_atomic`]: replace a file so that a crash leaves the old bytes or the new, never a
//!   mix (temporary file in the same directory, fsync, rename, directory fsync on Unix);
//!   [`write_replace`]: the same without the fsyncs, for caches whose every read is verified.
//! * [`open_regular_file`] and [`read_regular_file`]: read only regular files, bounded, and
//!   never block on a FIFO or a device planted where a file was expected.
//! * [`DirLock`]: an exclusive advisory lock on `DIR/.lock`, held until dropped.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("timestamp.json");
//! let _lock = tuf_fs::DirLock::acquire(dir.path()).unwrap();
//! tuf_fs::write_atomic(&path, b"{}").unwrap();
//! assert_eq!(tuf_fs::read_regular_file(&path, 16).unwrap().unwrap(), b"{}");
//! assert!(tuf_fs::read_regular_file(&path, 1).is_err(), "longer than the limit");
//! ```

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: a temporary file in the same directory (a hidden name
/// ending in `.tmp`, never `.json`), fsync, rename over the target, then an fsync of the
/// directory where the system allows one to be opened (Unix). A crash at any point leaves
/// either the old file or the new one, never a mix; on error the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes, true)
}

/// Replaces `path` by `bytes` atomically for every reader (temporary file in the same
/// directory, then a rename), without the fsyncs of [`write_atomic`]: for caches whose every
/// read is verified, where a crash may lose the new file (or, on some file systems, leave it
/// empty) and the next reader then finds it missing or invalid and fetches it again.
pub fn write_replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes, false)
}

fn replace(path: &Path, bytes: &[u8], durable: bool) -> std::io::Result<()> {
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
        if durable {
            f.sync_all()?;
        }
        drop(f);
        std::fs::rename(&tmp, path)?;
        if durable { sync_dir(dir) } else { Ok(()) }
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Makes a rename in `dir` durable: an fsync of the directory on Unix; elsewhere (Windows
/// cannot open a directory as a file) the rename is durable once the call returns.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Opens `path` for reading only if it is a regular file, without ever blocking on a FIFO or
/// a device: opened non-blocking (Unix), then its type checked. `Ok(None)` when it does not
/// exist.
pub fn open_regular_file(path: &Path) -> std::io::Result<Option<File>> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(Some(file))
}

/// [`open_regular_file`], then reads at most `max` bytes (more is an error).
pub fn read_regular_file(path: &Path, max: u64) -> std::io::Result<Option<Vec<u8>>> {
    let Some(file) = open_regular_file(path)? else {
        return Ok(None);
    };
    // Sized once from the file's length (one read for a file that is not growing), never
    // beyond the limit.
    let len = file.metadata().map_or(0, |m| m.len());
    let mut buf = Vec::with_capacity(usize::try_from(len.min(max).saturating_add(1)).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(Some(buf))
}

/// An exclusive advisory lock on `DIR/.lock` (created if missing), held until dropped; other
/// processes taking the same lock wait.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the lock of `dir`, waiting for any other holder.
    pub fn acquire(dir: &Path) -> std::io::Result<DirLock> {
        std::fs::create_dir_all(dir)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))?;
        file.lock()?;
        Ok(DirLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"old").unwrap();
        // A directory where the file should be: the rename fails, durable or not.
        let blocked = dir.path().join("b.json");
        std::fs::create_dir(&blocked).unwrap();
        std::fs::write(blocked.join("x"), b"x").unwrap();
        assert!(write_atomic(&blocked, b"new").is_err());
        assert!(write_replace(&blocked, b"new").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        write_replace(&path, b"newer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"newer");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read_regular_file(&dir.path().join("none"), 8)
                .unwrap()
                .is_none()
        );
        assert!(read_regular_file(dir.path(), 8).is_err(), "a directory");
        #[cfg(unix)]
        {
            let fifo = dir.path().join("fifo");
            rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::RUSR).unwrap();
            let started = std::time::Instant::now();
            assert!(
                read_regular_file(&fifo, 8).is_err(),
                "a FIFO, refused at once"
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
        }
    }
}
