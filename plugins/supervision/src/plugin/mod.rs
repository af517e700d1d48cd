//! Supervision as a Bantong plugin: HTTP routes, storage, hall events, the
//! escalation schedule, notices and the portal views, over the pure logic
//! of the crate. `manifest.toml` declares the same routes, collections,
//! topics and views.
//!
//! Who does what (the platform's role names):
//! - the district — `inspector` and `district-admin`, district-wide —
//!   plans, inspects, confirms camera findings, reviews reports, decides
//!   appeals and edits the checklist;
//! - `leader` (district-wide) reads everything;
//! - a hall — `hall-manager` of that hall — sees only its own problems and
//!   follow-ups (the host's hall scope on storage enforces it), signs,
//!   reports, verifies its 差评 and appeals. The plan is never shown to
//!   halls (暗访).

mod candidates;
mod docs;
mod export;
mod followups;
mod inspections;
mod plans;
mod problems;
mod ratings;
mod scorecard;
mod settings;
mod surveys;
mod sweep;
mod templates;
mod today;
mod views;

use bantong_sdk::{Caller, Event, Job, Plugin, Request, Response, Router, View, export_plugin};

pub use docs::{AnswerDoc, CandidateDoc, FollowupDoc, InspectionDoc, InspectionStatus, ProblemDoc};
pub use settings::Settings;

/// The plugin.
pub struct Supervision;

impl Plugin for Supervision {
    fn handle(req: Request) -> Response {
        router().handle(req)
    }

    fn on_event(ev: Event) -> Result<(), String> {
        let text = |r: Response| String::from_utf8_lossy(&r.body).into_owned();
        if ev.topic == "hall.haocha.rating" {
            ratings::on_rating(&ev).map_err(text)
        } else if ev.topic == "hall.alert.haocha-bad" {
            followups::on_bad_rating(&ev).map_err(text)
        } else if ev.topic.starts_with("hall.alert.") {
            candidates::on_alert(&ev).map_err(text)
        } else {
            Ok(())
        }
    }

    fn on_job(job: Job) -> Result<(), String> {
        match job.name.as_str() {
            "sweep" => sweep::run(job.scheduled_at)
                .map(|_| ())
                .map_err(|r| String::from_utf8_lossy(&r.body).into_owned()),
            other => Err(format!("unknown schedule {other}")),
        }
    }

    fn views() -> Vec<View> {
        views::all()
    }
}

export_plugin!(Supervision);

/// Every route; `manifest.toml` declares the same list.
pub fn router() -> Router {
    Router::new()
        // checklist templates
        .get("/templates", templates::list)
        .get("/templates/current", templates::current)
        .get("/templates/{id}", templates::get)
        .post("/templates", templates::publish)
        .put("/templates/{id}", templates::revise)
        // monthly plan and coverage board
        .get("/halls", plans::halls)
        .get("/plans", plans::board)
        .post("/plans", plans::make)
        .post("/plans/visits", plans::add_visit)
        // inspections
        .get("/inspections", inspections::list)
        .get("/inspections/{id}", inspections::get)
        .put("/inspections/{id}", inspections::save)
        .post("/inspections/{id}/sign", inspections::sign)
        // problems (问题清单) and their loop
        .get("/problems", problems::list)
        .post("/problems", problems::create)
        .get("/problems/{id}", problems::get)
        .post("/problems/{id}/actions", problems::act)
        // camera review
        .get("/candidates", candidates::list)
        .get("/candidates/{id}", candidates::get)
        .post("/candidates/{id}/decision", candidates::decide)
        // 差评 follow-up
        .get("/followups", followups::list)
        .get("/followups/{id}", followups::get)
        .post("/followups/{id}/actions", followups::act)
        // figures
        .get("/scorecard", scorecard::scorecard)
        .get("/live", ratings::live)
        .get("/figures", scorecard::figures)
        .get("/today", today::today)
        .post("/sweep", sweep::now)
        .get("/export/problems.xlsx", export::problems)
        // 满意度调查
        .get("/public/survey", surveys::public_form)
        .post("/public/survey", surveys::public_answer)
        .get("/surveys/questionnaires", surveys::questionnaires)
        .get("/surveys/questionnaires/current", surveys::questionnaire)
        .post("/surveys/questionnaires", surveys::publish)
        .get("/surveys/links", surveys::links)
        .post("/surveys/links", surveys::issue_links)
        .get("/surveys/answers", surveys::answers)
        .get("/surveys/figures", surveys::figures)
        .get("/surveys/calls", surveys::calls)
        .post("/surveys/calls", surveys::draw)
        .get("/surveys/calls/{id}", surveys::call)
        .post("/surveys/calls/{id}/dial", surveys::dial)
        .post("/surveys/calls/{id}/result", surveys::result)
        .get("/surveys/calls/{id}/form", surveys::call_form)
        .post("/surveys/calls/{id}/answers", surveys::call_answers)
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// The inspector role.
pub const INSPECTOR: &str = "inspector";
/// The district administrator role.
pub const ADMIN: &str = "district-admin";
/// The hall manager role.
pub const HALL_MANAGER: &str = "hall-manager";

/// Whether the caller acts for the district (plans, inspects, reviews).
pub fn is_district(c: &Caller) -> bool {
    c.district_wide && (c.has_role(INSPECTOR) || c.has_role(ADMIN))
}

/// Whether the caller reads every hall's supervision data: the district,
/// a leader, or another module reading a route this plugin publishes to
/// modules (`module-read` in the manifest; the host admits only granted
/// readers, and only there).
pub fn reads_all(c: &Caller) -> bool {
    is_district(c) || (c.district_wide && c.has_role("leader")) || c.module().is_some()
}

/// Whether the caller acts for a hall (its manager).
pub fn is_hall(c: &Caller) -> bool {
    !c.district_wide && c.has_role(HALL_MANAGER) && !c.halls.is_empty()
}

/// 403 unless the caller acts for the district.
pub fn require_district(c: &Caller) -> Result<(), Response> {
    if is_district(c) {
        Ok(())
    } else {
        Err(forbidden(
            "仅区监督检查人员或管理员可以操作",
            "inspectors and district administrators only",
        ))
    }
}

/// 403 unless the caller may read supervision data at all.
pub fn require_reader(c: &Caller) -> Result<(), Response> {
    if reads_all(c) || is_hall(c) {
        Ok(())
    } else {
        Err(forbidden(
            "无权查看监督检查信息",
            "no access to supervision data",
        ))
    }
}

/// A non-empty query parameter.
pub fn param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_param(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// A path parameter (the router guarantees it is there).
pub fn path<'a>(req: &'a Request, name: &str) -> Result<&'a str, Response> {
    req.param(name)
        .ok_or_else(|| Response::bad_request(format!("missing path parameter {name}")))
}

/// Parses `offset` and `limit` (default 50, at most 200).
pub fn paging(req: &Request) -> Result<(u32, u32), Response> {
    let offset = req.query_parse::<u32>("offset")?.unwrap_or(0);
    let limit = req.query_parse::<u32>("limit")?.unwrap_or(50).clamp(1, 200);
    Ok((offset, limit))
}

/// 403 with a bilingual message.
pub fn forbidden(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::forbidden(format!("{zh} / {en}"))
}

/// 422 with a bilingual message.
pub fn invalid(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::validation(format!("{zh} / {en}"))
}

/// A refused step of a state machine as an answer: 409 for a step that
/// does not apply, 403 for the wrong side, 422 for bad input.
pub fn refused(status: u16, message: String) -> Response {
    let code = match status {
        409 => "illegal_transition",
        403 => "forbidden",
        _ => "validation_failed",
    };
    Response::error(status, code, message)
}

/// 404 with a bilingual message.
pub fn not_found(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::not_found(format!("{zh} / {en}"))
}

/// A hall event's envelope; `None` (logged) for one this version cannot
/// read, which is then acknowledged rather than retried for ever.
pub fn envelope(ev: &Event) -> Option<crate::candidate::Envelope> {
    match ev.json() {
        Ok(e) => Some(e),
        Err(e) => {
            bantong_sdk::log::warn(&format!(
                "hall event {} is not a version-1 envelope: {e}",
                ev.id
            ));
            None
        }
    }
}

/// `GET` of a list: one page of `collection`, narrowed by `?hall=` and by
/// each named query parameter as an equality filter on the same field,
/// newest `sort` first, each document shown by `show` (with the halls'
/// names).
pub fn list_page<T: serde::de::DeserializeOwned>(
    req: &Request,
    collection: &str,
    filters: &[&str],
    sort: &str,
    show: impl Fn(&str, &T, &std::collections::BTreeMap<String, String>) -> serde_json::Value,
) -> bantong_sdk::HandlerResult {
    use bantong_sdk::storage::{self, Op, Query};
    require_reader(req.require_caller()?)?;
    let (offset, limit) = paging(req)?;
    let mut q = Query::new(collection)
        .hall(param(req, "hall").map(str::to_owned))
        .sort_desc(sort)
        .offset(offset)
        .limit(limit);
    for f in filters {
        q = q.filter_opt(f, Op::Eq, param(req, f));
    }
    let page = storage::query::<T>(&q)?;
    let names = settings::hall_names();
    let items: Vec<serde_json::Value> = page
        .items
        .iter()
        .map(|d| show(&d.id, &d.body, &names))
        .collect();
    Ok(Response::ok(
        &serde_json::json!({ "items": items, "total": page.total }),
    ))
}

/// A month from `?month=` (default: this month in hall time).
pub fn month_param(req: &Request, now: i64) -> Result<crate::month::Month, Response> {
    match param(req, "month") {
        Some(m) => crate::month::Month::parse(m).map_err(|e| invalid("月份格式应为 YYYY-MM", e)),
        None => Ok(crate::month::Month::of_ms(now)),
    }
}
