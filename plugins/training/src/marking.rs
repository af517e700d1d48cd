//! Marking (阅卷): objective questions are marked the moment a paper is
//! handed in; a short answer waits for a person.
//!
//! Marks are kept in hundredths of a mark (`centi`), so a half mark is
//! exact and sums never drift.
//!
//! The rules, as the exam notice states them:
//! - 单选题 and 判断题: the right answer scores the full marks, anything else 0.
//! - 多选题, by the exam's [`MultipleRule`] (default [`MultipleRule::HalfForSubset`]):
//!   all the right options and nothing else score the full marks; with
//!   `HalfForSubset`, some of the right options and no wrong one score half
//!   (少选得一半分); with `PerOption`, each right option chosen scores its
//!   share (marks × chosen ÷ right); with `AllOrNothing`, nothing less
//!   than the whole key scores. Any wrong option scores 0 under every rule.
//! - 填空题: each blank scores an equal share (any remainder of hundredths
//!   goes to the first blanks); a blank is right when it matches one of the
//!   accepted spellings after [`normalise`] (spaces, full-width letters and
//!   digits, letter case and a trailing full stop do not matter).
//! - 简答题: a marker awards 0 to the full marks in half marks.

use serde::{Deserialize, Serialize};

use crate::question::{Draft, Key, Kind, Shape};

/// How a multiple-choice question gives partial credit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MultipleRule {
    /// 全部选对得满分，其余不得分.
    AllOrNothing,
    /// 全部选对得满分，少选且所选均正确得一半分，错选不得分.
    #[default]
    HalfForSubset,
    /// 少选按选对的个数给分，错选不得分.
    PerOption,
}

impl MultipleRule {
    /// The rule as the exam notice prints it.
    pub fn zh(self) -> &'static str {
        match self {
            MultipleRule::AllOrNothing => "多选题全部选对得满分，少选、错选均不得分",
            MultipleRule::HalfForSubset => {
                "多选题全部选对得满分，少选且所选均正确得一半分，错选不得分"
            }
            MultipleRule::PerOption => "多选题少选按所选正确选项的个数给分，错选不得分",
        }
    }
}

/// A candidate's answer to one question, in the question's own terms
/// (option indices of the bank's order, not the order shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Options { options: Vec<u8> },
    Truth { truth: bool },
    Blanks { blanks: Vec<String> },
    Text { text: String },
}

/// The longest answer text kept, in characters.
pub const MAX_ANSWER: usize = 5_000;

impl Response {
    /// Whether the response is of the question's shape (the right variant,
    /// options that exist, as many blanks as the key). An answer that is
    /// not is refused when saved, so marking never sees one.
    pub fn fits(&self, shape: Shape) -> bool {
        match (self, shape.kind) {
            (Response::Options { options }, Kind::Single | Kind::Multiple) => {
                let mut sorted = options.clone();
                sorted.sort_unstable();
                sorted.dedup();
                sorted.len() == options.len()
                    && options.iter().all(|&i| i < shape.options)
                    && (shape.kind == Kind::Multiple || options.len() <= 1)
            }
            (Response::Truth { .. }, Kind::TrueFalse) => true,
            (Response::Blanks { blanks }, Kind::FillIn) => {
                blanks.len() == usize::from(shape.blanks)
                    && blanks.iter().all(|b| b.chars().count() <= 200)
            }
            (Response::Text { text }, Kind::Short) => text.chars().count() <= MAX_ANSWER,
            _ => false,
        }
    }

    /// Whether nothing was answered.
    pub fn is_blank(&self) -> bool {
        match self {
            Response::Options { options } => options.is_empty(),
            Response::Truth { .. } => false,
            Response::Blanks { blanks } => blanks.iter().all(|b| b.trim().is_empty()),
            Response::Text { text } => text.trim().is_empty(),
        }
    }
}

/// One question's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Hundredths of a mark awarded (0 while pending).
    pub got: u32,
    /// Hundredths of a mark available.
    pub max: u32,
    /// A short answer waiting for its marker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

impl Mark {
    /// The share of the marks awarded, 0–1.
    pub fn fraction(&self) -> f64 {
        if self.max == 0 {
            0.0
        } else {
            f64::from(self.got) / f64::from(self.max)
        }
    }
}

/// Folds a blank's text for comparison: full-width ASCII to half-width,
/// every kind of space removed, letters lower-cased, a trailing 。/./；
/// dropped.
pub fn normalise(text: &str) -> String {
    let folded: String = text
        .chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            (!c.is_whitespace()).then(|| c.to_ascii_lowercase())
        })
        .collect();
    folded.trim_end_matches(['。', '.', '；', ';']).to_owned()
}

/// Marks one answer to `q` worth `marks` (whole marks). A short answer
/// comes back pending; no answer scores 0.
pub fn mark(q: &Draft, marks: u32, response: Option<&Response>, rule: MultipleRule) -> Mark {
    let max = marks.saturating_mul(100);
    let pending = q.kind.is_manual();
    let got = match (response, &q.key) {
        (_, Key::Reference { .. }) | (None, _) => 0,
        (Some(Response::Options { options: chosen }), Key::Options { options: right }) => {
            choice_credit(max, chosen, right, rule)
        }
        (Some(Response::Truth { truth }), Key::Truth { truth: right }) => {
            u32::from(truth == right) * max
        }
        (Some(Response::Blanks { blanks }), Key::Blanks { blanks: key }) => {
            let n = key.len() as u32;
            match max.checked_div(n) {
                None => 0,
                Some(share) => {
                    let extra = max % n;
                    key.iter()
                        .zip(blanks)
                        .enumerate()
                        .filter(|(_, (accepted, given))| {
                            let g = normalise(given);
                            !g.is_empty() && accepted.iter().any(|a| normalise(a) == g)
                        })
                        .map(|(i, _)| share + u32::from((i as u32) < extra))
                        .sum()
                }
            }
        }
        _ => 0,
    };
    Mark { got, max, pending }
}

fn choice_credit(max: u32, chosen: &[u8], right: &[u8], rule: MultipleRule) -> u32 {
    if chosen.is_empty() || chosen.iter().any(|c| !right.contains(c)) {
        return 0;
    }
    let hit = chosen.len() as u32;
    let all = right.len() as u32;
    if hit == all {
        return max;
    }
    match rule {
        MultipleRule::AllOrNothing => 0,
        MultipleRule::HalfForSubset => max / 2,
        MultipleRule::PerOption => max * hit / all,
    }
}

/// Why a marker's mark is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualError {
    NotManual,
    OutOfRange { max: u32 },
    NotHalfMarks,
}

impl std::fmt::Display for ManualError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManualError::NotManual => f.write_str("客观题由系统自动阅卷，不能人工给分"),
            ManualError::OutOfRange { max } => {
                write!(f, "给分须在0至{}分之间", f64::from(*max) / 100.0)
            }
            ManualError::NotHalfMarks => f.write_str("给分以0.5分为单位"),
        }
    }
}

/// A marker's mark for a short answer, in hundredths: 0 to the maximum in
/// steps of 50 (half marks).
pub fn manual(q: &Draft, current: Mark, got: u32) -> Result<Mark, ManualError> {
    if !q.kind.is_manual() {
        return Err(ManualError::NotManual);
    }
    if got > current.max {
        return Err(ManualError::OutOfRange { max: current.max });
    }
    if !got.is_multiple_of(50) {
        return Err(ManualError::NotHalfMarks);
    }
    Ok(Mark {
        got,
        max: current.max,
        pending: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::question::Difficulty;

    fn q(kind: Kind, options: usize, key: Key) -> Draft {
        Draft {
            kind,
            stem: "题干____".into(),
            options: (0..options).map(|i| format!("选项{i}")).collect(),
            key,
            marks: 4,
            knowledge: vec!["k".into()],
            difficulty: Difficulty::Medium,
            topic: None,
            source: None,
            explanation: None,
        }
    }

    fn opts(o: &[u8]) -> Response {
        Response::Options {
            options: o.to_vec(),
        }
    }

    #[test]
    fn single_and_true_false_are_right_or_wrong() {
        let s = q(Kind::Single, 4, Key::Options { options: vec![2] });
        let rule = MultipleRule::default();
        assert_eq!(mark(&s, 2, Some(&opts(&[2])), rule).got, 200);
        assert_eq!(mark(&s, 2, Some(&opts(&[1])), rule).got, 0);
        assert_eq!(mark(&s, 2, None, rule).got, 0);
        let t = q(Kind::TrueFalse, 0, Key::Truth { truth: false });
        assert_eq!(
            mark(&t, 1, Some(&Response::Truth { truth: false }), rule).got,
            100
        );
        assert_eq!(
            mark(&t, 1, Some(&Response::Truth { truth: true }), rule).got,
            0
        );
        assert_eq!(
            mark(&t, 1, Some(&opts(&[0])), rule).got,
            0,
            "a response of another shape scores nothing"
        );
    }

    #[test]
    fn multiple_choice_partial_credit_by_rule() {
        // Right: A, C, D (three of five); 3 marks = 300 hundredths.
        let m = q(
            Kind::Multiple,
            5,
            Key::Options {
                options: vec![0, 2, 3],
            },
        );
        let table: [(&[u8], u32, u32, u32); 6] = [
            // chosen, all-or-nothing, half-for-subset, per-option
            (&[0, 2, 3], 300, 300, 300),
            (&[0, 2], 0, 150, 200),
            (&[3], 0, 150, 100),
            (&[0, 1, 2, 3], 0, 0, 0),
            (&[1], 0, 0, 0),
            (&[], 0, 0, 0),
        ];
        for (chosen, aon, half, per) in table {
            let r = opts(chosen);
            assert_eq!(
                mark(&m, 3, Some(&r), MultipleRule::AllOrNothing).got,
                aon,
                "{chosen:?}"
            );
            assert_eq!(
                mark(&m, 3, Some(&r), MultipleRule::HalfForSubset).got,
                half,
                "{chosen:?}"
            );
            assert_eq!(
                mark(&m, 3, Some(&r), MultipleRule::PerOption).got,
                per,
                "{chosen:?}"
            );
        }
    }

    #[test]
    fn blanks_score_their_share_and_forgive_spacing_and_width() {
        let f = q(
            Kind::FillIn,
            0,
            Key::Blanks {
                blanks: vec![
                    vec!["一次性告知".into()],
                    vec!["5".into(), "五".into()],
                    vec!["12345".into()],
                ],
            },
        );
        let r = |a: &str, b: &str, c: &str| Response::Blanks {
            blanks: vec![a.into(), b.into(), c.into()],
        };
        let rule = MultipleRule::default();
        // 2 marks = 200 hundredths over 3 blanks: 67 + 67 + 66.
        assert_eq!(
            mark(&f, 2, Some(&r("一次性告知", "五", "12345")), rule).got,
            200
        );
        assert_eq!(
            mark(&f, 2, Some(&r(" 一次性 告知。", "５", "１２３４５")), rule).got,
            200
        );
        assert_eq!(mark(&f, 2, Some(&r("一次告知", "5", "")), rule).got, 67);
        assert_eq!(mark(&f, 2, Some(&r("", "", "12345")), rule).got, 66);
        assert_eq!(normalise("ＡＢｃ Ｄ．"), "abcd");
    }

    #[test]
    fn short_answers_wait_for_a_marker_in_half_marks() {
        let s = q(
            Kind::Short,
            0,
            Key::Reference {
                text: "要点：首问负责、一次性告知".into(),
            },
        );
        let first = mark(
            &s,
            10,
            Some(&Response::Text {
                text: "……".into()
            }),
            MultipleRule::default(),
        );
        assert_eq!(
            first,
            Mark {
                got: 0,
                max: 1000,
                pending: true
            }
        );
        assert_eq!(
            manual(&s, first, 750).map(|m| (m.got, m.pending)),
            Ok((750, false))
        );
        assert_eq!(
            manual(&s, first, 1010),
            Err(ManualError::OutOfRange { max: 1000 })
        );
        assert_eq!(manual(&s, first, 725), Err(ManualError::NotHalfMarks));
        let single = q(Kind::Single, 4, Key::Options { options: vec![0] });
        assert_eq!(manual(&single, first, 100), Err(ManualError::NotManual));
    }

    #[test]
    fn responses_must_fit_the_question() {
        let m = q(
            Kind::Multiple,
            4,
            Key::Options {
                options: vec![0, 1],
            },
        );
        assert!(opts(&[0, 3]).fits(m.shape()));
        assert!(
            !opts(&[0, 4]).fits(m.shape()),
            "an option that does not exist"
        );
        assert!(!opts(&[1, 1]).fits(m.shape()), "an option twice");
        let s = q(Kind::Single, 4, Key::Options { options: vec![0] });
        assert!(
            !opts(&[0, 1]).fits(s.shape()),
            "two options on a single choice"
        );
        assert!(!Response::Truth { truth: true }.fits(s.shape()));
    }
}
