//! Plugin manifests, config schemas, capability grants, artefact digests, signatures and packages.
//!
//! This crate is shared by the district host and the hall edge agent, so it
//! does no I/O and pulls in no runtime: no wasmtime, no database, no async.
//!
//! - [`Manifest`] parses and validates a plugin's `manifest.toml` (see the README for the
//!   format); errors name the field (`routes[2].path: must start with "/"`).
//! - [`ConfigSchema`] validates per-district and per-hall configuration with
//!   messages in Chinese and English; [`resolve`] merges the layers.
//! - [`Policy`] and [`grant`] compute what a plugin may do: the manifest's
//!   request intersected with operator policy, deny by default.
//! - [`Digest`], [`keygen`], [`sign`], [`verify`] and [`Package`] address,
//!   sign and check plugin artefacts (`.btpkg` files).

mod canonical;
mod capability;
mod collection;
mod config;
mod config_messages;
mod digest;
mod error;
mod grant;
mod manifest;
mod names;
mod package;
mod policy;
mod request;
mod route;
mod schedule;
mod signing;
mod topic;
mod validate;
mod view;

pub use capability::{
    Capabilities, Capability, CapabilityParseError, HALL_TOPIC_PREFIX, PERIPHERAL_CLASSES,
    hall_pattern_problem,
};
pub use collection::{Collection, FieldType};
pub use config::{
    ConfigError, ConfigSchema, ConfigSchemaError, defaults as config_defaults, resolve,
};
pub use digest::{Digest, DigestParseError};
pub use error::{FieldError, ManifestError, Result};
pub use grant::{EffectiveLimits, Grant, grant};
pub use manifest::{ConfigSection, Limits, Manifest, Subscription, World};
pub use names::METADATA_FIELDS;
pub use package::{Package, PackageError, Verified};
pub use policy::{ModuleReadRule, PluginPolicy, Policy, PolicyError, PolicyLimits, ReadRule};
pub use request::{
    FORWARDED_HEADERS, PluginRequest, RequestError, normalise_path, parse_method, parse_query,
    percent_decode, to_plugin_request,
};
pub use route::{Method, Route, RouteTable};
pub use schedule::{DEFAULT_OFFSET_MINUTES, Schedule};
pub use signing::{
    KeyId, PublicKey, Signature, SignatureError, SigningKey, TrustedKeys, keygen, sign, verify,
};
pub use topic::{pattern_covers, topic_matches};
pub use view::{Localized, View, ViewKind};
