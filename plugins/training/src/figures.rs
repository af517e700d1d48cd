//! The month's (or year's) training figures, each with its numerator,
//! denominator and definition, for the district and per hall — what the
//! portal shows and the reporting module prints.
//!
//! - 参考率 = candidates who sat ÷ candidates expected, summed over the
//!   period's exams that count (not practice, not recruitment);
//! - 合格率 = candidates whose best sitting passed ÷ candidates who sat
//!   with nothing left to mark;
//! - 优秀率 likewise, at the exam's excellent line;
//! - 平均分 = mean of the best scores (percent of the marks);
//! - 跟进培训完成率 = follow-up assignments studied or mastered ÷ set in
//!   the period.

use std::collections::BTreeMap;

use bantong_hall_kit::figure::Figure;
use serde::Serialize;

/// An exam of the period, as the figures need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamLine {
    pub id: String,
    pub pass: u32,
    pub excellent: u32,
    /// Each expected candidate's hall ("" for district staff).
    pub candidates: Vec<(String, String)>,
}

/// A candidate's best finished sitting of an exam with nothing pending:
/// `(exam, candidate, best percent in hundredths)`.
pub type Best = (String, String, u32);

/// Assignments of the period: `(hall, settled)` per assignment.
pub type Assigned = (String, bool);

/// The figures of one scope (the district or a hall).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub participation: Figure,
    pub pass_rate: Figure,
    pub excellent_rate: Figure,
    pub mean_score: Figure,
    pub follow_up: Figure,
}

#[derive(Default)]
struct Tally {
    expected: u64,
    sat: u64,
    passed: u64,
    excellent: u64,
    percent_centi: u64,
    assigned: u64,
    settled: u64,
}

impl Tally {
    fn figures(&self) -> Figures {
        Figures {
            participation: Figure::ratio(
                self.sat,
                self.expected,
                "参考率 = 参加考试人次 / 应考人次 participation = sat / expected",
            ),
            pass_rate: Figure::ratio(
                self.passed,
                self.sat,
                "合格率 = 最好成绩达到合格线的人次 / 参考人次 pass rate = passed / sat",
            ),
            excellent_rate: Figure::ratio(
                self.excellent,
                self.sat,
                "优秀率 = 最好成绩达到优秀线的人次 / 参考人次 excellent rate = excellent / sat",
            ),
            mean_score: Figure::mean_points(
                self.percent_centi,
                self.sat,
                "平均分 = 各人最好成绩（百分制）之和 / 参考人次 mean score = sum of best scores (of 100) / sat",
            ),
            follow_up: Figure::ratio(
                self.settled,
                self.assigned,
                "跟进培训完成率 = 已完成的跟进培训任务 / 布置的任务 follow-up completion = done / assigned",
            ),
        }
    }
}

/// The district's figures and each hall's.
pub fn fold(
    exams: &[ExamLine],
    best: &[Best],
    assigned: &[Assigned],
) -> (Figures, BTreeMap<String, Figures>) {
    let mut all = Tally::default();
    let mut halls: BTreeMap<String, Tally> = BTreeMap::new();
    let mut hall_of: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    let lines: BTreeMap<&str, &ExamLine> = exams.iter().map(|e| (e.id.as_str(), e)).collect();
    for e in exams {
        for (c, h) in &e.candidates {
            all.expected += 1;
            halls.entry(h.clone()).or_default().expected += 1;
            hall_of.insert((e.id.as_str(), c.as_str()), h.as_str());
        }
    }
    for (exam, candidate, p) in best {
        let (Some(line), Some(hall)) = (
            lines.get(exam.as_str()),
            hall_of.get(&(exam.as_str(), candidate.as_str())),
        ) else {
            continue;
        };
        let h = halls.entry((*hall).to_owned()).or_default();
        for t in [&mut all, h] {
            t.sat += 1;
            t.percent_centi += u64::from(*p);
            t.passed += u64::from(*p >= line.pass * 100);
            t.excellent += u64::from(*p >= line.excellent * 100);
        }
    }
    for (hall, settled) in assigned {
        let h = halls.entry(hall.clone()).or_default();
        for t in [&mut all, h] {
            t.assigned += 1;
            t.settled += u64::from(*settled);
        }
    }
    (
        all.figures(),
        halls.into_iter().map(|(h, t)| (h, t.figures())).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_count_best_sittings_against_the_expected() {
        let exams = vec![
            ExamLine {
                id: "e1".into(),
                pass: 60,
                excellent: 90,
                candidates: vec![
                    ("a".into(), "bailou".into()),
                    ("b".into(), "bailou".into()),
                    ("c".into(), "nanyuan".into()),
                ],
            },
            ExamLine {
                id: "e2".into(),
                pass: 80,
                excellent: 95,
                candidates: vec![("a".into(), "bailou".into())],
            },
        ];
        let best = vec![
            ("e1".into(), "a".into(), 9_500),
            ("e1".into(), "c".into(), 5_950),
            ("e2".into(), "a".into(), 7_999),
            ("e9".into(), "z".into(), 10_000),
        ];
        let assigned = vec![("nanyuan".into(), false), ("bailou".into(), true)];
        let (all, halls) = fold(&exams, &best, &assigned);
        assert_eq!(
            (all.participation.numerator, all.participation.denominator),
            (3, 4)
        );
        assert_eq!((all.pass_rate.numerator, all.pass_rate.denominator), (1, 3));
        assert_eq!(all.excellent_rate.numerator, 1);
        assert_eq!(
            (all.mean_score.numerator, all.mean_score.denominator),
            (23_449, 3)
        );
        assert_eq!((all.follow_up.numerator, all.follow_up.denominator), (1, 2));
        let b = &halls["bailou"];
        assert_eq!(
            (b.participation.numerator, b.participation.denominator),
            (2, 3)
        );
        assert_eq!(halls["nanyuan"].pass_rate.numerator, 0);
    }
}
