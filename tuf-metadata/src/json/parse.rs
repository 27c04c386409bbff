//! A strict JSON parser (RFC 8259) with the extra rules TUF metadata needs.
//!
//! Refused, each with the byte offset: invalid UTF-8, a byte-order mark, duplicate member names
//! in an object, floating-point numbers, lone surrogates, control characters in strings,
//! trailing data, nesting deeper than [`ParseLimits::max_depth`] (so the recursion is bounded
//! and stack-safe), and input longer than [`ParseLimits::max_bytes`].

use super::value::known_name;
use super::{Map, Name, Number, Value};
use std::fmt;

/// Why a document is not acceptable JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSyntax {
    /// Byte offset in the input where the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

impl fmt::Display for JsonSyntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

impl std::error::Error for JsonSyntax {}

/// Bounds on what the parser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Longest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects accepted.
    pub max_depth: usize,
}

impl Default for ParseLimits {
    /// 128 MiB and 512 levels. Metadata itself nests about six levels, but `custom` and
    /// unrecognized fields are the repository's to fill (python-tuf reads Python's default of
    /// about 1,000 levels), and 512 levels of recursion still fit a 2 MiB thread stack with
    /// room to spare in parsing, canonical writing and dropping.
    fn default() -> Self {
        ParseLimits {
            max_bytes: 128 * 1024 * 1024,
            max_depth: 512,
        }
    }
}

/// Parses `input` with the default [`ParseLimits`].
///
/// ```
/// use tuf_metadata::json::{parse, Value};
///
/// let v = parse(br#"{"big": 100000000000000000000000000000}"#).unwrap();
/// assert_eq!(v.as_object().unwrap()["big"], Value::Number(
///     tuf_metadata::json::Number::from_text("100000000000000000000000000000").unwrap()));
/// assert!(parse(br#"{"a": 1, "a": 2}"#).is_err());
/// assert!(parse(b"1.5").is_err());
/// ```
pub fn parse(input: &[u8]) -> Result<Value, JsonSyntax> {
    parse_with(input, ParseLimits::default())
}

/// Parses `input` under the given limits.
pub fn parse_with(input: &[u8], limits: ParseLimits) -> Result<Value, JsonSyntax> {
    if input.len() > limits.max_bytes {
        return Err(JsonSyntax {
            offset: limits.max_bytes,
            reason: format!(
                "document of {} bytes exceeds the limit of {} bytes",
                input.len(),
                limits.max_bytes
            ),
        });
    }
    if input.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(err(0, "byte-order mark is not allowed"));
    }
    let mut p = Parser {
        input,
        pos: 0,
        max_depth: limits.max_depth,
        members: Vec::new(),
        items: Vec::new(),
    };
    p.skip_ws();
    let v = p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(err(p.pos, "trailing data after the JSON value"));
    }
    Ok(v)
}

fn err(offset: usize, reason: &str) -> JsonSyntax {
    JsonSyntax {
        offset,
        reason: reason.to_owned(),
    }
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    max_depth: usize,
    /// Members of the objects being parsed (nested ones above their parent's), with the
    /// offset of each name: every object is then allocated once, at its exact size (a
    /// snapshot has 16,384 one-member objects; grown one push at a time, each would hold four).
    members: Vec<(Name, Value, usize)>,
    /// Items of the arrays being parsed, likewise.
    items: Vec<Value>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, lit: &[u8], v: Value) -> Result<Value, JsonSyntax> {
        if self.input[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Ok(v)
        } else {
            Err(err(self.pos, "invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonSyntax> {
        match self.peek() {
            None => Err(err(self.pos, "unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.expect_literal(b"true", Value::Bool(true)),
            Some(b'f') => self.expect_literal(b"false", Value::Bool(false)),
            Some(b'n') => self.expect_literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(err(self.pos, "unexpected character")),
        }
    }

    fn enter(&self, depth: usize) -> Result<(), JsonSyntax> {
        if depth > self.max_depth {
            Err(JsonSyntax {
                offset: self.pos,
                reason: format!("nesting deeper than {} levels", self.max_depth),
            })
        } else {
            Ok(())
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonSyntax> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(Map::new()));
        }
        let base = self.members.len();
        let result = self.members_until_close(depth);
        let members = self.members.drain(base..);
        result?;
        // Sorted (as every TUF writer writes): taken as they are; else inserted one by one,
        // which also finds a duplicate name.
        let mut sorted = Vec::with_capacity(members.len());
        let mut rest = Vec::new();
        for (key, v, at) in members {
            if rest.is_empty()
                && sorted
                    .last()
                    .is_none_or(|(last, _): &(Name, Value)| *last < key)
            {
                sorted.push((key, v));
            } else {
                rest.push((key, v, at));
            }
        }
        let mut map = Map::from_sorted(sorted);
        for (key, v, at) in rest {
            if let Err((key, _)) = map.insert_new(key, v) {
                return Err(JsonSyntax {
                    offset: at,
                    reason: format!("duplicate member name {key:?}"),
                });
            }
        }
        Ok(Value::Object(map))
    }

    /// Parses members onto [`Parser::members`] up to and including the closing `}`.
    fn members_until_close(&mut self, depth: usize) -> Result<(), JsonSyntax> {
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(err(self.pos, "expected a member name string"));
            }
            let key_at = self.pos;
            let key = self.name()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(err(self.pos, "expected ':' after member name"));
            }
            self.pos += 1;
            self.skip_ws();
            let v = self.value(depth)?;
            self.members.push((key, v, key_at));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(err(self.pos, "expected ',' or '}' in object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonSyntax> {
        self.enter(depth)?;
        self.pos += 1; // '['
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(Vec::new()));
        }
        let base = self.items.len();
        let result = self.items_until_close(depth);
        let items: Vec<Value> = self.items.drain(base..).collect();
        result.map(|()| Value::Array(items))
    }

    /// Parses items onto [`Parser::items`] up to and including the closing `]`.
    fn items_until_close(&mut self, depth: usize) -> Result<(), JsonSyntax> {
        loop {
            self.skip_ws();
            let v = self.value(depth)?;
            self.items.push(v);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(err(self.pos, "expected ',' or ']' in array")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, JsonSyntax> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits_at = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        if self.pos == digits_at {
            return Err(err(self.pos, "expected digits"));
        }
        if self.input[digits_at] == b'0' && self.pos - digits_at > 1 {
            return Err(err(digits_at, "leading zeros are not allowed"));
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return Err(err(
                start,
                "floating-point numbers are not allowed (canonical JSON has only integers)",
            ));
        }
        // The slice is ASCII digits with an optional sign: valid UTF-8 and a valid integer.
        let text = std::str::from_utf8(&self.input[start..self.pos])
            .map_err(|_| err(start, "invalid number"))?;
        Number::from_text(text)
            .map(Value::Number)
            .ok_or_else(|| err(start, "invalid number"))
    }

    /// A member name: well-known names are borrowed, not allocated.
    fn name(&mut self) -> Result<Name, JsonSyntax> {
        let start = self.pos + 1;
        let end = self.input[start..]
            .iter()
            .take(20)
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .map(|i| start + i);
        if let Some(end) = end.filter(|&e| self.input[e] == b'"')
            && let Some(known) = std::str::from_utf8(&self.input[start..end])
                .ok()
                .and_then(known_name)
        {
            self.pos = end + 1;
            return Ok(Name::Borrowed(known));
        }
        self.string().map(Name::Owned)
    }

    fn string(&mut self) -> Result<String, JsonSyntax> {
        self.pos += 1; // opening quote
        let start = self.pos;
        // Fast path: no escapes.
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    let s = std::str::from_utf8(&self.input[start..self.pos])
                        .map_err(|e| err(start + e.valid_up_to(), "invalid UTF-8"))?;
                    self.pos += 1;
                    return Ok(s.to_owned());
                }
                b'\\' => break,
                0..=0x1F => return Err(err(self.pos, "control character in string")),
                _ => self.pos += 1,
            }
        }
        let mut out: Vec<u8> = self.input[start..self.pos].to_vec();
        loop {
            let Some(b) = self.peek() else {
                return Err(err(self.pos, "unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return String::from_utf8(out)
                        .map_err(|e| err(start + e.utf8_error().valid_up_to(), "invalid UTF-8"));
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(err(self.pos, "unterminated escape"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0C),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let c = self.unicode_escape()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(err(self.pos - 1, "invalid escape")),
                    }
                }
                0..=0x1F => return Err(err(self.pos, "control character in string")),
                _ => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonSyntax> {
        let Some(digits) = self.input.get(self.pos..self.pos + 4) else {
            return Err(err(self.pos, "truncated \\u escape"));
        };
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| err(self.pos, "invalid \\u escape"))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonSyntax> {
        let at = self.pos;
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.input[self.pos..].starts_with(b"\\u") {
                    return Err(err(at, "lone high surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(err(at, "high surrogate without a low surrogate"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(err(at, "lone low surrogate")),
            c => c,
        };
        char::from_u32(code).ok_or_else(|| err(at, "invalid code point"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_in_any_order_are_sorted_and_duplicates_found_wherever_they_are() {
        let v = parse(br#"{"b":{"y":[1,{"q":2,"p":3}],"x":[]},"a":2,"c":{}}"#).unwrap();
        assert_eq!(
            super::super::write_canonical(&v),
            br#"{"a":2,"b":{"x":[],"y":[1,{"p":3,"q":2}]},"c":{}}"#
        );
        for (input, at) in [
            (&br#"{"b":1,"a":2,"b":3}"#[..], 13),
            (br#"{"a":1,"a":2}"#, 7),
            (br#"{"a":{"c":1,"d":{"c":1},"c":2},"b":1}"#, 24),
        ] {
            let e = parse(input).unwrap_err();
            assert!(e.reason.contains("duplicate member name"), "{e}");
            assert_eq!(e.offset, at, "{}", String::from_utf8_lossy(input));
        }
        // A failure deep inside leaves nothing behind for the next parse.
        assert!(parse(br#"{"a":[1,{"b":[2,}]}"#).is_err());
        assert_eq!(
            parse(br#"{"a":[1]}"#).unwrap(),
            parse(br#"{ "a" : [ 1 ] }"#).unwrap()
        );
    }
}
