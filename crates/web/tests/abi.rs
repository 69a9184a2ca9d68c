//! The functions behind the wasm exports, run natively: settings in, a report out;
//! one action's subscriptions run per call, as the browser plugin for it does.

use serde_json::{json, Value};

fn output() -> Value {
    serde_json::from_str(&web::output()).expect("the output buffer holds JSON")
}

#[test]
fn load_reports_actions_and_problems_and_run_makes_calls() {
    let settings = json!({"apiKey": "k", "subscriptions": [
        {"id": "t", "name": "Track", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}},
        {"id": "i", "name": "Identify", "enabled": true, "subscribe": "type = \"identify\"", "partnerAction": "identifyUser", "mapping": {"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}}},
        {"id": "b", "name": "Bad", "enabled": true, "subscribe": "(type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": "x"}}
    ]});
    let handle = web::load(settings.to_string().as_bytes());
    assert!(handle >= 0);
    let report = output();
    assert_eq!(report["actions"], json!(["trackEvent", "identifyUser"]));
    assert_eq!(report["problems"][0]["code"], "FQL013");
    assert_eq!(
        report["problems"][0]["subscription"],
        "subscription 2 \"Bad\" (id \"b\")"
    );
    assert_eq!(
        report["problems"][0]["pointer"],
        "/subscriptions/2/subscribe"
    );

    let event = json!({"type": "track", "event": "Signed Up"}).to_string();
    assert_eq!(
        web::run(handle, b"trackEvent", event.as_bytes(), b"", b""),
        0
    );
    assert_eq!(
        output(),
        json!({"calls": [["event", "Signed Up"]], "skipped": [], "steps": [{"subscription": "t", "outcome": "delivered"}]})
    );
    // The identify plugin does not act on a track event.
    assert_eq!(
        web::run(handle, b"identifyUser", event.as_bytes(), b"", b""),
        0
    );
    assert_eq!(output()["calls"], json!([]));

    assert_eq!(
        web::run(handle, b"trackEvent", br#"{"type":"track"}"#, b"", b""),
        0
    );
    assert_eq!(output()["skipped"][0]["subscription"], "t");
    assert_eq!(output()["steps"][0]["outcome"], "validation");

    assert_eq!(web::trace(handle, br#"{"type":"track"}"#), 0);
    let traces = output();
    assert_eq!(traces[0]["subscription"], "t");
    assert_eq!(traces[0]["matched"], true);
    assert!(traces[0]["problems"][0]
        .as_str()
        .unwrap()
        .contains("'name'"));
    assert_eq!(traces[1]["matched"], false);
    assert_eq!(web::trace(handle, b"[1]"), -1);

    assert_eq!(web::run(handle, b"trackEvent", b"[1]", b"", b""), -1);
    assert_eq!(output()["error"], "the event is not an object");
    assert_eq!(
        web::run(handle + 100, b"trackEvent", event.as_bytes(), b"", b""),
        -1
    );
    assert_eq!(web::load(b"{"), -1);
    assert!(output()["error"]
        .as_str()
        .unwrap()
        .starts_with("settings are not JSON"));
}

#[test]
fn held_subscriptions_run_again_with_the_consent_known_later() {
    let settings = json!({"apiKey": "k", "consentCategories": ["surveys"], "subscriptions": [
        {"id": "t", "name": "Track", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}},
        {"id": "u", "name": "Other", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": "other"}}
    ]});
    let handle = web::load(settings.to_string().as_bytes());
    assert_eq!(output()["consent"], json!(["surveys"]));
    let event = json!({"type": "track", "event": "E"}).to_string();
    assert_eq!(
        web::run(handle, b"trackEvent", event.as_bytes(), b"", b""),
        0
    );
    assert_eq!(output()["calls"], json!([]));
    assert_eq!(output()["steps"][0]["outcome"], "held");
    let (only, consent) = (br#"["t"]"#, br#"{"surveys":true}"#);
    assert_eq!(
        web::run(handle, b"trackEvent", event.as_bytes(), only, consent),
        0
    );
    assert_eq!(
        output()["calls"],
        json!([["event", "E"]]),
        "only the subscription asked for"
    );
    assert_eq!(
        web::run(handle, b"trackEvent", event.as_bytes(), b"{", b""),
        -1
    );
    assert_eq!(output()["error"], "`only` is not an array of ids");
    assert_eq!(
        web::run(handle, b"trackEvent", event.as_bytes(), b"", b"[]"),
        -1
    );
    assert_eq!(output()["error"], "the consent is not an object");
}

#[test]
fn freed_handles_hold_nothing_and_are_given_out_again() {
    let settings = json!({"apiKey": "k", "subscriptions": []}).to_string();
    let a = web::load(settings.as_bytes());
    let b = web::load(settings.as_bytes());
    assert_ne!(a, b);
    assert_eq!(web::free(a), 0);
    assert_eq!(web::free(a), -1, "twice");
    assert_eq!(
        web::run(a, b"trackEvent", br#"{"type":"track"}"#, b"", b""),
        -1
    );
    assert_eq!(output()["error"], "no such handle");
    assert_eq!(web::trace(a, br#"{"type":"track"}"#), -1);
    assert_eq!(
        web::load(settings.as_bytes()),
        a,
        "the freed slot is reused"
    );
    assert_eq!(web::free(-1), -1);
    assert_eq!(web::free(b + 1000), -1);
}
