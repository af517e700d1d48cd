//! Marking short answers (阅卷) without names: the marker sees a ticket,
//! the question, the reference answer and the answer given — never who
//! gave it, their hall or their other answers.

use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bank::all;
use super::docs::{ATTEMPTS, AttemptDoc};
use super::exams::{load, pool};
use super::sitting::record;
use super::{invalid, not_found, param, require_trainer};
use crate::marking::Response as Answer;
use crate::paper::Dice;
use crate::question::Key;

/// The ticket of one answer: a hash of the sitting and the slot, which
/// says nothing about the candidate.
fn ticket(attempt: &str, slot: u16) -> String {
    let slot = slot.to_string();
    format!(
        "{:012x}",
        Dice::seeded(&["mark", attempt, &slot]).next_u64() >> 16
    )
}

fn pending(exam: &str) -> Result<Vec<bantong_sdk::storage::Document<AttemptDoc>>, Response> {
    all::<AttemptDoc>(
        Query::new(ATTEMPTS)
            .filter("exam", Op::Eq, exam)
            .filter("pending", Op::Gt, 0)
            .sort_asc("_id"),
        20_000,
    )
}

/// `GET /marking?exam=`: every answer waiting for a marker, by ticket.
pub fn queue(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let exam = param(&req, "exam").ok_or_else(|| invalid("请指定考试（exam）"))?;
    load(exam)?;
    let pool = pool(exam)?;
    let mut items: Vec<Value> = Vec::new();
    for d in pending(exam)? {
        let a = &d.body.attempt;
        for it in &a.items {
            let Some(m) = a.marks.get(&it.slot).filter(|m| m.pending) else {
                continue;
            };
            let Some(q) = pool.questions.get(it.question as usize) else {
                continue;
            };
            let reference = match &q.q.key {
                Key::Reference { text } => text.clone(),
                _ => String::new(),
            };
            let text = match a.answers.get(&it.slot).map(|s| &s.response) {
                Some(Answer::Text { text }) => text.clone(),
                _ => String::new(),
            };
            items.push(json!({
                "ticket": ticket(&d.id, it.slot),
                "question": q.id,
                "stem": q.q.stem,
                "reference": reference,
                "answer": text,
                "max": f64::from(m.max) / 100.0,
            }));
        }
    }
    // In ticket order, so the queue's order says nothing either.
    items.sort_by(|a, b| a["ticket"].as_str().cmp(&b["ticket"].as_str()));
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

#[derive(Deserialize)]
struct MarkInput {
    exam: String,
    ticket: String,
    /// Marks awarded, in half marks (`7.5`).
    marks: f64,
}

/// `POST /marking` `{"exam","ticket","marks"}`.
pub fn mark(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let input: MarkInput = req.json()?;
    if !input.marks.is_finite() || input.marks < 0.0 {
        return Err(invalid("给分无效"));
    }
    let got = (input.marks * 100.0).round() as u32;
    let exam_doc = load(&input.exam)?;
    let pool = pool(&input.exam)?;
    let pass = exam_doc.body.exam.setting.thresholds.pass;
    for d in pending(&input.exam)? {
        let Some(slot) = d
            .body
            .attempt
            .items
            .iter()
            .map(|it| it.slot)
            .find(|s| ticket(&d.id, *s) == input.ticket)
        else {
            continue;
        };
        if !d.body.attempt.marks.get(&slot).is_some_and(|m| m.pending) {
            break;
        }
        let mut body = d.body;
        body.attempt
            .mark_manually(&pool.questions, slot, got, pass)
            .map_err(invalid)?;
        let stored = storage::put(
            ATTEMPTS,
            Write::new(body.touch())
                .id(&d.id)
                .hall(d.hall.clone())
                .expected_version(d.version),
        )?;
        record(&stored.id, &stored.body, &pool)?;
        let left = stored.body.attempt.pending;
        return Ok(Response::ok(
            &json!({ "ticket": input.ticket, "marked": true, "left_on_paper": left }),
        ));
    }
    Err(not_found(
        "没有待阅的这份答卷",
        format!("no pending answer {}", input.ticket),
    ))
}
