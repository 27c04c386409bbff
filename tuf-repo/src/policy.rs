//! Signature policy checked before anything is written: a role's new metadata must be signed
//! by the keys its delegator lists, to the threshold the configuration asks for (or the
//! delegation's, if higher).

use crate::{RepoError, Result};
use tuf_metadata::{Metadata, Root, Signed, Targets};

/// What a role is delegated by, for checking signatures before anything is written.
pub(crate) trait Delegator {
    /// Checks `md` as `role` delegated by `self`, with at least `threshold` signatures.
    fn check<T: Signed>(&self, role: &str, md: &Metadata<T>, threshold: u64) -> Result<()>;
}

/// A policy error naming `role`.
pub(crate) fn policy_err(role: &str, e: impl std::fmt::Display) -> RepoError {
    RepoError::Policy {
        role: role.to_owned(),
        rule: e.to_string(),
    }
}

impl Delegator for Root {
    fn check<T: Signed>(&self, role: &str, md: &Metadata<T>, threshold: u64) -> Result<()> {
        let r = self
            .role(role)
            .ok_or_else(|| policy_err(role, "not a top-level role"))?;
        md.verify(role, &r.keyids, r.threshold.max(threshold), &self.keys)
            .map(|_| ())
            .map_err(|e| policy_err(role, e))
    }
}

impl Delegator for Targets {
    fn check<T: Signed>(&self, role: &str, md: &Metadata<T>, threshold: u64) -> Result<()> {
        let d = self
            .delegations
            .as_ref()
            .ok_or_else(|| policy_err(role, "no delegations"))?;
        let (keyids, t) = d
            .role_keys(role)
            .ok_or_else(|| policy_err(role, "not delegated"))?;
        md.verify(role, keyids, t.max(threshold), &d.keys)
            .map(|_| ())
            .map_err(|e| policy_err(role, e))
    }
}
