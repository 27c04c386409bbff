//! The service's reading of a verified wheel's dependencies (`url_dependencies`): core
//! metadata and wheels are hostile bytes. Never a panic. The first byte picks the input:
//! even, the bytes are core metadata: the values found are the `Requires-Dist` values (as
//! Python's `email` parser reads them; tuf-cli/tests/as_pip_reads.rs checks that against
//! Python) holding `@` before any `;`, and the bytes put in a wheel as
//! `x-1.0.dist-info/METADATA` give, read from the wheel, what they give read as metadata;
//! odd, the bytes are a wheel (any zip, or not one), read with its `METADATA` bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{Cursor, Write};
use tuf_interpose::url_dependencies::{in_core_metadata, in_wheel_archive, requires_dist};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let found = in_core_metadata(data);
        let expected: Vec<String> = requires_dist(data)
            .into_iter()
            .filter(|v| v.split(';').next().is_some_and(|r| r.contains('@')))
            .collect();
        assert_eq!(found, expected);
        let mut wheel = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut wheel);
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("x-1.0.dist-info/METADATA", options).unwrap();
        zip.write_all(data).unwrap();
        zip.finish().unwrap();
        wheel.set_position(0);
        let from_wheel = in_wheel_archive(wheel, "x.whl").expect("a wheel with METADATA reads");
        assert_eq!(from_wheel, found, "the wheel's METADATA read otherwise");
    } else {
        let _ = in_wheel_archive(Cursor::new(data), "fuzzed.whl");
    }
});
