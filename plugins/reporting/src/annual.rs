//! The annual report (年度监督检查工作报告): the year's twelve months as the
//! owning modules published them, summed into the year's figures (each a
//! sum of the months' numerators over the sum of their denominators, never
//! an average of percentages), each hall's months side by side, the
//! problems by category and the recurring checklist items, the hotline's
//! year, and the proposals people write. Pure, like [`crate::monthly`].

use std::collections::BTreeMap;

use bantong_hall_kit::document::{Cell, Chart, ChartKind, Document, NamedFigure, Series};
use bantong_hall_kit::figure::{Figure, Lang};
use serde::{Deserialize, Serialize};

use crate::monthly::{Narrative, closing, opening, paragraphs};
use crate::sources::{Hall, HotlineKpis, Scorecard, Source};

/// One month of the year as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthRead {
    /// `2026-03`.
    pub month: String,
    pub scorecard: Source<Scorecard>,
    pub hotline: Source<HotlineKpis>,
}

/// Everything an annual report is drafted from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnnualInputs {
    pub year: i32,
    pub read_ms: i64,
    pub halls: Vec<Hall>,
    /// January to December.
    pub months: Vec<MonthRead>,
}

/// The proposals printed when nobody wrote any.
pub const DEFAULT_PROPOSALS: &str = "一是坚持月覆盖检查，暗访与视频巡查相结合，重点盯住屡查屡犯问题；二是落实好差评制度，差评实名回访全覆盖；三是把整改完成率和按期整改率纳入各中心年度考核。";

/// The title of the annual report of `year`.
pub fn title(year: i32) -> String {
    format!("{year}年度政务服务监督检查工作报告")
}

/// Sums the months' figures of one kind: Σ numerators over Σ denominators,
/// with the months' definition (ratios and means both add up this way).
pub(crate) fn sum_figures<'a>(figures: impl Iterator<Item = &'a Figure>) -> Option<Figure> {
    let mut out: Option<Figure> = None;
    for f in figures {
        match &mut out {
            None => out = Some(f.clone()),
            Some(o) => {
                o.numerator += f.numerator;
                o.denominator += f.denominator;
            }
        }
    }
    out.map(|mut o| {
        o.value = match o.unit {
            bantong_hall_kit::figure::Unit::Count => Some(o.numerator as f64),
            bantong_hall_kit::figure::Unit::Points if o.denominator > 0 => {
                Some(o.numerator as f64 / (o.denominator as f64 * 100.0))
            }
            bantong_hall_kit::figure::Unit::Seconds if o.denominator > 0 => {
                Some(o.numerator as f64 / (o.denominator as f64 * 1000.0))
            }
            bantong_hall_kit::figure::Unit::Ratio if o.denominator > 0 => {
                Some(o.numerator as f64 / o.denominator as f64)
            }
            _ => None,
        };
        o
    })
}

fn cards(inputs: &AnnualInputs) -> Vec<(&str, &Scorecard)> {
    inputs
        .months
        .iter()
        .filter_map(|m| m.scorecard.data().map(|c| (m.month.as_str(), c)))
        .collect()
}

fn month_label(month: &str) -> String {
    month
        .split_once('-')
        .and_then(|(_, m)| m.parse::<u8>().ok())
        .map_or_else(|| month.to_owned(), |m| format!("{m}月"))
}

/// Why a module's section is empty: not installed in any month, or failed.
pub(crate) fn missing<T>(sources: &[&Source<T>], module_zh: &str) -> Option<String> {
    if sources.iter().any(|s| s.data().is_some()) {
        return None;
    }
    let failed = sources.iter().find_map(|s| match s {
        Source::Failed { error } => Some(error.clone()),
        _ => None,
    });
    Some(match failed {
        Some(e) => format!("“{module_zh}”模块数据读取失败（{e}），本节无数据。"),
        None => format!("“{module_zh}”模块未安装，本节无数据。"),
    })
}

/// Drafts the document.
/// The paragraphs are the monthly report's three: `overview` under
/// 全年工作概况, `evaluation` under 问题分类与趋势 (存在的主要问题),
/// `next_steps` as 意见建议.
pub fn document(
    inputs: &AnnualInputs,
    narrative: &Narrative,
    issuer: &str,
    date: &str,
) -> Document {
    let mut doc = opening(
        "政务服务监督检查工作报告",
        format!("{}年度", inputs.year),
        issuer,
        date,
    );
    let cards = cards(inputs);
    let scorecards: Vec<&Source<Scorecard>> = inputs.months.iter().map(|m| &m.scorecard).collect();

    doc.heading(1, "全年工作概况");
    if let Some(why) = missing(&scorecards, "监督促效") {
        doc.paragraph(why);
    } else {
        let visits: u64 = cards
            .iter()
            .flat_map(|(_, c)| c.items.iter())
            .map(|r| r.visits)
            .sum();
        let found = sum_figures(
            cards
                .iter()
                .filter_map(|(_, c)| c.overall.problems.as_ref()),
        );
        let full = cards
            .iter()
            .filter(|(_, c)| {
                c.overall
                    .coverage
                    .as_ref()
                    .is_some_and(|f| f.denominator > 0 && f.numerator == f.denominator)
            })
            .count();
        doc.paragraph(format!(
            "{}年，区政务服务监督检查工作组对全区{}个服务中心开展监督检查{}次，{}个月实现月覆盖，发现问题{}个。",
            inputs.year,
            inputs.halls.len(),
            visits,
            full,
            found.as_ref().map_or(0, |f| f.numerator)
        ));
        let items: Vec<NamedFigure> = [
            ("全年发现问题数", found),
            (
                "全年整改完成率",
                sum_figures(
                    cards
                        .iter()
                        .filter_map(|(_, c)| c.overall.completion.as_ref()),
                ),
            ),
            (
                "全年按期整改率",
                sum_figures(cards.iter().filter_map(|(_, c)| c.overall.on_time.as_ref())),
            ),
            (
                "全年问题复现频次",
                sum_figures(
                    cards
                        .iter()
                        .filter_map(|(_, c)| c.overall.recurrence.as_ref()),
                ),
            ),
            (
                "全年实名差评回访率",
                sum_figures(
                    cards
                        .iter()
                        .filter_map(|(_, c)| c.overall.callback_rate.as_ref()),
                ),
            ),
            (
                "全年满意率",
                sum_figures(
                    cards
                        .iter()
                        .filter_map(|(_, c)| c.overall.satisfaction.as_ref()),
                ),
            ),
            (
                "全年平均得分",
                sum_figures(cards.iter().filter_map(|(_, c)| c.overall.score.as_ref())),
            ),
        ]
        .into_iter()
        .filter_map(|(name, f)| {
            f.map(|figure| NamedFigure {
                name: name.to_owned(),
                figure,
            })
        })
        .collect();
        doc.figures(Some("全年主要指标（各月分子、分母分别相加）"), items);
    }
    paragraphs(&mut doc, &narrative.overview);

    doc.heading(1, "各中心全年得分");
    if let Some(why) = missing(&scorecards, "监督促效") {
        doc.paragraph(why);
    } else {
        halls_by_month(&mut doc, inputs, &cards);
    }

    doc.heading(1, "问题分类与趋势");
    if let Some(why) = missing(&scorecards, "监督促效") {
        doc.paragraph(why);
    } else {
        problems(&mut doc, &cards);
    }
    paragraphs(&mut doc, &narrative.evaluation);

    doc.heading(1, "热线运行情况");
    let hotlines: Vec<&Source<HotlineKpis>> = inputs.months.iter().map(|m| &m.hotline).collect();
    if let Some(why) = missing(&hotlines, "一号统领（热线）") {
        doc.paragraph(why);
    } else {
        hotline(&mut doc, inputs);
    }

    closing(
        &mut doc,
        "意见建议",
        &narrative.next_steps,
        DEFAULT_PROPOSALS,
    );
    doc
}

fn halls_by_month(doc: &mut Document, inputs: &AnnualInputs, cards: &[(&str, &Scorecard)]) {
    let mut columns: Vec<String> = vec!["服务中心".into()];
    columns.extend(cards.iter().map(|(m, _)| month_label(m)));
    columns.push("全年平均".into());
    columns.push("检查次数".into());
    let mut year_rows: Vec<(String, Option<Figure>, Vec<Cell>)> = inputs
        .halls
        .iter()
        .map(|h| {
            // Short names (百楼镇): fifteen columns share a portrait page.
            let mut row = vec![Cell::Text(crate::monthly::short_name(&h.name_zh))];
            let mut scores = Vec::new();
            for (_, c) in cards {
                let line = c.items.iter().find(|r| r.hall == h.id);
                row.push(match line.and_then(|r| r.score.value) {
                    Some(v) => Cell::Number((v * 100.0).round() / 100.0),
                    None => Cell::Text("—".into()),
                });
                if let Some(r) = line {
                    scores.push(&r.score);
                }
            }
            let year = sum_figures(scores.into_iter());
            (h.name_zh.clone(), year, row)
        })
        .collect();
    for (_, year, row) in &mut year_rows {
        let (avg, visits) = match year {
            Some(f) => (
                f.value.map_or(Cell::Text("—".into()), |v| {
                    Cell::Number((v * 100.0).round() / 100.0)
                }),
                Cell::Number(f.denominator as f64),
            ),
            None => (Cell::Text("—".into()), Cell::Number(0.0)),
        };
        row.push(avg);
        row.push(visits);
    }
    // Best yearly average first; halls without a score last.
    year_rows.sort_by(|a, b| {
        let v = |r: &Option<Figure>| r.as_ref().and_then(|f| f.value);
        v(&b.1)
            .partial_cmp(&v(&a.1))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| v(&a.1).is_none().cmp(&v(&b.1).is_none()))
            .then_with(|| a.0.cmp(&b.0))
    });
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    doc.paragraph("全年平均得分为全年各次检查得分之和除以检查次数。");
    doc.table(
        Some("各服务中心各月得分"),
        &cols,
        year_rows.into_iter().map(|(_, _, r)| r).collect(),
    );
    // Only months with a score are plotted: a month without inspections has
    // no average, and drawing it as 0 would read as a collapse.
    let (labels, trend): (Vec<String>, Vec<f64>) = cards
        .iter()
        .filter_map(|(m, c)| {
            let v = c.overall.score.as_ref().and_then(|f| f.value)?;
            Some((month_label(m), v))
        })
        .unzip();
    if !trend.is_empty() {
        if trend.len() < cards.len() {
            doc.paragraph("趋势图只列有检查得分的月份。");
        }
        doc.chart(Chart {
            kind: ChartKind::Line,
            title: "全区月度平均得分".into(),
            labels,
            series: vec![Series {
                name: "平均得分".into(),
                values: trend,
            }],
            unit: Some("分".into()),
        });
    }
}

fn problems(doc: &mut Document, cards: &[(&str, &Scorecard)]) {
    let mut by_category: BTreeMap<&str, u64> = BTreeMap::new();
    let mut by_item: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (_, c) in cards {
        for k in &c.categories {
            *by_category.entry(k.category.as_str()).or_default() += k.problems;
        }
        for i in &c.recurrence_by_item {
            let e = by_item.entry(i.item.as_str()).or_default();
            e.0 += i.problems;
            e.1 += i.recurrent;
        }
    }
    let total: u64 = by_category.values().sum();
    if total == 0 {
        doc.paragraph("全年未发现问题。");
        return;
    }
    let mut categories: Vec<(&str, u64)> = by_category.into_iter().collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let rows = categories
        .iter()
        .map(|(c, n)| {
            vec![
                Cell::Text((*c).to_owned()),
                Cell::Number(*n as f64),
                Cell::Text(format!(
                    "{:.1}%（{n}/{total}）",
                    *n as f64 * 100.0 / total as f64
                )),
            ]
        })
        .collect();
    doc.table(
        Some("全年问题分类统计"),
        &["类别", "问题数", "占比（类别/合计）"],
        rows,
    );
    doc.chart(Chart {
        kind: ChartKind::Line,
        title: "各月发现问题数".into(),
        labels: cards.iter().map(|(m, _)| month_label(m)).collect(),
        series: vec![Series {
            name: "问题数".into(),
            values: cards
                .iter()
                .map(|(_, c)| {
                    c.overall
                        .problems
                        .as_ref()
                        .map_or(0.0, |f| f.numerator as f64)
                })
                .collect(),
        }],
        unit: Some("个".into()),
    });
    let mut items: Vec<(&str, (u64, u64))> =
        by_item.into_iter().filter(|(_, (n, _))| *n > 0).collect();
    items.sort_by(|a, b| (b.1.1, b.1.0).cmp(&(a.1.1, a.1.0)).then(a.0.cmp(b.0)));
    if !items.is_empty() {
        doc.heading(2, "重点问题");
        let rows = items
            .iter()
            .take(10)
            .map(|(item, (n, r))| {
                vec![
                    Cell::Text((*item).to_owned()),
                    Cell::Number(*n as f64),
                    Cell::Number(*r as f64),
                    Cell::Text(Figure::ratio(*r, *n, "").text(Lang::Zh)),
                ]
            })
            .collect();
        doc.table(
            Some("全年问题最多的检查项"),
            &[
                "检查项",
                "全年问题数",
                "其中屡查屡犯",
                "复现频次（屡犯/问题）",
            ],
            rows,
        );
    }
}

pub(crate) fn hotline(doc: &mut Document, inputs: &AnnualInputs) {
    let months: Vec<(&str, &HotlineKpis)> = inputs
        .months
        .iter()
        .filter_map(|m| m.hotline.data().map(|k| (m.month.as_str(), k)))
        .collect();
    let calls: u64 = months.iter().map(|(_, k)| k.overall.calls_offered).sum();
    let orders: u64 = months.iter().map(|(_, k)| k.overall.orders_received).sum();
    doc.paragraph(format!("全年热线呼入{calls}次，受理工单{orders}件。"));
    let items: Vec<NamedFigure> = [
        (
            "全年人工接通率",
            sum_figures(
                months
                    .iter()
                    .filter_map(|(_, k)| k.overall.answer_rate.as_ref()),
            ),
        ),
        (
            "全年按时办结率",
            sum_figures(
                months
                    .iter()
                    .filter_map(|(_, k)| k.overall.on_time_completion.as_ref()),
            ),
        ),
        (
            "全年满意率",
            sum_figures(
                months
                    .iter()
                    .filter_map(|(_, k)| k.overall.satisfaction.as_ref()),
            ),
        ),
    ]
    .into_iter()
    .filter_map(|(name, f)| {
        f.map(|figure| NamedFigure {
            name: name.to_owned(),
            figure,
        })
    })
    .collect();
    doc.figures(Some("热线全年指标（各月分子、分母分别相加）"), items);
    doc.chart(Chart {
        kind: ChartKind::Line,
        title: "各月受理工单".into(),
        labels: months.iter().map(|(m, _)| month_label(m)).collect(),
        series: vec![Series {
            name: "工单量".into(),
            values: months
                .iter()
                .map(|(_, k)| k.overall.orders_received as f64)
                .collect(),
        }],
        unit: Some("件".into()),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monthly::texts;
    use crate::sources::{CategoryCount, HallRow, ItemRecurrence, Overall};

    fn card(month: &str, scores: &[(&str, u64)], categories: &[(&str, u64)]) -> Scorecard {
        Scorecard {
            month: month.into(),
            rule: "等权".into(),
            overall: Overall {
                problems: Some(Figure::count(
                    categories.iter().map(|c| c.1).sum(),
                    0,
                    "发现问题数",
                )),
                completion: Some(Figure::ratio(1, 2, "整改完成率")),
                score: Some(Figure::mean_points(
                    scores.iter().map(|s| s.1).sum(),
                    scores.len() as u64,
                    "得分",
                )),
                ..Overall::default()
            },
            categories: categories
                .iter()
                .map(|(c, n)| CategoryCount {
                    category: (*c).into(),
                    problems: *n,
                })
                .collect(),
            recurrence_by_item: vec![ItemRecurrence {
                item: "4.2".into(),
                problems: 2,
                recurrent: 1,
                frequency: None,
            }],
            items: scores
                .iter()
                .map(|(h, s)| HallRow {
                    hall: (*h).into(),
                    hall_name: format!("{h}中心"),
                    score: Figure::mean_points(*s, 1, "得分"),
                    rank: None,
                    previous: Figure::mean_points(0, 0, "得分"),
                    previous_rank: None,
                    change: None,
                    rank_change: None,
                    visits: 1,
                    covered: true,
                    problems: 0,
                    satisfaction: None,
                    survey_answers: 0,
                    ratings: 0,
                    good_rate: None,
                    bad_ratings: 0,
                    completion: None,
                })
                .collect(),
        }
    }

    fn inputs(months: Vec<MonthRead>) -> AnnualInputs {
        AnnualInputs {
            year: 2026,
            read_ms: 0,
            halls: vec![
                Hall {
                    id: "a".into(),
                    name_zh: "a中心".into(),
                },
                Hall {
                    id: "b".into(),
                    name_zh: "b中心".into(),
                },
            ],
            months,
        }
    }

    #[test]
    fn the_year_adds_numerators_and_denominators_not_percentages() {
        let ready = |c| Source::Ready {
            version: "0.1.0".into(),
            data: c,
        };
        let months = vec![
            MonthRead {
                month: "2026-01".into(),
                scorecard: ready(card(
                    "2026-01",
                    &[("a", 9000), ("b", 8000)],
                    &[("现场管理", 3)],
                )),
                hotline: Source::Absent,
            },
            MonthRead {
                month: "2026-02".into(),
                scorecard: ready(card(
                    "2026-02",
                    &[("a", 10000)],
                    &[("现场管理", 1), ("人员管理", 4)],
                )),
                hotline: Source::Absent,
            },
        ];
        let doc = document(
            &inputs(months),
            &Narrative::default(),
            "区政务服务管理局",
            "2027年1月5日",
        );
        doc.check().unwrap();
        let t = texts(&doc);
        // a: (90 + 100) / 2 visits = 95; b: 80 over one visit.
        assert!(
            t.contains("各服务中心各月得分|a中心,90,100,95,2;b中心,80,—,80,1"),
            "{t}"
        );
        // The district's year: 3 visits, 270 points: 90.00 over 3.
        assert!(t.contains("全年平均得分：90.00 分（3 项）"), "{t}");
        // 2 + 2 over 4 + 4... each month 1/2: the year 2/4 = 50.0%.
        assert!(t.contains("全年整改完成率：50.0%（2/4）"), "{t}");
        assert!(t.contains("人员管理,4,50.0%（4/8）"), "{t}");
        assert!(t.contains("4.2,4,2,50.0%（2/4）"), "{t}");
        assert!(
            t.contains("“一号统领（热线）”模块未安装，本节无数据。"),
            "{t}"
        );
        assert!(t.contains(DEFAULT_PROPOSALS));
    }

    #[test]
    fn the_trend_leaves_out_a_month_without_inspections() {
        let ready = |c| Source::Ready {
            version: "0.1.0".into(),
            data: c,
        };
        let month = |m: &str, scores: &[(&str, u64)]| MonthRead {
            month: m.into(),
            scorecard: ready(card(m, scores, &[])),
            hotline: Source::Absent,
        };
        let months = vec![
            month("2026-01", &[("a", 9000)]),
            month("2026-02", &[]),
            month("2026-03", &[("a", 8000)]),
        ];
        let doc = document(&inputs(months), &Narrative::default(), "x", "y");
        let trend = doc
            .blocks
            .iter()
            .find_map(|b| match b {
                bantong_hall_kit::document::Block::Chart(c) if c.title == "全区月度平均得分" => {
                    Some(c)
                }
                _ => None,
            })
            .expect("the trend chart");
        assert_eq!(trend.labels, ["1月", "3月"]);
        assert_eq!(trend.series[0].values, [90.0, 80.0]);
        assert!(texts(&doc).contains("趋势图只列有检查得分的月份。"));
    }

    #[test]
    fn a_year_without_the_supervision_module_says_so() {
        let months = vec![MonthRead {
            month: "2026-01".into(),
            scorecard: Source::Absent,
            hotline: Source::Failed {
                error: "503".into(),
            },
        }];
        let doc = document(&inputs(months), &Narrative::default(), "x", "y");
        let t = texts(&doc);
        assert!(t.contains("“监督促效”模块未安装，本节无数据。"), "{t}");
        assert!(t.contains("数据读取失败（503）"), "{t}");
    }
}
