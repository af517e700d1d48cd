//! 差评 follow-up: each bad rating a hall's keypad or kiosk sends
//! (`hall.alert.haocha-bad`) opens one; the hall verifies it, a genuine one
//! becomes a problem in the one rectification loop, and real-name raters
//! are called back.

use bantong_sdk::storage::{self, Write};
use bantong_sdk::{Event, HandlerResult, Request, Response, clock, log};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{FOLLOWUPS, FollowupDoc, PROBLEMS, ProblemDoc};
use super::{forbidden, is_district, is_hall, not_found, path, require_reader, settings};
use crate::followup::{Action, Followup, Side, State};
use crate::month::Month;
use crate::problem::{Problem, Source};

#[derive(Deserialize)]
struct Rating {
    #[serde(default)]
    id: Option<String>,
    score: u8,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    window: Option<u32>,
    #[serde(default)]
    staff: Option<String>,
    #[serde(default)]
    case_no: Option<String>,
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    masked_id: Option<String>,
    #[serde(default)]
    rated_at: Option<i64>,
}

/// Opens a follow-up for a bad rating (once per `(agent, seq)`).
pub fn on_bad_rating(ev: &Event) -> Result<(), Response> {
    let Some(envelope) = super::envelope(ev) else {
        return Ok(());
    };
    let rating: Rating = match serde_json::from_value(envelope.data.clone()) {
        Ok(r) => r,
        Err(e) => {
            log::warn(&format!(
                "bad rating {} has unexpected data: {e}",
                envelope.key()
            ));
            return Ok(());
        }
    };
    if !(1..=2).contains(&rating.score) {
        return Ok(());
    }
    open(Opening {
        id: envelope.key(),
        hall: envelope.hall.clone(),
        rating: rating.id.unwrap_or_else(|| envelope.key()),
        score: rating.score,
        channel: rating.channel.unwrap_or_default(),
        window: rating.window,
        staff: rating.staff,
        case_no: rating.case_no,
        item: rating.item,
        real_name: rating.masked_id.is_some(),
        contact: None,
        rated_ms: rating.rated_at.unwrap_or(envelope.ts_ms),
    })
    .map(|_| ())
}

/// What opens a follow-up: a bad rating from a hall's keypad or kiosk, or
/// a bad survey answer.
pub struct Opening {
    /// The follow-up's id (the same rating always gives the same id).
    pub id: String,
    pub hall: String,
    pub rating: String,
    /// 1 or 2.
    pub score: u8,
    pub channel: String,
    pub window: Option<u32>,
    pub staff: Option<String>,
    pub case_no: Option<String>,
    pub item: Option<String>,
    pub real_name: bool,
    pub contact: Option<String>,
    pub rated_ms: i64,
}

/// Opens a follow-up and tells the hall's managers; `false` when one with
/// that id was already open (a resent rating).
pub fn open(o: Opening) -> Result<bool, Response> {
    let r = settings::load()?;
    let rated = o.rated_ms;
    let followup = Followup {
        hall: o.hall.clone(),
        rating: o.rating,
        score: o.score,
        channel: o.channel,
        window: o.window,
        staff: o.staff,
        case_no: o.case_no,
        item: o.item,
        real_name: o.real_name,
        contact: o.contact,
        rated_ms: rated,
        verify_due_ms: r
            .calendar
            .deadline(rated, i64::from(r.settings.verify_days)),
        rectify_due_ms: r
            .calendar
            .deadline(rated, i64::from(r.settings.rectify_days)),
        state: State::Verifying,
        before_appeal: None,
        genuine: None,
        verified_ms: None,
        problem: None,
        called_back: false,
        satisfied: None,
        history: Vec::new(),
    };
    let doc = FollowupDoc::new(followup, Month::of_ms(rated).to_string());
    match storage::put(
        FOLLOWUPS,
        Write::new(doc).id(&o.id).hall(&o.hall).create_only(),
    ) {
        Ok(_) => {
            settings::notify(
                &settings::managers_of(&o.hall),
                &format!(
                    "【差评处置】本大厅收到一条{}评价，请于 {} 个工作日内核实处置。",
                    if o.score == 1 {
                        "非常不满意"
                    } else {
                        "不满意"
                    },
                    r.settings.verify_days
                ),
                "supervision.followup.opened",
                Some(&o.hall),
            );
            Ok(true)
        }
        Err(e) if e.is_conflict() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn view(id: &str, doc: &FollowupDoc, names: &std::collections::BTreeMap<String, String>) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or_default();
    v["id"] = json!(id);
    v["state_zh"] = json!(doc.followup.state.zh());
    v["level_zh"] = json!(if doc.followup.score == 1 {
        "非常不满意"
    } else {
        "不满意"
    });
    v["real_name_zh"] = json!(if doc.followup.real_name {
        "实名"
    } else {
        "匿名"
    });
    // Lists show a number masked; the record itself shows it to those who
    // call back.
    if let Some(c) = &doc.followup.contact {
        v["contact"] = json!(crate::survey::mask(c));
    }
    v["hall_name"] = json!(
        names
            .get(&doc.followup.hall)
            .cloned()
            .unwrap_or_else(|| doc.followup.hall.clone())
    );
    v
}

/// `GET /followups?state=&hall=&month=`.
pub fn list(req: Request) -> HandlerResult {
    super::list_page(&req, FOLLOWUPS, &["state", "month"], "rated_ms", view)
}

/// `GET /followups/{id}`.
pub fn get(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let id = path(&req, "id")?;
    let doc = storage::get::<FollowupDoc>(FOLLOWUPS, id)?
        .ok_or_else(|| not_found("没有该差评", format!("no follow-up {id}")))?;
    let mut v = view(id, &doc.body, &settings::hall_names());
    v["contact"] = json!(doc.body.followup.contact);
    Ok(Response::ok(&v))
}

/// `POST /followups/{id}/actions`: verify, call_back, appeal, decide.
pub fn act(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let side = if is_district(caller) {
        Side::District
    } else if is_hall(caller) {
        Side::Hall
    } else {
        return Err(forbidden("无权处置差评", "no access to follow-ups"));
    };
    let id = path(&req, "id")?;
    let action: Action = req.json()?;
    let stored = storage::get::<FollowupDoc>(FOLLOWUPS, id)?
        .ok_or_else(|| not_found("没有该差评", format!("no follow-up {id}")))?;
    let mut doc = stored.body;
    let now = clock::now();
    let effects = doc
        .followup
        .act(side, &caller.username, action, now)
        .map_err(|e| super::refused(e.status(), e.message()))?;
    if !effects.is_empty() {
        let f = &doc.followup;
        let r = settings::load()?;
        let month = Month::of_ms(now);
        let finding = f.history.last().map(|s| s.note.clone()).unwrap_or_default();
        let problem = Problem::issue(
            f.hall.clone(),
            month.to_string(),
            "评价投诉渠道".into(),
            None,
            format!(
                "差评属实：{}",
                if f.score == 1 {
                    "非常不满意"
                } else {
                    "不满意"
                }
            ),
            format!(
                "{}{}{}",
                finding,
                f.window
                    .map(|w| format!("（{w}号窗口）"))
                    .unwrap_or_default(),
                f.case_no
                    .as_ref()
                    .map(|c| format!("，办件编号 {c}"))
                    .unwrap_or_default()
            ),
            Source::Rating {
                followup: id.to_owned(),
            },
            Vec::new(),
            &caller.username,
            now,
            f.rectify_due_ms.max(r.calendar.deadline(now, 1)),
        );
        let pid = format!("fu-{id}");
        storage::put(
            PROBLEMS,
            Write::new(ProblemDoc::new(problem, month.index()))
                .id(&pid)
                .hall(&f.hall)
                .create_only(),
        )?;
        doc.followup.problem = Some(pid);
    }
    doc.refresh();
    let stored = storage::put(
        FOLLOWUPS,
        Write::new(doc)
            .id(id)
            .hall(stored.hall)
            .expected_version(stored.version),
    )?;
    Ok(Response::ok(&view(
        id,
        &stored.body,
        &settings::hall_names(),
    )))
}
