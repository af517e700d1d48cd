//! Authentication at the HTTP edge: session cookie (with CSRF on unsafe
//! methods) or `Authorization: Bearer` API token, turned into a [`Principal`].

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};

use crate::error::AppError;
use crate::identity::{IdentityError, Principal, Role, now_ms};
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "bt_session";
/// Header carrying the CSRF token on state-changing cookie-authenticated requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

/// How the caller authenticated, for CSRF and password-change rules.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub principal: Principal,
    pub csrf_token: Option<String>,
    pub cookie_secret: Option<String>,
}

impl From<IdentityError> for AppError {
    fn from(e: IdentityError) -> AppError {
        match e {
            IdentityError::InvalidCredentials => AppError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "用户名或密码错误 / wrong username or password",
            ),
            IdentityError::Locked { until } => AppError::new(
                StatusCode::LOCKED,
                "account_locked",
                format!(
                    "账号已锁定，请于 {} 之后重试 / account locked until {}",
                    fmt_time(until),
                    fmt_time(until)
                ),
            ),
            IdentityError::Expired => AppError::new(
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "登录已超时，请重新登录 / session expired, please log in again",
            ),
            IdentityError::Disabled => AppError::new(
                StatusCode::FORBIDDEN,
                "account_disabled",
                "账号已停用 / account disabled",
            ),
            IdentityError::WeakPassword(m) => {
                AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", m)
            }
            IdentityError::Invalid(m) => AppError::validation(m),
            IdentityError::NotFound(m) => AppError::not_found(m),
            IdentityError::Conflict(m) => AppError::conflict(m),
            IdentityError::Forbidden(m) => AppError::forbidden(m),
            other => AppError::internal("identity failure", other),
        }
    }
}

fn fmt_time(ms: i64) -> String {
    let Some(offset) = chrono::FixedOffset::east_opt(8 * 3600) else {
        return ms.to_string();
    };
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&offset)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| ms.to_string())
}

/// Reads one cookie value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Authenticates a request, or returns `Ok(None)` when it carries no credential.
pub async fn authenticate(
    state: &AppState,
    parts: &Parts,
) -> Result<Option<AuthContext>, AppError> {
    let identity = &state.identity;
    if let Some(token) = bearer(&parts.headers) {
        let principal = identity.authenticate_token(token, now_ms()).await?;
        return Ok(Some(AuthContext {
            principal,
            csrf_token: None,
            cookie_secret: None,
        }));
    }
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let (principal, csrf) = identity.authenticate_session(&secret, now_ms()).await?;
    if is_unsafe(&parts.method) {
        let presented = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !crate::identity::Identity::verify_csrf(&csrf, presented) {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "缺少或错误的 CSRF 令牌 / missing or wrong CSRF token",
            ));
        }
    }
    Ok(Some(AuthContext {
        principal,
        csrf_token: Some(csrf),
        cookie_secret: Some(secret),
    }))
}

impl FromRequestParts<AppState> for AuthContext {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(state, parts)
            .await?
            .ok_or_else(AppError::unauthorized)
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = AuthContext::from_request_parts(parts, state).await?;
        if ctx.principal.must_change_password {
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "请先修改初始密码 / change your initial password first",
            ));
        }
        Ok(Auth(ctx.principal))
    }
}

impl OptionalFromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match authenticate(state, parts).await? {
            Some(ctx) if ctx.principal.must_change_password => Err(AppError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "请先修改初始密码 / change your initial password first",
            )),
            Some(ctx) => Ok(Some(Auth(ctx.principal))),
            None => Ok(None),
        }
    }
}

impl Auth {
    /// Fails unless the caller has one of `roles` (district admins pass every check).
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if self.0.is_admin() || self.0.has_any_role(roles) {
            Ok(())
        } else {
            Err(AppError::forbidden("权限不足 / insufficient role"))
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        self.require(&[])
    }
}
