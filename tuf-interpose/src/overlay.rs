//! Staging without copying (Linux): the installer's view of a directory is a kernel overlay
//! whose lower layer is the directory itself (never written: the kernel copies a file up
//! before any change) and whose upper layer, beside it, collects what the run changed. After
//! the run the new tree is made from hard links to the directory's files plus the upper
//! layer's changes ([`materialize`]), so staging costs in proportion to what changed, not to
//! the size of the environment. The overlay is mounted by util-linux's `unshare` (a user and
//! mount namespace of the run's own) and `mount`, in front of bubblewrap, which then binds
//! the merged view at the directory's path ([`crate::world`]).

use std::path::{Path, PathBuf};

/// The upper and work layers and the mount point of one overlaid directory, in a hidden
/// directory beside it (same file system, so that the upper layer's files can be renamed
/// into the new tree).
#[derive(Debug)]
pub struct Layer {
    /// The hidden directory holding the three below.
    pub root: PathBuf,
    /// What the run changed: new and changed files, whiteouts for removed ones.
    pub upper: PathBuf,
    work: PathBuf,
    /// The merged view (a mount point; mounted only inside the run's namespace).
    pub merged: PathBuf,
}

impl Layer {
    /// Makes the layers in `root` (made if missing; beside the directory they overlay).
    pub fn new(root: PathBuf) -> std::io::Result<Layer> {
        std::fs::create_dir_all(&root)?;
        let layer = Layer {
            upper: root.join("upper"),
            work: root.join("work"),
            merged: root.join("merged"),
            root,
        };
        for d in [&layer.upper, &layer.work, &layer.merged] {
            std::fs::create_dir(d)?;
        }
        Ok(layer)
    }

    /// The `mount -o` options overlaying `dest`; `None` when a path holds a character that
    /// the option syntax gives a meaning (`,`, `:`, `\`) or any whitespace.
    pub fn options(&self, dest: &Path) -> Option<String> {
        let paths = [dest, &self.upper, &self.work];
        let bad = |p: &Path| {
            p.to_str()
                .is_none_or(|s| s.contains([',', ':', '\\']) || s.contains(char::is_whitespace))
        };
        if paths.iter().any(|p| bad(p)) {
            return None;
        }
        Some(format!(
            "lowerdir={},upperdir={},workdir={},userxattr",
            dest.display(),
            self.upper.display(),
            self.work.display()
        ))
    }

    /// Removes the layers (the work directory's inner directory has no permissions).
    pub fn remove(&self) {
        Layer::remove_tree(&self.root);
    }

    /// Removes a tree of layers, making its directories writable where needed.
    pub fn remove_tree(root: &Path) {
        if std::fs::remove_dir_all(root).is_err() {
            let _ = make_writable(root);
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

fn make_writable(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    for e in std::fs::read_dir(dir)?.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = make_writable(&e.path());
        }
    }
    Ok(())
}

/// util-linux's `unshare` and `mount`, and a POSIX shell, where they are.
fn tools() -> Option<[PathBuf; 3]> {
    let find = |names: &[&str]| names.iter().map(PathBuf::from).find(|p| p.is_file());
    Some([
        find(&["/usr/bin/unshare", "/bin/unshare"])?,
        find(&["/usr/bin/mount", "/bin/mount"])?,
        find(&["/bin/sh", "/usr/bin/sh"])?,
    ])
}

/// A mount made for a run, in its own mount namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// An overlay with these `mount -o` options ([`Layer::options`]) at this mount point.
    Overlay(String, PathBuf),
    /// The first directory bound at the path of the second.
    Bind(PathBuf, PathBuf),
}

/// The shell script that makes each mount (`overlay OPTIONS DIR` or `bind FROM TO`, up to
/// `--`) and then runs the rest of its arguments; any failed mount ends it with 125.
const SCRIPT: &str = "m=$1; shift; while [ \"$1\" != -- ]; do case \"$1\" in overlay) \"$m\" -t overlay overlay -o \"$2\" \"$3\" || exit 125;; bind) \"$m\" --bind \"$2\" \"$3\" || exit 125;; *) exit 125;; esac; shift 3; done; shift; exec \"$@\"";

/// The command prefix that runs a program with `mounts` made in new namespaces
/// (`namespaces`: `unshare` flags, a mount namespace among them): `unshare NAMESPACES -- sh -c
/// SCRIPT sh MOUNT ... --`, to be followed by the program and its arguments.
pub fn prefix(namespaces: &[&str], mounts: &[Mount]) -> Option<Vec<std::ffi::OsString>> {
    let [unshare, mount, sh] = tools()?;
    let mut a: Vec<std::ffi::OsString> = vec![unshare.into()];
    a.extend(namespaces.iter().map(Into::into));
    a.extend(
        [
            "--".into(),
            sh.into(),
            "-c".into(),
            SCRIPT.into(),
            "sh".into(),
            mount.into(),
        ]
        .into_iter()
        .map(|x: std::ffi::OsString| x),
    );
    for m in mounts {
        let (kind, x, y): (&str, std::ffi::OsString, std::ffi::OsString) = match m {
            Mount::Overlay(options, dir) => ("overlay", options.into(), dir.into()),
            Mount::Bind(from, to) => ("bind", from.into(), to.into()),
        };
        a.extend([kind.into(), x, y]);
    }
    a.push("--".into());
    Some(a)
}

/// The namespaces for mounting overlays in front of bubblewrap: a user namespace (mapped to
/// the caller) and a mount namespace.
pub const USER_MOUNT: &[&str] = &["--user", "--map-root-user", "--mount"];

/// Whether overlays can be mounted this way here (a trial mount in a temporary directory).
pub fn available() -> bool {
    if !cfg!(target_os = "linux") {
        return false;
    }
    let Ok(dir) = tempfile::tempdir() else {
        return false;
    };
    let lower = dir.path().join("lower");
    let Ok(layer) = std::fs::create_dir(&lower).and_then(|()| Layer::new(dir.path().join("l")))
    else {
        return false;
    };
    let Some(options) = layer.options(&lower) else {
        return false;
    };
    let Some(mut args) = prefix(USER_MOUNT, &[Mount::Overlay(options, layer.merged.clone())])
    else {
        return false;
    };
    args.push("/usr/bin/true".into());
    let ok = std::process::Command::new(&args[0])
        .args(&args[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    layer.remove();
    ok
}

/// Whether `path` (in an upper layer) is a whiteout: a character device 0:0.
fn is_whiteout(m: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        m.file_type().is_char_device() && m.rdev() == 0
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        false
    }
}

/// Whether directory `path` of an upper layer is opaque (it replaced a removed directory).
fn is_opaque(path: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        let mut buf = [0u8; 4];
        matches!(
            rustix::fs::lgetxattr(path, "user.overlay.opaque", &mut buf),
            Ok(1) if buf[0] == b'y'
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        false
    }
}

/// Builds in `into` (an existing, empty directory) the tree the installer saw: hard links to
/// every file of `dest` (directories made anew with their permissions, symbolic links copied),
/// then the upper layer applied — whiteouts remove, opaque directories replace, files and
/// links move in (renamed out of the upper layer).
pub fn materialize(dest: &Path, upper: &Path, into: &Path) -> std::io::Result<()> {
    crate::stage::clone_tree(dest, into, &|from, to| std::fs::hard_link(from, to))?;
    apply(upper, into)
}

fn apply(upper: &Path, into: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(upper)? {
        let entry = entry?;
        let (from, to) = (entry.path(), into.join(entry.file_name()));
        let m = std::fs::symlink_metadata(&from)?;
        let existing = std::fs::symlink_metadata(&to).ok();
        let remove_existing = |to: &Path| match &existing {
            Some(e) if e.is_dir() => std::fs::remove_dir_all(to),
            Some(_) => std::fs::remove_file(to),
            None => Ok(()),
        };
        if is_whiteout(&m) {
            remove_existing(&to)?;
        } else if m.is_dir() {
            if is_opaque(&from) || existing.as_ref().is_some_and(|e| !e.is_dir()) {
                remove_existing(&to)?;
            }
            if !to.is_dir() {
                std::fs::create_dir(&to)?;
            }
            apply(&from, &to)?;
            std::fs::set_permissions(&to, m.permissions())?;
        } else {
            remove_existing(&to)?;
            std::fs::rename(&from, &to)?;
        }
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_new_tree_is_the_old_one_with_the_runs_changes_and_the_old_is_untouched() {
        if !available() {
            eprintln!("skipped: no overlay mounts here");
            return;
        }
        let work = tempfile::tempdir().unwrap();
        let dest = work.path().join("site");
        std::fs::create_dir_all(dest.join("old/sub")).unwrap();
        std::fs::create_dir_all(dest.join("keep")).unwrap();
        std::fs::write(dest.join("old/sub/x.py"), "x").unwrap();
        std::fs::write(dest.join("keep/a.py"), "a").unwrap();
        std::fs::write(dest.join("keep/b.py"), "b").unwrap();
        let layer = Layer::new(work.path().join("layer")).unwrap();
        let options = layer.options(&dest).unwrap();
        let mut args =
            prefix(USER_MOUNT, &[Mount::Overlay(options, layer.merged.clone())]).unwrap();
        let m = layer.merged.display();
        // What an installer does: removes a package, replaces another, adds one, changes a
        // file in place (copied up first, so the original stays).
        args.extend(
            [
                "/bin/sh".to_owned(),
                "-c".to_owned(),
                format!(
                    "rm -r {m}/old && rm {m}/keep/b.py && echo new > {m}/new.py && \
                     echo changed > {m}/keep/a.py && mkdir {m}/old && echo again > {m}/old/y.py"
                ),
            ]
            .map(Into::into),
        );
        let status = std::process::Command::new(&args[0])
            .args(&args[1..])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(
            std::fs::read_to_string(dest.join("keep/a.py")).unwrap(),
            "a"
        );
        assert!(dest.join("old/sub/x.py").exists() && dest.join("keep/b.py").exists());
        let into = work.path().join("new");
        std::fs::create_dir(&into).unwrap();
        materialize(&dest, &layer.upper, &into).unwrap();
        let read = |p: &str| std::fs::read_to_string(into.join(p)).ok();
        assert_eq!(read("keep/a.py").as_deref(), Some("changed\n"));
        assert_eq!(read("keep/b.py"), None);
        assert_eq!(read("new.py").as_deref(), Some("new\n"));
        assert_eq!(read("old/y.py").as_deref(), Some("again\n"));
        assert!(
            !into.join("old/sub").exists(),
            "an opaque directory replaces the old one"
        );
        // The original is as it was.
        assert_eq!(
            std::fs::read_to_string(dest.join("keep/a.py")).unwrap(),
            "a"
        );
        layer.remove();
        assert!(!layer.root.exists());
    }
}
