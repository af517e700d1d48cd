//! A year's holiday arrangement (节假日安排) as the district keeps it: the
//! days off and the make-up working days (调休上班) of one State Council
//! notice, one entry per line.
//!
//! ```json
//! { "year": 2026,
//!   "notice": "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
//!   "holidays": ["2026-01-01..2026-01-03 元旦", "2026-04-04..2026-04-06 清明节"],
//!   "workdays": ["2026-01-04 元旦调休"] }
//! ```
//!
//! An entry is a date `YYYY-MM-DD` or an inclusive range
//! `YYYY-MM-DD..YYYY-MM-DD` (at most 31 days), optionally followed by a
//! space and a name. Every date lies in the arrangement's year or within
//! 31 days of it (a notice may give New Year days of the year before, as
//! the 2024 notice did with 2023-12-30). A date is never both a day off
//! and a working day, and never listed twice.
//!
//! The arrangements of 2025 and 2026 are built in ([`Arrangement::builtin`]);
//! the host seeds them into the district's calendar, where an administrator
//! adds each new year when its notice is published (usually in November).

use serde::{Deserialize, Serialize};

use super::{CalendarError, DAY_MS, day_of, parse_date};
use crate::time::date_of_day;

/// The longest range one entry may give.
pub const MAX_RANGE_DAYS: i64 = 31;
/// How far outside its year an arrangement's dates may lie.
pub const MARGIN_DAYS: i64 = 31;
/// The most entries in one list (a year has seven festivals).
pub const MAX_ENTRIES: usize = 64;
/// The longest notice title or entry name, in characters.
pub const MAX_TEXT_CHARS: usize = 200;
/// The years an arrangement may be for.
pub const YEARS: std::ops::RangeInclusive<i64> = 2000..=2100;

/// One year's arrangement, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrangement {
    /// The year the notice is for.
    pub year: i64,
    /// The notice it comes from (title, number or date), shown with it.
    #[serde(default)]
    pub notice: String,
    /// Days off: dates or ranges, each optionally named.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Make-up working days on weekend days, each optionally named.
    #[serde(default)]
    pub workdays: Vec<String>,
}

/// An arrangement's days, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArrangementDays {
    /// Days off, as days since 1970-01-01, sorted.
    pub holidays: Vec<i64>,
    /// Make-up working days, sorted.
    pub workdays: Vec<i64>,
}

/// One parsed entry: its days and its name.
fn entry(field: &str, index: usize, text: &str) -> Result<(i64, i64), CalendarError> {
    let bad = |why: &str| CalendarError::InvalidEntry {
        field: field.to_owned(),
        index,
        value: text.to_owned(),
        why: why.to_owned(),
    };
    let (dates, name) = match text.split_once(' ') {
        Some((dates, name)) => (dates, name.trim()),
        None => (text, ""),
    };
    if name.chars().count() > MAX_TEXT_CHARS || name.chars().any(char::is_control) {
        return Err(bad("the name is too long or holds control characters"));
    }
    let (first, last) = match dates.split_once("..") {
        Some((a, b)) => (parse_date(a), parse_date(b)),
        None => (parse_date(dates), parse_date(dates)),
    };
    let (Some(first), Some(last)) = (first, last) else {
        return Err(bad(
            "not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
        ));
    };
    if last < first {
        return Err(bad("the range ends before it starts"));
    }
    if last - first >= MAX_RANGE_DAYS {
        return Err(bad("a range may span at most 31 days"));
    }
    Ok((first, last))
}

impl Arrangement {
    /// Validates the arrangement into its days; the first problem found is
    /// returned, naming the list and the entry (`holidays[2]: …`).
    pub fn days(&self) -> Result<ArrangementDays, CalendarError> {
        if !YEARS.contains(&self.year) {
            return Err(CalendarError::InvalidYear { year: self.year });
        }
        if self.notice.chars().count() > MAX_TEXT_CHARS || self.notice.chars().any(char::is_control)
        {
            return Err(CalendarError::InvalidEntry {
                field: "notice".into(),
                index: 0,
                value: self.notice.clone(),
                why: "at most 200 characters, no control characters".into(),
            });
        }
        let (Some(jan1), Some(dec31)) = (day_of(self.year, 1, 1), day_of(self.year, 12, 31)) else {
            return Err(CalendarError::InvalidYear { year: self.year });
        };
        let window = (jan1 - MARGIN_DAYS)..=(dec31 + MARGIN_DAYS);
        let mut lists: [Vec<(i64, usize)>; 2] = [Vec::new(), Vec::new()];
        for (slot, (field, list)) in lists
            .iter_mut()
            .zip([("holidays", &self.holidays), ("workdays", &self.workdays)])
        {
            if list.len() > MAX_ENTRIES {
                return Err(CalendarError::InvalidEntry {
                    field: field.into(),
                    index: MAX_ENTRIES,
                    value: String::new(),
                    why: format!("at most {MAX_ENTRIES} entries"),
                });
            }
            for (index, text) in list.iter().enumerate() {
                let (first, last) = entry(field, index, text)?;
                for day in first..=last {
                    if !window.contains(&day) {
                        return Err(CalendarError::InvalidEntry {
                            field: field.into(),
                            index,
                            value: text.clone(),
                            why: format!(
                                "{} is not in {} (or within {MARGIN_DAYS} days of it)",
                                date_of_day(day),
                                self.year
                            ),
                        });
                    }
                    if let Some(&(_, first_index)) = slot.iter().find(|(d, _)| *d == day) {
                        return Err(CalendarError::DuplicateDate {
                            field: field.into(),
                            index,
                            first: first_index,
                            date: date_of_day(day),
                        });
                    }
                    slot.push((day, index));
                }
            }
        }
        let [holidays, workdays] = lists;
        for &(day, workday_index) in &workdays {
            if let Some(&(_, holiday_index)) = holidays.iter().find(|(d, _)| *d == day) {
                return Err(CalendarError::HolidayAndWorkday {
                    date: date_of_day(day),
                    holiday_index,
                    workday_index,
                });
            }
            let weekday = super::iso_weekday(day);
            if weekday < 6 {
                return Err(CalendarError::WorkdayNotOnWeekend {
                    index: workday_index,
                    date: date_of_day(day),
                    weekday,
                });
            }
        }
        let mut days = ArrangementDays {
            holidays: holidays.into_iter().map(|(d, _)| d).collect(),
            workdays: workdays.into_iter().map(|(d, _)| d).collect(),
        };
        days.holidays.sort_unstable();
        days.workdays.sort_unstable();
        Ok(days)
    }

    /// Parses and validates an arrangement from JSON.
    pub fn from_json(json: &str) -> Result<Arrangement, CalendarError> {
        let arrangement: Arrangement =
            serde_json::from_str(json).map_err(|e| CalendarError::Json {
                message: e.to_string(),
            })?;
        arrangement.days()?;
        Ok(arrangement)
    }

    /// The arrangements built in: 2025 and 2026, as published.
    pub fn builtin() -> Vec<Arrangement> {
        vec![Self::china_2025(), Self::china_2026()]
    }

    /// The built-in arrangement of `year`, if there is one.
    pub fn builtin_year(year: i64) -> Option<Arrangement> {
        Self::builtin().into_iter().find(|a| a.year == year)
    }

    /// 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号).
    pub fn china_2025() -> Arrangement {
        Arrangement {
            year: 2025,
            notice: "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）".into(),
            holidays: lines(&[
                "2025-01-01 元旦",
                "2025-01-28..2025-02-04 春节",
                "2025-04-04..2025-04-06 清明节",
                "2025-05-01..2025-05-05 劳动节",
                "2025-05-31..2025-06-02 端午节",
                "2025-10-01..2025-10-08 国庆节、中秋节",
            ]),
            workdays: lines(&[
                "2025-01-26 春节调休",
                "2025-02-08 春节调休",
                "2025-04-27 劳动节调休",
                "2025-09-28 国庆节调休",
                "2025-10-11 国庆节调休",
            ]),
        }
    }

    /// 国务院办公厅关于2026年部分节假日安排的通知 (published 2025-11-04).
    pub fn china_2026() -> Arrangement {
        Arrangement {
            year: 2026,
            notice: "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）".into(),
            holidays: lines(&[
                "2026-01-01..2026-01-03 元旦",
                "2026-02-15..2026-02-23 春节",
                "2026-04-04..2026-04-06 清明节",
                "2026-05-01..2026-05-05 劳动节",
                "2026-06-19..2026-06-21 端午节",
                "2026-09-25..2026-09-27 中秋节",
                "2026-10-01..2026-10-07 国庆节",
            ]),
            workdays: lines(&[
                "2026-01-04 元旦调休",
                "2026-02-14 春节调休",
                "2026-02-28 春节调休",
                "2026-05-09 劳动节调休",
                "2026-09-20 国庆节调休",
                "2026-10-10 国庆节调休",
            ]),
        }
    }
}

fn lines(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|s| (*s).to_owned()).collect()
}

/// The first instant of a year in hall time, and the first of the next.
pub fn year_span_ms(year: i64) -> Option<(i64, i64)> {
    let first = day_of(year, 1, 1)?;
    let next = day_of(year + 1, 1, 1)?;
    Some((
        super::start_of_day(first),
        next * DAY_MS - crate::time::OFFSET_MS,
    ))
}
