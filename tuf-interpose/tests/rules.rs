//! Interposition rules: validation names the rule; mapping decodes once, normalizes names,
//! refuses escapes, and refuses what no rule maps.

use tuf_interpose::{
    HostSpec, InterposeError, RepositorySpec, RuleKind, RuleSpec, Rules, RulesSpec,
};

fn repo() -> RepositorySpec {
    RepositorySpec {
        metadata_urls: vec!["https://mirror.example/metadata/".into()],
        targets_urls: vec!["https://mirror.example/targets/".into()],
        metadata_dir: "m".into(),
        targets_dir: "t".into(),
        root: None,
        ca_file: None,
    }
}

fn rules() -> Rules {
    Rules::compile(&RulesSpec::for_mirror(repo())).unwrap()
}

#[test]
fn every_spelling_of_a_project_maps_to_one_target() {
    let r = rules();
    for path in [
        "/simple/Friendly.Bard/",
        "/simple/friendly-bard/",
        "/simple/FRIENDLY__bard",
        "/simple/friendly%2Dbard/",
    ] {
        assert_eq!(
            r.map(None, path).unwrap().target,
            "simple/friendly-bard/index.html",
            "{path}"
        );
    }
}

#[test]
fn paths_are_decoded_exactly_once_and_normalized_to_nfc() {
    let r = rules();
    // pip sends `+` as %2B, uv sends it raw: the same target.
    assert_eq!(
        r.map(None, "/packages/foo-1.0%2Blocal.tar.gz")
            .unwrap()
            .target,
        "packages/foo-1.0+local.tar.gz"
    );
    assert_eq!(
        r.map(None, "/packages/foo-1.0+local.tar.gz")
            .unwrap()
            .target,
        "packages/foo-1.0+local.tar.gz"
    );
    // %2541 is "%41" after one decoding, not "A".
    assert_eq!(
        r.map(None, "/packages/a%2541.whl").unwrap().target,
        "packages/a%41.whl"
    );
    // Decomposed é (e + U+0301) becomes the precomposed form.
    assert_eq!(
        r.map(None, "/packages/cafe%CC%81.whl").unwrap().target,
        "packages/caf\u{e9}.whl"
    );
    // Query and fragment are not part of the target.
    assert_eq!(
        r.map(None, "/packages/x.whl?x=1").unwrap().target,
        "packages/x.whl"
    );
}

#[test]
fn escapes_and_unknown_urls_are_refused() {
    let r = rules();
    for bad in [
        "/packages/../../etc/passwd",
        "/packages/%2e%2e/secret",
        "/packages/a%5Cb",
        "/packages/a%00b",
        "/packages/%FF",
        "/packages/a//b",
    ] {
        assert!(r.map(None, bad).is_err(), "{bad}");
    }
    assert!(matches!(
        r.map(None, "/admin"),
        Err(InterposeError::NoRule { .. })
    ));
    assert!(matches!(
        r.map(Some("evil.example"), "/simple/x/"),
        Err(InterposeError::NoRule { .. })
    ));
}

#[test]
fn invalid_rules_are_refused_naming_the_rule() {
    let mut spec = RulesSpec::for_mirror(repo());
    let cases = [
        ("simple/(.+)", "t/{1}", "anchored"),
        ("^/x/([a-z$", "t", "rule 0"),
        ("^/x/(.+)$", "t/{2}", "group 2 does not exist"),
        ("^/x/(.+)$", "t/{1:upper}", "unknown modifier"),
        ("^/x/(.+)$", "t/{x}", "not a group number"),
    ];
    for (pattern, target, expect) in cases {
        spec.hosts.insert(
            "pypi.org".into(),
            HostSpec {
                repository: "mirror".into(),
                rules: vec![RuleSpec {
                    pattern: pattern.into(),
                    target: target.into(),
                    kind: Default::default(),
                }],
            },
        );
        let err = Rules::compile(&spec).unwrap_err().to_string();
        assert!(
            err.contains("host pypi.org") && err.contains(expect),
            "{pattern}: {err}"
        );
    }
    spec.hosts.get_mut("pypi.org").unwrap().repository = "nowhere".into();
    assert!(
        Rules::compile(&spec)
            .unwrap_err()
            .to_string()
            .contains("unknown repository")
    );
    // A rules file round-trips through JSON and is validated on load.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.json");
    std::fs::write(
        &path,
        serde_json::to_vec(&RulesSpec::for_mirror(repo())).unwrap(),
    )
    .unwrap();
    assert!(RulesSpec::load(&path).is_ok());
    std::fs::write(&path, b"{\"hosts\":{}}").unwrap();
    assert!(RulesSpec::load(&path).is_err());
}

#[test]
fn the_pages_layout_maps_pages_to_project_names_and_files_to_vouched_paths() {
    let spec = RulesSpec::for_pages_mirror(repo());
    let r = Rules::compile(&spec).unwrap();
    assert!(r.vouches() && !rules().vouches());
    let page = r.map(None, "/simple/Friendly.Bard/").unwrap();
    assert_eq!(
        (page.target.as_str(), page.kind),
        ("friendly-bard", RuleKind::Page)
    );
    for host in [None, Some("files.pythonhosted.org")] {
        let file = r.map(host, "/packages/ab/x-1.0.tar.gz").unwrap();
        assert_eq!(
            (file.target.as_str(), file.kind),
            ("packages/ab/x-1.0.tar.gz", RuleKind::Vouched)
        );
    }
    // No root index in this layout; and the kinds survive a rules file.
    assert!(r.map(None, "/simple/").is_err());
    let text = serde_json::to_string(&spec).unwrap();
    assert!(text.contains("\"kind\":\"vouched\"") && text.contains("\"kind\":\"page\""));
    let back: RulesSpec = serde_json::from_str(&text).unwrap();
    assert_eq!(back, spec);
    // A rules file without kinds means targets, as before.
    assert!(
        !serde_json::to_string(&RulesSpec::for_mirror(repo()))
            .unwrap()
            .contains("kind")
    );
}
