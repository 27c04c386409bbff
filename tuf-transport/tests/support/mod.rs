//! A fault-injecting HTTP/1.1 server on 127.0.0.1 (ephemeral port), plain or TLS, and a CA
//! made on the spot.

#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// What the server does for one request.
#[derive(Clone, Debug)]
pub enum Behavior {
    /// 200 with the body and a correct Content-Length.
    Ok(Vec<u8>),
    /// 200, gzip-encoded body (already compressed), Content-Encoding: gzip.
    Gzip(Vec<u8>),
    /// A bare status with an empty body.
    Status(u16),
    /// 200 without Content-Length, then data forever (until the client goes away or a minute).
    Endless,
    /// Announces `declared` bytes, sends `body`, closes.
    Declared { declared: usize, body: Vec<u8> },
    /// 200 with Content-Length, one byte every `every`.
    Trickle { body: Vec<u8>, every: Duration },
    /// Headers, then nothing at all for a long time.
    Stall,
    /// Reads the request, then sends nothing at all, not even headers, for a long time.
    NoHeaders,
    /// A redirect to `location`.
    Redirect(String),
}

pub type Handler = Arc<dyn Fn(&str) -> Behavior + Send + Sync>;

pub struct TestServer {
    pub addr: SocketAddr,
    pub scheme: &'static str,
    pub requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub async fn start(handler: impl Fn(&str) -> Behavior + Send + Sync + 'static) -> TestServer {
        Self::start_with(Arc::new(handler), None).await
    }

    pub async fn start_tls(
        tls: TlsAcceptor,
        handler: impl Fn(&str) -> Behavior + Send + Sync + 'static,
    ) -> TestServer {
        Self::start_with(Arc::new(handler), Some(tls)).await
    }

    async fn start_with(handler: Handler, tls: Option<TlsAcceptor>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let counter = counter.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(s) = acceptor.accept(sock).await {
                                serve(s, handler, counter).await;
                            }
                        }
                        None => serve(sock, handler, counter).await,
                    }
                });
            }
        });
        TestServer {
            addr,
            scheme,
            requests,
            task,
        }
    }

    pub fn url(&self, path: &str) -> url::Url {
        let host = if self.scheme == "https" {
            "localhost"
        } else {
            "127.0.0.1"
        };
        url::Url::parse(&format!(
            "{}://{host}:{}/{path}",
            self.scheme,
            self.addr.port()
        ))
        .unwrap()
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    handler: Handler,
    counter: Arc<AtomicUsize>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 16 * 1024 {
            return;
        }
    }
    counter.fetch_add(1, Ordering::SeqCst);
    let text = String::from_utf8_lossy(&head);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let behavior = handler(&path);
    let _ = respond(&mut s, behavior).await;
    let _ = s.shutdown().await;
}

async fn respond<S: AsyncWrite + Unpin>(s: &mut S, b: Behavior) -> std::io::Result<()> {
    let head = |status: u16, extra: &str| {
        format!("HTTP/1.1 {status} X\r\nConnection: close\r\n{extra}\r\n")
    };
    match b {
        Behavior::Ok(body) => {
            s.write_all(head(200, &format!("Content-Length: {}\r\n", body.len())).as_bytes())
                .await?;
            s.write_all(&body).await?;
        }
        Behavior::Gzip(body) => {
            let h = format!(
                "Content-Length: {}\r\nContent-Encoding: gzip\r\n",
                body.len()
            );
            s.write_all(head(200, &h).as_bytes()).await?;
            s.write_all(&body).await?;
        }
        Behavior::Status(code) => {
            s.write_all(head(code, "Content-Length: 0\r\n").as_bytes())
                .await?;
        }
        Behavior::Endless => {
            s.write_all(head(200, "").as_bytes()).await?;
            let chunk = vec![b'A'; 64 * 1024];
            let until = tokio::time::Instant::now() + Duration::from_secs(60);
            while tokio::time::Instant::now() < until {
                s.write_all(&chunk).await?;
            }
        }
        Behavior::Declared { declared, body } => {
            s.write_all(head(200, &format!("Content-Length: {declared}\r\n")).as_bytes())
                .await?;
            s.write_all(&body).await?;
        }
        Behavior::Trickle { body, every } => {
            s.write_all(head(200, &format!("Content-Length: {}\r\n", body.len())).as_bytes())
                .await?;
            s.flush().await?;
            for b in body {
                tokio::time::sleep(every).await;
                s.write_all(&[b]).await?;
                s.flush().await?;
            }
        }
        Behavior::NoHeaders => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Behavior::Stall => {
            s.write_all(head(200, "Content-Length: 100\r\n").as_bytes())
                .await?;
            s.flush().await?;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Behavior::Redirect(location) => {
            s.write_all(
                head(
                    302,
                    &format!("Location: {location}\r\nContent-Length: 0\r\n"),
                )
                .as_bytes(),
            )
            .await?;
        }
    }
    s.flush().await
}

/// gzip of `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A CA made on the spot, and a TLS acceptor for `localhost` / 127.0.0.1 signed by it.
pub struct Pki {
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
}

pub fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "tuf-rs test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
    }
}
