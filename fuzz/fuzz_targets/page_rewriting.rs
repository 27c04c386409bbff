//! The proxy's rewriting of verified pages, HTML or PEP 691 JSON (`links::point_at_proxy`):
//! never a panic; afterwards no absolute link is left that does not point into the proxy (no
//! `http(s)://` in any case but the proxy's own `BASE/_host/`, no scheme-relative `//` after a
//! quote, `=` or a space), so no link to an uncovered host survives: the installer asks the
//! proxy, which refuses it; a covered host is written as its rule names it, and the link
//! made maps (route, `/_host/` undone, rules) to the same target as the page's own URL; any
//! other authority is percent-encoded but for letters, digits, `.` and `-`; undone,
//! the page comes back byte for byte, up to the scheme and the case of each link.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tuf_interpose::links::point_at_proxy;
use tuf_interpose::routing::effective_url;
use tuf_interpose::{RepositorySpec, Rules, RulesSpec};

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

fn starts_ci(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn before_link(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'=') || b.is_ascii_whitespace()
}

/// Where a URL's authority or path ends in a page.
fn ends(b: u8, path: bool) -> bool {
    matches!(b, b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'\\')
        || b.is_ascii_whitespace()
        || (!path && b == b'/')
}

fn until(text: &[u8], path: bool) -> &[u8] {
    let n = text
        .iter()
        .position(|b| ends(*b, path))
        .unwrap_or(text.len());
    &text[..n]
}

/// The page with every link's start written `https://` (what undoing the rewriting gives): a
/// link starts where its scheme (or a scheme-relative `//`) does, outside another's authority
/// and not right after it.
fn normalized(page: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(page.len());
    let mut i = 0;
    while i < page.len() {
        let skip = if starts_ci(&page[i..], b"https://") {
            8
        } else if starts_ci(&page[i..], b"http://") {
            7
        } else if page[i..].starts_with(b"//") && i > 0 && before_link(page[i - 1]) {
            2
        } else {
            0
        };
        if skip > 0 {
            // The authority is the link's, whatever it holds; a `//` right after it is the
            // link's path.
            let authority = until(&page[i + skip..], false);
            out.extend_from_slice(b"https://");
            out.extend_from_slice(authority);
            i += skip + authority.len();
            if page[i..].starts_with(b"//") {
                out.extend_from_slice(b"//");
                i += 2;
            }
        } else {
            out.push(page[i]);
            i += 1;
        }
    }
    out
}

fuzz_target!(|page: &[u8]| {
    let rules = rules();
    let hosts: Vec<&str> = rules.hosts().collect();
    let out = point_at_proxy(page, hosts.iter().copied(), BASE);
    let marker = format!("{BASE}/_host/");
    for i in 0..out.len() {
        let rest = &out[i..];
        if starts_ci(rest, b"http://") || starts_ci(rest, b"https://") {
            assert!(
                rest.starts_with(marker.as_bytes()),
                "a link not into the proxy left: {:?}",
                String::from_utf8_lossy(&rest[..rest.len().min(60)])
            );
        }
        if rest.starts_with(b"//") && i > 0 && before_link(out[i - 1]) {
            panic!(
                "a scheme-relative link left: {:?}",
                String::from_utf8_lossy(rest)
            );
        }
    }
    let own = page.windows(marker.len()).any(|w| w == marker.as_bytes());
    // Each link made: a covered host as its rule names it, mapped as the page's URL was.
    let mut undone = Vec::new();
    let mut i = 0;
    while i < out.len() {
        if !out[i..].starts_with(marker.as_bytes()) {
            undone.push(out[i]);
            i += 1;
            continue;
        }
        let link = &out[i + marker.len()..];
        let authority = until(link, false);
        if let Some(h) = hosts
            .iter()
            .find(|h| authority.eq_ignore_ascii_case(h.as_bytes()))
        {
            assert_eq!(
                authority,
                h.as_bytes(),
                "a covered host not written as listed"
            );
            let path = until(&link[authority.len()..], true);
            if let Ok(path) = std::str::from_utf8(path) {
                let proxied = format!("/_host/{h}{path}");
                let (host, p) = effective_url(None, &proxied);
                if path.starts_with('/') {
                    assert_eq!(host.as_deref(), Some(*h), "{proxied}");
                    let direct = rules.map(Some(h), path).map(|m| m.target);
                    let through = rules.map(host.as_deref(), &p).map(|m| m.target);
                    assert_eq!(
                        direct.ok(),
                        through.ok(),
                        "{proxied} maps elsewhere than the page's URL"
                    );
                }
            }
            undone.extend_from_slice(b"https://");
            undone.extend_from_slice(authority);
        } else {
            assert!(
                authority
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b".-%".contains(b)),
                "an authority not escaped: {:?}",
                String::from_utf8_lossy(authority)
            );
            let named: Vec<u8> = percent_encoding::percent_decode(authority).collect();
            assert!(
                !hosts
                    .iter()
                    .any(|h| named.eq_ignore_ascii_case(h.as_bytes())),
                "a covered host escaped: {:?}",
                String::from_utf8_lossy(&named)
            );
            undone.extend_from_slice(b"https://");
            undone.extend_from_slice(&named);
        }
        i += marker.len() + authority.len();
    }
    if !own {
        assert_eq!(
            undone.to_ascii_lowercase(),
            normalized(page).to_ascii_lowercase(),
            "bytes other than links changed"
        );
    }
});
