//! 月考月报: the month's exams as a document the district's training
//! office sends — the basic facts, the figures with their definitions,
//! each exam, each hall (ranked), the knowledge points from weakest, the
//! gaps and their follow-up — in the document model the host renders as
//! PDF, DOCX or XLSX.

use std::collections::BTreeMap;

use bantong_hall_kit::document::{Cell, Chart, ChartKind, Document, NamedFigure, Series};
use serde::{Deserialize, Serialize};

use crate::figures::Figures;
use crate::mastery::Tally;
use crate::stats::Summary;

/// What closing an exam recorded of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub summary: Summary,
    pub alpha: Option<f64>,
    /// Questions flagged for review.
    pub flagged: u32,
    /// Knowledge gaps found (people × points).
    pub gaps: u32,
}

/// One exam of the month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExamLine {
    pub title: String,
    pub kind_zh: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub questions: u32,
    pub marks: u32,
    /// Candidates expected.
    pub expected: u32,
    /// None while the exam is not closed.
    pub outcome: Option<Outcome>,
}

/// Everything the report is drafted from.
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// `2026-12`.
    pub month: String,
    /// (id, Chinese name), in the directory's order.
    pub halls: Vec<(String, String)>,
    pub exams: Vec<ExamLine>,
    pub overall: Figures,
    pub per_hall: BTreeMap<String, Figures>,
    /// The district's marks per knowledge point in the month.
    pub knowledge: BTreeMap<String, Tally>,
    /// The mastery line, 0–1.
    pub line: f64,
}

fn pct(v: Option<f64>) -> Cell {
    v.map_or(Cell::Text("—".into()), |r| {
        Cell::Text(format!("{:.1}%", r * 100.0))
    })
}

fn num(v: Option<f64>) -> Cell {
    v.map_or(Cell::Text("—".into()), |x| Cell::Text(format!("{x:.1}")))
}

/// `2026-12` → `2026年12月`.
pub fn month_zh(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
        None => month.to_owned(),
    }
}

fn figure_items(f: &Figures) -> Vec<NamedFigure> {
    [
        ("参考率", &f.participation),
        ("合格率", &f.pass_rate),
        ("优秀率", &f.excellent_rate),
        ("平均分", &f.mean_score),
        ("跟进培训完成率", &f.follow_up),
    ]
    .into_iter()
    .map(|(n, fig)| NamedFigure {
        name: n.to_owned(),
        figure: fig.clone(),
    })
    .collect()
}

/// Drafts the report.
pub fn document(inputs: &Inputs, issuer: &str, date: &str) -> Document {
    let month = month_zh(&inputs.month);
    let mut doc = Document::new("业务知识考试月度报告");
    doc.subtitle = Some(month.clone());
    doc.issuer = Some(issuer.to_owned());
    doc.date = Some(date.to_owned());
    doc.cover = true;

    let o = &inputs.overall;
    let mut kinds: BTreeMap<&str, u32> = BTreeMap::new();
    for e in &inputs.exams {
        *kinds.entry(e.kind_zh.as_str()).or_default() += 1;
    }
    let kinds_text = kinds
        .iter()
        .map(|(k, n)| format!("{k}{n}场"))
        .collect::<Vec<_>>()
        .join("、");
    doc.heading(1, "基本情况");
    if inputs.exams.is_empty() {
        doc.paragraph(format!("{month}，全区未组织计入统计的业务知识考试。"));
    } else {
        doc.paragraph(format!(
            "{month}，全区共组织业务知识考试{}场（{kinds_text}），应考{}人次，实考{}人次，参考率{}；合格{}人次，合格率{}；平均分{}（百分制）。",
            inputs.exams.len(),
            o.participation.denominator,
            o.participation.numerator,
            o.participation.value_text(bantong_hall_kit::figure::Lang::Zh),
            o.pass_rate.numerator,
            o.pass_rate.value_text(bantong_hall_kit::figure::Lang::Zh),
            o.mean_score.value.map_or("—".to_owned(), |v| format!("{v:.1}")),
        ));
    }
    doc.figures(Some("主要指标"), figure_items(o));

    doc.heading(1, "各场考试情况");
    let rows: Vec<Vec<Cell>> = inputs
        .exams
        .iter()
        .map(|e| {
            let s = e.outcome.as_ref().map(|x| &x.summary);
            let dash = || Cell::Text("—".into());
            vec![
                Cell::Text(e.title.clone()),
                Cell::Text(e.kind_zh.clone()),
                Cell::Text(e.date.get(5..).unwrap_or(&e.date).to_owned()),
                Cell::Number(f64::from(e.expected)),
                s.map_or_else(dash, |s| Cell::Number(f64::from(s.sat))),
                pct(s.and_then(|s| s.participation)),
                pct(s.and_then(|s| s.pass_rate)),
                num(s.and_then(|s| s.mean)),
                e.outcome
                    .as_ref()
                    .and_then(|x| x.alpha)
                    .map_or_else(dash, |a| Cell::Text(format!("{a:.2}"))),
                e.outcome
                    .as_ref()
                    .map_or(Cell::Text("未出分析".into()), |x| {
                        Cell::Number(f64::from(x.flagged))
                    }),
            ]
        })
        .collect();
    doc.table(
        Some("表1 各场考试成绩"),
        &[
            "考试",
            "类型",
            "日期",
            "应考",
            "实考",
            "参考率",
            "合格率",
            "平均分",
            "信度α",
            "需复核题",
        ],
        rows,
    );
    doc.paragraph(
        "说明：信度α为试卷内部一致性系数（Cronbach's α），0.75以上为好，低于0.64说明试卷各题测量的内容不一致；需复核题为难度过高或过低、区分度低或为负、干扰项无效的题目，已在题库中提示出题人复核。",
    );

    doc.heading(1, "各服务中心情况");
    let mut ranked: Vec<(&str, &str, &Figures)> = inputs
        .halls
        .iter()
        .filter_map(|(id, name)| {
            inputs
                .per_hall
                .get(id)
                .map(|f| (id.as_str(), name.as_str(), f))
        })
        .collect();
    ranked.sort_by(|a, b| {
        let m = |f: &Figures| f.mean_score.value.unwrap_or(-1.0);
        m(b.2).total_cmp(&m(a.2)).then(a.0.cmp(b.0))
    });
    let rows: Vec<Vec<Cell>> = ranked
        .iter()
        .enumerate()
        .map(|(i, (_, name, f))| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::Text((*name).to_owned()),
                Cell::Number(f.participation.denominator as f64),
                Cell::Number(f.participation.numerator as f64),
                pct(f.participation.value),
                pct(f.pass_rate.value),
                num(f.mean_score.value),
                pct(f.follow_up.value),
            ]
        })
        .collect();
    doc.table(
        Some("表2 各服务中心考试情况（按平均分排序）"),
        &[
            "排名",
            "服务中心",
            "应考",
            "实考",
            "参考率",
            "合格率",
            "平均分",
            "跟进完成率",
        ],
        rows,
    );
    if !ranked.is_empty() {
        doc.chart(Chart {
            kind: ChartKind::Bar,
            title: "各服务中心平均分".into(),
            labels: ranked.iter().map(|r| r.1.to_owned()).collect(),
            series: vec![Series {
                name: "平均分".into(),
                values: ranked
                    .iter()
                    .map(|r| r.2.mean_score.value.unwrap_or(0.0))
                    .collect(),
            }],
            unit: Some("分".into()),
        });
    }

    doc.heading(1, "知识点掌握情况");
    let mut points: Vec<(&String, &Tally)> =
        inputs.knowledge.iter().filter(|(_, t)| t.max > 0).collect();
    points.sort_by(|a, b| {
        let m = |t: &Tally| t.mastery().unwrap_or(0.0);
        m(a.1).total_cmp(&m(b.1)).then(a.0.cmp(b.0))
    });
    let weak: Vec<&str> = points
        .iter()
        .filter(|(_, t)| t.mastery().is_some_and(|m| m < inputs.line))
        .map(|(k, _)| k.as_str())
        .collect();
    if points.is_empty() {
        doc.paragraph("本月无已出分的考试答卷，暂无知识点掌握情况。");
    } else if weak.is_empty() {
        doc.paragraph(format!(
            "本月考查{}个知识点，全区掌握度均达到{:.0}%以上。",
            points.len(),
            inputs.line * 100.0
        ));
    } else {
        doc.paragraph(format!(
            "本月考查{}个知识点，全区掌握度低于{:.0}%的薄弱知识点有{}个：{}。请各服务中心据此安排针对性培训。",
            points.len(),
            inputs.line * 100.0,
            weak.len(),
            weak.join("、")
        ));
    }
    let rows: Vec<Vec<Cell>> = points
        .iter()
        .map(|(k, t)| {
            vec![
                Cell::Text((*k).clone()),
                pct(t.mastery()),
                Cell::Text(format!(
                    "{:.1} / {:.1}",
                    t.got as f64 / 100.0,
                    t.max as f64 / 100.0
                )),
                Cell::Text(
                    if t.mastery().is_some_and(|m| m < inputs.line) {
                        "薄弱"
                    } else {
                        ""
                    }
                    .into(),
                ),
            ]
        })
        .collect();
    doc.table(
        Some("表3 知识点掌握度（由低到高）"),
        &["知识点", "掌握度", "得分 / 满分", "提示"],
        rows,
    );
    doc.paragraph("口径：掌握度 = 考生在标注该知识点的题目上的得分之和 / 这些题目的满分之和（一题标注多个知识点时各计一次）。");

    doc.heading(1, "短板跟进");
    let gaps: u32 = inputs
        .exams
        .iter()
        .filter_map(|e| e.outcome.as_ref())
        .map(|x| x.gaps)
        .sum();
    doc.paragraph(format!(
        "本月考试共发现知识短板{gaps}人次（掌握度低于{:.0}%或低于同批考生平均水平一个标准差以上），均已自动布置跟进培训并推送学习资料；跟进培训完成率{}。",
        inputs.line * 100.0,
        o.follow_up.text(bantong_hall_kit::figure::Lang::Zh),
    ));

    doc.heading(1, "下一步工作");
    doc.paragraph("一是针对薄弱知识点组织专题培训和一对一辅导，下月考试中加大相关题目比重；二是对参考率偏低的服务中心督促落实考试纪律，无故缺考的纳入绩效考评；三是对需复核的题目组织出题人修订或停用，保持题库准确有效。");
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{ExamLine as FigLine, fold};
    use crate::stats::{Thresholds, summary};

    #[test]
    fn the_report_names_the_weak_points_and_ranks_the_halls() {
        let (overall, per_hall) = fold(
            &[FigLine {
                id: "e".into(),
                pass: 60,
                excellent: 90,
                candidates: vec![
                    ("a".into(), "bailou".into()),
                    ("b".into(), "nanyuan".into()),
                ],
            }],
            &[
                ("e".into(), "a".into(), 9_000),
                ("e".into(), "b".into(), 5_000),
            ],
            &[("nanyuan".into(), true)],
        );
        let mut knowledge = BTreeMap::new();
        knowledge.insert(
            "首问负责".to_owned(),
            Tally {
                got: 500,
                max: 1_000,
            },
        );
        knowledge.insert(
            "一次性告知".to_owned(),
            Tally {
                got: 900,
                max: 1_000,
            },
        );
        let inputs = Inputs {
            month: "2026-12".into(),
            halls: vec![
                ("nanyuan".into(), "南苑".into()),
                ("bailou".into(), "白楼".into()),
            ],
            exams: vec![ExamLine {
                title: "12月月考".into(),
                kind_zh: "月考".into(),
                date: "2026-12-10".into(),
                questions: 50,
                marks: 100,
                expected: 2,
                outcome: Some(Outcome {
                    summary: summary(2, &[], Thresholds::default()),
                    alpha: Some(0.81),
                    flagged: 3,
                    gaps: 1,
                }),
            }],
            overall,
            per_hall,
            knowledge,
            line: 0.6,
        };
        let doc = document(&inputs, "区政务服务中心", "2027年1月5日");
        assert!(doc.check().is_ok());
        let json = serde_json::to_string(&doc).unwrap_or_default();
        assert!(
            json.contains("2026年12月，全区共组织业务知识考试1场（月考1场）"),
            "{json}"
        );
        assert!(json.contains("薄弱知识点有1个：首问负责"));
        // 白楼 (90) ranks above 南苑 (50) whatever the directory's order.
        let bai = json.find("\"白楼\"").unwrap_or(usize::MAX);
        let nan = json.find("\"南苑\"").unwrap_or(0);
        assert!(bai < nan, "{json}");
        assert!(json.contains("0.81"));
    }
}
