//! Exam analysis (成绩分析): the exam's figures, each item's statistics and
//! the paper's reliability, after Moodle's quiz statistics report.
//!
//! Definitions (a candidate's *score* is the percentage of the paper's
//! marks; an item's *credit* is the share of its marks awarded, 0–1):
//! - participation (参考率) = candidates with a finished sitting ÷
//!   candidates expected; pass rate (合格率) and excellent rate (优秀率) over
//!   those who sat, by each candidate's best sitting (resits count);
//! - the item statistics use each candidate's first sitting only, and only
//!   sittings with nothing left to mark;
//! - facility (难度/通过率) FI = mean credit;
//! - discrimination (区分度) D = mean credit of the upper 27 % − that of the
//!   lower 27 % (groups of round(0.27 n), at least 1, ranked by total
//!   marks, ties by candidate id);
//! - point-biserial (点双列相关) r = Pearson correlation of the item's
//!   marks with the marks on the *rest* of the paper (Moodle's
//!   discrimination index ÷ 100);
//! - Cronbach's α = k ÷ (k − 1) × (1 − Σ var(item marks) ÷ var(total
//!   marks)) over the paper's k slots (on a blueprint paper, a slot is one
//!   draw of a row, whichever question it drew);
//! - variances are sample variances (n − 1).
//!
//! Items are flagged for review when FI < 0.2 (偏难) or FI > 0.9 (偏易),
//! r < 0.2 (区分度低) or r < 0 (区分度为负，核对答案); a distractor is
//! flagged when fewer than 5 % choose it (干扰项无效) or the upper group
//! chooses it more often than the lower (干扰项吸引高分者).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One question of a finished sitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredItem {
    pub slot: u16,
    /// Index into the exam's pool.
    pub question: u32,
    /// Hundredths of a mark.
    pub got: u32,
    pub max: u32,
    /// For a choice question, the options chosen (bank order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<Vec<u8>>,
}

/// A finished sitting, as analysis reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub candidate: String,
    pub hall: String,
    pub number: u32,
    /// Hundredths of a mark.
    pub score: u32,
    pub max: u32,
    /// Short answers still to mark.
    pub pending: u32,
    pub items: Vec<ScoredItem>,
}

impl Scored {
    fn percent(&self) -> f64 {
        if self.max == 0 {
            0.0
        } else {
            f64::from(self.score) * 100.0 / f64::from(self.max)
        }
    }
}

/// Thresholds of an exam.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// 合格线, percent of the marks (default 60).
    pub pass: u32,
    /// 优秀线, percent of the marks (default 90).
    pub excellent: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            pass: 60,
            excellent: 90,
        }
    }
}

/// The exam's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub expected: u32,
    pub sat: u32,
    /// Sat ÷ expected.
    pub participation: Option<f64>,
    pub passed: u32,
    pub pass_rate: Option<f64>,
    pub excellent: u32,
    pub excellent_rate: Option<f64>,
    /// Mean, median and SD of the best scores, in percent.
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub sd: Option<f64>,
    /// Candidates per band: `<60`, `60-69`, `70-79`, `80-89`, `90-100`.
    pub bands: Vec<(String, u32)>,
    /// Sittings waiting for a marker (left out of the figures above).
    pub pending: u32,
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

fn variance(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    (xs.len() >= 2).then(|| xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64)
}

fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let (mx, my) = (mean(xs)?, mean(ys)?);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn ratio(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| f64::from(n) / f64::from(d))
}

/// Each candidate's best finished sitting with nothing pending.
fn best(sittings: &[Scored]) -> BTreeMap<&str, &Scored> {
    let mut best: BTreeMap<&str, &Scored> = BTreeMap::new();
    for s in sittings.iter().filter(|s| s.pending == 0) {
        best.entry(&s.candidate)
            .and_modify(|b| {
                if s.percent() > b.percent() {
                    *b = s;
                }
            })
            .or_insert(s);
    }
    best
}

/// The exam's figures over the candidates expected.
pub fn summary(expected: u32, sittings: &[Scored], t: Thresholds) -> Summary {
    let best = best(sittings);
    let sat_any: std::collections::BTreeSet<&str> =
        sittings.iter().map(|s| s.candidate.as_str()).collect();
    let scores: Vec<f64> = best.values().map(|s| s.percent()).collect();
    let n = scores.len() as u32;
    let passed = scores.iter().filter(|&&p| p >= f64::from(t.pass)).count() as u32;
    let excellent = scores
        .iter()
        .filter(|&&p| p >= f64::from(t.excellent))
        .count() as u32;
    let band = |lo: f64, hi: f64| scores.iter().filter(|&&p| p >= lo && p < hi).count() as u32;
    Summary {
        expected,
        sat: sat_any.len() as u32,
        participation: ratio(sat_any.len() as u32, expected),
        passed,
        pass_rate: ratio(passed, n),
        excellent,
        excellent_rate: ratio(excellent, n),
        mean: mean(&scores),
        median: median(&scores),
        sd: variance(&scores).map(f64::sqrt),
        bands: vec![
            ("<60".into(), band(f64::NEG_INFINITY, 60.0)),
            ("60-69".into(), band(60.0, 70.0)),
            ("70-79".into(), band(70.0, 80.0)),
            ("80-89".into(), band(80.0, 90.0)),
            ("90-100".into(), band(90.0, f64::INFINITY)),
        ],
        pending: (sat_any.len() as u32).saturating_sub(n),
    }
}

/// How one option was chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionUse {
    /// Bank index (0 = A).
    pub option: u8,
    pub right: bool,
    /// Share of those answering the question who chose it.
    pub share: f64,
    pub upper: u32,
    pub lower: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// One item's statistics (a slot, or a question across slots).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemStats {
    /// Sittings the item was on.
    pub n: u32,
    pub facility: Option<f64>,
    pub sd: Option<f64>,
    pub discrimination: Option<f64>,
    pub point_biserial: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
}

/// A question's statistics with its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionStats {
    /// Index into the exam's pool.
    pub question: u32,
    #[serde(flatten)]
    pub stats: ItemStats,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<OptionUse>,
}

/// The paper's analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// First sittings analysed.
    pub n: u32,
    pub slots: BTreeMap<u16, ItemStats>,
    pub questions: Vec<QuestionStats>,
    pub alpha: Option<f64>,
    /// Standard error of measurement, in marks: SD × √(1 − α).
    pub sem: Option<f64>,
}

fn flags(facility: Option<f64>, r: Option<f64>) -> Vec<String> {
    let mut f = Vec::new();
    match facility {
        Some(p) if p < 0.2 => f.push("偏难".to_owned()),
        Some(p) if p > 0.9 => f.push("偏易".to_owned()),
        _ => {}
    }
    match r {
        Some(r) if r < 0.0 => f.push("区分度为负，核对答案".to_owned()),
        Some(r) if r < 0.2 => f.push("区分度低".to_owned()),
        _ => {}
    }
    f
}

/// One item over the sittings holding it: `(candidate rank, got, max, total)`.
fn item_stats(rows: &[(usize, f64, f64, f64)], upper: usize, lower_from: usize) -> ItemStats {
    let credit: Vec<f64> = rows
        .iter()
        .map(|&(_, got, max, _)| if max > 0.0 { got / max } else { 0.0 })
        .collect();
    let marks: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let rest: Vec<f64> = rows.iter().map(|r| r.3 - r.1).collect();
    let group = |keep: &dyn Fn(usize) -> bool| {
        let g: Vec<f64> = rows
            .iter()
            .zip(&credit)
            .filter(|((rank, ..), _)| keep(*rank))
            .map(|(_, c)| *c)
            .collect();
        mean(&g)
    };
    let up = group(&|rank| rank < upper);
    let low = group(&|rank| rank >= lower_from);
    let facility = mean(&credit);
    let r = pearson(&marks, &rest);
    ItemStats {
        n: rows.len() as u32,
        facility,
        sd: variance(&credit).map(f64::sqrt),
        discrimination: up.zip(low).map(|(u, l)| u - l),
        point_biserial: r,
        flags: flags(facility, r),
    }
}

/// Analyses the first sittings with nothing pending. `right(question)`
/// answers a choice question's right options (bank order) and its option
/// count, `None` for other kinds.
pub fn analyse(sittings: &[Scored], right: impl Fn(u32) -> Option<(Vec<u8>, u8)>) -> Analysis {
    let mut firsts: Vec<&Scored> = sittings
        .iter()
        .filter(|s| s.number == 1 && s.pending == 0)
        .collect();
    // Rank by total marks, best first; ties by candidate id.
    firsts.sort_by(|a, b| b.score.cmp(&a.score).then(a.candidate.cmp(&b.candidate)));
    let n = firsts.len();
    let group = ((n as f64 * 0.27).round() as usize).max(1).min(n);
    let lower_from = n - group;

    let mut by_slot: BTreeMap<u16, Vec<(usize, f64, f64, f64)>> = BTreeMap::new();
    let mut by_question: BTreeMap<u32, Vec<(usize, f64, f64, f64)>> = BTreeMap::new();
    let mut choices: BTreeMap<u32, Vec<(usize, Vec<u8>)>> = BTreeMap::new();
    for (rank, s) in firsts.iter().enumerate() {
        let total = f64::from(s.score);
        for it in &s.items {
            let row = (rank, f64::from(it.got), f64::from(it.max), total);
            by_slot.entry(it.slot).or_default().push(row);
            by_question.entry(it.question).or_default().push(row);
            choices
                .entry(it.question)
                .or_default()
                .push((rank, it.chosen.clone().unwrap_or_default()));
        }
    }
    let slots: BTreeMap<u16, ItemStats> = by_slot
        .iter()
        .map(|(slot, rows)| (*slot, item_stats(rows, group, lower_from)))
        .collect();
    let questions = by_question
        .iter()
        .map(|(q, rows)| {
            let stats = item_stats(rows, group, lower_from);
            let options = match right(*q) {
                Some((key, count)) => {
                    let answered = &choices[q];
                    (0..count)
                        .map(|o| {
                            let chose: Vec<usize> = answered
                                .iter()
                                .filter(|(_, c)| c.contains(&o))
                                .map(|(rank, _)| *rank)
                                .collect();
                            let upper = chose.iter().filter(|&&r| r < group).count() as u32;
                            let lower = chose.iter().filter(|&&r| r >= lower_from).count() as u32;
                            let share = chose.len() as f64 / answered.len().max(1) as f64;
                            let is_right = key.contains(&o);
                            let mut flags = Vec::new();
                            if !is_right && share < 0.05 {
                                flags.push("干扰项无效".to_owned());
                            }
                            if !is_right && upper > lower {
                                flags.push("干扰项吸引高分者".to_owned());
                            }
                            OptionUse {
                                option: o,
                                right: is_right,
                                share,
                                upper,
                                lower,
                                flags,
                            }
                        })
                        .collect()
                }
                None => Vec::new(),
            };
            QuestionStats {
                question: *q,
                stats,
                options,
            }
        })
        .collect();

    // α over the slots every analysed sitting has.
    let k = by_slot.len();
    let complete = by_slot.values().all(|rows| rows.len() == n);
    let totals: Vec<f64> = firsts.iter().map(|s| f64::from(s.score)).collect();
    let alpha = (k >= 2 && complete)
        .then(|| {
            let sum_var: f64 = by_slot
                .values()
                .map(|rows| {
                    let marks: Vec<f64> = rows.iter().map(|r| r.1).collect();
                    variance(&marks).unwrap_or(0.0)
                })
                .sum();
            let var_total = variance(&totals)?;
            (var_total > 0.0).then(|| k as f64 / (k as f64 - 1.0) * (1.0 - sum_var / var_total))
        })
        .flatten();
    let sem = alpha
        .zip(variance(&totals))
        .map(|(a, v)| v.sqrt() / 100.0 * (1.0 - a).max(0.0).sqrt());
    Analysis {
        n: n as u32,
        slots,
        questions,
        alpha,
        sem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten candidates, five one-mark items (0/1), hand-scored. Expected
    /// values computed independently of this code (Python's `statistics`
    /// module and the textbook formulas), to 3 decimals.
    const GRID: [[u32; 5]; 10] = [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0],
        [1, 1, 1, 0, 1],
        [1, 1, 0, 1, 0],
        [1, 1, 1, 0, 0],
        [1, 0, 1, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
    ];

    fn sittings() -> Vec<Scored> {
        GRID.iter()
            .enumerate()
            .map(|(c, row)| {
                let items: Vec<ScoredItem> = row
                    .iter()
                    .enumerate()
                    .map(|(slot, &x)| ScoredItem {
                        slot: slot as u16,
                        question: slot as u32,
                        got: x * 100,
                        max: 100,
                        // Question 0 is a choice: A right; wrong answers
                        // chose C, except candidate 9 (D).
                        chosen: (slot == 0).then(|| {
                            if x == 1 {
                                vec![0]
                            } else if c == 9 {
                                vec![3]
                            } else {
                                vec![2]
                            }
                        }),
                    })
                    .collect();
                Scored {
                    candidate: format!("c{c:02}"),
                    hall: "bailou".into(),
                    number: 1,
                    score: items.iter().map(|i| i.got).sum(),
                    max: 500,
                    pending: 0,
                    items,
                }
            })
            .collect()
    }

    fn r3(x: Option<f64>) -> Option<f64> {
        x.map(|v| (v * 1000.0).round() / 1000.0)
    }

    #[test]
    fn item_statistics_equal_the_hand_computed_fixture() {
        let a = analyse(&sittings(), |q| (q == 0).then(|| (vec![0], 4)));
        assert_eq!(a.n, 10);
        let facility: Vec<Option<f64>> = a.slots.values().map(|s| r3(s.facility)).collect();
        assert_eq!(
            facility,
            vec![Some(0.8), Some(0.7), Some(0.5), Some(0.3), Some(0.3)]
        );
        // Groups of round(2.7) = 3: upper c00 c01 c02, lower c07 c08 c09.
        let d: Vec<Option<f64>> = a.slots.values().map(|s| r3(s.discrimination)).collect();
        assert_eq!(
            d,
            vec![
                Some(0.667),
                Some(0.667),
                Some(1.0),
                Some(0.667),
                Some(0.333)
            ]
        );
        // Corrected item-total correlations (item vs rest of the paper).
        let r: Vec<Option<f64>> = a.slots.values().map(|s| r3(s.point_biserial)).collect();
        assert_eq!(
            r,
            vec![
                Some(0.343),
                Some(0.327),
                Some(0.479),
                Some(0.417),
                Some(0.017)
            ]
        );
        // α = 5/4 × (1 − Σvar / var(total)).
        assert_eq!(r3(a.alpha), Some(0.543));
        assert_eq!(a.slots[&4].flags, vec!["区分度低".to_owned()]);
        // Distractors of question 0: B and D nearly unused, C chosen by 2.
        let q0 = &a.questions[0];
        let shares: Vec<f64> = q0.options.iter().map(|o| o.share).collect();
        assert_eq!(shares, vec![0.8, 0.0, 0.1, 0.1]);
        assert_eq!(q0.options[1].flags, vec!["干扰项无效".to_owned()]);
        assert_eq!((q0.options[2].upper, q0.options[2].lower), (0, 1));
    }

    #[test]
    fn the_summary_counts_best_sittings_over_those_expected() {
        let mut s = sittings();
        // c09 resits and passes; c08 has a short answer pending on a resit.
        let mut resit = s[9].clone();
        resit.number = 2;
        resit.score = 400;
        s.push(resit);
        let sum = summary(12, &s, Thresholds::default());
        assert_eq!(sum.sat, 10);
        assert_eq!(r3(sum.participation), Some(0.833));
        // Best percents: 100 80 80 60 60 40 40 20 20 80.
        assert_eq!(sum.passed, 6);
        assert_eq!(r3(sum.pass_rate), Some(0.6));
        assert_eq!(sum.excellent, 1);
        assert_eq!(r3(sum.mean), Some(58.0));
        assert_eq!(r3(sum.median), Some(60.0));
        assert_eq!(r3(sum.sd), Some(27.406));
        let bands: Vec<u32> = sum.bands.iter().map(|b| b.1).collect();
        assert_eq!(bands, vec![4, 2, 0, 3, 1]);
    }

    #[test]
    fn degenerate_inputs_have_no_figures_not_nan() {
        let a = analyse(&[], |_| None);
        assert_eq!((a.n, a.alpha), (0, None));
        let one = &sittings()[..1];
        let a = analyse(one, |_| None);
        assert_eq!(a.alpha, None);
        assert!(a.slots.values().all(|s| s.point_biserial.is_none()));
        let sum = summary(0, &[], Thresholds::default());
        assert_eq!((sum.participation, sum.mean), (None, None));
    }
}
