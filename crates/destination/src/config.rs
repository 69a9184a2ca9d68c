//! A destination instance's settings as Segment sends them to the browser
//! (`{"apiKey": ..., "subscriptions": [...]}`), loaded once: every trigger parsed and
//! every mapping compiled up front, every problem reported at once, each naming its
//! subscription and the place (a span in the trigger, a JSON Pointer in the settings).

use crate::Destination;
use diagnostics::Diagnostic;
use serde::Serialize;
use serde_json::{Map, Value};

/// The most mappings (subscriptions) one destination instance may hold.
pub const MAX_SUBSCRIPTIONS: usize = 50;

/// The codes this module reports, named.
pub mod codes {
    pub const SETTINGS: &str = "DEF201";
    pub const REQUIRED_SETTING: &str = "DEF202";
    pub const SUBSCRIPTIONS: &str = "DEF203";
    pub const SUBSCRIPTION_SHAPE: &str = "DEF204";
    pub const UNKNOWN_ACTION: &str = "DEF205";
    pub const TOO_MANY: &str = "DEF206";
    pub const REQUIRED_FIELD: &str = "DEF207";
    pub const DUPLICATE_ID: &str = "DEF208";
    pub const SETTING_TYPE: &str = "DEF209";
    pub const CONSENT: &str = "DEF210";
    pub const RANGE: &str = "DEF211";
    pub const ENABLED: &str = "DEF250";
    pub const UNKNOWN_FIELD: &str = "DEF251";
}

/// Which subscription a problem is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionRef {
    pub index: usize,
    pub id: String,
    pub name: String,
}

impl std::fmt::Display for SubscriptionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "subscription {} {:?} (id {:?})",
            self.index, self.name, self.id
        )
    }
}

/// One problem in a configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionRef>,
    /// Its pointer is into the settings document; its spans, when it has any, are
    /// into `source`.
    pub diagnostic: Diagnostic,
    /// The trigger text the spans refer to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Problem {
    pub fn is_error(&self) -> bool {
        self.diagnostic.is_error()
    }

    /// Caret rendering, prefixed by the subscription it is about.
    pub fn render(&self) -> String {
        let text = match &self.source {
            Some(src) => diagnostics::render(&self.diagnostic, "trigger", src),
            None => diagnostics::render(&self.diagnostic, "settings", ""),
        };
        match &self.subscription {
            Some(s) => format!("in {s}:\n{text}"),
            None => text,
        }
    }
}

/// A subscription ready to run: trigger parsed, mapping compiled.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub(crate) id: String,
    pub(crate) action: usize,
    pub(crate) trigger: fql::Trigger,
    pub(crate) plan: mapping::Plan,
    /// The consent categories the visitor must all have granted: the destination's
    /// and this mapping's own.
    pub(crate) consent: Vec<String>,
}

/// A loaded configuration: the sound, enabled subscriptions in the order the
/// runtime runs them (definition order of actions, then array order).
#[derive(Debug)]
pub struct Config {
    pub(crate) destination: &'static Destination,
    pub(crate) api_key: String,
    /// The definition's settings other than the API key, with defaults filled in.
    pub(crate) options: Map<String, Value>,
    /// The destination's consent categories: the `consentCategories` setting and
    /// Segment's `consentSettings.categories`, together.
    pub(crate) consent: Vec<String>,
    pub(crate) subscriptions: Vec<Subscription>,
}

/// What loading settings gives: the runnable part, and every problem found.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub problems: Vec<Problem>,
}

impl Loaded {
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }

    /// What the browser is told about a configuration it loads: the actions that get a
    /// plugin, the options, the destination's consent categories and every problem
    /// (`{"actions", "options", "consent", "problems"}`). The full engine's `ia_load`
    /// answers it (with its handle) and the page plan carries it, so both read one copy.
    pub fn report_json(&self) -> Value {
        let problems: Vec<Value> = self
            .problems
            .iter()
            .map(|p| {
                serde_json::json!({
                    "severity": p.diagnostic.severity.as_str(),
                    "code": p.diagnostic.code,
                    "subscription": p.subscription.as_ref().map(|s| s.to_string()),
                    "pointer": p.diagnostic.pointer,
                    "message": p.diagnostic.message,
                    "span": p.diagnostic.span().map(|s| serde_json::json!([s.start, s.end])),
                    "help": p.diagnostic.help,
                })
            })
            .collect();
        serde_json::json!({
            "actions": self.config.active_actions(),
            "options": self.config.options(),
            "consent": self.config.consent(),
            "problems": problems,
        })
    }
}

impl Config {
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn destination(&self) -> &'static Destination {
        self.destination
    }

    /// The definition's settings besides the API key, as given or by default (a value
    /// of the wrong type is reported and replaced by the default).
    pub fn options(&self) -> &Map<String, Value> {
        &self.options
    }

    /// The consent categories the whole destination requires.
    pub fn consent(&self) -> &[String] {
        &self.consent
    }

    /// The actions that have at least one runnable subscription, in definition order
    /// (the browser makes one plugin for each).
    pub fn active_actions(&self) -> Vec<&'static str> {
        let mut keys: Vec<&'static str> = Vec::new();
        for s in &self.subscriptions {
            let key = self.destination.definition.actions[s.action].key;
            if keys.last() != Some(&key) {
                keys.push(key);
            }
        }
        keys
    }
}

/// Loads `settings` for `destination`.
pub fn load(destination: &'static Destination, settings: &Value) -> Loaded {
    let mut problems = Vec::new();
    let mut config = Config {
        destination,
        api_key: String::new(),
        options: Map::new(),
        consent: Vec::new(),
        subscriptions: Vec::new(),
    };
    let Some(settings) = settings.as_object() else {
        problems.push(top(Diagnostic::error(
            codes::SETTINGS,
            format!("settings must be a JSON object, found {}", kind(settings)),
        )
        .with_pointer("")));
        return Loaded { config, problems };
    };
    for setting in &destination.definition.settings {
        match settings.get(setting.key) {
            Some(Value::String(s)) if !s.trim().is_empty() && setting.key == "apiKey" => {
                config.api_key = s.clone();
            }
            Some(Value::String(s)) if !s.trim().is_empty() && setting.required => {}
            Some(v) if !setting.required && !setting_matches(v, setting) => {
                problems.push(top(Diagnostic::error(
                    codes::SETTING_TYPE,
                    format!(
                        "the setting `{}` ({}) must be {}{}, found {}",
                        setting.key,
                        setting.label,
                        if setting.multiple {
                            "an array of which each item is "
                        } else {
                            ""
                        },
                        type_name(setting.kind),
                        kind(v)
                    ),
                )
                .with_pointer(format!("/{}", setting.key))))
            }
            found if setting.required => problems.push(top(Diagnostic::error(
                codes::REQUIRED_SETTING,
                format!(
                    "the setting `{}` ({}) is required, {}",
                    setting.key,
                    setting.label,
                    match found {
                        None => "and missing".to_string(),
                        Some(Value::String(_)) => "and empty".to_string(),
                        Some(v) => format!("and must be a string, found {}", kind(v)),
                    }
                ),
            )
            .with_pointer(format!("/{}", setting.key)))),
            _ => {}
        }
    }
    for setting in destination
        .definition
        .settings
        .iter()
        .filter(|s| s.key != "apiKey")
    {
        let given = settings
            .get(setting.key)
            .filter(|v| setting_matches(v, setting));
        if let Some(v) = given.or(setting.default.as_ref()) {
            config.options.insert(setting.key.to_string(), v.clone());
        }
    }
    if let Some(rate) = config
        .options
        .get("deliveryLogSampleRate")
        .and_then(Value::as_f64)
        .filter(|r| !(0.0..=1.0).contains(r))
    {
        problems.push(top(Diagnostic::error(
            codes::RANGE,
            format!("the setting `deliveryLogSampleRate` (Delivery log sample rate) must be between 0 and 1, found {rate}"),
        )
        .with_pointer("/deliveryLogSampleRate")));
        config
            .options
            .insert("deliveryLogSampleRate".into(), Value::from(0));
    }
    // The `consentCategories` setting was type-checked above; Segment's place for
    // them is checked here. Consent fails closed: when the destination's categories are
    // malformed, no mapping runs (and the browser never loads Iterate).
    let mut consent_broken = settings
        .get("consentCategories")
        .is_some_and(|v| !v.is_null() && config.options.get("consentCategories") != Some(v));
    let mut consent = Vec::new();
    for found in [
        categories(
            config.options.get("consentCategories"),
            "/consentCategories",
        ),
        categories(
            settings
                .get("consentSettings")
                .and_then(|c| c.get("categories")),
            "/consentSettings/categories",
        ),
    ] {
        match found {
            Ok(more) => consent.extend(more),
            Err(d) => {
                consent_broken = true;
                problems.push(top(d))
            }
        }
    }
    if settings
        .get("consentSettings")
        .is_some_and(|c| !c.is_object() && !c.is_null())
    {
        consent_broken = true;
        problems.push(top(Diagnostic::error(
            codes::CONSENT,
            "`consentSettings` must be an object such as {\"categories\": [\"C0001\"]}",
        )
        .with_pointer("/consentSettings")));
    }
    dedup(&mut consent);
    config.consent = consent;
    let parsed;
    let subscriptions: &[Value] = match settings.get("subscriptions") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        // Segment's older runtimes took the list as JSON text; so do we.
        Some(Value::String(text)) if text.trim().is_empty() => &[],
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => {
                parsed = items;
                &parsed
            }
            Ok(other) => {
                problems.push(top(Diagnostic::error(
                    codes::SUBSCRIPTIONS,
                    format!(
                        "`subscriptions` text must hold a JSON array, found {}",
                        kind(&other)
                    ),
                )
                .with_pointer("/subscriptions")));
                &[]
            }
            Err(e) => {
                problems.push(top(Diagnostic::error(
                    codes::SUBSCRIPTIONS,
                    format!("`subscriptions` text is not JSON: {e}"),
                )
                .with_pointer("/subscriptions")));
                &[]
            }
        },
        Some(other) => {
            problems.push(top(Diagnostic::error(
                codes::SUBSCRIPTIONS,
                format!("`subscriptions` must be an array, found {}", kind(other)),
            )
            .with_pointer("/subscriptions")));
            &[]
        }
    };
    if subscriptions.len() > MAX_SUBSCRIPTIONS {
        problems.push(top(
            Diagnostic::error(
                codes::TOO_MANY,
                format!(
                    "{} mappings, more than the limit of {MAX_SUBSCRIPTIONS} per destination; mappings after the {MAX_SUBSCRIPTIONS}th are refused",
                    subscriptions.len()
                ),
            )
            .with_pointer(format!("/subscriptions/{MAX_SUBSCRIPTIONS}")),
        ));
    }
    let mut seen_ids = std::collections::HashSet::new();
    let mut loaded = Vec::new();
    for (index, raw) in subscriptions.iter().enumerate().take(MAX_SUBSCRIPTIONS) {
        let at = format!("/subscriptions/{index}");
        let sub_ref = reference(index, raw);
        let mut report = |d: Diagnostic, source: Option<String>| {
            problems.push(Problem {
                subscription: Some(sub_ref.clone()),
                diagnostic: d,
                source,
            })
        };
        if raw.get("id").is_some() && !seen_ids.insert(sub_ref.id.clone()) {
            report(
                Diagnostic::error(
                    codes::DUPLICATE_ID,
                    format!("another subscription has the id {:?}", sub_ref.id),
                )
                .with_pointer(format!("{at}/id")),
                None,
            );
        }
        match load_one(destination, raw, &at, &sub_ref.id, &mut report) {
            Some(mut sub) if is_enabled(raw, &at, &mut report) => {
                sub.consent.splice(0..0, config.consent.iter().cloned());
                dedup(&mut sub.consent);
                loaded.push((index, sub))
            }
            _ => {}
        }
    }
    loaded.sort_by_key(|(index, sub)| (sub.action, *index));
    if consent_broken {
        loaded.clear();
    }
    config.subscriptions = loaded.into_iter().map(|(_, s)| s).collect();
    Loaded { config, problems }
}

/// `enabled` as the runtime reads it (truthiness); a warning unless it is a boolean.
fn is_enabled(raw: &Value, at: &str, report: &mut impl FnMut(Diagnostic, Option<String>)) -> bool {
    match raw.get("enabled") {
        Some(Value::Bool(b)) => *b,
        other => {
            let on = other.is_some_and(|v| js::JsVal::from_json(v).is_truthy());
            report(
                Diagnostic::warning(
                    codes::ENABLED,
                    format!(
                        "`enabled` should be true or false; {} counts as {}",
                        other.map_or("a missing value".to_string(), |v| v.to_string()),
                        if on { "enabled" } else { "disabled" }
                    ),
                )
                .with_pointer(format!("{at}/enabled")),
                None,
            );
            on
        }
    }
}

fn load_one(
    destination: &'static Destination,
    raw: &Value,
    at: &str,
    id: &str,
    report: &mut impl FnMut(Diagnostic, Option<String>),
) -> Option<Subscription> {
    let Some(obj) = raw.as_object() else {
        report(
            Diagnostic::error(
                codes::SUBSCRIPTION_SHAPE,
                format!("a subscription must be an object, found {}", kind(raw)),
            )
            .with_pointer(at),
            None,
        );
        return None;
    };
    let string = |key: &str, report: &mut dyn FnMut(Diagnostic, Option<String>)| match obj.get(key)
    {
        Some(Value::String(s)) => Some(s.clone()),
        other => {
            report(
                Diagnostic::error(
                    codes::SUBSCRIPTION_SHAPE,
                    format!(
                        "`{key}` must be a string, {}",
                        other.map_or("and is missing".into(), |v| format!("found {}", kind(v)))
                    ),
                )
                .with_pointer(format!("{at}/{key}")),
                None,
            );
            None
        }
    };
    let subscribe = string("subscribe", report);
    let action_key = string("partnerAction", report);
    let definition = &destination.definition;
    let action = action_key.as_deref().and_then(|key| {
        let found = definition.actions.iter().position(|a| a.key == key);
        if found.is_none() {
            let known: Vec<_> = definition
                .actions
                .iter()
                .map(|a| format!("`{}`", a.key))
                .collect();
            report(
                Diagnostic::error(
                    codes::UNKNOWN_ACTION,
                    format!("{} has no action `{key}`", definition.name),
                )
                .with_pointer(format!("{at}/partnerAction"))
                .with_help(format!("the actions are {}", known.join(", "))),
                None,
            );
        }
        found
    });
    let trigger = subscribe.and_then(|src| {
        let parsed = fql::parse(&src);
        for d in parsed.diagnostics {
            report(d.with_pointer(format!("{at}/subscribe")), Some(src.clone()));
        }
        parsed.trigger
    });
    let empty = Value::Object(Map::new());
    let mapping_value = match obj.get("mapping") {
        None | Some(Value::Null) => &empty,
        Some(m @ Value::Object(_)) => m,
        Some(other) => {
            report(
                Diagnostic::error(
                    codes::SUBSCRIPTION_SHAPE,
                    format!("`mapping` must be an object, found {}", kind(other)),
                )
                .with_pointer(format!("{at}/mapping")),
                None,
            );
            return None;
        }
    };
    let plan = match mapping::compile(mapping_value) {
        Ok(plan) => {
            for w in plan.warnings() {
                report(repoint(w.clone(), &format!("{at}/mapping")), None);
            }
            Some(plan)
        }
        Err(diagnostics) => {
            for d in diagnostics {
                report(repoint(d, &format!("{at}/mapping")), None);
            }
            None
        }
    };
    let mut sound = true;
    if let (Some(a), Value::Object(m)) = (action, mapping_value) {
        let action = &definition.actions[a];
        if !m.contains_key(mapping::ROOT_KEY) {
            for field in action
                .fields
                .iter()
                .filter(|f| f.required && !m.contains_key(f.key))
            {
                report(
                    Diagnostic::error(
                        codes::REQUIRED_FIELD,
                        format!(
                            "the action `{}` requires the field `{}` ({}), which has no mapping",
                            action.key, field.key, field.label
                        ),
                    )
                    .with_pointer(format!("{at}/mapping"))
                    .with_help(match &field.default {
                        Some(d) => format!("map it, for example `\"{}\": {d}`", field.key),
                        None => format!("add a mapping for `{}`", field.key),
                    }),
                    None,
                );
                sound = false;
            }
            for key in m
                .keys()
                .filter(|k| !action.fields.iter().any(|f| f.key == k.as_str()))
            {
                let known: Vec<_> = action
                    .fields
                    .iter()
                    .map(|f| format!("`{}`", f.key))
                    .collect();
                report(
                    Diagnostic::warning(
                        codes::UNKNOWN_FIELD,
                        format!(
                            "the action `{}` has no field `{key}`; its value is dropped",
                            action.key
                        ),
                    )
                    .with_pointer(format!("{at}/mapping/{}", diagnostics::pointer_token(key)))
                    .with_help(format!("the fields are {}", known.join(", "))),
                    None,
                );
            }
        }
    }
    // Beyond Segment: categories this one mapping requires.
    let consent = match categories(
        obj.get("consentCategories"),
        &format!("{at}/consentCategories"),
    ) {
        Ok(c) => c,
        Err(d) => {
            report(d, None);
            sound = false;
            Vec::new()
        }
    };
    match (action, trigger, plan) {
        (Some(action), Some(trigger), Some(plan)) if sound => Some(Subscription {
            id: id.to_string(),
            action,
            trigger,
            plan,
            consent,
        }),
        _ => None,
    }
}

/// Consent category ids at `at`: absent or null is none; anything but an array of
/// non-empty strings is an error naming the bad item.
fn categories(value: Option<&Value>, at: &str) -> Result<Vec<String>, Diagnostic> {
    let wrong = |pointer: String, found: &str| {
        Diagnostic::error(
            codes::CONSENT,
            format!("consent categories must be an array of category ids (non-empty strings), found {found}"),
        )
        .with_pointer(pointer)
        .with_help("for example [\"C0002\", \"analytics\"]")
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                Value::String(_) => Err(wrong(format!("{at}/{i}"), "an empty string")),
                other => Err(wrong(format!("{at}/{i}"), kind(other))),
            })
            .collect(),
        Some(other) => Err(wrong(at.to_string(), kind(other))),
    }
}

/// Removes repeated items, keeping the first of each.
fn dedup(items: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|c| seen.insert(c.clone()));
}

/// Moves a mapping diagnostic's pointer under `base`.
fn repoint(mut d: Diagnostic, base: &str) -> Diagnostic {
    d.pointer = Some(format!("{base}{}", d.pointer.as_deref().unwrap_or("")));
    d
}

fn reference(index: usize, raw: &Value) -> SubscriptionRef {
    let text = |k: &str| match raw.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    SubscriptionRef {
        index,
        id: text("id").unwrap_or_else(|| format!("#{index}")),
        name: text("name").unwrap_or_default(),
    }
}

fn top(diagnostic: Diagnostic) -> Problem {
    Problem {
        subscription: None,
        diagnostic,
        source: None,
    }
}

fn setting_matches(v: &Value, setting: &crate::model::Setting) -> bool {
    match v {
        Value::Array(items) if setting.multiple => {
            items.iter().all(|item| matches_type(item, setting.kind))
        }
        _ => !setting.multiple && matches_type(v, setting.kind),
    }
}

fn matches_type(v: &Value, t: crate::model::FieldType) -> bool {
    use crate::model::FieldType as T;
    match t {
        T::String | T::Text | T::Password | T::Datetime => v.is_string(),
        T::Number => v.is_number(),
        T::Integer => v.as_f64().is_some_and(|n| n.fract() == 0.0),
        T::Boolean => v.is_boolean(),
        T::Object => v.is_object(),
    }
}

fn type_name(t: crate::model::FieldType) -> &'static str {
    use crate::model::FieldType as T;
    match t {
        T::String | T::Text | T::Password | T::Datetime => "a string",
        T::Number => "a number",
        T::Integer => "an integer",
        T::Boolean => "true or false",
        T::Object => "an object",
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
