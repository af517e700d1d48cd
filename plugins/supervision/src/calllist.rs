//! 电话调查: each month, each hall gets a call list drawn from the people it
//! served who left a number (the hotline's work orders the hall handled),
//! up to a monthly quota of completed calls. The draw is a seeded shuffle,
//! so the same month, hall and population give the same list (it can be
//! checked afterwards) and no one is called twice in a month. Lists show
//! numbers masked; a surveyor sees one number only when dialling it, and
//! that is recorded.
//!
//! ```text
//! 待拨打 pending ─completed──▶ 已完成 completed (an answer, channel 电话)
//!        ├──refused / wrong number──▶ 已结束 closed
//!        └──no answer──▶ pending … the third no answer ──▶ closed
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Attempts before an entry that never answers is closed.
pub const MAX_ATTEMPTS: usize = 3;

/// Someone the hall served, with a number to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Where the number came from (a work order id).
    pub source: String,
    /// The number, digits only.
    pub number: String,
}

/// FNV-1a, 64 bits: a stable hash for the draw (not for secrecy).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h ^= u64::from(b'/');
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Draws up to `n` contacts: one per number, none in `exclude` (numbers
/// already on this month's lists), in the order of a hash of the seed and
/// the number.
pub fn draw(
    seed: &str,
    contacts: &[Contact],
    exclude: &BTreeSet<String>,
    n: usize,
) -> Vec<Contact> {
    let mut seen = BTreeSet::new();
    let mut pool: Vec<(u64, &Contact)> = contacts
        .iter()
        .filter(|c| !exclude.contains(&c.number) && seen.insert(c.number.as_str()))
        .map(|c| (fnv1a(&[seed, &c.number]), c))
        .collect();
    pool.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.source.cmp(&b.1.source)));
    pool.into_iter().take(n).map(|(_, c)| c.clone()).collect()
}

/// How many more entries to draw: twice what is still missing from the
/// quota (people do not always answer), less the entries still pending.
pub fn to_draw(quota: u32, completed: u32, pending: u32) -> u32 {
    quota
        .saturating_sub(completed)
        .saturating_mul(2)
        .saturating_sub(pending)
}

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 待拨打.
    Pending,
    /// 已完成: the survey was answered.
    Completed,
    /// 已结束: refused, a wrong number, or no answer three times.
    Closed,
}

impl State {
    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            State::Pending => "待拨打",
            State::Completed => "已完成",
            State::Closed => "已结束",
        }
    }
}

/// What a call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 已完成调查.
    Completed,
    /// 无人接听.
    NoAnswer,
    /// 拒绝调查.
    Refused,
    /// 空号/错号.
    WrongNumber,
}

impl Outcome {
    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Outcome::Completed => "已完成调查",
            Outcome::NoAnswer => "无人接听",
            Outcome::Refused => "拒绝调查",
            Outcome::WrongNumber => "空号或错号",
        }
    }
}

/// One call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at_ms: i64,
    pub by: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// One entry of a hall's call list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub hall: String,
    pub month: String,
    /// Where the number came from.
    pub source: String,
    /// The number, digits only: never shown in lists.
    pub number: String,
    /// As lists show it.
    pub masked: String,
    pub drawn_ms: i64,
    pub state: State,
    pub attempts: Vec<Attempt>,
    /// Who saw the number, and when (拨号).
    #[serde(default)]
    pub dialled: Vec<(String, i64)>,
    /// The answer recorded on completion.
    #[serde(default)]
    pub answer: Option<String>,
}

/// A refused step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The entry is completed or closed.
    Finished(State),
    /// Record a call only after dialling.
    NotDialled,
}

impl CallError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        409
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Finished(s) => write!(
                f,
                "该号码已{}，不能再记录 / the entry is {s:?}",
                s.zh().trim_start_matches('已')
            ),
            CallError::NotDialled => {
                f.write_str("请先拨号再记录结果 / dial before recording the call")
            }
        }
    }
}

impl std::error::Error for CallError {}

impl Entry {
    /// A new pending entry.
    pub fn new(hall: &str, month: &str, contact: Contact, now: i64) -> Entry {
        Entry {
            hall: hall.to_owned(),
            month: month.to_owned(),
            source: contact.source,
            masked: crate::survey::mask(&contact.number),
            number: contact.number,
            drawn_ms: now,
            state: State::Pending,
            attempts: Vec::new(),
            dialled: Vec::new(),
            answer: None,
        }
    }

    /// Hands the number to `by` for dialling, and records it.
    pub fn dial(&mut self, by: &str, now: i64) -> Result<&str, CallError> {
        if self.state != State::Pending {
            return Err(CallError::Finished(self.state));
        }
        self.dialled.push((by.to_owned(), now));
        Ok(&self.number)
    }

    /// Records a call; `answer` is the id of the answer when completed.
    pub fn record(
        &mut self,
        by: &str,
        outcome: Outcome,
        note: &str,
        answer: Option<String>,
        now: i64,
    ) -> Result<(), CallError> {
        if self.state != State::Pending {
            return Err(CallError::Finished(self.state));
        }
        if !self.dialled.iter().any(|(who, _)| who == by) {
            return Err(CallError::NotDialled);
        }
        self.attempts.push(Attempt {
            at_ms: now,
            by: by.to_owned(),
            outcome,
            note: note.chars().take(500).collect(),
        });
        let no_answers = self
            .attempts
            .iter()
            .filter(|a| a.outcome == Outcome::NoAnswer)
            .count();
        self.state = match outcome {
            Outcome::Completed => State::Completed,
            Outcome::Refused | Outcome::WrongNumber => State::Closed,
            Outcome::NoAnswer if no_answers >= MAX_ATTEMPTS => State::Closed,
            Outcome::NoAnswer => State::Pending,
        };
        if outcome == Outcome::Completed {
            self.answer = answer;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contacts(n: usize) -> Vec<Contact> {
        (0..n)
            .map(|i| Contact {
                source: format!("order-{i:03}"),
                number: format!("1380000{:04}", i % (n - 2).max(1)),
            })
            .collect()
    }

    #[test]
    fn the_draw_is_repeatable_unique_and_leaves_out_earlier_numbers() {
        let all = contacts(40);
        let a = draw("2026-12/h01", &all, &BTreeSet::new(), 10);
        assert_eq!(
            a,
            draw("2026-12/h01", &all, &BTreeSet::new(), 10),
            "same seed, same list"
        );
        assert_ne!(
            a,
            draw("2026-12/h02", &all, &BTreeSet::new(), 10),
            "another hall, another list"
        );
        let numbers: BTreeSet<_> = a.iter().map(|c| c.number.clone()).collect();
        assert_eq!(numbers.len(), 10, "one entry per number");
        let more = draw("2026-12/h01", &all, &numbers, 100);
        assert_eq!(more.len(), 38 - 10, "38 distinct numbers, 10 already drawn");
        assert!(more.iter().all(|c| !numbers.contains(&c.number)));
        assert_eq!(to_draw(10, 0, 0), 20);
        assert_eq!(to_draw(10, 7, 2), 4);
        assert_eq!(to_draw(10, 10, 5), 0);
    }

    #[test]
    fn a_call_is_recorded_only_after_dialling_and_three_misses_close_it() {
        let mut e = Entry::new(
            "h01",
            "2026-12",
            Contact {
                source: "o1".into(),
                number: "13812345678".into(),
            },
            0,
        );
        assert_eq!(e.masked, "138****5678");
        assert_eq!(
            e.record("li", Outcome::NoAnswer, "", None, 1),
            Err(CallError::NotDialled)
        );
        assert_eq!(e.dial("li", 1), Ok("13812345678"));
        for t in 0..2 {
            e.record("li", Outcome::NoAnswer, "", None, 2 + t).unwrap();
            assert_eq!(e.state, State::Pending);
        }
        e.record("li", Outcome::NoAnswer, "", None, 5).unwrap();
        assert_eq!(e.state, State::Closed);
        assert_eq!(e.dial("li", 6), Err(CallError::Finished(State::Closed)));

        let mut done = Entry::new(
            "h01",
            "2026-12",
            Contact {
                source: "o2".into(),
                number: "13900000000".into(),
            },
            0,
        );
        done.dial("wang", 1).unwrap();
        done.record("wang", Outcome::Completed, "", Some("a1".into()), 2)
            .unwrap();
        assert_eq!(
            (done.state, done.answer.as_deref()),
            (State::Completed, Some("a1"))
        );
        assert!(done.record("wang", Outcome::Refused, "", None, 3).is_err());
    }
}
