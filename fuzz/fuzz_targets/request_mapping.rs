//! The proxy's request mapping (URL path and Host to a rule and a target path), for both
//! layouts: never a panic; a target path it gives never escapes (no empty, `.` or `..`
//! segment, not absolute, no backslash or NUL).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
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

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (host, path) = match text.split_once('\n') {
        Some((h, p)) => (Some(h), p),
        None => (None, text.as_ref()),
    };
    for r in rules() {
        if let Ok(m) = r.map(host, path) {
            let t = &m.target;
            assert!(!t.is_empty() && !t.starts_with('/'), "{t:?}");
            assert!(!t.contains(['\\', '\0']), "{t:?}");
            assert!(
                t.split('/').all(|s| !s.is_empty() && s != "." && s != ".."),
                "{t:?}"
            );
        }
    }
});
