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

fn cli_in(dir: &Path, args: &[&str], allow_local: bool) -> Result<Canonical, InterposeError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    canonicalize(&policy(allow_local), &args, dir)
}

fn cli(args: &[&str]) -> Result<Canonical, InterposeError> {
    cli_in(&std::env::temp_dir(), args, false)
}

/// `text` as a requirements file `name` in a new directory, read as `-r name`.
fn file(text: &str) -> (tempfile::TempDir, Result<Canonical, InterposeError>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reqs.txt"), text).unwrap();
    let got = cli_in(dir.path(), &["-r", "reqs.txt"], false);
    (dir, got)
}

const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const H2: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

#[test]
fn requirements_come_out_in_one_spelling() {
    let c = cli(&[
        "Requests[Socks,security] >= 2.32, <3",
        "Friendly.Bard__Tools==1.0",
        "evil.py",
        "idna ; sys_platform == 'linux'",
        "x @ https://files.pythonhosted.org/packages/x-1.0-py3-none-any.whl#sha256=00",
        "-U",
        "--no-deps",
        "--only-binary=:all:",
        "--no-binary",
        "Numpy,scipy",
        "--upgrade-strategy",
        "eager",
        "-i",
        "https://pypi.org/simple",
    ])
    .unwrap();
    assert_eq!(
        c.requirements,
        [
            "requests[socks,security]>=2.32,<3",
            "friendly-bard-tools==1.0",
            // A name, never a file in the installer's directory.
            "evil-py",
            "idna ; sys_platform == 'linux'",
            "x @ https://files.pythonhosted.org/packages/x-1.0-py3-none-any.whl#sha256=00",
        ]
    );
    assert_eq!(
        c.options,
        [
            "-U",
            "--no-deps",
            "--only-binary=:all:",
            "--no-binary=Numpy,scipy",
            "--upgrade-strategy=eager"
        ]
    );
    assert!(c.local.is_empty() && c.constraints.is_empty() && c.target.is_none());
}

/// Each spelling the deny-list missed, and the kinds it stood for: refused without the
/// grammar knowing any of them.
#[test]
fn every_other_spelling_is_refused() {
    for args in [
        &["gamma", "--find-link", "vendor"][..],
        &["gamma", "--find-l", "vendor"],
        &["gamma", "--\"find-links\"", "vendor"],
        &["gamma", "--'find-links'=vendor"],
        &["gamma", "-Uf", "vendor"],
        &["gamma", "-fvendor"],
        &["gamma", "-qf", "vendor"],
        &["-e", "evilproj"],
        &["-eevilproj"],
        &["--editable=evilproj"],
        &["--group", "dev"],
        &["--group=pyproject.toml:dev"],
        &["--requirements-from-script", "tool.py"],
        &["--script", "tool.py"],
        &["gamma", "--extra-index-url", "https://evil.example/simple"],
        &["gamma", "--index", "https://evil.example/simple"],
        &["gamma", "--default-index", "https://pypi.org/simple"],
        &["gamma", "--no-index"],
        &["gamma", "--prefix", "/tmp/p"],
        &["gamma", "--root", "/tmp/p"],
        &["gamma", "--user"],
        &["gamma", "-t/tmp/p"],
        &["gamma", "-t", "/tmp/p"],
        &["gamma", "-d", "/tmp/p"],
        &["gamma", "--dest", "/tmp/p"],
        &["gamma", "--config-settings", "x=y"],
        &["gamma", "-C", "x=y"],
        &["gamma", "--no-build-isolation"],
        &["gamma", "--override", "o.txt"],
        &["gamma", "--build-constraint", "b.txt"],
        &["gamma", "--upgrade-strategy", "everything"],
        &["gamma", "--only-binary", "../x"],
        &["gamma", "--proxy", "http://evil"],
        &["gamma", "--cert", "/tmp/ca.pem"],
        &["gamma", "--python", "/tmp/evil/python"],
        &["gamma", "--hash=sha256:00"],
        &["gamma @ file:///tmp/evil.whl"],
        &["gamma @ git+https://files.pythonhosted.org/evil"],
        &["gamma @ https://evil.example/gamma-9.9.tar.gz"],
        &["gamma @ ftp://pypi.org/gamma-9.9.tar.gz"],
        &["gamma @ https://u:p@pypi.org/gamma-9.9.tar.gz"],
        &["./evil/gamma-9.9-py3-none-any.whl"],
        &["gamma-9.9-py3-none-any.whl"],
        &["evil.tar.gz"],
        &["/tmp/evil"],
        &["gamma==${VERSION}"],
        &["gamma", "-q", "-qq"],
        &["gamma", "--upgrade=yes"],
    ] {
        let e = cli(args).expect_err(&format!("{args:?} passed"));
        assert!(e.to_string().starts_with("command line: "), "{args:?}: {e}");
    }
    let e = cli(&["gamma @ git+https://pypi.org/x"]).unwrap_err();
    assert!(
        e.to_string().contains("a VCS checkout is not a TUF target"),
        "{e}"
    );
}

#[test]
fn files_are_read_recursively_and_refusals_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("nested")).unwrap();
    std::fs::write(d.join("nested/inner.txt"), "idna\n--find-link ../evil\n").unwrap();
    std::fs::write(
        d.join("top.txt"),
        "# pinned\nrequests\n-r nested/inner.txt\n",
    )
    .unwrap();
    let e = cli_in(d, &["-r", "top.txt"], false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nested/inner.txt:2"), "{e}");
    for (text, line) in [
        ("gamma\r--find-links vendor\n", 1),
        ("ok\ngamma \\\n  --find-links=vendor\n", 2),
        ("-e evilproj\n", 1),
        ("--group dev\n", 1),
        ("gamma --config-settings=x=y\n", 1),
        ("gamma --hash=md5:00\n", 1),
        ("gamma --hash=sha256:abc\n", 1),
        ("--target /tmp/x\n", 1),
        ("-r https://pypi.org/reqs.txt\n", 1),
        ("\n\ngamma==${V}\n", 3),
        ("--index-url https://evil.example/simple\n", 1),
        ("--trusted-host evil.example\n", 1),
        ("--only-binary :all: gamma\n", 1),
    ] {
        let (_d, got) = file(text);
        let e = got.expect_err(text).to_string();
        assert!(e.contains(&format!("reqs.txt:{line}")), "{text:?}: {e}");
    }
    // An include cycle reads each file once.
    std::fs::write(d.join("a.txt"), "-r b.txt\nidna\n").unwrap();
    std::fs::write(d.join("b.txt"), "-r a.txt\nurllib3\n").unwrap();
    let c = cli_in(d, &["-r", "a.txt"], false).unwrap();
    assert_eq!(c.requirements, ["urllib3", "idna"]);
}

#[test]
fn files_as_the_lock_tools_write_them_pass() {
    // pip-compile --generate-hashes (pip-tools 7), with an index line.
    let pip_compile = format!(
        "#\n# This file is autogenerated by pip-compile with Python 3.11\n#\n\
         --index-url https://pypi.org/simple\n\n\
         certifi==2024.8.30 \\\n    --hash=sha256:{H1} \\\n    --hash=sha256:{H2}\n    # via requests\n\
         requests==2.32.3 \\\n    --hash=sha256:{H1}\n    # via -r requirements.in\n"
    );
    let (_d, got) = file(&pip_compile);
    let c = got.unwrap();
    let h2 = H2.to_ascii_lowercase();
    assert_eq!(
        c.requirements,
        [
            format!("certifi==2024.8.30 --hash=sha256:{H1} --hash=sha256:{h2}"),
            format!("requests==2.32.3 --hash=sha256:{H1}"),
        ]
    );
    // uv pip compile (--generate-hashes, markers, --universal).
    let uv = format!(
        "# This file was autogenerated by uv via the following command:\n\
         #    uv pip compile requirements.in -o requirements.txt --generate-hashes\n\
         colorama==0.4.6 ; sys_platform == 'win32' \\\n    --hash=sha256:{H1}\n    # via click\n\
         click==8.1.7 \\\n    --hash=sha256:{H1}\n"
    );
    let (_d, got) = file(&uv);
    assert_eq!(
        got.unwrap().requirements,
        [
            format!("colorama==0.4.6 ; sys_platform == 'win32' --hash=sha256:{H1}"),
            format!("click==8.1.7 --hash=sha256:{H1}"),
        ]
    );
    // pip freeze, CRLF line ends as on Windows.
    let (_d, got) = file("certifi==2024.8.30\r\ncharset-normalizer==3.4.0\r\nidna==3.10\r\n");
    assert_eq!(
        got.unwrap().requirements,
        [
            "certifi==2024.8.30",
            "charset-normalizer==3.4.0",
            "idna==3.10"
        ]
    );
    // A constraints file.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.txt"), "urllib3<2\n").unwrap();
    let c = cli_in(dir.path(), &["requests", "-c", "c.txt"], false).unwrap();
    assert_eq!(
        (c.requirements, c.constraints),
        (vec!["requests".to_owned()], vec!["urllib3<2".to_owned()])
    );
}

#[test]
fn allow_local_passes_only_existing_local_paths_and_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("vendor")).unwrap();
    std::fs::create_dir_all(d.join("proj")).unwrap();
    std::fs::write(d.join("vendor/g-1.0-py3-none-any.whl"), b"").unwrap();
    let real = std::fs::canonicalize(d).unwrap();
    let c = cli_in(
        d,
        &[
            "./vendor/g-1.0-py3-none-any.whl",
            "-e",
            "proj",
            "--find-links",
            "vendor",
            "--no-index",
            "--target",
            "site",
        ],
        true,
    )
    .unwrap();
    assert_eq!(
        c.requirements,
        [
            format!("{}/vendor/g-1.0-py3-none-any.whl", real.display()),
            format!("-e {}/proj", real.display()),
        ]
    );
    assert_eq!(c.local.len(), 4, "{:?}", c.local);
    assert_eq!(c.local_paths.len(), 3);
    assert_eq!(c.target.as_deref(), Some(d.join("site").as_path()));
    // Never the network: VCS, uncovered hosts and missing paths stay refused.
    for args in [
        &["gamma @ git+https://pypi.org/x"][..],
        &["gamma @ https://evil.example/g.whl"],
        &["./missing.whl"],
        &["-e", "git+https://pypi.org/x"],
    ] {
        assert!(cli_in(d, args, true).is_err(), "{args:?}");
    }
}

#[test]
fn what_is_written_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let c = cli(&[
        "a[x]>=1,!=1.5.*; python_version >= \"3.8\" and (os_name=='posix' or extra == 'y')",
        "b @ https://pypi.org/b-1.0.tar.gz ; os_name == 'nt'",
        "c~=1.2",
        "-c",
    ]);
    assert!(c.is_err(), "-c needs a value");
    let c = cli(&[
        "a[x]>=1,!=1.5.*; python_version >= \"3.8\" and (os_name=='posix' or extra == 'y')",
        "b @ https://pypi.org/b-1.0.tar.gz ; os_name == 'nt'",
        "c~=1.2",
    ])
    .unwrap();
    let args = c.write(dir.path()).unwrap();
    assert_eq!(args[0], "-r");
    let again = cli_in(dir.path(), &["-r", "requirements.txt"], false).unwrap();
    assert_eq!(again.requirements, c.requirements);
    // A marker string holding what a requirements parser reads as an option or a comment is
    // refused rather than written.
    for bad in [
        "a ; platform_release == ' -r /etc/x'",
        "a ; platform_release == 'x #y'",
    ] {
        assert!(cli(&[bad]).is_err(), "{bad}");
    }
}

#[test]
fn the_projects_named_are_listed_once_normalized_for_the_page_prefetch() {
    let c = cli(&[
        "Friendly.Bard__Tools==1.0",
        "Requests[socks] >= 2.32",
        "idna ; sys_platform == 'linux'",
        "friendly-bard-tools<2",
    ])
    .unwrap();
    assert_eq!(
        c.project_names(),
        ["friendly-bard-tools", "requests", "idna"]
    );
    let local = tempfile::tempdir().unwrap();
    std::fs::write(local.path().join("own-1.0-py3-none-any.whl"), b"").unwrap();
    let c = cli_in(local.path(), &["./own-1.0-py3-none-any.whl", "zeta"], true).unwrap();
    assert_eq!(c.project_names(), ["zeta"]);
}

/// Found by fuzzing (`fuzz/fuzz_targets/requirements.rs`): pep508_rs 0.9 panics on a name
/// running into a non-ASCII character ("`PackageName` validation should match PEP 508
/// parsing"). Only printable ASCII reaches it now; the rest is refused, never a panic.
#[test]
fn non_ascii_requirements_are_refused_not_a_panic() {
    for bad in [
        "rIqpython_\u{fffd}ersionuestsrequestfkc[o[ss2s]",
        "caf\u{e9}>=1",
        "a ; python_version == '3\u{2028}'",
        "a\u{0}b",
    ] {
        let e = cli(&[bad]).unwrap_err().to_string();
        assert!(e.contains("printable ASCII"), "{bad:?}: {e}");
    }
    // And on a name or an extra ending in '.', '-' or '_' followed by more (also found by
    // fuzzing), in plain ASCII.
    for bad in [
        "request.)t?c[o[ss0s]",
        "a_ [x]",
        "a[x.]",
        "a[x, y-]>=1",
        "a [ok,bad_ ]",
    ] {
        let e = cli(&[bad]).unwrap_err().to_string();
        assert!(
            e.contains("must end with a letter or digit"),
            "{bad:?}: {e}"
        );
    }
    assert!(cli(&["a.b-c_d[x.y,z-w]>=1"]).is_ok());
}
