//! `tuf-cli`: a TUF client, repository tool, installer front end and conformance runner on the
//! command line. Argument parsing, logs and output; the TUF checks, the proxy, the installer
//! session and its proof are in the libraries (`tuf-updater`, `tuf-interpose`, `tuf-repo`).

mod client;
mod conformance;
mod demo;
mod install;
mod repo;
mod serve;
mod shell;
mod stats;

/// A faster allocator than the system's for the many small allocations of a PyPI-scale build.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The Update Framework, in Rust.
#[derive(Debug, Parser)]
#[command(name = "tuf-cli", version, about)]
struct Cli {
    /// More logging: -v for what is fetched and verified, -vv for debugging.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// A TUF client: trusted metadata in a local directory, kept current from mirrors.
    Client(client::ClientArgs),
    /// A TUF repository (PEP 458 layout) for a PyPI-style mirror.
    Repo(repo::RepoArgs),
    /// Install Python packages with the unmodified pip, every index page and file verified by
    /// TUF through a local proxy.
    Install(install::InstallArgs),
    /// Download distribution files with the unmodified `pip download`, every page and file
    /// verified by TUF, into a directory (for air-gapped use).
    Download(install::DownloadArgs),
    /// A long-running verifying index for many machines' installers (pip, uv, poetry, pdm:
    /// `--index-url http://ADDR/simple/`): every page and file TUF-verified, the metadata
    /// refreshed on an interval and on expiry, `/metrics` for Prometheus; stops on SIGTERM.
    Serve(serve::ServeArgs),
    /// The whole system on the spot: a PyPI-style mirror made TUF-secured, served over HTTPS,
    /// installed from with pip through TUF, a new release, an attack, and the overhead table.
    Demo(demo::DemoArgs),
    /// Attack scenarios that grade any client speaking the public TUF conformance protocol.
    Conformance(conformance::ConformanceArgs),
    /// Shell completions (bash, zsh, fish), printed to standard output.
    Completions(shell::CompletionsArgs),
    /// The manual page (roff) of tuf-cli or of one subcommand, printed to standard output
    /// (`tuf-cli man > tuf-cli.1`, `tuf-cli man repo > tuf-cli-repo.1`).
    Man(shell::ManArgs),
    /// (Internal) the sandbox's helper, started by `install` and `download` inside
    /// a new network namespace.
    #[command(hide = true)]
    SandboxInside(install::SandboxInsideArgs),
}

/// Colour in the logs only on a terminal, and not when `NO_COLOR` is set to anything
/// (<https://no-color.org>).
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Generated text goes to standard output before anything else starts.
    let generated = match &cli.command {
        Command::Completions(args) => Some(Ok(shell::completions(args))),
        Command::Man(args) => Some(shell::man_page(args)),
        _ => None,
    };
    if let Some(text) = generated {
        use std::io::Write;
        return match text.and_then(|t| {
            std::io::stdout()
                .write_all(&t)
                .map_err(|e| format!("cannot write: {e}"))
        }) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tuf-cli: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let level = match cli.verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        _ => tracing::Level::DEBUG,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(colour())
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tuf-cli: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Client(args) => runtime.block_on(client::run(args)).map(|()| 0),
        Command::Repo(args) => runtime.block_on(repo::run(args)).map(|()| 0),
        Command::Install(args) => runtime.block_on(install::run(args)),
        Command::Download(args) => runtime.block_on(install::download(args)),
        Command::Serve(args) => runtime.block_on(serve::run(args)).map(|()| 0),
        Command::Demo(args) => runtime.block_on(demo::run(args)).map(|()| 0),
        Command::Conformance(args) => runtime.block_on(conformance::run(args)),
        Command::SandboxInside(args) => runtime.block_on(install::sandbox_inside(args)),
        Command::Completions(_) | Command::Man(_) => Ok(0),
    };
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("tuf-cli: {e}");
            ExitCode::FAILURE
        }
    }
}
