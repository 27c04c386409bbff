//! Key files: PKCS#8 PEM, readable by their owner only (mode 0600 on Unix; on Windows they
//! take the ACL of the directory they are created in, by default the user's), offline keys (root, targets, bins) apart from the one
//! online key (timestamp, snapshot, bin-n). Signing goes through [`Signer`], so an HSM or KMS
//! signer can stand in for a file.

use crate::{RepoError, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use tuf_crypto::{KeyAlgorithm, PrivateKey, Signer};

/// The offline roles, whose keys live in `keys/offline/`.
pub const OFFLINE_ROLES: [&str; 3] = ["root", "targets", "bins"];

/// The key algorithm for a configuration's `key_type`.
pub fn algorithm(name: &str) -> Result<KeyAlgorithm> {
    match name {
        "ed25519" => Ok(KeyAlgorithm::Ed25519),
        "ecdsa-p256" => Ok(KeyAlgorithm::EcdsaP256),
        "ecdsa-p384" => Ok(KeyAlgorithm::EcdsaP384),
        "rsa" => Ok(KeyAlgorithm::Rsa(3072)),
        other => Err(RepoError::Config(format!(
            "key_type {other:?}: use ed25519, ecdsa-p256, ecdsa-p384 or rsa"
        ))),
    }
}

/// `keys/offline` under the repository.
pub fn offline_dir(repo: &Path) -> PathBuf {
    repo.join("keys").join("offline")
}

/// `keys/online` under the repository.
pub fn online_dir(repo: &Path) -> PathBuf {
    repo.join("keys").join("online")
}

/// Writes a private key as PKCS#8 PEM, readable by its owner only (0600), never replacing an
/// existing file.
pub fn write_key(path: &Path, key: &PrivateKey) -> Result<()> {
    let pem = key.to_pkcs8_pem().map_err(|source| RepoError::Key {
        what: path.display().to_string(),
        source,
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| RepoError::io(dir, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| RepoError::io(path, e))?;
    f.write_all(pem.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| RepoError::io(path, e))
}

/// A second signer for the same private key (the online key signs for several roles), by a
/// PKCS#8 round trip; `what` names the key in errors.
pub(crate) fn copy_key(key: &PrivateKey, what: &str) -> Result<PrivateKey> {
    key.to_pkcs8_pem()
        .and_then(|pem| PrivateKey::from_pkcs8_pem(&pem))
        .map_err(|source| RepoError::Key {
            what: what.to_owned(),
            source,
        })
}

/// Signers by role: every key file found, `<role>-<n>.pem` offline and `online.pem` online
/// (used for timestamp, snapshot and every bin-n).
#[derive(Default)]
pub struct KeyRing {
    by_role: BTreeMap<String, Vec<Box<dyn Signer>>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counts: BTreeMap<&String, usize> =
            self.by_role.iter().map(|(k, v)| (k, v.len())).collect();
        f.debug_struct("KeyRing").field("signers", &counts).finish()
    }
}

fn load(path: &Path) -> Result<PrivateKey> {
    PrivateKey::from_pem_file(path).map_err(|source| RepoError::Key {
        what: path.display().to_string(),
        source,
    })
}

impl KeyRing {
    /// Loads every key file of the repository at `repo`.
    pub fn load(repo: &Path) -> Result<KeyRing> {
        let mut ring = KeyRing::default();
        let dir = offline_dir(repo);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut files: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for path in files {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let Some(role) = name
                    .strip_suffix(".pem")
                    .and_then(|n| n.rsplit_once('-'))
                    .map(|(r, _)| r)
                else {
                    continue;
                };
                if OFFLINE_ROLES.contains(&role) {
                    ring.add(role, Box::new(load(&path)?));
                }
            }
        }
        let online = online_dir(repo).join("online.pem");
        if online.exists() {
            let key = load(&online)?;
            let what = online.display().to_string();
            for role in ["timestamp", "snapshot"] {
                ring.add(role, Box::new(copy_key(&key, &what)?));
            }
            ring.add("bin-n", Box::new(key));
        }
        Ok(ring)
    }

    /// Adds a signer for `role` (`bin-n` for the bins).
    pub fn add(&mut self, role: &str, signer: Box<dyn Signer>) {
        self.by_role
            .entry(role.to_owned())
            .or_default()
            .push(signer);
    }

    /// Replaces the signers of `role` with `signers`; returns the ones it held.
    pub fn swap(&mut self, role: &str, signers: Vec<Box<dyn Signer>>) -> Vec<Box<dyn Signer>> {
        self.by_role
            .insert(role.to_owned(), signers)
            .unwrap_or_default()
    }

    /// The signers of `role` (`bin-n` for any bin).
    pub fn signers(&self, role: &str) -> &[Box<dyn Signer>] {
        self.by_role.get(role).map_or(&[], Vec::as_slice)
    }
}
