//! Links in verified index pages pointed back at the proxy: an absolute `http://HOST/` or
//! `https://HOST/` of a host a rule covers becomes `BASE/_host/HOST/`, so that the installer
//! fetches it through TUF too. Scheme and host match ignoring ASCII case, as URLs compare
//! them; every other byte of the page is kept as it was verified (the page need not be
//! UTF-8). A link this does not recognise (another port, user information) is left alone:
//! the installer's own fetch of it then meets the guard, which refuses hosts no rule covers.

/// `page` with every `http(s)://HOST/` of `hosts` (any case) rewritten to
/// `{base}/_host/{HOST}/`, `HOST` as listed.
///
/// ```
/// use tuf_interpose::links::point_at_proxy;
///
/// let page = br#"<a href="HTTPS://Files.PythonHosted.org/packages/x.whl">x</a>"#;
/// let out = point_at_proxy(page, ["files.pythonhosted.org"], "http://127.0.0.1:9");
/// assert_eq!(
///     out,
///     br#"<a href="http://127.0.0.1:9/_host/files.pythonhosted.org/packages/x.whl">x</a>"#
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
    while i + 4 <= page.len() {
        if !page[i..i + 4].eq_ignore_ascii_case(b"http") {
            i += 1;
            continue;
        }
        let after_scheme = if starts_with_ignore_case(&page[i + 4..], b"s://") {
            i + 8
        } else if page[i + 4..].starts_with(b"://") {
            i + 7
        } else {
            i += 4;
            continue;
        };
        let rest = &page[after_scheme..];
        let host = hosts.iter().find(|h| {
            starts_with_ignore_case(rest, h.as_bytes()) && rest.get(h.len()) == Some(&b'/')
        });
        match host {
            Some(h) => {
                out.extend_from_slice(&page[copied..i]);
                out.extend_from_slice(base.as_bytes());
                out.extend_from_slice(b"/_host/");
                out.extend_from_slice(h.as_bytes());
                out.push(b'/');
                i = after_scheme + h.len() + 1;
                copied = i;
            }
            None => i = after_scheme,
        }
    }
    out.extend_from_slice(&page[copied..]);
    out
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_covered_hosts_are_pointed_at_the_proxy() {
        let hosts = ["pypi.org", "files.pythonhosted.org"];
        let page = b"https://pypi.org/simple/ http://PYPI.ORG/x https://pypi.org.evil/ \
                     https://pypi.org:443/y https://evil.example/https://pypi.org/z \xff";
        let out = point_at_proxy(page, hosts, "http://127.0.0.1:1");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "http://127.0.0.1:1/_host/pypi.org/simple/ http://127.0.0.1:1/_host/pypi.org/x \
             https://pypi.org.evil/ https://pypi.org:443/y \
             https://evil.example/http://127.0.0.1:1/_host/pypi.org/z \u{fffd}"
        );
        assert_eq!(out.last(), Some(&0xff), "the page's bytes are kept");
    }
}
