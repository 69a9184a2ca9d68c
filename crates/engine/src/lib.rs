//! The facade the CLI, the server and the browser build call. It re-exports the
//! engine crates and answers the questions every front end asks (does this trigger
//! parse, which events does it select, what does a conformance case answer), so
//! that no front end re-implements engine logic.
//!
//! Like the crates beneath it, it does no I/O, reads no clock and spawns nothing.

pub mod conformance;

pub use destination;
pub use diagnostics;
pub use fql;
pub use mapping;
