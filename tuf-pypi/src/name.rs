//! Project names (PEP 503) and distribution file names.

/// PEP 503 normalization: lower case, every run of `-`, `_` and `.` becomes one `-`.
///
/// ```
/// assert_eq!(tuf_pypi::normalize_name("Friendly.Bard__Tools"), "friendly-bard-tools");
/// ```
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The project name of a distribution file: `name-version-…whl` (the name never contains
/// `-` in a wheel file name), or an sdist `name-version.tar.gz` / `.zip` (the name ends before
/// the last `-` that precedes a digit). `None` for anything else.
///
/// ```
/// use tuf_pypi::project_of;
/// assert_eq!(project_of("Foo_Bar-1.0-py3-none-any.whl").as_deref(), Some("Foo_Bar"));
/// assert_eq!(project_of("foo-bar-2.0.1.tar.gz").as_deref(), Some("foo-bar"));
/// assert_eq!(project_of("README.txt"), None);
/// ```
pub fn project_of(file: &str) -> Option<String> {
    if let Some(stem) = file.strip_suffix(".whl") {
        return stem
            .split('-')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
    }
    let stem = file
        .strip_suffix(".tar.gz")
        .or_else(|| file.strip_suffix(".zip"))?;
    let cut = stem
        .char_indices()
        .filter(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
        .map(|(i, _)| i)
        .next_back()?;
    Some(stem[..cut].to_owned()).filter(|n| !n.is_empty())
}
