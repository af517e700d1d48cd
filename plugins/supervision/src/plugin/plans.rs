//! The monthly plan (月覆盖) and the coverage board. Only the district
//! sees the plan: visits are unannounced (暗访).

use bantong_hall_kit::time::{date_of_day, local_day};
use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock, directory};
use serde::Deserialize;
use serde_json::json;

use super::docs::{INSPECTIONS, InspectionDoc, InspectionStatus, PLANS, PlanDoc};
use super::{forbidden, invalid, require_district, settings};
use crate::figures;
use crate::inspection::Kind;
use crate::month::Month;
use crate::planner::{self, Visit};

fn inspectors() -> Result<Vec<directory::Person>, Response> {
    Ok(directory::people(super::INSPECTOR)?
        .into_iter()
        .filter(|p| p.district_wide)
        .collect())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MakePlan {
    /// The month, `YYYY-MM`.
    month: Month,
    /// Replace an existing plan (visits already done are kept as they are).
    #[serde(default)]
    replace: bool,
}

/// `POST /plans` `{"month": "2026-12"}`: plans the month for every hall, from today when
/// the month has begun.
pub fn make(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    let body: MakePlan = req.json()?;
    let month = body.month;
    let now = clock::now();
    if month < Month::of_ms(now) {
        return Err(invalid(
            "不能为已过去的月份制定计划",
            format!("{month} is over"),
        ));
    }
    let existing = storage::get::<PlanDoc>(PLANS, &month.to_string())?;
    if existing.is_some() && !body.replace {
        return Err(Response::conflict(format!(
            "{} 的检查计划已存在 / the plan of {month} exists (send replace: true to redo it)",
            month.zh()
        )));
    }
    let r = settings::load()?;
    let halls: Vec<String> = settings::halls(&r.settings)
        .into_iter()
        .map(|h| h.id)
        .collect();
    let people: Vec<String> = inspectors()?.into_iter().map(|p| p.user_id).collect();
    let today = local_day(now);
    let visits = planner::plan(
        month,
        &halls,
        &people,
        &r.calendar,
        Some(today).filter(|_| month.contains(now)),
    )
    .map_err(|e| invalid("无法制定计划", e))?;
    let mut write = Write::new(PlanDoc {
        month: month.to_string(),
        made_ms: now,
        made_by: caller.username.clone(),
        visits,
    })
    .id(month.to_string());
    write = match &existing {
        Some(d) => write.expected_version(d.version),
        None => write.create_only(),
    };
    let stored = storage::put(PLANS, write)?;
    Ok(Response::created(&board_of(month, Some(stored.body), now)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddVisit {
    hall: String,
    /// `YYYY-MM-DD`.
    date: String,
    kind: Kind,
    #[serde(default)]
    inspector: Option<String>,
}

/// `POST /plans/visits`: an extra visit (专项 or 临时) on a day of any
/// month not yet over.
pub fn add_visit(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    let body: AddVisit = req.json()?;
    let day = bantong_hall_kit::calendar::parse_date(&body.date).ok_or_else(|| {
        invalid(
            "日期格式应为 YYYY-MM-DD",
            format!("{} is not a date", body.date),
        )
    })?;
    let month = Month::of_ms(bantong_hall_kit::calendar::start_of_day(day));
    if day < local_day(clock::now()) {
        return Err(invalid(
            "不能安排过去日期的检查",
            format!("{} is past", body.date),
        ));
    }
    if !directory::halls().iter().any(|h| h.id == body.hall) {
        return Err(invalid("没有该大厅", format!("unknown hall {}", body.hall)));
    }
    let inspector = body.inspector.unwrap_or_else(|| caller.user_id.clone());
    if !inspectors()?.iter().any(|p| p.user_id == inspector) {
        return Err(invalid(
            "检查人员须为区监督检查人员",
            format!("{inspector} is not an inspector"),
        ));
    }
    let existing = storage::get::<PlanDoc>(PLANS, &month.to_string())?;
    let now = clock::now();
    let (mut plan, version) = match existing {
        Some(d) => (d.body, Some(d.version)),
        None => (
            PlanDoc {
                month: month.to_string(),
                made_ms: now,
                made_by: caller.username.clone(),
                visits: Vec::new(),
            },
            None,
        ),
    };
    let n = plan.visits.iter().filter(|v| v.hall == body.hall).count() + 1;
    plan.visits.push(Visit {
        id: format!("{month}-{}-{n}", body.hall),
        hall: body.hall,
        day,
        inspector,
        kind: body.kind,
    });
    plan.visits
        .sort_by(|a, b| (a.day, &a.hall).cmp(&(b.day, &b.hall)));
    let write = Write::new(plan).id(month.to_string());
    let write = match version {
        Some(v) => write.expected_version(v),
        None => write.create_only(),
    };
    let stored = storage::put(PLANS, write)?;
    Ok(Response::created(&board_of(month, Some(stored.body), now)?))
}

/// `GET /halls`: the halls to choose from in the forms (`value`, `label`).
pub fn halls(req: Request) -> HandlerResult {
    super::require_reader(req.require_caller()?)?;
    let items: Vec<serde_json::Value> = directory::halls()
        .into_iter()
        .map(|h| json!({ "value": h.id, "label": h.name_zh }))
        .collect();
    Ok(Response::ok(&items))
}

/// `GET /plans?month=`: the coverage board (default: this month).
pub fn board(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !super::reads_all(caller) {
        return Err(forbidden(
            "检查计划仅区级可见",
            "the plan is for the district only",
        ));
    }
    let month = super::month_param(&req, clock::now())?;
    let plan = storage::get::<PlanDoc>(PLANS, &month.to_string())?.map(|d| d.body);
    Ok(Response::ok(&board_of(month, plan, clock::now())?))
}

fn board_of(month: Month, plan: Option<PlanDoc>, now: i64) -> Result<serde_json::Value, Response> {
    let halls = settings::halls(&settings::get()?);
    let ids: Vec<String> = halls.iter().map(|h| h.id.clone()).collect();
    let signed: Vec<(String, Kind)> = storage::query::<InspectionDoc>(
        &Query::new(INSPECTIONS)
            .filter("month", Op::Eq, month.to_string())
            .filter("status", Op::Eq, "signed")
            .limit(1000),
    )?
    .items
    .into_iter()
    .filter(|d| d.body.status == InspectionStatus::Signed)
    .map(|d| (d.body.hall, d.body.kind))
    .collect();
    let visits = plan.as_ref().map(|p| p.visits.clone()).unwrap_or_default();
    let coverage = planner::coverage(&ids, &visits, &signed, local_day(now));
    let people = inspectors().unwrap_or_default();
    let name_of = |id: &str| {
        people
            .iter()
            .find(|p| p.user_id == id)
            .map_or_else(|| id.to_owned(), |p| p.display_name.clone())
    };
    let items: Vec<_> = coverage
        .iter()
        .zip(&halls)
        .map(|(c, h)| {
            let planned: Vec<_> = visits
                .iter()
                .filter(|v| v.hall == c.hall)
                .map(|v| json!({ "id": v.id, "date": date_of_day(v.day), "kind": v.kind, "kind_zh": v.kind.zh(), "inspector": v.inspector, "inspector_name": name_of(&v.inspector) }))
                .collect();
            let status = if c.covered { "covered" } else if c.overdue { "overdue" } else if c.planned.is_empty() { "unplanned" } else { "planned" };
            json!({
                "id": c.hall, "hall": c.hall, "hall_name": h.name_zh,
                "planned": planned,
                "planned_text": planned.iter().map(|p| format!("{} {}", p["date"].as_str().unwrap_or(""), p["inspector_name"].as_str().unwrap_or(""))).collect::<Vec<_>>().join("；"),
                "done": c.done, "inspections": c.inspections, "covered": c.covered, "overdue": c.overdue,
                "status": status,
            })
        })
        .collect();
    let covered = coverage.iter().filter(|c| c.covered).count() as u64;
    Ok(json!({
        "month": month.to_string(),
        "planned": plan.is_some(),
        "made_by": plan.as_ref().map(|p| p.made_by.clone()),
        "coverage": figures::coverage(covered, coverage.len() as u64),
        "overdue": coverage.iter().filter(|c| c.overdue).count(),
        "items": items,
        "total": coverage.len(),
    }))
}
