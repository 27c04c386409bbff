//! Hostile input: every parser refuses malformed, truncated, oversized, duplicated and
//! out-of-spec input with a typed error that names role, field and rule, and never panics.

mod support;

use proptest::prelude::*;
use std::path::Path;
use tuf_metadata::json::{self, Layout, ParseLimits, Value};
use tuf_metadata::{Metadata, MetadataError, Root, Snapshot, Targets, Timestamp};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/python-tuf")
            .join(rel),
    )
    .unwrap()
}

fn field_error<T: tuf_metadata::Signed + std::fmt::Debug>(doc: &str) -> (String, String, String) {
    match Metadata::<T>::from_bytes(doc.as_bytes()) {
        Err(MetadataError::Field { role, field, rule }) => (role, field, rule),
        other => panic!("expected a field error for {doc}, got {other:?}"),
    }
}

fn signed(body: &str) -> String {
    format!(r#"{{"signatures":[],"signed":{{{body}}}}}"#)
}

const HDR_TS: &str =
    r#""_type":"timestamp","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z""#;

#[test]
fn json_syntax_is_strict() {
    let bad: &[&[u8]] = &[
        b"",
        b"{",
        b"{\"a\":1,}",
        b"[1,]",
        b"{\"a\" 1}",
        b"{'a':1}",
        b"01",
        b"-",
        b"1.0",
        b"1e5",
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"\"\x01\"",
        b"\"\\x\"",
        b"\"\\ud800\"",
        b"\"\\udc00\"",
        b"\"\\ud800\\u0041\"",
        b"\"\\u12\"",
        b"\"\xff\"",
        b"\"\xc3\"",
        b"\xef\xbb\xbf{}",
        b"{} {}",
        b"{\"a\":1,\"a\":1}",
        b"{\"a\":{\"b\":1,\"b\":2}}",
        b"tru",
        b"nul",
        b"[\"unterminated",
    ];
    for input in bad {
        assert!(
            json::parse(input).is_err(),
            "accepted {:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert!(json::parse(b" {\"a\" : [ 1 , -0 , \"\\u00e9\\ud83d\\ude00\\/\" ] } ").is_ok());
    // -0 reads as 0, as Python reads it.
    assert_eq!(json::write_canonical(&json::parse(b"-0").unwrap()), b"0");
}

#[test]
fn duplicate_member_names_are_refused_anywhere() {
    let doc = r#"{"signatures":[],"signed":{"_type":"timestamp","version":1,"version":2}}"#;
    let err = Metadata::<Timestamp>::from_bytes(doc.as_bytes()).unwrap_err();
    assert!(matches!(err, MetadataError::Json { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("duplicate member name \"version\""),
        "{err}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [513usize, 10_000, 1_000_000] {
        let doc = "[".repeat(depth) + &"]".repeat(depth);
        let err = json::parse(doc.as_bytes()).unwrap_err();
        assert!(err.reason.contains("nesting"), "{err}");
        let doc = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
        assert!(json::parse(doc.as_bytes()).is_err());
    }
    let ok = "[".repeat(512) + &"]".repeat(512);
    assert!(json::parse(ok.as_bytes()).is_ok());
}

/// A target whose `custom` nests `depth` objects, in a signed targets document.
fn deep_custom_targets(depth: usize) -> Vec<u8> {
    let key = tuf_crypto::PrivateKey::generate(tuf_crypto::KeyAlgorithm::Ed25519).unwrap();
    let mut custom = json::Value::Bool(true);
    for _ in 0..depth {
        let mut m = json::Map::new();
        m.insert("k", custom);
        custom = Value::Object(m);
    }
    let mut file =
        tuf_metadata::TargetFile::of(b"x", &[tuf_crypto::HashAlgorithm::Sha256]).unwrap();
    file.custom = Some(custom);
    let mut t = Targets::new(tuf_metadata::Expiry::parse("2030-01-01T00:00:00Z").unwrap());
    t.add_target("f", file);
    let mut md = Metadata::new(t);
    md.sign(&key, false).unwrap();
    md.to_bytes(Layout::Compact)
}

#[test]
fn deeply_nested_custom_fields_are_read_and_round_trip() {
    // Run where a client runs: a 2 MiB thread stack (tokio's workers, the test harness).
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            // `custom` 96 deep (the targets document adds 5 levels above it), and close to the
            // limit of 512: read, re-serialised canonically (the signature check) and dropped.
            for depth in [96, 500] {
                let bytes = deep_custom_targets(depth);
                let md = Metadata::<Targets>::from_bytes(&bytes)
                    .unwrap_or_else(|e| panic!("custom {depth} deep: {e}"));
                assert!(!md.canonical_signed().is_empty());
                assert_eq!(md.to_bytes(Layout::Compact), bytes);
            }
            // Past the limit: a typed error, no overflow.
            let err = Metadata::<Targets>::from_bytes(&deep_custom_targets(520)).unwrap_err();
            assert!(err.to_string().contains("nesting"), "{err}");
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let limits = ParseLimits {
        max_bytes: 1024,
        max_depth: 100,
    };
    let big = format!("\"{}\"", "a".repeat(2000));
    let err = json::parse_with(big.as_bytes(), limits).unwrap_err();
    assert!(err.reason.contains("exceeds the limit"), "{err}");
    let err = Metadata::<Root>::from_bytes_named(
        &fixture("basic-rsa/metadata/1.root.json"),
        "root",
        limits,
    )
    .unwrap_err();
    assert!(matches!(err, MetadataError::Json { .. }));
    // A large but allowed document is fine: a 20 MB string.
    let big = format!("[\"{}\"]", "x".repeat(20 << 20));
    assert!(json::parse(big.as_bytes()).is_ok());
}

#[test]
fn every_truncation_of_real_metadata_is_an_error() {
    for rel in [
        "basic-ecdsa/metadata/1.root.json",
        "delegations/metadata/1.targets.json",
        "hash-bins/metadata/1.snapshot.json",
    ] {
        let bytes = fixture(rel);
        let step = (bytes.len() / 500).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            let r = match rel {
                r if r.ends_with("root.json") => {
                    Metadata::<Root>::from_bytes(&bytes[..cut]).map(|_| ())
                }
                r if r.ends_with("snapshot.json") => {
                    Metadata::<Snapshot>::from_bytes(&bytes[..cut]).map(|_| ())
                }
                _ => Metadata::<Targets>::from_bytes(&bytes[..cut]).map(|_| ()),
            };
            assert!(r.is_err(), "{rel} cut at {cut} parsed");
        }
    }
}

#[test]
fn non_utf8_is_refused() {
    let mut bytes = fixture("basic-ed25519/metadata/timestamp.json");
    let pos = bytes.windows(9).position(|w| w == b"timestamp").unwrap();
    bytes[pos + 1] = 0xFF;
    let err = Metadata::<Timestamp>::from_bytes(&bytes).unwrap_err();
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
}

#[test]
fn spec_rules_name_role_field_and_rule() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            signed(&HDR_TS.replace("\"timestamp\"", "\"snapshot\"")),
            "signed._type",
            "must be \"timestamp\"",
        ),
        (
            signed(&HDR_TS.replace("1.0.31", "2.0.0")),
            "signed.spec_version",
            "major version 2",
        ),
        (
            signed(&HDR_TS.replace("1.0.31", "1")),
            "signed.spec_version",
            "MAJOR.MINOR",
        ),
        (
            signed(&HDR_TS.replace("1.0.31", "1.0.x")),
            "signed.spec_version",
            "MAJOR.MINOR",
        ),
        (
            signed(&HDR_TS.replace("\"version\":1", "\"version\":0")),
            "signed.version",
            "at least 1",
        ),
        (
            signed(&HDR_TS.replace("\"version\":1", "\"version\":-1")),
            "signed.version",
            "integer from 0",
        ),
        (
            signed(&HDR_TS.replace("\"version\":1", "\"version\":18446744073709551616")),
            "signed.version",
            "integer from 0",
        ),
        (
            signed(&HDR_TS.replace("\"version\":1", "\"version\":\"1\"")),
            "signed.version",
            "must be an integer",
        ),
        (
            signed(&HDR_TS.replace("00:00:00Z", "00:00:00+00:00")),
            "signed.expires",
            "YYYY-MM-DDTHH:MM:SSZ",
        ),
        (
            signed(&HDR_TS.replace("2030-01-01", "2030-13-01")),
            "signed.expires",
            "YYYY",
        ),
        (
            signed(&HDR_TS.replace("00:00:00Z", "00:00:00.5Z")),
            "signed.expires",
            "YYYY",
        ),
        (signed(HDR_TS), "signed.meta", "is required"),
        (
            signed(&format!("{HDR_TS},\"meta\":{{}}")),
            "signed.meta",
            "must list snapshot.json",
        ),
        (
            signed(&format!(
                "{HDR_TS},\"meta\":{{\"snapshot.json\":{{\"version\":0}}}}"
            )),
            "signed.meta.snapshot.json.version",
            "at least 1",
        ),
        (
            signed(&format!(
                "{HDR_TS},\"meta\":{{\"snapshot.json\":{{\"version\":1,\"hashes\":{{}}}}}}"
            )),
            "signed.meta.snapshot.json.hashes",
            "at least one hash",
        ),
        (
            signed(&format!(
                "{HDR_TS},\"meta\":{{\"snapshot.json\":{{\"version\":1,\"hashes\":{{\"sha256\":\"xyz\"}}}}}}"
            )),
            "signed.meta.snapshot.json.hashes.sha256",
            "hex",
        ),
        (
            signed(&format!(
                "{HDR_TS},\"meta\":{{\"snapshot.json\":{{\"version\":1,\"length\":-5}}}}"
            )),
            "signed.meta.snapshot.json.length",
            "integer from 0",
        ),
        (
            "{\"signed\":{}}".into(),
            "metadata.signatures",
            "is required",
        ),
        (
            "{\"signatures\":{},\"signed\":{}}".into(),
            "signatures",
            "must be an array",
        ),
        (
            "{\"signatures\":[{\"keyid\":1,\"sig\":\"00\"}],\"signed\":{}}".into(),
            "signatures[0].keyid",
            "must be a string",
        ),
        ("[]".into(), "metadata", "must be an object"),
        ("{\"signatures\":[{\"keyid\":\"k\",\"sig\":\"00\"},{\"keyid\":\"k\",\"sig\":\"01\"}],\"signed\":{}}".into(), "signatures[1].keyid", "must be unique"),
    ];
    for (doc, field, rule) in cases {
        let (role, f, r) = field_error::<Timestamp>(&doc);
        assert_eq!(role, "timestamp");
        assert_eq!(f, field, "{doc}");
        assert!(r.contains(rule), "{doc}: rule {r:?} lacks {rule:?}");
    }
}

fn root_doc(roles: &str, keys: &str) -> String {
    signed(&format!(
        r#""_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","consistent_snapshot":true,"keys":{keys},"roles":{roles}"#
    ))
}

#[test]
fn root_rules() {
    let role = r#"{"keyids":["a"],"threshold":1}"#;
    let all = format!(r#"{{"root":{role},"snapshot":{role},"targets":{role},"timestamp":{role}}}"#);
    assert!(Metadata::<Root>::from_bytes(root_doc(&all, "{}").as_bytes()).is_ok());
    let missing = format!(r#"{{"root":{role},"snapshot":{role},"targets":{role}}}"#);
    let (_, f, r) = field_error::<Root>(&root_doc(&missing, "{}"));
    assert_eq!(
        (
            f.as_str(),
            r.contains("exactly root, snapshot, targets and timestamp")
        ),
        ("signed.roles", true)
    );
    let extra = format!(
        r#"{{"root":{role},"snapshot":{role},"targets":{role},"timestamp":{role},"mirrors":{role}}}"#
    );
    assert!(
        field_error::<Root>(&root_doc(&extra, "{}"))
            .2
            .contains("exactly")
    );
    let zero = all.replacen("\"threshold\":1", "\"threshold\":0", 1);
    assert_eq!(
        field_error::<Root>(&root_doc(&zero, "{}")).1,
        "signed.roles.root.threshold"
    );
    let dup = all.replacen("[\"a\"]", "[\"a\",\"a\"]", 1);
    let (_, f, r) = field_error::<Root>(&root_doc(&dup, "{}"));
    assert_eq!(f, "signed.roles.root.keyids");
    assert!(r.contains("listed twice"));
    let bad_key = r#"{"k":{"keytype":"ed25519","scheme":"ed25519","keyval":"00"}}"#;
    assert_eq!(
        field_error::<Root>(&root_doc(&all, bad_key)).1,
        "signed.keys.k.keyval"
    );
    // Unknown key types parse (and never verify).
    let odd_key = r#"{"k":{"keytype":"sigstore-oidc","scheme":"Fulcio","keyval":{"identity":"x","issuer":"y"}}}"#;
    let md = Metadata::<Root>::from_bytes(root_doc(&all, odd_key).as_bytes()).unwrap();
    assert!(md.signed().keys["k"].public_key().is_err());
}

fn targets_doc(delegations: &str) -> String {
    signed(&format!(
        r#""_type":"targets","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","targets":{{}},"delegations":{delegations}"#
    ))
}

#[test]
fn delegation_rules() {
    let role = |name: &str, extra: &str| {
        format!(r#"{{"name":"{name}","keyids":[],"threshold":1,"terminating":false{extra}}}"#)
    };
    let ok = targets_doc(&format!(
        r#"{{"keys":{{}},"roles":[{}]}}"#,
        role("a", r#","paths":["a/*"]"#)
    ));
    assert!(Metadata::<Targets>::from_bytes(ok.as_bytes()).is_ok());
    let cases = [
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("a", "")), "signed.delegations.roles[0]", "exactly one of paths"),
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("a", r#","paths":[],"path_hash_prefixes":[]"#)), "signed.delegations.roles[0]", "exactly one of paths"),
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("root", r#","paths":[]"#)), "signed.delegations.roles[0].name", "top-level"),
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("", r#","paths":[]"#)), "signed.delegations.roles[0].name", "empty"),
        // Top-level names in any case (on a case-insensitive disk, Timestamp.json is timestamp.json).
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("Timestamp", r#","paths":[]"#)), "signed.delegations.roles[0].name", "in any case"),
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("ROOT", r#","paths":[]"#)), "signed.delegations.roles[0].name", "in any case"),
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("ſnapshot", r#","paths":[]"#)), "signed.delegations.roles[0].name", "in any case"),
        (format!(r#"{{"keys":{{}},"roles":[{},{}]}}"#, role("a", r#","paths":[]"#), role("a", r#","paths":[]"#)), "signed.delegations.roles[1].name", "delegated twice"),
        (format!(r#"{{"keys":{{}},"roles":[{}]}}"#, role("a", r#","paths":[1]"#)), "signed.delegations.roles[0].paths[0]", "must be a string"),
        (r#"{"keys":{}}"#.to_owned(), "signed.delegations", "exactly one of roles and succinct_roles"),
        (r#"{"keys":{},"roles":[],"succinct_roles":{"keyids":[],"threshold":1,"bit_length":8,"name_prefix":"b"}}"#.to_owned(), "signed.delegations", "exactly one"),
        (r#"{"keys":{},"succinct_roles":{"keyids":[],"threshold":1,"bit_length":0,"name_prefix":"b"}}"#.to_owned(), "signed.delegations.succinct_roles.bit_length", "between 1 and 32"),
        (r#"{"keys":{},"succinct_roles":{"keyids":[],"threshold":1,"bit_length":33,"name_prefix":"b"}}"#.to_owned(), "signed.delegations.succinct_roles.bit_length", "between 1 and 32"),
        (r#"{"keys":{},"succinct_roles":{"keyids":[],"threshold":0,"bit_length":3,"name_prefix":"b"}}"#.to_owned(), "signed.delegations.succinct_roles.threshold", "at least 1"),
    ];
    for (d, field, rule) in cases {
        let (role, f, r) = field_error::<Targets>(&targets_doc(&d));
        assert_eq!(role, "targets");
        assert_eq!(f, field, "{d}");
        assert!(r.contains(rule), "{d}: {r}");
    }
    // Names that only differ in case from each other are distinct roles (a store must keep them
    // apart), and names merely containing a top-level name are fine.
    let siblings = targets_doc(&format!(
        r#"{{"keys":{{}},"roles":[{},{},{}]}}"#,
        role("a", r#","paths":[]"#),
        role("A", r#","paths":[]"#),
        role("targets-2", r#","paths":[]"#)
    ));
    assert!(Metadata::<Targets>::from_bytes(siblings.as_bytes()).is_ok());
    let mut t = Targets::new(tuf_metadata::Expiry::parse("2030-01-01T00:00:00Z").unwrap());
    let named = |n: &str| {
        tuf_metadata::DelegatedRole::new(n, vec![], 1, false, tuf_metadata::PathSet::Paths(vec![]))
    };
    assert!(t.add_delegated_role(named("Targets"), vec![]).is_err());
    assert!(t.add_delegated_role(named("bins-0a"), vec![]).is_ok());
    // Named roles carry the name given by the caller.
    let bad = targets_doc(r#"{"keys":{}}"#);
    match Metadata::<Targets>::from_bytes_named(bad.as_bytes(), "bins-0a", Default::default()) {
        Err(MetadataError::Field { role, .. }) => assert_eq!(role, "bins-0a"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn target_files_need_length_and_hashes() {
    let doc = |t: &str| {
        signed(&format!(
            r#""_type":"targets","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","targets":{{"f":{t}}}"#
        ))
    };
    assert_eq!(
        field_error::<Targets>(&doc(r#"{"hashes":{"sha256":"00"}}"#)).1,
        "signed.targets.f.length"
    );
    assert_eq!(
        field_error::<Targets>(&doc(r#"{"length":1}"#)).1,
        "signed.targets.f.hashes"
    );
    assert_eq!(
        field_error::<Targets>(&doc(r#"{"length":1,"hashes":{}}"#)).1,
        "signed.targets.f.hashes"
    );
    assert_eq!(
        field_error::<Targets>(&doc(r#"{"length":1,"hashes":{"sha256":"0"}}"#)).1,
        "signed.targets.f.hashes.sha256"
    );
}

#[test]
fn unknown_fields_and_big_integers_survive_a_round_trip_at_every_level() {
    let doc = r#"{"signatures":[{"keyid":"k","sig":"00","x-sig":1}],"x-top":[true],"signed":{
      "_type":"targets","spec_version":"1.0.31","version":1,"expires":"2030-01-01T00:00:00Z","x-signed":{"n":1e0},
      "targets":{"caf\u00e9/f":{"length":1,"hashes":{"sha256":"00"},"x-file":null,
         "custom":{"big":100000000000000000000000000000,"pow":18446744073709551616,"neg":-99999999999999999999999}}},
      "delegations":{"x-del":"d","keys":{"k":{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"00","x-kv":2},"x-key":3}},
        "roles":[{"name":"a","keyids":["k"],"threshold":1,"terminating":true,"paths":["*"],"x-role":4}]}}}"#;
    // Floats are refused, even in unknown fields...
    assert!(Metadata::<Targets>::from_bytes(doc.as_bytes()).is_err());
    // ...integers of any size are kept.
    let doc = doc.replace("1e0", "10");
    let md = Metadata::<Targets>::from_bytes(doc.as_bytes()).unwrap();
    let original = json::parse(doc.as_bytes()).unwrap();
    for layout in [Layout::Compact, Layout::Pretty] {
        let out = md.to_bytes(layout);
        assert_eq!(json::parse(&out).unwrap(), original);
        let text = String::from_utf8(out).unwrap();
        for needle in [
            "x-sig",
            "x-top",
            "x-signed",
            "x-file",
            "x-del",
            "x-kv",
            "x-key",
            "x-role",
            "100000000000000000000000000000",
            "18446744073709551616",
            "-99999999999999999999999",
        ] {
            assert!(text.contains(needle), "{needle} lost");
        }
    }
    let custom = md.signed().targets["café/f"].custom.as_ref().unwrap();
    assert_eq!(
        custom.as_object().unwrap()["pow"],
        Value::Number(json::Number::from_text("18446744073709551616").unwrap())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn values_round_trip_through_every_layout(v in support::any_value()) {
        for layout in [Layout::Compact, Layout::Pretty] {
            prop_assert_eq!(json::parse(&json::write_layout(&v, layout)).unwrap(), v.clone());
        }
        let canonical = json::write_canonical(&v);
        // Canonical JSON writes control characters raw, which strict JSON does not allow;
        // where there are none, the canonical form parses back and is a fixed point.
        if !canonical.iter().any(|&b| b < 0x20) {
            prop_assert_eq!(json::parse(&canonical).unwrap(), v.clone());
            prop_assert_eq!(json::write_canonical(&json::parse(&canonical).unwrap()), canonical);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = json::parse(&bytes);
        let _ = Metadata::<Root>::from_bytes(&bytes);
        let _ = Metadata::<Targets>::from_bytes(&bytes);
    }

    #[test]
    fn mutated_metadata_never_panics(pos in any::<prop::sample::Index>(), byte in any::<u8>(), len in 0usize..4) {
        for rel in ["delegations/metadata/1.targets.json", "basic-rsa/metadata/1.root.json", "hash-bins/metadata/timestamp.json"] {
            let mut bytes = fixture(rel);
            let at = pos.index(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, std::iter::repeat_n(byte, len));
            let _ = Metadata::<Targets>::from_bytes(&bytes);
            let _ = Metadata::<Root>::from_bytes(&bytes);
            let _ = Metadata::<Timestamp>::from_bytes(&bytes);
        }
    }
}
