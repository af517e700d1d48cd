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
//! The State Council publishes each year's arrangement in a notice around
//! November of the year before (e.g. 国办发明电〔2024〕12号 for 2025).
//! **Operators load every year's notice into the configuration**; only 2025
//! is built in ([`Calendar::china_2025`]), and a year that is not configured
//! has weekends only, no holidays. [`Calendar::covers_year`] tells whether a
//! year has been loaded, so that a screen can warn before it matters.
//!
//! # Counting convention
//!
//! Days are numbered as days since 1970-01-01 in hall time (see
//! [`bantong_hall_kit::time::local_day`]). A time limit of *n* working days
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

use bantong_hall_kit::time::{OFFSET_MS, civil, date_of_day, local_day};
use serde::{Deserialize, Serialize};

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
/// [`bantong_hall_kit::time::civil`], which checks the result.
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

/// A validated working-day calendar. Build it with [`Calendar::new`],
/// [`Calendar::from_json`] or [`Calendar::china_2025`]; it serializes back
/// to its [`CalendarConfig`] (dates sorted).
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

    /// The State Council's 2025 arrangement (国办发明电〔2024〕12号, 国务院办公厅
    /// 关于2025年部分节假日安排的通知), Saturday and Sunday off, days ending at
    /// 17:30:
    ///
    /// | 节日 | days off | make-up working days |
    /// |---|---|---|
    /// | 元旦 | 01-01 | — |
    /// | 春节 | 01-28 … 02-04 | 01-26 (Sun), 02-08 (Sat) |
    /// | 清明节 | 04-04 … 04-06 | — |
    /// | 劳动节 | 05-01 … 05-05 | 04-27 (Sun) |
    /// | 端午节 | 05-31 … 06-02 | — |
    /// | 国庆节、中秋节 | 10-01 … 10-08 | 09-28 (Sun), 10-11 (Sat) |
    ///
    /// Only 2025 is built in; load other years from their notices.
    pub fn china_2025() -> Calendar {
        const HOLIDAYS: [(u8, u8, u8); 6] = [
            // (month, first day, days)
            (1, 1, 1),
            (1, 28, 8),
            (4, 4, 3),
            (5, 1, 5),
            (5, 31, 3),
            (10, 1, 8),
        ];
        const WORKDAYS: [(u8, u8); 5] = [(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)];
        let mut calendar = Calendar::default();
        for (month, first, days) in HOLIDAYS {
            if let Some(start) = day_of(2025, month, first) {
                calendar
                    .holidays
                    .extend((0..i64::from(days)).map(|i| start + i));
            }
        }
        calendar.workdays.extend(
            WORKDAYS
                .iter()
                .filter_map(|&(month, day)| day_of(2025, month, day)),
        );
        calendar
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
mod tests {
    use super::*;
    use bantong_hall_kit::time::local_time;

    /// Milliseconds of a local (UTC+8) civil time.
    fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
        let day = day_of(y, mo, d).unwrap();
        start_of_day(day) + (h * 60 + mi) * 60_000
    }

    fn day(text: &str) -> i64 {
        parse_date(text).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::china_2025()
    }

    #[test]
    fn dates_parse_and_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2025-10-01"), Some(20_362));
        assert_eq!(date_of_day(20_362), "2025-10-01");
        assert_eq!(parse_date("2024-02-29"), day_of(2024, 2, 29));
        assert!(parse_date("2024-02-29").is_some());
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-00-10",
            "2025-04-31",
            "2025-4-01",
            "2025/04/01",
            "25-04-01",
            "2025-04-01 ",
            "+025-04-01",
            "2025-0a-01",
            "",
            "0000-01-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        for d in -1_000..30_000 {
            assert_eq!(parse_date(&date_of_day(d)), Some(d));
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(iso_weekday(0), 4); // 1970-01-01 Thursday
        assert_eq!(iso_weekday(day("2025-10-11")), 6);
        assert_eq!(iso_weekday(day("2025-09-28")), 7);
        assert_eq!(iso_weekday(day("2025-09-29")), 1);
        assert_eq!(iso_weekday(-1), 3);
        assert_eq!(iso_weekday(i64::MIN), iso_weekday(i64::MIN + 7));
    }

    #[test]
    fn china_2025_days() {
        let c = cal();
        let config = c.config();
        assert_eq!(config.holidays.len(), 1 + 8 + 3 + 5 + 3 + 8);
        assert_eq!(
            config.workdays,
            [
                "2025-01-26",
                "2025-02-08",
                "2025-04-27",
                "2025-09-28",
                "2025-10-11"
            ]
        );
        // The built-in data passes the same validation as operator config.
        assert_eq!(Calendar::new(&config).unwrap(), c);
        for off in [
            "2025-01-01",
            "2025-01-28",
            "2025-02-03",
            "2025-02-04",
            "2025-04-04",
            "2025-05-05",
            "2025-06-02",
            "2025-10-01",
            "2025-10-08",
            "2025-10-12",
        ] {
            assert!(!c.is_working_day(day(off)), "{off}");
        }
        for on in [
            "2025-01-02",
            "2025-01-26",
            "2025-02-05",
            "2025-02-08",
            "2025-04-07",
            "2025-04-27",
            "2025-05-06",
            "2025-06-03",
            "2025-09-28",
            "2025-09-30",
            "2025-10-09",
            "2025-10-11",
        ] {
            assert!(c.is_working_day(day(on)), "{on}");
        }
        // Working days in 2025 under this arrangement: 261 weekdays, 18 of
        // them off, 5 make-up days.
        assert_eq!(
            c.count_working_days(day("2025-01-01"), day("2025-12-31")),
            248
        );
        assert!(c.covers_year(2025));
        assert!(!c.covers_year(2026));
        assert!(!c.covers_year(2024));
        // Another year has weekends only.
        assert!(c.is_working_day(day("2026-10-01")));
    }

    #[test]
    fn deadline_across_national_day() {
        let c = cal();
        // Received Monday 2025-09-29 10:00, 3 working days: 09-30, 10-09, 10-10.
        let due = c.deadline(local(2025, 9, 29, 10, 0), 3);
        assert_eq!(local_time(due), "2025-10-10 17:30");
        assert_eq!(due, local(2025, 10, 10, 17, 30));
        // 17:30 in Beijing is 09:30 UTC.
        assert_eq!(due.rem_euclid(DAY_MS), (9 * 60 + 30) * 60_000);
        assert_eq!(
            c.deadline(local(2025, 9, 29, 10, 0), 1),
            local(2025, 9, 30, 17, 30)
        );
        assert_eq!(
            c.deadline(local(2025, 9, 29, 10, 0), 2),
            local(2025, 10, 9, 17, 30)
        );
    }

    #[test]
    fn make_up_saturday_counts() {
        let c = cal();
        // Received Tuesday 2025-09-30: 10-09, 10-10 and Saturday 10-11 (调休上班).
        assert_eq!(
            local_time(c.deadline(local(2025, 9, 30, 9, 0), 3)),
            "2025-10-11 17:30"
        );
        // Without the make-up day it would be Monday 10-13.
        let plain = Calendar::from_json(
            r#"{"holidays": ["2025-10-01","2025-10-02","2025-10-03","2025-10-06","2025-10-07","2025-10-08"]}"#,
        )
        .unwrap();
        assert_eq!(
            local_time(plain.deadline(local(2025, 9, 30, 9, 0), 3)),
            "2025-10-13 17:30"
        );
        // Sunday 2025-09-28 is a make-up working day too: received Friday
        // 09-26, one working day is Sunday.
        assert_eq!(
            local_time(c.deadline(local(2025, 9, 26, 16, 0), 1)),
            "2025-09-28 17:30"
        );
    }

    #[test]
    fn deadline_across_spring_festival() {
        let c = cal();
        // Received Friday 2025-01-24: Sunday 01-26 is a working day, 01-27,
        // then the holiday 01-28 … 02-04, then 02-05 …
        let t = local(2025, 1, 24, 11, 0);
        let due = |n| local_time(c.deadline(t, n));
        assert_eq!(due(1), "2025-01-26 17:30");
        assert_eq!(due(2), "2025-01-27 17:30");
        assert_eq!(due(3), "2025-02-05 17:30");
        assert_eq!(due(5), "2025-02-07 17:30");
        // … and Saturday 02-08 is the make-up working day.
        assert_eq!(due(6), "2025-02-08 17:30");
        assert_eq!(due(7), "2025-02-10 17:30");
        // Received on New Year's Eve of the lunar year (a holiday): 02-05,
        // 02-06, 02-07, Saturday 02-08, Monday 02-10.
        let eve = local(2025, 1, 28, 20, 0);
        assert_eq!(local_time(c.deadline(eve, 4)), "2025-02-08 17:30");
        assert_eq!(local_time(c.deadline(eve, 5)), "2025-02-10 17:30");
    }

    #[test]
    fn receipt_on_a_holiday_or_weekend() {
        let c = cal();
        // National Day itself: counting starts on 10-09.
        assert_eq!(
            local_time(c.deadline(local(2025, 10, 3, 15, 0), 1)),
            "2025-10-09 17:30"
        );
        // Received on the make-up Saturday 10-11: the next working day is Monday.
        assert_eq!(
            local_time(c.deadline(local(2025, 10, 11, 15, 0), 1)),
            "2025-10-13 17:30"
        );
        // An ordinary Sunday.
        assert_eq!(
            local_time(c.deadline(local(2025, 11, 16, 8, 0), 2)),
            "2025-11-18 17:30"
        );
    }

    #[test]
    fn zero_negative_and_huge_limits() {
        let c = cal();
        // 0: the same working day, if day_ends has not passed.
        assert_eq!(
            local_time(c.deadline(local(2025, 9, 29, 10, 0), 0)),
            "2025-09-29 17:30"
        );
        assert_eq!(
            local_time(c.deadline(local(2025, 9, 29, 17, 30), 0)),
            "2025-09-29 17:30"
        );
        assert_eq!(
            local_time(c.deadline(local(2025, 9, 29, 17, 31), 0)),
            "2025-09-30 17:30"
        );
        assert_eq!(
            local_time(c.deadline(local(2025, 10, 1, 10, 0), 0)),
            "2025-10-09 17:30"
        );
        // Negative: clamped to 0.
        let t = local(2025, 9, 29, 10, 0);
        assert_eq!(c.deadline(t, -5), c.deadline(t, 0));
        assert_eq!(c.deadline(t, i64::MIN), c.deadline(t, 0));
        // Huge: clamped to MAX_WORKING_DAYS.
        assert_eq!(c.deadline(t, i64::MAX), c.deadline(t, MAX_WORKING_DAYS));
        assert_eq!(
            c.working_days_between(t, c.deadline(t, i64::MAX)),
            MAX_WORKING_DAYS
        );
        // Far-off clocks neither overflow nor hang.
        let _ = c.deadline(i64::MAX, 10);
        let _ = c.deadline(i64::MIN, 10);
        let _ = c.warning_at(i64::MIN, 10);
        assert!(c.working_days_between(i64::MIN, i64::MAX) > 0);
    }

    #[test]
    fn utc8_day_boundaries() {
        let c = cal();
        // 2025-09-29 23:59:59 in Beijing is 15:59:59Z: still the 29th.
        let late = local(2025, 9, 29, 23, 59) + 59_000;
        assert_eq!(late, 1_759_161_599_000);
        assert_eq!(local_time(c.deadline(late, 3)), "2025-10-10 17:30");
        // One second later it is the 30th: the window moves one working day
        // and picks up the make-up Saturday.
        assert_eq!(local_time(c.deadline(late + 1_000, 3)), "2025-10-11 17:30");
        // 2025-09-30 07:00 Beijing is 2025-09-29 23:00 UTC: the local day counts.
        let early = local(2025, 9, 30, 7, 0);
        assert_eq!(local_time(c.deadline(early, 1)), "2025-10-09 17:30");
    }

    #[test]
    fn working_days_between_counts_whole_days() {
        let c = cal();
        let due = local(2025, 10, 10, 17, 30);
        assert_eq!(c.working_days_between(due, due), 0);
        assert_eq!(c.working_days_between(due, due - 1), 0);
        // Saturday 10-11 is a working day: one whole day at its 17:30.
        assert_eq!(c.working_days_between(due, local(2025, 10, 11, 17, 29)), 0);
        assert_eq!(c.working_days_between(due, local(2025, 10, 11, 17, 30)), 1);
        // Sunday adds nothing.
        assert_eq!(c.working_days_between(due, local(2025, 10, 12, 23, 0)), 1);
        assert_eq!(c.working_days_between(due, local(2025, 10, 15, 17, 30)), 4);
        // Across the holiday: due 09-30, nothing until 10-09 17:30.
        let due = local(2025, 9, 30, 17, 30);
        assert_eq!(c.working_days_between(due, local(2025, 10, 8, 23, 59)), 0);
        assert_eq!(c.working_days_between(due, local(2025, 10, 9, 17, 30)), 1);
    }

    #[test]
    fn deadline_and_between_agree() {
        // A deterministic sweep: working_days_between(t, deadline(t, n)) == n,
        // and one millisecond earlier it is n - 1.
        let c = cal();
        let mut seed: u64 = 0x2025_1001;
        for _ in 0..2_000 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let t = local(2024, 12, 1, 0, 0) + ((seed >> 20) % (420 * DAY_MS as u64)) as i64;
            let n = ((seed >> 8) % 40) as i64 + 1;
            let due = c.deadline(t, n);
            assert!(due > t);
            assert!(c.is_working_day(local_day(due)));
            assert_eq!(c.working_days_between(t, due), n, "{} +{n}", local_time(t));
            assert_eq!(c.working_days_between(t, due - 1), n - 1);
            // The fast count equals a walk.
            let (a, b) = (local_day(t), local_day(due));
            let walked = (a..=b).filter(|&d| c.is_working_day(d)).count() as i64;
            assert_eq!(c.count_working_days(a, b), walked);
        }
    }

    #[test]
    fn warnings() {
        let c = cal();
        let due = local(2025, 10, 10, 17, 30);
        assert_eq!(c.warning_at(due, 0), due);
        assert_eq!(c.warning_at(due, -3), due);
        assert_eq!(local_time(c.warning_at(due, 1)), "2025-10-09 17:30");
        // Two working days before 10-10 skips the holiday back to 09-30.
        assert_eq!(local_time(c.warning_at(due, 2)), "2025-09-30 17:30");
        assert_eq!(local_time(c.warning_at(due, 3)), "2025-09-29 17:30");
        assert_eq!(local_time(c.warning_at(due, 4)), "2025-09-28 17:30");
        // A deadline in the morning: the previous working day's end.
        assert_eq!(
            local_time(c.warning_at(local(2025, 10, 13, 9, 0), 1)),
            "2025-10-11 17:30"
        );
        let _ = c.warning_at(due, i64::MAX);
    }

    #[test]
    fn config_validation() {
        let err = |json: &str| Calendar::from_json(json).unwrap_err();
        assert_eq!(
            err(r#"{"holidays": ["2025-10-01", "2025-02-30"]}"#),
            CalendarError::InvalidDate {
                field: "holidays".into(),
                index: 1,
                value: "2025-02-30".into()
            }
        );
        assert_eq!(
            err(r#"{"holidays": ["2025-10-01", "2025-02-30"]}"#).to_string(),
            r#"holidays[1]: "2025-02-30" is not a valid date YYYY-MM-DD"#
        );
        assert_eq!(
            err(r#"{"workdays": ["2025-9-28"]}"#).to_string(),
            r#"workdays[0]: "2025-9-28" is not a valid date YYYY-MM-DD"#
        );
        assert_eq!(
            err(r#"{"holidays": ["2025-10-01", "2025-10-02", "2025-10-01"]}"#).to_string(),
            "holidays[2]: duplicate date 2025-10-01 (already holidays[0])"
        );
        assert_eq!(
            err(r#"{"workdays": ["2025-10-11", "2025-10-11"]}"#).to_string(),
            "workdays[1]: duplicate date 2025-10-11 (already workdays[0])"
        );
        assert_eq!(
            err(r#"{"holidays": ["2025-10-01", "2025-10-11"], "workdays": ["2025-09-28", "2025-10-11"]}"#)
                .to_string(),
            "workdays[1]: 2025-10-11 is also holidays[1]; a day is either a holiday or a working day"
        );
        assert_eq!(
            err(r#"{"workdays": ["2025-09-29"]}"#).to_string(),
            "workdays[0]: 2025-09-29 is a Monday, a working day anyway; make-up working days fall on weekend days (typo?)"
        );
        assert_eq!(
            err(r#"{"weekend": [6, 8]}"#).to_string(),
            "weekend[1]: 8 is not an ISO weekday 1 (Monday) to 7 (Sunday)"
        );
        assert_eq!(
            err(r#"{"weekend": [0]}"#),
            CalendarError::InvalidWeekday { index: 0, value: 0 }
        );
        assert_eq!(
            err(r#"{"weekend": [7, 7]}"#).to_string(),
            "weekend[1]: duplicate weekday 7"
        );
        assert_eq!(
            err(r#"{"weekend": [1, 2, 3, 4, 5, 6, 7]}"#),
            CalendarError::NoWorkingWeekday
        );
        for bad in ["24:00", "17:60", "00:00", "5:30", "17.30", "", "17:30:00"] {
            assert_eq!(
                err(&format!(r#"{{"day_ends": "{bad}"}}"#)),
                CalendarError::InvalidDayEnds { value: bad.into() },
                "{bad}"
            );
        }
        assert!(matches!(
            err(r#"{"holiday": []}"#),
            CalendarError::Json { .. }
        ));
        assert!(
            err(r#"{"holiday": []}"#)
                .to_string()
                .contains("unknown field `holiday`")
        );
        assert!(matches!(
            err(r#"{"weekend": "6,7"}"#),
            CalendarError::Json { .. }
        ));
    }

    #[test]
    fn config_defaults_and_round_trip() {
        let c = Calendar::from_json("{}").unwrap();
        assert_eq!(c, Calendar::default());
        assert_eq!(c.config(), CalendarConfig::default());
        // A six-day week ending at 18:00.
        let c = Calendar::from_json(
            r#"{"weekend": [7], "day_ends": "18:00", "holidays": ["2026-01-01"]}"#,
        )
        .unwrap();
        assert!(c.is_working_day(day("2026-01-03"))); // a Saturday
        assert!(!c.is_working_day(day("2026-01-04")));
        assert!(!c.is_working_day(day("2026-01-01")));
        assert_eq!(
            local_time(c.deadline(local(2025, 12, 31, 9, 0), 2)),
            "2026-01-03 18:00"
        );
        assert!(c.covers_year(2026));
        // Serde goes through the validated config.
        let json = serde_json::to_string(&Calendar::china_2025()).unwrap();
        let back: Calendar = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Calendar::china_2025());
        assert!(serde_json::from_str::<Calendar>(r#"{"weekend":[9]}"#).is_err());
        // An empty weekend: every day not a holiday works.
        let c = Calendar::from_json(r#"{"weekend": []}"#).unwrap();
        assert!(c.is_working_day(day("2025-10-12")));
    }
}
