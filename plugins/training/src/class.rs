//! Classes (培训班次): who teaches what, where and when, for which halls;
//! signing in on a phone by the class's QR code; and the pre-post
//! syllabus (岗前培训大纲) a new member of staff completes before taking a
//! window.
//!
//! Signing in is bounded by the clock: it opens [`EARLY_MS`] before the
//! class starts and closes when the class ends, and arriving more than
//! [`LATE_AFTER_MS`] after the start counts as late. The code in the QR
//! code only proves the person was shown it; the roster and the window do
//! the rest.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::plan::Topic;

/// Signing in opens this long before the class starts.
pub const EARLY_MS: i64 = 30 * 60_000;
/// Signing in this long after the start counts as late.
pub const LATE_AFTER_MS: i64 = 10 * 60_000;
/// The longest class (a training day).
pub const MAX_CLASS_MS: i64 = 12 * 3_600_000;

/// What a class is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassKind {
    /// 常规培训: the monthly, quarterly or annual plan's classes.
    Routine,
    /// 岗前培训: the pre-post syllabus for new staff.
    PrePost,
    /// 专题培训: special topics (psychological adjustment, emergencies …).
    Special,
    /// 行政办事员国家标准培训: towards the certification.
    Certification,
    /// 委办局业务培训: a department's teacher on its matters.
    Department,
}

impl ClassKind {
    pub const ALL: [ClassKind; 5] = [
        ClassKind::Routine,
        ClassKind::PrePost,
        ClassKind::Special,
        ClassKind::Certification,
        ClassKind::Department,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClassKind::Routine => "routine",
            ClassKind::PrePost => "pre-post",
            ClassKind::Special => "special",
            ClassKind::Certification => "certification",
            ClassKind::Department => "department",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            ClassKind::Routine => "常规培训",
            ClassKind::PrePost => "岗前培训",
            ClassKind::Special => "专题培训",
            ClassKind::Certification => "行政办事员国家标准培训",
            ClassKind::Department => "委办局业务培训",
        }
    }
}

/// The pre-post syllabus: what a new member of staff is taught before
/// taking a window, with the 课时 each part takes (40 in all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    Overview,
    Duties,
    Appraisal,
    Rules,
    Etiquette,
    Theory,
    Process,
    Operation,
    Handbook,
    Contract,
}

impl Unit {
    pub const ALL: [Unit; 10] = [
        Unit::Overview,
        Unit::Duties,
        Unit::Appraisal,
        Unit::Rules,
        Unit::Etiquette,
        Unit::Theory,
        Unit::Process,
        Unit::Operation,
        Unit::Handbook,
        Unit::Contract,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Overview => "overview",
            Unit::Duties => "duties",
            Unit::Appraisal => "appraisal",
            Unit::Rules => "rules",
            Unit::Etiquette => "etiquette",
            Unit::Theory => "theory",
            Unit::Process => "process",
            Unit::Operation => "operation",
            Unit::Handbook => "handbook",
            Unit::Contract => "contract",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Unit::Overview => "项目概况",
            Unit::Duties => "岗位职责",
            Unit::Appraisal => "绩效考核",
            Unit::Rules => "工作制度",
            Unit::Etiquette => "礼节礼仪",
            Unit::Theory => "业务理论",
            Unit::Process => "工作流程",
            Unit::Operation => "操作指南",
            Unit::Handbook => "员工手册",
            Unit::Contract => "劳动合同",
        }
    }

    /// The 课时 the syllabus gives the unit.
    pub fn hours(self) -> u32 {
        match self {
            Unit::Theory => 10,
            Unit::Process | Unit::Operation => 6,
            Unit::Rules | Unit::Etiquette => 4,
            Unit::Overview | Unit::Duties | Unit::Appraisal | Unit::Handbook | Unit::Contract => 2,
        }
    }
}

/// The syllabus's 课时 in all.
pub fn syllabus_hours() -> u32 {
    Unit::ALL.iter().map(|u| u.hours()).sum()
}

/// A class as a trainer sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSetting {
    pub title: String,
    pub kind: ClassKind,
    /// The plan it delivers, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default)]
    pub topics: Vec<Topic>,
    /// The syllabus units a pre-post class teaches.
    #[serde(default)]
    pub units: Vec<Unit>,
    /// Who teaches: a name, inside or outside the district.
    pub lecturer: String,
    pub place: String,
    pub starts_ms: i64,
    pub ends_ms: i64,
    /// 课时 credited to whoever attends.
    pub hours: u32,
    /// The halls whose staff attend (every hall when empty).
    #[serde(default)]
    pub halls: Vec<String>,
}

/// Why a class cannot be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassError {
    Title,
    Lecturer,
    Place,
    Times,
    TooLong,
    Hours,
    NoContent,
    UnitsOutsidePrePost,
    Repeated,
}

impl fmt::Display for ClassError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassError::Title => f.write_str("班次名称须为1至100字"),
            ClassError::Lecturer => f.write_str("授课人须为1至40字"),
            ClassError::Place => f.write_str("培训地点须为1至100字"),
            ClassError::Times => f.write_str("结束时间须晚于开始时间"),
            ClassError::TooLong => f.write_str("一个班次不超过12小时"),
            ClassError::Hours => f.write_str("课时须为1至16"),
            ClassError::NoContent => f.write_str("请选择培训内容（岗前培训请选择大纲单元）"),
            ClassError::UnitsOutsidePrePost => f.write_str("只有岗前培训按大纲单元授课"),
            ClassError::Repeated => f.write_str("培训内容或大纲单元重复"),
        }
    }
}

impl ClassSetting {
    pub fn check(&self) -> Result<(), ClassError> {
        let len = |s: &str| s.trim().chars().count();
        if !(1..=100).contains(&len(&self.title)) {
            return Err(ClassError::Title);
        }
        if !(1..=40).contains(&len(&self.lecturer)) {
            return Err(ClassError::Lecturer);
        }
        if !(1..=100).contains(&len(&self.place)) {
            return Err(ClassError::Place);
        }
        if self.ends_ms <= self.starts_ms {
            return Err(ClassError::Times);
        }
        if self.ends_ms - self.starts_ms > MAX_CLASS_MS {
            return Err(ClassError::TooLong);
        }
        if !(1..=16).contains(&self.hours) {
            return Err(ClassError::Hours);
        }
        if self.kind != ClassKind::PrePost && !self.units.is_empty() {
            return Err(ClassError::UnitsOutsidePrePost);
        }
        let content = if self.kind == ClassKind::PrePost {
            !self.units.is_empty()
        } else {
            !self.topics.is_empty()
        };
        if !content {
            return Err(ClassError::NoContent);
        }
        let topics: BTreeSet<_> = self.topics.iter().collect();
        let units: BTreeSet<_> = self.units.iter().collect();
        if topics.len() != self.topics.len() || units.len() != self.units.len() {
            return Err(ClassError::Repeated);
        }
        Ok(())
    }

    /// When signing in opens.
    pub fn sign_in_opens_ms(&self) -> i64 {
        self.starts_ms - EARLY_MS
    }
}

/// A sign-in that counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "arrival", rename_all = "kebab-case")]
pub enum Arrival {
    OnTime,
    Late { minutes: u32 },
}

/// Why a sign-in does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInError {
    NotYet { opens_ms: i64 },
    Over,
    WrongCode,
    NotOnRoster,
}

impl fmt::Display for SignInError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignInError::NotYet { .. } => f.write_str("签到尚未开始（开课前30分钟开放）"),
            SignInError::Over => f.write_str("培训已结束，签到已关闭"),
            SignInError::WrongCode => f.write_str("签到码不正确，请扫描现场的二维码"),
            SignInError::NotOnRoster => f.write_str("您不在本班次的培训名单中"),
        }
    }
}

/// Whether a sign-in with `code` at `now` counts, and how.
pub fn sign_in(
    class: &ClassSetting,
    expected_code: &str,
    code: &str,
    on_roster: bool,
    now: i64,
) -> Result<Arrival, SignInError> {
    if !on_roster {
        return Err(SignInError::NotOnRoster);
    }
    if !code_matches(expected_code, code) {
        return Err(SignInError::WrongCode);
    }
    if now < class.sign_in_opens_ms() {
        return Err(SignInError::NotYet {
            opens_ms: class.sign_in_opens_ms(),
        });
    }
    if now >= class.ends_ms {
        return Err(SignInError::Over);
    }
    Ok(arrival(class, now))
}

/// On time or how late, at `at`.
pub fn arrival(class: &ClassSetting, at: i64) -> Arrival {
    let late = at - class.starts_ms;
    if late > LATE_AFTER_MS {
        Arrival::Late {
            minutes: u32::try_from(late / 60_000).unwrap_or(u32::MAX),
        }
    } else {
        Arrival::OnTime
    }
}

/// Codes compare without regard to case or surrounding space, over every
/// byte (no early exit on the first difference).
pub fn code_matches(expected: &str, given: &str) -> bool {
    let a = expected.trim().as_bytes();
    let b = given.trim().as_bytes();
    if a.is_empty() || a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| {
        acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase())
    }) == 0
}

/// A person's way through the pre-post syllabus.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Syllabus {
    /// Units taught in a class the person attended.
    pub done: Vec<Unit>,
    /// Units still to attend.
    pub missing: Vec<Unit>,
    /// 课时 of the units done, by the syllabus.
    pub hours: u32,
    pub required: u32,
    pub complete: bool,
}

/// The syllabus over the units of each pre-post class a person attended.
pub fn syllabus<'a>(attended: impl IntoIterator<Item = &'a [Unit]>) -> Syllabus {
    let done: BTreeSet<Unit> = attended.into_iter().flatten().copied().collect();
    let missing: Vec<Unit> = Unit::ALL
        .into_iter()
        .filter(|u| !done.contains(u))
        .collect();
    Syllabus {
        hours: done.iter().map(|u| u.hours()).sum(),
        required: syllabus_hours(),
        complete: missing.is_empty(),
        done: done.into_iter().collect(),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn class() -> ClassSetting {
        ClassSetting {
            title: "消防安全与应急疏散".into(),
            kind: ClassKind::Special,
            plan: None,
            topics: vec![Topic::Fire, Topic::Emergency],
            units: vec![],
            lecturer: "区消防救援大队 王教官".into(),
            place: "区政务服务中心三楼会议室".into(),
            starts_ms: 1_000 * MIN,
            ends_ms: 1_120 * MIN,
            hours: 2,
            halls: vec![],
        }
    }

    #[test]
    fn a_class_is_checked() {
        assert_eq!(class().check(), Ok(()));
        let mut c = class();
        c.ends_ms = c.starts_ms;
        assert_eq!(c.check(), Err(ClassError::Times));
        let mut c = class();
        c.ends_ms = c.starts_ms + 13 * 60 * MIN;
        assert_eq!(c.check(), Err(ClassError::TooLong));
        let mut c = class();
        c.topics.clear();
        assert_eq!(c.check(), Err(ClassError::NoContent));
        let mut c = class();
        c.units = vec![Unit::Rules];
        assert_eq!(c.check(), Err(ClassError::UnitsOutsidePrePost));
        let mut c = class();
        c.kind = ClassKind::PrePost;
        c.topics.clear();
        assert_eq!(c.check(), Err(ClassError::NoContent));
        c.units = vec![Unit::Rules, Unit::Rules];
        assert_eq!(c.check(), Err(ClassError::Repeated));
        c.units = vec![Unit::Rules, Unit::Handbook];
        assert_eq!(c.check(), Ok(()));
        let mut c = class();
        c.hours = 0;
        assert_eq!(c.check(), Err(ClassError::Hours));
        let mut c = class();
        c.lecturer = " ".into();
        assert_eq!(c.check(), Err(ClassError::Lecturer));
    }

    #[test]
    fn signing_in_is_bounded_by_the_window_the_code_and_the_roster() {
        let c = class();
        let code = "7f3a9c21";
        assert_eq!(
            sign_in(&c, code, code, true, c.starts_ms - 31 * MIN),
            Err(SignInError::NotYet {
                opens_ms: c.starts_ms - 30 * MIN
            })
        );
        assert_eq!(
            sign_in(&c, code, code, true, c.starts_ms - 30 * MIN),
            Ok(Arrival::OnTime)
        );
        assert_eq!(
            sign_in(&c, code, " 7F3A9C21 ", true, c.starts_ms + 10 * MIN),
            Ok(Arrival::OnTime)
        );
        assert_eq!(
            sign_in(&c, code, code, true, c.starts_ms + 25 * MIN),
            Ok(Arrival::Late { minutes: 25 })
        );
        assert_eq!(
            sign_in(&c, code, code, true, c.ends_ms),
            Err(SignInError::Over)
        );
        assert_eq!(
            sign_in(&c, code, "7f3a9c22", true, c.starts_ms),
            Err(SignInError::WrongCode)
        );
        assert_eq!(
            sign_in(&c, code, code, false, c.starts_ms),
            Err(SignInError::NotOnRoster)
        );
        assert!(!code_matches("", ""));
        assert!(!code_matches("abc", "abcd"));
    }

    #[test]
    fn the_syllabus_is_forty_hours_and_fills_unit_by_unit() {
        assert_eq!(syllabus_hours(), 40);
        let day_one = [Unit::Overview, Unit::Duties, Unit::Rules];
        let day_two = [Unit::Rules, Unit::Theory];
        let s = syllabus([&day_one[..], &day_two[..]]);
        assert_eq!(
            s.done,
            vec![Unit::Overview, Unit::Duties, Unit::Rules, Unit::Theory]
        );
        assert_eq!(s.hours, 2 + 2 + 4 + 10);
        assert_eq!(s.missing.len(), 6);
        assert!(!s.complete);
        let all = syllabus([&Unit::ALL[..]]);
        assert!(all.complete);
        assert_eq!(all.hours, 40);
        let none = syllabus(std::iter::empty::<&[Unit]>());
        assert_eq!(none.hours, 0);
        assert_eq!(none.missing, Unit::ALL.to_vec());
    }
}
