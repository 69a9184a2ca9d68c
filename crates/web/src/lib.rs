//! The engine in the browser. The wasm module exports a byte-buffer ABI that the JS glue
//! (`js/`) drives; JSON text crosses the boundary both ways, so there is no binding
//! generator and nothing but the engine in the module.
//!
//! 1. `ia_input(len)` sizes the input buffer and returns where JS writes `len` bytes.
//! 2. `ia_load(len)` loads the settings JSON in the buffer; returns a handle (>= 0) or
//!    -1, and leaves a JSON report in the output buffer.
//! 3. `ia_run(handle, action_len, event_len, only_len, consent_len)`: the buffer holds
//!    the action key, the event JSON, then optionally a JSON array of subscription ids
//!    and a JSON object of consent preferences; runs that action's subscriptions and
//!    leaves `{"calls", "skipped", "steps"}` (or `{"error"}`) in the output buffer.
//! 4. `ia_trace(handle, event_len)`: every loaded subscription's handling of the event
//!    in the buffer, matched or not (`[{"subscription", "matched", "payload",
//!    "problems", "calls"}]`), for the web UI's event tester.
//! 5. `ia_free(handle)` forgets a configuration; its handle may be given out again.
//! 6. `ia_output_ptr()` / `ia_output_len()` locate the output for JS to read.
//!
//! The same functions run natively, which is how they are tested.

use destination::{Config, Loaded, RunOptions};
use serde_json::{json, Map, Value};
use std::cell::RefCell;

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Loaded configurations by handle; a freed handle's slot is reused.
    static CONFIGS: RefCell<Vec<Option<Config>>> = const { RefCell::new(Vec::new()) };
}

fn set_output(v: &Value) {
    OUTPUT.with(|o| {
        let mut o = o.borrow_mut();
        o.clear();
        // Writing a Value into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *o, v);
    });
}

fn with_input<T>(f: impl FnOnce(&[u8]) -> T) -> T {
    INPUT.with(|i| f(&i.borrow()))
}

/// The report `load` leaves: the handle, then the configuration's report (the actions
/// that get a plugin, options, consent categories and every problem).
fn report(loaded: &Loaded, handle: i32) -> Value {
    let mut out = Map::new();
    out.insert("handle".into(), json!(handle));
    if let Value::Object(rest) = loaded.report_json() {
        out.extend(rest);
    }
    Value::Object(out)
}

/// Loads settings JSON; returns the handle, or -1 when the text is not JSON.
pub fn load(settings: &[u8]) -> i32 {
    let settings: Value = match serde_json::from_slice(settings) {
        Ok(v) => v,
        Err(e) => {
            set_output(&json!({"handle": -1, "error": format!("settings are not JSON: {e}")}));
            return -1;
        }
    };
    let loaded = destination::load(destination::iterate(), &settings);
    CONFIGS.with(|c| {
        let mut configs = c.borrow_mut();
        let slot = match configs.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                configs.push(None);
                configs.len() - 1
            }
        };
        let handle = i32::try_from(slot).unwrap_or(i32::MAX);
        set_output(&report(&loaded, handle));
        configs[slot] = Some(loaded.config);
        handle
    })
}

/// Forgets a loaded configuration (the editor loads one per keystroke); its handle may
/// be given out again. 0, or -1 for a handle that holds nothing.
pub fn free(handle: i32) -> i32 {
    CONFIGS.with(|c| {
        let mut configs = c.borrow_mut();
        match usize::try_from(handle)
            .ok()
            .and_then(|h| configs.get_mut(h))
            .and_then(Option::take)
        {
            Some(_) => 0,
            None => -1,
        }
    })
}

/// The configuration behind a handle.
fn config(configs: &[Option<Config>], handle: i32) -> Result<&Config, &'static str> {
    usize::try_from(handle)
        .ok()
        .and_then(|h| configs.get(h))
        .and_then(Option::as_ref)
        .ok_or("no such handle")
}

/// Runs one action's subscriptions over an event; 0 on success, -1 on failure (the
/// output then holds `{"error"}`). `only` is empty or a JSON array of subscription ids
/// to run (held events, when consent arrives); `consent` is empty or the JSON object of
/// category preferences known from earlier events, for an event that carries none.
pub fn run(handle: i32, action: &[u8], event: &[u8], only: &[u8], consent: &[u8]) -> i32 {
    let answer = CONFIGS.with(|c| {
        let configs = c.borrow();
        let config = config(&configs, handle)?;
        let action = std::str::from_utf8(action).map_err(|_| "the action is not text")?;
        let event: Value = serde_json::from_slice(event).map_err(|_| "the event is not JSON")?;
        let only: Option<Vec<String>> = if only.is_empty() {
            None
        } else {
            Some(serde_json::from_slice(only).map_err(|_| "`only` is not an array of ids")?)
        };
        let consent: Option<Map<String, Value>> = if consent.is_empty() {
            None
        } else {
            Some(serde_json::from_slice(consent).map_err(|_| "the consent is not an object")?)
        };
        let options = RunOptions {
            only: only.as_deref(),
            consent: consent.as_ref(),
            steps: true,
        };
        config
            .run_action_with(action, &event, options)
            .map(|o| json!(o))
            .map_err(|_| "the event is not an object")
    });
    match answer {
        Ok(v) => {
            set_output(&v);
            0
        }
        Err(e) => {
            set_output(&json!({"error": e}));
            -1
        }
    }
}

/// Every loaded subscription's handling of an event, matched or not (the event tester
/// of the web UI): 0, or -1 with `{"error"}` in the output.
pub fn trace(handle: i32, event: &[u8]) -> i32 {
    let answer = CONFIGS.with(|c| {
        let configs = c.borrow();
        let config = config(&configs, handle)?;
        let event: Value = serde_json::from_slice(event).map_err(|_| "the event is not JSON")?;
        if !event.is_object() {
            return Err("the event is not an object");
        }
        Ok(json!(config.trace(&event)))
    });
    match answer {
        Ok(v) => {
            set_output(&v);
            0
        }
        Err(e) => {
            set_output(&json!({"error": e}));
            -1
        }
    }
}

/// The exported ABI. Only this module may use `#[no_mangle]`.
#[allow(unsafe_code)]
mod abi {
    /// Sizes the input buffer to `len` bytes and returns where JS writes them.
    #[no_mangle]
    pub extern "C" fn ia_input(len: usize) -> *mut u8 {
        super::INPUT.with(|i| {
            let mut i = i.borrow_mut();
            i.clear();
            i.resize(len, 0);
            i.as_mut_ptr()
        })
    }

    #[no_mangle]
    pub extern "C" fn ia_load(len: usize) -> i32 {
        super::with_input(|bytes| super::load(&bytes[..len.min(bytes.len())]))
    }

    /// The input holds the action key, the event, `only` and `consent`, back to back.
    #[no_mangle]
    pub extern "C" fn ia_run(
        handle: i32,
        action_len: usize,
        event_len: usize,
        only_len: usize,
        consent_len: usize,
    ) -> i32 {
        super::with_input(|bytes| {
            let mut rest = bytes;
            let mut take = |len: usize| {
                let (part, after) = rest.split_at(len.min(rest.len()));
                rest = after;
                part
            };
            let (action, event) = (take(action_len), take(event_len));
            let (only, consent) = (take(only_len), take(consent_len));
            super::run(handle, action, event, only, consent)
        })
    }

    #[no_mangle]
    pub extern "C" fn ia_trace(handle: i32, event_len: usize) -> i32 {
        super::with_input(|bytes| super::trace(handle, &bytes[..event_len.min(bytes.len())]))
    }

    #[no_mangle]
    pub extern "C" fn ia_free(handle: i32) -> i32 {
        super::free(handle)
    }

    #[no_mangle]
    pub extern "C" fn ia_output_ptr() -> *const u8 {
        super::OUTPUT.with(|o| o.borrow().as_ptr())
    }

    #[no_mangle]
    pub extern "C" fn ia_output_len() -> usize {
        super::OUTPUT.with(|o| o.borrow().len())
    }
}

/// The output buffer as text, for native callers and tests.
pub fn output() -> String {
    OUTPUT.with(|o| String::from_utf8_lossy(&o.borrow()).into_owned())
}
