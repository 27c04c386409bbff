//! PyPI's conventions for TUF repositories (PEP 458), in one place for the repository
//! writer, the verifying proxy and the command line:
//!
//! * [`layout`]: the targets a PyPI-style repository signs (index pages under `simple/`,
//!   distributions under `packages/`, the signed list of project names);
//! * [`normalize_name`] (PEP 503) and [`project_of`] (a distribution file's project);
//! * [`page`]: the files an index page links to and the digests it lists for them;
//! * [`html`]: an HTML index page read for what installers act on, and written canonically;
//! * [`closest`]: "did you mean" suggestions from the signed list;
//! * [`build_tree`]: a simple-index tree (PEP 503 HTML, PEP 691 JSON, PEP 658 metadata)
//!   from a directory of distributions, for a TUF repository to sign.
//!
//! It knows nothing of TUF's roles or of how a repository is written, so a client links it
//! without the writer.
//!
//! ```
//! use tuf_pypi::{layout, normalize_name};
//! let name = normalize_name("Friendly.Bard__Tools");
//! assert_eq!(layout::project_page(&name), "simple/friendly-bard-tools/index.html");
//! ```

pub mod bandersnatch;
mod error;
pub mod html;
pub mod layout;
mod name;
pub mod page;
mod suggest;
mod tree;

pub use error::PypiError;
pub use name::{normalize_name, project_of};
pub use suggest::{closest, edit_distance};
pub use tree::build_tree;
