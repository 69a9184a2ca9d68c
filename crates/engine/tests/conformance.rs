//! The curated conformance cases in `../shared/conformance/` (answers recorded from
//! Segment's npm packages) must all agree with our engine, apart from the cases
//! listed, with a reason, in `tests/conformance/divergences.json`.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_lines(path: &PathBuf) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the shared folder must sit beside the repository)",
            path.display()
        )
    });
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| Value::String(l.to_string())))
        .collect()
}

fn listed_divergences(section: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo().join("tests/conformance/divergences.json"))
        .expect("divergences.json");
    let doc: Value = serde_json::from_str(&text).expect("divergences.json is JSON");
    let mut out = BTreeMap::new();
    for case in doc[section]["cases"].as_array().expect("cases array") {
        let id = case["id"]
            .as_str()
            .expect("a divergence has an id")
            .to_string();
        let reason = case["reason"].as_str().unwrap_or_default();
        assert!(reason.len() > 20, "divergence {id} needs a real reason");
        out.insert(id, reason.to_string());
    }
    for b in doc[section]["behaviours"]
        .as_array()
        .expect("behaviours array")
    {
        assert!(
            b["what"].as_str().is_some_and(|s| !s.is_empty()),
            "a behaviour says what differs"
        );
        assert!(
            b["reason"].as_str().is_some_and(|s| s.len() > 20),
            "a behaviour says why"
        );
    }
    out
}

fn agrees(ours: &Value, theirs: &Value) -> bool {
    if ours["ok"] != theirs["ok"] {
        return false;
    }
    if theirs["ok"] == false {
        return true;
    }
    ours.get("match") == theirs.get("match") && ours.get("output") == theirs.get("output")
}

fn check(kind: &str, section: &str) {
    let dir = repo().join("../shared/conformance");
    let cases = read_lines(&dir.join("curated.jsonl"));
    let expected: BTreeMap<String, Value> = read_lines(&dir.join("curated.expected.jsonl"))
        .into_iter()
        .map(|e| match &e {
            // serde_json cannot read a lone surrogate; key the raw line by its id.
            Value::String(line) => (
                engine::conformance::answer_line(line)["id"]
                    .as_str()
                    .expect("id")
                    .to_string(),
                e,
            ),
            _ => (e["id"].as_str().expect("id").to_string(), e),
        })
        .collect();
    let listed = listed_divergences(section);
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    let mut total = 0;
    let mut differing = 0;
    for case in &cases {
        // A line serde_json cannot read (a lone surrogate) is answered from its text.
        let ours = match case {
            Value::String(line) => engine::conformance::answer_line(line),
            case => engine::conformance::answer(case),
        };
        let Some(id) = ours["id"].as_str() else {
            panic!("no id in the answer to {case}")
        };
        let theirs = &expected[id];
        let theirs_kind = match theirs {
            Value::String(line) => {
                if line.contains("\"kind\":\"fql\"") {
                    "fql"
                } else {
                    "mapping"
                }
            }
            t => t["kind"].as_str().unwrap_or_default(),
        };
        if theirs_kind != kind {
            continue;
        }
        total += 1;
        let differs = !agrees(&ours, theirs);
        differing += usize::from(differs);
        if differs && !listed.contains_key(id) {
            failures.push(format!(
                "{id}: {}\n  ours   {ours}\n  theirs {theirs}",
                case
            ));
        }
        if listed.contains_key(id) {
            seen.insert(id.to_string());
            if !differs {
                failures.push(format!("{id} is listed as a divergence but agrees now: remove it from divergences.json"));
            }
        }
    }
    for id in listed.keys().filter(|id| !seen.contains(*id)) {
        failures.push(format!("divergence {id} names no curated {kind} case"));
    }
    println!(
        "{kind} conformance: {} of {total} curated cases agree, {} listed divergences",
        total - differing,
        listed.len()
    );
    assert!(total > 0, "no curated {kind} cases found");
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn curated_trigger_cases_agree_with_the_reference() {
    check("fql", "trigger");
}

#[test]
fn curated_mapping_cases_agree_with_the_reference() {
    check("mapping", "mapping");
}
