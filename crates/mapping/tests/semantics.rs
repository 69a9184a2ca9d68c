//! The reference's odd corners, each pinned by an example (answers observed from
//! `@segment/actions-core@3.170.0`).

use serde_json::{json, Value};

fn event() -> Value {
    json!({
        "type": "track", "event": "Order Completed", "userId": "u1",
        "properties": {
            "price": 5, "name": "X", "s": "str", "zero": 0, "empty": "", "f": false, "nul": null,
            "items": [{"id": 1, "n": "a"}, {"id": 2, "n": "b"}], "one": {"id": 9, "n": "z"},
            "nested": {"a": {"b": "deep"}, "arr": [1, 2]}, "dot.key": "dotted",
            "json": "{\"k\":[1,2]}", "bad": "{oops", "big": 12345678901234567890u64
        },
        "arr0": []
    })
}

fn run(mapping: Value) -> Option<Value> {
    let plan = mapping::compile(&mapping).unwrap_or_else(|e| panic!("{mapping}: {e:?}"));
    plan.evaluate(&event())
        .unwrap_or_else(|e| panic!("{mapping}: {e}"))
}

fn field(directive: Value) -> Option<Value> {
    run(json!({ "a": directive })).and_then(|o| o.get("a").cloned())
}

fn runtime_error(mapping: Value) -> String {
    let plan = mapping::compile(&mapping).unwrap_or_else(|e| panic!("{mapping}: {e:?}"));
    plan.evaluate(&event())
        .expect_err("a runtime error")
        .to_string()
}

fn rejected(mapping: Value) -> Vec<(String, &'static str)> {
    mapping::compile(&mapping)
        .expect_err("rejected")
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| (d.pointer.clone().unwrap_or_default(), d.code))
        .collect()
}

#[test]
fn paths_strip_the_first_dollar_dot_and_stop_at_falsy_values() {
    assert_eq!(field(json!({"@path": "$"})), None);
    let whole = field(json!({"@path": "$."})).expect("the whole event");
    assert_eq!(whole["userId"], "u1");
    // Integers beyond 2^53 come out as JavaScript holds them, as doubles.
    assert_eq!(whole["properties"]["big"], json!(12345678901234567000u64));
    assert_eq!(
        field(json!({"@path": "properties.$.name"})),
        Some(json!("X"))
    );
    assert_eq!(
        field(json!({"@path": "$.properties.zero.x"})),
        Some(json!(0))
    );
    assert_eq!(
        field(json!({"@path": "$.properties.empty.x"})),
        Some(json!(""))
    );
    assert_eq!(
        field(json!({"@path": "$.properties.nul"})),
        Some(Value::Null)
    );
    assert_eq!(field(json!({"@path": "$.properties['dot.key']"})), None);
    assert_eq!(
        field(json!({"@path": "$.properties.items[1].n"})),
        Some(json!("b"))
    );
    assert_eq!(field(json!({"@path": "$.event.length"})), Some(json!(15)));
}

#[test]
fn undefined_is_removed_from_objects_but_kept_in_arrays() {
    assert_eq!(
        run(json!({"a": {"@path": "$.nope"}, "b": [{"@path": "$.nope"}, 1]})),
        Some(json!({"b": [null, 1]}))
    );
    assert_eq!(run(json!({"@path": "$.nope"})), None);
}

#[test]
fn templates_render_values_the_javascript_way() {
    let t = |s: &str| field(json!({ "@template": s }));
    assert_eq!(
        t("[{{properties.nul}}][{{properties.zero}}][{{properties.f}}]"),
        Some(json!("[][0][false]"))
    );
    assert_eq!(
        t("{{properties.items}}"),
        Some(json!("[object Object],[object Object]"))
    );
    assert_eq!(t("{{properties.nested.arr}}"), Some(json!("1,2")));
    assert_eq!(t("{{{userId}}}|{{{userId}}"), Some(json!("u1|")));
    assert_eq!(t("{{}}"), Some(json!("{{}}")));
    assert_eq!(t("{{properties.big}}"), Some(json!("12345678901234567000")));
}

#[test]
fn literal_still_resolves_directives() {
    assert_eq!(
        field(json!({"@literal": {"@path": "$.event"}})),
        Some(json!("Order Completed"))
    );
    let plan = mapping::compile(&json!({"a": {"@literal": {"@path": "$.event"}}})).unwrap();
    assert_eq!(plan.warnings()[0].code, "MAP150");
}

#[test]
fn if_treats_blank_and_else_oddly() {
    let f = |opts: Value| field(json!({ "@if": opts }));
    assert_eq!(
        f(json!({"blank": {"@path": "$.properties.zero"}, "then": "y", "else": "n"})),
        Some(json!("n"))
    );
    assert_eq!(
        f(json!({"blank": {"@path": "$.arr0"}, "then": "y", "else": "n"})),
        Some(json!("n"))
    );
    assert_eq!(
        f(json!({"exists": {"@path": "$.properties.zero"}, "then": "y", "else": "n"})),
        Some(json!("y"))
    );
    assert_eq!(
        f(json!({"exists": {"@path": "$.userId"}, "then": null})),
        Some(Value::Null)
    );
    assert_eq!(
        f(json!({"exists": {"@path": "$.nope"}, "then": "y", "else": ""})),
        None
    );
    assert!(
        runtime_error(json!({"a": {"@if": {"exists": false, "then": 1}}}))
            .contains("\"exists\" key or a \"blank\" key")
    );
}

#[test]
fn case_returns_non_strings_unchanged() {
    let c = |opts: Value| field(json!({ "@case": opts }));
    assert_eq!(
        c(json!({"operator": "upper", "value": "straße"})),
        Some(json!("STRASSE"))
    );
    assert_eq!(
        c(json!({"operator": "other", "value": {"@path": "$.properties.price"}})),
        Some(json!(5))
    );
    assert!(
        runtime_error(json!({"a": {"@case": {"operator": "other", "value": "x"}}}))
            .contains("lower")
    );
}

#[test]
fn replace_keeps_javascript_replacement_patterns() {
    let r = |opts: Value| field(json!({ "@replace": opts }));
    assert_eq!(
        r(json!({"pattern": "x", "replacement": "$&$&", "value": "axb"})),
        Some(json!("axxb"))
    );
    assert_eq!(
        r(json!({"pattern": "x", "replacement": "[$`]", "value": "axb"})),
        Some(json!("a[a]b"))
    );
    assert_eq!(
        r(json!({"pattern": "5", "replacement": "five", "value": {"@path": "$.properties.price"}})),
        Some(json!("five"))
    );
    assert_eq!(
        r(json!({"pattern": "a", "replacement": "b", "value": {"@path": "$.properties.f"}})),
        Some(json!("fblse"))
    );
    assert_eq!(
        r(json!({"pattern": "a", "value": {"@path": "$.nope"}})),
        Some(json!(""))
    );
    assert_eq!(
        r(json!({"pattern": "A", "value": "aAa", "ignorecase": true, "global": false})),
        Some(json!("Aa"))
    );
    assert_eq!(
        rejected(json!({"a": {"@replace": {"pattern": "abcdefghijk", "value": "x"}}})),
        [("/a/@replace/pattern".to_string(), "MAP105")]
    );
}

#[test]
fn array_path_applies_a_shape_to_each_item() {
    let a = |v: Value| field(json!({ "@arrayPath": v }));
    assert_eq!(
        a(json!(["$.properties.items", {"x": {"@path": "$.id"}}])),
        Some(json!([{"x": 1}, {"x": 2}]))
    );
    assert_eq!(
        a(json!(["$.properties.one", {"x": {"@path": "$.id"}}])),
        Some(json!([{"x": 9}]))
    );
    assert_eq!(
        a(json!(["$.properties.items", {"@path": "$.n"}])),
        Some(json!(["a", "b"]))
    );
    assert_eq!(a(json!(["$.properties.s", {"x": 1}])), Some(json!("str")));
    assert_eq!(
        a(json!(["$.properties.nested.arr", {"x": {"@path": ""}}])),
        Some(json!([{"x": 1}, {"x": 2}]))
    );
}

#[test]
fn json_flatten_merge_transform_and_exclude_when_null() {
    assert_eq!(
        field(
            json!({"@json": {"mode": "encode", "value": {"b": 1, "10": 2, "x": {"@path": "$.nope"}}}})
        ),
        Some(json!("{\"10\":2,\"b\":1}"))
    );
    assert_eq!(
        field(json!({"@json": {"mode": "decode", "value": {"@path": "$.properties.bad"}}})),
        Some(json!("{oops"))
    );
    assert_eq!(
        field(json!({"@json": {"mode": "ENCODE", "value": "x"}})),
        None
    );
    assert_eq!(
        field(json!({"@flatten": {"separator": ".", "value": {"@path": "$.properties.nested"}}})),
        Some(json!({"a.b": "deep", "arr.0": 1, "arr.1": 2}))
    );
    assert_eq!(
        field(json!({"@flatten": {"separator": ".", "value": "s"}})),
        Some(json!({"": "s"}))
    );
    assert_eq!(
        field(
            json!({"@merge": {"direction": "right", "objects": [{"a": 1}, {"a": {"@path": "$.nope"}}, {"@path": "$.properties.s"}]}})
        ),
        Some(json!({"0": "s", "1": "t", "2": "r"}))
    );
    assert_eq!(
        field(json!({"@merge": {"direction": "left", "objects": [{"a": 1}, {"a": 2}]}})),
        Some(json!({"a": 1}))
    );
    assert_eq!(
        field(
            json!({"@transform": {"apply": {"x": {"@path": "$.userId"}}, "mapping": {"y": {"@path": "$.x"}}}})
        ),
        Some(json!({"y": "u1"}))
    );
    assert_eq!(
        field(json!({"@excludeWhenNull": {"x": null, "y": [null], "z": {"w": null}}})),
        Some(json!({"y": [null], "z": {}}))
    );
    assert_eq!(
        field(json!({"@excludeWhenNull": {"@path": "$.properties.nul"}})),
        None
    );
}

#[test]
fn the_root_directive_key_moves_the_other_keys_into_its_mapping() {
    let m = json!({"__segment_internal_directive": {"@transform": {"apply": {"x": {"@path": "$.userId"}}}}, "b": {"@path": "$.x"}});
    assert_eq!(run(m), Some(json!({"b": "u1"})));
    assert_eq!(
        rejected(json!({"__segment_internal_directive": "a"}))[0].1,
        "MAP107"
    );
}

#[test]
fn mappings_that_are_not_objects_spread_like_javascript() {
    assert_eq!(run(json!("ab")), Some(json!({"0": "a", "1": "b"})));
    assert_eq!(
        run(json!([{"@path": "$.userId"}])),
        Some(json!({"0": "u1"}))
    );
    assert_eq!(run(json!(5)), Some(json!({})));
    assert_eq!(rejected(Value::Null)[0].1, "MAP108");
}

#[test]
fn validation_reports_every_problem_with_its_pointer() {
    let found = rejected(
        json!({"a": {"b": {"@foo": 1}}, "c": {"@path": 5}, "d": {"@json": {"mode": "x"}}}),
    );
    assert_eq!(
        found,
        [
            ("/a/b".to_string(), "MAP101"),
            ("/c/@path".to_string(), "MAP103"),
            ("/d/@json".to_string(), "MAP104"),
            ("/d/@json/mode".to_string(), "MAP106"),
        ]
    );
}

#[test]
fn array_elements_are_not_validated_but_fail_when_evaluated() {
    let err = runtime_error(json!({"a": [{"@foo": 1}]}));
    assert_eq!(err, "@foo is not a valid directive, got undefined");
    assert!(runtime_error(json!({"a": [{"@path": 5}]})).contains("expected string, got number"));
}

#[test]
fn events_must_be_plain_objects() {
    let plan = mapping::compile(&json!({})).unwrap();
    let err = plan.evaluate(&json!([1])).unwrap_err();
    assert_eq!(err.kind(), mapping::EvalErrorKind::Data);
    assert_eq!(err.to_string(), "data must be an object, got array");
}

#[test]
fn liquid_is_rejected_and_deep_mappings_are_bounded() {
    assert_eq!(
        rejected(json!({"a": {"@liquid": "{{ x }}"}}))[0].1,
        "MAP109"
    );
    assert_eq!(
        rejected(json!({"a": [{"@liquid": "{{ x }}"}]}))[0].1,
        "MAP109"
    );
    let mut deep = json!({"@path": "$.userId"});
    for _ in 0..10_000 {
        // Not `json!`, which would serialise `deep` again, recursively.
        let mut m = serde_json::Map::new();
        m.insert("@literal".into(), deep);
        deep = Value::Object(m);
    }
    let errors = mapping::compile(&deep).expect_err("too deep");
    assert_eq!(errors[0].code, "MAP110");
    // Dropping a deep serde_json value recurses; leak it rather than test serde_json.
    std::mem::forget(deep);
    let mut ok = json!({"@path": "$.userId"});
    for _ in 0..60 {
        ok = json!({ "@literal": ok });
    }
    assert_eq!(run(json!({ "a": ok })), Some(json!({"a": "u1"})));
}
