//! The service catalogue over HTTP: every signed-in user reads it (window
//! staff look items up); district administrators publish new versions by
//! importing the spreadsheet or sending JSON.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bantong_hall_kit::catalogue::Catalogue;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Auth;
use crate::catalogue::{self, Publish, PublishError};
use crate::error::{AppError, AppResult, Body, Json, Path, Query};
use crate::state::AppState;

impl From<PublishError> for AppError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Forbidden => AppError::forbidden(e.to_string()),
            PublishError::Unreadable(_) | PublishError::Invalid(_) => {
                AppError::validation(e.to_string())
            }
            PublishError::Problems(ref problems) => {
                // The portal's per-field form: a path and a message; the
                // sheet, row and column stay machine-readable beside them.
                let details: Vec<Value> = problems
                    .iter()
                    .map(|p| {
                        let mut d = json!(p);
                        d["path"] = json!(format!(
                            "{}!{}{}",
                            p.sheet,
                            p.row,
                            p.column
                                .as_deref()
                                .map(|c| format!(" {c}"))
                                .unwrap_or_default()
                        ));
                        d["message_zh"] = json!(p.to_string());
                        d
                    })
                    .collect();
                AppError::validation(e.to_string()).with_details(json!(details))
            }
            PublishError::Conflict(_) => AppError::conflict(e.to_string()),
            PublishError::Store(e) => AppError::internal("catalogue store", e),
            PublishError::Audit(e) => AppError::internal("catalogue audit", e),
        }
    }
}

fn none_yet() -> AppError {
    AppError::not_found("事项库尚未发布 / no catalogue has been published yet")
}

/// `GET /api/catalogue`: the current version with every item; before the
/// first is published, `version` is null and there are no items.
pub async fn current(State(state): State<AppState>, _auth: Auth) -> AppResult<Json<Value>> {
    let found = catalogue::current(&state.store)
        .await
        .map_err(|e| AppError::internal("catalogue", e))?;
    Ok(Json(match found {
        Some((info, cat)) => catalogue::version_json(&info, &cat),
        None => catalogue::empty_json(),
    }))
}

/// `GET /api/catalogue/versions`: every version, newest first, without items.
pub async fn versions(State(state): State<AppState>, _auth: Auth) -> AppResult<Json<Value>> {
    let versions = state
        .store
        .catalogue()
        .versions()
        .await
        .map_err(|e| AppError::internal("catalogue", e))?;
    let items: Vec<Value> = versions
        .iter()
        .map(|v| {
            let mut j = json!(v);
            j["id"] = json!(v.version.to_string());
            j
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

fn version_number(text: &str) -> AppResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::not_found(format!("no catalogue version {text:?}")))
}

/// `GET /api/catalogue/versions/{version}`
pub async fn get_version(
    State(state): State<AppState>,
    _auth: Auth,
    Path(v): Path<String>,
) -> AppResult<Json<Value>> {
    let v = version_number(&v)?;
    let (info, cat) = catalogue::version(&state.store, v)
        .await
        .map_err(|e| AppError::internal("catalogue", e))?
        .ok_or_else(|| AppError::not_found(format!("事项库没有第 {v} 版 / no version {v}")))?;
    Ok(Json(catalogue::version_json(&info, &cat)))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// A version; the current one when absent.
    version: Option<i64>,
}

/// `GET /api/catalogue/export.xlsx[?version=N]`: the importable workbook.
pub async fn export(
    State(state): State<AppState>,
    _auth: Auth,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let found = match q.version {
        Some(v) => catalogue::version(&state.store, v).await,
        None => catalogue::current(&state.store).await,
    }
    .map_err(|e| AppError::internal("catalogue", e))?;
    let (info, cat) = found.ok_or_else(none_yet)?;
    let bytes = tokio::task::spawn_blocking(move || {
        catalogue::workbook(&info, &cat).map(|b| (info.version, b))
    })
    .await
    .map_err(|e| AppError::internal("catalogue export", e))?
    .map_err(|e| AppError::internal("catalogue export", e))?;
    let (version, bytes) = bytes;
    let name = format!("shixiangku-v{version}.xlsx");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ImportQuery {
    /// The version the administrator started from (0 or absent: none).
    #[serde(default)]
    base: i64,
    #[serde(default)]
    note: String,
    /// The uploaded file's name, for the record.
    #[serde(default)]
    file: String,
}

/// `POST /api/catalogue/import?base=N&note=…&file=…` with the `.xlsx` as
/// the body: publishes it as the next version (district admin). A wrong
/// row refuses the whole file: 422 with `details.problems`, each naming
/// the sheet, the row as Excel numbers it and the column.
pub async fn import(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<ImportQuery>,
    Body(body): Body,
) -> AppResult<(StatusCode, Json<Value>)> {
    if !auth.0.is_admin() {
        return Err(PublishError::Forbidden.into());
    }
    let parsed = tokio::task::spawn_blocking(move || catalogue::from_workbook(&body))
        .await
        .map_err(|e| AppError::internal("catalogue import", e))??;
    let file: String = q
        .file
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    let source = if file.is_empty() {
        "import".to_owned()
    } else {
        format!("import:{file}")
    };
    publish(
        &state,
        &auth,
        Publish {
            catalogue: parsed,
            note: &q.note,
            source,
            base: q.base,
        },
    )
    .await
}

/// Publishes a version, sends it to the halls, answers 201 with it.
async fn publish(
    state: &AppState,
    auth: &Auth,
    request: Publish<'_>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let published = catalogue::publish(&state.store, &state.identity, &auth.0, request).await?;
    state.edge.publish_catalogue().await;
    Ok((StatusCode::CREATED, Json(json!(published))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutBody {
    #[serde(default)]
    base: i64,
    #[serde(default)]
    note: String,
    catalogue: Value,
}

/// `PUT /api/catalogue` `{base, note, catalogue}`: publishes a JSON
/// catalogue as the next version (district admin).
pub async fn put(
    State(state): State<AppState>,
    auth: Auth,
    Json(body): Json<PutBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    if !auth.0.is_admin() {
        return Err(PublishError::Forbidden.into());
    }
    let parsed = Catalogue::from_json(&body.catalogue.to_string()).map_err(AppError::validation)?;
    publish(
        &state,
        &auth,
        Publish {
            catalogue: parsed,
            note: &body.note,
            source: "api".to_owned(),
            base: body.base,
        },
    )
    .await
}
