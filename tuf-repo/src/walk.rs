//! The tree a sync reads: every regular file below it with its target path, size and
//! modification time, never following a symbolic link out of it.

use crate::{RepoError, Result};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// The modification time of `meta` in nanoseconds since the epoch (0 if unknown).
pub(crate) fn mtime_ns(meta: &std::fs::Metadata) -> i128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i128)
}

/// The target path of `file` below `tree` (canonical): relative, `/`-separated, UTF-8, NFC,
/// with no symbolic link anywhere on the way.
pub(crate) fn target_path(tree: &Path, file: &Path) -> Result<String> {
    let bad = |reason: &str| RepoError::BadTarget {
        path: file.display().to_string(),
        reason: reason.to_owned(),
    };
    let abs = if file.is_absolute() {
        file.to_owned()
    } else {
        tree.join(file)
    };
    let rel = abs
        .strip_prefix(tree)
        .map_err(|_| bad("not inside the tree"))?;
    let mut parts = Vec::new();
    let mut cur = tree.to_owned();
    for c in rel.components() {
        let std::path::Component::Normal(part) = c else {
            return Err(bad("`..`, `.` or a root in the path"));
        };
        let name = part.to_str().ok_or_else(|| bad("file name is not UTF-8"))?;
        cur.push(part);
        let meta = std::fs::symlink_metadata(&cur).map_err(|e| RepoError::io(&cur, e))?;
        if meta.file_type().is_symlink() {
            return Err(bad(
                "symbolic links are not followed (they could escape the tree)",
            ));
        }
        parts.push(name.nfc().collect::<String>());
    }
    if !std::fs::symlink_metadata(&cur)
        .map(|m| m.is_file())
        .unwrap_or(false)
    {
        return Err(bad("not a regular file"));
    }
    Ok(parts.join("/"))
}

/// A regular file found by [`walk`].
pub(crate) struct Walked {
    /// Its path on disk.
    pub(crate) path: PathBuf,
    /// Its target path (see [`target_path`]).
    pub(crate) target: String,
    /// Its size.
    pub(crate) length: u64,
    /// Its modification time ([`mtime_ns`]).
    pub(crate) mtime_ns: i128,
}

/// Every regular file below `tree` (canonical) with its target path, size and modification
/// time; symbolic links and non-UTF-8 names are refused. Directories of one level are read in
/// parallel; the walk never follows a link (it uses each entry's own type), so no file found
/// here lies outside the tree.
pub(crate) fn walk(tree: &Path) -> Result<Vec<Walked>> {
    let mut out = Vec::new();
    let mut level = vec![(tree.to_owned(), String::new())];
    while !level.is_empty() {
        let read: Vec<Listing> = level
            .par_iter()
            .map(|(dir, prefix)| read_dir_entries(dir, prefix))
            .collect::<Result<_>>()?;
        level = Vec::new();
        for (files, dirs) in read {
            out.extend(files);
            level.extend(dirs);
        }
    }
    out.sort_unstable_by(|a, b| a.target.cmp(&b.target));
    Ok(out)
}

/// What [`read_dir_entries`] finds in one directory: its regular files, and its
/// subdirectories with their target path prefixes.
type Listing = (Vec<Walked>, Vec<(PathBuf, String)>);

/// One directory of [`walk`].
fn read_dir_entries(dir: &Path, prefix: &str) -> Result<Listing> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| RepoError::io(dir, e))? {
        let e = e.map_err(|e| RepoError::io(dir, e))?;
        let path = e.path();
        let ft = e.file_type().map_err(|err| RepoError::io(&path, err))?;
        let bad = |reason: &str| RepoError::BadTarget {
            path: path.display().to_string(),
            reason: reason.to_owned(),
        };
        if ft.is_symlink() {
            return Err(bad(
                "symbolic links are not followed (they could escape the tree)",
            ));
        }
        let name = e.file_name();
        let name = name.to_str().ok_or_else(|| bad("file name is not UTF-8"))?;
        let target = format!("{prefix}{}", name.nfc().collect::<String>());
        if ft.is_dir() {
            dirs.push((path, format!("{target}/")));
        } else if ft.is_file() {
            let meta = e.metadata().map_err(|err| RepoError::io(&path, err))?;
            files.push(Walked {
                length: meta.len(),
                mtime_ns: mtime_ns(&meta),
                path,
                target,
            });
        }
    }
    Ok((files, dirs))
}
