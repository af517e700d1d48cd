//! The monthly scorecard (每个大厅的月度得分、排名及环比) and the month's
//! figures, computed by the store's aggregates over covering indexes. A
//! hall manager's reads are narrowed to the hall by the host, so the same
//! code gives the district every hall and a hall only its own.
//!
//! The reporting module reads `GET /figures` and `GET /scorecard`.

use bantong_sdk::storage::{self, Aggregate, Op};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::{Value, json};

use super::{month_param, reads_all, require_reader, settings};
use crate::month::Month;
use crate::queries::{self, Cmp, Group, Hall, Metric};

/// Runs one described aggregate through the SDK.
fn run(q: &queries::Query) -> Result<Vec<Group>, Response> {
    let mut a = Aggregate::new(q.collection);
    for f in &q.filters {
        let op = match f.cmp {
            Cmp::Eq => Op::Eq,
            Cmp::Ge => Op::Ge,
            Cmp::Lt => Op::Lt,
        };
        a = a.filter(f.field, op, &f.value);
    }
    for g in &q.group_by {
        a = a.group_by(g);
    }
    for m in &q.metrics {
        a = match m {
            Metric::Count => a.count(),
            Metric::Sum(field) => a.sum(field),
        };
    }
    Ok(storage::aggregate(&a)?
        .into_iter()
        .map(|g| Group {
            keys: g.keys,
            values: g.values,
        })
        .collect())
}

/// The month's figures: overall, per hall and per category.
pub fn month_figures(month: Month) -> Result<Value, Response> {
    let s = settings::get()?;
    let halls: Vec<Hall> = settings::halls(&s)
        .into_iter()
        .map(|h| Hall {
            id: h.id,
            name_zh: h.name_zh,
        })
        .collect();
    let results = queries::month_queries(month)
        .iter()
        .map(|q| Ok((q.part, run(q)?)))
        .collect::<Result<Vec<_>, Response>>()?;
    let rule = super::templates::current_doc()?.template.rule_zh();
    let survey = queries::SurveyRule {
        basic_counts: s.survey_basic_counts,
        weight: s.survey_weight,
    };
    Ok(queries::assemble(month, &halls, &results, &rule, survey))
}

/// `GET /scorecard?month=`: every hall's score, rank and change, with the
/// month's figures.
pub fn scorecard(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let month = month_param(&req, clock::now())?;
    let mut v = month_figures(month)?;
    if !reads_all(caller) {
        // A hall's own line only (the aggregates already hold only its data).
        if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
            items.retain(|i| {
                i["hall"]
                    .as_str()
                    .is_some_and(|h| caller.halls.iter().any(|c| c == h))
            });
        }
        v["total"] = json!(v["items"].as_array().map_or(0, Vec::len));
    }
    Ok(Response::ok(&v))
}

/// `GET /figures?month=`: the month's figures without the per-hall rows
/// (for the portal's tiles and the reporting module).
pub fn figures(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let month = month_param(&req, clock::now())?;
    let mut v = month_figures(month)?;
    if let Some(o) = v.as_object_mut() {
        o.remove("items");
        o.remove("total");
    }
    Ok(Response::ok(&v))
}
