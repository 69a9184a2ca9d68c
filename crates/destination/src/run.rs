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
    pub skipped: Vec<Skip>,
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

    /// Like [`Config::run`], for one action's subscriptions only: what the browser's
    /// plugin for that action does.
    pub fn run_action(&self, action: &str, event: &Value) -> Result<Outcome, NotAnEvent> {
        match self
            .destination
            .definition
            .actions
            .iter()
            .position(|a| a.key == action)
        {
            Some(index) => self.run_some(event, Some(index)),
            None => self.run_some(event, Some(usize::MAX)),
        }
    }

    fn run_some(&self, event: &Value, only: Option<usize>) -> Result<Outcome, NotAnEvent> {
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
        let mut allowed: Option<(usize, bool)> = None;
        for sub in self
            .subscriptions
            .iter()
            .filter(|s| only.is_none_or(|a| a == s.action))
        {
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
            let payload = match map(sub, event) {
                Mapped::Unmatched => continue,
                Mapped::TriggerFailed(reason) | Mapped::MappingFailed(reason) => {
                    out.skip(sub, reason);
                    continue;
                }
                Mapped::Payload(p) => p,
            };
            match crate::payload::validate(&action.fields, payload) {
                Ok(payload) => out
                    .calls
                    .extend((self.destination.perform)(action.key, &payload)),
                Err(problems) => out.skip(sub, format!("invalid payload: {}", problems.join(" "))),
            }
        }
        Ok(out)
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
                                t.calls = (self.destination.perform)(action.key, &valid);
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

impl Outcome {
    fn skip(&mut self, sub: &crate::config::Subscription, reason: String) {
        self.skipped.push(Skip {
            subscription: sub.id.clone(),
            reason,
        });
    }
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
    match sub.trigger.matches(event) {
        Ok(true) => {}
        Ok(false) => return Mapped::Unmatched,
        Err(e) => return Mapped::TriggerFailed(format!("the trigger could not be evaluated: {e}")),
    }
    match sub.plan.evaluate(event) {
        Ok(p) => Mapped::Payload(p),
        Err(e) => Mapped::MappingFailed(format!("the mapping failed: {e}")),
    }
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
