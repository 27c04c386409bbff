//! PEP 503 HTML index pages read for what an installer acts on (the anchors with their
//! attributes, the first `<base href>`, the `pypi:` meta tags), and written again in one
//! canonical spelling.
//!
//! The writer is the point: a page written by [`write_page`] holds no markup but those
//! elements and no character reference but `&amp;`, `&lt;`, `&gt;` and `&quot;`, every value
//! double-quoted. Whatever decoder an installer uses (Python's `html.parser` for pip, an
//! HTML5 one for uv), it reads back exactly the strings the [`IndexPage`] held, so a program
//! that checked those strings (a link's scheme and host, say) has checked what the installer
//! will act on: nothing in the page is left for only a decoder to see.

/// What an installer acts on in an HTML index page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexPage {
    /// The `href` of the page's first `<base>` that has one (character references decoded),
    /// as pip and HTML5 both take it.
    pub base: Option<String>,
    /// `<meta name="pypi:..." content="...">` tags (PEP 629's `pypi:repository-version`):
    /// name lowercased, content decoded.
    pub meta: Vec<(String, String)>,
    /// The page's `<a>` elements, in page order.
    pub anchors: Vec<Anchor>,
}

/// An `<a>` element of an index page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anchor {
    /// Its attributes in the order written (a repeated name is kept twice): name lowercased,
    /// value with character references decoded, `None` for an attribute written without a
    /// value (pip reads `<a data-yanked>` as not yanked, `data-yanked=""` as yanked).
    pub attrs: Attributes,
    /// The text right after the start tag, up to the next tag, decoded.
    pub text: String,
}

impl Anchor {
    /// The value of attribute `name` (lowercase) where the anchor names it exactly once:
    /// `Some(None)` for an attribute without a value, `None` where it is missing or repeated
    /// (pip takes a repeated attribute's last value, an HTML5 parser its first).
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        let mut found = self.attrs.iter().filter(|(n, _)| n == name);
        let first = found.next()?;
        found.next().is_none().then_some(first.1.as_deref())
    }
}

/// The anchors, base and `pypi:` meta tags of an HTML page. Comments, `<!...>` and `<?...>`
/// declarations and the raw text of `<script>`, `<style>`, `<textarea>` and `<title>` hold
/// no elements; a tag that never ends, and everything after it, is no part of the page.
/// Never an error: what the page does not plainly give is simply not there.
///
/// ```
/// use tuf_pypi::html::read_page;
/// let page = read_page("<!-- <a href=x> --><a href='a-1.0.whl#sha256=00' data-yanked>a</a>");
/// assert_eq!(page.anchors.len(), 1);
/// assert_eq!(page.anchors[0].get("href"), Some(Some("a-1.0.whl#sha256=00")));
/// assert_eq!(page.anchors[0].get("data-yanked"), Some(None));
/// assert_eq!(page.anchors[0].text, "a");
/// ```
pub fn read_page(page: &str) -> IndexPage {
    let mut out = IndexPage::default();
    let mut i = 0;
    while let Some(n) = page[i..].find('<') {
        let lt = i + n;
        let rest = &page[lt..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            match comment.find("-->") {
                Some(end) => i = lt + 4 + end + 3,
                None => break,
            }
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") || rest.starts_with("</") {
            match rest.find('>') {
                Some(end) => i = lt + end + 1,
                None => break,
            }
            continue;
        }
        let name_len = rest[1..]
            .bytes()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(rest.len() - 1);
        if name_len == 0 {
            i = lt + 1;
            continue;
        }
        let name = rest[1..1 + name_len].to_ascii_lowercase();
        let Some((attrs, used)) = attributes(&rest[1 + name_len..]) else {
            break;
        };
        i = lt + 1 + name_len + used;
        match name.as_str() {
            "a" => {
                let text = page[i..].split('<').next().unwrap_or_default();
                out.anchors.push(Anchor {
                    attrs,
                    text: decode_references(text),
                });
            }
            "base" if out.base.is_none() => {
                let anchor = Anchor {
                    attrs,
                    text: String::new(),
                };
                if let Some(Some(href)) = anchor.get("href") {
                    out.base = Some(href.to_owned());
                }
            }
            "meta" => {
                let tag = Anchor {
                    attrs,
                    text: String::new(),
                };
                if let (Some(Some(name)), Some(Some(content))) =
                    (tag.get("name"), tag.get("content"))
                    && name.to_ascii_lowercase().starts_with("pypi:")
                {
                    out.meta
                        .push((name.to_ascii_lowercase(), content.to_owned()));
                }
            }
            "script" | "style" | "textarea" | "title" => {
                let close = page[i..].match_indices("</").find(|(at, _)| {
                    page.as_bytes()[i + at + 2..]
                        .get(..name.len())
                        .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
                });
                match close {
                    Some((end, _)) => i += end,
                    None => break,
                }
            }
            _ => {}
        }
    }
    out
}

/// `page` written canonically: a doctype, its `pypi:` meta tags, its base, then one line per
/// anchor. Attribute names are written lowercase and only if made of letters, digits, `-`,
/// `_` and `:` (others are left out); every value is double-quoted and, like the text,
/// written with `&`, `<`, `>` and `"` as the only characters escaped.
///
/// ```
/// use tuf_pypi::html::{read_page, write_page};
/// let page = read_page("<a HREF=x&#46;whl data-requires-python='&gt;=3.8'>x</a>");
/// let written = write_page(&page);
/// assert!(written.contains(r#"<a href="x.whl" data-requires-python="&gt;=3.8">x</a>"#));
/// assert_eq!(read_page(&written), page);
/// ```
pub fn write_page(page: &IndexPage) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html>\n<head>\n");
    for (name, content) in &page.meta {
        if plain_name(name) {
            out.push_str(&format!(
                "<meta name=\"{}\" content=\"{}\">\n",
                name,
                escape(content)
            ));
        }
    }
    if let Some(base) = &page.base {
        out.push_str(&format!("<base href=\"{}\">\n", escape(base)));
    }
    out.push_str("</head>\n<body>\n");
    for a in &page.anchors {
        out.push_str("<a");
        for (name, value) in a.attrs.iter().filter(|(n, _)| plain_name(n)) {
            out.push(' ');
            out.push_str(name);
            if let Some(v) = value {
                out.push_str("=\"");
                push_escaped(v, &mut out);
                out.push('"');
            }
        }
        out.push('>');
        push_escaped(&a.text, &mut out);
        out.push_str("</a><br>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// An attribute name written as it is: lowercase letters, digits, `-`, `_`, `:`.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_:".contains(&b))
}

/// Text or an attribute value with `&`, `<`, `>` and `"` escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(text, &mut out);
    out
}

/// [`escape`] appending to `out`: the runs between the four characters copied whole.
fn push_escaped(text: &str, out: &mut String) {
    let mut copied = 0;
    for (i, b) in text.bytes().enumerate() {
        let reference = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => continue,
        };
        out.push_str(&text[copied..i]);
        out.push_str(reference);
        copied = i + 1;
    }
    out.push_str(&text[copied..]);
}

/// A tag's attributes as [`Anchor::attrs`] holds them.
type Attributes = Vec<(String, Option<String>)>;

/// The attributes of a start tag whose name has been read, up to its `>`: names lowercased,
/// values unquoted and character references decoded; and how many bytes of `rest` the tag
/// took. `None` if the tag never ends.
fn attributes(rest: &str) -> Option<(Attributes, usize)> {
    let b = rest.as_bytes();
    let mut i = 0;
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i)? {
            b'>' => return Some((attrs, i + 1)),
            b'/' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = rest[name_start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            attrs.push((name, None));
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match b.get(i)? {
            q @ (b'"' | b'\'') => {
                let end = i + 1 + rest[i + 1..].find(*q as char)?;
                let v = &rest[i + 1..end];
                i = end + 1;
                v
            }
            _ => {
                let s = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                &rest[s..i]
            }
        };
        attrs.push((name, Some(decode_references(value))));
    }
}

/// HTML character references decoded: numeric ones (`&#104;`, `&#x68;`, also without the
/// `;`, as HTML5 and Python decode them; zero, surrogates and values past U+10FFFF as
/// U+FFFD) and the named ones index pages use (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`).
/// Any other `&` is kept as written, and so, written again by [`write_page`] as `&amp;`, is
/// read by every decoder as this function read it.
fn decode_references(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(num) = rest.strip_prefix('#') {
            let (radix, digits) = match num.strip_prefix(['x', 'X']) {
                Some(h) => (16, h),
                None => (10, num),
            };
            let len = digits
                .bytes()
                .position(|b| !(b as char).is_digit(radix))
                .unwrap_or(digits.len());
            if len > 0 {
                let value = digits[..len]
                    .chars()
                    .filter_map(|c| c.to_digit(radix))
                    .fold(0u32, |acc, d| acc.saturating_mul(radix).saturating_add(d));
                let c = char::from_u32(value)
                    .filter(|c| *c != '\0')
                    .unwrap_or('\u{fffd}');
                out.push(c);
                let used = num.len() - digits.len() + len;
                rest = &num[used..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
                continue;
            }
        }
        let named = [
            ("amp;", '&'),
            ("lt;", '<'),
            ("gt;", '>'),
            ("quot;", '"'),
            ("apos;", '\''),
        ]
        .into_iter()
        .find(|(n, _)| rest.starts_with(n));
        match named {
            Some((n, c)) => {
                out.push(c);
                rest = &rest[n.len()..];
            }
            None => out.push('&'),
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_elements_outside_comments_and_raw_text_are_read() {
        let page = read_page(
            "<!DOCTYPE html><html><head><title><a href=t></title>\
             <meta name=\"PYPI:Repository-Version\" content=\"1.1\">\
             <meta name=\"generator\" content=\"x\">\
             <script>document.write('<a href=s>')</script>\
             <base href=\"../\"><base href=\"/other/\"></head><body>\
             <!-- <a href=c> --><abbr>a</abbr><A\nHREF=\"one\" Data-X=1 data-y>one &amp; &#x41;</a>\
             <?pi <a href=p>?><a href=two></a></body>",
        );
        assert_eq!(page.base.as_deref(), Some("../"));
        assert_eq!(
            page.meta,
            [("pypi:repository-version".to_owned(), "1.1".to_owned())]
        );
        let hrefs: Vec<_> = page.anchors.iter().map(|a| a.get("href")).collect();
        assert_eq!(hrefs, [Some(Some("one")), Some(Some("two"))]);
        assert_eq!(page.anchors[0].get("data-x"), Some(Some("1")));
        assert_eq!(page.anchors[0].get("data-y"), Some(None));
        assert_eq!(page.anchors[0].text, "one & A");
    }

    #[test]
    fn a_repeated_attribute_has_no_value() {
        let page = read_page("<a href=a href=b>x</a>");
        assert_eq!(page.anchors[0].get("href"), None);
        assert_eq!(page.anchors[0].attrs.len(), 2);
    }

    #[test]
    fn unfinished_markup_ends_the_page() {
        assert_eq!(read_page("<a href=a>a</a><a href=\"b").anchors.len(), 1);
        assert!(read_page("<a").anchors.is_empty());
        assert!(read_page("<!-- <a href=a>").anchors.is_empty());
        assert!(read_page("<script><a href=a>").anchors.is_empty());
    }

    #[test]
    fn references_decode_as_html_decoders_do() {
        assert_eq!(
            decode_references("&amp;&bogus;&#x41;&#66;&#104ttp&#X3a;&#0;&#xD800;&#99999999999;&"),
            "&&bogus;ABhttp:\u{fffd}\u{fffd}\u{fffd}&"
        );
        assert_eq!(decode_references("&#;&#x;&lt&gt;"), "&#;&#x;&lt>");
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let page = IndexPage {
            base: Some("a\"b&c".into()),
            meta: vec![("pypi:repository-version".into(), "1.0".into())],
            anchors: vec![Anchor {
                attrs: vec![
                    ("href".into(), Some("x<y>&amp;\"z'".into())),
                    ("data-yanked".into(), None),
                    ("data-core-metadata".into(), Some(String::new())),
                ],
                text: "a&#104;<b>".into(),
            }],
        };
        let written = write_page(&page);
        assert_eq!(read_page(&written), page);
        for (i, _) in written.match_indices('&') {
            let rest = &written[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|r| rest.starts_with(r)),
                "{rest}"
            );
        }
    }

    #[test]
    fn names_that_are_not_plain_are_not_written() {
        let page = read_page("<a href=x on\"click=y data-ok=1>x</a>");
        let written = write_page(&page);
        assert!(
            written.contains("<a href=\"x\" data-ok=\"1\">x</a>"),
            "{written}"
        );
    }
}
