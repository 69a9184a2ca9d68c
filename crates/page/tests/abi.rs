//! The page engine through its ABI functions, on plans the control plane makes.

use serde_json::{json, Value};

fn plan(settings: Value) -> String {
    let loaded = destination::load(destination::iterate(), &settings);
    destination::page_plan(&loaded).expect("a plan").to_string()
}

fn presets() -> Value {
    json!({"apiKey": "k", "subscriptions": [
        {"id": "t", "name": "Track", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}},
        {"id": "i", "name": "Identify", "enabled": true, "subscribe": "type = \"identify\"", "partnerAction": "identifyUser", "mapping": {"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}}}
    ]})
}

fn run(handle: i32, action: &str, event: Value) -> (i32, Value) {
    let code = page::run(
        handle,
        action.as_bytes(),
        event.to_string().as_bytes(),
        b"",
        b"",
    );
    let out = page::output();
    (code, serde_json::from_str(&out).unwrap_or(Value::Null))
}

#[test]
fn presets_make_iterates_calls() {
    let h = page::load(plan(presets()).as_bytes());
    assert!(h >= 0);
    let (code, out) = run(
        h,
        "trackEvent",
        json!({"type": "track", "event": "Signed Up"}),
    );
    assert_eq!(code, 0);
    assert_eq!(
        out,
        json!({"calls": [["event", "Signed Up"]], "skipped": [], "steps": [{"subscription": "t", "outcome": "delivered"}]})
    );
    let (code, out) = run(
        h,
        "identifyUser",
        json!({"type": "identify", "userId": 42, "traits": {"plan": "pro"}}),
    );
    assert_eq!(code, 0);
    assert_eq!(
        out["calls"],
        json!([["identify", {"plan": "pro", "external_id": "42"}]])
    );
    let (code, out) = run(h, "trackEvent", json!({"type": "identify"}));
    assert_eq!((code, &out["calls"]), (0, &json!([])));
    assert_eq!(
        out["steps"],
        json!([{"subscription": "t", "outcome": "trigger"}])
    );
    assert_eq!(page::free(h), 0);
    assert_eq!(page::free(h), -1);
}

#[test]
fn one_event_for_each_action_plugin_reads_the_same_and_the_next_event_anew() {
    let h = page::load(plan(presets()).as_bytes());
    let event = json!({"type": "track", "event": "Signed Up"});
    let (_, track) = run(h, "trackEvent", event.clone());
    let (_, identify) = run(h, "identifyUser", event.clone());
    assert_eq!(track["calls"], json!([["event", "Signed Up"]]));
    assert_eq!(identify["calls"], json!([]));
    let (_, next) = run(h, "trackEvent", json!({"type": "track", "event": "Next"}));
    assert_eq!(next["calls"], json!([["event", "Next"]]));
}

#[test]
fn what_needs_the_full_engine_is_deferred() {
    // A lookup that reaches JavaScript's Object.prototype.
    let settings = json!({"apiKey": "k", "subscriptions": [
        {"id": "c", "name": "C", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.properties.constructor"}}}
    ]});
    let c = page::load(plan(settings).as_bytes());
    assert_eq!(
        run(c, "trackEvent", json!({"type": "track", "properties": {}})).0,
        -2
    );
    assert_eq!(
        run(
            c,
            "trackEvent",
            json!({"type": "track", "properties": {"constructor": "mine"}})
        )
        .0,
        0
    );
}

#[test]
fn invalid_payloads_are_skipped_in_the_full_engines_words() {
    let settings = presets();
    let h = page::load(plan(settings.clone()).as_bytes());
    let loaded = destination::load(destination::iterate(), &settings);
    for (action, event) in [
        ("trackEvent", json!({"type": "track"})),
        (
            "trackEvent",
            json!({"type": "track", "event": {"an": "object"}}),
        ),
        (
            "identifyUser",
            json!({"type": "identify", "userId": [1, 2], "traits": "text"}),
        ),
    ] {
        let (code, out) = run(h, action, event.clone());
        assert_eq!(code, 0);
        let options = destination::RunOptions {
            steps: true,
            ..Default::default()
        };
        let full = loaded
            .config
            .run_action_with(action, &event, options)
            .expect("an event");
        assert_eq!(out, json!(full), "{event}");
        assert_eq!(out["steps"][0]["outcome"], "validation", "{event}");
    }
}

#[test]
fn bad_input_is_refused_with_the_full_engines_words() {
    let h = page::load(plan(presets()).as_bytes());
    assert_eq!(
        run(h, "trackEvent", json!([1])),
        (-1, json!({"error": "the event is not an object"}))
    );
    assert_eq!(page::run(h, b"trackEvent", b"{}", b"{}", b""), -1);
    assert_eq!(
        page::output(),
        r#"{"error":"`only` is not an array of ids"}"#
    );
    assert_eq!(page::run(99, b"trackEvent", b"{}", b"", b""), -1);
    assert_eq!(page::output(), r#"{"error":"no such handle"}"#);
}

#[test]
fn plans_it_cannot_run_are_refused() {
    let mut p: Value = serde_json::from_str(&plan(presets())).expect("json");
    p["v"] = json!(2);
    assert_eq!(page::load(p.to_string().as_bytes()), -1);
    p["v"] = json!(1);
    p["subs"][0][3] = json!(["a-directive-from-the-future"]);
    assert_eq!(page::load(p.to_string().as_bytes()), -1);
    assert_eq!(page::load(b"not json"), -1);
}
