//! An exam (考试): what is set, to whom, when, and by which rules.
//!
//! An exam is checked whole when it is set ([`Setting::check`]): its
//! window, duration, thresholds and paper; its candidates are resolved
//! then from the directory (the roles and halls it names), so the people
//! expected to sit it — the denominator of 参考率 — are fixed with it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::marking::MultipleRule;
use crate::paper::{Shuffle, SlotInfo, Spec};
use crate::stats::Thresholds;

/// The longest exam, in minutes.
pub const MAX_MINUTES: u32 = 600;
/// The most candidates one exam may have.
pub const MAX_CANDIDATES: usize = 5_000;
/// The most resits an exam may allow.
pub const MAX_RESITS: u32 = 5;

/// What kind of exam it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExamKind {
    /// 周考.
    Weekly,
    /// 月考: the monthly exam the 月考月报 reports.
    Monthly,
    /// 专项考试: after a special-topic training.
    Special,
    /// 岗前考试: the end of pre-post training.
    PrePost,
    /// 招聘笔试: the written test of recruitment.
    Recruitment,
    /// 模拟练习: practice, left out of the figures.
    Practice,
}

impl ExamKind {
    pub const ALL: [ExamKind; 6] = [
        ExamKind::Weekly,
        ExamKind::Monthly,
        ExamKind::Special,
        ExamKind::PrePost,
        ExamKind::Recruitment,
        ExamKind::Practice,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            ExamKind::Weekly => "周考",
            ExamKind::Monthly => "月考",
            ExamKind::Special => "专项考试",
            ExamKind::PrePost => "岗前考试",
            ExamKind::Recruitment => "招聘笔试",
            ExamKind::Practice => "模拟练习",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ExamKind::Weekly => "Weekly exam",
            ExamKind::Monthly => "Monthly exam",
            ExamKind::Special => "Special-topic exam",
            ExamKind::PrePost => "Pre-post exam",
            ExamKind::Recruitment => "Recruitment written test",
            ExamKind::Practice => "Practice",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExamKind::Weekly => "weekly",
            ExamKind::Monthly => "monthly",
            ExamKind::Special => "special",
            ExamKind::PrePost => "pre_post",
            ExamKind::Recruitment => "recruitment",
            ExamKind::Practice => "practice",
        }
    }

    /// Whether the exam counts in the monthly figures.
    pub fn counts(self) -> bool {
        !matches!(self, ExamKind::Practice | ExamKind::Recruitment)
    }
}

/// One person expected to sit the exam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub user_id: String,
    pub name: String,
    /// The hall the person works in; none for district staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hall: Option<String>,
}

/// What a trainer sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub title: String,
    pub kind: ExamKind,
    /// The window, ms.
    pub opens_ms: i64,
    pub closes_ms: i64,
    /// Time allowed from starting, minutes.
    pub minutes: u32,
    pub paper: Spec,
    pub shuffle: Shuffle,
    #[serde(default)]
    pub rule: MultipleRule,
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Extra sittings allowed after a fail.
    #[serde(default)]
    pub resits: u32,
    /// Mastery below this share of a knowledge point's marks is a gap,
    /// percent (default 60).
    #[serde(default = "default_gap")]
    pub gap_percent: u32,
    /// Shown before the candidate starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

fn default_gap() -> u32 {
    60
}

/// Why an exam cannot be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError(pub String);

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Setting {
    /// Checks everything but the paper (which needs the pool).
    pub fn check(&self, now: i64) -> Result<(), SettingError> {
        let err = |m: &str| Err(SettingError(m.to_owned()));
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 100 {
            return err("考试名称须为1至100字");
        }
        if self.closes_ms <= self.opens_ms {
            return err("截止时间须晚于开始时间");
        }
        if self.closes_ms <= now {
            return err("截止时间已过");
        }
        if self.minutes == 0 || self.minutes > MAX_MINUTES {
            return err("考试时长须为1至600分钟");
        }
        if i64::from(self.minutes) * 60_000 > self.closes_ms - self.opens_ms {
            return err("考试时长超过了开放时段");
        }
        let t = self.thresholds;
        if !(1..=100).contains(&t.pass) || !(1..=100).contains(&t.excellent) {
            return err("合格线和优秀线须为1至100");
        }
        if t.excellent < t.pass {
            return err("优秀线不能低于合格线");
        }
        if self.resits > MAX_RESITS {
            return err("补考次数最多5次");
        }
        if !(1..=100).contains(&self.gap_percent) {
            return err("知识点掌握度标准须为1至100");
        }
        if self
            .notice
            .as_ref()
            .is_some_and(|n| n.chars().count() > 2_000)
        {
            return err("考试须知超过2000字");
        }
        Ok(())
    }
}

/// An exam as stored (without its pool, which is kept beside it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exam {
    #[serde(flatten)]
    pub setting: Setting,
    /// The paper's slots in canonical order.
    pub slots: Vec<SlotInfo>,
    pub candidates: Vec<Candidate>,
    pub created_by: String,
    pub created_ms: i64,
    /// Set once the window has closed and every sitting is marked:
    /// analysis done, gaps assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_ms: Option<i64>,
    /// Withdrawn before it opened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

/// Where an exam is at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Upcoming,
    Open,
    /// Window closed; marking or analysis still to do.
    Ended,
    Closed,
    Cancelled,
}

impl Phase {
    pub fn zh(self) -> &'static str {
        match self {
            Phase::Upcoming => "未开始",
            Phase::Open => "进行中",
            Phase::Ended => "已截止",
            Phase::Closed => "已出分析",
            Phase::Cancelled => "已取消",
        }
    }
}

impl Exam {
    pub fn phase(&self, now: i64) -> Phase {
        if self.cancelled {
            Phase::Cancelled
        } else if self.closed_ms.is_some() {
            Phase::Closed
        } else if now < self.setting.opens_ms {
            Phase::Upcoming
        } else if now < self.setting.closes_ms {
            Phase::Open
        } else {
            Phase::Ended
        }
    }

    pub fn candidate(&self, user_id: &str) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.user_id == user_id)
    }

    /// The paper's total marks.
    pub fn marks(&self) -> u32 {
        self.slots.iter().map(|s| s.marks).sum()
    }

    pub fn duration_ms(&self) -> i64 {
        i64::from(self.setting.minutes) * 60_000
    }
}

/// Why a candidate may not start a sitting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    NotCandidate,
    NotOpen(Phase),
    /// Passed already, or no resits left.
    NoMoreSittings {
        sat: u32,
        allowed: u32,
    },
    /// The last sitting is not yet marked.
    AwaitingMarks,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::NotCandidate => f.write_str("您不在本场考试的考生名单中"),
            StartError::NotOpen(p) => write!(f, "考试{}，不能作答", p.zh()),
            StartError::NoMoreSittings { sat, allowed } => {
                write!(
                    f,
                    "已参加{sat}次，本场考试最多{allowed}次（补考仅限未合格者）"
                )
            }
            StartError::AwaitingMarks => f.write_str("上次答卷尚在阅卷中，出分后方可补考"),
        }
    }
}

/// Whether a candidate may start sitting `next` (1 for the first), given
/// whether the previous sitting passed (`None`: not yet known).
pub fn may_start(
    exam: &Exam,
    user_id: &str,
    next: u32,
    previous_passed: Option<Option<bool>>,
    now: i64,
) -> Result<(), StartError> {
    if exam.candidate(user_id).is_none() {
        return Err(StartError::NotCandidate);
    }
    let phase = exam.phase(now);
    if phase != Phase::Open {
        return Err(StartError::NotOpen(phase));
    }
    let allowed = 1 + exam.setting.resits;
    match previous_passed {
        None => Ok(()),
        Some(None) => Err(StartError::AwaitingMarks),
        Some(Some(true)) => Err(StartError::NoMoreSittings {
            sat: next - 1,
            allowed: next - 1,
        }),
        Some(Some(false)) if next > allowed => Err(StartError::NoMoreSittings {
            sat: next - 1,
            allowed,
        }),
        Some(Some(false)) => Ok(()),
    }
}

/// Parses an instant from a form: `2026-12-10T09:00`, with optional
/// seconds and a `Z`/`±hh:mm` offset (none means China Standard Time), or
/// `2026-12-10 09:00`.
pub fn parse_instant(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, rest) = t.split_at_checked(10)?;
    if !crate::question::valid_date(date) {
        return None;
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    // Each part one or two digits (no sign: a negative minute once got
    // through and overflowed the arithmetic below).
    let part = |p: &str| -> Option<i64> {
        (!p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        let (c, o) = rest.split_at(rest.len() - 6);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let h = part(o.get(1..3)?)?;
        let m = part(o.get(4..6)?)?;
        if o.get(3..4) != Some(":") || h > 14 || m > 59 {
            return None;
        }
        (c, sign * (h * 60 + m))
    } else {
        (rest, 8 * 60)
    };
    let mut parts = clock.split(':');
    let h = part(parts.next()?)?;
    let mi = part(parts.next()?)?;
    let s = parts.next().map_or(Some(0), part)?;
    if parts.next().is_some() || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let y: i64 = date.get(0..4)?.parse().ok()?;
    let mo: u8 = date.get(5..7)?.parse().ok()?;
    let d: u8 = date.get(8..10)?.parse().ok()?;
    let day = days_from_civil(y, mo, d);
    Some(((day * 24 + h) * 60 + mi - offset_min) * 60_000 + s * 1_000)
}

fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paper::Fixed;

    const MIN: i64 = 60_000;

    fn exam() -> Exam {
        Exam {
            setting: Setting {
                title: "12月月考".into(),
                kind: ExamKind::Monthly,
                opens_ms: 100 * MIN,
                closes_ms: 200 * MIN,
                minutes: 30,
                paper: Spec::Fixed {
                    questions: vec![Fixed {
                        id: "q".into(),
                        marks: None,
                    }],
                },
                shuffle: Shuffle {
                    questions: true,
                    options: true,
                },
                rule: MultipleRule::default(),
                thresholds: Thresholds::default(),
                resits: 1,
                gap_percent: 60,
                notice: None,
            },
            slots: vec![SlotInfo { row: 0, marks: 100 }],
            candidates: vec![Candidate {
                user_id: "u1".into(),
                name: "张三".into(),
                hall: Some("bailou".into()),
            }],
            created_by: "t".into(),
            created_ms: 0,
            closed_ms: None,
            cancelled: false,
        }
    }

    #[test]
    fn settings_are_checked() {
        let e = exam();
        assert!(e.setting.check(0).is_ok());
        let mut s = e.setting.clone();
        s.minutes = 120;
        assert_eq!(
            s.check(0),
            Err(SettingError("考试时长超过了开放时段".into()))
        );
        let mut s = e.setting.clone();
        s.thresholds.excellent = 50;
        assert!(s.check(0).is_err());
        assert!(e.setting.check(300 * MIN).is_err(), "the window has passed");
    }

    #[test]
    fn sittings_are_allowed_by_window_and_resits() {
        let e = exam();
        let open = 150 * MIN;
        assert_eq!(
            may_start(&e, "u2", 1, None, open),
            Err(StartError::NotCandidate)
        );
        assert_eq!(
            may_start(&e, "u1", 1, None, 50 * MIN),
            Err(StartError::NotOpen(Phase::Upcoming))
        );
        assert_eq!(may_start(&e, "u1", 1, None, open), Ok(()));
        assert_eq!(
            may_start(&e, "u1", 2, Some(None), open),
            Err(StartError::AwaitingMarks)
        );
        assert_eq!(may_start(&e, "u1", 2, Some(Some(false)), open), Ok(()));
        assert_eq!(
            may_start(&e, "u1", 3, Some(Some(false)), open),
            Err(StartError::NoMoreSittings { sat: 2, allowed: 2 })
        );
        assert!(may_start(&e, "u1", 2, Some(Some(true)), open).is_err());
        assert_eq!(e.phase(250 * MIN), Phase::Ended);
    }

    #[test]
    fn instants_from_forms() {
        // 2026-12-10 09:00 in China is 01:00 UTC.
        let utc = parse_instant("2026-12-10T01:00:00Z");
        assert_eq!(parse_instant("2026-12-10T09:00"), utc);
        assert_eq!(parse_instant("2026-12-10T09:00:00+08:00"), utc);
        assert_eq!(parse_instant("2026-12-10 09:00"), utc);
        assert_eq!(utc, Some(1_796_864_400_000));
        assert_eq!(parse_instant("2026-12-10T24:00"), None);
        assert_eq!(parse_instant("2026-02-30T09:00"), None);
        assert_eq!(parse_instant("tomorrow"), None);
        // Found by the fuzzer: a signed, overlong minute overflowed.
        assert_eq!(parse_instant("2026-12-10T09:-0926666266660266026"), None);
        assert_eq!(parse_instant("2026-12-10T09:-5"), None);
        assert_eq!(parse_instant("2026-12-10T09:00+-9:00"), None);
        assert_eq!(parse_instant("2026-12-10T09:00+99:00"), None);
    }
}
