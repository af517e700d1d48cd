//! A report's files made in the background: the request (or schedule)
//! that needs new files starts a [`Generation`] and publishes its first
//! stage as an event to this plugin; each delivery runs one stage in a
//! call of its own, keeps what it made and publishes the next. The portal
//! shows the progress on the report's page meanwhile.

use bantong_sdk::documents::{self, Format};
use bantong_sdk::storage::{self, Write};
use bantong_sdk::{Error, Event, Response, clock, events};
use serde::{Deserialize, Serialize};

use super::REPORTS;
use super::draft::{self, FileRef, PartFiles, Report};
use crate::generation::{Generation, Stage};

/// The pages the preview shows: a report's text and tables come first;
/// its appendices (a month's 问题清单 runs to a hundred pages) are read in
/// the PDF.
pub const PREVIEW_PAGES: u32 = 30;

/// The topic of a generation's stages (published and subscribed by this
/// plugin only).
pub const TOPIC: &str = "reporting.generate";

/// One stage to run.
#[derive(Debug, Serialize, Deserialize)]
struct StageEvent {
    report: String,
    token: String,
    stage: Stage,
}

/// Starts a new generation of `report`'s files (stored under `id`),
/// requested by `by`: reading the figures again when `gather`, else only
/// rendering the text again. Its first stage is published with the call's
/// unit of work, so it runs only if the report is saved.
pub fn start(id: &str, report: &mut Report, gather: bool, by: &str) -> Result<(), Error> {
    let now = clock::now();
    // Unique per report: the number of steps in its history only grows.
    let token = format!("{}-{now}", report.history.len());
    let generation = Generation::start(token.clone(), gather, by, now);
    let stage = generation.next.unwrap_or(Stage::Pdf);
    report.generation = Some(generation);
    report.part_files = PartFiles::default();
    events::publish(
        TOPIC,
        None::<&str>,
        &StageEvent {
            report: id.to_owned(),
            token,
            stage,
        },
    )?;
    Ok(())
}

/// Whether `report`'s files are being made now.
pub fn running(report: &Report) -> bool {
    report.generation.as_ref().is_some_and(Generation::running)
}

/// Runs the stage an event names, if it is still the report's next one
/// (a stale or repeated delivery does nothing). A stage that fails stops
/// the generation with the reason shown on the report's page; only a
/// storage failure is an error (the delivery is then retried).
pub fn on_stage(ev: &Event) -> Result<(), Response> {
    if ev.source != "reporting" {
        return Ok(());
    }
    let Ok(e) = serde_json::from_str::<StageEvent>(&ev.payload) else {
        return Ok(());
    };
    let Some(mut doc) = storage::get::<Report>(REPORTS, &e.report)? else {
        return Ok(());
    };
    let report = &mut doc.body;
    let Some(generation) = report.generation.clone() else {
        return Ok(());
    };
    if !generation.expects(&e.token, e.stage) {
        return Ok(());
    }
    let outcome = run(e.stage, report, generation.requested_ms);
    let now = clock::now();
    let next = match (&outcome, report.generation.as_mut()) {
        (Ok(()), Some(g)) => g.advance(e.stage, now),
        (Err(why), Some(g)) => {
            g.fail(e.stage, why, now);
            None
        }
        _ => None,
    };
    if outcome.is_ok() && next.is_none() {
        // Done: the new files replace the old ones together.
        if let Some(files) = report.part_files.complete() {
            report.files = Some(files);
        }
    }
    if let Some(stage) = next {
        events::publish(
            TOPIC,
            None::<&str>,
            &StageEvent {
                report: e.report.clone(),
                token: e.token.clone(),
                stage,
            },
        )?;
    }
    storage::put(
        REPORTS,
        Write::new(doc.body)
            .id(doc.id)
            .expected_version(doc.version),
    )?;
    Ok(())
}

/// Runs one stage on `report`; the files are dated `date_ms` (when the
/// generation was asked for).
fn run(stage: Stage, report: &mut Report, date_ms: i64) -> Result<(), String> {
    if stage == Stage::Gather {
        let period = report.period()?;
        report.inputs = Some(draft::gather(period));
        return Ok(());
    }
    let doc = draft::document(report, date_ms).ok_or("报告尚无数据 / no figures read")?;
    let file = |format| {
        documents::render(format, &doc, None)
            .map(|b| FileRef {
                sha256: b.sha256,
                size: b.size,
            })
            .map_err(|e| e.to_string())
    };
    let part = &mut report.part_files;
    match stage {
        Stage::Gather => {}
        Stage::Pdf => part.pdf = Some(file(Format::Pdf)?),
        Stage::Docx => part.docx = Some(file(Format::Docx)?),
        Stage::Xlsx => part.xlsx = Some(file(Format::Xlsx)?),
        Stage::Pages => {
            let drawn =
                documents::render_pages(&doc, None, PREVIEW_PAGES).map_err(|e| e.to_string())?;
            part.page_count = drawn.total;
            part.pages = drawn
                .pages
                .into_iter()
                .map(|b| FileRef {
                    sha256: b.sha256,
                    size: b.size,
                })
                .collect();
        }
    }
    Ok(())
}
