//! The reports' routes: list, draft, read, edit the paragraphs, re-read the
//! figures, the workflow steps, corrections, receipts and a recipient's
//! inbox.

use bantong_sdk::storage::{self, Document as Stored, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, audit, clock, directory, notices};
use serde::Deserialize;
use serde_json::{Value, json};

use super::draft::{self, Recipient, Report, Step};
use super::generate;
use super::{REPORTS, forbidden, invalid, not_found, reads_all};
use crate::month::date_zh;
use crate::monthly::Narrative;
use crate::period::Period;
use crate::workflow::{self, Action, Powers, Status};

/// Receipts of issued reports, one per recipient: hall-level for a hall
/// (its manager writes it), district-level for a leader.
pub const RECEIPTS: &str = "receipts";

fn powers(c: &Caller) -> Powers {
    Powers::of(&c.roles, c.district_wide)
}

fn step(c: &Caller, step: &str, note: impl Into<String>) -> Step {
    Step {
        step: step.into(),
        by: c.user_id.clone(),
        by_name: c.username.clone(),
        at_ms: clock::now(),
        note: note.into(),
    }
}

fn load(id: &str) -> Result<Stored<Report>, Response> {
    storage::get::<Report>(REPORTS, id)?
        .ok_or_else(|| not_found("没有该报告", format!("no report {id}")))
}

fn save(doc: &Stored<Report>) -> Result<(), Response> {
    storage::put(
        REPORTS,
        Write::new(doc.body.clone())
            .id(doc.id.clone())
            .expected_version(doc.version),
    )?;
    Ok(())
}

fn refused(r: &workflow::Refusal) -> Response {
    let code = match r.status() {
        409 => "illegal_transition",
        403 => "forbidden",
        _ => "validation_failed",
    };
    Response::error(r.status(), code, r.message().to_owned())
}

fn require_editor(c: &Caller) -> Result<(), Response> {
    if powers(c).edit {
        Ok(())
    } else {
        Err(forbidden(
            "无权编辑报告",
            "inspectors and district admins only",
        ))
    }
}

fn require_draft(r: &Report) -> Result<(), Response> {
    if workflow::editable(r.status) {
        Ok(())
    } else {
        Err(Response::error(
            409,
            "illegal_transition",
            format!("{}的报告不能修改 / only a draft can change", r.status.zh()),
        ))
    }
}

/// 409 while the report's files are being made, or when the last attempt
/// failed and there are none.
fn not_ready(r: &Report) -> Response {
    let why = r
        .generation
        .as_ref()
        .map(|g| g.progress().label_zh)
        .unwrap_or_else(|| "尚未生成".to_owned());
    Response::error(
        409,
        "not_ready",
        format!("报告文件尚未就绪（{why}），请稍后再试 / the report's files are not ready"),
    )
}

/// A workflow step needs the files done: people review, approve and issue
/// what they can read.
fn require_files(r: &Report) -> Result<(), Response> {
    let failed = r.generation.as_ref().is_some_and(|g| g.error.is_some());
    if generate::running(r) || failed || r.files.is_none() {
        Err(not_ready(r))
    } else {
        Ok(())
    }
}

/// The halls a caller receives reports for (a hall manager's own halls).
fn own_halls(c: &Caller) -> Vec<String> {
    if c.has_role("hall-manager") && !c.district_wide {
        c.halls.clone()
    } else {
        Vec::new()
    }
}

/// The report's recipients the caller answers for: a leader for
/// themselves, a hall's manager for each of their halls.
fn recipients_of<'r>(c: &Caller, r: &'r Report) -> Vec<&'r Recipient> {
    let halls = own_halls(c);
    r.recipients
        .iter()
        .filter(|x| match x.kind.as_str() {
            "leader" => x.id == c.user_id,
            "hall" => halls.contains(&x.id),
            _ => false,
        })
        .collect()
}

/// Whose receipts a report's page shows.
enum Audience<'r> {
    /// None (lists).
    Nobody,
    /// Every recipient's (the district).
    Everyone,
    /// The caller's own (a recipient).
    Only(Vec<&'r Recipient>),
}

fn receipt_id(report: &str, rec: &Recipient) -> String {
    format!("{report}~{}~{}", rec.kind, rec.id)
}

/// A report for the portal: without its inputs (large), with labels, the
/// files' addresses and the receipts of `audience`.
fn view(id: &str, r: &Report, audience: Audience<'_>) -> Result<Value, Response> {
    let shown: Vec<&Recipient> = match audience {
        Audience::Nobody => Vec::new(),
        Audience::Everyone => r.recipients.iter().collect(),
        Audience::Only(mine) => mine,
    };
    let receipts: Vec<Value> = if shown.is_empty() {
        Vec::new()
    } else {
        let page =
            storage::query::<Value>(&Query::new(RECEIPTS).filter("report", Op::Eq, id).limit(500))?;
        shown
            .iter()
            .map(|rec| {
                let got = page
                    .items
                    .iter()
                    .find(|d| d.id == receipt_id(id, rec))
                    .map(|d| d.body.clone());
                json!({
                    "kind": rec.kind,
                    "kind_zh": if rec.kind == "leader" { "领导" } else { "服务中心" },
                    "id": rec.id,
                    "name": rec.name,
                    "received": got.is_some(),
                    "received_ms": got.as_ref().and_then(|g| g["at_ms"].as_i64()),
                    "received_by": got.as_ref().and_then(|g| g["by_name"].as_str().map(str::to_owned)),
                })
            })
            .collect()
    };
    let sources: Vec<Value> = r
        .inputs
        .iter()
        .flat_map(|i| i.sources())
        .map(|(name, state, detail)| json!({ "module": name, "state": state, "detail": detail }))
        .collect();
    let progress = r.generation.as_ref().map(|g| g.progress());
    Ok(json!({
        "id": id,
        "kind": r.kind,
        "month": r.month,
        "version": r.version,
        "title": r.title,
        "status": r.status,
        "status_zh": r.status.zh(),
        "narrative": r.narrative,
        "overview": r.narrative.overview,
        "evaluation": r.narrative.evaluation,
        "next_steps": r.narrative.next_steps,
        "pdf": r.files.as_ref().map(|f| f.pdf.sha256.clone()),
        "docx": r.files.as_ref().map(|f| f.docx.sha256.clone()),
        "xlsx": r.files.as_ref().map(|f| f.xlsx.sha256.clone()),
        "files": r.files,
        // The preview: the PDF's pages as images.
        "pages": r.files.as_ref().map(|f| f.pages.iter().map(|p| p.sha256.clone()).collect::<Vec<_>>()),
        "preview_note": r.files.as_ref().filter(|f| (f.pages.len() as u32) < f.page_count).map(|f| format!(
            "预览显示前{}页（共{}页），完整内容请下载 PDF。",
            f.pages.len(),
            f.page_count
        )),
        "generating": generate::running(r),
        "progress": progress,
        "figures_read_ms": r.inputs.as_ref().map(|i| i.read_ms()),
        "sources": sources,
        "due_ms": r.due_ms,
        "due_text": date_zh(r.due_ms - 1),
        "overdue": r.overdue,
        "issued_ms": r.issued_ms,
        "corrects": r.corrects,
        "what_changed": r.what_changed,
        "superseded_by": r.superseded_by,
        "history": r.history.iter().map(|s| json!({
            "at_ms": s.at_ms,
            "by": s.by,
            "by_name": s.by_name,
            "step": s.step,
            "summary": step_zh(&s.step),
            "note": s.note,
        })).collect::<Vec<_>>(),
        "recipients": receipts,
        "received": receipts.iter().filter(|x| x["received"] == json!(true)).count(),
    }))
}

/// A history step in Chinese.
fn step_zh(step: &str) -> &'static str {
    match step {
        "drafted" => "起草",
        "edited" => "修改文字",
        "refreshed" => "重新读取数据",
        "regenerated" => "重新生成",
        "submitted" => "提交审核",
        "reviewed" => "审核通过",
        "approved" => "审批同意",
        "returned" => "退回修改",
        "issued" => "印发",
        "reminded" => "期限提醒",
        "overdue" => "逾期未报",
        _ => "其他",
    }
}

/// `GET /reports?month=&status=`: the district's reports, newest first.
pub fn list(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    if !reads_all(c) {
        return Err(forbidden(
            "请在“收文”中查看印发给本单位的报告",
            "halls read their inbox",
        ));
    }
    let offset = req.query_parse::<u32>("offset")?.unwrap_or(0);
    // Each report carries its figures: pages stay small.
    let limit = req.query_parse::<u32>("limit")?.unwrap_or(20).clamp(1, 50);
    let q = Query::new(REPORTS)
        .filter_opt("month", Op::Eq, req.query_param("month"))
        .filter_opt("status", Op::Eq, req.query_param("status"))
        .filter_opt("kind", Op::Eq, req.query_param("kind"))
        .sort_desc("month")
        .sort_desc("version")
        .offset(offset)
        .limit(limit);
    let page = storage::query::<Report>(&q)?;
    let items = page
        .items
        .iter()
        .map(|d| view(&d.id, &d.body, Audience::Nobody))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReport {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    year: Option<i32>,
    /// For a month: `monthly` (the supervision report, the default),
    /// `operation` (the project operation report) or `evaluation` (the
    /// performance evaluation report); for a year: `annual` (the default)
    /// or `operation` (the year's project operation report).
    #[serde(default)]
    kind: Option<String>,
}

/// `POST /reports {"month"}` or `{"year"}`: drafts the monthly report of an
/// ended month, or the annual report of an ended year, now (the schedules
/// do it on the 1st and on 5 January); 409 when it exists.
pub fn create(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    require_editor(c)?;
    let body: NewReport = req.json()?;
    let period = match (&body.month, body.year) {
        (Some(m), None) => match body.kind.as_deref().unwrap_or("monthly") {
            kind @ ("monthly" | "operation" | "evaluation") => {
                Period::parse(kind, m).map_err(|e| invalid("月份无效", e))?
            }
            other => {
                return Err(invalid(
                    "报告类型无效",
                    format!("kind {other:?}: monthly, operation or evaluation"),
                ));
            }
        },
        (None, Some(y)) => {
            let kind = match body.kind.as_deref().unwrap_or("annual") {
                "annual" => "annual",
                // The year's project operation report.
                "operation" | "annual_operation" => "annual_operation",
                other => {
                    return Err(invalid(
                        "报告类型无效",
                        format!("kind {other:?}: annual or operation for a year"),
                    ));
                }
            };
            Period::parse(kind, &y.to_string()).map_err(|e| invalid("年份无效", e))?
        }
        _ => {
            return Err(invalid(
                "请指定月份或年份之一",
                "give either month (YYYY-MM) or year",
            ));
        }
    };
    if !period.ended(clock::now()) {
        return Err(invalid(
            "只能起草已结束期间的报告",
            format!("{period} has not ended"),
        ));
    }
    let id = period.report_id(1);
    if storage::get::<Value>(REPORTS, &id)?.is_some() {
        return Err(Response::conflict(format!(
            "《{}》已存在 / the report of {period} exists",
            period.title()
        )));
    }
    let mut report = draft::new_report(period, 1, step(c, "drafted", "手工起草"));
    // The figures are read and the files made in the background; the
    // report's page shows how far it got.
    generate::start(&id, &mut report, true, &c.user_id)?;
    storage::put(
        REPORTS,
        Write::new(report.clone()).id(id.clone()).create_only(),
    )?;
    Ok(Response::created(&view(&id, &report, Audience::Nobody)?))
}

/// `GET /reports/{id}`: the district reads every report; a leader or a
/// hall reads what was issued to it.
pub fn get(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    let id = req.param("id").unwrap_or_default();
    let doc = load(id)?;
    let issued = matches!(doc.body.status, Status::Issued | Status::Superseded);
    let audience = if reads_all(c) {
        Audience::Everyone
    } else {
        let mine = recipients_of(c, &doc.body);
        if !issued || mine.is_empty() {
            return Err(not_found("没有该报告", format!("no report {id}")));
        }
        Audience::Only(mine)
    };
    Ok(Response::ok(&view(id, &doc.body, audience)?))
}

/// `PUT /reports/{id} {"overview","evaluation","next_steps"}`:
/// the paragraphs people write (a draft only); the files are made again in
/// the background, the figures stay as read.
pub fn narrative(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    require_editor(c)?;
    let id = req.param("id").unwrap_or_default();
    let n: Narrative = req.json()?;
    n.check().map_err(|e| invalid("段落无效", e))?;
    let mut doc = load(id)?;
    require_draft(&doc.body)?;
    doc.body.narrative = n;
    doc.body.history.push(step(c, "edited", ""));
    generate::start(id, &mut doc.body, false, &c.user_id)?;
    save(&doc)?;
    Ok(Response::ok(&view(id, &doc.body, Audience::Nobody)?))
}

/// `POST /reports/{id}/refresh`: reads the figures again and makes the
/// files anew, in the background (a draft only). After submission the
/// figures are fixed: then it only makes the files again, when their last
/// generation failed (the way to retry it).
pub fn refresh(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    require_editor(c)?;
    let id = req.param("id").unwrap_or_default();
    let mut doc = load(id)?;
    doc.body.period().map_err(|e| invalid("报告期间无效", e))?;
    let failed = doc
        .body
        .generation
        .as_ref()
        .is_some_and(|g| g.error.is_some());
    if workflow::editable(doc.body.status) {
        doc.body.history.push(step(c, "refreshed", "重新读取数据"));
        generate::start(id, &mut doc.body, true, &c.user_id)?;
    } else if failed && doc.body.status != Status::Issued && doc.body.status != Status::Superseded {
        doc.body
            .history
            .push(step(c, "regenerated", "重新生成文件"));
        generate::start(id, &mut doc.body, false, &c.user_id)?;
    } else {
        require_draft(&doc.body)?;
    }
    save(&doc)?;
    Ok(Response::ok(&view(id, &doc.body, Audience::Nobody)?))
}

/// `POST /reports/{id}/actions {"action": "submit" | "review" | "approve"
/// | "return" (with "reason") | "issue"}`.
pub fn act(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    let id = req.param("id").unwrap_or_default().to_owned();
    let action: Action = req.json()?;
    let mut doc = load(&id)?;
    if !matches!(action, Action::Return { .. }) {
        require_files(&doc.body)?;
    }
    let next = workflow::next(
        doc.body.status,
        &action,
        powers(c),
        &c.user_id,
        doc.body.submitted_by.as_deref(),
    )
    .map_err(|r| refused(&r))?;
    let note = match &action {
        Action::Return { reason } => reason.trim().to_owned(),
        _ => String::new(),
    };
    let name = match &action {
        Action::Submit => "submitted",
        Action::Review => "reviewed",
        Action::Approve => "approved",
        Action::Return { .. } => "returned",
        Action::Issue => "issued",
    };
    if matches!(action, Action::Submit) {
        doc.body.submitted_by = Some(c.user_id.clone());
    }
    if matches!(action, Action::Issue) {
        issue(&id, &mut doc.body)?;
    }
    doc.body.status = next;
    doc.body.history.push(step(c, name, note));
    if matches!(action, Action::Approve) {
        // The files as issued carry the date the leader approved (成文日期):
        // made again now, in the background, from the same figures and
        // text; issuing waits for them.
        generate::start(&id, &mut doc.body, false, &c.user_id)?;
    }
    save(&doc)?;
    Ok(Response::ok(&view(&id, &doc.body, Audience::Everyone)?))
}

/// Freezes the report: its files (made at approval, dated then) stay as
/// they are, their SHA-256 in the audit log, the recipients named and
/// told, and the version it corrects marked as replaced.
fn issue(id: &str, r: &mut Report) -> Result<(), Response> {
    let now = clock::now();
    let Some(files) = r.files.clone() else {
        return Err(not_ready(r));
    };
    let mut recipients: Vec<Recipient> = directory::people("leader")?
        .into_iter()
        .filter(|p| p.district_wide)
        .map(|p| Recipient {
            kind: "leader".into(),
            id: p.user_id,
            name: p.display_name,
        })
        .collect();
    let halls = directory::halls();
    recipients.extend(halls.iter().map(|h| Recipient {
        kind: "hall".into(),
        id: h.id.clone(),
        name: h.name_zh.clone(),
    }));
    audit::note(
        "report.issued",
        &json!({
            "report": id,
            "month": r.month,
            "version": r.version,
            "pdf": files.pdf.sha256,
            "docx": files.docx.sha256,
            "xlsx": files.xlsx.sha256,
            "recipients": recipients.len(),
        }),
    )?;
    // Notices are a courtesy: the inbox holds what was issued, so a notice
    // the host will not queue (its per-minute limit) never stops the issue.
    let text = format!("《{}》已印发，请查收。", r.title);
    let mut unsent = 0;
    for rec in recipients.iter().filter(|r| r.kind == "leader") {
        unsent += usize::from(notices::portal(&rec.id, &text, "reporting.issued", None).is_err());
    }
    let managers = directory::people("hall-manager")?;
    for h in &halls {
        for m in managers
            .iter()
            .filter(|m| !m.district_wide && m.acts_for(&h.id))
        {
            unsent += usize::from(
                notices::portal(&m.user_id, &text, "reporting.issued", Some(&h.id)).is_err(),
            );
        }
    }
    if unsent > 0 {
        bantong_sdk::log::warn(&format!(
            "{unsent} notices of report {id} were not queued; its recipients find it in their inbox"
        ));
    }
    if let Some(previous) = &r.corrects {
        let mut old = load(previous)?;
        old.body.status = Status::Superseded;
        old.body.superseded_by = Some(id.to_owned());
        save(&old)?;
    }
    r.recipients = recipients;
    r.issued_ms = Some(now);
    r.overdue = false;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Correction {
    what_changed: String,
}

/// `POST /reports/{id}/correct {"what_changed"}`: a new version of an
/// issued report, drafted from today's data, saying what it changes.
pub fn correct(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    require_editor(c)?;
    let id = req.param("id").unwrap_or_default();
    let body: Correction = req.json()?;
    let what = body.what_changed.trim();
    if what.is_empty() || what.chars().count() > workflow::MAX_REASON {
        return Err(invalid(
            "请说明更正内容",
            format!("what_changed: 1-{} characters", workflow::MAX_REASON),
        ));
    }
    let doc = load(id)?;
    if doc.body.status != Status::Issued {
        return Err(Response::error(
            409,
            "illegal_transition",
            format!(
                "只有已印发的现行版本可以更正（本报告{}） / only the issued version is corrected",
                doc.body.status.zh()
            ),
        ));
    }
    let period = doc.body.period().map_err(|e| invalid("报告期间无效", e))?;
    let version = doc.body.version + 1;
    let new_id = period.report_id(version);
    let mut report = draft::new_report(
        period,
        version,
        step(c, "drafted", format!("更正第{}版", doc.body.version)),
    );
    report.narrative = doc.body.narrative.clone();
    report.corrects = Some(id.to_owned());
    report.what_changed = Some(what.to_owned());
    generate::start(&new_id, &mut report, true, &c.user_id)?;
    storage::put(
        REPORTS,
        Write::new(report.clone()).id(new_id.clone()).create_only(),
    )?;
    Ok(Response::created(&view(
        &new_id,
        &report,
        Audience::Nobody,
    )?))
}

/// `POST /reports/{id}/receipt`: a recipient confirms it has the report
/// (idempotent).
pub fn receipt(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    let id = req.param("id").unwrap_or_default();
    let doc = load(id)?;
    if !matches!(doc.body.status, Status::Issued | Status::Superseded) {
        return Err(not_found(
            "没有印发给您的该报告",
            format!("no issued report {id}"),
        ));
    }
    let mine = recipients_of(c, &doc.body);
    if mine.is_empty() {
        return Err(not_found(
            "没有印发给您的该报告",
            format!("no issued report {id}"),
        ));
    }
    // One receipt per recipient the caller answers for (a manager of two
    // halls signs for both), each in its hall.
    for rec in &mine {
        let hall = (rec.kind == "hall").then(|| rec.id.clone());
        let receipt = json!({
            "report": id,
            "kind": rec.kind,
            "recipient": rec.id,
            "by": c.user_id,
            "by_name": c.username,
            "at_ms": clock::now(),
        });
        let write = Write::new(receipt)
            .id(receipt_id(id, rec))
            .hall(hall)
            .create_only();
        match storage::put(RECEIPTS, write) {
            Ok(_) => {}
            Err(e) if e.is_conflict() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Response::ok(&view(id, &doc.body, Audience::Only(mine))?))
}

/// `GET /inbox`: the reports issued to the caller (a leader, or a hall's
/// manager), newest first, with whether the caller's side confirmed them.
pub fn inbox(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    let page = storage::query::<Report>(
        &Query::new(REPORTS)
            .filter("status", Op::AnyOf, ["issued", "superseded"])
            .sort_desc("month")
            .sort_desc("version")
            .limit(50),
    )?;
    let mut items = Vec::new();
    for d in &page.items {
        let mine = recipients_of(c, &d.body);
        if mine.is_empty() {
            continue;
        }
        let mut received = true;
        for rec in &mine {
            received &= storage::get::<Value>(RECEIPTS, &receipt_id(&d.id, rec))?.is_some();
        }
        let names: Vec<&str> = mine.iter().map(|r| r.name.as_str()).collect();
        let mut v = view(&d.id, &d.body, Audience::Nobody)?;
        v["received"] = json!(received);
        v["for"] = json!(names.join("、"));
        items.push(v);
    }
    let total = items.len();
    Ok(Response::ok(&json!({ "items": items, "total": total })))
}
