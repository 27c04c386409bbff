//! Threshold verification: "at least `threshold` distinct authorised keys signed this".

use crate::{CryptoError, PublicKey};
use std::collections::HashSet;

/// One signature as listed in metadata: the keyid it claims and the signature as hex.
#[derive(Debug, Clone, Copy)]
pub struct SignatureRef<'a> {
    /// The `keyid` field.
    pub keyid: &'a str,
    /// The `sig` field, hex-encoded signature bytes.
    pub sig_hex: &'a str,
}

/// What a role requires: the keyids authorised to sign it and how many must.
#[derive(Debug, Clone, Copy)]
pub struct RoleKeys<'a> {
    /// The role's name, for error messages.
    pub role: &'a str,
    /// The keyids the delegating metadata lists for the role.
    pub keyids: &'a [String],
    /// How many distinct keys must have signed.
    pub threshold: u64,
}

/// Verifies that `message` (the canonical bytes of a `signed` object) carries valid signatures
/// from at least `role.threshold` distinct public keys authorised for the role.
///
/// Following spec 5.3–5.6 and TAP 12: a signature whose keyid the role does not list, whose key
/// is unknown or unsupported, that does not verify, or that repeats a key already counted is
/// ignored; one public key listed under two keyids counts once. `lookup` maps a keyid to the
/// key the delegating metadata defines for it. Returns the keyids whose signatures counted.
///
/// ```
/// use tuf_crypto::{verify_threshold, KeyAlgorithm, PrivateKey, RoleKeys, SignatureRef, Signer};
///
/// let k = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
/// let keyid = k.keyid();
/// let sig = hex::encode(k.sign(b"canonical bytes").unwrap());
/// let role = RoleKeys { role: "timestamp", keyids: &[keyid.clone()], threshold: 1 };
/// let sigs = [SignatureRef { keyid: &keyid, sig_hex: &sig }];
/// let lookup = |id: &str| (id == keyid).then(|| k.public_key());
/// assert!(verify_threshold(b"canonical bytes", sigs, role, lookup).is_ok());
/// assert!(verify_threshold(b"tampered", sigs, role, lookup).is_err());
/// ```
pub fn verify_threshold<'a, 'k>(
    message: &[u8],
    signatures: impl IntoIterator<Item = SignatureRef<'a>>,
    role: RoleKeys<'_>,
    lookup: impl Fn(&str) -> Option<&'k PublicKey>,
) -> Result<Vec<&'a str>, CryptoError> {
    if role.threshold == 0 {
        return Err(CryptoError::ZeroThreshold {
            role: role.role.to_owned(),
        });
    }
    let mut counted_keys: HashSet<&[u8]> = HashSet::new();
    let mut counted_ids: Vec<&'a str> = Vec::new();
    for sig in signatures {
        if !role.keyids.iter().any(|k| k == sig.keyid) || counted_ids.contains(&sig.keyid) {
            continue;
        }
        let Some(key) = lookup(sig.keyid) else {
            continue;
        };
        if counted_keys.contains(key.identity()) {
            continue;
        }
        let Ok(bytes) = hex::decode(sig.sig_hex) else {
            continue;
        };
        if key.verify(message, &bytes).is_ok() {
            counted_keys.insert(key.identity());
            counted_ids.push(sig.keyid);
            if counted_ids.len() as u64 >= role.threshold {
                return Ok(counted_ids);
            }
        }
    }
    Err(CryptoError::Threshold {
        role: role.role.to_owned(),
        valid: counted_ids.len(),
        required: role.threshold,
    })
}
