//! `GET /today`: what the caller must do today, as tiles on the portal's
//! home page (a list view with `tiles: true`): counts with a link to the
//! page where the work is, and for those who watch the figures the
//! month's key figures with their numerator and denominator.
//!
//! - a unit (a hall or a department; window staff, hall managers): orders
//!   to sign, orders under supervision;
//! - an agent: missed calls to call back, callbacks due;
//! - an inspector: returns to approve, overdue orders;
//! - leaders, inspectors and administrators: this month's on-time
//!   completion and satisfaction.

use bantong_sdk::storage::{self, Op, Query};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::{Value, json};

use super::docs::{CALLS, ORDERS};
use super::orders::HANDLING;
use super::stats::report;
use super::{SUPERVISOR, is_agent, sees_all, settings};
use crate::order::State;

/// How many documents a query matches.
fn count(q: Query) -> Result<u64, Response> {
    Ok(storage::query::<Value>(&q.limit(1))?.total)
}

/// A count tile; `tone` is `warn` when something waits.
fn tile(id: &str, zh: &str, en: &str, value: u64, href: &str) -> Value {
    json!({
        "id": id, "label_zh": zh, "label_en": en, "value": value, "href": href,
        "tone": if value > 0 { "warn" } else { "ok" },
    })
}

pub fn today(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let mut tiles = Vec::new();
    let all = sees_all(caller);
    if !all && !caller.halls.is_empty() {
        let mine = |q: Query| q.filter("lead", Op::AnyOf, &caller.halls);
        tiles.push(tile(
            "to-sign",
            "待签收工单",
            "Orders to sign",
            count(mine(Query::new(ORDERS).filter(
                "state",
                Op::Eq,
                State::Dispatched,
            )))?,
            "/v/hotline/inbox",
        ));
        tiles.push(tile(
            "supervised",
            "督办中的工单",
            "Orders under supervision",
            count(mine(
                Query::new(ORDERS)
                    .filter("state", Op::AnyOf, HANDLING)
                    .filter("supervision", Op::Ge, 1),
            ))?,
            "/v/hotline/supervision",
        ));
    }
    if is_agent(caller) {
        tiles.push(tile(
            "missed-calls",
            "未回拨的未接来电",
            "Missed calls to return",
            count(Query::new(CALLS).filter("abandoned", Op::Eq, 1).filter(
                "called_back",
                Op::Eq,
                0,
            ))?,
            "/v/hotline/missed-calls",
        ));
        tiles.push(tile(
            "callbacks",
            "待回访工单",
            "Callbacks due",
            count(
                Query::new(ORDERS)
                    .filter("state", Op::AnyOf, [State::Replied, State::Closed])
                    .filter("called_back", Op::Eq, 0),
            )?,
            "/v/hotline/callbacks-due",
        ));
    }
    if all && caller.has_role(SUPERVISOR) {
        tiles.push(tile(
            "returns",
            "待审核的退单",
            "Returns to approve",
            count(Query::new(ORDERS).filter("state", Op::Eq, State::Returned))?,
            "/v/hotline/orders?state=returned",
        ));
        tiles.push(tile(
            "overdue",
            "超期工单",
            "Overdue orders",
            count(
                Query::new(ORDERS)
                    .filter("state", Op::AnyOf, HANDLING)
                    .filter("supervision", Op::Ge, 2),
            )?,
            "/v/hotline/supervision",
        ));
    }
    if all
        && (caller.has_role(SUPERVISOR)
            || caller.has_role("leader")
            || caller.has_role("district-admin"))
    {
        let now = clock::now();
        let (y, m, _) = bantong_hall_kit::time::local_date(now);
        let period = crate::kpi::Period::parse(&format!("{y:04}-{m:02}"))
            .map_err(|e| super::invalid("统计期无效", e))?;
        let r = settings::load()?;
        let month = report(period, now, &r.settings.kpi)?;
        // Last month, for the trend.
        let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        let before = crate::kpi::Period::parse(&format!("{py:04}-{pm:02}"))
            .map_err(|e| super::invalid("统计期无效", e))?;
        let last = report(before, now, &r.settings.kpi)?;
        for (id, zh, en, figure, previous) in [
            (
                "on-time",
                "本月按时办结率",
                "On-time completion this month",
                &month.overall.on_time_completion,
                &last.overall.on_time_completion,
            ),
            (
                "satisfaction",
                "本月满意率",
                "Satisfaction this month",
                &month.overall.satisfaction,
                &last.overall.satisfaction,
            ),
        ] {
            tiles.push(json!({
                "id": id, "label_zh": zh, "label_en": en, "figure": figure,
                "previous": previous, "href": "/v/hotline/kpi",
            }));
        }
    }
    Ok(Response::ok(
        &json!({ "items": tiles, "total": tiles.len() }),
    ))
}

/// Per-unit counts from one grouped aggregate (the unit first).
fn by_unit(a: storage::Aggregate) -> Result<std::collections::BTreeMap<String, u64>, Response> {
    let mut out = std::collections::BTreeMap::new();
    for g in storage::aggregate(&a)? {
        let n = g.value(0).map_or(0, |v| v.max(0.0) as u64);
        let unit = g.key_str(0).unwrap_or("").to_owned();
        *out.entry(unit).or_default() += n;
    }
    Ok(out)
}

/// `GET /live`: the district's command screen's hotline part — today's
/// calls about each hall, and the orders each unit is handling (overdue
/// among them), with the district's totals (calls not about a hall, orders
/// not yet dispatched). A unit sees only its own lines.
pub fn live(req: Request) -> HandlerResult {
    use storage::Aggregate;
    let caller = req.require_caller()?;
    let all = sees_all(caller);
    if !all && caller.halls.is_empty() {
        return Err(super::forbidden(
            "无权查看热线运行情况",
            "no access to the hotline's figures",
        ));
    }
    let now = clock::now();
    let day_start = bantong_hall_kit::time::day_start_ms(now);
    let calls = by_unit(
        Aggregate::new(CALLS)
            .filter("offered_ms", Op::Ge, day_start)
            .group_by("hall")
            .count(),
    )?;
    let handling = by_unit(
        Aggregate::new(ORDERS)
            .filter("state", Op::AnyOf, HANDLING)
            .group_by("lead")
            .count(),
    )?;
    let overdue = by_unit(
        Aggregate::new(ORDERS)
            .filter("state", Op::AnyOf, HANDLING)
            .filter("due_ms", Op::Lt, now)
            .group_by("lead")
            .count(),
    )?;
    let units: Vec<String> = if all {
        calls
            .keys()
            .chain(handling.keys())
            .filter(|u| !u.is_empty())
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        caller.halls.clone()
    };
    let n = |m: &std::collections::BTreeMap<String, u64>, u: &str| m.get(u).copied().unwrap_or(0);
    let items: Vec<Value> = units
        .iter()
        .map(|u| {
            json!({
                "unit": u,
                "calls_today": n(&calls, u),
                "open_orders": n(&handling, u),
                "overdue_orders": n(&overdue, u),
            })
        })
        .collect();
    let mut body = json!({ "at_ms": now, "items": items });
    if all {
        body["calls_today"] = json!(calls.values().sum::<u64>());
        body["open_orders"] = json!(count(Query::new(ORDERS).filter(
            "state",
            Op::AnyOf,
            super::orders::OPEN
        ))?);
    }
    Ok(Response::ok(&body))
}
