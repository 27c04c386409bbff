//! Writing JSON: the OLPC canonical form, and python-tuf's compact and pretty layouts.

use super::Value;

/// The canonical form signatures are computed over (securesystemslib / OLPC canonical JSON):
/// members sorted by name, no whitespace, strings with only `"` and `\` escaped and all other
/// characters written as raw UTF-8, integers as decimal text.
///
/// ```
/// use tuf_metadata::json::{parse, write_canonical};
///
/// let v = parse("{ \"b\": [1, true], \"a\": \"caf\\u00e9\\n\" }".as_bytes()).unwrap();
/// assert_eq!(write_canonical(&v), "{\"a\":\"café\n\",\"b\":[1,true]}".as_bytes());
/// ```
pub fn write_canonical(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_canonical_into(v, &mut out);
    out
}

/// [`write_canonical`] appending to an existing buffer.
pub fn write_canonical_into(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => n.write_into(out),
        Value::String(s) => canonical_str(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_into(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_str(k, out);
                out.push(b':');
                write_canonical_into(item, out);
            }
            out.push(b'}');
        }
    }
}

fn canonical_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' || b == b'\\' {
            out.extend_from_slice(&bytes[from..i]);
            out.push(b'\\');
            out.push(b);
            from = i + 1;
        }
    }
    out.extend_from_slice(&bytes[from..]);
    out.push(b'"');
}

/// How to lay out JSON for storage or serving. Both layouts match python-tuf's
/// `JSONSerializer` byte for byte: sorted members, non-ASCII written as `\uXXXX` escapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `JSONSerializer(compact=True)`: no whitespace at all.
    #[default]
    Compact,
    /// `JSONSerializer(compact=False)`: one member per line, indented by one space per level.
    Pretty,
}

/// Writes `v` in the given python-tuf-compatible layout.
///
/// ```
/// use tuf_metadata::json::{parse, write_layout, Layout};
///
/// let v = parse("{\"b\":[1],\"a\":\"é\"}".as_bytes()).unwrap();
/// assert_eq!(write_layout(&v, Layout::Compact), br#"{"a":"\u00e9","b":[1]}"#);
/// assert_eq!(write_layout(&v, Layout::Pretty), b"{\n \"a\": \"\\u00e9\",\n \"b\": [\n  1\n ]\n}");
/// ```
pub fn write_layout(v: &Value, layout: Layout) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    python_value(v, layout, 0, &mut out);
    out
}

fn newline_indent(out: &mut Vec<u8>, level: usize) {
    out.push(b'\n');
    out.resize(out.len() + level, b' ');
}

fn python_value(v: &Value, layout: Layout, level: usize, out: &mut Vec<u8>) {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => write_canonical_into(v, out),
        Value::String(s) => python_str(s, out),
        Value::Array(items) => {
            if items.is_empty() {
                out.extend_from_slice(b"[]");
                return;
            }
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if layout == Layout::Pretty {
                    newline_indent(out, level + 1);
                }
                python_value(item, layout, level + 1, out);
            }
            if layout == Layout::Pretty {
                newline_indent(out, level);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.extend_from_slice(b"{}");
                return;
            }
            out.push(b'{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if layout == Layout::Pretty {
                    newline_indent(out, level + 1);
                }
                python_str(k, out);
                out.push(b':');
                if layout == Layout::Pretty {
                    out.push(b' ');
                }
                python_value(item, layout, level + 1, out);
            }
            if layout == Layout::Pretty {
                newline_indent(out, level);
            }
            out.push(b'}');
        }
    }
}

/// A string as Python's `json.dumps(ensure_ascii=True)` writes it: everything outside
/// `' '..='~'` escaped, lower-case hex, UTF-16 surrogate pairs beyond the BMP.
fn python_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let push_u = |out: &mut Vec<u8>, unit: u16| {
        out.extend_from_slice(b"\\u");
        for shift in [12, 8, 4, 0] {
            out.push(HEX[((unit >> shift) & 0xF) as usize]);
        }
    };
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0C}' => out.extend_from_slice(b"\\f"),
            c if !(' '..='~').contains(&c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u(out, *unit);
                }
            }
            c => out.push(c as u8),
        }
    }
    out.push(b'"');
}
