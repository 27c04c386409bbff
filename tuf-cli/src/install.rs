//! `tuf-cli install`: the unmodified pip, pointed at a local proxy that serves only
//! TUF-verified index pages and files.

use crate::stats;
use clap::Args;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use tuf_interpose::{Guard, Interposer, RepositorySpec, RulesSpec, normalize_name, start_guarded};
use tuf_repo::layout::PROJECT_NAMES_TARGET;
use url::Url;

/// Which installer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstallerKind {
    /// `python -m pip install`.
    Pip,
    /// `uv pip install --python PYTHON`.
    Uv,
}

/// Where the TUF-secured mirror is and how to trust it (shared by `install` and `download`).
#[derive(Debug, Args)]
pub struct MirrorArgs {
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
    /// The Python whose pip installs, or whose environment uv installs into (default:
    /// python3 on PATH).
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Where trusted metadata and verified files are kept (default: a per-mirror directory
    /// under $XDG_CACHE_HOME/tuf-rs or ~/.cache/tuf-rs).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Index mode only: do not also point the installer's HTTP(S) proxy at the verifying
    /// proxy. Guard mode (the default) intercepts direct URLs to covered hosts and refuses
    /// every other host.
    #[arg(long)]
    no_guard: bool,
    /// Print every metadata and target file fetched, and the metadata overhead.
    #[arg(long)]
    stats: bool,
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
    /// Requirements, as the installer takes them.
    #[arg(required = true)]
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
    /// Requirements, as pip takes them (dependencies are downloaded too).
    #[arg(required = true)]
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

/// The proxy variables: removed from the installer's environment, and in guard mode set to
/// the verifying proxy.
const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Other variables that would send the installer elsewhere or override its trust settings
/// (besides every `PIP_*` and `UV_*` variable, all removed).
const SCRUBBED: [&str; 5] = [
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NO_PROXY",
];

impl MirrorArgs {
    /// The interposition rules these arguments describe.
    fn spec(&self) -> Result<RulesSpec, String> {
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
                Ok(RulesSpec::for_mirror(RepositorySpec {
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
    let run = Run {
        action: Action::Install,
        guard: !args.mirror.no_guard,
        quiet: false,
    };
    let outcome = through_tuf(&spec, &installer, &run, &args.requirements, &args.pip_args).await?;
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
    let run = Run {
        action: Action::Download(args.dest.clone()),
        guard: !args.mirror.no_guard,
        quiet: false,
    };
    let outcome = through_tuf(&spec, &installer, &run, &args.requirements, &args.pip_args).await?;
    report(&args.mirror, &spec, &outcome);
    Ok(outcome.code)
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

/// What one installer run through TUF did.
pub struct Outcome {
    /// The installer's exit status.
    pub code: i32,
    /// The fetches of each repository's TUF client.
    pub metrics: Vec<tuf_transport::Metrics>,
    /// What the user should know: refused hosts, misspelling suggestions.
    pub notes: Vec<String>,
}

/// The installer program.
pub enum Installer {
    /// `python -m pip`.
    Pip {
        /// The Python.
        python: PathBuf,
    },
    /// `uv pip ... --python PYTHON`.
    Uv {
        /// The uv executable.
        uv: PathBuf,
        /// The target environment's Python.
        python: PathBuf,
    },
}

/// What the installer is asked to do.
pub enum Action {
    /// Install.
    Install,
    /// Download distribution files into a directory (pip only).
    Download(PathBuf),
}

/// How one run goes.
pub struct Run {
    /// What to do.
    pub action: Action,
    /// Guard mode: proxy environment and an ephemeral CA, so nothing escapes the proxy.
    pub guard: bool,
    /// Capture the installer's output.
    pub quiet: bool,
}

/// Starts the interposer and proxy for `spec`, runs `python -m pip install` against it with a
/// scrubbed environment, and stops the proxy. With `quiet`, pip's output is captured.
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
    let run = Run {
        action: Action::Install,
        guard: true,
        quiet,
    };
    through_tuf(spec, &installer, &run, requirements, pip_args).await
}

/// Starts the interposer and proxy for `spec` (with a guard CA unless `run.guard` is off),
/// runs the installer against it with a scrubbed environment, stops the proxy, and explains
/// what was refused.
pub async fn through_tuf(
    spec: &RulesSpec,
    installer: &Installer,
    run: &Run,
    requirements: &[String],
    extra: &[String],
) -> Result<Outcome, String> {
    let interposer = Arc::new(Interposer::start(spec).await.map_err(|e| e.to_string())?);
    let guard = if run.guard {
        let hosts: Vec<String> = spec.hosts.keys().cloned().collect();
        Some(Arc::new(
            Guard::new(hosts.iter().map(String::as_str)).map_err(|e| e.to_string())?,
        ))
    } else {
        None
    };
    // Only the CA's certificate is written (for the installer to trust); its key stays in
    // memory and dies with this process.
    let ca_file = match &guard {
        Some(g) => {
            let mut f = tempfile::Builder::new()
                .prefix("tuf-guard-ca")
                .suffix(".pem")
                .tempfile()
                .map_err(|e| format!("guard CA file: {e}"))?;
            std::io::Write::write_all(&mut f, g.ca_pem().as_bytes())
                .map_err(|e| format!("guard CA file: {e}"))?;
            Some(f)
        }
        None => None,
    };
    let proxy = start_guarded(interposer.clone(), guard)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "Interposing at {} (guard mode {})",
        proxy.index_url(),
        if run.guard { "on" } else { "off" }
    );
    let mut cmd = match installer {
        Installer::Pip { python } => {
            let mut c = tokio::process::Command::new(python);
            let verb = match &run.action {
                Action::Install => "install",
                Action::Download(_) => "download",
            };
            c.args([
                "-m",
                "pip",
                verb,
                "--isolated",
                "--disable-pip-version-check",
            ]);
            if let Action::Download(dir) = &run.action {
                c.arg("--dest").arg(dir);
            }
            if let Some(ca) = &ca_file {
                c.arg("--proxy").arg(proxy.proxy_url());
                c.arg("--cert").arg(ca.path());
            }
            c
        }
        Installer::Uv { uv, python } => {
            if matches!(run.action, Action::Download(_)) {
                return Err("downloads go through pip".into());
            }
            let mut c = tokio::process::Command::new(uv);
            c.args(["pip", "install", "--no-config", "--no-cache", "--python"])
                .arg(python);
            c
        }
    };
    cmd.arg("--index-url")
        .arg(proxy.index_url())
        .args(requirements)
        .args(extra);
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("PIP_") || name.starts_with("UV_") {
            cmd.env_remove(&var);
        }
    }
    for var in SCRUBBED.iter().chain(&PROXY_VARS) {
        cmd.env_remove(var);
    }
    // uv trusts the guard CA through SSL_CERT_FILE (pip got `--cert`).
    if matches!(installer, Installer::Uv { .. })
        && let Some(ca) = &ca_file
    {
        cmd.env("SSL_CERT_FILE", ca.path());
    }
    if run.guard {
        for var in PROXY_VARS {
            cmd.env(var, proxy.proxy_url());
        }
    }
    // The proxy's own index URL is reached directly.
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    if run.quiet {
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
    }
    let program = match installer {
        Installer::Pip { python } => python.display().to_string(),
        Installer::Uv { uv, .. } => uv.display().to_string(),
    };
    let status = cmd
        .status()
        .await
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    drop(proxy);
    let code = status.code().unwrap_or(1);
    let mut notes = Vec::new();
    for r in interposer.uncovered_requests() {
        notes.push(format!(
            "refused {r}: no TUF repository covers that host, so it was not fetched"
        ));
    }
    if code != 0 {
        notes.extend(suggestions(&interposer).await);
    }
    Ok(Outcome {
        code,
        metrics: interposer.metrics(),
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

/// Up to `n` names of `known` closest to `name` by edit distance (on PEP 503 normalized
/// names), nearest first, ties by name; none further than a third of the name's length
/// (at least 2 edits).
fn closest<'a>(name: &str, known: &[&'a str], n: usize) -> Vec<&'a str> {
    let name = normalize_name(name);
    let limit = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .map(|k| (edit_distance(&name, &normalize_name(k)), *k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, k)| k).collect()
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_ranking() {
        assert_eq!(edit_distance("requests", "reqests"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let known = [
            "requests",
            "requests-oauthlib",
            "urllib3",
            "request",
            "numpy",
        ];
        assert_eq!(closest("reqests", &known, 3), ["requests", "request"]);
        assert_eq!(closest("Num_Py", &known, 3), ["numpy"]);
        assert!(closest("zzzzzz", &known, 3).is_empty());
    }
}
