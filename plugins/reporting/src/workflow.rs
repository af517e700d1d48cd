//! A report's life: drafted (by the schedule on the 1st, or by hand) →
//! edited → submitted for review → reviewed by the district's office →
//! approved by a leader → issued to the leaders and the halls, who confirm
//! receipt. Review and approval may return it to the draft with a reason.
//! An issued report is frozen; a correction is a new version of the same
//! report that says what changed.
//!
//! Roles (the platform's names): `inspector` and `district-admin` edit and
//! submit; `district-admin` reviews and issues; `leader` approves. The
//! reviewer is never the person who submitted it (two pairs of eyes).

use serde::{Deserialize, Serialize};

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being written: paragraphs may change, figures may be re-read.
    Draft,
    /// Submitted; waiting for the district office's review.
    InReview,
    /// Reviewed; waiting for a leader's approval.
    Reviewed,
    /// Approved; waiting to be issued.
    Approved,
    /// Issued: frozen, with its files.
    Issued,
    /// Issued, then replaced by a corrected version.
    Superseded,
}

impl Status {
    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::InReview => "待审核",
            Status::Reviewed => "待审批",
            Status::Approved => "待印发",
            Status::Issued => "已印发",
            Status::Superseded => "已更正",
        }
    }
}

/// A step someone takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Submit,
    Review,
    Approve,
    /// Back to the draft, with the reason.
    Return {
        reason: String,
    },
    Issue,
}

/// What a caller may do, from its roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Powers {
    pub edit: bool,
    pub review: bool,
    pub approve: bool,
    pub issue: bool,
}

impl Powers {
    /// From the platform's role names (district-wide callers only).
    pub fn of(roles: &[String], district_wide: bool) -> Powers {
        if !district_wide {
            return Powers::default();
        }
        let has = |r: &str| roles.iter().any(|x| x == r);
        let admin = has("district-admin");
        Powers {
            edit: admin || has("inspector"),
            review: admin,
            approve: has("leader"),
            issue: admin,
        }
    }
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The step does not apply in this state (409).
    Illegal(String),
    /// The caller may not take it (403).
    NotAllowed(String),
    /// The input is wrong (422).
    Invalid(String),
}

impl Refusal {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::Illegal(_) => 409,
            Refusal::NotAllowed(_) => 403,
            Refusal::Invalid(_) => 422,
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Refusal::Illegal(m) | Refusal::NotAllowed(m) | Refusal::Invalid(m) => m,
        }
    }
}

/// Longest reason for a return, in characters.
pub const MAX_REASON: usize = 500;

/// The state after `action`, taken by `who` with `powers`, on a report in
/// `status` last submitted by `submitted_by`.
pub fn next(
    status: Status,
    action: &Action,
    powers: Powers,
    who: &str,
    submitted_by: Option<&str>,
) -> Result<Status, Refusal> {
    let illegal = |what: &str| {
        Err(Refusal::Illegal(format!(
            "{}的报告不能{what} / a report that is {status:?} cannot be {what}",
            status.zh()
        )))
    };
    let deny = |what: &str| {
        Err(Refusal::NotAllowed(format!(
            "无权{what} / not allowed to {what}"
        )))
    };
    match action {
        Action::Submit => match status {
            Status::Draft if powers.edit => Ok(Status::InReview),
            Status::Draft => deny("提交审核"),
            _ => illegal("提交审核"),
        },
        Action::Review => match status {
            Status::InReview if !powers.review => deny("审核"),
            Status::InReview if submitted_by == Some(who) => Err(Refusal::NotAllowed(
                "提交人不能审核自己提交的报告 / the person who submitted a report does not review it".into(),
            )),
            Status::InReview => Ok(Status::Reviewed),
            _ => illegal("审核"),
        },
        Action::Approve => match status {
            Status::Reviewed if powers.approve => Ok(Status::Approved),
            Status::Reviewed => deny("审批"),
            _ => illegal("审批"),
        },
        Action::Return { reason } => {
            let reason = reason.trim();
            if reason.is_empty() || reason.chars().count() > MAX_REASON {
                return Err(Refusal::Invalid(format!(
                    "退回须说明理由（1-{MAX_REASON} 字） / a return needs a reason of 1-{MAX_REASON} characters"
                )));
            }
            match status {
                Status::InReview if powers.review => Ok(Status::Draft),
                Status::Reviewed if powers.approve => Ok(Status::Draft),
                Status::InReview | Status::Reviewed => deny("退回"),
                _ => illegal("退回"),
            }
        }
        Action::Issue => match status {
            Status::Approved if powers.issue => Ok(Status::Issued),
            Status::Approved => deny("印发"),
            _ => illegal("印发"),
        },
    }
}

/// Whether the paragraphs and figures of a report in `status` may change.
pub fn editable(status: Status) -> bool {
    status == Status::Draft
}

#[cfg(test)]
mod tests {
    use super::*;

    fn powers(roles: &[&str]) -> Powers {
        Powers::of(
            &roles.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>(),
            true,
        )
    }

    #[test]
    fn a_report_goes_from_draft_to_issued_by_role() {
        let inspector = powers(&["inspector"]);
        let admin = powers(&["district-admin"]);
        let leader = powers(&["leader"]);
        let s = next(Status::Draft, &Action::Submit, inspector, "zhou", None).unwrap();
        assert_eq!(s, Status::InReview);
        assert_eq!(
            next(s, &Action::Review, leader, "li", Some("zhou"))
                .unwrap_err()
                .status(),
            403
        );
        let s = next(s, &Action::Review, admin, "wu", Some("zhou")).unwrap();
        assert_eq!(s, Status::Reviewed);
        assert_eq!(
            next(s, &Action::Approve, admin, "wu", None)
                .unwrap_err()
                .status(),
            403
        );
        let s = next(s, &Action::Approve, leader, "li", None).unwrap();
        assert_eq!(s, Status::Approved);
        assert_eq!(
            next(s, &Action::Issue, leader, "li", None)
                .unwrap_err()
                .status(),
            403
        );
        let s = next(s, &Action::Issue, admin, "wu", None).unwrap();
        assert_eq!(s, Status::Issued);
        for a in [
            Action::Submit,
            Action::Review,
            Action::Approve,
            Action::Issue,
        ] {
            assert_eq!(
                next(s, &a, admin, "wu", None).unwrap_err().status(),
                409,
                "{a:?}"
            );
        }
        assert!(!editable(s));
    }

    #[test]
    fn the_submitter_does_not_review_and_returns_need_a_reason() {
        let admin = powers(&["district-admin"]);
        assert_eq!(
            next(Status::InReview, &Action::Review, admin, "wu", Some("wu"))
                .unwrap_err()
                .status(),
            403
        );
        let back = |reason: &str| Action::Return {
            reason: reason.into(),
        };
        assert_eq!(
            next(Status::InReview, &back("  "), admin, "wu", None)
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(
            next(Status::InReview, &back("排名表有误"), admin, "wu", None),
            Ok(Status::Draft)
        );
        let leader = powers(&["leader"]);
        assert_eq!(
            next(Status::Reviewed, &back("补充热线分析"), leader, "li", None),
            Ok(Status::Draft)
        );
        assert_eq!(
            next(Status::Reviewed, &back("x"), admin, "wu", None)
                .unwrap_err()
                .status(),
            403
        );
        assert_eq!(
            next(Status::Approved, &back("x"), leader, "li", None)
                .unwrap_err()
                .status(),
            409
        );
    }

    #[test]
    fn halls_and_hall_wide_callers_have_no_powers() {
        assert_eq!(
            Powers::of(&["district-admin".to_owned()], false),
            Powers::default()
        );
        assert_eq!(powers(&["hall-manager"]), Powers::default());
    }
}
