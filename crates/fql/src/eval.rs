//! Evaluation of a compiled trigger against one event: `validate` of the reference,
//! with every literal already converted at compile time.

use crate::ast::{Conj, Field, Group, Needle, Node, Path, Test};
use diagnostics::Span;
use js::JsVal;

/// The reference throws while evaluating: a `null` event, empty parentheses among
/// other conditions, or a path with no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub message: String,
    pub span: Option<Span>,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

pub(crate) fn group(g: &Group, event: &JsVal<'_>) -> Result<bool, EvalError> {
    match g.conj {
        Conj::And => {
            for child in &g.children {
                if !node(child, event)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Conj::Or => {
            for child in &g.children {
                if node(child, event)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn node(n: &Node, event: &JsVal<'_>) -> Result<bool, EvalError> {
    match n {
        Node::Group(g) => group(g, event),
        Node::Hole(span) => Err(EvalError {
            message: "empty parentheses cannot be evaluated".into(),
            span: Some(*span),
        }),
        Node::Condition(c) => {
            if event.is_nullish() {
                return Err(EvalError {
                    message: "the event is null".into(),
                    span: Some(c.span),
                });
            }
            let actual = match &c.field {
                Field::Type => event.get("type"),
                Field::Event => event.get("event"),
                Field::Name => event.get("name"),
                Field::UserId => event.get("userId"),
                Field::Properties(p) => lookup(event.get("properties"), p, c.span)?,
                Field::Traits(p) => lookup(event.get("traits"), p, c.span)?,
                Field::Context(p) => lookup(event.get("context"), p, c.span)?,
            };
            Ok(check(&c.test, &actual))
        }
    }
}

/// The reference's `get`: walk with `prev && prev[key]`, so the first falsy value
/// met on the way is the result.
fn lookup<'a>(root: JsVal<'a>, path: &Path, span: Span) -> Result<JsVal<'a>, EvalError> {
    match path {
        Path::Empty => Ok(JsVal::Undefined),
        Path::Invalid(raw) => Err(EvalError {
            message: format!("the path `{raw}` has no key"),
            span: Some(span),
        }),
        Path::Keys(keys) => {
            let mut value = root;
            for key in keys {
                if !value.is_truthy() {
                    break;
                }
                value = value.get(key);
            }
            Ok(value)
        }
    }
}

fn check(test: &Test, actual: &JsVal<'_>) -> bool {
    let text = actual.as_str();
    let number = match actual {
        JsVal::Number(n) => Some(*n),
        _ => None,
    };
    match test {
        Test::Eq(v) => text == Some(v.as_str()),
        Test::Ne(v) => text != Some(v.as_str()),
        Test::NumEq(v) => number.is_some_and(|n| n == *v),
        Test::NumNe(v) => number.is_some_and(|n| n != *v),
        Test::Lt(v) => number.is_some_and(|n| n < *v),
        Test::Le(v) => number.is_some_and(|n| n <= *v),
        Test::Gt(v) => number.is_some_and(|n| n > *v),
        Test::Ge(v) => number.is_some_and(|n| n >= *v),
        Test::Contains(needle) => text.is_some_and(|t| contains(t, needle)),
        Test::NotContains(needle) => text.is_some_and(|t| !contains(t, needle)),
        Test::StartsWith(needle) => text.is_some_and(|t| starts_with(t, needle)),
        Test::NotStartsWith(needle) => text.is_some_and(|t| !starts_with(t, needle)),
        Test::EndsWith(needle) => text.is_some_and(|t| ends_with(t, needle)),
        Test::NotEndsWith(needle) => text.is_some_and(|t| !ends_with(t, needle)),
        Test::Exists => !actual.is_nullish(),
        Test::NotExists => actual.is_nullish(),
        Test::IsTrue => *actual == JsVal::Bool(true),
        Test::IsFalse => *actual == JsVal::Bool(false),
        Test::Never(_) => false,
    }
}

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn contains(hay: &str, needle: &Needle) -> bool {
    match needle {
        Needle::Text(n) => hay.contains(n.as_str()),
        Needle::Units(n) => n.is_empty() || units(hay).windows(n.len()).any(|w| w == n.as_slice()),
    }
}

fn starts_with(hay: &str, needle: &Needle) -> bool {
    match needle {
        Needle::Text(n) => hay.starts_with(n.as_str()),
        Needle::Units(n) => units(hay).starts_with(n),
    }
}

fn ends_with(hay: &str, needle: &Needle) -> bool {
    match needle {
        Needle::Text(n) => hay.ends_with(n.as_str()),
        Needle::Units(n) => units(hay).ends_with(n),
    }
}
