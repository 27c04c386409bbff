//! `tuf-cli install` with the real, unmodified pip: a mirror of wheels made on the spot, built
//! with `tuf-cli repo`, served over HTTPS with a CA made on the spot, installed through the
//! verifying proxy — and attacks on the mirror that must stop the install.
//!
//! Unix only: the tests build POSIX virtual environments (`bin/python`), shell scripts and a
//! `git daemon`.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tuf-cli");

mod common;
use common::{free_port, python, run, script, wheel};

/// Starts `cmd` (a server that prints where it listens on its first line) and returns it with
/// the first word of that line starting with `scheme`.
fn spawn_listening(cmd: &mut Command, scheme: &str) -> (Child, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|s| s.starts_with(scheme))
        .unwrap_or_else(|| panic!("no {scheme} URL in {line:?}"))
        .to_owned();
    (child, url)
}

struct Mirror {
    work: tempfile::TempDir,
    server: Child,
    url: String,
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn mirror() -> Mirror {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dists = w.join("dists");
    wheel(
        &dists,
        &[
            "alpha",
            "1.0",
            "--requires",
            "Beta.Pkg",
            "--requires",
            "gamma",
        ],
    );
    wheel(&dists, &["Beta_Pkg", "0.3"]);
    wheel(
        &dists,
        &[
            "gamma",
            "2.1",
            "--file",
            "donn\u{e9}es-caf\u{e9}.txt=bonjour",
        ],
    );
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "init", "--bins", "16"])
        .current_dir(w));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "add-dists", "dists"])
        .current_dir(w));
    assert!(ok && out.contains("3 project(s)"), "{out}");
    tuf_repo::serve::ephemeral_pki(w).unwrap();
    let (server, meta) = spawn_listening(
        Command::new(BIN)
            .args(["repo", "--repo", "r", "serve", "--addr", "127.0.0.1:0"])
            .args(["--cert", "cert.pem", "--key", "key.pem"])
            .current_dir(w),
        "https://",
    );
    let url = meta.trim_end_matches("metadata/").to_owned();
    Mirror { work, server, url }
}

impl Mirror {
    fn install(&self, cache: &str, target: &str, reqs: &[&str]) -> (bool, String, PathBuf) {
        let site = self.work.path().join(target);
        let site_arg = site.display().to_string();
        let mut args = vec!["-v", "--stats"];
        args.extend_from_slice(reqs);
        args.extend(["--", "--target", &site_arg]);
        let (ok, out) = self.cli("install", cache, &args);
        (ok, out, site)
    }

    /// The served copy of a target (under its hash-prefixed name).
    fn served(&self, prefix: &str, suffix: &str) -> PathBuf {
        let dir = self.work.path().join("r/targets").join(prefix);
        std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} in {}", dir.display()))
    }
}

fn installed(site: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(site)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| !n.ends_with("dist-info") && !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn pip_installs_through_tuf_and_every_attack_stops_it() {
    let m = mirror();
    // Success: a dependency chain, a name that needs PEP 503 normalization, a non-ASCII file.
    let (ok, out, site) = m.install("cache-ok", "site-ok", &["Alpha"]);
    assert!(ok, "{out}");
    assert_eq!(installed(&site), ["alpha", "beta_pkg", "gamma"], "{out}");
    assert_eq!(
        std::fs::read_to_string(site.join("gamma/donn\u{e9}es-caf\u{e9}.txt")).unwrap(),
        "bonjour"
    );
    assert!(out.contains("Interposing for /simple/alpha/"), "{out}");
    assert!(out.contains("The file's sha256 hash is correct"), "{out}");
    assert!(out.contains("metadata overhead:"), "{out}");
    // PEP 658: pip read each wheel's core metadata, also a verified target, before the wheel.
    assert!(
        out.contains("Interposing for /packages/gamma-2.1-py3-none-any.whl.metadata"),
        "{out}"
    );

    // A project the metadata does not list: refused, nothing installed.
    let (ok, out, site) = m.install("cache-missing", "site-missing", &["delta"]);
    assert!(!ok, "{out}");
    assert!(installed(&site).is_empty());

    // A tampered wheel on the mirror.
    let (served_wheel, original) = m.tamper_gamma();
    let (ok, out, site) = m.install("cache-wheel", "site-wheel", &["alpha"]);
    assert!(!ok, "a tampered wheel was installed: {out}");
    assert!(
        out.contains("TUF verification refused") || out.contains("hash"),
        "{out}"
    );
    assert!(!site.join("gamma").exists());
    std::fs::write(&served_wheel, &original).unwrap();

    // Tampered simple pages (PEP 503 HTML and PEP 691 JSON), as a malicious mirror would
    // serve them to point pip at a file of its choosing.
    for page_name in ["index.html", "index.json"] {
        let page = m.served("simple/beta-pkg", page_name);
        let text = std::fs::read_to_string(&page).unwrap();
        std::fs::remove_file(&page).unwrap();
        std::fs::write(&page, text.replace("0.3", "0.4")).unwrap();
    }
    let (ok, out, site) = m.install("cache-page", "site-page", &["beta-pkg"]);
    assert!(!ok, "a tampered page was used: {out}");
    assert!(
        out.contains("refused /simple/beta-pkg/") && out.contains("does not match"),
        "{out}"
    );
    assert!(installed(&site).is_empty());

    // A replayed page: alpha 2.0 is published, and the mirror serves alpha's old (once
    // validly signed) pages in place of the new ones, to hold users on the old release.
    let w = m.work.path();
    wheel(&w.join("dists"), &["alpha", "2.0", "--requires", "gamma"]);
    m.publish();
    for page_name in ["index.html", "index.json"] {
        let mut copies: Vec<PathBuf> = std::fs::read_dir(w.join("r/targets/simple/alpha"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(page_name))
            .collect();
        copies.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        assert_eq!(copies.len(), 2, "old and new {page_name}");
        let old = std::fs::read(&copies[0]).unwrap();
        std::fs::remove_file(&copies[1]).unwrap();
        std::fs::write(&copies[1], old).unwrap();
    }
    let (ok, out, site) = m.install("cache-replay", "site-replay", &["alpha"]);
    assert!(!ok, "a replayed page was used: {out}");
    assert!(out.contains("refused /simple/alpha/"), "{out}");
    assert!(installed(&site).is_empty());

    assert!(installed(&site).is_empty());
}

#[test]
fn absolute_links_to_a_covered_host_go_through_tuf_too() {
    // A page (like PyPI's) linking to files on another host, files.example.org; the rules
    // cover both hosts with one TUF repository. pip must get every file through the proxy,
    // also where a page spells the scheme and host in capitals (hosts ignore case).
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dists = w.join("dists");
    let tree = w.join("tree");
    std::fs::create_dir_all(tree.join("packages")).unwrap();
    for (name, link) in [
        ("remote", "https://files.example.org/packages/"),
        ("shouty", "HTTPS://Files.Example.ORG/packages/"),
    ] {
        wheel(&dists, &[name, "1.0"]);
        let file = format!("{name}-1.0-py3-none-any.whl");
        std::fs::copy(dists.join(&file), tree.join("packages").join(&file)).unwrap();
        std::fs::create_dir_all(tree.join("simple").join(name)).unwrap();
        std::fs::write(
            tree.join("simple").join(name).join("index.html"),
            format!("<a href=\"{link}{file}\">{file}</a>"),
        )
        .unwrap();
    }
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "init", "--bins", "4"])
        .current_dir(w));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "sync", "tree"])
        .current_dir(w));
    assert!(ok, "{out}");
    let base = url_of_dir(&w.join("r"));
    let rules = serde_json::json!({
        "index_host": "pypi.org",
        "repositories": {"mirror": {
            "metadata_urls": [format!("{base}metadata/")], "targets_urls": [format!("{base}targets/")],
            "metadata_dir": w.join("cache/metadata"), "targets_dir": w.join("cache/targets"),
            "root": w.join("r/metadata/1.root.json"), "ca_file": null}},
        "hosts": {
            "pypi.org": {"repository": "mirror", "rules": [{"pattern": "^/simple/([^/]+)/?$", "target": "simple/{1:name}/index.html"}]},
            "files.example.org": {"repository": "mirror", "rules": [{"pattern": "^/packages/(.+)$", "target": "packages/{1}"}]}
        }
    });
    std::fs::write(w.join("rules.json"), rules.to_string()).unwrap();
    let site = w.join("site");
    let (ok, out) = run(Command::new(BIN)
        .args(["-v", "install", "--rules", "rules.json", "--python"])
        .arg(python())
        .args(["remote", "shouty", "--", "--target"])
        .arg(&site)
        .current_dir(w));
    assert!(ok, "{out}");
    for name in ["remote", "shouty"] {
        assert!(site.join(name).exists(), "{name} not installed: {out}");
        let through_proxy =
            format!("/_host/files.example.org/packages/{name}-1.0-py3-none-any.whl");
        assert!(out.contains(&through_proxy), "{name}: {out}");
    }
}

/// The clients of `tuf-cli serve` have no guard around them: a verified page linking to a host
/// no rule covers must not send them there, however the link is spelled. Every link of a page
/// is checked as the installer will read it and written again: an absolute one pointed at the
/// service, which refuses that host, any other form some URL parser reads as another host
/// left out. The host, with a wheel ready for each spelling, sees no request from pip
/// (pinned and current) or uv.
#[test]
fn a_page_linking_to_an_uncovered_host_sends_no_client_of_serve_there() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let elsewhere = w.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let log = w.join("elsewhere.log");
    let host = evil_server_logging(&elsewhere, std::fs::File::create(&log).unwrap().into());
    let port = host.port;
    let e = format!("127.0.0.1:{port}");
    // (project, the page's link to its wheel on the other host; an HTML page, or a PEP 691
    // JSON page where the link is JSON): plain, then spelled so that only a decoder or a
    // URL parser's clean-up sees the scheme or the `//`.
    let spellings = [
        ("plain", format!("http://{e}/")),
        ("numeric-reference", format!("&#104;ttp://{e}/")),
        ("named-reference", format!("http&colon;//{e}/")),
        ("tab-in-slashes", format!("/\t/{e}/")),
        ("newline-in-scheme", format!("ht\ntp://{e}/")),
        ("backslash", format!("/\\{e}/")),
        ("json-escape", format!("http:\\/\\/{e}\\/")),
    ];
    for (name, link) in &spellings {
        let project = format!("faraway-{name}");
        wheel(&elsewhere, &[&project, "1.0"]);
        let file = format!("faraway_{}-1.0-py3-none-any.whl", name.replace('-', "_"));
        assert!(elsewhere.join(&file).exists(), "{file}");
        let page = tree_page(w, &project);
        if *name == "json-escape" {
            std::fs::write(
                page.with_file_name("index.json"),
                format!(
                    "{{\"meta\": {{\"api-version\": \"1.0\"}}, \"name\": \"{project}\", \"files\": \
                     [{{\"filename\": \"{file}\", \"url\": \"{link}{file}\", \"hashes\": {{}}}}]}}"
                ),
            )
            .unwrap();
        }
        std::fs::write(page, format!("<a href=\"{link}{file}\">{file}</a>")).unwrap();
    }
    let (mut serve, index) = serve_tree(w);
    let mut refusals = Vec::new();
    for (label, kind, python) in installers() {
        for (name, _) in &spellings {
            let site = w.join(format!("site-{label}-{name}"));
            let (ok, out) = install_from(kind, &python, &index, &site, &format!("faraway-{name}"));
            let installed = std::fs::read_dir(&site).is_ok_and(|mut d| {
                d.any(|e| {
                    e.unwrap()
                        .file_name()
                        .to_string_lossy()
                        .starts_with("faraway")
                })
            });
            refusals.push((label, *name, ok, installed, out));
        }
    }
    let _ = serve.kill();
    let _ = serve.wait();
    drop(host);
    let asked = std::fs::read_to_string(&log).unwrap();
    let escaped: Vec<_> = refusals
        .iter()
        .filter(|(_, _, ok, installed, _)| *ok || *installed)
        .map(|(label, name, ..)| format!("{label}: {name}"))
        .collect();
    assert!(
        escaped.is_empty(),
        "sent to a host no rule covers: {escaped:?}\n{asked}\n{refusals:#?}"
    );
    for (label, name, _, _, out) in &refusals {
        if *name == "plain" {
            assert!(
                out.contains("403"),
                "{label} refused for another reason: {out}"
            );
        }
    }
    assert!(
        !asked.contains("GET") && !asked.contains("HEAD"),
        "the uncovered host was asked: {asked}"
    );
}

/// A verified wheel whose metadata declares a dependency by URL would send pip, through
/// `tuf-cli serve` (no guard around it), to fetch that URL itself, unverified: the service
/// refuses the wheel. The other host, with the dependency's wheel ready, sees no request.
#[test]
fn a_wheel_depending_on_a_url_sends_no_client_of_serve_there() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let elsewhere = w.join("elsewhere");
    wheel(&elsewhere, &["payload", "1.0"]);
    let log = w.join("elsewhere.log");
    let host = evil_server_logging(&elsewhere, std::fs::File::create(&log).unwrap().into());
    let url = format!(
        "http://127.0.0.1:{}/payload-1.0-py3-none-any.whl",
        host.port
    );
    let packages = w.join("tree/packages");
    wheel(
        &packages,
        &["carrier", "1.0", "--requires", &format!("payload @ {url}")],
    );
    std::fs::write(
        tree_page(w, "carrier"),
        "<a href=\"../../packages/carrier-1.0-py3-none-any.whl\">carrier-1.0-py3-none-any.whl</a>",
    )
    .unwrap();
    let (mut serve, index) = serve_tree(w);
    let mut results = Vec::new();
    for (label, kind, python) in installers() {
        let site = w.join(format!("site-{label}"));
        let (ok, out) = install_from(kind, &python, &index, &site, "carrier");
        results.push((label, ok, site.join("payload").exists(), out));
    }
    let _ = serve.kill();
    let _ = serve.wait();
    drop(host);
    let asked = std::fs::read_to_string(&log).unwrap();
    let escaped: Vec<_> = results
        .iter()
        .filter(|(_, ok, payload, _)| *ok || *payload)
        .map(|(label, ..)| *label)
        .collect();
    assert!(
        escaped.is_empty() && !asked.contains("GET") && !asked.contains("HEAD"),
        "installed, or fetched from the URL: {escaped:?}\n{asked}\n{results:#?}"
    );
    for (label, _, _, out) in &results {
        assert!(
            out.contains("403") || out.contains("dependency by URL"),
            "{label} refused for another reason: {out}"
        );
    }
}

/// `repo init` and `repo sync tree` in `w` (repository `r`), then `tuf-cli serve` of it:
/// the service and its index URL.
fn serve_tree(w: &Path) -> (Child, String) {
    for args in [&["init", "--bins", "4"][..], &["sync", "tree"]] {
        let (ok, out) = run(Command::new(BIN)
            .args(["repo", "--repo", "r"])
            .args(args)
            .current_dir(w));
        assert!(ok, "{out}");
    }
    spawn_listening(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--mirror"])
            .arg(url_of_dir(&w.join("r")))
            .args([
                "--root",
                "r/metadata/1.root.json",
                "--cache-dir",
                "serve-cache",
            ])
            .current_dir(w)
            .stderr(Stdio::null()),
        "http://",
    )
}

/// `project` installed into `site` by an installer of [`installers`] (pip, or uv for `kind`
/// `uv`) with `index` as its only index and no configuration of the machine's.
fn install_from(
    kind: &str,
    python: &Path,
    index: &str,
    site: &Path,
    project: &str,
) -> (bool, String) {
    let mut cmd = if kind == "uv" {
        let mut c = Command::new(uv_path());
        c.args(["pip", "install", "--no-config", "--no-cache", "--python"])
            .arg(python)
            .env_remove("UV_INDEX_URL")
            .env_remove("UV_EXTRA_INDEX_URL")
            .env_remove("UV_FIND_LINKS");
        c
    } else {
        let mut c = Command::new(python);
        c.args(["-m", "pip", "install", "--isolated", "--no-cache-dir"])
            .args(["--disable-pip-version-check", "--no-input"]);
        c
    };
    run(cmd
        .args(["--index-url", index, "--target"])
        .arg(site)
        .arg(project))
}

/// `tree/simple/PROJECT/index.html` under `w`, its directory made.
fn tree_page(w: &Path, project: &str) -> PathBuf {
    let dir = w.join("tree/simple").join(project);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("index.html")
}

fn url_of_dir(p: &Path) -> String {
    format!("file://{}/", p.canonicalize().unwrap().display())
}

impl Mirror {
    /// `tuf-cli <verb> --mirror ... --root ... --ca-file ... <args>` in the work directory.
    fn cli(&self, verb: &str, cache: &str, args: &[&str]) -> (bool, String) {
        self.cli_env(verb, cache, args, &[])
    }

    /// [`Mirror::cli`] with extra variables in tuf-cli's own environment (which an attacker
    /// who can set them would use to reach the installer).
    fn cli_env(
        &self,
        verb: &str,
        cache: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (bool, String) {
        self.cli_with(verb, cache, args, env, &python())
    }

    /// [`Mirror::cli_env`] with the installer in the environment of `py`.
    fn cli_with(
        &self,
        verb: &str,
        cache: &str,
        args: &[&str],
        env: &[(&str, &str)],
        py: &Path,
    ) -> (bool, String) {
        let w = self.work.path();
        let mut cmd = Command::new(BIN);
        cmd.envs(env.iter().copied());
        cmd.args([
            verb,
            "--mirror",
            &self.url,
            "--root",
            "r/metadata/1.root.json",
            "--ca-file",
            "ca.pem",
        ])
        .arg("--cache-dir")
        .arg(w.join(cache))
        .arg("--python")
        .arg(py)
        .args(args)
        .current_dir(w);
        run(&mut cmd)
    }

    /// `tuf-cli install --installer INSTALLER REQ -- --target SITE` run with `py` (uv from
    /// the test environment), tuf-cli's own environment extended by `env`.
    fn install_into(
        &self,
        cache: &str,
        installer: &str,
        py: &Path,
        req: &str,
        site: &str,
        env: &[(&str, &str)],
    ) -> (bool, String) {
        self.install_with(cache, installer, py, &[], req, site, env)
    }

    /// [`Mirror::install_into`] with tuf-cli options `opts` (`--sandbox on`, `-v`...).
    #[allow(clippy::too_many_arguments)]
    fn install_with(
        &self,
        cache: &str,
        installer: &str,
        py: &Path,
        opts: &[&str],
        req: &str,
        site: &str,
        env: &[(&str, &str)],
    ) -> (bool, String) {
        let uv = uv_path();
        let mut args = opts.to_vec();
        args.extend([
            "--installer",
            installer,
            "--uv",
            &uv,
            req,
            "--",
            "--target",
            site,
        ]);
        self.cli_with("install", cache, &args, env, py)
    }

    /// Flips a byte of the served gamma wheel (a new file, as an attacker writing to the
    /// mirror would); returns its path and original bytes.
    fn tamper_gamma(&self) -> (PathBuf, Vec<u8>) {
        let served = self.served("packages", "gamma-2.1-py3-none-any.whl");
        let original = std::fs::read(&served).unwrap();
        let mut bad = original.clone();
        let n = bad.len() - 30;
        bad[n] ^= 0xFF;
        std::fs::remove_file(&served).unwrap();
        std::fs::write(&served, &bad).unwrap();
        (served, original)
    }

    /// Signs and publishes whatever `dists/` holds now (`tuf-cli repo add-dists`).
    fn publish(&self) {
        let (ok, out) = run(Command::new(BIN)
            .args(["repo", "--repo", "r", "add-dists", "dists"])
            .current_dir(self.work.path()));
        assert!(ok, "{out}");
    }

    fn site(&self, name: &str) -> String {
        self.work.path().join(name).display().to_string()
    }
}

#[test]
fn guard_mode_verifies_direct_urls_and_refuses_every_other_host() {
    let m = mirror();
    // A direct URL to PyPI's file host: intercepted (CONNECT), served from the verified target.
    let direct = "gamma @ https://files.pythonhosted.org/packages/gamma-2.1-py3-none-any.whl";
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-direct-{label}"));
        let (ok, out) = m.install_into(&format!("c1-{label}"), installer, &py, direct, &site, &[]);
        assert!(ok, "{label}: {out}");
        assert_eq!(installed(Path::new(&site)), ["gamma"], "{label}: {out}");
    }

    // The same URL with the file tampered with on the mirror: refused.
    let (served, original) = m.tamper_gamma();
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-direct-bad-{label}"));
        let (ok, out) = m.install_into(&format!("c2-{label}"), installer, &py, direct, &site, &[]);
        assert!(
            !ok,
            "{label}: a tampered file behind a direct URL was installed: {out}"
        );
        assert!(installed(Path::new(&site)).is_empty(), "{label}: {out}");
    }
    std::fs::write(&served, &original).unwrap();

    // A URL to a host no TUF repository covers: refused with a clear message, not fetched.
    let site = m.site("site-elsewhere");
    let (ok, out) = m.cli(
        "install",
        "c3",
        &[
            "evil @ https://downloads.example.com/evil-1.0-py3-none-any.whl",
            "--",
            "--target",
            &site,
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("command line: \"evil @ https://downloads.example.com/")
            && out.contains("which no TUF repository covers"),
        "{out}"
    );
    assert!(installed(Path::new(&site)).is_empty());
    // An extra index on another host is refused before the installer starts.
    let site = m.site("site-extra");
    let (ok, out) = m.cli(
        "install",
        "c4",
        &[
            "beta-pkg",
            "--",
            "--extra-index-url",
            "https://index.example.net/simple/",
            "--target",
            &site,
        ],
    );
    assert!(!ok, "{out}");
    assert!(installed(Path::new(&site)).is_empty());
    assert!(
        out.contains("--extra-index-url https://index.example.net/simple/")
            && out.contains("which no TUF repository covers"),
        "{out}"
    );
    // What the requirements grammar cannot see (a dependency on a direct URL inside a verified
    // wheel's metadata) the proxy refuses: the host is not covered, nothing is fetched.
    let w = m.work.path();
    wheel(
        &w.join("dists"),
        &[
            "needs-elsewhere",
            "1.0",
            "--requires",
            "evil @ https://downloads.example.com/evil-1.0-py3-none-any.whl",
        ],
    );
    m.publish();
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-dep-{label}"));
        let (ok, out) = m.install_into(
            &format!("c5-{label}"),
            installer,
            &py,
            "needs-elsewhere",
            &site,
            &[],
        );
        assert!(!ok, "{label}: {out}");
        // (uv refuses URL dependencies of index packages itself.)
        assert!(
            installer == "uv" || out.contains("refused CONNECT downloads.example.com:443"),
            "{label}: {out}"
        );
        assert!(installed(Path::new(&site)).is_empty(), "{label}: {out}");
    }
}

#[test]
fn a_misspelled_name_gets_suggestions_from_the_signed_list() {
    let m = mirror();
    let site = m.site("site-typo");
    let (ok, out) = m.cli("install", "c1", &["alpah", "--", "--target", &site]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("no project named \"alpah\" in the TUF repository; did you mean: alpha?"),
        "{out}"
    );
    let (ok, out) = m.cli("install", "c2", &["zzzzzzzz", "--", "--target", &site]);
    assert!(!ok, "{out}");
    assert!(out.contains("no project named \"zzzzzzzz\""), "{out}");
    assert!(!out.contains("did you mean"), "{out}");
}

#[test]
fn download_writes_only_verified_distribution_files() {
    let m = mirror();
    let dest = m.site("wheelhouse");
    let (ok, out) = m.cli("download", "c1", &["alpha", "-d", &dest]);
    assert!(ok, "{out}");
    let mut got: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "Beta_Pkg-0.3-py3-none-any.whl",
            "alpha-1.0-py3-none-any.whl",
            "gamma-2.1-py3-none-any.whl"
        ]
    );
    for f in &got {
        let original = std::fs::read(m.work.path().join("dists").join(f)).unwrap();
        assert_eq!(
            std::fs::read(Path::new(&dest).join(f)).unwrap(),
            original,
            "{f}"
        );
    }
}

#[test]
fn uv_installs_through_tuf_and_a_tampered_wheel_stops_it() {
    let m = mirror();
    let uv = python().with_file_name("uv");
    assert!(
        uv.exists(),
        "uv is installed in the test venv by scripts/python-env.sh"
    );
    let uv = uv.display().to_string();
    // `uv pip install REQ --target SITE` through tuf-cli: (ok, output, site).
    let uv_install = |cache: &str, req: &str, site: &str| {
        let site = m.site(site);
        let args = [
            "--installer",
            "uv",
            "--uv",
            &uv,
            req,
            "--",
            "--target",
            &site,
        ];
        let (ok, out) = m.cli("install", cache, &args);
        (ok, out, site)
    };
    let (ok, out, site) = uv_install("c1", "Alpha", "site-uv");
    assert!(ok, "{out}");
    assert_eq!(
        installed(Path::new(&site)),
        ["alpha", "beta_pkg", "gamma"],
        "{out}"
    );
    // A local version: uv requests the file with a raw `+` in its path.
    let w = m.work.path();
    wheel(&w.join("dists"), &["plus", "1.0+local"]);
    m.publish();
    let (ok, out, site) = uv_install("c1", "plus==1.0+local", "site-uv-plus");
    assert!(ok, "{out}");
    assert_eq!(installed(Path::new(&site)), ["plus"], "{out}");
    // A direct URL through uv goes through the guard too.
    let (ok, out, site) = uv_install(
        "c2",
        "gamma @ https://files.pythonhosted.org/packages/gamma-2.1-py3-none-any.whl",
        "site-uv-direct",
    );
    assert!(ok, "{out}");
    assert_eq!(installed(Path::new(&site)), ["gamma"], "{out}");
    m.tamper_gamma();
    let (ok, out, site) = uv_install("c3", "gamma", "site-uv-bad");
    assert!(!ok, "uv installed a tampered wheel: {out}");
    assert!(installed(Path::new(&site)).is_empty());
}

/// The version of `name` installed in `site`, from its `.dist-info` directory.
fn installed_version(site: &Path, name: &str) -> Option<String> {
    std::fs::read_dir(site).ok()?.find_map(|e| {
        let n = e.ok()?.file_name().into_string().ok()?;
        n.strip_suffix(".dist-info")?
            .strip_prefix(&format!("{name}-"))
            .map(str::to_owned)
    })
}

/// An attacker's HTTP server on 127.0.0.1 serving `dir` (Python's http.server).
struct EvilServer {
    child: Child,
    port: u16,
}

impl Drop for EvilServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn evil_server(dir: &Path) -> EvilServer {
    evil_server_logging(dir, Stdio::null())
}

/// [`evil_server`] with its request log (http.server's standard error) sent to `log`.
fn evil_server_logging(dir: &Path, log: Stdio) -> EvilServer {
    let mut child = Command::new(python())
        .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "Serving HTTP on 127.0.0.1 port 12345 (http://127.0.0.1:12345/) ..."
    let port = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("http.server said {line:?}"));
    EvilServer { child, port }
}

/// The attacker's wheel: gamma 9.9, newer than the verified 2.1, in `<work>/evil`.
fn evil_gamma(m: &Mirror) -> PathBuf {
    let evil = m.work.path().join("evil");
    wheel(&evil, &["gamma", "9.9"]);
    evil
}

#[test]
fn pip_configuration_outside_the_environment_is_not_read() {
    let m = mirror();
    let evil = evil_gamma(&m);
    let home = m.work.path().join("home");
    let conf = format!("[global]\nfind-links = {}\n", evil.display());
    for dir in [
        home.join(".config/pip"),
        home.join("xdg/pip"),
        home.join(".pip"),
    ] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pip.conf"), &conf).unwrap();
    }
    // uv's user and system configuration files say the same.
    let uv_conf = format!(
        "[pip]\nfind-links = [{:?}]\nno-index = true\n",
        evil.display().to_string()
    );
    for dir in [home.join(".config/uv"), home.join("xdg/uv")] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("uv.toml"), &uv_conf).unwrap();
    }
    let evil_text = evil.display().to_string();
    let env = [
        ("HOME", home.display().to_string()),
        ("XDG_CONFIG_HOME", format!("{}/.config", home.display())),
        ("XDG_CONFIG_DIRS", format!("{}/xdg", home.display())),
        ("PIP_FIND_LINKS", evil_text.clone()),
        (
            "PIP_CONFIG_FILE",
            format!("{}/.pip/pip.conf", home.display()),
        ),
        ("UV_FIND_LINKS", evil_text),
        (
            "UV_CONFIG_FILE",
            format!("{}/.config/uv/uv.toml", home.display()),
        ),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Control: plain pip with that configuration takes the attacker's wheel.
    let plain = m.work.path().join("site-plain");
    let (ok, out) = run(Command::new(python())
        .args(["-m", "pip", "install", "--no-index", "--target"])
        .arg(&plain)
        .arg("gamma")
        .envs(env.iter().copied()));
    assert!(ok, "{out}");
    assert_eq!(installed_version(&plain, "gamma").as_deref(), Some("9.9"));
    // Control: so does plain uv.
    let plain = m.work.path().join("site-plain-uv");
    let (ok, out) = run(Command::new(uv_path())
        .args(["pip", "install", "--python"])
        .arg(python())
        .arg("--target")
        .arg(&plain)
        .arg("gamma")
        .envs(env.iter().copied()));
    assert!(ok, "{out}");
    assert_eq!(installed_version(&plain, "gamma").as_deref(), Some("9.9"));
    // Through TUF: the verified 2.1, with every installer.
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-conf-{label}"));
        let (ok, out) = m.install_into("c1", installer, &py, "gamma", &site, &env);
        assert!(ok, "{label}: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "gamma").as_deref(),
            Some("2.1"),
            "{label}: {out}"
        );
    }
}

#[test]
fn loopback_is_not_exempt_from_the_proxy() {
    let m = mirror();
    let evil = evil_gamma(&m);
    let server = evil_server(&evil);
    let url = format!(
        "gamma @ http://127.0.0.1:{}/gamma-9.9-py3-none-any.whl",
        server.port
    );
    let index = format!("http://localhost:{}/", server.port);
    // The caller's NO_PROXY does not reach the installer either.
    let env = [("NO_PROXY", "*"), ("no_proxy", "*")];
    let uv = uv_path();
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-loop-{label}"));
        let (ok, out) = m.install_into(&format!("c-{label}"), installer, &py, &url, &site, &env);
        assert!(!ok, "{label} installed from loopback directly: {out}");
        assert!(
            installed_version(Path::new(&site), "gamma").is_none(),
            "{out}"
        );
        assert!(out.contains(&format!("127.0.0.1:{}", server.port)), "{out}");
        // An extra index on loopback: ignored, the verified version installed.
        let site = m.site(&format!("site-loop-index-{label}"));
        let args = [
            "--installer",
            installer,
            "--uv",
            &uv,
            "gamma",
            "--",
            "--extra-index-url",
            &index,
            "--target",
            &site,
        ];
        let (_, out) = m.cli_with("install", &format!("c-{label}"), &args, &env, &py);
        assert_ne!(
            installed_version(Path::new(&site), "gamma").as_deref(),
            Some("9.9"),
            "{label}: {out}"
        );
    }
}

#[test]
fn the_callers_python_environment_does_not_reach_pip() {
    let m = mirror();
    // A `pip` package on PYTHONPATH that would replace pip itself, and a startup file.
    let evil = m.work.path().join("pythonpath");
    std::fs::create_dir_all(evil.join("pip")).unwrap();
    let marker = m.work.path().join("evil-ran");
    let code = format!(
        "open({:?}, 'w').write('ran')\n",
        marker.display().to_string()
    );
    std::fs::write(evil.join("pip/__init__.py"), &code).unwrap();
    std::fs::write(evil.join("pip/__main__.py"), &code).unwrap();
    std::fs::write(evil.join("startup.py"), &code).unwrap();
    let site = m.site("site-env");
    let evil_text = evil.display().to_string();
    let startup = evil.join("startup.py").display().to_string();
    let env = [
        ("PYTHONPATH", evil_text.as_str()),
        ("PYTHONSTARTUP", startup.as_str()),
        ("PYTHONHOME", "/nonexistent"),
        ("GIT_PROXY_COMMAND", "/bin/false"),
        ("PIP_INDEX_URL", "http://127.0.0.1:9/simple/"),
        ("UV_INDEX_URL", "http://127.0.0.1:9/simple/"),
    ];
    for (label, installer, py) in installers() {
        let site = format!("{site}-{label}");
        let (ok, out) = m.install_into("c1", installer, &py, "gamma", &site, &env);
        assert!(ok, "{label}: {out}");
        assert!(
            !marker.exists(),
            "{label}: code from the caller's PYTHONPATH ran"
        );
        assert_eq!(
            installed_version(Path::new(&site), "gamma").as_deref(),
            Some("2.1"),
            "{label}: {out}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn killing_tuf_cli_kills_the_installer() {
    let m = mirror();
    let w = m.work.path();
    // A stand-in for a virtual environment's Python: it says where it lives (a directory of
    // the test's), and as the installer it hangs, findable by its unique argument from
    // outside any PID namespace.
    let env = w.join("fakeenv");
    std::fs::create_dir_all(env.join("bin")).unwrap();
    std::fs::create_dir_all(env.join("site")).unwrap();
    let fake = env.join("bin/python");
    for (sandbox, mark) in [("off", "61.25"), ("auto", "61.75")] {
        let e = env.display();
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh
case \"$*\" in *sysconfig*) printf '%s\\0' {e} /usr {e}/bin/python {e}/site {e}/site; printf '%s' {e}/bin; exit 0;; esac\nexec sleep {mark}\n"
            ),
        )
        .unwrap();
        let mut perms = std::fs::metadata(&fake).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&fake, perms).unwrap();
        let mut cli = Command::new(BIN)
            .args([
                "install",
                "--mirror",
                &m.url,
                "--root",
                "r/metadata/1.root.json",
            ])
            .args([
                "--ca-file",
                "ca.pem",
                "--cache-dir",
                "c1",
                "--sandbox",
                sandbox,
            ])
            .arg("--python")
            .arg(&fake)
            .arg("gamma")
            .current_dir(w)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let hanging = || {
            std::fs::read_dir("/proc").unwrap().find_map(|e| {
                let dir = e.ok()?.path();
                let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
                (cmdline == format!("sleep\0{mark}\0").as_bytes()).then_some(dir)
            })
        };
        let proc_dir = loop {
            if let Some(dir) = hanging() {
                break dir;
            }
            assert!(
                started.elapsed().as_secs() < 30,
                "{sandbox}: the installer never started"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        // SIGKILL: tuf-cli gets no chance to clean up; the installer must die anyway.
        cli.kill().unwrap();
        cli.wait().unwrap();
        let killed = std::time::Instant::now();
        while proc_dir.exists() {
            let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
            if state.split_whitespace().nth(2) == Some("Z") {
                break;
            }
            assert!(
                killed.elapsed().as_secs() < 5,
                "{sandbox}: the installer outlived tuf-cli"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// A TCP listener on 127.0.0.1 outside any sandbox that appends a line to `log` for every
/// connection it accepts.
fn listener(log: &Path) -> (Child, u16) {
    let code = "import socket, sys\n\
                s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n\
                print(s.getsockname()[1], flush=True)\n\
                while True:\n    c, _ = s.accept(); open(sys.argv[1], 'a').write('connected\\n'); c.close()\n";
    let mut child = Command::new(python())
        .args(["-c", code])
        .arg(log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().parse().unwrap())
}

/// Publishes the build backend `tinybackend` (a wheel), the sdist `honest 1.0` that needs it,
/// and the sdist `sneaky 1.0` whose build connects to 127.0.0.1:`port`.
fn publish_sdists(m: &Mirror, port: u16) {
    let w = m.work.path();
    let dists = w.join("dists");
    let make = script("make_sdist.py");
    let (ok, out) = run(Command::new(python()).arg(&make).arg("backend").arg(&dists));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(python())
        .arg(&make)
        .arg("sdist")
        .arg(&dists)
        .args(["honest", "1.0"]));
    assert!(ok, "{out}");
    let connect = format!("127.0.0.1:{port}");
    let (ok, out) = run(Command::new(python())
        .arg(&make)
        .arg("sdist")
        .arg(&dists)
        .args(["sneaky", "1.0", "--connect", &connect]));
    assert!(ok, "{out}");
    m.publish();
}

#[cfg(target_os = "linux")]
#[test]
fn sdists_build_in_the_sandbox_and_their_backends_reach_nothing_but_tuf() {
    let m = mirror();
    let log = m.work.path().join("connections.log");
    let (mut server, port) = listener(&log);
    publish_sdists(&m, port);
    for (label, installer, py) in installers() {
        // Control: an sdist whose build dependency comes from the index installs through
        // TUF, with build isolation, inside the sandbox.
        let site = m.site(&format!("site-honest-{label}"));
        let (ok, out) = m.install_with(
            &format!("c-h-{label}"),
            installer,
            &py,
            &["-v", "--sandbox", "on"],
            "honest",
            &site,
            &[],
        );
        assert!(ok, "{label}: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "honest").as_deref(),
            Some("1.0"),
            "{label}: {out}"
        );
        assert!(
            out.contains("target packages/tinybackend-1.0-py3-none-any.whl"),
            "{label}: the build dependency did not come through TUF: {out}"
        );
        // A build backend that opens a socket to loopback outside: no route, install fails.
        let site = m.site(&format!("site-sneaky-{label}"));
        let (ok, out) = m.install_with(
            &format!("c-s-{label}"),
            installer,
            &py,
            &["--sandbox", "on"],
            "sneaky",
            &site,
            &[],
        );
        assert!(!ok, "{label}: the backend's connection went out: {out}");
        assert!(installed_version(Path::new(&site), "sneaky").is_none());
        assert!(!log.exists(), "{label}: the listener outside was reached");
    }
    // Without the sandbox the same backend reaches the listener: the layer is what stops it.
    let site = m.site("site-sneaky-off");
    let (ok, out) = m.cli(
        "install",
        "c-off",
        &["--sandbox", "off", "sneaky", "--", "--target", &site],
    );
    assert!(ok, "{out}");
    assert!(log.exists(), "the control never connected: {out}");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn nested_build_environments_take_their_build_dependencies_from_tuf_only() {
    // The honest sdist needs the build backend `tinybackend`. The attacker offers a newer
    // `tinybackend 9.9`, whose import writes a marker, where a nested build pip or uv would
    // look: find-links in a local directory, an extra index on loopback, through the
    // caller's environment and a pip.conf.
    let m = mirror();
    let w = m.work.path();
    publish_sdists(&m, free_port());
    let marker = w.join("evil-backend-ran");
    let evil = w.join("evil-backend");
    let code = format!(
        "open({:?}, 'w').write('ran')\n",
        marker.display().to_string()
    );
    wheel(
        &evil,
        &["tinybackend", "9.9", "--file", &format!("impl.py={code}")],
    );
    let server = evil_server(&evil);
    let index = format!("http://127.0.0.1:{}/", server.port);
    let home = w.join("home");
    std::fs::create_dir_all(home.join(".config/pip")).unwrap();
    std::fs::write(
        home.join(".config/pip/pip.conf"),
        format!("[global]\nfind-links = {}\n", evil.display()),
    )
    .unwrap();
    let evil_dir = evil.display().to_string();
    let home_dir = home.display().to_string();
    let env = [
        ("HOME", home_dir.as_str()),
        ("PIP_FIND_LINKS", evil_dir.as_str()),
        ("PIP_EXTRA_INDEX_URL", index.as_str()),
        ("UV_FIND_LINKS", evil_dir.as_str()),
        ("UV_EXTRA_INDEX_URL", index.as_str()),
    ];
    // Control: plain pip, given the attacker's directory beside the honest one, builds the
    // sdist with the attacker's backend (its code runs, whatever the build's outcome).
    let (_, out) = run(Command::new(python())
        .args(["-m", "pip", "install", "--no-cache-dir", "--no-index"])
        .args(["-f", "dists", "-f"])
        .arg(&evil)
        .args(["--target", "site-plain", "honest"])
        .current_dir(w));
    assert!(
        marker.exists(),
        "the control did not reach the evil backend: {out}"
    );
    std::fs::remove_file(&marker).unwrap();
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-nested-{label}"));
        let (ok, out) =
            m.install_into(&format!("c-{label}"), installer, &py, "honest", &site, &env);
        assert!(ok, "{label}: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "honest").as_deref(),
            Some("1.0"),
            "{label}: {out}"
        );
        assert!(
            !marker.exists(),
            "{label}: the attacker's build backend ran: {out}"
        );
    }
}

/// The installers every escape is tried with: the pinned pip, a current pip (both from
/// scripts/python-env.sh) and uv. `(label, --installer, python)`.
fn installers() -> Vec<(&'static str, &'static str, PathBuf)> {
    let current = std::env::var("TUF_PYTHON_CURRENT_PIP")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv-pip-current/bin/python")
        });
    assert!(
        current.exists(),
        "the current-pip venv is made by scripts/python-env.sh (the README's test command)"
    );
    vec![
        ("pip-pinned", "pip", python()),
        ("pip-current", "pip", current),
        ("uv", "uv", python()),
    ]
}

fn uv_path() -> String {
    python().with_file_name("uv").display().to_string()
}

#[test]
fn local_sources_are_refused_with_file_and_line() {
    let m = mirror();
    let w = m.work.path();
    let evil = evil_gamma(&m);
    let evil_wheel = evil.join("gamma-9.9-py3-none-any.whl");
    std::fs::create_dir_all(w.join("nested")).unwrap();
    std::fs::write(w.join("nested/inner.txt"), "--find-links ../evil\ngamma\n").unwrap();
    let files = [
        ("f1.txt", "-f ./evil\ngamma\n".to_owned(), "f1.txt:1"),
        (
            "f2.txt",
            format!("# pinned\ngamma @ file://{}\n", evil_wheel.display()),
            "f2.txt:2",
        ),
        (
            "f3.txt",
            "./evil/gamma-9.9-py3-none-any.whl\n".to_owned(),
            "f3.txt:1",
        ),
        ("f4.txt", "-r nested/inner.txt\n".to_owned(), "inner.txt:1"),
        ("f5.txt", "-e ./evil\n".to_owned(), "f5.txt:1"),
    ];
    for (name, text, _) in &files {
        std::fs::write(w.join(name), text).unwrap();
    }
    // Control: plain pip takes the attacker's wheel from the first file.
    let (ok, out) = run(Command::new(python())
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "-r",
            "f1.txt",
            "--target",
            "site-plain",
        ])
        .current_dir(w));
    assert!(ok, "{out}");
    assert_eq!(
        installed_version(&w.join("site-plain"), "gamma").as_deref(),
        Some("9.9")
    );
    let uv = uv_path();
    for (label, installer, py) in installers() {
        for (name, _, at) in &files {
            let site = m.site(&format!("site-{label}-{name}"));
            let args = [
                "--installer",
                installer,
                "--uv",
                &uv,
                "-r",
                name,
                "--",
                "--target",
                &site,
            ];
            let (ok, out) = m.cli_with("install", "c1", &args, &[], &py);
            assert!(!ok, "{label} {name}: {out}");
            assert!(out.contains(at), "{label} {name}: {out}");
            assert_ne!(
                installed_version(Path::new(&site), "gamma").as_deref(),
                Some("9.9"),
                "{label} {name}: {out}"
            );
        }
        // On the command line too.
        let site = m.site(&format!("site-{label}-cli"));
        let args = [
            "--installer",
            installer,
            "--uv",
            &uv,
            "gamma",
            "--",
            "--no-index",
            "-f",
            "evil",
            "--target",
            &site,
        ];
        let (ok, out) = m.cli_with("install", "c1", &args, &[], &py);
        assert!(
            !ok && out.contains("command line: \"--no-index\""),
            "{label}: {out}"
        );
        // --allow-local: the user's own file goes in, and the output says it is unverified.
        let site = m.site(&format!("site-{label}-allowed"));
        let local = evil_wheel.display().to_string();
        let args = [
            "--allow-local",
            "--installer",
            installer,
            "--uv",
            &uv,
            &local,
            "--",
            "--target",
            &site,
        ];
        let (ok, out) = m.cli_with("install", "c1", &args, &[], &py);
        assert!(ok, "{label}: {out}");
        assert!(out.contains("NOT VERIFIED BY TUF"), "{label}: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "gamma").as_deref(),
            Some("9.9")
        );
    }
}

/// A free port on 127.0.0.1 (bound, read, released).
#[test]
fn vcs_requirements_are_refused_on_every_transport() {
    let m = mirror();
    let w = m.work.path();
    publish_sdists(&m, 9);
    // The attacker's git repository: "gamma 9.9", built by the backend from the index.
    let repo = w.join("git/evil");
    std::fs::create_dir_all(repo.join("gamma")).unwrap();
    std::fs::write(
        repo.join("pyproject.toml"),
        "[build-system]\nrequires = [\"tinybackend\"]\nbuild-backend = \"tinybackend.impl\"\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("PKG-INFO"),
        "Metadata-Version: 2.1\nName: gamma\nVersion: 9.9\n",
    )
    .unwrap();
    std::fs::write(repo.join("gamma/__init__.py"), "").unwrap();
    for args in [
        &["init", "-q"][..],
        &["add", "."],
        &[
            "-c",
            "user.name=e",
            "-c",
            "user.email=e@e",
            "commit",
            "-qm",
            "evil",
        ],
    ] {
        let (ok, out) = run(Command::new("git").args(args).current_dir(&repo));
        assert!(ok, "{out}");
    }
    let port = free_port();
    // git-daemon itself (not `git daemon`, which would leave it running as a grandchild),
    // killed when the test ends however it ends.
    let (ok, exec_path) = run(Command::new("git").arg("--exec-path"));
    assert!(ok, "{exec_path}");
    let daemon = Command::new(Path::new(exec_path.trim()).join("git-daemon"))
        .args(["--export-all", "--listen=127.0.0.1", "--reuseaddr"])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", w.join("git").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _daemon = KillOnDrop(daemon);
    let url = format!("git+git://127.0.0.1:{port}/evil");
    // Control: plain pip fetches it over git:// (no HTTP proxy applies) and installs 9.9.
    let mut ok = false;
    let mut out = String::new();
    for _ in 0..50 {
        (ok, out) = run(Command::new(python())
            .args([
                "-m",
                "pip",
                "install",
                "--no-index",
                "-f",
                "dists",
                "--target",
                "site-plain",
            ])
            .arg(format!("gamma @ {url}"))
            .current_dir(w));
        if ok {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ok, "{out}");
    assert_eq!(
        installed_version(&w.join("site-plain"), "gamma").as_deref(),
        Some("9.9")
    );
    let uv = uv_path();
    let reqs = [
        format!("gamma @ {url}"),
        format!("gamma @ git+ssh://git@127.0.0.1:{port}/evil"),
        "gamma @ git+https://files.pythonhosted.org/evil".to_owned(),
        format!("-e{url}#egg=gamma"),
    ];
    for (label, installer, py) in installers() {
        for (i, req) in reqs.iter().enumerate() {
            let site = m.site(&format!("site-{label}-{i}"));
            // An option-shaped requirement goes in a requirements file, as it would be.
            let file = format!("vcs-{i}.txt");
            std::fs::write(w.join(&file), format!("{req}\n")).unwrap();
            let mut args = vec!["--installer", installer, "--uv", &uv];
            if req.starts_with('-') {
                args.extend(["-r", &file]);
            } else {
                args.push(req);
            }
            args.extend(["--", "--target", &site]);
            let (ok, out) = m.cli_with("install", "c1", &args, &[], &py);
            assert!(!ok, "{label} {req}: {out}");
            assert!(
                out.contains("a VCS checkout is not a TUF target"),
                "{label} {req}: {out}"
            );
            assert!(
                installed_version(Path::new(&site), "gamma").is_none(),
                "{label}: {out}"
            );
        }
    }
}

/// A child process killed (and reaped) when dropped.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn poisoned_installer_caches_are_never_read() {
    let m = mirror();
    let w = m.work.path();
    let evil = evil_gamma(&m);
    let url = "https://files.pythonhosted.org/packages/gamma-2.1.tar.gz";
    let home = w.join("home");
    // The attacker's wheel planted, with each pip's own cache-key code, in every cache a pip
    // could look in: the user's, XDG's, PIP_CACHE_DIR's and tuf-cli's private one.
    let caches = [
        home.join(".cache/pip"),
        w.join("xdg/pip"),
        w.join("pipcache"),
        w.join("c1/installer/pip"),
    ];
    let plant = "import os, shutil, sys\n\
                 from pip._internal.cache import SimpleWheelCache\n\
                 from pip._internal.models.link import Link\n\
                 d = SimpleWheelCache(sys.argv[1]).get_path_for_link(Link(sys.argv[2]))\n\
                 os.makedirs(d, exist_ok=True); shutil.copy(sys.argv[3], d)\n";
    let env = [
        ("HOME", home.display().to_string()),
        ("XDG_CACHE_HOME", w.join("xdg").display().to_string()),
        ("PIP_CACHE_DIR", w.join("pipcache").display().to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (label, installer, py) in installers() {
        for c in &caches {
            let (ok, out) = run(Command::new(&py)
                .args(["-c", plant])
                .arg(c)
                .arg(url)
                .arg(evil.join("gamma-9.9-py3-none-any.whl")));
            assert!(ok, "{out}");
        }
        if installer == "pip" {
            // Control: plain pip installs the planted wheel without any network.
            let site = w.join(format!("site-plain-{label}"));
            let (ok, out) = run(Command::new(&py)
                .args(["-m", "pip", "install", "--no-index", "--target"])
                .arg(&site)
                .arg(format!("gamma @ {url}"))
                .envs(env.iter().copied()));
            assert!(ok, "{label}: {out}");
            assert_eq!(installed_version(&site, "gamma").as_deref(), Some("9.9"));
        }
        let direct = format!("gamma @ {url}");
        let site = m.site(&format!("site-{label}"));
        let (ok, out) = m.install_into("c1", installer, &py, &direct, &site, &env);
        assert!(!ok, "{label}: {out}");
        assert!(
            installed_version(Path::new(&site), "gamma").is_none(),
            "{label}: {out}"
        );
        let site = m.site(&format!("site-{label}-name"));
        let (ok, out) = m.install_into("c1", installer, &py, "gamma", &site, &env);
        assert!(ok, "{label}: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "gamma").as_deref(),
            Some("2.1")
        );
        if installer == "pip" {
            let dest = m.site(&format!("dl-{label}"));
            let (ok, out) = m.cli_with("download", "c1", &[&direct, "-d", &dest], &env, &py);
            assert!(!ok, "{label}: {out}");
            assert!(
                !Path::new(&dest).join("gamma-9.9-py3-none-any.whl").exists(),
                "{label}: {out}"
            );
        }
    }
}

#[test]
fn the_proof_fails_an_install_that_reached_around_the_proxy() {
    // Index mode without the sandbox (the weakest configuration): a verified wheel's
    // dependency on a loopback URL is fetched by pip directly. The proof after the run
    // notices that gamma 9.9 was never served verified, fails, and says how to remove it.
    let m = mirror();
    let evil = evil_gamma(&m);
    let server = evil_server(&evil);
    let w = m.work.path();
    let dep = format!(
        "gamma @ http://127.0.0.1:{}/gamma-9.9-py3-none-any.whl",
        server.port
    );
    wheel(
        &w.join("dists"),
        &["needs-loopback", "1.0", "--requires", &dep],
    );
    m.publish();
    for (label, _, py) in installers().into_iter().filter(|i| i.1 == "pip") {
        let site = m.site(&format!("site-{label}"));
        let args = [
            "--no-guard",
            "--sandbox",
            "off",
            "needs-loopback",
            "--",
            "--target",
            &site,
        ];
        let (ok, out) = m.cli_with("install", "c1", &args, &[], &py);
        assert!(
            !ok,
            "{label}: the proof let an unverified install pass: {out}"
        );
        assert!(
            out.contains("NOT VERIFIED: gamma 9.9") && out.contains("left as it was"),
            "{label}: {out}"
        );
        // Staged: the proof came before anything reached the target.
        assert!(!Path::new(&site).exists(), "{label}: {out}");
        // The same install in the default configuration never gets that far.
        let site = m.site(&format!("site-{label}-default"));
        let args = ["needs-loopback", "--", "--target", &site];
        let (ok, out) = m.cli_with("install", "c2", &args, &[], &py);
        assert!(!ok, "{label}: {out}");
        assert!(
            installed_version(Path::new(&site), "gamma").is_none(),
            "{label}: {out}"
        );
    }
}

/// A project directory `evilproj` whose in-tree build backend (no build requirement, so it
/// builds without any index) writes `ran` beside it when it runs, and builds gamma 9.9.
fn evil_project(w: &Path) -> PathBuf {
    let dir = w.join("evilproj");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        "[build-system]\nrequires = []\nbuild-backend = \"evilbackend\"\nbackend-path = [\".\"]\n",
    )
    .unwrap();
    let ran = w.join("ran");
    let backend = format!(
        r#"import base64, hashlib, zipfile
open({ran:?}, "a").write("the unverified backend ran\n")
def _wheel(d):
    name = "gamma-9.9-py3-none-any.whl"
    info = "gamma-9.9.dist-info"
    files = {{"gamma/__init__.py": b"", info + "/METADATA": b"Metadata-Version: 2.1\nName: gamma\nVersion: 9.9\n",
             info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: evil\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}}
    rec = [p + ",sha256=" + base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode() + "," + str(len(b)) for p, b in files.items()]
    files[info + "/RECORD"] = ("\n".join(rec + [info + "/RECORD,,"]) + "\n").encode()
    with zipfile.ZipFile(d + "/" + name, "w") as z:
        for p, b in files.items():
            z.writestr(p, b)
    return name
def get_requires_for_build_wheel(c=None): return []
def get_requires_for_build_editable(c=None): return []
def build_wheel(d, c=None, m=None): return _wheel(d)
def build_editable(d, c=None, m=None): return _wheel(d)
"#,
        ran = ran.display().to_string()
    );
    std::fs::write(dir.join("evilbackend.py"), backend).unwrap();
    dir
}

/// Family 1 of "pip over TUF 4/4": spellings the installers read as a local source that a
/// deny-list re-implementing their parsers missed. Each is shown to work against the plain
/// installer, then refused through tuf-cli by the allow-list grammar (which knows none of
/// them): the install fails, the attacker's gamma 9.9 is not installed and no unverified
/// backend runs.
#[test]
fn spellings_of_local_sources_are_refused_by_the_allow_list() {
    let m = mirror();
    let w = m.work.path();
    let evil = evil_gamma(&m);
    evil_project(w);
    let ran = w.join("ran");
    let files: [(&str, &str); 5] = [
        ("prefix.txt", "gamma\n--find-link evil\n"),
        ("quoted.txt", "gamma\n--\"find-links\" evil\n"),
        ("cr.txt", "gamma\r--find-links evil\n"),
        ("editable.txt", "-e evilproj\n"),
        ("group.txt", "--group dev\n"),
    ];
    for (name, text) in files {
        std::fs::write(w.join(name), text).unwrap();
    }
    std::fs::write(
        w.join("pyproject.toml"),
        "[project]\nname = \"x\"\nversion = \"0\"\n[dependency-groups]\ndev = [\"gamma\"]\n\
         [tool.uv.sources]\ngamma = { path = \"evil/gamma-9.9-py3-none-any.whl\" }\n",
    )
    .unwrap();
    // Controls: the plain installers take the attacker's source from these spellings.
    for (name, _) in &files[..4] {
        let site = w.join(format!("plain-{name}"));
        let (ok, out) = run(Command::new(python())
            .args(["-m", "pip", "install", "--no-index", "-r", name, "--target"])
            .arg(&site)
            .current_dir(w));
        assert!(ok, "{name}: {out}");
        assert_eq!(
            installed_version(&site, "gamma").as_deref(),
            Some("9.9"),
            "{name}"
        );
    }
    assert!(ran.exists(), "control: the editable's backend did not run");
    std::fs::remove_file(&ran).unwrap();
    let site = w.join("plain-cluster");
    let (ok, out) = run(Command::new(python())
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "-Uf",
            "evil",
            "gamma",
            "--target",
        ])
        .arg(&site)
        .current_dir(w));
    assert!(ok, "{out}");
    assert_eq!(installed_version(&site, "gamma").as_deref(), Some("9.9"));
    let site = w.join("plain-group");
    let (ok, out) = run(Command::new(uv_path())
        .args([
            "pip",
            "install",
            "--no-config",
            "--index-url",
            "http://127.0.0.1:9/simple",
        ])
        .arg("--python")
        .arg(python())
        .args(["--group", "dev", "--target"])
        .arg(&site)
        .current_dir(w));
    assert!(ok, "{out}");
    assert_eq!(installed_version(&site, "gamma").as_deref(), Some("9.9"));
    let _ = evil;
    // Through tuf-cli: each refused, in a file and on the command line.
    let uv = uv_path();
    let cli_forms: [&[&str]; 7] = [
        &["gamma", "--", "--find-link", "evil"],
        &["gamma", "--", "-Uf", "evil"],
        &["gamma", "--", "-e", "evilproj"],
        &["gamma", "--", "--group", "dev"],
        &["gamma", "--", "--group=pyproject.toml:dev"],
        &[
            "gamma",
            "--",
            "--requirements-from-script",
            "evilproj/evilbackend.py",
        ],
        &["gamma", "--", "-tsite-moved"],
    ];
    for (label, installer, py) in installers() {
        let mut cases: Vec<Vec<String>> = files
            .iter()
            .map(|(name, _)| vec!["-r".to_owned(), name.to_string()])
            .collect();
        cases.extend(
            cli_forms
                .iter()
                .map(|f| f.iter().map(|s| s.to_string()).collect()),
        );
        for (i, case) in cases.iter().enumerate() {
            let site = m.site(&format!("site-{label}-{i}"));
            let mut args = vec!["--installer", installer, "--uv", &uv];
            args.extend(case.iter().map(String::as_str));
            if !case.iter().any(|a| a == "--") {
                args.push("--");
            }
            args.extend(["--target", &site]);
            let (ok, out) = m.cli_with("install", "c1", &args, &[], &py);
            assert!(!ok, "{label} {case:?}: {out}");
            assert!(
                out.contains("not on tuf-cli's allow-list")
                    || out.contains("not allowed")
                    || out.contains("local source is not a TUF target"),
                "{label} {case:?}: {out}"
            );
            assert!(!Path::new(&site).exists(), "{label} {case:?}: {out}");
            assert!(!w.join("site-moved").exists(), "{label} {case:?}");
            assert!(
                !ran.exists(),
                "{label} {case:?}: the unverified backend ran"
            );
        }
        // Control through tuf-cli: the verified gamma installs.
        let site = m.site(&format!("site-{label}-ok"));
        let (ok, out) = m.install_into("c1", installer, &py, "gamma", &site, &[]);
        assert!(ok, "{label}: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "gamma").as_deref(),
            Some("2.1")
        );
    }
}

/// A listener on a Unix-domain socket at `path` that appends to `log` for each connection.
fn unix_listener(path: &Path, log: &Path) -> KillOnDrop {
    let code = "import os, socket, sys\n\
                s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen()\n\
                print('ready', flush=True)\n\
                while True:\n    c, _ = s.accept(); open(sys.argv[2], 'a').write('unix\\n'); c.close()\n";
    let mut child = Command::new(python())
        .args(["-c", code])
        .arg(path)
        .arg(log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    KillOnDrop(child)
}

/// Family 2 of "pip over TUF 4/4": a *signed* sdist whose build code reaches out by ways a
/// network namespace does not stop: a Unix-domain socket in the file system, a write to a
/// file outside the environment (`~/.local`, a `.pth`), and — tuf-cli running as root —
/// `setns` into the network namespace of its outside ancestor (tuf-cli) to reach a
/// loopback listener. In the bubblewrap
/// world none of the three is there; `--sandbox off` is the control.
#[cfg(target_os = "linux")]
#[test]
fn build_code_in_the_sandbox_reaches_no_socket_file_or_namespace_of_the_host() {
    if tuf_interpose::world::available().is_err() {
        eprintln!("skipped: no bubblewrap here (scripts/test installs it)");
        return;
    }
    let m = mirror();
    let w = m.work.path();
    let log = w.join("escapes.log");
    let sock = w.join("evil.sock");
    let _unix = unix_listener(&sock, &log);
    let (tcp, port) = listener(&log);
    let _tcp = KillOnDrop(tcp);
    let outside = w.join("home/.local/lib/evil.pth");
    let escape = w.join("escape.py");
    std::fs::write(
        &escape,
        format!(
            r#"import ctypes, os, socket
try:
    s = socket.socket(socket.AF_UNIX); s.connect({sock:?}); s.close()
except OSError:
    pass
try:
    os.makedirs(os.path.dirname({outside:?}), exist_ok=True)
    open({outside:?}, "w").write("import evil\n")
except OSError:
    pass
libc = ctypes.CDLL(None, use_errno=True)
mine = os.readlink("/proc/self/ns/net")
pid = os.getpid()
# Up the chain of parents to the first one outside this network namespace (tuf-cli).
while pid > 1:
    try:
        pid = int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1])
        if pid > 0 and os.readlink(f"/proc/{{pid}}/ns/net") != mine:
            libc.setns(os.open(f"/proc/{{pid}}/ns/net", os.O_RDONLY), 0)
            break
    except (OSError, ValueError, IndexError):
        break
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
except OSError:
    pass
"#,
            sock = sock.display().to_string(),
            outside = outside.display().to_string(),
        ),
    )
    .unwrap();
    publish_escaping_sdist(&m, "nosy", &escape);
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-nosy-{label}"));
        let (ok, out) = m.install_with(
            &format!("c-n-{label}"),
            installer,
            &py,
            &["--sandbox", "on"],
            "nosy",
            &site,
            &[],
        );
        assert!(ok, "{label}: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "nosy").as_deref(),
            Some("1.0")
        );
        assert!(
            !log.exists(),
            "{label}: {:?}",
            std::fs::read_to_string(&log)
        );
        assert!(
            !outside.exists(),
            "{label}: the build wrote outside its world"
        );
    }
    // Control: without the sandbox the same build code reaches all three (setns only as
    // root, where the old network-only sandbox kept every capability).
    let site = m.site("site-nosy-off");
    let (ok, out) = m.cli(
        "install",
        "c-off",
        &["--sandbox", "off", "nosy", "--", "--target", &site],
    );
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        text.contains("unix") && text.contains("connected"),
        "control: {text:?}"
    );
    assert!(outside.exists(), "control: nothing written outside");
}

/// Family 3 of "pip over TUF 4/4": a *signed* sdist whose build requirement is a `file:` URL
/// to an unsigned local backend. Plain pip builds it with that backend (which runs); through
/// tuf-cli the nested build install cannot see the file (it is not in the installer's world),
/// so the build fails, the backend never runs and nothing is installed.
#[cfg(target_os = "linux")]
#[test]
fn a_signed_sdist_cannot_take_its_build_backend_from_a_local_file() {
    if tuf_interpose::world::available().is_err() {
        eprintln!("skipped: no bubblewrap here (scripts/test installs it)");
        return;
    }
    let m = mirror();
    let w = m.work.path();
    let make = script("make_sdist.py");
    let ran = w.join("ran");
    let evil = w.join("evil");
    let (ok, out) = run(Command::new(python())
        .arg(&make)
        .args(["backend"])
        .arg(&evil)
        .arg("--marker")
        .arg(&ran));
    assert!(ok, "{out}");
    let req = format!(
        "tinybackend @ file://{}/tinybackend-1.0-py3-none-any.whl",
        evil.display()
    );
    let (ok, out) = run(Command::new(python())
        .arg(&make)
        .arg("sdist")
        .arg(w.join("dists"))
        .args(["needsfile", "1.0", "--build-requires", &req]));
    assert!(ok, "{out}");
    m.publish();
    // Control: plain pip builds the sdist with the local, unsigned backend.
    let plain = w.join("site-plain");
    let (ok, out) = run(Command::new(python())
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "-f",
            "dists",
            "needsfile",
            "--target",
        ])
        .arg(&plain)
        .current_dir(w));
    assert!(ok, "{out}");
    assert_eq!(
        installed_version(&plain, "needsfile").as_deref(),
        Some("1.0")
    );
    assert!(ran.exists(), "control: the local backend did not run");
    std::fs::remove_file(&ran).unwrap();
    for (label, installer, py) in installers() {
        let site = m.site(&format!("site-needsfile-{label}"));
        let (ok, out) = m.install_with(
            &format!("c-f-{label}"),
            installer,
            &py,
            &[],
            "needsfile",
            &site,
            &[],
        );
        assert!(!ok, "{label}: {out}");
        assert!(!ran.exists(), "{label}: the unsigned backend ran: {out}");
        assert!(!Path::new(&site).exists(), "{label}: {out}");
    }
}

fn sha256_hex(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// Controls of "pip over TUF 4/4": requirements files as the lock tools write them pass the
/// allow-list grammar and install through TUF with every installer — pip-compile
/// `--generate-hashes` (with its `--index-url` line), `uv pip compile --generate-hashes`
/// (markers, `# via` comments) and `pip freeze` (CRLF line ends).
#[test]
fn lock_files_as_the_tools_write_them_install_through_tuf() {
    let m = mirror();
    let w = m.work.path();
    let hash = |f: &str| sha256_hex(&w.join("dists").join(f));
    let (a, b, g) = (
        hash("alpha-1.0-py3-none-any.whl"),
        hash("Beta_Pkg-0.3-py3-none-any.whl"),
        hash("gamma-2.1-py3-none-any.whl"),
    );
    let files = [
        (
            "pip-compile.txt",
            format!(
                "#\n# This file is autogenerated by pip-compile with Python 3.11\n# by the following command:\n#\n#    pip-compile --generate-hashes requirements.in\n#\n\
                 --index-url https://pypi.org/simple\n\n\
                 alpha==1.0 \\\n    --hash=sha256:{a}\n    # via -r requirements.in\n\
                 beta-pkg==0.3 \\\n    --hash=sha256:{b}\n    # via alpha\n\
                 gamma==2.1 \\\n    --hash=sha256:{g}\n    # via alpha\n"
            ),
        ),
        (
            "uv-compile.txt",
            format!(
                "# This file was autogenerated by uv via the following command:\n#    uv pip compile requirements.in --generate-hashes\n\
                 alpha==1.0 \\\n    --hash=sha256:{a}\n    # via -r requirements.in\n\
                 beta-pkg==0.3 ; python_full_version >= '3.8' \\\n    --hash=sha256:{b}\n    # via alpha\n\
                 gamma==2.1 \\\n    --hash=sha256:{g}\n    # via alpha\n"
            ),
        ),
        (
            "freeze.txt",
            "alpha==1.0\r\nBeta.Pkg==0.3\r\ngamma==2.1\r\n".to_owned(),
        ),
    ];
    let uv = uv_path();
    for (name, text) in &files {
        std::fs::write(w.join(name), text).unwrap();
        for (label, installer, py) in installers() {
            let site = m.site(&format!("site-{label}-{name}"));
            let args = [
                "--installer",
                installer,
                "--uv",
                &uv,
                "-r",
                name,
                "--",
                "--target",
                &site,
            ];
            let (ok, out) = m.cli_with("install", &format!("c-{label}"), &args, &[], &py);
            assert!(ok, "{label} {name}: {out}");
            assert_eq!(
                installed(Path::new(&site)),
                ["alpha", "beta_pkg", "gamma"],
                "{label} {name}: {out}"
            );
        }
    }
    // A wrong hash in the same format: refused by the installer, nothing installed.
    let bad = files[0].1.replace(&g, &"0".repeat(64));
    std::fs::write(w.join("bad.txt"), bad).unwrap();
    let site = m.site("site-bad");
    let (ok, out) = m.cli(
        "install",
        "c-bad",
        &["-r", "bad.txt", "--", "--target", &site],
    );
    assert!(!ok, "{out}");
    assert!(!Path::new(&site).exists(), "{out}");
}

/// Family 4 of "pip over TUF 4/4": build code of a signed sdist writes a `.pth` (code that
/// runs at every interpreter start) into the directory being installed into, beside the
/// distribution it builds. Plain pip keeps it. Through tuf-cli the run is staged and every
/// changed file must belong to a proven distribution's RECORD: the `.pth` belongs to none,
/// the run fails with exit 3 naming it, and the target is left as it was (absent).
#[cfg(target_os = "linux")]
#[test]
fn a_file_no_verified_distribution_lists_is_never_committed() {
    if tuf_interpose::world::available().is_err() {
        eprintln!("skipped: no bubblewrap here (scripts/test installs it)");
        return;
    }
    let m = mirror();
    let w = m.work.path();
    let site = w.join("site-pth");
    let escape = w.join("pth.py");
    std::fs::write(
        &escape,
        format!(
            "import os\nos.makedirs({site:?}, exist_ok=True)\nopen(os.path.join({site:?}, 'evil.pth'), 'w').write('import os\\n')\n",
            site = site.display().to_string()
        ),
    )
    .unwrap();
    publish_escaping_sdist(&m, "pthy", &escape);
    // Control: plain pip installs pthy and keeps the .pth beside it.
    let (ok, out) = run(Command::new(python())
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "-f",
            "dists",
            "pthy",
            "--target",
        ])
        .arg(&site)
        .current_dir(w));
    assert!(ok, "{out}");
    assert!(site.join("evil.pth").exists(), "control: no .pth");
    std::fs::remove_dir_all(&site).unwrap();
    let site_arg = site.display().to_string();
    for (label, installer, py) in installers() {
        let (ok, out) = m.install_with(
            &format!("c-p-{label}"),
            installer,
            &py,
            &[],
            "pthy",
            &site_arg,
            &[],
        );
        assert!(!ok, "{label}: {out}");
        assert!(
            out.contains("evil.pth was written by this run, but no verified distribution lists it")
                && out.contains("left as it was"),
            "{label}: {out}"
        );
        assert!(!site.exists(), "{label}: {out}");
    }
}

/// Every file of `dir` with its length and modification time (the tree's state).
fn tree_state(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path(), m.len(), m.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Family 4 into an environment (no --target): the environment's own directories are staged
/// (in the bubblewrap world, and with `--sandbox network` in a mount namespace of the run's),
/// so a refused run leaves the virtual environment file for file as it was, and a proven one
/// is committed.
#[cfg(target_os = "linux")]
#[test]
fn a_refused_install_leaves_the_virtual_environment_as_it_was() {
    let m = mirror();
    let w = m.work.path();
    let venv = w.join("venv");
    let (ok, out) = run(Command::new(python()).args(["-m", "venv"]).arg(&venv));
    assert!(ok, "{out}");
    let vpy = venv.join("bin/python");
    let (ok, purelib) = run(Command::new(&vpy).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ]));
    assert!(ok, "{purelib}");
    let purelib = PathBuf::from(purelib.trim());
    let escape = w.join("pthv.py");
    std::fs::write(
        &escape,
        format!(
            "open({:?}, 'w').write('import os\\n')\n",
            purelib.join("evil.pth").display().to_string()
        ),
    )
    .unwrap();
    publish_escaping_sdist(&m, "pthv", &escape);
    let uv = uv_path();
    let before = tree_state(&venv);
    for sandbox in ["auto", "network"] {
        for installer in ["pip", "uv"] {
            let args = [
                "--sandbox",
                sandbox,
                "--installer",
                installer,
                "--uv",
                &uv,
                "pthv",
            ];
            let (ok, out) = m.cli_with(
                "install",
                &format!("c-{sandbox}-{installer}"),
                &args,
                &[],
                &vpy,
            );
            assert!(!ok, "{sandbox} {installer}: {out}");
            assert!(
                out.contains("evil.pth was written by this run"),
                "{sandbox} {installer}: {out}"
            );
            // Outside the bubblewrap world the venv is staged whole: not even uv's lock at
            // its root is left behind.
            let after = tree_state(&venv);
            assert_eq!(
                after, before,
                "{sandbox} {installer}: the venv changed: {out}"
            );
        }
    }
    // A proven install into the same environment is committed.
    let args = ["--sandbox", "network", "gamma"];
    let (ok, out) = m.cli_with("install", "c-ok", &args, &[], &vpy);
    assert!(ok, "{out}");
    assert_eq!(
        installed_version(&purelib, "gamma").as_deref(),
        Some("2.1"),
        "{out}"
    );
}

/// Publishes the build backend `tinybackend` and the sdist `NAME 1.0` whose build runs
/// `escape` first (as malicious build code would).
fn publish_escaping_sdist(m: &Mirror, name: &str, escape: &Path) {
    let w = m.work.path();
    let make = script("make_sdist.py");
    let dists = w.join("dists");
    let (ok, out) = run(Command::new(python()).arg(&make).arg("backend").arg(&dists));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(python())
        .arg(&make)
        .arg("sdist")
        .arg(&dists)
        .args([name, "1.0", "--escape"])
        .arg(escape));
    assert!(ok, "{out}");
    m.publish();
}

/// Control of the trace: a verified wheel with a console-script entry point and a
/// `.data/scripts` file installs through tuf-cli with every installer, into a virtual
/// environment (scripts in its `bin`) and into a --target directory, and its scripts are there.
#[test]
fn scripts_and_data_files_of_a_verified_wheel_pass_the_trace() {
    let m = mirror();
    let w = m.work.path();
    wheel(
        &w.join("dists"),
        &[
            "tooly",
            "1.0",
            "--raw",
            "tooly-1.0.dist-info/entry_points.txt=[console_scripts]\\ntooly-cli = tooly:main\\n",
            "--raw",
            "tooly-1.0.data/scripts/tooly-sh=#!python\\necho hi\\n",
            // Installed under the environment's prefix (share/...), as Jupyter kernels are.
            "--raw",
            "tooly-1.0.data/data/share/tooly/kernel.json={\"argv\": []}",
        ],
    );
    m.publish();
    for (label, installer, py) in installers() {
        for sandbox in ["auto", "network"] {
            let venv = w.join(format!("venv-{label}-{sandbox}"));
            let (ok, out) = run(Command::new(&py).args(["-m", "venv"]).arg(&venv));
            assert!(ok, "{out}");
            let uv = uv_path();
            let args = [
                "--sandbox",
                sandbox,
                "--installer",
                installer,
                "--uv",
                &uv,
                "tooly",
            ];
            let (ok, out) = m.cli_with(
                "install",
                &format!("c-{label}-{sandbox}"),
                &args,
                &[],
                &venv.join("bin/python"),
            );
            assert!(ok, "{label} {sandbox}: {out}");
            for script in ["tooly-cli", "tooly-sh"] {
                assert!(
                    venv.join("bin").join(script).exists(),
                    "{label} {sandbox}: no {script}: {out}"
                );
            }
            assert_eq!(
                std::fs::read_to_string(venv.join("share/tooly/kernel.json"))
                    .ok()
                    .as_deref(),
                Some("{\"argv\": []}"),
                "{label} {sandbox}: the data file: {out}"
            );
        }
        let site = m.site(&format!("site-{label}"));
        let (ok, out) = m.install_into(&format!("c-{label}"), installer, &py, "tooly", &site, &[]);
        assert!(ok, "{label} --target: {out}");
        assert_eq!(
            installed_version(Path::new(&site), "tooly").as_deref(),
            Some("1.0")
        );
    }
}

/// Without any sandbox (no namespace to show a staged directory at the environment's own
/// path) a virtual environment is staged whole, as a copy beside it that runs as itself: a
/// refused run leaves it file for file as it was, and a proven one is swapped in with its new
/// scripts naming the environment's own interpreter and their RECORD rows matching.
#[cfg(unix)]
#[test]
fn without_a_sandbox_a_virtual_environment_is_staged_whole() {
    let m = mirror();
    let w = m.work.path();
    let evil = evil_gamma(&m);
    let server = evil_server(&evil);
    let dep = format!(
        "gamma @ http://127.0.0.1:{}/gamma-9.9-py3-none-any.whl",
        server.port
    );
    wheel(
        &w.join("dists"),
        &["needs-loopback", "1.0", "--requires", &dep],
    );
    wheel(
        &w.join("dists"),
        &[
            "relo",
            "1.0",
            "--raw",
            "relo/__init__.py=def main():\\n    print('relo ran')\\n",
            "--raw",
            "relo-1.0.dist-info/entry_points.txt=[console_scripts]\\nrelo-cli = relo:main\\n",
            "--raw",
            "relo-1.0.data/scripts/relo-sh=#!python\\nprint('relo-sh ran')\\n",
        ],
    );
    m.publish();
    let uv = uv_path();
    for (label, installer, py) in installers() {
        let venv = w.join(format!("venv-{label}"));
        let (ok, out) = run(Command::new(&py).args(["-m", "venv"]).arg(&venv));
        assert!(ok, "{out}");
        let vpy = venv.join("bin/python");
        if installer == "pip" {
            // The weakest configuration: pip fetches the loopback dependency itself.
            let before = tree_state(&venv);
            let args = ["--no-guard", "--sandbox", "off", "needs-loopback"];
            let (ok, out) = m.cli_with("install", &format!("r-{label}"), &args, &[], &vpy);
            assert!(!ok, "{label}: {out}");
            assert!(
                out.contains("NOT VERIFIED: gamma 9.9") && out.contains("left as it was"),
                "{label}: {out}"
            );
            assert_eq!(
                tree_state(&venv),
                before,
                "{label}: the venv changed: {out}"
            );
        }
        let args = [
            "--sandbox",
            "off",
            "--installer",
            installer,
            "--uv",
            &uv,
            "relo",
        ];
        let (ok, out) = m.cli_with("install", &format!("c-{label}"), &args, &[], &vpy);
        assert!(ok, "{label}: {out}");
        for (script, said) in [("relo-cli", "relo ran"), ("relo-sh", "relo-sh ran")] {
            let path = venv.join("bin").join(script);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains(".tuf-staging"), "{label}: {text}");
            // Run by the interpreter its first line names (a wheel's data script keeps the
            // zip entry's mode, here without the executable bit).
            let interpreter = text.lines().next().unwrap().trim_start_matches("#!");
            assert_eq!(Path::new(interpreter), vpy, "{label} {script}: {text}");
            let (ok, got) = run(Command::new(interpreter).arg(&path));
            assert!(ok && got.contains(said), "{label} {script}: {got}\n{text}");
        }
        // Every hashed RECORD row matches the file as installed.
        let check = "import base64, csv, hashlib, pathlib, sys, sysconfig\n\
                     site = pathlib.Path(sysconfig.get_paths()['purelib'])\n\
                     rec = site / 'relo-1.0.dist-info' / 'RECORD'\n\
                     for row in csv.reader(rec.read_text().splitlines()):\n\
                     \x20   if row[1]:\n\
                     \x20       data = (site / row[0]).read_bytes()\n\
                     \x20       d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()\n\
                     \x20       assert row[1] == 'sha256=' + d and int(row[2]) == len(data), row\n\
                     print('record ok')";
        let (ok, got) = run(Command::new(&vpy).args(["-c", check]));
        assert!(ok && got.contains("record ok"), "{label}: {got}");
        let left: Vec<_> = std::fs::read_dir(w)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".tuf-"))
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "{label}: left behind: {left:?}");
    }
}

/// `tuf-cli serve` over HTTPS as the index URL of the plain pip and uv (as a team's
/// machines would use it): a tampered wheel on the mirror is refused, the original installs.
#[test]
fn pip_and_uv_install_from_tuf_cli_serve_over_https() {
    let m = mirror();
    let w = m.work.path();
    let (mut serve, index) = spawn_listening(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--mirror", &m.url])
            .args(["--root", "r/metadata/1.root.json", "--ca-file", "ca.pem"])
            .args([
                "--cache-dir",
                "serve-cache",
                "--cert",
                "cert.pem",
                "--key",
                "key.pem",
            ])
            .current_dir(w)
            .stderr(Stdio::null()),
        "https://",
    );
    let ca = w.join("ca.pem").display().to_string();
    let pip = |site: &str| {
        let site = PathBuf::from(m.site(site));
        let (ok, out) = run(Command::new(python())
            .args(["-m", "pip", "install", "--isolated", "--no-cache-dir"])
            .args([
                "--disable-pip-version-check",
                "--no-input",
                "--index-url",
                &index,
            ])
            .args(["--cert", &ca, "--target"])
            .arg(&site)
            .arg("alpha")
            // requests prefers these to pip's --cert.
            .env_remove("REQUESTS_CA_BUNDLE")
            .env_remove("CURL_CA_BUNDLE"));
        (ok, out, site)
    };
    let uv = python().with_file_name("uv");
    let uv_install = |site: &str| {
        let site = PathBuf::from(m.site(site));
        let (ok, out) = run(Command::new(&uv)
            .args(["pip", "install", "--no-config", "--no-cache", "--python"])
            .arg(python())
            .args(["--index-url", &index, "--target"])
            .arg(&site)
            .arg("alpha")
            .env("SSL_CERT_FILE", &ca)
            .env_remove("UV_INDEX_URL")
            .env_remove("UV_EXTRA_INDEX_URL")
            .env_remove("UV_FIND_LINKS"));
        (ok, out, site)
    };
    // The mirror serves a tampered gamma wheel: neither installer gets it.
    let (served_wheel, original) = m.tamper_gamma();
    let (ok, out, site) = pip("site-pip-bad");
    assert!(!ok, "pip installed through a tampered wheel: {out}");
    assert!(out.contains("502"), "refused for another reason: {out}");
    assert!(!site.join("gamma").exists(), "{out}");
    let (ok, out, site) = uv_install("site-uv-bad");
    assert!(!ok, "uv installed through a tampered wheel: {out}");
    assert!(out.contains("502"), "refused for another reason: {out}");
    assert!(!site.join("gamma").exists(), "{out}");
    // The mirror serves the signed wheel again: both install everything.
    std::fs::write(&served_wheel, &original).unwrap();
    let (ok, out, site) = pip("site-pip");
    assert!(ok, "{out}");
    assert_eq!(installed(&site), ["alpha", "beta_pkg", "gamma"], "{out}");
    let (ok, out, site) = uv_install("site-uv");
    assert!(ok, "{out}");
    assert_eq!(installed(&site), ["alpha", "beta_pkg", "gamma"], "{out}");
    let _ = serve.kill();
    let _ = serve.wait();
}

/// nginx, the Debian package started here on 127.0.0.1, serving the repository with the shipped
/// locations (`docs/nginx/tuf-locations.conf`); stopped when dropped.
struct Nginx {
    process: Child,
    port: u16,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn nginx_binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("nginx"))
            .find(|c| c.is_file())
    });
    on_path.or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|p| p.is_file()))
}

/// Starts nginx on a free port with `root` as the repository directory.
fn nginx(work: &Path, root: &Path) -> Option<Nginx> {
    let binary = nginx_binary()?;
    let locations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/nginx/tuf-locations.conf");
    let dir = work.join("nginx");
    std::fs::create_dir_all(&dir).unwrap();
    // nginx started as root serves from unprivileged workers: they must reach the tree.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(work, std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         types {{ application/json json; }}\n  sendfile on;\n\
         server {{\n    listen 127.0.0.1:{port};\n    root {};\n    include {};\n  }}\n}}\n",
        root.display(),
        locations.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let process = Command::new(binary)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .arg("-p")
        .arg(&dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Nginx { process, port };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "nginx did not listen: {}",
        std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
    );
}

/// One GET with `Accept-Encoding: gzip` to 127.0.0.1:`port`: (status line, headers lowercased).
fn head_of(port: u16, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let status = head.lines().next().unwrap_or("").to_owned();
    (status, head)
}

#[test]
fn pip_installs_through_tuf_from_nginx_with_the_shipped_configuration() {
    let m = mirror();
    let w = m.work.path();
    let Some(server) = nginx(w, &w.join("r")) else {
        eprintln!("skipped: no nginx here (scripts/test installs it)");
        return;
    };
    let port = server.port;
    // What the shipped locations promise: metadata gzipped where accepted; the timestamp
    // revalidated, versioned metadata and targets immutable; the missing next root never
    // cached; nothing else of the repository (keys, configuration) served.
    let (status, head) = head_of(port, "/metadata/timestamp.json");
    assert!(status.contains(" 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("cache-control: no-cache"), "{head}");
    let (status, head) = head_of(port, "/metadata/1.root.json");
    assert!(
        status.contains(" 200") && head.contains("immutable"),
        "{head}"
    );
    let (status, head) = head_of(port, "/metadata/2.root.json");
    assert!(
        status.contains(" 404") && head.contains("cache-control: no-store"),
        "{head}"
    );
    for private in ["/repo.json", "/keys/", "/r/repo.json"] {
        let (status, head) = head_of(port, private);
        assert!(status.contains(" 404"), "{private}: {head}");
    }
    // pip through tuf-cli install, the mirror behind nginx.
    let site = w.join("site-nginx");
    let (ok, out) = run(Command::new(BIN)
        .args(["install", "--mirror", &format!("http://127.0.0.1:{port}/")])
        .args([
            "--root",
            "r/metadata/1.root.json",
            "--cache-dir",
            "cache-nginx",
            "--stats",
        ])
        .arg("--python")
        .arg(python())
        .args(["alpha", "--", "--target"])
        .arg(&site)
        .current_dir(w));
    assert!(ok, "{out}");
    assert_eq!(installed(&site), ["alpha", "beta_pkg", "gamma"], "{out}");
    // The snapshot came gzipped: fewer bytes on the wire than decoded.
    let line = out
        .lines()
        .find(|l| l.ends_with(".snapshot.json"))
        .unwrap_or_else(|| panic!("no snapshot fetch in {out}"));
    let f: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(f[0] < f[1], "not gzipped: {line}");
}

/// Copies the directory `from` to `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Writes `html` as bandersnatch's `keep_index_versions` does: a file in `dir/versions/`
/// named by `serial`, and `dir/index.html` an absolute symbolic link to it; returns the file.
fn keep_version(html: &Path, dir: &Path, serial: u32) -> PathBuf {
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    let version = versions.join(format!("index_{serial}_20261205T00000{serial}Z.html"));
    std::fs::copy(html, &version).unwrap();
    let index = dir.join("index.html");
    let _ = std::fs::remove_file(&index);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&version, &index).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&version, &index).unwrap();
    version
}

#[test]
fn a_bandersnatch_mirror_is_synced_as_bandersnatch_writes_it_and_pip_installs_from_it() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dists = w.join("dists");
    wheel(&dists, &["alpha", "1.0", "--requires", "gamma"]);
    wheel(&dists, &["gamma", "2.1"]);
    // bandersnatch's layout, from the pages tuf-pypi makes: web/simple/<name>/ with
    // index.html, index.v1_html and index.v1_json; web/packages/ with each file's .metadata;
    // and beside them the legacy JSON API and last-modified, which are not signed.
    let tree = w.join("tree");
    tuf_pypi::build_tree(&dists, &tree).unwrap();
    let web = w.join("mirror/web");
    copy_dir(&tree.join("packages"), &web.join("packages"));
    for e in std::fs::read_dir(tree.join("simple")).unwrap() {
        let e = e.unwrap();
        let (from, to) = if e.file_type().unwrap().is_dir() {
            (e.path(), web.join("simple").join(e.file_name()))
        } else {
            continue;
        };
        std::fs::create_dir_all(&to).unwrap();
        if e.file_name() == "alpha" {
            // alpha's as keep_index_versions makes it: index.html a link to a version.
            keep_version(&from.join("index.html"), &to, 1);
        } else {
            std::fs::copy(from.join("index.html"), to.join("index.html")).unwrap();
        }
        std::fs::copy(from.join("index.html"), to.join("index.v1_html")).unwrap();
        std::fs::copy(from.join("index.json"), to.join("index.v1_json")).unwrap();
        let name = e.file_name().into_string().unwrap();
        std::fs::create_dir_all(web.join("pypi").join(&name)).unwrap();
        std::fs::write(web.join("pypi").join(&name).join("json"), "{}").unwrap();
        std::fs::create_dir_all(web.join("json")).unwrap();
        std::fs::write(web.join("json").join(&name), "{}").unwrap();
    }
    std::fs::copy(
        tree.join("simple/index.html"),
        web.join("simple/index.html"),
    )
    .unwrap();
    std::fs::write(web.join("last-modified"), "20261205T00:00:00\n").unwrap();

    // Distribution files (PyPI's paths name one content for ever) signed where they lie.
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "init", "--bins", "16"])
        .args(["--in-place", "packages/"])
        .current_dir(w));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "sync", "mirror"])
        .current_dir(w));
    assert!(ok, "{out}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let file = "packages/alpha-1.0-py3-none-any.whl";
        assert_eq!(
            std::fs::metadata(w.join("r/targets").join(file))
                .unwrap()
                .ino(),
            std::fs::metadata(web.join(file)).unwrap().ino(),
            "signed where it lies (a second name of the mirror's file), not copied"
        );
        assert_eq!(
            std::fs::read_dir(w.join("r/targets/packages"))
                .unwrap()
                .count(),
            4
        );
    }
    // Pages (HTML and PEP 691 JSON), files and core metadata are targets; nothing else is.
    let targets = w.join("r/targets");
    let listed = |dir: &str| -> Vec<String> {
        std::fs::read_dir(targets.join(dir))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        listed("simple/alpha")
            .iter()
            .any(|f| f.ends_with(".index.json"))
    );
    assert!(
        listed("simple/alpha")
            .iter()
            .any(|f| f.ends_with(".index.html"))
    );
    assert!(!listed("simple/alpha").iter().any(|f| f.contains("v1_")));
    assert!(listed("json").is_empty() && listed("pypi").is_empty());
    assert!(!listed("").iter().any(|f| f.contains("last-modified")));
    let (mut server, meta) = spawn_listening(
        Command::new(BIN)
            .args(["repo", "--repo", "r", "serve", "--addr", "127.0.0.1:0"])
            .current_dir(w),
        "http://",
    );
    let url = meta.trim_end_matches("metadata/").to_owned();
    let install = |req: &str, site: &str| {
        let site = w.join(site);
        let (ok, out) = run(Command::new(BIN)
            .args([
                "install",
                "--mirror",
                &url,
                "--root",
                "r/metadata/1.root.json",
            ])
            .args(["--cache-dir", "cache", "--python"])
            .arg(python())
            .args([req, "--", "--target"])
            .arg(&site)
            .current_dir(w));
        (ok, out, site)
    };
    let (ok, out, site) = install("alpha", "site");
    assert!(ok, "{out}");
    assert_eq!(installed(&site), ["alpha", "gamma"], "{out}");
    // tuf-cli client learns from the signed entry that the file is served at its own path.
    let (ok, out) = run(Command::new(BIN)
        .args([
            "client",
            "--metadata-dir",
            "client/metadata",
            "init",
            "--root",
            "r/metadata/1.root.json",
        ])
        .current_dir(w));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(BIN)
        .args(["client", "--metadata-dir", "client/metadata"])
        .args(["--metadata-url", meta.as_str(), "--targets-url"])
        .arg(format!("{url}targets/"))
        .args([
            "download",
            "packages/gamma-2.1-py3-none-any.whl",
            "-o",
            "gamma.whl",
        ])
        .current_dir(w));
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read(w.join("gamma.whl")).unwrap(),
        std::fs::read(web.join("packages/gamma-2.1-py3-none-any.whl")).unwrap()
    );

    // bandersnatch's next runs, as its diff files list them: the files and pages of alpha
    // rebuilt from `dists` into the mirror; `gone` files deleted first.
    let next_run = |n: u32, gone: &[&str]| -> PathBuf {
        let mut listed: Vec<PathBuf> = Vec::new();
        for g in gone {
            let p = web.join("packages").join(g);
            std::fs::remove_file(&p).unwrap();
            listed.push(p);
        }
        let tree = w.join(format!("tree{n}"));
        tuf_pypi::build_tree(&dists, &tree).unwrap();
        for e in std::fs::read_dir(tree.join("packages")).unwrap() {
            let e = e.unwrap();
            let dest = web.join("packages").join(e.file_name());
            if !dest.exists() {
                std::fs::copy(e.path(), &dest).unwrap();
                listed.push(dest);
            }
        }
        let page = web.join("simple/alpha");
        // keep_index_versions: a new version file, listed; index.html re-pointed, not listed.
        listed.push(keep_version(
            &tree.join("simple/alpha/index.html"),
            &page,
            n + 1,
        ));
        for (from, to) in [
            ("index.html", "index.v1_html"),
            ("index.json", "index.v1_json"),
        ] {
            std::fs::copy(tree.join("simple/alpha").join(from), page.join(to)).unwrap();
            listed.push(page.join(to));
        }
        listed.push(web.join("json/alpha"));
        listed.push(web.join("last-modified"));
        // bandersnatch with diff-append-epoch: one `mirrored-files-<epoch>` per run.
        let diff = w.join(format!("mirror/mirrored-files-{}", 1_733_400_000 + n));
        let text: Vec<String> = listed.iter().map(|p| p.display().to_string()).collect();
        std::fs::write(&diff, text.join("\n") + "\n").unwrap();
        diff
    };
    // Given the diff-file setting, it applies the runs' files not applied yet.
    let apply = |diff: &Path| {
        assert!(diff.is_file());
        run(Command::new(BIN)
            .args(["repo", "--repo", "r", "apply-diff", "--mirror", "mirror"])
            .arg("mirror/mirrored-files")
            .current_dir(w))
    };
    // A new release: signed by applying the diff, installed. The wheel is signed from the
    // size and sha256 its PEP 691 page lists, not read (its .metadata, listed by hash only,
    // is read).
    wheel(&dists, &["alpha", "2.0", "--requires", "gamma"]);
    let (ok, out) = apply(&next_run(1, &[]));
    assert!(ok && out.contains("Applied"), "{out}");
    assert!(out.contains("Applying 1 diff file(s)"), "{out}");
    assert!(
        out.contains("1 file(s) signed from the sizes and sha256"),
        "{out}"
    );
    // The HTML page kept as a version is signed as alpha's page.
    let html = std::fs::read(web.join("simple/alpha/index.html")).unwrap();
    let digest = tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Sha256.digest(&html));
    assert!(
        targets
            .join(format!("simple/alpha/{digest}.index.html"))
            .is_file(),
        "the new page version was not signed: {out}"
    );
    // Applied once: the same run is not applied again.
    let (ok, out) = apply(&w.join("mirror/mirrored-files-1733400001"));
    assert!(ok && out.contains("Nothing to apply"), "{out}");
    let (ok, out, site) = install("alpha==2.0", "site-2");
    assert!(ok, "{out}");
    assert!(site.join("alpha-2.0.dist-info").is_dir(), "{out}");
    // Release 1.0 deleted upstream: its files are no longer targets, its page lists it no more.
    std::fs::remove_file(dists.join("alpha-1.0-py3-none-any.whl")).unwrap();
    let gone = [
        "alpha-1.0-py3-none-any.whl",
        "alpha-1.0-py3-none-any.whl.metadata",
    ];
    let (ok, out) = apply(&next_run(2, &gone));
    assert!(ok, "{out}");
    let (ok, out, site) = install("alpha==1.0", "site-3");
    assert!(!ok, "a deleted release was installed: {out}");
    assert!(!site.join("alpha").exists(), "{out}");
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "verify"])
        .current_dir(w));
    assert!(ok, "{out}");
    // A file on the mirror that is not what its page lists (same length, one byte changed
    // after the mirror tool checked it): signed by the page's hash — so it was not read — and
    // placed by a hard link; no client takes it.
    wheel(&dists, &["alpha", "3.0", "--requires", "gamma"]);
    let diff = next_run(3, &[]);
    let on_mirror = web.join("packages/alpha-3.0-py3-none-any.whl");
    let good = std::fs::read(&on_mirror).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::remove_file(&on_mirror).unwrap();
    std::fs::write(&on_mirror, &bad).unwrap();
    let (ok, out) = apply(&diff);
    assert!(ok && out.contains("1 file(s) signed from"), "{out}");
    assert!(
        out.contains("Applying 1 diff file(s)") && out.contains("mirrored-files-1733400003"),
        "only the run not applied yet: {out}"
    );
    let placed = targets.join("packages/alpha-3.0-py3-none-any.whl");
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(
            std::fs::metadata(&placed).unwrap().ino(),
            std::fs::metadata(&on_mirror).unwrap().ino(),
            "placed by a hard link, at its own path"
        );
    }
    assert!(placed.is_file(), "placed at its own path");
    let (ok, out, site) = install("alpha==3.0", "site-4");
    assert!(!ok, "a file unlike its signed hash was installed: {out}");
    assert!(!site.join("alpha-3.0.dist-info").exists(), "{out}");
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn pip_and_uv_install_from_a_mirror_signed_as_warehouse_signs_pypi() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let dists = w.join("dists");
    wheel(&dists, &["alpha", "1.0", "--requires", "gamma"]);
    wheel(&dists, &["gamma", "2.1"]);
    let (ok, out) = run(Command::new(BIN)
        .args([
            "repo", "--repo", "r", "init", "--bins", "16", "--layout", "pages",
        ])
        .current_dir(w));
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "add-dists", "dists"])
        .current_dir(w));
    assert!(ok, "{out}");
    // Only the pages are targets, each named by its project, served under its blake2b-256;
    // the files are placed at their own path, unsigned.
    let targets = w.join("r/targets");
    let page = std::fs::read(w.join("r/dists-tree/simple/alpha/index.html")).unwrap();
    let blake = tuf_crypto::hex::encode(tuf_crypto::HashAlgorithm::Blake2b256.digest(&page));
    assert!(targets.join(format!("{blake}.alpha")).is_file());
    let wheel_file = "alpha-1.0-py3-none-any.whl";
    assert!(targets.join("packages").join(wheel_file).is_file());
    let (ok, out) = run(Command::new(BIN)
        .args(["repo", "--repo", "r", "verify"])
        .current_dir(w));
    assert!(ok && out.contains("2 target"), "{out}");
    let (mut server, meta) = spawn_listening(
        Command::new(BIN)
            .args(["repo", "--repo", "r", "serve", "--addr", "127.0.0.1:0"])
            .current_dir(w),
        "http://",
    );
    let url = meta.trim_end_matches("metadata/").to_owned();
    let install = |installer: &str, cache: &str, site: &str| {
        let site = w.join(site);
        let (ok, out) = run(Command::new(BIN)
            .args(["install", "--layout", "pages", "--mirror", &url])
            .args(["--root", "r/metadata/1.root.json", "--installer", installer])
            .args(["--uv", &uv_path(), "--cache-dir", cache, "--python"])
            .arg(python())
            .args(["alpha", "--", "--target"])
            .arg(&site)
            .current_dir(w));
        (ok, out, site)
    };
    for installer in ["pip", "uv"] {
        let (ok, out, site) = install(installer, &format!("cache-{installer}"), installer);
        assert!(ok, "{installer}: {out}");
        assert_eq!(installed(&site), ["alpha", "gamma"], "{installer}: {out}");
    }
    // The mirror serves another gamma wheel under the same name: the digest of the verified
    // page refuses it, for both installers (new caches: nothing verified is kept).
    let served = targets.join("packages/gamma-2.1-py3-none-any.whl");
    let original = std::fs::read(&served).unwrap();
    let mut bad = original.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    std::fs::remove_file(&served).unwrap();
    std::fs::write(&served, &bad).unwrap();
    for installer in ["pip", "uv"] {
        let (ok, out, site) = install(installer, &format!("cache-bad-{installer}"), "bad");
        assert!(
            !ok,
            "{installer} installed a file unlike its page's digest: {out}"
        );
        assert!(
            out.contains("502") && out.contains("the hash a verified index page lists"),
            "refused for another reason: {out}"
        );
        assert!(!site.join("gamma").exists(), "{out}");
    }
    std::fs::write(&served, &original).unwrap();
    // Through tuf-cli serve: a file no verified page lists is not fetched at all; a listed one
    // is served byte for byte, also when no page was asked for first.
    std::fs::write(targets.join("packages/unlisted-1.0-py3-none-any.whl"), b"x").unwrap();
    let (mut serve, index) = spawn_listening(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--layout", "pages"])
            .args(["--mirror", &url, "--root", "r/metadata/1.root.json"])
            .args(["--cache-dir", "serve-cache"])
            .current_dir(w)
            .stderr(Stdio::null()),
        "http://",
    );
    let port: u16 = index
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (status, _) = head_of(port, "/packages/unlisted-1.0-py3-none-any.whl");
    assert!(status.contains("404"), "{status}");
    let (status, _) = head_of(port, "/packages/alpha-1.0-py3-none-any.whl.metadata");
    assert!(
        status.contains("200"),
        "the core metadata, by data-core-metadata: {status}"
    );
    let (status, _) = head_of(port, "/packages/gamma-2.1-py3-none-any.whl");
    assert!(status.contains("200"), "{status}");
    let (status, _) = head_of(port, "/simple/alpha/");
    assert!(status.contains("200"), "{status}");
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = server.kill();
    let _ = server.wait();
}
