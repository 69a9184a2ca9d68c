//! `iterate-actions`: the command line over the engine. Each subcommand is a thin
//! shell around an `engine` call: read input, call, print.

use clap::{Parser, Subcommand};
use engine::diagnostics::render;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod destination;

#[derive(Debug, Parser)]
#[command(
    name = "iterate-actions",
    version,
    about = "Segment-compatible Iterate destination: triggers, mappings and more"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Answer conformance cases: JSON Lines on stdin, one answer line per case on stdout.
    Eval,
    /// Check a trigger: print its diagnostics and what it really selects.
    Trigger {
        /// The trigger, e.g. `type = "track" and event = "Signed Up"`.
        fql: String,
        /// Also evaluate it against this event (JSON).
        #[arg(long)]
        event: Option<String>,
    },
    /// Describe a diagnostic code, e.g. `FQL050`.
    Explain { code: String },
    /// Show triggers at work on sample events, surprises included.
    Demo,
    /// Check a destination's settings (`{"apiKey", "subscriptions": [...]}`): every
    /// problem at once, exit status 1 if any is an error.
    Validate {
        /// The settings file, or `-` for stdin.
        settings: PathBuf,
        #[arg(long, default_value = "actions-iterate")]
        destination: String,
        /// Print the problems as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Run events (one JSON object a line) through a destination's settings and print,
    /// per event, the `window.Iterate` calls made and the subscriptions skipped.
    Run {
        #[arg(long)]
        settings: PathBuf,
        /// The events file, or `-` (the default) for stdin.
        #[arg(default_value = "-")]
        events: PathBuf,
        #[arg(long, default_value = "actions-iterate")]
        destination: String,
        /// Print one JSON line of statistics on stderr at the end: events, seconds,
        /// events per second, peak resident memory.
        #[arg(long)]
        stats: bool,
        /// Also print, per event, where each mapping stopped: at its trigger, consent
        /// (denied, or held: no preferences on the event), validation, or delivered.
        #[arg(long)]
        steps: bool,
    },
    /// Run the control plane: the JSON API, the settings endpoint analytics.js reads,
    /// the browser bundle and the demo page, on an embedded SQLite database.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8420")]
        addr: std::net::SocketAddr,
        #[arg(long, default_value = "iterate-actions.db")]
        db: PathBuf,
        /// The built browser bundle (`cargo xtask web`).
        #[arg(long, default_value = "dist/web/iterate")]
        bundle: PathBuf,
        /// analytics-next's UMD build, for the demo page.
        #[arg(
            long,
            default_value = "tests/browser/node_modules/@segment/analytics-next/dist/umd"
        )]
        vendor: PathBuf,
        /// The URL browsers reach this server at, when not the request's Host.
        #[arg(long)]
        public_url: Option<String>,
        /// Create the demo source and destination and serve `/demo`.
        #[arg(long)]
        demo: bool,
    },
    /// Print settings (`{"apiKey", "subscriptions": [...]}`) with the page plan the
    /// control plane would serve in them (`iaPlan`): one JSON document on stdout.
    Plan {
        /// The settings file, or `-` for stdin.
        settings: PathBuf,
        #[arg(long, default_value = "actions-iterate")]
        destination: String,
        /// Indent the output.
        #[arg(long)]
        pretty: bool,
    },
    /// Describe the destinations: settings, actions, fields and presets.
    Catalog {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Eval => eval(),
        Command::Trigger { fql, event } => trigger(&fql, event.as_deref()),
        Command::Demo => demo(),
        Command::Validate {
            settings,
            destination,
            json,
        } => destination::validate(&destination, &settings, json),
        Command::Run {
            settings,
            events,
            destination,
            stats,
            steps,
        } => destination::run(&destination, &settings, &events, stats, steps),
        Command::Plan {
            settings,
            destination,
            pretty,
        } => destination::plan(&destination, &settings, pretty),
        Command::Catalog { json } => destination::catalog(json),
        Command::Serve {
            addr,
            db,
            bundle,
            vendor,
            public_url,
            demo,
        } => serve(server::Options {
            addr,
            db,
            bundle_dir: Some(bundle),
            vendor_dir: Some(vendor),
            public_url,
            demo,
        }),
        Command::Explain { code } => {
            match engine::diagnostics::codes::describe(&code.to_ascii_uppercase()) {
                Some(doc) => {
                    println!("{}: {doc}", code.to_ascii_uppercase());
                    ExitCode::SUCCESS
                }
                None => {
                    eprintln!("error: unknown diagnostic code `{code}`");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Structured logs (JSON lines on stderr; `RUST_LOG` filters), then the server until
/// SIGTERM or Ctrl-C.
fn serve(options: server::Options) -> ExitCode {
    tracing_subscriber::fmt()
        .json()
        .with_writer(io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Streams: one line in, one line out, flushed in batches by the buffered writer.
fn eval() -> ExitCode {
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    for line in stdin.lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot read stdin: {e}");
                return ExitCode::FAILURE;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let answer = engine::conformance::answer_line(&line);
        if writeln!(out, "{answer}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn trigger(src: &str, event: Option<&str>) -> ExitCode {
    let parsed = engine::fql::parse(src);
    for d in &parsed.diagnostics {
        eprint!("{}", render(d, "trigger", src));
    }
    let Some(trigger) = &parsed.trigger else {
        return ExitCode::FAILURE;
    };
    println!("selects: {}", trigger.explain());
    if let Some(event) = event {
        let event: serde_json::Value = match serde_json::from_str(event) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: --event is not JSON: {e}");
                return ExitCode::from(2);
            }
        };
        match trigger.matches(&event) {
            Ok(m) => println!("match: {m}"),
            Err(e) => {
                eprintln!("error: evaluation fails: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn demo() -> ExitCode {
    let events = [
        serde_json::json!({"type": "track", "event": "Signed Up", "userId": "user_1", "properties": {"plan": "pro", "price": 199}}),
        serde_json::json!({"type": "track", "event": "Order Completed", "properties": {"plan": "starter", "price": 5}}),
        serde_json::json!({"type": "identify", "userId": "user_1", "traits": {"email": "ada@example.com"}}),
    ];
    let triggers = [
        "type = \"track\"",
        "type = \"track\" and (event = \"Signed Up\" or properties.plan = \"pro\")",
        "type = \"identify\" and userId != null",
        "properties.price > 100",
        "type = \"identify\" and event = \"Nope\" or userId = \"user_1\"",
        "match(event, \"Completed\")",
        "type = \"track\" and (event = \"a\" or (event = \"b\"))",
    ];
    println!("events:");
    for (i, e) in events.iter().enumerate() {
        println!("  #{i} {e}");
    }
    for src in triggers {
        println!("\ntrigger: {src}");
        let parsed = engine::fql::parse(src);
        for d in &parsed.diagnostics {
            print!("{}", render(d, "trigger", src));
        }
        if let Some(t) = &parsed.trigger {
            println!("selects: {}", t.explain());
            let hits: Vec<String> = events
                .iter()
                .enumerate()
                .filter(|(_, e)| t.matches(e).unwrap_or(false))
                .map(|(i, _)| format!("#{i}"))
                .collect();
            println!(
                "matches: {}",
                if hits.is_empty() {
                    "none".to_string()
                } else {
                    hits.join(", ")
                }
            );
        }
    }
    let iterate = engine::destination::iterate();
    let settings = serde_json::json!({"apiKey": "demo", "subscriptions": iterate.definition.preset_subscriptions()});
    let loaded = engine::destination::load(iterate, &settings);
    println!(
        "\n{} with its presets, over the same events:",
        iterate.definition.name
    );
    for (i, e) in events.iter().enumerate() {
        if let Ok(outcome) = loaded.config.run(e) {
            println!("  #{i} -> {}", serde_json::json!(outcome));
        }
    }
    ExitCode::SUCCESS
}
