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

/// The sources page, which must answer 200.
fn sources_page(addr: std::net::SocketAddr, session: &str) -> support::Reply {
    let page = request(addr, "GET", "/ui/sources", session, "");
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

#[test]
fn sources_are_created_renamed_disabled_and_deleted_from_their_page() {
    let server = start("sources");
    let (addr, token) = (server.addr, server.token.clone());
    let session = sign_in(addr, &token);
    let page = sources_page(addr, &session);
    assert!(page
        .body
        .contains(r#"<a href="/ui/sources" aria-current="page">Sources</a>"#));
    assert!(page.body.contains("No sources yet"));
    assert!(page
        .body
        .contains(r#"<p class="count" id="source-count">0 sources</p>"#));
    let csrf = page.csrf();
    let sources = || server.api("GET", "/sources", None).json();

    // Refused without the session's token, or with another's: nothing is created.
    for form in [
        "name=Shop".to_string(),
        format!("name=Shop&_csrf=not-{csrf}"),
    ] {
        assert_eq!(
            request(addr, "POST", "/ui/sources", &session, &form).status,
            403
        );
    }
    let other = sign_in(addr, &token);
    assert_eq!(
        request(
            addr,
            "POST",
            "/ui/sources",
            &other,
            &format!("name=Shop&_csrf={csrf}")
        )
        .status,
        403
    );
    assert_eq!(sources(), serde_json::json!([]));

    // An empty name is refused next to the field, with what was typed kept.
    let empty = request(
        addr,
        "POST",
        "/ui/sources",
        &session,
        &format!("_csrf={csrf}&name=+++"),
    );
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains(r#"id="new-source-name-error""#));
    assert!(empty.body.contains("`name` must not be empty"));
    assert!(empty.body.contains(
        r#"aria-describedby="new-source-name-hint new-source-name-error" aria-invalid="true""#
    ));
    assert_eq!(sources(), serde_json::json!([]));

    // Created (the name trimmed and escaped), back to its card with a notice.
    let created = request(
        addr,
        "POST",
        "/ui/sources",
        &session,
        &format!("_csrf={csrf}&name=+Shop+%3Cb%3E+"),
    );
    assert_eq!(created.status, 303);
    let list = sources();
    let src = &list[0];
    let (id, key) = (
        src["id"].as_str().unwrap().to_string(),
        src["writeKey"].as_str().unwrap().to_string(),
    );
    assert_eq!(src["name"], "Shop <b>");
    assert_eq!(src["enabled"], true);
    assert_eq!(
        created.header("location"),
        Some(format!("/ui/sources#source-{id}").as_str())
    );
    let page = sources_page(addr, &session);
    assert!(page.body.contains(&format!(
        "Source “Shop &lt;b&gt;” created, enabled, with write key {key}."
    )));
    assert!(!page.body.contains("<b>"));
    assert!(page.body.contains(&format!(r#"data-copy="key-{id}""#)));
    assert!(page.body.contains(&format!(
        r#"<a href="/v1/projects/{key}/settings">/v1/projects/{key}/settings</a>"#
    )));
    assert!(page.body.contains("None yet."));

    // Its destinations are listed with links.
    let d = server.api(
        "POST",
        "/destinations",
        Some(&serde_json::json!({"sourceId": id, "settings": {"apiKey": "k"}})),
    );
    assert_eq!(d.status, 201);
    let dest = d.json()["id"].as_str().unwrap().to_string();
    let page = sources_page(addr, &session);
    assert!(page.body.contains(&format!(
        r#"<a href="/ui/destinations/{dest}">Iterate (Actions)</a>"#
    )));
    assert!(page.body.contains("2 of 50 mappings"));
    let settings = |status: u16| {
        let r = request(addr, "GET", &format!("/v1/projects/{key}/settings"), "", "");
        assert_eq!(r.status, status, "{}", r.body);
    };
    settings(200);

    // Rename: empty is refused in the card (nothing changes), then a real name.
    let rename = format!("/ui/sources/{id}/rename");
    assert_eq!(
        request(addr, "POST", &rename, &session, "name=Storefront").status,
        403
    );
    let empty = request(
        addr,
        "POST",
        &rename,
        &session,
        &format!("_csrf={csrf}&name=+"),
    );
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains(&format!(r#"id="rename-{id}-error""#)));
    assert!(empty.body.contains(&format!(
        r#"aria-invalid="true" aria-describedby="rename-{id}-error""#
    )));
    assert!(empty.body.contains(r#"<details class="rename" open>"#));
    assert_eq!(sources()[0]["name"], "Shop <b>");
    let renamed = request(
        addr,
        "POST",
        &rename,
        &session,
        &format!("_csrf={csrf}&name=Storefront"),
    );
    assert_eq!(renamed.status, 303);
    assert_eq!(sources()[0]["name"], "Storefront");
    assert!(sources_page(addr, &session)
        .body
        .contains("Source renamed to “Storefront”."));

    // Disable: the settings endpoint answers 404 at once (the cached document is
    // stale), and the UI says so; a forged post changes nothing.
    let enabled = format!("/ui/sources/{id}/enabled");
    assert_eq!(
        request(addr, "POST", &enabled, &session, "enabled=off").status,
        403
    );
    assert_eq!(sources()[0]["enabled"], true);
    settings(200);
    let off = request(
        addr,
        "POST",
        &enabled,
        &session,
        &format!("_csrf={csrf}&enabled=off"),
    );
    assert_eq!(off.status, 303);
    assert_eq!(sources()[0]["enabled"], false);
    settings(404);
    let page = sources_page(addr, &session);
    assert!(page.body.contains("its settings endpoint answers 404"));
    assert!(page
        .body
        .contains(r#"aria-label="Enable Storefront">Enable</button>"#));
    let dest_page = request(
        addr,
        "GET",
        &format!("/ui/destinations/{dest}"),
        &session,
        "",
    );
    assert!(dest_page
        .body
        .contains("The source <strong>Storefront</strong> is disabled"));
    assert!(dest_page.body.contains("Enable it on the Sources page"));
    let on = request(
        addr,
        "POST",
        &enabled,
        &session,
        &format!("_csrf={csrf}&enabled=on"),
    );
    assert_eq!(on.status, 303);
    settings(200);

    // Delete: the confirmation names the destination that goes with it.
    let confirm = request(
        addr,
        "GET",
        &format!("/ui/sources/{id}/delete"),
        &session,
        "",
    );
    assert_eq!(confirm.status, 200);
    assert!(confirm.body.contains("Delete the source “Storefront”?"));
    assert!(confirm.body.contains("Its destination is deleted with it, each with its mappings, its version history and its delivery log"));
    assert!(confirm
        .body
        .contains(&format!(r#"href="/ui/destinations/{dest}""#)));
    assert!(confirm
        .body
        .contains(&format!(r#"name="destinations" value="{dest}""#)));
    let delete = format!("/ui/sources/{id}/delete");
    assert_eq!(
        request(
            addr,
            "POST",
            &delete,
            &session,
            &format!("destinations={dest}")
        )
        .status,
        403
    );
    // A destination added after the confirmation was shown: refused, shown again.
    let d2 = server.api(
        "POST",
        "/destinations",
        Some(&serde_json::json!({"sourceId": id, "settings": {"apiKey": "k2"}})),
    );
    let dest2 = d2.json()["id"].as_str().unwrap().to_string();
    let stale = request(
        addr,
        "POST",
        &delete,
        &session,
        &format!("_csrf={csrf}&destinations={dest}"),
    );
    assert_eq!(stale.status, 409);
    assert!(stale
        .body
        .contains("changed since this page was shown, so nothing was deleted"));
    assert!(stale
        .body
        .contains("Its 2 destinations are deleted with it"));
    assert_eq!(sources().as_array().unwrap().len(), 1);
    let deleted = request(
        addr,
        "POST",
        &delete,
        &session,
        &format!("_csrf={csrf}&destinations={dest2}%2C{dest}"),
    );
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.header("location"), Some("/ui/sources"));
    assert!(sources_page(addr, &session)
        .body
        .contains("Source “Storefront” deleted, with its 2 destinations."));
    assert_eq!(sources(), serde_json::json!([]));
    for d in [&dest, &dest2] {
        assert_eq!(
            server
                .api("GET", &format!("/destinations/{d}"), None)
                .status,
            404
        );
        assert_eq!(
            server
                .api("GET", &format!("/destinations/{d}/versions"), None)
                .status,
            404
        );
    }
    settings(404);

    // A source that is gone is a 404 page, for every form.
    assert_eq!(request(addr, "GET", &delete, &session, "").status, 404);
    for path in [&rename, &enabled, &delete] {
        let r = request(
            addr,
            "POST",
            path,
            &session,
            &format!("_csrf={csrf}&name=x&enabled=on"),
        );
        assert_eq!(r.status, 404, "{path}");
    }
    // Also with a blank name: the missing source is what the page says.
    let r = request(
        addr,
        "POST",
        &rename,
        &session,
        &format!("_csrf={csrf}&name=+"),
    );
    assert_eq!(r.status, 404, "a blank rename of a missing source");
}

#[test]
fn a_source_without_destinations_is_deleted_alone_and_the_api_takes_the_same_path() {
    let server = start("source-alone");
    let (addr, token) = (server.addr, server.token.clone());
    let session = sign_in(addr, &token);
    // The API trims names and refuses empty ones, as the form does.
    let r = server.api(
        "POST",
        "/sources",
        Some(&serde_json::json!({"name": "  Spare  "})),
    );
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["name"], "Spare");
    let r = server.api(
        "PATCH",
        &format!("/sources/{id}"),
        Some(&serde_json::json!({"name": " "})),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["details"][0]["pointer"], "/name");

    let confirm = request(
        addr,
        "GET",
        &format!("/ui/sources/{id}/delete"),
        &session,
        "",
    );
    assert!(confirm
        .body
        .contains("It has no destinations: only the source and its write key are deleted."));
    assert!(confirm
        .body
        .contains(r#"<button type="submit" class="danger">Delete the source</button>"#));
    let csrf = confirm.csrf();
    let r = request(
        addr,
        "POST",
        &format!("/ui/sources/{id}/delete"),
        &session,
        &format!("_csrf={csrf}&destinations="),
    );
    assert_eq!(r.status, 303);
    assert!(sources_page(addr, &session)
        .body
        .contains("Source “Spare” deleted."));
    assert_eq!(
        server.api("GET", &format!("/sources/{id}"), None).status,
        404
    );
    assert_eq!(
        server.api("DELETE", &format!("/sources/{id}"), None).status,
        404
    );
}
