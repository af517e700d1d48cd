//! Exams for trainers: set one (its candidates resolved and its pool
//! frozen), list, read, cancel, close (analysis and gaps), the sittings
//! with who has not sat, and the analysis.

use std::collections::{BTreeMap, BTreeSet};

use bantong_sdk::storage::{self, Document, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock};
use serde::Deserialize;
use serde_json::{Value, json};

use super::bank::{all, usable};
use super::docs::{ATTEMPTS, AttemptDoc, EXAMS, ExamDoc, POOLS, PoolDoc, day_of};
use super::settings::{self, hall_names};
use super::{conflict, invalid, not_found, paging, param, path, require_reader, require_trainer};
use crate::exam::{Exam, ExamKind, MAX_CANDIDATES, Phase, Setting, parse_instant};
use crate::marking::MultipleRule;
use crate::mastery;
use crate::paper::{Fixed, Row, Shuffle, Spec};
use crate::question::{Difficulty, Kind};
use crate::stats::{self, Analysis, Scored, ScoredItem, Summary, Thresholds};

/// The largest pool an exam may freeze, in JSON bytes (a document holds
/// at most 1 MiB).
const MAX_POOL_BYTES: usize = 900 * 1024;

/// An exam as a trainer sets it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    title: String,
    kind: ExamKind,
    /// `2026-12-10T09:00` (China Standard Time unless an offset is given).
    opens: String,
    closes: String,
    minutes: u32,
    /// The paper as data …
    #[serde(default)]
    paper: Option<Spec>,
    /// … or a blueprint as lines `知识点 难度 题数 每题分值 [题型]` …
    #[serde(default)]
    blueprint: Vec<String>,
    /// … or a fixed paper as question ids (each with its own marks).
    #[serde(default)]
    questions: Vec<String>,
    #[serde(default = "yes")]
    shuffle_questions: bool,
    #[serde(default = "yes")]
    shuffle_options: bool,
    #[serde(default)]
    rule: MultipleRule,
    #[serde(default)]
    pass: Option<u32>,
    #[serde(default)]
    excellent: Option<u32>,
    #[serde(default)]
    resits: u32,
    #[serde(default)]
    gap_percent: Option<u32>,
    #[serde(default)]
    notice: Option<String>,
    /// The roles enrolled (default: the configured staff roles).
    #[serde(default)]
    roles: Vec<String>,
    /// The halls enrolled (default: every hall in the trainer's scope).
    #[serde(default)]
    halls: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Parses one blueprint line: `首问负责 易 5 2` or `首问负责,易,5,2,单选题`.
fn blueprint_row(line: &str, n: usize) -> Result<Row, Response> {
    let parts: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '/' | '、'))
        .filter(|p| !p.is_empty())
        .collect();
    let bad = |why: &str| {
        invalid(format!(
            "组卷规则第{n}行“{line}”{why}（格式：知识点 难度 题数 每题分值 [题型]）"
        ))
    };
    let [knowledge, difficulty, count, marks, rest @ ..] = parts.as_slice() else {
        return Err(bad("不完整"));
    };
    let difficulty = Difficulty::parse(difficulty).ok_or_else(|| bad("的难度应为易、中或难"))?;
    let count: u32 = count
        .parse()
        .ok()
        .filter(|c| *c >= 1)
        .ok_or_else(|| bad("的题数无效"))?;
    let marks: u32 = marks.parse().ok().ok_or_else(|| bad("的分值无效"))?;
    let kind = match rest {
        [] => None,
        [k] => Some(Kind::parse(k).ok_or_else(|| bad("的题型无效"))?),
        _ => return Err(bad("多了内容")),
    };
    Ok(Row {
        knowledge: (*knowledge).to_owned(),
        difficulty,
        kind,
        count,
        marks,
    })
}

fn spec_of(input: &Input) -> Result<Spec, Response> {
    let given = [
        input.paper.is_some(),
        !input.blueprint.is_empty(),
        !input.questions.is_empty(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        return Err(invalid(
            "请给出试卷：组卷规则（随机组卷）或题目编号（固定组卷），二者选一",
        ));
    }
    if let Some(p) = &input.paper {
        return Ok(p.clone());
    }
    if !input.blueprint.is_empty() {
        let rows = input
            .blueprint
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(i, l)| blueprint_row(l, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Spec::Blueprint { rows });
    }
    Ok(Spec::Fixed {
        questions: input
            .questions
            .iter()
            .map(|q| q.trim())
            .filter(|q| !q.is_empty())
            .map(|id| Fixed {
                id: id.to_owned(),
                marks: None,
            })
            .collect(),
    })
}

/// The halls an exam may enrol for this caller: the ones asked for, which
/// a hall's trainer must all act for (default: the caller's halls).
fn halls_for(caller: &Caller, asked: &[String]) -> Result<Vec<String>, Response> {
    if caller.district_wide {
        return Ok(asked.to_vec());
    }
    if asked.is_empty() {
        return Ok(caller.halls.clone());
    }
    match asked.iter().find(|h| !caller.can_act_for(h)) {
        Some(h) => Err(super::forbidden(
            "只能为本人负责的大厅安排考试",
            format!("not a trainer of hall {h}"),
        )),
        None => Ok(asked.to_vec()),
    }
}

/// `POST /exams`: sets an exam — its paper checked against the usable
/// questions, the pool frozen, the candidates resolved and told.
pub fn create(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let input: Input = req.json()?;
    let s = settings::load()?;
    let now = clock::now();
    let when = |t: &str, what: &str| {
        parse_instant(t).ok_or_else(|| invalid(format!("{what}“{t}”不是有效的时间")))
    };
    let setting = Setting {
        title: input.title.trim().to_owned(),
        kind: input.kind,
        opens_ms: when(&input.opens, "开始时间")?,
        closes_ms: when(&input.closes, "截止时间")?,
        minutes: input.minutes,
        paper: spec_of(&input)?,
        shuffle: Shuffle {
            questions: input.shuffle_questions,
            options: input.shuffle_options,
        },
        rule: input.rule,
        thresholds: Thresholds {
            pass: input.pass.unwrap_or(s.pass),
            excellent: input.excellent.unwrap_or(s.excellent),
        },
        resits: input.resits,
        gap_percent: input.gap_percent.unwrap_or(s.gap_percent),
        notice: input.notice.filter(|n| !n.trim().is_empty()),
    };
    setting.check(now).map_err(invalid)?;
    let today = day_of(setting.opens_ms.max(now));
    let usable = usable(&today)?;
    let slots = setting.paper.check(&usable).map_err(invalid)?;
    let questions: Vec<_> = setting.paper.used(&usable).into_iter().cloned().collect();
    let pool = PoolDoc { questions };
    let pool_bytes = serde_json::to_vec(&pool)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if pool_bytes > MAX_POOL_BYTES {
        return Err(invalid(format!(
            "符合组卷规则的题目共{}题，超过一场考试可冻结的题量，请缩小知识点或难度范围",
            pool.questions.len()
        )));
    }
    let roles = if input.roles.is_empty() {
        s.staff_roles.clone()
    } else {
        input.roles.clone()
    };
    let halls = halls_for(caller, &input.halls)?;
    let candidates = settings::candidates(&roles, &halls)?;
    if candidates.is_empty() {
        return Err(invalid("按所选岗位和大厅找不到考生"));
    }
    if candidates.len() > MAX_CANDIDATES {
        return Err(invalid(format!("考生超过{MAX_CANDIDATES}人")));
    }
    let exam = Exam {
        setting,
        slots,
        candidates,
        created_by: caller.user_id.clone(),
        created_ms: now,
        closed_ms: None,
        cancelled: false,
    };
    let stored = storage::put(EXAMS, Write::new(ExamDoc::new(exam)))?;
    storage::put(POOLS, Write::new(pool).id(&stored.id).create_only())?;
    let e = &stored.body.exam;
    let people: Vec<(String, Option<String>)> = e
        .candidates
        .iter()
        .map(|c| (c.user_id.clone(), c.hall.clone()))
        .collect();
    settings::notify(
        &people,
        &format!(
            "【{}】{}：{} 至 {} 开放，限时{}分钟。请在“我的考试”中参加。",
            e.setting.kind.zh(),
            e.setting.title,
            bantong_hall_kit::time::local_time(e.setting.opens_ms),
            bantong_hall_kit::time::local_time(e.setting.closes_ms),
            e.setting.minutes
        ),
        "training.exam",
    );
    Ok(Response::created(&json!({
        "id": stored.id,
        "candidates": e.candidates.len(),
        "questions": e.slots.len(),
        "marks": e.marks(),
        "pool": e.setting.paper.used(&usable).len(),
    })))
}

/// Reads an exam.
pub fn load(id: &str) -> Result<Document<ExamDoc>, Response> {
    storage::get::<ExamDoc>(EXAMS, id)?
        .ok_or_else(|| not_found("没有这场考试", format!("no exam {id}")))
}

/// Reads an exam's frozen pool.
pub fn pool(id: &str) -> Result<PoolDoc, Response> {
    storage::get::<PoolDoc>(POOLS, id)?
        .map(|d| d.body)
        .ok_or_else(|| not_found("考试的题目不存在", format!("no pool for exam {id}")))
}

fn summary_row(id: &str, d: &ExamDoc, now: i64) -> Value {
    let e = &d.exam;
    let phase = e.phase(now);
    json!({
        "id": id,
        "title": e.setting.title,
        "kind": e.setting.kind,
        "kind_zh": e.setting.kind.zh(),
        "opens_ms": e.setting.opens_ms,
        "closes_ms": e.setting.closes_ms,
        "minutes": e.setting.minutes,
        "questions": e.slots.len(),
        "marks": e.marks(),
        "candidates": e.candidates.len(),
        "phase": phase,
        "phase_zh": phase.zh(),
        "month": d.month,
    })
}

/// `GET /exams?month=&kind=`: newest first.
pub fn list(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (offset, limit) = paging(&req)?;
    let now = clock::now();
    let page = storage::query::<ExamDoc>(
        &Query::new(EXAMS)
            .filter_opt("month", Op::Eq, param(&req, "month"))
            .filter_opt("kind", Op::Eq, param(&req, "kind"))
            .sort_desc("opens_ms")
            .offset(offset)
            .limit(limit),
    )?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| summary_row(&d.id, &d.body, now))
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /exams/{id}`: the exam, its rules as the notice prints them and
/// its paper's make-up.
pub fn get(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let id = path(&req, "id")?;
    let doc = load(id)?;
    let e = &doc.body.exam;
    let mut v = summary_row(id, &doc.body, clock::now());
    if let Value::Object(m) = &mut v {
        m.insert("paper".into(), json!(e.setting.paper));
        m.insert("pass".into(), json!(e.setting.thresholds.pass));
        m.insert("excellent".into(), json!(e.setting.thresholds.excellent));
        m.insert("resits".into(), json!(e.setting.resits));
        m.insert("rule_zh".into(), json!(e.setting.rule.zh()));
        m.insert("notice".into(), json!(e.setting.notice));
        m.insert(
            "shuffle".into(),
            json!({ "questions": e.setting.shuffle.questions, "options": e.setting.shuffle.options }),
        );
        m.insert("closed_ms".into(), json!(e.closed_ms));
    }
    Ok(Response::ok(&v))
}

/// `POST /exams/{id}/cancel`: withdraws an exam nobody has started.
pub fn cancel(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let id = path(&req, "id")?;
    let mut doc = load(id)?;
    let started =
        storage::query::<Value>(&Query::new(ATTEMPTS).filter("exam", Op::Eq, id).limit(1))?;
    if started.total > 0 {
        return Err(conflict("started", "已有考生开始作答，不能取消"));
    }
    doc.body.exam.cancelled = true;
    storage::put(
        EXAMS,
        Write::new(doc.body.touch())
            .id(id)
            .expected_version(doc.version),
    )?;
    Ok(Response::ok(
        &json!({ "id": id, "phase": Phase::Cancelled }),
    ))
}

/// Every sitting of an exam the caller may see.
pub fn sittings_of(exam: &str) -> Result<Vec<Document<AttemptDoc>>, Response> {
    all::<AttemptDoc>(
        Query::new(ATTEMPTS)
            .filter("exam", Op::Eq, exam)
            .sort_asc("candidate")
            .sort_asc("number"),
        MAX_CANDIDATES * 6,
    )
}

/// `GET /exams/{id}/sittings`: every candidate in the caller's scope, with
/// their sittings or 未参加.
pub fn sittings(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let id = path(&req, "id")?;
    let doc = load(id)?;
    let e = &doc.body.exam;
    let names = hall_names();
    let mut by: BTreeMap<&str, Vec<&AttemptDoc>> = BTreeMap::new();
    let attempts = sittings_of(id)?;
    for a in &attempts {
        by.entry(a.body.attempt.candidate.as_str())
            .or_default()
            .push(&a.body);
    }
    let hall_filter = param(&req, "hall");
    let items: Vec<Value> = e
        .candidates
        .iter()
        .filter(|c| caller.district_wide || c.hall.as_ref().is_some_and(|h| caller.can_act_for(h)))
        .filter(|c| hall_filter.is_none_or(|h| c.hall.as_deref() == Some(h)))
        .map(|c| {
            let mine = by.get(c.user_id.as_str()).cloned().unwrap_or_default();
            let last = mine.last().map(|a| &a.attempt);
            let best = mine
                .iter()
                .filter(|a| a.attempt.state.is_finished())
                .map(|a| a.percent_centi)
                .max();
            json!({
                "candidate": c.user_id,
                "name": c.name,
                "hall": c.hall,
                "hall_zh": c.hall.as_ref().and_then(|h| names.get(h)),
                "sittings": mine.len(),
                "state": last.map(|a| a.state),
                "state_zh": last.map_or("未参加", |a| a.state.zh()),
                "best_percent": best.map(|b| f64::from(b) / 100.0),
                "passed": last.and_then(|a| a.passed),
                "pending": last.map_or(0, |a| a.pending),
                "switches": mine.iter().map(|a| a.attempt.switches).sum::<u32>(),
                "started_ms": last.map(|a| a.started_ms),
                "finished_ms": last.and_then(|a| a.finished_ms),
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

/// The analysis's inputs from stored sittings.
pub fn scored(attempts: &[Document<AttemptDoc>]) -> Vec<Scored> {
    attempts
        .iter()
        .map(|d| &d.body.attempt)
        .filter(|a| a.state.is_finished())
        .map(|a| Scored {
            candidate: a.candidate.clone(),
            hall: a.hall.clone(),
            number: a.number,
            score: a.score,
            max: a.max,
            pending: a.pending,
            items: a
                .items
                .iter()
                .filter_map(|it| {
                    let m = a.marks.get(&it.slot)?;
                    let chosen = match a.answers.get(&it.slot).map(|s| &s.response) {
                        Some(crate::marking::Response::Options { options }) => {
                            Some(options.clone())
                        }
                        _ if it.shape.kind.has_options() => Some(Vec::new()),
                        _ => None,
                    };
                    Some(ScoredItem {
                        slot: it.slot,
                        question: it.question,
                        got: m.got,
                        max: m.max,
                        chosen,
                    })
                })
                .collect(),
        })
        .collect()
}

/// The analysis of an exam over the sittings given.
pub struct Report {
    pub summary: Summary,
    pub analysis: Analysis,
    pub gaps: Vec<mastery::Gap>,
}

/// Analyses an exam: its figures over the candidates in `expected`, the
/// item statistics and the knowledge gaps.
pub fn report(exam: &Exam, pool: &PoolDoc, sittings: &[Scored], expected: u32) -> Report {
    let summary = stats::summary(expected, sittings, exam.setting.thresholds);
    let analysis = stats::analyse(sittings, |q| {
        let p = pool.questions.get(q as usize)?;
        match &p.q.key {
            crate::question::Key::Options { options } if p.q.kind.has_options() => {
                Some((options.clone(), p.q.options.len() as u8))
            }
            _ => None,
        }
    });
    // Gaps from each candidate's best sitting with nothing pending.
    let mut best: BTreeMap<&str, &Scored> = BTreeMap::new();
    for s in sittings.iter().filter(|s| s.pending == 0) {
        let keep = best.get(s.candidate.as_str()).is_none_or(|b| {
            u64::from(s.score) * u64::from(b.max.max(1))
                > u64::from(b.score) * u64::from(s.max.max(1))
        });
        if keep {
            best.insert(&s.candidate, s);
        }
    }
    let cohort: BTreeMap<String, mastery::Points> = best
        .iter()
        .map(|(c, s)| {
            let points = mastery::tally(s.items.iter().filter_map(|it| {
                let q = pool.questions.get(it.question as usize)?;
                Some((q.q.knowledge.as_slice(), it.got, it.max))
            }));
            ((*c).to_owned(), points)
        })
        .collect();
    let gaps = mastery::gaps(&cohort, f64::from(exam.setting.gap_percent) / 100.0);
    Report {
        summary,
        analysis,
        gaps,
    }
}

/// Candidates of the exam the caller may see.
fn expected_in_scope(exam: &Exam, caller: &Caller) -> u32 {
    exam.candidates
        .iter()
        .filter(|c| {
            caller.district_wide
                || caller.module().is_some()
                || c.hall.as_ref().is_some_and(|h| caller.can_act_for(h))
        })
        .count() as u32
}

/// `GET /exams/{id}/analysis`: the exam's figures, each slot's and each
/// question's statistics with flags, α, per hall, per knowledge point and
/// the gaps found.
pub fn analysis(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let id = path(&req, "id")?;
    let doc = load(id)?;
    let exam = &doc.body.exam;
    let pool = pool(id)?;
    let attempts = sittings_of(id)?;
    let sittings = scored(&attempts);
    let r = report(exam, &pool, &sittings, expected_in_scope(exam, caller));
    let names = hall_names();
    let questions: Vec<Value> = r
        .analysis
        .questions
        .iter()
        .map(|q| {
            let p = pool.questions.get(q.question as usize);
            json!({
                "question": p.map(|p| p.id.clone()),
                "version": p.map(|p| p.version),
                "stem": p.map(|p| p.q.stem.clone()),
                "kind_zh": p.map(|p| p.q.kind.zh()),
                "knowledge": p.map(|p| p.q.knowledge.join("、")),
                "stats": q.stats,
                "options": q.options,
            })
        })
        .collect();
    // Per hall: the summary over the hall's candidates.
    let halls: BTreeSet<&str> = exam
        .candidates
        .iter()
        .filter_map(|c| c.hall.as_deref())
        .collect();
    let per_hall: Vec<Value> = halls
        .iter()
        .filter(|h| caller.district_wide || caller.module().is_some() || caller.can_act_for(h))
        .map(|h| {
            let expected = exam
                .candidates
                .iter()
                .filter(|c| c.hall.as_deref() == Some(h))
                .count() as u32;
            let theirs: Vec<Scored> = sittings.iter().filter(|s| s.hall == *h).cloned().collect();
            let s = stats::summary(expected, &theirs, exam.setting.thresholds);
            json!({ "hall": h, "hall_zh": names.get(*h), "summary": s })
        })
        .collect();
    let gaps: Vec<Value> = r
        .gaps
        .iter()
        .map(|g| {
            let name = exam.candidate(&g.candidate).map(|c| c.name.clone());
            json!({ "candidate": g.candidate, "name": name, "knowledge": g.knowledge,
                    "mastery": g.mastery, "cohort_mean": g.cohort_mean, "reason": g.reason,
                    "reason_zh": g.reason.zh() })
        })
        .collect();
    let flagged = r
        .analysis
        .questions
        .iter()
        .filter(|q| !q.stats.flags.is_empty() || q.options.iter().any(|o| !o.flags.is_empty()))
        .count();
    Ok(Response::ok(&json!({
        "exam": summary_row(id, &doc.body, clock::now()),
        "summary": r.summary,
        "alpha": r.analysis.alpha,
        "sem": r.analysis.sem,
        "analysed": r.analysis.n,
        "slots": r.analysis.slots,
        "questions": questions,
        "flagged": flagged,
        "halls": per_hall,
        "gaps": gaps,
    })))
}

/// `POST /exams/{id}/close`: once the window has closed, finishes the
/// sittings left open, and — when nothing is left to mark — records the
/// gaps as follow-up assignments and closes the exam.
pub fn close(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let id = path(&req, "id")?;
    match super::sweep::close_exam(id, clock::now())? {
        super::sweep::Closing::Closed { gaps } => Ok(Response::ok(
            &json!({ "id": id, "closed": true, "gaps": gaps }),
        )),
        super::sweep::Closing::NotEnded => Err(conflict("not_ended", "考试尚未截止")),
        super::sweep::Closing::Pending(n) => Err(conflict(
            "pending_marks",
            format!("尚有{n}份答卷的简答题未阅，阅完后方可出分析"),
        )),
        super::sweep::Closing::Already => Err(conflict("closed", "考试已出分析")),
    }
}
