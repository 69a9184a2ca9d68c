//! Differential runs: generated cases answered by Segment's live npm packages
//! (`tests/reference/answer.js`) and by our engine, compared case by case.

use crate::rng::Rng;
use crate::{gen_fql, root, Options};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

pub fn run(o: &Options) -> Result<(), String> {
    crate::npm_install()?;
    let seed = o.seed.unwrap_or(0x1ea7_ac71);
    let count = o.count.unwrap_or(10_000);
    let mut rng = Rng::new(seed);
    let cases: Vec<Value> = (0..count)
        .map(|i| {
            let mut case = json!({"id": format!("g-fql-{i}"), "kind": "fql", "fql": gen_fql::trigger(&mut rng)});
            if let Some(event) = gen_fql::event(&mut rng) {
                case["event"] = event;
            }
            case
        })
        .collect();
    let reference = reference_answers(&cases)?;
    let mut disagreements = Vec::new();
    let (mut matched, mut rejected, mut thrown) = (0, 0, 0);
    for case in &cases {
        let ours = engine::conformance::answer(case);
        let id = case["id"].as_str().unwrap_or_default();
        let theirs = reference
            .get(id)
            .ok_or_else(|| format!("the reference gave no answer for {id}"))?;
        if theirs["ok"] == false {
            if case_parses(case) {
                thrown += 1;
            } else {
                rejected += 1;
            }
        } else if theirs["match"] == true {
            matched += 1;
        }
        if ours["ok"] != theirs["ok"] || ours.get("match") != theirs.get("match") {
            disagreements.push((case, ours, theirs.clone()));
        }
    }
    let agree = count - disagreements.len();
    println!(
        "differential triggers (seed {seed}): {agree}/{count} agree ({:.2}%); reference: {matched} match, {rejected} rejected, {thrown} throw while evaluating",
        100.0 * agree as f64 / count.max(1) as f64
    );
    for (case, ours, theirs) in disagreements.iter().take(20) {
        println!(
            "  DISAGREE {}\n    ours   {ours}\n    theirs {theirs}",
            case
        );
    }
    if disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} generated trigger cases disagree with the reference",
            disagreements.len()
        ))
    }
}

fn case_parses(case: &Value) -> bool {
    fql_parses(case["fql"].as_str().unwrap_or_default())
}

fn fql_parses(src: &str) -> bool {
    engine::fql::parse(src).trigger.is_some()
}

/// Runs the Node harness over `cases` and returns its answers by id.
pub fn reference_answers(cases: &[Value]) -> Result<HashMap<String, Value>, String> {
    let script = root().join("tests/reference/answer.js");
    let mut child = Command::new("node")
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let mut input = String::new();
    for c in cases {
        input.push_str(&c.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer
        .join()
        .map_err(|_| "writer panicked")?
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("the reference harness failed: {}", output.status));
    }
    let mut answers = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let v: Value =
            serde_json::from_str(line).map_err(|e| format!("bad reference line {line}: {e}"))?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        answers.insert(id, v);
    }
    Ok(answers)
}

#[cfg(test)]
mod tests {
    /// The generator must reach every syntax error the reference can produce and
    /// still produce mostly triggers that parse, or the differential run proves little.
    #[test]
    fn generator_covers_errors_and_mostly_parses() {
        let mut rng = crate::rng::Rng::new(1);
        let mut codes = std::collections::BTreeSet::new();
        let mut parsed = 0;
        let mut warned = std::collections::BTreeSet::new();
        for _ in 0..5000 {
            let t = crate::gen_fql::trigger(&mut rng);
            let p = engine::fql::parse(&t);
            parsed += usize::from(p.trigger.is_some());
            for d in &p.diagnostics {
                if d.is_error() {
                    codes.insert(d.code);
                } else {
                    warned.insert(d.code);
                }
            }
        }
        assert!(
            parsed > 3000,
            "only {parsed} of 5000 generated triggers parse"
        );
        for code in [
            "FQL001", "FQL002", "FQL004", "FQL005", "FQL010", "FQL011", "FQL012", "FQL013",
            "FQL014",
        ] {
            assert!(
                codes.contains(code),
                "the generator never produces {code}: {codes:?}"
            );
        }
        for code in [
            "FQL050", "FQL051", "FQL052", "FQL053", "FQL054", "FQL055", "FQL056", "FQL057",
            "FQL058",
        ] {
            assert!(
                warned.contains(code),
                "the generator never produces warning {code}: {warned:?}"
            );
        }
    }
}
