//! The one error type of this crate.

use thiserror::Error;

/// What can go wrong interposing.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum InterposeError {
    /// The rules file is unusable; names the rule.
    #[error("interposition rules: {0}")]
    Rules(String),
    /// A request URL was refused before any rule was tried (bad encoding, dot segments...).
    #[error("refused {path}: {reason}")]
    Refused {
        /// The request path.
        path: String,
        /// Why.
        reason: String,
    },
    /// No rule maps this URL to a target: it is not fetched at all.
    #[error("no interposition rule for {host}{path}: refused (nothing unverified is fetched)")]
    NoRule {
        /// The host.
        host: String,
        /// The path.
        path: String,
    },
    /// The TUF client failed.
    #[error(transparent)]
    Updater(#[from] tuf_updater::UpdaterError),
    /// The repository's trusted metadata has expired and no refresh has replaced it: nothing
    /// is served from it (spec 5.4.4, 5.5.6, 5.6.5 applied to a long-running client).
    #[error(
        "the TUF metadata of repository {repository} expired at {expires} and could not be refreshed: nothing is served from it"
    )]
    Expired {
        /// The repository.
        repository: String,
        /// The earliest expiry among its trusted metadata.
        expires: tuf_metadata::Expiry,
    },
    /// The proxy could not start.
    #[error("proxy: {0}")]
    Proxy(String),
    /// A file of a vouched rule ([`crate::RuleKind::Vouched`]) that no verified index page
    /// vouches for with a digest: not fetched.
    #[error("{target}: {reason}: refused (nothing unverified is fetched)")]
    NotVouched {
        /// The file's path.
        target: String,
        /// Why.
        reason: String,
    },
    /// A verified index page that cannot be read as its format (see [`crate::pages`]): it is
    /// not handed to the installer.
    #[error("a verified {format} page that cannot be read: {reason}: refused")]
    Page {
        /// The page's format.
        format: &'static str,
        /// What the reader met.
        reason: String,
    },
    /// The session's options could not be decided (a sandbox asked for is not available
    /// here...); the message says why.
    #[error("{0}")]
    Options(String),
    /// A requirement or installer option would fetch or build something TUF does not verify
    /// or is not on the allow-list (see [`crate::requirements`]); names where it was given and the rule.
    #[error("{at}: {item:?}: {rule}")]
    Source {
        /// Where: `command line`, or `FILE:LINE` of a requirements or constraints file.
        at: String,
        /// The requirement or option.
        item: String,
        /// The rule it breaks, and what to do instead.
        rule: String,
    },
    /// What the installer installed or downloaded is not all TUF-verified (see
    /// [`crate::proof`]); lists each unverified distribution and how to remove it.
    #[error("not verified by TUF: {}", .0.join("; "))]
    Unverified(Vec<String>),
}
