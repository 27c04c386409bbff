//! File descriptions: `MetaFile` (snapshot and timestamp `meta` entries) and `TargetFile`
//! (spec 4.4–4.5), with their hashes.

use crate::MetadataError;
use crate::fields::{Ctx, Path, with_rest};
use crate::json::{Map, Value};
use tuf_crypto::{CryptoError, HashAlgorithm, StreamVerifier};

/// Digests by algorithm name, each lower- or upper-case hex as listed. Never empty.
///
/// Kept as a small vector sorted by algorithm (one or two entries in practice): cheaper than
/// a tree for the tens of thousands of entries a PyPI-scale snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashes(Vec<(String, String)>);

impl Hashes {
    /// Computes digests of `data` with each algorithm.
    ///
    /// ```
    /// use tuf_crypto::HashAlgorithm;
    /// use tuf_metadata::Hashes;
    ///
    /// let h = Hashes::of(b"", &[HashAlgorithm::Sha256]);
    /// assert_eq!(h.get("sha256"), Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    /// ```
    pub fn of(data: &[u8], algorithms: &[HashAlgorithm]) -> Hashes {
        Hashes::sorted(
            algorithms
                .iter()
                .map(|a| (a.name().to_owned(), hex::encode(a.digest(data))))
                .collect(),
        )
    }

    pub(crate) fn sorted(mut pairs: Vec<(String, String)>) -> Hashes {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|later, earlier| later.0 == earlier.0);
        Hashes(pairs)
    }

    /// Builds from (algorithm, hex digest) pairs; `None` when empty or a digest is not hex.
    pub fn from_hex(pairs: impl IntoIterator<Item = (String, String)>) -> Option<Hashes> {
        let h = Hashes::sorted(pairs.into_iter().collect());
        (!h.0.is_empty() && h.0.iter().all(|(_, d)| is_hex(d))).then_some(h)
    }

    /// The digest for `algorithm`, hex as listed.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(a, _)| a == algorithm)
            .map(|(_, d)| d.as_str())
    }

    /// (algorithm, hex digest) pairs, sorted by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(a, d)| (a.as_str(), d.as_str()))
    }

    /// A verifier that checks a stream against `length` and every listed digest
    /// (all must be supported algorithms and match).
    pub fn verifier(&self, what: &str, length: u64) -> Result<StreamVerifier, CryptoError> {
        StreamVerifier::from_hex(what, length, self.iter())
    }

    fn decode(v: Value, path: &Path<'_>, ctx: &Ctx<'_>) -> Result<Hashes, MetadataError> {
        let map = ctx.object(v, path)?;
        if map.is_empty() {
            return Err(ctx.fail(path, "must list at least one hash"));
        }
        let mut out = Vec::with_capacity(map.len());
        for (alg, digest) in map {
            let p = path.key(&alg);
            let digest = ctx.string(digest, &p)?;
            if !is_hex(&digest) {
                return Err(ctx.fail(&p, "must be a non-empty, even-length hex digest"));
            }
            out.push((alg.into_owned(), digest));
        }
        // A JSON object's members arrive sorted and unique.
        Ok(Hashes(out))
    }

    fn to_value(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks `data` against a length and hashes in one go.
fn verify_data(what: &str, data: &[u8], length: u64, hashes: &Hashes) -> Result<(), CryptoError> {
    let mut v = hashes.verifier(what, length)?;
    v.update(data)?;
    v.finish()
}

/// A `meta` entry of timestamp or snapshot: the version of a metadata file, and optionally
/// its length and hashes (spec 4.4, 4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFile {
    /// `version`, at least 1.
    pub version: u64,
    /// `length` in bytes, if listed.
    pub length: Option<u64>,
    /// `hashes`, if listed (never empty).
    pub hashes: Option<Hashes>,
    /// Unrecognized fields.
    pub unrecognized: Map,
}

impl MetaFile {
    /// An entry with only a version.
    pub fn new(version: u64) -> MetaFile {
        MetaFile {
            version,
            length: None,
            hashes: None,
            unrecognized: Map::new(),
        }
    }

    /// An entry for `data`, listing its length and its digests with `algorithms`.
    pub fn of(version: u64, data: &[u8], algorithms: &[HashAlgorithm]) -> MetaFile {
        MetaFile {
            version,
            length: Some(data.len() as u64),
            hashes: (!algorithms.is_empty()).then(|| Hashes::of(data, algorithms)),
            unrecognized: Map::new(),
        }
    }

    /// Checks `data` against the listed length and hashes, where listed (spec 5.5.2, 5.6.2).
    pub fn verify_data(&self, what: &str, data: &[u8]) -> Result<(), CryptoError> {
        let len = data.len() as u64;
        if let Some(expected) = self.length.filter(|&l| l != len) {
            return Err(CryptoError::LengthMismatch {
                what: what.to_owned(),
                expected,
                actual: len,
            });
        }
        match &self.hashes {
            Some(h) => verify_data(what, data, len, h),
            None => Ok(()),
        }
    }

    pub(crate) fn decode(
        v: Value,
        path: &Path<'_>,
        ctx: &Ctx<'_>,
    ) -> Result<MetaFile, MetadataError> {
        let mut f = ctx.fields(v, path)?;
        let version = f.req_uint("version")?;
        if version == 0 {
            return Err(f.fail("version", "must be at least 1"));
        }
        let length = match f.opt("length") {
            Some(l) => Some(ctx.uint(l, &path.key("length"))?),
            None => None,
        };
        let hashes = match f.opt("hashes") {
            Some(h) => Some(Hashes::decode(h, &path.key("hashes"), ctx)?),
            None => None,
        };
        Ok(MetaFile {
            version,
            length,
            hashes,
            unrecognized: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("version", self.version.into());
        if let Some(l) = self.length {
            m.insert("length", l.into());
        }
        if let Some(h) = &self.hashes {
            m.insert("hashes", h.to_value());
        }
        with_rest(m, &self.unrecognized)
    }
}

/// A target file's description: length, hashes and optional `custom` data (spec 4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFile {
    /// `length` in bytes.
    pub length: u64,
    /// `hashes` (never empty).
    pub hashes: Hashes,
    /// `custom`: any JSON, kept exactly (integers of any size included).
    pub custom: Option<Value>,
    /// Unrecognized fields.
    pub unrecognized: Map,
}

impl TargetFile {
    /// The description of `data`, with digests by `algorithms` (at least one).
    ///
    /// ```
    /// use tuf_crypto::HashAlgorithm;
    /// use tuf_metadata::TargetFile;
    ///
    /// let t = TargetFile::of(b"hello", &[HashAlgorithm::Sha256, HashAlgorithm::Sha512]).unwrap();
    /// assert_eq!(t.length, 5);
    /// assert!(t.verify_data("hello.txt", b"hello").is_ok());
    /// assert!(t.verify_data("hello.txt", b"jello").is_err());
    /// ```
    pub fn of(data: &[u8], algorithms: &[HashAlgorithm]) -> Option<TargetFile> {
        (!algorithms.is_empty()).then(|| TargetFile {
            length: data.len() as u64,
            hashes: Hashes::of(data, algorithms),
            custom: None,
            unrecognized: Map::new(),
        })
    }

    /// Checks `data` against length and every hash (spec 5.7.3).
    pub fn verify_data(&self, what: &str, data: &[u8]) -> Result<(), CryptoError> {
        verify_data(what, data, self.length, &self.hashes)
    }

    /// A verifier for streaming the target in constant memory.
    pub fn verifier(&self, what: &str) -> Result<StreamVerifier, CryptoError> {
        self.hashes.verifier(what, self.length)
    }

    pub(crate) fn decode(
        v: Value,
        path: &Path<'_>,
        ctx: &Ctx<'_>,
    ) -> Result<TargetFile, MetadataError> {
        let mut f = ctx.fields(v, path)?;
        let length = f.req_uint("length")?;
        let hashes = f.req("hashes")?;
        let hashes = Hashes::decode(hashes, &path.key("hashes"), ctx)?;
        let custom = f.opt("custom");
        Ok(TargetFile {
            length,
            hashes,
            custom,
            unrecognized: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("length", self.length.into());
        m.insert("hashes", self.hashes.to_value());
        if let Some(c) = &self.custom {
            m.insert("custom", c.clone());
        }
        with_rest(m, &self.unrecognized)
    }
}
