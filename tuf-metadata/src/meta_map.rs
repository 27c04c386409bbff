//! [`MetaMap`]: the `meta` entries of a snapshot or timestamp, by file name.

use crate::files::MetaFile;

/// `meta` entries by file name (`snapshot.json`, `targets.json`, `bins-0a.json`...), kept in
/// one vector sorted by name.
///
/// A PyPI-sized snapshot lists 16,384 files: read, they arrive sorted and are stored at their
/// exact size with no tree nodes and no second copy; lookups are binary searches. Inserting in
/// name order (as a repository builds its bins) appends.
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetaMap {
    entries: Vec<(String, MetaFile)>,
}

impl MetaMap {
    /// An empty map.
    pub fn new() -> MetaMap {
        MetaMap::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> MetaMap {
        MetaMap {
            entries: Vec::with_capacity(n),
        }
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(name))
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
        if self.entries.last().is_none_or(|(last, _)| *last < name) {
            self.entries.push((name, file));
            return None;
        }
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, file)),
            Err(i) => {
                self.entries.insert(i, (name, file));
                None
            }
        }
    }

    /// Appends an entry whose name sorts after every name already here (the caller checked).
    pub(crate) fn push_sorted(&mut self, name: String, file: MetaFile) {
        debug_assert!(self.entries.last().is_none_or(|(last, _)| *last < name));
        self.entries.push((name, file));
    }

    /// Removes and returns the entry for `name`.
    pub fn remove(&mut self, name: &str) -> Option<MetaFile> {
        self.find(name).ok().map(|i| self.entries.remove(i).1)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in name order.
    pub fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&String, &MetaFile)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The file names in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The entries in name order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &MetaFile> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
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
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a MetaMap {
    type Item = (&'a String, &'a MetaFile);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, MetaFile)>,
        fn(&'a (String, MetaFile)) -> (&'a String, &'a MetaFile),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stay_sorted_and_unique_in_any_insertion_order() {
        let mut m = MetaMap::new();
        for (name, v) in [("b.json", 1), ("a.json", 2), ("c.json", 3), ("b.json", 4)] {
            m.insert(name.into(), MetaFile::new(v));
        }
        let got: Vec<_> = m.iter().map(|(k, f)| (k.as_str(), f.version)).collect();
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
