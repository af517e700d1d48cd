//! Schedules fire once per slot, even with several processes racing.

use bantong_store::Error;

use crate::both;
use crate::common::{Backend, TestDb};

both!(claim_fire_once_across_stores, finish_fire_records_outcome);

async fn claim_fire_once_across_stores(backend: Backend) {
    let db = TestDb::new(backend).await;
    let second = db.open_again().await;
    for slot in 0..5_i64 {
        let mut tasks = Vec::new();
        for w in 0..8 {
            let store = if w % 2 == 0 {
                db.store.clone()
            } else {
                second.clone()
            };
            tasks.push(tokio::spawn(async move {
                store
                    .claim_fire(
                        "p",
                        "nightly",
                        1_700_000_000_000 + slot * 60_000,
                        &format!("worker-{w}"),
                    )
                    .await
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            if let Some(id) = t.await.unwrap().unwrap() {
                winners.push(id);
            }
        }
        assert_eq!(winners.len(), 1, "slot {slot}: {winners:?}");
    }
    // Another schedule or plugin has its own slots.
    assert!(
        db.store
            .claim_fire("p", "hourly", 1_700_000_000_000, "w")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        db.store
            .claim_fire("q", "nightly", 1_700_000_000_000, "w")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        second
            .claim_fire("q", "nightly", 1_700_000_000_000, "w")
            .await
            .unwrap()
            .is_none()
    );
}

async fn finish_fire_records_outcome(backend: Backend) {
    let db = TestDb::new(backend).await;
    let ok = db
        .store
        .claim_fire("p", "s", 1, "w")
        .await
        .unwrap()
        .unwrap();
    let bad = db
        .store
        .claim_fire("p", "s", 2, "w")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        db.store.fire(&ok).await.unwrap().unwrap().ok,
        None,
        "running"
    );
    db.store.finish_fire(&ok, true, None).await.unwrap();
    db.store
        .finish_fire(&bad, false, Some("trap"))
        .await
        .unwrap();
    let fire = db.store.fire(&ok).await.unwrap().unwrap();
    assert_eq!(
        (fire.ok, fire.slot_ms, fire.schedule.as_str()),
        (Some(true), 1, "s")
    );
    assert!(fire.finished_at.is_some());
    let fire = db.store.fire(&bad).await.unwrap().unwrap();
    assert_eq!(
        (fire.ok, fire.error.as_deref()),
        (Some(false), Some("trap"))
    );
    assert!(matches!(
        db.store.finish_fire("nope", true, None).await,
        Err(Error::NotFound(_))
    ));
}
