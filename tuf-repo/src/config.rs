//! The repository configuration (`repo.json`): bins, hash algorithms, and per-role keys,
//! thresholds and expiry, with PEP 458's recommendations as defaults.

use crate::{RepoError, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Keys and lifetime of one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePolicy {
    /// How many distinct keys must sign.
    pub threshold: u64,
    /// How many keys the role has (offline roles; online roles use the one online key).
    pub keys: u64,
    /// How long a signature on this role stays valid, in seconds.
    pub expiry_seconds: u64,
}

const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// The configuration of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    /// Number of hash bins (a power of two from 2 to 2^20; PEP 458: 16,384).
    pub bin_count: u64,
    /// Bin role names are `{bin_prefix}-{hex}` (TAP 15 `name_prefix`).
    pub bin_prefix: String,
    /// Delegate to the bins with `path_hash_prefixes` instead of TAP 15 `succinct_roles`, for
    /// clients that predate TAP 15.
    pub hash_prefix_delegations: bool,
    /// Hash algorithms listed for every target (`sha256`, optionally `sha512`).
    pub hash_algorithms: Vec<String>,
    /// Key type for new keys: `ed25519`, `ecdsa-p256`, `ecdsa-p384` or `rsa`.
    pub key_type: String,
    /// root: t-of-n offline keys (t > 1 by default).
    pub root: RolePolicy,
    /// targets: offline keys.
    pub targets: RolePolicy,
    /// bins: offline keys.
    pub bins: RolePolicy,
    /// snapshot: the online key.
    pub snapshot: RolePolicy,
    /// timestamp: the online key.
    pub timestamp: RolePolicy,
    /// every bin-n role: the online key.
    pub bin_n: RolePolicy,
    /// Target path prefixes (directories, `packages/`) whose targets are served at their own
    /// path, not copied under hash-prefixed names: for files whose path names one content for
    /// ever, as PyPI's distribution files. Each such target's signed entry says so
    /// ([`tuf_metadata::UNPREFIXED`]), so clients need no setting; a path there is never given
    /// other content. Set when the repository is made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_place: Vec<String>,
    /// What the repository signs of a PyPI-style tree ([`Layout`]).
    #[serde(default, skip_serializing_if = "Layout::is_pep458")]
    pub layout: Layout,
}

/// What a repository signs of a PyPI-style tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// PEP 458 as written: every index page (HTML and PEP 691 JSON) and every distribution
    /// file is a target, at its own path (`simple/<name>/index.html`, `packages/...`).
    #[default]
    Pep458,
    /// As Warehouse signs PyPI (its RSTUF integration): only the projects' HTML index pages
    /// are targets, each named by the project's normalized name, and distribution files are
    /// placed under `targets/` at their own path, unsigned: clients check them against the
    /// digests the verified page lists.
    Pages,
}

impl Layout {
    fn is_pep458(&self) -> bool {
        *self == Layout::Pep458
    }
}

impl Default for RepoConfig {
    /// PEP 458: root 2 of 3, targets 2 of 2, bins 2 of 2 (offline, one year); snapshot,
    /// timestamp and bin-n on one online key (one day); 16,384 bins; sha256.
    fn default() -> Self {
        let online = RolePolicy {
            threshold: 1,
            keys: 1,
            expiry_seconds: DAY,
        };
        RepoConfig {
            bin_count: 16_384,
            bin_prefix: "bin".into(),
            hash_prefix_delegations: false,
            hash_algorithms: vec!["sha256".into()],
            key_type: "ed25519".into(),
            root: RolePolicy {
                threshold: 2,
                keys: 3,
                expiry_seconds: YEAR,
            },
            targets: RolePolicy {
                threshold: 2,
                keys: 2,
                expiry_seconds: YEAR,
            },
            bins: RolePolicy {
                threshold: 2,
                keys: 2,
                expiry_seconds: YEAR,
            },
            snapshot: online,
            timestamp: online,
            bin_n: online,
            in_place: Vec::new(),
            layout: Layout::Pep458,
        }
    }
}

impl RepoConfig {
    /// The policy of a role (`bin-n` for any bin).
    pub fn policy(&self, role: &str) -> &RolePolicy {
        match role {
            "root" => &self.root,
            "targets" => &self.targets,
            "bins" => &self.bins,
            "snapshot" => &self.snapshot,
            "timestamp" => &self.timestamp,
            _ => &self.bin_n,
        }
    }

    /// Whether `target` is served at its own path ([`RepoConfig::in_place`]).
    pub fn is_in_place(&self, target: &str) -> bool {
        self.in_place.iter().any(|p| target.starts_with(p.as_str()))
    }

    /// `log2(bins)`.
    pub fn bit_length(&self) -> u8 {
        self.bin_count.trailing_zeros() as u8
    }

    /// Checks the rules a usable configuration follows.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(RepoError::Config(m));
        if !self.bin_count.is_power_of_two() || !(2..=1 << 20).contains(&self.bin_count) {
            return bad(format!(
                "bin_count = {}: use a power of two from 2 to 1048576",
                self.bin_count
            ));
        }
        if self.bin_prefix.is_empty() || self.bin_prefix.contains(['/', '\\']) {
            return bad("bin_prefix must be a plain name".into());
        }
        if self.hash_algorithms.is_empty()
            || self
                .hash_algorithms
                .iter()
                .any(|a| tuf_crypto::HashAlgorithm::from_name(a).is_none())
        {
            return bad("hash_algorithms: list sha256, sha512, sha384 or sha224".into());
        }
        for (name, p) in [
            ("root", &self.root),
            ("targets", &self.targets),
            ("bins", &self.bins),
        ] {
            if p.threshold == 0 || p.threshold > p.keys {
                return bad(format!(
                    "{name}: threshold {} of {} keys",
                    p.threshold, p.keys
                ));
            }
        }
        for (name, p) in [
            ("root", &self.root),
            ("targets", &self.targets),
            ("bins", &self.bins),
            ("snapshot", &self.snapshot),
            ("timestamp", &self.timestamp),
            ("bin_n", &self.bin_n),
        ] {
            if p.expiry_seconds == 0 {
                return bad(format!("{name}: expiry must be positive"));
            }
        }
        for (name, p) in [
            ("snapshot", &self.snapshot),
            ("timestamp", &self.timestamp),
            ("bin_n", &self.bin_n),
        ] {
            if p.threshold != 1 {
                return bad(format!(
                    "{name} is signed by the one online key: threshold must be 1"
                ));
            }
        }
        for p in &self.in_place {
            let plain = p.strip_suffix('/').is_some_and(|d| {
                !d.is_empty()
                    && d.split('/')
                        .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\\'))
            });
            if !plain {
                return bad(format!(
                    "in_place {p:?}: give a relative directory of target paths ending in '/', \
                     as packages/"
                ));
            }
        }
        crate::keys::algorithm(&self.key_type)?;
        Ok(())
    }

    /// Reads `repo.json`.
    pub fn load(path: &Path) -> Result<RepoConfig> {
        let text = std::fs::read(path).map_err(|e| RepoError::io(path, e))?;
        let c: RepoConfig = serde_json::from_slice(&text)
            .map_err(|e| RepoError::Config(format!("{}: {e}", path.display())))?;
        c.validate()?;
        Ok(c)
    }

    /// The JSON text of this configuration.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}
