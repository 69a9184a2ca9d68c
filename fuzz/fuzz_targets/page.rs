//! The page engine against the full engine: arbitrary settings are loaded by the full
//! engine and compiled into a plan, and arbitrary events run through both; wherever the
//! page engine answers (does not defer), the answers are equal. The raw bytes also go
//! straight into the page engine as a plan and as an event: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let (settings_bytes, event_bytes) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    // Hostile input straight into the ABI.
    let raw = page::load(settings_bytes);
    let _ = page::run(raw, b"trackEvent", event_bytes, b"", b"");
    let _ = page::run(raw, b"identifyUser", event_bytes, b"[\"s\"]", b"{\"surveys\":true}");
    page::free(raw);

    let Ok(settings) = serde_json::from_slice::<Value>(settings_bytes) else { return };
    let loaded = destination::load(destination::iterate(), &settings);
    let Some(plan) = destination::page_plan(&loaded) else { return };
    let handle = page::load(plan.to_string().as_bytes());
    if handle < 0 {
        return;
    }
    let mut events = vec![
        json!({"type": "track", "event": "Signed Up", "userId": "u1", "properties": {"plan": "pro"}}),
        json!({"type": "identify", "userId": "u1", "traits": {"email": "a@b.co"}}),
    ];
    if let Ok(v) = serde_json::from_slice(event_bytes) {
        events.push(v);
    }
    let granted = json!({"surveys": true});
    for e in &events {
        for action in ["trackEvent", "identifyUser", "showSurvey"] {
            for consent in [None, granted.as_object()] {
                let known = consent.map(|c| Value::Object(c.clone()).to_string()).unwrap_or_default();
                let code = page::run(handle, action.as_bytes(), e.to_string().as_bytes(), b"", known.as_bytes());
                if code == -2 {
                    continue;
                }
                let ours: Value = serde_json::from_str(&page::output()).expect("the page engine writes JSON");
                let options = destination::RunOptions { only: None, consent, steps: true };
                let full = match loaded.config.run_action_with(action, e, options) {
                    Ok(outcome) => json!(outcome),
                    Err(_) => json!({"error": "the event is not an object"}),
                };
                assert!(same(&ours, &full), "page {ours}\nfull {full}\nevent {e}\nsettings {settings}");
            }
        }
    }
    page::free(handle);
});

/// Equal as JavaScript sees the JSON: numbers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}
