//! The portal views; ids match the manifest's `[[views]]`.

use bantong_sdk::{Method, View};
use serde_json::json;

const PROBLEM_STATES: &[(&str, &str, &str)] = &[
    ("issued", "已下发", "Issued"),
    ("rectifying", "整改中", "Rectifying"),
    ("reported", "待复查", "Report in"),
    ("closed", "已销号", "Closed"),
];

const SOURCES: &[(&str, &str, &str)] = &[
    ("inspection", "实地检查", "Inspection"),
    ("camera", "视频巡查", "Camera review"),
    ("rating", "差评核实", "Bad rating"),
    ("survey", "满意度调查", "Survey"),
    ("hotline", "热线投诉", "Hotline complaint"),
    ("manual", "专项督查", "Special check"),
];

const FOLLOWUP_STATES: &[(&str, &str, &str)] = &[
    ("verifying", "待核实", "To verify"),
    ("rectifying", "整改中", "Rectifying"),
    ("calling_back", "待回访", "To call back"),
    ("appealed", "申诉中", "Appealed"),
    ("closed", "已办结", "Closed"),
    ("excluded", "已剔除", "Excluded"),
];

const CHANNELS: &[(&str, &str, &str)] = &[
    ("on_site", "现场扫码", "On site (QR)"),
    ("phone", "电话调查", "Phone"),
    ("online", "网上调查", "Online"),
];

pub fn all() -> Vec<View> {
    vec![
        View::list("today", "监督待办", "Supervision to-dos", "/today").set("tiles", true),
        View::list("scorecard", "大厅月度排名", "Monthly hall ranking", "/scorecard")
            .column_typed("rank", "排名", "Rank", "number")
            .column("hall_name", "大厅", "Hall")
            .column("score_text", "月度得分", "Score")
            .column_typed("change", "环比(分)", "Change (points)", "number")
            .column_typed("rank_change", "名次变化", "Rank change", "number")
            .column_typed("visits", "检查次数", "Visits", "number")
            .column_typed("problems", "发现问题", "Problems", "number")
            .column("completion_text", "整改完成率", "Rectified")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .set("note_field", "rule"),
        View::list("plan", "月覆盖检查计划", "Monthly coverage plan", "/plans")
            .column("hall_name", "大厅", "Hall")
            .column("planned_text", "计划检查（日期 检查人）", "Planned (date, inspector)")
            .column_typed("done", "已完成月覆盖检查", "Routine visits done", "number")
            .column_labelled(
                "status",
                "状态",
                "Status",
                &[
                    ("covered", "已覆盖", "Covered"),
                    ("planned", "已计划", "Planned"),
                    ("overdue", "逾期未检", "Overdue"),
                    ("unplanned", "未计划", "Not planned"),
                ],
            )
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)"),
        View::form("make-plan", "制定月度检查计划", "Plan a month", "/plans")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["month"],
                "additionalProperties": false,
                "properties": {
                    "month": { "type": "string", "title": "月份(YYYY-MM)", "pattern": "^[0-9]{4}-[0-9]{2}$" },
                    "replace": { "type": "boolean", "title": "重新制定（覆盖已有计划）", "default": false }
                }
            })),
        View::form("add-visit", "安排专项/临时检查", "Add a special or ad hoc visit", "/plans/visits")
            .method(Method::Post)
            .options_from("hall", "/halls")
            .schema(json!({
                "type": "object",
                "required": ["hall", "date", "kind"],
                "additionalProperties": false,
                "properties": {
                    "hall": { "type": "string", "title": "大厅" },
                    "date": { "type": "string", "title": "日期(YYYY-MM-DD)", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
                    "kind": { "type": "string", "title": "检查类型", "enum": ["special", "adhoc"], "x-enum-labels": { "special": { "zh": "专项检查", "en": "Special" }, "adhoc": { "zh": "临时检查", "en": "Ad hoc" } } }
                }
            })),
        // The checklist on the inspector's phone: the portal links to the
        // field app, which keeps the visit and its photos on the device
        // until the network is back and saves under the device's own id.
        View::form("inspect", "现场检查", "Field inspection", "/inspections/{id}")
            .method(Method::Put)
            .set(
                "field",
                json!({
                    "template": "/templates/current",
                    "save": "/inspections/{id}",
                    "sign": "/inspections/{id}/sign",
                    "subject": "hall",
                }),
            ),
        View::list("inspections", "检查记录", "Inspections", "/inspections")
            .column("hall_name", "大厅", "Hall")
            .column("kind_zh", "类型", "Kind")
            .column("inspector_name", "检查人", "Inspector")
            .column_typed("started_ms", "开始时间", "Started", "datetime")
            .column("status_zh", "状态", "Status")
            .column("score_text", "得分", "Score")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .detail_route("/inspections/{id}"),
        View::detail("inspection", "检查详情", "Inspection", "/inspections/{id}")
            .column("hall", "大厅", "Hall")
            .column("kind_zh", "类型", "Kind")
            .column("inspector_name", "检查人", "Inspector")
            .column_typed("signed_ms", "签字时间", "Signed", "datetime")
            .column("score_text", "得分", "Score")
            .column("rule", "计分规则", "Scoring rule")
            .column_typed("template_version", "检查表版本", "Template version", "number"),
        View::list("problems", "问题清单", "Problem list", "/problems")
            .column("hall_name", "大厅", "Hall")
            .column_typed("category", "问题分类", "Category", "tag")
            .column("title", "问题", "Problem")
            .column("source_zh", "来源", "Source")
            .column("state_zh", "状态", "State")
            .column_typed("due_ms", "整改期限", "Due", "datetime")
            .column("flags", "标记", "Flags")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .filter_text("hall", "大厅编号", "Hall id")
            .filter_select("state", "状态", "State", PROBLEM_STATES)
            .filter_select("source", "来源", "Source", SOURCES)
            .filter_text("category", "问题分类", "Category")
            .detail_route("/problems/{id}"),
        View::detail("problem", "问题详情", "Problem", "/problems/{id}")
            .column("hall_name", "大厅", "Hall")
            .column("category", "问题分类", "Category")
            .column("item", "检查项", "Checklist item")
            .column("title", "问题", "Problem")
            .column("detail", "问题描述", "What was found")
            .column("source_zh", "来源", "Source")
            .column("state_zh", "状态", "State")
            .column_typed("due_ms", "整改期限", "Due", "datetime")
            .column("flags", "标记", "Flags")
            .column_typed("escalation", "督办次数", "Escalations", "number")
            .column_typed("photos", "佐证照片", "Evidence", "image")
            .column_typed("report_file", "整改报告", "Rectification report", "file")
            .set("history_field", "history")
            .set("actions_route", "/problems/{id}/actions"),
        View::form("problem-action", "处理问题", "Act on a problem", "/problems/{id}/actions")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["action"],
                "properties": {
                    "action": { "type": "string", "title": "操作", "enum": ["sign", "report", "pass", "return"],
                        "x-enum-labels": {
                            "sign": { "zh": "签收", "en": "Sign" },
                            "report": { "zh": "提交整改报告", "en": "Submit the report" },
                            "pass": { "zh": "复查通过，销号", "en": "Pass and close" },
                            "return": { "zh": "复查退回", "en": "Return" }
                        } },
                    "report": { "type": "object", "title": "整改报告（加盖公章的扫描件）", "properties": {
                        "sha256": { "type": "string", "title": "扫描件（PDF 或图片）", "contentMediaType": "application/pdf,image/jpeg,image/png" },
                        "note": { "type": "string", "title": "整改说明", "maxLength": 1000 } } },
                    "reason": { "type": "string", "title": "退回理由", "maxLength": 1000 },
                    "note": { "type": "string", "title": "复查意见", "maxLength": 1000 }
                }
            })),
        View::list("candidates", "视频巡查线索", "Camera findings", "/candidates")
            .column("hall_name", "大厅", "Hall")
            .column("title", "线索", "Finding")
            .column("description", "情况", "What was seen")
            .column_typed("at_ms", "时间", "When", "datetime")
            .column("status_zh", "状态", "Status")
            .filter_select("status", "状态", "Status", &[
                ("pending", "待确认", "To confirm"),
                ("confirmed", "已确认", "Confirmed"),
                ("dismissed", "已排除", "Dismissed"),
            ])
            .detail_route("/candidates/{id}"),
        View::detail("candidate", "视频巡查线索", "Camera finding", "/candidates/{id}")
            .column("hall_name", "大厅", "Hall")
            .column("title", "线索", "Finding")
            .column("description", "情况", "What was seen")
            .column("subject", "位置", "Where")
            .column_typed("at_ms", "时间", "When", "datetime")
            .column_typed("snapshot", "抓拍", "Snapshot", "image")
            .column("status_zh", "状态", "Status")
            .column("reason", "说明", "Note"),
        View::form("candidate-decision", "确认或排除线索", "Confirm or dismiss", "/candidates/{id}/decision")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["confirm"],
                "additionalProperties": false,
                "properties": {
                    "confirm": { "type": "boolean", "title": "确认为问题（不勾选则排除）" },
                    "reason": { "type": "string", "title": "说明（排除时必填）", "maxLength": 500 }
                }
            })),
        View::list("followups", "差评处置", "Bad-rating follow-up", "/followups")
            .column("hall_name", "大厅", "Hall")
            .column("level_zh", "评价", "Rating")
            .column("channel", "渠道", "Channel")
            .column("real_name_zh", "实名", "Real name")
            .column_typed("rated_ms", "评价时间", "Rated", "datetime")
            .column_typed("verify_due_ms", "核实期限", "Verify by", "datetime")
            .column("state_zh", "状态", "State")
            .filter_select("state", "状态", "State", FOLLOWUP_STATES)
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .detail_route("/followups/{id}"),
        View::detail("followup", "差评详情", "Bad rating", "/followups/{id}")
            .column("hall_name", "大厅", "Hall")
            .column("level_zh", "评价", "Rating")
            .column("channel", "渠道", "Channel")
            .column("window", "窗口", "Window")
            .column("case_no", "办件编号", "Case number")
            .column("real_name_zh", "实名", "Real name")
            .column("state_zh", "状态", "State")
            .column_typed("verify_due_ms", "核实期限", "Verify by", "datetime")
            .column_typed("rectify_due_ms", "整改期限", "Rectify by", "datetime")
            .set("history_field", "history"),
        View::form("followup-action", "处置差评", "Act on a bad rating", "/followups/{id}/actions")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["action"],
                "properties": {
                    "action": { "type": "string", "title": "操作", "enum": ["verify", "call_back", "appeal", "decide"],
                        "x-enum-labels": {
                            "verify": { "zh": "核实", "en": "Verify" },
                            "call_back": { "zh": "回访", "en": "Call back" },
                            "appeal": { "zh": "申诉", "en": "Appeal" },
                            "decide": { "zh": "申诉裁决", "en": "Decide the appeal" }
                        } },
                    "genuine": { "type": "boolean", "title": "差评属实" },
                    "finding": { "type": "string", "title": "核实情况", "maxLength": 1000 },
                    "reached": { "type": "boolean", "title": "已联系上评价人" },
                    "satisfied": { "type": "boolean", "title": "评价人对处理结果满意" },
                    "reason": { "type": "string", "title": "申诉理由", "maxLength": 1000 },
                    "upheld": { "type": "boolean", "title": "申诉成立（剔除该差评）" },
                    "note": { "type": "string", "title": "说明", "maxLength": 1000 }
                }
            })),
        View::list("templates", "检查表", "Checklists", "/templates")
            .column_typed("version", "版本", "Version", "number")
            .column("name", "名称", "Name")
            .column_typed("items", "检查项数", "Items", "number")
            .column("rule", "计分规则", "Scoring rule")
            .column_typed("published_ms", "发布时间", "Published", "datetime")
            .column("note", "说明", "Note")
            .detail_route("/templates/{id}"),
        View::detail("template", "检查表版本", "Checklist version", "/templates/{id}")
            .column_typed("version", "版本", "Version", "number")
            .column("note", "说明", "Note")
            .column("rule", "计分规则", "Scoring rule")
            .column_typed("items", "检查项数", "Items", "number"),
        // Publishes a new version edited from the one shown (JSON: the
        // categories and items, methods, weights and deductions).
        View::form("edit-template", "修订检查表", "Revise the checklist", "/templates/{id}")
            .method(Method::Put)
            .schema(json!({
                "type": "object",
                "required": ["template"],
                "properties": {
                    "note": { "type": "string", "title": "修订说明", "maxLength": 500 },
                    "template": { "type": "object", "title": "检查表（JSON：类别、检查项、检查方式、权重或扣分）" }
                }
            })),
        // 满意度调查
        View::list("surveys", "满意度调查", "Satisfaction surveys", "/surveys/figures")
            .column("hall_name", "大厅", "Hall")
            .column_typed("answers", "有效答卷", "Answers", "number")
            .column("satisfaction_text", "满意率", "Satisfied")
            .column("index_text", "满意度指数", "Satisfaction index")
            .column_typed("bad", "不满意答卷", "Unsatisfied", "number")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .set("note_field", "rule"),
        View::list("survey-answers", "调查答卷", "Survey answers", "/surveys/answers")
            .column("hall_name", "大厅", "Hall")
            .column("channel_zh", "渠道", "Channel")
            .column("overall_zh", "整体评价", "Overall")
            .column("reasons", "不满意原因", "Reasons")
            .column("suggestion", "意见建议", "Suggestion")
            .column("contact", "联系电话", "Contact")
            .column_typed("at_ms", "时间", "When", "datetime")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .filter_select("channel", "渠道", "Channel", CHANNELS),
        View::list("survey-links", "调查二维码", "Survey QR codes", "/surveys/links")
            .column("hall_name", "大厅", "Hall")
            .column("channel_zh", "渠道", "Channel")
            .column_typed("url", "二维码（打印张贴或发布到网站）", "QR code (print, or publish online)", "qr")
            .column_typed("created_ms", "生成时间", "Issued", "datetime"),
        View::form("issue-links", "生成调查二维码", "Issue survey links", "/surveys/links")
            .method(Method::Post)
            .options_from("hall", "/halls")
            .schema(json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "hall": { "type": "string", "title": "大厅（不选为全部大厅）" },
                    "channel": { "type": "string", "title": "渠道（不选为现场和网上）", "enum": ["on_site", "online"],
                        "x-enum-labels": { "on_site": { "zh": "现场扫码", "en": "On site (QR)" }, "online": { "zh": "网上调查", "en": "Online" } } }
                }
            })),
        View::list("calls", "电话调查名单", "Phone survey list", "/surveys/calls")
            .column("hall_name", "大厅", "Hall")
            .column("number", "电话", "Number")
            .column("state_zh", "状态", "State")
            .column_typed("attempts", "拨打次数", "Attempts", "number")
            .column("last_outcome_zh", "最近结果", "Last outcome")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .filter_select("state", "状态", "State", &[
                ("pending", "待拨打", "To call"),
                ("completed", "已完成", "Completed"),
                ("closed", "已结束", "Closed"),
            ])
            .detail_route("/surveys/calls/{id}"),
        View::detail("call", "电话调查", "Phone survey", "/surveys/calls/{id}")
            .column("hall_name", "大厅", "Hall")
            .column("number", "电话", "Number")
            .column("state_zh", "状态", "State")
            .column_typed("attempts", "拨打次数", "Attempts", "number")
            .column_typed("form", "调查问卷", "Questionnaire", "link")
            .set("history_field", "history"),
        View::form("call-dial", "拨号（显示完整号码）", "Dial (show the number)", "/surveys/calls/{id}/dial")
            .method(Method::Post)
            .schema(json!({ "type": "object", "additionalProperties": false, "properties": {} })),
        View::form("call-result", "记录未完成的通话", "Record a call without answers", "/surveys/calls/{id}/result")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["outcome"],
                "additionalProperties": false,
                "properties": {
                    "outcome": { "type": "string", "title": "结果", "enum": ["no_answer", "refused", "wrong_number"],
                        "x-enum-labels": {
                            "no_answer": { "zh": "无人接听", "en": "No answer" },
                            "refused": { "zh": "拒绝调查", "en": "Refused" },
                            "wrong_number": { "zh": "空号或错号", "en": "Wrong number" }
                        } },
                    "note": { "type": "string", "title": "说明", "maxLength": 500 }
                }
            })),
        View::form("draw-calls", "抽取电话调查名单", "Draw the phone survey lists", "/surveys/calls")
            .method(Method::Post)
            .options_from("hall", "/halls")
            .schema(json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "month": { "type": "string", "title": "月份(YYYY-MM，不填为本月)", "pattern": "^[0-9]{4}-[0-9]{2}$" },
                    "hall": { "type": "string", "title": "大厅（不选为全部大厅）" }
                }
            })),
        View::list("questionnaires", "调查问卷", "Questionnaires", "/surveys/questionnaires")
            .column_typed("version", "版本", "Version", "number")
            .column("name", "名称", "Name")
            .column_typed("questions", "题数", "Questions", "number")
            .column_typed("published_ms", "发布时间", "Published", "datetime")
            .column("note", "说明", "Note"),
        // A new version from JSON (the questions, their kinds and options).
        View::form("publish-questionnaire", "发布新版问卷", "Publish a questionnaire version", "/surveys/questionnaires")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["base", "questionnaire"],
                "additionalProperties": false,
                "properties": {
                    "base": { "type": "integer", "title": "在第几版基础上修改", "minimum": 1 },
                    "note": { "type": "string", "title": "修订说明", "maxLength": 500 },
                    "questionnaire": { "type": "object", "title": "问卷（JSON：名称、说明、整体满意度题、各题）" }
                }
            })),
        View::action("export-problems", "导出问题清单(Excel)", "Export the problem list (Excel)", "/export/problems.xlsx")
            .method(Method::Get)
            .set("download", true),
        View::action("sweep", "立即检查逾期问题", "Check overdue problems now", "/sweep")
            .method(Method::Post)
            .confirm("现在检查所有未销号问题的期限并督办逾期问题吗？", "Check every open problem's deadline and escalate the overdue ones now?"),
    ]
}
