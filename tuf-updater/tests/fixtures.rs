//! Every python-tuf fixture case, served over real HTTP on 127.0.0.1 and over file://, with
//! every expectation of its case.json met by the updater.

mod support;

use serde_json::Value as Json;
use std::path::Path;
use std::sync::Arc;
use support::{Server, fixtures};
use tuf_transport::{Fetcher, FileTransport, HttpConfig, TransportRegistry};
use tuf_updater::{Updater, UpdaterConfig, UpdaterError};
use url::Url;

fn cases() -> Vec<(String, Json)> {
    let index: Json =
        serde_json::from_slice(&std::fs::read(fixtures().join("index.json")).unwrap()).unwrap();
    index
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_owned();
            let case = serde_json::from_slice(
                &std::fs::read(fixtures().join(&name).join("case.json")).unwrap(),
            )
            .unwrap();
            (name, case)
        })
        .collect()
}

fn sha256_file(p: &Path) -> String {
    let data = std::fs::read(p).unwrap();
    tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(&data))
}

async fn run_case(name: &str, case: &Json, fetcher: Fetcher, meta: Url, targets: Url) {
    let work = tempfile::tempdir().unwrap();
    let dir = fixtures().join(name);
    let root = std::fs::read(dir.join(case["trusted_root"].as_str().unwrap())).unwrap();
    let mdir = work.path().join("metadata");
    Updater::init(&mdir, &root).unwrap();
    let mut config = UpdaterConfig::new(&mdir, vec![meta], vec![targets]);
    config.target_dir = Some(work.path().join("targets"));
    let mut updater = Updater::new(config, fetcher).unwrap();
    for step in case["expect"].as_array().unwrap() {
        match step["action"].as_str().unwrap() {
            "refresh" => {
                assert_eq!(step["result"], "ok", "{name}");
                updater
                    .refresh()
                    .await
                    .unwrap_or_else(|e| panic!("{name}: refresh: {e}"));
                let t = updater.trusted().unwrap();
                let versions = &step["versions"];
                assert_eq!(
                    versions["root"],
                    tuf_metadata::Signed::version(t.root().signed()),
                    "{name}"
                );
                assert_eq!(
                    versions["timestamp"],
                    tuf_metadata::Signed::version(t.timestamp().unwrap().signed()),
                    "{name}"
                );
                assert_eq!(
                    versions["snapshot"],
                    tuf_metadata::Signed::version(t.snapshot().unwrap().signed()),
                    "{name}"
                );
                assert_eq!(
                    versions["targets"],
                    tuf_metadata::Signed::version(t.targets().unwrap().signed()),
                    "{name}"
                );
            }
            "download" => {
                let target = step["target"].as_str().unwrap();
                let found = updater.target_info(target).await;
                if step["result"] == "ok" {
                    let info = found.unwrap_or_else(|e| panic!("{name}: {target}: {e}"));
                    assert!(updater.find_cached_target(&info).await.unwrap().is_none());
                    let path = updater
                        .download_target(&info)
                        .await
                        .unwrap_or_else(|e| panic!("{name}: {target}: {e}"));
                    assert_eq!(
                        step["sha256"],
                        sha256_file(&path).as_str(),
                        "{name}: {target}"
                    );
                    assert_eq!(
                        step["length"],
                        std::fs::metadata(&path).unwrap().len(),
                        "{name}: {target}"
                    );
                    // Now cached, and re-verified on reuse.
                    assert_eq!(
                        updater.find_cached_target(&info).await.unwrap(),
                        Some(path.clone())
                    );
                    std::fs::write(&path, b"tampered").unwrap();
                    assert!(updater.find_cached_target(&info).await.unwrap().is_none());
                } else {
                    assert_eq!(step["error_kind"], "not_found");
                    assert!(
                        matches!(found, Err(UpdaterError::TargetNotFound { .. })),
                        "{name}: {target}: {found:?}"
                    );
                }
            }
            other => panic!("unknown action {other}"),
        }
    }
}

#[tokio::test]
async fn every_case_over_http() {
    let server = Server::start(fixtures()).await;
    for (name, case) in cases() {
        let fetcher =
            Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap());
        let meta = server.url(&format!("{name}/metadata/"));
        let targets = server.url(&format!("{name}/targets/"));
        run_case(&name, &case, fetcher, meta, targets).await;
    }
}

#[tokio::test]
async fn every_case_over_file_urls() {
    let root = fixtures();
    for (name, case) in cases() {
        let mut registry = TransportRegistry::new();
        registry.register("file", Arc::new(FileTransport::new(&root).unwrap()));
        let base = Url::from_directory_path(&root).unwrap();
        let meta = base.join(&format!("{name}/metadata/")).unwrap();
        let targets = base.join(&format!("{name}/targets/")).unwrap();
        run_case(&name, &case, Fetcher::new(registry), meta, targets).await;
    }
}

#[tokio::test]
async fn a_fresh_refresh_makes_exactly_the_spec_requests_and_a_second_reuses_the_store() {
    let server = Server::start(fixtures()).await;
    let work = tempfile::tempdir().unwrap();
    let root = std::fs::read(fixtures().join("basic-ed25519/metadata/1.root.json")).unwrap();
    Updater::init(work.path(), &root).unwrap();
    let config = || {
        UpdaterConfig::new(
            work.path(),
            vec![server.url("basic-ed25519/metadata/")],
            vec![],
        )
    };
    let fetcher =
        || Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap());
    let mut u = Updater::new(config(), fetcher()).unwrap();
    u.refresh().await.unwrap();
    let p = "/basic-ed25519/metadata/";
    assert_eq!(
        server.log.take(),
        [
            format!("{p}2.root.json"),
            format!("{p}timestamp.json"),
            format!("{p}1.snapshot.json"),
            format!("{p}1.targets.json")
        ]
    );
    // Only unversioned names in the store, holding the exact bytes served.
    let mut names: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "root.json",
            "snapshot.json",
            "targets.json",
            "timestamp.json"
        ]
    );
    assert_eq!(
        std::fs::read(work.path().join("snapshot.json")).unwrap(),
        std::fs::read(fixtures().join("basic-ed25519/metadata/1.snapshot.json")).unwrap()
    );
    // A new updater on the same store: nothing but the root probe and the timestamp.
    let mut u = Updater::new(config(), fetcher()).unwrap();
    u.refresh().await.unwrap();
    assert_eq!(
        server.log.take(),
        [format!("{p}2.root.json"), format!("{p}timestamp.json")]
    );
    let totals = u.metrics().totals();
    assert_eq!((totals.requests, totals.failures), (2, 1));
}
