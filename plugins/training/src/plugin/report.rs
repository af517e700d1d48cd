//! `GET /reports/monthly.{pdf,docx,xlsx}?month=YYYY-MM` (default: this
//! month): the 月考月报, drafted from what the month's closed exams
//! recorded, the month's figures and the staff's mastery, rendered by the
//! host.

use std::collections::BTreeMap;

use bantong_sdk::documents::{self, Format};
use bantong_sdk::storage::{Op, Query};
use bantong_sdk::{HandlerResult, Request, Response, blobs, clock, directory};

use super::bank::all;
use super::docs::{EXAMS, ExamDoc, MASTERY, MasteryDoc, day_of, month_of};
use super::{invalid, param, require_reader, settings};
use crate::mastery::Tally;
use crate::report::{ExamLine, Inputs, document, month_zh};

fn format_of(path: &str) -> Option<(Format, &'static str, &'static str)> {
    let ext = path.rsplit('.').next()?;
    Some(match ext {
        "pdf" => (Format::Pdf, "application/pdf", "pdf"),
        "docx" => (
            Format::Docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        "xlsx" => (
            Format::Xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => return None,
    })
}

/// The report's inputs for `month`.
pub fn inputs(month: &str) -> Result<Inputs, Response> {
    let exams = all::<ExamDoc>(
        Query::new(EXAMS)
            .filter("month", Op::Eq, month)
            .sort_asc("opens_ms"),
        2_000,
    )?;
    let counted: Vec<&ExamDoc> = exams
        .iter()
        .map(|d| &d.body)
        .filter(|d| d.exam.setting.kind.counts() && !d.exam.cancelled)
        .collect();
    let lines: Vec<ExamLine> = counted
        .iter()
        .map(|d| ExamLine {
            title: d.exam.setting.title.clone(),
            kind_zh: d.exam.setting.kind.zh().to_owned(),
            date: day_of(d.exam.setting.opens_ms),
            questions: d.exam.slots.len() as u32,
            marks: d.exam.marks(),
            expected: d.exam.candidates.len() as u32,
            outcome: d.outcome.clone(),
        })
        .collect();
    let (overall, per_hall) = super::figures::period_figures(month)?;
    let mut knowledge: BTreeMap<String, Tally> = BTreeMap::new();
    for m in all::<MasteryDoc>(Query::new(MASTERY).filter("month", Op::Eq, month), 50_000)? {
        for (k, t) in m.body.points {
            knowledge.entry(k).or_default().merge(t);
        }
    }
    let line = f64::from(settings::load()?.gap_percent) / 100.0;
    Ok(Inputs {
        month: month.to_owned(),
        halls: directory::halls()
            .into_iter()
            .map(|h| (h.id, h.name_zh))
            .collect(),
        exams: lines,
        overall,
        per_hall,
        knowledge,
        line,
    })
}

pub fn monthly(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let (format, content_type, ext) =
        format_of(&req.path).ok_or_else(|| invalid("格式应为 pdf、docx 或 xlsx"))?;
    let now = clock::now();
    let month = param(&req, "month")
        .map(str::to_owned)
        .unwrap_or_else(|| month_of(now));
    super::figures::check_month(&month)?;
    let inputs = inputs(&month)?;
    let (y, m, d) = bantong_hall_kit::time::local_date(now);
    let doc = document(&inputs, "区政务服务中心", &format!("{y}年{m}月{d}日"));
    let file = documents::render(format, &doc, None)?;
    let (_, bytes) = blobs::get(&file.sha256)?
        .ok_or_else(|| Response::error(500, "render", "rendered file is missing"))?;
    let name = format!("training-report-{month}.{ext}");
    Ok(Response::bytes(200, content_type, bytes).with_header(
        "content-disposition",
        format!(
            "attachment; filename=\"{name}\"; filename*=UTF-8''{}",
            percent(&format!("{}月考月报.{ext}", month_zh(&month)))
        ),
    ))
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
