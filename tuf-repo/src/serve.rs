//! `repo serve`: a small static server for a repository's `metadata/` and `targets/`, on
//! 127.0.0.1, over HTTP or HTTPS, sending the precompressed `.json.gz` copy of metadata when
//! the client accepts gzip. For tests, demos and small mirrors; a production mirror can put
//! nginx (with `gzip_static on`) in front of the same directories.

use crate::{RepoError, Result};
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// A running server; stops when dropped.
#[derive(Debug)]
pub struct Served {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// `http` or `https`.
    pub scheme: &'static str,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    /// The base URL of `metadata/`.
    pub fn metadata_url(&self) -> String {
        format!("{}://{}/metadata/", self.scheme, self.addr)
    }

    /// The base URL of `targets/`.
    pub fn targets_url(&self) -> String {
        format!("{}://{}/targets/", self.scheme, self.addr)
    }

    /// Waits until the server stops (it runs until the process ends or this is dropped).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A CA made on the spot and a certificate it signed for `localhost` and 127.0.0.1, written
/// as `ca.pem`, `cert.pem` and `key.pem` into `dir`: HTTPS for tests, demos and private
/// mirrors, trusted by clients given `ca.pem` (nothing is added to any system trust store).
pub fn ephemeral_pki(dir: &Path) -> Result<()> {
    let e = |x: rcgen::Error| RepoError::Config(format!("making certificates: {x}"));
    let ca_key = rcgen::KeyPair::generate().map_err(e)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "tuf-rs CA made on the spot");
    let ca = ca_params.self_signed(&ca_key).map_err(e)?;
    let key = rcgen::KeyPair::generate().map_err(e)?;
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).map_err(e)?;
    params
        .subject_alt_names
        .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([
            127, 0, 0, 1,
        ])));
    let cert = params.signed_by(&key, &ca, &ca_key).map_err(e)?;
    for (file, text) in [
        ("ca.pem", ca.pem()),
        ("cert.pem", cert.pem()),
        ("key.pem", key.serialize_pem()),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|x| RepoError::io(&path, x))?;
    }
    Ok(())
}

/// TLS material for HTTPS: a PEM certificate chain and a PEM private key.
pub fn tls_acceptor(cert_pem: &Path, key_pem: &Path) -> Result<TlsAcceptor> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| RepoError::io(p, e));
    let certs: Vec<_> = rustls_pemfile::certs(&mut &read(cert_pem)?[..])
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| RepoError::io(cert_pem, e))?;
    let key = rustls_pemfile::private_key(&mut &read(key_pem)?[..])
        .map_err(|e| RepoError::io(key_pem, e))?
        .ok_or_else(|| RepoError::Config(format!("{}: no private key", key_pem.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RepoError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| RepoError::Config(format!("TLS certificate: {e}")))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves the repository in `repo` on `addr` (use port 0 for an ephemeral port).
pub async fn serve(repo: &Path, addr: SocketAddr, tls: Option<TlsAcceptor>) -> Result<Served> {
    let root = repo.canonicalize().map_err(|e| RepoError::io(repo, e))?;
    let listener = TcpListener::bind(addr).await.map_err(|e| RepoError::Io {
        path: addr.to_string(),
        source: e,
    })?;
    let addr = listener.local_addr().map_err(|e| RepoError::Io {
        path: addr.to_string(),
        source: e,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            // Headers and body go out in separate writes: no Nagle delay between them.
            let _ = sock.set_nodelay(true);
            let (root, tls) = (root.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    Some(acceptor) => {
                        if let Ok(s) = acceptor.accept(sock).await {
                            handle(s, &root).await;
                        }
                    }
                    None => handle(sock, &root).await,
                }
            });
        }
    });
    Ok(Served { addr, scheme, task })
}

struct Request {
    method: String,
    path: String,
    gzip: bool,
}

async fn read_request<S: AsyncRead + Unpin>(s: &mut S) -> Option<Request> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let gzip = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("accept-encoding:") && l.contains("gzip")
    });
    Some(Request { method, path, gzip })
}

/// The file for a URL path: under `metadata/` or `targets/`, no dot segments, no symlinks.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path.split(['?', '#']).next()?)
        .decode_utf8()
        .ok()?;
    let rel = Path::new(decoded.trim_start_matches('/'));
    let mut parts = rel.components();
    match parts.next()? {
        Component::Normal(top) if top == "metadata" || top == "targets" => {}
        _ => return None,
    }
    let mut cur = root.to_owned();
    for c in rel.components() {
        let Component::Normal(part) = c else {
            return None;
        };
        cur.push(part);
        if std::fs::symlink_metadata(&cur)
            .ok()?
            .file_type()
            .is_symlink()
        {
            return None;
        }
    }
    cur.is_file().then_some(cur)
}

async fn handle<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, root: &Path) {
    let Some(req) = read_request(&mut s).await else {
        return;
    };
    let reply = |status: &str| {
        format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    };
    if req.method != "GET" && req.method != "HEAD" {
        let _ = s
            .write_all(reply("405 Method Not Allowed").as_bytes())
            .await;
        return;
    }
    let Some(path) = resolve(root, &req.path) else {
        let _ = s.write_all(reply("404 Not Found").as_bytes()).await;
        return;
    };
    let gz = path.with_file_name(format!(
        "{}.gz",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    ));
    let (file, encoding) =
        if req.gzip && path.extension().is_some_and(|e| e == "json") && gz.is_file() {
            (gz, "Content-Encoding: gzip\r\n")
        } else {
            (path, "")
        };
    let Ok(mut f) = tokio::fs::File::open(&file).await else {
        let _ = s.write_all(reply("404 Not Found").as_bytes()).await;
        return;
    };
    let len = f.metadata().await.map(|m| m.len()).unwrap_or(0);
    let head =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n{encoding}Connection: close\r\n\r\n");
    if s.write_all(head.as_bytes()).await.is_err() || req.method == "HEAD" {
        return;
    }
    let _ = tokio::io::copy(&mut f, &mut s).await;
    let _ = s.shutdown().await;
}
