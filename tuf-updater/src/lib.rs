//! The TUF 1.0.x client workflow (specification section 5).
//!
//! * [`TrustedSet`]: the sans-I/O core. Every verification rule, in order, on bytes and one
//!   reference time; no network and no disk, so other runtimes can reuse it.
//! * [`MetadataStore`]: trusted metadata under unversioned names, written atomically under
//!   an inter-process lock (the root and timestamp durably: temporary file, fsync, rename,
//!   directory fsync; the snapshot and targets roles, verified again on every load and fetched
//!   again when missing, without the fsyncs), in a
//!   layout where no two roles share a file even on a case-insensitive disk; kept by a
//!   [`StoreBackend`] (a directory, or memory).
//! * [`Updater`]: the async I/O around them: the root chain, timestamp, snapshot and targets
//!   (each persisted once verified, and not fetched again while the store's copy verifies),
//!   lazy delegated roles in a pre-order depth-first search, and targets streamed to disk in
//!   constant memory with length and hashes checked on the way. After a refresh it is
//!   shared by reference: searches and downloads run concurrently from many tasks.
//! * [`TargetInfo`]: a target's path and trusted description as one value.
//!
//! Five lines to a verified file (here against a recorded copy of Sigstore's production
//! repository shipped with this crate, read through `file://` as of a moment it was valid):
//!
//! ```
//! use tuf_updater::{Expiry, Updater};
//! # let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sigstore");
//! # let work = tempfile::tempdir().unwrap();
//! # let (dir, cache) = (work.path().join("metadata"), work.path().join("targets"));
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//!
//! let updater = Updater::builder(&dir)
//!     .trusted_root(std::fs::read(format!("{repo}/metadata/5.root.json"))?)
//!     .metadata_url(format!("file://{repo}/metadata/"))
//!     .targets_url(format!("file://{repo}/targets/"))
//!     .target_dir(&cache)
//!     .reference_time(Expiry::parse("2026-08-22T00:00:00Z").unwrap())
//!     .build()
//!     .await?;
//! let info = updater.target_info("trusted_root.json").await?;
//! let path = updater.download_target(&info).await?;
//!
//! # assert_eq!(updater.trusted().unwrap().root().signed().common.version, 15);
//! # assert!(path.starts_with(&cache) && std::fs::metadata(&path)?.len() == info.length());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Against a live repository: `.metadata_url("https://example.org/metadata/")` and so on,
//! without `reference_time`. [`UpdaterConfig`], [`Updater::new`] and [`Updater::with_store`]
//! remain for full control (a custom [`tuf_transport::TransportRegistry`], a memory store).

mod builder;
mod error;
mod store;
mod target;
mod trusted;
mod updater;

pub use builder::UpdaterBuilder;
pub use error::{ErrorFamily, UpdaterError};
pub use store::{
    DirBackend, MemoryBackend, MetadataStore, StoreBackend, StoreLock, role_file_stem,
};
pub use target::{TargetInfo, VouchedFile};
pub use trusted::{TrustedSet, Update};
/// The metadata crate, re-exported: roles, [`TargetFile`], [`Expiry`].
pub use tuf_metadata;
pub use tuf_metadata::{Expiry, TargetFile};
/// The transport crate, re-exported: custom transports, [`Limits`], HTTP settings.
pub use tuf_transport;
pub use tuf_transport::Limits;
pub use updater::{Updater, UpdaterConfig};
/// URLs, as mirrors are given.
pub use url::Url;
