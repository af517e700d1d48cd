//! The year's project operation report (年度项目运行报告): the twelve
//! months the owning modules published, summed the annual report's way
//! (numerators and denominators added, never percentages averaged) —
//! staffing, training and door service from their modules' year, the
//! hotline, 好差评 and supervision from the months — and the halls' year
//! of performance evaluation (each month scored on the published scheme of
//! [`crate::evaluation`]). Pure, like the other reports.

use bantong_hall_kit::document::{Cell, Document, NamedFigure};
use bantong_hall_kit::figure::Figure;
use serde::{Deserialize, Serialize};

use crate::annual::{AnnualInputs, sum_figures};
use crate::evaluation;
use crate::monthly::{Narrative, closing, opening, paragraphs, short_name};
use crate::operation::module_section;
use crate::sources::{ModuleFigures, Scorecard, Source};

/// What the report is drafted from: the year's months (as the annual
/// report reads them) and the staffing, training and door-service
/// modules' year (`GET /figures?year=`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationYearInputs {
    pub months: AnnualInputs,
    pub staffing: Source<ModuleFigures>,
    pub training: Source<ModuleFigures>,
    pub door_service: Source<ModuleFigures>,
}

/// The title of the report of `year`.
pub fn title(year: i32) -> String {
    format!("{year}年度政务服务项目运行报告")
}

/// Printed when nobody wrote 下步工作.
pub const DEFAULT_NEXT_STEPS: &str = "巩固全年运行成效，补齐未达标指标；人员、培训和上门办等模块上线后，将其运行数据纳入下一年度报告。";

fn cards(inputs: &AnnualInputs) -> Vec<&Scorecard> {
    inputs
        .months
        .iter()
        .filter_map(|m| m.scorecard.data())
        .collect()
}

/// Sums one figure of every month's overall scorecard.
fn year_of(cards: &[&Scorecard], pick: impl Fn(&Scorecard) -> Option<&Figure>) -> Option<Figure> {
    sum_figures(cards.iter().filter_map(|c| pick(c)))
}

fn named(name: &str, f: Option<Figure>) -> Option<NamedFigure> {
    f.map(|figure| NamedFigure {
        name: name.to_owned(),
        figure,
    })
}

/// The figures under `title`, or a line saying there were none.
fn figures_or_none(doc: &mut Document, title: &str, items: Vec<NamedFigure>) {
    if items.is_empty() {
        doc.paragraph(format!("{title}：本年度无数据。"));
    } else {
        doc.figures(Some(title), items);
    }
}

/// One hall's year of evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct HallYear {
    pub hall: String,
    pub hall_name: String,
    /// Months it was ranked in.
    pub months: usize,
    /// The mean of its monthly totals.
    pub mean: Option<f64>,
    /// Months in the first three places, and in the last three.
    pub top: usize,
    pub last: usize,
}

/// Every hall's months evaluated on the scheme, in order of their mean.
pub fn hall_years(cards: &[&Scorecard]) -> Vec<HallYear> {
    let mut by_hall: Vec<HallYear> = Vec::new();
    for card in cards {
        let rows = evaluation::evaluate(card);
        let ranked = rows.iter().filter(|r| r.rank.is_some()).count();
        for r in &rows {
            let i = match by_hall.iter().position(|h| h.hall == r.hall) {
                Some(i) => i,
                None => {
                    by_hall.push(HallYear {
                        hall: r.hall.clone(),
                        hall_name: r.hall_name.clone(),
                        months: 0,
                        mean: None,
                        top: 0,
                        last: 0,
                    });
                    by_hall.len() - 1
                }
            };
            let h = &mut by_hall[i];
            if let (Some(total), Some(rank)) = (r.total, r.rank) {
                let sum = h.mean.unwrap_or(0.0) * h.months as f64 + total;
                h.months += 1;
                h.mean = Some(sum / h.months as f64);
                h.top += usize::from(rank <= 3);
                h.last += usize::from(evaluation::in_last_places(rank, ranked));
            }
        }
    }
    by_hall.sort_by(|a, b| {
        b.mean
            .unwrap_or(f64::MIN)
            .total_cmp(&a.mean.unwrap_or(f64::MIN))
            .then_with(|| a.hall_name.cmp(&b.hall_name))
    });
    by_hall
}

/// Drafts the document.
pub fn document(
    inputs: &OperationYearInputs,
    narrative: &Narrative,
    issuer: &str,
    date: &str,
) -> Document {
    let year = inputs.months.year;
    let mut doc = opening(
        "政务服务项目年度运行报告",
        format!("{year}年度"),
        issuer,
        date,
    );
    let cards = cards(&inputs.months);

    doc.heading(1, "全年基本情况");
    doc.paragraph(format!(
        "{year}年，全区{}个政务服务中心（便民服务中心）全年运行情况如下。全年指标为各月分子、分母分别相加后计算，不是各月百分比的平均；共有{}个月的监督检查数据。",
        inputs.months.halls.len(),
        cards.len()
    ));
    paragraphs(&mut doc, &narrative.overview);

    module_section(&mut doc, "人员配置与考勤", &inputs.staffing, "人事管理");
    module_section(&mut doc, "培训与考试", &inputs.training, "培训考试");
    doc.heading(1, "一号统领热线运行");
    let hotlines: Vec<&Source<_>> = inputs.months.months.iter().map(|m| &m.hotline).collect();
    match crate::annual::missing(&hotlines, "一号统领（热线）") {
        Some(why) => {
            doc.paragraph(why);
        }
        None => crate::annual::hotline(&mut doc, &inputs.months),
    }
    module_section(
        &mut doc,
        "上门办、帮办代办与延时服务",
        &inputs.door_service,
        "上门办",
    );

    doc.heading(1, "好差评");
    if cards.is_empty() {
        doc.paragraph("“监督促效”模块未安装，本节无数据。");
    } else {
        let ratings: u64 = cards.iter().map(|c| c.overall.ratings).sum();
        doc.paragraph(format!("全年各中心评价器、一体机共收到评价{ratings}条。"));
        let items: Vec<NamedFigure> = [
            named(
                "全年好评率",
                year_of(&cards, |c| c.overall.good_rate.as_ref()),
            ),
            named(
                "全年差评率",
                year_of(&cards, |c| c.overall.bad_rate.as_ref()),
            ),
            named(
                "全年实名差评回访率",
                year_of(&cards, |c| c.overall.callback_rate.as_ref()),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        figures_or_none(&mut doc, "好差评全年指标", items);
    }

    doc.heading(1, "监督检查");
    if cards.is_empty() {
        doc.paragraph("“监督促效”模块未安装，本节无数据。");
    } else {
        let items: Vec<NamedFigure> = [
            named(
                "全年月覆盖率",
                year_of(&cards, |c| c.overall.coverage.as_ref()),
            ),
            named(
                "全年发现问题数",
                year_of(&cards, |c| c.overall.problems.as_ref()),
            ),
            named(
                "全年整改完成率",
                year_of(&cards, |c| c.overall.completion.as_ref()),
            ),
            named(
                "全年按期整改率",
                year_of(&cards, |c| c.overall.on_time.as_ref()),
            ),
            named(
                "全年屡查屡犯率",
                year_of(&cards, |c| c.overall.recurrence.as_ref()),
            ),
            named(
                "全年满意率（满意度调查）",
                year_of(&cards, |c| c.overall.satisfaction.as_ref()),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        figures_or_none(&mut doc, "监督检查全年指标", items);
    }

    doc.heading(1, "年度绩效考评");
    if cards.is_empty() {
        doc.paragraph("“监督促效”模块未安装，本节无数据。");
    } else {
        doc.paragraph(format!(
            "各月按绩效考评细则计算综合得分（{}），全年取参加排名各月的平均值。",
            evaluation::rule()
        ));
        let rows: Vec<Vec<Cell>> = hall_years(&cards)
            .iter()
            .enumerate()
            .map(|(i, h)| {
                vec![
                    Cell::Text(if h.mean.is_some() {
                        (i + 1).to_string()
                    } else {
                        "—".to_owned()
                    }),
                    Cell::Text(short_name(&h.hall_name)),
                    Cell::Text(h.months.to_string()),
                    Cell::Text(h.mean.map_or_else(|| "—".to_owned(), |m| format!("{m:.2}"))),
                    Cell::Text(h.top.to_string()),
                    Cell::Text(h.last.to_string()),
                ]
            })
            .collect();
        doc.table(
            Some("各中心年度绩效考评"),
            &[
                "排名",
                "服务中心",
                "参评月数",
                "月均综合得分",
                "进入前三名月数",
                "排名后三位月数",
            ],
            rows,
        );
    }
    paragraphs(&mut doc, &narrative.evaluation);
    closing(
        &mut doc,
        "下一年度工作",
        &narrative.next_steps,
        DEFAULT_NEXT_STEPS,
    );
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annual::MonthRead;
    use crate::monthly::texts;
    use crate::sources::{HallRow, Overall};

    fn row(hall: &str, score: u64) -> HallRow {
        HallRow {
            hall: hall.into(),
            hall_name: format!("{hall}镇行政综合服务中心"),
            score: Figure::mean_points(score * 100, 1, "得分"),
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
            ratings: 10,
            good_rate: None,
            bad_ratings: 0,
            completion: None,
        }
    }

    fn month(m: u8, scores: [u64; 2], good: (u64, u64)) -> MonthRead {
        MonthRead {
            month: format!("2026-{m:02}"),
            scorecard: Source::Ready {
                version: "0.1.0".into(),
                data: Scorecard {
                    month: format!("2026-{m:02}"),
                    overall: Overall {
                        ratings: good.1,
                        good_rate: Some(Figure::ratio(good.0, good.1, "好评率 = 好评数 / 评价数")),
                        ..Overall::default()
                    },
                    items: vec![row("a", scores[0]), row("b", scores[1])],
                    ..Scorecard::default()
                },
            },
            hotline: Source::Absent,
        }
    }

    #[test]
    fn the_year_sums_the_months_and_averages_each_halls_evaluation() {
        let inputs = OperationYearInputs {
            months: AnnualInputs {
                year: 2026,
                read_ms: 0,
                halls: Vec::new(),
                months: vec![month(1, [90, 80], (9, 10)), month(2, [70, 100], (1, 30))],
            },
            staffing: Source::Absent,
            training: Source::Absent,
            door_service: Source::Absent,
        };
        let doc = document(
            &inputs,
            &Narrative::default(),
            "区政务服务管理局",
            "2027年1月5日",
        );
        doc.check().unwrap();
        let t = texts(&doc);
        // 10/40, not the mean of 90% and 3.3%.
        assert!(t.contains("全年好评率：25.0%（10/40）"), "{t}");
        assert!(
            t.contains("全年各中心评价器、一体机共收到评价40条。"),
            "{t}"
        );
        // b: (80 + 100) / 2 = 90 ahead of a: (90 + 70) / 2 = 80.
        assert!(
            t.contains("各中心年度绩效考评|1,b镇,2,90.00,2,0;2,a镇,2,80.00,2,0"),
            "{t}"
        );
        assert!(t.contains("“人事管理”模块未安装，本节无数据。"), "{t}");
        assert!(
            t.contains("“一号统领（热线）”模块未安装，本节无数据。"),
            "{t}"
        );
        assert!(t.contains(DEFAULT_NEXT_STEPS));
    }
}
