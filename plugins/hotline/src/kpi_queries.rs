//! The KPI counters as grouped aggregates over the plugin's collections:
//! one definition, run by the plugin through the storage capability and,
//! natively, by the benchmark's baseline straight against the store.
//!
//! Each [`KpiQuery`] selects the documents of one collection whose instant
//! (received, sign-for due, due, replied, dispatched, offered, rated) falls
//! in the period, groups them by (unit, category) and counts or sums 0/1
//! flags and milliseconds that the plugin keeps on every document; its
//! [`KpiQuery::fold`] adds one group's values to the [`Tally`] of that
//! cell. [`crate::kpi::assemble`] turns the cells into figures.

use serde_json::{Value, json};

use crate::kpi::{KpiConfig, Tally};

/// A comparison of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Ge,
}

/// `field cmp value`; all filters of a query must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: &'static str,
    pub cmp: Cmp,
    pub value: Value,
}

/// What a query computes per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Count,
    Sum(&'static str),
}

/// One aggregate: `SELECT unit, category, metrics… FROM collection WHERE
/// filters GROUP BY unit, category`.
#[derive(Debug, Clone)]
pub struct KpiQuery {
    /// What it counts, for documentation and benchmark output.
    pub what: &'static str,
    pub collection: &'static str,
    /// The unit field grouped by first (`lead`, `unit` or `hall`); the
    /// second group-by field is always `category`.
    pub unit_field: &'static str,
    pub filters: Vec<Filter>,
    pub metrics: Vec<Metric>,
    /// Adds one group's metric values (in `metrics` order) to a cell.
    pub fold: fn(&mut Tally, &[u64]),
}

/// The category group-by field of every query.
pub const CATEGORY: &str = "category";

fn f(field: &'static str, cmp: Cmp, value: impl Into<Value>) -> Filter {
    Filter {
        field,
        cmp,
        value: value.into(),
    }
}

fn at(values: &[u64], i: usize) -> u64 {
    values.get(i).copied().unwrap_or(0)
}

/// The aggregates of one report over `[start_ms, end_ms)` with deadlines
/// judged as of `as_of_ms`.
pub fn kpi_queries(start_ms: i64, end_ms: i64, as_of_ms: i64, config: &KpiConfig) -> Vec<KpiQuery> {
    let range =
        |field: &'static str, to: i64| vec![f(field, Cmp::Ge, start_ms), f(field, Cmp::Lt, to)];
    let with = |mut v: Vec<Filter>, extra: Vec<Filter>| {
        v.extend(extra);
        v
    };
    let passed_end = end_ms.min(as_of_ms);
    let mut queries = vec![KpiQuery {
        what: "orders received in the period: count",
        collection: "orders",
        unit_field: "lead",
        filters: range("received_ms", end_ms),
        metrics: vec![Metric::Count],
        fold: |t, v| t.orders_received += at(v, 0),
    }];
    if passed_end > start_ms {
        queries.push(KpiQuery {
            what: "orders whose sign-for deadline fell in the period and passed, not merged: count, Σ signed_on_time",
            collection: "orders",
            unit_field: "lead",
            filters: with(range("sign_due_ms", passed_end), vec![f("merged", Cmp::Eq, 0)]),
            metrics: vec![Metric::Count, Metric::Sum("signed_on_time")],
            fold: |t, v| {
                t.sign_due += at(v, 0);
                t.sign_on_time += at(v, 1);
            },
        });
        queries.push(KpiQuery {
            what: "orders whose due time fell in the period and passed, not merged: count, Σ replied_on_time",
            collection: "orders",
            unit_field: "lead",
            filters: with(range("due_ms", passed_end), vec![f("merged", Cmp::Eq, 0)]),
            metrics: vec![Metric::Count, Metric::Sum("replied_on_time")],
            fold: |t, v| {
                t.reply_due += at(v, 0);
                t.reply_on_time += at(v, 1);
            },
        });
    }
    queries.push(KpiQuery {
        what: "orders replied in the period: count, Σ called_back",
        collection: "orders",
        unit_field: "lead",
        filters: range("replied_ms", end_ms),
        metrics: vec![Metric::Count, Metric::Sum("called_back")],
        fold: |t, v| {
            t.replied += at(v, 0);
            t.called_back += at(v, 1);
        },
    });
    queries.push(KpiQuery {
        what: "dispatches started in the period: count, Σ returned",
        collection: "dispatches",
        unit_field: "unit",
        filters: range("start_ms", end_ms),
        metrics: vec![Metric::Count, Metric::Sum("returned")],
        fold: |t, v| {
            t.dispatches += at(v, 0);
            t.returned += at(v, 1);
        },
    });
    let calls = |extra: Vec<Filter>| {
        with(
            with(
                range("offered_ms", end_ms),
                vec![f("status", Cmp::Eq, "ended")],
            ),
            extra,
        )
    };
    // Two queries where one would do, so that each reads a single covering
    // index (an index holds at most eight fields).
    queries.push(KpiQuery {
        what: "calls offered in the period: count, Σ answered, abandoned, answered_wait_ms",
        collection: "calls",
        unit_field: "hall",
        filters: calls(vec![]),
        metrics: vec![
            Metric::Count,
            Metric::Sum("answered"),
            Metric::Sum("abandoned"),
            Metric::Sum("answered_wait_ms"),
        ],
        fold: |t, v| {
            t.offered += at(v, 0);
            t.answered += at(v, 1);
            t.abandoned += at(v, 2);
            t.wait_ms += at(v, 3);
        },
    });
    queries.push(KpiQuery {
        what: "calls offered in the period: Σ handle_ms, fcr",
        collection: "calls",
        unit_field: "hall",
        filters: calls(vec![]),
        metrics: vec![Metric::Sum("handle_ms"), Metric::Sum("fcr")],
        fold: |t, v| {
            t.handle_ms += at(v, 0);
            t.fcr += at(v, 1);
        },
    });
    queries.push(KpiQuery {
        what: "answered calls with wait ≤ answer_within_s: count",
        collection: "calls",
        unit_field: "hall",
        filters: calls(vec![
            f("answered", Cmp::Eq, 1),
            f(
                "wait_ms",
                Cmp::Le,
                i64::from(config.answer_within_s) * 1_000,
            ),
        ]),
        metrics: vec![Metric::Count],
        fold: |t, v| t.within += at(v, 0),
    });
    queries.push(KpiQuery {
        what: "abandoned calls with wait < short_abandon_s: count",
        collection: "calls",
        unit_field: "hall",
        filters: calls(vec![
            f("abandoned", Cmp::Eq, 1),
            f(
                "wait_ms",
                Cmp::Lt,
                i64::from(config.short_abandon_s) * 1_000,
            ),
        ]),
        metrics: vec![Metric::Count],
        fold: |t, v| t.short_abandons += at(v, 0),
    });
    let rated = |extra: Vec<Filter>| {
        with(
            with(range("at_ms", end_ms), vec![f("score", Cmp::Ge, 1)]),
            extra,
        )
    };
    queries.push(KpiQuery {
        what: "callbacks rated in the period: count",
        collection: "callbacks",
        unit_field: "lead",
        filters: rated(vec![]),
        metrics: vec![Metric::Count],
        fold: |t, v| t.rated += at(v, 0),
    });
    let satisfied_from = if config.basic_counts_as_satisfied {
        3
    } else {
        4
    };
    queries.push(KpiQuery {
        what: "callbacks with a satisfied score in the period: count",
        collection: "callbacks",
        unit_field: "lead",
        filters: rated(vec![f("score", Cmp::Ge, json!(satisfied_from))]),
        metrics: vec![Metric::Count],
        fold: |t, v| t.satisfied += at(v, 0),
    });
    queries
}

/// A group's value as a whole count (sums of 0/1 flags and milliseconds
/// are whole numbers; a missing or negative value counts 0).
pub fn whole(v: Option<f64>) -> u64 {
    v.map_or(0, |v| {
        if v.is_finite() && v > 0.0 {
            v.round() as u64
        } else {
            0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eleven_queries_for_a_past_period_and_fewer_before_deadlines_pass() {
        let c = KpiConfig::default();
        assert_eq!(kpi_queries(0, 100, 200, &c).len(), 11);
        assert_eq!(
            kpi_queries(100, 200, 50, &c).len(),
            9,
            "no deadline has passed yet"
        );
        let q = kpi_queries(0, 100, 50, &c);
        let sign = q
            .iter()
            .find(|q| q.what.starts_with("orders whose sign-for"))
            .unwrap();
        assert_eq!(
            sign.filters[1],
            f("sign_due_ms", Cmp::Lt, 50),
            "judged as of as_of"
        );
    }

    #[test]
    fn folds_add_to_the_right_counters() {
        let c = KpiConfig::default();
        let mut t = Tally::default();
        for q in kpi_queries(0, 100, 200, &c) {
            let values: Vec<u64> = (1..=q.metrics.len() as u64).collect();
            (q.fold)(&mut t, &values);
        }
        assert_eq!((t.offered, t.answered, t.wait_ms), (1, 2, 4));
        assert_eq!((t.handle_ms, t.fcr), (1, 2));
        assert_eq!(
            (t.sign_due, t.sign_on_time, t.dispatches, t.returned),
            (1, 2, 1, 2)
        );
        assert_eq!(
            (t.rated, t.satisfied, t.within, t.short_abandons),
            (1, 1, 1, 1)
        );
        assert_eq!(whole(Some(2.6)), 3);
        assert_eq!(whole(Some(f64::NAN)), 0);
        assert_eq!(whole(None), 0);
    }
}
