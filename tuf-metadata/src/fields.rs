//! Decoding helpers: take fields out of JSON objects with errors that name role, field and rule.
//!
//! Field paths are a borrowed chain rendered only when an error is made, so the happy path
//! allocates nothing for them.

use crate::MetadataError;
use crate::json::{Map, Value};
use std::fmt::Write as _;

/// One step of a field path.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A field path: `signed.delegations.roles[3].keyids`.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    pub(crate) fn root(name: &'a str) -> Path<'a> {
        Path {
            parent: None,
            seg: Seg::Key(name),
        }
    }
    pub(crate) fn key(&'a self, k: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(k),
        }
    }
    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }
    pub(crate) fn render(&self) -> String {
        let mut segs = vec![self.seg];
        let mut cur = self.parent;
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Key(k) if out.is_empty() => out.push_str(k),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Seg::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        out
    }
}

/// Which role is being decoded, for error messages.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub(crate) role: &'a str,
}

impl Ctx<'_> {
    pub(crate) fn fail(&self, path: &Path<'_>, rule: impl Into<String>) -> MetadataError {
        MetadataError::Field {
            role: self.role.to_owned(),
            field: path.render(),
            rule: rule.into(),
        }
    }

    fn wrong_type(&self, path: &Path<'_>, expected: &str, v: &Value) -> MetadataError {
        self.fail(path, format!("must be {expected}, found {}", v.type_name()))
    }

    pub(crate) fn object(&self, v: Value, path: &Path<'_>) -> Result<Map, MetadataError> {
        match v {
            Value::Object(m) => Ok(m),
            other => Err(self.wrong_type(path, "an object", &other)),
        }
    }

    pub(crate) fn array(&self, v: Value, path: &Path<'_>) -> Result<Vec<Value>, MetadataError> {
        match v {
            Value::Array(a) => Ok(a),
            other => Err(self.wrong_type(path, "an array", &other)),
        }
    }

    pub(crate) fn string(&self, v: Value, path: &Path<'_>) -> Result<String, MetadataError> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(self.wrong_type(path, "a string", &other)),
        }
    }

    pub(crate) fn boolean(&self, v: Value, path: &Path<'_>) -> Result<bool, MetadataError> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(self.wrong_type(path, "a boolean", &other)),
        }
    }

    /// A non-negative integer that fits in 64 bits.
    pub(crate) fn uint(&self, v: Value, path: &Path<'_>) -> Result<u64, MetadataError> {
        match &v {
            Value::Number(n) => n.as_u64().ok_or_else(|| {
                self.fail(
                    path,
                    format!("must be an integer from 0 to 2^64-1, found {n}"),
                )
            }),
            other => Err(self.wrong_type(path, "an integer", other)),
        }
    }

    /// An array of strings.
    pub(crate) fn strings(&self, v: Value, path: &Path<'_>) -> Result<Vec<String>, MetadataError> {
        let items = self.array(v, path)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            out.push(self.string(item, &path.index(i))?);
        }
        Ok(out)
    }

    /// Starts taking fields out of an object.
    pub(crate) fn fields<'p>(
        &'p self,
        v: Value,
        path: &'p Path<'p>,
    ) -> Result<Fields<'p>, MetadataError> {
        Ok(Fields {
            map: self.object(v, path)?,
            path,
            ctx: self,
        })
    }
}

/// An object whose known fields are taken out one by one; what is left is unrecognized and
/// kept for the round trip.
pub(crate) struct Fields<'p> {
    map: Map,
    pub(crate) path: &'p Path<'p>,
    pub(crate) ctx: &'p Ctx<'p>,
}

impl Fields<'_> {
    /// Takes a required field.
    pub(crate) fn req(&mut self, key: &str) -> Result<Value, MetadataError> {
        self.map
            .remove(key)
            .ok_or_else(|| self.ctx.fail(&self.path.key(key), "is required"))
    }

    /// Takes an optional field.
    pub(crate) fn opt(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    pub(crate) fn req_string(&mut self, key: &str) -> Result<String, MetadataError> {
        let v = self.req(key)?;
        self.ctx.string(v, &self.path.key(key))
    }

    pub(crate) fn req_uint(&mut self, key: &str) -> Result<u64, MetadataError> {
        let v = self.req(key)?;
        self.ctx.uint(v, &self.path.key(key))
    }

    pub(crate) fn req_bool(&mut self, key: &str) -> Result<bool, MetadataError> {
        let v = self.req(key)?;
        self.ctx.boolean(v, &self.path.key(key))
    }

    pub(crate) fn fail(&self, key: &str, rule: impl Into<String>) -> MetadataError {
        self.ctx.fail(&self.path.key(key), rule)
    }

    /// What remains: the unrecognized fields.
    pub(crate) fn rest(self) -> Map {
        self.map
    }
}

/// Puts `unrecognized` fields back beside the known ones when writing.
pub(crate) fn with_rest(mut known: Map, unrecognized: &Map) -> Value {
    for (k, v) in unrecognized.iter() {
        if !known.contains_key(k) {
            known.insert(k.clone(), v.clone());
        }
    }
    Value::Object(known)
}
