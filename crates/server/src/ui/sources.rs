//! The sources page: every source with its write key (to copy), whether analytics.js
//! may load its settings, and its destinations; a form for a new source; per source,
//! rename, enable/disable, and delete after a confirmation page that names the
//! destinations deleted with it. Every write goes through [`crate::ops`], the path the
//! API's `/api/v1/sources` takes, so the settings cache follows the store's writes.

use super::catalog::{display_name, LISTINGS};
use super::destination::{mappings, parse_list};
use super::html::{self, badge, copyable, e, error_text, url_encode, Frame, Nav};
use super::session::{Posted, Session, Signed};
use super::{explain, Failure, Page};
use crate::error::ApiError;
use crate::ops::{self, SourceChange};
use crate::store::{Destination, Source};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use engine::destination::MAX_SUBSCRIPTIONS;
use std::fmt::Write as _;
use std::sync::Arc;

/// A refused write, shown next to what it is about.
#[derive(Debug, Default)]
enum Refusal {
    #[default]
    None,
    /// The new source form: the message and what was typed.
    New { message: String, typed: String },
    /// A rename: the source, the message and what was typed.
    Rename {
        id: String,
        message: String,
        typed: String,
    },
    /// Anything else about one source (enabling it, say).
    Other { id: String, message: String },
}

/// Where a source's card is on the sources page.
fn anchor(id: &str) -> String {
    format!("/ui/sources#source-{}", url_encode(id))
}

/// What analytics.js fetches for a write key (this server's settings endpoint).
fn settings_path(write_key: &str) -> String {
    format!("/v1/projects/{}/settings", url_encode(write_key))
}

/// "1 destination", "2 destinations".
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A destination as a line of a list: a link to it, its state and its mappings.
fn destination_item(d: &Destination) -> String {
    format!(
        r#"<li><a href="/ui/destinations/{id}">{name}</a> {badge} <span class="meta">{n} of {MAX_SUBSCRIPTIONS} mappings · version {v}</span></li>"#,
        id = e(&url_encode(&d.id)),
        name = e(display_name(&d.slug)),
        badge = badge(d.enabled, "Enabled", "Disabled"),
        n = mappings(d).len(),
        v = d.version,
    )
}

/// What a disabled source means for its pages; with `link`, where to enable it.
pub fn disabled_warning(src: &Source, link: bool) -> String {
    format!(
        r#"<p class="warning">The source <strong>{name}</strong> is disabled: its settings endpoint <code>{path}</code> answers 404, so analytics.js on its pages loads none of its destinations, and the delivery log refuses their reports.{link}</p>"#,
        name = e(&src.name),
        path = e(&settings_path(&src.write_key)),
        link = if link {
            format!(
                r#" <a href="{}">Enable it on the Sources page</a>."#,
                e(&anchor(&src.id))
            )
        } else {
            String::new()
        },
    )
}

fn source_card(src: &Source, dests: &[&Destination], s: &Session, refusal: &Refusal) -> String {
    let hid = e(&src.id);
    let uid = html::escape(&url_encode(&src.id));
    let csrf = html::csrf_input(s);
    let name = e(&src.name);
    let destinations = if dests.is_empty() {
        r#"<p class="empty">None yet.</p>"#.to_string()
    } else {
        format!(
            "<ul class=\"plain\">{}</ul>",
            dests
                .iter()
                .map(|d| destination_item(d))
                .collect::<String>()
        )
    };
    let connect: String = LISTINGS
        .iter()
        .map(|l| {
            format!(
                r#"<a class="button" href="/ui/catalog/{slug}/configure/{uid}" aria-label="Connect {dest} to {name}">Connect {dest}</a>"#,
                slug = e(l.slug),
                dest = e(l.name),
            )
        })
        .collect();
    let other_error = match refusal {
        Refusal::Other { id, message } if *id == src.id => {
            error_text(&format!("source-{}-error", src.id), message)
        }
        _ => String::new(),
    };
    let (rename_open, rename_value, rename_error) = match refusal {
        Refusal::Rename { id, message, typed } if *id == src.id => (
            true,
            typed.as_str(),
            Some(error_text(&format!("rename-{}-error", src.id), message)),
        ),
        _ => (false, src.name.as_str(), None),
    };
    format!(
        r#"<li class="source-card" id="source-{hid}">
<div class="mapping-head"><h3>{name}</h3>{badge}</div>
{warning}
<dl class="source-meta">
<dt>Write key</dt><dd>{key}</dd>
<dt>Settings</dt><dd><a href="{path}">{path}</a></dd>
<dt>Destinations</dt><dd>{destinations}</dd>
</dl>
{other_error}
<div class="row-actions">
<form method="post" action="/ui/sources/{uid}/enabled">{csrf}<input type="hidden" name="enabled" value="{flip}"><button type="submit" aria-label="{toggle} {name}">{toggle}</button></form>
{connect}
<a class="button danger" href="/ui/sources/{uid}/delete" aria-label="Delete {name}">Delete</a>
<details class="rename"{open}><summary>Rename<span class="vh"> {name}</span></summary>
<form method="post" action="/ui/sources/{uid}/rename" class="inline">{csrf}<label for="rename-{hid}">New name for {name}</label><input id="rename-{hid}" name="name" value="{value}" required autocomplete="off"{invalid}><button type="submit">Save name</button>{rename_error}</form>
</details>
</div>
</li>"#,
        badge = badge(src.enabled, "Enabled", "Disabled"),
        warning = if src.enabled {
            String::new()
        } else {
            disabled_warning(src, false)
        },
        key = copyable(
            &format!("key-{}", src.id),
            &format!("Write key of {}", src.name),
            &src.write_key
        ),
        path = e(&settings_path(&src.write_key)),
        flip = if src.enabled { "off" } else { "on" },
        toggle = if src.enabled { "Disable" } else { "Enable" },
        open = if rename_open { " open" } else { "" },
        value = e(rename_value),
        invalid = if rename_error.is_some() {
            format!(r#" aria-invalid="true" aria-describedby="rename-{hid}-error" autofocus"#)
        } else {
            String::new()
        },
        rename_error = rename_error.unwrap_or_default(),
    )
}

/// The sources page; `refusal` places the error of a refused write.
async fn render(
    app: &AppState,
    headers: &HeaderMap,
    s: &Session,
    refusal: &Refusal,
    status: StatusCode,
) -> Page {
    let (sources, dests) = {
        let store = app.store.lock().await;
        (store.sources()?, store.destinations(None)?)
    };
    let base = crate::public::base_url(app, headers);
    let (new_value, new_error) = match refusal {
        Refusal::New { message, typed } => (
            typed.as_str(),
            Some(error_text("new-source-name-error", message)),
        ),
        _ => ("", None),
    };
    let mut main = format!(
        r#"<div class="title-row"><h1>Sources</h1><p class="count" id="source-count">{count}</p></div>
<p class="hint">A source is a website: its pages load analytics.js with the source's write key, and analytics.js reads which destinations to run from this server at <code>{base}/v1/projects/&lt;write key&gt;/settings</code>. Connect destinations to a source here or from the <a href="/ui/catalog">Catalog</a>.</p>
<section aria-labelledby="new-source" class="panel"><h2 id="new-source">New source</h2>
<form method="post" action="/ui/sources" class="stack">{csrf}
<div class="field"><label for="new-source-name">Source name</label>
<p class="hint" id="new-source-name-hint">The website it stands for, e.g. “Marketing site”. It gets a write key of its own and starts enabled.</p>
<input id="new-source-name" name="name" value="{value}" required autocomplete="off" aria-describedby="new-source-name-hint{described}"{invalid}>
{error}</div>
<div class="actions"><button type="submit" class="primary">Create source</button></div>
</form></section>
<h2 id="your-sources">Your sources</h2>"#,
        count = count(sources.len(), "source", "sources"),
        base = e(&base),
        csrf = html::csrf_input(s),
        value = e(new_value),
        described = if new_error.is_some() {
            " new-source-name-error"
        } else {
            ""
        },
        invalid = if new_error.is_some() {
            r#" aria-invalid="true" autofocus"#
        } else {
            ""
        },
        error = new_error.unwrap_or_default(),
    );
    if sources.is_empty() {
        main.push_str(r#"<p class="empty">No sources yet: create one above, or in the Catalog while you configure a destination.</p>"#);
    } else {
        let _ = write!(
            main,
            r#"<ol class="sources" id="source-list" aria-labelledby="your-sources">{}</ol>"#,
            sources
                .iter()
                .map(|src| {
                    let mine: Vec<&Destination> =
                        dests.iter().filter(|d| d.source_id == src.id).collect();
                    source_card(src, &mine, s, refusal)
                })
                .collect::<String>()
        );
    }
    let frame = Frame::new("Sources", Some(s), Nav::Sources)
        .crumb("Sources", None)
        .notice(app.ui.take_notice(&s.id));
    Ok(html::page(status, frame.render(&main)))
}

pub async fn list(Signed(s): Signed, State(app): State<Arc<AppState>>, headers: HeaderMap) -> Page {
    render(&app, &headers, &s, &Refusal::None, StatusCode::OK).await
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Posted { session, form }: Posted,
) -> Page {
    let typed = form.text("name");
    match ops::create_source(&app, typed, true).await {
        Ok(src) => {
            app.ui.set_notice(
                &session.id,
                format!(
                    "Source “{}” created, enabled, with write key {}.",
                    src.name, src.write_key
                ),
            );
            Ok(html::see_other(&anchor(&src.id)))
        }
        Err(err) if err.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let refusal = Refusal::New {
                message: explain(&err).join("; "),
                typed: typed.to_string(),
            };
            render(&app, &headers, &session, &refusal, err.status).await
        }
        Err(err) => Err(err.into()),
    }
}

/// After a change to one source: a notice and back to its card; after a refusal, the
/// page again with the error in the card (a source that is gone is a 404 page).
async fn settle(
    app: &AppState,
    headers: &HeaderMap,
    s: &Session,
    result: Result<(Source, String), ApiError>,
    refused: impl FnOnce(String) -> Refusal,
) -> Page {
    match result {
        Ok((src, notice)) => {
            app.ui.set_notice(&s.id, notice);
            Ok(html::see_other(&anchor(&src.id)))
        }
        Err(err) if err.status == StatusCode::NOT_FOUND => Err(err.into()),
        Err(err) => {
            let refusal = refused(explain(&err).join("; "));
            render(app, headers, s, &refusal, err.status).await
        }
    }
}

pub async fn rename(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted { session, form }: Posted,
) -> Page {
    let typed = form.text("name").to_string();
    let change = SourceChange {
        name: Some(typed.clone()),
        enabled: None,
    };
    let result = ops::update_source(&app, &id, None, change)
        .await
        .map(|src| {
            let notice = format!("Source renamed to “{}”.", src.name);
            (src, notice)
        });
    settle(&app, &headers, &session, result, |message| {
        Refusal::Rename {
            id: id.clone(),
            message,
            typed,
        }
    })
    .await
}

pub async fn set_enabled(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted { session, form }: Posted,
) -> Page {
    let on = form.text("enabled") == "on";
    let change = SourceChange {
        name: None,
        enabled: Some(on),
    };
    let result = ops::update_source(&app, &id, None, change)
        .await
        .map(|src| {
            let notice = if on {
                format!(
                    "Source “{}” enabled: analytics.js on its pages loads its enabled destinations again.",
                    src.name
                )
            } else {
                format!(
                    "Source “{}” disabled: its settings endpoint answers 404, so analytics.js on its pages loads none of its destinations.",
                    src.name
                )
            };
            (src, notice)
        });
    settle(&app, &headers, &session, result, |message| Refusal::Other {
        id: id.clone(),
        message,
    })
    .await
}

/// The confirmation before deleting a source; `problem` says why a delete was refused.
async fn confirm_page(
    app: &AppState,
    headers: &HeaderMap,
    s: &Session,
    id: &str,
    problem: Option<&str>,
    status: StatusCode,
) -> Page {
    let (src, dests) = {
        let store = app.store.lock().await;
        let src = store
            .source(id)?
            .ok_or_else(|| Failure::not_found("source"))?;
        let dests = store.destinations(Some(id))?;
        (src, dests)
    };
    let base = crate::public::base_url(app, headers);
    let uid = html::escape(&url_encode(&src.id));
    let going = if dests.is_empty() {
        r#"<p id="deleted-destinations">It has no destinations: only the source and its write key are deleted.</p>"#.to_string()
    } else {
        format!(
            r#"<p>{these} deleted with it, each with its mappings, its version history and its delivery log:</p>
<ul class="plain" id="deleted-destinations">{items}</ul>"#,
            these = if dests.len() == 1 {
                "Its destination is".to_string()
            } else {
                format!("Its {} destinations are", dests.len())
            },
            items = dests.iter().map(destination_item).collect::<String>(),
        )
    };
    let ids: Vec<&str> = dests.iter().map(|d| d.id.as_str()).collect();
    // Nothing is focused for the visitor: unlike a mapping's, this deletion cannot be
    // restored, so Enter alone must not do it.
    let main = format!(
        r#"<h1>Delete the source “{name}”?</h1>
{problem}
<p>Write key <code>{key}</code>. Deleting cannot be undone: a source has no version history to restore it from, and a new source gets a new write key.</p>
{going}
<p>Pages that still load analytics.js with this write key then get 404 for <code>{base}{path}</code>, so they load none of its destinations. To stop them without deleting anything, <a href="{back}">disable the source</a> instead.</p>
<form method="post" action="/ui/sources/{uid}/delete" class="actions">{csrf}<input type="hidden" name="destinations" value="{ids}">
<button type="submit" class="danger">{button}</button> <a href="{back}">Cancel</a></form>"#,
        name = e(&src.name),
        problem = problem
            .map(|m| error_text("delete-error", m))
            .unwrap_or_default(),
        key = e(&src.write_key),
        base = e(&base),
        path = e(&settings_path(&src.write_key)),
        back = e(&anchor(&src.id)),
        csrf = html::csrf_input(s),
        ids = e(&ids.join(",")),
        button = match dests.len() {
            0 => "Delete the source".to_string(),
            1 => "Delete the source and its destination".to_string(),
            n => format!("Delete the source and its {n} destinations"),
        },
    );
    let frame = Frame::new(format!("Delete {}", src.name), Some(s), Nav::Sources)
        .crumb("Sources", Some("/ui/sources".into()))
        .crumb(src.name.clone(), Some(anchor(&src.id)))
        .crumb("Delete source", None);
    Ok(html::page(status, frame.render(&main)))
}

pub async fn confirm_delete(
    Signed(s): Signed,
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    confirm_page(&app, &headers, &s, &id, None, StatusCode::OK).await
}

pub async fn delete(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Posted { session, form }: Posted,
) -> Page {
    // The destinations the confirmation showed; a form without them shows none, so a
    // source with destinations is then refused and the confirmation shown again.
    let shown = parse_list(form.text("destinations"));
    match ops::delete_source(&app, &id, Some(&shown)).await {
        Ok((src, dests)) => {
            let with = match dests.len() {
                0 => String::new(),
                n => format!(", with its {}", count(n, "destination", "destinations")),
            };
            app.ui
                .set_notice(&session.id, format!("Source “{}” deleted{with}.", src.name));
            Ok(html::see_other("/ui/sources"))
        }
        Err(err) if err.status == StatusCode::CONFLICT => {
            let problem = "The source's destinations changed since this page was shown, so nothing was deleted: check the list below and delete again.";
            confirm_page(
                &app,
                &headers,
                &session,
                &id,
                Some(problem),
                StatusCode::CONFLICT,
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
    fn counts_and_paths_read_as_the_page_shows_them() {
        assert_eq!(count(1, "destination", "destinations"), "1 destination");
        assert_eq!(count(0, "source", "sources"), "0 sources");
        assert_eq!(settings_path("ab12"), "/v1/projects/ab12/settings");
        assert_eq!(anchor("a b"), "/ui/sources#source-a%20b");
    }
}
