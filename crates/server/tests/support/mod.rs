//! The app on 127.0.0.1 (a thread with its own runtime, a database in a temporary
//! directory) and a minimal HTTP/1.1 client, one connection per request, for the
//! tests that talk to the server over real HTTP.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of the first `_csrf` hidden input.
    pub fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="_csrf" value=""#)
            .expect("a CSRF field")
            + 20;
        self.body[at..at + self.body[at..].find('"').unwrap()].to_string()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// A chunked body's data.
fn dechunk(mut raw: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = raw.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        raw = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Sends one request with `headers` and `body` (a `Content-Length` is added when there
/// is a body) and reads the whole answer.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    Reply {
        status,
        headers,
        body: if chunked {
            dechunk(body)
        } else {
            body.to_string()
        },
    }
}

/// A request as a browser's form makes it: a cookie, and a form body for POSTs.
pub fn request(addr: SocketAddr, method: &str, path: &str, cookie: &str, form: &str) -> Reply {
    let mut headers = Vec::new();
    if !cookie.is_empty() {
        headers.push(("Cookie", cookie));
    }
    if method == "POST" {
        headers.push(("Content-Type", "application/x-www-form-urlencoded"));
    }
    send(addr, method, path, &headers, form)
}

pub fn cookie_value<'a>(set_cookie: &'a str, name: &str) -> Option<&'a str> {
    set_cookie
        .strip_prefix(&format!("{name}="))
        .and_then(|rest| rest.split(';').next())
}

/// A running app; stopped (gracefully, its database closed) by [`Server::stop`] or
/// when dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub token: String,
    pub db: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Server {
    /// Stops the app and waits until it has; returns its database.
    pub fn stop(mut self) -> PathBuf {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.db.clone()
    }

    /// A call to the JSON API with the admin token.
    pub fn api(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {}", self.token);
        let text = body.map(Value::to_string).unwrap_or_default();
        let mut headers = vec![("Authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        send(
            self.addr,
            method,
            &format!("/api/v1{path}"),
            &headers,
            &text,
        )
    }
}

/// A fresh database for the test `name`.
pub fn temp_db(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("iterate-server-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("server.db")
}

/// The app over `db`, its state changed by `tweak` before it serves.
pub fn serve(db: &Path, tweak: impl FnOnce(&mut server::AppState)) -> Server {
    let options = server::Options {
        addr: "127.0.0.1:0".parse().unwrap(),
        db: db.to_path_buf(),
        bundle_dir: None,
        vendor_dir: None,
        public_url: None,
        demo: false,
    };
    let (mut state, _) = server::prepare(&options).unwrap();
    tweak(std::sync::Arc::get_mut(&mut state).expect("the only reference"));
    let token = state.token.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, server::app(state))
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
    });
    Server {
        addr,
        token,
        db: db.to_path_buf(),
        stop: Some(stop),
        thread: Some(thread),
    }
}

/// The app over a fresh database.
pub fn start(name: &str) -> Server {
    serve(&temp_db(name), |_| {})
}

/// Signs in to the web UI; returns the session cookie (`ia_session=...`).
pub fn sign_in(addr: SocketAddr, token: &str) -> String {
    let page = request(addr, "GET", "/ui/signin", "", "");
    let nonce = page
        .cookies()
        .iter()
        .find_map(|c| cookie_value(c, "ia_signin"))
        .unwrap()
        .to_string();
    let r = request(
        addr,
        "POST",
        "/ui/signin",
        &format!("ia_signin={nonce}"),
        &format!("_csrf={nonce}&token={token}&next=%2Fui%2Fcatalog"),
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/ui/catalog"));
    let session = r
        .cookies()
        .iter()
        .find_map(|c| cookie_value(c, "ia_session"))
        .unwrap()
        .to_string();
    format!("ia_session={session}")
}

/// A form value: unreserved characters kept, everything else `%XX`.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
