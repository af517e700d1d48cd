//! The wasmtime engine: configuration, pooling with fallback, epoch ticker,
//! and the linker with every platform import.

use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::bindings::wit::{Module, ModulePre};
use crate::error::{Error, Result};
use crate::host::{CallHost, HostState};
use crate::plugin::{Plugin, PluginLimits};

/// Tunables of the runtime; part of the host's and the edge agent's config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Try the pooling allocator (falls back to on-demand when it cannot
    /// reserve its address space).
    pub pooling: bool,
    /// Instances that may be alive at once across all plugins.
    pub max_instances: u32,
    /// Hard ceiling of one instance's linear memory, in MiB.
    pub max_memory_mib: u32,
    /// Longest deadline any call may have, in milliseconds (a grant asking
    /// for more is cut to this).
    pub max_timeout_ms: u64,
    /// Epoch tick; deadlines are checked at this granularity.
    pub epoch_tick_ms: u64,
    /// Largest request/response body or JSON text crossing the boundary, KiB.
    pub boundary_kib: u32,
    /// Consecutive plugin-fault failures after which a plugin is quarantined.
    pub quarantine_after: u32,
    /// Calls of one plugin that may run at once.
    pub max_concurrency_per_plugin: u32,
    /// KiB at the start of each pooled linear memory that are zeroed in
    /// place between instances instead of being returned to the kernel.
    pub pool_keep_resident_kib: u32,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            pooling: true,
            max_instances: 256,
            max_memory_mib: 128,
            max_timeout_ms: 30_000,
            epoch_tick_ms: 5,
            boundary_kib: 1024,
            quarantine_after: 5,
            max_concurrency_per_plugin: 64,
            pool_keep_resident_kib: 256,
        }
    }
}

impl RuntimeConfig {
    /// Caps requested limits at this runtime's ceilings.
    pub fn cap(&self, asked: PluginLimits) -> PluginLimits {
        PluginLimits {
            memory_bytes: asked.memory_bytes.min(mib(self.max_memory_mib)),
            timeout: asked
                .timeout
                .min(Duration::from_millis(self.max_timeout_ms)),
            boundary_bytes: asked.boundary_bytes.min(self.boundary_kib as usize * 1024),
        }
    }
}

fn mib(n: u32) -> usize {
    n as usize * 1024 * 1024
}

/// One engine and linker, shared by every plugin of a process.
pub struct Runtime<H: 'static> {
    engine: Engine,
    linker: Linker<HostState<H>>,
    config: RuntimeConfig,
    pooling: bool,
    ticker: Arc<AtomicBool>,
    _host: PhantomData<fn() -> H>,
}

impl<H: 'static> std::fmt::Debug for Runtime<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("pooling", &self.pooling)
            .finish_non_exhaustive()
    }
}

impl<H: CallHost> Runtime<H> {
    /// Builds the engine (pooling if possible), starts the epoch ticker and
    /// links the platform imports and a deny-all WASI.
    pub fn new(config: RuntimeConfig) -> Result<Self> {
        let (engine, pooling) = build_engine(&config)?;
        let mut linker: Linker<HostState<H>> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| Error::Engine(e.to_string()))?;
        Module::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s)
            .map_err(|e| Error::Engine(e.to_string()))?;
        let ticker = Arc::new(AtomicBool::new(true));
        spawn_ticker(
            engine.clone(),
            ticker.clone(),
            Duration::from_millis(config.epoch_tick_ms.max(1)),
        );
        if !pooling && config.pooling {
            tracing::warn!("pooling allocator unavailable; using on-demand instance allocation");
        }
        Ok(Runtime {
            engine,
            linker,
            config,
            pooling,
            ticker,
            _host: PhantomData,
        })
    }

    /// Whether the pooling allocator is in use.
    pub fn is_pooling(&self) -> bool {
        self.pooling
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles a component and pre-instantiates it against the platform
    /// imports. Expensive (milliseconds to seconds); done once per version.
    pub fn load<M>(
        &self,
        id: &str,
        version: &str,
        wasm: &[u8],
        limits: PluginLimits,
        meta: M,
    ) -> Result<Plugin<H, M>> {
        let component =
            Component::new(&self.engine, wasm).map_err(|e| Error::Compile(format!("{e:#}")))?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| Error::Link(format!("{e:#}")))?;
        let pre = ModulePre::new(pre).map_err(|e| Error::Link(format!("{e:#}")))?;
        Ok(Plugin::new(
            id.to_owned(),
            version.to_owned(),
            pre,
            limits,
            meta,
        ))
    }
}

impl<H: 'static> Drop for Runtime<H> {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Relaxed);
    }
}

fn base_config(config: &RuntimeConfig) -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    c.max_wasm_stack(1 << 20);
    c.async_stack_size(2 << 20);
    c.parallel_compilation(true);
    let _ = config;
    c
}

/// Bytes of each pooled table and async stack kept resident (zeroed in
/// place) between instances.
const KEEP_RESIDENT_TABLE: usize = 64 << 10;
const KEEP_RESIDENT_STACK: usize = 256 << 10;

fn build_engine(config: &RuntimeConfig) -> Result<(Engine, bool)> {
    if config.pooling {
        let mut c = base_config(config);
        let n = config.max_instances.max(1);
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(n)
            // A Rust component has a main module plus a few adapter shims.
            .total_core_instances(n.saturating_mul(8))
            .total_memories(n)
            .total_tables(n.saturating_mul(4))
            .total_stacks(n)
            .max_memory_size(mib(config.max_memory_mib))
            .max_memories_per_component(2)
            .max_tables_per_component(8)
            // Reset the first pages of a slot by memset instead of returning
            // them to the kernel: a plugin call touches a few hundred KiB, and
            // page faults on fresh pages dominated call cost without this.
            .linear_memory_keep_resident(config.pool_keep_resident_kib as usize * 1024)
            .table_keep_resident(KEEP_RESIDENT_TABLE)
            .async_stack_keep_resident(KEEP_RESIDENT_STACK);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        match Engine::new(&c) {
            Ok(engine) => return Ok((engine, true)),
            Err(e) => tracing::warn!(error = %e, "could not reserve the instance pool"),
        }
    }
    let c = base_config(config);
    let engine = Engine::new(&c).map_err(|e| Error::Engine(format!("{e:#}")))?;
    Ok((engine, false))
}

/// Advances the engine's epoch every `tick` until `alive` is cleared.
pub(crate) fn spawn_ticker(engine: Engine, alive: Arc<AtomicBool>, tick: Duration) {
    let spawned = std::thread::Builder::new()
        .name("bantong-epoch".into())
        .spawn(move || {
            while alive.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                engine.increment_epoch();
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start the epoch ticker; deadlines rely on the async timeout only");
    }
}
