//! The working-day calendar (工作日历) that work-order deadlines are counted
//! on: weekends, Chinese public holidays (法定节假日) and make-up working days
//! (调休上班), all in hall time (UTC+8).
//!
//! # Configuration
//!
//! A [`Calendar`] is built from JSON ([`Calendar::from_json`]):
//!
//! ```json
//! { "holidays": ["2025-10-01", "2025-10-02"],
//!   "workdays": ["2025-09-28", "2025-10-11"],
//!   "weekend": [6, 7],
//!   "day_ends": "17:30" }
//! ```
//!
//! - `holidays`: days off, whatever weekday they fall on;
//! - `workdays`: make-up working days, each on a `weekend` day (a date listed
//!   here that is a working day anyway is almost always a typo, so it is
//!   refused);
//! - `weekend`: ISO weekdays (1 = Monday … 7 = Sunday) that are days off,
//!   default Saturday and Sunday; at least one weekday must remain;
//! - `day_ends`: local time `HH:MM` at which a working day ends and a
//!   deadline falls, default `17:30`.
//!
//! # The district's arrangements
//!
//! The State Council publishes each year's arrangement in a notice around
//! November of the year before. The district keeps one [`Arrangement`] per
//! year (2025 and 2026 are built in, [`Arrangement::builtin`]); a module
//! builds its calendar from its own configuration (weekend, `day_ends`,
//! local extra days) and the district's arrangements
//! ([`Calendar::with_arrangement`]). A year without an arrangement has
//! weekends only, no holidays: [`Calendar::covers_year`] and
//! [`Calendar::uncovered_years`] tell, so that a screen and every deadline
//! answer can warn before it matters ([`Calendar::coverage_warning`]).
//!
//! # Counting convention
//!
//! Days are numbered as days since 1970-01-01 in hall time (see
//! [`crate::time::local_day`]). A time limit of *n* working days
//! starts counting on the **first working day after the day of receipt**,
//! and the deadline is `day_ends` on the *n*-th of them ([`Calendar::deadline`]).
//! This is 12345 practice: the day an order arrives is not a full working
//! day for the unit (it may arrive at 17:00 or on a Sunday), so it is not
//! counted, and a unit always gets *n* whole working days.
//! [`Calendar::working_days_between`] counts the same way, so that
//! `working_days_between(t, deadline(t, n)) == n` for every `n ≥ 1`.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::BTreeSet;
use std::fmt;

use crate::time::{OFFSET_MS, civil, date_of_day, local_date, local_day};
use serde::{Deserialize, Serialize};

mod arrangement;

pub use arrangement::{Arrangement, ArrangementDays, year_span_ms};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The largest time limit [`Calendar::deadline`] and
/// [`Calendar::warning_at`] count; larger ones are clamped to it, negative
/// ones to 0 (about four years of working days: no real limit comes near).
pub const MAX_WORKING_DAYS: i64 = 1_000;

/// `day_ends` when the configuration does not give one.
pub const DEFAULT_DAY_ENDS: &str = "17:30";

/// The weekend when the configuration does not give one: Saturday, Sunday.
pub const DEFAULT_WEEKEND: [i64; 2] = [6, 7];

/// Calendar configuration as it is written in JSON; every field is
/// optional. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// Days off (`YYYY-MM-DD`).
    pub holidays: Vec<String>,
    /// Make-up working days on weekend days (`YYYY-MM-DD`).
    pub workdays: Vec<String>,
    /// ISO weekdays (1 = Monday … 7 = Sunday) that are days off.
    pub weekend: Vec<i64>,
    /// Local time `HH:MM` at which a working day ends.
    pub day_ends: String,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            holidays: Vec::new(),
            workdays: Vec::new(),
            weekend: DEFAULT_WEEKEND.to_vec(),
            day_ends: DEFAULT_DAY_ENDS.to_owned(),
        }
    }
}

/// Why a calendar configuration was refused. The message names the field
/// and, for lists, the index, e.g. `holidays[3]: "2025-02-30" is not a date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum CalendarError {
    /// The JSON could not be read (syntax, types, unknown fields).
    Json {
        /// The parser's message.
        message: String,
    },
    /// An entry of `holidays` or `workdays` is not a valid `YYYY-MM-DD`.
    InvalidDate {
        /// `holidays` or `workdays`.
        field: String,
        /// Index in the list.
        index: usize,
        /// The text given.
        value: String,
    },
    /// A date appears twice in the same list.
    DuplicateDate {
        /// `holidays` or `workdays`.
        field: String,
        /// Index of the repeat.
        index: usize,
        /// Index of the first occurrence.
        first: usize,
        /// The date.
        date: String,
    },
    /// A date is both a holiday and a make-up working day.
    HolidayAndWorkday {
        /// The date.
        date: String,
        /// Its index in `holidays`.
        holiday_index: usize,
        /// Its index in `workdays`.
        workday_index: usize,
    },
    /// A make-up working day that is a working day anyway (not on a weekend
    /// day): almost certainly a typo for a neighbouring date.
    WorkdayNotOnWeekend {
        /// Index in `workdays`.
        index: usize,
        /// The date.
        date: String,
        /// Its ISO weekday (1 = Monday).
        weekday: u8,
    },
    /// An entry of `weekend` is not 1-7.
    InvalidWeekday {
        /// Index in `weekend`.
        index: usize,
        /// The value given.
        value: i64,
    },
    /// A weekday appears twice in `weekend`.
    DuplicateWeekday {
        /// Index of the repeat.
        index: usize,
        /// The weekday.
        value: i64,
    },
    /// `weekend` holds all seven weekdays.
    NoWorkingWeekday,
    /// `day_ends` is not `HH:MM` between 00:01 and 23:59.
    InvalidDayEnds {
        /// The text given.
        value: String,
    },
    /// An arrangement's year is outside 2000-2100.
    InvalidYear {
        /// The year given.
        year: i64,
    },
    /// An arrangement's entry (or its notice) is malformed.
    InvalidEntry {
        /// `holidays`, `workdays` or `notice`.
        field: String,
        /// Index in the list.
        index: usize,
        /// The text given.
        value: String,
        /// What is wrong with it.
        why: String,
    },
}

impl fmt::Display for CalendarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalendarError::Json { message } => write!(f, "invalid calendar config: {message}"),
            CalendarError::InvalidDate {
                field,
                index,
                value,
            } => write!(
                f,
                "{field}[{index}]: {value:?} is not a valid date YYYY-MM-DD"
            ),
            CalendarError::DuplicateDate {
                field,
                index,
                first,
                date,
            } => write!(
                f,
                "{field}[{index}]: duplicate date {date} (already {field}[{first}])"
            ),
            CalendarError::HolidayAndWorkday {
                date,
                holiday_index,
                workday_index,
            } => write!(
                f,
                "workdays[{workday_index}]: {date} is also holidays[{holiday_index}]; a day is either a holiday or a working day"
            ),
            CalendarError::WorkdayNotOnWeekend {
                index,
                date,
                weekday,
            } => write!(
                f,
                "workdays[{index}]: {date} is a {}, a working day anyway; make-up working days fall on weekend days (typo?)",
                weekday_name(*weekday)
            ),
            CalendarError::InvalidWeekday { index, value } => write!(
                f,
                "weekend[{index}]: {value} is not an ISO weekday 1 (Monday) to 7 (Sunday)"
            ),
            CalendarError::DuplicateWeekday { index, value } => {
                write!(f, "weekend[{index}]: duplicate weekday {value}")
            }
            CalendarError::NoWorkingWeekday => f.write_str(
                "weekend: all seven weekdays are off; at least one must be a working day",
            ),
            CalendarError::InvalidDayEnds { value } => write!(
                f,
                "day_ends: {value:?} is not a local time HH:MM between 00:01 and 23:59"
            ),
            CalendarError::InvalidYear { year } => {
                write!(f, "year: {year} is not a year from 2000 to 2100")
            }
            CalendarError::InvalidEntry {
                field,
                index,
                value,
                why,
            } => write!(f, "{field}[{index}]: {value:?}: {why}"),
        }
    }
}

impl std::error::Error for CalendarError {}

fn weekday_name(weekday: u8) -> &'static str {
    match weekday {
        1 => "Monday",
        2 => "Tuesday",
        3 => "Wednesday",
        4 => "Thursday",
        5 => "Friday",
        6 => "Saturday",
        _ => "Sunday",
    }
}

/// Days since 1970-01-01 of a civil date, or `None` when the date does not
/// exist (2025-02-29, month 13, …). The inverse of
/// [`crate::time::civil`], which checks the result.
pub fn day_of(year: i64, month: u8, day: u8) -> Option<i64> {
    if !(1..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let m = i64::from(month);
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    // A day past the month's end rolls into the next month: refuse it.
    (civil(days) == (year, month, day)).then_some(days)
}

/// The day of a `YYYY-MM-DD` date (exactly that form), or `None`.
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = text.get(from..to)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let y = num(0, 4)?;
    let m = u8::try_from(num(5, 7)?).ok()?;
    let d = u8::try_from(num(8, 10)?).ok()?;
    day_of(y, m, d)
}

/// ISO weekday of a day: 1 = Monday … 7 = Sunday (1970-01-01 was a
/// Thursday).
pub fn iso_weekday(day: i64) -> u8 {
    // rem_euclid(7) is 0..=6, so this is 1..=7.
    (day.rem_euclid(7) + 3).rem_euclid(7) as u8 + 1
}

/// The instant that starts a local day (00:00 UTC+8), saturating.
pub fn start_of_day(day: i64) -> i64 {
    day.saturating_mul(DAY_MS).saturating_sub(OFFSET_MS)
}

fn parse_day_ends(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 5 || b.get(2) != Some(&b':') {
        return None;
    }
    let two = |from: usize| -> Option<i64> {
        let part = text.get(from..from + 2)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (h, m) = (two(0)?, two(3)?);
    let minutes = h * 60 + m;
    (h <= 23 && m <= 59 && minutes > 0).then_some(minutes * 60_000)
}

/// Years without a holiday arrangement that a deadline crosses: the
/// deadline may fall on a holiday nobody entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageWarning {
    /// The years, ascending.
    pub years: Vec<i64>,
    /// The warning in Chinese.
    pub zh: String,
    /// The warning in English.
    pub en: String,
}

/// A validated working-day calendar. Build it with [`Calendar::new`],
/// [`Calendar::from_json`] or [`Calendar::china`], then add the district's
/// arrangements ([`Calendar::with_arrangement`]); it serializes back to its
/// [`CalendarConfig`] (dates sorted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "CalendarConfig", try_from = "CalendarConfig")]
pub struct Calendar {
    holidays: BTreeSet<i64>,
    workdays: BTreeSet<i64>,
    /// `weekend[w - 1]` for ISO weekday `w`.
    weekend: [bool; 7],
    /// Offset of `day_ends` from local midnight.
    day_ends_ms: i64,
}

impl Default for Calendar {
    /// Saturday and Sunday off, no holidays, days end at 17:30.
    fn default() -> Self {
        Calendar {
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            weekend: weekend_mask(&DEFAULT_WEEKEND),
            day_ends_ms: (17 * 60 + 30) * 60_000,
        }
    }
}

fn weekend_mask(days: &[i64]) -> [bool; 7] {
    let mut mask = [false; 7];
    for (w, slot) in (1_i64..).zip(mask.iter_mut()) {
        *slot = days.contains(&w);
    }
    mask
}

impl TryFrom<CalendarConfig> for Calendar {
    type Error = CalendarError;

    fn try_from(config: CalendarConfig) -> Result<Self, Self::Error> {
        Calendar::new(&config)
    }
}

impl From<Calendar> for CalendarConfig {
    fn from(calendar: Calendar) -> Self {
        calendar.config()
    }
}

/// Parses a list of dates, refusing bad and repeated ones.
fn date_list(field: &str, list: &[String]) -> Result<Vec<i64>, CalendarError> {
    let mut days: Vec<i64> = Vec::with_capacity(list.len());
    for (index, text) in list.iter().enumerate() {
        let Some(day) = parse_date(text) else {
            return Err(CalendarError::InvalidDate {
                field: field.to_owned(),
                index,
                value: text.clone(),
            });
        };
        if let Some(first) = days.iter().position(|&d| d == day) {
            return Err(CalendarError::DuplicateDate {
                field: field.to_owned(),
                index,
                first,
                date: date_of_day(day),
            });
        }
        days.push(day);
    }
    Ok(days)
}

impl Calendar {
    /// Validates a configuration into a calendar; the first problem found,
    /// in field order, is returned.
    pub fn new(config: &CalendarConfig) -> Result<Calendar, CalendarError> {
        for (index, &value) in config.weekend.iter().enumerate() {
            if !(1..=7).contains(&value) {
                return Err(CalendarError::InvalidWeekday { index, value });
            }
            if config.weekend.iter().take(index).any(|&w| w == value) {
                return Err(CalendarError::DuplicateWeekday { index, value });
            }
        }
        if config.weekend.len() >= 7 {
            return Err(CalendarError::NoWorkingWeekday);
        }
        let weekend = weekend_mask(&config.weekend);
        let Some(day_ends_ms) = parse_day_ends(&config.day_ends) else {
            return Err(CalendarError::InvalidDayEnds {
                value: config.day_ends.clone(),
            });
        };
        let holidays = date_list("holidays", &config.holidays)?;
        let workdays = date_list("workdays", &config.workdays)?;
        for (workday_index, &day) in workdays.iter().enumerate() {
            if let Some(holiday_index) = holidays.iter().position(|&h| h == day) {
                return Err(CalendarError::HolidayAndWorkday {
                    date: date_of_day(day),
                    holiday_index,
                    workday_index,
                });
            }
            let weekday = iso_weekday(day);
            if !weekend
                .get(usize::from(weekday) - 1)
                .copied()
                .unwrap_or(false)
            {
                return Err(CalendarError::WorkdayNotOnWeekend {
                    index: workday_index,
                    date: date_of_day(day),
                    weekday,
                });
            }
        }
        Ok(Calendar {
            holidays: holidays.into_iter().collect(),
            workdays: workdays.into_iter().collect(),
            weekend,
            day_ends_ms,
        })
    }

    /// Parses a JSON configuration (missing fields take their defaults) and
    /// validates it.
    pub fn from_json(json: &str) -> Result<Calendar, CalendarError> {
        let config: CalendarConfig =
            serde_json::from_str(json).map_err(|e| CalendarError::Json {
                message: e.to_string(),
            })?;
        Calendar::new(&config)
    }

    /// Saturday and Sunday off, days ending at 17:30, with every built-in
    /// arrangement ([`Arrangement::builtin`]: 2025 and 2026).
    pub fn china() -> Calendar {
        let mut calendar = Calendar::default();
        for arrangement in Arrangement::builtin() {
            // The built-in arrangements are valid (a unit test says so).
            if let Ok(days) = arrangement.days() {
                calendar.with_arrangement(&days);
            }
        }
        calendar
    }

    /// Adds a year's arrangement. Its days replace whatever this calendar
    /// said of them: a day off becomes a day off even if it was a working
    /// day, and a make-up working day a working day (on a calendar whose
    /// weekend differs from Saturday and Sunday it may be a working day
    /// anyway, which is harmless).
    pub fn with_arrangement(&mut self, days: &ArrangementDays) -> &mut Calendar {
        for day in &days.holidays {
            self.workdays.remove(day);
            self.holidays.insert(*day);
        }
        for day in &days.workdays {
            self.holidays.remove(day);
            self.workdays.insert(*day);
        }
        self
    }

    /// A module's calendar: its local configuration (weekend, end of the
    /// working day) with the district's yearly arrangements on top, then
    /// the configuration's own extra days off and working days. An
    /// arrangement this version cannot use is left out and returned with
    /// why, for the caller to log; a broken local configuration is an error.
    pub fn for_module(
        local: &CalendarConfig,
        arrangements: &[Arrangement],
    ) -> Result<(Calendar, Vec<(i64, CalendarError)>), CalendarError> {
        let mut calendar = Calendar::new(&CalendarConfig {
            holidays: Vec::new(),
            workdays: Vec::new(),
            ..local.clone()
        })?;
        let mut skipped = Vec::new();
        for arrangement in arrangements {
            match arrangement.days() {
                Ok(days) => {
                    calendar.with_arrangement(&days);
                }
                Err(e) => skipped.push((arrangement.year, e)),
            }
        }
        calendar.with_local_days(local)?;
        Ok((calendar, skipped))
    }

    /// Adds the days of a configuration's `holidays` and `workdays` (a
    /// module's local additions: a hall closed for a day, say) on top of
    /// what the calendar holds, with the same replacement rule as
    /// [`Calendar::with_arrangement`].
    pub fn with_local_days(
        &mut self,
        config: &CalendarConfig,
    ) -> Result<&mut Calendar, CalendarError> {
        let local = Calendar::new(config)?;
        Ok(self.with_arrangement(&ArrangementDays {
            holidays: local.holidays.into_iter().collect(),
            workdays: local.workdays.into_iter().collect(),
        }))
    }

    /// The years from the year of `from_ms` to the year of `to_ms` (hall
    /// time) that no arrangement covers.
    pub fn uncovered_years(&self, from_ms: i64, to_ms: i64) -> Vec<i64> {
        let (first, _, _) = local_date(from_ms);
        let (last, _, _) = local_date(to_ms.max(from_ms));
        (first..=last.min(first + 10))
            .filter(|&y| !self.covers_year(y))
            .collect()
    }

    /// A warning, in Chinese and English, when a deadline counted from
    /// `from_ms` to `to_ms` crosses a year without an arrangement (its
    /// holidays are unknown, so the deadline may fall on a holiday), or
    /// `None`.
    pub fn coverage_warning(&self, from_ms: i64, to_ms: i64) -> Option<CoverageWarning> {
        let years = self.uncovered_years(from_ms, to_ms);
        let first = *years.first()?;
        let list_zh = years
            .iter()
            .map(|y| format!("{y}年"))
            .collect::<Vec<_>>()
            .join("、");
        let list_en = years
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        Some(CoverageWarning {
            years,
            zh: format!(
                "{list_zh}的节假日安排尚未配置，期限只按周末计算，可能落在节假日上；请区级管理员在“工作日历”中录入{first}年的放假安排。"
            ),
            en: format!(
                "The holiday arrangement of {list_en} is not configured: deadlines count weekends only and may fall on a holiday. A district administrator should enter {first}'s arrangement in the working-day calendar."
            ),
        })
    }

    /// The configuration of this calendar, dates sorted.
    pub fn config(&self) -> CalendarConfig {
        let minutes = self.day_ends_ms / 60_000;
        CalendarConfig {
            holidays: self.holidays.iter().map(|&d| date_of_day(d)).collect(),
            workdays: self.workdays.iter().map(|&d| date_of_day(d)).collect(),
            weekend: (1_i64..=7).filter(|&w| self.is_weekend(w)).collect(),
            day_ends: format!("{:02}:{:02}", minutes / 60, minutes % 60),
        }
    }

    /// Whether a holiday or make-up working day of `year` is configured,
    /// i.e. whether that year's State Council notice has been loaded.
    pub fn covers_year(&self, year: i64) -> bool {
        let (Some(first), Some(last)) = (day_of(year, 1, 1), day_of(year, 12, 31)) else {
            return false;
        };
        self.holidays.range(first..=last).next().is_some()
            || self.workdays.range(first..=last).next().is_some()
    }

    fn is_weekend(&self, weekday: i64) -> bool {
        usize::try_from(weekday - 1)
            .ok()
            .and_then(|i| self.weekend.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Whether a local day (days since 1970-01-01, UTC+8) is a working day:
    /// a make-up working day, or neither a holiday nor a weekend day.
    pub fn is_working_day(&self, day: i64) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !self.holidays.contains(&day) && !self.is_weekend(i64::from(iso_weekday(day)))
    }

    /// The instant a local day's work ends (`day_ends` on that day).
    pub fn end_of_day(&self, day: i64) -> i64 {
        start_of_day(day).saturating_add(self.day_ends_ms)
    }

    /// The number of working days from `first` to `last`, both included (0
    /// when `last < first`); in constant time plus the configured dates in
    /// the range.
    pub fn count_working_days(&self, first: i64, last: i64) -> i64 {
        if last < first {
            return 0;
        }
        let len = last.saturating_sub(first).saturating_add(1);
        let (weeks, rem) = (len / 7, len % 7);
        let per_week = (1_i64..=7).filter(|&w| !self.is_weekend(w)).count() as i64;
        let mut n = weeks.saturating_mul(per_week);
        let tail = first.saturating_add(weeks.saturating_mul(7));
        n += (0..rem)
            .filter(|&i| !self.is_weekend(i64::from(iso_weekday(tail + i))))
            .count() as i64;
        // Holidays on weekend days and make-up days on weekdays change
        // nothing (the latter cannot be configured).
        n -= self
            .holidays
            .range(first..=last)
            .filter(|&&d| !self.is_weekend(i64::from(iso_weekday(d))))
            .count() as i64;
        n += self
            .workdays
            .range(first..=last)
            .filter(|&&d| self.is_weekend(i64::from(iso_weekday(d))))
            .count() as i64;
        n
    }

    /// An upper bound on the days to walk to find `n` working days: every
    /// week has a working weekday unless a holiday takes it.
    fn walk_bound(&self, n: i64) -> i64 {
        let holidays = i64::try_from(self.holidays.len()).unwrap_or(i64::MAX);
        n.saturating_add(holidays)
            .saturating_add(1)
            .saturating_mul(7)
    }

    /// The `n`-th working day after `day` (`n ≥ 1`).
    fn nth_working_after(&self, day: i64, n: i64) -> i64 {
        let mut d = day;
        let mut left = n.max(1);
        for _ in 0..self.walk_bound(n) {
            d = d.saturating_add(1);
            if self.is_working_day(d) {
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        d
    }

    /// The `n`-th working day before `day` (`n ≥ 1`).
    fn nth_working_before(&self, day: i64, n: i64) -> i64 {
        let mut d = day;
        let mut left = n.max(1);
        for _ in 0..self.walk_bound(n) {
            d = d.saturating_sub(1);
            if self.is_working_day(d) {
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        d
    }

    /// The deadline of a time limit of `working_days` for something received
    /// at `received_ms`: `day_ends` local time on the `working_days`-th
    /// working day **after** the day of receipt (the day of receipt is never
    /// counted, see the [module documentation](self)).
    ///
    /// - `working_days == 0` means "the same working day": `day_ends` on the
    ///   day of receipt when that is a working day and `day_ends` has not
    ///   passed, otherwise `day_ends` on the next working day;
    /// - negative limits count as 0, limits above [`MAX_WORKING_DAYS`] as
    ///   that many (clamped rather than refused: a deadline always exists;
    ///   the work-order catalogue refuses such limits when it is loaded).
    ///
    /// 2025-09-29 (Monday) 10:00 with 3 working days: 09-30, then 10-09 and
    /// 10-10 (10-01 … 10-08 are the National Day holiday), so 2025-10-10
    /// 17:30 local.
    pub fn deadline(&self, received_ms: i64, working_days: i64) -> i64 {
        let n = working_days.clamp(0, MAX_WORKING_DAYS);
        let day = local_day(received_ms);
        if n == 0 {
            if self.is_working_day(day) && self.end_of_day(day) >= received_ms {
                return self.end_of_day(day);
            }
            return self.end_of_day(self.nth_working_after(day, 1));
        }
        self.end_of_day(self.nth_working_after(day, n))
    }

    /// Whole working days elapsed from `from_ms` to `to_ms`: the working days
    /// after the local day of `from_ms` whose `day_ends` is at or before
    /// `to_ms` (0 when `to_ms <= from_ms`). With `from_ms` a deadline this is
    /// "overdue by so many working days"; it counts like
    /// [`Calendar::deadline`], so `working_days_between(t, deadline(t, n))`
    /// is `n` for `n ≥ 1`.
    pub fn working_days_between(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        let first = local_day(from_ms).saturating_add(1);
        let to_day = local_day(to_ms);
        let last = if to_ms >= self.end_of_day(to_day) {
            to_day
        } else {
            to_day.saturating_sub(1)
        };
        self.count_working_days(first, last)
    }

    /// When to warn about a deadline: `day_ends` on the
    /// `before_working_days`-th working day before the deadline's local
    /// day, i.e. the moment only that many working days are left. 0 (and
    /// negative values) give the deadline itself; values above
    /// [`MAX_WORKING_DAYS`] are clamped. The result may lie before the
    /// order was received; callers clamp it.
    pub fn warning_at(&self, deadline_ms: i64, before_working_days: i64) -> i64 {
        let k = before_working_days.clamp(0, MAX_WORKING_DAYS);
        if k == 0 {
            return deadline_ms;
        }
        let day = self.nth_working_before(local_day(deadline_ms), k);
        self.end_of_day(day).min(deadline_ms)
    }
}

#[cfg(test)]
mod tests;
