//! Follow-up training for trainers: the assignments (from gaps, and
//! one-to-one training a trainer sets) and the learning materials gaps
//! link to.

use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde::Deserialize;
use serde_json::{Value, json};

use super::docs::{
    ASSIGNMENTS, AssignmentDoc, AssignmentKind, MATERIALS, MaterialDoc, MaterialRef,
};
use super::mine::assignment_row;
use super::settings;
use super::{forbidden, invalid, paging, param, require_reader, require_trainer};

/// `GET /assignments?state=&kind=&hall=`: in the caller's scope.
pub fn list(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (offset, limit) = paging(&req)?;
    let page = storage::query::<AssignmentDoc>(
        &Query::new(ASSIGNMENTS)
            .hall(param(&req, "hall").map(str::to_owned))
            .filter_opt("state", Op::Eq, param(&req, "state"))
            .filter_opt("kind", Op::Eq, param(&req, "kind"))
            .sort_desc("created_ms")
            .offset(offset)
            .limit(limit),
    )?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|d| assignment_row(&d.id, &d.body))
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OneToOne {
    /// The person's username or user id.
    person: String,
    knowledge: String,
    task: String,
    /// `YYYY-MM-DD`.
    due: String,
    #[serde(default)]
    materials: Vec<String>,
}

/// `POST /assignments`: 一对一培训 for one person.
pub fn create(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let input: OneToOne = req.json()?;
    let task = input.task.trim();
    let knowledge = input.knowledge.trim();
    if task.is_empty() || task.chars().count() > 1_000 {
        return Err(invalid("培训内容须为1至1000字"));
    }
    if knowledge.is_empty() || knowledge.chars().count() > 40 {
        return Err(invalid("知识点或专题须为1至40字"));
    }
    let due_ms = crate::exam::parse_instant(&format!("{}T18:00", input.due.trim()))
        .ok_or_else(|| invalid(format!("完成日期“{}”无效", input.due)))?;
    let s = settings::load()?;
    let person = input.person.trim();
    let who = settings::person(&s.staff_roles, person)?
        .ok_or_else(|| invalid(format!("找不到人员“{person}”")))?;
    if !caller.district_wide && !who.hall.as_ref().is_some_and(|h| caller.can_act_for(h)) {
        return Err(forbidden(
            "只能为本人负责的大厅的人员安排培训",
            "not your hall",
        ));
    }
    let mut materials = Vec::new();
    for m in &input.materials {
        let d = storage::get::<MaterialDoc>(MATERIALS, m)?
            .ok_or_else(|| invalid(format!("没有学习资料“{m}”")))?;
        materials.push(MaterialRef {
            id: d.id,
            title: d.body.title,
        });
    }
    let now = clock::now();
    let a = AssignmentDoc {
        kind: AssignmentKind::OneToOne,
        candidate: who.user_id.clone(),
        name: who.name.clone(),
        knowledge: knowledge.to_owned(),
        task: task.to_owned(),
        materials,
        exam: None,
        mastery: None,
        state: "open".into(),
        by: caller.user_id.clone(),
        created_ms: now,
        month: super::docs::month_of(now),
        due_ms,
        done_ms: None,
    };
    let stored = storage::put(ASSIGNMENTS, Write::new(a).hall(who.hall.clone()))?;
    settings::notify(
        &[(who.user_id.clone(), who.hall.clone())],
        &format!(
            "【一对一培训】{knowledge}：{task}（请于{}前完成）",
            input.due.trim()
        ),
        "training.assignment",
    );
    Ok(Response::created(&assignment_row(&stored.id, &stored.body)))
}

/// `GET /materials?knowledge=`.
pub fn materials(req: Request) -> HandlerResult {
    req.require_caller()?;
    let page =
        storage::query::<MaterialDoc>(&Query::new(MATERIALS).sort_desc("_created").limit(500))?;
    let want = param(&req, "knowledge");
    let items: Vec<Value> = page
        .items
        .iter()
        .filter(|d| want.is_none_or(|k| d.body.knowledge.iter().any(|x| x == k)))
        .map(|d| {
            json!({
                "id": d.id,
                "title": d.body.title,
                "knowledge": d.body.knowledge.join("、"),
                "topic": d.body.topic,
                "blob": d.body.blob,
                "link": d.body.link,
                "created_ms": d.body.created_ms,
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialInput {
    title: String,
    knowledge: Vec<String>,
    #[serde(default)]
    blob: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    topic: Option<String>,
}

/// `POST /materials`: a file already uploaded (its SHA-256) or a link.
pub fn add_material(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_trainer(caller)?;
    let input: MaterialInput = req.json()?;
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid("资料名称须为1至200字"));
    }
    let knowledge: Vec<String> = input
        .knowledge
        .iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    if knowledge.is_empty() || knowledge.len() > 10 {
        return Err(invalid("请标注1至10个知识点"));
    }
    let blob = input.blob.filter(|b| !b.trim().is_empty());
    let link = input.link.filter(|l| !l.trim().is_empty());
    if let Some(b) = &blob
        && (b.len() != 64 || !b.bytes().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(invalid("文件须先上传（SHA-256）"));
    }
    if let Some(l) = &link
        && !(l.starts_with("https://") || l.starts_with("http://") || l.starts_with('/'))
    {
        return Err(invalid("链接须以 https:// 或 / 开头"));
    }
    if blob.is_none() && link.is_none() {
        return Err(invalid("请上传文件或填写链接"));
    }
    let doc = MaterialDoc {
        title: title.to_owned(),
        knowledge,
        blob,
        link,
        topic: input.topic.filter(|t| !t.trim().is_empty()),
        by: caller.user_id.clone(),
        created_ms: clock::now(),
    };
    let stored = storage::put(MATERIALS, Write::new(doc))?;
    Ok(Response::created(
        &json!({ "id": stored.id, "title": stored.body.title }),
    ))
}
