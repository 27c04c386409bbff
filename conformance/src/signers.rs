//! Signers as other signing stacks make them, for scenarios about what a client must read:
//! RSA-PSS with a chosen salt length (securesystemslib uses the digest length, OpenSSL the
//! maximum, other stacks 0 or 20), and a key whose PEM text is laid out differently (on one
//! line, CRLF line ends) — the same key material, listed as another signer lists it.

use crate::SuiteError;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};
use tuf_crypto::{CryptoError, KeyAlgorithm, PrivateKey, PublicKey, Signer};

/// An RSA key that signs RSASSA-PSS-SHA256 with a fixed salt length.
pub struct PssSigner {
    key: rsa::RsaPrivateKey,
    public: PublicKey,
    salt: usize,
}

impl PssSigner {
    /// A new 2048-bit key signing with `salt` bytes of salt (`None`: the maximum, 222).
    pub fn generate(salt: Option<usize>) -> Result<PssSigner, SuiteError> {
        let sim = |e: &dyn std::fmt::Display| SuiteError::Sim(format!("RSA key: {e}"));
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).map_err(|e| sim(&e))?;
        let pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| sim(&e))?;
        let public = PublicKey::from_tuf("rsa", "rsassa-pss-sha256", &pem).map_err(|e| sim(&e))?;
        Ok(PssSigner {
            key,
            public,
            salt: salt.unwrap_or(256 - 32 - 2),
        })
    }
}

impl Signer for PssSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let digest = Sha256::digest(message);
        self.key
            .sign_with_rng(
                &mut rand_core::OsRng,
                rsa::Pss::new_with_salt::<Sha256>(self.salt),
                &digest,
            )
            .map_err(|_| CryptoError::BadSignature {
                scheme: "rsassa-pss-sha256".into(),
                reason: "signing failed",
            })
    }
}

/// A key listed with other PEM text: the same key material, so signatures verify, but the
/// `public` string (and so the keyid) is the one given.
pub struct Relisted {
    inner: PrivateKey,
    public: PublicKey,
}

impl Relisted {
    /// A new ECDSA P-256 key listed with `layout` applied to its PEM text.
    pub fn ecdsa(layout: impl Fn(&str) -> String) -> Result<Relisted, SuiteError> {
        let sim = |e: &dyn std::fmt::Display| SuiteError::Sim(format!("ECDSA key: {e}"));
        let inner = PrivateKey::generate(KeyAlgorithm::EcdsaP256).map_err(|e| sim(&e))?;
        let listed = inner.public_key();
        let text = layout(listed.public());
        let public = PublicKey::from_tuf(listed.keytype(), listed.scheme().as_str(), &text)
            .map_err(|e| sim(&e))?;
        Ok(Relisted { inner, public })
    }
}

impl Signer for Relisted {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.inner.sign(message)
    }
}

/// PEM text with its base64 on one line.
pub fn pem_one_line(pem: &str) -> String {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let label = pem
        .lines()
        .next()
        .unwrap_or("-----BEGIN PUBLIC KEY-----")
        .to_owned();
    let end = label.replacen("BEGIN", "END", 1);
    format!("{label}\n{body}\n{end}\n")
}

/// PEM text with CRLF line ends and no final line end.
pub fn pem_crlf(pem: &str) -> String {
    pem.trim_end().replace('\n', "\r\n")
}
