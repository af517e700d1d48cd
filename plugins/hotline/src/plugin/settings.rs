//! The plugin's configuration (district level, `[config.schema]` of the
//! manifest): the dispatch catalogue, the working-day calendar, the KPI
//! rules, the seats, and the intake and callback rules. Every part is
//! optional; what is missing takes the built-in defaults below.

use bantong_hall_kit::calendar::{Arrangement, Calendar, CalendarConfig};
use bantong_hall_kit::time::local_date;
use bantong_sdk::{Response, calendar, clock, config, log};
use serde::Deserialize;

use crate::kpi::KpiConfig;
use crate::order::{Catalogue, CatalogueEntry, Level, Unit, UnitKind};

/// What a dissatisfied callback (score 1 or 2) does to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDissatisfied {
    /// Reopen the order (重办) to the same unit with a new deadline.
    #[default]
    Reopen,
    /// Leave the order closed and open a rectification order (整改单).
    Rectification,
}

/// The resolved configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The dispatch catalogue; the built-in demo catalogue when absent.
    pub catalogue: Option<Catalogue>,
    /// The weekend, when a working day ends, and local days off or make-up
    /// days on top of the district's calendar (the year's holiday
    /// arrangements come from the district, not from here).
    pub calendar: Option<CalendarConfig>,
    /// KPI denominators and thresholds.
    pub kpi: KpiConfig,
    /// The agent seats (座席).
    pub seats: Vec<String>,
    /// A request by the same caller in the same category within this many
    /// days is offered for merging (重复件).
    pub repeat_window_days: u32,
    /// What a dissatisfied callback does.
    pub on_dissatisfied: OnDissatisfied,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            catalogue: None,
            calendar: None,
            kpi: KpiConfig::default(),
            seats: (1..=6).map(|i| format!("seat-{i}")).collect(),
            repeat_window_days: 7,
            on_dissatisfied: OnDissatisfied::Reopen,
        }
    }
}

/// Settings with the catalogue and calendar checked and built.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub settings: Settings,
    pub catalogue: Catalogue,
    pub calendar: Calendar,
}

/// The years of district arrangements a call reads: last year to three
/// years ahead, enough for any deadline the catalogue allows.
const YEARS_BACK: i32 = 1;
const YEARS_AHEAD: i32 = 3;

/// Reads and checks the configuration and the district's holiday
/// arrangements; a broken configuration is a 500 naming what is wrong (the
/// admin screen validates before saving, so this means the stored config
/// predates a rule).
pub fn load() -> Result<Resolved, Response> {
    let settings: Settings = config::get()?;
    let (year, _, _) = local_date(clock::now());
    let year = i32::try_from(year).unwrap_or(i32::MAX);
    let arrangements: Vec<Arrangement> = calendar::arrangements(
        year.saturating_sub(YEARS_BACK),
        year.saturating_add(YEARS_AHEAD),
    )
    .into_iter()
    .map(|a| Arrangement {
        year: i64::from(a.year),
        notice: a.notice,
        holidays: a.holidays,
        workdays: a.workdays,
    })
    .collect();
    resolve(settings, &arrangements)
}

/// Builds the settings on the district's arrangements (an arrangement the
/// host let through but this version refuses is logged and left out).
pub fn resolve(settings: Settings, arrangements: &[Arrangement]) -> Result<Resolved, Response> {
    let broken = |what: &str, e: &dyn std::fmt::Display| {
        Response::error(
            500,
            "bad_config",
            format!("热线配置有误 / the hotline's {what} configuration is invalid: {e}"),
        )
    };
    let catalogue = settings.catalogue.clone().unwrap_or_else(default_catalogue);
    catalogue.validate().map_err(|e| broken("catalogue", &e))?;
    let local = settings.calendar.clone().unwrap_or_default();
    let (calendar, skipped) =
        Calendar::for_module(&local, arrangements).map_err(|e| broken("calendar", &e))?;
    for (year, e) in skipped {
        log::warn(&format!(
            "the district's arrangement of {year} is not usable here: {e}"
        ));
    }
    settings.kpi.validate().map_err(|e| broken("kpi", &e))?;
    Ok(Resolved {
        settings,
        catalogue,
        calendar,
    })
}

/// The demo district's catalogue: five departments and the district's 17
/// halls, with categories of the usual 12345 kinds.
pub fn default_catalogue() -> Catalogue {
    let unit = |id: &str, name: &str, kind| Unit {
        id: id.into(),
        name: name.into(),
        kind,
    };
    let units = [
        unit("dept-housing", "区住房和城乡建设局", UnitKind::Department),
        unit("dept-hrss", "区人力资源和社会保障局", UnitKind::Department),
        unit("dept-market", "区市场监督管理局", UnitKind::Department),
        unit("dept-medical", "区医疗保障局", UnitKind::Department),
        unit("dept-civil", "区民政局", UnitKind::Department),
    ];
    let units = units
        .into_iter()
        .chain(
            bantong_hall_kit::district::HALLS
                .iter()
                .map(|h| unit(h.id, &h.name_zh(), UnitKind::Hall)),
        )
        .collect();
    let entry = |name: &str, lead: &str, assisting: &[&str], level, days, hours| CatalogueEntry {
        name: Some(name.into()),
        lead: lead.into(),
        assisting: assisting.iter().map(|s| (*s).to_owned()).collect(),
        level,
        time_limit_working_days: days,
        sign_within_hours: hours,
    };
    let entries = [
        (
            "housing.property",
            entry(
                "物业管理与房屋安全",
                "dept-housing",
                &[],
                Level::Department,
                5,
                24,
            ),
        ),
        (
            "social.pension",
            entry("养老保险", "dept-hrss", &[], Level::Department, 5, 24),
        ),
        (
            "social.employment",
            entry("就业与劳动保障", "dept-hrss", &[], Level::Department, 5, 24),
        ),
        (
            "market.complaint",
            entry("消费投诉举报", "dept-market", &[], Level::Department, 7, 24),
        ),
        (
            "medical.insurance",
            entry("医疗保险", "dept-medical", &[], Level::Department, 5, 24),
        ),
        (
            "civil.assistance",
            entry(
                "社会救助",
                "dept-civil",
                &["bailou"],
                Level::Department,
                5,
                24,
            ),
        ),
        (
            "town.streetlight",
            entry("路灯不亮", "bailou", &[], Level::Hall, 3, 12),
        ),
        (
            "town.sanitation",
            entry("环境卫生", "bailou", &[], Level::Hall, 3, 12),
        ),
        (
            "town.service",
            entry("便民服务", "bailou", &[], Level::Hall, 5, 24),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Catalogue {
        units,
        entries,
        warn_before_working_days: 1,
        escalate_after_working_days: 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_resolve() {
        let r = resolve(Settings::default(), &Arrangement::builtin()).unwrap();
        assert_eq!(r.settings.seats.len(), 6);
        assert!(r.catalogue.entry("town.streetlight").is_some());
        assert!(r.calendar.covers_year(2025));
        assert!(r.calendar.covers_year(2026));
        assert!(!r.calendar.covers_year(2027));
        // Without the district's arrangements, weekends only.
        let bare = resolve(Settings::default(), &[]).unwrap();
        assert!(!bare.calendar.covers_year(2026));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let bad: Result<Settings, _> = serde_json::from_str(r#"{"seats":["s1"],"colour":1}"#);
        assert!(bad.is_err());
        let ok: Settings = serde_json::from_str(r#"{"repeat_window_days":3}"#).unwrap();
        assert_eq!(ok.repeat_window_days, 3);
        assert_eq!(ok.seats.len(), 6);
    }
}
