//! Plugin administration over HTTP: install, list, enable, disable,
//! activate a version, remove, per-hall config, and the portal's view list.

use crate::error::{Body, Json};
use crate::error::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::plugins::PluginError;
use crate::state::AppState;

impl From<PluginError> for AppError {
    fn from(e: PluginError) -> AppError {
        match e {
            PluginError::Package(m) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "package_invalid", m)
            }
            PluginError::Untrusted(m) => {
                AppError::new(StatusCode::FORBIDDEN, "artefact_untrusted", m)
            }
            PluginError::Manifest(m) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "manifest_invalid", m)
            }
            PluginError::Load(m) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "component_invalid", m)
            }
            PluginError::NotFound(m) => AppError::not_found(format!("plugin {m}")),
            PluginError::Conflict(m) => AppError::conflict(m),
            PluginError::Config(errors) => {
                let zh: Vec<_> = errors.iter().map(|e| e.message_zh.clone()).collect();
                let mut err = AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "config_invalid",
                    zh.join("；"),
                );
                err.details = Some(json!(errors
                    .iter()
                    .map(|e| json!({ "path": e.path, "message_zh": e.message_zh, "message_en": e.message_en }))
                    .collect::<Vec<_>>()));
                err
            }
            PluginError::Store(e) => e.into(),
            PluginError::Audit(m) => AppError::internal("audit", m),
        }
    }
}

fn plugin_json(id: &str, entry: &crate::plugins::PluginEntry) -> Value {
    let current = entry.current();
    let meta = current.meta();
    json!({
        "id": id,
        "version": current.version(),
        "digest": meta.digest,
        "name": meta.manifest.name,
        "description": meta.manifest.description,
        "vendor": meta.manifest.vendor,
        "enabled": entry.is_enabled(),
        "quarantined": entry.slot.is_quarantined(),
        "granted": meta.grant.capabilities().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "stats": entry.slot.stats().snapshot(),
    })
}

/// `GET /api/admin/plugins`
pub async fn list(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    let items: Vec<Value> = state
        .plugins
        .index()
        .all()
        .iter()
        .map(|(id, e)| plugin_json(id, e))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/admin/plugins`: the body is a `.btpkg` package.
pub async fn install(
    State(state): State<AppState>,
    auth: Auth,
    Body(body): Body,
) -> AppResult<(StatusCode, Json<Value>)> {
    auth.require_admin()?;
    let report = state.plugins.install(&body, &auth.0).await?;
    Ok((StatusCode::CREATED, Json(json!(report))))
}

/// `GET /api/admin/plugins/{id}`
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    let entry = state
        .plugins
        .index()
        .get(&id)
        .ok_or_else(|| AppError::not_found(format!("plugin {id}")))?;
    let mut body = plugin_json(&id, &entry);
    let current = entry.current();
    body["manifest"] = json!(current.meta().manifest);
    body["versions"] = json!(state.store.registry().list_versions(&id).await?
        .into_iter()
        .map(|v| json!({ "version": v.version, "digest": v.digest, "key_id": v.key_id, "installed_at": v.installed_at, "installed_by": v.installed_by }))
        .collect::<Vec<_>>());
    Ok(Json(body))
}

/// `DELETE /api/admin/plugins/{id}`
pub async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    auth.require_admin()?;
    state.plugins.remove(&id, &auth.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/admin/plugins/{id}/enable`
pub async fn enable(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    auth.require_admin()?;
    state.plugins.set_enabled(&id, true, &auth.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/admin/plugins/{id}/disable`
pub async fn disable(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    auth.require_admin()?;
    state.plugins.set_enabled(&id, false, &auth.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ActivateBody {
    version: String,
}

/// `POST /api/admin/plugins/{id}/activate`
pub async fn activate(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(b): Json<ActivateBody>,
) -> AppResult<StatusCode> {
    auth.require_admin()?;
    state
        .plugins
        .activate_version(&id, &b.version, &auth.0)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct HallParam {
    hall: Option<String>,
}

/// Hall managers may configure their own halls; district config needs an admin.
fn may_configure(auth: &Auth, hall: Option<&str>) -> Result<(), AppError> {
    match hall {
        None => auth.require_admin(),
        Some(h) => {
            auth.require(&[crate::identity::Role::HallManager])?;
            if auth.0.can_access_hall(h) {
                Ok(())
            } else {
                Err(AppError::forbidden(format!(
                    "大厅 {h} 不在您的权限范围内 / hall {h} is outside your scope"
                )))
            }
        }
    }
}

/// `GET /api/admin/plugins/{id}/config?hall=`
pub async fn get_config(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<HallParam>,
) -> AppResult<Json<Value>> {
    may_configure(&auth, q.hall.as_deref())?;
    let entry = state
        .plugins
        .index()
        .get(&id)
        .ok_or_else(|| AppError::not_found(format!("plugin {id}")))?;
    let current = entry.current();
    let meta = current.meta();
    let own = state
        .store
        .registry()
        .get_config(&id, q.hall.as_deref())
        .await?
        .map(|c| c.config);
    let resolved = state
        .plugins
        .resolved_config(meta, q.hall.as_deref())
        .await?;
    let resolved: Value = serde_json::from_str(&resolved).unwrap_or(Value::Null);
    Ok(Json(json!({
        "schema": meta.config_schema.as_ref().map(|s| s.schema().clone()),
        "defaults": meta.manifest.config_defaults(),
        "config": own,
        "resolved": resolved,
    })))
}

/// `PUT /api/admin/plugins/{id}/config?hall=`
pub async fn put_config(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Query(q): Query<HallParam>,
    Json(config): Json<Value>,
) -> AppResult<Json<Value>> {
    may_configure(&auth, q.hall.as_deref())?;
    let resolved = state
        .plugins
        .set_config(&id, q.hall.as_deref(), config, &auth.0)
        .await?;
    Ok(Json(json!({ "resolved": resolved })))
}

/// `GET /api/portal/views`: views of enabled plugins the caller's roles may
/// see, and the names of the halls the caller may see (for the portal's
/// labels).
pub async fn portal_views(State(state): State<AppState>, Auth(p): Auth) -> AppResult<Json<Value>> {
    let mut items = Vec::new();
    for (id, entry) in state.plugins.index().all() {
        if !entry.is_enabled() {
            continue;
        }
        let current = entry.current();
        let meta = current.meta();
        let Some(Value::Array(views)) = meta.views.get() else {
            continue;
        };
        for view in views {
            let roles: Vec<String> =
                serde_json::from_value(view["roles"].clone()).unwrap_or_default();
            let visible = roles.is_empty()
                || p.is_admin()
                || roles
                    .iter()
                    .any(|r| p.roles.iter().any(|pr| pr.as_str() == r));
            if visible {
                let mut v = view.clone();
                v["plugin"] = json!(id);
                v["plugin_name"] = json!(meta.manifest.name);
                items.push(v);
            }
        }
    }
    let halls: Vec<Value> = state
        .identity
        .list_halls()
        .await?
        .into_iter()
        .filter(|h| p.district_wide || p.can_access_hall(&h.id))
        .map(|h| json!({ "id": h.id, "name_zh": h.name_zh, "name_en": h.name_en }))
        .collect();
    Ok(Json(json!({ "items": items, "halls": halls })))
}
