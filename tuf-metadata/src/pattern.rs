//! Delegation path patterns with python-tuf's semantics: the pattern and the target path are
//! split on `/`, must have the same number of parts, and each part matches as Python's
//! `fnmatch.fnmatchcase` would (`*`, `?`, `[seq]`, `[!seq]`, ranges).

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Star,
    Any,
    Lit(char),
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

fn compile(pat: &str) -> Vec<Token> {
    let chars: Vec<char> = pat.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::Any),
            '[' => {
                // Find the closing bracket as fnmatch.translate does: a leading '!' and a
                // ']' right after it (or right after '[') belong to the set.
                let mut j = i;
                if j < n && chars[j] == '!' {
                    j += 1;
                }
                if j < n && chars[j] == ']' {
                    j += 1;
                }
                while j < n && chars[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    out.push(Token::Lit('['));
                    continue;
                }
                let mut body = &chars[i..j];
                i = j + 1;
                let negated = body.first() == Some(&'!');
                if negated {
                    body = &body[1..];
                }
                let mut items = Vec::new();
                let mut k = 0;
                while k < body.len() {
                    if k + 2 < body.len() && body[k + 1] == '-' {
                        // A reversed range (z-a) is empty, as Python drops it.
                        items.push((body[k], body[k + 2]));
                        k += 3;
                    } else {
                        items.push((body[k], body[k]));
                        k += 1;
                    }
                }
                out.push(Token::Class { negated, items });
            }
            c => out.push(Token::Lit(c)),
        }
    }
    out
}

fn token_matches(t: &Token, c: char) -> bool {
    match t {
        Token::Any => true,
        Token::Lit(l) => *l == c,
        Token::Class { negated, items } => {
            items.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
        Token::Star => true,
    }
}

/// `fnmatch.fnmatchcase(name, pattern)`: whole-string, case-sensitive glob match, linear-time
/// in practice (one backtrack point for the last `*`).
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let toks = compile(pattern);
    let text: Vec<char> = name.chars().collect();
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < text.len() {
        match toks.get(pi) {
            Some(Token::Star) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(t) if token_matches(t, text[ti]) => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    toks[pi..].iter().all(|t| *t == Token::Star)
}

/// Whether `target` is covered by delegation path `pattern` (spec 4.5 `paths`, python-tuf's
/// rule: same number of `/`-separated parts, each matching with [`fnmatch`]).
///
/// ```
/// use tuf_metadata::path_matches;
///
/// assert!(path_matches("packages/ab/foo-1.0.tar.gz", "packages/*/*"));
/// assert!(!path_matches("packages/ab/cd/foo.tar.gz", "packages/*"));
/// assert!(path_matches("a/b.txt", "a/[ab].txt"));
/// ```
pub fn path_matches(target: &str, pattern: &str) -> bool {
    let mut t = target.split('/');
    let mut p = pattern.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(tp), Some(pp)) => {
                if !fnmatch(tp, pp) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_cases() {
        assert!(fnmatch("", ""));
        assert!(fnmatch("", "*"));
        assert!(!fnmatch("", "?"));
        assert!(fnmatch("abc", "a*c"));
        assert!(fnmatch("ac", "a*c"));
        assert!(fnmatch("abcbc", "a*bc"));
        assert!(!fnmatch("abcb", "a*bc"));
        assert!(fnmatch("a.txt", "*.txt"));
        assert!(!fnmatch("a.TXT", "*.txt"));
        assert!(fnmatch("b", "[abc]"));
        assert!(!fnmatch("d", "[abc]"));
        assert!(fnmatch("d", "[!abc]"));
        assert!(fnmatch("m", "[a-z]"));
        assert!(!fnmatch("m", "[z-a]"));
        assert!(fnmatch("]", "[]]"));
        assert!(fnmatch("]", "[!a]"));
        assert!(fnmatch("-", "[a-]"));
        assert!(fnmatch("[", "["));
        assert!(fnmatch("[x", "[x"));
        assert!(fnmatch("é", "?"));
        assert!(fnmatch("a*b", "a[*]b"));
        assert!(!fnmatch("aXb", "a[*]b"));
        assert!(fnmatch("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*b"));
        assert!(!fnmatch("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "*a*a*a*a*a*a*b"));
    }

    #[test]
    fn path_parts_must_align() {
        assert!(path_matches("a/b", "a/*"));
        assert!(!path_matches("a/b/c", "a/*"));
        assert!(!path_matches("a", "a/*"));
        assert!(path_matches("a/", "a/*"));
        assert!(path_matches("/a", "/*"));
        assert!(!path_matches("a", "/a"));
    }
}
