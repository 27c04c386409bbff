//! Requirements files as text: read bounded and as UTF-8, checked character by character,
//! and cut into logical lines (comments removed, `\` continuations joined).
//!
//! The installer never reads these files (it reads only what [`super::Canonical`] writes),
//! so this reading need not agree with pip's or uv's: it decides what the user asked for,
//! and anything it is unsure of is refused. Hence the strict character rules: only LF (or
//! CRLF) ends a line, and every other line-breaking or control character (a lone CR, form
//! feed, vertical tab, the C1 and Unicode separators that Python's `splitlines` breaks at)
//! is refused rather than guessed at.

use std::path::Path;

/// A requirements file larger than this is refused.
pub const MAX_FILE: u64 = 16 << 20;

/// The file's text: a regular file of at most [`MAX_FILE`] bytes, UTF-8 (a BOM is skipped).
pub(super) fn read(path: &Path) -> Result<String, String> {
    let bytes = tuf_fs::read_regular_file(path, MAX_FILE)
        .map_err(|e| format!("cannot read it: {e}"))?
        .ok_or("not a regular file")?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8 text".to_owned())
}

/// Why `c` may not appear in a requirements file, if it may not: control characters other
/// than tab, and the characters Python's `str.splitlines` takes as line breaks.
fn forbidden(c: char) -> Option<&'static str> {
    match c {
        '\t' => None,
        '\r' => Some("a carriage return that does not end a line"),
        '\u{85}' | '\u{2028}' | '\u{2029}' => Some("a Unicode line separator"),
        c if c.is_control() => Some("a control character"),
        _ => None,
    }
}

/// The logical lines of `text`, each with the number of the line it starts on: `\n` (or
/// `\r\n`) ends a physical line, `#` at its start or after whitespace starts a comment, and
/// a `\` ending what is left joins the next line. Refused, with its line number: any
/// character [`forbidden`] names.
pub(super) fn logical_lines(text: &str) -> Result<Vec<(usize, String)>, (usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some((c, why)) = raw.chars().find_map(|c| forbidden(c).map(|w| (c, w))) {
            return Err((n, format!("{why} ({c:?}) is not allowed")));
        }
        if current.is_empty() {
            start = n;
        }
        let line = strip_comment(raw);
        match line.strip_suffix('\\') {
            Some(joined) => {
                current.push_str(joined);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                let logical = std::mem::take(&mut current);
                if !logical.trim().is_empty() {
                    out.push((start, logical.trim().to_owned()));
                }
            }
        }
    }
    if !current.trim().is_empty() {
        out.push((start, current.trim().to_owned()));
    }
    Ok(out)
}

/// `line` without its comment: from a `#` at the start or after whitespace.
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line[..i].trim_end();
        }
        prev_space = c.is_whitespace();
    }
    line.trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_line_numbers() {
        let text = "# header\nrequests==2.32.3 \\\n    --hash=sha256:ab \\\n    --hash=sha256:cd\n    # via x\n\nurllib3==2 # pinned\r\nx @ https://h/x.whl#sha256=00\n";
        let lines = logical_lines(text).unwrap();
        assert_eq!(
            lines,
            [
                (
                    2,
                    "requests==2.32.3      --hash=sha256:ab      --hash=sha256:cd".to_owned()
                ),
                (7, "urllib3==2".to_owned()),
                (8, "x @ https://h/x.whl#sha256=00".to_owned()),
            ]
        );
    }

    #[test]
    fn every_other_line_break_is_refused() {
        for bad in [
            "a\rb",
            "a\x0bb",
            "a\x0cb",
            "a\x1cb",
            "a\u{85}b",
            "a\u{2028}b",
            "a\0b",
        ] {
            let text = format!("ok\n{bad}\n");
            let (line, why) = logical_lines(&text).unwrap_err();
            assert_eq!(line, 2, "{bad:?}");
            assert!(why.contains("not allowed"), "{why}");
        }
        // Also inside a comment: the installer's reading could make it a line.
        assert!(logical_lines("ok # x\rvendor-evil\n").is_err());
    }
}
