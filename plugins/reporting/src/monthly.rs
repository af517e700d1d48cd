//! The monthly supervision report (监督检查月报) as a document: the sections
//! the district sends its leaders by the 10th, each filled from its source
//! module or saying that the module is not installed, every figure printed
//! with its numerator, denominator and definition. Pure: the same inputs
//! and paragraphs give the same document.

use std::collections::BTreeMap;

use bantong_hall_kit::document::{Cell, Chart, ChartKind, Document, NamedFigure, Series};
use bantong_hall_kit::figure::{Figure, Lang};
use serde::{Deserialize, Serialize};

use crate::month::Month;
use crate::sources::{HotlineKpis, MonthlyInputs, Problem, Scorecard, Source};

/// The narrative paragraphs people write; everything else is computed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Narrative {
    /// Added under 基本情况 after the computed summary.
    #[serde(default)]
    pub overview: String,
    /// 总体评价, under the ranking.
    #[serde(default)]
    pub evaluation: String,
    /// 下步工作与整改要求; when empty, the standard requirements are printed.
    #[serde(default)]
    pub next_steps: String,
}

/// Longest narrative paragraph, in characters.
pub const MAX_NARRATIVE: usize = 5_000;

impl Narrative {
    /// Refuses over-long paragraphs and control characters.
    pub fn check(&self) -> Result<(), String> {
        for (name, text) in [
            ("overview", &self.overview),
            ("evaluation", &self.evaluation),
            ("next_steps", &self.next_steps),
        ] {
            if text.chars().count() > MAX_NARRATIVE {
                return Err(format!(
                    "{name}: 段落不超过 {MAX_NARRATIVE} 字 / at most {MAX_NARRATIVE} characters"
                ));
            }
            if text.chars().any(|c| c.is_control() && c != '\n') {
                return Err(format!("{name}: 含控制字符 / holds control characters"));
            }
        }
        Ok(())
    }
}

/// What the report says where a module is absent or failed.
pub(crate) fn missing<T>(source: &Source<T>, module_zh: &str) -> Option<String> {
    match source {
        Source::Ready { .. } => None,
        Source::Absent => Some(format!("“{module_zh}”模块未安装，本节无数据。")),
        Source::Failed { error } => Some(format!(
            "“{module_zh}”模块数据读取失败（{error}），本节无数据。"
        )),
    }
}

const SUPERVISION_ZH: &str = "监督促效";
const HOTLINE_ZH: &str = "一号统领（热线）";

/// The standard requirements printed when nobody wrote 下步要求.
pub const DEFAULT_NEXT_STEPS: &str = "各服务中心对照问题清单逐项整改，整改时限内将加盖公章的自查整改报告报区政务服务监督检查工作组；逾期未整改的问题实行督办，屡查屡犯的问题纳入年度考核。";

pub(crate) fn named(name: &str, figure: &Option<Figure>) -> Option<NamedFigure> {
    figure.as_ref().map(|f| NamedFigure {
        name: name.to_owned(),
        figure: f.clone(),
    })
}

fn text(f: &Figure) -> String {
    f.text(Lang::Zh)
}

fn points(f: &Figure) -> Cell {
    f.value.map_or(Cell::Text("—".into()), |v| {
        Cell::Number((v * 100.0).round() / 100.0)
    })
}

/// Whether `s` is a blob address (64 lowercase hex digits).
fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `2026-12-31`: a deadline's day, district time ("—" without one).
pub(crate) fn day(ms: i64) -> String {
    if ms <= 0 {
        return "—".to_owned();
    }
    let (y, m, d) = bantong_hall_kit::time::local_date(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The title of the report of `month`.
pub fn title(month: Month) -> String {
    format!("{}政务服务监督检查月报", month.zh())
}

/// Every report's opening: its title and period on a cover with the
/// issuing unit and the date.
pub(crate) fn opening(title: &str, period: String, issuer: &str, date: &str) -> Document {
    let mut doc = Document::new(title);
    doc.subtitle = Some(period);
    doc.issuer = Some(issuer.to_owned());
    doc.date = Some(date.to_owned());
    doc.cover = true;
    doc
}

/// People's text as paragraphs, one per non-empty line.
pub(crate) fn paragraphs(doc: &mut Document, text: &str) {
    for p in text.split('\n').filter(|p| !p.trim().is_empty()) {
        doc.paragraph(p.trim());
    }
}

/// A closing section: `heading`, then what people wrote or, when they
/// wrote nothing, the standard text.
pub(crate) fn closing(doc: &mut Document, heading: &str, written: &str, standard: &str) {
    doc.heading(1, heading);
    let text = if written.trim().is_empty() {
        standard
    } else {
        written
    };
    paragraphs(doc, text);
}

/// The month a report's inputs name (January 2000 for a malformed one,
/// which the plugin never stores).
pub(crate) fn month_of(text: &str) -> Month {
    text.parse().unwrap_or(Month {
        year: 2000,
        month: 1,
    })
}

/// Drafts the document.
pub fn document(
    inputs: &MonthlyInputs,
    narrative: &Narrative,
    issuer: &str,
    date: &str,
) -> Document {
    let month = month_of(&inputs.month);
    let mut doc = opening("政务服务监督检查月报", month.zh(), issuer, date);

    let card = inputs.scorecard.data();
    overview(&mut doc, inputs, card, narrative, month);
    ranking(&mut doc, &inputs.scorecard, narrative);
    problems(&mut doc, &inputs.scorecard, &inputs.problems);
    survey(&mut doc, &inputs.scorecard);
    hotline(&mut doc, &inputs.hotline, &inputs.halls);
    ratings(&mut doc, &inputs.scorecard);
    last_month(&mut doc, &inputs.previous_problems, month);
    doc.heading(1, "下步工作与整改要求");
    let steps = if narrative.next_steps.trim().is_empty() {
        DEFAULT_NEXT_STEPS
    } else {
        narrative.next_steps.as_str()
    };
    for p in steps.split('\n').filter(|p| !p.trim().is_empty()) {
        doc.paragraph(p.trim());
    }
    attachments(&mut doc, &inputs.problems);
    doc
}

fn overview(
    doc: &mut Document,
    inputs: &MonthlyInputs,
    card: Option<&Scorecard>,
    narrative: &Narrative,
    month: Month,
) {
    doc.heading(1, "基本情况");
    match card {
        Some(c) => {
            let visits: u64 = c.items.iter().map(|r| r.visits).sum();
            let covered = c.items.iter().filter(|r| r.covered).count();
            let found = c.overall.problems.as_ref().map_or(0, |f| f.numerator);
            doc.paragraph(format!(
                "{}，区政务服务监督检查工作组采取暗访、视频巡查、资料检查和满意度调查等方式，对全区{}个服务中心开展监督检查，完成检查{}次，覆盖{}个中心，发现问题{}个。",
                month.zh(),
                inputs.halls.len(),
                visits,
                covered,
                found
            ));
            let items: Vec<NamedFigure> = [
                named("月覆盖率", &c.overall.coverage),
                named("发现问题数", &c.overall.problems),
                named("整改完成率", &c.overall.completion),
                named("按期整改率", &c.overall.on_time),
                named("问题复现频次", &c.overall.recurrence),
                named("全区平均得分", &c.overall.score),
            ]
            .into_iter()
            .flatten()
            .collect();
            doc.figures(Some("本月主要指标"), items);
        }
        None => {
            if let Some(why) = missing(&inputs.scorecard, SUPERVISION_ZH) {
                doc.paragraph(why);
            }
        }
    }
    if !narrative.overview.trim().is_empty() {
        for p in narrative
            .overview
            .split('\n')
            .filter(|p| !p.trim().is_empty())
        {
            doc.paragraph(p.trim());
        }
    }
}

fn ranking(doc: &mut Document, card: &Source<Scorecard>, narrative: &Narrative) {
    doc.heading(1, "得分排名");
    let Some(c) = card.data() else {
        doc.paragraph(missing(card, SUPERVISION_ZH).unwrap_or_default());
        return;
    };
    doc.paragraph(format!("计分规则：{}", c.rule));
    let mut rows: Vec<_> = c.items.iter().collect();
    rows.sort_by_key(|r| (r.rank.is_none(), r.rank, r.hall_name.clone()));
    let table = rows
        .iter()
        .map(|r| {
            vec![
                r.rank
                    .map_or(Cell::Text("—".into()), |n| Cell::Number(f64::from(n))),
                Cell::Text(r.hall_name.clone()),
                points(&r.score),
                points(&r.previous),
                r.change
                    .map_or(Cell::Text("—".into()), |c| Cell::Text(format!("{c:+.2}"))),
                r.rank_change.map_or(Cell::Text("—".into()), |c| {
                    Cell::Text(match c {
                        0 => "持平".to_owned(),
                        n if n > 0 => format!("上升{n}位"),
                        n => format!("下降{}位", -n),
                    })
                }),
                Cell::Number(r.visits as f64),
            ]
        })
        .collect();
    doc.table(
        Some("各服务中心本月得分及排名"),
        &[
            "排名",
            "服务中心",
            "本月得分",
            "上月得分",
            "环比（分）",
            "名次变化",
            "检查次数",
        ],
        table,
    );
    let scored: Vec<_> = rows.iter().filter(|r| r.score.value.is_some()).collect();
    if !scored.is_empty() {
        doc.chart(Chart {
            kind: ChartKind::Bar,
            title: "各服务中心本月得分".into(),
            labels: scored.iter().map(|r| short_name(&r.hall_name)).collect(),
            series: vec![
                Series {
                    name: "本月".into(),
                    values: scored
                        .iter()
                        .map(|r| r.score.value.unwrap_or(0.0))
                        .collect(),
                },
                Series {
                    name: "上月".into(),
                    values: scored
                        .iter()
                        .map(|r| r.previous.value.unwrap_or(0.0))
                        .collect(),
                },
            ],
            unit: Some("分".into()),
        });
    }
    let unscored = rows.iter().filter(|r| r.score.value.is_none()).count();
    if unscored > 0 {
        doc.paragraph(format!(
            "本月有{unscored}个中心无已签署的检查，不参与排名。"
        ));
    }
    if !narrative.evaluation.trim().is_empty() {
        doc.heading(2, "总体评价");
        for p in narrative
            .evaluation
            .split('\n')
            .filter(|p| !p.trim().is_empty())
        {
            doc.paragraph(p.trim());
        }
    }
}

/// `百楼镇行政综合服务中心` → `百楼镇`, for chart labels.
pub fn short_name(name: &str) -> String {
    for suffix in [
        "行政综合服务中心",
        "便民服务中心",
        "政务服务中心",
        "服务中心",
    ] {
        if let Some(short) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
            return short.to_owned();
        }
    }
    name.to_owned()
}

fn problems(doc: &mut Document, card: &Source<Scorecard>, list: &Source<Vec<Problem>>) {
    doc.heading(1, "发现问题分类统计");
    let Some(c) = card.data() else {
        doc.paragraph(missing(card, SUPERVISION_ZH).unwrap_or_default());
        return;
    };
    let total: u64 = c.categories.iter().map(|c| c.problems).sum();
    if total == 0 {
        doc.paragraph("本月未发现问题。");
        return;
    }
    let rows = c
        .categories
        .iter()
        .map(|k| {
            vec![
                Cell::Text(k.category.clone()),
                Cell::Number(k.problems as f64),
                Cell::Text(format!(
                    "{:.1}%（{}/{}）",
                    k.problems as f64 * 100.0 / total as f64,
                    k.problems,
                    total
                )),
            ]
        })
        .collect();
    doc.table(
        Some("问题分类统计"),
        &["类别", "问题数", "占比（类别/合计）"],
        rows,
    );
    doc.chart(Chart {
        kind: ChartKind::Share,
        title: "问题类别占比".into(),
        labels: c.categories.iter().map(|k| k.category.clone()).collect(),
        series: vec![Series {
            name: "问题数".into(),
            values: c.categories.iter().map(|k| k.problems as f64).collect(),
        }],
        unit: Some("个".into()),
    });
    let recurring: Vec<_> = c
        .recurrence_by_item
        .iter()
        .filter(|i| i.recurrent > 0)
        .collect();
    if !recurring.is_empty() {
        let rows = recurring
            .iter()
            .map(|i| {
                vec![
                    Cell::Text(i.item.clone()),
                    Cell::Number(i.problems as f64),
                    Cell::Number(i.recurrent as f64),
                    Cell::Text(i.frequency.as_ref().map(text).unwrap_or_default()),
                ]
            })
            .collect();
        doc.table(
            Some("问题复现频次（屡查屡犯）"),
            &["检查项", "本月问题数", "其中屡查屡犯", "复现频次"],
            rows,
        );
    }
    if let Some(items) = list.data() {
        let typical = typical(items, 5);
        if !typical.is_empty() {
            doc.heading(2, "典型问题");
            let mut figure_no = 0;
            for (i, p) in typical.iter().enumerate() {
                // The item, unless the description already names it.
                let item = p
                    .item
                    .as_deref()
                    .filter(|i| !p.detail.contains(&format!("检查项{i}")))
                    .map(|i| format!("，检查项{i}"))
                    .unwrap_or_default();
                let recurrent = if p.recurrent { "，屡查屡犯" } else { "" };
                let detail = if p.detail.trim().is_empty() {
                    String::new()
                } else {
                    format!("：{}", p.detail.trim())
                };
                doc.paragraph(format!(
                    "{}. {}　{}{}（{}{}{}）。",
                    i + 1,
                    p.hall_name,
                    p.title,
                    detail,
                    p.source_zh,
                    item,
                    recurrent
                ));
                // The first photo of the problem, captioned with where and when.
                if let Some(photo) = p.photos.iter().find(|s| is_sha256(s)) {
                    figure_no += 1;
                    doc.image(
                        photo.clone(),
                        Some(&format!(
                            "图{figure_no}　{}：{}（{}）",
                            p.hall_name,
                            p.title,
                            day(p.issued_ms)
                        )),
                    );
                }
            }
        }
    }
}

/// The problems worth naming: recurrent first, then those with photos,
/// then the earliest; at most `n`, and at most two per hall.
pub fn typical(problems: &[Problem], n: usize) -> Vec<&Problem> {
    let mut sorted: Vec<&Problem> = problems.iter().collect();
    sorted.sort_by_key(|p| (!p.recurrent, p.photos.is_empty(), p.issued_ms, p.id.clone()));
    let mut per_hall: BTreeMap<&str, usize> = BTreeMap::new();
    sorted
        .into_iter()
        .filter(|p| {
            let seen = per_hall.entry(p.hall.as_str()).or_default();
            *seen += 1;
            *seen <= 2
        })
        .take(n)
        .collect()
}

fn survey(doc: &mut Document, card: &Source<Scorecard>) {
    doc.heading(1, "满意度调查");
    let Some(c) = card.data() else {
        doc.paragraph(missing(card, SUPERVISION_ZH).unwrap_or_default());
        return;
    };
    let answers: u64 = c.items.iter().map(|r| r.survey_answers).sum();
    if answers == 0 {
        doc.paragraph("本月未收到满意度调查答卷。");
        return;
    }
    doc.paragraph(format!(
        "本月通过现场扫码、电话回访和网上问卷共收回答卷{answers}份。"
    ));
    let items: Vec<NamedFigure> = [
        named("满意率", &c.overall.satisfaction),
        named("满意度指数", &c.overall.survey_index),
    ]
    .into_iter()
    .flatten()
    .collect();
    doc.figures(Some("满意度"), items);
    let rows = c
        .items
        .iter()
        .filter(|r| r.survey_answers > 0)
        .map(|r| {
            vec![
                Cell::Text(r.hall_name.clone()),
                Cell::Number(r.survey_answers as f64),
                Cell::Text(
                    r.satisfaction
                        .as_ref()
                        .map(text)
                        .unwrap_or_else(|| "—".into()),
                ),
            ]
        })
        .collect();
    doc.table(
        Some("各中心满意度"),
        &["服务中心", "答卷数", "满意率（满意/答卷）"],
        rows,
    );
}

fn hotline(doc: &mut Document, source: &Source<HotlineKpis>, halls: &[crate::sources::Hall]) {
    doc.heading(1, "热线运行情况");
    let Some(k) = source.data() else {
        doc.paragraph(missing(source, HOTLINE_ZH).unwrap_or_default());
        return;
    };
    hotline_summary(doc, k);
    let rows: Vec<Vec<Cell>> = halls
        .iter()
        .filter_map(|h| {
            let k = k.by_hall.get(&h.id)?;
            Some(vec![
                Cell::Text(h.name_zh.clone()),
                Cell::Number(k.orders_received as f64),
                Cell::Text(
                    k.on_time_completion
                        .as_ref()
                        .map(text)
                        .unwrap_or_else(|| "—".into()),
                ),
                Cell::Text(
                    k.satisfaction
                        .as_ref()
                        .map(text)
                        .unwrap_or_else(|| "—".into()),
                ),
            ])
        })
        .collect();
    if !rows.is_empty() {
        doc.table(
            Some("各中心承办工单"),
            &["服务中心", "工单量", "按时办结率", "满意率"],
            rows,
        );
    }
}

/// The hotline's month: calls and orders, and its key figures.
pub(crate) fn hotline_summary(doc: &mut Document, k: &HotlineKpis) {
    let o = &k.overall;
    doc.paragraph(format!(
        "本月热线呼入{}次，人工接通{}次，受理工单{}件。",
        o.calls_offered, o.calls_answered, o.orders_received
    ));
    let items: Vec<NamedFigure> = [
        named("人工接通率", &o.answer_rate),
        named("15秒接通率", &o.answered_within),
        named("按时办结率", &o.on_time_completion),
        named("超期率", &o.overdue_rate),
        named("回访率", &o.callback_rate),
        named("满意率", &o.satisfaction),
    ]
    .into_iter()
    .flatten()
    .collect();
    doc.figures(Some("热线主要指标"), items);
}

/// A problem as a list describes it: its title, and what was found.
pub(crate) fn described(p: &Problem) -> String {
    if p.detail.trim().is_empty() {
        p.title.clone()
    } else {
        format!("{}：{}", p.title, p.detail.trim())
    }
}

fn ratings(doc: &mut Document, card: &Source<Scorecard>) {
    doc.heading(1, "好差评情况");
    let Some(c) = card.data() else {
        doc.paragraph(missing(card, SUPERVISION_ZH).unwrap_or_default());
        return;
    };
    if c.overall.ratings > 0 {
        let items: Vec<NamedFigure> = [
            named("好评率", &c.overall.good_rate),
            named("差评率", &c.overall.bad_rate),
        ]
        .into_iter()
        .flatten()
        .collect();
        doc.figures(Some("现场评价（评价器、一体机）"), items);
        let rows: Vec<Vec<Cell>> = c
            .items
            .iter()
            .filter(|r| r.ratings > 0)
            .map(|r| {
                vec![
                    Cell::Text(r.hall_name.clone()),
                    Cell::Number(r.ratings as f64),
                    Cell::Text(r.good_rate.as_ref().map_or("—".into(), text)),
                    Cell::Number(r.bad_ratings as f64),
                ]
            })
            .collect();
        doc.table(
            Some("各中心现场评价"),
            &["服务中心", "评价数", "好评率", "差评数"],
            rows,
        );
    } else {
        doc.paragraph("本月未收到现场评价器、一体机的评价。");
    }
    let items: Vec<NamedFigure> = [
        named("差评按时核实率", &c.overall.verified_on_time),
        named("实名差评回访率", &c.overall.callback_rate),
    ]
    .into_iter()
    .flatten()
    .collect();
    doc.figures(Some("差评核实与回访"), items);
}

fn last_month(doc: &mut Document, source: &Source<Vec<Problem>>, month: Month) {
    doc.heading(1, "上月问题整改情况");
    let Some(list) = source.data() else {
        doc.paragraph(missing(source, SUPERVISION_ZH).unwrap_or_default());
        return;
    };
    let prev = month.previous();
    if list.is_empty() {
        doc.paragraph(format!("{}未发现问题。", prev.zh()));
        return;
    }
    let closed = list.iter().filter(|p| p.state == "closed").count();
    let overdue: Vec<&Problem> = list.iter().filter(|p| p.overdue).collect();
    let recurrent = list.iter().filter(|p| p.recurrent).count();
    doc.paragraph(format!(
        "{}发现的{}个问题中，已整改销号{}个，整改中{}个，其中逾期未整改{}个；屡查屡犯{}个。",
        prev.zh(),
        list.len(),
        closed,
        list.len() - closed,
        overdue.len(),
        recurrent
    ));
    if !overdue.is_empty() {
        let rows = overdue
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.hall_name.clone()),
                    Cell::Text(p.title.clone()),
                    Cell::Text(day(p.due_ms)),
                    Cell::Text(p.state_zh.clone()),
                ]
            })
            .collect();
        doc.table(
            Some("逾期未整改问题"),
            &["服务中心", "问题", "整改时限", "状态"],
            rows,
        );
    }
}

fn attachments(doc: &mut Document, source: &Source<Vec<Problem>>) {
    let Some(list) = source.data() else {
        return;
    };
    let mut sorted: Vec<&Problem> = list.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.hall_name, a.issued_ms, &a.id).cmp(&(&b.hall_name, b.issued_ms, &b.id))
    });
    doc.blocks
        .push(bantong_hall_kit::document::Block::PageBreak);
    doc.paragraph("附件1");
    let rows = sorted
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::Text(p.hall_name.clone()),
                Cell::Text(p.category.clone()),
                Cell::Text(described(p)),
                Cell::Text(p.item.clone().unwrap_or_else(|| "—".into())),
                Cell::Text(p.source_zh.clone()),
                Cell::Text(day(p.due_ms)),
                Cell::Text(p.state_zh.clone()),
            ]
        })
        .collect();
    doc.table(
        Some("问题清单"),
        &[
            "序号",
            "服务中心",
            "类别",
            "问题描述",
            "检查项",
            "来源",
            "整改时限",
            "状态",
        ],
        rows,
    );
    doc.blocks
        .push(bantong_hall_kit::document::Block::PageBreak);
    doc.paragraph("附件2");
    let rows = sorted
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::Text(p.hall_name.clone()),
                Cell::Text(p.title.clone()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]
        })
        .collect();
    doc.table(
        Some("整改反馈表"),
        &[
            "序号",
            "服务中心",
            "问题",
            "整改措施",
            "完成时间",
            "佐证材料",
            "复查结论",
        ],
        rows,
    );
}

/// The document's text, one block a line (tables as `title|cells;…`,
/// figures as their lines), for tests.
#[cfg(test)]
pub(crate) fn texts(doc: &Document) -> String {
    doc.blocks
        .iter()
        .map(|b| match b {
            bantong_hall_kit::document::Block::Heading { text, .. }
            | bantong_hall_kit::document::Block::Paragraph { text } => text.clone(),
            bantong_hall_kit::document::Block::Table { title, rows, .. } => format!(
                "{}|{}",
                title.clone().unwrap_or_default(),
                rows.iter()
                    .map(|r| r.iter().map(Cell::text).collect::<Vec<_>>().join(","))
                    .collect::<Vec<_>>()
                    .join(";")
            ),
            bantong_hall_kit::document::Block::Figures { items, .. } => items
                .iter()
                .map(NamedFigure::line)
                .collect::<Vec<_>>()
                .join(";"),
            _ => String::new(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::{CategoryCount, Hall, HallRow, Overall};
    use bantong_hall_kit::document::Block;

    fn row(hall: &str, name: &str, score: Option<(u64, u64)>, rank: Option<u32>) -> HallRow {
        let f = |s: Option<(u64, u64)>| match s {
            Some((n, d)) => Figure::mean_points(n, d, "得分"),
            None => Figure::mean_points(0, 0, "得分"),
        };
        HallRow {
            hall: hall.into(),
            hall_name: name.into(),
            score: f(score),
            rank,
            previous: f(None),
            previous_rank: None,
            change: None,
            rank_change: None,
            visits: u64::from(score.is_some()),
            covered: score.is_some(),
            problems: 0,
            satisfaction: None,
            survey_answers: 0,
            ratings: 0,
            good_rate: None,
            bad_ratings: 0,
            completion: None,
        }
    }

    fn inputs(scorecard: Source<Scorecard>, hotline: Source<HotlineKpis>) -> MonthlyInputs {
        MonthlyInputs {
            month: "2026-11".into(),
            read_ms: 0,
            halls: vec![
                Hall {
                    id: "bailou".into(),
                    name_zh: "百楼镇便民服务中心".into(),
                },
                Hall {
                    id: "wuyao".into(),
                    name_zh: "五尧乡便民服务中心".into(),
                },
            ],
            scorecard,
            problems: Source::Ready {
                version: "0.1.0".into(),
                data: Vec::new(),
            },
            previous_problems: Source::Absent,
            hotline,
        }
    }

    #[test]
    fn absent_modules_are_named_and_nothing_fails() {
        let doc = document(
            &inputs(Source::Absent, Source::Absent),
            &Narrative::default(),
            "保定市莲池区政务服务管理局",
            "2026年12月1日",
        );
        doc.check().unwrap();
        let t = texts(&doc);
        assert!(t.contains("“监督促效”模块未安装，本节无数据。"), "{t}");
        assert!(
            t.contains("“一号统领（热线）”模块未安装，本节无数据。"),
            "{t}"
        );
        assert!(t.contains(DEFAULT_NEXT_STEPS));
        let headings: Vec<&str> = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level: 1, text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            headings,
            [
                "基本情况",
                "得分排名",
                "发现问题分类统计",
                "满意度调查",
                "热线运行情况",
                "好差评情况",
                "上月问题整改情况",
                "下步工作与整改要求"
            ]
        );
    }

    #[test]
    fn the_ranking_prints_scores_ranks_and_the_rule() {
        let card = Scorecard {
            month: "2026-11".into(),
            rule: "按检查项等权计分".into(),
            overall: Overall {
                coverage: Some(Figure::ratio(1, 2, "月覆盖率 = 已检查中心 / 中心数")),
                ..Overall::default()
            },
            categories: vec![CategoryCount {
                category: "现场管理".into(),
                problems: 3,
            }],
            recurrence_by_item: Vec::new(),
            items: vec![
                row("wuyao", "五尧乡便民服务中心", None, None),
                row("bailou", "百楼镇便民服务中心", Some((8571, 1)), Some(1)),
            ],
        };
        let failed = Source::Failed {
            error: "module hotline answered 503".into(),
        };
        let doc = document(
            &inputs(
                Source::Ready {
                    version: "0.1.0".into(),
                    data: card,
                },
                failed,
            ),
            &Narrative {
                evaluation: "整体平稳。".into(),
                ..Narrative::default()
            },
            "区政务服务管理局",
            "2026年12月1日",
        );
        doc.check().unwrap();
        let t = texts(&doc);
        assert!(t.contains("计分规则：按检查项等权计分"), "{t}");
        // Ranked first, then the unranked hall.
        assert!(t.contains("各服务中心本月得分及排名|1,百楼镇便民服务中心,85.71,—,—,—,1;—,五尧乡便民服务中心,—,—,—,—,0"), "{t}");
        assert!(t.contains("本月有1个中心无已签署的检查，不参与排名。"));
        assert!(t.contains("月覆盖率：50.0%（1/2）"), "{t}");
        assert!(t.contains("现场管理,3,100.0%（3/3）"), "{t}");
        assert!(t.contains("整体平稳。"));
        assert!(
            t.contains("数据读取失败（module hotline answered 503）"),
            "{t}"
        );
        assert!(
            doc.blocks
                .iter()
                .any(|b| matches!(b, Block::Chart(c) if c.labels == ["百楼镇"]))
        );
    }

    #[test]
    fn typical_problems_prefer_recurrent_and_photographed_two_per_hall() {
        let p = |id: &str, hall: &str, recurrent: bool, photo: bool, at: i64| Problem {
            id: id.into(),
            hall: hall.into(),
            recurrent,
            photos: if photo { vec!["ab".into()] } else { Vec::new() },
            issued_ms: at,
            title: id.into(),
            ..Problem::default()
        };
        let list = vec![
            p("a1", "a", false, false, 1),
            p("a2", "a", true, false, 5),
            p("a3", "a", false, true, 3),
            p("a4", "a", true, true, 9),
            p("b1", "b", false, false, 2),
        ];
        let ids: Vec<&str> = typical(&list, 5).iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a4", "a2", "b1"]);
        assert_eq!(typical(&list, 1).len(), 1);
    }

    #[test]
    fn narratives_are_bounded() {
        let long = Narrative {
            overview: "字".repeat(MAX_NARRATIVE + 1),
            ..Narrative::default()
        };
        assert!(long.check().is_err());
        let control = Narrative {
            next_steps: "a\u{7}b".into(),
            ..Narrative::default()
        };
        assert!(control.check().is_err());
        assert!(
            Narrative {
                evaluation: "一\n二".into(),
                ..Narrative::default()
            }
            .check()
            .is_ok()
        );
    }
}
