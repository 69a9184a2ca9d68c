//! The Iterate destination: Segment's "Iterate Web (Actions)" (browser-destinations
//! 3.98.0), the one definition everything else reads, and what each action does with
//! a validated payload.

use crate::model::{Action, Definition, Field, FieldType, Mode, Platform, Preset, Setting};
use serde_json::{json, Value};

/// The URL of Iterate's embed loader, which the browser runtime loads once.
pub const LOADER_URL: &str = "https://platform.iteratehq.com/loader.js";

/// The Iterate destination.
pub fn definition() -> Definition {
    let track = Action {
        key: "trackEvent",
        title: "Track Event",
        description: "Track events",
        platform: Platform::Web,
        default_trigger: r#"type = "track""#,
        fields: vec![
            Field::new("name", "Name", FieldType::String, "The name of the event.")
                .required()
                .default_mapping(json!({"@path": "$.event"})),
        ],
        extension: false,
    };
    let identify = Action {
        key: "identifyUser",
        title: "Identify User",
        description: "Sets user identity",
        platform: Platform::Web,
        default_trigger: r#"type = "identify""#,
        fields: vec![
            Field::new(
                "userId",
                "Identity",
                FieldType::String,
                "The user's identity.",
            )
            .default_mapping(json!({"@path": "$.userId"})),
            Field::new(
                "traits",
                "Traits",
                FieldType::Object,
                "The Segment traits to be forwarded to Iterate.",
            )
            .default_mapping(json!({"@path": "$.traits"})),
            // Beyond Segment: Iterate's second identify argument.
            Field::new(
                "responseProperties",
                "Response properties",
                FieldType::Object,
                "Properties kept with the responses to the survey shown now only (Iterate's second `identify` argument); user traits persist, these do not.",
            )
            .extension(),
        ],
        extension: false,
    };
    // Beyond Segment: show a survey without an event, e.g. for URL-targeted surveys,
    // since the embed is installed with `installOnLoad: false`.
    let show = Action {
        key: "showSurvey",
        title: "Show Survey",
        description: "Asks Iterate to check for a survey to show now (Iterate('install')), or to show one survey by its id",
        platform: Platform::Web,
        default_trigger: r#"type = "page""#,
        fields: vec![Field::new(
            "surveyId",
            "Survey id",
            FieldType::String,
            "The survey to show; leave it unmapped to let Iterate's targeting decide.",
        )
        .extension()],
        extension: true,
    };
    let presets = vec![
        Preset {
            name: "Track Event",
            trigger: track.default_trigger,
            action: track.key,
            mapping: Definition::default_mapping(&track),
        },
        Preset {
            name: "Identify User",
            trigger: identify.default_trigger,
            action: identify.key,
            mapping: Definition::default_mapping(&identify),
        },
    ];
    Definition {
        name: "Iterate Web (Actions)",
        slug: "actions-iterate",
        mode: Mode::Device,
        description: "Show Iterate surveys in response to events, and tie survey responses to identified users.",
        settings: vec![
            Setting {
                key: "apiKey",
                label: "Embed API Key",
                description: "The Embed API Key for your account. You can find this on your settings pages.",
                kind: FieldType::String,
                required: true,
                multiple: false,
                default: None,
                extension: false,
            },
            // Beyond Segment.
            Setting {
                key: "uninstallOnReset",
                label: "Log out of Iterate on reset",
                description: "Call Iterate('uninstall') when analytics.js reset() runs (a user logs out), so the next visitor on a shared device is not surveyed as the previous one.",
                kind: FieldType::Boolean,
                required: false,
                multiple: false,
                default: Some(json!(true)),
                extension: true,
            },
            // Beyond Segment.
            Setting {
                key: "surveyEvents",
                label: "Send survey events to analytics",
                description: "Track \"Survey Question Answered\" and \"Survey Closed\" through analytics.js when Iterate reports a response or a close, so every other destination receives them.",
                kind: FieldType::Boolean,
                required: false,
                multiple: false,
                default: Some(json!(false)),
                extension: true,
            },
            // Beyond Segment: Segment keeps a destination's categories beside its
            // settings (`consentSettings.categories`); both are honoured.
            Setting {
                key: "consentCategories",
                label: "Consent categories",
                description: "Consent category ids the visitor must all have granted (event.context.consent.categoryPreferences) before Iterate is loaded and any mapping sends to it; revoking one logs the visitor out of Iterate. Each mapping can require more.",
                kind: FieldType::String,
                required: false,
                multiple: true,
                default: Some(json!([])),
                extension: true,
            },
            // Beyond Segment.
            Setting {
                key: "deliveryLogSampleRate",
                label: "Delivery log sample rate",
                description: "The share of page loads (0 to 1) that report per-mapping counters (matched, skipped, delivered; never event contents) to this control plane; 0 turns the delivery log off.",
                kind: FieldType::Number,
                required: false,
                multiple: false,
                default: Some(json!(1)),
                extension: true,
            },
        ],
        actions: vec![track, identify, show],
        presets,
    }
}

/// The `window.Iterate(...)` calls an action makes for one validated payload.
///
/// `trackEvent` and `identifyUser` are Segment's; `showSurvey` and the identify
/// `responseProperties` field go beyond it (they never appear in migrated settings).
///
/// `identifyUser` sends the traits with `external_id` set to the user id when the id
/// is present and not empty, as Segment's bundle does; it works on a copy, so neither
/// the event nor the payload changes.
pub fn perform(action: &str, payload: &Value) -> Vec<Value> {
    match action {
        "trackEvent" => vec![json!([
            "event",
            payload.get("name").cloned().unwrap_or(Value::Null)
        ])],
        "identifyUser" => {
            let mut traits = match payload.get("traits") {
                Some(t) if js::JsVal::from_json(t).is_truthy() => t.clone(),
                _ => json!({}),
            };
            let user_id = payload
                .get("userId")
                .filter(|u| js::JsVal::from_json(u).is_truthy());
            if let (Some(id), Value::Object(t)) = (user_id, &mut traits) {
                t.insert("external_id".into(), id.clone());
            }
            // Response properties travel as a second argument only when mapped to an
            // object, so Segment's two-argument call is unchanged otherwise.
            match payload.get("responseProperties") {
                Some(props @ Value::Object(_)) => vec![json!(["identify", traits, props])],
                _ => vec![json!(["identify", traits])],
            }
        }
        "showSurvey" => match payload.get("surveyId") {
            Some(id @ Value::String(_)) => vec![json!(["install", id])],
            _ => vec![json!(["install"])],
        },
        _ => Vec::new(),
    }
}
