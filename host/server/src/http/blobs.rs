//! Uploading and downloading blobs (photos, scans, attachments) for the
//! portal's forms; plugins reference them by SHA-256.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::Auth;
use crate::audit::AuditEntry;
use crate::error::{AppError, AppResult, Body, Json, Path};
use crate::state::AppState;

/// `POST /api/blobs`: the body is the content, `Content-Type` its media type.
pub async fn upload(
    State(state): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Body(body): Body,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let ty = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::validation("缺少 Content-Type / missing Content-Type"))?;
    let blob = state.store.put_blob(&body, ty).await?;
    let entry = AuditEntry::new(
        p.user_id.clone(),
        p.actor_kind(),
        "blob.upload",
        "blob",
        blob.sha256.clone(),
    )
    .detail(json!({ "size": blob.size, "content_type": blob.content_type }));
    if let Err(e) = state.identity.audit().record(&entry).await {
        tracing::error!(error = %e, "could not audit a blob upload");
    }
    Ok((StatusCode::CREATED, Json(json!(blob))))
}

/// `GET /api/blobs/{sha256}`
pub async fn download(
    State(state): State<AppState>,
    _auth: Auth,
    Path(sha): Path<String>,
) -> AppResult<Response> {
    let (blob, bytes) = state
        .store
        .get_blob(&sha)
        .await?
        .ok_or_else(|| AppError::not_found(format!("blob {sha}")))?;
    let mut resp = bytes.into_response();
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&blob.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    // Content-addressed: never changes.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}
