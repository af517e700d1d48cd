//! The supervision cycle: a calendar month in hall time (UTC+8). Visits are
//! planned per month (月覆盖), problems are listed per month (问题清单) and
//! the monthly report covers one. As text and JSON a month is `2026-12`.

use std::fmt;

use bantong_hall_kit::calendar::{day_of, start_of_day};
use bantong_hall_kit::time::{civil, local_day};
use serde::{Deserialize, Serialize};

/// A month: year (1-9999) and month (1-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Month {
    year: i64,
    month: u8,
}

/// A month that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthError(pub String);

impl fmt::Display for MonthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "month {:?} is not YYYY-MM (0001-01 … 9999-12)", self.0)
    }
}

impl std::error::Error for MonthError {}

impl Month {
    /// The month of `year` and `month`, `None` outside 0001-01 … 9999-12.
    pub fn new(year: i64, month: u8) -> Option<Month> {
        ((1..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    /// Parses exactly `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Month, MonthError> {
        let err = || MonthError(text.to_owned());
        let b = text.as_bytes();
        if b.len() != 7 || b.get(4) != Some(&b'-') {
            return Err(err());
        }
        let digits = |r: std::ops::Range<usize>| {
            text.get(r)
                .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|s| s.parse::<i64>().ok())
        };
        let (Some(year), Some(month)) = (digits(0..4), digits(5..7)) else {
            return Err(err());
        };
        u8::try_from(month)
            .ok()
            .and_then(|m| Month::new(year, m))
            .ok_or_else(err)
    }

    /// The month (in hall time) of an instant.
    pub fn of_ms(ms: i64) -> Month {
        let (year, month, _) = civil(local_day(ms));
        Month {
            year: year.clamp(1, 9999),
            month,
        }
    }

    /// The year.
    pub fn year(self) -> i64 {
        self.year
    }

    /// The month of the year, 1-12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// A running number, one per month (consecutive months differ by 1), for
    /// "within the last N cycles".
    pub fn index(self) -> i64 {
        self.year * 12 + i64::from(self.month) - 1
    }

    /// The month with this running number, `None` outside the years 1-9999.
    pub fn from_index(index: i64) -> Option<Month> {
        let month = u8::try_from(index.rem_euclid(12) + 1).ok()?;
        Month::new(index.div_euclid(12), month)
    }

    /// The month before (saturating at 0001-01).
    pub fn previous(self) -> Month {
        Month::from_index(self.index() - 1).unwrap_or(self)
    }

    /// The month after (saturating at 9999-12).
    pub fn next(self) -> Month {
        Month::from_index(self.index() + 1).unwrap_or(self)
    }

    /// The first day (days since 1970-01-01).
    pub fn first_day(self) -> i64 {
        day_of(self.year, self.month, 1).unwrap_or_default()
    }

    /// The last day (days since 1970-01-01).
    pub fn last_day(self) -> i64 {
        (28..=31)
            .rev()
            .find_map(|d| day_of(self.year, self.month, d))
            .unwrap_or_default()
    }

    /// Every day of the month.
    pub fn days(self) -> std::ops::RangeInclusive<i64> {
        self.first_day()..=self.last_day()
    }

    /// The half-open range `[start, end)` of instants (ms): 00:00 hall time
    /// on the first day to 00:00 after the last.
    pub fn range_ms(self) -> (i64, i64) {
        (
            start_of_day(self.first_day()),
            start_of_day(self.last_day() + 1),
        )
    }

    /// Whether an instant falls in the month (hall time).
    pub fn contains(self, ms: i64) -> bool {
        let (start, end) = self.range_ms();
        (start..end).contains(&ms)
    }

    /// `2026年12月`.
    pub fn zh(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

impl TryFrom<String> for Month {
    type Error = MonthError;
    fn try_from(s: String) -> Result<Month, MonthError> {
        Month::parse(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_year_and_month() {
        assert_eq!(
            Month::parse("2026-12"),
            Ok(Month {
                year: 2026,
                month: 12
            })
        );
        for bad in [
            "2026-13",
            "2026-00",
            "0000-01",
            "2026-1",
            "2026/12",
            "2026-12-01",
            "",
            "+026-12",
            "2026-1a",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn walks_across_years() {
        let dec = Month::parse("2025-12").unwrap();
        assert_eq!(dec.next().to_string(), "2026-01");
        assert_eq!(dec.next().previous(), dec);
        assert_eq!(dec.next().index() - dec.index(), 1);
        assert_eq!(Month::from_index(dec.index()), Some(dec));
    }

    #[test]
    fn knows_its_days_and_instants() {
        let feb = Month::parse("2028-02").unwrap();
        assert_eq!(feb.last_day() - feb.first_day(), 28, "2028 is a leap year");
        let (start, end) = feb.range_ms();
        assert!(feb.contains(start) && !feb.contains(end) && feb.contains(end - 1));
        assert_eq!(Month::of_ms(start), feb);
        assert_eq!(Month::of_ms(start - 1), feb.previous());
        assert_eq!(feb.zh(), "2028年2月");
    }
}
