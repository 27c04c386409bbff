//! An installer session: the verifying proxy (with its guard CA in guard mode), the unmodified
//! pip or uv started against it in an environment built from an allow-list
//! ([`crate::isolation`]), and the child's lifecycle — killed if the session is dropped or
//! tuf-cli dies, Ctrl-C passed on, its exit status returned.
//!
//! ```no_run
//! use tuf_interpose::{Action, Installer, RulesSpec, Session, SessionOptions};
//!
//! # async fn run(spec: RulesSpec) -> Result<(), tuf_interpose::InterposeError> {
//! let session = Session::start(&spec, SessionOptions::new("/var/cache/tuf-rs/pypi".into())).await?;
//! let pip = Installer::Pip { python: "python3".into() };
//! let outcome = session.run(&pip, &Action::Install, &["requests".into()], &[]).await?;
//! assert_eq!(outcome.code, 0);
//! # Ok(()) }
//! ```

use crate::InterposeError;
use crate::isolation::Isolation;
use crate::proxy::{Interposer, Proxy, start_guarded};
use crate::{Guard, RulesSpec};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

/// Which installer runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// `python -I -m pip` (`-I`: no `PYTHON*` variables, no user site, no script directory
    /// on `sys.path`).
    Pip {
        /// The Python whose pip installs.
        python: PathBuf,
    },
    /// `uv pip install --no-config --python PYTHON`.
    Uv {
        /// The uv executable.
        uv: PathBuf,
        /// The target environment's Python.
        python: PathBuf,
    },
}

impl Installer {
    fn program(&self) -> &std::path::Path {
        match self {
            Installer::Pip { python } => python,
            Installer::Uv { uv, .. } => uv,
        }
    }

    /// The same installer for the environment of `python`.
    fn with_python(&self, python: PathBuf) -> Installer {
        match self {
            Installer::Pip { .. } => Installer::Pip { python },
            Installer::Uv { uv, .. } => Installer::Uv {
                uv: uv.clone(),
                python,
            },
        }
    }
}

/// What the installer is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Install.
    Install,
    /// Download distribution files into a directory (pip only).
    Download(PathBuf),
}

/// How a session runs.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Guard mode (the default): the installer's HTTP(S) proxy is the verifying proxy, which
    /// intercepts `CONNECT` to covered hosts with an in-memory CA and refuses every other
    /// host. Off: index mode, only the index URL points at the proxy.
    pub guard: bool,
    /// Directory private to the TUF repository for the installers' caches.
    pub private_dir: PathBuf,
    /// Discard the installer's output.
    pub quiet: bool,
    /// `--allow-local`: the user's own local sources pass the requirements grammar
    /// ([`crate::requirements`]) and the proof ([`crate::proof`]), and are listed in
    /// [`Outcome::local`]. Nothing re-enables network access.
    pub allow_local: bool,
    /// The sandbox ([`crate::sandbox`], [`crate::world`]). `None`: no sandbox.
    pub sandbox: Option<crate::sandbox::Sandbox>,
    /// The interpreter the runs will use, when it is known before the session starts: it is
    /// asked where it lives (and whether overlays can be mounted is tried) while the
    /// repositories refresh, instead of after.
    pub python: Option<PathBuf>,
}

impl SessionOptions {
    /// Guard mode, output shown, caches under `private_dir`.
    pub fn new(private_dir: PathBuf) -> SessionOptions {
        SessionOptions {
            guard: true,
            private_dir,
            quiet: false,
            allow_local: false,
            sandbox: None,
            python: None,
        }
    }
}

/// What one installer run did.
#[derive(Debug)]
pub struct Outcome {
    /// The installer's exit status (128 + the signal's number when a signal ended it).
    pub code: i32,
    /// Requests refused because no TUF repository covers their host, in order.
    pub refused: Vec<String>,
    /// Local sources `--allow-local` let through (not verified by TUF).
    pub local: Vec<String>,
    /// Distributions proven only by the verified sdist they were built from (uv).
    pub built: Vec<String>,
    /// What the proof after the run found installed or downloaded but not served verified
    /// (empty when everything is proven). Non-empty means the run failed.
    pub unverified: Vec<String>,
    /// The directories the run was staged for ([`crate::stage`]); empty when it wrote in
    /// place (an environment outside the bubblewrap sandbox).
    pub staged: Vec<PathBuf>,
    /// Whether the staged result replaced them (only after a successful, proven run).
    pub committed: bool,
}

/// A running verifying proxy and what an installer needs to use it. Dropping it stops the
/// proxy and deletes the CA certificate file.
pub struct Session {
    interposer: Arc<Interposer>,
    proxy: Proxy,
    ca_file: Option<tempfile::NamedTempFile>,
    /// With the sandbox: the directory of the proxy's Unix socket.
    socket_dir: Option<tempfile::TempDir>,
    options: SessionOptions,
    /// What was begun before the refresh, for the first run to take.
    early: std::sync::Mutex<Early>,
}

/// Answers asked for when the session started ([`SessionOptions::python`]).
#[derive(Default)]
struct Early {
    /// The interpreter, and its answer being made.
    paths: Option<(
        PathBuf,
        tokio::task::JoinHandle<Result<PythonPaths, InterposeError>>,
    )>,
    /// Whether overlays can be mounted ([`crate::overlay::available`]), being tried.
    overlay: Option<tokio::task::JoinHandle<bool>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("proxy", &self.proxy.addr)
            .field("guard", &self.options.guard)
            .finish_non_exhaustive()
    }
}

fn io(what: &str) -> impl Fn(std::io::Error) -> InterposeError + '_ {
    move |e| InterposeError::Proxy(format!("{what}: {e}"))
}

impl Session {
    /// Refreshes every repository of `spec` and starts the proxy (with a new guard CA in
    /// guard mode; only its certificate is written, for the installer to trust, and its key
    /// stays in memory).
    pub async fn start(
        spec: &RulesSpec,
        mut options: SessionOptions,
    ) -> Result<Session, InterposeError> {
        let sandbox = options.sandbox.take();
        Self::start_deciding(spec, options, async { Ok(sandbox) }).await
    }

    /// As [`Session::start`], with the sandbox (`options.sandbox` is not read) decided while
    /// the repositories refresh (tuf-cli tries bubblewrap meanwhile); an error deciding it is
    /// returned before any other.
    pub async fn start_deciding<F>(
        spec: &RulesSpec,
        mut options: SessionOptions,
        sandbox: F,
    ) -> Result<Session, InterposeError>
    where
        F: std::future::Future<Output = Result<Option<crate::sandbox::Sandbox>, InterposeError>>,
    {
        // Asked while the repositories refresh; taken by the first run.
        let paths = options.python.clone().map(|python| {
            let private_dir = options.private_dir.clone();
            let asked = python.clone();
            let task =
                tokio::spawn(async move { python_paths_recorded(&asked, &private_dir).await });
            (python, task)
        });
        let decided = async {
            let sandbox = sandbox.await?;
            let overlay = sandbox
                .as_ref()
                .map(|_| tokio::task::spawn_blocking(crate::overlay::available));
            Ok::<_, InterposeError>((sandbox, overlay))
        };
        let (refreshed, decided) = tokio::join!(Interposer::start(spec), decided);
        let (sandbox, overlay) = decided?;
        options.sandbox = sandbox;
        let early = Early { paths, overlay };
        let interposer = Arc::new(refreshed?);
        let guard = if options.guard {
            let hosts: Vec<String> = spec.hosts.keys().cloned().collect();
            Some(Arc::new(Guard::new(hosts.iter().map(String::as_str))?))
        } else {
            None
        };
        let ca_file = match &guard {
            Some(g) => {
                let mut f = tempfile::Builder::new()
                    .prefix("tuf-guard-ca")
                    .suffix(".pem")
                    .tempfile()
                    .map_err(io("guard CA file"))?;
                std::io::Write::write_all(&mut f, g.ca_pem().as_bytes())
                    .map_err(io("guard CA file"))?;
                Some(f)
            }
            None => None,
        };
        let mut proxy = start_guarded(interposer.clone(), guard.clone()).await?;
        let socket_dir = match &options.sandbox {
            Some(_) => Some(sandbox_socket(&mut proxy, interposer.clone(), guard)?),
            None => None,
        };
        tracing::info!(
            "Interposing at {} (guard mode {})",
            proxy.index_url(),
            if options.guard { "on" } else { "off" }
        );
        Ok(Session {
            interposer,
            proxy,
            ca_file,
            socket_dir,
            options,
            early: std::sync::Mutex::new(early),
        })
    }

    /// The interposer (for what it served and refused).
    pub fn interposer(&self) -> &Arc<Interposer> {
        &self.interposer
    }

    /// The proxy.
    pub fn proxy(&self) -> &Proxy {
        &self.proxy
    }

    /// The installer's environment.
    pub fn isolation(&self) -> Isolation {
        Isolation {
            index_url: self.proxy.index_url(),
            guard: self
                .ca_file
                .as_ref()
                .map(|ca| (self.proxy.proxy_url(), ca.path().to_owned())),
            private_dir: self.options.private_dir.clone(),
        }
    }

    /// The command line: program and arguments (the environment is [`Session::isolation`]);
    /// `given` are the canonical requirements' arguments ([`crate::requirements::Canonical::write`]).
    pub fn arguments(
        &self,
        installer: &Installer,
        action: &Action,
        given: &[String],
    ) -> Result<Vec<std::ffi::OsString>, InterposeError> {
        let mut args: Vec<std::ffi::OsString> = Vec::new();
        match installer {
            Installer::Pip { .. } => {
                let verb = match action {
                    Action::Install => "install",
                    Action::Download(_) => "download",
                };
                args.extend(["-I", "-m", "pip", verb].map(Into::into));
                if let Action::Download(dir) = action {
                    args.push("--dest".into());
                    args.push(dir.into());
                }
                if let Some(ca) = &self.ca_file {
                    args.push("--proxy".into());
                    args.push(self.proxy.proxy_url().into());
                    args.push("--cert".into());
                    args.push(ca.path().into());
                }
            }
            Installer::Uv { python, .. } => {
                if matches!(action, Action::Download(_)) {
                    return Err(InterposeError::Rules("downloads go through pip".into()));
                }
                args.extend(["pip", "install", "--no-config", "--python"].map(Into::into));
                args.push(python.into());
            }
        }
        args.push("--index-url".into());
        args.push(self.proxy.index_url().into());
        args.extend(given.iter().map(Into::into));
        Ok(args)
    }

    /// Reads the requirements and options with the allow-list grammar
    /// ([`crate::requirements`]), writes them canonical into a directory of the session's,
    /// runs the installer there (it reads no file of the user's) to its end, and checks what
    /// it installed or downloaded against what the proxy served (the proof,
    /// [`crate::proof`]).
    pub async fn run(
        &self,
        installer: &Installer,
        action: &Action,
        requirements: &[String],
        extra: &[String],
    ) -> Result<Outcome, InterposeError> {
        let started = std::time::Instant::now();
        let phase = |what: &str| tracing::debug!("session: {what} after {:?}", started.elapsed());
        let given: Vec<String> = requirements.iter().chain(extra).cloned().collect();
        let covers = |h: &str| self.interposer.covers(h);
        let policy = crate::requirements::Policy {
            allow_local: self.options.allow_local,
            covers: &covers,
        };
        let cwd = std::env::current_dir().map_err(io("current directory"))?;
        let canonical = crate::requirements::canonicalize(&policy, &given, &cwd)?;
        let mut local = canonical.local.clone();
        // The pages of the projects asked for are verified while the installer starts.
        let _prefetch = self.interposer.prefetch_pages(canonical.project_names());
        let isolation = self.isolation();
        isolation.prepare().map_err(io("installer cache"))?;
        let scratch = tempfile::Builder::new()
            .prefix("tuf-session")
            .tempdir()
            .map_err(io("session directory"))?;
        let report = scratch.path().join("report.json");
        let work = scratch.path().join("work");
        std::fs::create_dir(&work).map_err(io("session directory"))?;
        let python = match installer {
            Installer::Pip { python } | Installer::Uv { python, .. } => python,
        };
        let early = std::mem::take(
            &mut *self
                .early
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let paths = match early.paths {
            Some((asked, task)) if asked == *python => task
                .await
                .map_err(|e| InterposeError::Proxy(format!("{}: {e}", python.display())))??,
            _ => python_paths_recorded(python, &self.options.private_dir).await?,
        };
        phase("interpreter paths read");
        let world = matches!(
            &self.options.sandbox,
            Some(crate::sandbox::Sandbox {
                confinement: crate::sandbox::Confinement::Full(_),
                ..
            })
        );
        let network_only = matches!(
            &self.options.sandbox,
            Some(crate::sandbox::Sandbox {
                confinement: crate::sandbox::Confinement::NetworkOnly,
                ..
            })
        );
        // An installation is staged as an overlay where the kernel allows one (no copy: the
        // cost follows what changes); downloads, and elsewhere, as a copy.
        let overlay = (world || network_only)
            && matches!(action, Action::Install)
            && match early.overlay {
                Some(trial) => trial.await.unwrap_or(false),
                None => crate::overlay::available(),
            };
        // The environment itself can be staged where its staged view can be seen at its own
        // path: in the world, or in the network-only sandbox's mount namespace.
        let env_staged = world || (network_only && overlay);
        // Elsewhere nothing can be shown at the environment's own path: a virtual environment
        // is staged whole, as a copy that runs as itself (its interpreter finds the copy's
        // pyvenv.cfg), and the scripts the run wrote are moved back before the commit
        // ([`crate::relocate`]).
        let whole_env =
            matches!(action, Action::Install) && canonical.target.is_none() && !env_staged;
        if whole_env && !paths.is_venv() {
            return Err(InterposeError::Rules(format!(
                "{} is not a virtual environment's interpreter: without a sandbox tuf-cli \
                 installs only into a virtual environment or a --target directory, which it \
                 stages as a copy and replaces only after the proof",
                paths.executable.display()
            )));
        }
        // What the installer may change, staged: committed only after the proof.
        let mut dests: Vec<PathBuf> = match (action, &canonical.target) {
            (Action::Download(dir), _) => vec![cwd.join(dir)],
            (Action::Install, Some(target)) => vec![target.clone()],
            // A virtual environment is staged whole, seen at its own path: wheels install
            // data files (`.data/data`) and headers beside site-packages, uv its lock at the
            // root; outside the world nothing else of the file system is contained.
            (Action::Install, None) if (world || network_only) && paths.is_venv() => {
                vec![paths.prefix.clone()]
            }
            // Its install directories that exist; the rest of it stays as it is.
            (Action::Install, None) if env_staged => {
                [&paths.purelib, &paths.platlib, &paths.scripts]
                    .into_iter()
                    .filter(|d| d.is_dir())
                    .cloned()
                    .collect()
            }
            (Action::Install, None) => vec![paths.prefix.clone()],
        };
        dests.sort();
        dests.dedup();
        // Outside the world only the environment's directories are bound (they exist); a
        // --target or download directory is given to the installer as its staging copy.
        let overlay = overlay && (world || canonical.target.is_none());
        let mut stages = dests
            .iter()
            .map(|d| {
                if overlay {
                    crate::stage::Stage::overlaid(d)
                } else {
                    crate::stage::Stage::new(d)
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(io("staging"))?;
        let staging_of: Vec<(PathBuf, PathBuf)> = stages
            .iter()
            .map(|s| (s.dest().to_owned(), s.staging().to_owned()))
            .collect();
        let staged = |d: &std::path::Path| -> PathBuf {
            staging_of
                .iter()
                .find_map(|(dest, staging)| {
                    let rel = d.strip_prefix(dest).ok()?;
                    Some(if rel.as_os_str().is_empty() {
                        staging.clone()
                    } else {
                        staging.join(rel)
                    })
                })
                .unwrap_or_else(|| d.to_owned())
        };
        // Outside the world the installer is pointed at the staging copies themselves.
        let seen = |d: &std::path::Path| if world { d.to_owned() } else { staged(d) };
        // (Outside the world, environment directories are bound below, so the installer is
        // never given their paths: it finds them through the Python.)
        let mut given = canonical
            .write(scratch.path())
            .map_err(io("canonical requirements"))?;
        if let Some(t) = &canonical.target {
            let from = format!("--target={}", t.display());
            for a in given.iter_mut().filter(|a| **a == from) {
                *a = format!("--target={}", seen(t).display());
            }
        }
        let action_seen = match action {
            Action::Download(dir) => Action::Download(seen(&cwd.join(dir))),
            a => a.clone(),
        };
        let in_copy;
        let installer = if whole_env {
            in_copy = installer.with_python(staged(&paths.executable));
            &in_copy
        } else {
            installer
        };
        let mut args = self.arguments(installer, &action_seen, &given)?;
        let before = match (installer, action) {
            (Installer::Pip { .. }, Action::Install) => {
                args.push("--report".into());
                args.push(report.clone().into());
                Before::Report
            }
            (Installer::Uv { .. }, Action::Install) => {
                // Before: the directories themselves (their staging may be an overlay not
                // yet made into a tree); after: the staged trees.
                let (before, sites): (Vec<PathBuf>, Vec<PathBuf>) = match &canonical.target {
                    Some(t) => (vec![t.clone()], vec![staged(t)]),
                    None => (
                        vec![paths.purelib.clone(), paths.platlib.clone()],
                        vec![staged(&paths.purelib), staged(&paths.platlib)],
                    ),
                };
                Before::Sites(crate::proof::Installed::snapshot(&before), sites)
            }
            (_, Action::Download(dir)) => {
                let dir = staged(&cwd.join(dir));
                let listing = crate::proof::listing(&dir);
                Before::Dir(dir, listing)
            }
        };
        let mut cmd = match (&self.options.sandbox, &self.socket_dir) {
            (Some(sandbox), Some(dir)) => {
                // The file-system view is bubblewrap's; the network-only sandbox has none.
                let view = if world {
                    self.view(
                        installer,
                        &paths,
                        &canonical,
                        scratch.path(),
                        &work,
                        sandbox,
                        &stages,
                    )?
                } else {
                    crate::world::View::default()
                };
                let mut mounts = Vec::new();
                for stage in &stages {
                    if let Some(m) = stage.mount() {
                        if let (false, crate::overlay::Mount::Overlay(_, merged)) = (world, &m) {
                            let bind = crate::overlay::Mount::Bind(
                                merged.clone(),
                                stage.dest().to_owned(),
                            );
                            mounts.extend([m.clone(), bind]);
                        } else {
                            mounts.push(m);
                        }
                    }
                }
                crate::sandbox::command(
                    sandbox,
                    &view,
                    &mounts,
                    &dir.path().join("proxy.sock"),
                    self.proxy.addr.port(),
                    installer.program(),
                )?
            }
            _ => with_parent_death_signal(installer.program()),
        };
        // An empty directory of the session's: nothing there for the installer to read.
        cmd.args(&args)
            .current_dir(&work)
            .env_clear()
            .envs(isolation.environment(std::env::vars_os()))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if self.options.quiet {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        let program = installer.program().display().to_string();
        phase("staged, starting the installer");
        let child = cmd
            .spawn()
            .map_err(|e| InterposeError::Proxy(format!("cannot run {program}: {e}")))?;
        let code = wait(child).await?;
        phase("installer exited");
        // Overlays become trees (hard links and the run's changes) for the proof to read.
        let mut made = Ok(());
        for stage in &mut stages {
            if let Err(e) = stage.materialize() {
                made = Err(e);
            }
        }
        phase("staged results made");
        let served = self.interposer.served();
        let allow_local = self.options.allow_local;
        let (mut built, mut unverified): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        if let Err(e) = made {
            unverified.push(format!("the staged result could not be made: {e}"));
        }
        let mut take = |r: Result<Vec<String>, InterposeError>, into: &mut Vec<String>| match r {
            Ok(v) => into.extend(v),
            Err(InterposeError::Unverified(v)) => unverified.extend(v),
            Err(e) => unverified.push(e.to_string()),
        };
        // The distributions the installer-specific proof covers, for the trace below.
        let mut proven: std::collections::BTreeSet<(String, String)> = Default::default();
        let mut sites: Vec<PathBuf> = match &canonical.target {
            Some(t) => vec![staged(t)],
            None => vec![staged(&paths.purelib), staged(&paths.platlib)],
        };
        sites.dedup();
        match before {
            // pip writes its report once it has resolved; without one it installed nothing.
            Before::Report => match std::fs::read(&report) {
                Ok(bytes) => {
                    proven = crate::proof::pip_report_installed(&bytes);
                    take(
                        crate::proof::pip_report(&bytes, &served, allow_local),
                        &mut local,
                    )
                }
                Err(_) if code != 0 => {}
                Err(e) => {
                    unverified.push(format!("pip wrote no --report ({e}): nothing is proven"))
                }
            },
            Before::Sites(snapshot, sites) => {
                let changed = crate::proof::Installed::snapshot(&sites).changed_since(&snapshot);
                proven = changed
                    .iter()
                    .filter_map(|d| {
                        let stem = d.file_name()?.to_str()?.strip_suffix(".dist-info")?;
                        crate::proof::name_version(stem)
                    })
                    .collect();
                match crate::proof::uv_installed(&changed, &served, allow_local) {
                    Ok(proven) => {
                        built.extend(proven.built);
                        local.extend(proven.local);
                    }
                    Err(e) => take(Err(e), &mut built),
                }
            }
            Before::Dir(dir, listing) => take(
                crate::proof::downloads(&dir, &listing, &served, allow_local),
                &mut local,
            ),
        }
        // Every file the run changed in a staged site directory must belong to a proven
        // distribution ([`crate::trace`]); downloads were checked file by file above.
        if code == 0 && unverified.is_empty() && matches!(action, Action::Install) {
            let mut changed = Vec::new();
            for stage in &stages {
                match crate::trace::changes(stage.dest(), stage.staging()) {
                    Ok(c) => changed.extend(c),
                    Err(e) => unverified.push(format!("{}: {e}", stage.staging().display())),
                }
            }
            let wheels: Vec<(String, PathBuf)> = served
                .iter()
                .filter(|s| s.file_name().ends_with(".whl"))
                .map(|s| (s.file_name().to_owned(), s.path.clone()))
                .collect();
            // Named as the user knows them: at the staged directories' own paths.
            let shown = |m: String| {
                stages.iter().fold(m, |m, s| {
                    m.replace(
                        &s.staging().display().to_string(),
                        &s.dest().display().to_string(),
                    )
                })
            };
            let seen_at: Vec<(PathBuf, PathBuf)> = stages
                .iter()
                .map(|s| (s.dest().to_owned(), s.staging().to_owned()))
                .collect();
            match crate::trace::traced(&changed, &sites, &seen_at, &proven, &wheels) {
                Ok(()) => {}
                Err(InterposeError::Unverified(v)) => unverified.extend(v.into_iter().map(shown)),
                Err(e) => unverified.push(shown(e.to_string())),
            }
            if let (true, true, Some(stage)) = (whole_env, unverified.is_empty(), stages.first()) {
                let scripts = staged(&paths.scripts);
                let moved = crate::relocate::relocate(
                    &changed,
                    &scripts,
                    &sites,
                    stage.staging(),
                    stage.dest(),
                );
                if let Err(e) = moved {
                    unverified.push(format!("the new scripts could not be moved back: {e}"));
                }
            }
        }
        phase("proof and trace done");
        // The gate: only a successful, wholly proven run changes anything.
        let staged_dirs: Vec<PathBuf> = stages.iter().map(|s| s.dest().to_owned()).collect();
        let committed = code == 0 && unverified.is_empty();
        if committed {
            for stage in stages {
                stage
                    .commit()
                    .map_err(io("committing the staged install"))?;
            }
        }
        phase("committed");
        Ok(Outcome {
            code,
            refused: self.interposer.uncovered_requests(),
            local,
            built,
            unverified,
            staged: staged_dirs,
            committed,
        })
    }
}

impl Session {
    /// What the installer may see in the sandbox ([`crate::world`]): the interpreter, uv and
    /// the helper read-only; the staging copies of what it changes (`--target`, the
    /// download directory, or the environment's `purelib`, `platlib` and `scripts`) at their
    /// own paths, the session's directory, the private caches and the socket writable;
    /// `--allow-local` paths read-only.
    #[allow(clippy::too_many_arguments)]
    fn view(
        &self,
        installer: &Installer,
        paths: &PythonPaths,
        canonical: &crate::requirements::Canonical,
        scratch: &std::path::Path,
        work: &std::path::Path,
        sandbox: &crate::sandbox::Sandbox,
        stages: &[crate::stage::Stage],
    ) -> Result<crate::world::View, InterposeError> {
        let real = |p: &std::path::Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
        let mut view = crate::world::View {
            cwd: work.to_owned(),
            ..Default::default()
        };
        view.read_only.extend([
            paths.base_prefix.clone(),
            paths.prefix.clone(),
            real(&paths.executable),
            real(&sandbox.helper),
        ]);
        if let Installer::Uv { uv, .. } = installer {
            view.read_only.push(real(uv));
        }
        if let Some(ca) = &self.ca_file {
            view.read_only.push(ca.path().to_owned());
        }
        view.read_only.extend(canonical.local_paths.iter().cloned());
        let mut writable = vec![scratch.to_owned(), self.options.private_dir.clone()];
        if let Some(dir) = &self.socket_dir {
            writable.push(dir.path().to_owned());
        }
        for dir in &writable {
            std::fs::create_dir_all(dir).map_err(io("sandbox directory"))?;
        }
        // What the installer changes is seen at its own path, and is the staging copy.
        view.staged = stages
            .iter()
            .map(|s| (s.seen().to_owned(), s.dest().to_owned()))
            .collect();
        view.writable = writable.iter().map(|p| real(p)).collect();
        Ok(view)
    }
}

/// Where a Python lives and installs.
struct PythonPaths {
    prefix: PathBuf,
    base_prefix: PathBuf,
    executable: PathBuf,
    purelib: PathBuf,
    platlib: PathBuf,
    scripts: PathBuf,
}

impl PythonPaths {
    /// A virtual environment whose interpreter and install directories all lie in it: it
    /// can be copied whole and run as itself from the copy.
    fn is_venv(&self) -> bool {
        self.prefix != self.base_prefix
            && [
                &self.executable,
                &self.purelib,
                &self.platlib,
                &self.scripts,
            ]
            .iter()
            .all(|p| p.starts_with(&self.prefix))
    }
}

impl From<[PathBuf; 6]> for PythonPaths {
    /// The interpreter's answer, in the order [`python_paths`] asks: prefix, base prefix,
    /// executable, purelib, platlib, scripts.
    fn from([prefix, base_prefix, executable, purelib, platlib, scripts]: [PathBuf; 6]) -> Self {
        PythonPaths {
            prefix,
            base_prefix,
            executable,
            purelib,
            platlib,
            scripts,
        }
    }
}

/// What identifies an interpreter's answer to [`python_paths`]: the path as given, the file
/// it is (and the link, if it is one), and the `pyvenv.cfg` Python looks for beside it and
/// one directory up, each by length, modification time and (on Unix) inode. `None` for a
/// path that names no file from here (a bare `python3` found on `PATH`).
fn interpreter_key(python: &std::path::Path) -> Option<String> {
    fn stamp(m: std::io::Result<std::fs::Metadata>) -> String {
        let Ok(m) = m else {
            return "-".into();
        };
        let modified = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let inode = 0;
        format!("{}:{modified}:{inode}", m.len())
    }
    if !python.is_absolute() || !python.is_file() {
        return None;
    }
    let dir = python.parent()?;
    let mut key = python.display().to_string();
    for m in [
        std::fs::symlink_metadata(python),
        std::fs::metadata(python),
        std::fs::metadata(dir.join("pyvenv.cfg")),
        std::fs::metadata(dir.parent().unwrap_or(dir).join("pyvenv.cfg")),
    ] {
        key.push('|');
        key.push_str(&stamp(m));
    }
    Some(key)
}

/// [`python_paths`], answered from a record of an earlier answer while the interpreter is
/// unchanged ([`interpreter_key`]). The records are kept beside `private_dir`, never in it:
/// the installer's sandbox sees and writes `private_dir`, and must not be able to change what
/// the next run stages and binds.
async fn python_paths_recorded(
    python: &std::path::Path,
    private_dir: &std::path::Path,
) -> Result<PythonPaths, InterposeError> {
    let Some(key) = interpreter_key(python) else {
        return python_paths(python).await;
    };
    let records = private_dir.with_file_name("interpreters");
    let record = records.join(format!(
        "{}.json",
        hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(key.as_bytes()))
    ));
    if let Ok(bytes) = std::fs::read(&record)
        && let Ok((k, answer)) = serde_json::from_slice::<(String, [PathBuf; 6])>(&bytes)
        && k == key
    {
        return Ok(PythonPaths::from(answer));
    }
    let p = python_paths(python).await?;
    let answer = (
        &key,
        [
            &p.prefix,
            &p.base_prefix,
            &p.executable,
            &p.purelib,
            &p.platlib,
            &p.scripts,
        ],
    );
    // A record that cannot be written only means asking again next time.
    if let Ok(bytes) = serde_json::to_vec(&answer)
        && std::fs::create_dir_all(&records).is_ok()
    {
        let _ = tuf_fs::write_replace(&record, &bytes);
    }
    Ok(p)
}

/// Asks `python` where it lives and installs (`sys`, `sysconfig`).
async fn python_paths(python: &std::path::Path) -> Result<PythonPaths, InterposeError> {
    // The paths as the file system's bytes, NUL-separated (no path holds a NUL), and no
    // `json` import: it costs more than the interpreter's own start.
    let code = "import os, sys, sysconfig\n\
                p = sysconfig.get_paths()\n\
                sys.stdout.buffer.write(b'\\0'.join(os.fsencode(x) for x in [sys.prefix, sys.base_prefix, sys.executable, p['purelib'], p['platlib'], p['scripts']]))";
    let mut cmd = tokio::process::Command::new(python);
    cmd.args(["-I", "-c", code])
        .env_clear()
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .map_err(|_| InterposeError::Proxy(format!("{}: no answer in 30 s", python.display())))?
        .map_err(|e| InterposeError::Proxy(format!("{}: {e}", python.display())))?;
    let v: Vec<PathBuf> = out
        .stdout
        .split(|b| *b == 0)
        .map(path_from_bytes)
        .collect::<Option<_>>()
        .ok_or_else(|| {
            InterposeError::Proxy(format!("{} did not say where it lives", python.display()))
        })?;
    match <[PathBuf; 6]>::try_from(v) {
        Ok(answer) => Ok(PythonPaths::from(answer)),
        Err(_) => Err(InterposeError::Proxy(format!(
            "{} did not say where it lives",
            python.display()
        ))),
    }
}

/// A path as the interpreter wrote it (`os.fsencode`): the bytes themselves on Unix, UTF-8
/// elsewhere. `None`: empty, or not a path here.
fn path_from_bytes(bytes: &[u8]) -> Option<PathBuf> {
    if bytes.is_empty() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::str::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

/// A private directory holding the Unix socket through which the sandboxed installer
/// reaches `proxy` ([`crate::sandbox`]).
#[cfg(unix)]
fn sandbox_socket(
    proxy: &mut Proxy,
    interposer: Arc<Interposer>,
    guard: Option<Arc<Guard>>,
) -> Result<tempfile::TempDir, InterposeError> {
    let dir = tempfile::Builder::new()
        .prefix("tuf-sandbox")
        .tempdir()
        .map_err(io("sandbox socket directory"))?;
    proxy.listen_unix(interposer, guard, &dir.path().join("proxy.sock"))?;
    Ok(dir)
}

/// The network sandbox needs Linux network namespaces.
#[cfg(not(unix))]
fn sandbox_socket(
    _proxy: &mut Proxy,
    _interposer: Arc<Interposer>,
    _guard: Option<Arc<Guard>>,
) -> Result<tempfile::TempDir, InterposeError> {
    Err(InterposeError::Proxy(
        "the network sandbox needs Linux network namespaces".into(),
    ))
}

/// What is recorded before the run, for the proof after it.
enum Before {
    Report,
    Sites(crate::proof::Installed, Vec<PathBuf>),
    Dir(
        PathBuf,
        std::collections::BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)>,
    ),
}

/// `program`, started so that it is killed if this process dies without killing it (even by
/// SIGKILL): through `setpriv --pdeathsig KILL` where util-linux's setpriv exists (Linux);
/// elsewhere only dropping the session kills it.
pub(crate) fn with_parent_death_signal(program: &std::path::Path) -> tokio::process::Command {
    #[cfg(target_os = "linux")]
    {
        for dir in ["/usr/bin", "/bin"] {
            let setpriv = std::path::Path::new(dir).join("setpriv");
            if setpriv.is_file() {
                let mut c = tokio::process::Command::new(setpriv);
                c.args(["--pdeathsig", "KILL", "--"]).arg(program);
                return c;
            }
        }
    }
    tokio::process::Command::new(program)
}

/// Waits for the child. On Ctrl-C: a terminal sends SIGINT to the whole foreground group, so
/// the installer has it already; if it has not ended within 2 s (the signal was sent to
/// tuf-cli alone), it is passed on; after 10 s more the installer is killed.
pub(crate) async fn wait(mut child: tokio::process::Child) -> Result<i32, InterposeError> {
    let status = tokio::select! {
        s = child.wait() => s,
        _ = tokio::signal::ctrl_c() => {
            match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
                Ok(s) => s,
                Err(_) => {
                    interrupt(&child);
                    match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
                        Ok(s) => s,
                        Err(_) => {
                            let _ = child.kill().await;
                            child.wait().await
                        }
                    }
                }
            }
        }
    }
    .map_err(io("waiting for the installer"))?;
    Ok(exit_code(status))
}

#[cfg(unix)]
fn interrupt(child: &tokio::process::Child) {
    if let Some(pid) = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
    }
}

#[cfg(not(unix))]
fn interrupt(_child: &tokio::process::Child) {}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    status.code().unwrap_or(1)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// An "interpreter" that answers with `prefix` and counts its runs in `runs`.
    fn fake_python(dir: &std::path::Path, prefix: &str) -> PathBuf {
        let python = dir.join("bin/python");
        std::fs::create_dir_all(python.parent().unwrap()).unwrap();
        let runs = dir.join("runs");
        std::fs::write(
            &python,
            format!(
                "#!/bin/sh\necho run >> {}\nprintf '%s\\0' {prefix} /usr {prefix}/bin/python {prefix}/lib {prefix}/lib\nprintf '%s' {prefix}/bin\n",
                runs.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        python
    }

    fn runs(dir: &std::path::Path) -> usize {
        std::fs::read_to_string(dir.join("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    /// A real interpreter reached through a directory whose name is not UTF-8: its answer is
    /// the file system's bytes, not a text encoding of them.
    #[tokio::test]
    async fn an_interpreter_answers_with_the_bytes_of_its_paths() {
        use std::os::unix::ffi::OsStrExt;
        let Some(real) = ["/usr/bin/python3", "/usr/local/bin/python3"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
        else {
            return; // No system Python here.
        };
        let dir = tempfile::tempdir().unwrap();
        let odd = dir
            .path()
            .join(std::ffi::OsStr::from_bytes(b"py-\xff-\n-dir"));
        std::fs::create_dir(&odd).unwrap();
        let python = odd.join("python3");
        std::os::unix::fs::symlink(&real, &python).unwrap();
        let paths = python_paths(&python).await.unwrap();
        assert_eq!(paths.executable, python);
        assert!(paths.purelib.is_absolute() && paths.scripts.is_absolute());
        assert_eq!(paths.prefix, paths.base_prefix, "not a virtual environment");
    }

    /// [`python_paths_recorded`], tried again while the fake interpreter just written is
    /// "busy": another test's process, forked between the write and its own exec, can still
    /// hold it open (ETXTBSY).
    async fn recorded(python: &std::path::Path, private: &std::path::Path) -> PythonPaths {
        for _ in 0..100 {
            match python_paths_recorded(python, private).await {
                Err(e) if e.to_string().contains("Text file busy") => {
                    tokio::time::sleep(Duration::from_millis(10)).await
                }
                r => return r.unwrap(),
            }
        }
        panic!("{}: busy for a second", python.display())
    }

    #[tokio::test]
    async fn interpreter_paths_are_asked_once_per_unchanged_interpreter_and_kept_out_of_the_sandbox()
     {
        let env = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let private = cache.path().join("installer");
        let python = fake_python(env.path(), "/venv-a");
        let first = recorded(&python, &private).await;
        let second = recorded(&python, &private).await;
        assert_eq!(
            runs(env.path()),
            1,
            "the second answer came from the record"
        );
        assert_eq!(
            (first.prefix, second.prefix),
            ("/venv-a".into(), "/venv-a".into())
        );
        // The record lives beside the installer's private directory, not in it.
        assert!(cache.path().join("interpreters").is_dir());
        assert!(!private.exists());
        // A new pyvenv.cfg (the environment made again) is a new interpreter: asked again.
        std::fs::write(env.path().join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        let third = recorded(&python, &private).await;
        assert_eq!(runs(env.path()), 2);
        assert_eq!(third.prefix, PathBuf::from("/venv-a"));
        // A changed interpreter file too.
        std::fs::remove_file(&python).unwrap();
        let python = fake_python(env.path(), "/venv-b");
        let fourth = recorded(&python, &private).await;
        assert_eq!(fourth.prefix, PathBuf::from("/venv-b"));
        // A record whose key is not this interpreter's is not used.
        let records = cache.path().join("interpreters");
        for e in std::fs::read_dir(&records).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, text.replace("/venv-b", "/evil").replacen('|', "#", 1)).unwrap();
        }
        let fifth = recorded(&python, &private).await;
        assert_eq!(fifth.prefix, PathBuf::from("/venv-b"));
    }
}
