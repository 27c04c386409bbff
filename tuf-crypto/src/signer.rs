//! Signing: the [`Signer`] trait, file-based PKCS#8 signers and key generation.

use crate::{CryptoError, PublicKey, Scheme};
use rand_core::OsRng;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Something that signs TUF metadata with one key.
///
/// Implemented here by [`PrivateKey`]; an HSM, a KMS or a remote signing service can implement
/// it too and plug into everything that signs.
pub trait Signer: Send + Sync {
    /// The public half, as it will be listed in metadata.
    fn public_key(&self) -> &PublicKey;

    /// The key id under which signatures are recorded.
    fn keyid(&self) -> String {
        self.public_key().keyid()
    }

    /// Signs `message` (the canonical bytes of a `signed` object) and returns the raw signature
    /// (64 bytes for Ed25519, the PSS block for RSA, DER for ECDSA).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// Which kind of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// Ed25519 (scheme `ed25519`).
    Ed25519,
    /// RSA with RSASSA-PSS-SHA256; the modulus size in bits (2048 to 8192).
    Rsa(usize),
    /// ECDSA on P-256 (scheme `ecdsa-sha2-nistp256`).
    EcdsaP256,
    /// ECDSA on P-384 (scheme `ecdsa-sha2-nistp384`).
    EcdsaP384,
}

enum Secret {
    Ed25519(ed25519_dalek::SigningKey),
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// A private key held in memory, loaded from PKCS#8 PEM or freshly generated.
///
/// ```
/// use tuf_crypto::{KeyAlgorithm, PrivateKey, Signer};
///
/// let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
/// let pem = key.to_pkcs8_pem().unwrap();
/// let again = PrivateKey::from_pkcs8_pem(&pem).unwrap();
/// assert_eq!(key.keyid(), again.keyid());
/// ```
pub struct PrivateKey {
    secret: Secret,
    public: PublicKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

const MAX_KEY_FILE: u64 = 64 * 1024;

impl PrivateKey {
    /// Generates a new key.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey, CryptoError> {
        let secret = match algorithm {
            KeyAlgorithm::Ed25519 => {
                Secret::Ed25519(ed25519_dalek::SigningKey::generate(&mut OsRng))
            }
            KeyAlgorithm::Rsa(bits) => {
                if !(2048..=8192).contains(&bits) {
                    return Err(CryptoError::KeyGeneration {
                        reason: format!("RSA modulus of {bits} bits: use 2048 to 8192"),
                    });
                }
                let key = rsa::RsaPrivateKey::new(&mut OsRng, bits).map_err(|e| {
                    CryptoError::KeyGeneration {
                        reason: e.to_string(),
                    }
                })?;
                Secret::Rsa(Box::new(key))
            }
            KeyAlgorithm::EcdsaP256 => Secret::P256(p256::ecdsa::SigningKey::random(&mut OsRng)),
            KeyAlgorithm::EcdsaP384 => Secret::P384(p384::ecdsa::SigningKey::random(&mut OsRng)),
        };
        Self::from_secret(secret)
    }

    /// Loads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) of any supported type;
    /// the type is read from the key's algorithm identifier.
    pub fn from_pkcs8_pem(pem: &str) -> Result<PrivateKey, CryptoError> {
        if pem.len() as u64 > MAX_KEY_FILE {
            return Err(CryptoError::InvalidPrivateKey {
                reason: format!("{} bytes is too long for a key", pem.len()),
            });
        }
        let secret = if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
            Secret::Ed25519(k)
        } else if let Ok(k) = p256::SecretKey::from_pkcs8_pem(pem) {
            Secret::P256(k.into())
        } else if let Ok(k) = p384::SecretKey::from_pkcs8_pem(pem) {
            Secret::P384(k.into())
        } else {
            match rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
                Ok(k) => Secret::Rsa(Box::new(k)),
                Err(e) => {
                    return Err(CryptoError::InvalidPrivateKey {
                        reason: format!("not a PKCS#8 Ed25519, ECDSA P-256/P-384 or RSA key ({e})"),
                    });
                }
            }
        };
        Self::from_secret(secret)
    }

    /// Loads a PKCS#8 PEM private key from a file (at most 64 KiB).
    pub fn from_pem_file(path: &Path) -> Result<PrivateKey, CryptoError> {
        use std::io::Read;
        let file_err = |e: std::io::Error| CryptoError::KeyFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut text = String::new();
        std::fs::File::open(path)
            .map_err(file_err)?
            .take(MAX_KEY_FILE + 1)
            .read_to_string(&mut text)
            .map_err(file_err)?;
        Self::from_pkcs8_pem(&text)
    }

    /// Writes the key as PKCS#8 PEM (keep it secret: it is the private key).
    pub fn to_pkcs8_pem(&self) -> Result<String, CryptoError> {
        let pem = match &self.secret {
            Secret::Ed25519(k) => k.to_pkcs8_pem(LineEnding::LF),
            Secret::Rsa(k) => k.to_pkcs8_pem(LineEnding::LF),
            Secret::P256(k) => p256::SecretKey::from(k).to_pkcs8_pem(LineEnding::LF),
            Secret::P384(k) => p384::SecretKey::from(k).to_pkcs8_pem(LineEnding::LF),
        };
        pem.map(|z| z.to_string())
            .map_err(|e| CryptoError::InvalidPrivateKey {
                reason: e.to_string(),
            })
    }

    fn from_secret(secret: Secret) -> Result<PrivateKey, CryptoError> {
        let pem_err = |e: rsa::pkcs8::spki::Error| CryptoError::InvalidPrivateKey {
            reason: e.to_string(),
        };
        let (scheme, public) = match &secret {
            Secret::Ed25519(k) => (Scheme::Ed25519, hex::encode(k.verifying_key().as_bytes())),
            Secret::Rsa(k) => (
                Scheme::RsassaPssSha256,
                k.to_public_key()
                    .to_public_key_pem(LineEnding::LF)
                    .map_err(pem_err)?,
            ),
            Secret::P256(k) => (
                Scheme::EcdsaSha2Nistp256,
                p256::PublicKey::from(k.verifying_key())
                    .to_public_key_pem(LineEnding::LF)
                    .map_err(pem_err)?,
            ),
            Secret::P384(k) => (
                Scheme::EcdsaSha2Nistp384,
                p384::PublicKey::from(k.verifying_key())
                    .to_public_key_pem(LineEnding::LF)
                    .map_err(pem_err)?,
            ),
        };
        let public = PublicKey::from_tuf(scheme.default_keytype(), scheme.as_str(), &public)?;
        Ok(PrivateKey { secret, public })
    }
}

impl Signer for PrivateKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        use ed25519_dalek::Signer as _;
        let sig = match &self.secret {
            Secret::Ed25519(k) => k.sign(message).to_bytes().to_vec(),
            Secret::Rsa(k) => {
                // RSASSA-PSS, MGF1-SHA256, salt as long as the digest (securesystemslib's choice).
                let digest = Sha256::digest(message);
                let pss = rsa::Pss::new_with_salt::<Sha256>(Sha256::output_size());
                k.sign_with_rng(&mut OsRng, pss, &digest)
                    .map_err(|e| CryptoError::Signing {
                        scheme: Scheme::RsassaPssSha256.to_string(),
                        reason: e.to_string(),
                    })?
            }
            Secret::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Secret::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
        };
        Ok(sig)
    }
}
