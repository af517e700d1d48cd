//! A staff member's own exams, results, knowledge mastery, gaps and
//! follow-up assignments — only their own, whatever their roles.

use std::collections::BTreeMap;

use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::{Value, json};

use super::bank::all;
use super::docs::{
    ASSIGNMENTS, ATTEMPTS, AssignmentDoc, AttemptDoc, EXAMS, ExamDoc, MASTERY, MasteryDoc,
};
use super::exams::pool;
use super::{conflict, forbidden, is_reader, not_found, path};
use crate::attempt::{Attempt, State};
use crate::exam::Exam;
use crate::exam::Phase;
use crate::marking::Response as Answer;
use crate::question::Key;

/// How far back "my exams" looks, ms (closed exams stay listed with the
/// results for this long).
const RECENT_MS: i64 = 90 * 86_400_000;

/// `GET /my/exams`: the exams the caller is a candidate of — upcoming,
/// open and recent — with where they stand in each.
pub fn exams(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let now = clock::now();
    let docs = all::<ExamDoc>(
        Query::new(EXAMS)
            .filter("closes_ms", Op::Gt, now - RECENT_MS)
            .sort_asc("opens_ms"),
        2_000,
    )?;
    let mine = all::<AttemptDoc>(
        Query::new(ATTEMPTS)
            .filter("candidate", Op::Eq, &caller.user_id)
            .filter("started_ms", Op::Gt, now - RECENT_MS - 30 * 86_400_000)
            .sort_asc("number"),
        2_000,
    )?;
    let mut latest: BTreeMap<&str, &AttemptDoc> = BTreeMap::new();
    for a in &mine {
        latest.insert(a.body.attempt.exam.as_str(), &a.body);
    }
    let items: Vec<Value> = docs
        .iter()
        .filter(|d| !d.body.exam.cancelled && d.body.exam.candidate(&caller.user_id).is_some())
        .map(|d| {
            standing(
                &d.id,
                &d.body.exam,
                latest.get(d.id.as_str()).map(|a| &a.attempt),
                now,
            )
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

/// An exam as a candidate sees it, with where they stand.
fn standing(id: &str, e: &Exam, a: Option<&Attempt>, now: i64) -> Value {
    let phase = e.phase(now);
    let status = match (phase, a) {
        (Phase::Cancelled, _) => "已取消",
        (Phase::Upcoming, _) => "未开始",
        (_, Some(a)) if a.state == State::Answering && !a.overdue(now) => "作答中",
        (_, Some(a)) if a.pending > 0 => "待阅卷",
        (_, Some(a)) if a.passed == Some(true) => "已合格",
        (Phase::Open, Some(a)) if a.passed == Some(false) && a.number <= e.setting.resits => {
            "可补考"
        }
        (_, Some(_)) => "未合格",
        (Phase::Open, None) => "可参加",
        (_, None) => "缺考",
    };
    json!({
        "id": id,
        "title": e.setting.title,
        "kind_zh": e.setting.kind.zh(),
        "opens_ms": e.setting.opens_ms,
        "closes_ms": e.setting.closes_ms,
        "minutes": e.setting.minutes,
        "questions": e.slots.len(),
        "marks": e.marks(),
        "pass": e.setting.thresholds.pass,
        "rule_zh": e.setting.rule.zh(),
        "notice": e.setting.notice,
        "resits": e.setting.resits,
        "phase": phase,
        "status": status,
        "percent": a.and_then(Attempt::percent),
        "sittings": a.map_or(0, |a| a.number),
    })
}

/// `GET /my/exams/{id}`: one exam the caller is a candidate of: its rules
/// and notice, and where they stand.
pub fn exam(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let doc = super::exams::load(id)?;
    if doc.body.exam.candidate(&caller.user_id).is_none() {
        return Err(forbidden("您不在本场考试的考生名单中", "not a candidate"));
    }
    let latest = super::sitting::latest(id, &caller.user_id)?;
    let now = clock::now();
    Ok(Response::ok(&standing(
        id,
        &doc.body.exam,
        latest.as_ref().map(|d| &d.body.attempt),
        now,
    )))
}

/// `GET /my/results`: the caller's finished sittings, newest first.
pub fn results(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let page = storage::query::<AttemptDoc>(
        &Query::new(ATTEMPTS)
            .filter("candidate", Op::Eq, &caller.user_id)
            .filter("finished", Op::Eq, true)
            .sort_desc("started_ms")
            .limit(200),
    )?;
    let titles: BTreeMap<String, String> = page
        .items
        .iter()
        .map(|d| d.body.attempt.exam.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|e| {
            let t = storage::get::<ExamDoc>(EXAMS, &e)
                .ok()??
                .body
                .exam
                .setting
                .title;
            Some((e, t))
        })
        .collect();
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| {
            let a = &d.body.attempt;
            json!({
                "id": d.id,
                "exam": a.exam,
                "title": titles.get(&a.exam),
                "number": a.number,
                "state_zh": a.state.zh(),
                "score": f64::from(a.score) / 100.0,
                "max": f64::from(a.max) / 100.0,
                "percent": a.percent(),
                "passed": a.passed,
                "pending": a.pending,
                "finished_ms": a.finished_ms,
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /my/results/{id}`: one sitting question by question; the right
/// answers and explanations only once the exam's window has closed. A
/// reader (trainer, leader, the hall's manager) may open any sitting in
/// scope.
pub fn result(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let doc = storage::get::<AttemptDoc>(ATTEMPTS, id)?
        .ok_or_else(|| not_found("没有这份答卷", format!("no sitting {id}")))?;
    let a = &doc.body.attempt;
    if a.candidate != caller.user_id && !is_reader(caller) {
        return Err(forbidden("只能查看本人的答卷", "only your own sittings"));
    }
    if !a.state.is_finished() {
        return Err(conflict("answering", "答卷尚未交卷"));
    }
    let exam = super::exams::load(&a.exam)?;
    let pool = pool(&a.exam)?;
    let reveal = clock::now() >= exam.body.exam.setting.closes_ms || is_reader(caller);
    let questions: Vec<Value> = a
        .items
        .iter()
        .enumerate()
        .filter_map(|(no, it)| {
            let q = &pool.questions.get(it.question as usize)?.q;
            let mark = a.marks.get(&it.slot);
            let given = a.answers.get(&it.slot).map(|s| &s.response);
            let letters = |opts: &[u8]| -> String {
                let mut shown: Vec<char> = opts
                    .iter()
                    .filter_map(|b| it.order.iter().position(|o| o == b))
                    .map(|p| char::from(b'A' + p as u8))
                    .collect();
                shown.sort_unstable();
                shown.into_iter().collect()
            };
            let given_text = given.map(|g| match g {
                Answer::Options { options } => letters(options),
                Answer::Truth { truth } => if *truth { "对" } else { "错" }.to_owned(),
                Answer::Blanks { blanks } => blanks.join("；"),
                Answer::Text { text } => text.clone(),
            });
            let right_text = reveal.then(|| match &q.key {
                Key::Options { options } => letters(options),
                Key::Truth { truth } => if *truth { "对" } else { "错" }.to_owned(),
                Key::Blanks { blanks } => blanks
                    .iter()
                    .map(|b| b.join(" 或 "))
                    .collect::<Vec<_>>()
                    .join("；"),
                Key::Reference { text } => text.clone(),
            });
            let options: Vec<&str> = it
                .order
                .iter()
                .filter_map(|&i| q.options.get(usize::from(i)).map(String::as_str))
                .collect();
            Some(json!({
                "no": no + 1,
                "kind_zh": q.kind.zh(),
                "stem": q.stem,
                "options": options,
                "given": given_text,
                "right": right_text,
                "explanation": if reveal { q.explanation.clone() } else { None },
                "got": mark.map(|m| f64::from(m.got) / 100.0),
                "max": f64::from(it.marks),
                "pending": mark.is_some_and(|m| m.pending),
                "knowledge": q.knowledge.join("、"),
            }))
        })
        .collect();
    Ok(Response::ok(&json!({
        "id": id,
        "exam": a.exam,
        "title": exam.body.exam.setting.title,
        "number": a.number,
        "state_zh": a.state.zh(),
        "score": f64::from(a.score) / 100.0,
        "max": f64::from(a.max) / 100.0,
        "percent": a.percent(),
        "passed": a.passed,
        "pending": a.pending,
        "switches": a.switches,
        "revealed": reveal,
        "questions": questions,
    })))
}

/// `GET /my/mastery`: the caller's mastery per knowledge point, month by
/// month over the last twelve months with data, flagged as a gap below
/// the configured line.
pub fn mastery(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let months = storage::query::<MasteryDoc>(
        &Query::new(MASTERY)
            .filter("candidate", Op::Eq, &caller.user_id)
            .sort_desc("month")
            .limit(12),
    )?;
    let mut points: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for m in months.items.iter().rev() {
        for (k, t) in &m.body.points {
            points
                .entry(k)
                .or_default()
                .push(json!({ "month": m.body.month, "mastery": t.mastery(), "got": t.got, "max": t.max }));
        }
    }
    let line = f64::from(super::settings::load()?.gap_percent) / 100.0;
    let items: Vec<Value> = points
        .into_iter()
        .map(|(k, series)| {
            let latest = series.last().and_then(|v| v["mastery"].as_f64());
            let trend = series
                .iter()
                .map(|v| {
                    let m = v["mastery"]
                        .as_f64()
                        .map_or("—".to_owned(), |m| format!("{:.0}%", m * 100.0));
                    format!("{} {m}", v["month"].as_str().unwrap_or_default())
                })
                .collect::<Vec<_>>()
                .join("，");
            let gap = latest.is_some_and(|m| m < line);
            json!({ "id": k, "knowledge": k, "latest": latest, "months": series, "trend": trend,
                    "gap": gap, "gap_zh": if gap { "是" } else { "" } })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

/// `GET /my/assignments`: the caller's follow-up training, newest first.
pub fn assignments(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let assigned = storage::query::<AssignmentDoc>(
        &Query::new(ASSIGNMENTS)
            .filter("candidate", Op::Eq, &caller.user_id)
            .sort_desc("created_ms")
            .limit(100),
    )?;
    let items: Vec<Value> = assigned
        .items
        .iter()
        .map(|d| assignment_row(&d.id, &d.body))
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": assigned.total }),
    ))
}

/// An assignment as lists show it.
pub fn assignment_row(id: &str, a: &AssignmentDoc) -> Value {
    let state_zh = match a.state.as_str() {
        "open" => "待完成",
        "done" => "已学习",
        "resolved" => "已掌握",
        _ => "—",
    };
    json!({
        "id": id,
        "kind": a.kind,
        "kind_zh": match a.kind {
            super::docs::AssignmentKind::Gap => "短板跟进",
            super::docs::AssignmentKind::OneToOne => "一对一培训",
        },
        "candidate": a.candidate,
        "name": a.name,
        "knowledge": a.knowledge,
        "task": a.task,
        "materials": a.materials,
        "mastery": a.mastery,
        "state": a.state,
        "state_zh": state_zh,
        "created_ms": a.created_ms,
        "due_ms": a.due_ms,
        "done_ms": a.done_ms,
    })
}

/// `POST /my/assignments/{id}/done`: the person has studied it.
pub fn done(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let doc = storage::get::<AssignmentDoc>(ASSIGNMENTS, id)?
        .ok_or_else(|| not_found("没有这项培训任务", format!("no assignment {id}")))?;
    if doc.body.candidate != caller.user_id {
        return Err(forbidden(
            "只能完成本人的培训任务",
            "only your own assignments",
        ));
    }
    if doc.body.state != "open" {
        return Err(conflict("not_open", "该任务已完成"));
    }
    let mut body = doc.body;
    body.state = "done".into();
    body.done_ms = Some(clock::now());
    let stored = storage::put(
        ASSIGNMENTS,
        Write::new(body)
            .id(id)
            .hall(doc.hall.clone())
            .expected_version(doc.version),
    )?;
    Ok(Response::ok(&assignment_row(id, &stored.body)))
}
