//! Loaded plugin versions and the per-plugin slot that swaps versions
//! atomically and holds the quarantine state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::Semaphore;

use crate::bindings::wit::ModulePre;
use crate::host::HostState;
use crate::stats::PluginStats;

/// Resource limits of one call of one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginLimits {
    pub memory_bytes: usize,
    pub timeout: Duration,
    pub boundary_bytes: usize,
}

/// One compiled, pre-instantiated plugin version, with the embedder's
/// metadata `M` for that version (manifest, grant...), so that a call always
/// sees code and metadata of the same version.
pub struct Plugin<H: 'static, M = ()> {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) pre: ModulePre<HostState<H>>,
    pub(crate) limits: PluginLimits,
    meta: M,
}

impl<H: 'static, M> Plugin<H, M> {
    pub(crate) fn new(
        id: String,
        version: String,
        pre: ModulePre<HostState<H>>,
        limits: PluginLimits,
        meta: M,
    ) -> Self {
        Plugin {
            id,
            version,
            pre,
            limits,
            meta,
        }
    }

    /// The embedder's metadata of this version.
    pub fn meta(&self) -> &M {
        &self.meta
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn limits(&self) -> PluginLimits {
        self.limits
    }
}

impl<H: 'static, M> std::fmt::Debug for Plugin<H, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.id)
            .field("version", &self.version)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The live state of one plugin id: its current version, counters and
/// quarantine flag.
///
/// Invariant: a call takes a reference to the current version when it starts
/// ([`PluginSlot::current`]) and keeps it to the end, so [`PluginSlot::swap`]
/// never disturbs calls in flight; they finish on the version they started
/// with.
pub struct PluginSlot<H: 'static, M = ()> {
    current: ArcSwap<Plugin<H, M>>,
    stats: PluginStats,
    quarantined: AtomicBool,
    /// Set when the runtime quarantines the plugin; taken by the embedder
    /// to persist and report the transition exactly once.
    newly_quarantined: AtomicBool,
    quarantine_after: u64,
    pub(crate) permits: Semaphore,
}

impl<H: 'static, M> std::fmt::Debug for PluginSlot<H, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginSlot")
            .field("current", &self.current.load())
            .field("quarantined", &self.is_quarantined())
            .finish_non_exhaustive()
    }
}

impl<H: 'static, M> PluginSlot<H, M> {
    /// A slot running `plugin`; it is quarantined after `quarantine_after`
    /// consecutive plugin faults and runs at most `concurrency` calls at once.
    pub fn new(plugin: Arc<Plugin<H, M>>, quarantine_after: u32, concurrency: u32) -> Self {
        PluginSlot {
            current: ArcSwap::new(plugin),
            stats: PluginStats::default(),
            quarantined: AtomicBool::new(false),
            newly_quarantined: AtomicBool::new(false),
            quarantine_after: u64::from(quarantine_after.max(1)),
            permits: Semaphore::new(concurrency.max(1) as usize),
        }
    }

    /// The version new calls will use.
    pub fn current(&self) -> Arc<Plugin<H, M>> {
        self.current.load_full()
    }

    /// Installs a new version atomically and lifts any quarantine; calls
    /// already running finish on the old version.
    pub fn swap(&self, plugin: Arc<Plugin<H, M>>) -> Arc<Plugin<H, M>> {
        let old = self.current.swap(plugin);
        self.lift_quarantine();
        old
    }

    pub fn stats(&self) -> &PluginStats {
        &self.stats
    }

    pub fn is_quarantined(&self) -> bool {
        self.quarantined.load(Ordering::Acquire)
    }

    /// Puts the plugin into quarantine (for example when restoring persisted state).
    pub fn quarantine(&self) {
        self.quarantined.store(true, Ordering::Release);
    }

    /// Lets the plugin run again (operator action or a new version).
    pub fn lift_quarantine(&self) {
        self.stats.reset_failures();
        self.quarantined.store(false, Ordering::Release);
    }

    /// Called after each failure; returns true when this failure put the
    /// plugin into quarantine.
    pub(crate) fn note_failures(&self, consecutive: u64) -> bool {
        let now =
            consecutive >= self.quarantine_after && !self.quarantined.swap(true, Ordering::AcqRel);
        if now {
            self.newly_quarantined.store(true, Ordering::Release);
        }
        now
    }

    /// True once after the runtime quarantined the plugin.
    pub fn take_newly_quarantined(&self) -> bool {
        self.newly_quarantined.swap(false, Ordering::AcqRel)
    }
}
