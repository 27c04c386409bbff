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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_mirror_is_known_by_its_web_simple_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(web_dir(dir.path()), None);
        std::fs::create_dir_all(dir.path().join("web/simple")).unwrap();
        assert_eq!(web_dir(dir.path()), Some(dir.path().join("web")));
    }
}
