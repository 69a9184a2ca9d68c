//! Snapshot tests of rendered mapping diagnostics: errors where the reference's
//! `validate` rejects a mapping, warnings where it accepts one that does not do what it
//! looks like. A label's span lies inside the string the pointer names.

use serde_json::{json, Value};

fn mappings() -> Vec<Value> {
    vec![
        // Errors.
        json!({"a": {"b": {"@foo": 1}}, "c": {"@path": 5}}),
        json!({"@path": 5}),
        json!({"a": {"@path": "$.x", "@template": "x"}}),
        json!({"a": {"@path": "$.x", "email": "x"}}),
        json!({"a": {"@Path": "$.x"}}),
        json!({"a": {"@if": "x"}}),
        json!({"a": {"@replace": {"replacement": "b", "value": "x"}}}),
        json!({"a": {"@replace": {"pattern": "0123456789abc", "value": "x"}}}),
        json!({"a": {"@json": {"mode": "other", "value": "x"}}}),
        json!({"a": {"@arrayPath": []}}),
        json!({"a": {"@merge": {"direction": "up", "objects": [1]}}}),
        json!({"a": {"@liquid": "{{ event | upcase }}"}}),
        json!({"__segment_internal_directive": {"@merge": {}, "@path": "x"}}),
        json!(null),
        // Warnings.
        json!({"a": {"@literal": {"@path": "$.event"}}}),
        json!({"a": {"@template": "Hi {{{ userId }}}"}}),
        json!({"a": {"@path": "$"}}),
        json!({"a": {"@if": {"then": "yes", "else": "no"}}}),
        json!({"a": {"@case": {"value": {"@path": "$.event"}}}}),
    ]
}

/// The source a diagnostic's labels point into: the string its pointer names, or the
/// mapping's JSON text when there is none.
fn source_of(mapping: &Value, d: &diagnostics::Diagnostic) -> String {
    match d.pointer.as_deref().and_then(|p| mapping.pointer(p)) {
        Some(Value::String(s)) if !d.labels.is_empty() => s.clone(),
        _ => mapping.to_string(),
    }
}

#[test]
fn rendered_diagnostics() {
    let mut out = String::new();
    for mapping in mappings() {
        out.push_str(&format!("===== {mapping}\n"));
        let diagnostics = match mapping::compile(&mapping) {
            Ok(plan) => {
                out.push_str("accepted\n");
                plan.warnings().to_vec()
            }
            Err(all) => {
                out.push_str("rejected\n");
                all
            }
        };
        for d in &diagnostics {
            out.push_str(&diagnostics::render(d, "mapping", &source_of(&mapping, d)));
        }
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

#[test]
fn every_diagnostic_is_documented_and_its_labels_lie_inside_their_string() {
    for mapping in mappings() {
        let diagnostics = match mapping::compile(&mapping) {
            Ok(plan) => plan.warnings().to_vec(),
            Err(all) => all,
        };
        assert!(!diagnostics.is_empty(), "{mapping}: nothing reported");
        for d in diagnostics {
            assert!(
                diagnostics::codes::describe(d.code).is_some(),
                "{mapping}: {}",
                d.code
            );
            assert!(d.pointer.is_some(), "{mapping}: {} has no pointer", d.code);
            let source = source_of(&mapping, &d);
            for label in &d.labels {
                assert!(
                    label.span.end as usize <= source.len(),
                    "{mapping}: {label:?}"
                );
                assert!(source.is_char_boundary(label.span.start as usize));
            }
        }
    }
}

/// Found by the fuzz target: pointers must name the place in the mapping as written,
/// inside `@arrayPath` items and under a root directive too.
#[test]
fn pointers_name_the_place_in_the_mapping_as_written() {
    let cases = [
        (
            json!({"a": {"@arrayPath": [{"@path": "$.items"}, {"s": {"@case": "$.sku"}}]}}),
            "/a/@arrayPath/1/s/@case",
        ),
        (json!({"a": {"@arrayPath": [5]}}), "/a/@arrayPath/0"),
        (
            json!({"__segment_internal_directive": {"@transform": {"apply": {"u": {"@path": "$.userId"}}}}, "miss": {"@json": "$.event"}}),
            "/miss/@json",
        ),
        (
            json!({"__segment_internal_directive": {"@transform": {"apply": {"u": {"@path": 5}}}}}),
            "/__segment_internal_directive/@transform/apply/u/@path",
        ),
    ];
    for (mapping, pointer) in cases {
        let errors = mapping::compile(&mapping).expect_err("the mapping is invalid");
        let pointers: Vec<_> = errors.iter().filter_map(|d| d.pointer.as_deref()).collect();
        assert_eq!(pointers, [pointer], "{mapping}");
        assert!(
            mapping.pointer(pointer).is_some(),
            "{pointer} is not in {mapping}"
        );
    }
}
