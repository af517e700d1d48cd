//! Sitting an exam, for the candidate: start (or resume), the paper as
//! shown, each answer saved as it is given, leaving the page counted, the
//! hand-in with the score.
//!
//! Saving an answer reads and writes the sitting alone (the paper carries
//! each question's shape), so the exam and its pool are read only at the
//! start, on resuming and at the hand-in.

use std::collections::BTreeMap;

use bantong_sdk::storage::{self, Document, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock, log};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{
    ANSWERS, ATTEMPTS, AnswerDoc, AttemptDoc, MASTERY, MasteryDoc, PoolDoc, attempt_id,
};
use super::exams::{load, pool};
use super::{conflict, forbidden, path};
use crate::attempt::{Attempt, AttemptError, Live, Saved, Seat, State};
use crate::exam::{Exam, may_start};
use crate::marking::Response as Answer;
use crate::mastery;
use crate::paper::draw;

/// The caller's latest sitting of an exam. Most people sit once: the
/// first sitting is read by its id, and only a finished one sends the read
/// on to the query for a later sitting (a resit).
pub fn latest(exam: &str, user: &str) -> Result<Option<Document<AttemptDoc>>, Response> {
    match storage::get::<AttemptDoc>(ATTEMPTS, &attempt_id(exam, user, 1))? {
        None => return Ok(None),
        Some(d) if d.body.attempt.state == State::Answering => return Ok(Some(d)),
        Some(_) => {}
    }
    let page = storage::query::<AttemptDoc>(
        &Query::new(ATTEMPTS)
            .filter("exam", Op::Eq, exam)
            .filter("candidate", Op::Eq, user)
            .sort_desc("number")
            .limit(1),
    )?;
    Ok(page.items.into_iter().next())
}

fn refused(e: &AttemptError) -> Response {
    Response::error(e.status(), e.code(), e.to_string())
}

/// The paper as the candidate sees it: questions in their order, options
/// in theirs, the answers given so far in the same terms; no keys.
pub fn shown(id: &str, exam: &Exam, pool: &PoolDoc, a: &Attempt, now: i64) -> Value {
    let questions: Vec<Value> = a
        .items
        .iter()
        .enumerate()
        .filter_map(|(no, it)| {
            let q = &pool.questions.get(it.question as usize)?.q;
            let options: Vec<&str> = it
                .order
                .iter()
                .filter_map(|&i| q.options.get(usize::from(i)).map(String::as_str))
                .collect();
            let answer = a.answers.get(&it.slot).map(|s| match &s.response {
                Answer::Options { options } => {
                    let mut shown: Vec<u8> = options
                        .iter()
                        .filter_map(|b| it.order.iter().position(|o| o == b).map(|p| p as u8))
                        .collect();
                    shown.sort_unstable();
                    json!({ "type": "options", "options": shown })
                }
                other => json!(other),
            });
            Some(json!({
                "no": no + 1,
                "slot": it.slot,
                "kind": q.kind,
                "kind_zh": q.kind.zh(),
                "stem": q.stem,
                "options": options,
                "blanks": it.shape.blanks,
                "marks": it.marks,
                "answer": answer,
            }))
        })
        .collect();
    json!({
        "exam": id,
        "title": exam.setting.title,
        "kind_zh": exam.setting.kind.zh(),
        "notice": exam.setting.notice,
        "rule_zh": exam.setting.rule.zh(),
        "pass": exam.setting.thresholds.pass,
        "marks": exam.marks(),
        "number": a.number,
        "state": a.state,
        "state_zh": a.state.zh(),
        "started_ms": a.started_ms,
        "deadline_ms": a.deadline_ms,
        "server_ms": now,
        "remaining_ms": a.remaining_ms(now),
        "answered": a.answers.len(),
        "total": a.items.len(),
        "switches": a.switches,
        "questions": questions,
        "result": result(a),
    })
}

/// The result once handed in: score, pass, what is still to mark.
fn result(a: &Attempt) -> Value {
    if !a.state.is_finished() {
        return Value::Null;
    }
    json!({
        "score": f64::from(a.score) / 100.0,
        "max": f64::from(a.max) / 100.0,
        "percent": a.percent(),
        "passed": a.passed,
        "pending": a.pending,
        "finished_ms": a.finished_ms,
    })
}

/// The answers of a sitting in progress, from their own documents.
pub fn answers_of(attempt: &str) -> Result<BTreeMap<u16, Saved>, Response> {
    let page = storage::query::<AnswerDoc>(
        &Query::new(ANSWERS)
            .filter("attempt", Op::Eq, attempt)
            .limit(1000),
    )?;
    Ok(page
        .items
        .into_iter()
        .map(|d| {
            (
                d.body.slot,
                Saved {
                    response: d.body.response,
                    at_ms: d.body.at_ms,
                },
            )
        })
        .collect())
}

/// A sitting with its answers: a finished one holds them; one in
/// progress has them read from their documents.
pub fn with_answers(mut doc: Document<AttemptDoc>) -> Result<Document<AttemptDoc>, Response> {
    if doc.body.attempt.state == State::Answering {
        doc.body.attempt.answers = answers_of(&doc.id)?;
    }
    Ok(doc)
}

/// Finishes a sitting whose time is up (stored, with the answers it was
/// given), then answers it with its answers.
pub fn expire_stored(
    doc: Document<AttemptDoc>,
    exam: &Exam,
    pool: &PoolDoc,
    now: i64,
) -> Result<Document<AttemptDoc>, Response> {
    let doc = with_answers(doc)?;
    let mut body = doc.body;
    let s = &exam.setting;
    if body
        .attempt
        .expire(&pool.questions, s.rule, s.thresholds.pass, now)
    {
        let stored = storage::put(
            ATTEMPTS,
            Write::new(body.touch())
                .id(&doc.id)
                .hall(doc.hall.clone())
                .expected_version(doc.version),
        )?;
        record(&stored.id, &stored.body, pool)?;
        Ok(stored)
    } else {
        Ok(Document { body, ..doc })
    }
}

/// `POST /my/exams/{id}/start`: the sitting in progress, or a new one.
pub fn start(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let now = clock::now();
    let exam_doc = load(id)?;
    let exam = &exam_doc.body.exam;
    let Some(candidate) = exam.candidate(&caller.user_id) else {
        return Err(forbidden("您不在本场考试的考生名单中", "not a candidate"));
    };
    let pool = pool(id)?;
    let previous = match latest(id, &caller.user_id)? {
        Some(d) if d.body.attempt.state == State::Answering => {
            let d = expire_stored(d, exam, &pool, now)?;
            if d.body.attempt.state == State::Answering {
                return Ok(Response::ok(&shown(id, exam, &pool, &d.body.attempt, now)));
            }
            Some(d)
        }
        other => other,
    };
    let next = previous.as_ref().map_or(1, |d| d.body.attempt.number + 1);
    let passed = previous.as_ref().map(|d| d.body.attempt.passed);
    may_start(exam, &caller.user_id, next, passed, now)
        .map_err(|e| conflict("cannot_start", e.to_string()))?;
    let s = &exam.setting;
    let items = draw(
        &s.paper,
        &pool.questions,
        id,
        &caller.user_id,
        next,
        s.shuffle,
    );
    let hall = candidate.hall.clone().unwrap_or_default();
    let seat = Seat {
        exam: id,
        candidate: &caller.user_id,
        hall: &hall,
        number: next,
    };
    let attempt = Attempt::start(seat, items, now, exam.duration_ms(), s.closes_ms);
    let doc = AttemptDoc::new(attempt, exam_doc.body.month.clone(), s.kind.counts());
    let stored = match storage::put(
        ATTEMPTS,
        Write::new(doc)
            .id(attempt_id(id, &caller.user_id, next))
            .hall(candidate.hall.clone())
            .create_only(),
    ) {
        Ok(d) => d,
        // Two taps on "start": the other one made it.
        Err(e) if e.is_conflict() => {
            latest(id, &caller.user_id)?.ok_or_else(|| conflict("conflict", "请重试"))?
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Response::created(&shown(
        id,
        exam,
        &pool,
        &stored.body.attempt,
        now,
    )))
}

/// `GET /my/exams/{id}/sitting`: the latest sitting as shown (finished by
/// the clock when its time is up).
pub fn resume(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let now = clock::now();
    let exam_doc = load(id)?;
    let exam = &exam_doc.body.exam;
    let doc = latest(id, &caller.user_id)?
        .ok_or_else(|| super::not_found("您尚未开始这场考试", "no sitting yet"))?;
    let pool = pool(id)?;
    let doc = expire_stored(doc, exam, &pool, now)?;
    Ok(Response::ok(&shown(
        id,
        exam,
        &pool,
        &doc.body.attempt,
        now,
    )))
}

/// Reads the caller's sitting in progress, applies `change`, stores it
/// (once more from a fresh read if another request stored it meanwhile).
fn change<T>(
    caller: &Caller,
    exam: &str,
    mut change: impl FnMut(&mut Attempt, i64) -> Result<T, AttemptError>,
) -> Result<(T, Document<AttemptDoc>), Response> {
    let now = clock::now();
    for _ in 0..3 {
        let doc = latest(exam, &caller.user_id)?
            .ok_or_else(|| super::not_found("您尚未开始这场考试", "no sitting yet"))?;
        let doc = with_answers(doc)?;
        let mut body = doc.body;
        let out = match change(&mut body.attempt, now) {
            Ok(out) => out,
            Err(e @ AttemptError::TimeUp { .. }) => {
                // Finish it from the saved answers, then say why.
                let exam_doc = load(exam)?;
                let pool = pool(exam)?;
                expire_stored(Document { body, ..doc }, &exam_doc.body.exam, &pool, now)?;
                return Err(refused(&e));
            }
            Err(e) => return Err(refused(&e)),
        };
        // A sitting in progress keeps its answers in their own documents.
        if body.attempt.state == State::Answering {
            body.attempt.answers.clear();
        }
        match storage::put(
            ATTEMPTS,
            Write::new(body.touch())
                .id(&doc.id)
                .hall(doc.hall.clone())
                .expected_version(doc.version),
        ) {
            Ok(stored) => return Ok((out, stored)),
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(conflict("conflict", "保存冲突，请重试"))
}

#[derive(Deserialize)]
struct AnswerInput {
    answer: Answer,
}

/// `PUT /my/exams/{id}/answers/{slot}` `{"answer": {...}}`: option
/// positions as shown; a blank answer clears the saved one. Reads the
/// sitting and writes the one answer (the sitting itself is not written).
pub fn answer(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let slot: u16 = path(&req, "slot")?
        .parse()
        .map_err(|_| super::invalid("题号无效"))?;
    let input: AnswerInput = req.json()?;
    let now = clock::now();
    // The first sitting by its id, read only as far as checking needs; a
    // resit (or none) through the full read.
    let first = attempt_id(id, &caller.user_id, 1);
    let (key_of, hall, live) = match storage::get::<Live>(ATTEMPTS, &first)? {
        Some(d) if d.body.state == State::Answering => (d.id, d.hall, d.body),
        _ => {
            let d = latest(id, &caller.user_id)?
                .ok_or_else(|| super::not_found("您尚未开始这场考试", "no sitting yet"))?;
            let live = Live {
                state: d.body.attempt.state,
                deadline_ms: d.body.attempt.deadline_ms,
                items: d.body.attempt.items.clone(),
            };
            (d.id, d.hall, live)
        }
    };
    let key = format!("{key_of}.{slot}");
    match live.answer(slot, input.answer, now) {
        Ok(Some(response)) => {
            let body = AnswerDoc {
                attempt: key_of.clone(),
                slot,
                response,
                at_ms: now,
            };
            storage::put(ANSWERS, Write::new(body).id(&key).hall(hall))?;
        }
        Ok(None) => {
            storage::delete(ANSWERS, &key)?;
        }
        Err(e @ AttemptError::TimeUp { .. }) => {
            let doc = latest(id, &caller.user_id)?
                .ok_or_else(|| super::not_found("您尚未开始这场考试", "no sitting yet"))?;
            let exam_doc = load(id)?;
            let pool = pool(id)?;
            expire_stored(doc, &exam_doc.body.exam, &pool, now)?;
            return Err(refused(&e));
        }
        Err(e) => return Err(refused(&e)),
    }
    Ok(Response::ok(&json!({
        "saved": true,
        "slot": slot,
        "remaining_ms": live.remaining_ms(now),
        "server_ms": now,
    })))
}

/// `POST /my/exams/{id}/away`: the candidate left the page.
pub fn away(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let (n, _) = change(caller, id, |a, now| a.switched_away(now))?;
    Ok(Response::ok(&json!({ "switches": n })))
}

/// `POST /my/exams/{id}/submit`: hands the paper in; answers the score
/// (and what waits for a marker).
pub fn submit(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let exam_doc = load(id)?;
    let exam = &exam_doc.body.exam;
    let pool = pool(id)?;
    let s = &exam.setting;
    let (_, stored) = change(caller, id, |a, now| {
        a.submit(&pool.questions, s.rule, s.thresholds.pass, now)
    })?;
    record(&stored.id, &stored.body, &pool)?;
    let now = clock::now();
    Ok(Response::ok(&shown(
        id,
        exam,
        &pool,
        &stored.body.attempt,
        now,
    )))
}

/// Adds a finished sitting with nothing left to mark to its candidate's
/// mastery of the month (once per sitting).
pub fn record(attempt_id: &str, doc: &AttemptDoc, pool: &PoolDoc) -> Result<(), Response> {
    let a = &doc.attempt;
    if !a.state.is_finished() || a.pending > 0 || !doc.counts {
        return Ok(());
    }
    let id = format!("{}.{}", a.candidate, doc.month);
    for _ in 0..3 {
        let current = storage::get::<MasteryDoc>(MASTERY, &id)?;
        let (mut m, version) = match current {
            Some(d) => (d.body, d.version),
            None => (
                MasteryDoc {
                    candidate: a.candidate.clone(),
                    month: doc.month.clone(),
                    ..MasteryDoc::default()
                },
                0,
            ),
        };
        if m.sittings.iter().any(|s| s == attempt_id) {
            return Ok(());
        }
        let points = mastery::tally(a.items.iter().filter_map(|it| {
            let q = pool.questions.get(it.question as usize)?;
            let mark = a.marks.get(&it.slot)?;
            Some((q.q.knowledge.as_slice(), mark.got, mark.max))
        }));
        for (k, t) in points {
            m.points.entry(k).or_default().merge(t);
        }
        m.sittings.push(attempt_id.to_owned());
        let hall = Some(a.hall.clone()).filter(|h| !h.is_empty());
        match storage::put(
            MASTERY,
            Write::new(m).id(&id).hall(hall).expected_version(version),
        ) {
            Ok(_) => return Ok(()),
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e.into()),
        }
    }
    log::warn(&format!("mastery of {id} not updated after three tries"));
    Ok(())
}
