//! The Bantong hall edge agent as a library; `bantong-edge` is a thin CLI
//! over it and the simulator runs many of these in one process.
//!
//! - [`outbox`]: the disk-backed, sequence-numbered outbox of upstream events.
//! - [`sink`]: group commit of events into the outbox.
//! - [`link`]: the MQTT link (birth/death, heartbeats, acknowledged batches).
//! - [`identity`]: enrolment with a one-time token.
//! - [`agent`]: one agent, tying these together.
//!
//! Invariant: an event is published only after it is durable in the outbox,
//! and removed only after the host acknowledged it.

pub mod agent;
pub mod camera;
pub mod cli;
pub mod config;
pub mod devices;
pub mod district;
pub mod identity;
pub mod link;
pub mod memory;
pub mod outbox;
pub mod plugins;
pub mod runner;
pub mod serial;
pub mod simulate;
pub mod sink;
pub mod v4l2;

pub use agent::Agent;
pub use config::EdgeConfig;
