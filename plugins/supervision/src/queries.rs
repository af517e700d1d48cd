//! The month's figures as grouped aggregates the store runs over covering
//! indexes, described here once as plain data: the plugin sends them
//! through the SDK, the benchmark runs the same ones natively on the store,
//! and [`assemble`] folds the groups into the scorecard either way. A month
//! of the district's data is never loaded into the plugin.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::figures::{self, Figure, Row};
use crate::month::Month;
use crate::survey::{Level, Tally};

/// A comparison in a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ge,
    Lt,
}

/// `field cmp value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: &'static str,
    pub cmp: Cmp,
    pub value: Value,
}

/// What an aggregate computes per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Count,
    Sum(&'static str),
}

/// Which part of the month's figures a query feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Signed visit scores per hall, this month.
    Scores,
    /// The same, last month.
    PreviousScores,
    /// Halls with a signed 月覆盖 visit.
    Covered,
    /// Problems found in the month, per hall and source.
    Found,
    /// Problems due in the month, per hall and state.
    Due,
    /// Problems found in the month, per category.
    Categories,
    /// 差评 follow-ups of the month, per hall.
    Followups,
    /// Problems found by inspections in the month, per checklist item,
    /// with how many recurred (问题复现频次).
    Items,
    /// Survey answers of the month, per hall and overall level.
    Survey,
    /// The same, last month.
    PreviousSurvey,
    /// 好差评 ratings from the halls' keypads and kiosks, per hall and level.
    Ratings,
}

/// One grouped aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub part: Part,
    pub collection: &'static str,
    pub filters: Vec<Filter>,
    pub group_by: Vec<&'static str>,
    pub metrics: Vec<Metric>,
}

fn eq(field: &'static str, value: impl Serialize) -> Filter {
    Filter {
        field,
        cmp: Cmp::Eq,
        value: json!(value),
    }
}

fn survey(part: Part, month: Month) -> Query {
    Query {
        part,
        collection: "answers",
        filters: vec![eq("month", month.to_string())],
        group_by: vec!["hall", "overall"],
        metrics: vec![Metric::Count],
    }
}

fn scores(part: Part, month: Month) -> Query {
    Query {
        part,
        collection: "inspections",
        filters: vec![
            eq("month", month.to_string()),
            eq("status", "signed"),
            Filter {
                field: "score_centi",
                cmp: Cmp::Ge,
                value: json!(0),
            },
        ],
        group_by: vec!["hall"],
        metrics: vec![Metric::Sum("score_centi"), Metric::Count],
    }
}

/// The queries behind a month's scorecard and figures.
pub fn month_queries(month: Month) -> Vec<Query> {
    let (start, end) = month.range_ms();
    vec![
        scores(Part::Scores, month),
        scores(Part::PreviousScores, month.previous()),
        Query {
            part: Part::Covered,
            collection: "inspections",
            filters: vec![
                eq("month", month.to_string()),
                eq("status", "signed"),
                eq("kind", "routine"),
            ],
            group_by: vec!["hall"],
            metrics: vec![Metric::Count],
        },
        Query {
            part: Part::Found,
            collection: "problems",
            filters: vec![eq("month", month.to_string())],
            group_by: vec!["hall", "source_kind"],
            metrics: vec![Metric::Count, Metric::Sum("recurrent_n")],
        },
        Query {
            part: Part::Due,
            collection: "problems",
            filters: vec![
                Filter {
                    field: "due_ms",
                    cmp: Cmp::Ge,
                    value: json!(start),
                },
                Filter {
                    field: "due_ms",
                    cmp: Cmp::Lt,
                    value: json!(end),
                },
            ],
            group_by: vec!["hall", "state"],
            metrics: vec![Metric::Count, Metric::Sum("closed_on_time")],
        },
        Query {
            part: Part::Categories,
            collection: "problems",
            filters: vec![eq("month", month.to_string())],
            group_by: vec!["category"],
            metrics: vec![Metric::Count],
        },
        Query {
            part: Part::Followups,
            collection: "followups",
            filters: vec![eq("month", month.to_string()), eq("counts", 1)],
            group_by: vec!["hall"],
            metrics: vec![
                Metric::Sum("real_name_n"),
                Metric::Sum("called_back_n"),
                Metric::Count,
                Metric::Sum("verified_on_time"),
            ],
        },
        Query {
            part: Part::Items,
            collection: "problems",
            filters: vec![
                eq("month", month.to_string()),
                eq("source_kind", "inspection"),
            ],
            group_by: vec!["item"],
            metrics: vec![Metric::Count, Metric::Sum("recurrent_n")],
        },
        survey(Part::Survey, month),
        survey(Part::PreviousSurvey, month.previous()),
        Query {
            part: Part::Ratings,
            collection: "ratings",
            filters: vec![eq("month", month.to_string())],
            group_by: vec!["hall", "score"],
            metrics: vec![Metric::Count],
        },
    ]
}

/// One group of an aggregate's answer: the group-by keys, then the metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub keys: Vec<Value>,
    pub values: Vec<Option<f64>>,
}

impl Group {
    fn key(&self, i: usize) -> Option<&str> {
        self.keys.get(i).and_then(Value::as_str)
    }

    fn n(&self, i: usize) -> u64 {
        self.values
            .get(i)
            .copied()
            .flatten()
            .map_or(0, |v| v.max(0.0).round() as u64)
    }
}

/// A hall to list: id and Chinese name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hall {
    pub id: String,
    pub name_zh: String,
}

/// How survey answers enter the figures (the plugin's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveyRule {
    /// 满意率 counts 基本满意.
    pub basic_counts: bool,
    /// The satisfaction index's share of the monthly score, in percent.
    pub weight: u32,
}

/// Per-hall counters.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    score: (u64, u64),
    previous: (u64, u64),
    covered: bool,
    found: u64,
    from_inspections: u64,
    recurrent: u64,
    due: u64,
    closed: u64,
    closed_on_time: u64,
    real_name_bad: u64,
    called_back: u64,
    bad: u64,
    verified_on_time: u64,
    survey: Tally,
    previous_survey: Tally,
    ratings: Tally,
}

/// Folds the queries' groups into the month's figures: `overall`,
/// `categories`, and one row per hall (`items`, best first).
pub fn assemble(
    month: Month,
    halls: &[Hall],
    results: &[(Part, Vec<Group>)],
    rule: &str,
    survey: SurveyRule,
) -> Value {
    let mut per: BTreeMap<&str, Counts> = halls
        .iter()
        .map(|h| (h.id.as_str(), Counts::default()))
        .collect();
    let mut categories: Vec<(String, u64)> = Vec::new();
    let mut by_item: Vec<(String, u64, u64)> = Vec::new();
    for (part, groups) in results {
        for g in groups {
            if *part == Part::Categories {
                if let Some(c) = g.key(0) {
                    categories.push((c.to_owned(), g.n(0)));
                }
                continue;
            }
            if *part == Part::Items {
                if let Some(item) = g.key(0) {
                    by_item.push((item.to_owned(), g.n(0), g.n(1)));
                }
                continue;
            }
            let Some(c) = g.key(0).and_then(|h| per.get_mut(h)) else {
                continue;
            };
            match part {
                Part::Scores => c.score = (g.n(0), g.n(1)),
                Part::PreviousScores => c.previous = (g.n(0), g.n(1)),
                Part::Covered => c.covered = g.n(0) > 0,
                Part::Found => {
                    c.found += g.n(0);
                    if g.key(1) == Some("inspection") {
                        c.from_inspections += g.n(0);
                        c.recurrent += g.n(1);
                    }
                }
                Part::Due => {
                    c.due += g.n(0);
                    if g.key(1) == Some("closed") {
                        c.closed += g.n(0);
                        c.closed_on_time += g.n(1);
                    }
                }
                Part::Followups => {
                    c.real_name_bad += g.n(0);
                    c.called_back += g.n(1);
                    c.bad += g.n(2);
                    c.verified_on_time += g.n(3);
                }
                Part::Survey | Part::PreviousSurvey | Part::Ratings => {
                    if let Some(level) = Level::of_key(g.keys.get(1)) {
                        let t = match part {
                            Part::Survey => &mut c.survey,
                            Part::PreviousSurvey => &mut c.previous_survey,
                            _ => &mut c.ratings,
                        };
                        t.add(level, g.n(0));
                    }
                }
                Part::Categories | Part::Items => {}
            }
        }
    }
    categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    // The items that recur most first, then those found most.
    by_item.sort_by(|a, b| {
        b.2.cmp(&a.2)
            .then_with(|| b.1.cmp(&a.1))
            .then_with(|| a.0.cmp(&b.0))
    });
    let rows: Vec<Row> = figures::scorecard(
        halls
            .iter()
            .map(|h| {
                let c = per.get(h.id.as_str()).copied().unwrap_or_default();
                (
                    h.id.clone(),
                    figures::combined(
                        figures::hall_score(c.score.0, c.score.1),
                        &c.survey.index(),
                        survey.weight,
                    ),
                    figures::combined(
                        figures::hall_score(c.previous.0, c.previous.1),
                        &c.previous_survey.index(),
                        survey.weight,
                    ),
                )
            })
            .collect(),
    );
    let total = per.values().fold(Counts::default(), |mut t, c| {
        t.score.0 += c.score.0;
        t.score.1 += c.score.1;
        t.found += c.found;
        t.from_inspections += c.from_inspections;
        t.recurrent += c.recurrent;
        t.due += c.due;
        t.closed += c.closed;
        t.closed_on_time += c.closed_on_time;
        t.real_name_bad += c.real_name_bad;
        t.called_back += c.called_back;
        t.bad += c.bad;
        t.verified_on_time += c.verified_on_time;
        t.survey.merge(&c.survey);
        t.ratings.merge(&c.ratings);
        t
    });
    let covered = per.values().filter(|c| c.covered).count() as u64;
    let text = |f: &Figure| f.text(bantong_hall_kit::figure::Lang::Zh);
    // A score's basis is the visits it is the mean of.
    let score_text = |f: &Figure| match f.value {
        Some(_) => format!(
            "{}（{} 次检查）",
            f.value_text(bantong_hall_kit::figure::Lang::Zh),
            f.denominator
        ),
        None => "—".to_owned(),
    };
    let name_of = |id: &str| {
        halls
            .iter()
            .find(|h| h.id == id)
            .map_or_else(|| id.to_owned(), |h| h.name_zh.clone())
    };
    let items: Vec<Value> = rows
        .iter()
        .map(|row| {
            let c = per.get(row.hall.as_str()).copied().unwrap_or_default();
            let completion = figures::completion(c.closed, c.due);
            json!({
                "id": row.hall,
                "hall": row.hall,
                "hall_name": name_of(&row.hall),
                "score": row.score,
                "score_text": score_text(&row.score),
                "rank": row.rank,
                "previous": row.previous,
                "previous_rank": row.previous_rank,
                "change": row.change,
                "rank_change": row.rank_change,
                "visits": row.score.denominator,
                "covered": c.covered,
                "problems": c.found,
                "completion_text": text(&completion),
                "completion": completion,
                "on_time": figures::on_time(c.closed_on_time, c.due),
                "recurrence": figures::recurrence(c.recurrent, c.from_inspections),
                "callback_rate": figures::callback_rate(c.called_back, c.real_name_bad),
                "satisfaction": c.survey.satisfaction(survey.basic_counts),
                "satisfaction_text": text(&c.survey.satisfaction(survey.basic_counts)),
                "survey_index": c.survey.index(),
                "survey_answers": c.survey.total(),
                "ratings": c.ratings.total(),
                "good_rate": c.ratings.good_rate(survey.basic_counts),
                "bad_rate": c.ratings.bad_rate(),
                "bad_ratings": c.ratings.bad(),
            })
        })
        .collect();
    json!({
        "month": month.to_string(),
        "rule": match survey.weight {
            0 => rule.to_owned(),
            w => format!("{rule}；{}", figures::combined_rule(w)),
        },
        "overall": {
            "coverage": figures::coverage(covered, halls.len() as u64),
            "problems": figures::problems_found(total.found),
            "completion": figures::completion(total.closed, total.due),
            "on_time": figures::on_time(total.closed_on_time, total.due),
            "recurrence": figures::recurrence(total.recurrent, total.from_inspections),
            "callback_rate": figures::callback_rate(total.called_back, total.real_name_bad),
            "verified_on_time": figures::verified_on_time(total.verified_on_time, total.bad),
            "score": figures::hall_score(total.score.0, total.score.1),
            "satisfaction": total.survey.satisfaction(survey.basic_counts),
            "survey_index": total.survey.index(),
            "ratings": total.ratings.total(),
            "good_rate": total.ratings.good_rate(survey.basic_counts),
            "bad_rate": total.ratings.bad_rate(),
            "bad_ratings": total.ratings.bad(),
        },
        "categories": categories.iter().map(|(c, n)| json!({ "category": c, "problems": n })).collect::<Vec<_>>(),
        "recurrence_by_item": by_item.iter().map(|(item, found, recurrent)| json!({
            "item": item,
            "problems": found,
            "recurrent": recurrent,
            "frequency": figures::item_recurrence(*recurrent, *found),
        })).collect::<Vec<_>>(),
        "total": items.len(),
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(keys: &[&str], values: &[f64]) -> Group {
        Group {
            keys: keys.iter().map(|k| json!(k)).collect(),
            values: values.iter().map(|v| Some(*v)).collect(),
        }
    }

    #[test]
    fn groups_fold_into_the_scorecard() {
        let month = Month::new(2027, 1).unwrap();
        let halls = vec![
            Hall {
                id: "a".into(),
                name_zh: "甲大厅".into(),
            },
            Hall {
                id: "b".into(),
                name_zh: "乙大厅".into(),
            },
        ];
        let results = vec![
            (
                Part::Scores,
                vec![g(&["a"], &[8_750.0, 1.0]), g(&["b"], &[19_000.0, 2.0])],
            ),
            (Part::PreviousScores, vec![g(&["a"], &[8_571.0, 1.0])]),
            (Part::Covered, vec![g(&["a"], &[1.0])]),
            (
                Part::Found,
                vec![
                    g(&["a", "inspection"], &[3.0, 1.0]),
                    g(&["a", "camera"], &[1.0, 0.0]),
                ],
            ),
            (
                Part::Due,
                vec![
                    g(&["a", "closed"], &[2.0, 2.0]),
                    g(&["a", "rectifying"], &[1.0, 0.0]),
                ],
            ),
            (
                Part::Categories,
                vec![g(&["人员管理"], &[2.0]), g(&["现场管理"], &[2.0])],
            ),
            (Part::Followups, vec![g(&["b"], &[2.0, 1.0, 3.0, 3.0])]),
            (
                Part::Items,
                vec![g(&["1.6"], &[3.0, 0.0]), g(&["4.2"], &[2.0, 1.0])],
            ),
            (
                Part::Survey,
                vec![g(&["a"], &[1.0, 0.0]), g(&["a", "5"], &[2.0])],
            ),
            (
                Part::Ratings,
                [(5, 3.0), (1, 1.0)]
                    .into_iter()
                    .map(|(level, n)| Group {
                        keys: vec![json!("a"), json!(level)],
                        values: vec![Some(n)],
                    })
                    .collect(),
            ),
            // A hall not listed (outside a manager's scope) is ignored.
            (Part::Scores, vec![g(&["zzz"], &[1.0, 1.0])]),
        ];
        let plain = SurveyRule {
            basic_counts: true,
            weight: 0,
        };
        let v = assemble(month, &halls, &results, "rule", plain);
        assert_eq!(v["items"][0]["hall"], "b", "95.00 before 87.50");
        assert_eq!(v["items"][1]["change"], 1.79);
        let f = |name: &str| {
            (
                v["overall"][name]["numerator"].as_u64(),
                v["overall"][name]["denominator"].as_u64(),
            )
        };
        assert_eq!(f("coverage"), (Some(1), Some(2)));
        assert_eq!(f("completion"), (Some(2), Some(3)));
        assert_eq!(f("recurrence"), (Some(1), Some(3)));
        assert_eq!(f("callback_rate"), (Some(1), Some(2)));
        assert_eq!(f("score"), (Some(27_750), Some(3)));
        // 好差评: three 非常满意 and one 非常不满意 at hall a.
        assert_eq!(f("good_rate"), (Some(3), Some(4)));
        assert_eq!(f("bad_rate"), (Some(1), Some(4)));
        assert_eq!(v["items"][1]["bad_ratings"], 1);
        assert_eq!(v["items"][0]["ratings"], 0);
        assert_eq!(v["categories"][0]["category"], "人员管理");
        // 4.2 recurred once in two findings: first, though 1.6 was found more.
        assert_eq!(v["recurrence_by_item"][0]["item"], "4.2");
        assert_eq!(v["recurrence_by_item"][0]["frequency"]["numerator"], 1);
        assert_eq!(v["recurrence_by_item"][0]["frequency"]["denominator"], 2);
    }

    #[test]
    fn every_query_is_over_declared_fields() {
        let declared = include_str!("../manifest.toml");
        for q in month_queries(Month::new(2026, 12).unwrap()) {
            for field in q
                .filters
                .iter()
                .map(|f| f.field)
                .chain(q.group_by.iter().copied())
                .chain(q.metrics.iter().filter_map(|m| match m {
                    Metric::Sum(f) => Some(*f),
                    Metric::Count => None,
                }))
            {
                assert!(
                    declared.contains(&format!("{field} = \"")),
                    "{:?}: {field} is not declared",
                    q.part
                );
            }
        }
    }
}
