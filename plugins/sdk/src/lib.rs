//! The guest SDK for Bantong plugins: a [`Plugin`] trait, a [`Router`],
//! JSON helpers and typed access to the host's capabilities (storage, events,
//! config, clock, the district calendar, the service catalogue, the
//! directory of halls and people, logging), over the WIT contract
//! `bantong:platform@0.1.5`.
//!
//! ```ignore
//! use bantong_sdk::{HandlerResult, Plugin, Request, Response, Router, export_plugin};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn handle(req: Request) -> Response {
//!         Router::new().get("/hello/{name}", hello).handle(req)
//!     }
//! }
//!
//! fn hello(req: Request) -> HandlerResult {
//!     let name = req.param("name").unwrap_or("世界");
//!     Ok(Response::ok(&serde_json::json!({ "greeting": format!("你好，{name}") })))
//! }
//!
//! export_plugin!(Hello);
//! ```
//!
//! Build with `cargo build --target wasm32-wasip2 --profile plugin`; the
//! README walks through a whole plugin, its manifest and signing.
//!
//! Host calls only work inside the host: on other targets (unit tests) they
//! panic, while routing, JSON helpers, builders and views work everywhere.

mod bindings;
mod error;
mod http;
mod plugin;
mod router;
mod types;
mod view;

pub mod audit;
pub mod blobs;
pub mod calendar;
pub mod catalogue;
pub mod clock;
pub mod config;
pub mod directory;
pub mod documents;
pub mod events;
pub mod log;
pub mod modules;
pub mod notices;
pub mod storage;

pub use error::Error;
pub use http::{HandlerResult, IntoResponse, JSON_CONTENT_TYPE, Request, Response};
pub use plugin::Plugin;
pub use router::Router;
pub use types::{Caller, Event, Job, Method};
pub use view::{View, ViewKind};

/// The WIT package this SDK version is built against; a plugin's manifest
/// declares the same.
pub const WIT_PACKAGE: &str = "bantong:platform@0.1.5";

/// The `wit` value of a manifest for this SDK version.
pub const WIT_VERSION: &str = "0.1.5";

/// This SDK's version.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Paths the `export_plugin!` expansion needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::bindings::exports;
}
