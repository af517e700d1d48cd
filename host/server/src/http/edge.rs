//! `/api/edge/…`: enrolment, agents, commands and alerts.

use std::time::Duration;

use axum::extract::{Path, State};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use bantong_fabric::AgentId;
use bantong_fabric::msg::EnrolRequest;

use super::auth::Auth;
use crate::edge::registry::AlertQuery;
use crate::error::{AppError, AppResult, Json, Query};
use crate::state::AppState;

/// `POST /api/edge/v1/enrol`: an agent redeems its one-time token. No
/// session: the token is the credential.
pub async fn enrol(
    State(state): State<AppState>,
    Json(request): Json<EnrolRequest>,
) -> AppResult<Json<Value>> {
    if request.token.len() > 128 {
        return Err(AppError::validation("token is too long"));
    }
    let answer = state.edge.enrol(request).await?;
    Ok(Json(json!(answer)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub hall: String,
    pub agent_id: String,
}

/// `POST /api/edge/enrolments`: issues a one-time enrolment token.
pub async fn issue_token(
    State(state): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<NewToken>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let agent = AgentId::parse(&body.agent_id).map_err(AppError::validation)?;
    let ttl = Duration::from_secs(state.config.mqtt.enrol_token_hours.max(1) * 3600);
    let token = state
        .edge
        .registry
        .issue_token(&p, &body.hall, &agent, ttl)
        .await?;
    Ok((StatusCode::CREATED, Json(json!(token))))
}

/// `GET /api/edge/agents`: agents in the caller's halls.
pub async fn list_agents(State(state): State<AppState>, Auth(p): Auth) -> AppResult<Json<Value>> {
    let agents = state.edge.registry.list(&p).await?;
    Ok(Json(json!({ "items": agents })))
}

/// `GET /api/edge/agents/{id}`: the agent, its last report, and what it
/// should run (`desired`: plugin, version, digest, pinned, updated_at).
pub async fn get_agent(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    match state.edge.registry.get(&id).await? {
        Some(a) if p.can_access_hall(&a.hall) => {
            let mut answer = json!(a);
            answer["desired"] = json!(state.edge.desired_summary(&id).await?);
            Ok(Json(answer))
        }
        _ => Err(AppError::not_found(format!("edge agent {id}"))),
    }
}

/// `POST /api/edge/agents/{id}/revoke`
pub async fn revoke_agent(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    state.edge.revoke(&p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandBody {
    pub name: String,
    #[serde(default)]
    pub args: Value,
    /// How long to wait for the reply (default 10 s, at most 60 s).
    pub timeout_ms: Option<u64>,
    /// Run it in this edge plugin (its `on-command`) instead of the agent.
    #[serde(default)]
    pub plugin: Option<String>,
}

/// `POST /api/edge/agents/{id}/commands`: runs a command on an agent and
/// returns its reply. Needs `district-admin`.
pub async fn command(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(body): Json<CommandBody>,
) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    let agent = AgentId::parse(&id).map_err(AppError::validation)?;
    if state.edge.registry.get(&id).await?.is_none() {
        return Err(AppError::not_found(format!("edge agent {id}")));
    }
    let timeout = Duration::from_millis(body.timeout_ms.unwrap_or(10_000).clamp(100, 60_000));
    let reply = state
        .edge
        .command(
            &agent,
            body.plugin.as_deref(),
            &body.name,
            body.args,
            timeout,
        )
        .await?;
    Ok(Json(json!(reply)))
}

/// `GET /api/edge/alerts`
pub async fn alerts(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<AlertQuery>,
) -> AppResult<Json<Value>> {
    let items = state.edge.registry.alerts(&p, &q).await?;
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/edge/alerts/{agent}/{seq}/acknowledge`
pub async fn acknowledge_alert(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path((agent, seq)): Path<(String, i64)>,
) -> AppResult<StatusCode> {
    state
        .edge
        .registry
        .acknowledge_alert(&p, &agent, seq)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/edge/artefacts`: uploads a signed edge plugin package.
pub async fn upload_artefact(
    State(state): State<AppState>,
    Auth(p): Auth,
    crate::error::Body(body): crate::error::Body,
) -> AppResult<(StatusCode, Json<Value>)> {
    let answer = state.edge.upload_artefact(&p, &body).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `GET /api/edge/v1/artefacts/{digest}`: an agent downloads a package
/// (HTTP Basic with its MQTT login).
pub async fn download_artefact(
    State(state): State<AppState>,
    Path(digest): Path<String>,
    headers: http::HeaderMap,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if state.edge.authenticate_agent(authorization).await.is_none() {
        return Err(AppError::unauthorized());
    }
    let bytes = state.edge.artefact_bytes(&digest).await?;
    Ok((
        [(
            http::header::CONTENT_TYPE,
            "application/vnd.bantong.package",
        )],
        bytes,
    )
        .into_response())
}

/// `POST /api/edge/deployments`
pub async fn deploy(
    State(state): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<crate::edge::deploy::DeployRequest>,
) -> AppResult<Json<Value>> {
    Ok(Json(state.edge.deploy(&p, body).await?))
}

/// `GET /api/edge/agents/{id}/desired`
pub async fn desired(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    match state.edge.registry.get(&id).await? {
        Some(a) if p.can_access_hall(&a.hall) => {
            Ok(Json(json!(state.edge.desired_for(&id).await?)))
        }
        _ => Err(AppError::not_found(format!("edge agent {id}"))),
    }
}

/// `POST /api/edge/agents/{id}/plugins/{plugin}/rollback`
pub async fn rollback(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path((id, plugin)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    Ok(Json(state.edge.rollback(&p, &id, &plugin).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinBody {
    pub pinned: bool,
}

/// `POST /api/edge/agents/{id}/plugins/{plugin}/pin`
pub async fn pin(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path((id, plugin)): Path<(String, String)>,
    Json(body): Json<PinBody>,
) -> AppResult<StatusCode> {
    state.edge.pin(&p, &id, &plugin, body.pinned).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/edge/rollouts`: a staged rollout of one version to many agents.
pub async fn start_rollout(
    State(state): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<crate::edge::rollout::RolloutRequest>,
) -> AppResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(state.edge.start_rollout(&p, body).await?),
    ))
}

/// `GET /api/edge/rollouts`
pub async fn rollouts(State(state): State<AppState>, Auth(p): Auth) -> AppResult<Json<Value>> {
    Ok(Json(json!(state.edge.rollouts(&p).await?)))
}

/// `GET /api/edge/rollouts/{id}`
pub async fn rollout(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(state.edge.rollout(&p, &id).await?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbortBody {
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/edge/rollouts/{id}/abort`
pub async fn abort_rollout(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    // The body is optional: an empty one aborts without a stated reason.
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<AbortBody>(&body)
            .map_err(|e| AppError::validation(format!("abort request: {e}")))?
            .reason
    };
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(AppError::validation("reason: at most 500 characters"));
    }
    Ok(Json(
        state.edge.abort_rollout(&p, &id, reason.as_deref()).await?,
    ))
}
