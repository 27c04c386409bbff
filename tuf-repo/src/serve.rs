//! `repo serve`: a small static server for a repository's `metadata/` and `targets/`, on
//! 127.0.0.1, over HTTP or HTTPS, sending the precompressed `.json.gz` copy of metadata when
//! the client accepts gzip, with keep-alive (hyper). For tests, demos and small mirrors; a
//! production mirror can put nginx in front of the same directories
//! (`docs/nginx/tuf-locations.conf`).

use crate::{RepoError, Result};
use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
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
    stop: tokio::sync::watch::Sender<bool>,
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

    /// Waits until the server stops (it runs until the process ends, [`Served::shutdown`],
    /// or this is dropped).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }

    /// Stops accepting connections, lets the answers in progress finish (at most `grace`;
    /// idle keep-alive connections are closed) and returns once they have.
    pub async fn shutdown(mut self, grace: std::time::Duration) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            self.task.abort();
        }
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

/// Serves the repository in `repo` on `addr` (use port 0 for an ephemeral port), HTTP/1.1
/// with keep-alive; a client has [`HEAD_TIMEOUT`] to send each request head (and no longer
/// to sit idle between requests), and the TLS handshake is bounded the same way.
pub async fn serve(repo: &Path, addr: SocketAddr, tls: Option<TlsAcceptor>) -> Result<Served> {
    let root = Arc::new(repo.canonicalize().map_err(|e| RepoError::io(repo, e))?);
    let listener = TcpListener::bind(addr).await.map_err(|e| RepoError::Io {
        path: addr.to_string(),
        source: e,
    })?;
    let addr = listener.local_addr().map_err(|e| RepoError::Io {
        path: addr.to_string(),
        source: e,
    })?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        let mut stopping = stopped.clone();
        loop {
            // Finished connections are reaped as others arrive.
            while connections.try_join_next().is_some() {}
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stopping.changed() => break,
            };
            let Ok((sock, _)) = accepted else {
                // Out of file descriptors and the like: wait, do not spin.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            // Small answers must not wait for the peer's delayed ACK (Nagle).
            let _ = sock.set_nodelay(true);
            let (root, tls, stop) = (root.clone(), tls.clone(), stopped.clone());
            connections.spawn(async move {
                match tls {
                    Some(acceptor) => {
                        let handshake = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(sock));
                        if let Ok(Ok(s)) = handshake.await {
                            connection(s, root, stop).await;
                        }
                    }
                    None => connection(sock, root, stop).await,
                }
            });
        }
        // Stopping: nothing new is accepted; the answers in progress finish.
        drop(listener);
        while connections.join_next().await.is_some() {}
    });
    Ok(Served {
        addr,
        scheme,
        task,
        stop,
    })
}

/// How long a client has to send a request head, or may stay idle between requests.
pub const HEAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

type Body = BoxBody<Bytes, std::io::Error>;

/// Answers the requests of one connection until the client closes it, times out, or the
/// server stops (then the answer in progress is finished first).
async fn connection<S>(io: S, root: Arc<PathBuf>, mut stop: tokio::sync::watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let root = root.clone();
        async move { Ok::<_, std::convert::Infallible>(answer(&root, &req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_buf_size(16 * 1024)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

fn status(code: hyper::StatusCode) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(Full::new(Bytes::new()).map_err(|n| match n {}).boxed());
    *r.status_mut() = code;
    r
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

/// One answer: the file (its `.gz` copy for metadata when the client accepts gzip), 404, or
/// 405 for anything but GET and HEAD.
async fn answer(root: &Path, req: &hyper::Request<hyper::body::Incoming>) -> hyper::Response<Body> {
    use hyper::{Method, StatusCode, header};
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let Some(path) = resolve(root, req.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let gzip = req
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("gzip"))
        });
    let gz = path.with_file_name(format!(
        "{}.gz",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    ));
    let (file, gzipped) = if gzip && path.extension().is_some_and(|e| e == "json") && gz.is_file() {
        (gz, true)
    } else {
        (path, false)
    };
    let Ok(f) = tokio::fs::File::open(&file).await else {
        return status(StatusCode::NOT_FOUND);
    };
    let len = f.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body: Body = if head {
        Full::new(Bytes::new()).map_err(|n| match n {}).boxed()
    } else {
        let chunks = tokio_util::io::ReaderStream::with_capacity(f, 64 * 1024).map_ok(Frame::data);
        BodyExt::boxed(StreamBody::new(chunks))
    };
    let mut r = hyper::Response::new(body);
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, header::HeaderValue::from(len));
    if gzipped {
        r.headers_mut().insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("gzip"),
        );
    }
    r
}
