//! Operator policy: which capabilities each plugin may have, and the limits it may use.
//!
//! ```toml
//! [plugins."*"]                        # any plugin without its own entry
//! allow = ["config", "log", "clock"]
//!
//! [plugins.hotline]                    # replaces "*" for this plugin
//! allow = ["storage", "blobs", "config", "log", "clock"]
//! events-publish = ["hotline.*.*"]    # patterns it may publish under
//! events-subscribe = ["hall.haocha.*"] # hall events it may receive
//! limits = { timeout-ms = 10000 }      # caps above the global ones
//!
//! [[storage-read]]
//! reader = "report"                    # a plugin id or "*"
//! target = "hotline/work_orders"       # owner/collection; collection may be "*"
//!
//! [[module-read]]
//! reader = "reporting"                 # a plugin id or "*"
//! target = "supervision"               # the module whose `module-read` routes it reads
//!
//! [limits]                             # the largest values any plugin gets
//! memory-mib = 128
//! timeout-ms = 5000
//! max-body-kib = 1024
//! ```
//!
//! Anything not listed is denied: a policy with no entries grants nothing.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::capability::Capability;
use crate::error::{ManifestError, Problems};
use crate::{names, topic};

/// Why a policy was rejected: a syntax error or field problems, each with
/// its path (`plugins.hotline.allow[2]: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub ManifestError);

/// Default caps when the policy's `[limits]` leaves a value out.
pub const DEFAULT_MEMORY_MIB: u32 = 128;
/// Default per-call deadline.
pub const DEFAULT_TIMEOUT_MS: u32 = 5_000;
/// Default request body cap.
pub const DEFAULT_MAX_BODY_KIB: u32 = 1_024;

/// The operator's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Policy {
    /// Per plugin id, with `"*"` for every other plugin.
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginPolicy>,
    /// Which plugins may read which other plugins' collections.
    #[serde(default)]
    pub storage_read: Vec<ReadRule>,
    /// Which plugins may read which other modules' `module-read` routes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub module_read: Vec<ModuleReadRule>,
    /// The largest limits any plugin gets.
    #[serde(default)]
    pub limits: PolicyLimits,
}

/// What one plugin (or `"*"`) may have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PluginPolicy {
    /// Allowed simple capabilities: storage, blobs, config, log, clock.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Topic patterns the plugin may publish under; a requested pattern is
    /// granted when one of these covers it.
    #[serde(default)]
    pub events_publish: Vec<String>,
    /// Hall event patterns (`hall.…`) the plugin may receive; a requested
    /// pattern is granted when one of these covers it.
    #[serde(default)]
    pub events_subscribe: Vec<String>,
    /// Caps for this plugin, each falling back to the global `[limits]`.
    #[serde(default)]
    pub limits: crate::manifest::Limits,
}

/// One `[[storage-read]]` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ReadRule {
    /// The reading plugin's id, or `"*"`.
    pub reader: String,
    /// `owner/collection`, where the collection may be `*`.
    pub target: String,
}

/// One `[[module-read]]` rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ModuleReadRule {
    /// The reading plugin's id, or `"*"`.
    pub reader: String,
    /// The id of the module it reads.
    pub target: String,
}

/// The global `[limits]` caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PolicyLimits {
    /// Memory cap in MiB.
    #[serde(default = "default_memory")]
    pub memory_mib: u32,
    /// Per-call deadline in milliseconds.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u32,
    /// Request body cap in KiB.
    #[serde(default = "default_body")]
    pub max_body_kib: u32,
}

fn default_memory() -> u32 {
    DEFAULT_MEMORY_MIB
}
fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MS
}
fn default_body() -> u32 {
    DEFAULT_MAX_BODY_KIB
}

impl Default for PolicyLimits {
    fn default() -> Self {
        Self {
            memory_mib: DEFAULT_MEMORY_MIB,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            max_body_kib: DEFAULT_MAX_BODY_KIB,
        }
    }
}

impl Policy {
    /// Parses and validates a TOML policy.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let deserializer = toml::Deserializer::new(text);
        let policy: Self = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| PolicyError(ManifestError::from_toml(text, e)))?;
        policy.validate()?;
        Ok(policy)
    }

    /// Checks names, capability names, patterns and rules.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let mut problems = Problems::default();
        for (id, entry) in &self.plugins {
            let at = format!("plugins.{}", names::toml_key(id));
            if id != "*" && !names::is_plugin_id(id) {
                problems.push(at.clone(), format!("{id:?} is not a plugin id or \"*\""));
            }
            for (i, name) in entry.allow.iter().enumerate() {
                match name.parse::<Capability>() {
                    Ok(c) if c.is_simple() => {}
                    _ => problems.push(
                        format!("{at}.allow[{i}]"),
                        format!(
                            "{name:?} must be one of storage, blobs, config, log, clock, notices, documents, directory \
                             (events-publish and storage-read have their own keys)"
                        ),
                    ),
                }
            }
            for (i, pattern) in entry.events_publish.iter().enumerate() {
                if let Some(problem) = topic::pattern_problem(pattern) {
                    problems.push(format!("{at}.events-publish[{i}]"), problem);
                }
            }
            for (i, pattern) in entry.events_subscribe.iter().enumerate() {
                if let Some(problem) = crate::capability::hall_pattern_problem(pattern) {
                    problems.push(format!("{at}.events-subscribe[{i}]"), problem);
                }
            }
        }
        for (i, rule) in self.storage_read.iter().enumerate() {
            let at = format!("storage-read[{i}]");
            if rule.reader != "*" && !names::is_plugin_id(&rule.reader) {
                problems.push(format!("{at}.reader"), "must be a plugin id or \"*\"");
            }
            let target_ok = rule.target.split_once('/').is_some_and(|(owner, coll)| {
                names::is_plugin_id(owner) && (coll == "*" || names::is_collection_name(coll))
            });
            if !target_ok {
                problems.push(
                    format!("{at}.target"),
                    "must be owner/collection, where collection may be \"*\"",
                );
            }
        }
        for (i, rule) in self.module_read.iter().enumerate() {
            let at = format!("module-read[{i}]");
            if rule.reader != "*" && !names::is_plugin_id(&rule.reader) {
                problems.push(format!("{at}.reader"), "must be a plugin id or \"*\"");
            }
            if !names::is_plugin_id(&rule.target) {
                problems.push(format!("{at}.target"), "must be a plugin id");
            }
        }
        problems.into_result().map_err(PolicyError)
    }

    /// The entry that applies to `plugin`: its own, else `"*"`, else none.
    pub fn entry(&self, plugin: &str) -> Option<&PluginPolicy> {
        self.plugins.get(plugin).or_else(|| self.plugins.get("*"))
    }

    /// Whether a `[[storage-read]]` rule lets `reader` read `owner/collection`.
    pub fn allows_read(&self, reader: &str, owner: &str, collection: &str) -> bool {
        self.storage_read.iter().any(|rule| {
            (rule.reader == "*" || rule.reader == reader)
                && rule
                    .target
                    .split_once('/')
                    .is_some_and(|(o, c)| o == owner && (c == "*" || c == collection))
        })
    }

    /// Whether a `[[module-read]]` rule lets `reader` read `target`'s
    /// `module-read` routes.
    pub fn allows_module_read(&self, reader: &str, target: &str) -> bool {
        self.module_read
            .iter()
            .any(|rule| (rule.reader == "*" || rule.reader == reader) && rule.target == target)
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
