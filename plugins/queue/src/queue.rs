//! The hall queue (排队叫号) as a pure, deterministic state machine, free of
//! any binding: the wasm plugin and the native tests run exactly this code.
//!
//! Time is always passed in as `now_ms` (agent clock, ms since the Unix
//! epoch); the local day is computed at UTC+8. Ticket numbers are a
//! category prefix and three digits ("A001"…"A999"), counted per category
//! per local day, and everything of the previous day is dropped on the first
//! operation of a new day.
//!
//! - **Categories** ("5+X"): the five mandatory ones ([`MANDATORY`], prefixes
//!   A-E) and the hall's extra ones (`extra_categories`, prefixes F, G, …
//!   unless given).
//! - **Lanes**: a category's waiting tickets are called green channel
//!   (绿色通道, ID-card holders of `priority_age` or older) first, then
//!   appointments (when `appointment_priority`), then everybody else; within
//!   a lane in line order, which is issue order except for tickets put back
//!   (missed, transferred).
//! - **Missed** (过号): the ticket goes back into the line behind
//!   `requeue_after` waiting tickets of its category (in call order) and
//!   takes the lane of the ticket it is placed behind, so exactly that many
//!   are called before it unless higher lanes arrive later; at the end of
//!   the line (regular lane) when fewer wait, at the very front (green lane)
//!   when `requeue_after` is 0. On its `max_missed`-th miss it is dropped.
//! - **Transfer** (转窗): the ticket keeps its number and goes to the very
//!   front of the other category's line.
//!
//! A window serves its own category and the ones in `serves` (综合窗口
//! serves several); `call_next` takes the best waiting ticket over all of
//! them: lowest lane, then earliest in line.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// The five mandatory categories of the "5+X" layout: id and Chinese name,
/// in prefix order (A to E).
pub const MANDATORY: [(&str, &str); 5] = bantong_hall_kit::catalogue::FIVE;

/// Ticket prefixes of the mandatory categories, in the order of [`MANDATORY`].
const MANDATORY_PREFIXES: [char; 5] = ['A', 'B', 'C', 'D', 'E'];

/// The highest ticket number of a category on one day.
pub const MAX_NUMBER: u16 = 999;

const MAX_NAME_CHARS: usize = 32;
const MAX_ID_CHARS: usize = 32;

pub use bantong_hall_kit::time::{date_of_day, local_day};

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

/// The queue configuration of one hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The hall's windows; at least one, and together they serve every
    /// category.
    pub windows: Vec<WindowSpec>,
    /// The "X" categories of the hall, besides the five of [`MANDATORY`].
    pub extra_categories: Vec<CategorySpec>,
    /// A missed ticket goes back into the line behind this many waiting
    /// tickets of its category.
    pub requeue_after: u32,
    /// On this many misses a ticket is dropped (at least 1).
    pub max_missed: u32,
    /// ID-card holders this old or older take the green channel (0 puts
    /// every ID-card ticket there).
    pub priority_age: u16,
    /// Appointment tickets are called before walk-ins (after the green
    /// channel).
    pub appointment_priority: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            windows: Vec::new(),
            extra_categories: Vec::new(),
            requeue_after: 3,
            max_missed: 2,
            priority_age: 70,
            appointment_priority: true,
        }
    }
}

/// One service window (窗口).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// Window number shown on the screens and announced (1-999).
    pub no: u16,
    /// Display name (1-32 characters).
    pub name: String,
    /// The window's own category.
    pub category: String,
    /// Categories the window calls; empty (the default) means just its own
    /// category, which it serves in any case.
    #[serde(default)]
    pub serves: Vec<String>,
}

impl WindowSpec {
    /// The categories this window calls: its own category first, then
    /// `serves`, without repeats.
    pub fn served(&self) -> Vec<String> {
        let mut out = vec![self.category.clone()];
        for c in &self.serves {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }
}

/// An "X" category declared by the hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategorySpec {
    /// Identifier: 1-32 of `a-z0-9-`, not one of [`MANDATORY`].
    pub id: String,
    /// Chinese name for screens and announcements (1-32 characters);
    /// empty (or absent) takes the district catalogue's name for this id.
    /// The catalogue's name wins when it has one.
    #[serde(default)]
    pub name_zh: String,
    /// Ticket prefix, an uppercase ASCII letter not used by another
    /// category; assigned F, G, … (skipping used letters) when absent.
    #[serde(default)]
    pub prefix: Option<char>,
}

/// A resolved category: mandatory or extra, with its ticket prefix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Identifier, e.g. `health`.
    pub id: String,
    /// Chinese name, e.g. 卫生健康.
    pub name_zh: String,
    /// Ticket prefix, e.g. `C`.
    pub prefix: char,
    /// One of the five of [`MANDATORY`].
    pub mandatory: bool,
}

fn valid_category_id(id: &str) -> bool {
    (1..=MAX_ID_CHARS).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=MAX_NAME_CHARS).contains(&n) && !name.chars().any(char::is_control)
}

impl Config {
    /// Parses a JSON configuration (missing fields take their defaults) and
    /// validates it.
    pub fn from_json(json: &str) -> Result<Config, String> {
        let config: Config =
            serde_json::from_str(json).map_err(|e| format!("invalid queue config: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the configuration; the error names the offending field, e.g.
    /// `windows[2].no: duplicate window number 3`.
    pub fn validate(&self) -> Result<(), String> {
        match self.resolve().1.into_iter().next() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// All categories, mandatory first, with their prefixes; a category
    /// whose prefix cannot be resolved is left out ([`Config::validate`]
    /// reports it).
    pub fn categories(&self) -> Vec<Category> {
        self.resolve().0
    }

    /// The categories and every problem found, in field order.
    fn resolve(&self) -> (Vec<Category>, Vec<String>) {
        let mut errors = Vec::new();
        let mut categories: Vec<Category> = MANDATORY
            .iter()
            .zip(MANDATORY_PREFIXES)
            .map(|(&(id, name_zh), prefix)| Category {
                id: id.to_owned(),
                name_zh: name_zh.to_owned(),
                prefix,
                mandatory: true,
            })
            .collect();

        // Extra categories: ids, names and explicit prefixes first, so that
        // automatic prefixes skip every letter given explicitly.
        let mut used: BTreeMap<char, String> = categories
            .iter()
            .map(|c| (c.prefix, c.id.clone()))
            .collect();
        let mut pending: Vec<(usize, &CategorySpec)> = Vec::new();
        let mut extras: Vec<(usize, Category)> = Vec::new();
        for (i, spec) in self.extra_categories.iter().enumerate() {
            let at = format!("extra_categories[{i}]");
            if !valid_category_id(&spec.id) {
                errors.push(format!(
                    "{at}.id: {:?} must be 1-32 characters of a-z, 0-9 and -",
                    spec.id
                ));
                continue;
            }
            if let Some((_, zh)) = MANDATORY.iter().find(|(id, _)| *id == spec.id) {
                errors.push(format!(
                    "{at}.id: {} ({zh}) is a mandatory category, do not declare it",
                    spec.id
                ));
                continue;
            }
            if self
                .extra_categories
                .iter()
                .take(i)
                .any(|c| c.id == spec.id)
            {
                errors.push(format!("{at}.id: duplicate category {}", spec.id));
                continue;
            }
            // Empty: the name comes from the district's catalogue.
            if !spec.name_zh.is_empty() && !valid_name(&spec.name_zh) {
                errors.push(format!("{at}.name_zh: must be 1-32 characters"));
            }
            match spec.prefix {
                None => pending.push((i, spec)),
                Some(p) if !p.is_ascii_uppercase() => {
                    errors.push(format!(
                        "{at}.prefix: {p:?} must be an uppercase letter A-Z"
                    ));
                }
                Some(p) => {
                    if let Some(owner) = used.get(&p) {
                        errors.push(format!("{at}.prefix: {p} is already used by {owner}"));
                    } else {
                        used.insert(p, spec.id.clone());
                        extras.push((i, extra(spec, p)));
                    }
                }
            }
        }
        let mut letters = ('F'..='Z').filter(|c| !used.contains_key(c));
        for (i, spec) in pending {
            match letters.next() {
                Some(p) => extras.push((i, extra(spec, p))),
                None => errors.push(format!(
                    "extra_categories[{i}].prefix: no free prefix letter left, give one explicitly"
                )),
            }
        }
        extras.sort_by_key(|(i, _)| *i);
        categories.extend(extras.into_iter().map(|(_, c)| c));
        let known = |id: &str| {
            categories.iter().any(|c| c.id == id)
                || self.extra_categories.iter().any(|c| c.id == id)
        };

        if self.windows.is_empty() {
            errors.push("windows: at least one window is required".to_owned());
        }
        for (i, w) in self.windows.iter().enumerate() {
            let at = format!("windows[{i}]");
            if !(1..=999).contains(&w.no) {
                errors.push(format!("{at}.no: {} is not a window number 1-999", w.no));
            } else if self.windows.iter().take(i).any(|o| o.no == w.no) {
                errors.push(format!("{at}.no: duplicate window number {}", w.no));
            }
            if !valid_name(&w.name) {
                errors.push(format!("{at}.name: must be 1-32 characters"));
            }
            if !known(&w.category) {
                errors.push(format!(
                    "{at}.category: unknown category {:?} (not mandatory, not in extra_categories)",
                    w.category
                ));
            }
            for (j, c) in w.serves.iter().enumerate() {
                if !known(c) {
                    errors.push(format!(
                        "{at}.serves[{j}]: unknown category {c:?} (not mandatory, not in extra_categories)"
                    ));
                }
            }
        }
        let served = |id: &str| {
            self.windows
                .iter()
                .any(|w| w.served().iter().any(|c| c == id))
        };
        for (id, zh) in MANDATORY {
            if !served(id) {
                errors.push(format!(
                    "5+X: no window serves the mandatory category {id} ({zh})"
                ));
            }
        }
        for (i, spec) in self.extra_categories.iter().enumerate() {
            if valid_category_id(&spec.id) && !served(&spec.id) {
                errors.push(format!(
                    "extra_categories[{i}].id: no window serves the category {}",
                    spec.id
                ));
            }
        }
        if self.max_missed == 0 {
            errors.push("max_missed: must be at least 1".to_owned());
        }
        (categories, errors)
    }
}

fn extra(spec: &CategorySpec, prefix: char) -> Category {
    Category {
        id: spec.id.clone(),
        // Until the catalogue names it, an unnamed category shows its id.
        name_zh: if spec.name_zh.is_empty() {
            spec.id.clone()
        } else {
            spec.name_zh.clone()
        },
        prefix,
        mandatory: false,
    }
}

// ---------------------------------------------------------------------------
// Tickets and results
// ---------------------------------------------------------------------------

/// How a ticket was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Taken with an ID card; the agent masks the number before it gets here
    /// (e.g. `130602********1234`); `age` comes from the birth date on it.
    IdCard {
        /// The masked ID number (1-32 characters, never a full number).
        masked_id: String,
        /// Age in years.
        age: u16,
    },
    /// Taken with an appointment (预约) code: 4-32 of `A-Z`, `0-9`, `-`.
    Appointment {
        /// The appointment code.
        code: String,
    },
    /// Taken at the dispenser without identification.
    WalkIn,
}

impl Source {
    /// The kind, without personal data.
    pub fn kind(&self) -> SourceKind {
        match self {
            Source::IdCard { .. } => SourceKind::IdCard,
            Source::Appointment { .. } => SourceKind::Appointment,
            Source::WalkIn => SourceKind::WalkIn,
        }
    }
}

/// The kind of a [`Source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// ID card.
    IdCard,
    /// Appointment code.
    Appointment,
    /// Walk-in.
    WalkIn,
}

/// Calling priority inside a category; lower is called first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// Green channel (绿色通道), and tickets put at the front.
    Green,
    /// Appointments (when `appointment_priority`).
    Appointment,
    /// Everybody else.
    Regular,
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// In the waiting line (已取号).
    Waiting,
    /// Called to a window (已叫号).
    Called,
    /// The person arrived at the window (办理中).
    Serving,
    /// Finished (办结); final.
    Done,
    /// Dropped after `max_missed` misses (过号); final.
    Missed,
    /// Cancelled while waiting (取消); final.
    Cancelled,
}

/// A ticket (号).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Prefix and three digits, e.g. `A012`; unique per local day.
    pub number: String,
    /// Current category (changes on transfer).
    pub category: String,
    /// The category the ticket was issued for.
    pub issued_category: String,
    /// Local date of issue (UTC+8), `YYYY-MM-DD`.
    pub day: String,
    /// How the ticket was taken.
    pub source: SourceKind,
    /// The masked ID number for ID-card tickets.
    pub masked_id: Option<String>,
    /// The appointment code for appointment tickets.
    pub appointment_code: Option<String>,
    /// Issued into the green channel.
    pub green_channel: bool,
    /// Current calling lane.
    pub lane: Lane,
    /// Current state.
    pub state: TicketState,
    /// When it was issued.
    pub issued_ms: i64,
    /// The first time it was called (for the wait time).
    pub first_called_ms: Option<i64>,
    /// The current call (cleared when the ticket goes back into a line).
    pub called_ms: Option<i64>,
    /// When the person arrived at the window for the current call.
    pub started_ms: Option<i64>,
    /// When it reached a final state.
    pub ended_ms: Option<i64>,
    /// The window it is called to or served at.
    pub window: Option<u16>,
    /// Recalls (重呼) over its whole life.
    pub recalls: u32,
    /// Misses (过号) so far.
    pub missed: u32,
    /// Transfers (转窗) so far.
    pub transfers: u32,
}

/// A call (叫号) for the screens and the voice announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Ticket number.
    pub number: String,
    /// The ticket's category.
    pub category: String,
    /// Window number.
    pub window: u16,
    /// Window name.
    pub window_name: String,
    /// Text for TTS and screens, e.g. `请 A012 号到 3 号窗口办理`.
    pub announcement: String,
    /// 0 for the call itself, n for its n-th recall (重呼).
    pub recall: u32,
    /// The ticket is in the green channel.
    pub green_channel: bool,
    /// The staff member signed in at the window (窗口签到), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    /// When this call (or recall) was made.
    pub at_ms: i64,
}

/// The result of [`Queue::missed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum MissOutcome {
    /// Back in the line.
    Requeued {
        /// Ticket number.
        number: String,
        /// Category.
        category: String,
        /// Misses so far.
        missed: u32,
        /// Waiting tickets of the category ahead of it now.
        ahead: u32,
    },
    /// Reached `max_missed`: dropped (state [`TicketState::Missed`]).
    Dropped {
        /// Ticket number.
        number: String,
        /// Category.
        category: String,
        /// Misses, equal to `max_missed`.
        missed: u32,
    },
}

/// A finished service (办结), for the rating step (好差评) and statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished {
    /// Ticket number.
    pub number: String,
    /// Category at the finishing window.
    pub category: String,
    /// Window number.
    pub window: u16,
    /// Window name.
    pub window_name: String,
    /// The service item (事项): the category for now.
    pub service_item: String,
    /// Issue to first call.
    pub wait_ms: i64,
    /// Start (or the call, without a start) to finish, at this window.
    pub service_ms: i64,
    /// The masked ID number for ID-card tickets.
    pub masked_id: Option<String>,
    /// How the ticket was taken.
    pub source: SourceKind,
    /// Recalls over the ticket's life.
    pub recalls: u32,
    /// Misses over the ticket's life.
    pub missed: u32,
    /// Transfers over the ticket's life.
    pub transfers: u32,
    /// The staff member signed in at the finishing window, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    /// The case number (办件编号): the approval system's, when the window
    /// gave it, else `BJ` + the local date + the ticket number + the local
    /// finishing time (`BJ20261206A012-093015`): unique in the hall even
    /// when numbering restarts after the agent does.
    pub case_no: String,
    /// When it finished.
    pub finished_ms: i64,
}

/// What a window is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStatus {
    /// Nothing called, not paused.
    Idle,
    /// Paused (暂停) and nothing called.
    Paused,
    /// A ticket is called, the person has not arrived.
    Called,
    /// A ticket is being served.
    Serving,
}

/// The queue's state for screens and dashboards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Local date (UTC+8) the figures are for.
    pub day: String,
    /// The instant of the snapshot.
    pub at_ms: i64,
    /// Per category, mandatory first.
    pub categories: Vec<CategorySnapshot>,
    /// Per window, in configuration order.
    pub windows: Vec<WindowSnapshot>,
    /// Today's totals.
    pub totals: Totals,
}

/// One category in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategorySnapshot {
    /// Category id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// Ticket prefix.
    pub prefix: char,
    /// Tickets waiting.
    pub waiting: u32,
    /// Longest wait of a waiting ticket since its issue, whole seconds.
    pub longest_wait_s: u64,
    /// Numbers issued today.
    pub issued: u32,
}

/// One window in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowSnapshot {
    /// Window number.
    pub no: u16,
    /// Window name.
    pub name: String,
    /// The window's own category.
    pub category: String,
    /// What it is doing (a called or served ticket shows over a pause).
    pub state: WindowStatus,
    /// Paused, whatever it is doing.
    pub paused: bool,
    /// The ticket called or served.
    pub current: Option<String>,
    /// The staff member signed in at the window, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    /// Calls today (recalls not counted).
    pub calls: u32,
    /// Tickets finished today.
    pub served: u32,
}

/// Today's totals in a [`Snapshot`]; `served + missed + cancelled +
/// waiting + active == issued`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Tickets issued.
    pub issued: u32,
    /// Tickets finished.
    pub served: u32,
    /// Tickets dropped after `max_missed` misses.
    pub missed: u32,
    /// Tickets cancelled.
    pub cancelled: u32,
    /// Tickets waiting.
    pub waiting: u32,
    /// Tickets called or being served.
    pub active: u32,
    /// Misses (过号 events), including those requeued.
    pub miss_events: u32,
    /// Mean issue-to-first-call wait of the finished tickets, rounded to
    /// whole seconds; none before the first finish.
    pub avg_wait_s: Option<u64>,
}

/// Why an operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum QueueError {
    /// No such category in the configuration.
    UnknownCategory {
        /// The id asked for.
        category: String,
    },
    /// No such window in the configuration.
    UnknownWindow {
        /// The number asked for.
        window: u16,
    },
    /// The window already has a called or served ticket.
    Busy {
        /// Window number.
        window: u16,
        /// Its current ticket.
        number: String,
    },
    /// The window has no called (or, for finish and transfer, served) ticket.
    NothingCalled {
        /// Window number.
        window: u16,
    },
    /// The window's ticket is already being served (no recall, start, miss).
    AlreadyServing {
        /// Window number.
        window: u16,
        /// Its current ticket.
        number: String,
    },
    /// The category issued all its numbers today.
    DayFull {
        /// Category id.
        category: String,
    },
    /// This ID card already holds a waiting ticket in the category.
    AlreadyWaiting {
        /// The waiting ticket.
        number: String,
        /// Its category.
        category: String,
    },
    /// The appointment code was already used today.
    AppointmentUsed {
        /// The code.
        code: String,
    },
    /// No waiting ticket with this number today.
    TicketNotFound {
        /// The number asked for.
        number: String,
    },
    /// The window is paused.
    Paused {
        /// Window number.
        window: u16,
    },
    /// A malformed appointment code or masked ID.
    InvalidSource {
        /// What is wrong.
        reason: String,
    },
    /// A staff id or case number that is empty, too long or not
    /// `[A-Za-z0-9._-]`.
    InvalidId {
        /// `staff` or `case_no`.
        field: String,
        /// The text given.
        value: String,
    },
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::UnknownCategory { category } => {
                write!(f, "unknown category {category:?}")
            }
            QueueError::UnknownWindow { window } => write!(f, "unknown window {window}"),
            QueueError::Busy { window, number } => {
                write!(f, "window {window} is busy with ticket {number}")
            }
            QueueError::NothingCalled { window } => {
                write!(f, "nothing is called at window {window}")
            }
            QueueError::AlreadyServing { window, number } => {
                write!(f, "window {window} is already serving ticket {number}")
            }
            QueueError::DayFull { category } => write!(
                f,
                "category {category:?} has issued all {MAX_NUMBER} numbers for today"
            ),
            QueueError::AlreadyWaiting { number, category } => write!(
                f,
                "this ID card already holds waiting ticket {number} in category {category:?}"
            ),
            QueueError::AppointmentUsed { code } => {
                write!(f, "appointment code {code} was already used today")
            }
            QueueError::TicketNotFound { number } => {
                write!(f, "no waiting ticket {number:?} today")
            }
            QueueError::Paused { window } => write!(f, "window {window} is paused"),
            QueueError::InvalidSource { reason } => f.write_str(reason),
            QueueError::InvalidId { field, value } => write!(
                f,
                "{field} {value:?} must be 1-40 characters of A-Z, a-z, 0-9, '.', '_' and '-'"
            ),
        }
    }
}

impl std::error::Error for QueueError {}

/// Staff ids and case numbers: 1-40 characters of `[A-Za-z0-9._-]`.
fn check_id(field: &str, value: &str) -> Result<(), QueueError> {
    let ok = (1..=40).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(QueueError::InvalidId {
            field: field.to_owned(),
            value: value.chars().take(64).collect(),
        })
    }
}

fn check_source(source: &Source) -> Result<(), QueueError> {
    let invalid = |reason: String| Err(QueueError::InvalidSource { reason });
    match source {
        Source::IdCard { masked_id, .. } => {
            let n = masked_id.chars().count();
            if !(1..=MAX_ID_CHARS).contains(&n) || masked_id.chars().any(char::is_control) {
                return invalid("masked_id: must be 1-32 characters".to_owned());
            }
            // A complete resident ID number (18 characters, or the old 15
            // digits) must never reach the queue: the agent masks it.
            let b = masked_id.as_bytes();
            let full = match b.split_last() {
                Some((last, head)) if b.len() == 18 => {
                    head.iter().all(u8::is_ascii_digit)
                        && (last.is_ascii_digit() || *last == b'X' || *last == b'x')
                }
                _ => b.len() == 15 && b.iter().all(u8::is_ascii_digit),
            };
            if full {
                return invalid("masked_id: a full ID number, mask it first".to_owned());
            }
            Ok(())
        }
        Source::Appointment { code } => {
            let ok = (4..=32).contains(&code.len())
                && code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
            if ok {
                Ok(())
            } else {
                invalid(format!(
                    "appointment code {code:?} must be 4-32 characters of A-Z, 0-9 and -"
                ))
            }
        }
        Source::WalkIn => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The queue
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct WindowSlot {
    no: u16,
    name: String,
    category: String,
    serves: Vec<String>,
    paused: bool,
    /// Index into `Queue::tickets` of the called or served ticket.
    current: Option<usize>,
    /// Recalls of the current call.
    call_recalls: u32,
    calls: u32,
    served: u32,
    /// Who is signed in at the window.
    staff: Option<String>,
}

#[derive(Debug)]
struct CategorySlot {
    category: Category,
    /// Numbers issued today.
    issued: u16,
}

/// The queue of one hall.
#[derive(Debug)]
pub struct Queue {
    config: Config,
    categories: Vec<CategorySlot>,
    windows: Vec<WindowSlot>,
    /// The current local day; `i64::MIN` before the first operation.
    day: i64,
    date: String,
    /// Today's tickets, in issue order.
    tickets: Vec<Ticket>,
    by_number: BTreeMap<String, usize>,
    /// Waiting tickets (indices into `tickets`) in line order.
    line: Vec<usize>,
    codes: BTreeSet<String>,
    miss_events: u32,
    /// Service item code → category, from the district's catalogue.
    items: BTreeMap<String, String>,
}

impl Queue {
    /// A queue for `config`, which should have passed
    /// [`Config::validate`]; with an invalid one the queue still works over
    /// the valid parts (the first of duplicate window numbers wins, unknown
    /// categories are never served).
    pub fn new(config: Config) -> Queue {
        let categories = config
            .categories()
            .into_iter()
            .map(|category| CategorySlot {
                category,
                issued: 0,
            })
            .collect();
        let mut windows: Vec<WindowSlot> = Vec::new();
        for w in &config.windows {
            if windows.iter().any(|o| o.no == w.no) {
                continue;
            }
            windows.push(WindowSlot {
                no: w.no,
                name: w.name.clone(),
                category: w.category.clone(),
                serves: w.served(),
                paused: false,
                current: None,
                call_recalls: 0,
                calls: 0,
                served: 0,
                staff: None,
            });
        }
        Queue {
            config,
            categories,
            windows,
            day: i64::MIN,
            date: String::new(),
            tickets: Vec::new(),
            by_number: BTreeMap::new(),
            line: Vec::new(),
            codes: BTreeSet::new(),
            miss_events: 0,
            items: BTreeMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Takes the names of the "X" categories from the district's
    /// catalogue (the district's name wins over the hall config's) and
    /// which category each service item is queued in, for tickets taken
    /// for an item ([`Queue::category_of_item`]).
    pub fn use_catalogue(&mut self, catalogue: &bantong_hall_kit::catalogue::Catalogue) {
        for slot in &mut self.categories {
            if let Some(name) = catalogue.category_name(&slot.category.id) {
                slot.category.name_zh = name.chars().take(MAX_NAME_CHARS).collect();
            }
        }
        self.items = catalogue
            .items
            .iter()
            .map(|i| (i.code.clone(), i.category.clone()))
            .collect();
    }

    /// The category a service item (by 事项编码) is queued in, when the
    /// catalogue has the item and this hall serves its category.
    pub fn category_of_item(&self, code: &str) -> Option<&str> {
        let category = self.items.get(code)?;
        self.categories
            .iter()
            .any(|c| &c.category.id == category)
            .then_some(category.as_str())
    }

    /// All categories with their prefixes, mandatory first.
    pub fn categories(&self) -> Vec<&Category> {
        self.categories.iter().map(|c| &c.category).collect()
    }

    /// Today's tickets in issue order (as of the last operation).
    pub fn tickets(&self) -> &[Ticket] {
        &self.tickets
    }

    /// A ticket of today by number.
    pub fn ticket(&self, number: &str) -> Option<&Ticket> {
        self.by_number
            .get(number)
            .and_then(|&i| self.tickets.get(i))
    }

    /// The waiting tickets of a category in the order they would be called.
    pub fn waiting(&self, category: &str) -> Vec<&Ticket> {
        let mut out: Vec<(Lane, usize, &Ticket)> = self
            .line
            .iter()
            .enumerate()
            .filter_map(|(pos, &id)| self.tickets.get(id).map(|t| (t.lane, pos, t)))
            .filter(|(_, _, t)| t.category == category)
            .collect();
        out.sort_by_key(|&(lane, pos, _)| (lane, pos));
        out.into_iter().map(|(_, _, t)| t).collect()
    }

    /// The ticket called or served at a window.
    pub fn current(&self, window: u16) -> Option<&Ticket> {
        self.windows
            .iter()
            .find(|w| w.no == window)
            .and_then(|w| w.current)
            .and_then(|i| self.tickets.get(i))
    }

    /// Starts a new day when `now_ms` is on a later local day than the
    /// current one: numbers restart at 001, waiting and called tickets of
    /// the old day are dropped, windows become idle (pauses stay). A clock
    /// going back never returns to an earlier day.
    fn roll(&mut self, now_ms: i64) {
        let day = local_day(now_ms);
        if day <= self.day {
            return;
        }
        self.day = day;
        self.date = date_of_day(day);
        self.tickets.clear();
        self.by_number.clear();
        self.line.clear();
        self.codes.clear();
        self.miss_events = 0;
        for c in &mut self.categories {
            c.issued = 0;
        }
        for w in &mut self.windows {
            w.current = None;
            w.call_recalls = 0;
            w.calls = 0;
            w.served = 0;
        }
    }

    fn window_index(&self, window: u16) -> Result<usize, QueueError> {
        self.windows
            .iter()
            .position(|w| w.no == window)
            .ok_or(QueueError::UnknownWindow { window })
    }

    fn category_index(&self, category: &str) -> Result<usize, QueueError> {
        self.categories
            .iter()
            .position(|c| c.category.id == category)
            .ok_or_else(|| QueueError::UnknownCategory {
                category: category.to_owned(),
            })
    }

    /// A waiting ticket of `category` held by `masked_id`, if any.
    fn waiting_with_id(&self, category: &str, masked_id: &str) -> Option<&Ticket> {
        self.line
            .iter()
            .filter_map(|&i| self.tickets.get(i))
            .find(|t| t.category == category && t.masked_id.as_deref() == Some(masked_id))
    }

    /// Issues a ticket (取号) for `category`.
    pub fn issue(
        &mut self,
        category: &str,
        source: Source,
        now_ms: i64,
    ) -> Result<Ticket, QueueError> {
        self.roll(now_ms);
        let ci = self.category_index(category)?;
        check_source(&source)?;
        match &source {
            Source::IdCard { masked_id, .. } => {
                if let Some(t) = self.waiting_with_id(category, masked_id) {
                    return Err(QueueError::AlreadyWaiting {
                        number: t.number.clone(),
                        category: t.category.clone(),
                    });
                }
            }
            Source::Appointment { code } if self.codes.contains(code) => {
                return Err(QueueError::AppointmentUsed { code: code.clone() });
            }
            _ => {}
        }
        let Some(slot) = self.categories.get_mut(ci) else {
            return Err(QueueError::UnknownCategory {
                category: category.to_owned(),
            });
        };
        if slot.issued >= MAX_NUMBER {
            return Err(QueueError::DayFull {
                category: category.to_owned(),
            });
        }
        slot.issued += 1;
        let number = format!("{}{:03}", slot.category.prefix, slot.issued);
        let lane = match &source {
            Source::IdCard { age, .. } if *age >= self.config.priority_age => Lane::Green,
            Source::Appointment { .. } if self.config.appointment_priority => Lane::Appointment,
            _ => Lane::Regular,
        };
        let kind = source.kind();
        let (masked_id, appointment_code) = match source {
            Source::IdCard { masked_id, .. } => (Some(masked_id), None),
            Source::Appointment { code } => {
                self.codes.insert(code.clone());
                (None, Some(code))
            }
            Source::WalkIn => (None, None),
        };
        let ticket = Ticket {
            number: number.clone(),
            category: category.to_owned(),
            issued_category: category.to_owned(),
            day: self.date.clone(),
            source: kind,
            masked_id,
            appointment_code,
            green_channel: lane == Lane::Green,
            lane,
            state: TicketState::Waiting,
            issued_ms: now_ms,
            first_called_ms: None,
            called_ms: None,
            started_ms: None,
            ended_ms: None,
            window: None,
            recalls: 0,
            missed: 0,
            transfers: 0,
        };
        let id = self.tickets.len();
        self.tickets.push(ticket.clone());
        self.by_number.insert(number, id);
        self.line.push(id);
        Ok(ticket)
    }

    fn announce(&self, w: usize, now_ms: i64) -> Option<Call> {
        let slot = self.windows.get(w)?;
        let t = self.tickets.get(slot.current?)?;
        Some(Call {
            number: t.number.clone(),
            category: t.category.clone(),
            window: slot.no,
            window_name: slot.name.clone(),
            announcement: format!("请 {} 号到 {} 号窗口办理", t.number, slot.no),
            recall: slot.call_recalls,
            green_channel: t.green_channel,
            staff: slot.staff.clone(),
            at_ms: now_ms,
        })
    }

    /// Calls (叫号) the next ticket for `window`: among waiting tickets of
    /// the categories it serves, the lowest lane, then the earliest in line.
    /// `Ok(None)` when nobody waits for it.
    pub fn call_next(&mut self, window: u16, now_ms: i64) -> Result<Option<Call>, QueueError> {
        self.roll(now_ms);
        let w = self.window_index(window)?;
        let Some(slot) = self.windows.get(w) else {
            return Err(QueueError::UnknownWindow { window });
        };
        if let Some(t) = slot.current.and_then(|i| self.tickets.get(i)) {
            return Err(QueueError::Busy {
                window,
                number: t.number.clone(),
            });
        }
        if slot.paused {
            return Err(QueueError::Paused { window });
        }
        let mut best: Option<(Lane, usize)> = None;
        for (pos, &id) in self.line.iter().enumerate() {
            let Some(t) = self.tickets.get(id) else {
                continue;
            };
            if slot.serves.contains(&t.category) && best.is_none_or(|(lane, _)| t.lane < lane) {
                best = Some((t.lane, pos));
            }
        }
        let Some((_, pos)) = best else {
            return Ok(None);
        };
        let id = self.line.remove(pos);
        if let Some(t) = self.tickets.get_mut(id) {
            t.state = TicketState::Called;
            t.window = Some(window);
            t.called_ms = Some(now_ms);
            t.started_ms = None;
            t.first_called_ms.get_or_insert(now_ms);
        }
        if let Some(slot) = self.windows.get_mut(w) {
            slot.current = Some(id);
            slot.call_recalls = 0;
            slot.calls = slot.calls.saturating_add(1);
        }
        Ok(self.announce(w, now_ms))
    }

    /// The window and its current ticket, which must be in one of `states`
    /// (else [`QueueError::NothingCalled`], or
    /// [`QueueError::AlreadyServing`] for a served one).
    fn active(
        &mut self,
        window: u16,
        now_ms: i64,
        states: &[TicketState],
    ) -> Result<(usize, usize), QueueError> {
        self.roll(now_ms);
        let w = self.window_index(window)?;
        let current = self.windows.get(w).and_then(|s| s.current);
        let Some((id, t)) = current.and_then(|i| self.tickets.get(i).map(|t| (i, t))) else {
            return Err(QueueError::NothingCalled { window });
        };
        if states.contains(&t.state) {
            Ok((w, id))
        } else if t.state == TicketState::Serving {
            Err(QueueError::AlreadyServing {
                window,
                number: t.number.clone(),
            })
        } else {
            Err(QueueError::NothingCalled { window })
        }
    }

    /// Frees the window and returns its slot.
    fn release(&mut self, w: usize) -> Option<&mut WindowSlot> {
        let slot = self.windows.get_mut(w)?;
        slot.current = None;
        slot.call_recalls = 0;
        Some(slot)
    }

    /// Calls the window's ticket again (重呼); counts the recall.
    pub fn recall(&mut self, window: u16, now_ms: i64) -> Result<Call, QueueError> {
        let (w, id) = self.active(window, now_ms, &[TicketState::Called])?;
        if let Some(t) = self.tickets.get_mut(id) {
            t.recalls = t.recalls.saturating_add(1);
        }
        if let Some(slot) = self.windows.get_mut(w) {
            slot.call_recalls = slot.call_recalls.saturating_add(1);
        }
        self.announce(w, now_ms)
            .ok_or(QueueError::NothingCalled { window })
    }

    /// The called person arrived: the ticket is being served (办理中).
    pub fn start(&mut self, window: u16, now_ms: i64) -> Result<Ticket, QueueError> {
        let (_, id) = self.active(window, now_ms, &[TicketState::Called])?;
        let t = self
            .tickets
            .get_mut(id)
            .ok_or(QueueError::NothingCalled { window })?;
        t.state = TicketState::Serving;
        t.started_ms = Some(now_ms);
        Ok(t.clone())
    }

    /// The called person did not come (过号): the ticket goes back into the
    /// line behind `requeue_after` waiting tickets of its category, or is
    /// dropped on its `max_missed`-th miss. The window becomes free.
    pub fn missed(&mut self, window: u16, now_ms: i64) -> Result<MissOutcome, QueueError> {
        let (w, id) = self.active(window, now_ms, &[TicketState::Called])?;
        self.release(w);
        self.miss_events = self.miss_events.saturating_add(1);
        let max_missed = self.config.max_missed;
        let requeue_after = self.config.requeue_after;
        let Some(t) = self.tickets.get_mut(id) else {
            return Err(QueueError::NothingCalled { window });
        };
        t.missed = t.missed.saturating_add(1);
        t.window = None;
        t.called_ms = None;
        t.started_ms = None;
        let (number, category, missed) = (t.number.clone(), t.category.clone(), t.missed);
        if missed >= max_missed {
            t.state = TicketState::Missed;
            t.ended_ms = Some(now_ms);
            return Ok(MissOutcome::Dropped {
                number,
                category,
                missed,
            });
        }
        t.state = TicketState::Waiting;

        // The category's waiting tickets in call order, as (lane, line pos).
        let mut ahead: Vec<(Lane, usize)> = self
            .line
            .iter()
            .enumerate()
            .filter_map(|(pos, &i)| self.tickets.get(i).map(|t| (t, pos)))
            .filter(|(t, _)| t.category == category)
            .map(|(t, pos)| (t.lane, pos))
            .collect();
        ahead.sort_unstable();
        let n = usize::try_from(requeue_after).unwrap_or(usize::MAX);
        let (lane, at, count) = if n == 0 {
            (Lane::Green, 0, 0)
        } else if let Some(&(lane, pos)) = ahead.get(n - 1) {
            (lane, pos + 1, n)
        } else {
            (Lane::Regular, self.line.len(), ahead.len())
        };
        if let Some(t) = self.tickets.get_mut(id) {
            t.lane = lane;
        }
        self.line.insert(at, id);
        Ok(MissOutcome::Requeued {
            number,
            category,
            missed,
            ahead: u32::try_from(count).unwrap_or(u32::MAX),
        })
    }

    /// Service finished (办结): the ticket is done and the window free;
    /// the case number is made from the date and the ticket number.
    pub fn finish(&mut self, window: u16, now_ms: i64) -> Result<Finished, QueueError> {
        self.finish_case(window, None, now_ms)
    }

    /// [`Queue::finish`] with the case number (办件编号) the approval system
    /// gave, when the window has one.
    pub fn finish_case(
        &mut self,
        window: u16,
        case_no: Option<&str>,
        now_ms: i64,
    ) -> Result<Finished, QueueError> {
        if let Some(c) = case_no {
            check_id("case_no", c)?;
        }
        let (w, id) = self.active(window, now_ms, &[TicketState::Called, TicketState::Serving])?;
        let (window_name, staff) = match self.release(w) {
            Some(slot) => {
                slot.served = slot.served.saturating_add(1);
                (slot.name.clone(), slot.staff.clone())
            }
            None => (String::new(), None),
        };
        let date: String = self.date.chars().filter(char::is_ascii_digit).collect();
        let t = self
            .tickets
            .get_mut(id)
            .ok_or(QueueError::NothingCalled { window })?;
        t.state = TicketState::Done;
        t.ended_ms = Some(now_ms);
        let first = t.first_called_ms.unwrap_or(now_ms);
        let from = t.started_ms.or(t.called_ms).unwrap_or(now_ms);
        Ok(Finished {
            number: t.number.clone(),
            category: t.category.clone(),
            window,
            window_name,
            service_item: t.category.clone(),
            wait_ms: first.saturating_sub(t.issued_ms).max(0),
            service_ms: now_ms.saturating_sub(from).max(0),
            masked_id: t.masked_id.clone(),
            source: t.source,
            recalls: t.recalls,
            missed: t.missed,
            transfers: t.transfers,
            staff,
            case_no: case_no.map_or_else(
                || {
                    let secs = now_ms
                        .saturating_add(bantong_hall_kit::time::OFFSET_MS)
                        .rem_euclid(86_400_000)
                        / 1_000;
                    format!(
                        "BJ{date}{}-{:02}{:02}{:02}",
                        t.number,
                        secs / 3_600,
                        secs % 3_600 / 60,
                        secs % 60
                    )
                },
                str::to_owned,
            ),
            finished_ms: now_ms,
        })
    }

    /// A staff member signs in at a window (窗口签到): calls and finished
    /// services there carry their id until they sign out. Signing in at a
    /// second window signs them out of the first, whose number is answered.
    pub fn sign_in(&mut self, window: u16, staff: &str) -> Result<Option<u16>, QueueError> {
        check_id("staff", staff)?;
        let w = self.window_index(window)?;
        let mut left = None;
        for (i, slot) in self.windows.iter_mut().enumerate() {
            if i != w && slot.staff.as_deref() == Some(staff) {
                slot.staff = None;
                left = Some(slot.no);
            }
        }
        if let Some(slot) = self.windows.get_mut(w) {
            slot.staff = Some(staff.to_owned());
        }
        Ok(left)
    }

    /// Whoever is signed in at the window signs out; answers who it was.
    pub fn sign_out(&mut self, window: u16) -> Result<Option<String>, QueueError> {
        let w = self.window_index(window)?;
        Ok(self.windows.get_mut(w).and_then(|slot| slot.staff.take()))
    }

    /// Transfers (转窗) the window's called or served ticket to the very
    /// front of `to_category`'s line, keeping its number; the window
    /// becomes free.
    pub fn transfer(
        &mut self,
        window: u16,
        to_category: &str,
        now_ms: i64,
    ) -> Result<Ticket, QueueError> {
        let (w, id) = self.active(window, now_ms, &[TicketState::Called, TicketState::Serving])?;
        self.category_index(to_category)?;
        let masked = self.tickets.get(id).and_then(|t| t.masked_id.clone());
        if let Some(other) = masked.and_then(|m| self.waiting_with_id(to_category, &m)) {
            return Err(QueueError::AlreadyWaiting {
                number: other.number.clone(),
                category: other.category.clone(),
            });
        }
        self.release(w);
        let t = self
            .tickets
            .get_mut(id)
            .ok_or(QueueError::NothingCalled { window })?;
        t.category = to_category.to_owned();
        t.lane = Lane::Green;
        t.state = TicketState::Waiting;
        t.window = None;
        t.called_ms = None;
        t.started_ms = None;
        t.transfers = t.transfers.saturating_add(1);
        let ticket = t.clone();
        self.line.insert(0, id);
        Ok(ticket)
    }

    /// Cancels a waiting ticket (取消), e.g. the person left.
    pub fn cancel(&mut self, number: &str, now_ms: i64) -> Result<Ticket, QueueError> {
        self.roll(now_ms);
        let not_found = || QueueError::TicketNotFound {
            number: number.to_owned(),
        };
        let id = *self.by_number.get(number).ok_or_else(not_found)?;
        let pos = self
            .line
            .iter()
            .position(|&i| i == id)
            .ok_or_else(not_found)?;
        self.line.remove(pos);
        let t = self.tickets.get_mut(id).ok_or_else(not_found)?;
        t.state = TicketState::Cancelled;
        t.ended_ms = Some(now_ms);
        Ok(t.clone())
    }

    /// Pauses a window (暂停): its `call_next` is refused until resumed; a
    /// ticket already called or served there stays.
    pub fn pause(&mut self, window: u16) -> Result<(), QueueError> {
        let w = self.window_index(window)?;
        if let Some(slot) = self.windows.get_mut(w) {
            slot.paused = true;
        }
        Ok(())
    }

    /// Resumes a paused window.
    pub fn resume(&mut self, window: u16) -> Result<(), QueueError> {
        let w = self.window_index(window)?;
        if let Some(slot) = self.windows.get_mut(w) {
            slot.paused = false;
        }
        Ok(())
    }

    /// The state at `now_ms` for screens and dashboards. On a later local
    /// day than the last operation it shows the new, empty day (without
    /// changing anything).
    pub fn snapshot(&self, now_ms: i64) -> Snapshot {
        let today = local_day(now_ms) <= self.day;
        let date = if today {
            self.date.clone()
        } else {
            date_of_day(local_day(now_ms))
        };
        let waiting: Vec<&Ticket> = if today {
            self.line
                .iter()
                .filter_map(|&i| self.tickets.get(i))
                .collect()
        } else {
            Vec::new()
        };
        let categories = self
            .categories
            .iter()
            .map(|c| {
                let mine = waiting.iter().filter(|t| t.category == c.category.id);
                let longest_ms = mine
                    .clone()
                    .map(|t| now_ms.saturating_sub(t.issued_ms).max(0))
                    .max()
                    .unwrap_or(0);
                CategorySnapshot {
                    id: c.category.id.clone(),
                    name_zh: c.category.name_zh.clone(),
                    prefix: c.category.prefix,
                    waiting: count(mine.count()),
                    longest_wait_s: u64::try_from(longest_ms / 1000).unwrap_or(0),
                    issued: if today { u32::from(c.issued) } else { 0 },
                }
            })
            .collect();
        let windows = self
            .windows
            .iter()
            .map(|w| {
                let current = w
                    .current
                    .filter(|_| today)
                    .and_then(|i| self.tickets.get(i));
                let state = match current.map(|t| t.state) {
                    Some(TicketState::Serving) => WindowStatus::Serving,
                    Some(_) => WindowStatus::Called,
                    None if w.paused => WindowStatus::Paused,
                    None => WindowStatus::Idle,
                };
                WindowSnapshot {
                    no: w.no,
                    name: w.name.clone(),
                    category: w.category.clone(),
                    state,
                    paused: w.paused,
                    current: current.map(|t| t.number.clone()),
                    staff: w.staff.clone(),
                    calls: if today { w.calls } else { 0 },
                    served: if today { w.served } else { 0 },
                }
            })
            .collect();
        let tickets: &[Ticket] = if today { &self.tickets } else { &[] };
        let in_state =
            |s: &[TicketState]| count(tickets.iter().filter(|t| s.contains(&t.state)).count());
        let done: Vec<i64> = tickets
            .iter()
            .filter(|t| t.state == TicketState::Done)
            .map(|t| {
                t.first_called_ms
                    .unwrap_or(t.issued_ms)
                    .saturating_sub(t.issued_ms)
                    .max(0)
            })
            .collect();
        let avg_wait_s = match i64::try_from(done.len()) {
            Ok(n) if n > 0 => {
                let sum = done.iter().fold(0i64, |a, &b| a.saturating_add(b));
                // Rounded to the nearest second, halves up.
                let s = sum.saturating_add(n.saturating_mul(500)) / n.saturating_mul(1000);
                u64::try_from(s).ok()
            }
            _ => None,
        };
        Snapshot {
            day: date,
            at_ms: now_ms,
            categories,
            windows,
            totals: Totals {
                issued: count(tickets.len()),
                served: count(done.len()),
                missed: in_state(&[TicketState::Missed]),
                cancelled: in_state(&[TicketState::Cancelled]),
                waiting: count(waiting.len()),
                active: in_state(&[TicketState::Called, TicketState::Serving]),
                miss_events: if today { self.miss_events } else { 0 },
                avg_wait_s,
            },
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    // ---- helpers --------------------------------------------------------

    /// Days since 1970-01-01 of a civil date (inverse of `date_of_day`).
    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Milliseconds of a UTC civil time.
    fn utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
        (days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + s) * 1_000
    }

    /// 2026-11-27 09:00 at UTC+8.
    const T0: i64 = 1_795_741_200_000;
    const S: i64 = 1_000;

    fn window(no: u16, name: &str, category: &str, serves: &[&str]) -> WindowSpec {
        WindowSpec {
            no,
            name: name.to_owned(),
            category: category.to_owned(),
            serves: serves.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Windows 1-5 for the five mandatory categories, 6 a comprehensive
    /// window (market access and health), 7 the extra category real-estate.
    fn hall() -> Config {
        Config {
            windows: vec![
                window(1, "市场准入", "market-access", &[]),
                window(2, "城乡建设", "urban-rural-construction", &[]),
                window(3, "卫生健康", "health", &[]),
                window(4, "民生保障", "livelihood", &[]),
                window(5, "涉军事务", "military-affairs", &[]),
                window(6, "综合窗口", "market-access", &["health"]),
                window(7, "不动产登记", "real-estate", &[]),
            ],
            extra_categories: vec![CategorySpec {
                id: "real-estate".to_owned(),
                name_zh: "不动产登记".to_owned(),
                prefix: None,
            }],
            ..Config::default()
        }
    }

    fn queue() -> Queue {
        Queue::new(hall())
    }

    fn id_card(n: u32, age: u16) -> Source {
        Source::IdCard {
            masked_id: format!("130602********{n:04}"),
            age,
        }
    }

    fn appointment(code: &str) -> Source {
        Source::Appointment {
            code: code.to_owned(),
        }
    }

    fn walk_in(q: &mut Queue, category: &str, now: i64) -> String {
        q.issue(category, Source::WalkIn, now).unwrap().number
    }

    fn call(q: &mut Queue, window: u16, now: i64) -> String {
        q.call_next(window, now).unwrap().unwrap().number
    }

    /// Calls everything waiting for `window` (finishing each) and returns
    /// the numbers in call order.
    fn drain(q: &mut Queue, window: u16, now: i64) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(c) = q.call_next(window, now).unwrap() {
            q.finish(window, now).unwrap();
            out.push(c.number);
        }
        out
    }

    fn waiting(q: &Queue, category: &str) -> Vec<String> {
        q.waiting(category)
            .into_iter()
            .map(|t| t.number.clone())
            .collect()
    }

    fn invalid(config: &Config) -> String {
        config.validate().unwrap_err()
    }

    // ---- time -----------------------------------------------------------

    #[test]
    fn test_clock_helper_matches_known_instants() {
        assert_eq!(utc(2026, 11, 27, 16, 0, 0), 1_795_795_200_000);
        assert_eq!(utc(2026, 11, 27, 1, 0, 0), T0);
        assert_eq!(utc(1970, 1, 1, 0, 0, 0), 0);
    }

    #[test]
    fn local_day_changes_at_utc8_midnight() {
        let before = utc(2026, 11, 27, 15, 59, 59);
        let after = utc(2026, 11, 27, 16, 0, 0);
        assert_eq!(date_of_day(local_day(before)), "2026-11-27");
        assert_eq!(date_of_day(local_day(after)), "2026-11-28");
        assert_eq!(local_day(after) - local_day(before), 1);
        assert_eq!(date_of_day(local_day(before + 999)), "2026-11-27");
    }

    #[test]
    fn date_of_day_known_dates() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(-1), "1969-12-31");
        assert_eq!(date_of_day(days_from_civil(2024, 2, 29)), "2024-02-29");
        assert_eq!(date_of_day(days_from_civil(2000, 3, 1)), "2000-03-01");
        assert_eq!(date_of_day(days_from_civil(2100, 12, 31)), "2100-12-31");
        for d in -800_000..800_000 {
            if d % 997 == 0 {
                let s = date_of_day(d);
                let y: i64 = s[..s.len() - 6].parse().unwrap();
                let m: i64 = s[s.len() - 5..s.len() - 3].parse().unwrap();
                let dd: i64 = s[s.len() - 2..].parse().unwrap();
                assert_eq!(days_from_civil(y, m, dd), d, "{s}");
            }
        }
    }

    #[test]
    fn extreme_clock_values_do_not_panic() {
        let mut q = queue();
        q.issue("health", Source::WalkIn, i64::MAX).unwrap();
        let s = q.snapshot(i64::MIN);
        assert_eq!(s.totals.issued, 1);
        assert_eq!(s.categories[2].longest_wait_s, 0);
        assert!(local_day(i64::MIN) < local_day(0));
        assert!(!date_of_day(i64::MAX).is_empty());
        assert!(!date_of_day(i64::MIN).is_empty());
    }

    // ---- configuration --------------------------------------------------

    #[test]
    fn hall_config_is_valid_and_prefixes_follow_the_order() {
        let config = hall();
        assert_eq!(config.validate(), Ok(()));
        let prefixes: Vec<(String, char, bool)> = config
            .categories()
            .into_iter()
            .map(|c| (c.id, c.prefix, c.mandatory))
            .collect();
        assert_eq!(
            prefixes,
            vec![
                ("market-access".to_owned(), 'A', true),
                ("urban-rural-construction".to_owned(), 'B', true),
                ("health".to_owned(), 'C', true),
                ("livelihood".to_owned(), 'D', true),
                ("military-affairs".to_owned(), 'E', true),
                ("real-estate".to_owned(), 'F', false),
            ]
        );
    }

    #[test]
    fn from_json_applies_defaults() {
        let json = json!({
            "windows": [
                {"no": 1, "name": "综合窗口", "category": "market-access",
                 "serves": ["urban-rural-construction", "health", "livelihood", "military-affairs"]}
            ]
        });
        let config = Config::from_json(&json.to_string()).unwrap();
        assert_eq!(config.requeue_after, 3);
        assert_eq!(config.max_missed, 2);
        assert_eq!(config.priority_age, 70);
        assert!(config.appointment_priority);
        assert!(config.extra_categories.is_empty());
        assert_eq!(config.windows[0].served().len(), 5);
        assert_eq!(config.windows[0].served()[0], "market-access");
    }

    #[test]
    fn serves_defaults_to_the_window_category() {
        let w: WindowSpec =
            serde_json::from_value(json!({"no": 3, "name": "卫生", "category": "health"})).unwrap();
        assert!(w.serves.is_empty());
        assert_eq!(w.served(), vec!["health".to_owned()]);
        let w = window(
            6,
            "x",
            "health",
            &["market-access", "health", "market-access"],
        );
        assert_eq!(
            w.served(),
            vec!["health".to_owned(), "market-access".to_owned()]
        );
    }

    #[test]
    fn from_json_rejects_unknown_fields_and_bad_json() {
        let err = Config::from_json(r#"{"windows": [], "requeue": 3}"#).unwrap_err();
        assert!(err.contains("unknown field `requeue`"), "{err}");
        let err = Config::from_json(
            r#"{"windows": [{"no": 1, "name": "a", "category": "health", "colour": "red"}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("unknown field `colour`"), "{err}");
        let err = Config::from_json(r#"{"windows": "all"}"#).unwrap_err();
        assert!(err.starts_with("invalid queue config: "), "{err}");
        let err = Config::from_json(
            r#"{"windows": [{"no": 1, "name": "a", "category": "health"}], "extra_categories": [{"id": "x", "name_zh": "x", "prefix": "GH"}]}"#,
        )
        .unwrap_err();
        assert!(err.starts_with("invalid queue config: "), "{err}");
    }

    #[test]
    fn from_json_validates() {
        assert_eq!(
            Config::from_json("{}").unwrap_err(),
            "windows: at least one window is required"
        );
        let json = serde_json::to_string(&hall()).unwrap();
        assert_eq!(Config::from_json(&json).unwrap(), hall());
    }

    #[test]
    fn validate_missing_mandatory_category() {
        let mut config = hall();
        config.windows.retain(|w| w.category != "health");
        config.windows[4].serves.clear();
        assert_eq!(
            invalid(&config),
            "5+X: no window serves the mandatory category health (卫生健康)"
        );
        // The comprehensive window alone is enough for health.
        let mut config = hall();
        config.windows.retain(|w| w.no != 3);
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn validate_reports_every_missing_mandatory_category_in_order() {
        let config = Config {
            windows: vec![window(1, "a", "health", &[])],
            ..Config::default()
        };
        let (_, errors) = config.resolve();
        assert_eq!(
            errors,
            vec![
                "5+X: no window serves the mandatory category market-access (市场准入)",
                "5+X: no window serves the mandatory category urban-rural-construction (城乡建设)",
                "5+X: no window serves the mandatory category livelihood (民生保障)",
                "5+X: no window serves the mandatory category military-affairs (涉军事务)",
            ]
        );
    }

    #[test]
    fn validate_duplicate_window_number() {
        let mut config = hall();
        config.windows[2].no = 2;
        assert_eq!(invalid(&config), "windows[2].no: duplicate window number 2");
        let mut config = hall();
        config.windows[6].no = 3;
        assert_eq!(invalid(&config), "windows[6].no: duplicate window number 3");
    }

    #[test]
    fn validate_window_number_range_and_name() {
        let mut config = hall();
        config.windows[0].no = 0;
        assert_eq!(
            invalid(&config),
            "windows[0].no: 0 is not a window number 1-999"
        );
        config.windows[0].no = 1000;
        assert_eq!(
            invalid(&config),
            "windows[0].no: 1000 is not a window number 1-999"
        );
        config.windows[0].no = 999;
        assert_eq!(config.validate(), Ok(()));
        config.windows[1].name = String::new();
        assert_eq!(invalid(&config), "windows[1].name: must be 1-32 characters");
        config.windows[1].name = "窗".repeat(33);
        assert_eq!(invalid(&config), "windows[1].name: must be 1-32 characters");
        config.windows[1].name = "窗".repeat(32);
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn validate_unknown_category_in_serves() {
        let mut config = hall();
        config.windows[5].serves = vec!["health".to_owned(), "tax".to_owned()];
        assert_eq!(
            invalid(&config),
            "windows[5].serves[1]: unknown category \"tax\" (not mandatory, not in extra_categories)"
        );
    }

    #[test]
    fn validate_unknown_window_category() {
        let mut config = hall();
        config.windows[6].category = "Real-Estate".to_owned();
        assert_eq!(
            invalid(&config),
            "windows[6].category: unknown category \"Real-Estate\" (not mandatory, not in extra_categories)"
        );
    }

    #[test]
    fn validate_bad_prefix() {
        let mut config = hall();
        config.extra_categories[0].prefix = Some('f');
        assert_eq!(
            invalid(&config),
            "extra_categories[0].prefix: 'f' must be an uppercase letter A-Z"
        );
        config.extra_categories[0].prefix = Some('号');
        assert_eq!(
            invalid(&config),
            "extra_categories[0].prefix: '号' must be an uppercase letter A-Z"
        );
        config.extra_categories[0].prefix = Some('C');
        assert_eq!(
            invalid(&config),
            "extra_categories[0].prefix: C is already used by health"
        );
        config.extra_categories[0].prefix = Some('R');
        assert_eq!(config.validate(), Ok(()));
        config.extra_categories.push(CategorySpec {
            id: "tax".to_owned(),
            name_zh: "税务".to_owned(),
            prefix: Some('R'),
        });
        config.windows[6].serves = vec!["tax".to_owned()];
        assert_eq!(
            invalid(&config),
            "extra_categories[1].prefix: R is already used by real-estate"
        );
    }

    #[test]
    fn automatic_prefixes_skip_explicit_ones() {
        let mut config = hall();
        let spec = |id: &str, prefix: Option<char>| CategorySpec {
            id: id.to_owned(),
            name_zh: id.to_owned(),
            prefix,
        };
        config.extra_categories = vec![
            spec("real-estate", None),
            spec("tax", Some('F')),
            spec("social-security", None),
            spec("notary", Some('Z')),
        ];
        config.windows[6].serves = vec![
            "tax".to_owned(),
            "social-security".to_owned(),
            "notary".to_owned(),
        ];
        assert_eq!(config.validate(), Ok(()));
        let prefixes: Vec<(String, char)> = config
            .categories()
            .into_iter()
            .skip(5)
            .map(|c| (c.id, c.prefix))
            .collect();
        assert_eq!(
            prefixes,
            vec![
                ("real-estate".to_owned(), 'G'),
                ("tax".to_owned(), 'F'),
                ("social-security".to_owned(), 'H'),
                ("notary".to_owned(), 'Z'),
            ]
        );
    }

    #[test]
    fn running_out_of_prefix_letters_is_reported() {
        let mut config = hall();
        config.extra_categories = (0..22)
            .map(|i| CategorySpec {
                id: format!("x{i}"),
                name_zh: format!("类{i}"),
                prefix: None,
            })
            .collect();
        config.windows[6].category = "x0".to_owned();
        config.windows[6].serves = (1..22).map(|i| format!("x{i}")).collect();
        assert_eq!(
            invalid(&config),
            "extra_categories[21].prefix: no free prefix letter left, give one explicitly"
        );
        config.extra_categories.pop();
        config.windows[6].serves.pop();
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.categories().last().unwrap().prefix, 'Z');
    }

    #[test]
    fn validate_extra_category_ids() {
        let mut config = hall();
        config.extra_categories[0].id = "Real Estate".to_owned();
        assert_eq!(
            invalid(&config),
            "extra_categories[0].id: \"Real Estate\" must be 1-32 characters of a-z, 0-9 and -"
        );
        config.extra_categories[0].id = "a".repeat(33);
        assert!(invalid(&config).starts_with("extra_categories[0].id: "));
        let mut config = hall();
        config.extra_categories[0].id = "health".to_owned();
        assert_eq!(
            invalid(&config),
            "extra_categories[0].id: health (卫生健康) is a mandatory category, do not declare it"
        );
        let mut config = hall();
        config
            .extra_categories
            .push(config.extra_categories[0].clone());
        assert_eq!(
            invalid(&config),
            "extra_categories[1].id: duplicate category real-estate"
        );
        let mut config = hall();
        config.extra_categories[0].name_zh = "长".repeat(33);
        assert_eq!(
            invalid(&config),
            "extra_categories[0].name_zh: must be 1-32 characters"
        );
        // No name: the district catalogue names it.
        config.extra_categories[0].name_zh = String::new();
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn the_catalogue_names_categories_and_places_items() {
        let mut config = hall();
        let id = config.extra_categories[0].id.clone();
        config.extra_categories[0].name_zh = String::new();
        let mut q = Queue::new(config);
        let unnamed = q
            .categories()
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .name_zh
            .clone();
        assert_eq!(unnamed, id, "shown by id until the catalogue arrives");
        let catalogue = bantong_hall_kit::catalogue::Catalogue::from_json(&format!(
            r#"{{"categories": [{{"id": "{id}", "name": "不动产登记（区）"}}],
                "items": [{{"code": "BDC-01", "name": "不动产首次登记", "category": "{id}",
                            "department": "区自然资源和规划局", "statutory_days": 30, "promised_days": 5}},
                          {{"code": "WS-01", "name": "公共场所卫生许可", "category": "health",
                            "department": "区卫健局", "statutory_days": 20, "promised_days": 3}}]}}"#
        ))
        .unwrap();
        q.use_catalogue(&catalogue);
        let named = q
            .categories()
            .iter()
            .find(|c| c.id == id)
            .unwrap()
            .name_zh
            .clone();
        assert_eq!(named, "不动产登记（区）");
        assert_eq!(q.category_of_item("WS-01"), Some("health"));
        assert_eq!(q.category_of_item("BDC-01"), Some(id.as_str()));
        assert_eq!(q.category_of_item("NOPE"), None);
    }

    #[test]
    fn validate_extra_category_must_be_served() {
        let mut config = hall();
        config.windows.pop();
        assert_eq!(
            invalid(&config),
            "extra_categories[0].id: no window serves the category real-estate"
        );
    }

    #[test]
    fn validate_max_missed_at_least_one() {
        let mut config = hall();
        config.max_missed = 0;
        assert_eq!(invalid(&config), "max_missed: must be at least 1");
        config.max_missed = 1;
        config.requeue_after = 0;
        config.priority_age = 0;
        assert_eq!(config.validate(), Ok(()));
    }

    // ---- numbering ------------------------------------------------------

    #[test]
    fn numbers_are_prefix_and_three_digits_per_category() {
        let mut q = queue();
        assert_eq!(walk_in(&mut q, "market-access", T0), "A001");
        assert_eq!(walk_in(&mut q, "market-access", T0), "A002");
        assert_eq!(walk_in(&mut q, "health", T0), "C001");
        assert_eq!(walk_in(&mut q, "real-estate", T0), "F001");
        assert_eq!(walk_in(&mut q, "military-affairs", T0), "E001");
        assert_eq!(walk_in(&mut q, "health", T0), "C002");
        let t = q.ticket("C002").unwrap();
        assert_eq!(t.day, "2026-11-27");
        assert_eq!(t.state, TicketState::Waiting);
        assert_eq!(t.issued_ms, T0);
    }

    #[test]
    fn unknown_category_refused() {
        let mut q = queue();
        assert_eq!(
            q.issue("tax", Source::WalkIn, T0),
            Err(QueueError::UnknownCategory {
                category: "tax".to_owned()
            })
        );
        assert!(q.tickets().is_empty());
    }

    #[test]
    fn numbering_resets_at_utc8_midnight() {
        let mut q = queue();
        let before = utc(2026, 11, 27, 15, 59, 59);
        let after = utc(2026, 11, 27, 16, 0, 0);
        assert_eq!(walk_in(&mut q, "market-access", before - 60 * S), "A001");
        let a2 = q.issue("market-access", Source::WalkIn, before).unwrap();
        assert_eq!(
            (a2.number.as_str(), a2.day.as_str()),
            ("A002", "2026-11-27")
        );
        let a1 = q.issue("market-access", Source::WalkIn, after).unwrap();
        assert_eq!(
            (a1.number.as_str(), a1.day.as_str()),
            ("A001", "2026-11-28")
        );
        // The old day's waiting tickets are gone.
        assert_eq!(waiting(&q, "market-access"), vec!["A001"]);
        assert_eq!(q.tickets().len(), 1);
        assert_eq!(q.snapshot(after).totals.issued, 1);
    }

    #[test]
    fn clock_going_back_does_not_reset_the_day() {
        let mut q = queue();
        let after = utc(2026, 11, 27, 16, 0, 0);
        assert_eq!(walk_in(&mut q, "health", after), "C001");
        // The agent clock steps back over midnight: still the new day.
        let t = q.issue("health", Source::WalkIn, after - 2 * S).unwrap();
        assert_eq!((t.number.as_str(), t.day.as_str()), ("C002", "2026-11-28"));
        let c = q.call_next(3, after - 2 * S).unwrap().unwrap();
        assert_eq!(c.number, "C001");
        let f = q.finish(3, after - 10 * S).unwrap();
        assert_eq!((f.wait_ms, f.service_ms), (0, 0));
    }

    #[test]
    fn day_full_after_999_numbers() {
        let mut q = queue();
        for i in 1..=999 {
            let t = q.issue("livelihood", Source::WalkIn, T0 + i).unwrap();
            assert_eq!(t.number, format!("D{i:03}"));
        }
        assert_eq!(q.ticket("D999").unwrap().number, "D999");
        assert_eq!(
            q.issue("livelihood", Source::WalkIn, T0 + 1_000),
            Err(QueueError::DayFull {
                category: "livelihood".to_owned()
            })
        );
        assert_eq!(walk_in(&mut q, "health", T0 + 1_000), "C001");
        let next_day = utc(2026, 11, 28, 1, 0, 0);
        assert_eq!(walk_in(&mut q, "livelihood", next_day), "D001");
    }

    #[test]
    fn transferred_ticket_does_not_take_a_number() {
        let mut q = queue();
        walk_in(&mut q, "market-access", T0);
        call(&mut q, 1, T0);
        q.transfer(1, "health", T0).unwrap();
        assert_eq!(walk_in(&mut q, "health", T0), "C001");
        assert_eq!(walk_in(&mut q, "market-access", T0), "A002");
    }

    // ---- sources --------------------------------------------------------

    #[test]
    fn duplicate_id_card_refused_in_the_same_category() {
        let mut q = queue();
        assert_eq!(
            q.issue("market-access", id_card(1, 40), T0).unwrap().number,
            "A001"
        );
        assert_eq!(
            q.issue("market-access", id_card(1, 40), T0 + S),
            Err(QueueError::AlreadyWaiting {
                number: "A001".to_owned(),
                category: "market-access".to_owned()
            })
        );
        // Another category, or another card, is fine.
        assert_eq!(
            q.issue("health", id_card(1, 40), T0).unwrap().number,
            "C001"
        );
        assert_eq!(
            q.issue("market-access", id_card(2, 40), T0).unwrap().number,
            "A002"
        );
        // Once called, the card may take a new ticket.
        call(&mut q, 1, T0 + 2 * S);
        assert_eq!(
            q.issue("market-access", id_card(1, 40), T0 + 3 * S)
                .unwrap()
                .number,
            "A003"
        );
        let t = q.ticket("A003").unwrap();
        assert_eq!(t.masked_id.as_deref(), Some("130602********0001"));
        assert_eq!(t.source, SourceKind::IdCard);
    }

    #[test]
    fn cancelled_ticket_frees_the_id_card() {
        let mut q = queue();
        q.issue("health", id_card(7, 30), T0).unwrap();
        q.cancel("C001", T0 + S).unwrap();
        assert_eq!(
            q.issue("health", id_card(7, 30), T0 + 2 * S)
                .unwrap()
                .number,
            "C002"
        );
    }

    #[test]
    fn appointment_code_used_once_a_day() {
        let mut q = queue();
        let t = q
            .issue("health", appointment("YY-20261127-0001"), T0)
            .unwrap();
        assert_eq!(t.appointment_code.as_deref(), Some("YY-20261127-0001"));
        assert_eq!(t.lane, Lane::Appointment);
        let used = Err(QueueError::AppointmentUsed {
            code: "YY-20261127-0001".to_owned(),
        });
        assert_eq!(q.issue("health", appointment("YY-20261127-0001"), T0), used);
        // Also in another category, and also after the first was cancelled.
        assert_eq!(
            q.issue("livelihood", appointment("YY-20261127-0001"), T0),
            used
        );
        q.cancel("C001", T0).unwrap();
        assert_eq!(q.issue("health", appointment("YY-20261127-0001"), T0), used);
        // A new day accepts it again.
        let next_day = utc(2026, 11, 28, 1, 0, 0);
        assert_eq!(
            q.issue("health", appointment("YY-20261127-0001"), next_day)
                .unwrap()
                .number,
            "C001"
        );
    }

    #[test]
    fn malformed_sources_refused() {
        let mut q = queue();
        for code in ["ab12", "AB1", "AB 12", &"A".repeat(33), "ＡＢ１２"] {
            let err = q.issue("health", appointment(code), T0).unwrap_err();
            assert!(matches!(err, QueueError::InvalidSource { .. }), "{code}");
            assert_eq!(
                err.to_string(),
                format!("appointment code {code:?} must be 4-32 characters of A-Z, 0-9 and -")
            );
        }
        assert!(q.issue("health", appointment("AB12"), T0).is_ok());
        assert!(q.issue("health", appointment(&"Z".repeat(32)), T0).is_ok());
        for masked_id in [
            "130602199001011234",
            "13060219900101123X",
            "130602900101123",
            "",
        ] {
            let source = Source::IdCard {
                masked_id: masked_id.to_owned(),
                age: 30,
            };
            assert!(
                matches!(
                    q.issue("health", source, T0),
                    Err(QueueError::InvalidSource { .. })
                ),
                "{masked_id}"
            );
        }
        let err = q
            .issue(
                "health",
                Source::IdCard {
                    masked_id: "130602199001011234".to_owned(),
                    age: 30,
                },
                T0,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "masked_id: a full ID number, mask it first"
        );
        assert_eq!(q.tickets().len(), 2);
    }

    // ---- ordering -------------------------------------------------------

    #[test]
    fn green_channel_then_appointments_then_issue_order() {
        let mut q = queue();
        walk_in(&mut q, "market-access", T0); // A001
        q.issue("market-access", id_card(1, 45), T0 + S).unwrap(); // A002
        q.issue("market-access", id_card(2, 70), T0 + 2 * S)
            .unwrap(); // A003 green
        q.issue("market-access", appointment("YY-0001"), T0 + 3 * S)
            .unwrap(); // A004
        q.issue("market-access", id_card(3, 69), T0 + 4 * S)
            .unwrap(); // A005
        q.issue("market-access", id_card(4, 88), T0 + 5 * S)
            .unwrap(); // A006 green
        q.issue("market-access", appointment("YY-0002"), T0 + 6 * S)
            .unwrap(); // A007
        assert!(q.ticket("A003").unwrap().green_channel);
        assert!(!q.ticket("A005").unwrap().green_channel);
        assert_eq!(
            waiting(&q, "market-access"),
            vec!["A003", "A006", "A004", "A007", "A001", "A002", "A005"]
        );
        let c = q.call_next(1, T0 + 10 * S).unwrap().unwrap();
        assert!(c.green_channel);
        q.finish(1, T0 + 10 * S).unwrap();
        assert_eq!(
            drain(&mut q, 1, T0 + 20 * S),
            vec!["A006", "A004", "A007", "A001", "A002", "A005"]
        );
    }

    #[test]
    fn green_channel_arriving_later_still_goes_first() {
        let mut q = queue();
        walk_in(&mut q, "health", T0);
        walk_in(&mut q, "health", T0);
        assert_eq!(call(&mut q, 3, T0), "C001");
        q.finish(3, T0).unwrap();
        q.issue("health", id_card(1, 90), T0 + S).unwrap(); // C003
        assert_eq!(drain(&mut q, 3, T0 + 2 * S), vec!["C003", "C002"]);
    }

    #[test]
    fn appointment_priority_off_keeps_issue_order() {
        let mut config = hall();
        config.appointment_priority = false;
        let mut q = Queue::new(config);
        walk_in(&mut q, "livelihood", T0); // D001
        q.issue("livelihood", appointment("YY-0001"), T0).unwrap(); // D002
        q.issue("livelihood", id_card(1, 75), T0).unwrap(); // D003 green
        walk_in(&mut q, "livelihood", T0); // D004
        assert_eq!(q.ticket("D002").unwrap().lane, Lane::Regular);
        assert_eq!(drain(&mut q, 4, T0), vec!["D003", "D001", "D002", "D004"]);
    }

    #[test]
    fn priority_age_is_configurable() {
        let mut config = hall();
        config.priority_age = 60;
        let mut q = Queue::new(config);
        q.issue("health", id_card(1, 59), T0).unwrap();
        q.issue("health", id_card(2, 60), T0).unwrap();
        assert_eq!(waiting(&q, "health"), vec!["C002", "C001"]);
    }

    #[test]
    fn windows_only_get_their_categories() {
        let mut q = queue();
        walk_in(&mut q, "health", T0); // C001
        walk_in(&mut q, "market-access", T0 + S); // A001
        walk_in(&mut q, "real-estate", T0 + 2 * S); // F001
        walk_in(&mut q, "health", T0 + 3 * S); // C002
        // Window 2 (urban-rural construction) has nobody.
        assert_eq!(q.call_next(2, T0 + 4 * S), Ok(None));
        // The comprehensive window 6 takes health and market access in issue
        // order, never real estate.
        assert_eq!(drain(&mut q, 6, T0 + 5 * S), vec!["C001", "A001", "C002"]);
        assert_eq!(q.call_next(3, T0 + 6 * S), Ok(None));
        assert_eq!(q.call_next(1, T0 + 6 * S), Ok(None));
        assert_eq!(call(&mut q, 7, T0 + 6 * S), "F001");
    }

    #[test]
    fn window_serving_two_categories_respects_lanes_across_them() {
        let mut q = queue();
        walk_in(&mut q, "market-access", T0); // A001
        q.issue("health", appointment("YY-0001"), T0 + S).unwrap(); // C001
        q.issue("health", id_card(1, 80), T0 + 2 * S).unwrap(); // C002 green
        q.issue("market-access", appointment("YY-0002"), T0 + 3 * S)
            .unwrap(); // A002
        assert_eq!(
            drain(&mut q, 6, T0 + 4 * S),
            vec!["C002", "C001", "A002", "A001"]
        );
    }

    #[test]
    fn single_category_window_and_comprehensive_window_share_a_line() {
        let mut q = queue();
        for _ in 0..4 {
            walk_in(&mut q, "health", T0);
        }
        assert_eq!(call(&mut q, 3, T0), "C001");
        assert_eq!(call(&mut q, 6, T0), "C002");
        q.finish(6, T0).unwrap();
        assert_eq!(call(&mut q, 6, T0), "C003");
        q.finish(3, T0).unwrap();
        assert_eq!(call(&mut q, 3, T0), "C004");
    }

    #[test]
    fn call_announcement_and_fields() {
        let mut q = queue();
        for _ in 0..12 {
            walk_in(&mut q, "market-access", T0);
        }
        for _ in 0..11 {
            call(&mut q, 1, T0);
            q.finish(1, T0).unwrap();
        }
        let c = q.call_next(1, T0 + 5 * S).unwrap().unwrap();
        assert_eq!(
            c,
            Call {
                number: "A012".to_owned(),
                category: "market-access".to_owned(),
                window: 1,
                window_name: "市场准入".to_owned(),
                announcement: "请 A012 号到 1 号窗口办理".to_owned(),
                recall: 0,
                green_channel: false,
                staff: None,
                at_ms: T0 + 5 * S,
            }
        );
        walk_in(&mut q, "health", T0);
        assert_eq!(
            q.call_next(3, T0).unwrap().unwrap().announcement,
            "请 C001 号到 3 号窗口办理"
        );
    }

    // ---- window operations ----------------------------------------------

    #[test]
    fn unknown_window_refused_everywhere() {
        let mut q = queue();
        let e = QueueError::UnknownWindow { window: 9 };
        assert_eq!(q.call_next(9, T0).unwrap_err(), e);
        assert_eq!(q.recall(9, T0).unwrap_err(), e);
        assert_eq!(q.start(9, T0).unwrap_err(), e);
        assert_eq!(q.missed(9, T0).unwrap_err(), e);
        assert_eq!(q.finish(9, T0).unwrap_err(), e);
        assert_eq!(q.transfer(9, "health", T0).unwrap_err(), e);
        assert_eq!(q.pause(9).unwrap_err(), e);
        assert_eq!(q.resume(9).unwrap_err(), e);
    }

    #[test]
    fn nothing_called_refused() {
        let mut q = queue();
        let e = QueueError::NothingCalled { window: 1 };
        assert_eq!(q.recall(1, T0), Err(e.clone()));
        assert_eq!(q.start(1, T0), Err(e.clone()));
        assert_eq!(q.missed(1, T0), Err(e.clone()));
        assert_eq!(q.finish(1, T0), Err(e.clone()));
        assert_eq!(q.transfer(1, "health", T0), Err(e));
        assert_eq!(q.call_next(1, T0), Ok(None));
    }

    #[test]
    fn busy_window_refused() {
        let mut q = queue();
        walk_in(&mut q, "market-access", T0);
        walk_in(&mut q, "market-access", T0);
        call(&mut q, 1, T0);
        let busy = Err(QueueError::Busy {
            window: 1,
            number: "A001".to_owned(),
        });
        assert_eq!(q.call_next(1, T0 + S), busy);
        q.start(1, T0 + S).unwrap();
        assert_eq!(q.call_next(1, T0 + 2 * S), busy);
        // A002 is still waiting and another window may take it.
        assert_eq!(call(&mut q, 6, T0 + 2 * S), "A002");
        q.finish(1, T0 + 3 * S).unwrap();
        assert_eq!(q.call_next(1, T0 + 3 * S), Ok(None));
    }

    #[test]
    fn recall_counts_and_repeats_the_announcement() {
        let mut q = queue();
        walk_in(&mut q, "health", T0);
        walk_in(&mut q, "health", T0);
        let first = q.call_next(3, T0).unwrap().unwrap();
        let r1 = q.recall(3, T0 + 30 * S).unwrap();
        let r2 = q.recall(3, T0 + 60 * S).unwrap();
        assert_eq!((first.recall, r1.recall, r2.recall), (0, 1, 2));
        assert_eq!(r2.announcement, first.announcement);
        assert_eq!((r2.number.as_str(), r2.at_ms), ("C001", T0 + 60 * S));
        assert_eq!(q.current(3).unwrap().recalls, 2);
        // The call time stays the first call's.
        assert_eq!(q.current(3).unwrap().called_ms, Some(T0));
        q.start(3, T0 + 70 * S).unwrap();
        assert_eq!(
            q.recall(3, T0 + 80 * S),
            Err(QueueError::AlreadyServing {
                window: 3,
                number: "C001".to_owned()
            })
        );
        let f = q.finish(3, T0 + 90 * S).unwrap();
        assert_eq!(f.recalls, 2);
        let next = q.call_next(3, T0 + 100 * S).unwrap().unwrap();
        assert_eq!((next.number.as_str(), next.recall), ("C002", 0));
    }

    #[test]
    fn start_and_finish_give_timings() {
        let mut q = queue();
        q.issue("military-affairs", id_card(5, 50), T0).unwrap();
        call(&mut q, 5, T0 + 120 * S);
        let t = q.start(5, T0 + 150 * S).unwrap();
        assert_eq!(t.state, TicketState::Serving);
        assert_eq!(
            q.start(5, T0 + 160 * S),
            Err(QueueError::AlreadyServing {
                window: 5,
                number: "E001".to_owned()
            })
        );
        assert_eq!(
            q.missed(5, T0 + 160 * S),
            Err(QueueError::AlreadyServing {
                window: 5,
                number: "E001".to_owned()
            })
        );
        let f = q.finish(5, T0 + 450 * S).unwrap();
        assert_eq!(
            f,
            Finished {
                number: "E001".to_owned(),
                category: "military-affairs".to_owned(),
                window: 5,
                window_name: "涉军事务".to_owned(),
                service_item: "military-affairs".to_owned(),
                wait_ms: 120_000,
                service_ms: 300_000,
                masked_id: Some("130602********0005".to_owned()),
                source: SourceKind::IdCard,
                recalls: 0,
                missed: 0,
                transfers: 0,
                staff: None,
                case_no: "BJ20261127E001-090730".to_owned(),
                finished_ms: T0 + 450 * S,
            }
        );
        let t = q.ticket("E001").unwrap();
        assert_eq!(t.state, TicketState::Done);
        assert_eq!(t.ended_ms, Some(T0 + 450 * S));
        assert!(q.current(5).is_none());
    }

    #[test]
    fn staff_sign_in_and_case_numbers_travel_with_the_service() {
        let mut q = queue();
        assert_eq!(q.sign_in(3, "wang01"), Ok(None));
        q.issue("health", Source::WalkIn, T0).unwrap();
        let call = q.call_next(3, T0).unwrap().unwrap();
        assert_eq!(call.staff.as_deref(), Some("wang01"));
        let done = q.finish(3, T0 + S).unwrap();
        assert_eq!(done.staff.as_deref(), Some("wang01"));
        assert_eq!(
            done.case_no,
            format!(
                "BJ{}{}-090001",
                q.snapshot(T0).day.replace('-', ""),
                done.number
            )
        );
        // The approval system's case number, when the window has one.
        q.issue("health", Source::WalkIn, T0).unwrap();
        q.call_next(3, T0).unwrap().unwrap();
        let given = q
            .finish_case(3, Some("130606-2026-000123"), T0 + S)
            .unwrap();
        assert_eq!(given.case_no, "130606-2026-000123");
        // Moving to another window leaves the first; signing out clears it.
        assert_eq!(q.sign_in(1, "wang01"), Ok(Some(3)));
        let snap = q.snapshot(T0);
        let staff = |no: u16| {
            snap.windows
                .iter()
                .find(|w| w.no == no)
                .and_then(|w| w.staff.clone())
        };
        assert_eq!((staff(1).as_deref(), staff(3)), (Some("wang01"), None));
        assert_eq!(q.sign_out(1), Ok(Some("wang01".to_owned())));
        // Bad ids are refused and change nothing.
        assert!(matches!(
            q.sign_in(1, "王 五"),
            Err(QueueError::InvalidId { .. })
        ));
        assert!(matches!(
            q.sign_in(99, "wang01"),
            Err(QueueError::UnknownWindow { .. })
        ));
        q.issue("health", Source::WalkIn, T0).unwrap();
        q.call_next(3, T0).unwrap().unwrap();
        assert!(matches!(
            q.finish_case(3, Some("bad case"), T0),
            Err(QueueError::InvalidId { .. })
        ));
        assert!(
            q.finish(3, T0).is_ok(),
            "the refused finish left the ticket called"
        );
    }

    #[test]
    fn finish_without_start_counts_from_the_call() {
        let mut q = queue();
        walk_in(&mut q, "livelihood", T0);
        call(&mut q, 4, T0 + 10 * S);
        q.recall(4, T0 + 20 * S).unwrap();
        let f = q.finish(4, T0 + 100 * S).unwrap();
        assert_eq!((f.wait_ms, f.service_ms), (10_000, 90_000));
        assert_eq!(f.masked_id, None);
        assert_eq!(f.source, SourceKind::WalkIn);
    }

    #[test]
    fn missed_is_requeued_exactly_after_requeue_after_waiting_tickets() {
        let mut q = queue();
        for _ in 0..6 {
            walk_in(&mut q, "market-access", T0);
        }
        assert_eq!(call(&mut q, 1, T0 + S), "A001");
        assert_eq!(
            q.missed(1, T0 + 2 * S),
            Ok(MissOutcome::Requeued {
                number: "A001".to_owned(),
                category: "market-access".to_owned(),
                missed: 1,
                ahead: 3
            })
        );
        let t = q.ticket("A001").unwrap();
        assert_eq!(
            (t.state, t.missed, t.window),
            (TicketState::Waiting, 1, None)
        );
        assert!(q.current(1).is_none());
        assert_eq!(
            waiting(&q, "market-access"),
            vec!["A002", "A003", "A004", "A001", "A005", "A006"]
        );
        // Tickets issued after the miss come after it.
        walk_in(&mut q, "market-access", T0 + 3 * S);
        assert_eq!(
            drain(&mut q, 1, T0 + 4 * S),
            vec!["A002", "A003", "A004", "A001", "A005", "A006", "A007"]
        );
    }

    #[test]
    fn missed_goes_to_the_end_when_fewer_wait() {
        let mut q = queue();
        for _ in 0..3 {
            walk_in(&mut q, "health", T0);
        }
        walk_in(&mut q, "market-access", T0); // A001, other category
        assert_eq!(call(&mut q, 3, T0), "C001");
        assert_eq!(
            q.missed(3, T0),
            Ok(MissOutcome::Requeued {
                number: "C001".to_owned(),
                category: "health".to_owned(),
                missed: 1,
                ahead: 2
            })
        );
        assert_eq!(waiting(&q, "health"), vec!["C002", "C003", "C001"]);
        // Behind A001 as well, for the comprehensive window.
        assert_eq!(drain(&mut q, 6, T0), vec!["C002", "C003", "A001", "C001"]);
        // Exactly requeue_after waiting: behind all of them.
        let mut q = queue();
        for _ in 0..4 {
            walk_in(&mut q, "health", T0);
        }
        call(&mut q, 3, T0);
        assert!(matches!(
            q.missed(3, T0),
            Ok(MissOutcome::Requeued { ahead: 3, .. })
        ));
        assert_eq!(waiting(&q, "health"), vec!["C002", "C003", "C004", "C001"]);
    }

    #[test]
    fn missed_alone_in_line_is_called_again_next() {
        let mut q = queue();
        walk_in(&mut q, "health", T0);
        call(&mut q, 3, T0);
        assert!(matches!(
            q.missed(3, T0),
            Ok(MissOutcome::Requeued { ahead: 0, .. })
        ));
        assert_eq!(call(&mut q, 3, T0 + S), "C001");
    }

    #[test]
    fn missed_dropped_after_max_missed() {
        let mut q = queue();
        walk_in(&mut q, "livelihood", T0);
        call(&mut q, 4, T0 + S);
        q.missed(4, T0 + 2 * S).unwrap();
        call(&mut q, 4, T0 + 3 * S);
        assert_eq!(
            q.missed(4, T0 + 4 * S),
            Ok(MissOutcome::Dropped {
                number: "D001".to_owned(),
                category: "livelihood".to_owned(),
                missed: 2
            })
        );
        let t = q.ticket("D001").unwrap().clone();
        assert_eq!(
            (t.state, t.ended_ms),
            (TicketState::Missed, Some(T0 + 4 * S))
        );
        assert!(waiting(&q, "livelihood").is_empty());
        assert_eq!(q.call_next(4, T0 + 5 * S), Ok(None));
        let s = q.snapshot(T0 + 5 * S);
        assert_eq!((s.totals.missed, s.totals.miss_events), (1, 2));
        // The wait counts from issue to the first call.
        assert_eq!(t.first_called_ms, Some(T0 + S));
    }

    #[test]
    fn max_missed_one_drops_on_the_first_miss() {
        let mut config = hall();
        config.max_missed = 1;
        let mut q = Queue::new(config);
        walk_in(&mut q, "health", T0);
        call(&mut q, 3, T0);
        assert!(matches!(
            q.missed(3, T0),
            Ok(MissOutcome::Dropped { missed: 1, .. })
        ));
    }

    #[test]
    fn requeue_after_zero_goes_to_the_front() {
        let mut config = hall();
        config.requeue_after = 0;
        let mut q = Queue::new(config);
        walk_in(&mut q, "health", T0);
        walk_in(&mut q, "health", T0);
        q.issue("health", id_card(1, 80), T0).unwrap(); // C003 green
        assert_eq!(call(&mut q, 3, T0), "C003");
        q.finish(3, T0).unwrap();
        assert_eq!(call(&mut q, 3, T0), "C001");
        assert!(matches!(
            q.missed(3, T0),
            Ok(MissOutcome::Requeued { ahead: 0, .. })
        ));
        assert_eq!(waiting(&q, "health"), vec!["C001", "C002"]);
    }

    #[test]
    fn requeued_ticket_takes_the_lane_of_the_ticket_ahead() {
        // A green ticket missed with only walk-ins waiting loses its
        // priority: exactly requeue_after of them go first.
        let mut q = queue();
        for _ in 0..4 {
            walk_in(&mut q, "health", T0);
        }
        q.issue("health", id_card(1, 80), T0).unwrap(); // C005 green
        assert_eq!(call(&mut q, 3, T0), "C005");
        q.missed(3, T0).unwrap();
        assert_eq!(q.ticket("C005").unwrap().lane, Lane::Regular);
        assert!(q.ticket("C005").unwrap().green_channel);
        assert_eq!(
            waiting(&q, "health"),
            vec!["C001", "C002", "C003", "C005", "C004"]
        );

        // A walk-in missed behind green tickets: placed after the third in
        // call order.
        let mut q = queue();
        walk_in(&mut q, "health", T0); // C001
        walk_in(&mut q, "health", T0); // C002
        assert_eq!(call(&mut q, 3, T0), "C001");
        q.issue("health", id_card(1, 80), T0).unwrap(); // C003 green
        q.issue("health", id_card(2, 80), T0).unwrap(); // C004 green
        q.missed(3, T0).unwrap();
        assert_eq!(waiting(&q, "health"), vec!["C003", "C004", "C002", "C001"]);

        // With requeue_after 2 it lands between the greens and C002, and
        // takes the green lane to stay there.
        let mut config = hall();
        config.requeue_after = 2;
        let mut q = Queue::new(config);
        walk_in(&mut q, "health", T0); // C001
        walk_in(&mut q, "health", T0); // C002
        assert_eq!(call(&mut q, 3, T0), "C001");
        q.issue("health", id_card(1, 80), T0).unwrap(); // C003 green
        q.issue("health", id_card(2, 80), T0).unwrap(); // C004 green
        assert!(matches!(
            q.missed(3, T0),
            Ok(MissOutcome::Requeued { ahead: 2, .. })
        ));
        assert_eq!(q.ticket("C001").unwrap().lane, Lane::Green);
        assert_eq!(drain(&mut q, 3, T0), vec!["C003", "C004", "C001", "C002"]);
    }

    #[test]
    fn requeue_counts_only_tickets_of_the_same_category() {
        let mut q = queue();
        walk_in(&mut q, "health", T0); // C001
        walk_in(&mut q, "market-access", T0); // A001
        walk_in(&mut q, "market-access", T0); // A002
        walk_in(&mut q, "health", T0); // C002
        walk_in(&mut q, "market-access", T0); // A003
        walk_in(&mut q, "health", T0); // C003
        walk_in(&mut q, "health", T0); // C004
        walk_in(&mut q, "health", T0); // C005
        assert_eq!(call(&mut q, 3, T0), "C001");
        q.missed(3, T0).unwrap();
        assert_eq!(
            waiting(&q, "health"),
            vec!["C002", "C003", "C004", "C001", "C005"]
        );
        assert_eq!(
            drain(&mut q, 6, T0),
            vec![
                "A001", "A002", "C002", "A003", "C003", "C004", "C001", "C005"
            ]
        );
    }

    #[test]
    fn transfer_moves_the_ticket_to_the_front_of_another_line() {
        let mut q = queue();
        q.issue("market-access", id_card(1, 40), T0).unwrap(); // A001
        walk_in(&mut q, "health", T0); // C001
        q.issue("health", id_card(2, 85), T0).unwrap(); // C002 green
        call(&mut q, 1, T0 + 60 * S);
        q.start(1, T0 + 90 * S).unwrap();
        let t = q.transfer(1, "health", T0 + 120 * S).unwrap();
        assert_eq!(t.number, "A001");
        assert_eq!(t.category, "health");
        assert_eq!(t.issued_category, "market-access");
        assert_eq!(
            (t.state, t.transfers, t.window),
            (TicketState::Waiting, 1, None)
        );
        assert!(q.current(1).is_none());
        assert_eq!(waiting(&q, "health"), vec!["A001", "C002", "C001"]);
        assert!(waiting(&q, "market-access").is_empty());
        // Window 1 (market access only) no longer sees it; window 3 does.
        assert_eq!(q.call_next(1, T0 + 130 * S), Ok(None));
        let c = q.call_next(3, T0 + 130 * S).unwrap().unwrap();
        assert_eq!(c.announcement, "请 A001 号到 3 号窗口办理");
        assert_eq!(c.category, "health");
        let f = q.finish(3, T0 + 430 * S).unwrap();
        assert_eq!(
            (f.category.as_str(), f.service_item.as_str()),
            ("health", "health")
        );
        assert_eq!((f.wait_ms, f.service_ms, f.transfers), (60_000, 300_000, 1));
        let s = q.snapshot(T0 + 430 * S);
        assert_eq!(s.windows[0].served, 0);
        assert_eq!(s.windows[2].served, 1);
    }

    #[test]
    fn transfer_refusals_keep_the_ticket_at_the_window() {
        let mut q = queue();
        q.issue("market-access", id_card(1, 40), T0).unwrap(); // A001
        q.issue("health", id_card(1, 40), T0).unwrap(); // C001, same card
        call(&mut q, 1, T0);
        assert_eq!(
            q.transfer(1, "tax", T0),
            Err(QueueError::UnknownCategory {
                category: "tax".to_owned()
            })
        );
        assert_eq!(
            q.transfer(1, "health", T0),
            Err(QueueError::AlreadyWaiting {
                number: "C001".to_owned(),
                category: "health".to_owned()
            })
        );
        assert_eq!(q.current(1).unwrap().number, "A001");
        assert_eq!(q.current(1).unwrap().state, TicketState::Called);
        // Another category works.
        assert!(q.transfer(1, "livelihood", T0).is_ok());
        assert_eq!(call(&mut q, 4, T0), "A001");
    }

    #[test]
    fn transferred_ticket_can_still_be_missed_and_requeued_in_its_new_line() {
        let mut q = queue();
        walk_in(&mut q, "market-access", T0); // A001
        for _ in 0..4 {
            walk_in(&mut q, "health", T0);
        }
        call(&mut q, 1, T0);
        q.transfer(1, "health", T0).unwrap();
        assert_eq!(call(&mut q, 3, T0), "A001");
        q.missed(3, T0).unwrap();
        assert_eq!(
            waiting(&q, "health"),
            vec!["C001", "C002", "C003", "A001", "C004"]
        );
    }

    #[test]
    fn cancel_only_waiting_tickets() {
        let mut q = queue();
        walk_in(&mut q, "health", T0);
        walk_in(&mut q, "health", T0);
        call(&mut q, 3, T0);
        let not_found = |n: &str| {
            Err(QueueError::TicketNotFound {
                number: n.to_owned(),
            })
        };
        assert_eq!(q.cancel("C001", T0), not_found("C001"));
        assert_eq!(q.cancel("C009", T0), not_found("C009"));
        let t = q.cancel("C002", T0 + S).unwrap();
        assert_eq!(
            (t.state, t.ended_ms),
            (TicketState::Cancelled, Some(T0 + S))
        );
        assert_eq!(q.cancel("C002", T0 + S), not_found("C002"));
        q.finish(3, T0 + S).unwrap();
        assert_eq!(q.call_next(3, T0 + S), Ok(None));
        // Yesterday's number is not today's ticket.
        walk_in(&mut q, "health", T0 + 2 * S); // C003
        assert_eq!(
            q.cancel("C003", utc(2026, 11, 28, 1, 0, 0)),
            not_found("C003")
        );
    }

    #[test]
    fn pause_refuses_call_next_until_resumed() {
        let mut q = queue();
        walk_in(&mut q, "health", T0);
        walk_in(&mut q, "health", T0);
        q.pause(3).unwrap();
        q.pause(3).unwrap();
        assert_eq!(q.call_next(3, T0), Err(QueueError::Paused { window: 3 }));
        assert_eq!(q.snapshot(T0).windows[2].state, WindowStatus::Paused);
        // Other windows still call the category.
        assert_eq!(call(&mut q, 6, T0), "C001");
        q.resume(3).unwrap();
        assert_eq!(call(&mut q, 3, T0), "C002");
        // Pausing a busy window keeps its ticket; finishing works, the next
        // call does not.
        q.pause(3).unwrap();
        let s = q.snapshot(T0);
        assert_eq!(s.windows[2].state, WindowStatus::Called);
        assert!(s.windows[2].paused);
        q.finish(3, T0).unwrap();
        walk_in(&mut q, "health", T0);
        assert_eq!(q.call_next(3, T0), Err(QueueError::Paused { window: 3 }));
        q.resume(3).unwrap();
        assert_eq!(call(&mut q, 3, T0), "C003");
    }

    #[test]
    fn pause_survives_the_day_change() {
        let mut q = queue();
        q.pause(2).unwrap();
        let next_day = utc(2026, 11, 28, 1, 0, 0);
        walk_in(&mut q, "urban-rural-construction", next_day);
        assert_eq!(
            q.call_next(2, next_day),
            Err(QueueError::Paused { window: 2 })
        );
    }

    #[test]
    fn day_change_clears_windows() {
        let mut q = queue();
        let late = utc(2026, 11, 27, 15, 50, 0);
        walk_in(&mut q, "health", late);
        call(&mut q, 3, late);
        let next_day = utc(2026, 11, 27, 16, 0, 1);
        assert_eq!(
            q.finish(3, next_day),
            Err(QueueError::NothingCalled { window: 3 })
        );
        assert_eq!(walk_in(&mut q, "health", next_day), "C001");
        assert_eq!(call(&mut q, 3, next_day), "C001");
    }

    // ---- snapshot -------------------------------------------------------

    #[test]
    fn snapshot_figures_by_hand() {
        let mut q = queue();
        walk_in(&mut q, "market-access", T0); // A001
        walk_in(&mut q, "market-access", T0 + 60 * S); // A002
        walk_in(&mut q, "health", T0 + 120 * S); // C001
        assert_eq!(call(&mut q, 1, T0 + 180 * S), "A001"); // waited 180 s
        q.start(1, T0 + 240 * S).unwrap();
        let f = q.finish(1, T0 + 540 * S).unwrap();
        assert_eq!((f.wait_ms, f.service_ms), (180_000, 300_000));
        assert_eq!(call(&mut q, 1, T0 + 600 * S), "A002");
        q.missed(1, T0 + 660 * S).unwrap(); // back in line, at the end
        assert_eq!(call(&mut q, 6, T0 + 700 * S), "C001"); // waited 580 s
        q.pause(3).unwrap();
        walk_in(&mut q, "military-affairs", T0 + 730 * S); // E001
        q.cancel("E001", T0 + 740 * S).unwrap();
        walk_in(&mut q, "urban-rural-construction", T0 + 750 * S); // B001
        q.finish(6, T0 + 760 * S).unwrap();
        assert_eq!(call(&mut q, 2, T0 + 800 * S), "B001");

        let s = q.snapshot(T0 + 900 * S);
        assert_eq!(s.day, "2026-11-27");
        assert_eq!(s.at_ms, T0 + 900 * S);
        let cat = |id: &str| s.categories.iter().find(|c| c.id == id).unwrap();
        let ma = cat("market-access");
        assert_eq!(
            (ma.waiting, ma.longest_wait_s, ma.issued, ma.prefix),
            (1, 840, 2, 'A')
        );
        assert_eq!(ma.name_zh, "市场准入");
        let h = cat("health");
        assert_eq!((h.waiting, h.longest_wait_s, h.issued), (0, 0, 1));
        let e = cat("military-affairs");
        assert_eq!((e.waiting, e.issued), (0, 1));
        let f = cat("real-estate");
        assert_eq!((f.waiting, f.issued, f.prefix), (0, 0, 'F'));
        assert_eq!(s.categories.len(), 6);

        let win = |no: u16| s.windows.iter().find(|w| w.no == no).unwrap();
        assert_eq!(
            *win(1),
            WindowSnapshot {
                no: 1,
                name: "市场准入".to_owned(),
                category: "market-access".to_owned(),
                state: WindowStatus::Idle,
                paused: false,
                current: None,
                staff: None,
                calls: 2,
                served: 1,
            }
        );
        assert_eq!(
            (win(2).state, win(2).current.as_deref(), win(2).calls),
            (WindowStatus::Called, Some("B001"), 1)
        );
        assert_eq!((win(3).state, win(3).paused), (WindowStatus::Paused, true));
        assert_eq!(
            (win(6).state, win(6).calls, win(6).served),
            (WindowStatus::Idle, 1, 1)
        );
        assert_eq!(s.windows.len(), 7);

        assert_eq!(
            s.totals,
            Totals {
                issued: 5,
                served: 2,
                missed: 0,
                cancelled: 1,
                waiting: 1,
                active: 1,
                miss_events: 1,
                avg_wait_s: Some(380), // (180 + 580) / 2
            }
        );

        q.start(2, T0 + 810 * S).unwrap();
        let s = q.snapshot(T0 + 1_000 * S);
        assert_eq!(s.windows[1].state, WindowStatus::Serving);
        assert_eq!(s.categories[0].longest_wait_s, 940);
    }

    #[test]
    fn snapshot_average_wait_rounds_to_the_nearest_second() {
        let mut q = queue();
        assert_eq!(q.snapshot(T0).totals.avg_wait_s, None);
        walk_in(&mut q, "health", T0);
        call(&mut q, 3, T0 + 1_499);
        q.finish(3, T0 + 2_000).unwrap();
        assert_eq!(q.snapshot(T0 + 3_000).totals.avg_wait_s, Some(1));
        walk_in(&mut q, "health", T0);
        call(&mut q, 3, T0 + 1_501); // (1499 + 1501) / 2 = 1500 → 2
        q.finish(3, T0 + 2_000).unwrap();
        assert_eq!(q.snapshot(T0 + 3_000).totals.avg_wait_s, Some(2));
        // Longest wait truncates to whole seconds.
        walk_in(&mut q, "health", T0 + 100);
        let s = q.snapshot(T0 + 2_099);
        assert_eq!(s.categories[2].longest_wait_s, 1);
    }

    #[test]
    fn snapshot_on_a_new_day_is_empty() {
        let mut q = queue();
        walk_in(&mut q, "health", T0);
        walk_in(&mut q, "health", T0);
        call(&mut q, 3, T0);
        q.pause(4).unwrap();
        let s = q.snapshot(utc(2026, 11, 27, 16, 0, 0));
        assert_eq!(s.day, "2026-11-28");
        assert!(s.categories.iter().all(|c| c.waiting == 0 && c.issued == 0));
        assert!(
            s.windows
                .iter()
                .all(|w| w.current.is_none() && w.calls == 0)
        );
        assert_eq!(s.windows[3].state, WindowStatus::Paused);
        assert_eq!(s.windows[2].state, WindowStatus::Idle);
        assert_eq!(s.totals.issued, 0);
        assert_eq!(s.totals.waiting, 0);
        // Nothing changed: the same day still shows the tickets.
        assert_eq!(q.snapshot(T0).totals.issued, 2);
        // A fresh queue reports the day of the instant.
        assert_eq!(queue().snapshot(T0).day, "2026-11-27");
    }

    // ---- serialization --------------------------------------------------

    #[test]
    fn everything_serializes_in_snake_case() {
        let mut q = queue();
        let t = q.issue("health", id_card(1, 80), T0).unwrap();
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(v["number"], "C001");
        assert_eq!(v["source"], "id_card");
        assert_eq!(v["lane"], "green");
        assert_eq!(v["state"], "waiting");
        assert_eq!(v["green_channel"], true);
        assert_eq!(v["masked_id"], "130602********0001");
        assert_eq!(v["issued_ms"], T0);
        assert_eq!(v["first_called_ms"], serde_json::Value::Null);
        let back: Ticket = serde_json::from_value(v).unwrap();
        assert_eq!(back, t);

        let c = q.call_next(6, T0).unwrap().unwrap();
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            json!({
                "number": "C001", "category": "health", "window": 6,
                "window_name": "综合窗口", "announcement": "请 C001 号到 6 号窗口办理",
                "recall": 0, "green_channel": true, "at_ms": T0,
            })
        );
        let s = serde_json::to_value(q.snapshot(T0)).unwrap();
        assert_eq!(s["windows"][5]["state"], "called");
        assert_eq!(s["windows"][0]["state"], "idle");
        assert_eq!(s["categories"][2]["prefix"], "C");
        assert_eq!(s["totals"]["avg_wait_s"], serde_json::Value::Null);
        q.missed(6, T0).unwrap();
        call(&mut q, 6, T0);
        let m = serde_json::to_value(q.missed(6, T0).unwrap()).unwrap();
        assert_eq!(
            m,
            json!({"outcome": "dropped", "number": "C001", "category": "health", "missed": 2})
        );
        walk_in(&mut q, "health", T0);
        call(&mut q, 3, T0);
        let f = serde_json::to_value(q.finish(3, T0).unwrap()).unwrap();
        assert_eq!(f["source"], "walk_in");
        assert_eq!(f["service_item"], "health");
        assert_eq!(f["masked_id"], serde_json::Value::Null);
        let e = serde_json::to_value(QueueError::DayFull {
            category: "health".to_owned(),
        })
        .unwrap();
        assert_eq!(e, json!({"error": "day_full", "category": "health"}));
        let src: Source =
            serde_json::from_value(json!({"kind": "id_card", "masked_id": "1306**1", "age": 71}))
                .unwrap();
        assert_eq!(src.kind(), SourceKind::IdCard);
        let src: Source = serde_json::from_value(json!({"kind": "walk_in"})).unwrap();
        assert_eq!(src, Source::WalkIn);
        let src: Source =
            serde_json::from_value(json!({"kind": "appointment", "code": "YY-1"})).unwrap();
        assert_eq!(src.kind(), SourceKind::Appointment);
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                QueueError::UnknownCategory {
                    category: "tax".to_owned(),
                },
                "unknown category \"tax\"",
            ),
            (QueueError::UnknownWindow { window: 9 }, "unknown window 9"),
            (
                QueueError::Busy {
                    window: 3,
                    number: "C001".to_owned(),
                },
                "window 3 is busy with ticket C001",
            ),
            (
                QueueError::NothingCalled { window: 3 },
                "nothing is called at window 3",
            ),
            (
                QueueError::AlreadyServing {
                    window: 3,
                    number: "C001".to_owned(),
                },
                "window 3 is already serving ticket C001",
            ),
            (
                QueueError::DayFull {
                    category: "health".to_owned(),
                },
                "category \"health\" has issued all 999 numbers for today",
            ),
            (
                QueueError::AlreadyWaiting {
                    number: "C001".to_owned(),
                    category: "health".to_owned(),
                },
                "this ID card already holds waiting ticket C001 in category \"health\"",
            ),
            (
                QueueError::AppointmentUsed {
                    code: "YY-1".to_owned(),
                },
                "appointment code YY-1 was already used today",
            ),
            (
                QueueError::TicketNotFound {
                    number: "C404".to_owned(),
                },
                "no waiting ticket \"C404\" today",
            ),
            (QueueError::Paused { window: 2 }, "window 2 is paused"),
            (
                QueueError::InvalidSource {
                    reason: "bad".to_owned(),
                },
                "bad",
            ),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
        }
    }

    // ---- invalid configuration still works ------------------------------

    #[test]
    fn queue_over_an_invalid_config_uses_its_valid_parts() {
        let mut config = hall();
        config.windows[6].no = 1; // duplicate: the first window 1 wins
        config.windows[1].serves = vec!["nowhere".to_owned()];
        assert!(config.validate().is_err());
        let mut q = Queue::new(config);
        walk_in(&mut q, "real-estate", T0);
        walk_in(&mut q, "urban-rural-construction", T0);
        assert_eq!(q.call_next(1, T0), Ok(None));
        assert_eq!(call(&mut q, 2, T0), "B001");
        assert_eq!(q.snapshot(T0).windows.len(), 6);
    }

    // ---- randomized operations ------------------------------------------

    /// Knuth's MMIX linear congruential generator.
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
    }

    fn check_invariants(q: &Queue, now: i64) {
        let mut seen = BTreeSet::new();
        for (i, t) in q.tickets.iter().enumerate() {
            assert!(seen.insert(t.number.clone()), "duplicate {}", t.number);
            assert_eq!(q.by_number.get(&t.number), Some(&i));
            assert_eq!(t.day, q.date);
            let in_line = q.line.iter().filter(|&&id| id == i).count();
            let at = q.windows.iter().filter(|w| w.current == Some(i)).count();
            match t.state {
                TicketState::Waiting => {
                    assert_eq!((in_line, at), (1, 0), "{}", t.number);
                    assert_eq!(t.window, None);
                }
                TicketState::Called | TicketState::Serving => {
                    assert_eq!((in_line, at), (0, 1), "{}", t.number);
                    let w = q.windows.iter().find(|w| w.current == Some(i)).unwrap();
                    assert_eq!(t.window, Some(w.no));
                    assert!(w.serves.contains(&t.category));
                    assert!(t.called_ms.is_some() && t.first_called_ms.is_some());
                }
                TicketState::Done | TicketState::Missed | TicketState::Cancelled => {
                    assert_eq!((in_line, at), (0, 0), "{}", t.number);
                    assert!(t.ended_ms.is_some());
                }
            }
            assert!(t.missed < q.config.max_missed || t.state == TicketState::Missed);
        }
        assert_eq!(q.by_number.len(), q.tickets.len());
        let s = q.snapshot(now);
        let tt = &s.totals;
        assert_eq!(
            tt.served + tt.missed + tt.waiting + tt.active + tt.cancelled,
            tt.issued
        );
        assert_eq!(tt.issued as usize, q.tickets.len());
        assert_eq!(tt.waiting as usize, q.line.len());
        assert_eq!(
            s.categories.iter().map(|c| c.waiting).sum::<u32>(),
            tt.waiting
        );
        assert_eq!(
            s.categories.iter().map(|c| c.issued).sum::<u32>(),
            tt.issued
        );
        assert_eq!(
            s.windows.iter().filter(|w| w.current.is_some()).count() as u32,
            tt.active
        );
        assert_eq!(s.windows.iter().map(|w| w.served).sum::<u32>(), tt.served);
        // Masked IDs: at most one waiting ticket per category.
        let mut holders = BTreeSet::new();
        for t in q.line.iter().map(|&i| &q.tickets[i]) {
            if let Some(m) = &t.masked_id {
                assert!(holders.insert((t.category.clone(), m.clone())));
            }
        }
    }

    #[test]
    fn randomized_operations_keep_invariants() {
        let mut config = hall();
        config.requeue_after = 2;
        config.max_missed = 2;
        let categories: Vec<String> = config.categories().into_iter().map(|c| c.id).collect();
        let windows: Vec<u16> = config.windows.iter().map(|w| w.no).collect();
        let mut q = Queue::new(config);
        let mut rng = Lcg(20_261_127);
        let mut now = T0;
        let mut issued_per_day: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut codes: Vec<String> = Vec::new();
        let mut stats: BTreeMap<&str, u32> = BTreeMap::new();
        for step in 0..5_000 {
            now += i64::try_from(rng.below(90_000)).unwrap();
            if rng.below(700) == 0 {
                now += 16 * 3_600_000; // over a local midnight
                *stats.entry("day").or_default() += 1;
            }
            let window = windows[rng.below(windows.len() as u64) as usize];
            let category = categories[rng.below(categories.len() as u64) as usize].clone();
            match rng.below(18) {
                0..=3 => {
                    let source = match rng.below(4) {
                        0 => Source::WalkIn,
                        1 => id_card(rng.below(25) as u32, 18 + rng.below(70) as u16),
                        2 if !codes.is_empty() && rng.below(3) == 0 => {
                            appointment(&codes[rng.below(codes.len() as u64) as usize].clone())
                        }
                        _ => {
                            let code = format!("YY-{step:05}");
                            codes.push(code.clone());
                            appointment(&code)
                        }
                    };
                    match q.issue(&category, source, now) {
                        Ok(t) => {
                            assert!(
                                issued_per_day
                                    .entry(t.day.clone())
                                    .or_default()
                                    .insert(t.number.clone()),
                                "number {} issued twice on {}",
                                t.number,
                                t.day
                            );
                            *stats.entry("issued").or_default() += 1;
                        }
                        Err(QueueError::AlreadyWaiting { .. }) => {
                            *stats.entry("already_waiting").or_default() += 1;
                        }
                        Err(QueueError::AppointmentUsed { .. }) => {
                            *stats.entry("appointment_used").or_default() += 1;
                        }
                        Err(e) => panic!("issue: {e}"),
                    }
                }
                4..=7 => {
                    // The called ticket has the best lane among those the
                    // window could have taken.
                    let slot = q.windows.iter().find(|w| w.no == window).unwrap();
                    let best = q
                        .line
                        .iter()
                        .map(|&i| &q.tickets[i])
                        .filter(|t| slot.serves.contains(&t.category))
                        .map(|t| t.lane)
                        .min();
                    // A new day empties the line and the windows first.
                    let rolled = local_day(now) > q.day;
                    let best = best.filter(|_| !rolled);
                    let busy = slot.current.is_some() && !rolled;
                    let paused = slot.paused;
                    match q.call_next(window, now) {
                        Ok(Some(c)) => {
                            assert!(!busy && !paused);
                            assert_eq!(Some(q.ticket(&c.number).unwrap().lane), best);
                            *stats.entry("called").or_default() += 1;
                        }
                        Ok(None) => assert!(best.is_none()),
                        Err(QueueError::Busy { .. }) => assert!(busy),
                        Err(QueueError::Paused { .. }) => assert!(paused),
                        Err(e) => panic!("call_next: {e}"),
                    }
                }
                8..=9 => {
                    if q.start(window, now).is_ok() {
                        *stats.entry("started").or_default() += 1;
                    }
                }
                10..=11 => {
                    if let Ok(f) = q.finish(window, now) {
                        assert!(f.wait_ms >= 0 && f.service_ms >= 0);
                        *stats.entry("finished").or_default() += 1;
                    }
                }
                12..=13 => match q.missed(window, now) {
                    Ok(MissOutcome::Requeued { .. }) => *stats.entry("requeued").or_default() += 1,
                    Ok(MissOutcome::Dropped { .. }) => *stats.entry("dropped").or_default() += 1,
                    Err(_) => {}
                },
                14 => {
                    if q.transfer(window, &category, now).is_ok() {
                        *stats.entry("transferred").or_default() += 1;
                    }
                }
                15 => {
                    if q.recall(window, now).is_ok() {
                        *stats.entry("recalled").or_default() += 1;
                    }
                }
                16 => {
                    if !q.line.is_empty() {
                        let i = q.line[rng.below(q.line.len() as u64) as usize];
                        let number = q.tickets[i].number.clone();
                        if q.cancel(&number, now).is_ok() {
                            *stats.entry("cancelled").or_default() += 1;
                        }
                    }
                }
                _ => {
                    if rng.below(3) == 0 {
                        q.pause(window).unwrap();
                    } else {
                        q.resume(window).unwrap();
                    }
                }
            }
            check_invariants(&q, now);
        }
        for key in [
            "issued",
            "called",
            "started",
            "finished",
            "requeued",
            "dropped",
            "transferred",
            "recalled",
            "cancelled",
            "already_waiting",
            "appointment_used",
            "day",
        ] {
            assert!(stats.get(key).copied().unwrap_or(0) > 0, "{key}: {stats:?}");
        }
    }
}
