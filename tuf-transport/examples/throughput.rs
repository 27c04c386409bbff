//! Loopback throughput of a large file over HTTP through [`tuf_transport`], against reading
//! the same file through the file transport and straight from disk, with peak memory.
//!
//! `cargo run --release -p tuf-transport --example throughput [MIB]` (default 256)

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tuf_transport::{Fetcher, FileTransport, HttpConfig, Limits, TransportRegistry};
use url::Url;

/// Peak resident memory (VmHWM) in MiB, from /proc.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak-memory mark so each phase is measured on its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn serve(listener: tokio::net::TcpListener, path: std::path::PathBuf) {
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let path = path.clone();
        tokio::spawn(async move {
            let mut head = [0u8; 4096];
            let _ = sock.read(&mut head).await;
            let mut file = tokio::fs::File::open(&path).await.unwrap();
            let len = file.metadata().await.unwrap().len();
            let h =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n");
            sock.write_all(h.as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = file.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                if sock.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

async fn drain(fetcher: &Fetcher, url: &Url, len: u64) -> (u64, f64) {
    let limits = Limits::default().max_len(len);
    let start = Instant::now();
    let mut d = fetcher.open(url, limits).await.unwrap();
    let mut total = 0u64;
    while let Some(chunk) = d.chunk().await.unwrap() {
        total += chunk.len() as u64;
    }
    (total, start.elapsed().as_secs_f64())
}

fn report(label: &str, bytes: u64, secs: f64) {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{label:<28} {mib:>6.0} MiB in {secs:>6.3} s = {:>7.0} MiB/s, peak RSS {:>6.1} MiB",
        mib / secs,
        peak_rss_mib()
    );
}

#[tokio::main]
async fn main() {
    let mib: u64 = std::env::args()
        .nth(1)
        .map_or(256, |s| s.parse().expect("MIB"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block: Vec<u8> = (0..1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        for _ in 0..mib {
            f.write_all(&block).unwrap();
        }
    }
    let len = mib * 1024 * 1024;
    println!(
        "file: {mib} MiB; peak RSS before the runs {:.1} MiB",
        peak_rss_mib()
    );

    reset_peak();
    let start = Instant::now();
    let mut f = std::fs::File::open(&path).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    report(
        "disk (std::fs::read loop)",
        total,
        start.elapsed().as_secs_f64(),
    );

    let mut registry = TransportRegistry::with_defaults(&HttpConfig::default(), None).unwrap();
    registry.register("file", Arc::new(FileTransport::new(dir.path()).unwrap()));
    let fetcher = Fetcher::new(registry);

    reset_peak();
    let file_url = Url::from_file_path(dir.path().canonicalize().unwrap().join("big.bin")).unwrap();
    let (bytes, secs) = drain(&fetcher, &file_url, len).await;
    report("file:// transport", bytes, secs);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, path.clone()));
    reset_peak();
    let url = Url::parse(&format!("http://{addr}/big.bin")).unwrap();
    let (bytes, secs) = drain(&fetcher, &url, len).await;
    report("http:// loopback transport", bytes, secs);
    assert_eq!(bytes, len);
}
