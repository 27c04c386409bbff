//! Shared by the HTTP-level tests: a bounded HTTP/1.1 client on a raw TCP stream, and a
//! PyPI-style tree of pages and files whose bytes the tests know.

#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 GET (connection closed after), bounded in size and time: (status, body).
pub async fn get(addr: std::net::SocketAddr, path: &str) -> Result<(u16, Vec<u8>), String> {
    request(addr, "GET", path).await
}

/// One HTTP/1.1 request with no body; the connection is closed after the answer.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
) -> Result<(u16, Vec<u8>), String> {
    request_accepting(addr, method, target, "*/*").await
}

/// [`request`] with an `Accept` header.
pub async fn request_accepting(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    accept: &str,
) -> Result<(u16, Vec<u8>), String> {
    let path = target;
    let work = async {
        let mut s = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let req = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        (&mut s)
            .take(16 << 20)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| e.to_string())?;
        let end = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no header end")?;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or("no status")?;
        Ok((status, buf[end + 4..].to_vec()))
    };
    tokio::time::timeout(Duration::from_secs(60), work)
        .await
        .map_err(|_| format!("{path}: no answer within 60 s"))?
}

/// Writes `projects` projects under `tree` (`simple/p<i>/index.html` and `index.json`, and a
/// 256 KiB `packages/p<i>/p<i>-1.0.tar.gz` whose bytes differ per project); returns, per
/// project, the HTML page as the proxy writes it for the installer (`tuf_interpose::pages`;
/// its links are relative, so the proxy's address plays no part) and the file's sha256.
pub fn tree(tree: &Path, projects: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut expected = Vec::new();
    for i in 0..projects {
        let page = format!("<a href=\"../../packages/p{i}/p{i}-1.0.tar.gz\">p{i}-1.0.tar.gz</a>\n");
        // 256 KiB files whose bytes differ per project.
        let dist: Vec<u8> = (0..256 * 1024u32)
            .map(|b| (b.wrapping_mul(31).wrapping_add(i as u32 * 7) % 251) as u8)
            .collect();
        std::fs::create_dir_all(tree.join(format!("simple/p{i}"))).unwrap();
        std::fs::create_dir_all(tree.join(format!("packages/p{i}"))).unwrap();
        std::fs::write(tree.join(format!("simple/p{i}/index.html")), &page).unwrap();
        // A PEP 691 JSON page beside it, as mirrors of PyPI have.
        let json =
            format!("{{\"meta\":{{\"api-version\":\"1.0\"}},\"name\":\"p{i}\",\"files\":[]}}");
        std::fs::write(tree.join(format!("simple/p{i}/index.json")), json).unwrap();
        std::fs::write(tree.join(format!("packages/p{i}/p{i}-1.0.tar.gz")), &dist).unwrap();
        let served = tuf_interpose::pages::rewrite_html(page.as_bytes(), &[], "").page;
        expected.push((served, Sha256::digest(&dist).to_vec()));
    }
    expected
}
