//! The verifying proxy as a long-running service (`tuf-cli serve`): an index URL that pip,
//! uv, poetry or pdm on many machines use at once, answering with TUF-verified pages and
//! files only.
//!
//! Around the proxy it adds what a service needs: the metadata refreshed on an interval and
//! when it expires (and nothing served once it has expired without a refresh), a bound on
//! connections and on the time a client has to send its request head (so memory stays
//! bounded whatever the clients do), `/metrics` in the Prometheus text format, and a
//! graceful shutdown that stops accepting, lets answers in progress finish, and returns.

use crate::proxy::{Body, full, text};
use crate::{InterposeError, Interposer};
use bytes::Bytes;
use hyper::{Request, Response, StatusCode};
use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{Semaphore, watch};
use tuf_metadata::Expiry;

/// How the service runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServiceOptions {
    /// Refresh the metadata at least this often (and whenever it expires sooner).
    pub refresh_interval: Duration,
    /// After a failed refresh, try again this soon (at most `refresh_interval`).
    pub retry_interval: Duration,
    /// Most client connections open at once; further clients wait in the listen queue.
    pub max_connections: usize,
    /// Time a client has to send a whole request head, and most time an idle kept-alive
    /// connection stays open.
    pub header_timeout: Duration,
    /// On shutdown, how long answers in progress may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for ServiceOptions {
    /// Refresh every 5 minutes (retry after 30 s), 512 connections, 30 s for a request
    /// head, 30 s to finish on shutdown.
    fn default() -> Self {
        ServiceOptions {
            refresh_interval: Duration::from_secs(300),
            retry_interval: Duration::from_secs(30),
            max_connections: 512,
            header_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Seconds from now until `expires` (negative once passed).
fn seconds_until(expires: Expiry) -> i64 {
    expires
        .unix_seconds()
        .saturating_sub(Expiry::now().unix_seconds())
}

/// How long the refresher sleeps before the next refresh: until the earliest expiry or the
/// interval, sooner after a failure, never less than a second.
fn next_refresh(interposer: &Interposer, options: &ServiceOptions) -> Duration {
    let mut wait = options.refresh_interval;
    for s in interposer.refresh_status() {
        let until = Duration::from_secs(u64::try_from(seconds_until(s.expires)).unwrap_or(0));
        wait = wait.min(until);
        if s.last_error.is_some() {
            wait = wait.min(options.retry_interval);
        }
    }
    wait.max(Duration::from_secs(1))
}

/// Escapes a Prometheus label value.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The metrics in the Prometheus text exposition format (version 0.0.4).
pub fn metrics_text(interposer: &Interposer, open_connections: usize) -> String {
    let v = interposer.counters().values();
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let one = |x: u64| vec![(String::new(), x.to_string())];
    metric(
        "tuf_proxy_requests_total",
        "counter",
        "Requests received.",
        &one(v.requests),
    );
    metric(
        "tuf_proxy_served_total",
        "counter",
        "Requests answered with a TUF-verified page or file.",
        &one(v.served),
    );
    metric(
        "tuf_proxy_verified_bytes_total",
        "counter",
        "Bytes of TUF-verified pages and files sent.",
        &one(v.verified_bytes),
    );
    let refused: Vec<_> = crate::counters::Refusal::ALL
        .iter()
        .zip(v.refused)
        .map(|(r, n)| (format!("{{reason=\"{}\"}}", r.label()), n.to_string()))
        .collect();
    metric(
        "tuf_proxy_refused_total",
        "counter",
        "Requests refused, by reason.",
        &refused,
    );
    metric(
        "tuf_proxy_connections",
        "gauge",
        "Client connections open.",
        &one(open_connections as u64),
    );
    let status = interposer.refresh_status();
    let per_repo = |f: &dyn Fn(&crate::RefreshStatus) -> String| -> Vec<(String, String)> {
        status
            .iter()
            .map(|s| (format!("{{repository=\"{}\"}}", label(&s.repository)), f(s)))
            .collect()
    };
    metric(
        "tuf_metadata_refresh_age_seconds",
        "gauge",
        "Seconds since the metadata in use was refreshed.",
        &per_repo(&|s| {
            let age = SystemTime::now()
                .duration_since(s.refreshed)
                .unwrap_or_default();
            format!("{:.3}", age.as_secs_f64())
        }),
    );
    metric(
        "tuf_metadata_expires_in_seconds",
        "gauge",
        "Seconds until the trusted metadata in use expires (nothing is served after).",
        &per_repo(&|s| seconds_until(s.expires).to_string()),
    );
    metric(
        "tuf_metadata_fresh",
        "gauge",
        "1 while the trusted metadata is unexpired and served from, else 0.",
        &per_repo(&|s| u8::from(seconds_until(s.expires) > 0).to_string()),
    );
    metric(
        "tuf_metadata_refresh_failures_total",
        "counter",
        "Refreshes that failed.",
        &per_repo(&|s| s.failures.to_string()),
    );
    let fetched = interposer.drain_fetches();
    let per_fetch = |f: &dyn Fn(&tuf_transport::Totals) -> u64| -> Vec<(String, String)> {
        fetched
            .iter()
            .map(|(n, t)| (format!("{{repository=\"{}\"}}", label(n)), f(t).to_string()))
            .collect()
    };
    metric(
        "tuf_mirror_fetches_total",
        "counter",
        "Fetches from the repository's mirrors (metadata and targets).",
        &per_fetch(&|t| t.requests),
    );
    metric(
        "tuf_mirror_fetch_failures_total",
        "counter",
        "Fetches from the mirrors that did not complete.",
        &per_fetch(&|t| t.failures),
    );
    metric(
        "tuf_mirror_bytes_total",
        "counter",
        "Body bytes received from the mirrors.",
        &per_fetch(&|t| t.wire_bytes),
    );
    out
}

/// Serves `interposer` on `listener` (over HTTPS with `tls`) until `shutdown` completes,
/// then stops accepting, lets the answers in progress finish (at most
/// [`ServiceOptions::shutdown_grace`]) and returns. The refresher runs meanwhile (see
/// [`ServiceOptions`]).
pub async fn run(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    interposer: Arc<Interposer>,
    options: ServiceOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), InterposeError> {
    let max = options.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max));
    let (stop_tx, stop_rx) = watch::channel(false);
    let refresher = {
        let (interposer, options, mut stop) =
            (interposer.clone(), options.clone(), stop_rx.clone());
        tokio::spawn(async move {
            loop {
                let wait = next_refresh(&interposer, &options);
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
                let failed = interposer.refresh().await;
                if failed.is_empty() {
                    tracing::info!("TUF metadata refreshed");
                }
                // Keep sums, not a record per fetch.
                let _ = interposer.drain_fetches();
            }
        })
    };
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let sock = tokio::select! {
            r = listener.accept() => match r {
                Ok((sock, _)) => sock,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = sock.set_nodelay(true);
        let conn = Connection {
            interposer: interposer.clone(),
            slots: slots.clone(),
            max,
            stop: stop_rx.clone(),
            header_timeout: options.header_timeout,
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => conn.serve(sock).await,
                Some(acceptor) => {
                    // The handshake is bounded like a request head.
                    let handshake =
                        tokio::time::timeout(conn.header_timeout, acceptor.accept(sock));
                    match handshake.await {
                        Ok(Ok(tls)) => conn.serve(tls).await,
                        Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!("no TLS handshake in time"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    refresher.abort();
    // Every connection holds a slot until it ends: all slots back means all answers done.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(options.shutdown_grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            "shutdown: answers still in progress after {:?}, stopped",
            options.shutdown_grace
        );
    }
    Ok(())
}

/// What one client connection needs.
struct Connection {
    interposer: Arc<Interposer>,
    slots: Arc<Semaphore>,
    max: usize,
    stop: watch::Receiver<bool>,
    header_timeout: Duration,
}

impl Connection {
    /// Answers requests on `io` until the client closes, times out, or the service stops
    /// (then the answer in progress is finished first).
    async fn serve<IO>(self, io: IO)
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            interposer,
            slots,
            max,
            mut stop,
            header_timeout,
        } = self;
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let (interposer, slots) = (interposer.clone(), slots.clone());
            async move {
                let open = max - slots.available_permits();
                Ok::<_, std::convert::Infallible>(answer(interposer, req, open).await)
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_timeout)
            .max_buf_size(64 * 1024)
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
}

/// One request: `/metrics`, else the proxy's answer.
async fn answer(
    interposer: Arc<Interposer>,
    req: Request<hyper::body::Incoming>,
    open_connections: usize,
) -> Response<Body> {
    if req.uri().path() == "/metrics" && req.uri().host().is_none() {
        if req.method() != hyper::Method::GET {
            return text(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n".into());
        }
        let body = metrics_text(&interposer, open_connections);
        let mut r = Response::new(full(Bytes::from(body)));
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        return r;
    }
    interposer.dispatch(None, req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
