//! 实操抽查: spot checks of real casework at the window, throughout the
//! year, and the recheck list — whoever failed a check is checked again,
//! with guidance, until they pass.
//!
//! A check scores one matter against a few criteria. A failed criterion
//! needs a note saying what was wrong, and a failed check needs the
//! guidance given. A recheck names the check it follows up; the chain of
//! failures is the person's rounds, so someone checked three times for the
//! same weakness stands out.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a spot check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Criterion {
    /// 材料初审: the application's materials checked right.
    Intake,
    /// 一次性告知: everything missing told at once.
    Notice,
    /// 系统操作: the case entered right in the systems.
    System,
    /// 流程规范: the process and its time limits followed.
    Process,
    /// 服务礼仪: manner, language, dress.
    Manner,
    /// 办结送达: the result handed over or sent as promised.
    Delivery,
}

impl Criterion {
    pub const ALL: [Criterion; 6] = [
        Criterion::Intake,
        Criterion::Notice,
        Criterion::System,
        Criterion::Process,
        Criterion::Manner,
        Criterion::Delivery,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Criterion::Intake => "intake",
            Criterion::Notice => "notice",
            Criterion::System => "system",
            Criterion::Process => "process",
            Criterion::Manner => "manner",
            Criterion::Delivery => "delivery",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Criterion::Intake => "材料初审",
            Criterion::Notice => "一次性告知",
            Criterion::System => "系统操作",
            Criterion::Process => "流程规范",
            Criterion::Manner => "服务礼仪",
            Criterion::Delivery => "办结送达",
        }
    }
}

/// One criterion's finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub criterion: Criterion,
    pub ok: bool,
    #[serde(default)]
    pub note: String,
}

/// A spot check as the checker records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The member of staff checked (user id).
    pub staff: String,
    /// The matter handled (事项名称 or case number).
    pub matter: String,
    pub findings: Vec<Finding>,
    /// The guidance given (专业性指导); required when a criterion failed.
    #[serde(default)]
    pub guidance: String,
    /// The check this one follows up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recheck_of: Option<String>,
    pub at_ms: i64,
}

/// Why a check cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    Matter,
    NoFindings,
    Repeated(Criterion),
    NoteMissing(Criterion),
    Note(Criterion),
    GuidanceMissing,
    Guidance,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Matter => f.write_str("抽查事项须为1至100字"),
            CheckError::NoFindings => f.write_str("请至少记录一项抽查内容"),
            CheckError::Repeated(c) => write!(f, "“{}”记录了两次", c.zh()),
            CheckError::NoteMissing(c) => write!(f, "“{}”不合格，请写明问题", c.zh()),
            CheckError::Note(c) => write!(f, "“{}”的说明不超过500字", c.zh()),
            CheckError::GuidanceMissing => f.write_str("有不合格项，请填写给出的指导意见"),
            CheckError::Guidance => f.write_str("指导意见不超过2000字"),
        }
    }
}

impl Check {
    pub fn check(&self) -> Result<(), CheckError> {
        if !(1..=100).contains(&self.matter.trim().chars().count()) {
            return Err(CheckError::Matter);
        }
        if self.findings.is_empty() {
            return Err(CheckError::NoFindings);
        }
        let mut seen = BTreeSet::new();
        for f in &self.findings {
            if !seen.insert(f.criterion) {
                return Err(CheckError::Repeated(f.criterion));
            }
            if f.note.chars().count() > 500 {
                return Err(CheckError::Note(f.criterion));
            }
            if !f.ok && f.note.trim().is_empty() {
                return Err(CheckError::NoteMissing(f.criterion));
            }
        }
        if self.guidance.chars().count() > 2_000 {
            return Err(CheckError::Guidance);
        }
        if !self.passed() && self.guidance.trim().is_empty() {
            return Err(CheckError::GuidanceMissing);
        }
        Ok(())
    }

    pub fn passed(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }

    /// The criteria that failed, in the criteria's order.
    pub fn failed(&self) -> Vec<Criterion> {
        let failed: BTreeSet<Criterion> = self
            .findings
            .iter()
            .filter(|f| !f.ok)
            .map(|f| f.criterion)
            .collect();
        failed.into_iter().collect()
    }
}

/// A failed check still waiting for its recheck.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Open {
    pub id: String,
    pub staff: String,
    pub failed: Vec<Criterion>,
    /// Failed checks in a row, this one included.
    pub rounds: u32,
    pub due_ms: i64,
    pub overdue: bool,
}

/// The recheck list at `now`: each failed check no later check follows up,
/// due `days` after it, oldest due first.
pub fn rechecks(checks: &[(String, Check)], days: u32, now: i64) -> Vec<Open> {
    let by_id: BTreeMap<&str, &Check> = checks.iter().map(|(id, c)| (id.as_str(), c)).collect();
    let followed: BTreeSet<&str> = checks
        .iter()
        .filter_map(|(_, c)| c.recheck_of.as_deref())
        .collect();
    let mut open: Vec<Open> = checks
        .iter()
        .filter(|(id, c)| !c.passed() && !followed.contains(id.as_str()))
        .map(|(id, c)| {
            let due_ms = c.at_ms + i64::from(days) * 86_400_000;
            Open {
                id: id.clone(),
                staff: c.staff.clone(),
                failed: c.failed(),
                rounds: rounds(&by_id, c),
                due_ms,
                overdue: now > due_ms,
            }
        })
        .collect();
    open.sort_by(|a, b| a.due_ms.cmp(&b.due_ms).then_with(|| a.id.cmp(&b.id)));
    open
}

/// Failed checks in a row ending at `last`, following `recheck_of` back
/// (bounded by the number of checks, so a cycle in stored data ends).
fn rounds(by_id: &BTreeMap<&str, &Check>, last: &Check) -> u32 {
    let mut n = 0;
    let mut at = Some(last);
    while let Some(c) = at {
        if c.passed() || n as usize > by_id.len() {
            break;
        }
        n += 1;
        at = c
            .recheck_of
            .as_deref()
            .and_then(|id| by_id.get(id).copied());
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn finding(criterion: Criterion, ok: bool) -> Finding {
        Finding {
            criterion,
            ok,
            note: if ok {
                String::new()
            } else {
                "缺少身份证复印件未一次性告知".into()
            },
        }
    }

    fn check(staff: &str, ok: bool, at_ms: i64, recheck_of: Option<&str>) -> Check {
        Check {
            staff: staff.into(),
            matter: "城乡居民养老保险参保登记".into(),
            findings: vec![
                finding(Criterion::Intake, true),
                finding(Criterion::Notice, ok),
            ],
            guidance: if ok {
                String::new()
            } else {
                "对照清单逐项核对材料，缺项当场书面告知".into()
            },
            recheck_of: recheck_of.map(str::to_owned),
            at_ms,
        }
    }

    #[test]
    fn a_check_is_checked() {
        assert_eq!(check("u1", true, 0, None).check(), Ok(()));
        assert_eq!(check("u1", false, 0, None).check(), Ok(()));
        let mut c = check("u1", false, 0, None);
        c.guidance.clear();
        assert_eq!(c.check(), Err(CheckError::GuidanceMissing));
        let mut c = check("u1", false, 0, None);
        c.findings[1].note = " ".into();
        assert_eq!(c.check(), Err(CheckError::NoteMissing(Criterion::Notice)));
        let mut c = check("u1", true, 0, None);
        c.findings.push(finding(Criterion::Intake, true));
        assert_eq!(c.check(), Err(CheckError::Repeated(Criterion::Intake)));
        let mut c = check("u1", true, 0, None);
        c.findings.clear();
        assert_eq!(c.check(), Err(CheckError::NoFindings));
        let mut c = check("u1", true, 0, None);
        c.matter = String::new();
        assert_eq!(c.check(), Err(CheckError::Matter));
        assert_eq!(
            check("u1", false, 0, None).failed(),
            vec![Criterion::Notice]
        );
    }

    #[test]
    fn failures_stay_on_the_list_until_a_recheck_and_rounds_count_up() {
        let checks = vec![
            ("a".to_owned(), check("u1", false, 0, None)),
            ("b".to_owned(), check("u1", false, 8 * DAY, Some("a"))),
            ("c".to_owned(), check("u2", false, 2 * DAY, None)),
            ("d".to_owned(), check("u2", true, 5 * DAY, Some("c"))),
            ("e".to_owned(), check("u3", true, DAY, None)),
        ];
        let list = rechecks(&checks, 7, 10 * DAY);
        // a was followed by b (failed again), c by d (passed), e passed.
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, "b");
        assert_eq!(list[0].staff, "u1");
        assert_eq!(list[0].rounds, 2);
        assert_eq!(list[0].due_ms, 15 * DAY);
        assert!(!list[0].overdue);
        assert!(rechecks(&checks, 7, 16 * DAY)[0].overdue);
        // Without the rechecks, a and c are open, a due first.
        let first = rechecks(&checks[..1], 7, 10 * DAY);
        assert_eq!(first[0].rounds, 1);
        assert!(first[0].overdue);
        let two = rechecks(&[checks[0].clone(), checks[2].clone()], 7, 0);
        assert_eq!(
            two.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
    }

    #[test]
    fn a_cycle_in_stored_data_ends() {
        let checks = vec![
            ("x".to_owned(), check("u1", false, 0, Some("y"))),
            ("y".to_owned(), check("u1", false, DAY, Some("x"))),
        ];
        // Both are followed, so neither is open; rounds() itself is bounded.
        assert!(rechecks(&checks, 7, 0).is_empty());
        let by_id: BTreeMap<&str, &Check> = checks.iter().map(|(id, c)| (id.as_str(), c)).collect();
        assert!(rounds(&by_id, &checks[0].1) <= 3);
    }
}
