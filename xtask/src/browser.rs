//! `cargo xtask browser`: the real-browser tests. Installs Chromium (Debian's package)
//! and the harness's npm packages when missing, builds our bundle, checks the built page
//! module against the built full engine in Node (`tests/browser/page-wasm.js`), then runs
//! `tests/browser/run.js --compare` (every scenario with Segment's production bundle
//! and with ours, each with the `iaPlan` the control plane would serve, recorded calls
//! compared, the bytes budget enforced),
//! `tests/browser/server-e2e.js` (analytics-next against `iterate-actions serve`),
//! `tests/browser/delivery-e2e.js` (consent and the delivery log through the server, the
//! counters a page sends compared with what the API and the UI show) and
//! `tests/browser/ui-e2e.js` (the web UI walked end to end, screenshots of every page
//! at 1280 and 390 px in `tests/browser/results/screenshots/`).

use crate::{cargo, npm_install_in, root, run};
use std::path::Path;
use std::process::Command;

pub fn ensure_chromium() -> Result<(), String> {
    if Path::new("/usr/bin/chromium").exists() {
        return Ok(());
    }
    crate::apt_install(&["chromium"])
}

pub fn run_all() -> Result<(), String> {
    ensure_chromium()?;
    npm_install_in("tests/browser")?;
    crate::web::build()?;
    // The built page module against the built full engine, in Node, before any browser.
    crate::differential_page::wasm_check()?;
    // Before run.js too: its scenarios get their iaPlan from `iterate-actions plan`.
    run(cargo().args(["build", "-p", "cli"]))?;
    let cli = root().join("target/debug/iterate-actions");
    let dir = root().join("tests/browser");
    let compare = run(Command::new("node")
        .arg(dir.join("run.js"))
        .args(["--compare", "--ours-dir"])
        .arg(crate::web::dist())
        .args(["--ours-entry", "iterate.js", "--cli"])
        .arg(&cli));
    let e2e = run(Command::new("node")
        .arg(dir.join("server-e2e.js"))
        .arg(&cli));
    let delivery = run(Command::new("node")
        .arg(dir.join("delivery-e2e.js"))
        .arg(&cli));
    let ui = run(Command::new("node").arg(dir.join("ui-e2e.js")).arg(&cli));
    compare.and(e2e).and(delivery).and(ui)
}
