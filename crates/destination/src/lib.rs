//! The destination model and the Iterate destination.
//!
//! - [`model`]: a destination's definition (settings, actions with typed fields,
//!   presets): the one source of truth every front end reads.
//! - [`iterate`]: the Iterate definition and what its actions do.
//! - [`payload`]: payload validation and coercion against an action's fields, the way
//!   Segment's cloud-mode path does it.
//! - [`config`]: a destination instance's settings and subscriptions, loaded once,
//!   every problem reported at once.
//! - [`run`]: one event through a loaded configuration: calls out, skips explained.
//! - [`page_plan`]: a loaded configuration compiled for the lean page engine (`iaPlan`).
//!
//! Like every engine crate: no I/O, no clock, no threads; bad input never panics.

pub mod config;
pub mod iterate;
pub mod model;
pub mod page_plan;
pub mod payload;
pub mod run;

pub use config::{load, Config, Loaded, Problem, SubscriptionRef, MAX_SUBSCRIPTIONS};
pub use model::Definition;
pub use page_plan::{add_page_plan, fingerprint, page_plan};
pub use run::{consented, Outcome, RunOptions, Skip, Step, Stop, Trace};

use std::sync::OnceLock;

/// A destination: its definition and the calls an action makes for a valid payload.
#[derive(Debug)]
pub struct Destination {
    pub definition: Definition,
    pub perform: fn(action: &str, payload: &serde_json::Value) -> Vec<serde_json::Value>,
}

/// Every destination this build knows.
pub fn catalog() -> &'static [Destination] {
    static CATALOG: OnceLock<Vec<Destination>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        vec![Destination {
            definition: iterate::definition(),
            perform: iterate::perform,
        }]
    })
}

/// The destination with this slug (`actions-iterate`).
pub fn by_slug(slug: &str) -> Option<&'static Destination> {
    catalog().iter().find(|d| d.definition.slug == slug)
}

/// The Iterate destination.
pub fn iterate() -> &'static Destination {
    &catalog()[0]
}
