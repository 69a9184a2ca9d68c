//! `cargo xtask bench --filter serve`: the settings endpoint analytics.js reads, under
//! wrk from a second process, beside nginx serving the same JSON as a static file (the
//! practical limit for this machine). Installs wrk and nginx from Debian's packages when
//! missing; prints requests/s and p99 latency for both, and the ratio.

use crate::{cargo, root, run};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const TOKEN: &str = "bench-token";
const SERVER: &str = "127.0.0.1:18420";
const NGINX: &str = "127.0.0.1:18421";

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ensure_tools() -> Result<(), String> {
    if Path::new("/usr/bin/wrk").exists() && Path::new("/usr/sbin/nginx").exists() {
        return Ok(());
    }
    crate::apt_install(&["wrk", "nginx", "curl"])
}

fn curl(args: &[&str]) -> Result<String, String> {
    let out = Command::new("curl")
        .args(["-sS", "--fail-with-body"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    let body = String::from_utf8_lossy(&out.stdout).to_string();
    if out.status.success() {
        Ok(body)
    } else {
        Err(format!("curl {args:?}: {body}"))
    }
}

fn api(method: &str, path: &str, body: &str) -> Result<serde_json::Value, String> {
    let url = format!("http://{SERVER}/api/v1{path}");
    let auth = format!("Authorization: Bearer {TOKEN}");
    let text = curl(&[
        "-X",
        method,
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        body,
        &url,
    ])?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: {e}: {text}"))
}

/// Runs wrk and returns (requests per second, p99 latency in ms).
fn wrk(url: &str) -> Result<(f64, f64), String> {
    let out = Command::new("wrk")
        .args(["-t2", "-c32", "-d10s", "--latency", url])
        .output()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk output:\n{text}"))?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(str::trim)
        .and_then(parse_duration_ms)
        .ok_or_else(|| format!("no 99% latency in wrk output:\n{text}"))?;
    let errors = text.lines().any(|l| l.contains("Non-2xx"));
    if errors {
        return Err(format!("wrk saw errors:\n{text}"));
    }
    Ok((rps, p99))
}

fn parse_duration_ms(s: &str) -> Option<f64> {
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.parse().ok()?;
    Some(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => return None,
    })
}

pub fn run_bench() -> Result<(), String> {
    ensure_tools()?;
    run(cargo().args(["build", "--release", "-p", "cli"]))?;
    let dir = root().join("target/bench-serve");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("www")).map_err(|e| e.to_string())?;
    let server = Kill(
        Command::new(root().join("target/release/iterate-actions"))
            .current_dir(root())
            .args(["serve", "--addr", SERVER, "--db"])
            .arg(dir.join("bench.db"))
            .env("ITERATE_ACTIONS_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?,
    );
    let mut ready = false;
    for _ in 0..100 {
        if curl(&[
            &format!("http://{SERVER}/api/v1/catalog"),
            "-H",
            &format!("Authorization: Bearer {TOKEN}"),
        ])
        .is_ok()
        {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if !ready {
        return Err("the server did not come up".into());
    }
    let source = api("POST", "/sources", r#"{"name":"Bench site"}"#)?;
    let id = source["id"].as_str().unwrap_or_default();
    api(
        "POST",
        "/destinations",
        &format!(
            r#"{{"sourceId":"{id}","slug":"actions-iterate","settings":{{"apiKey":"bench-key"}}}}"#
        ),
    )?;
    let key = source["writeKey"].as_str().unwrap_or_default();
    let settings_url = format!("http://{SERVER}/v1/projects/{key}/settings");
    let body = curl(&[&settings_url])?;
    std::fs::write(dir.join("www/settings.json"), &body).map_err(|e| e.to_string())?;
    let conf = format!(
        "daemon off;\nworker_processes auto;\npid {pid};\nerror_log {log};\nevents {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {tmp};\n  proxy_temp_path {tmp};\n  fastcgi_temp_path {tmp};\n  uwsgi_temp_path {tmp};\n  scgi_temp_path {tmp};\n  server {{\n    listen {NGINX};\n    root {www};\n    location / {{ default_type application/json; }}\n  }}\n}}\n",
        pid = dir.join("nginx.pid").display(),
        log = dir.join("nginx.log").display(),
        tmp = dir.display(),
        www = dir.join("www").display(),
    );
    std::fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
    let _nginx = Kill(
        Command::new("nginx")
            .args(["-p"])
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .spawn()
            .map_err(|e| format!("cannot start nginx: {e}"))?,
    );
    let nginx_url = format!("http://{NGINX}/settings.json");
    for _ in 0..50 {
        if curl(&[&nginx_url]).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if curl(&[&nginx_url])? != body {
        return Err("nginx does not serve the same settings".into());
    }
    let (ours_rps, ours_p99) = wrk(&settings_url)?;
    let (nginx_rps, nginx_p99) = wrk(&nginx_url)?;
    drop(server);
    println!("\n| settings endpoint ({} bytes), wrk -t2 -c32 -d10s | iterate-actions serve | nginx, static file | ours / nginx |", body.len());
    println!("|---|---:|---:|---:|");
    println!(
        "| requests/s | {ours_rps:.0} | {nginx_rps:.0} | {:.2} |",
        ours_rps / nginx_rps
    );
    println!(
        "| p99 latency (ms) | {ours_p99:.2} | {nginx_p99:.2} | {:.2} |",
        ours_p99 / nginx_p99
    );
    Ok(())
}
