//! Plugin configuration: the compiled JSON Schema, defaults, and district/hall overrides.
//!
//! The configuration a plugin sees is its schema's defaults, deep-merged with
//! the district's config, deep-merged with the hall's config, and validated
//! against the schema before it is accepted. Objects merge key by key; any
//! other value (arrays, strings, numbers, `null`) replaces what was there.

use serde_json::{Map, Value};
use std::sync::Arc;

use crate::config_messages;
use crate::error::Problems;

/// One reason a configuration does not satisfy its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// JSON pointer of the offending field, e.g. `/windows/0/name` (empty for
    /// the whole configuration).
    pub path: String,
    /// The reason in Simplified Chinese.
    pub message_zh: String,
    /// The reason in English.
    pub message_en: String,
}

/// Why a JSON Schema could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON Schema{}: {message}", if path.is_empty() { String::new() } else { format!(" at {path}") })]
pub struct ConfigSchemaError {
    /// JSON pointer into the schema.
    pub path: String,
    /// The compiler's message.
    pub message: String,
}

/// A compiled config schema. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ConfigSchema {
    schema: Arc<Value>,
    validator: Arc<jsonschema::Validator>,
}

impl ConfigSchema {
    /// Compiles `schema`. Formats are asserted (an unknown `format` is an
    /// error) and `$ref`s to other documents are not fetched, so they fail.
    pub fn new(schema: &Value) -> Result<Self, ConfigSchemaError> {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .should_ignore_unknown_formats(false)
            .build(schema)
            .map_err(|e| ConfigSchemaError {
                path: e.instance_path.as_str().to_owned(),
                message: e.to_string(),
            })?;
        Ok(Self {
            schema: Arc::new(schema.clone()),
            validator: Arc::new(validator),
        })
    }

    /// The schema as written.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// The schema's `default` values as a configuration object.
    pub fn defaults(&self) -> Value {
        defaults(&self.schema)
    }

    /// Checks `config`; on failure every problem, sorted by path.
    pub fn validate(&self, config: &Value) -> Result<(), Vec<ConfigError>> {
        let mut errors: Vec<ConfigError> = self
            .validator
            .iter_errors(config)
            .flat_map(|e| config_messages::describe(&e))
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        errors.sort_by(|a, b| (&a.path, &a.message_en).cmp(&(&b.path, &b.message_en)));
        errors.dedup();
        Err(errors)
    }

    /// [`resolve`]s the defaults with the overrides, then validates the result.
    pub fn resolve(
        &self,
        district: Option<&Value>,
        hall: Option<&Value>,
    ) -> Result<Value, Vec<ConfigError>> {
        let config = resolve(&self.defaults(), district, hall);
        self.validate(&config)?;
        Ok(config)
    }
}

/// Deep-merges `hall` over `district` over `defaults`.
pub fn resolve(defaults: &Value, district: Option<&Value>, hall: Option<&Value>) -> Value {
    let mut config = defaults.clone();
    for layer in [district, hall].into_iter().flatten() {
        merge(&mut config, layer);
    }
    config
}

fn merge(base: &mut Value, layer: &Value) {
    match (base, layer) {
        (Value::Object(base), Value::Object(layer)) => {
            for (key, value) in layer {
                match base.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, layer) => *base = layer.clone(),
    }
}

/// The configuration object built from `default` keywords: the schema's own
/// `default` (if an object) with the defaults of its `properties` filled in,
/// recursively. A nested object appears only when something inside it has a
/// default. Always returns an object.
pub fn defaults(schema: &Value) -> Value {
    match defaults_of(schema, 0) {
        Some(Value::Object(map)) => Value::Object(map),
        _ => Value::Object(Map::new()),
    }
}

fn defaults_of(schema: &Value, depth: usize) -> Option<Value> {
    // Deeper schemas than this are not worth a default (and guard the stack).
    if depth > 64 {
        return None;
    }
    let schema = schema.as_object()?;
    let own = schema.get("default").cloned();
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut built = Map::new();
    for (name, property) in properties.into_iter().flatten() {
        if let Some(value) = defaults_of(property, depth + 1) {
            built.insert(name.clone(), value);
        }
    }
    match own {
        Some(mut value) => {
            if value.is_object() {
                // The explicit default wins over property defaults.
                let mut merged = Value::Object(built);
                merge(&mut merged, &value);
                value = merged;
            }
            Some(value)
        }
        None if built.is_empty() => None,
        None => Some(Value::Object(built)),
    }
}

/// Manifest rule: the schema describes an object and compiles.
pub(crate) fn check_manifest_schema(schema: &Value, problems: &mut Problems) {
    const AT: &str = "config.schema";
    let Some(object) = schema.as_object() else {
        problems.push(AT, "must be a JSON Schema object");
        return;
    };
    if object.get("type") != Some(&Value::String("object".to_owned())) {
        problems.push(
            format!("{AT}.type"),
            "must be \"object\": a configuration is an object",
        );
    }
    if let Err(e) = ConfigSchema::new(schema) {
        problems.push(AT, e.to_string());
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
