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
//! (f) agents held by one host: N simulated agents (one `bantong-edge
//!     simulate` process) connected to the embedded broker with 30 s
//!     heartbeats; time to connect them all, the host's CPU while holding
//!     them and its resident memory per agent (`EDGE_BENCH_AGENTS`, default
//!     1,000);
//! (g) resident memory of one real agent process with five simulated
//!     cameras and three edge plugins;
//! (h) time to roll a 1 MB plugin out to N simulated agents (one `simulate
//!     --plugins` process; each agent downloads, verifies, starts and
//!     health-checks its own instance through a 1 s window): a staged
//!     rollout (canary, 10 %, everyone) against the same version change
//!     sent to everyone in one wave (`EDGE_BENCH_ROLLOUT`, default
//!     `100,1000`).
//!
//! `cargo bench -p bantong-tests --bench edge` prints a Markdown table;
//! without `--bench` it runs small sizes as a smoke test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bantong_camera_watch::detect::{Config, Watcher};
use bantong_edge::camera::{QUEUE_ZONE, SEAT, Scene, SimulatedCamera};
use bantong_edge::outbox::{Outbox, OutboxConfig};
use bantong_edge::plugins::{Loader, RunningPlugin};
use bantong_edge::sink::EventSink;
use bantong_edge::{Agent, EdgeConfig};
use bantong_manifest::{Manifest, Package, TrustedKeys, keygen};
use bantong_runtime::edge::EdgeRuntime;
use bantong_runtime::vision::gray_downscale;
use bantong_store::{EdgeBatch, EdgeEventIn};
use bantong_tests::app::{repo_root, wasm_dir};
use bantong_tests::db::Backend;
use bantong_tests::edge::{
    BrokerKind, Installation, Simulator, camera_watch_package, enrol_in_process, eventually,
    wait_online,
};
use serde_json::json;
use tokio::sync::Notify;

async fn events_per_second(agents: usize, per_agent: u64) -> (f64, f64) {
    let Installation { app, host, .. } =
        Installation::start(Backend::Sqlite, BrokerKind::Embedded, &["hall-a"]).await;
    let state = &app.host.state;
    let mut running = Vec::new();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    for i in 0..agents {
        let identity = enrol_in_process(state, "hall-a", &format!("bench-{i}")).await;
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
    let Installation {
        app, host: _idle, ..
    } = Installation::start(Backend::Sqlite, BrokerKind::Embedded, &["hall-a"]).await;
    let state = &app.host.state;
    for i in 0..agents {
        enrol_in_process(state, "hall-a", &format!("bench-{i}")).await;
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
        state
            .store
            .apply_edge_batches(batches, &|_| Vec::new())
            .await
            .unwrap();
    }
    let direct = total as f64 / start.elapsed().as_secs_f64();
    (through_mqtt, direct)
}

/// One camera with a seat and a queue zone, as both sides of (e) see it.
fn camera_config() -> serde_json::Value {
    json!({
        "cameras": { "cam-1": { "regions": [
            { "id": "window-3", "kind": "seat", "rect": SEAT, "unattended_after_s": 5 },
            { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047,
              "crowd_threshold": 6, "crowd_after_s": 3 }
        ]}}
    })
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
    let mut watcher = Watcher::new(serde_json::from_value::<Config>(camera_config()).unwrap());
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
    let config = camera_config().to_string();
    let mut plugin =
        RunningPlugin::start(&runtime, &Loader::InProcess, &p.encode(), &trusted, &config)
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

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// utime + stime of this process, in clock ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields
        .get(11)
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
}

const AGENT_BIN: &str = env!("CARGO_BIN_EXE_edge-under-test");

/// (seconds to connect all, host CPU % while holding, host KiB per agent, simulator KiB per agent)
async fn agents_held(n: usize, hold: Duration) -> (f64, f64, f64, f64) {
    let Installation { app, host, .. } =
        Installation::start_with(Backend::Sqlite, BrokerKind::Embedded, &["hall-a"], |c| {
            c.mqtt.stale_after_s = 120
        })
        .await;
    let state = &app.host.state;
    let dir = app.db.dir.path().join("sim");
    for i in 0..n {
        let identity = enrol_in_process(state, "hall-a", &format!("held-{i}")).await;
        bantong_edge::identity::save(&dir.join(format!("agent-{i}")), &identity).unwrap();
    }
    let rss_before = proc_status_kib(std::process::id(), "VmRSS:");
    let start = Instant::now();
    let mut child = std::process::Command::new(AGENT_BIN)
        .args(["simulate", "--dir"])
        .arg(&dir)
        .env("BANTONG_EDGE_HEARTBEAT_S", "30")
        .env("BANTONG_EDGE_LOG", "warn")
        .env("BANTONG_EDGE_DATA_DIR", app.db.dir.path().join("unused"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stats = host
        .runtime
        .as_ref()
        .and_then(|r| r.broker_stats())
        .unwrap();
    loop {
        let online: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM edge_agents WHERE online = 1")
            .fetch_one(state.store.pool())
            .await
            .unwrap();
        if online as usize >= n {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "agents did not all come online"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let connect_s = start.elapsed().as_secs_f64();
    assert!(stats.connections.load(std::sync::atomic::Ordering::Relaxed) as usize > n);
    let cpu0 = cpu_ticks();
    let t0 = Instant::now();
    tokio::time::sleep(hold).await;
    let ticks_per_s = 100.0;
    let cpu_pct = (cpu_ticks() - cpu0) as f64 / ticks_per_s / t0.elapsed().as_secs_f64() * 100.0;
    let rss_after = proc_status_kib(std::process::id(), "VmRSS:");
    let sim_rss = proc_status_kib(child.id(), "VmRSS:");
    let _ = child.kill();
    let _ = child.wait();
    host.stop().await;
    (
        connect_s,
        cpu_pct,
        rss_after.saturating_sub(rss_before) as f64 / n as f64,
        sim_rss as f64 / n as f64,
    )
}

/// Resident memory (KiB) of one agent process with five simulated cameras
/// and three edge plugins (camera-watch under three ids), after they run.
async fn agent_rss() -> u64 {
    use bantong_tests::edge::{AgentProcess, issue_token};
    let Installation {
        app, host, admin, ..
    } = Installation::start(Backend::Sqlite, BrokerKind::Embedded, &["hall-a"]).await;
    let token = issue_token(&admin, "hall-a", "rss-edge").await;
    let mut agent = AgentProcess::new(AGENT_BIN, app.db.dir.path().join("agent"), &host.url());
    agent.enrol(&token);
    agent.env(
        "BANTONG_EDGE_CAMERAS",
        r#"[{id = "cam-1", scene = "growing-queue"}, {id = "cam-2", scene = "clerk-seated"}, {id = "cam-3", scene = "lights"}, {id = "cam-4", scene = "empty-window"}, {id = "cam-5", scene = "clerk-seated"}]"#,
    );
    agent.env("BANTONG_EDGE_CAMERA_FPS", "5");
    // Experiment knob: glibc arenas (2 made no difference on 2026-11-27).
    if let Ok(arenas) = std::env::var("EDGE_BENCH_ARENAS") {
        agent.env("MALLOC_ARENA_MAX", &arenas);
    }
    agent.run(0, 0);
    let text =
        std::fs::read_to_string(repo_root().join("plugins/camera-watch/manifest.toml")).unwrap();
    let wasm = std::fs::read(wasm_dir().join("bantong_camera_watch.wasm")).unwrap();
    let cameras: serde_json::Map<String, serde_json::Value> = (1..=5)
        .map(|i| {
            (
                format!("cam-{i}"),
                json!({ "regions": [
                    { "id": "window-1", "kind": "seat", "rect": SEAT },
                    { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047 }
                ]}),
            )
        })
        .collect();
    for id in ["camera-watch", "camera-watch-b", "camera-watch-c"] {
        let manifest =
            Manifest::parse(&text.replacen("id = \"camera-watch\"", &format!("id = \"{id}\""), 1))
                .unwrap();
        let mut p = Package::new(manifest, wasm.clone()).unwrap();
        p.sign(&app.key);
        let up = admin
            .send_bytes("POST", "/api/edge/artefacts", p.encode())
            .await
            .json();
        let d = admin
            .post(
                "/api/edge/deployments",
                json!({ "digest": up["digest"], "agents": ["rss-edge"], "config": { "cameras": cameras }, "health_window_s": 2 }),
            )
            .await;
        assert_eq!(d.status, 200, "{}", d.json());
    }
    eventually(
        Duration::from_secs(120),
        "three plugins running",
        || async {
            let r = admin.get("/api/edge/agents/rss-edge").await.json();
            let running = r["report"]["plugins"]
                .as_array()
                .map(|a| a.iter().filter(|p| p["state"] == "running").count())
                .unwrap_or(0);
            (running == 3).then_some(())
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss = agent
        .pid()
        .map(|pid| proc_status_kib(pid, "VmRSS:"))
        .unwrap_or(0);
    if std::env::var("EDGE_BENCH_SMAPS").is_ok()
        && let Some(pid) = agent.pid()
    {
        let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
        let mut current = String::new();
        let mut rows: Vec<(u64, String)> = Vec::new();
        for line in smaps.lines() {
            if line.starts_with("Rss:") {
                let kib: u64 = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                rows.push((kib, current.clone()));
            } else if line.contains('-') && !line.contains(':')
                || line
                    .split_whitespace()
                    .next()
                    .is_some_and(|f| f.contains('-') && f.len() > 16)
            {
                current = line.to_owned();
            }
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.0));
        for (kib, m) in rows.iter().take(12) {
            eprintln!("{kib:>8} KiB  {m}");
        }
    }
    agent.kill9();
    host.stop().await;
    rss
}

/// Seconds from starting a rollout to its completion.
async fn timed_rollout(admin: &bantong_tests::app::Client, body: serde_json::Value) -> f64 {
    let start = Instant::now();
    let r = admin.post("/api/edge/rollouts", body).await;
    assert_eq!(r.status, 201, "{}", r.json());
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let done = eventually(Duration::from_secs(900), "rollout done", || async {
        let r = admin.get(&format!("/api/edge/rollouts/{id}")).await.json();
        (r["state"] != "running").then_some(r)
    })
    .await;
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(done["state"], "completed", "{done}");
    secs
}

/// (staged seconds, one-wave seconds, package bytes) for `n` agents.
async fn rollout_time(n: usize) -> (f64, f64, usize) {
    let Installation {
        app, host, admin, ..
    } = Installation::start_with(Backend::Sqlite, BrokerKind::Embedded, &["hall-a"], |c| {
        c.mqtt.stale_after_s = 120
    })
    .await;
    let state = &app.host.state;
    let sim = Simulator::start(
        AGENT_BIN,
        state,
        &host.url(),
        &app.db.dir.path().join("sim"),
        "hall-a",
        "roll",
        n,
    )
    .await;
    wait_online(state, n, Duration::from_secs(600)).await;
    let mut digests = Vec::new();
    let mut size = 0;
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        let bytes = camera_watch_package(&app.key, version, Some(1024 * 1024));
        size = bytes.len();
        let up = admin
            .send_bytes("POST", "/api/edge/artefacts", bytes)
            .await
            .json();
        digests.push(up["digest"].as_str().unwrap().to_owned());
    }
    let body = |digest: &str, waves: serde_json::Value| {
        json!({ "digest": digest, "all": true, "health_window_s": 1,
                "config": { "cameras": {} }, "waves": waves })
    };
    // Every agent gets a first version, so both measured changes replace
    // a running plugin.
    timed_rollout(&admin, body(&digests[0], json!(["100%"]))).await;
    let one_wave = timed_rollout(&admin, body(&digests[1], json!(["100%"]))).await;
    let staged = timed_rollout(&admin, body(&digests[2], json!([1, "10%", "100%"]))).await;
    drop(sim);
    host.stop().await;
    (staged, one_wave, size)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // Frames are processed one after another: (e) is a one-core figure.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // `EDGE_BENCH=g` (or `dfg`, …) runs only the named parts.
    let only = std::env::var("EDGE_BENCH").unwrap_or_else(|_| "defgh".into());
    let want = |c: char| only.contains(c);
    rt.block_on(async {
        println!("| benchmark | measured | baseline (same run) | ratio |");
        println!("|---|---|---|---|");
        if want('d') {
            let (agents, per) = if full { (20, 5_000) } else { (2, 200) };
            let (mqtt, direct) = events_per_second(agents, per).await;
            println!(
                "| (d) events/s, {agents} agents × {per} events → embedded broker → SQLite | {mqtt:.0}/s | {direct:.0}/s direct `apply_edge_batches` | {:.2} |",
                mqtt / direct
            );
        }
        if want('e') {
            let frames = if full { 3_000 } else { 30 };
            let (wasm_fps, native_fps) = camera_watch_fps(frames).await;
            println!(
                "| (e) camera-watch frames/s on 640×480 YUYV, one core | {wasm_fps:.0} wasm | {native_fps:.0} native | {:.2} |",
                wasm_fps / native_fps
            );
        }
        if want('f') {
            let held: usize = std::env::var("EDGE_BENCH_AGENTS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(if full { 1_000 } else { 20 });
            let hold = if full { Duration::from_secs(35) } else { Duration::from_secs(1) };
            let (connect_s, cpu_pct, host_kib, sim_kib) = agents_held(held, hold).await;
            println!(
                "| (f) {held} agents held, 30 s heartbeats | all online in {connect_s:.1} s; host CPU {cpu_pct:.1}% of one core over {}s; host {host_kib:.0} KiB/agent | simulator {sim_kib:.0} KiB/agent | — |",
                hold.as_secs()
            );
        }
        if want('g') {
            let rss_kib = agent_rss().await;
            println!(
                "| (g) agent resident memory, 5 simulated cameras at 5 fps + 3 edge plugins | {:.1} MiB | target 40 MiB | {:.2} |",
                rss_kib as f64 / 1024.0,
                rss_kib as f64 / 1024.0 / 40.0
            );
        }
        if want('h') {
            let sizes: Vec<usize> = std::env::var("EDGE_BENCH_ROLLOUT")
                .ok()
                .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
                .unwrap_or_else(|| if full { vec![100, 1_000] } else { vec![4] });
            for n in sizes {
                let (staged, one_wave, bytes) = rollout_time(n).await;
                println!(
                    "| (h) {:.2} MB plugin to {n} agents, staged 1 / 10 % / 100 %, 1 s health window | {staged:.1} s | {one_wave:.1} s in one wave | {:.2} |",
                    bytes as f64 / 1e6,
                    staged / one_wave
                );
            }
        }
    });
}
