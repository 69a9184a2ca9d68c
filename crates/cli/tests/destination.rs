//! `validate`, `run` and `catalog` as a user runs them: real files, real pipes, exit
//! statuses.

use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_iterate-actions"))
}

/// Writes `contents` to a fresh file under the target directory.
fn file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-destination");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write");
    path
}

fn presets() -> Value {
    json!({"apiKey": "key", "subscriptions": [
        {"id": "t", "name": "Track Event", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}},
        {"id": "i", "name": "Identify User", "enabled": true, "subscribe": "type = \"identify\"", "partnerAction": "identifyUser", "mapping": {"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}}}
    ]})
}

fn run_with_stdin(args: &[&str], input: String) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start iterate-actions");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread").expect("write");
    out
}

#[test]
fn validate_accepts_presets_and_lists_every_problem_otherwise() {
    let good = file("good.json", &presets().to_string());
    let out = bin().arg("validate").arg(&good).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("trackEvent, identifyUser"));

    let mut bad = presets();
    bad["apiKey"] = json!("");
    bad["subscriptions"][0]["subscribe"] = json!("(type = \"track\"");
    bad["subscriptions"][1]["partnerAction"] = json!("identify");
    let bad = file("bad.json", &bad.to_string());
    let out = bin().arg("validate").arg(&bad).output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "DEF202",
        "FQL013",
        "DEF205",
        "/subscriptions/1/partnerAction",
        "in subscription 0 \"Track Event\"",
    ] {
        assert!(stderr.contains(needle), "{needle} missing from:\n{stderr}");
    }
    let out = bin()
        .arg("validate")
        .arg("--json")
        .arg(&bad)
        .output()
        .expect("run");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["ok"], false);
    assert_eq!(report["problems"].as_array().map(Vec::len), Some(3));
    let missing = bin()
        .args(["validate", "/nonexistent/settings.json"])
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn run_answers_every_line_and_goes_on_after_bad_ones() {
    let settings = file("run.json", &presets().to_string());
    let input = [
        r#"{"type":"track","event":"Signed Up"}"#,
        "not json",
        r#"{"type":"identify","userId":"u1","traits":{"plan":"pro"}}"#,
        "[1]",
        r#"{"type":"track"}"#,
    ]
    .join("\n");
    let out = run_with_stdin(&["run", "--settings", settings.to_str().unwrap()], input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("an output line is JSON"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        json!({"calls": [["event", "Signed Up"]], "skipped": []})
    );
    let with_steps = run_with_stdin(
        &["run", "--steps", "--settings", settings.to_str().unwrap()],
        r#"{"type": "track", "event": "Signed Up"}"#.to_string() + "\n",
    );
    let line: Value = serde_json::from_slice(&with_steps.stdout).expect("one JSON line");
    assert_eq!(
        line["steps"],
        json!([{"subscription": "t", "outcome": "delivered"}, {"subscription": "i", "outcome": "trigger"}]),
        "every subscription says where it stopped"
    );
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].as_str().unwrap().contains("not JSON"));
    assert_eq!(
        lines[2]["calls"],
        json!([["identify", {"plan": "pro", "external_id": "u1"}]])
    );
    assert!(lines[3]["error"]
        .as_str()
        .unwrap()
        .contains("must be a JSON object"));
    assert_eq!(lines[4]["skipped"][0]["subscription"], "t");
}

#[test]
fn run_streams_in_constant_memory() {
    let settings = file("stream.json", &presets().to_string());
    let peak = |events: usize| {
        let line =
            r#"{"type":"track","event":"Signed Up","properties":{"plan":"pro","price":19.99}}"#;
        let input = format!("{line}\n").repeat(events);
        let out = run_with_stdin(
            &["run", "--stats", "--settings", settings.to_str().unwrap()],
            input,
        );
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), events);
        let stats: Value =
            serde_json::from_str(String::from_utf8_lossy(&out.stderr).lines().last().unwrap())
                .unwrap();
        assert_eq!(stats["events"], events);
        stats["peak_rss_kb"]
            .as_u64()
            .expect("Linux reports peak memory")
    };
    let small = peak(1_000);
    let large = peak(100_000);
    // A hundred times the input may not cost more than a couple of megabytes more.
    assert!(
        large < small + 2048,
        "peak memory grew from {small} KB to {large} KB"
    );
}

#[test]
fn catalog_prints_the_definition() {
    let out = bin().args(["catalog", "--json"]).output().expect("run");
    let catalog: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(catalog[0]["slug"], "actions-iterate");
    assert_eq!(
        catalog[0]["actions"][0]["fields"][0]["default"],
        json!({"@path": "$.event"})
    );
    let text = bin().arg("catalog").output().expect("run");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("apiKey \"Embed API Key\": string, required"),
        "{text}"
    );
}

#[test]
fn plan_adds_the_page_plan_to_settings() {
    let mut settings = presets();
    settings["deliveryLogUrl"] = json!("http://example.invalid/delivery");
    settings["iaPlan"] = json!("stale");
    let path = file("plan.json", &settings.to_string());
    let out = bin().arg("plan").arg(&path).output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let served: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    // The settings as given, plan added.
    for key in ["apiKey", "subscriptions", "deliveryLogUrl"] {
        assert_eq!(served[key], settings[key], "{key}");
    }
    let plan = &served["iaPlan"];
    assert_eq!(plan["v"], 1);
    assert_eq!(plan["name"], "Iterate Web (Actions)");
    assert_eq!(
        plan["report"]["actions"],
        json!(["trackEvent", "identifyUser"])
    );
    assert_eq!(
        plan["subs"],
        json!([
            [
                "t",
                0,
                ["and", ["type", null, "eq", "track"]],
                ["o", "name", ["p", "event"]],
                []
            ],
            [
                "i",
                1,
                ["and", ["type", null, "eq", "identify"]],
                ["o", "userId", ["p", "userId"], "traits", ["p", "traits"]],
                []
            ]
        ])
    );

    // From stdin, pretty: the same document.
    let out = run_with_stdin(&["plan", "--pretty", "-"], settings.to_string());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\n  \"iaPlan\": {"));
    let again: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(again, served);

    // A configuration with errors still gets its plan; the problems are shown too.
    let mut bad = presets();
    bad["subscriptions"][0]["subscribe"] = json!("(type = \"track\"");
    let out = run_with_stdin(&["plan", "-"], bad.to_string());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FQL013"));
    let served: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(served["iaPlan"]["subs"].as_array().map(Vec::len), Some(1));
    assert_eq!(served["iaPlan"]["report"]["problems"][0]["code"], "FQL013");

    for (input, needle) in [
        ("{\"apiKey\": ", "is not JSON"),
        ("[1, 2]", "must hold a JSON object"),
    ] {
        let out = run_with_stdin(&["plan", "-"], input.to_string());
        assert_eq!(out.status.code(), Some(2), "{input}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{stderr}");
    }
}
