//! One rectification loop (整改闭环) for every problem, whatever found it
//! — a failed inspection item, a confirmed camera finding, a genuine 差评,
//! a survey complaint or a hotline complaint:
//!
//! ```text
//! 下发 issued ──签收 sign──▶ 整改中 rectifying ──整改报告 report──▶ 待复查 reported
//!                                 ▲                                   │
//!                                 └──────── 退回 return (reason) ◀─────┤
//!                                                                     └──复查通过 pass──▶ 已销号 closed
//! ```
//!
//! The hall (its managers) signs and reports: the report is the hall's
//! signed and stamped 自查整改报告, a scan (PDF or image) stored as a blob.
//! The district (inspectors, administrators) reviews: it passes the
//! report, which closes the problem (销号), or returns it with a reason.
//! A problem not closed by its deadline (working days on the district's
//! calendar) is escalated (督办) by the sweep, again every few working days
//! it stays open. Every step is kept in the problem's history.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::inspection::Evidence;

/// Where a problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A failed item of an inspection.
    Inspection { inspection: String, item: String },
    /// A camera or device alert a person confirmed.
    Camera { candidate: String, alert: String },
    /// A 差评 found genuine on verification.
    Rating { followup: String },
    /// A complaint in a satisfaction survey.
    Survey { answer: String },
    /// A complaint to the hotline (its work order).
    Hotline { order: String },
    /// Entered by the district by hand.
    Manual,
}

impl Source {
    /// The Chinese name of the source.
    pub fn zh(&self) -> &'static str {
        match self {
            Source::Inspection { .. } => "实地检查",
            Source::Camera { .. } => "视频巡查",
            Source::Rating { .. } => "差评核实",
            Source::Survey { .. } => "满意度调查",
            Source::Hotline { .. } => "热线投诉",
            Source::Manual => "专项督查",
        }
    }

    /// The source's kind as stored (`inspection`, `camera`, …).
    pub fn key(&self) -> &'static str {
        match self {
            Source::Inspection { .. } => "inspection",
            Source::Camera { .. } => "camera",
            Source::Rating { .. } => "rating",
            Source::Survey { .. } => "survey",
            Source::Hotline { .. } => "hotline",
            Source::Manual => "manual",
        }
    }
}

/// Where a problem is in its loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// 已下发: waiting for the hall to sign.
    Issued,
    /// 整改中: signed (or returned), the hall is rectifying.
    Rectifying,
    /// 待复查: the hall's report is in, waiting for the district.
    Reported,
    /// 已销号: passed on review.
    Closed,
}

impl State {
    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            State::Issued => "已下发",
            State::Rectifying => "整改中",
            State::Reported => "待复查",
            State::Closed => "已销号",
        }
    }

    /// Every state in loop order.
    pub const ALL: [State; 4] = [
        State::Issued,
        State::Rectifying,
        State::Reported,
        State::Closed,
    ];
}

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Someone acting for the hall (`halls` are the halls they act for).
    Hall { user: String, halls: Vec<String> },
    /// The district's inspectors and administrators.
    District { user: String },
    /// The schedule.
    System,
}

impl Actor {
    fn name(&self) -> &str {
        match self {
            Actor::Hall { user, .. } | Actor::District { user } => user,
            Actor::System => "system",
        }
    }
}

/// What someone does to a problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// 签收 (the hall).
    Sign,
    /// 提交整改报告 (the hall): the signed and stamped report.
    Report {
        report: Evidence,
        #[serde(default)]
        note: String,
    },
    /// 复查通过 → 销号 (the district).
    Pass {
        #[serde(default)]
        note: String,
    },
    /// 复查退回 (the district), with the reason.
    Return { reason: String },
}

/// A step in a problem's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// When.
    pub at_ms: i64,
    /// `issue`, `sign`, `report`, `pass`, `return` or `escalate`.
    pub action: String,
    /// Who (user id, or `system`).
    pub by: String,
    /// The state after the step.
    pub state: State,
    /// The reason, note or escalation text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The report scan, for `report`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Evidence>,
}

/// A problem on a hall's 问题清单.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The hall.
    pub hall: String,
    /// The month it was found (`2026-12`), the 问题清单 it is listed on.
    pub month: String,
    /// Its category (问题分类): the checklist category, or the source's
    /// name for problems not found by an item.
    pub category: String,
    /// The checklist item's code, when found by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// Short title.
    pub title: String,
    /// What was found.
    pub detail: String,
    /// Where it was found.
    pub source: Source,
    /// Evidence: photos, snapshots.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Where it is.
    pub state: State,
    /// When it was issued.
    pub issued_ms: i64,
    /// When it must be closed.
    pub due_ms: i64,
    /// When the hall signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_ms: Option<i64>,
    /// When the latest report came in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_ms: Option<i64>,
    /// When it was closed (销号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_ms: Option<i64>,
    /// How many times a report was returned.
    #[serde(default)]
    pub returns: u32,
    /// The escalation (督办) level: 0 none, 1 first, …
    #[serde(default)]
    pub escalation: u32,
    /// Found again: the same item failed in the same hall within the
    /// recurrence window (屡查屡犯).
    #[serde(default)]
    pub recurrent: bool,
    /// Every step (left out when empty: a list row's problem, whose
    /// history is taken apart).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Step>,
}

/// A refused step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemError {
    /// The step does not apply in this state.
    IllegalTransition { state: State, action: &'static str },
    /// The actor may not take this step.
    Forbidden { action: &'static str },
    /// A return without a reason, or too long a text.
    Invalid { message: &'static str },
    /// The report is not a PDF or an image.
    BadReport,
}

impl ProblemError {
    /// The HTTP status it maps to.
    pub fn status(&self) -> u16 {
        match self {
            ProblemError::IllegalTransition { .. } => 409,
            ProblemError::Forbidden { .. } => 403,
            ProblemError::Invalid { .. } | ProblemError::BadReport => 422,
        }
    }

    /// The message in Chinese, then English.
    pub fn message(&self) -> String {
        match self {
            ProblemError::IllegalTransition { state, action } => format!(
                "问题当前为“{}”，不能{} / the problem is {state:?}: {action} does not apply",
                state.zh(),
                action_zh(action)
            ),
            ProblemError::Forbidden { action } => {
                format!("无权{} / not allowed to {action}", action_zh(action))
            }
            ProblemError::Invalid { message } => (*message).to_owned(),
            ProblemError::BadReport => {
                "整改报告须为 PDF 或 JPEG/PNG 图片 / the report must be a PDF or a JPEG/PNG image"
                    .to_owned()
            }
        }
    }
}

impl fmt::Display for ProblemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ProblemError {}

fn action_zh(action: &str) -> &'static str {
    match action {
        "sign" => "签收",
        "report" => "提交整改报告",
        "pass" => "复查通过",
        "return" => "复查退回",
        "escalate" => "督办",
        _ => "操作",
    }
}

/// Media types a report may have.
pub const REPORT_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];
const MAX_TEXT: usize = 1000;

impl Problem {
    /// A new problem, issued at `now` with its deadline.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        hall: String,
        month: String,
        category: String,
        item: Option<String>,
        title: String,
        detail: String,
        source: Source,
        evidence: Vec<Evidence>,
        by: &str,
        now: i64,
        due_ms: i64,
    ) -> Problem {
        Problem {
            hall,
            month,
            category,
            item,
            title,
            detail,
            source,
            evidence,
            state: State::Issued,
            issued_ms: now,
            due_ms,
            signed_ms: None,
            reported_ms: None,
            closed_ms: None,
            returns: 0,
            escalation: 0,
            recurrent: false,
            history: vec![Step {
                at_ms: now,
                action: "issue".into(),
                by: by.to_owned(),
                state: State::Issued,
                note: String::new(),
                file: None,
            }],
        }
    }

    /// Whether it is open past its deadline at `now`.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.state != State::Closed && now > self.due_ms
    }

    /// Whether it was closed by its deadline.
    pub fn closed_on_time(&self) -> bool {
        self.closed_ms.is_some_and(|c| c <= self.due_ms)
    }

    /// Takes one step; nothing changes when it is refused.
    pub fn act(&mut self, actor: &Actor, action: Action, now: i64) -> Result<(), ProblemError> {
        let name = match &action {
            Action::Sign => "sign",
            Action::Report { .. } => "report",
            Action::Pass { .. } => "pass",
            Action::Return { .. } => "return",
        };
        let for_hall =
            matches!(actor, Actor::Hall { halls, .. } if halls.iter().any(|h| h == &self.hall));
        let for_district = matches!(actor, Actor::District { .. });
        let allowed = match name {
            "sign" | "report" => for_hall,
            _ => for_district,
        };
        if !allowed {
            return Err(ProblemError::Forbidden { action: name });
        }
        let from_ok = match name {
            "sign" => self.state == State::Issued,
            "report" => self.state == State::Rectifying,
            _ => self.state == State::Reported,
        };
        if !from_ok {
            return Err(ProblemError::IllegalTransition {
                state: self.state,
                action: name,
            });
        }
        let (to, note, file) = match action {
            Action::Sign => {
                self.signed_ms = Some(now);
                (State::Rectifying, String::new(), None)
            }
            Action::Report { report, note } => {
                let type_ok = report
                    .content_type
                    .as_deref()
                    .is_some_and(|t| REPORT_TYPES.contains(&t));
                let hash_ok = report.sha256.len() == 64
                    && report
                        .sha256
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
                if !type_ok || !hash_ok {
                    return Err(ProblemError::BadReport);
                }
                check_text(&note)?;
                self.reported_ms = Some(now);
                (State::Reported, note, Some(report))
            }
            Action::Pass { note } => {
                check_text(&note)?;
                self.closed_ms = Some(now);
                (State::Closed, note, None)
            }
            Action::Return { reason } => {
                if reason.trim().is_empty() {
                    return Err(ProblemError::Invalid {
                        message: "退回须说明理由 / a return needs a reason",
                    });
                }
                check_text(&reason)?;
                self.returns += 1;
                (State::Rectifying, reason, None)
            }
        };
        self.state = to;
        self.history.push(Step {
            at_ms: now,
            action: name.into(),
            by: actor.name().to_owned(),
            state: to,
            note,
            file,
        });
        Ok(())
    }

    /// The escalation level due at `now`: 0 until the deadline, then 1,
    /// and one more for every `every_working_days` working days overdue
    /// (`overdue_working_days` counted on the calendar by the caller).
    pub fn escalation_due(
        &self,
        now: i64,
        overdue_working_days: i64,
        every_working_days: i64,
    ) -> u32 {
        if !self.is_overdue(now) {
            return 0;
        }
        let every = every_working_days.max(1);
        let more = u32::try_from(overdue_working_days.max(0) / every).unwrap_or(u32::MAX);
        more.saturating_add(1).min(9)
    }

    /// Raises the escalation (督办) to `level`; returns whether it rose
    /// (so each level is announced once).
    pub fn escalate(&mut self, level: u32, now: i64) -> bool {
        if level <= self.escalation || self.state == State::Closed {
            return false;
        }
        self.escalation = level;
        self.history.push(Step {
            at_ms: now,
            action: "escalate".into(),
            by: Actor::System.name().to_owned(),
            state: self.state,
            note: format!("逾期未销号，第{level}次督办"),
            file: None,
        });
        true
    }
}

fn check_text(s: &str) -> Result<(), ProblemError> {
    if s.chars().count() > MAX_TEXT {
        return Err(ProblemError::Invalid {
            message: "说明不超过1000字 / at most 1,000 characters",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> Problem {
        Problem::issue(
            "bailou".into(),
            "2026-12".into(),
            "人员管理".into(),
            Some("1.6".into()),
            "按时在岗".into(),
            "3号窗口空岗".into(),
            Source::Inspection {
                inspection: "v1".into(),
                item: "1.6".into(),
            },
            Vec::new(),
            "inspector-1",
            1_000,
            10_000,
        )
    }

    fn hall() -> Actor {
        Actor::Hall {
            user: "manager".into(),
            halls: vec!["bailou".into()],
        }
    }

    fn district() -> Actor {
        Actor::District {
            user: "inspector-1".into(),
        }
    }

    fn report(t: &str) -> Action {
        Action::Report {
            report: Evidence {
                sha256: "b".repeat(64),
                content_type: Some(t.into()),
                taken_ms: None,
                place: None,
                lat: None,
                lon: None,
            },
            note: "已整改并加强考勤".into(),
        }
    }

    #[test]
    fn the_loop_from_issue_to_closing_with_one_return() {
        let mut p = problem();
        p.act(&hall(), Action::Sign, 2_000).unwrap();
        p.act(&hall(), report("application/pdf"), 3_000).unwrap();
        p.act(
            &district(),
            Action::Return {
                reason: "未盖章".into(),
            },
            4_000,
        )
        .unwrap();
        assert_eq!((p.state, p.returns), (State::Rectifying, 1));
        p.act(&hall(), report("image/jpeg"), 5_000).unwrap();
        p.act(
            &district(),
            Action::Pass {
                note: String::new(),
            },
            6_000,
        )
        .unwrap();
        assert_eq!(p.state, State::Closed);
        assert!(p.closed_on_time());
        let steps: Vec<&str> = p.history.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(
            steps,
            ["issue", "sign", "report", "return", "report", "pass"]
        );
        assert_eq!(p.history[3].note, "未盖章");
    }

    #[test]
    fn each_side_takes_only_its_own_steps() {
        let mut p = problem();
        let other = Actor::Hall {
            user: "x".into(),
            halls: vec!["dongjinzhuang".into()],
        };
        assert_eq!(
            p.act(&other, Action::Sign, 2_000),
            Err(ProblemError::Forbidden { action: "sign" })
        );
        assert_eq!(
            p.act(&district(), Action::Sign, 2_000),
            Err(ProblemError::Forbidden { action: "sign" })
        );
        assert_eq!(
            p.act(&hall(), report("application/pdf"), 2_000),
            Err(ProblemError::IllegalTransition {
                state: State::Issued,
                action: "report"
            })
        );
        p.act(&hall(), Action::Sign, 2_000).unwrap();
        assert_eq!(
            p.act(
                &hall(),
                Action::Pass {
                    note: String::new()
                },
                3_000
            ),
            Err(ProblemError::Forbidden { action: "pass" })
        );
        let before = p.clone();
        assert_eq!(
            p.act(&hall(), report("text/plain"), 3_000),
            Err(ProblemError::BadReport)
        );
        assert_eq!(p, before, "a refused step changes nothing");
        p.act(&hall(), report("image/png"), 3_000).unwrap();
        assert!(matches!(
            p.act(&district(), Action::Return { reason: " ".into() }, 4_000),
            Err(ProblemError::Invalid { .. })
        ));
    }

    #[test]
    fn overdue_problems_escalate_once_per_level() {
        let mut p = problem();
        assert_eq!(p.escalation_due(9_000, 0, 3), 0);
        assert_eq!(p.escalation_due(11_000, 0, 3), 1);
        assert!(p.escalate(1, 11_000));
        assert!(!p.escalate(1, 12_000), "announced once");
        assert_eq!(p.escalation_due(20_000, 3, 3), 2);
        assert!(p.escalate(2, 20_000));
        assert_eq!(
            p.history.last().map(|s| s.note.as_str()),
            Some("逾期未销号，第2次督办")
        );
        p.act(&hall(), Action::Sign, 21_000).unwrap();
        p.act(&hall(), report("application/pdf"), 22_000).unwrap();
        p.act(
            &district(),
            Action::Pass {
                note: String::new(),
            },
            23_000,
        )
        .unwrap();
        assert!(!p.closed_on_time());
        assert_eq!(
            p.escalation_due(30_000, 9, 3),
            0,
            "closed problems are not escalated"
        );
    }
}
