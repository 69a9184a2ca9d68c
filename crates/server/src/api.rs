//! The JSON API under `/api/v1` (bearer token). Every write is validated by the engine
//! first and changes nothing when refused; every change to a destination is a version.

use crate::delivery;
use crate::error::ApiError;
use crate::ops::{self, load_destination, position, wrong};
use crate::store::{Destination, Source};
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
        .route(
            "/destinations/{id}/mappings/{mapping}/move",
            post(move_mapping),
        )
        .route("/destinations/{id}/test", post(test_event))
        .route("/destinations/{id}/config", get(get_config).put(put_config))
        .route("/destinations/{id}/versions", get(list_versions))
        .route("/destinations/{id}/delivery", get(delivery_report))
        .route(
            "/destinations/{id}/versions/{n}/restore",
            post(restore_version),
        )
}

/// A JSON object body, or the error that says what is wrong with it.
fn object(body: Result<Bytes, BytesRejection>) -> Result<Map<String, Value>, ApiError> {
    let bytes = body.map_err(|e| ApiError::unreadable(e, crate::MAX_BODY))?;
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

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
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
        "settings": ops::settings_of(&d.config),
        "mappings": d.config["subscriptions"],
        "version": d.version,
    })
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
    let enabled = boolean(&body, "enabled")?.unwrap_or(true);
    let source = ops::create_source(&app, &name, enabled).await?;
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

/// A request about a missing resource is a 404 whatever its body holds: handlers that
/// take a body look the resource up first.
async fn source_exists(app: &AppState, id: &str) -> Result<(), ApiError> {
    match app.store.lock().await.source(id)? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found("source", id)),
    }
}

async fn destination_exists(app: &AppState, id: &str) -> Result<(), ApiError> {
    ops::load_destination(app, id).await.map(|_| ())
}

async fn mapping_exists(app: &AppState, id: &str, mapping: &str) -> Result<(), ApiError> {
    position(&ops::load_destination(app, id).await?, mapping).map(|_| ())
}

async fn patch_source(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    source_exists(&app, &id).await?;
    let body = object(body)?;
    let change = ops::SourceChange {
        name: string(&body, "name", false)?,
        enabled: boolean(&body, "enabled")?,
    };
    let s = ops::update_source(&app, &id, if_match(&headers), change).await?;
    Ok(with_etag(StatusCode::OK, s.revision, source_json(&s)))
}

/// Deletes the source with its destinations (their versions and delivery logs too).
async fn delete_source(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    ops::delete_source(&app, &id, None).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
    if destination::by_slug(&slug).is_none() {
        return Err(wrong("slug", "names no destination in the catalog"));
    }
    let settings = match field(&body, "settings") {
        Some(Value::Object(s)) => {
            string(s, "apiKey", true).map_err(|_| {
                wrong(
                    "settings/apiKey",
                    "is required and must be a non-empty string",
                )
            })?;
            s.clone()
        }
        Some(_) => return Err(wrong("settings", "must be an object")),
        None => return Err(wrong("settings/apiKey", "is required")),
    };
    let enabled = boolean(&body, "enabled")?.unwrap_or(true);
    let d = ops::create_destination(&app, source_id, slug, settings, enabled, &author(&headers))
        .await?;
    Ok(with_etag(
        StatusCode::CREATED,
        d.version,
        destination_json(&d),
    ))
}

async fn get_destination(State(app): Shared, Path(id): Path<String>) -> ApiResult {
    let d = load_destination(&app, &id).await?;
    Ok(with_etag(StatusCode::OK, d.version, destination_json(&d)))
}

/// [`ops::update`] with the request's `If-Match` and author.
async fn update(
    app: &AppState,
    id: &str,
    headers: &HeaderMap,
    summary: &str,
    change: impl FnOnce(&mut Destination) -> Result<(), ApiError>,
) -> Result<Destination, ApiError> {
    ops::update(
        app,
        id,
        if_match(headers),
        &author(headers),
        summary,
        change,
    )
    .await
}

async fn patch_destination(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    destination_exists(&app, &id).await?;
    let body = object(body)?;
    let enabled = boolean(&body, "enabled")?;
    let settings = match field(&body, "settings") {
        Some(Value::Object(s)) => {
            string(s, "apiKey", false)
                .map_err(|_| wrong("settings/apiKey", "must be a non-empty string"))?;
            s.clone()
        }
        Some(_) => return Err(wrong("settings", "must be an object")),
        None => Map::new(),
    };
    let d = update(&app, &id, &headers, "destination settings changed", |d| {
        if let Some(e) = enabled {
            d.enabled = e;
        }
        let dest = destination::by_slug(&d.slug)
            .ok_or_else(|| wrong("slug", "names no destination in the catalog"))?;
        ops::apply_settings(dest, &mut d.config, settings)
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
    // Beyond Segment: the consent categories this mapping also requires; `[]` removes them.
    match field(body, "consentCategories") {
        Some(Value::Array(c)) if c.is_empty() => {
            if let Some(o) = m.as_object_mut() {
                o.remove("consentCategories");
            }
        }
        Some(v @ Value::Array(c))
            if c.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty())) =>
        {
            m["consentCategories"] = v.clone();
        }
        Some(_) => {
            return Err(wrong(
                "consentCategories",
                "must be an array of consent category ids (non-empty strings)",
            ))
        }
        None => {}
    }
    Ok(m)
}

async fn create_mapping(
    State(app): Shared,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    destination_exists(&app, &id).await?;
    let body = object(body)?;
    let m = mapping_fields(&body, None)?;
    let (d, created) = ops::add_mapping(
        &app,
        &id,
        if_match(&headers),
        &author(&headers),
        "mapping added",
        m,
    )
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
    mapping_exists(&app, &id, &mapping).await?;
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

/// Moves a mapping to `{"position": n}` (0-based) in the list; answers the list.
async fn move_mapping(
    State(app): Shared,
    Path((id, mapping)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    mapping_exists(&app, &id, &mapping).await?;
    let body = object(body)?;
    let to = match field(&body, "position") {
        Some(Value::Number(n)) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    }
    .ok_or_else(|| wrong("position", "must be a whole number from 0"))?;
    let d = ops::move_mapping(
        &app,
        &id,
        if_match(&headers),
        &author(&headers),
        &mapping,
        ops::Move::To(to),
    )
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        d.version,
        d.config["subscriptions"].clone(),
    ))
}

/// The event tester: every mapping's handling of one event, and the calls it makes.
async fn test_event(
    State(app): Shared,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let d = load_destination(&app, &id).await?;
    let body = object(body)?;
    let event = body
        .get("event")
        .ok_or_else(|| wrong("event", "is required"))?;
    if !event.is_object() {
        return Err(wrong("event", "must be a JSON object"));
    }
    let (results, calls) = ops::trace_event(&d, event)?;
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
    destination_exists(&app, &id).await?;
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
    Path((id, n)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    // Parsed here, so a version that is not a number gets the one error shape too.
    let n: i64 = n.parse().map_err(|_| ApiError::not_found("version", &n))?;
    let d = ops::restore_version(&app, &id, n, if_match(&headers), &author(&headers)).await?;
    Ok(with_etag(StatusCode::OK, d.version, destination_json(&d)))
}

/// The browser delivery log of a destination over the last `hours` (1 to 720, 24 when
/// absent): per mapping, totals and a series of per-minute (up to 6 hours) or hourly
/// buckets; and the last errors pages reported.
async fn delivery_report(
    State(app): Shared,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> ApiResult {
    let given = query
        .iter()
        .find(|(k, _)| k == "hours")
        .map(|(_, v)| v.as_str());
    let hours = delivery::hours(given)?;
    let store = app.store.lock().await;
    let d = store
        .destination(&id)?
        .ok_or_else(|| ApiError::not_found("destination", &id))?;
    let mut report = delivery::report(&store, &d, hours, crate::util::unix_now())?;
    report.refused_batches = app.delivery_limit.refused(&d.id);
    Ok(Json(report.to_json()).into_response())
}
