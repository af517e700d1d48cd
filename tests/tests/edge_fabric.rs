//! The edge fabric end to end: a host (SQLite or PostgreSQL), a broker (the
//! embedded one or a real Mosquitto), and edge agents as separate processes.

use std::time::Duration;

use bantong_fabric::msg::{EnrolRequest, EventBatch};
use bantong_fabric::topic::{self, Down, Up};
use bantong_tests::app::TestApp;
use bantong_tests::db::backends;
use bantong_tests::edge::{
    AgentProcess, BrokerKind, Installation, RunningHost, applied_seq, brokers, eventually,
    issue_token, stored_events,
};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeReasonCode};
use serde_json::json;

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrol_deliver_exactly_once_and_answer_commands() {
    for backend in backends() {
        for broker in brokers() {
            let Installation {
                app,
                host,
                admin,
                mosquitto: _mosquitto,
            } = Installation::start(backend, broker, &["hall-a"]).await;

            let token = issue_token(&admin, "hall-a", "hall-a-edge").await;
            let mut agent = AgentProcess::new(AGENT, app.db.dir.path().join("agent"), &host.url());
            agent.enrol(&token);
            // A token works once.
            let again = app.host.state.edge.enrol(EnrolRequest {
                token: token.clone(),
                version: "x".into(),
                hostname: String::new(),
            });
            assert!(
                again.await.is_err(),
                "{backend:?}/{broker:?}: a used token is refused"
            );

            agent.run(2_000, 0);
            eventually(Duration::from_secs(60), "2,000 events applied", || async {
                (applied_seq(&admin, "hall-a-edge").await == 2_000).then_some(())
            })
            .await;
            let events = stored_events(&app, "hall-a-edge").await;
            assert_eq!(events.len(), 2_000, "{backend:?}/{broker:?}");
            assert!(events.iter().all(|(seq, data)| data["n"] == json!(seq)));

            let listed = admin.get("/api/edge/agents").await.json();
            let me = &listed["items"][0];
            assert_eq!(me["id"], "hall-a-edge");
            assert_eq!(me["hall"], "hall-a");
            eventually(
                Duration::from_secs(10),
                "the agent online with a heartbeat",
                || async {
                    let a = admin.get("/api/edge/agents/hall-a-edge").await.json();
                    (a["online"] == true && a["heartbeat"]["outbox"]["acked"] == 2_000)
                        .then_some(())
                },
            )
            .await;

            let reply = admin
                .post(
                    "/api/edge/agents/hall-a-edge/commands",
                    json!({ "name": "ping" }),
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.json());
            assert_eq!(reply.json()["ok"], true);
            assert_eq!(reply.json()["result"]["agent"], "hall-a-edge");
            let unknown = admin
                .post(
                    "/api/edge/agents/hall-a-edge/commands",
                    json!({ "name": "reboot-now" }),
                )
                .await;
            assert_eq!(unknown.json()["ok"], false);

            // A graceful stop leaves a retained offline status.
            agent.kill9();
            host.stop().await;
        }
    }
}

async fn connect(
    port: u16,
    id: &str,
    user: &str,
    password: &str,
) -> (AsyncClient, rumqttc::EventLoop) {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_credentials(user, password)
        .set_keep_alive(Duration::from_secs(5));
    AsyncClient::new(o, 16)
}

/// Polls until a SUBACK arrives and returns its codes.
async fn suback(el: &mut rumqttc::EventLoop) -> Vec<SubscribeReasonCode> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), el.poll()).await {
            Ok(Ok(Event::Incoming(Packet::SubAck(s)))) => return s.return_codes,
            Ok(Ok(_)) => {}
            other => panic!("no SUBACK: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_cannot_touch_another_halls_topics() {
    for backend in backends() {
        for broker in brokers() {
            let Installation {
                app,
                host,
                admin,
                mosquitto: _mosquitto,
            } = Installation::start(backend, broker, &["hall-a", "hall-b"]).await;
            let edge = &app.host.state.edge;
            let mut creds = Vec::new();
            for (hall, agent) in [("hall-a", "a-edge"), ("hall-b", "b-edge")] {
                let token = issue_token(&admin, hall, agent).await;
                let id = edge
                    .enrol(EnrolRequest {
                        token,
                        version: "t".into(),
                        hostname: String::new(),
                    })
                    .await
                    .expect("enrol");
                creds.push(id);
            }
            let broker_port = creds[1].mqtt_port;
            let a = creds[0].agent_id.clone();
            let b = &creds[1];

            // Wrong password: refused at CONNECT.
            let (_c, mut el) = connect(broker_port, "b-edge", "b-edge", "wrong").await;
            let refused = tokio::time::timeout(Duration::from_secs(10), el.poll()).await;
            assert!(
                matches!(refused, Ok(Err(_))),
                "{broker:?}: bad password refused: {refused:?}"
            );

            let (client, mut el) = connect(broker_port, "b-edge", &b.username, &b.password).await;
            client
                .subscribe(topic::down(&a, Down::Command), QoS::AtLeastOnce)
                .await
                .expect("queue");
            assert_eq!(
                suback(&mut el).await,
                vec![SubscribeReasonCode::Failure],
                "{broker:?}: another agent's downlink"
            );
            client
                .subscribe(topic::host_filter(), QoS::AtLeastOnce)
                .await
                .expect("queue");
            assert_eq!(
                suback(&mut el).await,
                vec![SubscribeReasonCode::Failure],
                "{broker:?}: everyone's uplink"
            );
            client
                .subscribe(topic::down(&b.agent_id, Down::Ack), QoS::AtLeastOnce)
                .await
                .expect("queue");
            assert!(
                matches!(suback(&mut el).await[..], [SubscribeReasonCode::Success(_)]),
                "{broker:?}: its own downlink"
            );

            // A forged batch on hall A's uplink goes nowhere; its own arrives.
            let forged = EventBatch {
                events: vec![bantong_fabric::msg::Event {
                    seq: 1,
                    ts_ms: 0,
                    kind: "alert.forged".into(),
                    source: "agent".into(),
                    subject: None,
                    data: json!({}),
                    attachment: None,
                }],
            };
            client
                .publish(
                    topic::up(&a, Up::Events),
                    QoS::AtLeastOnce,
                    false,
                    bantong_fabric::encode(&forged),
                )
                .await
                .expect("queue");
            client
                .publish(
                    topic::up(&b.agent_id, Up::Events),
                    QoS::AtLeastOnce,
                    false,
                    bantong_fabric::encode(&forged),
                )
                .await
                .expect("queue");
            let link_errors = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let errors = link_errors.clone();
            let drive = tokio::spawn(async move {
                loop {
                    if el.poll().await.is_err() {
                        errors.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            });
            eventually(Duration::from_secs(10), "b's own event applied", || async {
                (applied_seq(&admin, "b-edge").await == 1).then_some(())
            })
            .await;
            assert_eq!(
                applied_seq(&admin, "a-edge").await,
                0,
                "{backend:?}/{broker:?}: forged event not applied"
            );
            let alerts = admin.get("/api/edge/alerts?hall=hall-a").await.json();
            assert_eq!(alerts["items"].as_array().map(Vec::len), Some(0));

            // Revoking b-edge closes its live connection, and it cannot
            // come back.
            use std::sync::atomic::Ordering::SeqCst;
            assert_eq!(link_errors.load(SeqCst), 0, "{broker:?}: link steady");
            let revoked = admin
                .post("/api/edge/agents/b-edge/revoke", json!({}))
                .await;
            assert!(revoked.status.is_success(), "{}", revoked.json());
            eventually(
                Duration::from_secs(10),
                "the revoked agent's connection closed",
                || async { (link_errors.load(SeqCst) > 0).then_some(()) },
            )
            .await;
            let seen = link_errors.load(SeqCst);
            eventually(Duration::from_secs(10), "reconnection refused", || async {
                (link_errors.load(SeqCst) > seen + 1).then_some(())
            })
            .await;
            drive.abort();
            drop(client);
            host.stop().await;
        }
    }
}

/// The issue's durability scenario: 10,000 events while the broker is down
/// for 30 s, the agent is killed with SIGKILL mid-stream and the host
/// restarts; each event must arrive exactly once.
async fn survives_outage(backend: bantong_tests::db::Backend, broker: BrokerKind) {
    const TOTAL: u64 = 10_000;
    let Installation {
        app,
        host,
        admin,
        mut mosquitto,
    } = Installation::start(backend, broker, &["hall-a"]).await;
    let token = issue_token(&admin, "hall-a", "outage-edge").await;
    let mut agent = AgentProcess::new(AGENT, app.db.dir.path().join("agent"), &host.url());
    agent.enrol(&token);
    agent.run(TOTAL, 250);
    eventually(
        Duration::from_secs(60),
        "the first 1,000 events",
        || async { (applied_seq(&admin, "outage-edge").await >= 1_000).then_some(()) },
    )
    .await;

    // Broker down for 30 s. With the embedded broker that is the host's
    // fabric going away; with Mosquitto the host restarts too, meanwhile.
    let http = host.url();
    if let Some(m) = mosquitto.as_mut() {
        m.kill();
    }
    host.stop().await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    agent.kill9();
    let before_restart = applied_seq(&admin, "outage-edge").await;
    assert!(
        before_restart < TOTAL as i64,
        "the outage happened mid-stream"
    );
    let mut agent = AgentProcess::new(AGENT, app.db.dir.path().join("agent"), &http);
    agent.run(TOTAL, 250);
    tokio::time::sleep(Duration::from_secs(20)).await;
    if let Some(m) = mosquitto.as_mut() {
        m.resume();
    }
    let restarted = TestApp::start(&app.config).await;
    let host = RunningHost::start(restarted.clone()).await;
    let admin = restarted.client(admin.token.as_deref());
    eventually(Duration::from_secs(120), "all 10,000 events", || async {
        (applied_seq(&admin, "outage-edge").await == TOTAL as i64).then_some(())
    })
    .await;
    let events = stored_events(&app, "outage-edge").await;
    assert_eq!(
        events.len() as u64,
        TOTAL,
        "{backend:?}/{broker:?}: each event once"
    );
    for (i, (seq, data)) in events.iter().enumerate() {
        assert_eq!(*seq, i as i64 + 1);
        assert_eq!(
            data["n"],
            json!(seq),
            "event {seq} is the one the agent emitted"
        );
    }
    agent.kill9();
    host.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_survive_an_outage_embedded_sqlite() {
    survives_outage(bantong_tests::db::Backend::Sqlite, BrokerKind::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_events_survive_an_outage_mosquitto_postgres() {
    if bantong_tests::db::skip_pg() {
        return;
    }
    survives_outage(bantong_tests::db::Backend::Postgres, BrokerKind::Mosquitto).await;
}
