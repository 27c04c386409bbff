//! The links and digests of a PEP 503 page (what vouches for files in the pages layout): never
//! a panic; every link is a path without query or fragment, every digest plain lowercase hex.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let page = String::from_utf8_lossy(data);
    for link in tuf_pypi::page::html_links(&page) {
        assert!(
            !link.href.contains('#') && !link.href.contains('?'),
            "{link:?}"
        );
        for (alg, hex) in &link.hashes {
            assert!(!alg.is_empty() && !hex.is_empty(), "{link:?}");
            assert!(
                hex.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                "{link:?}"
            );
        }
    }
});
