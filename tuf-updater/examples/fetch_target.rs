//! Downloads one verified target with the builder API:
//!
//! ```sh
//! cargo run -p tuf-updater --example fetch_target -- \
//!     METADATA_DIR ROOT_JSON METADATA_URL TARGETS_URL TARGET [REFERENCE_TIME]
//! ```
//!
//! e.g. against the recorded Sigstore repository in `tests/data/sigstore` (file:// URLs) with
//! `2026-08-22T00:00:00Z` as the reference time. Prints the verified file's path.

use tuf_updater::{Expiry, Updater};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fetch_target: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, root, metadata, targets, target, rest @ ..] = args.as_slice() else {
        return Err("usage: METADATA_DIR ROOT_JSON METADATA_URL TARGETS_URL TARGET [TIME]".into());
    };
    let mut builder = Updater::builder(dir)
        .trusted_root(std::fs::read(root)?)
        .metadata_url(metadata)
        .targets_url(targets)
        .target_dir(std::path::Path::new(dir).join("targets"));
    if let Some(t) = rest.first() {
        builder = builder.reference_time(Expiry::parse(t).ok_or("bad reference time")?);
    }

    let updater = builder.build().await?;
    let info = updater.target_info(target).await?;
    let path = updater.download_target(&info).await?;

    println!("{}", path.display());
    Ok(())
}
