//! Hall events reach module plugins: a real agent process with a simulated
//! 好差评 keypad runs the `rating` edge plugin; a citizen's rating becomes
//! the hall event `hall.haocha.rating` in the host's outbox, delivered to
//! the module plugin that subscribed to it (the fixture, granted
//! `events-subscribe` by policy), exactly once per rating — across an
//! agent restart and a broker restart — on SQLite with the embedded broker
//! and on PostgreSQL with Mosquitto. A plugin without the grant gets
//! nothing.

use std::time::Duration;

use bantong_host::workers::deliver_once;
use bantong_tests::app::{Client, TestApp};
use bantong_tests::db::{Backend, backends};
use bantong_tests::edge::{
    AgentProcess, BrokerKind, Installation, RunningHost, deploy_edge_plugin, eventually,
    issue_token,
};
use serde_json::{Value, json};
use sqlx::Row;

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");
const EDGE: &str = "bailou-keypads";

async fn command(admin: &Client, plugin: Option<&str>, name: &str, args: Value) -> Value {
    let reply = bantong_tests::edge::agent_command(admin, EDGE, plugin, name, args).await;
    assert_eq!(reply["ok"], true, "{name}: {reply}");
    reply["result"].clone()
}

/// The window-3 keypad is armed for a served ticket, and the citizen
/// presses `key`.
async fn rate(admin: &Client, ticket: &str, key: u8) {
    command(
        admin,
        Some("rating"),
        "prompt",
        json!({ "window": 3, "context": { "ticket": ticket, "item": "health" } }),
    )
    .await;
    eventually(Duration::from_secs(10), "keypad-3 armed", || async {
        let s = command(
            admin,
            None,
            "device.status",
            json!({ "device": "keypad-3" }),
        )
        .await;
        (s["status"]["state"]["armed"] == true).then_some(())
    })
    .await;
    command(
        admin,
        None,
        "device.simulate",
        json!({ "device": "keypad-3", "input": { "key": key } }),
    )
    .await;
}

/// What the fixture kept of hall events, by agent and sequence number.
async fn kept(app: &TestApp, plugin: &str) -> Vec<Value> {
    let rows = sqlx::query(
        "SELECT CAST(body AS TEXT) FROM documents WHERE plugin = $1 AND collection = 'hall_events' ORDER BY id",
    )
    .bind(plugin)
    .fetch_all(app.host.state.store.pool())
    .await
    .expect("documents");
    rows.iter()
        .map(|r| serde_json::from_str(&r.try_get::<String, _>(0).expect("body")).expect("json"))
        .collect()
}

async fn outbox_count(app: &TestApp, topic: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM events WHERE topic = $1")
        .bind(topic)
        .fetch_one(app.host.state.store.pool())
        .await
        .expect("count")
        .try_get(0)
        .expect("count")
}

/// Delivers the outbox until the fixture holds `n` hall events.
async fn until_kept(app: &TestApp, n: usize, what: &str) -> Vec<Value> {
    eventually(Duration::from_secs(60), what, || async {
        deliver_once(&app.host.state).await;
        let kept = kept(app, "fixture").await;
        (kept.len() >= n).then_some(kept)
    })
    .await
}

async fn ratings_reach_a_subscribed_plugin_once(backend: Backend) {
    let broker = BrokerKind::paired_with(backend);
    let Installation {
        app,
        host,
        admin,
        mut mosquitto,
    } = Installation::start(backend, broker, &["bailou"]).await;
    app.install_fixture("fixture").await;
    // The same code under another id, with no events-subscribe grant.
    app.install_fixture("fixture-b").await;
    let dir = app.db.dir.path().join("agent");
    let token = issue_token(&admin, "bailou", EDGE).await;
    let devices = r#"[{id = "keypad-3", class = "rating-keypad", simulated = true}]"#;
    let mut agent = AgentProcess::new(AGENT, dir.clone(), &host.url());
    agent.enrol(&token);
    agent.env("BANTONG_EDGE_DEVICES", devices);
    agent.run(0, 0);
    deploy_edge_plugin(
        &app,
        &admin,
        EDGE,
        "rating",
        json!({ "hall": "百楼镇行政综合服务中心", "keypads": { "keypad-3": { "window": 3 } } }),
    )
    .await;

    // 非常满意 for ticket A001.
    rate(&admin, "A001", 5).await;
    let first = until_kept(&app, 1, "the first rating at the plugin").await;
    let p = &first[0]["payload"];
    assert_eq!(first[0]["topic"], "hall.haocha.rating");
    assert_eq!(p["agent"], EDGE);
    assert_eq!(p["hall"], "bailou");
    assert_eq!(p["kind"], "haocha.rating");
    assert_eq!(p["v"], 1);
    assert_eq!(
        (p["data"]["ticket"].as_str(), p["data"]["score"].as_u64()),
        (Some("A001"), Some(5)),
        "{p}"
    );
    assert_eq!(p["data"]["prompted"], true);

    // The agent restarts (killed, not stopped) …
    agent.kill9();
    let mut agent = AgentProcess::new(AGENT, dir.clone(), &host.url());
    agent.env("BANTONG_EDGE_DEVICES", devices);
    agent.run(0, 0);
    // … and so does the broker: Mosquitto itself, or, with the embedded
    // broker, the host that runs it.
    let (host, admin) = match mosquitto.as_mut() {
        Some(m) => {
            m.kill();
            tokio::time::sleep(Duration::from_secs(2)).await;
            m.resume();
            (host, admin)
        }
        None => {
            let url = host.url();
            let token = admin.token.clone();
            host.stop().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            let restarted = TestApp::start(&app.config).await;
            let host = RunningHost::start(restarted.clone()).await;
            // The agent was told the old HTTP address; its MQTT link is what
            // carries events, so only commands need the new one.
            let _ = url;
            (host, restarted.client(token.as_deref()))
        }
    };
    // Back once the host hears a heartbeat sent after the restarts (an
    // `online` flag could still be the one from before them).
    let restarted_at = bantong_host::identity::now_ms();
    eventually(Duration::from_secs(60), "the agent back online", || async {
        let a = admin.get(&format!("/api/edge/agents/{EDGE}")).await.json();
        (a["online"] == true
            && a["last_seen"].as_i64().is_some_and(|t| t > restarted_at)
            && a["report"]["plugins"]
                .as_array()?
                .iter()
                .any(|p| p["id"] == "rating" && p["state"] == "running"))
        .then_some(())
    })
    .await;

    // 不满意 for ticket A002.
    rate(&admin, "A002", 2).await;
    let both = until_kept(&app, 2, "the second rating at the plugin").await;
    // Let any resend after the restarts arrive and be delivered.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        deliver_once(&app.host.state).await;
    }
    let both_again = kept(&app, "fixture").await;
    assert_eq!(both_again.len(), 2, "{both_again:?}");
    let tickets: Vec<&str> = both
        .iter()
        .filter_map(|k| k["payload"]["data"]["ticket"].as_str())
        .collect();
    assert_eq!(tickets, ["A001", "A002"], "{backend:?}");
    // One event in the outbox per rating; the plugin without the grant got none.
    assert_eq!(outbox_count(&app, "hall.haocha.rating").await, 2);
    assert!(kept(&app, "fixture-b").await.is_empty());
    let undelivered: i64 =
        sqlx::query("SELECT COUNT(*) FROM deliveries WHERE subscriber = 'fixture-b'")
            .fetch_one(app.host.state.store.pool())
            .await
            .expect("count")
            .try_get(0)
            .expect("count");
    assert_eq!(undelivered, 0, "nothing was queued for fixture-b");
    agent.kill9();
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keypad_rating_reaches_a_subscribed_module_plugin_once() {
    for backend in backends() {
        ratings_reach_a_subscribed_plugin_once(backend).await;
    }
}
