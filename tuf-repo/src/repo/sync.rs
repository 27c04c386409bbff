//! Sync: the repository's targets made to match a tree, reading only the files whose size
//! or modification time changed since the last sync.

use super::*;
use crate::walk::Walked;

impl Repository {
    pub(super) fn index_path(&self) -> PathBuf {
        layout::state_dir(&self.dir).join("index.json")
    }

    /// Makes the repository's targets match a PyPI-style tree: new and changed files are
    /// added, files gone from the tree are removed, then everything is published. A file
    /// whose size and modification time are those recorded at the last sync, and whose digest
    /// then matches the published one, is not read again: at PyPI scale a sync reads only
    /// what changed.
    pub fn sync(&self, tree: &Path) -> Result<PublishReport> {
        self.sync_mapped(tree, &|path| Some(path.to_owned()))
    }

    /// [`Repository::sync_mapped`] for a repository of the pages layout
    /// ([`crate::Layout::Pages`]): `page_of` names the project whose page a file is (its
    /// target is the project's name), and the files below `files_dir/` (`packages`) are placed
    /// below `targets/` at their own path, unsigned, first, so that no page is published
    /// before what it lists. A placed path never takes other content (as on PyPI).
    pub fn sync_pages(
        &self,
        tree: &Path,
        page_of: &dyn Fn(&str) -> Option<String>,
        files_dir: &str,
    ) -> Result<PublishReport> {
        {
            let _lock = self.lock()?;
            let canon = tree.canonicalize().map_err(|e| RepoError::io(tree, e))?;
            let prefix = format!("{files_dir}/");
            let files: Vec<Walked> = walk(&canon)?
                .into_iter()
                .filter(|f| f.target.starts_with(&prefix))
                .collect();
            files
                .par_iter()
                .map(|f| self.place(&f.target, &f.path, false).map(drop))
                .collect::<Result<Vec<()>>>()?;
        }
        self.sync_mapped(tree, page_of)
    }

    /// [`Repository::sync`] with a tree laid out otherwise: `map` names the target of each
    /// file from its path below `tree` (`/`-separated, NFC), or `None` for a file that is not
    /// signed (as `tuf_pypi::bandersnatch::target_of` does for a bandersnatch mirror).
    pub fn sync_mapped(
        &self,
        tree: &Path,
        map: &dyn Fn(&str) -> Option<String>,
    ) -> Result<PublishReport> {
        let _lock = self.lock()?;
        let canon = tree.canonicalize().map_err(|e| RepoError::io(tree, e))?;
        let mut files: Vec<Walked> = walk(&canon)?
            .into_iter()
            .filter_map(|mut f| {
                f.target = map(&f.target)?;
                Some(f)
            })
            .collect();
        files.sort_unstable_by(|a, b| a.target.cmp(&b.target));
        let state = self.load_state()?;
        let bins = self.bins(&state);
        // Current targets, read from every bin in parallel.
        let names: Vec<String> = bins.names().collect();
        let current: BTreeMap<String, TargetFile> = names
            .par_iter()
            .map(|n| self.load_bin(&state.snapshot, n).map(|t| t.targets))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let index: BTreeMap<String, IndexEntry> = std::fs::read(self.index_path())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let mut new_index: BTreeMap<String, IndexEntry> = BTreeMap::new();
        // A file is known (not read again) if the last sync recorded it with the size and
        // modification time it has now, and the published digest is the one recorded. Only
        // such files are asked for their size and time here, in parallel.
        let known: Vec<bool> = files
            .par_iter()
            .map(|f| match (current.get(&f.target), index.get(&f.target)) {
                (Some(t), Some(e))
                    if t.length == e.length
                        && t.hashes.get(&e.algorithm) == Some(e.digest.as_str()) =>
                {
                    std::fs::metadata(&f.path)
                        .is_ok_and(|m| (m.len(), mtime_ns(&m)) == (e.length, e.mtime_ns))
                }
                _ => false,
            })
            .collect();
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        let mut to_add = Vec::new();
        for (f, known) in files.into_iter().zip(known) {
            if !wanted.insert(f.target.clone()) {
                return Err(RepoError::BadTarget {
                    path: f.path.display().to_string(),
                    reason: "another file has the same target path after Unicode NFC normalization"
                        .into(),
                });
            }
            if known {
                let entry = index[&f.target].clone();
                new_index.insert(f.target, entry);
            } else {
                to_add.push((f.target, f.path));
            }
        }
        let mut changes = self.take_staged()?;
        let stored = self.store_targets_stamped(&to_add)?;
        for (c, (_, mtime)) in stored {
            if let Change::Add {
                path,
                length,
                hashes,
            } = &c
                && let Some((alg, digest)) = hashes.iter().next()
            {
                new_index.insert(
                    path.clone(),
                    IndexEntry {
                        length: *length,
                        mtime_ns: mtime,
                        algorithm: alg.clone(),
                        digest: digest.clone(),
                    },
                );
            }
            // A file unchanged in content (touched, or first seen since the index) is no change.
            let same = match &c {
                Change::Add {
                    path,
                    length,
                    hashes,
                } => current.get(path).is_some_and(|t| {
                    t.length == *length
                        && hashes
                            .iter()
                            .all(|(a, d)| t.hashes.get(a) == Some(d.as_str()))
                }),
                Change::Remove { .. } => false,
            };
            if !same {
                changes.push(c);
            }
        }
        // The list of project names is the repository's own target, not the tree's.
        changes.extend(
            current
                .keys()
                .filter(|t| !wanted.contains(*t) && *t != layout::PROJECT_NAMES_TARGET)
                .map(|t| Change::Remove { path: t.clone() }),
        );
        // Staged first: if the publish is interrupted, the next publish picks the changes up.
        self.save_staged(&changes)?;
        let report = self.publish_state(state, changes, &[], false)?;
        let text = serde_json::to_vec(&new_index).map_err(|e| RepoError::State(e.to_string()))?;
        write_atomic(&self.index_path(), &text)?;
        Ok(report)
    }
}

impl Repository {
    /// Publishes the changes of the files `paths` below `tree` (a mirror tool's list of what
    /// it changed): each file that exists is staged under the target `map` names for its path
    /// below `tree`, each that is gone is removed, files `map` does not sign and paths outside
    /// `tree` are skipped; then everything staged is published. The work is proportional to
    /// the list, not to the tree. A file `known` lists by its target, with the length it
    /// has, is signed with the listed sha256 and placed by a hard link (a copy across file
    /// systems) without being read, where the repository hashes with sha256 alone.
    pub fn apply_changes(
        &self,
        tree: &Path,
        paths: &[PathBuf],
        map: &dyn Fn(&str) -> Option<String>,
        known: &BTreeMap<String, KnownFile>,
    ) -> Result<PublishReport> {
        let _lock = self.lock()?;
        let canon = tree.canonicalize().map_err(|e| RepoError::io(tree, e))?;
        let mut planned = Vec::new();
        let mut changes = Vec::new();
        let mut seen = BTreeSet::new();
        for p in paths {
            let Ok(rel) = p.strip_prefix(&canon).or_else(|_| p.strip_prefix(tree)) else {
                continue;
            };
            let mut parts = Vec::new();
            for c in rel.components() {
                let std::path::Component::Normal(part) = c else {
                    return Err(RepoError::BadTarget {
                        path: p.display().to_string(),
                        reason: "`..`, `.` or a root in the path".into(),
                    });
                };
                let name = part.to_str().ok_or_else(|| RepoError::BadTarget {
                    path: p.display().to_string(),
                    reason: "file name is not UTF-8".into(),
                })?;
                parts.push(name.nfc().collect::<String>());
            }
            let Some(target) = map(&parts.join("/")) else {
                continue;
            };
            if !seen.insert(target.clone()) {
                continue;
            }
            let file = canon.join(rel);
            if std::fs::symlink_metadata(&file).is_ok() {
                // The same checks as a sync: a regular file, no link on the way, a last link
                // only to a regular file inside the tree, which is what is read.
                let (_, file) = target_path(&canon, &file)?;
                planned.push((target, file));
            } else {
                changes.push(Change::Remove { path: target });
            }
        }
        let sha256_only = self.config.hash_algorithms == ["sha256"];
        let (listed, read): (Vec<_>, Vec<_>) = planned.into_iter().partition(|(target, file)| {
            sha256_only
                && known.get(target).is_some_and(|k| {
                    std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.len() == k.length)
                })
        });
        let mut staged = self.take_staged()?;
        staged.extend(self.store_targets(&read)?);
        for (target, file) in &listed {
            if let Some(k) = known.get(target) {
                staged.push(self.store_known(target, file, k)?);
            }
        }
        staged.extend(changes);
        self.save_staged(&staged)?;
        let mut report = self.publish_locked(staged, &[])?;
        report.unread = listed.len();
        Ok(report)
    }
}

/// What the last sync saw of a file: enough to know it has not changed without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct IndexEntry {
    length: u64,
    mtime_ns: i128,
    algorithm: String,
    digest: String,
}
