//! Parse and evaluate arbitrary triggers: never panic, every span inside the
//! source and on character boundaries, rendering never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let (src, event_bytes) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(src) = std::str::from_utf8(src) else { return };
    let parsed = fql::parse(src);
    for d in &parsed.diagnostics {
        for label in &d.labels {
            let (s, e) = (label.span.start as usize, label.span.end as usize);
            assert!(s <= e && e <= src.len(), "span {s}..{e} outside {:?}", src);
            assert!(src.is_char_boundary(s) && src.is_char_boundary(e), "span {s}..{e} splits a character");
        }
        let _ = diagnostics::render(d, "trigger", src);
    }
    assert_eq!(parsed.trigger.is_some(), parsed.errors().next().is_none());
    if let Some(t) = &parsed.trigger {
        let _ = t.explain();
        let mut events = vec![
            json!({"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"price": 5, "s": "5", "zero": 0, "n": {"d": [1, "x"]}}, "traits": {"a": true}, "context": {"page": {"path": "/"}}}),
            json!(null),
            json!("str"),
            json!({}),
        ];
        if let Ok(v) = serde_json::from_slice(event_bytes) {
            events.push(v);
        }
        for e in &events {
            let _ = t.matches(e);
        }
    }
});
