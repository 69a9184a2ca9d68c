//! Running a loaded configuration over one event: the calls the browser makes, in its
//! order, and the subscriptions skipped, each with its reason.

use crate::config::Config;
use serde::Serialize;
use serde_json::Value;

/// The event types the browser runtime hands to destination plugins; `screen` and
/// anything else never reach them.
const HOOKS: &[&str] = &["track", "page", "identify", "group", "alias"];

/// What one event produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outcome {
    /// `window.Iterate(...)` argument lists, in call order.
    pub calls: Vec<Value>,
    /// The subscriptions that failed on the event (a trigger that could not be
    /// evaluated, a mapping that failed, an invalid payload), each with its reason.
    pub skipped: Vec<Skip>,
    /// Where each subscription that saw the event stopped, in run order (the
    /// browser's delivery log counts these); recorded when [`RunOptions::steps`] asks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

/// How far one subscription got with one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub subscription: String,
    pub outcome: Stop,
    /// Why, for failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a subscription stopped: at its trigger (not selected, or the trigger failed),
/// at consent (denied, or not known yet: held), at its mapping or payload validation,
/// or it delivered its calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    Trigger,
    Consent,
    Held,
    Validation,
    Delivered,
}

/// How to run: which subscriptions, and the consent to assume for an event that
/// carries none.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions<'a> {
    /// Only the subscriptions with these ids (the held ones, when consent arrives).
    pub only: Option<&'a [String]>,
    /// `categoryPreferences` known from earlier events, used when the event has none.
    pub consent: Option<&'a serde_json::Map<String, Value>>,
    /// Record every subscription's [`Step`] (the delivery log's counts).
    pub steps: bool,
}

/// A subscription whose trigger selected the event but which made no call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skip {
    pub subscription: String,
    pub reason: String,
}

/// Why an event could not be run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnEvent(pub &'static str);

impl std::fmt::Display for NotAnEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an event must be a JSON object, found {}", self.0)
    }
}

impl std::error::Error for NotAnEvent {}

impl Config {
    /// Runs every subscription over `event`: trigger, mapping, payload validation, then
    /// the action. Nothing here mutates the event.
    pub fn run(&self, event: &Value) -> Result<Outcome, NotAnEvent> {
        self.run_some(event, None)
    }

    /// Like [`Config::run`], with [`RunOptions`] (`only` and `consent` apply to every
    /// action).
    pub fn run_with_options(
        &self,
        event: &Value,
        options: RunOptions<'_>,
    ) -> Result<Outcome, NotAnEvent> {
        self.run_with(event, None, options)
    }

    /// Like [`Config::run`], for one action's subscriptions only: what the browser's
    /// plugin for that action does.
    pub fn run_action(&self, action: &str, event: &Value) -> Result<Outcome, NotAnEvent> {
        self.run_action_with(action, event, RunOptions::default())
    }

    /// Like [`Config::run_action`], with [`RunOptions`].
    pub fn run_action_with(
        &self,
        action: &str,
        event: &Value,
        options: RunOptions<'_>,
    ) -> Result<Outcome, NotAnEvent> {
        let index = self
            .destination
            .definition
            .actions
            .iter()
            .position(|a| a.key == action)
            .unwrap_or(usize::MAX);
        self.run_with(event, Some(index), options)
    }

    fn run_some(&self, event: &Value, only: Option<usize>) -> Result<Outcome, NotAnEvent> {
        self.run_with(event, only, RunOptions::default())
    }

    fn run_with(
        &self,
        event: &Value,
        only: Option<usize>,
        options: RunOptions<'_>,
    ) -> Result<Outcome, NotAnEvent> {
        let Some(fields) = event.as_object() else {
            return Err(NotAnEvent(match event {
                Value::Array(_) => "an array",
                Value::Null => "null",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                _ => "a boolean",
            }));
        };
        let mut out = Outcome::default();
        if !fields
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| HOOKS.contains(&t))
        {
            return Ok(out);
        }
        let definition = &self.destination.definition;
        let integrations = fields.get("integrations").and_then(Value::as_object);
        let preferences = preferences(event).or(options.consent);
        let mut allowed: Option<(usize, bool)> = None;
        for sub in self.subscriptions.iter().filter(|s| {
            only.is_none_or(|a| a == s.action) && options.only.is_none_or(|ids| ids.contains(&s.id))
        }) {
            let action = &definition.actions[sub.action];
            let on = match allowed {
                Some((a, on)) if a == sub.action => on,
                _ => {
                    let on =
                        integrations.is_none_or(|i| plugin_enabled(i, definition.name, action.key));
                    allowed = Some((sub.action, on));
                    on
                }
            };
            if !on {
                continue;
            }
            let (stop, reason) = self.one(sub, action, event, preferences, &mut out.calls);
            if let Some(reason) = &reason {
                out.skipped.push(Skip {
                    subscription: sub.id.clone(),
                    reason: reason.clone(),
                });
            }
            if options.steps {
                out.steps.push(Step {
                    subscription: sub.id.clone(),
                    outcome: stop,
                    reason,
                });
            }
        }
        Ok(out)
    }
}

impl Config {
    /// One subscription over an event: trigger, consent, mapping, validation, then the
    /// action's calls (added to `calls`). Where it stopped, with the reason of a failure.
    fn one(
        &self,
        sub: &crate::config::Subscription,
        action: &crate::model::Action,
        event: &Value,
        preferences: Option<&serde_json::Map<String, Value>>,
        calls: &mut Vec<Value>,
    ) -> (Stop, Option<String>) {
        match selects(sub, event) {
            Ok(true) => {}
            Ok(false) => return (Stop::Trigger, None),
            Err(reason) => return (Stop::Trigger, Some(reason)),
        }
        match consented(&sub.consent, preferences) {
            Some(true) => {}
            Some(false) => return (Stop::Consent, None),
            None => return (Stop::Held, None),
        }
        let payload = match mapped(sub, event) {
            Ok(p) => p,
            Err(reason) => return (Stop::Validation, Some(reason)),
        };
        match crate::payload::validate(&action.fields, payload) {
            Ok(payload) => {
                calls.extend((self.destination.perform)(action.key, &payload));
                (Stop::Delivered, None)
            }
            Err(problems) => (
                Stop::Validation,
                Some(format!("invalid payload: {}", problems.join(" "))),
            ),
        }
    }
}

/// What one subscription did with one event, for the event tester.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    pub subscription: String,
    pub matched: bool,
    /// The payload after validation (or as mapped, when validation rejected it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    pub problems: Vec<String>,
    pub calls: Vec<Value>,
}

impl Config {
    /// Every loaded subscription's handling of `event`, in run order, whether or not
    /// the trigger selects it; integrations flags are not applied.
    pub fn trace(&self, event: &Value) -> Vec<Trace> {
        let definition = &self.destination.definition;
        let preferences = preferences(event);
        self.subscriptions
            .iter()
            .map(|sub| {
                let action = &definition.actions[sub.action];
                let mapped = map(sub, event);
                let mut t = Trace {
                    subscription: sub.id.clone(),
                    matched: matches!(mapped, Mapped::MappingFailed(_) | Mapped::Payload(_)),
                    payload: None,
                    problems: Vec::new(),
                    calls: Vec::new(),
                };
                match mapped {
                    Mapped::Unmatched => {}
                    Mapped::TriggerFailed(reason) | Mapped::MappingFailed(reason) => {
                        t.problems.push(reason)
                    }
                    Mapped::Payload(payload) => {
                        match crate::payload::validate(&action.fields, payload.clone()) {
                            Ok(valid) => {
                                match consented(&sub.consent, preferences) {
                                    Some(true) => {
                                        t.calls = (self.destination.perform)(action.key, &valid)
                                    }
                                    Some(false) => t.problems.push(format!(
                                        "not sent: consent is required for {}, and the event's context.consent.categoryPreferences does not grant all of them",
                                        sub.consent.join(", ")
                                    )),
                                    None => t.problems.push(format!(
                                        "held: consent is required for {}, and the event carries no context.consent.categoryPreferences (the browser waits for them)",
                                        sub.consent.join(", ")
                                    )),
                                }
                                t.payload = Some(valid);
                            }
                            Err(problems) => {
                                t.payload = payload;
                                t.problems = problems;
                            }
                        }
                    }
                }
                t
            })
            .collect()
    }
}

/// Segment's consent rule, per mapping: every required category must be `true` in
/// the preferences (an empty object grants nothing); no required category needs no
/// consent. `None` when categories are required and no preferences are known.
pub fn consented(
    required: &[String],
    preferences: Option<&serde_json::Map<String, Value>>,
) -> Option<bool> {
    if required.is_empty() {
        return Some(true);
    }
    preferences.map(|p| {
        required
            .iter()
            .all(|c| p.get(c) == Some(&Value::Bool(true)))
    })
}

/// How far a subscription got with an event before payload validation.
enum Mapped {
    Unmatched,
    TriggerFailed(String),
    MappingFailed(String),
    /// The mapping's output (`None` is `undefined`).
    Payload(Option<Value>),
}

/// The trigger, then the mapping: the steps `run` and `trace` share.
fn map(sub: &crate::config::Subscription, event: &Value) -> Mapped {
    match selects(sub, event) {
        Ok(true) => {}
        Ok(false) => return Mapped::Unmatched,
        Err(reason) => return Mapped::TriggerFailed(reason),
    }
    match mapped(sub, event) {
        Ok(p) => Mapped::Payload(p),
        Err(reason) => Mapped::MappingFailed(reason),
    }
}

/// The consent preferences an event carries (`context.consent.categoryPreferences`).
fn preferences(event: &Value) -> Option<&serde_json::Map<String, Value>> {
    event
        .pointer("/context/consent/categoryPreferences")
        .and_then(Value::as_object)
}

/// Whether the subscription's trigger selects the event, or why it could not tell.
fn selects(sub: &crate::config::Subscription, event: &Value) -> Result<bool, String> {
    sub.trigger
        .matches(event)
        .map_err(|e| format!("the trigger could not be evaluated: {e}"))
}

/// The subscription's mapping over the event (`None` is `undefined`), or why it failed.
fn mapped(sub: &crate::config::Subscription, event: &Value) -> Result<Option<Value>, String> {
    sub.plan
        .evaluate(event)
        .map_err(|e| format!("the mapping failed: {e}"))
}

/// analytics.js's per-event `integrations` rule for one destination plugin: the
/// destination's name, then the plugin's own name, then `All` (on unless `false`).
fn plugin_enabled(integrations: &serde_json::Map<String, Value>, name: &str, action: &str) -> bool {
    let named = integrations.get(name).filter(|v| !v.is_null()).or_else(|| {
        integrations
            .get(&format!("{name} {action}"))
            .filter(|v| !v.is_null())
    });
    match named {
        Some(v) => js::JsVal::from_json(v).is_truthy(),
        None => integrations.get("All") != Some(&Value::Bool(false)),
    }
}
