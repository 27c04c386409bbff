//! A bandersnatch mirror's tree, read as bandersnatch writes it: under `web/`, a page per
//! project at `simple/<name>/` (or `simple/<first letter>/<name>/` with its `hash-index`
//! option) as `index.html`, `index.v1_html` (the same HTML) and `index.v1_json` (PEP 691),
//! the root index the same way at `simple/`, distribution files at `packages/<upstream path>`
//! with their PEP 658 core metadata beside them as `FILE.metadata`; and the legacy JSON API
//! (`json/<name>`, `pypi/<name>/json`), `last-modified` and statistics, which no installer
//! needs from an index.
//!
//! [`target_of`] names the TUF target each file becomes in this repository's layout
//! ([`crate::layout`]): pages as `simple/<name>/index.html` and `simple/<name>/index.json`,
//! files at their own paths; everything else is not signed.

use std::path::{Path, PathBuf};

/// The directory bandersnatch serves (`<mirror>/web`), if `mirror` is a bandersnatch mirror
/// (it has `web/simple/`).
pub fn web_dir(mirror: &Path) -> Option<PathBuf> {
    let web = mirror.join("web");
    web.join("simple").is_dir().then_some(web)
}

/// The TUF target of the file at `path` (relative to `web/`, `/`-separated), or `None` for a
/// file that is not signed.
///
/// ```
/// use tuf_pypi::bandersnatch::target_of;
///
/// assert_eq!(target_of("simple/requests/index.v1_json").as_deref(), Some("simple/requests/index.json"));
/// assert_eq!(target_of("simple/r/requests/index.html").as_deref(), Some("simple/requests/index.html"));
/// assert_eq!(target_of("simple/requests/index.v1_html"), None);
/// assert_eq!(target_of("json/requests"), None);
/// ```
pub fn target_of(path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix("packages/") {
        return (!rest.is_empty()).then(|| path.to_owned());
    }
    let rest = path.strip_prefix("simple/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    let (dir, file) = match parts.as_slice() {
        [file] => (None, *file),
        [name, file] => (Some(*name), *file),
        // `hash-index`: the first letter of the name, then the name.
        [letter, name, file]
            if letter.chars().count() == 1
                && name.chars().next().map(|c| c.to_lowercase().to_string())
                    == letter.chars().next().map(|c| c.to_lowercase().to_string()) =>
        {
            (Some(*name), *file)
        }
        _ => return None,
    };
    if dir.is_some_and(str::is_empty) {
        return None;
    }
    let file = match file {
        "index.html" => "index.html",
        "index.v1_json" => "index.json",
        // `index.v1_html` is `index.html` again; anything else is not bandersnatch's.
        _ => return None,
    };
    Some(match dir {
        Some(name) => format!("simple/{name}/{file}"),
        None => format!("simple/{file}"),
    })
}

/// The page a `keep_index_versions` file stands for: bandersnatch then writes each new HTML
/// page as `simple/<name>/versions/index_<serial>_<time>.html` (hash-index too), lists that
/// file in its diff, and points the project's `index.html` (a symbolic link) at it. Given the
/// version file's path (relative to `web/`), the `index.html` beside `versions/`.
///
/// ```
/// use tuf_pypi::bandersnatch::page_of_version;
///
/// assert_eq!(
///     page_of_version("simple/black/versions/index_42_20261205T000000Z.html").as_deref(),
///     Some("simple/black/index.html")
/// );
/// assert_eq!(page_of_version("simple/black/index.html"), None);
/// ```
pub fn page_of_version(path: &str) -> Option<String> {
    let (dir, file) = path.rsplit_once("/versions/")?;
    let well_formed = file.starts_with("index_") && file.ends_with(".html") && !file.contains('/');
    let page = format!("{dir}/index.html");
    (well_formed && target_of(&page).is_some()).then_some(page)
}

/// A diff file bandersnatch wrote: the `diff-file` itself, or with `diff-append-epoch` one
/// of `<diff-file>-<epoch>` (seconds since 1970, one per run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its run's epoch, for a `-<epoch>` file.
    pub epoch: Option<u64>,
}

/// The diff files of bandersnatch's `diff-file` setting `base`, as it names them: a
/// directory stands for `mirrored-files` in it; then `base` itself if it is a file, and every
/// `<base>-<epoch>` beside it, oldest first.
pub fn diff_files(base: &Path) -> std::io::Result<Vec<DiffFile>> {
    let base = if base.is_dir() {
        base.join("mirrored-files")
    } else {
        base.to_owned()
    };
    let mut out = Vec::new();
    if base.is_file() {
        out.push(DiffFile {
            path: base.clone(),
            epoch: None,
        });
    }
    let (Some(dir), Some(name)) = (base.parent(), base.file_name().and_then(|n| n.to_str())) else {
        return Ok(out);
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut epochs = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let Some(epoch) = e
            .file_name()
            .to_str()
            .and_then(|n| n.strip_prefix(name))
            .and_then(|n| n.strip_prefix('-'))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if e.file_type()?.is_file() {
            epochs.push(DiffFile {
                path: e.path(),
                epoch: Some(epoch),
            });
        }
    }
    epochs.sort_by_key(|d| d.epoch);
    out.extend(epochs);
    Ok(out)
}

/// A distribution file as a PEP 691 page lists it: its length (PEP 700's `size`) and sha256,
/// which bandersnatch checked when it downloaded the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The TUF target the file's URL names (`packages/...`).
    pub target: String,
    /// Its length in bytes.
    pub length: u64,
    /// Its sha256, lowercase hex.
    pub sha256: String,
}

/// The files the PEP 691 JSON page `json` lists with both a `size` and a sha256, `page` being
/// the page's target (`simple/<name>/index.json`, [`target_of`]): each URL resolved against
/// where the page is served, percent-decoded, kept when it names a file under `packages/`
/// (an absolute URL by its path). Entries without a size or a well-formed sha256, and pages
/// that are not JSON, list nothing: those files are read and hashed instead.
pub fn listed_files(page: &str, json: &[u8]) -> Vec<Listed> {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let Some(files) = doc.get("files").and_then(|f| f.as_array()) else {
        return Vec::new();
    };
    let base: Vec<&str> = page.split('/').collect();
    let base = &base[..base.len().saturating_sub(1)];
    files
        .iter()
        .filter_map(|f| {
            let url = f.get("url")?.as_str()?;
            let length = f.get("size")?.as_u64()?;
            let sha256 = f.get("hashes")?.get("sha256")?.as_str()?;
            let well_formed = sha256.len() == 64
                && sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !well_formed {
                return None;
            }
            let target = resolve(base, url)?;
            target.starts_with("packages/").then(|| Listed {
                target,
                length,
                sha256: sha256.to_owned(),
            })
        })
        .collect()
}

/// `url` (relative to the directory `base`, or absolute) as a `/`-separated path below the
/// served root, percent-decoded; `None` when it leaves the root, is not UTF-8, or names a
/// backslash or a control character.
fn resolve(base: &[&str], url: &str) -> Option<String> {
    let url = url.split(['#', '?']).next()?;
    let (mut parts, rest): (Vec<&str>, &str) = if let Some(i) = url.find("://") {
        let after = &url[i + 3..];
        (Vec::new(), &after[after.find('/')?..])
    } else if url.starts_with('/') {
        (Vec::new(), url)
    } else {
        (base.to_vec(), url)
    };
    for seg in rest.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let decoded: Vec<String> = parts
        .iter()
        .map(|p| {
            percent_encoding::percent_decode_str(p)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
        })
        .collect::<Option<_>>()?;
    // A decoded segment must still be one plain segment: no separator of any platform, no NUL
    // or other control character (a name no file can have, or one that reads as a path).
    if decoded.iter().any(|d| {
        d.is_empty()
            || d == "."
            || d == ".."
            || d.contains(['/', '\\'])
            || d.chars().any(char::is_control)
    }) {
        return None;
    }
    Some(decoded.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pep_691_page_lists_its_files_with_their_sizes_and_hashes() {
        let h = "ab".repeat(32);
        let page = format!(
            r#"{{"meta": {{"api-version": "1.1"}}, "name": "black", "files": [
            {{"filename": "black-24.1.0-py3-none-any.whl", "url": "../../packages/8f/1a/38d5/black-24.1.0-py3-none-any.whl#sha256={h}", "hashes": {{"sha256": "{h}"}}, "size": 1234}},
            {{"filename": "a b.tar.gz", "url": "https://mirror.example/packages/aa/a%20b.tar.gz", "hashes": {{"sha256": "{h}"}}, "size": 7}},
            {{"filename": "nosize.whl", "url": "../../packages/nosize.whl", "hashes": {{"sha256": "{h}"}}}},
            {{"filename": "md5.whl", "url": "../../packages/md5.whl", "hashes": {{"md5": "00"}}, "size": 1}},
            {{"filename": "bad.whl", "url": "../../packages/bad.whl", "hashes": {{"sha256": "XYZ"}}, "size": 1}},
            {{"filename": "out.whl", "url": "../../../out.whl", "hashes": {{"sha256": "{h}"}}, "size": 1}},
            {{"filename": "sneaky.whl", "url": "../../packages/x%2F..%2F..%2Fsneaky.whl", "hashes": {{"sha256": "{h}"}}, "size": 1}},
            {{"filename": "page.html", "url": "../other/index.html", "hashes": {{"sha256": "{h}"}}, "size": 1}}
            ]}}"#
        );
        let listed = listed_files("simple/black/index.json", page.as_bytes());
        assert_eq!(
            listed,
            [
                Listed {
                    target: "packages/8f/1a/38d5/black-24.1.0-py3-none-any.whl".into(),
                    length: 1234,
                    sha256: h.clone(),
                },
                Listed {
                    target: "packages/aa/a b.tar.gz".into(),
                    length: 7,
                    sha256: h.clone(),
                },
            ]
        );
        assert!(listed_files("simple/black/index.json", b"<html>").is_empty());
        assert!(listed_files("simple/black/index.json", b"{\"files\": 3}").is_empty());
    }

    #[test]
    fn listed_urls_naming_a_nul_backslash_or_control_character_are_not_listed() {
        // Found by the bandersnatch_listing fuzz target: `\u0000` (and `%00`, `\`, `%5C`) in a
        // listed URL became a target apply-diff would sign unread.
        let h = "ab".repeat(32);
        for url in [
            r"../../packages/a\u0000b-1.0.tar.gz",
            "../../packages/a%00b-1.0.tar.gz",
            r"../../packages/a\\..\\..\\simple\\x\\index.html",
            "../../packages/a%5Cb-1.0.tar.gz",
            "../../packages/a%0Ab-1.0.tar.gz",
            r"../../packages/a\u007fb-1.0.tar.gz",
        ] {
            let page = format!(
                r#"{{"files": [{{"url": "{url}", "size": 3, "hashes": {{"sha256": "{h}"}}}}]}}"#
            );
            let listed = listed_files("simple/a/index.json", page.as_bytes());
            assert!(listed.is_empty(), "{url}: {listed:?}");
        }
        let page = format!(
            r#"{{"files": [{{"url": "../../packages/a%20b-1.0.tar.gz", "size": 3, "hashes": {{"sha256": "{h}"}}}}]}}"#
        );
        let listed = listed_files("simple/a/index.json", page.as_bytes());
        assert_eq!(listed[0].target, "packages/a b-1.0.tar.gz");
    }

    #[test]
    fn pages_and_files_are_targets_and_nothing_else_is() {
        for (path, target) in [
            ("simple/index.html", Some("simple/index.html")),
            ("simple/index.v1_json", Some("simple/index.json")),
            ("simple/index.v1_html", None),
            ("simple/black/index.html", Some("simple/black/index.html")),
            (
                "simple/black/index.v1_json",
                Some("simple/black/index.json"),
            ),
            ("simple/b/black/index.html", Some("simple/black/index.html")),
            (
                "simple/b/black/index.v1_json",
                Some("simple/black/index.json"),
            ),
            ("simple/x/black/index.html", None),
            ("simple/black/extra/index.html", None),
            ("simple/black/other.txt", None),
            (
                "packages/8f/1a/38d5/black-24.1.0-py3-none-any.whl",
                Some("packages/8f/1a/38d5/black-24.1.0-py3-none-any.whl"),
            ),
            (
                "packages/8f/1a/38d5/black-24.1.0-py3-none-any.whl.metadata",
                Some("packages/8f/1a/38d5/black-24.1.0-py3-none-any.whl.metadata"),
            ),
            ("json/black", None),
            ("pypi/black/json", None),
            ("last-modified", None),
            ("local-stats/days/2026-12-05", None),
        ] {
            assert_eq!(target_of(path).as_deref(), target, "{path}");
        }
    }

    #[test]
    fn diff_files_are_found_as_bandersnatch_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(diff_files(&d.join("mirrored-files")).unwrap(), []);
        for n in [
            "mirrored-files-1733400100",
            "mirrored-files-1733400000",
            "mirrored-files-x",
            "mirrored-files-",
            "mirrored-files-12a",
            "other-1733400000",
        ] {
            std::fs::write(d.join(n), "").unwrap();
        }
        std::fs::create_dir(d.join("mirrored-files-99")).unwrap();
        let found = |base: &Path| -> Vec<(String, Option<u64>)> {
            diff_files(base)
                .unwrap()
                .into_iter()
                .map(|f| {
                    (
                        f.path.file_name().unwrap().to_str().unwrap().to_owned(),
                        f.epoch,
                    )
                })
                .collect()
        };
        let epochs = [
            ("mirrored-files-1733400000".to_owned(), Some(1733400000)),
            ("mirrored-files-1733400100".to_owned(), Some(1733400100)),
        ];
        // A directory stands for mirrored-files in it, as bandersnatch takes it.
        assert_eq!(found(d), epochs);
        std::fs::write(d.join("mirrored-files"), "").unwrap();
        let mut all = vec![("mirrored-files".to_owned(), None)];
        all.extend(epochs);
        assert_eq!(found(&d.join("mirrored-files")), all);
    }

    #[test]
    fn a_mirror_is_known_by_its_web_simple_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(web_dir(dir.path()), None);
        std::fs::create_dir_all(dir.path().join("web/simple")).unwrap();
        assert_eq!(web_dir(dir.path()), Some(dir.path().join("web")));
    }
}
