//! What a bandersnatch mirror's files are taken to be: `target_of` (a path below `web/` to
//! the target it is signed as) and `listed_files` (a PEP 691 JSON page's files, which
//! `repo apply-diff` signs by the listed size and sha256 without reading them). Invariants:
//! never a panic; a listed file's target is below `packages/`, with no empty, `.` or `..`
//! part and no backslash or NUL; its sha256 is 64 lowercase hex digits; a path of plain parts
//! maps to a target of plain parts under `packages/` or `simple/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_pypi::bandersnatch::{listed_files, target_of};

fn plain(path: &str) -> bool {
    path.split('/')
        .all(|p| !p.is_empty() && p != "." && p != ".." && !p.contains(['\\', '\0']))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (path, json) = text.split_once('\n').unwrap_or((&text, ""));
    if let Some(t) = target_of(path)
        && plain(path)
    {
        assert!(plain(&t), "{path:?} -> {t:?}");
        assert!(
            t.starts_with("packages/") || t.starts_with("simple/"),
            "{t:?}"
        );
    }
    // The page is what `repo apply-diff` passes: the target of a JSON page's own file name
    // (plain parts, below `simple/`); the JSON is the hostile part.
    let page = target_of(path)
        .filter(|p| plain(p) && p.starts_with("simple/"))
        .unwrap_or_else(|| "simple/p/index.json".to_owned());
    for f in listed_files(&page, json.as_bytes()) {
        assert!(f.target.starts_with("packages/"), "{f:?}");
        assert!(plain(&f.target), "{f:?}");
        assert!(
            f.sha256.len() == 64
                && f.sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{f:?}"
        );
    }
});
