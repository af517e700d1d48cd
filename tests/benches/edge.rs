//! Edge fabric benchmarks, each with a baseline measured in the same run:
//!
//! (d) events per second from simulated agents through the embedded MQTT
//!     broker into the database (SQLite), against the same events applied
//!     directly through `Store::apply_edge_batches` (the ingest ceiling);
//! (e) camera-watch frames per second on one core, 640×480 YUYV input, the
//!     wasm plugin run by the agent against the same analysis compiled
//!     natively (`bantong_camera_watch::detect`) with the same native
//!     downscale.
//!
//! `cargo bench -p bantong-tests --bench edge` prints a Markdown table;
//! without `--bench` it runs small sizes as a smoke test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bantong_camera_watch::detect::{Config, Watcher};
use bantong_edge::camera::{QUEUE_ZONE, SEAT, Scene, SimulatedCamera};
use bantong_edge::outbox::{Outbox, OutboxConfig};
use bantong_edge::plugins::RunningPlugin;
use bantong_edge::sink::EventSink;
use bantong_edge::{Agent, EdgeConfig};
use bantong_fabric::msg::EnrolRequest;
use bantong_host::identity::{Principal, Role};
use bantong_manifest::{Manifest, Package, TrustedKeys, keygen};
use bantong_runtime::edge::EdgeRuntime;
use bantong_runtime::vision::gray_downscale;
use bantong_store::{EdgeBatch, EdgeEventIn};
use bantong_tests::app::{TestApp, repo_root, wasm_dir};
use bantong_tests::db::{Backend, TestDb};
use bantong_tests::edge::{BrokerKind, RunningHost, configure, free_port};
use serde_json::json;
use tokio::sync::Notify;

async fn events_per_second(agents: usize, per_agent: u64) -> (f64, f64) {
    let db = TestDb::new(Backend::Sqlite).await;
    let port = free_port();
    let app = TestApp::with_config(db, |c| configure(c, BrokerKind::Embedded, None, port)).await;
    let host = RunningHost::start(app.host.clone()).await;
    let state = &app.host.state;
    let _ = app
        .host
        .client_as("bench-admin", vec![Role::DistrictAdmin], &["hall-a"], true)
        .await;
    let system = Principal::system("bench");
    let mut running = Vec::new();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    for i in 0..agents {
        let id = bantong_fabric::AgentId::parse(&format!("bench-{i}")).unwrap();
        let token = state
            .edge
            .registry
            .issue_token(&system, "hall-a", &id, Duration::from_secs(600))
            .await
            .unwrap();
        let identity = state
            .edge
            .enrol(EnrolRequest {
                token: token.token,
                version: "bench".into(),
                hostname: String::new(),
            })
            .await
            .unwrap();
        let config = EdgeConfig {
            data_dir: app.db.dir.path().join(format!("agent-{i}")),
            heartbeat_s: 30,
            ..EdgeConfig::default()
        };
        let agent = Arc::new(Agent::open(config, identity).unwrap());
        // Fill the outbox first: the measurement is transport and ingest.
        bantong_edge::agent::emit_synthetic(&agent, per_agent, 1000, 0)
            .await
            .unwrap();
        running.push(agent);
    }
    let total = agents as u64 * per_agent;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for agent in &running {
        let agent = agent.clone();
        let shutdown = shutdown.clone();
        tasks.push(tokio::spawn(async move { agent.run(shutdown).await }));
    }
    loop {
        let applied: i64 =
            sqlx::query_scalar("SELECT COALESCE(SUM(applied_seq), 0) FROM edge_agents")
                .fetch_one(state.store.pool())
                .await
                .unwrap();
        if applied as u64 >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let through_mqtt = total as f64 / start.elapsed().as_secs_f64();
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    host.stop().await;

    // Baseline: the same events straight into the store, 500 per batch.
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::with_config(db, |c| {
        configure(c, BrokerKind::Embedded, None, free_port())
    })
    .await;
    let state = &app.host.state;
    let _ = app
        .host
        .client_as("bench-admin", vec![Role::DistrictAdmin], &["hall-a"], true)
        .await;
    for i in 0..agents {
        let id = bantong_fabric::AgentId::parse(&format!("bench-{i}")).unwrap();
        let token = state
            .edge
            .registry
            .issue_token(&system, "hall-a", &id, Duration::from_secs(600))
            .await
            .unwrap();
        state
            .edge
            .enrol(EnrolRequest {
                token: token.token,
                version: "bench".into(),
                hostname: String::new(),
            })
            .await
            .unwrap();
    }
    let start = Instant::now();
    for chunk_start in (1..=per_agent).step_by(500) {
        let batches = (0..agents)
            .map(|i| EdgeBatch {
                agent: format!("bench-{i}"),
                events: (chunk_start..(chunk_start + 500).min(per_agent + 1))
                    .map(|seq| EdgeEventIn {
                        seq: seq as i64,
                        ts_ms: 0,
                        kind: "test.tick".into(),
                        source: "agent".into(),
                        subject: None,
                        data: format!("{{\"n\":{seq}}}"),
                        attachment: None,
                    })
                    .collect(),
            })
            .collect();
        state.store.apply_edge_batches(batches, &[]).await.unwrap();
    }
    let direct = total as f64 / start.elapsed().as_secs_f64();
    (through_mqtt, direct)
}

fn camera_config() -> Config {
    serde_json::from_value(json!({
        "cameras": { "cam-1": { "regions": [
            { "id": "window-3", "kind": "seat", "rect": SEAT, "unattended_after_s": 5 },
            { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047,
              "crowd_threshold": 6, "crowd_after_s": 3 }
        ]}}
    }))
    .unwrap()
}

async fn camera_watch_fps(frames: usize) -> (f64, f64) {
    // A staffed window with a short queue: after the first frames nothing
    // changes, so both sides measure analysis, not event output (an alert's
    // JPEG and fsync would dwarf a frame and only the wasm side pays them).
    let cam = SimulatedCamera::new("cam-1", Scene::ClerkSeated, 5.0, 0);
    let rendered: Vec<Arc<bantong_runtime::vision::Frame>> =
        (0..300).map(|i| Arc::new(cam.render(i))).collect();
    let warm_up = 50;

    // Native baseline: the same downscale and the same analysis.
    let mut watcher = Watcher::new(camera_config());
    let mut sent = 0usize;
    for f in &rendered[..warm_up] {
        sent += watcher
            .process("cam-1", f.ts_ms, &gray_downscale(f, 160, 120))
            .len();
    }
    let start = Instant::now();
    for i in 0..frames {
        let f = &rendered[warm_up + i % (rendered.len() - warm_up)];
        let gray = gray_downscale(f, 160, 120);
        sent += watcher.process("cam-1", f.ts_ms, &gray).len();
    }
    let native = frames as f64 / start.elapsed().as_secs_f64();
    std::hint::black_box(sent);

    // The wasm plugin through the agent's runner (events into a real outbox).
    let text =
        std::fs::read_to_string(repo_root().join("plugins/camera-watch/manifest.toml")).unwrap();
    let wasm = std::fs::read(wasm_dir().join("bantong_camera_watch.wasm")).unwrap();
    let (key, public) = keygen();
    let mut p = Package::new(Manifest::parse(&text).unwrap(), wasm).unwrap();
    p.sign(&key);
    let trusted = TrustedKeys::from_text(&public.to_text()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(Mutex::new(
        Outbox::open(dir.path(), OutboxConfig::default()).unwrap(),
    ));
    let sink = EventSink::start(outbox, Arc::new(Notify::new()));
    let runtime = EdgeRuntime::new().unwrap();
    let config = serde_json::to_string(&json!({
        "cameras": { "cam-1": { "regions": [
            { "id": "window-3", "kind": "seat", "rect": SEAT, "unattended_after_s": 5 },
            { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047,
              "crowd_threshold": 6, "crowd_after_s": 3 }
        ]}}
    }))
    .unwrap();
    let mut plugin = RunningPlugin::start(&runtime, &p.encode(), &trusted, &config)
        .await
        .unwrap();
    for f in &rendered[..warm_up] {
        plugin.frame(f.clone(), &sink).await.unwrap();
    }
    let start = Instant::now();
    for i in 0..frames {
        plugin
            .frame(
                rendered[warm_up + i % (rendered.len() - warm_up)].clone(),
                &sink,
            )
            .await
            .unwrap();
    }
    let wasm_fps = frames as f64 / start.elapsed().as_secs_f64();
    (wasm_fps, native)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // Frames are processed one after another: (e) is a one-core figure.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (agents, per) = if full { (20, 5_000) } else { (2, 200) };
        let (mqtt, direct) = events_per_second(agents, per).await;
        let frames = if full { 3_000 } else { 30 };
        let (wasm_fps, native_fps) = camera_watch_fps(frames).await;
        println!("| benchmark | measured | baseline (same run) | ratio |");
        println!("|---|---|---|---|");
        println!(
            "| (d) events/s, {agents} agents × {per} events → embedded broker → SQLite | {mqtt:.0}/s | {direct:.0}/s direct `apply_edge_batches` | {:.2} |",
            mqtt / direct
        );
        println!(
            "| (e) camera-watch frames/s on 640×480 YUYV, one core | {wasm_fps:.0} wasm | {native_fps:.0} native | {:.2} |",
            wasm_fps / native_fps
        );
    });
}
