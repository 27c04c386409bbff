//! The repository writer: layout and policy, incremental publishing, sync, rotation, safety,
//! and clients — ours and python-tuf 7.0.1's ngclient — reading what it wrote.

#[path = "../../tuf-updater/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::Server;
use tuf_metadata::{Metadata, Signed, Snapshot, Targets, Timestamp};
use tuf_repo::{RepoConfig, RepoError, Repository, verify};
use tuf_transport::{Fetcher, HttpConfig, TransportRegistry};
use tuf_updater::{Updater, UpdaterConfig};

fn config(bins: u64) -> RepoConfig {
    RepoConfig {
        bin_count: bins,
        ..RepoConfig::default()
    }
}

/// A PyPI-style tree: simple pages and distributions for `n` projects.
fn tree(n: usize) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for i in 0..n {
        let p = format!("project-{i}");
        write(
            t.path(),
            &format!("simple/{p}/index.html"),
            format!("<a href=\"../../packages/{p}-1.0.tar.gz\">{p}</a>").as_bytes(),
        );
        write(
            t.path(),
            &format!("packages/{i:02x}/{p}-1.0.tar.gz"),
            format!("dist of {p}").as_bytes(),
        );
    }
    t
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn meta<T: Signed>(repo: &Path, file: &str) -> Metadata<T> {
    Metadata::<T>::from_bytes(&std::fs::read(repo.join("metadata").join(file)).unwrap()).unwrap()
}

fn snapshot(repo: &Path) -> Snapshot {
    let ts = meta::<Timestamp>(repo, "timestamp.json");
    meta::<Snapshot>(
        repo,
        &format!("{}.snapshot.json", ts.signed().snapshot_meta.version),
    )
    .into_signed()
}

fn python() -> Option<PathBuf> {
    std::env::var("TUF_PYTHON")
        .ok()
        .map(PathBuf::from)
        .or_else(|| {
            let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
            p.exists().then_some(p)
        })
}

async fn our_client(repo: &Path, server: &Server, targets: &[&str]) -> Vec<Vec<u8>> {
    let work = tempfile::tempdir().unwrap();
    let mdir = work.path().join("metadata");
    Updater::init(
        &mdir,
        &std::fs::read(repo.join("metadata/1.root.json")).unwrap(),
    )
    .unwrap();
    let mut c = UpdaterConfig::new(
        &mdir,
        vec![server.url("metadata/")],
        vec![server.url("targets/")],
    );
    c.target_dir = Some(work.path().join("targets"));
    let fetcher =
        Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap());
    let mut u = Updater::new(c, fetcher).unwrap();
    u.refresh().await.unwrap();
    let mut out = Vec::new();
    for t in targets {
        let info = u
            .target_info(t)
            .await
            .unwrap_or_else(|e| panic!("{t}: {e}"));
        let path = u.download_target(&info).await.unwrap();
        out.push(std::fs::read(path).unwrap());
    }
    out
}

#[test]
fn init_follows_pep_458_and_keeps_keys_private() {
    let dir = tempfile::tempdir().unwrap();
    Repository::init(dir.path(), config(16)).unwrap();
    let root = meta::<tuf_metadata::Root>(dir.path(), "1.root.json").into_signed();
    assert_eq!(root.roles["root"].threshold, 2);
    assert_eq!(root.roles["root"].keyids.len(), 3);
    assert_eq!(root.roles["targets"].threshold, 2);
    assert_eq!(
        root.roles["timestamp"].keyids, root.roles["snapshot"].keyids,
        "one online key"
    );
    assert!(root.consistent_snapshot());
    for f in [
        "keys/offline/root-1.pem",
        "keys/offline/targets-2.pem",
        "keys/offline/bins-2.pem",
        "keys/online/online.pem",
    ] {
        let meta = std::fs::metadata(dir.path().join(f)).unwrap();
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o600,
            "{f}"
        );
        #[cfg(not(unix))]
        assert!(meta.is_file(), "{f}");
    }
    let snap = snapshot(dir.path());
    assert_eq!(snap.meta.len(), 2 + 16, "targets, bins and 16 bins");
    // One day for online roles, a year for offline ones.
    let day = tuf_metadata::Expiry::now().after(std::time::Duration::from_secs(86_400 + 120));
    assert!(snap.expires() <= day);
    assert!(root.expires() > day);
    // Gzip copies decode to the same bytes.
    let raw = std::fs::read(dir.path().join("metadata/timestamp.json")).unwrap();
    let gz = std::fs::read(dir.path().join("metadata/timestamp.json.gz")).unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out).unwrap();
    assert_eq!(out, raw);
    assert!(verify(dir.path(), true).unwrap().ok());
    // A second init in the same place is refused.
    assert!(Repository::init(dir.path(), config(16)).is_err());
}

#[test]
fn invalid_configurations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        RepoConfig {
            bin_count: 1000,
            ..RepoConfig::default()
        },
        RepoConfig {
            hash_algorithms: vec!["md5".into()],
            ..RepoConfig::default()
        },
        RepoConfig {
            key_type: "dsa".into(),
            ..RepoConfig::default()
        },
    ] {
        assert!(matches!(
            Repository::init(dir.path(), bad),
            Err(RepoError::Config(_))
        ));
    }
    let mut c = RepoConfig::default();
    c.root.threshold = 4;
    assert!(Repository::init(dir.path(), c).is_err());
}

#[test]
fn an_incremental_publish_touches_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(20);
    let repo = Repository::init(dir.path(), config(64)).unwrap();
    repo.sync(t.path()).unwrap();
    let before = snapshot(dir.path());
    write(t.path(), "packages/new/newproj-2.0.whl", b"new release");
    let n = repo
        .add(t.path(), &[t.path().join("packages/new/newproj-2.0.whl")])
        .unwrap();
    assert_eq!(n, 1);
    let report = repo.publish().unwrap();
    assert_eq!(report.added, 1);
    assert_eq!(
        report.signed.len(),
        3,
        "one bin, snapshot, timestamp: {:?}",
        report.signed
    );
    assert_eq!(&report.signed[1..], ["snapshot", "timestamp"]);
    let after = snapshot(dir.path());
    let changed: Vec<&str> = after
        .meta
        .iter()
        .filter(|(k, m)| before.meta[*k].version != m.version)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        after.meta["targets.json"].version,
        before.meta["targets.json"].version
    );
    assert_eq!(
        after.meta["bins.json"].version,
        before.meta["bins.json"].version
    );
    // Removing it touches the same bin again.
    repo.remove(&["packages/new/newproj-2.0.whl".to_owned()])
        .unwrap();
    let report = repo.publish().unwrap();
    assert_eq!((report.removed, report.signed.len()), (1, 3));
    assert!(verify(dir.path(), true).unwrap().ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_and_python_tuf_download_through_the_bins() {
    for hash_prefixes in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let t = tree(30);
        let mut c = config(32);
        c.hash_prefix_delegations = hash_prefixes;
        c.hash_algorithms = vec!["sha256".into(), "sha512".into()];
        let repo = Repository::init(dir.path(), c).unwrap();
        let report = repo.sync(t.path()).unwrap();
        // 30 pages, 30 distributions, and the list of project names.
        assert_eq!(report.added, 61);
        let server = Server::start(dir.path().to_owned()).await;
        let wanted = [
            "simple/project-7/index.html",
            "packages/0b/project-11-1.0.tar.gz",
        ];
        let got = our_client(dir.path(), &server, &wanted).await;
        assert_eq!(got[1], b"dist of project-11");
        let Some(py) = python() else {
            panic!("python-tuf is needed: run scripts/python-env.sh or set TUF_PYTHON");
        };
        let work = tempfile::tempdir().unwrap();
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/py/ngclient_download.py");
        let out = Command::new(py)
            .arg(script)
            .arg(dir.path().join("metadata/1.root.json"))
            .arg(server.url("metadata/").as_str())
            .arg(server.url("targets/").as_str())
            .arg(work.path())
            .args(wanted)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "ngclient failed (hash prefixes: {hash_prefixes}): {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = tuf_crypto::hex::encode(
            tuf_crypto::HashAlgorithm::Sha256.digest(b"dist of project-11"),
        );
        assert!(
            stdout.contains(&format!("{expected} packages/0b/project-11-1.0.tar.gz")),
            "{stdout}"
        );
    }
}

/// python-tuf's ngclient downloading `targets` with `prefix_targets_with_hash` as given:
/// the sha256 and path of each, or why it failed.
fn ngclient(repo: &Path, server: &Server, prefixed: bool, targets: &[&str]) -> (bool, String) {
    let Some(py) = python() else {
        panic!("python-tuf is needed: run scripts/python-env.sh or set TUF_PYTHON");
    };
    let work = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/py/ngclient_download.py");
    let out = Command::new(py)
        .arg(script)
        .arg(repo.join("metadata/1.root.json"))
        .arg(server.url("metadata/").as_str())
        .arg(server.url("targets/").as_str())
        .arg(work.path())
        .args(targets)
        .env("PREFIX_TARGETS_WITH_HASH", if prefixed { "1" } else { "0" })
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_place_targets_are_served_at_their_own_path_as_their_signed_entries_say() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(4);
    let mut c = config(8);
    c.in_place = vec!["packages/".into()];
    let repo = Repository::init(dir.path(), c).unwrap();
    repo.sync(t.path()).unwrap();
    let dist = "packages/02/project-2-1.0.tar.gz";
    let page = "simple/project-2/index.html";
    let targets = dir.path().join("targets");
    // The distribution is the tree's file itself (a hard link), at its own path, and nowhere
    // else; the page is copied under its hash-prefixed name only.
    let served = targets.join(dist);
    assert!(served.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (a, b) = (
            std::fs::metadata(&served).unwrap(),
            std::fs::metadata(t.path().join(dist)).unwrap(),
        );
        assert_eq!((a.dev(), a.ino()), (b.dev(), b.ino()), "not copied");
    }
    assert_eq!(
        std::fs::read_dir(served.parent().unwrap()).unwrap().count(),
        1
    );
    assert!(!targets.join(page).exists());
    let page_files: Vec<String> = std::fs::read_dir(targets.join("simple/project-2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(page_files.len(), 1);
    assert!(page_files[0].ends_with(".index.html"), "{page_files:?}");
    // The signed entries say which is which.
    let mut said = std::collections::BTreeMap::new();
    for e in std::fs::read_dir(dir.path().join("metadata")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if name.contains(".bin-") && name.ends_with(".json") {
            let bin = meta::<Targets>(dir.path(), &name).into_signed();
            for (path, info) in &bin.targets {
                said.insert(path.clone(), info.unprefixed());
            }
        }
    }
    assert_eq!(said.get(dist), Some(&true));
    assert_eq!(said.get(page), Some(&false));
    assert!(verify(dir.path(), true).unwrap().ok());

    // Our client learns it from the signed entry: nothing to configure.
    let server = Server::start(dir.path().to_owned()).await;
    let got = our_client(dir.path(), &server, &[page, dist]).await;
    assert_eq!(got[1], b"dist of project-2");
    // python-tuf's ngclient has one switch for every target: with its default
    // (prefix_targets_with_hash=True) it reads the pages and not the in-place files; with
    // False it reads the in-place files and not the hash-prefixed pages.
    let digest =
        tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(b"dist of project-2"));
    let (ok, out) = ngclient(dir.path(), &server, true, &[page]);
    assert!(ok, "{out}");
    let (ok, out) = ngclient(dir.path(), &server, true, &[dist]);
    assert!(!ok, "{out}");
    let (ok, out) = ngclient(dir.path(), &server, false, &[dist]);
    assert!(ok && out.contains(&format!("{digest} {dist}")), "{out}");
    let (ok, out) = ngclient(dir.path(), &server, false, &[page]);
    assert!(!ok, "{out}");

    // A path served in place never takes other content: refused, the served file unchanged.
    std::fs::remove_file(t.path().join(dist)).unwrap();
    write(t.path(), dist, b"other content");
    let err = repo.sync(t.path()).unwrap_err();
    assert!(
        matches!(&err, RepoError::BadTarget { path, reason } if path == dist && reason.contains("in place")),
        "{err}"
    );
    assert_eq!(std::fs::read(&served).unwrap(), b"dist of project-2");
    let got = our_client(dir.path(), &server, &[dist]).await;
    assert_eq!(got[0], b"dist of project-2");
    // The same content again is no change.
    write(t.path(), dist, b"dist of project-2");
    assert_eq!(repo.sync(t.path()).unwrap().added, 0);
}

#[test]
fn in_place_prefixes_are_relative_directories() {
    for bad in ["packages", "/packages/", "../x/", "a//b/", "./", "/"] {
        let mut c = config(8);
        c.in_place = vec![bad.into()];
        assert!(
            matches!(c.validate(), Err(RepoError::Config(m)) if m.contains("in_place")),
            "{bad}"
        );
    }
    let mut c = config(8);
    c.in_place = vec!["packages/".into(), "a/b/".into()];
    c.validate().unwrap();
}

#[test]
fn adds_from_many_processes_while_a_publisher_runs_all_get_published() {
    let dir = tempfile::tempdir().unwrap();
    let t = tempfile::tempdir().unwrap();
    Repository::init(dir.path(), config(64)).unwrap();
    let (adders, each) = (4, 40);
    for a in 0..adders {
        for i in 0..each {
            write(
                t.path(),
                &format!("packages/p{a}/f{i}.whl"),
                format!("file {a} {i}").as_bytes(),
            );
        }
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let publishes = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        // One publisher, taking what arrived as the adders go on.
        scope.spawn(|| {
            let repo = Repository::open(dir.path()).unwrap();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if !repo.staged().unwrap().is_empty() {
                    repo.publish().unwrap();
                    publishes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        // Adders as separate processes would be: each its own handle, one file per add.
        let handles: Vec<_> = (0..adders)
            .map(|a| {
                let (dir, tree, publishes) = (dir.path(), t.path(), &publishes);
                scope.spawn(move || {
                    let repo = Repository::open(dir).unwrap();
                    for i in 0..each {
                        // Half before a publish, half after (or during) it.
                        while i == each / 2
                            && publishes.load(std::sync::atomic::Ordering::SeqCst) == 0
                        {
                            std::thread::sleep(std::time::Duration::from_millis(2));
                        }
                        let f = tree.join(format!("packages/p{a}/f{i}.whl"));
                        assert_eq!(repo.add(tree, &[f]).unwrap(), 1);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let repo = Repository::open(dir.path()).unwrap();
    repo.publish().unwrap();
    assert!(repo.staged().unwrap().is_empty());
    assert!(
        publishes.load(std::sync::atomic::Ordering::SeqCst) > 1,
        "one batch only"
    );
    let report = verify(dir.path(), true).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.targets_checked, adders * each);
}

#[test]
fn a_staging_log_cut_short_by_a_killed_add_loses_only_that_add() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(2);
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    let f = t.path().join("simple/project-0/index.html");
    repo.add(t.path(), &[f]).unwrap();
    let log = dir.path().join("state/staging/log");
    let mut text = std::fs::read(&log).unwrap();
    text.extend_from_slice(b"{\"Add\":{\"path\":\"simple/pro");
    std::fs::write(&log, &text).unwrap();
    assert_eq!(repo.staged().unwrap().len(), 1);
    let r = repo.publish().unwrap();
    // The page, and the signed list of project names it changes.
    assert_eq!(r.added, 2);
    assert!(!log.exists());
    assert!(verify(dir.path(), true).unwrap().ok());
    // A bad line that is not the last one is an error, not a silent loss.
    std::fs::write(&log, b"not json\n{}\n").unwrap();
    assert!(matches!(repo.publish(), Err(RepoError::State(m)) if m.contains("line 1")));
}

#[test]
fn sync_adds_new_removes_gone_and_leaves_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(10);
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    assert_eq!(repo.sync(t.path()).unwrap().added, 21);
    let again = repo.sync(t.path()).unwrap();
    assert_eq!((again.added, again.removed), (0, 0), "nothing changed");
    std::fs::remove_file(t.path().join("simple/project-3/index.html")).unwrap();
    write(t.path(), "simple/project-3/other.html", b"x");
    write(
        t.path(),
        "packages/00/project-0-1.0.tar.gz",
        b"changed content",
    );
    let r = repo.sync(t.path()).unwrap();
    // other.html, the changed distribution, and the list of names without project-3.
    assert_eq!((r.added, r.removed), (3, 1));
    assert!(verify(dir.path(), true).unwrap().ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_list_of_project_names_follows_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(4);
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    repo.sync(t.path()).unwrap();
    let server = Server::start(dir.path().to_owned()).await;
    let names = || async {
        let got = our_client(
            dir.path(),
            &server,
            &[tuf_repo::layout::PROJECT_NAMES_TARGET],
        )
        .await;
        String::from_utf8(got[0].clone()).unwrap()
    };
    assert_eq!(
        names().await,
        "project-0\nproject-1\nproject-2\nproject-3\n"
    );
    std::fs::remove_file(t.path().join("simple/project-1/index.html")).unwrap();
    write(t.path(), "simple/project-9/index.html", b"new");
    repo.sync(t.path()).unwrap();
    // A sync from a tree that has no such file keeps the list (it is the repository's own).
    assert_eq!(
        names().await,
        "project-0\nproject-2\nproject-3\nproject-9\n"
    );
    let again = repo.sync(t.path()).unwrap();
    assert_eq!((again.added, again.removed), (0, 0));
}

/// (Symbolic links and non-UTF-8 file names as Unix makes them.)
#[cfg(unix)]
#[test]
fn unsafe_trees_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    // A symlink escaping the tree.
    let t = tree(1);
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret", b"secret");
    std::os::unix::fs::symlink(
        outside.path().join("secret"),
        t.path().join("packages/leak.tar.gz"),
    )
    .unwrap();
    let err = repo.sync(t.path()).unwrap_err();
    assert!(
        err.to_string().contains("leak.tar.gz") && err.to_string().contains("symbolic link"),
        "{err}"
    );
    // Two names equal after NFC normalization.
    let t = tree(0);
    write(t.path(), "simple/caf\u{e9}/index.html", b"nfc");
    write(t.path(), "simple/cafe\u{301}/index.html", b"nfd");
    let err = repo.sync(t.path()).unwrap_err();
    assert!(err.to_string().contains("NFC"), "{err}");
    // A file name that is not UTF-8.
    let t = tree(0);
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::OsStr::from_bytes(b"packages/bad\xff.tar.gz");
    std::fs::create_dir_all(t.path().join("packages")).unwrap();
    std::fs::write(t.path().join(name), b"x").unwrap();
    let err = repo.sync(t.path()).unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
    assert!(
        verify(dir.path(), true).unwrap().ok(),
        "nothing was published"
    );
}

#[test]
fn thresholds_are_enforced_when_signing() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    drop(repo);
    // Lose one of the two targets keys: re-signing targets must be refused.
    std::fs::remove_file(dir.path().join("keys/offline/targets-2.pem")).unwrap();
    let repo = Repository::open(dir.path()).unwrap();
    let err = repo
        .refresh_expiring(std::time::Duration::from_secs(10 * 365 * 86_400))
        .unwrap_err();
    assert!(
        matches!(&err, RepoError::Policy { role, .. } if role == "targets"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("threshold 2 needs 2 keys, 1 available"),
        "{err}"
    );
    assert!(
        verify(dir.path(), false).unwrap().ok(),
        "the published state is intact"
    );
}

#[test]
fn an_interrupted_publish_leaves_the_published_state_intact() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(5);
    let mut repo = Repository::init(dir.path(), config(16)).unwrap();
    repo.sync(t.path()).unwrap();
    let ts_before = std::fs::read(dir.path().join("metadata/timestamp.json")).unwrap();
    let snap_before = snapshot(dir.path());
    // A signer set that can sign bins and snapshot but not the timestamp (an HSM that went
    // away mid-publish): the publish writes new bins and a new snapshot, then fails.
    let online = || {
        Box::new(
            tuf_crypto::PrivateKey::from_pem_file(&dir.path().join("keys/online/online.pem"))
                .unwrap(),
        )
    };
    let mut ring = tuf_repo::KeyRing::default();
    ring.add("bin-n", online());
    ring.add("snapshot", online());
    repo.set_keys(ring);
    write(t.path(), "packages/zz/late-1.0.tar.gz", b"late");
    let err = repo.sync(t.path()).unwrap_err();
    assert!(
        matches!(&err, RepoError::Policy { role, .. } if role == "timestamp"),
        "{err}"
    );
    // Clients still see exactly the previous state, and it verifies.
    assert_eq!(
        std::fs::read(dir.path().join("metadata/timestamp.json")).unwrap(),
        ts_before
    );
    assert_eq!(snapshot(dir.path()), snap_before);
    assert!(verify(dir.path(), true).unwrap().ok());
    // With the keys back, the staged change publishes.
    let repo = Repository::open(dir.path()).unwrap();
    assert_eq!(repo.publish().unwrap().added, 1);
    assert!(verify(dir.path(), true).unwrap().ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotations_are_followed_by_clients() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(3);
    let mut repo = Repository::init(dir.path(), config(16)).unwrap();
    repo.sync(t.path()).unwrap();
    for role in ["root", "online", "targets", "bins", "root"] {
        repo.rotate(role).unwrap();
        let r = verify(dir.path(), true).unwrap();
        assert!(r.ok(), "after rotating {role}: {:?}", r.problems);
    }
    let server = Server::start(dir.path().to_owned()).await;
    let got = our_client(dir.path(), &server, &["simple/project-1/index.html"]).await;
    assert!(String::from_utf8_lossy(&got[0]).contains("project-1"));
    let root = meta::<tuf_metadata::Root>(dir.path(), "3.root.json");
    assert_eq!(root.signed().version(), 3);
    assert!(dir.path().join("keys/retired").read_dir().unwrap().count() >= 3);
    // Timestamps can be refreshed alone.
    let v = meta::<Timestamp>(dir.path(), "timestamp.json")
        .signed()
        .version();
    repo.refresh_timestamp().unwrap();
    assert_eq!(
        meta::<Timestamp>(dir.path(), "timestamp.json")
            .signed()
            .version(),
        v + 1
    );
}

#[test]
fn verify_reports_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(4);
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    repo.sync(t.path()).unwrap();
    // Tamper with two served targets.
    let snap = snapshot(dir.path());
    let mut tampered = 0;
    for (file, m) in &snap.meta {
        let role = file.trim_end_matches(".json");
        if !role.starts_with("bin-") {
            continue;
        }
        let bin = meta::<Targets>(dir.path(), &format!("{}.{role}.json", m.version));
        for (path, info) in &bin.signed().targets {
            if tampered == 2 {
                break;
            }
            let digest = info.hashes.get("sha256").unwrap();
            let served = dir
                .path()
                .join("targets")
                .join(tuf_metadata::naming::hash_prefixed(path, digest));
            std::fs::remove_file(&served).unwrap();
            std::fs::write(&served, b"tampered").unwrap();
            tampered += 1;
        }
    }
    let r = verify(dir.path(), true).unwrap();
    assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    assert!(r.targets_checked >= 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_sends_gzip_metadata_over_http_and_https() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(40);
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    repo.sync(t.path()).unwrap();
    // HTTPS with a CA made on the spot.
    let work = tempfile::tempdir().unwrap();
    tuf_repo::serve::ephemeral_pki(work.path()).unwrap();
    let (cert_file, key_file, ca_file) = (
        work.path().join("cert.pem"),
        work.path().join("key.pem"),
        work.path().join("ca.pem"),
    );
    for tls in [false, true] {
        let acceptor = tls.then(|| tuf_repo::serve::tls_acceptor(&cert_file, &key_file).unwrap());
        let served = tuf_repo::serve::serve(dir.path(), "127.0.0.1:0".parse().unwrap(), acceptor)
            .await
            .unwrap();
        let client_dir = tempfile::tempdir().unwrap();
        let mdir = client_dir.path().join("metadata");
        Updater::init(
            &mdir,
            &std::fs::read(dir.path().join("metadata/1.root.json")).unwrap(),
        )
        .unwrap();
        let meta_url = url::Url::parse(&served.metadata_url()).unwrap();
        let targets_url = url::Url::parse(&served.targets_url()).unwrap();
        let mut c = UpdaterConfig::new(&mdir, vec![meta_url], vec![targets_url]);
        c.target_dir = Some(client_dir.path().join("targets"));
        let http = HttpConfig {
            extra_ca_file: tls.then(|| ca_file.clone()),
            ..HttpConfig::default()
        };
        let mut u = Updater::new(
            c,
            Fetcher::new(TransportRegistry::with_defaults(&http, None).unwrap()),
        )
        .unwrap();
        u.refresh().await.unwrap();
        let info = u.target_info("simple/project-9/index.html").await.unwrap();
        let path = u.download_target(&info).await.unwrap();
        assert!(std::fs::read_to_string(path).unwrap().contains("project-9"));
        let snapshot = u
            .metrics()
            .records()
            .into_iter()
            .find(|r| r.url.contains("snapshot.json"))
            .unwrap();
        assert!(
            snapshot.wire_bytes < snapshot.decoded_bytes,
            "metadata came gzip-compressed (tls: {tls})"
        );
    }
}

/// Writes `requests` on one connection to `addr` and reads until the server closes it.
async fn raw(addr: std::net::SocketAddr, requests: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(requests.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("the server neither answered nor closed")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_connections_alive_and_serves_nothing_but_metadata_and_targets() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(3);
    Repository::init(dir.path(), config(16))
        .unwrap()
        .sync(t.path())
        .unwrap();
    let served = tuf_repo::serve::serve(dir.path(), "127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    // Two requests on one connection: both answered (keep-alive), then closed as asked.
    let both = raw(
        served.addr,
        "GET /metadata/timestamp.json HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /metadata/1.root.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(both.matches("HTTP/1.1 200 OK").count(), 2, "{both}");
    for (request, status) in [
        ("GET /repo.json", "404"),
        ("GET /keys/online/timestamp.pem", "404"),
        ("GET /metadata/../repo.json", "404"),
        ("GET /metadata/%2e%2e/repo.json", "404"),
        ("POST /metadata/timestamp.json", "405"),
    ] {
        let answer = raw(
            served.addr,
            &format!("{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{request}: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_gracefully_finishing_the_download_in_progress() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    Repository::init(dir.path(), config(16)).unwrap();
    let big: Vec<u8> = (0..32u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("targets/big.bin"), &big).unwrap();
    let served = tuf_repo::serve::serve(dir.path(), "127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let addr = served.addr;
    // An idle keep-alive connection, and a large download begun but not read.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /metadata/1.root.json HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The whole answer read (its head, then Content-Length bytes), so the connection idles.
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = idle.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed early");
        answer.extend_from_slice(&buf[..n]);
        let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("a Content-Length");
        if answer.len() >= end + 4 + length {
            break;
        }
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /targets/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut got = vec![0u8; 4096];
    let n = s.read(&mut got).await.unwrap();
    got.truncate(n);
    assert!(got.starts_with(b"HTTP/1.1 200"));
    let stopping = tokio::spawn(served.shutdown(std::time::Duration::from_secs(30)));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting while stopping"
    );
    // The idle connection is closed, not kept until its timeout.
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), idle.read(&mut buf))
        .await
        .expect("the idle connection stayed open")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(!stopping.is_finished(), "stopped before the download ended");
    s.read_to_end(&mut got).await.unwrap();
    let end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(got.len() - end, big.len(), "the download was cut short");
    assert!(got[end..] == big[..], "the download's bytes differ");
    tokio::time::timeout(std::time::Duration::from_secs(10), stopping)
        .await
        .expect("shutdown did not return once the download ended")
        .unwrap();
}

#[test]
fn sync_reads_only_files_whose_size_or_time_changed() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(3);
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    repo.sync(t.path()).unwrap();
    // Same size, same modification time: like rsync, sync trusts the index and reads nothing.
    let f = t.path().join("packages/01/project-1-1.0.tar.gz");
    let mtime = std::fs::metadata(&f).unwrap().modified().unwrap();
    std::fs::write(&f, b"dist of project-X").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(repo.sync(t.path()).unwrap().added, 0);
    // A new modification time: the file is read, and its new content published.
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(mtime + std::time::Duration::from_secs(5))
        .unwrap();
    assert_eq!(repo.sync(t.path()).unwrap().added, 1);
    // Touched but unchanged: read, found identical, not republished.
    std::fs::File::options()
        .write(true)
        .open(&f)
        .unwrap()
        .set_modified(mtime + std::time::Duration::from_secs(9))
        .unwrap();
    let r = repo.sync(t.path()).unwrap();
    assert_eq!(
        (r.added, r.signed.len()),
        (0, 2),
        "only snapshot and timestamp: {:?}",
        r.signed
    );
    assert!(verify(dir.path(), true).unwrap().ok());
}

#[test]
fn a_target_file_left_half_written_is_replaced_not_trusted() {
    // Hash-prefixed target files are created at their final name (no temporary name): an add
    // killed mid-write leaves a short file there. The next add of that content must not take
    // it for the published file because of its name.
    let dir = tempfile::tempdir().unwrap();
    let t = tree(1);
    let repo = Repository::init(dir.path(), config(16)).unwrap();
    let data = b"a release, whole";
    write(t.path(), "packages/aa/whole-1.0.tar.gz", data);
    let digest = tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(data));
    let served = dir
        .path()
        .join(format!("targets/packages/aa/{digest}.whole-1.0.tar.gz"));
    write(
        dir.path(),
        served.strip_prefix(dir.path()).unwrap().to_str().unwrap(),
        &data[..7],
    );
    // The same length, other bytes (what a crash can leave on some file systems): replaced too.
    let other = b"dist of project-0";
    let other_digest = tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(other));
    let other_served = dir.path().join(format!(
        "targets/packages/00/{other_digest}.project-0-1.0.tar.gz"
    ));
    write(
        dir.path(),
        other_served
            .strip_prefix(dir.path())
            .unwrap()
            .to_str()
            .unwrap(),
        &[0; 17],
    );
    repo.sync(t.path()).unwrap();
    assert_eq!(std::fs::read(&served).unwrap(), data);
    assert_eq!(std::fs::read(&other_served).unwrap(), other);
    assert!(verify(dir.path(), true).unwrap().ok());
}

/// Every file under `dir`, relative, with the sha256 of its bytes.
fn files(dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                let digest: String = tuf_crypto::HashAlgorithm::Sha256
                    .digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                out.insert(p.strip_prefix(dir).unwrap().to_owned(), digest);
            }
        }
    }
    out
}

#[test]
fn rotation_uses_the_signer_ring_it_was_given_and_a_failed_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(2);
    let mut repo = Repository::init(dir.path(), config(16)).unwrap();
    repo.sync(t.path()).unwrap();
    // The root keys leave the disk for an "HSM": only the ring given to the repository has
    // them.
    let offline = dir.path().join("keys/offline");
    let mut hsm = Vec::new();
    for e in std::fs::read_dir(&offline).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("root-") {
            hsm.push(tuf_crypto::PrivateKey::from_pem_file(&e.path()).unwrap());
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    assert!(!hsm.is_empty());
    let ring_with_root = |hsm: &[tuf_crypto::PrivateKey]| {
        let mut ring = tuf_repo::KeyRing::load(dir.path()).unwrap();
        for k in hsm {
            let copy = tuf_crypto::PrivateKey::from_pkcs8_pem(&k.to_pkcs8_pem().unwrap()).unwrap();
            ring.add("root", Box::new(copy));
        }
        ring
    };
    // Without the root signers, a rotation that needs a new root fails before it changes
    // anything: no key file retired or replaced, no metadata written.
    repo.set_keys(tuf_repo::KeyRing::load(dir.path()).unwrap());
    let before = files(dir.path());
    for role in ["online", "targets", "root"] {
        let err = repo.rotate(role).unwrap_err();
        assert!(
            matches!(&err, RepoError::Policy { role, .. } if role == "root"),
            "{role}: {err}"
        );
        assert_eq!(files(dir.path()), before, "{role}: the repository changed");
    }
    // With them (and only in the ring), rotations go through and verify.
    repo.set_keys(ring_with_root(&hsm));
    repo.rotate("targets").unwrap();
    assert!(verify(dir.path(), true).unwrap().ok());
    repo.rotate("online").unwrap();
    assert!(verify(dir.path(), true).unwrap().ok());
    // The ring still holds the rotated keys: the next publish signs with them.
    write(t.path(), "packages/zz/new-1.0.tar.gz", b"new");
    assert_eq!(repo.sync(t.path()).unwrap().added, 1);
    assert!(verify(dir.path(), true).unwrap().ok());
    assert!(
        !offline.join("root-1.pem").exists(),
        "the HSM's keys stay off the disk"
    );
}
