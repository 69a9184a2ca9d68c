//! Shared fixtures for the criterion benchmarks (`benches/`) and for the Node
//! reference benchmark (`tests/reference/bench.js`), so both sides run the same
//! inputs. Nothing here is timed.

use serde_json::Value;
use std::path::PathBuf;

pub fn fixtures() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/bench.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("bench fixtures are JSON")
}
