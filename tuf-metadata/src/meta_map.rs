//! [`MetaMap`]: the `meta` entries of a snapshot or timestamp, by file name.

use crate::files::MetaFile;

/// `meta` entries by file name (`snapshot.json`, `targets.json`, `bins-0a.json`...), kept in
/// one vector sorted by name, the names in one shared buffer.
///
/// A PyPI-sized snapshot lists 16,384 files: read, they arrive sorted and are stored at their
/// exact size with no tree nodes, no allocation per name and no second copy; lookups are
/// binary searches. Inserting in name order (as a repository builds its bins) appends.
///
/// ```
/// use tuf_metadata::{MetaFile, MetaMap};
///
/// let mut m = MetaMap::new();
/// m.insert("targets.json".into(), MetaFile::new(2));
/// m.insert("bins.json".into(), MetaFile::new(1));
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["bins.json", "targets.json"]);
/// assert_eq!(m.get("targets.json").map(|f| f.version), Some(2));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MetaMap {
    /// Every name ever inserted, one after another (a replaced entry keeps its bytes).
    names: String,
    /// Sorted by name: where the name lies in `names`, and the entry.
    entries: Vec<(Span, MetaFile)>,
}

/// A name's place in [`MetaMap::names`].
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

impl PartialEq for MetaMap {
    fn eq(&self, other: &MetaMap) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for MetaMap {}

impl MetaMap {
    /// An empty map.
    pub fn new() -> MetaMap {
        MetaMap::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> MetaMap {
        MetaMap {
            names: String::new(),
            entries: Vec::with_capacity(n),
        }
    }

    fn name(&self, span: Span) -> &str {
        &self.names[span.start as usize..(span.start + span.len) as usize]
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(span, _)| self.name(*span).cmp(name))
    }

    /// Stores `name`'s bytes; a name that does not fit the 32-bit offsets (4 GiB of names)
    /// is refused by panicking, as an allocation failure would be.
    fn span(&mut self, name: &str) -> Span {
        let start = u32::try_from(self.names.len()).expect("meta names within 4 GiB");
        let len = u32::try_from(name.len()).expect("meta name within 4 GiB");
        start.checked_add(len).expect("meta names within 4 GiB");
        self.names.push_str(name);
        Span { start, len }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry for file `name`.
    pub fn get(&self, name: &str) -> Option<&MetaFile> {
        self.find(name).ok().map(|i| &self.entries[i].1)
    }

    /// The entry for file `name`, to edit.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut MetaFile> {
        self.find(name).ok().map(|i| &mut self.entries[i].1)
    }

    /// Whether file `name` has an entry.
    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Sets the entry for `name`, returning the one it replaces.
    pub fn insert(&mut self, name: String, file: MetaFile) -> Option<MetaFile> {
        let after_last = self
            .entries
            .last()
            .is_none_or(|(last, _)| self.name(*last) < name.as_str());
        if after_last {
            self.push_sorted(&name, file);
            return None;
        }
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, file)),
            Err(i) => {
                let span = self.span(&name);
                self.entries.insert(i, (span, file));
                None
            }
        }
    }

    /// Appends an entry whose name sorts after every name already here (the caller checked).
    pub(crate) fn push_sorted(&mut self, name: &str, file: MetaFile) {
        debug_assert!(
            self.entries
                .last()
                .is_none_or(|(last, _)| self.name(*last) < name)
        );
        let span = self.span(name);
        self.entries.push((span, file));
    }

    /// Removes and returns the entry for `name`.
    pub fn remove(&mut self, name: &str) -> Option<MetaFile> {
        self.find(name).ok().map(|i| self.entries.remove(i).1)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.names.clear();
    }

    /// The entries in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &MetaFile)> + ExactSizeIterator {
        self.entries.iter().map(|(span, f)| (self.name(*span), f))
    }

    /// The file names in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.entries.iter().map(|(span, _)| self.name(*span))
    }

    /// The entries in name order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &MetaFile> + ExactSizeIterator {
        self.entries.iter().map(|(_, f)| f)
    }
}

impl std::ops::Index<&str> for MetaMap {
    type Output = MetaFile;
    /// The entry for a file name; panics if there is none (as `BTreeMap` does).
    fn index(&self, name: &str) -> &MetaFile {
        self.get(name)
            .unwrap_or_else(|| panic!("no meta entry for {name}"))
    }
}

impl FromIterator<(String, MetaFile)> for MetaMap {
    /// Collects entries; of two with the same name the later one is kept.
    fn from_iter<I: IntoIterator<Item = (String, MetaFile)>>(iter: I) -> MetaMap {
        let mut m = MetaMap::new();
        m.extend(iter);
        m
    }
}

impl Extend<(String, MetaFile)> for MetaMap {
    fn extend<I: IntoIterator<Item = (String, MetaFile)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for MetaMap {
    type Item = (String, MetaFile);
    type IntoIter = std::vec::IntoIter<(String, MetaFile)>;
    fn into_iter(self) -> Self::IntoIter {
        let names = self.names;
        self.entries
            .into_iter()
            .map(|(span, f)| {
                let name = names[span.start as usize..(span.start + span.len) as usize].to_owned();
                (name, f)
            })
            .collect::<Vec<_>>()
            .into_iter()
    }
}

impl<'a> IntoIterator for &'a MetaMap {
    type Item = (&'a str, &'a MetaFile);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a MetaFile)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_of_a_snapshot_costs_twenty_four_bytes() {
        // 16,384 bins: 393 KB of entries instead of 1.3 MB with the optional parts inline.
        assert_eq!(std::mem::size_of::<MetaFile>(), 16);
        assert_eq!(std::mem::size_of::<(Span, MetaFile)>(), 24);
        let mut f = MetaFile::new(2);
        f.set_length(Some(5));
        f.set_length(None);
        assert_eq!(f, MetaFile::new(2));
        f.unrecognized_mut().insert("x", true.into());
        assert_ne!(f, MetaFile::new(2));
    }

    #[test]
    fn entries_stay_sorted_and_unique_in_any_insertion_order() {
        let mut m = MetaMap::new();
        for (name, v) in [("b.json", 1), ("a.json", 2), ("c.json", 3), ("b.json", 4)] {
            m.insert(name.into(), MetaFile::new(v));
        }
        let got: Vec<_> = m.iter().map(|(k, f)| (k, f.version)).collect();
        assert_eq!(got, [("a.json", 2), ("b.json", 4), ("c.json", 3)]);
        assert_eq!(m.remove("b.json").map(|f| f.version), Some(4));
        assert!(!m.contains_key("b.json") && m.len() == 2);
        let collected: MetaMap = [
            ("z".to_owned(), MetaFile::new(1)),
            ("y".into(), MetaFile::new(2)),
        ]
        .into_iter()
        .collect();
        assert_eq!(collected.keys().collect::<Vec<_>>(), ["y", "z"]);
    }
}
