//! The source policy: before the installer starts, every requirement and installer option it
//! will be given — on the command line and in requirements and constraints files, read
//! recursively — is checked, and whatever would make it fetch or build something TUF does
//! not verify is refused, with the file and line that gave it:
//!
//! * local paths, `file:` URLs, `-e`/`--editable` sources and `--find-links` (unless the user
//!   passes `--allow-local`, which lets local sources through and says so loudly);
//! * `--no-index` (only with `--allow-local`: then nothing but local sources is used);
//! * VCS URLs (`git+`, `hg+`, `svn+`, `bzr+`): a checkout is not a TUF target, on any host;
//! * direct URLs and index URLs (`-i`, `--extra-index-url`, uv's `--index`) on hosts that no
//!   TUF repository covers, and URLs of any other scheme;
//! * options that would replace the session's own proxy, CA, cache or configuration
//!   (`--proxy`, `--cert`, `--cache-dir`, `--config-file`);
//! * requirements files given by URL, in formats other than requirements text
//!   (`pyproject.toml`, `setup.py`, `setup.cfg`, `pylock.toml`), or using `${VAR}`
//!   substitution.
//!
//! Nothing re-enables direct network access: the proxy refuses uncovered hosts whatever
//! this check says, and the proof after the install ([`crate::proof`]) checks what was
//! installed. This check exists so that the refusal comes first, names its source, and
//! covers what does not go through the network at all.
//!
//! ```
//! use tuf_interpose::sources::{check, Policy};
//!
//! let policy = Policy { allow_local: false, covers: &|host: &str| host == "pypi.org" };
//! let dir = std::env::temp_dir();
//! assert!(check(&policy, &["requests==2.32.3".into()], &dir).is_ok());
//! let e = check(&policy, &["evil @ file:///tmp/evil.whl".into()], &dir).unwrap_err();
//! assert!(e.to_string().contains("command line"));
//! ```

use crate::InterposeError;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A requirements file larger than this is refused.
pub const MAX_FILE: u64 = 16 << 20;
/// Requirements files nested deeper than this are refused.
pub const MAX_DEPTH: usize = 32;

/// What the check allows.
pub struct Policy<'a> {
    /// `--allow-local`: local paths, `file:` URLs, editables from paths, local
    /// `--find-links` directories and `--no-index` are let through (and reported).
    pub allow_local: bool,
    /// Whether a host is covered by a TUF repository (ASCII case-insensitive).
    pub covers: &'a dyn Fn(&str) -> bool,
}

/// What the check found that the user allowed: local sources (`where: item`), to be said
/// loudly, since TUF verifies none of them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Local sources let through by `--allow-local`.
    pub local: Vec<String>,
}

/// Options (pip's and uv's) whose value names a requirements-style file to read.
const FILE_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "--requirements",
    "-c",
    "--constraint",
    "--constraints",
    "--override",
    "--overrides",
    "-b",
    "--build-constraint",
    "--build-constraints",
];
/// Options whose value is an index URL.
const INDEX_OPTIONS: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "--default-index",
    "--index",
];
/// Options whose value is a source of distributions outside any index.
const FIND_LINKS: &[&str] = &["-f", "--find-links"];
/// Options whose value is a requirement (an editable: a path or a VCS URL).
const EDITABLE: &[&str] = &["-e", "--editable"];
/// Options that would replace what the session set up.
const REPLACING: &[&str] = &[
    "--proxy",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--config-file",
    "--config",
];
/// Other options that take a value (so that the value is not read as a requirement).
/// An option missing here is taken as a flag, so its value is checked as a requirement:
/// the safe side.
const VALUED: &[&str] = &[
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--src",
    "-d",
    "--dest",
    "-p",
    "--python",
    "--report",
    "--log",
    "--log-file",
    "--trusted-host",
    "--allow-insecure-host",
    "--platform",
    "--python-platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--upgrade-strategy",
    "--progress-bar",
    "--exists-action",
    "--global-option",
    "--build-option",
    "--install-option",
    "-C",
    "--config-settings",
    "--config-setting",
    "--no-binary",
    "--only-binary",
    "--no-binary-package",
    "--no-build-package",
    "--no-build-isolation-package",
    "--keyring-provider",
    "--index-strategy",
    "--resolution",
    "--prerelease",
    "--exclude-newer",
    "--link-mode",
    "--timeout",
    "--retries",
    "--hash",
    "-P",
    "--upgrade-package",
    "--reinstall-package",
    "--refresh-package",
    "--extra",
    "--group",
    "--use-feature",
    "--use-deprecated",
    "--torch-backend",
    "--color",
    "--directory",
    "--project",
];
/// Short options that take a value, which may be glued on (`-rreqs.txt`).
const SHORT_VALUED: &[char] = &['r', 'c', 'b', 'i', 'f', 'e', 't', 'd', 'p', 'C', 'P'];

struct Walk<'p> {
    policy: &'p Policy<'p>,
    checked: Checked,
    seen: BTreeSet<PathBuf>,
}

/// Checks `args` (requirements and installer options, as the installer will get them;
/// relative files are found from `base`). Returns what `--allow-local` let through.
pub fn check(policy: &Policy, args: &[String], base: &Path) -> Result<Checked, InterposeError> {
    let mut walk = Walk {
        policy,
        checked: Checked::default(),
        seen: BTreeSet::new(),
    };
    let tokens: Vec<(String, String)> = args
        .iter()
        .map(|a| ("command line".to_owned(), a.clone()))
        .collect();
    walk.tokens(&tokens, base, 0)?;
    Ok(walk.checked)
}

fn refuse(at: &str, item: &str, rule: impl Into<String>) -> InterposeError {
    InterposeError::Source {
        at: at.to_owned(),
        item: item.to_owned(),
        rule: rule.into(),
    }
}

/// `--name=value`, `-xVALUE` or `--name`/`-x` alone.
fn split_option(token: &str) -> (String, Option<String>) {
    if let Some(long) = token.strip_prefix("--") {
        return match long.split_once('=') {
            Some((n, v)) => (format!("--{n}"), Some(v.to_owned())),
            None => (token.to_owned(), None),
        };
    }
    let mut chars = token.chars().skip(1);
    match chars.next() {
        Some(c) if SHORT_VALUED.contains(&c) => {
            let rest: String = chars.collect();
            let rest = rest.strip_prefix('=').unwrap_or(&rest).to_owned();
            (format!("-{c}"), (!rest.is_empty()).then_some(rest))
        }
        _ => (token.to_owned(), None),
    }
}

fn takes_value(name: &str) -> bool {
    [
        FILE_OPTIONS,
        INDEX_OPTIONS,
        FIND_LINKS,
        EDITABLE,
        REPLACING,
        VALUED,
    ]
    .iter()
    .any(|set| set.contains(&name))
}

impl Walk<'_> {
    /// Walks `(where, token)` pairs: options and requirements (one token each).
    fn tokens(
        &mut self,
        tokens: &[(String, String)],
        base: &Path,
        depth: usize,
    ) -> Result<(), InterposeError> {
        let mut i = 0;
        while i < tokens.len() {
            let (at, token) = &tokens[i];
            i += 1;
            if token == "--" {
                continue;
            }
            if !token.starts_with('-') || token == "-" {
                self.requirement(at, token)?;
                continue;
            }
            let (name, glued) = split_option(token);
            let value = if takes_value(&name) {
                match glued {
                    Some(v) => Some(v),
                    None => {
                        let v = tokens.get(i).map(|(_, v)| v.clone());
                        i += 1;
                        Some(v.ok_or_else(|| refuse(at, token, "the option needs a value"))?)
                    }
                }
            } else {
                None
            };
            self.option(at, &name, value.as_deref(), base, depth)?;
        }
        Ok(())
    }

    fn option(
        &mut self,
        at: &str,
        name: &str,
        value: Option<&str>,
        base: &Path,
        depth: usize,
    ) -> Result<(), InterposeError> {
        let v = value.unwrap_or("");
        let shown = if value.is_some() {
            format!("{name} {v}")
        } else {
            name.to_owned()
        };
        if FILE_OPTIONS.contains(&name) {
            return self.file(at, v, base, depth);
        }
        if INDEX_OPTIONS.contains(&name) {
            // uv's `--index NAME=URL`.
            let url = match v.split_once('=') {
                Some((n, u)) if !n.contains(':') => u,
                _ => v,
            };
            return self.url(at, &shown, url, "index URL");
        }
        if FIND_LINKS.contains(&name) {
            if self.policy.allow_local && (!has_scheme(v) || v.starts_with("file:")) {
                self.local(at, &shown);
                return Ok(());
            }
            return Err(refuse(
                at,
                &shown,
                "--find-links adds distributions that no TUF metadata describes; \
                 give them to the TUF repository instead (local directories: --allow-local)",
            ));
        }
        if name == "--no-index" {
            if self.policy.allow_local {
                self.local(at, &shown);
                return Ok(());
            }
            return Err(refuse(
                at,
                &shown,
                "--no-index leaves only sources that TUF does not verify (use --allow-local \
                 to install local files)",
            ));
        }
        if EDITABLE.contains(&name) {
            return self.requirement(at, v);
        }
        if REPLACING.contains(&name) {
            return Err(refuse(
                at,
                &shown,
                "the verifying session sets the installer's proxy, CA, cache and \
                 configuration; this option would replace them",
            ));
        }
        Ok(())
    }

    fn local(&mut self, at: &str, item: &str) {
        self.checked.local.push(format!("{at}: {item}"));
    }

    /// One requirement (a command-line token or a file's requirement part).
    fn requirement(&mut self, at: &str, req: &str) -> Result<(), InterposeError> {
        let req = req.trim();
        if req.is_empty() {
            return Ok(());
        }
        // `name [extras] @ URL [; marker]`
        if let Some((name, rest)) = req.split_once('@')
            && is_name_part(name)
        {
            let url = strip_url_marker(rest.trim());
            return self.url(at, req, url, "direct URL");
        }
        if has_scheme(req) {
            let url = strip_url_marker(req);
            return self.url(at, req, url, "URL");
        }
        let spec = req.split(';').next().unwrap_or(req).trim();
        if looks_local(spec) {
            return self.local_or_refuse(at, req, "a local path");
        }
        Ok(())
    }

    /// A local source (`what`: "a local path", "a file: URL"): listed under `--allow-local`,
    /// refused otherwise.
    fn local_or_refuse(&mut self, at: &str, item: &str, what: &str) -> Result<(), InterposeError> {
        if self.policy.allow_local {
            self.local(at, item);
            return Ok(());
        }
        Err(refuse(
            at,
            item,
            format!(
                "{what} is not verified by TUF (use --allow-local to install your own local files)"
            ),
        ))
    }

    /// A URL given as a requirement, an index or a requirements file.
    fn url(&mut self, at: &str, item: &str, url: &str, what: &str) -> Result<(), InterposeError> {
        let lower = url.to_ascii_lowercase();
        for vcs in ["git+", "hg+", "svn+", "bzr+"] {
            if lower.starts_with(vcs) {
                return Err(refuse(
                    at,
                    item,
                    "a VCS checkout is not a TUF target and cannot be verified, on any host; \
                     install a released distribution from the TUF repository",
                ));
            }
        }
        if lower.starts_with("file:") {
            return self.local_or_refuse(at, item, "a file: URL");
        }
        if !has_scheme(url) && looks_local(url) {
            return self.local_or_refuse(at, item, &format!("a local {what}"));
        }
        let parsed = url::Url::parse(url).map_err(|e| refuse(at, item, format!("{what}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(refuse(
                at,
                item,
                format!("{what}: only http and https URLs on covered hosts are fetched"),
            ));
        }
        let host = parsed.host_str().unwrap_or("");
        if !(self.policy.covers)(host) {
            return Err(refuse(
                at,
                item,
                format!(
                    "{what} on {host}, which no TUF repository covers: nothing is fetched from it"
                ),
            ));
        }
        Ok(())
    }

    /// A requirements or constraints file, read and walked line by line.
    fn file(
        &mut self,
        at: &str,
        name: &str,
        base: &Path,
        depth: usize,
    ) -> Result<(), InterposeError> {
        if has_scheme(name) {
            return Err(refuse(
                at,
                name,
                "requirements files are read from local files only (tuf-cli must check them \
                 before the installer does); download it through TUF first",
            ));
        }
        let lower = name.to_ascii_lowercase();
        if [".toml", ".py", ".cfg"].iter().any(|e| lower.ends_with(e)) {
            return Err(refuse(
                at,
                name,
                "only requirements text files are checked; list the requirements in a .txt \
                 file (a project file can name sources TUF does not verify)",
            ));
        }
        if depth >= MAX_DEPTH {
            return Err(refuse(
                at,
                name,
                format!("requirements files nested deeper than {MAX_DEPTH}"),
            ));
        }
        let path = base.join(name);
        let real = path
            .canonicalize()
            .map_err(|e| refuse(at, name, format!("cannot read it: {e}")))?;
        if !self.seen.insert(real.clone()) {
            return Ok(());
        }
        let text = read_text(&real).map_err(|e| refuse(at, name, e))?;
        let dir = real.parent().unwrap_or(Path::new("/")).to_owned();
        let shown = path.display().to_string();
        for (line_no, line) in logical_lines(&text) {
            let here = format!("{shown}:{line_no}");
            if line.contains("${") {
                return Err(refuse(
                    &here,
                    &line,
                    "environment variables are not substituted by tuf-cli's check; write the \
                     value itself",
                ));
            }
            let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
            if words.is_empty() {
                continue;
            }
            // A requirement line: the requirement, then per-requirement options
            // (`--hash=...`); an option line: options only.
            let first_option = words
                .iter()
                .position(|w| w.starts_with('-'))
                .unwrap_or(words.len());
            if first_option > 0 {
                let req = words[..first_option].join(" ");
                self.requirement(&here, &req)?;
            }
            let rest: Vec<(String, String)> = words[first_option..]
                .iter()
                .map(|w| (here.clone(), w.clone()))
                .collect();
            self.tokens(&rest, &dir, depth + 1)?;
        }
        Ok(())
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!("larger than {MAX_FILE} bytes"));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8 text".to_owned())
}

/// The file's logical lines, as pip reads them: `\` at the end of a line joins the next,
/// `#` at the start or after whitespace starts a comment. With the number of the line each
/// starts on.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (n, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = n + 1;
        }
        let line = strip_comment(raw);
        match line.strip_suffix('\\') {
            Some(joined) => current.push_str(joined),
            None => {
                current.push_str(line);
                out.push((start, std::mem::take(&mut current)));
            }
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line[..i].trim_end();
        }
        prev_space = c.is_whitespace();
    }
    line.trim_end()
}

/// Whether `s` is a name with optional extras, as before ` @ ` in a PEP 508 URL requirement.
fn is_name_part(s: &str) -> bool {
    let s = s.trim();
    let name = s.split('[').next().unwrap_or(s).trim();
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The URL of a URL requirement without its marker (`URL ; marker`: the `;` is preceded by
/// whitespace, PEP 508).
fn strip_url_marker(s: &str) -> &str {
    let s = s.trim();
    match s.find(|c: char| c.is_whitespace()) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// `scheme:` at the start (RFC 3986 scheme characters, at least two so that `C:\` is a
/// path).
fn has_scheme(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() >= 2
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// Whether a requirement is a path rather than a name: a name (PEP 508) never holds a path
/// separator, never starts with `.` or `~`, and never ends in an archive extension.
fn looks_local(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    s.contains('/')
        || s.contains('\\')
        || s.starts_with('.')
        || s.starts_with('~')
        || (s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
        || [
            ".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar",
        ]
        .iter()
        .any(|e| lower.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(h: &str) -> bool {
        h.eq_ignore_ascii_case("pypi.org") || h.eq_ignore_ascii_case("files.pythonhosted.org")
    }

    fn policy(allow_local: bool) -> Policy<'static> {
        Policy {
            allow_local,
            covers: &covers,
        }
    }

    fn cli(args: &[&str]) -> Result<Checked, InterposeError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        check(&policy(false), &args, Path::new("/nonexistent"))
    }

    #[test]
    fn names_and_covered_urls_pass() {
        for ok in [
            &["requests"][..],
            &["requests[socks]>=2; python_version >= '3.8'"],
            &["gamma @ https://files.pythonhosted.org/packages/gamma-2.1-py3-none-any.whl"],
            &["x", "--", "--target", "/tmp/site", "--upgrade"],
            &["x", "--extra-index-url=https://pypi.org/simple/"],
            &["x", "-ihttps://PyPI.org/simple/"],
            &["x", "--index", "main=https://pypi.org/simple/"],
            &["x", "--no-build-isolation", "--pre"],
        ] {
            cli(ok).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
        }
    }

    #[test]
    fn every_escape_on_the_command_line_is_refused() {
        for bad in [
            &["./vendor/x-1.0.tar.gz"][..],
            &["x-1.0-py3-none-any.whl"],
            &["/abs/dir"],
            &["."],
            &["~/src/x"],
            &["x @ file:///tmp/x.whl"],
            &["file:///tmp/x.whl"],
            &["x @ git+git://evil.example/x"],
            &["x @ git+ssh://git@evil.example/x"],
            &["git+https://pypi.org/x"],
            &["x @ https://evil.example/x.whl"],
            &["x @ http://127.0.0.1:9/x.whl"],
            &["x @ ftp://pypi.org/x.whl"],
            &["x", "-f", "./vendor"],
            &["x", "--find-links=https://pypi.org/links"],
            &["x", "--no-index"],
            &["x", "--extra-index-url", "http://localhost:1/simple/"],
            &["x", "--index", "evil=https://evil.example/simple"],
            &["-e", "."],
            &["-egit+https://pypi.org/x#egg=x"],
            &["x", "--cache-dir", "/tmp/evil-cache"],
            &["x", "--proxy", "http://evil:3128"],
            &["x", "-r", "https://pypi.org/reqs.txt"],
            &["x", "-r", "pyproject.toml"],
            &["x", "-r"],
        ] {
            let e = cli(bad).expect_err(&format!("{bad:?} passed"));
            assert!(e.to_string().starts_with("command line: "), "{e}");
        }
    }

    #[test]
    fn files_are_read_recursively_and_errors_name_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(
            d.path().join("top.txt"),
            "# comment\nrequests==2.0 --hash=sha256:00 \\\n   --hash=sha256:11\n-r sub/inner.txt\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("sub/inner.txt"),
            "-c cons.txt\n\nurllib3  # pinned\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("sub/cons.txt"),
            "idna<4\n-r ../top.txt\nx @ file:///evil.whl\n",
        )
        .unwrap();
        let e = check(&policy(false), &["-r".into(), "top.txt".into()], d.path()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("sub/cons.txt:3: \"x @ file:///evil.whl\""),
            "{msg}"
        );
        // With --allow-local it passes and is reported; the cycle back to top.txt ends.
        let ok = check(&policy(true), &["-rtop.txt".into()], d.path()).unwrap();
        assert_eq!(ok.local.len(), 1, "{ok:?}");
        assert!(ok.local[0].ends_with("cons.txt:3: x @ file:///evil.whl"));
        // Option lines in files, and variables.
        std::fs::write(d.path().join("f.txt"), "x\n--find-links ./wheels\n").unwrap();
        let e = check(&policy(false), &["-r".into(), "f.txt".into()], d.path()).unwrap_err();
        assert!(e.to_string().contains("f.txt:2:"), "{e}");
        std::fs::write(d.path().join("v.txt"), "x @ ${EVIL}/x.whl\n").unwrap();
        let e = check(&policy(false), &["-r".into(), "v.txt".into()], d.path()).unwrap_err();
        assert!(e.to_string().contains("v.txt:1:"), "{e}");
        // A missing file is refused, not skipped.
        assert!(check(&policy(false), &["-r".into(), "none.txt".into()], d.path()).is_err());
    }

    #[test]
    fn allow_local_never_reenables_the_network() {
        for bad in [
            &["x @ https://evil.example/x.whl"][..],
            &["x @ git+https://pypi.org/x"],
            &["x", "--extra-index-url", "http://127.0.0.1:1/"],
            &["x", "-f", "https://evil.example/"],
        ] {
            let args: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            assert!(
                check(&policy(true), &args, Path::new("/")).is_err(),
                "{bad:?}"
            );
        }
        let ok = check(
            &policy(true),
            &["./x".into(), "--no-index".into(), "-f".into(), "w".into()],
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(ok.local.len(), 3);
    }
}
