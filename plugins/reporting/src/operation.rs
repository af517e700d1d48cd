//! The month's project operation report (项目运行报告): how the district's
//! service system ran — staffing and attendance, training and exams, the
//! hotline, door-to-door and assisted service with extended hours, 好差评,
//! supervision — and the halls' performance evaluation (绩效考评), each
//! section filled from the module that owns it or saying it is not
//! installed. Pure, like the monthly report.

use bantong_hall_kit::document::{Cell, Document, NamedFigure};
use bantong_hall_kit::figure::{Figure, Lang};

use crate::month::Month;
use crate::monthly::{Narrative, closing, month_of, named, opening, paragraphs, short_name};
use crate::sources::{HotlineKpis, ModuleFigures, OperationInputs, Scorecard, Source};

/// The title of the report of `month`.
pub fn title(month: Month) -> String {
    format!("{}政务服务项目运行报告", month.zh())
}

/// What a section says for an absent or failed module.
fn missing<T>(source: &Source<T>, module_zh: &str) -> String {
    crate::monthly::missing(source, module_zh).unwrap_or_default()
}

fn text(f: &Option<Figure>) -> String {
    f.as_ref()
        .map_or_else(|| "—".to_owned(), |f| f.text(Lang::Zh))
}

/// A figure's name: its definition up to ` = ` (`好评率 = …` → 好评率).
fn name_of(id: &str, f: &Figure) -> String {
    let d = f.definition_in(Lang::Zh);
    d.split_once(" = ")
        .or_else(|| d.split_once('='))
        .map(|(n, _)| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.to_owned())
}

/// A section from a module's published figures (of a month or a year).
pub(crate) fn module_section(
    doc: &mut Document,
    heading: &str,
    source: &Source<ModuleFigures>,
    module_zh: &str,
) {
    doc.heading(1, heading);
    let Some(m) = source.data() else {
        doc.paragraph(missing(source, module_zh));
        return;
    };
    if m.overall.is_empty() {
        doc.paragraph(format!("“{module_zh}”模块本月未发布指标。"));
        return;
    }
    let items: Vec<NamedFigure> = m
        .overall
        .iter()
        .map(|(id, f)| NamedFigure {
            name: name_of(id, f),
            figure: f.clone(),
        })
        .collect();
    doc.figures(Some(&format!("{module_zh}主要指标")), items);
}

/// Drafts the document.
pub fn document(
    inputs: &OperationInputs,
    narrative: &Narrative,
    issuer: &str,
    date: &str,
) -> Document {
    let month = month_of(&inputs.month);
    let mut doc = opening("政务服务项目运行报告", month.zh(), issuer, date);

    doc.heading(1, "基本情况");
    doc.paragraph(format!(
        "{}，全区{}个政务服务中心（便民服务中心）运行情况如下，各项指标均由对应业务模块按统一口径计算，并列明分子、分母和计算口径。",
        month.zh(),
        inputs.halls.len()
    ));
    paragraphs(&mut doc, &narrative.overview);

    module_section(&mut doc, "人员配置与考勤", &inputs.staffing, "人事管理");
    module_section(&mut doc, "培训与考试", &inputs.training, "培训考试");
    hotline(&mut doc, &inputs.hotline);
    module_section(
        &mut doc,
        "上门办、帮办代办与延时服务",
        &inputs.door_service,
        "上门办",
    );
    ratings(&mut doc, &inputs.scorecard);
    supervision(&mut doc, &inputs.scorecard);
    evaluation(&mut doc, &inputs.scorecard, narrative);

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
    "对照本报告所列指标，补齐未达标项目；未安装模块的运行数据纳入下一阶段建设计划。";

fn hotline(doc: &mut Document, source: &Source<HotlineKpis>) {
    doc.heading(1, "一号统领热线运行");
    let Some(k) = source.data() else {
        doc.paragraph(missing(source, "一号统领（热线）"));
        return;
    };
    crate::monthly::hotline_summary(doc, k);
}

fn ratings(doc: &mut Document, source: &Source<Scorecard>) {
    doc.heading(1, "好差评");
    let Some(c) = source.data() else {
        doc.paragraph(missing(source, "监督促效"));
        return;
    };
    doc.paragraph(format!(
        "本月各中心评价器、一体机共收到评价{}条。",
        c.overall.ratings
    ));
    let items: Vec<NamedFigure> = [
        named("好评率", &c.overall.good_rate),
        named("差评率", &c.overall.bad_rate),
        named("差评按时核实率", &c.overall.verified_on_time),
        named("实名差评回访率", &c.overall.callback_rate),
    ]
    .into_iter()
    .flatten()
    .collect();
    doc.figures(Some("好差评主要指标"), items);
}

fn supervision(doc: &mut Document, source: &Source<Scorecard>) {
    doc.heading(1, "监督检查");
    let Some(c) = source.data() else {
        doc.paragraph(missing(source, "监督促效"));
        return;
    };
    let items: Vec<NamedFigure> = [
        named("月覆盖率", &c.overall.coverage),
        named("发现问题数", &c.overall.problems),
        named("整改完成率", &c.overall.completion),
        named("按期整改率", &c.overall.on_time),
        named("屡查屡犯率", &c.overall.recurrence),
        named("满意率（满意度调查）", &c.overall.satisfaction),
    ]
    .into_iter()
    .flatten()
    .collect();
    doc.figures(Some("监督检查主要指标"), items);
}

/// 绩效考评: every hall's month — inspection score and rank, 整改完成率,
/// 好评率 and the survey's 满意率 — in rank order.
fn evaluation(doc: &mut Document, source: &Source<Scorecard>, narrative: &Narrative) {
    doc.heading(1, "绩效考评情况");
    let Some(c) = source.data() else {
        doc.paragraph(missing(source, "监督促效"));
        return;
    };
    doc.paragraph(format!(
        "按本月监督检查得分排名（{}），同时列出各中心的整改完成率、现场评价好评率和满意度调查满意率。",
        c.rule
    ));
    let rows: Vec<Vec<Cell>> = c
        .items
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.rank.map_or_else(|| "—".to_owned(), |n| n.to_string())),
                Cell::Text(short_name(&r.hall_name)),
                Cell::Text(
                    r.score
                        .value
                        .map_or_else(|| "—".to_owned(), |v| format!("{v:.2}")),
                ),
                Cell::Text(text(&r.completion)),
                Cell::Text(text(&r.good_rate)),
                Cell::Text(text(&r.satisfaction)),
            ]
        })
        .collect();
    doc.table(
        Some("各中心绩效考评"),
        &[
            "排名",
            "服务中心",
            "检查得分",
            "整改完成率",
            "好评率",
            "满意率",
        ],
        rows,
    );
    paragraphs(doc, &narrative.evaluation);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monthly::texts;
    use crate::sources::{Hall, HallRow, Kpis, Overall};

    fn inputs(scorecard: Source<Scorecard>, training: Source<ModuleFigures>) -> OperationInputs {
        OperationInputs {
            month: "2026-11".into(),
            read_ms: 0,
            halls: vec![Hall {
                id: "bailou".into(),
                name_zh: "百楼镇行政综合服务中心".into(),
            }],
            scorecard,
            hotline: Source::Ready {
                version: "0.1.0".into(),
                data: HotlineKpis {
                    overall: Kpis {
                        calls_offered: 120,
                        calls_answered: 110,
                        orders_received: 30,
                        ..Kpis::default()
                    },
                    ..HotlineKpis::default()
                },
            },
            staffing: Source::Absent,
            training,
            door_service: Source::Absent,
        }
    }

    fn card() -> Scorecard {
        Scorecard {
            month: "2026-11".into(),
            rule: "各项等权".into(),
            overall: Overall {
                ratings: 40,
                good_rate: Some(Figure::ratio(38, 40, "好评率 = 好评数 / 评价数")),
                ..Overall::default()
            },
            items: vec![HallRow {
                hall: "bailou".into(),
                hall_name: "百楼镇行政综合服务中心".into(),
                score: Figure::mean_points(9_500, 1, "得分"),
                rank: Some(1),
                previous: Figure::mean_points(0, 0, "得分"),
                previous_rank: None,
                change: None,
                rank_change: None,
                visits: 1,
                covered: true,
                problems: 1,
                satisfaction: None,
                survey_answers: 0,
                ratings: 40,
                good_rate: Some(Figure::ratio(38, 40, "好评率")),
                bad_ratings: 2,
                completion: Some(Figure::ratio(1, 2, "整改完成率")),
            }],
            ..Scorecard::default()
        }
    }

    #[test]
    fn every_section_fills_from_its_module_or_says_it_is_not_installed() {
        let mut training = ModuleFigures::default();
        training.overall.insert(
            "pass_rate".into(),
            Figure::ratio(45, 50, "考试合格率 = 成绩不低于60分的人数 / 参考人数"),
        );
        let doc = document(
            &inputs(
                Source::Ready {
                    version: "0.1.0".into(),
                    data: card(),
                },
                Source::Ready {
                    version: "0.1.0".into(),
                    data: training,
                },
            ),
            &Narrative::default(),
            "区政务服务管理局",
            "2026年12月1日",
        );
        doc.check().unwrap();
        let t = texts(&doc);
        assert!(t.contains("“人事管理”模块未安装，本节无数据。"), "{t}");
        assert!(t.contains("“上门办”模块未安装，本节无数据。"), "{t}");
        assert!(t.contains("考试合格率：90.0%（45/50）"), "{t}");
        assert!(
            t.contains("本月热线呼入120次，人工接通110次，受理工单30件。"),
            "{t}"
        );
        assert!(t.contains("好评率：95.0%（38/40）"), "{t}");
        assert!(
            t.contains("各中心绩效考评|1,百楼镇,95.00,50.0%（1/2）,95.0%（38/40）,—"),
            "{t}"
        );
        assert!(t.contains(DEFAULT_NEXT_STEPS));
    }

    #[test]
    fn without_supervision_the_evaluation_says_so() {
        let doc = document(
            &inputs(Source::Absent, Source::Absent),
            &Narrative::default(),
            "x",
            "y",
        );
        let t = texts(&doc);
        assert!(t.contains("“培训考试”模块未安装，本节无数据。"), "{t}");
        assert_eq!(
            t.matches("“监督促效”模块未安装，本节无数据。").count(),
            3,
            "{t}"
        );
    }
}
