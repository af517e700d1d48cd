//! The schedules: last month's report drafted on the 1st, last year's on 5
//! January, and the daily check of every unissued report's due date (a
//! reminder in the three days before, overdue after).

use bantong_sdk::storage::{self, Op, Query, Write};
use bantong_sdk::{Response, clock, directory, notices};

use super::REPORTS;
use super::draft::{self, Report, Step};
use super::generate;
use crate::month::Month;
use crate::period::Period;

const DAY_MS: i64 = 86_400_000;

/// Reminders start this many days before the due date.
pub const REMIND_DAYS: i64 = 3;

fn system_step(step: &str, note: &str) -> Step {
    Step {
        step: step.into(),
        by: "system".into(),
        by_name: "系统".into(),
        at_ms: clock::now(),
        note: note.into(),
    }
}

/// Drafts the first version of `period`'s report unless it exists (a
/// retried firing drafts nothing).
fn draft_once(period: Period, note: &str) -> Result<(), Response> {
    let id = period.report_id(1);
    if storage::get::<serde_json::Value>(REPORTS, &id)?.is_some() {
        return Ok(());
    }
    let mut report = draft::new_report(period, 1, system_step("drafted", note));
    // Its figures and files are made in the background, stage by stage.
    generate::start(&id, &mut report, true, "system")?;
    match storage::put(REPORTS, Write::new(report).id(id).create_only()) {
        Ok(_) => Ok(()),
        // Drafted meanwhile by another host: the stage event published
        // above names a generation that report does not have, and does
        // nothing.
        Err(e) if e.is_conflict() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `draft-monthly` (01:30 on the 1st): last month's report, ready when
/// people arrive.
pub fn draft_monthly(scheduled_at: i64) -> Result<(), Response> {
    let month = Month::of_ms(scheduled_at).previous();
    draft_once(Period::Month(month), "每月1日自动起草")
}

/// `draft-operation` (01:45 on the 1st): last month's project operation
/// report, in a call of its own (each report has the whole call's time).
pub fn draft_operation(scheduled_at: i64) -> Result<(), Response> {
    let month = Month::of_ms(scheduled_at).previous();
    draft_once(Period::Operation(month), "每月1日自动起草")
}

/// `draft-evaluation` (02:00 on the 1st): last month's performance
/// evaluation report.
pub fn draft_evaluation(scheduled_at: i64) -> Result<(), Response> {
    let month = Month::of_ms(scheduled_at).previous();
    draft_once(Period::Evaluation(month), "每月1日自动起草")
}

/// `draft-annual` (02:00 on 5 January): last year's report.
pub fn draft_annual(scheduled_at: i64) -> Result<(), Response> {
    let year = Month::of_ms(scheduled_at).year - 1;
    draft_once(Period::Year(year), "每年1月5日自动起草")
}

/// `draft-annual-operation` (02:15 on 5 January): last year's project
/// operation report.
pub fn draft_annual_operation(scheduled_at: i64) -> Result<(), Response> {
    let year = Month::of_ms(scheduled_at).year - 1;
    draft_once(Period::OperationYear(year), "每年1月5日自动起草")
}

/// Tells the district's editors (inspectors and admins).
fn tell_editors(text: &str) -> Result<(), Response> {
    let mut told = Vec::new();
    for role in ["district-admin", "inspector"] {
        for p in directory::people(role)? {
            if p.district_wide && !told.contains(&p.user_id) {
                notices::portal(&p.user_id, text, "reporting.deadline", None)?;
                told.push(p.user_id);
            }
        }
    }
    Ok(())
}

/// `deadline` (09:00 daily): every report not yet issued is reminded once
/// in the [`REMIND_DAYS`] days before it is due, and marked overdue (with a
/// notice to the editors and the leaders) once it is late.
pub fn deadline(scheduled_at: i64) -> Result<(), Response> {
    // Last month's report should exist from the 1st: if drafting failed,
    // say so every morning until someone drafts it.
    let last = Period::Month(Month::of_ms(scheduled_at).previous());
    if storage::get::<serde_json::Value>(REPORTS, &last.report_id(1))?.is_none() {
        tell_editors(&format!(
            "《{}》未能自动起草，请在“起草月报”中手工起草。",
            last.title()
        ))?;
    }
    let open = storage::query::<Report>(
        &Query::new(REPORTS)
            .filter(
                "status",
                Op::AnyOf,
                ["draft", "in_review", "reviewed", "approved"],
            )
            .sort_asc("month")
            .limit(100),
    )?;
    for doc in open.items {
        let mut r = doc.body;
        let now = scheduled_at;
        if now >= r.due_ms && !r.overdue {
            r.overdue = true;
            r.history.push(system_step("overdue", "已超过报送期限"));
            let text = format!("《{}》已超过报送期限仍未印发。", r.title);
            tell_editors(&text)?;
            for p in directory::people("leader")? {
                if p.district_wide {
                    notices::portal(&p.user_id, &text, "reporting.deadline", None)?;
                }
            }
        } else if now < r.due_ms
            && now >= r.due_ms - REMIND_DAYS * DAY_MS
            && r.reminded_ms.is_none()
        {
            r.reminded_ms = Some(now);
            r.history.push(system_step("reminded", "报送期限前提醒"));
            tell_editors(&format!(
                "《{}》须于{}前印发，当前状态：{}。",
                r.title,
                crate::month::date_zh(r.due_ms - 1),
                r.status.zh()
            ))?;
        } else {
            continue;
        }
        storage::put(
            REPORTS,
            Write::new(r).id(doc.id).expected_version(doc.version),
        )?;
    }
    Ok(())
}
