//! 实操抽查 for trainers and hall managers: record a spot check of a
//! member of staff's casework, read the checks, and the recheck list of
//! those who failed and are waiting to be checked again. Staff read their
//! own checks and the guidance they were given.

use std::collections::BTreeMap;

use bantong_sdk::storage::{self, Document, Op, Query, Write};
use bantong_sdk::{Caller, HandlerResult, Request, Response, clock};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::spot::{self, Check, Criterion, Finding};

use super::bank::all;
use super::docs::{SPOT_CHECKS, SpotDoc};
use super::settings;
use super::{forbidden, invalid, is_trainer, paging, param, require_reader};

const DAY_MS: i64 = 86_400_000;
/// The recheck list looks this far back.
const OPEN_DAYS: i64 = 365;
/// The most checks the recheck list reads (a year of a district checking
/// every member of staff monthly is ~6,000).
const MAX_OPEN_READ: usize = 10_000;

/// Trainers and hall managers check casework.
fn require_checker(c: &Caller) -> Result<(), Response> {
    if is_trainer(c) || c.has_role("hall-manager") {
        Ok(())
    } else {
        Err(forbidden(
            "仅培训专员、大厅负责人或管理员可以抽查",
            "trainers and hall managers only",
        ))
    }
}

fn criteria_of(names: &[String]) -> Result<Vec<Criterion>, Response> {
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            let n = n.trim();
            Criterion::ALL
                .into_iter()
                .find(|c| c.as_str() == n || c.zh() == n)
                .ok_or_else(|| invalid(format!("没有抽查内容“{n}”")))
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInput {
    /// The person's username or user id.
    staff: String,
    matter: String,
    /// The criteria looked at (every criterion when empty).
    #[serde(default)]
    checked: Vec<String>,
    /// The criteria that failed.
    #[serde(default)]
    failed: Vec<String>,
    /// What was wrong (required when something failed).
    #[serde(default)]
    problems: Option<String>,
    #[serde(default)]
    guidance: Option<String>,
    /// The check this one follows up.
    #[serde(default)]
    recheck_of: Option<String>,
}

/// `POST /spot-checks`: one check; a failure goes on the recheck list.
pub fn create(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    require_checker(caller)?;
    let input: CheckInput = req.json()?;
    let s = settings::load()?;
    let key = input.staff.trim();
    let who = settings::person(&s.staff_roles, key)?
        .ok_or_else(|| invalid(format!("找不到人员“{key}”")))?;
    if !caller.district_wide && !who.hall.as_ref().is_some_and(|h| caller.can_act_for(h)) {
        return Err(forbidden("只能抽查本人负责的大厅的人员", "not your hall"));
    }
    let failed = criteria_of(&input.failed)?;
    let mut checked = criteria_of(&input.checked)?;
    if checked.is_empty() {
        checked = Criterion::ALL.to_vec();
    }
    for f in &failed {
        if !checked.contains(f) {
            checked.push(*f);
        }
    }
    checked.sort();
    checked.dedup();
    let problems = input.problems.unwrap_or_default().trim().to_owned();
    let findings: Vec<Finding> = checked
        .iter()
        .map(|c| {
            let ok = !failed.contains(c);
            Finding {
                criterion: *c,
                ok,
                note: if ok { String::new() } else { problems.clone() },
            }
        })
        .collect();
    let recheck_of = input
        .recheck_of
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if let Some(r) = &recheck_of {
        let before = storage::get::<SpotDoc>(SPOT_CHECKS, r)?
            .ok_or_else(|| invalid(format!("没有抽查记录“{r}”")))?;
        if before.body.check.staff != who.user_id {
            return Err(invalid("复查须针对同一名人员"));
        }
        if before.body.passed {
            return Err(invalid("该次抽查已合格，无需复查"));
        }
        let followed = storage::query::<SpotDoc>(
            &Query::new(SPOT_CHECKS)
                .filter("recheck_of", Op::Eq, r)
                .limit(1),
        )?;
        if !followed.items.is_empty() {
            return Err(invalid("该次抽查已复查过"));
        }
    }
    let check = Check {
        staff: who.user_id.clone(),
        matter: input.matter.trim().to_owned(),
        findings,
        guidance: input.guidance.unwrap_or_default().trim().to_owned(),
        recheck_of,
        at_ms: clock::now(),
    };
    check.check().map_err(invalid)?;
    let passed = check.passed();
    let doc = SpotDoc {
        check,
        name: who.name.clone(),
        checker: caller.user_id.clone(),
        checker_name: settings::name_of(&caller.user_id).unwrap_or_else(|| caller.user_id.clone()),
        passed,
    };
    let stored = storage::put(SPOT_CHECKS, Write::new(doc).hall(who.hall.clone()))?;
    if !passed {
        settings::notify(
            &[(who.user_id.clone(), who.hall.clone())],
            &format!(
                "【实操抽查】“{}”存在问题：{}。指导意见：{}。{}天内将复查。",
                stored.body.check.matter,
                spot_failed_zh(&stored.body.check),
                stored.body.check.guidance,
                s.recheck_days
            ),
            "training.spot-check",
        );
    }
    Ok(Response::created(&row(
        &stored.id,
        &stored.body,
        &settings::hall_names(),
        None,
    )))
}

fn spot_failed_zh(c: &Check) -> String {
    c.failed()
        .iter()
        .map(|c| c.zh())
        .collect::<Vec<_>>()
        .join("、")
}

fn row(id: &str, d: &SpotDoc, halls: &BTreeMap<String, String>, hall: Option<&str>) -> Value {
    let c = &d.check;
    json!({
        "id": id,
        "at_ms": c.at_ms,
        "staff": c.staff,
        "name": d.name,
        "hall_zh": hall.and_then(|h| halls.get(h)).cloned().unwrap_or_default(),
        "matter": c.matter,
        "passed": d.passed,
        "result_zh": if d.passed { "合格" } else { "不合格" },
        "checked_zh": c.findings.iter().map(|f| f.criterion.zh()).collect::<Vec<_>>().join("、"),
        "failed_zh": spot_failed_zh(c),
        "problems": c.findings.iter().find(|f| !f.ok).map(|f| f.note.clone()).unwrap_or_default(),
        "guidance": c.guidance,
        "recheck": c.recheck_of.is_some(),
        "checker_name": d.checker_name,
    })
}

/// `GET /spot-checks?staff=&passed=`: newest first, the caller's halls.
pub fn list(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (offset, limit) = paging(&req)?;
    let passed = match param(&req, "passed") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(invalid(format!(
                "passed 须为 true 或 false，而不是“{other}”"
            )));
        }
    };
    let page = storage::query::<SpotDoc>(
        &Query::new(SPOT_CHECKS)
            .filter_opt("staff", Op::Eq, param(&req, "staff"))
            .filter_opt("passed", Op::Eq, passed)
            .sort_desc("at_ms")
            .offset(offset)
            .limit(limit),
    )?;
    Ok(Response::ok(
        &json!({ "items": rows(&page.items), "total": page.total }),
    ))
}

/// The rows a list shows, with the halls' names.
fn rows(docs: &[Document<SpotDoc>]) -> Vec<Value> {
    let names = settings::hall_names();
    docs.iter()
        .map(|d| row(&d.id, &d.body, &names, d.hall.as_deref()))
        .collect()
}

/// `GET /spot-checks/rechecks`: failed checks not yet followed up, the
/// soonest due first, each with a link to record its recheck.
pub fn rechecks(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let s = settings::load()?;
    let now = clock::now();
    let page = all::<SpotDoc>(
        Query::new(SPOT_CHECKS)
            .filter("at_ms", Op::Ge, now - OPEN_DAYS * DAY_MS)
            .sort_asc("at_ms"),
        MAX_OPEN_READ,
    )?;
    let checks: Vec<(String, Check)> = page
        .iter()
        .map(|d| (d.id.clone(), d.body.check.clone()))
        .collect();
    let by_id: BTreeMap<&str, _> = page.iter().map(|d| (d.id.as_str(), d)).collect();
    let names = settings::hall_names();
    let items: Vec<Value> = spot::rechecks(&checks, s.recheck_days, now)
        .into_iter()
        .filter_map(|o| {
            let d = by_id.get(o.id.as_str())?;
            let mut r = row(&o.id, &d.body, &names, d.hall.as_deref());
            r["rounds"] = json!(o.rounds);
            r["due_ms"] = json!(o.due_ms);
            r["overdue"] = json!(o.overdue);
            r["recheck_link"] = json!(format!(
                "/v/training/add-spot-check?staff={}&recheck_of={}",
                d.body.check.staff, o.id
            ));
            Some(r)
        })
        .collect();
    Ok(Response::ok(
        &json!({ "items": items, "total": items.len() }),
    ))
}

/// `GET /my/spot-checks`: the caller's own checks and the guidance given.
pub fn mine(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    let page = storage::query::<SpotDoc>(
        &Query::new(SPOT_CHECKS)
            .filter("staff", Op::Eq, &caller.user_id)
            .sort_desc("at_ms")
            .limit(200),
    )?;
    Ok(Response::ok(
        &json!({ "items": rows(&page.items), "total": page.items.len() }),
    ))
}
