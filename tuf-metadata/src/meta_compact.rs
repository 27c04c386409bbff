//! The fast reader of a snapshot's `meta` (spec 4.4) in compact canonical form: a PyPI-sized
//! snapshot lists 16,384 files, and reading them straight from the bytes into a [`MetaMap`]
//! skips the value tree the general reader builds (two allocations per entry) and the
//! canonical form it writes again. Entries of the shape this project's writer produces
//! (`{"version":N}`, optionally with `hashes` and `length`) are read; for anything else the
//! reader answers `None` and the general reader reads the document, errors included.

use crate::files::{Hashes, MetaFile};
use crate::json::Map;
use crate::json::compact::{literal, string_end, uint_at};
use crate::meta_map::MetaMap;

/// The `meta` object starting at `pos`: its entries and the index after it.
pub(crate) fn read_meta(b: &[u8], pos: usize) -> Option<(MetaMap, usize)> {
    let mut p = literal(b, pos, b"{")?;
    let mut meta = MetaMap::new();
    if b.get(p) == Some(&b'}') {
        return Some((meta, p + 1));
    }
    let mut last: Option<&[u8]> = None;
    loop {
        let key_end = string_end(b, p)?;
        let key = &b[p + 1..key_end - 1];
        // Strictly increasing: sorted, and no name twice.
        if last.is_some_and(|l| l >= key) {
            return None;
        }
        last = Some(key);
        let (file, end) = read_entry(b, literal(b, key_end, b":")?)?;
        meta.push_sorted(std::str::from_utf8(key).ok()?, file);
        p = end;
        match *b.get(p)? {
            b',' => p += 1,
            b'}' => return Some((meta, p + 1)),
            _ => return None,
        }
    }
}

/// One entry, `{"hashes":{...},"length":N,"version":N}` with the first two optional.
fn read_entry(b: &[u8], pos: usize) -> Option<(MetaFile, usize)> {
    let mut p = literal(b, pos, b"{")?;
    let mut hashes = None;
    if let Some(h) = literal(b, p, br#""hashes":"#) {
        let (read, end) = read_hashes(b, h)?;
        hashes = Some(read);
        p = literal(b, end, b",")?;
    }
    let mut length = None;
    if let Some(l) = literal(b, p, br#""length":"#) {
        let (n, end) = uint_at(b, l)?;
        length = Some(n);
        p = literal(b, end, b",")?;
    }
    let (version, end) = uint_at(b, literal(b, p, br#""version":"#)?)?;
    // Version 0 is an error: the general reader names it.
    if version == 0 {
        return None;
    }
    let end = literal(b, end, b"}")?;
    let file = MetaFile::with_parts(version, length, hashes, Map::new());
    Some((file, end))
}

/// `{"ALG":"HEX",...}`: at least one, algorithms strictly increasing, digests non-empty
/// even-length hex.
fn read_hashes(b: &[u8], pos: usize) -> Option<(Hashes, usize)> {
    let mut p = literal(b, pos, b"{")?;
    let mut pairs: Vec<(String, String)> = Vec::new();
    loop {
        let alg_end = string_end(b, p)?;
        let alg = std::str::from_utf8(&b[p + 1..alg_end - 1]).ok()?;
        if pairs.last().is_some_and(|(l, _)| l.as_str() >= alg) {
            return None;
        }
        let d = literal(b, alg_end, b":")?;
        let d_end = string_end(b, d)?;
        let digest = std::str::from_utf8(&b[d + 1..d_end - 1]).ok()?;
        if digest.is_empty()
            || !digest.len().is_multiple_of(2)
            || !digest.bytes().all(|c| c.is_ascii_hexdigit())
        {
            return None;
        }
        pairs.push((alg.to_owned(), digest.to_owned()));
        p = d_end;
        match *b.get(p)? {
            b',' => p += 1,
            b'}' => return Some((Hashes::sorted(pairs), p + 1)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::common::Signed;
    use crate::json::{Layout, compact::envelope};
    use crate::{Expiry, Hashes, MetaFile, Metadata, Snapshot};

    #[test]
    fn the_writers_compact_snapshot_takes_the_fast_reader() {
        let mut s = Snapshot::new(Expiry::parse("2030-01-01T00:00:00Z").unwrap());
        for i in 0..50u64 {
            let mut f = MetaFile::new(i + 1);
            if i % 2 == 0 {
                f.set_length(Some(i * 100));
                f.set_hashes(Some(Hashes::of(b"x", &[tuf_crypto::HashAlgorithm::Sha256])));
            }
            s.meta.insert(format!("bin-{i:02}.json"), f);
        }
        let bytes = Metadata::new(s.clone()).to_bytes(Layout::Compact);
        let (_, signed) = envelope(&bytes, 512).unwrap();
        let read = Snapshot::from_compact(&bytes[signed], "snapshot")
            .unwrap()
            .unwrap();
        assert_eq!(read, s);
        // Pretty-printed: not this reader's.
        let pretty = Metadata::new(s).to_bytes(Layout::Pretty);
        assert!(envelope(&pretty, 512).is_none());
    }
}
