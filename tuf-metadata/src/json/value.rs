//! The JSON value model.

/// A JSON object: members kept sorted by name in code-point order (the order canonical JSON
/// and python-tuf write), each name at most once.
///
/// Stored as one sorted vector: a sorted document (what every TUF writer produces) is read
/// with one push per member and no tree nodes, and lookups are binary searches.
///
/// ```
/// use tuf_metadata::json::{Map, Value};
///
/// let mut m = Map::new();
/// m.insert("b", Value::Null);
/// m.insert("a", true.into());
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(m["a"], Value::Bool(true));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Map {
    entries: Vec<(Name, Value)>,
}

/// A member name. The field names of the TUF specification are borrowed from static strings
/// when parsed (no allocation for `version`, `hashes`, `keyid`...); any other name is owned.
pub type Name = std::borrow::Cow<'static, str>;

/// Member names of the specification's formats, shared instead of allocated when parsed.
const KNOWN_NAMES: [&str; 39] = [
    "_type",
    "bit_length",
    "consistent_snapshot",
    "custom",
    "delegations",
    "expires",
    "hashes",
    "keyid",
    "keyids",
    "keys",
    "keytype",
    "keyval",
    "length",
    "meta",
    "name",
    "name_prefix",
    "path_hash_prefixes",
    "paths",
    "public",
    "roles",
    "root",
    "scheme",
    "sha256",
    "sha512",
    "sig",
    "signatures",
    "signed",
    "snapshot",
    "snapshot.json",
    "spec_version",
    "succinct_roles",
    "targets",
    "targets.json",
    "terminating",
    "threshold",
    "timestamp",
    "version",
    "ed25519",
    "ecdsa",
];

/// The static copy of `s` if it is a well-known member name.
pub(crate) fn known_name(s: &str) -> Option<&'static str> {
    // Every known name is 3 to 19 bytes; skip the search for anything else (target paths,
    // digests, keyids).
    if !(3..=19).contains(&s.len()) {
        return None;
    }
    KNOWN_NAMES.iter().copied().find(|k| *k == s)
}

impl Map {
    /// An empty object.
    pub const fn new() -> Map {
        Map {
            entries: Vec::new(),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_ref().cmp(key))
    }

    /// The member named `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The member named `key`, to edit.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// Whether a member named `key` exists.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets member `key`, returning the value it replaces.
    pub fn insert(&mut self, key: impl Into<Name>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// A map of `entries` already sorted by name, each name once (the parser checked).
    pub(crate) fn from_sorted(entries: Vec<(Name, Value)>) -> Map {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Map { entries }
    }

    /// Adds a member that must not exist yet; gives it back if it does. Appending in sorted
    /// order costs O(1).
    pub(crate) fn insert_new(&mut self, key: Name, value: Value) -> Result<(), (Name, Value)> {
        if self
            .entries
            .last()
            .is_none_or(|(last, _)| last.as_ref() < key.as_ref())
        {
            self.entries.push((key, value));
            return Ok(());
        }
        match self.find(&key) {
            Ok(_) => Err((key, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                Ok(())
            }
        }
    }

    /// Removes member `key`.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// Members in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Name, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Names in order.
    pub fn keys(&self) -> impl Iterator<Item = &Name> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in name order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;

    /// Panics when the member is missing, like `BTreeMap`'s index.
    fn index(&self, key: &str) -> &Value {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no member named {key:?}"),
        }
    }
}

impl IntoIterator for Map {
    type Item = (Name, Value);
    type IntoIter = std::vec::IntoIter<(Name, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Into<Name>> FromIterator<(K, Value)> for Map {
    /// Collects members; for a repeated name the last value wins.
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Map {
        let mut entries: Vec<(Name, Value)> =
            iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable sort keeps insertion order among equal names; keep the last of each run.
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out: Vec<(Name, Value)> = Vec::with_capacity(entries.len());
            for e in entries {
                match out.last_mut() {
                    Some(last) if last.0 == e.0 => *last = e,
                    _ => out.push(e),
                }
            }
            entries = out;
        }
        Map { entries }
    }
}

/// A JSON integer of any size, kept exactly, so `2^64` or `10^30` survive a round trip.
///
/// Integers that fit in 64 bits are stored inline (no allocation); larger ones as their
/// decimal text. TUF metadata holds no floating-point numbers: canonical JSON cannot express
/// them, so the parser refuses them.
///
/// ```
/// use tuf_metadata::json::Number;
///
/// let n = Number::from_text("100000000000000000000000000000").unwrap();
/// assert_eq!(n.to_string(), "100000000000000000000000000000");
/// assert_eq!(n.as_u64(), None);
/// assert_eq!(Number::from_text("-0").unwrap().as_u64(), Some(0));
/// assert!(Number::from_text("007").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// 0 to 2^64-1.
    Unsigned(u64),
    /// -2^63 to -1.
    Negative(i64),
    /// Anything else: validated decimal text, never representable as the two above.
    Big(Box<str>),
}

impl Number {
    /// Reads decimal text: an optional `-` then digits without leading zeros. `-0` is read
    /// as `0`, as Python reads it.
    pub fn from_text(text: &str) -> Option<Number> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let valid = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits == "0" || !digits.starts_with('0'));
        if !valid {
            return None;
        }
        if text == "-0" {
            return Some(Number(Repr::Unsigned(0)));
        }
        if let Ok(n) = text.parse::<u64>() {
            return Some(Number(Repr::Unsigned(n)));
        }
        if let Ok(n) = text.parse::<i64>() {
            return Some(Number(Repr::Negative(n)));
        }
        Some(Number(Repr::Big(text.into())))
    }

    /// The value as a `u64`, if it is non-negative and fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::Unsigned(n) => Some(n),
            _ => None,
        }
    }

    /// The value as an `i64`, if it fits.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::Unsigned(n) => i64::try_from(n).ok(),
            Repr::Negative(n) => Some(n),
            Repr::Big(_) => None,
        }
    }

    /// Appends the decimal text to `out`.
    pub(crate) fn write_into(&self, out: &mut Vec<u8>) {
        match &self.0 {
            Repr::Unsigned(n) => push_u64(out, *n),
            Repr::Negative(n) => {
                out.push(b'-');
                push_u64(out, n.unsigned_abs());
            }
            Repr::Big(s) => out.extend_from_slice(s.as_bytes()),
        }
    }
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Repr::Unsigned(n) => write!(f, "{n}"),
            Repr::Negative(n) => write!(f, "{n}"),
            Repr::Big(s) => f.write_str(s),
        }
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Number {
        Number(Repr::Unsigned(n))
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Number {
        match u64::try_from(n) {
            Ok(u) => Number(Repr::Unsigned(u)),
            Err(_) => Number(Repr::Negative(n)),
        }
    }
}

/// A JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// An integer of any size.
    Number(Number),
    /// A string (any Unicode scalar values).
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

impl Value {
    /// A short name of the value's JSON type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "integer",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The integer as `u64`, if this is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(n.into())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::Array(v)
    }
}
