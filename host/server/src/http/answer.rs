//! The public answer page (`frontend/answer`), at `/q/{plugin}/{path}`:
//! what a QR code in a hall or a link on the government website opens. It
//! reads a form from one of the plugin's public routes and sends the
//! answers to another (anonymous, rate-limited writes under the plugin's
//! `public-writes` grant). Static files, built into the binary; the page
//! never runs anything the plugin sends, it only lays out its questions.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use crate::error::{AppError, Query};
use crate::state::AppState;

const INDEX: &str = include_str!("../../../../frontend/answer/index.html");
const APP: &str = include_str!("../../../../frontend/answer/app.js");
const CSS: &str = include_str!("../../../../frontend/answer/app.css");

fn file(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    r
}

#[derive(Deserialize)]
pub struct QrParams {
    path: String,
}

/// The longest path a QR code is drawn for (a QR code holds ~2,900 bytes;
/// a phone camera reads shorter ones better).
const MAX_QR_PATH: usize = 512;

/// The origin printed in QR codes: the configured public address, or the
/// one the request came to (the portal page that shows the code).
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    let configured = state.config.public_url.trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.auth.secure_cookie {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// `GET /q/qr.svg?path=/q/…`: the QR code of a link on this host, as SVG
/// (for the portal's `qr` columns and printed posters): an answer page
/// (`/q/…`, no sign-in) or a portal page (`/v/…`, which asks the person to
/// sign in first — a class's sign-in form, for one). Nothing else is drawn,
/// so the host never prints a code that leads off the district's system.
async fn qr(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<QrParams>,
) -> Result<Response, AppError> {
    if !(p.path.starts_with("/q/") || p.path.starts_with("/v/"))
        || p.path.len() > MAX_QR_PATH
        || p.path
            .bytes()
            .any(|b| b.is_ascii_control() || b == b'\\' || b == b' ')
    {
        return Err(AppError::bad_request(
            "只能为本系统的页面生成二维码 / path must be a page of this system (/q/… or /v/…)",
        ));
    }
    let url = format!("{}{}", origin(&state, &headers), p.path);
    let code = QrCode::new(url.as_bytes()).map_err(|e| {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "qr_failed",
            format!("无法生成二维码 / {e}"),
        )
    })?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let mut r = image.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok(r)
}

/// The answer page's routes under `/q/`.
pub fn router(state: AppState) -> Router {
    let page = || async { file(INDEX, "text/html; charset=utf-8") };
    Router::new()
        .route("/q/qr.svg", get(qr).with_state(state))
        .route(
            "/q/app.js",
            get(|| async { file(APP, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/q/app.css",
            get(|| async { file(CSS, "text/css; charset=utf-8") }),
        )
        .route("/q/{plugin}/{*path}", get(page))
}
