//! Staging: files added and targets removed are recorded (and target files stored under
//! their hash-prefixed names, or at their own path where they are served in place) until the
//! next publish.

use super::*;

impl Repository {
    pub(super) fn staged_path(&self) -> PathBuf {
        layout::state_dir(&self.dir).join("staged.json")
    }

    /// The staging log's directory: `add` appends there under its own lock, so that adds from
    /// many processes never wait for a publish (nor a publish for them).
    fn staging_dir(&self) -> PathBuf {
        layout::state_dir(&self.dir).join("staging")
    }

    /// The changes staged for the next publish (read only: nothing is taken).
    pub fn staged(&self) -> Result<Vec<Change>> {
        let mut changes = self.staged_json()?;
        let _log = self.staging_lock()?;
        changes.extend(read_log(&self.staging_dir().join("log"))?);
        Ok(changes)
    }

    /// `staged.json`: the changes taken for the next publish.
    fn staged_json(&self) -> Result<Vec<Change>> {
        let path = self.staged_path();
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| RepoError::State(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(RepoError::io(&path, e)),
        }
    }

    fn staging_lock(&self) -> Result<tuf_fs::DirLock> {
        let dir = self.staging_dir();
        tuf_fs::DirLock::acquire(&dir).map_err(|e| RepoError::io(&dir, e))
    }

    /// Takes every change staged so far, with the repository lock held: what the log holds is
    /// moved into `staged.json` (written whole, then the log removed; an interruption between
    /// the two leaves changes in both, and applying a change twice is applying it once), and
    /// the whole is returned. Adds arriving meanwhile start a new log, for the next publish.
    pub(super) fn take_staged(&self) -> Result<Vec<Change>> {
        let mut changes = self.staged_json()?;
        let _log = self.staging_lock()?;
        let log = self.staging_dir().join("log");
        let arrived = read_log(&log)?;
        if !arrived.is_empty() {
            changes.extend(arrived);
            self.save_staged(&changes)?;
            std::fs::remove_file(&log).map_err(|e| RepoError::io(&log, e))?;
        }
        Ok(changes)
    }

    /// Appends `changes` to the staging log, one JSON line each, in one write under the
    /// staging lock.
    fn append_staged(&self, changes: &[Change]) -> Result<()> {
        let mut text = Vec::new();
        for c in changes {
            serde_json::to_writer(&mut text, c).map_err(|e| RepoError::State(e.to_string()))?;
            text.push(b'\n');
        }
        let _log = self.staging_lock()?;
        let log = self.staging_dir().join("log");
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(&text))
            .map_err(|e| RepoError::io(&log, e))
    }

    pub(super) fn save_staged(&self, changes: &[Change]) -> Result<()> {
        let text = serde_json::to_vec(changes).map_err(|e| RepoError::State(e.to_string()))?;
        write_atomic(&self.staged_path(), &text)
    }

    /// Stages `files` (below `tree`) as targets named by their path relative to `tree`
    /// (NFC-normalized): hashes them (in parallel), stores them under their served names,
    /// and appends them to the staging log. Many processes may add at once, and while a
    /// publish runs: an add waits only for other adds' appends.
    pub fn add(&self, tree: &Path, files: &[PathBuf]) -> Result<usize> {
        let changes = self.stage_files(tree, files)?;
        self.append_staged(&changes)?;
        Ok(changes.len())
    }

    /// Hashes and stores `files` (relative to `tree`), returning the changes to stage.
    pub(super) fn stage_files(&self, tree: &Path, files: &[PathBuf]) -> Result<Vec<Change>> {
        let tree_abs = std::path::absolute(tree).map_err(|e| RepoError::io(tree, e))?;
        let tree = tree.canonicalize().map_err(|e| RepoError::io(tree, e))?;
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        let mut planned = Vec::with_capacity(files.len());
        for f in files {
            // Relative file names are relative to the working directory, as on a command line.
            let abs = std::path::absolute(f).map_err(|e| RepoError::io(f, e))?;
            let inside = if abs.starts_with(&tree) {
                abs
            } else {
                tree.join(abs.strip_prefix(&tree_abs).unwrap_or(&abs))
            };
            let (target, file) = target_path(&tree, &inside)?;
            if let Some(other) = seen.insert(target.clone(), f.clone()) {
                return Err(RepoError::BadTarget {
                    path: f.display().to_string(),
                    reason: format!(
                        "same target path as {} after Unicode NFC normalization",
                        other.display()
                    ),
                });
            }
            planned.push((target, file));
        }
        self.store_targets(&planned)
    }

    /// Hashes and stores planned (target path, file) pairs in parallel.
    pub(super) fn store_targets(&self, planned: &[(String, PathBuf)]) -> Result<Vec<Change>> {
        Ok(self
            .store_targets_stamped(planned)?
            .into_iter()
            .map(|(c, _)| c)
            .collect())
    }

    /// [`Repository::store_targets`], with each file's size and modification time as it
    /// was read.
    pub(super) fn store_targets_stamped(
        &self,
        planned: &[(String, PathBuf)],
    ) -> Result<Vec<(Change, Stamp)>> {
        planned
            .par_iter()
            .map(|(target, file)| self.store_target(target, file))
            .collect()
    }

    /// Hashes `file` and places it at its hashed name(s) under `targets/`.
    /// An in-place target is placed by a hard link to `file` where one can be made (the file
    /// read and hashed is the one linked, or a copy of what was read is written instead).
    fn store_target(&self, target: &str, file: &Path) -> Result<(Change, Stamp)> {
        if !self.config.is_in_place(target) {
            let (data, read) = read_file(file)?;
            return Ok((self.store_data(target, &data)?, stamp(&read)));
        }
        let (length, hashes, read) = self.place(target, file, true)?;
        let change = Change::Add {
            path: target.to_owned(),
            length,
            hashes,
        };
        Ok((change, stamp(&read)))
    }

    /// Places `file` below `targets/` at `target` itself: a hard link where one can be made
    /// (the file read and hashed is the one linked), else a copy of what was read; nothing
    /// when the same file is there already (a link), and an error when other content is.
    /// Returns its length, its digests (with `digests` or when it had to be read) and what
    /// `stat` said of it.
    pub(super) fn place(
        &self,
        target: &str,
        file: &Path,
        digests: bool,
    ) -> Result<(u64, BTreeMap<String, String>, std::fs::Metadata)> {
        let dest = layout::targets_dir(&self.dir).join(target);
        if !digests && same_file(file, &dest) {
            let meta = std::fs::metadata(file).map_err(|e| RepoError::io(file, e))?;
            return Ok((meta.len(), BTreeMap::new(), meta));
        }
        let (data, read) = read_file(file)?;
        let hashes = self.hashes_of(&data)?;
        let (alg, digest) = hashes
            .iter()
            .next()
            .ok_or_else(|| RepoError::Config("hash_algorithms is empty".into()))?;
        // The link is made at `dest` itself (a new name no published metadata refers to yet):
        // linking fails if anything is there already.
        match with_parent(&dest, || std::fs::hard_link(file, &dest)) {
            Ok(()) => {
                let linked = std::fs::symlink_metadata(&dest).is_ok_and(|m| {
                    m.is_file() && identity(&m).is_some_and(|i| Some(i) == identity(&read))
                });
                if !linked {
                    // Replaced since it was read: what was read is placed instead.
                    replace_with(&dest, &data)?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !same_file(file, &dest) {
                    let a = HashAlgorithm::from_name(alg)
                        .ok_or_else(|| RepoError::Config(format!("hash {alg}")))?;
                    check_unchanged(target, &dest, a, digest)?;
                }
            }
            // On another file system (or no links at all): a copy of what was read.
            Err(_) => replace_with(&dest, &data)?,
        }
        Ok((data.len() as u64, hashes, read))
    }

    /// The digests of `data` by every configured algorithm, hex.
    fn hashes_of(&self, data: &[u8]) -> Result<BTreeMap<String, String>> {
        let mut hashes = BTreeMap::new();
        for alg in &self.config.hash_algorithms {
            let a = HashAlgorithm::from_name(alg)
                .ok_or_else(|| RepoError::Config(format!("hash {alg}")))?;
            hashes.insert(alg.clone(), tuf_crypto::hex::encode(a.digest(data)));
        }
        Ok(hashes)
    }

    /// Places `file` at its hash-prefixed name under `targets/` by the sha256 `known` lists,
    /// without reading it: a hard link (the mirror tool replaces its files by renaming,
    /// never in place), or a copy where no link can be made.
    pub(super) fn store_known(
        &self,
        target: &str,
        file: &Path,
        known: &KnownFile,
    ) -> Result<Change> {
        let dest = layout::targets_dir(&self.dir).join(self.served_name(target, &known.sha256));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| RepoError::io(parent, e))?;
        }
        if self.config.is_in_place(target) && dest.exists() {
            if !same_file(file, &dest) {
                check_unchanged(target, &dest, HashAlgorithm::Sha256, &known.sha256)?;
            }
        } else if !dest.exists() {
            let tmp = tmp_beside(&dest);
            let _ = std::fs::remove_file(&tmp);
            if std::fs::hard_link(file, &tmp).is_err() {
                std::fs::copy(file, &tmp).map_err(|e| RepoError::io(&tmp, e))?;
            }
            // What was linked is a regular file of the listed length, whatever replaced the
            // path since it was checked (a link made to a symbolic link is one itself).
            let placed = std::fs::symlink_metadata(&tmp).map_err(|e| RepoError::io(&tmp, e))?;
            if !placed.is_file() || placed.len() != known.length {
                let _ = std::fs::remove_file(&tmp);
                return Err(RepoError::BadTarget {
                    path: file.display().to_string(),
                    reason: "changed while it was placed: not the regular file listed".into(),
                });
            }
            std::fs::rename(&tmp, &dest).map_err(|e| RepoError::io(&dest, e))?;
        }
        Ok(Change::Add {
            path: target.to_owned(),
            length: known.length,
            hashes: BTreeMap::from([("sha256".to_owned(), known.sha256.clone())]),
        })
    }

    /// The name under `targets/` a target with `digest` is served as: its own path where the
    /// configuration places it in place ([`RepoConfig::is_in_place`]), else `dir/HASH.name`
    /// (spec 5.7.3).
    pub(crate) fn served_name(&self, target: &str, digest: &str) -> String {
        if self.config.is_in_place(target) {
            target.to_owned()
        } else {
            naming::hash_prefixed(target, digest)
        }
    }

    /// Hashes `data` and places it at its hashed name(s) under `targets/`.
    pub(super) fn store_data(&self, target: &str, data: &[u8]) -> Result<Change> {
        let hashes = self.hashes_of(data)?;
        // A copy, not a hard link: a tree edited in place later must never change what was
        // published. The name is the content's hash, so an existing file is already right; an
        // in-place target's name is its path, which never takes other content.
        // Written through a temporary name but not flushed one by one: the publish that first
        // refers to it flushes the whole file system (syncfs) before writing the snapshot.
        // A hash-prefixed name is written in place, created new (no temporary name, no
        // rename): no published metadata refers to it before this publish, and a file already
        // there (the same content added before, or what an interrupted write left) is kept only
        // if it holds exactly that content.
        let in_place = self.config.is_in_place(target);
        for (alg, digest) in hashes.iter().take(if in_place { 1 } else { usize::MAX }) {
            let dest = layout::targets_dir(&self.dir).join(self.served_name(target, digest));
            let a = HashAlgorithm::from_name(alg)
                .ok_or_else(|| RepoError::Config(format!("hash {alg}")))?;
            if in_place {
                // An in-place path is not named by its content: replaced atomically only.
                if dest.exists() {
                    check_unchanged(target, &dest, a, digest)?;
                } else {
                    replace_with(&dest, data)?;
                }
            } else if !create_new(&dest, data)? && !holds(&dest, a, digest, data.len()) {
                replace_with(&dest, data)?;
            }
        }
        Ok(Change::Add {
            path: target.to_owned(),
            length: data.len() as u64,
            hashes,
        })
    }

    pub(super) fn names_path(&self) -> PathBuf {
        layout::state_dir(&self.dir).join("project-names.json")
    }

    /// Keeps the signed list of project names ([`layout::PROJECT_NAMES_TARGET`]) in step
    /// with the changes: a project is a `simple/<name>/index.html` target. Returns the
    /// changes (with the list's new version added if it changed) and the new set of names,
    /// to be recorded once the publish is done.
    pub(super) fn with_project_names(
        &self,
        mut changes: Vec<Change>,
    ) -> Result<(Vec<Change>, Option<BTreeSet<String>>)> {
        let project = |path: &str| {
            path.strip_prefix("simple/")
                .and_then(|r| r.strip_suffix("/index.html"))
                .filter(|n| !n.is_empty() && !n.contains('/'))
                .map(str::to_owned)
        };
        if !changes.iter().any(|c| match c {
            Change::Add { path, .. } | Change::Remove { path } => project(path).is_some(),
        }) {
            return Ok((changes, None));
        }
        let mut names: BTreeSet<String> = std::fs::read(self.names_path())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let before = names.clone();
        for c in &changes {
            match c {
                Change::Add { path, .. } => {
                    if let Some(n) = project(path) {
                        names.insert(n);
                    }
                }
                Change::Remove { path } => {
                    if let Some(n) = project(path) {
                        names.remove(&n);
                    }
                }
            }
        }
        if names == before {
            return Ok((changes, None));
        }
        let text: String = names.iter().map(|n| format!("{n}\n")).collect();
        let dir = layout::targets_dir(&self.dir).join("simple");
        std::fs::create_dir_all(&dir).map_err(|e| RepoError::io(&dir, e))?;
        changes.push(self.store_data(layout::PROJECT_NAMES_TARGET, text.as_bytes())?);
        Ok((changes, Some(names)))
    }

    /// Stages the removal of targets.
    pub fn remove(&self, targets: &[String]) -> Result<usize> {
        let changes: Vec<Change> = targets
            .iter()
            .map(|t| Change::Remove {
                path: t.nfc().collect(),
            })
            .collect();
        self.append_staged(&changes)?;
        Ok(targets.len())
    }
}

/// The temporary name a target is written under before it is renamed to `dest`.
fn tmp_beside(dest: &Path) -> PathBuf {
    dest.with_file_name(format!(
        ".{}.tmp",
        dest.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("target")
    ))
}

/// A file's size and modification time (ns), as a sync records them.
pub(super) type Stamp = (u64, i128);

/// The stamp of a file from what `stat` said of it.
fn stamp(meta: &std::fs::Metadata) -> Stamp {
    (meta.len(), mtime_ns(meta))
}

/// `file`'s content and what `stat` says of the file read (the same open file).
fn read_file(file: &Path) -> Result<(Vec<u8>, std::fs::Metadata)> {
    let mut opened = std::fs::File::open(file).map_err(|e| RepoError::io(file, e))?;
    let read = opened.metadata().map_err(|e| RepoError::io(file, e))?;
    let mut data = Vec::with_capacity(read.len() as usize + 1);
    std::io::Read::read_to_end(&mut opened, &mut data).map_err(|e| RepoError::io(file, e))?;
    Ok((data, read))
}

/// Runs `op` (which makes `path`), and again after making `path`'s directory if that was
/// missing: directories are made as files need them, in parallel, never walked ahead.
fn with_parent(path: &Path, op: impl Fn() -> std::io::Result<()>) -> std::io::Result<()> {
    match op() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            op()
        }
        r => r,
    }
}

/// Creates `dest` holding `data`; `false` if something is there already (left untouched).
/// A failed write removes what it created.
fn create_new(dest: &Path, data: &[u8]) -> Result<bool> {
    use std::io::Write;
    let made = with_parent(dest, || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dest)?;
        f.write_all(data).inspect_err(|_| {
            let _ = std::fs::remove_file(dest);
        })
    });
    match made {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(RepoError::io(dest, e)),
    }
}

/// Whether `path` is a regular file of `length` bytes whose `alg` digest is `digest` (hex).
fn holds(path: &Path, alg: HashAlgorithm, digest: &str, length: usize) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() == length as u64)
        && std::fs::read(path).is_ok_and(|d| tuf_crypto::hex::encode(alg.digest(&d)) == digest)
}

/// Puts `data` at `dest` atomically (a temporary name beside it, then renamed over it).
fn replace_with(dest: &Path, data: &[u8]) -> Result<()> {
    let tmp = tmp_beside(dest);
    with_parent(&tmp, || std::fs::write(&tmp, data)).map_err(|e| RepoError::io(&tmp, e))?;
    std::fs::rename(&tmp, dest).map_err(|e| RepoError::io(dest, e))
}

/// A file's device and inode (none where the platform does not say).
fn identity(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        None
    }
}

/// Whether `a` and `b` are one file (the same device and inode).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => identity(&x).is_some_and(|i| Some(i) == identity(&y)),
        _ => false,
    }
}

/// An in-place target already served at `dest` keeps its content: a path there names one
/// content for ever (clients that fetched the old metadata would be handed other bytes).
fn check_unchanged(target: &str, dest: &Path, alg: HashAlgorithm, digest: &str) -> Result<()> {
    let data = std::fs::read(dest).map_err(|e| RepoError::io(dest, e))?;
    if tuf_crypto::hex::encode(alg.digest(&data)) == digest {
        Ok(())
    } else {
        Err(RepoError::BadTarget {
            path: target.to_owned(),
            reason: "served in place, and already served with other content: a path there \
                     names one content for ever (publish the new file under a new name)"
                .into(),
        })
    }
}

/// The changes of a staging log, one JSON line each; a last line cut short (a process killed
/// mid-append) is not a change and is dropped, any other bad line is an error.
fn read_log(log: &Path) -> Result<Vec<Change>> {
    let text = match std::fs::read(log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(RepoError::io(log, e)),
    };
    let complete = text.ends_with(b"\n");
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let n = lines.len();
    let mut out = Vec::with_capacity(n);
    for (i, line) in lines.into_iter().enumerate() {
        match serde_json::from_slice(line) {
            Ok(c) => out.push(c),
            Err(_) if i + 1 == n && !complete => {}
            Err(e) => {
                return Err(RepoError::State(format!(
                    "{}: line {}: {e}",
                    log.display(),
                    i + 1
                )));
            }
        }
    }
    Ok(out)
}
