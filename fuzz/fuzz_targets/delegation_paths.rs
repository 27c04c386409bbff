//! Delegation path patterns, `path_hash_prefixes` and succinct hash bins against simple
//! reference implementations written here from the rules (spec 4.5; python-tuf's
//! `fnmatch.fnmatchcase` per `/`-separated part, the same number of parts; TAP 15's bins:
//! the first `bit_length` bits of the target path's sha256). Invariants: the library and the
//! references agree on every input; a succinct bin is in range, its name is delegated, and
//! it is the bin the reference computes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tuf_crypto::{HashAlgorithm, hex};
use tuf_metadata::{DelegatedRole, PathSet, SuccinctRoles, fnmatch, path_matches};

/// `fnmatch.fnmatchcase(name, pat)` by plain recursion over the pattern text (exponential in
/// the worst case, which is why inputs are kept short): `*` any run, `?` any one character,
/// `[...]` a set (`!` first negates; `]` right after `[` or `[!` belongs to the set; `a-z`
/// ranges, a reversed range matching nothing; an unclosed `[` is a literal `[`).
fn reference(name: &[char], pat: &[char]) -> bool {
    match pat.first() {
        None => name.is_empty(),
        Some('*') => (0..=name.len()).any(|i| reference(&name[i..], &pat[1..])),
        Some('?') => !name.is_empty() && reference(&name[1..], &pat[1..]),
        Some('[') => match set_end(pat) {
            None => name.first() == Some(&'[') && reference(&name[1..], &pat[1..]),
            Some(end) => {
                let Some(&c) = name.first() else { return false };
                in_set(&pat[1..end], c) && reference(&name[1..], &pat[end + 1..])
            }
        },
        Some(&l) => name.first() == Some(&l) && reference(&name[1..], &pat[1..]),
    }
}

/// Where the set opened at `pat[0]` closes, if it does.
fn set_end(pat: &[char]) -> Option<usize> {
    let mut j = 1;
    if pat.get(j) == Some(&'!') {
        j += 1;
    }
    if pat.get(j) == Some(&']') {
        j += 1;
    }
    (j..pat.len()).find(|&k| pat[k] == ']')
}

fn in_set(body: &[char], c: char) -> bool {
    let (negated, body) = match body.first() {
        Some('!') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut found = false;
    let mut k = 0;
    while k < body.len() {
        if k + 2 < body.len() && body[k + 1] == '-' {
            found |= body[k] <= c && c <= body[k + 2];
            k += 3;
        } else {
            found |= body[k] == c;
            k += 1;
        }
    }
    found != negated
}

fn reference_path(target: &str, pattern: &str) -> bool {
    let t: Vec<&str> = target.split('/').collect();
    let p: Vec<&str> = pattern.split('/').collect();
    t.len() == p.len()
        && t.iter().zip(&p).all(|(a, b)| {
            reference(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 || data.len() > 96 {
        return;
    }
    let text = String::from_utf8_lossy(&data[1..]);
    let (target, pattern) = text.split_once('\n').unwrap_or((&text, "*"));
    if pattern.matches('*').count() > 6 {
        return;
    }
    let ours = path_matches(target, pattern);
    assert_eq!(
        ours,
        reference_path(target, pattern),
        "{target:?} ~ {pattern:?}"
    );
    if !target.contains('/') && !pattern.contains('/') {
        assert_eq!(fnmatch(target, pattern), ours);
    }

    // path_hash_prefixes: a prefix of the hex sha256 of the target path.
    let digest = hex::encode(HashAlgorithm::Sha256.digest(target.as_bytes()));
    let prefixes: Vec<String> = pattern.split(',').map(str::to_owned).collect();
    let role = DelegatedRole::new(
        "r",
        vec![],
        1,
        false,
        PathSet::HashPrefixes(prefixes.clone()),
    );
    assert_eq!(
        role.is_delegated_path(target),
        prefixes.iter().any(|p| digest.starts_with(p.as_str())),
        "{target:?} with prefixes {prefixes:?}"
    );

    // Succinct bins: the first bit_length bits of the digest.
    let bits = data[0] % 33;
    let Some(bins) = SuccinctRoles::new(vec![], 1, bits, "bin") else {
        return;
    };
    let bin = bins.bin_for_target(target);
    let head = u64::from_be_bytes(
        HashAlgorithm::Sha256.digest(target.as_bytes())[..8]
            .try_into()
            .expect("8 bytes"),
    );
    let expected = if bits == 0 {
        0
    } else {
        head >> (64 - u32::from(bits))
    };
    assert_eq!(bin, expected, "bin of {target:?} with {bits} bits");
    assert!(bin < bins.bin_count());
    let name = bins.role_for_target(target);
    assert_eq!(name, bins.role_name(bin));
    assert!(bins.is_delegated_role(&name), "{name}");
});
