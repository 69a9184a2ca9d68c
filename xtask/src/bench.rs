//! `cargo xtask bench`: runs the criterion benchmarks, then the Node reference on
//! the same fixtures (`tests/reference/bench.js`), and prints both with their ratio.

use crate::{root, Options};
use serde_json::Value;
use std::process::Command;

pub fn run_bench(o: &Options) -> Result<(), String> {
    crate::npm_install()?;
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.args(["bench", "-p", "bench", "--bench", "engine", "--"]);
    if let Some(f) = &o.filter {
        cargo.arg(f);
    }
    cargo.args(["--warm-up-time", "1", "--measurement-time", "3"]);
    crate::run(&mut cargo)?;
    let output = Command::new("node")
        .arg(root().join("tests/reference/bench.js"))
        .output()
        .map_err(|e| format!("cannot start node: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the Node benchmark failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let node: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("Node benchmark output: {e}"))?;
    println!("\n| benchmark | ours (ns/op) | reference, Node (ns/op) | reference / ours |");
    println!("|---|---:|---:|---:|");
    for (name, theirs) in node.as_object().ok_or("Node output is not an object")? {
        if o.filter
            .as_ref()
            .is_some_and(|f| !name.contains(f.as_str()))
        {
            continue;
        }
        let path = root()
            .join("target/criterion")
            .join(name)
            .join("new/estimates.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!(
                "| {name} | (not measured) | {:.0} | |",
                theirs.as_f64().unwrap_or(f64::NAN)
            );
            continue;
        };
        let est: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let ours = est["mean"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
        let theirs = theirs.as_f64().unwrap_or(f64::NAN);
        println!(
            "| {name} | {ours:.1} | {theirs:.1} | {:.1}x |",
            theirs / ours
        );
    }
    Ok(())
}

pub fn run(o: &Options) -> Result<(), String> {
    let only = |name: &str| o.filter.as_deref().is_none_or(|f| name.contains(f));
    if only("fql") || only("mapping") {
        run_bench(o)?;
    }
    if only("pipeline") {
        pipeline(o.count.unwrap_or(200_000))?;
    }
    if only("serve") {
        crate::bench_serve::run_bench()?;
    }
    Ok(())
}

/// The preset pipeline from JSON text in to calls out: `iterate-actions run` and the
/// reference pipeline (`tests/reference/bench-pipeline.js`) over the same file of
/// ~1 KB events, each reporting events per second and peak memory.
fn pipeline(events: usize) -> Result<(), String> {
    let dir = root().join("target/bench-pipeline");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let fixtures: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/bench.json"))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let samples: Vec<&Value> = fixtures["events"]
        .as_object()
        .ok_or("no events")?
        .values()
        .collect();
    let mut text = String::new();
    for i in 0..events {
        let mut e = samples[i % samples.len()].clone();
        e["messageId"] = Value::String(format!("ajs-next-{i}"));
        text.push_str(&e.to_string());
        text.push('\n');
    }
    let events_path = dir.join("events.ndjson");
    std::fs::write(&events_path, text).map_err(|e| e.to_string())?;
    let settings = serde_json::json!({
        "apiKey": "bench",
        "subscriptions": engine::destination::iterate().definition.preset_subscriptions(),
    });
    let settings_path = dir.join("settings.json");
    std::fs::write(&settings_path, settings.to_string()).map_err(|e| e.to_string())?;
    crate::run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "--release",
            "-p",
            "cli",
        ]),
    )?;
    let measure = |cmd: &mut Command| -> Result<Value, String> {
        let out = cmd
            .stdout(std::process::Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stderr.lines().last().unwrap_or_default();
        serde_json::from_str(line).map_err(|e| format!("no statistics line ({e}): {stderr}"))
    };
    let ours = measure(
        Command::new(root().join("target/release/iterate-actions"))
            .args(["run", "--stats", "--settings"])
            .arg(&settings_path)
            .arg(&events_path),
    )?;
    let theirs = measure(
        Command::new("node")
            .arg(root().join("tests/reference/bench-pipeline.js"))
            .arg(&settings_path)
            .arg(&events_path),
    )?;
    // The page engine, as pages run it: the built module, in Node, on the served plan.
    crate::web::build()?;
    let planned = dir.join("settings-with-plan.json");
    let out = Command::new(root().join("target/release/iterate-actions"))
        .arg("plan")
        .arg(&settings_path)
        .output()
        .map_err(|e| e.to_string())?;
    std::fs::write(&planned, &out.stdout).map_err(|e| e.to_string())?;
    let page = measure(
        Command::new("node")
            .arg(root().join("tests/browser/bench-page.js"))
            .arg(crate::web::dist().join("iterate-page.wasm"))
            .arg(&planned)
            .arg(&events_path),
    )?;
    if page["deferred"].as_f64() != Some(0.0) {
        return Err(format!(
            "the page engine deferred events of the presets: {page}"
        ));
    }
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    println!("\n| page engine (iterate-page.wasm in Node), {events} events (presets) | ours | reference, Node | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| events/s | {:.0} | {:.0} | {:.1}x faster |",
        f(&page, "events_per_second"),
        f(&theirs, "events_per_second"),
        f(&page, "events_per_second") / f(&theirs, "events_per_second")
    );
    println!(
        "| peak memory (MB, Node included) | {:.1} | {:.1} | {:.1}x less |",
        f(&page, "peak_rss_kb") / 1024.0,
        f(&theirs, "peak_rss_kb") / 1024.0,
        f(&theirs, "peak_rss_kb") / f(&page, "peak_rss_kb")
    );
    println!("\n| pipeline, {events} events (presets) | ours | reference, Node | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| events/s | {:.0} | {:.0} | {:.1}x faster |",
        f(&ours, "events_per_second"),
        f(&theirs, "events_per_second"),
        f(&ours, "events_per_second") / f(&theirs, "events_per_second")
    );
    println!(
        "| peak memory (MB) | {:.1} | {:.1} | {:.1}x less |",
        f(&ours, "peak_rss_kb") / 1024.0,
        f(&theirs, "peak_rss_kb") / 1024.0,
        f(&theirs, "peak_rss_kb") / f(&ours, "peak_rss_kb")
    );
    Ok(())
}
