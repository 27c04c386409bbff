//! The trusted set past the signature check: a small repository (root, timestamp, snapshot,
//! targets delegating `a`) made with test keys, whose documents are changed in structure by
//! the fuzzer (versions, expiry, the versions, lengths and hashes one role lists for
//! another, an entry dropped, keys rotated, thresholds raised, a keyid listed twice) and
//! then signed again, by the right key, another role's key or an unlisted key, with a
//! signature duplicated or spoiled, before they are offered in any order. Each decision is
//! checked against a reference written from the spec's rules (5.3-5.6): a document is
//! accepted only when a threshold of distinct keys its delegator lists signed it (each key
//! counted once), its version keeps the rules (root N+1; timestamp and the snapshot version
//! it names never lower; snapshot and targets exactly as listed; nothing the trusted snapshot
//! lists dropped or rolled back), the lengths and hashes listed match, and it is not expired;
//! a refused document leaves the trusted state as it was, except the expired or mismatched
//! timestamp or snapshot that the rules keep for rollback protection (python-tuf does the
//! same), which must still be properly signed and not a rollback.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::json::Layout;
use tuf_metadata::{
    DelegatedRole, DelegatedRoles, Delegations, Expiry, Key, MetaFile, Metadata, PathSet, Root,
    Signed, Snapshot, Targets, Timestamp,
};
use tuf_updater::{TrustedSet, Update, UpdaterError};

/// Keys by index: root, timestamp, snapshot, targets, the delegated role `a`, and one that no
/// document lists at first.
const ROOT: usize = 0;
const ROGUE: usize = 5;
const ROLES: [&str; 5] = ["root", "timestamp", "snapshot", "targets", "a"];

fn keys() -> &'static Vec<(PrivateKey, String)> {
    static K: OnceLock<Vec<(PrivateKey, String)>> = OnceLock::new();
    K.get_or_init(|| {
        (0..6)
            .map(|_| {
                let k = PrivateKey::generate(KeyAlgorithm::Ed25519).expect("a key");
                let id = k.keyid();
                (k, id)
            })
            .collect()
    })
}

fn key(i: usize) -> Key {
    Key::from_public_key(keys()[i].0.public_key())
}

fn id(i: usize) -> String {
    keys()[i].1.clone()
}

fn time(s: &str) -> Expiry {
    Expiry::parse(s).expect("a valid time")
}

fn reference() -> Expiry {
    time("2030-01-01T00:00:00Z")
}

fn expires(expired: bool) -> Expiry {
    time(if expired {
        "2029-06-01T00:00:00Z"
    } else {
        "2031-01-01T00:00:00Z"
    })
}

fn root_v1() -> Root {
    let mut root = Root::new(expires(false));
    for (i, role) in ROLES[..4].iter().enumerate() {
        root.add_key(role, key(i)).expect("a top-level role");
    }
    root
}

/// One document as offered: its bytes, and the keys whose signature over it is intact.
struct Doc {
    bytes: Vec<u8>,
    signers: BTreeSet<String>,
}

/// Signs `signed` as the op says and writes it out.
fn sign<T: Signed>(signed: T, role: usize, op: &[u8; 6]) -> Doc {
    let mut md = Metadata::new(signed);
    let s = op[4];
    let mut signers = BTreeSet::new();
    let mut by = |md: &mut Metadata<T>, i: usize| {
        md.sign(&keys()[i].0, true).expect("signing in memory");
        signers.insert(id(i));
    };
    if s & 1 != 0 {
        by(&mut md, role);
    }
    if s & 2 != 0 {
        by(&mut md, ROGUE);
    }
    if s & 4 != 0 {
        by(&mut md, (role + 1) % 5);
    }
    if s & 8 != 0 && role != ROOT {
        // A root also signed by the root key (what a rotation of it needs).
        by(&mut md, ROOT);
    }
    if s & 16 != 0 {
        // Signed, then changed: every signature spoiled.
        md.signed_mut()
            .common_mut()
            .unrecognized
            .insert("x-changed", tuf_metadata::json::Value::Bool(true));
        signers.clear();
    }
    let mut bytes = md.to_bytes(Layout::Compact);
    if s & 32 != 0 {
        bytes = duplicate_first_signature(&bytes);
    }
    Doc { bytes, signers }
}

/// The document with its first signature entry listed twice.
fn duplicate_first_signature(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let Some(start) = text.find("{\"keyid\"") else {
        return bytes.to_vec();
    };
    let Some(len) = text[start..].find('}') else {
        return bytes.to_vec();
    };
    let entry = &text[start..=start + len];
    format!("{}{entry},{}", &text[..start], &text[start..]).into_bytes()
}

/// What the repository made last of each role (for the lengths and hashes listed).
#[derive(Default)]
struct Made {
    bytes: BTreeMap<&'static str, Vec<u8>>,
}

impl Made {
    fn meta(&self, role: &str, version: u64, flags: u8) -> MetaFile {
        match self.bytes.get(role) {
            Some(b) if flags & 2 != 0 => {
                let mut m = MetaFile::of(version, b, &[HashAlgorithm::Sha256]);
                if flags & 4 != 0 {
                    // A hash that does not match.
                    m = MetaFile::of(version, b"something else", &[HashAlgorithm::Sha256]);
                    m.set_length(Some(b.len() as u64));
                }
                m
            }
            _ => MetaFile::new(version),
        }
    }
}

/// The document the op describes: role, flags (bit 0 expired, 1 lengths and hashes of the
/// listed documents, 2 a wrong hash, 3 `a` dropped from the snapshot, 4 a local snapshot,
/// 5 and 6 keys and thresholds changed, 7 a keyid listed twice), version, listed versions,
/// signatures.
fn make(op: &[u8; 6], made: &Made) -> (usize, Doc) {
    let role = usize::from(op[0]) % 5;
    let flags = op[1];
    let version = 1 + u64::from(op[2] % 4);
    let listed = op[3];
    let expiry = expires(flags & 1 != 0);
    let doc = match role {
        0 => {
            let mut root = root_v1();
            root.common.version = version;
            root.common.expires = expiry;
            if flags & 32 != 0 {
                // The timestamp key rotated to another.
                root.revoke_key("timestamp", &id(1)).expect("listed");
                root.add_key("timestamp", key(ROGUE))
                    .expect("a top-level role");
            }
            if flags & 64 != 0 {
                // Two root keys, both needed.
                root.add_key("root", key(ROGUE)).expect("a top-level role");
                root.roles.get_mut("root").expect("root").threshold = 2;
            }
            if flags & 128 != 0 {
                // The snapshot key listed twice, threshold 2 (go-tuf #733).
                let r = root.roles.get_mut("snapshot").expect("snapshot");
                r.keyids.push(id(2));
                r.threshold = 2;
            }
            sign(root, 0, op)
        }
        1 => {
            let meta = made.meta("snapshot", 1 + u64::from(listed % 4), flags);
            let mut ts = Timestamp::new(expiry, meta);
            ts.common.version = version;
            sign(ts, 1, op)
        }
        2 => {
            let mut snap = Snapshot::new(expiry);
            snap.common.version = version;
            snap.meta.insert(
                "targets.json".into(),
                made.meta("targets", 1 + u64::from(listed % 4), flags),
            );
            if flags & 8 == 0 {
                snap.meta.insert(
                    "a.json".into(),
                    made.meta("a", 1 + u64::from((listed >> 2) % 4), flags),
                );
            }
            sign(snap, 2, op)
        }
        3 => {
            let mut targets = Targets::new(expiry);
            targets.common.version = version;
            let (mut keyids, mut threshold) = (vec![id(4)], 1);
            if flags & 32 != 0 {
                keyids = vec![id(ROGUE)];
            }
            if flags & 64 != 0 {
                keyids.push(id(ROGUE));
                threshold = 2;
            }
            if flags & 128 != 0 {
                keyids.push(keyids[0].clone());
                threshold = 2;
            }
            let mut keys = tuf_metadata::KeyMap::new();
            for k in [4, ROGUE] {
                keys.insert(id(k), key(k));
            }
            targets.delegations = Some(Delegations {
                keys,
                roles: DelegatedRoles::Roles(vec![DelegatedRole::new(
                    "a",
                    keyids,
                    threshold,
                    false,
                    PathSet::Paths(vec!["a/*".into()]),
                )]),
                unrecognized: Default::default(),
            });
            sign(targets, 3, op)
        }
        _ => {
            let mut a = Targets::new(expiry);
            a.common.version = version;
            sign(a, 4, op)
        }
    };
    (role, doc)
}

/// The trusted state, typed, with each document's canonical bytes for comparison.
#[derive(Clone)]
struct View {
    root: Root,
    timestamp: Option<Timestamp>,
    snapshot: Option<Snapshot>,
    roles: BTreeMap<String, Targets>,
    bytes: Vec<Vec<u8>>,
}

fn view(set: &TrustedSet) -> View {
    let canonical =
        |m: Option<std::borrow::Cow<'_, [u8]>>| m.map(|c| c.into_owned()).unwrap_or_default();
    // By slot: root, timestamp, snapshot, targets, a (empty when not loaded).
    let bytes = vec![
        set.root().canonical_signed().into_owned(),
        canonical(set.timestamp().map(|t| t.canonical_signed())),
        canonical(set.snapshot().map(|s| s.canonical_signed())),
        canonical(set.role("targets").map(|t| t.canonical_signed())),
        canonical(set.role("a").map(|t| t.canonical_signed())),
    ];
    View {
        root: set.root().signed().clone(),
        timestamp: set.timestamp().map(|t| t.signed().clone()),
        snapshot: set.snapshot().map(|s| s.signed().clone()),
        roles: ["targets", "a"]
            .into_iter()
            .filter_map(|r| Some((r.to_owned(), set.role(r)?.signed().clone())))
            .collect(),
        bytes,
    }
}

/// A threshold of distinct listed keys among those that really signed.
fn met(keyids: &[String], threshold: u64, signers: &BTreeSet<String>) -> bool {
    let distinct: BTreeSet<&String> = keyids.iter().collect();
    distinct.iter().filter(|k| signers.contains(**k)).count() as u64 >= threshold
}

fn met_root(root: &Root, role: &str, doc: &Doc) -> bool {
    root.role(role)
        .is_some_and(|r| met(&r.keyids, r.threshold, &doc.signers))
}

fn expired<T: Signed>(t: &T) -> bool {
    t.expires() <= reference()
}

fn listed_matches(meta: &MetaFile, bytes: &[u8]) -> bool {
    meta.length().is_none_or(|l| l == bytes.len() as u64)
        && meta
            .hashes()
            .is_none_or(|_| meta.verify_data("listed", bytes).is_ok())
}

/// The timestamp rules but expiry (5.4.2, 5.4.3): what even a kept expired one must keep.
fn timestamp_signed_and_no_rollback(before: &View, new: &Timestamp, doc: &Doc) -> bool {
    met_root(&before.root, "timestamp", doc)
        && before.timestamp.as_ref().is_none_or(|old| {
            new.version() > old.version() && new.snapshot_meta.version >= old.snapshot_meta.version
        })
}

/// The snapshot rules but expiry and the version match (5.5.2, 5.5.3, 5.5.5).
fn snapshot_signed_and_no_rollback(before: &View, new: &Snapshot, doc: &Doc, local: bool) -> bool {
    let Some(ts) = &before.timestamp else {
        return false;
    };
    met_root(&before.root, "snapshot", doc)
        && (local || listed_matches(&ts.snapshot_meta, &doc.bytes))
        && before.snapshot.as_ref().is_none_or(|old| {
            old.meta
                .iter()
                .all(|(f, m)| new.meta.get(f).is_some_and(|n| n.version >= m.version))
        })
}

fn final_snapshot(before: &View) -> Option<&Snapshot> {
    let ts = before.timestamp.as_ref().filter(|t| !expired(*t))?;
    before
        .snapshot
        .as_ref()
        .filter(|s| !expired(*s) && s.version() == ts.snapshot_meta.version)
}

fn check(
    role: usize,
    doc: &Doc,
    local: bool,
    before: &View,
    after: &View,
    result: Result<Option<Update>, UpdaterError>,
) {
    let name = ROLES[role];
    let changed: Vec<usize> = (0..before.bytes.len())
        .filter(|i| before.bytes[*i] != after.bytes[*i])
        .collect();
    match result {
        Ok(update) => match role {
            0 => {
                let new = Metadata::<Root>::from_bytes(&doc.bytes).expect("accepted, so it parses");
                let new = new.signed();
                assert_eq!(new.version(), before.root.version() + 1, "root: not N+1");
                assert!(
                    met_root(&before.root, "root", doc),
                    "root: not signed by the trusted root's keys"
                );
                assert!(
                    met_root(new, "root", doc),
                    "root: not signed by its own keys"
                );
                assert_eq!(&after.root, new);
            }
            1 => {
                let new =
                    Metadata::<Timestamp>::from_bytes(&doc.bytes).expect("accepted, so it parses");
                let new = new.signed();
                assert!(
                    !expired(&before.root),
                    "timestamp accepted under an expired root"
                );
                if update == Some(Update::Unchanged) {
                    assert!(changed.is_empty(), "timestamp unchanged, state changed");
                    assert!(
                        before
                            .timestamp
                            .as_ref()
                            .is_some_and(|t| t.version() == new.version())
                    );
                    assert!(
                        met_root(&before.root, "timestamp", doc),
                        "timestamp: threshold not met"
                    );
                } else {
                    assert!(
                        timestamp_signed_and_no_rollback(before, new, doc),
                        "timestamp: unsigned or a rollback accepted"
                    );
                    assert!(!expired(new), "an expired timestamp accepted");
                    assert_eq!(after.timestamp.as_ref(), Some(new));
                }
            }
            2 => {
                let new =
                    Metadata::<Snapshot>::from_bytes(&doc.bytes).expect("accepted, so it parses");
                let new = new.signed();
                let ts = before
                    .timestamp
                    .as_ref()
                    .expect("a snapshot needs a timestamp");
                assert!(
                    !expired(ts),
                    "a snapshot accepted under an expired timestamp"
                );
                assert!(
                    snapshot_signed_and_no_rollback(before, new, doc, local),
                    "snapshot: unsigned, mismatched or a rollback accepted"
                );
                assert!(!expired(new), "an expired snapshot accepted");
                assert_eq!(
                    new.version(),
                    ts.snapshot_meta.version,
                    "snapshot: not the version the timestamp names"
                );
                assert_eq!(after.snapshot.as_ref(), Some(new));
            }
            _ => {
                let new =
                    Metadata::<Targets>::from_bytes(&doc.bytes).expect("accepted, so it parses");
                let new = new.signed();
                let snap = final_snapshot(before).expect("targets need a valid snapshot");
                let meta = snap.role_meta(name).expect("listed in the snapshot");
                assert!(
                    listed_matches(meta, &doc.bytes),
                    "{name}: length or hashes do not match the snapshot"
                );
                assert_eq!(
                    new.version(),
                    meta.version,
                    "{name}: not the version the snapshot names"
                );
                assert!(!expired(new), "{name}: expired, accepted");
                let signed = if role == 3 {
                    met_root(&before.root, "targets", doc)
                } else {
                    let parent = before
                        .roles
                        .get("targets")
                        .expect("a is delegated by targets");
                    let d = parent.delegations.as_ref().expect("delegations");
                    let DelegatedRoles::Roles(roles) = &d.roles else {
                        panic!("roles")
                    };
                    roles
                        .iter()
                        .find(|r| r.name == "a")
                        .is_some_and(|r| met(&r.keyids, r.threshold, &doc.signers))
                };
                assert!(signed, "{name}: threshold of its delegator's keys not met");
                assert_eq!(after.roles.get(name), Some(new));
            }
        },
        Err(e) => {
            if changed.is_empty() {
                return;
            }
            // Only what the rules keep for rollback protection, properly signed.
            let kept = match (role, &e) {
                (1, UpdaterError::Expired { .. }) => {
                    let new =
                        Metadata::<Timestamp>::from_bytes(&doc.bytes).expect("kept, so it parses");
                    assert!(
                        timestamp_signed_and_no_rollback(before, new.signed(), doc),
                        "a kept timestamp unsigned or a rollback"
                    );
                    after.timestamp.as_ref() == Some(new.signed()) && changed == [1]
                }
                (2, UpdaterError::Expired { .. } | UpdaterError::VersionMismatch { .. }) => {
                    let new =
                        Metadata::<Snapshot>::from_bytes(&doc.bytes).expect("kept, so it parses");
                    assert!(
                        snapshot_signed_and_no_rollback(before, new.signed(), doc, local),
                        "a kept snapshot unsigned, mismatched or a rollback"
                    );
                    after.snapshot.as_ref() == Some(new.signed()) && changed == [2]
                }
                _ => false,
            };
            assert!(kept, "{name}: refused ({e}), but the trusted state changed");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    keys();
    let root = {
        let mut md = Metadata::new(root_v1());
        md.sign(&keys()[ROOT].0, false).expect("signing in memory");
        md.to_bytes(Layout::Compact)
    };
    let Ok(mut set) = TrustedSet::new(&root, reference()) else {
        panic!("the first root is trusted");
    };
    let mut made = Made::default();
    for chunk in data.chunks_exact(6) {
        let op: &[u8; 6] = chunk.try_into().expect("six bytes");
        let (role, doc) = make(op, &made);
        made.bytes.insert(ROLES[role], doc.bytes.clone());
        let local = op[1] & 16 != 0;
        let before = view(&set);
        let result = match role {
            0 => set.update_root(&doc.bytes).map(|_| None),
            1 => set.update_timestamp(&doc.bytes).map(Some),
            2 => set.update_snapshot(&doc.bytes, local).map(|()| None),
            3 => set.update_targets(&doc.bytes).map(|_| None),
            _ => set
                .update_delegated_targets(&doc.bytes, "a", "targets")
                .map(|_| None),
        };
        let after = view(&set);
        check(role, &doc, local, &before, &after, result);
    }
});
