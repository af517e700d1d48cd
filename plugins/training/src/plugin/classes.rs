//! Training plans and classes: trainers set plans and classes, a class's
//! QR code signs people in on their phones, trainers record who came
//! without a phone, and each person sees their own trainings and the
//! pre-post syllabus.

use std::collections::{BTreeMap, BTreeSet};

use bantong_hall_kit::figure::Figure;
use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::class::{self, Arrival, ClassKind, ClassSetting, SignInError, Unit};
use crate::exam::{Candidate, parse_instant};
use crate::plan::{self, Held, Period, PlanSetting, Topic, topics_zh};

use super::bank::all;
use super::docs::{
    ATTENDANCE, AttendanceDoc, CLASSES, ClassDoc, MATERIALS, MaterialDoc, MaterialRef, PLANS,
    PlanDoc,
};
use super::settings;
use super::{
    conflict, forbidden, invalid, is_trainer, not_found, paging, param, path, require_reader,
    require_trainer,
};

const DAY_MS: i64 = 86_400_000;
/// How far back "my trainings" looks.
const MY_DAYS: i64 = 365;
/// The most classes one read covers (a year of a busy district is ~300).
const MAX_CLASSES: usize = 2_000;
/// The most people on one class's roster.
const MAX_ROSTER: usize = 5_000;
/// The most pre-post sign-ins the syllabus overview reads (a few hundred
/// staff, a handful of pre-post classes each).
const MAX_SYLLABUS_SIGN_INS: usize = 20_000;

// --- plans -----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanInput {
    period: String,
    title: String,
    topics: Vec<String>,
    sessions: u32,
    hours: u32,
    #[serde(default)]
    halls: Vec<String>,
    #[serde(default)]
    notes: Option<String>,
}

fn topics_of(names: &[String]) -> Result<Vec<Topic>, Response> {
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| Topic::parse(n).ok_or_else(|| invalid(format!("没有培训内容“{}”", n.trim()))))
        .collect()
}

fn units_of(names: &[String]) -> Result<Vec<Unit>, Response> {
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            let n = n.trim();
            Unit::ALL
                .into_iter()
                .find(|u| u.as_str() == n || u.zh() == n)
                .ok_or_else(|| invalid(format!("岗前培训大纲没有单元“{n}”")))
        })
        .collect()
}

/// The halls named, each known and in the caller's scope; a hall's
/// trainer must name their halls.
fn halls_of(caller: &Caller, halls: &[String]) -> Result<Vec<String>, Response> {
    let names = settings::hall_names();
    let halls: Vec<String> = halls
        .iter()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for h in &halls {
        if !names.contains_key(h) {
            return Err(invalid(format!("没有大厅“{h}”")));
        }
        if !caller.can_act_for(h) {
            return Err(forbidden("只能为本人负责的大厅安排培训", "not your hall"));
        }
    }
    if halls.is_empty() && !caller.district_wide {
        return Err(invalid("请填写参训大厅（本人负责的大厅）"));
    }
    Ok(halls)
}

/// `POST /plans`: a monthly, quarterly or annual plan.
pub fn create_plan(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let input: PlanInput = req.json()?;
    let period = Period::parse(&input.period).ok_or_else(|| {
        invalid(format!(
            "计划期间“{}”无效（月度如2026-12，季度如2026-Q4，年度如2026）",
            input.period
        ))
    })?;
    let setting = PlanSetting {
        period,
        title: input.title.trim().to_owned(),
        topics: topics_of(&input.topics)?,
        sessions: input.sessions,
        hours: input.hours,
        halls: halls_of(caller, &input.halls)?,
        notes: input.notes.unwrap_or_default().trim().to_owned(),
    };
    setting.check().map_err(invalid)?;
    let doc = PlanDoc::new(setting, caller.user_id.clone(), clock::now());
    let stored = storage::put(PLANS, Write::new(doc))?;
    Ok(Response::created(&plan_row(
        &stored.id,
        &stored.body,
        None,
        &settings::hall_names(),
    )))
}

fn plan_row(
    id: &str,
    p: &PlanDoc,
    progress: Option<&plan::Progress>,
    halls: &BTreeMap<String, String>,
) -> Value {
    let mut row = json!({
        "id": id,
        "period": p.setting.period.to_string(),
        "period_zh": p.setting.period.zh(),
        "cadence": p.cadence,
        "cadence_zh": p.cadence.zh(),
        "title": p.setting.title,
        "topics": p.setting.topics,
        "topics_zh": topics_zh(&p.setting.topics),
        "sessions": p.setting.sessions,
        "hours": p.setting.hours,
        "halls_zh": halls_zh(&p.setting.halls, halls),
        "notes": p.setting.notes,
    });
    if let Some(g) = progress {
        row["held"] = json!(g.held);
        row["scheduled"] = json!(g.scheduled);
        row["hours_held"] = json!(g.hours_held);
        row["done"] = json!(g.done);
        row["attendance"] = json!(g.attendance);
        row["covered_zh"] = json!(topics_zh(&g.covered));
        row["missing_zh"] = json!(topics_zh(&g.missing));
        row["behind"] = json!(g.behind);
        row["state_zh"] = json!(if g.behind {
            "未完成"
        } else if g.done >= 1.0 && g.missing.is_empty() {
            "已完成"
        } else {
            "进行中"
        });
    }
    row
}

fn halls_zh(halls: &[String], names: &BTreeMap<String, String>) -> String {
    if halls.is_empty() {
        return "全部大厅".into();
    }
    halls
        .iter()
        .map(|h| names.get(h).cloned().unwrap_or_else(|| h.clone()))
        .collect::<Vec<_>>()
        .join("、")
}

/// The classes under each of `plans`, as the progress counts them.
fn held_by_plan(plans: &[&str]) -> Result<BTreeMap<String, Vec<Held>>, Response> {
    let mut out: BTreeMap<String, Vec<Held>> = BTreeMap::new();
    if plans.is_empty() {
        return Ok(out);
    }
    let classes = all::<ClassDoc>(
        Query::new(CLASSES)
            .filter("plan_id", Op::AnyOf, plans)
            .sort_asc("starts_ms"),
        MAX_CLASSES,
    )?;
    let ids: Vec<&str> = classes.iter().map(|d| d.id.as_str()).collect();
    let came = attendance_counts(&ids)?;
    for d in &classes {
        out.entry(d.body.plan_id.clone())
            .or_default()
            .push(held(&d.body, came.get(&d.id).copied().unwrap_or(0)));
    }
    Ok(out)
}

/// A class as its plan's progress counts it.
fn held(c: &ClassDoc, attended: u32) -> Held {
    Held {
        topics: c.setting.topics.clone(),
        hours: c.setting.hours,
        starts_ms: c.setting.starts_ms,
        expected: u32::try_from(c.roster.len()).unwrap_or(u32::MAX),
        attended,
    }
}

/// Sign-ins per class.
fn attendance_counts(classes: &[&str]) -> Result<BTreeMap<String, u32>, Response> {
    let mut out = BTreeMap::new();
    if classes.is_empty() {
        return Ok(out);
    }
    let groups = storage::aggregate(
        &storage::Aggregate::new(ATTENDANCE)
            .filter("class", Op::AnyOf, classes)
            .group_by("class")
            .count(),
    )?;
    for g in &groups {
        if let (Some(class), Some(n)) = (g.key_str(0), g.value(0)) {
            out.insert(class.to_owned(), n as u32);
        }
    }
    Ok(out)
}

/// `GET /plans?cadence=&year=`: newest period first, with progress.
pub fn plans(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (offset, limit) = paging(&req)?;
    let year = req.query_parse::<i32>("year")?;
    let page = storage::query::<PlanDoc>(
        &Query::new(PLANS)
            .filter_opt("cadence", Op::Eq, param(&req, "cadence"))
            .filter_opt("year", Op::Eq, year)
            .sort_desc("starts_ms")
            .offset(offset)
            .limit(limit),
    )?;
    let ids: Vec<&str> = page.items.iter().map(|d| d.id.as_str()).collect();
    let held = held_by_plan(&ids)?;
    let names = settings::hall_names();
    let now = clock::now();
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            let classes = held.get(&d.id).map_or(&[][..], Vec::as_slice);
            let g = plan::progress(&d.body.setting, classes, now);
            plan_row(&d.id, &d.body, Some(&g), &names)
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /plans/{id}`: the plan, its progress and its classes.
pub fn plan(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let id = path(&req, "id")?;
    let d = storage::get::<PlanDoc>(PLANS, id)?
        .ok_or_else(|| not_found("没有这个培训计划", "no such plan"))?;
    let classes = all::<ClassDoc>(
        Query::new(CLASSES)
            .filter("plan_id", Op::Eq, id)
            .sort_asc("starts_ms"),
        MAX_CLASSES,
    )?;
    let ids: Vec<&str> = classes.iter().map(|c| c.id.as_str()).collect();
    let came = attendance_counts(&ids)?;
    let held: Vec<Held> = classes
        .iter()
        .map(|c| held(&c.body, came.get(&c.id).copied().unwrap_or(0)))
        .collect();
    let g = plan::progress(&d.body.setting, &held, clock::now());
    let names = settings::hall_names();
    let mut row = plan_row(&d.id, &d.body, Some(&g), &names);
    row["classes"] = classes
        .iter()
        .map(|c| class_row(&c.id, &c.body, came.get(&c.id).copied(), &names))
        .collect();
    Ok(Response::ok(&row))
}

// --- classes -----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassInput {
    title: String,
    kind: ClassKind,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    units: Vec<String>,
    lecturer: String,
    place: String,
    /// `2026-12-10T09:00` (China Standard Time unless an offset is given).
    starts: String,
    ends: String,
    hours: u32,
    #[serde(default)]
    halls: Vec<String>,
    /// The roles that attend (the configured staff roles when empty).
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    materials: Vec<String>,
}

/// A new sign-in code: eight hex digits of the request id's random tail.
fn new_code(req: &Request) -> String {
    let hex: String = req
        .request_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    hex[hex.len().saturating_sub(8)..].to_ascii_lowercase()
}

/// `POST /classes`: a class, its roster resolved and told.
pub fn create_class(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let input: ClassInput = req.json()?;
    let instant = |text: &str, what: &str| {
        parse_instant(text).ok_or_else(|| invalid(format!("{what}“{text}”无效")))
    };
    let plan_id = input
        .plan
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned);
    let setting = ClassSetting {
        title: input.title.trim().to_owned(),
        kind: input.kind,
        plan: plan_id.clone(),
        topics: topics_of(&input.topics)?,
        units: units_of(&input.units)?,
        lecturer: input.lecturer.trim().to_owned(),
        place: input.place.trim().to_owned(),
        starts_ms: instant(&input.starts, "开始时间")?,
        ends_ms: instant(&input.ends, "结束时间")?,
        hours: input.hours,
        halls: halls_of(caller, &input.halls)?,
    };
    setting.check().map_err(invalid)?;
    if let Some(p) = &plan_id {
        let plan = storage::get::<PlanDoc>(PLANS, p)?
            .ok_or_else(|| invalid(format!("没有培训计划“{p}”")))?;
        let period = plan.body.setting.period;
        if setting.starts_ms < period.start_ms() || setting.starts_ms >= period.end_ms() {
            return Err(invalid(format!(
                "班次时间不在计划期间（{}）内",
                period.zh()
            )));
        }
    }
    let s = settings::load()?;
    let roles = if input.roles.is_empty() {
        s.staff_roles.clone()
    } else {
        input.roles.clone()
    };
    let roster = settings::candidates(&roles, &setting.halls)?;
    if roster.is_empty() {
        return Err(invalid("参训大厅中没有这些岗位的人员"));
    }
    let mut materials = Vec::new();
    for m in input.materials.iter().filter(|m| !m.trim().is_empty()) {
        let d = storage::get::<MaterialDoc>(MATERIALS, m.trim())?
            .ok_or_else(|| invalid(format!("没有学习资料“{}”", m.trim())))?;
        materials.push(MaterialRef {
            id: d.id,
            title: d.body.title,
        });
    }
    let doc = ClassDoc {
        plan_id: plan_id.unwrap_or_default(),
        code: new_code(&req),
        roster,
        materials,
        by: caller.user_id.clone(),
        created_ms: clock::now(),
        setting,
    };
    let stored = storage::put(CLASSES, Write::new(doc))?;
    let c = &stored.body;
    let people: Vec<(String, Option<String>)> = c
        .roster
        .iter()
        .map(|p| (p.user_id.clone(), p.hall.clone()))
        .collect();
    settings::notify(
        &people,
        &format!(
            "【培训通知】{}：{} 在{}，授课人{}。请到场后扫描现场二维码签到。",
            c.setting.title,
            bantong_hall_kit::time::local_time(c.setting.starts_ms),
            c.setting.place,
            c.setting.lecturer
        ),
        "training.class",
    );
    let names = settings::hall_names();
    let mut row = class_row(&stored.id, c, Some(0), &names);
    row["sign_in"] = json!(sign_in_path(&stored.id, &c.code));
    Ok(Response::created(&row))
}

/// What a class's QR code opens: the portal's sign-in form for the class,
/// its code filled in.
fn sign_in_path(id: &str, code: &str) -> String {
    format!("/v/training/sign-in/{id}?code={code}")
}

fn class_row(
    id: &str,
    c: &ClassDoc,
    attended: Option<u32>,
    halls: &BTreeMap<String, String>,
) -> Value {
    let s = &c.setting;
    let content = if s.kind == ClassKind::PrePost {
        s.units
            .iter()
            .map(|u| u.zh())
            .collect::<Vec<_>>()
            .join("、")
    } else {
        topics_zh(&s.topics)
    };
    json!({
        "id": id,
        "title": s.title,
        "kind": s.kind,
        "kind_zh": s.kind.zh(),
        "plan": c.plan_id,
        "content": content,
        "lecturer": s.lecturer,
        "place": s.place,
        "starts_ms": s.starts_ms,
        "ends_ms": s.ends_ms,
        "hours": s.hours,
        "halls_zh": halls_zh(&s.halls, halls),
        "roster": c.roster.len(),
        "attended": attended,
        "attendance": attended.filter(|_| !c.roster.is_empty())
            .map(|n| f64::from(n) / c.roster.len() as f64),
        "materials": c.materials.iter().map(|m| m.title.as_str()).collect::<Vec<_>>().join("、"),
    })
}

/// `GET /classes?plan=&kind=&from=`: soonest first from `from` (a
/// `YYYY-MM-DD`, default 30 days ago).
pub fn classes(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (offset, limit) = paging(&req)?;
    let from = match param(&req, "from") {
        Some(day) => parse_instant(&format!("{day}T00:00"))
            .ok_or_else(|| invalid(format!("日期“{day}”无效")))?,
        None => clock::now() - 30 * DAY_MS,
    };
    let page = storage::query::<ClassDoc>(
        &Query::new(CLASSES)
            .filter_opt("plan_id", Op::Eq, param(&req, "plan"))
            .filter_opt("kind", Op::Eq, param(&req, "kind"))
            .filter("starts_ms", Op::Ge, from)
            .sort_asc("starts_ms")
            .offset(offset)
            .limit(limit),
    )?;
    let ids: Vec<&str> = page.items.iter().map(|d| d.id.as_str()).collect();
    let came = attendance_counts(&ids)?;
    let names = settings::hall_names();
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            class_row(
                &d.id,
                &d.body,
                Some(came.get(&d.id).copied().unwrap_or(0)),
                &names,
            )
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /classes/{id}`: the class, its QR code (for those who run it:
/// trainers and the halls' managers) and its roster with who came.
pub fn class(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let id = path(&req, "id")?;
    let d = storage::get::<ClassDoc>(CLASSES, id)?
        .ok_or_else(|| not_found("没有这个培训班次", "no such class"))?;
    let came: BTreeMap<String, AttendanceDoc> = all::<AttendanceDoc>(
        Query::new(ATTENDANCE).filter("class", Op::Eq, id),
        MAX_ROSTER,
    )?
    .into_iter()
    .map(|a| (a.body.candidate.clone(), a.body))
    .collect();
    let names = settings::hall_names();
    let mine = |p: &Candidate| {
        caller.district_wide || p.hall.as_ref().is_some_and(|h| caller.can_act_for(h))
    };
    let roster: Vec<Value> = d
        .body
        .roster
        .iter()
        .filter(|p| mine(p))
        .map(|p| {
            let a = came.get(&p.user_id);
            json!({
                "name": p.name,
                "hall_zh": p.hall.as_ref().and_then(|h| names.get(h)).cloned().unwrap_or_default(),
                "present": a.is_some(),
                "at_ms": a.map(|a| a.at_ms),
                "late_minutes": a.map(|a| a.late_minutes).filter(|m| *m > 0),
                "how_zh": a.map(|a| if a.how == "qr" { "扫码签到" } else { "培训专员登记" }),
            })
        })
        .collect();
    let mut row = class_row(&d.id, &d.body, Some(came.len() as u32), &names);
    row["people"] = Value::Array(roster);
    let runs = is_trainer(caller)
        || (caller.has_role("hall-manager")
            && d.body.setting.halls.iter().any(|h| caller.can_act_for(h)));
    if runs {
        row["sign_in"] = json!(sign_in_path(&d.id, &d.body.code));
        row["code"] = json!(d.body.code);
    }
    Ok(Response::ok(&row))
}

fn attendance_of(id: &str, c: &ClassDoc, p: &Candidate, at_ms: i64) -> AttendanceDoc {
    let late_minutes = match class::arrival(&c.setting, at_ms) {
        Arrival::OnTime => 0,
        Arrival::Late { minutes } => minutes,
    };
    AttendanceDoc {
        class: id.to_owned(),
        candidate: p.user_id.clone(),
        name: p.name.clone(),
        title: c.setting.title.clone(),
        kind: c.setting.kind,
        topics: c.setting.topics.clone(),
        units: c.setting.units.clone(),
        hours: c.setting.hours,
        at_ms,
        late_minutes,
        how: "qr".into(),
        by: None,
        note: String::new(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInInput {
    code: String,
}

/// `POST /classes/{id}/sign-in`: the caller signs in with the class's
/// code; signing in again answers with the first sign-in.
pub fn sign_in(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let input: SignInInput = req.json()?;
    let d = storage::get::<ClassDoc>(CLASSES, id)?
        .ok_or_else(|| not_found("没有这个培训班次", "no such class"))?;
    let me = d.body.roster.iter().find(|p| p.user_id == caller.user_id);
    let now = clock::now();
    let answer = |a: &AttendanceDoc, again: bool| {
        json!({
            "class": id,
            "title": a.title,
            "at_ms": a.at_ms,
            "late_minutes": a.late_minutes,
            "again": again,
            "message": if a.late_minutes > 0 {
                format!("签到成功（迟到{}分钟）", a.late_minutes)
            } else {
                "签到成功".to_owned()
            },
        })
    };
    let attendance_id = format!("{id}.{}", caller.user_id);
    if me.is_some()
        && let Some(before) = storage::get::<AttendanceDoc>(ATTENDANCE, &attendance_id)?
    {
        return Ok(Response::ok(&answer(&before.body, true)));
    }
    match class::sign_in(
        &d.body.setting,
        &d.body.code,
        &input.code,
        me.is_some(),
        now,
    ) {
        Ok(_) => {}
        Err(SignInError::NotOnRoster) => {
            return Err(forbidden("您不在本班次的培训名单中", "not on the roster"));
        }
        Err(e) => return Err(conflict("sign_in_refused", e.to_string())),
    }
    let Some(p) = me else {
        return Err(forbidden("您不在本班次的培训名单中", "not on the roster"));
    };
    let doc = attendance_of(id, &d.body, p, now);
    match storage::put(
        ATTENDANCE,
        Write::new(doc)
            .id(attendance_id.clone())
            .hall(p.hall.clone())
            .create_only(),
    ) {
        Ok(stored) => Ok(Response::created(&answer(&stored.body, false))),
        // Two taps at once: the first one counts.
        Err(e) if e.is_conflict() => {
            let before = storage::get::<AttendanceDoc>(ATTENDANCE, &attendance_id)?
                .ok_or_else(|| Response::from(e))?;
            Ok(Response::ok(&answer(&before.body, true)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordInput {
    /// User ids or usernames, one per line.
    people: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /classes/{id}/attendance`: a trainer records people who came
/// without signing in (no phone, a late roster change), once the class has
/// started; they count as on time.
pub fn record(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let id = path(&req, "id")?;
    let input: RecordInput = req.json()?;
    let d = storage::get::<ClassDoc>(CLASSES, id)?
        .ok_or_else(|| not_found("没有这个培训班次", "no such class"))?;
    let now = clock::now();
    if now < d.body.setting.starts_ms {
        return Err(conflict("not_started", "培训尚未开始，不能登记出勤"));
    }
    let note = input.note.unwrap_or_default().trim().to_owned();
    if note.chars().count() > 200 {
        return Err(invalid("说明不超过200字"));
    }
    let wanted: Vec<&str> = input
        .people
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect();
    if wanted.is_empty() || wanted.len() > 500 {
        return Err(invalid("请填写1至500名人员"));
    }
    // Every name is checked before anything is written; usernames are
    // looked up in the directory once, and only when some are given.
    let on_roster = |id: &str| d.body.roster.iter().find(|p| p.user_id == id);
    let usernames = if wanted.iter().all(|k| on_roster(k).is_some()) {
        BTreeMap::new()
    } else {
        settings::user_ids_by_username(&settings::load()?.staff_roles)?
    };
    let mut found: Vec<&Candidate> = Vec::new();
    for key in &wanted {
        let on = on_roster(key)
            .or_else(|| usernames.get(*key).and_then(|id| on_roster(id)))
            .ok_or_else(|| invalid(format!("“{key}”不在本班次的培训名单中")))?;
        if !caller.district_wide && !on.hall.as_ref().is_some_and(|h| caller.can_act_for(h)) {
            return Err(forbidden("只能登记本人负责的大厅的人员", "not your hall"));
        }
        found.push(on);
    }
    let mut recorded = 0;
    for p in found {
        let mut doc = attendance_of(id, &d.body, p, d.body.setting.starts_ms);
        doc.how = "trainer".into();
        doc.by = Some(caller.user_id.clone());
        doc.note = note.clone();
        match storage::put(
            ATTENDANCE,
            Write::new(doc)
                .id(format!("{id}.{}", p.user_id))
                .hall(p.hall.clone())
                .create_only(),
        ) {
            Ok(_) => recorded += 1,
            // Already signed in: the sign-in stands.
            Err(e) if e.is_conflict() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Response::ok(&json!({ "class": id, "recorded": recorded })))
}

// --- staff: my trainings and my syllabus --------------------------------------

/// `GET /my/trainings`: the classes the caller is on the roster of, from a
/// year ago, soonest first, with whether they came.
pub fn my_trainings(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let now = clock::now();
    let since = now - MY_DAYS * DAY_MS;
    let classes = all::<ClassDoc>(
        Query::new(CLASSES)
            .filter("starts_ms", Op::Ge, since)
            .sort_desc("starts_ms"),
        MAX_CLASSES,
    )?;
    let came: BTreeMap<String, AttendanceDoc> = mine(&caller.user_id, since)?
        .into_iter()
        .map(|a| (a.class.clone(), a))
        .collect();
    let items: Vec<Value> = classes
        .iter()
        .filter(|c| c.body.roster.iter().any(|p| p.user_id == caller.user_id))
        .map(|c| {
            let s = &c.body.setting;
            let a = came.get(&c.id);
            let status = match a {
                Some(a) if a.late_minutes > 0 => format!("已签到（迟到{}分钟）", a.late_minutes),
                Some(_) => "已签到".to_owned(),
                None if now < s.starts_ms => "待参加".to_owned(),
                None if now < s.ends_ms => "进行中，请签到".to_owned(),
                None => "缺勤".to_owned(),
            };
            json!({
                "id": c.id,
                "title": s.title,
                "kind_zh": s.kind.zh(),
                "starts_ms": s.starts_ms,
                "place": s.place,
                "lecturer": s.lecturer,
                "hours": s.hours,
                "status": status,
                "materials": c.body.materials.iter().map(|m| m.title.as_str()).collect::<Vec<_>>().join("、"),
            })
        })
        .collect();
    let hours: u32 = came.values().map(|a| a.hours).sum();
    Ok(Response::ok(&json!({
        "items": items,
        "total": items.len(),
        "hours": hours,
    })))
}

/// The caller's attendance since `since`.
fn mine(user: &str, since: i64) -> Result<Vec<AttendanceDoc>, Response> {
    Ok(all::<AttendanceDoc>(
        Query::new(ATTENDANCE)
            .filter("candidate", Op::Eq, user)
            .filter("at_ms", Op::Ge, since)
            .sort_asc("at_ms"),
        MAX_CLASSES,
    )?
    .into_iter()
    .map(|d| d.body)
    .collect())
}

/// `GET /my/syllabus`: the pre-post syllabus unit by unit, with the class
/// that taught each unit the caller attended.
pub fn my_syllabus(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let pre_post: Vec<AttendanceDoc> = all::<AttendanceDoc>(
        Query::new(ATTENDANCE)
            .filter("kind", Op::Eq, ClassKind::PrePost.as_str())
            .filter("candidate", Op::Eq, &caller.user_id),
        MAX_CLASSES,
    )?
    .into_iter()
    .map(|d| d.body)
    .collect();
    let s = class::syllabus(pre_post.iter().map(|a| a.units.as_slice()));
    let items: Vec<Value> = Unit::ALL
        .iter()
        .map(|u| {
            let by = pre_post.iter().find(|a| a.units.contains(u));
            json!({
                "unit": u.as_str(),
                "unit_zh": u.zh(),
                "hours": u.hours(),
                "done": by.is_some(),
                "class": by.map(|a| a.title.clone()),
                "at_ms": by.map(|a| a.at_ms),
            })
        })
        .collect();
    Ok(Response::ok(&json!({
        "items": items,
        "total": items.len(),
        "hours": s.hours,
        "required": s.required,
        "complete": s.complete,
    })))
}

/// `GET /syllabus?hall=&complete=`: each staff member's pre-post syllabus
/// (the caller's halls), those with the most still to do first.
pub fn syllabus(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let s = settings::load()?;
    let only_hall = param(&req, "hall");
    let complete = match param(&req, "complete") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(invalid(format!(
                "complete 须为 true 或 false，而不是“{other}”"
            )));
        }
    };
    let staff: Vec<Candidate> = settings::candidates(&s.staff_roles, &[])?
        .into_iter()
        .filter(|p| match &p.hall {
            Some(h) => caller.can_act_for(h) && only_hall.is_none_or(|o| o == h),
            None => caller.district_wide && only_hall.is_none(),
        })
        .collect();
    let attended = all::<AttendanceDoc>(
        Query::new(ATTENDANCE).filter("kind", Op::Eq, ClassKind::PrePost.as_str()),
        MAX_SYLLABUS_SIGN_INS,
    )?;
    let mut by_person: BTreeMap<&str, Vec<&[Unit]>> = BTreeMap::new();
    for a in &attended {
        by_person
            .entry(a.body.candidate.as_str())
            .or_default()
            .push(&a.body.units);
    }
    let names = settings::hall_names();
    let mut rows: Vec<(u32, Value)> = staff
        .iter()
        .filter_map(|p| {
            let units = by_person.get(p.user_id.as_str()).cloned().unwrap_or_default();
            let g = class::syllabus(units);
            if complete.is_some_and(|c| c != g.complete) {
                return None;
            }
            let missing = g.missing.iter().map(|u| u.zh()).collect::<Vec<_>>().join("、");
            Some((
                g.hours,
                json!({
                    "id": p.user_id,
                    "name": p.name,
                    "hall_zh": p.hall.as_ref().and_then(|h| names.get(h)).cloned().unwrap_or_default(),
                    "hours": g.hours,
                    "required": g.required,
                    "complete": g.complete,
                    "missing_zh": missing,
                }),
            ))
        })
        .collect();
    rows.sort_by_key(|(hours, _)| *hours);
    let items: Vec<Value> = rows.into_iter().map(|(_, v)| v).collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

// --- figures ------------------------------------------------------------------

/// 培训出勤率 of the period whose months start with `prefix` (`YYYY-MM` or
/// `YYYY`): sign-ins ÷ roster places of the classes that started in it by
/// `now` — the district's, and each hall's by the hall the people work in.
pub fn attendance_figures(
    prefix: &str,
    now: i64,
) -> Result<(Figure, BTreeMap<String, Figure>), Response> {
    const DEFINITION: &str = "培训出勤率 = 签到人次 / 应到人次（本期已开班的培训班次）";
    let period = Period::parse(prefix).ok_or_else(|| invalid(format!("期间“{prefix}”无效")))?;
    let classes = all::<ClassDoc>(
        Query::new(CLASSES)
            .filter("starts_ms", Op::Ge, period.start_ms())
            .filter("starts_ms", Op::Lt, period.end_ms().min(now + 1))
            .sort_asc("starts_ms"),
        MAX_CLASSES,
    )?;
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for c in &classes {
        for p in &c.body.roster {
            *expected
                .entry(p.hall.clone().unwrap_or_default())
                .or_default() += 1;
        }
    }
    let mut came: BTreeMap<String, u64> = BTreeMap::new();
    let ids: Vec<&str> = classes.iter().map(|d| d.id.as_str()).collect();
    if !ids.is_empty() {
        let groups = storage::aggregate(
            &storage::Aggregate::new(ATTENDANCE)
                .filter("class", Op::AnyOf, &ids)
                .group_by("_hall")
                .count(),
        )?;
        for g in &groups {
            let hall = g.key_str(0).unwrap_or_default().to_owned();
            *came.entry(hall).or_default() += g.value(0).unwrap_or(0.0) as u64;
        }
    }
    let overall = Figure::ratio(came.values().sum(), expected.values().sum(), DEFINITION);
    let halls = expected
        .iter()
        .filter(|(h, _)| !h.is_empty())
        .map(|(h, n)| {
            let f = Figure::ratio(came.get(h).copied().unwrap_or(0), *n, DEFINITION);
            (h.clone(), f)
        })
        .collect();
    Ok((overall, halls))
}
