//! The field app (`frontend/field`): an installable page for the
//! checklists plugins declare (a view whose spec has `field`), usable on a
//! phone with no network — its service worker keeps the page and the last
//! answers of the API, and the page keeps visits and photos on the device
//! until it can send them. Static files, built into the binary.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

const INDEX: &str = include_str!("../../../../frontend/field/index.html");
const APP: &str = include_str!("../../../../frontend/field/app.js");
const CSS: &str = include_str!("../../../../frontend/field/app.css");
const SW: &str = include_str!("../../../../frontend/field/sw.js");
const MANIFEST: &str = include_str!("../../../../frontend/field/manifest.webmanifest");
const ICON: &str = include_str!("../../../../frontend/field/icon.svg");

fn file(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The service worker decides what to keep; the browser revalidates.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The field app's routes under `/field/`.
pub fn router() -> Router {
    Router::new()
        .route("/field", get(|| async { Redirect::permanent("/field/") }))
        .route(
            "/field/",
            get(|| async { file(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/field/app.js",
            get(|| async { file(APP, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/field/app.css",
            get(|| async { file(CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/field/sw.js",
            get(|| async { file(SW, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/field/manifest.webmanifest",
            get(|| async { file(MANIFEST, "application/manifest+json") }),
        )
        .route(
            "/field/icon.svg",
            get(|| async { file(ICON, "image/svg+xml") }),
        )
}
