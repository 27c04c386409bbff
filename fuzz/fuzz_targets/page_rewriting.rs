//! The proxy's writing of verified pages for the installer, HTML or PEP 691 JSON
//! (`pages::rewrite_html`, `pages::rewrite_json`, each link through `links::proxy_link`):
//! never a panic; every link the written page holds, read back as an installer reads it
//! (character references and JSON escapes decoded), is either into the proxy (`BASE/_host/`,
//! then a covered host as its rule names it or an authority percent-encoded but for letters,
//! digits, `.` and `-`, then a path, query or fragment) or relative without a colon in its
//! first segment, a backslash, white space or a control character, and not scheme-relative;
//! so no link to an uncovered host survives. A link into the proxy for a covered host maps (route, `/_host/`
//! undone, rules) to the same target as the host's own URL. The HTML written holds no
//! character reference but `&amp;`, `&lt;`, `&gt;`, `&quot;`, and writing it again gives it
//! back byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tuf_interpose::pages::{rewrite_html, rewrite_json};
use tuf_interpose::routing::effective_url;
use tuf_interpose::{RepositorySpec, Rules, RulesSpec};
use tuf_pypi::html::{read_page, write_page};

const BASE: &str = "http://127.0.0.1:1";

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let repo = RepositorySpec {
            metadata_urls: vec![],
            targets_urls: vec![],
            metadata_dir: "m".into(),
            targets_dir: "t".into(),
            root: None,
            ca_file: None,
        };
        Rules::compile(&RulesSpec::for_mirror(repo)).expect("the default rules compile")
    })
}

/// Checks one link of the written page.
fn check_link(link: &str, rules: &Rules, hosts: &[&str]) {
    let marker = format!("{BASE}/_host/");
    if let Some(rest) = link.strip_prefix(&marker) {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if let Some(h) = hosts.iter().find(|h| authority.eq_ignore_ascii_case(h)) {
            assert_eq!(authority, *h, "a covered host not written as listed");
            let path = tail.split(['?', '#']).next().unwrap_or_default();
            if path.starts_with('/') {
                let proxied = format!("/_host/{h}{path}");
                let (host, p) = effective_url(None, &proxied);
                assert_eq!(host.as_deref(), Some(*h), "{proxied}");
                let direct = rules.map(Some(h), path).map(|m| m.target);
                let through = rules.map(host.as_deref(), &p).map(|m| m.target);
                assert_eq!(
                    direct.ok(),
                    through.ok(),
                    "{proxied} maps elsewhere than the host's URL"
                );
            }
        } else {
            assert!(
                !authority.is_empty()
                    && authority
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-%".contains(&b)),
                "an authority not escaped: {link:?}"
            );
            let named: Vec<u8> = percent_encoding::percent_decode_str(authority).collect();
            assert!(
                !hosts
                    .iter()
                    .any(|h| named.eq_ignore_ascii_case(h.as_bytes())),
                "a covered host escaped: {link:?}"
            );
        }
    } else {
        assert!(!link.starts_with("//"), "a scheme-relative link: {link:?}");
        assert!(
            !link.contains(|c: char| c <= ' ' || c == '\\' || c == '\u{7f}'),
            "white space, a control character or a backslash: {link:?}"
        );
        let first = link.split(['/', '?', '#']).next().unwrap_or_default();
        assert!(
            !first.contains(':'),
            "a colon in a relative link's first segment (a scheme to some parser): {link:?}"
        );
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, page)) = input.split_first() else {
        return;
    };
    let rules = rules();
    let hosts: Vec<&str> = rules.hosts().collect();
    if mode & 1 == 0 {
        let out = rewrite_html(page, &hosts, BASE);
        let written = String::from_utf8(out.page).expect("the page written is UTF-8");
        for (i, _) in written.match_indices('&') {
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|r| written[i..].starts_with(r)),
                "a character reference other than the four: {:?}",
                &written[i..(i + 12).min(written.len())]
            );
        }
        let read = read_page(&written);
        assert_eq!(write_page(&read), written, "written again, the page changed");
        for link in read.base.iter().chain(read.anchors.iter().flat_map(|a| {
            a.attrs
                .iter()
                .filter(|(n, _)| n == "href" || n == "data-provenance")
                .filter_map(|(_, v)| v.as_ref())
        })) {
            check_link(link, rules, &hosts);
        }
    } else if let Ok(out) = rewrite_json(page, &hosts, BASE) {
        let doc: serde_json::Value =
            serde_json::from_slice(&out.page).expect("the page written is JSON");
        for file in doc["files"].as_array().into_iter().flatten() {
            let url = file["url"].as_str().expect("every file kept has a URL");
            check_link(url, rules, &hosts);
            if let Some(p) = file.get("provenance").and_then(|p| p.as_str()) {
                check_link(p, rules, &hosts);
            }
        }
    }
});
