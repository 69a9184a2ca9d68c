//! Segment's FQL subscription language (`type = "track" and event = "Signed Up"`),
//! compatible with `@segment/destination-subscriptions@3.37.0`.
//!
//! A trigger is parsed once into a [`Trigger`] and evaluated many times with
//! [`Trigger::matches`]. Where the reference rejects a trigger, [`parse`] returns a
//! positioned error; where it accepts a trigger that does not mean what it looks
//! like (no precedence between `and` and `or`, skipped words, a dropped `!`, `match`
//! without `*`), the trigger behaves exactly like the reference and a warning says
//! what it really means. Deliberate differences from the reference are listed in
//! `tests/conformance/divergences.json`.
//!
//! This crate does no I/O and keeps no global state.

mod ast;
mod eval;
mod lex;
mod parse;

pub use ast::{Condition, Conj, Field, Group, Needle, Node, Path, Test};
pub use eval::EvalError;

use diagnostics::Diagnostic;
use js::JsVal;
use serde_json::Value;

/// A parsed trigger, ready to be evaluated against any number of events.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    root: Group,
}

/// The outcome of parsing: the trigger when the reference accepts it, and every
/// diagnostic (one error when it does not; warnings either way).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub trigger: Option<Trigger>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }

    /// What the reference's `validate` answers: a trigger that does not parse
    /// matches nothing.
    pub fn matches(&self, event: Option<&Value>) -> Result<bool, EvalError> {
        match (&self.trigger, event) {
            (Some(t), Some(e)) => t.matches(e),
            _ => Ok(false),
        }
    }
}

/// Parses a trigger. Never panics, whatever the input.
pub fn parse(src: &str) -> Parsed {
    let tokens = match lex::lex(src) {
        Ok(tokens) => tokens,
        Err(e) => {
            return Parsed {
                trigger: None,
                diagnostics: vec![e],
            }
        }
    };
    let mut parser = parse::Parser::new(src);
    let result = parser.parse(tokens);
    let mut diagnostics = parser.warnings;
    let trigger = match result {
        Ok(root) => Some(Trigger { root }),
        Err(e) => {
            diagnostics.insert(0, e);
            None
        }
    };
    Parsed {
        trigger,
        diagnostics,
    }
}

impl Trigger {
    /// Whether `event` is selected. Errors where the reference throws (a `null`
    /// event, or empty parentheses and key-less paths once evaluation reaches them).
    pub fn matches(&self, event: &Value) -> Result<bool, EvalError> {
        eval::group(&self.root, &JsVal::from_json(event))
    }

    /// The top-level group (always a group, as in the reference).
    pub fn root(&self) -> &Group {
        &self.root
    }

    /// A plain-language rendering of what the trigger selects, with explicit grouping.
    pub fn explain(&self) -> String {
        match self.root.children.as_slice() {
            [only] => only.to_string(),
            _ => Node::Group(self.root.clone()).to_string(),
        }
    }
}
