//! The files a PEP 503 HTML index page links to, with the digests it lists for them: a link's
//! `#<algorithm>=<hex>` fragment for the file, and its `data-core-metadata` (PEP 714) or
//! `data-dist-info-metadata` (PEP 658) value `<algorithm>=<hex>` for the file's `.metadata`.
//! Where only the pages are TUF targets (PEP 458 as Warehouse signs PyPI), these digests are
//! what vouches for the files.

/// A link of an index page and the digests the page lists for what it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    /// The `href`, character references decoded, without its query and fragment.
    pub href: String,
    /// `(algorithm, lowercase hex)` pairs; empty when the page lists none.
    pub hashes: Vec<(String, String)>,
}

/// The links of `page` with the digests it gives: one entry per `<a href>` (its fragment's
/// digest), and one for `href + ".metadata"` where the anchor gives the core metadata's digest.
/// Malformed markup is skipped, never an error: a link the page does not plainly give with a
/// digest vouches for nothing.
///
/// ```
/// use tuf_pypi::page::html_links;
/// let page = r#"<a href="../../packages/a-1.0.whl#sha256=ab12" data-core-metadata="sha256=cd34">a</a>"#;
/// let links = html_links(page);
/// assert_eq!(links[0].href, "../../packages/a-1.0.whl");
/// assert_eq!(links[0].hashes, [("sha256".to_owned(), "ab12".to_owned())]);
/// assert_eq!(links[1].href, "../../packages/a-1.0.whl.metadata");
/// assert_eq!(links[1].hashes, [("sha256".to_owned(), "cd34".to_owned())]);
/// ```
pub fn html_links(page: &str) -> Vec<PageLink> {
    let mut out = Vec::new();
    for anchor in crate::html::read_page(page).anchors {
        let get = |name: &str| anchor.get(name).flatten();
        let Some(href) = get("href") else {
            continue;
        };
        let (url, fragment) = match href.split_once('#') {
            Some((f, frag)) => (f, Some(frag)),
            None => (href, None),
        };
        // The query is no part of the file's path (the proxy maps paths only).
        let file = url.split('?').next().unwrap_or_default();
        out.push(PageLink {
            href: file.to_owned(),
            hashes: fragment.and_then(digest).into_iter().collect(),
        });
        let metadata = get("data-core-metadata").or_else(|| get("data-dist-info-metadata"));
        if let Some(d) = metadata.and_then(digest) {
            out.push(PageLink {
                href: format!("{file}.metadata"),
                hashes: vec![d],
            });
        }
    }
    out
}

/// `algorithm=hex` as a pair (algorithm lowercased, hex lowercased); `None` unless the value
/// is exactly that, with a non-empty name and non-empty hex digits.
fn digest(value: &str) -> Option<(String, String)> {
    let (alg, hex) = value.split_once('=')?;
    let plain_alg = !alg.is_empty()
        && alg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let plain_hex = !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (plain_alg && plain_hex).then(|| (alg.to_ascii_lowercase(), hex.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_in_any_spelling_give_their_digests() {
        let page = "<html><body><abbr>x</abbr>\n\
            <A HREF='../../packages/x%2B1-1.0.tar.gz#SHA256=AB'>x</A>\n\
            <a data-dist-info-metadata=\"sha256=ee\" href=\"/packages/y-1.0.whl?x=1&amp;y=2#sha256=cd\">y</a>\n\
            <a href=https://files.example/packages/z.whl#md5=00>z</a>\n\
            <a href=\"../../packages/n.whl\" data-core-metadata=\"true\">n</a>\n\
            <a href=\"../../packages/bad.whl#sha256=zz\">bad</a>\n\
            <a name=\"only-a-name\">no href</a>";
        let got: Vec<(String, Vec<(String, String)>)> = html_links(page)
            .into_iter()
            .map(|l| (l.href, l.hashes))
            .collect();
        let h = |a: &str, d: &str| vec![(a.to_owned(), d.to_owned())];
        assert_eq!(
            got,
            vec![
                ("../../packages/x%2B1-1.0.tar.gz".into(), h("sha256", "ab")),
                ("/packages/y-1.0.whl".into(), h("sha256", "cd")),
                ("/packages/y-1.0.whl.metadata".into(), h("sha256", "ee")),
                (
                    "https://files.example/packages/z.whl".into(),
                    h("md5", "00")
                ),
                ("../../packages/n.whl".into(), vec![]),
                ("../../packages/bad.whl".into(), vec![]),
            ]
        );
    }

    #[test]
    fn unfinished_markup_lists_what_came_before_it() {
        assert_eq!(
            html_links("<a href=\"a#sha256=00\">a</a><a href=\"b").len(),
            1
        );
        assert!(html_links("<a").is_empty());
        assert!(html_links("<a href='x#sha256=00'").is_empty());
    }
}
