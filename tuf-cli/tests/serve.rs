//! `tuf-cli serve`, the real binary, against a mirror built with tuf-repo and served over
//! HTTP on 127.0.0.1: 64 installer-like clients at once with every answer checked against
//! the original bytes (p50 and p99 latency printed), `/metrics`, the metadata expiring
//! without a refresh (nothing served) and coming back, and a graceful stop on SIGTERM that
//! lets a download in progress finish.

mod web;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tuf_repo::{RepoConfig, Repository};
use web::{get, request_accepting};

const BIN: &str = env!("CARGO_BIN_EXE_tuf-cli");
const CLIENTS: usize = 64;
const PROJECTS: usize = 48;
/// Projects each client installs (a page, then the file).
const PER_CLIENT: usize = 6;

/// A repository of [`PROJECTS`] projects in `work/repo` (built with `config`) and its
/// server; returns the expected (page, file sha256) per project.
async fn mirror(
    work: &Path,
    config: RepoConfig,
) -> (tuf_repo::serve::Served, Vec<(Vec<u8>, Vec<u8>)>) {
    let tree = work.join("tree");
    let expected = web::tree(&tree, PROJECTS);
    // One large file, for the download that must survive a SIGTERM.
    std::fs::create_dir_all(tree.join("packages/big")).unwrap();
    std::fs::write(tree.join("packages/big/big-1.0.tar.gz"), big()).unwrap();
    Repository::init(&work.join("repo"), config)
        .unwrap()
        .sync(&tree)
        .unwrap();
    let served = tuf_repo::serve::serve(&work.join("repo"), "127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap();
    (served, expected)
}

fn big() -> Vec<u8> {
    (0..48u32 << 20).map(|b| (b % 253) as u8).collect()
}

/// Starts `tuf-cli serve` on a free port; returns the process and its address.
async fn serve(
    work: &Path,
    served: &tuf_repo::serve::Served,
    extra: &[&str],
) -> (Child, std::net::SocketAddr) {
    let mirror = served.metadata_url();
    let mirror = mirror.strip_suffix("metadata/").unwrap();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--mirror",
            mirror,
            "--root",
        ])
        .arg(work.join("repo/metadata/1.root.json"))
        .arg("--cache-dir")
        .arg(work.join("cache"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("serve printed nothing within 60 s")
        .unwrap()
        .expect("serve exited before listening");
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    (child, addr)
}

/// The value of the sample `name` (with its labels, as written) in a metrics text.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        let (n, v) = l.rsplit_once(' ')?;
        (n == name).then(|| v.parse().ok())?
    })
}

async fn metrics(addr: std::net::SocketAddr) -> String {
    let (status, body) = get(addr, "/metrics").await.unwrap();
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sigterm(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_installers_at_once_get_verified_bytes_and_sigterm_lets_a_download_finish() {
    let work = tempfile::tempdir().unwrap();
    let config = RepoConfig {
        bin_count: 16,
        ..RepoConfig::default()
    };
    let (served, expected) = mirror(work.path(), config).await;
    let (mut child, addr) = serve(work.path(), &served, &[]).await;
    let expected = Arc::new(expected);
    let json = "application/vnd.pypi.simple.v1+json";
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let expected = expected.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut bytes = 0u64;
            for r in 0..PER_CLIENT {
                let i = (c * 7 + r * 13) % PROJECTS;
                // An installer asks for the page (JSON first, as uv and pip do), then the file.
                let t = Instant::now();
                let (status, body) =
                    request_accepting(addr, "GET", &format!("/simple/p{i}/"), json).await?;
                latencies.push(t.elapsed());
                let page = serde_json::from_slice::<serde_json::Value>(&body).ok();
                if status != 200 || page.is_none_or(|p| p["name"] != format!("p{i}")) {
                    return Err(format!("client {c}: JSON page of p{i}: status {status}"));
                }
                bytes += body.len() as u64;
                let t = Instant::now();
                let (status, body) = get(addr, &format!("/simple/P{i}/")).await?;
                latencies.push(t.elapsed());
                if status != 200 || body != expected[i].0 {
                    return Err(format!("client {c}: page of p{i}: status {status}"));
                }
                bytes += body.len() as u64;
                let t = Instant::now();
                let (status, body) = get(addr, &format!("/packages/p{i}/p{i}-1.0.tar.gz")).await?;
                latencies.push(t.elapsed());
                if status != 200 || Sha256::digest(&body).to_vec() != expected[i].1 {
                    return Err(format!("client {c}: file of p{i}: status {status}"));
                }
                bytes += body.len() as u64;
            }
            Ok::<_, String>((latencies, bytes))
        }));
    }
    let mut all = Vec::new();
    let mut bytes = 0;
    for t in tasks {
        let (l, b) = t.await.unwrap().unwrap();
        all.extend(l);
        bytes += b;
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    // The service's own peak memory (its process alone: the mirror runs in this one).
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id().unwrap()))
        .unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap_or("?")
        .trim()
        .to_owned();
    println!(
        "tuf-cli serve load: {CLIENTS} clients, {} requests, {:.1} MiB verified in {secs:.2} s ({:.0} requests/s); latency p50 {:.1} ms, p99 {:.1} ms; peak RSS of tuf-cli serve {peak}",
        all.len(),
        bytes as f64 / 1048576.0,
        all.len() as f64 / secs,
        percentile(&all, 0.5).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
    );
    // What /metrics says matches what was asked for and sent.
    let m = metrics(addr).await;
    let requests = (CLIENTS * PER_CLIENT * 3) as f64;
    assert_eq!(sample(&m, "tuf_proxy_served_total"), Some(requests), "{m}");
    assert_eq!(
        sample(&m, "tuf_proxy_verified_bytes_total"),
        Some(bytes as f64)
    );
    assert_eq!(
        sample(&m, "tuf_proxy_refused_total{reason=\"not_found\"}"),
        Some(0.0)
    );
    assert_eq!(
        sample(&m, "tuf_metadata_fresh{repository=\"mirror\"}"),
        Some(1.0),
        "{m}"
    );
    assert!(sample(&m, "tuf_mirror_fetches_total{repository=\"mirror\"}").unwrap() > 0.0);
    // A project the repository does not have: refused and counted.
    let (status, _) = get(addr, "/simple/nothere/").await.unwrap();
    assert_eq!(status, 404);
    let m = metrics(addr).await;
    assert_eq!(
        sample(&m, "tuf_proxy_refused_total{reason=\"not_found\"}"),
        Some(1.0)
    );

    // A large download in progress when SIGTERM arrives is finished, then the process exits.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"GET /packages/big/big-1.0.tar.gz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut head = vec![0u8; 4096];
    let n = s.read(&mut head).await.unwrap();
    assert!(
        n > 0 && head.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&head[..n])
    );
    sigterm(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // New connections are no longer accepted.
    assert!(
        get(addr, "/simple/p1/").await.is_err(),
        "still accepting after SIGTERM"
    );
    let mut rest = head[..n].to_vec();
    s.read_to_end(&mut rest).await.unwrap();
    let end = rest.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(rest.len() - end, 48 << 20, "the download was cut short");
    assert!(rest[end..] == big()[..], "the download's bytes differ");
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("serve did not exit within 30 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
}

/// Polls `/metrics` until `name` has a value `ok` accepts (at most 30 s).
async fn wait_for(addr: std::net::SocketAddr, name: &str, ok: impl Fn(f64) -> bool) -> String {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let m = metrics(addr).await;
        if sample(&m, name).is_some_and(&ok) {
            return m;
        }
        assert!(Instant::now() < until, "{name} never got there:\n{m}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_served_once_the_metadata_expires_unrefreshed_and_all_is_again_after_a_refresh()
{
    let work = tempfile::tempdir().unwrap();
    let mut config = RepoConfig {
        bin_count: 16,
        ..RepoConfig::default()
    };
    // A timestamp valid for 8 seconds.
    config.timestamp.expiry_seconds = 8;
    let (served, expected) = mirror(work.path(), config).await;
    let repo: PathBuf = work.path().join("repo");
    let (mut child, addr) = serve(work.path(), &served, &["--refresh-interval", "1"]).await;
    let (status, body) = get(addr, "/simple/p2/").await.unwrap();
    assert_eq!((status, &body), (200, &expected[2].0));
    // The repository signs no new timestamp: once it expires, every refresh fails and
    // nothing is served, not even what is cached and was verified before.
    wait_for(addr, "tuf_metadata_fresh{repository=\"mirror\"}", |v| {
        v == 0.0
    })
    .await;
    let failures = "tuf_metadata_refresh_failures_total{repository=\"mirror\"}";
    wait_for(addr, failures, |v| v >= 1.0).await;
    for path in ["/simple/p2/", "/simple/p3/", "/packages/p2/p2-1.0.tar.gz"] {
        let (status, body) = get(addr, path).await.unwrap();
        assert_eq!(status, 503, "{path}: {}", String::from_utf8_lossy(&body));
        assert!(String::from_utf8_lossy(&body).contains("expired"));
    }
    let m = metrics(addr).await;
    assert_eq!(
        sample(&m, "tuf_proxy_refused_total{reason=\"expired\"}"),
        Some(3.0),
        "{m}"
    );
    // The repository signs a new timestamp: the next refresh serves again.
    Repository::open(&repo)
        .unwrap()
        .refresh_timestamp()
        .unwrap();
    wait_for(addr, "tuf_metadata_fresh{repository=\"mirror\"}", |v| {
        v == 1.0
    })
    .await;
    let (status, body) = get(addr, "/simple/p3/").await.unwrap();
    assert_eq!((status, &body), (200, &expected[3].0));
    sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}
