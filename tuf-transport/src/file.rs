//! `file://` URLs, confined to one directory tree.

use crate::{Opened, Transport, TransportError};
use bytes::Bytes;
use std::path::{Component, Path, PathBuf};
use tokio::io::AsyncReadExt;
use url::Url;

/// Reads `file://` URLs below one root directory, refusing every way out of it: `..`
/// segments, encoded separators, symbolic links anywhere on the path, and any absolute path
/// outside the root.
///
/// ```
/// use tuf_transport::{FileTransport, Transport};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("timestamp.json"), b"{}").unwrap();
/// let t = FileTransport::new(dir.path()).unwrap();
/// let base = url::Url::from_directory_path(t.root()).unwrap();
/// assert!(t.open(&base.join("timestamp.json").unwrap(), 10).await.is_ok());
/// assert!(t.open(&url::Url::parse("file:///etc/passwd").unwrap(), 10).await.is_err());
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct FileTransport {
    root: PathBuf,
}

impl FileTransport {
    /// Serves files below `root` (which must exist; symbolic links in `root` itself are
    /// resolved once, here).
    pub fn new(root: &Path) -> Result<FileTransport, TransportError> {
        let root = root
            .canonicalize()
            .map_err(|e| TransportError::InvalidUrl {
                url: root.display().to_string(),
                reason: format!("file transport root: {e}"),
            })?;
        Ok(FileTransport { root })
    }

    /// The root directory (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The local path for `url`, checked to stay inside the root with no symbolic link on
    /// the way.
    fn resolve(&self, url: &Url) -> Result<PathBuf, TransportError> {
        let refuse = |reason: &str| TransportError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_owned(),
        };
        if url.scheme() != "file" {
            return Err(refuse("not a file URL"));
        }
        if url
            .host_str()
            .is_some_and(|h| !h.is_empty() && h != "localhost")
        {
            return Err(refuse("file URLs on another host are not served"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refuse("query and fragment are not allowed"));
        }
        let mut path = PathBuf::from("/");
        for raw in url.path_segments().ok_or_else(|| refuse("no path"))? {
            let seg = percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map_err(|_| refuse("path is not UTF-8"))?;
            if seg.is_empty() || seg == "." || seg == ".." {
                return Err(refuse("empty, `.` or `..` path segment"));
            }
            if seg.contains(['/', '\\', '\0']) {
                return Err(refuse("encoded separator or NUL in a path segment"));
            }
            path.push(seg.as_ref());
        }
        let rel = path
            .strip_prefix(&self.root)
            .map_err(|_| refuse("outside the transport's root directory"))?;
        // No symbolic link anywhere below the root: each prefix is checked.
        let mut cur = self.root.clone();
        for c in rel.components() {
            let Component::Normal(part) = c else {
                return Err(refuse("unexpected path component"));
            };
            cur.push(part);
            match std::fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(refuse("symbolic links are not followed"));
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(TransportError::NotFound {
                        url: url.to_string(),
                    });
                }
                Err(e) => {
                    return Err(TransportError::Io {
                        url: url.to_string(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        Ok(cur)
    }
}

/// Read size: large enough that the thread hand-off of each asynchronous read is amortised.
const CHUNK: usize = 256 * 1024;

#[async_trait::async_trait]
impl Transport for FileTransport {
    async fn open(&self, url: &Url, _max_len: u64) -> Result<Opened, TransportError> {
        let path = self.resolve(url)?;
        let io = |e: std::io::Error| TransportError::Io {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let file = tokio::fs::File::open(&path).await.map_err(io)?;
        let meta = file.metadata().await.map_err(io)?;
        if !meta.is_file() {
            return Err(TransportError::NotFound {
                url: url.to_string(),
            });
        }
        let url_text = url.to_string();
        let body = futures_util::stream::unfold(Some(file), move |state| {
            let url_text = url_text.clone();
            async move {
                let mut file = state?;
                let mut buf = vec![0u8; CHUNK];
                match file.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok(Bytes::from(buf)), Some(file)))
                    }
                    Err(e) => Some((
                        Err(TransportError::Io {
                            url: url_text,
                            reason: e.to_string(),
                        }),
                        None,
                    )),
                }
            }
        });
        Ok(Opened {
            body: Box::pin(body),
            status: None,
            content_length: Some(meta.len()),
            wire_bytes: None,
        })
    }
}
