//! Storage for the Bantong host: one sqlx pool over SQLite (embedded default,
//! one file in WAL mode) or PostgreSQL, the same migrations and behaviour on
//! both, plus content-addressed blobs on disk.
//!
//! Architecture invariant: nothing above this crate writes SQL that depends on
//! the dialect; dialect differences live here.

mod db;
mod error;

pub use db::{Dialect, Store, StoreConfig};
pub use error::{Error, Result};
