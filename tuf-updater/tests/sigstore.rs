//! A real repository: Sigstore's production TUF repository (ECDSA keys, a delegated role with
//! online keys, eleven root rotations), served over HTTP on 127.0.0.1 as its CDN serves it,
//! walked from root 5 to root 15 and downloaded from, as of a reference time inside its
//! validity. Provenance: `tests/data/sigstore/PROVENANCE.md`.

mod support;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;
use support::{Serve, Server};
use tuf_metadata::{Expiry, Signed};
use tuf_transport::{Fetcher, HttpConfig, TransportRegistry};
use tuf_updater::{Updater, UpdaterConfig, UpdaterError};

async fn bounded<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test took longer than 60 s")
}

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/sigstore")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(data().join(rel)).unwrap()
}

/// Inside the validity of every file (see PROVENANCE.md).
fn reference() -> Expiry {
    Expiry::parse("2026-08-22T00:00:00Z").unwrap()
}

struct Client {
    _work: tempfile::TempDir,
    config: UpdaterConfig,
}

impl Client {
    fn new(server: &Server, root: &str) -> Client {
        let work = tempfile::tempdir().unwrap();
        let mdir = work.path().join("metadata");
        Updater::init(&mdir, &read(root)).unwrap();
        let mut config = UpdaterConfig::new(
            &mdir,
            vec![server.url("metadata/")],
            vec![server.url("targets/")],
        );
        config.target_dir = Some(work.path().join("targets"));
        config.reference_time = Some(reference());
        Client {
            _work: work,
            config,
        }
    }

    fn updater(&self) -> Updater {
        let fetcher =
            Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap());
        Updater::new(self.config.clone(), fetcher).unwrap()
    }
}

async fn server() -> Server {
    let server = Server::start(data()).await;
    // The CDN is a GCS bucket without list permission: a missing key is 403, not 404.
    server.set("/metadata/16.root.json", Serve::Status(403));
    server
}

#[tokio::test]
async fn walks_from_root_5_to_15_and_downloads_real_targets() {
    bounded(async {
        let server = server().await;
        let client = Client::new(&server, "metadata/5.root.json");
        let mut u = client.updater();
        u.refresh().await.unwrap();
        let trusted = u.trusted().unwrap();
        assert_eq!(trusted.root().signed().version(), 15);
        assert_eq!(trusted.timestamp().unwrap().signed().version(), 762);
        assert_eq!(trusted.snapshot().unwrap().signed().version(), 165);
        assert_eq!(trusted.targets().unwrap().signed().version(), 14);
        let log = server.log.take();
        for n in 6..=16 {
            assert!(log.contains(&format!("/metadata/{n}.root.json")), "{log:?}");
        }
        for (target, file) in [
            (
                "trusted_root.json",
                "targets/6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66.trusted_root.json",
            ),
            (
                "signing_config.v0.2.json",
                "targets/9711a6d5375706957a4859af31c5866a4474f81f0544f9f4b76c9c4f4c8a539c.signing_config.v0.2.json",
            ),
            (
                "rekor.pub",
                "targets/dce5ef715502ec9f3cdfd11f8cc384b31a6141023d3e7595e9908a81cb6241bd.rekor.pub",
            ),
            // Through the terminating delegation to registry.npmjs.org (its own online key).
            (
                "registry.npmjs.org/keys.json",
                "targets/registry.npmjs.org/160677eb6e1c7083c89b166b20f8fe4e837fb71181506aff1991b80b89184f7d.keys.json",
            ),
        ] {
            let info = u.target_info(target).await.unwrap();
            let path = u.download_target(&info).await.unwrap();
            assert_eq!(std::fs::read(path).unwrap(), read(file), "{target}");
        }
        assert!(u.trusted().unwrap().role("registry.npmjs.org").is_some());
        // The delegation is terminating and only for registry.npmjs.org/*.
        assert!(matches!(
            u.target_info("registry.npmjs.org/other.json").await,
            Err(UpdaterError::TargetNotFound { .. })
        ));
        // A second refresh answers from the store: only the timestamp and root 16.
        let _ = server.log.take();
        let mut again = client.updater();
        again.refresh().await.unwrap();
        let mut log = server.log.take();
        log.sort();
        assert_eq!(log, ["/metadata/16.root.json", "/metadata/timestamp.json"]);
    })
    .await;
}

#[tokio::test]
async fn a_tampered_sigstore_target_is_refused() {
    bounded(async {
        let server = server().await;
        let client = Client::new(&server, "metadata/5.root.json");
        let mut u = client.updater();
        u.refresh().await.unwrap();
        let file = "/targets/6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66.trusted_root.json";
        let mut evil = read(&file[1..]);
        evil[100] ^= 1;
        server.set(file, Serve::Bytes(evil));
        let info = u.target_info("trusted_root.json").await.unwrap();
        let err = u.download_target(&info).await.unwrap_err();
        assert!(matches!(err, UpdaterError::LengthOrHash { .. }), "{err}");
    })
    .await;
}

#[tokio::test]
async fn the_wall_clock_finds_the_recorded_repository_expired() {
    bounded(async {
        let server = server().await;
        let mut client = Client::new(&server, "metadata/5.root.json");
        client.config.reference_time = None;
        let err = client.updater().refresh().await.unwrap_err();
        // Root 15 expired on 2026-11-20, the timestamp on 2026-08-28 (spec 5.3.10, 5.4.4).
        assert!(
            matches!(&err, UpdaterError::Expired { role, .. } if role == "root" || role == "timestamp"),
            "{err}"
        );
    })
    .await;
}

#[test]
fn root_1_predates_the_spec_formats_and_is_refused() {
    // Hex ECDSA points instead of PEM, and `expires` with fractional seconds and an offset.
    let err = Updater::init(
        tempfile::tempdir().unwrap().path(),
        &read("metadata/1.root.json"),
    )
    .unwrap_err();
    assert!(matches!(err, UpdaterError::TrustedRoot { .. }), "{err}");
    assert!(err.to_string().contains("expires"), "{err}");
}
