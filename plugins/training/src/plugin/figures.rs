//! `GET /figures?month=YYYY-MM` (or `?year=YYYY`): the period's training
//! figures (exams, follow-up, 持证率, 培训出勤率) for the district and per
//! hall (the portal's tiles and the
//! reporting module's 培训与考试 section), read as grouped aggregates so
//! no sitting's answers are loaded.

use std::collections::BTreeMap;

use bantong_sdk::storage::{self, Aggregate, Op, Query};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::json;

use super::bank::all;
use super::docs::{ASSIGNMENTS, ATTEMPTS, EXAMS, ExamDoc, month_of};
use super::{invalid, param, require_reader, settings::hall_names};
use crate::figures::{Assigned, Best, ExamLine, Figures, fold};

/// The period asked for: a month `YYYY-MM` or a year `YYYY`, as the prefix
/// of the stored months, and its name.
fn period(req: &Request) -> Result<(String, String), Response> {
    if let Some(y) = param(req, "year") {
        if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) {
            return Ok((y.to_owned(), format!("{y}年")));
        }
        return Err(invalid("年份格式应为 YYYY"));
    }
    let m = param(req, "month")
        .map(str::to_owned)
        .unwrap_or_else(|| month_of(clock::now()));
    check_month(&m)?;
    let name = crate::report::month_zh(&m);
    Ok((m, name))
}

/// 422 unless `m` is a month `YYYY-MM`.
pub fn check_month(m: &str) -> Result<(), Response> {
    let ok = m.len() == 7
        && m.as_bytes()[4] == b'-'
        && m[..4].bytes().all(|b| b.is_ascii_digit())
        && m[5..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n));
    if ok {
        Ok(())
    } else {
        Err(invalid("月份格式应为 YYYY-MM"))
    }
}

/// The figures of the period whose months start with `prefix` (a month or
/// a year): the district's and each hall's.
pub fn period_figures(prefix: &str) -> Result<(Figures, BTreeMap<String, Figures>), Response> {
    let exams = all::<ExamDoc>(
        Query::new(EXAMS)
            .filter("month", Op::Prefix, prefix)
            .sort_asc("opens_ms"),
        5_000,
    )?;
    let lines: Vec<ExamLine> = exams
        .iter()
        .filter(|d| d.body.exam.setting.kind.counts() && !d.body.exam.cancelled)
        .map(|d| ExamLine {
            id: d.id.clone(),
            pass: d.body.exam.setting.thresholds.pass,
            excellent: d.body.exam.setting.thresholds.excellent,
            candidates: d
                .body
                .exam
                .candidates
                .iter()
                .map(|c| (c.user_id.clone(), c.hall.clone().unwrap_or_default()))
                .collect(),
        })
        .collect();
    let groups = storage::aggregate(
        &Aggregate::new(ATTEMPTS)
            .filter("month", Op::Prefix, prefix)
            .filter("counts", Op::Eq, true)
            .filter("finished", Op::Eq, true)
            .filter("pending", Op::Eq, 0)
            .group_by("exam")
            .group_by("candidate")
            .max("percent_centi"),
    )?;
    let best: Vec<Best> = groups
        .iter()
        .filter_map(|g| {
            Some((
                g.key_str(0)?.to_owned(),
                g.key_str(1)?.to_owned(),
                g.value(0)? as u32,
            ))
        })
        .collect();
    let assigned_groups = storage::aggregate(
        &Aggregate::new(ASSIGNMENTS)
            .filter("month", Op::Prefix, prefix)
            .group_by("_hall")
            .group_by("state")
            .count(),
    )?;
    let mut assigned: Vec<Assigned> = Vec::new();
    for g in &assigned_groups {
        let hall = g.key_str(0).unwrap_or_default().to_owned();
        let settled = g.key_str(1).is_some_and(|s| s != "open");
        let n = g.value(0).unwrap_or(0.0) as usize;
        assigned.extend(std::iter::repeat_n((hall, settled), n));
    }
    Ok(fold(&lines, &best, &assigned))
}

pub fn figures(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (prefix, name) = period(&req)?;
    let (overall, halls) = period_figures(&prefix)?;
    let (cert, cert_halls) = super::certification::rates()?;
    let (attendance, attendance_halls) = super::classes::attendance_figures(&prefix, clock::now())?;
    let exams = all::<ExamDoc>(
        Query::new(EXAMS)
            .filter("month", Op::Prefix, &prefix)
            .sort_asc("opens_ms"),
        5_000,
    )?
    .iter()
    .filter(|d| d.body.exam.setting.kind.counts() && !d.body.exam.cancelled)
    .count();
    let mut overall_json = serde_json::to_value(&overall).unwrap_or_default();
    if let Some(m) = overall_json.as_object_mut() {
        m.insert("cert_rate".into(), json!(cert));
        m.insert("attendance_rate".into(), json!(attendance));
    }
    let names = hall_names();
    let per_hall: BTreeMap<String, serde_json::Value> = halls
        .into_iter()
        .filter(|(h, _)| !h.is_empty())
        .map(|(h, f)| {
            let mut figures = serde_json::to_value(&f).unwrap_or_default();
            if let (Some(m), Some(c)) = (figures.as_object_mut(), cert_halls.get(&h)) {
                m.insert("cert_rate".into(), json!(c));
            }
            if let (Some(m), Some(a)) = (figures.as_object_mut(), attendance_halls.get(&h)) {
                m.insert("attendance_rate".into(), json!(a));
            }
            let v = json!({ "hall_zh": names.get(&h), "figures": figures });
            (h, v)
        })
        .collect();
    Ok(Response::ok(&json!({
        "period": prefix,
        "period_zh": name,
        "exams": exams,
        "overall": overall_json,
        "halls": per_hall,
    })))
}
