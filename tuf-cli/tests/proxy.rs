//! The verifying proxy at the HTTP level, on a mirror built and served in-process: proxy
//! requests in absolute form and `CONNECT` (covered hosts served, every other host refused),
//! and load — 64 installer-like clients at once, each fetching index pages and distribution
//! files in parallel, every response checked against the original bytes, bounded in count
//! (64 × 8 requests) and in time (a timeout per request). The load test prints the throughput
//! and the peak memory of the process (proxy, TUF client and mirror together);
//! `bench/proxy-load.sh` runs it in release mode for the figures.

mod web;

use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Instant;
use tuf_interpose::{Interposer, RepositorySpec, RulesSpec};
use tuf_repo::{RepoConfig, Repository};
use web::{get, request, request_accepting};

const CLIENTS: usize = 64;
const ROUNDS: usize = 4;
const PROJECTS: usize = 48;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A mirror of `PROJECTS` projects (a page and a 256 KiB file each), built with tuf-repo,
/// served over HTTP, and an interposer for it: (work dir, server, interposer, expected
/// (page bytes, file sha256) per project).
async fn mirror() -> (
    tempfile::TempDir,
    tuf_repo::serve::Served,
    Arc<Interposer>,
    Vec<(Vec<u8>, Vec<u8>)>,
) {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    let expected = web::tree(&tree, PROJECTS);
    let repo_dir = work.path().join("repo");
    let config = RepoConfig {
        bin_count: 16,
        ..RepoConfig::default()
    };
    Repository::init(&repo_dir, config)
        .unwrap()
        .sync(&tree)
        .unwrap();
    let served = tuf_repo::serve::serve(&repo_dir, "127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    let spec = RulesSpec::for_mirror(RepositorySpec {
        metadata_urls: vec![served.metadata_url()],
        targets_urls: vec![served.targets_url()],
        metadata_dir: work.path().join("cache/metadata"),
        targets_dir: work.path().join("cache/targets"),
        root: Some(repo_dir.join("metadata/1.root.json")),
        ca_file: None,
    });
    let interposer = Arc::new(Interposer::start(&spec).await.unwrap());
    (work, served, interposer, expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_at_once_get_only_verified_bytes() {
    let (_work, _served, interposer, expected) = mirror().await;
    let proxy = tuf_interpose::start(interposer).await.unwrap();
    let addr = proxy.addr;
    let expected = Arc::new(expected);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let expected = expected.clone();
        tasks.push(tokio::spawn(async move {
            let mut bytes = 0usize;
            for r in 0..ROUNDS {
                let i = (c * 7 + r * 13) % PROJECTS;
                let (page_path, dist_path) = (
                    format!("/simple/p{i}/"),
                    format!("/packages/p{i}/p{i}-1.0.tar.gz"),
                );
                let (page, dist) = tokio::join!(get(addr, &page_path), get(addr, &dist_path));
                let (status, body) = page?;
                if status != 200 || body != expected[i].0 {
                    return Err(format!("client {c}: page of p{i}: status {status}"));
                }
                bytes += body.len();
                let (status, body) = dist?;
                if status != 200 || Sha256::digest(&body).to_vec() != expected[i].1 {
                    return Err(format!("client {c}: file of p{i}: status {status}"));
                }
                bytes += body.len();
            }
            Ok::<usize, String>(bytes)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap().unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let requests = CLIENTS * ROUNDS * 2;
    println!(
        "proxy load: {CLIENTS} clients, {requests} requests, {:.1} MiB verified in {secs:.2} s: {:.0} requests/s, {:.1} MiB/s; peak RSS of the process {} KiB",
        total as f64 / 1048576.0,
        requests as f64 / secs,
        total as f64 / 1048576.0 / secs,
        peak_rss_kib()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_requests_for_covered_hosts_are_served_and_all_others_refused() {
    let (_work, _served, interposer, expected) = mirror().await;
    let guard =
        Arc::new(tuf_interpose::Guard::new(["pypi.org", "files.pythonhosted.org"]).unwrap());
    let proxy = tuf_interpose::start_guarded(interposer.clone(), Some(guard))
        .await
        .unwrap();
    let addr = proxy.addr;
    // Absolute form, covered host: served from the verified target.
    let (status, body) = request(addr, "GET", "http://pypi.org/simple/p3/")
        .await
        .unwrap();
    assert_eq!((status, body), (200, expected[3].0.clone()));
    // Absolute form to the proxy itself: the index.
    let own = format!("http://127.0.0.1:{}/simple/p4/", addr.port());
    let (status, body) = request(addr, "GET", &own).await.unwrap();
    assert_eq!((status, body), (200, expected[4].0.clone()));
    // Absolute form and CONNECT to hosts nobody covers: refused, and recorded.
    let (status, body) = request(addr, "GET", "http://evil.example/simple/p3/")
        .await
        .unwrap();
    assert_eq!(status, 403);
    assert!(String::from_utf8_lossy(&body).contains("no TUF repository covers"));
    let (status, _) = request(addr, "CONNECT", "evil.example:443").await.unwrap();
    assert_eq!(status, 403);
    assert_eq!(
        interposer.uncovered_requests(),
        [
            "GET http://evil.example/simple/p3/",
            "CONNECT evil.example:443"
        ]
    );
    // Without a guard (index mode), even a covered host cannot be tunnelled to.
    let plain = tuf_interpose::start(interposer.clone()).await.unwrap();
    let (status, _) = request(plain.addr, "CONNECT", "pypi.org:443")
        .await
        .unwrap();
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_tampered_json_page_is_refused_not_replaced_by_html() {
    let (work, _served, interposer, _) = mirror().await;
    let proxy = tuf_interpose::start(interposer).await.unwrap();
    let json = "application/vnd.pypi.simple.v1+json";
    let (status, body) = request_accepting(proxy.addr, "GET", "/simple/p0/", json)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        page["meta"]["api-version"] == "1.0" && page["name"] == "p0" && page["files"].is_array(),
        "{page}"
    );
    // The attacker rewrites p1's JSON page on the mirror (its HTML page stays intact).
    let dir = work.path().join("repo/targets/simple/p1");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with("index.json") {
            std::fs::remove_file(&p).unwrap();
            std::fs::write(
                &p,
                b"{\"meta\":{\"api-version\":\"1.0\"},\"name\":\"p1\",\"files\":[{}]}",
            )
            .unwrap();
        }
    }
    let (status, body) = request_accepting(proxy.addr, "GET", "/simple/p1/", json)
        .await
        .unwrap();
    assert_eq!(status, 502, "{}", String::from_utf8_lossy(&body));
    let html = |b: &[u8]| String::from_utf8_lossy(b).contains("<a href=");
    assert!(!html(&body), "the HTML page was served instead");
    // HTML asked for is still served.
    let (status, body) = get(proxy.addr, "/simple/p1/").await.unwrap();
    assert_eq!(status, 200);
    assert!(html(&body));
}
