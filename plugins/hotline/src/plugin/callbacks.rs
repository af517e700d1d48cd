//! Callbacks (回访): after a unit replies, an agent calls the caller back
//! and records whether they were reached and their five-level rating
//! (好差评: 5 非常满意 … 1 非常不满意). A dissatisfied rating (1 or 2)
//! reopens the order or opens a rectification order, as configured.

use bantong_hall_kit::Level as Rating;
use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock, events};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{CALLBACKS, CallbackDoc, ORDERS, OrderDoc};
use super::settings::{self, OnDissatisfied};
use super::{forbidden, invalid, is_agent, orders, paging};
use crate::kpi::Callback;
use crate::order::{MAX_RESOLUTION_CHARS, State};

/// What the agent records.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackInput {
    reached: bool,
    #[serde(default)]
    score: Option<u8>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /orders/{id}/callbacks`.
pub fn record(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden(
            "只有话务员可以回访",
            "only hotline agents make callbacks",
        ));
    }
    let id = req.param("id").unwrap_or_default().to_owned();
    let input: CallbackInput = req.json()?;
    let now = clock::now();
    Callback {
        order_id: id.clone(),
        at_ms: now,
        reached: input.reached,
        score: input.score,
    }
    .validate()
    .map_err(|e| invalid("回访记录有误", e))?;
    if let Some(note) = &input.note
        && (note.trim().is_empty()
            || note.chars().count() > MAX_RESOLUTION_CHARS
            || note
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(invalid(
            "回访记录过长或含控制字符",
            format!("note must be 1-{MAX_RESOLUTION_CHARS} characters without control characters"),
        ));
    }
    let Some(stored) = storage::get::<OrderDoc>(ORDERS, &id)? else {
        return Err(Response::not_found(format!("没有这张工单 / no order {id}")));
    };
    let state = stored.body.order.state;
    if !matches!(state, State::Replied | State::Closed) {
        return Err(Response::conflict(format!(
            "工单答复后才能回访 / order {id} is {state}: callbacks follow the unit's reply"
        )));
    }
    let r = settings::load()?;
    let callback = CallbackDoc {
        order: id.clone(),
        at_ms: now,
        reached: input.reached,
        score: input.score,
        note: input.note.clone(),
        by: caller.user_id.clone(),
        lead: stored.body.order.lead.clone(),
        category: stored.body.order.category.clone(),
    };
    storage::put(
        CALLBACKS,
        Write::new(callback.clone()).hall(stored.body.storage_hall()),
    )?;
    let mut doc = stored.body.clone();
    if input.reached && doc.order.replied_ms.is_some_and(|r| r <= now) {
        doc.called_back = 1;
    }
    if input.score.is_some() {
        doc.rating = input.score;
    }
    let stored = storage::put(
        ORDERS,
        Write::new(doc.clone())
            .id(&id)
            .hall(doc.storage_hall())
            .expected_version(stored.version),
    )?;
    let mut outcome = json!({ "callback": callback });
    if let Some(score) = input.score {
        let level = Rating::from_score(score);
        events::publish(
            "hotline.rating.received",
            doc.storage_hall(),
            &json!({
                "order": id,
                "score": score,
                "level": level.map(Rating::zh),
                "lead": doc.order.lead,
                "category": doc.order.category,
                "at_ms": now,
            }),
        )?;
        if score <= 2 {
            let reason = format!(
                "回访不满意({}分){}",
                score,
                input
                    .note
                    .as_deref()
                    .map(|n| format!("：{n}"))
                    .unwrap_or_default()
            );
            let reason: String = reason
                .chars()
                .take(crate::order::MAX_REASON_CHARS)
                .collect();
            match r.settings.on_dissatisfied {
                OnDissatisfied::Reopen => {
                    let reopened = orders::reopen_as(caller, stored, reason, now, &r)?;
                    if let Some(obj) = outcome.as_object_mut() {
                        obj.insert("reopened".into(), json!(reopened.order.id));
                        obj.insert("due_ms".into(), json!(reopened.order.due_ms));
                    }
                }
                OnDissatisfied::Rectification => {
                    let rect = orders::rectification(caller, &doc, &reason, now, &r)?;
                    if let Some(obj) = outcome.as_object_mut() {
                        obj.insert("rectification".into(), json!(rect.order.id));
                    }
                }
            }
        }
    }
    Ok(Response::created(&outcome))
}

/// `GET /callbacks/due`: replied or closed orders nobody has reached by a
/// callback yet, oldest reply first.
pub fn due(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden(
            "只有话务员可以回访",
            "only hotline agents make callbacks",
        ));
    }
    let (offset, limit) = paging(&req)?;
    let page = storage::query::<OrderDoc>(
        &Query::new(ORDERS)
            .filter("state", Op::AnyOf, [State::Replied, State::Closed])
            .filter("called_back", Op::Eq, 0)
            .sort_asc("replied_ms")
            .offset(offset)
            .limit(limit),
    )?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "title": d.body.order.title,
                "caller_number": d.body.order.caller_number,
                "caller_name": d.body.caller_name,
                "lead": d.body.order.lead,
                "state": d.body.order.state,
                "state_zh": d.body.order.state.name_zh(),
                "replied_ms": d.body.order.replied_ms,
                "reply": d.body.order.reply,
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}
