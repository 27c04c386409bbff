//! PEP 503 names and suggestions: normalizing is idempotent and gives only lowercase ASCII
//! letters, digits, `-` and what was not ASCII; suggestions never panic and come from the list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_pypi::{closest, normalize_name};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\n');
    let name = parts.next().unwrap_or_default();
    let n = normalize_name(name);
    assert_eq!(normalize_name(&n), n, "idempotent");
    assert!(!n.contains(['_', '.', 'A', 'Z']), "{n:?}");
    assert!(!n.contains("--"), "{n:?}");
    let known: Vec<&str> = parts.take(64).collect();
    for s in closest(name, &known, 5) {
        assert!(known.contains(&s));
    }
});
