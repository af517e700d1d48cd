//! The monthly coverage plan (月覆盖): every hall gets at least one visit
//! on a working day of the month, the visits are spread over the month's
//! working days, and the inspectors rotate so that a hall does not see the
//! same inspector two months running (when there are two or more).
//!
//! The order of the halls is shifted every month, so no hall is always
//! visited first (暗访 must not become predictable). The plan is for the
//! district's eyes only; the halls never see it.

use std::collections::BTreeMap;
use std::fmt;

use bantong_hall_kit::calendar::Calendar;
use serde::{Deserialize, Serialize};

use crate::inspection::Kind;
use crate::month::Month;

/// One planned visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// Stable id within the month's plan, e.g. `2026-12-bailou-1`.
    pub id: String,
    /// The hall.
    pub hall: String,
    /// The day (days since 1970-01-01).
    pub day: i64,
    /// The inspector's user id.
    pub inspector: String,
    /// 月覆盖, 专项 or 临时.
    pub kind: Kind,
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// No halls to visit.
    NoHalls,
    /// No inspectors to send.
    NoInspectors,
    /// No working day left in the month.
    NoWorkingDays { month: Month },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::NoHalls => f.write_str("没有需要检查的大厅 / no halls to visit"),
            PlanError::NoInspectors => f.write_str("没有检查人员（角色 inspector）/ no inspectors"),
            PlanError::NoWorkingDays { month } => write!(
                f,
                "{} 已没有可安排的工作日 / no working day left in {month}",
                month.zh()
            ),
        }
    }
}

impl std::error::Error for PlanError {}

/// Plans `month`: one 月覆盖 visit per hall on the working days from
/// `from_day` (or the first of the month) to the month's end. `halls` and
/// `inspectors` are taken in the order given (callers sort them, so a plan
/// is reproducible).
pub fn plan(
    month: Month,
    halls: &[String],
    inspectors: &[String],
    calendar: &Calendar,
    from_day: Option<i64>,
) -> Result<Vec<Visit>, PlanError> {
    if halls.is_empty() {
        return Err(PlanError::NoHalls);
    }
    if inspectors.is_empty() {
        return Err(PlanError::NoInspectors);
    }
    let first = from_day.map_or(month.first_day(), |d| d.max(month.first_day()));
    let days: Vec<i64> = (first..=month.last_day())
        .filter(|&d| calendar.is_working_day(d))
        .collect();
    if days.is_empty() {
        return Err(PlanError::NoWorkingDays { month });
    }
    let (n, w, k) = (halls.len(), days.len(), inspectors.len());
    let m = usize::try_from(month.index().rem_euclid(1 << 20)).unwrap_or(0);
    let shift = (m * 7) % n;
    let mut visits: Vec<Visit> = halls
        .iter()
        .enumerate()
        .map(|(h, hall)| {
            // The hall's place in this month's order, then its day: the
            // middle of its share of the working days.
            let place = (h + shift) % n;
            let day = days[((2 * place + 1) * w / (2 * n)).min(w - 1)];
            Visit {
                id: format!("{month}-{hall}-1"),
                hall: hall.clone(),
                day,
                inspector: inspectors[(h + m) % k].clone(),
                kind: Kind::Routine,
            }
        })
        .collect();
    visits.sort_by(|a, b| (a.day, &a.hall).cmp(&(b.day, &b.hall)));
    Ok(visits)
}

/// A hall's line on the coverage board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// The hall.
    pub hall: String,
    /// Planned 月覆盖 visits (days).
    pub planned: Vec<i64>,
    /// Signed-off 月覆盖 inspections this month.
    pub done: u32,
    /// Signed-off inspections of any kind this month.
    pub inspections: u32,
    /// At least one signed 月覆盖 inspection.
    pub covered: bool,
    /// A planned day has passed and the hall is not yet covered.
    pub overdue: bool,
}

/// The board: each hall's planned and done visits. `signed` lists the
/// month's signed-off inspections as (hall, kind).
pub fn coverage(
    halls: &[String],
    visits: &[Visit],
    signed: &[(String, Kind)],
    today: i64,
) -> Vec<Coverage> {
    let mut done: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for (hall, kind) in signed {
        let e = done.entry(hall.as_str()).or_default();
        e.1 += 1;
        if *kind == Kind::Routine {
            e.0 += 1;
        }
    }
    halls
        .iter()
        .map(|hall| {
            let planned: Vec<i64> = visits
                .iter()
                .filter(|v| &v.hall == hall && v.kind == Kind::Routine)
                .map(|v| v.day)
                .collect();
            let (routine, all) = done.get(hall.as_str()).copied().unwrap_or_default();
            let covered = routine > 0;
            Coverage {
                hall: hall.clone(),
                overdue: !covered && planned.iter().any(|&d| d < today),
                planned,
                done: routine,
                inspections: all,
                covered,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bantong_hall_kit::calendar::day_of;
    use bantong_hall_kit::district::HALLS;

    fn halls() -> Vec<String> {
        HALLS.iter().map(|h| h.id.to_owned()).collect()
    }

    fn inspectors(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("inspector-{i}")).collect()
    }

    #[test]
    fn every_hall_gets_one_working_day_in_every_month_of_2026() {
        let cal = Calendar::china();
        let mut last_inspector: BTreeMap<String, String> = BTreeMap::new();
        for m in 1..=12 {
            let month = Month::new(2026, m).unwrap();
            let visits = plan(month, &halls(), &inspectors(3), &cal, None).unwrap();
            assert_eq!(visits.len(), 17, "{month}");
            let mut per_day: BTreeMap<i64, usize> = BTreeMap::new();
            for v in &visits {
                assert!(month.days().contains(&v.day), "{month}: {v:?}");
                assert!(cal.is_working_day(v.day), "{month}: {v:?} on a day off");
                *per_day.entry(v.day).or_default() += 1;
                if let Some(prev) = last_inspector.insert(v.hall.clone(), v.inspector.clone()) {
                    assert_ne!(prev, v.inspector, "{month}: {} sees {prev} again", v.hall);
                }
            }
            let working = month.days().filter(|&d| cal.is_working_day(d)).count();
            let most = per_day.values().max().copied().unwrap_or(0);
            assert!(
                most <= 17_usize.div_ceil(working),
                "{month}: spread {per_day:?} over {working} days"
            );
            let mut hs: Vec<&str> = visits.iter().map(|v| v.hall.as_str()).collect();
            hs.sort_unstable();
            hs.dedup();
            assert_eq!(hs.len(), 17, "{month}: each hall once");
        }
    }

    #[test]
    fn october_skips_the_national_day_holiday() {
        let cal = Calendar::china();
        let oct = Month::new(2026, 10).unwrap();
        let visits = plan(oct, &halls(), &inspectors(2), &cal, None).unwrap();
        let holiday_end = day_of(2026, 10, 7).unwrap();
        assert!(visits.iter().all(|v| v.day > holiday_end), "{visits:?}");
    }

    #[test]
    fn the_first_hall_changes_from_month_to_month() {
        let cal = Calendar::china();
        let firsts: Vec<String> = (1..=6)
            .map(|m| {
                plan(
                    Month::new(2026, m).unwrap(),
                    &halls(),
                    &inspectors(2),
                    &cal,
                    None,
                )
                .unwrap()[0]
                    .hall
                    .clone()
            })
            .collect();
        let mut distinct = firsts.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() >= 5, "{firsts:?}");
    }

    #[test]
    fn a_late_plan_uses_the_days_left_and_refuses_when_none_are() {
        let cal = Calendar::china();
        let dec = Month::new(2026, 12).unwrap();
        let from = day_of(2026, 12, 21).unwrap();
        let visits = plan(dec, &halls(), &inspectors(1), &cal, Some(from)).unwrap();
        assert!(visits.iter().all(|v| v.day >= from));
        let after = day_of(2027, 1, 1).unwrap();
        assert_eq!(
            plan(dec, &halls(), &inspectors(1), &cal, Some(after)),
            Err(PlanError::NoWorkingDays { month: dec })
        );
        assert_eq!(
            plan(dec, &[], &inspectors(1), &cal, None),
            Err(PlanError::NoHalls)
        );
        assert_eq!(
            plan(dec, &halls(), &[], &cal, None),
            Err(PlanError::NoInspectors)
        );
    }

    #[test]
    fn the_board_shows_coverage_and_what_is_overdue() {
        let cal = Calendar::china();
        let dec = Month::new(2026, 12).unwrap();
        let hs = halls();
        let visits = plan(dec, &hs, &inspectors(2), &cal, None).unwrap();
        let today = dec.last_day();
        let signed = vec![(hs[0].clone(), Kind::Routine), (hs[1].clone(), Kind::Adhoc)];
        let board = coverage(&hs, &visits, &signed, today);
        assert!(board[0].covered && !board[0].overdue);
        assert!(!board[1].covered && board[1].overdue && board[1].inspections == 1);
        assert_eq!(board.iter().filter(|c| c.covered).count(), 1);
        let early = coverage(&hs, &visits, &[], dec.first_day());
        assert!(early.iter().all(|c| !c.overdue));
    }
}
