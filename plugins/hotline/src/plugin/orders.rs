//! Intake (phone, web form, message API), work orders and their actions,
//! the unit inbox, supervision (督办) and the caller's history.

use bantong_hall_kit::time::local_date;
use bantong_sdk::storage::{self, Document, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock, events};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{
    CALLS, CallDoc, Channel, DISPATCHES, DispatchDoc, ORDERS, OrderDoc, SUPERVISIONS,
    SupervisionDoc, caller_key, next_seq,
};
use super::settings::{self, Resolved};
use super::{SUPERVISOR, forbidden, invalid, is_agent, order_error, paging, param, sees_all};
use crate::order::{
    Action, ActionKind, Actor, Level, MAX_NAME_CHARS, MAX_REPLY_CHARS, NewOrder, Order, Role,
    State, apply, classify_phone, supervise, view_for,
};
use bantong_hall_kit::calendar::{Calendar, DAY_MS};

/// States in which an order is still being worked on.
pub const OPEN: [State; 6] = [
    State::Received,
    State::Dispatched,
    State::Signed,
    State::InProgress,
    State::Returned,
    State::Replied,
];

/// States a unit is handling (the inbox, supervision).
pub const HANDLING: [State; 4] = [
    State::Dispatched,
    State::Signed,
    State::InProgress,
    State::Returned,
];

/// Most candidates a repeat check returns.
const MAX_REPEATS: u32 = 10;

// ---------------------------------------------------------------------------
// Intake
// ---------------------------------------------------------------------------

/// What an agent (or the web form, or a message gateway) submits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderInput {
    category: String,
    title: String,
    caller_number: String,
    #[serde(default)]
    confidential: bool,
    #[serde(default)]
    caller_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// The hall the matter concerns.
    #[serde(default)]
    hall: Option<String>,
    /// Agents: the call the order is taken from.
    #[serde(default)]
    call_id: Option<String>,
    /// Agents: the article the answer came from.
    #[serde(default)]
    knowledge_article: Option<String>,
    /// The service item (事项编码 in the district's catalogue) the request
    /// is about, when it is about one.
    #[serde(default)]
    item: Option<String>,
    /// Agents: merge this repeat request into that order (并单).
    #[serde(default)]
    merge_into: Option<String>,
    /// Agents: keep it separate although it looks like a repeat.
    #[serde(default)]
    separate: bool,
    /// Agents: dispatch at once (to `to`, or by the catalogue).
    #[serde(default)]
    dispatch: bool,
    #[serde(default)]
    to: Option<String>,
    /// Message API: the gateway's message id, for tracing.
    #[serde(default)]
    message_id: Option<String>,
}

/// `GET /categories`: the catalogue's categories for the intake forms.
pub fn categories(_req: Request) -> HandlerResult {
    let r = settings::load()?;
    let items: Vec<Value> = r
        .catalogue
        .entries
        .iter()
        .map(|(key, e)| {
            json!({
                "value": key,
                "label": e.name.clone().unwrap_or_else(|| key.clone()),
                "lead": e.lead,
                "level": e.level,
                "time_limit_working_days": e.time_limit_working_days,
            })
        })
        .collect();
    Ok(Response::ok(&items))
}

/// `POST /orders`: an agent takes a request (usually during a call).
pub fn create(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden(
            "只有话务员可以受理工单",
            "only hotline agents create orders",
        ));
    }
    let input: OrderInput = req.json()?;
    if input.message_id.is_some() {
        return Err(invalid(
            "message_id 仅用于短信接口",
            "message_id is for the message API",
        ));
    }
    let actor = Actor {
        id: caller.user_id.clone(),
        role: Role::Agent,
    };
    let doc = intake(input, &actor, Channel::Phone, true)?;
    let r = settings::load()?;
    Ok(Response::created(&present_dated(&doc, caller, &r.calendar)))
}

/// `POST /intake/web`: the citizens' web form, submitted by the
/// government-service website's backend with its API token (public routes
/// cannot write). Repeat requests are not refused but noted in `repeat_of`
/// for an agent to merge.
pub fn intake_web(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden(
            "需要网站接入令牌",
            "needs the website's hotline-agent token",
        ));
    }
    let input: OrderInput = req.json()?;
    external_only(&input)?;
    let actor = Actor {
        id: caller.user_id.clone(),
        role: Role::Agent,
    };
    let doc = intake(input, &actor, Channel::Web, false)?;
    Ok(Response::created(&json!({
        "id": doc.order.id,
        "state": doc.order.state,
        "received_ms": doc.order.received_ms,
        "message": "您的诉求已受理，工单号见 id / your request was received; the order number is `id`",
    })))
}

/// `POST /intake/messages`: a message gateway (SMS, WeChat) hands over a
/// request; it authenticates with an API token of an agent account.
pub fn intake_message(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_agent(caller) {
        return Err(forbidden("需要话务员令牌", "needs a hotline-agent token"));
    }
    let input: OrderInput = req.json()?;
    external_only(&input)?;
    let actor = Actor {
        id: caller.user_id.clone(),
        role: Role::Agent,
    };
    let doc = intake(input, &actor, Channel::Message, false)?;
    let r = settings::load()?;
    Ok(Response::created(&present_dated(&doc, caller, &r.calendar)))
}

/// The web form and the message API may not use the agents' fields.
fn external_only(input: &OrderInput) -> Result<(), Response> {
    let agent_only = [
        ("call_id", input.call_id.is_some()),
        ("knowledge_article", input.knowledge_article.is_some()),
        ("merge_into", input.merge_into.is_some()),
        ("separate", input.separate),
        ("dispatch", input.dispatch),
        ("to", input.to.is_some()),
    ];
    match agent_only.iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(invalid(
            "该字段仅供话务员使用",
            format!("`{field}` is for agents only"),
        )),
        None => Ok(()),
    }
}

fn check_optional_text(field: &str, value: &Option<String>, max: usize) -> Result<(), Response> {
    if let Some(v) = value {
        let n = v.chars().count();
        if v.trim().is_empty() || n > max {
            return Err(invalid(
                "内容为空或过长",
                format!("`{field}` must be 1-{max} characters (got {n})"),
            ));
        }
        if v.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(invalid(
                "含有控制字符",
                format!("`{field}` contains control characters"),
            ));
        }
    }
    Ok(())
}

/// Creates an order from any channel; with `offer_merge`, a repeat request
/// is answered with 409 `repeat_request` listing the candidates, unless the
/// agent chose `merge_into` or `separate`.
fn intake(
    input: OrderInput,
    actor: &Actor,
    channel: Channel,
    offer_merge: bool,
) -> Result<OrderDoc, Response> {
    let r = settings::load()?;
    check_optional_text("caller_name", &input.caller_name, MAX_NAME_CHARS)?;
    check_optional_text("description", &input.description, MAX_REPLY_CHARS)?;
    check_optional_text("message_id", &input.message_id, 128)?;
    if let Some(hall) = &input.hall
        && r.catalogue.unit(hall).is_none()
    {
        return Err(invalid("未知的大厅", format!("unknown hall `{hall}`")));
    }
    let item = match input
        .item
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(code) => Some(service_item(code)?),
        None => None,
    };
    let now = clock::now();
    // Validate everything the pure logic checks before any write.
    let probe = Order::new(
        NewOrder {
            id: "probe".into(),
            category: input.category.clone(),
            title: input.title.clone(),
            caller_number: input.caller_number.clone(),
            confidential: input.confidential,
        },
        actor,
        now,
        &r.catalogue,
    )
    .map_err(order_error)?;
    let key = caller_key(&probe.caller_number);
    let repeats = find_repeats(&key, &probe.category, now, r.settings.repeat_window_days)?;
    if offer_merge && !repeats.is_empty() && input.merge_into.is_none() && !input.separate {
        return Err(Response::json(
            409,
            &json!({
                "error": {
                    "code": "repeat_request",
                    "message": format!(
                        "该来电人{}日内已有同类诉求，可并单 / the caller has {} open request(s) of this category within {} days: merge (merge_into) or keep separate (separate: true)",
                        r.settings.repeat_window_days, repeats.len(), r.settings.repeat_window_days
                    ),
                },
                "repeats": repeats.iter().map(brief).collect::<Vec<_>>(),
            }),
        ));
    }
    let call = match &input.call_id {
        Some(call_id) => match storage::get::<CallDoc>(CALLS, call_id)? {
            Some(call) => Some(call),
            None => return Err(invalid("未知的来电", format!("unknown call `{call_id}`"))),
        },
        None => None,
    };
    let id = next_id(now)?;
    let mut order = probe;
    order.id = id.clone();
    let mut doc = OrderDoc::new(order, channel);
    doc.caller_name = input.caller_name;
    doc.description = input.description;
    doc.hall = input.hall;
    doc.call_id = input.call_id.clone();
    doc.knowledge_article = input.knowledge_article;
    doc.item = item;
    if !offer_merge {
        doc.repeat_of = repeats.iter().map(|d| d.id.clone()).collect();
    }
    let mut published = vec![("hotline.order.created", created_payload(&doc))];
    if let Some(into) = input.merge_into {
        let action = Action::Merge { into };
        published.extend(perform(&mut doc, actor, action, now, &r)?);
    } else if input.dispatch {
        let action = Action::Dispatch { to: input.to };
        published.extend(perform(&mut doc, actor, action, now, &r)?);
    }
    doc.refresh();
    storage::put(
        ORDERS,
        Write::new(doc.clone())
            .id(&id)
            .hall(doc.storage_hall())
            .create_only(),
    )?;
    if let (Some(call_id), Some(mut call)) = (input.call_id, call) {
        call.body.order_id = Some(id.clone());
        storage::put(
            CALLS,
            Write::new(call.body.clone())
                .id(&call_id)
                .expected_version(call.version),
        )?;
    }
    for (topic, payload) in published {
        events::publish(topic, doc.storage_hall(), &payload)?;
    }
    Ok(doc)
}

/// Open orders of the same caller and category received within the window.
fn find_repeats(
    key: &str,
    category: &str,
    now: i64,
    days: u32,
) -> Result<Vec<Document<OrderDoc>>, Response> {
    if days == 0 || key.is_empty() {
        return Ok(Vec::new());
    }
    let since = now.saturating_sub(i64::from(days) * DAY_MS);
    let q = Query::new(ORDERS)
        .filter("caller_key", Op::Eq, key)
        .filter("category", Op::Eq, category)
        .filter("received_ms", Op::Ge, since)
        .filter("state", Op::AnyOf, OPEN)
        .sort_desc("received_ms")
        .limit(MAX_REPEATS);
    Ok(storage::query::<OrderDoc>(&q)?.items)
}

/// The next order number of the day: `GD` + local date + 4-digit
/// sequence, e.g. `GD202510150001` (a counter document per day; two agents
/// creating at the same instant get a 409 and retry).
fn next_id(now: i64) -> Result<String, Response> {
    let (y, m, d) = local_date(now);
    let date = format!("{y:04}{m:02}{d:02}");
    let n = next_seq(&format!("seq-{date}"))?;
    Ok(format!("GD{date}{n:04}"))
}

fn created_payload(doc: &OrderDoc) -> Value {
    json!({
        "id": doc.order.id,
        "category": doc.order.category,
        "channel": doc.channel,
        "hall": doc.hall,
        "item": doc.item.as_ref().map(|i| i.code.as_str()),
        "received_ms": doc.order.received_ms,
        "confidential": doc.order.confidential,
    })
}

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

/// Performs an action on a stored order's body: the state machine, then
/// the bookkeeping (dispatch records, KPI flags); returns the events to
/// publish once the order is stored.
fn perform(
    doc: &mut OrderDoc,
    actor: &Actor,
    mut action: Action,
    now: i64,
    r: &Resolved,
) -> Result<Vec<(&'static str, Value)>, Response> {
    let kind = action.kind();
    // A hall's matter goes to the hall it concerns unless the agent names a unit.
    if let Action::Dispatch { to: to @ None } = &mut action
        && let Some(entry) = r.catalogue.entry(&doc.order.category)
        && entry.level == Level::Hall
        && let Some(hall) = &doc.hall
    {
        *to = Some(hall.clone());
    }
    if let Action::Merge { into } = &action {
        let target = storage::get::<OrderDoc>(ORDERS, into)?;
        match target {
            None => {
                return Err(invalid(
                    "并入的工单不存在",
                    format!("no order `{into}` to merge into"),
                ));
            }
            Some(t) if !OPEN.contains(&t.body.order.state) => {
                return Err(Response::conflict(format!(
                    "只能并入办理中的工单 / order {into} is {}, only open orders take duplicates",
                    t.body.order.state
                )));
            }
            Some(_) => {}
        }
    }
    let t = apply(
        &mut doc.order,
        actor,
        action,
        now,
        &r.catalogue,
        &r.calendar,
    )
    .map_err(order_error)?;
    let mut out = Vec::new();
    // A dispatch, a reopening or an approved reassignment sends the order
    // to a unit: a new dispatch record.
    let starts_dispatch = matches!(kind, ActionKind::Dispatch | ActionKind::Reopen)
        || (kind == ActionKind::Approve && t.to == State::Dispatched);
    if kind == ActionKind::Approve
        && t.from == State::Returned
        && let Some(id) = doc.current_dispatch.take()
        && let Some(d) = storage::get::<DispatchDoc>(DISPATCHES, &id)?
    {
        let mut body = d.body;
        body.returned = 1;
        storage::put(
            DISPATCHES,
            Write::new(body.clone())
                .id(&id)
                .hall(d.hall)
                .expected_version(d.version),
        )?;
    }
    if starts_dispatch {
        let n = doc
            .order
            .history
            .iter()
            .filter(|h| {
                matches!(h.action, ActionKind::Dispatch | ActionKind::Reopen)
                    || (h.action == ActionKind::Approve && h.to == State::Dispatched)
            })
            .count();
        let id = format!("{}-{n}", doc.order.id);
        if let Some(unit) = doc.order.lead.clone() {
            let d = DispatchDoc {
                order: doc.order.id.clone(),
                unit: unit.clone(),
                category: doc.order.category.clone(),
                start_ms: now,
                returned: 0,
            };
            storage::put(DISPATCHES, Write::new(d.clone()).id(&id).hall(&unit))?;
            doc.current_dispatch = Some(id);
            doc.supervision = 0;
            out.push((
                if kind == ActionKind::Reopen {
                    "hotline.order.reopened"
                } else {
                    "hotline.order.dispatched"
                },
                json!({
                    "id": doc.order.id,
                    "category": doc.order.category,
                    "lead": unit,
                    "assisting": doc.order.assisting,
                    "due_ms": doc.order.due_ms,
                    "reason": t.note,
                }),
            ));
        }
    }
    if kind == ActionKind::Close {
        out.push((
            "hotline.order.closed",
            json!({
                "id": doc.order.id,
                "category": doc.order.category,
                "lead": doc.order.lead,
                "closed_ms": doc.order.closed_ms,
                "on_time": doc.order.replied_ms.zip(doc.order.due_ms).is_some_and(|(r, d)| r <= d),
            }),
        ));
    }
    doc.refresh();
    Ok(out)
}

/// Which role the caller acts in for `kind` on an order led by `lead`.
fn acting_actor(caller: &Caller, kind: ActionKind, lead: Option<&str>) -> Result<Actor, Response> {
    let unit = lead.filter(|l| caller.halls.iter().any(|h| h == l));
    let role = match kind {
        ActionKind::Approve | ActionKind::Reject
            if caller.has_role(SUPERVISOR) && caller.district_wide =>
        {
            Some(Role::Supervisor)
        }
        ActionKind::Dispatch | ActionKind::Close | ActionKind::Merge if is_agent(caller) => {
            Some(Role::Agent)
        }
        ActionKind::Reopen if is_agent(caller) => Some(Role::Agent),
        ActionKind::Reopen if caller.has_role(SUPERVISOR) && caller.district_wide => {
            Some(Role::Supervisor)
        }
        ActionKind::Sign | ActionKind::Start | ActionKind::Reply | ActionKind::RequestReturn => {
            unit.map(|u| Role::Unit(u.to_owned()))
        }
        ActionKind::RequestReassign => match unit {
            Some(u) => Some(Role::Unit(u.to_owned())),
            None if is_agent(caller) => Some(Role::Agent),
            None => None,
        },
        _ => None,
    };
    match role {
        Some(role) => Ok(Actor {
            id: caller.user_id.clone(),
            role,
        }),
        None => Err(forbidden(
            "无权对该工单进行此操作",
            format!("your roles do not allow `{kind}` on this order"),
        )),
    }
}

/// Loads an order the caller may see (404 otherwise, so that ids of other
/// units' orders are not confirmed).
fn load_visible(caller: &Caller, id: &str) -> Result<Document<OrderDoc>, Response> {
    let not_found = || Response::not_found(format!("没有这张工单 / no order {id}"));
    let doc = storage::get::<OrderDoc>(ORDERS, id)?.ok_or_else(not_found)?;
    if visible(caller, &doc.body) {
        Ok(doc)
    } else {
        Err(not_found())
    }
}

/// Agents, supervisors, leaders and admins see every order; a unit sees
/// the orders it leads.
fn visible(caller: &Caller, doc: &OrderDoc) -> bool {
    sees_all(caller)
        || doc
            .order
            .lead
            .as_deref()
            .is_some_and(|l| caller.halls.iter().any(|h| h == l))
}

/// `POST /orders/{id}/actions`: one action, e.g. `{"action":"sign"}` or
/// `{"action":"reply","text":"…"}`.
pub fn act(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = req.param("id").unwrap_or_default().to_owned();
    let action: Action = req.json()?;
    let stored = load_visible(caller, &id)?;
    let r = settings::load()?;
    let actor = acting_actor(caller, action.kind(), stored.body.order.lead.as_deref())?;
    let mut doc = stored.body;
    let now = clock::now();
    let published = perform(&mut doc, &actor, action, now, &r)?;
    storage::put(
        ORDERS,
        Write::new(doc.clone())
            .id(&id)
            .hall(doc.storage_hall())
            .expected_version(stored.version),
    )?;
    for (topic, payload) in published {
        events::publish(topic, doc.storage_hall(), &payload)?;
    }
    Ok(Response::ok(&present_dated(&doc, caller, &r.calendar)))
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A list row.
fn brief(d: &Document<OrderDoc>) -> Value {
    let o = &d.body.order;
    json!({
        "id": o.id,
        "title": o.title,
        "category": o.category,
        "state": o.state,
        "state_zh": o.state.name_zh(),
        "lead": o.lead,
        "channel": d.body.channel,
        "received_ms": o.received_ms,
        "due_ms": o.due_ms,
        "supervision": d.body.supervision,
        "confidential": o.confidential,
    })
}

/// The whole order as the caller may see it.
/// The order as [`present`] shows it, with `calendar_warning` when its
/// deadline is counted across a year whose holiday arrangement the
/// district has not entered (the deadline may then fall on a holiday).
fn present_dated(doc: &OrderDoc, caller: &Caller, cal: &Calendar) -> Value {
    let mut v = present(doc, caller);
    if let (Some(due), Some(obj)) = (doc.order.due_ms, v.as_object_mut()) {
        let now = clock::now();
        obj.insert(
            "calendar_warning".into(),
            json!(cal.coverage_warning(now.min(due), due)),
        );
    }
    v
}

/// The catalogue's item with this code, or 422 naming it.
fn service_item(code: &str) -> Result<super::docs::ServiceItemRef, Response> {
    let unknown = || {
        invalid(
            "事项库中没有这个事项编码",
            format!("item: no service item `{code}` in the district's catalogue"),
        )
    };
    let published = bantong_sdk::catalogue::current().ok_or_else(unknown)?;
    let catalogue: bantong_hall_kit::catalogue::Catalogue = published
        .parse()
        .map_err(|e| bantong_sdk::Error::Json(format!("catalogue: {e}")))?;
    let found = catalogue.item(code).ok_or_else(unknown)?;
    Ok(super::docs::ServiceItemRef {
        code: found.code.clone(),
        name: found.name.clone(),
        department: found.department.clone(),
    })
}

fn present(doc: &OrderDoc, caller: &Caller) -> Value {
    let role = super::viewing_role(caller, doc.order.lead.as_deref()).unwrap_or(Role::Admin);
    let actor = Actor {
        id: caller.user_id.clone(),
        role,
    };
    let mut v = view_for(&doc.order, &actor);
    let masked = doc.order.confidential && matches!(actor.role, Role::Unit(_) | Role::Admin);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("state_zh".into(), json!(doc.order.state.name_zh()));
        obj.insert("channel".into(), json!(doc.channel));
        obj.insert("hall".into(), json!(doc.hall));
        obj.insert("description".into(), json!(doc.description));
        obj.insert("call_id".into(), json!(doc.call_id));
        obj.insert("knowledge_article".into(), json!(doc.knowledge_article));
        obj.insert("item".into(), json!(doc.item));
        obj.insert(
            "item_name".into(),
            json!(
                doc.item
                    .as_ref()
                    .map(|i| format!("{}（{}）", i.name, i.code))
            ),
        );
        obj.insert("repeat_of".into(), json!(doc.repeat_of));
        obj.insert("rectification_of".into(), json!(doc.rectification_of));
        obj.insert("supervision".into(), json!(doc.supervision));
        obj.insert("rating".into(), json!(doc.rating));
        obj.insert(
            "caller_name".into(),
            if masked {
                json!(crate::order::CONFIDENTIAL_MASK)
            } else {
                json!(doc.caller_name)
            },
        );
    }
    v
}

/// `GET /orders?state=&category=&lead=&channel=&caller=&q=&supervision=&offset=&limit=`.
pub fn list(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let (offset, limit) = paging(&req)?;
    let state = match param(&req, "state") {
        Some(s) => Some(
            serde_json::from_value::<State>(json!(s))
                .map_err(|_| Response::bad_request(format!("未知的状态 / unknown state `{s}`")))?,
        ),
        None => None,
    };
    let key = param(&req, "caller").map(caller_key);
    let supervision = req.query_parse::<u8>("supervision")?;
    let mut q = Query::new(ORDERS)
        .filter_opt("state", Op::Eq, state)
        .filter_opt("category", Op::Eq, param(&req, "category"))
        .filter_opt("lead", Op::Eq, param(&req, "lead"))
        .filter_opt("channel", Op::Eq, param(&req, "channel"))
        .filter_opt("caller_key", Op::Eq, key)
        .filter_opt("title", Op::Contains, param(&req, "q"))
        .filter_opt("supervision", Op::Ge, supervision);
    if !sees_all(caller) {
        q = q.filter("lead", Op::AnyOf, &caller.halls);
    }
    let q = match param(&req, "sort") {
        Some("due") => q.sort_asc("due_ms"),
        _ => q.sort_desc("received_ms"),
    };
    let page = storage::query::<OrderDoc>(&q.offset(offset).limit(limit))?;
    let items: Vec<Value> = page.items.iter().map(brief).collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total, "offset": offset, "limit": limit }),
    ))
}

/// `GET /orders/{id}`: the order with its audit trail, dispatches,
/// callbacks and supervision notices.
pub fn detail(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = req.param("id").unwrap_or_default();
    let doc = load_visible(caller, id)?;
    let dispatches = storage::query::<DispatchDoc>(
        &Query::new(DISPATCHES)
            .filter("order", Op::Eq, id)
            .sort_asc("start_ms")
            .limit(100),
    )?;
    let supervisions = storage::query::<SupervisionDoc>(
        &Query::new(SUPERVISIONS)
            .filter("order", Op::Eq, id)
            .sort_asc("at_ms")
            .limit(100),
    )?;
    let mut v = present(&doc.body, caller);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("version".into(), json!(doc.version));
        obj.insert(
            "dispatches".into(),
            json!(dispatches.items.iter().map(|d| &d.body).collect::<Vec<_>>()),
        );
        obj.insert(
            "supervisions".into(),
            json!(
                supervisions
                    .items
                    .iter()
                    .map(|d| &d.body)
                    .collect::<Vec<_>>()
            ),
        );
        if sees_all(caller) {
            let callbacks = storage::query::<super::docs::CallbackDoc>(
                &Query::new(super::docs::CALLBACKS)
                    .filter("order", Op::Eq, id)
                    .sort_asc("at_ms")
                    .limit(100),
            )?;
            obj.insert(
                "callbacks".into(),
                json!(callbacks.items.iter().map(|d| &d.body).collect::<Vec<_>>()),
            );
        }
    }
    Ok(Response::ok(&v))
}

/// `GET /inbox`: the open orders of the caller's units, soonest due first
/// (a board by state).
pub fn inbox(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let (offset, limit) = paging(&req)?;
    let mut q = Query::new(ORDERS).filter("state", Op::AnyOf, HANDLING);
    if !sees_all(caller) {
        if caller.halls.is_empty() {
            return Err(forbidden("没有承办单位", "you belong to no unit"));
        }
        q = q.filter("lead", Op::AnyOf, &caller.halls);
    }
    let page = storage::query::<OrderDoc>(&q.sort_asc("due_ms").offset(offset).limit(limit))?;
    let items: Vec<Value> = page.items.iter().map(brief).collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /supervision`: orders under supervision (预警 1, 超期 2, 升级 3),
/// a board by level.
pub fn supervision(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) && caller.halls.is_empty() {
        return Err(forbidden("没有承办单位", "you belong to no unit"));
    }
    let (offset, limit) = paging(&req)?;
    let mut q = Query::new(ORDERS)
        .filter("state", Op::AnyOf, HANDLING)
        .filter("supervision", Op::Ge, 1);
    if !sees_all(caller) {
        q = q.filter("lead", Op::AnyOf, &caller.halls);
    }
    let page = storage::query::<OrderDoc>(&q.sort_asc("due_ms").offset(offset).limit(limit))?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            let mut b = brief(d);
            if let Some(obj) = b.as_object_mut() {
                let level = match d.body.supervision {
                    1 => "预警",
                    2 => "超期督办",
                    _ => "升级督办",
                };
                obj.insert("level".into(), json!(level));
            }
            b
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `POST /supervision/sweep`: runs the supervision sweep now (inspectors
/// and administrators; the schedule runs it every five minutes).
pub fn sweep_now(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !(caller.has_role(SUPERVISOR) || caller.has_role("district-admin")) || !caller.district_wide
    {
        return Err(forbidden(
            "只有督办人员可以执行",
            "inspectors and administrators only",
        ));
    }
    let raised = sweep(clock::now())?;
    Ok(Response::ok(&json!({ "raised": raised })))
}

/// Raises the supervision each handling order needs at `now`: a notice
/// (督办单) per level reached, and `hotline.order.warning` (level 1) or
/// `hotline.order.overdue` (levels 2 and 3, with the level) events.
/// Returns how many notices were raised. Orders already at level 3 are
/// not visited again.
pub fn sweep(now: i64) -> Result<usize, Response> {
    let page = storage::query::<OrderDoc>(
        &Query::new(ORDERS)
            .filter("state", Op::AnyOf, HANDLING)
            .filter("warn_ms", Op::Le, now)
            .filter("supervision", Op::Lt, 3)
            .sort_asc("due_ms")
            .limit(500),
    )?;
    let mut raised = 0;
    for stored in page.items {
        let Some(s) = supervise(&stored.body.order, now) else {
            continue;
        };
        if s.level <= stored.body.supervision {
            continue;
        }
        let mut doc = stored.body;
        doc.supervision = s.level;
        let notice = SupervisionDoc {
            order: doc.order.id.clone(),
            level: s.level,
            reason: s.reason.clone(),
            due_ms: s.due_ms,
            lead: doc.order.lead.clone(),
            category: doc.order.category.clone(),
            at_ms: now,
        };
        storage::put(
            SUPERVISIONS,
            Write::new(notice.clone())
                .id(format!(
                    "{}-{}-{}",
                    doc.order.id,
                    doc.current_dispatch.as_deref().unwrap_or("0"),
                    s.level
                ))
                .hall(doc.storage_hall()),
        )?;
        storage::put(
            ORDERS,
            Write::new(doc.clone())
                .id(&stored.id)
                .hall(doc.storage_hall())
                .expected_version(stored.version),
        )?;
        let topic = if s.level >= 2 {
            "hotline.order.overdue"
        } else {
            "hotline.order.warning"
        };
        events::publish(
            topic,
            doc.storage_hall(),
            &json!({
                "id": doc.order.id,
                "lead": doc.order.lead,
                "category": doc.order.category,
                "level": s.level,
                "due_ms": s.due_ms,
                "reason": s.reason,
            }),
        )?;
        raised += 1;
    }
    Ok(raised)
}

/// `GET /callers/{number}`: the caller's orders and calls, newest first
/// (agents and supervisors).
pub fn caller_history(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !(is_agent(caller) || (caller.has_role(SUPERVISOR) && caller.district_wide)) {
        return Err(forbidden(
            "只有话务员和督办人员可以查看来电人历史",
            "agents and supervisors only",
        ));
    }
    let number = req.param("number").unwrap_or_default();
    classify_phone(number).map_err(order_error)?;
    let key = caller_key(number);
    let orders = storage::query::<OrderDoc>(
        &Query::new(ORDERS)
            .filter("caller_key", Op::Eq, &key)
            .sort_desc("received_ms")
            .limit(50),
    )?;
    let calls = storage::query::<CallDoc>(
        &Query::new(CALLS)
            .filter("caller_key", Op::Eq, &key)
            .sort_desc("offered_ms")
            .limit(50),
    )?;
    let calls_total = calls.total;
    let calls: Vec<Value> = calls
        .items
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "status": c.body.status,
                "offered_ms": c.body.offered_ms,
                "answered_ms": c.body.answered_ms,
                "ended_ms": c.body.ended_ms,
                "seat": c.body.seat,
                "order_id": c.body.order_id,
                "abandoned": c.body.abandoned == 1,
            })
        })
        .collect();
    Ok(Response::ok(&json!({
        "caller_number": number,
        "orders": orders.items.iter().map(brief).collect::<Vec<_>>(),
        "orders_total": orders.total,
        "calls": calls,
        "calls_total": calls_total,
    })))
}

/// For callbacks: load an order for an agent, apply an action as the
/// agent, store it and publish (used by a dissatisfied callback).
pub fn reopen_as(
    caller: &Caller,
    stored: Document<OrderDoc>,
    reason: String,
    now: i64,
    r: &Resolved,
) -> Result<OrderDoc, Response> {
    let actor = Actor {
        id: caller.user_id.clone(),
        role: Role::Agent,
    };
    let mut doc = stored.body;
    let published = perform(&mut doc, &actor, Action::Reopen { reason }, now, r)?;
    storage::put(
        ORDERS,
        Write::new(doc.clone())
            .id(&stored.id)
            .hall(doc.storage_hall())
            .expected_version(stored.version),
    )?;
    for (topic, payload) in published {
        events::publish(topic, doc.storage_hall(), &payload)?;
    }
    Ok(doc)
}

/// For callbacks: a rectification order (整改单) for `of`, dispatched at
/// once to the same lead unit.
pub fn rectification(
    caller: &Caller,
    of: &OrderDoc,
    reason: &str,
    now: i64,
    r: &Resolved,
) -> Result<OrderDoc, Response> {
    let actor = Actor {
        id: caller.user_id.clone(),
        role: Role::Agent,
    };
    let title: String = format!("整改：{}", of.order.title)
        .chars()
        .take(crate::order::MAX_TITLE_CHARS)
        .collect();
    let id = next_id(now)?;
    let order = Order::new(
        NewOrder {
            id: id.clone(),
            category: of.order.category.clone(),
            title,
            caller_number: of.order.caller_number.clone(),
            confidential: of.order.confidential,
        },
        &actor,
        now,
        &r.catalogue,
    )
    .map_err(order_error)?;
    let mut doc = OrderDoc::new(order, of.channel);
    doc.caller_name = of.caller_name.clone();
    doc.description = Some(reason.chars().take(MAX_REPLY_CHARS).collect());
    doc.hall = of.hall.clone();
    doc.rectification_of = Some(of.order.id.clone());
    let mut published = vec![("hotline.order.created", created_payload(&doc))];
    published.extend(perform(
        &mut doc,
        &actor,
        Action::Dispatch {
            to: of.order.lead.clone(),
        },
        now,
        r,
    )?);
    storage::put(
        ORDERS,
        Write::new(doc.clone())
            .id(&id)
            .hall(doc.storage_hall())
            .create_only(),
    )?;
    for (topic, payload) in published {
        events::publish(topic, doc.storage_hall(), &payload)?;
    }
    Ok(doc)
}
