//! The monthly cycle of reports: `2026-11`, its first and last instants in
//! the district's time (UTC+8), and the day its report is due (the 10th of
//! the next month, a calendar date).

use std::fmt;
use std::str::FromStr;

use bantong_hall_kit::time::OFFSET_MS;

const DAY_MS: i64 = 86_400_000;

/// The day a monthly report is due, in the next month.
pub const DUE_DAY: u8 = 10;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u8,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Month {
    /// A month, if `month` is 1-12 and the year 2000-2100.
    pub fn new(year: i32, month: u8) -> Option<Month> {
        ((2000..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// The month holding the instant `ms` in the district's time.
    pub fn of_ms(ms: i64) -> Month {
        let (y, m, _) = bantong_hall_kit::time::local_date(ms);
        Month {
            year: i32::try_from(y).unwrap_or(2000),
            month: m,
        }
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// 00:00 on the 1st, district time, as ms since the epoch.
    pub fn start_ms(self) -> i64 {
        days_from_civil(self.year, self.month, 1) * DAY_MS - OFFSET_MS
    }

    /// The end of the day the month's report is due (00:00 on the 11th of
    /// the next month, district time): issued before it is on time.
    pub fn due_ms(self) -> i64 {
        let next = self.next();
        days_from_civil(next.year, next.month, DUE_DAY + 1) * DAY_MS - OFFSET_MS
    }

    /// `2026年11月`.
    pub fn zh(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(s: &str) -> Result<Month, String> {
        let bad = || format!("月份应为 YYYY-MM / a month is written YYYY-MM, not {s:?}");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

/// `2026年12月7日` for the instant `ms`, district time.
pub fn date_zh(ms: i64) -> String {
    let (y, m, d) = bantong_hall_kit::time::local_date(ms);
    format!("{y}年{m}月{d}日")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_step() {
        let m: Month = "2026-01".parse().unwrap();
        assert_eq!(m.previous().to_string(), "2025-12");
        assert_eq!(m.next().to_string(), "2026-02");
        assert_eq!(
            "2026-12".parse::<Month>().unwrap().next().to_string(),
            "2027-01"
        );
        for bad in [
            "2026-13", "2026-1", "26-01", "2026/01", "", "1999-12", "2026-00",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
        assert_eq!(m.zh(), "2026年1月");
    }

    #[test]
    fn instants_are_in_district_time() {
        // 2026-11-01 00:00 +08:00 = 2026-10-31 16:00 UTC.
        let nov: Month = "2026-11".parse().unwrap();
        assert_eq!(nov.start_ms(), 1_793_462_400_000);
        assert_eq!(Month::of_ms(nov.start_ms()), nov);
        assert_eq!(Month::of_ms(nov.start_ms() - 1), nov.previous());
        // Due by the end of 10 December.
        assert_eq!(date_zh(nov.due_ms() - 1), "2026年12月10日");
        assert_eq!(date_zh(nov.due_ms()), "2026年12月11日");
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }
}
