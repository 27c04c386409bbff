//! One link of a verified index page, pointed back at the proxy, or refused: an allow-list.
//!
//! A link is kept only in one of two plain forms, checked on the string the installer will
//! read (character references and JSON escapes already decoded, see [`crate::pages`]):
//!
//! * absolute, `http://AUTHORITY/...` or `https://AUTHORITY/...` (the scheme in any case) or
//!   scheme-relative `//AUTHORITY/...`: written `BASE/_host/AUTHORITY/...`, so that the
//!   installer asks the proxy, which answers a covered host's URLs from TUF and refuses every
//!   other host. A covered host is written as its rule names it (hosts compare ignoring ASCII
//!   case); any other authority (another host, a port, user information) is kept for the
//!   refusal to name it, every byte but letters, digits, `.` and `-` percent-encoded;
//! * relative, with no scheme and no colon in its first segment (RFC 3986 section 4.2): a
//!   path, query or fragment resolved against the page's own URL, which is the proxy's.
//!
//! Every other link is refused (the installer never sees it): another scheme (`file:`,
//! `data:`, `javascript:`...), `https:` without `//` (which a WHATWG parser such as uv's reads
//! as `https://`), a backslash (which a WHATWG parser reads as `/`, so `/\host` is
//! scheme-relative for uv), a tab, a newline or another control character inside (which
//! URL parsers drop, so `/<TAB>/host` is scheme-relative for pip and uv), an empty authority,
//! or an absolute link with a `.` or `..` segment (which would climb out of
//! `/_host/AUTHORITY/`).
//! Leading and trailing white space and control characters are trimmed first, as pip's and
//! uv's URL parsers trim them. What is kept is written with every byte outside RFC 3986's
//! characters (a space, `"`, `<`, bytes that are not ASCII...) percent-encoded.

/// Why a link of a page was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRefused(pub &'static str);

/// `href` as the page written for the installer holds it (see the module's rules): an
/// absolute link pointed at `{base}/_host/{AUTHORITY}`, a relative one kept.
///
/// ```
/// use tuf_interpose::links::proxy_link;
///
/// let hosts = ["files.pythonhosted.org"];
/// let base = "http://127.0.0.1:9";
/// assert_eq!(
///     proxy_link("HTTPS://Files.PythonHosted.org/packages/x.whl#sha256=00", &hosts, base).unwrap(),
///     "http://127.0.0.1:9/_host/files.pythonhosted.org/packages/x.whl#sha256=00"
/// );
/// assert_eq!(
///     proxy_link("//evil.example:8080/y.whl", &hosts, base).unwrap(),
///     "http://127.0.0.1:9/_host/evil.example%3A8080/y.whl"
/// );
/// assert_eq!(proxy_link(" ../../packages/z.whl", &hosts, base).unwrap(), "../../packages/z.whl");
/// assert!(proxy_link("/\\evil.example/z.whl", &hosts, base).is_err());
/// assert!(proxy_link("/\t/evil.example/z.whl", &hosts, base).is_err());
/// assert!(proxy_link("https:evil.example/z.whl", &hosts, base).is_err());
/// assert!(proxy_link("file:///etc/passwd", &hosts, base).is_err());
/// ```
pub fn proxy_link(href: &str, hosts: &[&str], base: &str) -> Result<String, LinkRefused> {
    let link = href.trim_matches(|c: char| c <= ' ');
    if link.contains(|c: char| c < ' ' || c == '\u{7f}' || c == '\\') {
        return Err(LinkRefused(
            "a tab, a newline, another control character or a backslash inside",
        ));
    }
    let after_slashes = if let Some(rest) = link.strip_prefix("//") {
        Some(rest)
    } else if let Some(colon) = scheme_end(link) {
        let scheme = &link[..colon];
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(LinkRefused("a scheme other than http and https"));
        }
        Some(
            link[colon + 1..]
                .strip_prefix("//")
                .ok_or(LinkRefused("a scheme without `//`"))?,
        )
    } else {
        None
    };
    let Some(rest) = after_slashes else {
        // RFC 3986 section 4.2: a colon in a relative path's first segment would read as a
        // scheme to some parser; `./` must come first. Refused rather than guessed at.
        if link
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|first| first.contains(':'))
        {
            return Err(LinkRefused("a colon in a relative link's first segment"));
        }
        let mut out = String::with_capacity(link.len());
        encode_rest(link, &mut out);
        return Ok(out);
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.is_empty() {
        return Err(LinkRefused("an empty authority"));
    }
    let path = tail.split(['?', '#']).next().unwrap_or_default();
    if path.split('/').any(dot_segment) {
        return Err(LinkRefused("a `.` or `..` segment in an absolute link"));
    }
    let mut out = String::with_capacity(base.len() + 7 + link.len());
    out.push_str(base);
    out.push_str("/_host/");
    match hosts
        .iter()
        .find(|h| !h.is_empty() && authority.eq_ignore_ascii_case(h))
    {
        Some(h) => out.push_str(h),
        None => escape_authority(authority, &mut out),
    }
    encode_rest(tail, &mut out);
    Ok(out)
}

/// Where a URL's scheme ends (the index of its `:`), for a link that starts with one: a
/// letter, then letters, digits, `+`, `-` or `.` (RFC 3986 section 3.1).
fn scheme_end(link: &str) -> Option<usize> {
    let colon = link.find(':')?;
    let scheme = &link[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(colon)
}

/// A path segment that URL parsers resolve as `.` or `..` (WHATWG also decodes `%2e`).
fn dot_segment(segment: &str) -> bool {
    let dot = |s: &str| s == "." || s.eq_ignore_ascii_case("%2e");
    dot(segment)
        || (2..=6).contains(&segment.len())
            && segment
                .char_indices()
                .any(|(i, _)| i > 0 && dot(&segment[..i]) && dot(&segment[i..]))
}

/// The bytes [`encode_rest`] writes as they are: RFC 3986's unreserved and sub-delims,
/// `:`, `@`, `/`, `?`, `#`.
const KEPT: [bool; 256] = {
    let mut kept = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        kept[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
                    | b'#'
            );
        b += 1;
    }
    kept
};

/// A path, query and fragment with every byte outside RFC 3986's unreserved, sub-delims,
/// `:`, `@`, `/`, `?`, `#` and well-formed `%XX` percent-encoded (`%` alone as `%25`).
fn encode_rest(rest: &str, out: &mut String) {
    let b = rest.as_bytes();
    let mut copied = 0;
    for (i, &c) in b.iter().enumerate() {
        let escape_ok = c == b'%'
            && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if KEPT[usize::from(c)] || escape_ok {
            continue;
        }
        // Between two bytes written encoded there are only bytes kept, all ASCII, so
        // `copied` is a character boundary wherever the run is not empty.
        if copied < i {
            out.push_str(&rest[copied..i]);
        }
        push_percent(c, out);
        copied = i + 1;
    }
    out.push_str(&rest[copied..]);
}

/// `%XX` for `b`, in capitals.
fn push_percent(b: u8, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// Another authority, as a path segment of the proxy's: letters, digits, `.` and `-` as they
/// are, every other byte (`:` of a port, `@` of user information, bytes that are not ASCII)
/// percent-encoded, so that nothing of it reads as a link's scheme or a URL's structure.
fn escape_authority(named: &str, out: &mut String) {
    for b in named.bytes() {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            out.push(char::from(b));
        } else {
            push_percent(b, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: [&str; 2] = ["pypi.org", "files.pythonhosted.org"];

    fn link(href: &str) -> Result<String, LinkRefused> {
        proxy_link(href, &HOSTS, "http://127.0.0.1:1")
    }

    #[test]
    fn absolute_links_point_at_the_proxy() {
        for (href, want) in [
            ("https://pypi.org/simple/", "/_host/pypi.org/simple/"),
            ("http://PYPI.ORG/x", "/_host/pypi.org/x"),
            ("hTTps://pypi.org.evil/", "/_host/pypi.org.evil/"),
            ("https://pypi.org:443/y", "/_host/pypi.org%3A443/y"),
            ("https://u@pypi.org/", "/_host/u%40pypi.org/"),
            (
                "//Files.PythonHosted.org/p?q#f",
                "/_host/files.pythonhosted.org/p?q#f",
            ),
            ("https://pypi.org", "/_host/pypi.org"),
            ("https://pypi.org#x", "/_host/pypi.org#x"),
            (
                "https://pypi.org/a/..x/.y/%2e%2e%2e/b?../#..",
                "/_host/pypi.org/a/..x/.y/%2e%2e%2e/b?../#..",
            ),
            ("https://évil/a%b\"<>", "/_host/%C3%A9vil/a%25b%22%3C%3E"),
            (
                "https://evil.example/https://pypi.org/z",
                "/_host/evil.example/https://pypi.org/z",
            ),
        ] {
            assert_eq!(
                link(href).unwrap(),
                format!("http://127.0.0.1:1{want}"),
                "{href}"
            );
        }
    }

    #[test]
    fn relative_links_are_kept_encoded() {
        for (href, want) in [
            (
                "../../packages/a-1.0.whl#sha256=00",
                "../../packages/a-1.0.whl#sha256=00",
            ),
            ("/packages/a.whl", "/packages/a.whl"),
            ("a%2Bb c%zz\"é<>", "a%2Bb%20c%25zz%22%C3%A9%3C%3E"),
            ("\x0c ?x=1&y=2 \n", "?x=1&y=2"),
            ("./x:y", "./x:y"),
        ] {
            assert_eq!(link(href).unwrap(), want, "{href}");
        }
    }

    #[test]
    fn links_some_parser_reads_as_another_host_are_refused() {
        for href in [
            "/\\evil.example/x.whl",
            "\\\\evil.example/x.whl",
            "http:\\\\evil.example/x.whl",
            "/\t/evil.example/x.whl",
            "ht\ttp://evil.example/x.whl",
            "/\n/evil.example/x.whl",
            "https:evil.example/x.whl",
            "https:/evil.example/x.whl",
            "https:///evil.example/x.whl",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://pypi.org/x",
            "https://pypi.org/../../x",
            "https://pypi.org/a/%2E%2e/x",
            "https://pypi.org/a/.%2E/x",
            "https://pypi.org/a/%2e./x?y",
            "https://pypi.org/a/%2e",
            "//pypi.org/./x",
            "/a\u{7f}b",
            "&colon;%2eHTTPS://x",
            "a&b:c/d",
        ] {
            assert!(link(href).is_err(), "{href:?} kept as {:?}", link(href));
        }
    }

    #[test]
    fn a_service_points_links_at_its_own_root() {
        assert_eq!(
            proxy_link("https://evil.example/x.whl", &HOSTS, "").unwrap(),
            "/_host/evil.example/x.whl"
        );
    }
}
