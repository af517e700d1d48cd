//! The question bank (题库): five kinds of question, each with its key,
//! knowledge points (知识点), difficulty and the policy it rests on, kept in
//! versions and reviewed before use.
//!
//! A question is written as a [`Draft`], checked by [`Draft::check`], and
//! becomes usable only when someone other than its author approves it
//! ([`Entry::approve`]). Editing an approved question makes a new version
//! that needs review again; the old version stays readable, and an exam
//! keeps the versions it was set from. A question whose source policy has
//! lapsed ([`Entry::expired`]) is flagged and left out of new papers.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The most options a choice question may have (A–H).
pub const MAX_OPTIONS: usize = 8;
/// The most blanks a fill-in question may have.
pub const MAX_BLANKS: usize = 10;
/// The most accepted spellings of one blank.
pub const MAX_ALTERNATIVES: usize = 10;
/// The most knowledge points one question may be tagged with.
pub const MAX_POINTS: usize = 5;
/// The longest stem, option or answer, in characters.
pub const MAX_TEXT: usize = 2_000;
/// The most marks one question may carry.
pub const MAX_MARKS: u32 = 100;

/// What kind of question it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 单选题: one option is right.
    Single,
    /// 多选题: two or more options are right.
    Multiple,
    /// 判断题: the statement is right or wrong.
    TrueFalse,
    /// 填空题: one or more blanks, each with accepted spellings.
    FillIn,
    /// 简答题: marked by a person against a reference answer.
    Short,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Single,
        Kind::Multiple,
        Kind::TrueFalse,
        Kind::FillIn,
        Kind::Short,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            Kind::Single => "单选题",
            Kind::Multiple => "多选题",
            Kind::TrueFalse => "判断题",
            Kind::FillIn => "填空题",
            Kind::Short => "简答题",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Kind::Single => "Single choice",
            Kind::Multiple => "Multiple choice",
            Kind::TrueFalse => "True or false",
            Kind::FillIn => "Fill in the blanks",
            Kind::Short => "Short answer",
        }
    }

    /// Parses the kind's name (`single`) or its Chinese name (`单选题`, `单选`).
    pub fn parse(text: &str) -> Option<Kind> {
        let t = text.trim();
        Kind::ALL.into_iter().find(|k| {
            let zh = k.zh();
            t == k.as_str() || t == zh || t == zh.trim_end_matches('题')
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Single => "single",
            Kind::Multiple => "multiple",
            Kind::TrueFalse => "true_false",
            Kind::FillIn => "fill_in",
            Kind::Short => "short",
        }
    }

    /// Whether marking needs a person.
    pub fn is_manual(self) -> bool {
        self == Kind::Short
    }

    /// Whether the question has options a candidate picks from.
    pub fn has_options(self) -> bool {
        matches!(self, Kind::Single | Kind::Multiple)
    }
}

/// How hard a question is meant to be: what a blueprint draws by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl Difficulty {
    pub const ALL: [Difficulty; 3] = [Difficulty::Easy, Difficulty::Medium, Difficulty::Hard];

    pub fn zh(self) -> &'static str {
        match self {
            Difficulty::Easy => "易",
            Difficulty::Medium => "中",
            Difficulty::Hard => "难",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Difficulty::Easy => "easy",
            Difficulty::Medium => "medium",
            Difficulty::Hard => "hard",
        }
    }

    /// Parses `easy`/`易`/`容易`/`简单`, `medium`/`中`/`中等`/`一般`,
    /// `hard`/`难`/`困难`/`较难`, or 1–3.
    pub fn parse(text: &str) -> Option<Difficulty> {
        match text.trim() {
            "easy" | "易" | "容易" | "简单" | "1" => Some(Difficulty::Easy),
            "medium" | "中" | "中等" | "一般" | "2" => Some(Difficulty::Medium),
            "hard" | "难" | "困难" | "较难" | "3" => Some(Difficulty::Hard),
            _ => None,
        }
    }
}

/// The right answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Key {
    /// The right options by index (0 = A), ascending.
    Options { options: Vec<u8> },
    /// Whether the statement is right.
    Truth { truth: bool },
    /// Per blank, the accepted spellings.
    Blanks { blanks: Vec<Vec<String>> },
    /// What a marker compares against (参考答案), with the points to look for.
    Reference { text: String },
}

/// The policy or document a question rests on, with the dates it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// e.g. `《河北省政务服务管理办法》第十二条`.
    pub title: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// `YYYY-MM-DD`, inclusive; none while in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<String>,
}

/// A question as written: what an author submits and what a version holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: Kind,
    /// The question; a fill-in question marks each blank with `____`
    /// (two or more underscores) or `（ ）`.
    pub stem: String,
    /// The options of a choice question, without their letters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    pub key: Key,
    /// The marks it carries on a fixed paper (a blueprint row may set
    /// others).
    pub marks: u32,
    /// 知识点, at least one.
    pub knowledge: Vec<String>,
    pub difficulty: Difficulty,
    /// The training topic (专题), e.g. 政策法规.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// 解析: shown after the exam closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// Why a draft cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field at fault (`stem`, `options`, `key`, …).
    pub field: &'static str,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

fn text_ok(field: &'static str, what: &str, text: &str) -> Result<(), Invalid> {
    if text.trim().is_empty() {
        return Err(invalid(field, format!("{what}不能为空")));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(invalid(field, format!("{what}超过{MAX_TEXT}字")));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid(field, format!("{what}含有控制字符")));
    }
    Ok(())
}

/// A `YYYY-MM-DD` date that exists.
pub fn valid_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// The number of blanks a fill-in stem marks: runs of two or more `_`, and
/// `（）`/`()` with only spaces inside.
pub fn blanks_in(stem: &str) -> usize {
    let chars: Vec<char> = stem.chars().collect();
    let mut n = 0;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '_' => {
                let start = i;
                while i < chars.len() && chars[i] == '_' {
                    i += 1;
                }
                if i - start >= 2 {
                    n += 1;
                }
                continue;
            }
            '（' | '(' => {
                let mut j = i + 1;
                while j < chars.len() && matches!(chars[j], ' ' | '\u{3000}') {
                    j += 1;
                }
                if j < chars.len() && matches!(chars[j], '）' | ')') {
                    n += 1;
                    i = j;
                }
            }
            _ => {}
        }
        i += 1;
    }
    n
}

impl Draft {
    /// Checks the draft is complete and consistent: the key fits the kind
    /// and the options, a fill-in stem has as many blanks as the key, the
    /// dates exist and are in order.
    pub fn check(&self) -> Result<(), Invalid> {
        text_ok("stem", "题干", &self.stem)?;
        if self.marks == 0 || self.marks > MAX_MARKS {
            return Err(invalid("marks", format!("分值须为1至{MAX_MARKS}分")));
        }
        if self.knowledge.is_empty() {
            return Err(invalid("knowledge", "至少标注一个知识点"));
        }
        if self.knowledge.len() > MAX_POINTS {
            return Err(invalid("knowledge", format!("知识点最多{MAX_POINTS}个")));
        }
        let mut seen = BTreeSet::new();
        for k in &self.knowledge {
            if k.trim().is_empty() || k.chars().count() > 40 || k.trim() != k {
                return Err(invalid("knowledge", format!("知识点“{k}”无效")));
            }
            if !seen.insert(k) {
                return Err(invalid("knowledge", format!("知识点“{k}”重复")));
            }
        }
        if self.kind.has_options() {
            if self.options.len() < 2 || self.options.len() > MAX_OPTIONS {
                return Err(invalid(
                    "options",
                    format!("选择题须有2至{MAX_OPTIONS}个选项"),
                ));
            }
            for o in &self.options {
                text_ok("options", "选项", o)?;
            }
            let distinct: BTreeSet<&str> = self.options.iter().map(|o| o.trim()).collect();
            if distinct.len() != self.options.len() {
                return Err(invalid("options", "选项内容重复"));
            }
        } else if !self.options.is_empty() {
            return Err(invalid("options", format!("{}不设选项", self.kind.zh())));
        }
        match (&self.key, self.kind) {
            (Key::Options { options }, Kind::Single | Kind::Multiple) => {
                let n = self.options.len();
                if options.iter().any(|&i| usize::from(i) >= n) {
                    return Err(invalid("key", "答案中的选项不存在"));
                }
                if options.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(invalid("key", "答案选项须按顺序且不重复"));
                }
                match self.kind {
                    Kind::Single if options.len() != 1 => {
                        return Err(invalid("key", "单选题只有一个正确选项"));
                    }
                    Kind::Multiple if options.len() < 2 => {
                        return Err(invalid("key", "多选题至少有两个正确选项"));
                    }
                    _ => {}
                }
            }
            (Key::Truth { .. }, Kind::TrueFalse) => {}
            (Key::Blanks { blanks }, Kind::FillIn) => {
                if blanks.is_empty() || blanks.len() > MAX_BLANKS {
                    return Err(invalid("key", format!("填空题须有1至{MAX_BLANKS}个空")));
                }
                let marked = blanks_in(&self.stem);
                if marked != blanks.len() {
                    return Err(invalid(
                        "key",
                        format!("题干中有{marked}个空，答案给了{}个", blanks.len()),
                    ));
                }
                for b in blanks {
                    if b.is_empty() || b.len() > MAX_ALTERNATIVES {
                        return Err(invalid(
                            "key",
                            format!("每个空须有1至{MAX_ALTERNATIVES}个可接受的答案"),
                        ));
                    }
                    for alt in b {
                        text_ok("key", "填空答案", alt)?;
                    }
                }
            }
            (Key::Reference { text }, Kind::Short) => text_ok("key", "参考答案", text)?,
            _ => {
                return Err(invalid(
                    "key",
                    format!("答案的形式与题型（{}）不符", self.kind.zh()),
                ));
            }
        }
        if let Some(s) = &self.source {
            text_ok("source", "依据", &s.title)?;
            for d in [&s.valid_from, &s.valid_to].into_iter().flatten() {
                if !valid_date(d) {
                    return Err(invalid(
                        "source",
                        format!("日期“{d}”无效（应为YYYY-MM-DD）"),
                    ));
                }
            }
            if let (Some(a), Some(b)) = (&s.valid_from, &s.valid_to)
                && a > b
            {
                return Err(invalid("source", "依据的失效日期早于生效日期"));
            }
        }
        if let Some(t) = &self.topic {
            text_ok("topic", "专题", t)?;
        }
        if let Some(e) = &self.explanation {
            text_ok("explanation", "解析", e)?;
        }
        Ok(())
    }

    /// Whether the source policy is out of force on `today` (`YYYY-MM-DD`).
    pub fn lapsed_on(&self, today: &str) -> bool {
        self.source.as_ref().is_some_and(|s| {
            s.valid_to.as_deref().is_some_and(|to| to < today)
                || s.valid_from.as_deref().is_some_and(|from| from > today)
        })
    }
}

/// What an answer must look like: enough to check one without the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub kind: Kind,
    /// Options of a choice question.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub options: u8,
    /// Blanks of a fill-in question.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub blanks: u8,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl Draft {
    /// The shape of an answer to it.
    pub fn shape(&self) -> Shape {
        Shape {
            kind: self.kind,
            options: self.options.len() as u8,
            blanks: match &self.key {
                Key::Blanks { blanks } => blanks.len() as u8,
                _ => 0,
            },
        }
    }
}

/// Where a question is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Written or edited, waiting for review.
    Pending,
    /// Reviewed; usable in papers.
    Approved,
    /// Sent back by the reviewer.
    Rejected,
    /// No longer used.
    Retired,
}

impl Status {
    pub fn zh(self) -> &'static str {
        match self {
            Status::Pending => "待审核",
            Status::Approved => "已审核",
            Status::Rejected => "退回修改",
            Status::Retired => "已停用",
        }
    }
}

/// A review step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at_ms: i64,
    pub by: String,
    /// `created`, `edited`, `approved`, `rejected`, `retired`.
    pub action: String,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A question in the bank: its current version and its review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(flatten)]
    pub draft: Draft,
    /// 1 for the first version.
    pub version: u32,
    pub status: Status,
    pub author: String,
    #[serde(default)]
    pub history: Vec<Step>,
}

/// Why a review step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewError {
    /// The author may not approve their own question (四眼原则).
    OwnQuestion,
    /// Only a pending question can be approved or rejected.
    NotPending(Status),
    /// A retired question cannot be edited.
    Retired,
    Invalid(Invalid),
}

impl fmt::Display for ReviewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewError::OwnQuestion => f.write_str("出题人不能审核自己出的题"),
            ReviewError::NotPending(s) => write!(f, "题目当前为“{}”，不在待审核状态", s.zh()),
            ReviewError::Retired => f.write_str("题目已停用，不能修改"),
            ReviewError::Invalid(i) => write!(f, "{i}"),
        }
    }
}

impl Entry {
    /// A new question, pending review.
    pub fn new(draft: Draft, author: &str, now: i64) -> Result<Entry, Invalid> {
        draft.check()?;
        Ok(Entry {
            draft,
            version: 1,
            status: Status::Pending,
            author: author.to_owned(),
            history: vec![Step {
                at_ms: now,
                by: author.to_owned(),
                action: "created".into(),
                version: 1,
                note: None,
            }],
        })
    }

    /// Replaces the question with a new version that needs review again.
    /// Answers the version the edit made.
    pub fn edit(&mut self, draft: Draft, by: &str, now: i64) -> Result<u32, ReviewError> {
        if self.status == Status::Retired {
            return Err(ReviewError::Retired);
        }
        draft.check().map_err(ReviewError::Invalid)?;
        self.draft = draft;
        self.version += 1;
        self.status = Status::Pending;
        self.author = by.to_owned();
        self.history.push(Step {
            at_ms: now,
            by: by.to_owned(),
            action: "edited".into(),
            version: self.version,
            note: None,
        });
        Ok(self.version)
    }

    /// Approves the pending version; the reviewer must not be its author.
    pub fn approve(&mut self, by: &str, now: i64) -> Result<(), ReviewError> {
        self.review(by, now, Status::Approved, "approved", None)
    }

    /// Sends the pending version back with a reason.
    pub fn reject(&mut self, by: &str, now: i64, reason: &str) -> Result<(), ReviewError> {
        self.review(by, now, Status::Rejected, "rejected", Some(reason))
    }

    fn review(
        &mut self,
        by: &str,
        now: i64,
        to: Status,
        action: &str,
        note: Option<&str>,
    ) -> Result<(), ReviewError> {
        if self.status != Status::Pending {
            return Err(ReviewError::NotPending(self.status));
        }
        if self.author == by {
            return Err(ReviewError::OwnQuestion);
        }
        self.status = to;
        self.history.push(Step {
            at_ms: now,
            by: by.to_owned(),
            action: action.into(),
            version: self.version,
            note: note.map(str::to_owned),
        });
        Ok(())
    }

    /// Takes the question out of use; papers already set keep it.
    pub fn retire(&mut self, by: &str, now: i64, reason: &str) {
        self.status = Status::Retired;
        self.history.push(Step {
            at_ms: now,
            by: by.to_owned(),
            action: "retired".into(),
            version: self.version,
            note: Some(reason.to_owned()),
        });
    }

    /// Whether a new paper may use it on `today`.
    pub fn usable_on(&self, today: &str) -> bool {
        self.status == Status::Approved && !self.draft.lapsed_on(today)
    }

    /// Whether its policy has lapsed on `today` (flagged for review).
    pub fn expired(&self, today: &str) -> bool {
        self.draft.lapsed_on(today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn single(stem: &str, right: u8, knowledge: &str) -> Draft {
        Draft {
            kind: Kind::Single,
            stem: stem.into(),
            options: vec!["甲".into(), "乙".into(), "丙".into(), "丁".into()],
            key: Key::Options {
                options: vec![right],
            },
            marks: 2,
            knowledge: vec![knowledge.into()],
            difficulty: Difficulty::Easy,
            topic: None,
            source: None,
            explanation: None,
        }
    }

    #[test]
    fn a_draft_must_fit_its_kind() {
        assert!(
            single("一次性告知的含义是？", 1, "一次性告知")
                .check()
                .is_ok()
        );
        let mut d = single("x", 4, "k");
        assert_eq!(d.check().map_err(|e| e.field), Err("key"));
        d.key = Key::Options {
            options: vec![0, 1],
        };
        assert!(d.check().is_err(), "a single choice with two answers");
        d.kind = Kind::Multiple;
        assert!(d.check().is_ok());
        d.key = Key::Options {
            options: vec![1, 0],
        };
        assert!(d.check().is_err(), "unsorted key");
        d.key = Key::Truth { truth: true };
        assert!(d.check().is_err(), "a truth key on a choice question");

        let fill = Draft {
            kind: Kind::FillIn,
            stem: "政务服务事项实行____清单管理，办理时限为（ ）个工作日".into(),
            options: vec![],
            key: Key::Blanks {
                blanks: vec![vec!["目录".into()], vec!["5".into(), "五".into()]],
            },
            marks: 4,
            knowledge: vec!["清单管理".into()],
            difficulty: Difficulty::Medium,
            topic: None,
            source: None,
            explanation: None,
        };
        assert_eq!(blanks_in(&fill.stem), 2);
        assert!(fill.check().is_ok());
        let mut one_short = fill.clone();
        one_short.key = Key::Blanks {
            blanks: vec![vec!["目录".into()]],
        };
        assert_eq!(
            one_short.check().map(|_| ()).map_err(|e| e.message),
            Err("题干中有2个空，答案给了1个".to_owned())
        );
        let mut no_point = fill;
        no_point.knowledge.clear();
        assert!(no_point.check().is_err());
    }

    #[test]
    fn sources_have_real_dates_in_order() {
        let mut d = single("x", 0, "k");
        d.source = Some(Source {
            title: "办法".into(),
            valid_from: Some("2026-02-30".into()),
            valid_to: None,
        });
        assert!(d.check().is_err());
        d.source = Some(Source {
            title: "办法".into(),
            valid_from: Some("2026-03-01".into()),
            valid_to: Some("2026-02-01".into()),
        });
        assert!(d.check().is_err());
        d.source = Some(Source {
            title: "办法".into(),
            valid_from: Some("2024-01-01".into()),
            valid_to: Some("2026-06-30".into()),
        });
        assert!(d.check().is_ok());
        assert!(!d.lapsed_on("2026-06-30"));
        assert!(d.lapsed_on("2026-07-01"));
        assert!(d.lapsed_on("2023-12-31"));
    }

    #[test]
    fn review_needs_a_second_person_and_an_edit_needs_review_again() -> Result<(), ReviewError> {
        let mut e = Entry::new(single("x", 0, "k"), "u-author", 1).map_err(ReviewError::Invalid)?;
        assert!(!e.usable_on("2026-12-01"));
        assert_eq!(e.approve("u-author", 2), Err(ReviewError::OwnQuestion));
        e.approve("u-reviewer", 3)?;
        assert!(e.usable_on("2026-12-01"));
        assert_eq!(
            e.approve("u-reviewer", 4),
            Err(ReviewError::NotPending(Status::Approved))
        );
        assert_eq!(e.edit(single("y", 1, "k"), "u-editor", 5)?, 2);
        assert_eq!(e.status, Status::Pending);
        assert!(!e.usable_on("2026-12-01"));
        e.reject("u-author", 6, "选项有歧义")?;
        assert_eq!(e.status, Status::Rejected);
        e.retire("u-reviewer", 7, "政策废止");
        assert_eq!(
            e.edit(single("z", 1, "k"), "u-editor", 8),
            Err(ReviewError::Retired)
        );
        assert_eq!(e.history.len(), 5);
        Ok(())
    }

    #[test]
    fn kinds_and_difficulties_parse_from_their_chinese_names() {
        assert_eq!(Kind::parse("单选题"), Some(Kind::Single));
        assert_eq!(Kind::parse("多选"), Some(Kind::Multiple));
        assert_eq!(Kind::parse("true_false"), Some(Kind::TrueFalse));
        assert_eq!(Kind::parse("填空题"), Some(Kind::FillIn));
        assert_eq!(Kind::parse("问答"), None);
        assert_eq!(Difficulty::parse(" 较难 "), Some(Difficulty::Hard));
        assert_eq!(Difficulty::parse("4"), None);
    }
}
