//! What browsers read without a token: the settings analytics.js fetches, the
//! destination bundle, the demo page, and a sink for analytics.js's own deliveries.

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/projects/{write_key}/settings", get(settings))
        .route("/bundles/iterate/{hash}/{file}", get(bundle))
        .route("/vendor/analytics-next/{file}", get(vendor))
        .route("/demo", get(demo))
        .route("/v1/{kind}", post(ingest))
}

fn cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// A stable hash of bytes as hex (ETags and bundle paths; not for security).
pub fn content_hash(bytes: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// The base URL browsers reach this server at.
fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &app.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A settings document as served: its body and ETag.
#[derive(Debug, Clone)]
pub struct Rendered {
    body: axum::body::Bytes,
    etag: HeaderValue,
}

/// The CDN settings analytics-next loads for a write key: Segment.io (pointed at this
/// server) and one remote plugin per enabled Iterate destination of that source.
/// Rendered once per write key and cached until the next write through the API.
async fn settings(
    State(app): State<Arc<AppState>>,
    Path(write_key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&app, &headers);
    let key = (write_key, base);
    let cached = app
        .settings_cache
        .lock()
        .ok()
        .and_then(|c| c.get(&key).cloned());
    let rendered = match cached {
        Some(r) => r,
        None => match render(&app, &key.0, &key.1).await {
            Ok(Some(r)) => {
                if let Ok(mut c) = app.settings_cache.lock() {
                    // Bounded: Host headers are the client's to choose.
                    if c.len() >= 4096 {
                        c.clear();
                    }
                    c.insert(key, r.clone());
                }
                r
            }
            Ok(None) => return not_found(),
            Err(()) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == rendered.etag);
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], rendered.body).into_response()
    };
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60, must-revalidate"),
    );
    h.insert(header::ETAG, rendered.etag);
    cors(r)
}

/// The settings document of an enabled write key; `None` for unknown or disabled ones.
async fn render(app: &AppState, write_key: &str, base: &str) -> Result<Option<Rendered>, ()> {
    let (source, destinations) = {
        let store = app.store.lock().await;
        let Some(source) = store.source_by_write_key(write_key).map_err(|_| ())? else {
            return Ok(None);
        };
        let destinations = store.destinations(Some(&source.id)).map_err(|_| ())?;
        (source, destinations)
    };
    if !source.enabled {
        return Ok(None);
    }
    let host = base.split_once("://").map_or(base, |(_, h)| h);
    let url = match &app.bundle {
        Some(b) => format!("{base}/bundles/iterate/{}/iterate.js", b.hash),
        None => format!("{base}/bundles/iterate/missing/iterate.js"),
    };
    let plugins: Vec<Value> = destinations
        .iter()
        .filter(|d| d.enabled && d.slug == "actions-iterate")
        .map(|d| {
            let enabled: Vec<Value> = d.config["subscriptions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|s| s["enabled"] == true)
                .cloned()
                .collect();
            json!({
                "name": "Iterate Web (Actions)",
                "creationName": "Iterate Web (Actions)",
                "libraryName": "iterateDestination",
                "url": url,
                "settings": {"apiKey": d.config["apiKey"], "subscriptions": enabled},
            })
        })
        .collect();
    let body = json!({
        "integrations": {
            "Segment.io": {"apiKey": write_key, "apiHost": format!("{host}/v1"), "protocol": if base.starts_with("https") { "https" } else { "http" }}
        },
        "plan": {"track": {"__default": {"enabled": true, "integrations": {}}}, "identify": {"__default": {"enabled": true}}, "group": {"__default": {"enabled": true}}},
        "remotePlugins": plugins,
    })
    .to_string();
    let etag =
        HeaderValue::from_str(&format!("\"{}\"", content_hash(body.as_bytes()))).map_err(|_| ())?;
    Ok(Some(Rendered {
        body: body.into(),
        etag,
    }))
}

fn not_found() -> Response {
    cors(
        crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such write key")
            .into_response(),
    )
}

/// The bundle's files under a content-hashed path: cached forever.
async fn bundle(
    State(app): State<Arc<AppState>>,
    Path((hash, file)): Path<(String, String)>,
) -> Response {
    let Some(b) = &app.bundle else {
        return not_found();
    };
    let Some((_, bytes, kind)) = b.files.iter().find(|(name, _, _)| *name == file) else {
        return not_found();
    };
    if hash != b.hash {
        return not_found();
    }
    let r = (
        [
            (header::CONTENT_TYPE, *kind),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes.clone(),
    )
        .into_response();
    cors(r)
}

/// A file of analytics-next's UMD build (the demo page's copy of analytics.js).
async fn vendor(State(app): State<Arc<AppState>>, Path(file): Path<String>) -> Response {
    vendor_file(&app, &file).await
}

async fn vendor_file(app: &AppState, file: &str) -> Response {
    let Some(dir) = &app.vendor else {
        return (
            StatusCode::NOT_FOUND,
            "analytics-next is not installed; run `cargo xtask demo`",
        )
            .into_response();
    };
    let safe = !file.is_empty()
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !file.starts_with('.');
    match std::fs::read(dir.join(file)) {
        Ok(bytes) if safe && file.ends_with(".js") => cors(
            (
                [
                    (header::CONTENT_TYPE, "text/javascript"),
                    (header::CACHE_CONTROL, "public, max-age=3600"),
                ],
                bytes,
            )
                .into_response(),
        ),
        _ => not_found(),
    }
}

/// Unknown paths: analytics-next's lazy chunks (`/<name>.bundle.<hash>.js`, requested
/// next to the page), else the API's 404.
pub async fn fallback(State(app): State<Arc<AppState>>, uri: axum::http::Uri) -> Response {
    let file = uri.path().trim_start_matches('/');
    if file.contains(".bundle.") && !file.contains('/') {
        return vendor_file(&app, file).await;
    }
    crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
}

async fn demo(State(app): State<Arc<AppState>>) -> Response {
    let key = app.demo_write_key.clone().unwrap_or_default();
    Html(include_str!("demo.html").replace("__WRITE_KEY__", &key)).into_response()
}

/// analytics.js delivers events to Segment.io; here they are accepted and dropped.
async fn ingest(Path(_kind): Path<String>) -> Response {
    cors(axum::Json(json!({"success": true})).into_response())
}
