//! Excel (xlsx) exports of the orders and the KPIs, written by
//! [`bantong_hall_kit::xlsx`] inside the plugin.

use bantong_hall_kit::xlsx::{Cell, Workbook, XlsxError};
use bantong_sdk::storage::{self, Op, Query};
use bantong_sdk::{HandlerResult, Request, Response};

use super::docs::{ORDERS, OrderDoc};
use super::stats::{period_of, report};
use super::{forbidden, invalid, param, sees_all, settings};
use crate::kpi::{Figure, Kpis};
use crate::order::State;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Most orders one export holds; a period with more is refused with a
/// request to narrow it (by day or by state), never cut silently. The
/// workbook is built in the plugin's memory (capped at 128 MiB): writing
/// 50,000 rows natively peaked at 197 MB of heap with `rust_xlsxwriter`,
/// so one file holds at most 20,000 (about 80 MB, estimated linearly).
const MAX_ROWS: u32 = 20_000;
const PAGE: u32 = 1_000;

fn internal(e: XlsxError) -> Response {
    Response::error(500, "internal", e.to_string())
}

fn download(name: &str, bytes: Vec<u8>) -> Response {
    Response::bytes(200, XLSX, bytes).with_header(
        "content-disposition",
        format!("attachment; filename=\"{name}\""),
    )
}

fn opt_text(v: Option<&str>) -> Cell {
    v.map_or(Cell::Empty, |s| Cell::Text(s.to_owned()))
}

fn opt_date(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Date)
}

/// `GET /export/orders.xlsx?period=2025-10&state=`: the orders received in
/// the period, one row each.
pub fn orders(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) {
        return Err(forbidden(
            "无权导出工单",
            "agents, supervisors, leaders and admins only",
        ));
    }
    let (period, _) = period_of(&req)?;
    let Some((start, end)) = period.range_ms() else {
        return Err(invalid(
            "统计期无效",
            format!("period {period} does not exist"),
        ));
    };
    let state = match param(&req, "state") {
        Some(s) => Some(
            serde_json::from_value::<State>(serde_json::json!(s))
                .map_err(|_| Response::bad_request(format!("未知的状态 / unknown state `{s}`")))?,
        ),
        None => None,
    };
    let r = settings::load()?;
    let mut book = Workbook::new();
    let sheet = book.add_sheet("工单").map_err(internal)?;
    sheet
        .header(&[
            "工单号",
            "受理时间",
            "渠道",
            "类别",
            "标题",
            "来电号码",
            "状态",
            "承办单位",
            "签收时限",
            "签收时间",
            "办理时限",
            "答复时间",
            "办结时间",
            "按时办结",
            "督办级别",
            "回访评价",
        ])
        .map_err(internal)?;
    let mut offset = 0;
    loop {
        let page = storage::query::<OrderDoc>(
            &Query::new(ORDERS)
                .filter("received_ms", Op::Ge, start)
                .filter("received_ms", Op::Lt, end)
                .filter_opt("state", Op::Eq, state)
                .sort_asc("received_ms")
                .offset(offset)
                .limit(PAGE),
        )?;
        if offset == 0 && page.total > u64::from(MAX_ROWS) {
            return Err(invalid(
                "本期工单超过 20000 条，请按日或按状态分批导出",
                format!(
                    "{} orders match; one export holds at most {MAX_ROWS}: narrow the period (YYYY-MM-DD) or the state",
                    page.total
                ),
            ));
        }
        let n = u32::try_from(page.items.len()).unwrap_or(PAGE);
        for d in &page.items {
            let o = &d.body.order;
            let category = r
                .catalogue
                .entry(&o.category)
                .and_then(|e| e.name.clone())
                .unwrap_or_else(|| o.category.clone());
            let lead = o
                .lead
                .as_deref()
                .map(|l| r.catalogue.unit(l).map_or(l.to_owned(), |u| u.name.clone()));
            let channel = match d.body.channel {
                super::Channel::Phone => "电话",
                super::Channel::Web => "网页",
                super::Channel::Message => "短信/消息",
            };
            sheet
                .push_row([
                    Cell::Text(o.id.clone()),
                    Cell::Date(o.received_ms),
                    Cell::Text(channel.into()),
                    Cell::Text(category),
                    Cell::Text(o.title.clone()),
                    Cell::Text(if o.confidential {
                        crate::order::CONFIDENTIAL_MASK.into()
                    } else {
                        o.caller_number.clone()
                    }),
                    Cell::Text(o.state.name_zh().into()),
                    opt_text(lead.as_deref()),
                    opt_date(o.sign_due_ms),
                    opt_date(o.signed_ms),
                    opt_date(o.due_ms),
                    opt_date(o.replied_ms),
                    opt_date(o.closed_ms),
                    if o.replied_ms.is_some() {
                        Cell::Text(
                            if d.body.replied_on_time == 1 {
                                "是"
                            } else {
                                "否"
                            }
                            .into(),
                        )
                    } else {
                        Cell::Empty
                    },
                    Cell::Number(f64::from(d.body.supervision)),
                    d.body
                        .rating
                        .map_or(Cell::Empty, |s| Cell::Number(f64::from(s))),
                ])
                .map_err(internal)?;
        }
        offset += n;
        if n < PAGE || offset >= MAX_ROWS {
            break;
        }
    }
    Ok(download(
        &format!("hotline-orders-{period}.xlsx"),
        book.to_bytes().map_err(internal)?,
    ))
}

fn figure_cells(f: &Figure) -> [Cell; 3] {
    f.xlsx_cells()
}

/// A figure's column title and how to find it in a group's KPIs.
type FigureColumn = (&'static str, fn(&Kpis) -> &Figure);

const FIGURES: &[FigureColumn] = &[
    ("人工接通率", |k| &k.answer_rate),
    ("15秒接通率", |k| &k.answered_within),
    ("呼损率", |k| &k.abandon_rate),
    ("平均等待时长(秒)", |k| &k.average_wait),
    ("平均通话时长(秒)", |k| &k.average_handling),
    ("首呼解决率", |k| &k.first_contact_resolution),
    ("按时签收率", |k| &k.on_time_sign),
    ("按时办结率", |k| &k.on_time_completion),
    ("超期率", |k| &k.overdue_rate),
    ("退单率", |k| &k.return_rate),
    ("回访率", |k| &k.callback_rate),
    ("满意率", |k| &k.satisfaction),
];

/// `GET /export/kpi.xlsx?period=`: one sheet with every figure overall,
/// by unit and by category (value, numerator, denominator), and one with
/// the definitions.
pub fn kpi(req: Request) -> HandlerResult {
    let caller = req.require_caller()?;
    if !sees_all(caller) {
        return Err(forbidden(
            "无权导出指标",
            "agents, supervisors, leaders and admins only",
        ));
    }
    let (period, as_of) = period_of(&req)?;
    let r = settings::load()?;
    let report = report(period, as_of, &r.settings.kpi)?;
    let mut book = Workbook::new();
    {
        let sheet = book.add_sheet("指标").map_err(internal)?;
        let mut header = vec!["范围".to_owned(), "名称".to_owned(), "受理量".to_owned()];
        for (name, _) in FIGURES {
            header.push((*name).to_owned());
            header.push(format!("{name}分子"));
            header.push(format!("{name}分母"));
        }
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        sheet.header(&header).map_err(internal)?;
        let mut row = |scope: &str, name: String, k: &Kpis| -> Result<(), Response> {
            let mut cells = vec![
                Cell::Text(scope.into()),
                Cell::Text(name),
                Cell::Number(k.orders_received as f64),
            ];
            for (_, get) in FIGURES {
                cells.extend(figure_cells(get(k)));
            }
            sheet.push_row(cells).map_err(internal)
        };
        row("全区", format!("{period}"), &report.overall)?;
        for (unit, k) in &report.by_hall {
            let name = r
                .catalogue
                .unit(unit)
                .map_or(unit.clone(), |u| u.name.clone());
            row("承办单位", name, k)?;
        }
        for (cat, k) in &report.by_category {
            let name = r
                .catalogue
                .entry(cat)
                .and_then(|e| e.name.clone())
                .unwrap_or_else(|| cat.clone());
            row("诉求类别", name, k)?;
        }
    }
    {
        let sheet = book.add_sheet("口径").map_err(internal)?;
        sheet
            .header(&["指标", "口径 (分子/分母)"])
            .map_err(internal)?;
        for (name, get) in FIGURES {
            sheet
                .push_row([
                    Cell::Text((*name).into()),
                    Cell::Text(get(&report.overall).definition.to_string()),
                ])
                .map_err(internal)?;
        }
    }
    Ok(download(
        &format!("hotline-kpi-{period}.xlsx"),
        book.to_bytes().map_err(internal)?,
    ))
}
