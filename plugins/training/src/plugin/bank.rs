//! The question bank: list, write, edit (a new version), review, import
//! from a workbook, the import template, and the knowledge points with
//! how many usable questions each has per difficulty (what a blueprint is
//! built from).

use std::collections::BTreeMap;

use bantong_hall_kit::catalogue::workbook::read_xlsx;
use bantong_hall_kit::xlsx::Workbook;
use bantong_sdk::storage::{self, Document, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, blobs, clock};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{QUESTIONS, QuestionDoc, VERSIONS, day_of, version_id};
use super::{invalid, not_found, paging, param, path, require_trainer};
use crate::import::{self, COLUMNS};
use crate::paper::Pooled;
use crate::question::{Difficulty, Draft, Entry, Kind, ReviewError, Status};

/// The largest workbook accepted, bytes.
pub const MAX_WORKBOOK: usize = 10 * 1024 * 1024;

/// Every document of a query, a thousand at a time, up to `cap`.
pub fn all<T: serde::de::DeserializeOwned>(
    q: Query,
    cap: usize,
) -> Result<Vec<Document<T>>, Response> {
    let mut out = Vec::new();
    loop {
        let page = storage::query::<T>(&q.clone().offset(out.len() as u32).limit(1000))?;
        let n = page.items.len();
        out.extend(page.items);
        if n < 1000 || out.len() as u64 >= page.total || out.len() >= cap {
            break;
        }
    }
    out.truncate(cap);
    Ok(out)
}

/// The row a list shows.
fn row(id: &str, d: &QuestionDoc, today: &str) -> Value {
    let e = &d.entry;
    json!({
        "id": id,
        "kind": e.draft.kind,
        "kind_zh": e.draft.kind.zh(),
        "stem": e.draft.stem,
        "knowledge": e.draft.knowledge.join("、"),
        "difficulty": e.draft.difficulty,
        "difficulty_zh": e.draft.difficulty.zh(),
        "marks": e.draft.marks,
        "topic": e.draft.topic,
        "version": e.version,
        "status": e.status,
        "status_zh": e.status.zh(),
        "expired": e.expired(today),
        "source": e.draft.source.as_ref().map(|s| s.title.clone()),
        "updated_ms": d.updated_ms,
    })
}

/// `GET /questions?status=&kind=&difficulty=&knowledge=&q=`.
pub fn list(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let (offset, limit) = paging(&req)?;
    let today = day_of(clock::now());
    let q = Query::new(QUESTIONS)
        .filter_opt("status", Op::Eq, param(&req, "status"))
        .filter_opt("kind", Op::Eq, param(&req, "kind"))
        .filter_opt("difficulty", Op::Eq, param(&req, "difficulty"))
        .filter_opt("point", Op::Eq, param(&req, "knowledge"))
        .filter_opt("stem", Op::Contains, param(&req, "q"))
        .sort_desc("updated_ms")
        .offset(offset)
        .limit(limit);
    let page = storage::query::<QuestionDoc>(&q)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| row(&d.id, &d.body, &today))
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /questions/{id}`: the current version with its review history and
/// the earlier versions' numbers.
pub fn get(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let id = path(&req, "id")?;
    let doc = load(id)?;
    let today = day_of(clock::now());
    let mut v = serde_json::to_value(&doc.body.entry).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("id".into(), json!(id));
        m.insert("expired".into(), json!(doc.body.entry.expired(&today)));
        m.insert("kind_zh".into(), json!(doc.body.entry.draft.kind.zh()));
        m.insert("status_zh".into(), json!(doc.body.entry.status.zh()));
    }
    Ok(Response::ok(&v))
}

fn load(id: &str) -> Result<Document<QuestionDoc>, Response> {
    storage::get::<QuestionDoc>(QUESTIONS, id)?
        .ok_or_else(|| not_found("没有这道题", format!("no question {id}")))
}

/// A question as the API sends it (a draft with its `key`) or as the
/// portal's form does (`answer` written as in the import template).
fn draft(req: &Request) -> Result<Draft, Response> {
    let v: Value = req.json()?;
    let Value::Object(fields) = &v else {
        return Err(invalid("请求体应为 JSON 对象"));
    };
    if fields.contains_key("key") {
        let d: Draft =
            serde_json::from_value(v.clone()).map_err(|e| invalid(format!("题目格式有误：{e}")))?;
        d.check().map_err(|e| invalid(format!("{e}")))?;
        Ok(d)
    } else {
        import::from_fields(fields).map_err(|p| invalid(p.to_string().trim_start_matches("第0行")))
    }
}

/// `POST /questions`: a new question, pending review.
pub fn create(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let now = clock::now();
    let entry = Entry::new(draft(&req)?, &caller.user_id, now).map_err(invalid)?;
    let stored = storage::put(QUESTIONS, Write::new(QuestionDoc::new(entry, now)))?;
    Ok(Response::created(&json!({
        "id": stored.id,
        "version": stored.body.entry.version,
        "status": stored.body.entry.status,
    })))
}

/// `PUT /questions/{id}`: a new version, pending review; the one before is
/// kept under its version id when it had been approved (papers may use it).
pub fn edit(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let id = path(&req, "id")?;
    let d = draft(&req)?;
    let mut doc = load(id)?;
    let now = clock::now();
    let before = doc.body.entry.clone();
    let version = doc
        .body
        .entry
        .edit(d, &caller.user_id, now)
        .map_err(|e| review_refused(&e))?;
    if before.status == Status::Approved {
        keep_version(id, &before)?;
    }
    let body = QuestionDoc::new(doc.body.entry, now);
    storage::put(
        QUESTIONS,
        Write::new(body).id(id).expected_version(doc.version),
    )?;
    Ok(Response::ok(
        &json!({ "id": id, "version": version, "status": "pending" }),
    ))
}

/// Stores an approved version under its own id (once).
fn keep_version(id: &str, e: &Entry) -> Result<(), Response> {
    let snapshot = Pooled {
        id: id.to_owned(),
        version: e.version,
        q: e.draft.clone(),
    };
    match storage::put(
        VERSIONS,
        Write::new(snapshot)
            .id(version_id(id, e.version))
            .create_only(),
    ) {
        Ok(_) => Ok(()),
        Err(err) if err.is_conflict() => Ok(()),
        Err(err) => Err(err.into()),
    }
}

fn review_refused(e: &ReviewError) -> Response {
    match e {
        ReviewError::Invalid(i) => invalid(i),
        ReviewError::OwnQuestion => Response::error(403, "own_question", e.to_string()),
        _ => Response::error(409, "illegal_transition", e.to_string()),
    }
}

#[derive(Deserialize)]
struct ReviewInput {
    /// `approve`, `reject` or `retire`.
    action: String,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /questions/{id}/review`.
pub fn review(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let id = path(&req, "id")?;
    let input: ReviewInput = req.json()?;
    let mut doc = load(id)?;
    let now = clock::now();
    let note = input.note.as_deref().map(str::trim).unwrap_or_default();
    let entry = &mut doc.body.entry;
    match input.action.as_str() {
        "approve" => {
            entry
                .approve(&caller.user_id, now)
                .map_err(|e| review_refused(&e))?;
            keep_version(id, entry)?;
        }
        "reject" | "retire" if note.is_empty() => {
            return Err(invalid("退回或停用须写明原因"));
        }
        "reject" => entry
            .reject(&caller.user_id, now, note)
            .map_err(|e| review_refused(&e))?,
        "retire" => entry.retire(&caller.user_id, now, note),
        other => {
            return Err(invalid(format!(
                "未知的审核操作“{other}”（approve、reject、retire）"
            )));
        }
    }
    let status = entry.status;
    let body = QuestionDoc::new(doc.body.entry, now);
    storage::put(
        QUESTIONS,
        Write::new(body).id(id).expected_version(doc.version),
    )?;
    Ok(Response::ok(
        &json!({ "id": id, "status": status, "status_zh": status.zh() }),
    ))
}

/// `POST /questions/import` with an `.xlsx` body: every row stored pending
/// review, or nothing and every wrong row named (422).
pub fn import(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    // The workbook itself, or `{"file": sha256}` of one uploaded before
    // (the portal's upload field).
    let uploaded;
    let bytes: &[u8] = if req.body.first() == Some(&b'{') {
        #[derive(Deserialize)]
        struct Uploaded {
            file: String,
        }
        let u: Uploaded = req.json()?;
        uploaded = blobs::get(u.file.trim())?
            .map(|(_, b)| b)
            .ok_or_else(|| invalid("找不到上传的文件，请重新上传"))?;
        &uploaded
    } else {
        &req.body
    };
    if bytes.is_empty() {
        return Err(invalid("请上传题库 Excel 文件（.xlsx）"));
    }
    if bytes.len() > MAX_WORKBOOK {
        return Err(Response::error(
            413,
            "too_large",
            format!("文件超过{}MB", MAX_WORKBOOK / 1024 / 1024),
        ));
    }
    let sheets = read_xlsx(bytes).map_err(|e| {
        Response::json(
            422,
            &json!({ "error": "validation_failed", "message": e.to_string(),
                     "problems": [{ "row": 0, "message": e.to_string() }] }),
        )
    })?;
    let rows = sheets
        .into_iter()
        .next()
        .map(|(_, rows)| rows)
        .unwrap_or_default();
    let drafts = import::parse(&rows).map_err(|problems| {
        let first = problems
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        Response::json(
            422,
            &json!({
                "error": "validation_failed",
                "message": format!("导入失败，共{}处错误，未导入任何题目。{first}", problems.len()),
                "problems": problems,
            }),
        )
    })?;
    let now = clock::now();
    let mut ids = Vec::with_capacity(drafts.len());
    for d in drafts {
        let entry = Entry::new(d, &caller.user_id, now).map_err(invalid)?;
        ids.push(storage::put(QUESTIONS, Write::new(QuestionDoc::new(entry, now)))?.id);
    }
    Ok(Response::created(
        &json!({ "imported": ids.len(), "ids": ids }),
    ))
}

/// `GET /questions/template.xlsx`: the import template with an example of
/// each kind.
pub fn template(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let broken = |e: &dyn std::fmt::Display| Response::error(500, "xlsx", e.to_string());
    let mut book = Workbook::new();
    let sheet = book.add_sheet("题库").map_err(|e| broken(&e))?;
    sheet.header(&COLUMNS).map_err(|e| broken(&e))?;
    let examples: [[&str; 20]; 5] = [
        [
            "单选题",
            "群众到窗口咨询非本窗口业务时，工作人员应当？",
            "告知“不归我管”",
            "按首问负责制引导或代为联系",
            "请群众自行查询",
            "",
            "",
            "",
            "",
            "",
            "B",
            "2",
            "首问负责",
            "易",
            "服务规范",
            "《政务服务首问负责制度》",
            "",
            "",
            "首问负责：第一位接待的工作人员负责引导到位。",
            "",
        ],
        [
            "多选题",
            "一次性告知应当告知哪些内容？",
            "办理依据",
            "申请材料",
            "办理时限",
            "工作人员家庭住址",
            "",
            "",
            "",
            "",
            "ABC",
            "3",
            "一次性告知",
            "中",
            "服务规范",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "判断题",
            "政务服务事项可以要求群众提供本部门已有的材料。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "错",
            "1",
            "减证便民",
            "易",
            "政策法规",
            "",
            "",
            "",
            "",
            "",
        ],
        [
            "填空题",
            "综合窗口实行“____受理、后台分类审批、____窗口出件”。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "前台综合；统一|综合",
            "2",
            "综窗国家标准",
            "中",
            "综窗国家标准",
            "",
            "",
            "",
            "多个空用“；”分隔，一个空的多种写法用“|”分隔。",
            "",
        ],
        [
            "简答题",
            "简述帮办代办服务的一般流程。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "受理申请、确认事项、代为办理、结果反馈",
            "10",
            "帮办代办",
            "难",
            "业务素质",
            "",
            "",
            "",
            "",
            "",
        ],
    ];
    for r in examples {
        sheet.push_row(r).map_err(|e| broken(&e))?;
    }
    let bytes = book.to_bytes().map_err(|e| broken(&e))?;
    Ok(Response::bytes(
        200,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        bytes,
    )
    .with_header(
        "content-disposition",
        "attachment; filename=\"question-bank-template.xlsx\"",
    ))
}

/// The approved questions usable on `today`, at their current versions:
/// what an exam's pool is frozen from.
pub fn usable(today: &str) -> Result<Vec<Pooled>, Response> {
    let docs = all::<QuestionDoc>(
        Query::new(QUESTIONS)
            .filter("status", Op::Eq, "approved")
            .sort_asc("_created"),
        20_000,
    )?;
    Ok(docs
        .into_iter()
        .filter(|d| !d.body.entry.expired(today))
        .map(|d| Pooled {
            id: d.id,
            version: d.body.entry.version,
            q: d.body.entry.draft,
        })
        .collect())
}

/// `GET /knowledge`: each knowledge point with its usable questions per
/// difficulty (and per kind), for building a blueprint.
pub fn knowledge(req: Request) -> HandlerResult {
    require_trainer(req.require_caller()?)?;
    let today = day_of(clock::now());
    let pool = usable(&today)?;
    let mut points: BTreeMap<&str, BTreeMap<Difficulty, BTreeMap<Kind, u32>>> = BTreeMap::new();
    for p in &pool {
        for k in &p.q.knowledge {
            *points
                .entry(k)
                .or_default()
                .entry(p.q.difficulty)
                .or_default()
                .entry(p.q.kind)
                .or_default() += 1;
        }
    }
    let items: Vec<Value> = points
        .iter()
        .map(|(k, by)| {
            let n = |d: Difficulty| by.get(&d).map_or(0, |m| m.values().sum::<u32>());
            json!({
                "knowledge": k,
                "easy": n(Difficulty::Easy),
                "medium": n(Difficulty::Medium),
                "hard": n(Difficulty::Hard),
                "by_kind": by,
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}
