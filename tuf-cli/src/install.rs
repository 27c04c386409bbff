//! `tuf-cli install`: the unmodified pip, pointed at a local proxy that serves only
//! TUF-verified index pages and files.

use crate::stats;
use clap::Args;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use tuf_interpose::{
    Action, Installer, InterposeError, Interposer, RepositorySpec, RulesSpec, Session,
    SessionOptions, isolation,
};
use tuf_pypi::closest;
use tuf_pypi::layout::PROJECT_NAMES_TARGET;
use url::Url;

/// Which installer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstallerKind {
    /// `python -m pip install`.
    Pip,
    /// `uv pip install --python PYTHON`.
    Uv,
}

/// Where the TUF-secured mirror is and how to trust it (shared by `install`, `download` and
/// `serve`).
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Interposition rules (JSON); without it, `--mirror` and `--root` describe one mirror.
    #[arg(long, conflicts_with_all = ["mirror", "root"])]
    rules: Option<PathBuf>,
    /// Base URL of a TUF-secured mirror holding `metadata/` and `targets/`.
    #[arg(long, requires = "root")]
    mirror: Option<Url>,
    /// The mirror's trusted root.json (used the first time; later the stored root is used).
    #[arg(long)]
    root: Option<PathBuf>,
    /// PEM file of extra CA certificates for an HTTPS mirror.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Where trusted metadata and verified files are kept (default: a per-mirror directory
    /// under $XDG_CACHE_HOME/tuf-rs or ~/.cache/tuf-rs).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// How the mirror signs its index: `pep458`, every page and file a target; or `pages`, as
    /// Warehouse signs PyPI: only each project's HTML page (the target named by the project),
    /// files checked against the digests that verified page lists.
    #[arg(long, value_enum, default_value_t = MirrorLayout::Pep458)]
    layout: MirrorLayout,
}

/// `--layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MirrorLayout {
    /// Every page and file a target.
    Pep458,
    /// Only the projects' HTML pages are targets; files are vouched for by their digests.
    Pages,
}

/// The mirror and how the installer runs (shared by `install` and `download`).
#[derive(Debug, Clone, Args)]
pub struct MirrorArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// The Python whose pip installs, or whose environment uv installs into (default:
    /// python3 on PATH).
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Index mode only: do not also point the installer's HTTP(S) proxy at the verifying
    /// proxy. Guard mode (the default) intercepts direct URLs to covered hosts and refuses
    /// every other host.
    #[arg(long)]
    no_guard: bool,
    /// Print every metadata and target file fetched, and the metadata overhead.
    #[arg(long)]
    stats: bool,
    /// Let your own local sources through (paths, `file:` URLs, local `--find-links`,
    /// `--no-index`): TUF verifies none of them, and each is listed in the output. Nothing
    /// re-enables direct network access.
    #[arg(long)]
    allow_local: bool,
    /// The sandbox (Linux): with bubblewrap, the installer and its build backends in new
    /// mount, PID, network, IPC and user namespaces without capabilities, seeing only the
    /// interpreter, the install directories and the verifying proxy's socket; without
    /// bubblewrap, a network namespace only. `auto` (the default) uses the best the system
    /// allows and says what is not contained; `on` fails without bubblewrap.
    #[arg(long, value_enum, default_value = "auto")]
    sandbox: SandboxMode,
}

/// Whether and how the installer runs in a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxMode {
    /// The best the system allows.
    Auto,
    /// The bubblewrap sandbox; fail where the system has none.
    On,
    /// Only a network namespace (and a mount namespace for staging), even where bubblewrap
    /// works: for systems where it misbehaves. The file system is not contained.
    Network,
    /// Never.
    Off,
}

/// The hidden `sandbox-inside` command's arguments.
#[derive(Debug, Args)]
pub struct SandboxInsideArgs {
    /// The verifying proxy's Unix socket.
    #[arg(long)]
    socket: PathBuf,
    /// The port to forward on 127.0.0.1 (the proxy's port outside).
    #[arg(long)]
    port: u16,
    /// The installer and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<std::ffi::OsString>,
}

/// `tuf-cli sandbox-inside`: forwarder and installer, inside the namespace.
pub async fn sandbox_inside(args: SandboxInsideArgs) -> Result<i32, String> {
    #[cfg(unix)]
    {
        let mut command = args.command.into_iter();
        let program = PathBuf::from(command.next().ok_or("no installer given")?);
        tuf_interpose::sandbox::inside(args.socket, args.port, program, command.collect())
            .await
            .map_err(|e| e.to_string())
    }
    #[cfg(not(unix))]
    {
        let _ = args;
        Err("the network sandbox is a Linux feature".into())
    }
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    mirror: MirrorArgs,
    /// The installer: the unmodified pip, or uv.
    #[arg(long, value_enum, default_value = "pip")]
    installer: InstallerKind,
    /// The uv executable (for `--installer uv`).
    #[arg(long, default_value = "uv")]
    uv: PathBuf,
    /// A requirements file, read (recursively) with tuf-cli's allow-list grammar; the
    /// installer gets the requirements rewritten, never the file; repeatable.
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    requirement_files: Vec<String>,
    /// Requirements (PEP 508; local paths only with --allow-local).
    #[arg(required_unless_present = "requirement_files")]
    requirements: Vec<String>,
    /// Further installer arguments, after `--`.
    #[arg(last = true)]
    pip_args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    mirror: MirrorArgs,
    /// The directory the verified distribution files go to.
    #[arg(short = 'd', long = "dest")]
    dest: PathBuf,
    /// A requirements file (`-r FILE` to pip); repeatable.
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    requirement_files: Vec<String>,
    /// Requirements, as pip takes them (dependencies are downloaded too).
    #[arg(required_unless_present = "requirement_files")]
    requirements: Vec<String>,
    /// Further `pip download` arguments, after `--`.
    #[arg(last = true)]
    pip_args: Vec<String>,
}

fn default_cache(mirror: &Url) -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let id = hex::encode(&Sha256::digest(mirror.as_str().as_bytes())[..8]);
    base.join("tuf-rs").join(id)
}

impl MirrorArgs {
    /// How the session runs: guard mode unless `--no-guard`, caches private to the
    /// repository; the sandbox is decided apart ([`MirrorArgs::sandbox`]).
    fn options(&self, spec: &RulesSpec) -> SessionOptions {
        let mut o = SessionOptions::new(private_dir(spec));
        o.guard = !self.no_guard;
        o.allow_local = self.allow_local;
        o
    }

    /// The sandbox `--sandbox` asks for, tried here (it runs a process): `None` with
    /// `--sandbox off`, or `auto` where neither kind works.
    fn sandbox(&self) -> Result<Option<tuf_interpose::sandbox::Sandbox>, String> {
        use tuf_interpose::sandbox::{Confinement, Sandbox, best};
        if self.sandbox == SandboxMode::Off {
            return Ok(None);
        }
        let helper = || {
            std::env::current_exe()
                .map_err(|e| format!("the sandbox needs tuf-cli's own path: {e}"))
        };
        let chosen = if self.sandbox == SandboxMode::Network {
            tuf_interpose::sandbox::network_only()
                .map(|()| (Confinement::NetworkOnly, None))
                .map_err(|why| format!("--sandbox network: {why}"))
        } else {
            best()
        };
        match chosen {
            Ok((Confinement::Full(bwrap), _)) => Ok(Some(Sandbox {
                helper: helper()?,
                confinement: Confinement::Full(bwrap),
            })),
            Ok((Confinement::NetworkOnly, _)) if self.sandbox == SandboxMode::On => Err(
                "--sandbox on: no bubblewrap sandbox here (install bubblewrap): \
                 only the network could be confined"
                    .into(),
            ),
            Ok((Confinement::NetworkOnly, why)) => {
                let reason = match why {
                    Some(why) => format!("no bubblewrap sandbox here ({why})"),
                    None => "--sandbox network".to_owned(),
                };
                eprintln!(
                    "tuf-cli: {reason}: the installer's network is confined, its file \
                     system and the host's Unix sockets are NOT"
                );
                Ok(Some(Sandbox {
                    helper: helper()?,
                    confinement: Confinement::NetworkOnly,
                }))
            }
            Err(why) if self.sandbox == SandboxMode::Network => Err(why),
            Err(why) if self.sandbox == SandboxMode::On => {
                Err(format!("--sandbox on: no sandbox here: {why}"))
            }
            Err(why) => {
                eprintln!(
                    "tuf-cli: no sandbox here ({why}); the installer runs NOT contained, kept \
                     to the verifying proxy by its environment and the canonical requirements; \
                     it installs into a staged copy that replaces the target only after the proof"
                );
                Ok(None)
            }
        }
    }

    /// [`MirrorArgs::sandbox`], tried on a blocking thread while the session refreshes the
    /// repositories.
    fn deciding_sandbox(
        &self,
    ) -> impl std::future::Future<Output = Result<Option<tuf_interpose::sandbox::Sandbox>, String>> + use<>
    {
        let args = self.clone();
        async move {
            tokio::task::spawn_blocking(move || args.sandbox())
                .await
                .map_err(|e| format!("trying the sandbox: {e}"))?
        }
    }

    /// The interposition rules these arguments describe.
    fn spec(&self) -> Result<RulesSpec, String> {
        self.source.spec()
    }
}

impl SourceArgs {
    /// The interposition rules these arguments describe.
    pub fn spec(&self) -> Result<RulesSpec, String> {
        match (&self.rules, &self.mirror) {
            (Some(path), _) => RulesSpec::load(path).map_err(|e| e.to_string()),
            (None, Some(mirror)) => {
                let mut base = mirror.clone();
                if !base.path().ends_with('/') {
                    base.set_path(&format!("{}/", base.path()));
                }
                let cache = self
                    .cache_dir
                    .clone()
                    .unwrap_or_else(|| default_cache(&base));
                let join = |p: &str| {
                    base.join(p)
                        .map(|u| u.to_string())
                        .map_err(|e| e.to_string())
                };
                let make = match self.layout {
                    MirrorLayout::Pep458 => RulesSpec::for_mirror,
                    MirrorLayout::Pages => RulesSpec::for_pages_mirror,
                };
                Ok(make(RepositorySpec {
                    metadata_urls: vec![join("metadata/")?],
                    targets_urls: vec![join("targets/")?],
                    metadata_dir: cache.join("metadata"),
                    targets_dir: cache.join("targets"),
                    root: self.root.clone(),
                    ca_file: self.ca_file.clone(),
                }))
            }
            (None, None) => Err("give --rules FILE, or --mirror URL with --root FILE".into()),
        }
    }
}

/// `tuf-cli install`.
pub async fn run(args: InstallArgs) -> Result<i32, String> {
    let spec = args.mirror.spec()?;
    let installer = match args.installer {
        InstallerKind::Pip => Installer::Pip {
            python: args.mirror.python.clone(),
        },
        InstallerKind::Uv => Installer::Uv {
            uv: args.uv.clone(),
            python: args.mirror.python.clone(),
        },
    };
    let outcome = through_tuf(
        &spec,
        args.mirror.options(&spec),
        args.mirror.deciding_sandbox(),
        &installer,
        &Action::Install,
        &requirements(&args.requirement_files, &args.requirements),
        &args.pip_args,
    )
    .await?;
    report(&args.mirror, &spec, &outcome);
    Ok(outcome.code)
}

/// `tuf-cli download`: verified distribution files only, into a directory (for air-gapped
/// use), fetched by the unmodified `pip download` through the verifying proxy.
pub async fn download(args: DownloadArgs) -> Result<i32, String> {
    let spec = args.mirror.spec()?;
    let installer = Installer::Pip {
        python: args.mirror.python.clone(),
    };
    let outcome = through_tuf(
        &spec,
        args.mirror.options(&spec),
        args.mirror.deciding_sandbox(),
        &installer,
        &Action::Download(args.dest.clone()),
        &requirements(&args.requirement_files, &args.requirements),
        &args.pip_args,
    )
    .await?;
    report(&args.mirror, &spec, &outcome);
    Ok(outcome.code)
}

/// `-r FILE` for each requirements file, then the requirements given on the command line.
fn requirements(files: &[String], given: &[String]) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| ["-r".to_owned(), f.clone()])
        .chain(given.iter().cloned())
        .collect()
}

fn report(args: &MirrorArgs, spec: &RulesSpec, outcome: &Outcome) {
    for line in &outcome.notes {
        eprintln!("tuf-cli: {line}");
    }
    if args.stats {
        let urls = metadata_urls(spec);
        for m in &outcome.metrics {
            stats::print(m, &urls);
        }
    }
}

/// The metadata base URLs of every repository in `spec`.
pub fn metadata_urls(spec: &RulesSpec) -> Vec<Url> {
    spec.repositories
        .values()
        .flat_map(|r| r.metadata_urls.iter().filter_map(|u| Url::parse(u).ok()))
        .collect()
}

/// The installers' private directory for `spec`: beside the first repository's metadata.
pub fn private_dir(spec: &RulesSpec) -> PathBuf {
    spec.repositories
        .values()
        .next()
        .map(|r| isolation::private_dir_for(&r.metadata_dir))
        .unwrap_or_else(|| std::env::temp_dir().join("tuf-rs-installer"))
}

/// What one installer run through TUF did, for printing.
pub struct Outcome {
    /// The installer's exit status.
    pub code: i32,
    /// The fetches of each repository's TUF client.
    pub metrics: Vec<tuf_transport::Metrics>,
    /// What the user should know: refused hosts, misspelling suggestions.
    pub notes: Vec<String>,
}

/// Starts a session for `spec`, runs `python -m pip install` (output discarded with
/// `quiet`) in the bubblewrap sandbox where there is one (the environment staged and
/// committed only after the proof), and stops it.
pub async fn pip_through_tuf(
    spec: &RulesSpec,
    python: &std::path::Path,
    requirements: &[String],
    pip_args: &[String],
    quiet: bool,
) -> Result<Outcome, String> {
    let installer = Installer::Pip {
        python: python.to_owned(),
    };
    let mut options = SessionOptions::new(private_dir(spec));
    options.quiet = quiet;
    through_tuf(
        spec,
        options,
        std::future::ready(Ok(full_sandbox())),
        &installer,
        &Action::Install,
        requirements,
        pip_args,
    )
    .await
}

/// The bubblewrap sandbox, where this system has one (tuf-cli itself as its helper).
pub fn full_sandbox() -> Option<tuf_interpose::sandbox::Sandbox> {
    use tuf_interpose::sandbox::{Confinement, Sandbox, best};
    match (best(), std::env::current_exe()) {
        (Ok((Confinement::Full(bwrap), _)), Ok(helper)) => Some(Sandbox {
            helper,
            confinement: Confinement::Full(bwrap),
        }),
        _ => None,
    }
}

/// Runs the installer through a [`Session`] and explains what was refused.
pub async fn through_tuf(
    spec: &RulesSpec,
    options: SessionOptions,
    sandbox: impl std::future::Future<Output = Result<Option<tuf_interpose::sandbox::Sandbox>, String>>,
    installer: &Installer,
    action: &Action,
    requirements: &[String],
    extra: &[String],
) -> Result<Outcome, String> {
    let mut options = options;
    // Asked where it lives while the repositories refresh.
    options.python = Some(match installer {
        Installer::Pip { python } | Installer::Uv { python, .. } => python.clone(),
    });
    let sandbox = async { sandbox.await.map_err(InterposeError::Options) };
    let session = Session::start_deciding(spec, options, sandbox)
        .await
        .map_err(|e| e.to_string())?;
    let run = session
        .run(installer, action, requirements, extra)
        .await
        .map_err(|e| e.to_string())?;
    let mut notes: Vec<String> = run
        .refused
        .iter()
        .map(|r| format!("refused {r}: no TUF repository covers that host, so it was not fetched"))
        .collect();
    notes.extend(
        run.local
            .iter()
            .map(|l| format!("--allow-local: NOT VERIFIED BY TUF, your own local source: {l}")),
    );
    notes.extend(
        run.built
            .iter()
            .map(|b| format!("proven by its source only: {b}")),
    );
    notes.extend(run.unverified.iter().map(|u| format!("NOT VERIFIED: {u}")));
    let dirs = || {
        run.staged
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (run.committed, run.staged.is_empty()) {
        (false, false) => notes.push(format!(
            "nothing of this run was installed: {} left as it was",
            dirs()
        )),
        (false, true) if !run.unverified.is_empty() => notes.push(
            "this run wrote in place (no bubblewrap sandbox to stage the environment in): \
             uninstall what is listed NOT VERIFIED (`python -m pip uninstall NAME`)"
                .into(),
        ),
        _ => {}
    }
    if run.code != 0 {
        notes.extend(suggestions(session.interposer()).await);
    }
    // What the proof found unverified fails the run, whatever the installer said.
    let code = match (run.code, run.unverified.is_empty()) {
        (0, false) => 3,
        (c, _) => c,
    };
    Ok(Outcome {
        code,
        metrics: session.interposer().metrics(),
        notes,
    })
}

/// "Did you mean" lines for projects the installer asked for that the repository does not
/// list, from the repository's signed list of project names (fetched only now, verified, and
/// cached like any target).
async fn suggestions(interposer: &Interposer) -> Vec<String> {
    let missing = interposer.missing_projects();
    if missing.is_empty() {
        return Vec::new();
    }
    let names = match interposer.index_target(PROJECT_NAMES_TARGET).await {
        Ok(path) => std::fs::read_to_string(&path).unwrap_or_default(),
        Err(e) => {
            tracing::info!("no signed list of project names ({e}): no suggestions");
            return Vec::new();
        }
    };
    let known: Vec<&str> = names.lines().filter(|l| !l.is_empty()).collect();
    missing
        .iter()
        .map(|m| {
            let close = closest(m, &known, 3);
            if close.is_empty() {
                format!("no project named {m:?} in the TUF repository")
            } else {
                format!(
                    "no project named {m:?} in the TUF repository; did you mean: {}?",
                    close.join(", ")
                )
            }
        })
        .collect()
}
