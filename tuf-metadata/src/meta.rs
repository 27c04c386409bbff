//! The timestamp and snapshot roles (spec 4.4, 4.5): versions (and hashes) of metadata files.

use crate::MetadataError;
use crate::common::{Common, Signed, decode_signed, encode_signed};
use crate::expiry::Expiry;
use crate::fields::Fields;
use crate::files::MetaFile;
use crate::json::compact::{literal, string_end, uint_at};
use crate::json::{Map, Value};
use crate::meta_compact::read_meta;
pub use crate::meta_map::MetaMap;

fn decode_meta(f: &mut Fields<'_>) -> Result<MetaMap, MetadataError> {
    let path = f.path.key("meta");
    let v = f.req("meta")?;
    let map = f.ctx.object(v, &path)?;
    // The parsed object is sorted by name: each entry is appended, at the exact size.
    let mut meta = MetaMap::with_capacity(map.len());
    for (name, entry) in map {
        let m = MetaFile::decode(entry, &path.key(&name), f.ctx)?;
        meta.insert(name.into_owned(), m);
    }
    Ok(meta)
}

fn meta_value(meta: &MetaMap) -> Value {
    Value::Object(
        meta.iter()
            .map(|(k, v)| (k.to_owned(), v.to_value()))
            .collect(),
    )
}

/// `timestamp.json`'s `signed` object: the current snapshot's version (spec 4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// Header fields.
    pub common: Common,
    /// The `meta` entry for `snapshot.json`.
    pub snapshot_meta: MetaFile,
    /// Any other `meta` entries (none in the specification), kept for the round trip.
    pub extra_meta: MetaMap,
}

impl Timestamp {
    /// A version-1 timestamp pointing at `snapshot`.
    pub fn new(expires: Expiry, snapshot: MetaFile) -> Timestamp {
        Timestamp {
            common: Common::new(expires),
            snapshot_meta: snapshot,
            extra_meta: MetaMap::new(),
        }
    }
}

impl Signed for Timestamp {
    const TYPE: &'static str = "timestamp";

    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn from_value(v: Value, role: &str) -> Result<Timestamp, MetadataError> {
        let (common, (snapshot_meta, extra_meta)) = decode_signed(v, role, Self::TYPE, |f| {
            let mut meta = decode_meta(f)?;
            let snap = meta
                .remove("snapshot.json")
                .ok_or_else(|| f.ctx.fail(&f.path.key("meta"), "must list snapshot.json"))?;
            Ok((snap, meta))
        })?;
        Ok(Timestamp {
            common,
            snapshot_meta,
            extra_meta,
        })
    }

    fn to_value(&self) -> Value {
        let mut meta = meta_value(&self.extra_meta);
        if let Value::Object(m) = &mut meta {
            m.insert("snapshot.json", self.snapshot_meta.to_value());
        }
        let mut m = Map::new();
        m.insert("meta", meta);
        encode_signed(&self.common, Self::TYPE, m)
    }
}

/// `snapshot.json`'s `signed` object: the version of every targets metadata file (spec 4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Header fields.
    pub common: Common,
    /// `meta`: `targets.json` and every delegated role's file.
    pub meta: MetaMap,
}

impl Snapshot {
    /// A version-1 snapshot listing `targets.json` version 1.
    pub fn new(expires: Expiry) -> Snapshot {
        Snapshot {
            common: Common::new(expires),
            meta: [("targets.json".to_owned(), MetaFile::new(1))]
                .into_iter()
                .collect(),
        }
    }

    /// The entry for role `role` (`targets`, or a delegated role name).
    pub fn role_meta(&self, role: &str) -> Option<&MetaFile> {
        self.meta.get(&format!("{role}.json"))
    }
}

impl Signed for Snapshot {
    const TYPE: &'static str = "snapshot";

    fn common(&self) -> &Common {
        &self.common
    }
    fn common_mut(&mut self) -> &mut Common {
        &mut self.common
    }

    fn from_value(v: Value, role: &str) -> Result<Snapshot, MetadataError> {
        let (common, meta) = decode_signed(v, role, Self::TYPE, decode_meta)?;
        Ok(Snapshot { common, meta })
    }

    const HAS_COMPACT_READER: bool = true;

    /// `{"_type":…,"expires":…,"meta":{…},"spec_version":…,"version":N}` exactly: `meta` by
    /// the compact reader of this crate (`meta_compact`), the header by the general decoder.
    fn from_compact(b: &[u8], role: &str) -> Option<Result<Snapshot, MetadataError>> {
        let string = |start: usize, end: usize| {
            Value::String(String::from_utf8_lossy(&b[start + 1..end - 1]).into_owned())
        };
        let t = literal(b, 0, br#"{"_type":"#)?;
        let t_end = string_end(b, t)?;
        let e = literal(b, t_end, br#","expires":"#)?;
        let e_end = string_end(b, e)?;
        let (meta, m_end) = read_meta(b, literal(b, e_end, br#","meta":"#)?)?;
        let s = literal(b, m_end, br#","spec_version":"#)?;
        let s_end = string_end(b, s)?;
        let (version, v_end) = uint_at(b, literal(b, s_end, br#","version":"#)?)?;
        if b.get(v_end..) != Some(b"}") {
            return None;
        }
        let mut header = Map::new();
        header.insert("_type", string(t, t_end));
        header.insert("expires", string(e, e_end));
        header.insert("spec_version", string(s, s_end));
        header.insert("version", version.into());
        let read = decode_signed(Value::Object(header), role, Self::TYPE, |_| Ok(()));
        Some(read.map(|(common, ())| Snapshot { common, meta }))
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("meta", meta_value(&self.meta));
        encode_signed(&self.common, Self::TYPE, m)
    }
}
