//! Object storage out: the repository's served tree (`metadata/` and `targets/`) copied to a
//! bucket (`s3://`, `gs://`, `az://`) or a directory (`file://`) through the `object_store`
//! crate, in the order that keeps the bucket serving one consistent state at every moment:
//! targets, then delegated roles, `bins`, `targets`, `snapshot`, new roots, and
//! `timestamp.json` last. Nothing is ever deleted from the bucket (older versions stay for
//! clients mid-update), and what was uploaded is recorded, so the next publish sends only what
//! is new. A publish that dies midway leaves `timestamp.json` naming the previous snapshot,
//! all of whose files are there.

use crate::layout;
use crate::{RepoError, Result};
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, AttributeValue, Attributes, ObjectStore, PutOptions, PutPayload, WriteMultipart,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files at most this large are sent in one request; larger ones in parts.
const ONE_REQUEST_MAX: u64 = 32 << 20;

/// Uploads in flight at once.
const CONCURRENCY: usize = 16;

/// `Cache-Control` of what never changes: versioned metadata and targets (hash-prefixed, or
/// in place under a path that never takes other content).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` of `timestamp.json`: every client must see the newest.
const REVALIDATE: &str = "no-cache";

/// Where a repository is published: a bucket and a prefix in it, or a directory.
pub struct Destination {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    url: String,
    /// Whether objects carry `Cache-Control` and `Content-Type` (not in a directory).
    attributes: bool,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Destination {
    /// `s3://bucket/prefix` (credentials, region and endpoint from the `AWS_*` environment,
    /// as the AWS tools read them, e.g. `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, `AWS_SKIP_SIGNATURE`),
    /// `gs://bucket/prefix` (`GOOGLE_*`), `az://container/prefix` (`AZURE_*`), or
    /// `file:///dir`.
    pub fn parse(url: &str) -> Result<Destination> {
        let bad = |m: String| RepoError::Config(format!("{url}: {m}"));
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let prefix = ObjectPath::from(parsed.path().trim_matches('/'));
        let store: Arc<dyn ObjectStore> = match parsed.scheme() {
            "s3" => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .with_retry(retry())
                    .build()
                    .map_err(|e| bad(e.to_string()))?,
            ),
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .with_retry(retry())
                    .build()
                    .map_err(|e| bad(e.to_string()))?,
            ),
            "az" => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::from_env()
                    .with_url(url)
                    .with_retry(retry())
                    .build()
                    .map_err(|e| bad(e.to_string()))?,
            ),
            "file" => {
                let dir = parsed
                    .to_file_path()
                    .map_err(|()| bad("not a local path".into()))?;
                std::fs::create_dir_all(&dir).map_err(|e| RepoError::io(&dir, e))?;
                return Ok(Destination {
                    store: Arc::new(
                        object_store::local::LocalFileSystem::new_with_prefix(&dir)
                            .map_err(|e| bad(e.to_string()))?,
                    ),
                    prefix: ObjectPath::default(),
                    url: url.to_owned(),
                    attributes: false,
                });
            }
            other => {
                return Err(bad(format!(
                    "unknown scheme {other}: use s3://, gs://, az:// or file://"
                )));
            }
        };
        Ok(Destination {
            store,
            prefix,
            url: url.to_owned(),
            attributes: true,
        })
    }

    /// The object's path for `rel` (`metadata/...` or `targets/...`).
    fn object(&self, rel: &str) -> ObjectPath {
        rel.split('/')
            .fold(self.prefix.clone(), |p, part| p.child(part))
    }

    /// The bytes of `rel`, or `None` when there is no such object.
    pub async fn get(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        match self.store.get(&self.object(rel)).await {
            Ok(r) => Ok(Some(
                r.bytes().await.map_err(|e| self.error(rel, e))?.to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(rel, e)),
        }
    }

    /// The size of `rel`, or `None` when there is no such object.
    pub async fn size(&self, rel: &str) -> Result<Option<u64>> {
        match self.store.head(&self.object(rel)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(rel, e)),
        }
    }

    fn error(&self, rel: &str, e: object_store::Error) -> RepoError {
        RepoError::Config(format!("{}/{rel}: {e}", self.url.trim_end_matches('/')))
    }

    /// Uploads the local file `file` as `rel` with its `Cache-Control`.
    async fn put(&self, rel: &str, file: &Path) -> Result<u64> {
        let mut attributes = Attributes::new();
        if !self.attributes {
            return self.put_with(rel, file, attributes).await;
        }
        let cache = if rel == "metadata/timestamp.json" {
            REVALIDATE
        } else {
            IMMUTABLE
        };
        attributes.insert(Attribute::CacheControl, AttributeValue::from(cache));
        let kind = if rel.ends_with(".json") {
            "application/json"
        } else {
            "application/octet-stream"
        };
        attributes.insert(Attribute::ContentType, AttributeValue::from(kind));
        self.put_with(rel, file, attributes).await
    }

    /// Uploads the local file `file` as `rel` with `attributes`: in one request, or in parts
    /// when it is large.
    async fn put_with(&self, rel: &str, file: &Path, attributes: Attributes) -> Result<u64> {
        let size = tokio::fs::metadata(file)
            .await
            .map_err(|e| RepoError::io(file, e))?
            .len();
        let object = self.object(rel);
        if size <= ONE_REQUEST_MAX {
            let data = tokio::fs::read(file)
                .await
                .map_err(|e| RepoError::io(file, e))?;
            let options = PutOptions {
                attributes,
                ..PutOptions::default()
            };
            self.store
                .put_opts(&object, PutPayload::from(data), options)
                .await
                .map_err(|e| self.error(rel, e))?;
        } else {
            let options = object_store::PutMultipartOptions {
                attributes,
                ..Default::default()
            };
            let upload = self
                .store
                .put_multipart_opts(&object, options)
                .await
                .map_err(|e| self.error(rel, e))?;
            let mut writer = WriteMultipart::new(upload);
            let mut f = tokio::fs::File::open(file)
                .await
                .map_err(|e| RepoError::io(file, e))?;
            let mut buf = vec![0u8; 8 << 20];
            loop {
                let n = tokio::io::AsyncReadExt::read(&mut f, &mut buf)
                    .await
                    .map_err(|e| RepoError::io(file, e))?;
                if n == 0 {
                    break;
                }
                writer
                    .wait_for_capacity(4)
                    .await
                    .map_err(|e| self.error(rel, e))?;
                writer.write(&buf[..n]);
            }
            writer.finish().await.map_err(|e| self.error(rel, e))?;
        }
        Ok(size)
    }
}

/// Retries of a failed request (server errors, timeouts, throttling): five, backing off from
/// 100 ms, within a minute; then the publish stops, the bucket still serving its previous
/// state.
fn retry() -> object_store::RetryConfig {
    object_store::RetryConfig {
        max_retries: 5,
        retry_timeout: std::time::Duration::from_secs(60),
        ..Default::default()
    }
}

/// What a publish to a destination sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadReport {
    /// Files uploaded, in the order of their groups.
    pub uploaded: usize,
    /// Bytes uploaded.
    pub bytes: u64,
    /// Files already there (uploaded by an earlier publish), not sent again.
    pub skipped: usize,
}

/// The upload groups, in order: each is complete before the next begins.
fn group_of(rel: &str) -> usize {
    let Some(name) = rel.strip_prefix("metadata/") else {
        return 0; // targets
    };
    let role = name
        .split_once('.')
        .map(|(v, rest)| {
            if v.bytes().all(|b| b.is_ascii_digit()) {
                rest
            } else {
                name
            }
        })
        .unwrap_or(name);
    match role {
        "timestamp.json" => 6,
        "root.json" => 5,
        "snapshot.json" => 4,
        "targets.json" => 3,
        "bins.json" => 2,
        _ => 1, // the bins, and any other delegated role
    }
}

/// Every file of the served tree below `repo` (`metadata/*.json`, `targets/**`), as
/// `/`-separated relative paths, without the `.json.gz` copies (object storage serves the
/// files themselves) and the writer's temporary files.
fn served_files(repo: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mdir = layout::metadata_dir(repo);
    for e in std::fs::read_dir(&mdir).map_err(|e| RepoError::io(&mdir, e))? {
        let e = e.map_err(|e| RepoError::io(&mdir, e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".json") && !name.starts_with('.') && e.path().is_file() {
            out.push((format!("metadata/{name}"), e.path()));
        }
    }
    let tdir = layout::targets_dir(repo);
    let mut stack = vec![(tdir.clone(), "targets".to_owned())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(RepoError::io(&dir, e)),
        };
        for e in entries {
            let e = e.map_err(|e| RepoError::io(&dir, e))?;
            let Some(name) = e.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let kind = e.file_type().map_err(|err| RepoError::io(&e.path(), err))?;
            if kind.is_dir() {
                stack.push((e.path(), format!("{rel}/{name}")));
            } else if kind.is_file() && !(name.starts_with('.') && name.ends_with(".tmp")) {
                out.push((format!("{rel}/{name}"), e.path()));
            }
        }
    }
    Ok(out)
}

/// The record of what was uploaded to `url`: one relative path a line.
fn record_path(repo: &Path, url: &str) -> PathBuf {
    let id =
        tuf_crypto::hex::encode(&tuf_crypto::HashAlgorithm::Sha256.digest(url.as_bytes())[..8]);
    layout::state_dir(repo).join(format!("uploaded-{id}.txt"))
}

/// Copies the served tree of the repository in `repo` to `dest`, in the safe order, sending
/// only what no earlier publish to the same destination sent (and `timestamp.json`, always).
pub async fn upload(repo: &Path, dest: &Destination) -> Result<UploadReport> {
    let record = record_path(repo, &dest.url);
    let done: BTreeSet<String> = std::fs::read_to_string(&record)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let mut groups: Vec<Vec<(String, PathBuf)>> = vec![Vec::new(); 7];
    let mut report = UploadReport::default();
    for (rel, path) in served_files(repo)? {
        if done.contains(&rel) && rel != "metadata/timestamp.json" {
            report.skipped += 1;
        } else {
            groups[group_of(&rel)].push((rel, path));
        }
    }
    std::fs::create_dir_all(layout::state_dir(repo))
        .map_err(|e| RepoError::io(&layout::state_dir(repo), e))?;
    for group in groups.into_iter().filter(|g| !g.is_empty()) {
        let sent: Vec<(String, u64)> = futures_util::stream::iter(group)
            .map(|(rel, path)| async move {
                let size = dest.put(&rel, &path).await?;
                Ok::<_, RepoError>((rel, size))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        // Recorded as each group completes: a publish that dies later sends only the rest.
        let mut text = String::new();
        for (rel, size) in &sent {
            report.uploaded += 1;
            report.bytes += size;
            if rel != "metadata/timestamp.json" {
                text.push_str(rel);
                text.push('\n');
            }
        }
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&record)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| RepoError::io(&record, e))?;
    }
    Ok(report)
}

/// Checks the repository published at `src` as [`crate::verify`] checks a directory: the
/// metadata a client would fetch (the root chain, `timestamp.json`, the snapshot it names and
/// every role version the snapshot lists) is downloaded and verified, and, with
/// `check_targets`, every target is looked up under the name clients fetch it by, and must
/// have the listed length (its bytes are not downloaded).
pub async fn verify_from(src: &Destination, check_targets: bool) -> Result<crate::VerifyReport> {
    use tuf_metadata::{Metadata, Snapshot, Timestamp};
    let work = tempfile_dir()?;
    let mdir = layout::metadata_dir(work.path());
    std::fs::create_dir_all(&mdir).map_err(|e| RepoError::io(&mdir, e))?;
    let fetch = |rel: String| async move {
        let bytes = src.get(&format!("metadata/{rel}")).await?;
        Ok::<_, RepoError>((rel, bytes))
    };
    let mut wanted: Vec<String> = Vec::new();
    for v in 1.. {
        match fetch(format!("{v}.root.json")).await? {
            (rel, Some(b)) => save(&mdir, &rel, &b)?,
            _ => break,
        }
    }
    let Some(ts) = fetch("timestamp.json".into()).await?.1 else {
        return Err(RepoError::State(format!(
            "{}: no metadata/timestamp.json",
            src.url
        )));
    };
    save(&mdir, "timestamp.json", &ts)?;
    // Which files to fetch is read here unverified; the verification below decides.
    if let Ok(t) = Metadata::<Timestamp>::from_bytes(&ts) {
        let sv = t.signed().snapshot_meta.version;
        let (rel, snap) = fetch(format!("{sv}.snapshot.json")).await?;
        if let Some(b) = snap {
            save(&mdir, &rel, &b)?;
            if let Ok(s) = Metadata::<Snapshot>::from_bytes(&b) {
                wanted = s
                    .signed()
                    .meta
                    .iter()
                    .map(|(k, m)| format!("{}.{k}", m.version))
                    .collect();
            }
        }
    }
    let got: Vec<(String, Option<Vec<u8>>)> = futures_util::stream::iter(wanted)
        .map(fetch)
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    for (rel, bytes) in got {
        if let Some(b) = bytes {
            save(&mdir, &rel, &b)?;
        }
    }
    let mut served: Vec<(String, String, u64)> = Vec::new();
    let mut collect = |path: &str, info: &tuf_metadata::TargetFile, name: &str| {
        served.push((path.to_owned(), name.to_owned(), info.length));
        Ok(())
    };
    let mut report = crate::verify::verify_with(
        work.path(),
        if check_targets {
            Some(&mut collect)
        } else {
            None
        },
    )?;
    let problems: Vec<String> = futures_util::stream::iter(served)
        .map(|(path, name, length)| async move {
            match src.size(&format!("targets/{name}")).await {
                Ok(Some(n)) if n == length => None,
                Ok(Some(n)) => Some(format!(
                    "target {path}: {name} is {n} bytes, the metadata lists {length}"
                )),
                Ok(None) => Some(format!("target {path}: {name} is not in the bucket")),
                Err(e) => Some(format!("target {path}: {e}")),
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|p| async move { p })
        .collect()
        .await;
    report.problems.extend(problems);
    Ok(report)
}

fn save(dir: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    // Names come from the bucket's signed documents' keys: plain file names only.
    if rel.contains(['/', '\\']) || rel.starts_with('.') {
        return Err(RepoError::State(format!("refused metadata name {rel:?}")));
    }
    std::fs::write(dir.join(rel), bytes).map_err(|e| RepoError::io(&dir.join(rel), e))
}

/// A temporary directory for metadata read from a bucket.
fn tempfile_dir() -> Result<TempDir> {
    let base = std::env::temp_dir();
    for n in 0..1000u32 {
        let dir = base.join(format!(".tuf-verify-{}-{n}", std::process::id()));
        if std::fs::create_dir(&dir).is_ok() {
            return Ok(TempDir(dir));
        }
    }
    Err(RepoError::State(
        "no temporary directory could be made".into(),
    ))
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timestamp_goes_last_and_targets_first() {
        let order = [
            "targets/packages/a.whl",
            "metadata/3.bin-0a.json",
            "metadata/2.bins.json",
            "metadata/2.targets.json",
            "metadata/5.snapshot.json",
            "metadata/2.root.json",
            "metadata/timestamp.json",
        ];
        let groups: Vec<usize> = order.iter().map(|r| group_of(r)).collect();
        assert!(groups.windows(2).all(|w| w[0] < w[1]), "{groups:?}");
    }
}
