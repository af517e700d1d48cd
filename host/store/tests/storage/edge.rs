//! Edge events are applied exactly once per agent sequence number:
//! duplicates are skipped, a gap stops the prefix, unknown agents are
//! refused, alerts are stored and published — all in one transaction.

use std::time::Duration;

use bantong_store::{EdgeBatch, EdgeEventIn, Store};
use sqlx::Row;

use crate::both;
use crate::common::{Backend, TestDb};

both!(
    applies_each_sequence_number_once,
    hall_events_reach_their_subscribers_once,
    alerts_are_stored_and_published
);

async fn agent(store: &Store, id: &str, hall: &str) {
    sqlx::query(
        "INSERT INTO halls (id, code, name_zh, name_en, grade, created_at, updated_at) \
         VALUES ($1, $1, $1, $1, 'standard', 0, 0) ON CONFLICT DO NOTHING",
    )
    .bind(hall)
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO edge_agents (id, hall, secret_sha256, enrolled_at, enrolled_by) VALUES ($1, $2, 'x', 0, 'test')",
    )
    .bind(id)
    .bind(hall)
    .execute(store.pool())
    .await
    .unwrap();
}

fn event(seq: i64, kind: &str) -> EdgeEventIn {
    EdgeEventIn {
        seq,
        ts_ms: seq * 10,
        kind: kind.into(),
        source: "agent".into(),
        subject: Some("cam-1".into()),
        data: format!("{{\"n\":{seq}}}"),
        attachment: None,
    }
}

fn batch(agent: &str, seqs: std::ops::RangeInclusive<i64>) -> EdgeBatch {
    EdgeBatch {
        agent: agent.into(),
        events: seqs.map(|s| event(s, "test.tick")).collect(),
    }
}

async fn count(store: &Store, agent: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM edge_events WHERE agent_id = $1")
        .bind(agent)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn applies_each_sequence_number_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    agent(s, "a1", "h1").await;
    agent(s, "a2", "h2").await;

    let r = s
        .apply_edge_batches(vec![batch("a1", 1..=5), batch("a2", 1..=2)], &|_| {
            Vec::new()
        })
        .await
        .unwrap();
    assert_eq!((r[0].agent.as_str(), r[0].upto, r[0].applied), ("a1", 5, 5));
    assert_eq!((r[1].agent.as_str(), r[1].upto, r[1].applied), ("a2", 2, 2));

    // A resend overlapping what is applied, plus new events.
    let r = s
        .apply_edge_batches(vec![batch("a1", 3..=8)], &|_| Vec::new())
        .await
        .unwrap();
    assert_eq!(
        (r[0].upto, r[0].applied, r[0].duplicates, r[0].gap),
        (8, 3, 3, 0)
    );

    // A batch after a gap applies nothing and says so.
    let r = s
        .apply_edge_batches(vec![batch("a1", 10..=12)], &|_| Vec::new())
        .await
        .unwrap();
    assert_eq!((r[0].upto, r[0].applied, r[0].gap), (8, 0, 3));

    // Two batches of one agent in one call, out of order, fill the gap.
    let r = s
        .apply_edge_batches(vec![batch("a1", 10..=12), batch("a1", 9..=9)], &|_| {
            Vec::new()
        })
        .await
        .unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].upto, r[0].applied), (12, 4));
    assert_eq!(count(s, "a1").await, 12);

    // Unknown agents are refused and change nothing.
    let r = s
        .apply_edge_batches(vec![batch("ghost", 1..=3)], &|_| Vec::new())
        .await
        .unwrap();
    assert!(r[0].refused);
    assert_eq!(count(s, "ghost").await, 0);
}

async fn hall_events_reach_their_subscribers_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    agent(s, "a1", "h1").await;
    let mut b = batch("a1", 1..=4);
    b.events[0].kind = "haocha.rating".into();
    b.events[2].kind = "haocha.rating".into();
    b.events[3].kind = "queue.ticket".into();
    let subscribers = |topic: &str| match topic {
        "hall.haocha.rating" => vec!["supervision".to_owned(), "reporting".to_owned()],
        _ => Vec::new(),
    };
    s.apply_edge_batches(vec![b.clone()], &subscribers)
        .await
        .unwrap();
    // A resend of the whole batch (the agent restarted before the ack).
    s.apply_edge_batches(vec![b], &subscribers).await.unwrap();
    let mut deliveries = s
        .claim_deliveries("w", 100, Duration::from_secs(5))
        .await
        .unwrap();
    deliveries.sort_by_key(|d| (d.subscriber.clone(), d.event.payload["seq"].as_i64()));
    let seen: Vec<(String, i64)> = deliveries
        .iter()
        .map(|d| {
            (
                d.subscriber.clone(),
                d.event.payload["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("reporting".to_owned(), 1),
            ("reporting".to_owned(), 3),
            ("supervision".to_owned(), 1),
            ("supervision".to_owned(), 3)
        ]
    );
    let d = &deliveries[0];
    assert_eq!(d.event.topic, "hall.haocha.rating");
    assert_eq!(d.event.hall.as_deref(), Some("h1"));
    assert_eq!(d.event.source, "edge:a1");
    assert_eq!(d.event.payload["v"], 1);
    assert_eq!(d.event.payload["agent"], "a1");
    assert_eq!(d.event.payload["hall"], "h1");
    assert_eq!(d.event.payload["kind"], "haocha.rating");
    assert_eq!(d.event.payload["data"]["n"], 1);
}

async fn alerts_are_stored_and_published(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    agent(s, "a1", "h1").await;
    let mut b = batch("a1", 1..=3);
    b.events[1].kind = "alert.window-unattended".into();
    let watcher = |topic: &str| {
        if topic == "edge.alert" {
            vec!["watcher".to_owned()]
        } else {
            Vec::new()
        }
    };
    s.apply_edge_batches(vec![b.clone()], &watcher)
        .await
        .unwrap();
    // The same alert again (a resend) is neither stored nor published twice.
    s.apply_edge_batches(vec![b], &watcher).await.unwrap();
    let alerts: i64 = sqlx::query("SELECT COUNT(*) FROM edge_alerts WHERE hall = 'h1' AND seq = 2")
        .fetch_one(s.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(alerts, 1);
    let deliveries = s
        .claim_deliveries("w", 10, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d.subscriber, "watcher");
    assert_eq!(d.event.topic, "edge.alert");
    assert_eq!(d.event.hall.as_deref(), Some("h1"));
    assert_eq!(d.event.payload["kind"], "alert.window-unattended");
    assert_eq!(d.event.payload["data"]["n"], 2);
}
