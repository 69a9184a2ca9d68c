//! The page's engine: a small wasm module that runs the *plan* the control plane compiled
//! from a destination's configuration (`iaPlan` in the settings, made by
//! `destination::page_plan`), so the page downloads neither the trigger parser nor the
//! mapping compiler nor serde. It implements the common cases exactly and defers the
//! rest to the full engine (`crates/web`), which the glue then loads:
//!
//! - `ia_load` returns -1 for a plan it cannot run (a directive or field type it does
//!   not implement, a newer plan version): the page uses the full engine for everything;
//! - `ia_run` returns -2 for an event it cannot run exactly (a trigger or mapping that
//!   throws, whose words live in the full engine; a lookup that reaches a JavaScript
//!   prototype; non-ASCII case mapping; JSON text serde_json and `JSON.parse` may read
//!   differently): the page runs that event, and every later one, through the full
//!   engine. Payload validation is here, with the engine's words for its problems.
//!
//! Whatever it does not defer, it answers exactly as the full engine's `ia_run`: the
//! differential tests (`cargo xtask differential`) hold it to that.
//!
//! ABI (a byte buffer, like `crates/web`'s):
//! 1. `ia_input(len)` sizes the input buffer and returns where JS writes `len` bytes.
//! 2. `ia_load(len)`: the buffer holds the `iaPlan` JSON; a handle >= 0, or -1.
//! 3. `ia_run(handle, action_len, event_len, only_len, consent_len)`: the action key,
//!    the event JSON, an optional JSON array of subscription ids and an optional JSON
//!    object of consent preferences, back to back. 0 with `{"calls", "skipped",
//!    "steps"}` in the output, -1 with `{"error"}`, or -2: defer.
//! 4. `ia_free(handle)`; `ia_output_ptr()` / `ia_output_len()` locate the output.
//!
//! Imports (module `ia`): `num(ptr, len) -> f64` is `Number(text)`, `fmt(n, ptr) -> len`
//! writes `String(n)`; see [`host`].

mod host;
pub mod json;
mod plan;
mod run;

use json::J;
use std::cell::RefCell;

pub use run::Defer;

// SAFETY: a wasm32 module without threads: one caller at a time.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
#[allow(unsafe_code)]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static PLANS: RefCell<Vec<Option<plan::Plan>>> = const { RefCell::new(Vec::new()) };
    /// The last event's text and what it parsed to: the page runs each event once per
    /// action (one plugin each), so the second action reads it for free.
    static LAST_EVENT: RefCell<(Vec<u8>, Option<J>)> = const { RefCell::new((Vec::new(), None)) };
}

fn set_output(bytes: &[u8]) {
    OUTPUT.with(|o| {
        let mut o = o.borrow_mut();
        o.clear();
        o.extend_from_slice(bytes);
    });
}

/// Loads a plan's JSON; its handle, or -1 when this module cannot run it.
pub fn load(text: &[u8]) -> i32 {
    set_output(b"");
    let Some(plan) = json::parse(text).as_ref().and_then(plan::load) else {
        return -1;
    };
    PLANS.with(|p| {
        let mut plans = p.borrow_mut();
        let slot = match plans.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                plans.push(None);
                plans.len() - 1
            }
        };
        plans[slot] = Some(plan);
        i32::try_from(slot).unwrap_or(-1)
    })
}

/// Forgets a plan: 0, or -1 for a handle that holds nothing.
pub fn free(handle: i32) -> i32 {
    PLANS.with(|p| {
        let mut plans = p.borrow_mut();
        match usize::try_from(handle)
            .ok()
            .and_then(|h| plans.get_mut(h))
            .and_then(Option::take)
        {
            Some(_) => 0,
            None => -1,
        }
    })
}

fn error(message: &str) -> i32 {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"error\":");
    json::write(&J::Str(message.into()), &mut out);
    out.push(b'}');
    set_output(&out);
    -1
}

/// Runs one action over an event: 0, -1 (with `{"error"}`, in the full engine's words)
/// or -2 (defer to the full engine).
///
/// A wasm trap (out of memory, say) runs no destructors, so a `RefCell` borrowed across
/// the work would stay borrowed and every later call trap too, for every destination on
/// the page. So the state is taken out for the work and put back after: a trap costs
/// the cached event and this handle's plan, nothing else.
pub fn run(handle: i32, action: &[u8], event: &[u8], only: &[u8], consent: &[u8]) -> i32 {
    let (mut text, mut parsed) = LAST_EVENT.with(|l| std::mem::take(&mut *l.borrow_mut()));
    if text != event || parsed.is_none() {
        text.clear();
        text.extend_from_slice(event);
        parsed = json::parse(event);
    }
    let slot = usize::try_from(handle).ok();
    let plan = PLANS.with(|p| {
        let mut plans = p.borrow_mut();
        slot.and_then(|h| plans.get_mut(h)).and_then(Option::take)
    });
    let code = match &plan {
        Some(plan) => run_parsed(plan, action, parsed.as_ref(), only, consent),
        None => error("no such handle"),
    };
    if let (Some(plan), Some(h)) = (plan, slot) {
        PLANS.with(|p| p.borrow_mut()[h] = Some(plan));
    }
    LAST_EVENT.with(|l| *l.borrow_mut() = (text, parsed));
    code
}

fn run_parsed(
    plan: &plan::Plan,
    action: &[u8],
    event: Option<&J>,
    only: &[u8],
    consent: &[u8],
) -> i32 {
    let Ok(action) = std::str::from_utf8(action) else {
        return error("the action is not text");
    };
    let Some(event) = event else {
        // Not JSON to this parser (or a lone surrogate): the full engine decides.
        return -2;
    };
    let only = match only {
        [] => None,
        text => match json::parse(text) {
            Some(J::Arr(ids)) if ids.iter().all(|i| i.str().is_some()) => Some(ids),
            _ => return error("`only` is not an array of ids"),
        },
    };
    let known = match consent {
        [] => None,
        text => match json::parse(text) {
            Some(o @ J::Obj(_)) => Some(o),
            _ => return error("the consent is not an object"),
        },
    };
    if event.obj().is_none() {
        return error("the event is not an object");
    }
    let mut out = Vec::new();
    match run::run(
        plan,
        action,
        event,
        only.as_deref(),
        known.as_ref(),
        &mut out,
    ) {
        Ok(()) => {
            set_output(&out);
            0
        }
        Err(Defer) => -2,
    }
}

/// The exported ABI. Only this module may use `#[no_mangle]`.
#[allow(unsafe_code)]
mod abi {
    #[no_mangle]
    pub extern "C" fn ia_input(len: usize) -> *mut u8 {
        super::INPUT.with(|i| {
            let mut i = i.borrow_mut();
            i.clear();
            i.resize(len, 0);
            i.as_mut_ptr()
        })
    }

    /// The input, taken out while `f` works (see [`super::run`] on traps) and put back
    /// for `ia_input` to reuse.
    fn with_input<T>(f: impl FnOnce(&[u8]) -> T) -> T {
        let input = super::INPUT.with(|i| std::mem::take(&mut *i.borrow_mut()));
        let out = f(&input);
        super::INPUT.with(|i| *i.borrow_mut() = input);
        out
    }

    #[no_mangle]
    pub extern "C" fn ia_load(len: usize) -> i32 {
        with_input(|bytes| super::load(&bytes[..len.min(bytes.len())]))
    }

    #[no_mangle]
    pub extern "C" fn ia_run(
        handle: i32,
        action_len: usize,
        event_len: usize,
        only_len: usize,
        consent_len: usize,
    ) -> i32 {
        with_input(|bytes| {
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
