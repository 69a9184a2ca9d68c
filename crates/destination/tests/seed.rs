//! Each statement of the seed document about the Iterate destination
//! (`../shared/seed/iterate-actions-destination.txt`), checked against the one
//! definition. Expectations are read from the definition and looked up in the seed,
//! so a change on either side fails here.

use destination::{iterate, model::FieldType, model::Mode, model::Platform, MAX_SUBSCRIPTIONS};
use serde_json::json;

fn seed() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/seed/iterate-actions-destination.txt"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The seed is a page's text with table cells run together; compare without spaces.
fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn the_destination_is_iterate_web_actions_in_device_mode() {
    let d = &iterate().definition;
    assert_eq!(
        (d.name, d.slug, d.mode),
        ("Iterate Web (Actions)", "actions-iterate", Mode::Device)
    );
    assert!(seed().contains(&format!("{} has the following presets", d.name)));
}

#[test]
fn its_one_setting_is_the_required_embed_api_key() {
    let d = &iterate().definition;
    let seeds: Vec<_> = d.settings.iter().filter(|s| !s.extension).collect();
    assert_eq!(seeds.len(), 1);
    let s = seeds[0];
    assert_eq!(
        (s.key, s.kind, s.required),
        ("apiKey", FieldType::String, true)
    );
    let row = format!("{}string\nrequired\n\n{}", s.label, s.description);
    assert!(seed().contains(&row), "the seed has no row {row:?}");
}

#[test]
fn presets_track_event_and_identify_user() {
    let d = &iterate().definition;
    let seed = squash(&seed());
    assert_eq!(d.presets.len(), 2);
    for p in &d.presets {
        let action = d.action(p.action).expect("the preset's action exists");
        // "Preset Name | Trigger | Default Action": e.g. `Track Event | Event type = "track" | Track Event`.
        let row = squash(&format!("{}Event {}{}", p.name, p.trigger, action.title));
        assert!(seed.contains(&row), "the seed has no preset row {row:?}");
        assert_eq!(p.trigger, action.default_trigger);
        assert_eq!(p.mapping, destination::Definition::default_mapping(action));
    }
    assert_eq!(d.presets[0].mapping, json!({"name": {"@path": "$.event"}}));
    assert_eq!(
        d.presets[1].mapping,
        json!({"userId": {"@path": "$.userId"}, "traits": {"@path": "$.traits"}})
    );
}

#[test]
fn actions_are_web_actions_with_their_default_triggers_and_descriptions() {
    let d = &iterate().definition;
    let seed = seed();
    let seeds: Vec<_> = d.actions.iter().filter(|a| !a.extension).collect();
    assert_eq!(
        seeds.iter().map(|a| a.key).collect::<Vec<_>>(),
        ["trackEvent", "identifyUser"],
        "the seed's actions, first and in its order"
    );
    assert_eq!(
        d.actions[..2].iter().map(|a| a.key).collect::<Vec<_>>(),
        ["trackEvent", "identifyUser"]
    );
    for a in seeds {
        assert_eq!(a.platform, Platform::Web);
        let sentence = format!(
            "{} is a Web action. The default Trigger is {}",
            a.title, a.default_trigger
        );
        assert!(
            seed.contains(&sentence),
            "the seed does not say {sentence:?}"
        );
        assert!(
            seed.contains(&format!("\n{}\n", a.description)),
            "the seed does not describe {} as {:?}",
            a.key,
            a.description
        );
    }
}

#[test]
fn fields_have_the_seeds_labels_types_requirements_and_descriptions() {
    let d = &iterate().definition;
    let seed = seed();
    for a in d.actions.iter().filter(|a| !a.extension) {
        for f in a.fields.iter().filter(|f| !f.extension) {
            let kind = match f.kind {
                FieldType::String => "STRING",
                FieldType::Object => "OBJECT",
                other => panic!("unexpected type {other:?}"),
            };
            let row = format!(
                "{}{kind}\n{}\n\n{}",
                f.label,
                if f.required { "required" } else { "\nOptional" },
                f.description
            );
            assert!(seed.contains(&row), "the seed has no field row {row:?}");
        }
    }
}

#[test]
fn at_most_fifty_mappings_per_destination() {
    assert!(seed().contains(&format!("maximum of {MAX_SUBSCRIPTIONS} mappings")));
    let sub = json!({"enabled": true, "subscribe": "type = \"track\"", "partnerAction": "trackEvent", "mapping": {"name": {"@path": "$.event"}}});
    let settings = |n: usize| json!({"apiKey": "k", "subscriptions": vec![sub.clone(); n]});
    let fifty = destination::load(iterate(), &settings(50));
    assert_eq!(fifty.errors().count(), 0);
    let outcome = fifty
        .config
        .run(&json!({"type": "track", "event": "E"}))
        .expect("runs");
    assert_eq!(outcome.calls.len(), 50);
    let many = destination::load(iterate(), &settings(51));
    let errors: Vec<_> = many.errors().collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].diagnostic.code, "DEF206");
    assert!(
        errors[0].diagnostic.message.contains("limit of 50"),
        "{}",
        errors[0].diagnostic.message
    );
    assert_eq!(
        errors[0].diagnostic.pointer.as_deref(),
        Some("/subscriptions/50")
    );
    let outcome = many
        .config
        .run(&json!({"type": "track", "event": "E"}))
        .expect("runs");
    assert_eq!(outcome.calls.len(), 50, "the 51st mapping is refused");
}
