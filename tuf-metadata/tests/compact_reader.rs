//! The snapshot's fast reader (compact canonical bytes read in place) against the general
//! reader: on every document either the fast reader declines or both read the same metadata,
//! canonical bytes included; on broken documents both give the same error.

use proptest::prelude::*;
use tuf_metadata::json::{self, Layout};
use tuf_metadata::{Expiry, Hashes, MetaFile, Metadata, Snapshot};

/// What the general reader alone makes of `bytes`.
fn general(bytes: &[u8]) -> Result<Metadata<Snapshot>, String> {
    // Worded as `from_bytes` words a JSON error.
    let v = json::parse(bytes).map_err(|e| format!("snapshot metadata: invalid JSON: {e}"))?;
    Metadata::<Snapshot>::from_value(v, "snapshot").map_err(|e| e.to_string())
}

fn both(
    bytes: &[u8],
) -> (
    Result<Metadata<Snapshot>, String>,
    Result<Metadata<Snapshot>, String>,
) {
    let fast = Metadata::<Snapshot>::from_bytes(bytes).map_err(|e| e.to_string());
    (fast, general(bytes))
}

/// A snapshot in the writer's compact layout with `entries` (name, version, length, hashed)
/// and two signatures.
fn document(entries: &[(String, u64, Option<u64>, bool)]) -> Vec<u8> {
    let mut s = Snapshot::new(Expiry::parse("2030-01-01T00:00:00Z").unwrap());
    s.common.version = 7;
    for (name, version, length, hashed) in entries {
        let mut f = MetaFile::new(*version);
        f.set_length(*length);
        if *hashed {
            f.set_hashes(Some(Hashes::of(
                name.as_bytes(),
                &[
                    tuf_crypto::HashAlgorithm::Sha256,
                    tuf_crypto::HashAlgorithm::Sha512,
                ],
            )));
        }
        s.meta.insert(name.clone(), f);
    }
    let bytes = Metadata::new(s).to_bytes(Layout::Compact);
    let text = String::from_utf8(bytes).unwrap().replacen(
        r#""signatures":[]"#,
        r#""signatures":[{"keyid":"aa","sig":"0b"},{"keyid":"bb","sig":"0c"}]"#,
        1,
    );
    text.into_bytes()
}

#[test]
fn the_writers_snapshots_read_the_same_both_ways() {
    let mut entries: Vec<(String, u64, Option<u64>, bool)> = (0..300)
        .map(|i| (format!("bin-{i:04x}.json"), 1 + i % 5, None, false))
        .collect();
    entries.push(("targets.json".into(), 3, Some(1234), true));
    entries.push(("a role/with spaces.json".into(), 2, Some(0), false));
    entries.push(("z.json".into(), u64::from(u32::MAX) * 1000, None, true));
    let doc = document(&entries);
    let (fast, general) = both(&doc);
    assert_eq!(fast, general);
    let md = fast.unwrap();
    assert_eq!(md.signed().meta.len(), 303);
    let json::Value::Object(top) = json::parse(&doc).unwrap() else {
        panic!("not an object")
    };
    assert_eq!(
        &*md.canonical_signed(),
        json::write_canonical(top.get("signed").unwrap()).as_slice()
    );
}

#[test]
fn a_shared_buffer_is_sliced_not_copied() {
    let doc = bytes::Bytes::from(document(&[("targets.json".into(), 2, None, false)]));
    let shared =
        Metadata::<Snapshot>::from_shared_named(&doc, "snapshot", Default::default()).unwrap();
    assert_eq!(shared, Metadata::<Snapshot>::from_bytes(&doc).unwrap());
    let canonical = shared.canonical_signed();
    let inside = doc.as_ptr_range();
    assert!(
        inside.contains(&canonical.as_ptr()),
        "the canonical bytes were copied"
    );
}

#[test]
fn documents_outside_the_fast_shape_read_as_before() {
    let base = document(&[("targets.json".into(), 1, None, false)]);
    let text = String::from_utf8(base.clone()).unwrap();
    for (from, to) in [
        (r#""version":1}"#, r#""version":0}"#), // version 0: an error
        (r#""version":1}"#, r#""version":1,"x":2}"#), // unrecognized field in an entry
        (r#""meta":{"#, r#""meta":{"a.json":{"version":1},"#), // still sorted: fast
        (r#""meta":{"#, r#""meta":{"z.json":{"version":1},"#), // unsorted
        (r#""meta":{"#, r#""meta":{"targets.json":{"version":1},"#), // duplicate
        (r#""_type":"snapshot""#, r#""_type":"timestamp""#), // wrong type
        (r#""expires":"2030"#, r#""expires":"2O30"#), // bad date
        (r#""spec_version":"1"#, r#""spec_version":"9"#), // unsupported major
        (r#""keyid":"bb""#, r#""keyid":"aa""#), // duplicate keyid
        (r#"{"signatures""#, r#"{ "signatures""#), // whitespace
        (r#""version":7}"#, r#""version":7,"zz":[]}"#), // unrecognized in signed
    ] {
        assert!(text.contains(from), "{from}");
        let doc = text.replacen(from, to, 1);
        let (fast, general) = both(doc.as_bytes());
        assert_eq!(fast, general, "{doc}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    /// Any single-byte change, insertion or deletion: the same answer both ways.
    #[test]
    fn mutated_snapshots_read_the_same_both_ways(
        at in 0usize..2000,
        byte in any::<u8>(),
        kind in 0u8..3,
        n in 1usize..6,
    ) {
        let entries: Vec<_> = (0..n)
            .map(|i| (format!("bin-{i}.json"), i as u64 + 1, (i % 2 == 0).then_some(i as u64), i % 3 == 0))
            .collect();
        let mut doc = document(&entries);
        let at = at % doc.len();
        match kind {
            0 => doc[at] = byte,
            1 => doc.insert(at, byte),
            _ => { doc.remove(at); }
        }
        let (fast, general) = both(&doc);
        match (&fast, &general) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "fast {:?} general {:?} on {}", fast, general, String::from_utf8_lossy(&doc)),
        }
    }
}
