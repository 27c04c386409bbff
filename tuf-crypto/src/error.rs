//! The one error type of this crate.

use thiserror::Error;

/// Everything that can go wrong in `tuf-crypto`.
///
/// Every variant names what failed (the key type, the role, the hash) so that a caller can
/// report it without guessing.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key type and scheme pair is not one this crate implements.
    #[error("unsupported key: keytype `{keytype}` with scheme `{scheme}`")]
    UnsupportedKey {
        /// The `keytype` as listed.
        keytype: String,
        /// The `scheme` as listed.
        scheme: String,
    },
    /// The public key material could not be decoded.
    #[error("invalid {scheme} public key: {reason}")]
    InvalidPublicKey {
        /// The scheme the key claims.
        scheme: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A private key (PKCS#8 PEM) could not be decoded.
    #[error("invalid private key: {reason}")]
    InvalidPrivateKey {
        /// What was wrong with it.
        reason: String,
    },
    /// A private key file could not be read.
    #[error("cannot read key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: String,
        /// The I/O error, as text.
        reason: String,
    },
    /// The signature bytes are malformed or do not verify.
    #[error("bad {scheme} signature: {reason}")]
    BadSignature {
        /// The scheme of the key it was checked with.
        scheme: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Signing failed.
    #[error("signing with {scheme} failed: {reason}")]
    Signing {
        /// The scheme of the key.
        scheme: String,
        /// Why.
        reason: String,
    },
    /// Key generation was asked for parameters this crate refuses.
    #[error("cannot generate key: {reason}")]
    KeyGeneration {
        /// Why.
        reason: String,
    },
    /// A role's threshold was not reached (spec 5.4/5.5/5.6: a threshold of distinct keys).
    #[error(
        "role `{role}`: {valid} valid signature(s) from distinct authorised keys, {required} required"
    )]
    Threshold {
        /// The role whose signatures were checked.
        role: String,
        /// How many distinct authorised keys made valid signatures.
        valid: usize,
        /// The role's threshold.
        required: u64,
    },
    /// A role was defined with a threshold below one.
    #[error("role `{role}`: threshold must be at least 1")]
    ZeroThreshold {
        /// The role.
        role: String,
    },
    /// More bytes arrived than the limit allows (the endless-data attack).
    #[error("{what}: more than the limit of {limit} bytes")]
    LengthExceeded {
        /// What was being read.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The data ended with a length other than the expected one.
    #[error("{what}: length {actual}, expected {expected}")]
    LengthMismatch {
        /// What was being read.
        what: String,
        /// Length listed by trusted metadata.
        expected: u64,
        /// Length received.
        actual: u64,
    },
    /// A digest did not match the trusted one.
    #[error("{what}: {algorithm} digest {actual} does not match the expected {expected}")]
    HashMismatch {
        /// What was being read.
        what: String,
        /// The hash algorithm.
        algorithm: String,
        /// Expected digest, hex.
        expected: String,
        /// Computed digest, hex.
        actual: String,
    },
    /// A listed digest of a known algorithm is not hex, or has the wrong length.
    #[error("{what}: cannot check hash `{algorithm}`: {reason}")]
    UnusableHash {
        /// What was being read.
        what: String,
        /// The algorithm name as listed.
        algorithm: String,
        /// Why it cannot be checked.
        reason: &'static str,
    },
    /// None of the listed hash algorithms is one this crate knows, so nothing can be checked.
    #[error("{what}: no hash algorithm this client knows is listed (listed: {})", listed.join(", "))]
    NoKnownHash {
        /// What was being read.
        what: String,
        /// The algorithm names listed.
        listed: Vec<String>,
    },
    /// Reading the data failed.
    #[error("{what}: read failed: {reason}")]
    Io {
        /// What was being read.
        what: String,
        /// The I/O error, as text.
        reason: String,
    },
}
