//! What a request to the proxy's own port is, decided from its method and request target
//! alone (no I/O, so that the decision can be tested and fuzzed apart from the server): a
//! tunnel to intercept, a refusal, or a URL of a covered host to map to a target path.

use crate::rules::Rules;
use hyper::{Method, Uri};

/// The route of one request on the proxy's own port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `CONNECT host:port` to a covered host, in guard mode: the tunnel is intercepted and the
    /// requests inside it are answered as URLs of `host`.
    Intercept {
        /// The request's authority (`host:port`), for the log.
        authority: String,
        /// The covered host the tunnel's requests are mapped for.
        host: String,
    },
    /// A `CONNECT` without a `host:port` authority.
    BadConnect,
    /// Refused, never fetched: no TUF repository covers the host (or `CONNECT` came without
    /// a guard to intercept it). The text names the request, for the report.
    Uncovered(String),
    /// A URL answered from a TUF repository: `host` is the covered host of a proxy request in
    /// absolute form, `None` for the proxy's own (index) URLs.
    Covered {
        /// The covered host, or `None` for the proxy's own URLs.
        host: Option<String>,
    },
}

/// The route of a request with `method` and request target `uri`. `guarded`: whether
/// `CONNECT` to covered hosts is intercepted; `own_port`: the proxy's port, so that an
/// absolute-form request naming the proxy itself (`http://127.0.0.1:PORT/...`) is one of its
/// own URLs. A host is covered when a rule names it, in any case; every other host is refused.
pub fn route(
    rules: &Rules,
    guarded: bool,
    method: &Method,
    uri: &Uri,
    own_port: Option<u16>,
) -> Route {
    if method == Method::CONNECT {
        let (Some(authority), Some(host)) = (uri.authority(), uri.host()) else {
            return Route::BadConnect;
        };
        if !guarded || !rules.covers(host) {
            return Route::Uncovered(format!("CONNECT {authority}"));
        }
        return Route::Intercept {
            authority: authority.to_string(),
            host: host.to_owned(),
        };
    }
    // A proxy request in absolute form (`GET http://host/path`).
    if let Some(host) = uri.host() {
        let own = own_port.is_some_and(|port| {
            uri.port_u16() == Some(port)
                && (host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost"))
        });
        if own {
            return Route::Covered { host: None };
        }
        if !rules.covers(host) {
            return Route::Uncovered(format!("{method} {uri}"));
        }
        return Route::Covered {
            host: Some(host.to_owned()),
        };
    }
    Route::Covered { host: None }
}

/// The host and URL path a covered request is mapped with (`host` as [`Route::Covered`] or
/// [`Route::Intercept`] gave it). On the proxy's own URLs, `/_host/HOST/PATH` names `PATH` of
/// `HOST`: the form every absolute link of a verified page is rewritten to
/// ([`crate::links`]); the proxy refuses a `HOST` no rule covers ([`Rules::covers`]).
pub fn effective_url(host: Option<&str>, path: &str) -> (Option<String>, String) {
    match path.strip_prefix("/_host/").and_then(|r| r.split_once('/')) {
        Some((named, rest)) if host.is_none() => (Some(named.to_owned()), format!("/{rest}")),
        _ => (host.map(str::to_owned), path.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RepositorySpec, RulesSpec};

    fn rules() -> Rules {
        let repo = RepositorySpec {
            metadata_urls: vec![],
            targets_urls: vec![],
            metadata_dir: "m".into(),
            targets_dir: "t".into(),
            root: None,
            ca_file: None,
        };
        Rules::compile(&RulesSpec::for_mirror(repo)).expect("the default rules compile")
    }

    fn of(method: Method, target: &str, guarded: bool) -> Route {
        let uri: Uri = target.parse().expect("a request target");
        route(&rules(), guarded, &method, &uri, Some(8080))
    }

    #[test]
    fn connect_is_intercepted_only_for_covered_hosts_in_guard_mode() {
        let intercepted = of(Method::CONNECT, "Files.PythonHosted.org:443", true);
        assert!(
            matches!(&intercepted, Route::Intercept { host, .. } if host == "Files.PythonHosted.org"),
            "{intercepted:?}"
        );
        for (target, guarded) in [
            ("evil.example:443", true),
            ("files.pythonhosted.org.evil.example:443", true),
            ("files.pythonhosted.org:443", false),
        ] {
            let r = of(Method::CONNECT, target, guarded);
            assert!(matches!(r, Route::Uncovered(_)), "{target}: {r:?}");
        }
    }

    #[test]
    fn absolute_form_names_a_covered_host_or_is_refused() {
        assert_eq!(
            of(Method::GET, "http://PyPI.org/simple/x/", false),
            Route::Covered {
                host: Some("PyPI.org".into())
            }
        );
        assert_eq!(
            of(Method::GET, "http://127.0.0.1:8080/simple/x/", false),
            Route::Covered { host: None }
        );
        for target in [
            "http://127.0.0.1:8081/simple/x/",
            "http://evil.example/simple/x/",
        ] {
            let r = of(Method::GET, target, true);
            assert!(matches!(r, Route::Uncovered(_)), "{target}: {r:?}");
        }
        assert_eq!(
            of(Method::GET, "/simple/x/", false),
            Route::Covered { host: None }
        );
    }

    #[test]
    fn a_host_named_in_the_path_is_mapped_only_when_covered() {
        let rules = rules();
        let (host, path) = effective_url(
            None,
            "/_host/files.pythonhosted.org/packages/ab/x-1.0.tar.gz",
        );
        assert_eq!(host.as_deref(), Some("files.pythonhosted.org"));
        assert_eq!(
            rules.map(host.as_deref(), &path).expect("mapped").target,
            "packages/ab/x-1.0.tar.gz"
        );
        let (host, path) = effective_url(None, "/_host/evil.example/packages/ab/x-1.0.tar.gz");
        assert!(rules.map(host.as_deref(), &path).is_err());
        // Inside a tunnel or in absolute form the host is the request's own.
        let (host, path) = effective_url(Some("pypi.org"), "/_host/evil.example/simple/x/");
        assert_eq!(
            (host.as_deref(), path.as_str()),
            (Some("pypi.org"), "/_host/evil.example/simple/x/")
        );
    }
}
