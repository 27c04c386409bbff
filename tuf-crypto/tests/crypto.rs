//! Keys, signatures, thresholds and streaming hashes, including hostile input.

use proptest::prelude::*;
use std::collections::HashMap;
use tuf_crypto::{
    CryptoError, HashAlgorithm, KeyAlgorithm, PrivateKey, PublicKey, RoleKeys, Scheme,
    SignatureRef, Signer, StreamVerifier, verify_threshold,
};

fn all_algorithms() -> [KeyAlgorithm; 4] {
    [
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::Rsa(2048),
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
    ]
}

#[test]
fn every_key_type_signs_verifies_and_round_trips_through_pem() {
    for alg in all_algorithms() {
        let key = PrivateKey::generate(alg).unwrap();
        let pk = key.public_key();
        let sig = key.sign(b"payload").unwrap();
        pk.verify(b"payload", &sig).unwrap();
        assert!(pk.verify(b"payloaD", &sig).is_err(), "{alg:?}");
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        assert!(pk.verify(b"payload", &bad).is_err(), "{alg:?}");
        // PKCS#8 PEM round trip, through a file.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        std::fs::write(&path, key.to_pkcs8_pem().unwrap()).unwrap();
        let again = PrivateKey::from_pem_file(&path).unwrap();
        assert_eq!(again.keyid(), key.keyid());
        again
            .public_key()
            .verify(b"x", &again.sign(b"x").unwrap())
            .unwrap();
        // Listing strings parse back to an equal key with the same id.
        let listed = PublicKey::from_tuf(pk.keytype(), pk.scheme().as_str(), pk.public()).unwrap();
        assert_eq!(listed.keyid(), pk.keyid());
        assert_eq!(listed.identity(), pk.identity());
    }
}

#[test]
fn keyid_is_sha256_of_the_canonical_key_object() {
    // From the python-tuf fixture basic-ed25519 (root key).
    let pk = PublicKey::from_tuf(
        "ed25519",
        "ed25519",
        "60eb368c04a4e41202b8d5e1a315af50cb1295c46079db845e2114b196b5893d",
    )
    .unwrap();
    assert_eq!(
        pk.keyid(),
        "816c3dca139ff76fdf052939b428abbaaded07a3f7b26cee1925e92b585854f7"
    );
}

#[test]
fn ecdsa_keytype_spellings_are_accepted_and_are_the_same_key() {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let pem = key.public_key().public();
    let a = PublicKey::from_tuf("ecdsa", "ecdsa-sha2-nistp256", pem).unwrap();
    let b = PublicKey::from_tuf("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", pem).unwrap();
    assert_eq!(a.identity(), b.identity());
    assert_ne!(a.keyid(), b.keyid(), "different key objects, different ids");
    assert_eq!(
        Scheme::from_tuf("ecdsa", "ecdsa-sha2-nistp384"),
        Some(Scheme::EcdsaSha2Nistp384)
    );
}

#[test]
fn hostile_public_keys_give_typed_errors() {
    let cases: &[(&str, &str, &str)] = &[
        ("ed25519", "ed25519", ""),
        ("ed25519", "ed25519", "zz"),
        ("ed25519", "ed25519", "00"),
        ("ed25519", "ed25519", &"0".repeat(66)),
        (
            "rsa",
            "rsassa-pss-sha256",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        ),
        ("rsa", "rsassa-pss-sha256", "not pem"),
        (
            "ecdsa",
            "ecdsa-sha2-nistp256",
            "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
        ),
        ("ecdsa", "ecdsa-sha2-nistp256", "\u{0}\u{ffff}"),
    ];
    for (kt, s, p) in cases {
        match PublicKey::from_tuf(kt, s, p) {
            Err(CryptoError::InvalidPublicKey { .. }) => {}
            other => panic!("{kt}/{s}/{p:?}: {other:?}"),
        }
    }
    assert!(matches!(
        PublicKey::from_tuf("ed25519", "rsassa-pss-sha256", "00"),
        Err(CryptoError::UnsupportedKey { .. })
    ));
    assert!(matches!(
        PublicKey::from_tuf("sigstore-oidc", "Fulcio", "x"),
        Err(CryptoError::UnsupportedKey { .. })
    ));
    let huge = "A".repeat(1 << 20);
    assert!(PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &huge).is_err());
    // An RSA key of the wrong curve type for the scheme.
    let p256 = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    assert!(PublicKey::from_tuf("rsa", "rsassa-pss-sha256", p256.public_key().public()).is_err());
    assert!(
        PublicKey::from_tuf("ecdsa", "ecdsa-sha2-nistp384", p256.public_key().public()).is_err()
    );
}

#[test]
fn hostile_private_keys_give_typed_errors() {
    for pem in [
        "",
        "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
        "garbage",
        &"x".repeat(100_000),
    ] {
        assert!(matches!(
            PrivateKey::from_pkcs8_pem(pem),
            Err(CryptoError::InvalidPrivateKey { .. })
        ));
    }
    let missing = PrivateKey::from_pem_file(std::path::Path::new("/nonexistent/key.pem"));
    assert!(matches!(missing, Err(CryptoError::KeyFile { .. })));
    assert!(PrivateKey::generate(KeyAlgorithm::Rsa(1024)).is_err());
}

#[test]
fn hostile_signatures_are_rejected_without_panicking() {
    for alg in all_algorithms() {
        let key = PrivateKey::generate(alg).unwrap();
        for sig in [
            &[][..],
            &[0u8; 1],
            &[0u8; 64],
            &[0xFFu8; 512],
            &[0x30, 0x82, 0xFF, 0xFF],
        ] {
            assert!(key.public_key().verify(b"m", sig).is_err(), "{alg:?}");
        }
    }
}

fn threshold_error(role: &str, valid: usize, required: u64) -> CryptoError {
    CryptoError::Threshold {
        role: role.into(),
        valid,
        required,
    }
}

struct Keys {
    keys: Vec<PrivateKey>,
    ids: Vec<String>,
}

fn keys(n: usize) -> Keys {
    let keys: Vec<_> = (0..n)
        .map(|_| PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap())
        .collect();
    let ids = keys.iter().map(|k| k.keyid()).collect();
    Keys { keys, ids }
}

#[test]
fn threshold_counts_distinct_authorised_keys_only() {
    let msg = b"signed bytes";
    let k = keys(4);
    let sigs: Vec<String> = k
        .keys
        .iter()
        .map(|key| hex::encode(key.sign(msg).unwrap()))
        .collect();
    let map: HashMap<&str, &PublicKey> = k
        .ids
        .iter()
        .map(String::as_str)
        .zip(k.keys.iter().map(|x| x.public_key()))
        .collect();
    let lookup = |id: &str| map.get(id).copied();
    let authorised = &k.ids[..3];
    let role = |t| RoleKeys {
        role: "targets",
        keyids: authorised,
        threshold: t,
    };
    let refs = |idx: &[usize]| {
        idx.iter()
            .map(|&i| SignatureRef {
                keyid: &k.ids[i],
                sig_hex: &sigs[i],
            })
            .collect::<Vec<_>>()
    };

    assert_eq!(
        verify_threshold(msg, refs(&[0, 1]), role(2), lookup)
            .unwrap()
            .len(),
        2
    );
    // A duplicate signature does not count twice.
    let err = verify_threshold(msg, refs(&[0, 0]), role(2), lookup).unwrap_err();
    assert_eq!(err, threshold_error("targets", 1, 2));
    // An unauthorised key (index 3) does not count.
    assert!(verify_threshold(msg, refs(&[0, 3]), role(2), lookup).is_err());
    // An invalid signature does not count, nor does non-hex, nor an unknown keyid.
    let bogus = [
        SignatureRef {
            keyid: &k.ids[0],
            sig_hex: &sigs[0],
        },
        SignatureRef {
            keyid: &k.ids[1],
            sig_hex: &sigs[2],
        },
        SignatureRef {
            keyid: &k.ids[2],
            sig_hex: "not hex",
        },
        SignatureRef {
            keyid: "unknown",
            sig_hex: &sigs[1],
        },
    ];
    let err = verify_threshold(msg, bogus, role(2), lookup).unwrap_err();
    assert_eq!(err, threshold_error("targets", 1, 2));
    // Threshold 0 is refused outright.
    assert!(matches!(
        verify_threshold(msg, refs(&[0]), role(0), lookup),
        Err(CryptoError::ZeroThreshold { .. })
    ));
}

#[test]
fn one_public_key_under_two_keyids_counts_once() {
    let msg = b"m";
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let pem = key.public_key().public().to_owned();
    // The same key listed twice: once as `ecdsa`, once as `ecdsa-sha2-nistp256`.
    let a = PublicKey::from_tuf("ecdsa", "ecdsa-sha2-nistp256", &pem).unwrap();
    let b = PublicKey::from_tuf("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", &pem).unwrap();
    let ids = [a.keyid(), b.keyid()];
    let s1 = hex::encode(key.sign(msg).unwrap());
    let s2 = hex::encode(key.sign(msg).unwrap());
    let lookup = |id: &str| {
        if id == ids[0] {
            Some(&a)
        } else if id == ids[1] {
            Some(&b)
        } else {
            None
        }
    };
    let sigs = [
        SignatureRef {
            keyid: &ids[0],
            sig_hex: &s1,
        },
        SignatureRef {
            keyid: &ids[1],
            sig_hex: &s2,
        },
    ];
    let role = RoleKeys {
        role: "root",
        keyids: &ids,
        threshold: 2,
    };
    let err = verify_threshold(msg, sigs, role, lookup).unwrap_err();
    assert_eq!(err, threshold_error("root", 1, 2));
    let role1 = RoleKeys {
        role: "root",
        keyids: &ids,
        threshold: 1,
    };
    assert!(verify_threshold(msg, sigs, role1, lookup).is_ok());
}

#[test]
fn streaming_verification_checks_length_and_every_hash() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let hashes = [
        ("sha256", hex::encode(HashAlgorithm::Sha256.digest(&data))),
        ("sha512", hex::encode(HashAlgorithm::Sha512.digest(&data))),
    ];
    let pairs = || hashes.iter().map(|(a, d)| (*a, d.as_str()));
    StreamVerifier::from_hex("t", data.len() as u64, pairs())
        .unwrap()
        .verify_reader(&data[..])
        .unwrap();
    // Endless data: a reader that never ends is cut off one byte past the limit.
    let endless = std::io::repeat(7);
    let err = StreamVerifier::from_hex("t", 1000, pairs())
        .unwrap()
        .verify_reader(endless)
        .unwrap_err();
    assert!(matches!(
        err,
        CryptoError::LengthExceeded { limit: 1000, .. }
    ));
    // Short data.
    let err = StreamVerifier::from_hex("t", data.len() as u64, pairs())
        .unwrap()
        .verify_reader(&data[..10])
        .unwrap_err();
    assert!(matches!(
        err,
        CryptoError::LengthMismatch { actual: 10, .. }
    ));
    // One wrong digest among two right ones fails.
    let mut wrong = data.clone();
    wrong[100_000] ^= 1;
    let err = StreamVerifier::from_hex("t", data.len() as u64, pairs())
        .unwrap()
        .verify_reader(&wrong[..])
        .unwrap_err();
    assert!(matches!(err, CryptoError::HashMismatch { .. }));
    // Unsupported algorithms and malformed digests cannot be checked.
    assert!(StreamVerifier::from_hex("t", 1, [("md5", "00")]).is_err());
    assert!(StreamVerifier::from_hex("t", 1, [("sha256", "zz")]).is_err());
    assert!(StreamVerifier::from_hex("t", 1, [("sha256", "00")]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn chunking_never_changes_the_verdict(data in proptest::collection::vec(any::<u8>(), 0..4096), cuts in proptest::collection::vec(0usize..4096, 0..8)) {
        let digest = HashAlgorithm::Sha256.digest(&data);
        let mut v = StreamVerifier::new("t", data.len() as u64, [(HashAlgorithm::Sha256, digest)]);
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
        points.sort_unstable();
        let mut from = 0;
        for p in points.into_iter().chain([data.len()]) {
            v.update(&data[from..p]).unwrap();
            from = p;
        }
        prop_assert!(v.finish().is_ok());
    }

    #[test]
    fn arbitrary_public_key_strings_never_panic(kt in "ed25519|rsa|ecdsa|x", s in "ed25519|rsassa-pss-sha256|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384", p in ".{0,200}") {
        let _ = PublicKey::from_tuf(&kt, &s, &p);
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{p}\n-----END PUBLIC KEY-----\n");
        let _ = PublicKey::from_tuf(&kt, &s, &pem);
    }

    #[test]
    fn arbitrary_private_key_text_never_panics(p in ".{0,300}") {
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{p}\n-----END PRIVATE KEY-----\n");
        prop_assert!(PrivateKey::from_pkcs8_pem(&pem).is_err());
    }
}
