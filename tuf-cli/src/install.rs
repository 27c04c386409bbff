//! `tuf-cli install`: the unmodified pip, pointed at a local proxy that serves only
//! TUF-verified index pages and files.

use crate::stats;
use clap::Args;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;
use tuf_interpose::{Interposer, RepositorySpec, RulesSpec};
use url::Url;

#[derive(Debug, Args)]
pub struct InstallArgs {
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
    /// The Python whose pip installs (default: python3 on PATH).
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Where trusted metadata and verified files are kept (default: a per-mirror directory
    /// under $XDG_CACHE_HOME/tuf-rs or ~/.cache/tuf-rs).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Print every metadata and target file fetched, and the metadata overhead.
    #[arg(long)]
    stats: bool,
    /// Requirements, as pip takes them.
    #[arg(required = true)]
    requirements: Vec<String>,
    /// Further pip arguments, after `--`.
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

/// Environment variables that would send pip elsewhere or override its trust settings.
const SCRUBBED: [&str; 12] = [
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_CONFIG_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

pub async fn run(args: InstallArgs) -> Result<i32, String> {
    let spec = match (&args.rules, &args.mirror) {
        (Some(path), _) => RulesSpec::load(path).map_err(|e| e.to_string())?,
        (None, Some(mirror)) => {
            let mut base = mirror.clone();
            if !base.path().ends_with('/') {
                base.set_path(&format!("{}/", base.path()));
            }
            let cache = args
                .cache_dir
                .clone()
                .unwrap_or_else(|| default_cache(&base));
            RulesSpec::for_mirror(RepositorySpec {
                metadata_urls: vec![
                    base.join("metadata/")
                        .map_err(|e| e.to_string())?
                        .to_string(),
                ],
                targets_urls: vec![
                    base.join("targets/")
                        .map_err(|e| e.to_string())?
                        .to_string(),
                ],
                metadata_dir: cache.join("metadata"),
                targets_dir: cache.join("targets"),
                root: args.root.clone(),
                ca_file: args.ca_file.clone(),
            })
        }
        (None, None) => return Err("give --rules FILE, or --mirror URL with --root FILE".into()),
    };
    let outcome = pip_through_tuf(
        &spec,
        &args.python,
        &args.requirements,
        &args.pip_args,
        false,
    )
    .await?;
    if args.stats {
        let urls = metadata_urls(&spec);
        for m in &outcome.metrics {
            stats::print(m, &urls);
        }
    }
    Ok(outcome.code)
}

/// The metadata base URLs of every repository in `spec`.
pub fn metadata_urls(spec: &RulesSpec) -> Vec<Url> {
    spec.repositories
        .values()
        .flat_map(|r| r.metadata_urls.iter().filter_map(|u| Url::parse(u).ok()))
        .collect()
}

/// What one pip run through TUF did.
pub struct Outcome {
    /// pip's exit status.
    pub code: i32,
    /// The fetches of each repository's TUF client.
    pub metrics: Vec<tuf_transport::Metrics>,
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
    let interposer = Arc::new(Interposer::start(spec).await.map_err(|e| e.to_string())?);
    let proxy = tuf_interpose::start(interposer.clone())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("Interposing for pip at {}", proxy.index_url());
    let mut cmd = tokio::process::Command::new(python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--isolated",
        "--disable-pip-version-check",
    ])
    .arg("--index-url")
    .arg(proxy.index_url())
    .args(requirements)
    .args(pip_args);
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    // Loopback requests must never go through a proxy (pip honours NO_PROXY).
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    if quiet {
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
    }
    let status = cmd
        .status()
        .await
        .map_err(|e| format!("cannot run {} -m pip: {e}", python.display()))?;
    drop(proxy);
    Ok(Outcome {
        code: status.code().unwrap_or(1),
        metrics: interposer.metrics(),
    })
}
