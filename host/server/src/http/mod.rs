//! The HTTP surface of the host: `app(state)` builds the whole router so
//! tests can drive it without a socket.

pub mod admin;
pub mod answer;
pub mod auth;
pub mod blobs;
pub mod calendar;
pub mod catalogue;
pub mod dashboard;
pub mod edge;
pub mod field;
pub mod notices;
pub mod ops;
pub mod plugins_admin;
pub mod portal;
pub mod throttle;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};

use axum::response::IntoResponse;

use crate::error::AppError;
use crate::plugins::dispatch::plugin_http;
use crate::state::AppState;

/// Largest package accepted by the install endpoint.
const MAX_PACKAGE_BYTES: usize = 64 * 1024 * 1024;

/// The host's router: the JSON API under `/api/` and the portal's pages.
pub fn app(state: AppState) -> Router {
    let api = api(state.clone());
    let answer = answer::router(state.clone());
    portal::router(state, api.clone())
        .merge(field::router())
        .merge(answer)
        .merge(api)
}

/// The JSON API alone (the portal's pages read it in-process).
fn api(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/auth/login", post(admin::login))
        .route("/api/auth/logout", post(admin::logout))
        .route("/api/auth/me", get(admin::me))
        .route("/api/auth/password", post(admin::change_password))
        .route(
            "/api/halls",
            get(admin::list_halls).post(admin::create_hall),
        )
        .route(
            "/api/halls/{id}",
            get(admin::get_hall).patch(admin::update_hall),
        )
        .route(
            "/api/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route(
            "/api/users/{id}",
            get(admin::get_user).patch(admin::update_user),
        )
        .route(
            "/api/users/{id}/reset-password",
            post(admin::reset_password),
        )
        .route(
            "/api/tokens",
            get(admin::list_tokens).post(admin::create_token),
        )
        .route(
            "/api/tokens/{id}",
            axum::routing::delete(admin::revoke_token),
        )
        .route(
            "/api/admin/plugins",
            get(plugins_admin::list)
                .post(plugins_admin::install)
                .layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES)),
        )
        .route(
            "/api/admin/plugins/{id}",
            get(plugins_admin::get).delete(plugins_admin::remove),
        )
        .route(
            "/api/admin/plugins/{id}/enable",
            post(plugins_admin::enable),
        )
        .route(
            "/api/admin/plugins/{id}/disable",
            post(plugins_admin::disable),
        )
        .route(
            "/api/admin/plugins/{id}/activate",
            post(plugins_admin::activate),
        )
        .route(
            "/api/admin/plugins/{id}/config",
            get(plugins_admin::get_config).put(plugins_admin::put_config),
        )
        .route("/api/portal/views", get(plugins_admin::portal_views))
        .route("/api/portal/dashboard", get(dashboard::get))
        .route("/api/portal/dashboard/stream", get(dashboard::stream))
        .route(
            "/api/blobs",
            post(blobs::upload).layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES)),
        )
        .route("/api/blobs/{sha256}", get(blobs::download))
        .route("/api/edge/v1/enrol", post(edge::enrol))
        .route("/api/edge/enrolments", post(edge::issue_token))
        .route("/api/edge/agents", get(edge::list_agents))
        .route("/api/edge/agents/{id}", get(edge::get_agent))
        .route("/api/edge/agents/{id}/revoke", post(edge::revoke_agent))
        .route("/api/edge/agents/{id}/commands", post(edge::command))
        .route(
            "/api/edge/artefacts",
            post(edge::upload_artefact).layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES)),
        )
        .route(
            "/api/edge/v1/artefacts/{digest}",
            get(edge::download_artefact),
        )
        .route("/api/edge/deployments", post(edge::deploy))
        .route(
            "/api/edge/rollouts",
            get(edge::rollouts).post(edge::start_rollout),
        )
        .route("/api/edge/rollouts/{id}", get(edge::rollout))
        .route("/api/edge/rollouts/{id}/abort", post(edge::abort_rollout))
        .route("/api/edge/agents/{id}/desired", get(edge::desired))
        .route(
            "/api/edge/agents/{id}/plugins/{plugin}/rollback",
            post(edge::rollback),
        )
        .route(
            "/api/edge/agents/{id}/plugins/{plugin}/pin",
            post(edge::pin),
        )
        .route("/api/edge/alerts", get(edge::alerts))
        .route(
            "/api/edge/alerts/{agent}/{seq}/acknowledge",
            post(edge::acknowledge_alert),
        )
        .route(
            "/api/calendar",
            get(calendar::list).post(calendar::create_year),
        )
        .route(
            "/api/calendar/{year}",
            get(calendar::get_year).put(calendar::put_year),
        )
        .route(
            "/api/catalogue",
            get(catalogue::current).put(catalogue::put),
        )
        .route("/api/catalogue/versions", get(catalogue::versions))
        .route(
            "/api/catalogue/versions/{version}",
            get(catalogue::get_version),
        )
        .route("/api/catalogue/export.xlsx", get(catalogue::export))
        .route(
            "/api/catalogue/import",
            post(catalogue::import)
                .layer(DefaultBodyLimit::max(crate::catalogue::MAX_IMPORT_BYTES)),
        )
        .route("/api/notices", get(notices::mine))
        .route("/api/notices/{id}/read", post(notices::read))
        .route("/api/admin/notices", get(notices::all))
        .route("/api/audit", get(admin::audit_log))
        .route("/api/audit/verify", get(admin::audit_verify))
        .route("/api/plugins/{id}", any(plugin_http))
        .route("/api/plugins/{id}/{*rest}", any(plugin_http))
        .route("/api/openapi.json", get(ops::openapi))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));
    api.fallback(|| async { AppError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            AppError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed",
            )
        })
        // A panic anywhere below becomes a JSON 500, never a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                AppError::internal("a request handler panicked", "panic").into_response()
            },
        ))
        .with_state(state)
}
