//! The engine crates must stay pure (no I/O, async runtime, SQL, wasm bindings) so
//! the same code runs in the CLI, the server and the browser. This test reads their
//! manifests and fails when one gains a dependency outside the allowed set.

use std::path::PathBuf;

const ENGINE_CRATES: &[&str] = &[
    "diagnostics",
    "js",
    "fql",
    "mapping",
    "destination",
    "engine",
];
const ALLOWED: &[&str] = &[
    "serde",
    "serde_json",
    "diagnostics",
    "js",
    "fql",
    "mapping",
    "destination",
    "iterate",
];

#[test]
fn engine_crates_depend_only_on_pure_crates() {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in ENGINE_CRATES {
        let manifest =
            std::fs::read_to_string(crates.join(name).join("Cargo.toml")).expect("manifest");
        let mut in_deps = false;
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_deps = line == "[dependencies]";
                continue;
            }
            if in_deps && !line.is_empty() && !line.starts_with('#') {
                let dep = line.split(['=', ' ', '.']).next().unwrap_or_default();
                assert!(
                    ALLOWED.contains(&dep),
                    "engine crate `{name}` depends on `{dep}`, which is not on the pure list"
                );
            }
        }
    }
}
