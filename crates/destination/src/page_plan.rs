//! The page plan (`iaPlan`, version 1): a loaded configuration compiled into compact
//! JSON for the lean page engine, which neither parses triggers nor validates mappings.
//! The control plane serves it in each plugin's settings; the page falls back to the
//! full engine whenever it cannot use it. The format is the shared spec of the lean
//! page engine; field order is part of it.

use crate::model::Field as ActionField;
use crate::{Destination, Loaded};
use fql::{Condition, Conj, Field, Group, Needle, Node, Path, Test};
use serde_json::{json, Map, Value};

/// The plan format this module writes.
pub const VERSION: u32 = 1;

/// How deeply a plan may nest. Triggers have one level of parentheses and mappings at
/// most [`mapping::MAX_DEPTH`] levels, so no configuration comes near; the bound keeps
/// the settings document readable by JSON parsers with a nesting limit (serde_json's
/// is 128) whatever the encoding grows into.
const MAX_PLAN_DEPTH: usize = 100;

/// The page plan of a loaded configuration; `None` when it cannot be encoded (then the
/// page uses the full engine).
pub fn page_plan(loaded: &Loaded) -> Option<Value> {
    let config = &loaded.config;
    let definition = &config.destination.definition;
    let actions: Vec<Value> = definition
        .actions
        .iter()
        .map(|a| json!({"key": a.key, "fields": a.fields.iter().map(field).collect::<Vec<_>>()}))
        .collect();
    let subs: Vec<Value> = config
        .subscriptions
        .iter()
        .map(|s| {
            json!([
                s.id,
                s.action,
                group(s.trigger.root()),
                s.plan.page_nodes(),
                s.consent
            ])
        })
        .collect();
    let plan = json!({
        "v": VERSION,
        "report": loaded.report_json(),
        "name": definition.name,
        "actions": actions,
        "subs": subs,
    });
    (!mapping::exceeds_depth(&plan, MAX_PLAN_DEPTH)).then_some(plan)
}

/// `settings` as the control plane serves them: with the `iaPlan` of the configuration
/// they load into (replacing any they held), or without one when there is none.
/// Returns what loading the settings gave, problems included.
pub fn add_page_plan(
    destination: &'static Destination,
    settings: &mut Map<String, Value>,
) -> Loaded {
    settings.shift_remove("iaPlan");
    let settings_value = Value::Object(settings.clone());
    let loaded = crate::load(destination, &settings_value);
    if let Some(mut plan) = page_plan(&loaded) {
        plan["fingerprint"] = Value::from(fingerprint(&settings_value));
        settings.insert("iaPlan".into(), plan);
    }
    loaded
}

/// What the plan was compiled from: FNV-1a (32 bits) of the settings' JSON as the page's
/// `JSON.stringify` writes them with object keys sorted (index-like keys first, as
/// JavaScript orders them, then by UTF-16 units) and without the top-level `iaPlan`. The
/// page computes the same over the settings it is given and uses the plan only when
/// they agree, so settings a site overrides in its load options never run a stale plan.
/// Where the two could still differ (a `__proto__` key), the page uses the full engine.
pub fn fingerprint(settings: &Value) -> u32 {
    fn write(v: &Value, top: bool, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> =
                    m.keys().filter(|k| !(top && *k == "iaPlan")).collect();
                keys.sort_by(|a, b| {
                    let index = |k: &str| js::array_index(k).map_or(u64::MAX, |i| i as u64);
                    index(a)
                        .cmp(&index(b))
                        .then_with(|| a.encode_utf16().cmp(b.encode_utf16()))
                });
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(k.as_str()).to_string());
                    out.push(':');
                    write(&m[k], false, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, false, out);
                }
                out.push(']');
            }
            Value::Number(n) => out.push_str(&js::number_to_string(n.as_f64().unwrap_or(f64::NAN))),
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    write(settings, true, &mut text);
    text.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// `[key, label, type, required, allowNull, multiple]`, then `{"choices", "properties"}`
/// with whichever of them is set, when one is.
fn field(f: &ActionField) -> Value {
    let mut out = vec![
        json!(f.key),
        json!(f.label),
        json!(f.kind),
        json!(f.required),
        json!(f.allow_null),
        json!(f.multiple),
    ];
    let mut more = Map::new();
    if !f.choices.is_empty() {
        more.insert("choices".into(), Value::Array(f.choices.clone()));
    }
    if !f.properties.is_empty() {
        more.insert(
            "properties".into(),
            f.properties.iter().map(field).collect::<Vec<_>>().into(),
        );
    }
    if !more.is_empty() {
        out.push(Value::Object(more));
    }
    Value::Array(out)
}

fn group(g: &Group) -> Value {
    let conj = match g.conj {
        Conj::And => "and",
        Conj::Or => "or",
    };
    let mut out = vec![Value::from(conj)];
    out.extend(g.children.iter().map(node));
    Value::Array(out)
}

fn node(n: &Node) -> Value {
    match n {
        Node::Group(g) => group(g),
        Node::Hole(_) => json!(["hole"]),
        Node::Condition(c) => condition(c),
    }
}

fn condition(c: &Condition) -> Value {
    let (field, keys) = match &c.field {
        Field::Type => ("type", Value::Null),
        Field::Event => ("event", Value::Null),
        Field::Name => ("name", Value::Null),
        Field::UserId => ("userId", Value::Null),
        Field::Properties(p) => ("properties", path(p)),
        Field::Traits(p) => ("traits", path(p)),
        Field::Context(p) => ("context", path(p)),
    };
    let text = |s: &String| Some(Value::from(s.as_str()));
    let (test, arg) = match &c.test {
        Test::Eq(s) => ("eq", text(s)),
        Test::Ne(s) => ("ne", text(s)),
        Test::NumEq(n) => ("neq", Some(number(*n))),
        Test::NumNe(n) => ("nne", Some(number(*n))),
        Test::Lt(n) => ("lt", Some(number(*n))),
        Test::Le(n) => ("le", Some(number(*n))),
        Test::Gt(n) => ("gt", Some(number(*n))),
        Test::Ge(n) => ("ge", Some(number(*n))),
        Test::Contains(n) => ("contains", Some(needle(n))),
        Test::NotContains(n) => ("ncontains", Some(needle(n))),
        Test::StartsWith(n) => ("starts", Some(needle(n))),
        Test::NotStartsWith(n) => ("nstarts", Some(needle(n))),
        Test::EndsWith(n) => ("ends", Some(needle(n))),
        Test::NotEndsWith(n) => ("nends", Some(needle(n))),
        Test::Exists => ("exists", None),
        Test::NotExists => ("nexists", None),
        Test::IsTrue => ("true", None),
        Test::IsFalse => ("false", None),
        Test::Never(op) => ("never", text(op)),
    };
    let mut out = vec![Value::from(field), keys, Value::from(test)];
    out.extend(arg);
    Value::Array(out)
}

fn path(p: &Path) -> Value {
    match p {
        Path::Empty => Value::from("empty"),
        Path::Keys(keys) => keys.iter().map(String::as_str).collect::<Vec<_>>().into(),
        Path::Invalid(raw) => json!({ "invalid": raw }),
    }
}

fn needle(n: &Needle) -> Value {
    match n {
        Needle::Text(s) => Value::from(s.as_str()),
        Needle::Units(units) => json!({ "units": units }),
    }
}

/// A finite number as JSON writes it (integers without a fraction); JSON has no
/// non-finite numbers, so those are named.
fn number(n: f64) -> Value {
    if n.is_finite() {
        return js::number_to_json(n);
    }
    let name = if n.is_nan() {
        "NaN"
    } else if n > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    };
    json!({ "num": name })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{iterate, load};

    fn sub(id: &str, trigger: &str, action: &str, mapping: Value) -> Value {
        json!({"id": id, "name": format!("sub {id}"), "enabled": true, "subscribe": trigger, "partnerAction": action, "mapping": mapping})
    }

    fn plan_of(settings: Value) -> Value {
        page_plan(&load(iterate(), &settings)).expect("a plan")
    }

    /// The trigger encoding of the first subscription of a one-subscription config.
    fn trigger(fql: &str) -> Value {
        let plan = plan_of(json!({"apiKey": "k", "subscriptions": [
            sub("s", fql, "trackEvent", json!({"name": "x"}))
        ]}));
        assert_eq!(
            plan["subs"].as_array().map(Vec::len),
            Some(1),
            "{fql}: {plan}"
        );
        plan["subs"][0][2].clone()
    }

    #[test]
    fn the_presets_plan_is_exactly_the_spec() {
        let plan = plan_of(
            json!({"apiKey": "k", "subscriptions": iterate().definition.preset_subscriptions()}),
        );
        let keys: Vec<&str> = plan
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["v", "report", "name", "actions", "subs"]);
        assert_eq!(
            plan,
            json!({
                "v": 1,
                "report": {
                    "actions": ["trackEvent", "identifyUser"],
                    "options": {"uninstallOnReset": true, "surveyEvents": false, "consentCategories": [], "deliveryLogSampleRate": 1},
                    "consent": [],
                    "problems": [],
                },
                "name": "Iterate Web (Actions)",
                "actions": [
                    {"key": "trackEvent", "fields": [["name", "Name", "string", true, false, false]]},
                    {"key": "identifyUser", "fields": [
                        ["userId", "Identity", "string", false, false, false],
                        ["traits", "Traits", "object", false, false, false],
                        ["responseProperties", "Response properties", "object", false, false, false],
                    ]},
                    {"key": "showSurvey", "fields": [["surveyId", "Survey id", "string", false, false, false]]},
                ],
                "subs": [
                    ["preset-1", 0, ["and", ["type", null, "eq", "track"]], ["o", "name", ["p", "event"]], []],
                    ["preset-2", 1, ["and", ["type", null, "eq", "identify"]], ["o", "userId", ["p", "userId"], "traits", ["p", "traits"]], []],
                ],
            })
        );
        // The report is the full engine's, to the byte.
        assert_eq!(
            plan["report"],
            load(
                iterate(),
                &json!({"apiKey": "k", "subscriptions": iterate().definition.preset_subscriptions()})
            )
            .report_json()
        );
    }

    #[test]
    fn every_trigger_test_is_encoded() {
        let cases = [
            (r#"event = "A""#, json!(["and", ["event", null, "eq", "A"]])),
            (r#"name != "A""#, json!(["and", ["name", null, "ne", "A"]])),
            ("userId = 5", json!(["and", ["userId", null, "eq", "5"]])),
            (
                "properties.n = 5",
                json!(["and", ["properties", ["n"], "neq", 5]]),
            ),
            (
                "properties.a.b != 1.5",
                json!(["and", ["properties", ["a", "b"], "nne", 1.5]]),
            ),
            ("traits.n < 1", json!(["and", ["traits", ["n"], "lt", 1]])),
            (
                "traits.n <= -2",
                json!(["and", ["traits", ["n"], "le", -2]]),
            ),
            (
                "context.n > 1000",
                json!(["and", ["context", ["n"], "gt", 1000]]),
            ),
            (
                "context.n >= 0.25",
                json!(["and", ["context", ["n"], "ge", 0.25]]),
            ),
            (
                r#"contains(event, "Ord")"#,
                json!(["and", ["event", null, "contains", "Ord"]]),
            ),
            (
                r#"!contains(event, "Ord")"#,
                json!(["and", ["event", null, "ncontains", "Ord"]]),
            ),
            (
                r#"match(event, "Ord*")"#,
                json!(["and", ["event", null, "starts", "Ord"]]),
            ),
            (
                r#"!match(event, "Ord*")"#,
                json!(["and", ["event", null, "nstarts", "Ord"]]),
            ),
            (
                r#"match(event, "*ed")"#,
                json!(["and", ["event", null, "ends", "ed"]]),
            ),
            (
                r#"!match(event, "*ed")"#,
                json!(["and", ["event", null, "nends", "ed"]]),
            ),
            ("userId != null", json!(["and", ["userId", null, "exists"]])),
            (
                "properties.x != null",
                json!(["and", ["properties", ["x"], "exists"]]),
            ),
            (
                "properties.x = null",
                json!(["and", ["properties", ["x"], "nexists"]]),
            ),
            (
                "properties.ok = true",
                json!(["and", ["properties", ["ok"], "true"]]),
            ),
            (
                "properties.ok = false",
                json!(["and", ["properties", ["ok"], "false"]]),
            ),
            (
                r#"type = "track" and event = "A" or event = "B""#,
                json!([
                    "or",
                    ["type", null, "eq", "track"],
                    ["event", null, "eq", "A"],
                    ["event", null, "eq", "B"]
                ]),
            ),
            (
                r#"type = "track" and (event = "A" or event = "B")"#,
                json!([
                    "and",
                    ["type", null, "eq", "track"],
                    ["or", ["event", null, "eq", "A"], ["event", null, "eq", "B"]]
                ]),
            ),
            (
                r#"type = "track" and ()"#,
                json!(["and", ["type", null, "eq", "track"], ["hole"]]),
            ),
        ];
        for (fql, expected) in cases {
            assert_eq!(trigger(fql), expected, "for {fql}");
        }
    }

    /// Conditions the parser only builds from odd input, encoded straight from the AST.
    #[test]
    fn rare_conditions_paths_needles_and_numbers_are_encoded() {
        let cond = |field: Field, test: Test| {
            condition(&Condition {
                field,
                test,
                span: diagnostics::Span::new(0, 0),
            })
        };
        assert_eq!(
            cond(Field::Properties(Path::Empty), Test::Exists),
            json!(["properties", "empty", "exists"])
        );
        assert_eq!(
            cond(Field::Traits(Path::Invalid(".".into())), Test::NotExists),
            json!(["traits", {"invalid": "."}, "nexists"])
        );
        assert_eq!(
            cond(Field::Event, Test::Contains(Needle::Units(vec![0xd83d]))),
            json!(["event", null, "contains", {"units": [0xd83d]}])
        );
        assert_eq!(
            cond(Field::Type, Test::Never(",".into())),
            json!(["type", null, "never", ","])
        );
        for (n, expected) in [
            (f64::NAN, json!({"num": "NaN"})),
            (f64::INFINITY, json!({"num": "Infinity"})),
            (f64::NEG_INFINITY, json!({"num": "-Infinity"})),
            (-0.0, json!(0)),
            (3.0, json!(3)),
            (0.1, json!(0.1)),
        ] {
            assert_eq!(
                cond(Field::Type, Test::Lt(n)),
                json!(["type", null, "lt", expected])
            );
        }
    }

    #[test]
    fn parsed_triggers_reach_the_rare_encodings_too() {
        // A path with no key in it, and a number that is not one.
        assert_eq!(
            trigger(r#"properties.\. != null"#)[1],
            json!(["properties", {"invalid": "."}, "exists"])
        );
        assert_eq!(
            trigger("properties.arr.0 = 1")[1],
            json!(["properties", ["arr"], "never", "."])
        );
        assert_eq!(
            trigger(r#"properties.n < "x""#)[1][3],
            json!({"num": "NaN"})
        );
        assert_eq!(
            trigger(r#"properties.n > "-Infinity""#)[1][3],
            json!({"num": "-Infinity"})
        );
    }

    #[test]
    fn consent_categories_go_with_each_subscription() {
        let mut with_consent = sub("c", r#"type = "track""#, "trackEvent", json!({"name": "x"}));
        with_consent["consentCategories"] = json!(["C0003", "C0001"]);
        let plan = plan_of(
            json!({"apiKey": "k", "consentCategories": ["C0001"], "subscriptions": [with_consent]}),
        );
        assert_eq!(plan["subs"][0][4], json!(["C0001", "C0003"]));
        assert_eq!(plan["report"]["consent"], json!(["C0001"]));
    }

    #[test]
    fn problems_are_reported_and_failed_subscriptions_left_out() {
        let settings = json!({"apiKey": "k", "subscriptions": [
            sub("bad-trigger", r#"(type = "track""#, "trackEvent", json!({"name": "x"})),
            sub("bad-action", r#"type = "track""#, "nope", json!({})),
            sub("good", r#"type = "identify""#, "identifyUser", json!({"userId": {"@template": "u-{{userId}}"}})),
            sub("bad-mapping", r#"type = "track""#, "trackEvent", json!({"name": {"@liquid": "x"}})),
        ]});
        let loaded = load(iterate(), &settings);
        let plan = page_plan(&loaded).expect("a plan");
        assert_eq!(plan["report"], loaded.report_json());
        let codes: Vec<&str> = plan["report"]["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["code"].as_str())
            .collect();
        for code in ["FQL013", "DEF205", "MAP109"] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
        assert_eq!(
            plan["subs"],
            json!([[
                "good",
                1,
                ["and", ["type", null, "eq", "identify"]],
                ["o", "userId", ["t", "u-", ["userId"]]],
                []
            ]])
        );
        assert_eq!(plan["report"]["actions"], json!(["identifyUser"]));
    }

    #[test]
    fn the_plan_replaces_a_stale_one_in_the_settings() {
        let mut settings = json!({"apiKey": "k", "iaPlan": "stale", "subscriptions": iterate().definition.preset_subscriptions()});
        let map = settings.as_object_mut().expect("object");
        add_page_plan(iterate(), map);
        assert_eq!(map["iaPlan"]["v"], 1);
        assert_eq!(map["iaPlan"]["subs"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn the_fingerprint_is_of_the_settings_as_given_in_any_key_order() {
        let subs = iterate().definition.preset_subscriptions();
        let a = json!({"apiKey": "k", "subscriptions": subs, "iaPlan": {"v": 1}});
        let b = json!({"subscriptions": subs, "apiKey": "k"});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let mut map = b.as_object().cloned().expect("object");
        add_page_plan(iterate(), &mut map);
        assert_eq!(map["iaPlan"]["fingerprint"], json!(fingerprint(&b)));
        // Any other value (an overriding key, another mapping) is another fingerprint.
        let c = json!({"subscriptions": subs, "apiKey": "k2"});
        let mut d = b.clone();
        d["subscriptions"][0]["mapping"]["name"] = json!("constant");
        assert_ne!(fingerprint(&b), fingerprint(&c));
        assert_ne!(fingerprint(&b), fingerprint(&d));
    }

    #[test]
    fn fields_with_choices_and_properties_carry_them() {
        let mut f = ActionField::new("k", "K", crate::model::FieldType::Object, "");
        f.properties =
            vec![ActionField::new("a", "A", crate::model::FieldType::Integer, "").required()];
        f.multiple = true;
        assert_eq!(
            field(&f),
            json!(["k", "K", "object", false, false, true, {"properties": [["a", "A", "integer", true, false, false]]}])
        );
        let mut c = ActionField::new("c", "C", crate::model::FieldType::String, "");
        c.choices = vec![json!("x"), json!("y")];
        c.allow_null = true;
        assert_eq!(
            field(&c),
            json!(["c", "C", "string", false, true, false, {"choices": ["x", "y"]}])
        );
    }

    #[test]
    fn overly_deep_plans_are_refused() {
        let mut v = json!(1);
        for _ in 0..MAX_PLAN_DEPTH {
            v = json!([v]);
        }
        assert!(!mapping::exceeds_depth(&v, MAX_PLAN_DEPTH));
        assert!(mapping::exceeds_depth(&json!([v]), MAX_PLAN_DEPTH));
    }
}
