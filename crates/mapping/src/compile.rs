//! Lowering a mapping into a [`Node`] tree that evaluation walks without looking at the
//! mapping's JSON again.
//!
//! Lowering follows what the reference does *at runtime* (`resolve` and each directive
//! function), so it never fails: where the reference would throw while resolving (for
//! example an unknown directive inside an array, which validation never looks at), the
//! node is a [`Node::Fail`] that throws the same error if and when it is reached.
//! Structural validation is a separate pass (`validate`); `@liquid` is the one thing
//! lowering itself rejects.

use crate::path::{strip_root, Path, Template};
use crate::value::{canon, json_type};
use crate::{codes, Ctx};
use diagnostics::Diagnostic;
use serde_json::{Map, Value};

/// The key under which a mapping names a directive for its root.
pub const ROOT_KEY: &str = "__segment_internal_directive";

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Undefined,
    /// JSON that resolves to itself: it holds no object that is a directive.
    Const(Value),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
    Path(Path),
    /// `@path` whose value is resolved first and must give a string.
    DynPath(Box<Node>),
    Template(Template),
    DynTemplate(Box<Node>),
    If {
        exists: bool,
        test: Box<Node>,
        then: Option<Box<Node>>,
        otherwise: Option<Box<Node>>,
    },
    Case {
        operator: Value,
        value: Box<Node>,
    },
    Replace(Box<Replace>),
    ArrayPath {
        root: Box<Node>,
        shape: Option<Box<Node>>,
    },
    Json {
        mode: JsonMode,
        value: Box<Node>,
    },
    Flatten {
        separator: Box<Node>,
        value: Box<Node>,
        omit_arrays: bool,
    },
    Merge {
        direction: Box<Node>,
        objects: Result<Vec<Node>, String>,
    },
    Transform {
        apply: Result<Box<Node>, String>,
        mapping: Box<Node>,
    },
    ExcludeWhenNull(Box<Node>),
    /// Throws this message when reached, as the reference does.
    Fail(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum JsonMode {
    Encode,
    Decode,
    /// Accepted by validation (`ENCODE`) but does nothing at runtime.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Replace {
    /// `None` when the `value` option is falsy: the directive gives `undefined`.
    pub(crate) value: Option<Node>,
    pub(crate) pattern: Value,
    pub(crate) replacement: Value,
    pub(crate) pattern2: Value,
    pub(crate) replacement2: Value,
    pub(crate) ignorecase: Value,
    pub(crate) global: Value,
}

/// JSON truthiness.
pub(crate) fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| js::JsVal::from_json(v).is_truthy())
}

/// `isDirective`: some key starts with `@`, and every other key is `_metadata`.
pub(crate) fn is_directive(m: &Map<String, Value>) -> bool {
    m.keys().any(|k| k.starts_with('@')) && m.keys().all(|k| k.starts_with('@') || k == "_metadata")
}

/// How far `holds_directive` looks (the mapping depth is bounded already).
const MAX_SCAN: usize = crate::MAX_DEPTH + 1;

fn holds_directive(v: &Value, budget: usize) -> bool {
    match v {
        _ if budget == 0 => false,
        Value::Object(m) => {
            m.keys().any(|k| k.starts_with('@'))
                || m.values().any(|v| holds_directive(v, budget - 1))
        }
        Value::Array(items) => items.iter().any(|v| holds_directive(v, budget - 1)),
        _ => false,
    }
}

fn fail(message: impl Into<String>) -> Node {
    Node::Fail(message.into())
}

/// Lowers `value` as `resolve(value, payload)` would treat it. `pointer` is where it
/// sits in the mapping, for the few problems lowering reports.
pub(crate) fn lower(value: &Value, pointer: &str, ctx: &mut Ctx) -> Node {
    match value {
        Value::Array(items) => {
            let nodes: Vec<Node> = items
                .iter()
                .enumerate()
                .map(|(i, v)| lower(v, &format!("{pointer}/{i}"), ctx))
                .collect();
            if nodes.iter().all(|n| matches!(n, Node::Const(_))) {
                return Node::Const(Value::Array(nodes.into_iter().map(into_const).collect()));
            }
            Node::Array(nodes)
        }
        Value::Object(m) if is_directive(m) => {
            let node = lower_directive(m, pointer, ctx);
            if let (Node::Fail(message), Some(name)) =
                (&node, m.keys().find(|k| k.starts_with('@')))
            {
                ctx.diagnostics.push(
                    Diagnostic::warning(
                        codes::ALWAYS_FAILS,
                        format!("this `{name}` fails whenever it is evaluated: {message}"),
                    )
                    .with_pointer(crate::child(pointer, name))
                    .with_help("the reference accepts it when the mapping is saved and throws when an event reaches it; the mapping is then skipped"),
                );
            }
            node
        }
        Value::Object(m) => {
            if m.contains_key("__proto__") {
                ctx.diagnostics.push(
                    Diagnostic::warning(codes::PROTO_KEY, "the key `__proto__` is dropped from the output")
                        .with_pointer(format!("{pointer}/__proto__"))
                        .with_help("Segment's runtime assigns it, which sets the object's prototype instead of a field; rename the field"),
                );
            }
            let nodes: Vec<(String, Node)> = m
                .iter()
                .map(|(k, v)| {
                    let p = crate::child(pointer, k);
                    (k.clone(), lower(v, &p, ctx))
                })
                .collect();
            if nodes.iter().all(|(_, n)| matches!(n, Node::Const(_))) {
                return Node::Const(Value::Object(
                    nodes
                        .into_iter()
                        .filter(|(k, _)| k != "__proto__")
                        .map(|(k, n)| (k, into_const(n)))
                        .collect(),
                ));
            }
            Node::Object(nodes)
        }
        other => Node::Const(canon(other)),
    }
}

fn into_const(node: Node) -> Value {
    match node {
        Node::Const(v) => v,
        _ => Value::Null,
    }
}

fn lower_opt(value: Option<&Value>, pointer: &str, ctx: &mut Ctx) -> Node {
    value.map_or(Node::Undefined, |v| lower(v, pointer, ctx))
}

fn lower_directive(m: &Map<String, Value>, pointer: &str, ctx: &mut Ctx) -> Node {
    let Some((name, value)) = m.iter().find(|(k, _)| k.starts_with('@')) else {
        return Node::Undefined;
    };
    let at = crate::child(pointer, name);
    let field = |f: &str| crate::child(&at, f);
    let opts = value.as_object();
    let get = |f: &str| opts.and_then(|o| o.get(f));
    match name.as_str() {
        "@path" => match value {
            Value::String(s) => {
                if s == "$" {
                    ctx.diagnostics.push(
                        Diagnostic::warning(codes::DOLLAR_PATH, "the path `$` is always undefined")
                            .with_pointer(at)
                            .with_label(crate::span_in(s, 0..1), "only `$.` is removed")
                            .with_help("use `$.` or `\"\"` for the whole event"),
                    );
                }
                Node::Path(Path::parse(&strip_root(s)))
            }
            other => Node::DynPath(Box::new(lower(other, &at, ctx))),
        },
        "@template" => match value {
            Value::String(s) => {
                for hole in crate::path::holes(s, 3) {
                    ctx.diagnostics.push(
                        Diagnostic::warning(
                            codes::TRIPLE_BRACES,
                            "`{{{ }}}` renders exactly like `{{ }}`",
                        )
                        .with_pointer(at.clone())
                        .with_label(
                            crate::span_in(s, hole.whole),
                            "not left unescaped: nothing is escaped",
                        )
                        .with_help("write `{{ }}`; no template output is HTML-escaped"),
                    );
                }
                Node::Template(Template::compile(s))
            }
            other => Node::DynTemplate(Box::new(lower(other, &at, ctx))),
        },
        "@literal" => {
            if holds_directive(value, MAX_SCAN) {
                ctx.diagnostics.push(
                    Diagnostic::warning(
                        codes::LITERAL_RESOLVES,
                        "`@literal` still evaluates the directives inside it",
                    )
                    .with_pointer(at.clone())
                    .with_help(
                        "the reference resolves `@literal` values; it cannot protect an `@` key",
                    ),
                );
            }
            lower(value, &at, ctx)
        }
        "@if" => {
            if opts.is_none() {
                return fail("@if requires an object with an \"exists\" key");
            }
            if !truthy(get("exists")) && !truthy(get("blank")) {
                return fail("@if requires an \"exists\" key or a \"blank\" key");
            }
            let exists = get("exists").is_some();
            let test = if exists {
                lower_opt(get("exists"), &field("exists"), ctx)
            } else {
                lower_opt(get("blank"), &field("blank"), ctx)
            };
            let then = get("then").map(|v| Box::new(lower(v, &field("then"), ctx)));
            let otherwise = get("else")
                .filter(|v| truthy(Some(v)))
                .map(|v| Box::new(lower(v, &field("else"), ctx)));
            Node::If {
                exists,
                test: Box::new(test),
                then,
                otherwise,
            }
        }
        "@case" => {
            if opts.is_none() {
                return fail("@case requires an object with a \"operator\" key");
            }
            if !truthy(get("operator")) {
                return fail("@case requires a \"operator\" key");
            }
            let value = if truthy(get("value")) {
                lower_opt(get("value"), &field("value"), ctx)
            } else {
                Node::Undefined
            };
            Node::Case {
                operator: get("operator").cloned().unwrap_or(Value::Null),
                value: Box::new(value),
            }
        }
        "@replace" => {
            if opts.is_none() {
                return fail("@replace requires an object with a \"pattern\" key");
            }
            if !truthy(get("pattern")) {
                return fail("@replace requires a \"pattern\" key");
            }
            // The reference writes these defaults into the mapping (`== null` checks).
            let or = |f: &str, default: Value| match get(f) {
                None | Some(Value::Null) => default,
                Some(v) => v.clone(),
            };
            let value = truthy(get("value")).then(|| lower_opt(get("value"), &field("value"), ctx));
            Node::Replace(Box::new(Replace {
                value,
                pattern: or("pattern", Value::Null),
                replacement: or("replacement", Value::from("")),
                pattern2: if truthy(get("pattern2")) {
                    or("pattern2", Value::Null)
                } else {
                    Value::Null
                },
                replacement2: or("replacement2", Value::from("")),
                ignorecase: or("ignorecase", Value::Bool(false)),
                global: or("global", Value::Bool(true)),
            }))
        }
        "@arrayPath" => {
            let Value::Array(items) = value else {
                return fail(format!(
                    "@arrayPath expected array, got {}",
                    json_type(value)
                ));
            };
            let root = match items.first() {
                Some(Value::String(s)) => Node::Path(Path::parse(&strip_root(s))),
                other => lower_opt(other, &format!("{at}/0"), ctx),
            };
            let shape = match items.get(1) {
                Some(shape @ Value::Object(m)) if !m.is_empty() => {
                    Some(Box::new(lower(shape, &format!("{at}/1"), ctx)))
                }
                _ => None,
            };
            Node::ArrayPath {
                root: Box::new(root),
                shape,
            }
        }
        "@json" => {
            if opts.is_none() {
                return fail("@json requires an object with a \"value\" key");
            }
            if !truthy(get("mode")) {
                return fail("@json requires a \"mode\" key");
            }
            if !truthy(get("value")) {
                return fail("@json requires a \"value\" key");
            }
            let mode = match get("mode").and_then(Value::as_str) {
                Some("encode") => JsonMode::Encode,
                Some("decode") => JsonMode::Decode,
                _ => JsonMode::Other,
            };
            Node::Json {
                mode,
                value: Box::new(lower_opt(get("value"), &field("value"), ctx)),
            }
        }
        "@flatten" => {
            if opts.is_none() {
                return fail("@flatten requires an object with a \"separator\" key");
            }
            if !truthy(get("separator")) {
                return fail("@flatten requires a \"separator\" key");
            }
            Node::Flatten {
                separator: Box::new(lower_opt(get("separator"), &field("separator"), ctx)),
                value: Box::new(lower_opt(get("value"), &field("value"), ctx)),
                omit_arrays: truthy(get("omitArrays")),
            }
        }
        "@merge" => {
            if opts.is_none() {
                return fail(
                    "@merge requires an object with an \"objects\" key and a \"direction\" key",
                );
            }
            if !truthy(get("direction")) {
                return fail("@merge requires a \"direction\" key");
            }
            let direction = Box::new(lower_opt(get("direction"), &field("direction"), ctx));
            let objects = match get("objects") {
                o if !truthy(o) => Err("@merge requires a \"objects\" key".to_string()),
                Some(Value::Array(items)) => Ok(items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| lower(v, &format!("{at}/objects/{i}"), ctx))
                    .collect()),
                Some(other) => Err(format!(
                    "@merge: expected opts.array, got {}",
                    js::JsVal::from_json(other).type_of()
                )),
                None => Err("@merge requires a \"objects\" key".to_string()),
            };
            Node::Merge { direction, objects }
        }
        "@transform" => {
            if opts.is_none() {
                return fail(
                    "@transform requires an object with an \"apply\" key and a \"mapping\" key",
                );
            }
            if !truthy(get("mapping")) {
                return fail("@transform requires a \"mapping\" key");
            }
            if !truthy(get("apply")) {
                return fail("@transform requires a \"apply\" key");
            }
            let apply = match get("apply") {
                Some(apply @ Value::Object(_)) => {
                    let (node, errors) = crate::lower_root(apply, &field("apply"), ctx);
                    match errors.into_iter().next() {
                        None => Ok(Box::new(node)),
                        Some(e) => Err(crate::reference_message(&e)),
                    }
                }
                _ => Err("@transform \"apply\" key should be an object".to_string()),
            };
            Node::Transform {
                apply,
                mapping: Box::new(lower_opt(get("mapping"), &field("mapping"), ctx)),
            }
        }
        "@excludeWhenNull" => Node::ExcludeWhenNull(Box::new(lower(value, &at, ctx))),
        "@liquid" => {
            ctx.diagnostics.push(
                Diagnostic::error(
                    codes::LIQUID,
                    "`@liquid` is not supported: Segment's browser bundle passes the raw \
                     template through instead of rendering it, so no output agrees with both",
                )
                .with_pointer(at)
                .with_help("use `@template` for `{{ path }}` placeholders"),
            );
            fail("@liquid is not supported")
        }
        other => fail(format!("{other} is not a valid directive, got undefined")),
    }
}
