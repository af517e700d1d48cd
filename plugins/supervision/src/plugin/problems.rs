//! The 问题清单 and each problem's loop. A hall manager sees and acts on
//! the hall's own problems only (the host narrows every read and write to
//! the caller's halls); the district sees all.

use bantong_hall_kit::time::{local_date, local_time};
use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, blobs, clock, directory};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::docs::{FOLLOWUPS, FollowupDoc, PROBLEMS, ProblemDoc};
use super::{
    forbidden, invalid, is_district, is_hall, not_found, paging, param, path, require_district,
    require_reader, settings,
};
use crate::inspection::Evidence;
use crate::month::Month;
use crate::problem::{Action, Actor, Problem, REPORT_TYPES, Source, State, Step};

/// Largest report scan accepted (the host's blob limit may be lower).
pub const MAX_REPORT_BYTES: u64 = 20 * 1024 * 1024;

fn actor_of(c: &Caller) -> Option<Actor> {
    if is_district(c) {
        Some(Actor::District {
            user: c.username.clone(),
        })
    } else if is_hall(c) {
        Some(Actor::Hall {
            user: c.username.clone(),
            halls: c.halls.clone(),
        })
    } else {
        None
    }
}

fn action_zh(action: &str) -> &'static str {
    match action {
        "issue" => "下发",
        "sign" => "签收",
        "report" => "提交整改报告",
        "pass" => "复查通过，销号",
        "return" => "复查退回",
        "escalate" => "督办",
        _ => "操作",
    }
}

/// A problem as the portal shows it, with its history.
pub fn view(
    id: &str,
    doc: &ProblemDoc,
    names: &std::collections::BTreeMap<String, String>,
    now: i64,
) -> Value {
    let mut p = doc.problem.clone();
    let history = std::mem::take(&mut p.history);
    let mut v = serde_json::to_value(Row::of(id, &p, &history, names, now)).unwrap_or_default();
    v["history"] = history
        .iter()
        .map(|step| {
            let mut s = serde_json::to_value(step).unwrap_or_default();
            s["summary"] = json!(action_zh(&step.action));
            s
        })
        .collect();
    v
}

/// A problem as a row of the 问题清单: the problem (its history taken
/// apart, so not written) and what the portal shows of it, serialised
/// straight into the answer.
#[derive(Serialize)]
struct Row<'a> {
    id: &'a str,
    #[serde(flatten)]
    problem: &'a Problem,
    hall_name: &'a str,
    state_zh: &'static str,
    source_zh: &'static str,
    overdue: bool,
    due_text: String,
    /// For the portal's image and file columns.
    photos: Vec<&'a str>,
    report_file: Option<&'a str>,
    flags: String,
}

impl<'a> Row<'a> {
    fn of(
        id: &'a str,
        p: &'a Problem,
        history: &'a [Step],
        names: &'a std::collections::BTreeMap<String, String>,
        now: i64,
    ) -> Row<'a> {
        let overdue = p.is_overdue(now);
        Row {
            id,
            problem: p,
            hall_name: names.get(&p.hall).unwrap_or(&p.hall),
            state_zh: p.state.zh(),
            source_zh: p.source.zh(),
            overdue,
            due_text: local_time(p.due_ms),
            photos: p
                .evidence
                .iter()
                .filter(|e| {
                    e.content_type
                        .as_deref()
                        .is_none_or(|t| t.starts_with("image/"))
                })
                .map(|e| e.sha256.as_str())
                .collect(),
            report_file: history
                .iter()
                .rev()
                .find_map(|s| s.file.as_ref())
                .map(|f| f.sha256.as_str()),
            flags: [
                p.recurrent.then_some("屡查屡犯"),
                overdue.then_some("逾期"),
                (p.escalation > 0).then_some("督办中"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("、"),
        }
    }
}

/// A page of the 问题清单.
#[derive(Serialize)]
struct ListPage<'a> {
    items: Vec<Row<'a>>,
    total: u64,
}

/// `GET /problems?hall=&month=&state=&category=&source=&overdue=1&recurrent=1`.
pub fn list(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let (offset, limit) = paging(&req)?;
    let now = clock::now();
    let flag = |name: &str| param(&req, name).is_some_and(|v| v == "1" || v == "true");
    let mut q = Query::new(PROBLEMS)
        .hall(param(&req, "hall").map(str::to_owned))
        .filter_opt("month", Op::Eq, param(&req, "month"))
        .filter_opt("state", Op::Eq, param(&req, "state"))
        .filter_opt("category", Op::Eq, param(&req, "category"))
        .filter_opt("source_kind", Op::Eq, param(&req, "source"))
        .sort_desc("issued_ms")
        .offset(offset)
        .limit(limit);
    if flag("overdue") {
        q = q
            .filter("state", Op::Ne, "closed")
            .filter("due_ms", Op::Lt, now);
    }
    if flag("recurrent") {
        q = q.filter("recurrent_n", Op::Eq, 1);
    }
    // A stored problem read as the plain `Problem` (its indexed fields
    // ignored): cheaper than the flattened `ProblemDoc`.
    let mut page = storage::query::<Problem>(&q)?;
    let names = settings::hall_names();
    let histories: Vec<Vec<Step>> = page
        .items
        .iter_mut()
        .map(|d| std::mem::take(&mut d.body.history))
        .collect();
    let items: Vec<Row<'_>> = page
        .items
        .iter()
        .zip(&histories)
        .map(|(d, h)| Row::of(&d.id, &d.body, h, &names, now))
        .collect();
    Ok(Response::ok(&ListPage {
        items,
        total: page.total,
    }))
}

/// `GET /problems/{id}`: with its history.
pub fn get(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_reader(caller)?;
    let id = path(&req, "id")?;
    // Outside the caller's halls the host finds nothing: 404, not 403, so
    // another hall's problems are not even confirmed to exist.
    let doc = storage::get::<ProblemDoc>(PROBLEMS, id)?
        .ok_or_else(|| not_found("没有该问题", format!("no problem {id}")))?;
    Ok(Response::ok(&view(
        id,
        &doc.body,
        &settings::hall_names(),
        clock::now(),
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportFile {
    sha256: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum Act {
    Sign,
    Report {
        report: ReportFile,
    },
    Pass {
        #[serde(default)]
        note: String,
    },
    Return {
        reason: String,
    },
}

/// The report scan as stored: it must exist and be a PDF or an image
/// within the size limit; its stored type is what counts, not the
/// client's word.
fn stored_report(sha: &str) -> Result<Evidence, Response> {
    let sha = sha.trim().to_ascii_lowercase();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(
            "整改报告文件编号无效",
            "the report is a SHA-256 of an uploaded file",
        ));
    }
    let (blob, _) = blobs::get(&sha)?.ok_or_else(|| {
        invalid(
            "整改报告文件不存在，请先上传",
            format!("no uploaded file {sha}"),
        )
    })?;
    if !REPORT_TYPES.contains(&blob.content_type.as_str()) {
        return Err(invalid(
            "整改报告须为 PDF 或 JPEG/PNG 图片",
            format!("the report is {}, not a PDF or an image", blob.content_type),
        ));
    }
    if blob.size > MAX_REPORT_BYTES {
        return Err(invalid(
            "整改报告文件不超过 20 MB",
            format!("the report is {} bytes", blob.size),
        ));
    }
    Ok(Evidence {
        sha256: blob.sha256,
        content_type: Some(blob.content_type),
        taken_ms: None,
        place: None,
        lat: None,
        lon: None,
    })
}

/// `POST /problems/{id}/actions`: sign, report, pass or return.
pub fn act(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let actor =
        actor_of(caller).ok_or_else(|| forbidden("无权处理问题", "no access to problems"))?;
    let id = path(&req, "id")?;
    let body: Act = req.json()?;
    let stored = storage::get::<ProblemDoc>(PROBLEMS, id)?
        .ok_or_else(|| not_found("没有该问题", format!("no problem {id}")))?;
    let mut doc = stored.body;
    let now = clock::now();
    let action = match body {
        Act::Sign => Action::Sign,
        Act::Report { report } => {
            // Check the hall's right before touching the file.
            if !matches!(&actor, Actor::Hall { halls, .. } if halls.contains(&doc.problem.hall)) {
                return Err(forbidden(
                    "只有本大厅可以提交整改报告",
                    "only the hall reports",
                ));
            }
            Action::Report {
                report: stored_report(&report.sha256)?,
                note: report.note,
            }
        }
        Act::Pass { note } => Action::Pass { note },
        Act::Return { reason } => Action::Return { reason },
    };
    let returned = matches!(action, Action::Return { .. });
    doc.problem
        .act(&actor, action, now)
        .map_err(|e| super::refused(e.status(), e.message()))?;
    doc.refresh();
    let closed = doc.problem.state == State::Closed;
    let hall = doc.problem.hall.clone();
    let source = doc.problem.source.clone();
    let title = doc.problem.title.clone();
    let stored = storage::put(
        PROBLEMS,
        Write::new(doc)
            .id(id)
            .hall(stored.hall)
            .expected_version(stored.version),
    )?;
    if closed
        && let Source::Rating { followup } = &source
        && let Some(f) = storage::get::<FollowupDoc>(FOLLOWUPS, followup)?
    {
        let mut fd = f.body;
        if fd.followup.problem_closed(now) {
            fd.refresh();
            storage::put(
                FOLLOWUPS,
                Write::new(fd)
                    .id(followup)
                    .hall(f.hall)
                    .expected_version(f.version),
            )?;
        }
    }
    if returned {
        settings::notify(
            &settings::managers_of(&hall),
            &format!("【监督促效】问题“{title}”的整改报告被退回，请按退回意见继续整改后重新提交。"),
            "supervision.problem.returned",
            Some(&hall),
        );
    }
    Ok(Response::ok(&view(
        id,
        &stored.body,
        &settings::hall_names(),
        now,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    hall: String,
    title: String,
    detail: String,
    category: String,
    #[serde(default)]
    item: Option<String>,
    /// A hotline work order this comes from, if any.
    #[serde(default)]
    hotline_order: Option<String>,
    #[serde(default)]
    evidence: Vec<String>,
}

/// `POST /problems`: a problem the district enters by hand (专项督查), or
/// from a hotline complaint.
pub fn create(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    let body: Create = req.json()?;
    if !directory::halls().iter().any(|h| h.id == body.hall) {
        return Err(invalid("没有该大厅", format!("unknown hall {}", body.hall)));
    }
    let text_ok = |s: &str, max: usize| !s.trim().is_empty() && s.chars().count() <= max;
    if !text_ok(&body.title, 100) || !text_ok(&body.detail, 2000) || !text_ok(&body.category, 40) {
        return Err(invalid(
            "标题、问题描述和分类不能为空（标题≤100字，描述≤2000字）",
            "title, detail and category are required",
        ));
    }
    if let Some(item) = &body.item {
        let t = super::templates::current_doc()?;
        if t.template.item(item).is_none() {
            return Err(invalid(
                "检查表中没有该检查项",
                format!("unknown item {item}"),
            ));
        }
    }
    if body.evidence.len() > crate::inspection::MAX_EVIDENCE {
        return Err(invalid("佐证材料过多", "too many evidence files"));
    }
    let evidence = body
        .evidence
        .iter()
        .map(|sha| {
            let (blob, _) = blobs::get(sha)?
                .ok_or_else(|| invalid("佐证文件不存在", format!("no uploaded file {sha}")))?;
            Ok(Evidence {
                sha256: blob.sha256,
                content_type: Some(blob.content_type),
                taken_ms: None,
                place: None,
                lat: None,
                lon: None,
            })
        })
        .collect::<Result<Vec<_>, Response>>()?;
    let now = clock::now();
    let month = Month::of_ms(now);
    let r = settings::load()?;
    let source = match body.hotline_order {
        Some(order) => Source::Hotline { order },
        None => Source::Manual,
    };
    let problem = Problem::issue(
        body.hall.clone(),
        month.to_string(),
        body.category.trim().to_owned(),
        body.item,
        body.title.trim().to_owned(),
        body.detail.trim().to_owned(),
        source,
        evidence,
        &caller.username,
        now,
        r.due(month, now),
    );
    let due = problem.due_ms;
    let stored = storage::put(
        PROBLEMS,
        Write::new(ProblemDoc::new(problem, month.index())).hall(&body.hall),
    )?;
    let (y, m, d) = local_date(due);
    settings::notify(
        &settings::managers_of(&body.hall),
        &format!(
            "【监督促效】新下发问题“{}”，请签收并于 {y}年{m}月{d}日前完成整改。",
            body.title.trim()
        ),
        "supervision.problem.issued",
        Some(&body.hall),
    );
    Ok(Response::created(&view(
        &stored.id,
        &stored.body,
        &settings::hall_names(),
        now,
    )))
}
