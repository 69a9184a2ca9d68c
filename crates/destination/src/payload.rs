//! Payload validation, as Segment's cloud-mode path does it (actions-core 3.170:
//! `removeEmptyValues`, then an ajv schema built by `fieldsToJsonSchema` with
//! `coerceTypes: "array"`, `removeAdditional` and `allErrors`). Segment's browser
//! runtime skips this step, which lets `Iterate('event', undefined)` through; we don't.
//!
//! Values are coerced in place (`5` → `"5"` for a string field), unknown keys dropped,
//! `null` and `""` removed where the field does not allow them.

use crate::model::{Field, FieldType};
use serde_json::{Map, Value};

/// Validates and coerces the payload a mapping produced (`None` is `undefined`).
/// On failure, every problem, worded as Segment's errors are.
pub fn validate(fields: &[Field], payload: Option<Value>) -> Result<Value, Vec<String>> {
    let Some(Value::Object(mut object)) = payload else {
        return Err(vec![format!(
            "The root value must be an object but it was {}.",
            a_type(payload.as_ref())
        )]);
    };
    // removeEmptyValues(payload, schema, isRoot = true).
    object.retain(|key, value| match fields.iter().find(|f| f.key == key) {
        Some(field) => match remove_empty(std::mem::take(value), field, true) {
            Some(kept) if kept != "" => {
                *value = kept;
                true
            }
            _ => false,
        },
        None => *value != "",
    });
    // arrifyFields: a single value for a `multiple` field becomes a one-item array.
    for field in fields.iter().filter(|f| f.multiple) {
        if let Some(v) = object.get_mut(field.key) {
            if !v.is_array() && !v.is_null() {
                *v = Value::Array(vec![std::mem::take(v)]);
            }
        }
    }
    let mut errors = Vec::new();
    check_object(&mut object, fields, "The root value", &mut errors);
    if errors.is_empty() {
        Ok(Value::Object(object))
    } else {
        Err(errors)
    }
}

/// The JSON-schema types of a field, in the order ajv tries coercions.
fn types(field: &Field, item: bool) -> Vec<&'static str> {
    if field.multiple && !item {
        return vec!["array"];
    }
    let mut t = match field.kind {
        FieldType::String | FieldType::Text | FieldType::Password => vec!["string"],
        FieldType::Number => vec!["number"],
        FieldType::Integer => vec!["integer"],
        FieldType::Boolean => vec!["boolean"],
        FieldType::Object => vec!["object"],
        FieldType::Datetime => vec!["string", "number"],
    };
    if field.allow_null && !field.multiple {
        t.push("null");
    }
    t
}

/// `removeEmptyValues` below the root: `None` drops the value.
fn remove_empty(value: Value, field: &Field, root: bool) -> Option<Value> {
    let types = types(field, !root && field.multiple);
    match value {
        Value::Array(items) if field.multiple && root => Some(Value::Array(
            items
                .into_iter()
                .filter_map(|item| remove_empty(item, field, false))
                .collect(),
        )),
        Value::Object(mut m) if !field.properties.is_empty() && (!field.multiple || !root) => {
            m.retain(|k, v| match field.properties.iter().find(|p| p.key == k) {
                Some(p) => match remove_empty(std::mem::take(v), p, true) {
                    Some(kept) => {
                        *v = kept;
                        true
                    }
                    None => false,
                },
                None => true,
            });
            Some(Value::Object(m))
        }
        Value::Null if !types.contains(&"null") => None,
        Value::String(s) if s.is_empty() && !types.contains(&"string") => None,
        other => Some(other),
    }
}

fn check_object(
    object: &mut Map<String, Value>,
    fields: &[Field],
    title: &str,
    errors: &mut Vec<String>,
) {
    // removeAdditional: keys the schema does not name are dropped without a word.
    object.retain(|k, _| fields.iter().any(|f| f.key == k));
    for field in fields {
        match object.get_mut(field.key) {
            Some(value) => check(value, field, false, errors),
            None if field.required => {
                errors.push(format!(
                    "{title} is missing the required field '{}'.",
                    field.key
                ));
            }
            None => {}
        }
    }
}

fn check(value: &mut Value, field: &Field, item: bool, errors: &mut Vec<String>) {
    let types = types(field, item);
    // One value of the field's type, rather than the array a `multiple` field holds.
    let single = item || !field.multiple;
    if !types.iter().any(|t| is_type(value, t)) {
        match coerce(value, &types) {
            Some(coerced) => *value = coerced,
            None => {
                errors.push(format!(
                    "{} must be {} but it was {}.",
                    field.label,
                    types
                        .iter()
                        .map(|t| a_name(t))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    a_type(Some(value))
                ));
                return;
            }
        }
    }
    match value {
        Value::Array(items) if !single => {
            for v in items {
                check(v, field, true, errors);
            }
        }
        Value::Object(m) if !field.properties.is_empty() => {
            check_object(m, &field.properties, field.label, errors)
        }
        _ => {}
    }
    if single && !field.choices.is_empty() {
        let allowed = field.choices.contains(value) || (field.allow_null && value.is_null());
        if !allowed {
            let list: Vec<String> = field.choices.iter().map(Value::to_string).collect();
            errors.push(format!(
                "{} must be one of: {}.",
                field.label,
                list.join(", ")
            ));
        }
    }
    if single && field.kind == FieldType::Datetime && !is_date_like(value) {
        errors.push(format!(
            "{} must be a valid date-like string but it was not.",
            field.label
        ));
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.as_f64().is_some_and(|n| n.fract() == 0.0),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "null" => v.is_null(),
        _ => false,
    }
}

/// ajv's `coerceTypes: "array"`: a one-item array stands for its item, then the first
/// type (in order) the value converts to wins.
fn coerce(value: &Value, types: &[&str]) -> Option<Value> {
    // ajv coerces only to these; a type list without any (`object`) is never coerced.
    const COERCIBLE: &[&str] = &["string", "number", "integer", "boolean", "null", "array"];
    if !types.iter().any(|t| COERCIBLE.contains(t)) {
        return None;
    }
    let value = match value {
        Value::Array(items) if items.len() == 1 && !types.contains(&"array") => {
            if types.iter().any(|t| is_type(&items[0], t)) {
                return Some(items[0].clone());
            }
            &items[0]
        }
        v => v,
    };
    types.iter().find_map(|t| coerce_to(value, t))
}

fn coerce_to(v: &Value, t: &str) -> Option<Value> {
    let number = |v: &Value| match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Null => Some(0.0),
        Value::String(s) if !s.is_empty() => Some(js::string_to_number(s)).filter(|n| !n.is_nan()),
        _ => None,
    };
    match t {
        "string" => match v {
            Value::Number(_) | Value::Bool(_) => Some(Value::String(
                js::to_js_string(&js::JsVal::from_json(v)).into_owned(),
            )),
            Value::Null => Some(Value::String(String::new())),
            _ => None,
        },
        "number" => number(v).map(js::number_to_json),
        "integer" => number(v)
            .filter(|n| n.fract() == 0.0)
            .map(js::number_to_json),
        "boolean" => match v {
            Value::String(s) if s == "false" => Some(Value::Bool(false)),
            Value::String(s) if s == "true" => Some(Value::Bool(true)),
            Value::Null => Some(Value::Bool(false)),
            Value::Number(n) if n.as_f64() == Some(0.0) => Some(Value::Bool(false)),
            Value::Number(n) if n.as_f64() == Some(1.0) => Some(Value::Bool(true)),
            _ => None,
        },
        "null" => match v {
            Value::String(s) if s.is_empty() => Some(Value::Null),
            Value::Number(n) if n.as_f64() == Some(0.0) => Some(Value::Null),
            Value::Bool(false) => Some(Value::Null),
            _ => None,
        },
        "array" => match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {
                Some(Value::Array(vec![v.clone()]))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The `date-like` format: numbers, and strings in the shapes dayjs parses without
/// falling back to the engine's `Date` parser (`2024-05-01`, `2024-05-01T12:00:00.000Z`).
fn is_date_like(v: &Value) -> bool {
    match v {
        Value::Number(_) | Value::Null => true,
        Value::String(s) => {
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let (date, _time) = s.split_once(['T', 't', ' ']).unwrap_or((s, ""));
            let parts: Vec<&str> = date.split(['-', '/']).collect();
            parts.len() <= 3
                && parts.first().is_some_and(|y| y.len() == 4 && digits(y))
                && parts.iter().all(|p| digits(p))
                || digits(s)
        }
        _ => false,
    }
}

fn a_name(t: &str) -> &'static str {
    match t {
        "string" => "a string",
        "number" => "a number",
        "integer" => "an integer",
        "boolean" => "a boolean",
        "object" => "an object",
        "array" => "an array",
        _ => "null",
    }
}

fn a_type(v: Option<&Value>) -> &'static str {
    match v {
        None => "undefined",
        Some(Value::String(_)) => "a string",
        Some(Value::Number(_)) => "a number",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Object(_)) => "an object",
        Some(Value::Array(_)) => "an array",
        Some(Value::Null) => "null",
    }
}
