//! The JSON API under `/api/v1` (bearer token). Every write is validated by the engine
//! first and changes nothing when refused; every change to a destination is a version.

use crate::error::ApiError;
use crate::store::{Destination, Source};
use crate::util::{now, random_hex};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::destination;
use serde_json::{json, Map, Value};
use std::sync::Arc;

type Shared = State<Arc<AppState>>;
type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/catalog", get(catalog))
        .route("/sources", get(list_sources).post(create_source))
        .route(
            "/sources/{id}",
            get(get_source).patch(patch_source).delete(delete_source),
        )
        .route(
            "/destinations",
            get(list_destinations).post(create_destination),
        )
        .route(
            "/destinations/{id}",
            get(get_destination)
                .patch(patch_destination)
                .delete(delete_destination),
        )
        .route(
            "/destinations/{id}/mappings",
            get(list_mappings).post(create_mapping),
        )
        .route(
            "/destinations/{id}/mappings/{mapping}",
            get(get_mapping).patch(patch_mapping).delete(delete_mapping),
        )
        .route("/destinations/{id}/test", post(test_event))
        .route("/destinations/{id}/config", get(get_config).put(put_config))
        .route("/destinations/{id}/versions", get(list_versions))
        .route(
            "/destinations/{id}/versions/{n}/restore",
            post(restore_version),
        )
}

/// A JSON object body, or the error that says what is wrong with it.
fn object(body: Result<Bytes, BytesRejection>) -> Result<Map<String, Value>, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is larger than {} bytes", crate::MAX_BODY),
            )
        } else {
            ApiError::bad_request(format!("cannot read the body: {e}"))
        }
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad_request("the body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("the body is not JSON: {e}"))),
    }
}

fn field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

fn string(
    body: &Map<String, Value>,
    key: &str,
    required: bool,
) -> Result<Option<String>, ApiError> {
    match field(body, key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(wrong(key, "must not be empty")),
        Some(_) => Err(wrong(key, "must be a string")),
        None if required => Err(wrong(key, "is required")),
        None => Ok(None),
    }
}

fn boolean(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match field(body, key) {
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong(key, "must be true or false")),
        None => Ok(None),
    }
}

fn wrong(key: &str, what: &str) -> ApiError {
    ApiError::invalid(
        format!("`{key}` {what}"),
        vec![json!({"pointer": format!("/{key}"), "message": format!("`{key}` {what}")})],
    )
}

fn author(headers: &HeaderMap) -> String {
    headers
        .get("x-actor")
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
        .unwrap_or("admin")
        .chars()
        .take(100)
        .collect()
}

fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A stale `If-Match` is a conflict; no `If-Match` writes unconditionally.
fn check_if_match(headers: &HeaderMap, current: i64) -> Result<(), ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        Some(tag)
            if tag.trim() != "*"
                && tag.trim().trim_start_matches("W/") != format!("\"{current}\"") =>
        {
            Err(ApiError::conflict(current))
        }
        _ => Ok(()),
    }
}

fn with_etag(status: StatusCode, revision: i64, body: Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(header::ETAG, etag(revision));
    r
}

fn source_json(s: &Source) -> Value {
    json!({"id": s.id, "name": s.name, "writeKey": s.write_key, "enabled": s.enabled})
}

fn destination_json(d: &Destination) -> Value {
    json!({
        "id": d.id,
        "sourceId": d.source_id,
        "slug": d.slug,
        "enabled": d.enabled,
        "settings": {"apiKey": d.config["apiKey"]},
        "mappings": d.config["subscriptions"],
        "version": d.version,
    })
}

/// Runs the engine over a configuration: 422 with every error, each naming its place.
fn validate(slug: &str, config: &Value) -> Result<(), ApiError> {
    let dest = destination::by_slug(slug)
        .ok_or_else(|| wrong("slug", "names no destination in the catalog"))?;
    let loaded = destination::load(dest, config);
    let details: Vec<Value> = loaded
        .errors()
        .map(|p| {
            json!({
                "code": p.diagnostic.code,
                "message": p.diagnostic.message,
                "pointer": p.diagnostic.pointer,
                "subscription": p.subscription.as_ref().map(|s| json!({"index": s.index, "id": s.id, "name": s.name})),
                "span": p.diagnostic.span().map(|s| json!({"start": s.start, "end": s.end})),
                "rendered": p.render(),
            })
        })
        .collect();
    if details.is_empty() {
        Ok(())
    } else {
        let first = details[0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        Err(ApiError::invalid(
            format!(
                "the configuration has {} error(s); the first: {first}",
                details.len()
            ),
            details,
        ))
    }
}

async fn catalog() -> Json<Value> {
    let defs: Vec<_> = destination::catalog()
        .iter()
        .map(|d| &d.definition)
        .collect();
    Json(json!(defs))
}

async fn list_sources(State(app): Shared) -> ApiResult {
    let store = app.store.lock().await;
    let list: Vec<Value> = store.sources()?.iter().map(source_json).collect();
    Ok(Json(json!(list)).into_response())
}

async fn create_source(State(app): Shared, body: Result<Bytes, BytesRejection>) -> ApiResult {
    let body = object(body)?;
    let name = string(&body, "name", true)?.unwrap_or_default();
    let source = Source {
        id: random_hex(8),
        name,
        write_key: random_hex(16),
        enabled: boolean(&body, "enabled")?.unwrap_or(true),
        revision: 1,
    };
    app.store.lock().await.insert_source(&source, &now())?;
    tracing::info!(source = %source.id, "source created");
    Ok(with_etag(
        StatusCode::CREATED,
        source.revision,
        source_json(&source),
    ))
}

async fn get_source(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    let store = app.store.lock().await;
    let s = store
        .source(&id)?
        .ok_or_else(|| ApiError::not_found("source", &id))?;
    Ok(with_etag(StatusCode::OK, s.revision, source_json(&s)))
}

async fn patch_source(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = object(body)?;
    let store = app.store.lock().await;
    let mut s = store
        .source(&id)?
        .ok_or_else(|| ApiError::not_found("source", &id))?;
    check_if_match(&headers, s.revision)?;
    if let Some(name) = string(&body, "name", false)? {
        s.name = name;
    }
    if let Some(enabled) = boolean(&body, "enabled")? {
        s.enabled = enabled;
    }
    s.revision += 1;
    store.update_source(&s)?;
    Ok(with_etag(StatusCode::OK, s.revision, source_json(&s)))
}

async fn delete_source(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    if app.store.lock().await.delete_source(&id)? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("source", &id))
    }
}

#[derive(Debug, serde::Deserialize)]
struct ListQuery {
    #[serde(rename = "sourceId")]
    source_id: Option<String>,
}

async fn list_destinations(State(app): Shared, Query(q): Query<ListQuery>) -> ApiResult {
    let store = app.store.lock().await;
    let list: Vec<Value> = store
        .destinations(q.source_id.as_deref())?
        .iter()
        .map(destination_json)
        .collect();
    Ok(Json(json!(list)).into_response())
}

async fn create_destination(
    State(app): Shared,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = object(body)?;
    let source_id = string(&body, "sourceId", true)?.unwrap_or_default();
    let slug = string(&body, "slug", false)?.unwrap_or_else(|| "actions-iterate".into());
    let dest = destination::by_slug(&slug)
        .ok_or_else(|| wrong("slug", "names no destination in the catalog"))?;
    let api_key = match field(&body, "settings") {
        Some(Value::Object(s)) => string(s, "apiKey", true).map_err(|_| {
            wrong(
                "settings/apiKey",
                "is required and must be a non-empty string",
            )
        })?,
        Some(_) => return Err(wrong("settings", "must be an object")),
        None => return Err(wrong("settings/apiKey", "is required")),
    };
    let config =
        json!({"apiKey": api_key, "subscriptions": dest.definition.preset_subscriptions()});
    validate(&slug, &config)?;
    let mut store = app.store.lock().await;
    if store.source(&source_id)?.is_none() {
        return Err(ApiError::invalid(
            format!("no source with id {source_id:?}"),
            vec![json!({"pointer": "/sourceId", "message": "names no source"})],
        ));
    }
    let mut d = Destination {
        id: random_hex(8),
        source_id,
        slug,
        enabled: boolean(&body, "enabled")?.unwrap_or(true),
        config,
        version: 1,
    };
    // Preset mappings get ids of their own.
    if let Some(subs) = d.config["subscriptions"].as_array_mut() {
        for s in subs {
            s["id"] = json!(random_hex(8));
        }
    }
    store.save_destination(
        &d,
        &author(&headers),
        "created with its presets",
        &now(),
        true,
    )?;
    tracing::info!(destination = %d.id, "destination created");
    Ok(with_etag(
        StatusCode::CREATED,
        d.version,
        destination_json(&d),
    ))
}

async fn load_destination(app: &AppState, id: &str) -> Result<Destination, ApiError> {
    app.store
        .lock()
        .await
        .destination(id)?
        .ok_or_else(|| ApiError::not_found("destination", id))
}

async fn get_destination(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    let d = load_destination(&app, &id).await?;
    Ok(with_etag(StatusCode::OK, d.version, destination_json(&d)))
}

/// Applies `change` to a destination under its lock: checks `If-Match`, validates the
/// result, then stores it as a new version. Nothing changes when any step refuses.
async fn update(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
    summary: &str,
    change: impl FnOnce(&mut Destination) -> Result<(), ApiError>,
) -> Result<Destination, ApiError> {
    let mut store = app.store.lock().await;
    let mut d = store
        .destination(id)?
        .ok_or_else(|| ApiError::not_found("destination", id))?;
    check_if_match(headers, d.version)?;
    change(&mut d)?;
    validate(&d.slug, &d.config)?;
    d.version += 1;
    store.save_destination(&d, &author(headers), summary, &now(), false)?;
    Ok(d)
}

async fn patch_destination(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = object(body)?;
    let enabled = boolean(&body, "enabled")?;
    let api_key = match field(&body, "settings") {
        Some(Value::Object(s)) => string(s, "apiKey", false)
            .map_err(|_| wrong("settings/apiKey", "must be a non-empty string"))?,
        Some(_) => return Err(wrong("settings", "must be an object")),
        None => None,
    };
    let d = update(&app, &id, &headers, "destination settings changed", |d| {
        if let Some(e) = enabled {
            d.enabled = e;
        }
        if let Some(k) = api_key {
            d.config["apiKey"] = json!(k);
        }
        Ok(())
    })
    .await?;
    Ok(with_etag(StatusCode::OK, d.version, destination_json(&d)))
}

async fn delete_destination(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    if app.store.lock().await.delete_destination(&id)? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(ApiError::not_found("destination", &id))
    }
}

async fn list_mappings(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    let d = load_destination(&app, &id).await?;
    Ok(with_etag(
        StatusCode::OK,
        d.version,
        d.config["subscriptions"].clone(),
    ))
}

/// A mapping body in Segment's subscription shape, checked field by field.
fn mapping_fields(body: &Map<String, Value>, base: Option<&Value>) -> Result<Value, ApiError> {
    let mut m = base
        .cloned()
        .unwrap_or_else(|| json!({"name": "", "enabled": true, "mapping": {}}));
    for key in ["name", "subscribe", "partnerAction"] {
        match field(body, key) {
            Some(Value::String(s)) => m[key] = json!(s),
            Some(_) => return Err(wrong(key, "must be a string")),
            None if base.is_none() && key != "name" => return Err(wrong(key, "is required")),
            None => {}
        }
    }
    if let Some(e) = boolean(body, "enabled")? {
        m["enabled"] = json!(e);
    }
    match field(body, "mapping") {
        Some(v @ Value::Object(_)) => m["mapping"] = v.clone(),
        Some(_) => return Err(wrong("mapping", "must be an object")),
        None => {}
    }
    Ok(m)
}

fn position(d: &Destination, mapping: &str) -> Result<usize, ApiError> {
    d.config["subscriptions"]
        .as_array()
        .and_then(|subs| subs.iter().position(|s| s["id"] == mapping))
        .ok_or_else(|| ApiError::not_found("mapping", mapping))
}

async fn create_mapping(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = object(body)?;
    let mut m = mapping_fields(&body, None)?;
    m["id"] = json!(random_hex(8));
    let created = m.clone();
    let d = update(&app, &id, &headers, "mapping added", |d| {
        match d.config["subscriptions"].as_array_mut() {
            Some(subs) => subs.push(m),
            None => d.config["subscriptions"] = json!([m]),
        }
        Ok(())
    })
    .await?;
    Ok(with_etag(StatusCode::CREATED, d.version, created))
}

async fn get_mapping(State(app): Shared, Path((id, mapping)): Path<(String, String)>) -> ApiResult {
    let d = load_destination(&app, &id).await?;
    let i = position(&d, &mapping)?;
    Ok(with_etag(
        StatusCode::OK,
        d.version,
        d.config["subscriptions"][i].clone(),
    ))
}

async fn patch_mapping(
    State(app): Shared,
    Path((id, mapping)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = object(body)?;
    let mut updated = Value::Null;
    let d = update(&app, &id, &headers, "mapping changed", |d| {
        let i = position(d, &mapping)?;
        let m = mapping_fields(&body, Some(&d.config["subscriptions"][i]))?;
        updated = m.clone();
        d.config["subscriptions"][i] = m;
        Ok(())
    })
    .await?;
    Ok(with_etag(StatusCode::OK, d.version, updated))
}

async fn delete_mapping(
    State(app): Shared,
    Path((id, mapping)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    update(&app, &id, &headers, "mapping deleted", |d| {
        let i = position(d, &mapping)?;
        if let Some(subs) = d.config["subscriptions"].as_array_mut() {
            subs.remove(i);
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The event tester: every mapping's handling of one event, and the calls it makes.
async fn test_event(
    State(app): Shared,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = object(body)?;
    let event = body
        .get("event")
        .ok_or_else(|| wrong("event", "is required"))?;
    if !event.is_object() {
        return Err(wrong("event", "must be a JSON object"));
    }
    let d = load_destination(&app, &id).await?;
    let dest = destination::by_slug(&d.slug)
        .ok_or_else(|| ApiError::internal("stored slug is unknown"))?;
    // Trace every mapping, disabled ones too, so the tester shows what enabling would do.
    let mut all = d.config.clone();
    if let Some(subs) = all["subscriptions"].as_array_mut() {
        for s in subs {
            s["enabled"] = json!(true);
        }
    }
    let loaded = destination::load(dest, &all);
    let traces = loaded.config.trace(event);
    let subs = d.config["subscriptions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let results: Vec<Value> = traces
        .iter()
        .map(|t| {
            let sub = subs.iter().find(|s| s["id"] == t.subscription.as_str());
            json!({
                "mapping": t.subscription,
                "name": sub.map(|s| s["name"].clone()),
                "enabled": sub.map(|s| s["enabled"].clone()),
                "matched": t.matched,
                "payload": t.payload,
                "problems": t.problems,
                "calls": t.calls,
            })
        })
        .collect();
    let calls = d
        .enabled
        .then(|| destination::load(dest, &d.config).config.run(event).ok())
        .flatten()
        .map(|o| json!(o.calls))
        .unwrap_or(json!([]));
    Ok(Json(json!({"mappings": results, "calls": calls})).into_response())
}

async fn get_config(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    let d = load_destination(&app, &id).await?;
    Ok(with_etag(StatusCode::OK, d.version, d.config))
}

async fn put_config(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = object(body)?;
    let d = update(&app, &id, &headers, "configuration replaced", |d| {
        d.config = Value::Object(body);
        Ok(())
    })
    .await?;
    Ok(with_etag(StatusCode::OK, d.version, d.config))
}

async fn list_versions(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    let store = app.store.lock().await;
    if store.destination(&id)?.is_none() {
        return Err(ApiError::not_found("destination", &id));
    }
    let list: Vec<Value> = store
        .versions(&id)?
        .into_iter()
        .map(|v| json!({"n": v.n, "createdAt": v.created_at, "author": v.author, "summary": v.summary, "enabled": v.enabled, "config": v.config}))
        .collect();
    Ok(Json(json!(list)).into_response())
}

async fn restore_version(
    State(app): Shared,
    Path((id, n)): Path<(String, i64)>,
    headers: HeaderMap,
) -> ApiResult {
    let old = {
        let store = app.store.lock().await;
        store.versions(&id)?.into_iter().find(|v| v.n == n)
    };
    let old = old.ok_or_else(|| ApiError::not_found("version", &n.to_string()))?;
    let d = update(&app, &id, &headers, &format!("restored version {n}"), |d| {
        d.enabled = old.enabled;
        d.config = old.config;
        Ok(())
    })
    .await?;
    Ok(with_etag(StatusCode::OK, d.version, destination_json(&d)))
}
