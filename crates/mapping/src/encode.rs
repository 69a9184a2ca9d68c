//! The compiled node tree as compact JSON, for the page engine (`iaPlan`, version 1):
//! each node is an array whose first element is its tag. The encoding is a wire format
//! of its own, so the `Node` tree stays free to change shape; see the shared spec of
//! the lean page engine for the tags.

use crate::compile::{JsonMode, Node, Replace};
use crate::path::{Part, Path, Template};
use serde_json::{json, Value};

/// One node, encoded.
pub(crate) fn node(n: &Node) -> Value {
    let tagged = |tag: &str, rest: Vec<Value>| {
        let mut items = Vec::with_capacity(rest.len() + 1);
        items.push(Value::from(tag));
        items.extend(rest);
        Value::Array(items)
    };
    let opt = |n: &Option<Box<Node>>| n.as_deref().map_or(Value::Null, node);
    match n {
        Node::Undefined => tagged("u", vec![]),
        Node::Const(v) => tagged("c", vec![v.clone()]),
        Node::Array(items) => tagged("a", items.iter().map(node).collect()),
        Node::Object(pairs) => tagged(
            "o",
            pairs
                .iter()
                .flat_map(|(k, v)| [Value::from(k.as_str()), node(v)])
                .collect(),
        ),
        Node::Path(p) => tagged("p", keys(p)),
        Node::DynPath(m) => tagged("dp", vec![node(m)]),
        Node::Template(Template::Parts(parts)) => tagged(
            "t",
            parts
                .iter()
                .map(|part| match part {
                    Part::Text(t) => Value::from(t.as_str()),
                    Part::Hole(p) => Value::Array(keys(p)),
                })
                .collect(),
        ),
        Node::Template(Template::Dynamic(text)) => tagged("t!", vec![Value::from(text.as_str())]),
        Node::DynTemplate(m) => tagged("dt", vec![node(m)]),
        Node::If {
            exists,
            test,
            then,
            otherwise,
        } => tagged(
            "if",
            vec![Value::Bool(*exists), node(test), opt(then), opt(otherwise)],
        ),
        Node::Case { operator, value } => tagged("case", vec![operator.clone(), node(value)]),
        Node::Replace(r) => {
            let Replace {
                value,
                pattern,
                replacement,
                pattern2,
                replacement2,
                ignorecase,
                global,
            } = r.as_ref();
            tagged(
                "r",
                vec![
                    value.as_ref().map_or(Value::Null, node),
                    pattern.clone(),
                    replacement.clone(),
                    ignorecase.clone(),
                    global.clone(),
                    pattern2.clone(),
                    replacement2.clone(),
                ],
            )
        }
        Node::ArrayPath { root, shape } => tagged("ap", vec![node(root), opt(shape)]),
        Node::Json { mode, value } => {
            let mode = match mode {
                JsonMode::Encode => "encode",
                JsonMode::Decode => "decode",
                JsonMode::Other => "other",
            };
            tagged("json", vec![Value::from(mode), node(value)])
        }
        Node::Flatten {
            separator,
            value,
            omit_arrays,
        } => tagged(
            "flat",
            vec![node(separator), node(value), Value::Bool(*omit_arrays)],
        ),
        Node::Merge { direction, objects } => {
            let objects = match objects {
                Ok(items) => Value::Array(items.iter().map(node).collect()),
                Err(message) => json!({ "error": message }),
            };
            tagged("merge", vec![node(direction), objects])
        }
        Node::Transform { apply, mapping } => {
            let apply = match apply {
                Ok(m) => node(m),
                Err(message) => json!({ "error": message }),
            };
            tagged("tr", vec![apply, node(mapping)])
        }
        Node::ExcludeWhenNull(m) => tagged("ewn", vec![node(m)]),
        Node::Fail(message) => tagged("fail", vec![Value::from(message.as_str())]),
    }
}

/// A path's keys; none for the whole data.
fn keys(p: &Path) -> Vec<Value> {
    match p {
        Path::Whole => Vec::new(),
        Path::Keys(keys) => keys.iter().map(|k| Value::from(k.as_str())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    fn nodes(mapping: Value) -> Value {
        crate::compile(&mapping)
            .unwrap_or_else(|e| panic!("{mapping} does not compile: {e:?}"))
            .page_nodes()
    }

    /// Wraps one field's expected encoding in the object the mapping lowers to.
    fn field(m: Value) -> Value {
        json!(["o", "x", m])
    }

    #[test]
    fn every_node_kind_has_its_tag() {
        let cases = [
            (
                json!({"x": {"@path": "$.a.b"}}),
                field(json!(["p", "a", "b"])),
            ),
            (json!({"x": {"@path": ""}}), field(json!(["p"]))),
            (
                json!({"x": {"@path": {"@path": "$.p"}}}),
                field(json!(["dp", ["p", "p"]])),
            ),
            (
                json!({"x": {"@template": "Hi {{ traits.name }}!{{.}}"}}),
                field(json!(["t", "Hi ", ["traits", "name"], "!", []])),
            ),
            (
                json!({"x": {"@template": "{{{a}}}"}}),
                field(json!(["t!", "{{{a}}}"])),
            ),
            (
                json!({"x": {"@template": {"@path": "$.t"}}}),
                field(json!(["dt", ["p", "t"]])),
            ),
            (
                json!({"x": {"@if": {"exists": {"@path": "$.a"}, "then": 1, "else": {"@path": "$.b"}}}}),
                field(json!(["if", true, ["p", "a"], ["c", 1], ["p", "b"]])),
            ),
            (
                json!({"x": {"@if": {"blank": {"@path": "$.a"}, "then": "y"}}}),
                field(json!(["if", false, ["p", "a"], ["c", "y"], null])),
            ),
            (
                json!({"x": {"@case": {"operator": "lower", "value": {"@path": "$.a"}}}}),
                field(json!(["case", "lower", ["p", "a"]])),
            ),
            (
                json!({"x": {"@replace": {"pattern": "a", "replacement": "b", "pattern2": "c", "value": {"@path": "$.s"}}}}),
                field(json!(["r", ["p", "s"], "a", "b", false, true, "c", ""])),
            ),
            (
                json!({"x": {"@replace": {"pattern": "a", "value": ""}}}),
                field(json!(["r", null, "a", "", false, true, null, ""])),
            ),
            (
                json!({"x": {"@arrayPath": ["$.items", {"n": {"@path": "$.name"}}]}}),
                field(json!(["ap", ["p", "items"], ["o", "n", ["p", "name"]]])),
            ),
            (
                json!({"x": {"@arrayPath": ["$.items"]}}),
                field(json!(["ap", ["p", "items"], null])),
            ),
            (
                json!({"x": {"@json": {"mode": "encode", "value": {"@path": "$.a"}}}}),
                field(json!(["json", "encode", ["p", "a"]])),
            ),
            (
                json!({"x": {"@json": {"mode": "decode", "value": {"@path": "$.a"}}}}),
                field(json!(["json", "decode", ["p", "a"]])),
            ),
            (
                json!({"x": {"@flatten": {"separator": ".", "value": {"@path": "$.o"}, "omitArrays": true}}}),
                field(json!(["flat", ["c", "."], ["p", "o"], true])),
            ),
            (
                json!({"x": {"@merge": {"direction": "left", "objects": [{"@path": "$.a"}, {"k": 1}]}}}),
                field(json!(["merge", ["c", "left"], [["p", "a"], ["c", {"k": 1}]]])),
            ),
            // Array elements are never validated: errors wait for evaluation.
            (
                json!({"x": [{"@merge": {"direction": "left", "objects": 5}}]}),
                field(
                    json!(["a", ["merge", ["c", "left"], {"error": "@merge: expected opts.array, got number"}]]),
                ),
            ),
            (
                json!({"x": {"@transform": {"apply": {"n": {"@path": "$.a"}}, "mapping": {"@path": "$.m"}}}}),
                field(json!(["tr", ["o", "n", ["p", "a"]], ["p", "m"]])),
            ),
            (
                json!({"x": {"@excludeWhenNull": {"@path": "$.a"}}}),
                field(json!(["ewn", ["p", "a"]])),
            ),
            (
                json!({"x": [{"@path": "$.a"}, 2, {"@nope": 1}]}),
                field(json!([
                    "a",
                    ["p", "a"],
                    ["c", 2],
                    ["fail", "@nope is not a valid directive, got undefined"]
                ])),
            ),
            (
                json!({"x": {"k": [1, {"v": null}]}, "y": {"@path": "$.y"}}),
                json!(["o", "x", ["c", {"k": [1, {"v": null}]}], "y", ["p", "y"]]),
            ),
        ];
        for (mapping, expected) in cases {
            assert_eq!(nodes(mapping.clone()), expected, "for {mapping}");
        }
    }

    #[test]
    fn undefined_fail_and_transform_errors_are_encoded() {
        // `@case` with a falsy `value` resolves nothing.
        assert_eq!(
            nodes(json!({"x": {"@case": {"operator": "upper", "value": ""}}})),
            field(json!(["case", "upper", ["u"]]))
        );
        let failing = json!({"x": [{"@if": {"then": 1}}]});
        assert_eq!(
            nodes(failing),
            field(json!([
                "a",
                ["fail", "@if requires an \"exists\" key or a \"blank\" key"]
            ]))
        );
        let apply_error =
            nodes(json!({"x": [{"@transform": {"apply": {"@path": 1}, "mapping": {"k": 1}}}]}));
        let tr = &apply_error[2][1];
        assert_eq!(tr[0], "tr", "{apply_error}");
        assert!(tr[1]["error"].is_string(), "{apply_error}");
        assert_eq!(tr[2], json!(["c", {"k": 1}]));
    }
}
