//! Every change traced: after the installer-specific proof ([`crate::proof`]) has proven the
//! distributions a run installed, each file the run added or changed in a staged directory
//! ([`crate::stage`]) must belong to one of them. "Belong" means: listed in the `RECORD` of a
//! new or changed `*.dist-info` directory of a proven distribution, with the file's own
//! sha256 (a `__pycache__/*.pyc` may go unhashed when its source is listed with a hash; the
//! `RECORD` itself is unhashed by definition). A file that leaves the site directory (a
//! script or a data file) must moreover be one the distribution declares: an entry point of
//! its `entry_points.txt`, a `.data/scripts/` file of the verified wheel, or one of its
//! `.data/data/` or `.data/headers/` files, byte for byte, at the same path below `data/` or
//! `headers/`. Anything else — a
//! `.pth` written by build code, a file no `RECORD` lists, a changed file whose hash is not
//! the recorded one — fails the run, and the staged result is never committed.

use crate::InterposeError;
use crate::proof::{base64_urlsafe, name_version, record_rows, sha256_bytes};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// The files (and symbolic links) of `staging` that are new, or differ from `dest`'s in
/// length, modification time or link target. `staging` started as a copy of `dest` with the
/// same modification times ([`crate::stage::Stage`]).
pub fn changes(dest: &Path, staging: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dest, staging, Path::new(""), &mut out)?;
    Ok(out)
}

fn walk(dest: &Path, staging: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(staging.join(rel))? {
        let entry = entry?;
        let rel = rel.join(entry.file_name());
        let kind = entry.file_type()?;
        let now = staging.join(&rel);
        let was = std::fs::symlink_metadata(dest.join(&rel)).ok();
        if kind.is_dir() {
            walk(dest, staging, &rel, out)?;
        } else if kind.is_symlink() {
            let same = was.is_some_and(|m| m.is_symlink())
                && std::fs::read_link(dest.join(&rel)).ok() == std::fs::read_link(&now).ok();
            if !same {
                out.push(now);
            }
        } else {
            let m = entry.metadata()?;
            let same = was.is_some_and(|w| {
                w.is_file() && w.len() == m.len() && w.modified().ok() == m.modified().ok()
            });
            if !same {
                out.push(now);
            }
        }
    }
    Ok(())
}

/// `path` with `.` and `..` resolved lexically.
pub(crate) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// One `RECORD` row of a proven distribution.
#[derive(Clone)]
struct Owner {
    dist: (String, String),
    hash: String,
    dist_info: PathBuf,
    script: bool,
}

/// Checks that every file of `changed` (paths in staging directories) belongs to a
/// distribution of `proven` (normalized name, version) installed in one of `sites` (the
/// staged site directories; `stages`: each staged directory's own path and its staging).
/// `wheels`: the verified wheels served in this run (file name, where the verified copy is),
/// for scripts taken from a wheel's `.data/scripts/`.
pub fn traced(
    changed: &[PathBuf],
    sites: &[PathBuf],
    stages: &[(PathBuf, PathBuf)],
    proven: &BTreeSet<(String, String)>,
    wheels: &[(String, PathBuf)],
) -> Result<(), InterposeError> {
    // RECORD paths (`../../../bin/tool`) are relative to where the site directory is seen:
    // owners and changed files are matched at the staged directories' own paths.
    let to_dest = |p: &Path| -> PathBuf {
        stages
            .iter()
            .find_map(|(dest, staging)| p.strip_prefix(staging).ok().map(|r| dest.join(r)))
            .unwrap_or_else(|| p.to_owned())
    };
    let changed_set: BTreeSet<&Path> = changed.iter().map(PathBuf::as_path).collect();
    let mut owners: BTreeMap<PathBuf, Owner> = BTreeMap::new();
    let mut unverified = Vec::new();
    for site in sites {
        let Ok(dir) = std::fs::read_dir(site) else {
            continue;
        };
        for e in dir.flatten() {
            let info = e.path();
            let Some(stem) = info
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".dist-info"))
            else {
                continue;
            };
            if !changed_set.contains(info.join("RECORD").as_path()) {
                continue; // Untouched by this run: its files must not change either.
            }
            let Some(dist) = name_version(stem) else {
                unverified.push(format!("{}: not a dist-info name", info.display()));
                continue;
            };
            if !proven.contains(&dist) {
                unverified.push(format!(
                    "{stem} in {} was installed, but no proof covers it",
                    site.display()
                ));
                continue;
            }
            let record = std::fs::read_to_string(info.join("RECORD")).unwrap_or_default();
            let seen_site = to_dest(site);
            for (path, hash) in record_rows(&record) {
                let leaves_site = path.starts_with("../") || path.contains("/../");
                let owner = Owner {
                    dist: dist.clone(),
                    hash,
                    dist_info: info.clone(),
                    // Outside the site directory, or in a --target's `bin/` or `share/`:
                    // scripts and data files, held to the stricter rule of `check_owned`.
                    script: leaves_site || path.starts_with("bin/") || path.starts_with("share/"),
                };
                // pip --target records scripts and data files relative to the temporary
                // directory it installed into (`../../bin/NAME`, `../../share/...`); they end
                // up in the target's `bin/` and `share/`.
                if let Some(rest) = path.strip_prefix("../../").filter(|r| {
                    Path::new(r)
                        .components()
                        .all(|c| matches!(c, Component::Normal(_)))
                }) {
                    owners
                        .entry(seen_site.join(rest))
                        .or_insert_with(|| Owner { ..owner.clone() });
                }
                owners.insert(lexical(&seen_site.join(&path)), owner);
            }
        }
    }
    let wheels = Wheels {
        served: wheels,
        open: Default::default(),
    };
    for file in changed {
        let shown = file.display();
        if is_uv_lock(file, sites, stages) {
            continue;
        }
        let key = lexical(&to_dest(file));
        let Some(owner) = owners.get(&key) else {
            unverified.push(format!(
                "{shown} was written by this run, but no verified distribution lists it"
            ));
            continue;
        };
        if let Err(why) = check_owned(file, &key, owner, &owners, &wheels) {
            unverified.push(format!(
                "{shown} ({} {}): {why}",
                owner.dist.0, owner.dist.1
            ));
        }
    }
    if unverified.is_empty() {
        Ok(())
    } else {
        Err(InterposeError::Unverified(unverified))
    }
}

/// uv's lock file: an empty `.lock` at the root of the directory it installs into (a
/// `--target`), or of the environment (staged whole, `stages`).
fn is_uv_lock(file: &Path, sites: &[PathBuf], stages: &[(PathBuf, PathBuf)]) -> bool {
    let root = |p: &Path| sites.iter().any(|s| s == p) || stages.iter().any(|(_, s)| s == p);
    file.file_name().is_some_and(|n| n == ".lock")
        && file.parent().is_some_and(root)
        && std::fs::symlink_metadata(file).is_ok_and(|m| m.is_file() && m.len() == 0)
}

/// `file`: where to read it; `key`: where the installer saw it (for the owners' paths).
fn check_owned(
    file: &Path,
    key: &Path,
    owner: &Owner,
    owners: &BTreeMap<PathBuf, Owner>,
    wheels: &Wheels,
) -> Result<(), String> {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match owner.hash.strip_prefix("sha256=") {
        Some(want) => {
            let got = sha256_bytes(file).map_err(|e| e.to_string())?;
            if base64_urlsafe(&got) != want.trim_end_matches('=') {
                return Err("its content is not what its RECORD says".into());
            }
        }
        None if owner.hash.is_empty() => {
            let is_record = file == owner.dist_info.join("RECORD");
            // A compiled module: its source must be recorded with a hash by the same
            // distribution (`pkg/__pycache__/mod.cpython-311.pyc` -> `pkg/mod.py`).
            let pyc_of_recorded_source = name.ends_with(".pyc")
                && key
                    .parent()
                    .filter(|p| p.file_name().is_some_and(|n| n == "__pycache__"))
                    .and_then(|cache| {
                        let module = name.split('.').next()?;
                        let source = cache.parent()?.join(format!("{module}.py"));
                        owners.get(&lexical(&source))
                    })
                    .is_some_and(|src| src.dist == owner.dist && !src.hash.is_empty());
            if !(is_record || pyc_of_recorded_source) {
                return Err("its RECORD gives it no hash".into());
            }
        }
        None => return Err(format!("unsupported RECORD hash {:?}", owner.hash)),
    }
    if owner.script
        && !declared_script(name, owner, wheels)
        && !verified_data_file(key, owner, wheels)
    {
        return Err(
            "outside the site directory, but neither an entry point, nor a .data/scripts \
             file, nor a .data/data or .data/headers file of the verified distribution"
                .into(),
        );
    }
    Ok(())
}

/// The verified wheels served in this run (file name, where the verified copy is), each
/// opened once, when a file first needs it.
struct Wheels<'a> {
    served: &'a [(String, PathBuf)],
    /// By distribution (name, version); `None`: none served, or unreadable.
    open: std::cell::RefCell<BTreeMap<(String, String), Option<Wheel>>>,
}

/// A verified wheel, opened.
type Wheel = zip::ZipArchive<std::fs::File>;

impl Wheels<'_> {
    /// `f` applied to the opened verified wheel of `owner`'s distribution; `None` when no
    /// such wheel was served or it cannot be read.
    fn with<R>(&self, owner: &Owner, f: impl FnOnce(&mut Wheel) -> R) -> Option<R> {
        let mut open = self.open.borrow_mut();
        let zip = open.entry(owner.dist.clone()).or_insert_with(|| {
            let (_, path) = self.served.iter().find(|(file, _)| {
                file.strip_suffix(".whl")
                    .and_then(name_version)
                    .is_some_and(|k| k == owner.dist)
            })?;
            zip::ZipArchive::new(std::fs::File::open(path).ok()?).ok()
        });
        zip.as_mut().map(f)
    }
}

/// Whether the file seen at `key` (whose content its `RECORD` row's sha256 was checked to
/// give) is a data file or header of the distribution's verified wheel: a member
/// `*.data/data/REST` or `*.data/headers/REST` with the same sha256, `key` ending in `REST`
/// (pip and uv put data files under the environment's prefix and headers under its include
/// directory, each at its path below `data/` or `headers/`).
fn verified_data_file(key: &Path, owner: &Owner, wheels: &Wheels) -> bool {
    let Some(want) = owner.hash.strip_prefix("sha256=") else {
        return false;
    };
    wheels
        .with(owner, |zip| data_file_in(zip, key, want))
        .unwrap_or(false)
}

/// Whether `zip` holds a `.data/data` or `.data/headers` member that `key` ends in, whose
/// sha256 is `want` (RECORD's base64).
fn data_file_in(zip: &mut Wheel, key: &Path, want: &str) -> bool {
    let candidates: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .filter(|n| {
            [".data/data/", ".data/headers/"].iter().any(|kind| {
                n.split_once(kind).is_some_and(|(top, rest)| {
                    !top.contains('/')
                        && !rest.is_empty()
                        && Path::new(rest)
                            .components()
                            .all(|c| matches!(c, Component::Normal(_)))
                        && key.ends_with(rest)
                })
            })
        })
        .collect();
    candidates.iter().any(|n| {
        let Ok(mut member) = zip.by_name(n) else {
            return false;
        };
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        if std::io::copy(&mut member, &mut hasher).is_err() {
            return false;
        }
        base64_urlsafe(&sha2::Digest::finalize(hasher)) == want.trim_end_matches('=')
    })
}

/// Whether `name` is a script the distribution declares: a `console_scripts` or
/// `gui_scripts` entry point, or a `.data/scripts/` file of its verified wheel.
fn declared_script(name: &str, owner: &Owner, wheels: &Wheels) -> bool {
    let entry_points =
        std::fs::read_to_string(owner.dist_info.join("entry_points.txt")).unwrap_or_default();
    let mut section = "";
    for line in entry_points.lines().map(str::trim) {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s;
        } else if matches!(section, "console_scripts" | "gui_scripts")
            && line.split('=').next().map(str::trim) == Some(name)
        {
            return true;
        }
    }
    wheels
        .with(owner, |zip| {
            let names: Vec<String> = zip
                .file_names()
                .filter_map(Result::ok)
                .map(|n| n.into_owned())
                .collect();
            names.iter().any(|n| {
                n.split_once(".data/scripts/").is_some_and(|(top, file)| {
                    !top.contains('/') && file == name && zip.by_name(n).is_ok()
                })
            })
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(data: &[u8]) -> String {
        use sha2::Digest;
        base64_urlsafe(&sha2::Sha256::digest(data))
    }

    #[test]
    fn only_recorded_files_of_proven_distributions_pass() {
        let work = tempfile::tempdir().unwrap();
        let dest = work.path().join("site");
        std::fs::create_dir_all(dest.join("old-1.0.dist-info")).unwrap();
        std::fs::write(dest.join("old-1.0.dist-info/RECORD"), "").unwrap();
        let staging = work.path().join("staging");
        crate::stage::copy_into(&dest, {
            std::fs::create_dir(&staging).unwrap();
            &staging
        })
        .unwrap();
        // What an installer leaves: gamma 2.1, its RECORD, a compiled module, a script.
        let info = staging.join("gamma-2.1.dist-info");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::create_dir_all(staging.join("gamma/__pycache__")).unwrap();
        std::fs::create_dir_all(work.path().join("staging-bin")).unwrap();
        let source = b"x = 1\n";
        std::fs::write(staging.join("gamma/__init__.py"), source).unwrap();
        std::fs::write(
            staging.join("gamma/__pycache__/__init__.cpython-311.pyc"),
            b"pyc",
        )
        .unwrap();
        std::fs::write(
            info.join("entry_points.txt"),
            "[console_scripts]\ngamma-cli = gamma:main\n",
        )
        .unwrap();
        let record = format!(
            "gamma/__init__.py,sha256={},6\ngamma/__pycache__/__init__.cpython-311.pyc,,\n\
             gamma-2.1.dist-info/entry_points.txt,sha256={},{}\ngamma-2.1.dist-info/RECORD,,\n",
            b64(source),
            b64(&std::fs::read(info.join("entry_points.txt")).unwrap()),
            std::fs::metadata(info.join("entry_points.txt"))
                .unwrap()
                .len()
        );
        std::fs::write(info.join("RECORD"), &record).unwrap();
        let proven: BTreeSet<(String, String)> = [("gamma".to_owned(), "2.1".to_owned())].into();
        let sites = std::slice::from_ref(&staging);
        let changed = changes(&dest, &staging).unwrap();
        assert_eq!(changed.len(), 4, "{changed:?}");
        traced(&changed, sites, &[], &proven, &[]).unwrap();

        // A .pth that build code wrote: no RECORD lists it.
        std::fs::write(staging.join("evil.pth"), "import evil\n").unwrap();
        let e = traced(&changes(&dest, &staging).unwrap(), sites, &[], &proven, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("evil.pth was written by this run"), "{e}");
        std::fs::remove_file(staging.join("evil.pth")).unwrap();
        // A recorded file whose content changed after the installer recorded it.
        std::fs::write(staging.join("gamma/__init__.py"), b"x = 2\n").unwrap();
        let e = traced(&changes(&dest, &staging).unwrap(), sites, &[], &proven, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not what its RECORD says"), "{e}");
        std::fs::write(staging.join("gamma/__init__.py"), source).unwrap();
        // A distribution no proof covers.
        let e = traced(&changed, sites, &[], &BTreeSet::new(), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no proof covers it"), "{e}");
        // A script outside the site directory: an entry point passes, another name not.
        for (script, ok) in [("gamma-cli", true), ("evil-cli", false)] {
            let bin = work.path().join("staging-bin").join(script);
            std::fs::write(&bin, b"#!/usr/bin/python\n").unwrap();
            let mut rec = record.clone();
            rec.push_str(&format!(
                "../staging-bin/{script},sha256={},18\n",
                b64(b"#!/usr/bin/python\n")
            ));
            std::fs::write(info.join("RECORD"), rec).unwrap();
            let mut changed = changes(&dest, &staging).unwrap();
            changed.push(bin.clone());
            let got = traced(&changed, sites, &[], &proven, &[]);
            assert_eq!(got.is_ok(), ok, "{script}: {got:?}");
            std::fs::remove_file(&bin).unwrap();
        }
    }
}
