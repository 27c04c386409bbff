//! Keys, signatures, threshold verification and streaming hashes for
//! [The Update Framework](https://theupdateframework.io) (specification 1.0.x).
//!
//! * [`PublicKey`]: Ed25519 (`ed25519`), RSA (`rsassa-pss-sha256`) and ECDSA
//!   (`ecdsa-sha2-nistp256`, `ecdsa-sha2-nistp384`) keys parsed from the strings a TUF key
//!   object lists, with [`PublicKey::keyid`] computed as the spec defines.
//! * [`Signer`], implemented by [`PrivateKey`] (PKCS#8 PEM files, key generation) and open to
//!   HSM or KMS signers.
//! * [`verify_threshold`]: a role is trusted only when a threshold of *distinct* authorised
//!   public keys signed it.
//! * [`StreamVerifier`]: length and digests checked chunk by chunk in constant memory.
//!
//! This crate does no I/O beyond reading a key file, and knows nothing of roles' JSON beyond
//! the key object.
//!
//! ```
//! use tuf_crypto::{verify_threshold, KeyAlgorithm, PrivateKey, RoleKeys, SignatureRef, Signer};
//!
//! // Two keys authorised for a role with threshold 2.
//! let a = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
//! let b = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
//! let (ida, idb) = (a.keyid(), b.keyid());
//! let msg = b"{\"_type\":\"timestamp\"}";
//! let (sa, sb) = (hex::encode(a.sign(msg).unwrap()), hex::encode(b.sign(msg).unwrap()));
//! let role = RoleKeys { role: "timestamp", keyids: &[ida.clone(), idb.clone()], threshold: 2 };
//! let lookup = |id: &str| {
//!     if id == ida { Some(a.public_key()) } else if id == idb { Some(b.public_key()) } else { None }
//! };
//! // Both signed: trusted.
//! let both = [SignatureRef { keyid: &ida, sig_hex: &sa }, SignatureRef { keyid: &idb, sig_hex: &sb }];
//! assert!(verify_threshold(msg, both, role, lookup).is_ok());
//! // The same signature twice does not count twice.
//! let twice = [SignatureRef { keyid: &ida, sig_hex: &sa }, SignatureRef { keyid: &ida, sig_hex: &sa }];
//! assert!(verify_threshold(msg, twice, role, lookup).is_err());
//! ```

mod error;
mod hash;
mod key;
mod pem;
mod pss;
mod signer;
mod threshold;

pub use error::CryptoError;
pub use hash::{HashAlgorithm, StreamVerifier};
pub use key::{PublicKey, Scheme};
pub use signer::{KeyAlgorithm, PrivateKey, Signer};
pub use threshold::{RoleKeys, SignatureRef, verify_threshold};

/// Hex encoding and decoding, re-exported for users building signature lists.
pub use hex;
