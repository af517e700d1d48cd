//! Shared helpers of the integration and end-to-end tests: a fresh
//! installation per test on SQLite or PostgreSQL, the fixture plugins built
//! by `cargo xtask wasm`, and a small HTTP client over the router.

pub mod app;
pub mod db;
pub mod edge;
pub mod firmware;
pub mod office;

pub use app::{TestApp, TestHost};
pub use db::TestDb;
