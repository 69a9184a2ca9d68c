//! JavaScript value semantics over `serde_json` values.
//!
//! The reference packages are JavaScript: their triggers and mappings read events with
//! JS property access (`a && a[key]`), compare with `===`, and turn numbers into text
//! with `String(n)`. This crate reproduces exactly those operations for JSON data, so
//! that the engine crates can be faithful without each re-deriving JS rules.
//!
//! It must stay a pure function library: no I/O, no allocation on the hot lookup path
//! beyond what a result needs, and no dependency but `serde_json`.

mod number;
mod proto;

pub use number::{number_to_string, string_to_number};

use serde_json::{Map, Value};
use std::borrow::Cow;

/// A JavaScript value reachable from JSON data by property access.
#[derive(Debug, Clone, PartialEq)]
pub enum JsVal<'a> {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    Str(Cow<'a, str>),
    Object(&'a Map<String, Value>),
    Array(&'a [Value]),
    /// A built-in function reached through a prototype (`constructor`, `toString`, ...),
    /// named as `Function.prototype.name` would name it.
    Function(&'static str),
    /// `Object.prototype`, reached through `__proto__`.
    ObjectPrototype,
}

impl<'a> JsVal<'a> {
    pub fn from_json(value: &'a Value) -> JsVal<'a> {
        match value {
            Value::Null => JsVal::Null,
            Value::Bool(b) => JsVal::Bool(*b),
            Value::Number(n) => JsVal::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => JsVal::Str(Cow::Borrowed(s)),
            Value::Array(a) => JsVal::Array(a),
            Value::Object(o) => JsVal::Object(o),
        }
    }

    /// JavaScript truthiness.
    pub fn is_truthy(&self) -> bool {
        match self {
            JsVal::Undefined | JsVal::Null => false,
            JsVal::Bool(b) => *b,
            JsVal::Number(n) => *n != 0.0 && !n.is_nan(),
            JsVal::Str(s) => !s.is_empty(),
            _ => true,
        }
    }

    pub fn is_nullish(&self) -> bool {
        matches!(self, JsVal::Undefined | JsVal::Null)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsVal::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `typeof` of this value.
    pub fn type_of(&self) -> &'static str {
        match self {
            JsVal::Undefined => "undefined",
            JsVal::Null | JsVal::Object(_) | JsVal::Array(_) | JsVal::ObjectPrototype => "object",
            JsVal::Bool(_) => "boolean",
            JsVal::Number(_) => "number",
            JsVal::Str(_) => "string",
            JsVal::Function(_) => "function",
        }
    }

    /// `this[key]` for a non-nullish value. Nullish values answer `Undefined` here;
    /// callers that must throw like JS does check [`JsVal::is_nullish`] first.
    pub fn get(&self, key: &str) -> JsVal<'a> {
        match self {
            JsVal::Undefined | JsVal::Null => JsVal::Undefined,
            JsVal::Object(map) => match own(map, key) {
                Some(v) => JsVal::from_json(v),
                None => proto::object(key),
            },
            // Object.prototype's own prototype is null.
            JsVal::ObjectPrototype if key == "__proto__" => JsVal::Null,
            JsVal::ObjectPrototype => proto::object(key),
            JsVal::Array(items) => {
                if let Some(i) = array_index(key) {
                    return items.get(i).map_or(JsVal::Undefined, JsVal::from_json);
                }
                if key == "length" {
                    return JsVal::Number(items.len() as f64);
                }
                proto::array(key)
            }
            JsVal::Str(s) => {
                if let Some(i) = array_index(key) {
                    return match s.encode_utf16().nth(i) {
                        Some(unit) => JsVal::Str(Cow::Owned(String::from_utf16_lossy(&[unit]))),
                        None => JsVal::Undefined,
                    };
                }
                if key == "length" {
                    return JsVal::Number(utf16_len(s) as f64);
                }
                proto::string(key)
            }
            JsVal::Number(_) => proto::number(key),
            JsVal::Bool(_) => proto::boolean(key),
            JsVal::Function(name) => proto::function(name, key),
        }
    }

    /// The value as JSON, as `JSON.stringify` would keep it inside an array slot:
    /// `undefined` and functions have no JSON form.
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            JsVal::Undefined | JsVal::Function(_) => return None,
            JsVal::Null => Value::Null,
            JsVal::Bool(b) => Value::Bool(*b),
            JsVal::Number(n) => number_to_json(*n),
            JsVal::Str(s) => Value::String(s.to_string()),
            JsVal::Object(m) => Value::Object((*m).clone()),
            JsVal::Array(a) => Value::Array(a.to_vec()),
            JsVal::ObjectPrototype => Value::Object(Map::new()),
        })
    }
}

/// An own property. Events hold small objects, where comparing keys in order beats
/// hashing the key (measured in `cargo xtask bench`).
fn own<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if map.len() <= 24 {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// A JSON number for `n`, preferring an integer representation like JSON.stringify.
/// Non-finite numbers serialise as `null`, as in JavaScript.
pub fn number_to_json(n: f64) -> Value {
    if !n.is_finite() {
        return Value::Null;
    }
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        // -0 serialises as 0 in JSON.stringify.
        return Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// Number of UTF-16 code units in `s`, which is what JavaScript's `length` counts.
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// A canonical array index (`"0"`, `"12"`, not `"01"` or `"+1"`).
pub fn array_index(key: &str) -> Option<usize> {
    let bytes = key.as_bytes();
    if bytes.is_empty() || bytes.len() > 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u32::MAX as u64).then_some(n as usize)
}

/// JavaScript's `String(v)` for the primitive values the engine stringifies.
pub fn to_js_string(v: &JsVal<'_>) -> Cow<'static, str> {
    match v {
        JsVal::Undefined => "undefined".into(),
        JsVal::Null => "null".into(),
        JsVal::Bool(true) => "true".into(),
        JsVal::Bool(false) => "false".into(),
        JsVal::Number(n) => number_to_string(*n).into(),
        JsVal::Str(s) => s.to_string().into(),
        JsVal::Object(_) | JsVal::ObjectPrototype => "[object Object]".into(),
        JsVal::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => to_js_string(&JsVal::from_json(other)).into_owned(),
            })
            .collect::<Vec<_>>()
            .join(",")
            .into(),
        JsVal::Function(name) => format!("function {name}() {{ [native code] }}").into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_access_follows_javascript() {
        let v = json!({"s": "héllo🎉", "a": [1, 2, 3], "o": {"k": 0}});
        let root = JsVal::from_json(&v);
        assert_eq!(root.get("s").get("length"), JsVal::Number(7.0));
        assert_eq!(root.get("a").get("length"), JsVal::Number(3.0));
        assert_eq!(root.get("a").get("1"), JsVal::Number(2.0));
        assert_eq!(root.get("a").get("01"), JsVal::Undefined);
        assert_eq!(root.get("s").get("0"), JsVal::Str("h".into()));
        assert_eq!(root.get("constructor"), JsVal::Function("Object"));
        assert_eq!(
            root.get("constructor").get("name"),
            JsVal::Str("Object".into())
        );
        assert_eq!(root.get("a").get("map").type_of(), "function");
        assert_eq!(root.get("nope"), JsVal::Undefined);
        assert_eq!(root.get("__proto__"), JsVal::ObjectPrototype);
    }

    #[test]
    fn own_keys_shadow_the_prototype() {
        let v = json!({"constructor": 1, "__proto__": "x"});
        let root = JsVal::from_json(&v);
        assert_eq!(root.get("constructor"), JsVal::Number(1.0));
        assert_eq!(root.get("__proto__"), JsVal::Str("x".into()));
    }

    #[test]
    fn truthiness() {
        for (v, t) in [
            (json!(0), false),
            (json!(""), false),
            (json!(null), false),
            (json!([]), true),
            (json!({}), true),
            (json!("0"), true),
            (json!(-1.5), true),
        ] {
            assert_eq!(JsVal::from_json(&v).is_truthy(), t, "{v}");
        }
    }

    #[test]
    fn string_of_values() {
        assert_eq!(
            to_js_string(&JsVal::from_json(&json!([1, null, "a", [2, 3]]))),
            "1,,a,2,3"
        );
        assert_eq!(
            to_js_string(&JsVal::from_json(&json!({"a": 1}))),
            "[object Object]"
        );
        assert_eq!(to_js_string(&JsVal::Number(1e21)), "1e+21");
    }
}
