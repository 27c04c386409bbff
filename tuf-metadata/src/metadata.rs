//! The signed envelope `{"signatures": [...], "signed": {...}}` (spec 4.1): parsing,
//! signing, verification and serialization.

use crate::MetadataError;
use crate::common::Signed;
use crate::fields::{Ctx, Path, with_rest};
use crate::json::{self, Layout, Map, ParseLimits, Value};
use crate::key::{Key, KeyMap};
use crate::root::Root;
use crate::targets::Targets;
use std::borrow::Cow;
use tuf_crypto::{RoleKeys, SignatureRef, Signer, verify_threshold};

/// One entry of `signatures`: a keyid and the signature as hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// `keyid`.
    pub keyid: String,
    /// `sig`: hex. Kept as listed; a signature that is not hex simply never verifies.
    pub sig: String,
    /// Unrecognized fields.
    pub unrecognized: Map,
}

impl Signature {
    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("keyid", self.keyid.clone().into());
        m.insert("sig", self.sig.clone().into());
        with_rest(m, &self.unrecognized)
    }
}

/// A role's metadata file: the `signed` object and its signatures.
///
/// Parsing keeps the canonical bytes of `signed` *as received* (computed once per document),
/// and every verification checks signatures over exactly those bytes; editing through
/// [`Metadata::signed_mut`] drops them so the next signature covers the new content.
///
/// ```
/// use tuf_metadata::{Metadata, Snapshot, Signed};
///
/// let bytes = br#"{"signatures":[],"signed":{"_type":"snapshot","expires":"2030-01-01T00:00:00Z",
///   "meta":{"targets.json":{"version":3}},"spec_version":"1.0.31","version":7,"x-extra":[1]}}"#;
/// let md = Metadata::<Snapshot>::from_bytes(bytes).unwrap();
/// assert_eq!(md.signed().version(), 7);
/// assert_eq!(md.signed().role_meta("targets").unwrap().version, 3);
/// // Unknown fields survive the round trip.
/// let again = Metadata::<Snapshot>::from_bytes(&md.to_bytes(tuf_metadata::json::Layout::Compact)).unwrap();
/// assert_eq!(again.canonical_signed(), md.canonical_signed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata<T> {
    signed: T,
    signatures: Vec<Signature>,
    unrecognized: Map,
    /// The canonical bytes of `signed` as received: a slice of the received document when it
    /// was read in place and shared ([`Metadata::from_shared_named`]).
    canonical: Option<bytes::Bytes>,
}

/// Decodes the `signatures` array (spec 4.1).
fn decode_signatures(v: Value, ctx: &Ctx<'_>) -> Result<Vec<Signature>, MetadataError> {
    let sp = Path::root("signatures");
    let items = ctx.array(v, &sp)?;
    let mut signatures = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let ip = sp.index(i);
        let mut sf = ctx.fields(item, &ip)?;
        let keyid = sf.req_string("keyid")?;
        // Spec 4.2.1 (signatures): a keyid MUST be unique in the signatures array.
        if !seen.insert(keyid.clone()) {
            return Err(ctx.fail(
                &ip.key("keyid"),
                format!("keyid {keyid} signs twice; keyids must be unique in signatures"),
            ));
        }
        let sig = sf.req_string("sig")?;
        signatures.push(Signature {
            keyid,
            sig,
            unrecognized: sf.rest(),
        });
    }
    Ok(signatures)
}

impl<T: Signed> Metadata<T> {
    /// Unsigned metadata around `signed`.
    pub fn new(signed: T) -> Metadata<T> {
        Metadata {
            signed,
            signatures: Vec::new(),
            unrecognized: Map::new(),
            canonical: None,
        }
    }

    /// Parses a metadata file of role type `T`, naming the role by its type in errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<Metadata<T>, MetadataError> {
        Self::from_bytes_named(bytes, T::TYPE, ParseLimits::default())
    }

    /// Parses a metadata file of role type `T` for role `role_name` (e.g. `bins-0a`, which
    /// errors will name) under the given JSON limits.
    pub fn from_bytes_named(
        bytes: &[u8],
        role_name: &str,
        limits: ParseLimits,
    ) -> Result<Metadata<T>, MetadataError> {
        Self::read(bytes, None, role_name, limits)
    }

    /// [`Metadata::from_bytes_named`] on a shared buffer: where the document is read in place
    /// (a snapshot in compact canonical form), the canonical bytes kept are a slice of
    /// `bytes` rather than a copy (a PyPI-sized snapshot: 0.5 MB less).
    pub fn from_shared_named(
        bytes: &bytes::Bytes,
        role_name: &str,
        limits: ParseLimits,
    ) -> Result<Metadata<T>, MetadataError> {
        Self::read(bytes, Some(bytes), role_name, limits)
    }

    fn read(
        bytes: &[u8],
        shared: Option<&bytes::Bytes>,
        role_name: &str,
        limits: ParseLimits,
    ) -> Result<Metadata<T>, MetadataError> {
        let json_err = |source| MetadataError::Json {
            role: role_name.to_owned(),
            source,
        };
        // The compact canonical layout (this project's writer's) of a role with a fast reader:
        // read in place, and the received `signed` bytes are its canonical form.
        if T::HAS_COMPACT_READER
            && bytes.len() <= limits.max_bytes
            && let Some((sigs, signed)) = json::compact::envelope(bytes, limits.max_depth)
        {
            let sigs_v = json::parse_with(&bytes[sigs], limits).map_err(json_err)?;
            let signatures = decode_signatures(sigs_v, &Ctx { role: role_name })?;
            if let Some(read) = T::from_compact(&bytes[signed.clone()], role_name) {
                return Ok(Metadata {
                    signed: read?,
                    signatures,
                    unrecognized: Map::new(),
                    canonical: Some(match shared {
                        Some(b) => b.slice(signed),
                        None => bytes::Bytes::copy_from_slice(&bytes[signed]),
                    }),
                });
            }
        }
        let v = json::parse_with(bytes, limits).map_err(json_err)?;
        Self::from_value(v, role_name)
    }

    /// Decodes a parsed document.
    pub fn from_value(v: Value, role_name: &str) -> Result<Metadata<T>, MetadataError> {
        let ctx = Ctx { role: role_name };
        let top = Path::root("metadata");
        let mut f = ctx.fields(v, &top)?;
        let sigs_v = f.req("signatures")?;
        let signatures = decode_signatures(sigs_v, &ctx)?;
        let signed_v = f.req("signed")?;
        // Spec 4.1 / 5.x: signatures cover the canonical form of `signed` as received.
        let canonical = json::write_canonical(&signed_v);
        let signed = T::from_value(signed_v, role_name)?;
        Ok(Metadata {
            signed,
            signatures,
            unrecognized: f.rest(),
            canonical: Some(canonical.into()),
        })
    }

    /// The `signed` object.
    pub fn signed(&self) -> &T {
        &self.signed
    }

    /// The `signed` object, to edit; the received canonical bytes are dropped, and existing
    /// signatures no longer match until the metadata is signed again.
    pub fn signed_mut(&mut self) -> &mut T {
        self.canonical = None;
        &mut self.signed
    }

    /// Takes the `signed` object out.
    pub fn into_signed(self) -> T {
        self.signed
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Removes all signatures.
    pub fn clear_signatures(&mut self) {
        self.signatures.clear();
    }

    /// Unrecognized top-level fields.
    pub fn unrecognized(&self) -> &Map {
        &self.unrecognized
    }

    /// Lets go of the received canonical bytes of `signed` (or the received document they
    /// are a slice of): for a copy whose signatures have been checked and that will not be
    /// checked again. [`Metadata::canonical_signed`] then computes them from the model.
    pub fn release_received_bytes(&mut self) {
        self.canonical = None;
    }

    /// The bytes signatures are over: the canonical JSON of `signed`, as received when parsed,
    /// otherwise computed from the model.
    pub fn canonical_signed(&self) -> Cow<'_, [u8]> {
        match &self.canonical {
            Some(c) => Cow::Borrowed(c),
            None => Cow::Owned(json::write_canonical(&self.signed.to_value())),
        }
    }

    /// Signs with `signer`; with `append` false, existing signatures are replaced first. A
    /// previous signature by the same keyid is replaced.
    /// The canonical bytes are computed once and kept for the next signature or check (they
    /// stay right until [`Metadata::signed_mut`]).
    pub fn sign(&mut self, signer: &dyn Signer, append: bool) -> Result<&Signature, MetadataError> {
        if self.canonical.is_none() {
            self.canonical = Some(json::write_canonical(&self.signed.to_value()).into());
        }
        let bytes = self.canonical_signed();
        let sig = signer
            .sign(&bytes)
            .map_err(|source| MetadataError::Crypto {
                role: T::TYPE.to_owned(),
                source,
            })?;
        let keyid = signer.keyid();
        if !append {
            self.signatures.clear();
        }
        self.signatures.retain(|s| s.keyid != keyid);
        self.signatures.push(Signature {
            keyid,
            sig: hex::encode(sig),
            unrecognized: Map::new(),
        });
        Ok(&self.signatures[self.signatures.len() - 1])
    }

    /// Checks that a threshold of distinct keys among `keyids` (defined in `keys`) signed this
    /// metadata, over its canonical bytes as received. Returns the keyids that counted.
    pub fn verify(
        &self,
        role_name: &str,
        keyids: &[String],
        threshold: u64,
        keys: &KeyMap,
    ) -> Result<Vec<&str>, MetadataError> {
        let bytes = self.canonical_signed();
        let sigs = self.signatures.iter().map(|s| SignatureRef {
            keyid: &s.keyid,
            sig_hex: &s.sig,
        });
        let role = RoleKeys {
            role: role_name,
            keyids,
            threshold,
        };
        let lookup = |id: &str| keys.get(id).and_then(|k: &Key| k.public_key().ok());
        verify_threshold(&bytes, sigs, role, lookup).map_err(|source| MetadataError::Crypto {
            role: role_name.to_owned(),
            source,
        })
    }

    /// The JSON form of the whole file.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "signatures",
            Value::Array(self.signatures.iter().map(Signature::to_value).collect()),
        );
        m.insert("signed", self.signed.to_value());
        with_rest(m, &self.unrecognized)
    }

    /// Serializes the file in a python-tuf-compatible layout.
    pub fn to_bytes(&self, layout: Layout) -> Vec<u8> {
        json::write_layout(&self.to_value(), layout)
    }
}

fn unknown_role(delegator: &str, role: &str) -> MetadataError {
    let field = if delegator == "root" {
        "signed.roles"
    } else {
        "signed.delegations"
    };
    MetadataError::Field {
        role: delegator.to_owned(),
        field: field.into(),
        rule: format!("does not delegate to role {role:?}"),
    }
}

impl Root {
    /// Verifies that top-level role `role`'s metadata is signed by a threshold of the keys
    /// this root lists for it (spec 5.3.4 for root, 5.4.2, 5.5.3, 5.6.3).
    pub fn verify_delegate<U: Signed>(
        &self,
        role: &str,
        md: &Metadata<U>,
    ) -> Result<Vec<String>, MetadataError> {
        let r = self.role(role).ok_or_else(|| unknown_role("root", role))?;
        md.verify(role, &r.keyids, r.threshold, &self.keys)
            .map(|ids| ids.into_iter().map(str::to_owned).collect())
    }
}

impl Targets {
    /// Verifies that delegated role `role`'s metadata is signed by a threshold of the keys
    /// this targets role delegates to it (spec 5.6.3 for delegated roles).
    pub fn verify_delegate(
        &self,
        role: &str,
        md: &Metadata<Targets>,
    ) -> Result<Vec<String>, MetadataError> {
        let d = self
            .delegations
            .as_ref()
            .ok_or_else(|| unknown_role("targets", role))?;
        let (keyids, threshold) = d
            .role_keys(role)
            .ok_or_else(|| unknown_role("targets", role))?;
        md.verify(role, keyids, threshold, &d.keys)
            .map(|ids| ids.into_iter().map(str::to_owned).collect())
    }
}
