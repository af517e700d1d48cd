//! Scheduled jobs: cron expressions (5 or 6 fields) in a fixed UTC offset.
//!
//! Five fields are `minute hour day-of-month month day-of-week`; six fields
//! put `second` first. Day-of-month and day-of-week combine with OR, as in
//! classic cron. Times are evaluated in `timezone-offset-minutes` (default
//! 480, China Standard Time, which has no daylight saving).

use chrono::{DateTime, FixedOffset, TimeZone};
use croner::Cron;
use serde::{Deserialize, Serialize};

use crate::error::Problems;
use crate::names;

/// The default `timezone-offset-minutes`: UTC+8.
pub const DEFAULT_OFFSET_MINUTES: i32 = 480;

fn default_offset() -> i32 {
    DEFAULT_OFFSET_MINUTES
}

/// One `[[schedules]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Schedule {
    /// Unique name; passed to the plugin as `job.name`.
    pub name: String,
    /// The cron expression.
    pub cron: String,
    /// UTC offset the expression is evaluated in, -720..=840.
    #[serde(default = "default_offset")]
    pub timezone_offset_minutes: i32,
}

impl Schedule {
    /// The first firing strictly after `now_ms` (milliseconds since the Unix
    /// epoch), or `None` when the expression is invalid or never fires again.
    pub fn next_after(&self, now_ms: i64) -> Option<i64> {
        let cron = parse_cron(&self.cron).ok()?;
        let offset = FixedOffset::east_opt(self.timezone_offset_minutes.checked_mul(60)?)?;
        next_after(&cron, offset, now_ms)
    }
}

/// Parses a 5- or 6-field expression, rejecting `@nicknames`.
fn parse_cron(expression: &str) -> Result<Cron, String> {
    let fields = expression.split_whitespace().count();
    if !(5..=6).contains(&fields) {
        return Err(format!("must have 5 or 6 fields, found {fields}"));
    }
    if expression.contains('@') {
        return Err("must not use @nicknames".to_owned());
    }
    Cron::new(expression)
        .with_seconds_optional()
        .parse()
        .map_err(|e| e.to_string())
}

fn next_after(cron: &Cron, offset: FixedOffset, now_ms: i64) -> Option<i64> {
    // Whole seconds: a firing at second s is at or before now_ms when s <= floor(now).
    let seconds = now_ms.div_euclid(1000);
    let start: DateTime<FixedOffset> = offset.timestamp_opt(seconds, 0).single()?;
    let next = cron.find_next_occurrence(&start, false).ok()?;
    next.timestamp().checked_mul(1000)
}

/// Checks names, offsets and expressions, and that each expression fires at
/// least once after 2000-01-01.
pub(crate) fn validate(schedules: &[Schedule], problems: &mut Problems) {
    for (i, schedule) in schedules.iter().enumerate() {
        let at = format!("schedules[{i}]");
        if !names::is_kebab_name(&schedule.name) {
            problems.push(
                format!("{at}.name"),
                format!("must be {}", names::KEBAB_RULE),
            );
        } else if schedules[..i].iter().any(|s| s.name == schedule.name) {
            problems.push(
                format!("{at}.name"),
                format!("duplicate schedule name {:?}", schedule.name),
            );
        }
        let offset = if (-720..=840).contains(&schedule.timezone_offset_minutes) {
            FixedOffset::east_opt(schedule.timezone_offset_minutes * 60)
        } else {
            problems.push(
                format!("{at}.timezone-offset-minutes"),
                "must be between -720 and 840",
            );
            None
        };
        match parse_cron(&schedule.cron) {
            Err(message) => problems.push(format!("{at}.cron"), message),
            Ok(cron) => {
                const Y2000_MS: i64 = 946_684_800_000;
                if let Some(offset) = offset
                    && next_after(&cron, offset, Y2000_MS).is_none()
                {
                    problems.push(format!("{at}.cron"), "never fires");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(cron: &str) -> Schedule {
        Schedule {
            name: "monthly-report".into(),
            cron: cron.into(),
            timezone_offset_minutes: DEFAULT_OFFSET_MINUTES,
        }
    }

    fn problems_of(schedules: &[Schedule]) -> Vec<String> {
        let mut problems = Problems::default();
        validate(schedules, &mut problems);
        match problems.into_result() {
            Ok(()) => Vec::new(),
            Err(e) => e.field_errors().iter().map(ToString::to_string).collect(),
        }
    }

    // 2024-05-01T00:00:00Z
    const MAY_1_UTC: i64 = 1_714_521_600_000;

    #[test]
    fn next_firing_uses_the_offset() {
        // 08:00 in UTC+8 is 00:00 UTC.
        let s = schedule("0 8 * * *");
        assert_eq!(s.next_after(MAY_1_UTC - 1), Some(MAY_1_UTC));
        // Strictly after: at the firing instant, the next is one day later.
        assert_eq!(s.next_after(MAY_1_UTC), Some(MAY_1_UTC + 86_400_000));
        assert_eq!(s.next_after(MAY_1_UTC + 999), Some(MAY_1_UTC + 86_400_000));

        let utc = Schedule {
            timezone_offset_minutes: 0,
            ..schedule("0 8 * * *")
        };
        assert_eq!(utc.next_after(MAY_1_UTC), Some(MAY_1_UTC + 8 * 3_600_000));
    }

    #[test]
    fn six_fields_have_seconds_first() {
        let s = schedule("30 0 8 * * *");
        assert_eq!(s.next_after(MAY_1_UTC - 1), Some(MAY_1_UTC + 30_000));
    }

    #[test]
    fn negative_times_work() {
        let s = Schedule {
            timezone_offset_minutes: 0,
            ..schedule("0 0 1 1 *")
        };
        assert_eq!(s.next_after(-1), Some(0));
    }

    #[test]
    fn invalid_schedules_are_reported() {
        let named = |name: &str, cron: &str| Schedule {
            name: name.into(),
            ..schedule(cron)
        };
        let mut bad_offset = named("Bad", "0 8 * * *");
        bad_offset.timezone_offset_minutes = 900;
        let problems = problems_of(&[
            named("a", "0 8 * *"),
            named("a", "@daily"),
            named("c", "0 0 30 2 *"),
            bad_offset,
            named("e", "61 * * * *"),
        ]);
        assert_eq!(
            problems[0],
            "schedules[0].cron: must have 5 or 6 fields, found 4"
        );
        assert_eq!(
            problems[1],
            "schedules[1].name: duplicate schedule name \"a\""
        );
        assert_eq!(
            problems[2],
            "schedules[1].cron: must have 5 or 6 fields, found 1"
        );
        assert_eq!(problems[3], "schedules[2].cron: never fires");
        assert!(problems[4].starts_with("schedules[3].name: must be lowercase"));
        assert_eq!(
            problems[5],
            "schedules[3].timezone-offset-minutes: must be between -720 and 840"
        );
        assert!(
            problems[6].starts_with("schedules[4].cron: "),
            "{problems:?}"
        );
        assert_eq!(problems.len(), 7, "{problems:?}");
        assert_eq!(schedule("bad").next_after(0), None);
    }
}
