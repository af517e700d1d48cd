//! The schedules: the monthly draft on the 1st, and the daily check of the
//! due date (a reminder in the three days before the 10th, overdue after).

use bantong_sdk::storage::{self, Write};
use bantong_sdk::{Response, clock, directory, notices};

use super::REPORTS;
use super::draft::{self, Report, Step};
use crate::month::Month;
use crate::workflow::Status;

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

/// `draft-monthly` (01:30 on the 1st): drafts last month's report, so it is
/// ready when people arrive; nothing when it exists (a retried firing).
pub fn draft_monthly(scheduled_at: i64) -> Result<(), Response> {
    let month = Month::of_ms(scheduled_at).previous();
    let id = draft::report_id(month, 1);
    if storage::get::<serde_json::Value>(REPORTS, &id)?.is_some() {
        return Ok(());
    }
    let report = draft::new_report(month, 1, system_step("drafted", "每月1日自动起草"))?;
    match storage::put(REPORTS, Write::new(report).id(id).create_only()) {
        Ok(_) => Ok(()),
        Err(e) if e.is_conflict() => Ok(()),
        Err(e) => Err(e.into()),
    }
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

/// `deadline` (09:00 daily): last month's report, if not issued, is
/// reminded once in the [`REMIND_DAYS`] days before it is due and marked
/// overdue (with a notice to the editors and the leaders) once it is late.
pub fn deadline(scheduled_at: i64) -> Result<(), Response> {
    let month = Month::of_ms(scheduled_at).previous();
    let id = draft::report_id(month, 1);
    let Some(mut doc) = storage::get::<Report>(REPORTS, &id)? else {
        return Ok(());
    };
    let r = &mut doc.body;
    if matches!(r.status, Status::Issued | Status::Superseded) {
        return Ok(());
    }
    let now = scheduled_at;
    if now >= r.due_ms && !r.overdue {
        r.overdue = true;
        r.history
            .push(system_step("overdue", "已超过报送期限（次月10日）"));
        let text = format!("《{}》已超过报送期限（次月10日）仍未印发。", r.title);
        tell_editors(&text)?;
        for p in directory::people("leader")? {
            if p.district_wide {
                notices::portal(&p.user_id, &text, "reporting.deadline", None)?;
            }
        }
    } else if now < r.due_ms && now >= r.due_ms - REMIND_DAYS * DAY_MS && r.reminded_ms.is_none() {
        r.reminded_ms = Some(now);
        r.history.push(system_step("reminded", "报送期限前提醒"));
        tell_editors(&format!(
            "《{}》须于{}月10日前印发，当前状态：{}。",
            r.title,
            month.next().month,
            r.status.zh()
        ))?;
    } else {
        return Ok(());
    }
    storage::put(
        REPORTS,
        Write::new(doc.body.clone())
            .id(id)
            .expected_version(doc.version),
    )?;
    Ok(())
}
