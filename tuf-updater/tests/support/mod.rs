//! A static HTTP/1.1 file server on 127.0.0.1 (ephemeral port) that logs every request and
//! lets a test replace what any path serves (to play a malicious or broken mirror).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What an overridden path serves.
#[derive(Clone, Debug)]
pub enum Serve {
    Bytes(Vec<u8>),
    Status(u16),
    /// Data without end.
    Endless,
    /// The bytes, one every `ms` milliseconds.
    Trickle(Vec<u8>, u64),
}

#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

pub struct Server {
    pub port: u16,
    pub log: Log,
    overrides: Arc<Mutex<HashMap<String, Serve>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves the files below `root`.
    pub async fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Log::default();
        let overrides: Arc<Mutex<HashMap<String, Serve>>> = Arc::default();
        let (l, o) = (log.clone(), overrides.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (root, log, overrides) = (root.clone(), l.clone(), o.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    log.0.lock().unwrap().push(path.clone());
                    let over = overrides.lock().unwrap().get(&path).cloned();
                    let serve = over.unwrap_or_else(|| {
                        let decoded = percent_encoding::percent_decode_str(&path)
                            .decode_utf8_lossy()
                            .into_owned();
                        let rel = decoded.trim_start_matches('/');
                        if rel.split('/').any(|s| s == "..") {
                            return Serve::Status(403);
                        }
                        match std::fs::read(root.join(rel)) {
                            Ok(b) => Serve::Bytes(b),
                            Err(_) => Serve::Status(404),
                        }
                    });
                    let _ = match serve {
                        Serve::Bytes(b) => {
                            let h = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                b.len()
                            );
                            let _ = sock.write_all(h.as_bytes()).await;
                            sock.write_all(&b).await
                        }
                        Serve::Status(code) => {
                            let h = format!(
                                "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            );
                            sock.write_all(h.as_bytes()).await
                        }
                        Serve::Trickle(b, ms) => {
                            let h = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                b.len()
                            );
                            let _ = sock.write_all(h.as_bytes()).await;
                            for byte in b {
                                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                                if sock.write_all(&[byte]).await.is_err() {
                                    break;
                                }
                            }
                            Ok(())
                        }
                        Serve::Endless => {
                            let _ = sock
                                .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                                .await;
                            let chunk = vec![b' '; 64 * 1024];
                            for _ in 0..4096 {
                                if sock.write_all(&chunk).await.is_err() {
                                    break;
                                }
                            }
                            Ok(())
                        }
                    };
                    let _ = sock.shutdown().await;
                });
            }
        });
        Server {
            port,
            log,
            overrides,
            task,
        }
    }

    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://127.0.0.1:{}/{path}", self.port)).unwrap()
    }

    /// Serves `serve` at the exact request path `path` (e.g. "/case/metadata/timestamp.json").
    pub fn set(&self, path: &str, serve: Serve) {
        self.overrides
            .lock()
            .unwrap()
            .insert(path.to_owned(), serve);
    }

    pub fn clear(&self) {
        self.overrides.lock().unwrap().clear();
    }
}

pub mod sim;

/// The python-tuf fixtures, kept in tuf-metadata's test data.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tuf-metadata/tests/data/python-tuf")
        .canonicalize()
        .unwrap()
}
