//! Generates mappings and events over every mapping-kit directive, nested, with
//! malformed options, unknown directives and mixed keys among them.

use crate::rng::Rng;
use serde_json::{json, Map, Value};

const PATHS: &[&str] = &[
    "$.event",
    "$.userId",
    "$.type",
    "$.properties.price",
    "$.properties.name",
    "$.properties.items",
    "$.properties.items[1].n",
    "properties.items.0.n",
    "$.properties.items[0][\"n\"]",
    "$",
    "",
    "$.",
    ".",
    "$.properties.zero.x",
    "$.properties.empty.x",
    "$.properties.f.x",
    "$.properties.nul.x",
    "$.properties.nul",
    "$.traits",
    "$.traits.email",
    "$.context.traits.email",
    "$.properties['dot.key']",
    "$.nope",
    "$.nope.deeper",
    " $.event",
    "$$.event",
    "$.event.length",
    "$.properties.s",
    "$.properties.one",
    "$.properties.nested",
    "$.properties.nested.arr",
    "$.properties.json",
    "$.properties.bad",
    "$.arr0",
    "$.properties.items.1",
    "properties.$.name",
    "$.properties.nested.a.b",
    "$.properties.upper",
    "$.properties.num_str",
];
const TEMPLATES: &[&str] = &[
    "Hi {{userId}}",
    "{{properties.price}}",
    "{{{userId}}}",
    "{{ }}",
    "{{}}",
    "{{properties.items}}",
    "{{properties.nested}}",
    "[{{properties.nul}}]",
    "[{{properties.zero}}]",
    "[{{properties.f}}]",
    "{{nope}}!",
    "{{$.userId}}",
    "{{{userId}}",
    "{{properties.items.0.n}}",
    "plain",
    "",
    "{{ event }} by {{ userId }}",
    "{{properties.nested.arr}}",
    "{{traits.email}}-{{type}}",
    "{{properties.s}}{{properties.s}}",
    "{{properties.price}}.00 €",
    "{{properties}}",
];
const STRINGS: &[&str] = &[
    "x",
    "Order",
    "",
    "ÉTÉ ß",
    "a.b",
    "$.event",
    "{{userId}}",
    "5",
    "true",
    "hello world",
];

fn path(rng: &mut Rng) -> String {
    rng.pick(PATHS).to_string()
}

fn leaf(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(rng.pick(STRINGS)),
        1 => json!(rng.pick(&[0.0, 1.0, -2.5, 42.0, 1e21])),
        2 => json!(rng.chance(50)),
        3 => Value::Null,
        4 => json!([1, "a", null]),
        5 => json!({"k": "v", "n": null}),
        6 => json!(rng.below(100)),
        _ => json!(path(rng)),
    }
}

fn path_value(rng: &mut Rng, depth: u32) -> Value {
    if depth < 3 && rng.chance(10) {
        return json!({"@template": rng.pick(&["properties.{{k}}", "$.{{k}}", "traits.email", "{{nope}}"])});
    }
    if rng.chance(4) {
        return leaf(rng);
    }
    json!(path(rng))
}

/// A value for a directive option: usually a `@path`, sometimes anything.
fn operand(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(10) {
        0..=5 => json!({"@path": path(rng)}),
        6..=7 => leaf(rng),
        _ => value(rng, depth + 1),
    }
}

/// Inserts `key` with probability `percent`%, so options go missing too.
fn maybe(
    rng: &mut Rng,
    m: &mut Map<String, Value>,
    key: &str,
    percent: u64,
    v: impl FnOnce(&mut Rng) -> Value,
) {
    if rng.chance(percent) {
        let v = v(rng);
        m.insert(key.into(), v);
    }
}

pub fn directive(rng: &mut Rng, depth: u32) -> Value {
    let mut o = Map::new();
    match rng.below(15) {
        0 | 1 => json!({"@path": path_value(rng, depth)}),
        2 => {
            json!({"@template": if rng.chance(92) { json!(rng.pick(TEMPLATES)) } else { path_value(rng, depth) }})
        }
        3 => {
            json!({"@literal": if rng.chance(50) { leaf(rng) } else { value(rng, depth + 1) }})
        }
        4 => {
            let key = if rng.chance(60) { "exists" } else { "blank" };
            maybe(rng, &mut o, key, 92, |rng| operand(rng, depth));
            maybe(rng, &mut o, "then", 80, |rng| {
                if rng.chance(70) {
                    leaf(rng)
                } else {
                    operand(rng, depth)
                }
            });
            maybe(rng, &mut o, "else", 70, |rng| {
                if rng.chance(70) {
                    leaf(rng)
                } else {
                    operand(rng, depth)
                }
            });
            if rng.chance(5) {
                o.insert("exists".into(), json!(false));
            }
            json!({"@if": if rng.chance(96) { Value::Object(o) } else { leaf(rng) }})
        }
        5 => {
            maybe(rng, &mut o, "operator", 90, |rng| {
                json!(rng.pick(&["lower", "upper", "upper", "lower", "title", ""]))
            });
            maybe(rng, &mut o, "value", 92, |rng| {
                if rng.chance(85) {
                    json!({"@path": path(rng)})
                } else {
                    leaf(rng)
                }
            });
            json!({"@case": o})
        }
        6 => {
            maybe(rng, &mut o, "pattern", 93, |rng| {
                json!(rng.pick(&[
                    "e",
                    "O",
                    "a.b",
                    "$",
                    "xx",
                    "01234567890",
                    ".",
                    "é",
                    "o",
                    " "
                ]))
            });
            maybe(rng, &mut o, "replacement", 80, |rng| {
                json!(rng.pick(&[
                    "",
                    "_",
                    "$&$&",
                    "[$`]",
                    "$'",
                    "$$",
                    "$1",
                    "0123456789X",
                    "-"
                ]))
            });
            maybe(rng, &mut o, "value", 93, |rng| operand(rng, depth));
            maybe(rng, &mut o, "ignorecase", 30, |rng| {
                if rng.chance(90) {
                    json!(rng.chance(50))
                } else {
                    json!("yes")
                }
            });
            maybe(rng, &mut o, "global", 30, |rng| {
                if rng.chance(90) {
                    json!(rng.chance(50))
                } else {
                    json!(1)
                }
            });
            if rng.chance(15) {
                o.insert("pattern2".into(), json!(rng.pick(&["r", "d", ""])));
                maybe(rng, &mut o, "replacement2", 60, |rng| {
                    json!(rng.pick(&["R", "", "$&"]))
                });
            }
            json!({"@replace": o})
        }
        7 => {
            let mut items = vec![if rng.chance(85) {
                json!(path(rng))
            } else {
                operand(rng, depth)
            }];
            if rng.chance(80) {
                items.push(if rng.chance(80) {
                    object(rng, depth + 1)
                } else {
                    leaf(rng)
                });
            }
            if rng.chance(5) {
                items.clear();
            }
            json!({"@arrayPath": items})
        }
        8 => {
            maybe(rng, &mut o, "mode", 93, |rng| {
                json!(rng.pick(&["encode", "decode", "ENCODE", "Decode", "other"]))
            });
            maybe(rng, &mut o, "value", 93, |rng| operand(rng, depth));
            json!({"@json": o})
        }
        9 => {
            maybe(rng, &mut o, "separator", 93, |rng| {
                json!(rng.pick(&[".", "_", "", "::"]))
            });
            maybe(rng, &mut o, "value", 93, |rng| operand(rng, depth));
            maybe(rng, &mut o, "omitArrays", 30, |rng| json!(rng.chance(50)));
            json!({"@flatten": o})
        }
        10 => {
            maybe(rng, &mut o, "direction", 93, |rng| {
                json!(rng.pick(&["left", "right", "RIGHT", "Left", "up"]))
            });
            let n = rng.below(4);
            let objects: Vec<Value> = (0..n)
                .map(|_| {
                    if rng.chance(70) {
                        operand(rng, depth)
                    } else {
                        object(rng, depth + 1)
                    }
                })
                .collect();
            maybe(rng, &mut o, "objects", 93, |rng| {
                if rng.chance(95) {
                    Value::Array(objects)
                } else {
                    leaf(rng)
                }
            });
            json!({"@merge": o})
        }
        11 => {
            maybe(rng, &mut o, "apply", 93, |rng| object(rng, depth + 1));
            maybe(rng, &mut o, "mapping", 93, |rng| {
                if rng.chance(70) {
                    object(rng, depth + 1)
                } else {
                    operand(rng, depth)
                }
            });
            json!({"@transform": o})
        }
        12 => json!({"@excludeWhenNull": operand(rng, depth)}),
        13 => {
            // Malformed on purpose.
            match rng.below(6) {
                0 => json!({"@foo": 1}),
                1 => json!({"@Path": "$.event"}),
                2 => json!({"@path": "$.event", "@template": "x"}),
                3 => json!({"@path": "$.event", "other": 1}),
                4 => json!({"@path": 5}),
                _ => json!({"@path": "$.event", "_metadata": {"x": 1}}),
            }
        }
        _ => json!({"@path": path(rng)}),
    }
}

fn object(rng: &mut Rng, depth: u32) -> Value {
    let n = 1 + rng.below(4);
    let mut o = Map::new();
    for i in 0..n {
        let key = rng
            .pick(&[
                "a",
                "b",
                "name",
                "traits",
                "x",
                "nested",
                "1",
                "user_id",
                "__proto__",
            ])
            .to_string();
        let key = if o.contains_key(&key) {
            format!("{key}{i}")
        } else {
            key
        };
        o.insert(key, value(rng, depth + 1));
    }
    Value::Object(o)
}

pub fn value(rng: &mut Rng, depth: u32) -> Value {
    if depth >= 4 {
        return if rng.chance(60) {
            json!({"@path": path(rng)})
        } else {
            leaf(rng)
        };
    }
    match rng.below(10) {
        0..=5 => directive(rng, depth),
        6..=7 => object(rng, depth),
        8 => Value::Array((0..rng.below(3)).map(|_| value(rng, depth + 1)).collect()),
        _ => leaf(rng),
    }
}

pub fn mapping(rng: &mut Rng) -> Value {
    match rng.below(40) {
        0 => directive(rng, 0),
        1 => {
            json!({"__segment_internal_directive": {"@transform": {"apply": object(rng, 2)}}, "x": {"@path": path(rng)}})
        }
        2 => leaf(rng),
        _ => object(rng, 0),
    }
}

pub fn event(rng: &mut Rng) -> Option<Value> {
    if rng.chance(3) {
        return None;
    }
    if rng.chance(1) {
        return Some(rng.pick(&[Value::Null, json!([1]), json!("s")]).clone());
    }
    let pick = |rng: &mut Rng, options: &[Value]| rng.pick(options).clone();
    let mut e = json!({
        "type": pick(rng, &[json!("track"), json!("identify"), json!("page")]),
        "event": pick(rng, &[json!("Order Completed"), json!("Signed Up"), json!(null), json!("")]),
        "userId": pick(rng, &[json!("u1"), json!(""), json!(5), json!(null), json!("User-ÉTÉ")]),
        "properties": {
            "price": pick(rng, &[json!(5), json!(19.99), json!(0), json!("5"), json!(-1.5)]),
            "name": pick(rng, &[json!("X"), json!("Shoe"), json!(""), json!(null)]),
            "s": "str",
            "items": pick(rng, &[json!([{"id": 1, "n": "a"}, {"id": 2, "n": "b"}]), json!([]), json!({"id": 3, "n": "c"}), json!("items")]),
            "one": {"id": 9, "n": "z"},
            "nested": {"a": {"b": "deep"}, "arr": [1, 2], "nl": null},
            "dot.key": "dotted",
            "nul": null, "zero": 0, "empty": "", "f": false,
            "json": "{\"k\":[1,2]}", "bad": "{oops", "upper": "MiXeD Case", "num_str": "42"
        },
        "arr0": [],
        "traits": pick(rng, &[json!({"email": "e@x", "nul": null, "name": "T", "address": {"city": null, "zip": "1"}}), json!(null), json!({})]),
        "context": {"traits": {"email": "ctx@x", "plan": "pro"}},
        "k": pick(rng, &[json!("name"), json!("s"), json!(7)])
    });
    if rng.chance(20) {
        if let Some(o) = e.as_object_mut() {
            o.remove("properties");
        }
    }
    Some(e)
}
