//! A destination's page: settings, the enabled toggle, the mappings list and its
//! actions (enable, rename, duplicate, move up or down, delete), the source's install
//! snippet, and the Iterate panel (event targeting, preview links). Every write goes
//! through [`crate::ops`], like the API's; a refused write re-renders the page with the
//! engine's words next to what they are about.

use super::catalog::{display_name, listing};
use super::html::{self, badge, copyable, e, error_text, url_encode, Frame, Nav};
use super::session::{FormData, Posted, Session, Signed};
use super::{explain, Failure, Page, Placed, AUTHOR};
use crate::error::ApiError;
use crate::ops::{self, position};
use crate::store::{Destination, Source};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use engine::destination::{self, model, MAX_SUBSCRIPTIONS};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::sync::Arc;

pub async fn destination_and_source(
    app: &AppState,
    id: &str,
) -> Result<(Destination, Source), Failure> {
    let store = app.store.lock().await;
    let d = store
        .destination(id)?
        .ok_or_else(|| Failure::not_found("destination"))?;
    let s = store
        .source(&d.source_id)?
        .ok_or_else(|| Failure::not_found("source"))?;
    Ok((d, s))
}

pub fn mappings(d: &Destination) -> &[Value] {
    d.config["subscriptions"]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

pub fn mapping_name(m: &Value) -> &str {
    match m["name"].as_str() {
        Some(n) if !n.trim().is_empty() => n,
        _ => "(unnamed mapping)",
    }
}

/// The destinations, grouped by source.
pub async fn list(Signed(s): Signed, State(app): State<Arc<AppState>>) -> Page {
    let (sources, dests) = {
        let store = app.store.lock().await;
        (store.sources()?, store.destinations(None)?)
    };
    let mut main = String::from(
        r#"<div class="title-row"><h1>Destinations</h1><a class="button primary" href="/ui/catalog">Add a destination from the catalog</a></div>"#,
    );
    if sources.is_empty() {
        main.push_str(r#"<p class="empty">No sources or destinations yet. Start in the <a href="/ui/catalog">Catalog</a>: pick Iterate (Actions) and configure it.</p>"#);
    }
    for src in &sources {
        let _ = write!(
            main,
            r#"<section class="source" aria-labelledby="src-{id}"><h2 id="src-{id}">{name}</h2><p class="meta">Source · write key <code>{key}</code>{off} · <a href="/ui/sources#source-{uid}" aria-label="Manage the source {name}">manage</a></p>"#,
            id = e(&src.id),
            uid = e(&url_encode(&src.id)),
            name = e(&src.name),
            key = e(&src.write_key),
            off = if src.enabled { "" } else { " · disabled" },
        );
        let mine: Vec<&Destination> = dests.iter().filter(|d| d.source_id == src.id).collect();
        if mine.is_empty() {
            main.push_str(r#"<p class="empty">No destination on this source yet.</p>"#);
        } else {
            main.push_str(r#"<ul class="cards">"#);
            for d in mine {
                let n = mappings(d).len();
                let on = mappings(d).iter().filter(|m| m["enabled"] == true).count();
                let _ = write!(
                    main,
                    r#"<li class="card"><h3><a href="/ui/destinations/{id}">{name}</a></h3><p>{badge} · {n} of {MAX_SUBSCRIPTIONS} mappings, {on} enabled · version {v}</p></li>"#,
                    id = e(&d.id),
                    name = e(display_name(&d.slug)),
                    badge = badge(d.enabled, "Enabled", "Disabled"),
                    v = d.version,
                );
            }
            main.push_str("</ul>");
        }
        main.push_str("</section>");
    }
    let frame = Frame::new("Destinations", Some(&s), Nav::Destinations)
        .crumb("Destinations", None)
        .notice(app.ui.take_notice(&s.id));
    Ok(html::page(StatusCode::OK, frame.render(&main)))
}

/// The preview link builder's inputs (a GET form on the destination page).
#[derive(Debug, Default, serde::Deserialize)]
pub struct PreviewQuery {
    site: Option<String>,
    survey: Option<String>,
    event: Option<String>,
}

/// The page a survey preview opens: the site's URL with Iterate's `iterate_preview`
/// parameter added (before any `#fragment`). `survey` is the parameter's value, or the
/// whole `iterate_preview=...` text as Iterate shows it.
pub fn preview_link(site: &str, survey: &str) -> Result<String, (&'static str, String)> {
    let site = site.trim();
    if !(site.starts_with("https://") || site.starts_with("http://"))
        || site.len() <= "https://".len()
        || site.chars().any(char::is_whitespace)
    {
        return Err((
            "site",
            "enter the address of a page of your site, starting with https:// or http://".into(),
        ));
    }
    let survey = survey.trim().trim_start_matches(['?', '&']);
    let survey = survey.strip_prefix("iterate_preview=").unwrap_or(survey);
    if survey.is_empty() {
        return Err((
            "survey",
            "enter the iterate_preview value from the survey's Test your survey section".into(),
        ));
    }
    if !survey
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err((
            "survey",
            "the iterate_preview value has only letters, digits, `-`, `_` and `.`".into(),
        ));
    }
    let (base, fragment) = match site.split_once('#') {
        Some((b, f)) => (b, format!("#{f}")),
        None => (site, String::new()),
    };
    let sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    Ok(format!("{base}{sep}iterate_preview={survey}{fragment}"))
}

/// A JS string literal for snippets (JSON is a subset of JS string syntax).
fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn install_section(app: &AppState, base: &str, src: &Source) -> String {
    let npm = format!(
        "import {{ AnalyticsBrowser }} from '@segment/analytics-next'\n\nexport const analytics = AnalyticsBrowser.load({{\n  writeKey: {key},\n  cdnURL: {base},\n}})\n",
        key = js_string(&src.write_key),
        base = js_string(base),
    );
    let script = format!(
        "<script src={src}></script>\n<script>\n  window.analytics = AnalyticsNext.AnalyticsBrowser.load({{\n    writeKey: {key},\n    cdnURL: {base},\n  }})\n  analytics.page()\n</script>\n",
        src = js_string(&format!("{base}/vendor/analytics-next/index.js")),
        key = js_string(&src.write_key),
        base = js_string(base),
    );
    let vendored = if app.vendor.is_some() {
        "This server serves that copy of analytics.js."
    } else {
        "This server serves that copy only when started with analytics-next installed (`cargo xtask demo` does it); otherwise load analytics.js 2.0 from your own build."
    };
    format!(
        r#"<section aria-labelledby="install" id="install-section"><h2 id="install">Install on your site</h2>
<p>Load analytics.js 2.0 with the write key of <strong>{name}</strong> and this server as its settings host (<code>cdnURL</code>): it reads <code>{base}/v1/projects/{key}/settings</code>, which carries this destination and its enabled mappings, and loads the Iterate runtime from here.</p>
<h3 id="install-npm">With npm (<code>@segment/analytics-next</code>)</h3>
{npm}
<h3 id="install-script">With a script tag</h3>
<p class="hint">{vendored}</p>
{script}
</section>"#,
        name = e(&src.name),
        base = e(base),
        key = e(&src.write_key),
        npm = copyable("snippet-npm", "analytics.js with npm", &npm),
        script = copyable("snippet-script", "analytics.js with a script tag", &script),
    )
}

fn iterate_section(d: &Destination, q: &PreviewQuery) -> String {
    let l = listing(&d.slug);
    let list =
        |items: &[&str]| -> String { items.iter().map(|s| format!("<li>{}</li>", e(s))).collect() };
    let site = q.site.clone().unwrap_or_default();
    let survey = q.survey.clone().unwrap_or_default();
    let event = q.event.clone().unwrap_or_else(|| "Signed Up".into());
    let asked = q.site.is_some() || q.survey.is_some();
    let (mut site_error, mut survey_error, mut result) = (None, None, String::new());
    if asked {
        match preview_link(&site, &survey) {
            Ok(link) => {
                result = format!(
                    r#"<div class="result" id="preview-result"><h4>1. Open this link</h4>{}"#,
                    copyable("preview-link", "Preview link", &link)
                );
            }
            Err(("site", m)) => site_error = Some(m),
            Err((_, m)) => survey_error = Some(m),
        }
    }
    if !result.is_empty() {
        let name = event.trim();
        let event_json = json!({"type": "track", "event": name});
        let _ = write!(
            result,
            r#"<h4>2. Fire the event your survey targets</h4>{}"#,
            copyable(
                "preview-fire",
                "The event to fire",
                &format!("analytics.track({})", js_string(name))
            )
        );
        // (mapping name, call) for each call the enabled mappings make.
        let calls: Vec<(String, Value)> = ops::trace_event(d, &event_json)
            .map(|(traces, _)| traces)
            .unwrap_or_default()
            .iter()
            .filter(|t| t["matched"] == true && t["enabled"] == true)
            .flat_map(|t| {
                let n = t["name"].as_str().unwrap_or("").to_string();
                t["calls"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |c| (n.clone(), c))
            })
            .collect();
        if !d.enabled {
            result.push_str(r#"<p class="warning">This destination is disabled: enable it above, or no call reaches Iterate.</p>"#);
        }
        if calls.is_empty() {
            result.push_str(r#"<p class="warning">No enabled mapping sends this event to Iterate. Enable the Track Event preset or add a mapping whose trigger selects it.</p>"#);
        } else {
            let items: String = calls
                .iter()
                .map(|(n, c)| {
                    format!(
                        "<li><code>{}</code> by the mapping “{}”</li>",
                        e(&call_text(c)),
                        e(n)
                    )
                })
                .collect();
            let names: Vec<String> = calls
                .iter()
                .filter(|(_, c)| c[0] == "event")
                .map(|(_, c)| format!("“{}”", e(c[1].as_str().unwrap_or_default())))
                .collect();
            let _ = write!(
                result,
                "<p>This destination then makes:</p><ul>{items}</ul>"
            );
            if !names.is_empty() {
                let _ = write!(
                    result,
                    "<p>So the survey's event targeting must list {}.</p>",
                    names.join(" or ")
                );
            }
        }
        result.push_str("</div>");
    }
    let input = |id: &str, label: &str, value: &str, hint: &str, error: Option<&String>| {
        format!(
            r#"<div class="field"><label for="preview-{id}">{label}</label><p class="hint" id="preview-{id}-hint">{hint}</p><input id="preview-{id}" name="{id}" value="{value}" aria-describedby="preview-{id}-hint{described}"{invalid}>{error}</div>"#,
            label = e(label),
            hint = e(hint),
            value = e(value),
            described = if error.is_some() {
                format!(" preview-{id}-error")
            } else {
                String::new()
            },
            invalid = if error.is_some() {
                r#" aria-invalid="true""#
            } else {
                ""
            },
            error = error
                .map(|m| error_text(&format!("preview-{id}-error"), m))
                .unwrap_or_default(),
        )
    };
    format!(
        r#"<section aria-labelledby="iterate" id="iterate-section"><h2 id="iterate">Iterate: show a survey when an event happens</h2>
<p>Once this destination is configured, create your survey in Iterate and display it in response to an event:</p>
<ol>{survey_steps}</ol>
<h3>Event targeting</h3>
<p>Iterate shows a survey when the page calls <code>Iterate("event", name)</code> with a name its targeting lists. The <strong>Track Event</strong> action makes that call for the events its trigger selects, with the name its mapping gives (by default the track call's event name). To enable event targeting:</p>
<ol>{targeting}</ol>
<p>{identify}</p>
<h3>Test with a preview link</h3>
<ol>{preview}</ol>
<form method="get" action="/ui/destinations/{id}#iterate-section" class="stack preview-form">
{site}{survey}{event}
<div class="actions"><button type="submit">Build the preview link</button></div>
</form>
{result}
</section>"#,
        survey_steps = list(l.map_or(&[][..], |l| l.survey_steps)),
        targeting = list(l.map_or(&[][..], |l| l.targeting_steps)),
        identify = e(l.map_or("", |l| l.identify_note)),
        preview = list(l.map_or(&[][..], |l| l.preview_steps)),
        id = e(&d.id),
        site = input(
            "site",
            "Your site's page",
            &site,
            "The page where the survey should show, e.g. https://www.example.com/pricing",
            site_error.as_ref()
        ),
        survey = input(
            "survey",
            "Survey preview id",
            &survey,
            "The iterate_preview value from Test your survey (or the whole iterate_preview=… text)",
            survey_error.as_ref()
        ),
        event = input(
            "event",
            "Event name",
            &event,
            "An event the survey targets",
            None
        ),
    )
}

/// `Iterate("event", "Signed Up")`: a call as the page makes it.
pub fn call_text(call: &Value) -> String {
    let args: Vec<String> = call
        .as_array()
        .map(|a| a.iter().map(|v| v.to_string()).collect())
        .unwrap_or_default();
    format!("Iterate({})", args.join(", "))
}

/// One mapping of the list; `moves` says whether it can move up and down.
fn mapping_item(
    d: &Destination,
    m: &Value,
    s: &Session,
    placed: &Placed,
    moves: (bool, bool),
) -> String {
    let id = m["id"].as_str().unwrap_or("");
    let name = mapping_name(m);
    let enabled = m["enabled"] == true;
    let action = m["partnerAction"].as_str().unwrap_or("");
    let title = destination::by_slug(&d.slug)
        .and_then(|x| x.definition.action(action))
        .map_or(action, |a| a.title);
    let base = format!(
        "/ui/destinations/{}/mappings/{}",
        url_encode(&d.id),
        url_encode(id)
    );
    let csrf = html::csrf_input(s);
    let place = format!("mapping:{id}");
    format!(
        r#"<li class="mapping" id="m-{hid}" data-mapping="{hid}">
<div class="mapping-head"><h3><a href="{base}">{name}</a></h3>{badge}</div>
<dl class="mapping-meta"><dt>Trigger</dt><dd><code>{trigger}</code></dd><dt>Action</dt><dd>{title}</dd>{consent}</dl>
{errors}
<div class="row-actions">
<a class="button" href="{base}" aria-label="Edit {name}">Edit</a>
<form method="post" action="{base}/enabled">{csrf}<input type="hidden" name="enabled" value="{flip}"><button type="submit" aria-label="{toggle} {name}">{toggle}</button></form>
<form method="post" action="{base}/duplicate">{csrf}<button type="submit" aria-label="Duplicate {name}">Duplicate</button></form>{up}{down}
<a class="button danger" href="{base}/delete" aria-label="Delete {name}">Delete</a>
<details class="rename"><summary>Rename</summary>
<form method="post" action="{base}/rename" class="inline">{csrf}<label for="rename-{hid}">New name for {name}</label><input id="rename-{hid}" name="name" value="{raw_name}" required><button type="submit">Save name</button></form>
</details>
</div>
</li>"#,
        hid = e(id),
        base = e(&base),
        name = e(name),
        raw_name = e(m["name"].as_str().unwrap_or("")),
        badge = badge(enabled, "Enabled", "Disabled"),
        trigger = e(m["subscribe"].as_str().unwrap_or("")),
        title = e(title),
        consent = match list_text(&m["consentCategories"]) {
            c if c.is_empty() => String::new(),
            c => format!(r#"<dt>Consent</dt><dd class="consent">{}</dd>"#, e(&c)),
        },
        errors = placed.render(&place),
        flip = if enabled { "off" } else { "on" },
        toggle = if enabled { "Disable" } else { "Enable" },
        up = move_form(&base, &csrf, name, "up", moves.0),
        down = move_form(&base, &csrf, name, "down", moves.1),
    )
}

/// A "Move up" or "Move down" button, when the mapping can move that way.
fn move_form(base: &str, csrf: &str, name: &str, way: &str, possible: bool) -> String {
    if !possible {
        return String::new();
    }
    format!(
        r#"<form method="post" action="{base}/move">{csrf}<input type="hidden" name="to" value="{way}"><button type="submit" aria-label="Move {name} {way}">Move {way}</button></form>"#,
        base = e(base),
        name = e(name),
    )
}

/// A comma-separated list as the forms show one (`C0001, C0004`); empty for no list.
pub fn list_text(v: &Value) -> String {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The items of a comma-separated list as typed, trimmed, without empty ones.
pub fn parse_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The `step`, `min` and `max` of a number setting's input. The definition gives no
/// range (the engine checks it on save); this is the browser's hint.
fn number_bounds(key: &str) -> &'static str {
    match key {
        "deliveryLogSampleRate" => r#" step="0.01" min="0" max="1""#,
        _ => r#" step="any""#,
    }
}

/// A setting beyond the API key as a form field: a switch for a boolean, a
/// comma-separated text for a list, a number input, or a text input. Its value is
/// what was typed (after a refusal), else what is stored, else the default.
fn setting_field(
    x: &model::Setting,
    d: &Destination,
    typed: Option<&FormData>,
    placed: &Placed,
) -> String {
    let key = e(x.key);
    let place = format!("setting:{}", x.key);
    let stored = d.config.get(x.key).or(x.default.as_ref());
    if x.kind == model::FieldType::Boolean {
        let on = match typed {
            Some(f) => f.text(x.key) == "on",
            None => stored.and_then(Value::as_bool).unwrap_or(false),
        };
        return format!(
            r#"<div class="field"><label><input type="checkbox" name="{key}" value="on"{checked} aria-describedby="{key}-hint"> {label}</label>
<p class="hint" id="{key}-hint">{description}</p>{errors}</div>"#,
            checked = if on { " checked" } else { "" },
            label = e(x.label),
            description = e(x.description),
            errors = placed.render_with_id(&place, &format!("{}-errors", x.key)),
        );
    }
    let (kind, extra, hint) = if x.multiple {
        (
            "text",
            "",
            " Several ids separated by commas, such as C0001, C0004; empty for none.",
        )
    } else if matches!(x.kind, model::FieldType::Number | model::FieldType::Integer) {
        ("number", number_bounds(x.key), "")
    } else {
        ("text", "", "")
    };
    let value = match typed.and_then(|f| f.get(x.key)) {
        Some(t) => t.to_string(),
        None if x.multiple => stored.map(list_text).unwrap_or_default(),
        None => match stored {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Number(_)) => v.to_string(),
            _ => String::new(),
        },
    };
    let invalid = placed.has(&place);
    format!(
        r#"<div class="field"><label for="{key}">{label}</label>
<p class="hint" id="{key}-hint">{description}{hint}</p>
<input id="{key}" name="{key}" type="{kind}"{extra} value="{value}" autocomplete="off" spellcheck="false" aria-describedby="{key}-hint{described}"{aria_invalid}>
{errors}</div>"#,
        label = e(x.label),
        description = e(x.description),
        value = e(&value),
        described = if invalid {
            format!(" {}-errors", x.key)
        } else {
            String::new()
        },
        aria_invalid = if invalid {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        errors = placed.render_with_id(&place, &format!("{}-errors", x.key)),
    )
}

/// Sets the setting `x` in `config` from the settings form. A checkbox left unchecked
/// is absent from the form, so absent is off; any other field absent from the form
/// (an older page) leaves the setting as it is, and an empty one removes it (its
/// default applies).
fn read_setting(x: &model::Setting, form: &FormData, config: &mut Value) -> Result<(), ApiError> {
    if x.kind == model::FieldType::Boolean {
        config[x.key] = json!(form.text(x.key) == "on");
        return Ok(());
    }
    let Some(text) = form.get(x.key).map(str::trim) else {
        return Ok(());
    };
    let value = if x.multiple {
        Some(json!(parse_list(text))).filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
    } else if text.is_empty() {
        None
    } else {
        match x.kind {
            model::FieldType::Number | model::FieldType::Integer => {
                let number = text.parse::<i64>().map(Value::from).ok().or_else(|| {
                    text.parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number)
                });
                Some(number.ok_or_else(|| ops::wrong(x.key, "must be a number"))?)
            }
            _ => Some(json!(text)),
        }
    };
    match (value, config.as_object_mut()) {
        (Some(v), _) => config[x.key] = v,
        (None, Some(o)) => {
            o.remove(x.key);
        }
        (None, None) => {}
    }
    Ok(())
}

/// Whether `key` is a setting of a destination in the catalog (so the form has a
/// field for it).
fn is_setting(key: &str) -> bool {
    destination::catalog()
        .iter()
        .any(|x| x.definition.settings.iter().any(|s| s.key == key))
}

/// A refused settings save's problems, each next to the setting its pointer names
/// (`/consentCategories`), the rest under the API key.
fn place_settings_error(placed: &mut Placed, err: &ApiError) {
    placed.status = err.status;
    if err.details.is_empty() {
        placed.add_error("settings", err);
        return;
    }
    for detail in &err.details {
        let key = detail["pointer"]
            .as_str()
            .and_then(|p| p.strip_prefix('/'))
            .filter(|k| *k != "apiKey" && is_setting(k));
        let place = key.map_or("settings".to_string(), |k| format!("setting:{k}"));
        for m in explain(&ApiError::invalid("", vec![detail.clone()])) {
            placed.add(&place, m);
        }
    }
}

/// The destination page; `placed` holds the errors of a refused write, `typed` the
/// settings form as it was sent when that write was the settings'.
pub async fn render(
    app: &AppState,
    headers: &HeaderMap,
    s: &Session,
    id: &str,
    placed: &Placed,
    q: &PreviewQuery,
    typed: Option<&FormData>,
) -> Page {
    let (d, src) = destination_and_source(app, id).await?;
    let def = &destination::by_slug(&d.slug)
        .ok_or_else(|| Failure::not_found("destination in the catalog"))?
        .definition;
    let name = display_name(&d.slug);
    let base = crate::public::base_url(app, headers);
    let csrf = html::csrf_input(s);
    let hid = e(&d.id);
    let mut main = format!(
        r#"<div class="title-row"><div><h1>{name}</h1><p class="meta">on source <strong>{source}</strong> · {def_name} · version {version} · <a href="/ui/destinations/{hid}/versions">history</a></p></div>
<form method="post" action="/ui/destinations/{hid}/enabled" class="toggle">{csrf}<input type="hidden" name="enabled" value="{flip}">{badge} <button type="submit">{toggle} destination</button></form></div>
{source_off}{enabled_errors}"#,
        name = e(name),
        source = e(&src.name),
        def_name = e(def.name),
        version = d.version,
        flip = if d.enabled { "off" } else { "on" },
        badge = badge(d.enabled, "Enabled", "Disabled"),
        toggle = if d.enabled { "Disable" } else { "Enable" },
        source_off = if src.enabled {
            String::new()
        } else {
            super::sources::disabled_warning(&src, true)
        },
        enabled_errors = placed.render("enabled"),
    );
    let setting = def.settings.iter().find(|x| x.key == "apiKey");
    let settings_error = placed.has("settings");
    let _ = write!(
        main,
        r#"<section aria-labelledby="settings"><h2 id="settings">Settings</h2>
<form method="post" action="/ui/destinations/{hid}/settings" class="stack">{csrf}<input type="hidden" name="version" value="{version}">
<div class="field"><label for="apiKey">{label} <span class="req">required</span></label>
<p class="hint" id="apiKey-hint">{description}</p>
<input id="apiKey" name="apiKey" value="{value}" required autocomplete="off" spellcheck="false" aria-describedby="apiKey-hint{described}"{invalid}>
{errors}</div>
{others}
<div class="actions"><button type="submit">Save settings</button></div>
</form></section>"#,
        others = def
            .settings
            .iter()
            .filter(|x| x.key != "apiKey")
            .map(|x| setting_field(x, &d, typed, placed))
            .collect::<String>(),
        version = d.version,
        label = e(setting.map_or("Embed API Key", |x| x.label)),
        description = e(setting.map_or("", |x| x.description)),
        value = e(typed
            .map(|f| f.text("apiKey"))
            .unwrap_or(d.config["apiKey"].as_str().unwrap_or(""))),
        described = if settings_error {
            " settings-errors"
        } else {
            ""
        },
        invalid = if settings_error {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        errors = placed.render_with_id("settings", "settings-errors"),
    );

    let list = mappings(&d);
    let actions: String = def
        .actions
        .iter()
        .map(|a| format!(r#"<option value="{}">{}</option>"#, e(a.key), e(a.title)))
        .collect();
    let limit = if list.len() >= MAX_SUBSCRIPTIONS {
        format!(
            r#"<p class="warning">This destination has {MAX_SUBSCRIPTIONS} mappings, the limit: another one will be refused.</p>"#
        )
    } else {
        String::new()
    };
    let _ = write!(
        main,
        r#"<section aria-labelledby="mappings"><div class="title-row"><h2 id="mappings">Mappings</h2><p class="count" id="mapping-count">{n} of {MAX_SUBSCRIPTIONS} mappings</p></div>
<p class="hint">Each mapping is a trigger (which events), an action and its fields. Presets were created with the destination; mappings run in action order, then in this order.</p>
<form method="get" action="/ui/destinations/{hid}/mappings/new" class="inline add-mapping"><label for="new-action">New mapping with the action</label><select id="new-action" name="action">{actions}</select><button type="submit">Add mapping</button></form>
{limit}{errors}
<ol class="mappings" id="mapping-list">{items}</ol></section>"#,
        n = list.len(),
        errors = placed.render_with_id("mappings", "mappings-errors"),
        items = list
            .iter()
            .enumerate()
            .map(|(i, m)| mapping_item(&d, m, s, placed, (i > 0, i + 1 < list.len())))
            .collect::<String>(),
    );
    let report = {
        let store = app.store.lock().await;
        let mut report = crate::delivery::report(
            &store,
            &d,
            crate::delivery::DEFAULT_HOURS,
            crate::util::unix_now(),
        )?;
        report.refused_batches = app.delivery_limit.refused(&d.id);
        report
    };
    main.push_str(&super::delivery::section(&d, def, &report));
    main.push_str(&install_section(app, &base, &src));
    main.push_str(&iterate_section(&d, q));
    let status = if placed.is_empty() {
        StatusCode::OK
    } else {
        placed.status
    };
    let frame = Frame::new(
        format!("{name} on {}", src.name),
        Some(s),
        Nav::Destinations,
    )
    .crumb("Destinations", Some("/ui/destinations".into()))
    .crumb(format!("{name} on {}", src.name), None)
    .notice(app.ui.take_notice(&s.id));
    Ok(html::page(status, frame.render(&main)))
}

pub async fn show(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> Page {
    render(&app, &headers, &s, &id, &Placed::default(), &q, None).await
}

/// After a write: a notice and back to the page (to the mapping when there is one);
/// after a refusal: the page again, the errors at `place`.
async fn settle(
    app: &AppState,
    headers: &HeaderMap,
    s: &Session,
    id: &str,
    place: &str,
    result: Result<String, ApiError>,
    anchor: &str,
) -> Page {
    match result {
        Ok(notice) => {
            app.ui.set_notice(&s.id, notice);
            Ok(html::see_other(&format!(
                "/ui/destinations/{}{anchor}",
                url_encode(id)
            )))
        }
        Err(err) if err.status == StatusCode::NOT_FOUND && err.message.contains("destination") => {
            Err(err.into())
        }
        Err(err) => {
            // A mapping that is gone (deleted in another tab) has no place of its own.
            let place = if err.status == StatusCode::NOT_FOUND {
                "mappings"
            } else {
                place
            };
            let mut placed = Placed::default();
            placed.add_error(place, &err);
            render(app, headers, s, id, &placed, &PreviewQuery::default(), None).await
        }
    }
}

pub async fn save_settings(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted { session, form }: Posted,
) -> Page {
    let key = form.text("apiKey").trim().to_string();
    let version = format!("\"{}\"", form.text("version"));
    let result = if key.is_empty() {
        Err(ops::wrong(
            "apiKey",
            "is required: Iterate's embed code names it `apiKey`",
        ))
    } else {
        ops::update(
            &app,
            &id,
            Some(&version),
            AUTHOR,
            "destination settings changed",
            |d| {
                d.config["apiKey"] = json!(key);
                let settings = engine::destination::by_slug(&d.slug)
                    .map(|x| x.definition.settings.as_slice())
                    .unwrap_or_default();
                for x in settings.iter().filter(|x| x.key != "apiKey") {
                    read_setting(x, &form, &mut d.config)?;
                }
                Ok(())
            },
        )
        .await
        .map(|d| format!("Settings saved (version {}).", d.version))
    };
    if let Err(err) = &result {
        if err.status != StatusCode::NOT_FOUND {
            let mut placed = Placed::default();
            place_settings_error(&mut placed, err);
            return render(
                &app,
                &headers,
                &session,
                &id,
                &placed,
                &PreviewQuery::default(),
                Some(&form),
            )
            .await;
        }
    }
    settle(
        &app,
        &headers,
        &session,
        &id,
        "settings",
        result,
        "#settings",
    )
    .await
}

pub async fn set_enabled(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted { session, form }: Posted,
) -> Page {
    let on = form.text("enabled") == "on";
    let result = ops::update(
        &app,
        &id,
        None,
        AUTHOR,
        if on {
            "destination enabled"
        } else {
            "destination disabled"
        },
        |d| {
            d.enabled = on;
            Ok(())
        },
    )
    .await
    .map(|_| {
        if on {
            "Destination enabled: its mappings run on the source's pages.".to_string()
        } else {
            "Destination disabled: analytics.js no longer loads it.".to_string()
        }
    });
    settle(&app, &headers, &session, &id, "enabled", result, "").await
}

pub async fn mapping_enabled(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, mapping)): Path<(String, String)>,
    Posted { session, form }: Posted,
) -> Page {
    let on = form.text("enabled") == "on";
    let mut name = String::new();
    let summary = if on {
        "mapping enabled"
    } else {
        "mapping disabled"
    };
    let result = ops::update(&app, &id, None, AUTHOR, summary, |d| {
        let i = position(d, &mapping)?;
        name = mapping_name(&d.config["subscriptions"][i]).to_string();
        d.config["subscriptions"][i]["enabled"] = json!(on);
        Ok(())
    })
    .await
    .map(|_| {
        format!(
            "Mapping “{name}” {}.",
            if on { "enabled" } else { "disabled" }
        )
    });
    let anchor = format!("#m-{}", url_encode(&mapping));
    settle(
        &app,
        &headers,
        &session,
        &id,
        &format!("mapping:{mapping}"),
        result,
        &anchor,
    )
    .await
}

/// Moves a mapping one place up or down the list (the order mappings of one action
/// run in).
pub async fn move_mapping(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, mapping)): Path<(String, String)>,
    Posted { session, form }: Posted,
) -> Page {
    let result = async {
        let to = match form.text("to") {
            "up" => ops::Move::Up,
            "down" => ops::Move::Down,
            _ => return Err(ops::wrong("to", "must be up or down")),
        };
        let d = ops::move_mapping(&app, &id, None, AUTHOR, &mapping, to).await?;
        let i = position(&d, &mapping)?;
        Ok(format!(
            "Mapping “{}” moved {}.",
            mapping_name(&d.config["subscriptions"][i]),
            form.text("to")
        ))
    }
    .await;
    let anchor = format!("#m-{}", url_encode(&mapping));
    settle(
        &app,
        &headers,
        &session,
        &id,
        &format!("mapping:{mapping}"),
        result,
        &anchor,
    )
    .await
}

pub async fn rename(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, mapping)): Path<(String, String)>,
    Posted { session, form }: Posted,
) -> Page {
    let name = form.text("name").trim().to_string();
    let result = if name.is_empty() {
        Err(ops::wrong("name", "must not be empty"))
    } else {
        ops::update(&app, &id, None, AUTHOR, "mapping renamed", |d| {
            let i = position(d, &mapping)?;
            d.config["subscriptions"][i]["name"] = json!(name);
            Ok(())
        })
        .await
        .map(|_| format!("Mapping renamed to “{name}”."))
    };
    let anchor = format!("#m-{}", url_encode(&mapping));
    settle(
        &app,
        &headers,
        &session,
        &id,
        &format!("mapping:{mapping}"),
        result,
        &anchor,
    )
    .await
}

pub async fn duplicate(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, mapping)): Path<(String, String)>,
    Posted { session, .. }: Posted,
) -> Page {
    let result = async {
        let d = ops::load_destination(&app, &id).await?;
        let i = position(&d, &mapping)?;
        let mut copy = d.config["subscriptions"][i].clone();
        let name = format!("{} (copy)", mapping_name(&copy));
        copy["name"] = json!(name);
        // A copy starts disabled, so it changes nothing until it is edited and enabled.
        copy["enabled"] = json!(false);
        let (_, created) =
            ops::add_mapping(&app, &id, None, AUTHOR, "mapping duplicated", copy).await?;
        Ok::<_, ApiError>((name, created["id"].as_str().unwrap_or("").to_string()))
    }
    .await;
    match result {
        Ok((name, new_id)) => {
            let notice = format!("Duplicated as “{name}”, disabled.");
            settle(
                &app,
                &headers,
                &session,
                &id,
                "mappings",
                Ok(notice),
                &format!("#m-{}", url_encode(&new_id)),
            )
            .await
        }
        Err(err) => settle(&app, &headers, &session, &id, "mappings", Err(err), "").await,
    }
}

pub async fn confirm_delete(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Path((id, mapping)): Path<(String, String)>,
) -> Page {
    let (d, src) = destination_and_source(&app, &id).await?;
    let i = position(&d, &mapping).map_err(Failure::from)?;
    let m = &d.config["subscriptions"][i];
    let name = mapping_name(m);
    let dest_name = format!("{} on {}", display_name(&d.slug), src.name);
    let main = format!(
        r#"<h1>Delete the mapping “{name}”?</h1>
<p>Trigger <code>{trigger}</code>. Deleting it is a new version of the destination: it can be restored from the history.</p>
<form method="post" action="/ui/destinations/{id}/mappings/{mid}/delete" class="actions">{csrf}
<button type="submit" class="danger" autofocus>Delete mapping</button> <a href="/ui/destinations/{id}#m-{mid}">Cancel</a></form>"#,
        name = e(name),
        trigger = e(m["subscribe"].as_str().unwrap_or("")),
        id = e(&url_encode(&d.id)),
        mid = e(&url_encode(&mapping)),
        csrf = html::csrf_input(&s),
    );
    let frame = Frame::new(format!("Delete {name}"), Some(&s), Nav::Destinations)
        .crumb("Destinations", Some("/ui/destinations".into()))
        .crumb(dest_name, Some(format!("/ui/destinations/{}", d.id)))
        .crumb("Delete mapping", None);
    Ok(html::page(StatusCode::OK, frame.render(&main)))
}

pub async fn delete(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((id, mapping)): Path<(String, String)>,
    Posted { session, .. }: Posted,
) -> Page {
    let mut name = String::new();
    let result = ops::update(&app, &id, None, AUTHOR, "mapping deleted", |d| {
        let i = position(d, &mapping)?;
        name = mapping_name(&d.config["subscriptions"][i]).to_string();
        if let Some(subs) = d.config["subscriptions"].as_array_mut() {
            subs.remove(i);
        }
        Ok(())
    })
    .await
    .map(|d| format!("Mapping “{name}” deleted (version {}).", d.version));
    settle(
        &app,
        &headers,
        &session,
        &id,
        "mappings",
        result,
        "#mappings",
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_links_add_the_parameter_before_the_fragment() {
        let ok = |site: &str, survey: &str| preview_link(site, survey).unwrap();
        assert_eq!(
            ok("https://example.com", "abc123"),
            "https://example.com?iterate_preview=abc123"
        );
        assert_eq!(
            ok(
                "https://example.com/pricing?plan=pro#faq",
                "iterate_preview=abc"
            ),
            "https://example.com/pricing?plan=pro&iterate_preview=abc#faq"
        );
        assert_eq!(
            ok(" http://localhost:3000/? ", "?iterate_preview=x-1"),
            "http://localhost:3000/?iterate_preview=x-1"
        );
        assert_eq!(preview_link("example.com", "a").unwrap_err().0, "site");
        assert_eq!(
            preview_link("javascript:alert(1)", "a").unwrap_err().0,
            "site"
        );
        assert_eq!(preview_link("https://a.b", "").unwrap_err().0, "survey");
        assert_eq!(
            preview_link("https://a.b", "a\"><b").unwrap_err().0,
            "survey"
        );
    }

    #[test]
    fn calls_read_as_the_page_makes_them() {
        assert_eq!(
            call_text(&json!(["event", "Signed Up"])),
            r#"Iterate("event", "Signed Up")"#
        );
        assert_eq!(js_string("a'\"</script>"), r#""a'\"</script>""#);
    }
}
