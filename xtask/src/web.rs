//! `cargo xtask web`: builds the browser runtime into `dist/web/iterate/`.
//!
//! rustup's toolchains here have only the x86_64 target and cannot fetch another, so the
//! wasm32 build uses Debian's Rust (`rustc-web`, `cargo-web`, `rust-web-src`, installed
//! when missing) building std from source (`-Zbuild-std`) and linking with rustup's
//! `rust-lld`. The JS glue in `crates/web/js/` is copied next to the module.

use crate::{root, run};
use std::path::{Path, PathBuf};
use std::process::Command;

const DEBIAN_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src"];

/// Where the built files go.
pub fn dist() -> PathBuf {
    root().join("dist/web/iterate")
}

/// `/usr/src/rustc-<version>/library`, when Debian's source package is there.
fn std_source() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/src")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("rustc-"))
        })
        .map(|p| p.join("library"))
        .filter(|p| p.join("std").is_dir())
        .collect();
    found.sort();
    found.pop()
}

fn ensure_toolchain() -> Result<PathBuf, String> {
    if !Path::new("/usr/bin/rustc").exists()
        || !Path::new("/usr/bin/cargo").exists()
        || std_source().is_none()
    {
        eprintln!(
            "installing Debian's Rust for wasm32: {}",
            DEBIAN_PACKAGES.join(" ")
        );
        crate::apt_install(DEBIAN_PACKAGES)?;
    }
    std_source().ok_or_else(|| "rust-web-src installed no /usr/src/rustc-*/library".to_string())
}

/// rustup's `rust-lld`, which links wasm32.
fn rust_lld() -> Result<PathBuf, String> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .env_remove("RUSTC")
        .output()
        .map_err(|e| format!("cannot run rustc: {e}"))?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let lld = Path::new(&sysroot).join("lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld");
    if lld.exists() {
        Ok(lld)
    } else {
        Err(format!("no rust-lld at {}", lld.display()))
    }
}

pub fn build() -> Result<(), String> {
    let library = ensure_toolchain()?;
    let lld = rust_lld()?;
    let target_dir = root().join("target/web");
    run(Command::new("/usr/bin/cargo")
        .env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTC", "/usr/bin/rustc")
        .env("__CARGO_TESTS_ONLY_SRC_ROOT", &library)
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", &lld)
        // No panic locations in the page: bytes nobody reads there.
        .env("RUSTFLAGS", "-Zlocation-detail=none")
        .env_remove("CARGO")
        .args([
            "build",
            "-p",
            "web",
            "--profile",
            "web",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args([
            "-Zbuild-std=std,panic_abort",
            "-Zbuild-std-features=panic_immediate_abort",
        ])
        .arg("--target-dir")
        .arg(&target_dir))?;
    let wasm = target_dir.join("wasm32-unknown-unknown/web/web.wasm");
    let out = dist();
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    copy(&wasm, &out.join("iterate.wasm"))?;
    let core =
        std::fs::read_to_string(root().join("crates/web/js/core.js")).map_err(|e| e.to_string())?;
    write(&out.join("iterate.js"), &classic_entry(&core))?;
    write(&out.join("index.mjs"), &module_entry(&core))?;
    let size = std::fs::metadata(out.join("iterate.wasm"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("web: built {} (iterate.wasm {size} bytes)", out.display());
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// The entry script analytics.js loads: defines `window.iterateDestination`, and finds the
/// module next to itself, wherever it is served from.
fn classic_entry(core: &str) -> String {
    format!(
        "/* iterate-actions: Iterate Web (Actions) for analytics.js 2.0 */\n(function () {{\n'use strict'\nvar entry = document.currentScript && document.currentScript.src\n{core}\nwindow.iterateDestination = createFactory(new URL('iterate.wasm', entry || location.href).href)\n}})()\n"
    )
}

/// The same factory as an ES module, for sites that bundle analytics.js from npm
/// (`AnalyticsBrowser.load({ writeKey, plugins: [iterateDestination] })`).
fn module_entry(core: &str) -> String {
    format!(
        "/* iterate-actions: Iterate Web (Actions) for analytics.js 2.0 */\n{core}\nconst iterateDestination = createFactory(new URL('./iterate.wasm', import.meta.url).href)\niterateDestination.pluginName = DESTINATION\nexport default iterateDestination\n"
    )
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
