//! Papers (试卷): a fixed list of questions, or a blueprint (组卷规则) of
//! rows — knowledge point × difficulty (× kind) × count — from which each
//! candidate draws their own questions.
//!
//! When an exam is published its pool is frozen: the approved, current
//! questions it may use, each at the version it had then ([`Pooled`]).
//! Editing the bank afterwards changes nothing in the exam.
//!
//! A blueprint's rows partition the pool: a question belongs to the first
//! row it matches, so no question appears twice on one paper and a
//! blueprint is feasible exactly when every row has at least `count`
//! questions ([`Spec::check`]).
//!
//! Each candidate's paper ([`draw`]) is a seeded function of the exam, the
//! candidate and the attempt number: the same inputs give the same paper
//! (so a resumed attempt shows what it showed before), different
//! candidates get different draws and orders. Questions are shuffled when
//! the exam says so; options are shuffled except those that must stay last
//! (`以上都…`, `以上均…`, `都不…`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::question::{Difficulty, Draft, Kind, Shape};

/// The most questions one paper may have.
pub const MAX_QUESTIONS: usize = 300;

/// A question frozen into an exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pooled {
    pub id: String,
    pub version: u32,
    #[serde(flatten)]
    pub q: Draft,
}

/// One blueprint row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The knowledge point drawn from.
    pub knowledge: String,
    pub difficulty: Difficulty,
    /// Only questions of this kind, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    pub count: u32,
    /// Marks per question drawn.
    pub marks: u32,
}

impl Row {
    fn matches(&self, q: &Draft) -> bool {
        q.difficulty == self.difficulty
            && q.knowledge.iter().any(|k| k == &self.knowledge)
            && self.kind.is_none_or(|k| k == q.kind)
    }
}

/// One question of a fixed paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixed {
    pub id: String,
    /// Marks on this paper; the question's own when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marks: Option<u32>,
}

/// How an exam's papers are made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Spec {
    /// 固定组卷: everyone answers these questions.
    Fixed { questions: Vec<Fixed> },
    /// 随机组卷: everyone draws by these rows.
    Blueprint { rows: Vec<Row> },
}

/// Why a paper cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaperError {
    Empty,
    TooMany(usize),
    /// A fixed paper names a question that is not in the pool (unknown,
    /// unapproved or lapsed).
    NotUsable(String),
    Duplicate(String),
    BadMarks(String),
    /// A blueprint row has fewer questions than it asks for.
    Short {
        row: usize,
        knowledge: String,
        difficulty: Difficulty,
        have: usize,
        want: u32,
    },
}

impl fmt::Display for PaperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaperError::Empty => f.write_str("试卷没有题目"),
            PaperError::TooMany(n) => write!(f, "试卷有{n}题，超过上限{MAX_QUESTIONS}题"),
            PaperError::NotUsable(id) => {
                write!(f, "题目{id}不可用（不存在、未审核、已停用或依据已失效）")
            }
            PaperError::Duplicate(id) => write!(f, "题目{id}重复"),
            PaperError::BadMarks(id) => write!(f, "{id}的分值须为1至100分"),
            PaperError::Short {
                row,
                knowledge,
                difficulty,
                have,
                want,
            } => write!(
                f,
                "组卷规则第{}行（知识点“{knowledge}”，难度“{}”）需要{want}题，题库中可用的只有{have}题",
                row + 1,
                difficulty.zh()
            ),
        }
    }
}

/// A slot of the paper in its canonical order (before any shuffle): what
/// item statistics are computed over, since every candidate's paper has
/// the same slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotInfo {
    /// The blueprint row (for a fixed paper, the question's place).
    pub row: usize,
    pub marks: u32,
}

impl Spec {
    /// Checks the paper can be made from `pool`, and answers its slots.
    pub fn check(&self, pool: &[Pooled]) -> Result<Vec<SlotInfo>, PaperError> {
        let slots: Vec<SlotInfo> = match self {
            Spec::Fixed { questions } => {
                let mut seen = std::collections::BTreeSet::new();
                let mut slots = Vec::with_capacity(questions.len());
                for (i, f) in questions.iter().enumerate() {
                    let Some(p) = pool.iter().find(|p| p.id == f.id) else {
                        return Err(PaperError::NotUsable(f.id.clone()));
                    };
                    if !seen.insert(&f.id) {
                        return Err(PaperError::Duplicate(f.id.clone()));
                    }
                    let marks = f.marks.unwrap_or(p.q.marks);
                    if !(1..=100).contains(&marks) {
                        return Err(PaperError::BadMarks(f.id.clone()));
                    }
                    slots.push(SlotInfo { row: i, marks });
                }
                slots
            }
            Spec::Blueprint { rows } => {
                let members = partition(rows, pool);
                let mut slots = Vec::new();
                for (i, r) in rows.iter().enumerate() {
                    if !(1..=100).contains(&r.marks) {
                        return Err(PaperError::BadMarks(format!("组卷规则第{}行", i + 1)));
                    }
                    let have = members.get(&i).map_or(0, Vec::len);
                    if have < r.count as usize {
                        return Err(PaperError::Short {
                            row: i,
                            knowledge: r.knowledge.clone(),
                            difficulty: r.difficulty,
                            have,
                            want: r.count,
                        });
                    }
                    slots.extend((0..r.count).map(|_| SlotInfo {
                        row: i,
                        marks: r.marks,
                    }));
                }
                slots
            }
        };
        if slots.is_empty() {
            return Err(PaperError::Empty);
        }
        if slots.len() > MAX_QUESTIONS {
            return Err(PaperError::TooMany(slots.len()));
        }
        Ok(slots)
    }

    /// The ids of the pool's questions this paper may draw on (for a fixed
    /// paper, its questions; for a blueprint, the rows' members), so the
    /// exam freezes no more than it uses.
    pub fn used<'p>(&self, pool: &'p [Pooled]) -> Vec<&'p Pooled> {
        match self {
            Spec::Fixed { questions } => questions
                .iter()
                .filter_map(|f| pool.iter().find(|p| p.id == f.id))
                .collect(),
            Spec::Blueprint { rows } => {
                let members = partition(rows, pool);
                let mut used: Vec<usize> = members.into_values().flatten().collect();
                used.sort_unstable();
                used.into_iter().map(|i| &pool[i]).collect()
            }
        }
    }
}

/// Each row's pool indices: a question belongs to the first row it matches.
fn partition(rows: &[Row], pool: &[Pooled]) -> BTreeMap<usize, Vec<usize>> {
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (qi, p) in pool.iter().enumerate() {
        if let Some(r) = rows.iter().position(|r| r.matches(&p.q)) {
            members.entry(r).or_default().push(qi);
        }
    }
    members
}

/// One question as a candidate's paper holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The canonical slot (index into the exam's slots).
    pub slot: u16,
    /// Index into the exam's pool.
    pub question: u32,
    /// The options in the order shown: `order[shown] = bank index`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<u8>,
    pub marks: u32,
    /// What an answer must look like (so answers are checked without
    /// reading the pool).
    pub shape: Shape,
}

/// A small, fast, seedable generator (SplitMix64): the same seed always
/// gives the same paper, on every platform.
#[derive(Debug, Clone)]
pub struct Dice(u64);

impl Dice {
    /// Seeds from the parts (FNV-1a over them, each followed by a 0 byte).
    pub fn seeded(parts: &[&str]) -> Dice {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for p in parts {
            for b in p.bytes().chain([0]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        Dice(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0), without modulo bias worth speaking of
    /// (Lemire's multiply-shift).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Whether an option must stay where it is (last): "以上都对", "以上均不正确",
/// "都不对", "none of the above".
fn pinned(option: &str) -> bool {
    let t = option.trim();
    t.starts_with("以上") || t.starts_with("都不") || t.to_lowercase().contains("of the above")
}

/// The options' order for one candidate: shuffled unless pinned (pinned
/// options keep their places).
fn option_order(q: &Draft, dice: &mut Dice, shuffle: bool) -> Vec<u8> {
    if !q.kind.has_options() {
        return Vec::new();
    }
    let n = q.options.len() as u8;
    let mut order: Vec<u8> = (0..n).collect();
    if shuffle {
        let mut free: Vec<u8> = order
            .iter()
            .copied()
            .filter(|&i| !pinned(&q.options[usize::from(i)]))
            .collect();
        dice.shuffle(&mut free);
        let mut it = free.into_iter();
        for slot in order.iter_mut() {
            if !pinned(&q.options[usize::from(*slot)])
                && let Some(next) = it.next()
            {
                *slot = next;
            }
        }
    }
    order
}

/// Draw settings of an exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shuffle {
    pub questions: bool,
    pub options: bool,
}

/// One candidate's paper for attempt `attempt` (1 for the first): the
/// items in the order shown. `spec` must have passed [`Spec::check`]
/// against the same pool; a row without enough questions draws what it
/// has.
pub fn draw(
    spec: &Spec,
    pool: &[Pooled],
    exam: &str,
    candidate: &str,
    attempt: u32,
    shuffle: Shuffle,
) -> Vec<Item> {
    let attempt = attempt.to_string();
    let mut dice = Dice::seeded(&[exam, candidate, &attempt]);
    let mut items: Vec<Item> = Vec::new();
    match spec {
        Spec::Fixed { questions } => {
            for f in questions {
                if let Some(qi) = pool.iter().position(|p| p.id == f.id) {
                    items.push(Item {
                        slot: items.len() as u16,
                        question: qi as u32,
                        order: Vec::new(),
                        marks: f.marks.unwrap_or(pool[qi].q.marks),
                        shape: pool[qi].q.shape(),
                    });
                }
            }
        }
        Spec::Blueprint { rows } => {
            let members = partition(rows, pool);
            for (i, r) in rows.iter().enumerate() {
                let mut candidates = members.get(&i).cloned().unwrap_or_default();
                dice.shuffle(&mut candidates);
                // The drawn questions in bank order within the row, so the
                // canonical slots are stable for statistics.
                let mut drawn: Vec<usize> = candidates.into_iter().take(r.count as usize).collect();
                drawn.sort_unstable();
                for qi in drawn {
                    items.push(Item {
                        slot: items.len() as u16,
                        question: qi as u32,
                        order: Vec::new(),
                        marks: r.marks,
                        shape: pool[qi].q.shape(),
                    });
                }
            }
        }
    }
    if shuffle.questions {
        dice.shuffle(&mut items);
    }
    for it in &mut items {
        it.order = option_order(&pool[it.question as usize].q, &mut dice, shuffle.options);
    }
    items
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::question::Key;

    pub(crate) fn pool(per_cell: usize) -> Vec<Pooled> {
        let mut pool = Vec::new();
        for k in ["一次性告知", "首问负责", "廉政纪律"] {
            for d in Difficulty::ALL {
                for n in 0..per_cell {
                    pool.push(Pooled {
                        id: format!("{k}-{}-{n}", d.as_str()),
                        version: 1,
                        q: Draft {
                            kind: Kind::Single,
                            stem: format!("{k}{}{n}", d.zh()),
                            options: vec!["甲".into(), "乙".into(), "丙".into(), "以上都对".into()],
                            key: Key::Options { options: vec![0] },
                            marks: 2,
                            knowledge: vec![k.into()],
                            difficulty: d,
                            topic: None,
                            source: None,
                            explanation: None,
                        },
                    });
                }
            }
        }
        pool
    }

    fn blueprint() -> Spec {
        Spec::Blueprint {
            rows: vec![
                Row {
                    knowledge: "一次性告知".into(),
                    difficulty: Difficulty::Easy,
                    kind: None,
                    count: 4,
                    marks: 5,
                },
                Row {
                    knowledge: "首问负责".into(),
                    difficulty: Difficulty::Medium,
                    kind: Some(Kind::Single),
                    count: 3,
                    marks: 10,
                },
                Row {
                    knowledge: "廉政纪律".into(),
                    difficulty: Difficulty::Hard,
                    kind: None,
                    count: 5,
                    marks: 8,
                },
            ],
        }
    }

    #[test]
    fn a_blueprint_is_checked_against_the_pool() {
        let slots = blueprint().check(&pool(6));
        assert_eq!(slots.as_ref().map(Vec::len), Ok(12));
        assert_eq!(
            blueprint().check(&pool(4)).map(|_| ()),
            Err(PaperError::Short {
                row: 2,
                knowledge: "廉政纪律".into(),
                difficulty: Difficulty::Hard,
                have: 4,
                want: 5
            })
        );
        let fixed = Spec::Fixed {
            questions: vec![
                Fixed {
                    id: "首问负责-easy-0".into(),
                    marks: None,
                },
                Fixed {
                    id: "nope".into(),
                    marks: None,
                },
            ],
        };
        assert_eq!(
            fixed.check(&pool(1)).map(|_| ()),
            Err(PaperError::NotUsable("nope".into()))
        );
    }

    #[test]
    fn fifty_candidates_get_valid_papers_in_different_orders() {
        let pool = pool(8);
        let spec = blueprint();
        let shuffle = Shuffle {
            questions: true,
            options: true,
        };
        let mut orders = BTreeSet::new();
        for c in 0..50 {
            let items = draw(&spec, &pool, "E1", &format!("u{c}"), 1, shuffle);
            assert_eq!(items.len(), 12);
            // Valid: each row's count from the row's cell, no question twice.
            let distinct: BTreeSet<u32> = items.iter().map(|i| i.question).collect();
            assert_eq!(distinct.len(), 12);
            let per_row = |k: &str, d: Difficulty| {
                items
                    .iter()
                    .filter(|i| {
                        let q = &pool[i.question as usize].q;
                        q.knowledge[0] == k && q.difficulty == d
                    })
                    .count()
            };
            assert_eq!(per_row("一次性告知", Difficulty::Easy), 4);
            assert_eq!(per_row("首问负责", Difficulty::Medium), 3);
            assert_eq!(per_row("廉政纪律", Difficulty::Hard), 5);
            // Slots are the canonical positions, each once.
            let slots: BTreeSet<u16> = items.iter().map(|i| i.slot).collect();
            assert_eq!(slots, (0..12).collect());
            // Options are a permutation with 以上都对 still last.
            for i in &items {
                let mut o = i.order.clone();
                assert_eq!(o[3], 3, "the pinned option stays last");
                o.sort_unstable();
                assert_eq!(o, vec![0, 1, 2, 3]);
            }
            let order: Vec<(u32, Vec<u8>)> = items
                .iter()
                .map(|i| (i.question, i.order.clone()))
                .collect();
            orders.insert(order);
        }
        assert_eq!(orders.len(), 50, "every candidate's paper differs");
        // The same candidate and attempt: the same paper; a resit: another.
        let a = draw(&spec, &pool, "E1", "u7", 1, shuffle);
        assert_eq!(a, draw(&spec, &pool, "E1", "u7", 1, shuffle));
        assert_ne!(a, draw(&spec, &pool, "E1", "u7", 2, shuffle));
    }

    #[test]
    fn unshuffled_fixed_papers_keep_their_order() {
        let pool = pool(1);
        let spec = Spec::Fixed {
            questions: pool
                .iter()
                .map(|p| Fixed {
                    id: p.id.clone(),
                    marks: Some(3),
                })
                .collect(),
        };
        let items = draw(
            &spec,
            &pool,
            "E2",
            "u1",
            1,
            Shuffle {
                questions: false,
                options: false,
            },
        );
        assert_eq!(items.len(), 9);
        assert!(
            items
                .iter()
                .enumerate()
                .all(|(i, it)| it.question as usize == i
                    && it.slot as usize == i
                    && it.marks == 3
                    && it.order == vec![0, 1, 2, 3])
        );
    }

    #[test]
    fn the_dice_is_uniform_enough() {
        let mut d = Dice::seeded(&["x"]);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[d.below(6)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }
}
