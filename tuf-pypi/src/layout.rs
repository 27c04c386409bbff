//! Where a PyPI-style TUF repository keeps things (PEP 458 signs PyPI's own paths): the
//! root index page, one page per project under `simple/`, distributions and their PEP 658
//! core metadata under `packages/`, and the signed list of project names.

/// The root index page (PEP 503: every project, one link each).
pub const INDEX_PAGE: &str = "simple/index.html";

/// The target listing every project of the repository (a `simple/<name>/index.html`
/// target), one normalized name per line, sorted: signed data for "did you mean"
/// suggestions. The writer keeps it current on every publish.
pub const PROJECT_NAMES_TARGET: &str = "simple/names.txt";

/// The directory of index pages.
pub const SIMPLE_DIR: &str = "simple";

/// The directory of distribution files (as on `files.pythonhosted.org`).
pub const PACKAGES_DIR: &str = "packages";

/// The PEP 503 HTML page of project `name` (already normalized).
///
/// ```
/// assert_eq!(tuf_pypi::layout::project_page("demo-lib"), "simple/demo-lib/index.html");
/// ```
pub fn project_page(name: &str) -> String {
    format!("{SIMPLE_DIR}/{name}/index.html")
}

/// The project a target is the HTML page of: `simple/<name>/index.html` with one non-empty
/// path segment for the name. `None` for any other target (the root index included).
///
/// ```
/// use tuf_pypi::layout::project_of_page;
/// assert_eq!(project_of_page("simple/demo-lib/index.html"), Some("demo-lib"));
/// assert_eq!(project_of_page("simple/index.html"), None);
/// assert_eq!(project_of_page("simple/a/b/index.html"), None);
/// ```
pub fn project_of_page(target: &str) -> Option<&str> {
    target
        .strip_prefix("simple/")
        .and_then(|r| r.strip_suffix("/index.html"))
        .filter(|n| !n.is_empty() && !n.contains('/'))
}

/// The PEP 691 JSON page beside an HTML index page (`…/index.html` → `…/index.json`), for
/// the root index and project pages; `None` for any other target.
///
/// ```
/// use tuf_pypi::layout::json_page_of;
/// assert_eq!(json_page_of("simple/demo/index.html").as_deref(), Some("simple/demo/index.json"));
/// assert_eq!(json_page_of("packages/demo-1.0.tar.gz"), None);
/// ```
pub fn json_page_of(html_page: &str) -> Option<String> {
    html_page
        .strip_prefix("simple/")
        .and_then(|r| r.strip_suffix("index.html"))
        .filter(|base| base.is_empty() || base.ends_with('/'))
        .map(|base| format!("{SIMPLE_DIR}/{base}index.json"))
}

/// The distribution file `file` (a path relative to `packages/`).
pub fn package_target(file: &str) -> String {
    format!("{PACKAGES_DIR}/{file}")
}

/// The text of the signed project list: the names, one per line, in the order given (the
/// writer gives them sorted).
pub fn names_text<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().map(|n| format!("{n}\n")).collect()
}

/// The names in the text of a signed project list (empty lines skipped).
pub fn parse_names(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_round_trip() {
        for name in ["a", "demo-lib", "x1"] {
            assert_eq!(project_of_page(&project_page(name)), Some(name));
        }
        assert_eq!(project_of_page("simple//index.html"), None);
        assert_eq!(project_of_page("simple/names.txt"), None);
        assert_eq!(
            json_page_of(INDEX_PAGE).as_deref(),
            Some("simple/index.json")
        );
        assert_eq!(json_page_of("simple/xindex.html"), None);
        let text = names_text(["a", "b"]);
        assert_eq!(parse_names(&text), ["a", "b"]);
        assert_eq!(parse_names("a\n\nb\n"), ["a", "b"]);
    }
}
