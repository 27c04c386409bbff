//! Key rotation: new keys for root, targets, bins or the online roles, a new root signed by
//! the old and the new root keys, all built and checked in memory before anything is written.

use super::*;

impl Repository {
    /// Rotates the keys of `role` (`root`, `targets`, `bins`, or `online` for the key shared
    /// by timestamp, snapshot and every bin): new keys are generated, the delegating metadata
    /// lists them instead of the old ones, and everything affected is re-signed. A new root is
    /// signed by the old root keys and the new ones (spec 5.3.4).
    ///
    /// Transactional: the new keys replace the old ones in the signer ring in use (a ring set
    /// with [`Repository::set_keys`] — an HSM or KMS — is kept, not reloaded from files), the
    /// new root is built, signed and verified in memory, and the new key files are written
    /// aside (`keys/staged-*`) before any metadata is. A rotation that fails before its root
    /// (or, without a new root, its publish) is written leaves the ring, the key files and
    /// the published metadata exactly as they were. Once a new root is written the new keys
    /// are the repository's: the key files are swapped (old ones to `keys/retired/`) even if
    /// the publish after it fails, so that the next publish signs with the keys that root
    /// lists.
    pub fn rotate(&mut self, role: &str) -> Result<PublishReport> {
        let _lock = self.lock()?;
        let state = self.load_state()?;
        let alg = keys::algorithm(&self.config.key_type)?;
        let (files, ring_roles): (Vec<PathBuf>, &[&str]) = match role {
            "root" | "targets" | "bins" => (
                (1..=self.config.policy(role).keys)
                    .map(|i| keys::offline_dir(&self.dir).join(format!("{role}-{i}.pem")))
                    .collect(),
                match role {
                    "root" => &["root"],
                    "targets" => &["targets"],
                    _ => &["bins"],
                },
            ),
            "online" => (
                vec![keys::online_dir(&self.dir).join("online.pem")],
                &["timestamp", "snapshot", "bin-n"],
            ),
            other => {
                return Err(RepoError::State(format!(
                    "cannot rotate {other:?}: use root, targets, bins or online"
                )));
            }
        };
        // New keys, in memory only.
        let new_keys: Vec<PrivateKey> = files
            .iter()
            .map(|_| {
                PrivateKey::generate(alg).map_err(|source| RepoError::Key {
                    what: role.to_owned(),
                    source,
                })
            })
            .collect::<Result<_>>()?;
        let copies = |keys: &[PrivateKey]| -> Result<Vec<Box<dyn Signer>>> {
            keys.iter()
                .map(|k| keys::copy_key(k, role).map(|c| Box::new(c) as Box<dyn Signer>))
                .collect()
        };
        let mut previous = Vec::new();
        for r in ring_roles {
            let signers = copies(&new_keys)?;
            previous.push((*r, self.keys.swap(r, signers)));
        }
        let stamp = now().unix_seconds();
        let staged_dir = self.dir.join("keys").join(format!("staged-{stamp}"));
        let outcome = self.rotate_with(role, state, &previous, &new_keys, &files, &staged_dir);
        match outcome {
            Ok(report) => {
                self.install_keys(&files, &staged_dir, stamp)?;
                Ok(report)
            }
            Err(failed) => {
                let (e, root_written) = *failed;
                if root_written {
                    self.install_keys(&files, &staged_dir, stamp)?;
                } else {
                    let _ = std::fs::remove_dir_all(&staged_dir);
                    for (r, signers) in previous {
                        self.keys.swap(r, signers);
                    }
                }
                Err(e)
            }
        }
    }

    /// Moves the old key files of a rotation to `keys/retired/` and the staged new ones into
    /// their place.
    pub(super) fn install_keys(
        &self,
        files: &[PathBuf],
        staged_dir: &Path,
        stamp: i64,
    ) -> Result<()> {
        let retired = self.dir.join("keys").join("retired");
        std::fs::create_dir_all(&retired).map_err(|e| RepoError::io(&retired, e))?;
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("key.pem");
            if f.exists() {
                let dest = retired.join(format!("{stamp}-{name}"));
                std::fs::rename(f, &dest).map_err(|e| RepoError::io(f, e))?;
            }
            let staged = staged_dir.join(name);
            std::fs::rename(&staged, f).map_err(|e| RepoError::io(&staged, e))?;
        }
        std::fs::remove_dir(staged_dir).map_err(|e| RepoError::io(staged_dir, e))
    }

    /// The rotation's metadata work, with the new keys already in the ring (`previous`: what
    /// the ring held before). The error says whether a new root was written.
    pub(super) fn rotate_with(
        &self,
        role: &str,
        state: State,
        previous: &[(&str, Vec<Box<dyn Signer>>)],
        new_keys: &[PrivateKey],
        files: &[PathBuf],
        staged_dir: &Path,
    ) -> std::result::Result<PublishReport, Box<(RepoError, bool)>> {
        let before = |e: RepoError| Box::new((e, false));
        let old_root_signers: &[Box<dyn Signer>] = previous
            .iter()
            .find(|(r, _)| *r == "root")
            .map_or(&[], |(_, s)| s.as_slice());
        let mut state = state;
        let old_root = state.root.clone();
        let root_roles: &[&str] = match role {
            "root" => &["root"],
            "targets" => &["targets"],
            "online" => &["timestamp", "snapshot"],
            _ => &[],
        };
        let mut report = PublishReport::default();
        // The new root, built, signed and verified in memory.
        let mut new_root = None;
        if !root_roles.is_empty() {
            let meta_err = |e| before(RepoError::metadata("root", e));
            let root = &mut state.root;
            for r in root_roles {
                let old = root
                    .roles
                    .get(*r)
                    .map(|x| x.keyids.clone())
                    .unwrap_or_default();
                for id in old {
                    root.revoke_key(r, &id).map_err(meta_err)?;
                }
                for k in self.public_keys(if role == "online" { r } else { role }) {
                    root.add_key(r, k).map_err(meta_err)?;
                }
            }
            root.bump_version().map_err(meta_err)?;
            root.set_expires(expiry_for(&self.config, "root"));
            let mut md = Metadata::new(root.clone());
            for s in old_root_signers.iter().chain(self.keys.signers("root")) {
                md.sign(s.as_ref(), true).map_err(meta_err)?;
            }
            // The new root must verify with the previous root's keys and its own (spec 5.3.4).
            for (which, verifier) in [("the previous root's", &old_root), ("its own", &*root)] {
                verifier.verify_delegate("root", &md).map_err(|e| {
                    before(RepoError::Policy {
                        role: "root".into(),
                        rule: format!("not signed by {which} threshold: {e}"),
                    })
                })?;
            }
            new_root = Some((
                naming::metadata_file("root", Some(root.version())),
                md.to_bytes(Layout::Compact),
            ));
        }
        // The new key files, aside and durable, before any metadata names their keys.
        std::fs::create_dir_all(staged_dir).map_err(|e| before(RepoError::io(staged_dir, e)))?;
        for (f, k) in files.iter().zip(new_keys) {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("key.pem");
            keys::write_key(&staged_dir.join(name), k).map_err(before)?;
        }
        let mut root_written = false;
        if let Some((file, bytes)) = new_root {
            self.write_metadata(&file, &bytes).map_err(before)?;
            root_written = true;
            report.signed.push("root".into());
        }
        let after = |e| Box::new((e, root_written));
        let mut also: Vec<&str> = Vec::new();
        match role {
            "bins" => {
                let new_keys = self.public_keys("bins");
                if let Some(d) = state.targets.delegations.as_mut() {
                    d.keys = new_keys.iter().map(|k| (k.keyid(), k.clone())).collect();
                    if let DelegatedRoles::Roles(roles) = &mut d.roles {
                        for r in roles.iter_mut().filter(|r| r.name == "bins") {
                            r.keyids = new_keys.iter().map(Key::keyid).collect();
                        }
                    }
                }
                also.extend(["targets", "bins"]);
            }
            "online" => {
                let new_keys = self.public_keys("bin-n");
                let ids: Vec<String> = new_keys.iter().map(Key::keyid).collect();
                if let Some(d) = state.bins.delegations.as_mut() {
                    d.keys = new_keys.iter().map(|k| (k.keyid(), k.clone())).collect();
                    match &mut d.roles {
                        DelegatedRoles::Succinct(s) => s.keyids = ids,
                        DelegatedRoles::Roles(roles) => {
                            roles.iter_mut().for_each(|r| r.keyids = ids.clone())
                        }
                    }
                }
                also.push("bins");
            }
            "targets" => also.push("targets"),
            _ => {}
        }
        // Staged changes go out with the rotation.
        let staged = self.take_staged().map_err(after)?;
        let mut rest = self
            .publish_state(state, staged, &also, role == "online")
            .map_err(after)?;
        report.signed.append(&mut rest.signed);
        report.added = rest.added;
        report.removed = rest.removed;
        report.bytes_written += rest.bytes_written;
        Ok(report)
    }
}
