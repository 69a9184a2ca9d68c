//! `cargo xtask web`: builds the browser runtime into `dist/web/iterate/`.
//!
//! rustup's toolchains here have only the x86_64 target and cannot fetch another, so the
//! wasm32 build uses Debian's Rust (`rustc-web`, `cargo-web`, `rust-web-src`, installed
//! when missing) building std from source (`-Zbuild-std`) and linking with rustup's
//! `rust-lld`. The page module (`crates/page`) is built the same way for
//! size and shrunk by `wasm-opt`; the JS glue in `crates/web/js/` is wrapped into the
//! entry scripts next to the modules.

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
    // The full engine keeps the flags it was measured with.
    run(&mut wasm_build(
        &library,
        &lld,
        &target_dir,
        "web",
        &PanicFlags::OLD,
        &[],
    ))?;
    let wasm = target_dir.join("wasm32-unknown-unknown/web/web.wasm");
    let page = build_page(&library, &lld, &target_dir)?;
    // Both modules built: only now does dist/ change, all of it together.
    let out = dist();
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    copy(&wasm, &out.join("iterate.wasm"))?;
    copy(&page, &out.join("iterate-page.wasm"))?;
    let core =
        std::fs::read_to_string(root().join("crates/web/js/core.js")).map_err(|e| e.to_string())?;
    let core = shipped(&core);
    write(&out.join("iterate.js"), &classic_entry(&core))?;
    write(&out.join("index.mjs"), &module_entry(&core))?;
    println!("web: built {}", out.display());
    for name in ["iterate.js", "iterate-page.wasm", "iterate.wasm"] {
        let path = out.join(name);
        if let Ok(meta) = std::fs::metadata(&path) {
            let gzip = gzip9(&path).map_or("?".into(), |n| n.to_string());
            println!("  {name}: {} B raw, {gzip} B gzip -9", meta.len());
        }
    }
    Ok(())
}

/// How the build drops panic machinery: `-Cpanic=immediate-abort` where rustc knows it
/// (newer than Debian's 1.85), else std's `panic_immediate_abort` feature, which that
/// option replaced. Neither keeps panic locations: bytes nobody reads in a page.
struct PanicFlags {
    rustflags: &'static str,
    std_features: Option<&'static str>,
}

impl PanicFlags {
    const OLD: PanicFlags = PanicFlags {
        rustflags: "-Zlocation-detail=none",
        std_features: Some("panic_immediate_abort"),
    };
    const NEW: PanicFlags = PanicFlags {
        rustflags: "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none",
        std_features: None,
    };

    fn best() -> PanicFlags {
        let known = Command::new("/usr/bin/rustc")
            .env("RUSTC_BOOTSTRAP", "1")
            .args(["-Zunstable-options", "-Cpanic=immediate-abort"])
            .args(["--print", "sysroot"])
            .output()
            .is_ok_and(|o| o.status.success());
        if known {
            PanicFlags::NEW
        } else {
            PanicFlags::OLD
        }
    }
}

/// `cargo build -p <package> --profile <package>` for wasm32 with Debian's toolchain.
fn wasm_build(
    library: &Path,
    lld: &Path,
    target_dir: &Path,
    package: &str,
    panic: &PanicFlags,
    std_features: &[&str],
) -> Command {
    let mut cmd = Command::new("/usr/bin/cargo");
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .env("RUSTC", "/usr/bin/rustc")
        .env("__CARGO_TESTS_ONLY_SRC_ROOT", library)
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", lld)
        .env("RUSTFLAGS", panic.rustflags)
        .env_remove("CARGO")
        .args(["build", "-p", package, "--profile", package])
        .args(["--target", "wasm32-unknown-unknown"])
        .arg("-Zbuild-std=std,panic_abort");
    let features: Vec<&str> = panic
        .std_features
        .iter()
        .copied()
        .chain(std_features.iter().copied())
        .collect();
    if !features.is_empty() {
        cmd.arg(format!("-Zbuild-std-features={}", features.join(",")));
    }
    cmd.arg("--target-dir").arg(target_dir);
    cmd
}

/// The page module (`crates/page`): the `page` profile, the newest panic flags rustc
/// knows, core's smaller algorithms, then `wasm-opt -Oz`; returns where it is.
fn build_page(library: &Path, lld: &Path, target_dir: &Path) -> Result<PathBuf, String> {
    run(&mut wasm_build(
        library,
        lld,
        target_dir,
        "page",
        &PanicFlags::best(),
        // core's and alloc's smaller algorithms (sorting, searching): ~1.8 KB gzip.
        &["optimize_for_size"],
    ))?;
    let optimized = target_dir.join("iterate-page.wasm");
    optimize(
        &target_dir.join("wasm32-unknown-unknown/page/page.wasm"),
        &optimized,
    )?;
    Ok(optimized)
}

/// The features rustc's wasm32 target enables (1.85: the first four; later releases
/// add the last two): wasm-opt refuses a module that uses one it was not given.
const WASM_FEATURES: &[&str] = &[
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
];

/// `wasm-opt -Oz`, repeated while it still shrinks the module (binaryen, installed from
/// Debian's packages when missing). A failure fails the build: the page module is
/// size-budgeted, and what pages download must not depend on what happened to be
/// installed.
fn optimize(from: &Path, to: &Path) -> Result<(), String> {
    let have = || Command::new("wasm-opt").arg("--version").output().is_ok();
    if !have() {
        crate::apt_install(&["binaryen"])?;
    }
    run(Command::new("wasm-opt")
        .args(["-Oz", "--converge"])
        .args(WASM_FEATURES)
        .arg(from)
        .arg("-o")
        .arg(to))
}

/// Bytes of `gzip -9` (no file name in the header, as zlib level 9 counts them).
fn gzip9(path: &Path) -> Option<usize> {
    let out = Command::new("gzip").arg("-9nc").arg(path).output().ok()?;
    out.status.success().then_some(out.stdout.len())
}

/// core.js as shipped: without its full-line comments, indentation and blank lines,
/// about a third of its gzip bytes. core.js has no multi-line strings, which this
/// would change.
fn shipped(core: &str) -> String {
    core.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// The entry script analytics.js loads: defines `window.iterateDestination`, and finds the
/// modules next to itself, wherever it is served from.
fn classic_entry(core: &str) -> String {
    format!(
        "/* iterate-actions: Iterate Web (Actions) for analytics.js 2.0 */\n(function () {{\n'use strict'\nvar entry = document.currentScript && document.currentScript.src\n{core}\nwindow.iterateDestination = createFactory(new URL('./', entry || location.href).href)\n}})()\n"
    )
}

/// The same factory as an ES module, for sites that bundle analytics.js from npm
/// (`AnalyticsBrowser.load({ writeKey, plugins: [iterateDestination] })`).
fn module_entry(core: &str) -> String {
    format!(
        "/* iterate-actions: Iterate Web (Actions) for analytics.js 2.0 */\n{core}\nconst iterateDestination = createFactory(new URL('./', import.meta.url).href)\niterateDestination.pluginName = DESTINATION\nexport default iterateDestination\n"
    )
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
