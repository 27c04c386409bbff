//! The installer's environment, built from an allow-list: nothing of the caller's
//! environment reaches pip, uv, git or a build backend but the variables named here, and
//! the variables that send them through the verifying proxy are set so that nested
//! installers (pip's build-isolation pip, a backend calling pip) inherit them.
//!
//! A deny-list cannot be complete (`PYTHONPATH` replaces pip itself, `GIT_CONFIG_*` and
//! `GIT_PROXY_COMMAND` reroute git, `XDG_CONFIG_DIRS` adds a `pip.conf`, `NO_PROXY` exempts
//! hosts from the proxy), so the environment starts empty.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The caller's variables passed through as they are: where programs are, the user and
/// home (for git and tools that need one), locale, terminal and temporary directory. Every
/// `LC_*` variable is passed too. Nothing else is.
pub const PASSED: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "COLUMNS",
    "NO_COLOR",
    "TMPDIR",
    // Windows: what a process needs to start at all.
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "TEMP",
    "TMP",
    "USERPROFILE",
];

/// The proxy variables, set to the verifying proxy in guard mode (both spellings, as
/// programs differ in which they read).
pub const PROXY_VARS: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Python's name for the null device, which `PIP_CONFIG_FILE` must name for pip to load no
/// configuration file at all (global, user, site and `XDG_CONFIG_DIRS` included).
#[cfg(windows)]
pub const DEVNULL: &str = "nul";
/// Python's name for the null device, which `PIP_CONFIG_FILE` must name for pip to load no
/// configuration file at all (global, user, site and `XDG_CONFIG_DIRS` included).
#[cfg(not(windows))]
pub const DEVNULL: &str = "/dev/null";

/// What the environment points the installer at.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// The proxy's index URL (`http://127.0.0.1:PORT/simple/`).
    pub index_url: String,
    /// Guard mode: the proxy URL and the guard CA's certificate file.
    pub guard: Option<(String, PathBuf)>,
    /// A directory private to the TUF repository, for the installers' caches and the XDG
    /// directories; never the user's own pip or uv cache.
    pub private_dir: PathBuf,
}

fn passed(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    PASSED.contains(&name) || name.starts_with("LC_")
}

impl Isolation {
    /// The whole environment of the installer: the allowed part of `caller`, then:
    ///
    /// * pip: `PIP_CONFIG_FILE` = the null device (no configuration file, in nested pips
    ///   too), `PIP_INDEX_URL` = the proxy, caches off (`PIP_NO_CACHE_DIR`; `PIP_CACHE_DIR`
    ///   private besides), no version check, no prompts; in guard mode `PIP_PROXY` and
    ///   `PIP_CERT`.
    /// * uv: `UV_NO_CONFIG`, `UV_NO_CACHE` (a temporary cache; `UV_CACHE_DIR` private
    ///   besides), `UV_PYTHON_DOWNLOADS=never`.
    /// * guard mode: the proxy variables, and the guard CA as `SSL_CERT_FILE` and
    ///   `REQUESTS_CA_BUNDLE`. No `NO_PROXY`: the proxy answers for its own address too, so
    ///   not even loopback is reached directly.
    /// * git: only `http:` and `https:` (so VCS fetches go through the proxy, which refuses
    ///   hosts no TUF repository covers), no system or global configuration, no prompts.
    /// * Python: no user site directory (`~/.local` could shadow pip).
    /// * `XDG_CACHE_HOME` and `XDG_CONFIG_HOME` private.
    pub fn environment(
        &self,
        caller: impl IntoIterator<Item = (OsString, OsString)>,
    ) -> Vec<(OsString, OsString)> {
        let mut env: Vec<(OsString, OsString)> =
            caller.into_iter().filter(|(k, _)| passed(k)).collect();
        let mut set = |k: &str, v: &OsStr| {
            env.retain(|(name, _)| name != k);
            env.push((k.into(), v.to_owned()));
        };
        let dir = |sub: &str| self.private_dir.join(sub).into_os_string();
        set("PIP_CONFIG_FILE", OsStr::new(DEVNULL));
        set("PIP_INDEX_URL", OsStr::new(&self.index_url));
        set("PIP_CACHE_DIR", &dir("pip"));
        // Off: every archive pip installs is fetched, verified, in this run (the proof
        // checks that); the proxy's verified target cache makes that cheap.
        set("PIP_NO_CACHE_DIR", OsStr::new("1"));
        set("PIP_DISABLE_PIP_VERSION_CHECK", OsStr::new("1"));
        set("PIP_NO_INPUT", OsStr::new("1"));
        set("UV_NO_CONFIG", OsStr::new("1"));
        set("UV_CACHE_DIR", &dir("uv"));
        set("UV_NO_CACHE", OsStr::new("1"));
        set("UV_PYTHON_DOWNLOADS", OsStr::new("never"));
        set("GIT_ALLOW_PROTOCOL", OsStr::new("http:https"));
        set("GIT_CONFIG_NOSYSTEM", OsStr::new("1"));
        set("GIT_CONFIG_GLOBAL", OsStr::new(DEVNULL));
        set("GIT_TERMINAL_PROMPT", OsStr::new("0"));
        set("PYTHONNOUSERSITE", OsStr::new("1"));
        set("XDG_CACHE_HOME", &dir("xdg-cache"));
        set("XDG_CONFIG_HOME", &dir("xdg-config"));
        if let Some((proxy, ca)) = &self.guard {
            for var in PROXY_VARS {
                set(var, OsStr::new(proxy));
            }
            set("PIP_PROXY", OsStr::new(proxy));
            set("PIP_CERT", ca.as_os_str());
            set("SSL_CERT_FILE", ca.as_os_str());
            set("REQUESTS_CA_BUNDLE", ca.as_os_str());
        }
        env
    }

    /// Creates the private directories.
    pub fn prepare(&self) -> std::io::Result<()> {
        for sub in ["pip", "uv", "xdg-cache", "xdg-config"] {
            std::fs::create_dir_all(self.private_dir.join(sub))?;
        }
        Ok(())
    }
}

/// The private directory of a repository's installers, beside its TUF metadata.
pub fn private_dir_for(metadata_dir: &Path) -> PathBuf {
    metadata_dir
        .parent()
        .unwrap_or(metadata_dir)
        .join("installer")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(guard: bool) -> Isolation {
        Isolation {
            index_url: "http://127.0.0.1:9/simple/".into(),
            guard: guard.then(|| ("http://127.0.0.1:9".into(), PathBuf::from("/tmp/ca.pem"))),
            private_dir: PathBuf::from("/c"),
        }
    }

    fn get<'a>(env: &'a [(OsString, OsString)], k: &str) -> Option<&'a OsStr> {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_os_str())
    }

    #[test]
    fn only_the_allow_list_passes() {
        let caller = [
            ("PATH", "/bin"),
            ("HOME", "/home/u"),
            ("LC_ALL", "C.UTF-8"),
            ("PYTHONPATH", "/evil"),
            ("PYTHONHOME", "/evil"),
            ("PYTHONSTARTUP", "/evil.py"),
            ("PYTHONUSERBASE", "/evil"),
            ("NO_PROXY", "127.0.0.1,localhost"),
            ("no_proxy", "*"),
            ("PIP_FIND_LINKS", "/evil"),
            ("PIP_CONFIG_FILE", "/evil/pip.conf"),
            ("UV_INDEX_URL", "http://evil/"),
            ("GIT_PROXY_COMMAND", "/evil"),
            ("GIT_CONFIG_COUNT", "1"),
            ("XDG_CONFIG_DIRS", "/evil"),
            ("XDG_CACHE_HOME", "/home/u/.cache"),
            ("HTTPS_PROXY", "http://evil:3128"),
            ("SSL_CERT_FILE", "/evil.pem"),
            ("LD_PRELOAD", "/evil.so"),
        ]
        .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let env = iso(true).environment(caller);
        for k in ["PATH", "HOME", "LC_ALL"] {
            assert!(get(&env, k).is_some(), "{k}");
        }
        for k in [
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONSTARTUP",
            "PYTHONUSERBASE",
            "NO_PROXY",
            "no_proxy",
            "PIP_FIND_LINKS",
            "UV_INDEX_URL",
            "GIT_PROXY_COMMAND",
            "GIT_CONFIG_COUNT",
            "XDG_CONFIG_DIRS",
            "LD_PRELOAD",
        ] {
            assert!(get(&env, k).is_none(), "{k} passed");
        }
        assert_eq!(get(&env, "PIP_CONFIG_FILE"), Some(OsStr::new(DEVNULL)));
        assert_eq!(
            get(&env, "XDG_CACHE_HOME"),
            Some(OsStr::new("/c/xdg-cache"))
        );
        assert_eq!(
            get(&env, "HTTPS_PROXY"),
            Some(OsStr::new("http://127.0.0.1:9"))
        );
        assert_eq!(get(&env, "SSL_CERT_FILE"), Some(OsStr::new("/tmp/ca.pem")));
        assert_eq!(
            get(&env, "GIT_ALLOW_PROTOCOL"),
            Some(OsStr::new("http:https"))
        );
        // Every name once.
        let mut names: Vec<_> = env.iter().map(|(k, _)| k.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), env.len());
    }

    #[test]
    fn index_mode_sets_no_proxy_and_no_ca() {
        let env = iso(false).environment([(OsString::from("HTTPS_PROXY"), "x".into())]);
        for k in PROXY_VARS
            .iter()
            .chain(&["PIP_CERT", "SSL_CERT_FILE", "PIP_PROXY"])
        {
            assert!(get(&env, k).is_none(), "{k}");
        }
        assert_eq!(
            get(&env, "PIP_INDEX_URL"),
            Some(OsStr::new("http://127.0.0.1:9/simple/"))
        );
    }
}
