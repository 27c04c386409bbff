//! A static HTTP/1.1 server on 127.0.0.1 (ephemeral port) for a simulated repository, with
//! scripted misbehaviour: any path can be made to serve other bytes, an error status, endless
//! data, a trickle, a dropped connection or an oversized body. Every request is logged.

use crate::SuiteError;
use crate::sim::Files;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What an overridden path serves.
#[derive(Clone, Debug)]
pub enum Serve {
    /// These bytes.
    Bytes(Vec<u8>),
    /// An empty response with this status.
    Status(u16),
    /// Data without end (no `Content-Length`).
    Endless,
    /// The bytes, one every interval.
    Trickle(Vec<u8>, Duration),
    /// A `Content-Length` of the bytes' length, half of them, then the connection closes.
    Drop(Vec<u8>),
    /// A body of this many bytes (JSON whitespace), with a correct `Content-Length`.
    Oversized(u64),
    /// Nothing at all, not even response headers, for a minute.
    Silent,
}

type Overrides = Arc<Mutex<HashMap<String, Serve>>>;

/// A running server; it stops when dropped.
pub struct Server {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    overrides: Overrides,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves `files` (paths such as `metadata/1.root.json`) at `/<path>`.
    pub async fn start(files: Files) -> Result<Server, SuiteError> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let overrides: Overrides = Arc::default();
        let (l, o) = (log.clone(), overrides.clone());
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(answer(sock, files.clone(), l.clone(), o.clone()));
            }
        });
        Ok(Server {
            port,
            log,
            overrides,
            task,
        })
    }

    /// The URL of `path` below the server root, e.g. `metadata/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// Serves `serve` at the exact request path `path` (e.g. `/metadata/timestamp.json`).
    pub fn set(&self, path: &str, serve: Serve) {
        if let Ok(mut o) = self.overrides.lock() {
            o.insert(path.to_owned(), serve);
        }
    }

    /// Removes every override.
    pub fn clear(&self) {
        if let Ok(mut o) = self.overrides.lock() {
            o.clear();
        }
    }

    /// The request paths received since the last call.
    pub fn take_log(&self) -> Vec<String> {
        self.log
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }
}

/// Reads one request head (bounded) and answers it.
async fn answer(
    mut sock: tokio::net::TcpStream,
    files: Files,
    log: Arc<Mutex<Vec<String>>>,
    overrides: Overrides,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > 64 * 1024 {
            return;
        }
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
    if let Ok(mut l) = log.lock() {
        l.push(path.clone());
    }
    let over = overrides.lock().ok().and_then(|o| o.get(&path).cloned());
    let serve = over.unwrap_or_else(|| {
        let rel = path.trim_start_matches('/');
        let decoded = percent_encoding::percent_decode_str(rel)
            .decode_utf8_lossy()
            .into_owned();
        let found = files
            .lock()
            .ok()
            .and_then(|f| f.get(rel).or_else(|| f.get(&decoded)).cloned());
        found.map_or(Serve::Status(404), Serve::Bytes)
    });
    let head = |len: Option<u64>, status: &str| match len {
        Some(n) => format!("HTTP/1.1 {status}\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"),
        None => format!("HTTP/1.1 {status}\r\nConnection: close\r\n\r\n"),
    };
    let _ = match serve {
        Serve::Bytes(b) => {
            let _ = sock
                .write_all(head(Some(b.len() as u64), "200 OK").as_bytes())
                .await;
            sock.write_all(&b).await
        }
        Serve::Silent => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        }
        Serve::Status(code) => {
            sock.write_all(head(Some(0), &format!("{code} Status")).as_bytes())
                .await
        }
        Serve::Trickle(b, every) => {
            let _ = sock
                .write_all(head(Some(b.len() as u64), "200 OK").as_bytes())
                .await;
            for byte in b {
                tokio::time::sleep(every).await;
                if sock.write_all(&[byte]).await.is_err() {
                    break;
                }
            }
            Ok(())
        }
        Serve::Drop(b) => {
            let _ = sock
                .write_all(head(Some(b.len() as u64), "200 OK").as_bytes())
                .await;
            sock.write_all(&b[..b.len() / 2]).await
        }
        Serve::Endless | Serve::Oversized(_) => {
            let total = match serve {
                Serve::Oversized(n) => Some(n),
                _ => None,
            };
            let _ = sock.write_all(head(total, "200 OK").as_bytes()).await;
            let chunk = vec![b' '; 64 * 1024];
            // Endless: 16 GiB is more than any client may accept; stop there regardless.
            let mut left = total.unwrap_or(16 << 30);
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                if sock.write_all(&chunk[..n]).await.is_err() {
                    break;
                }
                left -= n as u64;
            }
            Ok(())
        }
    };
    let _ = sock.shutdown().await;
}
