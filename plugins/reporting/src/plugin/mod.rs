//! Reporting as a Bantong plugin: the routes, the drafting schedule, the
//! reads of other modules, rendering through the host and the portal views,
//! over the pure logic of the crate. `manifest.toml` declares the same
//! routes, collections, schedules and views.
//!
//! Who does what (the platform's role names, district-wide): `inspector`
//! and `district-admin` draft, edit and submit; `district-admin` reviews
//! and issues; `leader` approves. A report is issued to every leader and to
//! every hall; a hall's `hall-manager` reads what was issued to the hall
//! and confirms receipt.

mod command;
mod draft;
mod generate;
mod lists;
mod reports;
mod schedule;
mod views;

use bantong_sdk::{Caller, Event, Job, Plugin, Request, Response, Router, View, export_plugin};

/// The plugin.
pub struct Reporting;

impl Plugin for Reporting {
    fn handle(req: Request) -> Response {
        router().handle(req)
    }

    fn on_event(ev: Event) -> Result<(), String> {
        if ev.topic == generate::TOPIC {
            generate::on_stage(&ev).map_err(|r| String::from_utf8_lossy(&r.body).into_owned())
        } else {
            Ok(())
        }
    }

    fn on_job(job: Job) -> Result<(), String> {
        let text = |r: Response| String::from_utf8_lossy(&r.body).into_owned();
        match job.name.as_str() {
            "draft-monthly" => schedule::draft_monthly(job.scheduled_at).map_err(text),
            "draft-operation" => schedule::draft_operation(job.scheduled_at).map_err(text),
            "draft-evaluation" => schedule::draft_evaluation(job.scheduled_at).map_err(text),
            "draft-annual" => schedule::draft_annual(job.scheduled_at).map_err(text),
            "draft-annual-operation" => {
                schedule::draft_annual_operation(job.scheduled_at).map_err(text)
            }
            "deadline" => schedule::deadline(job.scheduled_at).map_err(text),
            other => Err(format!("unknown schedule {other}")),
        }
    }

    fn views() -> Vec<View> {
        views::all()
    }
}

export_plugin!(Reporting);

/// Every route; `manifest.toml` declares the same list.
pub fn router() -> Router {
    Router::new()
        .get("/reports", reports::list)
        .post("/reports", reports::create)
        .get("/reports/{id}", reports::get)
        .put("/reports/{id}", reports::narrative)
        .post("/reports/{id}/refresh", reports::refresh)
        .post("/reports/{id}/actions", reports::act)
        .post("/reports/{id}/correct", reports::correct)
        .post("/reports/{id}/receipt", reports::receipt)
        .get("/inbox", reports::inbox)
        .get("/command", command::command)
        .get("/problem-lists", lists::list)
        .post("/problem-lists", lists::create)
        .get("/halls", lists::hall_options)
}

/// The reports collection.
pub const REPORTS: &str = "reports";

/// Whether the caller reads every report (the district and its leaders).
pub fn reads_all(c: &Caller) -> bool {
    c.district_wide
        && (c.has_role("inspector") || c.has_role("district-admin") || c.has_role("leader"))
}

/// 403 with a bilingual message.
pub fn forbidden(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::forbidden(format!("{zh} / {en}"))
}

/// 404 with a bilingual message.
pub fn not_found(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::not_found(format!("{zh} / {en}"))
}

/// 422 with a bilingual message.
pub fn invalid(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::validation(format!("{zh} / {en}"))
}
