//! Dispatch end to end (SQLite with the embedded broker, PostgreSQL with
//! Mosquitto): a signed edge plugin uploaded to the host, deployed
//! to an agent process with simulated cameras, promoted after its health
//! window, raising alerts with snapshots stored at the host; a deployment
//! that fails its health check is rolled back; bytes that do not match the
//! dispatched digest are refused by the agent; an operator rollback pins the
//! old version.

use std::time::Duration;

use bantong_edge::camera::{QUEUE_ZONE, SEAT};
use bantong_tests::app::TestApp;
use bantong_tests::db::backends;
use bantong_tests::edge::{
    AgentProcess, BrokerKind, Installation, camera_watch_package, eventually,
};
use clap::Parser;
use serde_json::{Value, json};

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");

fn package(app: &TestApp, version: &str) -> Vec<u8> {
    camera_watch_package(&app.key, version, None)
}

fn config(cameras: &[&str]) -> Value {
    let mut map = serde_json::Map::new();
    for c in cameras {
        map.insert(
            (*c).to_owned(),
            json!({ "regions": [
                { "id": "window-3", "kind": "seat", "rect": SEAT, "unattended_after_s": 5 },
                { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047,
                  "crowd_threshold": 6, "crowd_after_s": 3 }
            ]}),
        );
    }
    json!({ "cameras": map, "stale_camera_s": 2 })
}

/// Uploads `version` of camera-watch and returns its digest.
async fn upload(app: &TestApp, admin: &bantong_tests::app::Client, version: &str) -> String {
    let up = admin
        .send_bytes("POST", "/api/edge/artefacts", package(app, version))
        .await;
    assert_eq!(up.status, 201, "{}", up.json());
    up.json()["digest"].as_str().unwrap().to_owned()
}

async fn plugin_report(admin: &bantong_tests::app::Client, agent: &str) -> Value {
    admin.get(&format!("/api/edge/agents/{agent}")).await.json()["report"]["plugins"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_run_alert_roll_back_and_refuse_altered_artefacts() {
    // SQLite with the embedded broker, PostgreSQL with Mosquitto: each
    // database and each broker once, without running everything four times.
    for backend in backends() {
        let broker = BrokerKind::paired_with(backend);
        let Installation {
            app,
            host,
            admin,
            mosquitto: _mosquitto,
        } = Installation::start(backend, broker, &["hall-a"]).await;
        let mut agent = AgentProcess::with_growing_queue(
            AGENT,
            &admin,
            "hall-a",
            "cw-edge",
            app.db.dir.path().join("agent"),
            &host.url(),
        )
        .await;

        // Upload v0.1.0 and deploy it.
        let v1 = upload(&app, &admin, "0.1.0").await;
        let bad = admin
            .post(
                "/api/edge/deployments",
                json!({ "digest": v1, "agents": ["cw-edge"], "config": { "width": 0 } }),
            )
            .await;
        assert_eq!(
            bad.status,
            422,
            "a config outside the schema is refused: {}",
            bad.json()
        );
        let d = admin
            .post(
                "/api/edge/deployments",
                json!({ "digest": v1, "agents": ["cw-edge"], "config": config(&["cam-1"]), "health_window_s": 2 }),
            )
            .await;
        assert_eq!(d.status, 200, "{}", d.json());
        eventually(Duration::from_secs(60), "v0.1.0 running", || async {
            (plugin_report(&admin, "cw-edge").await["state"] == "running").then_some(())
        })
        .await;

        // The simulated clerk leaves: an alert with a snapshot reaches the host.
        let alert = eventually(
            Duration::from_secs(60),
            "an unattended-window alert",
            || async {
                let items = admin.get("/api/edge/alerts?hall=hall-a").await.json()["items"].clone();
                items.as_array().and_then(|a| {
                    a.iter()
                        .find(|x| x["kind"] == "alert.window-unattended")
                        .cloned()
                })
            },
        )
        .await;
        assert_eq!(alert["subject"], "cam-1/window-3");
        let snapshot = alert["snapshot"].as_str().expect("snapshot blob");
        let jpeg = admin.get(&format!("/api/blobs/{snapshot}")).await;
        assert_eq!(jpeg.status, 200);
        assert_eq!(&jpeg.body[..3], &[0xff, 0xd8, 0xff]);

        // Host commands reach the plugin's `on-command`; the periodic tick
        // makes camera-watch send its region summary upstream.
        let reply = admin
            .post(
                "/api/edge/agents/cw-edge/commands",
                json!({ "plugin": "camera-watch", "name": "calibrate", "args": { "camera": "cam-1" } }),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json());
        assert_eq!(reply.json()["ok"], true, "{}", reply.json());
        assert_eq!(reply.json()["result"], json!({ "calibrating": ["cam-1"] }));
        let missing = admin
            .post(
                "/api/edge/agents/cw-edge/commands",
                json!({ "plugin": "no-such-plugin", "name": "calibrate" }),
            )
            .await
            .json();
        assert_eq!(missing["ok"], false);
        assert!(
            missing["error"].as_str().unwrap().contains("not running"),
            "{missing}"
        );
        eventually(Duration::from_secs(30), "a watch.summary event", || async {
            let pool = app.host.state.store.pool().clone();
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM edge_events WHERE agent_id = 'cw-edge' AND kind = 'watch.summary'",
            )
            .fetch_one(&pool)
            .await
            .ok()?;
            (n > 0).then_some(())
        })
        .await;

        // The agent compiled the plugin in a child process and keeps the
        // result with its hash; a damaged file is compiled again on restart,
        // never mapped.
        let compiled_dir = agent.data_dir.join("compiled");
        let cwasm = std::fs::read_dir(&compiled_dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "cwasm"))
            .expect("a compiled plugin");
        let recorded = std::fs::read_to_string(cwasm.with_extension("cwasm.sha256")).unwrap();
        agent.kill9();
        let mut damaged = std::fs::read(&cwasm).unwrap();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0xff;
        std::fs::write(&cwasm, &damaged).unwrap();
        agent.run(0, 0);
        eventually(
            Duration::from_secs(60),
            "v0.1.0 running after restart",
            || async {
                let bytes = std::fs::read(&cwasm).ok()?;
                let r = plugin_report(&admin, "cw-edge").await;
                (bytes != damaged && r["state"] == "running").then_some(())
            },
        )
        .await;
        let rewritten = std::fs::read_to_string(cwasm.with_extension("cwasm.sha256")).unwrap();
        assert_eq!(rewritten, recorded, "recompiled to the same code");

        // v0.2.0 watches a camera the hall does not have: it fails its
        // health check and the agent goes back to v0.1.0.
        let v2 = upload(&app, &admin, "0.2.0").await;
        admin
            .post(
                "/api/edge/deployments",
                json!({ "digest": v2, "agents": ["cw-edge"], "config": config(&["cam-1", "cam-9"]), "health_window_s": 6 }),
            )
            .await;
        let report = eventually(Duration::from_secs(60), "v0.2.0 rolled back", || async {
            let r = plugin_report(&admin, "cw-edge").await;
            (r["state"] == "rolled-back").then_some(r)
        })
        .await;
        assert_eq!(report["version"], "0.2.0");
        assert_eq!(report["running_version"], "0.1.0");
        assert!(
            report["error"].as_str().unwrap().contains("cam-9"),
            "{report}"
        );

        // The host hands out other bytes than the digest it dispatched (a
        // tampered or corrupted store): the agent checks and refuses them.
        let v3 = upload(&app, &admin, "0.3.0").await;
        sqlx::query("UPDATE edge_artefacts SET blob = (SELECT blob FROM edge_artefacts WHERE digest = $1) WHERE digest = $2")
            .bind(v2.as_str())
            .bind(v3.as_str())
            .execute(app.host.state.store.pool())
            .await
            .unwrap();
        admin
            .post(
                "/api/edge/deployments",
                json!({ "digest": v3, "agents": ["cw-edge"], "config": config(&["cam-1"]) }),
            )
            .await;
        let report = eventually(
            Duration::from_secs(60),
            "the altered v0.3.0 refused",
            || async {
                let r = plugin_report(&admin, "cw-edge").await;
                (r["version"] == "0.3.0" && r["state"] == "failed").then_some(r)
            },
        )
        .await;
        assert_eq!(report["running_version"], "0.1.0", "{report}");

        // Operator rollback: back to the previous desired version, pinned.
        let rb = admin
            .post(
                "/api/edge/agents/cw-edge/plugins/camera-watch/rollback",
                json!({}),
            )
            .await;
        assert_eq!(rb.status, 200, "{}", rb.json());
        assert_eq!(rb.json()["pinned"], true);
        let pinned = admin
            .post(
                "/api/edge/deployments",
                json!({ "digest": v1, "agents": ["cw-edge"], "config": config(&["cam-1"]) }),
            )
            .await;
        assert_eq!(pinned.json()["skipped_pinned"], json!(["cw-edge"]));

        // The same through the operator CLI: unpin, then the deployment applies.
        let config_path = app.db.dir.path().join("bantong.toml");
        std::fs::write(&config_path, toml::to_string(&app.config).unwrap()).unwrap();
        let cli = |args: &[&str]| {
            let mut argv = vec!["bantong", "--config", config_path.to_str().unwrap(), "edge"];
            argv.extend_from_slice(args);
            bantong_host::cli::Cli::parse_from(argv)
        };
        bantong_host::cli::run(cli(&[
            "unpin",
            "--agent",
            "cw-edge",
            "--plugin",
            "camera-watch",
        ]))
        .await
        .unwrap();
        let again = admin
            .post(
                "/api/edge/deployments",
                json!({ "digest": v1, "agents": ["cw-edge"], "config": config(&["cam-1"]) }),
            )
            .await;
        assert_eq!(again.json()["deployed"], json!(["cw-edge"]));
        bantong_host::cli::run(cli(&[
            "rollback",
            "--agent",
            "cw-edge",
            "--plugin",
            "camera-watch",
        ]))
        .await
        .unwrap();
        let desired = admin.get("/api/edge/agents/cw-edge/desired").await.json();
        assert_ne!(
            desired["plugins"][0]["digest"],
            json!(v1),
            "the CLI rollback changed the desired version"
        );
        agent.kill9();
        host.stop().await;
    }
}
