//! The plugin's collections and the documents stored in them: the pure
//! types with the fields `manifest.toml` indexes beside them.

use serde::{Deserialize, Serialize};

use crate::attempt::Attempt;
use crate::class::{ClassKind, ClassSetting, Unit};
use crate::exam::{Candidate, Exam};
use crate::mastery::Points;
use crate::paper::Pooled;
use crate::plan::{Cadence, PlanSetting, Topic};
use crate::question::Entry;
use crate::spot::Check;

pub const QUESTIONS: &str = "questions";
pub const VERSIONS: &str = "question_versions";
pub const EXAMS: &str = "exams";
pub const POOLS: &str = "pools";
pub const ATTEMPTS: &str = "attempts";
pub const ANSWERS: &str = "answers";
pub const MASTERY: &str = "mastery";
pub const ASSIGNMENTS: &str = "assignments";
pub const MATERIALS: &str = "materials";
pub const PLANS: &str = "plans";
pub const CLASSES: &str = "classes";
pub const ATTENDANCE: &str = "attendance";
pub const SPOT_CHECKS: &str = "spot_checks";

/// A question of the bank (id: host-assigned).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuestionDoc {
    #[serde(flatten)]
    pub entry: Entry,
    /// The first knowledge point (indexed, for the bank's filter).
    pub point: String,
    pub updated_ms: i64,
}

impl QuestionDoc {
    pub fn new(entry: Entry, now: i64) -> QuestionDoc {
        QuestionDoc {
            point: entry.draft.knowledge.first().cloned().unwrap_or_default(),
            entry,
            updated_ms: now,
        }
    }
}

/// The version id of a question: `{id}.v{version}`.
pub fn version_id(id: &str, version: u32) -> String {
    format!("{id}.v{version}")
}

/// An exam (id: host-assigned); its pool is in [`POOLS`] under the same id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExamDoc {
    #[serde(flatten)]
    pub exam: Exam,
    /// `YYYY-MM` of the window's opening, hall time.
    pub month: String,
    /// Indexed copy of `closed_ms.is_some() || cancelled`.
    pub done: bool,
    /// What closing it found (the monthly report's line for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<crate::report::Outcome>,
}

impl ExamDoc {
    pub fn new(exam: Exam) -> ExamDoc {
        let month = month_of(exam.setting.opens_ms);
        let done = exam.closed_ms.is_some() || exam.cancelled;
        ExamDoc {
            exam,
            month,
            done,
            outcome: None,
        }
    }

    /// Refreshes the indexed copies after a change.
    pub fn touch(mut self) -> ExamDoc {
        self.done = self.exam.closed_ms.is_some() || self.exam.cancelled;
        self
    }
}

/// The frozen questions of an exam.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolDoc {
    pub questions: Vec<Pooled>,
}

/// A sitting (id: [`attempt_id`]); in the candidate's hall.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptDoc {
    #[serde(flatten)]
    pub attempt: Attempt,
    /// `YYYY-MM` of the exam (as the exam's `month`).
    pub month: String,
    /// Whether the exam counts in the monthly figures.
    pub counts: bool,
    /// Indexed copies: finished, and the score in hundredths of a percent.
    pub finished: bool,
    pub percent_centi: u32,
}

impl AttemptDoc {
    pub fn new(attempt: Attempt, month: String, counts: bool) -> AttemptDoc {
        AttemptDoc {
            attempt,
            month,
            counts,
            finished: false,
            percent_centi: 0,
        }
        .touch()
    }

    /// Refreshes the indexed copies after a change.
    pub fn touch(mut self) -> AttemptDoc {
        self.finished = self.attempt.state.is_finished();
        self.percent_centi = self
            .attempt
            .percent()
            .map_or(0, |p| (p * 100.0).round() as u32);
        self
    }
}

/// One answer of a sitting in progress (id: `{attempt}.{slot}`, in the
/// sitting's hall), kept on its own so that saving an answer writes a few
/// hundred bytes, not the sitting. The sitting holds its answers once it
/// is finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnswerDoc {
    pub attempt: String,
    pub slot: u16,
    pub response: crate::marking::Response,
    pub at_ms: i64,
}

/// `{exam}.{user}.{number}`.
pub fn attempt_id(exam: &str, user: &str, number: u32) -> String {
    format!("{exam}.{user}.{number}")
}

/// One person's mastery in one month (id: `{user}.{month}`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MasteryDoc {
    pub candidate: String,
    pub month: String,
    pub points: Points,
    /// The sittings already counted (so a re-marked sitting is not counted
    /// twice).
    #[serde(default)]
    pub sittings: Vec<String>,
}

/// What a follow-up is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentKind {
    /// From a knowledge gap found by an exam.
    Gap,
    /// 一对一培训, set by a trainer.
    OneToOne,
}

/// A follow-up training assignment (in the person's hall).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssignmentDoc {
    pub kind: AssignmentKind,
    pub candidate: String,
    pub name: String,
    pub knowledge: String,
    /// What it says to do.
    pub task: String,
    #[serde(default)]
    pub materials: Vec<MaterialRef>,
    /// The exam that found the gap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mastery: Option<f64>,
    /// `open`, `done` (the person studied it) or `resolved` (a later exam
    /// showed the point mastered).
    pub state: String,
    pub by: String,
    pub created_ms: i64,
    /// `YYYY-MM` of `created_ms` (the figures' period).
    pub month: String,
    pub due_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_ms: Option<i64>,
}

/// A material a gap links to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterialRef {
    pub id: String,
    pub title: String,
}

/// A learning material (学习资料): a file in the blob store or a link,
/// tagged with knowledge points.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MaterialDoc {
    pub title: String,
    pub knowledge: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub by: String,
    pub created_ms: i64,
}

/// `YYYY-MM` of an instant, hall time.
pub fn month_of(ms: i64) -> String {
    let (y, m, _) = bantong_hall_kit::time::local_date(ms);
    format!("{y:04}-{m:02}")
}

/// `YYYY-MM-DD` of an instant, hall time.
pub fn day_of(ms: i64) -> String {
    let (y, m, d) = bantong_hall_kit::time::local_date(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A training plan (district-wide).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanDoc {
    #[serde(flatten)]
    pub setting: PlanSetting,
    /// `monthly`, `quarterly` or `annual` (indexed).
    pub cadence: Cadence,
    /// The period's year (indexed).
    pub year: i32,
    /// The period's first instant (indexed, for the order of plans).
    pub starts_ms: i64,
    pub by: String,
    pub created_ms: i64,
}

impl PlanDoc {
    pub fn new(setting: PlanSetting, by: String, now: i64) -> PlanDoc {
        PlanDoc {
            cadence: setting.period.cadence(),
            year: setting.period.year(),
            starts_ms: setting.period.start_ms(),
            setting,
            by,
            created_ms: now,
        }
    }
}

/// A class (district-wide: it may train several halls) with its roster
/// and the code its QR code carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassDoc {
    #[serde(flatten)]
    pub setting: ClassSetting,
    /// The plan's id, or empty (indexed; `setting.plan` is the same).
    pub plan_id: String,
    pub code: String,
    pub roster: Vec<Candidate>,
    #[serde(default)]
    pub materials: Vec<MaterialRef>,
    pub by: String,
    pub created_ms: i64,
}

/// One person's attendance at one class (id `{class}.{user}`, in the
/// person's hall), with what the class taught copied in, so a person's
/// trainings and syllabus read from their own records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttendanceDoc {
    pub class: String,
    pub candidate: String,
    pub name: String,
    pub title: String,
    pub kind: ClassKind,
    #[serde(default)]
    pub topics: Vec<Topic>,
    #[serde(default)]
    pub units: Vec<Unit>,
    pub hours: u32,
    pub at_ms: i64,
    /// Minutes late (0 on time).
    pub late_minutes: u32,
    /// `qr` (signed in on a phone) or `trainer` (recorded by a trainer).
    pub how: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A spot check (in the checked person's hall).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpotDoc {
    #[serde(flatten)]
    pub check: Check,
    pub name: String,
    pub checker: String,
    pub checker_name: String,
    /// Whether every criterion passed (indexed).
    pub passed: bool,
}
