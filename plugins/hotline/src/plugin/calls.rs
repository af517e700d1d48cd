//! Telephony: the webhook call events arrive on (from the SIP bridge
//! `bantong-sip-bridge` or any PBX), the seats' status, the calls, the
//! agent's wrap-up record and the missed calls to call back (漏接回拨).
//!
//! A batch of events is applied as a whole: one bad event refuses the
//! batch (422 naming its index) and changes nothing.

use bantong_sdk::storage::{self, Document, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::docs::{CALLS, CallDoc, CallStatus, STATE, caller_key};
use super::settings;
use super::{forbidden, invalid, is_agent, paging, param, sees_all};
use crate::calls::{SeatEvent, SeatEventKind, SeatStatus, Seats, is_caller_id};
use crate::order::{MAX_ID_CHARS, classify_phone};

/// Most events in one webhook call.
const MAX_BATCH: usize = 500;
const SEATS_ID: &str = "seats";

/// One telephony event, as the webhook takes it (see the crate README).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
enum TelephonyEvent {
    Login {
        seat: String,
        at_ms: i64,
    },
    Logout {
        seat: String,
        at_ms: i64,
    },
    WrapUpDone {
        seat: String,
        at_ms: i64,
    },
    Offered {
        call_id: String,
        caller_number: String,
        at_ms: i64,
        #[serde(default)]
        seat: Option<String>,
    },
    Answered {
        call_id: String,
        seat: String,
        at_ms: i64,
    },
    Ended {
        call_id: String,
        at_ms: i64,
        #[serde(default)]
        recording: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    events: Vec<TelephonyEvent>,
}

/// The seats, stored as one document.
fn load_seats(configured: &[String]) -> Result<(Seats, Option<u64>), Response> {
    match storage::get::<Seats>(STATE, SEATS_ID)? {
        Some(doc) => Ok((doc.body, Some(doc.version))),
        None => Seats::new(configured)
            .map(|s| (s, None))
            .map_err(|e| invalid("座席配置有误", e)),
    }
}

fn check_call_id(id: &str) -> Result<(), String> {
    let n = id.chars().count();
    if (1..=MAX_ID_CHARS).contains(&n) && !id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(())
    } else {
        Err(format!(
            "call_id {id:?} must be 1-{MAX_ID_CHARS} characters without spaces"
        ))
    }
}

/// `POST /telephony/events`: `{"events":[…]}`.
pub fn events(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !(is_agent(caller) || caller.has_role("district-admin")) {
        return Err(forbidden(
            "需要话务系统令牌",
            "needs a hotline-agent or admin token",
        ));
    }
    let batch: Batch = req.json()?;
    if batch.events.is_empty() || batch.events.len() > MAX_BATCH {
        return Err(invalid(
            "事件数量不对",
            format!(
                "a batch has 1-{MAX_BATCH} events, not {}",
                batch.events.len()
            ),
        ));
    }
    let r = settings::load()?;
    let (mut seats, seats_version) = load_seats(&r.settings.seats)?;
    // Calls touched by the batch: (current stored version, body).
    let mut calls: BTreeMap<String, (Option<u64>, CallDoc)> = BTreeMap::new();
    for (i, ev) in batch.events.iter().enumerate() {
        apply(ev, &mut seats, &mut calls).map_err(|e| {
            invalid(
                "话务事件有误，整批未处理",
                format!("events[{i}]: {e}; nothing was applied"),
            )
        })?;
    }
    let seat_write = Write::new(seats.clone()).id(SEATS_ID);
    storage::put(
        STATE,
        match seats_version {
            Some(v) => seat_write.expected_version(v),
            None => seat_write.create_only(),
        },
    )?;
    for (id, (version, body)) in &calls {
        let w = Write::new(body.clone()).id(id);
        storage::put(
            CALLS,
            match version {
                Some(v) => w.expected_version(*v),
                None => w.create_only(),
            },
        )?;
    }
    Ok(Response::ok(&json!({ "applied": batch.events.len() })))
}

/// Applies one event to the seats and the calls in memory.
fn apply(
    ev: &TelephonyEvent,
    seats: &mut Seats,
    calls: &mut BTreeMap<String, (Option<u64>, CallDoc)>,
) -> Result<(), String> {
    let seat_event = |seat: &str, at_ms: i64, kind: SeatEventKind| SeatEvent {
        seat: seat.to_owned(),
        at_ms,
        kind,
    };
    let load = |call_id: &str| -> Result<Option<(Option<u64>, CallDoc)>, String> {
        check_call_id(call_id)?;
        if let Some(c) = calls.get(call_id) {
            return Ok(Some(c.clone()));
        }
        Ok(storage::get::<CallDoc>(CALLS, call_id)
            .map_err(|e| e.message().to_owned())?
            .map(|d| (Some(d.version), d.body)))
    };
    match ev {
        TelephonyEvent::Login { seat, at_ms } => {
            // A login on a seat that is not offline means the telephony
            // restarted: the seat starts over and a call it held ends now.
            if seats.status(seat).is_some_and(|s| s != SeatStatus::Offline) {
                let held = seats.reset(seat, *at_ms).map_err(|e| e.to_string())?;
                if let Some(held) = held {
                    let Some((version, mut call)) = load(&held.call_id)? else {
                        return Err(format!("seat {seat} held unknown call {}", held.call_id));
                    };
                    if call.status != CallStatus::Ended {
                        call.ended_ms =
                            Some((*at_ms).max(call.answered_ms.unwrap_or(call.offered_ms)));
                        call.status = CallStatus::Ended;
                        let record = call.call(&held.call_id).ok_or("the call has no end")?;
                        record.validate().map_err(|e| e.to_string())?;
                        call.refresh(&record);
                        calls.insert(held.call_id.clone(), (version, call));
                    }
                }
            }
            seats
                .apply(&seat_event(seat, *at_ms, SeatEventKind::Login))
                .map_err(|e| e.to_string())?;
        }
        TelephonyEvent::Logout { seat, at_ms } => {
            seats
                .apply(&seat_event(seat, *at_ms, SeatEventKind::Logout))
                .map_err(|e| e.to_string())?;
        }
        TelephonyEvent::WrapUpDone { seat, at_ms } => {
            seats
                .apply(&seat_event(seat, *at_ms, SeatEventKind::WrapUpDone))
                .map_err(|e| e.to_string())?;
        }
        TelephonyEvent::Offered {
            call_id,
            caller_number,
            at_ms,
            seat,
        } => {
            if !is_caller_id(caller_number) {
                classify_phone(caller_number).map_err(|e| e.to_string())?;
            }
            let (version, mut call) = match load(call_id)? {
                Some((version, call)) => {
                    if call.caller_number != *caller_number {
                        return Err(format!("call {call_id} was offered from another number"));
                    }
                    if call.status != CallStatus::Queued {
                        return Err(format!("call {call_id} is already {:?}", call.status));
                    }
                    (version, call)
                }
                None => (
                    None,
                    CallDoc {
                        status: CallStatus::Queued,
                        caller_number: caller_number.clone(),
                        caller_key: caller_key(caller_number),
                        seat: None,
                        offered_ms: *at_ms,
                        answered_ms: None,
                        ended_ms: None,
                        recording: None,
                        hall: None,
                        category: None,
                        order_id: None,
                        first_contact_resolved: false,
                        knowledge_article: None,
                        answered: 0,
                        abandoned: 0,
                        wait_ms: 0,
                        answered_wait_ms: 0,
                        handle_ms: 0,
                        fcr: 0,
                        called_back: 0,
                        callback_note: None,
                    },
                ),
            };
            if let Some(seat) = seat {
                seats
                    .apply(&seat_event(
                        seat,
                        *at_ms,
                        SeatEventKind::Offered {
                            call_id: call_id.clone(),
                        },
                    ))
                    .map_err(|e| e.to_string())?;
                call.seat = Some(seat.clone());
                call.status = CallStatus::Ringing;
            }
            calls.insert(call_id.clone(), (version, call));
        }
        TelephonyEvent::Answered {
            call_id,
            seat,
            at_ms,
        } => {
            let Some((version, mut call)) = load(call_id)? else {
                return Err(format!("unknown call {call_id}"));
            };
            if !matches!(call.status, CallStatus::Queued | CallStatus::Ringing) {
                return Err(format!(
                    "call {call_id} is {:?}, it cannot be answered",
                    call.status
                ));
            }
            if *at_ms < call.offered_ms {
                return Err(format!("call {call_id} answered before it was offered"));
            }
            seats
                .apply(&seat_event(
                    seat,
                    *at_ms,
                    SeatEventKind::Answered {
                        call_id: call_id.clone(),
                    },
                ))
                .map_err(|e| e.to_string())?;
            call.seat = Some(seat.clone());
            call.answered_ms = Some(*at_ms);
            call.status = CallStatus::Talking;
            calls.insert(call_id.clone(), (version, call));
        }
        TelephonyEvent::Ended {
            call_id,
            at_ms,
            recording,
        } => {
            let Some((version, mut call)) = load(call_id)? else {
                return Err(format!("unknown call {call_id}"));
            };
            if call.status == CallStatus::Ended {
                return Err(format!("call {call_id} has already ended"));
            }
            call.ended_ms = Some(*at_ms);
            call.recording = recording.clone();
            call.status = CallStatus::Ended;
            let record = call.call(call_id).ok_or("the call has no end")?;
            record.validate().map_err(|e| e.to_string())?;
            call.refresh(&record);
            if let Some(seat) = &call.seat {
                seats
                    .apply(&seat_event(
                        seat,
                        *at_ms,
                        SeatEventKind::Ended {
                            call_id: call_id.clone(),
                        },
                    ))
                    .map_err(|e| e.to_string())?;
            }
            calls.insert(call_id.clone(), (version, call));
        }
    }
    Ok(())
}

/// `GET /seats`: every seat's status and occupancy.
pub fn seats(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) {
        return Err(forbidden(
            "无权查看座席",
            "agents, supervisors and leaders only",
        ));
    }
    let r = settings::load()?;
    let (seats, _) = load_seats(&r.settings.seats)?;
    let report = seats.report(clock::now());
    let items: Vec<Value> = report
        .iter()
        .map(|s| {
            json!({
                "seat": s.seat,
                "status": s.status,
                "status_zh": s.status.name_zh(),
                "call": s.call,
                "since_ms": s.since_ms,
                "occupancy": s.occupancy,
            })
        })
        .collect();
    Ok(Response::ok(&json!({ "items": items })))
}

fn call_row(d: &Document<CallDoc>) -> Value {
    let c = &d.body;
    json!({
        "id": d.id,
        "status": c.status,
        "caller_number": c.caller_number,
        "seat": c.seat,
        "offered_ms": c.offered_ms,
        "answered_ms": c.answered_ms,
        "ended_ms": c.ended_ms,
        "wait_s": c.wait_ms / 1000,
        "abandoned": c.abandoned == 1,
        "order_id": c.order_id,
        "category": c.category,
        "hall": c.hall,
        "first_contact_resolved": c.first_contact_resolved,
        "knowledge_article": c.knowledge_article,
        "recording": c.recording,
        "called_back": c.called_back == 1,
    })
}

/// `GET /calls?status=&seat=&offset=&limit=`: newest first.
pub fn list(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) {
        return Err(forbidden(
            "无权查看来电",
            "agents, supervisors and leaders only",
        ));
    }
    let (offset, limit) = paging(&req)?;
    let status = match param(&req, "status") {
        Some(s) => Some(
            serde_json::from_value::<CallStatus>(json!(s))
                .map_err(|_| Response::bad_request(format!("未知的状态 / unknown status `{s}`")))?,
        ),
        None => None,
    };
    let page = storage::query::<CallDoc>(
        &Query::new(CALLS)
            .filter_opt("status", Op::Eq, status)
            .filter_opt("seat", Op::Eq, param(&req, "seat"))
            .sort_desc("offered_ms")
            .offset(offset)
            .limit(limit),
    )?;
    Ok(Response::ok(&json!({
        "items": page.items.iter().map(call_row).collect::<Vec<_>>(),
        "total": page.total,
    })))
}

/// `GET /calls/live`: calls queued, ringing or being talked (the agent
/// workspace's incoming call), oldest first.
pub fn live(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) {
        return Err(forbidden(
            "无权查看来电",
            "agents, supervisors and leaders only",
        ));
    }
    let page = storage::query::<CallDoc>(
        &Query::new(CALLS)
            .filter(
                "status",
                Op::AnyOf,
                [CallStatus::Queued, CallStatus::Ringing, CallStatus::Talking],
            )
            .sort_asc("offered_ms")
            .limit(100),
    )?;
    Ok(Response::ok(&json!({
        "items": page.items.iter().map(call_row).collect::<Vec<_>>(),
        "total": page.total,
    })))
}

/// The agent's wrap-up record of a call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrapUp {
    #[serde(default)]
    hall: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    first_contact_resolved: Option<bool>,
    #[serde(default)]
    knowledge_article: Option<String>,
    #[serde(default)]
    order_id: Option<String>,
}

/// `PATCH /calls/{id}`: the agent records what the call was about and
/// whether it was resolved on the spot (首呼解决) from an article.
pub fn wrap_up(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden(
            "只有话务员可以填写来电记录",
            "only hotline agents record calls",
        ));
    }
    let id = req.param("id").unwrap_or_default().to_owned();
    let input: WrapUp = req.json()?;
    let Some(stored) = storage::get::<CallDoc>(CALLS, &id)? else {
        return Err(Response::not_found(format!("没有这通来电 / no call {id}")));
    };
    let r = settings::load()?;
    if let Some(hall) = &input.hall
        && r.catalogue.unit(hall).is_none()
    {
        return Err(invalid("未知的大厅", format!("unknown unit `{hall}`")));
    }
    if let Some(category) = &input.category
        && r.catalogue.entry(category).is_none()
    {
        return Err(invalid(
            "未知的诉求类别",
            format!("unknown category `{category}`"),
        ));
    }
    if let Some(article) = &input.knowledge_article
        && storage::get::<Value>(super::docs::ARTICLES, article)?.is_none()
    {
        return Err(invalid(
            "未知的知识库文章",
            format!("unknown article `{article}`"),
        ));
    }
    let mut call = stored.body;
    if input.hall.is_some() {
        call.hall = input.hall;
    }
    if input.category.is_some() {
        call.category = input.category;
    }
    if let Some(fcr) = input.first_contact_resolved {
        call.first_contact_resolved = fcr;
    }
    if input.knowledge_article.is_some() {
        call.knowledge_article = input.knowledge_article;
    }
    if input.order_id.is_some() {
        call.order_id = input.order_id;
    }
    if let Some(record) = call.call(&id) {
        record.validate().map_err(|e| invalid("来电记录有误", e))?;
        call.refresh(&record);
    } else if call.first_contact_resolved {
        return Err(invalid(
            "通话结束后才能记录首呼解决",
            "the call has not ended yet",
        ));
    }
    storage::put(
        CALLS,
        Write::new(call.clone())
            .id(&id)
            .expected_version(stored.version),
    )?;
    let stored = storage::get::<CallDoc>(CALLS, &id)?
        .ok_or_else(|| Response::not_found(format!("no call {id}")))?;
    Ok(Response::ok(&call_row(&stored)))
}

/// `GET /missed-calls`: abandoned calls not yet called back, oldest first.
pub fn missed(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden(
            "只有话务员可以回拨",
            "only hotline agents call back",
        ));
    }
    let (offset, limit) = paging(&req)?;
    let page = storage::query::<CallDoc>(
        &Query::new(CALLS)
            .filter("abandoned", Op::Eq, 1)
            .filter("called_back", Op::Eq, 0)
            .sort_asc("offered_ms")
            .offset(offset)
            .limit(limit),
    )?;
    Ok(Response::ok(&json!({
        "items": page.items.iter().map(call_row).collect::<Vec<_>>(),
        "total": page.total,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalledBack {
    #[serde(default)]
    note: Option<String>,
}

/// `POST /missed-calls/{id}/called-back`: marks a missed call as called back.
pub fn called_back(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden(
            "只有话务员可以回拨",
            "only hotline agents call back",
        ));
    }
    let id = req.param("id").unwrap_or_default().to_owned();
    let input: CalledBack = if req.body.is_empty() {
        CalledBack { note: None }
    } else {
        req.json()?
    };
    if let Some(note) = &input.note
        && note.chars().count() > crate::order::MAX_RESOLUTION_CHARS
    {
        return Err(invalid("备注过长", "note is longer than 1000 characters"));
    }
    let Some(stored) = storage::get::<CallDoc>(CALLS, &id)? else {
        return Err(Response::not_found(format!("没有这通来电 / no call {id}")));
    };
    if stored.body.abandoned != 1 {
        return Err(Response::conflict(format!(
            "这通来电已接通 / call {id} was not missed"
        )));
    }
    if stored.body.called_back == 1 {
        return Err(Response::conflict(format!(
            "已回拨 / call {id} was already called back"
        )));
    }
    let mut call = stored.body;
    call.called_back = 1;
    call.callback_note = input.note;
    storage::put(
        CALLS,
        Write::new(call.clone())
            .id(&id)
            .expected_version(stored.version),
    )?;
    Ok(Response::no_content())
}
