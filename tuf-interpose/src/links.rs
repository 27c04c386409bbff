//! Links in verified index pages pointed back at the proxy. Every absolute link a page
//! holds, `http://AUTHORITY/...` or `https://AUTHORITY/...` (the scheme in any case) or
//! scheme-relative `//AUTHORITY/...` (after a quote, `=` or a space), becomes
//! `BASE/_host/AUTHORITY/...`, so that the installer asks the proxy for everything a page
//! names: the proxy answers the URLs of a host a rule covers from TUF and refuses every other
//! host (an allow-list: no link of a page takes the installer around the proxy, also where no
//! guard intercepts its connections, as for the clients of `tuf-cli serve`). A covered host
//! is written as its rule names it (hosts compare ignoring ASCII case); any other authority
//! (another host, a port, user information) is kept for the refusal to name it, with every
//! byte but letters, digits, `.` and `-` percent-encoded.
//! Every other byte of the page is kept as it was verified (the page need not be UTF-8).
//!
//! A link spelled so that only a decoder sees its scheme (an HTML character reference, a JSON
//! escape) is not recognised here; a page is verified content, so such a link is one the
//! repository's own keys signed, and in `tuf-cli install` the installer's fetch of it still
//! meets the guard and the sandbox.

/// The bytes that end an authority in a link: a path, query or fragment, the end of an
/// attribute value or JSON string, markup, white space.
fn ends_authority(b: u8) -> bool {
    matches!(b, b'/' | b'\\' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>') || b.is_ascii_whitespace()
}

/// `page` with every absolute link `http(s)://AUTHORITY` and scheme-relative `//AUTHORITY`
/// rewritten to `{base}/_host/{AUTHORITY}`: a covered host (one of `hosts`, any case) as
/// listed, any other authority percent-encoded but for letters, digits, `.` and `-`.
///
/// ```
/// use tuf_interpose::links::point_at_proxy;
///
/// let page = br#"<a href="HTTPS://Files.PythonHosted.org/packages/x.whl">x</a> <a href='//evil.example/y.whl'>"#;
/// let out = point_at_proxy(page, ["files.pythonhosted.org"], "http://127.0.0.1:9");
/// assert_eq!(
///     String::from_utf8_lossy(&out),
///     r#"<a href="http://127.0.0.1:9/_host/files.pythonhosted.org/packages/x.whl">x</a> <a href='http://127.0.0.1:9/_host/evil.example/y.whl'>"#
/// );
/// ```
pub fn point_at_proxy<'a>(
    page: &[u8],
    hosts: impl IntoIterator<Item = &'a str>,
    base: &str,
) -> Vec<u8> {
    let hosts: Vec<&str> = hosts.into_iter().filter(|h| !h.is_empty()).collect();
    let mut out = Vec::with_capacity(page.len());
    let (mut i, mut copied) = (0, 0);
    while i < page.len() {
        // Where the authority starts, for a link starting at `i`.
        let authority = if page[i] == b'/' {
            // Right after a link's authority, `//` is that link's path, not a link.
            let scheme_relative = page[i..].starts_with(b"//")
                && i > 0
                && (i != copied || copied == 0)
                && matches!(
                    page[i - 1],
                    b'"' | b'\'' | b'=' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'
                );
            scheme_relative.then_some(i + 2)
        } else if starts_with_ignore_case(&page[i..], b"https://") {
            Some(i + 8)
        } else if starts_with_ignore_case(&page[i..], b"http://") {
            Some(i + 7)
        } else {
            None
        };
        let Some(start) = authority else {
            i += 1;
            continue;
        };
        let end = page[start..]
            .iter()
            .position(|b| ends_authority(*b))
            .map_or(page.len(), |n| start + n);
        let named = &page[start..end];
        let host = hosts
            .iter()
            .find(|h| named.eq_ignore_ascii_case(h.as_bytes()));
        out.extend_from_slice(&page[copied..i]);
        out.extend_from_slice(base.as_bytes());
        out.extend_from_slice(b"/_host/");
        match host {
            Some(h) => out.extend_from_slice(h.as_bytes()),
            None => escape_authority(named, &mut out),
        }
        i = end;
        copied = i;
    }
    out.extend_from_slice(&page[copied..]);
    out
}

/// Another authority, as a path segment of the proxy's: letters, digits, `.` and `-` as they
/// are, every other byte (`:` of a port, `@` of user information, bytes that are not ASCII)
/// percent-encoded, so that nothing of it reads as a link's scheme or a URL's structure.
fn escape_authority(named: &[u8], out: &mut Vec<u8>) {
    for &b in named {
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_absolute_link_is_pointed_at_the_proxy() {
        let hosts = ["pypi.org", "files.pythonhosted.org"];
        let page = b"https://pypi.org/simple/ http://PYPI.ORG/x https://pypi.org.evil/ \
                     https://pypi.org:443/y https://evil.example/https://pypi.org/z \
                     href=\"//Files.PythonHosted.org/p\" a//b https://u@pypi.org/ \xff";
        let out = point_at_proxy(page, hosts, "http://127.0.0.1:1");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "http://127.0.0.1:1/_host/pypi.org/simple/ http://127.0.0.1:1/_host/pypi.org/x \
             http://127.0.0.1:1/_host/pypi.org.evil/ http://127.0.0.1:1/_host/pypi.org%3A443/y \
             http://127.0.0.1:1/_host/evil.example/http://127.0.0.1:1/_host/pypi.org/z \
             href=\"http://127.0.0.1:1/_host/files.pythonhosted.org/p\" a//b \
             http://127.0.0.1:1/_host/u%40pypi.org/ \u{fffd}"
        );
        assert_eq!(out.last(), Some(&0xff), "the page's bytes are kept");
    }

    #[test]
    fn an_authority_holding_a_scheme_leaves_no_link_behind() {
        // Found by the page_rewriting fuzz target: the authority `mihttp:` kept as it was
        // left `http://fil...` in the page, a link for any reader that looks for one.
        let out = point_at_proxy(b"<http://mihttp://filhttp://es)", ["pypi.org"], "");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "</_host/mihttp%3A//fil/_host/es%29"
        );
    }

    #[test]
    fn the_path_of_a_link_is_not_taken_for_another_link() {
        // Found by the page_rewriting fuzz target: `//` right after the authority `https:=`
        // was taken for a scheme-relative link, rewriting the first link's path.
        let out = point_at_proxy(b"'\"//https:=//files.example/x'", ["pypi.org"], "");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "'\"/_host/https%3A%3D//files.example/x'"
        );
    }

    #[test]
    fn a_service_points_links_at_its_own_root() {
        let out = point_at_proxy(
            br#"{"url": "https://evil.example/x.whl"}"#,
            ["pypi.org"],
            "",
        );
        assert_eq!(out, br#"{"url": "/_host/evil.example/x.whl"}"#);
    }
}
