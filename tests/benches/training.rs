//! A monthly exam for the whole district: 500 window staff in the 17
//! halls sit a 100-question paper, and every answer and every hand-in
//! arrives within one minute — 50,000 answer saves and 500 hand-ins
//! (marked on arrival), paced evenly (833 saves a second), from 500
//! simulated phones over HTTP (a real TCP listener, keep-alive
//! connections, bearer tokens).
//!
//! Measured: each save's and each hand-in's latency (p50, p90, p99, max)
//! and the throughput reached; then the same writes done natively in the
//! same run — the same store reads of the sitting, the same pure
//! `Attempt::answer` / `Attempt::submit`, the same puts (one answer
//! document per save; the sitting with its answers and marks at the
//! hand-in), one unit of work each, at the same pace — as the baseline;
//! then closing the exam (item analysis of 500 sittings, gaps into
//! assignments).
//!
//! `cargo xtask wasm && cargo bench -p bantong-tests --bench training`
//! (`BANTONG_BENCH_STAFF`, `BANTONG_BENCH_QUESTIONS`,
//! `BANTONG_BENCH_SECONDS` to change the load; `BANTONG_SKIP_PG=1` to skip
//! PostgreSQL). Without `--bench`: 20 staff, 10 questions, 5 seconds, as a
//! smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bantong_hall_kit::district::HALLS;
use bantong_host::identity::{HallGrade, NewHall, Principal, Role};
use bantong_store::{Direction, Filter, Op, Query, Scope, Selection, SortKey, Write};
use bantong_tests::db::{Backend, skip_pg};
use bantong_tests::{TestApp, TestDb};
use bantong_training::attempt::{Attempt, Live, Seat};
use bantong_training::marking::Response as Answer;
use bantong_training::paper::{Shuffle, draw};
use bantong_training::plugin::AttemptDoc;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

const PLUGIN: &str = "training";
const P: &str = "/api/plugins/training";

struct Load {
    staff: usize,
    questions: usize,
    seconds: u64,
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Default)]
struct Stats {
    n: usize,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

fn stats(mut ms: Vec<f64>) -> Stats {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        if ms.is_empty() {
            0.0
        } else {
            ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1]
        }
    };
    Stats {
        n: ms.len(),
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: ms.last().copied().unwrap_or_default(),
    }
}

fn row(what: &str, s: &Stats, base: Option<&Stats>) -> String {
    let vs = base.map_or(String::new(), |b| {
        format!(" | {:.2} / {:.2} ms", b.p50, b.p99)
    });
    format!(
        "| {what} | {} | {:.2} | {:.2} | {:.2} | {:.2}{vs} |",
        s.n, s.p50, s.p90, s.p99, s.max
    )
}

type Http = Client<HttpConnector, Full<Bytes>>;

async fn call(
    http: &Http,
    base: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let req = hyper::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        )))
        .expect("request");
    let resp = http.request(req).await.expect("response");
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Serves the host's router on an ephemeral port; answers its base URL.
async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = app.host.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    format!("http://{addr}")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The candidate's sitting, as the plugin reads it: the first by its id;
/// the query for a later one (the plugin's path for resits) only when the
/// first is finished.
async fn first(
    uow: &mut bantong_store::UnitOfWork,
    scope: &Scope,
    spec: &bantong_store::CollectionSpec,
    exam: &str,
    user: &str,
) -> bantong_store::Document {
    let d = uow
        .get(scope, "attempts", &format!("{exam}.{user}.1"))
        .await
        .expect("get")
        .expect("sitting");
    if d.body["state"] == "answering" {
        return d;
    }
    latest(uow, scope, spec, exam, user)
        .await
        .expect("query")
        .items
        .into_iter()
        .next()
        .expect("sitting")
}

/// The candidate's latest sitting by the query.
async fn latest(
    uow: &mut bantong_store::UnitOfWork,
    scope: &Scope,
    spec: &bantong_store::CollectionSpec,
    exam: &str,
    user: &str,
) -> bantong_store::Result<bantong_store::Page> {
    let q = Query {
        selection: Selection {
            collection: "attempts".into(),
            filters: vec![
                Filter {
                    field: "exam".into(),
                    op: Op::Eq,
                    value: json!(exam),
                },
                Filter {
                    field: "candidate".into(),
                    op: Op::Eq,
                    value: json!(user),
                },
            ],
            halls: None,
        },
        sort: vec![SortKey {
            field: "number".into(),
            direction: Direction::Desc,
        }],
        offset: 0,
        limit: 1,
    };
    uow.query(scope, PLUGIN, spec, q).await
}

async fn run(backend: Backend, load: &Load) {
    let app = TestApp::with_config(TestDb::new(backend).await, |c| {
        // A production-sized host, not the test suites' small one.
        let d = bantong_host::HostConfig::default();
        c.max_connections = d.max_connections;
        c.runtime.max_instances = d.runtime.max_instances;
    })
    .await;
    app.install_training().await;
    let system = Principal::system("bench");
    for h in &HALLS {
        app.host
            .state
            .identity
            .create_hall(
                &system,
                NewHall {
                    id: h.id.into(),
                    code: h.code.into(),
                    name_zh: h.name_zh(),
                    name_en: h.name_en(),
                    grade: HallGrade::Standard,
                },
            )
            .await
            .expect("hall");
    }
    let h = &app.host;
    let author = h
        .client_as("trainer-a", vec![Role::HrOfficer], &[], true)
        .await;
    let reviewer = h
        .client_as("trainer-b", vec![Role::HrOfficer], &[], true)
        .await;
    let started = Instant::now();
    let mut tokens = Vec::with_capacity(load.staff);
    let mut user_ids = Vec::with_capacity(load.staff);
    for i in 0..load.staff {
        let hall = HALLS[i % HALLS.len()].id;
        let token = bantong_tests::app::user_with_token(
            &h.state,
            &format!("staff-{i:03}"),
            vec![Role::WindowStaff],
            &[hall],
            false,
        )
        .await;
        tokens.push(token);
    }
    for i in 0..load.staff {
        let u = h
            .state
            .identity
            .get_user_by_username(&format!("staff-{i:03}"))
            .await
            .expect("user");
        user_ids.push(u.id);
    }
    eprintln!(
        "{} staff in {:.1} s",
        load.staff,
        started.elapsed().as_secs_f64()
    );
    // The bank: the paper's questions, five options each, approved.
    let mut ids = Vec::new();
    for n in 0..load.questions {
        let r = author
            .post(
                &format!("{P}/questions"),
                json!({ "kind": if n % 5 == 4 { "multiple" } else { "single" },
                        "stem": format!("第{n}题：关于政务服务的下列说法，正确的是？"),
                        "options": ["说法甲", "说法乙", "说法丙", "说法丁", "以上都不对"],
                        "answer": if n % 5 == 4 { "AC" } else { "A" }, "marks": 1,
                        "knowledge": format!("知识点{}", n % 10), "difficulty": "medium" }),
            )
            .await;
        let id = r.json()["id"].as_str().expect("question id").to_owned();
        reviewer
            .post(
                &format!("{P}/questions/{id}/review"),
                json!({ "action": "approve" }),
            )
            .await;
        ids.push(id);
    }
    let now = now_ms();
    let fmt = bantong_hall_kit::time::local_time;
    let r = author
        .post(
            &format!("{P}/exams"),
            json!({ "title": "全区月考", "kind": "monthly", "opens": fmt(now - 120_000),
                    "closes": fmt(now + 4 * 3_600_000), "minutes": 120, "questions": ids }),
        )
        .await;
    assert_eq!(r.status, http::StatusCode::CREATED, "{}", r.json());
    let exam = r.json()["id"].as_str().expect("exam id").to_owned();

    let base = serve(&app).await;
    let http: Http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(load.staff)
        .build_http();

    // Everyone starts (the papers drawn, shuffled per person).
    let t = Instant::now();
    let mut papers = Vec::with_capacity(load.staff);
    for chunk in tokens.chunks(50) {
        let mut tasks = Vec::new();
        for token in chunk {
            let (http, base, token, exam) =
                (http.clone(), base.clone(), token.clone(), exam.clone());
            tasks.push(tokio::spawn(async move {
                let (status, sitting) = call(
                    &http,
                    &base,
                    &token,
                    "POST",
                    &format!("{P}/my/exams/{exam}/start"),
                    None,
                )
                .await;
                assert_eq!(status, 201, "{sitting}");
                sitting["questions"].as_array().cloned().unwrap_or_default()
            }));
        }
        for t in tasks {
            papers.push(t.await.expect("start"));
        }
    }
    eprintln!(
        "{} sittings started in {:.1} s",
        load.staff,
        t.elapsed().as_secs_f64()
    );

    // The minute: each person answers their questions in the order shown
    // and hands in, everyone paced so the saves arrive evenly.
    let per = load.questions as u64;
    let window = Duration::from_secs(load.seconds);
    let gap = window / (per as u32 + 1);
    let saves = Arc::new(std::sync::Mutex::new(Vec::new()));
    let submits = Arc::new(std::sync::Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (i, (token, qs)) in tokens.iter().zip(papers).enumerate() {
        let (http, base, token, exam) = (http.clone(), base.clone(), token.clone(), exam.clone());
        let (saves, submits, errors) = (saves.clone(), submits.clone(), errors.clone());
        let offset = gap * i as u32 / load.staff as u32;
        tasks.push(tokio::spawn(async move {
            for (k, q) in qs.iter().enumerate() {
                tokio::time::sleep_until((t0 + offset + gap * k as u32).into()).await;
                let chosen: Vec<usize> = q["options"]
                    .as_array()
                    .map(|o| {
                        o.iter()
                            .enumerate()
                            .filter(|(_, t)| t == &"说法甲")
                            .map(|(p, _)| p)
                            .collect()
                    })
                    .unwrap_or_default();
                let body = json!({ "answer": { "type": "options", "options": chosen } });
                let s = Instant::now();
                let (status, _) = call(
                    &http,
                    &base,
                    &token,
                    "PUT",
                    &format!("{P}/my/exams/{exam}/answers/{}", q["slot"]),
                    Some(body),
                )
                .await;
                let ms = s.elapsed().as_secs_f64() * 1e3;
                if status != 200 {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                saves.lock().expect("lock").push(ms);
            }
            tokio::time::sleep_until((t0 + offset + gap * per as u32).into()).await;
            let s = Instant::now();
            let (status, _) = call(
                &http,
                &base,
                &token,
                "POST",
                &format!("{P}/my/exams/{exam}/submit"),
                None,
            )
            .await;
            if status != 200 {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            submits
                .lock()
                .expect("lock")
                .push(s.elapsed().as_secs_f64() * 1e3);
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    let took = t0.elapsed().as_secs_f64();
    let save_stats = stats(std::mem::take(&mut *saves.lock().expect("lock")));
    let submit_stats = stats(std::mem::take(&mut *submits.lock().expect("lock")));
    let errors = errors.load(std::sync::atomic::Ordering::Relaxed);

    // The same writes natively, at the same pace, on sittings of a second
    // exam id drawn the same way.
    let pool = app
        .host
        .state
        .store
        .begin()
        .get(&Scope::all(PLUGIN), "pools", &exam)
        .await
        .expect("pool")
        .expect("pool exists");
    let pool: bantong_training::plugin::PoolDoc =
        serde_json::from_value(pool.body).expect("pool body");
    let spec = app
        .host
        .state
        .plugins
        .index()
        .collection(PLUGIN, "attempts")
        .expect("attempts spec");
    let answers_spec = app
        .host
        .state
        .plugins
        .index()
        .collection(PLUGIN, "answers")
        .expect("answers spec");
    let native_exam = format!("{exam}-native");
    let paper = bantong_training::paper::Spec::Fixed {
        questions: ids
            .iter()
            .map(|id| bantong_training::paper::Fixed {
                id: id.clone(),
                marks: None,
            })
            .collect(),
    };
    let shuffle = Shuffle {
        questions: true,
        options: true,
    };
    let store = app.host.state.store.clone();
    for (i, user) in user_ids.iter().enumerate() {
        let items = draw(&paper, &pool.questions, &native_exam, user, 1, shuffle);
        let seat = Seat {
            exam: &native_exam,
            candidate: user,
            hall: HALLS[i % HALLS.len()].id,
            number: 1,
        };
        let a = Attempt::start(seat, items, now_ms(), 7_200_000, now_ms() + 4 * 3_600_000);
        let doc = AttemptDoc::new(a, "2026-12".into(), true);
        let mut uow = store.begin();
        uow.put(
            &Scope::all(PLUGIN),
            "attempts",
            Write {
                id: Some(format!("{native_exam}.{user}.1")),
                hall: Some(HALLS[i % HALLS.len()].id.into()),
                body: serde_json::to_value(&doc).expect("doc"),
                expected_version: Some(0),
            },
        )
        .await
        .expect("put");
        uow.commit().await.expect("commit");
    }
    let native_saves = Arc::new(std::sync::Mutex::new(Vec::new()));
    let native_submits = Arc::new(std::sync::Mutex::new(Vec::new()));
    let pool = Arc::new(pool);
    let t1 = Instant::now();
    let mut tasks = Vec::new();
    for (i, user) in user_ids.iter().enumerate() {
        let (store, spec, answers_spec, pool, user, native_exam) = (
            store.clone(),
            spec.clone(),
            answers_spec.clone(),
            pool.clone(),
            user.clone(),
            native_exam.clone(),
        );
        let (saves, submits) = (native_saves.clone(), native_submits.clone());
        let offset = gap * i as u32 / load.staff as u32;
        tasks.push(tokio::spawn(async move {
            let scope = Scope::all(PLUGIN);
            for k in 0..per as usize {
                tokio::time::sleep_until((t1 + offset + gap * k as u32).into()).await;
                let s = Instant::now();
                let mut uow = store.begin();
                let d = first(&mut uow, &scope, &spec, &native_exam, &user).await;
                let live: Live = serde_json::from_value(d.body).expect("doc");
                let slot = live.items[k].slot;
                let shown = live.items[k]
                    .order
                    .iter()
                    .position(|&o| o == 0)
                    .unwrap_or(0) as u8;
                let response = live
                    .answer(slot, Answer::Options { options: vec![shown] }, now_ms())
                    .expect("answer")
                    .expect("not blank");
                uow.put(
                    &scope,
                    "answers",
                    Write {
                        id: Some(format!("{}.{slot}", d.id)),
                        hall: d.hall,
                        body: json!({ "attempt": d.id, "slot": slot, "response": response, "at_ms": now_ms() }),
                        expected_version: None,
                    },
                )
                .await
                .expect("put");
                uow.commit().await.expect("commit");
                saves
                    .lock()
                    .expect("lock")
                    .push(s.elapsed().as_secs_f64() * 1e3);
            }
            tokio::time::sleep_until((t1 + offset + gap * per as u32).into()).await;
            let s = Instant::now();
            let mut uow = store.begin();
            let d = first(&mut uow, &scope, &spec, &native_exam, &user).await;
            let mut doc: AttemptDoc = serde_json::from_value(d.body).expect("doc");
            let given = uow
                .query(
                    &scope,
                    PLUGIN,
                    &answers_spec,
                    Query {
                        selection: Selection {
                            collection: "answers".into(),
                            filters: vec![Filter {
                                field: "attempt".into(),
                                op: Op::Eq,
                                value: json!(d.id),
                            }],
                            halls: None,
                        },
                        sort: Vec::new(),
                        offset: 0,
                        limit: 1000,
                    },
                )
                .await
                .expect("answers");
            for a in given.items {
                let slot = a.body["slot"].as_u64().unwrap_or_default() as u16;
                let response: Answer =
                    serde_json::from_value(a.body["response"].clone()).expect("response");
                doc.attempt.answers.insert(
                    slot,
                    bantong_training::attempt::Saved {
                        response,
                        at_ms: now_ms(),
                    },
                );
            }
            doc.attempt
                .submit(&pool.questions, Default::default(), 60, now_ms())
                .expect("submit");
            uow.put(
                &scope,
                "attempts",
                Write {
                    id: Some(d.id),
                    hall: d.hall,
                    body: serde_json::to_value(doc.touch()).expect("body"),
                    expected_version: Some(d.version),
                },
            )
            .await
            .expect("put");
            uow.commit().await.expect("commit");
            submits
                .lock()
                .expect("lock")
                .push(s.elapsed().as_secs_f64() * 1e3);
        }));
    }
    for t in tasks {
        t.await.expect("native client");
    }
    let native_took = t1.elapsed().as_secs_f64();
    let native_save = stats(std::mem::take(&mut *native_saves.lock().expect("lock")));
    let native_submit = stats(std::mem::take(&mut *native_submits.lock().expect("lock")));

    // Closing: every sitting analysed, gaps assigned.
    app.host
        .state
        .plugins
        .index()
        .set_plugin_clock(Some(now_ms() + 5 * 3_600_000));
    let s = Instant::now();
    let r = author
        .post(&format!("{P}/exams/{exam}/close"), json!({}))
        .await;
    let close_ms = s.elapsed().as_secs_f64() * 1e3;
    assert_eq!(r.status, http::StatusCode::OK, "{}", r.json());
    let a = author
        .get(&format!("{P}/exams/{exam}/analysis"))
        .await
        .json();
    assert_eq!(a["summary"]["sat"], load.staff, "{}", a["summary"]);

    println!(
        "\n### {backend:?}: {} staff × {} questions in {} s\n",
        load.staff, load.questions, load.seconds
    );
    println!(
        "Plugin over HTTP: {} saves and {} hand-ins in {took:.1} s ({:.0} saves/s), {errors} errors; natively: {native_took:.1} s.\n",
        save_stats.n,
        submit_stats.n,
        save_stats.n as f64 / took
    );
    println!("| | n | p50 ms | p90 ms | p99 ms | max ms | native p50 / p99 |");
    println!("|---|---|---|---|---|---|---|");
    println!("{}", row("answer saved", &save_stats, Some(&native_save)));
    println!(
        "{}",
        row("handed in and marked", &submit_stats, Some(&native_submit))
    );
    println!(
        "\nClosing the exam (analysis of {} sittings, gaps assigned): {close_ms:.0} ms.",
        load.staff
    );
    assert_eq!(errors, 0, "every save and hand-in succeeded");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let load = Load {
        staff: env("BANTONG_BENCH_STAFF", if full { 500 } else { 20 }) as usize,
        questions: env("BANTONG_BENCH_QUESTIONS", if full { 100 } else { 10 }) as usize,
        seconds: env("BANTONG_BENCH_SECONDS", if full { 60 } else { 5 }),
    };
    run(Backend::Sqlite, &load).await;
    if !skip_pg() {
        run(Backend::Postgres, &load).await;
    }
}
