//! The targets role and delegated targets roles (spec 4.5).

use crate::MetadataError;
use crate::common::{Common, Signed, decode_signed, encode_signed};
use crate::delegation::{DelegatedRole, DelegatedRoles, Delegations, SuccinctRoles};
use crate::expiry::Expiry;
use crate::files::TargetFile;
use crate::json::{Map, Value};
use crate::key::Key;
use std::collections::BTreeMap;

/// A targets role's `signed` object: target files, and optionally delegations.
///
/// ```
/// use tuf_crypto::HashAlgorithm;
/// use tuf_metadata::{Expiry, Signed, TargetFile, Targets};
///
/// let mut t = Targets::new(Expiry::parse("2030-01-01T00:00:00Z").unwrap());
/// t.add_target("simple/foo/index.html", TargetFile::of(b"<html/>", &[HashAlgorithm::Sha256]).unwrap());
/// t.bump_version().unwrap();
/// assert_eq!(t.version(), 2);
/// assert!(t.targets.contains_key("simple/foo/index.html"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// Header fields.
    pub common: Common,
    /// `targets` by target path.
    pub targets: BTreeMap<String, TargetFile>,
    /// `delegations`, if any.
    pub delegations: Option<Delegations>,
}

impl Targets {
    /// A version-1 targets role with no targets and no delegations.
    pub fn new(expires: Expiry) -> Targets {
        Targets {
            common: Common::new(expires),
            targets: BTreeMap::new(),
            delegations: None,
        }
    }

    /// Adds or replaces a target.
    pub fn add_target(&mut self, path: &str, file: TargetFile) {
        self.targets.insert(path.to_owned(), file);
    }

    /// Removes a target; returns what was there.
    pub fn remove_target(&mut self, path: &str) -> Option<TargetFile> {
        self.targets.remove(path)
    }

    /// Appends a delegation (lowest priority so far) with the keys it uses.
    pub fn add_delegated_role(
        &mut self,
        role: DelegatedRole,
        keys: Vec<Key>,
    ) -> Result<(), MetadataError> {
        let edit = |rule: String| MetadataError::Edit {
            role: "targets".into(),
            rule,
        };
        if crate::is_reserved_role_name(&role.name) {
            return Err(edit(format!("cannot delegate to {:?}", role.name)));
        }
        let d = self.delegations.get_or_insert_with(|| Delegations {
            keys: Default::default(),
            roles: DelegatedRoles::Roles(Vec::new()),
            unrecognized: Map::new(),
        });
        let DelegatedRoles::Roles(roles) = &mut d.roles else {
            return Err(edit(
                "delegations use succinct_roles; cannot add a named role".into(),
            ));
        };
        if roles.iter().any(|r| r.name == role.name) {
            return Err(edit(format!("role {:?} is already delegated", role.name)));
        }
        roles.push(role);
        for k in keys {
            d.keys.insert(k.keyid(), k);
        }
        Ok(())
    }

    /// Removes delegated role `name`, and keys no remaining role uses.
    pub fn remove_delegated_role(&mut self, name: &str) -> Result<DelegatedRole, MetadataError> {
        let missing = || MetadataError::Edit {
            role: "targets".into(),
            rule: format!("role {name:?} is not delegated"),
        };
        let d = self.delegations.as_mut().ok_or_else(missing)?;
        let DelegatedRoles::Roles(roles) = &mut d.roles else {
            return Err(missing());
        };
        let pos = roles
            .iter()
            .position(|r| r.name == name)
            .ok_or_else(missing)?;
        let removed = roles.remove(pos);
        let used: std::collections::HashSet<&String> =
            roles.iter().flat_map(|r| r.keyids.iter()).collect();
        d.keys.retain(|id, _| used.contains(id));
        Ok(removed)
    }

    /// Delegates by succinct hash bins (TAP 15), replacing any other delegations.
    pub fn set_succinct_roles(&mut self, bins: SuccinctRoles, keys: Vec<Key>) {
        self.delegations = Some(Delegations {
            keys: keys.into_iter().map(|k| (k.keyid(), k)).collect(),
            roles: DelegatedRoles::Succinct(bins),
            unrecognized: Map::new(),
        });
    }
}

impl Signed for Targets {
    const TYPE: &'static str = "targets";

    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn from_value(v: Value, role: &str) -> Result<Targets, MetadataError> {
        let (common, (targets, delegations)) = decode_signed(v, role, Self::TYPE, |f| {
            let tp = f.path.key("targets");
            let tv = f.req("targets")?;
            let map = f.ctx.object(tv, &tp)?;
            let targets = map
                .into_iter()
                .map(|(path, tf)| {
                    let file = TargetFile::decode(tf, &tp.key(&path), f.ctx)?;
                    Ok((path.into_owned(), file))
                })
                .collect::<Result<BTreeMap<_, _>, MetadataError>>()?;
            let delegations = match f.opt("delegations") {
                Some(d) => Some(Delegations::decode(d, &f.path.key("delegations"), f.ctx)?),
                None => None,
            };
            Ok((targets, delegations))
        })?;
        Ok(Targets {
            common,
            targets,
            delegations,
        })
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "targets",
            Value::Object(
                self.targets
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        );
        if let Some(d) = &self.delegations {
            m.insert("delegations", d.to_value());
        }
        encode_signed(&self.common, Self::TYPE, m)
    }
}
