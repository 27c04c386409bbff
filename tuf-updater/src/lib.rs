//! The TUF 1.0.x client workflow (specification section 5).
//!
//! * [`TrustedSet`]: the sans-I/O core. Every verification rule, in order, on bytes and one
//!   reference time; no network and no disk, so other runtimes can reuse it.
//! * [`MetadataStore`]: trusted metadata under unversioned names, written atomically
//!   (temporary file, fsync, rename, directory fsync) under an inter-process lock, in a
//!   layout where no two roles share a file even on a case-insensitive disk; kept by a
//!   [`StoreBackend`] (a directory, or memory).
//! * [`Updater`]: the async I/O around them: the root chain, timestamp, snapshot and targets
//!   (each persisted once verified, and not fetched again while the store's copy verifies),
//!   lazy delegated roles in a pre-order depth-first search, and targets streamed to disk in
//!   constant memory with length and hashes checked on the way.
//!
//! ```no_run
//! use tuf_transport::{Fetcher, HttpConfig, TransportRegistry};
//! use tuf_updater::{Updater, UpdaterConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::path::Path::new("/var/lib/myapp/tuf");
//! Updater::init(dir, &std::fs::read("root.json")?)?;
//! let mut config = UpdaterConfig::new(
//!     dir,
//!     vec![url::Url::parse("https://example.org/metadata/")?],
//!     vec![url::Url::parse("https://example.org/targets/")?],
//! );
//! config.target_dir = Some("/var/cache/myapp".into());
//! let fetcher = Fetcher::new(TransportRegistry::with_defaults(&HttpConfig::default(), None)?);
//! let mut updater = Updater::new(config, fetcher)?;
//! updater.refresh().await?;
//! let info = updater.target_info("packages/app-2.0.tar.gz").await?;
//! let path = match updater.find_cached_target("packages/app-2.0.tar.gz", &info).await? {
//!     Some(p) => p,
//!     None => updater.download_target("packages/app-2.0.tar.gz", &info).await?,
//! };
//! # Ok(()) }
//! ```

mod error;
mod store;
mod trusted;
mod updater;

pub use error::UpdaterError;
pub use store::{
    DirBackend, MemoryBackend, MetadataStore, StoreBackend, StoreLock, open_regular_file,
    read_regular_file, role_file_stem, write_atomic,
};
pub use trusted::{TrustedSet, Update};
pub use updater::{Updater, UpdaterConfig};
