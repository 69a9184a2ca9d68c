//! The web UI over real HTTP (the app on 127.0.0.1, a plain HTTP/1.1 client): sign-in
//! and its CSRF cookie, sessions, the CSRF token every post must carry, escaping of
//! what the user typed, security headers, and a destination configured through the
//! forms that the API and analytics.js then see. The whole path in a browser is
//! `tests/browser/ui-e2e.js`.

mod support;

use support::{cookie_value, request, sign_in, start};

#[test]
fn sign_in_needs_the_forms_own_cookie_and_the_admin_token() {
    let server = start("signin");
    let (addr, token) = (server.addr, server.token.clone());
    let r = request(addr, "GET", "/ui/destinations?x=1", "", "");
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("/ui/signin?next=%2Fui%2Fdestinations%3Fx%3D1")
    );

    let page = request(addr, "GET", "/ui/signin?next=https://evil.example/", "", "");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"name="next" value="/ui""#),
        "an outside `next` is dropped"
    );
    let set = page.cookies();
    assert!(
        set[0].contains("; Path=/ui; HttpOnly; SameSite=Strict"),
        "{set:?}"
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let nonce = cookie_value(set[0], "ia_signin").unwrap();

    // Without the cookie the form came with: refused before the token is even read.
    let forged = request(
        addr,
        "POST",
        "/ui/signin",
        "",
        &format!("_csrf={nonce}&token={token}"),
    );
    assert_eq!(forged.status, 403);
    assert!(forged.cookies().is_empty());
    let wrong = request(
        addr,
        "POST",
        "/ui/signin",
        &format!("ia_signin={nonce}"),
        &format!("_csrf={nonce}&token=guess"),
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("not the admin token"));
    assert!(!wrong.cookies().iter().any(|c| c.starts_with("ia_session=")));

    let session = sign_in(addr, &token);
    assert_eq!(
        request(addr, "GET", "/ui/catalog", &session, "").status,
        200
    );
    let catalog = request(addr, "GET", "/ui/catalog", &session, "");
    let out = request(
        addr,
        "POST",
        "/ui/signout",
        &session,
        &format!("_csrf={}", catalog.csrf()),
    );
    assert_eq!(out.status, 303);
    assert!(out
        .cookies()
        .iter()
        .any(|c| c.starts_with("ia_session=;") && c.contains("Max-Age=0")));
    assert_eq!(
        request(addr, "GET", "/ui/catalog", &session, "").status,
        303
    );
}

#[test]
fn every_post_needs_the_sessions_csrf_token_and_typed_text_is_escaped() {
    let server = start("csrf");
    let (addr, token) = (server.addr, server.token.clone());
    let session = sign_in(addr, &token);
    let page = request(
        addr,
        "GET",
        "/ui/catalog/actions-iterate/configure",
        &session,
        "",
    );
    let csrf = page.csrf();
    let form = "source=new&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let refused = request(
        addr,
        "POST",
        "/ui/catalog/actions-iterate/configure",
        &session,
        form,
    );
    assert_eq!(refused.status, 403);
    let refused = request(
        addr,
        "POST",
        "/ui/catalog/actions-iterate/configure",
        &session,
        &format!("{form}&_csrf=not-{csrf}"),
    );
    assert_eq!(refused.status, 403);
    let other = sign_in(addr, &token);
    let refused = request(
        addr,
        "POST",
        "/ui/catalog/actions-iterate/configure",
        &other,
        &format!("{form}&_csrf={csrf}"),
    );
    assert_eq!(refused.status, 403, "another session's token");

    let created = request(
        addr,
        "POST",
        "/ui/catalog/actions-iterate/configure",
        &session,
        &format!("{form}&_csrf={csrf}"),
    );
    assert_eq!(created.status, 303);
    let key_step = created.header("location").unwrap().to_string();
    let page = request(addr, "GET", &key_step, &session, "");
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.body.contains("<script>alert"));

    let search = request(addr, "GET", "/ui/catalog?q=%22%3E%3Cb%3E", &session, "");
    assert!(search.body.contains(r#"value="&quot;&gt;&lt;b&gt;""#));
    assert!(search.body.contains("No destination matches this search."));
}

#[test]
fn a_destination_configured_through_the_forms_is_what_the_api_and_analytics_js_see() {
    let server = start("configure");
    let (addr, token) = (server.addr, server.token.clone());
    let session = sign_in(addr, &token);
    let csrf = request(addr, "GET", "/ui/catalog", &session, "").csrf();
    let r = request(
        addr,
        "POST",
        "/ui/catalog/actions-iterate/configure",
        &session,
        &format!("_csrf={csrf}&source=new&name=Shop"),
    );
    let key_step = r.header("location").unwrap().to_string();
    let missing = request(
        addr,
        "POST",
        &key_step,
        &session,
        &format!("_csrf={csrf}&apiKey=+&enabled=on"),
    );
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains(r#"id="apiKey-error""#));
    let r = request(
        addr,
        "POST",
        &key_step,
        &session,
        &format!("_csrf={csrf}&apiKey=k-1&enabled=on"),
    );
    assert_eq!(r.status, 303);
    let dest_page = r.header("location").unwrap().to_string();
    let id = dest_page.rsplit('/').next().unwrap().to_string();

    let page = request(addr, "GET", &dest_page, &session, "");
    assert!(page
        .body
        .contains("is connected, with its 2 presets enabled."));
    assert!(page.body.contains("2 of 50 mappings"));
    let write_key = page
        .body
        .split("writeKey: &quot;")
        .nth(1)
        .and_then(|s| s.split("&quot;").next())
        .unwrap()
        .to_string();
    let settings = request(
        addr,
        "GET",
        &format!("/v1/projects/{write_key}/settings"),
        "",
        "",
    );
    assert!(settings.body.contains(r#""apiKey":"k-1""#));

    // A stale version is a conflict, shown next to the setting; then a real change,
    // which what analytics.js reads follows at once (the settings cache is emptied).
    let stale = request(
        addr,
        "POST",
        &format!("/ui/destinations/{id}/settings"),
        &session,
        &format!("_csrf={csrf}&apiKey=k-2&version=0"),
    );
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("changed since the page was loaded"));
    let saved = request(
        addr,
        "POST",
        &format!("/ui/destinations/{id}/settings"),
        &session,
        &format!("_csrf={csrf}&apiKey=k-2&version=1"),
    );
    assert_eq!(saved.status, 303);
    let settings = request(
        addr,
        "GET",
        &format!("/v1/projects/{write_key}/settings"),
        "",
        "",
    );
    assert!(
        settings.body.contains(r#""apiKey":"k-2""#),
        "{}",
        settings.body
    );

    let history = request(
        addr,
        "GET",
        &format!("/ui/destinations/{id}/versions"),
        &session,
        "",
    );
    assert!(history.body.contains("Created with 2 mappings"));
    assert!(history.body.contains("<del>k-1</del>"));
    let missing = request(
        addr,
        "GET",
        &format!("/ui/destinations/{id}/mappings/nope"),
        &session,
        "",
    );
    assert_eq!(missing.status, 404);
    assert_eq!(
        request(addr, "GET", "/ui/nowhere", &session, "").status,
        404
    );
}
