//! KPIs through the store's grouped aggregates: the counting runs in the
//! database, next to the data, and only the groups cross into the plugin,
//! where [`crate::kpi::assemble`] turns them into the same figures (with
//! numerators, denominators and definitions) as [`crate::kpi::compute`].
//!
//! Each figure's counters come from one aggregate over one collection,
//! filtered by the instant the figure is about and grouped by (unit,
//! category): [`crate::kpi_queries`] defines them, once for the plugin and
//! the benchmark's native baseline. The KPI flags the queries sum
//! (`signed_on_time`, `replied_on_time`, `called_back`, `returned`,
//! `answered`, …) are kept on the documents by every transition.

use std::collections::BTreeMap;

use bantong_sdk::storage::{self, Aggregate, Group, Op};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::{Value, json};

use super::{forbidden, invalid, param, sees_all, settings};
use crate::kpi::{Excluded, KpiConfig, Period, Report, Tally, assemble};
use crate::kpi_queries::{CATEGORY, Cmp, KpiQuery, Metric, kpi_queries, whole};

/// One (unit, category) cell of counters.
pub type Cell = (Option<String>, Option<String>, Tally);

/// Runs one query through the storage capability.
fn run(q: &KpiQuery) -> Result<Vec<Group>, Response> {
    let mut agg = Aggregate::new(q.collection);
    for f in &q.filters {
        let op = match f.cmp {
            Cmp::Eq => Op::Eq,
            Cmp::Lt => Op::Lt,
            Cmp::Le => Op::Le,
            Cmp::Ge => Op::Ge,
        };
        agg = agg.filter(f.field, op, &f.value);
    }
    agg = agg.group_by(q.unit_field).group_by(CATEGORY);
    for m in &q.metrics {
        agg = match m {
            Metric::Count => agg.count(),
            Metric::Sum(field) => agg.sum(field),
        };
    }
    Ok(storage::aggregate(&agg)?)
}

/// The counters of every (unit, category) cell of `[start, end)`, with
/// deadlines judged as of `as_of` ([`kpi_queries`]).
pub fn cells(start: i64, end: i64, as_of: i64, config: &KpiConfig) -> Result<Vec<Cell>, Response> {
    let mut cells: BTreeMap<(Option<String>, Option<String>), Tally> = BTreeMap::new();
    for q in kpi_queries(start, end, as_of, config) {
        for g in run(&q)? {
            let values: Vec<u64> = g.values.iter().map(|v| whole(*v)).collect();
            let key = (
                g.key_str(0).map(str::to_owned),
                g.key_str(1).map(str::to_owned),
            );
            (q.fold)(cells.entry(key).or_default(), &values);
        }
    }
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
            // Orders with no lead unit yet are grouped under a name a
            // reader understands, never the internal key.
            let name = match r.catalogue.unit(unit) {
                Some(u) => u.name.as_str(),
                None if unit == crate::kpi::UNSPECIFIED => "未指定承办单位",
                None => unit.as_str(),
            };
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
