//! Calls of the 一号统领 hotline as the telephony reports them, the agent
//! seats' status, and the list of missed calls to call back (漏接回拨,
//! 国办函〔2025〕66号). Pure logic: no storage, no clock, no bindings.
//!
//! # Calls
//!
//! A [`Call`] is one inbound call that asked for an agent: offered to the
//! queue at `offered_ms`, answered by a seat at `answered_ms` (none when the
//! caller hung up first: an abandoned call, 呼损) and ended at `ended_ms`.
//! [`Call::validate`] checks it; [`Call::wait_ms`], [`Call::handle_ms`],
//! [`Call::abandoned`] and [`Call::answered_within`] derive what the KPIs
//! ([`crate::kpi`]) count.
//!
//! # Seats
//!
//! [`Seats`] follows the agent seats (座席) through the telephony's events:
//!
//! ```text
//! Offline --login--> Available --offered(c)--> Busy (ringing c) --answered(c)--> Busy (talking c)
//!                    Available --answered(c)--> Busy (talking c)      (no ring event reported)
//! Busy (ringing c) --ended(c)--> Available     (the caller hung up or the ring timed out)
//! Busy (talking c) --ended(c)--> WrapUp --wrap_up_done--> Available
//! Available | WrapUp --logout--> Offline
//! ```
//!
//! Every other event is refused with a [`SeatError`] saying why (answering
//! on an offline seat, a second call on a busy seat, logging out during a
//! call, …) and leaves the seats unchanged. Each seat also accumulates the
//! time spent in each status, which gives its occupancy (占用率).

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::kpi::Figure;
use crate::order::{MAX_ID_CHARS, OrderError, classify_phone};

/// Longest recording reference (file name or URI), in characters.
pub const MAX_RECORDING_CHARS: usize = 512;
/// Longest plausible call, offer to end: 24 hours. Anything longer is a
/// telephony error and is refused (it would also distort every average).
pub const MAX_CALL_MS: i64 = 86_400_000;

/// Occupancy of a seat: the definition printed beside the figure.
pub const OCCUPANCY_DEFINITION: &str = "座席占用率 = (通话时长 + 话后处理时长) / 签入时长 \
     occupancy = (busy + wrap-up time) / logged-in time (available + busy + wrap-up)";

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

/// One inbound call that asked for an agent, as the telephony reports it
/// once it has ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// Call id from the telephony (1-64 characters, no whitespace).
    pub id: String,
    /// The caller's number exactly as presented (see [`classify_phone`]).
    pub caller_number: String,
    /// The seat that answered (required when answered), or that the call
    /// rang at before the caller hung up.
    #[serde(default)]
    pub seat: Option<String>,
    /// The hall (a unit id of the dispatch catalogue: 1-64 of `a-z`, `0-9`,
    /// `-`, `_`) the call concerns, if the agent recorded one.
    #[serde(default)]
    pub hall: Option<String>,
    /// The request category (a catalogue key: 1-64 of `a-z`, `0-9`, `-`,
    /// `_`, `.`), if the agent recorded one.
    #[serde(default)]
    pub category: Option<String>,
    /// When the call entered the queue (asked for an agent).
    pub offered_ms: i64,
    /// When a seat answered; `None` for an abandoned call (呼损).
    #[serde(default)]
    pub answered_ms: Option<i64>,
    /// When the call ended (the caller hung up, or the agent did).
    pub ended_ms: i64,
    /// Reference of the recording (file name or URI), answered calls only.
    #[serde(default)]
    pub recording: Option<String>,
    /// The work order (工单) the agent created from the call.
    #[serde(default)]
    pub order_id: Option<String>,
    /// The agent resolved the request during this call without dispatching
    /// a work order (首呼解决 / 直接答复); answered calls only.
    #[serde(default)]
    pub first_contact_resolved: bool,
    /// The knowledge-base article (知识库) the agent answered from.
    #[serde(default)]
    pub knowledge_article: Option<String>,
}

/// Why a call record was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum CallError {
    /// The caller's number is malformed.
    InvalidPhone {
        /// The number given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// An id or reference is empty, too long or malformed.
    InvalidInput {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The times are out of order or implausible.
    InvalidTimes {
        /// What is wrong.
        message: String,
    },
    /// A field only an answered call can have was set on an abandoned one.
    NotAnswered {
        /// The field.
        field: String,
    },
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::InvalidPhone { value, reason } => {
                write!(f, "caller_number: {value:?} {reason}")
            }
            CallError::InvalidInput { field, message } => write!(f, "{field}: {message}"),
            CallError::InvalidTimes { message } => write!(f, "times: {message}"),
            CallError::NotAnswered { field } => write!(
                f,
                "{field}: the call was abandoned (no answered_ms), so it cannot have a {field}"
            ),
        }
    }
}

impl std::error::Error for CallError {}

/// Seconds, with milliseconds when not whole, for messages.
fn seconds(ms: i64) -> String {
    if ms % 1_000 == 0 {
        format!("{} s", ms / 1_000)
    } else {
        format!("{:.3} s", ms as f64 / 1_000.0)
    }
}

/// 1-64 characters, no whitespace or control characters.
fn check_id(field: &str, id: &str) -> Result<(), CallError> {
    let n = id.chars().count();
    if !(1..=MAX_ID_CHARS).contains(&n) || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CallError::InvalidInput {
            field: field.to_owned(),
            message: format!("{id:?} must be 1-{MAX_ID_CHARS} characters without spaces"),
        });
    }
    Ok(())
}

/// A catalogue-style id: 1-64 of `a-z`, `0-9`, `-`, `_` and `extra`.
fn check_key(field: &str, id: &str, extra: &[u8]) -> Result<(), CallError> {
    let ok = (1..=MAX_ID_CHARS).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'-'
                || b == b'_'
                || extra.contains(&b)
        });
    if ok {
        return Ok(());
    }
    let allowed = if extra.contains(&b'.') {
        "a-z, 0-9, -, _ and ."
    } else {
        "a-z, 0-9, - and _"
    };
    Err(CallError::InvalidInput {
        field: field.to_owned(),
        message: format!("{id:?} must be 1-{MAX_ID_CHARS} characters of {allowed}"),
    })
}

/// Whether `number` is a caller ID as telephony presents it: an optional
/// `+` and 3 to 20 ASCII digits (international numbers, short service
/// numbers such as 95566). Work orders need a callable Chinese number
/// ([`classify_phone`]); call records take what the network delivered.
pub fn is_caller_id(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (3..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Call {
    /// Checks the record:
    ///
    /// - `id`, `seat`, `order_id`, `knowledge_article`: 1-64 characters
    ///   without spaces; `hall`: a unit id, `category`: a catalogue key;
    /// - `caller_number`: [`classify_phone`], or a caller ID as the network
    ///   presents it ([`is_caller_id`]: `+` and 3-20 digits, or 3-20 digits);
    /// - `offered_ms <= answered_ms <= ended_ms` (or `offered_ms <=
    ///   ended_ms` when abandoned), and at most [`MAX_CALL_MS`] from offer
    ///   to end;
    /// - an answered call names its `seat`; an abandoned call has no
    ///   `recording`, `order_id`, `knowledge_article` or
    ///   `first_contact_resolved`;
    /// - `recording`: 1-512 characters without control characters.
    pub fn validate(&self) -> Result<(), CallError> {
        check_id("id", &self.id)?;
        // A caller ID as the network presents it (international numbers,
        // short service numbers) is a call too; anything else must be a
        // Chinese number.
        if !is_caller_id(&self.caller_number) {
            classify_phone(&self.caller_number).map_err(|e| match e {
                OrderError::InvalidPhone { value, reason } => {
                    CallError::InvalidPhone { value, reason }
                }
                other => CallError::InvalidPhone {
                    value: self.caller_number.clone(),
                    reason: other.to_string(),
                },
            })?;
        }
        if let Some(seat) = &self.seat {
            check_id("seat", seat)?;
        }
        if let Some(hall) = &self.hall {
            check_key("hall", hall, &[])?;
        }
        if let Some(category) = &self.category {
            check_key("category", category, b".")?;
        }
        if let Some(order) = &self.order_id {
            check_id("order_id", order)?;
        }
        if let Some(article) = &self.knowledge_article {
            check_id("knowledge_article", article)?;
        }
        if let Some(recording) = &self.recording {
            let n = recording.chars().count();
            if recording.trim().is_empty()
                || n > MAX_RECORDING_CHARS
                || recording.chars().any(char::is_control)
            {
                return Err(CallError::InvalidInput {
                    field: "recording".into(),
                    message: format!(
                        "must be 1-{MAX_RECORDING_CHARS} characters without control characters"
                    ),
                });
            }
        }
        self.check_times()?;
        match self.answered_ms {
            Some(_) if self.seat.is_none() => Err(CallError::InvalidInput {
                field: "seat".into(),
                message: "an answered call must name the seat that answered it".into(),
            }),
            Some(_) => Ok(()),
            None => {
                let set = [
                    ("recording", self.recording.is_some()),
                    ("order_id", self.order_id.is_some()),
                    ("knowledge_article", self.knowledge_article.is_some()),
                    ("first_contact_resolved", self.first_contact_resolved),
                ];
                match set.iter().find(|(_, is_set)| *is_set) {
                    Some((field, _)) => Err(CallError::NotAnswered {
                        field: (*field).to_owned(),
                    }),
                    None => Ok(()),
                }
            }
        }
    }

    /// The time checks of [`Call::validate`] alone (cheap, no allocation on
    /// success): what the KPIs need to be meaningful.
    pub fn check_times(&self) -> Result<(), CallError> {
        let times = |message: String| Err(CallError::InvalidTimes { message });
        let (offered, ended) = (self.offered_ms, self.ended_ms);
        if let Some(answered) = self.answered_ms {
            if answered < offered {
                return times(format!(
                    "answered_ms is {} before offered_ms",
                    seconds(offered.saturating_sub(answered))
                ));
            }
            if ended < answered {
                return times(format!(
                    "ended_ms is {} before answered_ms",
                    seconds(answered.saturating_sub(ended))
                ));
            }
        } else if ended < offered {
            return times(format!(
                "ended_ms is {} before offered_ms",
                seconds(offered.saturating_sub(ended))
            ));
        }
        if ended.saturating_sub(offered) > MAX_CALL_MS {
            return times(format!(
                "the call lasts {} from offer to end, more than the {} a call can last",
                seconds(ended.saturating_sub(offered)),
                seconds(MAX_CALL_MS)
            ));
        }
        Ok(())
    }

    /// Whether the caller hung up before any seat answered (呼损).
    pub fn abandoned(&self) -> bool {
        self.answered_ms.is_none()
    }

    /// How long the caller waited: offer to answer, or offer to hang-up
    /// when abandoned.
    pub fn wait_ms(&self) -> i64 {
        self.answered_ms
            .unwrap_or(self.ended_ms)
            .saturating_sub(self.offered_ms)
    }

    /// How long the agent handled the call, answer to end (talk and hold;
    /// wrap-up is not in the record); `None` when abandoned.
    pub fn handle_ms(&self) -> Option<i64> {
        self.answered_ms
            .map(|answered| self.ended_ms.saturating_sub(answered))
    }

    /// Whether a seat answered within `ms` of the offer (the limit itself
    /// included: GB/T 33358's "15 秒之内接听" counts a call answered at
    /// exactly 15 s).
    pub fn answered_within(&self, ms: i64) -> bool {
        self.answered_ms
            .is_some_and(|answered| answered.saturating_sub(self.offered_ms) <= ms)
    }
}

/// The abandoned calls not yet called back (漏接回拨, 66号), oldest first:
/// every call of `calls` that was abandoned and whose id is not in
/// `called_back`. Short abandons are listed too: whether a 2-second hang-up
/// deserves a callback is the agents' call, not this list's.
pub fn missed_to_call_back<'a, S: AsRef<str>>(
    calls: &'a [Call],
    called_back: &[S],
) -> Vec<&'a Call> {
    let done: HashSet<&str> = called_back.iter().map(AsRef::as_ref).collect();
    let mut missed: Vec<&Call> = calls
        .iter()
        .filter(|c| c.abandoned() && !done.contains(c.id.as_str()))
        .collect();
    missed.sort_by_key(|c| c.offered_ms);
    missed
}

// ---------------------------------------------------------------------------
// Seats
// ---------------------------------------------------------------------------

/// What an agent seat is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeatStatus {
    /// Logged in and free for the next call (示闲).
    Available,
    /// A call rings at the seat or is being talked (通话中).
    Busy,
    /// After-call work (话后处理): the call ended, the agent completes the
    /// record.
    WrapUp,
    /// Logged out (签出).
    Offline,
}

impl SeatStatus {
    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            SeatStatus::Available => "示闲",
            SeatStatus::Busy => "通话中",
            SeatStatus::WrapUp => "话后处理",
            SeatStatus::Offline => "签出",
        }
    }

    fn name_en(self) -> &'static str {
        match self {
            SeatStatus::Available => "available",
            SeatStatus::Busy => "busy",
            SeatStatus::WrapUp => "in wrap-up",
            SeatStatus::Offline => "offline",
        }
    }
}

impl fmt::Display for SeatStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name_en(), self.name_zh())
    }
}

/// What happened at a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SeatEventKind {
    /// A call rings at the seat.
    Offered {
        /// The call.
        call_id: String,
    },
    /// The seat answered a call (after it rang, or directly when the
    /// telephony reports no ring).
    Answered {
        /// The call.
        call_id: String,
    },
    /// The call at the seat ended (answered: wrap-up follows; only rung:
    /// the seat is free again).
    Ended {
        /// The call.
        call_id: String,
    },
    /// The agent finished the after-call work.
    WrapUpDone,
    /// The agent logged in (签入).
    Login,
    /// The agent logged out (签出).
    Logout,
}

impl SeatEventKind {
    /// The event's name, as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            SeatEventKind::Offered { .. } => "offered",
            SeatEventKind::Answered { .. } => "answered",
            SeatEventKind::Ended { .. } => "ended",
            SeatEventKind::WrapUpDone => "wrap_up_done",
            SeatEventKind::Login => "login",
            SeatEventKind::Logout => "logout",
        }
    }
}

/// An event at a seat, e.g. `{"seat": "s1", "at_ms": 1, "event": "answered", "call_id": "c9"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatEvent {
    /// The seat.
    pub seat: String,
    /// When.
    pub at_ms: i64,
    /// What.
    #[serde(flatten)]
    pub kind: SeatEventKind,
}

/// Why [`Seats`] refused an event; the seats are unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum SeatError {
    /// A seat id given to [`Seats::new`] is malformed or repeated, or none
    /// was given.
    InvalidSeat {
        /// The id.
        seat: String,
        /// What is wrong.
        message: String,
    },
    /// The event names a seat that is not configured.
    UnknownSeat {
        /// The id.
        seat: String,
    },
    /// The event is impossible in the seat's status.
    Refused {
        /// The seat.
        seat: String,
        /// Its status.
        status: SeatStatus,
        /// The event's name.
        event: String,
        /// Why.
        reason: String,
    },
    /// The event is earlier than the seat's last event.
    ClockWentBack {
        /// The seat.
        seat: String,
        /// The event's time.
        at_ms: i64,
        /// The seat's last event.
        last_ms: i64,
    },
}

impl fmt::Display for SeatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeatError::InvalidSeat { seat, message } => write!(f, "seat {seat:?}: {message}"),
            SeatError::UnknownSeat { seat } => write!(f, "unknown seat {seat:?}"),
            SeatError::Refused {
                seat,
                status,
                event,
                reason,
            } => write!(f, "seat {seat} is {status}: cannot {event}: {reason}"),
            SeatError::ClockWentBack {
                seat,
                at_ms,
                last_ms,
            } => write!(
                f,
                "seat {seat}: event at {at_ms} ms is {} before the seat's last event",
                seconds(last_ms.saturating_sub(*at_ms))
            ),
        }
    }
}

impl std::error::Error for SeatError {}

/// The call at a busy seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatCall {
    /// The call.
    pub call_id: String,
    /// Answered (talking) rather than ringing.
    pub answered: bool,
}

/// One seat's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Seat {
    status: SeatStatus,
    call: Option<SeatCall>,
    /// Last event (and status change) time; `None` before the first event.
    since_ms: Option<i64>,
    available_ms: u64,
    busy_ms: u64,
    wrap_up_ms: u64,
}

impl Seat {
    /// Adds the time from the last event to `to_ms` to the current status.
    fn accrue(&mut self, to_ms: i64) {
        let Some(since) = self.since_ms else {
            return;
        };
        let elapsed = u64::try_from(to_ms.saturating_sub(since)).unwrap_or(0);
        let bucket = match self.status {
            SeatStatus::Available => &mut self.available_ms,
            SeatStatus::Busy => &mut self.busy_ms,
            SeatStatus::WrapUp => &mut self.wrap_up_ms,
            SeatStatus::Offline => return,
        };
        *bucket = bucket.saturating_add(elapsed);
    }
}

/// One seat in a [`Seats::report`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeatReport {
    /// The seat.
    pub seat: String,
    /// Its status.
    pub status: SeatStatus,
    /// The call ringing or talked at the seat.
    pub call: Option<SeatCall>,
    /// Since when it is in that status (`None`: no event yet).
    pub since_ms: Option<i64>,
    /// Time available (示闲), ms.
    pub available_ms: u64,
    /// Time busy (ringing or talking), ms.
    pub busy_ms: u64,
    /// Time in wrap-up, ms.
    pub wrap_up_ms: u64,
    /// Occupancy ([`OCCUPANCY_DEFINITION`]): numerator and denominator in
    /// ms; no value before the seat was ever logged in.
    pub occupancy: Figure,
}

/// The agent seats and their status, fed by [`SeatEvent`]s (see the
/// [module documentation](self) for the allowed events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seats {
    seats: BTreeMap<String, Seat>,
}

impl Seats {
    /// Seats with these ids (1-64 characters without spaces, no
    /// duplicates, at least one), all offline.
    pub fn new<S: AsRef<str>>(ids: &[S]) -> Result<Seats, SeatError> {
        if ids.is_empty() {
            return Err(SeatError::InvalidSeat {
                seat: String::new(),
                message: "at least one seat is required".into(),
            });
        }
        let mut seats = BTreeMap::new();
        for id in ids {
            let id = id.as_ref();
            check_id("seat", id).map_err(|_| SeatError::InvalidSeat {
                seat: id.to_owned(),
                message: format!("must be 1-{MAX_ID_CHARS} characters without spaces"),
            })?;
            let seat = Seat {
                status: SeatStatus::Offline,
                call: None,
                since_ms: None,
                available_ms: 0,
                busy_ms: 0,
                wrap_up_ms: 0,
            };
            if seats.insert(id.to_owned(), seat).is_some() {
                return Err(SeatError::InvalidSeat {
                    seat: id.to_owned(),
                    message: "duplicate seat".into(),
                });
            }
        }
        Ok(Seats { seats })
    }

    /// The status of a seat, `None` when it is not configured.
    pub fn status(&self, seat: &str) -> Option<SeatStatus> {
        self.seats.get(seat).map(|s| s.status)
    }

    /// The call ringing or talked at a seat.
    pub fn call(&self, seat: &str) -> Option<&SeatCall> {
        self.seats.get(seat).and_then(|s| s.call.as_ref())
    }

    /// Forces a seat offline, as when the telephony restarted and logs
    /// the seat in again: the time up to `at_ms` is accrued and the call
    /// the seat held, if any, is returned so that the caller can end it.
    pub fn reset(&mut self, seat: &str, at_ms: i64) -> Result<Option<SeatCall>, SeatError> {
        let Some(s) = self.seats.get_mut(seat) else {
            return Err(SeatError::UnknownSeat {
                seat: seat.to_owned(),
            });
        };
        if let Some(last_ms) = s.since_ms
            && at_ms < last_ms
        {
            return Err(SeatError::ClockWentBack {
                seat: seat.to_owned(),
                at_ms,
                last_ms,
            });
        }
        s.accrue(at_ms);
        s.status = SeatStatus::Offline;
        s.since_ms = Some(at_ms);
        Ok(s.call.take())
    }

    /// Applies an event: on success returns the seat's new status; on error
    /// nothing changes.
    pub fn apply(&mut self, event: &SeatEvent) -> Result<SeatStatus, SeatError> {
        let Some(seat) = self.seats.get_mut(&event.seat) else {
            return Err(SeatError::UnknownSeat {
                seat: event.seat.clone(),
            });
        };
        if let Some(last_ms) = seat.since_ms
            && event.at_ms < last_ms
        {
            return Err(SeatError::ClockWentBack {
                seat: event.seat.clone(),
                at_ms: event.at_ms,
                last_ms,
            });
        }
        let (status, call) = next(seat, &event.kind).map_err(|reason| SeatError::Refused {
            seat: event.seat.clone(),
            status: seat.status,
            event: event.kind.name().to_owned(),
            reason,
        })?;
        seat.accrue(event.at_ms);
        seat.status = status;
        seat.call = call;
        seat.since_ms = Some(event.at_ms);
        Ok(status)
    }

    /// Every seat's status, times and occupancy up to `now_ms` (the time in
    /// the current status counts until then), by seat id.
    pub fn report(&self, now_ms: i64) -> Vec<SeatReport> {
        self.seats
            .iter()
            .map(|(id, seat)| {
                let mut seat = seat.clone();
                seat.accrue(now_ms);
                let busy = seat.busy_ms.saturating_add(seat.wrap_up_ms);
                let logged_in = busy.saturating_add(seat.available_ms);
                SeatReport {
                    seat: id.clone(),
                    status: seat.status,
                    call: seat.call,
                    since_ms: seat.since_ms,
                    available_ms: seat.available_ms,
                    busy_ms: seat.busy_ms,
                    wrap_up_ms: seat.wrap_up_ms,
                    occupancy: Figure::ratio(busy, logged_in, OCCUPANCY_DEFINITION),
                }
            })
            .collect()
    }
}

/// The status and call after `kind`, or why it is impossible.
fn next(seat: &Seat, kind: &SeatEventKind) -> Result<(SeatStatus, Option<SeatCall>), String> {
    use SeatStatus::{Available, Busy, Offline, WrapUp};
    let current = seat.call.as_ref();
    let on_call = |what: &str| match current {
        Some(c) if c.answered => format!("it is talking on call {}; {what}", c.call_id),
        Some(c) => format!("call {} is ringing there; {what}", c.call_id),
        None => what.to_owned(),
    };
    match (seat.status, kind) {
        (Offline, SeatEventKind::Login) => Ok((Available, None)),
        (_, SeatEventKind::Login) => Err("the agent is already logged in".into()),
        (Offline, _) => Err("the agent is logged out; log in first".into()),
        (Available | WrapUp, SeatEventKind::Logout) => Ok((Offline, None)),
        (Busy, SeatEventKind::Logout) => Err(on_call("end the call before logging out")),
        (Available, SeatEventKind::Offered { call_id }) => Ok((
            Busy,
            Some(SeatCall {
                call_id: call_id.clone(),
                answered: false,
            }),
        )),
        (Available, SeatEventKind::Answered { call_id }) => Ok((
            Busy,
            Some(SeatCall {
                call_id: call_id.clone(),
                answered: true,
            }),
        )),
        (Busy, SeatEventKind::Offered { .. }) => Err(on_call("a busy seat takes no second call")),
        (Busy, SeatEventKind::Answered { call_id }) => match current {
            Some(c) if c.call_id == *call_id && !c.answered => Ok((
                Busy,
                Some(SeatCall {
                    call_id: call_id.clone(),
                    answered: true,
                }),
            )),
            Some(c) if c.call_id == *call_id => Err(format!("call {call_id} is already answered")),
            _ => Err(on_call(&format!("call {call_id} is not the seat's call"))),
        },
        (Busy, SeatEventKind::Ended { call_id }) => match current {
            Some(c) if c.call_id == *call_id && c.answered => Ok((WrapUp, None)),
            Some(c) if c.call_id == *call_id => Ok((Available, None)),
            _ => Err(on_call(&format!("call {call_id} is not the seat's call"))),
        },
        (WrapUp, SeatEventKind::WrapUpDone) => Ok((Available, None)),
        (WrapUp, SeatEventKind::Offered { .. } | SeatEventKind::Answered { .. }) => {
            Err("the agent is in wrap-up; finish it (wrap_up_done) before the next call".into())
        }
        (Available | WrapUp, SeatEventKind::Ended { call_id }) => Err(format!(
            "no call is at the seat, so call {call_id} cannot end there"
        )),
        (Available | Busy, SeatEventKind::WrapUpDone) => Err("the seat is not in wrap-up".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, offered: i64, answered: Option<i64>, ended: i64) -> Call {
        Call {
            id: id.into(),
            caller_number: "13812345678".into(),
            seat: answered.map(|_| "s1".into()),
            hall: Some("hall-bailou".into()),
            category: Some("streetlight".into()),
            offered_ms: offered,
            answered_ms: answered,
            ended_ms: ended,
            recording: None,
            order_id: None,
            first_contact_resolved: false,
            knowledge_article: None,
        }
    }

    #[test]
    fn derived_times() {
        let c = call("c1", 1_000, Some(16_000), 76_000);
        assert!(!c.abandoned());
        assert_eq!(c.wait_ms(), 15_000);
        assert_eq!(c.handle_ms(), Some(60_000));
        assert!(c.answered_within(15_000), "exactly 15 s is within 15 s");
        assert!(!c.answered_within(14_999));
        let a = call("c2", 1_000, None, 41_000);
        assert!(a.abandoned());
        assert_eq!(a.wait_ms(), 40_000);
        assert_eq!(a.handle_ms(), None);
        assert!(!a.answered_within(60_000));
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(a.validate(), Ok(()));
    }

    #[test]
    fn validation_refuses_bad_records() {
        let ok = call("c1", 10_000, Some(20_000), 30_000);
        let cases: Vec<(Call, &str)> = vec![
            (
                Call {
                    answered_ms: Some(9_000),
                    ..ok.clone()
                },
                "times: answered_ms is 1 s before offered_ms",
            ),
            (
                Call {
                    ended_ms: 19_500,
                    ..ok.clone()
                },
                "times: ended_ms is 0.500 s before answered_ms",
            ),
            (
                Call {
                    answered_ms: None,
                    seat: None,
                    ended_ms: 5_000,
                    ..ok.clone()
                },
                "times: ended_ms is 5 s before offered_ms",
            ),
            (
                Call {
                    ended_ms: 10_000 + MAX_CALL_MS + 1,
                    ..ok.clone()
                },
                "times: the call lasts 86400.001 s from offer to end, more than the 86400 s a call can last",
            ),
            (
                Call {
                    caller_number: "138 1234 5678".into(),
                    ..ok.clone()
                },
                "caller_number: \"138 1234 5678\" contains spaces",
            ),
            (
                Call {
                    caller_number: "12".into(),
                    ..ok.clone()
                },
                "caller_number: \"12\" is not a phone number",
            ),
            (
                Call {
                    id: String::new(),
                    ..ok.clone()
                },
                "id: \"\" must be 1-64 characters without spaces",
            ),
            (
                Call {
                    seat: Some("s 1".into()),
                    ..ok.clone()
                },
                "seat: \"s 1\" must be 1-64 characters without spaces",
            ),
            (
                Call {
                    hall: Some("Hall-A".into()),
                    ..ok.clone()
                },
                "hall: \"Hall-A\" must be 1-64 characters of a-z, 0-9, - and _",
            ),
            (
                Call {
                    category: Some("x".repeat(65)),
                    ..ok.clone()
                },
                "category: ",
            ),
            (
                Call {
                    order_id: Some("x".repeat(65)),
                    ..ok.clone()
                },
                "order_id: ",
            ),
            (
                Call {
                    recording: Some("a\nb".into()),
                    ..ok.clone()
                },
                "recording: must be 1-512 characters without control characters",
            ),
            (
                Call {
                    seat: None,
                    ..ok.clone()
                },
                "seat: an answered call must name the seat that answered it",
            ),
            (
                Call {
                    answered_ms: None,
                    first_contact_resolved: true,
                    ..ok.clone()
                },
                "first_contact_resolved: the call was abandoned",
            ),
            (
                Call {
                    answered_ms: None,
                    order_id: Some("GD-1".into()),
                    ..ok.clone()
                },
                "order_id: the call was abandoned",
            ),
        ];
        for (c, want) in cases {
            let err = c.validate().unwrap_err();
            assert!(
                err.to_string().starts_with(want),
                "{c:?}: got {err}, want {want}"
            );
        }
        // A landline with area code and a short number are fine; so is a
        // GB/T 39666 numeric category.
        for number in ["0312-5012345", "12345"] {
            let c = Call {
                caller_number: number.into(),
                category: Some("010203".into()),
                ..ok.clone()
            };
            assert_eq!(c.validate(), Ok(()), "{number}");
        }
    }

    #[test]
    fn call_json_round_trip_and_unknown_fields() {
        let json = r#"{"id": "c1", "caller_number": "13812345678", "seat": "s1",
            "offered_ms": 0, "answered_ms": 5000, "ended_ms": 65000,
            "first_contact_resolved": true}"#;
        let c: Call = serde_json::from_str(json).unwrap();
        assert_eq!(c.hall, None);
        assert!(c.first_contact_resolved);
        assert_eq!(c.validate(), Ok(()));
        let back: Call = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<Call>(r#"{"id": "c1", "caller_number": "12345", "offered_ms": 0, "ended_ms": 1, "wait": 1}"#).is_err());
    }

    #[test]
    fn missed_calls_oldest_first_without_those_called_back() {
        let calls = vec![
            call("c1", 3_000, None, 8_000),
            call("c2", 1_000, Some(2_000), 9_000),
            call("c3", 2_000, None, 4_000),
            call("c4", 500, None, 40_500),
        ];
        let missed = missed_to_call_back(&calls, &["c4"]);
        let ids: Vec<&str> = missed.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c3", "c1"]);
        let none: [&str; 0] = [];
        let ids: Vec<String> = missed_to_call_back(&calls, &none)
            .iter()
            .map(|c| c.id.clone())
            .collect();
        assert_eq!(ids, ["c4", "c3", "c1"]);
    }

    fn ev(seat: &str, at_ms: i64, kind: SeatEventKind) -> SeatEvent {
        SeatEvent {
            seat: seat.into(),
            at_ms,
            kind,
        }
    }

    fn offered(id: &str) -> SeatEventKind {
        SeatEventKind::Offered { call_id: id.into() }
    }

    fn answered(id: &str) -> SeatEventKind {
        SeatEventKind::Answered { call_id: id.into() }
    }

    fn ended(id: &str) -> SeatEventKind {
        SeatEventKind::Ended { call_id: id.into() }
    }

    /// Puts seat s1 into a state: the events that lead there.
    fn seats_in(state: &str) -> Seats {
        let mut seats = Seats::new(&["s1"]).unwrap();
        let path: Vec<SeatEventKind> = match state {
            "offline" => vec![],
            "available" => vec![SeatEventKind::Login],
            "ringing" => vec![SeatEventKind::Login, offered("c1")],
            "talking" => vec![SeatEventKind::Login, offered("c1"), answered("c1")],
            "wrap_up" => vec![
                SeatEventKind::Login,
                offered("c1"),
                answered("c1"),
                ended("c1"),
            ],
            _ => unreachable!(),
        };
        for (i, kind) in path.into_iter().enumerate() {
            seats.apply(&ev("s1", i as i64 * 1_000, kind)).unwrap();
        }
        seats
    }

    #[test]
    fn seat_state_machine_table() {
        use SeatStatus::{Available, Busy, Offline, WrapUp};
        // (state, event, Ok(new status) or Err(part of the message))
        let table: Vec<(&str, SeatEventKind, Result<SeatStatus, &str>)> = vec![
            ("offline", SeatEventKind::Login, Ok(Available)),
            (
                "offline",
                SeatEventKind::Logout,
                Err("the agent is logged out; log in first"),
            ),
            ("offline", offered("c1"), Err("log in first")),
            (
                "offline",
                answered("c1"),
                Err(
                    "seat s1 is offline (签出): cannot answered: the agent is logged out; log in first",
                ),
            ),
            ("offline", ended("c1"), Err("log in first")),
            ("offline", SeatEventKind::WrapUpDone, Err("log in first")),
            ("available", SeatEventKind::Login, Err("already logged in")),
            ("available", SeatEventKind::Logout, Ok(Offline)),
            ("available", offered("c2"), Ok(Busy)),
            ("available", answered("c2"), Ok(Busy)),
            (
                "available",
                ended("c2"),
                Err("no call is at the seat, so call c2 cannot end there"),
            ),
            (
                "available",
                SeatEventKind::WrapUpDone,
                Err("not in wrap-up"),
            ),
            ("ringing", SeatEventKind::Login, Err("already logged in")),
            (
                "ringing",
                SeatEventKind::Logout,
                Err("call c1 is ringing there; end the call before logging out"),
            ),
            (
                "ringing",
                offered("c2"),
                Err("a busy seat takes no second call"),
            ),
            ("ringing", answered("c1"), Ok(Busy)),
            (
                "ringing",
                answered("c2"),
                Err("call c2 is not the seat's call"),
            ),
            ("ringing", ended("c1"), Ok(Available)),
            (
                "ringing",
                ended("c2"),
                Err("call c2 is not the seat's call"),
            ),
            ("ringing", SeatEventKind::WrapUpDone, Err("not in wrap-up")),
            (
                "talking",
                SeatEventKind::Logout,
                Err("it is talking on call c1; end the call before logging out"),
            ),
            (
                "talking",
                offered("c2"),
                Err("a busy seat takes no second call"),
            ),
            (
                "talking",
                answered("c1"),
                Err("call c1 is already answered"),
            ),
            ("talking", ended("c1"), Ok(WrapUp)),
            ("talking", ended("c2"), Err("not the seat's call")),
            ("talking", SeatEventKind::WrapUpDone, Err("not in wrap-up")),
            ("wrap_up", SeatEventKind::Login, Err("already logged in")),
            ("wrap_up", SeatEventKind::Logout, Ok(Offline)),
            (
                "wrap_up",
                offered("c2"),
                Err("finish it (wrap_up_done) before the next call"),
            ),
            ("wrap_up", answered("c2"), Err("in wrap-up")),
            ("wrap_up", ended("c1"), Err("no call is at the seat")),
            ("wrap_up", SeatEventKind::WrapUpDone, Ok(Available)),
        ];
        for (state, kind, want) in table {
            let mut seats = seats_in(state);
            let before = seats.clone();
            let got = seats.apply(&ev("s1", 10_000, kind.clone()));
            match (got, want) {
                (Ok(status), Ok(want)) => {
                    assert_eq!(status, want, "{state} + {}", kind.name());
                    assert_eq!(seats.status("s1"), Some(want));
                }
                (Err(err), Err(want)) => {
                    assert!(
                        err.to_string().contains(want),
                        "{state} + {}: got {err}, want …{want}…",
                        kind.name()
                    );
                    assert_eq!(seats, before, "refused event changed the seats");
                }
                (got, want) => panic!("{state} + {}: got {got:?}, want {want:?}", kind.name()),
            }
        }
    }

    #[test]
    fn unknown_seats_bad_ids_and_clock() {
        assert!(matches!(
            Seats::new::<&str>(&[]),
            Err(SeatError::InvalidSeat { .. })
        ));
        assert_eq!(
            Seats::new(&["s1", "s1"]).unwrap_err().to_string(),
            "seat \"s1\": duplicate seat"
        );
        assert!(Seats::new(&["s 1"]).is_err());
        let mut seats = seats_in("available");
        assert_eq!(
            seats.apply(&ev("s9", 5_000, SeatEventKind::Login)),
            Err(SeatError::UnknownSeat { seat: "s9".into() })
        );
        // seats_in put the login at 0 ms; an event before it is refused.
        assert_eq!(
            seats
                .apply(&ev("s1", -1_000, offered("c1")))
                .unwrap_err()
                .to_string(),
            "seat s1: event at -1000 ms is 1 s before the seat's last event"
        );
        assert_eq!(seats.status("s9"), None);
    }

    #[test]
    fn occupancy_from_the_time_in_each_status() {
        let mut seats = Seats::new(&["s1", "s2"]).unwrap();
        let events = [
            ev("s1", 0, SeatEventKind::Login),
            ev("s1", 60_000, offered("c1")),  // available 60 s
            ev("s1", 70_000, answered("c1")), // ringing 10 s (busy)
            ev("s1", 190_000, ended("c1")),   // talking 120 s (busy)
            ev("s1", 220_000, SeatEventKind::WrapUpDone), // wrap-up 30 s
            ev("s1", 300_000, SeatEventKind::Logout), // available 80 s
        ];
        for e in &events {
            seats.apply(e).unwrap();
        }
        assert_eq!(seats.call("s1"), None);
        // Offline time after the logout does not count.
        let report = seats.report(1_000_000);
        let s1 = &report[0];
        assert_eq!(s1.status, SeatStatus::Offline);
        assert_eq!(
            (s1.available_ms, s1.busy_ms, s1.wrap_up_ms),
            (140_000, 130_000, 30_000)
        );
        // (130 + 30) / (140 + 130 + 30) = 160 / 300
        assert_eq!(
            (s1.occupancy.numerator, s1.occupancy.denominator),
            (160_000, 300_000)
        );
        assert_eq!(s1.occupancy.value, Some(160.0 / 300.0));
        // s2 never logged in: no value, not NaN.
        let s2 = &report[1];
        assert_eq!((s2.seat.as_str(), s2.status), ("s2", SeatStatus::Offline));
        assert_eq!(s2.occupancy.value, None);
        // A seat talking now: the current status counts up to now.
        seats.apply(&ev("s2", 0, SeatEventKind::Login)).unwrap();
        seats.apply(&ev("s2", 10_000, answered("c7"))).unwrap();
        let s2 = &seats.report(40_000)[1];
        assert_eq!((s2.available_ms, s2.busy_ms), (10_000, 30_000));
        assert_eq!(
            s2.call,
            Some(SeatCall {
                call_id: "c7".into(),
                answered: true
            })
        );
        assert_eq!(s2.occupancy.value, Some(0.75));
    }

    #[test]
    fn seat_events_from_json() {
        let e: SeatEvent = serde_json::from_str(
            r#"{"seat": "s1", "at_ms": 5, "event": "answered", "call_id": "c9"}"#,
        )
        .unwrap();
        assert_eq!(e.kind, answered("c9"));
        let e: SeatEvent =
            serde_json::from_str(r#"{"seat": "s1", "at_ms": 5, "event": "wrap_up_done"}"#).unwrap();
        assert_eq!(e.kind, SeatEventKind::WrapUpDone);
        let mut seats = Seats::new(&["s1"]).unwrap();
        seats.apply(&ev("s1", 0, SeatEventKind::Login)).unwrap();
        let json = serde_json::to_string(&seats).unwrap();
        assert_eq!(serde_json::from_str::<Seats>(&json).unwrap(), seats);
    }
}
