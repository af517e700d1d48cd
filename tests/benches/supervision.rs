//! A year of supervision (2026, the district's 17 halls): a signed 月覆盖
//! visit per hall and month with ad hoc visits besides, 20,000 problems in
//! every state, 5,000 差评 follow-ups and 50,000 survey answers; then
//! October's scorecard
//! (`GET /api/plugins/supervision/scorecard?month=2026-10`) and the first
//! page of October's 问题清单 (`GET …/problems?month=2026-10`) through the
//! plugin, against the same store calls made natively (the same aggregate
//! descriptions, `bantong_supervision::queries`, folded by the same
//! `assemble`; the same page query) as the baseline in the same run.
//!
//! The documents are the plugin's own types, written through the store in
//! batches (driving 20,000 problems through their loop over HTTP would
//! measure the write path, which the `platform` bench already does).
//!
//! `cargo xtask wasm && cargo bench -p bantong-tests --bench supervision`
//! (`BANTONG_BENCH_PROBLEMS=…` to change the count, `BANTONG_SKIP_PG=1` to
//! skip PostgreSQL). Without `--bench`: 1,000 problems, as a smoke test
//! that the plugin's figures equal the baseline's.

use std::time::Instant;

use bantong_hall_kit::district::{Grade, HALLS};
use bantong_host::identity::{HallGrade, NewHall, Principal, Role};
use bantong_store::{
    AggregateFn, AggregateQuery, Direction, Filter, Metric, Op, Query, Scope, Selection, SortKey,
};
use bantong_supervision::month::Month;
use bantong_supervision::queries::{self, Cmp, Group, Hall};
use bantong_supervision::template::default_template;
use bantong_tests::db::{Backend, skip_pg};
use bantong_tests::{TestApp, TestDb};
use serde_json::{Value, json};

const PLUGIN: &str = "supervision";

#[path = "seed/supervision.rs"]
mod seed;
use seed::{local, month};

fn halls() -> Vec<Hall> {
    let mut h: Vec<(String, Hall)> = HALLS
        .iter()
        .map(|x| {
            (
                x.code.to_owned(),
                Hall {
                    id: x.id.into(),
                    name_zh: x.name_zh(),
                },
            )
        })
        .collect();
    h.sort_by(|a, b| a.0.cmp(&b.0));
    h.into_iter().map(|(_, x)| x).collect()
}

/// October's figures computed natively: the same aggregates on the store.
async fn native_scorecard(app: &TestApp, m: Month) -> Value {
    let index = app.host.state.plugins.index();
    let scope = Scope::all(PLUGIN);
    let mut uow = app.host.state.store.begin();
    let mut results = Vec::new();
    for q in queries::month_queries(m) {
        let spec = index.collection(PLUGIN, q.collection).expect("collection");
        let query = AggregateQuery {
            selection: Selection {
                collection: q.collection.to_owned(),
                filters: q
                    .filters
                    .iter()
                    .map(|f| Filter {
                        field: f.field.to_owned(),
                        op: match f.cmp {
                            Cmp::Eq => Op::Eq,
                            Cmp::Ge => Op::Ge,
                            Cmp::Lt => Op::Lt,
                        },
                        value: f.value.clone(),
                    })
                    .collect(),
                halls: None,
            },
            group_by: q.group_by.iter().map(|g| (*g).to_owned()).collect(),
            metrics: q
                .metrics
                .iter()
                .map(|m| match m {
                    queries::Metric::Count => Metric {
                        func: AggregateFn::Count,
                        field: None,
                    },
                    queries::Metric::Sum(f) => Metric {
                        func: AggregateFn::Sum,
                        field: Some((*f).to_owned()),
                    },
                })
                .collect(),
        };
        let groups = uow
            .aggregate(&scope, PLUGIN, &spec, query)
            .await
            .expect("aggregate");
        results.push((
            q.part,
            groups
                .into_iter()
                .map(|g| Group {
                    keys: g.keys,
                    values: g.values,
                })
                .collect(),
        ));
    }
    queries::assemble(
        m,
        &halls(),
        &results,
        &default_template().rule_zh(),
        queries::SurveyRule {
            basic_counts: true,
            weight: 0,
        },
    )
}

/// October's first page of problems, natively.
async fn native_page(app: &TestApp, m: Month) -> u64 {
    let index = app.host.state.plugins.index();
    let spec = index.collection(PLUGIN, "problems").expect("collection");
    let mut uow = app.host.state.store.begin();
    let q = Query {
        selection: Selection {
            collection: "problems".into(),
            filters: vec![Filter {
                field: "month".into(),
                op: Op::Eq,
                value: json!(m.to_string()),
            }],
            halls: None,
        },
        sort: vec![SortKey {
            field: "issued_ms".into(),
            direction: Direction::Desc,
        }],
        offset: 0,
        limit: 50,
    };
    uow.query(&Scope::all(PLUGIN), PLUGIN, &spec, q)
        .await
        .expect("query")
        .total
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
    let system = Principal::system("bench");
    for h in &HALLS {
        let grade = match h.grade {
            Grade::Demonstration => HallGrade::Demonstration,
            Grade::Standard => HallGrade::Standard,
            Grade::Basic => HallGrade::Basic,
        };
        let hall = NewHall {
            id: h.id.into(),
            code: h.code.into(),
            name_zh: h.name_zh(),
            name_en: h.name_en(),
            grade,
        };
        app.host
            .state
            .identity
            .create_hall(&system, hall)
            .await
            .expect("hall");
    }
    app.install_supervision().await;
    let (docs, took) = seed::seed(&app, n).await;
    eprintln!(
        "{backend:?}: seeded {docs} documents in {:.1} s",
        took.as_secs_f64()
    );
    app.host
        .state
        .store
        .refresh_statistics()
        .await
        .expect("statistics");
    let leader = app
        .host
        .client_as("leader", vec![Role::Leader], &[], true)
        .await;
    app.host
        .state
        .plugins
        .index()
        .set_plugin_clock(Some(local(2026, 11, 20, 10)));
    let oct = month(10);
    let card = "/api/plugins/supervision/scorecard?month=2026-10";
    let page = "/api/plugins/supervision/problems?month=2026-10&limit=50";
    // Warm up both paths and check they agree.
    let r = leader.get(card).await;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.json());
    let via_plugin = r.json();
    let native = native_scorecard(&app, oct).await;
    let differences = bantong_tests::json_diff("", &via_plugin, &native);
    assert!(
        differences.is_empty(),
        "the plugin's scorecard differs from the native aggregates' at {differences:?}"
    );
    let listed = leader.get(page).await.json();
    assert_eq!(listed["total"].as_u64(), Some(native_page(&app, oct).await));
    let (mut p_card, mut n_card, mut p_page, mut n_page) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        assert_eq!(leader.get(card).await.status, http::StatusCode::OK);
        p_card.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        native_scorecard(&app, oct).await;
        n_card.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        assert_eq!(leader.get(page).await.status, http::StatusCode::OK);
        p_page.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        native_page(&app, oct).await;
        n_page.push(t.elapsed().as_secs_f64() * 1e3);
    }
    // The fixed cost of a request through the plugin: `GET /halls` is
    // authentication, an instance and one directory read, against the
    // same read natively.
    let (mut p_halls, mut n_halls) = (Vec::new(), Vec::new());
    for _ in 0..runs * 5 {
        let t = Instant::now();
        let r = leader.get("/api/plugins/supervision/halls").await;
        assert_eq!(r.status, http::StatusCode::OK);
        p_halls.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        app.host
            .state
            .store
            .directory()
            .halls()
            .await
            .expect("halls");
        n_halls.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (pc, nc, pp, np) = (
        median(p_card),
        median(n_card),
        median(p_page),
        median(n_page),
    );
    println!(
        "| {backend:?} | {n} | scorecard 2026-10 | {pc:.1} ms | {nc:.1} ms | {:.2}× |",
        pc / nc
    );
    println!(
        "| {backend:?} | {n} | 问题清单 2026-10, first 50 | {pp:.1} ms | {np:.1} ms | {:.2}× |",
        pp / np
    );
    let (ph, nh) = (median(p_halls), median(n_halls));
    println!(
        "| {backend:?} | {n} | fixed cost: `GET /halls` (authentication, instance, one read) | {ph:.2} ms | {nh:.2} ms | {:.2}× |",
        ph / nh
    );
    let o = &via_plugin["overall"];
    eprintln!(
        "  October: completion {} / {}, recurrence {} / {}, coverage {} / {}",
        o["completion"]["numerator"],
        o["completion"]["denominator"],
        o["recurrence"]["numerator"],
        o["recurrence"]["denominator"],
        o["coverage"]["numerator"],
        o["coverage"]["denominator"],
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = std::env::var("BANTONG_BENCH_PROBLEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 20_000 } else { 1_000 });
    let runs = if full { 9 } else { 1 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "| database | problems (2026) | what | through the plugin (median) | same store calls natively | ratio |"
    );
    println!("|---|---|---|---|---|---|");
    rt.block_on(async {
        run_backend(Backend::Sqlite, n, runs).await;
        if !skip_pg() {
            run_backend(Backend::Postgres, n, runs).await;
        }
    });
}
