//! `cargo xtask <task>`: the single entry point for CI and chores.
//!
//! - `ci`: everything the test command runs (installs the Node reference packages,
//!   fmt check, clippy, all tests, differential runs against the live npm
//!   packages, benchmark compile).
//! - `differential [--kind fql|mapping|destination|page] [--seed N] [--count N]`: generated
//!   cases, answered by the reference packages and by our engine, compared (`page`: the
//!   page engine against the full engine).
//! - `page-wasm`: the built page module against the built full engine, in Node.
//! - `bench`: criterion benchmarks and the Node reference on the same inputs, ratio printed.
//! - `fuzz [--seconds N]`: the cargo-fuzz targets.

mod bench;
mod bench_serve;
mod browser;
mod differential;
mod differential_page;
mod gen_config;
mod gen_fql;
mod gen_mapping;
mod rng;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match task {
        "ci" => ci(),
        "differential" => differential::run(&Options::parse(rest)),
        "page-wasm" => differential_page::wasm_check(),
        "bench" => bench::run(&Options::parse(rest)),
        "web" => web::build(),
        "browser" => browser::run_all(),
        "fuzz" => fuzz(&Options::parse(rest)),
        "npm" => npm_install(),
        "demo" => demo(&Options::parse(rest)),
        _ => {
            eprintln!("usage: cargo xtask <ci | demo [--addr HOST:PORT] | differential [--kind fql|mapping|destination|page] [--seed N] [--count N] | page-wasm | bench | web | browser | fuzz [--seconds N] | npm>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Debug, Default)]
pub struct Options {
    pub seed: Option<u64>,
    pub count: Option<usize>,
    pub seconds: Option<u64>,
    pub filter: Option<String>,
}

impl Options {
    fn parse(args: &[String]) -> Options {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let v = it.clone().next().cloned();
            match a.as_str() {
                "--seed" => o.seed = v.and_then(|v| v.parse().ok()),
                "--count" => o.count = v.and_then(|v| v.parse().ok()),
                "--seconds" => o.seconds = v.and_then(|v| v.parse().ok()),
                "--filter" | "--kind" | "--addr" => o.filter = v,
                _ => continue,
            }
            it.next();
        }
        o
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub fn run(cmd: &mut Command) -> Result<(), String> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {shown}");
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed with {status}"))
    }
}

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Installs Segment's reference packages from the lockfile, when they are missing or
/// stale, and Node.js itself from Debian's packages when the machine has none.
pub fn npm_install() -> Result<(), String> {
    npm_install_in("tests/reference")
}

/// Installs Debian packages, refreshing the package lists first only when the install
/// fails without them (a fresh machine has none).
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    let install = || {
        run(Command::new("apt-get")
            .args(["install", "-y"])
            .args(packages))
    };
    if install().is_err() {
        run(Command::new("apt-get").arg("update"))?;
        install()?;
    }
    Ok(())
}

/// `npm ci` in a folder of this repository (its package-lock.json), skipped when
/// node_modules already came from that very lockfile; installs Node.js itself from
/// Debian's packages when the machine has none.
pub fn npm_install_in(folder: &str) -> Result<(), String> {
    if Command::new("npm").arg("--version").output().is_err() {
        apt_install(&["nodejs", "npm"])?;
    }
    let dir = root().join(folder);
    let lock = std::fs::read(dir.join("package-lock.json"))
        .map_err(|e| format!("{folder}/package-lock.json: {e}"))?;
    let installed = std::fs::read(dir.join("node_modules/.package-lock.json")).unwrap_or_default();
    let stamp = dir.join("node_modules/.installed-from-lock");
    if installed.is_empty() || std::fs::read(&stamp).ok().as_deref() != Some(lock.as_slice()) {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir))?;
        std::fs::write(&stamp, &lock).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The main job: the browser bundle and analytics-next for the demo page, then
/// `iterate-actions serve --demo` on an embedded SQLite database.
fn demo(o: &Options) -> Result<(), String> {
    npm_install_in("tests/browser")?;
    web::build()?;
    let addr = o.filter.clone().unwrap_or_else(|| "127.0.0.1:8420".into());
    run(cargo()
        .args([
            "run",
            "--quiet",
            "--release",
            "-p",
            "cli",
            "--",
            "serve",
            "--demo",
            "--addr",
        ])
        .arg(addr)
        .args(["--db", "iterate-actions.db"]))
}

fn ci() -> Result<(), String> {
    type Step = (&'static str, Box<dyn Fn() -> Result<(), String>>);
    let steps: Vec<Step> = vec![
        ("install the Node reference packages", Box::new(npm_install)),
        (
            "cargo fmt --check",
            Box::new(|| run(cargo().args(["fmt", "--all", "--", "--check"]))),
        ),
        (
            "clippy -D warnings",
            Box::new(|| {
                run(cargo().args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            }),
        ),
        (
            "all tests",
            Box::new(|| run(cargo().args(["test", "--workspace", "--no-fail-fast"]))),
        ),
        (
            "differential: triggers, mappings and the destination pipeline",
            Box::new(|| {
                differential::run(&Options {
                    count: Some(20_000),
                    ..Options::default()
                })
            }),
        ),
        (
            "browser: ours vs Segment's bundle, and analytics-next against serve",
            Box::new(browser::run_all),
        ),
        (
            "benchmarks compile",
            Box::new(|| run(cargo().args(["bench", "--workspace", "--no-run"]))),
        ),
    ];
    let (mut passed, mut failed) = (0, 0);
    for (name, step) in &steps {
        eprintln!("\n==> {name}");
        match step() {
            Ok(()) => passed += 1,
            Err(e) => {
                eprintln!("FAILED: {name}: {e}");
                failed += 1;
            }
        }
    }
    println!("\nci: {passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} step(s) failed"))
    }
}

/// Seeds `fuzz/corpus/<target>` with the curated cases of that kind (input, a NUL
/// byte, the event), so fuzzing starts from real triggers and mappings.
fn seed_corpus(target: &str) -> Result<(), String> {
    let curated = root().join("../shared/conformance/curated.jsonl");
    let Ok(text) = std::fs::read_to_string(&curated) else {
        return Ok(());
    };
    let dir = root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let field = match target {
        "fql" => "fql",
        _ => "mapping",
    };
    for (i, line) in text.lines().enumerate() {
        let Ok(case) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let settings;
        let input = if target == "destination" || target == "page" {
            // A settings document around the case's trigger or mapping.
            let trigger = case
                .get("fql")
                .cloned()
                .unwrap_or(serde_json::json!("type = \"track\""));
            let mapping = case
                .get("mapping")
                .cloned()
                .unwrap_or(serde_json::json!({"name": {"@path": "$.event"}}));
            // Every other seed carries consent categories (destination and mapping).
            let consent = if i % 2 == 0 {
                serde_json::json!(["surveys"])
            } else {
                serde_json::Value::Null
            };
            settings = serde_json::json!({"apiKey": "k", "consentCategories": consent, "deliveryLogSampleRate": 0.5, "subscriptions": [
                {"id": "s", "name": "case", "enabled": true, "subscribe": trigger, "partnerAction": "trackEvent", "mapping": mapping, "consentCategories": consent},
                {"id": "i", "name": "identify", "enabled": true, "subscribe": "type = \"identify\"", "partnerAction": "identifyUser", "mapping": {"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}}}
            ]});
            &settings
        } else {
            let Some(input) = case.get(field) else {
                continue;
            };
            input
        };
        let mut bytes = match input.as_str() {
            Some(s) if field == "fql" => s.as_bytes().to_vec(),
            _ => input.to_string().into_bytes(),
        };
        bytes.push(0);
        bytes.extend(
            case.get("event")
                .map(|e| e.to_string())
                .unwrap_or_default()
                .into_bytes(),
        );
        let file = dir.join(format!("curated-{i}"));
        std::fs::write(&file, bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

fn fuzz(o: &Options) -> Result<(), String> {
    let seconds = o.seconds.unwrap_or(60);
    let target = o.filter.clone().unwrap_or_else(|| "fql".into());
    if Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        run(cargo().args(["install", "cargo-fuzz", "--locked"]))?;
    }
    seed_corpus(&target)?;
    run(cargo()
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", &target, "--fuzz-dir", "fuzz", "--"])
        .arg(format!("-max_total_time={seconds}")))
}
