//! 访客登记 (hall visitor log): a third-party plugin written with nothing but
//! `bantong-sdk`. Window staff register visitors, mark them as gone, and the
//! portal shows a list, a registration form and a chart of visits by purpose.

mod visit;

use bantong_sdk::storage::{self, Aggregate, Direction, Document, Op, Query, Write};
use bantong_sdk::{
    HandlerResult, Method, Plugin, Request, Response, Router, View, clock, config, export_plugin,
    log,
};
use serde_json::json;

pub use visit::{NewVisit, Settings, Status, Visit, is_mainland_mobile, mask_phone};

/// The one collection this plugin stores.
pub const VISITS: &str = "visits";

/// Default and largest page size of `GET /visits`.
const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

/// The plugin.
pub struct VisitorLog;

impl Plugin for VisitorLog {
    fn handle(req: Request) -> Response {
        router().handle(req)
    }

    fn views() -> Vec<View> {
        vec![
            View::list("visits", "访客登记", "Visitor log", "/visits")
                .column("name", "姓名", "Name")
                .column_typed("purpose", "来访事由", "Purpose", "tag")
                .column("phone", "手机号", "Phone")
                .column_typed("status", "状态", "Status", "tag")
                .column_typed("arrived_at", "到达时间", "Arrived", "datetime")
                .column_typed("left_at", "离开时间", "Left", "datetime")
                .filter_text("purpose", "来访事由", "Purpose")
                .filter_select("status", "状态", "Status", &[("in", "在厅", "In the hall"), ("left", "已离开", "Left")])
                .default_sort("_created", Direction::Desc)
                .page_size(DEFAULT_LIMIT),
            View::form("new-visit", "新增访客登记", "Register a visitor", "/visits")
                .method(Method::Post)
                .options_from("purpose", "/purposes")
                .schema(json!({
                    "type": "object",
                    "required": ["name", "purpose"],
                    "additionalProperties": false,
                    "properties": {
                        "name": { "type": "string", "title": "姓名", "minLength": 1, "maxLength": visit::MAX_NAME_CHARS },
                        "purpose": { "type": "string", "title": "来访事由" },
                        "phone": { "type": "string", "title": "手机号", "pattern": "^1[3-9][0-9]{9}$" }
                    }
                })),
            View::chart("visit-stats", "访客统计", "Visits by purpose", "/visits/stats")
                .chart_type("bar")
                .group_by("purpose", "来访事由", "Purpose")
                .metric(storage::AggregateFn::Count, None, "人次", "Visits"),
        ]
    }
}

export_plugin!(VisitorLog);

/// Every route; `manifest.toml` declares the same list.
pub fn router() -> Router {
    Router::new()
        .post("/visits", register)
        .get("/visits", list)
        .get("/visits/stats", stats)
        .patch("/visits/{id}/leave", leave)
        .get("/purposes", purposes)
}

fn settings() -> Result<Settings, Response> {
    Ok(config::get()?)
}

/// `POST /visits`: validates and stores a visit in the chosen hall.
fn register(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let input: NewVisit = req.json()?;
    let hall = input
        .hall
        .clone()
        .or_else(|| req.hall.clone())
        .ok_or_else(|| Response::validation("请选择服务大厅 / hall is required"))?;
    if !caller.can_act_for(&hall) {
        return Err(Response::forbidden(format!(
            "无权为该大厅登记 / you may not register visitors for hall {hall}"
        )));
    }
    let input = input
        .validate(&settings()?)
        .map_err(|problems| Response::validation(problems.join("；")))?;
    let visit = Visit {
        name: input.name,
        purpose: input.purpose,
        phone: input.phone,
        status: Status::In,
        arrived_at: clock::now(),
        left_at: None,
        registered_by: caller.username.clone(),
    };
    let stored = storage::put(VISITS, Write::new(visit).hall(hall))?;
    log::write(
        log::Level::Info,
        "visitor registered",
        &[("visit", &stored.id), ("purpose", &stored.body.purpose)],
    );
    Ok(Response::created(&present(stored)))
}

/// `GET /visits?purpose=&status=&offset=&limit=`: newest first.
fn list(req: Request) -> HandlerResult {
    let status = match req.query_param("status") {
        None | Some("") => None,
        Some("in") => Some(Status::In),
        Some("left") => Some(Status::Left),
        Some(other) => {
            return Err(Response::bad_request(format!(
                "status must be `in` or `left`, not `{other}`"
            )));
        }
    };
    let offset = req.query_parse::<u32>("offset")?.unwrap_or(0);
    let limit = req
        .query_parse::<u32>("limit")?
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, MAX_LIMIT);
    let query = Query::new(VISITS)
        .hall(req.hall())
        .filter_opt(
            "purpose",
            Op::Eq,
            req.query_param("purpose").filter(|p| !p.is_empty()),
        )
        .filter_opt("status", Op::Eq, status)
        .sort_desc("_created")
        .offset(offset)
        .limit(limit);
    let page = storage::query::<Visit>(&query)?;
    let items: Vec<Document<Visit>> = page.items.into_iter().map(present).collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total, "offset": offset, "limit": limit }),
    ))
}

/// `PATCH /visits/{id}/leave`: records the departure once.
fn leave(req: Request) -> HandlerResult {
    let id = req.param("id").unwrap_or_default();
    let Some(doc) = storage::get::<Visit>(VISITS, id)? else {
        return Err(Response::not_found(format!("没有这条登记 / no visit {id}")));
    };
    if doc.body.status == Status::Left {
        return Err(Response::conflict(
            "该访客已登记离开 / the visitor has already left",
        ));
    }
    let mut visit = doc.body;
    visit.status = Status::Left;
    visit.left_at = Some(clock::now());
    // Fails with 409 if someone else changed the visit meanwhile.
    let stored = storage::put(
        VISITS,
        Write::new(visit)
            .id(&doc.id)
            .hall(&doc.hall)
            .expected_version(doc.version),
    )?;
    Ok(Response::ok(&present(stored)))
}

/// `GET /visits/stats`: visits per purpose, for the chart view.
fn stats(req: Request) -> HandlerResult {
    let groups = storage::aggregate(
        &Aggregate::new(VISITS)
            .hall(req.hall())
            .group_by("purpose")
            .count(),
    )?;
    let by_purpose: Vec<_> = groups
        .iter()
        .map(|g| json!({ "purpose": g.key_str(0), "count": g.value(0).unwrap_or(0.0) }))
        .collect();
    Ok(Response::ok(
        &json!({ "groups": groups, "by_purpose": by_purpose }),
    ))
}

/// `GET /purposes`: the hall's configured purposes (the form's choices).
fn purposes(_req: Request) -> HandlerResult {
    Ok(Response::ok(&settings()?.purposes))
}

fn present(doc: Document<Visit>) -> Document<Visit> {
    doc.map(Visit::masked)
}

#[cfg(test)]
mod tests {
    use bantong_sdk::Caller;
    use serde_json::Value;

    use super::*;

    fn call(req: Request) -> (u16, Value) {
        let resp = VisitorLog::handle(req);
        (resp.status, resp.body_json().unwrap_or(Value::Null))
    }

    fn staff() -> Caller {
        Caller::new("u1", "window1")
            .with_role("window-staff")
            .with_hall("hall-1")
    }

    #[test]
    fn registration_checks_come_before_any_host_call() {
        let post = || Request::new(Method::Post, "/visits").with_caller(staff());
        assert_eq!(call(Request::new(Method::Post, "/visits")).0, 401);
        assert_eq!(call(post().with_body("{")).0, 400);
        assert_eq!(call(post().with_json(&json!({ "name": "张三" }))).0, 422);
        let (status, body) =
            call(post().with_json(&json!({ "name": "张三", "purpose": "咨询", "colour": 1 })));
        assert_eq!(status, 422);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("unknown field `colour`")
        );
        let (status, body) = call(post().with_json(&json!({ "name": "张三", "purpose": "咨询" })));
        assert_eq!(status, 422);
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("hall is required")
        );
        let (status, _) =
            call(post().with_json(&json!({ "name": "张三", "purpose": "咨询", "hall": "hall-2" })));
        assert_eq!(status, 403);
    }

    #[test]
    fn list_rejects_bad_paging_and_status() {
        let get = |k: &str, v: &str| call(Request::new(Method::Get, "/visits").with_query(k, v)).0;
        assert_eq!(get("limit", "ten"), 400);
        assert_eq!(get("offset", "-1"), 400);
        assert_eq!(get("status", "gone"), 400);
    }

    #[test]
    fn routes_and_methods() {
        assert_eq!(call(Request::new(Method::Delete, "/visits")).0, 405);
        assert_eq!(call(Request::new(Method::Get, "/visits/v1/leave")).0, 405);
        assert_eq!(call(Request::new(Method::Get, "/elsewhere")).0, 404);
    }

    #[test]
    fn views_are_a_list_a_form_and_a_chart() {
        let kinds: Vec<String> = VisitorLog::views()
            .iter()
            .map(|v| format!("{}:{}", v.id(), v.kind()))
            .collect();
        assert_eq!(
            kinds,
            ["visits:list", "new-visit:form", "visit-stats:chart"]
        );
    }
}
