//! Staged rollouts end to end (SQLite with the embedded broker, PostgreSQL
//! with Mosquitto): five simulated agents in one
//! `bantong-edge simulate --plugins` process each download, verify, run and
//! health-check what the host dispatches. A good version goes out wave by
//! wave (the canary alone first) and completes; a version that fails its
//! health check on the canary aborts the rollout, reverts the canary and
//! never reaches the other agents; an operator abort reverts what was
//! dispatched; malformed requests change nothing.

use std::time::Duration;

use bantong_tests::app::Client;
use bantong_tests::db::backends;
use bantong_tests::edge::{
    BrokerKind, Installation, Simulator, camera_watch_package, edge_package_edited, eventually,
    wait_online,
};
use serde_json::{Value, json};

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");
const AGENTS: usize = 5;

fn agent(i: usize) -> String {
    format!("ro-{i}")
}

/// A config the simulated agents (which have no cameras) pass: no camera
/// to watch. `bad` watches a camera that never delivers a frame, so the
/// health check fails after two seconds.
fn config(bad: bool) -> Value {
    if bad {
        json!({ "cameras": { "cam-9": { "regions": [] } }, "stale_camera_s": 2 })
    } else {
        json!({ "cameras": {}, "stale_camera_s": 2 })
    }
}

async fn rollout_until(admin: &Client, id: &str, state: &str) -> Value {
    eventually(
        Duration::from_secs(90),
        &format!("rollout {id} {state}"),
        || async {
            let r = admin.get(&format!("/api/edge/rollouts/{id}")).await.json();
            (r["state"] == state).then_some(r)
        },
    )
    .await
}

fn target_states(rollout: &Value) -> Vec<(String, i64, String)> {
    rollout["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["agent"].as_str().unwrap().to_owned(),
                t["wave"].as_i64().unwrap(),
                t["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn desired_digest(admin: &Client, agent: &str) -> Option<String> {
    let d = admin
        .get(&format!("/api/edge/agents/{agent}/desired"))
        .await
        .json();
    d["plugins"][0]["digest"].as_str().map(str::to_owned)
}

async fn rollout_count(admin: &Client) -> usize {
    admin
        .get("/api/edge/rollouts")
        .await
        .json()
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_complete_failures_abort_and_revert() {
    for backend in backends() {
        let broker = BrokerKind::paired_with(backend);
        let Installation {
            app,
            host,
            admin,
            mosquitto: _mosquitto,
        } = Installation::start(backend, broker, &["hall-a"]).await;
        let state = &app.host.state;
        let _sim = Simulator::start(
            AGENT,
            state,
            &host.url(),
            &app.db.dir.path().join("sim"),
            "hall-a",
            "ro",
            AGENTS,
        )
        .await;
        wait_online(state, AGENTS, Duration::from_secs(60)).await;
        let mut digests = Vec::new();
        for version in ["0.1.0", "0.2.0", "0.3.0"] {
            let up = admin
                .send_bytes(
                    "POST",
                    "/api/edge/artefacts",
                    camera_watch_package(&app.key, version, None),
                )
                .await;
            assert_eq!(up.status, 201, "{}", up.json());
            digests.push(up.json()["digest"].as_str().unwrap().to_owned());
        }
        let (v1, v2, v3) = (&digests[0], &digests[1], &digests[2]);
        // 0.4.0 asks for a stale-camera limit of at least 5 s: the agents'
        // current config (2 s) does not fit it.
        let up = admin
            .send_bytes(
                "POST",
                "/api/edge/artefacts",
                edge_package_edited(&app.key, "camera-watch", "0.4.0", None, |m| {
                    m.replacen(
                        r#""stale_camera_s": {"type": "integer", "minimum": 1,"#,
                        r#""stale_camera_s": {"type": "integer", "minimum": 5,"#,
                        1,
                    )
                }),
            )
            .await;
        assert_eq!(up.status, 201, "{}", up.json());
        let v4 = up.json()["digest"].as_str().unwrap().to_owned();

        // Bad requests are refused and store nothing.
        for (body, why) in [
            (json!({ "digest": v1 }), "no targets chosen"),
            (
                json!({ "digest": v1, "all": true, "halls": ["hall-a"] }),
                "two target choices",
            ),
            (
                json!({ "digest": v1, "agents": ["nobody"] }),
                "unknown agent",
            ),
            (
                json!({ "digest": v1, "all": true, "waves": [3, 1] }),
                "shrinking waves",
            ),
            (
                json!({ "digest": v1, "all": true, "abort_threshold": "150%" }),
                "threshold over 100%",
            ),
            (
                json!({ "digest": v1, "all": true, "config": { "stale_camera_s": 0 } }),
                "config outside the schema",
            ),
        ] {
            let r = admin.post("/api/edge/rollouts", body).await;
            assert!(
                r.status == 422 || r.status == 400,
                "{why}: {} {}",
                r.status,
                r.json()
            );
        }
        let unknown = admin
            .post(
                "/api/edge/rollouts",
                json!({ "digest": "sha256:00", "all": true }),
            )
            .await;
        assert_eq!(unknown.status, 404, "unknown artefact: {}", unknown.json());
        assert_eq!(rollout_count(&admin).await, 0, "nothing stored");

        // A good version: canary, then two, then the rest.
        let r = admin
            .post(
                "/api/edge/rollouts",
                json!({ "digest": v1, "all": true, "config": config(false),
                        "health_window_s": 1, "waves": [1, 3, "100%"] }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.json());
        let started = r.json();
        let id = started["id"].as_str().unwrap().to_owned();
        assert_eq!(started["targets_total"], AGENTS);
        assert_eq!(
            started["totals"],
            json!({ "dispatched": 1, "waiting": 4 }),
            "only the canary is dispatched at first"
        );
        let sizes: Vec<i64> = started["waves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["size"].as_i64().unwrap())
            .collect();
        assert_eq!(sizes, vec![1, 2, 2]);
        // A second rollout of the same plugin waits for this one.
        let busy = admin
            .post("/api/edge/rollouts", json!({ "digest": v2, "all": true }))
            .await;
        assert_eq!(busy.status, 409, "{}", busy.json());

        // On every snapshot: waves after the current one are untouched, and
        // waves before it have all succeeded.
        let done = eventually(Duration::from_secs(90), "rollout completed", || async {
            let r = admin.get(&format!("/api/edge/rollouts/{id}")).await.json();
            let current = r["current_wave"].as_i64().unwrap();
            for (name, wave, state) in target_states(&r) {
                if wave > current {
                    assert_eq!(state, "waiting", "{name} ahead of its wave: {r}");
                } else if wave < current {
                    assert_eq!(state, "succeeded", "{name} behind its wave: {r}");
                }
            }
            (r["state"] == "completed").then_some(r)
        })
        .await;
        assert_eq!(done["totals"], json!({ "succeeded": AGENTS }));
        assert_eq!(done["current_wave"], 2);
        for (i, (name, wave, _)) in target_states(&done).iter().enumerate() {
            assert_eq!(name, &agent(i));
            assert_eq!(*wave, [0, 1, 1, 2, 2][i]);
        }
        for i in 0..AGENTS {
            assert_eq!(
                desired_digest(&admin, &agent(i)).await.as_deref(),
                Some(v1.as_str())
            );
            let report = admin
                .get(&format!("/api/edge/agents/{}", agent(i)))
                .await
                .json();
            assert_eq!(
                report["report"]["plugins"][0]["state"], "running",
                "{report}"
            );
            assert_eq!(report["report"]["plugins"][0]["version"], "0.1.0");
        }

        // A version failing its health check: the canary fails, the rollout
        // aborts, the canary goes back to v1, nobody else ever gets v2.
        let r = admin
            .post(
                "/api/edge/rollouts",
                json!({ "digest": v2, "all": true, "config": config(true),
                        "health_window_s": 6 }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.json());
        let id2 = r.json()["id"].as_str().unwrap().to_owned();
        let aborted = rollout_until(&admin, &id2, "aborted").await;
        assert!(
            aborted["reason"]
                .as_str()
                .unwrap()
                .contains("abort threshold"),
            "{aborted}"
        );
        let states = target_states(&aborted);
        assert_eq!(states[0].2, "failed", "the canary failed: {aborted}");
        assert!(
            aborted["targets"][0]["error"]
                .as_str()
                .unwrap()
                .contains("cam-9"),
            "{aborted}"
        );
        assert!(states[1..].iter().all(|s| s.2 == "waiting"), "{aborted}");
        for i in 0..AGENTS {
            assert_eq!(
                desired_digest(&admin, &agent(i)).await.as_deref(),
                Some(v1.as_str()),
                "{} back on (or never left) v1",
                agent(i)
            );
        }
        eventually(Duration::from_secs(30), "canary runs v1 again", || async {
            let a = admin
                .get(&format!("/api/edge/agents/{}", agent(0)))
                .await
                .json();
            let p = &a["report"]["plugins"][0];
            (p["state"] == "rolled-back" && p["running_version"] == "0.1.0").then_some(())
        })
        .await;

        // An operator abort reverts what was dispatched. Without a config
        // in the request, each agent keeps its own (2 s, not the default 10).
        let r = admin
            .post(
                "/api/edge/rollouts",
                json!({ "digest": v3, "agents": [agent(1), agent(2)],
                        "health_window_s": 60, "waves": [1, "100%"] }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.json());
        let id3 = r.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(
            desired_digest(&admin, &agent(1)).await.as_deref(),
            Some(v3.as_str())
        );
        let desired = admin
            .get(&format!("/api/edge/agents/{}/desired", agent(1)))
            .await
            .json();
        assert_eq!(
            desired["plugins"][0]["config"]["stale_camera_s"], 2,
            "the agent's config was kept: {desired}"
        );
        let stop = admin
            .post(
                &format!("/api/edge/rollouts/{id3}/abort"),
                json!({ "reason": "wrong window layout" }),
            )
            .await;
        assert_eq!(stop.status, 200, "{}", stop.json());
        let stopped = stop.json();
        assert_eq!(stopped["state"], "aborted");
        assert!(
            stopped["reason"]
                .as_str()
                .unwrap()
                .contains("wrong window layout")
        );
        assert_eq!(stopped["totals"], json!({ "reverted": 1, "waiting": 1 }));
        assert_eq!(
            desired_digest(&admin, &agent(1)).await.as_deref(),
            Some(v1.as_str())
        );
        let again = admin
            .post(&format!("/api/edge/rollouts/{id3}/abort"), json!({}))
            .await;
        assert_eq!(again.status, 409, "an aborted rollout stays aborted");

        // A version whose schema refuses the agent's current config: the
        // target fails with the reason, nothing is dispatched, the rollout
        // aborts and the agent stays on v1 with its config.
        let r = admin
            .post(
                "/api/edge/rollouts",
                json!({ "digest": v4, "agents": [agent(3)], "health_window_s": 1 }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.json());
        let id4 = r.json()["id"].as_str().unwrap().to_owned();
        let refused = rollout_until(&admin, &id4, "aborted").await;
        let error = refused["targets"][0]["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("does not fit") && error.contains("stale_camera_s"),
            "{refused}"
        );
        assert_eq!(refused["totals"], json!({ "failed": 1 }));
        assert_eq!(
            desired_digest(&admin, &agent(3)).await.as_deref(),
            Some(v1.as_str())
        );
        assert_eq!(rollout_count(&admin).await, 4);

        // The audit log has the story.
        let audit = admin
            .get("/api/audit?target_kind=edge-rollout&limit=200")
            .await
            .json();
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("edge.rollout"))
            .collect();
        for action in [
            "edge.rollout.start",
            "edge.rollout.complete",
            "edge.rollout.abort",
            "edge.rollout.abort.request",
        ] {
            assert!(actions.contains(&action), "{action} in {actions:?}");
        }
        host.stop().await;
    }
}
