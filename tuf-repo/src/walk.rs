//! The tree a sync reads: every regular file below it with its target path, size and
//! modification time, never following a symbolic link out of it. A symbolic link to a regular
//! file inside the tree (bandersnatch's `keep_index_versions` makes each `index.html` one, to
//! `versions/index_<serial>_<time>.html`) is read as the file it resolves to.

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

/// The regular file the symbolic link `link` resolves to, if it lies inside `tree`
/// (canonical); otherwise why not.
pub(crate) fn link_inside(tree: &Path, link: &Path) -> std::result::Result<PathBuf, &'static str> {
    let resolved =
        std::fs::canonicalize(link).map_err(|_| "a symbolic link that resolves nowhere")?;
    if !resolved.starts_with(tree) {
        return Err("a symbolic link out of the tree is not followed");
    }
    match std::fs::symlink_metadata(&resolved) {
        Ok(m) if m.is_file() => Ok(resolved),
        _ => Err("a symbolic link to something other than a regular file is not followed"),
    }
}

/// The target path of `file` below `tree` (canonical): relative, `/`-separated, UTF-8, NFC,
/// with no symbolic link on the way, and the file it names: `file` itself, or, where its last
/// component is a symbolic link, the regular file inside the tree it resolves to
/// ([`link_inside`]).
pub(crate) fn target_path(tree: &Path, file: &Path) -> Result<(String, PathBuf)> {
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
    let count = rel.components().count();
    let mut resolved = None;
    for (i, c) in rel.components().enumerate() {
        let std::path::Component::Normal(part) = c else {
            return Err(bad("`..`, `.` or a root in the path"));
        };
        let name = part.to_str().ok_or_else(|| bad("file name is not UTF-8"))?;
        cur.push(part);
        let meta = std::fs::symlink_metadata(&cur).map_err(|e| RepoError::io(&cur, e))?;
        if meta.file_type().is_symlink() {
            if i + 1 < count {
                return Err(bad(
                    "a symbolic link to a directory is not followed (it could escape the tree)",
                ));
            }
            resolved = Some(link_inside(tree, &cur).map_err(bad)?);
        }
        parts.push(name.nfc().collect::<String>());
    }
    let file = resolved.unwrap_or(cur);
    if !std::fs::symlink_metadata(&file)
        .map(|m| m.is_file())
        .unwrap_or(false)
    {
        return Err(bad("not a regular file"));
    }
    Ok((parts.join("/"), file))
}

/// A regular file found by [`walk`].
pub(crate) struct Walked {
    /// Its path on disk.
    pub(crate) path: PathBuf,
    /// Its target path (see [`target_path`]).
    pub(crate) target: String,
}

/// Every regular file below `tree` (canonical) with its target path; symbolic links out of
/// the tree and non-UTF-8 names are refused. Directories of one level are read in parallel;
/// the walk never follows a link (it uses each entry's own type), so no file found here lies
/// outside the tree. Nothing is asked of a file but its type (no `stat`): its size and time
/// are taken when it is read, or when a sync asks whether it changed.
pub(crate) fn walk(tree: &Path) -> Result<Vec<Walked>> {
    let mut out = Vec::new();
    let mut level = vec![(tree.to_owned(), String::new())];
    while !level.is_empty() {
        let read: Vec<Listing> = level
            .par_iter()
            .map(|(dir, prefix)| read_dir_entries(tree, dir, prefix))
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

/// One directory of [`walk`] (below `tree`, canonical).
fn read_dir_entries(tree: &Path, dir: &Path, prefix: &str) -> Result<Listing> {
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
        let name = e.file_name();
        let name = name.to_str().ok_or_else(|| bad("file name is not UTF-8"))?;
        let target = format!("{prefix}{}", name.nfc().collect::<String>());
        if ft.is_symlink() {
            let resolved = link_inside(tree, &path).map_err(bad)?;
            files.push(Walked {
                path: resolved,
                target,
            });
        } else if ft.is_dir() {
            dirs.push((path, format!("{target}/")));
        } else if ft.is_file() {
            files.push(Walked { path, target });
        }
    }
    Ok((files, dirs))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_are_followed_only_to_regular_files_inside_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        let page = tree.join("simple/black/versions/index_7_20261205T000000Z.html");
        std::fs::create_dir_all(page.parent().unwrap()).unwrap();
        std::fs::write(&page, "page 7").unwrap();
        // As bandersnatch's keep_index_versions makes it: an absolute link.
        symlink(&page, tree.join("simple/black/index.html")).unwrap();
        let tree = tree.canonicalize().unwrap();
        let walked = walk(&tree).unwrap();
        let index = walked
            .iter()
            .find(|w| w.target == "simple/black/index.html")
            .unwrap();
        assert_eq!(index.path, page.canonicalize().unwrap());
        let (target, file) = target_path(&tree, &tree.join("simple/black/index.html")).unwrap();
        assert_eq!(
            (target.as_str(), file),
            ("simple/black/index.html", index.path.clone())
        );

        // Out of the tree, to a directory, through a linked directory, dangling: refused.
        let outside = dir.path().join("secret");
        std::fs::write(&outside, "secret").unwrap();
        for (name, to) in [
            ("out.html", outside.clone()),
            ("dir.html", tree.join("simple")),
            ("gone.html", tree.join("nothing")),
        ] {
            let link = tree.join("simple/black").join(name);
            symlink(&to, &link).unwrap();
            assert!(walk(&tree).is_err(), "{name}");
            assert!(target_path(&tree, &link).is_err(), "{name}");
            std::fs::remove_file(&link).unwrap();
        }
        symlink(tree.join("simple/black"), tree.join("simple/alias")).unwrap();
        assert!(walk(&tree).is_err(), "a linked directory");
        assert!(
            target_path(
                &tree,
                &tree.join("simple/alias/versions/index_7_20261205T000000Z.html")
            )
            .is_err()
        );
    }
}
