//! The sweep (every five minutes, and on demand): sittings whose time is
//! up are finished from their saved answers, and exams whose window has
//! closed with nothing left to mark are closed — their gaps become
//! follow-up assignments and the people are told.

use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock, log};
use serde_json::json;

use super::bank::all;
use super::docs::{
    ASSIGNMENTS, ATTEMPTS, AssignmentDoc, AssignmentKind, AttemptDoc, EXAMS, ExamDoc, MATERIALS,
    MaterialDoc, MaterialRef,
};
use super::exams::{load, pool, report, scored, sittings_of};
use super::require_trainer;
use super::settings;
use super::sitting::expire_stored;
use crate::attempt::GRACE_MS;

/// The most sittings finished in one sweep.
const BATCH: u32 = 500;

/// What closing an exam came to.
pub enum Closing {
    Closed { gaps: usize },
    NotEnded,
    Pending(usize),
    Already,
}

/// Finishes the sittings of `exam` whose time is up.
fn expire_all(exam: &str, now: i64) -> Result<usize, Response> {
    let doc = load(exam)?;
    let pool = pool(exam)?;
    let mut n = 0;
    for d in all::<AttemptDoc>(
        Query::new(ATTEMPTS)
            .filter("exam", Op::Eq, exam)
            .filter("state", Op::Eq, "answering")
            .filter("deadline_ms", Op::Lt, now - GRACE_MS),
        usize::MAX,
    )? {
        let before = d.body.attempt.state;
        let stored = expire_stored(d, &doc.body.exam, &pool, now)?;
        if stored.body.attempt.state != before {
            n += 1;
        }
    }
    Ok(n)
}

/// Closes an exam whose window has closed and whose sittings are all
/// marked: gaps become assignments (once each), the people are told.
pub fn close_exam(id: &str, now: i64) -> Result<Closing, Response> {
    let doc = load(id)?;
    let exam = &doc.body.exam;
    if exam.closed_ms.is_some() || exam.cancelled {
        return Ok(Closing::Already);
    }
    if now < exam.setting.closes_ms {
        return Ok(Closing::NotEnded);
    }
    expire_all(id, now)?;
    let attempts = sittings_of(id)?;
    let waiting = attempts
        .iter()
        .filter(|a| a.body.attempt.pending > 0)
        .count();
    if waiting > 0 {
        return Ok(Closing::Pending(waiting));
    }
    let pool = pool(id)?;
    let sittings = scored(&attempts);
    let r = report(exam, &pool, &sittings, exam.candidates.len() as u32);
    let s = settings::load()?;
    let materials = all::<MaterialDoc>(Query::new(MATERIALS).sort_asc("_created"), 2_000)?;
    let due = now + i64::from(s.assignment_days) * 86_400_000;
    let mut told = Vec::new();
    if exam.setting.kind.counts() {
        for g in &r.gaps {
            let Some(c) = exam.candidate(&g.candidate) else {
                continue;
            };
            let linked: Vec<MaterialRef> = materials
                .iter()
                .filter(|m| m.body.knowledge.iter().any(|k| k == &g.knowledge))
                .take(5)
                .map(|m| MaterialRef {
                    id: m.id.clone(),
                    title: m.body.title.clone(),
                })
                .collect();
            let task = format!(
                "“{}”掌握度{:.0}%（{}），请学习相关资料并完成跟进培训。",
                g.knowledge,
                g.mastery * 100.0,
                g.reason.zh()
            );
            let a = AssignmentDoc {
                kind: AssignmentKind::Gap,
                candidate: c.user_id.clone(),
                name: c.name.clone(),
                knowledge: g.knowledge.clone(),
                task,
                materials: linked,
                exam: Some(id.to_owned()),
                mastery: Some(g.mastery),
                state: "open".into(),
                by: "training".into(),
                created_ms: now,
                month: super::docs::month_of(now),
                due_ms: due,
                done_ms: None,
            };
            let aid = format!("{id}.{}.{}", c.user_id, g.knowledge);
            match storage::put(
                ASSIGNMENTS,
                Write::new(a).id(&aid).hall(c.hall.clone()).create_only(),
            ) {
                Ok(_) => told.push((c.user_id.clone(), c.hall.clone(), g.knowledge.clone())),
                Err(e) if e.is_conflict() => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let mut body = doc.body.clone();
    body.exam.closed_ms = Some(now);
    let flagged = r
        .analysis
        .questions
        .iter()
        .filter(|q| !q.stats.flags.is_empty() || q.options.iter().any(|o| !o.flags.is_empty()))
        .count() as u32;
    body.outcome = Some(crate::report::Outcome {
        summary: r.summary.clone(),
        alpha: r.analysis.alpha,
        flagged,
        gaps: r.gaps.len() as u32,
    });
    storage::put(
        EXAMS,
        Write::new(body.touch())
            .id(id)
            .expected_version(doc.version),
    )?;
    for (user, hall, point) in &told {
        settings::notify(
            &[(user.clone(), hall.clone())],
            &format!(
                "【跟进培训】{}：您在“{}”上的掌握度偏低，已为您安排跟进学习，请在“我的短板”中查看。",
                exam.setting.title, point
            ),
            "training.gap",
        );
    }
    Ok(Closing::Closed { gaps: r.gaps.len() })
}

/// One sweep at `now`: what it did.
pub fn run(now: i64) -> Result<serde_json::Value, Response> {
    // Sittings past their deadline, oldest first, in a bounded batch.
    let late = storage::query::<AttemptDoc>(
        &Query::new(ATTEMPTS)
            .filter("state", Op::Eq, "answering")
            .filter("deadline_ms", Op::Lt, now - GRACE_MS)
            .sort_asc("deadline_ms")
            .limit(BATCH),
    )?;
    let mut exams: Vec<String> = late
        .items
        .iter()
        .map(|d| d.body.attempt.exam.clone())
        .collect();
    exams.sort();
    exams.dedup();
    let mut expired = 0;
    for e in &exams {
        expired += expire_all(e, now)?;
    }
    // Exams whose window has closed.
    let ended = storage::query::<ExamDoc>(
        &Query::new(EXAMS)
            .filter("done", Op::Eq, false)
            .filter("closes_ms", Op::Lt, now)
            .sort_asc("closes_ms")
            .limit(50),
    )?;
    let mut closed = 0;
    let mut waiting = 0;
    for d in &ended.items {
        match close_exam(&d.id, now) {
            Ok(Closing::Closed { .. }) => closed += 1,
            Ok(Closing::Pending(_)) => waiting += 1,
            Ok(_) => {}
            Err(r) => log::warn(&format!(
                "closing exam {} failed: {}",
                d.id,
                String::from_utf8_lossy(&r.body)
            )),
        }
    }
    Ok(json!({ "expired": expired, "closed": closed, "waiting_for_marks": waiting }))
}

/// `POST /sweep`: the same, now.
pub fn now(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    Ok(Response::ok(&run(clock::now())?))
}
