//! Compile and evaluate arbitrary mappings against arbitrary events: never panic,
//! every diagnostic points into the mapping, and a compiled plan evaluates without
//! panicking whatever the event (deep nesting included).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// True if `pointer`, or the object or array that would hold it, is in `doc`.
fn lands_in(doc: &Value, pointer: &str) -> bool {
    doc.pointer(pointer).is_some() || pointer.rfind('/').is_some_and(|i| doc.pointer(&pointer[..i]).is_some())
}

fuzz_target!(|data: &[u8]| {
    let (mapping_bytes, event_bytes) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(mapping) = serde_json::from_slice::<Value>(mapping_bytes) else { return };
    let plan = match mapping::compile(&mapping) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            assert!(!diagnostics.is_empty(), "a rejected mapping says why");
            for d in &diagnostics {
                if let Some(p) = &d.pointer {
                    assert!(lands_in(&mapping, p), "pointer {p} is not in {mapping}");
                }
            }
            return;
        }
    };
    let mut events = vec![
        json!({"type": "track", "event": "Order Completed", "userId": "u1", "properties": {"price": 5, "items": [{"n": "a"}], "nul": null, "zero": 0, "json": "{\"a\":[1]}"}, "traits": {"email": "e@x"}}),
        json!({}),
        json!(null),
    ];
    if let Ok(v) = serde_json::from_slice(event_bytes) {
        events.push(v);
    }
    for e in &events {
        let _ = plan.evaluate(e);
    }
});
