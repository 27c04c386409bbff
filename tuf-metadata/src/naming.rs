//! File names and URL paths the specification fixes: a role's metadata file (versioned with
//! consistent snapshots), a target's hash-prefixed name, and the percent-encodings that make
//! role names and target paths safe as file names and URL segments.
//!
//! ```
//! use tuf_metadata::naming;
//!
//! assert_eq!(naming::metadata_file("root", Some(2)), "2.root.json");
//! assert_eq!(naming::metadata_file("bins/a", None), "bins%2Fa.json");
//! assert_eq!(naming::hash_prefixed("packages/x.whl", "ab12"), "packages/ab12.x.whl");
//! assert_eq!(naming::url_path("a b/c#d.txt"), "a%20b/c%23d.txt");
//! ```

use std::fmt::Write;

/// Percent-encodes every byte but ASCII letters, digits and `_.-~`, as Python's
/// `urllib.parse.quote(s, safe="")` does (so `/` becomes `%2F`): how python-tuf names the
/// files of delegated roles and local targets, and so does this project.
pub fn quote_all(s: &str) -> String {
    encode(s, |b| b.is_ascii_alphanumeric() || b"_.-~".contains(&b))
}

/// A target path as the name of a local file in one directory: one segment, never `.`,
/// `..` or empty, that percent-decodes back to the path, and unique also where names are
/// compared ignoring case (macOS, Windows) or a final `.` is dropped (Windows). It is
/// [`quote_all`] with capitals escaped too (`A` is `%41`: the letters left as letters are all
/// small, the hex digits of escapes all capitals, so no two names differ only in case), a
/// final `.` escaped, the first letter of a Windows device name (`con`, `nul`, `com1`, ...,
/// whatever follows a `.`) escaped, and `%` alone for the empty path (no escape decodes to
/// nothing).
///
/// ```
/// use tuf_metadata::naming::local_name;
///
/// assert_eq!(local_name("packages/Foo-1.0.tar.gz"), "packages%2F%46oo-1.0.tar.gz");
/// assert_eq!(local_name(".."), ".%2E");
/// assert_eq!(local_name("nul.txt"), "%6Eul.txt");
/// ```
pub fn local_name(target: &str) -> String {
    const DEVICES: [&str; 24] = [
        "con", "prn", "aux", "nul", "com0", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
        "com8", "com9", "lpt0", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8",
        "lpt9",
    ];
    if target.is_empty() {
        return "%".to_owned();
    }
    let mut out = encode(target, |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-~".contains(&b)
    });
    if out.ends_with('.') {
        out.pop();
        out.push_str("%2E");
    }
    let stem = out.split('.').next().unwrap_or_default();
    if DEVICES.contains(&stem) {
        let first = out.remove(0);
        out.insert_str(0, &format!("%{:02X}", first as u8));
    }
    out
}

/// Percent-encodes one segment of a URL path: controls, space, non-ASCII and the characters
/// that would change a URL's meaning (`"#%<>?\`{}^[]|` and `\`), nothing else.
pub fn url_segment(s: &str) -> String {
    encode(s, |b| {
        b.is_ascii_graphic() && !b"\"#%<>?`{}\\^[]|/".contains(&b)
    })
}

/// A target path as a URL path relative to a targets base: each `/`-separated segment
/// encoded by [`url_segment`].
pub fn url_path(target: &str) -> String {
    target
        .split('/')
        .map(url_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// The file name of `role`'s metadata: `VERSION.ROLE.json` when `version` is given (root
/// always, every role with consistent snapshots; spec 5.3.3, 5.5.1, 5.6.1), else
/// `ROLE.json`. The role name is encoded by [`quote_all`], as python-tuf does.
pub fn metadata_file(role: &str, version: Option<u64>) -> String {
    match version {
        Some(v) => format!("{v}.{}.json", quote_all(role)),
        None => format!("{}.json", quote_all(role)),
    }
}

/// A target path with `digest` prefixed to its last segment, `dir/DIGEST.name`: the name a
/// target is served under with consistent snapshots (spec 5.7.3).
pub fn hash_prefixed(target: &str, digest: &str) -> String {
    match target.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{digest}.{name}"),
        None => format!("{digest}.{target}"),
    }
}

fn encode(s: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_all_matches_python_quote_with_nothing_safe() {
        // urllib.parse.quote(s, safe="") for each.
        for (s, q) in [
            ("targets", "targets"),
            ("bins/0-1f", "bins%2F0-1f"),
            ("a b+c", "a%20b%2Bc"),
            ("ü", "%C3%BC"),
            ("~x_y.z-", "~x_y.z-"),
            ("..", ".."),
        ] {
            assert_eq!(quote_all(s), q);
        }
    }

    #[test]
    fn local_names_are_one_segment_and_unique_ignoring_case() {
        let targets = [
            "a",
            "A",
            "",
            ".",
            "..",
            "...",
            "a.",
            "a%2E",
            "A%2e",
            "con",
            "CON",
            "con.txt",
            "%63on.txt",
            "x/con",
            "b/a",
            "b%2Fa",
            "%",
            "%25",
            "é",
            "É",
            "\\",
            "a b",
        ];
        let mut seen = std::collections::BTreeMap::new();
        for t in targets {
            let name = local_name(t);
            assert!(
                !name.is_empty() && name != "." && name != "..",
                "{t:?}: {name:?}"
            );
            assert!(!name.contains(['/', '\\', '\0', ' ']), "{t:?}: {name:?}");
            assert!(!name.ends_with('.'), "{t:?}: {name:?}");
            if let Some(other) = seen.insert(name.to_lowercase(), t) {
                panic!("{t:?} and {other:?} share the name {name:?} ignoring case");
            }
        }
        assert_eq!(local_name("A"), "%41");
        assert_eq!(local_name("CON.txt"), "%43%4F%4E.txt");
        assert_eq!(local_name("con.txt"), "%63on.txt");
    }

    #[test]
    fn url_segments_keep_what_a_url_path_may_hold() {
        assert_eq!(url_segment("x+1!$&'()*,;=:@.whl"), "x+1!$&'()*,;=:@.whl");
        assert_eq!(url_segment("a/b?c#d%e"), "a%2Fb%3Fc%23d%25e");
        assert_eq!(url_segment("é\u{7f}\n"), "%C3%A9%7F%0A");
        assert_eq!(url_path("simple/é/index.html"), "simple/%C3%A9/index.html");
    }

    #[test]
    fn names_of_metadata_and_hash_prefixed_targets() {
        assert_eq!(metadata_file("targets", Some(7)), "7.targets.json");
        assert_eq!(metadata_file("timestamp", None), "timestamp.json");
        assert_eq!(hash_prefixed("a.txt", "00"), "00.a.txt");
        assert_eq!(hash_prefixed("a/b/c.txt", "ff"), "a/b/ff.c.txt");
    }
}
