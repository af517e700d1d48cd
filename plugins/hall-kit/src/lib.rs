//! Hall and district domain helpers shared by the edge agent and the plugins.
//!
//! The agent and every plugin that runs in a government service hall link
//! this one crate, so that the rules a citizen's data meets are the same
//! everywhere:
//!
//! - [`id_number`]: resident ID numbers (GB 11643-1999) — validation, birth
//!   date, age, sex, and the one masking rule ([`mask`]:
//!   `110101********123X`);
//! - [`calendar`]: the working-day calendar every module counts deadlines
//!   on — weekends, the district's holiday arrangements (2025 and 2026
//!   built in) and make-up working days, in hall time;
//! - [`catalogue`]: the service catalogue (事项库) — items with their
//!   window category (5+X), department, time limits, materials and flags,
//!   and its spreadsheet form (import with row-and-column problems, export);
//! - [`district`]: 莲池区 (code 130606) and its 17 street and township
//!   halls, the four pilots marked;
//! - [`document`]: the document model modules describe reports in
//!   (headings, paragraphs, tables, figures, charts), rendered by the host;
//! - [`figure`]: a KPI figure with its numerator, denominator and
//!   definition, the one form every module and report shows a figure in;
//! - [`scrub`]: the agent's last line of defence, masking every ID number
//!   left in text or JSON before anything leaves the hall box;
//! - [`rating`]: the five 好差评 levels with their scores and labels, and
//!   which of them call for a callback and rectification;
//! - [`escpos`]: queue tickets and receipts for ESC/POS thermal printers in
//!   GB18030, and the decoder the printer simulator and tests read them
//!   with;
//! - `xlsx` (with the `xlsx` feature): Excel workbooks (`.xlsx`) from rows
//!   of cells — text, numbers, percentages, hall-time dates — with a bold
//!   frozen header, autofilter and column widths, written by the
//!   `rust_xlsxwriter` crate. Only the plugins that hand out spreadsheets
//!   enable it; the edge agent and the edge plugins do not compile it.
//!
//! Pure and synchronous (no I/O), it builds for the host and for
//! `wasm32-wasip2`.

#![forbid(unsafe_code)]

pub mod calendar;
pub mod catalogue;
pub mod district;
pub mod document;
pub mod escpos;
pub mod figure;
pub mod id_number;
pub mod rating;
pub mod scrub;
pub mod time;
#[cfg(feature = "xlsx")]
pub mod xlsx;

pub use escpos::{Align, Decoded, EscPosError, Line, Receipt, decode, wrap};
pub use id_number::{IdError, IdNumber, Sex, mask};
pub use rating::Level;
pub use scrub::{scrub_json, scrub_text};
