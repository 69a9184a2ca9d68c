//! `iterate-actions eval` over real process pipes: one answer line per case line,
//! in order, malformed lines included.

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

fn eval(input: &str) -> Vec<Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iterate-actions"))
        .arg("eval")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start iterate-actions");
    // Write from another thread: the answers fill the stdout pipe while we write.
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer thread").expect("write");
    assert!(out.status.success(), "exit {}", out.status);
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an answer is JSON"))
        .collect()
}

#[test]
fn answers_every_line_in_order() {
    let input = concat!(
        r#"{"id":"a","kind":"fql","fql":"type = \"track\"","event":{"type":"track"}}"#,
        "\n",
        "not json\n",
        "\n",
        r#"{"id":"b","kind":"fql","fql":"type = \"track\" and","event":{"type":"identify"}}"#,
        "\n",
        r#"{"id":"c","kind":"fql","fql":"((type = \"track\"))","event":{"type":"track"}}"#,
        "\n",
        r#"{"id":"d","kind":"fql","fql":"type = \"track\" and ()","event":{"type":"track"}}"#,
        "\n",
        r#"{"id":"e","kind":"fql","fql":"type = \"track\" and ()","event":{"type":"page"}}"#,
        "\n",
    );
    let answers = eval(input);
    let ids: Vec<&Value> = answers.iter().map(|a| &a["id"]).collect();
    assert_eq!(
        ids,
        ["a", "", "b", "c", "d", "e"]
            .map(|s| if s.is_empty() {
                Value::Null
            } else {
                Value::from(s)
            })
            .iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(answers[0]["match"], true);
    assert_eq!(answers[1]["ok"], false);
    assert_eq!(answers[2]["match"], false);
    assert_eq!(answers[3]["ok"], false, "nested parentheses do not parse");
    assert_eq!(answers[4]["ok"], false, "reaching empty parentheses throws");
    assert_eq!(
        answers[5]["match"], false,
        "`and` stops before the empty parentheses"
    );
}

#[test]
fn streams_many_lines() {
    let line = r#"{"id":"x","kind":"fql","fql":"properties.n > 1","event":{"type":"track","properties":{"n":2}}}"#;
    let input = format!("{line}\n").repeat(20_000);
    let answers = eval(&input);
    assert_eq!(answers.len(), 20_000);
    assert!(answers.iter().all(|a| a["match"] == true));
}
