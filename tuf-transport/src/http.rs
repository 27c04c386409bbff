//! `http://` and `https://` on reqwest with rustls.

use crate::gzip::gunzip;
use crate::{Opened, Transport, TransportError};
use futures_util::StreamExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use url::Url;

/// How the HTTP client is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Longest wait for a TCP connection and TLS handshake.
    pub connect_timeout: Duration,
    /// Most redirects followed for one request (never from https to http).
    pub max_redirects: usize,
    /// A PEM file of extra CA certificates trusted besides the web PKI roots (a private
    /// mirror's CA), so such a mirror works without turning verification off.
    pub extra_ca_file: Option<PathBuf>,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for HttpConfig {
    /// 10 s to connect, 5 redirects, web PKI roots only.
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            max_redirects: 5,
            extra_ca_file: None,
            user_agent: concat!("tuf-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// An HTTP(S) transport. TLS is rustls with the web PKI roots (plus
/// [`HttpConfig::extra_ca_file`]); bodies may come gzip-encoded and are decoded here, with
/// the length limit applied to the decoded bytes so a decompression bomb stops at the limit.
/// Proxy environment variables are ignored: the client talks to the mirror directly.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
}

fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

impl HttpTransport {
    /// Builds the client.
    pub fn new(config: &HttpConfig) -> Result<HttpTransport, TransportError> {
        let max = config.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            let from_https = attempt
                .previous()
                .last()
                .is_some_and(|u| u.scheme() == "https");
            if from_https && attempt.url().scheme() != "https" {
                attempt.error("refusing a redirect from https to a weaker scheme")
            } else if attempt.previous().contains(attempt.url()) {
                attempt.error("redirect loop")
            } else if attempt.previous().len() > max {
                attempt.error(format!("more than {max} redirects"))
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(config.connect_timeout)
            .redirect(policy)
            .no_proxy()
            .user_agent(&config.user_agent);
        if let Some(path) = &config.extra_ca_file {
            let bad = |reason: String| TransportError::InvalidUrl {
                url: path.display().to_string(),
                reason,
            };
            let pem = std::fs::read(path).map_err(|e| bad(format!("CA file: {e}")))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| bad(format!("CA file: {}", describe(&e))))?;
            if certs.is_empty() {
                return Err(bad("CA file holds no certificate".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| TransportError::Connect {
            url: String::new(),
            reason: describe(&e),
        })?;
        Ok(HttpTransport { client })
    }
}

fn map_error(url: &Url, e: &reqwest::Error) -> TransportError {
    let url = url.to_string();
    let reason = describe(e);
    if e.is_redirect() {
        TransportError::Redirect { url, reason }
    } else if e.is_connect() || e.is_request() && !e.is_body() {
        TransportError::Connect { url, reason }
    } else {
        TransportError::Io { url, reason }
    }
}

/// Slack allowed for gzip framing over the decoded limit on the wire.
fn wire_limit(max_len: u64) -> u64 {
    max_len.saturating_add(max_len / 64).saturating_add(4096)
}

#[async_trait::async_trait]
impl Transport for HttpTransport {
    async fn open(&self, url: &Url, max_len: u64) -> Result<Opened, TransportError> {
        let resp = self
            .client
            .get(url.clone())
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .map_err(|e| map_error(url, &e))?;
        let status = resp.status().as_u16();
        if status == 404 || status == 410 {
            return Err(TransportError::NotFound {
                url: url.to_string(),
            });
        }
        if !resp.status().is_success() {
            return Err(TransportError::HttpStatus {
                url: url.to_string(),
                status,
            });
        }
        let encoding = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
        let gzip = match encoding.as_deref() {
            None | Some("identity") => false,
            Some("gzip" | "x-gzip") => true,
            Some(other) => {
                return Err(TransportError::Decode {
                    url: url.to_string(),
                    reason: format!("unsupported Content-Encoding {other:?}"),
                });
            }
        };
        let content_length = resp.content_length();
        if !gzip && content_length.is_some_and(|l| l > max_len) {
            return Err(TransportError::TooLong {
                url: url.to_string(),
                limit: max_len,
            });
        }
        let wire = Arc::new(AtomicU64::new(0));
        let counter = wire.clone();
        let limit = wire_limit(max_len);
        let err_url = url.clone();
        let raw = resp.bytes_stream().map(move |item| match item {
            Ok(chunk) => {
                let total =
                    counter.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
                if gzip && total > limit {
                    Err(TransportError::TooLong {
                        url: err_url.to_string(),
                        limit,
                    })
                } else {
                    Ok(chunk)
                }
            }
            Err(e) => Err(map_error(&err_url, &e)),
        });
        let body = if gzip {
            gunzip(Box::pin(raw), url.clone(), max_len)
        } else {
            Box::pin(raw)
        };
        Ok(Opened {
            body,
            status: Some(status),
            content_length,
            wire_bytes: Some(wire),
        })
    }
}
