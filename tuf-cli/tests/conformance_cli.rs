//! `tuf-cli conformance run` grades a client: one that answers "ok" to everything (`true`)
//! fails every scenario where a correct client refuses something, and the JSON report says so.

use std::process::Command;

#[test]
fn a_client_that_accepts_everything_fails_every_refusal_scenario() {
    let out = Command::new(env!("CARGO_BIN_EXE_tuf-cli"))
        .args([
            "conformance",
            "run",
            "--client",
            "true",
            "--json",
            "--parallel",
            "8",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "some scenario must fail");
    let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = results.as_array().unwrap();
    assert!(results.len() >= 30);
    let mut refusals = 0;
    for r in results {
        let expected = r["expected"].as_str().unwrap();
        let pass = r["pass"].as_bool().unwrap();
        if expected.contains("refused") {
            refusals += 1;
            assert!(
                !pass,
                "{} passed with a client that refuses nothing",
                r["name"]
            );
        }
    }
    assert!(refusals >= 30, "{refusals} refusal scenarios");
}

#[test]
fn list_and_filter() {
    let out = Command::new(env!("CARGO_BIN_EXE_tuf-cli"))
        .args(["conformance", "run", "--list", "--filter", "rollback"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() >= 5, "{text}");
    assert!(text.lines().all(|l| l.starts_with("rollback")), "{text}");
    let none = Command::new(env!("CARGO_BIN_EXE_tuf-cli"))
        .args([
            "conformance",
            "run",
            "--client",
            "true",
            "--filter",
            "no-such",
        ])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(1));
}
