//! Interoperability with python-tuf 7.0.1: every fixture case in `data/python-tuf/` (copied
//! from the shared fixtures, see PROVENANCE.md there) parses, re-serializes byte for byte,
//! verifies, and leads to the conclusions its `case.json` states.

use serde_json::Value as Json;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use tuf_metadata::json::{self, Layout};
use tuf_metadata::{Expiry, Metadata, MetadataError, Root, Signed, Snapshot, Targets, Timestamp};

fn cases() -> Vec<(PathBuf, Json)> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/python-tuf");
    let index: Json =
        serde_json::from_slice(&std::fs::read(base.join("index.json")).unwrap()).unwrap();
    let out: Vec<_> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let dir = base.join(c["name"].as_str().unwrap());
            let case =
                serde_json::from_slice(&std::fs::read(dir.join("case.json")).unwrap()).unwrap();
            (dir, case)
        })
        .collect();
    assert_eq!(out.len(), 9, "all nine python-tuf cases are present");
    out
}

fn layout(case: &Json) -> Layout {
    if case["serialization"].as_str().unwrap().contains("indent") {
        Layout::Pretty
    } else {
        Layout::Compact
    }
}

fn role_type(bytes: &[u8]) -> String {
    let v = json::parse(bytes).unwrap();
    let signed = v.as_object().unwrap()["signed"].as_object().unwrap();
    signed["_type"].as_str().unwrap().to_owned()
}

/// Role name from a served file name: `3.bins-0a.json` -> `bins-0a`, `timestamp.json` -> `timestamp`.
fn role_name(file: &str) -> String {
    let stem = file.strip_suffix(".json").unwrap();
    match stem.split_once('.') {
        Some((v, rest)) if v.bytes().all(|b| b.is_ascii_digit()) => rest.to_owned(),
        _ => stem.to_owned(),
    }
}

fn reserialize<T: Signed>(bytes: &[u8], name: &str, layout: Layout) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let md = Metadata::<T>::from_bytes_named(bytes, name, Default::default()).unwrap();
    let model_canonical = Metadata::new(md.signed().clone())
        .canonical_signed()
        .into_owned();
    (
        md.to_bytes(layout),
        md.canonical_signed().into_owned(),
        model_canonical,
    )
}

#[test]
fn every_metadata_file_parses_and_reserializes_byte_for_byte() {
    let mut files = 0;
    for (dir, case) in cases() {
        for entry in std::fs::read_dir(dir.join("metadata")).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = role_name(path.file_name().unwrap().to_str().unwrap());
            let (out, received, model) = match role_type(&bytes).as_str() {
                "root" => reserialize::<Root>(&bytes, &name, layout(&case)),
                "timestamp" => reserialize::<Timestamp>(&bytes, &name, layout(&case)),
                "snapshot" => reserialize::<Snapshot>(&bytes, &name, layout(&case)),
                "targets" => reserialize::<Targets>(&bytes, &name, layout(&case)),
                other => panic!("unknown type {other}"),
            };
            assert!(
                out == bytes,
                "{} does not re-serialize byte for byte",
                path.display()
            );
            assert!(
                received == model,
                "{}: canonical form of the model differs",
                path.display()
            );
            files += 1;
        }
    }
    assert!(files > 280, "read {files} metadata files");
}

#[test]
fn keyids_recompute_and_every_key_is_usable() {
    let mut keys = 0;
    for (dir, _) in cases() {
        for entry in std::fs::read_dir(dir.join("metadata")).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let map = match role_type(&bytes).as_str() {
                "root" => {
                    Metadata::<Root>::from_bytes(&bytes)
                        .unwrap()
                        .into_signed()
                        .keys
                }
                "targets" => match Metadata::<Targets>::from_bytes(&bytes)
                    .unwrap()
                    .into_signed()
                    .delegations
                {
                    Some(d) => d.keys,
                    None => continue,
                },
                _ => continue,
            };
            for (keyid, key) in &map {
                assert_eq!(&key.keyid(), keyid, "{}", path.display());
                let pk = key.public_key().unwrap();
                assert_eq!(&pk.keyid(), keyid);
                keys += 1;
            }
        }
    }
    assert!(keys > 30, "checked {keys} keys");
}

/// A minimal offline walk of the spec's client workflow over the fixture files, enough to
/// check what each case.json concludes (the real updater lives in `tuf-updater`).
struct Walk {
    dir: PathBuf,
    root: Metadata<Root>,
    snapshot: Option<Metadata<Snapshot>>,
    roles: BTreeMap<String, Metadata<Targets>>,
}

impl Walk {
    fn read(&self, file: &str) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join("metadata").join(file)).ok()
    }

    fn file_name(&self, role: &str, version: u64) -> String {
        if self.root.signed().consistent_snapshot() {
            format!("{version}.{role}.json")
        } else {
            format!("{role}.json")
        }
    }

    fn refresh(dir: &Path, case: &Json, now: Expiry) -> Walk {
        let root_bytes = std::fs::read(dir.join(case["trusted_root"].as_str().unwrap())).unwrap();
        let root = Metadata::<Root>::from_bytes(&root_bytes).unwrap();
        root.signed().verify_delegate("root", &root).unwrap();
        let mut w = Walk {
            dir: dir.to_owned(),
            root,
            snapshot: None,
            roles: BTreeMap::new(),
        };
        // 5.3: root N+1 must be signed by a threshold of root N's and of its own root keys.
        loop {
            let next_version = w.root.signed().version() + 1;
            let Some(bytes) = w.read(&format!("{next_version}.root.json")) else {
                break;
            };
            let next = Metadata::<Root>::from_bytes(&bytes).unwrap();
            w.root.signed().verify_delegate("root", &next).unwrap();
            next.signed().verify_delegate("root", &next).unwrap();
            assert_eq!(next.signed().version(), next_version);
            w.root = next;
        }
        assert!(!w.root.signed().is_expired_at(now));
        let root = w.root.signed();
        // 5.4 timestamp.
        let ts = Metadata::<Timestamp>::from_bytes(&w.read("timestamp.json").unwrap()).unwrap();
        root.verify_delegate("timestamp", &ts).unwrap();
        assert!(!ts.signed().is_expired_at(now));
        // 5.5 snapshot.
        let sm = &ts.signed().snapshot_meta;
        let bytes = w.read(&w.file_name("snapshot", sm.version)).unwrap();
        sm.verify_data("snapshot.json", &bytes).unwrap();
        let snap = Metadata::<Snapshot>::from_bytes(&bytes).unwrap();
        root.verify_delegate("snapshot", &snap).unwrap();
        assert_eq!(snap.signed().version(), sm.version);
        assert!(!snap.signed().is_expired_at(now));
        // 5.6 targets.
        let tm = snap.signed().role_meta("targets").unwrap().clone();
        let bytes = w.read(&w.file_name("targets", tm.version)).unwrap();
        tm.verify_data("targets.json", &bytes).unwrap();
        let targets = Metadata::<Targets>::from_bytes(&bytes).unwrap();
        root.verify_delegate("targets", &targets).unwrap();
        assert_eq!(targets.signed().version(), tm.version);
        assert!(!targets.signed().is_expired_at(now));

        let versions = &case["expect"][0]["versions"];
        assert_eq!(versions["root"], root.version());
        assert_eq!(versions["timestamp"], ts.signed().version());
        assert_eq!(versions["snapshot"], snap.signed().version());
        assert_eq!(versions["targets"], targets.signed().version());
        w.snapshot = Some(snap);
        w.roles.insert("targets".into(), targets);
        w
    }

    /// Loads delegated role `name`, verified by its delegator (5.6.3) and snapshot (5.6.2).
    fn load_delegated(&mut self, name: &str, parent: &str, now: Expiry) {
        if self.roles.contains_key(name) {
            return;
        }
        let meta = self
            .snapshot
            .as_ref()
            .unwrap()
            .signed()
            .role_meta(name)
            .unwrap()
            .clone();
        let bytes = self.read(&self.file_name(name, meta.version)).unwrap();
        meta.verify_data(name, &bytes).unwrap();
        let md = Metadata::<Targets>::from_bytes_named(&bytes, name, Default::default()).unwrap();
        self.roles[parent]
            .signed()
            .verify_delegate(name, &md)
            .unwrap();
        assert_eq!(md.signed().version(), meta.version);
        assert!(!md.signed().is_expired_at(now));
        self.roles.insert(name.to_owned(), md);
    }

    /// 5.6.7: pre-order depth-first search of the delegation tree.
    fn find(&mut self, target: &str, now: Expiry) -> Option<(String, tuf_metadata::TargetFile)> {
        let mut stack = vec![("targets".to_owned(), String::new())];
        let mut visited = HashSet::new();
        while let Some((role, parent)) = stack.pop() {
            if !visited.insert(role.clone()) {
                continue;
            }
            if role != "targets" {
                self.load_delegated(&role, &parent, now);
            }
            let md = &self.roles[&role];
            if let Some(t) = md.signed().targets.get(target) {
                return Some((role, t.clone()));
            }
            if let Some(d) = &md.signed().delegations {
                let mut children = Vec::new();
                for (child, terminating) in d.roles_for_target(target) {
                    children.push((child.into_owned(), role.clone()));
                    if terminating {
                        stack.clear();
                        break;
                    }
                }
                stack.extend(children.into_iter().rev());
            }
        }
        None
    }
}

#[test]
fn every_case_concludes_as_python_tuf_does() {
    let now = Expiry::parse("2026-11-26T00:00:00Z").unwrap();
    for (dir, case) in cases() {
        let name = case["name"].as_str().unwrap();
        let mut walk = Walk::refresh(&dir, &case, now);
        let mut checked = 0;
        for step in case["expect"].as_array().unwrap().iter().skip(1) {
            assert_eq!(step["action"], "download", "{name}");
            let target = step["target"].as_str().unwrap();
            let found = walk.find(target, now);
            if step["result"] == "ok" {
                let (role, info) = found.unwrap_or_else(|| panic!("{name}: {target} not found"));
                assert_eq!(step["found_in_role"], role.as_str(), "{name}: {target}");
                assert_eq!(step["length"], info.length, "{name}: {target}");
                assert_eq!(
                    step["sha256"],
                    info.hashes.get("sha256").unwrap(),
                    "{name}: {target}"
                );
                // The served copies verify against the description; a tampered copy does not.
                let listed = case["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["path"] == target && t["role"] == role.as_str())
                    .unwrap();
                for served in listed["served_as"].as_array().unwrap() {
                    let data = std::fs::read(dir.join(served.as_str().unwrap())).unwrap();
                    info.verify_data(target, &data).unwrap();
                    let mut longer = data.clone();
                    longer.push(b'!');
                    assert!(info.verify_data(target, &longer).is_err());
                    if !data.is_empty() {
                        let mut flipped = data.clone();
                        flipped[0] ^= 1;
                        assert!(info.verify_data(target, &flipped).is_err());
                    }
                }
            } else {
                assert_eq!(step["error_kind"], "not_found", "{name}");
                assert!(found.is_none(), "{name}: {target} must not be found");
            }
            checked += 1;
        }
        assert!(checked > 0, "{name}");
    }
}

#[test]
fn thresholds_hold_exactly() {
    let (dir, _) = cases()
        .into_iter()
        .find(|(_, c)| c["name"] == "mixed-threshold")
        .unwrap();
    let root =
        Metadata::<Root>::from_bytes(&std::fs::read(dir.join("metadata/1.root.json")).unwrap())
            .unwrap();
    let targets = Metadata::<Targets>::from_bytes(
        &std::fs::read(dir.join("metadata/1.targets.json")).unwrap(),
    )
    .unwrap();
    let r = root.signed();
    for (role, md_sigs) in [
        ("root", root.signatures().len()),
        ("targets", targets.signatures().len()),
    ] {
        let req = r.role(role).unwrap();
        assert_eq!(req.threshold, 2);
        assert_eq!(md_sigs, 2, "signed by exactly two of three keys");
    }
    // Threshold 2 of 3 is met; 3 of 3 is not, and the error says 2 valid of 3 required.
    r.verify_delegate("root", &root).unwrap();
    r.verify_delegate("targets", &targets).unwrap();
    let t = r.role("targets").unwrap();
    match targets.verify("targets", &t.keyids, 3, &r.keys) {
        Err(MetadataError::Crypto {
            source:
                tuf_crypto::CryptoError::Threshold {
                    valid: 2,
                    required: 3,
                    ..
                },
            ..
        }) => {}
        other => panic!("unexpected {other:?}"),
    }
    // Root's keys do not sign for targets: checking targets against root's role keys fails.
    let rk = r.role("root").unwrap();
    assert!(targets.verify("targets", &rk.keyids, 1, &r.keys).is_err());
}

#[test]
fn a_changed_byte_in_signed_breaks_every_signature() {
    for (dir, _) in cases() {
        let bytes = std::fs::read(dir.join("metadata/timestamp.json")).unwrap();
        let root_file = std::fs::read_dir(dir.join("metadata"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f.ends_with(".root.json"))
            .max_by_key(|f| f.split('.').next().unwrap().parse::<u64>().unwrap())
            .unwrap();
        let root = Metadata::<Root>::from_bytes(
            &std::fs::read(dir.join("metadata").join(root_file)).unwrap(),
        )
        .unwrap();
        let ts = Metadata::<Timestamp>::from_bytes(&bytes).unwrap();
        root.signed().verify_delegate("timestamp", &ts).unwrap();
        // Raise the snapshot version by one in the served text: still valid JSON, bad signature.
        let text = String::from_utf8(bytes).unwrap();
        let v = ts.signed().snapshot_meta.version;
        let tampered = text
            .replacen(
                &format!("\"version\":{v}}}"),
                &format!("\"version\":{}}}", v + 1),
                1,
            )
            .replacen(
                &format!("\"version\": {v}\n"),
                &format!("\"version\": {}\n", v + 1),
                1,
            );
        assert_ne!(tampered, text);
        let bad = Metadata::<Timestamp>::from_bytes(tampered.as_bytes()).unwrap();
        assert_eq!(bad.signed().snapshot_meta.version, v + 1);
        let err = root
            .signed()
            .verify_delegate("timestamp", &bad)
            .unwrap_err();
        assert!(err.to_string().contains("timestamp"), "{err}");
    }
}
