//! The one error type of this crate.

use crate::json::JsonSyntax;
use thiserror::Error;
use tuf_crypto::CryptoError;

/// Everything that can go wrong reading, checking or writing metadata.
///
/// Each variant names the role (its name, or its type when the name is not known) and, where
/// one applies, the field (a path such as `signed.roles.root.threshold`) and the rule broken.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataError {
    /// The bytes are not acceptable JSON.
    #[error("{role} metadata: invalid JSON: {source}")]
    Json {
        /// The role being read.
        role: String,
        /// Where and why.
        #[source]
        source: JsonSyntax,
    },
    /// A field breaks a rule of the specification.
    #[error("{role} metadata: field `{field}`: {rule}")]
    Field {
        /// The role being read.
        role: String,
        /// Path of the field, e.g. `signed.delegations.roles[2].threshold`.
        field: String,
        /// The rule it breaks.
        rule: String,
    },
    /// Signature checking failed (threshold not met, key unusable...).
    #[error("{role} metadata: {source}")]
    Crypto {
        /// The role being checked.
        role: String,
        /// The underlying failure.
        #[source]
        source: CryptoError,
    },
    /// A builder was asked for something the specification forbids.
    #[error("{role} metadata: cannot edit: {rule}")]
    Edit {
        /// The role being edited.
        role: String,
        /// The rule the edit would break.
        rule: String,
    },
}

/// Shorthand for results in this crate.
pub type Result<T, E = MetadataError> = std::result::Result<T, E>;
