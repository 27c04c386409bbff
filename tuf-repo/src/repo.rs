//! The repository: init, staging, publishing (bins, then bins/targets, snapshot, timestamp
//! last), sync with a tree, refreshing expiring roles, key rotation.

mod publish;
mod rotate;
mod stage;
mod sync;

use crate::config::RepoConfig;
use crate::keys::{self, KeyRing, OFFLINE_ROLES};
use crate::layout::{self, Bins};
use crate::policy::Delegator;
use crate::walk::{mtime_ns, target_path, walk};
use crate::write::{GZIP_MIN, gzip, make_durable, write_atomic, write_unsynced};
use crate::{RepoError, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tuf_crypto::{HashAlgorithm, PrivateKey, Signer, StreamVerifier};
use tuf_metadata::json::Layout;
use tuf_metadata::naming;
use tuf_metadata::{
    DelegatedRole, DelegatedRoles, Delegations, Expiry, Hashes, Key, MetaFile, Metadata, PathSet,
    Root, Signed, Snapshot, TargetFile, Targets, Timestamp,
};
use unicode_normalization::UnicodeNormalization;

/// A staged change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Change {
    /// Add or replace a target.
    Add {
        /// Target path.
        path: String,
        /// Length.
        length: u64,
        /// Hex digests by algorithm.
        hashes: BTreeMap<String, String>,
    },
    /// Remove a target.
    Remove {
        /// Target path.
        path: String,
    },
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Targets added or replaced.
    pub added: usize,
    /// Targets removed.
    pub removed: usize,
    /// Roles re-signed, in the order written (bins first, timestamp last).
    pub signed: Vec<String>,
    /// Bytes of metadata written (uncompressed).
    pub bytes_written: u64,
    /// Targets added from a length and sha256 the caller knew ([`KnownFile`]) without
    /// reading them.
    pub unread: usize,
}

/// A file's length and sha256 as a source the repository trusts as much as the file itself
/// lists them (a mirror's PEP 691 page, which the mirror tool checked at download): the file
/// is then signed without being read. A file that differs from what is listed fails its
/// clients' hash check, never passes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFile {
    /// Length in bytes.
    pub length: u64,
    /// sha256, lowercase hex.
    pub sha256: String,
}

/// The currently published top-level state.
struct State {
    root: Root,
    timestamp: Timestamp,
    snapshot: Snapshot,
    targets: Targets,
    bins: Targets,
}

/// A repository directory (see [`crate::layout`]), its configuration and its keys.
#[derive(Debug)]
pub struct Repository {
    dir: PathBuf,
    config: RepoConfig,
    keys: KeyRing,
}

fn now() -> Expiry {
    Expiry::now()
}

fn expiry_for(config: &RepoConfig, role: &str) -> Expiry {
    now().after(Duration::from_secs(config.policy(role).expiry_seconds))
}

/// A role's name in the snapshot's `meta`.
fn meta_name(role: &str) -> String {
    format!("{role}.json")
}

impl Repository {
    /// Creates a repository in `dir` (which must not hold one): keys, root, an empty targets
    /// role delegating everything to `bins`, `bins` delegating to every bin-n role, snapshot
    /// and timestamp, all published.
    pub fn init(dir: &Path, config: RepoConfig) -> Result<Repository> {
        config.validate()?;
        if layout::config_path(dir).exists() {
            return Err(RepoError::State(format!(
                "{} already holds a repository",
                dir.display()
            )));
        }
        for d in [
            layout::metadata_dir(dir),
            layout::targets_dir(dir),
            layout::state_dir(dir),
        ] {
            std::fs::create_dir_all(&d).map_err(|e| RepoError::io(&d, e))?;
        }
        let alg = keys::algorithm(&config.key_type)?;
        let gen_key = |what: &str| {
            PrivateKey::generate(alg).map_err(|source| RepoError::Key {
                what: what.to_owned(),
                source,
            })
        };
        for role in OFFLINE_ROLES {
            for i in 1..=config.policy(role).keys {
                let path = keys::offline_dir(dir).join(format!("{role}-{i}.pem"));
                keys::write_key(&path, &gen_key(role)?)?;
            }
        }
        keys::write_key(
            &keys::online_dir(dir).join("online.pem"),
            &gen_key("online")?,
        )?;
        write_atomic(&layout::config_path(dir), config.to_json().as_bytes())?;
        let repo = Repository::open(dir)?;
        let _lock = repo.lock()?;
        repo.create_initial()?;
        Ok(repo)
    }

    /// Opens the repository in `dir`.
    pub fn open(dir: &Path) -> Result<Repository> {
        let config = RepoConfig::load(&layout::config_path(dir))?;
        let keys = KeyRing::load(dir)?;
        Ok(Repository {
            dir: dir.to_owned(),
            config,
            keys,
        })
    }

    /// The repository directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration.
    pub fn config(&self) -> &RepoConfig {
        &self.config
    }

    /// Replaces the key ring (e.g. to sign through an HSM or KMS instead of key files).
    pub fn set_keys(&mut self, keys: KeyRing) {
        self.keys = keys;
    }

    /// Locks the repository against other writers until the guard is dropped.
    pub fn lock(&self) -> Result<tuf_fs::DirLock> {
        let dir = layout::state_dir(&self.dir);
        tuf_fs::DirLock::acquire(&dir).map_err(|e| RepoError::io(&dir, e))
    }

    fn public_keys(&self, role: &str) -> Vec<Key> {
        self.keys
            .signers(role)
            .iter()
            .map(|s| Key::from_public_key(s.public_key()))
            .collect()
    }

    fn create_initial(&self) -> Result<()> {
        let c = &self.config;
        let mut root = Root::new(expiry_for(c, "root"));
        for (role, source) in [
            ("root", "root"),
            ("targets", "targets"),
            ("snapshot", "snapshot"),
            ("timestamp", "timestamp"),
        ] {
            for k in self.public_keys(source) {
                root.add_key(role, k)
                    .map_err(|e| RepoError::metadata("root", e))?;
            }
            if let Some(r) = root.roles.get_mut(role) {
                r.threshold = c.policy(role).threshold;
            }
        }
        self.write_role(
            "root",
            &format!("{}.root.json", root.version()),
            &root,
            &root,
        )?;

        let bin_keys = self.public_keys("bin-n");
        let bins_layout = Bins::new(c, bin_keys.iter().map(Key::keyid).collect());
        let mut bins = Targets::new(expiry_for(c, "bins"));
        if bins_layout.uses_hash_prefixes() {
            let roles = (0..bins_layout.count())
                .map(|b| bins_layout.prefix_delegation(b))
                .collect();
            bins.delegations = Some(Delegations {
                keys: bin_keys.iter().map(|k| (k.keyid(), k.clone())).collect(),
                roles: DelegatedRoles::Roles(roles),
                unrecognized: Default::default(),
            });
        } else {
            bins.set_succinct_roles(bins_layout.succinct().clone(), bin_keys);
        }

        let mut targets = Targets::new(expiry_for(c, "targets"));
        let bins_pub = self.public_keys("bins");
        // `*` matches one path segment only; the 16 one-digit hash prefixes match every path.
        let everything = PathSet::HashPrefixes((0..16).map(|d| format!("{d:x}")).collect());
        let delegation = DelegatedRole::new(
            "bins",
            bins_pub.iter().map(Key::keyid).collect(),
            c.bins.threshold,
            true,
            everything,
        );
        targets
            .add_delegated_role(delegation, bins_pub)
            .map_err(|e| RepoError::metadata("targets", e))?;

        let mut snapshot = Snapshot::new(expiry_for(c, "snapshot"));
        snapshot.meta.clear();
        let names: Vec<String> = bins_layout.names().collect();
        let empty: Vec<(String, Targets)> = names
            .iter()
            .map(|n| (n.clone(), Targets::new(expiry_for(c, "bin-n"))))
            .collect();
        let written = self.write_bins(&empty, &bins)?;
        for (name, version, _) in &written {
            snapshot
                .meta
                .insert(meta_name(name), MetaFile::new(*version));
        }
        self.write_role("bins", "1.bins.json", &bins, &targets)?;
        self.write_role("targets", "1.targets.json", &targets, &root)?;
        snapshot.meta.insert("bins.json".into(), MetaFile::new(1));
        snapshot
            .meta
            .insert("targets.json".into(), MetaFile::new(1));
        let snap_bytes = self.write_role("snapshot", "1.snapshot.json", &snapshot, &root)?;
        let timestamp = Timestamp::new(
            expiry_for(c, "timestamp"),
            MetaFile::of(1, &snap_bytes, &[HashAlgorithm::Sha256]),
        );
        self.write_role("timestamp", "timestamp.json", &timestamp, &root)?;
        Ok(())
    }

    /// Signs `signed` as role `role` with every key the ring holds for it, checks the result
    /// against what `delegator` requires and the configured threshold and expiry, and writes
    /// it (and a gzip copy) atomically as `file`. Returns the bytes written.
    fn write_role<T: Signed, D: Delegator>(
        &self,
        role: &str,
        file: &str,
        signed: &T,
        delegator: &D,
    ) -> Result<Vec<u8>> {
        let bytes = self.sign_checked(role, signed, delegator)?;
        self.write_metadata(file, &bytes)?;
        Ok(bytes)
    }

    fn sign_checked<T: Signed, D: Delegator>(
        &self,
        role: &str,
        signed: &T,
        delegator: &D,
    ) -> Result<Vec<u8>> {
        let policy_role = if self.is_bin(role) { "bin-n" } else { role };
        let policy = self.config.policy(policy_role);
        let signers = self.keys.signers(policy_role);
        if (signers.len() as u64) < policy.threshold {
            return Err(RepoError::Policy {
                role: role.to_owned(),
                rule: format!(
                    "threshold {} needs {} keys, {} available",
                    policy.threshold,
                    policy.threshold,
                    signers.len()
                ),
            });
        }
        let limit = now().after(Duration::from_secs(policy.expiry_seconds + 60));
        if signed.expires() > limit || signed.is_expired_at(now()) {
            return Err(RepoError::Policy {
                role: role.to_owned(),
                rule: format!(
                    "expiry {} is outside the configured lifetime of {} s from now",
                    signed.expires(),
                    policy.expiry_seconds
                ),
            });
        }
        let mut md = Metadata::new(signed.clone());
        for s in signers {
            md.sign(s.as_ref(), true)
                .map_err(|e| RepoError::metadata(role, e))?;
        }
        delegator.check(role, &md, policy.threshold)?;
        Ok(md.to_bytes(Layout::Compact))
    }

    fn is_bin(&self, role: &str) -> bool {
        role.strip_prefix(self.config.bin_prefix.as_str())
            .is_some_and(|s| s.starts_with('-'))
            && !OFFLINE_ROLES.contains(&role)
    }

    /// Writes `metadata/<file>` and `metadata/<file>.gz`, atomically.
    fn write_metadata(&self, file: &str, bytes: &[u8]) -> Result<()> {
        let path = layout::metadata_dir(&self.dir).join(file);
        let packed = gzip(bytes).map_err(|e| RepoError::io(&path, e))?;
        let gz_path = layout::metadata_dir(&self.dir).join(format!("{file}.gz"));
        write_atomic(&gz_path, &packed)?;
        write_atomic(&path, bytes)
    }

    /// Signs and writes bin roles; returns (name, version, length) of each. Signing,
    /// serialization, compression and writing run in parallel, without a flush for each file:
    /// they are made durable together by one `syncfs` before the caller writes the snapshot
    /// that refers to them. They are new versioned names no published metadata refers to
    /// yet, so no reader can see them half-written.
    fn write_bins(
        &self,
        bins: &[(String, Targets)],
        delegator: &Targets,
    ) -> Result<Vec<(String, u64, u64)>> {
        if bins.is_empty() {
            return Ok(Vec::new());
        }
        let mdir = layout::metadata_dir(&self.dir);
        let written: Vec<(String, u64, u64, Vec<PathBuf>)> = bins
            .par_iter()
            .map(|(name, t)| {
                let file = naming::metadata_file(name, Some(t.version()));
                let bytes = self.sign_checked(name, t, delegator)?;
                let mut paths = Vec::with_capacity(2);
                // A small bin gains little from compression and would cost a file more.
                if bytes.len() >= GZIP_MIN {
                    let gz = mdir.join(format!("{file}.gz"));
                    write_unsynced(&gz, &gzip(&bytes).map_err(|e| RepoError::io(&gz, e))?)?;
                    paths.push(gz);
                }
                let path = mdir.join(&file);
                write_unsynced(&path, &bytes)?;
                paths.push(path);
                Ok((name.clone(), t.version(), bytes.len() as u64, paths))
            })
            .collect::<Result<_>>()?;
        let files: Vec<PathBuf> = written.iter().flat_map(|w| w.3.iter().cloned()).collect();
        make_durable(&mdir, &files)?;
        Ok(written
            .into_iter()
            .map(|(name, version, len, _)| (name, version, len))
            .collect())
    }

    fn read_metadata<T: Signed>(&self, file: &str, role: &str) -> Result<Metadata<T>> {
        let path = layout::metadata_dir(&self.dir).join(file);
        let bytes = std::fs::read(&path).map_err(|e| RepoError::io(&path, e))?;
        Metadata::<T>::from_bytes_named(&bytes, role, Default::default())
            .map_err(|e| RepoError::metadata(role, e))
    }

    fn load_state(&self) -> Result<State> {
        let timestamp = self
            .read_metadata::<Timestamp>("timestamp.json", "timestamp")?
            .into_signed();
        let sv = timestamp.snapshot_meta.version;
        let snapshot = self
            .read_metadata::<Snapshot>(&format!("{sv}.snapshot.json"), "snapshot")?
            .into_signed();
        let version = |role: &str| {
            snapshot
                .role_meta(role)
                .map(|m| m.version)
                .ok_or_else(|| RepoError::State(format!("snapshot does not list {role}")))
        };
        let targets = self
            .read_metadata::<Targets>(&format!("{}.targets.json", version("targets")?), "targets")?
            .into_signed();
        let bins = self
            .read_metadata::<Targets>(&format!("{}.bins.json", version("bins")?), "bins")?
            .into_signed();
        let root = self.latest_root()?;
        Ok(State {
            root,
            timestamp,
            snapshot,
            targets,
            bins,
        })
    }

    fn latest_root(&self) -> Result<Root> {
        let mut v = 1;
        while layout::metadata_dir(&self.dir)
            .join(format!("{}.root.json", v + 1))
            .exists()
        {
            v += 1;
        }
        Ok(self
            .read_metadata::<Root>(&format!("{v}.root.json"), "root")?
            .into_signed())
    }

    fn load_bin(&self, snapshot: &Snapshot, name: &str) -> Result<Targets> {
        let v = snapshot
            .role_meta(name)
            .map(|m| m.version)
            .ok_or_else(|| RepoError::State(format!("snapshot does not list {name}")))?;
        Ok(self
            .read_metadata::<Targets>(&naming::metadata_file(name, Some(v)), name)?
            .into_signed())
    }

    fn bins(&self, state: &State) -> Bins {
        let keyids = match &state.bins.delegations {
            Some(Delegations {
                roles: DelegatedRoles::Succinct(s),
                ..
            }) => s.keyids.clone(),
            Some(Delegations {
                roles: DelegatedRoles::Roles(r),
                ..
            }) => r.first().map(|r| r.keyids.clone()).unwrap_or_default(),
            None => Vec::new(),
        };
        Bins::new(&self.config, keyids)
    }
}

/// Verifies a file against a target description (used by `verify`).
pub(crate) fn file_matches(
    path: &Path,
    info: &TargetFile,
    target: &str,
) -> std::result::Result<(), String> {
    let v: StreamVerifier = info.verifier(target).map_err(|e| e.to_string())?;
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    v.verify_reader(std::io::BufReader::new(f))
        .map_err(|e| e.to_string())
}
