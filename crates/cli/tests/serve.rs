//! The control plane over real HTTP: a real `iterate-actions serve` process on
//! 127.0.0.1 with a temporary database. Every endpoint, bad input that must change
//! nothing, optimistic concurrency, versions, what analytics.js reads, and durability
//! across `kill -9`.

mod support;

use serde_json::{json, Value};
use support::{start, temp_db, Server};

fn create_source(s: &Server, name: &str) -> Value {
    let r = s.api("POST", "/sources", Some(json!({"name": name})));
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn create_destination(s: &Server, source: &str) -> Value {
    let r = s.api(
        "POST",
        "/destinations",
        Some(json!({"sourceId": source, "slug": "actions-iterate", "enabled": true, "settings": {"apiKey": "embed-key"}})),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn assert_error(r: &support::Response, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    let body = r.json();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["details"].is_array(), "{body}");
}

#[test]
fn sources_can_be_created_listed_read_changed_and_deleted() {
    let s = start(&temp_db("sources"), &[]);
    let created = create_source(&s, "Marketing site");
    let id = created["id"].as_str().unwrap();
    let key = created["writeKey"].as_str().unwrap();
    assert_eq!(created["name"], "Marketing site");
    assert_eq!(created["enabled"], true);
    assert!(
        key.len() >= 32 && key.chars().all(|c| c.is_ascii_hexdigit()),
        "{key}"
    );

    let list = s.api("GET", "/sources", None).json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let one = s.api("GET", &format!("/sources/{id}"), None);
    let tag = one.header("etag").expect("an ETag").to_string();

    let stale = s.api_with(
        "PATCH",
        &format!("/sources/{id}"),
        &[("If-Match", "\"999\"")],
        Some(json!({"name": "X"})),
    );
    assert_error(&stale, 409, "conflict");
    assert_eq!(
        s.api("GET", &format!("/sources/{id}"), None).json()["name"],
        "Marketing site"
    );

    let changed = s.api_with(
        "PATCH",
        &format!("/sources/{id}"),
        &[("If-Match", &tag)],
        Some(json!({"name": "Shop", "enabled": false})),
    );
    assert_eq!(changed.status, 200);
    assert_eq!(changed.json()["name"], "Shop");
    assert_ne!(changed.header("etag"), Some(tag.as_str()));

    assert_eq!(s.api("DELETE", &format!("/sources/{id}"), None).status, 204);
    assert_error(
        &s.api("GET", &format!("/sources/{id}"), None),
        404,
        "not_found",
    );
}

#[test]
fn a_destination_starts_with_its_presets_and_every_change_is_a_version() {
    let s = start(&temp_db("destinations"), &[]);
    let source = create_source(&s, "Site");
    let d = create_destination(&s, source["id"].as_str().unwrap());
    let id = d["id"].as_str().unwrap().to_string();
    let names: Vec<_> = d["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].clone())
        .collect();
    assert_eq!(names, [json!("Track Event"), json!("Identify User")]);
    assert!(d["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["enabled"] == true));
    assert_eq!(
        s.api("GET", "/catalog", None).json()[0]["slug"],
        "actions-iterate"
    );
    assert_eq!(
        s.api(
            "GET",
            &format!("/destinations?sourceId={}", source["id"].as_str().unwrap()),
            None
        )
        .json()
        .as_array()
        .map(Vec::len),
        Some(1)
    );

    // A custom mapping: created, read, changed, tested, deleted.
    let m = s.api(
        "POST",
        &format!("/destinations/{id}/mappings"),
        Some(json!({"name": "Checkout survey", "enabled": true, "subscribe": "type = \"track\" and event = \"Order Completed\"", "partnerAction": "trackEvent", "mapping": {"name": {"@template": "{{event}} ({{properties.plan}})"}}})),
    );
    assert_eq!(m.status, 201, "{}", String::from_utf8_lossy(&m.body));
    let mid = m.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        s.api("GET", &format!("/destinations/{id}/mappings/{mid}"), None)
            .json()["name"],
        "Checkout survey"
    );
    assert_eq!(
        s.api("GET", &format!("/destinations/{id}/mappings"), None)
            .json()
            .as_array()
            .map(Vec::len),
        Some(3)
    );

    let tested = s.api("POST", &format!("/destinations/{id}/test"), Some(json!({"event": {"type": "track", "event": "Order Completed", "properties": {"plan": "pro"}}})));
    assert_eq!(tested.status, 200);
    let t = tested.json();
    assert_eq!(
        t["calls"],
        json!([
            ["event", "Order Completed"],
            ["event", "Order Completed (pro)"]
        ])
    );
    let custom = t["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mapping"] == mid.as_str())
        .unwrap()
        .clone();
    assert_eq!(custom["matched"], true);
    assert_eq!(custom["payload"], json!({"name": "Order Completed (pro)"}));
    let unnamed = s
        .api(
            "POST",
            &format!("/destinations/{id}/test"),
            Some(json!({"event": {"type": "track"}})),
        )
        .json();
    assert!(
        unnamed["mappings"][0]["problems"][0]
            .as_str()
            .unwrap()
            .contains("missing the required field 'name'"),
        "{unnamed}"
    );

    let patched = s.api(
        "PATCH",
        &format!("/destinations/{id}/mappings/{mid}"),
        Some(json!({"enabled": false})),
    );
    assert_eq!(patched.status, 200);
    assert_eq!(patched.json()["enabled"], false);
    assert_eq!(patched.json()["name"], "Checkout survey");

    // The configuration in Segment's shape, and its replacement all or nothing.
    let config = s.api("GET", &format!("/destinations/{id}/config"), None);
    let tag = config.header("etag").unwrap().to_string();
    let mut config = config.json();
    assert_eq!(config["apiKey"], "embed-key");
    config["subscriptions"].as_array_mut().unwrap().truncate(1);
    let put = s.api_with(
        "PUT",
        &format!("/destinations/{id}/config"),
        &[("If-Match", &tag)],
        Some(config.clone()),
    );
    assert_eq!(put.status, 200);
    assert_eq!(
        s.api("GET", &format!("/destinations/{id}/mappings"), None)
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let stale = s.api_with(
        "PUT",
        &format!("/destinations/{id}/config"),
        &[("If-Match", &tag)],
        Some(config),
    );
    assert_error(&stale, 409, "conflict");

    assert_eq!(
        s.api(
            "DELETE",
            &format!(
                "/destinations/{id}/mappings/{}",
                d["mappings"][0]["id"].as_str().unwrap()
            ),
            None
        )
        .status,
        204
    );

    // Versions: created, mapping added, mapping changed, replaced, mapping deleted.
    let versions = s
        .api("GET", &format!("/destinations/{id}/versions"), None)
        .json();
    let summaries: Vec<_> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["summary"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        summaries,
        [
            "created with its presets",
            "mapping added",
            "mapping changed",
            "configuration replaced",
            "mapping deleted"
        ]
    );
    assert!(versions[0]["createdAt"].as_str().unwrap().ends_with('Z'));
    let restored = s.api_with(
        "POST",
        &format!("/destinations/{id}/versions/2/restore"),
        &[("X-Actor", "ada")],
        None,
    );
    assert_eq!(
        restored.status,
        200,
        "{}",
        String::from_utf8_lossy(&restored.body)
    );
    assert_eq!(
        restored.json()["mappings"].as_array().map(Vec::len),
        Some(3)
    );
    let last = s
        .api("GET", &format!("/destinations/{id}/versions"), None)
        .json()
        .as_array()
        .unwrap()
        .last()
        .cloned()
        .unwrap();
    assert_eq!(
        (last["author"].as_str(), last["summary"].as_str()),
        (Some("ada"), Some("restored version 2"))
    );

    let patched = s.api(
        "PATCH",
        &format!("/destinations/{id}"),
        Some(json!({"enabled": false, "settings": {"apiKey": "other"}})),
    );
    assert_eq!(patched.json()["settings"]["apiKey"], "other");
    assert_eq!(
        s.api("DELETE", &format!("/destinations/{id}"), None).status,
        204
    );
    assert_error(
        &s.api("GET", &format!("/destinations/{id}"), None),
        404,
        "not_found",
    );
}

#[test]
fn bad_input_gets_the_right_error_and_changes_nothing() {
    let s = start(&temp_db("bad-input"), &[]);
    let source = create_source(&s, "Site");
    let d = create_destination(&s, source["id"].as_str().unwrap());
    let id = d["id"].as_str().unwrap().to_string();
    let snapshot = |s: &Server| {
        (
            s.api("GET", &format!("/destinations/{id}/config"), None)
                .json(),
            s.api("GET", &format!("/destinations/{id}/versions"), None)
                .json()
                .as_array()
                .map(Vec::len),
            s.api("GET", "/sources", None).json(),
        )
    };
    let before = snapshot(&s);
    let mappings = format!("/api/v1/destinations/{id}/mappings");
    let auth = format!("Bearer {}", support::TOKEN);
    let raw = |body: &[u8]| s.request("POST", &mappings, &[("Authorization", &auth)], Some(body));

    assert_error(&raw(b"{not json"), 400, "bad_request");
    assert_error(&raw(b"[1, 2]"), 400, "bad_request");
    assert_error(&raw(&vec![b' '; 10 * 1024 * 1024]), 413, "too_large");
    assert_error(
        &s.api(
            "POST",
            &format!("/destinations/{id}/mappings"),
            Some(json!({"subscribe": 5, "partnerAction": "trackEvent"})),
        ),
        422,
        "invalid",
    );
    assert_error(
        &s.api("POST", "/sources", Some(json!({"name": ""}))),
        422,
        "invalid",
    );
    assert_error(
        &s.api(
            "POST",
            "/destinations",
            Some(json!({"sourceId": "nope", "settings": {"apiKey": "k"}})),
        ),
        422,
        "invalid",
    );
    assert_error(&s.api("GET", "/destinations/nope", None), 404, "not_found");
    // A missing resource is a 404 whatever the body: it is looked up first.
    for (method, path, body) in [
        ("PATCH", "/sources/nope".to_string(), json!({"name": ""})),
        (
            "PATCH",
            "/destinations/nope".to_string(),
            json!({"settings": 5}),
        ),
        ("PUT", "/destinations/nope/config".to_string(), json!({})),
        (
            "POST",
            "/destinations/nope/mappings".to_string(),
            json!({"trigger": 5}),
        ),
        (
            "POST",
            "/destinations/nope/test".to_string(),
            json!({"event": 5}),
        ),
        (
            "PATCH",
            format!("/destinations/{id}/mappings/nope"),
            json!({"trigger": 5}),
        ),
    ] {
        assert_error(&s.api(method, &path, Some(body)), 404, "not_found");
    }
    assert_error(
        &s.api("GET", &format!("/destinations/{id}/mappings/nope"), None),
        404,
        "not_found",
    );
    assert_error(
        &s.api(
            "POST",
            &format!("/destinations/{id}/versions/99/restore"),
            None,
        ),
        404,
        "not_found",
    );
    assert_error(
        &s.api(
            "POST",
            &format!("/destinations/{id}/versions/first/restore"),
            None,
        ),
        404,
        "not_found",
    );
    assert_error(
        &s.request("GET", "/api/v1/sources", &[], None),
        401,
        "unauthorized",
    );
    assert_error(
        &s.request(
            "GET",
            "/api/v1/sources",
            &[("Authorization", "Bearer wrong")],
            None,
        ),
        401,
        "unauthorized",
    );
    assert_error(&s.request("GET", "/nowhere", &[], None), 404, "not_found");

    let invalid = s.api(
        "POST",
        &format!("/destinations/{id}/mappings"),
        Some(json!({"name": "Bad", "subscribe": "type = \"track\" and (event = \"x\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}})),
    );
    assert_error(&invalid, 422, "invalid");
    let detail = &invalid.json()["details"][0];
    assert_eq!(detail["code"], "FQL013");
    assert_eq!(detail["pointer"], "/subscriptions/2/subscribe");
    assert_eq!(detail["span"]["start"], 19);

    let bad_mapping = s.api(
        "PATCH",
        &format!(
            "/destinations/{id}/mappings/{}",
            d["mappings"][0]["id"].as_str().unwrap()
        ),
        Some(json!({"mapping": {"name": {"@if": {"exists": {"@path": 5}}}}})),
    );
    assert_error(&bad_mapping, 422, "invalid");
    assert!(bad_mapping.json()["details"][0]["pointer"]
        .as_str()
        .unwrap()
        .starts_with("/subscriptions/0/mapping/name"));
    assert_eq!(snapshot(&s), before, "refused writes changed something");

    // 48 more mappings fill the limit of 50; the 51st is refused, naming the limit.
    for i in 0..48 {
        let r = s.api("POST", &format!("/destinations/{id}/mappings"), Some(json!({"name": format!("m{i}"), "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": "x"}})));
        assert_eq!(r.status, 201);
    }
    let full = snapshot(&s);
    let over = s.api("POST", &format!("/destinations/{id}/mappings"), Some(json!({"name": "one too many", "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": "x"}})));
    assert_error(&over, 422, "invalid");
    assert!(
        over.json()["message"]
            .as_str()
            .unwrap()
            .contains("limit of 50"),
        "{}",
        over.json()
    );
    assert_eq!(snapshot(&s), full);
}

#[test]
fn analytics_js_reads_settings_for_enabled_write_keys_only() {
    let s = start(&temp_db("settings"), &[]);
    let a = create_source(&s, "A");
    let b = create_source(&s, "B");
    let da = create_destination(&s, a["id"].as_str().unwrap());
    create_destination(&s, b["id"].as_str().unwrap());
    let off = da["mappings"][1]["id"].as_str().unwrap();
    s.api(
        "PATCH",
        &format!(
            "/destinations/{}/mappings/{off}",
            da["id"].as_str().unwrap()
        ),
        Some(json!({"enabled": false})),
    );

    let path = format!("/v1/projects/{}/settings", a["writeKey"].as_str().unwrap());
    let r = s.request("GET", &path, &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r.header("cache-control").is_some());
    let settings = r.json();
    assert!(settings["integrations"]["Segment.io"].is_object());
    let plugins = settings["remotePlugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 1, "only source A's destination");
    let p = &plugins[0];
    assert_eq!(
        (
            p["name"].as_str(),
            p["creationName"].as_str(),
            p["libraryName"].as_str()
        ),
        (
            Some("Iterate Web (Actions)"),
            Some("Iterate Web (Actions)"),
            Some("iterateDestination")
        )
    );
    assert!(p["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("http://{}/bundles/iterate/", s.addr)));
    assert_eq!(p["settings"]["apiKey"], "embed-key");
    let subs: Vec<_> = p["settings"]["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].clone())
        .collect();
    assert_eq!(
        subs,
        [json!("Track Event")],
        "disabled mappings are left out"
    );
    let other_key = b["writeKey"].as_str().unwrap();
    assert!(
        !String::from_utf8_lossy(&r.body).contains(other_key),
        "another source's key leaked"
    );

    let tag = r.header("etag").unwrap().to_string();
    assert_eq!(
        s.request("GET", &path, &[("If-None-Match", &tag)], None)
            .status,
        304
    );

    assert_error(
        &s.request("GET", "/v1/projects/unknown/settings", &[], None),
        404,
        "not_found",
    );
    s.api(
        "PATCH",
        &format!("/sources/{}", a["id"].as_str().unwrap()),
        Some(json!({"enabled": false})),
    );
    assert_error(&s.request("GET", &path, &[], None), 404, "not_found");
}

#[test]
fn the_bundle_is_served_with_its_content_types_and_cached_forever() {
    let dir = temp_db("bundle").with_extension("d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("iterate.js"),
        "window.iterateDestination = function () {}",
    )
    .unwrap();
    std::fs::write(dir.join("iterate.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let s = start(&temp_db("bundle"), &["--bundle", dir.to_str().unwrap()]);
    let source = create_source(&s, "Site");
    create_destination(&s, source["id"].as_str().unwrap());
    let settings = s
        .request(
            "GET",
            &format!(
                "/v1/projects/{}/settings",
                source["writeKey"].as_str().unwrap()
            ),
            &[],
            None,
        )
        .json();
    let url = settings["remotePlugins"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let path = url.split_once(&s.addr).unwrap().1.to_string();
    let js = s.request("GET", &path, &[], None);
    assert_eq!(js.status, 200);
    assert_eq!(js.header("content-type"), Some("text/javascript"));
    assert!(js.header("cache-control").unwrap().contains("immutable"));
    assert_eq!(js.header("access-control-allow-origin"), Some("*"));
    let wasm = s.request(
        "GET",
        &path.replace("iterate.js", "iterate.wasm"),
        &[],
        None,
    );
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, b"\0asm\x01\0\0\0");
    assert_eq!(
        s.request("GET", "/bundles/iterate/0000/iterate.js", &[], None)
            .status,
        404
    );
}

#[test]
fn every_acknowledged_write_survives_kill_9() {
    let db = temp_db("durability");
    let mut acknowledged = Vec::new();
    {
        let mut s = start(&db, &[]);
        let writer = {
            let addr = s.addr.clone();
            std::thread::spawn(move || {
                let client = Server::client(addr);
                let mut acks = Vec::new();
                for i in 0..10_000 {
                    let r = client.api("POST", "/sources", Some(json!({"name": format!("s{i}")})));
                    if r.status != 201 {
                        break;
                    }
                    acks.push(r.json()["id"].as_str().unwrap().to_string());
                }
                acks
            })
        };
        // Let a stream of writes build up, then kill the server without warning.
        while s
            .api("GET", "/sources", None)
            .json()
            .as_array()
            .map_or(0, Vec::len)
            < 100
        {
            std::thread::yield_now();
        }
        s.child.kill().expect("kill -9");
        let _ = s.child.wait();
        acknowledged.extend(writer.join().expect("writer"));
    }
    assert!(acknowledged.len() >= 100);
    let s = start(&db, &[]);
    let stored: std::collections::HashSet<String> = s
        .api("GET", "/sources", None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let mut s = start(&temp_db("sigterm"), &[]);
    create_source(&s, "Before shutdown");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let exit = s.child.wait().expect("the server exits");
    assert!(exit.success(), "exit status after SIGTERM: {exit}");
    // The data written before the signal is there after a restart.
    let db = s.db.clone();
    drop(s);
    let again = start(&db, &[]);
    let names: Vec<Value> = again
        .api("GET", "/sources", None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].clone())
        .collect();
    assert_eq!(names, [json!("Before shutdown")]);
}

#[test]
fn destination_settings_beyond_the_api_key_reach_the_browser() {
    let s = start(&temp_db("options"), &[]);
    let source = create_source(&s, "Site");
    let d = create_destination(&s, source["id"].as_str().unwrap());
    let id = d["id"].as_str().unwrap();
    let path = format!("/destinations/{id}");
    let off = s.api(
        "PATCH",
        &path,
        Some(json!({"settings": {"uninstallOnReset": false}})),
    );
    assert_eq!(off.status, 200, "{}", String::from_utf8_lossy(&off.body));
    assert_eq!(
        off.json()["settings"],
        json!({"apiKey": "embed-key", "uninstallOnReset": false})
    );
    let settings = s
        .request(
            "GET",
            &format!(
                "/v1/projects/{}/settings",
                source["writeKey"].as_str().unwrap()
            ),
            &[],
            None,
        )
        .json();
    assert_eq!(
        settings["remotePlugins"][0]["settings"]["uninstallOnReset"],
        false
    );

    let wrong = s.api(
        "PATCH",
        &path,
        Some(json!({"settings": {"uninstallOnReset": "no"}})),
    );
    assert_error(&wrong, 422, "invalid");
    assert_eq!(wrong.json()["details"][0]["code"], "DEF209");
    assert_error(
        &s.api("PATCH", &path, Some(json!({"settings": {"colour": "red"}}))),
        422,
        "invalid",
    );
    assert_eq!(
        s.api("GET", &path, None).json()["settings"]["uninstallOnReset"],
        false
    );
}

#[test]
fn a_destination_can_be_created_with_all_its_settings() {
    let s = start(&temp_db("create-settings"), &[]);
    let source = create_source(&s, "Site");
    let create = |settings: Value| {
        s.api(
            "POST",
            "/destinations",
            Some(
                json!({"sourceId": source["id"], "slug": "actions-iterate", "settings": settings}),
            ),
        )
    };
    let made =
        create(json!({"apiKey": "k", "consentCategories": ["surveys"], "uninstallOnReset": false}));
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    assert_eq!(
        made.json()["settings"],
        json!({"apiKey": "k", "consentCategories": ["surveys"], "uninstallOnReset": false})
    );
    let unknown = create(json!({"apiKey": "k", "colour": "red"}));
    assert_error(&unknown, 422, "invalid");
    assert_eq!(unknown.json()["details"][0]["pointer"], "/settings/colour");
    let bad = create(json!({"apiKey": "k", "consentCategories": "surveys"}));
    assert_error(&bad, 422, "invalid");
    assert_eq!(bad.json()["details"][0]["pointer"], "/consentCategories");
    assert_eq!(
        s.api("GET", "/destinations", None)
            .json()
            .as_array()
            .map(Vec::len),
        Some(1),
        "refused creations store nothing"
    );
}

#[test]
fn a_mapping_moves_in_the_list_and_the_page_runs_them_in_that_order() {
    let s = start(&temp_db("move"), &[]);
    let source = create_source(&s, "Site");
    let d = create_destination(&s, source["id"].as_str().unwrap());
    let id = d["id"].as_str().unwrap().to_string();
    // A second Track Event mapping: both match a track event, in list order.
    let second = s.api(
        "POST",
        &format!("/destinations/{id}/mappings"),
        Some(json!({"name": "Second", "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": "second"}})),
    );
    assert_eq!(
        second.status,
        201,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    let second_id = second.json()["id"].as_str().unwrap().to_string();
    let names = |s: &Server| -> Vec<String> {
        s.api("GET", &format!("/destinations/{id}/mappings"), None)
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let before = names(&s);
    assert_eq!(before.last().map(String::as_str), Some("Second"));
    let tag = s
        .api("GET", &format!("/destinations/{id}"), None)
        .header("etag")
        .unwrap()
        .to_string();
    let moved = s.api_with(
        "POST",
        &format!("/destinations/{id}/mappings/{second_id}/move"),
        &[("If-Match", &tag)],
        Some(json!({"position": 0})),
    );
    assert_eq!(
        moved.status,
        200,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );
    let after = names(&s);
    assert_eq!(after[0], "Second");
    assert_eq!(after[1..], before[..before.len() - 1]);
    assert_eq!(moved.json().as_array().map(Vec::len), Some(before.len()));
    // The engine runs them in the new order.
    let test = s.api(
        "POST",
        &format!("/destinations/{id}/test"),
        Some(json!({"event": {"type": "track", "event": "Signed Up"}})),
    );
    assert_eq!(
        test.json()["calls"],
        json!([["event", "second"], ["event", "Signed Up"]])
    );
    let versions = s
        .api("GET", &format!("/destinations/{id}/versions"), None)
        .json();
    assert!(versions.to_string().contains("mapping moved"), "{versions}");
    // A stale version, a position past the end, a missing mapping: nothing moves.
    let stale = s.api_with(
        "POST",
        &format!("/destinations/{id}/mappings/{second_id}/move"),
        &[("If-Match", &tag)],
        Some(json!({"position": 1})),
    );
    assert_error(&stale, 409, "conflict");
    let past = s.api(
        "POST",
        &format!("/destinations/{id}/mappings/{second_id}/move"),
        Some(json!({"position": 3})),
    );
    assert_error(&past, 422, "invalid");
    assert_eq!(past.json()["details"][0]["pointer"], "/position");
    assert_error(
        &s.api(
            "POST",
            &format!("/destinations/{id}/mappings/{second_id}/move"),
            Some(json!({"position": -1})),
        ),
        422,
        "invalid",
    );
    assert_error(
        &s.api(
            "POST",
            &format!("/destinations/{id}/mappings/nope/move"),
            Some(json!({"position": 0})),
        ),
        404,
        "not_found",
    );
    assert_eq!(names(&s), after);
}
