//! The outbox delivers at least once: claim, nack, lease expiry, ack, and
//! deliveries that outlive the process that published them.

use std::collections::BTreeSet;
use std::time::Duration;

use bantong_store::{NewEvent, Store};
use serde_json::json;

use crate::both;
use crate::common::{Backend, TestDb};

both!(
    at_least_once,
    survives_reopening,
    released_leases_are_claimable,
    concurrent_claimers_never_share,
    ordered_by_seq
);

async fn publish(store: &Store, topic: &str, subscribers: &[&str]) -> String {
    let mut uow = store.begin();
    let subs: Vec<String> = subscribers.iter().map(|s| (*s).to_owned()).collect();
    let event = NewEvent {
        topic: topic.into(),
        source: "p".into(),
        hall: Some("h".into()),
        payload: json!({"topic": topic}),
    };
    let id = uow.publish(event, &subs).await.unwrap();
    uow.commit().await.unwrap();
    id
}

async fn at_least_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let id = publish(s, "t.one", &["alpha", "beta", "alpha"]).await;

    let lease = Duration::from_millis(400);
    let first = s.claim_deliveries("w1", 10, lease).await.unwrap();
    let subs: Vec<&str> = first.iter().map(|d| d.subscriber.as_str()).collect();
    assert_eq!(
        subs,
        vec!["alpha", "beta"],
        "one delivery per distinct subscriber"
    );
    assert!(first.iter().all(|d| d.attempts == 1 && d.event.id == id));
    assert_eq!(first[0].event.payload, json!({"topic": "t.one"}));
    assert_eq!(first[0].event.hall.as_deref(), Some("h"));
    assert!(
        s.claim_deliveries("w2", 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "leased deliveries are not claimable"
    );

    // A failed delivery comes back after its retry delay, counted.
    assert!(s.nack(&id, "alpha", "boom", Duration::ZERO).await.unwrap());
    let retry = s.claim_deliveries("w2", 10, lease).await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(
        (retry[0].subscriber.as_str(), retry[0].attempts),
        ("alpha", 2)
    );
    assert!(s.ack(&id, "alpha").await.unwrap());
    assert!(
        !s.ack(&id, "alpha").await.unwrap(),
        "acking twice is harmless"
    );
    assert!(
        !s.nack(&id, "alpha", "late", Duration::ZERO).await.unwrap(),
        "a delivered event stays delivered"
    );

    // beta's worker vanished: its lease expires and another worker gets it.
    assert!(
        s.claim_deliveries("w3", 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let again = s.claim_deliveries("w3", 10, lease).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(
        (again[0].subscriber.as_str(), again[0].attempts),
        ("beta", 2)
    );
    assert!(s.ack(&id, "beta").await.unwrap());
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    assert!(
        s.claim_deliveries("w3", 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "acked deliveries never return"
    );

    // A nack with a delay keeps the delivery back until then.
    let id2 = publish(s, "t.two", &["alpha"]).await;
    assert_eq!(s.claim_deliveries("w1", 10, lease).await.unwrap().len(), 1);
    s.nack(&id2, "alpha", "later", Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        s.claim_deliveries("w1", 10, lease)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(
        s.prune_events(i64::MAX).await.unwrap(),
        1,
        "only the fully delivered event is pruned"
    );
    assert!(s.event(&id).await.unwrap().is_none());
    assert!(s.event(&id2).await.unwrap().is_some());
}

async fn survives_reopening(backend: Backend) {
    let db = TestDb::new(backend).await;
    let id = publish(&db.store, "t.restart", &["sub"]).await;
    let lease = Duration::from_millis(500);
    assert_eq!(
        db.store
            .claim_deliveries("old-process", 10, lease)
            .await
            .unwrap()
            .len(),
        1
    );
    db.store.close().await;

    let store = db.open_again().await;
    assert!(
        store
            .claim_deliveries("new-process", 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "lease still held"
    );
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let claimed = store
        .claim_deliveries("new-process", 10, lease)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (claimed[0].event.id.as_str(), claimed[0].attempts),
        (id.as_str(), 2)
    );
    assert!(store.ack(&id, "sub").await.unwrap());
}

async fn released_leases_are_claimable(backend: Backend) {
    let db = TestDb::new(backend).await;
    publish(&db.store, "t.a", &["x", "y"]).await;
    let long = Duration::from_secs(3600);
    assert_eq!(
        db.store
            .claim_deliveries("leaving", 10, long)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        db.store
            .claim_deliveries("other", 10, long)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db.store.release_leases("leaving").await.unwrap(), 2);
    assert_eq!(
        db.store
            .claim_deliveries("other", 10, long)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn concurrent_claimers_never_share(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut expected = BTreeSet::new();
    for i in 0..20 {
        let id = publish(&db.store, &format!("t.{i}"), &["s1", "s2"]).await;
        expected.insert((id.clone(), "s1".to_owned()));
        expected.insert((id, "s2".to_owned()));
    }
    let other = db.open_again().await;
    let mut tasks = Vec::new();
    for w in 0..6 {
        let store = if w % 2 == 0 {
            db.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store
                    .claim_deliveries(&format!("w{w}"), 3, Duration::from_secs(600))
                    .await
                    .unwrap();
                if batch.is_empty() {
                    break;
                }
                mine.extend(batch.into_iter().map(|d| (d.event.id, d.subscriber)));
            }
            mine
        }));
    }
    let mut seen = BTreeSet::new();
    let mut count = 0;
    for t in tasks {
        for pair in t.await.unwrap() {
            count += 1;
            seen.insert(pair);
        }
    }
    assert_eq!(count, 40, "no delivery was claimed twice");
    assert_eq!(seen, expected);
}

async fn ordered_by_seq(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(publish(&db.store, &format!("t.{i}"), &["s"]).await);
    }
    let claimed = db
        .store
        .claim_deliveries("w", 3, Duration::from_secs(60))
        .await
        .unwrap();
    let got: Vec<&str> = claimed.iter().map(|d| d.event.id.as_str()).collect();
    assert_eq!(
        got,
        ids.iter().take(3).map(String::as_str).collect::<Vec<_>>()
    );
    assert!(claimed.windows(2).all(|w| w[0].event.seq < w[1].event.seq));
    let rest = db
        .store
        .claim_deliveries("w", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        rest.iter().map(|d| d.event.id.clone()).collect::<Vec<_>>(),
        ids[3..].to_vec()
    );
}
