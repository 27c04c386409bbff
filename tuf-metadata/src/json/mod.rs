//! JSON as TUF needs it: a strict parser, a value type that keeps integers of any size, the
//! OLPC canonical form that signatures cover, and python-tuf's compact and pretty layouts.

pub(crate) mod compact;
mod parse;
mod value;
mod write;

pub use parse::{JsonSyntax, ParseLimits, parse, parse_with};
pub use value::{Map, Name, Number, Value};
pub use write::{Layout, write_canonical, write_canonical_into, write_layout};
