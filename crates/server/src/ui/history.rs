//! A destination's versions, newest first, each with what changed since the one
//! before (in words: settings, the enabled switch, mappings added, removed, changed,
//! field by field), and a one-click restore that writes the old state as a new version.

use super::catalog::display_name;
use super::destination::{destination_and_source, mapping_name};
use super::html::{self, e, url_encode, Frame, Nav};
use super::session::{Posted, Signed};
use super::{explain, Page, AUTHOR};
use crate::ops;
use crate::store::Version;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;
use std::fmt::Write as _;
use std::sync::Arc;

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added(String),
    Removed(String),
    /// What, before, after.
    Changed(String, String, String),
    Note(String),
}

fn subs(v: &Value) -> Vec<&Value> {
    v["subscriptions"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// A value as people read it: strings bare, everything else as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

/// A setting's label in the catalog, else its key.
fn setting_label(key: &str) -> String {
    engine::destination::catalog()
        .iter()
        .flat_map(|d| d.definition.settings.iter())
        .find(|s| s.key == key)
        .map_or_else(|| key.to_string(), |s| s.label.to_string())
}

fn mapping_summary(m: &Value) -> String {
    format!(
        "mapping “{}” (trigger {}, action {}{})",
        mapping_name(m),
        show(&m["subscribe"]),
        show(&m["partnerAction"]),
        if m["enabled"] == true {
            ", enabled"
        } else {
            ", disabled"
        }
    )
}

/// What changed from `before` to `after` (`None` before the first version).
pub fn diff(before: Option<&Version>, after: &Version) -> Vec<Change> {
    let Some(before) = before else {
        let n = subs(&after.config).len();
        return vec![Change::Note(format!(
            "Created with {n} mapping{}",
            if n == 1 { "" } else { "s" }
        ))];
    };
    let mut out = Vec::new();
    if before.enabled != after.enabled {
        out.push(Change::Changed(
            "Destination".into(),
            if before.enabled {
                "enabled"
            } else {
                "disabled"
            }
            .into(),
            if after.enabled { "enabled" } else { "disabled" }.into(),
        ));
    }
    if before.config["apiKey"] != after.config["apiKey"] {
        out.push(Change::Changed(
            "Embed API Key".into(),
            show(&before.config["apiKey"]),
            show(&after.config["apiKey"]),
        ));
    }
    // The other settings, named by the definition's labels.
    let (was, now) = (
        ops::settings_of(&before.config),
        ops::settings_of(&after.config),
    );
    let mut keys: Vec<&String> = was.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys.into_iter().filter(|k| k.as_str() != "apiKey") {
        let (b, a) = (
            was.get(key).unwrap_or(&Value::Null),
            now.get(key).unwrap_or(&Value::Null),
        );
        if b != a {
            out.push(Change::Changed(setting_label(key), show(b), show(a)));
        }
    }
    let (old, new) = (subs(&before.config), subs(&after.config));
    let find = |list: &[&Value], id: &Value| list.iter().position(|m| m["id"] == *id);
    for m in &old {
        if find(&new, &m["id"]).is_none() {
            out.push(Change::Removed(mapping_summary(m)));
        }
    }
    for m in &new {
        let Some(i) = find(&old, &m["id"]) else {
            out.push(Change::Added(mapping_summary(m)));
            continue;
        };
        let o = old[i];
        let label = format!("Mapping “{}”", mapping_name(m));
        for (key, what) in [
            ("name", "name"),
            ("enabled", "enabled"),
            ("subscribe", "trigger"),
            ("partnerAction", "action"),
            ("consentCategories", "consent categories"),
        ] {
            if o[key] != m[key] {
                out.push(Change::Changed(
                    format!("{label}: {what}"),
                    show(&o[key]),
                    show(&m[key]),
                ));
            }
        }
        let empty = serde_json::Map::new();
        let om = o["mapping"].as_object().unwrap_or(&empty);
        let nm = m["mapping"].as_object().unwrap_or(&empty);
        for (k, v) in om {
            match nm.get(k) {
                None => out.push(Change::Removed(format!("{label}: field {k} = {v}"))),
                Some(w) if w != v => out.push(Change::Changed(
                    format!("{label}: field {k}"),
                    v.to_string(),
                    w.to_string(),
                )),
                _ => {}
            }
        }
        for (k, v) in nm {
            if !om.contains_key(k) {
                out.push(Change::Added(format!("{label}: field {k} = {v}")));
            }
        }
    }
    let order = |list: &[&Value]| -> Vec<Value> {
        list.iter()
            .map(|m| m["id"].clone())
            .filter(|id| find(&old, id).is_some() && find(&new, id).is_some())
            .collect()
    };
    if order(&old) != order(&new) {
        out.push(Change::Note("Mappings reordered".into()));
    }
    if out.is_empty() {
        out.push(Change::Note("No change to the configuration".into()));
    }
    out
}

fn render_change(c: &Change) -> String {
    match c {
        Change::Added(t) => format!(
            r#"<li class="added"><span class="mark" aria-hidden="true">+</span> <span class="vh">Added: </span>{}</li>"#,
            e(t)
        ),
        Change::Removed(t) => format!(
            r#"<li class="removed"><span class="mark" aria-hidden="true">−</span> <span class="vh">Removed: </span>{}</li>"#,
            e(t)
        ),
        Change::Changed(what, before, after) => format!(
            r#"<li class="changed"><span class="mark" aria-hidden="true">~</span> {}: <del>{}</del> <span aria-hidden="true">→</span><span class="vh"> became </span> <ins>{}</ins></li>"#,
            e(what),
            e(before),
            e(after)
        ),
        Change::Note(t) => format!(r#"<li class="note">{}</li>"#, e(t)),
    }
}

/// The changes as a list; past [`SHOWN`] of them, the rest behind a disclosure.
fn render_changes(changes: &[Change]) -> String {
    let (first, rest) = changes.split_at(changes.len().min(SHOWN));
    let mut out = format!(
        r#"<ul class="diff">{}</ul>"#,
        first.iter().map(render_change).collect::<String>()
    );
    if !rest.is_empty() {
        let _ = write!(
            out,
            r#"<details><summary>{} more change{}</summary><ul class="diff">{}</ul></details>"#,
            rest.len(),
            if rest.len() == 1 { "" } else { "s" },
            rest.iter().map(render_change).collect::<String>()
        );
    }
    out
}

/// How many changes a version shows before "N more changes".
const SHOWN: usize = 8;

async fn render(
    app: &AppState,
    s: &super::session::Session,
    id: &str,
    error: Option<(i64, Vec<String>, StatusCode)>,
) -> Page {
    let (d, src) = destination_and_source(app, id).await?;
    let versions = app.store.lock().await.versions(id)?;
    let name = format!("{} on {}", display_name(&d.slug), src.name);
    let mut main = format!(
        r#"<h1>Version history</h1><p class="meta">{} · current version {} · every change is a version; restoring one writes it again as the newest</p><ol class="versions" reversed>"#,
        e(&name),
        d.version
    );
    for (i, v) in versions.iter().enumerate().rev() {
        let before = i.checked_sub(1).map(|j| &versions[j]);
        let changes = render_changes(&diff(before, v));
        let current = v.n == d.version;
        let action = if current {
            r#"<span class="badge on">Current</span>"#.to_string()
        } else {
            format!(
                r#"<form method="post" action="/ui/destinations/{}/versions/{}/restore">{}<button type="submit" aria-label="Restore version {n}">Restore</button></form>"#,
                e(&url_encode(&d.id)),
                v.n,
                html::csrf_input(s),
                n = v.n
            )
        };
        let errors = match &error {
            Some((n, messages, _)) if *n == v.n => {
                let ps: String = messages
                    .iter()
                    .map(|m| format!(r#"<p class="error">{}</p>"#, e(m)))
                    .collect();
                format!(r#"<div class="errors" role="alert">{ps}</div>"#)
            }
            _ => String::new(),
        };
        let _ = write!(
            main,
            r#"<li class="version" id="v{n}" value="{n}"><div class="version-head"><h2>Version {n}</h2>{action}</div>
<p class="meta">{when} · {author} · {summary}</p>{errors}{changes}</li>"#,
            n = v.n,
            when = e(&v.created_at),
            author = e(&v.author),
            summary = e(&v.summary),
        );
    }
    main.push_str("</ol>");
    let status = error.map_or(StatusCode::OK, |(_, _, s)| s);
    let frame = Frame::new(format!("History of {name}"), Some(s), Nav::Destinations)
        .crumb("Destinations", Some("/ui/destinations".into()))
        .crumb(name, Some(format!("/ui/destinations/{}", d.id)))
        .crumb("Version history", None)
        .notice(app.ui.take_notice(&s.id));
    Ok(html::page(status, frame.render(&main)))
}

pub async fn page(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Page {
    render(&app, &s, &id, None).await
}

pub async fn restore(
    State(app): State<Arc<AppState>>,
    Path((id, n)): Path<(String, i64)>,
    Posted { session, .. }: Posted,
) -> Page {
    match ops::restore_version(&app, &id, n, None, AUTHOR).await {
        Ok(d) => {
            app.ui.set_notice(
                &session.id,
                format!("Version {n} restored as version {}.", d.version),
            );
            Ok(html::see_other(&format!(
                "/ui/destinations/{}/versions",
                url_encode(&id)
            )))
        }
        Err(err)
            if err.status == StatusCode::UNPROCESSABLE_ENTITY
                || err.status == StatusCode::CONFLICT =>
        {
            let messages = explain(&err);
            render(&app, &session, &id, Some((n, messages, err.status))).await
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(n: i64, enabled: bool, config: Value) -> Version {
        Version {
            n,
            created_at: "2026-01-01T00:00:00Z".into(),
            author: "t".into(),
            summary: "s".into(),
            enabled,
            config,
        }
    }

    #[test]
    fn the_diff_names_each_change_in_words() {
        let a = version(
            1,
            true,
            json!({"apiKey": "k1", "subscriptions": [
                {"id": "a", "name": "Track Event", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}},
                {"id": "b", "name": "Identify User", "enabled": true, "subscribe": "type = \"identify\"", "partnerAction": "identifyUser", "mapping": {}}
            ]}),
        );
        assert_eq!(
            diff(None, &a),
            [Change::Note("Created with 2 mappings".into())]
        );
        let b = version(
            2,
            false,
            json!({"apiKey": "k2", "consentCategories": ["C0001"], "subscriptions": [
                {"id": "a", "name": "Signups", "enabled": false, "subscribe": "event = \"Signed Up\"", "partnerAction": "trackEvent", "mapping": {"name": "Signed Up"}, "consentCategories": ["C0002"]},
                {"id": "c", "name": "New", "enabled": true, "subscribe": "type = \"page\"", "partnerAction": "trackEvent", "mapping": {}}
            ]}),
        );
        let changes = diff(Some(&a), &b);
        let has = |c: Change| assert!(changes.contains(&c), "{c:?} not in {changes:#?}");
        has(Change::Changed(
            "Destination".into(),
            "enabled".into(),
            "disabled".into(),
        ));
        has(Change::Changed(
            "Embed API Key".into(),
            "k1".into(),
            "k2".into(),
        ));
        has(Change::Removed(
            "mapping “Identify User” (trigger type = \"identify\", action identifyUser, enabled)"
                .into(),
        ));
        has(Change::Added(
            "mapping “New” (trigger type = \"page\", action trackEvent, enabled)".into(),
        ));
        has(Change::Changed(
            "Mapping “Signups”: name".into(),
            "Track Event".into(),
            "Signups".into(),
        ));
        has(Change::Changed(
            "Mapping “Signups”: enabled".into(),
            "true".into(),
            "false".into(),
        ));
        has(Change::Changed(
            "Mapping “Signups”: trigger".into(),
            "type = \"track\"".into(),
            "event = \"Signed Up\"".into(),
        ));
        has(Change::Changed(
            "Consent categories".into(),
            "(none)".into(),
            r#"["C0001"]"#.into(),
        ));
        has(Change::Changed(
            "Mapping “Signups”: consent categories".into(),
            "(none)".into(),
            r#"["C0002"]"#.into(),
        ));
        has(Change::Changed(
            "Mapping “Signups”: field name".into(),
            r#"{"@path":"$.event"}"#.into(),
            r#""Signed Up""#.into(),
        ));
        assert_eq!(
            diff(Some(&a), &version(3, true, a.config.clone())),
            [Change::Note("No change to the configuration".into())]
        );
        let mut swapped = a.config.clone();
        swapped["subscriptions"].as_array_mut().unwrap().reverse();
        assert_eq!(
            diff(Some(&a), &version(4, true, swapped)),
            [Change::Note("Mappings reordered".into())]
        );
    }

    #[test]
    fn rendered_changes_are_escaped() {
        let html = render_change(&Change::Changed("<a>".into(), "<b>".into(), "<c>".into()));
        assert!(!html.contains("<a>") && !html.contains("<b>") && !html.contains("<c>"));
    }
}
