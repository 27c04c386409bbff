//! Typed, strict, round-trip-exact metadata for
//! [The Update Framework](https://theupdateframework.io) (specification 1.0.x), interoperable
//! byte for byte with python-tuf.
//!
//! * Every role: [`Root`], [`Timestamp`], [`Snapshot`], [`Targets`] with [`Delegations`]
//!   (named [`DelegatedRole`]s with `paths` or `path_hash_prefixes`, or TAP 15
//!   [`SuccinctRoles`]), [`MetaFile`], [`TargetFile`], wrapped in a signed [`Metadata`].
//! * Strict parsing: a [`json`] parser that refuses duplicate member names, floats, bad UTF-8
//!   and excessive nesting, and decoders that check the spec's rules and name the role, the
//!   field and the rule in every [`MetadataError`]. Unknown fields, anywhere, and integers of
//!   any size survive a round trip.
//! * OLPC canonical JSON ([`json::write_canonical`]) for signatures, computed once per
//!   document over `signed` as received; python-tuf's compact and pretty layouts for writing.
//! * Delegation helpers ([`Delegations::roles_for_target`], [`path_matches`],
//!   [`SuccinctRoles`]) and builders for repository writers.
//!
//! No I/O happens here.
//!
//! ```
//! use tuf_crypto::{HashAlgorithm, KeyAlgorithm, PrivateKey, Signer};
//! use tuf_metadata::{json::Layout, Expiry, Key, Metadata, Root, Signed, TargetFile, Targets};
//!
//! let expires = Expiry::parse("2030-01-01T00:00:00Z").unwrap();
//! let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
//!
//! // A root that trusts `key` for every top-level role.
//! let mut root = Root::new(expires);
//! for role in ["root", "timestamp", "snapshot", "targets"] {
//!     root.add_key(role, Key::from_public_key(key.public_key())).unwrap();
//! }
//!
//! // A targets role listing one file, signed and serialized as python-tuf would.
//! let mut targets = Targets::new(expires);
//! targets.add_target("hello.txt", TargetFile::of(b"hello", &[HashAlgorithm::Sha256]).unwrap());
//! let mut md = Metadata::new(targets);
//! md.sign(&key, false).unwrap();
//! let bytes = md.to_bytes(Layout::Pretty);
//!
//! // A client parses it and checks the signatures against root.
//! let received = Metadata::<Targets>::from_bytes(&bytes).unwrap();
//! root.verify_delegate("targets", &received).unwrap();
//! let info = &received.signed().targets["hello.txt"];
//! assert!(info.verify_data("hello.txt", b"hello").is_ok());
//! assert!(!received.signed().is_expired_at(Expiry::parse("2029-12-31T23:59:59Z").unwrap()));
//! ```

mod common;
mod delegation;
mod error;
mod expiry;
mod fields;
mod files;
pub mod json;
mod key;
mod meta;
mod meta_compact;
mod meta_map;
mod metadata;
pub mod naming;
mod pattern;
mod role;
mod root;
mod targets;

pub use common::{Common, SPEC_MAJOR, SPEC_VERSION, Signed};
pub use delegation::{
    DelegatedRole, DelegatedRoles, Delegations, PathSet, SuccinctRoles, target_path_hash,
};
pub use error::{MetadataError, Result};
pub use expiry::Expiry;
pub use files::{Hashes, MetaFile, TargetFile, UNPREFIXED};
pub use key::{Key, KeyMap};
pub use meta::{MetaMap, Snapshot, Timestamp};
pub use metadata::{Metadata, Signature};
pub use pattern::{fnmatch, path_matches};
pub use role::Role;
pub use root::{Root, TOP_LEVEL_ROLES, is_reserved_role_name};
pub use targets::Targets;
