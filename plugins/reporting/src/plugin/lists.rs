//! Each hall's 问题清单 for a month, as PDF, Word and Excel: `POST
//! /problem-lists {month, hall}` reads the hall's problems from the
//! supervision module now and renders the list with its 整改反馈表; the
//! latest one per hall and month is kept (`GET /problem-lists`). The
//! district makes any hall's; a hall manager the own hall's.

use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::draft::{FileRef, halls, problems_of, render_in, settings};
use super::{forbidden, invalid, reads_all};
use crate::month::{Month, date_zh};
use crate::problem_list;
use crate::sources::Source;

/// The kept lists, one per hall and month (id `2026-11-bailou`), each in
/// its hall.
pub const LISTS: &str = "problem_lists";

/// A rendered list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListDoc {
    pub month: String,
    pub hall: String,
    pub hall_name: String,
    pub title: String,
    /// Problems listed.
    pub problems: u64,
    /// Of which not yet 销号.
    pub open: u64,
    pub pdf: FileRef,
    pub docx: FileRef,
    pub xlsx: FileRef,
    pub made_ms: i64,
    pub made_by: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewList {
    month: String,
    hall: String,
}

/// Whether `c` may make or read `hall`'s list.
fn may(c: &Caller, hall: &str) -> bool {
    reads_all(c)
        || (c.district_wide && c.has_role("district-admin"))
        || (!c.district_wide && c.has_role("hall-manager") && c.halls.iter().any(|h| h == hall))
}

pub fn create(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    let body: NewList = req.json()?;
    let month: Month = body
        .month
        .parse()
        .map_err(|e: String| invalid("月份无效", e))?;
    let Some(hall) = halls().into_iter().find(|h| h.id == body.hall) else {
        return Err(invalid(
            "没有该服务中心",
            format!("unknown hall {:?}", body.hall),
        ));
    };
    if !may(c, &hall.id) {
        return Err(forbidden(
            "只能制作本中心的问题清单",
            "a hall manager makes the own hall's list",
        ));
    }
    if month.start_ms() > clock::now() {
        return Err(invalid("该月尚未开始", format!("{month} has not begun")));
    }
    let problems = match problems_of(month, Some(&hall.id)) {
        Source::Ready { data, .. } => data,
        Source::Absent => {
            return Err(Response::conflict(
                "“监督促效”模块未安装，无法制作问题清单 / the supervision module is not installed",
            ));
        }
        Source::Failed { error } => {
            return Err(Response::error(
                503,
                "unavailable",
                format!("读取问题清单失败 / reading the problems failed: {error}"),
            ));
        }
    };
    let mine: Vec<_> = problems.into_iter().filter(|p| p.hall == hall.id).collect();
    let now = clock::now();
    let doc = problem_list::document(&hall, month, &mine, &settings().issuer, &date_zh(now));
    let files = render_in(&doc, Some(&hall.id))?;
    let list = ListDoc {
        month: month.to_string(),
        hall: hall.id.clone(),
        hall_name: hall.name_zh.clone(),
        title: problem_list::title(&hall, month),
        problems: mine.len() as u64,
        open: mine.iter().filter(|p| p.state != "closed").count() as u64,
        pdf: files.pdf,
        docx: files.docx,
        xlsx: files.xlsx,
        made_ms: now,
        made_by: c.username.clone(),
    };
    let id = format!("{month}-{}", hall.id);
    storage::put(LISTS, Write::new(list.clone()).id(&id).hall(&hall.id))?;
    Ok(Response::created(&show(&id, &list)))
}

fn show(id: &str, l: &ListDoc) -> serde_json::Value {
    json!({
        "id": id,
        "month": l.month,
        "hall": l.hall,
        "hall_name": l.hall_name,
        "title": l.title,
        "problems": l.problems,
        "open": l.open,
        "pdf": l.pdf.sha256,
        "docx": l.docx.sha256,
        "xlsx": l.xlsx.sha256,
        "made_ms": l.made_ms,
        "made_by": l.made_by,
    })
}

/// `GET /problem-lists?month=&hall=`: the kept lists the caller may see
/// (a hall manager's own hall's).
pub fn list(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    let hall_manager = c.has_role("hall-manager") && !c.halls.is_empty();
    if !(reads_all(c) || hall_manager) {
        return Err(forbidden("无权查看问题清单", "no access to the lists"));
    }
    let offset = req.query_parse::<u32>("offset")?.unwrap_or(0);
    let limit = req.query_parse::<u32>("limit")?.unwrap_or(20).clamp(1, 50);
    let page = storage::query::<ListDoc>(
        &Query::new(LISTS)
            .hall(req.query_param("hall").map(str::to_owned))
            .filter_opt("month", Op::Eq, req.query_param("month"))
            .sort_desc("month")
            .offset(offset)
            .limit(limit),
    )?;
    let items: Vec<_> = page.items.iter().map(|d| show(&d.id, &d.body)).collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}

/// `GET /halls`: the halls the caller may make a list for (form options).
pub fn hall_options(req: Request) -> HandlerResult {
    let c = req.require_caller()?;
    let items: Vec<_> = halls()
        .into_iter()
        .filter(|h| may(c, &h.id))
        .map(|h| json!({ "value": h.id, "label": h.name_zh }))
        .collect();
    Ok(Response::ok(&items))
}
