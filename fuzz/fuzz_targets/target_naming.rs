//! Target path to local file name and URL path: the local name is one path segment (never
//! escapes the target directory, never empty, `.` or `..`, no final `.`), decodes back to the
//! target path (so distinct paths never share a name), distinct target paths never share a
//! local name also on case-insensitive disks (the names of two targets differing only in case
//! differ in more than case), and the URL path decodes back to the target path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_metadata::naming::{local_name, url_path};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\n').unwrap_or((&text, ""));
    let (qa, qb) = (local_name(a), local_name(b));
    for (t, q) in [(a, &qa), (b, &qb)] {
        assert!(
            !q.contains(['/', '\\', '\0']) && !q.is_empty() && !q.ends_with('.'),
            "{q:?}"
        );
        if !t.is_empty() {
            assert_eq!(
                percent_encoding_decode(q).as_deref(),
                Some(t),
                "name of {t:?}"
            );
        }
    }
    if a != b {
        assert_ne!(qa.to_lowercase(), qb.to_lowercase(), "{a:?} and {b:?}");
    }
    let decoded = percent_encoding_decode(&url_path(a));
    assert_eq!(decoded.as_deref(), Some(a), "url path of {a:?}");
});

fn percent_encoding_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
