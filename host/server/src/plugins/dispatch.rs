//! HTTP requests to `/api/plugins/{id}/…`: authenticate, match the
//! manifest's route, check roles and hall, call the plugin, commit its unit
//! of work when it answered with success, audit writes by people.

use axum::body::{Body, Bytes};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{self as http, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bantong_manifest::{Capability, Method as RouteMethod, RequestError, to_plugin_request};
use bantong_runtime::CallError;
use bantong_runtime::wit;
use bantong_store::{HallScope, Scope};
use serde_json::json;

use crate::audit::AuditEntry;
use crate::error::{AppError, Path};
use crate::http::auth::authenticate;
use crate::identity::{Principal, PrincipalKind};
use crate::state::AppState;

/// Response headers a plugin may set.
fn allowed_response_header(name: &str, value: &str) -> bool {
    match name {
        "content-type" => !is_active_content(value),
        "content-disposition" | "cache-control" | "etag" | "last-modified" => true,
        // Same-origin paths only: no open redirects.
        "location" => value.starts_with('/') && !value.starts_with("//") && !value.contains('\\'),
        "x-request-id" | "x-content-type-options" | "x-frame-options" => false,
        _ => name.starts_with("x-"),
    }
}

/// Media types a browser would execute or render as a document; plugins
/// answer from the host's origin, so they may not serve them.
fn is_active_content(content_type: &str) -> bool {
    let ty = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        ty.as_str(),
        "text/html"
            | "application/xhtml+xml"
            | "image/svg+xml"
            | "text/xml"
            | "application/xml"
            | "text/javascript"
            | "application/javascript"
    )
}

fn wit_method(m: RouteMethod) -> wit::Method {
    match m {
        RouteMethod::Get => wit::Method::Get,
        RouteMethod::Post => wit::Method::Post,
        RouteMethod::Put => wit::Method::Put,
        RouteMethod::Patch => wit::Method::Patch,
        RouteMethod::Delete => wit::Method::Delete,
    }
}

/// Maps a request the plugin can never see to its HTTP error.
fn request_error(e: RequestError) -> AppError {
    match e {
        RequestError::UnsupportedMethod(_) | RequestError::MethodNotAllowed { .. } => {
            AppError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                e.to_string(),
            )
        }
        RequestError::NoRoute(_) => AppError::not_found(e.to_string()),
        RequestError::BodyTooLarge { .. } => AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            e.to_string(),
        ),
        RequestError::BadPath(_) | RequestError::BadQuery(_) => {
            AppError::bad_request(e.to_string())
        }
    }
}

/// Picks the hall a request acts for: `?hall=` or `x-bantong-hall`, else the
/// caller's only hall; it must be within the caller's scope.
pub fn pick_hall(
    principal: Option<&Principal>,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Result<Option<String>, AppError> {
    match (asked_hall(query, headers), principal) {
        (Some(h), Some(p)) if p.district_wide || p.can_access_hall(&h) => Ok(Some(h)),
        (Some(h), Some(_)) => Err(AppError::forbidden(format!(
            "大厅 {h} 不在您的权限范围内 / hall {h} is outside your scope"
        ))),
        (Some(_), None) => Ok(None),
        (None, Some(p)) if !p.district_wide && p.halls.len() == 1 => Ok(p.halls.first().cloned()),
        (None, _) => Ok(None),
    }
}

/// The hall a request names (`?hall=` or `X-Bantong-Hall`), unchecked.
fn asked_hall(query: &[(String, String)], headers: &HeaderMap) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == "hall")
        .map(|(_, v)| v.clone())
        .or_else(|| {
            headers
                .get("x-bantong-hall")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
}

fn scope_for(plugin: &str, principal: Option<&Principal>) -> Scope {
    match principal {
        Some(p) if p.district_wide => Scope::all(plugin),
        Some(p) => Scope::halls(plugin, p.halls.clone()),
        None => Scope {
            plugin: plugin.to_owned(),
            halls: HallScope::Only(Vec::new()),
        },
    }
}

fn caller_of(p: &Principal) -> wit::Caller {
    wit::Caller {
        user_id: p.user_id.clone(),
        username: p.username.clone(),
        roles: p.roles.iter().map(|r| r.as_str().to_owned()).collect(),
        halls: p.halls.clone(),
        district_wide: p.district_wide,
    }
}

/// Maps a failed call to its HTTP error.
pub fn call_error(e: &CallError, request_id: &str) -> AppError {
    let (status, message) = match e {
        CallError::Timeout { .. } => (
            StatusCode::GATEWAY_TIMEOUT,
            "插件处理超时 / the plugin timed out",
        ),
        CallError::MemoryLimit { .. } => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "插件超出内存上限 / the plugin exceeded its memory cap",
        ),
        CallError::Trap(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "插件运行出错 / the plugin failed",
        ),
        CallError::RequestTooLarge { .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "请求内容过大 / request body too large",
        ),
        CallError::ResponseTooLarge { .. } => (
            StatusCode::BAD_GATEWAY,
            "插件响应过大 / the plugin's answer was too large",
        ),
        CallError::Quarantined => (
            StatusCode::SERVICE_UNAVAILABLE,
            "插件因连续故障已被隔离 / the plugin is quarantined",
        ),
        CallError::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "系统繁忙，请稍后重试 / busy, try again",
        ),
        CallError::HostStalled => (
            StatusCode::SERVICE_UNAVAILABLE,
            "系统繁忙，请稍后重试 / the host is busy, try again",
        ),
    };
    AppError::new(status, e.code(), message).with_request_id(request_id)
}

/// `ANY /api/plugins/{id}` and `/api/plugins/{id}/{*rest}`.
pub async fn plugin_http(
    State(state): State<AppState>,
    Path(params): Path<Vec<(String, String)>>,
    req: Request,
) -> Response {
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut resp = match dispatch(&state, params, req, &request_id).await {
        Ok(resp) => resp,
        Err(mut e) => {
            e.request_id.get_or_insert_with(|| request_id.clone());
            e.into_response()
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn dispatch(
    state: &AppState,
    params: Vec<(String, String)>,
    req: Request,
    request_id: &str,
) -> Result<Response, AppError> {
    let id = params
        .into_iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let (parts, body) = req.into_parts();
    let principal = authenticate(state, &parts).await?.map(|c| c.principal);
    if principal.as_ref().is_some_and(|p| p.must_change_password) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "请先修改初始密码 / change your initial password first",
        ));
    }
    let entry = state
        .plugins
        .index()
        .get(&id)
        .filter(|e| e.is_enabled())
        .ok_or_else(|| {
            AppError::not_found(format!(
                "插件 {id} 不存在或未启用 / plugin {id} is not installed or not enabled"
            ))
        })?;
    let plugin = entry.current();
    let meta = plugin.meta();
    // The raw target below `/api/plugins/{id}`, decoded by the same code the fuzzer exercises.
    let prefix_len = "/api/plugins/".len()
        + parts
            .uri
            .path()
            .get("/api/plugins/".len()..)
            .map_or(0, |rest| rest.split('/').next().map_or(0, str::len));
    let target = parts
        .uri
        .path_and_query()
        .map_or("", |pq| pq.as_str())
        .get(prefix_len..)
        .unwrap_or("");
    let limit = plugin.limits().boundary_bytes;
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    let declared_len = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let preq = to_plugin_request(
        &meta.routes,
        parts.method.as_str(),
        target,
        &headers,
        declared_len,
        limit,
    )
    .map_err(request_error)?;
    match &principal {
        None if !preq.route.public => return Err(AppError::unauthorized()),
        Some(p)
            if !preq.route.roles.is_empty()
                && !p.is_admin()
                && !preq
                    .route
                    .roles
                    .iter()
                    .any(|r| p.roles.iter().any(|pr| pr.as_str() == r)) =>
        {
            return Err(AppError::forbidden("权限不足 / insufficient role"));
        }
        _ => {}
    }
    // Anonymous callers: counted per route and address when the manifest
    // sets a rate; writing only under the `public-writes` grant, and then
    // only into the hall the request names.
    let anonymous_write = principal.is_none() && preq.route.method != RouteMethod::Get;
    if principal.is_none() {
        if let Some(per_minute) = preq.route.per_minute {
            let ip = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
            let route = format!("{} {}", preq.route.method, preq.route.path);
            if !state.public_throttle.allow(
                (id.clone(), route, ip),
                usize::try_from(per_minute).unwrap_or(usize::MAX),
                Instant::now(),
            ) {
                return Err(AppError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "提交过于频繁，请稍后再试 / too many submissions from this address, try again in a minute",
                ));
            }
        }
        if anonymous_write && !meta.grant.allows(&Capability::PublicWrites) {
            return Err(AppError::unauthorized());
        }
    }
    let mut hall = pick_hall(principal.as_ref(), &preq.query, &parts.headers)?;
    if anonymous_write {
        // The hall the anonymous writer names (an anonymous reader's is
        // not passed on: it reads district data only).
        hall = asked_hall(&preq.query, &parts.headers);
        let Some(h) = &hall else {
            return Err(AppError::bad_request(
                "请指明大厅 / an anonymous submission names its hall (?hall=)",
            ));
        };
        if state.identity.get_hall(h).await.is_err() {
            return Err(AppError::not_found(format!(
                "大厅 {h} 不存在 / no hall {h}"
            )));
        }
    }
    let body: Bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("请求内容超过 {limit} 字节 / body larger than {limit} bytes"),
        )
    })?;
    let path = preq.path.clone();
    let wit_req = wit::Request {
        request_id: request_id.to_owned(),
        method: wit_method(preq.method),
        path: preq.path,
        query: preq.query,
        headers: preq.headers,
        body: body.to_vec(),
        caller: principal.as_ref().map(caller_of),
        hall: hall.clone(),
    };
    let scope = match (&hall, anonymous_write) {
        (Some(h), true) => Scope::halls(&id, vec![h.clone()]),
        _ => scope_for(&id, principal.as_ref()),
    };
    let host = state
        .plugins
        .call_host(&plugin, scope, hall.as_deref(), request_id.to_owned())
        .await;
    let outcome = match state
        .plugins
        .runtime()
        .handle(&entry.slot, &plugin, host, wit_req)
        .await
    {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(plugin = %id, request_id, error = %e, "plugin call failed");
            if entry.slot.take_newly_quarantined() {
                state.plugins.persist_quarantine(&id).await;
            }
            return Err(call_error(&e, request_id));
        }
    };
    let resp = outcome.value;
    let status = StatusCode::from_u16(resp.status)
        .ok()
        .filter(|s| !s.is_informational());
    let Some(status) = status else {
        return Err(AppError::new(
            StatusCode::BAD_GATEWAY,
            "plugin_bad_status",
            format!("the plugin answered with status {}", resp.status),
        ));
    };
    let host = outcome.host;
    if status.is_success() || status.is_redirection() {
        // People's writes commit together with their audit row; machines
        // (API tokens) and the host itself are not audited per write.
        // A machine's call is recorded too when the plugin noted something
        // for the audit log.
        let person = principal
            .as_ref()
            .filter(|p| matches!(p.kind, PrincipalKind::User) || host.has_notes());
        match person {
            Some(p) => {
                let mut entry = AuditEntry::new(
                    p.user_id.clone(),
                    p.actor_kind(),
                    format!("plugin.{}", parts.method.as_str().to_ascii_lowercase()),
                    "plugin-route",
                    format!("{id}{path}"),
                )
                .detail(json!({ "request_id": request_id, "status": status.as_u16() }));
                if let Some(h) = &hall {
                    entry = entry.hall(h.clone());
                }
                host.commit_audited(state.identity.audit(), entry)
                    .await
                    .map_err(|e| AppError::internal("committing a plugin call", e))?;
            }
            None => host
                .commit(state.identity.audit())
                .await
                .map_err(|e| AppError::internal("committing a plugin call", e))?,
        }
    }
    // Whatever the plugin says, nothing it returns runs as a page of ours.
    let mut response = Response::builder()
        .status(status)
        .header("content-security-policy", "sandbox; default-src 'none'")
        .header("x-content-type-options", "nosniff");
    for (name, value) in resp.headers {
        let lower = name.to_ascii_lowercase();
        if !allowed_response_header(&lower, &value) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(lower.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response = response.header(n, v);
        }
    }
    response
        .body(Body::from(resp.body))
        .map_err(|e| AppError::internal("building a plugin response", e))
}
