//! The district's working-day calendar data: each year's holiday
//! arrangement (节假日安排) as the district administrator keeps it (since
//! WIT 0.1.1). Every module counts deadlines on it; `bantong-hall-kit`'s
//! `calendar` turns these arrangements into a calendar that counts.

use serde::{Deserialize, Serialize};

use crate::bindings::bantong::platform::calendar as wit;

/// One year's arrangement.
///
/// Entries of `holidays` and `workdays` are dates `YYYY-MM-DD` or ranges
/// `YYYY-MM-DD..YYYY-MM-DD`, optionally followed by a space and a name
/// (`2026-10-01..2026-10-07 国庆节`); the host validated them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrangement {
    /// The year the notice is for.
    pub year: i32,
    /// The notice it comes from, for display.
    pub notice: String,
    /// Days off.
    pub holidays: Vec<String>,
    /// Make-up working days.
    pub workdays: Vec<String>,
    /// When the district last changed it (ms since the epoch).
    pub updated_at: i64,
}

/// The configured arrangements of the years `first..=last` (at most 20
/// years), ascending. A missing year has not been configured yet.
pub fn arrangements(first: i32, last: i32) -> Vec<Arrangement> {
    wit::arrangements(first, last)
        .into_iter()
        .map(|a| Arrangement {
            year: a.year,
            notice: a.notice,
            holidays: a.holidays,
            workdays: a.workdays,
            updated_at: a.updated_at,
        })
        .collect()
}
