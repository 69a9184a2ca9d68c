//! Generates Iterate destination settings (presets, custom triggers and mappings,
//! disabled and broken subscriptions) and events of every type, with the payload
//! shapes validation must sort out: missing, empty, numeric and nested values.

use crate::rng::Rng;
use crate::{gen_fql, gen_mapping};
use serde_json::{json, Value};

const TRIGGERS: &[&str] = &[
    r#"type = "track""#,
    r#"type = "identify""#,
    r#"type = "page""#,
    r#"event = "Signed Up""#,
    r#"type = "track" and event = "Order Completed""#,
    r#"properties.plan = "pro""#,
    r#"userId != null"#,
    r#"type = "identify" and contains(traits.email, "@")"#,
    r#"type = "track" or type = "identify""#,
    r#"type = "group""#,
    r#"type = "alias""#,
    r#"type = "screen""#,
];

const NAME_MAPPINGS: &[&str] = &[
    r#"{"@path": "$.event"}"#,
    r#"{"@path": "$.properties.name"}"#,
    r#"{"@path": "$.name"}"#,
    r#"{"@template": "{{event}} ({{properties.plan}})"}"#,
    r#"{"@if": {"exists": {"@path": "$.event"}, "then": {"@path": "$.event"}, "else": "Page Viewed"}}"#,
    r#"{"@case": {"operator": "lower", "value": {"@path": "$.event"}}}"#,
    r#"{"@path": "$.properties.price"}"#,
    r#"{"@path": "$.properties.tags"}"#,
    r#"{"@path": "$.properties"}"#,
    r#""Survey Trigger""#,
    r#"{"@replace": {"pattern": " ", "replacement": "_", "global": true, "value": {"@path": "$.event"}}}"#,
];

const USER_ID_MAPPINGS: &[&str] = &[
    r#"{"@path": "$.userId"}"#,
    r#"{"@path": "$.anonymousId"}"#,
    r#"{"@path": "$.traits.email"}"#,
    r#"{"@template": "user-{{userId}}"}"#,
    r#"{"@path": "$.properties.price"}"#,
    r#"{"@path": "$.context.traits"}"#,
];

const TRAITS_MAPPINGS: &[&str] = &[
    r#"{"@path": "$.traits"}"#,
    r#"{"@path": "$.context.traits"}"#,
    r#"{"email": {"@path": "$.traits.email"}, "plan": {"@path": "$.properties.plan"}}"#,
    r#"{"@path": "$.properties"}"#,
    r#"{"@path": "$.event"}"#,
    r#"{"@flatten": {"separator": ".", "value": {"@path": "$.traits"}}}"#,
    r#"{"@merge": {"direction": "right", "objects": [{"@path": "$.context.traits"}, {"@path": "$.traits"}]}}"#,
    r#"{"@json": {"mode": "decode", "value": {"@path": "$.properties.json"}}}"#,
    r#"{"@arrayPath": ["$.properties.items", {"n": {"@path": "$.n"}}]}"#,
];

fn parse(rng: &mut Rng, options: &[&str]) -> Value {
    let text = *rng.pick::<&str>(options);
    serde_json::from_str(text).expect("generator literal is JSON")
}

fn subscription(rng: &mut Rng, n: usize) -> Value {
    let track = rng.chance(55);
    let action = if rng.chance(3) {
        "sendSurvey"
    } else if track {
        "trackEvent"
    } else {
        "identifyUser"
    };
    let subscribe = if rng.chance(10) {
        gen_fql::trigger(rng)
    } else {
        rng.pick(TRIGGERS).to_string()
    };
    let mut mapping = serde_json::Map::new();
    if track {
        if !rng.chance(5) {
            mapping.insert(
                "name".into(),
                if rng.chance(8) {
                    gen_mapping::value(rng, 2)
                } else {
                    parse(rng, NAME_MAPPINGS)
                },
            );
        }
    } else {
        if rng.chance(85) {
            mapping.insert("userId".into(), parse(rng, USER_ID_MAPPINGS));
        }
        if rng.chance(85) {
            mapping.insert(
                "traits".into(),
                if rng.chance(8) {
                    gen_mapping::value(rng, 2)
                } else {
                    parse(rng, TRAITS_MAPPINGS)
                },
            );
        }
    }
    if rng.chance(5) {
        mapping.insert("extra".into(), json!({"@path": "$.event"}));
    }
    let mapping = if rng.chance(3) {
        gen_mapping::mapping(rng)
    } else {
        Value::Object(mapping)
    };
    let enabled = match rng.below(20) {
        0..=1 => json!(false),
        2 => json!("yes"),
        _ => json!(true),
    };
    let mut sub = json!({"id": format!("s{n}"), "name": format!("Mapping {n}"), "enabled": enabled, "subscribe": subscribe, "partnerAction": action, "mapping": mapping});
    if rng.chance(2) {
        sub.as_object_mut().map(|o| o.remove("enabled"));
    }
    sub
}

/// Settings: the presets first, then generated configurations of 1 to 10 mappings.
pub fn settings(rng: &mut Rng, index: usize) -> Value {
    let presets = json!([
        {"id": "preset-track", "name": "Track Event", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}},
        {"id": "preset-identify", "name": "Identify User", "enabled": true, "subscribe": "type = \"identify\"", "partnerAction": "identifyUser", "mapping": {"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}}}
    ]);
    if index == 0 {
        return json!({"apiKey": "embed-key", "subscriptions": presets});
    }
    let mut subs: Vec<Value> = if rng.chance(50) {
        presets.as_array().cloned().unwrap_or_default()
    } else {
        Vec::new()
    };
    for n in 0..1 + rng.below(10) {
        subs.push(subscription(rng, n));
    }
    json!({"apiKey": "embed-key", "subscriptions": subs})
}

pub fn event(rng: &mut Rng) -> Value {
    let pick = |rng: &mut Rng, options: &[Value]| rng.pick(options).clone();
    let kind = pick(
        rng,
        &[
            json!("track"),
            json!("track"),
            json!("identify"),
            json!("identify"),
            json!("page"),
            json!("screen"),
            json!("group"),
            json!("alias"),
        ],
    );
    let mut e = json!({
        "type": kind,
        "messageId": "m-1",
        "anonymousId": pick(rng, &[json!("anon-1"), json!(null)]),
        "event": pick(rng, &[json!("Signed Up"), json!("Order Completed"), json!(""), json!(null), json!(5), json!(["Wrapped"]), json!(["a", "b"]), json!({"x": 1}), json!(true), json!("Ünïcode 🎉")]),
        "userId": pick(rng, &[json!("u1"), json!(""), json!(42), json!(null), json!("user@example.com"), json!(false), json!([7])]),
        "traits": pick(rng, &[json!({"email": "a@b.co", "plan": "pro"}), json!({"email": "x@y", "external_id": "mine", "nested": {"n": null}}), json!(null), json!("text"), json!([1, 2]), json!(5), json!({}), json!(0), json!([{"wrapped": true}])]),
        "properties": {
            "plan": pick(rng, &[json!("pro"), json!("starter"), json!(null)]),
            "name": pick(rng, &[json!("Thing"), json!(""), json!(null), json!(0)]),
            "price": pick(rng, &[json!(19.99), json!(0), json!("5"), json!(1e21)]),
            "tags": pick(rng, &[json!(["a"]), json!([]), json!(["a", "b"])]),
            "json": pick(rng, &[json!("{\"k\": 1}"), json!("[1]"), json!("nope")]),
            "items": [{"n": 1}, {"n": "two"}]
        },
        "context": {"traits": pick(rng, &[json!({"email": "ctx@b.co"}), json!(null), json!("ctx")])}
    });
    let o = e.as_object_mut().expect("object");
    for key in ["event", "userId", "traits", "properties", "anonymousId"] {
        if rng.chance(12) {
            o.remove(key);
        }
    }
    if rng.chance(10) {
        o.insert(
            "integrations".into(),
            pick(
                rng,
                &[
                    json!({"Iterate Web (Actions)": false}),
                    json!({"All": false}),
                    json!({"All": false, "Iterate Web (Actions) trackEvent": true}),
                    json!({"All": false, "Iterate Web (Actions)": {}}),
                    json!({"Other": false}),
                    json!({"Iterate Web (Actions) identifyUser": false}),
                ],
            ),
        );
    }
    if rng.chance(1) {
        return pick(rng, &[json!([1]), json!(null), json!("track")]);
    }
    e
}
