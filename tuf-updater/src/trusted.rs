//! The sans-I/O core: every verification rule of the client workflow (spec 5.2–5.6), in
//! order, on bytes and a fixed reference time. No network, no disk.

use crate::UpdaterError;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;
use tuf_metadata::{Expiry, MetaFile, Metadata, Root, Signed, Snapshot, Targets, Timestamp};

/// Whether an update changed the trusted state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// The new metadata is now trusted.
    Applied,
    /// The new metadata has the trusted version: the trusted copy is kept (spec 5.4.3).
    Unchanged,
}

#[derive(Debug, Clone)]
struct Delegated {
    md: Arc<Metadata<Targets>>,
    delegator: String,
}

/// The metadata trusted so far in one refresh, and the rules that let new metadata in.
///
/// Feed it bytes in the order of spec section 5 — roots, timestamp, snapshot, targets, then
/// delegated targets — and it returns verified metadata or the error naming the rule broken.
/// A failed update leaves the set exactly as it was, with two exceptions that python-tuf
/// makes too: a timestamp that is validly signed and no rollback but expired, and a snapshot
/// that is validly signed and no rollback but expired or not the version the timestamp names,
/// are kept (they still guard later rollback checks) while the update reports its error;
/// neither is ever usable as final, so nothing after them loads.
///
/// ```
/// use tuf_updater::TrustedSet;
/// use tuf_metadata::Expiry;
///
/// let err = TrustedSet::new(b"{}", Expiry::now()).unwrap_err();
/// assert!(err.to_string().contains("root"));
/// ```
#[derive(Debug, Clone)]
pub struct TrustedSet {
    reference: Expiry,
    root: Metadata<Root>,
    timestamp: Option<Metadata<Timestamp>>,
    snapshot: Option<Arc<Metadata<Snapshot>>>,
    targets: HashMap<String, Delegated>,
    /// The earliest expiry of the targets roles admitted so far (kept as they are admitted,
    /// so that [`TrustedSet::expires`] does not walk thousands of bins).
    targets_expire: Option<Expiry>,
    online_keys_rotated: bool,
}

fn parse<T: Signed>(bytes: &[u8], role: &str) -> Result<Metadata<T>, UpdaterError> {
    Metadata::<T>::from_bytes_named(bytes, role, Default::default())
        .map_err(|e| UpdaterError::metadata(role, e))
}

fn check_hashes(
    meta: &MetaFile,
    role: &str,
    bytes: &[u8],
    section: &'static str,
) -> Result<(), UpdaterError> {
    meta.verify_data(&format!("{role}.json"), bytes)
        .map_err(|source| UpdaterError::length_or_hash(role, source, section))
}

/// A keyid and the identity of the key listed under it (none if unusable).
type KeyEntry = (String, Option<Vec<u8>>);

/// What identifies a top-level role's trust in `root`: its threshold, and each keyid with
/// the key material listed for it.
fn role_keys(root: &Root, role: &str) -> Option<(u64, Vec<KeyEntry>)> {
    let r = root.role(role)?;
    let mut keys: Vec<_> = r
        .keyids
        .iter()
        .map(|id| {
            let material = root
                .keys
                .get(id)
                .and_then(|k| k.public_key().ok())
                .map(|k| k.identity().to_vec());
            (id.clone(), material)
        })
        .collect();
    keys.sort();
    Some((r.threshold, keys))
}

impl TrustedSet {
    /// Starts from a trusted root (spec 5.2), checked to be signed by a threshold of its own
    /// root keys; its expiry is not checked here (spec 5.3.10 checks the final root).
    /// `reference` is the time every expiry in this refresh is compared with (spec 5.1).
    pub fn new(root_bytes: &[u8], reference: Expiry) -> Result<TrustedSet, UpdaterError> {
        let root: Metadata<Root> = parse(root_bytes, "root")?;
        root.signed()
            .verify_delegate("root", &root)
            .map_err(|e| UpdaterError::metadata("root", e))?;
        Ok(TrustedSet {
            reference,
            root,
            timestamp: None,
            snapshot: None,
            targets: HashMap::new(),
            targets_expire: None,
            online_keys_rotated: false,
        })
    }

    /// The reference time (spec 5.1).
    pub fn reference_time(&self) -> Expiry {
        self.reference
    }

    /// The earliest expiry of everything trusted: the root, timestamp, snapshot and every
    /// targets role admitted. Each passed the expiry checks of spec 5.3.10, 5.4.4, 5.5.6 and
    /// 5.6.5 at [`TrustedSet::reference_time`]; a long-running client compares this with
    /// the clock to know when what it serves stops being valid and it must refresh.
    pub fn expires(&self) -> Expiry {
        let mut earliest = self.root.signed().expires();
        let others = [
            self.timestamp.as_ref().map(|t| t.signed().expires()),
            self.snapshot.as_ref().map(|s| s.signed().expires()),
            self.targets_expire,
        ];
        for e in others.into_iter().flatten() {
            earliest = earliest.min(e);
        }
        earliest
    }

    /// The trusted root.
    pub fn root(&self) -> &Metadata<Root> {
        &self.root
    }

    /// The trusted timestamp, if loaded.
    pub fn timestamp(&self) -> Option<&Metadata<Timestamp>> {
        self.timestamp.as_ref()
    }

    /// The trusted snapshot, if loaded.
    pub fn snapshot(&self) -> Option<&Metadata<Snapshot>> {
        self.snapshot.as_deref()
    }

    /// The trusted top-level targets, if loaded.
    pub fn targets(&self) -> Option<&Metadata<Targets>> {
        self.role("targets")
    }

    /// A trusted targets role (`targets` or a delegated role), if loaded.
    pub fn role(&self, name: &str) -> Option<&Metadata<Targets>> {
        self.targets.get(name).map(|d| &*d.md)
    }

    /// Spec 5.3.4–5.3.7: the next root must be signed by a threshold of the trusted root's
    /// root keys and of its own, and have exactly the next version. An expired intermediate
    /// root is fine: only the final root's expiry matters (5.3.10).
    pub fn update_root(&mut self, bytes: &[u8]) -> Result<&Metadata<Root>, UpdaterError> {
        if self.timestamp.is_some() {
            return Err(UpdaterError::State(
                "cannot update root after timestamp (spec 5.3)".into(),
            ));
        }
        let new: Metadata<Root> = parse(bytes, "root")?;
        // 5.3.4: a threshold of the trusted root's root keys.
        self.root
            .signed()
            .verify_delegate("root", &new)
            .map_err(|e| UpdaterError::metadata("root", e))?;
        // 5.3.5: version N+1 exactly.
        let expected = self.root.signed().version() + 1;
        if new.signed().version() != expected {
            return Err(UpdaterError::VersionMismatch {
                role: "root".into(),
                expected,
                got: new.signed().version(),
                section: "5.3.5",
            });
        }
        // 5.3.4: and a threshold of its own root keys.
        new.signed()
            .verify_delegate("root", &new)
            .map_err(|e| UpdaterError::metadata("root", e))?;
        // 5.3.11: a rotation of the timestamp or snapshot keys means the trusted timestamp
        // and snapshot must be deleted (recovery from a fast-forward attack).
        self.online_keys_rotated |= ["timestamp", "snapshot"]
            .iter()
            .any(|role| role_keys(self.root.signed(), role) != role_keys(new.signed(), role));
        self.root = new;
        Ok(&self.root)
    }

    /// Whether a root accepted by [`TrustedSet::update_root`] changed the keys (or the
    /// threshold) of the timestamp or snapshot role. Spec 5.3.11: the trusted timestamp and
    /// snapshot must then be deleted, so that a client fast-forwarded by a stolen online key
    /// recovers once the repository rotates it; [`TrustedSet::load_local_timestamp`] and
    /// [`TrustedSet::load_local_snapshot`] refuse them from then on, and the caller deletes
    /// its stored copies before persisting the new root.
    pub fn online_keys_rotated(&self) -> bool {
        self.online_keys_rotated
    }

    /// Loads the timestamp trusted in an earlier refresh (the local copy), so that the new
    /// one is checked against it for rollback (spec 5.4.3). Refused after a rotation of the
    /// timestamp or snapshot keys (spec 5.3.11).
    pub fn load_local_timestamp(&mut self, bytes: &[u8]) -> Result<Update, UpdaterError> {
        if self.online_keys_rotated {
            return Err(UpdaterError::State(
                "timestamp or snapshot keys rotated: the trusted timestamp is deleted (spec 5.3.11)"
                    .into(),
            ));
        }
        self.update_timestamp(bytes)
    }

    /// Loads the snapshot trusted in an earlier refresh (the local copy, whose hashes are
    /// not checked again), for the rollback checks of spec 5.5.5. Refused after a rotation
    /// of the timestamp or snapshot keys (spec 5.3.11).
    pub fn load_local_snapshot(&mut self, bytes: &[u8]) -> Result<(), UpdaterError> {
        self.refuse_local_after_rotation()?;
        self.apply_snapshot(bytes, None, true)
    }

    /// [`TrustedSet::load_local_snapshot`] on a shared buffer: the trusted snapshot keeps a
    /// slice of it as its canonical bytes instead of a copy.
    pub fn load_local_snapshot_shared(&mut self, bytes: &Bytes) -> Result<(), UpdaterError> {
        self.refuse_local_after_rotation()?;
        self.apply_snapshot(bytes, Some(bytes), true)
    }

    /// Spec 5.3.11: after a rotation of the timestamp or snapshot keys, no local snapshot.
    fn refuse_local_after_rotation(&self) -> Result<(), UpdaterError> {
        if self.online_keys_rotated {
            return Err(UpdaterError::State(
                "timestamp or snapshot keys rotated: the trusted snapshot is deleted (spec 5.3.11)"
                    .into(),
            ));
        }
        Ok(())
    }

    fn expired(&self, role: &str, expires: Expiry, section: &'static str) -> UpdaterError {
        UpdaterError::Expired {
            role: role.to_owned(),
            expires,
            reference: self.reference,
            section,
        }
    }

    /// Spec 5.3.10 and 5.4: the final root must not be expired; the timestamp must be signed
    /// by the root's timestamp keys (5.4.2), not roll back its own version or the snapshot
    /// version it names (5.4.3), and not be expired (5.4.4). An equal version keeps the
    /// trusted timestamp ([`Update::Unchanged`]).
    pub fn update_timestamp(&mut self, bytes: &[u8]) -> Result<Update, UpdaterError> {
        if self.snapshot.is_some() {
            return Err(UpdaterError::State(
                "cannot update timestamp after snapshot (spec 5.4)".into(),
            ));
        }
        let root = self.root.signed();
        if root.is_expired_at(self.reference) {
            return Err(self.expired("root", root.expires(), "5.3.10"));
        }
        let new: Metadata<Timestamp> = parse(bytes, "timestamp")?;
        root.verify_delegate("timestamp", &new)
            .map_err(|e| UpdaterError::metadata("timestamp", e))?;
        if let Some(old) = &self.timestamp {
            let (old_v, new_v) = (old.signed().version(), new.signed().version());
            if new_v < old_v {
                return Err(UpdaterError::Rollback {
                    role: "timestamp".into(),
                    got: new_v,
                    trusted: old_v,
                    section: "5.4.3.1",
                });
            }
            if new_v == old_v {
                return Ok(Update::Unchanged);
            }
            let (old_s, new_s) = (
                old.signed().snapshot_meta.version,
                new.signed().snapshot_meta.version,
            );
            if new_s < old_s {
                return Err(UpdaterError::Rollback {
                    role: "snapshot (named by timestamp)".into(),
                    got: new_s,
                    trusted: old_s,
                    section: "5.4.3.2",
                });
            }
        }
        // Kept even if expired, so that it still guards against rollback (python-tuf does the
        // same); an expired timestamp never lets a snapshot in.
        self.timestamp = Some(new);
        self.check_final_timestamp()?;
        Ok(Update::Applied)
    }

    fn final_timestamp(&self) -> Result<&Metadata<Timestamp>, UpdaterError> {
        self.check_final_timestamp()?;
        self.timestamp
            .as_ref()
            .ok_or_else(|| UpdaterError::State("no trusted timestamp (spec 5.4)".into()))
    }

    fn check_final_timestamp(&self) -> Result<(), UpdaterError> {
        match &self.timestamp {
            Some(ts) if ts.signed().is_expired_at(self.reference) => {
                Err(self.expired("timestamp", ts.signed().expires(), "5.4.4"))
            }
            Some(_) => Ok(()),
            None => Err(UpdaterError::State(
                "no trusted timestamp (spec 5.4)".into(),
            )),
        }
    }

    /// Spec 5.5: the snapshot must match the length and hashes the timestamp lists (5.5.2;
    /// skipped with `trusted` for a copy verified in an earlier refresh), be signed by the
    /// root's snapshot keys (5.5.3), not drop or roll back any file the trusted snapshot
    /// lists (5.5.5), have the version the timestamp names (5.5.4) and not be expired (5.5.6).
    pub fn update_snapshot(&mut self, bytes: &[u8], trusted: bool) -> Result<(), UpdaterError> {
        self.apply_snapshot(bytes, None, trusted)
    }

    /// [`TrustedSet::update_snapshot`] on a shared buffer: the trusted snapshot keeps a slice
    /// of it as its canonical bytes instead of a copy (a PyPI-sized snapshot: 0.5 MB less).
    pub fn update_snapshot_shared(
        &mut self,
        bytes: &Bytes,
        trusted: bool,
    ) -> Result<(), UpdaterError> {
        self.apply_snapshot(bytes, Some(bytes), trusted)
    }

    fn apply_snapshot(
        &mut self,
        bytes: &[u8],
        shared: Option<&Bytes>,
        trusted: bool,
    ) -> Result<(), UpdaterError> {
        if self.targets.contains_key("targets") {
            return Err(UpdaterError::State(
                "cannot update snapshot after targets (spec 5.5)".into(),
            ));
        }
        let ts = self.final_timestamp()?;
        let meta = &ts.signed().snapshot_meta;
        if !trusted {
            check_hashes(meta, "snapshot", bytes, "5.5.2")?;
        }
        let mut new: Metadata<Snapshot> = match shared {
            Some(b) => Metadata::from_shared_named(b, "snapshot", Default::default())
                .map_err(|e| UpdaterError::metadata("snapshot", e))?,
            None => parse(bytes, "snapshot")?,
        };
        self.root
            .signed()
            .verify_delegate("snapshot", &new)
            .map_err(|e| UpdaterError::metadata("snapshot", e))?;
        // Verified: the received bytes (half a megabyte for PyPI) are not needed again.
        new.release_received_bytes();
        if let Some(old) = &self.snapshot {
            // Both lists are sorted by name (MetaMap): one pass over the two.
            let mut news = new.signed().meta.iter().peekable();
            for (file, old_meta) in &old.signed().meta {
                while news.next_if(|(n, _)| *n < file).is_some() {}
                let Some((_, new_meta)) = news.next_if(|(n, _)| *n == file) else {
                    return Err(UpdaterError::MetaRemoved {
                        file: file.to_owned(),
                    });
                };
                if new_meta.version < old_meta.version {
                    return Err(UpdaterError::Rollback {
                        role: file.to_owned(),
                        got: new_meta.version,
                        trusted: old_meta.version,
                        section: "5.5.5",
                    });
                }
            }
        }
        self.snapshot = Some(Arc::new(new));
        self.check_final_snapshot()
    }

    fn check_final_snapshot(&self) -> Result<(), UpdaterError> {
        let ts = self.final_timestamp()?;
        let snap = self
            .snapshot
            .as_ref()
            .ok_or_else(|| UpdaterError::State("no trusted snapshot (spec 5.5)".into()))?;
        if snap.signed().is_expired_at(self.reference) {
            return Err(self.expired("snapshot", snap.signed().expires(), "5.5.6"));
        }
        let expected = ts.signed().snapshot_meta.version;
        if snap.signed().version() != expected {
            return Err(UpdaterError::VersionMismatch {
                role: "snapshot".into(),
                expected,
                got: snap.signed().version(),
                section: "5.5.4",
            });
        }
        Ok(())
    }

    /// Spec 5.6 for the top-level targets role, signed by the root's targets keys.
    pub fn update_targets(&mut self, bytes: &[u8]) -> Result<&Metadata<Targets>, UpdaterError> {
        self.update_delegated_targets(bytes, "targets", "root")
    }

    /// Spec 5.6 for any targets role: listed in the snapshot (5.6.1), matching its length and
    /// hashes there (5.6.2), signed by a threshold of the keys `delegator` assigns to `role`
    /// (5.6.3), of the version the snapshot names (5.6.4), not expired (5.6.5).
    pub fn update_delegated_targets(
        &mut self,
        bytes: &[u8],
        role: &str,
        delegator: &str,
    ) -> Result<&Metadata<Targets>, UpdaterError> {
        self.check_final_snapshot()?;
        let snap = self
            .snapshot
            .as_ref()
            .ok_or_else(|| UpdaterError::State("no trusted snapshot (spec 5.5)".into()))?;
        let meta = snap
            .signed()
            .role_meta(role)
            .ok_or_else(|| UpdaterError::NotInSnapshot {
                role: role.to_owned(),
            })?;
        check_hashes(meta, role, bytes, "5.6.2")?;
        let new: Metadata<Targets> = parse(bytes, role)?;
        self.verify_by(delegator, role, &new)?;
        if new.signed().version() != meta.version {
            return Err(UpdaterError::VersionMismatch {
                role: role.to_owned(),
                expected: meta.version,
                got: new.signed().version(),
                section: "5.6.4",
            });
        }
        if new.signed().is_expired_at(self.reference) {
            return Err(self.expired(role, new.signed().expires(), "5.6.5"));
        }
        let expires = new.signed().expires();
        self.targets_expire = Some(self.targets_expire.map_or(expires, |e| e.min(expires)));
        self.targets.insert(
            role.to_owned(),
            Delegated {
                md: Arc::new(new),
                delegator: delegator.to_owned(),
            },
        );
        Ok(&*self.targets[role].md)
    }

    fn verify_by(
        &self,
        delegator: &str,
        role: &str,
        md: &Metadata<Targets>,
    ) -> Result<(), UpdaterError> {
        let result = if delegator == "root" {
            self.root.signed().verify_delegate(role, md)
        } else {
            let parent = self.role(delegator).ok_or_else(|| {
                UpdaterError::State(format!("delegator {delegator} is not loaded (spec 5.6.7)"))
            })?;
            parent.signed().verify_delegate(role, md)
        };
        result
            .map(|_| ())
            .map_err(|e| UpdaterError::metadata(role, e))
    }

    /// The trusted targets role `role` as reached from `delegator`: if it was verified
    /// through another delegator (a diamond in the delegation graph), it is verified again
    /// against this one's keys before it is used.
    pub fn role_via(
        &self,
        role: &str,
        delegator: &str,
    ) -> Option<Result<&Metadata<Targets>, UpdaterError>> {
        let d = self.targets.get(role)?;
        if d.delegator == delegator {
            return Some(Ok(&*d.md));
        }
        Some(self.verify_by(delegator, role, &d.md).map(|()| &*d.md))
    }
}
