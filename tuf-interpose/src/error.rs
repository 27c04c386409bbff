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
    /// The proxy could not start.
    #[error("proxy: {0}")]
    Proxy(String),
}
