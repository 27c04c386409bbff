//! The installer's world (Linux, bubblewrap): what the installer and everything it starts
//! (build backends, nested pips) can see and do. bubblewrap (`bwrap`, the sandbox Flatpak is
//! built on) makes new mount, PID, network, IPC, UTS, cgroup and user namespaces — the user
//! namespace as root too — and drops every capability, so `setns`, mounts and `ptrace` of
//! outside processes are impossible. In it the file system is an empty tmpfs holding only:
//!
//! * `/usr` (and the `/lib`, `/bin`... links of a merged-`/usr` system), `/proc` of the new
//!   PID namespace, a minimal `/dev`, read-only;
//! * the interpreter (the Python's base prefix and executable), uv and the helper, read-only;
//! * what the session names writable: the environment's install directories (or `--target`),
//!   the download directory, the session's own directory (the canonical requirements, the
//!   report, the installer's empty working directory), the private cache directory and the
//!   proxy's socket directory;
//! * `--allow-local` paths, read-only;
//! * a private, empty `/tmp`, which is also `HOME` and `TMPDIR`.
//!
//! Not the caller's working directory, `HOME`, `/run`, `/tmp`, `/etc`, or any socket of the
//! host. The only way out is the verifying proxy's Unix socket, reached through the helper's
//! forwarder on the network namespace's loopback ([`crate::sandbox::inside`]).

use std::path::{Path, PathBuf};

/// What the installer sees besides the system's `/usr`.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Bound read-only at the same path.
    pub read_only: Vec<PathBuf>,
    /// Bound writable at the same path.
    pub writable: Vec<PathBuf>,
    /// Staging copies (first) bound writable at the path of what they stage (second).
    pub staged: Vec<(PathBuf, PathBuf)>,
    /// The working directory inside.
    pub cwd: PathBuf,
}

/// bubblewrap, where it is.
pub fn bwrap() -> Option<PathBuf> {
    ["/usr/bin/bwrap", "/bin/bwrap"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// The fixed part of the command line: namespaces, capabilities, the system's read-only
/// parts, a private `/tmp` as `HOME` and `TMPDIR`.
fn base_args() -> Vec<String> {
    let mut a: Vec<String> = [
        "--unshare-all",
        "--unshare-user",
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        "--dir",
        "/tmp/home",
        "--setenv",
        "HOME",
        "/tmp/home",
        "--setenv",
        "TMPDIR",
        "/tmp",
    ]
    .map(str::to_owned)
    .to_vec();
    // Merged /usr: /lib, /bin... are links into it; elsewhere they are bound as they are.
    for top in ["/lib", "/lib64", "/lib32", "/bin", "/sbin"] {
        let p = Path::new(top);
        match std::fs::read_link(p) {
            Ok(target) => a.extend([
                "--symlink".to_owned(),
                target.display().to_string(),
                top.to_owned(),
            ]),
            Err(_) if p.is_dir() => {
                a.extend(["--ro-bind".to_owned(), top.to_owned(), top.to_owned()])
            }
            Err(_) => {}
        }
    }
    // The dynamic linker's cache: programs outside /usr/lib's default paths need it.
    a.extend(["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"].map(str::to_owned));
    a
}

/// The arguments binding `view`: parents before children, so a read-only file inside a
/// writable directory stays read-only.
fn view_args(view: &View) -> Vec<String> {
    let mut binds: Vec<(&Path, &Path, bool)> = view
        .read_only
        .iter()
        .map(|p| (p.as_path(), p.as_path(), false))
        .chain(
            view.writable
                .iter()
                .map(|p| (p.as_path(), p.as_path(), true)),
        )
        .chain(
            view.staged
                .iter()
                .map(|(s, d)| (s.as_path(), d.as_path(), true)),
        )
        .collect();
    binds.sort_by_key(|(_, dest, w)| (dest.components().count(), *w));
    binds.dedup();
    let mut a = Vec::new();
    for (src, dest, writable) in binds {
        let flag = if writable { "--bind" } else { "--ro-bind" };
        a.extend([
            flag.to_owned(),
            src.display().to_string(),
            dest.display().to_string(),
        ]);
    }
    a.extend(["--chdir".to_owned(), view.cwd.display().to_string()]);
    a
}

/// The full `bwrap` argument list that runs `command...` in `view`.
pub fn args(view: &View) -> Vec<String> {
    let mut a = base_args();
    a.extend(view_args(view));
    a.push("--".to_owned());
    a
}

/// Whether bubblewrap runs here with every namespace and no capabilities; if not, why.
pub fn available() -> Result<PathBuf, String> {
    if !cfg!(target_os = "linux") {
        return Err("bubblewrap is a Linux sandbox".into());
    }
    let bwrap = bwrap().ok_or("bubblewrap (bwrap) is not installed")?;
    let view = View {
        cwd: "/".into(),
        ..View::default()
    };
    let out = std::process::Command::new(&bwrap)
        .args(args(&view))
        .arg("/usr/bin/true")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|e| format!("bwrap: {e}"))?;
    if out.status.success() {
        Ok(bwrap)
    } else {
        Err(format!(
            "bubblewrap cannot make its namespaces here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn run(view: &View, script: &str) -> Option<(bool, String)> {
        let bwrap = available().ok()?;
        let out = std::process::Command::new(bwrap)
            .args(args(view))
            .args(["/bin/sh", "-c", script])
            .output()
            .unwrap();
        Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ))
    }

    #[test]
    fn only_the_view_is_there_and_no_capability_is_left() {
        let outside = tempfile::tempdir().unwrap();
        let ro = outside.path().join("ro");
        let rw = outside.path().join("rw");
        std::fs::create_dir_all(&ro).unwrap();
        std::fs::create_dir_all(&rw).unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        let staging = outside.path().join(".site.staging");
        std::fs::create_dir_all(&staging).unwrap();
        let seen_at = outside.path().join("site");
        let view = View {
            read_only: vec![ro.clone()],
            writable: vec![rw.clone()],
            staged: vec![(staging.clone(), seen_at.clone())],
            cwd: rw.clone(),
        };
        let script = format!(
            "grep CapEff /proc/self/status; ls /proc | grep -c '^[0-9]'; \
             test -e {secret} && echo SECRET; test -e /root && echo ROOT; \
             test -e /etc/passwd && echo ETC; test -e /run && echo RUN; \
             touch {ro}/x 2>/dev/null && echo RO-WRITTEN; touch {rw}/y && echo RW; \
             echo staged > {site}/s; echo $HOME $PWD",
            secret = outside.path().join("secret").display(),
            ro = ro.display(),
            rw = rw.display(),
            site = seen_at.display()
        );
        let Some((ok, out)) = run(&view, &script) else {
            eprintln!("skipped: no bubblewrap here");
            return;
        };
        assert!(ok, "{out}");
        assert!(out.contains("CapEff:\t0000000000000000"), "{out}");
        for absent in ["SECRET", "ROOT", "ETC", "RUN", "RO-WRITTEN"] {
            assert!(!out.contains(absent), "{absent}: {out}");
        }
        assert!(out.contains("RW") && rw.join("y").exists(), "{out}");
        // A staging copy is seen at the path of what it stages, and written there.
        assert_eq!(
            std::fs::read_to_string(staging.join("s")).unwrap(),
            "staged\n"
        );
        assert!(!seen_at.exists());
        assert!(
            out.contains(&format!("/tmp/home {}", rw.display())),
            "{out}"
        );
        // Its own PID namespace: a handful of processes, none of the host's.
        let pids: usize = out.lines().nth(1).unwrap().trim().parse().unwrap();
        assert!(pids < 5, "{out}");
    }
}
