//! `tuf-cli repo ...`: create and keep a TUF-secured mirror.

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tuf_repo::{PublishReport, RepoConfig, Repository};

#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The repository directory.
    #[arg(long, global = true, default_value = ".")]
    repo: PathBuf,
    #[command(subcommand)]
    command: RepoCommand,
}

#[derive(Debug, Subcommand)]
enum RepoCommand {
    /// Create keys, root and the initial (empty) metadata.
    Init {
        /// Number of hash bins (a power of two; PEP 458 uses 16384).
        #[arg(long, default_value_t = 16_384)]
        bins: u64,
        /// Delegate to the bins with path_hash_prefixes (for clients without TAP 15).
        #[arg(long)]
        hash_prefix_delegations: bool,
        /// List sha512 digests as well as sha256.
        #[arg(long)]
        sha512: bool,
        /// ed25519, ecdsa-p256, ecdsa-p384 or rsa.
        #[arg(long, default_value = "ed25519")]
        key_type: String,
        /// Serve the targets below this directory (as `packages/`, repeatable) at their own
        /// path, not copied under hash-prefixed names: for files whose path names one content
        /// for ever, as PyPI's and a bandersnatch mirror's distribution files. Their signed
        /// entries tell clients so; such a path is never given other content.
        #[arg(long, value_name = "DIR/")]
        in_place: Vec<String>,
        /// What is signed of a PyPI-style tree: `pep458`, every page and file a target; or
        /// `pages`, as Warehouse signs PyPI: only each project's HTML page, as the target named
        /// by the project (blake2b-256), files checked by clients against the page's digests.
        #[arg(long, value_enum, default_value_t = LayoutArg::Pep458)]
        layout: LayoutArg,
    },
    /// Stage files of TREE as targets (named by their path in TREE).
    Add {
        /// The tree the target paths are relative to.
        #[arg(long)]
        tree: PathBuf,
        /// Files to add.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Stage the removal of targets.
    Remove {
        /// Target paths.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Sign and publish the staged changes (bins, then snapshot, then timestamp).
    Publish {
        /// Then copy the served tree to object storage: `s3://bucket/prefix` (credentials,
        /// region and endpoint from `AWS_*`, e.g. `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`), `gs://`
        /// (`GOOGLE_*`), `az://` (`AZURE_*`) or `file:///dir`: targets first, `timestamp.json`
        /// last, only what no earlier publish there sent.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
        /// Keep publishing: every SECONDS, what `repo add` (from any number of processes)
        /// staged since the last publish goes out as one snapshot and timestamp (nothing when
        /// nothing arrived), one line each (`published taken=T0 written=T1 changes=N
        /// bins=M`, Unix times); until SIGTERM or Ctrl-C.
        #[arg(long, value_name = "SECONDS")]
        every: Option<f64>,
    },
    /// Make the repository a PyPI mirror of a directory of wheels and sdists (as `pip download`
    /// leaves them): PEP 503 and PEP 691 pages are generated, then everything is synced.
    AddDists {
        /// The directory of distributions.
        dir: PathBuf,
    },
    /// Make the repository match TREE (add new and changed files, remove gone ones), then publish.
    /// A bandersnatch mirror (a directory with `web/simple/`) is read as bandersnatch writes
    /// it: its pages and files are signed, its JSON API and statistics are not.
    Sync {
        /// A PyPI-style tree (simple/ and packages/), or a bandersnatch mirror directory.
        tree: PathBuf,
    },
    /// Publish exactly the files a bandersnatch run changed, as listed in its diff file (one
    /// absolute path a line): changed and new files are signed, gone ones removed.
    ApplyDiff {
        /// The bandersnatch mirror directory (holding `web/`).
        #[arg(long)]
        mirror: PathBuf,
        /// The diff file bandersnatch writes (`diff-file` in its configuration; a directory
        /// means `mirrored-files` in it). With `diff-append-epoch`, every `DIFF_FILE-<epoch>`
        /// not applied yet is applied, oldest first, in one publish.
        diff_file: PathBuf,
    },
    /// Re-sign the timestamp with a fresh expiry.
    RefreshTimestamp,
    /// Re-sign every role expiring within the given time, then snapshot and timestamp.
    RefreshExpiring {
        /// Hours ahead.
        #[arg(long, default_value_t = 12)]
        within_hours: u64,
    },
    /// Replace the keys of root, targets, bins or online (timestamp, snapshot and bins).
    Rotate {
        /// root, targets, bins or online.
        role: String,
    },
    /// Check the whole repository as a client would; list every problem.
    Verify {
        /// Skip hashing the target files.
        #[arg(long)]
        no_targets: bool,
        /// Check the repository published at this URL (as `publish --to` takes) instead of the
        /// local one: its metadata as a client fetches it, and each target's presence and
        /// length under the name clients fetch it by.
        #[arg(long, value_name = "URL")]
        from: Option<String>,
    },
    /// Serve metadata/ and targets/ (gzip for metadata when accepted).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// PEM certificate chain, for HTTPS.
        #[arg(long, requires = "key")]
        cert: Option<PathBuf>,
        /// PEM private key, for HTTPS.
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
    },
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_owned());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// The files the PEP 691 pages among `paths` (a bandersnatch diff, below `web`) list with a
/// size and a sha256, by target. A page listed but unreadable lists nothing.
fn known_from_pages(
    web: &std::path::Path,
    paths: &[PathBuf],
) -> std::collections::BTreeMap<String, tuf_repo::KnownFile> {
    let canon = web.canonicalize().unwrap_or_else(|_| web.to_owned());
    let mut known = std::collections::BTreeMap::new();
    for p in paths {
        let Some(rel) = p
            .strip_prefix(&canon)
            .or_else(|_| p.strip_prefix(web))
            .ok()
            .and_then(|r| r.to_str())
        else {
            continue;
        };
        let Some(page) = tuf_pypi::bandersnatch::target_of(rel).filter(|t| t.ends_with(".json"))
        else {
            continue;
        };
        // A page larger than any PyPI serves is not taken as a list: its files are read.
        let Ok(Some(json)) = tuf_fs::read_regular_file(p, 64 << 20) else {
            continue;
        };
        for l in tuf_pypi::bandersnatch::listed_files(&page, &json) {
            known.insert(
                l.target,
                tuf_repo::KnownFile {
                    length: l.length,
                    sha256: l.sha256,
                },
            );
        }
    }
    known
}

fn summary(what: &str, r: &PublishReport, started: Instant) {
    let bins = r
        .signed
        .iter()
        .filter(|s| !["snapshot", "timestamp", "targets", "bins", "root"].contains(&s.as_str()))
        .count();
    println!(
        "{what}: {} added, {} removed; re-signed {bins} bin(s) and {:?}; {} bytes of metadata written in {:.3} s",
        r.added,
        r.removed,
        r.signed
            .iter()
            .filter(|s| ["root", "targets", "bins", "snapshot", "timestamp"].contains(&s.as_str()))
            .collect::<Vec<_>>(),
        r.bytes_written,
        started.elapsed().as_secs_f64()
    );
}

pub async fn run(args: RepoArgs) -> Result<(), String> {
    let e = |e: tuf_repo::RepoError| e.to_string();
    let started = Instant::now();
    match args.command {
        RepoCommand::Init {
            bins,
            hash_prefix_delegations,
            sha512,
            key_type,
            in_place,
            layout,
        } => {
            let mut config = RepoConfig {
                bin_count: bins,
                hash_prefix_delegations,
                key_type,
                in_place,
                ..RepoConfig::default()
            };
            if layout == LayoutArg::Pages {
                // Warehouse lists a page's blake2b-256 only.
                config.layout = tuf_repo::Layout::Pages;
                config.hash_algorithms = vec!["blake2b-256".into()];
            }
            if sha512 {
                config.hash_algorithms.push("sha512".into());
            }
            let pb = spinner(&format!("creating keys and {bins} bins"));
            Repository::init(&args.repo, config).map_err(e)?;
            pb.finish_and_clear();
            println!(
                "Repository created in {} ({bins} bins) in {:.3} s; offline keys in keys/offline, the online key in keys/online.\nClients start from metadata/1.root.json.",
                args.repo.display(),
                started.elapsed().as_secs_f64()
            );
        }
        RepoCommand::Add { tree, paths } => {
            let n = Repository::open(&args.repo)
                .map_err(e)?
                .add(&tree, &paths)
                .map_err(e)?;
            println!("{n} target(s) staged; run `tuf-cli repo publish`");
        }
        RepoCommand::Remove { targets } => {
            let n = Repository::open(&args.repo)
                .map_err(e)?
                .remove(&targets)
                .map_err(e)?;
            println!("{n} removal(s) staged; run `tuf-cli repo publish`");
        }
        RepoCommand::Publish { to, every } => {
            // The destination first: a mistyped URL stops before anything is signed.
            let dest = match &to {
                Some(url) => Some(tuf_repo::bucket::Destination::parse(url).map_err(e)?),
                None => None,
            };
            if let Some(secs) = every {
                return publish_every(&args.repo, secs, dest.as_ref()).await;
            }
            let r = Repository::open(&args.repo)
                .map_err(e)?
                .publish()
                .map_err(e)?;
            summary("Published", &r, started);
            if let (Some(dest), Some(url)) = (dest, to) {
                let pb = spinner(&format!("uploading to {url}"));
                let u = tuf_repo::bucket::upload(&args.repo, &dest)
                    .await
                    .map_err(e)?;
                pb.finish_and_clear();
                println!(
                    "Uploaded to {url}: {} file(s), {} bytes, timestamp.json last; {} already there",
                    u.uploaded, u.bytes, u.skipped
                );
            }
        }
        RepoCommand::AddDists { dir } => {
            let tree = args.repo.join("dists-tree");
            let n = tuf_pypi::build_tree(&dir, &tree).map_err(|e| e.to_string())?;
            let repo = Repository::open(&args.repo).map_err(e)?;
            let r = match repo.config().layout {
                tuf_repo::Layout::Pep458 => repo.sync(&tree),
                tuf_repo::Layout::Pages => repo.sync_pages(&tree, &page_target, PACKAGES_DIR),
            }
            .map_err(e)?;
            summary(
                &format!("{n} project(s) from {}", dir.display()),
                &r,
                started,
            );
        }
        RepoCommand::Sync { tree } => {
            let repo = Repository::open(&args.repo).map_err(e)?;
            let r = match tuf_pypi::bandersnatch::web_dir(&tree) {
                Some(web) => {
                    let pb = spinner(&format!(
                        "syncing with the bandersnatch mirror {}",
                        tree.display()
                    ));
                    let r = match repo.config().layout {
                        tuf_repo::Layout::Pep458 => {
                            repo.sync_mapped(&web, &tuf_pypi::bandersnatch::target_of)
                        }
                        tuf_repo::Layout::Pages => repo.sync_pages(
                            &web,
                            &|p| page_target(&tuf_pypi::bandersnatch::target_of(p)?),
                            PACKAGES_DIR,
                        ),
                    };
                    pb.finish_and_clear();
                    r
                }
                None => {
                    let pb = spinner(&format!("syncing with {}", tree.display()));
                    let r = match repo.config().layout {
                        tuf_repo::Layout::Pep458 => repo.sync(&tree),
                        tuf_repo::Layout::Pages => {
                            repo.sync_pages(&tree, &page_target, PACKAGES_DIR)
                        }
                    };
                    pb.finish_and_clear();
                    r
                }
            }
            .map_err(e)?;
            summary("Synced", &r, started);
        }
        RepoCommand::ApplyDiff { mirror, diff_file } => {
            if Repository::open(&args.repo).map_err(e)?.config().layout == tuf_repo::Layout::Pages {
                return Err(
                    "apply-diff reads pages and files of the pep458 layout; a repository of \
                     the pages layout is kept current by repo sync"
                        .into(),
                );
            }
            let web = tuf_pypi::bandersnatch::web_dir(&mirror).ok_or_else(|| {
                format!(
                    "{}: not a bandersnatch mirror (no web/simple/)",
                    mirror.display()
                )
            })?;
            // bandersnatch's diff-file: the file itself, and with diff-append-epoch every
            // `-<epoch>` file a run left; those applied before (recorded in the repository's
            // state after each publish) are skipped. The lists are applied as one: each path
            // as it is on disk now.
            let files = tuf_pypi::bandersnatch::diff_files(&diff_file)
                .map_err(|err| format!("{}: {err}", diff_file.display()))?;
            if files.is_empty() {
                return Err(format!(
                    "{}: no diff file there (nor one with -<epoch> appended)",
                    diff_file.display()
                ));
            }
            // One line per diff-file setting: the newest epoch applied, a space, its path.
            let record = tuf_repo::layout::state_dir(&args.repo).join("bandersnatch-diffs");
            let key = std::path::absolute(&diff_file)
                .unwrap_or_else(|_| diff_file.clone())
                .display()
                .to_string();
            let mut applied: std::collections::BTreeMap<String, u64> =
                std::fs::read_to_string(&record)
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| {
                        let (epoch, path) = l.split_once(' ')?;
                        Some((path.to_owned(), epoch.parse().ok()?))
                    })
                    .collect();
            let last = applied.get(&key).copied();
            let todo: Vec<_> = files
                .into_iter()
                .filter(|f| f.epoch.is_none() || f.epoch > last)
                .collect();
            if todo.is_empty() {
                println!(
                    "Nothing to apply: the diff files of {} are applied up to epoch {}",
                    diff_file.display(),
                    last.unwrap_or_default()
                );
                return Ok(());
            }
            let mut paths: Vec<PathBuf> = Vec::new();
            let mut seen = std::collections::BTreeSet::new();
            let web_canon = web.canonicalize().unwrap_or_else(|_| web.clone());
            for f in &todo {
                let text = std::fs::read_to_string(&f.path)
                    .map_err(|err| format!("{}: {err}", f.path.display()))?;
                for l in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    // keep_index_versions: a new page version stands for its project's page.
                    let line = std::path::Path::new(l);
                    let page = line
                        .strip_prefix(&web_canon)
                        .or_else(|_| line.strip_prefix(&web))
                        .ok()
                        .and_then(|r| r.to_str())
                        .and_then(tuf_pypi::bandersnatch::page_of_version)
                        .map(|p| web_canon.join(p).display().to_string());
                    for p in std::iter::once(l.to_owned()).chain(page) {
                        if seen.insert(p.clone()) {
                            paths.push(PathBuf::from(p));
                        }
                    }
                }
            }
            println!(
                "Applying {} diff file(s): {}",
                todo.len(),
                todo.iter()
                    .map(|f| f.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let known = known_from_pages(&web, &paths);
            let r = Repository::open(&args.repo)
                .map_err(e)?
                .apply_changes(&web, &paths, &tuf_pypi::bandersnatch::target_of, &known)
                .map_err(e)?;
            if r.unread > 0 {
                println!(
                    "{} file(s) signed from the sizes and sha256 their PEP 691 pages list, not read",
                    r.unread
                );
            }
            if let Some(newest) = todo.iter().filter_map(|f| f.epoch).max()
                && !key.contains('\n')
            {
                applied.insert(key, newest);
                let text: String = applied
                    .iter()
                    .map(|(path, epoch)| format!("{epoch} {path}\n"))
                    .collect();
                tuf_fs::write_replace(&record, text.as_bytes())
                    .map_err(|err| format!("{}: {err}", record.display()))?;
            }
            summary("Applied", &r, started);
        }
        RepoCommand::RefreshTimestamp => {
            let r = Repository::open(&args.repo)
                .map_err(e)?
                .refresh_timestamp()
                .map_err(e)?;
            summary("Timestamp refreshed", &r, started);
        }
        RepoCommand::RefreshExpiring { within_hours } => {
            let pb = spinner("re-signing expiring roles");
            let r = Repository::open(&args.repo)
                .map_err(e)?
                .refresh_expiring(Duration::from_secs(within_hours * 3600))
                .map_err(e)?;
            pb.finish_and_clear();
            summary("Refreshed", &r, started);
        }
        RepoCommand::Rotate { role } => {
            let pb = spinner(&format!("rotating {role}"));
            let r = Repository::open(&args.repo)
                .map_err(e)?
                .rotate(&role)
                .map_err(e)?;
            pb.finish_and_clear();
            summary(&format!("Rotated {role}"), &r, started);
        }
        RepoCommand::Verify { no_targets, from } => {
            let pb = spinner("verifying");
            let r = match from {
                Some(url) => {
                    let src = tuf_repo::bucket::Destination::parse(&url).map_err(e)?;
                    tuf_repo::bucket::verify_from(&src, !no_targets)
                        .await
                        .map_err(e)?
                }
                None => tuf_repo::verify(&args.repo, !no_targets).map_err(e)?,
            };
            pb.finish_and_clear();
            for p in &r.problems {
                println!("PROBLEM: {p}");
            }
            println!(
                "{} metadata file(s) and {} target(s) checked: {} problem(s)",
                r.roles_checked,
                r.targets_checked,
                r.problems.len()
            );
            if !r.ok() {
                return Err(format!("{} problem(s) found", r.problems.len()));
            }
        }
        RepoCommand::Serve { addr, cert, key } => {
            let tls = match (cert, key) {
                (Some(c), Some(k)) => Some(tuf_repo::serve::tls_acceptor(&c, &k).map_err(e)?),
                _ => None,
            };
            // Installed before the address is printed: a prompt SIGTERM is never fatal.
            let stop = crate::serve::stop_signal();
            let served = tuf_repo::serve::serve(&args.repo, addr, tls)
                .await
                .map_err(e)?;
            println!(
                "Serving {} at {} and {}",
                args.repo.display(),
                served.metadata_url(),
                served.targets_url()
            );
            // SIGTERM or Ctrl-C: answers in progress finish (30 s at most), then exit 0.
            stop.await;
            served.shutdown(std::time::Duration::from_secs(30)).await;
        }
    }
    Ok(())
}

/// `repo init --layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LayoutArg {
    /// Every page and file a target.
    Pep458,
    /// Only the projects' HTML pages, as Warehouse signs PyPI.
    Pages,
}

/// The pages layout's target for a file of a PyPI-style tree: a project's HTML index page is
/// the target named by the project; nothing else is a target.
fn page_target(path: &str) -> Option<String> {
    tuf_pypi::layout::project_of_page(path).map(str::to_owned)
}

/// Where the pages layout places distribution files, unsigned.
const PACKAGES_DIR: &str = tuf_pypi::layout::PACKAGES_DIR;

/// `repo publish --every SECONDS`: one publisher turning what arrived into one snapshot and
/// timestamp per tick, until SIGTERM or Ctrl-C (a publish in progress finishes first).
async fn publish_every(
    repo_dir: &std::path::Path,
    secs: f64,
    dest: Option<&tuf_repo::bucket::Destination>,
) -> Result<(), String> {
    let e = |e: tuf_repo::RepoError| e.to_string();
    if !(secs.is_finite() && secs > 0.0) {
        return Err(format!("--every {secs}: give a positive number of seconds"));
    }
    let period = std::time::Duration::from_secs_f64(secs);
    let repo = Repository::open(repo_dir).map_err(e)?;
    let unix = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0)
    };
    let mut stop = std::pin::pin!(crate::serve::stop_signal());
    loop {
        let tick = tokio::time::Instant::now();
        if !repo.staged().map_err(e)?.is_empty() {
            let taken = unix();
            let r = tokio::task::block_in_place(|| repo.publish()).map_err(e)?;
            let written = unix();
            let bins = r
                .signed
                .iter()
                .filter(|s| {
                    !["snapshot", "timestamp", "targets", "bins", "root"].contains(&s.as_str())
                })
                .count();
            if let Some(dest) = dest {
                tuf_repo::bucket::upload(repo_dir, dest).await.map_err(e)?;
            }
            println!(
                "published taken={taken:.3} written={written:.3} changes={} bins={bins}",
                r.added + r.removed
            );
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep_until(tick + period) => {}
        }
    }
}
