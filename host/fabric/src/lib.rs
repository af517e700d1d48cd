//! The contract between the district host and the hall edge agents: the
//! MQTT topic scheme ([`topic`]) and the messages that travel on it
//! ([`msg`]). Both sides depend on this crate and on nothing of each other.
//!
//! Invariant: every decoder of bytes from the network is in [`msg`], checks
//! size before parsing, refuses unknown fields, and validates values; the
//! fuzz targets in `fuzz/` drive each of them.

pub mod msg;
pub mod topic;

pub use msg::{DecodeError, decode, encode};
pub use topic::AgentId;
