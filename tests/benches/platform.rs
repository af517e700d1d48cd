//! Platform benchmarks, each against its baseline measured in the same run:
//!
//! (a) a plugin call on a fresh instance (instantiate + call of `GET /ping`)
//!     against the same handler compiled natively;
//! (b) a plugin call doing one storage write against the same write done
//!     natively through the store;
//! (c) HTTP requests per second through a plugin route doing one database
//!     write, against a native axum route doing the same write, on SQLite and
//!     on PostgreSQL.
//!
//! `cargo bench -p bantong-tests --bench platform` prints a Markdown table
//! (`docs/benchmarks.md` holds the latest). Without `--bench` (as under
//! `cargo test --all-targets`) it runs a few iterations as a smoke test.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::post;
use bantong_host::AppState;
use bantong_host::http::auth::Auth;
use bantong_host::identity::Role;
use bantong_runtime::wit;
use bantong_store::{Scope, Write};
use bantong_tests::app::{TestApp, user_with_token};
use bantong_tests::db::{Backend, TestDb, skip_pg};
use http::Request;
use serde_json::json;
use tower::ServiceExt;

struct Stats {
    median_us: f64,
    p90_us: f64,
}

fn stats(mut samples: Vec<f64>) -> Stats {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    Stats {
        median_us: at(0.5),
        p90_us: at(0.9),
    }
}

fn ping_request() -> wit::Request {
    wit::Request {
        request_id: "bench".into(),
        method: wit::Method::Get,
        path: "/ping".into(),
        query: vec![],
        headers: vec![],
        body: vec![],
        caller: None,
        hall: None,
    }
}

/// (a) fresh instance + call, against the native handler.
async fn call_overhead(app: &TestApp, iters: usize) -> (Stats, Stats) {
    let state = &app.host.state;
    let entry = state
        .plugins
        .index()
        .get("fixture")
        .expect("fixture installed");
    let mut wasm = Vec::with_capacity(iters);
    for i in 0..iters + iters / 10 {
        let plugin = entry.current();
        let host = state
            .plugins
            .call_host(&plugin, Scope::all("fixture"), None, "bench".into())
            .await;
        let start = Instant::now();
        let out = state
            .plugins
            .runtime()
            .handle(&entry.slot, &plugin, host, ping_request())
            .await
            .expect("ping");
        let elapsed = start.elapsed().as_secs_f64() * 1e6;
        assert_eq!(out.value.status, 200);
        if i >= iters / 10 {
            wasm.push(elapsed);
        }
    }
    let mut native = Vec::with_capacity(iters);
    let router = bantong_fixture::router();
    for _ in 0..iters {
        let req = bantong_sdk::Request::new(bantong_sdk::Method::Get, "/ping");
        let start = Instant::now();
        let resp = std::hint::black_box(router.handle(std::hint::black_box(req)));
        native.push(start.elapsed().as_secs_f64() * 1e6);
        assert_eq!(resp.status, 200);
    }
    (stats(wasm), stats(native))
}

/// (b) one storage write through the plugin, against the same write native.
/// The two alternate, so both see the same table size and cache state.
async fn write_overhead(app: &TestApp, iters: usize) -> (Stats, Stats) {
    let state = &app.host.state;
    let entry = state
        .plugins
        .index()
        .get("fixture")
        .expect("fixture installed");
    let mut wasm = Vec::with_capacity(iters);
    let mut native = Vec::with_capacity(iters);
    for i in 0..iters {
        let plugin = entry.current();
        let body = json!({ "title": format!("wasm {i}"), "status": "open", "amount": i })
            .to_string()
            .into_bytes();
        let req = wit::Request {
            method: wit::Method::Post,
            path: "/notes".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
            hall: Some("bench".into()),
            ..ping_request()
        };
        let start = Instant::now();
        let host = state
            .plugins
            .call_host(
                &plugin,
                Scope::all("fixture"),
                Some("bench"),
                "bench".into(),
            )
            .await;
        let out = state
            .plugins
            .runtime()
            .handle(&entry.slot, &plugin, host, req)
            .await
            .expect("write");
        out.host
            .commit(state.identity.audit())
            .await
            .expect("commit");
        wasm.push(start.elapsed().as_secs_f64() * 1e6);
        assert_eq!(out.value.status, 201);

        let start = Instant::now();
        let body = json!({ "title": format!("native {i}"), "status": "open", "amount": i });
        let mut uow = state.store.begin();
        let write = Write {
            id: None,
            hall: Some("bench".into()),
            body,
            expected_version: None,
        };
        uow.put(&Scope::all("fixture"), "notes", write)
            .await
            .expect("put");
        uow.commit().await.expect("commit");
        native.push(start.elapsed().as_secs_f64() * 1e6);
    }
    (stats(wasm), stats(native))
}

/// The native route of (c): authenticate, parse, one write, answer.
async fn native_note(
    State(state): State<AppState>,
    Auth(p): Auth,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return http::StatusCode::BAD_REQUEST.into_response();
    };
    let scope = Scope::halls("fixture", p.halls.clone());
    let mut uow = state.store.begin();
    let write = Write {
        id: None,
        hall: p.halls.first().cloned(),
        body,
        expected_version: None,
    };
    match uow.put(&scope, "notes", write).await {
        Ok(doc) => match uow.commit().await {
            Ok(()) => (http::StatusCode::CREATED, axum::Json(doc)).into_response(),
            Err(_) => http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Err(_) => http::StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// (c) requests per second with `concurrency` clients for `duration`.
async fn throughput(
    router: Router,
    token: &str,
    path: &'static str,
    concurrency: usize,
    duration: Duration,
) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let router = router.clone();
        let done = done.clone();
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                let body = json!({ "title": format!("c{c} {i}"), "status": "open", "amount": i })
                    .to_string();
                let req = Request::post(path)
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(Body::from(body))
                    .expect("request");
                let resp = router.clone().oneshot(req).await.expect("router");
                assert_eq!(resp.status(), http::StatusCode::CREATED, "{path}");
                i += 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let start = Instant::now();
    for t in tasks {
        t.await.expect("client task");
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

async fn run_backend(backend: Backend, full: bool) {
    let keep = std::env::var("PLATFORM_KEEP_KIB")
        .ok()
        .and_then(|v| v.parse().ok());
    let app = TestApp::with_config(TestDb::new(backend).await, |c| {
        if let Some(kib) = keep {
            c.runtime.pool_keep_resident_kib = kib;
        }
    })
    .await;
    app.install_fixture("fixture").await;
    let (iters, secs) = if full { (20_000, 10) } else { (50, 1) };
    let (a_wasm, a_native) = call_overhead(&app, iters).await;
    if std::env::var("PLATFORM_BENCH").is_ok_and(|v| v == "a") {
        // Profiling aid: only (a), many times.
        let (w, _) = call_overhead(&app, iters * 10).await;
        println!(
            "(a) only: median {:.1} µs, p90 {:.1} µs",
            w.median_us, w.p90_us
        );
        return;
    }
    let (b_wasm, b_native) = write_overhead(&app, iters / 10).await;
    let state = app.host.state.clone();
    let token = user_with_token(&state, "bench", vec![Role::WindowStaff], &["bench"], false).await;
    let router = bantong_host::app(state.clone()).merge(
        Router::new()
            .route("/bench/native-notes", post(native_note))
            .with_state(state.clone()),
    );
    let concurrency = 16;
    // Warm up both paths, then measure each twice.
    throughput(
        router.clone(),
        &token,
        "/api/plugins/fixture/notes",
        concurrency,
        Duration::from_millis(300),
    )
    .await;
    throughput(
        router.clone(),
        &token,
        "/bench/native-notes",
        concurrency,
        Duration::from_millis(300),
    )
    .await;
    let d = Duration::from_secs(secs);
    let mut plugin_rps = 0.0;
    let mut native_rps = 0.0;
    for _ in 0..2 {
        plugin_rps += throughput(
            router.clone(),
            &token,
            "/api/plugins/fixture/notes",
            concurrency,
            d,
        )
        .await
            / 2.0;
        native_rps += throughput(
            router.clone(),
            &token,
            "/bench/native-notes",
            concurrency,
            d,
        )
        .await
            / 2.0;
    }
    println!(
        "\n### {backend:?} (pooling allocator: {})\n",
        state.plugins.runtime().is_pooling()
    );
    println!("| benchmark | plugin (wasm) | native baseline | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| (a) fresh instance + call `GET /ping`, median (p90) | {:.1} µs ({:.1}) | {:.2} µs ({:.2}) | {:.0}× |",
        a_wasm.median_us,
        a_wasm.p90_us,
        a_native.median_us,
        a_native.p90_us,
        a_wasm.median_us / a_native.median_us.max(0.001)
    );
    println!(
        "| (b) call with one storage write + commit, median (p90) | {:.1} µs ({:.1}) | {:.1} µs ({:.1}) | {:.2}× |",
        b_wasm.median_us,
        b_wasm.p90_us,
        b_native.median_us,
        b_native.p90_us,
        b_wasm.median_us / b_native.median_us
    );
    println!(
        "| (c) HTTP `POST` with one write, {concurrency} clients, requests/s | {plugin_rps:.0} | {native_rps:.0} | {:.0}% of native |",
        100.0 * plugin_rps / native_rps
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        run_backend(Backend::Sqlite, full).await;
        if !skip_pg() {
            run_backend(Backend::Postgres, full).await;
        }
    });
}
