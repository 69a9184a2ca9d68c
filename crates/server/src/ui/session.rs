//! Signed-in sessions of the web UI, kept in memory (a restart signs everyone out),
//! and the two extractors every UI handler uses: [`Signed`] (a valid session, or a
//! redirect to sign-in) and [`Posted`] (a signed-in form post whose CSRF token matches
//! the session's; every POST handler takes it, so none can forget the check).

use super::html;
use crate::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The session cookie; scoped to `/ui`, never readable by scripts.
pub const COOKIE: &str = "ia_session";
/// The sign-in form's own CSRF cookie (there is no session yet to hold a token).
pub const LOGIN_COOKIE: &str = "ia_signin";
/// A session ends after this long without a request...
pub const IDLE: Duration = Duration::from_secs(2 * 60 * 60);
/// ...and this long after sign-in, whatever happens.
pub const MAX_AGE: Duration = Duration::from_secs(12 * 60 * 60);
/// The most sessions kept; signing in beyond it ends the oldest.
const MAX_SESSIONS: usize = 1000;

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    /// The token every form of this session carries.
    pub csrf: String,
    created: Instant,
    seen: Instant,
    notice: Option<String>,
}

#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves plain data; keep using it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new session (fresh id and CSRF token); expired sessions are dropped.
    pub fn create(&self, now: Instant) -> Session {
        let s = Session {
            id: crate::util::random_hex(32),
            csrf: crate::util::random_hex(32),
            created: now,
            seen: now,
            notice: None,
        };
        let mut map = self.lock();
        map.retain(|_, s| live(s, now));
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.values().min_by_key(|s| s.created).map(|s| s.id.clone()) {
                map.remove(&oldest);
            }
        }
        map.insert(s.id.clone(), s.clone());
        s
    }

    /// The live session with this id, marked as seen at `now`.
    pub fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut map = self.lock();
        match map.get_mut(id) {
            Some(s) if live(s, now) => {
                s.seen = now;
                Some(s.clone())
            }
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        }
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    /// A message for the next page this session sees ("Mapping saved").
    pub fn set_notice(&self, id: &str, text: impl Into<String>) {
        if let Some(s) = self.lock().get_mut(id) {
            s.notice = Some(text.into());
        }
    }

    pub fn take_notice(&self, id: &str) -> Option<String> {
        self.lock().get_mut(id).and_then(|s| s.notice.take())
    }
}

fn live(s: &Session, now: Instant) -> bool {
    now.saturating_duration_since(s.seen) < IDLE
        && now.saturating_duration_since(s.created) < MAX_AGE
}

/// Compares secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    crate::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the UI: HttpOnly, SameSite=Strict, Path=/ui; `Secure`
/// when the server is reached over https.
pub fn set_cookie(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let mut c = format!("{name}={value}; Path=/ui; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn secure(app: &AppState) -> bool {
    app.public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
}

/// Where to go after signing in: only paths of the UI itself (no other site, no
/// scheme-relative `//host`).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/ui")
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control()) =>
        {
            n
        }
        _ => "/ui",
    }
}

/// A handler argument: the request's live session. Without one, GET requests are sent
/// to sign-in (and back afterwards); other methods get the sign-in page's address too.
#[derive(Debug, Clone)]
pub struct Signed(pub Session);

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let found = cookie(&parts.headers, COOKIE).and_then(|id| app.ui.get(id, Instant::now()));
        match found {
            Some(s) => Ok(Signed(s)),
            None => {
                let back = if parts.method == Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str())
                        .unwrap_or("/ui")
                } else {
                    "/ui"
                };
                Err(html::see_other(&format!(
                    "/ui/signin?next={}",
                    html::url_encode(back)
                )))
            }
        }
    }
}

/// The fields of a posted form, in order.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The field's text, or "" when absent.
    pub fn text(&self, key: &str) -> &str {
        self.get(key).unwrap_or("")
    }

    /// A checkbox: present means on.
    pub fn checked(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// A handler argument for every POST: the session, and the form, whose `_csrf` field
/// matched the session's token.
#[derive(Debug)]
pub struct Posted {
    pub session: Session,
    pub form: FormData,
}

/// Whether a posted form carries the session's CSRF token.
pub fn csrf_ok(session: &Session, form: &FormData) -> bool {
    form.get("_csrf")
        .is_some_and(|t| same_secret(t, &session.csrf))
}

pub fn forbidden() -> Response {
    let html = html::Frame::new("Form expired", None, html::Nav::None).render(
        r#"<h1>This form expired</h1>
<p class="error">The form was not sent from this session (it is old, or it came from another site), so nothing was changed.</p>
<p><a href="/ui">Go back to the start</a>, reload the page and try again.</p>"#,
    );
    html::page(StatusCode::FORBIDDEN, html)
}

impl FromRequest<Arc<AppState>> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Signed(session) = Signed::from_request_parts(&mut parts, app).await?;
        let req = Request::from_parts(parts, body);
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, app)
            .await
            .map_err(|e| {
                html::page(
                    e.status(),
                    html::Frame::new("Bad form", Some(&session), html::Nav::None)
                        .render("<h1>The form could not be read</h1>"),
                )
            })?;
        let form = FormData(pairs);
        if !csrf_ok(&session, &form) {
            return Err(forbidden());
        }
        Ok(Posted { session, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn sessions_expire_when_idle_and_at_their_maximum_age() {
        let sessions = Sessions::default();
        let t0 = Instant::now();
        let s = sessions.create(t0);
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        assert!(sessions.get(&s.id, t0 + IDLE / 2).is_some());
        // Seen at IDLE/2, so still live just before IDLE/2 + IDLE.
        assert!(sessions
            .get(&s.id, t0 + IDLE / 2 + IDLE - Duration::from_secs(1))
            .is_some());
        assert!(sessions.get(&s.id, t0 + IDLE * 3).is_none());
        assert!(
            sessions.get(&s.id, t0).is_none(),
            "an expired session is gone"
        );

        let s = sessions.create(t0);
        let mut t = t0;
        while t < t0 + MAX_AGE - IDLE {
            t += IDLE / 2;
            assert!(sessions.get(&s.id, t).is_some());
        }
        assert!(sessions.get(&s.id, t0 + MAX_AGE).is_none());
        assert!(sessions.get("nonsense", t0).is_none());
    }

    #[test]
    fn notices_are_shown_once_and_removal_ends_a_session() {
        let sessions = Sessions::default();
        let s = sessions.create(Instant::now());
        sessions.set_notice(&s.id, "saved");
        assert_eq!(sessions.take_notice(&s.id).as_deref(), Some("saved"));
        assert_eq!(sessions.take_notice(&s.id), None);
        sessions.remove(&s.id);
        assert!(sessions.get(&s.id, Instant::now()).is_none());
    }

    #[test]
    fn the_csrf_check_needs_the_sessions_own_token() {
        let sessions = Sessions::default();
        let s = sessions.create(Instant::now());
        let other = sessions.create(Instant::now());
        let form = |t: &str| FormData(vec![("_csrf".into(), t.into()), ("x".into(), "1".into())]);
        assert!(csrf_ok(&s, &form(&s.csrf)));
        assert!(!csrf_ok(&s, &form(&other.csrf)));
        assert!(!csrf_ok(&s, &form("")));
        assert!(!csrf_ok(&s, &FormData(vec![("x".into(), "1".into())])));
        let prefix = &s.csrf[..s.csrf.len() - 1];
        assert!(!csrf_ok(&s, &form(prefix)));
        assert_eq!(forbidden().status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn cookies_are_found_among_others_and_set_strictly() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; ia_session=abc"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "ia"), None);
        assert_eq!(
            set_cookie(COOKIE, "v", false, None),
            "ia_session=v; Path=/ui; HttpOnly; SameSite=Strict"
        );
        assert!(set_cookie(COOKIE, "", true, Some(0)).ends_with("; Max-Age=0; Secure"));
    }

    #[test]
    fn sign_in_returns_only_to_pages_of_the_ui() {
        assert_eq!(
            safe_next(Some("/ui/destinations/ab")),
            "/ui/destinations/ab"
        );
        assert_eq!(safe_next(Some("https://evil.example/ui")), "/ui");
        assert_eq!(safe_next(Some("//evil.example")), "/ui");
        assert_eq!(safe_next(Some("/api/v1/sources")), "/ui");
        assert_eq!(safe_next(Some("/ui\\..")), "/ui");
        assert_eq!(safe_next(None), "/ui");
    }
}
