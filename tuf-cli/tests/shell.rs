//! Shell completions and manual pages come out of `tuf-cli` itself, from its command-line
//! definition: generated, non-empty, and working (bash completes real subcommands).

use std::process::Command;

fn tuf_cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tuf-cli"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What bash offers after `words` (the last one being completed).
fn bash_completes(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tuf-cli.bash");
    std::fs::write(&file, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _tuf__cli tuf-cli '{}' '{}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        words[cword],
        words[cword - 1],
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish_and_bash_completes_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let (ok, script, err) = tuf_cli(&["completions", shell]);
        assert!(ok, "{shell}: {err}");
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
        assert!(
            script.contains("apply-diff"),
            "{shell}: no nested subcommands"
        );
        // The internal helper is not offered.
        assert!(
            !script.contains("sandbox-inside"),
            "{shell} offers the internal helper"
        );
    }
    let (_, bash, _) = tuf_cli(&["completions", "bash"]);
    assert_eq!(bash_completes(&bash, &["tuf-cli", "re"]), ["repo"]);
    let top = bash_completes(&bash, &["tuf-cli", ""]);
    assert!(
        top.iter().any(|w| w == "install") && top.iter().any(|w| w == "man"),
        "{top:?}"
    );
    assert_eq!(
        bash_completes(&bash, &["tuf-cli", "repo", "apply"]),
        ["apply-diff"]
    );
    let flags = bash_completes(&bash, &["tuf-cli", "repo", "sync", "--"]);
    assert!(flags.iter().any(|w| w == "--repo"), "{flags:?}");
    let (ok, _, err) = tuf_cli(&["completions", "tcsh"]);
    assert!(!ok && err.contains("tcsh"), "{err}");
}

#[test]
fn manual_pages_are_generated_for_the_command_and_each_subcommand() {
    let (ok, page, err) = tuf_cli(&["man"]);
    assert!(ok, "{err}");
    assert!(page.contains(".TH tuf-cli 1"), "{page}");
    for sub in ["install", "repo", "client", "serve", "conformance"] {
        assert!(page.contains(sub), "the main page does not list {sub}");
    }
    assert!(!page.contains("sandbox"), "the internal helper is listed");
    let (ok, page, err) = tuf_cli(&["man", "repo"]);
    assert!(ok, "{err}");
    assert!(page.contains(".TH tuf-cli-repo 1"), "{page}");
    assert!(
        page.contains("apply\\-diff") && page.contains("publish"),
        "{page}"
    );
    let (ok, _, err) = tuf_cli(&["man", "sandbox-inside"]);
    assert!(!ok && err.contains("no subcommand"), "{err}");
}
