//! `supervision`: the district's supervision of its halls (监督促效), as
//! pure logic with no storage, clock or bindings, and the plugin glue
//! ([`plugin`]) over it.
//!
//! - [`template`]: checklist templates, versioned; the default is the
//!   plan's 附件2 (nine categories, 22 items) scored by equal weights.
//! - [`inspection`]: answers against the template version a visit started
//!   with, partial save, sign-off, the score with its rule, the failures.
//! - [`planner`]: the monthly coverage plan (月覆盖) on the working-day
//!   calendar, dates spread, inspectors rotated; the coverage board.
//! - [`problem`]: one rectification loop for every problem — 下发 → 签收 →
//!   整改中 → 整改报告 → 复查 (pass or return) → 销号 — with escalation (督办).
//! - [`candidate`]: camera and device alerts as candidate findings a person
//!   confirms or dismisses.
//! - [`followup`]: 差评 follow-up (核实 → 整改 → 回访) with appeals.
//! - [`recurrence`]: 屡查屡犯 — the same item failing again within N cycles.
//! - [`survey`]: 满意度调查 — questionnaires on the five 好差评 levels,
//!   answers checked against their version, 满意率 and 满意度指数.
//! - [`calllist`]: the monthly phone-survey call list per hall — a seeded
//!   draw up to the quota, masked numbers, calls recorded.
//! - [`figures`]: every figure with its numerator, denominator and
//!   definition, and the monthly scorecard with ranks.
//! - [`queries`]: the month's figures as grouped aggregates described as
//!   data (the plugin and the benchmark run the same ones) and their fold.
//! - [`month`]: the monthly cycle.
//!
//! Time always comes in as milliseconds since the Unix epoch (`now`), so
//! the same code runs natively in tests and in the plugin.

#![deny(unsafe_code)]

pub mod calllist;
pub mod candidate;
pub mod figures;
pub mod followup;
pub mod inspection;
pub mod month;
pub mod planner;
pub mod plugin;
pub mod problem;
pub mod queries;
pub mod recurrence;
pub mod survey;
pub mod template;
