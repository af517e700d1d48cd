//! The plugin's configuration (district level, `[config.schema]` of the
//! manifest), the working-day calendar it counts deadlines on, and the
//! district's halls and people (the platform's directory).

use std::collections::BTreeMap;

use bantong_hall_kit::calendar::{Arrangement, Calendar, CalendarConfig};
use bantong_hall_kit::time::local_date;
use bantong_sdk::{Response, calendar, clock, config, directory, log};
use serde::Deserialize;

use crate::month::Month;
use crate::recurrence::DEFAULT_WINDOW;

/// When a problem must be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Deadline {
    /// By the end of the last working day of the month after the one it
    /// was found in: the month the monthly report is issued in (halls
    /// report their rectification within that month).
    ReportMonth,
    /// Within so many working days of being issued.
    WorkingDays { days: u32 },
}

/// The resolved configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The halls to cover each month (default: every hall of the district).
    pub halls: Vec<String>,
    /// Problem deadlines.
    pub deadline: Deadline,
    /// A problem overdue is escalated again every so many working days.
    pub escalate_every_working_days: u32,
    /// A failure within this many months of an earlier one is 屡查屡犯.
    pub recurrence_window: u32,
    /// 差评: verify within so many working days of the rating.
    pub verify_days: u32,
    /// 差评: rectify within so many working days of the rating.
    pub rectify_days: u32,
    /// The weekend, when a working day ends, and local days off or make-up
    /// days on top of the district's calendar.
    pub calendar: Option<CalendarConfig>,
    /// 满意率: whether 基本满意 counts as satisfied.
    pub survey_basic_counts: bool,
    /// The share of the survey's satisfaction index in a hall's monthly
    /// score, in percent (0: the score is the inspections' alone).
    pub survey_weight: u32,
    /// Completed phone surveys per hall per month.
    pub phone_quota: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            halls: Vec::new(),
            deadline: Deadline::ReportMonth,
            escalate_every_working_days: 3,
            recurrence_window: DEFAULT_WINDOW,
            verify_days: 5,
            rectify_days: 15,
            calendar: None,
            survey_basic_counts: true,
            survey_weight: 0,
            phone_quota: 10,
        }
    }
}

/// Settings with the calendar built.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub settings: Settings,
    pub calendar: Calendar,
}

impl Resolved {
    /// The deadline of a problem issued at `now`, found in `month`.
    pub fn due(&self, month: Month, now: i64) -> i64 {
        match self.settings.deadline {
            Deadline::WorkingDays { days } => self.calendar.deadline(now, i64::from(days)),
            Deadline::ReportMonth => {
                let report = month.next();
                let last = report
                    .days()
                    .rev()
                    .find(|&d| self.calendar.is_working_day(d))
                    .unwrap_or(report.last_day());
                self.calendar.end_of_day(last).max(now)
            }
        }
    }
}

/// Reads the configuration alone (for reads that count no deadlines).
pub fn get() -> Result<Settings, Response> {
    Ok(config::get()?)
}

/// Reads the configuration and the district's holiday arrangements (last
/// year to two years ahead).
pub fn load() -> Result<Resolved, Response> {
    let settings = get()?;
    let broken = |what: &str, e: &dyn std::fmt::Display| {
        Response::error(
            500,
            "bad_config",
            format!("监督检查配置有误 / the supervision {what} configuration is invalid: {e}"),
        )
    };
    if settings.escalate_every_working_days == 0 {
        return Err(broken(
            "escalation",
            &"escalate_every_working_days must be at least 1",
        ));
    }
    let (year, _, _) = local_date(clock::now());
    let year = i32::try_from(year).unwrap_or(i32::MAX);
    let arrangements: Vec<Arrangement> =
        calendar::arrangements(year.saturating_sub(1), year.saturating_add(2))
            .into_iter()
            .map(|a| Arrangement {
                year: i64::from(a.year),
                notice: a.notice,
                holidays: a.holidays,
                workdays: a.workdays,
            })
            .collect();
    let local = settings.calendar.clone().unwrap_or_default();
    let (calendar, skipped) =
        Calendar::for_module(&local, &arrangements).map_err(|e| broken("calendar", &e))?;
    for (year, e) in skipped {
        log::warn(&format!(
            "the district's arrangement of {year} is not usable here: {e}"
        ));
    }
    Ok(Resolved { settings, calendar })
}

/// The halls to cover, sorted by code: the configured list, else every
/// hall of the directory.
pub fn halls(settings: &Settings) -> Vec<directory::Hall> {
    let all = directory::halls();
    if settings.halls.is_empty() {
        return all;
    }
    all.into_iter()
        .filter(|h| settings.halls.contains(&h.id))
        .collect()
}

/// Hall id → Chinese name, for display.
pub fn hall_names() -> BTreeMap<String, String> {
    directory::halls()
        .into_iter()
        .map(|h| (h.id, h.name_zh))
        .collect()
}

/// The user ids of a hall's managers (for notices).
pub fn managers_of(hall: &str) -> Vec<String> {
    match directory::people(super::HALL_MANAGER) {
        Ok(people) => people
            .into_iter()
            .filter(|p| !p.district_wide && p.halls.iter().any(|h| h == hall))
            .map(|p| p.user_id)
            .collect(),
        Err(e) => {
            log::warn(&format!("cannot read the hall managers of {hall}: {e}"));
            Vec::new()
        }
    }
}

/// Sends a portal notice to each user, logging (not failing on) refusals:
/// a reminder that cannot be queued must not undo the work it is about.
pub fn notify(users: &[String], text: &str, topic: &str, hall: Option<&str>) {
    for user in users {
        if let Err(e) = bantong_sdk::notices::portal(user, text, topic, hall) {
            log::warn(&format!("notice to {user} not queued: {e}"));
        }
    }
}
