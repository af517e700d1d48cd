//! Report generation over a year of the district's data: 2026 for the 17
//! halls (supervision: visits, 20,000 problems, follow-ups, 50,000 survey
//! answers; the hotline: a million work orders with their dispatches,
//! callbacks and October's calls), then
//!
//! - October's monthly supervision report (监督检查月报), drafted as a
//!   leader's office would (`POST /api/plugins/reporting/reports`) and made
//!   by its background stages (reading the modules' figures, PDF, Word,
//!   Excel, page images), each stage timed;
//! - the annual report of 2026, the same way;
//!
//! each against **producing the same figures alone** in the same run: the
//! module routes the draft reads (October's scorecard, its and
//! September's problem lists, the hotline's month; for the year, twelve
//! scorecards and twelve hotline months), fetched over HTTP as a leader.
//! Peak memory is the process's resident high-water mark during the
//! generation (reset before it through `/proc/self/clear_refs`, Linux).
//!
//! `cargo xtask wasm && cargo bench -p bantong-tests --bench reporting`
//! (`BANTONG_BENCH_PROBLEMS=…`, `BANTONG_BENCH_ORDERS=…` to change the
//! counts; SQLite, one file: seeding a million orders through PostgreSQL's
//! one-document writes takes most of an hour). Without `--bench`: 1,000
//! problems and 2,000 orders, as a smoke test.

use std::time::{Duration, Instant};

use bantong_host::identity::Role;
use bantong_host::workers::deliver_once;
use bantong_tests::db::Backend;
use bantong_tests::{TestApp, TestDb};
use serde_json::Value;

#[path = "seed/hotline.rs"]
mod hotline_seed;
#[path = "seed/supervision.rs"]
mod supervision_seed;

const R: &str = "/api/plugins/reporting";

/// The process's peak resident memory since the last reset, in MB.
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak to the current resident size.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// What one report took.
struct Made {
    total: Duration,
    stages: Vec<Duration>,
    peak_mb: f64,
    report: Value,
}

/// Drafts a report (`body` to `POST /reports`) and runs its stages until
/// its files are made.
async fn make(app: &TestApp, editor: &bantong_tests::app::Client, body: Value) -> Made {
    reset_peak();
    let started = Instant::now();
    let r = editor.post(&format!("{R}/reports"), body).await;
    assert_eq!(r.status, http::StatusCode::CREATED, "{}", r.json());
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let mut stages = Vec::new();
    loop {
        let t = Instant::now();
        let handled = deliver_once(&app.host.state).await;
        if handled == 0 {
            break;
        }
        stages.push(t.elapsed());
    }
    let total = started.elapsed();
    let report = editor.get(&format!("{R}/reports/{id}")).await.json();
    assert_eq!(report["progress"]["state"], "done", "{report}");
    Made {
        total,
        stages,
        peak_mb: peak_mb(),
        report,
    }
}

/// The figures alone: the module routes a draft reads, as a leader.
async fn figures(leader: &bantong_tests::app::Client, targets: &[String]) -> Duration {
    let started = Instant::now();
    for t in targets {
        let r = leader.get(t).await;
        assert_eq!(r.status, http::StatusCode::OK, "{t}: {}", r.json());
    }
    started.elapsed()
}

fn kb(v: &Value) -> f64 {
    v["size"].as_f64().unwrap_or(0.0) / 1024.0
}

fn print(what: &str, made: &Made, alone: Duration) {
    let f = &made.report["files"];
    let pages: f64 = f["pages"]
        .as_array()
        .map(|p| p.iter().map(kb).sum())
        .unwrap_or(0.0);
    let stage_ms: Vec<String> = made
        .stages
        .iter()
        .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
        .collect();
    println!(
        "| {what} | **{:.2} s** ({} ms) | {:.2} s | {:.1}× | {:.0} MB | PDF {:.0} KB, Word {:.0} KB, Excel {:.0} KB, {} page images {:.0} KB |",
        made.total.as_secs_f64(),
        stage_ms.join(" + "),
        alone.as_secs_f64(),
        made.total.as_secs_f64() / alone.as_secs_f64(),
        made.peak_mb,
        kb(&f["pdf"]),
        kb(&f["docx"]),
        kb(&f["xlsx"]),
        f["pages"].as_array().map_or(0, Vec::len),
        pages,
    );
}

async fn run(problems: usize, orders: usize) {
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        let policy = c.data_dir.join("policy-bench.toml");
        let text = bantong_tests::app::POLICY
            .replace("timeout-ms = 10000", "timeout-ms = 60000")
            .replace("timeout-ms = 1000", "timeout-ms = 60000");
        std::fs::write(&policy, text).expect("policy");
        c.policy_file = Some(policy);
    })
    .await;
    app.create_district_halls().await;
    app.install_supervision().await;
    app.install_hotline().await;
    app.install_reporting().await;
    let (docs, took) = supervision_seed::seed(&app, problems).await;
    eprintln!(
        "seeded supervision: {docs} documents in {:.1} s",
        took.as_secs_f64()
    );
    let (docs, took) = hotline_seed::seed(&app, orders, 2026).await;
    eprintln!(
        "seeded the hotline: {orders} orders ({docs} documents) in {:.1} s",
        took.as_secs_f64()
    );
    app.host
        .state
        .store
        .refresh_statistics()
        .await
        .expect("statistics");
    let clock = |ms| app.host.state.plugins.index().set_plugin_clock(Some(ms));
    let editor = app
        .host
        .client_as("inspector", vec![Role::Inspector], &[], true)
        .await;
    let leader = app
        .host
        .client_as("leader", vec![Role::Leader], &[], true)
        .await;

    // October's monthly report, on 2 November.
    let now = supervision_seed::local(2026, 11, 2, 9);
    clock(now);
    let month_targets: Vec<String> = [
        "/api/plugins/supervision/scorecard?month=2026-10".to_owned(),
        "/api/plugins/supervision/problems?month=2026-10&limit=200".to_owned(),
        "/api/plugins/supervision/problems?month=2026-09&limit=200".to_owned(),
        format!("/api/plugins/hotline/kpi?period=2026-10&as_of={now}"),
    ]
    .into();
    // Warm both paths once (instances compiled, fonts loaded).
    figures(&leader, &month_targets).await;
    let month_alone = figures(&leader, &month_targets).await;
    let monthly = make(
        &app,
        &editor,
        serde_json::json!({ "month": "2026-10", "kind": "monthly" }),
    )
    .await;

    // The annual report of 2026, on 5 January 2027.
    let now = supervision_seed::local(2027, 1, 5, 9);
    clock(now);
    let year_targets: Vec<String> = (1..=12)
        .flat_map(|m| {
            [
                format!("/api/plugins/supervision/scorecard?month=2026-{m:02}"),
                format!("/api/plugins/hotline/kpi?period=2026-{m:02}&as_of={now}"),
            ]
        })
        .collect();
    let year_alone = figures(&leader, &year_targets).await;
    let annual = make(&app, &editor, serde_json::json!({ "year": 2026 })).await;

    println!(
        "| report ({problems} problems, {orders} hotline orders) | made, POST to last stage (stages) | the same figures alone | ratio | peak memory (process) | files |"
    );
    println!("|---|---|---|---|---|---|");
    print("监督检查月报 2026-10", &monthly, month_alone);
    print("年度报告 2026", &annual, year_alone);
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let var = |name: &str, full_n: usize, smoke: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if full { full_n } else { smoke })
    };
    let problems = var("BANTONG_BENCH_PROBLEMS", 20_000, 1_000);
    let orders = var("BANTONG_BENCH_ORDERS", 1_000_000, 2_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(problems, orders));
}
