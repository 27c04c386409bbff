//! Where things live in a repository directory, and how targets map to bins.

use crate::config::RepoConfig;
use std::path::{Path, PathBuf};
use tuf_metadata::{DelegatedRole, PathSet, SuccinctRoles, target_path_hash};

/// `repo.json`.
pub fn config_path(repo: &Path) -> PathBuf {
    repo.join("repo.json")
}

/// `metadata/`: what a static server publishes as the metadata base URL.
pub fn metadata_dir(repo: &Path) -> PathBuf {
    repo.join("metadata")
}

/// `targets/`: what a static server publishes as the targets base URL.
pub fn targets_dir(repo: &Path) -> PathBuf {
    repo.join("targets")
}

pub use tuf_pypi::layout::PROJECT_NAMES_TARGET;

/// `state/`: staged changes, the file index, the lock.
pub fn state_dir(repo: &Path) -> PathBuf {
    repo.join("state")
}

/// The hash-bin scheme of a configuration.
#[derive(Debug, Clone)]
pub struct Bins {
    succinct: SuccinctRoles,
    hash_prefixes: bool,
}

impl Bins {
    /// The bins of `config` (validated).
    pub fn new(config: &RepoConfig, keyids: Vec<String>) -> Bins {
        let succinct = SuccinctRoles::new(
            keyids,
            config.bin_n.threshold,
            config.bit_length(),
            &config.bin_prefix,
        )
        .unwrap_or_else(|| SuccinctRoles::new(Vec::new(), 1, 1, "bin").expect("1 bit is valid"));
        Bins {
            succinct,
            hash_prefixes: config.hash_prefix_delegations,
        }
    }

    /// The succinct description (TAP 15).
    pub fn succinct(&self) -> &SuccinctRoles {
        &self.succinct
    }

    /// Number of bins.
    pub fn count(&self) -> u64 {
        self.succinct.bin_count()
    }

    /// The bin role of `target`.
    pub fn role_for(&self, target: &str) -> String {
        self.succinct.role_for_target(target)
    }

    /// Every bin role name, in order.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.succinct.role_names()
    }

    /// Whether bins are delegated with `path_hash_prefixes`.
    pub fn uses_hash_prefixes(&self) -> bool {
        self.hash_prefixes
    }

    /// With `path_hash_prefixes`: the delegation of bin `bin`, listing the hex prefixes whose
    /// leading bits are the bin number (prefix length: whole hex digits covering the bits).
    pub fn prefix_delegation(&self, bin: u64) -> DelegatedRole {
        let bits = u32::from(self.succinct.bit_length());
        let digits = bits.div_ceil(4);
        let spare = digits * 4 - bits;
        let prefixes = (0..(1u64 << spare))
            .map(|low| format!("{:0width$x}", (bin << spare) | low, width = digits as usize))
            .collect();
        DelegatedRole::new(
            &self.succinct.role_name(bin),
            self.succinct.keyids.clone(),
            self.succinct.threshold,
            false,
            PathSet::HashPrefixes(prefixes),
        )
    }
}

/// The hex SHA-256 of a target path (hash-prefix delegations).
pub fn path_hash(target: &str) -> String {
    target_path_hash(target)
}
