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

use std::time::{Duration, Instant};

use bantong_host::identity::Role;
use bantong_hotline::calendar::{Calendar, day_of, start_of_day};
use bantong_hotline::kpi::{Excluded, KpiConfig, Period, Tally, assemble};
use bantong_hotline::kpi_queries::{CATEGORY, Cmp, kpi_queries, whole};
use bantong_hotline::order::{Action, Actor, Level, NewOrder, Order, Role as OrderRole, apply};
use bantong_hotline::plugin::{
    CallDoc, CallbackDoc, Channel, DispatchDoc, OrderDoc, caller_key, default_catalogue,
};
use bantong_store::{AggregateFn, AggregateQuery, Filter, Metric, Op, Scope, Selection, Write};
use bantong_tests::db::{Backend, skip_pg};
use bantong_tests::{TestApp, TestDb};
use serde_json::Value;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const BATCH: usize = 5_000;
const HALLS: [&str; 6] = [
    "bailou",
    "dongjinzhuang",
    "wusilu",
    "wuyao",
    "hanzhuang",
    "xiguan",
];

fn local(y: i64, mo: u8, d: u8) -> i64 {
    start_of_day(day_of(y, mo, d).expect("date"))
}

/// Everything written for one order.
struct Seeded {
    order: (String, Option<String>, Value),
    dispatch: (String, Option<String>, Value),
    callback: Option<(Option<String>, Value)>,
    call: Option<(String, Value)>,
}

/// Order `i` of `n`: created, dispatched, signed, handled, replied and
/// closed by the state machine, with the times spread over 2025.
fn seed_one(
    i: usize,
    n: usize,
    cal: &Calendar,
    cat: &bantong_hotline::order::Catalogue,
    keys: &[String],
    oct: (i64, i64),
) -> Seeded {
    let start = local(2025, 1, 2) + 9 * HOUR;
    let span = local(2025, 12, 20) - start;
    let received = start + (span as i128 * i as i128 / n as i128) as i64;
    let agent = Actor {
        id: "agent-bench".into(),
        role: OrderRole::Agent,
    };
    let category = keys[i % keys.len()].clone();
    let hall_level = cat.entry(&category).is_some_and(|e| e.level == Level::Hall);
    let hall = HALLS[i % HALLS.len()];
    let id = format!("B{i:07}");
    let mut order = Order::new(
        NewOrder {
            id: id.clone(),
            category: category.clone(),
            title: "批量测试工单：路灯、物业、社保等诉求".into(),
            caller_number: format!("138{:08}", i % 5_000_000),
            confidential: i.is_multiple_of(20),
        },
        &agent,
        received,
        cat,
    )
    .expect("order");
    let dispatched = received + 5 * MIN;
    let to = hall_level.then(|| hall.to_owned());
    apply(
        &mut order,
        &agent,
        Action::Dispatch { to },
        dispatched,
        cat,
        cal,
    )
    .expect("dispatch");
    let lead = order.lead.clone().expect("lead");
    let unit = Actor {
        id: "unit-bench".into(),
        role: OrderRole::Unit(lead.clone()),
    };
    let signed = dispatched
        + if i.is_multiple_of(10) {
            30 * HOUR
        } else {
            HOUR
        };
    apply(&mut order, &unit, Action::Sign, signed, cat, cal).expect("sign");
    apply(&mut order, &unit, Action::Start, signed + MIN, cat, cal).expect("start");
    let due = order.due_ms.expect("due");
    let reply_at = if i.is_multiple_of(8) {
        due + 24 * HOUR
    } else {
        due - 3 * HOUR
    }
    .max(signed + 2 * MIN);
    apply(
        &mut order,
        &unit,
        Action::Reply {
            text: "已处理并答复来电人。".into(),
        },
        reply_at,
        cat,
        cal,
    )
    .expect("reply");
    let rated = i.is_multiple_of(2);
    let close_at = reply_at + 2 * HOUR;
    apply(
        &mut order,
        &agent,
        Action::Close {
            resolution: "回访后办结".into(),
        },
        close_at,
        cat,
        cal,
    )
    .expect("close");
    let mut doc = OrderDoc {
        caller_key: caller_key(&order.caller_number),
        order,
        item: None,
        channel: Channel::Phone,
        caller_name: None,
        description: Some("来电人反映的具体情况，约一百字的诉求描述。".repeat(3)),
        hall: Some(hall.to_owned()),
        call_id: None,
        knowledge_article: None,
        repeat_of: Vec::new(),
        rectification_of: None,
        signed_on_time: 0,
        replied_on_time: 0,
        called_back: u8::from(rated),
        supervision: 0,
        rating: rated.then_some(1 + (i % 5) as u8),
        merged: 0,
        current_dispatch: Some(format!("{id}-1")),
    };
    doc.refresh();
    let dispatch = DispatchDoc {
        order: id.clone(),
        unit: lead.clone(),
        category: category.clone(),
        start_ms: dispatched,
        returned: 0,
    };
    let callback = rated.then(|| {
        let cb = CallbackDoc {
            order: id.clone(),
            at_ms: reply_at + HOUR,
            reached: true,
            score: Some(1 + (i % 5) as u8),
            note: None,
            by: "agent-bench".into(),
            lead: Some(lead.clone()),
            category: category.clone(),
        };
        (Some(lead.clone()), serde_json::to_value(cb).expect("json"))
    });
    let call = (oct.0..oct.1).contains(&received).then(|| {
        let offered = received - 3 * MIN;
        let abandoned = i.is_multiple_of(12);
        let wait = (i % 30) as i64 * 1_000;
        let mut c = CallDoc {
            status: bantong_hotline::plugin::CallStatus::Ended,
            caller_number: doc.order.caller_number.clone(),
            caller_key: doc.caller_key.clone(),
            seat: Some(format!("seat-{}", 1 + i % 6)),
            offered_ms: offered,
            answered_ms: (!abandoned).then_some(offered + wait),
            ended_ms: Some(offered + wait + if abandoned { 0 } else { 180_000 }),
            recording: None,
            hall: Some(lead.clone()),
            category: Some(category.clone()),
            order_id: (!abandoned).then(|| id.clone()),
            first_contact_resolved: false,
            knowledge_article: None,
            answered: 0,
            abandoned: 0,
            wait_ms: 0,
            answered_wait_ms: 0,
            handle_ms: 0,
            fcr: 0,
            called_back: 0,
            callback_note: None,
        };
        let record = c.call(&format!("call-{i}")).expect("ended");
        c.refresh(&record);
        (format!("call-{i}"), serde_json::to_value(c).expect("json"))
    });
    Seeded {
        order: (
            id.clone(),
            doc.storage_hall(),
            serde_json::to_value(&doc).expect("json"),
        ),
        dispatch: (
            format!("{id}-1"),
            Some(lead),
            serde_json::to_value(dispatch).expect("json"),
        ),
        callback,
        call,
    }
}

async fn seed(app: &TestApp, n: usize) -> (usize, Duration) {
    let cal = Calendar::china();
    let cat = default_catalogue();
    let keys: Vec<String> = cat.entries.keys().cloned().collect();
    let oct = (local(2025, 10, 1), local(2025, 11, 1));
    let scope = Scope::all("hotline");
    let started = Instant::now();
    let mut docs = 0;
    let mut i = 0;
    while i < n {
        let mut uow = app.host.state.store.begin();
        for j in i..(i + BATCH).min(n) {
            let s = seed_one(j, n, &cal, &cat, &keys, oct);
            let put = |collection: &str, id: Option<String>, hall: Option<String>, body: Value| {
                (
                    collection.to_owned(),
                    Write {
                        id,
                        hall,
                        body,
                        expected_version: None,
                    },
                )
            };
            let mut writes = vec![
                put("orders", Some(s.order.0), s.order.1, s.order.2),
                put("dispatches", Some(s.dispatch.0), s.dispatch.1, s.dispatch.2),
            ];
            if let Some((hall, body)) = s.callback {
                writes.push(put("callbacks", None, hall, body));
            }
            if let Some((id, body)) = s.call {
                writes.push(put("calls", Some(id), None, body));
            }
            for (collection, w) in writes {
                uow.put(&scope, &collection, w).await.expect("put");
                docs += 1;
            }
        }
        uow.commit().await.expect("commit");
        i += BATCH;
    }
    (docs, started.elapsed())
}

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
    let (docs, took) = seed(&app, n).await;
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
