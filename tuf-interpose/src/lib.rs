//! Interposition for package installers: rules that map the URLs an installer requests to
//! TUF targets, and a local proxy that answers with verified targets only.
//!
//! A URL no rule maps is refused, never fetched. Paths are percent-decoded exactly once, dot
//! segments and backslashes are refused, and project names are normalized per PEP 503, so
//! every spelling of a name maps to one target. Target paths are NFC on both the writer's
//! and the client's side.
//!
//! [`Session`] runs the unmodified pip or uv against the proxy: on requirements it rewrote
//! from an allow-list grammar ([`requirements`]), in an environment built from an allow-list
//! ([`isolation`]), in a sandbox where nothing unverified exists ([`world`], [`sandbox`]),
//! writing into a staged view ([`stage`], [`overlay`]) that replaces the target only after
//! the proof ([`proof`]) and the file-by-file trace ([`trace`]); without any namespace a
//! virtual environment is staged whole and its new scripts moved back ([`relocate`]).
//!
//! [`service`] runs the proxy as a long-running index for many machines' installers, its
//! metadata refreshed on an interval and on expiry, with Prometheus metrics.

mod clients;
mod counters;
mod error;
mod guard;
mod installer;
pub mod isolation;
pub mod links;
pub mod overlay;
pub mod pages;
pub mod proof;
mod proxy;
pub mod relocate;
pub mod requirements;
pub mod routing;
mod rules;
pub mod sandbox;
pub mod service;
pub mod stage;
pub mod trace;
pub mod url_dependencies;
pub mod world;

pub use clients::RefreshStatus;
pub use counters::{CounterValues, Counters, Refusal};
pub use error::InterposeError;
pub use guard::Guard;
pub use installer::{Action, Installer, Outcome, Session, SessionOptions};
pub use proxy::{Interposer, Prefetch, Proxy, Served, start, start_guarded};
pub use rules::{HostSpec, Mapped, RepositorySpec, RuleKind, RuleSpec, Rules, RulesSpec};
