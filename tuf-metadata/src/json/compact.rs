//! Recognizing compact canonical JSON in place, without building values: the layout this
//! project's writer produces (OLPC canonical form, no whitespace). A recognized value is one
//! the general reader ([`super::parse`]) reads to a value whose canonical form is exactly
//! the recognized bytes, so a fast reader built on these functions may take those bytes as
//! the canonical form. Only a strict subset is recognized (strings of printable ASCII without
//! escapes, integers of at most 18 digits, members in strictly increasing byte order); for
//! anything else the functions answer `None` and the caller uses the general reader, which
//! also produces the errors.

/// Where the string starting at `pos` (its opening quote) ends: the index after its closing
/// quote. Printable ASCII only, no escapes.
pub(crate) fn string_end(input: &[u8], pos: usize) -> Option<usize> {
    if input.get(pos) != Some(&b'"') {
        return None;
    }
    let rest = input.get(pos + 1..)?;
    let len = rest.iter().position(|&b| b == b'"')?;
    rest[..len]
        .iter()
        .all(|&b| (0x20..0x7F).contains(&b) && b != b'\\')
        .then_some(pos + 1 + len + 1)
}

/// The unsigned integer at `pos` and the index after it: `0`, or a digit 1-9 then at most 17
/// more digits (well inside 64 bits).
pub(crate) fn uint_at(input: &[u8], pos: usize) -> Option<(u64, usize)> {
    let digits = input
        .get(pos..)?
        .iter()
        .take(19)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 18 || (digits > 1 && input[pos] == b'0') {
        return None;
    }
    let n = input[pos..pos + digits]
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    Some((n, pos + digits))
}

/// The index after `lit` if the input holds it at `pos`.
pub(crate) fn literal(input: &[u8], pos: usize, lit: &[u8]) -> Option<usize> {
    input
        .get(pos..)?
        .starts_with(lit)
        .then_some(pos + lit.len())
}

/// Where the value starting at `pos` ends, for a value of the recognized subset at nesting
/// depth `depth` (at most `max_depth`).
pub(crate) fn value_end(input: &[u8], pos: usize, depth: usize, max_depth: usize) -> Option<usize> {
    match *input.get(pos)? {
        b'"' => string_end(input, pos),
        b'-' => uint_at(input, pos + 1).and_then(|(n, end)| (n != 0).then_some(end)),
        b'0'..=b'9' => uint_at(input, pos).map(|(_, end)| end),
        b't' => literal(input, pos, b"true"),
        b'f' => literal(input, pos, b"false"),
        b'n' => literal(input, pos, b"null"),
        b'[' if depth < max_depth => {
            let mut p = pos + 1;
            if input.get(p) == Some(&b']') {
                return Some(p + 1);
            }
            loop {
                p = value_end(input, p, depth + 1, max_depth)?;
                match *input.get(p)? {
                    b',' => p += 1,
                    b']' => return Some(p + 1),
                    _ => return None,
                }
            }
        }
        b'{' if depth < max_depth => {
            let mut p = pos + 1;
            if input.get(p) == Some(&b'}') {
                return Some(p + 1);
            }
            let mut last: Option<&[u8]> = None;
            loop {
                let key_end = string_end(input, p)?;
                let key = &input[p + 1..key_end - 1];
                if last.is_some_and(|l| l >= key) {
                    return None;
                }
                last = Some(key);
                p = literal(input, key_end, b":")?;
                p = value_end(input, p, depth + 1, max_depth)?;
                match *input.get(p)? {
                    b',' => p += 1,
                    b'}' => return Some(p + 1),
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// The signed envelope in compact canonical form, exactly
/// `{"signatures":[...],"signed":{...}}`: the spans of the two values. The `signatures` array
/// is recognized here; the `signed` span is only delimited (what follows `"signed":` up to the
/// document's closing brace), for the role's compact reader to recognize whole
/// ([`crate::Signed::from_compact`]) rather than scanning it twice.
pub(crate) fn envelope(
    input: &[u8],
    max_depth: usize,
) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let sigs = literal(input, 0, br#"{"signatures":"#)?;
    if input.get(sigs) != Some(&b'[') {
        return None;
    }
    let sigs_end = value_end(input, sigs, 1, max_depth)?;
    let signed = literal(input, sigs_end, br#","signed":"#)?;
    if input.get(signed) != Some(&b'{') {
        return None;
    }
    let signed_end = input.len().checked_sub(1)?;
    (signed < signed_end && input[signed_end] == b'}')
        .then_some((sigs..sigs_end, signed..signed_end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_recognized_is_its_own_canonical_form() {
        let max = 512;
        for doc in [
            &br#"{"a":[1,-2,"x y",true,false,null,{}],"b":{"c":[]},"d":0}"#[..],
            br#"[]"#,
            br#""""#,
            br#"123456789012345678"#,
        ] {
            assert_eq!(value_end(doc, 0, 0, max), Some(doc.len()), "{doc:?}");
            let v = super::super::parse(doc).unwrap();
            assert_eq!(super::super::write_canonical(&v), doc);
        }
        // Valid JSON outside the subset: left to the general reader.
        for doc in [
            &br#"{"b":1,"a":2}"#[..],
            br#"{"a":1,"a":2}"#,
            br#"{ "a":1}"#,
            br#""\u0041""#,
            br#""tab	""#,
            "\"é\"".as_bytes(),
            br#"-0"#,
            br#"01"#,
            br#"1234567890123456789"#,
            br#"[1,]"#,
            br#"{"a":1"#,
        ] {
            assert_ne!(value_end(doc, 0, 0, max), Some(doc.len()), "{doc:?}");
        }
        assert_eq!(value_end(b"[[[]]]", 0, 0, 2), None);
        assert_eq!(value_end(b"[[[]]]", 0, 0, 3), Some(6));
    }

    #[test]
    fn the_envelope_is_exactly_signatures_then_signed() {
        let doc = br#"{"signatures":[{"keyid":"ab","sig":"cd"}],"signed":{"x":1}}"#;
        let (s, d) = envelope(doc, 512).unwrap();
        assert_eq!(&doc[s], br#"[{"keyid":"ab","sig":"cd"}]"#);
        assert_eq!(&doc[d], br#"{"x":1}"#);
        // The signed span is delimited only: its reader recognizes it.
        let doc = br#"{"signatures":[],"signed":{"x":1},"z":1}"#;
        let (_, d) = envelope(doc, 512).unwrap();
        assert_eq!(&doc[d], br#"{"x":1},"z":1"#);
        for doc in [
            &br#"{"signatures":[],"signed":{"x":1}} "#[..],
            br#"{"signatures":[],"signed":}"#,
            br#"{"signatures":{},"signed":{"x":1}}"#,
            br#"{"signed":{"x":1},"signatures":[]}"#,
        ] {
            assert!(envelope(doc, 512).is_none(), "{doc:?}");
        }
    }
}
