//! The sweep (hourly, and on demand): escalates (督办) every problem open
//! past its deadline, one level more for every few working days it stays
//! open, and tells the hall's managers once per level.

use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{HandlerResult, Request, Response, clock};
use serde_json::json;

use super::docs::{PROBLEMS, ProblemDoc};
use super::{require_district, settings};

/// Most problems one sweep escalates; the next run takes the rest.
const BATCH: u32 = 200;

/// Escalates what is due at `now`; answers how many problems rose a level.
pub fn run(now: i64) -> Result<u64, Response> {
    let r = settings::load()?;
    let page = storage::query::<ProblemDoc>(
        &Query::new(PROBLEMS)
            .filter("state", Op::Ne, "closed")
            .filter("due_ms", Op::Lt, now)
            .sort_asc("due_ms")
            .limit(BATCH),
    )?;
    let mut raised = 0;
    for d in page.items {
        let mut doc = d.body;
        let overdue = r.calendar.working_days_between(doc.problem.due_ms, now);
        let level = doc.problem.escalation_due(
            now,
            overdue,
            i64::from(r.settings.escalate_every_working_days),
        );
        if !doc.problem.escalate(level, now) {
            continue;
        }
        doc.refresh();
        let hall = doc.problem.hall.clone();
        let title = doc.problem.title.clone();
        storage::put(
            PROBLEMS,
            Write::new(doc)
                .id(&d.id)
                .hall(d.hall)
                .expected_version(d.version),
        )?;
        settings::notify(
            &settings::managers_of(&hall),
            &format!(
                "【督办】问题“{title}”已逾期未销号（第{level}次督办），请立即整改并提交整改报告。"
            ),
            "supervision.problem.escalated",
            Some(&hall),
        );
        raised += 1;
    }
    Ok(raised)
}

/// `POST /sweep`: runs the sweep now (district).
pub fn now(req: Request) -> HandlerResult {
    require_district(req.require_caller()?)?;
    let raised = run(clock::now())?;
    Ok(Response::ok(&json!({ "escalated": raised })))
}
