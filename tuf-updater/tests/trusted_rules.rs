//! Every rule of the client workflow's metadata steps (spec 5.2–5.6) checked on the sans-I/O
//! trusted set directly, one test per rule, in the manner of python-tuf's
//! `test_trusted_metadata_set.py`: documents as bytes, a fixed reference time, nothing
//! fetched, nothing read from disk by the set. Each refusal also checks that the set still
//! holds exactly what it held before.

mod support;

use support::sim::{Sim, past, sign};
use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::{Expiry, Key, MetaFile, Root, Signed, Snapshot, Targets};
use tuf_updater::{TrustedSet, Update, UpdaterError};

/// The reference time of every refresh here (sim documents expire in 2099).
fn now() -> Expiry {
    Expiry::parse("2030-01-01T00:00:00Z").unwrap()
}

fn stranger() -> PrivateKey {
    PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap()
}

/// `doc` signed by the sim's keys for `role`.
fn by<T: Signed>(sim: &Sim, role: &str, doc: &T) -> Vec<u8> {
    let keys: Vec<&PrivateKey> = sim.keys[role].iter().collect();
    sign(doc, &keys)
}

/// A trusted set on the sim's root v1.
fn start(sim: &Sim) -> TrustedSet {
    TrustedSet::new(&sim.root_v1(), now()).unwrap()
}

/// A timestamp one version above the sim's, naming `snapshot` (its version, length, sha256).
fn timestamp_for(sim: &Sim, snapshot: &[u8], version: u64) -> Vec<u8> {
    let mut ts = sim.timestamp.clone();
    ts.common.version += 1;
    ts.snapshot_meta = MetaFile::of(version, snapshot, &[HashAlgorithm::Sha256]);
    by(sim, "timestamp", &ts)
}

/// A set with root and the timestamp naming `snapshot` (signed as given) loaded.
fn at_snapshot(sim: &Sim, snapshot: &Snapshot, signed: &[u8]) -> TrustedSet {
    let mut set = start(sim);
    set.update_timestamp(&timestamp_for(sim, signed, snapshot.version()))
        .unwrap();
    set
}

/// A set with root, a timestamp and a snapshot listing `targets.json` as `meta` loaded.
fn at_targets(sim: &Sim, meta: MetaFile) -> TrustedSet {
    let mut snap = sim.snapshot.clone();
    snap.common.version += 1;
    snap.meta.insert("targets.json".into(), meta);
    let bytes = by(sim, "snapshot", &snap);
    let mut set = at_snapshot(sim, &snap, &bytes);
    set.update_snapshot(&bytes, false).unwrap();
    set
}

/// A refusal for `role`'s signatures (or its document as a whole).
fn assert_signature_refused(err: &UpdaterError, role: &str) {
    assert!(
        matches!(err, UpdaterError::Metadata { role: r, .. } if r == role),
        "{role}: {err}"
    );
}

fn root_version(set: &TrustedSet) -> u64 {
    set.root().signed().version()
}

// --- 5.2 Load the trusted root ---------------------------------------------------------------

#[test]
fn r5_2_the_trusted_root_must_be_signed_by_its_own_threshold_and_may_be_expired() {
    let sim = Sim::new();
    assert!(TrustedSet::new(&sign(&sim.root, &[&stranger()]), now()).is_err());
    assert!(TrustedSet::new(&sim.read("timestamp.json"), now()).is_err());
    // "the expiration of the trusted root metadata file does not matter".
    let mut old = sim.root.clone();
    old.set_expires(past());
    assert!(TrustedSet::new(&by(&sim, "root", &old), now()).is_ok());
}

// --- 5.3 Update the root role ----------------------------------------------------------------

/// Root v2 of `sim` with its root key replaced by `new`.
fn rotated_root(sim: &Sim, new: &PrivateKey) -> Root {
    let mut root = sim.root.clone();
    for id in root.roles["root"].keyids.clone() {
        root.revoke_key("root", &id).unwrap();
    }
    root.add_key("root", Key::from_public_key(new.public_key()))
        .unwrap();
    root.bump_version().unwrap();
    root
}

#[test]
fn r5_3_4_a_new_root_needs_a_threshold_of_the_old_keys_and_of_its_own() {
    let sim = Sim::new();
    let old = &sim.keys["root"][0];
    let new = stranger();
    let r2 = rotated_root(&sim, &new);
    let mut set = start(&sim);
    for signers in [vec![&new], vec![old]] {
        let err = set.update_root(&sign(&r2, &signers)).unwrap_err();
        assert_signature_refused(&err, "root");
        assert_eq!(root_version(&set), 1);
    }
    set.update_root(&sign(&r2, &[old, &new])).unwrap();
    assert_eq!(root_version(&set), 2);
}

#[test]
fn r5_3_5_a_new_root_has_exactly_the_next_version() {
    let sim = Sim::new();
    let mut set = start(&sim);
    let mut r3 = sim.root.clone();
    r3.common.version = 3;
    let err = set.update_root(&by(&sim, "root", &r3)).unwrap_err();
    assert!(
        matches!(
            &err,
            UpdaterError::VersionMismatch {
                expected: 2,
                got: 3,
                section: "5.3.5",
                ..
            }
        ),
        "{err}"
    );
    assert!(set.update_root(&sim.root_v1()).is_err(), "the same version");
    assert_eq!(root_version(&set), 1);
}

#[test]
fn r5_3_6_an_expired_intermediate_root_is_fine_r5_3_10_an_expired_final_root_is_not() {
    let sim = Sim::new();
    let mut set = start(&sim);
    let mut r2 = sim.root.clone();
    r2.bump_version().unwrap();
    r2.set_expires(past());
    set.update_root(&by(&sim, "root", &r2)).unwrap();
    let err = set
        .update_timestamp(&sim.read("timestamp.json"))
        .unwrap_err();
    assert!(
        matches!(&err, UpdaterError::Expired { role, section: "5.3.10", .. } if role == "root"),
        "{err}"
    );
    assert!(set.timestamp().is_none());
    // A later, unexpired root ends the freeze.
    let mut r3 = r2.clone();
    r3.bump_version().unwrap();
    r3.set_expires(sim.root.expires());
    set.update_root(&by(&sim, "root", &r3)).unwrap();
    set.update_timestamp(&sim.read("timestamp.json")).unwrap();
}

#[test]
fn r5_3_the_root_cannot_change_once_a_timestamp_is_trusted() {
    let sim = Sim::new();
    let mut set = start(&sim);
    set.update_timestamp(&sim.read("timestamp.json")).unwrap();
    let mut r2 = sim.root.clone();
    r2.bump_version().unwrap();
    let err = set.update_root(&by(&sim, "root", &r2)).unwrap_err();
    assert!(matches!(err, UpdaterError::State(_)), "{err}");
    assert_eq!(root_version(&set), 1);
}

// --- 5.4 Update the timestamp role -----------------------------------------------------------

#[test]
fn r5_4_2_the_timestamp_is_signed_by_the_roots_timestamp_keys() {
    let sim = Sim::new();
    let mut set = start(&sim);
    for bytes in [
        sign(&sim.timestamp, &[&stranger()]),
        by(&sim, "snapshot", &sim.timestamp),
    ] {
        let err = set.update_timestamp(&bytes).unwrap_err();
        assert_signature_refused(&err, "timestamp");
        assert!(set.timestamp().is_none());
    }
}

#[test]
fn r5_4_3_1_the_timestamp_version_never_goes_back_and_an_equal_one_changes_nothing() {
    let sim = Sim::new();
    let mut set = start(&sim);
    let mut v2 = sim.timestamp.clone();
    v2.common.version = 2;
    let v2_bytes = by(&sim, "timestamp", &v2);
    set.update_timestamp(&v2_bytes).unwrap();
    let err = set
        .update_timestamp(&sim.read("timestamp.json"))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UpdaterError::Rollback {
                got: 1,
                trusted: 2,
                section: "5.4.3.1",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(set.timestamp().unwrap().signed().version(), 2);
    assert_eq!(set.update_timestamp(&v2_bytes).unwrap(), Update::Unchanged);
}

#[test]
fn r5_4_3_2_the_snapshot_version_a_timestamp_names_never_goes_back() {
    let sim = Sim::new();
    let mut set = start(&sim);
    let mut ts = sim.timestamp.clone();
    ts.common.version = 2;
    ts.snapshot_meta = MetaFile::new(5);
    set.update_timestamp(&by(&sim, "timestamp", &ts)).unwrap();
    ts.common.version = 3;
    ts.snapshot_meta = MetaFile::new(4);
    let err = set
        .update_timestamp(&by(&sim, "timestamp", &ts))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            UpdaterError::Rollback {
                got: 4,
                trusted: 5,
                section: "5.4.3.2",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(set.timestamp().unwrap().signed().version(), 2);
}

#[test]
fn r5_4_4_an_expired_timestamp_is_refused_and_never_lets_a_snapshot_in() {
    let sim = Sim::new();
    let mut set = start(&sim);
    let mut ts = sim.timestamp.clone();
    ts.set_expires(past());
    let err = set
        .update_timestamp(&by(&sim, "timestamp", &ts))
        .unwrap_err();
    assert!(
        matches!(&err, UpdaterError::Expired { role, section: "5.4.4", .. } if role == "timestamp"),
        "{err}"
    );
    // Kept for later rollback checks (as python-tuf does), never usable as final.
    let snap = sim.read("1.snapshot.json");
    assert!(matches!(
        set.update_snapshot(&snap, false),
        Err(UpdaterError::Expired {
            section: "5.4.4",
            ..
        })
    ));
    assert!(set.snapshot().is_none());
}

// --- 5.5 Update the snapshot role ------------------------------------------------------------

#[test]
fn r5_5_the_snapshot_waits_for_a_timestamp() {
    let sim = Sim::new();
    let mut set = start(&sim);
    let err = set
        .update_snapshot(&sim.read("1.snapshot.json"), false)
        .unwrap_err();
    assert!(matches!(err, UpdaterError::State(_)), "{err}");
}

#[test]
fn r5_5_2_the_snapshot_matches_the_length_and_hashes_the_timestamp_lists() {
    let sim = Sim::new();
    let mut set = start(&sim);
    set.update_timestamp(&sim.read("timestamp.json")).unwrap();
    // Validly signed, same version, other bytes: a mix-and-match.
    let mut other = sim.snapshot.clone();
    other.meta.insert("extra.json".into(), MetaFile::new(1));
    let err = set
        .update_snapshot(&by(&sim, "snapshot", &other), false)
        .unwrap_err();
    assert!(
        matches!(&err, UpdaterError::LengthOrHash { role, section: "5.5.2", .. } if role == "snapshot"),
        "{err}"
    );
    assert!(set.snapshot().is_none());
    set.update_snapshot(&sim.read("1.snapshot.json"), false)
        .unwrap();
}

#[test]
fn r5_5_3_the_snapshot_is_signed_by_the_roots_snapshot_keys() {
    let sim = Sim::new();
    let bytes = sign(&sim.snapshot, &[&stranger()]);
    let mut set = at_snapshot(&sim, &sim.snapshot, &bytes);
    let err = set.update_snapshot(&bytes, false).unwrap_err();
    assert_signature_refused(&err, "snapshot");
    assert!(set.snapshot().is_none());
}

#[test]
fn r5_5_4_the_snapshot_has_the_version_the_timestamp_names() {
    let sim = Sim::new();
    let bytes = by(&sim, "snapshot", &sim.snapshot);
    let mut set = start(&sim);
    set.update_timestamp(&timestamp_for(&sim, &bytes, 2))
        .unwrap();
    let err = set.update_snapshot(&bytes, false).unwrap_err();
    assert!(
        matches!(
            &err,
            UpdaterError::VersionMismatch {
                expected: 2,
                got: 1,
                section: "5.5.4",
                ..
            }
        ),
        "{err}"
    );
    // Kept for rollback checks, as python-tuf keeps it, but never final: no targets load.
    assert!(set.update_targets(&sim.read("1.targets.json")).is_err());
    assert!(set.targets().is_none());
}

#[test]
fn r5_5_5_no_file_the_trusted_snapshot_lists_goes_back_or_disappears() {
    let sim = Sim::new();
    // Trusted: timestamp v2 naming snapshot v2, which lists targets v5 and a.json v1.
    let mut trusted = sim.snapshot.clone();
    trusted.common.version = 2;
    trusted.meta.insert("targets.json".into(), MetaFile::new(5));
    for (file, v) in [("a.json", 1), ("c.json", 2), ("e.json", 3)] {
        trusted.meta.insert(file.into(), MetaFile::new(v));
    }
    let trusted_bytes = by(&sim, "snapshot", &trusted);
    // Checked in one pass over both sorted lists: files before, between and after the new
    // snapshot's own additions.
    for (change, want) in [
        (("targets.json", Some(4)), "rollback"),
        (("e.json", Some(2)), "rollback"),
        (("a.json", None), "removed a.json"),
        (("c.json", None), "removed c.json"),
        (("e.json", None), "removed e.json"),
        (("c.json", Some(3)), "ok"),
    ] {
        let mut new = trusted.clone();
        new.common.version = 3;
        for added in ["0.json", "b.json", "d.json", "f.json"] {
            new.meta.insert(added.into(), MetaFile::new(1));
        }
        match change {
            (file, Some(v)) => {
                new.meta.insert(file.into(), MetaFile::new(v));
            }
            (file, None) => {
                new.meta.remove(file);
            }
        }
        let new_bytes = by(&sim, "snapshot", &new);
        // The new timestamp comes first; the local snapshot is then no longer the final one.
        let mut set2 = start(&sim);
        let mut ts = sim.timestamp.clone();
        ts.common.version = 2;
        ts.snapshot_meta = MetaFile::of(2, &trusted_bytes, &[HashAlgorithm::Sha256]);
        set2.load_local_timestamp(&by(&sim, "timestamp", &ts))
            .unwrap();
        ts.common.version = 3;
        ts.snapshot_meta = MetaFile::of(3, &new_bytes, &[HashAlgorithm::Sha256]);
        set2.update_timestamp(&by(&sim, "timestamp", &ts)).unwrap();
        assert!(matches!(
            set2.load_local_snapshot(&trusted_bytes),
            Err(UpdaterError::VersionMismatch {
                section: "5.5.4",
                ..
            })
        ));
        if want == "ok" {
            set2.update_snapshot(&new_bytes, false).unwrap();
            assert_eq!(set2.snapshot().unwrap().signed().version(), 3);
            continue;
        }
        let err = set2.update_snapshot(&new_bytes, false).unwrap_err();
        match want.strip_prefix("removed ") {
            None => assert!(
                matches!(
                    &err,
                    UpdaterError::Rollback {
                        got,
                        trusted,
                        section: "5.5.5",
                        ..
                    } if *got + 1 == *trusted
                ),
                "{err}"
            ),
            Some(gone) => assert!(
                matches!(&err, UpdaterError::MetaRemoved { file } if file == gone),
                "{err}"
            ),
        }
        assert_eq!(set2.snapshot().unwrap().signed().version(), 2);
    }
}

#[test]
fn r5_5_6_an_expired_snapshot_is_refused_and_never_lets_targets_in() {
    let sim = Sim::new();
    let mut snap = sim.snapshot.clone();
    snap.set_expires(past());
    let bytes = by(&sim, "snapshot", &snap);
    let mut set = at_snapshot(&sim, &snap, &bytes);
    let err = set.update_snapshot(&bytes, false).unwrap_err();
    assert!(
        matches!(&err, UpdaterError::Expired { role, section: "5.5.6", .. } if role == "snapshot"),
        "{err}"
    );
    assert!(set.update_targets(&sim.read("1.targets.json")).is_err());
    assert!(set.targets().is_none());
}

// --- 5.6 Update the targets role -------------------------------------------------------------

#[test]
fn r5_6_targets_wait_for_a_snapshot() {
    let sim = Sim::new();
    let mut set = start(&sim);
    set.update_timestamp(&sim.read("timestamp.json")).unwrap();
    assert!(set.update_targets(&sim.read("1.targets.json")).is_err());
}

#[test]
fn r5_6_1_a_role_the_snapshot_does_not_list_is_refused() {
    let mut sim = Sim::new();
    sim.delegate("targets", "a", &["a/*"], false);
    sim.publish();
    let mut snap = sim.snapshot.clone();
    snap.meta.remove("a.json");
    snap.common.version += 1;
    let bytes = by(&sim, "snapshot", &snap);
    let mut set = at_snapshot(&sim, &snap, &bytes);
    set.update_snapshot(&bytes, false).unwrap();
    set.update_targets(&sim.read("2.targets.json")).unwrap();
    let err = set
        .update_delegated_targets(&sim.read("1.a.json"), "a", "targets")
        .unwrap_err();
    assert!(
        matches!(&err, UpdaterError::NotInSnapshot { role } if role == "a"),
        "{err}"
    );
    assert!(set.role("a").is_none());
}

#[test]
fn r5_6_2_targets_match_the_length_and_hashes_the_snapshot_lists() {
    let sim = Sim::new();
    let good = sim.read("1.targets.json");
    let mut set = at_targets(&sim, MetaFile::of(1, &good, &[HashAlgorithm::Sha256]));
    let mut other = sim.targets.clone();
    other.set_expires(Expiry::parse("2098-01-01T00:00:00Z").unwrap());
    let err = set
        .update_targets(&by(&sim, "targets", &other))
        .unwrap_err();
    assert!(
        matches!(&err, UpdaterError::LengthOrHash { role, section: "5.6.2", .. } if role == "targets"),
        "{err}"
    );
    assert!(set.targets().is_none());
    set.update_targets(&good).unwrap();
}

#[test]
fn r5_6_3_targets_are_signed_by_the_keys_their_delegator_assigns() {
    let mut sim = Sim::new();
    sim.delegate("targets", "a", &["a/*"], false);
    sim.publish();
    let mut set = start(&sim);
    set.update_timestamp(&sim.read("timestamp.json")).unwrap();
    set.update_snapshot(&sim.read("2.snapshot.json"), false)
        .unwrap();
    // Top-level targets: the root's targets keys.
    for bytes in [
        sign(&sim.targets, &[&stranger()]),
        by(&sim, "snapshot", &sim.targets),
    ] {
        let err = set.update_targets(&bytes).unwrap_err();
        assert_signature_refused(&err, "targets");
        assert!(set.targets().is_none());
    }
    set.update_targets(&sim.read("2.targets.json")).unwrap();
    // A delegated role: the keys the delegating role lists for it, not the delegator's own.
    let a = sim.delegated["a"].clone();
    let err = set
        .update_delegated_targets(&by(&sim, "targets", &a), "a", "targets")
        .unwrap_err();
    assert_signature_refused(&err, "a");
    assert!(set.role("a").is_none());
    set.update_delegated_targets(&sim.read("1.a.json"), "a", "targets")
        .unwrap();
    // A delegator that is not loaded cannot vouch for anything.
    let mut set2 = start(&sim);
    set2.update_timestamp(&sim.read("timestamp.json")).unwrap();
    set2.update_snapshot(&sim.read("2.snapshot.json"), false)
        .unwrap();
    assert!(
        set2.update_delegated_targets(&sim.read("1.a.json"), "a", "targets")
            .is_err()
    );
}

#[test]
fn r5_6_4_targets_have_the_version_the_snapshot_names() {
    let sim = Sim::new();
    let mut set = at_targets(&sim, MetaFile::new(2));
    let err = set.update_targets(&sim.read("1.targets.json")).unwrap_err();
    assert!(
        matches!(
            &err,
            UpdaterError::VersionMismatch {
                expected: 2,
                got: 1,
                section: "5.6.4",
                ..
            }
        ),
        "{err}"
    );
    assert!(set.targets().is_none());
}

#[test]
fn r5_6_5_expired_targets_are_refused() {
    let sim = Sim::new();
    let mut set = at_targets(&sim, MetaFile::new(1));
    let mut t: Targets = sim.targets.clone();
    t.set_expires(past());
    let err = set.update_targets(&by(&sim, "targets", &t)).unwrap_err();
    assert!(
        matches!(&err, UpdaterError::Expired { role, section: "5.6.5", .. } if role == "targets"),
        "{err}"
    );
    assert!(set.targets().is_none());
}

#[test]
fn refused_documents_of_every_role_leave_the_set_as_it_was() {
    // A full, good chain, then one bad document per step: the getters return what they did.
    let sim = Sim::new();
    let mut set = start(&sim);
    set.update_timestamp(&sim.read("timestamp.json")).unwrap();
    set.update_snapshot(&sim.read("1.snapshot.json"), false)
        .unwrap();
    set.update_targets(&sim.read("1.targets.json")).unwrap();
    let before = (
        set.root().clone(),
        set.timestamp().cloned(),
        set.snapshot().cloned(),
        set.targets().cloned(),
    );
    let garbage: &[&[u8]] = &[b"", b"{}", b"[1,2]", b"\xff\xfe", b"{\"signed\":{}}"];
    for bytes in garbage {
        assert!(set.update_root(bytes).is_err());
        assert!(set.update_timestamp(bytes).is_err());
        assert!(set.update_snapshot(bytes, false).is_err());
        assert!(set.update_targets(bytes).is_err());
    }
    assert_eq!(
        before,
        (
            set.root().clone(),
            set.timestamp().cloned(),
            set.snapshot().cloned(),
            set.targets().cloned(),
        )
    );
}
