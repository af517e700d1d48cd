//! Storage for the Bantong host: one sqlx pool over SQLite (embedded default,
//! one file in WAL mode) or PostgreSQL, the same migrations and behaviour on
//! both, plus content-addressed blobs on disk.
//!
//! Architecture invariant: nothing above this crate writes SQL that depends on
//! the dialect; dialect differences live here.
//!
//! - [`UnitOfWork`] ([`Store::begin`]): plugin documents and event publication
//!   in one lazily opened transaction, with hall scope.
//! - Outbox: [`Store::claim_deliveries`], [`Store::ack`], [`Store::nack`].
//! - Schedules: [`Store::claim_fire`], [`Store::finish_fire`].
//! - Blobs: [`Store::put_blob`], [`Store::get_blob`].
//! - Edge events, applied exactly once per agent sequence number:
//!   [`Store::apply_edge_batches`].
//! - Plugin registry: [`Store::registry`].
//! - The district's working-day calendar: [`Store::calendar`].
//! - The district's service catalogue, every version kept:
//!   [`Store::catalogue`].
//! - The district's halls and enabled people as plugins read them:
//!   [`Store::directory`].
//! - Notices to people (SMS, portal): [`UnitOfWork::queue_notice`],
//!   [`Store::notices`].
//! - Backup: [`Store::backup`], [`Store::restore`].

mod aggregate;
mod backup;
mod blob_refs;
mod blobs;
mod calendar;
mod catalogue;
mod db;
mod directory;
mod documents;
mod edge;
mod error;
mod filter;
mod notices;
mod outbox;
mod query;
pub mod registry;
mod schedule;
mod scope;
mod spec;
mod sql;
mod uow;
mod values;

pub use aggregate::{AggregateFn, AggregateQuery, Group, MAX_GROUPS, Metric};
pub use backup::{BackupManifest, TableSummary};
pub use blob_refs::PORTAL_OWNER;
pub use blobs::BlobRef;
pub use calendar::{Calendar, CalendarYear, SEEDED_BY as CALENDAR_SEEDED_BY};
pub use catalogue::{CatalogueVersion, NewCatalogueVersion, ServiceCatalogue};
pub use db::{DEFAULT_BLOB_TYPES, Dialect, Store, StoreConfig};
pub use directory::{Directory, DirectoryHall, DirectoryPerson};
pub use documents::{Document, MAX_BODY_BYTES, Write};
pub use edge::{Applied, EdgeBatch, EdgeEventIn, Subscribers, hall_event_payload, hall_topic};
pub use error::{Error, Result};
pub use filter::{Filter, Op};
pub use notices::{Channel as NoticeChannel, NewNotice, Notice, Notices};
pub use outbox::{Delivery, Event, MAX_CLAIM, MAX_PAYLOAD_BYTES, NewEvent};
pub use query::{DEFAULT_LIMIT, Direction, MAX_LIMIT, Page, Query, Selection, SortKey};
pub use registry::{PluginConfig, PluginRecord, PluginVersion, Registry};
pub use schedule::Fire;
pub use scope::{HallScope, Scope};
pub use spec::{CollectionSpec, FieldType, valid_field_path};
pub use uow::UnitOfWork;
