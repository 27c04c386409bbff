//! One refreshed TUF client per repository, replaced whole by each later refresh: a request
//! keeps the client it started with to its end, and a client whose metadata has expired is
//! not used at all.

use crate::InterposeError;
use crate::rules::RepositorySpec;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;
use tuf_metadata::Expiry;
use tuf_transport::{Metrics, Totals};
use tuf_updater::Updater;

/// How a repository's last refreshes went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshStatus {
    /// The repository's name in the rules.
    pub repository: String,
    /// When the client in use was refreshed.
    pub refreshed: SystemTime,
    /// The earliest expiry of the metadata the client in use trusts (root, timestamp,
    /// snapshot and every targets role loaded so far); nothing is served from it after this.
    pub expires: Expiry,
    /// Refreshes that failed since the service started.
    pub failures: u64,
    /// Why the last refresh failed, if it did (cleared by the next success).
    pub last_error: Option<String>,
}

/// The client of one repository.
#[derive(Debug)]
pub(crate) struct RepoClient {
    name: String,
    spec: RepositorySpec,
    current: RwLock<Arc<Updater>>,
    status: Mutex<(SystemTime, u64, Option<String>)>,
    /// Fetch totals of clients already replaced, and of records drained (see
    /// [`RepoClient::drain_fetches`]).
    fetched: Mutex<Totals>,
}

/// Builds a TUF client for `spec` (storing its initial root if the metadata directory has
/// none) and refreshes it (spec 5.3–5.6).
async fn build(name: &str, spec: &RepositorySpec) -> Result<Updater, InterposeError> {
    // The root file is read only the first time: later the stored, updated root is used
    // even if the file is gone.
    let mut builder = Updater::builder(&spec.metadata_dir).target_dir(&spec.targets_dir);
    if let Some(root) = &spec.root {
        builder = builder.trusted_root_file(root);
    }
    for u in &spec.metadata_urls {
        builder = builder.metadata_url(u);
    }
    for u in &spec.targets_urls {
        builder = builder.targets_url(u);
    }
    if let Some(ca) = &spec.ca_file {
        builder = builder.ca_file(ca);
    }
    tracing::info!("Refreshing TUF metadata of repository {name}");
    Ok(builder.build().await?)
}

fn add(t: &mut Totals, more: Totals) {
    t.requests += more.requests;
    t.failures += more.failures;
    t.wire_bytes += more.wire_bytes;
    t.decoded_bytes += more.decoded_bytes;
}

impl RepoClient {
    /// A refreshed client for repository `name`; fails if the first refresh does.
    pub(crate) async fn start(name: &str, spec: &RepositorySpec) -> Result<Self, InterposeError> {
        let updater = build(name, spec).await?;
        Ok(RepoClient {
            name: name.to_owned(),
            spec: spec.clone(),
            current: RwLock::new(Arc::new(updater)),
            status: Mutex::new((SystemTime::now(), 0, None)),
            fetched: Mutex::new(Totals::default()),
        })
    }

    /// The client in use.
    pub(crate) fn updater(&self) -> Arc<Updater> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The client in use, if its metadata is still valid now; else
    /// [`InterposeError::Expired`]. The expiry checks of spec 5.3.10, 5.4.4, 5.5.6 and 5.6.5
    /// were made at the refresh; a client that outlives the metadata it checked must not
    /// answer from it.
    pub(crate) fn fresh_updater(&self) -> Result<Arc<Updater>, InterposeError> {
        let updater = self.updater();
        let expires = updater
            .trusted()
            .map(|t| t.expires())
            .unwrap_or(Expiry::from_system_time(SystemTime::UNIX_EPOCH));
        if expires.is_expired_at(Expiry::now()) {
            return Err(InterposeError::Expired {
                repository: self.name.clone(),
                expires,
            });
        }
        Ok(updater)
    }

    /// Refreshes into a new client and, if that works, puts it in place of the old one
    /// (requests in flight finish with the old one). A failed refresh keeps the old client,
    /// which answers until its metadata expires.
    pub(crate) async fn refresh(&self) -> Result<(), InterposeError> {
        match build(&self.name, &self.spec).await {
            Ok(new) => {
                let old = std::mem::replace(
                    &mut *self.current.write().unwrap_or_else(PoisonError::into_inner),
                    Arc::new(new),
                );
                let totals = Self::totals_of(old.metrics());
                add(
                    &mut self.fetched.lock().unwrap_or_else(PoisonError::into_inner),
                    totals,
                );
                let mut s = self.status.lock().unwrap_or_else(PoisonError::into_inner);
                s.0 = SystemTime::now();
                s.2 = None;
                Ok(())
            }
            Err(e) => {
                let mut s = self.status.lock().unwrap_or_else(PoisonError::into_inner);
                s.1 += 1;
                s.2 = Some(e.to_string());
                Err(e)
            }
        }
    }

    fn totals_of(m: &Metrics) -> Totals {
        let mut t = Totals::default();
        for r in m.take() {
            add(
                &mut t,
                Totals {
                    requests: 1,
                    failures: u64::from(r.outcome != tuf_transport::Outcome::Complete),
                    wire_bytes: r.wire_bytes,
                    decoded_bytes: r.decoded_bytes,
                },
            );
        }
        t
    }

    /// Moves the fetch records of the client in use into running totals, so that a
    /// long-running service keeps sums, not a record per fetch; returns the totals since
    /// the start.
    pub(crate) fn drain_fetches(&self) -> Totals {
        let totals = Self::totals_of(self.updater().metrics());
        let mut f = self.fetched.lock().unwrap_or_else(PoisonError::into_inner);
        add(&mut f, totals);
        *f
    }

    /// How the refreshes went.
    pub(crate) fn status(&self) -> RefreshStatus {
        let expires = self
            .updater()
            .trusted()
            .map(|t| t.expires())
            .unwrap_or(Expiry::from_system_time(SystemTime::UNIX_EPOCH));
        let s = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        RefreshStatus {
            repository: self.name.clone(),
            refreshed: s.0,
            expires,
            failures: s.1,
            last_error: s.2.clone(),
        }
    }
}
