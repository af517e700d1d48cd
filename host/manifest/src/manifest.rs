//! The plugin manifest (`manifest.toml`): its data model, parsing and serialisation.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::canonical;
use crate::capability::{Capabilities, Capability};
use crate::collection::Collection;
use crate::config::{self, ConfigSchema};
use crate::error::{FieldError, ManifestError, Result};
use crate::route::{Route, RouteTable};
use crate::schedule::Schedule;
use crate::view::{Localized, View};

/// Which WIT world the plugin's component implements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum World {
    /// A business module in the district host.
    #[default]
    Module,
    /// A plugin on a hall's edge agent.
    Edge,
}

/// One `[[subscriptions]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Subscription {
    /// Topic pattern; `*` matches one segment.
    pub topic: String,
}

/// The `[config]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigSection {
    /// The JSON Schema of the plugin's configuration object. In TOML it is
    /// written either as a table or as a string holding JSON; after parsing
    /// it is always the JSON value.
    pub schema: serde_json::Value,
}

/// The optional `[limits]` table: what the plugin asks for. Operator policy
/// caps each value (see [`crate::Grant::limits`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Limits {
    /// Linear memory cap, MiB (1..=4096).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u32>,
    /// Per-call deadline, milliseconds (1..=600000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u32>,
    /// Request body cap, KiB (1..=1048576).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body_kib: Option<u32>,
}

impl Limits {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A plugin manifest. Build one with [`Manifest::parse`] (which validates);
/// fields are public for reading, and [`Manifest::validate`] re-checks a value
/// built or changed in code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Manifest {
    /// `^[a-z][a-z0-9-]{1,39}$`
    pub id: String,
    /// The plugin's own semantic version.
    pub version: semver::Version,
    /// The `bantong:platform` WIT package version it was built against.
    pub wit: semver::Version,
    /// Which world it implements.
    #[serde(default)]
    pub world: World,
    /// Who made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Display name.
    pub name: Localized,
    /// One-paragraph description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Localized>,
    /// Requested capabilities.
    #[serde(default)]
    pub capabilities: Capabilities,
    /// HTTP routes (module world only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<Route>,
    /// Event subscriptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<Subscription>,
    /// Scheduled jobs (edge: timers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<Schedule>,
    /// Storage collections (module world only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Collection>,
    /// The configuration schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigSection>,
    /// Portal views (module world only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<View>,
    /// Requested resource limits.
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
}

impl Manifest {
    /// WIT package versions this crate accepts in `wit`.
    pub const SUPPORTED_WIT: &'static [&'static str] =
        &["0.1.0", "0.1.1", "0.1.2", "0.1.3", "0.1.4", "0.1.5"];

    /// Largest manifest accepted, in bytes (TOML text or canonical JSON).
    pub const MAX_BYTES: usize = 1024 * 1024;

    /// Parses and validates a TOML manifest.
    pub fn parse(text: &str) -> Result<Self> {
        check_size(text.len())?;
        let deserializer = toml::Deserializer::new(text);
        let mut manifest: Self = serde_path_to_error::deserialize(deserializer)
            .map_err(|e| ManifestError::from_toml(text, e))?;
        manifest.normalize()?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Parses and validates the canonical form ([`Manifest::canonical_bytes`]).
    pub fn from_canonical(bytes: &[u8]) -> Result<Self> {
        check_size(bytes.len())?;
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let mut manifest: Self = serde_path_to_error::deserialize(&mut deserializer)
            .map_err(ManifestError::from_json)?;
        deserializer.end().map_err(|e| ManifestError::Syntax {
            error: FieldError::new("", "trailing characters after the manifest"),
            line: Some(e.line()),
            column: Some(e.column()),
        })?;
        manifest.normalize()?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// A config schema written as a JSON string becomes the JSON value.
    fn normalize(&mut self) -> Result<()> {
        if let Some(ConfigSection { schema }) = &mut self.config
            && let serde_json::Value::String(text) = schema
        {
            *schema = serde_json::from_str(text).map_err(|e| {
                ManifestError::Invalid(vec![FieldError::new(
                    "config.schema",
                    format!("is not valid JSON: {e}"),
                )])
            })?;
        }
        Ok(())
    }

    /// The manifest as TOML. A config schema is written as a table, or as a
    /// JSON string when TOML cannot express it (`null`, integers beyond i64).
    pub fn to_toml(&self) -> Result<String> {
        let has_null = self
            .config
            .as_ref()
            .is_some_and(|c| canonical::contains_null(&c.schema));
        if !has_null && let Ok(text) = toml::to_string(self) {
            return Ok(text);
        }
        let mut copy = self.clone();
        if let Some(config) = &mut copy.config {
            config.schema = serde_json::Value::String(config.schema.to_string());
        }
        toml::to_string(&copy).map_err(|e| ManifestError::Serialize(e.to_string()))
    }

    /// The canonical form, which digests and signatures cover: the manifest
    /// (defaults filled in, schema as JSON) as compact JSON with object keys
    /// sorted by their UTF-8 bytes. Equal manifests give equal bytes whatever
    /// their TOML layout, comments or key order.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>> {
        let value =
            serde_json::to_value(self).map_err(|e| ManifestError::Serialize(e.to_string()))?;
        Ok(canonical::to_vec(&value))
    }

    /// Every capability requested, with `config` implied by a config schema.
    pub fn requested_capabilities(&self) -> BTreeSet<Capability> {
        let c = &self.capabilities;
        let mut set = BTreeSet::new();
        for (wanted, capability) in [
            (c.storage, Capability::Storage),
            (c.blobs, Capability::Blobs),
            (c.config || self.config.is_some(), Capability::Config),
            (c.log, Capability::Log),
            (c.clock, Capability::Clock),
            (c.notices, Capability::Notices),
            (c.documents, Capability::Documents),
            (c.directory, Capability::Directory),
            (c.public_writes, Capability::PublicWrites),
        ] {
            if wanted {
                set.insert(capability);
            }
        }
        for pattern in &c.events_publish {
            set.insert(Capability::EventsPublish(pattern.clone()));
        }
        for pattern in &c.events_subscribe {
            if crate::capability::hall_pattern_problem(pattern).is_none() {
                set.insert(Capability::EventsSubscribe(pattern.clone()));
            }
        }
        for class in &c.peripherals {
            if crate::capability::PERIPHERAL_CLASSES.contains(&class.as_str()) {
                set.insert(Capability::Peripheral(class.clone()));
            }
        }
        for id in &c.module_reads {
            if crate::names::is_plugin_id(id) {
                set.insert(Capability::ModuleRead(id.clone()));
            }
        }
        for target in &c.storage_read {
            if let Ok((owner, collection)) = crate::capability::parse_read_target(target) {
                set.insert(Capability::StorageRead { owner, collection });
            }
        }
        set
    }

    /// The routes, ready for matching requests.
    pub fn route_table(&self) -> RouteTable {
        RouteTable::new(&self.routes)
    }

    /// The compiled config schema, if the manifest has one. Compiling takes
    /// time: do it once per installed version and keep the result.
    pub fn config_schema(&self) -> Result<Option<ConfigSchema>> {
        match &self.config {
            None => Ok(None),
            Some(section) => ConfigSchema::new(&section.schema).map(Some).map_err(|e| {
                ManifestError::Invalid(vec![FieldError::new("config.schema", e.to_string())])
            }),
        }
    }

    /// The configuration made of the schema's `default` values (an empty
    /// object without a schema).
    pub fn config_defaults(&self) -> serde_json::Value {
        match &self.config {
            Some(section) => config::defaults(&section.schema),
            None => serde_json::Value::Object(serde_json::Map::new()),
        }
    }
}

fn check_size(size: usize) -> Result<()> {
    if size > Manifest::MAX_BYTES {
        Err(ManifestError::TooLarge {
            size,
            max: Manifest::MAX_BYTES,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
