//! The strict JSON reader and the canonical writer. OLPC canonical JSON (securesystemslib's,
//! what signatures cover) escapes only `"` and `\`, so a string holding a control character
//! comes out raw, which no strict JSON reader accepts: the canonical form is bytes to sign,
//! not JSON to read. So: any input either fails to parse or, when no string holds a control
//! character, comes back from its canonical form as the same value; the canonical form is a
//! fixed point; the compact and pretty layouts (python-tuf's, escaping as Python's json does)
//! read back as the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_metadata::json::{Layout, Value, parse, write_canonical, write_layout};

fn has_control(v: &Value) -> bool {
    let control = |s: &str| s.chars().any(|c| (c as u32) < 0x20);
    match v {
        Value::String(s) => control(s),
        Value::Array(a) => a.iter().any(has_control),
        Value::Object(m) => m.iter().any(|(k, v)| control(k) || has_control(v)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = parse(data) else {
        return;
    };
    let canonical = write_canonical(&value);
    match parse(&canonical) {
        Ok(again) => {
            assert_eq!(again, value, "parse -> canonical -> parse is the identity");
            assert_eq!(
                write_canonical(&again),
                canonical,
                "canonical is idempotent"
            );
        }
        Err(e) => assert!(
            has_control(&value),
            "the canonical form does not parse: {e}"
        ),
    }
    for layout in [Layout::Compact, Layout::Pretty] {
        let text = write_layout(&value, layout);
        let v = parse(&text).unwrap_or_else(|e| panic!("{layout:?} layout does not parse: {e}"));
        assert_eq!(v, value, "{layout:?} layout reads back as the same value");
    }
});
