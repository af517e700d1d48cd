//! The month's performance evaluation report (绩效考评报告): every hall
//! scored on one published scheme (考评细则) from the month's figures the
//! supervision module keeps — the inspection score, 整改完成率, 好差评
//! 好评率 and the survey's 满意率 — ranked, compared with last month, with
//! the leading halls named and the halls in the last three places two
//! months running flagged for a talk (约谈). Pure, like the other reports.
//!
//! The scheme: 综合得分 = 检查得分 × 50% + 整改完成率 × 20% + 好评率 ×
//! 15% + 满意率 × 15% (rates as percentages, so every part is out of 100). A
//! hall without a part this month (no problem to rectify, no rating, no
//! survey answer) is scored on the parts it has, their weights scaled up
//! to 100%; a hall without an inspection score is not ranked. The scheme
//! and this rule are printed in every report.

use bantong_hall_kit::document::{Cell, Chart, ChartKind, Document, Series};
use bantong_hall_kit::figure::Figure;
use serde::{Deserialize, Serialize};

use crate::month::Month;
use crate::monthly::{Narrative, closing, month_of, opening, paragraphs, short_name};
use crate::sources::{Hall, HallRow, Scorecard, Source};

/// What the report is drafted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationInputs {
    /// `2026-11`.
    pub month: String,
    pub read_ms: i64,
    pub halls: Vec<Hall>,
    /// The month's scorecard, and last month's (for the change in rank and
    /// two months running in the last places).
    pub scorecard: Source<Scorecard>,
    pub previous: Source<Scorecard>,
}

/// The parts of the scheme: (name, weight in percent).
pub const PARTS: [(&str, f64); 4] = [
    ("检查得分", 50.0),
    ("整改完成率", 20.0),
    ("好评率", 15.0),
    ("满意率", 15.0),
];

/// How many places at the bottom are "the last places".
pub const LAST_PLACES: usize = 3;

/// The scheme as printed.
pub fn rule() -> String {
    let parts: Vec<String> = PARTS
        .iter()
        .map(|(name, w)| format!("{name}×{w:.0}%"))
        .collect();
    format!(
        "综合得分 = {}（比率按百分数计，各项满分均为100分）；当月缺少某项数据的中心，按其已有各项的权重折算为100%；当月无检查得分的中心不参加排名。",
        parts.join(" + ")
    )
}

/// One hall's evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated {
    pub hall: String,
    pub hall_name: String,
    /// The parts, out of 100 each, in [`PARTS`] order.
    pub parts: [Option<f64>; 4],
    /// The weighted total, out of 100.
    pub total: Option<f64>,
    pub rank: Option<usize>,
}

fn percent(f: &Option<Figure>) -> Option<f64> {
    f.as_ref().and_then(|f| f.value).map(|v| v * 100.0)
}

/// The weighted total of the parts a hall has, scaled to their weights;
/// none without the inspection score.
pub fn total(parts: &[Option<f64>; 4]) -> Option<f64> {
    parts[0]?;
    let (sum, weight) = parts
        .iter()
        .zip(PARTS)
        .filter_map(|(p, (_, w))| p.map(|v| (v * w, w)))
        .fold((0.0, 0.0), |(s, t), (v, w)| (s + v, t + w));
    (weight > 0.0).then(|| sum / weight)
}

fn parts_of(r: &HallRow) -> [Option<f64>; 4] {
    [
        r.score.value,
        percent(&r.completion),
        percent(&r.good_rate),
        percent(&r.satisfaction),
    ]
}

/// Every hall of the scorecard evaluated and ranked (ties share a place;
/// unranked halls last, by name).
pub fn evaluate(card: &Scorecard) -> Vec<Evaluated> {
    let mut rows: Vec<Evaluated> = card
        .items
        .iter()
        .map(|r| {
            let parts = parts_of(r);
            Evaluated {
                hall: r.hall.clone(),
                hall_name: r.hall_name.clone(),
                parts,
                total: total(&parts),
                rank: None,
            }
        })
        .collect();
    // Rounded to hundredths, as printed: halls that print the same total
    // share a place.
    let key = |t: f64| (t * 100.0).round() as i64;
    let totals: Vec<i64> = rows.iter().filter_map(|r| r.total.map(key)).collect();
    for r in &mut rows {
        r.rank = r
            .total
            .map(|t| 1 + totals.iter().filter(|o| **o > key(t)).count());
    }
    rows.sort_by(|a, b| {
        a.rank
            .unwrap_or(usize::MAX)
            .cmp(&b.rank.unwrap_or(usize::MAX))
            .then_with(|| a.hall_name.cmp(&b.hall_name))
    });
    rows
}

/// Whether place `rank` of `ranked` halls is one of the last
/// [`LAST_PLACES`] (never when no more halls than that are ranked).
pub fn in_last_places(rank: usize, ranked: usize) -> bool {
    ranked > LAST_PLACES && rank + LAST_PLACES > ranked
}

/// The halls in the last [`LAST_PLACES`] places of `rows`.
fn last_places(rows: &[Evaluated]) -> Vec<&str> {
    let ranked = rows.iter().filter(|r| r.rank.is_some()).count();
    rows.iter()
        .filter(|r| r.rank.is_some_and(|n| in_last_places(n, ranked)))
        .map(|r| r.hall.as_str())
        .collect()
}

/// The halls in the last places this month and last month.
pub fn twice_last(now: &[Evaluated], before: &[Evaluated]) -> Vec<String> {
    let before = last_places(before);
    last_places(now)
        .into_iter()
        .filter(|h| before.contains(h))
        .map(str::to_owned)
        .collect()
}

fn number(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"))
}

/// The title of the report of `month`.
pub fn title(month: Month) -> String {
    format!("{}政务服务绩效考评报告", month.zh())
}

/// Drafts the document.
pub fn document(
    inputs: &EvaluationInputs,
    narrative: &Narrative,
    issuer: &str,
    date: &str,
) -> Document {
    let month = month_of(&inputs.month);
    let mut doc = opening("政务服务绩效考评报告", month.zh(), issuer, date);

    doc.heading(1, "考评办法");
    doc.paragraph(format!(
        "依据绩效考评细则，对全区{}个政务服务中心（便民服务中心）{}的工作进行考评。{}",
        inputs.halls.len(),
        month.zh(),
        rule()
    ));
    let Some(card) = inputs.scorecard.data() else {
        doc.heading(1, "考评结果");
        doc.paragraph(crate::monthly::missing(&inputs.scorecard, "监督促效").unwrap_or_default());
        return doc;
    };
    doc.paragraph(format!("检查得分的计分规则：{}", card.rule));
    let rows = evaluate(card);
    let before = inputs.previous.data().map(evaluate).unwrap_or_default();
    let rank_before = |hall: &str| before.iter().find(|b| b.hall == hall).and_then(|b| b.rank);

    doc.heading(1, "综合排名");
    let table: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            let change = match (r.rank, rank_before(&r.hall)) {
                (Some(now), Some(was)) if now < was => format!("↑{}", was - now),
                (Some(now), Some(was)) if now > was => format!("↓{}", now - was),
                (Some(_), Some(_)) => "—".to_owned(),
                _ => "新".to_owned(),
            };
            let mut cells = vec![
                Cell::Text(r.rank.map_or_else(|| "—".to_owned(), |n| n.to_string())),
                Cell::Text(short_name(&r.hall_name)),
            ];
            cells.extend(r.parts.iter().map(|p| Cell::Text(number(*p))));
            cells.push(Cell::Text(number(r.total)));
            cells.push(Cell::Text(if r.rank.is_some() {
                change
            } else {
                "—".to_owned()
            }));
            cells
        })
        .collect();
    let mut columns = vec!["排名", "服务中心"];
    columns.extend(PARTS.iter().map(|(n, _)| *n));
    columns.extend(["综合得分", "名次变化"]);
    doc.table(Some("各中心绩效考评综合排名"), &columns, table);
    let ranked: Vec<&Evaluated> = rows.iter().filter(|r| r.total.is_some()).collect();
    if !ranked.is_empty() {
        doc.chart(Chart {
            kind: ChartKind::Bar,
            title: "各中心综合得分".into(),
            labels: ranked.iter().map(|r| short_name(&r.hall_name)).collect(),
            series: vec![Series {
                name: "综合得分".into(),
                values: ranked.iter().map(|r| r.total.unwrap_or(0.0)).collect(),
            }],
            unit: Some("分".into()),
        });
    }
    let unranked = rows.len() - ranked.len();
    if unranked > 0 {
        doc.paragraph(format!("另有{unranked}个中心本月无检查得分，未参加排名。"));
    }

    doc.heading(1, "先进与后进");
    let names = |rs: &[&Evaluated]| {
        rs.iter()
            .map(|r| short_name(&r.hall_name))
            .collect::<Vec<_>>()
            .join("、")
    };
    let top: Vec<&Evaluated> = ranked
        .iter()
        .copied()
        .filter(|r| r.rank <= Some(3))
        .collect();
    if top.is_empty() {
        doc.paragraph("本月无参加排名的中心。");
    } else {
        doc.paragraph(format!(
            "本月综合得分前三名：{}，予以通报表扬。",
            names(&top)
        ));
    }
    let twice = twice_last(&rows, &before);
    if twice.is_empty() {
        doc.paragraph(format!("本月没有连续两个月排名后{LAST_PLACES}位的中心。"));
    } else {
        let flagged: Vec<&Evaluated> = rows.iter().filter(|r| twice.contains(&r.hall)).collect();
        doc.paragraph(format!(
            "{}连续两个月综合排名后{LAST_PLACES}位，按考评细则由区政务服务中心约谈中心负责人，限期提交整改措施。",
            names(&flagged)
        ));
    }
    paragraphs(&mut doc, &narrative.evaluation);
    closing(
        &mut doc,
        "下步工作",
        &narrative.next_steps,
        DEFAULT_NEXT_STEPS,
    );
    doc
}

/// Printed when nobody wrote 下步工作.
pub const DEFAULT_NEXT_STEPS: &str =
    "各中心对照考评细则查找失分项目，落实整改；考评结果纳入年度考核和评先树优。";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monthly::texts;

    fn row(
        hall: &str,
        score: u64,
        completion: Option<(u64, u64)>,
        good: Option<(u64, u64)>,
    ) -> HallRow {
        HallRow {
            hall: hall.into(),
            hall_name: format!("{hall}行政综合服务中心"),
            score: if score > 0 {
                Figure::mean_points(score * 100, 1, "得分")
            } else {
                Figure::mean_points(0, 0, "得分")
            },
            rank: None,
            previous: Figure::mean_points(0, 0, "得分"),
            previous_rank: None,
            change: None,
            rank_change: None,
            visits: 1,
            covered: score > 0,
            problems: 0,
            satisfaction: None,
            survey_answers: 0,
            ratings: 0,
            good_rate: good.map(|(n, d)| Figure::ratio(n, d, "好评率")),
            bad_ratings: 0,
            completion: completion.map(|(n, d)| Figure::ratio(n, d, "整改完成率")),
        }
    }

    fn card(rows: Vec<HallRow>) -> Scorecard {
        Scorecard {
            month: "2026-11".into(),
            rule: "各项等权".into(),
            items: rows,
            ..Scorecard::default()
        }
    }

    #[test]
    fn missing_parts_are_scaled_and_no_score_is_not_ranked() {
        // 90×50 + 50×20 + 100×15 = 7000 over 85 → 82.35.
        let all = total(&[Some(90.0), Some(50.0), Some(100.0), None]).unwrap();
        assert!((all - 7000.0 / 85.0).abs() < 1e-9, "{all}");
        assert_eq!(total(&[Some(80.0), None, None, None]), Some(80.0));
        assert_eq!(total(&[None, Some(100.0), Some(100.0), Some(100.0)]), None);
    }

    #[test]
    fn halls_are_ranked_by_their_total_and_ties_share_a_place() {
        let rows = evaluate(&card(vec![
            row("a", 90, Some((1, 2)), Some((1, 1))),
            row("b", 95, None, None),
            row("c", 95, None, None),
            row("d", 0, Some((1, 1)), None),
        ]));
        let ranks: Vec<(&str, Option<usize>)> =
            rows.iter().map(|r| (r.hall.as_str(), r.rank)).collect();
        assert_eq!(
            ranks,
            [("b", Some(1)), ("c", Some(1)), ("a", Some(3)), ("d", None)]
        );
    }

    #[test]
    fn two_months_in_the_last_places_are_flagged() {
        let halls = ["a", "b", "c", "d", "e", "f"];
        let month = |scores: [u64; 6]| {
            evaluate(&card(
                halls
                    .iter()
                    .zip(scores)
                    .map(|(h, s)| row(h, s, None, None))
                    .collect(),
            ))
        };
        let before = month([99, 98, 97, 60, 61, 62]);
        let now = month([99, 70, 97, 60, 96, 95]);
        // Last three now, in rank order: f (95), b (70), d (60); before:
        // f (62), e (61), d (60).
        assert_eq!(twice_last(&now, &before), ["f", "d"]);
        let doc = document(
            &EvaluationInputs {
                month: "2026-11".into(),
                read_ms: 0,
                halls: Vec::new(),
                scorecard: Source::Ready {
                    version: "0.1.0".into(),
                    data: card(
                        halls
                            .iter()
                            .zip([99, 70, 97, 60, 96, 95])
                            .map(|(h, s)| row(h, s, None, None))
                            .collect(),
                    ),
                },
                previous: Source::Ready {
                    version: "0.1.0".into(),
                    data: card(
                        halls
                            .iter()
                            .zip([99, 98, 97, 60, 61, 62])
                            .map(|(h, s)| row(h, s, None, None))
                            .collect(),
                    ),
                },
            },
            &Narrative::default(),
            "区政务服务管理局",
            "2026年12月1日",
        );
        doc.check().unwrap();
        let t = texts(&doc);
        assert!(
            t.contains("综合得分 = 检查得分×50% + 整改完成率×20%"),
            "{t}"
        );
        assert!(t.contains("本月综合得分前三名：a、c、e"), "{t}");
        assert!(t.contains("f、d连续两个月综合排名后3位"), "{t}");
        assert!(
            t.contains("各中心绩效考评综合排名|1,a,99.00,—,—,—,99.00,—"),
            "{t}"
        );
    }

    #[test]
    fn without_supervision_the_report_says_so() {
        let doc = document(
            &EvaluationInputs {
                month: "2026-11".into(),
                read_ms: 0,
                halls: Vec::new(),
                scorecard: Source::Absent,
                previous: Source::Absent,
            },
            &Narrative::default(),
            "x",
            "y",
        );
        assert!(texts(&doc).contains("“监督促效”模块未安装，本节无数据。"));
    }
}
