//! Interposition rules: for each host an installer would contact, the TUF repository that
//! secures it and ordered URL-path patterns mapped to target paths.

use crate::InterposeError;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tuf_pypi::normalize_name;
use unicode_normalization::UnicodeNormalization;

/// One rule as written in the rules file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// A regular expression matched against the whole decoded URL path.
    pub pattern: String,
    /// The target path: `{N}` is capture group N, `{N:name}` the group normalized as a
    /// PEP 503 project name.
    pub target: String,
    /// What the URL is ([`RuleKind`]); a target by default.
    #[serde(default, skip_serializing_if = "RuleKind::is_target")]
    pub kind: RuleKind,
}

/// What a rule's URLs are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A TUF target (an index page if its path ends in `.html`).
    #[default]
    Target,
    /// A TUF target that is a PEP 503 HTML index page whose links' digests vouch for the
    /// files of `vouched` rules (PEP 458 as Warehouse signs PyPI: only the pages are
    /// targets; the target path is the project's name).
    Page,
    /// Not a target: a file, at this path below the targets mirrors, verified by the digest
    /// that a verified `page` of the same repository lists for its URL; refused when none
    /// does.
    Vouched,
}

impl RuleKind {
    fn is_target(&self) -> bool {
        *self == RuleKind::Target
    }
}

/// A TUF repository as the rules file names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepositorySpec {
    /// Metadata mirrors (base URLs).
    pub metadata_urls: Vec<String>,
    /// Target mirrors (base URLs).
    pub targets_urls: Vec<String>,
    /// Local trusted metadata directory.
    pub metadata_dir: PathBuf,
    /// Where verified targets are cached.
    pub targets_dir: PathBuf,
    /// The initial trusted root (copied into `metadata_dir` when it holds none).
    pub root: Option<PathBuf>,
    /// Extra CA certificates (PEM) for HTTPS mirrors.
    pub ca_file: Option<PathBuf>,
}

/// A host an installer contacts, and how its URLs map to targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// The name of the repository (in `repositories`) that secures this host.
    pub repository: String,
    /// Rules tried in order; the first match wins.
    pub rules: Vec<RuleSpec>,
}

/// The rules file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSpec {
    /// Hosts by name (e.g. `pypi.org`).
    pub hosts: BTreeMap<String, HostSpec>,
    /// Repositories by name.
    pub repositories: BTreeMap<String, RepositorySpec>,
    /// The host whose rules apply to requests made to the proxy itself (index mode).
    pub index_host: String,
}

impl RulesSpec {
    /// The rules for a PyPI-style mirror with `simple/` and `packages/` targets: PEP 503 and
    /// PEP 691 index pages, distribution files, and PEP 658 `.metadata` files, for the hosts
    /// `pypi.org` and `files.pythonhosted.org` (so direct URLs to PyPI are covered too).
    pub fn for_mirror(repository: RepositorySpec) -> RulesSpec {
        let rule = |p: &str, t: &str| RuleSpec {
            pattern: p.into(),
            target: t.into(),
            kind: RuleKind::Target,
        };
        let rules = vec![
            rule("^/simple/?$", "simple/index.html"),
            rule("^/simple/([^/]+)/?$", "simple/{1:name}/index.html"),
            rule("^/packages/(.+)$", "packages/{1}"),
        ];
        // Direct URLs to PyPI's file host map to the same `packages/` targets.
        let files = vec![rule("^/packages/(.+)$", "packages/{1}")];
        Self::for_hosts(repository, rules, files)
    }

    /// The rules for a mirror laid out as Warehouse signs PyPI ([`RuleKind::Page`]): each
    /// project's HTML index page is the target named by the project's normalized name, and
    /// files under `packages/` are verified by the digests of those pages.
    pub fn for_pages_mirror(repository: RepositorySpec) -> RulesSpec {
        let rule = |p: &str, t: &str, kind| RuleSpec {
            pattern: p.into(),
            target: t.into(),
            kind,
        };
        let files = rule("^/packages/(.+)$", "packages/{1}", RuleKind::Vouched);
        let rules = vec![
            rule("^/simple/([^/]+)/?$", "{1:name}", RuleKind::Page),
            files.clone(),
        ];
        Self::for_hosts(repository, rules, vec![files])
    }

    /// `index` rules for `pypi.org` and `files` rules for `files.pythonhosted.org`, both
    /// secured by `repository` (named `mirror`).
    fn for_hosts(
        repository: RepositorySpec,
        rules: Vec<RuleSpec>,
        files: Vec<RuleSpec>,
    ) -> RulesSpec {
        RulesSpec {
            hosts: [
                (
                    "pypi.org".to_owned(),
                    HostSpec {
                        repository: "mirror".into(),
                        rules,
                    },
                ),
                (
                    "files.pythonhosted.org".to_owned(),
                    HostSpec {
                        repository: "mirror".into(),
                        rules: files,
                    },
                ),
            ]
            .into_iter()
            .collect(),
            repositories: [("mirror".to_owned(), repository)].into_iter().collect(),
            index_host: "pypi.org".into(),
        }
    }

    /// Reads and validates a rules file (JSON).
    pub fn load(path: &std::path::Path) -> Result<RulesSpec, InterposeError> {
        let text = std::fs::read(path)
            .map_err(|e| InterposeError::Rules(format!("{}: {e}", path.display())))?;
        let spec: RulesSpec = serde_json::from_slice(&text)
            .map_err(|e| InterposeError::Rules(format!("{}: {e}", path.display())))?;
        Rules::compile(&spec)?;
        Ok(spec)
    }
}

#[derive(Debug, Clone)]
struct Rule {
    pattern: Regex,
    target: String,
    kind: RuleKind,
}

/// Compiled rules.
#[derive(Debug, Clone)]
pub struct Rules {
    hosts: BTreeMap<String, (String, Vec<Rule>)>,
    index_host: String,
}

/// Where a request goes: the repository and the target path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The repository's name.
    pub repository: String,
    /// The target path (for a vouched file, its path below the targets mirrors).
    pub target: String,
    /// What the rule says the URL is.
    pub kind: RuleKind,
}

impl Rules {
    /// Compiles and checks every rule; errors name the host and the rule.
    pub fn compile(spec: &RulesSpec) -> Result<Rules, InterposeError> {
        let mut hosts = BTreeMap::new();
        for (host, h) in &spec.hosts {
            if !spec.repositories.contains_key(&h.repository) {
                return Err(InterposeError::Rules(format!(
                    "host {host}: unknown repository {:?}",
                    h.repository
                )));
            }
            let mut rules = Vec::new();
            for (i, r) in h.rules.iter().enumerate() {
                let bad = |m: String| {
                    InterposeError::Rules(format!("host {host}, rule {i} ({:?}): {m}", r.pattern))
                };
                if !r.pattern.starts_with('^') || !r.pattern.ends_with('$') {
                    return Err(bad("patterns must be anchored with ^ and $".into()));
                }
                let pattern = Regex::new(&r.pattern).map_err(|e| bad(e.to_string()))?;
                check_template(&r.target, pattern.captures_len() - 1).map_err(bad)?;
                rules.push(Rule {
                    pattern,
                    target: r.target.clone(),
                    kind: r.kind,
                });
            }
            hosts.insert(host.to_ascii_lowercase(), (h.repository.clone(), rules));
        }
        if !hosts.contains_key(&spec.index_host.to_ascii_lowercase()) {
            return Err(InterposeError::Rules(format!(
                "index_host {:?} has no rules",
                spec.index_host
            )));
        }
        Ok(Rules {
            hosts,
            index_host: spec.index_host.to_ascii_lowercase(),
        })
    }

    /// Whether any rule is [`RuleKind::Vouched`] (only then are pages read for digests).
    pub fn vouches(&self) -> bool {
        self.hosts
            .values()
            .any(|(_, rules)| rules.iter().any(|r| r.kind == RuleKind::Vouched))
    }

    /// The covered hosts.
    pub fn hosts(&self) -> impl Iterator<Item = &str> {
        self.hosts.keys().map(String::as_str)
    }

    /// Whether a rule names `host` (in any case): the hosts whose URLs are answered from a
    /// TUF repository; every other host is refused.
    pub fn covers(&self, host: &str) -> bool {
        self.hosts.keys().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// The name of the repository that secures the index host.
    pub fn index_repository(&self) -> &str {
        self.hosts
            .get(&self.index_host)
            .map_or("", |(repository, _)| repository.as_str())
    }

    /// Maps a request to a target. `host` is `None` for requests made to the proxy itself.
    /// The path is percent-decoded exactly once; dot segments, backslashes, NUL and invalid
    /// UTF-8 are refused; the result is NFC. A URL that no rule maps is refused.
    ///
    /// ```
    /// use tuf_interpose::{RepositorySpec, Rules, RulesSpec};
    ///
    /// let repo = RepositorySpec { metadata_urls: vec![], targets_urls: vec![], metadata_dir: "m".into(),
    ///     targets_dir: "t".into(), root: None, ca_file: None };
    /// let rules = Rules::compile(&RulesSpec::for_mirror(repo)).unwrap();
    /// assert_eq!(rules.map(None, "/simple/Friendly_Bard/").unwrap().target, "simple/friendly-bard/index.html");
    /// assert!(rules.map(None, "/simple/../etc/passwd").is_err());
    /// assert!(rules.map(None, "/elsewhere").is_err());
    /// ```
    pub fn map(&self, host: Option<&str>, raw_path: &str) -> Result<Mapped, InterposeError> {
        let refuse = |reason: &str| InterposeError::Refused {
            path: raw_path.to_owned(),
            reason: reason.to_owned(),
        };
        let host = host.map_or_else(|| self.index_host.clone(), |h| h.to_ascii_lowercase());
        let (repository, rules) = self
            .hosts
            .get(&host)
            .ok_or_else(|| InterposeError::NoRule {
                host: host.clone(),
                path: raw_path.to_owned(),
            })?;
        let path = raw_path.split(['?', '#']).next().unwrap_or_default();
        let decoded = percent_encoding::percent_decode_str(path)
            .decode_utf8()
            .map_err(|_| refuse("not UTF-8 once decoded"))?;
        if decoded.contains(['\\', '\0']) {
            return Err(refuse("backslash or NUL in the path"));
        }
        if decoded.split('/').any(|s| s == "." || s == "..") {
            return Err(refuse("dot segment in the path"));
        }
        let decoded: String = decoded.nfc().collect();
        for rule in rules {
            if let Some(caps) = rule.pattern.captures(&decoded) {
                let target = expand(&rule.target, &caps);
                if target.is_empty()
                    || target.starts_with('/')
                    || target
                        .split('/')
                        .any(|s| s.is_empty() || s == "." || s == "..")
                {
                    return Err(refuse("the rule produced an unusable target path"));
                }
                return Ok(Mapped {
                    repository: repository.clone(),
                    target,
                    kind: rule.kind,
                });
            }
        }
        Err(InterposeError::NoRule {
            host,
            path: raw_path.to_owned(),
        })
    }
}

fn check_template(t: &str, groups: usize) -> Result<(), String> {
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').ok_or("unclosed { in target")? + open;
        let inner = &rest[open + 1..close];
        let (n, modifier) = inner.split_once(':').unwrap_or((inner, ""));
        let n: usize = n
            .parse()
            .map_err(|_| format!("{{{inner}}} is not a group number"))?;
        if n == 0 || n > groups {
            return Err(format!(
                "group {n} does not exist (the pattern has {groups})"
            ));
        }
        if !modifier.is_empty() && modifier != "name" {
            return Err(format!("unknown modifier :{modifier} (only :name)"));
        }
        rest = &rest[close + 1..];
    }
    Ok(())
}

fn expand(t: &str, caps: &regex::Captures<'_>) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| c + open);
        let inner = &rest[open + 1..close.min(rest.len())];
        let (n, modifier) = inner.split_once(':').unwrap_or((inner, ""));
        let value = n
            .parse::<usize>()
            .ok()
            .and_then(|n| caps.get(n))
            .map_or("", |m| m.as_str());
        if modifier == "name" {
            out.push_str(&normalize_name(value));
        } else {
            out.push_str(value);
        }
        rest = rest.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}
