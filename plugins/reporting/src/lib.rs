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
//! - [`operation`]: the month's project operation report (项目运行报告) —
//!   staffing, training, hotline, door service, 好差评, supervision and
//!   the halls' performance evaluation (绩效考评), each from its module.
//! - [`operation_year`]: the year's project operation report (the months
//!   summed, each hall's year of evaluation).
//! - [`evaluation`]: the month's performance evaluation report
//!   (绩效考评报告) — every hall scored on one printed scheme, ranked, the
//!   leading halls named and two months in the last places flagged.
//! - [`period`]: a report's month or year, its id, title and due date.
//! - [`problem_list`]: one hall's 问题清单 of a month with its 整改反馈表.
//! - [`workflow`]: draft → review → approval → issue, by role.
//! - [`generation`]: a report's files made in the background, one stage
//!   per call, with the progress the portal shows.
//! - [`command`]: the command screen's per-hall module figures, read now.

#![deny(unsafe_code)]

pub mod annual;
pub mod command;
pub mod evaluation;
pub mod generation;
pub mod month;
pub mod monthly;
pub mod operation;
pub mod operation_year;
pub mod period;
pub mod plugin;
pub mod problem_list;
pub mod sources;
pub mod workflow;
