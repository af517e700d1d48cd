//! Administration: the portal's own views of the host API, rendered by the
//! same renderers as plugin views (halls, users, API tokens, edge agents,
//! the audit log, new hall, new user), plus the plugin pages: installed
//! plugins with enable/disable and upload of a signed package, and each
//! plugin's per-hall configuration as a form generated from its JSON Schema
//! with the host's field errors inline.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};
use serde_json::{Map, Value, json};

use super::form::{CallButton, JsonSchemaForm, outcome_line};
use super::view::{load_view, render_body, when_loaded};
use crate::api::{self, ApiError, Client, parse_query};
use crate::i18n::{Locale, Msg, fill, locale};
use crate::layout::{Session, signed_in};
use crate::model::ViewDef;

fn col(field: &str, zh: &str, en: &str, kind: &str) -> Value {
    json!({ "field": field, "title_zh": zh, "title_en": en, "type": kind })
}

/// Hall grades (示范型 ≥200 m², 标准型 ≥100, 简朴型 ≥50).
const GRADES: [(&str, &str, &str); 3] = [
    ("demonstration", "示范型", "Demonstration"),
    ("standard", "标准型", "Standard"),
    ("basic", "简朴型", "Basic"),
];

/// What an edge agent reports of a plugin.
const DEPLOY_STATES: [(&str, &str, &str); 5] = [
    ("pending", "待运行", "Pending"),
    ("trial", "试运行", "On trial"),
    ("running", "运行中", "Running"),
    ("failed", "失败", "Failed"),
    ("rolled-back", "已回退", "Rolled back"),
];

/// What a hall's forms edit (the new-hall form adds its id).
fn hall_properties() -> Value {
    json!({
        "code": { "type": "string", "title": "编码", "x-title-en": "Code", "maxLength": 32 },
        "name_zh": { "type": "string", "title": "中文名称", "x-title-en": "Name in Chinese", "maxLength": 64 },
        "name_en": { "type": "string", "title": "英文名称", "x-title-en": "Name in English", "maxLength": 64 },
        "grade": { "type": "string", "title": "等级", "x-title-en": "Grade", "enum": ["demonstration", "standard", "basic"], "x-enum-labels": grades() }
    })
}

/// What a user's forms edit (the new-user form adds the username and the
/// initial password, the edit form the account's disabling).
fn user_properties() -> Value {
    json!({
        "display_name": { "type": "string", "title": "姓名", "x-title-en": "Name", "maxLength": 64 },
        "roles": { "type": "array", "title": "角色", "x-title-en": "Roles", "items": { "enum": [
            "district-admin", "hotline-agent", "hall-manager", "window-staff",
            "door-service", "inspector", "hr-officer", "leader", "vendor"
        ] } },
        "halls": { "type": "array", "title": "服务中心", "x-title-en": "Halls", "items": { "type": "string" } },
        "district_wide": { "type": "boolean", "title": "全区权限", "x-title-en": "District-wide access" }
    })
}

/// A year's holiday arrangement as a form: the year, the notice, and one
/// line per day off or make-up working day (a date or a range, then a name).
fn calendar_schema(new: bool) -> Value {
    let lines = |zh: &str, en: &str| {
        json!({ "type": "array", "title": zh, "x-title-en": en,
                "items": { "type": "string", "maxLength": 240 } })
    };
    // Editing keeps the year (the host refuses a body whose year is not
    // the page's); a new arrangement names it.
    let year_title = if new {
        "年度"
    } else {
        "年度（不可更改）"
    };
    let year = json!({ "type": "integer", "title": year_title, "x-title-en": "Year",
                       "minimum": 2000, "maximum": 2100 });
    json!({
        "type": "object",
        "required": ["year", "holidays"],
        "x-order": ["year", "notice", "holidays", "workdays"],
        "properties": {
            "year": year,
            "notice": { "type": "string", "title": "依据（国务院办公厅通知名称、文号或日期）",
                        "x-title-en": "Notice (the State Council's title, number or date)", "maxLength": 200 },
            "holidays": lines(
                "放假日期（每行一个日期或区间，可加名称，如：2027-10-01..2027-10-07 国庆节）",
                "Days off (one date or range per line, optionally named, e.g. 2027-10-01..2027-10-07 National Day)"
            ),
            "workdays": lines(
                "调休上班日期（每行一个，可加名称，如：2027-09-26 国庆节调休）",
                "Make-up working days (one per line, optionally named, e.g. 2027-09-26 National Day make-up)"
            )
        }
    })
}

/// `properties` with one more.
fn with_property(mut properties: Value, name: &str, property: Value) -> Value {
    properties[name] = property;
    properties
}

/// The grades as a property's `x-enum-labels`.
fn grades() -> Value {
    GRADES
        .iter()
        .map(|(value, zh, en)| ((*value).to_owned(), json!({ "zh": zh, "en": en })))
        .collect::<Map<String, Value>>()
        .into()
}

/// A column with labels for its values: (value, zh, en).
fn labelled(mut column: Value, labels: &[(&str, &str, &str)]) -> Value {
    column["options"] = labels
        .iter()
        .map(|(value, zh, en)| json!({ "value": value, "label_zh": zh, "label_en": en }))
        .collect();
    column
}

fn def(id: &str, kind: &str, zh: &str, en: &str, route: &str, spec: Value) -> ViewDef {
    ViewDef {
        plugin: String::new(),
        plugin_name: Value::Null,
        id: id.to_owned(),
        kind: kind.to_owned(),
        title: json!({ "zh": zh, "en": en }),
        route: route.to_owned(),
        roles: Vec::new(),
        menu: None,
        spec,
    }
}

/// The administration views, by id.
pub fn builtin(id: &str) -> Option<ViewDef> {
    Some(match id {
        "halls" => def(
            "halls",
            "list",
            "服务中心",
            "Halls",
            "/api/halls",
            json!({
                "sortable": false, "page_size": 200,
                "detail_href": "/admin/edit-hall/{id}",
                "columns": [
                    col("id", "标识", "Id", "text"), col("code", "编码", "Code", "text"),
                    col("name_zh", "名称", "Name (Chinese)", "text"),
                    col("name_en", "英文名称", "Name (English)", "text"),
                    labelled(col("grade", "等级", "Grade", "tag"), &GRADES)
                ]
            }),
        ),
        "new-hall" => def(
            "new-hall",
            "form",
            "新增服务中心",
            "New hall",
            "/api/halls",
            json!({ "schema": {
                "type": "object",
                "required": ["id", "code", "name_zh", "name_en", "grade"],
                "x-order": ["id", "code", "name_zh", "name_en", "grade"],
                "properties": with_property(hall_properties(), "id", json!(
                    { "type": "string", "title": "标识（小写字母、数字、-）", "x-title-en": "Id (lower-case letters, digits, -)", "pattern": "^[a-z0-9][a-z0-9-]{0,31}$" }
                ))
            }}),
        ),
        "edit-hall" => def(
            "edit-hall",
            "form",
            "修改服务中心",
            "Edit hall",
            "/api/halls/{id}",
            json!({
                "method": "PATCH",
                "schema": {
                    "type": "object",
                    "x-order": ["code", "name_zh", "name_en", "grade"],
                    "properties": hall_properties()
                }
            }),
        ),
        "edit-user" => def(
            "edit-user",
            "form",
            "修改用户",
            "Edit user",
            "/api/users/{id}",
            json!({
                "method": "PATCH",
                "options": { "halls": "/api/halls" },
                "actions": [{
                    "id": "reset-password",
                    "title": { "zh": "重置密码", "en": "Reset password" },
                    "route": "/api/users/{id}/reset-password",
                    "confirm_zh": "将生成一次性密码，该用户须在下次登录时修改。确定重置？",
                    "confirm_en": "A one-time password will be made; the user must change it at next login. Reset?",
                    "show_once": "password"
                }],
                "schema": {
                    "type": "object",
                    "x-order": ["display_name", "roles", "halls", "district_wide", "disabled"],
                    "properties": with_property(user_properties(), "disabled", json!(
                        { "type": "boolean", "title": "停用账号", "x-title-en": "Account disabled" }
                    ))
                }
            }),
        ),
        "users" => def(
            "users",
            "list",
            "用户",
            "Users",
            "/api/users",
            json!({
                "sortable": false, "page_size": 500,
                "detail_href": "/admin/edit-user/{id}",
                "columns": [
                    col("username", "用户名", "Username", "text"),
                    col("display_name", "姓名", "Name", "text"),
                    col("roles", "角色", "Roles", "role"),
                    col("halls", "服务中心", "Halls", "hall"),
                    col("district_wide", "全区", "District-wide", "bool"),
                    col("disabled", "已停用", "Disabled", "bool"),
                    col("locked_until", "锁定至", "Locked until", "datetime")
                ]
            }),
        ),
        "new-user" => def(
            "new-user",
            "form",
            "新增用户",
            "New user",
            "/api/users",
            json!({
                "options": { "halls": "/api/halls" },
                "schema": {
                    "type": "object",
                    "required": ["username", "display_name", "password", "roles"],
                    "x-order": ["username", "display_name", "password", "roles", "halls", "district_wide"],
                    "properties": with_property(
                        with_property(user_properties(), "username", json!(
                            { "type": "string", "title": "用户名", "x-title-en": "Username", "pattern": "^[a-z0-9][a-z0-9._-]{1,31}$" }
                        )),
                        "password",
                        json!({ "type": "string", "title": "初始密码（首次登录须修改）", "x-title-en": "Initial password (to be changed at first login)", "minLength": 10 })
                    )
                }
            }),
        ),
        "tokens" => def(
            "tokens",
            "list",
            "API 令牌",
            "API tokens",
            "/api/tokens",
            json!({
                "sortable": false, "page_size": 500,
                "row_action": {
                    "route": "/api/tokens/{id}", "method": "DELETE",
                    "label_zh": "吊销", "label_en": "Revoke",
                    "confirm_zh": "吊销后使用此令牌的系统将无法访问，确定吊销？",
                    "confirm_en": "Systems using this token will lose access. Revoke it?",
                    "unless": "revoked_at"
                },
                "columns": [
                    col("name", "名称", "Name", "text"), col("user_id", "用户", "User", "text"),
                    col("created_at", "创建时间", "Created", "datetime"),
                    col("last_used_at", "最近使用", "Last used", "datetime"),
                    col("expires_at", "到期", "Expires", "datetime"),
                    col("revoked_at", "已吊销", "Revoked", "datetime")
                ]
            }),
        ),
        "new-token" => def(
            "new-token",
            "form",
            "新建 API 令牌",
            "New API token",
            "/api/tokens",
            json!({
                "show_once": "secret",
                "schema": {
                    "type": "object",
                    "required": ["name"],
                    "x-order": ["name", "user_id"],
                    "properties": {
                        "name": { "type": "string", "title": "用途（如：政务网站表单）", "x-title-en": "Purpose (e.g. the government website's form)", "minLength": 1, "maxLength": 64 },
                        "user_id": { "type": "string", "title": "代表的用户 ID（留空为本人）", "x-title-en": "Acts as user id (empty: yourself)" }
                    }
                }
            }),
        ),
        "agents" => def(
            "agents",
            "list",
            "边缘节点",
            "Edge agents",
            "/api/edge/agents",
            json!({
                "sortable": false, "page_size": 500,
                "detail_href": "/admin/agents/{id}",
                "columns": [
                    col("id", "节点", "Agent", "text"), col("hall", "服务中心", "Hall", "hall"),
                    col("online", "在线", "Online", "bool"), col("version", "版本", "Version", "text"),
                    col("hostname", "主机名", "Host name", "text"),
                    col("last_seen", "最近联系", "Last seen", "datetime"),
                    col("applied_seq", "已应用事件", "Events applied", "number")
                ]
            }),
        ),
        "rollouts" => def(
            "rollouts",
            "list",
            "插件下发",
            "Rollouts",
            "/api/edge/rollouts",
            json!({
                "sortable": false, "page_size": 200,
                "row_action": {
                    "route": "/api/edge/rollouts/{id}/abort", "method": "POST",
                    "label_zh": "中止", "label_en": "Abort",
                    "confirm_zh": "中止后未升级的节点保持原版本，确定中止？",
                    "confirm_en": "Agents not yet updated keep their version. Abort?",
                    "unless": "finished_at"
                },
                "columns": [
                    col("plugin", "插件", "Plugin", "text"), col("version", "版本", "Version", "text"),
                    labelled(col("state", "状态", "State", "tag"), &[
                        ("running", "进行中", "Running"), ("completed", "已完成", "Completed"),
                        ("aborted", "已中止", "Aborted")
                    ]),
                    col("current_wave", "当前批次", "Current wave", "index"),
                    labelled(col("totals", "节点进度", "Agents", "counts"), &[
                        ("waiting", "待下发", "Waiting"), ("dispatched", "已下发", "Dispatched"),
                        ("succeeded", "成功", "Succeeded"), ("failed", "失败", "Failed"),
                        ("skipped", "跳过", "Skipped"), ("reverted", "已回退", "Reverted")
                    ]),
                    col("created_at", "开始", "Started", "datetime"),
                    col("finished_at", "结束", "Finished", "datetime")
                ]
            }),
        ),
        "new-rollout" => def(
            "new-rollout",
            "form",
            "下发边缘插件",
            "Roll out an edge plugin",
            "/api/edge/rollouts",
            json!({
                "options": { "halls": "/api/halls" },
                "schema": {
                    "type": "object",
                    "required": ["digest"],
                    "x-order": ["digest", "halls", "all", "health_window_s", "force"],
                    "properties": {
                        "digest": { "type": "string", "title": "插件包摘要（上传后显示，sha256:…）", "x-title-en": "Package digest (shown after the upload, sha256:…)", "pattern": "^sha256:[0-9a-f]{64}$" },
                        "halls": { "type": "array", "title": "下发到这些服务中心", "x-title-en": "To these halls", "items": { "type": "string" } },
                        "all": { "type": "boolean", "title": "下发到所辖全部节点", "x-title-en": "To every agent you manage" },
                        "health_window_s": { "type": "integer", "title": "每个节点须健康运行的秒数（默认 30）", "x-title-en": "Seconds each agent must stay healthy (default 30)", "minimum": 5, "maximum": 3600 },
                        "force": { "type": "boolean", "title": "同时替换已锁定版本的节点（回退后的节点会锁定版本）", "x-title-en": "Also replace pinned versions (a rolled-back agent is pinned)" }
                    }
                }
            }),
        ),
        "calendar" => def(
            "calendar",
            "list",
            "工作日历",
            "Working-day calendar",
            "/api/calendar",
            json!({
                "sortable": false, "page_size": 100,
                "detail_href": "/admin/edit-calendar/{id}",
                "columns": [
                    col("year", "年度", "Year", "text"),
                    col("notice", "依据", "Notice", "text"),
                    col("holiday_count", "放假天数", "Days off", "number"),
                    col("workday_count", "调休上班天数", "Make-up working days", "number"),
                    col("builtin", "内置", "Built in", "bool"),
                    col("updated_at", "更新时间", "Updated", "datetime")
                ]
            }),
        ),
        "new-calendar" => def(
            "new-calendar",
            "form",
            "录入年度放假安排",
            "Enter a year's arrangement",
            "/api/calendar",
            json!({ "schema": calendar_schema(true) }),
        ),
        "edit-calendar" => def(
            "edit-calendar",
            "form",
            "修改年度放假安排",
            "Edit a year's arrangement",
            "/api/calendar/{id}",
            json!({ "method": "PUT", "schema": calendar_schema(false) }),
        ),
        "catalogue" => def(
            "catalogue",
            "list",
            "事项库",
            "Service catalogue",
            "/api/catalogue",
            json!({
                "sortable": false, "page_size": 5000,
                "columns": [
                    col("code", "事项编码", "Code", "text"),
                    col("name", "事项名称", "Item", "text"),
                    col("category_name", "窗口类别", "Window", "text"),
                    col("department", "实施部门", "Department", "text"),
                    col("statutory_days", "法定时限(工作日)", "Statutory limit (working days)", "number"),
                    col("promised_days", "承诺时限(工作日)", "Promised limit (working days)", "number"),
                    col("notify_commit", "告知承诺", "By commitment", "bool"),
                    col("accept_with_gaps", "容缺受理", "Accepted with gaps", "bool"),
                    col("door_service", "可上门办", "Door-to-door", "bool"),
                    col("self_service", "可自助办", "Self-service", "bool")
                ]
            }),
        ),
        "catalogue-versions" => def(
            "catalogue-versions",
            "list",
            "事项库版本",
            "Catalogue versions",
            "/api/catalogue/versions",
            json!({
                "sortable": false, "page_size": 500,
                "columns": [
                    col("version", "版本", "Version", "number"),
                    col("items", "事项数", "Items", "number"),
                    col("note", "说明", "Note", "text"),
                    col("source", "来源", "Source", "text"),
                    col("published_by", "发布人", "Published by", "text"),
                    col("published_at", "发布时间", "Published", "datetime")
                ]
            }),
        ),
        "audit" => def(
            "audit",
            "list",
            "审计日志",
            "Audit log",
            "/api/audit",
            json!({
                "sortable": false, "page_size": 50,
                "columns": [
                    col("at", "时间", "When", "datetime"), col("actor", "操作人", "Actor", "text"),
                    col("action", "操作", "Action", "tag"),
                    col("target_kind", "对象类型", "Target kind", "text"),
                    col("target_id", "对象", "Target", "text"), col("hall", "服务中心", "Hall", "hall")
                ],
                "filters": [
                    { "param": "actor", "title_zh": "操作人", "title_en": "Actor", "type": "text" },
                    { "param": "action", "title_zh": "操作", "title_en": "Action", "type": "text" },
                    { "param": "target_kind", "title_zh": "对象类型", "title_en": "Target kind", "type": "text" },
                    { "param": "hall", "title_zh": "服务中心", "title_en": "Hall", "type": "text" }
                ]
            }),
        ),
        _ => return None,
    })
}

/// The administration menu entries: (href, label).
pub fn menu(l: Locale, admin: bool, may_audit: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if admin {
        for (href, msg) in [
            ("/admin/halls", Msg::Halls),
            ("/admin/calendar", Msg::Calendar),
            ("/admin/catalogue", Msg::Catalogue),
            ("/admin/users", Msg::Users),
            ("/admin/tokens", Msg::Tokens),
            ("/admin/plugins", Msg::Plugins),
            ("/admin/agents", Msg::EdgeAgents),
            ("/admin/rollouts", Msg::Rollouts),
        ] {
            out.push((href.to_owned(), l.t(msg).to_owned()));
        }
    }
    if admin || may_audit {
        out.push(("/admin/audit".to_owned(), l.t(Msg::AuditLog).to_owned()));
    }
    out
}

fn not_found() -> ApiError {
    ApiError {
        status: 404,
        code: "not_found".into(),
        message: String::new(),
        details: Vec::new(),
    }
}

/// `/admin/{view}`: one of [`builtin`].
#[component]
pub fn AdminPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let key = move || {
        params.with(|p| {
            (
                p.get("view").unwrap_or_default(),
                p.get("id"),
                location.search.get(),
            )
        })
    };
    let client = Client::current();
    let data = Resource::new(key, move |(view, id, search)| {
        let client = client.clone();
        async move {
            match builtin(&view) {
                Some(view) => load_view(client, view, id, search).await,
                None => Err(not_found()),
            }
        }
    });
    let l = locale();
    signed_in(move |s: Session| {
        let extra = params
            .with_untracked(|p| p.get("view"))
            .and_then(|v| match v.as_str() {
                "halls" => Some(("/admin/new-hall", Msg::NewHall)),
                "calendar" => Some(("/admin/new-calendar", Msg::NewCalendarYear)),
                "users" => Some(("/admin/new-user", Msg::NewUser)),
                "tokens" => Some(("/admin/new-token", Msg::NewToken)),
                "rollouts" => Some(("/admin/new-rollout", Msg::NewRollout)),
                _ => None,
            });
        let extra =
            extra.map(|(href, msg)| view! { <p><a class="button" href=href>{l.t(msg)}</a></p> });
        let csrf = s.me.csrf_token.clone().unwrap_or_default();
        let upload = match params.with_untracked(|p| p.get("view")).as_deref() {
            Some("rollouts") => Some(
                view! {
                    <UploadForm
                        csrf=csrf
                        path="/api/edge/artefacts"
                        title=Msg::UploadEdgePlugin
                        hint=Msg::UploadEdgeHint
                        next_with_digest="/admin/new-rollout?digest="
                    />
                }
                .into_any(),
            ),
            Some("catalogue") => Some(view! { <CatalogueTools csrf=csrf /> }.into_any()),
            _ => None,
        };
        // The page's title, then its "new …" button, then the view.
        let page = move |loaded: super::view::Loaded| {
            let title = l.pick_json(&loaded.view().title, "");
            view! {
                <Title text=title.clone() />
                <h1>{title}</h1>
                {extra.clone()}
                {render_body(&s, &loaded)}
            }
            .into_any()
        };
        view! {
            {when_loaded(data, l, page)}
            {upload}
        }
        .into_any()
    })
}

/// `/admin/plugins`: installed plugins, their state, and installing one.
#[component]
pub fn PluginsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| api::get::<Value>("/api/admin/plugins".into()));
    let l = locale();
    signed_in(move |s: Session| {
        let csrf = s.me.csrf_token.clone().unwrap_or_default();
        let install_csrf = csrf.clone();
        view! {
            <Title text=l.t(Msg::Plugins) />
            <h1>{l.t(Msg::Plugins)}</h1>
            {when_loaded(data, l, move |v| plugin_table(&v, l, &csrf))}
            <UploadForm
                csrf=install_csrf
                path="/api/admin/plugins"
                title=Msg::InstallPlugin
                hint=Msg::InstallHint
            />
        }
        .into_any()
    })
}

fn plugin_table(v: &Value, l: Locale, csrf: &str) -> AnyView {
    let rows: Vec<AnyView> = v
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let id = p
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let name = l.pick_json(p.get("name").unwrap_or(&Value::Null), "");
            let version = p
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let enabled = p.get("enabled").and_then(Value::as_bool).unwrap_or(false);
            let quarantined = p
                .get("quarantined")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let (class, state) = match (quarantined, enabled) {
                (true, _) => ("badge badge-4", Msg::Quarantined),
                (false, true) => ("badge badge-1", Msg::Enabled),
                (false, false) => ("badge badge-5", Msg::Disabled),
            };
            let (verb, label) = if enabled {
                ("disable", Msg::Disable)
            } else {
                ("enable", Msg::Enable)
            };
            let action = format!("/api/admin/plugins/{id}/{verb}");
            let config = format!("/admin/plugins/{id}/config");
            view! {
                <tr data-plugin=id.clone()>
                    <td>
                        <a href=format!("/admin/plugins/{id}")>{name}</a>
                        <br />
                        <small class="none">{id.clone()}</small>
                    </td>
                    <td>{version}</td>
                    <td><span class=class>{l.t(state)}</span></td>
                    <td class="row-actions">
                        <CallButton path=action label=l.t(label).to_owned() csrf=csrf.to_owned() />
                        <a class="button" href=config>{l.t(Msg::Config)}</a>
                    </td>
                </tr>
            }
            .into_any()
        })
        .collect();
    view! {
        <div class="table-wrap">
            <table class="list">
                <thead>
                    <tr>
                        <th scope="col">{l.t(Msg::Plugins)}</th>
                        <th scope="col">{l.t(Msg::Version)}</th>
                        <th scope="col">{l.t(Msg::State)}</th>
                        <th scope="col">{l.t(Msg::Actions)}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The catalogue page's tools: export, import (publishing the next
/// version, or listing every wrong sheet, row and column), versions.
#[component]
fn CatalogueTools(csrf: String) -> impl IntoView {
    let l = locale();
    let outcome = RwSignal::new(None::<(bool, String)>);
    let problems = RwSignal::new(Vec::<String>::new());
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let file = crate::api::chosen_file(&ev);
            let csrf = csrf.clone();
            if let Some(file) = file {
                leptos::task::spawn_local(async move {
                    problems.set(Vec::new());
                    // Publishing names the version it starts from.
                    let base = api::get::<Value>("/api/catalogue".into())
                        .await
                        .ok()
                        .and_then(|v| v.get("version").and_then(Value::as_i64))
                        .unwrap_or(0);
                    let path = format!(
                        "/api/catalogue/import?base={base}&file={}",
                        crate::api::encode_component(&file.name())
                    );
                    let sent = crate::api::send_file(
                        &path,
                        file,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        &csrf,
                    )
                    .await;
                    match sent {
                        Ok(r) => {
                            let version = r.get("version").and_then(Value::as_i64).unwrap_or(0);
                            let items = r.get("items").and_then(Value::as_i64).unwrap_or(0);
                            outcome.set(Some((
                                true,
                                match l {
                                    Locale::Zh => format!(
                                        "{}第 {version} 版（{items} 项）",
                                        l.t(Msg::CataloguePublished)
                                    ),
                                    Locale::En => format!(
                                        "{}{version} ({items} items)",
                                        l.t(Msg::CataloguePublished)
                                    ),
                                },
                            )));
                            if let Some(w) = web_sys::window() {
                                let _ = w.location().reload();
                            }
                        }
                        Err(e) => {
                            problems.set(
                                e.details
                                    .iter()
                                    .map(|d| l.pick(&d.zh, &d.en).to_owned())
                                    .collect(),
                            );
                            outcome.set(Some((false, super::form::error_text(e, l))));
                        }
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&ev, &csrf);
    };
    view! {
        <p class="actions">
            <a class="button" href="/api/catalogue/export.xlsx" download>{l.t(Msg::ExportCatalogue)}</a>
            " "
            <a class="button" href="/admin/catalogue-versions">{l.t(Msg::CatalogueVersions)}</a>
        </p>
        <section class="card form install">
            <h2>{l.t(Msg::ImportCatalogue)}</h2>
            <label for="catalogue-file">{l.t(Msg::CatalogueFile)}</label>
            <input id="catalogue-file" type="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" on:change=on_change />
            <p class="hint">{l.t(Msg::ImportCatalogueHint)}</p>
            {outcome_line(outcome)}
            {move || {
                let list = problems.get();
                (!list.is_empty()).then(|| view! {
                    <ul class="problems" role="alert">
                        {list.into_iter().map(|p| view! { <li>{p}</li> }).collect::<Vec<_>>()}
                    </ul>
                })
            }}
        </section>
    }
}

/// Uploads a signed package (`.btpkg`) to `path` and shows what the host
/// made of it (`id`/`plugin`, `version`, and `digest` when there is one).
#[component]
fn UploadForm(
    csrf: String,
    path: &'static str,
    title: Msg,
    hint: Msg,
    /// Where to go next with the upload's digest appended (an edge
    /// package's rollout form), if anywhere.
    #[prop(optional)]
    next_with_digest: Option<&'static str>,
) -> impl IntoView {
    let l = locale();
    let outcome = RwSignal::new(None::<(bool, String)>);
    // An uploaded edge package: a link to roll it out.
    let next = RwSignal::new(None::<String>);
    let input_id = format!("upload-{}", path.trim_start_matches('/').replace('/', "-"));
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            let file = crate::api::chosen_file(&ev);
            let csrf = csrf.clone();
            if let Some(file) = file {
                leptos::task::spawn_local(async move {
                    let sent =
                        crate::api::send_file(path, file, "application/octet-stream", &csrf).await;
                    outcome.set(Some(match sent {
                        Ok(r) => {
                            let text = |k: &str| {
                                r.get(k)
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_owned()
                            };
                            let name = if r.get("id").is_some() {
                                text("id")
                            } else {
                                text("plugin")
                            };
                            let digest = text("digest");
                            if let Some(prefix) = next_with_digest
                                && !digest.is_empty()
                            {
                                next.set(Some(format!(
                                    "{prefix}{}",
                                    crate::api::encode_component(&digest)
                                )));
                            }
                            (
                                true,
                                format!(
                                    "{} {name} {} {digest}",
                                    l.t(Msg::Installed),
                                    text("version")
                                )
                                .trim()
                                .to_owned(),
                            )
                        }
                        Err(e) => (false, super::form::error_text(e, l)),
                    }));
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&ev, &csrf, path, next_with_digest);
    };
    view! {
        <section class="card form install">
            <h2>{l.t(title)}</h2>
            <label for=input_id.clone()>{l.t(Msg::PackageFile)}</label>
            <input id=input_id type="file" accept=".btpkg,application/octet-stream" on:change=on_change />
            <p class="hint">{l.t(hint)}</p>
            {outcome_line(outcome)}
            {move || {
                next.get()
                    .map(|href| {
                        view! { <a class="button primary roll-out" href=href>{l.t(Msg::RollOutThis)}</a> }
                    })
            }}
        </section>
    }
}

/// What the config page shows: the schema, the halls, the hall's own
/// values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct ConfigData {
    plugin: String,
    hall: Option<String>,
    halls: Vec<(String, String, String)>,
    schema: Value,
    own: Map<String, Value>,
    resolved: Value,
}

async fn load_config(
    client: Client,
    plugin: String,
    search: String,
) -> Result<ConfigData, ApiError> {
    let hall = parse_query(&search)
        .into_iter()
        .find(|(k, _)| k == "hall")
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty());
    let halls: Value = client.get("/api/halls".into()).await?;
    let halls = halls
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|h| {
            let get = |k: &str| {
                h.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            (get("id"), get("name_zh"), get("name_en"))
        })
        .collect();
    let query = hall
        .as_deref()
        .map(|h| format!("?hall={}", api::encode_component(h)))
        .unwrap_or_default();
    let v: Value = client
        .get(format!(
            "/api/admin/plugins/{}/config{query}",
            api::encode_component(&plugin)
        ))
        .await?;
    Ok(ConfigData {
        plugin,
        hall,
        halls,
        schema: v.get("schema").cloned().unwrap_or(Value::Null),
        own: v
            .get("config")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        resolved: v.get("resolved").cloned().unwrap_or(Value::Null),
    })
}

/// `/admin/plugins/{id}/config?hall=`: the district's or one hall's config.
#[component]
pub fn ConfigPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let key = move || {
        (
            params.with(|p| p.get("id").unwrap_or_default()),
            location.search.get(),
        )
    };
    let client = Client::current();
    let data = Resource::new(key, move |(id, search)| {
        load_config(client.clone(), id, search)
    });
    let l = locale();
    signed_in(move |s: Session| {
        let csrf = s.me.csrf_token.clone().unwrap_or_default();
        view! {
            <Title text=l.t(Msg::Config) />
            {when_loaded(data, l, move |c| config_view(c, l, csrf.clone()))}
        }
        .into_any()
    })
}

fn config_view(c: ConfigData, l: Locale, csrf: String) -> AnyView {
    let action = format!("/admin/plugins/{}/config", c.plugin);
    let options: Vec<AnyView> = c
        .halls
        .iter()
        .map(|(id, zh, en)| {
            let selected = c.hall.as_deref() == Some(id.as_str());
            let label = format!("{} ({id})", l.pick(zh, en));
            view! { <option value=id.clone() selected=selected>{label}</option> }.into_any()
        })
        .collect();
    let scope = match &c.hall {
        Some(h) => format!("{}：{h}", l.t(Msg::HallConfig)),
        None => l.t(Msg::DistrictConfig).to_owned(),
    };
    let path = match &c.hall {
        Some(h) => format!(
            "/api/admin/plugins/{}/config?hall={}",
            api::encode_component(&c.plugin),
            api::encode_component(h)
        ),
        None => format!(
            "/api/admin/plugins/{}/config",
            api::encode_component(&c.plugin)
        ),
    };
    let resolved = serde_json::to_string_pretty(&c.resolved).unwrap_or_default();
    let effective = c.resolved.as_object().cloned().unwrap_or_default();
    let form = if c.schema.is_null() {
        view! { <p class="notice">{l.t(Msg::NoConfig)}</p> }.into_any()
    } else {
        view! {
            <JsonSchemaForm
                schema=c.schema.clone()
                path
                method="PUT".to_owned()
                initial=effective
                base=c.own.clone()
                csrf
                options=Vec::new()
                submit=Msg::Save
            />
        }
        .into_any()
    };
    view! {
        <h1>{format!("{} · {}", l.t(Msg::Config), c.plugin)}</h1>
        <form class="filters" method="get" action=action>
            <div class="field">
                <label for="hall">{l.t(Msg::Halls)}</label>
                <select id="hall" name="hall">
                    <option value="">{l.t(Msg::DistrictConfig)}</option>
                    {options}
                </select>
            </div>
            <div class="actions">
                <button type="submit">{l.t(Msg::Switch)}</button>
            </div>
        </form>
        <h2>{scope}</h2>
        {form}
        <details class="resolved">
            <summary>{l.t(Msg::ResolvedConfig)}</summary>
            <pre>{resolved}</pre>
        </details>
    }
    .into_any()
}

/// `GET {collection}/{id}` for the page route's `:id`, again when it changes.
fn by_route_id(collection: &'static str) -> Resource<Result<Value, ApiError>> {
    let params = use_params_map();
    let client = Client::current();
    Resource::new(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        move |id| {
            client
                .clone()
                .get::<Value>(format!("{collection}/{}", api::encode_component(&id)))
        },
    )
}

/// `/admin/plugins/{id}`: one plugin — what it is, what it was granted, how
/// its calls went, and its installed versions, any of which can be made
/// current again (a rollback activates the previous one).
#[component]
pub fn PluginPage() -> impl IntoView {
    let data = by_route_id("/api/admin/plugins");
    let l = locale();
    signed_in(move |s: Session| {
        let csrf = s.me.csrf_token.clone().unwrap_or_default();
        when_loaded(data, l, move |p| plugin_detail(&p, l, &csrf)).into_any()
    })
}

fn plugin_detail(p: &Value, l: Locale, csrf: &str) -> AnyView {
    let get = |k: &str| p.get(k).cloned().unwrap_or(Value::Null);
    let id = crate::pages::view::text_of(&get("id"));
    let current = crate::pages::view::text_of(&get("version"));
    let name = l.pick_json(&get("name"), "");
    let description = l.pick_json(&get("description"), "");
    let vendor = match get("vendor") {
        Value::Object(_) => l.pick_json(&get("vendor"), "name"),
        other => crate::pages::view::text_of(&other),
    };
    let granted: Vec<AnyView> = get("granted")
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            view! { <span class="badge badge-5">{crate::pages::view::text_of(c)}</span> }.into_any()
        })
        .collect();
    let stats = serde_json::to_string_pretty(&get("stats")).unwrap_or_default();
    let versions: Vec<AnyView> = get("versions")
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            let version = crate::pages::view::text_of(v.get("version").unwrap_or(&Value::Null));
            let installed = v
                .get("installed_at")
                .and_then(Value::as_i64)
                .map(|ms| crate::i18n::format_datetime(ms, l))
                .unwrap_or_default();
            let by = crate::pages::view::text_of(v.get("installed_by").unwrap_or(&Value::Null));
            let action = if version == current {
                view! { <span class="badge badge-1">{l.t(Msg::CurrentVersion)}</span> }.into_any()
            } else {
                view! {
                    <CallButton
                        path=format!("/api/admin/plugins/{id}/activate")
                        label=l.t(Msg::Activate).to_owned()
                        confirm=fill(l.t(Msg::ConfirmActivate), &[("version", version.clone())])
                        csrf=csrf.to_owned()
                        body=json!({ "version": version.clone() })
                    />
                }
                .into_any()
            };
            view! {
                <tr data-version=version.clone()>
                    <td>{version.clone()}</td>
                    <td>{installed}</td>
                    <td>{by}</td>
                    <td>{action}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    view! {
        <Title text=name.clone() />
        <h1>{name}</h1>
        <p>{description}</p>
        <dl class="facts">
            <dt>{l.t(Msg::PluginId)}</dt>
            <dd>{id.clone()}</dd>
            <dt>{l.t(Msg::Vendor)}</dt>
            <dd>{vendor}</dd>
            <dt>{l.t(Msg::Granted)}</dt>
            <dd class="many">{granted}</dd>
        </dl>
        <p>
            <a class="button" href=format!("/admin/plugins/{id}/config")>{l.t(Msg::Config)}</a>
        </p>
        <h2>{l.t(Msg::Versions)}</h2>
        <div class="table-wrap">
            <table class="list versions">
                <thead>
                    <tr>
                        <th scope="col">{l.t(Msg::Version)}</th>
                        <th scope="col">{l.t(Msg::InstalledAt)}</th>
                        <th scope="col">{l.t(Msg::InstalledBy)}</th>
                        <th scope="col">{l.t(Msg::Actions)}</th>
                    </tr>
                </thead>
                <tbody>{versions}</tbody>
            </table>
        </div>
        <details class="resolved">
            <summary>{l.t(Msg::CallStats)}</summary>
            <pre>{stats}</pre>
        </details>
    }
    .into_any()
}

/// `/admin/agents/{id}`: one hall's edge agent and the plugins it runs,
/// each of which can be rolled back to its previous version.
#[component]
pub fn AgentPage() -> impl IntoView {
    let data = by_route_id("/api/edge/agents");
    let l = locale();
    signed_in(move |s: Session| {
        let csrf = s.me.csrf_token.clone().unwrap_or_default();
        let halls = s.hall_labels();
        when_loaded(data, l, move |a| agent_detail(&a, l, &csrf, &halls)).into_any()
    })
}

fn agent_detail(a: &Value, l: Locale, csrf: &str, halls: &[(String, String)]) -> AnyView {
    use crate::pages::view::text_of;
    let get = |k: &str| a.get(k).cloned().unwrap_or(Value::Null);
    let id = text_of(&get("id"));
    let online = get("online").as_bool().unwrap_or(false);
    let last_seen = get("last_seen")
        .as_i64()
        .map(|ms| crate::i18n::format_datetime(ms, l))
        .unwrap_or_default();
    let states: Vec<(String, String)> = DEPLOY_STATES
        .iter()
        .map(|(v, zh, en)| ((*v).to_owned(), l.pick(zh, en).to_owned()))
        .collect();
    // Every plugin the agent should run or reports, desired ones first.
    let reported: Vec<&Value> = a
        .get("report")
        .and_then(|r| r.get("plugins"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let desired: Vec<&Value> = a
        .get("desired")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let mut ids: Vec<String> = desired
        .iter()
        .map(|d| text_of(d.get("plugin").unwrap_or(&Value::Null)))
        .collect();
    for p in &reported {
        let plugin = text_of(p.get("id").unwrap_or(&Value::Null));
        if !ids.contains(&plugin) {
            ids.push(plugin);
        }
    }
    let plugins: Vec<AnyView> = ids
        .into_iter()
        .map(|plugin| {
            let report = reported
                .iter()
                .find(|p| p.get("id").and_then(Value::as_str) == Some(plugin.as_str()));
            let wanted = desired
                .iter()
                .find(|d| d.get("plugin").and_then(Value::as_str) == Some(plugin.as_str()));
            let field = |v: Option<&&Value>, k: &str| {
                v.and_then(|v| v.get(k)).map(text_of).unwrap_or_default()
            };
            let state = field(report, "state");
            let running = report
                .and_then(|p| p.get("running_version"))
                .map(text_of)
                .unwrap_or_else(|| field(report, "version"));
            let pinned = wanted
                .and_then(|d| d.get("pinned"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let base = format!(
                "/api/edge/agents/{}/plugins/{}",
                api::encode_component(&id),
                api::encode_component(&plugin)
            );
            let state_cell = (!state.is_empty()).then(|| {
                crate::pages::view::cell(Some(&Value::String(state)), "tag", &states, l)
            });
            let pin = wanted.map(|_| {
                let label = l.t(if pinned { Msg::Unpin } else { Msg::Pin }).to_owned();
                view! {
                    <CallButton
                        path=format!("{base}/pin")
                        label
                        csrf=csrf.to_owned()
                        body=json!({ "pinned": !pinned })
                    />
                }
            });
            view! {
                <tr data-plugin=plugin.clone() data-pinned=pinned.to_string()>
                    <td>{plugin.clone()}</td>
                    <td>{running}</td>
                    <td>{state_cell}</td>
                    <td>
                        {field(wanted, "version")}
                        {pinned.then(|| view! { " " <span class="badge badge-3">{l.t(Msg::Pinned)}</span> })}
                    </td>
                    <td>{field(report, "error")}</td>
                    <td class="row-actions">
                        <CallButton
                            path=format!("{base}/rollback")
                            label=l.t(Msg::Rollback).to_owned()
                            confirm=l.t(Msg::ConfirmRollback).to_owned()
                            csrf=csrf.to_owned()
                        />
                        {pin}
                    </td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let status = if online { Msg::Online } else { Msg::Offline };
    view! {
        <Title text=id.clone() />
        <h1>{format!("{} · {id}", l.t(Msg::EdgeAgents))}</h1>
        <dl class="facts">
            <dt>{l.t(Msg::Halls)}</dt>
            <dd>{crate::pages::view::cell(Some(&get("hall")), "hall", halls, l)}</dd>
            <dt>{l.t(Msg::State)}</dt>
            <dd>{l.t(status)}</dd>
            <dt>{l.t(Msg::Version)}</dt>
            <dd>{text_of(&get("version"))}</dd>
            <dt>{l.t(Msg::LastSeen)}</dt>
            <dd>{last_seen}</dd>
        </dl>
        <h2>{l.t(Msg::AgentPlugins)}</h2>
        <div class="table-wrap">
            <table class="list">
                <thead>
                    <tr>
                        <th scope="col">{l.t(Msg::Plugins)}</th>
                        <th scope="col">{l.t(Msg::Version)}</th>
                        <th scope="col">{l.t(Msg::State)}</th>
                        <th scope="col">{l.t(Msg::DesiredVersion)}</th>
                        <th scope="col">{l.t(Msg::Error)}</th>
                        <th scope="col">{l.t(Msg::Actions)}</th>
                    </tr>
                </thead>
                <tbody>{plugins}</tbody>
            </table>
        </div>
    }
    .into_any()
}
