//! Grants: what a plugin actually gets, the manifest's request intersected with operator policy.

use std::collections::BTreeSet;

use crate::capability::Capability;
use crate::manifest::Manifest;
use crate::policy::Policy;
use crate::topic;

/// The limits a plugin runs under: what it asked for, capped by policy;
/// the policy's cap when it asked for nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveLimits {
    /// Linear memory cap, MiB.
    pub memory_mib: u32,
    /// Per-call deadline, milliseconds.
    pub timeout_ms: u32,
    /// Request body cap, KiB.
    pub max_body_kib: u32,
}

/// What a plugin may do. Everything not in the grant is denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    plugin: String,
    granted: BTreeSet<Capability>,
    denied: BTreeSet<Capability>,
    limits: EffectiveLimits,
}

/// Computes the grant of `manifest` under `policy`: each requested capability
/// that the policy allows, and the effective limits.
pub fn grant(manifest: &Manifest, policy: &Policy) -> Grant {
    let entry = policy.entry(&manifest.id);
    let mut granted = BTreeSet::new();
    let mut denied = BTreeSet::new();
    for capability in manifest.requested_capabilities() {
        let allowed = match &capability {
            Capability::EventsPublish(pattern) => entry.is_some_and(|e| {
                e.events_publish
                    .iter()
                    .any(|allowed| topic::pattern_covers(allowed, pattern))
            }),
            Capability::EventsSubscribe(pattern) => entry.is_some_and(|e| {
                e.events_subscribe
                    .iter()
                    .any(|allowed| topic::pattern_covers(allowed, pattern))
            }),
            Capability::StorageRead { owner, collection } => {
                policy.allows_read(&manifest.id, owner, collection)
            }
            Capability::ModuleRead(target) => policy.allows_module_read(&manifest.id, target),
            simple => {
                let name = simple.to_string();
                entry.is_some_and(|e| e.allow.contains(&name))
            }
        };
        if allowed {
            granted.insert(capability);
        } else {
            denied.insert(capability);
        }
    }
    let own = entry.map(|e| e.limits).unwrap_or_default();
    let global = policy.limits;
    let cap = |asked: Option<u32>, plugin_cap: Option<u32>, global_cap: u32| {
        let max = plugin_cap.unwrap_or(global_cap);
        asked.map_or(max, |a| a.min(max))
    };
    let limits = EffectiveLimits {
        memory_mib: cap(
            manifest.limits.memory_mib,
            own.memory_mib,
            global.memory_mib,
        ),
        timeout_ms: cap(
            manifest.limits.timeout_ms,
            own.timeout_ms,
            global.timeout_ms,
        ),
        max_body_kib: cap(
            manifest.limits.max_body_kib,
            own.max_body_kib,
            global.max_body_kib,
        ),
    };
    Grant {
        plugin: manifest.id.clone(),
        granted,
        denied,
        limits,
    }
}

impl Grant {
    /// A grant of nothing, with the given limits (for tests and tools).
    pub fn none(plugin: &str, limits: EffectiveLimits) -> Self {
        Self {
            plugin: plugin.to_owned(),
            granted: BTreeSet::new(),
            denied: BTreeSet::new(),
            limits,
        }
    }

    /// The plugin id.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// Whether exactly this capability was granted.
    pub fn allows(&self, capability: &Capability) -> bool {
        self.granted.contains(capability)
    }

    /// The granted capabilities.
    pub fn capabilities(&self) -> &BTreeSet<Capability> {
        &self.granted
    }

    /// Requested but refused by policy: worth showing to the operator.
    pub fn denied(&self) -> &BTreeSet<Capability> {
        &self.denied
    }

    /// The effective limits.
    pub fn limits(&self) -> EffectiveLimits {
        self.limits
    }

    /// Whether the plugin may publish an event on the concrete `topic`.
    pub fn can_publish(&self, topic: &str) -> bool {
        self.granted.iter().any(|c| match c {
            Capability::EventsPublish(pattern) => topic::topic_matches(pattern, topic),
            _ => false,
        })
    }

    /// Whether the plugin may read `owner`'s `collection`: its own with the
    /// storage capability, another plugin's with a granted `storage-read`.
    /// Whether the plugin may receive events of `topic`: any topic outside
    /// `hall.`, and hall events whose topic a granted `events-subscribe`
    /// pattern matches.
    pub fn can_receive(&self, topic: &str) -> bool {
        if !topic.starts_with(crate::capability::HALL_TOPIC_PREFIX) {
            return true;
        }
        self.granted.iter().any(|c| match c {
            Capability::EventsSubscribe(pattern) => topic::topic_matches(pattern, topic),
            _ => false,
        })
    }

    /// Whether the plugin may read module `plugin`'s `module-read` routes.
    pub fn can_read_module(&self, plugin: &str) -> bool {
        self.allows(&Capability::ModuleRead(plugin.to_owned()))
    }

    pub fn can_read(&self, owner: &str, collection: &str) -> bool {
        if owner == self.plugin {
            return self.allows(&Capability::Storage);
        }
        self.allows(&Capability::StorageRead {
            owner: owner.to_owned(),
            collection: collection.to_owned(),
        })
    }
}

#[cfg(test)]
#[path = "grant_tests.rs"]
mod tests;
