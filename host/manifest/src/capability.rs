//! Capabilities: what a manifest's `[capabilities]` table asks for, as comparable values.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::error::Problems;
use crate::{names, topic};

fn yes() -> bool {
    true
}

/// The `[capabilities]` table as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Capabilities {
    /// The plugin's own document storage.
    #[serde(default)]
    pub storage: bool,
    /// Topic patterns the plugin may publish (on the edge: send uplink).
    #[serde(default)]
    pub events_publish: Vec<String>,
    /// Patterns of hall events (`hall.…`, the events hall agents send up)
    /// the plugin receives; each `[[subscriptions]]` topic under `hall.`
    /// must be covered by one, and the operator's policy must allow it.
    #[serde(default)]
    pub events_subscribe: Vec<String>,
    /// `owner/collection` of other plugins' collections it reads.
    #[serde(default)]
    pub storage_read: Vec<String>,
    /// Ids of other module plugins whose `module-read` routes it reads
    /// (module world, WIT 0.1.4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub module_reads: Vec<String>,
    /// Binary attachments (photos, scans).
    #[serde(default)]
    pub blobs: bool,
    /// Its resolved configuration (implied by a `[config]` schema).
    #[serde(default)]
    pub config: bool,
    /// Structured logging.
    #[serde(default = "yes")]
    pub log: bool,
    /// Wall-clock time.
    #[serde(default = "yes")]
    pub clock: bool,
    /// Messages to people: SMS and portal notices (module world, WIT 0.1.1).
    #[serde(default)]
    pub notices: bool,
    /// DOCX, PDF and XLSX rendered by the host (module world, WIT 0.1.1).
    #[serde(default)]
    pub documents: bool,
    /// The people of the district with a role, from the host's directory
    /// (module world, WIT 0.1.3; listing halls needs no capability).
    #[serde(default)]
    pub directory: bool,
    /// Anonymous callers may write through the plugin's public routes that
    /// are not `GET` (each with a per-address rate); their writes land only
    /// in the hall the request names. Module world.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public_writes: bool,
    /// Hall device classes an edge plugin drives ([`PERIPHERAL_CLASSES`]).
    #[serde(default)]
    pub peripherals: Vec<String>,
}

/// The device classes an edge agent drives.
pub const PERIPHERAL_CLASSES: [&str; 8] = [
    "rating-keypad",
    "queue-display",
    "ticket-printer",
    "receipt-printer",
    "id-reader",
    "fingerprint",
    "scanner",
    "pin-pad",
];

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            storage: false,
            events_publish: Vec::new(),
            events_subscribe: Vec::new(),
            storage_read: Vec::new(),
            module_reads: Vec::new(),
            blobs: false,
            config: false,
            log: true,
            clock: true,
            notices: false,
            documents: false,
            directory: false,
            public_writes: false,
            peripherals: Vec::new(),
        }
    }
}

/// One capability, as requested by a manifest and granted by policy.
///
/// Written as text (in policies and logs) as `storage`, `blobs`, `config`,
/// `log`, `clock`, `notices`, `documents`, `directory`, `public-writes`, `events-publish:<pattern>`, `storage-read:<owner>/<collection>`,
/// `module-read:<plugin>` or `peripheral:<class>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// The plugin's own document storage.
    Storage,
    /// Publishing events whose topic matches the pattern.
    EventsPublish(String),
    /// Receiving hall events (`hall.…`) whose topic matches the pattern.
    EventsSubscribe(String),
    /// Reading another plugin's collection.
    StorageRead {
        /// The plugin id that owns the collection.
        owner: String,
        /// The collection name.
        collection: String,
    },
    /// Reading another module plugin's `module-read` routes.
    ModuleRead(String),
    /// Binary attachments.
    Blobs,
    /// The resolved configuration.
    Config,
    /// Structured logging.
    Log,
    /// Wall-clock time.
    Clock,
    /// Messages to people (SMS, portal notices).
    Notices,
    /// Documents rendered by the host.
    Documents,
    /// The people of the district's directory.
    Directory,
    /// Anonymous writes through rate-limited public routes.
    PublicWrites,
    /// Driving the hall's devices of one class (edge plugins).
    Peripheral(String),
}

impl Capability {
    /// Whether a policy grants it by naming it in `allow` (everything but
    /// `events-publish` and `storage-read`, which have their own rules).
    pub fn is_simple(&self) -> bool {
        !matches!(
            self,
            Self::EventsPublish(_)
                | Self::EventsSubscribe(_)
                | Self::StorageRead { .. }
                | Self::ModuleRead(_)
        )
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Storage => f.write_str("storage"),
            Self::EventsPublish(pattern) => write!(f, "events-publish:{pattern}"),
            Self::EventsSubscribe(pattern) => write!(f, "events-subscribe:{pattern}"),
            Self::StorageRead { owner, collection } => {
                write!(f, "storage-read:{owner}/{collection}")
            }
            Self::ModuleRead(plugin) => write!(f, "module-read:{plugin}"),
            Self::Blobs => f.write_str("blobs"),
            Self::Config => f.write_str("config"),
            Self::Log => f.write_str("log"),
            Self::Clock => f.write_str("clock"),
            Self::Notices => f.write_str("notices"),
            Self::Documents => f.write_str("documents"),
            Self::Directory => f.write_str("directory"),
            Self::PublicWrites => f.write_str("public-writes"),
            Self::Peripheral(class) => write!(f, "peripheral:{class}"),
        }
    }
}

/// Why a capability text did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a capability: {reason}")]
pub struct CapabilityParseError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for Capability {
    type Err = CapabilityParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| CapabilityParseError {
            text: text.to_owned(),
            reason,
        };
        match text {
            "storage" => return Ok(Self::Storage),
            "blobs" => return Ok(Self::Blobs),
            "config" => return Ok(Self::Config),
            "log" => return Ok(Self::Log),
            "clock" => return Ok(Self::Clock),
            "notices" => return Ok(Self::Notices),
            "documents" => return Ok(Self::Documents),
            "directory" => return Ok(Self::Directory),
            "public-writes" => return Ok(Self::PublicWrites),
            _ => {}
        }
        if let Some(pattern) = text.strip_prefix("events-publish:") {
            return match topic::pattern_problem(pattern) {
                None => Ok(Self::EventsPublish(pattern.to_owned())),
                Some(problem) => Err(fail(problem)),
            };
        }
        if let Some(pattern) = text.strip_prefix("events-subscribe:") {
            return match hall_pattern_problem(pattern) {
                None => Ok(Self::EventsSubscribe(pattern.to_owned())),
                Some(problem) => Err(fail(problem)),
            };
        }
        if let Some(class) = text.strip_prefix("peripheral:") {
            return if PERIPHERAL_CLASSES.contains(&class) {
                Ok(Self::Peripheral(class.to_owned()))
            } else {
                Err(fail(format!(
                    "unknown device class {class:?}; expected one of {}",
                    PERIPHERAL_CLASSES.join(", ")
                )))
            };
        }
        if let Some(target) = text.strip_prefix("storage-read:") {
            return parse_read_target(target)
                .map(|(owner, collection)| Self::StorageRead { owner, collection })
                .map_err(fail);
        }
        if let Some(plugin) = text.strip_prefix("module-read:") {
            return if names::is_plugin_id(plugin) {
                Ok(Self::ModuleRead(plugin.to_owned()))
            } else {
                Err(fail(format!("{plugin:?} {}", names::PLUGIN_ID_RULE)))
            };
        }
        Err(fail(
            "expected storage, blobs, config, log, clock, notices, documents, directory, public-writes, events-publish:<pattern>, events-subscribe:<pattern>, storage-read:<owner>/<collection>, module-read:<plugin> or peripheral:<class>"
                .to_owned(),
        ))
    }
}

/// The prefix of hall events' topics: an event of kind `queue.ticket` from a
/// hall agent reaches module plugins as `hall.queue.ticket`.
pub const HALL_TOPIC_PREFIX: &str = "hall.";

/// What is wrong with a pattern of hall events, if anything.
pub fn hall_pattern_problem(pattern: &str) -> Option<String> {
    if let Some(problem) = topic::pattern_problem(pattern) {
        return Some(problem);
    }
    (!pattern.starts_with(HALL_TOPIC_PREFIX)).then(|| {
        format!("{pattern:?} is not a hall event pattern; hall events are topics under \"hall.\"")
    })
}

/// Splits and checks `owner/collection`.
pub(crate) fn parse_read_target(target: &str) -> Result<(String, String), String> {
    let Some((owner, collection)) = target.split_once('/') else {
        return Err(format!("{target:?} must be written owner/collection"));
    };
    if !names::is_plugin_id(owner) {
        return Err(format!("owner {owner:?} {}", names::PLUGIN_ID_RULE));
    }
    if !names::is_collection_name(collection) {
        return Err(format!(
            "collection {collection:?} is not a collection name"
        ));
    }
    Ok((owner.to_owned(), collection.to_owned()))
}

impl Capabilities {
    /// Checks topic patterns and read targets; `plugin` is the manifest's id.
    pub(crate) fn validate(&self, plugin: &str, problems: &mut Problems) {
        for (i, pattern) in self.events_publish.iter().enumerate() {
            let at = format!("capabilities.events-publish[{i}]");
            if let Some(problem) = topic::pattern_problem(pattern) {
                problems.push(at, problem);
            } else if self.events_publish[..i].contains(pattern) {
                problems.push(at, format!("duplicate pattern {pattern:?}"));
            }
        }
        for (i, pattern) in self.events_subscribe.iter().enumerate() {
            let at = format!("capabilities.events-subscribe[{i}]");
            if let Some(problem) = hall_pattern_problem(pattern) {
                problems.push(at, problem);
            } else if self.events_subscribe[..i].contains(pattern) {
                problems.push(at, format!("duplicate pattern {pattern:?}"));
            }
        }
        for (i, class) in self.peripherals.iter().enumerate() {
            let at = format!("capabilities.peripherals[{i}]");
            if !PERIPHERAL_CLASSES.contains(&class.as_str()) {
                problems.push(
                    at,
                    format!(
                        "unknown device class {class:?}; expected one of {}",
                        PERIPHERAL_CLASSES.join(", ")
                    ),
                );
            } else if self.peripherals[..i].contains(class) {
                problems.push(at, format!("duplicate class {class:?}"));
            }
        }
        for (i, target) in self.storage_read.iter().enumerate() {
            let at = format!("capabilities.storage-read[{i}]");
            match parse_read_target(target) {
                Err(message) => problems.push(at, message),
                Ok((owner, _)) if owner == plugin => problems.push(
                    at,
                    "names the plugin itself; its own collections need only `storage`",
                ),
                Ok(_) if self.storage_read[..i].contains(target) => {
                    problems.push(at, format!("duplicate entry {target:?}"));
                }
                Ok(_) => {}
            }
        }
        for (i, id) in self.module_reads.iter().enumerate() {
            let at = format!("capabilities.module-reads[{i}]");
            if !names::is_plugin_id(id) {
                problems.push(at, format!("{id:?} {}", names::PLUGIN_ID_RULE));
            } else if id == plugin {
                problems.push(at, "names the plugin itself");
            } else if self.module_reads[..i].contains(id) {
                problems.push(at, format!("duplicate entry {id:?}"));
            }
        }
    }
}

#[cfg(test)]
#[path = "capability_tests.rs"]
mod tests;
