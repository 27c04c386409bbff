//! Mirrors tried in order, with bounded retries for transient failures.

use crate::metrics::{FetchRecord, Metrics, Outcome};
use crate::{Download, Limits, TransportError, TransportRegistry};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// How often to retry one mirror on a transient failure, and how long to wait between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries per mirror after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Two retries, waiting 200 ms then 400 ms.
    fn default() -> Self {
        RetryPolicy {
            retries: 2,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Fetches through a [`TransportRegistry`] from lists of mirrors, recording every fetch in
/// one session's [`Metrics`]. Cheap to clone; clones share the registry and the metrics.
///
/// ```
/// use std::sync::Arc;
/// use tuf_transport::{Fetcher, Limits, MemoryTransport, TransportRegistry};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let store = MemoryTransport::default();
/// let mut registry = TransportRegistry::new();
/// registry.register("mem", Arc::new(store.clone()));
/// let mirrors = [url::Url::parse("mem://down/").unwrap(), url::Url::parse("mem://good/").unwrap()];
/// store.insert(&mirrors[1].join("timestamp.json").unwrap(), &b"{}"[..]);
///
/// let fetcher = Fetcher::new(registry);
/// let (bytes, mirror) = fetcher.fetch_bytes(&mirrors, "timestamp.json", Limits::default()).await.unwrap();
/// assert_eq!((&bytes[..], mirror), (&b"{}"[..], 1));
/// assert_eq!(fetcher.metrics().totals().requests, 2);
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Fetcher {
    registry: Arc<TransportRegistry>,
    metrics: Metrics,
    retry: RetryPolicy,
}

impl Fetcher {
    /// A fetcher with the default retry policy and new metrics.
    pub fn new(registry: TransportRegistry) -> Fetcher {
        Fetcher {
            registry: Arc::new(registry),
            metrics: Metrics::default(),
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Fetcher {
        self.retry = retry;
        self
    }

    /// The session's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Opens one URL (no mirrors, no retries) for reading under `limits`.
    pub async fn open(&self, url: &Url, limits: Limits) -> Result<Download, TransportError> {
        self.open_at(url, None, limits).await
    }

    async fn open_at(
        &self,
        url: &Url,
        mirror: Option<usize>,
        limits: Limits,
    ) -> Result<Download, TransportError> {
        let started = Instant::now();
        let transport = self.registry.for_url(url)?;
        tracing::info!("Downloading: {url}");
        // The throughput floor holds from the request on: a server that never sends its
        // response headers is as slow as one that trickles its body (slow retrieval).
        let floor = limits.min_bytes_per_sec > 0;
        let wait = if floor {
            limits.total_timeout.min(limits.throughput_window)
        } else {
            limits.total_timeout
        };
        let opened = match tokio::time::timeout(wait, transport.open(url, limits.max_len)).await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) => return Err(self.record_failure(url, mirror, started, e)),
            Err(_) => {
                let e = if wait < limits.total_timeout {
                    TransportError::TooSlow {
                        url: url.to_string(),
                        bytes: 0,
                        window: wait,
                        min_bytes_per_sec: limits.min_bytes_per_sec,
                    }
                } else {
                    TransportError::TotalTimeout {
                        url: url.to_string(),
                        limit: limits.total_timeout,
                    }
                };
                return Err(self.record_failure(url, mirror, started, e));
            }
        };
        Ok(Download::with_start(
            url.clone(),
            mirror,
            opened,
            limits,
            self.metrics.clone(),
            started,
        ))
    }

    fn record_failure(
        &self,
        url: &Url,
        mirror: Option<usize>,
        started: Instant,
        e: TransportError,
    ) -> TransportError {
        let status = match &e {
            TransportError::HttpStatus { status, .. } => Some(*status),
            TransportError::NotFound { .. } if matches!(url.scheme(), "http" | "https") => {
                Some(404)
            }
            _ => None,
        };
        self.metrics.push(FetchRecord {
            url: url.to_string(),
            mirror,
            status,
            wire_bytes: 0,
            decoded_bytes: 0,
            duration: started.elapsed(),
            outcome: Outcome::Failed(e.to_string()),
        });
        e
    }

    /// Tries `path` on each mirror in order; see [`Attempts`].
    pub fn attempts<'a>(
        &'a self,
        mirrors: &'a [Url],
        path: &'a str,
        limits: Limits,
    ) -> Attempts<'a> {
        Attempts {
            fetcher: self,
            mirrors,
            path,
            limits,
            index: 0,
            tries: 0,
            failures: Vec::new(),
            saw_not_found: false,
            denied: None,
            pending: false,
        }
    }

    /// Fetches `path` whole from the first mirror that serves it within `limits`.
    pub async fn fetch_bytes(
        &self,
        mirrors: &[Url],
        path: &str,
        limits: Limits,
    ) -> Result<(Bytes, usize), TransportError> {
        self.fetch_verified(mirrors, path, limits, |b| Ok::<_, String>(b.clone()))
            .await
    }

    /// Fetches `path` whole and hands it to `verify`; if `verify` rejects it (say, a bad
    /// signature from a malicious mirror), the next mirror is tried. Returns what `verify`
    /// returned and the index of the mirror that served it.
    pub async fn fetch_verified<T, E: std::fmt::Display>(
        &self,
        mirrors: &[Url],
        path: &str,
        limits: Limits,
        mut verify: impl FnMut(&Bytes) -> Result<T, E>,
    ) -> Result<(T, usize), TransportError> {
        let mut attempts = self.attempts(mirrors, path, limits);
        loop {
            let download = attempts.next().await?;
            let mirror = attempts.index;
            match download.bytes().await {
                Ok(bytes) => match verify(&bytes) {
                    Ok(v) => return Ok((v, mirror)),
                    Err(e) => attempts.reject(e.to_string()),
                },
                Err(e) => attempts.fail(e).await,
            }
        }
    }
}

/// Joins a relative, already percent-encoded `path` to a mirror base, refusing anything that
/// would leave the base (absolute paths, other hosts, `..` climbing out).
pub fn join_mirror(base: &Url, path: &str) -> Result<Url, TransportError> {
    let invalid = |reason: &str| TransportError::InvalidUrl {
        url: format!("{base}{path}"),
        reason: reason.to_owned(),
    };
    if path.starts_with('/')
        || path.contains("://")
        || path.contains('\\')
        || path.contains(['?', '#'])
    {
        return Err(invalid("path must be relative, without query or fragment"));
    }
    let mut base_text = base.as_str().to_owned();
    if !base_text.ends_with('/') {
        base_text.push('/');
    }
    let url = Url::parse(&format!("{base_text}{path}")).map_err(|e| invalid(&e.to_string()))?;
    if !url.as_str().starts_with(&base_text) {
        return Err(invalid("path leaves the mirror's base"));
    }
    Ok(url)
}

/// The mirror loop for one path, driven by the caller so that it can report a failure it
/// found itself (a hash or signature that does not verify) and move on to the next mirror.
///
/// `next()` opens the path on the current mirror, retrying transient failures (connection,
/// 5xx) with backoff, and moves to the next mirror on any other failure; the caller then
/// reads the [`Download`] and either stops (success) or calls [`Attempts::fail`] (a transport
/// error while reading) or [`Attempts::reject`] (content refused) before calling `next()`
/// again. When every mirror has failed, `next()` returns [`TransportError::NotFound`] if at
/// least one mirror said the file does not exist, else the first 401 or 403 if a mirror
/// refused it ([`TransportError::is_denied`]), else [`TransportError::AllMirrorsFailed`]
/// listing every failure.
#[derive(Debug)]
pub struct Attempts<'a> {
    fetcher: &'a Fetcher,
    mirrors: &'a [Url],
    path: &'a str,
    limits: Limits,
    index: usize,
    tries: u32,
    failures: Vec<String>,
    saw_not_found: bool,
    denied: Option<u16>,
    pending: bool,
}

impl Attempts<'_> {
    /// The index of the mirror being tried.
    pub fn mirror(&self) -> usize {
        self.index
    }

    fn advance(&mut self) {
        self.index += 1;
        self.tries = 0;
        self.pending = false;
    }

    fn note(&mut self, e: &TransportError) {
        self.saw_not_found |= e.is_not_found();
        if let TransportError::HttpStatus { status, .. } = e
            && e.is_denied()
        {
            self.denied.get_or_insert(*status);
        }
        self.failures.push(format!("mirror {}: {e}", self.index));
    }

    /// The content from the current mirror was refused by the caller: go to the next mirror.
    pub fn reject(&mut self, reason: impl Into<String>) {
        let url = self
            .mirrors
            .get(self.index)
            .map_or_else(String::new, |b| format!("{b}{}", self.path));
        let e = TransportError::Rejected {
            url,
            reason: reason.into(),
        };
        self.note(&e);
        self.advance();
    }

    /// Reading from the current mirror failed: retry it after a pause if the failure is
    /// transient and retries are left, else go to the next mirror.
    pub async fn fail(&mut self, e: TransportError) {
        self.note(&e);
        self.pending = false;
        if e.is_transient() && self.tries < self.fetcher.retry.retries {
            let shift = self.tries.min(16);
            let wait = self.fetcher.retry.backoff.saturating_mul(1 << shift);
            tokio::time::sleep(wait.min(self.fetcher.retry.max_backoff)).await;
            self.tries += 1;
        } else {
            self.advance();
        }
    }

    /// Opens the path on the next mirror to try.
    pub async fn next(&mut self) -> Result<Download, TransportError> {
        if self.pending {
            // The caller came back without saying why: treat it as a rejection.
            self.reject("abandoned by the caller");
        }
        loop {
            let Some(base) = self.mirrors.get(self.index) else {
                return Err(self.exhausted());
            };
            let url = match join_mirror(base, self.path) {
                Ok(u) => u,
                Err(e) => {
                    self.note(&e);
                    self.advance();
                    continue;
                }
            };
            match self
                .fetcher
                .open_at(&url, Some(self.index), self.limits)
                .await
            {
                Ok(d) => {
                    self.pending = true;
                    return Ok(d);
                }
                Err(e) => self.fail(e).await,
            }
        }
    }

    fn exhausted(&self) -> TransportError {
        if self.saw_not_found {
            TransportError::NotFound {
                url: self.path.to_owned(),
            }
        } else if let Some(status) = self.denied {
            TransportError::HttpStatus {
                url: self.path.to_owned(),
                status,
            }
        } else {
            TransportError::AllMirrorsFailed {
                path: self.path.to_owned(),
                failures: if self.failures.is_empty() {
                    vec!["no mirror configured".into()]
                } else {
                    self.failures.clone()
                },
            }
        }
    }
}
