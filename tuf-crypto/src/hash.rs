//! Streaming hash and length verification in constant memory.

use crate::CryptoError;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Blake2b512};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use std::io::Read;

/// A hash algorithm TUF metadata may list (securesystemslib's names). `blake2b-256` is the
/// digest PyPI identifies its files by, and the only one RSTUF lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    /// `sha224`
    Sha224,
    /// `sha256`
    Sha256,
    /// `sha384`
    Sha384,
    /// `sha512`
    Sha512,
    /// `blake2b-256`: BLAKE2b with a 32-byte output (RFC 7693; not a truncated BLAKE2b-512).
    Blake2b256,
    /// `blake2b`: BLAKE2b with its full 64-byte output.
    Blake2b512,
}

impl HashAlgorithm {
    /// Looks an algorithm up by its metadata name.
    pub fn from_name(name: &str) -> Option<HashAlgorithm> {
        match name {
            "sha224" => Some(HashAlgorithm::Sha224),
            "sha256" => Some(HashAlgorithm::Sha256),
            "sha384" => Some(HashAlgorithm::Sha384),
            "sha512" => Some(HashAlgorithm::Sha512),
            "blake2b-256" => Some(HashAlgorithm::Blake2b256),
            "blake2b" => Some(HashAlgorithm::Blake2b512),
            _ => None,
        }
    }

    /// The metadata name.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha224 => "sha224",
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Sha384 => "sha384",
            HashAlgorithm::Sha512 => "sha512",
            HashAlgorithm::Blake2b256 => "blake2b-256",
            HashAlgorithm::Blake2b512 => "blake2b",
        }
    }

    /// Digest length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha224 => 28,
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 | HashAlgorithm::Blake2b512 => 64,
            HashAlgorithm::Blake2b256 => 32,
        }
    }

    /// Hashes `data` in one go.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut s = State::new(self);
        s.update(data);
        s.finish()
    }
}

enum State {
    Sha224(Sha224),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
    Blake2b256(Blake2b<U32>),
    Blake2b512(Blake2b512),
}

impl State {
    fn new(alg: HashAlgorithm) -> State {
        match alg {
            HashAlgorithm::Sha224 => State::Sha224(Sha224::new()),
            HashAlgorithm::Sha256 => State::Sha256(Sha256::new()),
            HashAlgorithm::Sha384 => State::Sha384(Sha384::new()),
            HashAlgorithm::Sha512 => State::Sha512(Sha512::new()),
            HashAlgorithm::Blake2b256 => State::Blake2b256(Blake2b::<U32>::new()),
            HashAlgorithm::Blake2b512 => State::Blake2b512(Blake2b512::new()),
        }
    }
    fn update(&mut self, data: &[u8]) {
        match self {
            State::Sha224(h) => h.update(data),
            State::Sha256(h) => h.update(data),
            State::Sha384(h) => h.update(data),
            State::Sha512(h) => h.update(data),
            State::Blake2b256(h) => h.update(data),
            State::Blake2b512(h) => h.update(data),
        }
    }
    fn finish(self) -> Vec<u8> {
        match self {
            State::Sha224(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
            State::Sha384(h) => h.finalize().to_vec(),
            State::Sha512(h) => h.finalize().to_vec(),
            State::Blake2b256(h) => h.finalize().to_vec(),
            State::Blake2b512(h) => h.finalize().to_vec(),
        }
    }
}

/// Checks a stream of bytes against a trusted length and trusted digests, chunk by chunk.
///
/// Feed chunks as they arrive with [`update`](Self::update): it fails as soon as more bytes than
/// the expected length have arrived, so an endless stream is cut off at once (spec 5.7.3:
/// download no more than the listed length). [`finish`](Self::finish) then checks that the
/// length is exact and every listed digest matches (all listed hashes must be checkable and
/// correct, as python-tuf requires).
///
/// ```
/// use tuf_crypto::{HashAlgorithm, StreamVerifier};
///
/// let data = b"hello";
/// let digest = HashAlgorithm::Sha256.digest(data);
/// let mut v = StreamVerifier::new("hello.txt", 5, [(HashAlgorithm::Sha256, digest)]);
/// v.update(b"hel").unwrap();
/// v.update(b"lo").unwrap();
/// v.finish().unwrap();
///
/// let mut v = StreamVerifier::new("hello.txt", 5, [(HashAlgorithm::Sha256, vec![0; 32])]);
/// v.update(b"hello").unwrap();
/// assert!(v.finish().is_err());
/// ```
pub struct StreamVerifier {
    what: String,
    expected_len: u64,
    /// Whether the length must be exactly `expected_len` (else at most).
    exact: bool,
    len: u64,
    states: Vec<(HashAlgorithm, Vec<u8>, State)>,
}

impl std::fmt::Debug for StreamVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamVerifier")
            .field("what", &self.what)
            .field("expected_len", &self.expected_len)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl StreamVerifier {
    /// Starts checking `what` (a name for errors) against `expected_len` bytes and digests.
    pub fn new(
        what: impl Into<String>,
        expected_len: u64,
        expected: impl IntoIterator<Item = (HashAlgorithm, Vec<u8>)>,
    ) -> StreamVerifier {
        StreamVerifier {
            what: what.into(),
            expected_len,
            exact: true,
            len: 0,
            states: expected
                .into_iter()
                .map(|(alg, digest)| (alg, digest, State::new(alg)))
                .collect(),
        }
    }

    /// Builds a verifier from digests as metadata lists them: algorithm names and hex strings.
    ///
    /// The rule: every listed algorithm this crate knows is checked, and its digest must be
    /// valid hex of the algorithm's length ([`CryptoError::UnusableHash`] otherwise);
    /// algorithms it does not know are skipped, provided at least one known algorithm is
    /// listed ([`CryptoError::NoKnownHash`] otherwise). python-tuf refuses any unknown name
    /// instead. Skipping is still safe: the hashes object is part of signed metadata, so only
    /// the repository's key holders choose what it lists, and the listed known digest binds
    /// the bytes exactly as it would if it were listed alone. It lets a client read a
    /// repository that lists a new algorithm beside SHA-256 or BLAKE2b.
    ///
    /// ```
    /// use tuf_crypto::{CryptoError, StreamVerifier};
    ///
    /// let sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; // "hello"
    /// let v = StreamVerifier::from_hex("t", 5, [("sha256", sha256), ("sha3-256", "00")]).unwrap();
    /// v.verify_reader(&b"hello"[..]).unwrap();
    /// let err = StreamVerifier::from_hex("t", 5, [("sha3-256", "00")]).unwrap_err();
    /// assert!(matches!(err, CryptoError::NoKnownHash { .. }));
    /// ```
    pub fn from_hex<'a>(
        what: impl Into<String>,
        expected_len: u64,
        hashes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<StreamVerifier, CryptoError> {
        let what = what.into();
        let mut expected = Vec::new();
        let mut unknown = Vec::new();
        for (name, hexdigest) in hashes {
            let unusable = |reason| CryptoError::UnusableHash {
                what: what.clone(),
                algorithm: name.to_owned(),
                reason,
            };
            let Some(alg) = HashAlgorithm::from_name(name) else {
                unknown.push(name.to_owned());
                continue;
            };
            let digest = hex::decode(hexdigest).map_err(|_| unusable("digest is not hex"))?;
            if digest.len() != alg.output_len() {
                return Err(unusable("digest has the wrong length"));
            }
            expected.push((alg, digest));
        }
        if expected.is_empty() {
            return Err(CryptoError::NoKnownHash {
                what,
                listed: unknown,
            });
        }
        Ok(StreamVerifier::new(what, expected_len, expected))
    }

    /// The same checks with `expected_len` as a bound: any length up to it is accepted, for a
    /// file whose digests are known but whose length is not (a PyPI index page lists a file's
    /// `#sha256=` but not its size). The digests still bind the bytes exactly.
    ///
    /// ```
    /// use tuf_crypto::StreamVerifier;
    ///
    /// let sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; // "hello"
    /// let v = StreamVerifier::from_hex("t", 64, [("sha256", sha256)]).unwrap().at_most();
    /// v.verify_reader(&b"hello"[..]).unwrap();
    /// let v = StreamVerifier::from_hex("t", 4, [("sha256", sha256)]).unwrap().at_most();
    /// assert!(v.verify_reader(&b"hello"[..]).is_err());
    /// ```
    pub fn at_most(mut self) -> StreamVerifier {
        self.exact = false;
        self
    }

    /// Bytes seen so far.
    pub fn len_so_far(&self) -> u64 {
        self.len
    }

    /// Hashes one more chunk; fails once the total passes the expected length.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), CryptoError> {
        let new_len = self.len.saturating_add(chunk.len() as u64);
        if new_len > self.expected_len {
            return Err(CryptoError::LengthExceeded {
                what: self.what.clone(),
                limit: self.expected_len,
            });
        }
        self.len = new_len;
        for (_, _, state) in &mut self.states {
            state.update(chunk);
        }
        Ok(())
    }

    /// Checks the final length and every digest.
    pub fn finish(self) -> Result<(), CryptoError> {
        if self.exact && self.len != self.expected_len {
            return Err(CryptoError::LengthMismatch {
                what: self.what,
                expected: self.expected_len,
                actual: self.len,
            });
        }
        for (alg, expected, state) in self.states {
            let actual = state.finish();
            if actual != expected {
                return Err(CryptoError::HashMismatch {
                    what: self.what,
                    algorithm: alg.name().to_owned(),
                    expected: hex::encode(expected),
                    actual: hex::encode(actual),
                });
            }
        }
        Ok(())
    }

    /// Reads `reader` to its end through the verifier in 64 KiB chunks, never reading more than
    /// one byte past the expected length, then checks length and digests.
    pub fn verify_reader(mut self, reader: impl Read) -> Result<(), CryptoError> {
        let mut limited = reader.take(self.expected_len.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(CryptoError::Io {
                        what: self.what,
                        reason: e.to_string(),
                    });
                }
            };
            self.update(&buf[..n])?;
        }
        self.finish()
    }
}
