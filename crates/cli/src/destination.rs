//! `validate`, `run`, `plan` and `catalog`: a destination's settings checked, events
//! run through them, the page plan served with them, and the definitions printed.

use engine::destination::{self, Destination, Loaded};
use serde_json::{json, Value};
use std::io::{self, BufRead, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

/// Reads a file, or stdin for `-`.
fn read(path: &Path) -> Result<String, String> {
    if path == Path::new("-") {
        return io::read_to_string(io::stdin()).map_err(|e| format!("cannot read stdin: {e}"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn find(slug: &str) -> Result<&'static Destination, String> {
    destination::by_slug(slug).ok_or_else(|| {
        let known: Vec<_> = destination::catalog()
            .iter()
            .map(|d| d.definition.slug)
            .collect();
        format!("no destination `{slug}`; known: {}", known.join(", "))
    })
}

/// Reads and loads settings; prints every problem on stderr.
fn load(slug: &str, path: &Path) -> Result<Loaded, String> {
    let text = read(path)?;
    let settings: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    Ok(destination::load(find(slug)?, &settings))
}

pub fn validate(slug: &str, path: &Path, as_json: bool) -> ExitCode {
    let loaded = match load(slug, path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let errors = loaded.errors().count();
    if as_json {
        println!(
            "{}",
            json!({"ok": errors == 0, "problems": loaded.problems})
        );
    } else {
        for p in &loaded.problems {
            eprintln!("{}", p.render());
        }
        let warnings = loaded.problems.len() - errors;
        let actions = loaded.config.active_actions();
        if errors == 0 {
            println!(
                "{}: valid; {} warning(s); actions that run: {}",
                path.display(),
                warnings,
                if actions.is_empty() {
                    "none".into()
                } else {
                    actions.join(", ")
                }
            );
        } else {
            println!(
                "{}: {errors} error(s), {warnings} warning(s)",
                path.display()
            );
        }
    }
    if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Streams events (one JSON object a line) through the settings: one output line per
/// input line, in constant memory. A configuration with errors still runs its sound
/// subscriptions, as the browser does, and the exit status says it had errors.
pub fn run(slug: &str, settings: &Path, events: &Path, stats: bool, steps: bool) -> ExitCode {
    let options = destination::RunOptions {
        steps,
        ..Default::default()
    };
    let start = std::time::Instant::now();
    let mut count = 0u64;
    let loaded = match load(slug, settings) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for p in &loaded.problems {
        eprintln!("{}", p.render());
    }
    let input: Box<dyn BufRead> = if events == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        match std::fs::File::open(events) {
            Ok(f) => Box::new(io::BufReader::new(f)),
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", events.display());
                return ExitCode::from(2);
            }
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    for (n, line) in input.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot read line {}: {e}", n + 1);
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        count += 1;
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(event) => match loaded.config.run_with_options(&event, options) {
                Ok(outcome) => serde_json::to_value(outcome).unwrap_or(Value::Null),
                Err(e) => json!({"line": n + 1, "error": e.to_string()}),
            },
            Err(e) => json!({"line": n + 1, "error": format!("not JSON: {e}")}),
        };
        if writeln!(out, "{answer}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    if stats {
        let seconds = start.elapsed().as_secs_f64();
        eprintln!(
            "{}",
            json!({"events": count, "seconds": seconds, "events_per_second": count as f64 / seconds, "peak_rss_kb": peak_rss_kb()})
        );
    }
    if loaded.errors().next().is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The settings with the `iaPlan` the control plane would serve in them. Problems go to
/// stderr; the plan's report carries them too, and a configuration with errors is still
/// served (its sound mappings run), so they do not fail the command.
pub fn plan(slug: &str, path: &Path, pretty: bool) -> ExitCode {
    let prepared = read(path).and_then(|text| {
        let settings: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        let Value::Object(settings) = settings else {
            return Err(format!(
                "{} must hold a JSON object (a destination's settings)",
                path.display()
            ));
        };
        Ok((find(slug)?, settings))
    });
    let (dest, mut settings) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let loaded = destination::add_page_plan(dest, &mut settings);
    for p in &loaded.problems {
        eprintln!("{}", p.render());
    }
    if !settings.contains_key("iaPlan") {
        eprintln!(
            "warning: the configuration cannot be encoded as a page plan; pages use the full engine"
        );
    }
    let settings = Value::Object(settings);
    let text = if pretty {
        serde_json::to_string_pretty(&settings)
    } else {
        serde_json::to_string(&settings)
    };
    match text {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub fn catalog(as_json: bool) -> ExitCode {
    let definitions: Vec<_> = destination::catalog()
        .iter()
        .map(|d| &d.definition)
        .collect();
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&definitions).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    for d in definitions {
        print!("{}", describe(d));
    }
    ExitCode::SUCCESS
}

/// A definition as text: what a newcomer needs to write settings for it.
pub fn describe(d: &destination::Definition) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let kind = |k: &destination::model::FieldType| {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default()
    };
    let _ = writeln!(
        s,
        "{} ({}, {} mode)\n  {}",
        d.name,
        d.slug,
        serde_json::to_value(d.mode)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default(),
        d.description
    );
    let _ = writeln!(s, "\nsettings:");
    for setting in &d.settings {
        let _ = writeln!(
            s,
            "  {} \"{}\": {}{}{}{}\n      {}",
            setting.key,
            setting.label,
            kind(&setting.kind),
            if setting.required { ", required" } else { "" },
            setting
                .default
                .as_ref()
                .map(|d| format!(", default {d}"))
                .unwrap_or_default(),
            if setting.extension {
                " [beyond Segment]"
            } else {
                ""
            },
            setting.description
        );
    }
    let _ = writeln!(s, "\nactions (run in this order):");
    for a in &d.actions {
        let _ = writeln!(
            s,
            "  {} \"{}\": {} (default trigger: {}){}",
            a.key,
            a.title,
            a.description,
            a.default_trigger,
            if a.extension { " [beyond Segment]" } else { "" }
        );
        for f in &a.fields {
            let _ = writeln!(
                s,
                "    {} \"{}\": {}{}{}{}\n        {}",
                f.key,
                f.label,
                kind(&f.kind),
                if f.required { ", required" } else { "" },
                f.default
                    .as_ref()
                    .map(|m| format!(", default {m}"))
                    .unwrap_or_default(),
                if f.extension { " [beyond Segment]" } else { "" },
                f.description
            );
        }
    }
    let _ = writeln!(s, "\npresets:");
    for p in &d.presets {
        let _ = writeln!(
            s,
            "  {}: {} -> {} {}",
            p.name, p.trigger, p.action, p.mapping
        );
    }
    s
}

/// The process's peak resident set size (Linux `VmHWM`), when the system tells.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
