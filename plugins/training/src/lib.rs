//! `training`: training and the cloud exam (培训 / 云考试), as pure logic
//! with no storage, clock or bindings, and the plugin glue ([`plugin`])
//! over it.
//!
//! - [`question`]: the question bank — five kinds, knowledge points,
//!   difficulty, the source policy and its validity, versions, review by a
//!   second person.
//! - [`import`]: questions from a workbook, every wrong row named, all or
//!   nothing.
//! - [`paper`]: fixed papers and blueprints (knowledge point × difficulty
//!   × count), each candidate's seeded draw and shuffle.
//! - [`attempt`]: a sitting — answers saved as given, the server's clock,
//!   switching away counted, hand-in or time-out, resits.
//! - [`marking`]: automatic marking with the stated partial-credit rules,
//!   manual marking of short answers.
//! - [`stats`]: the exam's figures, item statistics (facility,
//!   discrimination, point-biserial, distractors) and Cronbach's α.
//! - [`mastery`]: mastery per knowledge point and the gaps that become
//!   follow-up assignments.
//! - [`plan`]: monthly, quarterly and annual training plans by topic, and
//!   how far their classes have carried them.
//! - [`class`]: classes, signing in by QR code on a phone, and the
//!   pre-post syllabus.
//! - [`spot`]: 实操抽查 — spot checks of casework and the recheck list.
//! - [`cert`]: 行政办事员 certification — eligibility, results, numbers.
//!
//! Time always comes in as milliseconds since the Unix epoch (`now`), so
//! the same code runs natively in tests and in the plugin.

#![deny(unsafe_code)]

pub mod attempt;
pub mod cert;
pub mod class;
pub mod exam;
pub mod figures;
pub mod import;
pub mod marking;
pub mod mastery;
pub mod paper;
pub mod plan;
pub mod plugin;
pub mod question;
pub mod report;
pub mod spot;
pub mod stats;
