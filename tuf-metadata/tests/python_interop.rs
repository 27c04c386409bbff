//! The other direction of interoperability: metadata this crate writes and signs, with every
//! key type, is accepted by python-tuf 7.0.1 (run in the virtual environment that
//! `scripts/python-env.sh` creates; `TUF_PYTHON` may name another interpreter).

mod support;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::path::{Path, PathBuf};
use std::process::Command;
use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
use tuf_metadata::json::{self, Layout, Map, Number, Value};
use tuf_metadata::{
    DelegatedRole, Expiry, Key, MetaFile, Metadata, PathSet, Root, Signed, Snapshot, SuccinctRoles,
    TargetFile, Targets, Timestamp,
};

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("TUF_PYTHON") {
        return PathBuf::from(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        p.exists(),
        "python-tuf is needed: run scripts/python-env.sh (the README's test command does) or set TUF_PYTHON"
    );
    p
}

fn write<T: Signed>(dir: &Path, name: &str, md: &Metadata<T>) -> Vec<u8> {
    let pretty = md.to_bytes(Layout::Pretty);
    std::fs::write(dir.join(format!("{name}.json")), &pretty).unwrap();
    std::fs::write(
        dir.join(format!("{name}.json.canonical")),
        md.canonical_signed(),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("{name}.json.compact")),
        md.to_bytes(Layout::Compact),
    )
    .unwrap();
    pretty
}

fn custom() -> Value {
    let mut m = Map::new();
    m.insert(
        "big",
        Value::Number(Number::from_text("1000000000000000000000000000000").unwrap()),
    );
    m.insert(
        "neg",
        Value::Number(Number::from_text("-18446744073709551616").unwrap()),
    );
    m.insert("text", "café ☃ 😀 \"quoted\" back\\slash\n\u{7f}".into());
    m.insert(
        "nested",
        Value::Array(vec![
            Value::Null,
            Value::Bool(true),
            Value::Object(Map::new()),
            Value::Array(vec![]),
        ]),
    );
    Value::Object(m)
}

/// Builds a small repository whose keys are of `alg` (root also has an Ed25519 key and a
/// threshold of 2), with named, hash-prefix and succinct delegations, and writes it to `dir`.
fn build_repo(dir: &Path, alg: KeyAlgorithm) {
    let expires = Expiry::parse("2099-01-01T00:00:00Z").unwrap();
    let gen_key = || PrivateKey::generate(alg).unwrap();
    let (root_a, root_b) = (
        gen_key(),
        PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
    );
    let (ts_key, snap_key, targets_key, deleg_key) = (gen_key(), gen_key(), gen_key(), gen_key());
    let sha = [HashAlgorithm::Sha256, HashAlgorithm::Sha512];

    let mut root = Root::new(expires);
    root.add_key("root", Key::from_public_key(root_a.public_key()))
        .unwrap();
    root.add_key("root", Key::from_public_key(root_b.public_key()))
        .unwrap();
    root.roles.get_mut("root").unwrap().threshold = 2;
    root.add_key("timestamp", Key::from_public_key(ts_key.public_key()))
        .unwrap();
    root.add_key("snapshot", Key::from_public_key(snap_key.public_key()))
        .unwrap();
    root.add_key("targets", Key::from_public_key(targets_key.public_key()))
        .unwrap();
    root.common
        .unrecognized
        .insert("x-note", "kept by both sides".into());
    let mut root_md = Metadata::new(root);
    root_md.sign(&root_a, false).unwrap();
    root_md.sign(&root_b, true).unwrap();
    write(dir, "root", &root_md);

    let mut targets = Targets::new(expires);
    let mut hello = TargetFile::of(b"hello world\n", &sha).unwrap();
    hello.custom = Some(custom());
    targets.add_target("hello.txt", hello);
    targets.add_target(
        "simple/café/index.html",
        TargetFile::of("<a>café</a>".as_bytes(), &sha).unwrap(),
    );
    let dk = Key::from_public_key(deleg_key.public_key());
    let named = [
        (
            "a",
            false,
            PathSet::Paths(vec!["a/*".into(), "a/*/[!x]*.txt".into()]),
        ),
        (
            "h",
            true,
            PathSet::HashPrefixes(vec!["0".into(), "8f".into()]),
        ),
    ];
    for (name, terminating, paths) in named {
        let role = DelegatedRole::new(name, vec![dk.keyid()], 1, terminating, paths);
        targets.add_delegated_role(role, vec![dk.clone()]).unwrap();
    }
    let mut targets_md = Metadata::new(targets);
    targets_md.sign(&targets_key, false).unwrap();
    let targets_bytes = write(dir, "targets", &targets_md);

    // Role `a` delegates further by succinct hash bins; one bin is written.
    let mut a = Targets::new(expires);
    a.add_target("a/one.txt", TargetFile::of(b"1", &sha).unwrap());
    a.set_succinct_roles(
        SuccinctRoles::new(vec![dk.keyid()], 1, 4, "abin").unwrap(),
        vec![dk.clone()],
    );
    a.common
        .unrecognized
        .insert("x-extension", Value::Array(vec![1u64.into()]));
    let bins = match &a.delegations.as_ref().unwrap().roles {
        tuf_metadata::DelegatedRoles::Succinct(s) => s.clone(),
        _ => unreachable!(),
    };
    let mut a_md = Metadata::new(a);
    a_md.sign(&deleg_key, false).unwrap();
    let a_bytes = write(dir, "a", &a_md);

    let bin_target = "a/deep/file.txt";
    let bin_name = bins.role_for_target(bin_target);
    let mut bin = Targets::new(expires);
    bin.add_target(bin_target, TargetFile::of(b"deep", &sha).unwrap());
    let mut bin_md = Metadata::new(bin);
    bin_md.sign(&deleg_key, false).unwrap();
    let bin_bytes = write(dir, &bin_name, &bin_md);

    let mut snapshot = Snapshot::new(expires);
    snapshot
        .meta
        .insert("targets.json".into(), MetaFile::of(1, &targets_bytes, &sha));
    snapshot
        .meta
        .insert("a.json".into(), MetaFile::of(1, &a_bytes, &sha));
    snapshot.meta.insert(
        format!("{bin_name}.json"),
        MetaFile::of(1, &bin_bytes, &[HashAlgorithm::Sha256]),
    );
    let mut snap_md = Metadata::new(snapshot);
    snap_md.sign(&snap_key, false).unwrap();
    let snap_bytes = write(dir, "snapshot", &snap_md);

    let mut ts = Timestamp::new(expires, MetaFile::of(1, &snap_bytes, &sha));
    ts.bump_version().unwrap();
    let mut ts_md = Metadata::new(ts);
    ts_md.sign(&ts_key, false).unwrap();
    write(dir, "timestamp", &ts_md);

    // Our own reader agrees before python-tuf is asked.
    let parsed = Metadata::<Targets>::from_bytes(&targets_bytes).unwrap();
    assert_eq!(parsed.signed().targets["hello.txt"].custom, Some(custom()));
    root_md
        .signed()
        .verify_delegate("targets", &parsed)
        .unwrap();
    let v = json::parse(&std::fs::read(dir.join("targets.json")).unwrap()).unwrap();
    assert!(
        json::write_canonical(&v)
            .windows(31)
            .any(|w| w == b"1000000000000000000000000000000")
    );
}

fn python_accepts(alg: KeyAlgorithm) {
    let dir = tempfile::tempdir().unwrap();
    build_repo(dir.path(), alg);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/py/verify_metadata.py");
    let out = Command::new(python())
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python-tuf rejected our {alg:?} metadata:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every role was verified by python-tuf, including the delegated and succinct ones.
    for role in [
        "root by root",
        "timestamp by root",
        "snapshot by root",
        "targets by root",
        "a by targets",
        "by a",
    ] {
        assert!(
            stdout.contains(&format!("ok verify {role}")) || stdout.contains(role),
            "{role} not verified:\n{stdout}"
        );
    }
    assert!(
        stdout.matches("ok parse+canonical+compact").count() == 6,
        "{stdout}"
    );
}

#[test]
fn python_tuf_accepts_ed25519_metadata() {
    python_accepts(KeyAlgorithm::Ed25519);
}

#[test]
fn python_tuf_accepts_rsa_metadata() {
    python_accepts(KeyAlgorithm::Rsa(2048));
}

#[test]
fn python_tuf_accepts_ecdsa_p256_metadata() {
    python_accepts(KeyAlgorithm::EcdsaP256);
}

#[test]
fn python_tuf_accepts_ecdsa_p384_metadata() {
    python_accepts(KeyAlgorithm::EcdsaP384);
}

#[test]
fn python_tuf_rejects_a_tampered_file() {
    // The check above can fail: flip one target length after signing and python-tuf says no.
    let dir = tempfile::tempdir().unwrap();
    build_repo(dir.path(), KeyAlgorithm::Ed25519);
    let p = dir.path().join("targets.json");
    let text = std::fs::read_to_string(&p).unwrap();
    let tampered = text.replacen("\"length\": 12", "\"length\": 13", 1);
    assert_ne!(text, tampered);
    std::fs::write(&p, &tampered).unwrap();
    // Keep the side files consistent with the tampered text, so only signatures can fail.
    let md = Metadata::<Targets>::from_bytes(tampered.as_bytes()).unwrap();
    write(dir.path(), "targets", &md);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/py/verify_metadata.py");
    let out = Command::new(python())
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "python-tuf accepted a tampered file");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("UnsignedMetadataError"), "{stderr}");
}

#[test]
fn python_writes_every_value_exactly_as_we_do() {
    // 400 arbitrary values (deterministic seed): big integers, control characters, astral
    // characters, nesting. Python must produce our canonical, compact and pretty bytes.
    let mut runner = TestRunner::deterministic();
    let strategy = support::any_value();
    let hexed = |b: Vec<u8>| Value::String(tuf_crypto::hex::encode(b));
    let items: Vec<Value> = (0..400)
        .map(|_| {
            let v = strategy.new_tree(&mut runner).unwrap().current();
            let mut m = Map::new();
            m.insert("compact", hexed(json::write_layout(&v, Layout::Compact)));
            m.insert("pretty", hexed(json::write_layout(&v, Layout::Pretty)));
            m.insert("canonical", hexed(json::write_canonical(&v)));
            Value::Object(m)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("values.json");
    std::fs::write(
        &file,
        json::write_layout(&Value::Array(items), Layout::Compact),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/py/check_json_forms.py");
    let out = Command::new(python())
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok 400 values");
}
