//! The root role (spec 4.3).

use crate::MetadataError;
use crate::common::{Common, Signed, decode_signed, encode_signed};
use crate::expiry::Expiry;
use crate::json::{Map, Value};
use crate::key::{Key, KeyMap, decode_keys, keys_value};
use crate::role::Role;
use std::collections::BTreeMap;

/// The four top-level role names.
pub const TOP_LEVEL_ROLES: [&str; 4] = ["root", "snapshot", "targets", "timestamp"];

/// Whether `name` cannot be a delegated role's name: empty, a top-level role name (spec
/// 4.5), or one that case-folds onto a top-level role name (`Timestamp`, `ROOT`,
/// `ſnapshot` with a long s). The last is this crate's rule, stricter than the spec: on the
/// case-insensitive file systems of macOS and Windows such a role's file would land on the
/// top-level role's file in a client that stores roles by name.
///
/// ```
/// use tuf_metadata::is_reserved_role_name;
/// assert!(is_reserved_role_name("timestamp") && is_reserved_role_name("Root"));
/// assert!(!is_reserved_role_name("bins-0a") && !is_reserved_role_name("roots"));
/// ```
pub fn is_reserved_role_name(name: &str) -> bool {
    name.is_empty()
        || TOP_LEVEL_ROLES.iter().any(|top| {
            name.eq_ignore_ascii_case(top)
                || name.to_lowercase() == *top
                || name.to_uppercase() == top.to_uppercase()
        })
}

/// `root.json`'s `signed` object: the keys and thresholds of the top-level roles.
///
/// ```
/// use tuf_crypto::{KeyAlgorithm, PrivateKey, Signer};
/// use tuf_metadata::{Expiry, Key, Metadata, Root, Signed};
///
/// let k = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
/// let mut root = Root::new(Expiry::parse("2030-01-01T00:00:00Z").unwrap());
/// for role in ["root", "timestamp", "snapshot", "targets"] {
///     root.add_key(role, Key::from_public_key(k.public_key())).unwrap();
/// }
/// let mut md = Metadata::new(root);
/// md.sign(&k, false).unwrap();
/// let bytes = md.to_bytes(tuf_metadata::json::Layout::Compact);
/// let back = Metadata::<Root>::from_bytes(&bytes).unwrap();
/// back.signed().verify_delegate("root", &back).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// Header fields.
    pub common: Common,
    /// `consistent_snapshot`; an absent field stays absent on a round trip and reads as false.
    pub consistent_snapshot: Option<bool>,
    /// `keys` by keyid.
    pub keys: KeyMap,
    /// `roles`: exactly the four top-level roles.
    pub roles: BTreeMap<String, Role>,
}

impl Root {
    /// A version-1 root with no keys, threshold 1 for each role, consistent snapshots on.
    pub fn new(expires: Expiry) -> Root {
        Root {
            common: Common::new(expires),
            consistent_snapshot: Some(true),
            keys: KeyMap::new(),
            roles: TOP_LEVEL_ROLES
                .iter()
                .map(|r| (r.to_string(), Role::new(Vec::new(), 1)))
                .collect(),
        }
    }

    /// Whether consistent snapshots are used (absent means false, spec 4.3).
    pub fn consistent_snapshot(&self) -> bool {
        self.consistent_snapshot.unwrap_or(false)
    }

    /// The requirement for top-level role `name`.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// Authorises `key` for top-level role `role` (adding it to `keys`).
    pub fn add_key(&mut self, role: &str, key: Key) -> Result<(), MetadataError> {
        let r = self
            .roles
            .get_mut(role)
            .ok_or_else(|| MetadataError::Edit {
                role: "root".into(),
                rule: format!("{role:?} is not a top-level role"),
            })?;
        let keyid = key.keyid();
        if !r.keyids.contains(&keyid) {
            r.keyids.push(keyid.clone());
        }
        self.keys.insert(keyid, key);
        Ok(())
    }

    /// Removes `keyid` from `role`, and from `keys` once no role uses it.
    pub fn revoke_key(&mut self, role: &str, keyid: &str) -> Result<(), MetadataError> {
        let r = self
            .roles
            .get_mut(role)
            .ok_or_else(|| MetadataError::Edit {
                role: "root".into(),
                rule: format!("{role:?} is not a top-level role"),
            })?;
        let before = r.keyids.len();
        r.keyids.retain(|k| k != keyid);
        if r.keyids.len() == before {
            return Err(MetadataError::Edit {
                role: "root".into(),
                rule: format!("key {keyid} is not used by {role}"),
            });
        }
        if !self
            .roles
            .values()
            .any(|r| r.keyids.iter().any(|k| k == keyid))
        {
            self.keys.remove(keyid);
        }
        Ok(())
    }
}

impl Signed for Root {
    const TYPE: &'static str = "root";

    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn from_value(v: Value, role: &str) -> Result<Root, MetadataError> {
        let (common, (consistent_snapshot, keys, roles)) = decode_signed(v, role, "root", |f| {
            let cs = match f.opt("consistent_snapshot") {
                Some(v) => Some(f.ctx.boolean(v, &f.path.key("consistent_snapshot"))?),
                None => None,
            };
            let keys = f.req("keys")?;
            let keys = decode_keys(keys, &f.path.key("keys"), f.ctx)?;
            let roles_path = f.path.key("roles");
            let roles_v = f.req("roles")?;
            let roles_map = f.ctx.object(roles_v, &roles_path)?;
            let mut roles = BTreeMap::new();
            for (name, rv) in roles_map {
                let p = roles_path.key(&name);
                let role = Role::decode(f.ctx.fields(rv, &p)?)?;
                roles.insert(name.into_owned(), role);
            }
            // Spec 4.3: `roles` defines exactly the top-level roles.
            let names: Vec<&str> = roles.keys().map(String::as_str).collect();
            if names != TOP_LEVEL_ROLES {
                return Err(f.fail(
                    "roles",
                    format!(
                        "must define exactly root, snapshot, targets and timestamp, found {names:?}"
                    ),
                ));
            }
            Ok((cs, keys, roles))
        })?;
        Ok(Root {
            common,
            consistent_snapshot,
            keys,
            roles,
        })
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        if let Some(cs) = self.consistent_snapshot {
            m.insert("consistent_snapshot", cs.into());
        }
        m.insert("keys", keys_value(&self.keys));
        m.insert(
            "roles",
            Value::Object(
                self.roles
                    .iter()
                    .map(|(k, r)| (k.clone(), r.to_value()))
                    .collect(),
            ),
        );
        encode_signed(&self.common, Self::TYPE, m)
    }
}
