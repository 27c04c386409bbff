//! Helpers the command-line test files share: the test interpreter, running a command, making
//! a wheel, a free port.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The test venv's interpreter (`TUF_PYTHON`, or `.venv` made by `scripts/python-env.sh`).
pub fn python() -> PathBuf {
    std::env::var("TUF_PYTHON").map(PathBuf::from).unwrap_or_else(|_| {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
        assert!(
            p.exists(),
            "the test venv is needed: run scripts/python-env.sh (the README's test command does)"
        );
        p
    })
}

/// A helper script of `scripts/py/`.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/py")
        .join(name)
}

/// Runs `cmd`: whether it succeeded, and its stdout then stderr.
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A wheel made by `scripts/py/make_wheel.py DIR ARGS...`.
pub fn wheel(dir: &Path, args: &[&str]) {
    let (ok, out) = run(Command::new(python())
        .arg(script("make_wheel.py"))
        .arg(dir)
        .args(args));
    assert!(ok, "{out}");
}

/// A TCP port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
