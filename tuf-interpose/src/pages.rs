//! Verified index pages written again for the installer: read as their format (PEP 503 HTML
//! with [`tuf_pypi::html`], PEP 691 JSON), every link passed through
//! [`crate::links::proxy_link`], and written canonically. The installer so reads no link the
//! proxy did not check: nothing is left that only a decoder sees (a character reference, a
//! JSON escape, a tab inside a scheme), no markup but anchors, one base and `pypi:` meta tags,
//! no attribute but `href` and `data-*`. An anchor or file whose link is refused is left out
//! (the installer cannot fetch it), and so is every anchor of a page whose `<base>` is
//! refused.

use crate::InterposeError;
use crate::links::proxy_link;
use serde_json::Value;
use tuf_pypi::html::{IndexPage, read_page, write_page};

/// A page written for the installer, and the links left out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The page as the installer gets it.
    pub page: Vec<u8>,
    /// Each link left out (as the page gave it, decoded) and why.
    pub refused: Vec<(String, &'static str)>,
}

/// The attributes of an anchor that hold a link: `href` and PEP 740's `data-provenance`.
const LINK_ATTRIBUTES: [&str; 2] = ["href", "data-provenance"];

/// A PEP 503 HTML page (any bytes; not UTF-8 is read lossily) written again: its anchors
/// with their `href` and `data-*` attributes, links pointed at the proxy; its first base,
/// likewise; its `pypi:` meta tags.
///
/// ```
/// use tuf_interpose::pages::rewrite_html;
/// let page = b"<a href='&#104;ttps://evil.example/x.whl'>x</a><a href=../../p/y.whl onclick=z>y</a>";
/// let out = rewrite_html(page, &["pypi.org"], "");
/// let text = String::from_utf8(out.page).unwrap();
/// assert!(text.contains(r#"<a href="/_host/evil.example/x.whl">x</a>"#));
/// assert!(text.contains(r#"<a href="../../p/y.whl">y</a>"#));
/// ```
pub fn rewrite_html(page: &[u8], hosts: &[&str], base: &str) -> Rewritten {
    let read = read_page(&String::from_utf8_lossy(page));
    let mut refused = Vec::new();
    let mut out = IndexPage {
        base: None,
        meta: read.meta,
        anchors: Vec::with_capacity(read.anchors.len()),
    };
    let mut base_refused = false;
    if let Some(b) = read.base {
        match proxy_link(&b, hosts, base) {
            Ok(l) => out.base = Some(l),
            Err(e) => {
                refused.push((b, e.0));
                base_refused = true;
            }
        }
    }
    for mut anchor in read.anchors {
        let text = || {
            anchor
                .attrs
                .iter()
                .find(|(n, _)| n == "href")
                .and_then(|(_, v)| v.clone())
                .unwrap_or_else(|| anchor.text.clone())
        };
        if base_refused {
            refused.push((text(), "the page's <base> is refused"));
            continue;
        }
        let names: Vec<&str> = anchor.attrs.iter().map(|(n, _)| n.as_str()).collect();
        if names
            .iter()
            .enumerate()
            .any(|(i, n)| names[..i].contains(n))
        {
            // pip takes a repeated attribute's last value, an HTML5 parser its first.
            refused.push((text(), "an attribute named twice"));
            continue;
        }
        if anchor.get("href").flatten().is_none() {
            continue;
        }
        anchor
            .attrs
            .retain(|(n, _)| n == "href" || n.starts_with("data-"));
        let mut kept = true;
        for (name, value) in &mut anchor.attrs {
            if !LINK_ATTRIBUTES.contains(&name.as_str()) {
                continue;
            }
            let Some(v) = value.as_mut() else {
                continue;
            };
            match proxy_link(v, hosts, base) {
                Ok(l) => *v = l,
                Err(e) => {
                    refused.push((v.clone(), e.0));
                    kept = false;
                }
            }
        }
        if kept {
            out.anchors.push(anchor);
        }
    }
    Rewritten {
        page: write_page(&out).into_bytes(),
        refused,
    }
}

/// A PEP 691 JSON page written again (compact, every string decoded and escaped only where
/// JSON must): each file's `url` and `provenance` pointed at the proxy, a file whose link is
/// refused left out, everything else as parsed. A page that is not a JSON object, or whose
/// `files` is not a list, is refused whole.
///
/// ```
/// use tuf_interpose::pages::rewrite_json;
/// let page = br#"{"files": [{"url": "http:\/\/evil.example\/x.whl", "filename": "x.whl"}]}"#;
/// let out = rewrite_json(page, &["pypi.org"], "").unwrap();
/// assert_eq!(out.page, br#"{"files":[{"filename":"x.whl","url":"/_host/evil.example/x.whl"}]}"#);
/// ```
pub fn rewrite_json(page: &[u8], hosts: &[&str], base: &str) -> Result<Rewritten, InterposeError> {
    let invalid = |reason: String| InterposeError::Page {
        format: "PEP 691 JSON",
        reason,
    };
    let mut doc: Value = serde_json::from_slice(page).map_err(|e| invalid(e.to_string()))?;
    let top = doc
        .as_object_mut()
        .ok_or_else(|| invalid("not a JSON object".into()))?;
    let mut refused = Vec::new();
    if let Some(files) = top.get_mut("files") {
        let files = files
            .as_array_mut()
            .ok_or_else(|| invalid("`files` is not a list".into()))?;
        files.retain_mut(|file| {
            let Some(file) = file.as_object_mut() else {
                refused.push((file.to_string(), "a file that is not an object"));
                return false;
            };
            for key in ["url", "provenance"] {
                let link = match file.get_mut(key) {
                    Some(Value::String(s)) => s,
                    Some(Value::Null) if key == "provenance" => continue,
                    None if key == "provenance" => continue,
                    _ => {
                        refused.push((format!("{key} of {file:?}"), "not a string"));
                        return false;
                    }
                };
                match proxy_link(link, hosts, base) {
                    Ok(l) => *link = l,
                    Err(e) => {
                        refused.push((link.clone(), e.0));
                        return false;
                    }
                }
            }
            true
        });
    }
    let page = serde_json::to_vec(&doc).map_err(|e| invalid(e.to_string()))?;
    Ok(Rewritten { page, refused })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTS: [&str; 1] = ["files.example"];

    fn html(page: &str) -> (String, Vec<(String, &'static str)>) {
        let out = rewrite_html(page.as_bytes(), &HOSTS, "http://p:1");
        (String::from_utf8(out.page).unwrap(), out.refused)
    }

    #[test]
    fn links_only_a_decoder_sees_are_pointed_at_the_proxy_or_left_out() {
        let (page, refused) = html(
            "<a href=\"&#104;ttps://evil.example/a.whl\">a</a>\
             <a href=\"http&#58;//evil.example/b.whl\">b</a>\
             <a href=\"/&#9;/evil.example/c.whl\">c</a>\
             <a href=\"/\\evil.example/d.whl\">d</a>\
             <a href=\"https://FILES.example/e.whl#sha256=00\" data-provenance=\"//files.example/e.prov\">e</a>\
             <a href=\"f.whl\" data-provenance=\"https:evil.example/f\">f</a>",
        );
        let hrefs: Vec<_> = read_page(&page)
            .anchors
            .into_iter()
            .map(|a| a.attrs)
            .collect();
        let s = |v: &str| Some(v.to_owned());
        assert_eq!(
            hrefs,
            vec![
                vec![("href".to_owned(), s("http://p:1/_host/evil.example/a.whl"))],
                vec![("href".to_owned(), s("http://p:1/_host/evil.example/b.whl"))],
                vec![
                    (
                        "href".to_owned(),
                        s("http://p:1/_host/files.example/e.whl#sha256=00")
                    ),
                    (
                        "data-provenance".to_owned(),
                        s("http://p:1/_host/files.example/e.prov")
                    ),
                ],
            ]
        );
        let left_out: Vec<_> = refused.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            left_out,
            [
                "/\t/evil.example/c.whl",
                "/\\evil.example/d.whl",
                "https:evil.example/f"
            ]
        );
    }

    #[test]
    fn markup_other_than_the_index_is_not_written() {
        let (page, _) = html(
            "<html><head><meta http-equiv=refresh content=\"0;url=https://evil.example/\">\
             <meta name=pypi:repository-version content=1.1><link rel=x href=//evil.example/>\
             </head><body><form action=//evil.example/><a href=a.whl class=x data-requires-python=\"&gt;=3\" \
             data-yanked>a</a><iframe src=//evil.example/></iframe><a name=n>no href</a></body>",
        );
        assert!(!page.contains("evil"), "{page}");
        assert!(page.contains("<meta name=\"pypi:repository-version\" content=\"1.1\">"));
        assert!(
            page.contains("<a href=\"a.whl\" data-requires-python=\"&gt;=3\" data-yanked>a</a>"),
            "{page}"
        );
        assert!(!page.contains("no href"));
    }

    #[test]
    fn a_repeated_attribute_or_a_refused_base_leaves_the_anchors_out() {
        let (page, refused) = html("<a href=a.whl href=//evil.example/b.whl>a</a>");
        assert!(read_page(&page).anchors.is_empty());
        assert_eq!(refused[0].1, "an attribute named twice");
        let (page, refused) = html("<base href=\"/\\evil.example/\"><a href=a.whl>a</a>");
        let read = read_page(&page);
        assert!(read.anchors.is_empty() && read.base.is_none());
        assert_eq!(refused.len(), 2);
        let (page, _) = html("<base href=\"https://files.example/x/\"><a href=a.whl>a</a>");
        assert_eq!(
            read_page(&page).base.as_deref(),
            Some("http://p:1/_host/files.example/x/")
        );
    }

    #[test]
    fn json_links_are_pointed_at_the_proxy_or_their_file_left_out() {
        let page = br#"{"meta": {"api-version": "1.1"}, "name": "x", "files": [
            {"filename": "a.whl", "url": "\u0068ttps://evil.example/a.whl", "hashes": {}},
            {"filename": "b.whl", "url": "../../b.whl", "provenance": null},
            {"filename": "c.whl", "url": "/\\evil.example/c.whl"},
            {"filename": "d.whl", "url": "d.whl", "provenance": "https:evil.example/d"},
            {"filename": "e.whl"},
            "f.whl"
        ]}"#;
        let out = rewrite_json(page, &HOSTS, "http://p:1").unwrap();
        let doc: Value = serde_json::from_slice(&out.page).unwrap();
        let urls: Vec<_> = doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["url"].as_str().unwrap())
            .collect();
        assert_eq!(urls, ["http://p:1/_host/evil.example/a.whl", "../../b.whl"]);
        assert_eq!(doc["meta"]["api-version"], "1.1");
        assert_eq!(out.refused.len(), 4);
        for bad in [
            &b"[]"[..],
            b"{\"files\": {}}",
            b"{",
            b"{\"a\": \"\\ud800\"}",
        ] {
            assert!(rewrite_json(bad, &HOSTS, "").is_err(), "{bad:?}");
        }
    }
}
