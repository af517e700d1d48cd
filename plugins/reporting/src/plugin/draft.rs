//! Drafting: read the month from the other modules, keep it in the report,
//! and render the report's files through the host.

use bantong_hall_kit::document::Document;
use bantong_sdk::documents::{self, Format};
use bantong_sdk::{Error, clock, config, directory, modules};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::annual::{self, AnnualInputs, MonthRead};
use crate::evaluation::{self, EvaluationInputs};
use crate::generation::Generation;
use crate::month::{Month, date_zh};
use crate::monthly::{self, Narrative};
use crate::operation;
use crate::operation_year::{self, OperationYearInputs};
use crate::period::Period;
use crate::sources::{Hall, MonthlyInputs, OperationInputs, Problem, Source};
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

/// A report's three files, and its pages as images for the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Files {
    /// What is issued.
    pub pdf: FileRef,
    /// What offices edit.
    pub docx: FileRef,
    /// The figures.
    pub xlsx: FileRef,
    /// The PDF's first pages as PNG images, in order (none for files made
    /// before previews existed).
    #[serde(default)]
    pub pages: Vec<FileRef>,
    /// The PDF's page count.
    #[serde(default)]
    pub page_count: u32,
}

/// The files a generation has made so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartFiles {
    #[serde(default)]
    pub pdf: Option<FileRef>,
    #[serde(default)]
    pub docx: Option<FileRef>,
    #[serde(default)]
    pub xlsx: Option<FileRef>,
    #[serde(default)]
    pub pages: Vec<FileRef>,
    #[serde(default)]
    pub page_count: u32,
}

impl PartFiles {
    /// The complete set, once the three files are there.
    pub fn complete(&self) -> Option<Files> {
        Some(Files {
            pdf: self.pdf.clone()?,
            docx: self.docx.clone()?,
            xlsx: self.xlsx.clone()?,
            pages: self.pages.clone(),
            page_count: self.page_count,
        })
    }
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

/// What a report was drafted from, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Inputs {
    Monthly(Box<MonthlyInputs>),
    Annual(AnnualInputs),
    Operation(Box<OperationInputs>),
    Evaluation(Box<EvaluationInputs>),
    OperationYear(Box<OperationYearInputs>),
}

impl Inputs {
    /// When the inputs were read, ms.
    pub fn read_ms(&self) -> i64 {
        match self {
            Inputs::Monthly(m) => m.read_ms,
            Inputs::Annual(a) => a.read_ms,
            Inputs::Operation(o) => o.read_ms,
            Inputs::Evaluation(e) => e.read_ms,
            Inputs::OperationYear(o) => o.months.read_ms,
        }
    }

    /// Each source module's state, for the report's page: (module, state,
    /// detail); for a year, the state of its first month read.
    pub fn sources(&self) -> Vec<(&'static str, &'static str, String)> {
        fn state<T>(s: &Source<T>) -> (&'static str, String) {
            match s {
                Source::Ready { version, .. } => ("ready", format!("版本 {version}")),
                Source::Absent => ("absent", "未安装".to_owned()),
                Source::Failed { error } => ("failed", error.clone()),
            }
        }
        let (supervision, hotline) = match self {
            Inputs::Monthly(m) => (state(&m.scorecard), state(&m.hotline)),
            Inputs::Evaluation(e) => {
                let (s, detail) = state(&e.scorecard);
                return vec![("监督促效", s, detail)];
            }
            Inputs::OperationYear(o) => {
                let first = o.months.months.first();
                let (s, sd) =
                    first.map_or(("absent", "未安装".to_owned()), |m| state(&m.scorecard));
                let (h, hd) =
                    first.map_or(("absent", "未安装".to_owned()), |m| state(&m.hotline));
                return vec![
                    ("监督促效", s, sd),
                    ("一号统领（热线）", h, hd),
                    ("人事管理", state(&o.staffing).0, state(&o.staffing).1),
                    ("培训考试", state(&o.training).0, state(&o.training).1),
                    ("上门办", state(&o.door_service).0, state(&o.door_service).1),
                ];
            }
            Inputs::Operation(o) => {
                return vec![
                    ("监督促效", state(&o.scorecard)),
                    ("一号统领（热线）", state(&o.hotline)),
                    ("人事管理", state(&o.staffing)),
                    ("培训考试", state(&o.training)),
                    ("上门办", state(&o.door_service)),
                ]
                .into_iter()
                .map(|(name, (s, detail))| (name, s, detail))
                .collect();
            }
            Inputs::Annual(a) => match a.months.first() {
                Some(m) => (state(&m.scorecard), state(&m.hotline)),
                None => (
                    ("absent", "未安装".to_owned()),
                    ("absent", "未安装".to_owned()),
                ),
            },
        };
        vec![
            ("监督促效", supervision.0, supervision.1),
            ("一号统领（热线）", hotline.0, hotline.1),
        ]
    }
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `monthly` (the monthly supervision report) or `annual`.
    pub kind: String,
    /// The period: `2026-11` for a month, `2026` for a year.
    pub month: String,
    /// 1 for the first issue, then one more per correction.
    pub version: u32,
    pub title: String,
    pub status: Status,
    /// The figures as read when drafted (or last refreshed); none until
    /// a new draft's generation has read them.
    pub inputs: Option<Inputs>,
    pub narrative: Narrative,
    /// The files: a preview while drafting, frozen once issued.
    pub files: Option<Files>,
    /// The latest generation of the files (see [`crate::generation`]).
    #[serde(default)]
    pub generation: Option<Generation>,
    /// What that generation has made so far; its files replace `files`
    /// when it finishes.
    #[serde(default)]
    pub part_files: PartFiles,
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

impl Report {
    /// The report's period.
    pub fn period(&self) -> Result<Period, String> {
        Period::parse(&self.kind, &self.month)
    }
}

/// Reads a module's route into a [`Source`]: absent when the module is not
/// installed, failed (with the reason) when the read fails.
pub fn read<T: DeserializeOwned>(plugin: &str, target: &str) -> Source<T> {
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

/// Most problems one report lists: a month of 17 halls has far fewer, and
/// the report (which keeps two months of them) stays well under the host's
/// document size limit.
const MAX_PROBLEMS: u64 = 1_000;

/// Every problem of `month`, page by page.
fn problems(month: Month) -> Source<Vec<Problem>> {
    problems_of(month, None)
}

/// The problems of `month`, of one hall or of all, page by page.
pub fn problems_of(month: Month, hall: Option<&str>) -> Source<Vec<Problem>> {
    let hall = hall.map(|h| format!("&hall={h}")).unwrap_or_default();
    let mut all = Vec::new();
    loop {
        let target = format!(
            "/problems?month={month}{hall}&limit=200&offset={}",
            all.len()
        );
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

pub fn halls() -> Vec<Hall> {
    directory::halls()
        .into_iter()
        .map(|h| Hall {
            id: h.id,
            name_zh: h.name_zh,
        })
        .collect()
}

/// Reads everything the monthly report of `month` is drafted from.
pub fn gather_month(month: Month) -> MonthlyInputs {
    let now = clock::now();
    MonthlyInputs {
        month: month.to_string(),
        read_ms: now,
        halls: halls(),
        scorecard: read("supervision", &format!("/scorecard?month={month}")),
        problems: problems(month),
        previous_problems: problems(month.previous()),
        hotline: read("hotline", &format!("/kpi?period={month}&as_of={now}")),
    }
}

/// Reads everything the project operation report of `month` is drafted
/// from: supervision and the hotline, and the month's figures of the
/// staffing, training and door-service modules when they are installed.
pub fn gather_operation(month: Month) -> OperationInputs {
    let now = clock::now();
    OperationInputs {
        month: month.to_string(),
        read_ms: now,
        halls: halls(),
        scorecard: read("supervision", &format!("/scorecard?month={month}")),
        hotline: read("hotline", &format!("/kpi?period={month}&as_of={now}")),
        staffing: read("hr", &format!("/figures?month={month}")),
        training: read("training", &format!("/figures?month={month}")),
        door_service: read("door-service", &format!("/figures?month={month}")),
    }
}

/// Reads what the performance evaluation of `month` is drafted from: the
/// month's scorecard and the one before.
pub fn gather_evaluation(month: Month) -> EvaluationInputs {
    EvaluationInputs {
        month: month.to_string(),
        read_ms: clock::now(),
        halls: halls(),
        scorecard: read("supervision", &format!("/scorecard?month={month}")),
        previous: read(
            "supervision",
            &format!("/scorecard?month={}", month.previous()),
        ),
    }
}

/// Reads the twelve months of `year` (each module's published month).
pub fn gather_year(year: i32) -> AnnualInputs {
    let now = clock::now();
    let months = (1..=12)
        .filter_map(|m| Month::new(year, m))
        .map(|month| MonthRead {
            month: month.to_string(),
            scorecard: read("supervision", &format!("/scorecard?month={month}")),
            hotline: read("hotline", &format!("/kpi?period={month}&as_of={now}")),
        })
        .collect();
    AnnualInputs {
        year,
        read_ms: now,
        halls: halls(),
        months,
    }
}

/// Reads the year's project operation report's inputs: the twelve months
/// and the staffing, training and door-service modules' year.
pub fn gather_operation_year(year: i32) -> OperationYearInputs {
    OperationYearInputs {
        months: gather_year(year),
        staffing: read("hr", &format!("/figures?year={year}")),
        training: read("training", &format!("/figures?year={year}")),
        door_service: read("door-service", &format!("/figures?year={year}")),
    }
}

/// Reads everything a report of `period` is drafted from.
pub fn gather(period: Period) -> Inputs {
    match period {
        Period::Month(m) => Inputs::Monthly(Box::new(gather_month(m))),
        Period::Year(y) => Inputs::Annual(gather_year(y)),
        Period::Operation(m) => Inputs::Operation(Box::new(gather_operation(m))),
        Period::Evaluation(m) => Inputs::Evaluation(Box::new(gather_evaluation(m))),
        Period::OperationYear(y) => Inputs::OperationYear(Box::new(gather_operation_year(y))),
    }
}

/// The document of a report, dated `date_ms`; none before its figures
/// were read.
pub fn document(report: &Report, date_ms: i64) -> Option<Document> {
    let issuer = settings().issuer;
    let date = date_zh(date_ms);
    let mut doc = match report.inputs.as_ref()? {
        Inputs::Monthly(i) => monthly::document(i, &report.narrative, &issuer, &date),
        Inputs::Annual(i) => annual::document(i, &report.narrative, &issuer, &date),
        Inputs::Operation(i) => operation::document(i, &report.narrative, &issuer, &date),
        Inputs::Evaluation(i) => evaluation::document(i, &report.narrative, &issuer, &date),
        Inputs::OperationYear(i) => operation_year::document(i, &report.narrative, &issuer, &date),
    };
    if let Some(what) = &report.what_changed {
        // A correction says so on its first page.
        doc.blocks.insert(
            0,
            bantong_hall_kit::document::Block::Paragraph {
                text: format!("（更正版，第{}版。更正内容：{what}）", report.version),
            },
        );
    }
    Some(doc)
}

/// Renders the three files, stored in `hall` when given (a hall's own
/// document, which its staff may download).
pub fn render_in(doc: &Document, hall: Option<&str>) -> Result<Files, Error> {
    let file = |format| {
        documents::render(format, doc, hall).map(|b| FileRef {
            sha256: b.sha256,
            size: b.size,
        })
    };
    Ok(Files {
        pdf: file(Format::Pdf)?,
        docx: file(Format::Docx)?,
        xlsx: file(Format::Xlsx)?,
        pages: Vec::new(),
        page_count: 0,
    })
}

/// A new draft of the report of `period` (version `version`), without its
/// figures and files: a generation reads and makes them.
pub fn new_report(period: Period, version: u32, step: Step) -> Report {
    Report {
        kind: period.kind().into(),
        month: period.to_string(),
        version,
        title: period.title(),
        status: Status::Draft,
        inputs: None,
        narrative: Narrative::default(),
        files: None,
        generation: None,
        part_files: PartFiles::default(),
        history: vec![step],
        submitted_by: None,
        recipients: Vec::new(),
        due_ms: period.due_ms(),
        issued_ms: None,
        overdue: false,
        reminded_ms: None,
        corrects: None,
        what_changed: None,
        superseded_by: None,
    }
}
