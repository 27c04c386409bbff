//! The proxy's rewriting of verified index pages (`links::point_at_proxy`): never a panic;
//! afterwards no `http(s)://HOST/` of a covered host is left in any case (the installer would
//! fetch it around the proxy), every link made points into the proxy's `/_host/HOST/` for a
//! covered host, and the bytes around the rewritten links are the page's own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_interpose::links::point_at_proxy;

const HOSTS: [&str; 3] = ["pypi.org", "files.pythonhosted.org", "mirror.example:8443"];
const BASE: &str = "http://127.0.0.1:1";

fuzz_target!(|page: &[u8]| {
    let out = point_at_proxy(page, HOSTS, BASE);
    let lower = out.to_ascii_lowercase();
    for host in HOSTS {
        for scheme in ["http", "https"] {
            let link = format!("{scheme}://{host}/");
            assert!(
                !lower.windows(link.len()).any(|w| w == link.as_bytes()),
                "{link} left in {:?}",
                String::from_utf8_lossy(&out)
            );
        }
    }
    // Undo the rewriting: the page comes back, up to the scheme and case of each link
    // (unless the page itself holds what a rewritten link looks like).
    let marker = format!("{BASE}/_host/");
    if page.windows(marker.len()).any(|w| w == marker.as_bytes()) {
        return;
    }
    let mut undone = Vec::new();
    let mut i = 0;
    while i < out.len() {
        if out[i..].starts_with(marker.as_bytes()) {
            let rest = &out[i + marker.len()..];
            let host = HOSTS
                .iter()
                .find(|h| rest.starts_with(h.as_bytes()) && rest.get(h.len()) == Some(&b'/'))
                .expect("a link into the proxy names a covered host");
            undone.extend_from_slice(format!("https://{host}/").as_bytes());
            i += marker.len() + host.len() + 1;
        } else {
            undone.push(out[i]);
            i += 1;
        }
    }
    assert_eq!(
        undone.to_ascii_lowercase(),
        page.to_ascii_lowercase().replace_http(),
        "bytes other than links changed"
    );
});

/// The page with every `http://` of a covered host written `https://` (what undoing the
/// rewriting gives back).
trait ReplaceHttp {
    fn replace_http(self) -> Vec<u8>;
}

impl ReplaceHttp for Vec<u8> {
    fn replace_http(self) -> Vec<u8> {
        let mut s = self;
        for host in HOSTS {
            let from = format!("http://{host}/");
            let to = format!("https://{host}/");
            let mut out = Vec::with_capacity(s.len());
            let mut i = 0;
            while i < s.len() {
                if s[i..].starts_with(from.as_bytes()) {
                    out.extend_from_slice(to.as_bytes());
                    i += from.len();
                } else {
                    out.push(s[i]);
                    i += 1;
                }
            }
            s = out;
        }
        s
    }
}
