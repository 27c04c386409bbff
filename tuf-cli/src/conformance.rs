//! `tuf-cli conformance run`: the attack-scenario suite of the `conformance` crate against a
//! client speaking the public conformance protocol.

use clap::{Args, Subcommand};
use conformance::client::ClientCmd;
use conformance::runner;
use std::path::PathBuf;
use std::time::Duration;

/// `tuf-cli conformance ...`
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    #[command(subcommand)]
    command: ConformanceCommand,
}

#[derive(Debug, Subcommand)]
enum ConformanceCommand {
    /// Run the attack scenarios against a client and print what it did.
    ///
    /// Example: `tuf-cli conformance run --client ".venv/bin/python scripts/py/conformance_client.py" --filter rollback`
    Run {
        /// The client command (program and leading arguments, split on whitespace). Default:
        /// `tuf-conformance-client` beside this executable.
        #[arg(long)]
        client: Option<String>,
        /// Only scenarios whose name contains this.
        #[arg(long)]
        filter: Option<String>,
        /// Scenarios run at a time.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
        /// Seconds a protocol step may take before it counts as hung.
        #[arg(long, default_value_t = 60)]
        step_timeout: u64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// List the scenarios (name, spec section, attack, expected) without running them.
        #[arg(long)]
        list: bool,
    },
}

/// The default client: `tuf-conformance-client` in the directory of this executable (cargo
/// builds both into the same target directory).
fn default_client() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("locating tuf-cli: {e}"))?;
    let path = exe
        .parent()
        .map(|d| d.join("tuf-conformance-client"))
        .ok_or("tuf-cli has no directory")?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} not found: build it with `cargo build -p tuf-conformance` (same profile as tuf-cli) or pass --client",
            path.display()
        ))
    }
}

/// Runs the command; exit status 0 when every scenario passed, 1 otherwise.
pub async fn run(args: ConformanceArgs) -> Result<i32, String> {
    let ConformanceCommand::Run {
        client,
        filter,
        parallel,
        step_timeout,
        json,
        list,
    } = args.command;
    if list {
        for s in runner::select(filter.as_deref()) {
            println!(
                "{:<34} {:<14} {} => {}",
                s.name, s.spec, s.attack, s.expected
            );
        }
        return Ok(0);
    }
    let cmd = match client {
        Some(c) => ClientCmd::parse(&c).map_err(|e| e.to_string())?,
        None => ClientCmd::program_only(&default_client()?),
    };
    let results = runner::run(
        &cmd,
        filter.as_deref(),
        parallel,
        Duration::from_secs(step_timeout),
    )
    .await;
    if results.is_empty() {
        return Err(format!(
            "no scenario matches {:?}",
            filter.unwrap_or_default()
        ));
    }
    if json {
        println!("{}", runner::json(&results));
    } else {
        print!("{}", runner::table(&results));
    }
    Ok(if results.iter().all(|r| r.pass) { 0 } else { 1 })
}
