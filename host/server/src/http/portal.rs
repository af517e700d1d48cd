//! Serves the portal (`frontend/portal`): its pages rendered here by
//! leptos, its browser bundle under `/pkg/`, its stylesheet, and the form
//! posts that keep the pages working without JavaScript: log in, log out,
//! change password, switch language. Each post answers with a redirect
//! (303) to a page that shows the outcome.
//!
//! Pages read the host's API in-process as the browser's user (the
//! portal's `api::Backend` is this host's API router), so they see exactly
//! what that user's API calls would.

use axum::Router;
use axum::extract::{ConnectInfo, Extension, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bantong_portal::i18n::{LANG_COOKIE, Locale};
use leptos::prelude::{LeptosOptions, provide_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Deserialize;
use tower_http::services::ServeDir;

use super::admin::{close_session, open_session};
use super::auth::{SESSION_COOKIE, cookie};
use crate::error::AppError;
use crate::identity::{Identity, now_ms};
use crate::state::AppState;

/// The portal's routes; `api` is the host's API router the pages read.
pub fn router(state: AppState, api: Router) -> Router {
    let options = LeptosOptions::builder()
        .output_name(bantong_portal::OUTPUT_NAME)
        .site_pkg_dir("pkg")
        .build();
    let routes = generate_route_list(bantong_portal::App);
    let backend = bantong_portal::api::Backend(api);
    let shell_options = options.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || {
                provide_context(backend.clone());
                // Per request: a path the page reads twice is called once.
                provide_context(bantong_portal::api::RequestMemo::default());
            },
            move || bantong_portal::shell(shell_options.clone()),
        )
        .with_state(options);
    let pkg = ServeDir::new(&state.config.portal_pkg_dir)
        .precompressed_br()
        .precompressed_gzip();
    let forms = Router::new()
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/auth/password", post(change_password))
        .route("/auth/lang", get(switch_language))
        .route(bantong_portal::STYLESHEET_PATH, get(stylesheet))
        .with_state(state);
    pages.merge(forms).nest_service("/pkg", pkg)
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bantong_portal::STYLESHEET,
    )
        .into_response()
}

/// A form post must come from this site: browsers send `Sec-Fetch-Site`
/// and `Origin` on posts, and a cross-site one is refused (login CSRF and
/// forced logout). Clients that send neither (old browsers, curl) pass.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host),
        (Some(_), None) => false,
        _ => true,
    }
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

fn see_other_with_cookie(location: &str, cookie: HeaderValue) -> Response {
    let mut resp = see_other(location);
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    resp
}

fn forbidden() -> Response {
    AppError::new(
        StatusCode::FORBIDDEN,
        "cross_site",
        "跨站提交被拒绝 / cross-site form post refused",
    )
    .into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /auth/login`: on success to `next` (a local path), otherwise back
/// to the login page with the reason (`error=account_locked`, …).
async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return forbidden();
    }
    let next = bantong_portal::safe_next(form.next);
    let ip = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    match open_session(&state, ip, &form.username, &form.password).await {
        Ok((cookie, principal, _csrf)) => {
            let target = if principal.must_change_password {
                "/password"
            } else {
                next.as_str()
            };
            see_other_with_cookie(target, cookie)
        }
        Err(e) => see_other(&format!(
            "/login?error={}&next={}",
            e.code,
            bantong_portal::api::encode_component(&next)
        )),
    }
}

/// The session behind the request's cookie, if the form's CSRF token is
/// the session's.
async fn session_with_csrf(
    state: &AppState,
    headers: &HeaderMap,
    presented: &str,
) -> Result<(String, crate::identity::Principal), AppError> {
    let secret = cookie(headers, SESSION_COOKIE).ok_or_else(AppError::unauthorized)?;
    let (principal, csrf) = state
        .identity
        .authenticate_session(&secret, now_ms())
        .await?;
    if !Identity::verify_csrf(&csrf, presented) {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "缺少或错误的 CSRF 令牌 / missing or wrong CSRF token",
        ));
    }
    Ok((secret, principal))
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /auth/logout`: ends the session; to the login page.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !same_origin(&headers) {
        return forbidden();
    }
    match session_with_csrf(&state, &headers, &form.csrf).await {
        Ok((secret, _)) => match close_session(&state, Some(&secret)).await {
            Ok(clear) => see_other_with_cookie("/login?error=logged_out", clear),
            Err(e) => e.into_response(),
        },
        // Already expired or unknown: the user is logged out either way.
        Err(e) if e.status == StatusCode::UNAUTHORIZED => see_other("/login"),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    old_password: String,
    new_password: String,
}

/// `POST /auth/password`: to the start page with a notice, or back to the
/// form with the reason.
async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    if !same_origin(&headers) {
        return forbidden();
    }
    let principal = match session_with_csrf(&state, &headers, &form.csrf).await {
        Ok((_, p)) => p,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            return see_other(&format!("/login?error={}", e.code));
        }
        Err(e) => return e.into_response(),
    };
    match state
        .identity
        .change_password(&principal, &form.old_password, &form.new_password)
        .await
    {
        Ok(()) => see_other("/?notice=password_changed"),
        Err(e) => {
            let e = AppError::from(e);
            see_other(&format!(
                "/password?error={}&message={}",
                e.code,
                bantong_portal::api::encode_component(&e.message)
            ))
        }
    }
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
    #[serde(default)]
    back: Option<String>,
}

/// `GET /auth/lang?to=en&back=/path`: remembers the language for a year.
async fn switch_language(axum::extract::Query(q): axum::extract::Query<LangQuery>) -> Response {
    let locale = Locale::from_tag(&q.to);
    let back = bantong_portal::safe_next(q.back);
    match HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        locale.tag()
    )) {
        Ok(cookie) => see_other_with_cookie(&back, cookie),
        Err(_) => see_other(&back),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_posts_are_refused() {
        assert!(same_origin(&headers(&[])));
        assert!(same_origin(&headers(&[
            ("host", "hall.example:8080"),
            ("origin", "http://hall.example:8080"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "hall.example:8080"),
            ("origin", "https://evil.example"),
        ])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "same-site")])));
    }
}
