//! Notices over HTTP: each person reads their own portal notices and marks
//! them read; district administrators see every notice plugins queued and
//! what became of it (sent, retrying, failed).

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Auth;
use crate::error::{AppError, AppResult, Json, Path, Query};
use crate::identity::now_ms;
use crate::notices::masked_recipient;
use crate::state::AppState;

/// `GET /api/notices`: the caller's portal notices, newest first.
pub async fn mine(State(state): State<AppState>, Auth(p): Auth) -> AppResult<Json<Value>> {
    let items = state
        .store
        .notices()
        .for_user(&p.user_id, 100)
        .await
        .map_err(|e| AppError::internal("notices", e))?;
    let unread = items.iter().filter(|n| n.read_at.is_none()).count();
    let items: Vec<Value> = items
        .iter()
        .map(|n| {
            json!({ "id": n.id, "text": n.text, "topic": n.topic, "hall": n.hall,
                    "plugin": n.plugin, "created_at": n.created_at, "read_at": n.read_at })
        })
        .collect();
    Ok(Json(json!({ "items": items, "unread": unread })))
}

/// `POST /api/notices/{id}/read`
pub async fn read(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let changed = state
        .store
        .notices()
        .mark_read(&id, &p.user_id, now_ms())
        .await
        .map_err(|e| AppError::internal("notices", e))?;
    if !changed {
        return Err(AppError::not_found(
            "no unread notice of yours with this id",
        ));
    }
    Ok(Json(json!({ "id": id, "read": true })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminFilter {
    plugin: Option<String>,
    state: Option<String>,
}

/// `GET /api/admin/notices?plugin=&state=`: every notice (admin), the
/// recipients' numbers masked.
pub async fn all(
    State(state): State<AppState>,
    auth: Auth,
    Query(f): Query<AdminFilter>,
) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    let items = state
        .store
        .notices()
        .list(f.plugin.as_deref(), f.state.as_deref(), 500)
        .await
        .map_err(|e| AppError::internal("notices", e))?;
    let items: Vec<Value> = items
        .iter()
        .map(|n| {
            json!({ "id": n.id, "plugin": n.plugin, "channel": n.channel.as_str(),
                    "to": masked_recipient(n.channel, &n.recipient), "topic": n.topic,
                    "hall": n.hall, "state": n.state, "attempts": n.attempts,
                    "created_at": n.created_at, "sent_at": n.sent_at,
                    "last_error": n.last_error, "external_id": n.external_id })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}
