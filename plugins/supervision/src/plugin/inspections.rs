//! Inspections: started and saved by the inspector's device under an id
//! the device chose (so a resend after a dropped connection lands on the
//! same document and never makes a second visit), answered item by item,
//! signed off once. Signing scores the visit and puts each failed item on
//! the hall's 问题清单 as a problem, flagged when it recurs.

use std::collections::BTreeMap;

use bantong_hall_kit::time::local_date;
use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock, directory};
use serde::Deserialize;
use serde_json::json;

use super::docs::{INSPECTIONS, InspectionDoc, InspectionStatus, PROBLEMS, ProblemDoc};
use super::templates::{current_doc, version_doc};
use super::{
    ADMIN, forbidden, invalid, is_district, is_hall, not_found, paging, param, path, reads_all,
    settings,
};
use crate::inspection::{self, Answer, Kind};
use crate::month::Month;
use crate::problem::{Problem, Source};
use crate::recurrence;
use crate::template::{Method, Template};

fn valid_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn template_of(doc: &InspectionDoc) -> Result<Template, Response> {
    version_doc(doc.template_version)?
        .map(|t| t.template)
        .ok_or_else(|| {
            Response::error(
                500,
                "internal",
                format!("template version {} is missing", doc.template_version),
            )
        })
}

fn check_owner(caller: &Caller, doc: &InspectionDoc) -> Result<(), Response> {
    if doc.inspector == caller.user_id || caller.has_role(ADMIN) {
        Ok(())
    } else {
        Err(forbidden(
            "只有检查人本人可以修改该检查",
            "only its inspector may change this inspection",
        ))
    }
}

fn inspection_error(e: inspection::InspectionError) -> Response {
    Response::validation(e.message())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Save {
    hall: String,
    #[serde(default)]
    kind: Kind,
    #[serde(default)]
    visit: Option<String>,
    #[serde(default)]
    methods: Vec<Method>,
    #[serde(default)]
    answers: BTreeMap<String, Answer>,
}

/// `PUT /inspections/{id}`: starts the inspection or saves more answers.
/// A resend of what is already saved (even after sign-off) answers 200.
pub fn save(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_district(caller) {
        return Err(forbidden("仅区监督检查人员可以检查", "inspectors only"));
    }
    let id = path(&req, "id")?;
    if !valid_id(id) {
        return Err(invalid(
            "检查编号应为 8-64 位字母、数字、- 或 _",
            format!("bad inspection id {id:?}"),
        ));
    }
    let body: Save = req.json()?;
    let now = clock::now();
    match storage::get::<InspectionDoc>(INSPECTIONS, id)? {
        Some(stored) => {
            let mut doc = stored.body;
            check_owner(caller, &doc)?;
            if doc.hall != body.hall {
                return Err(Response::conflict(format!(
                    "该检查属于大厅 {} / the inspection is of hall {}",
                    doc.hall, doc.hall
                )));
            }
            if doc.status == InspectionStatus::Signed {
                let same = body
                    .answers
                    .iter()
                    .all(|(k, a)| doc.answers.get(k) == Some(a));
                return if same {
                    Ok(Response::ok(&view(id, &doc)))
                } else {
                    Err(Response::conflict(
                        "检查已签字确认，不能再修改 / the inspection is signed and cannot change",
                    ))
                };
            }
            let template = template_of(&doc)?;
            inspection::merge(&template, &mut doc.answers, body.answers)
                .map_err(inspection_error)?;
            if !body.methods.is_empty() {
                doc.methods = body.methods;
            }
            doc.saved_ms = now;
            let stored = storage::put(
                INSPECTIONS,
                Write::new(doc)
                    .id(id)
                    .hall(stored.hall)
                    .expected_version(stored.version),
            )?;
            Ok(Response::ok(&view(id, &stored.body)))
        }
        None => {
            let Some(hall) = directory::halls().into_iter().find(|h| h.id == body.hall) else {
                return Err(invalid("没有该大厅", format!("unknown hall {}", body.hall)));
            };
            let t = current_doc()?;
            let mut answers = BTreeMap::new();
            inspection::merge(&t.template, &mut answers, body.answers).map_err(inspection_error)?;
            let month = Month::of_ms(now);
            let doc = InspectionDoc {
                hall: hall.id.clone(),
                month: month.to_string(),
                month_index: month.index(),
                kind: body.kind,
                visit: body.visit,
                methods: if body.methods.is_empty() {
                    vec![Method::Undercover]
                } else {
                    body.methods
                },
                template_version: t.version,
                inspector: caller.user_id.clone(),
                inspector_name: caller.username.clone(),
                started_ms: now,
                saved_ms: now,
                answers,
                status: InspectionStatus::Draft,
                signed_ms: None,
                score: None,
                score_centi: None,
                applicable: 0,
                problems: Vec::new(),
            };
            let stored = storage::put(
                INSPECTIONS,
                Write::new(doc).id(id).hall(hall.id).create_only(),
            )?;
            Ok(Response::created(&view(id, &stored.body)))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Sign {
    /// Last answers, saved before signing.
    #[serde(default)]
    answers: BTreeMap<String, Answer>,
}

/// `POST /inspections/{id}/sign`: signs the inspection off (idempotent).
pub fn sign(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !is_district(caller) {
        return Err(forbidden("仅区监督检查人员可以签字确认", "inspectors only"));
    }
    let id = path(&req, "id")?;
    let body: Sign = if req.body.is_empty() {
        Sign::default()
    } else {
        req.json()?
    };
    let stored = storage::get::<InspectionDoc>(INSPECTIONS, id)?
        .ok_or_else(|| not_found("没有该检查", format!("no inspection {id}")))?;
    let mut doc = stored.body;
    check_owner(caller, &doc)?;
    if doc.status == InspectionStatus::Signed {
        return Ok(Response::ok(&view(id, &doc)));
    }
    let template = template_of(&doc)?;
    inspection::merge(&template, &mut doc.answers, body.answers).map_err(inspection_error)?;
    inspection::check_complete(&template, &doc.answers).map_err(inspection_error)?;
    let now = clock::now();
    let score = inspection::score(&template, &doc.answers);
    let r = settings::load()?;
    let month = Month::parse(&doc.month).unwrap_or_else(|_| Month::of_ms(now));
    let due = r.due(month, now);
    let window = r.settings.recurrence_window;
    let failures = inspection::failures(&template, &doc.answers);
    // Earlier failures of the same items in this hall within the window,
    // read at once (屡查屡犯).
    let (from, to) = recurrence::lookback(doc.month_index, window);
    let codes: Vec<&str> = failures.iter().map(|f| f.code.as_str()).collect();
    let mut earlier: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    if !codes.is_empty() {
        for d in storage::query::<ProblemDoc>(
            &Query::new(PROBLEMS)
                .hall(&doc.hall)
                .filter("item", Op::AnyOf, &codes)
                .filter("source_kind", Op::Eq, "inspection")
                .filter("month_index", Op::Ge, from)
                .filter("month_index", Op::Lt, to)
                .limit(200),
        )?
        .items
        {
            if let Some(item) = d.body.problem.item {
                earlier.entry(item).or_default().push(d.body.month_index);
            }
        }
    }
    let mut opened = Vec::new();
    for f in failures {
        let mut problem = Problem::issue(
            doc.hall.clone(),
            doc.month.clone(),
            f.category.clone(),
            Some(f.code.clone()),
            f.title.clone(),
            if f.answer.note.trim().is_empty() {
                format!("{}（发现 {} 次）", f.requirement, f.answer.occurrences)
            } else {
                format!(
                    "{}（发现 {} 次）",
                    f.answer.note.trim(),
                    f.answer.occurrences
                )
            },
            Source::Inspection {
                inspection: id.to_owned(),
                item: f.code.clone(),
            },
            f.answer.evidence.clone(),
            &caller.username,
            now,
            due,
        );
        problem.recurrent = earlier
            .get(&f.code)
            .is_some_and(|months| recurrence::is_recurrent(months, doc.month_index, window));
        let pid = format!("{id}-{}", f.code.replace('.', "_"));
        storage::put(
            PROBLEMS,
            Write::new(ProblemDoc::new(problem, doc.month_index))
                .id(&pid)
                .hall(&doc.hall)
                .create_only(),
        )?;
        opened.push(pid);
    }
    doc.status = InspectionStatus::Signed;
    doc.signed_ms = Some(now);
    doc.score_centi = score.centipoints;
    doc.applicable = score.applicable;
    doc.score = Some(score);
    doc.problems = opened.clone();
    let stored = storage::put(
        INSPECTIONS,
        Write::new(doc)
            .id(id)
            .hall(stored.hall)
            .expected_version(stored.version),
    )?;
    if !opened.is_empty() {
        let (y, m, d) = local_date(due);
        settings::notify(
            &settings::managers_of(&stored.body.hall),
            &format!(
                "【监督促效】{}检查发现 {} 个问题，已下发至本大厅问题清单，请签收并于 {y}年{m}月{d}日前上传盖章的自查整改报告。",
                month.zh(),
                opened.len()
            ),
            "supervision.problem.issued",
            Some(&stored.body.hall),
        );
    }
    Ok(Response::ok(&view(id, &stored.body)))
}

fn view(id: &str, doc: &InspectionDoc) -> serde_json::Value {
    let mut v = serde_json::to_value(doc).unwrap_or_default();
    v["id"] = json!(id);
    v["kind_zh"] = json!(doc.kind.zh());
    v["status_zh"] = json!(match doc.status {
        InspectionStatus::Draft => "填写中",
        InspectionStatus::Signed => "已签字",
    });
    v["score_text"] = json!(doc.score.as_ref().map(|s| s.text()));
    v["rule"] = json!(doc.score.as_ref().map(|s| s.rule.clone()));
    v["answered"] = json!(doc.answers.len());
    v
}

/// `GET /inspections/{id}`: the inspection with its template version's
/// items (so the form can be drawn from it).
pub fn get(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let id = path(&req, "id")?;
    let stored = storage::get::<InspectionDoc>(INSPECTIONS, id)?
        .ok_or_else(|| not_found("没有该检查", format!("no inspection {id}")))?;
    let doc = stored.body;
    let hall_may_read = is_hall(caller) && doc.status == InspectionStatus::Signed;
    if !reads_all(caller) && !hall_may_read {
        return Err(not_found("没有该检查", format!("no inspection {id}")));
    }
    let mut v = view(id, &doc);
    v["template"] = json!(template_of(&doc)?);
    Ok(Response::ok(&v))
}

/// `GET /inspections?month=&hall=&status=`: newest first.
pub fn list(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let (offset, limit) = paging(&req)?;
    let mut q = Query::new(INSPECTIONS)
        .filter_opt("month", Op::Eq, param(&req, "month"))
        .hall(param(&req, "hall").map(str::to_owned))
        .sort_desc("started_ms")
        .offset(offset)
        .limit(limit);
    if reads_all(caller) {
        q = q.filter_opt("status", Op::Eq, param(&req, "status"));
    } else if is_hall(caller) {
        q = q.filter("status", Op::Eq, "signed");
    } else {
        return Err(forbidden("无权查看检查记录", "no access to inspections"));
    }
    let names = settings::hall_names();
    let page = storage::query::<InspectionDoc>(&q)?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|d| {
            let mut v = view(&d.id, &d.body);
            if let Some(o) = v.as_object_mut() {
                o.remove("answers");
                o.remove("score");
            }
            v["hall_name"] = json!(
                names
                    .get(&d.body.hall)
                    .cloned()
                    .unwrap_or_else(|| d.body.hall.clone())
            );
            v
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": page.total }),
    ))
}
