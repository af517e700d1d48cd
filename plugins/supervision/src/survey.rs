//! 满意度调查: questionnaires rated on the five 好差评 levels, answers from
//! three channels (a QR code on site, a phone call, the government website),
//! and the satisfaction figures.
//!
//! A questionnaire is kept in numbered versions like a checklist: an answer
//! records the version it was given against, and a version never changes
//! once published. One rating question is the **overall** one (整体满意度):
//! the satisfaction rate and index are computed from it. The national
//! evaluation template for offline service (一级指标 整体满意度; 二级 服务效率
//! / 服务水平 / 服务态度) is the default, with 办事环境, 一次办成 and a free
//! text; reasons are offered with a bad overall level.
//!
//! Two figures, both printed with their rule:
//! - **满意率** = answers whose overall level is satisfied / valid answers,
//!   where "satisfied" is 非常满意 and 满意, and also 基本满意 unless the
//!   district configures otherwise (practice differs between places);
//! - **满意度指数** = Σ level points / answers, with 非常满意 100, 满意 80,
//!   基本满意 60, 不满意 40, 非常不满意 20.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::figures::Figure;

/// The five 好差评 levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Level {
    /// 非常不满意 (1).
    VeryUnsatisfied = 1,
    /// 不满意 (2).
    Unsatisfied = 2,
    /// 基本满意 (3).
    Basic = 3,
    /// 满意 (4).
    Satisfied = 4,
    /// 非常满意 (5).
    VerySatisfied = 5,
}

impl Level {
    /// Every level, best first (the order a form lists them in).
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::Basic,
        Level::Unsatisfied,
        Level::VeryUnsatisfied,
    ];

    /// The level of `1..=5`.
    pub fn of(n: u8) -> Option<Level> {
        Level::ALL.into_iter().find(|l| *l as u8 == n)
    }

    /// The level a grouped aggregate's key holds (a number 1-5).
    pub fn of_key(key: Option<&serde_json::Value>) -> Option<Level> {
        key.and_then(serde_json::Value::as_u64)
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Level::of)
    }

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::Basic => "基本满意",
            Level::Unsatisfied => "不满意",
            Level::VeryUnsatisfied => "非常不满意",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very satisfied",
            Level::Satisfied => "satisfied",
            Level::Basic => "fairly satisfied",
            Level::Unsatisfied => "unsatisfied",
            Level::VeryUnsatisfied => "very unsatisfied",
        }
    }

    /// Points for the satisfaction index: 100, 80, 60, 40, 20.
    pub fn points(self) -> u64 {
        u64::from(self as u8) * 20
    }

    /// A 差评 (不满意 or 非常不满意).
    pub fn is_bad(self) -> bool {
        self <= Level::Unsatisfied
    }

    /// Counts as satisfied for the 满意率.
    pub fn is_satisfied(self, basic_counts: bool) -> bool {
        self >= Level::Satisfied || (basic_counts && self == Level::Basic)
    }
}

impl From<Level> for u8 {
    fn from(l: Level) -> u8 {
        l as u8
    }
}

impl TryFrom<u8> for Level {
    type Error = String;

    fn try_from(n: u8) -> Result<Level, String> {
        Level::of(n).ok_or_else(|| format!("{n} is not a level from 1 to 5"))
    }
}

/// How a survey was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 现场扫码: the QR code in the hall, an anonymous form on a phone.
    OnSite,
    /// 电话调查: a surveyor calling from the sampled call list.
    Phone,
    /// 网上调查: the link on the government website.
    Online,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::OnSite, Channel::Phone, Channel::Online];

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Channel::OnSite => "现场扫码",
            Channel::Phone => "电话调查",
            Channel::Online => "网上调查",
        }
    }

    /// The stored key.
    pub fn key(self) -> &'static str {
        match self {
            Channel::OnSite => "on_site",
            Channel::Phone => "phone",
            Channel::Online => "online",
        }
    }
}

/// What a question asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Kind {
    /// One of the five levels; `reasons` are offered when a bad level is
    /// chosen (the national template shows reasons per level).
    Rating {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reasons: Vec<String>,
    },
    /// One option, or several when `multiple`.
    Choice {
        options: Vec<String>,
        #[serde(default)]
        multiple: bool,
    },
    /// Free text up to `max_chars` characters.
    Text {
        #[serde(default = "default_max_chars")]
        max_chars: u32,
    },
}

fn default_max_chars() -> u32 {
    500
}

fn yes() -> bool {
    true
}

/// One question. (Unknown fields are refused by [`Kind`], which takes
/// every field the question does not name: `deny_unknown_fields` does not
/// combine with `flatten`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Key within the questionnaire: lowercase letters, digits and `_`.
    pub id: String,
    /// The question as the citizen reads it.
    pub text: String,
    #[serde(flatten)]
    pub kind: Kind,
    /// Must be answered.
    #[serde(default = "yes")]
    pub required: bool,
}

/// A questionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// Title, e.g. 政务服务满意度调查.
    pub name: String,
    /// The opening words shown above the questions.
    #[serde(default)]
    pub intro: String,
    /// The id of the overall rating question (整体满意度).
    pub overall: String,
    /// The questions in order.
    pub questions: Vec<Question>,
}

/// Most questions in a questionnaire.
pub const MAX_QUESTIONS: usize = 30;
/// Most options (or reasons) of one question.
pub const MAX_OPTIONS: usize = 20;
/// Longest free text a question may allow.
pub const MAX_TEXT: u32 = 2_000;

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn text_fits(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max
}

fn options_problems(at: &str, what: &str, options: &[String], out: &mut Vec<String>) {
    if options.len() > MAX_OPTIONS {
        out.push(format!(
            "{at}: 最多 {MAX_OPTIONS} 个{what} / at most {MAX_OPTIONS} {what}"
        ));
    }
    let mut seen = BTreeSet::new();
    for o in options {
        if !text_fits(o, 60) {
            out.push(format!(
                "{at}: 选项不能为空且不超过 60 字 / an option must be 1 to 60 characters"
            ));
        } else if !seen.insert(o.as_str()) {
            out.push(format!("{at}: 选项“{o}”重复 / option {o:?} appears twice"));
        }
    }
}

impl Questionnaire {
    /// Every problem with it, in Chinese then English; empty when it can
    /// be published.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !text_fits(&self.name, 60) {
            out.push("name: 名称不能为空且不超过 60 字 / 1 to 60 characters".to_owned());
        }
        if self.intro.chars().count() > 500 {
            out.push("intro: 说明不超过 500 字 / at most 500 characters".to_owned());
        }
        if self.questions.is_empty() || self.questions.len() > MAX_QUESTIONS {
            out.push(format!(
                "questions: 应有 1 至 {MAX_QUESTIONS} 个问题 / 1 to {MAX_QUESTIONS} questions"
            ));
        }
        let mut ids = BTreeSet::new();
        for (i, q) in self.questions.iter().enumerate() {
            let at = format!("questions[{i}]");
            if !is_key(&q.id) {
                out.push(format!(
                    "{at}.id: 编号须为小写字母开头的字母、数字或下划线 / lowercase letters, digits and '_', a letter first"
                ));
            } else if !ids.insert(q.id.as_str()) {
                out.push(format!("{at}.id: 编号 {} 重复 / id appears twice", q.id));
            }
            if !text_fits(&q.text, 200) {
                out.push(format!(
                    "{at}.text: 题目不能为空且不超过 200 字 / 1 to 200 characters"
                ));
            }
            match &q.kind {
                Kind::Rating { reasons } => options_problems(&at, "原因", reasons, &mut out),
                Kind::Choice { options, .. } => {
                    if options.len() < 2 {
                        out.push(format!("{at}.options: 至少 2 个选项 / at least 2 options"));
                    }
                    options_problems(&at, "选项", options, &mut out);
                }
                Kind::Text { max_chars } => {
                    if *max_chars == 0 || *max_chars > MAX_TEXT {
                        out.push(format!(
                            "{at}.max_chars: 应为 1 至 {MAX_TEXT} / 1 to {MAX_TEXT}"
                        ));
                    }
                }
            }
        }
        match self.questions.iter().find(|q| q.id == self.overall) {
            Some(q) if matches!(q.kind, Kind::Rating { .. }) && q.required => {}
            Some(_) => out.push(
                "overall: 整体满意度题须为必答的评价题 / the overall question must be a required rating"
                    .to_owned(),
            ),
            None => out.push(format!(
                "overall: 没有编号为 {} 的问题 / no question has this id",
                self.overall
            )),
        }
        out
    }

    fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// The reasons offered with a bad overall level in the default.
pub const DEFAULT_REASONS: [&str; 6] = [
    "多次跑腿",
    "等候时间长",
    "工作人员态度不好",
    "办事指南不清楚",
    "材料要求不一致",
    "其他",
];

/// The default questionnaire: the national offline evaluation template
/// (整体满意度; 服务效率, 服务水平, 服务态度) with 办事环境, 一次办成 and a
/// suggestion.
pub fn default_questionnaire() -> Questionnaire {
    let rating = |id: &str, text: &str, reasons: &[&str], required: bool| Question {
        id: id.to_owned(),
        text: text.to_owned(),
        kind: Kind::Rating {
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
        },
        required,
    };
    Questionnaire {
        name: "政务服务满意度调查".to_owned(),
        intro: "感谢您到政务服务大厅办事。本问卷匿名填写，约需 1 分钟，您的意见将用于改进服务。"
            .to_owned(),
        overall: "overall".to_owned(),
        questions: vec![
            rating(
                "overall",
                "您对本次办事的整体满意度",
                &DEFAULT_REASONS,
                true,
            ),
            rating("efficiency", "服务效率（等候和办理时间）", &[], true),
            rating("competence", "服务水平（业务熟练、一次讲清）", &[], true),
            rating("attitude", "服务态度（热情、耐心、文明用语）", &[], true),
            rating(
                "environment",
                "办事环境（秩序、卫生、便民设施）",
                &[],
                false,
            ),
            Question {
                id: "once".to_owned(),
                text: "您的事项是否“一次办成”（不需再跑第二趟）".to_owned(),
                kind: Kind::Choice {
                    options: vec!["是".to_owned(), "否".to_owned(), "尚未办结".to_owned()],
                    multiple: false,
                },
                required: false,
            },
            Question {
                id: "suggestion".to_owned(),
                text: "意见和建议".to_owned(),
                kind: Kind::Text { max_chars: 500 },
                required: false,
            },
        ],
    }
}

/// An answer as sent by a form: question id → a level (number), an option
/// (string), options (array) or text; the reasons chosen with a bad
/// overall level; an optional phone number for a 回访.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub answers: BTreeMap<String, Value>,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub contact: Option<String>,
}

/// One checked answer to one question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Given {
    Level(Level),
    Choices(Vec<String>),
    Text(String),
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The overall level.
    pub overall: Level,
    /// Every question answered.
    pub answers: BTreeMap<String, Given>,
    /// Reasons chosen with a bad overall level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The phone number left for a 回访 (digits only), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// Why an answer was refused: every problem, Chinese then English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub Vec<String>);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

impl std::error::Error for Refused {}

/// A phone number as digits (`+86`, spaces and `-` removed), if it looks
/// like a Chinese mobile (11 digits from 1) or a landline with its area
/// code (10 to 12 digits from 0).
pub fn phone_digits(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.strip_prefix("+86").unwrap_or(t);
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return None;
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let mobile = digits.len() == 11 && digits.starts_with('1');
    let landline = (10..=12).contains(&digits.len()) && digits.starts_with('0');
    (mobile || landline).then_some(digits)
}

/// A number as a list shows it: the first three and last four digits
/// (`138****5678`); shorter numbers keep only their last two.
pub fn mask(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    if n >= 10 {
        let head: String = digits[..3].iter().collect();
        let tail: String = digits[n - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(n - 7))
    } else {
        let keep = n.min(2);
        let tail: String = digits[n - keep..].iter().collect();
        format!("{}{tail}", "*".repeat(n - keep))
    }
}

/// Checks a submission against the questionnaire it was given for.
pub fn check(q: &Questionnaire, s: &Submission) -> Result<Answer, Refused> {
    let mut problems = Vec::new();
    let mut answers = BTreeMap::new();
    for id in s.answers.keys() {
        if q.question(id).is_none() {
            problems.push(format!("{id}: 问卷中没有这个问题 / no such question"));
        }
    }
    for question in &q.questions {
        let id = question.id.as_str();
        let given = s.answers.get(id).filter(|v| !is_blank(v));
        let Some(value) = given else {
            if question.required {
                problems.push(format!("{id}: 请回答“{}” / required", question.text));
            }
            continue;
        };
        match given_of(&question.kind, value) {
            Ok(g) => {
                answers.insert(id.to_owned(), g);
            }
            Err(why) => problems.push(format!("{id}: {why}")),
        }
    }
    let overall = match answers.get(&q.overall) {
        Some(Given::Level(l)) => Some(*l),
        _ => None,
    };
    let mut reasons = Vec::new();
    if !s.reasons.is_empty() {
        let offered = match q.question(&q.overall).map(|x| &x.kind) {
            Some(Kind::Rating { reasons }) => reasons.as_slice(),
            _ => &[],
        };
        if !overall.is_some_and(Level::is_bad) {
            problems.push(
                "reasons: 只有选择不满意或非常不满意时才填写原因 / reasons go with a bad overall level"
                    .to_owned(),
            );
        }
        let mut seen = BTreeSet::new();
        for r in &s.reasons {
            if !offered.contains(r) {
                problems.push(format!(
                    "reasons: “{r}”不是可选原因 / not an offered reason"
                ));
            } else if seen.insert(r.as_str()) {
                reasons.push(r.clone());
            }
        }
    }
    let contact = match s
        .contact
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => match phone_digits(c) {
            Some(d) => Some(d),
            None => {
                problems.push(
                    "contact: 请填写手机号或带区号的固定电话 / a mobile or a landline with its area code"
                        .to_owned(),
                );
                None
            }
        },
    };
    match overall {
        Some(overall) if problems.is_empty() => Ok(Answer {
            overall,
            answers,
            reasons,
            contact,
        }),
        _ => Err(Refused(problems)),
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn given_of(kind: &Kind, value: &Value) -> Result<Given, String> {
    match kind {
        Kind::Rating { .. } => value
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Level::of)
            .map(Given::Level)
            .ok_or_else(|| {
                "请选择 1（非常不满意）至 5（非常满意） / a level from 1 to 5".to_owned()
            }),
        Kind::Choice { options, multiple } => {
            let chosen: Vec<String> = match value {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) if *multiple => a
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| "选项应为文字 / options are strings".to_owned())?,
                _ => return Err("请选择一个选项 / choose one option".to_owned()),
            };
            let mut unique: Vec<String> = Vec::new();
            for c in chosen {
                if !options.contains(&c) {
                    return Err(format!("“{c}”不是可选项 / not an option"));
                }
                if !unique.contains(&c) {
                    unique.push(c);
                }
            }
            Ok(Given::Choices(unique))
        }
        Kind::Text { max_chars } => {
            let text = value
                .as_str()
                .ok_or_else(|| "应为文字 / text expected".to_owned())?
                .trim();
            if text.chars().count() > *max_chars as usize {
                return Err(format!(
                    "不超过 {max_chars} 字 / at most {max_chars} characters"
                ));
            }
            Ok(Given::Text(text.to_owned()))
        }
    }
}

/// Answers per overall level, best first ([`Level::ALL`] order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally(pub [u64; 5]);

impl Tally {
    /// Adds `n` answers at `level`.
    pub fn add(&mut self, level: Level, n: u64) {
        self.0[5 - level as usize] += n;
    }

    /// Every answer counted.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Answers counted at `level`.
    pub fn at(&self, level: Level) -> u64 {
        self.0[5 - level as usize]
    }

    /// Adds another tally.
    pub fn merge(&mut self, other: &Tally) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// 满意率.
    pub fn satisfaction(&self, basic_counts: bool) -> Figure {
        let satisfied = Level::ALL
            .into_iter()
            .filter(|l| l.is_satisfied(basic_counts))
            .map(|l| self.at(l))
            .sum();
        Figure::ratio(
            satisfied,
            self.total(),
            if basic_counts {
                "满意率 = 整体评价为非常满意、满意或基本满意的答卷数 / 有效答卷数 satisfaction = answers rating overall very satisfied, satisfied or fairly satisfied / valid answers"
            } else {
                "满意率 = 整体评价为非常满意或满意的答卷数 / 有效答卷数（基本满意不计入） satisfaction = answers rating overall very satisfied or satisfied / valid answers (fairly satisfied not counted)"
            },
        )
    }

    /// 满意度指数.
    pub fn index(&self) -> Figure {
        let points: u64 = Level::ALL
            .into_iter()
            .map(|l| l.points() * self.at(l))
            .sum();
        Figure::mean_points(
            points * 100,
            self.total(),
            "满意度指数 = Σ 整体评价分值 / 有效答卷数（非常满意 100、满意 80、基本满意 60、不满意 40、非常不满意 20） satisfaction index = sum of level points / valid answers (100/80/60/40/20)",
        )
    }

    /// 差评 among the answers (不满意 and 非常不满意).
    pub fn bad(&self) -> u64 {
        self.at(Level::Unsatisfied) + self.at(Level::VeryUnsatisfied)
    }

    /// 好评率 of 好差评 ratings (a hall's keypads and kiosks), counting
    /// 基本满意 as the 满意率 does.
    pub fn good_rate(&self, basic_counts: bool) -> Figure {
        let good = Level::ALL
            .into_iter()
            .filter(|l| l.is_satisfied(basic_counts))
            .map(|l| self.at(l))
            .sum();
        Figure::ratio(
            good,
            self.total(),
            if basic_counts {
                "好评率 = 非常满意、满意和基本满意的评价数 / 评价总数 good-rating rate = very satisfied, satisfied and fairly satisfied ratings / ratings"
            } else {
                "好评率 = 非常满意和满意的评价数 / 评价总数（基本满意不计入） good-rating rate = very satisfied and satisfied ratings / ratings (fairly satisfied not counted)"
            },
        )
    }

    /// 差评率 of 好差评 ratings.
    pub fn bad_rate(&self) -> Figure {
        Figure::ratio(
            self.bad(),
            self.total(),
            "差评率 = 不满意和非常不满意的评价数 / 评价总数 bad-rating rate = dissatisfied and very dissatisfied ratings / ratings",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn submission(v: Value) -> Submission {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_default_is_publishable_and_rates_overall() {
        let q = default_questionnaire();
        assert_eq!(q.problems(), Vec::<String>::new());
        assert_eq!(q.overall, "overall");
        let mut bad = q.clone();
        bad.overall = "suggestion".into();
        bad.questions.push(bad.questions[1].clone());
        let problems = bad.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("questions[7].id: 编号 efficiency 重复"));
        assert!(problems[1].starts_with("overall: 整体满意度题须为必答的评价题"));
    }

    #[test]
    fn a_questionnaire_reads_back_what_it_writes_and_nothing_else() {
        let q = default_questionnaire();
        let text = serde_json::to_string(&q).unwrap();
        assert_eq!(serde_json::from_str::<Questionnaire>(&text).unwrap(), q);
        let odd = json!({ "name": "x", "overall": "a", "questions": [
            { "id": "a", "text": "整体", "kind": "rating", "colour": "red" } ] });
        assert!(serde_json::from_value::<Questionnaire>(odd).is_err());
        let unknown_kind = json!({ "name": "x", "overall": "a", "questions": [
            { "id": "a", "text": "整体", "kind": "slider" } ] });
        assert!(serde_json::from_value::<Questionnaire>(unknown_kind).is_err());
    }

    #[test]
    fn an_answer_is_checked_against_its_questionnaire() {
        let q = default_questionnaire();
        let ok = check(
            &q,
            &submission(json!({
                "answers": { "overall": 2, "efficiency": 3, "competence": 4, "attitude": 2,
                             "once": "否", "suggestion": "  窗口太少  " },
                "reasons": ["等候时间长", "等候时间长"],
                "contact": "+86 138-1234-5678",
            })),
        )
        .unwrap();
        assert_eq!(ok.overall, Level::Unsatisfied);
        assert_eq!(ok.reasons, ["等候时间长"]);
        assert_eq!(ok.contact.as_deref(), Some("13812345678"));
        assert_eq!(ok.answers["suggestion"], Given::Text("窗口太少".into()));
        assert!(
            !ok.answers.contains_key("environment"),
            "optional and blank"
        );

        let refused = check(
            &q,
            &submission(json!({
                "answers": { "overall": 6, "efficiency": 3, "attitude": "好",
                             "once": "也许", "colour": 1 },
                "reasons": ["其他"],
                "contact": "12345",
            })),
        )
        .unwrap_err();
        let text = refused.to_string();
        for needle in [
            "colour: 问卷中没有这个问题",
            "overall: 请选择 1（非常不满意）至 5（非常满意）",
            "competence: 请回答",
            "attitude: 请选择",
            "once: “也许”不是可选项",
            "reasons: 只有选择不满意或非常不满意时才填写原因",
            "contact: 请填写手机号",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
    }

    #[test]
    fn numbers_are_recognised_and_masked() {
        assert_eq!(phone_digits("0312-5551234").as_deref(), Some("03125551234"));
        assert_eq!(phone_digits("13812345678").as_deref(), Some("13812345678"));
        assert_eq!(phone_digits("23812345678"), None);
        assert_eq!(phone_digits("138123456789"), None);
        assert_eq!(phone_digits("138 1234 567x"), None);
        assert_eq!(mask("13812345678"), "138****5678");
        assert_eq!(mask("03125551234"), "031****1234");
        assert_eq!(mask("12345"), "***45");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn satisfaction_counts_basic_only_when_configured() {
        let mut t = Tally::default();
        t.add(Level::VerySatisfied, 6);
        t.add(Level::Satisfied, 2);
        t.add(Level::Basic, 1);
        t.add(Level::VeryUnsatisfied, 1);
        assert_eq!(t.total(), 10);
        assert_eq!(t.bad(), 1);
        let with = t.satisfaction(true);
        assert_eq!((with.numerator, with.denominator), (9, 10));
        let without = t.satisfaction(false);
        assert_eq!((without.numerator, without.denominator), (8, 10));
        assert!(without.definition.contains("基本满意不计入"));
        // (6×100 + 2×80 + 60 + 20) / 10 = 84.
        assert_eq!(t.index().value, Some(84.0));
        assert_eq!(Tally::default().satisfaction(true).value, None);
        assert_eq!(serde_json::to_value(Level::Basic).unwrap(), json!(3));
        assert!(serde_json::from_value::<Level>(json!(0)).is_err());
    }

    #[test]
    fn rating_rates_are_counts_over_all_ratings() {
        let mut t = Tally::default();
        t.add(Level::VerySatisfied, 6);
        t.add(Level::Satisfied, 2);
        t.add(Level::Basic, 1);
        t.add(Level::Unsatisfied, 1);
        let (good, bad) = (t.good_rate(false), t.bad_rate());
        assert_eq!((good.numerator, good.denominator), (8, 10));
        assert_eq!((bad.numerator, bad.denominator), (1, 10));
        assert_eq!(t.good_rate(true).numerator, 9);
        assert!(good.definition.starts_with("好评率"));
        assert_eq!(Tally::default().bad_rate().value, None);
    }
}
