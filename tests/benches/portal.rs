//! Server time of the portal's list page over 1,000 records, against the
//! API call that fetches the same rows (the baseline, measured in the same
//! run): `GET /v/visitor-log/visits` (the vendor plugin's list view,
//! rendered by leptos with the caller, their views and the page of rows,
//! each read in-process through the API) against `GET
//! /api/plugins/visitor-log/visits?offset=0&limit=20&sort=-_created` with
//! the same session. In-process through the host's router (no socket), on
//! SQLite and PostgreSQL.
//!
//! `cargo xtask wasm && cargo bench -p bantong-tests --bench portal`
//! (`BANTONG_SKIP_PG=1` skips PostgreSQL). Without `--bench`: 50 records
//! and 3 runs, as a smoke test.

use std::time::Instant;

use axum::body::Body;
use bantong_host::identity::Role;
use bantong_tests::app::Client;
use bantong_tests::db::{Backend, skip_pg};
use bantong_tests::{TestApp, TestDb};
use http::{Request, StatusCode, header};
use serde_json::json;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn get(client: &Client, path: &str, cookie: &str, accept: &str) -> (StatusCode, usize) {
    let req = Request::get(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .expect("request");
    let r = client.raw(req).await;
    (r.status, r.body.len())
}

async fn run_backend(backend: Backend, records: usize, runs: usize) {
    let app = TestApp::with_config(
        TestDb::new(backend).await,
        bantong_tests::app::with_visitor_log,
    )
    .await;
    app.install_visitor_log().await;
    let staff = app
        .host
        .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
        .await;
    let purposes = ["办理业务", "咨询", "投诉建议"];
    for i in 0..records {
        let r = staff
            .post(
                "/api/plugins/visitor-log/visits",
                json!({
                    "name": format!("访客{i:04}"),
                    "purpose": purposes[i % purposes.len()],
                    "phone": format!("138{:08}", i),
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
    }
    let browser = app.host.client(None);
    let login = Request::post("/auth/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            "username=staff1&password=Correct-Horse-Battery-9&next=%2F",
        ))
        .expect("request");
    let r = browser.raw(login).await;
    let cookie = r
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();

    let page = "/v/visitor-log/visits";
    let api = "/api/plugins/visitor-log/visits?offset=0&limit=20&sort=-_created";
    // Warm up, and check both answer.
    let (status, html_bytes) = get(&browser, page, &cookie, "text/html").await;
    assert_eq!(status, StatusCode::OK);
    let (status, json_bytes) = get(&browser, api, &cookie, "application/json").await;
    assert_eq!(status, StatusCode::OK);
    let (mut page_ms, mut api_ms) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        get(&browser, page, &cookie, "text/html").await;
        page_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        get(&browser, api, &cookie, "application/json").await;
        api_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (p, a) = (median(page_ms), median(api_ms));
    println!(
        "| {backend:?} | {records} | {p:.2} ms ({html_bytes} B) | {a:.2} ms ({json_bytes} B) | {:.2}× |",
        p / a
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (records, runs) = if full { (1_000, 201) } else { (50, 3) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "| database | records | list page, server time (median) | its rows from the API (median) | ratio |"
    );
    println!("|---|---|---|---|---|");
    rt.block_on(async {
        run_backend(Backend::Sqlite, records, runs).await;
        if !skip_pg() {
            run_backend(Backend::Postgres, records, runs).await;
        }
    });
}
