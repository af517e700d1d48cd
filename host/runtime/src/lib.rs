//! The WebAssembly plugin runtime shared by the district host and the hall
//! edge agent.
//!
//! One [`Runtime`] owns one wasmtime [`wasmtime::Engine`] (pooling allocator
//! when the address space allows it, on-demand otherwise), an epoch ticker
//! that enforces per-call deadlines, and a linker with the platform imports.
//! Plugins are compiled once per version into a [`Plugin`] holding the
//! pre-instantiated component; every call gets a fresh, isolated instance
//! with its own memory cap, so a trap, a timeout or a runaway allocation
//! fails exactly that call.
//!
//! Architecture invariant: the runtime never speaks HTTP, SQL or MQTT. What a
//! plugin may do is decided by the embedder's [`CallHost`] implementation,
//! which receives every privileged import.

mod bindings;
mod call;
pub mod edge;
mod engine;
mod error;
mod host;
mod plugin;
mod stats;
pub mod vision;

pub use bindings::{edge_wit, wit};
pub use call::CallOutcome;
pub use engine::{Runtime, RuntimeConfig};
pub use error::{CallError, Error, Result};
pub use host::{CallHost, HostState};
pub use plugin::{Plugin, PluginLimits, PluginSlot};
pub use stats::{LATENCY_BUCKETS_MS, PluginStats, StatsSnapshot};
