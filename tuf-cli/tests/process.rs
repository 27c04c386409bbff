//! Process-level tests of `tuf-cli client`: the real binary against a simulated repository
//! over HTTP on 127.0.0.1 — the command set, concurrent clients on one store, and clients
//! killed with SIGKILL mid-refresh.

#[path = "../../tuf-updater/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::Server;
use support::sim::Sim;
use tokio::process::Command;
use tuf_metadata::{Metadata, Root, Signed, Snapshot, Targets, Timestamp};

const BIN: &str = env!("CARGO_BIN_EXE_tuf-cli");

fn cli(mdir: &Path, server: &Server) -> Command {
    let mut c = Command::new(BIN);
    c.arg("client")
        .arg("--metadata-dir")
        .arg(mdir)
        .arg("--metadata-url")
        .arg(server.url("metadata/").as_str())
        .arg("--targets-url")
        .arg(server.url("targets/").as_str())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

async fn init(mdir: &Path, sim: &Sim, work: &Path) {
    let root = work.join("root.json");
    std::fs::write(&root, sim.root_v1()).unwrap();
    let out = Command::new(BIN)
        .args(["client", "--metadata-dir"])
        .arg(mdir)
        .arg("init")
        .arg("--root")
        .arg(&root)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file in the store is the trusted metadata of its role: it parses, the chain of
/// signatures holds from root, and versions agree.
fn assert_store_valid(mdir: &Path) {
    let read = |n: &str| std::fs::read(mdir.join(n)).ok();
    let root = Metadata::<Root>::from_bytes(&read("root.json").expect("root.json always present"))
        .unwrap();
    root.signed().verify_delegate("root", &root).unwrap();
    if let Some(b) = read("timestamp.json") {
        let ts = Metadata::<Timestamp>::from_bytes(&b).unwrap();
        root.signed().verify_delegate("timestamp", &ts).unwrap();
    }
    if let Some(b) = read("snapshot.json") {
        let s = Metadata::<Snapshot>::from_bytes(&b).unwrap();
        root.signed().verify_delegate("snapshot", &s).unwrap();
    }
    if let Some(b) = read("targets.json") {
        let t = Metadata::<Targets>::from_bytes(&b).unwrap();
        root.signed().verify_delegate("targets", &t).unwrap();
    }
    for e in std::fs::read_dir(mdir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(
            name.starts_with('.')
                || [
                    "root.json",
                    "timestamp.json",
                    "snapshot.json",
                    "targets.json"
                ]
                .contains(&name.as_str()),
            "unexpected file {name} in the store"
        );
    }
}

fn big_sim(targets: usize) -> Sim {
    let mut sim = Sim::new();
    for i in 0..targets {
        sim.add_target(
            "targets",
            &format!("packages/p{}/pkg-{i}.tar.gz", i % 97),
            format!("package {i}").as_bytes(),
        );
    }
    sim.publish();
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_refresh_info_download_and_stats() {
    let sim = big_sim(3);
    let server = Server::start(sim.path().to_owned()).await;
    let work = tempfile::tempdir().unwrap();
    let mdir = work.path().join("metadata");
    init(&mdir, &sim, work.path()).await;
    let out = cli(&mdir, &server).arg("refresh").output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Trusted: root v1, timestamp v2, snapshot v2, targets v2")
    );
    let out = cli(&mdir, &server)
        .args(["info", "packages/p1/pkg-1.tar.gz"])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("length: 9") && text.contains("sha256: "),
        "{text}"
    );
    let dest = work.path().join("out.tgz");
    let out = cli(&mdir, &server)
        .args([
            "-v",
            "--stats",
            "download",
            "packages/p1/pkg-1.tar.gz",
            "-o",
        ])
        .arg(&dest)
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(std::fs::read(&dest).unwrap(), b"package 1");
    assert!(err.contains("Downloading: "), "{err}");
    assert!(err.contains("The file's sha256 hash is correct: "), "{err}");
    assert!(err.contains("metadata overhead: 2 requests"), "{err}");
    // Logs into a pipe carry no colour codes.
    assert!(
        !err.contains('\u{1b}'),
        "ANSI codes in a piped log: {err:?}"
    );
    // Not found, and a missing target, exit non-zero with the rule.
    let out = cli(&mdir, &server)
        .args(["info", "nope.txt"])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("not found in any role trusted for it (spec 5.6.7)")
    );
    // Offline: answers from the store, no request.
    let _ = server.log.take();
    let out = cli(&mdir, &server)
        .args(["--offline", "info", "packages/p1/pkg-1.tar.gz"])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.log.take().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_refreshes_on_one_store() {
    let mut sim = big_sim(2000);
    let server = Server::start(sim.path().to_owned()).await;
    let work = tempfile::tempdir().unwrap();
    let mdir = work.path().join("metadata");
    init(&mdir, &sim, work.path()).await;
    for round in 0..3 {
        let children: Vec<_> = (0..8)
            .map(|_| cli(&mdir, &server).arg("refresh").spawn().unwrap())
            .collect();
        for c in children {
            let out = tokio::time::timeout(Duration::from_secs(60), c.wait_with_output())
                .await
                .unwrap()
                .unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_store_valid(&mdir);
        let ts =
            Metadata::<Timestamp>::from_bytes(&std::fs::read(mdir.join("timestamp.json")).unwrap())
                .unwrap();
        assert_eq!(ts.signed().version(), sim.timestamp.version());
        sim.add_target("targets", &format!("new/{round}.txt"), b"new");
        sim.publish();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_killed_with_sigkill_leave_a_valid_store() {
    let mut sim = big_sim(20_000);
    let server = Server::start(sim.path().to_owned()).await;
    let work = tempfile::tempdir().unwrap();
    let mdir = work.path().join("metadata");
    init(&mdir, &sim, work.path()).await;
    // A small deterministic generator for the kill delays (seed printed for reproduction).
    let mut state: u64 = 0x5eed_1234_abcd;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut killed = 0;
    let mut states = std::collections::HashSet::new();
    for i in 0..50 {
        if i % 5 == 0 {
            sim.add_target("targets", &format!("round/{i}.txt"), b"x");
            sim.publish();
        }
        let mut child = cli(&mdir, &server).arg("refresh").spawn().unwrap();
        let delay = next() % 400;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let _ = child.start_kill();
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .unwrap()
            .unwrap();
        // Killed by the signal (not exited on its own before it arrived).
        if status.code().is_none() {
            killed += 1;
        }
        assert_store_valid(&mdir);
        let version = |f: &str| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(mdir.join(f)).ok().hash(&mut h);
            h.finish()
        };
        states.insert((
            version("timestamp.json"),
            version("snapshot.json"),
            version("targets.json"),
        ));
    }
    eprintln!("{} distinct store states seen", states.len());
    assert!(
        states.len() > 3,
        "the store never moved: kills came too early to test anything"
    );
    eprintln!("{killed} of 50 refreshes were killed mid-run");
    assert!(killed >= 10, "only {killed} refreshes were killed mid-run");
    let out = cli(&mdir, &server).arg("refresh").output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_store_valid(&mdir);
    let t = Metadata::<Targets>::from_bytes(&std::fs::read(mdir.join("targets.json")).unwrap())
        .unwrap();
    assert_eq!(t.signed().version(), sim.targets.version());
}
