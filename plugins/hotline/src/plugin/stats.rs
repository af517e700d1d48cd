//! KPIs through the store's grouped aggregates: the counting runs in the
//! database, next to the data, and only the groups cross into the plugin,
//! where [`crate::kpi::assemble`] turns them into the same figures (with
//! numerators, denominators and definitions) as [`crate::kpi::compute`].
//!
//! Each figure's counters come from one aggregate over one collection,
//! filtered by the instant the figure is about (received, sign-for due,
//! due, replied, dispatched, offered, rated) and grouped by (unit,
//! category); see [`KPI_QUERIES`] for the list. The KPI flags the queries
//! sum (`signed_on_time`, `replied_on_time`, `called_back`, `returned`,
//! `answered`, …) are kept on the documents by every transition.

use std::collections::BTreeMap;

use bantong_sdk::storage::{self, Aggregate, Group, Op};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::{Value, json};

use super::docs::{CALLBACKS, CALLS, DISPATCHES, ORDERS};
use super::{forbidden, invalid, param, sees_all, settings};
use crate::kpi::{Excluded, KpiConfig, Period, Report, Tally, assemble};

/// The aggregates one report runs, in order.
pub const KPI_QUERIES: &[&str] = &[
    "orders received in the period, by lead and category: count",
    "orders whose sign-for deadline fell in the period and passed (not merged): count, Σ signed_on_time",
    "orders whose due time fell in the period and passed (not merged): count, Σ replied_on_time",
    "orders replied in the period: count, Σ called_back",
    "dispatches started in the period, by unit and category: count, Σ returned",
    "calls offered in the period (ended), by hall and category: count, Σ answered, Σ abandoned, Σ answered_wait_ms, Σ handle_ms, Σ fcr",
    "answered calls offered in the period with wait ≤ answer_within_s: count",
    "abandoned calls offered in the period with wait < short_abandon_s: count",
    "callbacks with a score in the period, by lead and category: count",
    "callbacks with a satisfied score in the period: count",
];

/// One (unit, category) cell of counters.
pub type Cell = (Option<String>, Option<String>, Tally);

fn key(g: &Group, i: usize) -> Option<String> {
    g.key_str(i).map(str::to_owned)
}

fn n(g: &Group, i: usize) -> u64 {
    // Counts and sums of 0/1 flags and milliseconds: whole numbers.
    g.value(i).map_or(0, |v| {
        if v.is_finite() && v > 0.0 {
            v.round() as u64
        } else {
            0
        }
    })
}

/// Runs `agg` grouped by (`unit_field`, `category`) and adds each group's
/// values to the cells through `add`.
fn collect(
    cells: &mut BTreeMap<(Option<String>, Option<String>), Tally>,
    agg: Aggregate,
    unit_field: &str,
    add: impl Fn(&mut Tally, &Group),
) -> Result<(), Response> {
    let groups = storage::aggregate(&agg.group_by(unit_field).group_by("category"))?;
    for g in &groups {
        let t = cells.entry((key(&g, 0), key(&g, 1))).or_default();
        add(t, g);
    }
    Ok(())
}

/// The counters of every (unit, category) cell of `[start, end)`, with
/// deadlines judged as of `as_of`.
pub fn cells(start: i64, end: i64, as_of: i64, config: &KpiConfig) -> Result<Vec<Cell>, Response> {
    let mut cells = BTreeMap::new();
    let passed_end = end.min(as_of);
    let range = |a: Aggregate, field: &str, to: i64| {
        a.filter(field, Op::Ge, start).filter(field, Op::Lt, to)
    };

    collect(
        &mut cells,
        range(Aggregate::new(ORDERS), "received_ms", end).count(),
        "lead",
        |t, g| {
            t.orders_received += n(g, 0);
        },
    )?;
    if passed_end > start {
        collect(
            &mut cells,
            range(Aggregate::new(ORDERS), "sign_due_ms", passed_end)
                .filter("merged", Op::Eq, 0)
                .count()
                .sum("signed_on_time"),
            "lead",
            |t, g| {
                t.sign_due += n(g, 0);
                t.sign_on_time += n(g, 1);
            },
        )?;
        collect(
            &mut cells,
            range(Aggregate::new(ORDERS), "due_ms", passed_end)
                .filter("merged", Op::Eq, 0)
                .count()
                .sum("replied_on_time"),
            "lead",
            |t, g| {
                t.reply_due += n(g, 0);
                t.reply_on_time += n(g, 1);
            },
        )?;
    }
    collect(
        &mut cells,
        range(Aggregate::new(ORDERS), "replied_ms", end)
            .count()
            .sum("called_back"),
        "lead",
        |t, g| {
            t.replied += n(g, 0);
            t.called_back += n(g, 1);
        },
    )?;
    collect(
        &mut cells,
        range(Aggregate::new(DISPATCHES), "start_ms", end)
            .count()
            .sum("returned"),
        "unit",
        |t, g| {
            t.dispatches += n(g, 0);
            t.returned += n(g, 1);
        },
    )?;
    let calls =
        || range(Aggregate::new(CALLS), "offered_ms", end).filter("status", Op::Eq, "ended");
    collect(
        &mut cells,
        calls()
            .count()
            .sum("answered")
            .sum("abandoned")
            .sum("answered_wait_ms")
            .sum("handle_ms")
            .sum("fcr"),
        "hall",
        |t, g| {
            t.offered += n(g, 0);
            t.answered += n(g, 1);
            t.abandoned += n(g, 2);
            t.wait_ms += n(g, 3);
            t.handle_ms += n(g, 4);
            t.fcr += n(g, 5);
        },
    )?;
    let within_ms = i64::from(config.answer_within_s) * 1_000;
    collect(
        &mut cells,
        calls()
            .filter("answered", Op::Eq, 1)
            .filter("wait_ms", Op::Le, within_ms)
            .count(),
        "hall",
        |t, g| t.within += n(g, 0),
    )?;
    let short_ms = i64::from(config.short_abandon_s) * 1_000;
    collect(
        &mut cells,
        calls()
            .filter("abandoned", Op::Eq, 1)
            .filter("wait_ms", Op::Lt, short_ms)
            .count(),
        "hall",
        |t, g| t.short_abandons += n(g, 0),
    )?;
    let rated = || range(Aggregate::new(CALLBACKS), "at_ms", end).filter("score", Op::Ge, 1);
    collect(&mut cells, rated().count(), "lead", |t, g| {
        t.rated += n(g, 0)
    })?;
    let satisfied_from = if config.basic_counts_as_satisfied {
        3
    } else {
        4
    };
    collect(
        &mut cells,
        rated().filter("score", Op::Ge, satisfied_from).count(),
        "lead",
        |t, g| t.satisfied += n(g, 0),
    )?;
    Ok(cells.into_iter().map(|((h, c), t)| (h, c, t)).collect())
}

/// The report of a period as of an instant.
pub fn report(period: Period, as_of: i64, config: &KpiConfig) -> Result<Report, Response> {
    let Some((start, end)) = period.range_ms() else {
        return Err(invalid(
            "统计期无效",
            format!("period {period} does not exist"),
        ));
    };
    let cells = cells(start, end, as_of, config)?;
    assemble(cells, period, as_of, config, Excluded::default())
        .map_err(|e| invalid("统计参数有误", e))
}

/// Reads `period` (`YYYY-MM` or `YYYY-MM-DD`, default this month) and
/// `as_of` (ms, default now) from the query.
pub fn period_of(req: &Request) -> Result<(Period, i64), Response> {
    let now = clock::now();
    let period = match param(req, "period") {
        Some(p) => {
            Period::parse(p).map_err(|e| invalid("统计期格式应为 YYYY-MM 或 YYYY-MM-DD", e))?
        }
        None => {
            let (y, m, _) = bantong_hall_kit::time::local_date(now);
            Period::parse(&format!("{y:04}-{m:02}")).map_err(|e| invalid("统计期无效", e))?
        }
    };
    let as_of = req.query_parse::<i64>("as_of")?.unwrap_or(now);
    Ok((period, as_of))
}

/// `GET /kpi?period=2025-10&as_of=`: overall, by unit and by category.
pub fn kpi(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) {
        return Err(forbidden(
            "无权查看热线指标",
            "agents, supervisors, leaders and admins only",
        ));
    }
    let (period, as_of) = period_of(&req)?;
    let r = settings::load()?;
    let report = report(period, as_of, &r.settings.kpi)?;
    Ok(Response::ok(&report))
}

/// `GET /kpi/chart?period=`: on-time completion and satisfaction by unit,
/// as percentages, for the chart view.
pub fn chart(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) {
        return Err(forbidden(
            "无权查看热线指标",
            "agents, supervisors, leaders and admins only",
        ));
    }
    let (period, as_of) = period_of(&req)?;
    let r = settings::load()?;
    let report = report(period, as_of, &r.settings.kpi)?;
    let pct = |v: Option<f64>| v.map(|v| (v * 1000.0).round() / 10.0);
    let groups: Vec<Value> = report
        .by_hall
        .iter()
        .map(|(unit, k)| {
            let name = r.catalogue.unit(unit).map_or(unit.as_str(), |u| u.name.as_str());
            json!({
                "keys": [name],
                "values": [pct(k.on_time_completion.value), pct(k.satisfaction.value), k.orders_received],
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "period": report.period, "groups": groups }),
    ))
}
