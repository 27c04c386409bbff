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
/// its length, hashes and fields this implementation does not know (spec 4.4, 4.5).
///
/// Sixteen bytes when only the version is listed, as in nearly every entry of a PyPI-sized
/// snapshot (16,384 bins): the optional parts are kept apart, allocated only when present.
///
/// ```
/// use tuf_metadata::MetaFile;
///
/// let mut f = MetaFile::new(3);
/// assert_eq!((f.version, f.length(), f.hashes()), (3, None, None));
/// f.set_length(Some(120));
/// assert_eq!(f.length(), Some(120));
/// ```
#[derive(Debug, Clone)]
pub struct MetaFile {
    /// `version`, at least 1.
    pub version: u64,
    /// `length`, `hashes` and unrecognized fields; `None` when none is listed.
    more: Option<Box<MetaMore>>,
}

/// The optional parts of a [`MetaFile`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct MetaMore {
    length: Option<u64>,
    hashes: Option<Hashes>,
    unrecognized: Map,
}

impl PartialEq for MetaFile {
    /// Equal when every part is: an entry whose optional parts were set and then removed
    /// equals one that never had them.
    fn eq(&self, other: &MetaFile) -> bool {
        self.version == other.version
            && self.length() == other.length()
            && self.hashes() == other.hashes()
            && self.unrecognized() == other.unrecognized()
    }
}

impl Eq for MetaFile {}

/// What [`MetaFile::unrecognized`] answers for an entry without unrecognized fields.
static NO_FIELDS: Map = Map::new();

impl MetaFile {
    /// An entry with only a version.
    pub fn new(version: u64) -> MetaFile {
        MetaFile {
            version,
            more: None,
        }
    }

    /// An entry of each part.
    pub fn with_parts(
        version: u64,
        length: Option<u64>,
        hashes: Option<Hashes>,
        unrecognized: Map,
    ) -> MetaFile {
        let more = (length.is_some() || hashes.is_some() || !unrecognized.is_empty()).then(|| {
            Box::new(MetaMore {
                length,
                hashes,
                unrecognized,
            })
        });
        MetaFile { version, more }
    }

    /// An entry for `data`, listing its length and its digests with `algorithms`.
    pub fn of(version: u64, data: &[u8], algorithms: &[HashAlgorithm]) -> MetaFile {
        MetaFile::with_parts(
            version,
            Some(data.len() as u64),
            (!algorithms.is_empty()).then(|| Hashes::of(data, algorithms)),
            Map::new(),
        )
    }

    /// `length` in bytes, if listed.
    pub fn length(&self) -> Option<u64> {
        self.more.as_ref().and_then(|m| m.length)
    }

    /// `hashes`, if listed (never empty).
    pub fn hashes(&self) -> Option<&Hashes> {
        self.more.as_ref().and_then(|m| m.hashes.as_ref())
    }

    /// Unrecognized fields (kept for the canonical form).
    pub fn unrecognized(&self) -> &Map {
        self.more.as_ref().map_or(&NO_FIELDS, |m| &m.unrecognized)
    }

    fn more_mut(&mut self) -> &mut MetaMore {
        self.more.get_or_insert_with(Default::default)
    }

    /// Drops the optional parts' allocation when none is left.
    fn tidy(&mut self) {
        if self
            .more
            .as_deref()
            .is_some_and(|m| *m == MetaMore::default())
        {
            self.more = None;
        }
    }

    /// Sets or removes `length`.
    pub fn set_length(&mut self, length: Option<u64>) {
        self.more_mut().length = length;
        self.tidy();
    }

    /// Sets or removes `hashes`.
    pub fn set_hashes(&mut self, hashes: Option<Hashes>) {
        self.more_mut().hashes = hashes;
        self.tidy();
    }

    /// The unrecognized fields, to edit.
    pub fn unrecognized_mut(&mut self) -> &mut Map {
        &mut self.more_mut().unrecognized
    }

    /// Checks `data` against the listed length and hashes, where listed (spec 5.5.2, 5.6.2).
    pub fn verify_data(&self, what: &str, data: &[u8]) -> Result<(), CryptoError> {
        let len = data.len() as u64;
        if let Some(expected) = self.length().filter(|&l| l != len) {
            return Err(CryptoError::LengthMismatch {
                what: what.to_owned(),
                expected,
                actual: len,
            });
        }
        match self.hashes() {
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
        Ok(MetaFile::with_parts(version, length, hashes, f.rest()))
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("version", self.version.into());
        if let Some(l) = self.length() {
            m.insert("length", l.into());
        }
        if let Some(h) = self.hashes() {
            m.insert("hashes", h.to_value());
        }
        with_rest(m, self.unrecognized())
    }
}

/// The key of a target's `custom` data by which a repository says, in signed metadata, that
/// the target is served at its own path even with consistent snapshots (not as `HASH.name`,
/// spec 5.7.3): `"custom": {"unprefixed": true}`. For files whose path already names one
/// content for ever (PyPI's distribution files); the bytes are checked against the listed
/// length and hashes all the same. A convention of this project ([`TargetFile::unprefixed`]).
pub const UNPREFIXED: &str = "unprefixed";

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

    /// Whether the repository serves this target at its own path ([`UNPREFIXED`]).
    pub fn unprefixed(&self) -> bool {
        self.custom
            .as_ref()
            .and_then(Value::as_object)
            .and_then(|m| m.get(UNPREFIXED))
            == Some(&Value::Bool(true))
    }

    /// Marks this target as served at its own path ([`UNPREFIXED`]), keeping any other
    /// `custom` data (a `custom` that is not an object is replaced).
    pub fn set_unprefixed(&mut self) {
        let mut m = match self.custom.take() {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        m.insert(UNPREFIXED, Value::Bool(true));
        self.custom = Some(Value::Object(m));
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
