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
    run_bench(o)
}
