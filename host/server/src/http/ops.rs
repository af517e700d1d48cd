//! Operations endpoints: liveness, readiness, Prometheus metrics and the
//! OpenAPI document.

use std::fmt::Write as _;

use crate::error::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use bantong_runtime::LATENCY_BUCKETS_MS;
use serde_json::{Value, json};

use crate::state::AppState;

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(state.store.pool()).await {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "database unavailable" })),
            )
        }
    }
}

/// A counter's name, help text and how to read it from the stats.
type Counter = (
    &'static str,
    &'static str,
    fn(&bantong_runtime::StatsSnapshot) -> u64,
);

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let entries = state.plugins.index().all();
    let counters: [Counter; 6] = [
        (
            "bantong_plugin_calls_total",
            "Plugin calls that ran.",
            |s| s.calls,
        ),
        (
            "bantong_plugin_errors_total",
            "Plugin calls that failed (trap, timeout, memory).",
            |s| s.errors,
        ),
        (
            "bantong_plugin_timeouts_total",
            "Plugin calls stopped at their deadline.",
            |s| s.timeouts,
        ),
        (
            "bantong_plugin_traps_total",
            "Plugin calls that trapped.",
            |s| s.traps,
        ),
        (
            "bantong_plugin_memory_limit_total",
            "Plugin calls stopped at their memory cap.",
            |s| s.memory_limits,
        ),
        (
            "bantong_plugin_rejected_total",
            "Plugin calls refused (quarantined or busy).",
            |s| s.rejected,
        ),
    ];
    let snapshots: Vec<_> = entries
        .iter()
        .map(|(id, e)| (id, e.slot.stats().snapshot(), e))
        .collect();
    for (name, help, get) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (id, s, _) in &snapshots {
            let _ = writeln!(out, "{name}{{plugin=\"{id}\"}} {}", get(s));
        }
    }
    let _ = writeln!(
        out,
        "# HELP bantong_plugin_quarantined 1 when the plugin is quarantined.\n# TYPE bantong_plugin_quarantined gauge"
    );
    for (id, _, e) in &snapshots {
        let _ = writeln!(
            out,
            "bantong_plugin_quarantined{{plugin=\"{id}\"}} {}",
            u8::from(e.slot.is_quarantined())
        );
    }
    let name = "bantong_plugin_call_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Plugin call latency.\n# TYPE {name} histogram"
    );
    for (id, s, _) in &snapshots {
        for (bound, count) in LATENCY_BUCKETS_MS.iter().zip(&s.latency_buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{plugin=\"{id}\",le=\"{}\"}} {count}",
                bound / 1000.0
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{plugin=\"{id}\",le=\"+Inf\"}} {}",
            s.calls
        );
        let _ = writeln!(
            out,
            "{name}_sum{{plugin=\"{id}\"}} {}",
            s.latency_sum_seconds
        );
        let _ = writeln!(out, "{name}_count{{plugin=\"{id}\"}} {}", s.calls);
    }
    let _ = writeln!(
        out,
        "# HELP bantong_uptime_seconds Seconds since the process started.\n# TYPE bantong_uptime_seconds gauge\nbantong_uptime_seconds {}",
        state.started.elapsed().as_secs()
    );
    let _ = writeln!(
        out,
        "# HELP bantong_runtime_pooling 1 when the pooling allocator is in use.\n# TYPE bantong_runtime_pooling gauge\nbantong_runtime_pooling {}",
        u8::from(state.plugins.runtime().is_pooling())
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// The host API: (method, path, tag, summary). The OpenAPI document is built
/// from this table; `http::tests` checks every entry is routed.
pub const API: &[(&str, &str, &str, &str)] = &[
    (
        "post",
        "/api/auth/login",
        "auth",
        "Log in with username and password; sets the session cookie",
    ),
    (
        "post",
        "/api/auth/logout",
        "auth",
        "End the current session",
    ),
    (
        "get",
        "/api/auth/me",
        "auth",
        "The current caller and CSRF token",
    ),
    (
        "post",
        "/api/auth/password",
        "auth",
        "Change one's own password",
    ),
    (
        "get",
        "/api/halls",
        "halls",
        "List halls in the caller's scope",
    ),
    ("post", "/api/halls", "halls", "Create a hall (admin)"),
    (
        "get",
        "/api/calendar",
        "calendar",
        "The district's holiday arrangements, and the warning when a year is missing",
    ),
    (
        "post",
        "/api/calendar",
        "calendar",
        "Add a year's holiday arrangement (admin)",
    ),
    (
        "get",
        "/api/calendar/{year}",
        "calendar",
        "One year's arrangement",
    ),
    (
        "get",
        "/api/notices",
        "notices",
        "The caller's portal notices",
    ),
    (
        "post",
        "/api/notices/{id}/read",
        "notices",
        "Mark one of the caller's notices read",
    ),
    (
        "get",
        "/api/admin/notices",
        "notices",
        "Every notice plugins queued and its outcome (admin)",
    ),
    (
        "put",
        "/api/calendar/{year}",
        "calendar",
        "Replace a year's arrangement (admin)",
    ),
    ("get", "/api/halls/{id}", "halls", "One hall"),
    ("patch", "/api/halls/{id}", "halls", "Update a hall (admin)"),
    (
        "get",
        "/api/users",
        "users",
        "List users (admin, hall manager)",
    ),
    ("post", "/api/users", "users", "Create a user (admin)"),
    ("get", "/api/users/{id}", "users", "One user"),
    (
        "patch",
        "/api/users/{id}",
        "users",
        "Update roles, halls, disable (admin)",
    ),
    (
        "post",
        "/api/users/{id}/reset-password",
        "users",
        "Issue a one-time password (admin)",
    ),
    ("get", "/api/tokens", "tokens", "List API tokens"),
    (
        "post",
        "/api/tokens",
        "tokens",
        "Create an API token (secret shown once)",
    ),
    (
        "delete",
        "/api/tokens/{id}",
        "tokens",
        "Revoke an API token",
    ),
    (
        "get",
        "/api/admin/plugins",
        "plugins",
        "Installed plugins with state and counters",
    ),
    (
        "post",
        "/api/admin/plugins",
        "plugins",
        "Install a signed .btpkg package (body: the bytes)",
    ),
    (
        "get",
        "/api/admin/plugins/{id}",
        "plugins",
        "One plugin: manifest, grant, versions",
    ),
    (
        "delete",
        "/api/admin/plugins/{id}",
        "plugins",
        "Remove a plugin",
    ),
    (
        "post",
        "/api/admin/plugins/{id}/enable",
        "plugins",
        "Enable (and lift quarantine)",
    ),
    (
        "post",
        "/api/admin/plugins/{id}/disable",
        "plugins",
        "Disable",
    ),
    (
        "post",
        "/api/admin/plugins/{id}/activate",
        "plugins",
        "Switch to an installed version (rollback)",
    ),
    (
        "get",
        "/api/admin/plugins/{id}/config",
        "plugins",
        "District or hall config (?hall=) and the resolved result",
    ),
    (
        "put",
        "/api/admin/plugins/{id}/config",
        "plugins",
        "Set district or hall config, validated against the schema",
    ),
    (
        "get",
        "/api/portal/views",
        "portal",
        "Views of enabled plugins visible to the caller",
    ),
    (
        "post",
        "/api/blobs",
        "blobs",
        "Upload a blob (body: the content; Content-Type: its media type)",
    ),
    ("get", "/api/blobs/{sha256}", "blobs", "Download a blob"),
    (
        "post",
        "/api/edge/v1/enrol",
        "edge",
        "An agent redeems its one-time enrolment token",
    ),
    (
        "post",
        "/api/edge/enrolments",
        "edge",
        "Issue a one-time enrolment token for an agent",
    ),
    (
        "get",
        "/api/edge/agents",
        "edge",
        "Edge agents in the caller's halls, with link state",
    ),
    ("get", "/api/edge/agents/{id}", "edge", "One edge agent"),
    (
        "post",
        "/api/edge/agents/{id}/revoke",
        "edge",
        "Revoke an agent's credentials",
    ),
    (
        "post",
        "/api/edge/agents/{id}/commands",
        "edge",
        "Run a command on an agent and return its reply",
    ),
    (
        "post",
        "/api/edge/artefacts",
        "edge",
        "Upload a signed edge plugin package",
    ),
    (
        "get",
        "/api/edge/v1/artefacts/{digest}",
        "edge",
        "An agent downloads a package (Basic auth)",
    ),
    (
        "post",
        "/api/edge/deployments",
        "edge",
        "Set the plugin version and config agents should run",
    ),
    (
        "get",
        "/api/edge/agents/{id}/desired",
        "edge",
        "An agent's desired state",
    ),
    (
        "post",
        "/api/edge/agents/{id}/plugins/{plugin}/rollback",
        "edge",
        "Go back to the previous version (and pin it)",
    ),
    (
        "post",
        "/api/edge/agents/{id}/plugins/{plugin}/pin",
        "edge",
        "Pin or unpin a plugin's version on an agent",
    ),
    (
        "get",
        "/api/edge/alerts",
        "edge",
        "Camera and device alerts, newest first",
    ),
    (
        "post",
        "/api/edge/alerts/{agent}/{seq}/acknowledge",
        "edge",
        "Acknowledge an alert",
    ),
    ("get", "/api/audit", "audit", "Audit log with filters"),
    (
        "get",
        "/api/audit/verify",
        "audit",
        "Verify the audit hash chain (admin)",
    ),
    ("get", "/healthz", "ops", "Liveness"),
    ("get", "/readyz", "ops", "Readiness (database reachable)"),
    ("get", "/metrics", "ops", "Prometheus metrics"),
    ("get", "/api/openapi.json", "ops", "This document"),
];

/// `GET /api/openapi.json`
pub async fn openapi() -> Json<Value> {
    let mut paths = serde_json::Map::new();
    for (method, path, tag, summary) in API {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let op = json!({
            "tags": [tag],
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": { "description": "success" },
                "4XX": { "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    paths.insert(
        "/api/plugins/{id}/{path}".into(),
        json!({ "x-summary": "Plugin routes: any method declared in the plugin's manifest; the body and answer are the plugin's" }),
    );
    Json(json!({
        "openapi": "3.1.0",
        "info": { "title": "Bantong host API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": { "error": { "type": "object", "properties": {
                        "code": { "type": "string" }, "message": { "type": "string" }, "request_id": { "type": "string" }
                    }, "required": ["code", "message"] } }
                }
            },
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": "bt_session" },
                "token": { "type": "http", "scheme": "bearer" }
            }
        }
    }))
}
