//! Public keys as TUF lists them, and signature verification with them.

use crate::CryptoError;
use ed25519_dalek::Verifier as _;
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

/// The signature schemes this crate implements (spec 4.2, and securesystemslib's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `ed25519`: Ed25519 over the message, public key as 64 hex characters.
    Ed25519,
    /// `rsassa-pss-sha256`: RSASSA-PSS with SHA-256 and MGF1-SHA-256, public key as PEM SPKI.
    RsassaPssSha256,
    /// `ecdsa-sha2-nistp256`: ECDSA on P-256 with SHA-256, DER signature, PEM SPKI public key.
    EcdsaSha2Nistp256,
    /// `ecdsa-sha2-nistp384`: ECDSA on P-384 with SHA-384, DER signature, PEM SPKI public key.
    EcdsaSha2Nistp384,
}

impl Scheme {
    /// The scheme's name as written in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::RsassaPssSha256 => "rsassa-pss-sha256",
            Scheme::EcdsaSha2Nistp256 => "ecdsa-sha2-nistp256",
            Scheme::EcdsaSha2Nistp384 => "ecdsa-sha2-nistp384",
        }
    }

    /// The `keytype` this crate writes for new keys of this scheme (python-tuf's choice).
    pub fn default_keytype(self) -> &'static str {
        match self {
            Scheme::Ed25519 => "ed25519",
            Scheme::RsassaPssSha256 => "rsa",
            Scheme::EcdsaSha2Nistp256 | Scheme::EcdsaSha2Nistp384 => "ecdsa",
        }
    }

    /// Finds the scheme for a `keytype`/`scheme` pair, accepting the spellings peers use
    /// (`ecdsa` and `ecdsa-sha2-nistp256` as key types for the P-256 scheme).
    pub fn from_tuf(keytype: &str, scheme: &str) -> Option<Scheme> {
        match (keytype, scheme) {
            ("ed25519", "ed25519") => Some(Scheme::Ed25519),
            ("rsa", "rsassa-pss-sha256") => Some(Scheme::RsassaPssSha256),
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                Some(Scheme::EcdsaSha2Nistp256)
            }
            ("ecdsa" | "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => {
                Some(Scheme::EcdsaSha2Nistp384)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone)]
enum Verifier {
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(Box<rsa::RsaPublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

/// A public key that can verify signatures, with the exact strings metadata listed for it.
///
/// Two `PublicKey`s are the same key when their decoded key material is equal, whatever the
/// keyid, `keytype` spelling or PEM layout they were listed with ([`PublicKey::identity`]).
///
/// ```
/// use tuf_crypto::{KeyAlgorithm, PrivateKey, PublicKey, Signer};
///
/// let signer = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
/// let listed = signer.public_key();
/// // What a root file would list for it, parsed back:
/// let key = PublicKey::from_tuf(listed.keytype(), listed.scheme().as_str(), listed.public()).unwrap();
/// let sig = signer.sign(b"message").unwrap();
/// assert!(key.verify(b"message", &sig).is_ok());
/// assert!(key.verify(b"other", &sig).is_err());
/// ```
#[derive(Clone)]
pub struct PublicKey {
    keytype: String,
    scheme: Scheme,
    public: String,
    identity: Vec<u8>,
    verifier: Verifier,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("keytype", &self.keytype)
            .field("scheme", &self.scheme)
            .field("public", &self.public)
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.keytype == other.keytype && self.scheme == other.scheme && self.public == other.public
    }
}
impl Eq for PublicKey {}

/// Upper bound on the size of a PEM public key we accept (an RSA-16384 SPKI is about 2.8 KB).
const MAX_PEM_LEN: usize = 16 * 1024;

impl PublicKey {
    /// Parses a key from the three strings of a TUF key object:
    /// `keytype`, `scheme` and `keyval.public`.
    pub fn from_tuf(keytype: &str, scheme: &str, public: &str) -> Result<PublicKey, CryptoError> {
        let s = Scheme::from_tuf(keytype, scheme).ok_or_else(|| CryptoError::UnsupportedKey {
            keytype: keytype.to_owned(),
            scheme: scheme.to_owned(),
        })?;
        let invalid = |reason: String| CryptoError::InvalidPublicKey {
            scheme: s.as_str().to_owned(),
            reason,
        };
        if public.len() > MAX_PEM_LEN {
            return Err(invalid(format!("{} bytes is too long", public.len())));
        }
        let pem_text = |public: &str| {
            crate::pem::normalise(public).map_err(|reason| invalid(reason.to_owned()))
        };
        let (verifier, identity) = match s {
            Scheme::Ed25519 => {
                let bytes = hex::decode(public).map_err(|e| invalid(format!("not hex: {e}")))?;
                let arr: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| invalid(format!("{} bytes, expected 32", bytes.len())))?;
                let vk = ed25519_dalek::VerifyingKey::from_bytes(&arr)
                    .map_err(|e| invalid(e.to_string()))?;
                (Verifier::Ed25519(vk), arr.to_vec())
            }
            Scheme::RsassaPssSha256 => {
                let key = rsa::RsaPublicKey::from_public_key_pem(&pem_text(public)?)
                    .map_err(|e| invalid(e.to_string()))?;
                if key.n().bits() < 2048 {
                    return Err(invalid(format!(
                        "{}-bit modulus is below the 2048-bit minimum",
                        key.n().bits()
                    )));
                }
                let der = key
                    .to_public_key_der()
                    .map_err(|e| invalid(e.to_string()))?;
                (Verifier::Rsa(Box::new(key)), der.as_bytes().to_vec())
            }
            Scheme::EcdsaSha2Nistp256 => {
                let key = p256::PublicKey::from_public_key_pem(&pem_text(public)?)
                    .map_err(|e| invalid(e.to_string()))?;
                let id = p256::EncodedPoint::from(key).as_bytes().to_vec();
                (Verifier::P256(key.into()), id)
            }
            Scheme::EcdsaSha2Nistp384 => {
                let key = p384::PublicKey::from_public_key_pem(&pem_text(public)?)
                    .map_err(|e| invalid(e.to_string()))?;
                let id = p384::EncodedPoint::from(key).as_bytes().to_vec();
                (Verifier::P384(key.into()), id)
            }
        };
        let mut tagged = Vec::with_capacity(identity.len() + 1);
        tagged.push(s as u8);
        tagged.extend_from_slice(&identity);
        Ok(PublicKey {
            keytype: keytype.to_owned(),
            scheme: s,
            public: public.to_owned(),
            identity: tagged,
            verifier,
        })
    }

    /// The `keytype` string as listed.
    pub fn keytype(&self) -> &str {
        &self.keytype
    }

    /// The signature scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// `keyval.public` as listed (hex for Ed25519, PEM for RSA and ECDSA).
    pub fn public(&self) -> &str {
        &self.public
    }

    /// Bytes that identify the key material itself, independent of how it was written:
    /// equal for the same key listed under two keyids (the threshold counts it once).
    pub fn identity(&self) -> &[u8] {
        &self.identity
    }

    /// The key id: the lower-case hex SHA-256 of the key object's canonical JSON,
    /// `{"keytype":…,"keyval":{"public":…},"scheme":…}` (spec 4.2; TAP 12 lets repositories
    /// list other ids, which is not an error).
    pub fn keyid(&self) -> String {
        let mut canonical = Vec::with_capacity(self.public.len() + 96);
        canonical.extend_from_slice(b"{\"keytype\":");
        push_canonical_str(&mut canonical, &self.keytype);
        canonical.extend_from_slice(b",\"keyval\":{\"public\":");
        push_canonical_str(&mut canonical, &self.public);
        canonical.extend_from_slice(b"},\"scheme\":");
        push_canonical_str(&mut canonical, self.scheme.as_str());
        canonical.push(b'}');
        hex::encode(Sha256::digest(&canonical))
    }

    /// Checks `signature` over `message`; `Ok` only for a valid signature.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), CryptoError> {
        let bad = |reason: &'static str| CryptoError::BadSignature {
            scheme: self.scheme.as_str().to_owned(),
            reason,
        };
        match &self.verifier {
            Verifier::Ed25519(vk) => {
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| bad("not 64 bytes"))?;
                vk.verify_strict(message, &sig)
                    .map_err(|_| bad("does not verify"))
            }
            Verifier::Rsa(key) => {
                let digest = Sha256::digest(message);
                // `rsassa-pss-sha256` fixes no salt length, and signers differ (securesystemslib
                // uses the digest length, OpenSSL defaults to the maximum, others 0 or 20), so
                // python-tuf verifies with any. The common length first, then the length the
                // signature itself encodes; the verdict is always the rsa crate's.
                let pss = rsa::Pss::new_with_salt::<Sha256>(Sha256::output_size());
                if key.verify(pss, &digest, signature).is_ok() {
                    return Ok(());
                }
                let salt = crate::pss::encoded_salt_len(key, signature)
                    .ok_or_else(|| bad("does not verify"))?;
                let pss = rsa::Pss::new_with_salt::<Sha256>(salt);
                key.verify(pss, &digest, signature)
                    .map_err(|_| bad("does not verify"))
            }
            Verifier::P256(vk) => {
                let sig = p256::ecdsa::Signature::from_der(signature)
                    .map_err(|_| bad("not a DER ECDSA signature"))?;
                vk.verify(message, &sig).map_err(|_| bad("does not verify"))
            }
            Verifier::P384(vk) => {
                let sig = p384::ecdsa::Signature::from_der(signature)
                    .map_err(|_| bad("not a DER ECDSA signature"))?;
                // ecdsa-sha2-nistp384 hashes with SHA-384, as P-384's verifying key does.
                vk.verify(message, &sig).map_err(|_| bad("does not verify"))
            }
        }
    }
}

/// Writes `s` as an OLPC canonical JSON string: only `"` and `\` are escaped.
pub(crate) fn push_canonical_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}
