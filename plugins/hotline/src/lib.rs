//! `hotline`: the work orders (工单) of the district's one-number hotline
//! (一号统领: 一号响应、一号受理、一线通答、分级解答、分派工单、统一督办), as pure
//! logic with no storage, clock or bindings.
//!
//! - [`calendar`]: the district's working-day calendar deadlines are
//!   counted on (re-exported from `bantong_hall_kit`).
//! - [`order`]: the dispatch catalogue (派单目录: request category → lead and
//!   assisting units, department or hall level, time limits), and the work
//!   order state machine — received, dispatched, signed, in progress,
//!   replied, closed, returned, merged; returns (退单) and reassignments (改派)
//!   approved by a supervisor; reopening after a dissatisfied callback;
//!   confidential callers hidden from units; every transition in an audit
//!   trail; supervision (督办) levels from the deadlines.
//! - [`calls`]: call records from the telephony (wait, handling time,
//!   abandoned), the agent seats' status machine, missed calls to call back.
//! - [`kpi`]: the hotline's KPIs per day or month (接通率, 15秒接通率, 呼损率,
//!   按时办结率, 满意率, …), each with its numerator, denominator and
//!   definition, overall, by hall and by category.
//! - [`knowledge`]: the knowledge base (知识库) — versioned articles per
//!   service item (a category of the dispatch catalogue), index terms for
//!   Chinese full-text search from character unigrams and bigrams, and BM25
//!   ranking of search candidates with highlighted snippets.
//!
//! Time always comes in as milliseconds since the Unix epoch (`now_ms`), so
//! the same code runs natively in tests and in the plugin.

#![deny(unsafe_code)]

/// The working-day calendar, shared by every module (`bantong_hall_kit::calendar`).
pub use bantong_hall_kit::calendar;
pub mod calls;
pub mod knowledge;
pub mod kpi;
pub mod kpi_queries;
pub mod order;
pub mod plugin;
pub mod service_items;
