//! 满意度调查 as routes: questionnaires in numbered versions, survey links
//! per hall and channel (the QR code in the hall, the link on the
//! government website), anonymous answers through the platform's public
//! answer page, phone surveys from a sampled call list, and the figures.
//!
//! Anonymous answers arrive on a public route that the host limits per
//! address and lets write only into the hall the request names; the link
//! code must be that hall's active link for the channel. One answer per
//! phone (the page's device id) per hall and day is counted; a second is
//! answered 409. A bad overall level that left a number opens a 差评
//! follow-up (the same loop as a keypad's 差评).

use std::collections::{BTreeMap, BTreeSet};

use bantong_sdk::storage::{self, Aggregate, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock, directory};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{
    ANSWERS, AnswerDoc, CALLS, CallDoc, LINKS, LinkDoc, QUESTIONNAIRES, QuestionnaireDoc,
};
use super::followups::{self, Opening};
use super::{
    invalid, month_param, not_found, param, path, refused, require_district, require_reader,
    settings,
};
use crate::calllist::{self, Contact, Entry, Outcome, State};
use crate::month::Month;
use crate::survey::{
    self, Channel, Kind, Level, Questionnaire, Submission, Tally, default_questionnaire,
};

/// The hotline's work orders, where phone-survey numbers come from.
const HOTLINE: &str = "hotline";
const ORDERS: &str = "orders";
/// Most orders read for one hall's draw.
const MAX_POPULATION: u32 = 2_000;

// --- questionnaires ----------------------------------------------------------

/// The newest version, storing the default as version 1 when there is none.
pub fn current_questionnaire() -> Result<QuestionnaireDoc, Response> {
    let page = storage::query::<QuestionnaireDoc>(
        &Query::new(QUESTIONNAIRES).sort_desc("version").limit(1),
    )?;
    if let Some(doc) = page.items.into_iter().next() {
        return Ok(doc.body);
    }
    let doc = QuestionnaireDoc {
        version: 1,
        published_ms: clock::now(),
        published_by: "system".into(),
        note: "默认问卷：全国政务服务线下评价内容（整体满意度，服务效率、服务水平、服务态度）"
            .into(),
        questionnaire: default_questionnaire(),
    };
    match storage::put(
        QUESTIONNAIRES,
        Write::new(doc.clone()).id("1").create_only(),
    ) {
        Ok(stored) => Ok(stored.body),
        Err(e) if e.is_conflict() => questionnaire_version(1)?.ok_or_else(|| Response::from(e)),
        Err(e) => Err(e.into()),
    }
}

fn questionnaire_version(version: u64) -> Result<Option<QuestionnaireDoc>, Response> {
    Ok(storage::get::<QuestionnaireDoc>(QUESTIONNAIRES, &version.to_string())?.map(|d| d.body))
}

fn questionnaire_view(doc: &QuestionnaireDoc) -> Value {
    json!({
        "id": doc.version.to_string(),
        "version": doc.version,
        "name": doc.questionnaire.name,
        "questions": doc.questionnaire.questions.len(),
        "published_ms": doc.published_ms,
        "published_by": doc.published_by,
        "note": doc.note,
        "questionnaire": doc.questionnaire,
    })
}

/// `GET /surveys/questionnaires`: every version, newest first.
pub fn questionnaires(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    current_questionnaire()?;
    let page = storage::query::<QuestionnaireDoc>(
        &Query::new(QUESTIONNAIRES).sort_desc("version").limit(200),
    )?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            let mut v = questionnaire_view(&d.body);
            if let Some(o) = v.as_object_mut() {
                o.remove("questionnaire");
            }
            v
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /surveys/questionnaires/current`.
pub fn questionnaire(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    Ok(Response::ok(&questionnaire_view(&current_questionnaire()?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Publish {
    /// The version it was edited from.
    base: u64,
    #[serde(default)]
    note: String,
    questionnaire: Questionnaire,
}

/// `POST /surveys/questionnaires`: publishes a new version.
pub fn publish(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    let body: Publish = req.json()?;
    let problems = body.questionnaire.problems();
    if !problems.is_empty() {
        return Err(invalid("问卷有误", problems.join("; ")));
    }
    if body.note.chars().count() > 500 {
        return Err(invalid(
            "修订说明不超过500字",
            "the note is at most 500 characters",
        ));
    }
    let current = current_questionnaire()?;
    if body.base != current.version {
        return Err(Response::conflict(format!(
            "问卷已更新为第 {} 版，请在最新版本上修改 / the questionnaire is at version {}, not {}",
            current.version, current.version, body.base
        )));
    }
    let version = current.version + 1;
    let doc = QuestionnaireDoc {
        version,
        published_ms: clock::now(),
        published_by: caller.username.clone(),
        note: body.note,
        questionnaire: body.questionnaire,
    };
    let stored = storage::put(
        QUESTIONNAIRES,
        Write::new(doc).id(version.to_string()).create_only(),
    )
    .map_err(|e| {
        if e.is_conflict() {
            Response::conflict("问卷刚被他人更新，请刷新后重试 / someone published first")
        } else {
            e.into()
        }
    })?;
    Ok(Response::created(&questionnaire_view(&stored.body)))
}

/// The questionnaire as the public answer page lays it out.
fn form_of(doc: &QuestionnaireDoc, hall_name: &str, submit: &str, channel: Channel) -> Value {
    let q = &doc.questionnaire;
    let levels: Vec<Value> = Level::ALL
        .iter()
        .map(|l| json!({ "value": *l as u8, "label": l.zh() }))
        .collect();
    let questions: Vec<Value> = q
        .questions
        .iter()
        .map(|question| {
            let mut v = json!({
                "id": question.id, "text": question.text, "required": question.required,
            });
            match &question.kind {
                Kind::Rating { reasons } => {
                    v["kind"] = json!("rating");
                    v["levels"] = json!(levels);
                    // Levels below 3 are 差评.
                    v["bad_below"] = json!(3);
                    if question.id == q.overall && !reasons.is_empty() {
                        v["reasons"] = json!(reasons);
                    }
                }
                Kind::Choice { options, multiple } => {
                    v["kind"] = json!("choice");
                    v["options"] = json!(options);
                    v["multiple"] = json!(multiple);
                }
                Kind::Text { max_chars } => {
                    v["kind"] = json!("text");
                    v["max_chars"] = json!(max_chars);
                }
            }
            v
        })
        .collect();
    json!({
        "title": q.name,
        "intro": q.intro,
        "hall_name": hall_name,
        "channel": channel.zh(),
        "version": doc.version,
        "questions": questions,
        "contact": (channel != Channel::Phone).then(|| json!({
            "label": "联系电话",
            "hint": "如对服务不满意并希望我们回访，请留下电话；不留电话即为匿名评价。",
        })),
        "submit": submit,
        "thanks": "提交成功，感谢您的评价！您的意见将用于改进大厅服务。",
    })
}

fn hall_name(hall: &str) -> Option<String> {
    directory::halls()
        .into_iter()
        .find(|h| h.id == hall)
        .map(|h| h.name_zh)
}

// --- links ------------------------------------------------------------------

/// The link a QR code or the website carries (the platform's answer page).
fn link_url(hall: &str, code: &str) -> String {
    format!("/q/supervision/public/survey?hall={hall}&t={code}")
}

/// A new link code: the platform's request id (a UUID v7: time and 74
/// random bits) as 32 hex digits.
fn new_code(req: &Request) -> String {
    req.request_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect()
}

/// `GET /surveys/links`: every active link, per hall and channel.
pub fn links(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let page = storage::query::<LinkDoc>(
        &Query::new(LINKS)
            .filter("active", Op::Eq, true)
            .sort_asc("hall")
            .limit(500),
    )?;
    let names = settings::hall_names();
    // A hall sees its own posters only.
    let own = |hall: &str| super::reads_all(caller) || caller.halls.iter().any(|h| h == hall);
    let items: Vec<Value> = page
        .items
        .iter()
        .filter(|d| own(&d.body.hall))
        .map(|d| {
            let l = &d.body;
            json!({
                "id": d.id, "hall": l.hall,
                "hall_name": names.get(&l.hall).cloned().unwrap_or_else(|| l.hall.clone()),
                "channel": l.channel, "channel_zh": l.channel.zh(),
                "url": link_url(&l.hall, &d.id),
                "created_ms": l.created_ms, "created_by": l.created_by,
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "total": items.len(), "items": items }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewLinks {
    /// One hall, or every covered hall.
    #[serde(default)]
    hall: Option<String>,
    /// One channel, or on-site and online.
    #[serde(default)]
    channel: Option<Channel>,
}

/// `POST /surveys/links`: issues links (a hall's old link for the channel
/// stops working: a poster that was taken away can be retired).
pub fn issue_links(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    let body: NewLinks = req.json()?;
    let halls: Vec<String> = match body.hall {
        Some(h) => {
            if hall_name(&h).is_none() {
                return Err(invalid("没有这个大厅", format!("no hall {h}")));
            }
            vec![h]
        }
        None => settings::halls(&settings::get()?)
            .into_iter()
            .map(|h| h.id)
            .collect(),
    };
    let channels = match body.channel {
        Some(Channel::Phone) => {
            return Err(invalid(
                "电话调查不使用链接，请使用电话调查名单",
                "phone surveys use the call list, not a link",
            ));
        }
        Some(c) => vec![c],
        None => vec![Channel::OnSite, Channel::Online],
    };
    let now = clock::now();
    let base = new_code(&req);
    let mut issued = Vec::new();
    for (i, hall) in halls.iter().enumerate() {
        for channel in &channels {
            let old = storage::query::<LinkDoc>(
                &Query::new(LINKS)
                    .filter("hall", Op::Eq, hall)
                    .filter("active", Op::Eq, true)
                    .limit(10),
            )?;
            for d in old.items.into_iter().filter(|d| d.body.channel == *channel) {
                let mut l = d.body;
                l.active = false;
                storage::put(LINKS, Write::new(l).id(&d.id).expected_version(d.version))?;
            }
            // One request id, many links: the hall's position and the
            // channel make each code distinct.
            let code = format!("{base}{i:03x}{}", *channel as u8);
            storage::put(
                LINKS,
                Write::new(LinkDoc {
                    hall: hall.clone(),
                    channel: *channel,
                    active: true,
                    created_ms: now,
                    created_by: caller.username.clone(),
                })
                .id(&code)
                .create_only(),
            )?;
            issued.push(json!({ "hall": hall, "channel": channel, "url": link_url(hall, &code) }));
        }
    }
    Ok(Response::created(
        &json!({ "items": issued, "total": issued.len() }),
    ))
}

/// The hall and channel of a request's link, or why it cannot be used.
fn link_of(req: &Request) -> Result<(String, Channel), Response> {
    let bad = || not_found("链接无效，请扫描大厅张贴的二维码", "unknown survey link");
    let hall = param(req, "hall").ok_or_else(bad)?;
    let code = param(req, "t").ok_or_else(bad)?;
    if code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    let link = storage::get::<LinkDoc>(LINKS, code)?.ok_or_else(bad)?.body;
    if link.hall != hall {
        return Err(bad());
    }
    if !link.active {
        return Err(Response::error(
            410,
            "link_retired",
            "此二维码已停用，请扫描大厅最新张贴的二维码 / this link was replaced",
        ));
    }
    Ok((link.hall, link.channel))
}

// --- anonymous answers --------------------------------------------------------

/// `GET /public/survey?hall=&t=` (public): the form for the answer page.
pub fn public_form(req: Request) -> HandlerResult {
    let (hall, channel) = link_of(&req)?;
    let doc = current_questionnaire_read()?;
    let name = hall_name(&hall).unwrap_or_else(|| hall.clone());
    Ok(Response::ok(&form_of(
        &doc,
        &name,
        "/public/survey",
        channel,
    )))
}

/// The current questionnaire for an anonymous reader, who cannot store the
/// default: the default itself until someone has stored it.
fn current_questionnaire_read() -> Result<QuestionnaireDoc, Response> {
    let page = storage::query::<QuestionnaireDoc>(
        &Query::new(QUESTIONNAIRES).sort_desc("version").limit(1),
    )?;
    Ok(match page.items.into_iter().next() {
        Some(d) => d.body,
        None => QuestionnaireDoc {
            version: 1,
            published_ms: 0,
            published_by: "system".into(),
            note: String::new(),
            questionnaire: default_questionnaire(),
        },
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicAnswer {
    answers: BTreeMap<String, Value>,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default)]
    contact: Option<String>,
    /// The answer page's random id for the phone.
    device: String,
    /// The questionnaire version the form showed.
    #[serde(default)]
    version: Option<u64>,
}

/// `POST /public/survey?hall=&t=` (public): one answer.
pub fn public_answer(req: Request) -> HandlerResult {
    let (hall, channel) = link_of(&req)?;
    let body: PublicAnswer = req.json()?;
    if !(8..=64).contains(&body.device.len())
        || !body
            .device
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(invalid(
            "设备标识无效",
            "device is 8 to 64 letters, digits or '-'",
        ));
    }
    let doc = current_questionnaire_read()?;
    if body.version.is_some_and(|v| v != doc.version) {
        return Err(Response::conflict(
            "问卷已更新，请刷新页面后重新填写 / the questionnaire changed; reload the page",
        ));
    }
    let submission = Submission {
        answers: body.answers,
        reasons: body.reasons,
        contact: body.contact,
    };
    let answer =
        survey::check(&doc.questionnaire, &submission).map_err(|e| invalid("问卷填写有误", e))?;
    let now = clock::now();
    let day = bantong_hall_kit::time::date_of_day(bantong_hall_kit::time::local_day(now));
    let id = format!("{hall}-{day}-{}", body.device);
    record(
        &id,
        AnswerDoc::new(&hall, channel, doc.version, now, answer),
        None,
    )
}

/// Stores an answer and opens a follow-up for a bad one that left a number.
fn record(id: &str, mut doc: AnswerDoc, call: Option<&str>) -> HandlerResult {
    doc.call = call.map(str::to_owned);
    let bad = doc.answer.overall.is_bad();
    if bad && let Some(contact) = doc.answer.contact.clone() {
        let fid = format!("survey-{id}");
        followups::open(Opening {
            id: fid.clone(),
            hall: doc.hall.clone(),
            rating: id.to_owned(),
            score: doc.overall,
            channel: format!("满意度调查·{}", doc.channel.zh()),
            window: None,
            staff: None,
            case_no: None,
            item: None,
            real_name: true,
            contact: Some(contact),
            rated_ms: doc.at_ms,
        })?;
        doc.followup = Some(fid);
    }
    match storage::put(
        ANSWERS,
        Write::new(doc.clone()).id(id).hall(&doc.hall).create_only(),
    ) {
        Ok(_) => Ok(Response::created(&json!({
            "id": id, "overall": doc.overall, "followup": doc.followup,
        }))),
        Err(e) if e.is_conflict() => Err(Response::conflict(
            "您今天已经评价过，感谢参与 / already answered today",
        )),
        Err(e) => Err(e.into()),
    }
}

/// `GET /surveys/answers?month=&hall=&channel=`.
pub fn answers(req: Request) -> HandlerResult {
    super::list_page(
        &req,
        ANSWERS,
        &["month", "channel"],
        "at_ms",
        |id, d: &AnswerDoc, names| {
            let level = Level::of(d.overall);
            json!({
                "id": id, "hall": d.hall,
                "hall_name": names.get(&d.hall).cloned().unwrap_or_else(|| d.hall.clone()),
                "month": d.month, "channel": d.channel, "channel_zh": d.channel.zh(),
                "at_ms": d.at_ms, "version": d.version, "overall": d.overall,
                "overall_zh": level.map(Level::zh),
                "reasons": d.answer.reasons, "contact": d.masked_contact(),
                "suggestion": match d.answer.answers.get("suggestion") {
                    Some(survey::Given::Text(t)) => Some(t.clone()),
                    _ => None,
                },
                "followup": d.followup,
            })
        },
    )
}

// --- the phone call list --------------------------------------------------------

#[derive(Deserialize)]
struct OrderContact {
    #[serde(default)]
    caller_key: String,
    #[serde(default)]
    confidential: bool,
}

/// The people a hall served in the month who left a number: the hotline's
/// orders the hall replied to, without confidential callers.
fn population(hall: &str, month: Month) -> Result<Vec<Contact>, Response> {
    let (start, end) = month.range_ms();
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = storage::query::<OrderContact>(
            &Query::new(ORDERS)
                .owner(HOTLINE)
                .hall(hall)
                .filter("replied_ms", Op::Ge, start)
                .filter("replied_ms", Op::Lt, end)
                .sort_asc("replied_ms")
                .offset(offset)
                .limit(200),
        )
        .map_err(|e| {
            invalid(
                "无法读取热线工单（热线模块未安装或未授权读取），不能抽取电话调查名单",
                e,
            )
        })?;
        let n = page.items.len() as u32;
        for d in page.items {
            if d.body.confidential {
                continue;
            }
            if let Some(number) = survey::phone_digits(&d.body.caller_key) {
                out.push(Contact {
                    source: d.id,
                    number,
                });
            }
        }
        offset += n;
        if n < 200 || offset >= MAX_POPULATION {
            return Ok(out);
        }
    }
}

fn month_entries(month: Month, hall: &str) -> Result<Vec<(String, CallDoc)>, Response> {
    let page = storage::query::<CallDoc>(
        &Query::new(CALLS)
            .filter("month", Op::Eq, month.to_string())
            .hall(hall)
            .limit(1_000),
    )?;
    Ok(page.items.into_iter().map(|d| (d.id, d.body)).collect())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Draw {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    hall: Option<String>,
}

/// `POST /surveys/calls`: draws (or tops up) the month's call lists, for
/// one hall or every covered hall, up to twice what is missing from the
/// monthly quota of completed calls.
pub fn draw(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    let body: Draw = req.json()?;
    let now = clock::now();
    let month = match body.month.as_deref() {
        Some(m) => Month::parse(m).map_err(|e| invalid("月份格式应为 YYYY-MM", e))?,
        None => Month::of_ms(now),
    };
    let s = settings::get()?;
    let halls: Vec<String> = match body.hall {
        Some(h) => vec![h],
        None => settings::halls(&s).into_iter().map(|h| h.id).collect(),
    };
    let mut summary = Vec::new();
    for hall in halls {
        let existing = month_entries(month, &hall)?;
        let count = |st: State| existing.iter().filter(|(_, e)| e.state == st).count() as u32;
        let want = calllist::to_draw(
            s.phone_quota,
            count(State::Completed),
            count(State::Pending),
        );
        let mut added = 0;
        if want > 0 {
            let taken: BTreeSet<String> = existing.iter().map(|(_, e)| e.number.clone()).collect();
            let people = population(&hall, month)?;
            let seed = format!("{month}/{hall}");
            for contact in calllist::draw(&seed, &people, &taken, want as usize) {
                let id = format!("{month}-{}", contact.source);
                let entry = Entry::new(&hall, &month.to_string(), contact, now);
                match storage::put(CALLS, Write::new(entry).id(&id).hall(&hall).create_only()) {
                    Ok(_) => added += 1,
                    Err(e) if e.is_conflict() => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        summary.push(json!({
            "hall": hall, "drawn": added, "quota": s.phone_quota,
            "completed": count(State::Completed), "pending": count(State::Pending) + added,
        }));
    }
    Ok(Response::created(
        &json!({ "month": month.to_string(), "items": summary }),
    ))
}

fn call_view(id: &str, e: &CallDoc, names: &BTreeMap<String, String>) -> Value {
    json!({
        "id": id, "hall": e.hall,
        "hall_name": names.get(&e.hall).cloned().unwrap_or_else(|| e.hall.clone()),
        "month": e.month, "number": e.masked, "source": e.source,
        "state": e.state, "state_zh": e.state.zh(),
        "attempts": e.attempts.len(),
        "last_outcome_zh": e.attempts.last().map(|a| a.outcome.zh()),
        "answer": e.answer,
        "history": e.attempts.iter().map(|a| json!({
            "at_ms": a.at_ms, "by": a.by, "action": a.outcome.zh(), "note": a.note,
        })).collect::<Vec<_>>(),
    })
}

/// Only the district calls (the working group), and reads call lists.
fn require_caller_district(req: &Request) -> Result<&Caller, Response> {
    let caller = req.require_caller()?;
    require_district(caller)?;
    Ok(caller)
}

/// `GET /surveys/calls?month=&hall=&state=`: numbers masked.
pub fn calls(req: Request) -> HandlerResult {
    require_caller_district(&req)?;
    super::list_page(&req, CALLS, &["month", "state"], "drawn_ms", call_view)
}

/// How long a dialled number stays visible to the one who dialled it.
const SHOWN_FOR_MS: i64 = 30 * 60 * 1000;

/// `GET /surveys/calls/{id}`: the entry; the number in full only to the
/// one who dialled it, for half an hour.
pub fn call(req: Request) -> HandlerResult {
    let caller = require_caller_district(&req)?;
    let id = path(&req, "id")?;
    let entry = storage::get::<CallDoc>(CALLS, id)?
        .ok_or_else(|| not_found("没有该调查对象", format!("no call entry {id}")))?
        .body;
    let mut v = call_view(id, &entry, &settings::hall_names());
    let now = clock::now();
    if entry.state == State::Pending
        && entry
            .dialled
            .iter()
            .any(|(by, at)| *by == caller.username && now - at < SHOWN_FOR_MS)
    {
        v["number"] = json!(entry.number);
        v["form"] = json!(format!("/q/supervision/surveys/calls/{id}/form"));
    }
    Ok(Response::ok(&v))
}

fn load_call(id: &str) -> Result<(CallDoc, u64), Response> {
    let d = storage::get::<CallDoc>(CALLS, id)?
        .ok_or_else(|| not_found("没有该调查对象", format!("no call entry {id}")))?;
    Ok((d.body, d.version))
}

/// `POST /surveys/calls/{id}/dial`: shows the number to the caller, and
/// records that it was shown (the platform audits the call).
pub fn dial(req: Request) -> HandlerResult {
    let caller = require_caller_district(&req)?;
    let id = path(&req, "id")?;
    let (mut entry, version) = load_call(id)?;
    let number = entry
        .dial(&caller.username, clock::now())
        .map_err(|e| refused(e.status(), e.to_string()))?
        .to_owned();
    let hall = entry.hall.clone();
    storage::put(
        CALLS,
        Write::new(entry)
            .id(id)
            .hall(&hall)
            .expected_version(version),
    )?;
    Ok(Response::ok(&json!({
        "id": id, "number": number,
        "form": format!("/q/supervision/surveys/calls/{id}/form"),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallResult {
    outcome: Outcome,
    #[serde(default)]
    note: String,
}

/// `POST /surveys/calls/{id}/result`: a call that did not complete the
/// survey (no answer, refused, wrong number).
pub fn result(req: Request) -> HandlerResult {
    let caller = require_caller_district(&req)?;
    let id = path(&req, "id")?;
    let body: CallResult = req.json()?;
    if body.outcome == Outcome::Completed {
        return Err(invalid(
            "完成的电话调查请填写问卷提交",
            "a completed call is recorded with its answers (POST …/answers)",
        ));
    }
    let (mut entry, version) = load_call(id)?;
    entry
        .record(
            &caller.username,
            body.outcome,
            &body.note,
            None,
            clock::now(),
        )
        .map_err(|e| refused(e.status(), e.to_string()))?;
    let hall = entry.hall.clone();
    let stored = storage::put(
        CALLS,
        Write::new(entry)
            .id(id)
            .hall(&hall)
            .expected_version(version),
    )?;
    Ok(Response::ok(&call_view(
        id,
        &stored.body,
        &settings::hall_names(),
    )))
}

/// `GET /surveys/calls/{id}/form`: the questionnaire for the answer page,
/// read out on the phone by the surveyor.
pub fn call_form(req: Request) -> HandlerResult {
    require_caller_district(&req)?;
    let id = path(&req, "id")?;
    let (entry, _) = load_call(id)?;
    let doc = current_questionnaire()?;
    let name = hall_name(&entry.hall).unwrap_or_else(|| entry.hall.clone());
    let mut form = form_of(
        &doc,
        &name,
        &format!("/surveys/calls/{id}/answers"),
        Channel::Phone,
    );
    form["title"] = json!(format!("电话调查 · {}", doc.questionnaire.name));
    form["intro"] = json!(format!(
        "调查对象 {}。请先说明来意：“您好，这里是区政务服务中心回访，想请您对在{name}办事的体验做个简单评价，约一分钟。”",
        entry.masked
    ));
    form["auth"] = json!(true);
    form["thanks"] = json!("已记录本次电话调查。");
    Ok(Response::ok(&form))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhoneAnswer {
    answers: BTreeMap<String, Value>,
    #[serde(default)]
    reasons: Vec<String>,
    /// The answer page's device id (one surveyor's browser: not used).
    #[serde(default, rename = "device")]
    _device: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    version: Option<u64>,
}

/// `POST /surveys/calls/{id}/answers`: a completed phone survey.
pub fn call_answers(req: Request) -> HandlerResult {
    let caller = require_caller_district(&req)?;
    let id = path(&req, "id")?;
    let body: PhoneAnswer = req.json()?;
    let (mut entry, version) = load_call(id)?;
    let doc = current_questionnaire()?;
    if body.version.is_some_and(|v| v != doc.version) {
        return Err(Response::conflict(
            "问卷已更新，请刷新页面后重新填写 / the questionnaire changed; reload the page",
        ));
    }
    // The number is the one on the list: a bad answer is 实名.
    let submission = Submission {
        answers: body.answers,
        reasons: body.reasons,
        contact: Some(entry.number.clone()),
    };
    let answer =
        survey::check(&doc.questionnaire, &submission).map_err(|e| invalid("问卷填写有误", e))?;
    let now = clock::now();
    let answer_id = format!("call-{id}");
    entry
        .record(
            &caller.username,
            Outcome::Completed,
            "",
            Some(answer_id.clone()),
            now,
        )
        .map_err(|e| refused(e.status(), e.to_string()))?;
    let hall = entry.hall.clone();
    let answer_doc = AnswerDoc::new(&hall, Channel::Phone, doc.version, now, answer);
    let created = record(&answer_id, answer_doc, Some(id))?;
    storage::put(
        CALLS,
        Write::new(entry)
            .id(id)
            .hall(&hall)
            .expected_version(version),
    )?;
    Ok(created)
}

// --- figures --------------------------------------------------------------------

/// `GET /surveys/figures?month=`: 满意率 and 满意度指数 per hall and per
/// channel, with the levels counted.
pub fn figures(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let month = month_param(&req, clock::now())?;
    let s = settings::get()?;
    let groups = storage::aggregate(
        &Aggregate::new(ANSWERS)
            .filter("month", Op::Eq, month.to_string())
            .group_by("hall")
            .group_by("channel")
            .group_by("overall")
            .count(),
    )?;
    let mut per_hall: BTreeMap<String, Tally> = BTreeMap::new();
    let mut per_channel: BTreeMap<String, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    for g in &groups {
        let (Some(hall), Some(channel)) = (g.key_str(0), g.key_str(1)) else {
            continue;
        };
        let Some(level) = g
            .keys
            .get(2)
            .and_then(Value::as_u64)
            .and_then(|n| u8::try_from(n).ok())
            .and_then(Level::of)
        else {
            continue;
        };
        let n = g.value(0).map_or(0, |v| v.max(0.0).round() as u64);
        per_hall.entry(hall.to_owned()).or_default().add(level, n);
        per_channel
            .entry(channel.to_owned())
            .or_default()
            .add(level, n);
        all.add(level, n);
    }
    let names = settings::hall_names();
    let tally_json = |t: &Tally| {
        json!({
            "answers": t.total(),
            "satisfaction": t.satisfaction(s.survey_basic_counts),
            "satisfaction_text": t.satisfaction(s.survey_basic_counts).text(bantong_hall_kit::figure::Lang::Zh),
            "index": t.index(),
            "index_text": t.index().text(bantong_hall_kit::figure::Lang::Zh),
            "bad": t.bad(),
            "levels": Level::ALL.iter().map(|l| json!({ "level": *l as u8, "label": l.zh(), "answers": t.at(*l) })).collect::<Vec<_>>(),
        })
    };
    let items: Vec<Value> = per_hall
        .iter()
        .map(|(hall, t)| {
            let mut v = tally_json(t);
            v["id"] = json!(hall);
            v["hall"] = json!(hall);
            v["hall_name"] = json!(names.get(hall).cloned().unwrap_or_else(|| hall.clone()));
            v
        })
        .collect();
    let channels: Vec<Value> = Channel::ALL
        .iter()
        .map(|c| {
            let t = per_channel.get(c.key()).copied().unwrap_or_default();
            let mut v = tally_json(&t);
            v["channel"] = json!(c);
            v["channel_zh"] = json!(c.zh());
            v
        })
        .collect();
    let rule = format!(
        "{}；{}",
        all.satisfaction(s.survey_basic_counts).definition,
        all.index().definition
    );
    Ok(Response::ok(&json!({
        "month": month.to_string(),
        "rule": rule,
        "overall": tally_json(&all),
        "channels": channels,
        "phone_quota": s.phone_quota,
        "items": items,
        "total": items.len(),
    })))
}
