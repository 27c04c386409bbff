//! The local store: a layout in which no role can land on another's file on any file system
//! (tested on a case-folding store, as macOS and Windows disks behave), migration from the
//! earlier layout, and local files that are not regular files.

mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use support::Server;
use support::sim::Sim;
use tuf_metadata::naming;
use tuf_transport::{Fetcher, HttpConfig, TransportRegistry};
use tuf_updater::{
    MemoryBackend, MetadataStore, StoreBackend, Updater, UpdaterConfig, role_file_stem,
};

async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test took longer than 60 s")
}

/// A client of `sim` served by `server`: its metadata initialised with root v1 and its
/// configuration (metadata in `metadata/`, targets in `targets/` of the directory returned).
fn fetcher() -> Fetcher {
    Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap())
}

#[test]
fn top_level_files_never_meet_delegated_roles_on_a_case_insensitive_store() {
    let backend = MemoryBackend::case_insensitive();
    let store = MetadataStore::with_backend(Arc::new(backend.clone()));
    let _lock = store.lock().unwrap();
    for top in ["root", "timestamp", "snapshot", "targets"] {
        store.write(top, format!("the {top}").as_bytes()).unwrap();
    }
    // Delegated roles whose names case-fold onto top-level roles and onto each other.
    let delegated = [
        "Root",
        "Timestamp",
        "SNAPSHOT",
        "Targets",
        "a",
        "A",
        "bins-0A",
        "bins-0a",
    ];
    for d in delegated {
        store.write(d, format!("role {d}").as_bytes()).unwrap();
    }
    for top in ["root", "timestamp", "snapshot", "targets"] {
        assert_eq!(
            store.read(top).unwrap().unwrap(),
            format!("the {top}").as_bytes()
        );
    }
    for d in delegated {
        assert_eq!(
            store.read(d).unwrap().unwrap(),
            format!("role {d}").as_bytes(),
            "{d}"
        );
    }
    // The earlier layout (`quote(role).json` beside the top-level files) collides here.
    assert_eq!(
        naming::metadata_file("Timestamp", None).to_lowercase(),
        "timestamp.json"
    );
    let files = backend.snapshot();
    let roles = files.keys().filter(|n| !n.starts_with('.')).count();
    assert_eq!(roles, 4 + delegated.len(), "{:?}", files.keys());
}

#[test]
fn role_file_stems_are_safe_file_names() {
    for role in [
        "con",
        "CON",
        "nul.txt",
        "aux",
        "com1",
        ".",
        "..",
        "a/b",
        "a\\b",
        "é",
        "e\u{301}",
        "\u{17f}napshot",
        "K",
        "\u{212a}",
        "x y",
        "%41",
        "A",
    ] {
        let stem = role_file_stem(role);
        assert!(
            stem.is_ascii() && !stem.contains(['/', '\\', ' ']),
            "{role:?}: {stem}"
        );
        let lower = stem.to_lowercase();
        assert!(
            !["con", "nul", "aux", "com1"].contains(&lower.split('.').next().unwrap()),
            "{role:?}: {stem}"
        );
    }
    // Long names stay under the 255-byte limit of file names, and apart.
    let long_a = "A".repeat(1000);
    let long_b = format!("{}B", "A".repeat(999));
    let (a, b) = (role_file_stem(&long_a), role_file_stem(&long_b));
    assert!(a.len() + ".json".len() <= 255 && b.len() + ".json".len() <= 255);
    assert_ne!(a.to_lowercase(), b.to_lowercase());
}

proptest::proptest! {
    #[test]
    fn distinct_roles_never_share_a_file_even_ignoring_case(
        a in "[a-zA-Z0-9%._~ /\u{e9}\u{17f}\u{212a}-]{0,80}",
        b in "[a-zA-Z0-9%._~ /\u{e9}\u{17f}\u{212a}-]{0,80}",
    ) {
        let (sa, sb) = (role_file_stem(&a), role_file_stem(&b));
        if a != b {
            proptest::prop_assert_ne!(sa.to_lowercase(), sb.to_lowercase());
        }
        proptest::prop_assert!(sa.is_ascii() && !sa.contains('/'));
    }
}

/// A repository delegating `up/*` to role `A` and `low/*` to role `a`.
fn case_variant_repo() -> Sim {
    let mut sim = Sim::new();
    sim.add_target("targets", "top.txt", b"top");
    sim.delegate("targets", "A", &["up/*"], false);
    sim.delegate("targets", "a", &["low/*"], false);
    sim.add_target("A", "up/x.txt", b"upper");
    sim.add_target("a", "low/y.txt", b"lower");
    sim.publish();
    sim
}

#[tokio::test]
async fn roles_differing_in_case_work_on_a_case_insensitive_store() {
    bounded(async {
        let sim = case_variant_repo();
        let server = Server::start(sim.path().to_owned()).await;
        let work = tempfile::tempdir().unwrap();
        let backend = MemoryBackend::case_insensitive();
        let store = MetadataStore::with_backend(Arc::new(backend.clone()));
        Updater::init_store(&store, &sim.root_v1()).unwrap();
        let mut config = UpdaterConfig::new(
            work.path(),
            vec![server.url("metadata/")],
            vec![server.url("targets/")],
        );
        config.target_dir = Some(work.path().join("targets"));
        let mut u = Updater::with_store(config.clone(), fetcher(), store.clone()).unwrap();
        u.refresh().await.unwrap();
        for (path, content) in [("up/x.txt", &b"upper"[..]), ("low/y.txt", b"lower")] {
            let info = u.target_info(path).await.unwrap();
            let file = u.download_target(&info).await.unwrap();
            assert_eq!(std::fs::read(file).unwrap(), content);
        }
        // Offline, from the store alone: both roles must have kept their own bytes.
        config.offline = true;
        let mut offline = Updater::with_store(config, fetcher(), store).unwrap();
        offline.refresh().await.unwrap();
        assert_eq!(offline.target_info("up/x.txt").await.unwrap().length(), 5);
        assert_eq!(offline.target_info("low/y.txt").await.unwrap().length(), 5);
        let names: Vec<String> = backend.snapshot().into_keys().collect();
        assert!(names.contains(&"%41.json".to_owned()), "{names:?}");
        assert!(names.contains(&"a.json".to_owned()), "{names:?}");
    })
    .await;
}

#[tokio::test]
async fn a_store_in_the_earlier_layout_is_migrated() {
    bounded(async {
        let sim = case_variant_repo();
        let server = Server::start(sim.path().to_owned()).await;
        let work = tempfile::tempdir().unwrap();
        let mdir = work.path().join("metadata");
        Updater::init(&mdir, &sim.root_v1()).unwrap();
        let mut config = UpdaterConfig::new(
            &mdir,
            vec![server.url("metadata/")],
            vec![server.url("targets/")],
        );
        let mut u = Updater::new(config.clone(), fetcher()).unwrap();
        u.refresh().await.unwrap();
        u.target_info("up/x.txt").await.unwrap();
        u.target_info("low/y.txt").await.unwrap();
        drop(u);
        // Put role `A` where the earlier layout kept it (`quote(role).json`: `A.json`), beside
        // another program's JSON files that must be left alone.
        assert!(mdir.join("%41.json").is_file() && mdir.join("a.json").is_file());
        std::fs::rename(
            mdir.join("%41.json"),
            mdir.join(naming::metadata_file("A", None)),
        )
        .unwrap();
        std::fs::write(mdir.join("staged.json"), b"{\"not\":\"metadata\"}").unwrap();
        std::fs::write(mdir.join("README.json"), b"{\"not\":\"metadata\"}").unwrap();
        // A store of the earlier layout has no layout marker.
        std::fs::remove_file(mdir.join(".layout")).unwrap();
        config.offline = true;
        let mut offline = Updater::new(config, fetcher()).unwrap();
        offline.refresh().await.unwrap();
        assert!(offline.target_info("up/x.txt").await.is_ok());
        assert!(offline.target_info("low/y.txt").await.is_ok());
        assert!(!mdir.join("A.json").exists());
        assert!(mdir.join("README.json").is_file());
        assert!(mdir.join("%41.json").is_file());
        assert!(mdir.join("a.json").is_file());
        assert_eq!(
            std::fs::read(mdir.join("staged.json")).unwrap(),
            b"{\"not\":\"metadata\"}"
        );
        assert!(mdir.join("targets.json").is_file());
        // Migrated once: a file of the earlier layout appearing later is left where it is.
        std::fs::write(
            mdir.join("late.json"),
            b"{\"signed\":{\"_type\":\"targets\"}}",
        )
        .unwrap();
        let store = MetadataStore::open(&mdir).unwrap();
        drop(store.lock().unwrap());
        assert!(mdir.join("late.json").is_file());
    })
    .await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_fifo_in_the_metadata_directory_is_an_error_not_a_wait() {
    bounded(async {
        let mut sim = Sim::new();
        sim.add_target("targets", "f.txt", b"content");
        sim.publish();
        let server = Server::start(sim.path().to_owned()).await;
        let (_work, config) = sim.client(&server);
        let mdir = config.metadata_dir.clone();
        let fifo = mdir.join("timestamp.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let started = std::time::Instant::now();
        let err = Updater::new(config.clone(), fetcher())
            .unwrap()
            .refresh()
            .await
            .unwrap_err();
        assert!(
            matches!(&err, tuf_updater::UpdaterError::Store { path, error } if path.ends_with("timestamp.json") && error.to_string().contains("not a regular file")),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        // A FIFO where a cached target would be is not a cached copy; the download replaces it.
        std::fs::remove_file(&fifo).unwrap();
        let mut u = Updater::new(config, fetcher()).unwrap();
        u.refresh().await.unwrap();
        let info = u.target_info("f.txt").await.unwrap();
        let cached = u.target_path("f.txt").unwrap();
        std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&cached).status().unwrap();
        assert!(made.success());
        assert_eq!(u.find_cached_target(&info).await.unwrap(), None);
        let path = u.download_target(&info).await.unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"content");
    })
    .await;
}

#[tokio::test]
async fn targets_differing_only_in_case_are_kept_in_two_files() {
    // On a case-insensitive disk (macOS, Windows) `Readme.txt` and `readme.txt` would be one
    // file under python-tuf's names: one download would replace the other's verified copy.
    bounded(async {
        let mut sim = Sim::new();
        sim.add_target("targets", "Readme.txt", b"capital");
        sim.add_target("targets", "readme.txt", b"small");
        sim.add_target("targets", "nul", b"a device name on Windows");
        sim.publish();
        let server = Server::start(sim.path().to_owned()).await;
        let (_work, mut config) = sim.client(&server);
        let mut u = Updater::new(config.clone(), fetcher()).unwrap();
        u.refresh().await.unwrap();
        let mut names = std::collections::BTreeSet::new();
        for (target, content) in [
            ("Readme.txt", &b"capital"[..]),
            ("readme.txt", b"small"),
            ("nul", b"a device name on Windows"),
        ] {
            let info = u.target_info(target).await.unwrap();
            let path = u.download_target(&info).await.unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), content);
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            assert!(
                names.insert(name.to_lowercase()),
                "{name} taken ignoring case"
            );
        }
        assert!(
            names.contains("%52eadme.txt") && names.contains("%6eul"),
            "{names:?}"
        );
        // python-tuf's names where asked (the conformance suite reads them).
        config.python_target_names = true;
        let mut u = Updater::new(config, fetcher()).unwrap();
        u.refresh().await.unwrap();
        let info = u.target_info("Readme.txt").await.unwrap();
        let path = u.download_target(&info).await.unwrap();
        assert_eq!(path.file_name().unwrap(), "Readme.txt");
    })
    .await;
}

#[test]
fn the_memory_lock_is_exclusive() {
    let backend = MemoryBackend::case_sensitive();
    let lock = backend.lock().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let other = backend.clone();
    let t = std::thread::spawn(move || {
        let _l = other.lock().unwrap();
        tx.send(()).unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "lock taken twice"
    );
    drop(lock);
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    t.join().unwrap();
}
