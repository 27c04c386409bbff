//! `verify`: the whole repository checked as a client would, every problem reported.

use crate::layout;
use crate::repo::file_matches;
use crate::{RepoError, Result};
use tuf_metadata::naming;
use tuf_metadata::{Expiry, TargetFile};
use tuf_updater::TrustedSet;

/// What `verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Metadata files checked.
    pub roles_checked: usize,
    /// Target files checked.
    pub targets_checked: usize,
    /// Every problem, each naming the file or role and the rule.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks the repository in `dir` from `1.root.json` through the root chain, timestamp,
/// snapshot, targets, `bins` and every bin role (signatures, versions, lengths and hashes,
/// expiry), and, with `check_targets`, every target file under its hashed names.
pub fn verify(dir: &std::path::Path, check_targets: bool) -> Result<VerifyReport> {
    let tdir = layout::targets_dir(dir);
    let mut check = |path: &str, info: &TargetFile, served: &str| {
        file_matches(&tdir.join(served), info, path).map_err(|e| e.to_string())
    };
    verify_with(
        dir,
        if check_targets {
            Some(&mut check)
        } else {
            None
        },
    )
}

/// A check of one target: its path, what its bin says of it, and a name it is served under
/// below `targets/`; an error says what is wrong.
pub(crate) type TargetCheck<'a> =
    &'a mut dyn FnMut(&str, &TargetFile, &str) -> std::result::Result<(), String>;

/// [`verify`] with the check of each target's served file given (none: metadata only).
pub(crate) fn verify_with(
    dir: &std::path::Path,
    mut check_target: Option<TargetCheck<'_>>,
) -> Result<VerifyReport> {
    let mdir = layout::metadata_dir(dir);
    let read =
        |file: &str| std::fs::read(mdir.join(file)).map_err(|e| RepoError::io(&mdir.join(file), e));
    let mut report = VerifyReport::default();
    let mut set = TrustedSet::new(&read("1.root.json")?, Expiry::now())
        .map_err(|e| RepoError::State(format!("1.root.json: {e}")))?;
    report.roles_checked += 1;
    let mut v = 2;
    while let Ok(bytes) = read(&format!("{v}.root.json")) {
        report.roles_checked += 1;
        if let Err(e) = set.update_root(&bytes) {
            report.problems.push(format!("{v}.root.json: {e}"));
            break;
        }
        v += 1;
    }
    report.roles_checked += 1;
    if let Err(e) = read("timestamp.json")
        .map_err(|e| e.to_string())
        .and_then(|b| set.update_timestamp(&b).map_err(|e| e.to_string()))
    {
        report.problems.push(format!("timestamp.json: {e}"));
        return Ok(report);
    }
    let sv = set
        .timestamp()
        .map(|t| t.signed().snapshot_meta.version)
        .unwrap_or(0);
    report.roles_checked += 1;
    if let Err(e) = read(&format!("{sv}.snapshot.json"))
        .map_err(|e| e.to_string())
        .and_then(|b| set.update_snapshot(&b, false).map_err(|e| e.to_string()))
    {
        report.problems.push(format!("{sv}.snapshot.json: {e}"));
        return Ok(report);
    }
    let meta: Vec<(String, u64)> = set
        .snapshot()
        .map(|s| {
            s.signed()
                .meta
                .iter()
                .map(|(k, m)| (k.trim_end_matches(".json").to_owned(), m.version))
                .collect()
        })
        .unwrap_or_default();
    let version_of = |role: &str| meta.iter().find(|(r, _)| r == role).map(|(_, v)| *v);
    for (role, delegator) in [("targets", "root"), ("bins", "targets")] {
        report.roles_checked += 1;
        let file = format!("{}.{role}.json", version_of(role).unwrap_or(0));
        if let Err(e) = read(&file).map_err(|e| e.to_string()).and_then(|b| {
            set.update_delegated_targets(&b, role, delegator)
                .map(|_| ())
                .map_err(|e| e.to_string())
        }) {
            report.problems.push(format!("{file}: {e}"));
            return Ok(report);
        }
    }
    for (role, version) in &meta {
        if role == "targets" || role == "bins" {
            continue;
        }
        report.roles_checked += 1;
        let file = naming::metadata_file(role, Some(*version));
        let bytes = match read(&file) {
            Ok(b) => b,
            Err(e) => {
                report.problems.push(format!("{file}: {e}"));
                continue;
            }
        };
        let bin = match set.update_delegated_targets(&bytes, role, "bins") {
            Ok(b) => b.signed().clone(),
            Err(e) => {
                report.problems.push(format!("{file}: {e}"));
                continue;
            }
        };
        let bins_role = set.role("bins").map(|b| b.signed().clone());
        for (path, info) in &bin.targets {
            // The bin must be the one the delegation sends clients to for this path.
            let owner = bins_role
                .as_ref()
                .and_then(|b| b.delegations.as_ref())
                .map(|d| {
                    d.roles_for_target(path)
                        .into_iter()
                        .any(|(n, _)| n == role.as_str())
                });
            if owner != Some(true) {
                report.problems.push(format!(
                    "{file}: lists {path}, which is not delegated to {role}"
                ));
            }
            if let Some(check) = check_target.as_mut() {
                report.targets_checked += 1;
                // Where a client fetches it: its own path if its entry says so (one file),
                // else under each listed hash (spec 5.7.3).
                let served: Vec<String> = if info.unprefixed() {
                    vec![path.clone()]
                } else {
                    info.hashes
                        .iter()
                        .map(|(_, digest)| naming::hash_prefixed(path, digest))
                        .collect()
                };
                for name in served {
                    if let Err(e) = check(path, info, &name) {
                        report.problems.push(format!("target {path}: {e}"));
                    }
                }
            }
        }
    }
    Ok(report)
}
