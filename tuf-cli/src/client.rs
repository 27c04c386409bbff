//! `tuf-cli client ...`: init, refresh, info, download.

use crate::stats;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use tuf_transport::{Fetcher, HttpConfig, TransportRegistry};
use tuf_updater::{Updater, UpdaterConfig};
use url::Url;

#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Directory of trusted metadata (root.json, timestamp.json, ...).
    #[arg(long, global = true, default_value = "tuf/metadata")]
    metadata_dir: PathBuf,
    /// Base URL of a metadata mirror; repeat for several, tried in order.
    #[arg(long = "metadata-url", global = true)]
    metadata_urls: Vec<Url>,
    /// Base URL of a targets mirror; repeat for several, tried in order.
    #[arg(long = "targets-url", global = true)]
    targets_urls: Vec<Url>,
    /// Where downloaded targets are kept (default: `targets` beside the metadata directory).
    #[arg(long, global = true)]
    target_dir: Option<PathBuf>,
    /// PEM file of extra CA certificates for HTTPS mirrors (a private mirror's CA).
    #[arg(long, global = true)]
    ca_file: Option<PathBuf>,
    /// Use only the local, unexpired metadata: no request at all.
    #[arg(long, global = true)]
    offline: bool,
    /// Print a table of every file fetched and the metadata overhead.
    #[arg(long, global = true)]
    stats: bool,
    #[command(subcommand)]
    command: ClientCommand,
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Trust ROOT as the initial root (it must be signed by its own root keys). No request.
    Init {
        /// The initial trusted root.json, obtained out of band.
        #[arg(long)]
        root: PathBuf,
    },
    /// Bring the trusted metadata up to date (spec section 5).
    Refresh,
    /// Show what the trusted metadata says of TARGET.
    Info {
        /// Target path, e.g. `packages/foo-1.0.tar.gz`.
        target: String,
    },
    /// Download TARGET, verified, unless a verified copy is cached.
    Download {
        /// Target path.
        target: String,
        /// Also copy the verified file here.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn default_target_dir(metadata_dir: &Path) -> PathBuf {
    match (metadata_dir.parent(), metadata_dir.file_name()) {
        (Some(parent), Some(name)) if name == "metadata" => parent.join("targets"),
        _ => {
            let mut p = metadata_dir.as_os_str().to_owned();
            p.push("-targets");
            PathBuf::from(p)
        }
    }
}

fn updater(args: &ClientArgs) -> Result<Updater, String> {
    let mut config = UpdaterConfig::new(
        &args.metadata_dir,
        args.metadata_urls.clone(),
        args.targets_urls.clone(),
    );
    config.target_dir = Some(
        args.target_dir
            .clone()
            .unwrap_or_else(|| default_target_dir(&args.metadata_dir)),
    );
    config.offline = args.offline;
    let http = HttpConfig {
        extra_ca_file: args.ca_file.clone(),
        ..HttpConfig::default()
    };
    let mirrors = args.metadata_urls.iter().chain(&args.targets_urls);
    let registry = TransportRegistry::for_mirrors(&http, mirrors).map_err(|e| e.to_string())?;
    Updater::new(config, Fetcher::new(registry)).map_err(|e| e.to_string())
}

pub async fn run(args: ClientArgs) -> Result<(), String> {
    if let ClientCommand::Init { root } = &args.command {
        let bytes = std::fs::read(root).map_err(|e| format!("{}: {e}", root.display()))?;
        Updater::init(&args.metadata_dir, &bytes).map_err(|e| e.to_string())?;
        println!("Trusted root stored in {}", args.metadata_dir.display());
        return Ok(());
    }
    let mut u = updater(&args)?;
    let result = command(&args, &mut u).await;
    if args.stats {
        stats::print(u.metrics(), &args.metadata_urls);
    }
    result
}

async fn command(args: &ClientArgs, u: &mut Updater) -> Result<(), String> {
    let fail = |e: tuf_updater::UpdaterError| e.to_string();
    match &args.command {
        ClientCommand::Init { .. } => Ok(()),
        ClientCommand::Refresh => {
            u.refresh().await.map_err(fail)?;
            let t = u.trusted().ok_or("no trusted metadata after refresh")?;
            use tuf_metadata::Signed;
            println!(
                "Trusted: root v{}, timestamp v{}, snapshot v{}, targets v{}",
                t.root().signed().version(),
                t.timestamp().map_or(0, |m| m.signed().version()),
                t.snapshot().map_or(0, |m| m.signed().version()),
                t.targets().map_or(0, |m| m.signed().version()),
            );
            Ok(())
        }
        ClientCommand::Info { target } => {
            u.refresh().await.map_err(fail)?;
            let info = u.target_info(target).await.map_err(fail)?;
            println!("target: {target}");
            println!("length: {}", info.length());
            for (alg, digest) in info.file().hashes.iter() {
                println!("{alg}: {digest}");
            }
            if let Some(custom) = &info.file().custom {
                let text =
                    tuf_metadata::json::write_layout(custom, tuf_metadata::json::Layout::Compact);
                println!("custom: {}", String::from_utf8_lossy(&text));
            }
            Ok(())
        }
        ClientCommand::Download { target, output } => {
            u.refresh().await.map_err(fail)?;
            let info = u.target_info(target).await.map_err(fail)?;
            let path = match u.find_cached_target(&info).await.map_err(fail)? {
                Some(p) => {
                    tracing::info!("Cached copy of {target} verified: not downloading it");
                    p
                }
                None => u.download_target(&info).await.map_err(fail)?,
            };
            if let Some(out) = output {
                tuf_fs::write_atomic(out, &std::fs::read(&path).map_err(|e| e.to_string())?)
                    .map_err(|e| format!("{}: {e}", out.display()))?;
                println!("{}", out.display());
            } else {
                println!("{}", path.display());
            }
            Ok(())
        }
    }
}
