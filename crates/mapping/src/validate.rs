//! A port of mapping-kit's `validate(mapping)`: the structural checks the reference
//! runs before resolving anything. Where the reference throws at the first problem of a
//! node, this pass reports it and carries on with the siblings and fields, so that one
//! compile reports every problem. It never reports a problem on a mapping the reference
//! accepts: every extra report sits inside a mapping the reference already rejects.
//!
//! Like the reference, it does not look inside arrays (their elements fail at runtime).

use crate::codes;
use diagnostics::{Diagnostic, Span};
use serde_json::{Map, Value};

/// Directive names the reference knows (`@liquid` included: it is rejected later, with
/// its own diagnostic).
pub(crate) const DIRECTIVES: &[&str] = &[
    "@arrayPath",
    "@case",
    "@excludeWhenNull",
    "@flatten",
    "@if",
    "@json",
    "@literal",
    "@liquid",
    "@merge",
    "@path",
    "@replace",
    "@template",
    "@transform",
];

pub(crate) struct Validator {
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// `realTypeOrDirective`: an object with any `@` key is a directive.
fn type_of(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::Object(m)) if m.keys().any(|k| k.starts_with('@')) => "directive",
        Some(v) => crate::value::json_type(v),
    }
}

fn article(t: &str) -> &'static str {
    if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

use crate::child;

impl Validator {
    fn report(&mut self, code: &'static str, pointer: &str, message: String) {
        let d = Diagnostic::error(code, message).with_pointer(pointer);
        if !self.diagnostics.contains(&d) {
            self.diagnostics.push(d);
        }
    }

    fn expected(&mut self, pointer: &str, what: &str, v: Option<&Value>) -> bool {
        let found = match type_of(v) {
            "undefined" => "nothing".to_string(),
            t => format!("{} {t}", article(t)),
        };
        self.report(
            codes::WRONG_TYPE,
            pointer,
            format!("expected {what}, found {found}"),
        );
        false
    }

    /// `validate(mapping, stack)`.
    pub(crate) fn mapping(&mut self, v: &Value, pointer: &str) -> bool {
        match (type_of(Some(v)), v) {
            ("directive", Value::Object(m)) => self.directive(m, pointer),
            ("object", Value::Object(m)) => self.object_members(m, pointer),
            _ => true,
        }
    }

    fn object_members(&mut self, m: &Map<String, Value>, pointer: &str) -> bool {
        let mut ok = true;
        for (k, v) in m {
            ok &= self.mapping(v, &child(pointer, k));
        }
        ok
    }

    fn directive(&mut self, m: &Map<String, Value>, pointer: &str) -> bool {
        let directive_keys: Vec<&String> = m.keys().filter(|k| k.starts_with('@')).collect();
        if directive_keys.len() > 1 {
            self.report(
                codes::MIXED_KEYS,
                pointer,
                format!(
                    "expected one `@` key in a directive, found {} of them",
                    directive_keys.len()
                ),
            );
            return false;
        }
        let others: Vec<&String> = m
            .keys()
            .filter(|k| !k.starts_with('@') && *k != "_metadata")
            .collect();
        if !others.is_empty() {
            let d = Diagnostic::error(
                codes::MIXED_KEYS,
                format!(
                    "expected only the directive key, found {} keys (`{}` is not a directive)",
                    m.len(),
                    others[0]
                ),
            )
            .with_pointer(pointer)
            .with_help("put the plain keys in their own object, or remove the `@` key");
            self.diagnostics.push(d);
            return false;
        }
        let name = directive_keys[0].as_str();
        if !DIRECTIVES.contains(&name) {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_DIRECTIVE,
                format!("unknown directive `{name}`"),
            )
            .with_pointer(pointer);
            if let Some(close) = did_you_mean(name) {
                d = d.with_help(format!("did you mean `{close}`?"));
            }
            self.diagnostics.push(d);
            return false;
        }
        let value = &m[name];
        let at = child(pointer, name);
        self.directive_value(name, value, &at)
    }

    fn directive_value(&mut self, name: &str, v: &Value, at: &str) -> bool {
        match name {
            "@if" => self.fields(
                v,
                at,
                &[
                    ("exists", Field::Optional(Check::DirectiveOrRaw)),
                    ("then", Field::Optional(Check::DirectiveOrRaw)),
                    ("else", Field::Optional(Check::DirectiveOrRaw)),
                ],
            ),
            "@case" => self.fields(
                v,
                at,
                &[
                    ("operator", Field::Optional(Check::String)),
                    ("value", Field::Optional(Check::DirectiveOrString)),
                ],
            ),
            "@replace" => self.fields(
                v,
                at,
                &[
                    ("pattern", Field::Required(Check::StringLength(1, 10))),
                    ("replacement", Field::Optional(Check::StringLength(0, 10))),
                    ("value", Field::Required(Check::DirectiveOrString)),
                    ("ignorecase", Field::Optional(Check::Boolean)),
                    ("global", Field::Optional(Check::Boolean)),
                ],
            ),
            "@arrayPath" => {
                let Value::Array(items) = v else {
                    return self.expected(at, "an array", Some(v));
                };
                let first = self.check(Check::DirectiveOrString, items.first(), &format!("{at}/0"));
                let shape = items
                    .get(1)
                    .is_none_or(|s| self.mapping(s, &format!("{at}/1")));
                first && shape
            }
            "@path" | "@template" => self.check(Check::DirectiveOrString, Some(v), at),
            "@json" => self.fields(
                v,
                at,
                &[
                    ("value", Field::Required(Check::DirectiveOrRaw)),
                    ("mode", Field::Required(Check::OneOf(&["encode", "decode"]))),
                ],
            ),
            "@flatten" => self.fields(
                v,
                at,
                &[
                    ("separator", Field::Optional(Check::String)),
                    ("value", Field::Required(Check::DirectiveOrRaw)),
                ],
            ),
            "@merge" => {
                let mut ok = self.fields(
                    v,
                    at,
                    &[
                        (
                            "direction",
                            Field::Optional(Check::OneOf(&["left", "right"])),
                        ),
                        ("objects", Field::Required(Check::Array)),
                    ],
                );
                if let Some(Value::Array(objects)) = v.get("objects") {
                    for (i, o) in objects.iter().enumerate() {
                        let p = format!("{at}/objects/{i}");
                        ok &= self.check(Check::DirectiveOrObject, Some(o), &p);
                    }
                }
                ok
            }
            "@literal" | "@excludeWhenNull" => self.check(Check::DirectiveOrRaw, Some(v), at),
            "@transform" => self.fields(
                v,
                at,
                &[
                    ("apply", Field::Required(Check::DirectiveOrObject)),
                    ("mapping", Field::Required(Check::DirectiveOrObject)),
                ],
            ),
            "@liquid" => self.check(Check::String, Some(v), at),
            _ => true,
        }
    }

    /// `validateObjectWithFields`: an ordinary object first (every member validated as
    /// a mapping), then the listed fields.
    fn fields(&mut self, v: &Value, at: &str, fields: &[(&str, Field)]) -> bool {
        let Some(m) = v.as_object().filter(|_| type_of(Some(v)) == "object") else {
            return self.expected(at, "an object", Some(v));
        };
        let mut ok = self.object_members(m, at);
        for (name, field) in fields {
            let value = m.get(*name);
            match field {
                Field::Required(_) if value.is_none() => {
                    self.report(
                        codes::MISSING_FIELD,
                        at,
                        format!("missing the required field `{name}`"),
                    );
                    ok = false;
                }
                Field::Required(check) | Field::Optional(check) => {
                    if value.is_some() {
                        ok &= self.check(*check, value, &child(at, name));
                    }
                }
            }
        }
        ok
    }

    fn check(&mut self, check: Check, v: Option<&Value>, at: &str) -> bool {
        let t = type_of(v);
        match check {
            Check::DirectiveOrRaw => match v {
                Some(Value::Object(m)) if t == "directive" => self.directive(m, at),
                Some(_) => true,
                None => self.expected(at, "a mapping directive or a JSON value", v),
            },
            Check::DirectiveOrString => match v {
                Some(Value::Object(m)) if t == "directive" => self.directive(m, at),
                Some(Value::String(_)) => true,
                _ => self.expected(at, "a string or a mapping directive", v),
            },
            Check::DirectiveOrObject => match v {
                Some(Value::Object(m)) if t == "directive" => self.directive(m, at),
                Some(Value::Object(m)) => self.object_members(m, at),
                _ => self.expected(at, "an object or a mapping directive", v),
            },
            Check::String => t == "string" || self.expected(at, "a string", v),
            Check::Boolean => t == "boolean" || self.expected(at, "a boolean", v),
            Check::Array => t == "array" || self.expected(at, "an array", v),
            Check::StringLength(min, max) => {
                let Some(s) = v.and_then(Value::as_str) else {
                    return self.expected(at, "a string", v);
                };
                let len = js::utf16_len(s);
                if len < min || len > max {
                    let bound = if len < min {
                        format!("at least {min}")
                    } else {
                        format!("at most {max}")
                    };
                    let mut d = Diagnostic::error(
                        codes::STRING_LENGTH,
                        format!("expected a string of {bound} characters, found {len}"),
                    )
                    .with_pointer(at);
                    if len > max {
                        // Point at the characters past the limit, inside the string.
                        let cut = s
                            .char_indices()
                            .scan(0, |units, (i, c)| {
                                *units += c.len_utf16();
                                Some((i + c.len_utf8(), *units))
                            })
                            .find(|(_, units)| *units >= max)
                            .map_or(0, |(i, _)| i);
                        d = d.with_label(Span::new(cut, s.len()), "past the limit");
                    }
                    self.diagnostics.push(d);
                    return false;
                }
                true
            }
            Check::OneOf(allowed) => {
                let Some(s) = v.and_then(Value::as_str) else {
                    return self.expected(at, "a string", v);
                };
                if allowed.contains(&s.to_lowercase().as_str()) {
                    return true;
                }
                let quoted: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
                self.report(
                    codes::NOT_ALLOWED,
                    at,
                    format!("expected one of {}, found `{s}`", quoted.join(", ")),
                );
                false
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Check {
    DirectiveOrRaw,
    DirectiveOrString,
    DirectiveOrObject,
    String,
    Boolean,
    Array,
    StringLength(usize, usize),
    OneOf(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Required(Check),
    Optional(Check),
}

/// The known directive closest to `name`: same letters in another case, or at most two
/// edits away.
fn did_you_mean(name: &str) -> Option<&'static str> {
    if let Some(d) = DIRECTIVES.iter().find(|d| d.eq_ignore_ascii_case(name)) {
        return Some(d);
    }
    DIRECTIVES
        .iter()
        .map(|d| (edit_distance(d, name), *d))
        .filter(|(dist, _)| *dist <= 2)
        .min()
        .map(|(_, d)| d)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
