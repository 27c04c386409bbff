//! Key objects as metadata lists them (spec 4.2), linked to `tuf-crypto` for verification.

use crate::MetadataError;
use crate::fields::{Ctx, Path, with_rest};
use crate::json::{Map, Value, write_canonical};
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};
use tuf_crypto::{CryptoError, PublicKey};

/// A key object: `{"keytype": …, "scheme": …, "keyval": {"public": …}}`.
///
/// Keys of types this project cannot verify (say, a Sigstore identity) still parse and
/// round-trip; their signatures simply never count. A key is immutable once made, so the
/// verifier parsed from it can be cached.
#[derive(Debug, Clone)]
pub struct Key {
    keytype: String,
    scheme: String,
    keyval: Map,
    unrecognized: Map,
    parsed: Arc<OnceLock<Result<PublicKey, CryptoError>>>,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.keytype == other.keytype
            && self.scheme == other.scheme
            && self.keyval == other.keyval
            && self.unrecognized == other.unrecognized
    }
}
impl Eq for Key {}

impl Key {
    /// The metadata form of a public key.
    ///
    /// ```
    /// use tuf_crypto::{KeyAlgorithm, PrivateKey, Signer};
    /// use tuf_metadata::Key;
    ///
    /// let signer = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
    /// let key = Key::from_public_key(signer.public_key());
    /// assert_eq!(key.keyid(), signer.keyid());
    /// ```
    pub fn from_public_key(pk: &PublicKey) -> Key {
        let mut keyval = Map::new();
        keyval.insert("public", Value::String(pk.public().to_owned()));
        Key {
            keytype: pk.keytype().to_owned(),
            scheme: pk.scheme().as_str().to_owned(),
            keyval,
            unrecognized: Map::new(),
            parsed: Arc::new(OnceLock::from(Ok(pk.clone()))),
        }
    }

    /// A key from its fields as they would be listed.
    pub fn new(keytype: &str, scheme: &str, keyval: Map, unrecognized: Map) -> Key {
        Key {
            keytype: keytype.to_owned(),
            scheme: scheme.to_owned(),
            keyval,
            unrecognized,
            parsed: Arc::new(OnceLock::new()),
        }
    }

    /// `keytype`, e.g. `ed25519`, `rsa`, `ecdsa`.
    pub fn keytype(&self) -> &str {
        &self.keytype
    }

    /// `scheme`, e.g. `ed25519`, `rsassa-pss-sha256`, `ecdsa-sha2-nistp256`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `keyval`; holds `public` for the key types of the specification.
    pub fn keyval(&self) -> &Map {
        &self.keyval
    }

    /// Fields this version does not know, kept for the round trip.
    pub fn unrecognized(&self) -> &Map {
        &self.unrecognized
    }

    /// `keyval.public`, if present and a string.
    pub fn public(&self) -> Option<&str> {
        self.keyval.get("public").and_then(Value::as_str)
    }

    /// The key ready to verify signatures, parsed once on first use and then cached.
    pub fn public_key(&self) -> Result<&PublicKey, &CryptoError> {
        self.parsed
            .get_or_init(|| match self.public() {
                Some(p) => PublicKey::from_tuf(&self.keytype, &self.scheme, p),
                None => Err(CryptoError::InvalidPublicKey {
                    scheme: self.scheme.clone(),
                    reason: "keyval has no string `public`".into(),
                }),
            })
            .as_ref()
    }

    /// The spec's key id: hex SHA-256 of this key object's canonical JSON (spec 4.2).
    pub fn keyid(&self) -> String {
        hex::encode(Sha256::digest(write_canonical(&self.to_value())))
    }

    pub(crate) fn decode(v: Value, path: &Path<'_>, ctx: &Ctx<'_>) -> Result<Key, MetadataError> {
        let mut f = ctx.fields(v, path)?;
        let keytype = f.req_string("keytype")?;
        let scheme = f.req_string("scheme")?;
        let keyval = f.req("keyval")?;
        let keyval = ctx.object(keyval, &path.key("keyval"))?;
        Ok(Key::new(&keytype, &scheme, keyval, f.rest()))
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("keytype", self.keytype.clone().into());
        m.insert("scheme", self.scheme.clone().into());
        m.insert("keyval", Value::Object(self.keyval.clone()));
        with_rest(m, &self.unrecognized)
    }
}

/// Keys by keyid, as `root.keys` and `delegations.keys` hold them.
pub type KeyMap = std::collections::BTreeMap<String, Key>;

pub(crate) fn decode_keys(
    v: Value,
    path: &Path<'_>,
    ctx: &Ctx<'_>,
) -> Result<KeyMap, MetadataError> {
    let map = ctx.object(v, path)?;
    let mut keys = KeyMap::new();
    for (keyid, kv) in map {
        let key = Key::decode(kv, &path.key(&keyid), ctx)?;
        keys.insert(keyid.into_owned(), key);
    }
    Ok(keys)
}

pub(crate) fn keys_value(keys: &KeyMap) -> Value {
    Value::Object(
        keys.iter()
            .map(|(k, v)| (k.clone(), v.to_value()))
            .collect(),
    )
}
