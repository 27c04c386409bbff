//! Delegations (spec 4.5 `delegations`, TAP 15 succinct hash bins): who may sign which paths.

use crate::MetadataError;
use crate::fields::{Ctx, Path, with_rest};
use crate::json::{Map, Value};
use crate::key::{KeyMap, decode_keys, keys_value};
use crate::pattern::path_matches;
use crate::role::Role;
use crate::root::is_reserved_role_name;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Which target paths a delegated role is trusted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSet {
    /// `paths`: glob patterns matched part by part ([`crate::path_matches`]).
    Paths(Vec<String>),
    /// `path_hash_prefixes`: prefixes of the hex SHA-256 of the target path.
    HashPrefixes(Vec<String>),
}

/// One entry of `delegations.roles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedRole {
    /// `name`: not empty, not a top-level role name in any case, unique among its siblings.
    pub name: String,
    /// `keyids`: unique.
    pub keyids: Vec<String>,
    /// `threshold`: at least 1.
    pub threshold: u64,
    /// `terminating`: if true, a search that reaches this role stops here (spec 5.6.7.2.1).
    pub terminating: bool,
    /// `paths` or `path_hash_prefixes`, exactly one.
    pub paths: PathSet,
    /// Unrecognized fields.
    pub unrecognized: Map,
}

/// The lower-case hex SHA-256 of a target path, as hash-prefix delegations use it.
pub fn target_path_hash(target: &str) -> String {
    hex::encode(Sha256::digest(target.as_bytes()))
}

impl DelegatedRole {
    /// A delegation of `paths` to `name`.
    pub fn new(
        name: &str,
        keyids: Vec<String>,
        threshold: u64,
        terminating: bool,
        paths: PathSet,
    ) -> DelegatedRole {
        DelegatedRole {
            name: name.to_owned(),
            keyids,
            threshold,
            terminating,
            paths,
            unrecognized: Map::new(),
        }
    }

    /// Whether this role is trusted for `target` (spec 5.6.7.2; python-tuf semantics).
    ///
    /// ```
    /// use tuf_metadata::{DelegatedRole, PathSet};
    ///
    /// let r = DelegatedRole::new("a", vec![], 1, false, PathSet::Paths(vec!["a/*".into()]));
    /// assert!(r.is_delegated_path("a/x.txt"));
    /// assert!(!r.is_delegated_path("a/b/x.txt"));
    /// ```
    pub fn is_delegated_path(&self, target: &str) -> bool {
        self.is_delegated_path_hashed(target, &mut None)
    }

    /// As [`Self::is_delegated_path`], computing the path's hash at most once across calls
    /// that share `hash`.
    fn is_delegated_path_hashed(&self, target: &str, hash: &mut Option<String>) -> bool {
        match &self.paths {
            PathSet::Paths(patterns) => patterns.iter().any(|p| path_matches(target, p)),
            PathSet::HashPrefixes(prefixes) => {
                let h = hash.get_or_insert_with(|| target_path_hash(target));
                prefixes.iter().any(|p| h.starts_with(p.as_str()))
            }
        }
    }

    fn decode(v: Value, path: &Path<'_>, ctx: &Ctx<'_>) -> Result<DelegatedRole, MetadataError> {
        let mut f = ctx.fields(v, path)?;
        let name = f.req_string("name")?;
        let (keyids, threshold) = Role::take_keys(&mut f)?;
        let terminating = f.req_bool("terminating")?;
        let paths = f.opt("paths");
        let prefixes = f.opt("path_hash_prefixes");
        let paths = match (paths, prefixes) {
            (Some(p), None) => PathSet::Paths(ctx.strings(p, &path.key("paths"))?),
            (None, Some(p)) => {
                PathSet::HashPrefixes(ctx.strings(p, &path.key("path_hash_prefixes"))?)
            }
            _ => {
                return Err(ctx.fail(
                    path,
                    "must have exactly one of paths and path_hash_prefixes",
                ));
            }
        };
        Ok(DelegatedRole {
            name,
            keyids,
            threshold,
            terminating,
            paths,
            unrecognized: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("name", self.name.clone().into());
        Role::put_keys(&self.keyids, self.threshold, &mut m);
        m.insert("terminating", self.terminating.into());
        let (key, list) = match &self.paths {
            PathSet::Paths(p) => ("paths", p),
            PathSet::HashPrefixes(p) => ("path_hash_prefixes", p),
        };
        m.insert(
            key,
            Value::Array(list.iter().map(|s| Value::String(s.clone())).collect()),
        );
        with_rest(m, &self.unrecognized)
    }
}

/// TAP 15 succinct hash-bin delegation: `2^bit_length` roles named
/// `{name_prefix}-{bin}` (bin in lower-case hex, zero-padded), all signed by the same keys.
///
/// ```
/// use tuf_metadata::SuccinctRoles;
///
/// let s = SuccinctRoles::new(vec![], 1, 8, "bins").unwrap();
/// assert_eq!(s.bin_count(), 256);
/// assert_eq!(s.role_names().next().unwrap(), "bins-00");
/// let bin = s.role_for_target("packages/foo-1.0.tar.gz");
/// assert!(s.is_delegated_role(&bin));
/// assert!(!s.is_delegated_role("bins-100"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccinctRoles {
    /// `keyids` for every bin.
    pub keyids: Vec<String>,
    /// `threshold` for every bin.
    pub threshold: u64,
    /// `bit_length`: 1 to 32.
    bit_length: u8,
    /// `name_prefix`.
    pub name_prefix: String,
    /// Unrecognized fields.
    pub unrecognized: Map,
}

impl SuccinctRoles {
    /// Bins of `bit_length` bits (1 to 32) named `{name_prefix}-…`.
    pub fn new(
        keyids: Vec<String>,
        threshold: u64,
        bit_length: u8,
        name_prefix: &str,
    ) -> Option<SuccinctRoles> {
        (1..=32).contains(&bit_length).then(|| SuccinctRoles {
            keyids,
            threshold,
            bit_length,
            name_prefix: name_prefix.to_owned(),
            unrecognized: Map::new(),
        })
    }

    /// `bit_length`.
    pub fn bit_length(&self) -> u8 {
        self.bit_length
    }

    /// How many bins: `2^bit_length`.
    pub fn bin_count(&self) -> u64 {
        1u64 << self.bit_length
    }

    /// Hex digits in a bin suffix: the width of the largest bin number.
    pub fn suffix_len(&self) -> usize {
        format!("{:x}", self.bin_count() - 1).len()
    }

    /// The bin of `target`: the first `bit_length` bits of SHA-256 of the path.
    pub fn bin_for_target(&self, target: &str) -> u64 {
        let digest = Sha256::digest(target.as_bytes());
        let first = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        u64::from(first >> (32 - u32::from(self.bit_length)))
    }

    /// The name of bin number `bin`.
    pub fn role_name(&self, bin: u64) -> String {
        format!(
            "{}-{:0width$x}",
            self.name_prefix,
            bin,
            width = self.suffix_len()
        )
    }

    /// The name of the bin role responsible for `target`.
    pub fn role_for_target(&self, target: &str) -> String {
        self.role_name(self.bin_for_target(target))
    }

    /// Every bin role name, in bin order.
    pub fn role_names(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.bin_count()).map(|b| self.role_name(b))
    }

    /// Whether `name` is one of the bins (right prefix, suffix of the exact width, in range).
    pub fn is_delegated_role(&self, name: &str) -> bool {
        let Some(suffix) = name
            .strip_prefix(self.name_prefix.as_str())
            .and_then(|s| s.strip_prefix('-'))
        else {
            return false;
        };
        suffix.len() == self.suffix_len()
            && suffix.bytes().all(|b| b.is_ascii_hexdigit())
            && u64::from_str_radix(suffix, 16).is_ok_and(|n| n < self.bin_count())
    }

    fn decode(v: Value, path: &Path<'_>, ctx: &Ctx<'_>) -> Result<SuccinctRoles, MetadataError> {
        let mut f = ctx.fields(v, path)?;
        let (keyids, threshold) = Role::take_keys(&mut f)?;
        let bit_length = f.req_uint("bit_length")?;
        if !(1..=32).contains(&bit_length) {
            return Err(f.fail("bit_length", "must be between 1 and 32"));
        }
        let name_prefix = f.req_string("name_prefix")?;
        Ok(SuccinctRoles {
            keyids,
            threshold,
            bit_length: bit_length as u8,
            name_prefix,
            unrecognized: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        Role::put_keys(&self.keyids, self.threshold, &mut m);
        m.insert("bit_length", u64::from(self.bit_length).into());
        m.insert("name_prefix", self.name_prefix.clone().into());
        with_rest(m, &self.unrecognized)
    }
}

/// How a targets role delegates: a prioritised list of roles, or succinct hash bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DelegatedRoles {
    /// `roles`, in priority order.
    Roles(Vec<DelegatedRole>),
    /// `succinct_roles` (TAP 15).
    Succinct(SuccinctRoles),
}

/// A targets role's `delegations` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegations {
    /// `keys` by keyid.
    pub keys: KeyMap,
    /// `roles` or `succinct_roles`.
    pub roles: DelegatedRoles,
    /// Unrecognized fields.
    pub unrecognized: Map,
}

impl Delegations {
    /// The roles to consult for `target`, in order, each with its `terminating` flag
    /// (spec 5.6.7.2). Succinct bins count as terminating, as in python-tuf.
    ///
    /// ```
    /// use tuf_metadata::{DelegatedRole, DelegatedRoles, Delegations, PathSet};
    ///
    /// let d = Delegations {
    ///     keys: Default::default(),
    ///     roles: DelegatedRoles::Roles(vec![
    ///         DelegatedRole::new("a", vec![], 1, true, PathSet::Paths(vec!["a/*".into()])),
    ///         DelegatedRole::new("any", vec![], 1, false, PathSet::Paths(vec!["*/*".into()])),
    ///     ]),
    ///     unrecognized: Default::default(),
    /// };
    /// let names: Vec<_> = d.roles_for_target("a/x").into_iter().map(|(n, t)| (n.into_owned(), t)).collect();
    /// assert_eq!(names, [("a".to_string(), true), ("any".to_string(), false)]);
    /// ```
    pub fn roles_for_target(&self, target: &str) -> Vec<(Cow<'_, str>, bool)> {
        match &self.roles {
            DelegatedRoles::Roles(roles) => {
                let mut hash = None;
                roles
                    .iter()
                    .filter(|r| r.is_delegated_path_hashed(target, &mut hash))
                    .map(|r| (Cow::Borrowed(r.name.as_str()), r.terminating))
                    .collect()
            }
            DelegatedRoles::Succinct(s) => vec![(Cow::Owned(s.role_for_target(target)), true)],
        }
    }

    /// The keyids and threshold required of delegated role `name`, if this delegates to it.
    pub fn role_keys(&self, name: &str) -> Option<(&[String], u64)> {
        match &self.roles {
            DelegatedRoles::Roles(roles) => roles
                .iter()
                .find(|r| r.name == name)
                .map(|r| (r.keyids.as_slice(), r.threshold)),
            DelegatedRoles::Succinct(s) => s
                .is_delegated_role(name)
                .then_some((s.keyids.as_slice(), s.threshold)),
        }
    }

    pub(crate) fn decode(
        v: Value,
        path: &Path<'_>,
        ctx: &Ctx<'_>,
    ) -> Result<Delegations, MetadataError> {
        let mut f = ctx.fields(v, path)?;
        let keys = f.req("keys")?;
        let keys = decode_keys(keys, &path.key("keys"), ctx)?;
        let roles = match (f.opt("roles"), f.opt("succinct_roles")) {
            (Some(r), None) => {
                let rp = path.key("roles");
                let items = ctx.array(r, &rp)?;
                let mut roles: Vec<DelegatedRole> = Vec::with_capacity(items.len());
                let mut names = std::collections::HashSet::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let ip = rp.index(i);
                    let role = DelegatedRole::decode(item, &ip, ctx)?;
                    // Spec 4.5, and top-level names in any case (see is_reserved_role_name).
                    if is_reserved_role_name(&role.name) {
                        return Err(ctx.fail(
                            &ip.key("name"),
                            format!("{:?}: a delegated role cannot be empty or use a top-level role name in any case", role.name),
                        ));
                    }
                    if !names.insert(role.name.clone()) {
                        return Err(ctx.fail(
                            &ip.key("name"),
                            format!("role {:?} is delegated twice", role.name),
                        ));
                    }
                    roles.push(role);
                }
                DelegatedRoles::Roles(roles)
            }
            (None, Some(s)) => DelegatedRoles::Succinct(SuccinctRoles::decode(
                s,
                &path.key("succinct_roles"),
                ctx,
            )?),
            _ => return Err(ctx.fail(path, "must have exactly one of roles and succinct_roles")),
        };
        Ok(Delegations {
            keys,
            roles,
            unrecognized: f.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("keys", keys_value(&self.keys));
        match &self.roles {
            DelegatedRoles::Roles(r) => {
                m.insert(
                    "roles",
                    Value::Array(r.iter().map(DelegatedRole::to_value).collect()),
                );
            }
            DelegatedRoles::Succinct(s) => {
                m.insert("succinct_roles", s.to_value());
            }
        }
        with_rest(m, &self.unrecognized)
    }
}
