//! Training and the cloud exam as a Bantong plugin: HTTP routes, storage,
//! the sweep schedule, notices and the portal views, over the pure logic
//! of the crate. `manifest.toml` declares the same routes, collections and
//! views.
//!
//! Who does what (the platform's role names):
//! - a trainer — `hr-officer` or `district-admin` — keeps the question
//!   bank (a second trainer reviews each question), sets exams, marks
//!   short answers without seeing names, reads the analysis and assigns
//!   follow-up training. A district-wide trainer acts for every hall; a
//!   hall's trainer only for the own halls (the host's hall scope on
//!   storage keeps other halls' sittings out of reach);
//! - `leader` (district-wide) and a hall's `hall-manager` read results and
//!   analysis (their halls);
//! - everyone else is staff: they see the exams they are candidates of,
//!   sit them on a phone, and see their own results, gaps and
//!   assignments — never anyone else's.

mod assignments;
mod bank;
mod certification;
mod classes;
mod docs;
mod exams;
mod figures;
mod marking;
mod mine;
mod report;
mod settings;
mod sitting;
mod spot;
mod sweep;
mod views;

use bantong_sdk::{Caller, Event, Job, Plugin, Request, Response, Router, View, export_plugin};

pub use docs::{AttemptDoc, ExamDoc, PoolDoc, QuestionDoc};
pub use settings::Settings;

/// The plugin.
pub struct Training;

impl Plugin for Training {
    fn handle(req: Request) -> Response {
        router().handle(req)
    }

    fn on_event(_ev: Event) -> Result<(), String> {
        Ok(())
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

export_plugin!(Training);

/// Every route; `manifest.toml` declares the same list.
pub fn router() -> Router {
    Router::new()
        // the question bank
        .get("/questions", bank::list)
        .post("/questions", bank::create)
        .get("/questions/template.xlsx", bank::template)
        .post("/questions/import", bank::import)
        .get("/questions/{id}", bank::get)
        .put("/questions/{id}", bank::edit)
        .post("/questions/{id}/review", bank::review)
        .get("/knowledge", bank::knowledge)
        // exams
        .get("/exams", exams::list)
        .post("/exams", exams::create)
        .get("/exams/{id}", exams::get)
        .post("/exams/{id}/cancel", exams::cancel)
        .post("/exams/{id}/close", exams::close)
        .get("/exams/{id}/sittings", exams::sittings)
        .get("/exams/{id}/analysis", exams::analysis)
        // marking
        .get("/marking", marking::queue)
        .post("/marking", marking::mark)
        // follow-up training and materials
        .get("/assignments", assignments::list)
        .post("/assignments", assignments::create)
        .get("/materials", assignments::materials)
        .post("/materials", assignments::add_material)
        // plans, classes and signing in
        .get("/plans", classes::plans)
        .post("/plans", classes::create_plan)
        .get("/plans/{id}", classes::plan)
        .get("/classes", classes::classes)
        .post("/classes", classes::create_class)
        .get("/classes/{id}", classes::class)
        .post("/classes/{id}/sign-in", classes::sign_in)
        .post("/classes/{id}/attendance", classes::record)
        .get("/syllabus", classes::syllabus)
        // 实操抽查
        .get("/spot-checks", spot::list)
        .post("/spot-checks", spot::create)
        .get("/spot-checks/rechecks", spot::rechecks)
        // staff: my trainings, syllabus and spot checks
        .get("/my/trainings", classes::my_trainings)
        .get("/my/syllabus", classes::my_syllabus)
        .get("/my/spot-checks", spot::mine)
        // staff: my exams, my sitting, my results and gaps
        .get("/my/exams", mine::exams)
        .get("/my/exams/{id}", mine::exam)
        .post("/my/exams/{id}/start", sitting::start)
        .get("/my/exams/{id}/sitting", sitting::resume)
        .put("/my/exams/{id}/answers/{slot}", sitting::answer)
        .post("/my/exams/{id}/away", sitting::away)
        .post("/my/exams/{id}/submit", sitting::submit)
        .get("/my/results", mine::results)
        .get("/my/results/{id}", mine::result)
        .get("/my/mastery", mine::mastery)
        .get("/my/assignments", mine::assignments)
        .post("/my/assignments/{id}/done", mine::done)
        // 行政办事员 certification
        .get("/certification/staff", certification::list)
        .put("/certification/staff/{id}", certification::record)
        .get("/certification/batches", certification::batches)
        .post("/certification/batches", certification::enrol)
        .get("/certification/batches/{id}", certification::batch)
        .post("/certification/batches/{id}/results", certification::result)
        .get("/certification/rate", certification::rate)
        // figures for the portal and the reporting module
        .get("/figures", figures::figures)
        .get("/reports/monthly.pdf", report::monthly)
        .get("/reports/monthly.docx", report::monthly)
        .get("/reports/monthly.xlsx", report::monthly)
        .post("/sweep", sweep::now)
}

/// The roles that keep the bank and set exams.
pub const TRAINER_ROLES: [&str; 2] = ["hr-officer", "district-admin"];

/// Whether the caller keeps the bank and sets exams (for the halls in
/// scope).
pub fn is_trainer(c: &Caller) -> bool {
    TRAINER_ROLES.iter().any(|r| c.has_role(r))
}

/// Whether the caller reads results and analysis (of the halls in scope):
/// a trainer, a leader, a hall manager, or a module reading a published
/// route.
pub fn is_reader(c: &Caller) -> bool {
    is_trainer(c) || c.has_role("leader") || c.has_role("hall-manager") || c.module().is_some()
}

/// 403 unless the caller is a trainer.
pub fn require_trainer(c: &Caller) -> Result<(), Response> {
    if is_trainer(c) {
        Ok(())
    } else {
        Err(forbidden(
            "仅培训专员或管理员可以操作",
            "training officers and administrators only",
        ))
    }
}

/// 403 unless the caller reads results.
pub fn require_reader(c: &Caller) -> Result<(), Response> {
    if is_reader(c) {
        Ok(())
    } else {
        Err(forbidden(
            "无权查看培训考试数据",
            "no access to training data",
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

/// 422 with a message.
pub fn invalid(message: impl std::fmt::Display) -> Response {
    Response::validation(message.to_string())
}

/// 404 with a bilingual message.
pub fn not_found(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::not_found(format!("{zh} / {en}"))
}

/// 409 with a code and a message.
pub fn conflict(code: &str, message: impl Into<String>) -> Response {
    Response::error(409, code, message)
}
