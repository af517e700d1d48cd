//! The stored documents, one collection each (declared in the manifest
//! with the fields the queries and aggregates use). Each wraps the pure
//! type with the flat fields the store indexes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calllist::Entry;
use crate::candidate::Candidate;
use crate::followup::Followup;
use crate::inspection::{Answer, Kind, Score};
use crate::planner::Visit;
use crate::problem::Problem;
use crate::survey::{self, Channel, Questionnaire};
use crate::template::{Method, Template};

pub const TEMPLATES: &str = "templates";
pub const PLANS: &str = "plans";
pub const INSPECTIONS: &str = "inspections";
pub const PROBLEMS: &str = "problems";
pub const CANDIDATES: &str = "candidates";
pub const FOLLOWUPS: &str = "followups";
pub const QUESTIONNAIRES: &str = "questionnaires";
pub const LINKS: &str = "survey_links";
pub const ANSWERS: &str = "answers";
pub const CALLS: &str = "calls";
pub const RATINGS: &str = "ratings";

/// A published template version (id: the version number).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateDoc {
    pub version: u64,
    pub published_ms: i64,
    pub published_by: String,
    #[serde(default)]
    pub note: String,
    pub template: Template,
}

/// A month's plan (id: the month, `2026-12`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanDoc {
    pub month: String,
    pub made_ms: i64,
    pub made_by: String,
    pub visits: Vec<Visit>,
}

/// Draft or signed off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionStatus {
    Draft,
    Signed,
}

/// An inspection (id: chosen by the inspector's device, so a resend after
/// a lost connection lands on the same document).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InspectionDoc {
    pub hall: String,
    pub month: String,
    pub month_index: i64,
    pub kind: Kind,
    /// The planned visit it carries out, if any.
    #[serde(default)]
    pub visit: Option<String>,
    pub methods: Vec<Method>,
    pub template_version: u64,
    pub inspector: String,
    pub inspector_name: String,
    pub started_ms: i64,
    pub saved_ms: i64,
    pub answers: BTreeMap<String, Answer>,
    pub status: InspectionStatus,
    #[serde(default)]
    pub signed_ms: Option<i64>,
    #[serde(default)]
    pub score: Option<Score>,
    /// The score in hundredths, for the aggregates (signed only).
    #[serde(default)]
    pub score_centi: Option<u64>,
    #[serde(default)]
    pub applicable: u32,
    #[serde(default)]
    pub problems: Vec<String>,
}

/// A problem with its indexed fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProblemDoc {
    #[serde(flatten)]
    pub problem: Problem,
    pub month_index: i64,
    pub source_kind: String,
    /// 1 when closed by the deadline (for the aggregates).
    pub closed_on_time: u8,
    /// 1 when recurrent (for the aggregates).
    pub recurrent_n: u8,
}

impl ProblemDoc {
    /// Wraps a problem, filling the indexed fields.
    pub fn new(problem: Problem, month_index: i64) -> ProblemDoc {
        let mut doc = ProblemDoc {
            source_kind: problem.source.key().to_owned(),
            problem,
            month_index,
            closed_on_time: 0,
            recurrent_n: 0,
        };
        doc.refresh();
        doc
    }

    /// Recomputes the indexed fields after a change.
    pub fn refresh(&mut self) {
        self.closed_on_time = u8::from(self.problem.closed_on_time());
        self.recurrent_n = u8::from(self.problem.recurrent);
    }
}

/// A camera candidate (id: `<agent>-<seq>` of the alert).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CandidateDoc {
    #[serde(flatten)]
    pub candidate: Candidate,
    pub month: String,
}

/// A 差评 follow-up (id: `<agent>-<seq>` of the alert) with its indexed
/// fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowupDoc {
    #[serde(flatten)]
    pub followup: Followup,
    pub month: String,
    /// 1 when real-name and counted (the denominator of the callback rate).
    pub real_name_n: u8,
    /// 1 when called back (the numerator).
    pub called_back_n: u8,
    /// 1 when verified by the deadline.
    pub verified_on_time: u8,
    /// 1 unless excluded on appeal.
    pub counts: u8,
}

impl FollowupDoc {
    /// Wraps a follow-up, filling the indexed fields.
    pub fn new(followup: Followup, month: String) -> FollowupDoc {
        let mut doc = FollowupDoc {
            followup,
            month,
            real_name_n: 0,
            called_back_n: 0,
            verified_on_time: 0,
            counts: 1,
        };
        doc.refresh();
        doc
    }

    /// Recomputes the indexed fields after a change.
    pub fn refresh(&mut self) {
        let f = &self.followup;
        self.counts = u8::from(f.counts());
        self.real_name_n = u8::from(f.real_name && f.counts());
        self.called_back_n = u8::from(f.called_back && f.counts());
        self.verified_on_time =
            u8::from(f.verified_ms.is_some_and(|v| v <= f.verify_due_ms) && f.counts());
    }
}

/// A published questionnaire version (id: the version number).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionnaireDoc {
    pub version: u64,
    pub published_ms: i64,
    pub published_by: String,
    #[serde(default)]
    pub note: String,
    pub questionnaire: Questionnaire,
}

/// A survey link of one hall and channel (id: its code, which the QR code
/// or the website link carries). Kept district-level, so an anonymous
/// caller's request can find it; a replaced link stays, inactive, so an old
/// poster says it is out of date instead of "not found".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkDoc {
    pub hall: String,
    pub channel: Channel,
    pub active: bool,
    pub created_ms: i64,
    pub created_by: String,
}

/// One survey answer, with the fields the figures group by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerDoc {
    pub hall: String,
    pub month: String,
    pub channel: Channel,
    /// The questionnaire version it answers.
    pub version: u64,
    pub at_ms: i64,
    /// The overall level, 1 to 5 (for the aggregates).
    pub overall: u8,
    pub answer: survey::Answer,
    /// The call-list entry, for a phone survey.
    #[serde(default)]
    pub call: Option<String>,
    /// The 差评 follow-up opened for a bad answer that left a number.
    #[serde(default)]
    pub followup: Option<String>,
}

impl AnswerDoc {
    /// Wraps a checked answer.
    pub fn new(
        hall: &str,
        channel: Channel,
        version: u64,
        at_ms: i64,
        answer: survey::Answer,
    ) -> AnswerDoc {
        AnswerDoc {
            hall: hall.to_owned(),
            month: crate::month::Month::of_ms(at_ms).to_string(),
            channel,
            version,
            at_ms,
            overall: answer.overall.into(),
            answer,
            call: None,
            followup: None,
        }
    }

    /// The number left, masked, for lists.
    pub fn masked_contact(&self) -> Option<String> {
        self.answer.contact.as_deref().map(survey::mask)
    }
}

/// A call-list entry (id: `<month>-<source>`).
pub type CallDoc = Entry;

/// One 好差评 rating from a hall's keypad or kiosk (id: the rating's own,
/// so a redelivered event is stored once), with the fields the month's and
/// the day's counts group by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RatingDoc {
    pub hall: String,
    pub month: String,
    /// `YYYY-MM-DD` in the district.
    pub day: String,
    /// 1 (非常不满意) to 5 (非常满意).
    pub score: u8,
    pub rated_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}
