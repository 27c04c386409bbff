//! The verifying proxy: an HTTP server on 127.0.0.1 that answers an installer's index and
//! file requests with TUF-verified targets only.

use crate::InterposeError;
use crate::clients::{RefreshStatus, RepoClient};
use crate::counters::{Counters, Refusal};
use crate::guard::Guard;
use crate::routing::{Route, effective_url, route};
use crate::rules::{Mapped, RuleKind, Rules, RulesSpec};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use hyper::{Request, Response, StatusCode};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use tuf_pypi::normalize_name;
use tuf_transport::{Metrics, Totals};
use tuf_updater::UpdaterError;

pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// At most this many refused requests and missing projects are recorded for the report.
const RECORDED_MAX: usize = 256;

/// At most this many files vouched for by verified pages are remembered; past it the record
/// starts again (a file asked for later has its project's page verified again).
const VOUCHED_MAX: usize = 1 << 20;

/// The largest vouched file read when its page does not give its length (PyPI's largest
/// files are a few GiB).
const VOUCHED_FILE_MAX: u64 = 16 << 30;

/// The time an intercepted connection has to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The rules and one refreshed TUF client per repository.
pub struct Interposer {
    rules: Rules,
    proxy_addr: std::sync::OnceLock<SocketAddr>,
    /// What the absolute links of pages are rewritten to start with (then
    /// `/_host/<authority>/`): the proxy's own `http://ADDR` for an installer on this machine,
    /// empty (root-relative links) for a service reached by other names.
    link_base: std::sync::OnceLock<String>,
    clients: BTreeMap<String, RepoClient>,
    /// Whether every target served is recorded (for the proof after an install; a
    /// long-running service records none, so that its memory stays bounded).
    record: bool,
    /// Whether a verified wheel or PEP 658 metadata file declaring a dependency by URL is
    /// refused: for a service, whose clients no guard surrounds (an installer on this machine
    /// meets the guard, which verifies or refuses the URL).
    refuse_url_dependencies: bool,
    counters: Counters,
    /// Projects whose index page no TUF repository lists (asked for, refused).
    missing: std::sync::Mutex<BTreeSet<String>>,
    /// Requests refused because no TUF repository covers their host.
    uncovered: std::sync::Mutex<Vec<String>>,
    /// Every target served verified, by target path (for the proof after an install).
    served: std::sync::Mutex<BTreeMap<(String, String), Served>>,
    /// The digests verified pages list for the files of [`RuleKind::Vouched`] rules, by
    /// (repository, file path).
    vouched: std::sync::Mutex<HashMap<(String, String), Vouch>>,
}

/// What verified pages say of a vouched file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Vouch {
    /// Its digests, `(algorithm, hex)`.
    Digests(Vec<(String, String)>),
    /// Two verified pages list different digests for it: refused.
    Conflict,
}

/// A target the proxy served after verifying it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The repository it came from.
    pub repository: String,
    /// Its TUF target path.
    pub target: String,
    /// Its sha256 (hex), from the signed metadata or, where the metadata lists none, of the
    /// verified file.
    pub sha256: String,
    /// Its length in bytes.
    pub length: u64,
    /// The verified copy in the target cache.
    pub path: std::path::PathBuf,
}

impl Served {
    /// The last segment of the target path (a distribution's file name).
    pub fn file_name(&self) -> &str {
        self.target.rsplit('/').next().unwrap_or(&self.target)
    }
}

impl std::fmt::Debug for Interposer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interposer")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl Interposer {
    /// Builds a TUF client for every repository of `spec` (storing its initial root if the
    /// metadata directory has none) and refreshes each: nothing is served before that works.
    pub async fn start(spec: &RulesSpec) -> Result<Interposer, InterposeError> {
        let rules = Rules::compile(spec)?;
        let mut clients = BTreeMap::new();
        for (name, r) in &spec.repositories {
            clients.insert(name.clone(), RepoClient::start(name, r).await?);
        }
        Ok(Interposer {
            rules,
            proxy_addr: std::sync::OnceLock::new(),
            link_base: std::sync::OnceLock::new(),
            clients,
            record: true,
            refuse_url_dependencies: false,
            counters: Counters::default(),
            missing: Default::default(),
            uncovered: Default::default(),
            served: Default::default(),
            vouched: Default::default(),
        })
    }

    /// As [`Interposer::start`], for a long-running service ([`crate::service`]): no record
    /// of the targets served is kept, and pages' absolute links become root-relative URLs
    /// (`/_host/<authority>/...`), which resolve against whatever name the clients reach the
    /// service by.
    pub async fn start_service(spec: &RulesSpec) -> Result<Interposer, InterposeError> {
        let mut me = Interposer::start(spec).await?;
        me.record = false;
        me.refuse_url_dependencies = true;
        let _ = me.link_base.set(String::new());
        Ok(me)
    }

    /// Refreshes every repository's metadata (spec 5.3–5.6) into a new client that replaces
    /// the old one when it is ready; a repository whose refresh fails keeps its client until
    /// that client's metadata expires. Returns the failures, by repository.
    pub async fn refresh(&self) -> Vec<(String, InterposeError)> {
        let mut failed = Vec::new();
        for (name, client) in &self.clients {
            if let Err(e) = client.refresh().await {
                tracing::warn!("refresh of repository {name} failed: {e}");
                failed.push((name.clone(), e));
            }
        }
        failed
    }

    /// How each repository's refreshes went, and when its metadata expires.
    pub fn refresh_status(&self) -> Vec<RefreshStatus> {
        self.clients.values().map(RepoClient::status).collect()
    }

    /// The fetch totals of each repository's clients since the start, by repository; the
    /// per-fetch records are folded into the totals (a service calls this now and then to
    /// keep its memory bounded).
    pub fn drain_fetches(&self) -> Vec<(String, Totals)> {
        self.clients
            .iter()
            .map(|(n, c)| (n.clone(), c.drain_fetches()))
            .collect()
    }

    /// What the proxy answered so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Projects the installer asked for whose index page the metadata does not list
    /// (normalized names, sorted).
    pub fn missing_projects(&self) -> Vec<String> {
        self.missing
            .lock()
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Requests refused because their host is not covered by any TUF repository
    /// (`CONNECT host:port` or `GET http://host/...`), in order.
    pub fn uncovered_requests(&self) -> Vec<String> {
        self.uncovered.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Every target served verified so far (pages, core metadata and distributions), by
    /// repository and target path.
    pub fn served(&self) -> Vec<Served> {
        self.served
            .lock()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Downloads (or finds cached) and verifies `target` of the repository that secures the
    /// index host; returns the local file. Used for signed side data such as the list of
    /// project names.
    pub async fn index_target(&self, target: &str) -> Result<std::path::PathBuf, InterposeError> {
        let repository = self.rules.index_repository().to_owned();
        self.verified(&Mapped {
            repository,
            target: target.to_owned(),
            kind: RuleKind::Target,
        })
        .await
    }

    /// Whether requests for `host` are answered from a TUF repository.
    pub fn covers(&self, host: &str) -> bool {
        self.rules.covers(host)
    }

    fn refuse_uncovered(&self, what: String) -> Response<Body> {
        self.counters.request();
        self.refused_uncovered(what)
    }

    /// Refuses a request (already counted) for a host no rule covers, and records it.
    fn refused_uncovered(&self, what: String) -> Response<Body> {
        self.counters.refused(Refusal::Uncovered);
        tracing::error!(
            "refused {what}: no TUF repository covers this host, so nothing is fetched from it"
        );
        if let Ok(mut u) = self.uncovered.lock()
            && u.len() < RECORDED_MAX
        {
            u.push(what.clone());
        }
        text(
            StatusCode::FORBIDDEN,
            format!("tuf-cli refused {what}: no TUF repository covers this host\n"),
        )
    }

    /// Answers one request on the proxy's own port: `CONNECT` (guard mode), a proxy request
    /// in absolute form, or an index request.
    pub(crate) async fn dispatch(
        self: Arc<Self>,
        guard: Option<Arc<Guard>>,
        req: Request<hyper::body::Incoming>,
    ) -> Response<Body> {
        let own_port = self.proxy_addr.get().map(SocketAddr::port);
        match route(
            &self.rules,
            guard.is_some(),
            req.method(),
            req.uri(),
            own_port,
        ) {
            Route::BadConnect => text(StatusCode::BAD_REQUEST, "CONNECT needs host:port\n".into()),
            Route::Uncovered(what) => self.refuse_uncovered(what),
            Route::Covered { host } => self.handle(req, host.as_deref()).await,
            Route::Intercept { authority, host } => {
                let Some(guard) = guard else {
                    return self.refuse_uncovered(format!("CONNECT {authority}"));
                };
                self.intercept(guard, req, authority, host);
                Response::new(full(Bytes::new()))
            }
        }
    }

    /// Answers the requests inside an intercepted `CONNECT` tunnel (TLS with the guard's
    /// certificate for `host`) as URLs of `host`.
    fn intercept(
        self: Arc<Self>,
        guard: Arc<Guard>,
        req: Request<hyper::body::Incoming>,
        authority: String,
        host: String,
    ) {
        self.counters.request();
        tracing::info!("Intercepting CONNECT {authority}: served from TUF targets");
        let me = self.clone();
        tokio::spawn(async move {
            let upgraded = match hyper::upgrade::on(req).await {
                Ok(u) => u,
                Err(e) => {
                    tracing::warn!("CONNECT {authority}: {e}");
                    return;
                }
            };
            let io = hyper_util::rt::TokioIo::new(upgraded);
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, guard.acceptor().accept(io));
            let tls = match handshake.await {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    tracing::warn!("CONNECT {authority}: TLS handshake failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::warn!(
                        "CONNECT {authority}: no TLS handshake within {HANDSHAKE_TIMEOUT:?}"
                    );
                    return;
                }
            };
            let service = hyper::service::service_fn(move |req| {
                let (me, host) = (me.clone(), host.clone());
                async move { Ok::<_, std::convert::Infallible>(me.handle(req, Some(&host)).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        });
    }

    /// The fetch records of every repository's client in use.
    pub fn metrics(&self) -> Vec<Metrics> {
        self.clients
            .values()
            .map(|c| c.updater().metrics().clone())
            .collect()
    }

    /// Verifies the index pages of `projects` (PEP 691 JSON, else HTML), fetching what the
    /// cache lacks, a few at a time, ahead of the installer's requests for them: the TUF work
    /// (the hash bins the pages are listed in, the pages themselves) then overlaps the
    /// installer's start instead of following it. Nothing is recorded as served and nothing
    /// is answered; a page that fails here fails again, and is reported, when the installer
    /// asks for it. The task stops when the handle is dropped.
    pub fn prefetch_pages(self: &Arc<Self>, projects: Vec<String>) -> Prefetch {
        use futures_util::StreamExt;
        let me = self.clone();
        Prefetch(tokio::spawn(async move {
            let pages = projects.into_iter().filter_map(|p| {
                let html = me.rules.map(None, &format!("/simple/{p}/")).ok()?;
                Some((json_variant(&html), html, p))
            });
            futures_util::stream::iter(pages)
                .for_each_concurrent(8, |(json, html, p)| {
                    let me = &me;
                    async move {
                        let json_ok = match &json {
                            Some(j) => me.fetch_verified(j).await.is_ok(),
                            None => false,
                        };
                        if !json_ok && let Ok((file, _)) = me.fetch_verified(&html).await {
                            me.record_vouches(&html, None, &format!("/simple/{p}/"), &file)
                                .await;
                        }
                    }
                })
                .await;
        }))
    }

    /// Finds, downloads if needed, and verifies `mapped`; returns the local file and what
    /// the metadata says of it.
    async fn fetch_verified(
        &self,
        mapped: &Mapped,
    ) -> Result<(std::path::PathBuf, tuf_updater::TargetInfo), InterposeError> {
        let client = self.clients.get(&mapped.repository).ok_or_else(|| {
            InterposeError::Rules(format!("unknown repository {}", mapped.repository))
        })?;
        // No lock here: the updater verifies concurrent requests concurrently; this request
        // keeps the client it starts with, even if a refresh replaces it meanwhile.
        let u = client.fresh_updater()?;
        let info = u.target_info(&mapped.target).await?;
        let path = match u.find_cached_target(&info).await? {
            Some(p) => {
                tracing::info!("Cached and re-verified: {}", mapped.target);
                p
            }
            None => u.download_target(&info).await?,
        };
        Ok((path, info))
    }

    /// [`Interposer::fetch_verified`], recorded as served.
    async fn verified(&self, mapped: &Mapped) -> Result<std::path::PathBuf, InterposeError> {
        let (path, info) = self.fetch_verified(mapped).await?;
        self.record_served(mapped, info.hash("sha256"), info.length(), &path)
            .await?;
        Ok(path)
    }

    /// Records `mapped`, verified at `path`, as served (for the proof after an install): its
    /// sha256 as listed, else of the verified file.
    async fn record_served(
        &self,
        mapped: &Mapped,
        sha256: Option<&str>,
        length: u64,
        path: &std::path::Path,
    ) -> Result<(), InterposeError> {
        if !self.record {
            return Ok(());
        }
        let sha256 = match sha256 {
            Some(h) => h.to_ascii_lowercase(),
            None => {
                let bytes = tokio::fs::read(path)
                    .await
                    .map_err(|e| InterposeError::Proxy(format!("{}: {e}", path.display())))?;
                hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(&bytes))
            }
        };
        if let Ok(mut s) = self.served.lock() {
            s.insert(
                (mapped.repository.clone(), mapped.target.clone()),
                Served {
                    repository: mapped.repository.clone(),
                    target: mapped.target.clone(),
                    sha256,
                    length,
                    path: path.to_owned(),
                },
            );
        }
        Ok(())
    }

    /// Remembers the digests the verified page `page` (served at `page_path` of `host`,
    /// `None` for the index host; its bytes at `file`) lists for files of [`RuleKind::Vouched`]
    /// rules of the same repository. Each link is resolved against the page's URL and mapped
    /// by the same rules as a request, so it names the file exactly as a request for it will.
    async fn record_vouches(
        &self,
        page: &Mapped,
        host: Option<&str>,
        page_path: &str,
        file: &std::path::Path,
    ) {
        if page.kind != RuleKind::Page || !self.rules.vouches() {
            return;
        }
        let Ok(bytes) = tokio::fs::read(file).await else {
            return;
        };
        const HERE: &str = "index.invalid";
        let Ok(base) = url::Url::parse(&format!("http://{}{page_path}", host.unwrap_or(HERE)))
        else {
            return;
        };
        let mut found = Vec::new();
        for link in tuf_pypi::page::html_links(&String::from_utf8_lossy(&bytes)) {
            // Only web links name files (not file:, data: or others).
            let Ok(url) = base.join(&link.href) else {
                continue;
            };
            if !matches!(url.scheme(), "http" | "https") {
                continue;
            }
            let link_host = url.host_str().filter(|h| *h != HERE);
            let Ok(m) = self.rules.map(link_host, url.path()) else {
                continue;
            };
            if m.kind == RuleKind::Vouched && m.repository == page.repository {
                found.push(((m.repository, m.target), link.hashes));
            }
        }
        let Ok(mut v) = self.vouched.lock() else {
            return;
        };
        if v.len() + found.len() > VOUCHED_MAX {
            v.clear();
        }
        for (key, digests) in found {
            let new = if digests.is_empty() {
                Vouch::Conflict
            } else {
                Vouch::Digests(digests)
            };
            // A file two verified pages list differently, or one lists without a digest,
            // is vouched for by neither.
            match v.get(&key) {
                Some(old) if *old != new => {
                    v.insert(key, Vouch::Conflict);
                }
                _ => {
                    v.insert(key, new);
                }
            }
        }
    }

    /// What verified pages say of the vouched file `mapped`.
    fn vouch_for(&self, mapped: &Mapped) -> Option<Vouch> {
        self.vouched
            .lock()
            .ok()?
            .get(&(mapped.repository.clone(), mapped.target.clone()))
            .cloned()
    }

    /// A file of a [`RuleKind::Vouched`] rule: downloaded (or found cached) and checked
    /// against the digests a verified page lists for it; when no page read so far lists it,
    /// the page of the project its name gives is verified first. Refused when no verified page
    /// lists a digest for it, or pages disagree.
    async fn vouched_file(&self, mapped: &Mapped) -> Result<std::path::PathBuf, InterposeError> {
        let mut vouch = self.vouch_for(mapped);
        let name = mapped.target.rsplit('/').next().unwrap_or_default();
        if vouch.is_none()
            && let Some(project) = tuf_pypi::project_of(name.trim_end_matches(".metadata"))
        {
            let page_path = format!("/simple/{}/", normalize_name(&project));
            if let Ok(page) = self.rules.map(None, &page_path)
                && page.kind == RuleKind::Page
                && page.repository == mapped.repository
                && let Ok((file, _)) = self.fetch_verified(&page).await
            {
                self.record_vouches(&page, None, &page_path, &file).await;
                vouch = self.vouch_for(mapped);
            }
        }
        let digests = match vouch {
            Some(Vouch::Digests(d)) => d,
            Some(Vouch::Conflict) => {
                return Err(InterposeError::NotVouched {
                    target: mapped.target.clone(),
                    reason: "verified index pages list it without a digest, or with different ones"
                        .into(),
                });
            }
            None => {
                return Err(InterposeError::NotVouched {
                    target: mapped.target.clone(),
                    reason: "no verified index page lists a digest for it".into(),
                });
            }
        };
        let client = self.clients.get(&mapped.repository).ok_or_else(|| {
            InterposeError::Rules(format!("unknown repository {}", mapped.repository))
        })?;
        let u = client.fresh_updater()?;
        let file = tuf_updater::VouchedFile {
            path: mapped.target.clone(),
            hashes: digests,
            length: None,
        };
        let path = match u.find_cached_vouched(&file, VOUCHED_FILE_MAX).await? {
            Some(p) => p,
            None => u.download_vouched(&file, VOUCHED_FILE_MAX).await?,
        };
        let length = tokio::fs::metadata(&path)
            .await
            .map_err(|e| InterposeError::Proxy(format!("{}: {e}", path.display())))?
            .len();
        let sha256 = file
            .hashes
            .iter()
            .find(|(a, _)| a == "sha256")
            .map(|(_, d)| d.as_str());
        self.record_served(mapped, sha256, length, &path).await?;
        Ok(path)
    }

    /// Answers a request for a covered URL: `host` is the covered host when the request came
    /// through a tunnel or in absolute form, `None` for the proxy's own index URLs.
    async fn handle(
        &self,
        req: Request<hyper::body::Incoming>,
        host: Option<&str>,
    ) -> Response<Body> {
        self.counters.request();
        let head = req.method() == hyper::Method::HEAD;
        let response = self.answer(req, host, head).await;
        if response.status() == StatusCode::OK && !head {
            let len = response
                .headers()
                .get(hyper::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(0);
            self.counters.served(len);
        }
        response
    }

    /// The answer to a GET or HEAD of a covered URL.
    async fn answer(
        &self,
        req: Request<hyper::body::Incoming>,
        host: Option<&str>,
        head: bool,
    ) -> Response<Body> {
        if req.method() != hyper::Method::GET && !head {
            self.counters.refused(Refusal::Method);
            return text(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET and HEAD are served".into(),
            );
        }
        let path = req.uri().path().to_owned();
        let accept = req
            .headers()
            .get(hyper::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        // `/_host/<host>/<path>`: a URL of another covered host, rewritten into a page.
        let (host, path) = effective_url(host, &path);
        // A page's link to a host no rule covers, pointed here (`/_host/HOST/`): refused.
        if let Some(h) = host.as_deref().filter(|h| !self.rules.covers(h)) {
            return self.refused_uncovered(format!("{} https://{h}{path}", req.method()));
        }
        let mapped = match self.rules.map(host.as_deref(), &path) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("{e}");
                self.counters.refused(Refusal::NoRule);
                return text(StatusCode::NOT_FOUND, e.to_string());
            }
        };
        tracing::info!("Interposing for {path}: target {}", mapped.target);
        // PEP 691: JSON when the installer prefers it and the mirror signed a JSON page.
        let json_page = Some(&mapped)
            .filter(|_| accept.contains("application/vnd.pypi.simple.v1+json"))
            .and_then(json_variant);
        let (file, content_type) = match json_page {
            Some(j) => match self.verified(&j).await {
                Ok(f) => (Ok(f), "application/vnd.pypi.simple.v1+json"),
                // Only a repository that signed no JSON page gets the HTML one instead; a
                // JSON page that fails verification is refused, never papered over.
                Err(InterposeError::Updater(UpdaterError::TargetNotFound { .. })) => {
                    (self.verified(&mapped).await, "text/html; charset=utf-8")
                }
                Err(e) => {
                    tracing::warn!("refused {path} (PEP 691 JSON page): {e}");
                    (Err(e), "application/vnd.pypi.simple.v1+json")
                }
            },
            None if mapped.kind == RuleKind::Vouched => {
                (self.vouched_file(&mapped).await, "application/octet-stream")
            }
            None => {
                let ct = if mapped.kind == RuleKind::Page || mapped.target.ends_with(".html") {
                    "text/html; charset=utf-8"
                } else {
                    "application/octet-stream"
                };
                let verified = self.verified(&mapped).await;
                if let Ok(f) = &verified {
                    self.record_vouches(&mapped, host.as_deref(), &path, f)
                        .await;
                }
                (verified, ct)
            }
        };
        match file {
            Ok(f) if content_type != "application/octet-stream" => {
                self.page_response(&f, content_type, head).await
            }
            Ok(f) => {
                if self.refuse_url_dependencies
                    && let Some(why) = url_dependencies(&mapped.target, &f).await
                {
                    tracing::warn!("refused {path}: {why}");
                    self.counters.refused(Refusal::UrlDependency);
                    return text(
                        StatusCode::FORBIDDEN,
                        format!("TUF-verified {}: {why}: refused\n", mapped.target),
                    );
                }
                file_response(&f, content_type, head).await
            }
            Err(e) => {
                let status = match &e {
                    InterposeError::NotVouched { .. } => {
                        self.counters.refused(Refusal::NotFound);
                        StatusCode::NOT_FOUND
                    }
                    InterposeError::Updater(UpdaterError::TargetNotFound { .. }) => {
                        let page_of = mapped
                            .target
                            .strip_prefix("simple/")
                            .and_then(|r| r.strip_suffix("/index.html"));
                        let page_of = match mapped.kind {
                            RuleKind::Page => Some(mapped.target.as_str()),
                            _ => page_of,
                        };
                        if let Some(name) = page_of
                            && let Ok(mut m) = self.missing.lock()
                            && m.len() < RECORDED_MAX
                        {
                            m.insert(normalize_name(name));
                        }
                        self.counters.refused(Refusal::NotFound);
                        StatusCode::NOT_FOUND
                    }
                    InterposeError::Expired { .. } => {
                        self.counters.refused(Refusal::Expired);
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                    _ => {
                        self.counters.refused(Refusal::Verification);
                        StatusCode::BAD_GATEWAY
                    }
                };
                tracing::warn!("refused {path}: {e}");
                text(status, format!("TUF verification refused {path}: {e}\n"))
            }
        }
    }
}

impl Interposer {
    /// A verified index page written again for the installer ([`crate::pages`]): every link
    /// checked, an absolute one pointed back at the proxy (`http://<proxy>/_host/<authority>/...`),
    /// so that the installer fetches a covered host's files through TUF too and asks nothing
    /// of any other host (the proxy refuses it); a link no rule allows is left out.
    async fn page_response(
        &self,
        path: &std::path::Path,
        content_type: &'static str,
        head: bool,
    ) -> Response<Body> {
        let bytes = match tokio::fs::read(path).await {
            Ok(b) => b,
            Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
        let page = match self.link_base.get() {
            Some(base) => {
                let hosts: Vec<&str> = self.rules.hosts().collect();
                let rewritten = if content_type.starts_with("application/vnd.pypi.simple") {
                    crate::pages::rewrite_json(&bytes, &hosts, base)
                } else {
                    Ok(crate::pages::rewrite_html(&bytes, &hosts, base))
                };
                match rewritten {
                    Ok(r) => {
                        for (link, why) in &r.refused {
                            tracing::warn!(
                                "{}: link {link:?} left out of the page: {why}",
                                path.display()
                            );
                        }
                        r.page
                    }
                    Err(e) => {
                        tracing::warn!("{}: {e}", path.display());
                        self.counters.refused(Refusal::Verification);
                        return text(StatusCode::BAD_GATEWAY, format!("{e}\n"));
                    }
                }
            }
            None => bytes,
        };
        let len = page.len() as u64;
        let body = if head {
            Bytes::new()
        } else {
            Bytes::from(page)
        };
        with_headers(full(body), content_type, Some(len))
    }
}

/// Why the verified file `target` (at `path`) must not reach a client no guard surrounds: a
/// wheel, or a PEP 658 `.metadata` file, whose core metadata declares a dependency by URL
/// (or a wheel that cannot be read for it). `None` for any other file.
async fn url_dependencies(target: &str, path: &std::path::Path) -> Option<String> {
    let path = path.to_owned();
    let target = target.to_ascii_lowercase();
    let found = if target.ends_with(".whl") {
        tokio::task::spawn_blocking(move || crate::url_dependencies::in_wheel(&path))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
    } else if target.ends_with(".metadata") {
        tokio::fs::read(&path)
            .await
            .map(|m| crate::url_dependencies::in_core_metadata(&m))
            .map_err(|e| e.to_string())
    } else {
        return None;
    };
    match found {
        Ok(deps) if deps.is_empty() => None,
        Ok(deps) => Some(format!(
            "declares a dependency by URL ({}), which its installer would fetch unverified",
            deps.join("; ")
        )),
        Err(e) => Some(e),
    }
}

/// The PEP 691 JSON page signed beside an HTML index page (`…/index.html` → `…/index.json`,
/// in the same repository); `None` for any other target.
fn json_variant(html: &Mapped) -> Option<Mapped> {
    html.target.strip_suffix("/index.html").map(|base| Mapped {
        repository: html.repository.clone(),
        target: format!("{base}/index.json"),
        kind: RuleKind::Target,
    })
}

/// A body held in memory.
pub(crate) fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// A 200 response (status changed by callers) with its content type and, if known, length.
fn with_headers(body: Body, content_type: &'static str, len: Option<u64>) -> Response<Body> {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    if let Some(len) = len {
        h.insert(
            hyper::header::CONTENT_LENGTH,
            hyper::header::HeaderValue::from(len),
        );
    }
    r
}

pub(crate) fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = with_headers(full(Bytes::from(body)), "text/plain; charset=utf-8", None);
    *r.status_mut() = status;
    r
}

/// Streams a verified file from the cache in 64 KiB chunks.
async fn file_response(
    path: &std::path::Path,
    content_type: &'static str,
    head: bool,
) -> Response<Body> {
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => return text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let body: Body = if head {
        full(Bytes::new())
    } else {
        let stream = futures_util::TryStreamExt::map_ok(
            tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024),
            Frame::data,
        );
        BodyExt::boxed(StreamBody::new(stream))
    };
    with_headers(body, content_type, Some(len))
}

/// The task of [`Interposer::prefetch_pages`]; stops when dropped.
#[derive(Debug)]
pub struct Prefetch(tokio::task::JoinHandle<()>);

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running proxy; stops when dropped.
#[derive(Debug)]
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    unix: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    /// The proxy URL to give the installer in guard mode (`HTTPS_PROXY`, pip `--proxy`).
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The index URL to give the installer (`--index-url`).
    pub fn index_url(&self) -> String {
        format!("http://{}/simple/", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(u) = &self.unix {
            u.abort();
        }
    }
}

/// Starts the proxy on 127.0.0.1 (ephemeral port), in index mode only: `CONNECT` is refused.
pub async fn start(interposer: Arc<Interposer>) -> Result<Proxy, InterposeError> {
    start_guarded(interposer, None).await
}

/// Starts the proxy on 127.0.0.1 (ephemeral port); with a [`Guard`], `CONNECT` to covered
/// hosts is intercepted and served from verified targets (guard mode).
pub async fn start_guarded(
    interposer: Arc<Interposer>,
    guard: Option<Arc<Guard>>,
) -> Result<Proxy, InterposeError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| InterposeError::Proxy(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| InterposeError::Proxy(e.to_string()))?;
    let _ = interposer.proxy_addr.set(addr);
    let _ = interposer.link_base.set(format!("http://{addr}"));
    let task = tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            // Small responses must not wait for the peer's delayed ACK (Nagle).
            let _ = sock.set_nodelay(true);
            tokio::spawn(serve_connection(sock, interposer.clone(), guard.clone()));
        }
    });
    Ok(Proxy {
        addr,
        task,
        unix: None,
    })
}

/// Serves one connection (TCP, or the Unix socket of [`Proxy::listen_unix`]).
async fn serve_connection<IO>(io: IO, interposer: Arc<Interposer>, guard: Option<Arc<Guard>>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let (interposer, guard) = (interposer.clone(), guard.clone());
        async move { Ok::<_, std::convert::Infallible>(interposer.dispatch(guard, req).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(io), service)
        .with_upgrades()
        .await;
}

#[cfg(unix)]
impl Proxy {
    /// Also answers on a Unix socket at `path` (for the network sandbox, whose forwarder
    /// reaches the proxy through it); same answers as on the TCP port.
    pub fn listen_unix(
        &mut self,
        interposer: Arc<Interposer>,
        guard: Option<Arc<Guard>>,
        path: &std::path::Path,
    ) -> Result<(), InterposeError> {
        let listener = tokio::net::UnixListener::bind(path)
            .map_err(|e| InterposeError::Proxy(format!("{}: {e}", path.display())))?;
        self.unix = Some(tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve_connection(sock, interposer.clone(), guard.clone()));
            }
        }));
        Ok(())
    }
}
