//! `reporting`: the district's reports drafted from the other modules, as
//! pure logic with no storage, clock or bindings, and the plugin glue
//! ([`plugin`]) over it.
//!
//! - [`month`]: the monthly cycle and the due date (the 10th).
//! - [`sources`]: what a report is drafted from — the figures other modules
//!   publish to modules — and whether each module was there.
//! - [`monthly`]: the monthly supervision report (监督检查月报) as a
//!   document, every section filled from its module or saying it is not
//!   installed.
//! - [`annual`]: the annual report — the year's months summed (numerators
//!   and denominators, never percentages), each hall's months, the key
//!   problems, the hotline's year.
//! - [`period`]: a report's month or year, its id, title and due date.
//! - [`workflow`]: draft → review → approval → issue, by role.
//! - [`command`]: the command screen's per-hall module figures, read now.

#![deny(unsafe_code)]

pub mod annual;
pub mod command;
pub mod month;
pub mod monthly;
pub mod period;
pub mod plugin;
pub mod sources;
pub mod workflow;
