//! Integration tests for bantong-store. Every storage test runs against both
//! SQLite and PostgreSQL (see `common.rs` for the environment variables).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod aggregate;
mod backup;
mod blobs;
mod catalogue;
mod directory;
mod documents;
mod edge;
mod outbox;
mod query;
mod registry;
mod schedules;
