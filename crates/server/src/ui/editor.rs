//! The mapping editor: name, enabled, the trigger (a builder and FQL text), the
//! action, and each of its fields set to a path, a static text, or any JSON value or
//! directive. The page carries the engine (the served wasm bundle) for live checks and
//! the event tester (`assets/editor.js`); saving goes through [`crate::ops`], and the
//! engine's refusals come back next to the field, trigger or action they are about.

use super::catalog::{default_text, display_name};
use super::destination::{destination_and_source, list_text, mapping_name, parse_list};
use super::html::{self, e, json_script, url_encode, Frame, Nav};
use super::session::{FormData, Posted, Session, Signed};
use super::{explain, Failure, Page, Placed, AUTHOR};
use crate::error::ApiError;
use crate::ops::{self, position};
use crate::store::{Destination, Source};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use engine::destination::{self, model};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// How a field's value is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `{"@path": value}`.
    Path,
    /// The text itself, as a JSON string.
    Text,
    /// Any JSON: a number, an object, a directive such as `{"@template": ...}`.
    Json,
    /// No mapping for the field.
    None,
}

impl Mode {
    const ALL: [Mode; 4] = [Mode::Path, Mode::Text, Mode::Json, Mode::None];

    pub fn key(self) -> &'static str {
        match self {
            Mode::Path => "path",
            Mode::Text => "text",
            Mode::Json => "json",
            Mode::None => "none",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Mode::Path => "Path in the event",
            Mode::Text => "Static text",
            Mode::Json => "Value or directive (JSON)",
            Mode::None => "Not mapped",
        }
    }

    fn parse(s: &str) -> Mode {
        Mode::ALL
            .into_iter()
            .find(|m| m.key() == s)
            .unwrap_or(Mode::None)
    }
}

/// A field's mapping as the editor shows it: a mode and the text of its value.
pub fn split(v: Option<&Value>) -> (Mode, String) {
    match v {
        None => (Mode::None, String::new()),
        Some(Value::Object(o)) if o.len() == 1 && o.get("@path").is_some_and(Value::is_string) => {
            (Mode::Path, o["@path"].as_str().unwrap_or("").to_string())
        }
        Some(Value::String(s)) => (Mode::Text, s.clone()),
        Some(other) => (Mode::Json, other.to_string()),
    }
}

/// The mapping value of a field from its mode and text; `Ok(None)` for "not mapped".
pub fn join(mode: Mode, text: &str) -> Result<Option<Value>, String> {
    match mode {
        Mode::None => Ok(None),
        Mode::Text => Ok(Some(Value::String(text.to_string()))),
        Mode::Path if text.trim().is_empty() => {
            Err("enter a path into the event, such as `$.event` or `$.properties.plan`".into())
        }
        Mode::Path => Ok(Some(json!({"@path": text}))),
        Mode::Json => serde_json::from_str(text).map(Some).map_err(|err| {
            format!("this is not JSON ({err}); write a number, true, an object such as {{\"@template\": \"Hi {{{{traits.name}}}}\"}}, or a quoted string")
        }),
    }
}

/// Everything the form holds, valid or not, so a refused save shows it back as typed.
#[derive(Debug, Clone)]
pub struct Draft {
    pub name: String,
    pub enabled: bool,
    pub subscribe: String,
    pub action: String,
    /// (action key, field key) → (mode, text).
    pub fields: HashMap<(String, String), (Mode, String)>,
    /// Keys of the stored mapping that the action does not define, kept as they are.
    pub extra: Map<String, Value>,
    /// The consent categories this mapping also requires, comma-separated as typed.
    pub consent: String,
}

fn field_name(action: &str, key: &str, part: &str) -> String {
    format!("f.{action}.{key}.{part}")
}

impl Draft {
    /// A draft of a stored mapping; the other actions' fields start at their defaults.
    pub fn of_mapping(def: &model::Definition, m: &Value) -> Draft {
        let action = m["partnerAction"].as_str().unwrap_or("").to_string();
        let mapping = m["mapping"].as_object().cloned().unwrap_or_default();
        let mut fields = HashMap::new();
        for a in &def.actions {
            for f in &a.fields {
                let value = if a.key == action {
                    split(mapping.get(f.key))
                } else {
                    split(f.default.as_ref())
                };
                fields.insert((a.key.to_string(), f.key.to_string()), value);
            }
        }
        let known: Vec<&str> = def
            .action(&action)
            .map(|a| a.fields.iter().map(|f| f.key).collect())
            .unwrap_or_default();
        let extra = mapping
            .into_iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .collect();
        Draft {
            name: m["name"].as_str().unwrap_or("").to_string(),
            enabled: m["enabled"] == true,
            subscribe: m["subscribe"].as_str().unwrap_or("").to_string(),
            action,
            fields,
            extra,
            consent: list_text(&m["consentCategories"]),
        }
    }

    /// A new mapping of `action`: its default trigger and field defaults.
    pub fn new(def: &model::Definition, action: &model::Action) -> Draft {
        let m = json!({
            "name": action.title,
            "enabled": true,
            "subscribe": action.default_trigger,
            "partnerAction": action.key,
            "mapping": model::Definition::default_mapping(action),
        });
        Draft::of_mapping(def, &m)
    }

    pub fn of_form(def: &model::Definition, form: &FormData) -> Draft {
        let mut fields = HashMap::new();
        for a in &def.actions {
            for f in &a.fields {
                let mode = Mode::parse(form.text(&field_name(a.key, f.key, "mode")));
                let text = form.text(&field_name(a.key, f.key, "value")).to_string();
                fields.insert((a.key.to_string(), f.key.to_string()), (mode, text));
            }
        }
        let extra =
            serde_json::from_str::<Map<String, Value>>(form.text("extra")).unwrap_or_default();
        Draft {
            name: form.text("name").trim().to_string(),
            enabled: form.checked("enabled"),
            subscribe: form.text("subscribe").to_string(),
            action: form.text("partnerAction").to_string(),
            fields,
            extra,
            consent: form.text("consentCategories").to_string(),
        }
    }

    /// The subscription this draft describes (without an id), or the fields whose
    /// values cannot be read, with why.
    pub fn to_subscription(&self, def: &model::Definition) -> Result<Value, Vec<(String, String)>> {
        let mut mapping = self.extra.clone();
        let mut errors = Vec::new();
        if let Some(a) = def.action(&self.action) {
            for f in &a.fields {
                let (mode, text) = self
                    .fields
                    .get(&(a.key.to_string(), f.key.to_string()))
                    .cloned()
                    .unwrap_or((Mode::None, String::new()));
                match join(mode, &text) {
                    Ok(Some(v)) => {
                        mapping.insert(f.key.to_string(), v);
                    }
                    Ok(None) => {
                        mapping.remove(f.key);
                    }
                    Err(why) => errors.push((f.key.to_string(), why)),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut sub = json!({
            "name": self.name,
            "enabled": self.enabled,
            "subscribe": self.subscribe,
            "partnerAction": self.action,
            "mapping": mapping,
        });
        let consent = parse_list(&self.consent);
        if !consent.is_empty() {
            sub["consentCategories"] = json!(consent);
        }
        Ok(sub)
    }
}

/// Where on the editor a problem at `pointer` belongs, for the mapping at `index`:
/// `trigger`, `action`, `name`, `consent`, `field:<key>`, `fields`, or `general`.
pub fn place_of(pointer: Option<&str>, index: usize) -> String {
    let prefix = format!("/subscriptions/{index}");
    let Some(rest) = pointer.and_then(|p| p.strip_prefix(&prefix)) else {
        return "general".into();
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return "general".into(); // `/subscriptions/12` is not under `/subscriptions/1`
    }
    if rest == "/consentCategories" || rest.starts_with("/consentCategories/") {
        return "consent".into();
    }
    match rest {
        "/subscribe" => "trigger".into(),
        "/partnerAction" => "action".into(),
        "/name" => "name".into(),
        "/mapping" => "fields".into(),
        _ => match rest.strip_prefix("/mapping/") {
            Some(field) => {
                let key = field.split('/').next().unwrap_or("");
                format!("field:{}", key.replace("~1", "/").replace("~0", "~"))
            }
            None => "general".into(),
        },
    }
}

/// A refused save's problems, placed; the trigger's keep their caret rendering.
fn place_error(placed: &mut Placed, err: &ApiError, index: usize) {
    placed.status = err.status;
    if err.status != StatusCode::UNPROCESSABLE_ENTITY || err.details.is_empty() {
        for m in explain(err) {
            placed.add("general", m);
        }
        return;
    }
    for d in &err.details {
        let place = place_of(d["pointer"].as_str(), index);
        let one = ApiError::invalid("", vec![d.clone()]);
        // The caret rendering, without its first line naming the mapping (this page is it).
        let text = if place == "trigger" {
            d["rendered"].as_str().map(|r| match r.split_once('\n') {
                Some((first, rest)) if first.starts_with("in subscription") => rest.to_string(),
                _ => r.to_string(),
            })
        } else {
            None
        };
        match text {
            Some(t) => placed.add(&place, t),
            None => {
                for m in explain(&one) {
                    placed.add(&place, m);
                }
            }
        }
    }
}

/// The recent events analytics.js delivered for the source, as tester choices.
fn recent(app: &AppState, src: &Source) -> Value {
    let list: Vec<Value> = app
        .recent
        .list(&src.write_key)
        .into_iter()
        .map(|event| {
            let kind = event["type"].as_str().unwrap_or("event").to_string();
            let name = event["event"]
                .as_str()
                .or_else(|| event["name"].as_str())
                .map(|n| format!(" “{n}”"))
                .unwrap_or_default();
            // `2026-11-29T05:47:52.123Z` → `05:47:52`
            let at = event["timestamp"]
                .as_str()
                .and_then(|t| t.get(11..19))
                .map(|t| format!(" at {t}"))
                .unwrap_or_default();
            json!({"label": format!("{kind}{name}{at}"), "event": event})
        })
        .collect();
    Value::Array(list)
}

fn samples() -> Value {
    json!([
        {"label": "Track: Signed Up", "event": {"type": "track", "event": "Signed Up", "userId": "user_8731", "properties": {"plan": "pro", "price": 49}, "context": {"page": {"path": "/pricing"}}}},
        {"label": "Track: Order Completed", "event": {"type": "track", "event": "Order Completed", "userId": "user_8731", "properties": {"order_id": "o-7", "total": 99.5, "coupon": false}}},
        {"label": "Identify", "event": {"type": "identify", "userId": "user_8731", "traits": {"email": "ada@example.com", "name": "Ada", "plan": "pro"}}},
        {"label": "Page: Pricing", "event": {"type": "page", "name": "Pricing", "properties": {"path": "/pricing", "title": "Pricing"}}},
    ])
}

fn kind_name(k: model::FieldType) -> &'static str {
    match k {
        model::FieldType::String | model::FieldType::Text | model::FieldType::Password => "text",
        model::FieldType::Number => "number",
        model::FieldType::Integer => "integer",
        model::FieldType::Boolean => "true or false",
        model::FieldType::Object => "object",
        model::FieldType::Datetime => "date and time",
    }
}

fn field_block(a: &model::Action, f: &model::Field, draft: &Draft, placed: &Placed) -> String {
    let (mode, text) = draft
        .fields
        .get(&(a.key.to_string(), f.key.to_string()))
        .cloned()
        .unwrap_or((Mode::None, String::new()));
    let id = format!("f-{}-{}", a.key, f.key);
    let place = format!("field:{}", f.key);
    let errors = if a.key == draft.action {
        placed.render_with_id(&place, &format!("{id}-server"))
    } else {
        String::new()
    };
    let options: String = Mode::ALL
        .iter()
        .map(|m| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                m.key(),
                if *m == mode { " selected" } else { "" },
                m.label()
            )
        })
        .collect();
    let default = f
        .default
        .as_ref()
        .map(|d| {
            let (dm, dt) = split(Some(d));
            format!(
                r#"<p class="hint">Default: <code>{}</code> <button type="button" class="link use-default" data-mode="{}" data-value="{}">Use the default</button></p>"#,
                e(&default_text(d)),
                dm.key(),
                e(&dt)
            )
        })
        .unwrap_or_default();
    format!(
        r#"<fieldset class="mapfield" data-field="{key}" id="{id}">
<legend>{label} {req}</legend>
<p class="hint" id="{id}-desc">{description} <span class="kind">({kind}{multiple})</span></p>
{default}
<div class="mode-row">
<div><label for="{id}-mode">Set as</label><select id="{id}-mode" name="{mode_name}" class="mode" aria-describedby="{id}-desc">{options}</select></div>
<div class="grow"><label for="{id}-value">Value</label><input id="{id}-value" name="{value_name}" class="value" value="{text}" spellcheck="false" autocomplete="off" aria-describedby="{id}-desc {id}-live"{invalid}></div>
</div>
{errors}<div class="live-errors" id="{id}-live" aria-live="polite"></div>
</fieldset>"#,
        key = e(f.key),
        id = e(&id),
        label = e(f.label),
        req = if f.required {
            r#"<span class="req">required</span>"#
        } else {
            r#"<span class="opt">optional</span>"#
        },
        description = e(f.description),
        kind = kind_name(f.kind),
        multiple = if f.multiple { ", a list" } else { "" },
        mode_name = e(&field_name(a.key, f.key, "mode")),
        value_name = e(&field_name(a.key, f.key, "value")),
        text = e(&text),
        invalid = if a.key == draft.action && placed.has(&place) {
            r#" aria-invalid="true""#
        } else {
            ""
        },
    )
}

fn render(
    app: &AppState,
    s: &Session,
    d: &Destination,
    src: &Source,
    mapping_id: Option<&str>,
    draft: &Draft,
    placed: &Placed,
) -> Page {
    let def = &destination::by_slug(&d.slug)
        .ok_or_else(|| Failure::not_found("destination in the catalog"))?
        .definition;
    let dest_url = format!("/ui/destinations/{}", url_encode(&d.id));
    let action_url = match mapping_id {
        Some(m) => format!("{dest_url}/mappings/{}", url_encode(m)),
        None => format!("{dest_url}/mappings"),
    };
    let title = match mapping_id {
        Some(_) => format!(
            "Edit mapping “{}”",
            if draft.name.is_empty() {
                "(unnamed mapping)"
            } else {
                &draft.name
            }
        ),
        None => "New mapping".to_string(),
    };
    let action_options: String = def
        .actions
        .iter()
        .map(|a| {
            format!(
                r#"<option value="{}"{}>{}</option>"#,
                e(a.key),
                if a.key == draft.action {
                    " selected"
                } else {
                    ""
                },
                e(a.title)
            )
        })
        .collect();
    let mut action_fields = String::new();
    for a in &def.actions {
        let _ = write!(
            action_fields,
            r#"<div class="action-fields" data-action="{key}"{hidden}><p class="hint">{title}: {description}. A web action; its default trigger is <code>{trigger}</code>.</p>{fields}</div>"#,
            key = e(a.key),
            hidden = if a.key == draft.action { "" } else { " hidden" },
            title = e(a.title),
            description = e(a.description),
            trigger = e(a.default_trigger),
            fields = a
                .fields
                .iter()
                .map(|f| field_block(a, f, draft, placed))
                .collect::<String>(),
        );
    }
    let extra = if draft.extra.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p class="hint">This mapping also has keys the action does not define ({}); they are kept as they are.</p>"#,
            e(&draft.extra.keys().cloned().collect::<Vec<_>>().join(", "))
        )
    };
    let trigger_errors: String = placed
        .messages("trigger")
        .map(|m| format!(r#"<pre class="diag error">{}</pre>"#, e(m)))
        .collect();
    let trigger_errors = if trigger_errors.is_empty() {
        String::new()
    } else {
        format!(r#"<div class="errors server-errors" role="alert">{trigger_errors}</div>"#)
    };
    let wasm = app
        .bundle
        .as_ref()
        .filter(|b| b.files.iter().any(|(n, _, _)| *n == "iterate.wasm"))
        .map(|b| format!("/bundles/iterate/{}/iterate.wasm", b.hash));
    let data = json!({
        "wasm": wasm,
        "apiKey": d.config["apiKey"],
        "mappingId": mapping_id.unwrap_or("new-mapping"),
        "actions": def.actions,
        "samples": samples(),
        "recent": recent(app, src),
        "source": src.name,
    });
    let main = format!(
        r#"<h1>{title}</h1>
<p class="meta">{dest} on {source}</p>
<div class="editor">
<form method="post" action="{action_url}" id="mapping-form" class="stack editor-form" novalidate>
{csrf}<input type="hidden" name="version" value="{version}"><input type="hidden" name="extra" value="{extra_json}">
{general}<div class="live-errors" id="general-live" aria-live="polite"></div>
<section aria-labelledby="h-basics"><h2 id="h-basics">Mapping</h2>
<div class="field"><label for="name">Name</label><input id="name" name="name" value="{name}" autocomplete="off">{name_errors}</div>
<label class="check"><input type="checkbox" id="enabled" name="enabled" value="on"{enabled}> Enabled (runs on the source's pages once saved)</label>
<div class="field"><label for="consentCategories">Consent categories <span class="opt">optional</span></label>
<p class="hint" id="consent-hint">Consent category ids this mapping requires on top of the destination's, separated by commas (such as C0001, C0004): it sends only when the visitor granted them all. Saving checks them; the tester runs the mapping as if they were granted.</p>
<input id="consentCategories" name="consentCategories" value="{consent}" autocomplete="off" spellcheck="false" aria-describedby="consent-hint"{consent_invalid}>
{consent_errors}</div>
</section>
<section aria-labelledby="h-trigger" id="trigger-section"><h2 id="h-trigger">Trigger</h2>
<p class="hint" id="subscribe-hint">Which events this mapping handles, in FQL: <code>type = "track" and event = "Signed Up"</code>. Build it with conditions, or write it; each follows the other.</p>
<div id="builder" class="builder" hidden></div>
<div class="field"><label for="subscribe">Trigger (FQL)</label>
<textarea id="subscribe" name="subscribe" rows="3" spellcheck="false" autocomplete="off" aria-describedby="subscribe-hint subscribe-live">{subscribe}</textarea>
{trigger_errors}<div class="live-errors" id="subscribe-live" aria-live="polite"></div></div>
</section>
<section aria-labelledby="h-action"><h2 id="h-action">Action and fields</h2>
<div class="field"><label for="partnerAction">Action</label><select id="partnerAction" name="partnerAction">{action_options}</select>{action_errors}</div>
{fields_errors}<div class="live-errors" id="fields-live" aria-live="polite"></div>
{action_fields}{extra}
</section>
<div class="actions"><button type="submit" class="primary">Save mapping</button> <a href="{dest_url}#mappings">Cancel</a></div>
</form>
<aside class="tester" aria-labelledby="h-test">
<h2 id="h-test">Test with an event</h2>
<p class="hint">The engine of this server's browser bundle runs here, on what the form holds now: what you see is what runs on your pages.</p>
<p id="engine-status" role="status">{engine_status}</p>
<div class="field"><label for="sample">Sample event</label><select id="sample"></select></div>
<div class="field"><label for="event">Event (JSON)</label><textarea id="event" rows="12" spellcheck="false" aria-describedby="event-live"></textarea><div class="live-errors" id="event-live" aria-live="polite"></div></div>
<div id="test-result" aria-live="polite">
<p id="test-matched" class="verdict">Type or choose an event.</p>
<h3>Iterate calls</h3><pre id="test-calls" tabindex="0">–</pre>
<h3>Payload</h3><pre id="test-payload" tabindex="0">–</pre>
<h3>Validation problems</h3><ul id="test-problems"><li>–</li></ul>
</div>
<noscript><p class="warning">The tester and the live checks run the engine in your browser, which needs JavaScript. Saving still checks everything.</p></noscript>
</aside>
</div>
{data}"#,
        title = e(&title),
        dest = e(display_name(&d.slug)),
        source = e(&src.name),
        csrf = html::csrf_input(s),
        version = d.version,
        extra_json = e(&Value::Object(draft.extra.clone()).to_string()),
        general = placed.render_with_id("general", "general-errors"),
        name = e(&draft.name),
        name_errors = placed.render("name"),
        enabled = if draft.enabled { " checked" } else { "" },
        consent = e(&draft.consent),
        consent_invalid = if placed.has("consent") {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        consent_errors = placed.render("consent"),
        subscribe = e(&draft.subscribe),
        action_errors = placed.render("action"),
        fields_errors = placed.render("fields"),
        engine_status = if wasm.is_some() {
            "Loading the engine…"
        } else {
            "The browser bundle is not built (run `cargo xtask web`), so there is no live check here; saving still checks everything."
        },
        data = json_script("editor-data", &data),
    );
    let status = if placed.is_empty() {
        StatusCode::OK
    } else {
        placed.status
    };
    let dest_name = format!("{} on {}", display_name(&d.slug), src.name);
    let frame = Frame::new(title.clone(), Some(s), Nav::Destinations)
        .crumb("Destinations", Some("/ui/destinations".into()))
        .crumb(dest_name, Some(dest_url))
        .crumb(title, None)
        .notice(app.ui.take_notice(&s.id))
        .scripts(&["builder.js", "editor.js"]);
    Ok(html::page(status, frame.render(&main)))
}

#[derive(Debug, serde::Deserialize)]
pub struct NewQuery {
    action: Option<String>,
}

pub async fn new_page(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<NewQuery>,
) -> Page {
    let (d, src) = destination_and_source(&app, &id).await?;
    let def = &destination::by_slug(&d.slug)
        .ok_or_else(|| Failure::not_found("destination in the catalog"))?
        .definition;
    let action = q
        .action
        .as_deref()
        .and_then(|k| def.action(k))
        .or_else(|| def.actions.first())
        .ok_or_else(|| Failure::not_found("action"))?;
    let draft = Draft::new(def, action);
    render(&app, &s, &d, &src, None, &draft, &Placed::default())
}

pub async fn edit_page(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Path((id, mapping)): Path<(String, String)>,
) -> Page {
    let (d, src) = destination_and_source(&app, &id).await?;
    let def = &destination::by_slug(&d.slug)
        .ok_or_else(|| Failure::not_found("destination in the catalog"))?
        .definition;
    let i = position(&d, &mapping).map_err(|_| Failure::not_found("mapping"))?;
    let draft = Draft::of_mapping(def, &d.config["subscriptions"][i]);
    render(
        &app,
        &s,
        &d,
        &src,
        Some(&mapping),
        &draft,
        &Placed::default(),
    )
}

/// Saves a draft: a new mapping (`mapping` is `None`) or a change to one. On refusal,
/// the form again with every problem placed.
async fn store_draft(
    app: &AppState,
    session: &Session,
    id: &str,
    mapping: Option<&str>,
    form: &FormData,
) -> Page {
    let (d, src) = destination_and_source(app, id).await?;
    let def = &destination::by_slug(&d.slug)
        .ok_or_else(|| Failure::not_found("destination in the catalog"))?
        .definition;
    let index = match mapping {
        Some(m) => position(&d, m).map_err(|_| Failure::not_found("mapping"))?,
        None => super::destination::mappings(&d).len(),
    };
    let draft = Draft::of_form(def, form);
    let mut placed = Placed::default();
    let sub = match draft.to_subscription(def) {
        Ok(sub) => sub,
        Err(errors) => {
            for (key, why) in errors {
                placed.add(&format!("field:{key}"), why);
            }
            return render(app, session, &d, &src, mapping, &draft, &placed);
        }
    };
    let version = format!("\"{}\"", form.text("version"));
    let result = match mapping {
        Some(m) => ops::update(app, id, Some(&version), AUTHOR, "mapping changed", |d| {
            let i = position(d, m)?;
            let mut next = sub.clone();
            next["id"] = d.config["subscriptions"][i]["id"].clone();
            d.config["subscriptions"][i] = next;
            Ok(())
        })
        .await
        .map(|d| (d, m.to_string())),
        None => ops::add_mapping(
            app,
            id,
            Some(&version),
            AUTHOR,
            "mapping added",
            sub.clone(),
        )
        .await
        .map(|(d, created)| (d, created["id"].as_str().unwrap_or("").to_string())),
    };
    match result {
        Ok((saved, mapping_id)) => {
            let name = saved.config["subscriptions"]
                .as_array()
                .and_then(|a| a.iter().find(|m| m["id"] == mapping_id.as_str()))
                .map(|m| mapping_name(m).to_string())
                .unwrap_or_default();
            app.ui.set_notice(
                &session.id,
                format!("Mapping “{name}” saved (version {}).", saved.version),
            );
            Ok(html::see_other(&format!(
                "/ui/destinations/{}#m-{}",
                url_encode(id),
                url_encode(&mapping_id)
            )))
        }
        Err(err) if err.status == StatusCode::NOT_FOUND => Err(err.into()),
        Err(err) => {
            place_error(&mut placed, &err, index);
            render(app, session, &d, &src, mapping, &draft, &placed)
        }
    }
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    Posted { session, form }: Posted,
) -> Page {
    store_draft(&app, &session, &id, None, &form).await
}

pub async fn save(
    State(app): State<Arc<AppState>>,
    Path((id, mapping)): Path<(String, String)>,
    Posted { session, form }: Posted,
) -> Page {
    store_draft(&app, &session, &id, Some(&mapping), &form).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_values_split_and_join_back() {
        for v in [
            json!({"@path": "$.event"}),
            json!("Signed Up"),
            json!({"@template": "Order {{properties.id}}"}),
            json!(42),
            json!({"@path": "$.a", "@other": 1}),
            json!({"nested": {"@path": "$.traits"}}),
        ] {
            let (mode, text) = split(Some(&v));
            assert_eq!(join(mode, &text).unwrap(), Some(v.clone()), "{v}");
        }
        assert_eq!(split(None), (Mode::None, String::new()));
        assert_eq!(join(Mode::None, "ignored").unwrap(), None);
        assert!(join(Mode::Path, " ").is_err());
        assert!(join(Mode::Json, "{nope").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn drafts_round_trip_a_stored_mapping_keeping_unknown_keys() {
        let def = &destination::iterate().definition;
        let m = json!({"id": "x", "name": "Orders", "enabled": false, "subscribe": "event = \"Order\"", "partnerAction": "trackEvent",
            "mapping": {"name": {"@template": "Order {{properties.id}}"}, "mystery": 1}});
        let draft = Draft::of_mapping(def, &m);
        assert_eq!(draft.extra.len(), 1);
        let back = draft.to_subscription(def).unwrap();
        for key in ["name", "enabled", "subscribe", "partnerAction", "mapping"] {
            assert_eq!(back[key], m[key], "{key}");
        }
        assert!(
            back.get("consentCategories").is_none(),
            "omitted when empty"
        );
        let with = json!({"consentCategories": [" C0001", "C0004"]});
        let mut draft = Draft::of_mapping(def, &with);
        assert_eq!(draft.consent, " C0001, C0004");
        draft.consent = "C0002, , C0003 ,".into();
        assert_eq!(
            draft.to_subscription(def).unwrap()["consentCategories"],
            json!(["C0002", "C0003"])
        );
        let new = Draft::new(def, def.action("identifyUser").unwrap())
            .to_subscription(def)
            .unwrap();
        assert_eq!(new["subscribe"], "type = \"identify\"");
        assert_eq!(new["mapping"]["traits"], json!({"@path": "$.traits"}));
    }

    #[test]
    fn problems_are_placed_by_pointer() {
        assert_eq!(place_of(Some("/subscriptions/2/subscribe"), 2), "trigger");
        assert_eq!(
            place_of(Some("/subscriptions/2/mapping/name/@path"), 2),
            "field:name"
        );
        assert_eq!(
            place_of(Some("/subscriptions/2/mapping/a~1b"), 2),
            "field:a/b"
        );
        assert_eq!(place_of(Some("/subscriptions/2/mapping"), 2), "fields");
        assert_eq!(
            place_of(Some("/subscriptions/2/partnerAction"), 2),
            "action"
        );
        assert_eq!(
            place_of(Some("/subscriptions/2/consentCategories/1"), 2),
            "consent"
        );
        assert_eq!(
            place_of(Some("/subscriptions/2/consentCategories"), 2),
            "consent"
        );
        assert_eq!(place_of(Some("/subscriptions/21/subscribe"), 2), "general");
        assert_eq!(place_of(Some("/subscriptions/50"), 50), "general");
        assert_eq!(place_of(Some("/apiKey"), 0), "general");
        assert_eq!(place_of(None, 0), "general");
    }
}
