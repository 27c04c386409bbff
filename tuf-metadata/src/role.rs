//! A role's signing requirement: authorised keyids and a threshold (spec 4.3 `roles`).

use crate::MetadataError;
use crate::fields::{Fields, with_rest};
use crate::json::{Map, Value};

/// Which keys may sign a role and how many must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `keyids`: unique.
    pub keyids: Vec<String>,
    /// `threshold`: at least 1.
    pub threshold: u64,
    /// Unrecognized fields.
    pub unrecognized: Map,
}

impl Role {
    /// A role with these keys and threshold.
    pub fn new(keyids: Vec<String>, threshold: u64) -> Role {
        Role {
            keyids,
            threshold,
            unrecognized: Map::new(),
        }
    }

    /// Takes `keyids` and `threshold` out of `f` with the spec's rules (unique keyids,
    /// threshold at least 1).
    pub(crate) fn take_keys(f: &mut Fields<'_>) -> Result<(Vec<String>, u64), MetadataError> {
        let keyids = f.req("keyids")?;
        let keyids = f.ctx.strings(keyids, &f.path.key("keyids"))?;
        let mut seen = std::collections::HashSet::with_capacity(keyids.len());
        for k in &keyids {
            if !seen.insert(k.as_str()) {
                return Err(f.fail("keyids", format!("keyid {k} is listed twice")));
            }
        }
        let threshold = f.req_uint("threshold")?;
        if threshold == 0 {
            return Err(f.fail("threshold", "must be at least 1"));
        }
        Ok((keyids, threshold))
    }

    pub(crate) fn decode(mut f: Fields<'_>) -> Result<Role, MetadataError> {
        let (keyids, threshold) = Role::take_keys(&mut f)?;
        Ok(Role {
            keyids,
            threshold,
            unrecognized: f.rest(),
        })
    }

    pub(crate) fn put_keys(keyids: &[String], threshold: u64, m: &mut Map) {
        m.insert(
            "keyids",
            Value::Array(keyids.iter().map(|k| Value::String(k.clone())).collect()),
        );
        m.insert("threshold", threshold.into());
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        Role::put_keys(&self.keyids, self.threshold, &mut m);
        with_rest(m, &self.unrecognized)
    }
}
