//! The page engine (`crates/page`) against the full engine: generated configurations
//! are compiled into plans as the control plane serves them, and every event runs
//! through both. Wherever the page engine answers (does not defer), its answer must
//! equal the full engine's, which the other differential runs hold to Segment's.

use crate::rng::Rng;
use crate::{gen_config, gen_fql, gen_mapping, Options};
use engine::destination::{self, RunOptions};
use serde_json::{json, Map, Value};

const ACTIONS: &[&str] = &["trackEvent", "identifyUser", "showSurvey"];

/// Settings the page must cover: the generated pipeline configurations, plus consent
/// categories and the directives the page implements, generated alone.
fn settings(rng: &mut Rng, index: usize) -> Value {
    let mut s = gen_config::settings(rng, index);
    if index % 3 == 1 {
        // Mappings from the mapping generator, on each action's fields.
        let subs: Vec<Value> = (0..1 + rng.below(4))
            .map(|n| {
                let (action, field) = *rng.pick(&[
                    ("trackEvent", "name"),
                    ("identifyUser", "userId"),
                    ("identifyUser", "traits"),
                    ("identifyUser", "responseProperties"),
                    ("showSurvey", "surveyId"),
                ]);
                json!({"id": format!("g{n}"), "name": format!("G {n}"), "enabled": true,
                       "subscribe": "type = \"track\" or type = \"identify\" or type = \"page\"",
                       "partnerAction": action, "mapping": {field: gen_mapping::value(rng, 2)}})
            })
            .collect();
        s["subscriptions"] = Value::Array(subs);
    }
    if index % 3 == 2 {
        // Triggers from the trigger generator.
        if let Some(subs) = s["subscriptions"].as_array_mut() {
            for sub in subs.iter_mut() {
                sub["subscribe"] = json!(gen_fql::trigger(rng));
            }
        }
    }
    if rng.chance(30) {
        s["consentCategories"] = json!(["analytics"]);
    }
    if let Some(subs) = s["subscriptions"].as_array_mut() {
        for sub in subs.iter_mut().filter(|_| rng.chance(20)) {
            sub["consentCategories"] = json!(["surveys"]);
        }
    }
    s
}

/// Events from the pipeline, trigger and mapping generators (each aims at the paths
/// its own configurations read).
fn event(rng: &mut Rng) -> Value {
    let mut e = match rng.below(3) {
        0 => gen_config::event(rng),
        1 => gen_fql::event(rng).unwrap_or_else(|| json!({"type": "track"})),
        _ => gen_mapping::event(rng).unwrap_or_else(|| json!({"type": "identify"})),
    };
    if let Some(o) = e.as_object_mut() {
        if rng.chance(30) {
            let prefs = json!({"analytics": rng.chance(70), "surveys": rng.chance(70)});
            o.entry("context")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .map(|c| c.insert("consent".into(), json!({"categoryPreferences": prefs})));
        }
        if rng.chance(20) {
            // A double with all its digits, where parsing and printing must be exact.
            let price = rng.below(1 << 30) as f64 / (rng.below(997) + 3) as f64;
            if let Some(p) = o.get_mut("properties").and_then(Value::as_object_mut) {
                p.insert("price".into(), json!(price));
            }
        }
        if rng.chance(5) {
            // A lookup that meets JavaScript's prototype: the page defers it.
            o.insert("properties".into(), json!({"constructor": "mine"}));
            o.insert("traits".into(), json!({}));
        }
    }
    e
}

pub fn run(o: &Options) -> Result<(), String> {
    let seed = o.seed.unwrap_or(0x9a6e_0001);
    let configs = 300;
    let count = o.count.unwrap_or(10_000) / 20;
    let mut rng = Rng::new(seed);
    let (mut plans, mut unplanned, mut answered, mut deferred) = (0, 0, 0, 0);
    let mut disagreements = Vec::new();
    for c in 0..configs {
        let s = settings(&mut rng, c);
        let loaded = destination::load(destination::iterate(), &s);
        let Some(plan) = destination::page_plan(&loaded) else {
            unplanned += 1;
            continue;
        };
        let ids = subscription_ids(&plan);
        let handle = page::load(plan.to_string().as_bytes());
        if handle < 0 {
            unplanned += 1;
            continue;
        }
        plans += 1;
        for _ in 0..count {
            // The full engine reads the event from text, as the page hands it over.
            let e = event(&mut rng);
            let e: Value = serde_json::from_str(&e.to_string()).unwrap_or(e);
            let action = *rng.pick(ACTIONS);
            let known: Option<Map<String, Value>> = rng
                .chance(20)
                .then(|| json!({"analytics": true, "surveys": rng.chance(50)}))
                .and_then(|v| v.as_object().cloned());
            let only: Option<Vec<String>> = rng
                .chance(10)
                .then(|| ids.iter().filter(|_| rng.chance(50)).cloned().collect());
            let full = match loaded.config.run_action_with(
                action,
                &e,
                RunOptions {
                    only: only.as_deref(),
                    consent: known.as_ref(),
                    steps: true,
                },
            ) {
                Ok(outcome) => json!(outcome),
                Err(_) => json!({"error": "the event is not an object"}),
            };
            let only_text = only
                .as_ref()
                .map(|o| json!(o).to_string())
                .unwrap_or_default();
            let known_text = known
                .as_ref()
                .map(|k| json!(k).to_string())
                .unwrap_or_default();
            let code = page::run(
                handle,
                action.as_bytes(),
                e.to_string().as_bytes(),
                only_text.as_bytes(),
                known_text.as_bytes(),
            );
            if code == -2 {
                deferred += 1;
                continue;
            }
            answered += 1;
            let ours: Value = serde_json::from_str(&page::output()).map_err(|err| {
                format!("the page engine wrote no JSON ({err}): {}", page::output())
            })?;
            if !same(&ours, &full) {
                disagreements.push(format!(
                    "  DISAGREE config {c} action {action}\n    settings {s}\n    event    {e}\n    page     {ours}\n    full     {full}"
                ));
            }
        }
        page::free(handle);
    }
    let runs = answered + deferred;
    println!(
        "differential page (seed {seed}): {plans}/{configs} plans run by the page engine ({unplanned} left to the full engine); {}/{answered} answered runs agree with the full engine, {deferred}/{runs} runs deferred",
        answered - disagreements.len()
    );
    for d in disagreements.iter().take(10) {
        println!("{d}");
    }
    if !disagreements.is_empty() {
        return Err(format!(
            "{} page engine runs disagree with the full engine",
            disagreements.len()
        ));
    }
    // The comparison means something only if the page engine does most of the work.
    if plans * 2 < configs || answered * 10 < runs * 7 {
        return Err(format!(
            "the page engine ran too little to compare: {plans}/{configs} plans, {answered}/{runs} runs answered"
        ));
    }
    Ok(())
}

/// The ids of a plan's subscriptions, in run order.
fn subscription_ids(plan: &Value) -> Vec<String> {
    plan["subs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s[0].as_str().map(String::from))
        .collect()
}

/// Equal as JavaScript sees the JSON: numbers by value, objects by members.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}

/// Writes generated cases for `tests/browser/page-wasm.js`, which runs them through the
/// two built wasm modules (with the page's own `Number`/`String`, not the `js` crate):
/// one JSON line per configuration (`{"settings", "plan"}`, the settings as the control
/// plane serves them, with the plan), then one per event
/// (`{"action", "event", "only", "consent"}`).
pub fn write_corpus(
    path: &std::path::Path,
    seed: u64,
    configs: usize,
    per_config: usize,
) -> Result<(), String> {
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    // Settings whose JSON the page and the control plane could write differently.
    let tricky = [
        json!({"title": "héllo 😀 \u{2028} \u{7} \" \\ /", "rate": 0.5, "one": 1.0, "big": 12_345_678_901_234_567_890_u64}),
        json!({"n": 1e21, "m": 1e17, "s": 0.000_001, "z": -0.0, "o": {"b": 1, "1": 2, "10": 3, "9": 4}}),
        json!({"o": {"\u{ff61}": 1, "😀": 2, "iaPlan": 3}, "deliveryLogSampleRate": 0.25}),
    ];
    for c in 0..configs {
        let mut s = settings(&mut rng, c);
        if let (Some(extra), Some(o)) = (tricky.get(c), s.as_object_mut()) {
            o.insert("extra".into(), extra.clone());
        }
        // As the control plane serves them: with the plan and its fingerprint.
        let Some(mut served) = s.as_object().cloned() else {
            continue;
        };
        destination::add_page_plan(destination::iterate(), &mut served);
        let Some(plan) = served.get("iaPlan").cloned() else {
            continue;
        };
        let s = Value::Object(served);
        let ids = subscription_ids(&plan);
        out.push_str(&json!({"settings": s, "plan": plan}).to_string());
        out.push('\n');
        for _ in 0..per_config {
            let e = event(&mut rng);
            let action = *rng.pick(ACTIONS);
            let only = rng.chance(10).then(|| {
                ids.iter()
                    .filter(|_| rng.chance(50))
                    .cloned()
                    .collect::<Vec<_>>()
            });
            let consent = rng
                .chance(20)
                .then(|| json!({"analytics": true, "surveys": rng.chance(50)}));
            out.push_str(
                &json!({"action": action, "event": e, "only": only, "consent": consent})
                    .to_string(),
            );
            out.push('\n');
        }
    }
    std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))
}

/// `cargo xtask page-wasm` (and part of `cargo xtask browser`, after the build): the
/// built page module against the built full engine over generated cases.
pub fn wasm_check() -> Result<(), String> {
    let corpus = crate::root().join("target/page-corpus.jsonl");
    write_corpus(&corpus, 0x9a6e_0002, 150, 200)?;
    crate::run(
        std::process::Command::new("node")
            .arg(crate::root().join("tests/browser/page-wasm.js"))
            .arg(crate::web::dist())
            .arg(&corpus),
    )
}
