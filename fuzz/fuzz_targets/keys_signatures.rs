//! Public keys and signatures: `PublicKey::from_tuf` on any keytype, scheme and `public`
//! text (hex, PEM in any layout) never panics, and a key it accepts verifies any bytes without
//! panicking; and threshold verification (TAP 12) against a reference: with keyids that may
//! name the same public key twice (go-tuf #733) and signatures that may repeat, be cut or
//! tampered (tough's CVE-2026-6966), it succeeds exactly when at least `threshold` distinct
//! public keys listed for the role made a valid signature, and counts each key once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::sync::OnceLock;
use tuf_crypto::hex;
use tuf_crypto::{
    KeyAlgorithm, PrivateKey, PublicKey, RoleKeys, SignatureRef, Signer, verify_threshold,
};

const TYPES: [(&str, &str); 6] = [
    ("ed25519", "ed25519"),
    ("rsa", "rsassa-pss-sha256"),
    ("ecdsa", "ecdsa-sha2-nistp256"),
    ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256"),
    ("ecdsa", "ecdsa-sha2-nistp384"),
    ("ed25519", "rsassa-pss-sha256"),
];

/// The messages signed in the threshold part.
const MESSAGES: [&[u8]; 4] = [b"", b"{\"signed\":1}", b"canonical bytes", &[0xff; 300]];

/// Three signing keys (two Ed25519, one ECDSA P-256), made once, and each one's signature of
/// each message (signing in every run would leave little time for the logic under test).
fn keys() -> &'static ([PrivateKey; 3], Vec<Vec<Vec<u8>>>) {
    static K: OnceLock<([PrivateKey; 3], Vec<Vec<Vec<u8>>>)> = OnceLock::new();
    K.get_or_init(|| {
        let make = |a| PrivateKey::generate(a).expect("a key");
        let keys = [
            make(KeyAlgorithm::Ed25519),
            make(KeyAlgorithm::Ed25519),
            make(KeyAlgorithm::EcdsaP256),
        ];
        let sigs = keys
            .iter()
            .map(|k| {
                MESSAGES
                    .iter()
                    .map(|m| k.sign(m).expect("signing"))
                    .collect()
            })
            .collect();
        (keys, sigs)
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (head, rest) = data.split_at(8);
    // Part 1: any key text.
    let (kt, scheme) = TYPES[head[0] as usize % TYPES.len()];
    let cut = (head[1] as usize).min(rest.len());
    let text = String::from_utf8_lossy(&rest[..cut]);
    if let Ok(k) = PublicKey::from_tuf(kt, scheme, &text) {
        let _ = k.verify(&rest[cut..], &rest[..cut]);
        assert_eq!(k.keyid().len(), 64);
    }

    // Part 2: thresholds. Five keyids, each naming one of the three keys (or none).
    let (ks, signed) = keys();
    let m = head[7] as usize % MESSAGES.len();
    let message = MESSAGES[m];
    let names: Vec<String> = (0..5).map(|i| format!("keyid-{i}")).collect();
    let key_of = |i: usize| -> Option<usize> {
        let pick = (head[2 + i / 2] >> ((i % 2) * 4)) & 0x0f;
        (pick < 3).then_some(pick as usize)
    };
    let listed: Vec<String> = (0..5)
        .filter(|i| head[5] >> i & 1 == 1)
        .map(|i| names[i].clone())
        .collect();
    let threshold = u64::from(head[6] % 5);
    // Signatures: pairs of bytes (which keyid, how the signature is made).
    // Which signatures are valid is known by construction; the reference uses no crypto.
    let mut sig_store: Vec<(String, String, bool)> = Vec::new();
    for pair in rest[..cut].chunks_exact(2).take(12) {
        let id = pair[0] as usize % 5;
        let Some(k) = key_of(id) else {
            sig_store.push((names[id].clone(), "00".repeat(64), false));
            continue;
        };
        let good = signed[k][m].clone();
        let (sig, valid) = match pair[1] % 4 {
            0 | 1 => (good, true),
            // Another message's signature by the same key.
            2 => (signed[k][(m + 1) % MESSAGES.len()].clone(), false),
            _ => (good[..good.len() / 2].to_vec(), false),
        };
        sig_store.push((names[id].clone(), hex::encode(sig), valid));
    }
    let sigs = sig_store
        .iter()
        .map(|(keyid, sig_hex, _)| SignatureRef { keyid, sig_hex });
    let lookup = |id: &str| {
        let i = names.iter().position(|n| n == id)?;
        key_of(i).map(|k| ks[k].public_key())
    };
    let role = RoleKeys {
        role: "fuzzed",
        keyids: &listed,
        threshold,
    };
    let outcome = verify_threshold(message, sigs, role, lookup);

    // Reference: the distinct public keys, among keyids the role lists, with at least one
    // valid signature under that keyid.
    let mut good_keys: HashSet<usize> = HashSet::new();
    for (keyid, _, valid) in &sig_store {
        if !listed.contains(keyid) || !valid {
            continue;
        }
        if let Some(k) = names.iter().position(|n| n == keyid).and_then(key_of) {
            good_keys.insert(k);
        }
    }
    match outcome {
        Ok(counted) => {
            assert!(threshold > 0, "a zero threshold is never met");
            assert!(counted.len() as u64 >= threshold);
            let distinct: HashSet<usize> = counted
                .iter()
                .filter_map(|id| names.iter().position(|n| n == id).and_then(key_of))
                .collect();
            assert_eq!(
                distinct.len(),
                counted.len(),
                "a key counted twice: {counted:?}"
            );
            assert!(distinct.is_subset(&good_keys), "{counted:?} not all valid");
        }
        Err(_) => assert!(
            threshold == 0 || (good_keys.len() as u64) < threshold,
            "{} distinct valid keys, threshold {threshold}, refused",
            good_keys.len()
        ),
    }
});
