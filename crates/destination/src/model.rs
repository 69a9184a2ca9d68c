//! The destination model: one definition per destination, read by the runtime, the
//! CLI, the server and the UI alike. Catalog pages and docs are generated from it.

use serde::Serialize;
use serde_json::Value;

/// How a destination runs: in the visitor's browser (device) or on a server (cloud).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Device,
    Cloud,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Definition {
    pub name: &'static str,
    pub slug: &'static str,
    pub mode: Mode,
    pub description: &'static str,
    pub settings: Vec<Setting>,
    /// In the order the runtime runs them.
    pub actions: Vec<Action>,
    pub presets: Vec<Preset>,
}

/// A destination-wide setting such as an API key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    /// An array of `kind` values.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub multiple: bool,
    /// The value when the settings leave it out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Not in Segment's destination: ours only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub extension: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub key: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub platform: Platform,
    /// The trigger a new mapping of this action starts with.
    pub default_trigger: &'static str,
    pub fields: Vec<Field>,
    /// Not in Segment's destination: ours only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub extension: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Web,
    Cloud,
}

/// One input of an action, filled by the mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub required: bool,
    /// An array of `kind` values.
    pub multiple: bool,
    pub allow_null: bool,
    /// The mapping a preset or a new mapping starts with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// The only values allowed, when set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Value>,
    /// The known keys of an `object` field; unknown keys are dropped when set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Field>,
    /// Not in Segment's destination: ours only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub extension: bool,
}

impl Field {
    /// A field with no default, choices or properties, not required.
    pub fn new(
        key: &'static str,
        label: &'static str,
        kind: FieldType,
        description: &'static str,
    ) -> Field {
        Field {
            key,
            label,
            description,
            kind,
            required: false,
            multiple: false,
            allow_null: false,
            default: None,
            choices: Vec::new(),
            properties: Vec::new(),
            extension: false,
        }
    }

    /// Marks the field as ours only (not in Segment's destination).
    pub fn extension(mut self) -> Field {
        self.extension = true;
        self
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn default_mapping(mut self, mapping: Value) -> Field {
        self.default = Some(mapping);
        self
    }
}

/// Field types, as Segment's action definitions name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Text,
    Password,
    Number,
    Integer,
    Boolean,
    Object,
    Datetime,
}

/// A ready-made mapping: a trigger, an action, and the action's field defaults.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    pub name: &'static str,
    pub trigger: &'static str,
    pub action: &'static str,
    pub mapping: Value,
}

impl Definition {
    pub fn action(&self, key: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.key == key)
    }

    /// The field defaults of `action` as one mapping, what a preset holds.
    pub fn default_mapping(action: &Action) -> Value {
        Value::Object(
            action
                .fields
                .iter()
                .filter_map(|f| f.default.clone().map(|d| (f.key.to_string(), d)))
                .collect(),
        )
    }

    /// The presets as Segment's settings carry them: enabled subscriptions.
    pub fn preset_subscriptions(&self) -> Value {
        Value::Array(
            self.presets
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    serde_json::json!({
                        "id": format!("preset-{}", i + 1),
                        "name": p.name,
                        "enabled": true,
                        "subscribe": p.trigger,
                        "partnerAction": p.action,
                        "mapping": p.mapping,
                    })
                })
                .collect(),
        )
    }
}
