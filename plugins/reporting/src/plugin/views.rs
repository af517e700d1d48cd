//! The portal views; ids match the manifest's `[[views]]`.

use bantong_sdk::{Method, View};
use serde_json::json;

const STATUSES: &[(&str, &str, &str)] = &[
    ("draft", "草稿", "Draft"),
    ("in_review", "待审核", "In review"),
    ("reviewed", "待审批", "Awaiting approval"),
    ("approved", "待印发", "Approved"),
    ("issued", "已印发", "Issued"),
    ("superseded", "已更正", "Superseded"),
];

const KINDS: &[(&str, &str, &str)] = &[
    ("monthly", "监督检查月报", "Supervision report"),
    ("annual", "年度工作报告", "Annual report"),
    ("operation", "项目运行报告", "Operation report"),
    ("evaluation", "绩效考评报告", "Performance evaluation"),
    (
        "annual_operation",
        "年度项目运行报告",
        "Annual operation report",
    ),
];

pub fn all() -> Vec<View> {
    vec![
        View::list("reports", "监督检查报告", "Supervision reports", "/reports")
            .column("month", "期间", "Period")
            .column("title", "报告", "Report")
            .column_typed("version", "版次", "Version", "number")
            .column("status_zh", "状态", "Status")
            .column("due_text", "报送期限", "Due")
            .column_typed("issued_ms", "印发时间", "Issued", "datetime")
            .column_typed("progress", "文件", "Files", "progress")
            .column_typed("pdf", "PDF", "PDF", "file")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .filter_select("status", "状态", "Status", STATUSES)
            .filter_select("kind", "报告类型", "Report", KINDS)
            .detail_route("/reports/{id}"),
        View::detail("report", "报告详情", "Report", "/reports/{id}")
            .column("title", "报告", "Report")
            .column("month", "月份", "Month")
            .column_typed("version", "版次", "Version", "number")
            .column("status_zh", "状态", "Status")
            .column_typed("progress", "文件生成", "Files", "progress")
            .column("due_text", "报送期限", "Due")
            .column_typed("figures_read_ms", "数据读取时间", "Figures read", "datetime")
            .column_typed("pdf", "PDF（印发稿）", "PDF (issued form)", "file")
            .column_typed("docx", "Word（可编辑）", "Word (editable)", "file")
            .column_typed("xlsx", "Excel（数据）", "Excel (figures)", "file")
            .column("what_changed", "更正内容", "Correction")
            .column_typed("received", "已签收", "Receipts", "number")
            .column_typed("pages", "预览（PDF 各页）", "Preview (the PDF's pages)", "pages")
            .column("preview_note", "预览说明", "About the preview")
            .set("history_field", "history")
            .set("actions_route", "/reports/{id}/actions")
            // The page reloads itself while the files are being made.
            .set("refresh_while", "generating"),
        View::form("draft-report", "起草月报", "Draft a monthly report", "/reports")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["month"],
                "additionalProperties": false,
                "properties": {
                    "month": { "type": "string", "title": "月份(YYYY-MM)", "pattern": "^[0-9]{4}-[0-9]{2}$" },
                    "kind": {
                        "type": "string", "title": "报告类型", "x-title-en": "Report",
                        "enum": ["monthly", "operation", "evaluation"], "default": "monthly",
                        "x-enum-labels": {
                            "monthly": { "zh": "监督检查月报", "en": "Supervision report" },
                            "operation": { "zh": "项目运行报告（含绩效考评）", "en": "Operation report (with evaluation)" },
                            "evaluation": { "zh": "绩效考评报告", "en": "Performance evaluation report" }
                        }
                    }
                }
            })),
        View::list("problem-lists", "各中心问题清单", "Halls' problem lists", "/problem-lists")
            .column("title", "问题清单", "List")
            .column_typed("problems", "问题数", "Problems", "number")
            .column_typed("open", "未销号", "Open", "number")
            .column_typed("made_ms", "制作时间", "Made", "datetime")
            .column_typed("pdf", "PDF", "PDF", "file")
            .column_typed("docx", "Word", "Word", "file")
            .column_typed("xlsx", "Excel", "Excel", "file")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)"),
        View::form(
            "make-problem-list",
            "制作问题清单",
            "Make a hall's problem list",
            "/problem-lists",
        )
        .method(Method::Post)
        .schema(json!({
            "type": "object",
            "required": ["month", "hall"],
            "additionalProperties": false,
            "properties": {
                "month": { "type": "string", "title": "月份(YYYY-MM)", "pattern": "^[0-9]{4}-[0-9]{2}$" },
                "hall": { "type": "string", "title": "服务中心", "x-title-en": "Hall" }
            }
        }))
        .options_from("hall", "/halls"),
        View::form("draft-annual", "起草年度报告", "Draft an annual report", "/reports")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["year"],
                "additionalProperties": false,
                "properties": {
                    "year": { "type": "integer", "title": "年份", "minimum": 2000, "maximum": 2100 },
                    "kind": {
                        "type": "string", "title": "报告类型", "x-title-en": "Report",
                        "enum": ["annual", "operation"], "default": "annual",
                        "x-enum-labels": {
                            "annual": { "zh": "年度监督检查工作报告", "en": "Annual supervision report" },
                            "operation": { "zh": "年度项目运行报告（含年度绩效考评）", "en": "Annual operation report (with the year's evaluation)" }
                        }
                    }
                }
            })),
        View::form("report-narrative", "编辑文字部分", "Edit the paragraphs", "/reports/{id}")
            .method(Method::Put)
            .schema(json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "overview": { "type": "string", "title": "概况（补充；年报为全年工作概况）", "maxLength": 5000 },
                    "evaluation": { "type": "string", "title": "总体评价（年报为存在的主要问题）", "maxLength": 5000 },
                    "next_steps": { "type": "string", "title": "下步工作与整改要求（年报为意见建议；留空用标准表述）", "maxLength": 5000 }
                }
            })),
        View::form("report-action", "审核、审批与印发", "Review, approve, issue", "/reports/{id}/actions")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["action"],
                "properties": {
                    "action": { "type": "string", "title": "操作",
                        "enum": ["submit", "review", "approve", "return", "issue"],
                        "x-enum-labels": {
                            "submit": "提交审核", "review": "审核通过", "approve": "审批同意",
                            "return": "退回修改", "issue": "印发"
                        } },
                    "reason": { "type": "string", "title": "退回理由", "maxLength": 500 }
                }
            })),
        View::form("report-refresh", "重新读取数据", "Read the figures again", "/reports/{id}/refresh")
            .method(Method::Post)
            .schema(json!({ "type": "object", "additionalProperties": false, "properties": {} }))
            .confirm(
                "用当前数据重新生成草稿中的全部数据和文件？（已提交的报告只重新生成上次失败的文件）",
                "Read every figure of the draft again and make its files? (A submitted report only makes again files whose generation failed.)",
            ),
        View::form("report-correct", "更正已印发报告", "Correct an issued report", "/reports/{id}/correct")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["what_changed"],
                "additionalProperties": false,
                "properties": {
                    "what_changed": { "type": "string", "title": "更正内容", "minLength": 1, "maxLength": 500 }
                }
            })),
        View::form("report-receipt", "签收", "Confirm receipt", "/reports/{id}/receipt")
            .method(Method::Post)
            .schema(json!({ "type": "object", "additionalProperties": false, "properties": {} })),
        View::list("inbox", "收文（已印发报告）", "Reports issued to me", "/inbox")
            .column("month", "月份", "Month")
            .column("title", "报告", "Report")
            .column_typed("version", "版次", "Version", "number")
            .column_typed("issued_ms", "印发时间", "Issued", "datetime")
            .column_typed("pdf", "PDF", "PDF", "file")
            .column_typed("received", "已签收", "Received", "bool")
            .detail_route("/reports/{id}"),
    ]
}
