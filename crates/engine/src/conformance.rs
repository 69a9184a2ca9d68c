//! Answers to conformance case lines (`../shared/conformance/README.md`): the same
//! JSON the reference harness writes, so the two can be compared line by line.

use serde_json::{json, Map, Value};

/// Answers one case. Never panics; a malformed case gets an answer with an error.
pub fn answer(case: &Value) -> Value {
    let id = case.get("id").cloned().unwrap_or(Value::Null);
    match case.get("kind").and_then(Value::as_str) {
        Some("fql") => answer_trigger(id, case),
        Some("mapping") => json!({"id": id, "ok": false, "error": "unsupported"}),
        Some(other) => json!({"id": id, "ok": false, "error": format!("unknown case kind `{other}`")}),
        None => json!({"id": id, "ok": false, "error": "the case has no `kind`"}),
    }
}

fn answer_trigger(id: Value, case: &Value) -> Value {
    let Some(src) = case.get("fql").and_then(Value::as_str) else {
        return json!({"id": id, "ok": false, "error": "the case has no `fql` string"});
    };
    let parsed = fql::parse(src);
    if let Some(error) = parsed.errors().next() {
        return json!({"id": id, "ok": false, "error": error.to_string()});
    }
    match parsed.matches(case.get("event")) {
        Ok(matched) => json!({"id": id, "ok": true, "match": matched}),
        Err(e) => json!({"id": id, "ok": false, "error": e.to_string()}),
    }
}

/// Answers a line of text: a JSON case, or an error answer for a line that is not one.
pub fn answer_line(line: &str) -> Value {
    match serde_json::from_str::<Value>(line) {
        Ok(case @ Value::Object(_)) => answer(&case),
        Ok(_) => error_line("the line is not a JSON object"),
        Err(e) => error_line(&format!("the line is not JSON: {e}")),
    }
}

fn error_line(message: &str) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::Null);
    m.insert("ok".into(), Value::Bool(false));
    m.insert("error".into(), Value::String(message.into()));
    Value::Object(m)
}
