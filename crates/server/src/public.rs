//! What browsers read without a token: the settings analytics.js fetches, the
//! destination bundle, the demo page, a sink for analytics.js's own deliveries
//! (which keeps the last few events of each source in memory for the web UI's tester),
//! and the delivery log's intake ([`crate::delivery`]).

use crate::delivery::{self, MAX_BATCH_BODY};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
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
        // Where analytics-next fetches its lazy chunks, given `_cdn` (the demo page's).
        .route("/analytics-next/bundles/{file}", get(vendor))
        .route("/demo", get(demo))
        .route("/v1/{kind}", post(ingest))
        .route(
            "/v1/projects/{write_key}/destinations/{id}/delivery",
            post(delivery::receive)
                .options(delivery::preflight)
                .layer(DefaultBodyLimit::max(MAX_BATCH_BODY)),
        )
}

/// Lets pages of any origin read the answer.
pub(crate) fn cors(mut r: Response) -> Response {
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
pub(crate) fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &app.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// The remote plugin's name (and `creationName`) in settings documents, as Segment names it.
pub const PLUGIN: &str = "Iterate Web (Actions)";

/// A settings document as served: its body and ETag.
#[derive(Debug, Clone)]
pub struct Rendered {
    body: axum::body::Bytes,
    etag: HeaderValue,
}

/// The CDN settings analytics-next loads for a write key: Segment.io (pointed at this
/// server) and one remote plugin per enabled Iterate destination of that source, each
/// with the address its delivery log goes to (`deliveryLogUrl`) and the page plan of
/// its configuration (`iaPlan`, compiled here so the page never parses or validates).
/// Rendered once per write key and cached until the next write to the store.
async fn settings(
    State(app): State<Arc<AppState>>,
    Path(write_key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let base = base_url(&app, &headers);
    let key = (write_key, base);
    // Read before rendering: a write during the render leaves the entry stale.
    let writes = app.store_writes.load(std::sync::atomic::Ordering::Acquire);
    let cached = app.settings_cache.lock().ok().and_then(|c| {
        c.get(&key)
            .filter(|(at, _)| *at == writes)
            .map(|(_, r)| r.clone())
    });
    let rendered = match cached {
        Some(r) => r,
        None => match render(&app, &key.0, &key.1).await {
            Ok(Some(r)) => {
                if let Ok(mut c) = app.settings_cache.lock() {
                    // Bounded: Host headers are the client's to choose.
                    if c.len() >= 4096 {
                        c.clear();
                    }
                    c.insert(key, (writes, r.clone()));
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
            let mut settings = crate::ops::settings_of(&d.config);
            settings.insert("subscriptions".into(), Value::Array(enabled));
            settings.insert(
                "deliveryLogUrl".into(),
                json!(format!(
                    "{base}/v1/projects/{write_key}/destinations/{}/delivery",
                    d.id
                )),
            );
            // The lean page engine's plan of exactly these settings; the page falls
            // back to the full engine without it.
            engine::destination::add_page_plan(engine::destination::iterate(), &mut settings);
            json!({
                "name": PLUGIN,
                "creationName": PLUGIN,
                "libraryName": "iterateDestination",
                "url": url,
                "settings": settings,
            })
        })
        .collect();
    let integrations = json!({
        "Segment.io": {"apiKey": write_key, "apiHost": format!("{host}/v1"), "protocol": if base.starts_with("https") { "https" } else { "http" }}
    });
    // Consent categories stay in each plugin's settings (`consentCategories`, and a
    // migrated `consentSettings`), where the bundle reads them. Segment also lists them
    // in `integrations[creationName].consentSettings`; not here: any `integrations`
    // entry besides Segment.io makes analytics-next fetch a lazy chunk from its CDN
    // (cdn.segment.com unless the page sets `analytics._cdn`), before any consent, and
    // a failed fetch stops analytics.js loading.
    let body = json!({
        "integrations": integrations,
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
        return crate::error::ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "analytics-next is not installed; run `cargo xtask demo`",
        )
        .into_response();
    };
    // A plain file name of the UMD build, never a path.
    let safe = !file.is_empty()
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !file.starts_with('.')
        && file.ends_with(".js");
    if !safe {
        return not_found();
    }
    match std::fs::read(dir.join(file)) {
        Ok(bytes) => cors(
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
    if uri.path().starts_with("/ui/") {
        return crate::ui::Failure::not_found("page").into_response();
    }
    crate::error::ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
}

async fn demo(State(app): State<Arc<AppState>>) -> Response {
    let key = app.demo_write_key.clone().unwrap_or_default();
    Html(include_str!("demo.html").replace("__WRITE_KEY__", &key)).into_response()
}

/// analytics.js delivers events to Segment.io; here they are accepted, and the last
/// [`RECENT`] of each known source are kept in memory (never stored) so the web UI's
/// event tester can offer real events. The answer is the same whatever the body.
async fn ingest(
    State(app): State<Arc<AppState>>,
    Path(_kind): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Some(Value::Object(mut body)) = body.ok().and_then(|b| serde_json::from_slice(&b).ok()) {
        let key = body
            .get("writeKey")
            .and_then(Value::as_str)
            .map(str::to_string);
        let known = match &key {
            Some(k) => matches!(app.store.lock().await.source_by_write_key(k), Ok(Some(_))),
            None => false,
        };
        if let (Some(key), true) = (key, known) {
            let events = match body.remove("batch") {
                Some(Value::Array(batch)) => batch,
                _ => vec![Value::Object(body)],
            };
            app.recent.record(&key, events);
        }
    }
    cors(axum::Json(json!({"success": true})).into_response())
}

/// How many recent events are kept per source.
pub const RECENT: usize = 20;

/// The last events analytics.js delivered, by write key; in memory only.
#[derive(Debug, Default)]
pub struct Recent {
    inner: std::sync::Mutex<std::collections::HashMap<String, std::collections::VecDeque<Value>>>,
}

impl Recent {
    pub fn record(&self, write_key: &str, events: Vec<Value>) {
        let Ok(mut map) = self.inner.lock() else {
            return;
        };
        let list = map.entry(write_key.to_string()).or_default();
        for mut e in events.into_iter().filter(Value::is_object) {
            // Delivery details, not part of the event a destination sees.
            if let Some(o) = e.as_object_mut() {
                for k in ["writeKey", "_metadata", "sentAt"] {
                    o.remove(k);
                }
            }
            if list.len() == RECENT {
                list.pop_front();
            }
            list.push_back(e);
        }
    }

    /// Drops the events of a write key (its source was deleted).
    pub fn forget(&self, write_key: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(write_key);
        }
    }

    /// The recent events of a write key, newest first.
    pub fn list(&self, write_key: &str) -> Vec<Value> {
        self.inner
            .lock()
            .ok()
            .and_then(|m| m.get(write_key).map(|l| l.iter().rev().cloned().collect()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_events_are_bounded_newest_first_and_without_delivery_details() {
        let r = Recent::default();
        let events = (0..RECENT + 5)
            .map(|i| json!({"type": "track", "event": format!("e{i}"), "writeKey": "k", "_metadata": {}}))
            .collect();
        r.record("k", events);
        r.record("k", vec![json!("not an event")]);
        let list = r.list("k");
        assert_eq!(list.len(), RECENT);
        assert_eq!(
            list[0],
            json!({"type": "track", "event": format!("e{}", RECENT + 4)})
        );
        assert_eq!(list[RECENT - 1]["event"], "e5");
        assert!(r.list("other").is_empty());
        r.forget("k");
        assert!(r.list("k").is_empty());
    }
}
