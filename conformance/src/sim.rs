//! A repository simulator: any TUF repository state built in memory with `tuf-metadata`
//! (keys of any type, top-level roles, delegations, consistent snapshots on or off), signed,
//! and published into a shared file map that [`crate::server::Server`] serves. Scenarios then
//! break it the way attackers do: old versions, re-signed lies, tampered files.
//!
//! ```
//! use conformance::sim::Repo;
//! let mut repo = Repo::new().unwrap();
//! repo.add_target("targets", "hello.txt", b"hello").unwrap();
//! repo.publish().unwrap();
//! assert!(repo.get("metadata/2.targets.json").is_some());
//! assert!(repo.get("metadata/timestamp.json").is_some());
//! ```

use crate::SuiteError;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};

use tuf_metadata::json::{Layout, Map, Value, write_layout};
use tuf_metadata::naming;
use tuf_metadata::{
    DelegatedRole, Expiry, Key, MetaFile, Metadata, PathSet, Root, Signed, Snapshot, SuccinctRoles,
    TargetFile, Targets, Timestamp,
};

/// Files by path below the server root (`metadata/1.root.json`, `targets/<hash>.<name>`).
pub type Files = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// An expiry far in the future.
pub fn far() -> Expiry {
    Expiry::from_unix_seconds(4_070_908_800).unwrap_or_else(Expiry::now)
}

/// An expiry in the past.
pub fn past() -> Expiry {
    Expiry::from_unix_seconds(1_577_836_800).unwrap_or_else(Expiry::now)
}

/// Signs `signed` with `keys` and serializes it (compact, as python-tuf writes).
pub fn sign<T: Signed>(signed: &T, keys: &[&PrivateKey]) -> Result<Vec<u8>, SuiteError> {
    let mut md = Metadata::new(signed.clone());
    for k in keys {
        md.sign(*k, true)
            .map_err(|e| SuiteError::Sim(format!("signing {}: {e}", T::TYPE)))?;
    }
    Ok(md.to_bytes(Layout::Compact))
}

/// Signs `signed` with any signers (keys other than [`PrivateKey`]: another signing stack's
/// RSA-PSS salt, a key listed in another PEM layout) and serializes it.
pub fn sign_with<T: Signed>(signed: &T, signers: &[&dyn Signer]) -> Result<Vec<u8>, SuiteError> {
    let mut md = Metadata::new(signed.clone());
    for s in signers {
        md.sign(*s, true)
            .map_err(|e| SuiteError::Sim(format!("signing {}: {e}", T::TYPE)))?;
    }
    Ok(md.to_bytes(Layout::Compact))
}

/// Serializes `signed` with exactly the (keyid, hex signature) pairs given: a signature list
/// no honest signer would produce (duplicates, foreign keyids).
pub fn with_signatures<T: Signed>(signed: &T, sigs: &[(String, String)]) -> Vec<u8> {
    let list = sigs
        .iter()
        .map(|(keyid, sig)| {
            let mut m = Map::new();
            m.insert("keyid", keyid.clone().into());
            m.insert("sig", sig.clone().into());
            Value::Object(m)
        })
        .collect();
    let mut value = Metadata::new(signed.clone()).to_value();
    if let Value::Object(m) = &mut value {
        m.insert("signatures", Value::Array(list));
    }
    write_layout(&value, Layout::Compact)
}

/// The (keyid, hex signature) `key` makes over `signed`.
pub fn signature<T: Signed>(signed: &T, key: &PrivateKey) -> Result<(String, String), SuiteError> {
    let mut md = Metadata::new(signed.clone());
    let s = md
        .sign(key, false)
        .map_err(|e| SuiteError::Sim(format!("signing {}: {e}", T::TYPE)))?;
    Ok((s.keyid.clone(), s.sig.clone()))
}

/// A simulated repository.
pub struct Repo {
    /// The current root (published as `N.root.json` by [`Repo::publish_root`]).
    pub root: Root,
    /// The current timestamp.
    pub timestamp: Timestamp,
    /// The current snapshot.
    pub snapshot: Snapshot,
    /// The top-level targets.
    pub targets: Targets,
    /// Delegated targets roles by name.
    pub delegated: BTreeMap<String, Targets>,
    /// Private keys by role name.
    pub keys: HashMap<String, Vec<PrivateKey>>,
    /// Signers of the next root besides the current root keys (old keys during rotation).
    pub extra_root_signers: Vec<PrivateKey>,
    /// What the server serves.
    pub files: Files,
    algorithm: KeyAlgorithm,
}

impl Repo {
    /// A repository with one Ed25519 key per top-level role and consistent snapshots,
    /// published as version 1 of every role.
    pub fn new() -> Result<Repo, SuiteError> {
        Repo::with_options(KeyAlgorithm::Ed25519, true)
    }

    /// A repository whose keys are of type `algorithm`, with consistent snapshots on or off.
    pub fn with_options(algorithm: KeyAlgorithm, consistent: bool) -> Result<Repo, SuiteError> {
        let mut root = Root::new(far());
        root.consistent_snapshot = Some(consistent);
        let mut repo = Repo {
            root,
            timestamp: Timestamp::new(far(), MetaFile::new(1)),
            snapshot: Snapshot::new(far()),
            targets: Targets::new(far()),
            delegated: BTreeMap::new(),
            keys: HashMap::new(),
            extra_root_signers: Vec::new(),
            files: Files::default(),
            algorithm,
        };
        for role in ["root", "timestamp", "snapshot", "targets"] {
            let k = repo.new_key()?;
            repo.root
                .add_key(role, Key::from_public_key(k.public_key()))
                .map_err(|e| SuiteError::Sim(e.to_string()))?;
            repo.keys.insert(role.to_owned(), vec![k]);
        }
        repo.publish_root()?;
        repo.timestamp.common.version = 0;
        repo.snapshot.common.version = 0;
        repo.targets.common.version = 0;
        repo.publish()?;
        Ok(repo)
    }

    /// A new private key of the repository's key type.
    pub fn new_key(&self) -> Result<PrivateKey, SuiteError> {
        PrivateKey::generate(self.algorithm).map_err(|e| SuiteError::Sim(e.to_string()))
    }

    /// The bytes at `path` (e.g. `metadata/timestamp.json`).
    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(path).cloned()
    }

    /// Replaces (or creates) the file at `path`.
    pub fn put(&self, path: &str, bytes: Vec<u8>) {
        if let Ok(mut f) = self.files.lock() {
            f.insert(path.to_owned(), bytes);
        }
    }

    /// The file name role `role` at `version` is published under.
    pub fn metadata_file(&self, role: &str, version: u64) -> String {
        let versioned = role == "root" || (self.root.consistent_snapshot() && role != "timestamp");
        format!(
            "metadata/{}",
            naming::metadata_file(role, versioned.then_some(version))
        )
    }

    /// The signers of `role`.
    pub fn signers(&self, role: &str) -> Vec<&PrivateKey> {
        self.keys
            .get(role)
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    }

    /// The current root, signed by the root keys and any extra signers.
    pub fn root_bytes(&self) -> Result<Vec<u8>, SuiteError> {
        let mut signers = self.signers("root");
        signers.extend(self.extra_root_signers.iter());
        sign(&self.root, &signers)
    }

    /// The first root, as a client is initialised with it.
    pub fn root_v1(&self) -> Vec<u8> {
        self.get("metadata/1.root.json").unwrap_or_default()
    }

    /// Writes `N.root.json` for the current root.
    pub fn publish_root(&mut self) -> Result<(), SuiteError> {
        let bytes = self.root_bytes()?;
        self.put(
            &format!("metadata/{}.root.json", self.root.version()),
            bytes,
        );
        Ok(())
    }

    /// Publishes the next root version with `role`'s keys replaced by one new key; a new
    /// root key set also signs with the old root keys (spec 5.3.4). Returns the old keys.
    pub fn rotate(&mut self, role: &str) -> Result<Vec<PrivateKey>, SuiteError> {
        let new = self.new_key()?;
        self.replace_keys(role, Key::from_public_key(new.public_key()))?;
        let old = self
            .keys
            .insert(role.to_owned(), vec![new])
            .unwrap_or_default();
        let is_root = role == "root";
        let mut old = old;
        if is_root {
            self.extra_root_signers = std::mem::take(&mut old);
        }
        self.root
            .bump_version()
            .map_err(|e| SuiteError::Sim(e.to_string()))?;
        self.publish_root()?;
        if is_root {
            old = std::mem::take(&mut self.extra_root_signers);
        }
        Ok(old)
    }

    /// In the current root, revokes every key of `role` and lists `key` instead.
    fn replace_keys(&mut self, role: &str, key: Key) -> Result<(), SuiteError> {
        let old_ids = self
            .root
            .roles
            .get(role)
            .map(|r| r.keyids.clone())
            .unwrap_or_default();
        for id in old_ids {
            self.root
                .revoke_key(role, &id)
                .map_err(|e| SuiteError::Sim(e.to_string()))?;
        }
        self.root
            .add_key(role, key)
            .map_err(|e| SuiteError::Sim(e.to_string()))
    }

    /// Adds a target with `content` to `role` (`targets` or a delegated role) and stores the
    /// file under its published name.
    pub fn add_target(&mut self, role: &str, path: &str, content: &[u8]) -> Result<(), SuiteError> {
        let info = TargetFile::of(content, &[HashAlgorithm::Sha256])
            .ok_or_else(|| SuiteError::Sim("hashing a target".into()))?;
        self.add_target_info(role, path, info, content)
    }

    /// Adds a target described by `info` (hashes of any algorithm, `custom`) to `role`, and
    /// stores `content` under the name a client derives from the first listed hash.
    pub fn add_target_info(
        &mut self,
        role: &str,
        path: &str,
        info: TargetFile,
        content: &[u8],
    ) -> Result<(), SuiteError> {
        let digest = info
            .hashes
            .iter()
            .next()
            .map(|(_, d)| d.to_owned())
            .unwrap_or_default();
        let t = self.role_mut(role)?;
        t.add_target(path, info);
        let file = self.target_file(path, &digest);
        self.put(&file, content.to_vec());
        Ok(())
    }

    /// Publishes the next root with `role`'s keys replaced by `key` (a key this simulator
    /// does not hold as a [`PrivateKey`]); `role` must not be `root`.
    pub fn rotate_to(&mut self, role: &str, key: Key) -> Result<(), SuiteError> {
        self.replace_keys(role, key)?;
        self.keys.remove(role);
        self.root
            .bump_version()
            .map_err(|e| SuiteError::Sim(e.to_string()))?;
        self.publish_root()
    }

    /// The file name a target is published under (hash-prefixed with consistent snapshots).
    pub fn target_file(&self, path: &str, digest: &str) -> String {
        if self.root.consistent_snapshot() {
            format!("targets/{}", naming::hash_prefixed(path, digest))
        } else {
            format!("targets/{path}")
        }
    }

    /// The top-level targets role or a delegated one, for editing.
    pub fn role_mut(&mut self, role: &str) -> Result<&mut Targets, SuiteError> {
        if role == "targets" {
            Ok(&mut self.targets)
        } else {
            self.delegated
                .get_mut(role)
                .ok_or_else(|| SuiteError::Sim(format!("no role {role}")))
        }
    }

    /// Delegates `paths` from `delegator` to role `name` with a new key of its own (or the
    /// existing keys of `name` if it already has some).
    pub fn delegate(
        &mut self,
        delegator: &str,
        name: &str,
        paths: PathSet,
        terminating: bool,
    ) -> Result<(), SuiteError> {
        if !self.keys.contains_key(name) {
            let k = self.new_key()?;
            self.keys.insert(name.to_owned(), vec![k]);
        }
        let keys: Vec<Key> = self
            .signers(name)
            .iter()
            .map(|k| Key::from_public_key(k.public_key()))
            .collect();
        let role = DelegatedRole::new(
            name,
            keys.iter().map(Key::keyid).collect(),
            1,
            terminating,
            paths,
        );
        self.role_mut(delegator)?
            .add_delegated_role(role, keys)
            .map_err(|e| SuiteError::Sim(e.to_string()))?;
        self.delegated.entry(name.to_owned()).or_insert_with(|| {
            let mut t = Targets::new(far());
            t.common.version = 0;
            t
        });
        Ok(())
    }

    /// Delegates every path from `delegator` to 2^`bit_length` succinct hash bins (TAP 15)
    /// named `bin-…`, all signed by one new key (as PEP 458's bin-n roles). Returns the
    /// bins' description, to find the bin of a target.
    pub fn delegate_hash_bins(
        &mut self,
        delegator: &str,
        bit_length: u8,
    ) -> Result<SuccinctRoles, SuiteError> {
        let k = self.new_key()?;
        let key = Key::from_public_key(k.public_key());
        let bins = SuccinctRoles::new(vec![key.keyid()], 1, bit_length, "bin")
            .ok_or_else(|| SuiteError::Sim(format!("bit_length {bit_length}")))?;
        self.role_mut(delegator)?
            .set_succinct_roles(bins.clone(), vec![key]);
        for name in bins.role_names() {
            let mut t = Targets::new(far());
            t.common.version = 0;
            self.delegated.insert(name.clone(), t);
            let signer = PrivateKey::from_pkcs8_pem(
                &k.to_pkcs8_pem()
                    .map_err(|e| SuiteError::Sim(e.to_string()))?,
            )
            .map_err(|e| SuiteError::Sim(e.to_string()))?;
            self.keys.insert(name, vec![signer]);
        }
        Ok(bins)
    }

    /// Publishes a new version of every targets role, the snapshot and the timestamp.
    pub fn publish(&mut self) -> Result<(), SuiteError> {
        let sim = |e: tuf_metadata::MetadataError| SuiteError::Sim(e.to_string());
        self.targets.bump_version().map_err(sim)?;
        let bytes = sign(&self.targets, &self.signers("targets"))?;
        self.put(
            &self.metadata_file("targets", self.targets.version()),
            bytes,
        );
        self.snapshot
            .meta
            .insert("targets.json".into(), MetaFile::new(self.targets.version()));
        let names: Vec<String> = self.delegated.keys().cloned().collect();
        for name in names {
            let t = self.role_mut(&name)?;
            t.bump_version().map_err(sim)?;
            let version = t.version();
            let role = self.role_mut(&name)?.clone();
            let bytes = sign(&role, &self.signers(&name))?;
            self.put(&self.metadata_file(&name, version), bytes);
            self.snapshot
                .meta
                .insert(format!("{name}.json"), MetaFile::new(version));
        }
        self.publish_snapshot()
    }

    /// Publishes a new snapshot (as the snapshot now stands, after a scenario edited its
    /// `meta`) and a new timestamp naming it; targets roles are not touched.
    pub fn publish_snapshot(&mut self) -> Result<(), SuiteError> {
        let sim = |e: tuf_metadata::MetadataError| SuiteError::Sim(e.to_string());
        self.snapshot.bump_version().map_err(sim)?;
        let snap = sign(&self.snapshot, &self.signers("snapshot"))?;
        self.put(
            &self.metadata_file("snapshot", self.snapshot.version()),
            snap.clone(),
        );
        self.timestamp.snapshot_meta =
            MetaFile::of(self.snapshot.version(), &snap, &[HashAlgorithm::Sha256]);
        self.timestamp.bump_version().map_err(sim)?;
        self.publish_timestamp()
    }

    /// Signs and writes the current timestamp as it is (after a scenario edited it).
    pub fn publish_timestamp(&mut self) -> Result<(), SuiteError> {
        let ts = sign(&self.timestamp, &self.signers("timestamp"))?;
        self.put("metadata/timestamp.json", ts);
        Ok(())
    }
}
