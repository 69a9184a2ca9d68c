//! The catalog and the configure flow, as the seed walks them: Catalog → the
//! "Destination Actions" category → search → the destination's page (generated from its
//! definition) → "Configure" → select or create a source → Embed API Key → created.

use super::html::{self, e, error_text, url_encode, Frame, Nav};
use super::session::{Posted, Signed};
use super::{explain, Failure, Page, AUTHOR};
use crate::ops;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use engine::destination::{self, model};
use std::fmt::Write as _;
use std::sync::Arc;

/// What the catalog says about a destination beyond its definition: the words of its
/// public documentation page (the seed), which the engine has no use for.
#[derive(Debug)]
pub struct Listing {
    pub slug: &'static str,
    /// The catalog's name for it (the definition's name is what Segment's runtime uses).
    pub name: &'static str,
    pub category: &'static str,
    pub about: &'static [&'static str],
    pub benefits: &'static [(&'static str, &'static str)],
    pub key_steps: &'static [&'static str],
    pub survey_steps: &'static [&'static str],
    pub targeting_steps: &'static [&'static str],
    pub preview_steps: &'static [&'static str],
    pub identify_note: &'static str,
}

pub const CATEGORY: (&str, &str) = ("destination-actions", "Destination Actions");

pub static LISTINGS: &[Listing] = &[Listing {
    slug: "actions-iterate",
    name: "Iterate (Actions)",
    category: "Destination Actions",
    about: &[
        "Iterate helps you harness customer insights across your whole business with the world's leading Customer Insights Manager. Put customer insights at the center of your business with user-friendly research tools that look and feel like your brand. With mobile, website and email surveys that are highly targeted, user-friendly, and on-brand, you can learn directly from your visitors, customers, and users.",
        "Iterate maintains the original destination (support@iteratehq.com). This server runs a compatible implementation in your visitors' browsers: the same settings, presets, triggers and mappings.",
    ],
    benefits: &[
        ("Simple setup", "Iterate (Actions) has a streamlined default setup process making it easier to get started in a way that “just works”."),
        ("More control", "Actions-based destinations enable you to define the mapping between the data your sources receive and the data sent to Iterate."),
        ("Default property mappings", "Default mappings like userId, userTraits, and more, allow data to be mapped correctly without any setup required."),
    ],
    key_steps: &[
        "Log in to Iterate.",
        "Create a Website survey.",
        "Click Preview and publish.",
        "In the ‘Embed your survey script’ section, select the value of the ‘apiKey’ property in the embed code.",
    ],
    survey_steps: &[
        "Log in to your Iterate account.",
        "Create a new website survey.",
        "Add questions to your survey.",
        "Customize your survey.",
        "Enable event targeting (below).",
        "Choose the rest of your targeting options.",
        "Test your survey with a preview link (below).",
        "Publish your survey.",
    ],
    targeting_steps: &[
        "Click the targeting options tab.",
        "In the Where the survey is displayed section select In response to an event.",
        "Enter the name of the event(s) you would like to trigger this survey to be displayed.",
    ],
    preview_steps: &[
        "Click Preview and publish.",
        "Copy the iterate_preview parameter from the Test your survey section.",
        "Go to your website and add the iterate_preview parameter to the url.",
        "Trigger one of the events you are targeting to get the survey to display.",
    ],
    identify_note: "You can associate user data with the responses to your survey by using the Identify call. Any data sent in this call associates with that user's responses to all surveys.",
}];

pub fn listing(slug: &str) -> Option<&'static Listing> {
    LISTINGS.iter().find(|l| l.slug == slug)
}

/// The catalog name of a destination slug.
pub fn display_name(slug: &str) -> &str {
    listing(slug).map_or(slug, |l| l.name)
}

fn definition(slug: &str) -> Result<(&'static model::Definition, &'static Listing), Failure> {
    match (destination::by_slug(slug), listing(slug)) {
        (Some(d), Some(l)) => Ok((&d.definition, l)),
        _ => Err(Failure::not_found("destination in the catalog")),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct CatalogQuery {
    q: Option<String>,
    category: Option<String>,
}

/// What a search matches: every word of the query, anywhere in the card's text.
fn matches(query: &str, text: &str) -> bool {
    let text = text.to_lowercase();
    query
        .to_lowercase()
        .split_whitespace()
        .all(|word| text.contains(word))
}

fn search_text(l: &Listing, d: &model::Definition) -> String {
    format!(
        "{} {} {} {} {}",
        l.name, d.name, l.category, d.description, d.slug
    )
    .to_lowercase()
}

pub async fn index(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Query(q): Query<CatalogQuery>,
) -> Page {
    let query = q.q.unwrap_or_default();
    let category = q.category.filter(|c| c == CATEGORY.0);
    let mut cards = String::new();
    let mut shown = 0;
    for l in LISTINGS {
        let Some(d) = destination::by_slug(l.slug).map(|d| &d.definition) else {
            continue;
        };
        let text = search_text(l, d);
        let visible = matches(&query, &text);
        shown += usize::from(visible);
        let _ = write!(
            cards,
            r#"<li class="card" data-search="{search}"{hidden}>
<h3><a href="/ui/catalog/{slug}">{name}</a></h3>
<p class="meta">{category} · runs in the browser</p>
<p>{description}</p>
</li>"#,
            search = e(&text),
            hidden = if visible { "" } else { " hidden" },
            slug = e(l.slug),
            name = e(l.name),
            category = e(l.category),
            description = e(d.description),
        );
    }
    let count = match shown {
        1 => "1 destination".to_string(),
        n => format!("{n} destinations"),
    };
    let all_current = if category.is_none() {
        r#" aria-current="page""#
    } else {
        ""
    };
    let cat_current = if category.is_some() {
        r#" aria-current="page""#
    } else {
        ""
    };
    let heading = if category.is_some() {
        CATEGORY.1
    } else {
        "All destinations"
    };
    let empty = if shown == 0 {
        r#"<p class="empty" id="catalog-empty">No destination matches this search.</p>"#
    } else {
        r#"<p class="empty" id="catalog-empty" hidden>No destination matches this search.</p>"#
    };
    let main = format!(
        r#"<h1>Catalog</h1>
<div class="catalog">
<nav aria-label="Categories" class="categories"><h2>Destinations</h2><ul>
<li><a href="/ui/catalog"{all_current}>All destinations</a></li>
<li><a href="/ui/catalog?category={cat}"{cat_current}>{cat_name}</a></li>
</ul></nav>
<section aria-labelledby="results-title">
<h2 id="results-title">{heading}</h2>
<form method="get" action="/ui/catalog" role="search" class="search">
{category_input}<label for="catalog-q">Search destinations</label>
<input id="catalog-q" name="q" type="search" value="{query}" autocomplete="off">
<button type="submit">Search</button>
</form>
<p id="catalog-count" role="status">{count}</p>
<ul class="cards" id="catalog-cards">{cards}</ul>
{empty}
</section>
</div>"#,
        cat = CATEGORY.0,
        cat_name = CATEGORY.1,
        category_input = category
            .as_ref()
            .map(|c| format!(r#"<input type="hidden" name="category" value="{}">"#, e(c)))
            .unwrap_or_default(),
        query = e(&query),
    );
    let notice = app.ui.take_notice(&s.id);
    let frame = Frame::new("Catalog", Some(&s), Nav::Catalog)
        .crumb("Catalog", None)
        .notice(notice);
    Ok(html::page(StatusCode::OK, frame.render(&main)))
}

fn kind(k: model::FieldType) -> &'static str {
    match k {
        model::FieldType::String => "string",
        model::FieldType::Text => "text",
        model::FieldType::Password => "password",
        model::FieldType::Number => "number",
        model::FieldType::Integer => "integer",
        model::FieldType::Boolean => "boolean",
        model::FieldType::Object => "object",
        model::FieldType::Datetime => "datetime",
    }
}

/// A field's default mapping in words: `$.event` (a path) or the JSON.
pub fn default_text(v: &serde_json::Value) -> String {
    match v.get("@path").and_then(|p| p.as_str()) {
        Some(p) if v.as_object().is_some_and(|o| o.len() == 1) => p.to_string(),
        _ => v.to_string(),
    }
}

fn required(r: bool) -> &'static str {
    if r {
        r#"<span class="req">required</span>"#
    } else {
        r#"<span class="opt">optional</span>"#
    }
}

pub async fn detail(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Path(slug): Path<String>,
) -> Page {
    let (d, l) = definition(&slug)?;
    let mut main = String::new();
    let _ = write!(
        main,
        r#"<div class="title-row"><div><h1>{name}</h1>
<p class="meta">{def_name} · {category} · device mode: runs in your visitors' browsers</p></div>
<a class="button primary" href="/ui/catalog/{slug}/configure">Configure {name}</a></div>
<p class="lead">{description}</p>"#,
        name = e(l.name),
        def_name = e(d.name),
        category = e(l.category),
        slug = e(d.slug),
        description = e(d.description),
    );
    for p in l.about {
        let _ = write!(main, "<p>{}</p>", e(p));
    }
    main.push_str(r#"<section aria-labelledby="benefits"><h2 id="benefits">Benefits of "#);
    let _ = write!(
        main,
        r#"{}</h2><p>{} provides the following benefits:</p><ul>"#,
        e(l.name),
        e(l.name)
    );
    for (title, text) in l.benefits {
        let _ = write!(main, "<li><strong>{}</strong> – {}</li>", e(title), e(text));
    }
    main.push_str("</ul></section>");

    let _ = write!(
        main,
        r##"<section aria-labelledby="start"><h2 id="start">Getting started</h2><ol>
<li>Open the Catalog (you are here from it).</li>
<li>Choose the <strong>{cat}</strong> category.</li>
<li>Search for <strong>{name}</strong> and select it.</li>
<li>Click <strong>Configure {name}</strong>.</li>
<li>Select an existing source to connect to {name}, or create one.</li>
<li>Set your Embed API Key (see <a href="#embed-key">Getting your Embed API Key</a>).</li>
</ol></section>"##,
        cat = e(l.category),
        name = e(l.name),
    );

    main.push_str(r#"<section aria-labelledby="settings"><h2 id="settings">Destination settings</h2><div class="table-wrap"><table><thead><tr><th scope="col">Setting</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Description</th></tr></thead><tbody>"#);
    for st in &d.settings {
        let _ = write!(
            main,
            "<tr><th scope=\"row\">{} <code>{}</code></th><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(st.label),
            e(st.key),
            kind(st.kind),
            required(st.required),
            e(st.description)
        );
    }
    main.push_str("</tbody></table></div>");
    let _ = write!(
        main,
        r#"<h3 id="embed-key">Getting your Embed API Key</h3><ol>{}</ol></section>"#,
        l.key_steps
            .iter()
            .map(|s| format!("<li>{}</li>", e(s)))
            .collect::<String>()
    );

    let _ = write!(
        main,
        r#"<section aria-labelledby="presets"><h2 id="presets">Presets</h2><p>{} has the following presets, created and enabled with every new destination:</p><div class="table-wrap"><table><thead><tr><th scope="col">Preset</th><th scope="col">Trigger</th><th scope="col">Default action</th></tr></thead><tbody>"#,
        e(d.name)
    );
    for p in &d.presets {
        let action = d.action(p.action).map_or(p.action, |a| a.title);
        let _ = write!(
            main,
            "<tr><th scope=\"row\">{}</th><td><code>{}</code></td><td>{}</td></tr>",
            e(p.name),
            e(p.trigger),
            e(action)
        );
    }
    main.push_str("</tbody></table></div></section>");

    let _ = write!(
        main,
        r#"<section aria-labelledby="actions"><h2 id="actions">Available actions</h2>
<p>Build your own mappings: combine triggers with these actions. A destination holds at most {} mappings.</p>"#,
        destination::config::MAX_SUBSCRIPTIONS
    );
    for a in &d.actions {
        let _ = write!(
            main,
            r#"<article class="action" aria-labelledby="action-{key}"><h3 id="action-{key}">{title}</h3><p>{description}</p>
<p class="meta">{title} is a web action. The default trigger is <code>{trigger}</code>.</p>
<div class="table-wrap"><table><thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Description</th><th scope="col">Default</th></tr></thead><tbody>"#,
            key = e(a.key),
            title = e(a.title),
            description = e(a.description),
            trigger = e(a.default_trigger),
        );
        for f in &a.fields {
            let _ = write!(
                main,
                "<tr><th scope=\"row\">{} <code>{}</code></th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(f.label),
                e(f.key),
                kind(f.kind),
                required(f.required),
                e(f.description),
                f.default
                    .as_ref()
                    .map(|v| format!("<code>{}</code>", e(&default_text(v))))
                    .unwrap_or_else(|| "–".into())
            );
        }
        main.push_str("</tbody></table></div></article>");
    }
    main.push_str("</section>");

    let mine: Vec<_> = app
        .store
        .lock()
        .await
        .destinations(None)?
        .into_iter()
        .filter(|x| x.slug == d.slug)
        .collect();
    if !mine.is_empty() {
        let store = app.store.lock().await;
        main.push_str(r#"<section aria-labelledby="yours"><h2 id="yours">Your destinations of this kind</h2><ul>"#);
        for x in mine {
            let source = store
                .source(&x.source_id)?
                .map(|s| s.name)
                .unwrap_or_default();
            let _ = write!(
                main,
                r#"<li><a href="/ui/destinations/{}">{} on {}</a></li>"#,
                e(&x.id),
                e(l.name),
                e(&source)
            );
        }
        main.push_str("</ul></section>");
    }

    let frame = Frame::new(l.name, Some(&s), Nav::Catalog)
        .crumb("Catalog", Some("/ui/catalog".into()))
        .crumb(
            CATEGORY.1,
            Some(format!("/ui/catalog?category={}", CATEGORY.0)),
        )
        .crumb(l.name, None)
        .notice(app.ui.take_notice(&s.id));
    Ok(html::page(StatusCode::OK, frame.render(&main)))
}

fn steps(current: usize) -> String {
    let names = ["Select a source", "Embed API Key", "Mappings"];
    let mut out = String::from(r#"<ol class="steps" aria-label="Steps">"#);
    for (i, n) in names.iter().enumerate() {
        let mark = if i == current {
            r#" aria-current="step""#
        } else {
            ""
        };
        let _ = write!(out, "<li{mark}>{n}</li>");
    }
    out.push_str("</ol>");
    out
}

fn configure_frame<'a>(s: &'a super::session::Session, l: &Listing, last: &str) -> Frame<'a> {
    Frame::new(format!("Configure {}", l.name), Some(s), Nav::Catalog)
        .crumb("Catalog", Some("/ui/catalog".into()))
        .crumb(
            CATEGORY.1,
            Some(format!("/ui/catalog?category={}", CATEGORY.0)),
        )
        .crumb(l.name, Some(format!("/ui/catalog/{}", l.slug)))
        .crumb(last, None)
}

/// Errors of the source step: about the choice, or about the new source's name.
#[derive(Debug, Default)]
struct SourceErrors {
    choice: Option<String>,
    name: Option<String>,
}

async fn source_page(
    app: &AppState,
    s: &super::session::Session,
    l: &Listing,
    errors: &SourceErrors,
    chosen: &str,
    name: &str,
) -> Page {
    let sources = app.store.lock().await.sources()?;
    let mut choices = String::new();
    let chosen = if chosen.is_empty() && sources.is_empty() {
        "new"
    } else {
        chosen
    };
    for src in &sources {
        let _ = write!(
            choices,
            r#"<label class="choice"><input type="radio" name="source" value="{id}"{checked}> <span><strong>{name}</strong> <small>write key <code>{key}</code>{off}</small></span></label>"#,
            id = e(&src.id),
            checked = if chosen == src.id { " checked" } else { "" },
            name = e(&src.name),
            key = e(&src.write_key),
            off = if src.enabled { "" } else { " · disabled" },
        );
    }
    let _ = write!(
        choices,
        r#"<label class="choice"><input type="radio" name="source" value="new"{}> <span><strong>Create a new source</strong></span></label>"#,
        if chosen == "new" { " checked" } else { "" }
    );
    let choice_error = errors
        .choice
        .as_deref()
        .map(|m| error_text("source-error", m))
        .unwrap_or_default();
    let name_error = errors
        .name
        .as_deref()
        .map(|m| error_text("source-name-error", m))
        .unwrap_or_default();
    let main = format!(
        r#"<h1>Configure {title}</h1>
{steps}
<form method="post" action="/ui/catalog/{slug}/configure" class="stack">
{csrf}
<fieldset{choice_invalid}><legend>Select an existing source to connect to {title}</legend>
<p class="hint">A source is a website that loads analytics.js with the source's write key; {title} runs on the pages of the source you connect it to.</p>
{choices}
{choice_error}
<div class="new-source">
<label for="source-name">New source name</label>
<p class="hint" id="source-name-hint">Used only when “Create a new source” is selected, e.g. “Marketing site”.</p>
<input id="source-name" name="name" value="{name}" aria-describedby="source-name-hint{name_described}"{name_invalid}>
{name_error}
</div>
</fieldset>
<div class="actions"><button type="submit" class="primary">Next: Embed API Key</button> <a href="/ui/catalog/{slug}">Cancel</a></div>
</form>"#,
        title = e(l.name),
        steps = steps(0),
        slug = e(l.slug),
        csrf = html::csrf_input(s),
        choice_invalid = if errors.choice.is_some() {
            r#" aria-describedby="source-error""#
        } else {
            ""
        },
        name = e(name),
        name_described = if errors.name.is_some() {
            " source-name-error"
        } else {
            ""
        },
        name_invalid = if errors.name.is_some() {
            r#" aria-invalid="true""#
        } else {
            ""
        },
    );
    let status = if errors.choice.is_some() || errors.name.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let frame = configure_frame(s, l, "Configure").notice(app.ui.take_notice(&s.id));
    Ok(html::page(status, frame.render(&main)))
}

pub async fn choose_source(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Path(slug): Path<String>,
) -> Page {
    let (_, l) = definition(&slug)?;
    source_page(&app, &s, l, &SourceErrors::default(), "", "").await
}

pub async fn chose_source(
    State(app): State<Arc<AppState>>,
    Path(slug): Path<String>,
    Posted { session, form }: Posted,
) -> Page {
    let (_, l) = definition(&slug)?;
    let choice = form.text("source");
    let name = form.text("name").trim();
    let mut errors = SourceErrors::default();
    let id = match choice {
        "" => {
            errors.choice = Some("select a source, or “Create a new source”".into());
            None
        }
        "new" if name.is_empty() => {
            errors.name = Some("the new source needs a name".into());
            None
        }
        "new" => Some(ops::create_source(&app, name, true).await?.id),
        id => match app.store.lock().await.source(id)? {
            Some(src) => Some(src.id),
            None => {
                errors.choice = Some("that source no longer exists; choose another".into());
                None
            }
        },
    };
    match id {
        Some(id) => Ok(html::see_other(&format!(
            "/ui/catalog/{}/configure/{}",
            url_encode(l.slug),
            url_encode(&id)
        ))),
        None => source_page(&app, &session, l, &errors, choice, name).await,
    }
}

async fn key_page(
    app: &AppState,
    s: &super::session::Session,
    slug: &str,
    source: &str,
    error: Option<&str>,
    value: &str,
    enabled: bool,
) -> Page {
    let (d, l) = definition(slug)?;
    let src = app
        .store
        .lock()
        .await
        .source(source)?
        .ok_or_else(|| Failure::not_found("source"))?;
    let setting = d
        .settings
        .iter()
        .find(|st| st.key == "apiKey")
        .ok_or_else(|| Failure::not_found("setting"))?;
    let presets: String = d
        .presets
        .iter()
        .map(|p| {
            format!(
                "<li><strong>{}</strong>: <code>{}</code> → {}</li>",
                e(p.name),
                e(p.trigger),
                e(d.action(p.action).map_or(p.action, |a| a.title))
            )
        })
        .collect();
    let main = format!(
        r#"<h1>Configure {title}</h1>
{steps}
<p>Source: <strong>{source}</strong> (write key <code>{key}</code>) · <a href="/ui/catalog/{slug}/configure">change</a></p>
<form method="post" action="/ui/catalog/{slug}/configure/{source_id}" class="stack">
{csrf}
<div class="field">
<label for="apiKey">{label} <span class="req">required</span></label>
<p class="hint" id="apiKey-hint">{description}</p>
<input id="apiKey" name="apiKey" value="{value}" required autocomplete="off" spellcheck="false" aria-describedby="apiKey-hint apiKey-steps{described}"{invalid}>
{error}
</div>
<details open id="apiKey-steps"><summary>Getting your Embed API Key</summary><ol>{key_steps}</ol></details>
<label class="check"><input type="checkbox" name="enabled" value="on"{enabled}> Enable the destination now</label>
<p class="hint">The destination starts with its presets, created and enabled:</p><ul>{presets}</ul>
<div class="actions"><button type="submit" class="primary">Create destination</button> <a href="/ui/catalog/{slug}/configure">Back</a></div>
</form>"#,
        title = e(l.name),
        steps = steps(1),
        source = e(&src.name),
        key = e(&src.write_key),
        slug = e(l.slug),
        source_id = e(&src.id),
        csrf = html::csrf_input(s),
        label = e(setting.label),
        description = e(setting.description),
        value = e(value),
        described = if error.is_some() { " apiKey-error" } else { "" },
        invalid = if error.is_some() {
            r#" aria-invalid="true""#
        } else {
            ""
        },
        error = error
            .map(|m| error_text("apiKey-error", m))
            .unwrap_or_default(),
        key_steps = l
            .key_steps
            .iter()
            .map(|s| format!("<li>{}</li>", e(s)))
            .collect::<String>(),
        enabled = if enabled { " checked" } else { "" },
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let frame = configure_frame(s, l, "Embed API Key").notice(app.ui.take_notice(&s.id));
    Ok(html::page(status, frame.render(&main)))
}

pub async fn key_step(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    Path((slug, source)): Path<(String, String)>,
) -> Page {
    key_page(&app, &s, &slug, &source, None, "", true).await
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    Path((slug, source)): Path<(String, String)>,
    Posted { session, form }: Posted,
) -> Page {
    let (_, l) = definition(&slug)?;
    let key = form.text("apiKey").trim().to_string();
    let enabled = form.checked("enabled");
    if key.is_empty() {
        return key_page(
            &app,
            &session,
            &slug,
            &source,
            Some("the Embed API Key is required: Iterate's embed code names it `apiKey`"),
            "",
            enabled,
        )
        .await;
    }
    match ops::create_destination(
        &app,
        source.clone(),
        slug.clone(),
        serde_json::Map::from_iter([("apiKey".to_string(), serde_json::Value::from(key.clone()))]),
        enabled,
        AUTHOR,
    )
    .await
    {
        Ok(d) => {
            let n = d.config["subscriptions"].as_array().map_or(0, Vec::len);
            app.ui.set_notice(
                &session.id,
                format!("{} is connected, with its {n} presets enabled.", l.name),
            );
            Ok(html::see_other(&format!(
                "/ui/destinations/{}",
                url_encode(&d.id)
            )))
        }
        Err(err) if err.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let message = explain(&err).join("; ");
            key_page(
                &app,
                &session,
                &slug,
                &source,
                Some(&message),
                &key,
                enabled,
            )
            .await
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listing_names_a_destination_and_search_finds_it_by_its_catalog_name() {
        for l in LISTINGS {
            let d = &destination::by_slug(l.slug)
                .expect("a listed slug")
                .definition;
            let text = search_text(l, d);
            assert!(matches("Iterate (Actions)", &text));
            assert!(matches("iterate", &text));
            assert!(matches("  survey   iterate ", &text));
            assert!(matches("", &text));
            assert!(!matches("mixpanel", &text));
        }
    }
}
