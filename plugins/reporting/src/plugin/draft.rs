//! Drafting: read the month from the other modules, keep it in the report,
//! and render the report's files through the host.

use bantong_hall_kit::document::Document;
use bantong_sdk::documents::{self, Format};
use bantong_sdk::{Error, clock, config, directory, modules};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::month::{Month, date_zh};
use crate::monthly::{self, Narrative};
use crate::sources::{Hall, MonthlyInputs, Problem, Source};
use crate::workflow::Status;

/// The plugin's settings (`[config.schema]` in the manifest).
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// 发文单位, on the cover.
    pub issuer: String,
}

/// The settings, with the manifest's defaults.
pub fn settings() -> Settings {
    config::get::<Settings>().unwrap_or(Settings {
        issuer: "保定市莲池区政务服务管理局".to_owned(),
    })
}

/// One stored file of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub sha256: String,
    pub size: u64,
}

/// A report's three files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Files {
    /// What is issued.
    pub pdf: FileRef,
    /// What offices edit.
    pub docx: FileRef,
    /// The figures.
    pub xlsx: FileRef,
}

/// One step in a report's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub step: String,
    pub by: String,
    pub by_name: String,
    pub at_ms: i64,
    #[serde(default)]
    pub note: String,
}

/// Someone a report is issued to: a leader (by user id) or a hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// `leader` or `hall`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `monthly` (the monthly supervision report).
    pub kind: String,
    pub month: String,
    /// 1 for the first issue, then one more per correction.
    pub version: u32,
    pub title: String,
    pub status: Status,
    /// The figures as read when drafted (or last refreshed).
    pub inputs: MonthlyInputs,
    pub narrative: Narrative,
    /// The files: a preview while drafting, frozen once issued.
    pub files: Option<Files>,
    pub history: Vec<Step>,
    /// Who submitted it last (never its reviewer).
    #[serde(default)]
    pub submitted_by: Option<String>,
    /// Whom it was issued to.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    /// Due by this instant (the end of the 10th of the next month).
    pub due_ms: i64,
    #[serde(default)]
    pub issued_ms: Option<i64>,
    /// Set by the daily check once the due date passed unissued.
    #[serde(default)]
    pub overdue: bool,
    /// When the editors were reminded before the due date.
    #[serde(default)]
    pub reminded_ms: Option<i64>,
    /// The report this version corrects.
    #[serde(default)]
    pub corrects: Option<String>,
    /// What the correction changed (required on a correction).
    #[serde(default)]
    pub what_changed: Option<String>,
    /// The version that replaced this one.
    #[serde(default)]
    pub superseded_by: Option<String>,
}

/// The id of version `version` of the monthly report of `month`.
pub fn report_id(month: Month, version: u32) -> String {
    match version {
        1 => format!("monthly-{month}"),
        n => format!("monthly-{month}-v{n}"),
    }
}

/// Reads a module's route into a [`Source`]: absent when the module is not
/// installed, failed (with the reason) when the read fails.
fn read<T: DeserializeOwned>(plugin: &str, target: &str) -> Source<T> {
    let version = match modules::installed(plugin) {
        Ok(Some(v)) => v,
        Ok(None) => return Source::Absent,
        Err(e) => {
            return Source::Failed {
                error: e.message().to_owned(),
            };
        }
    };
    match modules::get::<T>(plugin, target) {
        Ok(data) => Source::Ready { version, data },
        Err(e) => Source::Failed {
            error: e.message().to_owned(),
        },
    }
}

#[derive(Deserialize)]
struct ProblemPage {
    items: Vec<Problem>,
    total: u64,
}

/// Most problems one report lists (a month of 17 halls has far fewer).
const MAX_PROBLEMS: u64 = 5_000;

/// Every problem of `month`, page by page.
fn problems(month: Month) -> Source<Vec<Problem>> {
    let mut all = Vec::new();
    loop {
        let target = format!("/problems?month={month}&limit=200&offset={}", all.len());
        match read::<ProblemPage>("supervision", &target) {
            Source::Ready { version, data } => {
                let done = data.items.is_empty();
                all.extend(data.items);
                if done || all.len() as u64 >= data.total.min(MAX_PROBLEMS) {
                    return Source::Ready { version, data: all };
                }
            }
            Source::Absent => return Source::Absent,
            Source::Failed { error } => return Source::Failed { error },
        }
    }
}

/// Reads everything the monthly report of `month` is drafted from.
pub fn gather(month: Month) -> MonthlyInputs {
    let now = clock::now();
    MonthlyInputs {
        month: month.to_string(),
        read_ms: now,
        halls: directory::halls()
            .into_iter()
            .map(|h| Hall {
                id: h.id,
                name_zh: h.name_zh,
            })
            .collect(),
        scorecard: read("supervision", &format!("/scorecard?month={month}")),
        problems: problems(month),
        previous_problems: problems(month.previous()),
        hotline: read("hotline", &format!("/kpi?period={month}&as_of={now}")),
    }
}

/// The document of a report, dated `date_ms`.
pub fn document(report: &Report, date_ms: i64) -> Document {
    let mut doc = monthly::document(
        &report.inputs,
        &report.narrative,
        &settings().issuer,
        &date_zh(date_ms),
    );
    if let Some(what) = &report.what_changed {
        // A correction says so on its first page.
        doc.blocks.insert(
            0,
            bantong_hall_kit::document::Block::Paragraph {
                text: format!("（更正版，第{}版。更正内容：{what}）", report.version),
            },
        );
    }
    doc
}

/// Renders the three files.
pub fn render(doc: &Document) -> Result<Files, Error> {
    let file = |format| {
        documents::render(format, doc, None).map(|b| FileRef {
            sha256: b.sha256,
            size: b.size,
        })
    };
    Ok(Files {
        pdf: file(Format::Pdf)?,
        docx: file(Format::Docx)?,
        xlsx: file(Format::Xlsx)?,
    })
}

/// A new draft of `month`'s report (version `version`).
pub fn new_report(month: Month, version: u32, step: Step) -> Result<Report, Error> {
    let inputs = gather(month);
    let mut report = Report {
        kind: "monthly".into(),
        month: month.to_string(),
        version,
        title: monthly::title(month),
        status: Status::Draft,
        inputs,
        narrative: Narrative::default(),
        files: None,
        history: vec![step],
        submitted_by: None,
        recipients: Vec::new(),
        due_ms: month.due_ms(),
        issued_ms: None,
        overdue: false,
        reminded_ms: None,
        corrects: None,
        what_changed: None,
        superseded_by: None,
    };
    report.files = Some(render(&document(&report, clock::now()))?);
    Ok(report)
}
