//! The in-memory index of installed plugins: per plugin a runtime slot whose
//! current version carries its manifest, grant and collection specs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use bantong_manifest::{ConfigSchema, Grant, Manifest, RouteTable, topic_matches};
use bantong_runtime::{Plugin, PluginSlot};
use bantong_store::{CollectionSpec, FieldType};

use super::callhost::ServerCallHost;

/// What the host knows about one installed version, besides its code.
#[derive(Debug)]
pub struct InstalledVersion {
    pub manifest: Manifest,
    pub grant: Grant,
    /// `sha256:…` of the artefact.
    pub digest: String,
    pub routes: RouteTable,
    pub collections: BTreeMap<String, CollectionSpec>,
    pub config_schema: Option<ConfigSchema>,
    /// The portal views the plugin's `views` export declared at install.
    pub views: std::sync::OnceLock<serde_json::Value>,
}

pub type LoadedPlugin = Plugin<ServerCallHost, Arc<InstalledVersion>>;
pub type Slot = PluginSlot<ServerCallHost, Arc<InstalledVersion>>;

/// One installed plugin id.
#[derive(Debug)]
pub struct PluginEntry {
    pub slot: Slot,
    enabled: AtomicBool,
}

impl PluginEntry {
    pub fn new(slot: Slot, enabled: bool) -> Self {
        PluginEntry {
            slot,
            enabled: AtomicBool::new(enabled),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Release);
    }

    pub fn current(&self) -> Arc<LoadedPlugin> {
        self.slot.current()
    }
}

/// Installed plugins by id. Reads are frequent and short; writes happen on
/// install, enable and remove.
#[derive(Debug, Default)]
pub struct PluginIndex {
    entries: RwLock<BTreeMap<String, Arc<PluginEntry>>>,
    /// When non-zero, the instant the plugins' `clock.now` returns (ms);
    /// 0 means the wall clock, as in production. Tests of deadlines across
    /// holidays stop the plugins' time with [`PluginIndex::set_plugin_clock`];
    /// there is no HTTP or configuration path to it.
    frozen_clock_ms: std::sync::atomic::AtomicI64,
    /// Notices one plugin may queue per minute; 0 means the default.
    notice_limit: std::sync::atomic::AtomicU32,
    /// Where the document fonts are (`[documents] font_dir`); empty means
    /// the default.
    font_dir: RwLock<std::path::PathBuf>,
    /// The service catalogue as plugins read it.
    catalogue: crate::catalogue::Cache,
}

impl PluginIndex {
    /// The plugins' clock: the wall clock, unless stopped.
    pub fn plugin_now_ms(&self) -> i64 {
        match self
            .frozen_clock_ms
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            0 => crate::identity::now_ms(),
            frozen => frozen,
        }
    }

    /// Stops the plugins' clock at `at_ms`, or lets it run again with
    /// `None` (tests and simulations only).
    /// Notices one plugin may queue per minute (`[notices]
    /// per_plugin_per_minute`).
    pub fn notice_limit(&self) -> u32 {
        match self.notice_limit.load(std::sync::atomic::Ordering::Relaxed) {
            0 => crate::config::NoticesConfig::default().per_plugin_per_minute,
            n => n,
        }
    }

    /// Sets [`PluginIndex::notice_limit`] (from the host's configuration).
    pub fn set_notice_limit(&self, per_minute: u32) {
        self.notice_limit
            .store(per_minute.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Where the fonts for rendered documents are.
    pub fn font_dir(&self) -> std::path::PathBuf {
        let dir = self.font_dir.read().map(|d| d.clone()).unwrap_or_default();
        if dir.as_os_str().is_empty() {
            std::path::PathBuf::from(bantong_documents::DEFAULT_FONT_DIR)
        } else {
            dir
        }
    }

    /// The service catalogue plugins read.
    pub fn catalogue(&self) -> &crate::catalogue::Cache {
        &self.catalogue
    }

    /// Sets [`PluginIndex::font_dir`] (from the host's configuration).
    pub fn set_font_dir(&self, dir: std::path::PathBuf) {
        if let Ok(mut d) = self.font_dir.write() {
            *d = dir;
        }
    }

    pub fn set_plugin_clock(&self, at_ms: Option<i64>) {
        self.frozen_clock_ms.store(
            at_ms.filter(|ms| *ms != 0).unwrap_or(0),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    pub fn get(&self, id: &str) -> Option<Arc<PluginEntry>> {
        self.entries.read().ok()?.get(id).cloned()
    }

    pub fn insert(&self, id: String, entry: Arc<PluginEntry>) {
        if let Ok(mut map) = self.entries.write() {
            map.insert(id, entry);
        }
    }

    pub fn remove(&self, id: &str) -> Option<Arc<PluginEntry>> {
        self.entries.write().ok()?.remove(id)
    }

    pub fn all(&self) -> Vec<(String, Arc<PluginEntry>)> {
        self.entries
            .read()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// The spec of `owner`'s collection `name`, if that plugin is installed.
    pub fn collection(&self, owner: &str, name: &str) -> Option<CollectionSpec> {
        let entry = self.get(owner)?;
        let current = entry.current();
        current.meta().collections.get(name).cloned()
    }

    /// Enabled plugins whose current version subscribes to `topic` and may
    /// receive it (hall events, `hall.…`, need a granted `events-subscribe`).
    pub fn subscribers(&self, topic: &str) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|(_, e)| e.is_enabled())
            .filter(|(_, e)| {
                let current = e.current();
                let meta = current.meta();
                meta.grant.can_receive(topic)
                    && meta
                        .manifest
                        .subscriptions
                        .iter()
                        .any(|s| topic_matches(&s.topic, topic))
            })
            .map(|(id, _)| id)
            .collect()
    }
}

/// Converts a manifest collection to the store's spec.
pub fn collection_spec(c: &bantong_manifest::Collection) -> CollectionSpec {
    use bantong_manifest::FieldType as M;
    CollectionSpec {
        name: c.name.clone(),
        fields: c
            .fields
            .iter()
            .map(|(k, t)| {
                let t = match t {
                    M::String => FieldType::String,
                    M::Number => FieldType::Number,
                    M::Bool => FieldType::Bool,
                    M::Timestamp => FieldType::Timestamp,
                };
                (k.clone(), t)
            })
            .collect(),
        indexes: c.indexes.clone(),
    }
}
