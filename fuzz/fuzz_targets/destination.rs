//! Load arbitrary settings for the Iterate destination and run arbitrary events through
//! them: never panic; every problem names a pointer inside the settings (or the
//! subscriptions text they hold); every run's calls are argument lists; consent known
//! from earlier events only adds calls, and every failure is both a skip and a step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let (settings_bytes, event_bytes) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(settings) = serde_json::from_slice::<Value>(settings_bytes) else { return };
    let loaded = destination::load(destination::iterate(), &settings);
    for p in &loaded.problems {
        let _ = p.render();
        assert!(p.diagnostic.pointer.as_deref().is_some_and(|ptr| ptr.is_empty() || ptr.starts_with('/')));
    }
    let mut events = vec![
        json!({"type": "track", "event": "Signed Up", "userId": "u1", "properties": {"plan": "pro"}}),
        json!({"type": "identify", "userId": "u1", "traits": {"email": "a@b.co"}}),
    ];
    if let Ok(v) = serde_json::from_slice(event_bytes) {
        events.push(v);
    }
    let granted = json!({"surveys": true}).as_object().cloned().unwrap_or_default();
    for e in &events {
        if let Ok(outcome) = loaded.config.run(e) {
            assert!(outcome.calls.iter().all(Value::is_array));
            // With steps and the consent known, the same or more is delivered, and
            // every step names a loaded subscription.
            let options = destination::RunOptions { only: None, consent: Some(&granted), steps: true };
            if let Ok(more) = loaded.config.run_with_options(e, options) {
                assert!(more.calls.len() >= outcome.calls.len());
                assert_eq!(more.skipped.len(), more.steps.iter().filter(|s| s.reason.is_some()).count());
            }
        }
        let _ = loaded.config.trace(e);
    }
});
