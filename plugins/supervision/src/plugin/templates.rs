//! Checklist templates in numbered versions. Version 1 is the plan's
//! 附件2, stored the first time anything needs a template; a district
//! administrator or inspector publishes a new version naming the version it
//! was edited from (409 when someone published in between). Versions are
//! never changed, so an inspection scores against the one it started with.

use bantong_sdk::storage::{self, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde::Deserialize;
use serde_json::json;

use super::docs::{TEMPLATES, TemplateDoc};
use super::{invalid, not_found, path, require_district, require_reader};
use crate::template::{Template, default_template};

/// The newest version, storing 附件2 as version 1 when there is none.
pub fn current_doc() -> Result<TemplateDoc, Response> {
    let page = storage::query::<TemplateDoc>(&Query::new(TEMPLATES).sort_desc("version").limit(1))?;
    if let Some(doc) = page.items.into_iter().next() {
        return Ok(doc.body);
    }
    let doc = TemplateDoc {
        version: 1,
        published_ms: clock::now(),
        published_by: "system".into(),
        note: "默认检查表：监督促效实施方案附件2".into(),
        template: default_template(),
    };
    match storage::put(TEMPLATES, Write::new(doc.clone()).id("1").create_only()) {
        Ok(stored) => Ok(stored.body),
        // Someone stored it first: read theirs.
        Err(e) if e.is_conflict() => version_doc(1)?.ok_or_else(|| Response::from(e)),
        Err(e) => Err(e.into()),
    }
}

/// One version.
pub fn version_doc(version: u64) -> Result<Option<TemplateDoc>, Response> {
    Ok(storage::get::<TemplateDoc>(TEMPLATES, &version.to_string())?.map(|d| d.body))
}

fn with_rule(doc: &TemplateDoc) -> serde_json::Value {
    json!({
        "id": doc.version.to_string(),
        "version": doc.version,
        "published_ms": doc.published_ms,
        "published_by": doc.published_by,
        "note": doc.note,
        "rule": doc.template.rule_zh(),
        "items": doc.template.len(),
        "template": doc.template,
    })
}

/// `GET /templates`: every version, newest first (without their items).
pub fn list(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    current_doc()?;
    let page =
        storage::query::<TemplateDoc>(&Query::new(TEMPLATES).sort_desc("version").limit(200))?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|d| {
            let t = &d.body;
            json!({
                "id": t.version.to_string(), "version": t.version, "name": t.template.name,
                "items": t.template.len(), "rule": t.template.rule_zh(),
                "published_ms": t.published_ms, "published_by": t.published_by, "note": t.note,
            })
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /templates/current`.
pub fn current(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    Ok(Response::ok(&with_rule(&current_doc()?)))
}

/// `GET /templates/{id}` (the version).
pub fn get(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let v: u64 = path(&req, "id")?
        .parse()
        .map_err(|_| invalid("版本号应为正整数", "the version is a positive integer"))?;
    let doc = version_doc(v)?
        .ok_or_else(|| not_found("没有该版本的检查表", format!("no template version {v}")))?;
    Ok(Response::ok(&with_rule(&doc)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Publish {
    /// The version it was edited from.
    base: u64,
    #[serde(default)]
    note: String,
    template: Template,
}

#[derive(Deserialize)]
struct Revise {
    #[serde(default)]
    note: String,
    template: Template,
}

/// `PUT /templates/{id}`: publishes a new version edited from version
/// `id` (the portal's edit form; the fields of the record it loaded that
/// are not a template, such as its rule, are not sent back).
pub fn revise(req: Request) -> HandlerResult {
    let base: u64 = path(&req, "id")?
        .parse()
        .map_err(|_| invalid("版本号应为正整数", "the version is a positive integer"))?;
    let body: Revise = req.json()?;
    publish_from(
        &req,
        Publish {
            base,
            note: body.note,
            template: body.template,
        },
    )
}

/// `POST /templates`: publishes a new version.
pub fn publish(req: Request) -> HandlerResult {
    let body: Publish = req.json()?;
    publish_from(&req, body)
}

fn publish_from(req: &Request, body: Publish) -> HandlerResult {
    let caller = req.require_caller()?;
    require_district(caller)?;
    body.template
        .validate()
        .map_err(|e| invalid(&format!("检查表有误：{}（{}）", e.message_zh, e.path), &e))?;
    if body.note.chars().count() > 500 {
        return Err(invalid(
            "修订说明不超过500字",
            "the note is at most 500 characters",
        ));
    }
    let current = current_doc()?;
    if body.base != current.version {
        return Err(Response::conflict(format!(
            "检查表已更新为第 {} 版，请在最新版本上修改 / the template is at version {}, not {}",
            current.version, current.version, body.base
        )));
    }
    let doc = TemplateDoc {
        version: current.version + 1,
        published_ms: clock::now(),
        published_by: caller.username.clone(),
        note: body.note,
        template: body.template,
    };
    let stored = storage::put(
        TEMPLATES,
        Write::new(doc)
            .id((current.version + 1).to_string())
            .create_only(),
    )
    .map_err(|e| {
        if e.is_conflict() {
            Response::conflict("检查表刚被他人更新，请刷新后重试 / someone published first")
        } else {
            e.into()
        }
    })?;
    Ok(Response::created(&with_rule(&stored.body)))
}
