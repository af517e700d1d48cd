//! `GET /export/problems.xlsx?month=&hall=`: the 问题清单 of a month, one
//! row per problem, grouped by hall (a hall manager gets the own hall's
//! only), with a second sheet of the month's figures and their
//! definitions.

use bantong_hall_kit::figure::Figure;
use bantong_hall_kit::xlsx::{Cell, Workbook, XlsxError};
use bantong_sdk::storage::{self, Op, Query};
use bantong_sdk::{HandlerResult, Request, Response, clock};

use super::docs::{PROBLEMS, ProblemDoc};
use super::{month_param, param, require_reader, settings};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Most problems one export holds (a month of the district has a few
/// hundred; a request beyond this is refused, never cut).
const MAX_ROWS: u64 = 5_000;
const PAGE: u32 = 500;

fn internal(e: XlsxError) -> Response {
    Response::error(500, "internal", e.to_string())
}

pub fn problems(req: Request) -> HandlerResult {
    require_reader(req.require_caller()?)?;
    let now = clock::now();
    let month = month_param(&req, now)?;
    let hall = param(&req, "hall").map(str::to_owned);
    let names = settings::hall_names();
    let query = |offset: u32| {
        Query::new(PROBLEMS)
            .filter("month", Op::Eq, month.to_string())
            .hall(hall.clone())
            .sort_asc("hall")
            .sort_asc("issued_ms")
            .offset(offset)
            .limit(PAGE)
    };
    let first = storage::query::<ProblemDoc>(&query(0))?;
    if first.total > MAX_ROWS {
        return Err(super::invalid(
            "问题过多，请按大厅分别导出",
            format!("{} problems; export per hall", first.total),
        ));
    }
    let mut book = Workbook::new();
    let sheet = book.add_sheet("问题清单").map_err(internal)?;
    sheet
        .header(&[
            "序号",
            "大厅",
            "问题分类",
            "检查项",
            "问题",
            "问题描述",
            "来源",
            "下发时间",
            "整改期限",
            "状态",
            "签收时间",
            "整改报告提交时间",
            "销号时间",
            "是否按期",
            "屡查屡犯",
            "督办次数",
        ])
        .map_err(internal)?;
    let mut page = first;
    let mut offset = 0u32;
    let mut row = 0u32;
    loop {
        for d in &page.items {
            let p = &d.body.problem;
            row += 1;
            let opt = |v: Option<i64>| v.map_or(Cell::Empty, Cell::Date);
            sheet
                .push_row([
                    Cell::Number(f64::from(row)),
                    Cell::Text(
                        names
                            .get(&p.hall)
                            .cloned()
                            .unwrap_or_else(|| p.hall.clone()),
                    ),
                    Cell::Text(p.category.clone()),
                    p.item.clone().map_or(Cell::Empty, Cell::Text),
                    Cell::Text(p.title.clone()),
                    Cell::Text(p.detail.clone()),
                    Cell::Text(p.source.zh().into()),
                    Cell::Date(p.issued_ms),
                    Cell::Date(p.due_ms),
                    Cell::Text(p.state.zh().into()),
                    opt(p.signed_ms),
                    opt(p.reported_ms),
                    opt(p.closed_ms),
                    match p.closed_ms {
                        Some(_) => Cell::Text(if p.closed_on_time() { "是" } else { "否" }.into()),
                        None if p.is_overdue(now) => Cell::Text("已逾期".into()),
                        None => Cell::Empty,
                    },
                    Cell::Text(if p.recurrent { "是" } else { "" }.into()),
                    Cell::Number(f64::from(p.escalation)),
                ])
                .map_err(internal)?;
        }
        let n = u32::try_from(page.items.len()).unwrap_or(PAGE);
        offset += n;
        if n < PAGE {
            break;
        }
        page = storage::query::<ProblemDoc>(&query(offset))?;
    }
    let figures = super::scorecard::month_figures(month)?;
    let sheet = book.add_sheet("指标").map_err(internal)?;
    sheet
        .header(&["指标", "值", "分子", "分母", "口径"])
        .map_err(internal)?;
    if let Some(overall) = figures["overall"].as_object() {
        for (key, zh) in [
            ("coverage", "月覆盖率"),
            ("completion", "整改完成率"),
            ("on_time", "按期整改率"),
            ("recurrence", "屡查屡犯率"),
            ("callback_rate", "实名差评回访率"),
            ("score", "平均得分"),
        ] {
            let Some(f) = overall
                .get(key)
                .and_then(|v| serde_json::from_value::<Figure>(v.clone()).ok())
            else {
                continue;
            };
            let [value, numerator, denominator] = f.xlsx_cells();
            sheet
                .push_row([
                    Cell::Text(zh.into()),
                    value,
                    numerator,
                    denominator,
                    Cell::Text(f.definition.to_string()),
                ])
                .map_err(internal)?;
        }
    }
    let name = match &hall {
        Some(h) => format!("问题清单-{month}-{h}.xlsx"),
        None => format!("问题清单-{month}.xlsx"),
    };
    Ok(
        Response::bytes(200, XLSX, book.to_bytes().map_err(internal)?).with_header(
            "content-disposition",
            format!("attachment; filename*=UTF-8''{}", percent(&name)),
        ),
    )
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
