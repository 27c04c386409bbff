//! The one error type of this crate.

use thiserror::Error;
use tuf_crypto::CryptoError;
use tuf_metadata::MetadataError;

/// Everything that can stop a repository operation. Each names the file or role concerned.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RepoError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The repository configuration is unusable.
    #[error("repository configuration: {0}")]
    Config(String),
    /// Metadata in the repository is malformed or does not verify.
    #[error("{role}: {source}")]
    Metadata {
        /// The role.
        role: String,
        /// What failed.
        #[source]
        source: Box<MetadataError>,
    },
    /// A key could not be made, loaded or used.
    #[error("{what}: {source}")]
    Key {
        /// Which key.
        what: String,
        /// What failed.
        #[source]
        source: CryptoError,
    },
    /// A role would be published without meeting its configured threshold or expiry.
    #[error("refusing to publish {role}: {rule}")]
    Policy {
        /// The role.
        role: String,
        /// The rule it would break.
        rule: String,
    },
    /// A file of the tree cannot become a target.
    #[error("{path}: {reason}")]
    BadTarget {
        /// The file (or target path).
        path: String,
        /// Why.
        reason: String,
    },
    /// The repository is not in the state the operation needs.
    #[error("{0}")]
    State(String),
}

impl RepoError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> RepoError {
        RepoError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn metadata(role: &str, source: MetadataError) -> RepoError {
        RepoError::Metadata {
            role: role.to_owned(),
            source: Box::new(source),
        }
    }
}

/// Shorthand.
pub type Result<T, E = RepoError> = std::result::Result<T, E>;
