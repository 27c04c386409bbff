//! Conformance tooling for the TUF client in this workspace: a client for the public
//! conformance protocol, and an attack-scenario suite that grades any client speaking it.
//!
//! The binary `tuf-conformance-client` speaks the client protocol of the public TUF
//! conformance suite (GitHub: theupdateframework/tuf-conformance, `CLIENT-CLI.md`):
//!
//! ```text
//! tuf-conformance-client --metadata-dir DIR init TRUSTED_ROOT
//! tuf-conformance-client --metadata-dir DIR --metadata-url URL refresh
//! tuf-conformance-client --metadata-dir DIR --metadata-url URL --target-name PATH [--target-name PATH…]
//!     --target-base-url URL --target-dir DIR download
//! ```
//!
//! Exit status is exactly 0 on full success and 1 on anything else, argument errors and
//! panics included. [`run`] holds the logic so that it can be tested in-process.
//!
//! The suite: [`sim`] builds repositories in memory, [`server`] serves them with scripted
//! misbehaviour, [`client`] drives a client executable through the protocol, [`scenarios`]
//! holds the attacks and [`runner`] runs them and reports (`tuf-cli conformance run`).

pub mod client;
pub mod protocol;
pub mod runner;
pub mod scenarios;
pub mod server;
pub mod signers;
pub mod sim;

pub use protocol::{Args, run};

/// What can go wrong running the suite itself (as opposed to a client failing a scenario).
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// Local I/O (temporary directories, sockets).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The simulator could not build what a scenario asked for.
    #[error("simulator: {0}")]
    Sim(String),
    /// The client could not be started or waited for.
    #[error("client: {0}")]
    Client(String),
}
