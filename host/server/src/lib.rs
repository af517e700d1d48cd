//! The Bantong district host as a library: storage, identity and audit, the
//! plugin manager and runtime, workers, and the HTTP API. The `bantong`
//! binary is a thin CLI over it.
//!
//! Architecture invariant: HTTP handlers never talk to wasmtime directly;
//! they go through [`plugins::PluginManager`], which owns verification,
//! grants and the runtime.

pub mod audit;
pub mod calendar;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod demo;
pub mod documents;
pub mod edge;
pub mod error;
pub mod http;
pub mod identity;
pub mod notices;
pub mod plugins;
pub mod state;
pub mod workers;

pub use config::HostConfig;
pub use http::app;
pub use state::AppState;
