//! The sans-I/O trusted set on its own: spec 5.3.11 (a rotation of the timestamp or snapshot
//! keys deletes the trusted timestamp and snapshot; any other rotation keeps them), without a
//! network or a disk.

mod support;

use support::sim::Sim;
use tuf_metadata::{Expiry, Key, Signed};
use tuf_updater::{TrustedSet, Update, UpdaterError};

/// A repository at root v1 with its timestamp and snapshot published, and a trusted
/// set that has walked to the newest root after `change` edited the root.
fn walk(change: impl FnOnce(&mut Sim)) -> (Sim, TrustedSet, Vec<u8>, Vec<u8>) {
    let mut sim = Sim::new();
    sim.publish();
    let timestamp = sim.read("timestamp.json");
    let snapshot = sim.read(&format!("{}.snapshot.json", sim.snapshot.common.version));
    let first = sim.root.common.version;
    change(&mut sim);
    let mut set = TrustedSet::new(&sim.read("1.root.json"), Expiry::now()).unwrap();
    for v in 2..=sim.root.common.version {
        assert!(first < v);
        set.update_root(&sim.read(&format!("{v}.root.json")))
            .unwrap();
    }
    (sim, set, timestamp, snapshot)
}

#[test]
fn rotating_only_the_snapshot_key_deletes_the_trusted_timestamp_and_snapshot() {
    let (_sim, mut set, ts, snap) = walk(|s| s.rotate("snapshot"));
    assert!(set.online_keys_rotated());
    let err = set.load_local_timestamp(&ts).unwrap_err();
    assert!(
        matches!(&err, UpdaterError::State(m) if m.contains("5.3.11")),
        "{err}"
    );
    assert!(
        set.timestamp().is_none(),
        "a refused document leaves the set unchanged"
    );
    // The same bytes arriving from the repository are a new timestamp, checked as usual.
    assert_eq!(set.update_timestamp(&ts).unwrap(), Update::Applied);
    assert!(set.load_local_snapshot(&snap).is_err());
}

#[test]
fn rotating_only_the_timestamp_key_deletes_them_too() {
    let (_sim, mut set, ts, snap) = walk(|s| s.rotate("timestamp"));
    assert!(set.online_keys_rotated());
    assert!(set.load_local_timestamp(&ts).is_err());
    assert!(set.load_local_snapshot(&snap).is_err());
}

#[test]
fn rotating_both_deletes_them() {
    let (_sim, set, _, _) = walk(|s| {
        s.rotate("timestamp");
        s.rotate("snapshot");
    });
    assert!(set.online_keys_rotated());
}

#[test]
fn a_threshold_change_counts_as_a_rotation() {
    let (_sim, set, _, _) = walk(|s| {
        s.root.roles.get_mut("snapshot").unwrap().threshold = 2;
        let extra = Key::from_public_key(tuf_crypto::Signer::public_key(&s.keys["targets"][0]));
        s.root.add_key("snapshot", extra).unwrap();
        s.root.bump_version().unwrap();
        s.publish_root();
    });
    assert!(set.online_keys_rotated());
}

#[test]
fn rotations_that_leave_the_online_keys_alone_keep_the_anchors() {
    let (_sim, mut set, ts, snap) = walk(|s| {
        s.rotate("root");
        s.rotate("targets");
        s.root.bump_version().unwrap();
        s.publish_root();
    });
    assert_eq!(set.root().signed().common.version, 4);
    assert!(!set.online_keys_rotated());
    assert_eq!(set.load_local_timestamp(&ts).unwrap(), Update::Applied);
    set.load_local_snapshot(&snap).unwrap();
}
