//! Builders used by repository writers: create, edit, sign, serialize, read back.

use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::json::Layout;
use tuf_metadata::{
    DelegatedRole, DelegatedRoles, Expiry, Key, MetaFile, Metadata, MetadataError, PathSet, Root,
    Signed, Snapshot, SuccinctRoles, TargetFile, Targets, Timestamp,
};

fn expires() -> Expiry {
    Expiry::parse("2031-06-01T00:00:00Z").unwrap()
}

#[test]
fn root_keys_thresholds_and_rotation() {
    let a = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let b = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let mut root = Root::new(expires());
    root.add_key("root", Key::from_public_key(a.public_key()))
        .unwrap();
    root.add_key("root", Key::from_public_key(b.public_key()))
        .unwrap();
    root.add_key("timestamp", Key::from_public_key(b.public_key()))
        .unwrap();
    assert!(
        root.add_key("mirrors", Key::from_public_key(a.public_key()))
            .is_err()
    );
    root.roles.get_mut("root").unwrap().threshold = 2;
    let mut md = Metadata::new(root.clone());
    md.sign(&a, false).unwrap();
    // One of two signatures: below threshold.
    let err = root.verify_delegate("root", &md).unwrap_err();
    assert!(
        err.to_string()
            .contains("1 valid signature(s) from distinct authorised keys, 2 required"),
        "{err}"
    );
    md.sign(&b, true).unwrap();
    assert_eq!(root.verify_delegate("root", &md).unwrap().len(), 2);
    // Signing again with the same key replaces its signature rather than adding one.
    md.sign(&b, true).unwrap();
    assert_eq!(md.signatures().len(), 2);

    // Rotate: revoke `a` from root; no other role uses it, so its key entry goes too.
    let a_id = a.keyid();
    let mut next = md.signed().clone();
    next.revoke_key("root", &a_id).unwrap();
    assert!(!next.keys.contains_key(&a_id));
    assert!(next.revoke_key("root", &a_id).is_err());
    // b is still used by timestamp after leaving root.
    next.revoke_key("root", &b.keyid()).unwrap();
    assert!(next.keys.contains_key(&b.keyid()));
    assert_eq!(next.bump_version().unwrap(), 2);
    next.set_expires(expires().after(std::time::Duration::from_secs(10)));
    assert_eq!(next.expires().to_string(), "2031-06-01T00:00:10Z");
}

#[test]
fn editing_after_parsing_drops_the_received_bytes() {
    let k = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let mut root = Root::new(expires());
    root.add_key("snapshot", Key::from_public_key(k.public_key()))
        .unwrap();
    let mut md = Metadata::new(Snapshot::new(expires()));
    md.sign(&k, false).unwrap();
    let mut parsed = Metadata::<Snapshot>::from_bytes(&md.to_bytes(Layout::Pretty)).unwrap();
    root.verify_delegate("snapshot", &parsed).unwrap();
    parsed
        .signed_mut()
        .meta
        .insert("bins-1.json".into(), MetaFile::new(4));
    // The old signature no longer covers the content...
    assert!(root.verify_delegate("snapshot", &parsed).is_err());
    // ...until it is signed again.
    parsed.sign(&k, false).unwrap();
    root.verify_delegate("snapshot", &parsed).unwrap();
    let again = Metadata::<Snapshot>::from_bytes(&parsed.to_bytes(Layout::Compact)).unwrap();
    assert_eq!(again.signed().role_meta("bins-1").unwrap().version, 4);
}

#[test]
fn targets_and_delegations_edit_and_verify() {
    let top = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let dk = PrivateKey::generate(KeyAlgorithm::EcdsaP384).unwrap();
    let dkey = Key::from_public_key(dk.public_key());
    let mut t = Targets::new(expires());
    t.add_target(
        "a.txt",
        TargetFile::of(b"a", &[HashAlgorithm::Sha256]).unwrap(),
    );
    assert!(t.remove_target("a.txt").is_some());
    assert!(t.remove_target("a.txt").is_none());
    let role = DelegatedRole::new(
        "pkgs",
        vec![dkey.keyid()],
        1,
        false,
        PathSet::Paths(vec!["packages/*".into()]),
    );
    t.add_delegated_role(role.clone(), vec![dkey.clone()])
        .unwrap();
    assert!(matches!(
        t.add_delegated_role(role, vec![]),
        Err(MetadataError::Edit { .. })
    ));
    let bad = DelegatedRole::new("targets", vec![], 1, false, PathSet::Paths(vec![]));
    assert!(t.add_delegated_role(bad, vec![]).is_err());

    let mut pkgs = Targets::new(expires());
    pkgs.add_target(
        "packages/x.whl",
        TargetFile::of(b"wheel", &[HashAlgorithm::Sha512]).unwrap(),
    );
    let mut pkgs_md = Metadata::new(pkgs);
    pkgs_md.sign(&dk, false).unwrap();
    let pkgs_md = Metadata::<Targets>::from_bytes(&pkgs_md.to_bytes(Layout::Compact)).unwrap();
    t.verify_delegate("pkgs", &pkgs_md).unwrap();
    assert!(t.verify_delegate("other", &pkgs_md).is_err());
    // Signed by the wrong key: refused.
    let mut wrong = Metadata::new(pkgs_md.signed().clone());
    wrong.sign(&top, false).unwrap();
    assert!(t.verify_delegate("pkgs", &wrong).is_err());

    let removed = t.remove_delegated_role("pkgs").unwrap();
    assert_eq!(removed.name, "pkgs");
    assert!(
        t.delegations.as_ref().unwrap().keys.is_empty(),
        "unused keys go with the role"
    );
    assert!(t.remove_delegated_role("pkgs").is_err());
}

#[test]
fn succinct_bins_naming_matches_tap15() {
    for (bits, width, last) in [
        (1u8, 1usize, "b-1"),
        (4, 1, "b-f"),
        (8, 2, "b-ff"),
        (10, 3, "b-3ff"),
        (14, 4, "b-3fff"),
        (32, 8, "b-ffffffff"),
    ] {
        let s = SuccinctRoles::new(vec![], 1, bits, "b").unwrap();
        assert_eq!(s.suffix_len(), width);
        assert_eq!(s.role_name(s.bin_count() - 1), last);
        assert!(s.is_delegated_role(last));
        assert!(!s.is_delegated_role(&format!("{last}0")));
    }
    assert!(SuccinctRoles::new(vec![], 1, 0, "b").is_none());
    assert!(SuccinctRoles::new(vec![], 1, 33, "b").is_none());
    let s = SuccinctRoles::new(vec![], 1, 10, "bin").unwrap();
    assert!(!s.is_delegated_role("bin-400"), "out of range");
    assert!(!s.is_delegated_role("bin-zzz"));
    assert!(!s.is_delegated_role("bins-001"));
    assert_eq!(s.role_names().count(), 1024);
    // sha256("") starts e3b0c442: the first 10 bits are 0b1110001110 = 0x38e.
    assert_eq!(s.role_for_target(""), "bin-38e");

    let k = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    let mut t = Targets::new(expires());
    t.set_succinct_roles(s.clone(), vec![Key::from_public_key(k.public_key())]);
    let d = t.delegations.as_ref().unwrap();
    assert!(matches!(d.roles, DelegatedRoles::Succinct(_)));
    let who = d.roles_for_target("packages/foo.tar.gz");
    assert_eq!(who.len(), 1);
    assert!(who[0].1, "bins are terminating");
    assert_eq!(d.role_keys(&who[0].0).unwrap().1, 1);
    assert!(d.role_keys("bin-400").is_none());
}

#[test]
fn timestamp_and_snapshot_builders() {
    let snap_bytes = b"{}";
    let mut ts = Timestamp::new(
        expires(),
        MetaFile::of(
            3,
            snap_bytes,
            &[HashAlgorithm::Sha256, HashAlgorithm::Sha512],
        ),
    );
    assert!(
        ts.snapshot_meta
            .verify_data("snapshot.json", snap_bytes)
            .is_ok()
    );
    assert!(
        ts.snapshot_meta
            .verify_data("snapshot.json", b"{ }")
            .is_err()
    );
    ts.snapshot_meta = MetaFile::new(4);
    assert!(
        ts.snapshot_meta
            .verify_data("snapshot.json", b"anything")
            .is_ok(),
        "version only: nothing to check"
    );
    let md = Metadata::new(ts);
    let back = Metadata::<Timestamp>::from_bytes(&md.to_bytes(Layout::Pretty)).unwrap();
    assert_eq!(back.signed().snapshot_meta.version, 4);
    let snapshot = Snapshot::new(expires());
    assert_eq!(snapshot.role_meta("targets").unwrap().version, 1);
}
