//! The writes and reads that the JSON API ([`crate::api`]) and the web UI
//! ([`crate::ui`]) share, so both go through one validation and storage path: every
//! write is checked by the engine on the configuration it would produce, applied in
//! one transaction, and stored as a version. Request parsing stays with each front end.

use crate::error::ApiError;
use crate::store::{Destination, Source};
use crate::util::{now, random_hex};
use crate::AppState;
use axum::http::StatusCode;
use engine::destination;
use serde_json::{json, Value};

/// A refusal about one input, with its JSON Pointer in `details`.
pub fn wrong(key: &str, what: &str) -> ApiError {
    ApiError::invalid(
        format!("`{key}` {what}"),
        vec![json!({"pointer": format!("/{key}"), "message": format!("`{key}` {what}")})],
    )
}

/// Runs the engine over a configuration: 422 with every error, each naming its place.
pub fn validate(slug: &str, config: &Value) -> Result<(), ApiError> {
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
                "help": p.diagnostic.help,
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

/// A stale `If-Match` is a conflict; no `If-Match` (or `*`) writes unconditionally.
pub fn check_if_match(tag: Option<&str>, current: i64) -> Result<(), ApiError> {
    match tag {
        Some(tag)
            if tag.trim() != "*"
                && tag.trim().trim_start_matches("W/") != format!("\"{current}\"") =>
        {
            Err(ApiError::conflict(current))
        }
        _ => Ok(()),
    }
}

/// A source's name as stored: trimmed, and not empty.
pub fn source_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        Err(wrong("name", "must not be empty"))
    } else {
        Ok(name.to_string())
    }
}

/// Sets `settings` in a configuration of `dest`: only the definition's settings (the
/// engine checks their values when the configuration is validated).
pub fn apply_settings(
    dest: &destination::Destination,
    config: &mut Value,
    settings: serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    for (key, value) in settings {
        if !dest.definition.settings.iter().any(|s| s.key == key) {
            return Err(wrong(
                &format!("settings/{key}"),
                "names no setting of this destination",
            ));
        }
        config[key.as_str()] = value;
    }
    Ok(())
}

/// Creates a source with a fresh id and write key.
pub async fn create_source(app: &AppState, name: &str, enabled: bool) -> Result<Source, ApiError> {
    let source = Source {
        id: random_hex(8),
        name: source_name(name)?,
        write_key: random_hex(16),
        enabled,
        revision: 1,
    };
    app.store.lock().await.insert_source(&source, &now())?;
    tracing::info!(source = %source.id, "source created");
    Ok(source)
}

/// What a change to a source sets; `None` keeps the field as it is.
#[derive(Debug, Default)]
pub struct SourceChange {
    pub name: Option<String>,
    pub enabled: Option<bool>,
}

/// Renames or enables/disables a source under the store's lock, after checking the
/// precondition (an `If-Match` value); one more revision. A disabled source's
/// settings document is not served (404), so analytics.js loads none of its
/// destinations; the store's write counter makes the cached documents stale.
pub async fn update_source(
    app: &AppState,
    id: &str,
    if_match: Option<&str>,
    change: SourceChange,
) -> Result<Source, ApiError> {
    let store = app.store.lock().await;
    let mut s = store
        .source(id)?
        .ok_or_else(|| ApiError::not_found("source", id))?;
    let name = change.name.as_deref().map(source_name).transpose()?;
    check_if_match(if_match, s.revision)?;
    if let Some(name) = name {
        s.name = name;
    }
    if let Some(enabled) = change.enabled {
        s.enabled = enabled;
    }
    s.revision += 1;
    store.update_source(&s)?;
    tracing::info!(source = %s.id, enabled = s.enabled, "source changed");
    Ok(s)
}

/// Deletes a source and, with it, its destinations, their versions and their delivery
/// logs (the schema's foreign keys cascade), and forgets the recent events its pages
/// sent. With `expected`, the ids of the destinations the caller showed as going with
/// it, refuses (409) when the source's destinations are not exactly those, so nothing
/// is deleted that was not shown. Returns the source and the destinations deleted.
pub async fn delete_source(
    app: &AppState,
    id: &str,
    expected: Option<&[String]>,
) -> Result<(Source, Vec<Destination>), ApiError> {
    let (source, destinations) = {
        let store = app.store.lock().await;
        let source = store
            .source(id)?
            .ok_or_else(|| ApiError::not_found("source", id))?;
        let destinations = store.destinations(Some(id))?;
        if let Some(expected) = expected {
            let mut shown: Vec<&str> = expected.iter().map(String::as_str).collect();
            let mut now: Vec<&str> = destinations.iter().map(|d| d.id.as_str()).collect();
            shown.sort_unstable();
            now.sort_unstable();
            if shown != now {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "the source's destinations changed since they were shown: review them and delete again",
                ));
            }
        }
        if !store.delete_source(id)? {
            return Err(ApiError::not_found("source", id));
        }
        (source, destinations)
    };
    app.recent.forget(&source.write_key);
    tracing::info!(source = %source.id, destinations = destinations.len(), "source deleted");
    Ok((source, destinations))
}

/// Creates a destination of `slug` for a source with its presets (each with an id of
/// its own, enabled), after the engine accepted the configuration.
pub async fn create_destination(
    app: &AppState,
    source_id: String,
    slug: String,
    settings: serde_json::Map<String, Value>,
    enabled: bool,
    author: &str,
) -> Result<Destination, ApiError> {
    let dest = destination::by_slug(&slug)
        .ok_or_else(|| wrong("slug", "names no destination in the catalog"))?;
    let mut config = json!({"subscriptions": dest.definition.preset_subscriptions()});
    apply_settings(dest, &mut config, settings)?;
    if let Some(subs) = config["subscriptions"].as_array_mut() {
        for s in subs {
            s["id"] = json!(random_hex(8));
        }
    }
    validate(&slug, &config)?;
    let mut store = app.store.lock().await;
    if store.source(&source_id)?.is_none() {
        return Err(ApiError::invalid(
            format!("no source with id {source_id:?}"),
            vec![json!({"pointer": "/sourceId", "message": "names no source"})],
        ));
    }
    let d = Destination {
        id: random_hex(8),
        source_id,
        slug,
        enabled,
        config,
        version: 1,
    };
    store.save_destination(&d, author, "created with its presets", &now(), true)?;
    tracing::info!(destination = %d.id, "destination created");
    Ok(d)
}

pub async fn load_destination(app: &AppState, id: &str) -> Result<Destination, ApiError> {
    app.store
        .lock()
        .await
        .destination(id)?
        .ok_or_else(|| ApiError::not_found("destination", id))
}

/// Applies `change` to a destination under its lock: checks the precondition (an
/// `If-Match` value), validates the result, then stores it as a new version. Nothing
/// changes when any step refuses.
pub async fn update(
    app: &AppState,
    id: &str,
    if_match: Option<&str>,
    author: &str,
    summary: &str,
    change: impl FnOnce(&mut Destination) -> Result<(), ApiError>,
) -> Result<Destination, ApiError> {
    let mut store = app.store.lock().await;
    let mut d = store
        .destination(id)?
        .ok_or_else(|| ApiError::not_found("destination", id))?;
    check_if_match(if_match, d.version)?;
    change(&mut d)?;
    validate(&d.slug, &d.config)?;
    d.version += 1;
    store.save_destination(&d, author, summary, &now(), false)?;
    Ok(d)
}

/// Where the mapping with id `mapping` is in the destination's subscriptions.
pub fn position(d: &Destination, mapping: &str) -> Result<usize, ApiError> {
    d.config["subscriptions"]
        .as_array()
        .and_then(|subs| subs.iter().position(|s| s["id"] == mapping))
        .ok_or_else(|| ApiError::not_found("mapping", mapping))
}

/// Where [`move_mapping`] puts a mapping.
#[derive(Debug, Clone, Copy)]
pub enum Move {
    /// At this place (0-based).
    To(usize),
    /// One place up or down.
    Up,
    Down,
}

/// Moves a mapping to `to` in the destination's list, the others keeping
/// their order. Mappings of one action run in this order, so an event that several
/// match makes their calls in it.
pub async fn move_mapping(
    app: &AppState,
    id: &str,
    if_match: Option<&str>,
    author: &str,
    mapping: &str,
    to: Move,
) -> Result<Destination, ApiError> {
    update(app, id, if_match, author, "mapping moved", |d| {
        let i = position(d, mapping)?;
        let subs = d.config["subscriptions"]
            .as_array_mut()
            .ok_or_else(|| ApiError::not_found("mapping", mapping))?;
        // Worked out under the lock, from the list as it is now.
        let to = match to {
            Move::To(n) if n < subs.len() => n,
            Move::To(_) => {
                let last = subs.len() - 1;
                return Err(wrong("position", &format!("must be from 0 to {last}")));
            }
            Move::Up if i > 0 => i - 1,
            Move::Down if i + 1 < subs.len() => i + 1,
            Move::Up => return Err(wrong("to", "cannot be up: the mapping is the first")),
            Move::Down => return Err(wrong("to", "cannot be down: the mapping is the last")),
        };
        let m = subs.remove(i);
        subs.insert(to, m);
        Ok(())
    })
    .await
}

/// Appends a mapping (given a fresh id); returns the destination and the mapping.
pub async fn add_mapping(
    app: &AppState,
    id: &str,
    if_match: Option<&str>,
    author: &str,
    summary: &str,
    mut m: Value,
) -> Result<(Destination, Value), ApiError> {
    m["id"] = json!(random_hex(8));
    let created = m.clone();
    let d = update(app, id, if_match, author, summary, |d| {
        match d.config["subscriptions"].as_array_mut() {
            Some(subs) => subs.push(m),
            None => d.config["subscriptions"] = json!([m]),
        }
        Ok(())
    })
    .await?;
    Ok((d, created))
}

/// Makes version `n` the current state again, as a new version.
pub async fn restore_version(
    app: &AppState,
    id: &str,
    n: i64,
    if_match: Option<&str>,
    author: &str,
) -> Result<Destination, ApiError> {
    let old = {
        let store = app.store.lock().await;
        store.versions(id)?.into_iter().find(|v| v.n == n)
    };
    let old = old.ok_or_else(|| ApiError::not_found("version", &n.to_string()))?;
    update(
        app,
        id,
        if_match,
        author,
        &format!("restored version {n}"),
        |d| {
            d.enabled = old.enabled;
            d.config = old.config;
            Ok(())
        },
    )
    .await
}

/// Every mapping's handling of one event (disabled ones too, so a tester shows what
/// enabling would do), and the calls the enabled configuration makes.
pub fn trace_event(d: &Destination, event: &Value) -> Result<(Vec<Value>, Value), ApiError> {
    let dest = destination::by_slug(&d.slug)
        .ok_or_else(|| ApiError::internal("stored slug is unknown"))?;
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
    Ok((results, calls))
}

/// A destination's settings (the API key and the rest of the definition's settings),
/// without its mappings.
pub fn settings_of(config: &Value) -> serde_json::Map<String, Value> {
    config
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.as_str() != "subscriptions")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}
