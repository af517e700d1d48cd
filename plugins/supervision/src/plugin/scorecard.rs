//! The monthly scorecard (每个大厅的月度得分、排名及环比) and the month's
//! figures, computed by the store's aggregates over covering indexes. A
//! hall manager's reads are narrowed to the hall by the host, so the same
//! code gives the district every hall and a hall only its own.
//!
//! The reporting module reads `GET /figures` and `GET /scorecard`.

use std::collections::BTreeMap;

use bantong_sdk::storage::{self, Aggregate, Group, Op};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::{Value, json};

use super::docs::{FOLLOWUPS, INSPECTIONS, PROBLEMS};
use super::{month_param, reads_all, require_reader, settings};
use crate::figures::{self, Figure};
use crate::month::Month;

fn n(g: &Group, i: usize) -> u64 {
    g.value(i).map_or(0, |v| v.max(0.0).round() as u64)
}

/// (sum of score hundredths, visits) per hall for a month's signed visits.
fn scores(month: Month) -> Result<BTreeMap<String, (u64, u64)>, Response> {
    let groups = storage::aggregate(
        &Aggregate::new(INSPECTIONS)
            .filter("month", Op::Eq, month.to_string())
            .filter("status", Op::Eq, "signed")
            .filter("score_centi", Op::Ge, 0)
            .group_by("hall")
            .sum("score_centi")
            .count(),
    )?;
    Ok(groups
        .iter()
        .filter_map(|g| Some((g.key_str(0)?.to_owned(), (n(g, 0), n(g, 1)))))
        .collect())
}

/// The halls with a signed 月覆盖 visit in the month.
fn covered_halls(month: Month) -> Result<Vec<String>, Response> {
    Ok(storage::aggregate(
        &Aggregate::new(INSPECTIONS)
            .filter("month", Op::Eq, month.to_string())
            .filter("status", Op::Eq, "signed")
            .filter("kind", Op::Eq, "routine")
            .group_by("hall")
            .count(),
    )?
    .iter()
    .filter_map(|g| g.key_str(0).map(str::to_owned))
    .collect())
}

/// Per hall: (found, recurrent) among problems found in the month, and
/// (due, closed, closed on time) among problems due in it.
struct ProblemCounts {
    found: BTreeMap<String, (u64, u64, u64)>,
    due: BTreeMap<String, (u64, u64, u64)>,
    categories: Vec<(String, u64)>,
}

fn problem_counts(month: Month) -> Result<ProblemCounts, Response> {
    let found = storage::aggregate(
        &Aggregate::new(PROBLEMS)
            .filter("month", Op::Eq, month.to_string())
            .group_by("hall")
            .group_by("source_kind")
            .count()
            .sum("recurrent_n"),
    )?;
    let mut per_hall: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for g in &found {
        let Some(hall) = g.key_str(0) else { continue };
        let e = per_hall.entry(hall.to_owned()).or_default();
        e.0 += n(g, 0);
        if g.key_str(1) == Some("inspection") {
            e.1 += n(g, 0);
            e.2 += n(g, 1);
        }
    }
    let (start, end) = month.range_ms();
    let due = storage::aggregate(
        &Aggregate::new(PROBLEMS)
            .filter("due_ms", Op::Ge, start)
            .filter("due_ms", Op::Lt, end)
            .group_by("hall")
            .group_by("state")
            .count()
            .sum("closed_on_time"),
    )?;
    let mut due_per_hall: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for g in &due {
        let Some(hall) = g.key_str(0) else { continue };
        let e = due_per_hall.entry(hall.to_owned()).or_default();
        e.0 += n(g, 0);
        if g.key_str(1) == Some("closed") {
            e.1 += n(g, 0);
            e.2 += n(g, 1);
        }
    }
    let categories = storage::aggregate(
        &Aggregate::new(PROBLEMS)
            .filter("month", Op::Eq, month.to_string())
            .group_by("category")
            .count(),
    )?
    .iter()
    .filter_map(|g| Some((g.key_str(0)?.to_owned(), n(g, 0))))
    .collect();
    Ok(ProblemCounts {
        found: per_hall,
        due: due_per_hall,
        categories,
    })
}

/// Per hall: (real-name bad ratings, called back, bad ratings, verified on time).
type FollowupCounts = BTreeMap<String, (u64, u64, u64, u64)>;

fn followup_counts(month: Month) -> Result<FollowupCounts, Response> {
    let groups = storage::aggregate(
        &Aggregate::new(FOLLOWUPS)
            .filter("month", Op::Eq, month.to_string())
            .filter("counts", Op::Eq, 1)
            .group_by("hall")
            .sum("real_name_n")
            .sum("called_back_n")
            .count()
            .sum("verified_on_time"),
    )?;
    Ok(groups
        .iter()
        .filter_map(|g| {
            Some((
                g.key_str(0)?.to_owned(),
                (n(g, 0), n(g, 1), n(g, 2), n(g, 3)),
            ))
        })
        .collect())
}

fn sum<const N: usize>(m: &BTreeMap<String, [u64; N]>) -> [u64; N] {
    let mut out = [0; N];
    for v in m.values() {
        for (o, x) in out.iter_mut().zip(v) {
            *o += x;
        }
    }
    out
}

/// The month's figures: overall, per hall and per category.
pub fn month_figures(month: Month) -> Result<Value, Response> {
    let r = settings::load()?;
    let halls = settings::halls(&r.settings);
    let names = settings::hall_names();
    let now_scores = scores(month)?;
    let before = scores(month.previous())?;
    let problems = problem_counts(month)?;
    let followups = followup_counts(month)?;
    // A hall manager's aggregates only hold the own hall: list only it.
    let visible: Vec<&bantong_sdk::directory::Hall> = halls.iter().collect();
    let rows_in = visible
        .iter()
        .map(|h| {
            let (s, c) = now_scores.get(&h.id).copied().unwrap_or_default();
            let (ps, pc) = before.get(&h.id).copied().unwrap_or_default();
            (
                h.id.clone(),
                figures::hall_score(s, c),
                figures::hall_score(ps, pc),
            )
        })
        .collect();
    let rows = figures::scorecard(rows_in);
    let per_hall: BTreeMap<String, [u64; 9]> = visible
        .iter()
        .map(|h| {
            let f = problems.found.get(&h.id).copied().unwrap_or_default();
            let d = problems.due.get(&h.id).copied().unwrap_or_default();
            let u = followups.get(&h.id).copied().unwrap_or_default();
            (h.id.clone(), [f.0, f.1, f.2, d.0, d.1, d.2, u.0, u.1, u.2])
        })
        .collect();
    let verified: u64 = followups.values().map(|u| u.3).sum();
    let t = sum(&per_hall);
    let covered = covered_halls(month)?
        .iter()
        .filter(|h| halls.iter().any(|x| &x.id == *h))
        .count() as u64;
    let overall = json!({
        "coverage": figures::coverage(covered, halls.len() as u64),
        "problems": figures::problems_found(t[0], 0),
        "completion": figures::completion(t[4], t[3]),
        "on_time": figures::on_time(t[5], t[3]),
        "recurrence": figures::recurrence(t[2], t[1]),
        "callback_rate": figures::callback_rate(t[7], t[6]),
        "verified_on_time": figures::verified_on_time(verified, t[8]),
        "score": figures::hall_score(now_scores.values().map(|v| v.0).sum(), now_scores.values().map(|v| v.1).sum()),
    });
    let items: Vec<Value> = rows
        .iter()
        .map(|row| {
            let c = per_hall.get(&row.hall).copied().unwrap_or_default();
            let fig_text = |f: &Figure| f.text(bantong_hall_kit::figure::Lang::Zh);
            json!({
                "id": row.hall,
                "hall": row.hall,
                "hall_name": names.get(&row.hall).cloned().unwrap_or_else(|| row.hall.clone()),
                "score": row.score,
                "score_text": fig_text(&row.score),
                "rank": row.rank,
                "previous": row.previous,
                "previous_rank": row.previous_rank,
                "change": row.change,
                "rank_change": row.rank_change,
                "visits": row.score.denominator,
                "problems": c[0],
                "completion": figures::completion(c[4], c[3]),
                "completion_text": fig_text(&figures::completion(c[4], c[3])),
                "on_time": figures::on_time(c[5], c[3]),
                "recurrence": figures::recurrence(c[2], c[1]),
                "callback_rate": figures::callback_rate(c[7], c[6]),
            })
        })
        .collect();
    let categories: Vec<Value> = problems
        .categories
        .iter()
        .map(|(c, k)| json!({ "category": c, "problems": k }))
        .collect();
    Ok(json!({
        "month": month.to_string(),
        "rule": super::templates::current_doc()?.template.rule_zh(),
        "overall": overall,
        "categories": categories,
        "items": items,
        "total": items.len(),
    }))
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
