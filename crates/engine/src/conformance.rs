//! Answers to conformance case lines (`../shared/conformance/README.md`): the same
//! JSON the reference harness writes, so the two can be compared line by line.

use serde_json::{json, Map, Value};

/// Answers one case. Never panics; a malformed case gets an answer with an error.
pub fn answer(case: &Value) -> Value {
    let id = case.get("id").cloned().unwrap_or(Value::Null);
    match case.get("kind").and_then(Value::as_str) {
        Some("fql") => answer_trigger(id, case),
        Some("mapping") => answer_mapping(id, case),
        Some(other) => {
            json!({"id": id, "ok": false, "error": format!("unknown case kind `{other}`")})
        }
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

fn answer_mapping(id: Value, case: &Value) -> Value {
    let fail = |error: String| json!({"id": id, "ok": false, "error": error});
    // The reference's `transform(mapping)` reads a missing mapping as `undefined`, which
    // it cannot spread into an object, just like `null`.
    let Some(mapping) = case.get("mapping") else {
        return fail("the case has no `mapping`".into());
    };
    let empty = Value::Object(Map::new());
    let event = case.get("event").unwrap_or(&empty);
    // The reference checks the event before the mapping; either way the answer is an
    // error, and `evaluate` checks the event first of all.
    let plan = match mapping::compile(mapping) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            let first = diagnostics.iter().find(|d| d.is_error());
            return fail(first.map_or_else(String::new, mapping::reference_message));
        }
    };
    match plan.evaluate(event) {
        Ok(Some(output)) => json!({"id": id, "ok": true, "output": output}),
        Ok(None) => json!({"id": id, "ok": true}),
        Err(e) => fail(e.to_string()),
    }
}

/// Answers a line of text: a JSON case, or an error answer for a line that is not one.
pub fn answer_line(line: &str) -> Value {
    match serde_json::from_str::<Value>(line) {
        Ok(case @ Value::Object(_)) => answer(&case),
        Ok(_) => error_line(line, "the line is not a JSON object"),
        Err(e) => error_line(line, &format!("the line is not JSON: {e}")),
    }
}

/// The id of a case line that does not parse (for example because it holds a lone
/// UTF-16 surrogate, which serde_json rejects), so its answer can still be matched.
fn salvage_id(line: &str) -> Value {
    let rest = line.trim_start().strip_prefix('{').map(str::trim_start);
    let id = rest
        .and_then(|r| r.strip_prefix("\"id\""))
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix(':'))
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('"'))
        .and_then(|r| r.split_once('"'))
        .map(|(id, _)| id);
    id.filter(|id| !id.contains('\\'))
        .map_or(Value::Null, |id| Value::String(id.to_string()))
}

fn error_line(line: &str, message: &str) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), salvage_id(line));
    m.insert("ok".into(), Value::Bool(false));
    m.insert("error".into(), Value::String(message.into()));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_is_not_json_keeps_its_id() {
        let a = answer_line(r#"{"id":"c-1","kind":"fql","fql":"\ud800"}"#);
        assert_eq!(a["id"], "c-1");
        assert_eq!(a["ok"], false);
        assert_eq!(answer_line("nope")["id"], Value::Null);
    }

    #[test]
    fn trigger_cases_answer_match_or_error() {
        let a = answer(
            &json!({"id": "x", "kind": "fql", "fql": "type = \"track\"", "event": {"type": "track"}}),
        );
        assert_eq!(a, json!({"id": "x", "ok": true, "match": true}));
        let a =
            answer(&json!({"id": "y", "kind": "fql", "fql": "type = \"track\"", "event": null}));
        assert_eq!(a["ok"], false);
        let a = answer(&json!({"id": "z", "kind": "fql", "fql": "type = \"track\""}));
        assert_eq!(a["match"], false);
    }

    #[test]
    fn mapping_cases_answer_output_or_error() {
        let a = answer(&json!({"id": "m", "kind": "mapping",
            "mapping": {"a": {"@path": "$.userId"}}, "event": {"userId": "u1"}}));
        assert_eq!(a, json!({"id": "m", "ok": true, "output": {"a": "u1"}}));
        let a = answer(&json!({"id": "u", "kind": "mapping", "mapping": {"@path": "$.nope"}}));
        assert_eq!(a, json!({"id": "u", "ok": true}));
        let a = answer(&json!({"id": "e", "kind": "mapping", "mapping": {}, "event": [1]}));
        assert_eq!(a["ok"], false);
        let a = answer(&json!({"id": "v", "kind": "mapping", "mapping": {"a": {"@path": 5}}}));
        assert_eq!(a["ok"], false);
    }
}
