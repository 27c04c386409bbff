//! Object storage out: `tuf-cli repo publish --to s3://...` into a real S3-compatible server
//! (s3s-fs, started here on 127.0.0.1: one endpoint that checks the publisher's signature, one
//! that serves the same bucket to anonymous readers, as a public-read bucket does), `repo
//! verify --from`, and `tuf-cli install` with the real pip reading through the bucket; a
//! publish that dies midway leaves the bucket serving its previous state.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tuf-cli");

mod common;
use common::{free_port, python, run, wheel};

/// s3s-fs, as `scripts/s3s-fs.sh` installs it (the README's test command runs it).
fn s3s_fs() -> Option<PathBuf> {
    let p = std::env::var_os("TUF_S3S_FS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/tuf-rs/tools/bin/s3s-fs"))
        })?;
    p.is_file().then_some(p)
}

/// An s3s-fs server over `root`, stopped when dropped.
struct S3 {
    process: Child,
    port: u16,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn s3(bin: &Path, root: &Path, keys: Option<(&str, &str)>) -> S3 {
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()]);
    if let Some((ak, sk)) = keys {
        cmd.args(["--access-key", ak, "--secret-key", sk]);
    }
    let process = cmd
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = S3 { process, port };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("s3s-fs did not start on port {port}");
}

/// The status line and headers of GET `path`, lowercased.
fn head_of(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn installed(site: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(site)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".dist-info"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_mirror_published_to_s3_installs_through_tuf_and_a_broken_publish_serves_the_old_state() {
    let Some(bin) = s3s_fs() else {
        eprintln!("skipped: s3s-fs is not installed (scripts/s3s-fs.sh installs it)");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let root = w.join("s3");
    std::fs::create_dir_all(root.join("tuf")).unwrap();
    // The publisher signs its requests; readers are anonymous.
    let writer = s3(&bin, &root, Some(("AKTEST", "secret-key-for-tests")));
    let reader = s3(&bin, &root, None);
    let dists = w.join("dists");
    wheel(&dists, &["alpha", "1.0", "--requires", "gamma"]);
    wheel(&dists, &["gamma", "2.1"]);
    let repo = |args: &[&str]| {
        run(Command::new(BIN)
            .args(["repo", "--repo", "r"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret-key-for-tests")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT", format!("http://127.0.0.1:{}", writer.port))
            .env("AWS_ALLOW_HTTP", "true")
            .current_dir(w))
    };
    let (ok, out) = repo(&["init", "--bins", "16", "--in-place", "packages/"]);
    assert!(ok, "{out}");
    let (ok, out) = repo(&["add-dists", "dists"]);
    assert!(ok, "{out}");
    let bucket = "s3://tuf/mirror";
    let (ok, out) = repo(&["publish", "--to", bucket]);
    assert!(ok && out.contains("timestamp.json last"), "{out}");
    let (ok, out) = repo(&["verify", "--from", bucket]);
    assert!(ok && out.contains(" 0 problem(s)"), "{out}");
    // Cache-Control per kind, as the anonymous reader sees it.
    let base = "/tuf/mirror";
    let ts = head_of(reader.port, &format!("{base}/metadata/timestamp.json"));
    assert!(
        ts.starts_with("http/1.1 200") && ts.contains("cache-control: no-cache"),
        "{ts}"
    );
    let root_v1 = head_of(reader.port, &format!("{base}/metadata/1.root.json"));
    assert!(root_v1.contains("immutable"), "{root_v1}");
    let file = head_of(
        reader.port,
        &format!("{base}/targets/packages/alpha-1.0-py3-none-any.whl"),
    );
    assert!(file.contains("immutable"), "{file}");
    let next_root = head_of(reader.port, &format!("{base}/metadata/2.root.json"));
    assert!(next_root.starts_with("http/1.1 404"), "{next_root}");

    let mirror = format!("http://127.0.0.1:{}{base}/", reader.port);
    let install = |req: &str, cache: &str, site: &str| {
        let site = w.join(site);
        let (ok, out) = run(Command::new(BIN)
            .args([
                "install",
                "--mirror",
                &mirror,
                "--root",
                "r/metadata/1.root.json",
            ])
            .args(["--cache-dir", cache, "--python"])
            .arg(python())
            .args([req, "--", "--target"])
            .arg(&site)
            .current_dir(w));
        (ok, out, site)
    };
    let (ok, out, site) = install("alpha", "c1", "site1");
    assert!(ok, "{out}");
    assert_eq!(
        installed(&site),
        ["alpha-1.0.dist-info", "gamma-2.1.dist-info"],
        "{out}"
    );

    // A new release, published locally; the upload dies at a bin (the server cannot store
    // it): the targets and some bins are there, the timestamp is not.
    wheel(&dists, &["alpha", "2.0", "--requires", "gamma"]);
    let (ok, out) = repo(&["add-dists", "dists"]);
    assert!(ok, "{out}");
    let in_bucket = root.join("tuf/mirror/metadata");
    let missing_bin = std::fs::read_dir(w.join("r/metadata"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.contains(".bin-") && n.ends_with(".json") && !in_bucket.join(n).exists())
        .expect("a new bin version");
    std::fs::create_dir_all(in_bucket.join(&missing_bin)).unwrap();
    let (ok, out) = repo(&["publish", "--to", bucket]);
    assert!(!ok, "the upload should have failed at {missing_bin}: {out}");
    assert!(
        root.join("tuf/mirror/targets/packages/alpha-2.0-py3-none-any.whl")
            .is_file(),
        "targets go first"
    );
    // The bucket still serves the previous state, whole: it verifies, and installs 1.0.
    let (ok, out) = repo(&["verify", "--from", bucket]);
    assert!(ok && out.contains(" 0 problem(s)"), "{out}");
    let (ok, out, site) = install("alpha", "c2", "site2");
    assert!(ok, "{out}");
    assert!(site.join("alpha-1.0.dist-info").is_dir(), "{out}");
    let (ok, out, _) = install("alpha==2.0", "c3", "site3");
    assert!(
        !ok,
        "a release the bucket's timestamp does not cover: {out}"
    );

    // Mended, the next publish sends the rest, and 2.0 installs.
    std::fs::remove_dir(in_bucket.join(&missing_bin)).unwrap();
    let (ok, out) = repo(&["publish", "--to", bucket]);
    assert!(ok && out.contains("already there"), "{out}");
    let (ok, out) = repo(&["verify", "--from", bucket]);
    assert!(ok && out.contains(" 0 problem(s)"), "{out}");
    let (ok, out, site) = install("alpha==2.0", "c4", "site4");
    assert!(ok, "{out}");
    assert!(site.join("alpha-2.0.dist-info").is_dir(), "{out}");
    // A target missing from the bucket is found by verify --from.
    std::fs::remove_file(root.join("tuf/mirror/targets/packages/gamma-2.1-py3-none-any.whl"))
        .unwrap();
    let (ok, out) = repo(&["verify", "--from", bucket]);
    assert!(
        !ok && out.contains("gamma-2.1-py3-none-any.whl is not in the bucket"),
        "{out}"
    );
}
