//! A TUF repository writer for PyPI-scale mirrors, laid out as PEP 458 recommends: the
//! top-level `targets` role delegates every path to `bins`, which delegates by TAP 15
//! succinct hash bins (or `path_hash_prefixes`) to `bin-n` roles signed by one online key.
//! Per-role keys, thresholds and expiry come from `repo.json` and are enforced: nothing is
//! written that does not meet them.
//!
//! ```
//! use tuf_repo::{RepoConfig, Repository};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let tree = tempfile::tempdir().unwrap();
//! std::fs::create_dir_all(tree.path().join("simple/demo")).unwrap();
//! std::fs::write(tree.path().join("simple/demo/index.html"), "<a>demo</a>").unwrap();
//!
//! let config = RepoConfig { bin_count: 16, ..RepoConfig::default() };
//! let repo = Repository::init(dir.path(), config).unwrap();
//! let report = repo.sync(tree.path()).unwrap();
//! // The page, and the signed list of project names (`simple/names.txt`).
//! assert_eq!(report.added, 2);
//! assert!(tuf_repo::verify(dir.path(), true).unwrap().ok());
//! ```

#[cfg(feature = "object-store")]
pub mod bucket;
mod config;
mod error;
pub mod keys;
pub mod layout;
mod policy;
mod repo;
pub mod serve;
mod verify;
mod walk;
mod write;

pub use config::{Layout, RepoConfig, RolePolicy};
pub use error::{RepoError, Result};
pub use keys::KeyRing;
pub use repo::{Change, KnownFile, PublishReport, Repository};
pub use verify::{VerifyReport, verify};
