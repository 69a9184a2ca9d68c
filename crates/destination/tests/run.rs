//! Subscriptions, ordering, payload validation and problem reporting.

use destination::{iterate, load, Loaded};
use serde_json::{json, Value};

fn sub(id: &str, trigger: &str, action: &str, mapping: Value) -> Value {
    json!({"id": id, "name": format!("sub {id}"), "enabled": true, "subscribe": trigger, "partnerAction": action, "mapping": mapping})
}

fn presets() -> Vec<Value> {
    vec![
        sub(
            "t",
            r#"type = "track""#,
            "trackEvent",
            json!({"name": {"@path": "$.event"}}),
        ),
        sub(
            "i",
            r#"type = "identify""#,
            "identifyUser",
            json!({"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}}),
        ),
    ]
}

fn loaded(subs: Vec<Value>) -> Loaded {
    load(iterate(), &json!({"apiKey": "key", "subscriptions": subs}))
}

fn calls(l: &Loaded, event: Value) -> Value {
    json!(l.config.run(&event).expect("an object event runs").calls)
}

#[test]
fn presets_make_the_reference_calls() {
    let l = loaded(presets());
    assert_eq!(l.problems, []);
    assert_eq!(
        calls(&l, json!({"type": "track", "event": "Signed Up"})),
        json!([["event", "Signed Up"]])
    );
    assert_eq!(
        calls(
            &l,
            json!({"type": "identify", "userId": "u1", "traits": {"email": "a@b.co"}})
        ),
        json!([["identify", {"email": "a@b.co", "external_id": "u1"}]])
    );
    assert_eq!(
        calls(&l, json!({"type": "page", "name": "Home"})),
        json!([])
    );
    assert_eq!(
        calls(&l, json!({"type": "screen", "event": "x"})),
        json!([]),
        "screen never reaches destinations"
    );
}

#[test]
fn external_id_is_the_user_id_when_present_and_not_empty() {
    let l = loaded(presets());
    let cases = [
        (json!({"userId": "u1"}), json!({"external_id": "u1"})),
        (json!({"userId": "", "traits": {"a": 1}}), json!({"a": 1})),
        (
            json!({"traits": {"external_id": "mine"}}),
            json!({"external_id": "mine"}),
        ),
        (
            json!({"userId": "u2", "traits": {"external_id": "mine", "b": 2}}),
            json!({"external_id": "u2", "b": 2}),
        ),
        (
            json!({"userId": 42, "traits": null}),
            json!({"external_id": "42"}),
        ),
    ];
    for (fields, traits) in cases {
        let mut event = json!({"type": "identify"});
        event
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let before = event.clone();
        assert_eq!(
            calls(&l, event.clone()),
            json!([["identify", traits]]),
            "{event}"
        );
        assert_eq!(event, before);
    }
}

#[test]
fn actions_run_in_definition_order_then_array_order() {
    let l = loaded(vec![
        sub(
            "i",
            "type = \"track\"",
            "identifyUser",
            json!({"userId": {"@path": "$.event"}}),
        ),
        sub(
            "t2",
            "type = \"track\"",
            "trackEvent",
            json!({"name": "second"}),
        ),
        sub(
            "off",
            "type = \"track\"",
            "trackEvent",
            json!({"name": "off"}),
        ),
        sub(
            "t1",
            "event = \"E\"",
            "trackEvent",
            json!({"name": {"@path": "$.event"}}),
        ),
    ]);
    let mut subs = l.problems.clone();
    subs.retain(|p| p.is_error());
    assert_eq!(subs, []);
    let mut settings = json!({"apiKey": "k", "subscriptions": [
        sub("i", "type = \"track\"", "identifyUser", json!({"userId": {"@path": "$.event"}})),
        sub("t2", "type = \"track\"", "trackEvent", json!({"name": "second"})),
        sub("off", "type = \"track\"", "trackEvent", json!({"name": "off"})),
        sub("t1", "event = \"E\"", "trackEvent", json!({"name": {"@path": "$.event"}})),
    ]});
    settings["subscriptions"][2]["enabled"] = json!(false);
    let l = load(iterate(), &settings);
    assert_eq!(
        calls(&l, json!({"type": "track", "event": "E"})),
        json!([["event", "second"], ["event", "E"], ["identify", {"external_id": "E"}]])
    );
    assert_eq!(l.config.active_actions(), ["trackEvent", "identifyUser"]);
}

#[test]
fn subscriptions_may_come_as_json_text() {
    let text = serde_json::to_string(&presets()).unwrap();
    let l = load(iterate(), &json!({"apiKey": "k", "subscriptions": text}));
    assert_eq!(l.problems, []);
    assert_eq!(
        calls(&l, json!({"type": "track", "event": "A"})),
        json!([["event", "A"]])
    );
    let bad = load(iterate(), &json!({"apiKey": "k", "subscriptions": "[{"}));
    assert_eq!(bad.problems[0].diagnostic.code, "DEF203");
    assert_eq!(
        bad.problems[0].diagnostic.pointer.as_deref(),
        Some("/subscriptions")
    );
}

#[test]
fn invalid_payloads_are_skipped_with_the_reason() {
    let l = loaded(presets());
    let out = l
        .config
        .run(&json!({"type": "track", "properties": {}}))
        .unwrap();
    assert_eq!(out.calls, Vec::<Value>::new());
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].subscription, "t");
    assert!(
        out.skipped[0]
            .reason
            .contains("missing the required field 'name'"),
        "{}",
        out.skipped[0].reason
    );
    let out = l
        .config
        .run(&json!({"type": "identify", "userId": "u", "traits": "text"}))
        .unwrap();
    assert!(
        out.skipped[0]
            .reason
            .contains("Traits must be an object but it was a string"),
        "{:?}",
        out.skipped
    );
    // Coerced as Segment's cloud validation does: numbers become text, `[x]` becomes x.
    assert_eq!(
        calls(&l, json!({"type": "track", "event": 5})),
        json!([["event", "5"]])
    );
    assert_eq!(
        calls(&l, json!({"type": "track", "event": ["x"]})),
        json!([["event", "x"]])
    );
    assert!(l.config.run(&json!([1])).is_err());
}

#[test]
fn integrations_flags_are_honoured_per_plugin() {
    let l = loaded(presets());
    let track = |i: Value| {
        calls(
            &l,
            json!({"type": "track", "event": "E", "integrations": i}),
        )
    };
    assert_eq!(track(json!({"Iterate Web (Actions)": false})), json!([]));
    assert_eq!(track(json!({"All": false})), json!([]));
    assert_eq!(
        track(json!({"All": false, "Iterate Web (Actions) trackEvent": true})),
        json!([["event", "E"]])
    );
    assert_eq!(
        track(json!({"All": false, "Iterate Web (Actions)": {}})),
        json!([["event", "E"]])
    );
    assert_eq!(track(json!({"Other": false})), json!([["event", "E"]]));
}

#[test]
fn every_problem_is_reported_at_once_with_its_subscription_and_place() {
    let l = load(
        iterate(),
        &json!({"subscriptions": [
            sub("a", "type = \"track\" and (event = \"x\"", "trackEvent", json!({"name": {"@path": "$.event"}})),
            sub("b", "type = \"track\"", "sendSurvey", json!({})),
            sub("c", "type = \"track\"", "trackEvent", json!({"name": {"@foo": 1}})),
            sub("d", "type = \"track\"", "trackEvent", json!({"title": {"@path": "$.event"}})),
            json!("not an object"),
        ]}),
    );
    let found: Vec<(Option<String>, &str, Option<&str>)> = l
        .problems
        .iter()
        .map(|p| {
            (
                p.subscription.as_ref().map(|s| s.id.clone()),
                p.diagnostic.code,
                p.diagnostic.pointer.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (None, "DEF202", Some("/apiKey")),
            (
                Some("a".into()),
                "FQL013",
                Some("/subscriptions/0/subscribe")
            ),
            (
                Some("b".into()),
                "DEF205",
                Some("/subscriptions/1/partnerAction")
            ),
            (
                Some("c".into()),
                "MAP101",
                Some("/subscriptions/2/mapping/name")
            ),
            (Some("d".into()), "DEF207", Some("/subscriptions/3/mapping")),
            (
                Some("d".into()),
                "DEF251",
                Some("/subscriptions/3/mapping/title")
            ),
            (Some("#4".into()), "DEF204", Some("/subscriptions/4")),
        ]
    );
    let trigger_error = &l.problems[1];
    assert_eq!(trigger_error.diagnostic.span().map(|s| s.start), Some(19));
    let text = trigger_error.render();
    assert!(
        text.starts_with("in subscription 0 \"sub a\" (id \"a\"):"),
        "{text}"
    );
    assert!(l
        .config
        .run(&json!({"type": "track", "event": "x"}))
        .unwrap()
        .calls
        .is_empty());
}

/// Beyond Segment: Show Survey, response properties, and the reset setting.
#[test]
fn show_survey_and_response_properties_extend_iterates_api() {
    let l = loaded(vec![
        sub("show", "type = \"page\"", "showSurvey", json!({})),
        sub(
            "show-one",
            "type = \"page\" and name = \"Pricing\"",
            "showSurvey",
            json!({"surveyId": {"@path": "$.properties.survey"}}),
        ),
        sub(
            "i",
            "type = \"identify\"",
            "identifyUser",
            json!({"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}, "responseProperties": {"plan": {"@path": "$.traits.plan"}}}),
        ),
    ]);
    assert_eq!(l.problems, []);
    assert_eq!(
        calls(&l, json!({"type": "page", "name": "Home"})),
        json!([["install"]])
    );
    assert_eq!(
        calls(
            &l,
            json!({"type": "page", "name": "Pricing", "properties": {"survey": "s-42"}})
        ),
        json!([["install"], ["install", "s-42"]])
    );
    assert_eq!(
        calls(
            &l,
            json!({"type": "identify", "userId": "u1", "traits": {"plan": "pro"}})
        ),
        json!([["identify", {"plan": "pro", "external_id": "u1"}, {"plan": "pro"}]])
    );
    // Without the field mapped, identify keeps Segment's two arguments.
    let presets = loaded(presets());
    assert_eq!(
        calls(&presets, json!({"type": "identify", "userId": "u1"})),
        json!([["identify", {"external_id": "u1"}]])
    );

    assert_eq!(
        l.config.options()["uninstallOnReset"],
        json!(true),
        "on by default"
    );
    let off = load(
        iterate(),
        &json!({"apiKey": "k", "uninstallOnReset": false}),
    );
    assert_eq!(off.config.options()["uninstallOnReset"], json!(false));
    let wrong = load(iterate(), &json!({"apiKey": "k", "uninstallOnReset": "no"}));
    assert_eq!(wrong.problems[0].diagnostic.code, "DEF209");
    assert_eq!(
        wrong.problems[0].diagnostic.pointer.as_deref(),
        Some("/uninstallOnReset")
    );
    assert_eq!(wrong.config.options()["uninstallOnReset"], json!(true));
}

/// The outcome of each subscription, as `[id, outcome]` pairs.
fn steps(l: &Loaded, event: &Value, options: destination::RunOptions<'_>) -> Vec<(String, String)> {
    let outcome = l
        .config
        .run_action_with(
            "trackEvent",
            event,
            destination::RunOptions {
                steps: true,
                ..options
            },
        )
        .expect("an object event runs");
    outcome
        .steps
        .iter()
        .map(|s| {
            let v = json!(s);
            (
                s.subscription.clone(),
                v["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_subscription_reports_where_it_stopped() {
    let l = loaded(vec![
        sub(
            "signup",
            "event = \"Signed Up\"",
            "trackEvent",
            json!({"name": {"@path": "$.event"}}),
        ),
        sub(
            "other",
            "event = \"Other\"",
            "trackEvent",
            json!({"name": {"@path": "$.event"}}),
        ),
        sub(
            "bad",
            "type = \"track\"",
            "trackEvent",
            json!({"name": {"@path": "$.properties.missing"}}),
        ),
    ]);
    let event = json!({"type": "track", "event": "Signed Up"});
    assert_eq!(
        steps(&l, &event, Default::default()),
        pairs(&[
            ("signup", "delivered"),
            ("other", "trigger"),
            ("bad", "validation")
        ])
    );
    let steps_on = destination::RunOptions {
        steps: true,
        ..Default::default()
    };
    let outcome = l.config.run_with_options(&event, steps_on).unwrap();
    let bad = outcome
        .steps
        .iter()
        .find(|s| s.subscription == "bad")
        .unwrap();
    assert!(bad.reason.as_deref().unwrap().contains("'name'"), "{bad:?}");
    assert_eq!(outcome.skipped.len(), 1, "only failures are skips");
    let plain = l.config.run(&event).unwrap();
    assert_eq!(plain.steps, [], "steps only when asked for");
    assert_eq!(
        (plain.calls, plain.skipped),
        (outcome.calls, outcome.skipped)
    );
}

#[test]
fn consent_is_required_per_destination_and_per_mapping() {
    let settings = json!({
        "apiKey": "k",
        "consentCategories": ["analytics"],
        "consentSettings": {"categories": ["surveys", "analytics"]},
        "subscriptions": [
            sub("all", "type = \"track\"", "trackEvent", json!({"name": {"@path": "$.event"}})),
            {"id": "ads", "name": "Ads", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent",
             "mapping": {"name": "ad"}, "consentCategories": ["advertising"]},
        ]
    });
    let l = load(iterate(), &settings);
    assert_eq!(l.problems, []);
    assert_eq!(
        l.config.consent(),
        ["analytics", "surveys"],
        "both places, once each"
    );
    let with = |prefs: Value| json!({"type": "track", "event": "E", "context": {"consent": {"categoryPreferences": prefs}}});

    let granted = with(json!({"analytics": true, "surveys": true, "advertising": true}));
    assert_eq!(
        steps(&l, &granted, Default::default()),
        pairs(&[("all", "delivered"), ("ads", "delivered")])
    );
    let no_ads = with(json!({"analytics": true, "surveys": true, "advertising": false}));
    assert_eq!(
        steps(&l, &no_ads, Default::default()),
        pairs(&[("all", "delivered"), ("ads", "consent")])
    );
    assert_eq!(calls(&l, no_ads), json!([["event", "E"]]));
    // Segment's rule: a category must be `true`; missing or truthy-but-not-true is not consent,
    // and an empty object grants nothing.
    let partial = with(json!({"analytics": true, "surveys": 1, "advertising": true}));
    assert_eq!(
        steps(&l, &partial, Default::default()),
        pairs(&[("all", "consent"), ("ads", "consent")])
    );
    assert_eq!(
        steps(&l, &with(json!({})), Default::default()),
        pairs(&[("all", "consent"), ("ads", "consent")])
    );

    // No preferences on the event: held, unless preferences are known from earlier.
    let unknown = json!({"type": "track", "event": "E"});
    assert_eq!(
        steps(&l, &unknown, Default::default()),
        pairs(&[("all", "held"), ("ads", "held")])
    );
    assert_eq!(calls(&l, unknown.clone()), json!([]));
    let known = json!({"analytics": true, "surveys": true})
        .as_object()
        .cloned()
        .unwrap();
    let only = vec!["ads".to_string()];
    let o = destination::RunOptions {
        only: None,
        consent: Some(&known),
        ..Default::default()
    };
    assert_eq!(
        steps(&l, &unknown, o),
        pairs(&[("all", "delivered"), ("ads", "consent")])
    );
    let o = destination::RunOptions {
        only: Some(&only),
        consent: Some(&known),
        ..Default::default()
    };
    assert_eq!(
        steps(&l, &unknown, o),
        pairs(&[("ads", "consent")]),
        "only the ids asked for"
    );
    // The event's own preferences win over the known ones.
    let o = destination::RunOptions {
        only: None,
        consent: Some(&known),
        ..Default::default()
    };
    assert_eq!(
        steps(&l, &with(json!({})), o),
        pairs(&[("all", "consent"), ("ads", "consent")])
    );

    // Without categories anywhere, nothing waits for consent (Segment's behaviour).
    let free = loaded(presets());
    assert_eq!(
        steps(
            &free,
            &json!({"type": "track", "event": "E"}),
            Default::default()
        ),
        pairs(&[("t", "delivered")])
    );
}

#[test]
fn bad_consent_categories_and_sample_rates_are_reported_with_their_place() {
    let settings = json!({
        "apiKey": "k",
        "consentCategories": "analytics",
        "consentSettings": {"categories": ["ok", ""]},
        "deliveryLogSampleRate": 2,
        "subscriptions": [
            {"id": "s", "name": "S", "enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent",
             "mapping": {"name": "x"}, "consentCategories": ["fine", 7]},
        ]
    });
    let l = load(iterate(), &settings);
    let found: Vec<(&str, Option<&str>)> = l
        .problems
        .iter()
        .map(|p| (p.diagnostic.code, p.diagnostic.pointer.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            ("DEF209", Some("/consentCategories")),
            ("DEF211", Some("/deliveryLogSampleRate")),
            ("DEF210", Some("/consentSettings/categories/1")),
            ("DEF210", Some("/subscriptions/0/consentCategories/1")),
        ]
    );
    assert!(l.errors().count() == 4);
    // Consent fails closed: with the destination's categories malformed, nothing runs.
    for broken in [
        json!({"consentCategories": "C0002"}),
        json!({"consentCategories": ["C0002", 7]}),
        json!({"consentSettings": {"categories": ["C0002", ""]}}),
        json!({"consentSettings": "C0002"}),
    ] {
        let mut settings = json!({"apiKey": "k", "subscriptions": presets()});
        settings
            .as_object_mut()
            .unwrap()
            .extend(broken.as_object().unwrap().clone());
        let l = load(iterate(), &settings);
        assert_eq!(l.errors().count(), 1, "{broken}: {:?}", l.problems);
        assert_eq!(l.config.active_actions(), Vec::<&str>::new(), "{broken}");
        let granted = json!({"type": "track", "event": "E", "context": {"consent": {"categoryPreferences": {"C0002": false}}}});
        assert_eq!(calls(&l, granted), json!([]), "{broken}");
    }
    assert_eq!(
        l.config.options()["deliveryLogSampleRate"],
        json!(0),
        "out of range: off"
    );
    assert_eq!(
        l.config.active_actions(),
        Vec::<&str>::new(),
        "the mapping with bad categories is not run"
    );
    let fine = load(iterate(), &json!({"apiKey": "k"}));
    assert_eq!(fine.config.options()["deliveryLogSampleRate"], json!(1));
    assert_eq!(fine.config.options()["consentCategories"], json!([]));
}

#[test]
fn the_tester_trace_says_when_consent_stops_a_mapping() {
    let settings = json!({"apiKey": "k", "consentCategories": ["surveys"], "subscriptions": [
        sub("t", "type = \"track\"", "trackEvent", json!({"name": {"@path": "$.event"}}))
    ]});
    let l = load(iterate(), &settings);
    let trace = |event: Value| l.config.trace(&event).remove(0);
    let held = trace(json!({"type": "track", "event": "E"}));
    assert_eq!(held.calls, Vec::<Value>::new());
    assert!(
        held.problems[0].starts_with("held: consent is required for surveys"),
        "{held:?}"
    );
    let denied = trace(
        json!({"type": "track", "event": "E", "context": {"consent": {"categoryPreferences": {"surveys": false}}}}),
    );
    assert!(denied.problems[0].starts_with("not sent"), "{denied:?}");
    assert_eq!(denied.payload, Some(json!({"name": "E"})));
    let granted = trace(
        json!({"type": "track", "event": "E", "context": {"consent": {"categoryPreferences": {"surveys": true}}}}),
    );
    assert_eq!(granted.calls, vec![json!(["event", "E"])]);
    assert_eq!(granted.problems, Vec::<String>::new());
}
