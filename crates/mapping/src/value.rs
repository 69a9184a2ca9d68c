//! The values a mapping computes with. They are JavaScript values, not JSON: a
//! resolved object may hold `undefined` (removed only at the end, so that
//! `Object.assign` in `@merge` can still overwrite with it), and a path may reach a
//! built-in function through a prototype (`$.constructor`). Data read from the event
//! is borrowed until it has to be copied into the output.

use js::JsVal;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// A JavaScript value produced while resolving a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V<'a> {
    Undefined,
    /// JSON data, borrowed from the event or owned (constants, computed text).
    Json(Cow<'a, Value>),
    /// A built-in function reached through a prototype, by its `name`.
    Func(&'static str),
    /// `Object.prototype`, reached through `__proto__`.
    Proto,
    /// An array built by the mapping; its elements may be `undefined`.
    Array(Vec<V<'a>>),
    /// A plain object built by the mapping, in key insertion order, keys unique.
    Object(Vec<(String, V<'a>)>),
}

/// How deep values may nest before the operations that walk them give up.
pub(crate) const MAX_VALUE_DEPTH: usize = 200;

impl<'a> V<'a> {
    pub(crate) fn owned(v: Value) -> V<'a> {
        V::Json(Cow::Owned(v))
    }

    pub(crate) fn str(s: impl Into<String>) -> V<'a> {
        V::owned(Value::String(s.into()))
    }

    pub(crate) fn json(&self) -> Option<&Value> {
        match self {
            V::Json(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        self.json().and_then(Value::as_str)
    }

    pub(crate) fn is_undefined(&self) -> bool {
        matches!(self, V::Undefined)
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.json(), Some(Value::Null))
    }

    pub(crate) fn is_truthy(&self) -> bool {
        match self {
            V::Undefined => false,
            V::Json(v) => JsVal::from_json(v).is_truthy(),
            _ => true,
        }
    }

    /// `realTypeOf`: `Object.prototype.toString` without the brackets, lowercased.
    pub(crate) fn real_type(&self) -> &'static str {
        match self {
            V::Undefined => "undefined",
            V::Json(v) => json_type(v),
            V::Func(_) => "function",
            V::Proto | V::Object(_) => "object",
            V::Array(_) => "array",
        }
    }

    /// `realTypeOf(v) === 'object'`: a plain object.
    pub(crate) fn is_plain_object(&self) -> bool {
        self.real_type() == "object"
    }

    /// `prev[key]` for a value that is not nullish.
    pub(crate) fn get(&self, key: &str) -> V<'a> {
        match self {
            V::Undefined => V::Undefined,
            V::Json(Cow::Borrowed(v)) => get_json(v, key),
            V::Json(Cow::Owned(v)) => get_json(v, key).into_owned(),
            V::Func(name) => from_js(JsVal::Function(name).get(key)),
            V::Proto => from_js(JsVal::ObjectPrototype.get(key)),
            V::Array(items) => {
                if let Some(i) = js::array_index(key) {
                    return items.get(i).cloned().unwrap_or(V::Undefined);
                }
                if key == "length" {
                    return V::owned(js::number_to_json(items.len() as f64));
                }
                from_js(JsVal::Array(&[]).get(key))
            }
            V::Object(entries) => match entries.iter().find(|(k, _)| k == key) {
                Some((_, v)) => v.clone(),
                None => from_js(JsVal::Object(&Map::new()).get(key)),
            },
        }
    }

    /// The same value, with nothing borrowed.
    pub(crate) fn into_owned<'b>(self) -> V<'b> {
        match self {
            V::Undefined => V::Undefined,
            V::Json(v) => V::Json(Cow::Owned(v.into_owned())),
            V::Func(n) => V::Func(n),
            V::Proto => V::Proto,
            V::Array(items) => V::Array(items.into_iter().map(V::into_owned).collect()),
            V::Object(entries) => V::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.into_owned()))
                    .collect(),
            ),
        }
    }

    /// Own enumerable `[key, value]` pairs, as `Object.entries` / `Object.assign` see
    /// them. Strings spread their UTF-16 units; numbers, booleans and functions have none.
    pub(crate) fn entries(&self) -> Vec<(String, V<'a>)> {
        match self {
            V::Undefined | V::Func(_) | V::Proto => Vec::new(),
            V::Object(entries) => entries.clone(),
            V::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
            V::Json(v) => match v {
                Cow::Borrowed(v) => json_entries(v),
                Cow::Owned(v) => json_entries(v)
                    .into_iter()
                    .map(|(k, v)| (k, v.into_owned()))
                    .collect(),
            },
        }
    }
}

fn json_entries(v: &Value) -> Vec<(String, V<'_>)> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), V::Json(Cow::Borrowed(v))))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), V::Json(Cow::Borrowed(v))))
            .collect(),
        Value::String(s) => s
            .encode_utf16()
            .enumerate()
            .map(|(i, u)| (i.to_string(), V::str(String::from_utf16_lossy(&[u]))))
            .collect(),
        _ => Vec::new(),
    }
}

/// Sets `key` like a JavaScript assignment: an existing key keeps its position.
pub(crate) fn set<'a>(entries: &mut Vec<(String, V<'a>)>, key: String, value: V<'a>) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn get_json<'a>(v: &'a Value, key: &str) -> V<'a> {
    match v {
        Value::Object(m) => match m.get(key) {
            Some(child) => V::Json(Cow::Borrowed(child)),
            None => from_js(JsVal::Object(m).get(key)),
        },
        Value::Array(items) => match js::array_index(key) {
            Some(i) => items
                .get(i)
                .map_or(V::Undefined, |child| V::Json(Cow::Borrowed(child))),
            None => from_js(JsVal::Array(items).get(key)),
        },
        other => from_js(JsVal::from_json(other).get(key)),
    }
}

/// A JavaScript value met through property access, as a mapping value. Objects and
/// arrays only come from data, which `get_json` borrows instead.
fn from_js<'a>(v: JsVal<'_>) -> V<'a> {
    match v {
        JsVal::Undefined => V::Undefined,
        JsVal::Function(name) => V::Func(name),
        JsVal::ObjectPrototype => V::Proto,
        other => other.to_json().map_or(V::Undefined, V::owned),
    }
}

/// `String(v)`, as `String.prototype.replace` turns a replacer's result into text.
pub(crate) fn to_js_string(v: &V<'_>, out: &mut String, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    match v {
        V::Undefined => out.push_str("undefined"),
        V::Json(j) => out.push_str(&js::to_js_string(&JsVal::from_json(j))),
        V::Func(name) => out.push_str(&js::to_js_string(&JsVal::Function(name))),
        V::Proto | V::Object(_) => out.push_str("[object Object]"),
        V::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_undefined() && !item.is_null() {
                    to_js_string(item, out, depth + 1);
                }
            }
        }
    }
}

/// A number as the reference prints it and a JSON reader would read it back: integers
/// beyond 2^53 lose precision like a double, `1.0` is `1`, `-0` is `0`.
pub(crate) fn canon_number(n: &serde_json::Number) -> Value {
    if n.is_i64() || n.is_u64() {
        let exact = n.as_i64().is_none_or(|i| i.unsigned_abs() <= 1 << 53)
            && n.as_u64().is_none_or(|u| u <= 1 << 53);
        if exact {
            return Value::Number(n.clone());
        }
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    canon_f64(f)
}

pub(crate) fn canon_f64(f: f64) -> Value {
    if f.is_finite() && f.fract() == 0.0 && f.abs() >= 9_007_199_254_740_992.0 {
        let text = js::number_to_string(f);
        if let Ok(u) = text.parse::<u64>() {
            return Value::from(u);
        }
        if let Ok(i) = text.parse::<i64>() {
            return Value::from(i);
        }
    }
    js::number_to_json(f)
}

/// A copy of JSON data with numbers as JavaScript would hold them.
pub(crate) fn canon(v: &Value) -> Value {
    match v {
        Value::Number(n) => canon_number(n),
        Value::Array(items) => Value::Array(items.iter().map(canon).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), canon(v))).collect()),
        other => other.clone(),
    }
}

/// [`canon`], and without `__proto__` keys, which the reference's copy loses.
fn canon_output(v: &Value) -> Value {
    match v {
        Value::Number(n) => canon_number(n),
        Value::Array(items) => Value::Array(items.iter().map(canon_output).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "__proto__")
                .map(|(k, v)| (k.clone(), canon_output(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `removeUndefined`: `undefined` object members are deleted (at any depth), while
/// `undefined` array elements stay.
pub(crate) fn remove_undefined(v: V<'_>) -> V<'_> {
    match v {
        V::Array(items) => V::Array(items.into_iter().map(remove_undefined).collect()),
        V::Object(entries) => V::Object(
            entries
                .into_iter()
                .filter(|(_, v)| !v.is_undefined())
                .map(|(k, v)| (k, remove_undefined(v)))
                .collect(),
        ),
        V::Proto => V::Object(Vec::new()),
        other => other,
    }
}

/// The output as JSON, as `JSON.stringify` writes it: `undefined` and functions have no
/// JSON form (dropped from objects, `null` in arrays).
pub(crate) fn to_output(v: &V<'_>) -> Option<Value> {
    match v {
        V::Undefined | V::Func(_) => None,
        V::Proto => Some(Value::Object(Map::new())),
        V::Json(j) => Some(canon_output(j)),
        V::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|i| to_output(i).unwrap_or(Value::Null))
                .collect(),
        )),
        V::Object(entries) => Some(Value::Object(
            entries
                .iter()
                // `removeUndefined` copies with `Object.assign`, whose `__proto__`
                // assignment sets the prototype instead of copying the key.
                .filter(|(k, _)| k != "__proto__")
                .filter_map(|(k, v)| to_output(v).map(|v| (k.clone(), v)))
                .collect(),
        )),
    }
}

/// `JSON.stringify(v)`; `None` where it answers `undefined`. Keys are written in
/// JavaScript's property order: array-index keys first, ascending, then the others.
pub(crate) fn stringify(v: &V<'_>) -> Option<String> {
    let mut out = String::new();
    write_json(v, &mut out, 0).then_some(out)
}

fn write_json(v: &V<'_>, out: &mut String, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        out.push_str("null");
        return true;
    }
    match v {
        V::Undefined | V::Func(_) => return false,
        V::Proto => out.push_str("{}"),
        V::Json(j) => write_json_value(j, out, depth),
        V::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_json(item, out, depth + 1) {
                    out.push_str("null");
                }
            }
            out.push(']');
        }
        V::Object(entries) => {
            let refs: Vec<(&str, &V<'_>)> = entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
            write_object(js_key_order(refs), out, depth, |v, out, d| {
                write_json(v, out, d)
            });
        }
    }
    true
}

fn write_json_value(v: &Value, out: &mut String, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        out.push_str("null");
        return;
    }
    match v {
        Value::Number(n) => out.push_str(&js::number_to_string(n.as_f64().unwrap_or(f64::NAN))),
        Value::String(_) | Value::Null | Value::Bool(_) => {
            out.push_str(&serde_json::to_string(v).unwrap_or_default());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_value(item, out, depth + 1);
            }
            out.push(']');
        }
        Value::Object(m) => {
            let refs: Vec<(&str, &Value)> = m.iter().map(|(k, v)| (k.as_str(), v)).collect();
            write_object(js_key_order(refs), out, depth, |v, out, d| {
                write_json_value(v, out, d);
                true
            });
        }
    }
}

fn write_object<T>(
    entries: Vec<(&str, &T)>,
    out: &mut String,
    depth: usize,
    mut write: impl FnMut(&T, &mut String, usize) -> bool,
) {
    out.push('{');
    let mut first = true;
    for (k, v) in entries {
        let mut item = String::new();
        item.push_str(&serde_json::to_string(k).unwrap_or_default());
        item.push(':');
        if write(v, &mut item, depth + 1) {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&item);
        }
    }
    out.push('}');
}

/// JavaScript's own-property order: integer keys ascending, then insertion order.
fn js_key_order<T>(mut entries: Vec<(&str, T)>) -> Vec<(&str, T)> {
    if entries.iter().any(|(k, _)| js::array_index(k).is_some()) {
        // A stable sort keeps the insertion order among the non-index keys.
        entries.sort_by_key(|(k, _)| js::array_index(k).map_or(u64::MAX, |i| i as u64));
    }
    entries
}
