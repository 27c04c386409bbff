//! A repository simulator: keys, roles and delegations built with tuf-metadata, signed, and
//! written as a consistent-snapshot repository into a directory that [`super::Server`]
//! serves. Tests then break it in the ways attackers do.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::json::Layout;
use tuf_metadata::naming;
use tuf_metadata::{
    DelegatedRole, Expiry, Key, MetaFile, Metadata, PathSet, Root, Signed, Snapshot, TargetFile,
    Targets, Timestamp,
};

pub fn far() -> Expiry {
    Expiry::parse("2099-01-01T00:00:00Z").unwrap()
}

pub fn past() -> Expiry {
    Expiry::parse("2020-01-01T00:00:00Z").unwrap()
}

pub struct Sim {
    pub dir: tempfile::TempDir,
    pub root: Root,
    pub timestamp: Timestamp,
    pub snapshot: Snapshot,
    pub targets: Targets,
    pub delegated: BTreeMap<String, Targets>,
    pub keys: HashMap<String, Vec<PrivateKey>>,
    /// Signers used for the next root besides the current root keys (old keys on rotation).
    pub extra_root_signers: Vec<PrivateKey>,
}

fn key() -> PrivateKey {
    PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap()
}

pub fn sign<T: Signed>(signed: &T, keys: &[&PrivateKey]) -> Vec<u8> {
    let mut md = Metadata::new(signed.clone());
    for k in keys {
        md.sign(*k, true).unwrap();
    }
    md.to_bytes(Layout::Compact)
}

impl Sim {
    /// A repository with one Ed25519 key per top-level role, published as version 1.
    pub fn new() -> Sim {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("metadata")).unwrap();
        std::fs::create_dir_all(dir.path().join("targets")).unwrap();
        let mut keys: HashMap<String, Vec<PrivateKey>> = HashMap::new();
        let mut root = Root::new(far());
        for role in ["root", "timestamp", "snapshot", "targets"] {
            let k = key();
            root.add_key(role, Key::from_public_key(k.public_key()))
                .unwrap();
            keys.insert(role.to_owned(), vec![k]);
        }
        let mut sim = Sim {
            dir,
            root,
            timestamp: Timestamp::new(far(), MetaFile::new(1)),
            snapshot: Snapshot::new(far()),
            targets: Targets::new(far()),
            delegated: BTreeMap::new(),
            keys,
            extra_root_signers: Vec::new(),
        };
        sim.publish_root();
        sim.timestamp.common.version = 0;
        sim.snapshot.common.version = 0;
        sim.targets.common.version = 0;
        sim.publish();
        sim
    }

    pub fn meta_path(&self, file: &str) -> PathBuf {
        self.dir.path().join("metadata").join(file)
    }

    pub fn write(&self, file: &str, bytes: &[u8]) {
        std::fs::write(self.meta_path(file), bytes).unwrap();
    }

    pub fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.meta_path(file)).unwrap()
    }

    fn signers(&self, role: &str) -> Vec<&PrivateKey> {
        self.keys
            .get(role)
            .map(|v| v.iter().collect())
            .unwrap_or_default()
    }

    /// The current root's bytes, signed by the root keys (and any extra signers).
    pub fn root_bytes(&self) -> Vec<u8> {
        let mut signers = self.signers("root");
        signers.extend(self.extra_root_signers.iter());
        sign(&self.root, &signers)
    }

    /// Writes `N.root.json` for the current root.
    pub fn publish_root(&mut self) {
        let bytes = self.root_bytes();
        self.write(&format!("{}.root.json", self.root.version()), &bytes);
    }

    /// Bumps and rotates: the next root version with `role`'s key replaced by a new one.
    pub fn rotate(&mut self, role: &str) {
        let new = key();
        let old_ids: Vec<String> = self.root.roles[role].keyids.clone();
        for id in old_ids {
            self.root.revoke_key(role, &id).unwrap();
        }
        self.root
            .add_key(role, Key::from_public_key(new.public_key()))
            .unwrap();
        let old = self
            .keys
            .insert(role.to_owned(), vec![new])
            .unwrap_or_default();
        if role == "root" {
            // The new root must also be signed by the old root keys (spec 5.3.4).
            self.extra_root_signers = old;
        }
        self.root.bump_version().unwrap();
        self.publish_root();
        self.extra_root_signers.clear();
    }

    /// Adds a target file with `content` to role `role` (top-level `targets` or delegated).
    pub fn add_target(&mut self, role: &str, path: &str, content: &[u8]) {
        let info = TargetFile::of(content, &[HashAlgorithm::Sha256]).unwrap();
        let digest = info.hashes.get("sha256").unwrap().to_owned();
        let t = if role == "targets" {
            &mut self.targets
        } else {
            self.delegated.get_mut(role).unwrap()
        };
        t.add_target(path, info);
        let file = self
            .dir
            .path()
            .join("targets")
            .join(naming::hash_prefixed(path, &digest));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, content).unwrap();
    }

    /// Delegates `paths` from `delegator` to a new role `name` with its own key.
    pub fn delegate(&mut self, delegator: &str, name: &str, paths: &[&str], terminating: bool) {
        let k = key();
        let pk = Key::from_public_key(k.public_key());
        let role = DelegatedRole::new(
            name,
            vec![pk.keyid()],
            1,
            terminating,
            PathSet::Paths(paths.iter().map(|p| p.to_string()).collect()),
        );
        let d = if delegator == "targets" {
            &mut self.targets
        } else {
            self.delegated.get_mut(delegator).unwrap()
        };
        d.add_delegated_role(role, vec![pk]).unwrap();
        self.keys.insert(name.to_owned(), vec![k]);
        let mut t = Targets::new(far());
        t.common.version = 0;
        self.delegated.entry(name.to_owned()).or_insert(t);
    }

    /// Publishes a new version of every targets role, the snapshot and the timestamp.
    pub fn publish(&mut self) {
        self.targets.bump_version().unwrap();
        let bytes = sign(&self.targets, &self.signers("targets"));
        self.write(&format!("{}.targets.json", self.targets.version()), &bytes);
        self.snapshot
            .meta
            .insert("targets.json".into(), MetaFile::new(self.targets.version()));
        let names: Vec<String> = self.delegated.keys().cloned().collect();
        for name in names {
            let t = self.delegated.get_mut(&name).unwrap();
            t.bump_version().unwrap();
            let version = t.version();
            let bytes = sign(&self.delegated[&name], &self.signers(&name));
            self.write(&naming::metadata_file(&name, Some(version)), &bytes);
            self.snapshot
                .meta
                .insert(format!("{name}.json"), MetaFile::new(version));
        }
        self.snapshot.bump_version().unwrap();
        let snap = sign(&self.snapshot, &self.signers("snapshot"));
        self.write(&format!("{}.snapshot.json", self.snapshot.version()), &snap);
        self.timestamp.snapshot_meta =
            MetaFile::of(self.snapshot.version(), &snap, &[HashAlgorithm::Sha256]);
        self.timestamp.bump_version().unwrap();
        let ts = sign(&self.timestamp, &self.signers("timestamp"));
        self.write("timestamp.json", &ts);
    }

    /// Re-signs and writes only the timestamp (after a test edited it).
    pub fn publish_timestamp(&self) {
        let ts = sign(&self.timestamp, &self.signers("timestamp"));
        self.write("timestamp.json", &ts);
    }

    pub fn root_v1(&self) -> Vec<u8> {
        self.read("1.root.json")
    }

    /// A client of the repository `server` serves: a fresh metadata directory trusting this
    /// repository's first root, and a target directory beside it, both in the returned
    /// temporary directory.
    pub fn client(
        &self,
        server: &super::Server,
    ) -> (tempfile::TempDir, tuf_updater::UpdaterConfig) {
        let work = tempfile::tempdir().unwrap();
        let mdir = work.path().join("metadata");
        tuf_updater::Updater::init(&mdir, &self.root_v1()).unwrap();
        let mut config = tuf_updater::UpdaterConfig::new(
            &mdir,
            vec![server.url("metadata/")],
            vec![server.url("targets/")],
        );
        config.target_dir = Some(work.path().join("targets"));
        (work, config)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
