//! Runs scenarios against a client, several at a time, and reports a table or JSON.
//!
//! ```no_run
//! # async fn f() -> Result<(), conformance::SuiteError> {
//! use conformance::{client::ClientCmd, runner};
//! let cmd = ClientCmd::parse("target/release/tuf-conformance-client")?;
//! let results = runner::run(&cmd, Some("rollback"), 4, std::time::Duration::from_secs(60)).await;
//! print!("{}", runner::table(&results));
//! # Ok(()) }
//! ```

use crate::client::ClientCmd;
use crate::scenarios::{self, Ctx, Scenario};
use serde::Serialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The result of one scenario against one client.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Scenario name.
    pub name: &'static str,
    /// The attack.
    pub attack: &'static str,
    /// Spec section.
    pub spec: &'static str,
    /// What a correct client does.
    pub expected: &'static str,
    /// What the client did.
    pub got: String,
    /// Whether it did what a correct client does.
    pub pass: bool,
    /// Wall time of the scenario in milliseconds.
    pub millis: u128,
}

/// The scenarios whose name contains `filter` (all if `None`).
pub fn select(filter: Option<&str>) -> Vec<Scenario> {
    scenarios::all()
        .into_iter()
        .filter(|s| filter.is_none_or(|f| s.name.contains(f)))
        .collect()
}

/// Runs the selected scenarios against `cmd`, `parallel` at a time; results in scenario
/// order. A scenario the suite itself could not set up counts as failed, with the reason.
pub async fn run(
    cmd: &ClientCmd,
    filter: Option<&str>,
    parallel: usize,
    step_timeout: Duration,
) -> Vec<Outcome> {
    let ctx = Ctx {
        cmd: cmd.clone(),
        step_timeout,
    };
    let gate = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut tasks = Vec::new();
    for s in select(filter) {
        let (ctx, gate) = (ctx.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await;
            let started = Instant::now();
            let (pass, got) = match s.run(ctx).await {
                Ok(v) => (v.pass, v.got),
                Err(e) => (false, format!("suite error: {e}")),
            };
            Outcome {
                name: s.name,
                attack: s.attack,
                spec: s.spec,
                expected: s.expected,
                got,
                pass,
                millis: started.elapsed().as_millis(),
            }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        match t.await {
            Ok(o) => out.push(o),
            Err(e) => out.push(Outcome {
                name: "?",
                attack: "?",
                spec: "?",
                expected: "?",
                got: format!("scenario task failed: {e}"),
                pass: false,
                millis: 0,
            }),
        }
    }
    out
}

/// A plain-text table (scenario, spec, pass, attack, expected, got) and a summary line.
pub fn table(results: &[Outcome]) -> String {
    let mut s = String::new();
    let w = results
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    s.push_str(&format!(
        "{:<w$}  {:<14}  {:<4}  {:<62}  {:<44}  got\n",
        "scenario", "spec", "pass", "attack", "expected"
    ));
    for r in results {
        s.push_str(&format!(
            "{:<w$}  {:<14}  {:<4}  {:<62}  {:<44}  {}\n",
            r.name,
            r.spec,
            if r.pass { "yes" } else { "NO" },
            r.attack,
            r.expected,
            r.got
        ));
    }
    s.push_str(&summary(results));
    s.push('\n');
    s
}

/// `N of M scenarios passed`.
pub fn summary(results: &[Outcome]) -> String {
    let passed = results.iter().filter(|r| r.pass).count();
    format!("{passed} of {} scenarios passed", results.len())
}

/// The results as JSON (an array of objects with the fields of [`Outcome`]).
pub fn json(results: &[Outcome]) -> String {
    serde_json::to_string_pretty(results).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}
