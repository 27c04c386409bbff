//! [`TargetInfo`]: a target path and the trusted description found for it, kept together so
//! a download can only ever be checked against the description of the file it asks for.

use tuf_metadata::TargetFile;

/// A target found in the trusted metadata: its path and what the delegated role that
/// listed it says about it (length, hashes, custom data). Made only by
/// [`crate::Updater::target_info`]; [`crate::Updater::download_target`] takes the pair as one
/// value, so a path cannot be downloaded against another path's hashes.
///
/// ```no_run
/// # async fn run(updater: &tuf_updater::Updater) -> Result<(), tuf_updater::UpdaterError> {
/// let info = updater.target_info("packages/demo-1.0.tar.gz").await?;
/// println!("{} is {} bytes", info.path(), info.length());
/// let file = updater.download_target(&info).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    path: String,
    file: TargetFile,
}

impl TargetInfo {
    pub(crate) fn new(path: &str, file: TargetFile) -> TargetInfo {
        TargetInfo {
            path: path.to_owned(),
            file,
        }
    }

    /// The target path, as the metadata lists it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The trusted description: length, hashes and custom data.
    pub fn file(&self) -> &TargetFile {
        &self.file
    }

    /// The trusted length in bytes.
    pub fn length(&self) -> u64 {
        self.file.length
    }

    /// The trusted digest under `algorithm` (e.g. `"sha256"`), hex as listed.
    pub fn hash(&self, algorithm: &str) -> Option<&str> {
        self.file.hashes.get(algorithm)
    }
}
