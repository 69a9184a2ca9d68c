//! The browser delivery log and consent per mapping over real HTTP: batches as
//! `navigator.sendBeacon` sends them (text/plain JSON), every refusal with its status,
//! the rate limit, CORS, the API's report and the destination page's numbers, survival
//! across a restart, and what the settings document tells pages (where to report,
//! which consent categories the destination needs, and the page plan of it all).

mod support;

use serde_json::{json, Value};
use support::{form_encode, request, send, serve, sign_in, start, temp_db, Reply, Server};

/// A source and an Iterate destination with its two presets: (write key, destination
/// id, the presets' ids).
fn configure(s: &Server, name: &str) -> (String, String, Vec<String>) {
    let source = s.api("POST", "/sources", Some(&json!({"name": name})));
    assert_eq!(source.status, 201, "{}", source.body);
    let source = source.json();
    let d = s.api(
        "POST",
        "/destinations",
        Some(&json!({"sourceId": source["id"], "settings": {"apiKey": "k"}})),
    );
    assert_eq!(d.status, 201, "{}", d.body);
    let d = d.json();
    let ids = d["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    (
        source["writeKey"].as_str().unwrap().to_string(),
        d["id"].as_str().unwrap().to_string(),
        ids,
    )
}

fn delivery_path(write_key: &str, id: &str) -> String {
    format!("/v1/projects/{write_key}/destinations/{id}/delivery")
}

/// A batch as the browser sends it: `sendBeacon` with a string body.
fn beacon(s: &Server, write_key: &str, id: &str, body: &str) -> Reply {
    send(
        s.addr,
        "POST",
        &delivery_path(write_key, id),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        body,
    )
}

fn assert_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let body = r.json();
    assert_eq!(body["code"], code, "{}", r.body);
    assert!(
        body["message"].is_string() && body["details"].is_array(),
        "{}",
        r.body
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("*"),
        "CORS on errors too"
    );
}

fn totals(report: &Value, subscription: &str) -> Value {
    report["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subscription"] == subscription)
        .unwrap_or_else(|| panic!("no {subscription} in {report}"))["totals"]
        .clone()
}

#[test]
fn counts_from_pages_add_up_in_the_api_and_on_the_destination_page() {
    let s = start("delivery-sums");
    let (key, id, presets) = configure(&s, "Shop");
    let (a, b) = (&presets[0], &presets[1]);
    let first = format!(
        r#"{{"v":1,"counters":[
            {{"subscription":"{a}","matched":5,"skippedTrigger":2,"skippedValidation":1,"delivered":4}},
            {{"subscription":"{b}","matched":1,"skippedConsent":1}},
            {{"subscription":"deleted-long-ago","matched":9}}],
          "errors":[
            {{"subscription":"{a}","kind":"validation","reason":"the field `name` is required"}},
            {{"subscription":"deleted-long-ago","kind":"trigger","reason":"x"}}]}}"#
    );
    let r = beacon(&s, &key, &id, &first);
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.json(), json!({"accepted": 3, "ignored": 2}));
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    let r = beacon(
        &s,
        &key,
        &id,
        &format!(r#"{{"v":1,"counters":[{{"subscription":"{a}","matched":1,"delivered":1}}]}}"#),
    );
    assert_eq!(r.json(), json!({"accepted": 1, "ignored": 0}));

    let report = s.api("GET", &format!("/destinations/{id}/delivery"), None);
    assert_eq!(report.status, 200, "{}", report.body);
    let report = report.json();
    assert_eq!(report["bucketSeconds"], 3600);
    let since = report["since"].as_str().unwrap();
    assert!(since.len() == 20 && since.ends_with(":00:00Z"), "{since}");
    assert_eq!(report["mappings"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["mappings"][0]["name"], "Track Event");
    assert_eq!(
        totals(&report, a),
        json!({"matched": 6, "skippedTrigger": 2, "skippedConsent": 0, "skippedValidation": 1, "delivered": 5})
    );
    assert_eq!(
        totals(&report, b),
        json!({"matched": 1, "skippedTrigger": 0, "skippedConsent": 1, "skippedValidation": 0, "delivered": 0})
    );
    // The series add up to the totals, whichever buckets the two batches fell in.
    let series = report["mappings"][0]["series"].as_array().unwrap();
    let delivered: i64 = series
        .iter()
        .map(|p| p["delivered"].as_i64().unwrap())
        .sum();
    assert_eq!(delivered, 5);
    assert!(series.iter().all(|p| p["at"].as_str().unwrap() >= since));
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        1,
        "errors of unknown mappings are ignored: {report}"
    );
    assert_eq!(report["errors"][0]["subscription"], a.as_str());
    assert_eq!(report["errors"][0]["kind"], "validation");
    assert_eq!(
        report["errors"][0]["reason"],
        "the field `name` is required"
    );

    let short = s.api("GET", &format!("/destinations/{id}/delivery?hours=6"), None);
    assert_eq!(short.json()["bucketSeconds"], 60);
    assert_eq!(totals(&short.json(), a)["matched"], 6);
    for hours in ["0", "721", "x"] {
        let r = s.api(
            "GET",
            &format!("/destinations/{id}/delivery?hours={hours}"),
            None,
        );
        assert_eq!(r.status, 400, "{hours}: {}", r.body);
        assert!(r.json()["message"].as_str().unwrap().contains("`hours`"));
    }
    let r = s.api("GET", "/destinations/nope/delivery", None);
    assert_eq!(r.status, 404);
    let r = send(
        s.addr,
        "GET",
        &format!("/api/v1/destinations/{id}/delivery"),
        &[],
        "",
    );
    assert_eq!(r.status, 401, "the report needs the token");

    // The destination page shows the same numbers.
    let session = sign_in(s.addr, &s.token);
    let page = request(
        s.addr,
        "GET",
        &format!("/ui/destinations/{id}"),
        &session,
        "",
    );
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Browser delivery (last 24 h)"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(
        r#"<tr data-delivery-subscription="{a}" data-matched="6" data-skipped-trigger="2" data-skipped-consent="0" data-skipped-validation="1" data-delivered="5">"#
    )));
    assert!(page.body.contains(&format!(
        r#"<tr data-delivery-subscription="{b}" data-matched="1" data-skipped-trigger="0" data-skipped-consent="1" data-skipped-validation="0" data-delivered="0">"#
    )));
    assert!(page.body.contains("the field `name` is required"));
    assert!(page.body.contains("100% of them"));
    assert!(page
        .body
        .contains(r#"<svg class="delivery-chart" role="img""#));
    assert!(!page.body.contains("delivery-empty"));
}

#[test]
fn a_destination_with_nothing_received_says_so() {
    let s = start("delivery-empty");
    let (_, id, presets) = configure(&s, "Quiet");
    let report = s
        .api("GET", &format!("/destinations/{id}/delivery"), None)
        .json();
    assert_eq!(
        totals(&report, &presets[0]),
        json!({"matched": 0, "skippedTrigger": 0, "skippedConsent": 0, "skippedValidation": 0, "delivered": 0}),
        "mappings of the configuration are listed with zeros"
    );
    assert_eq!(report["mappings"][0]["series"], json!([]));
    assert_eq!(report["errors"], json!([]));
    let session = sign_in(s.addr, &s.token);
    let page = request(
        s.addr,
        "GET",
        &format!("/ui/destinations/{id}"),
        &session,
        "",
    );
    assert!(
        page.body.contains(r#"id="delivery-empty""#),
        "{}",
        page.body
    );
    assert!(!page.body.contains("data-delivery-subscription"));
}

#[test]
fn bad_batches_get_the_right_error_and_store_nothing() {
    let s = start("delivery-refusals");
    let (key, id, presets) = configure(&s, "Shop");
    let (other_key, other_id, _) = configure(&s, "Other site");
    let a = &presets[0];
    let good = format!(r#"{{"v":1,"counters":[{{"subscription":"{a}","matched":1}}]}}"#);

    assert_error(&beacon(&s, "unknown-key", &id, &good), 401, "unauthorized");
    assert_error(
        &beacon(&s, &key, "unknown-destination", &good),
        404,
        "not_found",
    );
    assert_error(&beacon(&s, &key, &other_id, &good), 404, "not_found");
    let padding = "x".repeat(17 * 1024);
    let big = format!(
        r#"{{"v":1,"counters":[],"errors":[{{"subscription":"{a}","kind":"trigger","reason":"{padding}"}}]}}"#
    );
    assert_error(&beacon(&s, &key, &id, &big), 413, "too_large");

    let refused = |body: String, pointer: &str| {
        let r = beacon(&s, &key, &id, &body);
        assert_error(&r, 400, "bad_request");
        let message = r.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(pointer), "{body}: {message}");
    };
    refused("{not json".into(), "not JSON");
    refused(r#"["v", 1]"#.into(), "JSON object");
    refused(r#"{"v":2,"counters":[]}"#.into(), "`/v`");
    refused(r#"{"v":1}"#.into(), "`/counters`");
    refused(
        format!(r#"{{"v":1,"counters":[{{"subscription":"{a}","matched":-1}}]}}"#),
        "`/counters/0/matched` must be a non-negative integer",
    );
    refused(
        format!(
            r#"{{"v":1,"counters":[{{"subscription":"{a}"}},{{"subscription":"{a}","delivered":"3"}}]}}"#
        ),
        "`/counters/1/delivered`",
    );
    refused(
        format!(r#"{{"v":1,"counters":[{{"subscription":"{a}","skippedTrigger":1000001}}]}}"#),
        "`/counters/0/skippedTrigger`",
    );
    refused(
        r#"{"v":1,"counters":[{"matched":1}]}"#.into(),
        "`/counters/0/subscription`",
    );
    refused(
        format!(
            r#"{{"v":1,"counters":[],"errors":[{{"subscription":"{a}","kind":"oops","reason":"r"}}]}}"#
        ),
        "`/errors/0/kind`",
    );
    let many = vec![format!(r#"{{"subscription":"{a}","kind":"trigger","reason":"r"}}"#); 21];
    refused(
        format!(r#"{{"v":1,"counters":[],"errors":[{}]}}"#, many.join(",")),
        "`/errors` must have at most 20 items",
    );
    let long = "r".repeat(501);
    refused(
        format!(
            r#"{{"v":1,"counters":[],"errors":[{{"subscription":"{a}","kind":"consent","reason":"{long}"}}]}}"#
        ),
        "`/errors/0/reason`",
    );
    let r = beacon(&s, &key, &id, r#"{"v":1,"counters":{}}"#);
    assert_eq!(r.json()["details"][0]["pointer"], "/counters");

    // Disabled destinations and sources are refused like unknown ones.
    let off = s.api(
        "PATCH",
        &format!("/destinations/{id}"),
        Some(&json!({"enabled": false})),
    );
    assert_eq!(off.status, 200);
    assert_error(&beacon(&s, &key, &id, &good), 404, "not_found");
    let sources = s.api("GET", "/sources", None).json();
    let other_source = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["writeKey"] == other_key.as_str())
        .unwrap()["id"]
        .clone();
    let off = s.api(
        "PATCH",
        &format!("/sources/{}", other_source.as_str().unwrap()),
        Some(&json!({"enabled": false})),
    );
    assert_eq!(off.status, 200);
    assert_error(
        &beacon(&s, &other_key, &other_id, &good),
        401,
        "unauthorized",
    );

    let report = s
        .api("GET", &format!("/destinations/{id}/delivery"), None)
        .json();
    assert_eq!(totals(&report, a)["matched"], 0, "{report}");
    assert_eq!(report["errors"], json!([]));
}

#[test]
fn a_destination_sending_too_often_is_told_when_to_retry() {
    // A bucket of three that refills once an hour: the fourth batch is refused.
    let limit = server::delivery::Limit {
        burst: 3.0,
        per_second: 1.0 / 3600.0,
    };
    let s = serve(&temp_db("delivery-limit"), |state| {
        state.delivery_limit = server::delivery::Limiter::new(limit);
    });
    let (key, id, presets) = configure(&s, "Busy");
    let (other_key, other_id, _) = configure(&s, "Calm");
    let batch = format!(
        r#"{{"v":1,"counters":[{{"subscription":"{}","delivered":1}}]}}"#,
        presets[0]
    );
    for _ in 0..3 {
        assert_eq!(beacon(&s, &key, &id, &batch).status, 202);
    }
    let r = beacon(&s, &key, &id, &batch);
    assert_error(&r, 429, "rate_limited");
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(wait >= 1, "{wait}");
    assert_eq!(
        beacon(&s, &other_key, &other_id, r#"{"v":1,"counters":[]}"#).status,
        202,
        "the limit is per destination"
    );
    let report = s
        .api("GET", &format!("/destinations/{id}/delivery"), None)
        .json();
    assert_eq!(totals(&report, &presets[0])["delivered"], 3);
    assert_eq!(report["refusedBatches"], 1, "refused batches are counted");
    // ... and the destination page says the counts miss them.
    let session = sign_in(s.addr, &s.token);
    let page = request(
        s.addr,
        "GET",
        &format!("/ui/destinations/{id}"),
        &session,
        "",
    );
    assert!(
        page.body.contains(r#"id="delivery-refused""#) && page.body.contains("1 batch(es)"),
        "{}",
        page.body
    );
    let calm = s
        .api("GET", &format!("/destinations/{other_id}/delivery"), None)
        .json();
    assert_eq!(calm["refusedBatches"], 0);
}

#[test]
fn the_intake_answers_cors_preflights() {
    let s = start("delivery-cors");
    let (key, id, _) = configure(&s, "Shop");
    let r = send(
        s.addr,
        "OPTIONS",
        &delivery_path(&key, &id),
        &[
            ("Origin", "https://shop.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        "",
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert!(r
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("POST")));
    assert!(r
        .header("access-control-allow-headers")
        .is_some_and(|h| h.eq_ignore_ascii_case("content-type")));
    // And JSON sent as JSON is as good as text/plain.
    let r = send(
        s.addr,
        "POST",
        &delivery_path(&key, &id),
        &[
            ("Content-Type", "application/json"),
            ("Origin", "https://shop.example"),
        ],
        r#"{"v":1,"counters":[]}"#,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

#[test]
fn delivery_data_survives_a_restart_and_goes_with_its_destination() {
    let s = start("delivery-restart");
    let (key, id, presets) = configure(&s, "Shop");
    let a = &presets[0];
    let r = beacon(
        &s,
        &key,
        &id,
        &format!(
            r#"{{"v":1,"counters":[{{"subscription":"{a}","matched":2,"delivered":2}}],
               "errors":[{{"subscription":"{a}","kind":"consent","reason":"held"}}]}}"#
        ),
    );
    assert_eq!(r.status, 202);
    let db = s.stop();

    let s = serve(&db, |_| {});
    let report = s
        .api("GET", &format!("/destinations/{id}/delivery"), None)
        .json();
    assert_eq!(totals(&report, a)["delivered"], 2, "{report}");
    assert_eq!(report["errors"][0]["reason"], "held");

    assert_eq!(
        s.api("DELETE", &format!("/destinations/{id}"), None).status,
        204
    );
    let stale = beacon(&s, &key, &id, r#"{"v":1,"counters":[]}"#);
    assert_error(&stale, 404, "not_found");
}

#[test]
fn the_settings_document_tells_pages_where_to_report_and_which_consent_is_needed() {
    let s = start("delivery-settings");
    let (key, id, presets) = configure(&s, "Shop");
    let settings = |s: &Server| {
        let r = send(
            s.addr,
            "GET",
            &format!("/v1/projects/{key}/settings"),
            &[],
            "",
        );
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let doc = settings(&s);
    let plugin = &doc["remotePlugins"][0]["settings"];
    assert_eq!(
        plugin["deliveryLogUrl"],
        format!(
            "http://{}/v1/projects/{key}/destinations/{id}/delivery",
            s.addr
        )
    );
    assert!(
        doc["integrations"].get("Iterate Web (Actions)").is_none(),
        "no consent entry without categories: {doc}"
    );

    let r = s.api(
        "PATCH",
        &format!("/destinations/{id}"),
        Some(&json!({"settings": {"consentCategories": ["C0001", "C0004"], "deliveryLogSampleRate": 0.5}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = s.api(
        "PATCH",
        &format!("/destinations/{id}/mappings/{}", presets[0]),
        Some(&json!({"consentCategories": ["C0002"]})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["consentCategories"], json!(["C0002"]));
    let doc = settings(&s);
    assert_eq!(
        doc["integrations"].as_object().map(|i| i.len()),
        Some(1),
        "only Segment.io: another entry makes analytics-next fetch a chunk from its CDN: {doc}"
    );
    let plugin = &doc["remotePlugins"][0]["settings"];
    assert_eq!(plugin["consentCategories"], json!(["C0001", "C0004"]));
    assert_eq!(plugin["deliveryLogSampleRate"], 0.5);
    assert_eq!(
        plugin["subscriptions"][0]["consentCategories"],
        json!(["C0002"])
    );
    // The plan is what the engine compiles from exactly the settings served, with their
    // fingerprint, and a write renders it again.
    let mut served = plugin.as_object().cloned().expect("settings object");
    let plan = served.shift_remove("iaPlan").expect("an iaPlan");
    let served = Value::Object(served);
    let loaded = engine::destination::load(engine::destination::iterate(), &served);
    let mut expected = engine::destination::page_plan(&loaded).expect("a plan");
    expected["fingerprint"] = json!(engine::destination::fingerprint(&served));
    assert_eq!(plan, expected);
    assert_eq!(plan["subs"][0][4], json!(["C0001", "C0004", "C0002"]));
    assert_eq!(plan["report"]["consent"], json!(["C0001", "C0004"]));

    // A mapping's categories are an array of ids; `[]` removes them.
    for wrong in [json!("C0002"), json!([1]), json!([""])] {
        let r = s.api(
            "PATCH",
            &format!("/destinations/{id}/mappings/{}", presets[0]),
            Some(&json!({ "consentCategories": wrong })),
        );
        assert_eq!(r.status, 422, "{wrong}: {}", r.body);
        assert_eq!(r.json()["details"][0]["pointer"], "/consentCategories");
    }
    let r = s.api(
        "POST",
        &format!("/destinations/{id}/mappings"),
        Some(&json!({"subscribe": "type = \"page\"", "partnerAction": "showSurvey", "consentCategories": ["C0003"]})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["consentCategories"], json!(["C0003"]));
    let r = s.api(
        "PATCH",
        &format!("/destinations/{id}/mappings/{}", presets[0]),
        Some(&json!({"consentCategories": []})),
    );
    assert!(r.json().get("consentCategories").is_none(), "{}", r.body);
    let r = s.api(
        "PATCH",
        &format!("/destinations/{id}"),
        Some(&json!({"settings": {"consentCategories": []}})),
    );
    assert_eq!(r.status, 200);
    let doc = settings(&s);
    assert!(
        doc["integrations"].get("Iterate Web (Actions)").is_none(),
        "{doc}"
    );
}

#[test]
fn consent_and_the_sample_rate_are_set_from_the_web_ui() {
    let s = start("delivery-ui");
    let (_, id, _) = configure(&s, "Shop");
    let session = sign_in(s.addr, &s.token);
    let page_path = format!("/ui/destinations/{id}");
    let page = request(s.addr, "GET", &page_path, &session, "");
    let csrf = page.csrf();
    assert!(page
        .body
        .contains(r#"<input id="consentCategories" name="consentCategories" type="text""#));
    assert!(page.body.contains(r#"<input id="deliveryLogSampleRate" name="deliveryLogSampleRate" type="number" step="0.01" min="0" max="1" value="1""#));

    let post = |form: String| {
        request(
            s.addr,
            "POST",
            &format!("/ui/destinations/{id}/settings"),
            &session,
            &format!("_csrf={csrf}&apiKey=k&uninstallOnReset=on&{form}"),
        )
    };
    let wrong = post(format!(
        "version=1&consentCategories={}&deliveryLogSampleRate=often",
        form_encode("C0001, C0004")
    ));
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(
        wrong.body.contains(r#"id="deliveryLogSampleRate-errors""#),
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains(r#"value="often""#),
        "what was typed is shown again"
    );
    let range = post("version=1&deliveryLogSampleRate=2".into());
    assert_eq!(range.status, 422, "{}", range.body);
    assert!(
        range.body.contains(r#"id="deliveryLogSampleRate-errors""#),
        "{}",
        range.body
    );

    let saved = post(format!(
        "version=1&consentCategories={}&deliveryLogSampleRate=0.25",
        form_encode(" C0001, ,C0004 ")
    ));
    assert_eq!(saved.status, 303, "{}", saved.body);
    let config = s
        .api("GET", &format!("/destinations/{id}/config"), None)
        .json();
    assert_eq!(config["consentCategories"], json!(["C0001", "C0004"]));
    assert_eq!(config["deliveryLogSampleRate"], 0.25);
    assert_eq!(config["uninstallOnReset"], true);
    let page = request(s.addr, "GET", &page_path, &session, "");
    assert!(page.body.contains(r#"value="C0001, C0004""#));
    assert!(page.body.contains("25% of them"));

    let cleared = post("version=2&consentCategories=&deliveryLogSampleRate=".into());
    assert_eq!(cleared.status, 303, "{}", cleared.body);
    let config = s
        .api("GET", &format!("/destinations/{id}/config"), None)
        .json();
    assert!(config.get("consentCategories").is_none(), "{config}");
    assert!(config.get("deliveryLogSampleRate").is_none(), "{config}");

    // The mapping editor: consent categories as comma-separated ids.
    let form = [
        ("_csrf", csrf.as_str()),
        ("version", "3"),
        ("extra", "{}"),
        ("name", "Orders"),
        ("enabled", "on"),
        ("subscribe", "type = \"track\""),
        ("partnerAction", "trackEvent"),
        ("f.trackEvent.name.mode", "path"),
        ("f.trackEvent.name.value", "$.event"),
        ("consentCategories", "C0002, C0003"),
    ]
    .iter()
    .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let created = request(
        s.addr,
        "POST",
        &format!("/ui/destinations/{id}/mappings"),
        &session,
        &form,
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let mapping = created
        .header("location")
        .unwrap()
        .rsplit("#m-")
        .next()
        .unwrap()
        .to_string();
    let stored = s
        .api(
            "GET",
            &format!("/destinations/{id}/mappings/{mapping}"),
            None,
        )
        .json();
    assert_eq!(stored["consentCategories"], json!(["C0002", "C0003"]));
    let page = request(s.addr, "GET", &page_path, &session, "");
    assert!(page
        .body
        .contains(r#"<dt>Consent</dt><dd class="consent">C0002, C0003</dd>"#));
    let editor = request(
        s.addr,
        "GET",
        &format!("{page_path}/mappings/{mapping}"),
        &session,
        "",
    );
    assert!(editor
        .body
        .contains(r#"name="consentCategories" value="C0002, C0003""#));
}
