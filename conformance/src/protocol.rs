//! The conformance-protocol client behind `tuf-conformance-client`: argument parsing and the
//! three commands, on this workspace's updater.

use std::path::PathBuf;
use tuf_updater::{MetadataStore, Updater};
use url::Url;

/// The parsed command line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Args {
    /// `--metadata-dir`.
    pub metadata_dir: Option<PathBuf>,
    /// `--metadata-url`.
    pub metadata_url: Option<String>,
    /// `--target-name`, in order.
    pub target_names: Vec<String>,
    /// `--target-dir`.
    pub target_dir: Option<PathBuf>,
    /// `--target-base-url`.
    pub target_base_url: Option<String>,
    /// `-v` count.
    pub verbose: u8,
    /// `init`, `refresh` or `download`.
    pub command: String,
    /// The trusted root file for `init`.
    pub trusted_root: Option<PathBuf>,
}

impl Args {
    /// Parses arguments (without the program name); options may come in any order before and
    /// after the command.
    ///
    /// ```
    /// let a = conformance::Args::parse(["--metadata-dir", "/m", "init", "root.json"].map(String::from)).unwrap();
    /// assert_eq!(a.command, "init");
    /// assert!(conformance::Args::parse(["--bogus".to_string()]).is_err());
    /// ```
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut a = Args::default();
        let mut it = args.into_iter();
        let mut positional = Vec::new();
        while let Some(arg) = it.next() {
            let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--metadata-dir" => a.metadata_dir = Some(value(&arg)?.into()),
                "--metadata-url" => a.metadata_url = Some(value(&arg)?),
                "--target-name" => a.target_names.push(value(&arg)?),
                "--target-dir" => a.target_dir = Some(value(&arg)?.into()),
                "--target-base-url" => a.target_base_url = Some(value(&arg)?),
                "-v" | "--verbose" => a.verbose = a.verbose.saturating_add(1),
                s if s.starts_with('-') => return Err(format!("unknown option {s}")),
                _ => positional.push(arg),
            }
        }
        let mut pos = positional.into_iter();
        a.command = pos.next().ok_or("no command (init, refresh or download)")?;
        if a.command == "init" {
            a.trusted_root = Some(pos.next().ok_or("init needs TRUSTED_ROOT")?.into());
        }
        if let Some(extra) = pos.next() {
            return Err(format!("unexpected argument {extra}"));
        }
        Ok(a)
    }
}

fn base_url(text: Option<&String>, what: &str) -> Result<Url, String> {
    let text = text.ok_or_else(|| format!("{what} is required"))?;
    Url::parse(text).map_err(|e| format!("{what} {text}: {e}"))
}

/// A refreshed client (the builder refreshes), with the targets mirror and directory for
/// `download`.
async fn updater(a: &Args, with_targets: bool) -> Result<Updater, String> {
    let dir = a
        .metadata_dir
        .as_ref()
        .ok_or("--metadata-dir is required")?;
    let meta = base_url(a.metadata_url.as_ref(), "--metadata-url")?;
    let mut builder = Updater::builder(dir).metadata_url(meta);
    if with_targets {
        builder = builder
            .targets_url(base_url(a.target_base_url.as_ref(), "--target-base-url")?)
            .target_dir(a.target_dir.clone().ok_or("--target-dir is required")?)
            // The suite reads downloaded targets under python-tuf's names.
            .configure(|c| c.python_target_names = true);
    }
    builder.build().await.map_err(|e| e.to_string())
}

/// Runs one command; `Err` carries the message to print before exiting with 1.
pub async fn run(a: &Args) -> Result<(), String> {
    match a.command.as_str() {
        "init" => {
            // The protocol asks for no checks here: the root is stored as given, and a bad
            // one makes the next refresh fail before any request.
            let dir = a
                .metadata_dir
                .as_ref()
                .ok_or("--metadata-dir is required")?;
            let root_file = a.trusted_root.as_ref().ok_or("init needs TRUSTED_ROOT")?;
            let bytes =
                std::fs::read(root_file).map_err(|e| format!("{}: {e}", root_file.display()))?;
            let store = MetadataStore::open(dir).map_err(|e| e.to_string())?;
            let _lock = store.lock().map_err(|e| e.to_string())?;
            store.write("root", &bytes).map_err(|e| e.to_string())
        }
        "refresh" => updater(a, false).await.map(drop),
        "download" => {
            let u = updater(a, true).await?;
            for name in &a.target_names {
                let info = u.target_info(name).await.map_err(|e| e.to_string())?;
                if u.find_cached_target(&info)
                    .await
                    .map_err(|e| e.to_string())?
                    .is_none()
                {
                    u.download_target(&info).await.map_err(|e| e.to_string())?;
                }
            }
            Ok(())
        }
        other => Err(format!("unknown command {other}")),
    }
}
