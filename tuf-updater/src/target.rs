//! [`TargetInfo`]: a target path and the trusted description found for it, kept together so
//! a download can only ever be checked against the description of the file it asks for.

use crate::UpdaterError;
use tuf_crypto::StreamVerifier;
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

/// The rule a vouched file is checked by, for errors.
pub(crate) const VOUCHED_RULE: &str = "PEP 458: the hash a verified index page lists";

/// A file that is not a target itself but whose digests a verified target lists: a
/// distribution file named, with its `#sha256=`, by a TUF-verified PyPI index page, in a
/// repository that signs only the pages (as Warehouse does). See
/// [`crate::Updater::download_vouched`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VouchedFile {
    /// Its path below the targets mirrors (as the page links it), and its name in the
    /// target directory.
    pub path: String,
    /// Digests by algorithm name, hex (`sha256` as PyPI pages give it).
    pub hashes: Vec<(String, String)>,
    /// The length, when the page gives it (PEP 691 `size`).
    pub length: Option<u64>,
}

impl VouchedFile {
    /// The verifier for its bytes: the listed length exactly, or at most `max_length`.
    pub(crate) fn verifier(&self, max_length: u64) -> Result<StreamVerifier, UpdaterError> {
        let v = StreamVerifier::from_hex(
            self.path.clone(),
            self.length.unwrap_or(max_length),
            self.hashes.iter().map(|(a, d)| (a.as_str(), d.as_str())),
        )
        .map_err(|source| UpdaterError::length_or_hash(&self.path, source, VOUCHED_RULE))?;
        Ok(if self.length.is_some() {
            v
        } else {
            v.at_most()
        })
    }
}
