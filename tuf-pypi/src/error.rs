//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong building a simple-index tree.
#[derive(Debug, thiserror::Error)]
pub enum PypiError {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A distribution is not what its name says (e.g. a wheel without one METADATA).
    #[error("{}: {reason}", path.display())]
    Distribution {
        /// The distribution file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl PypiError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> PypiError {
        PypiError::Io {
            path: path.to_owned(),
            source,
        }
    }
}
