//! Staging: the installer writes into a copy of each directory it may change, and the copy
//! replaces the directory only after the proof ([`crate::proof`]) has passed. A refused or
//! interrupted run leaves every directory exactly as it was.
//!
//! The copy is a sibling of the directory (same file system), so that the swap is one
//! `renameat2(RENAME_EXCHANGE)` on Linux: the directory's path holds the old tree or the
//! new one, never neither or a mix. Elsewhere the swap is two renames (the old tree moved
//! aside, the new one moved in). A directory that did not exist is staged empty and renamed
//! into place on commit, so a refusal leaves it absent. In the sandbox the copy is bound at
//! the directory's own path ([`crate::world`]), so that shebangs and `RECORD` paths come out
//! right.

use std::path::{Path, PathBuf};

/// One directory under staging.
#[derive(Debug)]
pub struct Stage {
    dest: PathBuf,
    staging: PathBuf,
    existed: bool,
    done: bool,
    /// Held from the copy to the commit or the drop: another run staging the same directory
    /// waits, so that neither's result is lost under the other's.
    _lock: std::fs::File,
    /// Overlay staging ([`crate::overlay`]): the layers, until [`Stage::materialize`].
    layer: Option<crate::overlay::Layer>,
}

/// Takes the exclusive lock of staging `dest` (a lock file named by a digest of its path in
/// this user's lock directory, [`lock_dir`]), waiting for any other holder. Holding it, removes what
/// an earlier run killed mid-way left beside `dest` (its staging copy or overlay layers): no
/// live run can be using them, since each holds this lock until it ends, and the system
/// releases the lock of a killed one.
fn lock(dest: &Path) -> std::io::Result<std::fs::File> {
    let file = take_lock(dest)?;
    if let (Some(parent), Some(name)) = (dest.parent(), dest.file_name()) {
        let name = name.to_string_lossy();
        let leftovers = [
            format!(".{name}.tuf-staging-"),
            format!(".{name}.tuf-overlay-"),
            format!(".{name}.tuf-old-"),
        ];
        for e in std::fs::read_dir(parent)?.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if leftovers.iter().any(|p| n.starts_with(p.as_str())) {
                let path = e.path();
                if std::fs::remove_dir_all(&path).is_err() {
                    crate::overlay::Layer::remove_tree(&path);
                }
            }
        }
    }
    Ok(file)
}

fn take_lock(dest: &Path) -> std::io::Result<std::fs::File> {
    use sha2::Digest;
    // Not beside `dest`: a refused run must leave its parent as it was too.
    let key = hex::encode(sha2::Sha256::digest(dest.as_os_str().as_encoded_bytes()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_dir()?.join(format!("{}.lock", &key[..32])))?;
    file.lock()?;
    Ok(file)
}

/// This user's directory of staging locks: `tuf-rs-UID/locks` in the system's temporary
/// directory, made private; refused if another user owns it or it is a symbolic link.
fn lock_dir() -> std::io::Result<PathBuf> {
    #[cfg(unix)]
    let (top, uid) = {
        let uid = rustix::process::getuid().as_raw();
        (std::env::temp_dir().join(format!("tuf-rs-{uid}")), uid)
    };
    #[cfg(not(unix))]
    let top = std::env::temp_dir().join("tuf-rs");
    match std::fs::create_dir(&top) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let m = std::fs::symlink_metadata(&top)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if !m.is_dir() || m.uid() != uid {
            return Err(std::io::Error::other(format!(
                "{} is not a directory of this user's",
                top.display()
            )));
        }
        std::fs::set_permissions(&top, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    if !m.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} is not a directory",
            top.display()
        )));
    }
    let dir = top.join("locks");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A new, empty, uniquely named directory beside `dest` (hidden, naming `dest` and `what`).
fn sibling(dest: &Path, what: &str) -> std::io::Result<PathBuf> {
    let parent = dest.parent().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no parent directory")
    })?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(tempfile::Builder::new()
        .prefix(&format!(".{name}.tuf-{what}-"))
        .tempdir_in(parent)?
        .keep())
}

impl Stage {
    /// Stages `dest`: a copy of its tree (files, directories, symbolic links, permissions and
    /// modification times) beside it, or an empty directory if it does not exist yet; waits while
    /// another run stages the same directory.
    pub fn new(dest: &Path) -> std::io::Result<Stage> {
        let parent = dest.parent().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "no parent directory")
        })?;
        std::fs::create_dir_all(parent)?;
        let lock = lock(dest)?;
        let staging = sibling(dest, "staging")?;
        let existed = match std::fs::symlink_metadata(dest) {
            Ok(m) if m.is_dir() => true,
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "{} is not a directory",
                    dest.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        let stage = Stage {
            dest: dest.to_owned(),
            staging,
            existed,
            done: false,
            _lock: lock,
            layer: None,
        };
        if existed {
            copy_into(dest, &stage.staging)?;
        }
        Ok(stage)
    }

    /// Stages the existing directory `dest` without copying it: the installer is to see the
    /// overlay [`Stage::mount`] describes, and [`Stage::materialize`] makes the staged tree
    /// after the run. Falls back to [`Stage::new`] where `dest` does not exist or its path
    /// cannot be given to `mount`.
    pub fn overlaid(dest: &Path) -> std::io::Result<Stage> {
        if !dest.is_dir() {
            return Stage::new(dest);
        }
        let lock = lock(dest)?;
        let layer = crate::overlay::Layer::new(sibling(dest, "overlay")?)?;
        if layer.options(dest).is_none() {
            layer.remove();
            drop(lock);
            return Stage::new(dest);
        }
        Ok(Stage {
            dest: dest.to_owned(),
            staging: sibling(dest, "staging")?,
            existed: true,
            done: false,
            _lock: lock,
            layer: Some(layer),
        })
    }

    /// What the installer is to see at [`Stage::dest`]: the overlay's merged view, or the
    /// staging copy.
    pub fn seen(&self) -> &Path {
        self.layer.as_ref().map_or(&self.staging, |l| &l.merged)
    }

    /// The overlay to mount for the run, if any.
    pub fn mount(&self) -> Option<crate::overlay::Mount> {
        let layer = self.layer.as_ref()?;
        Some(crate::overlay::Mount::Overlay(
            layer.options(&self.dest)?,
            layer.merged.clone(),
        ))
    }

    /// After the run: makes the staged tree at [`Stage::staging`] from the directory and the
    /// overlay's upper layer (nothing to do for a copy).
    pub fn materialize(&mut self) -> std::io::Result<()> {
        if let Some(layer) = self.layer.take() {
            let made = crate::overlay::materialize(&self.dest, &layer.upper, &self.staging);
            layer.remove();
            made?;
        }
        Ok(())
    }

    /// The directory the installer changes.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Its staging copy.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Puts the staged tree in place of the directory and removes the old tree.
    pub fn commit(mut self) -> std::io::Result<()> {
        if self.existed {
            let old = exchange(&self.staging, &self.dest)?;
            self.done = true;
            // The old tree now sits at the staging path (or at `old`).
            let _ = std::fs::remove_dir_all(old.as_deref().unwrap_or(&self.staging));
        } else {
            std::fs::rename(&self.staging, &self.dest)?;
            self.done = true;
        }
        if let Some(parent) = self.dest.parent() {
            tuf_fs::sync_dir(parent)?;
        }
        Ok(())
    }
}

impl Drop for Stage {
    /// Not committed: the staging copy is removed, the directory never touched.
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
        if let Some(layer) = &self.layer {
            layer.remove();
        }
    }
}

/// Swaps `staging` and `dest` atomically where the system can (Linux); elsewhere moves
/// `dest` aside and `staging` in, and returns where the old tree went.
fn exchange(staging: &Path, dest: &Path) -> std::io::Result<Option<PathBuf>> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staging, CWD, dest, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(None),
            // A file system without RENAME_EXCHANGE: the two renames below.
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    let old = sibling(dest, "old")?;
    std::fs::remove_dir(&old)?;
    std::fs::rename(dest, &old)?;
    if let Err(e) = std::fs::rename(staging, dest) {
        let _ = std::fs::rename(&old, dest);
        return Err(e);
    }
    Ok(Some(old))
}

/// Replaces the file at `path` by `bytes` atomically (a new file beside it, with the old one's
/// permissions, renamed over it).
pub(crate) fn rewrite(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "no parent directory")
    })?;
    let permissions = std::fs::metadata(path)?.permissions();
    let mut new = tempfile::NamedTempFile::new_in(dir)?;
    new.write_all(bytes)?;
    new.as_file().set_permissions(permissions)?;
    new.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Copies the tree at `src` into the existing, empty directory `dst`: directories and files
/// with their permissions and modification times, symbolic links as links.
pub fn copy_into(src: &Path, dst: &Path) -> std::io::Result<()> {
    clone_tree(src, dst, &|from, to| {
        std::fs::copy(from, to)?;
        let modified = std::fs::symlink_metadata(from)?.modified()?;
        std::fs::File::options()
            .write(true)
            .open(to)?
            .set_modified(modified)
    })
}

/// Recreates the tree at `src` in the existing, empty directory `dst`: directories with their
/// permissions, symbolic links as links, and each regular file by `file(from, to)`. Sockets,
/// FIFOs and devices are left out: no installer writes them.
pub(crate) fn clone_tree(
    src: &Path,
    dst: &Path,
    file: &dyn Fn(&Path, &Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(src)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            std::fs::create_dir(&to)?;
            clone_tree(&from, &to, file)?;
        } else if kind.is_symlink() {
            link(&std::fs::read_link(&from)?, &to)?;
        } else if kind.is_file() {
            file(&from, &to)?;
        }
    }
    std::fs::set_permissions(dst, meta.permissions())
}

/// A symbolic link at `at` to `target`.
#[cfg(unix)]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

/// A symbolic link at `at` to `target`.
#[cfg(windows)]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for e in walk(dir) {
            let rel = e.strip_prefix(dir).unwrap().display().to_string();
            out.push((rel, std::fs::read(&e).unwrap_or_default()));
        }
        out.sort();
        out
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(&p));
            }
            out.push(p);
        }
        out
    }

    #[test]
    fn an_uncommitted_stage_leaves_the_directory_as_it_was() {
        let work = tempfile::tempdir().unwrap();
        let site = work.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(site.join("pkg/a.py"), "a").unwrap();
        let before = tree(&site);
        {
            let s = Stage::new(&site).unwrap();
            assert_eq!(tree(s.staging()), before);
            std::fs::write(s.staging().join("pkg/a.py"), "changed").unwrap();
            std::fs::write(s.staging().join("evil.pth"), "import evil").unwrap();
        }
        assert_eq!(tree(&site), before);
        let left: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["site"], "staging left behind");
        // A directory that did not exist stays absent.
        let new = work.path().join("new");
        drop(Stage::new(&new).unwrap());
        assert!(!new.exists());
    }

    #[test]
    fn a_committed_stage_replaces_the_directory_whole() {
        let work = tempfile::tempdir().unwrap();
        let site = work.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        std::fs::write(site.join("old.py"), "old").unwrap();
        let s = Stage::new(&site).unwrap();
        std::fs::remove_file(s.staging().join("old.py")).unwrap();
        std::fs::write(s.staging().join("new.py"), "new").unwrap();
        s.commit().unwrap();
        assert_eq!(tree(&site), [("new.py".to_owned(), b"new".to_vec())]);
        assert_eq!(
            std::fs::read_dir(work.path()).unwrap().count(),
            1,
            "site alone"
        );
        let new = work.path().join("fresh");
        let s = Stage::new(&new).unwrap();
        std::fs::write(s.staging().join("x"), "x").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(new.join("x")).unwrap(), b"x");
    }

    #[test]
    fn what_a_killed_run_left_is_removed_by_the_next() {
        let work = tempfile::tempdir().unwrap();
        let site = work.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        let stale = work.path().join(".site.tuf-staging-abc123");
        std::fs::create_dir_all(stale.join("pkg")).unwrap();
        let other = work.path().join(".other.tuf-staging-abc123");
        std::fs::create_dir_all(&other).unwrap();
        let s = Stage::new(&site).unwrap();
        assert!(!stale.exists(), "the leftover stayed");
        assert!(other.exists(), "another directory's staging was removed");
        drop(s);
    }

    #[test]
    fn a_second_run_on_the_same_directory_waits_for_the_first() {
        let work = tempfile::tempdir().unwrap();
        let site = work.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        let first = Stage::new(&site).unwrap();
        std::fs::write(first.staging().join("a"), "a").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let site2 = site.clone();
        let second = std::thread::spawn(move || {
            let s = Stage::new(&site2).unwrap();
            tx.send(()).unwrap();
            // It starts from what the first committed.
            assert!(s.staging().join("a").exists());
            std::fs::write(s.staging().join("b"), "b").unwrap();
            s.commit().unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the second run did not wait"
        );
        first.commit().unwrap();
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap();
        second.join().unwrap();
        assert!(site.join("a").exists() && site.join("b").exists());
    }
}
