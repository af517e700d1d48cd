//! The portal's screens for trainers (bank, exams, marking, analysis,
//! follow-up) and for staff (my exams, the exam itself on a phone, my
//! results, my gaps).

use bantong_sdk::storage::Direction;
use bantong_sdk::{Method, View};
use serde_json::json;

use crate::cert::{Education, Level};
use crate::class::{ClassKind, Unit};
use crate::exam::ExamKind;
use crate::plan::{Cadence, Topic};
use crate::question::{Difficulty, Kind};
use crate::spot::Criterion;

fn labels<T: Copy>(
    all: &[T],
    value: impl Fn(T) -> &'static str,
    zh: impl Fn(T) -> &'static str,
) -> serde_json::Value {
    all.iter()
        .map(|&k| (value(k).to_owned(), json!({ "zh": zh(k), "en": value(k) })))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn enum_of<T: Copy>(all: &[T], value: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|&k| value(k)).collect()
}

pub fn all() -> Vec<View> {
    let kinds = labels(&Kind::ALL, Kind::as_str, Kind::zh);
    let levels = labels(&Difficulty::ALL, Difficulty::as_str, Difficulty::zh);
    let exam_kinds = labels(&ExamKind::ALL, ExamKind::as_str, ExamKind::zh);
    vec![
        // --- staff ---------------------------------------------------
        View::list("my-exams", "我的考试", "My exams", "/my/exams")
            .column("title", "考试", "Exam")
            .column("kind_zh", "类型", "Kind")
            .column_typed("opens_ms", "开始", "Opens", "datetime")
            .column_typed("closes_ms", "截止", "Closes", "datetime")
            .column("minutes", "时长(分钟)", "Minutes")
            .column("status", "状态", "Status")
            .column_typed("percent", "成绩", "Score", "number")
            .detail_route("/my/exams/{id}"),
        View::detail("my-exam", "考试须知", "Exam", "/my/exams/{id}")
            .column("title", "考试", "Exam")
            .column("kind_zh", "类型", "Kind")
            .column_typed("opens_ms", "开始", "Opens", "datetime")
            .column_typed("closes_ms", "截止", "Closes", "datetime")
            .column("minutes", "时长(分钟)", "Minutes")
            .column("questions", "题数", "Questions")
            .column("marks", "总分", "Marks")
            .column("pass", "合格线", "Pass mark")
            .column("rule_zh", "计分规则", "Marking rule")
            .column("notice", "考试须知", "Notice")
            .column("status", "状态", "Status"),
        // The exam on the phone: the portal's exam page, which saves each
        // answer as it is given and keeps the server's clock.
        View::form("take-exam", "参加考试", "Take the exam", "/my/exams/{id}/start")
            .method(Method::Post)
            .set(
                "exam",
                json!({
                    "info": "/my/exams/{id}",
                    "start": "/my/exams/{id}/start",
                    "sitting": "/my/exams/{id}/sitting",
                    "answer": "/my/exams/{id}/answers/{slot}",
                    "away": "/my/exams/{id}/away",
                    "submit": "/my/exams/{id}/submit",
                }),
            ),
        View::list("my-results", "我的成绩", "My results", "/my/results")
            .column("title", "考试", "Exam")
            .column("number", "第几次", "Sitting")
            .column("state_zh", "状态", "State")
            .column_typed("percent", "得分(百分制)", "Score (of 100)", "number")
            .column_typed("passed", "合格", "Passed", "bool")
            .column_typed("finished_ms", "交卷时间", "Handed in", "datetime")
            .detail_route("/my/results/{id}"),
        View::detail("my-result", "答卷详情", "Sitting", "/my/results/{id}")
            .column("title", "考试", "Exam")
            .column("state_zh", "状态", "State")
            .column("score", "得分", "Score")
            .column("max", "满分", "Out of")
            .column_typed("passed", "合格", "Passed", "bool")
            .column("pending", "待阅简答题", "Awaiting marks")
            .set(
                "tables",
                json!([{
                    "field": "questions",
                    "title_zh": "逐题情况", "title_en": "Question by question",
                    "columns": [
                        { "field": "no", "title_zh": "题号", "title_en": "No." },
                        { "field": "kind_zh", "title_zh": "题型", "title_en": "Kind" },
                        { "field": "stem", "title_zh": "题目", "title_en": "Question" },
                        { "field": "given", "title_zh": "我的答案", "title_en": "My answer" },
                        { "field": "right", "title_zh": "正确答案", "title_en": "Answer" },
                        { "field": "got", "title_zh": "得分", "title_en": "Marks" },
                        { "field": "explanation", "title_zh": "解析", "title_en": "Explanation" }
                    ]
                }]),
            ),
        View::list("my-mastery", "我的知识点掌握度", "My mastery", "/my/mastery")
            .column("knowledge", "知识点", "Knowledge point")
            .column_typed("latest", "最近掌握度", "Latest", "percent")
            .column("trend", "逐月", "By month")
            .column("gap_zh", "短板", "Gap"),
        View::list("my-assignments", "我的跟进培训", "My follow-up training", "/my/assignments")
            .column("kind_zh", "类型", "Kind")
            .column("knowledge", "知识点", "Knowledge point")
            .column("task", "任务", "Task")
            .column_typed("due_ms", "完成期限", "Due", "datetime")
            .column("state_zh", "状态", "State"),
        View::form("assignment-done", "我已学习", "Studied", "/my/assignments/{id}/done")
            .method(Method::Post)
            .confirm("确认已完成该项学习？", "Mark this as studied?"),
        // What a person looks for first on a phone: which class, whether
        // they came, when and where.
        View::list("my-trainings", "我的培训", "My trainings", "/my/trainings")
            .column("title", "培训", "Class")
            .column("status", "签到", "Attendance")
            .column_typed("starts_ms", "时间", "When", "datetime")
            .column("place", "地点", "Place")
            .column("kind_zh", "类型", "Kind")
            .column("lecturer", "授课人", "Lecturer")
            .column("hours", "课时", "Hours")
            .column("materials", "学习资料", "Materials"),
        // What a class's QR code opens on a phone, the code filled in.
        View::form("sign-in", "培训签到", "Sign in to a class", "/classes/{id}/sign-in")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["code"],
                "properties": {
                    "code": { "type": "string", "title": "签到码（扫码后自动填写）", "minLength": 1, "maxLength": 16 }
                }
            })),
        View::list("my-syllabus", "我的岗前培训", "My pre-post syllabus", "/my/syllabus")
            .column("unit_zh", "大纲单元", "Unit")
            .column("hours", "课时", "Hours")
            .column_typed("done", "已完成", "Done", "bool")
            .column("class", "参加的班次", "Class attended")
            .column_typed("at_ms", "时间", "When", "datetime")
            .set("sortable", false),
        View::list("my-spot-checks", "我的实操抽查", "My spot checks", "/my/spot-checks")
            .column_typed("at_ms", "时间", "When", "datetime")
            .column("matter", "抽查事项", "Matter")
            .column("result_zh", "结果", "Result")
            .column("failed_zh", "问题环节", "Failed")
            .column("problems", "问题", "Problems")
            .column("guidance", "指导意见", "Guidance"),
        // --- trainers: plans and classes ----------------------------------
        View::list("plans", "培训计划", "Training plans", "/plans")
            .column("period_zh", "期间", "Period")
            .column("cadence_zh", "类型", "Cadence")
            .column("title", "计划", "Plan")
            .column("topics_zh", "培训内容", "Topics")
            .column("sessions", "计划场次", "Sessions")
            .column("held", "已办场次", "Held")
            .column_typed("done", "完成进度", "Progress", "percent")
            .column_typed("attendance", "出勤率", "Attendance", "percent")
            .column("state_zh", "状态", "State")
            .filter_select("cadence", "类型", "Cadence", &[
                (Cadence::Monthly.as_str(), Cadence::Monthly.zh(), "Monthly"),
                (Cadence::Quarterly.as_str(), Cadence::Quarterly.zh(), "Quarterly"),
                (Cadence::Annual.as_str(), Cadence::Annual.zh(), "Annual"),
            ])
            .filter_text("year", "年份", "Year")
            .detail_route("/plans/{id}"),
        View::detail("plan", "培训计划", "Training plan", "/plans/{id}")
            .column("title", "计划", "Plan")
            .column("period_zh", "期间", "Period")
            .column("cadence_zh", "类型", "Cadence")
            .column("halls_zh", "参训大厅", "Halls")
            .column("topics_zh", "培训内容", "Topics")
            .column("sessions", "计划场次", "Sessions")
            .column("hours", "计划课时", "Planned hours")
            .column("held", "已办场次", "Held")
            .column("scheduled", "待办场次", "Scheduled")
            .column("hours_held", "已完成课时", "Hours held")
            .column_typed("done", "完成进度", "Progress", "percent")
            .column_typed("attendance", "出勤率", "Attendance", "percent")
            .column("covered_zh", "已培训内容", "Topics taught")
            .column("missing_zh", "尚未安排的内容", "Topics not yet set")
            .column("state_zh", "状态", "State")
            .column("notes", "说明", "Notes")
            .set(
                "tables",
                json!([{
                    "field": "classes",
                    "title_zh": "培训班次", "title_en": "Classes",
                    "columns": [
                        { "field": "title", "title_zh": "班次", "title_en": "Class" },
                        { "field": "starts_ms", "title_zh": "时间", "title_en": "When", "type": "datetime" },
                        { "field": "content", "title_zh": "内容", "title_en": "Content" },
                        { "field": "lecturer", "title_zh": "授课人", "title_en": "Lecturer" },
                        { "field": "roster", "title_zh": "应到", "title_en": "Roster", "type": "number" },
                        { "field": "attended", "title_zh": "实到", "title_en": "Came", "type": "number" },
                        { "field": "attendance", "title_zh": "出勤率", "title_en": "Attendance", "type": "percent" }
                    ]
                }]),
            ),
        View::form("add-plan", "制定培训计划", "Make a training plan", "/plans").schema(json!({
            "type": "object",
            "required": ["period", "title", "topics", "sessions", "hours"],
            "x-order": ["period", "title", "topics", "sessions", "hours", "halls", "notes"],
            "properties": {
                "period": { "type": "string", "title": "期间（月度如2026-12，季度如2026-Q4，年度如2026）", "maxLength": 7 },
                "title": { "type": "string", "title": "计划名称", "minLength": 1, "maxLength": 100 },
                "topics": { "type": "array", "title": "培训内容", "uniqueItems": true,
                    "items": { "type": "string", "enum": enum_of(&Topic::ALL, Topic::as_str),
                        "x-enum-labels": labels(&Topic::ALL, Topic::as_str, Topic::zh) } },
                "sessions": { "type": "integer", "title": "计划场次", "minimum": 1, "maximum": 300, "default": 4 },
                "hours": { "type": "integer", "title": "计划课时", "minimum": 1, "maximum": 2000, "default": 8 },
                "halls": { "type": "array", "title": "参训大厅（大厅编号，每行一个；不填为全部）", "items": { "type": "string" } },
                "notes": { "type": "string", "title": "说明", "maxLength": 2000 }
            }
        })),
        View::list("classes", "培训班次", "Classes", "/classes")
            .column_typed("starts_ms", "时间", "When", "datetime")
            .column("title", "班次", "Class")
            .column("kind_zh", "类型", "Kind")
            .column("content", "内容", "Content")
            .column("lecturer", "授课人", "Lecturer")
            .column("place", "地点", "Place")
            .column("roster", "应到", "Roster")
            .column("attended", "实到", "Came")
            .column_typed("attendance", "出勤率", "Attendance", "percent")
            .filter_select("kind", "类型", "Kind", &ClassKind::ALL.map(|k| (k.as_str(), k.zh(), k.as_str())))
            .filter_text("from", "起始日期(YYYY-MM-DD)", "From (YYYY-MM-DD)")
            .detail_route("/classes/{id}"),
        View::detail("class", "培训班次", "Class", "/classes/{id}")
            .column("title", "班次", "Class")
            .column("kind_zh", "类型", "Kind")
            .column("content", "内容", "Content")
            .column("lecturer", "授课人", "Lecturer")
            .column("place", "地点", "Place")
            .column_typed("starts_ms", "开始", "Starts", "datetime")
            .column_typed("ends_ms", "结束", "Ends", "datetime")
            .column("hours", "课时", "Hours")
            .column("halls_zh", "参训大厅", "Halls")
            .column("materials", "学习资料", "Materials")
            .column("roster", "应到", "Roster")
            .column("attended", "实到", "Came")
            .column_typed("attendance", "出勤率", "Attendance", "percent")
            .column_typed("sign_in", "签到二维码（开课前30分钟开放）", "Sign-in QR code (opens 30 minutes before)", "qr")
            .column("code", "签到码", "Sign-in code")
            .set(
                "tables",
                json!([{
                    "field": "people",
                    "title_zh": "签到情况", "title_en": "Attendance",
                    "columns": [
                        { "field": "name", "title_zh": "姓名", "title_en": "Name" },
                        { "field": "hall_zh", "title_zh": "大厅", "title_en": "Hall" },
                        { "field": "present", "title_zh": "已签到", "title_en": "Present", "type": "bool" },
                        { "field": "at_ms", "title_zh": "签到时间", "title_en": "Signed in", "type": "datetime" },
                        { "field": "late_minutes", "title_zh": "迟到(分钟)", "title_en": "Late (min)", "type": "number" },
                        { "field": "how_zh", "title_zh": "方式", "title_en": "How" }
                    ]
                }]),
            ),
        View::form("add-class", "安排培训班次", "Set a class", "/classes").schema(json!({
            "type": "object",
            "required": ["title", "kind", "lecturer", "place", "starts", "ends", "hours"],
            "x-order": ["title", "kind", "plan", "topics", "units", "lecturer", "place", "starts", "ends", "hours", "halls", "roles", "materials"],
            "properties": {
                "title": { "type": "string", "title": "班次名称", "minLength": 1, "maxLength": 100 },
                "kind": { "type": "string", "title": "类型", "enum": enum_of(&ClassKind::ALL, ClassKind::as_str),
                    "x-enum-labels": labels(&ClassKind::ALL, ClassKind::as_str, ClassKind::zh) },
                "plan": { "type": "string", "title": "所属培训计划编号（可不填）", "maxLength": 64 },
                "topics": { "type": "array", "title": "培训内容", "uniqueItems": true,
                    "items": { "type": "string", "enum": enum_of(&Topic::ALL, Topic::as_str),
                        "x-enum-labels": labels(&Topic::ALL, Topic::as_str, Topic::zh) } },
                "units": { "type": "array", "title": "岗前培训大纲单元（仅岗前培训）", "uniqueItems": true,
                    "items": { "type": "string", "enum": enum_of(&Unit::ALL, Unit::as_str),
                        "x-enum-labels": labels(&Unit::ALL, Unit::as_str, Unit::zh) } },
                "lecturer": { "type": "string", "title": "授课人", "minLength": 1, "maxLength": 40 },
                "place": { "type": "string", "title": "培训地点", "minLength": 1, "maxLength": 100 },
                "starts": { "type": "string", "title": "开始时间", "format": "date-time" },
                "ends": { "type": "string", "title": "结束时间", "format": "date-time" },
                "hours": { "type": "integer", "title": "课时", "minimum": 1, "maximum": 16, "default": 2 },
                "halls": { "type": "array", "title": "参训大厅（大厅编号，每行一个；不填为全部）", "items": { "type": "string" } },
                "roles": { "type": "array", "title": "参训岗位（不填为默认岗位）", "uniqueItems": true,
                    "items": { "type": "string", "enum": ["window-staff", "hall-manager", "hotline-agent", "door-service"],
                        "x-enum-labels": {
                            "window-staff": { "zh": "综合窗口人员", "en": "Window staff" },
                            "hall-manager": { "zh": "服务中心负责人", "en": "Hall manager" },
                            "hotline-agent": { "zh": "热线坐席", "en": "Hotline agent" },
                            "door-service": { "zh": "上门办人员", "en": "Door-to-door service" } } } },
                "materials": { "type": "array", "title": "学习资料编号（每行一个）", "items": { "type": "string" } }
            }
        })),
        View::form("record-attendance", "登记出勤", "Record attendance", "/classes/{id}/attendance")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["people"],
                "properties": {
                    "people": { "type": "array", "title": "未扫码的到场人员（登录名，每行一个）", "items": { "type": "string" } },
                    "note": { "type": "string", "title": "说明", "maxLength": 200 }
                }
            })),
        View::list("syllabus", "岗前培训完成情况", "Pre-post syllabus", "/syllabus")
            .column("name", "姓名", "Name")
            .column("hall_zh", "大厅", "Hall")
            .column("hours", "已完成课时", "Hours done")
            .column("required", "应完成课时", "Hours required")
            .column_typed("complete", "已完成", "Complete", "bool")
            .column("missing_zh", "未完成单元", "Units to do")
            .filter_select("complete", "完成情况", "Complete", &[
                ("false", "未完成", "Not complete"),
                ("true", "已完成", "Complete"),
            ])
            .set("sortable", false),
        // --- trainers and hall managers: 实操抽查 ----------------------------
        View::list("spot-checks", "实操抽查", "Spot checks", "/spot-checks")
            .column_typed("at_ms", "时间", "When", "datetime")
            .column("name", "姓名", "Name")
            .column("hall_zh", "大厅", "Hall")
            .column("matter", "抽查事项", "Matter")
            .column("result_zh", "结果", "Result")
            .column("failed_zh", "问题环节", "Failed")
            .column("guidance", "指导意见", "Guidance")
            .column("checker_name", "抽查人", "Checked by")
            .filter_select("passed", "结果", "Result", &[
                ("false", "不合格", "Failed"),
                ("true", "合格", "Passed"),
            ]),
        View::form("add-spot-check", "记录实操抽查", "Record a spot check", "/spot-checks").schema(json!({
            "type": "object",
            "required": ["staff", "matter"],
            "x-order": ["staff", "matter", "checked", "failed", "problems", "guidance", "recheck_of"],
            "properties": {
                "staff": { "type": "string", "title": "被抽查人员（登录名）", "maxLength": 64 },
                "matter": { "type": "string", "title": "抽查事项（事项名称或办件编号）", "minLength": 1, "maxLength": 100 },
                "checked": { "type": "array", "title": "抽查环节（不选为全部）", "uniqueItems": true,
                    "items": { "type": "string", "enum": enum_of(&Criterion::ALL, Criterion::as_str),
                        "x-enum-labels": labels(&Criterion::ALL, Criterion::as_str, Criterion::zh) } },
                "failed": { "type": "array", "title": "不合格环节", "uniqueItems": true,
                    "items": { "type": "string", "enum": enum_of(&Criterion::ALL, Criterion::as_str),
                        "x-enum-labels": labels(&Criterion::ALL, Criterion::as_str, Criterion::zh) } },
                "problems": { "type": "string", "title": "发现的问题", "maxLength": 500 },
                "guidance": { "type": "string", "title": "指导意见", "maxLength": 2000 },
                "recheck_of": { "type": "string", "title": "复查的抽查记录编号（从复查清单进入时自动填写）", "maxLength": 64 }
            }
        })),
        View::list("rechecks", "实操复查清单", "Recheck list", "/spot-checks/rechecks")
            .column("name", "姓名", "Name")
            .column("hall_zh", "大厅", "Hall")
            .column("matter", "抽查事项", "Matter")
            .column("failed_zh", "问题环节", "Failed")
            .column("rounds", "连续不合格次数", "Failed in a row")
            .column_typed("due_ms", "复查期限", "Due", "datetime")
            .column_typed("overdue", "已逾期", "Overdue", "bool")
            .column_typed("recheck_link", "复查", "Recheck", "link")
            .set("sortable", false),
        // --- trainers: the bank ----------------------------------------
        View::list("questions", "题库", "Question bank", "/questions")
            .column("stem", "题干", "Question")
            .column("kind_zh", "题型", "Kind")
            .column("knowledge", "知识点", "Knowledge points")
            .column("difficulty_zh", "难度", "Difficulty")
            .column("marks", "分值", "Marks")
            .column("version", "版本", "Version")
            .column("status_zh", "状态", "Status")
            .column_typed("expired", "依据已失效", "Policy lapsed", "bool")
            .filter_select(
                "status",
                "状态",
                "Status",
                &[
                    ("pending", "待审核", "Pending"),
                    ("approved", "已审核", "Approved"),
                    ("rejected", "退回修改", "Rejected"),
                    ("retired", "已停用", "Retired"),
                ],
            )
            .filter_text("knowledge", "知识点", "Knowledge point")
            .filter_text("q", "题干包含", "Question contains")
            .default_sort("updated_ms", Direction::Desc)
            .detail_route("/questions/{id}"),
        View::detail("question", "题目", "Question", "/questions/{id}")
            .column("stem", "题干", "Question")
            .column("kind_zh", "题型", "Kind")
            .column("options", "选项", "Options")
            .column("knowledge", "知识点", "Knowledge points")
            .column("marks", "分值", "Marks")
            .column("version", "版本", "Version")
            .column("status_zh", "状态", "Status")
            .set("history_field", "history"),
        View::form("add-question", "出题", "Write a question", "/questions").schema(json!({
            "type": "object",
            "required": ["kind", "stem", "answer", "marks", "knowledge", "difficulty"],
            "x-order": ["kind", "stem", "options", "answer", "marks", "knowledge", "difficulty", "topic", "source", "valid_from", "valid_to", "explanation"],
            "properties": {
                "kind": { "type": "string", "title": "题型", "enum": enum_of(&Kind::ALL, Kind::as_str), "x-enum-labels": kinds },
                "stem": { "type": "string", "title": "题干（填空题的空写作____）", "minLength": 1, "maxLength": 2000 },
                "options": { "type": "array", "title": "选项（每行一个，按A、B、C…顺序；判断、填空、简答题不填）", "items": { "type": "string" }, "maxItems": 8 },
                "answer": { "type": "string", "title": "答案（选择题写字母如ACD；判断题写对或错；填空题各空用“；”分隔、同义写法用“|”分隔；简答题写参考答案）", "minLength": 1, "maxLength": 2000 },
                "marks": { "type": "integer", "title": "分值", "minimum": 1, "maximum": 100, "default": 2 },
                "knowledge": { "type": "string", "title": "知识点（多个用“、”分隔）", "minLength": 1, "maxLength": 200 },
                "difficulty": { "type": "string", "title": "难度", "enum": enum_of(&Difficulty::ALL, Difficulty::as_str), "x-enum-labels": levels },
                "topic": { "type": "string", "title": "专题", "maxLength": 40 },
                "source": { "type": "string", "title": "依据（政策文件及条款）", "maxLength": 200 },
                "valid_from": { "type": "string", "title": "依据生效日期", "format": "date" },
                "valid_to": { "type": "string", "title": "依据失效日期", "format": "date" },
                "explanation": { "type": "string", "title": "解析", "maxLength": 2000 }
            }
        })),
        View::form("review-question", "审核题目", "Review", "/questions/{id}/review")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["action"],
                "properties": {
                    "action": { "type": "string", "title": "审核意见", "enum": ["approve", "reject", "retire"],
                        "x-enum-labels": { "approve": { "zh": "通过", "en": "Approve" }, "reject": { "zh": "退回修改", "en": "Send back" }, "retire": { "zh": "停用", "en": "Retire" } } },
                    "note": { "type": "string", "title": "说明（退回、停用须写明原因）", "maxLength": 500 }
                }
            })),
        View::form("import-questions", "导入题库(Excel)", "Import questions (Excel)", "/questions/import")
            .schema(json!({
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": { "type": "string", "title": "题库文件（.xlsx，格式见“下载导入模板”）", "contentMediaType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" }
                }
            })),
        View::action("question-template", "下载导入模板", "Download the import template", "/questions/template.xlsx")
            .method(Method::Get),
        View::list("knowledge", "知识点题量", "Questions per knowledge point", "/knowledge")
            .column("knowledge", "知识点", "Knowledge point")
            .column("easy", "易", "Easy")
            .column("medium", "中", "Medium")
            .column("hard", "难", "Hard"),
        // --- trainers: exams --------------------------------------------
        View::list("exams", "考试", "Exams", "/exams")
            .column("title", "考试", "Exam")
            .column("kind_zh", "类型", "Kind")
            .column_typed("opens_ms", "开始", "Opens", "datetime")
            .column_typed("closes_ms", "截止", "Closes", "datetime")
            .column("questions", "题数", "Questions")
            .column("candidates", "应考人数", "Candidates")
            .column("phase_zh", "状态", "Phase")
            .filter_text("month", "月份(YYYY-MM)", "Month (YYYY-MM)")
            .detail_route("/exams/{id}"),
        View::detail("exam", "考试", "Exam", "/exams/{id}")
            .column("title", "考试", "Exam")
            .column("kind_zh", "类型", "Kind")
            .column_typed("opens_ms", "开始", "Opens", "datetime")
            .column_typed("closes_ms", "截止", "Closes", "datetime")
            .column("minutes", "时长(分钟)", "Minutes")
            .column("questions", "题数", "Questions")
            .column("marks", "总分", "Marks")
            .column("candidates", "应考人数", "Candidates")
            .column("pass", "合格线", "Pass mark")
            .column("rule_zh", "计分规则", "Marking rule")
            .column("phase_zh", "状态", "Phase"),
        View::form("set-exam", "组卷发布考试", "Set an exam", "/exams").schema(json!({
            "type": "object",
            "required": ["title", "kind", "opens", "closes", "minutes"],
            "x-order": ["title", "kind", "opens", "closes", "minutes", "blueprint", "questions", "pass", "excellent", "resits", "rule", "shuffle_questions", "shuffle_options", "halls", "notice"],
            "properties": {
                "title": { "type": "string", "title": "考试名称", "minLength": 1, "maxLength": 100 },
                "kind": { "type": "string", "title": "类型", "enum": enum_of(&ExamKind::ALL, ExamKind::as_str), "x-enum-labels": exam_kinds },
                "opens": { "type": "string", "title": "开始时间", "format": "date-time" },
                "closes": { "type": "string", "title": "截止时间", "format": "date-time" },
                "minutes": { "type": "integer", "title": "答题时长（分钟）", "minimum": 1, "maximum": 600, "default": 30 },
                "blueprint": { "type": "array", "title": "随机组卷规则（每行：知识点 难度 题数 每题分值 [题型]）", "items": { "type": "string" } },
                "questions": { "type": "array", "title": "固定组卷题目编号（每行一个；与组卷规则二选一）", "items": { "type": "string" } },
                "pass": { "type": "integer", "title": "合格线（百分制）", "minimum": 1, "maximum": 100, "default": 60 },
                "excellent": { "type": "integer", "title": "优秀线（百分制）", "minimum": 1, "maximum": 100, "default": 90 },
                "resits": { "type": "integer", "title": "补考次数", "minimum": 0, "maximum": 5, "default": 0 },
                "rule": { "type": "string", "title": "多选题计分", "enum": ["half_for_subset", "per_option", "all_or_nothing"],
                    "x-enum-labels": {
                        "half_for_subset": { "zh": "少选得一半分，错选不得分", "en": "Half for a correct subset" },
                        "per_option": { "zh": "少选按选对个数给分，错选不得分", "en": "Per correct option" },
                        "all_or_nothing": { "zh": "全对才得分", "en": "All or nothing" } } },
                "shuffle_questions": { "type": "boolean", "title": "题目乱序", "default": true },
                "shuffle_options": { "type": "boolean", "title": "选项乱序", "default": true },
                "halls": { "type": "array", "title": "参考大厅（大厅编号，每行一个；不填为全部）", "items": { "type": "string" } },
                "notice": { "type": "string", "title": "考试须知", "maxLength": 2000 }
            }
        })),
        View::form("cancel-exam", "取消考试", "Cancel the exam", "/exams/{id}/cancel")
            .method(Method::Post)
            .confirm("确认取消这场考试？", "Cancel this exam?"),
        View::form("close-exam", "出分析并布置跟进培训", "Analyse and assign follow-up", "/exams/{id}/close")
            .method(Method::Post)
            .confirm("考试已截止且阅卷完毕？将生成成绩分析并为短板人员布置跟进培训。", "Close the exam and assign follow-up training?"),
        View::detail("analysis", "成绩分析", "Analysis", "/exams/{id}/analysis")
            .column("alpha", "信度(α)", "Reliability (α)")
            .column("analysed", "分析答卷数", "Sittings analysed")
            .column("flagged", "需复核题目", "Items to review")
            .column_typed("summary.participation", "参考率", "Participation", "percent")
            .column_typed("summary.pass_rate", "合格率", "Pass rate", "percent")
            .column_typed("summary.excellent_rate", "优秀率", "Excellent rate", "percent")
            .column_typed("summary.mean", "平均分", "Mean", "number")
            .column_typed("summary.sd", "标准差", "SD", "number")
            .set(
                "tables",
                json!([
                    {
                        "field": "questions",
                        "title_zh": "逐题分析", "title_en": "Item analysis",
                        "columns": [
                            { "field": "stem", "title_zh": "题目", "title_en": "Question" },
                            { "field": "knowledge", "title_zh": "知识点", "title_en": "Knowledge" },
                            { "field": "stats.n", "title_zh": "作答数", "title_en": "N" },
                            { "field": "stats.facility", "title_zh": "难度(通过率)", "title_en": "Facility", "type": "number" },
                            { "field": "stats.discrimination", "title_zh": "区分度(27%)", "title_en": "Discrimination", "type": "number" },
                            { "field": "stats.point_biserial", "title_zh": "点双列相关", "title_en": "Point-biserial", "type": "number" },
                            { "field": "stats.flags", "title_zh": "提示", "title_en": "Flags" }
                        ]
                    },
                    {
                        "field": "halls",
                        "title_zh": "各大厅", "title_en": "By hall",
                        "columns": [
                            { "field": "hall_zh", "title_zh": "大厅", "title_en": "Hall" },
                            { "field": "summary.participation", "title_zh": "参考率", "title_en": "Participation", "type": "percent" },
                            { "field": "summary.pass_rate", "title_zh": "合格率", "title_en": "Pass rate", "type": "percent" },
                            { "field": "summary.mean", "title_zh": "平均分", "title_en": "Mean", "type": "number" }
                        ]
                    },
                    {
                        "field": "gaps",
                        "title_zh": "知识短板", "title_en": "Knowledge gaps",
                        "columns": [
                            { "field": "name", "title_zh": "姓名", "title_en": "Name" },
                            { "field": "knowledge", "title_zh": "知识点", "title_en": "Knowledge point" },
                            { "field": "mastery", "title_zh": "掌握度", "title_en": "Mastery", "type": "percent" },
                            { "field": "cohort_mean", "title_zh": "同批平均", "title_en": "Cohort mean", "type": "percent" },
                            { "field": "reason_zh", "title_zh": "原因", "title_en": "Reason" }
                        ]
                    }
                ]),
            ),
        // --- trainers: marking and follow-up ------------------------------
        View::list("marking", "阅卷（简答题）", "Marking (short answers)", "/marking")
            .column("ticket", "密号", "Ticket")
            .column("stem", "题目", "Question")
            .column("reference", "参考答案", "Reference")
            .column("answer", "考生作答", "Answer")
            .column("max", "满分", "Out of")
            .filter_text("exam", "考试编号", "Exam id"),
        View::form("mark", "给分", "Mark", "/marking").schema(json!({
            "type": "object",
            "required": ["exam", "ticket", "marks"],
            "properties": {
                "exam": { "type": "string", "title": "考试编号" },
                "ticket": { "type": "string", "title": "密号" },
                "marks": { "type": "number", "title": "得分（以0.5分为单位）", "minimum": 0, "maximum": 100 }
            }
        })),
        View::list("assignments", "跟进培训", "Follow-up training", "/assignments")
            .column("name", "姓名", "Name")
            .column("kind_zh", "类型", "Kind")
            .column("knowledge", "知识点", "Knowledge point")
            .column("task", "任务", "Task")
            .column_typed("due_ms", "完成期限", "Due", "datetime")
            .column("state_zh", "状态", "State")
            .filter_select(
                "state",
                "状态",
                "State",
                &[("open", "待完成", "Open"), ("done", "已学习", "Studied"), ("resolved", "已掌握", "Mastered")],
            ),
        View::form("one-to-one", "安排一对一培训", "Set one-to-one training", "/assignments").schema(json!({
            "type": "object",
            "required": ["person", "knowledge", "task", "due"],
            "properties": {
                "person": { "type": "string", "title": "人员（登录名）" },
                "knowledge": { "type": "string", "title": "知识点或专题", "maxLength": 40 },
                "task": { "type": "string", "title": "培训内容", "maxLength": 1000 },
                "due": { "type": "string", "title": "完成日期", "format": "date" },
                "materials": { "type": "array", "title": "学习资料编号（每行一个）", "items": { "type": "string" } }
            }
        })),
        View::list("materials", "学习资料", "Learning materials", "/materials")
            .column("title", "资料", "Material")
            .column("knowledge", "知识点", "Knowledge points")
            .column("topic", "专题", "Topic")
            .column_typed("blob", "文件", "File", "file")
            .column_typed("link", "链接", "Link", "link"),
        View::form("add-material", "上传学习资料", "Add a material", "/materials").schema(json!({
            "type": "object",
            "required": ["title", "knowledge"],
            "properties": {
                "title": { "type": "string", "title": "资料名称", "maxLength": 200 },
                "knowledge": { "type": "array", "title": "知识点（每行一个）", "items": { "type": "string" } },
                "topic": { "type": "string", "title": "专题", "maxLength": 40 },
                "blob": { "type": "string", "title": "文件", "contentMediaType": "application/octet-stream" },
                "link": { "type": "string", "title": "或链接", "maxLength": 500 }
            }
        })),
        View::action("report-pdf", "本月月考月报(PDF)", "This month's exam report (PDF)", "/reports/monthly.pdf")
            .method(Method::Get),
        View::action("report-docx", "本月月考月报(Word)", "This month's exam report (Word)", "/reports/monthly.docx")
            .method(Method::Get),
        View::action("report-xlsx", "本月月考月报(Excel)", "This month's exam report (Excel)", "/reports/monthly.xlsx")
            .method(Method::Get),
        // --- trainers: 行政办事员 certification -----------------------------
        View::list("certification", "持证上岗", "Certification", "/certification/staff")
            .column("name", "姓名", "Name")
            .column("hall_zh", "大厅", "Hall")
            .column("education_zh", "学历", "Education")
            .column("years", "从业年限", "Years")
            .column("level_zh", "持证等级", "Level held")
            .column("certificate", "证书编号", "Certificate")
            .column("next", "下一等级", "Next level")
            .set("sortable", false),
        View::form("certification-record", "登记学历与证书", "Record education and certificates", "/certification/staff/{id}")
            .method(Method::Put)
            .schema(json!({
                "type": "object",
                "required": ["education", "since"],
                "properties": {
                    "education": { "type": "string", "title": "学历", "enum": enum_of(&Education::ALL, Education::as_str),
                        "x-enum-labels": labels(&Education::ALL, Education::as_str, Education::zh) },
                    "since": { "type": "string", "title": "从事本职业起始日期", "format": "date" },
                    "certificates": { "type": "array", "title": "已持证书", "items": { "type": "object",
                        "properties": { "level": { "type": "string", "enum": enum_of(&Level::ALL, Level::as_str) },
                                        "number": { "type": "string" }, "date": { "type": "string", "format": "date" } } } }
                }
            })),
        View::list("cert-batches", "行政办事员报名批次", "Certification batches", "/certification/batches")
            .column("title", "批次", "Batch")
            .column("level_zh", "等级", "Level")
            .column("exam_date", "考核日期", "Exam day")
            .column("enrolled", "报名人数", "Enrolled")
            .column("passed", "通过人数", "Passed")
            .detail_route("/certification/batches/{id}"),
        View::detail("cert-batch", "报名批次", "Batch", "/certification/batches/{id}")
            .column("title", "批次", "Batch")
            .column("level_zh", "等级", "Level")
            .column("exam_date", "考核日期", "Exam day")
            .column("enrolled", "报名人数", "Enrolled")
            .column("passed", "通过人数", "Passed")
            .set(
                "tables",
                json!([{
                    "field": "people",
                    "title_zh": "报名名单", "title_en": "Enrolment list",
                    "columns": [
                        { "field": "name", "title_zh": "姓名", "title_en": "Name" },
                        { "field": "hall_zh", "title_zh": "大厅", "title_en": "Hall" },
                        { "field": "eligible", "title_zh": "符合条件", "title_en": "Eligible", "type": "bool" },
                        { "field": "basis", "title_zh": "依据", "title_en": "Basis" },
                        { "field": "theory", "title_zh": "理论", "title_en": "Theory", "type": "number" },
                        { "field": "skill", "title_zh": "技能", "title_en": "Skill", "type": "number" },
                        { "field": "passed", "title_zh": "通过", "title_en": "Passed", "type": "bool" },
                        { "field": "certificate", "title_zh": "证书编号", "title_en": "Certificate" }
                    ]
                }]),
            ),
        View::form("cert-enrol", "组织报名", "Enrol a batch", "/certification/batches").schema(json!({
            "type": "object",
            "required": ["title", "level", "exam_date"],
            "properties": {
                "title": { "type": "string", "title": "批次名称", "maxLength": 100 },
                "level": { "type": "string", "title": "等级", "enum": enum_of(&Level::ALL, Level::as_str),
                    "x-enum-labels": labels(&Level::ALL, Level::as_str, Level::zh) },
                "exam_date": { "type": "string", "title": "考核日期", "format": "date" },
                "people": { "type": "array", "title": "人员（用户编号，每行一个；不填为所有未持此等级证书的人员）", "items": { "type": "string" } }
            }
        })),
        View::form("cert-result", "登记考核成绩", "Record a result", "/certification/batches/{id}/results")
            .method(Method::Post)
            .schema(json!({
                "type": "object",
                "required": ["person", "theory", "skill"],
                "properties": {
                    "person": { "type": "string", "title": "人员（用户编号）" },
                    "theory": { "type": "number", "title": "理论知识成绩", "minimum": 0, "maximum": 100 },
                    "skill": { "type": "number", "title": "技能考核成绩", "minimum": 0, "maximum": 100 },
                    "certificate": { "type": "string", "title": "证书编号（不填则自动编号）", "maxLength": 40 }
                }
            })),
        View::list("cert-rate", "各大厅持证率", "Certified rate by hall", "/certification/rate")
            .column("hall_zh", "大厅", "Hall")
            .column("staff", "工作人员", "Staff")
            .column("held", "持证人数", "Certified")
            .column_typed("rate", "持证率", "Rate", "percent")
            .set("sortable", false),
        View::action("sweep", "立即收卷并出分析", "Close finished sittings now", "/sweep"),
    ]
}
