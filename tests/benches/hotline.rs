//! One million work orders created and closed, then a month's KPIs
//! (`GET /api/plugins/hotline/kpi?period=2025-10`) computed through the
//! hotline plugin, against the same aggregates run natively on the store
//! (the same SQL, no WebAssembly, no HTTP) as the baseline in the same run.
//!
//! The orders are created and closed by the plugin's own state machine
//! (`bantong_hotline::order`: received → dispatched → signed → in progress →
//! replied → closed, on the 2025 working-day calendar), with the plugin's
//! document types and KPI flags, and written through the store in batches:
//! driving a million orders through HTTP one call at a time would take
//! hours and measure the write path, which `platform` already does. Spread
//! over 2025; October also gets one call per order and half of the orders
//! a rated callback.
//!
//! `cargo xtask wasm && cargo bench -p bantong-tests --bench hotline`
//! (`BANTONG_BENCH_ORDERS=…` to change the count, `BANTONG_SKIP_PG=1` to
//! skip PostgreSQL). Without `--bench`: 2,000 orders, as a smoke test that
//! the plugin's figures equal the baseline's. `BANTONG_BENCH_TRACE=1`
//! prints each native aggregate's time; `BANTONG_BENCH_KEEP=1` keeps the
//! SQLite database and prints its path (for `EXPLAIN QUERY PLAN`).

use std::time::Instant;

use bantong_host::identity::Role;
use bantong_hotline::kpi::{Excluded, KpiConfig, Period, Tally, assemble};
use bantong_hotline::kpi_queries::{CATEGORY, Cmp, kpi_queries, whole};
use bantong_store::{AggregateFn, AggregateQuery, Filter, Metric, Op, Scope, Selection};
use bantong_tests::db::{Backend, skip_pg};
use bantong_tests::{TestApp, TestDb};
use serde_json::Value;

#[path = "seed/hotline.rs"]
mod seed;
use seed::local;

/// The month's report computed natively: the same aggregates on the store.
async fn native_report(app: &TestApp, period: Period, as_of: i64) -> Value {
    let (start, end) = period.range_ms().expect("range");
    let config = KpiConfig::default();
    let index = app.host.state.plugins.index();
    let scope = Scope::all("hotline");
    let mut cells: std::collections::BTreeMap<(Option<String>, Option<String>), Tally> =
        Default::default();
    let mut uow = app.host.state.store.begin();
    for q in kpi_queries(start, end, as_of, &config) {
        let spec = index
            .collection("hotline", q.collection)
            .expect("collection");
        let filters = q
            .filters
            .iter()
            .map(|f| Filter {
                field: f.field.to_owned(),
                op: match f.cmp {
                    Cmp::Eq => Op::Eq,
                    Cmp::Lt => Op::Lt,
                    Cmp::Le => Op::Le,
                    Cmp::Ge => Op::Ge,
                },
                value: f.value.clone(),
            })
            .collect();
        let metrics = q
            .metrics
            .iter()
            .map(|m| match m {
                bantong_hotline::kpi_queries::Metric::Count => Metric {
                    func: AggregateFn::Count,
                    field: None,
                },
                bantong_hotline::kpi_queries::Metric::Sum(f) => Metric {
                    func: AggregateFn::Sum,
                    field: Some((*f).to_owned()),
                },
            })
            .collect();
        let query = AggregateQuery {
            selection: Selection {
                collection: q.collection.to_owned(),
                filters,
                halls: None,
            },
            group_by: vec![q.unit_field.to_owned(), CATEGORY.to_owned()],
            metrics,
        };
        let t = Instant::now();
        let groups = uow
            .aggregate(&scope, "hotline", &spec, query)
            .await
            .expect("aggregate");
        if std::env::var("BANTONG_BENCH_TRACE").is_ok() {
            eprintln!("  {:>7.1} ms  {}", t.elapsed().as_secs_f64() * 1e3, q.what);
        }
        for g in groups {
            let values: Vec<u64> = g.values.iter().map(|v| whole(*v)).collect();
            let key = |i: usize| g.keys.get(i).and_then(Value::as_str).map(str::to_owned);
            (q.fold)(cells.entry((key(0), key(1))).or_default(), &values);
        }
    }
    let cells = cells.into_iter().map(|((h, c), t)| (h, c, t));
    let report = assemble(cells, period, as_of, &config, Excluded::default()).expect("report");
    serde_json::to_value(report).expect("json")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn run_backend(backend: Backend, n: usize, runs: usize) {
    let app = TestApp::with_config(TestDb::new(backend).await, |c| {
        let policy = c.data_dir.join("policy-bench.toml");
        let text = bantong_tests::app::POLICY.replace("timeout-ms = 1000", "timeout-ms = 60000");
        std::fs::write(&policy, text).expect("policy");
        c.policy_file = Some(policy);
    })
    .await;
    app.install_hotline().await;
    let (docs, took) = seed::seed(&app, n, 2025).await;
    eprintln!(
        "{backend:?}: seeded {n} orders ({docs} documents) in {:.1} s ({:.0} documents/s)",
        took.as_secs_f64(),
        docs as f64 / took.as_secs_f64()
    );
    // What the host's hourly statistics refresh would have done by now.
    app.host
        .state
        .store
        .refresh_statistics()
        .await
        .expect("statistics");
    let agent = app
        .host
        .client_as("agent1", vec![Role::HotlineAgent], &[], true)
        .await;
    let period = Period::parse("2025-10").expect("period");
    let as_of = local(2026, 1, 1);
    let path = format!("/api/plugins/hotline/kpi?period=2025-10&as_of={as_of}");
    // Warm up both paths (page cache, compiled plugin), and check they agree.
    let r = agent.get(&path).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.json());
    let via_plugin = r.json();
    let native = native_report(&app, period, as_of).await;
    let differences = bantong_tests::json_diff("", &via_plugin, &native);
    assert!(
        differences.is_empty(),
        "the plugin's report differs from the native aggregates' at {differences:?}"
    );
    let received = via_plugin["overall"]["orders_received"]
        .as_u64()
        .unwrap_or(0);
    let (mut plugin_ms, mut native_ms) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let r = agent.get(&path).await;
        plugin_ms.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r.status, http::StatusCode::OK);
        let t = Instant::now();
        native_report(&app, period, as_of).await;
        native_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (p, b) = (median(plugin_ms), median(native_ms));
    println!(
        "| {backend:?} | {n} | {received} | {p:.0} ms | {b:.0} ms | {:.2}× |",
        p / b
    );
    if std::env::var("BANTONG_BENCH_KEEP").is_ok() {
        eprintln!("  keeping the database: {}", app.config.database_url);
        std::mem::forget(app);
    }
    let o = &via_plugin["overall"];
    eprintln!(
        "  October: on-time completion {} / {}, satisfaction {} / {}, answer rate {} / {}",
        o["on_time_completion"]["numerator"],
        o["on_time_completion"]["denominator"],
        o["satisfaction"]["numerator"],
        o["satisfaction"]["denominator"],
        o["answer_rate"]["numerator"],
        o["answer_rate"]["denominator"],
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full {
        std::env::var("BANTONG_BENCH_ORDERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000)
    } else {
        2_000
    };
    let runs = if full { 7 } else { 1 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "| database | orders (2025) | received in 2025-10 | month's KPIs via plugin (median) | same aggregates natively | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    rt.block_on(async {
        run_backend(Backend::Sqlite, n, runs).await;
        if !skip_pg() {
            run_backend(Backend::Postgres, n, runs).await;
        }
    });
}
