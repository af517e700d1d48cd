//! Work orders (工单) of the 一号统领 hotline as a pure state machine: no
//! storage, no clock, no bindings. Time comes in as `now_ms` (ms since the
//! Unix epoch), deadlines are counted on a [`Calendar`], and the responsible
//! units come from a dispatch [`Catalogue`] (派单目录).
//!
//! # Lifecycle
//!
//! ```text
//! Received --dispatch--> Dispatched --sign--> Signed --start--> InProgress --reply--> Replied --close--> Closed
//!
//! Dispatched | Signed | InProgress --request_return--> Returned
//!     Returned --approve--> Received (to be dispatched again)
//!     Returned --reject---> the state it was requested from
//! Dispatched | Signed | InProgress --request_reassign--> (same state, approval pending)
//!     --approve--> Dispatched to the new unit, due date counted from the approval
//!     --reject---> (same state)
//! Replied | Closed --reopen--> Dispatched (same unit, new due date)
//! Received | Dispatched | Signed | InProgress --merge--> Merged (final)
//! ```
//!
//! Who may do what:
//!
//! | action | actor | from |
//! |---|---|---|
//! | create ([`Order::new`]) | agent | — |
//! | dispatch | agent | received |
//! | sign | the lead unit (主办) | dispatched |
//! | start | the lead unit | signed |
//! | reply | the lead unit | in progress |
//! | request_return | the lead unit | dispatched, signed, in progress |
//! | request_reassign | the lead unit or an agent | dispatched, signed, in progress |
//! | approve, reject | supervisor | a return or reassignment is pending |
//! | close | agent | replied |
//! | merge | agent | received, dispatched, signed, in progress |
//! | reopen (回访不满意) | agent or supervisor | replied, closed |
//!
//! Assisting units (协办) and admins act on nothing here: admins configure the
//! system and do not handle business (separation of duties, 等保 level 2).
//! While an approval is pending only approve and reject are accepted.
//!
//! [`apply`] either performs an action completely and appends one
//! [`Transition`] to the order's audit trail, or returns an [`OrderError`]
//! and leaves the order exactly as it was.
//!
//! # Deadlines and supervision (督办)
//!
//! On dispatch (and on an approved reassignment, and on reopening) the order
//! gets, from the catalogue entry of its category and the calendar:
//!
//! - `due_ms`: [`Calendar::deadline`] of the dispatch time and the entry's
//!   `time_limit_working_days` (counted from the first working day after the
//!   dispatch day, 12345 practice);
//! - `warn_ms`: [`Calendar::warning_at`] `warn_before_working_days` before
//!   the due date (not before the dispatch);
//! - `escalate_ms`: the end of the `escalate_after_working_days + 1`-th
//!   working day after the due date, i.e. the moment the order is overdue by
//!   more than `escalate_after_working_days` whole working days;
//! - `sign_due_ms`: `sign_within_hours` clock hours after the dispatch.
//!
//! [`supervise`] turns these into supervision levels 1 (warning), 2 (overdue)
//! and 3 (escalated); [`sign_overdue`] flags an order not signed in time.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::BTreeMap;
use std::fmt;

use bantong_hall_kit::time::local_time;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use bantong_hall_kit::calendar::Calendar;

/// Longest order title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest reply (答复) text, in characters.
pub const MAX_REPLY_CHARS: usize = 4_000;
/// Longest resolution (办结意见) text, in characters.
pub const MAX_RESOLUTION_CHARS: usize = 1_000;
/// Longest reason (return, reassignment, rejection, reopening), in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest order, unit, category or actor id, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Longest unit name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Largest time limit, warning lead and escalation threshold a catalogue
/// may set, in working days.
pub const MAX_CATALOGUE_WORKING_DAYS: u32 = 365;
/// Largest signing limit a catalogue may set, in hours (30 days).
pub const MAX_SIGN_HOURS: u32 = 720;
/// What units see instead of the caller's number on a confidential order.
pub const CONFIDENTIAL_MASK: &str = "保密";
/// The rule of 国办函〔2025〕66号 a department-level matter dispatched to a
/// hall breaks.
pub const DEPARTMENT_MATTER_RULE: &str =
    "matters belonging to departments are not pushed down to halls";

const HOUR_MS: i64 = 3_600_000;

// ---------------------------------------------------------------------------
// Units and the dispatch catalogue (派单目录)
// ---------------------------------------------------------------------------

/// What kind of body a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A functional department of the district (职能部门), e.g. 区住建局.
    Department,
    /// A township or street service hall (乡镇/街道便民服务中心).
    Hall,
}

/// A unit that work orders are dispatched to (承办单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Identifier: 1-64 of `a-z`, `0-9`, `-`, `_`.
    pub id: String,
    /// Display name, 1-64 characters.
    pub name: String,
    /// Department or hall.
    pub kind: UnitKind,
}

/// Whose matter a request category is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// A department's duty: its lead unit must be a department
    /// ([`DEPARTMENT_MATTER_RULE`]); halls may assist.
    Department,
    /// A hall's duty (乡镇(街道)履职事项).
    Hall,
}

/// One category of the dispatch catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogueEntry {
    /// What callers and agents see, e.g. `路灯不亮`; the key when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The lead unit (主办) orders of this category go to by default.
    pub lead: String,
    /// Assisting units (协办).
    #[serde(default)]
    pub assisting: Vec<String>,
    /// Whose matter it is.
    pub level: Level,
    /// Time limit in working days (0: the same working day), at most
    /// [`MAX_CATALOGUE_WORKING_DAYS`].
    pub time_limit_working_days: u32,
    /// The lead unit signs for (签收) an order within this many clock hours
    /// of the dispatch, 1 to [`MAX_SIGN_HOURS`].
    pub sign_within_hours: u32,
}

/// The dispatch catalogue (派单目录): units, and for each request category
/// who handles it and within what time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Every unit orders may go to.
    pub units: Vec<Unit>,
    /// Request category id (1-64 of `a-z`, `0-9`, `-`, `_`, `.`; e.g. a
    /// GB/T 39666 code) to its entry.
    pub entries: BTreeMap<String, CatalogueEntry>,
    /// Warn this many working days before the due date (default 1).
    #[serde(default = "default_warn")]
    pub warn_before_working_days: u32,
    /// Escalate (supervision level 3) when overdue by more than this many
    /// working days (default 3).
    #[serde(default = "default_escalate")]
    pub escalate_after_working_days: u32,
}

fn default_warn() -> u32 {
    1
}

fn default_escalate() -> u32 {
    3
}

/// Why a catalogue was refused; the message starts with the field, e.g.
/// `entries.housing.lead: unknown unit "x"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum CatalogueError {
    /// The JSON could not be read.
    Json {
        /// The parser's message.
        message: String,
    },
    /// A value is malformed or out of range.
    Invalid {
        /// Path of the field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A unit id that is not in `units`.
    UnknownUnit {
        /// Path of the field.
        field: String,
        /// The id given.
        unit: String,
    },
    /// A department-level category whose lead unit is a hall.
    DepartmentMatterToHall {
        /// Path of the field.
        field: String,
        /// The category.
        category: String,
        /// The hall.
        unit: String,
    },
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CatalogueError::Json { message } => write!(f, "invalid catalogue: {message}"),
            CatalogueError::Invalid { field, message } => write!(f, "{field}: {message}"),
            CatalogueError::UnknownUnit { field, unit } => {
                write!(f, "{field}: unknown unit {unit:?} (not in units)")
            }
            CatalogueError::DepartmentMatterToHall {
                field,
                category,
                unit,
            } => write!(
                f,
                "{field}: {category} is a department-level matter but {unit} is a hall; {DEPARTMENT_MATTER_RULE}"
            ),
        }
    }
}

impl std::error::Error for CatalogueError {}

fn valid_id(id: &str, extra: &[u8]) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'-'
                || b == b'_'
                || extra.contains(&b)
        })
}

impl Catalogue {
    /// Parses a JSON catalogue and validates it.
    pub fn from_json(json: &str) -> Result<Catalogue, CatalogueError> {
        let catalogue: Catalogue =
            serde_json::from_str(json).map_err(|e| CatalogueError::Json {
                message: e.to_string(),
            })?;
        catalogue.validate()?;
        Ok(catalogue)
    }

    /// Every problem of the catalogue, in field order (categories sorted).
    pub fn problems(&self) -> Vec<CatalogueError> {
        let mut errors = Vec::new();
        let invalid = |field: String, message: String| CatalogueError::Invalid { field, message };
        if self.units.is_empty() {
            errors.push(invalid(
                "units".into(),
                "at least one unit is required".into(),
            ));
        }
        for (i, unit) in self.units.iter().enumerate() {
            let at = format!("units[{i}]");
            if !valid_id(&unit.id, &[]) {
                errors.push(invalid(
                    format!("{at}.id"),
                    format!("{:?} must be 1-64 characters of a-z, 0-9, - and _", unit.id),
                ));
            } else if self.units.iter().take(i).any(|u| u.id == unit.id) {
                errors.push(invalid(
                    format!("{at}.id"),
                    format!("duplicate unit {}", unit.id),
                ));
            }
            let n = unit.name.chars().count();
            if !(1..=MAX_NAME_CHARS).contains(&n)
                || unit.name.chars().any(char::is_control)
                || unit.name.trim().is_empty()
            {
                errors.push(invalid(
                    format!("{at}.name"),
                    "must be 1-64 characters without control characters".into(),
                ));
            }
        }
        if self.entries.is_empty() {
            errors.push(invalid(
                "entries".into(),
                "at least one category is required".into(),
            ));
        }
        for (category, entry) in &self.entries {
            let at = format!("entries.{category}");
            if !valid_id(category, b".") {
                errors.push(invalid(
                    at.clone(),
                    format!(
                        "category id {category:?} must be 1-64 characters of a-z, 0-9, -, _ and ."
                    ),
                ));
            }
            match self.unit(&entry.lead) {
                None => errors.push(CatalogueError::UnknownUnit {
                    field: format!("{at}.lead"),
                    unit: entry.lead.clone(),
                }),
                Some(unit) if entry.level == Level::Department && unit.kind == UnitKind::Hall => {
                    errors.push(CatalogueError::DepartmentMatterToHall {
                        field: format!("{at}.lead"),
                        category: category.clone(),
                        unit: unit.id.clone(),
                    });
                }
                Some(_) => {}
            }
            for (j, unit) in entry.assisting.iter().enumerate() {
                let field = format!("{at}.assisting[{j}]");
                if self.unit(unit).is_none() {
                    errors.push(CatalogueError::UnknownUnit {
                        field,
                        unit: unit.clone(),
                    });
                } else if *unit == entry.lead {
                    errors.push(invalid(field, format!("{unit} is already the lead unit")));
                } else if entry.assisting.iter().take(j).any(|u| u == unit) {
                    errors.push(invalid(field, format!("duplicate assisting unit {unit}")));
                }
            }
            if entry.time_limit_working_days > MAX_CATALOGUE_WORKING_DAYS {
                errors.push(invalid(
                    format!("{at}.time_limit_working_days"),
                    format!(
                        "{} is more than {MAX_CATALOGUE_WORKING_DAYS} working days",
                        entry.time_limit_working_days
                    ),
                ));
            }
            if !(1..=MAX_SIGN_HOURS).contains(&entry.sign_within_hours) {
                errors.push(invalid(
                    format!("{at}.sign_within_hours"),
                    format!(
                        "{} is not 1-{MAX_SIGN_HOURS} hours",
                        entry.sign_within_hours
                    ),
                ));
            }
        }
        for (field, value) in [
            ("warn_before_working_days", self.warn_before_working_days),
            (
                "escalate_after_working_days",
                self.escalate_after_working_days,
            ),
        ] {
            if value > MAX_CATALOGUE_WORKING_DAYS {
                errors.push(invalid(
                    field.into(),
                    format!("{value} is more than {MAX_CATALOGUE_WORKING_DAYS} working days"),
                ));
            }
        }
        errors
    }

    /// Checks the catalogue: the first of [`Catalogue::problems`].
    pub fn validate(&self) -> Result<(), CatalogueError> {
        match self.problems().into_iter().next() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// A unit by id.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// The entry of a request category.
    pub fn entry(&self, category: &str) -> Option<&CatalogueEntry> {
        self.entries.get(category)
    }

    /// `name (id)` of a unit, or the id alone when unknown.
    fn label(&self, id: &str) -> String {
        match self.unit(id) {
            Some(u) => format!("{} ({})", u.name, u.id),
            None => id.to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------
// Actors, states, actions
// ---------------------------------------------------------------------------

/// The role an actor acts in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A hotline agent (话务员): takes calls, dispatches, closes, merges.
    Agent,
    /// Staff of a unit (承办单位), by unit id.
    Unit(String),
    /// A supervisor (督办/审核): approves returns and reassignments.
    Supervisor,
    /// A system administrator: configures, does not handle orders.
    Admin,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Agent => f.write_str("agent"),
            Role::Unit(unit) => write!(f, "unit {unit}"),
            Role::Supervisor => f.write_str("supervisor"),
            Role::Admin => f.write_str("admin"),
        }
    }
}

/// Who acts: a user id and the role acted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User id (1-64 characters, no whitespace).
    pub id: String,
    /// The role.
    pub role: Role,
}

/// Where a work order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Taken by the hotline (已受理), not yet dispatched; also after an
    /// approved return.
    Received,
    /// Dispatched to the lead unit (已派单), not yet signed for.
    Dispatched,
    /// Signed for by the lead unit (已签收).
    Signed,
    /// Being handled (办理中).
    InProgress,
    /// The unit replied (已答复); awaiting the callback.
    Replied,
    /// Closed after the callback (已办结); only reopening changes it.
    Closed,
    /// The lead unit asked to give it back (退单); awaiting approval.
    Returned,
    /// A duplicate merged into another order (已并单); final.
    Merged,
}

impl State {
    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            State::Received => "已受理",
            State::Dispatched => "已派单",
            State::Signed => "已签收",
            State::InProgress => "办理中",
            State::Replied => "已答复",
            State::Closed => "已办结",
            State::Returned => "退单待审",
            State::Merged => "已并单",
        }
    }

    fn name_en(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Dispatched => "dispatched",
            State::Signed => "signed",
            State::InProgress => "in progress",
            State::Replied => "replied",
            State::Closed => "closed",
            State::Returned => "returned",
            State::Merged => "merged",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name_en(), self.name_zh())
    }
}

/// Something done to a work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Dispatch (派单) to `to`, or to the catalogue's lead unit.
    Dispatch {
        /// The lead unit, overriding the catalogue.
        #[serde(default)]
        to: Option<String>,
    },
    /// The lead unit signs for the order (签收).
    Sign,
    /// The lead unit starts handling it.
    Start,
    /// The lead unit replies (答复).
    Reply {
        /// The reply, 1-4000 characters.
        text: String,
    },
    /// An agent closes the order after the reply and callback (办结).
    Close {
        /// The resolution / callback result, 1-1000 characters.
        resolution: String,
    },
    /// The lead unit asks to give the order back (退单).
    RequestReturn {
        /// Why, 1-500 characters.
        reason: String,
    },
    /// The lead unit or an agent asks to move it to another unit (改派).
    RequestReassign {
        /// The proposed lead unit.
        to: String,
        /// Why, 1-500 characters.
        reason: String,
    },
    /// A supervisor approves the pending return or reassignment.
    Approve,
    /// A supervisor rejects the pending return or reassignment.
    Reject {
        /// Why, 1-500 characters.
        reason: String,
    },
    /// An agent merges this duplicate into another order (并单).
    Merge {
        /// The order it duplicates.
        into: String,
    },
    /// An agent or supervisor reopens a replied or closed order after a
    /// dissatisfied callback (回访不满意, 重办).
    Reopen {
        /// Why, 1-500 characters.
        reason: String,
    },
}

/// The kind of an [`Action`], without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// [`Action::Dispatch`].
    Dispatch,
    /// [`Action::Sign`].
    Sign,
    /// [`Action::Start`].
    Start,
    /// [`Action::Reply`].
    Reply,
    /// [`Action::Close`].
    Close,
    /// [`Action::RequestReturn`].
    RequestReturn,
    /// [`Action::RequestReassign`].
    RequestReassign,
    /// [`Action::Approve`].
    Approve,
    /// [`Action::Reject`].
    Reject,
    /// [`Action::Merge`].
    Merge,
    /// [`Action::Reopen`].
    Reopen,
}

impl ActionKind {
    /// The states the action may start from; [`ActionKind::Approve`] and
    /// [`ActionKind::Reject`] instead need a pending approval.
    pub fn allowed_from(self) -> &'static [State] {
        const HANDLING: &[State] = &[State::Dispatched, State::Signed, State::InProgress];
        match self {
            ActionKind::Dispatch => &[State::Received],
            ActionKind::Sign => &[State::Dispatched],
            ActionKind::Start => &[State::Signed],
            ActionKind::Reply => &[State::InProgress],
            ActionKind::Close => &[State::Replied],
            ActionKind::RequestReturn | ActionKind::RequestReassign => HANDLING,
            ActionKind::Approve | ActionKind::Reject => &[],
            ActionKind::Merge => &[
                State::Received,
                State::Dispatched,
                State::Signed,
                State::InProgress,
            ],
            ActionKind::Reopen => &[State::Replied, State::Closed],
        }
    }

    fn name(self) -> &'static str {
        match self {
            ActionKind::Dispatch => "dispatch",
            ActionKind::Sign => "sign",
            ActionKind::Start => "start",
            ActionKind::Reply => "reply",
            ActionKind::Close => "close",
            ActionKind::RequestReturn => "request_return",
            ActionKind::RequestReassign => "request_reassign",
            ActionKind::Approve => "approve",
            ActionKind::Reject => "reject",
            ActionKind::Merge => "merge",
            ActionKind::Reopen => "reopen",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Action {
    /// The kind of the action.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::Sign => ActionKind::Sign,
            Action::Start => ActionKind::Start,
            Action::Reply { .. } => ActionKind::Reply,
            Action::Close { .. } => ActionKind::Close,
            Action::RequestReturn { .. } => ActionKind::RequestReturn,
            Action::RequestReassign { .. } => ActionKind::RequestReassign,
            Action::Approve => ActionKind::Approve,
            Action::Reject { .. } => ActionKind::Reject,
            Action::Merge { .. } => ActionKind::Merge,
            Action::Reopen { .. } => ActionKind::Reopen,
        }
    }
}

/// What is waiting for a supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ApprovalRequest {
    /// A return (退单): approved, the order goes back to Received.
    Return,
    /// A reassignment (改派): approved, the order is dispatched to `to`.
    Reassign {
        /// The proposed lead unit.
        to: String,
    },
}

impl ApprovalRequest {
    fn name(&self) -> &'static str {
        match self {
            ApprovalRequest::Return => "return",
            ApprovalRequest::Reassign { .. } => "reassignment",
        }
    }
}

/// A pending request for a supervisor's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// What is asked.
    pub request: ApprovalRequest,
    /// Who asked.
    pub requested_by: Actor,
    /// When.
    pub requested_ms: i64,
    /// Why.
    pub reason: String,
    /// The state to go back to on rejection.
    pub resume: State,
}

/// One entry of an order's audit trail: every successful [`apply`] adds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// When.
    pub at_ms: i64,
    /// Who.
    pub actor: Actor,
    /// State before.
    pub from: State,
    /// State after (equal to `from` for a reassignment request or a
    /// rejected reassignment).
    pub to: State,
    /// What was done.
    pub action: ActionKind,
    /// A one-line description, e.g. `dispatched to 百楼镇便民服务中心 (hall-bailou); due 2025-10-10 17:30`.
    pub summary: String,
    /// The text that came with the action: reply, resolution or reason.
    pub note: Option<String>,
}

// ---------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------

/// What an agent enters to create an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    /// Order id (1-64 characters, no whitespace), given by the caller of
    /// this module (e.g. the store's sequence).
    pub id: String,
    /// Request category: a key of the catalogue.
    pub category: String,
    /// Title, 1-200 characters on one line.
    pub title: String,
    /// The caller's number as given (see [`classify_phone`]).
    pub caller_number: String,
    /// The caller asked for confidentiality (GB/T 33358): units do not see
    /// the number.
    #[serde(default)]
    pub confidential: bool,
}

/// A work order (工单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Order id.
    pub id: String,
    /// Request category (a catalogue key).
    pub category: String,
    /// Title.
    pub title: String,
    /// The caller's number, exactly as given.
    pub caller_number: String,
    /// Hide the caller from units ([`view_for`]).
    pub confidential: bool,
    /// Current state.
    pub state: State,
    /// The agent who created the order.
    pub received_by: String,
    /// The lead unit (主办), once dispatched.
    pub lead: Option<String>,
    /// Assisting units (协办).
    pub assisting: Vec<String>,
    /// When the order was created.
    pub received_ms: i64,
    /// The current dispatch (or reassignment, or reopening).
    pub dispatched_ms: Option<i64>,
    /// When the lead unit signed for the current dispatch.
    pub signed_ms: Option<i64>,
    /// Sign for the current dispatch by then.
    pub sign_due_ms: Option<i64>,
    /// Reply by then.
    pub due_ms: Option<i64>,
    /// Supervision level 1 (warning) from then.
    pub warn_ms: Option<i64>,
    /// Supervision level 3 (escalation) from then.
    pub escalate_ms: Option<i64>,
    /// When the unit replied.
    pub replied_ms: Option<i64>,
    /// The reply.
    pub reply: Option<String>,
    /// When the order was closed.
    pub closed_ms: Option<i64>,
    /// The resolution given on closing.
    pub resolution: Option<String>,
    /// The order this one was merged into.
    pub merged_into: Option<String>,
    /// A return or reassignment awaiting a supervisor.
    pub pending: Option<Approval>,
    /// The audit trail, oldest first.
    pub history: Vec<Transition>,
}

/// Why an operation on an order was refused; the order is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum OrderError {
    /// The action is not possible in the order's state.
    IllegalTransition {
        /// The order's state.
        from: State,
        /// The action tried.
        action: ActionKind,
    },
    /// The actor's role may not do this.
    Forbidden {
        /// The action tried.
        action: ActionKind,
        /// Who may.
        reason: String,
    },
    /// Only hotline agents create work orders.
    CreateForbidden {
        /// The role that tried.
        role: Role,
    },
    /// A return or reassignment awaits a supervisor; only approve and reject
    /// are possible.
    ApprovalPending {
        /// The action tried.
        action: ActionKind,
        /// `return` or `reassignment`.
        request: String,
    },
    /// The category is not in the catalogue.
    UnknownCategory {
        /// The category.
        category: String,
    },
    /// The unit is not in the catalogue.
    UnknownUnit {
        /// The unit id.
        unit: String,
    },
    /// A department-level category sent to a hall ([`DEPARTMENT_MATTER_RULE`]).
    DepartmentMatterToHall {
        /// The category.
        category: String,
        /// The hall.
        unit: String,
    },
    /// The caller's number is malformed.
    InvalidPhone {
        /// The number given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A text or id is empty, too long or malformed.
    InvalidInput {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// `now_ms` is earlier than the order's last recorded event.
    ClockWentBack {
        /// The time given.
        now_ms: i64,
        /// The last recorded event.
        last_ms: i64,
    },
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::IllegalTransition { from, action } => {
                let allowed = action.allowed_from();
                if allowed.is_empty() {
                    write!(
                        f,
                        "cannot {action} a work order that is {from}: no return or reassignment awaits approval"
                    )
                } else {
                    let list: Vec<String> = allowed.iter().map(State::to_string).collect();
                    write!(
                        f,
                        "cannot {action} a work order that is {from}: {action} needs {}",
                        list.join(" or ")
                    )
                }
            }
            OrderError::Forbidden { action, reason } => {
                write!(f, "not allowed to {action}: {reason}")
            }
            OrderError::CreateForbidden { role } => {
                write!(f, "only hotline agents create work orders, not {role}")
            }
            OrderError::ApprovalPending { action, request } => write!(
                f,
                "cannot {action}: a {request} awaits a supervisor's approval (approve or reject it first)"
            ),
            OrderError::UnknownCategory { category } => {
                write!(
                    f,
                    "unknown request category {category:?} (not in the catalogue)"
                )
            }
            OrderError::UnknownUnit { unit } => {
                write!(f, "unknown unit {unit:?} (not in the catalogue)")
            }
            OrderError::DepartmentMatterToHall { category, unit } => write!(
                f,
                "{category} is a department-level matter and {unit} is a hall: {DEPARTMENT_MATTER_RULE}"
            ),
            OrderError::InvalidPhone { value, reason } => {
                write!(f, "caller_number: {value:?} {reason}")
            }
            OrderError::InvalidInput { field, message } => write!(f, "{field}: {message}"),
            OrderError::ClockWentBack { now_ms, last_ms } => write!(
                f,
                "time {} is before the order's last event at {}",
                local_time(*now_ms),
                local_time(*last_ms)
            ),
        }
    }
}

impl std::error::Error for OrderError {}

// ---------------------------------------------------------------------------
// Input validation
// ---------------------------------------------------------------------------

/// The kind of a caller number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// Mainland mobile: `1[3-9]` and nine more digits.
    Mobile,
    /// Landline with area code: `0` and 2-3 digits, an optional `-`, 7-8
    /// digits (`0312-5012345`, `031250123456`).
    Landline,
    /// A short service number of 3-6 digits (`12345`, `110`, `95598`).
    Short,
}

/// Classifies a caller number, exactly as given (no trimming, no `+86`).
pub fn classify_phone(number: &str) -> Result<PhoneKind, OrderError> {
    let refuse = |reason: &str| {
        Err(OrderError::InvalidPhone {
            value: number.to_owned(),
            reason: reason.to_owned(),
        })
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let b = number.as_bytes();
    if b.is_empty() {
        return refuse("is empty");
    }
    if number.starts_with('+') {
        return refuse("has a country code: give the number without +86");
    }
    if number.chars().any(char::is_whitespace) {
        return refuse("contains spaces");
    }
    let is_mobile = b.len() == 11
        && digits(number)
        && b.first() == Some(&b'1')
        && b.get(1).is_some_and(|d| (b'3'..=b'9').contains(d));
    if is_mobile {
        return Ok(PhoneKind::Mobile);
    }
    if b.first() == Some(&b'0') {
        let landline = match number.split_once('-') {
            Some((area, local)) => {
                digits(area)
                    && (3..=4).contains(&area.len())
                    && digits(local)
                    && (7..=8).contains(&local.len())
            }
            None => digits(number) && (10..=12).contains(&b.len()),
        };
        if landline {
            return Ok(PhoneKind::Landline);
        }
    }
    if digits(number) && (3..=6).contains(&b.len()) {
        return Ok(PhoneKind::Short);
    }
    refuse(
        "is not a phone number: expected a mobile number (1, then 3-9, then 9 digits), \
         a landline with area code (0 and 2-3 digits, optional -, 7-8 digits) \
         or a short number of 3-6 digits",
    )
}

/// Checks a free text: not blank, at most `max` characters, no control
/// characters except line breaks and tabs when `multiline`.
fn check_text(field: &str, text: &str, max: usize, multiline: bool) -> Result<(), OrderError> {
    let invalid = |message: String| {
        Err(OrderError::InvalidInput {
            field: field.to_owned(),
            message,
        })
    };
    if text.trim().is_empty() {
        return invalid("must not be empty".into());
    }
    let n = text.chars().count();
    if n > max {
        return invalid(format!("is {n} characters, at most {max} are allowed"));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return invalid(if multiline {
            "must not contain control characters other than line breaks and tabs".into()
        } else {
            "must be one line without control characters".into()
        });
    }
    Ok(())
}

/// Checks an id: 1-64 characters, no whitespace or control characters.
fn check_id(field: &str, id: &str) -> Result<(), OrderError> {
    let n = id.chars().count();
    if !(1..=MAX_ID_CHARS).contains(&n) || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(OrderError::InvalidInput {
            field: field.to_owned(),
            message: format!("{id:?} must be 1-64 characters without spaces"),
        });
    }
    Ok(())
}

impl Order {
    /// Creates an order in [`State::Received`]; only agents create orders.
    /// The creation is recorded in `received_by` and `received_ms`, not in
    /// `history` (which holds the transitions).
    pub fn new(
        new: NewOrder,
        actor: &Actor,
        now_ms: i64,
        catalogue: &Catalogue,
    ) -> Result<Order, OrderError> {
        check_id("actor.id", &actor.id)?;
        if actor.role != Role::Agent {
            return Err(OrderError::CreateForbidden {
                role: actor.role.clone(),
            });
        }
        check_id("id", &new.id)?;
        if catalogue.entry(&new.category).is_none() {
            return Err(OrderError::UnknownCategory {
                category: new.category,
            });
        }
        check_text("title", &new.title, MAX_TITLE_CHARS, false)?;
        classify_phone(&new.caller_number)?;
        Ok(Order {
            id: new.id,
            category: new.category,
            title: new.title,
            caller_number: new.caller_number,
            confidential: new.confidential,
            state: State::Received,
            received_by: actor.id.clone(),
            lead: None,
            assisting: Vec::new(),
            received_ms: now_ms,
            dispatched_ms: None,
            signed_ms: None,
            sign_due_ms: None,
            due_ms: None,
            warn_ms: None,
            escalate_ms: None,
            replied_ms: None,
            reply: None,
            closed_ms: None,
            resolution: None,
            merged_into: None,
            pending: None,
            history: Vec::new(),
        })
    }

    /// The time of the last recorded event.
    pub fn last_event_ms(&self) -> i64 {
        self.history.last().map_or(self.received_ms, |t| t.at_ms)
    }
}

// ---------------------------------------------------------------------------
// Transitions
// ---------------------------------------------------------------------------

/// Performs `action` on `order` as `actor` at `now_ms`: on success the
/// order is changed and the new audit entry (also appended to
/// `order.history`) is returned; on error nothing changes.
pub fn apply(
    order: &mut Order,
    actor: &Actor,
    action: Action,
    now_ms: i64,
    catalogue: &Catalogue,
    calendar: &Calendar,
) -> Result<Transition, OrderError> {
    check_id("actor.id", &actor.id)?;
    let last_ms = order.last_event_ms();
    if now_ms < last_ms {
        return Err(OrderError::ClockWentBack { now_ms, last_ms });
    }
    let kind = action.kind();
    let from = order.state;
    let legal = match (&order.pending, kind) {
        (Some(_), ActionKind::Approve | ActionKind::Reject) => true,
        (Some(p), _) => {
            return Err(OrderError::ApprovalPending {
                action: kind,
                request: p.request.name().to_owned(),
            });
        }
        (None, _) => kind.allowed_from().contains(&from),
    };
    if !legal {
        return Err(OrderError::IllegalTransition { from, action: kind });
    }

    // Work on a copy without the history, so that an error leaves the order
    // untouched.
    let history = std::mem::take(&mut order.history);
    let mut next = order.clone();
    order.history = history;
    let ctx = Ctx {
        actor,
        now_ms,
        catalogue,
        calendar,
    };
    let (summary, note) = step(&mut next, &ctx, action)?;
    let transition = Transition {
        at_ms: now_ms,
        actor: actor.clone(),
        from,
        to: next.state,
        action: kind,
        summary,
        note,
    };
    next.history = std::mem::take(&mut order.history);
    next.history.push(transition.clone());
    *order = next;
    Ok(transition)
}

struct Ctx<'a> {
    actor: &'a Actor,
    now_ms: i64,
    catalogue: &'a Catalogue,
    calendar: &'a Calendar,
}

fn forbidden(action: ActionKind, reason: String) -> OrderError {
    OrderError::Forbidden { action, reason }
}

/// The actor must be the lead unit.
fn need_lead(order: &Order, actor: &Actor, action: ActionKind) -> Result<(), OrderError> {
    let lead = order.lead.as_deref().unwrap_or("-");
    match &actor.role {
        Role::Unit(unit) if unit == lead => Ok(()),
        Role::Unit(unit) if order.assisting.contains(unit) => Err(forbidden(
            action,
            format!(
                "{unit} is an assisting unit (协办); only the lead unit (主办) {lead} may {action}"
            ),
        )),
        role => Err(forbidden(
            action,
            format!("only the lead unit {lead} may {action}, not {role}"),
        )),
    }
}

fn need_role(actor: &Actor, action: ActionKind, ok: bool, who: &str) -> Result<(), OrderError> {
    if ok {
        Ok(())
    } else {
        Err(forbidden(
            action,
            format!("only {who} may {action}, not {}", actor.role),
        ))
    }
}

fn entry<'a>(catalogue: &'a Catalogue, category: &str) -> Result<&'a CatalogueEntry, OrderError> {
    catalogue
        .entry(category)
        .ok_or_else(|| OrderError::UnknownCategory {
            category: category.to_owned(),
        })
}

/// A unit may lead an order of `category`: it exists, and a
/// department-level matter does not go to a hall.
fn check_target(
    catalogue: &Catalogue,
    category: &str,
    entry: &CatalogueEntry,
    unit: &str,
) -> Result<(), OrderError> {
    let Some(u) = catalogue.unit(unit) else {
        return Err(OrderError::UnknownUnit {
            unit: unit.to_owned(),
        });
    };
    if entry.level == Level::Department && u.kind == UnitKind::Hall {
        return Err(OrderError::DepartmentMatterToHall {
            category: category.to_owned(),
            unit: unit.to_owned(),
        });
    }
    Ok(())
}

/// Dispatches to `lead` now: sets the unit and every time limit, clears
/// the signing, reply and closing of an earlier round.
fn dispatch_to(order: &mut Order, ctx: &Ctx<'_>, entry: &CatalogueEntry, lead: &str) {
    let now = ctx.now_ms;
    let cal = ctx.calendar;
    let due = cal.deadline(now, i64::from(entry.time_limit_working_days));
    let warn = cal
        .warning_at(due, i64::from(ctx.catalogue.warn_before_working_days))
        .max(now);
    let escalate = cal.deadline(
        due,
        i64::from(ctx.catalogue.escalate_after_working_days) + 1,
    );
    order.lead = Some(lead.to_owned());
    order.assisting.retain(|u| u != lead);
    order.dispatched_ms = Some(now);
    order.signed_ms = None;
    order.sign_due_ms = Some(now.saturating_add(i64::from(entry.sign_within_hours) * HOUR_MS));
    order.due_ms = Some(due);
    order.warn_ms = Some(warn);
    order.escalate_ms = Some(escalate);
    order.replied_ms = None;
    order.reply = None;
    order.closed_ms = None;
    order.resolution = None;
    order.state = State::Dispatched;
}

/// One action on the copy `o`, whose state was already checked; returns
/// the summary and the note for the audit entry.
fn step(
    o: &mut Order,
    ctx: &Ctx<'_>,
    action: Action,
) -> Result<(String, Option<String>), OrderError> {
    let actor = ctx.actor;
    let kind = action.kind();
    let now = ctx.now_ms;
    let cat = ctx.catalogue;
    let agent = actor.role == Role::Agent;
    let supervisor = actor.role == Role::Supervisor;
    match action {
        Action::Dispatch { to } => {
            need_role(actor, kind, agent, "hotline agents")?;
            let entry = entry(cat, &o.category)?;
            let lead = match to {
                Some(to) => {
                    check_id("to", &to)?;
                    to
                }
                None => entry.lead.clone(),
            };
            check_target(cat, &o.category, entry, &lead)?;
            o.assisting = entry.assisting.clone();
            dispatch_to(o, ctx, entry, &lead);
            let mut summary = format!("dispatched to {}", cat.label(&lead));
            if !o.assisting.is_empty() {
                let names: Vec<String> = o.assisting.iter().map(|u| cat.label(u)).collect();
                summary.push_str(&format!("; assisting {}", names.join(", ")));
            }
            summary.push_str(&due_text(o));
            Ok((summary, None))
        }
        Action::Sign => {
            need_lead(o, actor, kind)?;
            o.signed_ms = Some(now);
            o.state = State::Signed;
            let late = o.sign_due_ms.is_some_and(|d| now > d);
            let summary = format!(
                "signed for by {}{}",
                cat.label(o.lead.as_deref().unwrap_or("-")),
                if late { " (late)" } else { "" }
            );
            Ok((summary, None))
        }
        Action::Start => {
            need_lead(o, actor, kind)?;
            o.state = State::InProgress;
            Ok(("handling started".into(), None))
        }
        Action::Reply { text } => {
            need_lead(o, actor, kind)?;
            check_text("text", &text, MAX_REPLY_CHARS, true)?;
            let late = o.due_ms.is_some_and(|d| now > d);
            o.replied_ms = Some(now);
            o.reply = Some(text.clone());
            o.state = State::Replied;
            let summary = if late { "replied (overdue)" } else { "replied" };
            Ok((summary.into(), Some(text)))
        }
        Action::Close { resolution } => {
            need_role(actor, kind, agent, "hotline agents")?;
            check_text("resolution", &resolution, MAX_RESOLUTION_CHARS, true)?;
            o.closed_ms = Some(now);
            o.resolution = Some(resolution.clone());
            o.state = State::Closed;
            Ok(("closed".into(), Some(resolution)))
        }
        Action::RequestReturn { reason } => {
            need_lead(o, actor, kind)?;
            check_text("reason", &reason, MAX_REASON_CHARS, true)?;
            o.pending = Some(Approval {
                request: ApprovalRequest::Return,
                requested_by: actor.clone(),
                requested_ms: now,
                reason: reason.clone(),
                resume: o.state,
            });
            o.state = State::Returned;
            let summary = format!(
                "return requested by {}; awaiting a supervisor",
                cat.label(o.lead.as_deref().unwrap_or("-"))
            );
            Ok((summary, Some(reason)))
        }
        Action::RequestReassign { to, reason } => {
            let is_lead =
                matches!(&actor.role, Role::Unit(u) if o.lead.as_deref() == Some(u.as_str()));
            if !agent && !is_lead {
                return Err(forbidden(
                    kind,
                    format!(
                        "only the lead unit {} or a hotline agent may request a reassignment, not {}",
                        o.lead.as_deref().unwrap_or("-"),
                        actor.role
                    ),
                ));
            }
            check_id("to", &to)?;
            check_text("reason", &reason, MAX_REASON_CHARS, true)?;
            let entry = entry(cat, &o.category)?;
            check_target(cat, &o.category, entry, &to)?;
            if o.lead.as_deref() == Some(to.as_str()) {
                return Err(OrderError::InvalidInput {
                    field: "to".into(),
                    message: format!("{to} is already the lead unit"),
                });
            }
            o.pending = Some(Approval {
                request: ApprovalRequest::Reassign { to: to.clone() },
                requested_by: actor.clone(),
                requested_ms: now,
                reason: reason.clone(),
                resume: o.state,
            });
            let summary = format!(
                "reassignment to {} requested; awaiting a supervisor",
                cat.label(&to)
            );
            Ok((summary, Some(reason)))
        }
        Action::Approve => {
            need_role(actor, kind, supervisor, "supervisors")?;
            let Some(pending) = o.pending.take() else {
                return Err(OrderError::IllegalTransition {
                    from: o.state,
                    action: kind,
                });
            };
            match &pending.request {
                ApprovalRequest::Return => {
                    let from = o.lead.take().unwrap_or_default();
                    o.assisting.clear();
                    o.dispatched_ms = None;
                    o.signed_ms = None;
                    o.sign_due_ms = None;
                    o.due_ms = None;
                    o.warn_ms = None;
                    o.escalate_ms = None;
                    o.state = State::Received;
                    let summary = format!(
                        "return by {} approved; to be dispatched again",
                        cat.label(&from)
                    );
                    Ok((summary, Some(pending.reason)))
                }
                ApprovalRequest::Reassign { to } => {
                    let entry = entry(cat, &o.category)?;
                    check_target(cat, &o.category, entry, to)?;
                    dispatch_to(o, ctx, entry, to);
                    let summary = format!(
                        "reassignment approved; dispatched to {}{}",
                        cat.label(to),
                        due_text(o)
                    );
                    Ok((summary, Some(pending.reason)))
                }
            }
        }
        Action::Reject { reason } => {
            need_role(actor, kind, supervisor, "supervisors")?;
            check_text("reason", &reason, MAX_REASON_CHARS, true)?;
            let Some(pending) = o.pending.take() else {
                return Err(OrderError::IllegalTransition {
                    from: o.state,
                    action: kind,
                });
            };
            o.state = pending.resume;
            let summary = format!("{} rejected", pending.request.name());
            Ok((summary, Some(reason)))
        }
        Action::Merge { into } => {
            need_role(actor, kind, agent, "hotline agents")?;
            check_id("into", &into)?;
            if into == o.id {
                return Err(OrderError::InvalidInput {
                    field: "into".into(),
                    message: "an order cannot be merged into itself".into(),
                });
            }
            o.merged_into = Some(into.clone());
            o.state = State::Merged;
            Ok((format!("merged into {into} as a duplicate"), None))
        }
        Action::Reopen { reason } => {
            need_role(
                actor,
                kind,
                agent || supervisor,
                "hotline agents and supervisors",
            )?;
            check_text("reason", &reason, MAX_REASON_CHARS, true)?;
            let entry = entry(cat, &o.category)?;
            let Some(lead) = o.lead.clone() else {
                return Err(OrderError::IllegalTransition {
                    from: o.state,
                    action: kind,
                });
            };
            check_target(cat, &o.category, entry, &lead)?;
            dispatch_to(o, ctx, entry, &lead);
            let summary = format!(
                "reopened; dispatched again to {}{}",
                cat.label(&lead),
                due_text(o)
            );
            Ok((summary, Some(reason)))
        }
    }
}

fn due_text(o: &Order) -> String {
    o.due_ms
        .map(|d| format!("; due {}", local_time(d)))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Views and supervision
// ---------------------------------------------------------------------------

/// The order as `actor` may see it, as JSON: on a confidential order units
/// and admins see [`CONFIDENTIAL_MASK`] instead of the caller's number;
/// agents and supervisors (who call back) see it.
pub fn view_for(order: &Order, actor: &Actor) -> Value {
    let mut value = serde_json::to_value(order).unwrap_or(Value::Null);
    if order.confidential
        && matches!(actor.role, Role::Unit(_) | Role::Admin)
        && let Some(obj) = value.as_object_mut()
    {
        obj.insert(
            "caller_number".into(),
            Value::String(CONFIDENTIAL_MASK.into()),
        );
    }
    value
}

/// A supervision notice (督办) for an order not replied in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supervision {
    /// The order.
    pub order_id: String,
    /// Its lead unit.
    pub lead: Option<String>,
    /// 1: due soon (预警), 2: overdue (超期督办), 3: overdue by more than the
    /// catalogue's `escalate_after_working_days` working days (升级督办).
    pub level: u8,
    /// Why, with the local times.
    pub reason: String,
    /// The due date.
    pub due_ms: i64,
}

/// The supervision an order needs at `now_ms`, if any: only orders with a
/// unit and no reply yet (dispatched, signed, in progress, or with a return
/// awaiting approval) are supervised.
///
/// - level 1 from `warn_ms` (inclusive);
/// - level 2 after `due_ms` (the due instant itself is still on time);
/// - level 3 from `escalate_ms` (inclusive).
pub fn supervise(order: &Order, now_ms: i64) -> Option<Supervision> {
    if !matches!(
        order.state,
        State::Dispatched | State::Signed | State::InProgress | State::Returned
    ) {
        return None;
    }
    let due = order.due_ms?;
    let due_text = local_time(due);
    let (level, reason) = if order.escalate_ms.is_some_and(|e| now_ms >= e) {
        (
            3,
            format!(
                "升级督办: due {due_text}, still not replied at {}, overdue by more than the escalation limit",
                local_time(order.escalate_ms.unwrap_or(due))
            ),
        )
    } else if now_ms > due {
        (2, format!("超期督办: due {due_text}, not replied"))
    } else if order.warn_ms.is_some_and(|w| now_ms >= w) {
        (1, format!("超期预警: due {due_text}, not yet replied"))
    } else {
        return None;
    };
    Some(Supervision {
        order_id: order.id.clone(),
        lead: order.lead.clone(),
        level,
        reason,
        due_ms: due,
    })
}

/// Whether the lead unit has not signed for a dispatched order within the
/// catalogue's `sign_within_hours` (clock hours from the dispatch).
pub fn sign_overdue(order: &Order, now_ms: i64) -> bool {
    order.state == State::Dispatched && order.sign_due_ms.is_some_and(|d| now_ms > d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bantong_hall_kit::calendar::{day_of, start_of_day};

    /// Milliseconds of a local (UTC+8) civil time.
    fn local(y: i64, mo: u8, d: u8, h: i64, mi: i64) -> i64 {
        start_of_day(day_of(y, mo, d).unwrap()) + (h * 60 + mi) * 60_000
    }

    fn catalogue() -> Catalogue {
        Catalogue::from_json(
            r#"{
            "units": [
                {"id": "dept-housing", "name": "区住建局", "kind": "department"},
                {"id": "dept-civil", "name": "区民政局", "kind": "department"},
                {"id": "hall-bailou", "name": "百楼镇便民服务中心", "kind": "hall"},
                {"id": "hall-wusi", "name": "五四路街道便民服务中心", "kind": "hall"},
                {"id": "hall-dongjinzhuang", "name": "东金庄乡便民服务中心", "kind": "hall"}
            ],
            "entries": {
                "streetlight": {"lead": "hall-bailou", "assisting": ["dept-housing"],
                                "level": "hall", "time_limit_working_days": 3, "sign_within_hours": 2},
                "housing-subsidy": {"lead": "dept-housing", "assisting": ["hall-bailou"],
                                "level": "department", "time_limit_working_days": 5, "sign_within_hours": 4},
                "pension": {"lead": "dept-civil", "level": "department",
                            "time_limit_working_days": 7, "sign_within_hours": 24}
            }
        }"#,
        )
        .unwrap()
    }

    fn agent() -> Actor {
        Actor {
            id: "agent-07".into(),
            role: Role::Agent,
        }
    }

    fn supervisor() -> Actor {
        Actor {
            id: "sup-01".into(),
            role: Role::Supervisor,
        }
    }

    fn admin() -> Actor {
        Actor {
            id: "root".into(),
            role: Role::Admin,
        }
    }

    fn unit(id: &str) -> Actor {
        Actor {
            id: format!("{id}-staff"),
            role: Role::Unit(id.into()),
        }
    }

    fn new_order(id: &str, category: &str, confidential: bool) -> NewOrder {
        NewOrder {
            id: id.into(),
            category: category.into(),
            title: "路灯不亮".into(),
            caller_number: "13812345678".into(),
            confidential,
        }
    }

    struct World {
        cat: Catalogue,
        cal: Calendar,
    }

    impl World {
        fn new() -> World {
            World {
                cat: catalogue(),
                cal: Calendar::china(),
            }
        }

        fn order(&self, id: &str, category: &str, at: i64) -> Order {
            Order::new(new_order(id, category, false), &agent(), at, &self.cat).unwrap()
        }

        fn apply(
            &self,
            o: &mut Order,
            actor: &Actor,
            action: Action,
            at: i64,
        ) -> Result<Transition, OrderError> {
            apply(o, actor, action, at, &self.cat, &self.cal)
        }

        /// Applies and asserts the order is unchanged on error.
        fn refuse(&self, o: &mut Order, actor: &Actor, action: Action, at: i64) -> OrderError {
            let before = o.clone();
            let err = self.apply(o, actor, action, at).unwrap_err();
            assert_eq!(*o, before, "order changed by a refused action: {err}");
            err
        }
    }

    fn reply(text: &str) -> Action {
        Action::Reply { text: text.into() }
    }

    fn reason(kind: &str, text: &str) -> Action {
        match kind {
            "return" => Action::RequestReturn {
                reason: text.into(),
            },
            "reject" => Action::Reject {
                reason: text.into(),
            },
            _ => Action::Reopen {
                reason: text.into(),
            },
        }
    }

    // ---- lifecycle ---------------------------------------------------------

    #[test]
    fn whole_lifecycle_with_audit_trail() {
        let w = World::new();
        let t0 = local(2025, 9, 29, 9, 0);
        let mut o = w.order("GD-0001", "streetlight", t0);
        assert_eq!(o.state, State::Received);
        assert_eq!(o.received_by, "agent-07");
        assert!(o.history.is_empty());

        let t = w
            .apply(
                &mut o,
                &agent(),
                Action::Dispatch { to: None },
                t0 + 10 * 60_000,
            )
            .unwrap();
        assert_eq!(
            (t.from, t.to, t.action),
            (State::Received, State::Dispatched, ActionKind::Dispatch)
        );
        assert_eq!(o.lead.as_deref(), Some("hall-bailou"));
        assert_eq!(o.assisting, ["dept-housing"]);
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-10 17:30");
        assert_eq!(local_time(o.warn_ms.unwrap()), "2025-10-09 17:30");
        assert_eq!(local_time(o.escalate_ms.unwrap()), "2025-10-15 17:30");
        assert_eq!(local_time(o.sign_due_ms.unwrap()), "2025-09-29 11:10");
        assert_eq!(
            t.summary,
            "dispatched to 百楼镇便民服务中心 (hall-bailou); assisting 区住建局 (dept-housing); due 2025-10-10 17:30"
        );

        let bailou = unit("hall-bailou");
        w.apply(&mut o, &bailou, Action::Sign, local(2025, 9, 29, 10, 0))
            .unwrap();
        assert_eq!(o.signed_ms, Some(local(2025, 9, 29, 10, 0)));
        w.apply(&mut o, &bailou, Action::Start, local(2025, 9, 29, 10, 5))
            .unwrap();
        w.apply(
            &mut o,
            &bailou,
            reply("已更换灯泡，恢复照明。"),
            local(2025, 9, 30, 16, 0),
        )
        .unwrap();
        assert_eq!(o.reply.as_deref(), Some("已更换灯泡，恢复照明。"));
        let t = w
            .apply(
                &mut o,
                &agent(),
                Action::Close {
                    resolution: "回访满意".into(),
                },
                local(2025, 10, 9, 9, 0),
            )
            .unwrap();
        assert_eq!(t.note.as_deref(), Some("回访满意"));
        assert_eq!(o.state, State::Closed);
        assert_eq!(o.closed_ms, Some(local(2025, 10, 9, 9, 0)));

        let trail: Vec<(State, State, ActionKind, &str)> = o
            .history
            .iter()
            .map(|t| (t.from, t.to, t.action, t.actor.id.as_str()))
            .collect();
        assert_eq!(
            trail,
            [
                (
                    State::Received,
                    State::Dispatched,
                    ActionKind::Dispatch,
                    "agent-07"
                ),
                (
                    State::Dispatched,
                    State::Signed,
                    ActionKind::Sign,
                    "hall-bailou-staff"
                ),
                (
                    State::Signed,
                    State::InProgress,
                    ActionKind::Start,
                    "hall-bailou-staff"
                ),
                (
                    State::InProgress,
                    State::Replied,
                    ActionKind::Reply,
                    "hall-bailou-staff"
                ),
                (State::Replied, State::Closed, ActionKind::Close, "agent-07"),
            ]
        );
        assert_eq!(o.history[3].note.as_deref(), Some("已更换灯泡，恢复照明。"));
        assert!(o.history.windows(2).all(|p| p[0].at_ms <= p[1].at_ms));
        // Closed: nothing but reopening.
        let err = w.refuse(&mut o, &bailou, reply("again"), local(2025, 10, 9, 10, 0));
        assert_eq!(
            err,
            OrderError::IllegalTransition {
                from: State::Closed,
                action: ActionKind::Reply
            }
        );
        // The order round-trips through JSON (storage).
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<Order>(&json).unwrap(), o);
    }

    #[test]
    fn reopen_after_dissatisfied_callback() {
        let w = World::new();
        let mut o = lifecycle_to_replied(&w);
        w.apply(
            &mut o,
            &agent(),
            Action::Close {
                resolution: "回访满意".into(),
            },
            local(2025, 10, 9, 9, 0),
        )
        .unwrap();
        // The caller complains again: reopened, same unit, new limit from now.
        let err = w.refuse(
            &mut o,
            &unit("hall-bailou"),
            reason("reopen", "x"),
            local(2025, 10, 9, 9, 30),
        );
        assert!(matches!(err, OrderError::Forbidden { .. }));
        let t = w
            .apply(
                &mut o,
                &supervisor(),
                reason("reopen", "回访不满意：路灯仍不亮"),
                local(2025, 10, 9, 10, 0),
            )
            .unwrap();
        assert_eq!((t.from, t.to), (State::Closed, State::Dispatched));
        assert_eq!(o.lead.as_deref(), Some("hall-bailou"));
        assert_eq!(o.closed_ms, None);
        assert_eq!(o.replied_ms, None);
        assert_eq!(o.signed_ms, None);
        // 10-09 + 3 working days: 10-10, Saturday 10-11 (make-up), 10-13.
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-13 17:30");
        assert_eq!(o.history.len(), 6);
        // Reopen straight from Replied (dissatisfied before closing) works too.
        let mut o = lifecycle_to_replied(&w);
        w.apply(
            &mut o,
            &agent(),
            reason("reopen", "不满意"),
            local(2025, 10, 9, 9, 0),
        )
        .unwrap();
        assert_eq!(o.state, State::Dispatched);
    }

    /// A streetlight order dispatched 2025-09-29 09:10 and replied 09-30 16:00.
    fn lifecycle_to_replied(w: &World) -> Order {
        let mut o = w.order("GD-0001", "streetlight", local(2025, 9, 29, 9, 0));
        let bailou = unit("hall-bailou");
        w.apply(
            &mut o,
            &agent(),
            Action::Dispatch { to: None },
            local(2025, 9, 29, 9, 10),
        )
        .unwrap();
        w.apply(&mut o, &bailou, Action::Sign, local(2025, 9, 29, 10, 0))
            .unwrap();
        w.apply(&mut o, &bailou, Action::Start, local(2025, 9, 29, 10, 5))
            .unwrap();
        w.apply(&mut o, &bailou, reply("已修复"), local(2025, 9, 30, 16, 0))
            .unwrap();
        o
    }

    fn dispatched(w: &World, category: &str) -> Order {
        let mut o = w.order("GD-0002", category, local(2025, 9, 29, 9, 0));
        w.apply(
            &mut o,
            &agent(),
            Action::Dispatch { to: None },
            local(2025, 9, 29, 9, 10),
        )
        .unwrap();
        o
    }

    // ---- returns and reassignments ----------------------------------------

    #[test]
    fn return_approved_goes_back_for_dispatch() {
        let w = World::new();
        let mut o = dispatched(&w, "streetlight");
        let bailou = unit("hall-bailou");
        // Only the lead unit asks for a return.
        let err = w.refuse(
            &mut o,
            &unit("dept-housing"),
            reason("return", "不归我们管"),
            local(2025, 9, 29, 9, 30),
        );
        assert!(err.to_string().contains("assisting unit"), "{err}");
        let err = w.refuse(
            &mut o,
            &agent(),
            reason("return", "x"),
            local(2025, 9, 29, 9, 30),
        );
        assert!(matches!(err, OrderError::Forbidden { .. }));
        let t = w
            .apply(
                &mut o,
                &bailou,
                reason("return", "该路段属五四路街道管辖"),
                local(2025, 9, 29, 9, 30),
            )
            .unwrap();
        assert_eq!((t.from, t.to), (State::Dispatched, State::Returned));
        assert_eq!(o.state, State::Returned);
        assert_eq!(o.pending.as_ref().unwrap().request, ApprovalRequest::Return);

        // Waiting: the unit can do nothing else, an agent cannot approve.
        let err = w.refuse(&mut o, &bailou, Action::Sign, local(2025, 9, 29, 9, 40));
        assert_eq!(
            err.to_string(),
            "cannot sign: a return awaits a supervisor's approval (approve or reject it first)"
        );
        let err = w.refuse(&mut o, &agent(), Action::Approve, local(2025, 9, 29, 9, 40));
        assert_eq!(
            err.to_string(),
            "not allowed to approve: only supervisors may approve, not agent"
        );

        let t = w
            .apply(
                &mut o,
                &supervisor(),
                Action::Approve,
                local(2025, 9, 29, 10, 0),
            )
            .unwrap();
        assert_eq!((t.from, t.to), (State::Returned, State::Received));
        assert_eq!(t.note.as_deref(), Some("该路段属五四路街道管辖"));
        assert_eq!(o.lead, None);
        assert!(o.assisting.is_empty());
        assert_eq!(
            (o.due_ms, o.warn_ms, o.dispatched_ms, o.pending.clone()),
            (None, None, None, None)
        );
        assert_eq!(supervise(&o, local(2025, 12, 1, 0, 0)), None);

        // Re-dispatched to the right hall by hand.
        w.apply(
            &mut o,
            &agent(),
            Action::Dispatch {
                to: Some("hall-wusi".into()),
            },
            local(2025, 9, 29, 10, 30),
        )
        .unwrap();
        assert_eq!(o.lead.as_deref(), Some("hall-wusi"));
        assert_eq!(o.assisting, ["dept-housing"]);
        assert_eq!(o.history.len(), 4);
    }

    #[test]
    fn return_rejected_resumes_where_it_was() {
        let w = World::new();
        let mut o = dispatched(&w, "streetlight");
        let bailou = unit("hall-bailou");
        w.apply(&mut o, &bailou, Action::Sign, local(2025, 9, 29, 9, 20))
            .unwrap();
        w.apply(
            &mut o,
            &bailou,
            reason("return", "工作量大"),
            local(2025, 9, 29, 9, 30),
        )
        .unwrap();
        let due = o.due_ms;
        // The supervisor must give a reason.
        let err = w.refuse(
            &mut o,
            &supervisor(),
            reason("reject", "  "),
            local(2025, 9, 29, 10, 0),
        );
        assert_eq!(err.to_string(), "reason: must not be empty");
        let t = w
            .apply(
                &mut o,
                &supervisor(),
                reason("reject", "属本镇履职事项清单，请办理"),
                local(2025, 9, 29, 10, 0),
            )
            .unwrap();
        assert_eq!((t.from, t.to), (State::Returned, State::Signed));
        assert_eq!(t.summary, "return rejected");
        assert_eq!(o.state, State::Signed);
        assert_eq!(o.pending, None);
        assert_eq!(o.lead.as_deref(), Some("hall-bailou"));
        assert_eq!(o.due_ms, due, "a rejected return does not extend the limit");
        // Nothing pending now: approve is illegal.
        let err = w.refuse(
            &mut o,
            &supervisor(),
            Action::Approve,
            local(2025, 9, 29, 10, 5),
        );
        assert_eq!(
            err,
            OrderError::IllegalTransition {
                from: State::Signed,
                action: ActionKind::Approve
            }
        );
        w.apply(&mut o, &bailou, Action::Start, local(2025, 9, 29, 10, 10))
            .unwrap();
    }

    #[test]
    fn reassignment_recomputes_due_date_from_approval() {
        let w = World::new();
        let mut o = dispatched(&w, "streetlight");
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-10 17:30");
        let bailou = unit("hall-bailou");
        w.apply(&mut o, &bailou, Action::Sign, local(2025, 9, 29, 9, 20))
            .unwrap();
        // An assisting unit cannot ask; the lead can (so can an agent).
        let ask = |to: &str| Action::RequestReassign {
            to: to.into(),
            reason: "该路灯在五四路街道辖区".into(),
        };
        let err = w.refuse(
            &mut o,
            &unit("dept-housing"),
            ask("hall-wusi"),
            local(2025, 9, 30, 10, 0),
        );
        assert!(matches!(err, OrderError::Forbidden { .. }));
        let err = w.refuse(
            &mut o,
            &bailou,
            ask("hall-bailou"),
            local(2025, 9, 30, 10, 0),
        );
        assert_eq!(err.to_string(), "to: hall-bailou is already the lead unit");
        let err = w.refuse(
            &mut o,
            &bailou,
            ask("hall-nowhere"),
            local(2025, 9, 30, 10, 0),
        );
        assert_eq!(
            err,
            OrderError::UnknownUnit {
                unit: "hall-nowhere".into()
            }
        );
        let t = w
            .apply(&mut o, &bailou, ask("hall-wusi"), local(2025, 9, 30, 10, 0))
            .unwrap();
        assert_eq!((t.from, t.to), (State::Signed, State::Signed));
        assert!(matches!(
            &o.pending,
            Some(Approval { request: ApprovalRequest::Reassign { to }, resume: State::Signed, .. }) if to == "hall-wusi"
        ));
        // Approved after the holiday: due counted from the approval.
        let t = w
            .apply(
                &mut o,
                &supervisor(),
                Action::Approve,
                local(2025, 10, 9, 9, 0),
            )
            .unwrap();
        assert_eq!((t.from, t.to), (State::Signed, State::Dispatched));
        assert_eq!(o.lead.as_deref(), Some("hall-wusi"));
        assert_eq!(o.assisting, ["dept-housing"]);
        assert_eq!(o.dispatched_ms, Some(local(2025, 10, 9, 9, 0)));
        assert_eq!(o.signed_ms, None);
        // 10-10, Saturday 10-11 (make-up), 10-13.
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-10-13 17:30");
        assert_eq!(local_time(o.warn_ms.unwrap()), "2025-10-11 17:30");
        assert_eq!(
            t.summary,
            "reassignment approved; dispatched to 五四路街道便民服务中心 (hall-wusi); due 2025-10-13 17:30"
        );
        // The old lead can no longer act; the new one signs.
        let err = w.refuse(&mut o, &bailou, Action::Sign, local(2025, 10, 9, 9, 5));
        assert!(matches!(err, OrderError::Forbidden { .. }));
        w.apply(
            &mut o,
            &unit("hall-wusi"),
            Action::Sign,
            local(2025, 10, 9, 9, 10),
        )
        .unwrap();
    }

    #[test]
    fn reassignment_rejected_and_agent_request() {
        let w = World::new();
        let mut o = dispatched(&w, "streetlight");
        w.apply(
            &mut o,
            &agent(),
            Action::RequestReassign {
                to: "hall-dongjinzhuang".into(),
                reason: "派错单".into(),
            },
            local(2025, 9, 29, 9, 20),
        )
        .unwrap();
        assert_eq!(o.state, State::Dispatched);
        let err = w.refuse(
            &mut o,
            &agent(),
            Action::Merge {
                into: "GD-0001".into(),
            },
            local(2025, 9, 29, 9, 25),
        );
        assert!(matches!(err, OrderError::ApprovalPending { .. }));
        let t = w
            .apply(
                &mut o,
                &supervisor(),
                reason("reject", "原派单正确"),
                local(2025, 9, 29, 9, 30),
            )
            .unwrap();
        assert_eq!(
            (t.from, t.to, t.summary.as_str()),
            (
                State::Dispatched,
                State::Dispatched,
                "reassignment rejected"
            )
        );
        assert_eq!(o.lead.as_deref(), Some("hall-bailou"));
        assert_eq!(o.pending, None);
    }

    // ---- merge ------------------------------------------------------------

    #[test]
    fn merge_duplicates() {
        let w = World::new();
        let mut dup = w.order("GD-0003", "streetlight", local(2025, 9, 29, 9, 0));
        let err = w.refuse(
            &mut dup,
            &agent(),
            Action::Merge {
                into: "GD-0003".into(),
            },
            local(2025, 9, 29, 9, 1),
        );
        assert_eq!(
            err.to_string(),
            "into: an order cannot be merged into itself"
        );
        let err = w.refuse(
            &mut dup,
            &unit("hall-bailou"),
            Action::Merge {
                into: "GD-0001".into(),
            },
            local(2025, 9, 29, 9, 1),
        );
        assert!(matches!(err, OrderError::Forbidden { .. }));
        let t = w
            .apply(
                &mut dup,
                &agent(),
                Action::Merge {
                    into: "GD-0001".into(),
                },
                local(2025, 9, 29, 9, 2),
            )
            .unwrap();
        assert_eq!((t.from, t.to), (State::Received, State::Merged));
        assert_eq!(dup.merged_into.as_deref(), Some("GD-0001"));
        assert_eq!(t.summary, "merged into GD-0001 as a duplicate");
        // Final: nothing applies, not even reopening.
        for action in [
            Action::Dispatch { to: None },
            reason("reopen", "x"),
            Action::Merge {
                into: "GD-0009".into(),
            },
        ] {
            let err = w.refuse(&mut dup, &agent(), action, local(2025, 9, 29, 9, 3));
            assert!(matches!(
                err,
                OrderError::IllegalTransition {
                    from: State::Merged,
                    ..
                }
            ));
        }
        // A dispatched order can be merged too, and supervision stops.
        let mut o = dispatched(&w, "streetlight");
        w.apply(
            &mut o,
            &agent(),
            Action::Merge {
                into: "GD-0001".into(),
            },
            local(2025, 9, 29, 9, 20),
        )
        .unwrap();
        assert_eq!(supervise(&o, local(2025, 12, 1, 0, 0)), None);
        assert!(!sign_overdue(&o, local(2025, 12, 1, 0, 0)));
        // A replied order cannot be merged.
        let mut o = lifecycle_to_replied(&w);
        w.refuse(
            &mut o,
            &agent(),
            Action::Merge {
                into: "GD-0009".into(),
            },
            local(2025, 10, 9, 9, 0),
        );
    }

    // ---- confidentiality ---------------------------------------------------

    #[test]
    fn confidential_view_hides_caller_from_units() {
        let w = World::new();
        let mut o = Order::new(
            new_order("GD-0004", "streetlight", true),
            &agent(),
            local(2025, 9, 29, 9, 0),
            &w.cat,
        )
        .unwrap();
        w.apply(
            &mut o,
            &agent(),
            Action::Dispatch { to: None },
            local(2025, 9, 29, 9, 10),
        )
        .unwrap();
        for actor in [
            unit("hall-bailou"),
            unit("dept-housing"),
            unit("hall-wusi"),
            admin(),
        ] {
            let v = view_for(&o, &actor);
            assert_eq!(v["caller_number"], CONFIDENTIAL_MASK, "{}", actor.role);
            assert!(!v.to_string().contains("13812345678"));
            assert_eq!(v["title"], "路灯不亮");
            assert_eq!(v["lead"], "hall-bailou");
        }
        for actor in [agent(), supervisor()] {
            assert_eq!(view_for(&o, &actor)["caller_number"], "13812345678");
        }
        // Not confidential: units see the number.
        let o = w.order("GD-0005", "streetlight", local(2025, 9, 29, 9, 0));
        assert_eq!(
            view_for(&o, &unit("hall-bailou"))["caller_number"],
            "13812345678"
        );
        // The view is the order's JSON otherwise.
        let expected = serde_json::to_value(&o).unwrap();
        assert_eq!(view_for(&o, &unit("hall-bailou")), expected);
        assert_eq!(view_for(&o, &agent()), expected);
    }

    // ---- department-level matters -----------------------------------------

    #[test]
    fn department_matters_are_not_pushed_down_to_halls() {
        let mut cat = catalogue();
        if let Some(e) = cat.entries.get_mut("pension") {
            e.lead = "hall-wusi".into();
        }
        let err = cat.validate().unwrap_err();
        assert_eq!(
            err,
            CatalogueError::DepartmentMatterToHall {
                field: "entries.pension.lead".into(),
                category: "pension".into(),
                unit: "hall-wusi".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "entries.pension.lead: pension is a department-level matter but hall-wusi is a hall; matters belonging to departments are not pushed down to halls"
        );

        // At dispatch and reassignment time too.
        let w = World::new();
        let mut o = w.order("GD-0006", "housing-subsidy", local(2025, 9, 29, 9, 0));
        let err = w.refuse(
            &mut o,
            &agent(),
            Action::Dispatch {
                to: Some("hall-bailou".into()),
            },
            local(2025, 9, 29, 9, 10),
        );
        assert!(err.to_string().ends_with(DEPARTMENT_MATTER_RULE), "{err}");
        w.apply(
            &mut o,
            &agent(),
            Action::Dispatch { to: None },
            local(2025, 9, 29, 9, 10),
        )
        .unwrap();
        // The hall may assist.
        assert_eq!(o.assisting, ["hall-bailou"]);
        let err = w.refuse(
            &mut o,
            &unit("dept-housing"),
            Action::RequestReassign {
                to: "hall-wusi".into(),
                reason: "街道更了解情况".into(),
            },
            local(2025, 9, 29, 9, 20),
        );
        assert_eq!(
            err,
            OrderError::DepartmentMatterToHall {
                category: "housing-subsidy".into(),
                unit: "hall-wusi".into()
            }
        );
        // Reassigning to another department is fine.
        w.apply(
            &mut o,
            &unit("dept-housing"),
            Action::RequestReassign {
                to: "dept-civil".into(),
                reason: "属民政职责".into(),
            },
            local(2025, 9, 29, 9, 20),
        )
        .unwrap();
        // A hall-level matter may go to a department.
        let mut o = w.order("GD-0007", "streetlight", local(2025, 9, 29, 9, 0));
        w.apply(
            &mut o,
            &agent(),
            Action::Dispatch {
                to: Some("dept-housing".into()),
            },
            local(2025, 9, 29, 9, 10),
        )
        .unwrap();
        assert!(o.assisting.is_empty(), "the lead is not also assisting");
    }

    #[test]
    fn catalogue_validation() {
        let problems = |json: &str| -> Vec<String> {
            let cat: Catalogue = serde_json::from_str(json).unwrap();
            cat.problems().iter().map(ToString::to_string).collect()
        };
        assert_eq!(
            problems(
                r#"{"units": [
                    {"id": "d", "name": "局", "kind": "department"},
                    {"id": "d", "name": "局2", "kind": "department"},
                    {"id": "H", "name": "", "kind": "hall"}],
                "entries": {
                    "a": {"lead": "x", "assisting": ["d", "d", "y"], "level": "hall",
                          "time_limit_working_days": 366, "sign_within_hours": 0},
                    "b": {"lead": "d", "assisting": ["d"], "level": "department",
                          "time_limit_working_days": 0, "sign_within_hours": 721}
                },
                "escalate_after_working_days": 400}"#
            ),
            [
                "units[1].id: duplicate unit d",
                r#"units[2].id: "H" must be 1-64 characters of a-z, 0-9, - and _"#,
                "units[2].name: must be 1-64 characters without control characters",
                r#"entries.a.lead: unknown unit "x" (not in units)"#,
                "entries.a.assisting[1]: duplicate assisting unit d",
                r#"entries.a.assisting[2]: unknown unit "y" (not in units)"#,
                "entries.a.time_limit_working_days: 366 is more than 365 working days",
                "entries.a.sign_within_hours: 0 is not 1-720 hours",
                "entries.b.assisting[0]: d is already the lead unit",
                "entries.b.sign_within_hours: 721 is not 1-720 hours",
                "escalate_after_working_days: 400 is more than 365 working days",
            ]
        );
        assert_eq!(
            problems(r#"{"units": [], "entries": {}}"#),
            [
                "units: at least one unit is required",
                "entries: at least one category is required"
            ]
        );
        assert!(matches!(
            Catalogue::from_json(r#"{"units": [], "entries": {}, "extra": 1}"#),
            Err(CatalogueError::Json { .. })
        ));
        let cat = catalogue();
        assert_eq!(
            (
                cat.warn_before_working_days,
                cat.escalate_after_working_days
            ),
            (1, 3)
        );
        let back: Catalogue = serde_json::from_str(&serde_json::to_string(&cat).unwrap()).unwrap();
        assert_eq!(back, cat);
    }

    // ---- illegal transitions and permissions ------------------------------

    #[test]
    fn illegal_transitions_change_nothing() {
        let w = World::new();
        let mut o = dispatched(&w, "streetlight");
        let at = local(2025, 9, 29, 9, 30);
        // Close before reply.
        let err = w.refuse(
            &mut o,
            &agent(),
            Action::Close {
                resolution: "ok".into(),
            },
            at,
        );
        assert_eq!(
            err,
            OrderError::IllegalTransition {
                from: State::Dispatched,
                action: ActionKind::Close
            }
        );
        assert_eq!(
            err.to_string(),
            "cannot close a work order that is dispatched (已派单): close needs replied (已答复)"
        );
        // Sign by an assisting unit, by an agent, by an unrelated hall.
        let err = w.refuse(&mut o, &unit("dept-housing"), Action::Sign, at);
        assert_eq!(
            err.to_string(),
            "not allowed to sign: dept-housing is an assisting unit (协办); only the lead unit (主办) hall-bailou may sign"
        );
        let err = w.refuse(&mut o, &agent(), Action::Sign, at);
        assert_eq!(
            err.to_string(),
            "not allowed to sign: only the lead unit hall-bailou may sign, not agent"
        );
        w.refuse(&mut o, &unit("hall-wusi"), Action::Sign, at);
        w.refuse(&mut o, &admin(), Action::Sign, at);
        // Skipping steps.
        let err = w.refuse(&mut o, &unit("hall-bailou"), Action::Start, at);
        assert_eq!(
            err.to_string(),
            "cannot start a work order that is dispatched (已派单): start needs signed (已签收)"
        );
        w.refuse(&mut o, &unit("hall-bailou"), reply("done"), at);
        // Dispatching twice, reopening an open order.
        w.refuse(&mut o, &agent(), Action::Dispatch { to: None }, at);
        let err = w.refuse(&mut o, &agent(), reason("reopen", "x"), at);
        assert_eq!(
            err.to_string(),
            "cannot reopen a work order that is dispatched (已派单): reopen needs replied (已答复) or closed (已办结)"
        );
        let err = w.refuse(&mut o, &supervisor(), reason("reject", "x"), at);
        assert_eq!(
            err.to_string(),
            "cannot reject a work order that is dispatched (已派单): no return or reassignment awaits approval"
        );
        // The clock going back.
        let err = w.refuse(
            &mut o,
            &unit("hall-bailou"),
            Action::Sign,
            local(2025, 9, 29, 9, 0),
        );
        assert!(matches!(err, OrderError::ClockWentBack { .. }));
        assert_eq!(
            err.to_string(),
            "time 2025-09-29 09:00 is before the order's last event at 2025-09-29 09:10"
        );
        // A bad actor id.
        let nobody = Actor {
            id: String::new(),
            role: Role::Unit("hall-bailou".into()),
        };
        w.refuse(&mut o, &nobody, Action::Sign, at);
        assert_eq!(o.history.len(), 1);
        assert_eq!(o.state, State::Dispatched);
    }

    #[test]
    fn text_limits() {
        let w = World::new();
        let mut o = dispatched(&w, "streetlight");
        let at = local(2025, 10, 9, 9, 0);
        let bailou = unit("hall-bailou");
        w.apply(&mut o, &bailou, Action::Sign, at).unwrap();
        w.apply(&mut o, &bailou, Action::Start, at).unwrap();
        let err = w.refuse(&mut o, &bailou, reply(&"字".repeat(4_001)), at);
        assert_eq!(
            err.to_string(),
            "text: is 4001 characters, at most 4000 are allowed"
        );
        let err = w.refuse(&mut o, &bailou, reply(""), at);
        assert_eq!(err.to_string(), "text: must not be empty");
        let err = w.refuse(&mut o, &bailou, reply("a\u{0}b"), at);
        assert!(
            err.to_string()
                .starts_with("text: must not contain control characters")
        );
        // 4000 characters, with line breaks, are fine.
        let long = format!("第一行\n{}", "字".repeat(3_996));
        w.apply(&mut o, &bailou, reply(&long), at).unwrap();
        let err = w.refuse(
            &mut o,
            &agent(),
            Action::Close {
                resolution: "x".repeat(1_001),
            },
            at,
        );
        assert_eq!(
            err.to_string(),
            "resolution: is 1001 characters, at most 1000 are allowed"
        );

        // Titles.
        let make = |title: String| {
            Order::new(
                NewOrder {
                    title,
                    ..new_order("GD-0010", "streetlight", false)
                },
                &agent(),
                at,
                &w.cat,
            )
        };
        assert!(make("路".repeat(200)).is_ok());
        assert_eq!(
            make("路".repeat(201)).unwrap_err().to_string(),
            "title: is 201 characters, at most 200 are allowed"
        );
        assert_eq!(
            make("路灯\n不亮".into()).unwrap_err().to_string(),
            "title: must be one line without control characters"
        );
        assert_eq!(
            make(" ".into()).unwrap_err().to_string(),
            "title: must not be empty"
        );
        // Creation: only agents, known categories, sane ids.
        let err = Order::new(
            new_order("GD-1", "streetlight", false),
            &supervisor(),
            at,
            &w.cat,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "only hotline agents create work orders, not supervisor"
        );
        let err =
            Order::new(new_order("GD-1", "potholes", false), &agent(), at, &w.cat).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown request category "potholes" (not in the catalogue)"#
        );
        let err = Order::new(
            new_order("GD 1", "streetlight", false),
            &agent(),
            at,
            &w.cat,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"id: "GD 1" must be 1-64 characters without spaces"#
        );
    }

    // ---- phone numbers ----------------------------------------------------

    #[test]
    fn phone_numbers() {
        use PhoneKind::*;
        let ok: &[(&str, PhoneKind)] = &[
            ("13812345678", Mobile),
            ("19912345678", Mobile),
            ("15030001234", Mobile),
            ("0312-5012345", Landline),
            ("0312-50123456", Landline),
            ("010-12345678", Landline),
            ("03125012345", Landline),
            ("031250123456", Landline),
            ("01012345678", Landline),
            ("12345", Short),
            ("110", Short),
            ("95598", Short),
            ("123456", Short),
        ];
        for (number, kind) in ok {
            assert_eq!(classify_phone(number), Ok(*kind), "{number}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "is empty"),
            (
                "+8613812345678",
                "has a country code: give the number without +86",
            ),
            ("138 1234 5678", "contains spaces"),
            (" 13812345678", "contains spaces"),
            ("12812345678", "is not a phone number"), // 12x is no mobile prefix
            ("1381234567", "is not a phone number"),  // 10 digits
            ("138123456789", "is not a phone number"),
            ("0312-501234", "is not a phone number"), // 6-digit local part
            ("0312-501234567", "is not a phone number"),
            ("03-5012345", "is not a phone number"), // area code too short
            ("03125-5012345", "is not a phone number"),
            ("0312--5012345", "is not a phone number"),
            ("0312-50a2345", "is not a phone number"),
            ("12", "is not a phone number"),
            ("1234567", "is not a phone number"),
            ("12-345", "is not a phone number"),
            ("１２３４５", "is not a phone number"), // full-width digits
            ("0312501234567", "is not a phone number"),
        ];
        for (number, reason) in bad {
            let err = classify_phone(number).unwrap_err();
            assert!(
                matches!(&err, OrderError::InvalidPhone { value, reason: r } if value == number && r.starts_with(reason)),
                "{number}: {err}"
            );
        }
        assert_eq!(
            classify_phone("12").unwrap_err().to_string(),
            "caller_number: \"12\" is not a phone number: expected a mobile number (1, then 3-9, then 9 digits), \
             a landline with area code (0 and 2-3 digits, optional -, 7-8 digits) or a short number of 3-6 digits"
        );
        // Orders keep the number exactly as given and refuse malformed ones.
        let w = World::new();
        let at = local(2025, 9, 29, 9, 0);
        let o = Order::new(
            NewOrder {
                caller_number: "0312-5012345".into(),
                ..new_order("GD-0011", "streetlight", false)
            },
            &agent(),
            at,
            &w.cat,
        )
        .unwrap();
        assert_eq!(o.caller_number, "0312-5012345");
        let err = Order::new(
            NewOrder {
                caller_number: "138-1234-5678".into(),
                ..new_order("GD-0012", "streetlight", false)
            },
            &agent(),
            at,
            &w.cat,
        )
        .unwrap_err();
        assert!(matches!(err, OrderError::InvalidPhone { .. }));
    }

    // ---- supervision ------------------------------------------------------

    #[test]
    fn supervision_levels_across_national_day() {
        let w = World::new();
        // Dispatched Monday 2025-09-29 09:10, 3 working days: due 10-10 17:30,
        // warning 10-09 17:30 (the working day before), escalation when
        // overdue by more than 3 working days: 10-11 (Sat, make-up), 10-13,
        // 10-14 whole, so from 10-15 17:30.
        let mut o = dispatched(&w, "streetlight");
        let level = |o: &Order, at: i64| supervise(o, at).map(|s| s.level);
        assert_eq!(level(&o, local(2025, 9, 29, 9, 10)), None);
        assert_eq!(
            level(&o, local(2025, 10, 5, 12, 0)),
            None,
            "holiday: nothing yet"
        );
        assert_eq!(level(&o, local(2025, 10, 9, 17, 29)), None);
        assert_eq!(level(&o, local(2025, 10, 9, 17, 30)), Some(1));
        assert_eq!(
            level(&o, local(2025, 10, 10, 17, 30)),
            Some(1),
            "due instant is on time"
        );
        assert_eq!(level(&o, local(2025, 10, 10, 17, 31)), Some(2));
        assert_eq!(level(&o, local(2025, 10, 15, 17, 29)), Some(2));
        assert_eq!(level(&o, local(2025, 10, 15, 17, 30)), Some(3));
        let s = supervise(&o, local(2025, 10, 15, 17, 30)).unwrap();
        assert_eq!(s.order_id, "GD-0002");
        assert_eq!(s.lead.as_deref(), Some("hall-bailou"));
        assert_eq!(s.due_ms, local(2025, 10, 10, 17, 30));
        assert!(s.reason.contains("due 2025-10-10 17:30"), "{}", s.reason);
        assert!(s.reason.contains("2025-10-15 17:30"), "{}", s.reason);
        assert_eq!(
            supervise(&o, local(2025, 10, 11, 9, 0)).unwrap().reason,
            "超期督办: due 2025-10-10 17:30, not replied"
        );
        // The escalation point agrees with the calendar's count.
        assert_eq!(
            w.cal
                .working_days_between(o.due_ms.unwrap(), local(2025, 10, 15, 17, 30)),
            4
        );
        assert_eq!(
            w.cal
                .working_days_between(o.due_ms.unwrap(), local(2025, 10, 15, 17, 29)),
            3
        );

        // Signing: within 2 clock hours of the dispatch.
        assert!(!sign_overdue(&o, local(2025, 9, 29, 11, 10)));
        assert!(sign_overdue(&o, local(2025, 9, 29, 11, 11)));
        let bailou = unit("hall-bailou");
        let t = w
            .apply(&mut o, &bailou, Action::Sign, local(2025, 9, 29, 11, 30))
            .unwrap();
        assert!(t.summary.ends_with("(late)"));
        assert!(!sign_overdue(&o, local(2025, 9, 29, 11, 31)));
        // Still supervised while signed and in progress, and while a return
        // awaits approval.
        assert_eq!(level(&o, local(2025, 10, 10, 18, 0)), Some(2));
        w.apply(
            &mut o,
            &bailou,
            reason("return", "非本镇事项"),
            local(2025, 10, 10, 18, 0),
        )
        .unwrap();
        assert_eq!(level(&o, local(2025, 10, 10, 18, 0)), Some(2));
        w.apply(
            &mut o,
            &supervisor(),
            reason("reject", "请继续办理"),
            local(2025, 10, 10, 18, 5),
        )
        .unwrap();
        w.apply(&mut o, &bailou, Action::Start, local(2025, 10, 10, 18, 10))
            .unwrap();
        // Replied: no more supervision.
        let t = w
            .apply(&mut o, &bailou, reply("已修复"), local(2025, 10, 16, 9, 0))
            .unwrap();
        assert_eq!(t.summary, "replied (overdue)");
        assert_eq!(supervise(&o, local(2025, 10, 20, 9, 0)), None);
        // Received but not dispatched: nothing to supervise.
        let fresh = w.order("GD-0013", "streetlight", local(2025, 9, 29, 9, 0));
        assert_eq!(supervise(&fresh, local(2026, 1, 1, 0, 0)), None);
        assert!(!sign_overdue(&fresh, local(2026, 1, 1, 0, 0)));
    }

    #[test]
    fn supervision_across_spring_festival() {
        let w = World::new();
        // pension: 7 working days, dispatched Friday 2025-01-24 15:00:
        // 01-26 (Sun, make-up), 01-27, 02-05, 02-06, 02-07, 02-08 (Sat,
        // make-up), 02-10 → due 02-10 17:30; warn 02-08 17:30.
        let mut o = w.order("GD-0014", "pension", local(2025, 1, 24, 14, 0));
        w.apply(
            &mut o,
            &agent(),
            Action::Dispatch { to: None },
            local(2025, 1, 24, 15, 0),
        )
        .unwrap();
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-02-10 17:30");
        assert_eq!(local_time(o.warn_ms.unwrap()), "2025-02-08 17:30");
        // 02-11, 02-12, 02-13, then more than 3 at 02-14 17:30.
        assert_eq!(local_time(o.escalate_ms.unwrap()), "2025-02-14 17:30");
        let level = |at: i64| supervise(&o, at).map(|s| s.level);
        assert_eq!(level(local(2025, 2, 4, 12, 0)), None);
        assert_eq!(level(local(2025, 2, 8, 17, 30)), Some(1));
        assert_eq!(level(local(2025, 2, 10, 17, 31)), Some(2));
        assert_eq!(level(local(2025, 2, 14, 17, 30)), Some(3));
        // Signing within 24 clock hours.
        assert!(!sign_overdue(&o, local(2025, 1, 25, 15, 0)));
        assert!(sign_overdue(&o, local(2025, 1, 25, 15, 1)));
    }

    #[test]
    fn warning_never_before_dispatch() {
        // A same-day limit: due at 17:30 today, warning clamped to the dispatch.
        let mut cat = catalogue();
        if let Some(e) = cat.entries.get_mut("streetlight") {
            e.time_limit_working_days = 0;
        }
        let cal = Calendar::china();
        let mut o = Order::new(
            new_order("GD-0015", "streetlight", false),
            &agent(),
            local(2025, 9, 29, 9, 0),
            &cat,
        )
        .unwrap();
        apply(
            &mut o,
            &agent(),
            Action::Dispatch { to: None },
            local(2025, 9, 29, 9, 10),
            &cat,
            &cal,
        )
        .unwrap();
        assert_eq!(local_time(o.due_ms.unwrap()), "2025-09-29 17:30");
        assert_eq!(o.warn_ms, Some(local(2025, 9, 29, 9, 10)));
        assert_eq!(
            supervise(&o, local(2025, 9, 29, 9, 10)).map(|s| s.level),
            Some(1)
        );
    }

    #[test]
    fn json_shapes() {
        let a: Action = serde_json::from_str(r#"{"action": "dispatch"}"#).unwrap();
        assert_eq!(a, Action::Dispatch { to: None });
        let a: Action = serde_json::from_str(
            r#"{"action": "request_reassign", "to": "hall-wusi", "reason": "x"}"#,
        )
        .unwrap();
        assert_eq!(a.kind(), ActionKind::RequestReassign);
        let a: Action = serde_json::from_str(r#"{"action": "sign"}"#).unwrap();
        assert_eq!(a, Action::Sign);
        let actor: Actor =
            serde_json::from_str(r#"{"id": "u1", "role": {"unit": "hall-bailou"}}"#).unwrap();
        assert_eq!(
            actor,
            Actor {
                id: "u1".into(),
                role: Role::Unit("hall-bailou".into())
            }
        );
        let actor: Actor = serde_json::from_str(r#"{"id": "a", "role": "agent"}"#).unwrap();
        assert_eq!(actor.role, Role::Agent);
        let e = serde_json::to_value(OrderError::IllegalTransition {
            from: State::InProgress,
            action: ActionKind::Close,
        })
        .unwrap();
        assert_eq!(
            e,
            serde_json::json!({"error": "illegal_transition", "from": "in_progress", "action": "close"})
        );
    }

    // ---- randomized -------------------------------------------------------

    /// The allowed edges, written out independently of the implementation.
    fn edge_allowed(from: State, kind: ActionKind, to: State, resume: Option<State>) -> bool {
        use ActionKind as A;
        use State as S;
        let handling = |s: S| matches!(s, S::Dispatched | S::Signed | S::InProgress);
        match kind {
            A::Dispatch => from == S::Received && to == S::Dispatched,
            A::Sign => from == S::Dispatched && to == S::Signed,
            A::Start => from == S::Signed && to == S::InProgress,
            A::Reply => from == S::InProgress && to == S::Replied,
            A::Close => from == S::Replied && to == S::Closed,
            A::RequestReturn => handling(from) && to == S::Returned,
            A::RequestReassign => handling(from) && to == from,
            A::Approve => {
                (from == S::Returned && to == S::Received)
                    || (handling(from) && to == S::Dispatched)
            }
            A::Reject => {
                (from == S::Returned && Some(to) == resume && handling(to))
                    || (handling(from) && to == from)
            }
            A::Merge => (from == S::Received || handling(from)) && to == S::Merged,
            A::Reopen => matches!(from, S::Replied | S::Closed) && to == S::Dispatched,
        }
    }

    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u64) as usize]
        }
    }

    fn check_structure(o: &Order) {
        use State as S;
        match o.state {
            S::Received => {
                assert_eq!(o.lead, None);
                assert_eq!((o.due_ms, o.dispatched_ms), (None, None));
            }
            S::Merged => assert!(o.merged_into.is_some()),
            _ => {
                assert!(o.lead.is_some());
                let (warn, due, esc) = (
                    o.warn_ms.unwrap(),
                    o.due_ms.unwrap(),
                    o.escalate_ms.unwrap(),
                );
                let dispatched = o.dispatched_ms.unwrap();
                assert!(dispatched <= warn && warn <= due && due < esc, "{o:?}");
                assert!(!o.assisting.contains(o.lead.as_ref().unwrap()));
            }
        }
        match o.state {
            S::Signed | S::InProgress => assert!(o.signed_ms.is_some()),
            S::Dispatched => assert_eq!(o.signed_ms, None),
            S::Replied => assert!(o.replied_ms.is_some() && o.reply.is_some()),
            S::Closed => assert!(o.closed_ms.is_some() && o.replied_ms.is_some()),
            _ => {}
        }
        match &o.pending {
            Some(p) => {
                assert!(matches!(
                    p.resume,
                    S::Dispatched | S::Signed | S::InProgress
                ));
                match p.request {
                    ApprovalRequest::Return => assert_eq!(o.state, S::Returned),
                    ApprovalRequest::Reassign { .. } => assert_eq!(o.state, p.resume),
                }
            }
            None => assert_ne!(o.state, S::Returned),
        }
    }

    #[test]
    fn randomized_sequences_keep_invariants() {
        let w = World::new();
        let mut rng = Lcg(0x1234_5678_9abc_def0);
        let actors = [
            agent(),
            supervisor(),
            admin(),
            unit("hall-bailou"),
            unit("hall-wusi"),
            unit("hall-dongjinzhuang"),
            unit("dept-housing"),
            unit("dept-civil"),
        ];
        let categories = ["streetlight", "housing-subsidy", "pension"];
        let units = [
            "hall-bailou",
            "hall-wusi",
            "hall-dongjinzhuang",
            "dept-housing",
            "dept-civil",
            "nowhere",
        ];
        let texts = ["已处理", "原因说明", "回访满意", "第一行\n第二行"];
        let bad_texts = ["", "  ", "x\u{7}y"];
        let mut now = local(2025, 1, 2, 9, 0);
        let mut orders = 0;
        let mut order = w.order("GD-R0", "streetlight", now);
        let mut applied = 0usize;
        let (mut ok_count, mut err_count) = (0, 0);
        let mut seen = std::collections::BTreeSet::new();
        for step_no in 0..20_000 {
            // Time moves forward by up to 8 hours; now and then it goes back.
            if rng.below(50) == 0 {
                now -= 3_600_000;
            } else {
                now += rng.below(8 * 60) as i64 * 60_000;
            }
            // Half the time an action the state admits, by the actor who may
            // do it (to get far into the lifecycle); otherwise anything by
            // anyone. Only the generation is biased, never the checks.
            const KINDS: [ActionKind; 11] = [
                ActionKind::Dispatch,
                ActionKind::Sign,
                ActionKind::Start,
                ActionKind::Reply,
                ActionKind::Close,
                ActionKind::RequestReturn,
                ActionKind::RequestReassign,
                ActionKind::Approve,
                ActionKind::Reject,
                ActionKind::Merge,
                ActionKind::Reopen,
            ];
            let plausible: Vec<ActionKind> = KINDS
                .iter()
                .copied()
                .filter(|k| match (&order.pending, k) {
                    (Some(_), ActionKind::Approve | ActionKind::Reject) => true,
                    (Some(_), _) => false,
                    (None, k) => k.allowed_from().contains(&order.state),
                })
                .collect();
            let kind = if !plausible.is_empty() && rng.below(2) == 0 {
                *rng.pick(&plausible)
            } else {
                *rng.pick(&KINDS)
            };
            let lead = || match &order.lead {
                Some(l) => unit(l),
                None => agent(),
            };
            let actor = if rng.below(5) == 0 {
                rng.pick(&actors).clone()
            } else {
                match kind {
                    ActionKind::Sign
                    | ActionKind::Start
                    | ActionKind::Reply
                    | ActionKind::RequestReturn => lead(),
                    ActionKind::RequestReassign if rng.below(2) == 0 => lead(),
                    ActionKind::Approve | ActionKind::Reject => supervisor(),
                    ActionKind::Reopen if rng.below(2) == 0 => supervisor(),
                    _ => agent(),
                }
            };
            let text: String = if rng.below(8) == 0 {
                (*rng.pick(&bad_texts)).into()
            } else {
                (*rng.pick(&texts)).into()
            };
            let action = match kind {
                ActionKind::Dispatch => Action::Dispatch {
                    to: if rng.below(3) == 0 {
                        Some(rng.pick(&units).to_string())
                    } else {
                        None
                    },
                },
                ActionKind::Sign => Action::Sign,
                ActionKind::Start => Action::Start,
                ActionKind::Reply => Action::Reply { text },
                ActionKind::Close => Action::Close { resolution: text },
                ActionKind::RequestReturn => Action::RequestReturn { reason: text },
                ActionKind::RequestReassign => Action::RequestReassign {
                    to: rng.pick(&units).to_string(),
                    reason: text,
                },
                ActionKind::Approve => Action::Approve,
                ActionKind::Reject => Action::Reject { reason: text },
                ActionKind::Merge => Action::Merge {
                    into: if rng.below(4) == 0 {
                        order.id.clone()
                    } else {
                        "GD-X".into()
                    },
                },
                ActionKind::Reopen => Action::Reopen { reason: text },
            };
            let kind = action.kind();
            let before = order.clone();
            match w.apply(&mut order, &actor, action, now) {
                Ok(t) => {
                    ok_count += 1;
                    applied += 1;
                    assert!(
                        edge_allowed(
                            before.state,
                            kind,
                            order.state,
                            before.pending.as_ref().map(|p| p.resume)
                        ),
                        "step {step_no}: {:?} --{kind}--> {:?}",
                        before.state,
                        order.state
                    );
                    assert_ne!(before.state, State::Merged);
                    if before.state == State::Closed {
                        assert_eq!(kind, ActionKind::Reopen);
                    }
                    assert_eq!(order.history.last(), Some(&t));
                    assert_eq!(order.history[..order.history.len() - 1], before.history[..]);
                    assert_eq!((t.from, t.to, t.at_ms), (before.state, order.state, now));
                    seen.insert((before.state, kind, order.state));
                }
                Err(_) => {
                    err_count += 1;
                    assert_eq!(
                        order, before,
                        "step {step_no}: refused action changed the order"
                    );
                }
            }
            assert_eq!(order.history.len(), applied);
            check_structure(&order);
            // A finished order: start another, now and then.
            let done =
                order.state == State::Merged || (order.state == State::Closed && rng.below(4) == 0);
            if done {
                orders += 1;
                let category = *rng.pick(&categories);
                order = w.order(&format!("GD-R{orders}"), category, now);
                applied = 0;
            }
        }
        eprintln!("{orders} orders finished, {ok_count} actions applied, {err_count} refused");
        // The walk got everywhere.
        assert!(orders > 50, "only {orders} orders finished");
        assert!(
            ok_count > 2_000 && err_count > 2_000,
            "{ok_count} ok, {err_count} refused"
        );
        let kinds: std::collections::BTreeSet<ActionKind> = seen.iter().map(|e| e.1).collect();
        assert_eq!(kinds.len(), 11, "{kinds:?}");
        for edge in [
            (State::Returned, ActionKind::Approve, State::Received),
            (State::Returned, ActionKind::Reject, State::Signed),
            (State::InProgress, ActionKind::Approve, State::Dispatched),
            (State::Closed, ActionKind::Reopen, State::Dispatched),
            (State::Replied, ActionKind::Reopen, State::Dispatched),
        ] {
            assert!(seen.contains(&edge), "never saw {edge:?}");
        }
    }
}
