//! The one error type of this crate: one variant per rule, naming role, file, versions and
//! the spec section.

use thiserror::Error;
use tuf_crypto::CryptoError;
use tuf_metadata::{Expiry, MetadataError};
use tuf_transport::TransportError;

/// Everything that can stop a refresh or a download. Not `Clone`: it carries I/O errors as
/// they are.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum UpdaterError {
    /// Metadata did not parse, or its signatures do not meet the threshold. Printed as the
    /// metadata error, which names the role itself (so the message says it once, and the
    /// error is not repeated as a `source()`).
    #[error("{error}")]
    Metadata {
        /// The role.
        role: String,
        /// What failed.
        error: Box<MetadataError>,
    },
    /// A version lower than the trusted one: a rollback attack.
    #[error("{role} version {got} < trusted {trusted}: rollback refused (spec {section})")]
    Rollback {
        /// The role (or the `meta` file name) whose version went back.
        role: String,
        /// Version received.
        got: u64,
        /// Version trusted.
        trusted: u64,
        /// Spec section of the rule.
        section: &'static str,
    },
    /// A version other than the one the referring metadata names.
    #[error("{role}: version {got}, expected {expected} (spec {section})")]
    VersionMismatch {
        /// The role.
        role: String,
        /// Version expected.
        expected: u64,
        /// Version received.
        got: u64,
        /// Spec section of the rule.
        section: &'static str,
    },
    /// Metadata expired at the reference time: a freeze attack, or a stale repository.
    #[error(
        "{role} expired at {expires} (reference time {reference}): freeze refused (spec {section})"
    )]
    Expired {
        /// The role.
        role: String,
        /// Its expiry.
        expires: Expiry,
        /// The reference time of this refresh (spec 5.1).
        reference: Expiry,
        /// Spec section of the rule.
        section: &'static str,
    },
    /// Bytes do not match the length or hashes listed by trusted metadata. Printed as the
    /// check's error, which names the file, and the rule.
    #[error("{error} (spec {section})")]
    LengthOrHash {
        /// The role or target.
        role: String,
        /// What did not match.
        error: Box<CryptoError>,
        /// Spec section of the rule.
        section: &'static str,
    },
    /// A new snapshot dropped a file the trusted snapshot listed.
    #[error("new snapshot no longer lists {file}: refused (spec 5.5.5)")]
    MetaRemoved {
        /// The `meta` entry that disappeared.
        file: String,
    },
    /// A role was delegated but the snapshot does not list it.
    #[error("snapshot does not list {role}.json (spec 5.6.1)")]
    NotInSnapshot {
        /// The role.
        role: String,
    },
    /// The root chain is longer than allowed.
    #[error("more than {max} root rotations in one refresh (spec 5.3.3)")]
    TooManyRotations {
        /// The limit.
        max: u64,
    },
    /// No role allowed to provide this target lists it.
    #[error("target {path} not found in any role trusted for it (spec 5.6.7)")]
    TargetNotFound {
        /// The target path.
        path: String,
    },
    /// The trusted root (local, or given to `init`) is unusable.
    #[error("trusted root {path}: {reason}")]
    TrustedRoot {
        /// Where it was read from.
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// The local store could not be read or written.
    #[error("local store {path}: {error}")]
    Store {
        /// File or directory.
        path: String,
        /// The I/O error itself (its kind tells a full disk from a permission problem).
        error: std::io::Error,
    },
    /// Fetching failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An operation needs a refresh first, or offline data that is not there.
    #[error("{0}")]
    State(String),
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// What kind of failure an [`UpdaterError`] is, as python-tuf separates its
/// `RepositoryError` from its `DownloadError`: so that a caller can tell "the repository, or
/// someone between it and us, served something that breaks the rules" from "the network
/// failed" without matching every variant. In every family the trusted state is unchanged.
///
/// ```
/// use tuf_updater::{ErrorFamily, UpdaterError};
///
/// let e = UpdaterError::MetaRemoved { file: "bins.json".into() };
/// assert_eq!(e.family(), ErrorFamily::Repository);
/// assert_eq!(UpdaterError::Config("no mirror".into()).family(), ErrorFamily::Usage);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorFamily {
    /// Metadata or a file the repository served breaks a rule: a bad signature, a rollback,
    /// an expired role (a freeze, or a stale repository), a version or hashes other than
    /// the referring metadata lists, a role missing from the snapshot, too many roots.
    /// Treat it as a possible attack.
    Repository,
    /// Nothing usable could be fetched: the network, an HTTP status, a mirror exceeding the
    /// length or time limits (the endless-data and slow-retrieval defences), every mirror
    /// failing. Trying again later, or another mirror, may succeed.
    Download,
    /// No role trusted for it lists the target.
    NotFound,
    /// The local side: the store could not be read or written, or the trusted root given
    /// is unusable.
    Local,
    /// The program's use of the library: a configuration, a URL or a call order that cannot
    /// work.
    Usage,
}

impl UpdaterError {
    /// The family of this error ([`ErrorFamily`]).
    pub fn family(&self) -> ErrorFamily {
        match self {
            UpdaterError::Metadata { .. }
            | UpdaterError::Rollback { .. }
            | UpdaterError::VersionMismatch { .. }
            | UpdaterError::Expired { .. }
            | UpdaterError::LengthOrHash { .. }
            | UpdaterError::MetaRemoved { .. }
            | UpdaterError::NotInSnapshot { .. }
            | UpdaterError::TooManyRotations { .. } => ErrorFamily::Repository,
            UpdaterError::TargetNotFound { .. } => ErrorFamily::NotFound,
            UpdaterError::TrustedRoot { .. } | UpdaterError::Store { .. } => ErrorFamily::Local,
            UpdaterError::Transport(e) => match e {
                TransportError::Rejected { .. } => ErrorFamily::Repository,
                TransportError::UnsupportedScheme { .. } | TransportError::InvalidUrl { .. } => {
                    ErrorFamily::Usage
                }
                _ => ErrorFamily::Download,
            },
            UpdaterError::State(_) | UpdaterError::Config(_) => ErrorFamily::Usage,
        }
    }

    pub(crate) fn metadata(role: &str, source: MetadataError) -> UpdaterError {
        UpdaterError::Metadata {
            role: role.to_owned(),
            error: Box::new(source),
        }
    }

    pub(crate) fn length_or_hash(
        role: &str,
        source: CryptoError,
        section: &'static str,
    ) -> UpdaterError {
        UpdaterError::LengthOrHash {
            role: role.to_owned(),
            error: Box::new(source),
            section,
        }
    }
}
