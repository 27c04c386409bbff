//! The attack-scenario suite against this workspace's `tuf-conformance-client` (every
//! scenario must pass), and against python-tuf's ngclient through
//! `scripts/py/conformance_client.py` when the project's Python environment is there
//! (`TUF_PYTHON`, set by `scripts/test`): its results are printed and written to
//! `target/conformance-python-tuf.json`, never failing the run — differences are explained
//! in `conformance/README.md`.

use conformance::client::ClientCmd;
use conformance::runner;
use std::path::PathBuf;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_our_client() {
    let cmd = ClientCmd::program_only(std::path::Path::new(env!(
        "CARGO_BIN_EXE_tuf-conformance-client"
    )));
    let results = runner::run(&cmd, None, 6, Duration::from_secs(60)).await;
    print!("{}", runner::table(&results));
    assert!(results.len() >= 30, "{} scenarios", results.len());
    let failed: Vec<_> = results.iter().filter(|r| !r.pass).collect();
    assert!(failed.is_empty(), "failed: {failed:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_tuf_is_graded_and_its_results_recorded() {
    let Some(python) = std::env::var_os("TUF_PYTHON") else {
        eprintln!("TUF_PYTHON is not set (run through scripts/test): python-tuf not graded");
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = root.join("scripts/py/conformance_client.py");
    let cmd = ClientCmd::parse(&format!(
        "{} {}",
        PathBuf::from(python).display(),
        script.display()
    ))
    .unwrap();
    // python-tuf has no throughput limit: give slow-retrieval steps a short leash.
    let results = runner::run(&cmd, None, 6, Duration::from_secs(30)).await;
    print!("{}", runner::table(&results));
    let out = root.join("target/conformance-python-tuf.json");
    std::fs::write(&out, runner::json(&results)).unwrap();
    // The baseline must pass, or the wrapper itself is broken and the column means nothing.
    let baseline = results.iter().find(|r| r.name == "baseline").unwrap();
    assert!(baseline.pass, "python-tuf wrapper broken: {}", baseline.got);
}
