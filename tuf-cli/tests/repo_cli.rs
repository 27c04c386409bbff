//! `tuf-cli repo ...` end to end: the real binary makes a repository from a tree, publishes,
//! verifies, serves it, and `tuf-cli client` downloads from it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tuf-cli");

fn run(args: &[&str], cwd: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn write(root: &Path, rel: &str, data: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

#[test]
fn repo_commands_end_to_end() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    write(
        w,
        "tree/simple/demo/index.html",
        "<a href=\"../../packages/demo-1.0.tar.gz\">demo</a>",
    );
    write(w, "tree/packages/demo-1.0.tar.gz", "demo 1.0");
    let (ok, out) = run(&["repo", "--repo", "r", "init", "--bins", "64"], w);
    assert!(ok, "{out}");
    let (ok, out) = run(&["repo", "--repo", "r", "sync", "tree"], w);
    // The page, the distribution, and the signed list of project names.
    assert!(ok && out.contains("Synced: 3 added"), "{out}");
    write(w, "tree/packages/demo-2.0.tar.gz", "demo 2.0");
    let (ok, out) = run(
        &[
            "repo",
            "--repo",
            "r",
            "add",
            "--tree",
            "tree",
            "tree/packages/demo-2.0.tar.gz",
        ],
        w,
    );
    assert!(ok && out.contains("1 target(s) staged"), "{out}");
    let (ok, out) = run(&["repo", "--repo", "r", "publish"], w);
    assert!(ok && out.contains("re-signed 1 bin(s)"), "{out}");
    let (ok, out) = run(&["repo", "--repo", "r", "refresh-timestamp"], w);
    assert!(ok, "{out}");
    let (ok, out) = run(&["repo", "--repo", "r", "rotate", "targets"], w);
    assert!(ok, "{out}");
    let (ok, out) = run(&["repo", "--repo", "r", "verify"], w);
    assert!(ok && out.contains(": 0 problem(s)"), "{out}");

    // Serve it and download through it with the client.
    let mut server = Command::new(BIN)
        .args(["repo", "--repo", "r", "serve", "--addr", "127.0.0.1:0"])
        .current_dir(w)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let urls: Vec<&str> = line
        .split_whitespace()
        .filter(|s| s.starts_with("http://"))
        .collect();
    assert_eq!(urls.len(), 2, "{line}");
    let (ok, out) = run(
        &[
            "client",
            "--metadata-dir",
            "c/metadata",
            "init",
            "--root",
            "r/metadata/1.root.json",
        ],
        w,
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        &[
            "client",
            "--metadata-dir",
            "c/metadata",
            "--metadata-url",
            urls[0],
            "--targets-url",
            urls[1],
            "download",
            "packages/demo-2.0.tar.gz",
            "-o",
            "got.tgz",
        ],
        w,
    );
    let _ = server.kill();
    let _ = server.wait();
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read_to_string(w.join("got.tgz")).unwrap(),
        "demo 2.0"
    );

    // Tampering is reported by verify.
    let targets = w.join("r/targets/packages");
    for e in std::fs::read_dir(&targets).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with("demo-1.0.tar.gz") {
            std::fs::remove_file(&p).unwrap();
            std::fs::write(&p, "evil").unwrap();
        }
    }
    let (ok, out) = run(&["repo", "--repo", "r", "verify"], w);
    assert!(
        !ok && out.contains("PROBLEM: target packages/demo-1.0.tar.gz"),
        "{out}"
    );
}
