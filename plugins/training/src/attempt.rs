//! One candidate's sitting of an exam (答卷): started within the exam's
//! window, answers saved one by one as they are given, the clock kept by
//! the server, switching away counted, handed in or timed out, marked.
//!
//! The deadline is fixed when the attempt starts: the start plus the
//! exam's duration, but never past the window's close. A dropped
//! connection loses nothing — every answer is stored when given, and the
//! attempt carries on from what is stored — and does not stop the clock.
//! Answers and hand-ins reaching the server up to [`GRACE_MS`] after the
//! deadline still count (a request in flight when time ran out); later
//! ones are refused, and the attempt is finished from the answers saved
//! ([`Attempt::expire`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::marking::{self, Mark, MultipleRule, Response};
use crate::paper::{Item, Pooled};

/// How long after the deadline a request in flight still counts.
pub const GRACE_MS: i64 = 5_000;
/// The most switch-away times kept (the count goes on).
pub const MAX_SWITCH_LOG: usize = 50;

/// Where an attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 作答中.
    Answering,
    /// 已交卷: handed in by the candidate.
    Submitted,
    /// 超时自动交卷: finished from the saved answers at the deadline.
    TimedOut,
}

impl State {
    pub fn zh(self) -> &'static str {
        match self {
            State::Answering => "作答中",
            State::Submitted => "已交卷",
            State::TimedOut => "超时自动交卷",
        }
    }

    pub fn is_finished(self) -> bool {
        self != State::Answering
    }
}

/// An answer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub response: Response,
    pub at_ms: i64,
}

/// The attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub exam: String,
    /// The candidate's user id.
    pub candidate: String,
    pub hall: String,
    /// 1 for the first sitting, 2 for the first resit, …
    pub number: u32,
    /// The paper in the order shown.
    pub items: Vec<Item>,
    pub started_ms: i64,
    pub deadline_ms: i64,
    /// By slot.
    #[serde(default, with = "by_slot")]
    pub answers: BTreeMap<u16, Saved>,
    /// Times the candidate left the exam page (切屏).
    #[serde(default)]
    pub switches: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switch_log: Vec<i64>,
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<i64>,
    /// By slot, once finished.
    #[serde(default, with = "by_slot")]
    pub marks: BTreeMap<u16, Mark>,
    /// Hundredths of a mark, once finished (objective part until the
    /// manual marks are in).
    #[serde(default)]
    pub score: u32,
    #[serde(default)]
    pub max: u32,
    /// Short answers still to mark.
    #[serde(default)]
    pub pending: u32,
    /// Known once nothing is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

/// The part of a sitting an answer is checked against: enough to save an
/// answer without reading the rest (the answers, the marks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Live {
    pub state: State,
    pub deadline_ms: i64,
    pub items: Vec<Item>,
}

impl Live {
    /// As [`Attempt::answer`].
    pub fn answer(
        &self,
        slot: u16,
        given: Given,
        now: i64,
    ) -> Result<Option<Response>, AttemptError> {
        if self.state.is_finished() {
            return Err(AttemptError::Finished(self.state));
        }
        if now > self.deadline_ms + GRACE_MS {
            return Err(AttemptError::TimeUp {
                deadline_ms: self.deadline_ms,
            });
        }
        check_answer(&self.items, slot, given)
    }

    pub fn remaining_ms(&self, now: i64) -> i64 {
        (self.deadline_ms - now).max(0)
    }
}

/// An answer to `slot` of a paper, given in the terms shown, in the bank's
/// terms (`None`: blank), or why it does not fit.
fn check_answer(items: &[Item], slot: u16, given: Given) -> Result<Option<Response>, AttemptError> {
    let item = items
        .iter()
        .find(|i| i.slot == slot)
        .ok_or(AttemptError::NoSuchQuestion(slot))?;
    let response = match given {
        Response::Options { options } => {
            let mut bank = Vec::with_capacity(options.len());
            for shown in options {
                let i = item
                    .order
                    .get(usize::from(shown))
                    .copied()
                    .ok_or(AttemptError::Malformed(slot))?;
                bank.push(i);
            }
            bank.sort_unstable();
            Response::Options { options: bank }
        }
        Response::Text { text } => Response::Text {
            text: text.trim_end().to_owned(),
        },
        other => other,
    };
    if !response.fits(item.shape) {
        return Err(AttemptError::Malformed(slot));
    }
    Ok((!response.is_blank()).then_some(response))
}

/// A map by slot as a JSON object with the slots as keys, read back even
/// when the attempt is inside a flattened document (where serde hands
/// keys over as plain strings).
mod by_slot {
    use std::collections::BTreeMap;

    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        map: &BTreeMap<u16, T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(map.iter().map(|(k, v)| (k.to_string(), v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<u16, T>, D::Error> {
        BTreeMap::<String, T>::deserialize(d)?
            .into_iter()
            .map(|(k, v)| {
                k.parse::<u16>()
                    .map(|k| (k, v))
                    .map_err(|_| D::Error::custom(format!("slot {k:?} is not a number")))
            })
            .collect()
    }
}

/// Why an action on an attempt is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError {
    /// The deadline (and its grace) has passed.
    TimeUp { deadline_ms: i64 },
    /// Already handed in or timed out.
    Finished(State),
    /// No such question on this paper.
    NoSuchQuestion(u16),
    /// The answer is not of the question's shape.
    Malformed(u16),
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptError::TimeUp { .. } => f.write_str("考试时间已到，已按已保存的答案自动交卷"),
            AttemptError::Finished(s) => write!(f, "本次考试已{}，不能再作答", s.zh()),
            AttemptError::NoSuchQuestion(s) => write!(f, "试卷中没有第{s}号题"),
            AttemptError::Malformed(s) => write!(f, "第{s}号题的答案格式与题型不符"),
        }
    }
}

impl AttemptError {
    /// The HTTP status the plugin answers with.
    pub fn status(&self) -> u16 {
        match self {
            AttemptError::TimeUp { .. } | AttemptError::Finished(_) => 409,
            AttemptError::NoSuchQuestion(_) => 404,
            AttemptError::Malformed(_) => 422,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AttemptError::TimeUp { .. } => "time_up",
            AttemptError::Finished(_) => "finished",
            AttemptError::NoSuchQuestion(_) => "not_found",
            AttemptError::Malformed(_) => "validation",
        }
    }
}

/// An answer as the candidate gives it: option positions as shown (0 =
/// the first option on screen), or the question's other shapes.
pub type Given = Response;

/// Who sits which exam, where, for the how-manieth time.
#[derive(Debug, Clone, Copy)]
pub struct Seat<'a> {
    pub exam: &'a str,
    pub candidate: &'a str,
    pub hall: &'a str,
    /// 1 for the first sitting.
    pub number: u32,
}

impl Attempt {
    /// Starts a sitting at `now`: the deadline is `now + duration`, capped
    /// at the window's close.
    pub fn start(
        seat: Seat<'_>,
        items: Vec<Item>,
        now: i64,
        duration_ms: i64,
        closes_ms: i64,
    ) -> Attempt {
        Attempt {
            exam: seat.exam.to_owned(),
            candidate: seat.candidate.to_owned(),
            hall: seat.hall.to_owned(),
            number: seat.number,
            items,
            started_ms: now,
            deadline_ms: (now + duration_ms).min(closes_ms),
            answers: BTreeMap::new(),
            switches: 0,
            switch_log: Vec::new(),
            state: State::Answering,
            finished_ms: None,
            marks: BTreeMap::new(),
            score: 0,
            max: 0,
            pending: 0,
            passed: None,
        }
    }

    /// Milliseconds left at `now` (0 when time is up).
    pub fn remaining_ms(&self, now: i64) -> i64 {
        (self.deadline_ms - now).max(0)
    }

    /// Whether requests at `now` are past the deadline and its grace.
    pub fn overdue(&self, now: i64) -> bool {
        now > self.deadline_ms + GRACE_MS
    }

    fn open(&self, now: i64) -> Result<(), AttemptError> {
        if self.state.is_finished() {
            return Err(AttemptError::Finished(self.state));
        }
        if self.overdue(now) {
            return Err(AttemptError::TimeUp {
                deadline_ms: self.deadline_ms,
            });
        }
        Ok(())
    }

    /// Stores the answer to `slot`, given in the terms shown (option
    /// positions on screen), replacing an earlier one; a blank answer
    /// clears it.
    pub fn save(&mut self, slot: u16, given: Given, now: i64) -> Result<(), AttemptError> {
        match self.answer(slot, given, now)? {
            Some(response) => {
                self.answers.insert(
                    slot,
                    Saved {
                        response,
                        at_ms: now,
                    },
                );
            }
            None => {
                self.answers.remove(&slot);
            }
        }
        Ok(())
    }

    /// Checks an answer to `slot` given at `now` without storing it: the
    /// answer in the bank's terms, or `None` for a blank one (which clears
    /// the saved answer). A store that keeps each answer on its own calls
    /// this and writes the answer alone.
    pub fn answer(
        &self,
        slot: u16,
        given: Given,
        now: i64,
    ) -> Result<Option<Response>, AttemptError> {
        self.open(now)?;
        check_answer(&self.items, slot, given)
    }

    /// Counts the candidate leaving the page.
    pub fn switched_away(&mut self, now: i64) -> Result<u32, AttemptError> {
        self.open(now)?;
        self.switches += 1;
        if self.switch_log.len() < MAX_SWITCH_LOG {
            self.switch_log.push(now);
        }
        Ok(self.switches)
    }

    /// Hands the paper in and marks it.
    pub fn submit(
        &mut self,
        pool: &[Pooled],
        rule: MultipleRule,
        pass_percent: u32,
        now: i64,
    ) -> Result<(), AttemptError> {
        self.open(now)?;
        self.finish(pool, rule, pass_percent, State::Submitted, now);
        Ok(())
    }

    /// Finishes an attempt whose time is up from its saved answers;
    /// answers whether it did.
    pub fn expire(
        &mut self,
        pool: &[Pooled],
        rule: MultipleRule,
        pass_percent: u32,
        now: i64,
    ) -> bool {
        if self.state.is_finished() || !self.overdue(now) {
            return false;
        }
        self.finish(pool, rule, pass_percent, State::TimedOut, self.deadline_ms);
        true
    }

    fn finish(
        &mut self,
        pool: &[Pooled],
        rule: MultipleRule,
        pass_percent: u32,
        state: State,
        at: i64,
    ) {
        self.state = state;
        self.finished_ms = Some(at);
        self.marks = self
            .items
            .iter()
            .filter_map(|it| {
                let q = pool.get(it.question as usize)?;
                let given = self.answers.get(&it.slot).map(|s| &s.response);
                Some((it.slot, marking::mark(&q.q, it.marks, given, rule)))
            })
            .collect();
        self.total(pass_percent);
    }

    /// Sums the marks; the result is known once nothing is pending.
    fn total(&mut self, pass_percent: u32) {
        self.score = self.marks.values().map(|m| m.got).sum();
        self.max = self.marks.values().map(|m| m.max).sum();
        self.pending = self.marks.values().filter(|m| m.pending).count() as u32;
        self.passed = (self.pending == 0)
            .then(|| u64::from(self.score) * 100 >= u64::from(pass_percent) * u64::from(self.max));
    }

    /// Records a marker's mark for a short answer.
    pub fn mark_manually(
        &mut self,
        pool: &[Pooled],
        slot: u16,
        got: u32,
        pass_percent: u32,
    ) -> Result<(), String> {
        if !self.state.is_finished() {
            return Err("答卷尚未交卷".into());
        }
        let item = self
            .items
            .iter()
            .find(|i| i.slot == slot)
            .ok_or_else(|| format!("试卷中没有第{slot}号题"))?;
        let q = pool
            .get(item.question as usize)
            .ok_or_else(|| format!("试卷中没有第{slot}号题"))?;
        let current = self
            .marks
            .get(&slot)
            .copied()
            .ok_or_else(|| format!("第{slot}号题没有阅卷记录"))?;
        let m = marking::manual(&q.q, current, got).map_err(|e| e.to_string())?;
        self.marks.insert(slot, m);
        self.total(pass_percent);
        Ok(())
    }

    /// The score as a percentage of the maximum (0–100), once finished.
    pub fn percent(&self) -> Option<f64> {
        (self.state.is_finished() && self.max > 0)
            .then(|| f64::from(self.score) * 100.0 / f64::from(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::{Shuffle, Spec, draw};
    use crate::question::{Difficulty, Draft, Key, Kind};

    const MIN: i64 = 60_000;

    fn pool() -> Vec<Pooled> {
        let q = |id: &str, kind: Kind, options: usize, key: Key, marks: u32| Pooled {
            id: id.into(),
            version: 1,
            q: Draft {
                kind,
                stem: "题干____".into(),
                options: (0..options).map(|i| format!("选项{i}")).collect(),
                key,
                marks,
                knowledge: vec!["k".into()],
                difficulty: Difficulty::Easy,
                topic: None,
                source: None,
                explanation: None,
            },
        };
        vec![
            q("s", Kind::Single, 4, Key::Options { options: vec![1] }, 40),
            q(
                "m",
                Kind::Multiple,
                4,
                Key::Options {
                    options: vec![0, 2],
                },
                40,
            ),
            q(
                "e",
                Kind::Short,
                0,
                Key::Reference {
                    text: "要点".into(),
                },
                20,
            ),
        ]
    }

    fn sitting(now: i64) -> (Vec<Pooled>, Attempt) {
        let pool = pool();
        let spec = Spec::Fixed {
            questions: pool
                .iter()
                .map(|p| crate::paper::Fixed {
                    id: p.id.clone(),
                    marks: None,
                })
                .collect(),
        };
        let items = draw(
            &spec,
            &pool,
            "E",
            "u1",
            1,
            Shuffle {
                questions: true,
                options: true,
            },
        );
        let seat = Seat {
            exam: "E",
            candidate: "u1",
            hall: "bailou",
            number: 1,
        };
        let a = Attempt::start(seat, items, now, 30 * MIN, now + 20 * MIN);
        (pool, a)
    }

    /// The shown positions of bank options `bank` on the candidate's paper.
    fn shown(a: &Attempt, slot: u16, bank: &[u8]) -> Vec<u8> {
        let order = &a
            .items
            .iter()
            .find(|i| i.slot == slot)
            .map(|i| i.order.clone())
            .unwrap_or_default();
        bank.iter()
            .filter_map(|b| order.iter().position(|o| o == b).map(|p| p as u8))
            .collect()
    }

    #[test]
    fn the_deadline_is_the_duration_capped_by_the_window() {
        let (_, a) = sitting(0);
        assert_eq!(a.deadline_ms, 20 * MIN, "the window closes first");
        assert_eq!(a.remaining_ms(5 * MIN), 15 * MIN);
        assert_eq!(a.remaining_ms(25 * MIN), 0);
    }

    #[test]
    fn answers_are_kept_in_bank_terms_and_marked_on_hand_in() -> Result<(), AttemptError> {
        let (pool, mut a) = sitting(0);
        // The single choice answered right through the shuffled options.
        let right = shown(&a, 0, &[1]);
        a.save(0, Response::Options { options: right }, MIN)?;
        assert_eq!(
            a.answers[&0].response,
            Response::Options { options: vec![1] }
        );
        // The multiple choice: one of two right options (half marks).
        let half = shown(&a, 1, &[2]);
        a.save(1, Response::Options { options: half }, 2 * MIN)?;
        a.save(
            2,
            Response::Text {
                text: "首问负责  ".into(),
            },
            3 * MIN,
        )?;
        assert_eq!(a.switched_away(4 * MIN)?, 1);
        assert_eq!(
            a.save(9, Response::Truth { truth: true }, 4 * MIN),
            Err(AttemptError::NoSuchQuestion(9))
        );
        assert_eq!(
            a.save(0, Response::Options { options: vec![7] }, 4 * MIN),
            Err(AttemptError::Malformed(0))
        );
        a.submit(&pool, MultipleRule::HalfForSubset, 60, 5 * MIN)?;
        assert_eq!(a.state, State::Submitted);
        assert_eq!(
            (a.score, a.max, a.pending, a.passed),
            (6000, 10000, 1, None)
        );
        assert_eq!(
            a.save(0, Response::Options { options: vec![0] }, 6 * MIN),
            Err(AttemptError::Finished(State::Submitted))
        );
        a.mark_manually(&pool, 2, 1550, 60)
            .map_err(|_| AttemptError::NoSuchQuestion(2))?;
        assert_eq!((a.score, a.pending, a.passed), (7550, 0, Some(true)));
        assert_eq!(a.percent(), Some(75.5));
        Ok(())
    }

    #[test]
    fn late_hand_ins_are_refused_and_the_saved_answers_count() -> Result<(), AttemptError> {
        let (pool, mut a) = sitting(0);
        let right = shown(&a, 0, &[1]);
        a.save(
            0,
            Response::Options {
                options: right.clone(),
            },
            19 * MIN,
        )?;
        // In flight at the deadline: still counts.
        a.save(0, Response::Options { options: right }, 20 * MIN + GRACE_MS)?;
        assert_eq!(
            a.submit(&pool, MultipleRule::default(), 60, 20 * MIN + GRACE_MS + 1),
            Err(AttemptError::TimeUp {
                deadline_ms: 20 * MIN
            })
        );
        assert_eq!(
            a.state,
            State::Answering,
            "a refused hand-in changes nothing"
        );
        assert!(!a.expire(&pool, MultipleRule::default(), 60, 20 * MIN));
        assert!(a.expire(&pool, MultipleRule::default(), 60, 21 * MIN));
        assert_eq!(a.state, State::TimedOut);
        assert_eq!(a.finished_ms, Some(20 * MIN));
        assert_eq!((a.score, a.max), (4000, 10000));
        Ok(())
    }

    #[test]
    fn a_blank_answer_clears_the_saved_one() -> Result<(), AttemptError> {
        let (_, mut a) = sitting(0);
        a.save(1, Response::Options { options: vec![0] }, MIN)?;
        a.save(1, Response::Options { options: vec![] }, 2 * MIN)?;
        assert!(a.answers.is_empty());
        Ok(())
    }
}
