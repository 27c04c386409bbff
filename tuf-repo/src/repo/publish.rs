//! Publishing: the staged changes signed into the bins they fall in, then `bins` or
//! `targets` where asked, the snapshot, and the timestamp last; and re-signing what expires.

use super::*;

/// Everything one publish writes, decided before anything is written
/// ([`Repository::plan`]): the roles' new contents, versions and expiries, and the snapshot
/// naming them. The timestamp is made from the snapshot's bytes as written.
struct PublishPlan {
    /// Bins whose content changed or that are re-signed, at their new versions.
    bins: Vec<(String, Targets)>,
    /// `bins`, re-signed when asked.
    bins_role: Option<Targets>,
    /// `targets`, re-signed when asked.
    targets_role: Option<Targets>,
    /// The next snapshot.
    snapshot: Snapshot,
    /// Targets added or replaced.
    added: usize,
    /// Targets removed.
    removed: usize,
    /// The project names to record once published, if they changed.
    names: Option<BTreeSet<String>>,
}

impl Repository {
    /// Publishes the staged changes: the bins they touch are re-signed (in parallel), then
    /// `bins` and `targets` only if their own content changed (never for target changes),
    /// then the snapshot, then the timestamp — last, so that a crash at any point leaves the
    /// previously published state whole (consistent snapshots keep the old versions).
    pub fn publish(&self) -> Result<PublishReport> {
        let _lock = self.lock()?;
        self.publish_locked(self.take_staged()?, &[])
    }

    pub(super) fn publish_locked(
        &self,
        changes: Vec<Change>,
        also: &[&str],
    ) -> Result<PublishReport> {
        let state = self.load_state()?;
        self.publish_state(state, changes, also, false)
    }

    /// The one publishing path: [`Repository::plan`], then [`Repository::write_plan`].
    /// `changes` go into the bins they hash to; `also` names roles to re-sign even without
    /// content changes (`bins`, `targets`, and `bin-n` for every bin past half its lifetime);
    /// `all_bins` re-signs every bin (after an online key rotation).
    pub(super) fn publish_state(
        &self,
        state: State,
        changes: Vec<Change>,
        also: &[&str],
        all_bins: bool,
    ) -> Result<PublishReport> {
        let plan = self.plan(&state, changes, also, all_bins)?;
        self.write_plan(state, plan)
    }

    /// Decides everything a publish writes before anything is written: each role's new
    /// content, version and expiry, and the snapshot that names them. Reads bins, writes
    /// nothing.
    fn plan(
        &self,
        state: &State,
        changes: Vec<Change>,
        also: &[&str],
        all_bins: bool,
    ) -> Result<PublishPlan> {
        let bins = self.bins(state);
        let (changes, names) = self.with_project_names(changes)?;
        let mut plan = PublishPlan {
            bins: Vec::new(),
            bins_role: None,
            targets_role: None,
            snapshot: state.snapshot.clone(),
            added: 0,
            removed: 0,
            names,
        };
        let mut by_bin: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        for c in changes {
            let path = match &c {
                Change::Add { path, .. } | Change::Remove { path } => path.clone(),
            };
            by_bin.entry(bins.role_for(&path)).or_default().push(c);
        }
        let soon = now().after(Duration::from_secs(self.config.bin_n.expiry_seconds / 2));
        let refresh_bins = also.contains(&"bin-n");
        let candidates: Vec<String> = if all_bins || refresh_bins {
            bins.names().collect()
        } else {
            by_bin.keys().cloned().collect()
        };
        // Each bin is read, changed and decided on in parallel; nothing is written.
        let in_place = |path: &str| self.config.is_in_place(path);
        let decided: Vec<(String, Option<Targets>, usize, usize)> = candidates
            .par_iter()
            .map(|name| {
                let mut t = self.load_bin(&state.snapshot, name)?;
                let (mut added, mut removed, mut changed) = (0, 0, false);
                for c in by_bin.get(name).map(Vec::as_slice).unwrap_or_default() {
                    match c {
                        Change::Add {
                            path,
                            length,
                            hashes,
                        } => {
                            let h = Hashes::from_hex(hashes.clone()).ok_or_else(|| {
                                RepoError::BadTarget {
                                    path: path.clone(),
                                    reason: "staged hashes are not hex".into(),
                                }
                            })?;
                            let mut file = TargetFile {
                                length: *length,
                                hashes: h,
                                custom: None,
                                unrecognized: Default::default(),
                            };
                            // Served at its own path: the signed entry tells clients so.
                            if in_place(path) {
                                file.set_unprefixed();
                            }
                            changed |= t.targets.get(path) != Some(&file);
                            t.add_target(path, file);
                            added += 1;
                        }
                        Change::Remove { path } => {
                            if t.remove_target(path).is_some() {
                                changed = true;
                                removed += 1;
                            }
                        }
                    }
                }
                if all_bins || changed || (refresh_bins && t.expires() <= soon) {
                    t.bump_version().map_err(|e| RepoError::metadata(name, e))?;
                    t.set_expires(expiry_for(&self.config, "bin-n"));
                    Ok((name.clone(), Some(t), added, removed))
                } else {
                    Ok((name.clone(), None, added, removed))
                }
            })
            .collect::<Result<_>>()?;
        for (name, t, added, removed) in decided {
            plan.added += added;
            plan.removed += removed;
            if let Some(t) = t {
                plan.snapshot
                    .meta
                    .insert(meta_name(&name), MetaFile::new(t.version()));
                plan.bins.push((name, t));
            }
        }
        if also.contains(&"bins") {
            let mut b = state.bins.clone();
            b.bump_version()
                .map_err(|e| RepoError::metadata("bins", e))?;
            b.set_expires(expiry_for(&self.config, "bins"));
            plan.snapshot
                .meta
                .insert(meta_name("bins"), MetaFile::new(b.version()));
            plan.bins_role = Some(b);
        }
        if also.contains(&"targets") {
            let mut t = state.targets.clone();
            t.bump_version()
                .map_err(|e| RepoError::metadata("targets", e))?;
            t.set_expires(expiry_for(&self.config, "targets"));
            plan.snapshot
                .meta
                .insert(meta_name("targets"), MetaFile::new(t.version()));
            plan.targets_role = Some(t);
        }
        plan.snapshot
            .bump_version()
            .map_err(|e| RepoError::metadata("snapshot", e))?;
        plan.snapshot
            .set_expires(expiry_for(&self.config, "snapshot"));
        Ok(plan)
    }

    /// Writes `plan` in the one safe order: bins, then `bins` and `targets`, then the
    /// snapshot, and the timestamp last, so that a crash at any point leaves the previously
    /// published state whole; then records the project names and clears the staged changes.
    fn write_plan(&self, mut state: State, plan: PublishPlan) -> Result<PublishReport> {
        let mut report = PublishReport {
            added: plan.added,
            removed: plan.removed,
            ..PublishReport::default()
        };
        for (name, _, len) in self.write_bins(&plan.bins, &state.bins)? {
            report.signed.push(name);
            report.bytes_written += len;
        }
        if let Some(b) = plan.bins_role {
            let file = format!("{}.bins.json", b.version());
            let bytes = self.write_role("bins", &file, &b, &state.targets)?;
            report.signed.push("bins".into());
            report.bytes_written += bytes.len() as u64;
            state.bins = b;
        }
        if let Some(t) = plan.targets_role {
            let file = format!("{}.targets.json", t.version());
            let bytes = self.write_role("targets", &file, &t, &state.root)?;
            report.signed.push("targets".into());
            report.bytes_written += bytes.len() as u64;
            state.targets = t;
        }
        state.snapshot = plan.snapshot;
        let sv = state.snapshot.version();
        let snap = self.write_role(
            "snapshot",
            &format!("{sv}.snapshot.json"),
            &state.snapshot,
            &state.root,
        )?;
        report.signed.push("snapshot".into());
        report.bytes_written += snap.len() as u64;
        state.timestamp.snapshot_meta = MetaFile::of(sv, &snap, &[HashAlgorithm::Sha256]);
        self.publish_timestamp(&mut state, &mut report)?;
        // Recorded before the staged changes are cleared: an interruption in between replays
        // the same changes, which give the same names.
        if let Some(names) = plan.names {
            let text = serde_json::to_vec(&names).map_err(|e| RepoError::State(e.to_string()))?;
            write_atomic(&self.names_path(), &text)?;
        }
        self.save_staged(&[])?;
        Ok(report)
    }

    pub(super) fn publish_timestamp(
        &self,
        state: &mut State,
        report: &mut PublishReport,
    ) -> Result<()> {
        state
            .timestamp
            .bump_version()
            .map_err(|e| RepoError::metadata("timestamp", e))?;
        state
            .timestamp
            .set_expires(expiry_for(&self.config, "timestamp"));
        let ts = self.write_role("timestamp", "timestamp.json", &state.timestamp, &state.root)?;
        report.signed.push("timestamp".into());
        report.bytes_written += ts.len() as u64;
        Ok(())
    }

    /// Re-signs the timestamp with a new expiry (for cron), pointing at the same snapshot.
    pub fn refresh_timestamp(&self) -> Result<PublishReport> {
        let _lock = self.lock()?;
        let mut state = self.load_state()?;
        let mut report = PublishReport::default();
        self.publish_timestamp(&mut state, &mut report)?;
        Ok(report)
    }

    /// Re-signs every role that expires within `within` (bins, `bins`, `targets` with the
    /// offline keys if present), then snapshot and timestamp. Root is never re-signed here.
    pub fn refresh_expiring(&self, within: Duration) -> Result<PublishReport> {
        let _lock = self.lock()?;
        let state = self.load_state()?;
        let soon = now().after(within);
        let mut also = vec!["bin-n"];
        if state.bins.expires() <= soon {
            also.push("bins");
        }
        if state.targets.expires() <= soon {
            also.push("targets");
        }
        drop(state);
        self.publish_locked(self.take_staged()?, &also)
    }
}
