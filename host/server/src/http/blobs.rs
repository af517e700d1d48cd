//! Uploading and downloading blobs (photos, scans, attachments) for the
//! portal's forms; plugins reference them by SHA-256.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::auth::Auth;
use crate::audit::AuditEntry;
use bantong_store::HallScope;

use crate::error::{AppError, AppResult, Body, Json, Path, Query};
use crate::state::AppState;

#[derive(serde::Deserialize)]
pub struct UploadParams {
    hall: Option<String>,
}

/// `POST /api/blobs?hall=`: the body is the content, `Content-Type` its
/// media type. The blob belongs to the hall (the caller's only hall by
/// default); district-wide callers may omit it for district-level blobs.
pub async fn upload(
    State(state): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<UploadParams>,
    headers: HeaderMap,
    Body(body): Body,
) -> AppResult<(StatusCode, Json<serde_json::Value>)> {
    let ty = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::validation("缺少 Content-Type / missing Content-Type"))?;
    let hall = match q.hall {
        Some(h) if p.district_wide || p.can_access_hall(&h) => Some(h),
        Some(h) => {
            return Err(AppError::forbidden(format!(
                "大厅 {h} 不在您的权限范围内 / hall {h} is outside your scope"
            )));
        }
        None if p.district_wide => None,
        None => match p.halls.as_slice() {
            [only] => Some(only.clone()),
            _ => return Err(AppError::validation("请指定 hall 参数 / pass ?hall=")),
        },
    };
    let blob = state
        .store
        .put_blob_for(
            &body,
            ty,
            bantong_store::PORTAL_OWNER,
            hall.as_deref(),
            &p.user_id,
        )
        .await?;
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

/// `GET /api/blobs/{sha256}`: only blobs referenced within the caller's
/// halls (or at district level); others are "not found".
pub async fn download(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(sha): Path<String>,
) -> AppResult<Response> {
    let halls = if p.district_wide {
        HallScope::All
    } else {
        HallScope::Only(p.halls.clone())
    };
    if !state.store.blob_visible(&sha, None, &halls).await? {
        return Err(AppError::not_found(format!("blob {sha}")));
    }
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
