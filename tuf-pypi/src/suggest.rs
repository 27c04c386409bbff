//! "Did you mean": the known project names closest to a name that is not there (the seed's
//! known issue of misspelled names), by edit distance on PEP 503 normalized names.

use crate::name::normalize_name;

/// Up to `n` names of `known` closest to `name` by edit distance (on PEP 503 normalized
/// names), nearest first, ties by name; none further than a third of the name's length
/// (at least 2 edits).
///
/// ```
/// let known = ["requests", "request", "numpy"];
/// assert_eq!(tuf_pypi::closest("reqests", &known, 3), ["requests", "request"]);
/// assert!(tuf_pypi::closest("zzzzzz", &known, 3).is_empty());
/// ```
pub fn closest<'a>(name: &str, known: &[&'a str], n: usize) -> Vec<&'a str> {
    let name = normalize_name(name);
    let limit = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = known
        .iter()
        .map(|k| (edit_distance(&name, &normalize_name(k)), *k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.into_iter().take(n).map(|(_, k)| k).collect()
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_ranking() {
        assert_eq!(edit_distance("requests", "reqests"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let known = [
            "requests",
            "requests-oauthlib",
            "urllib3",
            "request",
            "numpy",
        ];
        assert_eq!(closest("reqests", &known, 3), ["requests", "request"]);
        assert_eq!(closest("Num_Py", &known, 3), ["numpy"]);
        assert!(closest("zzzzzz", &known, 3).is_empty());
    }
}
