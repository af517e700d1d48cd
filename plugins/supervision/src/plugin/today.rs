//! `GET /today`: tiles on the portal's home page — for a hall, problems to
//! sign, problems being rectified and 差评 to verify; for the district,
//! reports to review, camera findings to confirm, overdue problems, halls
//! not yet covered this month, phone surveys still to make, and the
//! month's coverage, on-time rate and satisfaction.

use bantong_sdk::storage::{self, Op, Query};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::{Value, json};

use super::docs::{CALLS, CANDIDATES, FOLLOWUPS, PROBLEMS};
use super::{is_district, is_hall, reads_all};
use crate::month::Month;

fn count(q: Query) -> Result<u64, Response> {
    Ok(storage::query::<Value>(&q.limit(1))?.total)
}

fn tile(id: &str, zh: &str, en: &str, value: u64, href: &str) -> Value {
    json!({
        "id": id, "label_zh": zh, "label_en": en, "value": value, "href": href,
        "tone": if value > 0 { "warn" } else { "ok" },
    })
}

pub fn today(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let now = clock::now();
    let mut tiles = Vec::new();
    if is_hall(caller) {
        tiles.push(tile(
            "to-sign",
            "待签收问题",
            "Problems to sign",
            count(Query::new(PROBLEMS).filter("state", Op::Eq, "issued"))?,
            "/v/supervision/problems",
        ));
        tiles.push(tile(
            "rectifying",
            "整改中问题",
            "Problems being rectified",
            count(Query::new(PROBLEMS).filter("state", Op::Eq, "rectifying"))?,
            "/v/supervision/problems",
        ));
        tiles.push(tile(
            "to-verify",
            "待核实差评",
            "Bad ratings to verify",
            count(Query::new(FOLLOWUPS).filter("state", Op::Eq, "verifying"))?,
            "/v/supervision/followups",
        ));
    }
    if is_district(caller) {
        tiles.push(tile(
            "to-review",
            "待复查整改报告",
            "Reports to review",
            count(Query::new(PROBLEMS).filter("state", Op::Eq, "reported"))?,
            "/v/supervision/problems",
        ));
        tiles.push(tile(
            "candidates",
            "待确认视频巡查线索",
            "Camera findings to confirm",
            count(Query::new(CANDIDATES).filter("status", Op::Eq, "pending"))?,
            "/v/supervision/candidates",
        ));
        tiles.push(tile(
            "calls",
            "本月待拨打电话调查",
            "Phone surveys to make this month",
            count(
                Query::new(CALLS)
                    .filter("month", Op::Eq, Month::of_ms(now).to_string())
                    .filter("state", Op::Eq, "pending"),
            )?,
            "/v/supervision/calls",
        ));
    }
    if reads_all(caller) {
        tiles.push(tile(
            "overdue",
            "逾期未销号问题",
            "Overdue problems",
            count(
                Query::new(PROBLEMS)
                    .filter("state", Op::Ne, "closed")
                    .filter("due_ms", Op::Lt, now),
            )?,
            "/v/supervision/problems",
        ));
        let figures = super::scorecard::month_figures(Month::of_ms(now))?;
        for (id, zh, en) in [
            ("coverage", "本月月覆盖率", "Coverage this month"),
            (
                "on_time",
                "本月按期整改率",
                "On-time rectification this month",
            ),
            ("satisfaction", "本月满意率", "Satisfaction this month"),
        ] {
            tiles.push(json!({
                "id": id, "label_zh": zh, "label_en": en,
                "figure": figures["overall"][id], "href": "/v/supervision/scorecard",
            }));
        }
    }
    let total = tiles.len();
    Ok(Response::ok(&json!({ "items": tiles, "total": total })))
}
