//! Segment's mapping-kit (`@segment/actions-core@3.170.0`, `transform(mapping, data)`)
//! in two steps: [`compile`] turns a mapping (JSON) into a [`Plan`], reporting every
//! problem the reference's `validate` would reject at once, each with a JSON Pointer;
//! [`Plan::evaluate`] then builds the payload for one event, without validating again.
//!
//! The port keeps the reference's odd corners on purpose (they are what browsers run):
//! `@literal` still resolves directives, `{{{x}}}` is `{{x}}`, path walking stops at the
//! first falsy value, `undefined` stays inside arrays. Where accepted input behaves
//! oddly, compile adds a warning. `@liquid` is rejected (see [`codes`] `MAP109`).
//!
//! This crate must stay pure: no I/O, no clock, no threads, and no dependency beyond
//! serde_json, `diagnostics` and `js`. Bad input never panics and never recurses
//! without bound.

mod compile;
mod encode;
mod eval;
mod path;
mod validate;
mod value;

pub use compile::ROOT_KEY;
use compile::{lower, Node};
use diagnostics::{Diagnostic, Span};
use serde_json::{Map, Value};
use std::borrow::Cow;
use value::V;

/// The codes this crate reports, named.
pub mod codes {
    pub const UNKNOWN_DIRECTIVE: &str = "MAP101";
    pub const MIXED_KEYS: &str = "MAP102";
    pub const WRONG_TYPE: &str = "MAP103";
    pub const MISSING_FIELD: &str = "MAP104";
    pub const STRING_LENGTH: &str = "MAP105";
    pub const NOT_ALLOWED: &str = "MAP106";
    pub const ROOT_DIRECTIVE: &str = "MAP107";
    pub const NULL_MAPPING: &str = "MAP108";
    pub const LIQUID: &str = "MAP109";
    pub const TOO_DEEP: &str = "MAP110";
    pub const LITERAL_RESOLVES: &str = "MAP150";
    pub const TRIPLE_BRACES: &str = "MAP151";
    pub const DOLLAR_PATH: &str = "MAP152";
    pub const PROTO_KEY: &str = "MAP153";
    pub const ALWAYS_FAILS: &str = "MAP154";
}

/// How deeply a mapping may nest (objects and arrays), so that neither compiling nor
/// evaluating can exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// Compile-time state: the diagnostics lowering itself adds.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// A compiled mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    root: Node,
    warnings: Vec<Diagnostic>,
}

/// Why evaluating a mapping failed: where the reference's `transform` throws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    kind: EvalErrorKind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalErrorKind {
    /// The event is not a plain object (`data must be an object, got array`).
    Data,
    /// A directive met options or values it cannot work with.
    Directive,
    /// A value nests too deeply to walk.
    Depth,
}

impl EvalError {
    pub(crate) fn new(kind: EvalErrorKind, message: impl Into<String>) -> EvalError {
        EvalError {
            kind,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> EvalErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

impl Plan {
    /// `transform(mapping, event)`. `Ok(None)` is JavaScript's `undefined`.
    pub fn evaluate(&self, event: &Value) -> Result<Option<Value>, EvalError> {
        let data = V::Json(Cow::Borrowed(event));
        if !event.is_object() {
            return Err(eval::data_error(&data));
        }
        let out = eval::eval(&self.root, &data)?;
        Ok(value::to_output(&out))
    }

    /// Warnings about accepted input that does not do what it seems to.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The compiled node tree as the page engine reads it (`iaPlan` version 1): each
    /// node an array tagged by its first element (`["p", "traits", "email"]`,
    /// `["o", key, node, ...]`, `["c", json]`, ...), so the page never validates or
    /// lowers a mapping itself.
    pub fn page_nodes(&self) -> Value {
        encode::node(&self.root)
    }
}

/// Compiles a mapping. On failure, every error (and warning) found.
pub fn compile(mapping: &Value) -> Result<Plan, Vec<Diagnostic>> {
    if exceeds_depth(mapping, MAX_DEPTH) {
        return Err(vec![Diagnostic::error(
            codes::TOO_DEEP,
            format!("the mapping nests more than {MAX_DEPTH} levels deep"),
        )
        .with_pointer("")]);
    }
    let mut ctx = Ctx::default();
    let (root, mut diagnostics) = lower_root(mapping, "", &mut ctx);
    diagnostics.append(&mut ctx.diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        // The errors already refuse the mapping, failing directives included.
        diagnostics.retain(|d| d.code != codes::ALWAYS_FAILS);
        return Err(diagnostics);
    }
    Ok(Plan {
        root,
        warnings: diagnostics,
    })
}

/// What the reference does before resolving: pick the mapping to process (the root
/// directive key, or `{...mapping}`), validate it, then lower it. Returns the lowered
/// mapping and the validation errors.
pub(crate) fn lower_root(mapping: &Value, pointer: &str, ctx: &mut Ctx) -> (Node, Vec<Diagnostic>) {
    let to_process = match mapping_to_process(mapping) {
        Ok(m) => m,
        Err(d) => return (Node::Fail(d.message.clone()), vec![d.with_pointer(pointer)]),
    };
    let mut validator = validate::Validator {
        diagnostics: Vec::new(),
    };
    validator.mapping(&to_process, pointer);
    let lowered_from = ctx.diagnostics.len();
    let node = lower(&to_process, pointer, ctx);
    let mut diagnostics = validator.diagnostics;
    if mapping.get(ROOT_KEY).is_some() {
        // Point into the mapping as written, not into the reference's rewrite of it.
        for d in diagnostics
            .iter_mut()
            .chain(&mut ctx.diagnostics[lowered_from..])
        {
            if let Some(p) = &d.pointer {
                d.pointer = Some(unprocess_pointer(mapping, p, pointer));
            }
        }
    }
    (node, diagnostics)
}

/// Maps a pointer into the root-directive rewrite (`{"@x": {..., "mapping": rest}}`)
/// back to the mapping as written (`{"__segment_internal_directive": {"@x": ...}, ...rest}`).
fn unprocess_pointer(mapping: &Value, p: &str, base: &str) -> String {
    let Some(rest) = p.strip_prefix(base) else {
        return p.to_string();
    };
    let Some(directive) = mapping[ROOT_KEY].as_object().and_then(|o| o.keys().next()) else {
        return format!("{base}/{ROOT_KEY}{rest}");
    };
    let head = format!("/{}", diagnostics::pointer_token(directive));
    match rest.strip_prefix(&head) {
        Some("/mapping") => base.to_string(),
        Some(inner) if inner.starts_with("/mapping/") => {
            format!("{base}{}", &inner["/mapping".len()..])
        }
        _ => format!("{base}/{ROOT_KEY}{rest}"),
    }
}

/// `getMappingToProcess(mapping)`, including its `{ ...mapping }` copy: an array or a
/// string mapping spreads into index keys, a number or boolean into `{}`.
fn mapping_to_process(mapping: &Value) -> Result<Cow<'_, Value>, Diagnostic> {
    let root_error = |m: &str| Diagnostic::error(codes::ROOT_DIRECTIVE, m.to_string());
    let m = match mapping {
        Value::Null => {
            return Err(Diagnostic::error(
                codes::NULL_MAPPING,
                "expected a mapping object, found null",
            ))
        }
        Value::Object(m) => m,
        Value::Array(items) => {
            return Ok(Cow::Owned(Value::Object(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v.clone()))
                    .collect(),
            )))
        }
        Value::String(s) => {
            return Ok(Cow::Owned(Value::Object(
                s.encode_utf16()
                    .enumerate()
                    .map(|(i, u)| (i.to_string(), Value::from(String::from_utf16_lossy(&[u]))))
                    .collect(),
            )))
        }
        Value::Bool(_) | Value::Number(_) => return Ok(Cow::Owned(Value::Object(Map::new()))),
    };
    let Some(root) = m.get(ROOT_KEY) else {
        return Ok(Cow::Borrowed(mapping));
    };
    let customer: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| *k != ROOT_KEY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let count = match root {
        Value::Null => {
            return Err(root_error(
                "expected the root directive to be an object, found null",
            ))
        }
        Value::Object(o) => o.len(),
        Value::Array(a) => a.len(),
        Value::String(s) => js::utf16_len(s),
        Value::Bool(_) | Value::Number(_) => 0,
    };
    if count > 1 {
        return Err(root_error(
            "expected the root mapping to hold a single directive object",
        ));
    }
    let mut root = root.clone();
    let directive = match &mut root {
        Value::Object(o) => o.values_mut().next(),
        Value::Array(a) => a.first_mut(),
        _ => None,
    };
    match directive {
        Some(Value::Object(options)) => {
            options.insert("mapping".into(), Value::Object(customer));
        }
        Some(Value::Array(_)) => {}
        _ => return Err(root_error("expected the root directive to be an object")),
    }
    Ok(Cow::Owned(root))
}

/// Whether `v` nests arrays and objects more than `budget` levels deep.
pub fn exceeds_depth(v: &Value, budget: usize) -> bool {
    match v {
        Value::Array(items) => budget == 0 || items.iter().any(|i| exceeds_depth(i, budget - 1)),
        Value::Object(m) => budget == 0 || m.values().any(|i| exceeds_depth(i, budget - 1)),
        _ => false,
    }
}

/// `pointer` extended by one key (escaped), without the formatting machinery: compiling
/// builds one for every node of a mapping.
pub(crate) fn child(pointer: &str, key: &str) -> String {
    let token = diagnostics::pointer_token(key);
    let mut s = String::with_capacity(pointer.len() + 1 + token.len());
    s.push_str(pointer);
    s.push('/');
    s.push_str(&token);
    s
}

/// A diagnostic as the reference words a validation error: the pointer, then what is
/// wrong.
pub fn reference_message(d: &Diagnostic) -> String {
    match d.pointer.as_deref() {
        Some(p) => format!("{} {}", if p.is_empty() { "/" } else { p }, d.message),
        None => d.message.clone(),
    }
}

/// A label over `part` inside `whole`, when `part` is a sub-slice of it.
pub(crate) fn span_in(whole: &str, range: std::ops::Range<usize>) -> Span {
    Span::new(range.start.min(whole.len()), range.end.min(whole.len()))
}
