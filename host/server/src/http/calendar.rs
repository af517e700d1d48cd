//! The district's working-day calendar over HTTP: every signed-in user may
//! read it (deadlines are shown to everyone); district administrators add
//! and correct years.

use axum::extract::State;
use axum::http::StatusCode;
use bantong_hall_kit::calendar::Arrangement;
use serde_json::{Value, json};

use super::auth::Auth;
use crate::calendar::{self, CalendarChangeError};
use crate::error::{AppError, AppResult, Json, Path};
use crate::identity::now_ms;
use crate::state::AppState;

/// The years an API call may name.
const YEARS: std::ops::RangeInclusive<i64> = 2000..=2100;

impl From<CalendarChangeError> for AppError {
    fn from(e: CalendarChangeError) -> Self {
        match e {
            CalendarChangeError::Forbidden => AppError::forbidden(e.to_string()),
            CalendarChangeError::Invalid(_) | CalendarChangeError::YearMismatch { .. } => {
                AppError::validation(format!("节假日安排有误 / invalid arrangement: {e}"))
            }
            CalendarChangeError::Exists(_) => AppError::conflict(e.to_string()),
            CalendarChangeError::Store(e) => AppError::internal("calendar store", e),
            CalendarChangeError::Audit(e) => AppError::internal("calendar audit", e),
        }
    }
}

fn year_of(text: &str) -> AppResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| AppError::not_found(format!("no year {text:?} (2000-2100)")))
}

fn with_id(mut v: Value) -> Value {
    if let Some(year) = v.get("year").and_then(Value::as_i64) {
        v["id"] = json!(year.to_string());
    }
    v
}

/// `GET /api/calendar`: the configured years, newest first, and the
/// warning when a year that should be configured is not.
pub async fn list(State(state): State<AppState>, _auth: Auth) -> AppResult<Json<Value>> {
    let years = state
        .store
        .calendar()
        .years(*YEARS.start(), *YEARS.end())
        .await
        .map_err(|e| AppError::internal("calendar", e))?;
    let warning = calendar::warning(&state.store, now_ms())
        .await
        .map_err(|e| AppError::internal("calendar", e))?;
    let items: Vec<Value> = years
        .iter()
        .rev()
        .map(|y| with_id(calendar::year_json(y)))
        .collect();
    Ok(Json(json!({ "items": items, "warning": warning })))
}

/// `GET /api/calendar/{year}`
pub async fn get_year(
    State(state): State<AppState>,
    _auth: Auth,
    Path(year): Path<String>,
) -> AppResult<Json<Value>> {
    let year = year_of(&year)?;
    let found = state
        .store
        .calendar()
        .year(year)
        .await
        .map_err(|e| AppError::internal("calendar", e))?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "{year}年的节假日安排尚未配置 / {year} is not configured"
            ))
        })?;
    Ok(Json(with_id(calendar::year_json(&found))))
}

/// `PUT /api/calendar/{year}`: adds or replaces a year (district admin).
pub async fn put_year(
    State(state): State<AppState>,
    auth: Auth,
    Path(year): Path<String>,
    Json(arrangement): Json<Arrangement>,
) -> AppResult<Json<Value>> {
    let year = year_of(&year)?;
    let stored =
        calendar::put_year(&state.store, &state.identity, &auth.0, year, arrangement).await?;
    Ok(Json(with_id(calendar::year_json(&stored))))
}

/// `POST /api/calendar`: adds a year that is not configured yet (district
/// admin); 409 when it is.
pub async fn create_year(
    State(state): State<AppState>,
    auth: Auth,
    Json(arrangement): Json<Arrangement>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let stored = calendar::create_year(&state.store, &state.identity, &auth.0, arrangement).await?;
    Ok((
        StatusCode::CREATED,
        Json(with_id(calendar::year_json(&stored))),
    ))
}
