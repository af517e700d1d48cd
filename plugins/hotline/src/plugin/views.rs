//! The portal views. Views that share a `page` spec key are shown together
//! on one screen: the agent workspace (话务工作台) puts the live calls, the
//! knowledge search, the caller history and the intake form side by side.

use bantong_sdk::storage::{AggregateFn, Direction};
use bantong_sdk::{Method, View};
use serde_json::json;

fn page(view: View, id: &str, zh: &str, en: &str) -> View {
    view.set("page", json!({ "id": id, "title_zh": zh, "title_en": en }))
}

const STATES: &[(&str, &str, &str)] = &[
    ("received", "已受理", "Received"),
    ("dispatched", "已派单", "Dispatched"),
    ("signed", "已签收", "Signed"),
    ("in_progress", "办理中", "In progress"),
    ("returned", "退单待审", "Return requested"),
    ("replied", "已答复", "Replied"),
    ("closed", "已办结", "Closed"),
    ("merged", "已并单", "Merged"),
];

/// Every view; ids match the manifest's `[[views]]`.
pub fn all() -> Vec<View> {
    let workspace = |v| page(v, "agent-workspace", "话务工作台", "Agent workspace");
    vec![
        // Tiles on the home page: what to do today, and the month's figures.
        View::list("today", "热线待办", "Hotline to-dos", "/today").set("tiles", true),
        workspace(
            View::list("live-calls", "当前来电", "Incoming calls", "/calls/live")
                .column("caller_number", "来电号码", "Caller")
                .column("seat", "座席", "Seat")
                .column_labelled(
                    "status",
                    "状态",
                    "Status",
                    &[
                        ("queued", "排队中", "Queued"),
                        ("ringing", "振铃", "Ringing"),
                        ("talking", "通话中", "Talking"),
                        ("ended", "已结束", "Ended"),
                    ],
                )
                .column_typed("offered_ms", "呼入时间", "Offered", "datetime")
                .set("refresh_s", 3),
        ),
        workspace(
            View::detail("caller-history", "来电人历史", "Caller history", "/callers/{id}")
                .column("caller_number", "来电号码", "Caller")
                .column("orders", "历史工单", "Orders")
                .column("calls", "历史来电", "Calls"),
        ),
        workspace(
            View::list("knowledge", "知识库检索", "Knowledge search", "/knowledge")
                .column("title", "标题", "Title")
                .column_typed("category", "事项", "Service item", "tag")
                .column("snippet", "摘要", "Snippet")
                .column_typed("version", "版本", "Version", "number")
                .filter_text("q", "关键词", "Search")
                .detail_route("/knowledge/{id}")
                .page_size(10),
        ),
        workspace(
            View::list("service-items", "事项查询", "Service items", "/service-items")
                .column("name", "事项", "Item")
                .column("department", "实施部门", "Department")
                .column("time_limit", "办理时限", "Time limit")
                .column("materials", "申请材料（一次性告知）", "Materials (tell them all at once)")
                .column("ways", "办理方式", "Ways")
                .filter_text("q", "事项名称", "Item name")
                .page_size(10),
        ),
        workspace(
            View::form("new-order", "受理工单", "Take a request", "/orders")
                .method(Method::Post)
                .options_from("category", "/categories")
                .schema(json!({
                    "type": "object",
                    "required": ["category", "title", "caller_number"],
                    "additionalProperties": false,
                    "properties": {
                        "caller_number": { "type": "string", "title": "来电号码", "pattern": "^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})$" },
                        "caller_name": { "type": "string", "title": "来电人", "maxLength": 64 },
                        "category": { "type": "string", "title": "诉求类别" },
                        "title": { "type": "string", "title": "诉求标题", "minLength": 1, "maxLength": 200 },
                        "description": { "type": "string", "title": "诉求内容", "maxLength": 4000 },
                        "hall": { "type": "string", "title": "所涉大厅" },
                        "confidential": { "type": "boolean", "title": "来电人要求保密", "default": false },
                        "dispatch": { "type": "boolean", "title": "立即派单", "default": false },
                        "call_id": { "type": "string", "title": "来电编号" },
                        "knowledge_article": { "type": "string", "title": "引用知识" },
                        "item": { "type": "string", "title": "所涉政务服务事项编码（可在事项查询中查到）", "maxLength": 64 }
                    }
                })),
        ),
        View::list("orders", "工单", "Work orders", "/orders")
            .column("id", "工单号", "Order")
            .column("title", "标题", "Title")
            .column_typed("category", "类别", "Category", "tag")
            .column_typed("state_zh", "状态", "State", "tag")
            .column("lead", "承办单位", "Lead unit")
            .column_typed("received_ms", "受理时间", "Received", "datetime")
            .column_typed("due_ms", "办理时限", "Due", "datetime")
            .column_typed("supervision", "督办级别", "Supervision", "number")
            .filter_select("state", "状态", "State", STATES)
            .filter_text("category", "类别", "Category")
            .filter_text("q", "标题包含", "Title contains")
            .default_sort("received_ms", Direction::Desc)
            .detail_route("/orders/{id}")
            .page_size(20),
        View::detail("order", "工单详情", "Work order", "/orders/{id}")
            .column("title", "标题", "Title")
            .column("item_name", "所涉事项", "Service item")
            .column("state_zh", "状态", "State")
            .column("caller_number", "来电号码", "Caller")
            .column("lead", "承办单位", "Lead unit")
            .column_typed("due_ms", "办理时限", "Due", "datetime")
            .column("reply", "答复", "Reply")
            .set("history_field", "history")
            .set("actions_route", "/orders/{id}/actions"),
        View::board("inbox", "承办工单", "Unit inbox", "/inbox")
            .status_field("state")
            .status_column("dispatched", "待签收", "To sign for")
            .status_column("signed", "已签收", "Signed")
            .status_column("in_progress", "办理中", "In progress")
            .status_column("returned", "退单待审", "Return requested")
            .column("title", "标题", "Title")
            .column_typed("due_ms", "办理时限", "Due", "datetime")
            .detail_route("/orders/{id}"),
        View::board("supervision", "督办看板", "Supervision board", "/supervision")
            .status_field("level")
            .status_column("预警", "临期预警", "Due soon")
            .status_column("超期督办", "超期督办", "Overdue")
            .status_column("升级督办", "升级督办", "Escalated")
            .column("title", "标题", "Title")
            .column("lead", "承办单位", "Lead unit")
            .column_typed("due_ms", "办理时限", "Due", "datetime")
            .detail_route("/orders/{id}"),
        View::action("supervise-now", "立即督办检查", "Run the supervision check", "/supervision/sweep")
            .method(Method::Post)
            .confirm("现在检查所有在办工单的时限吗？", "Check every open order's deadline now?"),
        View::list("callbacks-due", "待回访", "Callbacks due", "/callbacks/due")
            .column("id", "工单号", "Order")
            .column("title", "标题", "Title")
            .column("caller_number", "来电号码", "Caller")
            .column_typed("replied_ms", "答复时间", "Replied", "datetime")
            .detail_route("/orders/{id}"),
        View::list("missed-calls", "漏接回拨", "Missed calls to call back", "/missed-calls")
            .column("caller_number", "来电号码", "Caller")
            .column_typed("offered_ms", "呼入时间", "Offered", "datetime")
            .column_typed("wait_s", "等待(秒)", "Waited (s)", "number"),
        View::list("seats", "座席状态", "Seats", "/seats")
            .column("seat", "座席", "Seat")
            .column_typed("status_zh", "状态", "Status", "tag")
            .column_typed("since_ms", "开始时间", "Since", "datetime")
            .set("refresh_s", 5),
        View::chart("kpi", "热线指标", "Hotline KPIs", "/kpi/chart")
            .chart_type("bar")
            .group_by("lead", "承办单位", "Unit")
            .metric(AggregateFn::Avg, Some("replied_on_time"), "按时办结率(%)", "On-time completion (%)")
            .metric(AggregateFn::Avg, Some("rating"), "满意率(%)", "Satisfaction (%)")
            .metric(AggregateFn::Count, None, "受理量", "Orders received")
            .filter_text("period", "统计期(YYYY-MM)", "Period (YYYY-MM)"),
        View::action("export-orders", "导出工单(Excel)", "Export orders (Excel)", "/export/orders.xlsx")
            .method(Method::Get)
            .set("download", true),
        View::action("export-kpi", "导出指标(Excel)", "Export KPIs (Excel)", "/export/kpi.xlsx")
            .method(Method::Get)
            .set("download", true),
        View::form("new-article", "新增知识", "New article", "/knowledge")
            .method(Method::Post)
            .options_from("category", "/categories")
            .schema(json!({
                "type": "object",
                "required": ["category", "title", "body"],
                "additionalProperties": false,
                "properties": {
                    "category": { "type": "string", "title": "服务事项" },
                    "title": { "type": "string", "title": "标题", "minLength": 1, "maxLength": 200 },
                    "body": { "type": "string", "title": "内容", "minLength": 1, "maxLength": 20000 },
                    "keywords": { "type": "array", "title": "关键词", "items": { "type": "string", "minLength": 1, "maxLength": 32 }, "maxItems": 20 },
                    "status": { "type": "string", "title": "状态", "enum": ["draft", "published", "retired"], "default": "published" }
                }
            })),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        let views = all();
        let mut ids: Vec<&str> = views.iter().map(|v| v.id()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
