//! The district's working-day calendar (工作日历) as data the district keeps:
//! one holiday arrangement per year. The built-in years (2025, 2026) are
//! seeded at start when absent; a district administrator adds or corrects
//! a year (`PUT /api/calendar/{year}`), validated by
//! `bantong_hall_kit::calendar::Arrangement` and audited; module plugins
//! read it through the WIT `calendar` interface and count their deadlines
//! on it.
//!
//! A missing year has weekends only, so the dashboard warns
//! ([`warning`]): always when the current year is missing, and from
//! 1 November (when the State Council usually publishes the next year's
//! notice) when the next year is.

use bantong_hall_kit::calendar::{Arrangement, CalendarError};
use bantong_hall_kit::time::local_date;
use bantong_store::{CalendarYear, Store};
use serde::Serialize;
use serde_json::json;

use crate::identity::{Identity, Principal};

/// Who the built-in arrangements are attributed to.
pub const BUILTIN_ACTOR: &str = bantong_store::CALENDAR_SEEDED_BY;

/// The month from which a missing next year is warned about.
pub const WARN_NEXT_YEAR_FROM_MONTH: u8 = 11;

/// Why a calendar change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CalendarChangeError {
    #[error("this needs the district-admin role")]
    Forbidden,
    #[error("{0}")]
    Invalid(CalendarError),
    #[error("the year in the body ({body}) is not the year of the path ({path})")]
    YearMismatch { path: i64, body: i64 },
    #[error("{0}年的节假日安排已存在，请修改它 / {0} is configured already; edit it instead")]
    Exists(i64),
    #[error(transparent)]
    Store(#[from] bantong_store::Error),
    #[error("audit: {0}")]
    Audit(String),
}

fn to_arrangement(y: &CalendarYear) -> Arrangement {
    Arrangement {
        year: y.year,
        notice: y.notice.clone(),
        holidays: y.holidays.clone(),
        workdays: y.workdays.clone(),
    }
}

/// Writes the built-in arrangements of years not configured yet; returns
/// the years written.
pub async fn seed_builtin(store: &Store) -> Result<Vec<i64>, bantong_store::Error> {
    let mut written = Vec::new();
    for a in Arrangement::builtin() {
        let year = CalendarYear {
            year: a.year,
            notice: a.notice,
            holidays: a.holidays,
            workdays: a.workdays,
            updated_at: crate::identity::now_ms(),
            updated_by: BUILTIN_ACTOR.to_owned(),
        };
        if store.calendar().seed(&year).await? {
            written.push(year.year);
        }
    }
    Ok(written)
}

/// Validates and stores a year's arrangement on behalf of a district
/// administrator, with an audit entry holding the previous and the new
/// lines.
pub async fn put_year(
    store: &Store,
    identity: &Identity,
    actor: &Principal,
    path_year: i64,
    arrangement: Arrangement,
) -> Result<CalendarYear, CalendarChangeError> {
    change_year(store, identity, actor, path_year, arrangement, false).await
}

/// Adds a year that is not configured yet; [`CalendarChangeError::Exists`]
/// when it is (two administrators adding the same year at once: one
/// wins, the other is told).
pub async fn create_year(
    store: &Store,
    identity: &Identity,
    actor: &Principal,
    arrangement: Arrangement,
) -> Result<CalendarYear, CalendarChangeError> {
    let year = arrangement.year;
    change_year(store, identity, actor, year, arrangement, true).await
}

async fn change_year(
    store: &Store,
    identity: &Identity,
    actor: &Principal,
    path_year: i64,
    arrangement: Arrangement,
    create_only: bool,
) -> Result<CalendarYear, CalendarChangeError> {
    if !actor.is_admin() {
        return Err(CalendarChangeError::Forbidden);
    }
    if arrangement.year != path_year {
        return Err(CalendarChangeError::YearMismatch {
            path: path_year,
            body: arrangement.year,
        });
    }
    arrangement.days().map_err(CalendarChangeError::Invalid)?;
    let year = CalendarYear {
        year: arrangement.year,
        notice: arrangement.notice.trim().to_owned(),
        holidays: trimmed(&arrangement.holidays),
        workdays: trimmed(&arrangement.workdays),
        updated_at: crate::identity::now_ms(),
        updated_by: actor.user_id.clone(),
    };
    let previous = if create_only {
        if !store.calendar().seed(&year).await? {
            return Err(CalendarChangeError::Exists(year.year));
        }
        None
    } else {
        store.calendar().put(&year).await?
    };
    let entry = crate::identity::attributed(
        actor,
        "calendar.update",
        "calendar",
        &year.year.to_string(),
        json!({
            "before": previous.as_ref().map(|p| json!({"notice": p.notice, "holidays": p.holidays, "workdays": p.workdays})),
            "after": {"notice": year.notice, "holidays": year.holidays, "workdays": year.workdays},
        }),
        year.updated_at,
    );
    identity
        .audit()
        .record(&entry)
        .await
        .map_err(|e| CalendarChangeError::Audit(e.to_string()))?;
    Ok(year)
}

fn trimmed(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// What the dashboard says about the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarWarning {
    /// The years that should be configured and are not.
    pub missing: Vec<i64>,
    pub zh: String,
    pub en: String,
}

/// The years that should be configured by `now_ms` and are not: the
/// current year, and from [`WARN_NEXT_YEAR_FROM_MONTH`] the next.
pub fn expected_years(now_ms: i64) -> Vec<i64> {
    let (year, month, _) = local_date(now_ms);
    if month >= WARN_NEXT_YEAR_FROM_MONTH {
        vec![year, year + 1]
    } else {
        vec![year]
    }
}

/// The dashboard's warning, when a year that should be configured is not.
pub async fn warning(
    store: &Store,
    now_ms: i64,
) -> Result<Option<CalendarWarning>, bantong_store::Error> {
    let expected = expected_years(now_ms);
    let (Some(&first), Some(&last)) = (expected.first(), expected.last()) else {
        return Ok(None);
    };
    let configured: Vec<i64> = store
        .calendar()
        .years(first, last)
        .await?
        .iter()
        .map(|y| y.year)
        .collect();
    let missing: Vec<i64> = expected
        .into_iter()
        .filter(|y| !configured.contains(y))
        .collect();
    let Some(&year) = missing.first() else {
        return Ok(None);
    };
    Ok(Some(CalendarWarning {
        zh: format!(
            "{year}年的节假日安排尚未配置：办理期限只按周末计算，可能落在节假日上。请区级管理员在“工作日历”中录入国务院办公厅的放假通知。"
        ),
        en: format!(
            "The holiday arrangement of {year} is not configured: deadlines count weekends only and may fall on a holiday. A district administrator should enter the State Council's notice in the working-day calendar."
        ),
        missing,
    }))
}

/// The arrangements of `first..=last` as the WIT `calendar` interface
/// answers them.
pub async fn arrangements_for_plugins(
    store: &Store,
    first: i32,
    last: i32,
) -> Result<Vec<bantong_runtime::wit::Arrangement>, bantong_store::Error> {
    Ok(store
        .calendar()
        .years(i64::from(first), i64::from(last))
        .await?
        .into_iter()
        .map(|y| bantong_runtime::wit::Arrangement {
            year: i32::try_from(y.year).unwrap_or_default(),
            notice: y.notice,
            holidays: y.holidays,
            workdays: y.workdays,
            updated_at: y.updated_at,
        })
        .collect())
}

/// A stored year in the shape the API answers: the lines, who changed it,
/// and whether it is the built-in arrangement unchanged.
pub fn year_json(y: &CalendarYear) -> serde_json::Value {
    let days = to_arrangement(y).days().ok();
    json!({
        "year": y.year,
        "notice": y.notice,
        "holidays": y.holidays,
        "workdays": y.workdays,
        "holiday_count": days.as_ref().map(|d| d.holidays.len()),
        "workday_count": days.as_ref().map(|d| d.workdays.len()),
        "updated_at": y.updated_at,
        "updated_by": y.updated_by,
        "builtin": y.updated_by == BUILTIN_ACTOR,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_year_is_expected_from_november() {
        // 2026-10-31 12:00 and 2026-11-01 00:30 in hall time.
        let oct31 = 1_793_419_200_000;
        let nov1 = 1_793_464_200_000;
        assert_eq!(local_date(oct31), (2026, 10, 31));
        assert_eq!(local_date(nov1), (2026, 11, 1));
        assert_eq!(expected_years(oct31), [2026]);
        assert_eq!(expected_years(nov1), [2026, 2027]);
    }
}
