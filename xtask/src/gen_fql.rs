//! Generates triggers and events over the whole FQL grammar and its corners:
//! every field, operator, function and literal kind, groups, mixed conjunctions,
//! spacing variants, and malformed input made by mutation.

use crate::rng::Rng;
use serde_json::{json, Value};

const FIELDS: &[&str] = &[
    "type",
    "event",
    "name",
    "userId",
    "properties.plan",
    "properties.price",
    "properties.sp",
    "properties.flag",
    "properties.sflag",
    "properties.nul",
    "properties.zero",
    "properties.zero.x",
    "properties.empty",
    "properties.n.d",
    "properties.items",
    "properties.tags.length",
    "properties.missing",
    "properties",
    "traits.email",
    "traits.age",
    "traits.vip",
    "traits.company.name",
    "context.page.path",
    "context.locale",
    "context.traits.plan",
    "context.missing.deep",
    "properties.first-name",
    "properties.a_b",
    "properties.name",
];
const NOISE_FIELDS: &[&str] = &[
    "anonymousId",
    "Type",
    "messageId",
    "EVENT",
    "constructor",
    "propertiesX",
    "traits",
    "context",
];
const OPS: &[&str] = &["=", "!=", "<", "<=", ">", ">="];
const NOISE_OPS: &[&str] = &["==", "=~", "<>", "!", ".", ","];
const STRINGS: &[&str] = &[
    "track",
    "identify",
    "page",
    "Order Completed",
    "Signed Up",
    "pro",
    "5",
    "true",
    "null",
    "",
    "u1",
    "a@b.co",
    "/cart",
    "Shoe",
    "en-US",
    "Order",
    "Completed",
    "rder Completed",
    "*",
    "é",
    "🎉",
    "Order*",
    "*Completed",
    "*Order*",
    "O*d",
    "ack",
];
const NUMBERS: &[&str] = &[
    "5", "0", "-5", "1.5", "19.99", "30", "+5", "-", "007", "1e3", "5.0", "-0", "100", "-.5", "4",
];
const WORDS: &[&str] = &[
    "track", "true", "false", "null", "TRUE", "Null", "pro", "identify", "nullx", "an", "or", "and",
];
const FUNC_FIELDS: &[&str] = &[
    "event",
    "name",
    "userId",
    "properties.plan",
    "traits.email",
    "context.page.path",
    "type",
    "anonymousId",
    "properties.price",
    "properties",
    "propertiesX",
];

fn ws(rng: &mut Rng) -> &'static str {
    const WS: [&str; 16] = [
        " ", " ", " ", " ", " ", " ", " ", " ", "  ", " ", " ", " ", "\t", "\n", " ", "",
    ];
    WS[rng.below(WS.len())]
}

fn literal(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=3 => format!("\"{}\"", rng.pick(STRINGS)),
        4 => format!("'{}'", rng.pick(STRINGS)),
        5..=6 => rng.pick(NUMBERS).to_string(),
        7..=8 => rng.pick(WORDS).to_string(),
        _ => rng.pick(&["null", "true", "false", "\"\"", ""]).to_string(),
    }
}

fn condition(rng: &mut Rng) -> String {
    if rng.chance(22) {
        let name = if rng.chance(85) {
            *rng.pick(&["contains", "match"])
        } else {
            *rng.pick(&["Contains", "MATCH", "starts"])
        };
        let bang = if rng.chance(30) { "!" } else { "" };
        let field = rng.pick(FUNC_FIELDS);
        let value = literal(rng);
        return match rng.below(12) {
            0 => format!("{bang}{name}({field})"),
            1 => format!("{bang}{name}({field}, {value}, \"extra\")"),
            2 => format!("{bang}{name}()"),
            3 => format!("{bang}{name} {field}, {value})"),
            _ => format!("{bang}{name}({field},{}{value})", ws(rng)),
        };
    }
    let field = if rng.chance(94) {
        rng.pick(FIELDS)
    } else {
        rng.pick(NOISE_FIELDS)
    };
    let op = if rng.chance(97) {
        rng.pick(OPS)
    } else {
        rng.pick(NOISE_OPS)
    };
    let value = literal(rng);
    let (a, b) = (ws(rng), ws(rng));
    let prefix = if rng.chance(4) {
        *rng.pick(&["!", "not ", "NOT "])
    } else {
        ""
    };
    format!("{prefix}{field}{a}{op}{b}{value}")
}

fn expression(rng: &mut Rng, depth: u32) -> String {
    let n = 1 + rng.below(if depth == 0 { 4 } else { 3 });
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            let conj = match rng.below(20) {
                0 => "AND",
                1 => "OR",
                2 => "",
                3 => "and and",
                4..=11 => "and",
                _ => "or",
            };
            out.push_str(&format!(" {conj} "));
        }
        if depth < 2 && rng.chance(if depth == 0 { 18 } else { 6 }) {
            let bang = if rng.chance(10) { "!" } else { "" };
            out.push_str(&format!("{bang}({})", expression(rng, depth + 1)));
        } else {
            out.push_str(&condition(rng));
        }
    }
    out
}

/// Breaks a trigger in one of the ways people do.
fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let at = rng.below(chars.len() + 1);
    match rng.below(6) {
        0 if !chars.is_empty() => {
            chars.remove(at.min(chars.len() - 1));
        }
        1 => chars.insert(
            at,
            *rng.pick(&[
                '(', ')', '"', '\'', '.', '\\', '#', '\r', '!', '=', '<', '[', 'é', ',', '*',
            ]),
        ),
        2 => chars.truncate(at),
        3 => return format!("{s} {}", rng.pick(&["and", "or", ")", "(", "and (", "!"])),
        4 => {
            return rng
                .pick(&[
                    "",
                    " ",
                    "()",
                    "(type = \"track\")",
                    "((type = \"track\"))",
                    "type",
                    "type =",
                    "!",
                    "and",
                ])
                .to_string()
        }
        _ => chars.insert(at, ' '),
    }
    chars.into_iter().collect()
}

pub fn trigger(rng: &mut Rng) -> String {
    let t = expression(rng, 0);
    if rng.chance(12) {
        mutate(rng, &t)
    } else {
        t
    }
}

pub fn event(rng: &mut Rng) -> Option<Value> {
    if rng.chance(2) {
        return None;
    }
    if rng.chance(1) {
        return Some(
            rng.pick(&[Value::Null, json!("a string"), json!([1, 2]), json!(5)])
                .clone(),
        );
    }
    let kind = *rng.pick(&["track", "track", "identify", "page", "group", "Track"]);
    let mut e = json!({"type": kind, "messageId": "m-1", "anonymousId": "anon-1"});
    let o = e.as_object_mut().expect("object");
    if kind != "identify" {
        o.insert(
            "event".into(),
            json!(rng.pick(&[
                "Order Completed",
                "Signed Up",
                "order completed",
                "Order",
                "null",
                "",
                "*Order*"
            ])),
        );
    }
    if rng.chance(60) {
        o.insert(
            "userId".into(),
            rng.pick(&[
                json!("u1"),
                json!(""),
                json!(5),
                json!(null),
                json!(true),
                json!("5"),
            ])
            .clone(),
        );
    }
    if rng.chance(30) {
        o.insert(
            "name".into(),
            rng.pick(&[
                json!("Home"),
                json!("Shoe"),
                json!(null),
                json!("Order Completed"),
            ])
            .clone(),
        );
    }
    let v = |rng: &mut Rng| -> Value {
        rng.pick(&[
            json!(5),
            json!("5"),
            json!(0),
            json!(""),
            json!(null),
            json!(true),
            json!(false),
            json!("true"),
            json!("pro"),
            json!(19.99),
            json!(-5),
            json!(30),
            json!([1, 2, 3]),
            json!({"d": 2}),
            json!("Order Completed"),
            json!("é🎉"),
            json!(100),
            json!("*Order*"),
            json!(1.5),
            json!(-0.5),
            json!(4),
        ])
        .clone()
    };
    let mut props = serde_json::Map::new();
    for key in [
        "plan",
        "price",
        "sp",
        "flag",
        "sflag",
        "nul",
        "zero",
        "empty",
        "n",
        "items",
        "tags",
        "name",
        "first-name",
        "a_b",
        "properties",
    ] {
        if rng.chance(55) {
            props.insert(key.into(), v(rng));
        }
    }
    if rng.chance(90) {
        o.insert("properties".into(), Value::Object(props));
    }
    if rng.chance(50) {
        o.insert(
            "traits".into(),
            json!({"email": v(rng), "age": v(rng), "vip": v(rng), "company": {"name": v(rng)}}),
        );
    }
    if rng.chance(80) {
        o.insert("context".into(), json!({"page": {"path": rng.pick(&["/cart", "/pricing", ""])}, "locale": v(rng), "traits": {"plan": v(rng)}}));
    }
    Some(e)
}
