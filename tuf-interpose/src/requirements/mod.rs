//! Canonical requirements: what the user asks the installer for, read with an allow-list
//! grammar and written out again in one spelling, so that the installer never reads a file
//! or an option of the user's.
//!
//! tuf-cli reads the command line and every requirements and constraints file it names
//! (recursively), and accepts only:
//!
//! * PEP 508 requirements (names, extras, version specifiers, markers; parsed by
//!   `pep508_rs`, the parser uv grew from), each with optional `--hash=ALG:HEX`;
//! * direct URLs on `https`/`http` hosts a TUF repository covers (no VCS, no `file:`);
//! * `-r`/`--requirement` and `-c`/`--constraint` includes (local files, read here);
//! * index options (`-i`, `--index-url`, `--extra-index-url`, `--trusted-host`) naming a
//!   covered host: dropped, since the verifying proxy is the installer's only index;
//! * a short list of installer options ([`FLAGS`], [`VALUED`]), in their exact spelling
//!   (no abbreviations, no short-option clusters), with checked values;
//! * with `--allow-local` only: local paths, `file:` URLs, `-e PATH`, `--find-links DIR`
//!   and `--no-index` (each resolved to an absolute path and listed as not verified).
//!
//! Anything else is refused naming `FILE:LINE` (or `command line`) and the rule. The result
//! is written by [`Canonical::write`] as one requirement per line, normalized names, and
//! only the characters that mean the same to every requirements parser; each written line is
//! read back by the same grammar and must come out the same. A difference between this
//! grammar and an installer's can then only make an install fail, never widen it.
//!
//! ```
//! use tuf_interpose::requirements::{canonicalize, Policy};
//!
//! let policy = Policy { allow_local: false, covers: &|host: &str| host == "pypi.org" };
//! let dir = std::env::temp_dir();
//! let c = canonicalize(&policy, &["Requests[Socks] >= 2.32 ; python_version>'3.8'".into()], &dir)
//!     .unwrap();
//! assert_eq!(c.requirements, ["requests[socks]>=2.32 ; python_full_version >= '3.9'"]);
//! let e = canonicalize(&policy, &["evil @ file:///tmp/evil.whl".into()], &dir).unwrap_err();
//! assert!(e.to_string().contains("command line"));
//! ```

mod text;

use crate::InterposeError;
use pep508_rs::{PackageName, Requirement, VersionOrUrl};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use url::Url;

pub use text::MAX_FILE;

/// Requirements files nested deeper than this are refused.
pub const MAX_DEPTH: usize = 32;

/// Installer options without a value that pass as they are.
pub const FLAGS: &[&str] = &[
    "-U",
    "--upgrade",
    "--no-deps",
    "--pre",
    "--prefer-binary",
    "--force-reinstall",
    "--reinstall",
    "--require-hashes",
    "--dry-run",
    "-q",
    "--quiet",
    "-v",
    "--verbose",
];

/// Installer options with a value that pass (the value checked): which distributions may be
/// wheels or sdists, pip's upgrade strategy, and the destination directory.
pub const VALUED: &[&str] = &[
    "--only-binary",
    "--no-binary",
    "--upgrade-strategy",
    "--target",
];

/// What the grammar allows beyond the default.
pub struct Policy<'a> {
    /// `--allow-local`: local paths, `file:` URLs, editables from paths, local
    /// `--find-links` directories and `--no-index` are let through (and reported).
    pub allow_local: bool,
    /// Whether a host is covered by a TUF repository (ASCII case-insensitive).
    pub covers: &'a dyn Fn(&str) -> bool,
}

/// The requirements and options in their canonical spelling: all the installer is given.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Canonical {
    /// Requirement lines (`name[extras]specifiers ; marker --hash=...`, `name @ URL`, and
    /// under `--allow-local` absolute paths and `-e PATH`).
    pub requirements: Vec<String>,
    /// Constraint lines.
    pub constraints: Vec<String>,
    /// Installer options, each one token (`--name` or `--name=value`).
    pub options: Vec<String>,
    /// `--target DIR`, absolute: where the installer is asked to install.
    pub target: Option<PathBuf>,
    /// Local sources `--allow-local` let through (`where: item`), to be said loudly.
    pub local: Vec<String>,
    /// The local paths those sources name (absolute, existing).
    pub local_paths: Vec<PathBuf>,
}

impl Canonical {
    /// The normalized project names of the requirement lines that name a project (not
    /// local paths), in order, without repeats.
    pub fn project_names(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut names: Vec<String> = Vec::new();
        for line in &self.requirements {
            let end = line
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                .unwrap_or(line.len());
            let name = &line[..end];
            if name.is_empty() || name.starts_with(['-', '.', '_']) {
                continue;
            }
            let name = tuf_pypi::normalize_name(name);
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        names
    }

    /// Writes `requirements.txt` (and `constraints.txt` if there are constraints) into
    /// `dir`, and returns the installer arguments that name them, then the options.
    pub fn write(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        let mut args = Vec::new();
        for (name, lines, flag) in [
            ("requirements.txt", &self.requirements, "-r"),
            ("constraints.txt", &self.constraints, "-c"),
        ] {
            if lines.is_empty() {
                continue;
            }
            let path = dir.join(name);
            let mut text = lines.join("\n");
            text.push('\n');
            tuf_fs::write_atomic(&path, text.as_bytes())?;
            args.push(flag.to_owned());
            args.push(path.display().to_string());
        }
        args.extend(self.options.iter().cloned());
        Ok(args)
    }
}

/// Reads `args` (requirements and installer options as given on the command line; relative
/// files are found from `base`) and every file they include; returns them canonical, or the
/// first thing refused.
pub fn canonicalize(
    policy: &Policy,
    args: &[String],
    base: &Path,
) -> Result<Canonical, InterposeError> {
    let mut walk = Walk {
        policy,
        cwd: base.to_owned(),
        out: Canonical::default(),
        seen: BTreeSet::new(),
    };
    walk.command_line(args, base)?;
    walk.out.options.dedup();
    for line in walk.out.requirements.iter().chain(&walk.out.constraints) {
        check_written(policy, line, base)?;
    }
    Ok(walk.out)
}

fn refuse(at: &str, item: &str, rule: impl Into<String>) -> InterposeError {
    InterposeError::Source {
        at: at.to_owned(),
        item: item.to_owned(),
        rule: rule.into(),
    }
}

const NOT_ALLOWED: &str = "not on tuf-cli's allow-list of requirement and installer options \
                           (requirements, -r/-c files, --hash, index options on a covered host, \
                           -U, --no-deps, --pre, --prefer-binary, --only-binary, --no-binary, \
                           --upgrade-strategy, --force-reinstall, --target, -q, -v)";
const LOCAL: &str = "a local source is not a TUF target (--allow-local lets your own through, \
                     listed as not verified)";
const VCS: &str = "a VCS checkout is not a TUF target";

/// Where a requirement or option was read, for includes and for refusals.
#[derive(Clone, Copy)]
enum Kind {
    Requirement,
    Constraint,
}

struct Walk<'p> {
    policy: &'p Policy<'p>,
    /// Where relative requirement paths and `-e` paths are found (the caller's directory,
    /// as the installers read them); includes and `--find-links` are found from their
    /// file's directory.
    cwd: PathBuf,
    out: Canonical,
    seen: BTreeSet<PathBuf>,
}

/// An option token: `--name`, `--name=value`, `-x` or (for the short options that take a
/// value) `-xVALUE`; the value, if glued on.
fn split_option(token: &str) -> (&str, Option<&str>) {
    if token.starts_with("--") {
        return match token.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (token, None),
        };
    }
    match token.get(..2) {
        Some(short @ ("-r" | "-c" | "-e" | "-i" | "-f")) if token.len() > 2 => {
            let rest = &token[2..];
            (short, Some(rest.strip_prefix('=').unwrap_or(rest)))
        }
        _ => (token, None),
    }
}

/// Whether option `name` takes a value.
fn takes_value(name: &str) -> bool {
    VALUED.contains(&name)
        || matches!(
            name,
            "-r" | "--requirement"
                | "-c"
                | "--constraint"
                | "-e"
                | "--editable"
                | "-i"
                | "--index-url"
                | "--extra-index-url"
                | "--trusted-host"
                | "-f"
                | "--find-links"
                | "--hash"
        )
}

impl Walk<'_> {
    fn command_line(&mut self, args: &[String], base: &Path) -> Result<(), InterposeError> {
        let at = "command line";
        let mut i = 0;
        while i < args.len() {
            let token = &args[i];
            i += 1;
            if !token.starts_with('-') || token == "-" {
                self.requirement(at, token, Vec::new(), base, Kind::Requirement)?;
                continue;
            }
            let (name, glued) = split_option(token);
            let value = match glued {
                Some(v) => Some(v.to_owned()),
                None if takes_value(name) => {
                    let v = args
                        .get(i)
                        .ok_or_else(|| refuse(at, token, "needs a value"))?;
                    i += 1;
                    Some(v.clone())
                }
                None => None,
            };
            if name == "--hash" {
                return Err(refuse(at, token, "--hash belongs on a requirement's line"));
            }
            self.option(at, token, name, value.as_deref(), base, 0)?;
        }
        Ok(())
    }

    /// One option (from the command line or a file): accepted into the canonical form,
    /// followed (an include), or refused.
    fn option(
        &mut self,
        at: &str,
        token: &str,
        name: &str,
        value: Option<&str>,
        base: &Path,
        depth: usize,
    ) -> Result<(), InterposeError> {
        let need = || value.ok_or_else(|| refuse(at, token, "needs a value"));
        match name {
            _ if FLAGS.contains(&name) => {
                if value.is_some() {
                    return Err(refuse(at, token, "takes no value"));
                }
                self.out.options.push(name.to_owned());
            }
            "-r" | "--requirement" => self.file(at, need()?, base, depth, Kind::Requirement)?,
            "-c" | "--constraint" => self.file(at, need()?, base, depth, Kind::Constraint)?,
            "-i" | "--index-url" | "--extra-index-url" => {
                // The verifying proxy is the only index; a covered one is the same index.
                let v = need()?;
                self.covered_url(at, &format!("{name} {v}"), v, "an index")?;
            }
            "--trusted-host" => {
                let host = need()?;
                if !(self.policy.covers)(host.split(':').next().unwrap_or(host)) {
                    return Err(refuse(at, token, "no TUF repository covers this host"));
                }
            }
            "--only-binary" | "--no-binary" => {
                let v = need()?;
                if v != ":all:" && v != ":none:" {
                    for n in v.split(',') {
                        n.parse::<PackageName>()
                            .map_err(|e| refuse(at, token, format!("not a project name: {e}")))?;
                    }
                }
                self.out.options.push(format!("{name}={v}"));
            }
            "--upgrade-strategy" => {
                let v = need()?;
                if !matches!(v, "eager" | "only-if-needed") {
                    return Err(refuse(at, token, "eager or only-if-needed"));
                }
                self.out.options.push(format!("{name}={v}"));
            }
            "--target" => {
                let dir = absolute(base, need()?);
                safe_path(at, token, &dir)?;
                if self
                    .out
                    .target
                    .replace(dir.clone())
                    .is_some_and(|t| t != dir)
                {
                    return Err(refuse(at, token, "one --target only"));
                }
                self.out.options.push(format!("--target={}", dir.display()));
            }
            "-e" | "--editable" => {
                let v = need()?;
                if is_vcs(v) {
                    return Err(refuse(at, token, VCS));
                }
                let cwd = self.cwd.clone();
                let path = self.local(at, token, &cwd, v)?;
                self.out.requirements.push(format!("-e {}", path.display()));
            }
            "-f" | "--find-links" => {
                let v = need()?;
                let path = self.local(at, token, base, v)?;
                self.out
                    .options
                    .push(format!("--find-links={}", path.display()));
            }
            "--no-index" if self.policy.allow_local => {
                self.out.local.push(format!("{at}: --no-index"));
                self.out.options.push(name.to_owned());
            }
            "--no-index" => return Err(refuse(at, token, LOCAL)),
            _ => return Err(refuse(at, token, NOT_ALLOWED)),
        }
        Ok(())
    }

    /// A local path under `--allow-local`: resolved from `base`, existing, absolute,
    /// recorded; refused otherwise.
    fn local(
        &mut self,
        at: &str,
        item: &str,
        base: &Path,
        value: &str,
    ) -> Result<PathBuf, InterposeError> {
        if !self.policy.allow_local {
            return Err(refuse(at, item, LOCAL));
        }
        let given = match Url::parse(value) {
            Ok(u) if u.scheme() == "file" => u
                .to_file_path()
                .map_err(|()| refuse(at, item, "not a local file URL"))?,
            Ok(u) if u.scheme().len() > 1 => {
                return Err(refuse(at, item, "not a local path"));
            }
            _ => PathBuf::from(value),
        };
        let path = std::fs::canonicalize(absolute(base, &given.to_string_lossy()))
            .map_err(|e| refuse(at, item, format!("--allow-local: {e}")))?;
        safe_path(at, item, &path)?;
        self.out.local.push(format!("{at}: {item}"));
        self.out.local_paths.push(path.clone());
        Ok(path)
    }

    /// `value` as an `http(s)` URL on a covered host (`item`: what to name in a refusal).
    fn covered_url(
        &self,
        at: &str,
        item: &str,
        value: &str,
        what: &str,
    ) -> Result<Url, InterposeError> {
        let url = Url::parse(value).map_err(|e| refuse(at, item, format!("not a URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(refuse(at, item, format!("{what} must be an http(s) URL")));
        }
        match url.host_str() {
            Some(h) if (self.policy.covers)(h) => Ok(url),
            _ => Err(refuse(
                at,
                item,
                format!(
                    "{what} on a host which no TUF repository covers: nothing from it is installed"
                ),
            )),
        }
    }

    /// A requirement (with its `--hash` options, from a file line): canonical, or refused.
    fn requirement(
        &mut self,
        at: &str,
        item: &str,
        hashes: Vec<String>,
        base: &Path,
        kind: Kind,
    ) -> Result<(), InterposeError> {
        let line = match parse_requirement(item) {
            Ok(req) => {
                let req = self.checked(at, item, req, base)?;
                join_hashes(req, &hashes)
            }
            Err(e) if looks_local(item) => {
                if !self.policy.allow_local {
                    return Err(refuse(at, item, LOCAL));
                }
                let _ = e;
                let path = self.local(at, item, base, item)?;
                join_hashes(path.display().to_string(), &hashes)
            }
            Err(e) => return Err(refuse(at, item, format!("not a PEP 508 requirement: {e}"))),
        };
        match kind {
            Kind::Requirement => self.out.requirements.push(line),
            Kind::Constraint => self.out.constraints.push(line),
        }
        Ok(())
    }

    /// A parsed requirement whose URL, if any, is allowed; in canonical spelling.
    fn checked(
        &mut self,
        at: &str,
        item: &str,
        mut req: Requirement<Url>,
        base: &Path,
    ) -> Result<String, InterposeError> {
        if let Some(VersionOrUrl::Url(url)) = &req.version_or_url {
            let url = url.clone();
            if is_vcs(url.as_str()) {
                return Err(refuse(at, item, VCS));
            }
            if url.scheme() == "file" {
                let path = self.local(at, item, base, url.as_str())?;
                let file = Url::from_file_path(&path)
                    .map_err(|()| refuse(at, item, "not an absolute path"))?;
                req.version_or_url = Some(VersionOrUrl::Url(file));
            } else {
                self.covered_url(at, item, url.as_str(), "a direct URL")?;
                if url.username() != "" || url.password().is_some() {
                    return Err(refuse(at, item, "credentials in a URL are not passed on"));
                }
            }
        }
        Ok(req.to_string())
    }

    /// A requirements or constraints file: every logical line is an option line (starting
    /// with `-`) or a requirement with optional `--hash` options.
    fn file(
        &mut self,
        at: &str,
        name: &str,
        base: &Path,
        depth: usize,
        kind: Kind,
    ) -> Result<(), InterposeError> {
        if depth >= MAX_DEPTH {
            return Err(refuse(at, name, format!("nested deeper than {MAX_DEPTH}")));
        }
        if Url::parse(name).is_ok_and(|u| u.scheme().len() > 1) {
            return Err(refuse(
                at,
                name,
                "requirements files are read from local paths only",
            ));
        }
        let path = absolute(base, name);
        let real = std::fs::canonicalize(&path)
            .map_err(|e| refuse(at, name, format!("cannot read it: {e}")))?;
        if !self.seen.insert(real.clone()) {
            return Ok(()); // Already read: an include cycle or a repeat adds nothing.
        }
        let text = text::read(&real).map_err(|e| refuse(at, name, e))?;
        let shown = path.display().to_string();
        let lines = text::logical_lines(&text)
            .map_err(|(n, why)| refuse(&format!("{shown}:{n}"), "", why))?;
        let dir = real.parent().unwrap_or(Path::new("/")).to_owned();
        for (n, line) in lines {
            let here = format!("{shown}:{n}");
            if line.contains('$') {
                return Err(refuse(
                    &here,
                    &line,
                    "environment variables are not expanded",
                ));
            }
            let tokens: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with('-') {
                self.file_options(&here, &tokens, &dir, depth)?;
                continue;
            }
            // The requirement ends at the first token that starts with `-`; after it only
            // `--hash` options may follow.
            let cut = tokens
                .iter()
                .position(|t| t.starts_with('-'))
                .unwrap_or(tokens.len());
            let hashes = hashes(&here, &tokens[cut..])?;
            let item = tokens[..cut].join(" ");
            let cwd = self.cwd.clone();
            self.requirement(&here, &item, hashes, &cwd, kind)?;
        }
        Ok(())
    }

    /// An option line of a file: one option and its value (`-r other.txt`,
    /// `--index-url URL`, `--only-binary :all:`...); includes are found from the file's
    /// directory, as pip does.
    fn file_options(
        &mut self,
        at: &str,
        tokens: &[&str],
        dir: &Path,
        depth: usize,
    ) -> Result<(), InterposeError> {
        let line = tokens.join(" ");
        let (name, glued) = split_option(tokens[0]);
        if !(FLAGS.contains(&name) || takes_value(name) || name == "--no-index") {
            return Err(refuse(at, &line, NOT_ALLOWED));
        }
        let value = match (glued, tokens.len()) {
            (Some(v), 1) => Some(v),
            (None, 1) => None,
            (None, 2) if takes_value(name) => Some(tokens[1]),
            _ => {
                return Err(refuse(
                    at,
                    &line,
                    "one option a line, with at most one value",
                ));
            }
        };
        match name {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                let kind = if name.contains('r') {
                    Kind::Requirement
                } else {
                    Kind::Constraint
                };
                let v = value.ok_or_else(|| refuse(at, &line, "needs a value"))?;
                self.file(at, v, dir, depth + 1, kind)
            }
            "--hash" => Err(refuse(at, &line, "--hash belongs on a requirement's line")),
            "--target" => Err(refuse(at, &line, NOT_ALLOWED)),
            _ => self.option(at, &line, name, value, dir, depth),
        }
    }
}

/// Parses one requirement strictly: a PEP 508 string whose URL, if any, the `url` crate
/// reads (no environment variables, no relative paths).
fn parse_requirement(s: &str) -> Result<Requirement<Url>, String> {
    // Only printable ASCII reaches pep508_rs: names, versions, markers and (percent-encoded)
    // URLs need nothing else, a written line must be printable ASCII anyway, and pep508_rs 0.9
    // panics on a name running into some non-ASCII characters (found by fuzzing).
    if !s
        .bytes()
        .all(|b| b.is_ascii_graphic() || b == b' ' || b == b'\t')
    {
        return Err(
            "only printable ASCII characters are accepted (names, versions, markers and URLs \
             need no others)"
                .into(),
        );
    }
    if s.contains('$') {
        return Err("environment variables are not expanded".into());
    }
    if let Some(bad) = name_or_extra_ending_badly(s) {
        return Err(format!(
            "{bad:?}: a name or extra must end with a letter or digit (PEP 508)"
        ));
    }
    // Any other panic of the parser on hostile input is a refusal too, never a crash.
    let parsed = std::panic::catch_unwind(|| s.parse::<Requirement<Url>>())
        .map_err(|_| "not a requirement this parser can read".to_owned())?;
    parsed.map_err(|e| {
        // pep508_rs's message spans lines (the input and a caret); keep its first.
        e.to_string().lines().next().unwrap_or_default().to_owned()
    })
}

/// The project name or an extra of requirement `s` that ends in `.`, `-` or `_` (PEP 508
/// names and extras end with a letter or digit): pep508_rs 0.9 panics on such a name followed
/// by another character, and on such an extra (found by fuzzing). Names and extras are the
/// maximal runs of name characters at the start and between `[` and `]`, as pep508_rs reads
/// them.
fn name_or_extra_ending_badly(s: &str) -> Option<&str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let ends_badly = |run: &str| run.ends_with(['.', '-', '_']);
    let rest = s.trim_start();
    let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
    let name = &rest[..end];
    if ends_badly(name) {
        return Some(name);
    }
    let after = rest[end..].trim_start();
    let extras = after.strip_prefix('[')?;
    let extras = &extras[..extras.find(']').unwrap_or(extras.len())];
    extras
        .split(|c: char| !is_name(c))
        .find(|run| ends_badly(run))
}

/// The `--hash` options of a requirement line (`--hash=ALG:HEX` or `--hash ALG:HEX`).
fn hashes(at: &str, tokens: &[&str]) -> Result<Vec<String>, InterposeError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let value = match split_option(tokens[i]) {
            ("--hash", Some(v)) => v,
            ("--hash", None) => {
                i += 1;
                tokens
                    .get(i)
                    .copied()
                    .ok_or_else(|| refuse(at, "--hash", "needs a value"))?
            }
            _ => {
                return Err(refuse(
                    at,
                    tokens[i],
                    "only --hash may follow a requirement on its line",
                ));
            }
        };
        i += 1;
        let (alg, hex) = value
            .split_once(':')
            .ok_or_else(|| refuse(at, value, "--hash=ALGORITHM:HEX"))?;
        let len = match alg {
            "sha256" => 64,
            "sha384" => 96,
            "sha512" => 128,
            _ => return Err(refuse(at, value, "sha256, sha384 or sha512")),
        };
        if hex.len() != len || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(refuse(at, value, format!("{alg} is {len} hex digits")));
        }
        out.push(format!("--hash={alg}:{}", hex.to_ascii_lowercase()));
    }
    Ok(out)
}

fn join_hashes(mut line: String, hashes: &[String]) -> String {
    for h in hashes {
        line.push(' ');
        line.push_str(h);
    }
    line
}

fn is_vcs(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| lower.starts_with(p))
        || lower.starts_with("git:")
}

/// A requirement that is no PEP 508 string and reads as a path.
fn looks_local(s: &str) -> bool {
    s.starts_with(['.', '/', '~', '\\'])
        || s.contains(['/', '\\'])
        || s.get(1..3) == Some(":\\")
        || s.starts_with("file:")
}

fn absolute(base: &Path, given: &str) -> PathBuf {
    let p = Path::new(given);
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

/// A path written into the canonical file must mean the same to every reader: printable
/// ASCII without whitespace, `#`, `$`, quotes or backslashes.
fn safe_path(at: &str, item: &str, path: &Path) -> Result<(), InterposeError> {
    let s = path.to_str().unwrap_or("\u{0}");
    if s.bytes()
        .all(|b| b.is_ascii_graphic() && !b"#$'\"\\;".contains(&b))
    {
        Ok(())
    } else {
        Err(refuse(
            at,
            item,
            "a path with whitespace, quotes, '#', '$', ';' or non-ASCII characters",
        ))
    }
}

/// The last check of every written line: printable ASCII (no `$`, no `\`, no `#` after
/// whitespace), and read back by the same grammar it comes out the same.
fn check_written(policy: &Policy, line: &str, base: &Path) -> Result<(), InterposeError> {
    let at = "canonical requirements";
    let printable = line.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if !printable || line.contains(['$', '\\']) || line.contains(" #") {
        return Err(refuse(at, line, "cannot be written unambiguously"));
    }
    let mut again = Walk {
        policy,
        cwd: base.to_owned(),
        out: Canonical::default(),
        seen: BTreeSet::new(),
    };
    let tokens: Vec<&str> = line.split_whitespace().collect();
    if line.starts_with("-e ") {
        again.file_options(at, &tokens, base, 0)?;
    } else {
        let cut = tokens
            .iter()
            .position(|t| t.starts_with('-'))
            .unwrap_or(tokens.len());
        let hashes = hashes(at, &tokens[cut..])?;
        again.requirement(
            at,
            &tokens[..cut].join(" "),
            hashes,
            base,
            Kind::Requirement,
        )?;
    }
    if again.out.requirements != [line] {
        return Err(refuse(
            at,
            line,
            format!("reads back as {:?}", again.out.requirements),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
