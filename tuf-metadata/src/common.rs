//! What every role's `signed` object shares: type, spec version, version and expiry (spec 4.3).

use crate::MetadataError;
use crate::expiry::Expiry;
use crate::fields::{Ctx, Fields};
use crate::json::{Map, Value};

/// The major specification version this crate implements; metadata with another major
/// version is refused.
pub const SPEC_MAJOR: &str = "1";
/// The specification version written into new metadata.
pub const SPEC_VERSION: &str = "1.0.31";

/// The header fields of a `signed` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Common {
    /// `spec_version`: `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`, major 1.
    pub spec_version: String,
    /// `version`: at least 1.
    pub version: u64,
    /// `expires`.
    pub expires: Expiry,
    /// Unrecognized fields of the `signed` object, kept for the round trip.
    pub unrecognized: Map,
}

impl Common {
    /// A version-1 header for this crate's spec version.
    pub fn new(expires: Expiry) -> Common {
        Common {
            spec_version: SPEC_VERSION.to_owned(),
            version: 1,
            expires,
            unrecognized: Map::new(),
        }
    }

    /// Takes `_type`, `spec_version`, `version` and `expires` out of a `signed` object.
    pub(crate) fn decode(f: &mut Fields<'_>, role_type: &str) -> Result<Common, MetadataError> {
        let ty = f.req_string("_type")?;
        if ty != role_type {
            return Err(f.fail("_type", format!("must be \"{role_type}\", found {ty:?}")));
        }
        let spec_version = f.req_string("spec_version")?;
        check_spec_version(&spec_version).map_err(|rule| f.fail("spec_version", rule))?;
        let version = f.req_uint("version")?;
        if version == 0 {
            return Err(f.fail("version", "must be at least 1"));
        }
        let expires_text = f.req_string("expires")?;
        let expires = Expiry::parse(&expires_text).ok_or_else(|| {
            f.fail(
                "expires",
                format!("{expires_text:?} is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ"),
            )
        })?;
        Ok(Common {
            spec_version,
            version,
            expires,
            unrecognized: Map::new(),
        })
    }

    /// Writes the header fields into `m`.
    pub(crate) fn encode(&self, role_type: &str, m: &mut Map) {
        m.insert("_type", role_type.into());
        m.insert("spec_version", self.spec_version.clone().into());
        m.insert("version", self.version.into());
        m.insert("expires", self.expires.to_string().into());
    }
}

/// Spec 4.3 / python-tuf: `X.Y` or `X.Y.Z`, all digits, and the major version must be ours.
fn check_spec_version(v: &str) -> Result<(), String> {
    let parts: Vec<&str> = v.split('.').collect();
    let well_formed = (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(format!(
            "{v:?} is not a version of the form MAJOR.MINOR[.PATCH]"
        ));
    }
    if parts[0] != SPEC_MAJOR {
        return Err(format!(
            "major version {} is not supported (this client implements {SPEC_MAJOR}.x)",
            parts[0]
        ));
    }
    Ok(())
}

/// A role's `signed` object: [`crate::Root`], [`crate::Timestamp`], [`crate::Snapshot`] or
/// [`crate::Targets`].
pub trait Signed: Sized + Clone + PartialEq {
    /// The `_type` value, which is also the top-level role name.
    const TYPE: &'static str;

    /// The shared header.
    fn common(&self) -> &Common;

    /// The shared header, to edit.
    fn common_mut(&mut self) -> &mut Common;

    /// Decodes the `signed` object, labelling errors with `role` (a role name or type).
    fn from_value(v: Value, role: &str) -> Result<Self, MetadataError>;

    /// The JSON form of the `signed` object.
    fn to_value(&self) -> Value;

    /// Whether [`Signed::from_compact`] can read this role (a role whose `signed` object can
    /// be long).
    const HAS_COMPACT_READER: bool = false;

    /// Reads the `signed` object in place from its compact canonical bytes (the layout this
    /// project's writer produces), without building a value tree: `None` when the bytes are
    /// not of the shape the reader knows, and the general reader
    /// ([`Signed::from_value`]) is used. It must accept only bytes that are compact canonical
    /// JSON (they are then taken as the canonical form the signatures cover), and whatever it
    /// reads must equal what the general reader reads from the same bytes.
    fn from_compact(_signed: &[u8], _role: &str) -> Option<Result<Self, MetadataError>> {
        None
    }

    /// `version`.
    fn version(&self) -> u64 {
        self.common().version
    }

    /// `expires`.
    fn expires(&self) -> Expiry {
        self.common().expires
    }

    /// Whether this is expired at `reference` (spec 5.3.10, 5.4.4, 5.5.6, 5.6.5).
    fn is_expired_at(&self, reference: Expiry) -> bool {
        self.common().expires.is_expired_at(reference)
    }

    /// Increments `version` by one (builders; fails only at `u64::MAX`).
    fn bump_version(&mut self) -> Result<u64, MetadataError> {
        let c = self.common_mut();
        c.version = c
            .version
            .checked_add(1)
            .ok_or_else(|| MetadataError::Edit {
                role: Self::TYPE.to_owned(),
                rule: "version cannot be incremented past 2^64-1".into(),
            })?;
        Ok(c.version)
    }

    /// Sets `expires`.
    fn set_expires(&mut self, expires: Expiry) {
        self.common_mut().expires = expires;
    }
}

/// Decodes the common header of a `signed` object, lets `body` take the role's own fields, and
/// keeps whatever is left as the header's unrecognized fields.
pub(crate) fn decode_signed<X>(
    v: Value,
    role: &str,
    role_type: &str,
    body: impl FnOnce(&mut Fields<'_>) -> Result<X, MetadataError>,
) -> Result<(Common, X), MetadataError> {
    let ctx = Ctx { role };
    let path = crate::fields::Path::root("signed");
    let mut f = ctx.fields(v, &path)?;
    let mut common = Common::decode(&mut f, role_type)?;
    let x = body(&mut f)?;
    common.unrecognized = f.rest();
    Ok((common, x))
}

/// Writes the header, the role's own fields `m`, and the unrecognized fields.
pub(crate) fn encode_signed(common: &Common, role_type: &str, mut m: Map) -> Value {
    common.encode(role_type, &mut m);
    crate::fields::with_rest(m, &common.unrecognized)
}
