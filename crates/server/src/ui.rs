//! The web UI under `/ui`: server-rendered HTML pages (a little JS, one CSS file, all
//! compiled in), signed in with the admin token. It walks the seed's path (catalog →
//! Iterate (Actions) → configure → source → Embed API Key → destination), manages
//! sources (create, rename, enable/disable, delete with their destinations) and
//! mappings, edits them with the engine running in the page (the wasm bundle the
//! server serves, so what is tested is what runs), shows what pages report in the
//! delivery log, and shows the version history.
//!
//! Every write goes through [`crate::ops`], the path the JSON API takes; every form
//! carries the session's CSRF token ([`session::Posted`]). These routes are not part of
//! the JSON API, so `docs/openapi.yaml` does not list them (its test checks that they
//! all stay under `/ui`).

mod catalog;
mod delivery;
mod destination;
mod editor;
mod history;
pub mod html;
pub mod session;
mod sources;

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use html::{e, Frame, Nav};
use session::{Posted, Signed};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

pub use session::Sessions;

/// The author of versions written from the UI.
pub const AUTHOR: &str = "web UI";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ui", get(home))
        .route("/ui/signin", get(signin_page).post(signin))
        .route("/ui/signout", post(signout))
        .route("/ui/assets/{file}", get(asset))
        .route("/ui/catalog", get(catalog::index))
        .route("/ui/catalog/{slug}", get(catalog::detail))
        .route(
            "/ui/catalog/{slug}/configure",
            get(catalog::choose_source).post(catalog::chose_source),
        )
        .route(
            "/ui/catalog/{slug}/configure/{source}",
            get(catalog::key_step).post(catalog::create),
        )
        .route("/ui/sources", get(sources::list).post(sources::create))
        .route("/ui/sources/{id}/rename", post(sources::rename))
        .route("/ui/sources/{id}/enabled", post(sources::set_enabled))
        .route(
            "/ui/sources/{id}/delete",
            get(sources::confirm_delete).post(sources::delete),
        )
        .route("/ui/destinations", get(destination::list))
        .route("/ui/destinations/{id}", get(destination::show))
        .route(
            "/ui/destinations/{id}/settings",
            post(destination::save_settings),
        )
        .route(
            "/ui/destinations/{id}/enabled",
            post(destination::set_enabled),
        )
        .route("/ui/destinations/{id}/mappings", post(editor::create))
        .route("/ui/destinations/{id}/mappings/new", get(editor::new_page))
        .route(
            "/ui/destinations/{id}/mappings/{mapping}",
            get(editor::edit_page).post(editor::save),
        )
        .route(
            "/ui/destinations/{id}/mappings/{mapping}/enabled",
            post(destination::mapping_enabled),
        )
        .route(
            "/ui/destinations/{id}/mappings/{mapping}/rename",
            post(destination::rename),
        )
        .route(
            "/ui/destinations/{id}/mappings/{mapping}/duplicate",
            post(destination::duplicate),
        )
        .route(
            "/ui/destinations/{id}/mappings/{mapping}/move",
            post(destination::move_mapping),
        )
        .route(
            "/ui/destinations/{id}/mappings/{mapping}/delete",
            get(destination::confirm_delete).post(destination::delete),
        )
        .route("/ui/destinations/{id}/versions", get(history::page))
        .route(
            "/ui/destinations/{id}/versions/{n}/restore",
            post(history::restore),
        )
        .layer(axum::middleware::from_fn(guard))
}

/// What the browser may do with UI pages: scripts and styles from here only (the
/// engine's WebAssembly compiled from them), no framing, no inline code, and no
/// referrer leaving the site.
async fn guard(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A page, or the error page of what went wrong.
pub type Page = Result<Response, Failure>;

/// An error that ends a page: not found, or an internal error (logged by
/// [`ApiError::internal`], never shown).
#[derive(Debug)]
pub struct Failure(ApiError);

impl Failure {
    pub fn not_found(what: &str) -> Failure {
        Failure(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("there is no such {what}"),
        ))
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure(e)
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Failure {
        Failure(ApiError::from(e))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let title = match self.0.status {
            StatusCode::NOT_FOUND => "Not found",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let main = format!(
            r#"<h1>{title}</h1><p class="error">{}</p><p><a href="/ui/destinations">Back to your destinations</a></p>"#,
            e(&self.0.message)
        );
        html::page(
            self.0.status,
            Frame::new(title, None, Nav::None).render(&main),
        )
    }
}

/// What an API error says, in sentences for the page: each engine problem with its
/// code and help, or the error's message.
pub fn explain(err: &ApiError) -> Vec<String> {
    if err.status == StatusCode::CONFLICT {
        return vec![
            "this destination changed since the page was loaded (in another tab or through the API): reload the page and make the change again".into(),
        ];
    }
    let from_details: Vec<String> = err
        .details
        .iter()
        .filter_map(|d| {
            let message = d["message"].as_str()?;
            let mut text = message.to_string();
            if let Some(code) = d["code"].as_str() {
                let _ = write!(text, " ({code})");
            }
            if let Some(help) = d["help"].as_str() {
                let _ = write!(text, "; help: {help}");
            }
            Some(text)
        })
        .collect();
    if from_details.is_empty() {
        vec![err.message.clone()]
    } else {
        from_details
    }
}

/// Error messages of a refused write, by the place on the page they are about.
#[derive(Debug)]
pub struct Placed {
    items: Vec<(String, String)>,
    pub status: StatusCode,
}

impl Default for Placed {
    fn default() -> Placed {
        Placed {
            items: Vec::new(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl Placed {
    pub fn add(&mut self, place: &str, message: impl Into<String>) {
        self.items.push((place.to_string(), message.into()));
    }

    pub fn add_error(&mut self, place: &str, err: &ApiError) {
        for m in explain(err) {
            self.add(place, m);
        }
        self.status = err.status;
    }

    pub fn has(&self, place: &str) -> bool {
        self.items.iter().any(|(p, _)| p == place)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn messages<'a>(&'a self, place: &'a str) -> impl Iterator<Item = &'a str> {
        self.items
            .iter()
            .filter(move |(p, _)| p == place)
            .map(|(_, m)| m.as_str())
    }

    /// The messages at `place`, as an alert block (empty when there are none).
    pub fn render(&self, place: &str) -> String {
        self.render_inner(place, None)
    }

    pub fn render_with_id(&self, place: &str, id: &str) -> String {
        self.render_inner(place, Some(id))
    }

    fn render_inner(&self, place: &str, id: Option<&str>) -> String {
        let messages: String = self
            .messages(place)
            .map(|m| format!(r#"<p class="error">{}</p>"#, e(m)))
            .collect();
        if messages.is_empty() {
            return String::new();
        }
        let id = id.map(|i| format!(r#" id="{}""#, e(i))).unwrap_or_default();
        format!(r#"<div class="errors"{id} role="alert">{messages}</div>"#)
    }
}

async fn home(Signed(_): Signed) -> Response {
    html::see_other("/ui/destinations")
}

#[derive(Debug, serde::Deserialize)]
struct SigninQuery {
    next: Option<String>,
    out: Option<String>,
}

fn signin_form(app: &AppState, next: &str, error: Option<&str>, notice: Option<&str>) -> Response {
    let nonce = crate::util::random_hex(16);
    let main = format!(
        r#"<div class="narrow"><h1>Sign in</h1>
<p>Sign in with the admin token: <code>iterate-actions serve</code> printed it at its first start (or it is the value of <code>ITERATE_ACTIONS_ADMIN_TOKEN</code>).</p>
<form method="post" action="/ui/signin" class="stack">
<input type="hidden" name="_csrf" value="{nonce}">
<input type="hidden" name="next" value="{next}">
<div class="field"><label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus{invalid}>
{error}</div>
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form></div>"#,
        next = e(next),
        invalid = if error.is_some() {
            r#" aria-invalid="true" aria-describedby="token-error""#
        } else {
            ""
        },
        error = error
            .map(|m| html::error_text("token-error", m))
            .unwrap_or_default(),
    );
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let mut r = html::page(
        status,
        Frame::new("Sign in", None, Nav::None)
            .notice(notice.map(str::to_string))
            .render(&main),
    );
    let c = session::set_cookie(
        session::LOGIN_COOKIE,
        &nonce,
        session::secure(app),
        Some(3600),
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn signin_page(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<SigninQuery>,
) -> Response {
    let next = session::safe_next(q.next.as_deref()).to_string();
    let signed = session::cookie(&headers, session::COOKIE)
        .and_then(|id| app.ui.get(id, Instant::now()))
        .is_some();
    if signed {
        return html::see_other(&next);
    }
    let notice = q.out.is_some().then_some("You are signed out.");
    signin_form(&app, &next, None, notice)
}

async fn signin(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let form = session::FormData(form);
    let next = session::safe_next(form.get("next")).to_string();
    // The sign-in form's own CSRF check: its token must equal the cookie set with it.
    let nonce_ok = match (
        session::cookie(&headers, session::LOGIN_COOKIE),
        form.get("_csrf"),
    ) {
        (Some(c), Some(f)) => !c.is_empty() && session::same_secret(c, f),
        _ => false,
    };
    if !nonce_ok {
        return session::forbidden();
    }
    if !session::same_secret(form.text("token"), &app.token) {
        // Slows guessing; the token itself is 48 random hex digits.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tracing::warn!("web UI sign-in with a wrong token");
        return signin_form(
            &app,
            &next,
            Some("that is not the admin token; copy it again from where the server printed it"),
            None,
        );
    }
    let s = app.ui.create(Instant::now());
    let secure = session::secure(&app);
    let mut r = html::see_other(&next);
    for c in [
        session::set_cookie(session::COOKIE, &s.id, secure, None),
        session::set_cookie(session::LOGIN_COOKIE, "", secure, Some(0)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

async fn signout(State(app): State<Arc<AppState>>, Posted { session, .. }: Posted) -> Response {
    app.ui.remove(&session.id);
    let mut r = html::see_other("/ui/signin?out=1");
    let c = session::set_cookie(session::COOKIE, "", session::secure(&app), Some(0));
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "ui.css",
        "text/css; charset=utf-8",
        include_str!("ui/assets/ui.css"),
    ),
    (
        "ui.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/assets/ui.js"),
    ),
    (
        "editor.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/assets/editor.js"),
    ),
    (
        "builder.js",
        "text/javascript; charset=utf-8",
        include_str!("ui/assets/builder.js"),
    ),
];

/// The UI's CSS and scripts, compiled in; revalidated by ETag.
async fn asset(headers: HeaderMap, Path(file): Path<String>) -> Response {
    let Some((_, kind, text)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return Failure::not_found("file").into_response();
    };
    let tag = format!("\"{}\"", crate::public::content_hash(text.as_bytes()));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == tag.as_bytes());
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, *kind)], *text).into_response()
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    r
}
