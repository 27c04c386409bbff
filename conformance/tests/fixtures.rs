//! Every python-tuf fixture case through the `tuf-conformance-client` binary, over real HTTP
//! on 127.0.0.1, with the protocol's exit codes and request rules.

#[path = "../../tuf-updater/tests/support/mod.rs"]
mod support;

use serde_json::Value as Json;
use std::process::Command;
use support::{Server, fixtures};

const BIN: &str = env!("CARGO_BIN_EXE_tuf-conformance-client");

fn run(args: &[&str]) -> i32 {
    let out = Command::new(BIN).args(args).output().unwrap();
    out.status.code().unwrap_or(-1)
}

fn sha256(data: &[u8]) -> String {
    tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_case_through_the_protocol_client_over_http() {
    let server = Server::start(fixtures()).await;
    every_case(Some(&server)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_case_through_the_protocol_client_over_file_urls() {
    every_case(None).await;
}

async fn every_case(server: Option<&Server>) {
    let index: Json =
        serde_json::from_slice(&std::fs::read(fixtures().join("index.json")).unwrap()).unwrap();
    for c in index.as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let case: Json = serde_json::from_slice(
            &std::fs::read(fixtures().join(name).join("case.json")).unwrap(),
        )
        .unwrap();
        let work = tempfile::tempdir().unwrap();
        let mdir = work.path().join("metadata");
        let tdir = work.path().join("targets");
        std::fs::create_dir_all(&tdir).unwrap();
        let (m, t) = (mdir.to_str().unwrap(), tdir.to_str().unwrap());
        let root = fixtures()
            .join(name)
            .join(case["trusted_root"].as_str().unwrap());
        if let Some(server) = server {
            let _ = server.log.take();
        }
        assert_eq!(
            run(&["--metadata-dir", m, "init", root.to_str().unwrap()]),
            0,
            "{name}"
        );
        if let Some(server) = server {
            assert!(server.log.take().is_empty(), "{name}: init made a request");
        }
        let base = |kind: &str| match server {
            Some(s) => s.url(&format!("{name}/{kind}/")).to_string(),
            None => url::Url::from_directory_path(fixtures().join(name).join(kind))
                .unwrap()
                .to_string(),
        };
        let (murl, turl) = (base("metadata"), base("targets"));
        assert_eq!(
            run(&["--metadata-dir", m, "--metadata-url", &murl, "refresh"]),
            0,
            "{name}"
        );
        let mut ok_targets = Vec::new();
        for step in case["expect"].as_array().unwrap().iter().skip(1) {
            let target = step["target"].as_str().unwrap();
            let mut args = vec![
                "--metadata-dir",
                m,
                "--metadata-url",
                &murl,
                "--target-name",
                target,
            ];
            args.extend(["--target-base-url", &turl, "--target-dir", t, "download"]);
            let code = run(&args);
            if step["result"] == "ok" {
                assert_eq!(code, 0, "{name}: {target}");
                ok_targets.push(step["sha256"].as_str().unwrap().to_owned());
            } else {
                assert_eq!(code, 1, "{name}: {target} must fail");
            }
        }
        // Every verified target is in the target dir, and nothing else.
        let mut got: Vec<String> = std::fs::read_dir(&tdir)
            .unwrap()
            .map(|e| sha256(&std::fs::read(e.unwrap().path()).unwrap()))
            .collect();
        got.sort();
        ok_targets.sort();
        ok_targets.dedup();
        assert_eq!(got, ok_targets, "{name}");
        // Downloading them again (several in one run, in order) fetches no target bytes.
        let Some(server) = server else { continue };
        let _ = server.log.take();
        let names: Vec<&str> = case["expect"]
            .as_array()
            .unwrap()
            .iter()
            .skip(1)
            .filter(|s| s["result"] == "ok")
            .map(|s| s["target"].as_str().unwrap())
            .collect();
        let mut args = vec!["--metadata-dir", m, "--metadata-url", &murl];
        for n in &names {
            args.extend(["--target-name", n]);
        }
        args.extend(["--target-base-url", &turl, "--target-dir", t, "download"]);
        assert_eq!(run(&args), 0, "{name}");
        assert!(
            server.log.take().iter().all(|p| p.contains("/metadata/")),
            "{name}: a cached target was fetched again"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argument_errors_and_bad_roots_exit_1_without_requests() {
    let server = Server::start(fixtures()).await;
    assert_eq!(run(&[]), 1);
    assert_eq!(run(&["--no-such-option", "refresh"]), 1);
    assert_eq!(run(&["--metadata-dir"]), 1);
    assert_eq!(run(&["--metadata-dir", "/tmp/x", "frobnicate"]), 1);
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("bad-root.json");
    std::fs::write(&bad, b"{not json").unwrap();
    let m = work.path().join("metadata");
    // init stores the root without checks, as the protocol asks...
    assert_eq!(
        run(&[
            "--metadata-dir",
            m.to_str().unwrap(),
            "init",
            bad.to_str().unwrap()
        ]),
        0
    );
    // ...and refresh then fails before any request.
    let murl = server.url("basic-ed25519/metadata/").to_string();
    assert_eq!(
        run(&[
            "--metadata-dir",
            m.to_str().unwrap(),
            "--metadata-url",
            &murl,
            "refresh"
        ]),
        1
    );
    assert!(
        server.log.take().is_empty(),
        "a request was made with an unusable root"
    );
}
