//! Training plans (培训计划): monthly, quarterly and annual plans, each
//! tagged with the topics the district trains on, and how far the classes
//! held under a plan have carried it.
//!
//! A plan promises a number of sessions and 课时 over its period and a set
//! of topics; the classes held under it (see [`crate::class`]) deliver
//! them. [`progress`] compares the two, so a trainer sees in the middle of
//! a quarter which topics have not been taught yet.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The topics the district's staff are trained on: the service system,
/// professional quality, integrity, image and etiquette, communication,
/// policy and law, ethics, fire safety, and the special topics
/// (psychological adjustment, emergencies, law, the business environment,
/// the national standard for comprehensive-window clerks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    System,
    Quality,
    Integrity,
    Etiquette,
    Communication,
    Policy,
    Ethics,
    Fire,
    Wellbeing,
    Emergency,
    Law,
    Business,
    Standard,
}

impl Topic {
    pub const ALL: [Topic; 13] = [
        Topic::System,
        Topic::Quality,
        Topic::Integrity,
        Topic::Etiquette,
        Topic::Communication,
        Topic::Policy,
        Topic::Ethics,
        Topic::Fire,
        Topic::Wellbeing,
        Topic::Emergency,
        Topic::Law,
        Topic::Business,
        Topic::Standard,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::System => "system",
            Topic::Quality => "quality",
            Topic::Integrity => "integrity",
            Topic::Etiquette => "etiquette",
            Topic::Communication => "communication",
            Topic::Policy => "policy",
            Topic::Ethics => "ethics",
            Topic::Fire => "fire",
            Topic::Wellbeing => "wellbeing",
            Topic::Emergency => "emergency",
            Topic::Law => "law",
            Topic::Business => "business",
            Topic::Standard => "standard",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Topic::System => "政务服务体系",
            Topic::Quality => "业务素质",
            Topic::Integrity => "廉政纪律",
            Topic::Etiquette => "形象礼仪",
            Topic::Communication => "沟通技巧",
            Topic::Policy => "政策法规",
            Topic::Ethics => "职业道德",
            Topic::Fire => "消防知识",
            Topic::Wellbeing => "心理调适",
            Topic::Emergency => "应急处置",
            Topic::Law => "法律知识",
            Topic::Business => "优化营商环境",
            Topic::Standard => "综合窗口国家标准",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        let s = s.trim();
        Topic::ALL
            .into_iter()
            .find(|t| t.as_str() == s || t.zh() == s)
    }
}

/// The topics' Chinese names, joined with 、.
pub fn topics_zh(topics: &[Topic]) -> String {
    topics.iter().map(|t| t.zh()).collect::<Vec<_>>().join("、")
}

/// A plan's period: a month, a quarter or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month { year: i32, month: u8 },
    Quarter { year: i32, quarter: u8 },
    Year { year: i32 },
}

/// What kind of plan a period makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cadence {
    Monthly,
    Quarterly,
    Annual,
}

impl Cadence {
    pub const ALL: [Cadence; 3] = [Cadence::Monthly, Cadence::Quarterly, Cadence::Annual];

    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::Annual => "annual",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Cadence::Monthly => "月度计划",
            Cadence::Quarterly => "季度计划",
            Cadence::Annual => "年度计划",
        }
    }
}

impl Period {
    /// Parses `2026-12`, `2026-Q4` or `2026`.
    pub fn parse(text: &str) -> Option<Period> {
        let t = text.trim();
        if !t.is_ascii() {
            return None;
        }
        let year = |s: &str| {
            (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<i32>().ok())
                .flatten()
                .filter(|y| (2000..=2099).contains(y))
        };
        match t.len() {
            4 => Some(Period::Year { year: year(t)? }),
            7 if t.as_bytes()[4] == b'-' && matches!(t.as_bytes()[5], b'Q' | b'q') => {
                let quarter = t[6..].parse::<u8>().ok().filter(|q| (1..=4).contains(q))?;
                Some(Period::Quarter {
                    year: year(&t[..4])?,
                    quarter,
                })
            }
            7 if t.as_bytes()[4] == b'-' => {
                let digits = t[5..].bytes().all(|b| b.is_ascii_digit());
                let month = digits
                    .then(|| t[5..].parse::<u8>().ok())
                    .flatten()
                    .filter(|m| (1..=12).contains(m))?;
                Some(Period::Month {
                    year: year(&t[..4])?,
                    month,
                })
            }
            _ => None,
        }
    }

    pub fn cadence(self) -> Cadence {
        match self {
            Period::Month { .. } => Cadence::Monthly,
            Period::Quarter { .. } => Cadence::Quarterly,
            Period::Year { .. } => Cadence::Annual,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            Period::Month { year, .. } | Period::Quarter { year, .. } | Period::Year { year } => {
                year
            }
        }
    }

    /// The first month and the number of months.
    fn span(self) -> (u8, u8) {
        match self {
            Period::Month { month, .. } => (month, 1),
            Period::Quarter { quarter, .. } => (quarter * 3 - 2, 3),
            Period::Year { .. } => (1, 12),
        }
    }

    /// Whether the month `YYYY-MM` lies in the period.
    pub fn contains_month(self, month: &str) -> bool {
        let Some(Period::Month { year, month }) = Period::parse(month) else {
            return false;
        };
        let (first, n) = self.span();
        year == self.year() && month >= first && month < first + n
    }

    /// The period's first instant, China Standard Time.
    pub fn start_ms(self) -> i64 {
        let (first, _) = self.span();
        month_start_ms(self.year(), first)
    }

    /// The first instant after the period.
    pub fn end_ms(self) -> i64 {
        let (first, n) = self.span();
        let next = u32::from(first) + u32::from(n);
        if next > 12 {
            month_start_ms(self.year() + 1, 1)
        } else {
            month_start_ms(self.year(), next as u8)
        }
    }

    /// `2026年12月`, `2026年第四季度`, `2026年度`.
    pub fn zh(self) -> String {
        match self {
            Period::Month { year, month } => format!("{year}年{month}月"),
            Period::Quarter { year, quarter } => {
                let q = ["一", "二", "三", "四"][usize::from(quarter.clamp(1, 4) - 1)];
                format!("{year}年第{q}季度")
            }
            Period::Year { year } => format!("{year}年度"),
        }
    }
}

fn month_start_ms(year: i32, month: u8) -> i64 {
    crate::exam::parse_instant(&format!("{year:04}-{month:02}-01T00:00")).unwrap_or(0)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Year { year } => write!(f, "{year:04}"),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Period::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("“{text}” is not a period (2026-12, 2026-Q4, 2026)"))
        })
    }
}

/// The most sessions a plan may promise (a year of two a week is ~100).
pub const MAX_SESSIONS: u32 = 300;

/// A plan as a trainer sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSetting {
    pub period: Period,
    pub title: String,
    pub topics: Vec<Topic>,
    /// Classes the plan promises.
    pub sessions: u32,
    /// 课时 the plan promises.
    pub hours: u32,
    /// The halls it trains (every hall when empty).
    #[serde(default)]
    pub halls: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

/// Why a plan cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    Title,
    NoTopics,
    RepeatedTopic(Topic),
    Sessions,
    Hours,
    Notes,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Title => f.write_str("计划名称须为1至100字"),
            PlanError::NoTopics => f.write_str("请至少选择一个培训内容"),
            PlanError::RepeatedTopic(t) => write!(f, "培训内容“{}”重复", t.zh()),
            PlanError::Sessions => write!(f, "计划场次须为1至{MAX_SESSIONS}"),
            PlanError::Hours => f.write_str("计划课时须不少于计划场次，且不超过2000"),
            PlanError::Notes => f.write_str("说明不超过2000字"),
        }
    }
}

impl PlanSetting {
    pub fn check(&self) -> Result<(), PlanError> {
        let title = self.title.trim().chars().count();
        if title == 0 || title > 100 {
            return Err(PlanError::Title);
        }
        if self.topics.is_empty() {
            return Err(PlanError::NoTopics);
        }
        let mut seen = BTreeSet::new();
        for t in &self.topics {
            if !seen.insert(*t) {
                return Err(PlanError::RepeatedTopic(*t));
            }
        }
        if self.sessions == 0 || self.sessions > MAX_SESSIONS {
            return Err(PlanError::Sessions);
        }
        if self.hours < self.sessions || self.hours > 2_000 {
            return Err(PlanError::Hours);
        }
        if self.notes.chars().count() > 2_000 {
            return Err(PlanError::Notes);
        }
        Ok(())
    }
}

/// A class held (or set) under a plan, as the plan's progress counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub topics: Vec<Topic>,
    pub hours: u32,
    pub starts_ms: i64,
    /// People on the class's roster.
    pub expected: u32,
    /// People who signed in.
    pub attended: u32,
}

/// How far a plan has come at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Classes that have started.
    pub held: u32,
    /// Classes set for later.
    pub scheduled: u32,
    pub hours_held: u32,
    /// Topics taught so far, in the plan's order.
    pub covered: Vec<Topic>,
    /// The plan's topics not taught yet (nor set).
    pub missing: Vec<Topic>,
    /// Attendance over the classes held (sign-ins ÷ roster places).
    pub attendance: Option<f64>,
    /// Held classes ÷ promised sessions, capped at 1.
    pub done: f64,
    /// Whether the period is over with sessions or topics still owed.
    pub behind: bool,
}

/// The plan's progress over its classes at `now`.
pub fn progress(plan: &PlanSetting, classes: &[Held], now: i64) -> Progress {
    let started: Vec<&Held> = classes.iter().filter(|c| c.starts_ms <= now).collect();
    let taught: BTreeSet<Topic> = started.iter().flat_map(|c| c.topics.clone()).collect();
    let set: BTreeSet<Topic> = classes.iter().flat_map(|c| c.topics.clone()).collect();
    let held = u32::try_from(started.len()).unwrap_or(u32::MAX);
    let expected: u64 = started.iter().map(|c| u64::from(c.expected)).sum();
    let attended: u64 = started.iter().map(|c| u64::from(c.attended)).sum();
    let missing: Vec<Topic> = plan
        .topics
        .iter()
        .copied()
        .filter(|t| !set.contains(t))
        .collect();
    let done = if plan.sessions == 0 {
        1.0
    } else {
        (f64::from(held) / f64::from(plan.sessions)).min(1.0)
    };
    Progress {
        held,
        scheduled: u32::try_from(classes.len() - started.len()).unwrap_or(u32::MAX),
        hours_held: started.iter().map(|c| c.hours).sum(),
        covered: plan
            .topics
            .iter()
            .copied()
            .filter(|t| taught.contains(t))
            .collect(),
        attendance: (expected > 0).then(|| attended as f64 / expected as f64),
        done,
        behind: now >= plan.period.end_ms()
            && (held < plan.sessions || plan.topics.iter().any(|t| !taught.contains(t))),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> PlanSetting {
        PlanSetting {
            period: Period::Quarter {
                year: 2026,
                quarter: 4,
            },
            title: "第四季度培训计划".into(),
            topics: vec![Topic::Etiquette, Topic::Fire, Topic::Policy],
            sessions: 4,
            hours: 8,
            halls: vec![],
            notes: String::new(),
        }
    }

    #[test]
    fn periods_parse_print_and_bound() {
        for text in ["2026-12", "2026-Q4", "2026"] {
            let p = Period::parse(text).unwrap();
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(Period::parse("2026-q1").unwrap().to_string(), "2026-Q1");
        for bad in [
            "2026-13",
            "2026-Q5",
            "26",
            "2026-1",
            "20x6",
            "2026-Q0",
            "",
            "ééé-Q1",
            "2026-é",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
        let q4 = Period::parse("2026-Q4").unwrap();
        assert_eq!(q4.zh(), "2026年第四季度");
        assert!(q4.contains_month("2026-10"));
        assert!(q4.contains_month("2026-12"));
        assert!(!q4.contains_month("2026-09"));
        assert!(!q4.contains_month("2027-10"));
        // 2026-10-01 00:00 and 2027-01-01 00:00 China Standard Time.
        assert_eq!(q4.start_ms(), 1_790_784_000_000);
        assert_eq!(q4.end_ms(), 1_798_732_800_000);
        let dec = Period::parse("2026-12").unwrap();
        assert_eq!(dec.end_ms(), q4.end_ms());
        assert_eq!(Period::parse("2026").unwrap().end_ms(), q4.end_ms());
        assert_eq!(Period::parse("2026").unwrap().zh(), "2026年度");
    }

    #[test]
    fn topics_read_both_ways() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
            assert_eq!(Topic::parse(t.zh()), Some(t));
        }
        assert_eq!(Topic::parse("烹饪"), None);
        assert_eq!(topics_zh(&[Topic::Fire, Topic::Law]), "消防知识、法律知识");
    }

    #[test]
    fn a_plan_is_checked() {
        assert_eq!(plan().check(), Ok(()));
        let mut p = plan();
        p.topics.clear();
        assert_eq!(p.check(), Err(PlanError::NoTopics));
        let mut p = plan();
        p.topics.push(Topic::Fire);
        assert_eq!(p.check(), Err(PlanError::RepeatedTopic(Topic::Fire)));
        let mut p = plan();
        p.sessions = 0;
        assert_eq!(p.check(), Err(PlanError::Sessions));
        let mut p = plan();
        p.hours = 3;
        assert_eq!(p.check(), Err(PlanError::Hours));
        let mut p = plan();
        p.title = "  ".into();
        assert_eq!(p.check(), Err(PlanError::Title));
    }

    #[test]
    fn progress_counts_held_classes_topics_and_attendance() {
        let p = plan();
        let oct = p.period.start_ms() + 10 * 86_400_000;
        let classes = [
            Held {
                topics: vec![Topic::Etiquette],
                hours: 2,
                starts_ms: oct,
                expected: 10,
                attended: 9,
            },
            Held {
                topics: vec![Topic::Policy, Topic::Law],
                hours: 3,
                starts_ms: oct + 20 * 86_400_000,
                expected: 10,
                attended: 6,
            },
            Held {
                topics: vec![Topic::Fire],
                hours: 2,
                starts_ms: oct + 60 * 86_400_000,
                expected: 10,
                attended: 0,
            },
        ];
        let now = oct + 30 * 86_400_000;
        let g = progress(&p, &classes, now);
        assert_eq!(g.held, 2);
        assert_eq!(g.scheduled, 1);
        assert_eq!(g.hours_held, 5);
        assert_eq!(g.covered, vec![Topic::Etiquette, Topic::Policy]);
        // Fire is set for later, so nothing is missing.
        assert!(g.missing.is_empty());
        assert_eq!(g.attendance, Some(0.75));
        assert!((g.done - 0.5).abs() < 1e-12);
        assert!(!g.behind);
        // After the quarter, with 3 of 4 sessions held: behind.
        let after = progress(&p, &classes, p.period.end_ms());
        assert_eq!(after.held, 3);
        assert!(after.behind);
        // With no classes at all, every topic is missing.
        let none = progress(&p, &[], now);
        assert_eq!(none.missing, p.topics);
        assert_eq!(none.attendance, None);
    }
}
