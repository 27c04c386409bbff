//! The proof after an install: what the installer installed or downloaded is checked against
//! what the verifying proxy served, verified, in this run.
//!
//! * pip: `pip install --report FILE` lists every distribution it installed with its
//!   archive's sha256 (pip computes it from the file when the link carried none). Each must
//!   equal the sha256 of a target the proxy served in this run ([`pip_report`]); a VCS
//!   checkout, a local directory or a `file:` URL is unverified (local ones are allowed, and
//!   listed, under `--allow-local`). pip's own caches are off in a session, so every archive
//!   it installs was fetched in this run.
//! * uv has no report. Each `*.dist-info` directory that is new or changed after the run
//!   ([`Installed::snapshot`], [`uv_installed`]) must belong to a wheel the proxy served:
//!   every file that wheel's `RECORD` lists (outside `.data/`) is hashed where it was
//!   installed and must match, and the installed `RECORD` may name no file the wheel does
//!   not hold (but the installer's own `INSTALLER`, `REQUESTED`, `direct_url.json` and files
//!   outside the site directory, such as scripts). A distribution uv built from an sdist is
//!   accepted when the proxy served that sdist: the one its `direct_url.json` (PEP 610) names,
//!   or without one (the index) the sdist of its name and version; one built from a `file:`
//!   source is local (its built files cannot be compared with anything signed).
//! * `pip download`: every file new or changed in the destination must be, byte for byte, a
//!   target served in this run ([`downloads`]); any other is deleted.

use crate::InterposeError;
use crate::proxy::Served;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tuf_pypi::normalize_name;

pub(crate) fn sha256_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(h.finalize().to_vec())
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_bytes(path).map(hex::encode)
}

/// Unpadded URL-safe base64 (RFC 4648 section 5), as wheel `RECORD` files write digests.
pub(crate) fn base64_urlsafe(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

/// Checks pip's installation report (`--report`, format version 1) against what was
/// served. Returns the local distributions `--allow-local` let through; an error lists every
/// unverified distribution and how to remove it.
pub fn pip_report(
    report: &[u8],
    served: &[Served],
    allow_local: bool,
) -> Result<Vec<String>, InterposeError> {
    let bad = |m: String| InterposeError::Unverified(vec![m]);
    let v: serde_json::Value = serde_json::from_slice(report).map_err(|e| {
        bad(format!(
            "pip's --report is not JSON ({e}); nothing is proven"
        ))
    })?;
    let items = v
        .get("install")
        .and_then(|i| i.as_array())
        .ok_or_else(|| bad("pip's --report has no install list; nothing is proven".into()))?;
    let hashes: BTreeSet<&str> = served.iter().map(|s| s.sha256.as_str()).collect();
    let (mut unverified, mut local) = (Vec::new(), Vec::new());
    for item in items {
        let meta = |k: &str| {
            item.pointer(&format!("/metadata/{k}"))
                .and_then(|n| n.as_str())
                .unwrap_or("?")
                .to_owned()
        };
        let (name, version) = (meta("name"), meta("version"));
        let info = item.get("download_info");
        let url = info
            .and_then(|i| i.get("url"))
            .and_then(|u| u.as_str())
            .unwrap_or("");
        let remove = format!("{name} {version} (from {url}) was not served verified by TUF");
        let is_local = url.starts_with("file:")
            || info.is_some_and(|i| i.get("dir_info").is_some())
            || url.is_empty();
        if info.is_some_and(|i| i.get("vcs_info").is_some()) {
            unverified.push(remove);
            continue;
        }
        if is_local {
            if allow_local && !url.is_empty() {
                local.push(format!("{name} {version} from {url}"));
            } else {
                unverified.push(remove);
            }
            continue;
        }
        let archive = info.and_then(|i| i.get("archive_info"));
        let sha256 = archive
            .and_then(|a| a.pointer("/hashes/sha256"))
            .and_then(|h| h.as_str())
            .map(str::to_owned)
            .or_else(|| {
                archive
                    .and_then(|a| a.get("hash"))
                    .and_then(|h| h.as_str())
                    .and_then(|h| h.strip_prefix("sha256="))
                    .map(str::to_owned)
            })
            .map(|h| h.to_ascii_lowercase());
        match sha256 {
            Some(h) if hashes.contains(h.as_str()) => {}
            _ => unverified.push(remove),
        }
    }
    if unverified.is_empty() {
        Ok(local)
    } else {
        Err(InterposeError::Unverified(unverified))
    }
}

/// The distributions (normalized name, version) pip's `--report` says it installed.
pub fn pip_report_installed(report: &[u8]) -> BTreeSet<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(report).unwrap_or_default();
    v.get("install")
        .and_then(|i| i.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let name = item.pointer("/metadata/name")?.as_str()?;
                    let version = item.pointer("/metadata/version")?.as_str()?;
                    Some((normalize_name(name), version.to_ascii_lowercase()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `*.dist-info` directories of the site directories, with a digest of each `RECORD`,
/// keyed by the site's position in the list and the directory's name, so that a snapshot of
/// the original directories compares with one of their staging copies.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Installed(BTreeMap<(usize, std::ffi::OsString), (PathBuf, String)>);

impl Installed {
    /// Reads every `*.dist-info/RECORD` under `sites`.
    pub fn snapshot(sites: &[PathBuf]) -> Installed {
        let mut m = BTreeMap::new();
        for (i, site) in sites.iter().enumerate() {
            let Ok(dir) = std::fs::read_dir(site) else {
                continue;
            };
            for e in dir.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "dist-info") {
                    let digest = sha256_file(&p.join("RECORD")).unwrap_or_default();
                    m.insert((i, e.file_name()), (p, digest));
                }
            }
        }
        Installed(m)
    }

    /// What is new or changed in `self` (after) compared with `before` (paths of `self`).
    pub fn changed_since(&self, before: &Installed) -> Vec<PathBuf> {
        self.0
            .iter()
            .filter(|(k, (_, d))| before.0.get(*k).map(|(_, b)| b) != Some(d))
            .map(|(_, (p, _))| p.clone())
            .collect()
    }
}

/// A wheel's or dist-info directory's name and version, normalized: `Beta_Pkg-0.3...`.
pub(crate) fn name_version(stem: &str) -> Option<(String, String)> {
    let mut parts = stem.splitn(3, '-');
    let (name, version) = (parts.next()?, parts.next()?);
    Some((normalize_name(name), version.to_ascii_lowercase()))
}

/// `RECORD` rows: path and hash (`sha256=<urlsafe base64>`, possibly empty). Paths holding
/// commas are quoted, CSV style.
pub(crate) fn record_rows(text: &str) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let mut fields = Vec::new();
        let (mut cur, mut quoted, mut chars) = (String::new(), false, line.chars().peekable());
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        if let Some(path) = fields.first().filter(|p| !p.is_empty()) {
            rows.push((path.clone(), fields.get(1).cloned().unwrap_or_default()));
        }
    }
    rows
}

fn wheel_record(wheel: &Path) -> Result<String, String> {
    use std::io::Read;
    let f = std::fs::File::open(wheel).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| format!("not a wheel: {e}"))?;
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with(".dist-info/RECORD") && n.matches('/').count() == 1)
        .map(|n| n.into_owned())
        .ok_or("the wheel has no .dist-info/RECORD")?;
    let entry = zip.by_name(&name).map_err(|e| e.to_string())?;
    let mut text = String::new();
    entry
        .take(64 << 20)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok(text)
}

/// Files an installer adds to a dist-info directory itself.
const INSTALLER_FILES: &[&str] = &[
    "INSTALLER",
    "REQUESTED",
    "direct_url.json",
    "RECORD",
    "uv_cache.json",
];

/// What a uv install's proof found besides distributions matching a served wheel.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Proven {
    /// Distributions proven only by the sdist they were built from.
    pub built: Vec<String>,
    /// Distributions of which nothing was served, accepted because `--allow-local` let the
    /// user's own local sources in (the network is still reached only through the proxy, so
    /// they can only have come from there): NOT verified by TUF.
    pub local: Vec<String>,
}

/// Checks each changed dist-info directory (from [`Installed::changed_since`]) against the
/// distributions the proxy served. `allow_local`: a distribution of which nothing was served
/// is listed in [`Proven::local`] instead of failing the proof.
pub fn uv_installed(
    changed: &[PathBuf],
    served: &[Served],
    allow_local: bool,
) -> Result<Proven, InterposeError> {
    let mut unverified = Vec::new();
    let mut proven = Proven::default();
    for dist_info in changed {
        let stem = dist_info
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".dist-info"))
            .unwrap_or("");
        let site = dist_info.parent().unwrap_or(Path::new("/"));
        let Some(key) = name_version(stem) else {
            unverified.push(format!("{}: not a dist-info name", dist_info.display()));
            continue;
        };
        let remove = |why: String| {
            format!(
                "{stem} in {} is not what TUF verified ({why})",
                site.display()
            )
        };
        let wheel = served.iter().find(|s| {
            s.file_name()
                .strip_suffix(".whl")
                .and_then(name_version)
                .is_some_and(|k| k == key)
        });
        let Some(wheel) = wheel else {
            // Built: from the sdist it names in its direct_url.json (PEP 610) if it has one,
            // else from the index, where only the proxy's verified sdists are.
            let source = match build_source(dist_info) {
                Ok(source) => source,
                Err(why) => {
                    unverified.push(remove(why));
                    continue;
                }
            };
            let sdist = served.iter().find(|s| {
                let f = s.file_name();
                let named = match &source {
                    BuildSource::Index => true,
                    BuildSource::Url(name) => f == name,
                    BuildSource::Local(_) => false,
                };
                named
                    && [".tar.gz", ".zip"].iter().any(|ext| {
                        f.strip_suffix(ext)
                            .and_then(|stem| stem.rsplit_once('-'))
                            .is_some_and(|(n, v)| {
                                (normalize_name(n), v.to_ascii_lowercase()) == key
                            })
                    })
            });
            match (sdist, source) {
                (Some(s), _) => proven
                    .built
                    .push(format!("{stem} (built from verified {})", s.target)),
                (None, BuildSource::Local(url)) if allow_local => proven.local.push(format!(
                    "{stem} in {} (built from the local source {url})",
                    site.display()
                )),
                (None, BuildSource::Local(url)) => unverified.push(remove(format!(
                    "built from the local source {url}, not from a verified sdist"
                ))),
                (None, _) if allow_local => proven.local.push(format!(
                    "{stem} in {} (nothing of it was served by TUF)",
                    site.display()
                )),
                (None, _) => unverified.push(remove("no such distribution was served".into())),
            }
            continue;
        };
        if let Err(why) = matches_wheel(dist_info, site, &wheel.path) {
            unverified.push(remove(why));
        }
    }
    if unverified.is_empty() {
        Ok(proven)
    } else {
        Err(InterposeError::Unverified(unverified))
    }
}

/// Where the installer says it took a distribution it built from.
enum BuildSource {
    /// No `direct_url.json`: a project name resolved through the index.
    Index,
    /// A direct URL: the archive's file name.
    Url(String),
    /// A `file:` URL (a local directory or archive).
    Local(String),
}

/// Reads the `direct_url.json` (PEP 610) of `dist_info`, if any: a missing file means the
/// index; an unreadable one, or a VCS checkout, is refused.
fn build_source(dist_info: &Path) -> Result<BuildSource, String> {
    let bytes = match std::fs::read(dist_info.join("direct_url.json")) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BuildSource::Index),
        Err(e) => return Err(format!("direct_url.json: {e}")),
    };
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("direct_url.json: {e}"))?;
    let url = v
        .get("url")
        .and_then(|u| u.as_str())
        .ok_or("direct_url.json names no url")?;
    if v.get("vcs_info").is_some() {
        return Err(format!("built from the VCS checkout {url}"));
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("direct_url.json: {url}: {e}"))?;
    match parsed.scheme() {
        "file" => Ok(BuildSource::Local(url.to_owned())),
        "http" | "https" => Ok(BuildSource::Url(
            parsed
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or("")
                .to_owned(),
        )),
        other => Err(format!("built from a {other}: URL ({url})")),
    }
}

/// Every file of the wheel's RECORD (outside `.data/`) installed with the same sha256, and
/// nothing in the installed RECORD that the wheel does not hold.
fn matches_wheel(dist_info: &Path, site: &Path, wheel: &Path) -> Result<(), String> {
    let signed = record_rows(&wheel_record(wheel)?);
    let installed =
        std::fs::read_to_string(dist_info.join("RECORD")).map_err(|e| format!("no RECORD: {e}"))?;
    let in_wheel: BTreeSet<&str> = signed.iter().map(|(p, _)| p.as_str()).collect();
    for (path, hash) in &signed {
        if path.contains(".data/") || hash.is_empty() {
            continue;
        }
        let Some(want) = hash.strip_prefix("sha256=") else {
            return Err(format!("{path}: the wheel's RECORD has no sha256"));
        };
        if path.split('/').any(|s| s == "..") || path.starts_with('/') {
            return Err(format!("{path}: outside the site directory"));
        }
        let got = sha256_bytes(&site.join(path)).map_err(|e| format!("{path}: {e}"))?;
        let got = base64_urlsafe(&got);
        if got != want.trim_end_matches('=') {
            return Err(format!("{path} differs from the verified wheel"));
        }
    }
    let info_dir = dist_info.file_name().and_then(|n| n.to_str()).unwrap_or("");
    for (path, _) in record_rows(&installed) {
        let admin = path
            .strip_prefix(info_dir)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|f| INSTALLER_FILES.contains(&f));
        // Scripts and data files: outside the site directory, or in a --target's `bin/` or
        // `share/` (the trace, [`crate::trace`], checks each against the distribution's
        // declared scripts and the verified wheel's `.data/` files).
        let outside = path.starts_with("../")
            || path.starts_with('/')
            || path.starts_with("bin/")
            || path.starts_with("share/");
        if !(in_wheel.contains(path.as_str()) || admin || outside) {
            return Err(format!("{path} is not in the verified wheel"));
        }
    }
    Ok(())
}

/// The regular files of a directory, with length and modification time.
pub fn listing(dir: &Path) -> BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let m = e.metadata().ok()?;
                    m.is_file()
                        .then(|| (e.path(), (m.len(), m.modified().ok())))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the files new or changed in a download directory (`before`: [`listing`] taken
/// before the run); deletes and names each that is not a target served in this run. With
/// `allow_local` such files are kept and returned instead (the user's own local sources,
/// NOT verified by TUF).
pub fn downloads(
    dir: &Path,
    before: &BTreeMap<PathBuf, (u64, Option<std::time::SystemTime>)>,
    served: &[Served],
    allow_local: bool,
) -> Result<Vec<String>, InterposeError> {
    let mut local = Vec::new();
    let hashes: BTreeSet<&str> = served.iter().map(|s| s.sha256.as_str()).collect();
    let mut unverified = Vec::new();
    for (path, meta) in listing(dir) {
        if before.get(&path) == Some(&meta) {
            continue;
        }
        let ok = sha256_file(&path).is_ok_and(|h| hashes.contains(h.as_str()));
        if !ok && allow_local {
            local.push(format!("{} (not served by TUF)", path.display()));
        } else if !ok {
            let removed = std::fs::remove_file(&path).is_ok();
            unverified.push(format!(
                "{} was not served verified by TUF ({})",
                path.display(),
                if removed { "deleted" } else { "delete it" }
            ));
        }
    }
    if unverified.is_empty() {
        Ok(local)
    } else {
        Err(InterposeError::Unverified(unverified))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(sha: &str, target: &str) -> Served {
        Served {
            repository: "r".into(),
            target: target.into(),
            sha256: sha.into(),
            length: 1,
            path: PathBuf::new(),
        }
    }

    #[test]
    fn pip_report_items_must_match_served_hashes() {
        let report = |info: &str| {
            format!(
                r#"{{"version":"1","install":[{{"metadata":{{"name":"gamma","version":"2.1"}},"download_info":{info}}}]}}"#
            )
        };
        let s = [served("ab", "packages/gamma-2.1-py3-none-any.whl")];
        let good = report(r#"{"url":"http://x/g.whl","archive_info":{"hash":"sha256=AB"}}"#);
        assert!(pip_report(good.as_bytes(), &s, false).is_ok());
        let newer = report(
            r#"{"url":"http://x/g.whl","archive_info":{"hashes":{"sha256":"cd"},"hash":"sha256=cd"}}"#,
        );
        let e = pip_report(newer.as_bytes(), &s, false).unwrap_err();
        assert!(
            e.to_string()
                .contains("gamma 2.1 (from http://x/g.whl) was not served verified"),
            "{e}"
        );
        for info in [
            r#"{"url":"git+https://x/g","vcs_info":{"vcs":"git","commit_id":"0"}}"#,
            r#"{"url":"file:///src/g","dir_info":{}}"#,
            r#"{"url":"http://x/g.whl","archive_info":{}}"#,
        ] {
            assert!(
                pip_report(report(info).as_bytes(), &s, false).is_err(),
                "{info}"
            );
        }
        let local = report(r#"{"url":"file:///src/g","dir_info":{}}"#);
        assert_eq!(pip_report(local.as_bytes(), &s, true).unwrap().len(), 1);
        assert!(pip_report(b"[]", &s, false).is_err());
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
        ] {
            assert_eq!(base64_urlsafe(i.as_bytes()), o);
        }
        assert_eq!(base64_urlsafe(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn record_rows_read_quoted_paths() {
        let rows =
            record_rows("a/b.py,sha256=x,3\n\"a/c,d.py\",sha256=y,4\nz.dist-info/RECORD,,\n");
        assert_eq!(rows[1], ("a/c,d.py".into(), "sha256=y".into()));
        assert_eq!(rows[2].1, "");
    }

    /// A scratch directory of its own for one test.
    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tuf-proof-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Writes a wheel holding `files` and a RECORD of them, returns its path and RECORD.
    fn wheel(dir: &Path, files: &[(&str, &[u8])]) -> (PathBuf, String) {
        use std::io::Write;
        let mut record = String::new();
        for (name, data) in files {
            let digest = base64_urlsafe(&Sha256::digest(data));
            record.push_str(&format!("{name},sha256={digest},{}\n", data.len()));
        }
        record.push_str("gamma-2.1.dist-info/RECORD,,\n");
        let path = dir.join("gamma-2.1-py3-none-any.whl");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in files {
            z.start_file(*name, opts).unwrap();
            z.write_all(data).unwrap();
        }
        z.start_file("gamma-2.1.dist-info/RECORD", opts).unwrap();
        z.write_all(record.as_bytes()).unwrap();
        z.finish().unwrap();
        (path, record)
    }

    /// "Installs" the wheel's files into `site` as an installer would, with `record` as the
    /// installed RECORD.
    fn install(site: &Path, files: &[(&str, &[u8])], record: &str) -> PathBuf {
        for (name, data) in files {
            let p = site.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        }
        let info = site.join("gamma-2.1.dist-info");
        std::fs::create_dir_all(&info).unwrap();
        std::fs::write(info.join("RECORD"), record).unwrap();
        info
    }

    #[test]
    fn uv_installs_are_checked_file_by_file_against_the_served_wheel() {
        let dir = scratch("uv");
        let site = dir.join("site");
        let files: &[(&str, &[u8])] = &[
            ("gamma/__init__.py", b"VERSION = '2.1'\n"),
            (
                "gamma-2.1.dist-info/METADATA",
                b"Name: gamma\nVersion: 2.1\n",
            ),
        ];
        let (path, record) = wheel(&dir, files);
        let wheels = [Served {
            path,
            ..served("00", "packages/gamma-2.1-py3-none-any.whl")
        }];
        let before = Installed::snapshot(std::slice::from_ref(&site));
        let installed_record = format!("{record}gamma-2.1.dist-info/INSTALLER,,\n../../bin/g,,\n");
        let info = install(&site, files, &installed_record);
        let changed = Installed::snapshot(std::slice::from_ref(&site)).changed_since(&before);
        assert_eq!(changed, vec![info.clone()]);
        assert_eq!(
            uv_installed(&changed, &wheels, false).unwrap(),
            Proven::default()
        );

        // One byte of one installed file differs from the signed wheel.
        std::fs::write(site.join("gamma/__init__.py"), b"VERSION = '9.9'\n").unwrap();
        let e = uv_installed(&changed, &wheels, false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("gamma/__init__.py differs"), "{e}");
        std::fs::write(site.join("gamma/__init__.py"), files[0].1).unwrap();

        // The installed RECORD names a file the wheel does not hold.
        let extra = format!("{installed_record}gamma/evil.py,sha256=x,1\n");
        std::fs::write(info.join("RECORD"), extra).unwrap();
        let e = uv_installed(&changed, &wheels, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("gamma/evil.py is not in the verified wheel"),
            "{e}"
        );

        // A file the wheel lists is missing.
        std::fs::write(info.join("RECORD"), &installed_record).unwrap();
        std::fs::remove_file(site.join("gamma-2.1.dist-info/METADATA")).unwrap();
        assert!(uv_installed(&changed, &wheels, false).is_err());

        // Nothing of that name and version was served; a served sdist proves a build only.
        // Under --allow-local it is listed as the user's own, unverified.
        assert!(uv_installed(&changed, &[], false).is_err());
        let local = uv_installed(&changed, &[], true).unwrap();
        assert!(local.built.is_empty() && local.local[0].starts_with("gamma-2.1 in "));
        let sdist = [served("00", "packages/gamma-2.1.tar.gz")];
        let proven = uv_installed(&changed, &sdist, false).unwrap();
        assert_eq!(
            proven.built,
            vec!["gamma-2.1 (built from verified packages/gamma-2.1.tar.gz)"]
        );
        // Built from a local directory of the same name and version (its direct_url.json):
        // the served sdist does not prove it; under --allow-local it is listed as local.
        std::fs::write(
            info.join("direct_url.json"),
            br#"{"url": "file:///home/u/gamma", "dir_info": {}}"#,
        )
        .unwrap();
        let e = uv_installed(&changed, &sdist, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("built from the local source file:///home/u/gamma"),
            "{e}"
        );
        let local = uv_installed(&changed, &sdist, true).unwrap();
        assert!(local.built.is_empty() && local.local[0].contains("file:///home/u/gamma"));
        // From a direct URL: the sdist it names must be the one served.
        std::fs::write(
            info.join("direct_url.json"),
            br#"{"url": "https://files.example/p/gamma-2.1.tar.gz", "archive_info": {}}"#,
        )
        .unwrap();
        assert_eq!(
            uv_installed(&changed, &sdist, false).unwrap().built.len(),
            1
        );
        let other = [served("00", "packages/gamma-2.1.zip")];
        assert!(uv_installed(&changed, &other, false).is_err());
        std::fs::write(
            info.join("direct_url.json"),
            br#"{"url": "https://h/g.git", "vcs_info": {"vcs": "git"}}"#,
        )
        .unwrap();
        assert!(uv_installed(&changed, &sdist, true).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn downloads_that_were_not_served_are_deleted() {
        let dir = scratch("dl");
        std::fs::write(dir.join("kept.txt"), b"there before").unwrap();
        let before = listing(&dir);
        std::fs::write(dir.join("good.whl"), b"good").unwrap();
        std::fs::write(dir.join("evil.whl"), b"evil").unwrap();
        let good = hex::encode(Sha256::digest(b"good"));
        let s = [served(&good, "packages/good.whl")];
        let local = downloads(&dir, &before, &s, true).unwrap();
        assert!(local.len() == 1 && local[0].contains("evil.whl (not served by TUF)"));
        let e = downloads(&dir, &before, &s, false).unwrap_err().to_string();
        assert!(
            e.contains("evil.whl was not served verified by TUF (deleted)"),
            "{e}"
        );
        assert!(!dir.join("evil.whl").exists());
        assert!(dir.join("good.whl").exists() && dir.join("kept.txt").exists());
        assert!(downloads(&dir, &listing(&dir), &s, false).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
