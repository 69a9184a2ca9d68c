//! Markup helpers: escaping, the page frame, and small shared pieces. Pages are Rust
//! strings; every value that did not come from this file goes through [`e`] (text and
//! quoted attributes), [`url_encode`] (query values) or [`json_script`] (data for JS).

use super::session::Session;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::fmt::{self, Display, Write as _};

/// `s` safe inside element text and inside single- or double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes while formatting: `format!("<p>{}</p>", e(name))`.
#[derive(Debug, Clone, Copy)]
pub struct E<'a>(&'a str);

pub fn e(s: &str) -> E<'_> {
    E(s)
}

impl Display for E<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(self.0))
    }
}

/// A query-string component: unreserved characters kept, everything else `%XX`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Data for the page's scripts: a JSON `<script>` block the browser never executes.
/// `<`, `>` and `&` are escaped as JSON escapes, so no text can close the element.
pub fn json_script(id: &str, value: &Value) -> String {
    let json = value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    format!(
        r#"<script type="application/json" id="{}">{json}</script>"#,
        e(id)
    )
}

/// JSON for people: two-space indented.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Which top-level section a page belongs to (the highlighted navigation item).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Catalog,
    Sources,
    Destinations,
    None,
}

/// Everything around a page's main content.
#[derive(Debug)]
pub struct Frame<'a> {
    pub title: String,
    pub session: Option<&'a Session>,
    pub nav: Nav,
    /// Links above the title, outermost first; the last is the current page (no link).
    pub crumbs: Vec<(String, Option<String>)>,
    pub notice: Option<String>,
    /// Extra scripts (paths under `/ui/assets/`).
    pub scripts: &'static [&'static str],
}

impl<'a> Frame<'a> {
    pub fn new(title: impl Into<String>, session: Option<&'a Session>, nav: Nav) -> Frame<'a> {
        Frame {
            title: title.into(),
            session,
            nav,
            crumbs: Vec::new(),
            notice: None,
            scripts: &[],
        }
    }

    pub fn crumb(mut self, text: impl Into<String>, href: Option<String>) -> Frame<'a> {
        self.crumbs.push((text.into(), href));
        self
    }

    pub fn notice(mut self, notice: Option<String>) -> Frame<'a> {
        self.notice = notice;
        self
    }

    pub fn scripts(mut self, scripts: &'static [&'static str]) -> Frame<'a> {
        self.scripts = scripts;
        self
    }

    /// The whole document around `main`.
    pub fn render(&self, main: &str) -> String {
        let mut nav = String::new();
        if let Some(s) = self.session {
            let item = |href: &str, text: &str, which: Nav| {
                let current = if self.nav == which {
                    r#" aria-current="page""#
                } else {
                    ""
                };
                format!(r#"<li><a href="{href}"{current}>{text}</a></li>"#)
            };
            let _ = write!(
                nav,
                r#"<nav aria-label="Main"><ul>{}{}{}</ul></nav>
<form method="post" action="/ui/signout" class="signout">{}<button type="submit" class="link">Sign out</button></form>"#,
                item("/ui/catalog", "Catalog", Nav::Catalog),
                item("/ui/sources", "Sources", Nav::Sources),
                item("/ui/destinations", "Destinations", Nav::Destinations),
                csrf_input(s),
            );
        }
        let mut crumbs = String::new();
        if !self.crumbs.is_empty() {
            crumbs.push_str(r#"<nav aria-label="Breadcrumb" class="crumbs"><ol>"#);
            for (text, href) in &self.crumbs {
                match href {
                    Some(h) => {
                        let _ = write!(crumbs, r#"<li><a href="{}">{}</a></li>"#, e(h), e(text));
                    }
                    None => {
                        let _ = write!(crumbs, r#"<li aria-current="page">{}</li>"#, e(text));
                    }
                }
            }
            crumbs.push_str("</ol></nav>");
        }
        let notice = self
            .notice
            .as_deref()
            .map(|n| format!(r#"<p class="notice" role="status">{}</p>"#, e(n)))
            .unwrap_or_default();
        let scripts: String = self
            .scripts
            .iter()
            .map(|s| format!(r#"<script src="/ui/assets/{s}" defer></script>"#))
            .collect();
        format!(
            r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · iterate-actions</title>
<link rel="stylesheet" href="/ui/assets/ui.css">
<script src="/ui/assets/ui.js" defer></script>{scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/ui">iterate-actions</a>{nav}</header>
<main id="main" tabindex="-1">
{crumbs}{notice}{main}
</main>
</body>
</html>
"##,
            title = e(&self.title),
        )
    }
}

/// The hidden CSRF field every form that changes something carries.
pub fn csrf_input(s: &Session) -> String {
    format!(
        r#"<input type="hidden" name="_csrf" value="{}">"#,
        e(&s.csrf)
    )
}

/// An HTML response with the UI's headers: no caching of pages, a strict policy on
/// what the page may load (scripts from here, WebAssembly compiled from them).
pub fn page(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A 303 to `to` (after a form post, so reloading does not post again).
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// One error message, placed next to what it is about.
pub fn error_text(id: &str, message: &str) -> String {
    format!(
        r#"<p class="error" id="{}" role="alert">{}</p>"#,
        e(id),
        e(message)
    )
}

/// A yes/no badge.
pub fn badge(on: bool, yes: &str, no: &str) -> String {
    if on {
        format!(r#"<span class="badge on">{}</span>"#, e(yes))
    } else {
        format!(r#"<span class="badge off">{}</span>"#, e(no))
    }
}

/// A block of text with a copy button (the button copies the element's text; its
/// accessible name says what, since a page can have several).
pub fn copyable(id: &str, label: &str, text: &str) -> String {
    format!(
        r#"<div class="copyable"><pre id="{id}" tabindex="0" aria-label="{label}"><code>{text}</code></pre><button type="button" class="copy" data-copy="{id}" aria-label="Copy {label}">Copy</button><span class="copied" role="status" aria-live="polite"></span></div>"#,
        id = e(id),
        label = e(label),
        text = e(text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_text_and_both_attribute_quotes() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("plain é ✓"), "plain é ✓");
        assert_eq!(format!("<p>{}</p>", e("<script>")), "<p>&lt;script&gt;</p>");
    }

    #[test]
    fn url_encode_keeps_only_unreserved_characters() {
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(url_encode("Az09-_.~"), "Az09-_.~");
    }

    #[test]
    fn json_script_cannot_be_closed_by_data() {
        let v = serde_json::json!({"name": "</script><script>alert(1)</script>", "a": "&"});
        let html = json_script("data", &v);
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        let inner = html
            .trim_start_matches(r#"<script type="application/json" id="data">"#)
            .trim_end_matches("</script>");
        let back: Value = serde_json::from_str(inner).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn the_frame_escapes_titles_crumbs_and_notices() {
        let html = Frame::new("<b>", None, Nav::None)
            .crumb("a<", Some("/ui/x?a=\"".into()))
            .crumb("b>", None)
            .notice(Some("<i>".into()))
            .render("");
        assert!(!html.contains("<b>") && !html.contains("<i>") && !html.contains("a<"));
        assert!(html.contains("&lt;b&gt;") && html.contains("/ui/x?a=&quot;"));
    }
}
