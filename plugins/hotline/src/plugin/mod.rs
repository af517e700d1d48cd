//! The hotline as a Bantong plugin: HTTP routes, storage, events, the
//! supervision schedule and the portal views, over the pure logic of the
//! crate ([`crate::order`], [`crate::calls`], [`crate::kpi`],
//! [`crate::knowledge`]). `manifest.toml` declares the same routes,
//! collections, topics and views.
//!
//! Roles (the platform's role names) map onto the order's roles:
//! `hotline-agent` acts as an agent (话务员), `inspector` as a supervisor
//! (督办), staff with a unit in their hall scope (`hall-manager`,
//! `window-staff`, …) as that unit (承办单位). Departments are scopes in
//! the platform's identity like halls, so a department's staff see only
//! their own orders. Units only ever see the orders they lead.

mod callbacks;
mod calls;
mod docs;
mod export;
mod kb;
mod orders;
mod settings;
mod stats;
mod today;
mod views;

use bantong_sdk::{Caller, Job, Plugin, Request, Response, Router, View, export_plugin};

use crate::order::{OrderError, Role};

pub use docs::{CallDoc, CallStatus, CallbackDoc, Channel, DispatchDoc, OrderDoc, caller_key};
pub use settings::{Settings, default_catalogue};
pub use stats::Cell;

/// The plugin.
pub struct Hotline;

impl Plugin for Hotline {
    fn handle(req: Request) -> Response {
        router().handle(req)
    }

    fn on_job(job: Job) -> Result<(), String> {
        match job.name.as_str() {
            "supervise" => orders::sweep(job.scheduled_at)
                .map(|_| ())
                .map_err(|r| String::from_utf8_lossy(&r.body).into_owned()),
            other => Err(format!("unknown schedule {other}")),
        }
    }

    fn views() -> Vec<View> {
        views::all()
    }
}

export_plugin!(Hotline);

/// Every route; `manifest.toml` declares the same list.
pub fn router() -> Router {
    Router::new()
        // intake and orders
        .get("/categories", orders::categories)
        .post("/orders", orders::create)
        .post("/intake/web", orders::intake_web)
        .post("/intake/messages", orders::intake_message)
        .get("/orders", orders::list)
        .get("/orders/{id}", orders::detail)
        .post("/orders/{id}/actions", orders::act)
        .get("/inbox", orders::inbox)
        .get("/supervision", orders::supervision)
        .post("/supervision/sweep", orders::sweep_now)
        .get("/callers/{number}", orders::caller_history)
        // callbacks
        .post("/orders/{id}/callbacks", callbacks::record)
        .get("/callbacks/due", callbacks::due)
        // telephony
        .post("/telephony/events", calls::events)
        .get("/seats", calls::seats)
        .get("/calls", calls::list)
        .get("/calls/live", calls::live)
        .patch("/calls/{id}", calls::wrap_up)
        .get("/missed-calls", calls::missed)
        .post("/missed-calls/{id}/called-back", calls::called_back)
        // knowledge base
        .get("/today", today::today)
        .get("/live", today::live)
        .get("/knowledge", kb::search)
        .get("/service-items", kb::service_items)
        .post("/knowledge", kb::create)
        .get("/knowledge/{id}", kb::get)
        .put("/knowledge/{id}", kb::revise)
        .get("/knowledge/{id}/versions/{version}", kb::version)
        // KPIs and exports
        .get("/kpi", stats::kpi)
        .get("/kpi/chart", stats::chart)
        .get("/export/orders.xlsx", export::orders)
        .get("/export/kpi.xlsx", export::kpi)
}

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// The hotline-agent role.
pub const AGENT: &str = "hotline-agent";
/// The supervisor role.
pub const SUPERVISOR: &str = "inspector";

/// A refused order operation as an HTTP answer: 409 for the state machine,
/// 403 for roles, 422 for input; the message is Chinese, then English.
pub fn order_error(e: OrderError) -> Response {
    let (status, code, zh) = match &e {
        OrderError::IllegalTransition { .. } => {
            (409, "illegal_transition", "工单当前状态不允许此操作")
        }
        OrderError::ApprovalPending { .. } => (409, "approval_pending", "工单有待审核的申请"),
        OrderError::ClockWentBack { .. } => {
            (409, "clock_went_back", "操作时间早于工单的上一次操作")
        }
        OrderError::Forbidden { .. } | OrderError::CreateForbidden { .. } => {
            (403, "forbidden", "无权进行此操作")
        }
        OrderError::UnknownCategory { .. } => (422, "validation_failed", "未知的诉求类别"),
        OrderError::UnknownUnit { .. } => (422, "validation_failed", "未知的承办单位"),
        OrderError::DepartmentMatterToHall { .. } => {
            (422, "validation_failed", "部门职责事项不得派往乡镇(街道)")
        }
        OrderError::InvalidPhone { .. } => (422, "validation_failed", "电话号码格式不正确"),
        _ => (422, "validation_failed", "输入有误"),
    };
    Response::error(status, code, format!("{zh} / {e}"))
}

/// Whether the caller is a hotline agent.
pub fn is_agent(c: &Caller) -> bool {
    c.has_role(AGENT)
}

/// Whether the caller sees every order (agents, supervisors, leaders,
/// district administrators).
pub fn sees_all(c: &Caller) -> bool {
    // Another module reads only the routes published to modules
    // (`module-read` in the manifest), and only when the operator granted it.
    c.module().is_some()
        || c.district_wide
            && (c.has_role(AGENT)
                || c.has_role(SUPERVISOR)
                || c.has_role("leader")
                || c.has_role("district-admin"))
}

/// The units a caller acts for: the halls (and department scopes) in its
/// scope, named explicitly.
pub fn units_of(c: &Caller) -> &[String] {
    &c.halls
}

/// The role the caller acts in towards an order whose lead is `lead`, for
/// viewing (confidential callers are masked for units).
pub fn viewing_role(c: &Caller, lead: Option<&str>) -> Option<Role> {
    if is_agent(c) {
        return Some(Role::Agent);
    }
    if c.has_role(SUPERVISOR) && c.district_wide {
        return Some(Role::Supervisor);
    }
    if let Some(lead) = lead
        && units_of(c).iter().any(|u| u == lead)
    {
        return Some(Role::Unit(lead.to_owned()));
    }
    if sees_all(c) {
        return Some(Role::Admin);
    }
    None
}

/// Parses `offset` and `limit` (default 20, at most 200).
pub fn paging(req: &Request) -> Result<(u32, u32), Response> {
    let offset = req.query_parse::<u32>("offset")?.unwrap_or(0);
    let limit = req.query_parse::<u32>("limit")?.unwrap_or(20).clamp(1, 200);
    Ok((offset, limit))
}

/// A non-empty query parameter.
pub fn param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_param(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// 403 with a bilingual message.
pub fn forbidden(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::forbidden(format!("{zh} / {en}"))
}

/// 422 with a bilingual message.
pub fn invalid(zh: &str, en: impl std::fmt::Display) -> Response {
    Response::validation(format!("{zh} / {en}"))
}
