//! `tuf-cli demo`: the whole system, on the spot, with nothing but this repository and python3.

use crate::install::{metadata_urls, pip_through_tuf};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tuf_interpose::{RepositorySpec, RulesSpec};
use tuf_repo::{RepoConfig, Repository};
use tuf_transport::{Metrics, Outcome};
use url::Url;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Generated projects on the mirror (besides the installable demo wheels).
    #[arg(long, default_value_t = 2000)]
    projects: usize,
    /// Hash bins (a power of two).
    #[arg(long, default_value_t = 1024)]
    bins: u64,
    /// The Python used to create the virtual environment.
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Keep everything in this directory instead of a temporary one.
    #[arg(long)]
    keep: Option<PathBuf>,
}

fn spinner(msg: String) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("  {spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn step(n: u32, text: &str) {
    println!("\n[{n}/7] {text}");
}

/// Writes a minimal pure-Python wheel (a zip: package, METADATA, WHEEL, RECORD).
fn make_wheel(dir: &Path, name: &str, version: &str, requires: &[&str]) -> Result<PathBuf, String> {
    use base64::Engine as _;
    let pkg = tuf_pypi::normalize_name(name).replace('-', "_");
    let dist = name.replace(['-', '.'], "_");
    let info = format!("{dist}-{version}.dist-info");
    let mut meta = format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: A tuf-rs demo package\n"
    );
    for r in requires {
        meta.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let mut files: Vec<(String, String)> = vec![
        (format!("{pkg}/__init__.py"), format!("__version__ = {version:?}\n")),
        (format!("{info}/METADATA"), meta),
        (format!("{info}/WHEEL"), "Wheel-Version: 1.0\nGenerator: tuf-cli demo\nRoot-Is-Purelib: true\nTag: py3-none-any\n".into()),
    ];
    let mut record = String::new();
    for (path, text) in &files {
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(text.as_bytes()));
        record.push_str(&format!("{path},sha256={digest},{}\n", text.len()));
    }
    record.push_str(&format!("{info}/RECORD,,\n"));
    files.push((format!("{info}/RECORD"), record));
    let path = dir.join(format!("{dist}-{version}-py3-none-any.whl"));
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        zip.start_file(name, options).map_err(|e| e.to_string())?;
        zip.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    zip.finish().map_err(|e| e.to_string())?;
    Ok(path)
}

/// Metadata requests and bytes (wire, decoded) of one install.
#[derive(Debug, Default, Clone, Copy)]
struct Overhead {
    requests: u64,
    wire: u64,
    decoded: u64,
}

fn overhead(metrics: &[Metrics], meta_urls: &[Url]) -> (Overhead, Vec<String>) {
    let mut o = Overhead::default();
    let mut verified = Vec::new();
    for m in metrics {
        for r in m.records() {
            let is_meta = meta_urls.iter().any(|u| r.url.starts_with(u.as_str()));
            let mut name = r.url.rsplit('/').next().unwrap_or_default().to_owned();
            // Targets are served as HASH.name: show the name.
            if name.len() > 65
                && name.as_bytes()[64] == b'.'
                && name[..64].bytes().all(|b| b.is_ascii_hexdigit())
            {
                name = name[65..].to_owned();
            }
            if is_meta {
                o.requests += 1;
                o.wire += r.wire_bytes;
                o.decoded += r.decoded_bytes;
            }
            if r.outcome == Outcome::Complete {
                verified.push(name);
            }
        }
    }
    (o, verified)
}

pub async fn run(args: DemoArgs) -> Result<(), String> {
    let started = Instant::now();
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let work = args.keep.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let dists = work.join("dists");
    let mirror = work.join("mirror");
    std::fs::create_dir_all(&dists).map_err(|e| e.to_string())?;
    println!(
        "tuf-cli demo: a TUF-secured PyPI mirror, and pip installing from it through TUF (work dir {})",
        work.display()
    );

    step(
        1,
        &format!(
            "Making distributions: {} generated projects and four installable wheels",
            args.projects
        ),
    );
    let pb = spinner("writing distributions".into());
    for i in 0..args.projects {
        let body: Vec<u8> = format!("generated sdist of project {i}\n")
            .repeat(20 + i % 50)
            .into_bytes();
        std::fs::write(dists.join(format!("project-{i:05}-1.0.tar.gz")), body)
            .map_err(|e| e.to_string())?;
    }
    make_wheel(&dists, "demo-app", "1.0", &["demo-lib>=0.4", "Demo.Utils"])?;
    make_wheel(&dists, "demo-lib", "0.4", &[])?;
    make_wheel(&dists, "Demo.Utils", "1.2", &[])?;
    make_wheel(&dists, "demo-extra", "3.0", &[])?;
    pb.finish_and_clear();
    println!(
        "  demo-app 1.0 (requires demo-lib and Demo.Utils, a name PEP 503 normalizes to demo-utils), demo-lib 0.4, demo-extra 3.0"
    );

    step(
        2,
        &format!(
            "Making it a TUF-secured mirror (PEP 458: targets -> bins -> {} hash bins)",
            args.bins
        ),
    );
    let pb = spinner("creating keys, signing bins, hashing targets".into());
    let config = RepoConfig {
        bin_count: args.bins,
        ..RepoConfig::default()
    };
    let repo = Repository::init(&mirror, config).map_err(|e| e.to_string())?;
    let tree = mirror.join("dists-tree");
    tuf_pypi::build_tree(&dists, &tree).map_err(|e| e.to_string())?;
    let report = repo.sync(&tree).map_err(|e| e.to_string())?;
    pb.finish_and_clear();
    println!(
        "  {} targets signed into {} bins; root 2-of-3, targets and bins 2-of-2 offline keys, one online key; {} bytes of metadata",
        report.added, args.bins, report.bytes_written
    );

    step(
        3,
        "Serving it over HTTPS on 127.0.0.1 with a CA made on the spot",
    );
    tuf_repo::serve::ephemeral_pki(&work).map_err(|e| e.to_string())?;
    let acceptor = tuf_repo::serve::tls_acceptor(&work.join("cert.pem"), &work.join("key.pem"))
        .map_err(|e| e.to_string())?;
    let served = tuf_repo::serve::serve(
        &mirror,
        "127.0.0.1:0".parse().map_err(|_| "address")?,
        Some(acceptor),
    )
    .await
    .map_err(|e| e.to_string())?;
    let base = served
        .metadata_url()
        .trim_end_matches("metadata/")
        .to_owned();
    println!("  {base} (metadata/ gzip-compressed when the client accepts it)");

    step(4, "Creating a virtual environment with the ordinary pip");
    let pb = spinner("python3 -m venv".into());
    let venv = work.join("venv");
    let status = tokio::process::Command::new(&args.python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .await
        .map_err(|e| format!("{}: {e}", args.python.display()))?;
    pb.finish_and_clear();
    if !status.success() {
        return Err("python3 -m venv failed".into());
    }
    let py = venv.join("bin/python");
    println!("  {}", venv.display());

    let spec_for = |cache: &str| {
        RulesSpec::for_mirror(RepositorySpec {
            metadata_urls: vec![format!("{base}metadata/")],
            targets_urls: vec![format!("{base}targets/")],
            metadata_dir: work.join(cache).join("metadata"),
            targets_dir: work.join(cache).join("targets"),
            root: Some(mirror.join("metadata/1.root.json")),
            ca_file: Some(work.join("ca.pem")),
        })
    };
    let spec = spec_for("client");
    let install = |reqs: Vec<String>, spec: RulesSpec, label: String| {
        let py = py.clone();
        async move {
            let pb = spinner(format!("pip install {}", reqs.join(" ")));
            let out =
                pip_through_tuf(&spec, &py, &reqs, &["--force-reinstall".to_owned()], true).await;
            pb.finish_and_clear();
            let out = out?;
            let (o, verified) = overhead(&out.metrics, &metadata_urls(&spec));
            println!(
                "  {label}: pip exit {}; fetched and checked {} file(s): {}",
                out.code,
                verified.len(),
                verified.join(", ")
            );
            Ok::<_, String>((out.code, o))
        }
    };

    step(
        5,
        "Installing demo-app and its dependencies with pip, through TUF",
    );
    println!(
        "  {}",
        if crate::install::full_sandbox().is_some() {
            "pip runs in the bubblewrap sandbox: it sees the interpreter, a staging copy of the \
             venv's site-packages and bin, and the verifying proxy; the copy replaces them only \
             after the proof"
        } else {
            "no bubblewrap here: pip runs without the sandbox, and the proof comes after the install"
        }
    );
    let (code, first) = install(
        vec!["demo-app".into()],
        spec.clone(),
        "first download".into(),
    )
    .await?;
    if code != 0 {
        return Err("the first install failed".into());
    }

    step(
        6,
        "Publishing demo-app 2.0, then installing it, an old release, and again from cache",
    );
    make_wheel(&dists, "demo-app", "2.0", &["demo-lib>=0.4", "Demo.Utils"])?;
    tuf_pypi::build_tree(&dists, &tree).map_err(|e| e.to_string())?;
    let r = repo.sync(&tree).map_err(|e| e.to_string())?;
    println!(
        "  published: {} target(s) added, re-signed {} role(s) ({})",
        r.added,
        r.signed.len(),
        r.signed.join(", ")
    );
    let (code, new_release) = install(
        vec!["demo-app==2.0".into()],
        spec.clone(),
        "new release".into(),
    )
    .await?;
    if code != 0 {
        return Err("installing the new release failed".into());
    }
    let (code, old_release) = install(
        vec!["demo-extra==3.0".into()],
        spec.clone(),
        "old release".into(),
    )
    .await?;
    if code != 0 {
        return Err("installing an old release failed".into());
    }
    let (code, cached) = install(
        vec!["demo-app==2.0".into()],
        spec.clone(),
        "cached bin".into(),
    )
    .await?;
    if code != 0 {
        return Err("installing from a cached bin failed".into());
    }

    step(
        7,
        "An attack: the mirror serves a tampered demo-extra wheel to a new user",
    );
    let wheel_dir = mirror.join("targets/packages");
    let tampered = std::fs::read_dir(&wheel_dir)
        .map_err(|e| e.to_string())?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.to_string_lossy()
                .ends_with("demo_extra-3.0-py3-none-any.whl")
        })
        .ok_or("no demo-extra wheel on the mirror")?;
    let mut bytes = std::fs::read(&tampered).map_err(|e| e.to_string())?;
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::remove_file(&tampered).map_err(|e| e.to_string())?;
    std::fs::write(&tampered, &bytes).map_err(|e| e.to_string())?;
    let (code, _) = install(
        vec!["demo-extra".into()],
        spec_for("new-user"),
        "attacked install".into(),
    )
    .await?;
    if code == 0 {
        return Err("the tampered wheel was installed: this must never happen".into());
    }
    println!(
        "  refused: the wheel's sha256 does not match the signed metadata, pip got an HTTP error, nothing was installed"
    );
    drop(served);

    println!(
        "\nMetadata overhead per install, measured (bytes on the wire with gzip, and decoded), next to the seed's figures:"
    );
    println!(
        "  {:<16} {:>9} {:>12} {:>12} {:>14}",
        "install", "requests", "wire bytes", "decoded", "seed (2013)"
    );
    for (label, o, seed) in [
        ("first download", first, "111 KB"),
        ("new release", new_release, "91 KB"),
        ("old release", old_release, "43 KB"),
        ("cached bin", cached, "1.3 KB"),
    ] {
        println!(
            "  {label:<16} {:>9} {:>12} {:>12} {:>14}",
            o.requests, o.wire, o.decoded, seed
        );
    }
    println!(
        "\n(mirror: {} projects, {} bins; the seed's mirror held PyPI's 2013 tree.) Done in {:.1} s.",
        args.projects + 4,
        args.bins,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
