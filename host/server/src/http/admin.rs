//! The host's own API: authentication, halls, users, API tokens and the
//! audit log. Plugin administration lives in `plugins_admin.rs`.

use crate::error::Json;
use crate::error::{Path, Query};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Auth, AuthContext, SESSION_COOKIE};
use crate::audit::AuditQuery;
use crate::error::{AppError, AppResult};
use crate::identity::{HallUpdate, NewHall, NewUser, Role, UserUpdate, now_ms};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

fn session_cookie(
    state: &AppState,
    value: &str,
    max_age_secs: i64,
) -> Result<HeaderValue, AppError> {
    let secure = if state.config.auth.secure_cookie {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{secure}"
    ))
    .map_err(|e| AppError::internal("session cookie", e))
}

/// Checks a password login (throttled per address when the peer is known)
/// and opens a browser session: the `Set-Cookie` value, the caller and the
/// session's CSRF token. Shared by the JSON API and the portal's form.
pub(crate) async fn open_session(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    username: &str,
    password: &str,
) -> AppResult<(HeaderValue, crate::identity::Principal, String)> {
    if let Some(ip) = peer
        && !state.login_throttle.allow(
            ip,
            crate::http::throttle::MAX_ATTEMPTS,
            std::time::Instant::now(),
        )
    {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "登录尝试过于频繁，请稍后再试 / too many login attempts, try again later",
        ));
    }
    let (session, principal) = state.identity.login(username, password, now_ms()).await?;
    let max_age = (session.expires_at - now_ms()).max(0) / 1000;
    let cookie = session_cookie(state, &session.cookie_secret, max_age)?;
    Ok((cookie, principal, session.csrf_token))
}

/// Ends the session behind `cookie_secret` (if any) and returns the
/// `Set-Cookie` value that clears the browser's cookie.
pub(crate) async fn close_session(
    state: &AppState,
    cookie_secret: Option<&str>,
) -> AppResult<HeaderValue> {
    if let Some(secret) = cookie_secret {
        state.identity.logout(secret, now_ms()).await?;
    }
    session_cookie(state, "", 0)
}

/// `POST /api/auth/login`
pub async fn login(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Json(body): Json<LoginBody>,
) -> AppResult<Response> {
    // Served with connect info; absent in in-process tests.
    let ip = peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip());
    let (cookie, principal, csrf) =
        open_session(&state, ip, &body.username, &body.password).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie);
    Ok((
        headers,
        Json(json!({ "user": principal, "csrf_token": csrf })),
    )
        .into_response())
}

/// `POST /api/auth/logout`
pub async fn logout(State(state): State<AppState>, ctx: AuthContext) -> AppResult<Response> {
    let cookie = close_session(&state, ctx.cookie_secret.as_deref()).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie);
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// `GET /api/auth/me`: the caller and, for a browser session, its CSRF token.
pub async fn me(ctx: AuthContext) -> Json<Value> {
    Json(json!({ "user": ctx.principal, "csrf_token": ctx.csrf_token }))
}

#[derive(Deserialize)]
pub struct PasswordBody {
    old_password: String,
    new_password: String,
}

/// `POST /api/auth/password`
pub async fn change_password(
    State(state): State<AppState>,
    ctx: AuthContext,
    Json(body): Json<PasswordBody>,
) -> AppResult<StatusCode> {
    state
        .identity
        .change_password(&ctx.principal, &body.old_password, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/halls`: every hall for district-wide callers, own halls otherwise.
pub async fn list_halls(State(state): State<AppState>, Auth(p): Auth) -> AppResult<Json<Value>> {
    let halls = state.identity.list_halls().await?;
    let visible: Vec<_> = halls
        .into_iter()
        .filter(|h| p.district_wide || p.can_access_hall(&h.id))
        .collect();
    Ok(Json(json!({ "items": visible })))
}

/// `POST /api/halls`
pub async fn create_hall(
    State(state): State<AppState>,
    auth: Auth,
    Json(new): Json<NewHall>,
) -> AppResult<(StatusCode, Json<Value>)> {
    auth.require_admin()?;
    let hall = state.identity.create_hall(&auth.0, new).await?;
    Ok((StatusCode::CREATED, Json(json!(hall))))
}

/// `GET /api/halls/{id}`
pub async fn get_hall(
    State(state): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    if !p.can_access_hall(&id) {
        return Err(AppError::not_found(format!("hall {id}")));
    }
    Ok(Json(json!(state.identity.get_hall(&id).await?)))
}

/// `PATCH /api/halls/{id}`
pub async fn update_hall(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(update): Json<HallUpdate>,
) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    Ok(Json(json!(
        state.identity.update_hall(&auth.0, &id, update).await?
    )))
}

/// `GET /api/users`: admins see everyone, hall managers the users of their halls.
pub async fn list_users(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require(&[Role::HallManager])?;
    let users = state.identity.list_users().await?;
    let p = &auth.0;
    let visible: Vec<_> = users
        .into_iter()
        .filter(|u| {
            p.is_admin() || (!u.district_wide && u.halls.iter().any(|h| p.can_access_hall(h)))
        })
        .collect();
    Ok(Json(json!({ "items": visible })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    username: String,
    display_name: String,
    password: String,
    roles: Vec<Role>,
    #[serde(default)]
    halls: Vec<String>,
    #[serde(default)]
    district_wide: bool,
}

/// `POST /api/users`: the password is the initial one; it must be changed at first login.
pub async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    Json(b): Json<NewUserBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    auth.require_admin()?;
    let new = NewUser {
        username: b.username,
        display_name: b.display_name,
        password: b.password,
        roles: b.roles,
        halls: b.halls,
        district_wide: b.district_wide,
        must_change_password: true,
    };
    let user = state.identity.create_user(&auth.0, new).await?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

/// `GET /api/users/{id}`
pub async fn get_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    if auth.0.user_id != id {
        auth.require_admin()?;
    }
    Ok(Json(json!(state.identity.get_user(&id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUpdateBody {
    display_name: Option<String>,
    roles: Option<Vec<Role>>,
    halls: Option<Vec<String>>,
    district_wide: Option<bool>,
    disabled: Option<bool>,
}

/// `PATCH /api/users/{id}`
pub async fn update_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(b): Json<UserUpdateBody>,
) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    let update = UserUpdate {
        display_name: b.display_name,
        roles: b.roles,
        halls: b.halls,
        district_wide: b.district_wide,
    };
    let mut user = state.identity.update_user(&auth.0, &id, update).await?;
    if let Some(disabled) = b.disabled {
        user = state.identity.set_disabled(&auth.0, &id, disabled).await?;
    }
    Ok(Json(json!(user)))
}

/// `POST /api/users/{id}/reset-password`: returns a new one-time password.
pub async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    let password = state.identity.admin_reset_password(&auth.0, &id).await?;
    Ok(Json(json!({ "password": password })))
}

#[derive(Deserialize)]
pub struct TokenBody {
    name: String,
    /// Acts as this user (admins only); default: the caller.
    user_id: Option<String>,
    expires_at: Option<i64>,
}

/// `GET /api/tokens`
pub async fn list_tokens(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let filter = if auth.0.is_admin() {
        None
    } else {
        Some(auth.0.user_id.as_str())
    };
    Ok(Json(
        json!({ "items": state.identity.list_tokens(filter).await? }),
    ))
}

/// `POST /api/tokens`: the plaintext token is in the answer, once.
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth,
    Json(b): Json<TokenBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let user_id = b.user_id.unwrap_or_else(|| auth.0.user_id.clone());
    let (token, plaintext) = state
        .identity
        .create_token(&auth.0, &user_id, &b.name, b.expires_at)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "secret": plaintext })),
    ))
}

/// `DELETE /api/tokens/{id}`
pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(
        state.identity.revoke_token(&auth.0, &id).await?
    )))
}

#[derive(Deserialize)]
pub struct AuditParams {
    actor: Option<String>,
    action: Option<String>,
    target_kind: Option<String>,
    target_id: Option<String>,
    hall: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/audit`: admins and leaders see everything; hall managers their halls.
pub async fn audit_log(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<AuditParams>,
) -> AppResult<Json<Value>> {
    auth.require(&[Role::Leader, Role::HallManager, Role::Inspector])?;
    let p = &auth.0;
    let hall = match (&q.hall, p.district_wide) {
        (_, true) => q.hall.clone(),
        (Some(h), false) if p.can_access_hall(h) => Some(h.clone()),
        (Some(_), false) => {
            return Err(AppError::forbidden(
                "该大厅不在您的权限范围内 / hall outside your scope",
            ));
        }
        (None, false) => match p.halls.as_slice() {
            [only] => Some(only.clone()),
            _ => return Err(AppError::validation("请指定 hall 参数 / pass ?hall=")),
        },
    };
    let query = AuditQuery {
        actor: q.actor,
        action: q.action,
        target_kind: q.target_kind,
        target_id: q.target_id,
        hall,
        from: q.from,
        to: q.to,
        limit: q.limit,
        offset: q.offset,
    };
    let rows = state
        .identity
        .audit()
        .query(&query)
        .await
        .map_err(|e| AppError::internal("audit query", e))?;
    Ok(Json(json!({ "items": rows })))
}

/// `GET /api/audit/verify`
pub async fn audit_verify(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require_admin()?;
    let report = state
        .identity
        .audit()
        .verify()
        .await
        .map_err(|e| AppError::internal("audit verify", e))?;
    Ok(Json(json!(report)))
}
