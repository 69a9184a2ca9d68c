//! Differential runs: generated cases answered by Segment's live npm packages
//! (`tests/reference/answer.js`) and by our engine, compared case by case.

use crate::rng::Rng;
use crate::{gen_config, gen_fql, gen_mapping, root, Options};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

pub fn run(o: &Options) -> Result<(), String> {
    crate::npm_install()?;
    let kind = o.filter.as_deref().unwrap_or("all");
    let mut failed = Vec::new();
    if kind == "all" || kind == "fql" {
        if let Err(e) = triggers(o) {
            failed.push(e);
        }
    }
    if kind == "all" || kind == "mapping" {
        if let Err(e) = mappings(o) {
            failed.push(e);
        }
    }
    if kind == "all" || kind == "destination" {
        if let Err(e) = pipelines(o) {
            failed.push(e);
        }
    }
    if kind == "all" || kind == "page" {
        if let Err(e) = crate::differential_page::run(o) {
            failed.push(e);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

fn triggers(o: &Options) -> Result<(), String> {
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
    let (mut matched, mut rejected, mut thrown) = (0, 0, 0);
    for case in &cases {
        let theirs = &reference[case["id"].as_str().unwrap_or_default()];
        if theirs["ok"] == false {
            if case_parses(case) {
                thrown += 1;
            } else {
                rejected += 1;
            }
        } else if theirs["match"] == true {
            matched += 1;
        }
    }
    compare(
        &format!("triggers (seed {seed})"),
        &cases,
        &reference,
        &format!(
            "reference: {matched} match, {rejected} rejected, {thrown} throw while evaluating"
        ),
    )
}

fn mappings(o: &Options) -> Result<(), String> {
    let seed = o.seed.unwrap_or(0x3a99_1e55);
    let count = o.count.unwrap_or(10_000);
    let mut rng = Rng::new(seed);
    let mut directives = std::collections::BTreeMap::<String, usize>::new();
    let cases: Vec<Value> = (0..count)
        .map(|i| {
            let mapping = gen_mapping::mapping(&mut rng);
            count_directives(&mapping, &mut directives);
            let mut case =
                json!({"id": format!("g-map-{i}"), "kind": "mapping", "mapping": mapping});
            if let Some(event) = gen_mapping::event(&mut rng) {
                case["event"] = event;
            }
            case
        })
        .collect();
    let reference = reference_answers(&cases)?;
    let ok = reference.values().filter(|a| a["ok"] == true).count();
    let used: Vec<String> = directives
        .iter()
        .map(|(d, n)| format!("{d} x{n}"))
        .collect();
    compare(
        &format!("mappings (seed {seed})"),
        &cases,
        &reference,
        &format!(
            "reference: {ok} ok, {} errors; directives used: {}",
            count - ok,
            used.join(", ")
        ),
    )
}

fn count_directives(v: &Value, counts: &mut std::collections::BTreeMap<String, usize>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if k.starts_with('@') {
                    *counts.entry(k.clone()).or_default() += 1;
                }
                count_directives(v, counts);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| count_directives(i, counts)),
        _ => {}
    }
}

/// Compares our answers with the reference's: `ok` must agree, and so must `match`
/// or `output` when the reference succeeded.
fn compare(
    what: &str,
    cases: &[Value],
    reference: &HashMap<String, Value>,
    stats: &str,
) -> Result<(), String> {
    let mut disagreements = Vec::new();
    let mut excused = std::collections::BTreeMap::<&str, usize>::new();
    for case in cases {
        let ours = engine::conformance::answer(case);
        let id = case["id"].as_str().unwrap_or_default();
        let theirs = reference
            .get(id)
            .ok_or_else(|| format!("the reference gave no answer for {id}"))?;
        let agree = ours["ok"] == theirs["ok"]
            && (theirs["ok"] == false
                || (ours.get("match") == theirs.get("match")
                    && ours.get("output") == theirs.get("output")));
        if agree {
            continue;
        }
        match listed_behaviour(case) {
            Some(tag) => *excused.entry(tag).or_default() += 1,
            None => disagreements.push((case, ours, theirs.clone())),
        }
    }
    let count = cases.len();
    let agree = count - disagreements.len() - excused.values().sum::<usize>();
    println!(
        "differential {what}: {agree}/{count} agree ({:.2}%); {stats}",
        100.0 * agree as f64 / count.max(1) as f64
    );
    if !excused.is_empty() {
        let listed = listed_tags()?;
        for (tag, n) in &excused {
            if !listed.contains(*tag) {
                return Err(format!(
                    "{tag} is not a behaviour listed in tests/conformance/divergences.json"
                ));
            }
            println!("  {n} differ by a listed divergence ({tag})");
        }
    }
    for (case, ours, theirs) in disagreements.iter().take(20) {
        println!("  DISAGREE {case}\n    ours   {ours}\n    theirs {theirs}");
    }
    if disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} generated {what} cases disagree with the reference",
            disagreements.len()
        ))
    }
}

/// The listed divergence a generated case runs into, if any: the only one the
/// generator reaches on purpose is a `__proto__` key in a mapping object.
fn listed_behaviour(case: &Value) -> Option<&'static str> {
    fn has_proto_key(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.contains_key("__proto__") || m.values().any(has_proto_key),
            Value::Array(items) => items.iter().any(has_proto_key),
            _ => false,
        }
    }
    has_proto_key(&case["mapping"]).then_some("tag:proto-key")
}

fn listed_tags() -> Result<std::collections::BTreeSet<String>, String> {
    let path = root().join("tests/conformance/divergences.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(["trigger", "mapping"]
        .iter()
        .flat_map(|k| v[k]["behaviours"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["tag"].as_str().map(String::from))
        .collect())
}

fn case_parses(case: &Value) -> bool {
    fql_parses(case["fql"].as_str().unwrap_or_default())
}

fn fql_parses(src: &str) -> bool {
    engine::fql::parse(src).trigger.is_some()
}

/// Generated settings × generated events through the whole pipeline (trigger, mapping,
/// payload validation, action), ours against the reference pipeline
/// (`tests/reference/pipeline.js`: Segment's browser runtime and Iterate definition with
/// actions-core's cloud-mode validation before perform). Calls must be equal, and so
/// must the subscriptions skipped, except those our loader refuses outright.
fn pipelines(o: &Options) -> Result<(), String> {
    let seed = o.seed.unwrap_or(0x17e2_a7e5);
    let count = o.count.unwrap_or(10_000);
    let configs = 8;
    let mut rng = Rng::new(seed);
    let settings: Vec<Value> = (0..configs)
        .map(|i| gen_config::settings(&mut rng, i))
        .collect();
    let events: Vec<Value> = (0..count).map(|_| gen_config::event(&mut rng)).collect();
    let mut lines = Vec::with_capacity(configs * (count + 1));
    for (c, s) in settings.iter().enumerate() {
        lines.push(json!({"config": c.to_string(), "settings": s}));
        for (i, e) in events.iter().enumerate() {
            lines.push(json!({"id": format!("{c}-{i}"), "config": c.to_string(), "event": e}));
        }
    }
    let reference = node_answers("pipeline.js", &lines)?;
    let (mut calls, mut invalid, mut refused, mut disagreements) = (0, 0, 0, Vec::new());
    for (c, s) in settings.iter().enumerate() {
        let loaded = engine::destination::load(engine::destination::iterate(), s);
        let unsound: std::collections::BTreeSet<String> = loaded
            .errors()
            .filter_map(|p| p.subscription.as_ref().map(|r| r.id.clone()))
            .collect();
        refused += unsound.len();
        for (i, e) in events.iter().enumerate() {
            let id = format!("{c}-{i}");
            let theirs = reference
                .get(&id)
                .ok_or_else(|| format!("the reference gave no answer for {id}"))?;
            let ours = loaded.config.run(e).unwrap_or_default();
            let mut our_skips: Vec<(String, &str)> = ours
                .skipped
                .iter()
                .map(|s| {
                    (
                        s.subscription.clone(),
                        if s.reason.starts_with("invalid payload") {
                            "invalid"
                        } else {
                            "error"
                        },
                    )
                })
                .collect();
            let mut their_skips: Vec<(String, &str)> = theirs["skipped"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    (
                        s["subscription"].as_str().unwrap_or_default().to_string(),
                        s["kind"].as_str().unwrap_or_default(),
                    )
                })
                .filter(|(sub, _)| !unsound.contains(sub))
                .collect();
            our_skips.sort();
            their_skips.sort();
            let our_calls = json!(ours.calls);
            calls += ours.calls.len();
            invalid += our_skips.iter().filter(|(_, k)| *k == "invalid").count();
            if our_calls != theirs["calls"] || our_skips != their_skips {
                disagreements.push(format!(
                    "  DISAGREE config {c} {}\n    event  {e}\n    ours   {our_calls} {our_skips:?}\n    theirs {} {their_skips:?}",
                    settings[c], theirs["calls"]
                ));
            }
        }
    }
    let total = configs * count;
    println!(
        "differential pipelines (seed {seed}): {}/{total} events agree ({:.2}%) over {configs} configurations; {calls} calls, {invalid} payloads skipped as invalid, {refused} subscriptions refused at load",
        total - disagreements.len(),
        100.0 * (total - disagreements.len()) as f64 / total.max(1) as f64
    );
    for d in disagreements.iter().take(10) {
        println!("{d}");
    }
    if disagreements.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} pipeline cases disagree with the reference",
            disagreements.len()
        ))
    }
}

/// Runs the Node harness over `cases` and returns its answers by id.
pub fn reference_answers(cases: &[Value]) -> Result<HashMap<String, Value>, String> {
    node_answers("answer.js", cases)
}

/// Runs `tests/reference/<script>` over JSON lines and returns its answers by id.
fn node_answers(script: &str, cases: &[Value]) -> Result<HashMap<String, Value>, String> {
    let script = root().join("tests/reference").join(script);
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

    /// The mapping generator must reach every directive, nested, plus malformed
    /// mappings, or the differential run proves little.
    #[test]
    fn mapping_generator_covers_every_directive() {
        let mut rng = crate::rng::Rng::new(1);
        let mut counts = std::collections::BTreeMap::new();
        let (mut compiled, mut nested) = (0, 0);
        for _ in 0..3000 {
            let m = crate::gen_mapping::mapping(&mut rng);
            super::count_directives(&m, &mut counts);
            compiled += usize::from(engine::mapping::compile(&m).is_ok());
            nested += usize::from(m.to_string().matches('@').count() >= 3);
        }
        for d in [
            "@path",
            "@template",
            "@literal",
            "@if",
            "@case",
            "@replace",
            "@arrayPath",
            "@json",
            "@flatten",
            "@merge",
            "@transform",
            "@excludeWhenNull",
            "@foo",
        ] {
            assert!(
                counts.get(d).copied().unwrap_or(0) > 50,
                "{d} is rare: {counts:?}"
            );
        }
        assert!(
            (600..2400).contains(&compiled),
            "{compiled} of 3000 compile"
        );
        assert!(nested > 1000, "only {nested} mappings nest directives");
    }
}
