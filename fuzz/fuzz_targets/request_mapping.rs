//! The proxy's request mapping, for both layouts: a request's method and request target
//! (origin form, absolute form, `CONNECT` authority, and inside an intercepted tunnel the
//! inner request's target) → route → URL (`/_host/HOST/` undone) → rule → target path; and
//! the rules alone on a host and a path. Never a panic; a tunnel is intercepted and an
//! absolute-form URL answered only for a host the rules name (any case), every other host
//! refused, and a covered absolute-form URL never refused; nothing is mapped for a host no
//! rule names; a target path never escapes (no empty, `.` or `..` segment, not absolute, no
//! backslash or NUL).
#![no_main]

use hyper::{Method, Uri};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tuf_interpose::routing::{Route, effective_url, route};
use tuf_interpose::{RepositorySpec, Rules, RulesSpec};

fn rules() -> &'static [Rules; 2] {
    static RULES: OnceLock<[Rules; 2]> = OnceLock::new();
    RULES.get_or_init(|| {
        let repo = || RepositorySpec {
            metadata_urls: vec![],
            targets_urls: vec![],
            metadata_dir: "m".into(),
            targets_dir: "t".into(),
            root: None,
            ca_file: None,
        };
        [
            Rules::compile(&RulesSpec::for_mirror(repo())).unwrap(),
            Rules::compile(&RulesSpec::for_pages_mirror(repo())).unwrap(),
        ]
    })
}

fn check_target(t: &str) {
    assert!(!t.is_empty() && !t.starts_with('/'), "{t:?}");
    assert!(!t.contains(['\\', '\0']), "{t:?}");
    assert!(
        t.split('/').all(|s| !s.is_empty() && s != "." && s != ".."),
        "{t:?}"
    );
}

/// The hosts a rule names, compared as the proxy must: ignoring ASCII case only.
fn named(rules: &Rules, host: &str) -> bool {
    rules.hosts().any(|h| h.eq_ignore_ascii_case(host))
}

/// A request as the proxy's server would see it: method and guard mode from the first byte,
/// then the request target and (for a tunnel) the inner request's target, one per line.
fn request(rules: &Rules, data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let method =
        [Method::GET, Method::HEAD, Method::CONNECT, Method::POST][usize::from(first & 3)].clone();
    let guarded = first & 4 != 0;
    let own_port = (first & 8 != 0).then_some(8080);
    let mut lines = rest.split(|&b| b == b'\n');
    let Ok(uri) = Uri::try_from(lines.next().unwrap_or_default()) else {
        return;
    };
    let inner = lines.next().and_then(|l| Uri::try_from(l).ok());
    let (host, path) = match route(rules, guarded, &method, &uri, own_port) {
        Route::BadConnect => {
            assert!(method == Method::CONNECT && uri.host().is_none(), "{uri}");
            return;
        }
        Route::Uncovered(_) => {
            let host = uri.host().unwrap_or_default();
            let covered_proxy_request = method != Method::CONNECT && named(rules, host);
            assert!(
                !covered_proxy_request,
                "{method} {uri}: a covered URL refused"
            );
            return;
        }
        Route::Intercept { host, .. } => {
            assert!(
                method == Method::CONNECT && guarded,
                "{method} {uri} intercepted"
            );
            assert!(
                named(rules, &host),
                "CONNECT {uri}: a tunnel to an uncovered host"
            );
            let Some(inner) = inner else { return };
            (Some(host), inner.path().to_owned())
        }
        Route::Covered { host } => {
            assert!(method != Method::CONNECT, "CONNECT {uri} answered as a URL");
            if let Some(h) = &host {
                assert!(named(rules, h), "{uri}: answered for an uncovered host");
            } else {
                // The proxy's own URL: origin form, or absolute form naming the proxy.
                assert!(
                    uri.host().is_none() || (own_port.is_some() && uri.port_u16() == own_port),
                    "{uri} taken as the proxy's own"
                );
            }
            (host, uri.path().to_owned())
        }
    };
    let (host, path) = effective_url(host.as_deref(), &path);
    if let Ok(m) = rules.map(host.as_deref(), &path) {
        if let Some(h) = &host {
            assert!(named(rules, h), "{path}: mapped for the uncovered host {h}");
        }
        check_target(&m.target);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (host, path) = match text.split_once('\n') {
        Some((h, p)) => (Some(h), p),
        None => (None, text.as_ref()),
    };
    for r in rules() {
        if let Ok(m) = r.map(host, path) {
            check_target(&m.target);
        }
        request(r, data);
    }
});
