//! The sandbox (Linux): the installer runs in a network namespace of its own, whose only
//! interface is a loopback with nothing on it but a forwarder to the verifying proxy; with
//! bubblewrap ([`Confinement::Full`], [`crate::world`]) also in new mount, PID, IPC and user
//! namespaces without capabilities, seeing only the file system the session lists. Without
//! bubblewrap ([`Confinement::NetworkOnly`]) only the network is confined, as described next.
//! Even arbitrary code in an sdist's build backend then reaches nothing but the proxy: a
//! socket to any other address, loopback included, finds no route or no listener.
//!
//! How: util-linux's `unshare --net` (with `--user --map-root-user` when not root: the
//! helper needs the namespace's root to bring its loopback up, and the installer runs as
//! that user, which is the caller outside)
//! starts a helper executable inside the new namespace — any program that calls
//! [`inside`] (tuf-cli's hidden `sandbox-inside` command). The helper brings the
//! namespace's loopback up (`ip link set lo up`), listens on `127.0.0.1:PORT` — the same
//! port as the proxy outside, so URLs are the same on both sides — and copies each
//! connection to the proxy's Unix socket, which a file system path reaches across network
//! namespaces. Then it runs the installer and returns its exit status.
//!
//! No `unsafe` here: the namespace is made by the system tool.

use crate::InterposeError;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// util-linux's `unshare`, where it is.
fn unshare() -> Option<PathBuf> {
    ["/usr/bin/unshare", "/bin/unshare"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// `ip` (iproute2), where it is.
fn ip() -> Option<PathBuf> {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    #[cfg(unix)]
    {
        rustix::process::geteuid().is_root()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// The `unshare` arguments: a new network namespace (and a user namespace when not root).
fn unshare_args() -> Vec<&'static str> {
    if is_root() {
        vec!["--net", "--"]
    } else {
        vec!["--user", "--map-root-user", "--net", "--"]
    }
}

/// How much of the installer's world a sandbox confines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confinement {
    /// bubblewrap: every namespace, no capabilities, only the listed paths ([`crate::world`]).
    Full(PathBuf),
    /// `unshare --net` only: the network is confined, the file system and the host's Unix
    /// sockets are not (and as root the installer keeps its capabilities).
    NetworkOnly,
}

/// A sandbox the session runs the installer in.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The helper executable that runs [`inside`] (tuf-cli passes itself).
    pub helper: PathBuf,
    /// How much it confines.
    pub confinement: Confinement,
}

/// The best sandbox this system allows: [`Confinement::Full`] where bubblewrap works, else
/// [`Confinement::NetworkOnly`] with the reason bubblewrap did not; an error saying why where
/// neither works.
pub fn best() -> Result<(Confinement, Option<String>), String> {
    match crate::world::available() {
        Ok(bwrap) => Ok((Confinement::Full(bwrap), None)),
        Err(no_bwrap) => match network_only() {
            Ok(()) => Ok((Confinement::NetworkOnly, Some(no_bwrap))),
            Err(no_net) => Err(format!("{no_bwrap}; {no_net}")),
        },
    }
}

/// Whether a network-only sandbox can be made here; if not, why.
pub fn network_only() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err("network namespaces are a Linux feature".into());
    }
    let unshare = unshare().ok_or("util-linux's unshare is not installed")?;
    let ip = ip().ok_or("iproute2's ip is not installed")?;
    let status = std::process::Command::new(unshare)
        .args(unshare_args())
        .arg(ip)
        .args(["link", "set", "lo", "up"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("unshare: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("this system does not allow a new network namespace (unshare --net failed)".into())
    }
}

/// The command that runs `program args` in `sandbox` through its helper (`helper
/// sandbox-inside --socket SOCKET --port PORT -- program args`): in the world `view` with
/// bubblewrap (after mounting `mounts`, overlays as [`crate::overlay::prefix`] makes them),
/// else in a new network namespace only.
pub fn command(
    sandbox: &Sandbox,
    view: &crate::world::View,
    mounts: &[crate::overlay::Mount],
    socket: &Path,
    port: u16,
    program: &Path,
) -> Result<tokio::process::Command, InterposeError> {
    let mut c = match &sandbox.confinement {
        // Overlays first, in a namespace of the run's own ([`crate::overlay`]).
        Confinement::Full(bwrap) if !mounts.is_empty() => {
            let prefix =
                crate::overlay::prefix(crate::overlay::USER_MOUNT, mounts).ok_or_else(|| {
                    InterposeError::Proxy("sandbox: unshare, mount or sh is not installed".into())
                })?;
            let mut c = crate::installer::with_parent_death_signal(Path::new(&prefix[0]));
            c.args(&prefix[1..])
                .arg(bwrap)
                .args(crate::world::args(view));
            c
        }
        Confinement::Full(bwrap) => {
            let mut c = crate::installer::with_parent_death_signal(bwrap);
            c.args(crate::world::args(view));
            c
        }
        // Staged directories bound at their own paths, in a mount namespace of the run's.
        Confinement::NetworkOnly if !mounts.is_empty() => {
            let mut namespaces = unshare_args();
            namespaces.pop(); // "--"
            namespaces.push("--mount");
            let prefix = crate::overlay::prefix(&namespaces, mounts).ok_or_else(|| {
                InterposeError::Proxy("sandbox: unshare, mount or sh is not installed".into())
            })?;
            let mut c = crate::installer::with_parent_death_signal(Path::new(&prefix[0]));
            c.args(&prefix[1..]);
            c
        }
        Confinement::NetworkOnly => {
            let unshare = unshare()
                .ok_or_else(|| InterposeError::Proxy("sandbox: unshare is not installed".into()))?;
            let mut c = crate::installer::with_parent_death_signal(&unshare);
            c.args(unshare_args());
            c
        }
    };
    c.arg(&sandbox.helper)
        .arg("sandbox-inside")
        .arg("--socket")
        .arg(socket)
        .arg("--port")
        .arg(port.to_string())
        .arg("--")
        .arg(program);
    Ok(c)
}

/// The helper's work inside the namespace: loopback up, the forwarder on
/// `127.0.0.1:port` to `socket`, then `program args` run to its end; returns its exit
/// status.
#[cfg(unix)]
pub async fn inside(
    socket: PathBuf,
    port: u16,
    program: PathBuf,
    args: Vec<std::ffi::OsString>,
) -> Result<i32, InterposeError> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        InterposeError::Proxy(format!("sandbox: {what}: {e}"))
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| fail("listen", &e))?;
    // `unshare --net` leaves the loopback down (a connection to it is "unreachable"): `ip`
    // brings it up. Bubblewrap brings it up itself and leaves no capability to do it, so
    // there the trial connection (accepted and dropped here) saves running `ip` for nothing.
    let up = match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
        Ok(_trial) => listener.accept().await.is_ok(),
        Err(_) => false,
    };
    if !up && let Some(ip) = ip() {
        let _ = tokio::process::Command::new(ip)
            .args(["link", "set", "lo", "up"])
            .stderr(Stdio::null())
            .status()
            .await;
    }
    let forwarder = tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = listener.accept().await else {
                continue;
            };
            let socket = socket.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                if let Ok(mut unix) = tokio::net::UnixStream::connect(&socket).await {
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut unix).await;
                }
            });
        }
    });
    let mut cmd = crate::installer::with_parent_death_signal(&program);
    cmd.args(&args).kill_on_drop(true);
    let child = cmd
        .spawn()
        .map_err(|e| fail(&program.display().to_string(), &e))?;
    let code = crate::installer::wait(child).await;
    forwarder.abort();
    code
}
