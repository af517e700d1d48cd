//! The hash-chained audit log on SQLite and PostgreSQL: it verifies, it detects edited,
//! deleted and re-ordered rows, concurrent appends keep one chain, an entry written inside a
//! transaction commits or rolls back with it, and queries filter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod identity_support;

use bantong_host::audit::{ActorKind, Audit, AuditEntry, AuditError, AuditQuery, GENESIS_HASH};
use bantong_store::Store;
use serde_json::json;
use sqlx::Row;

use identity_support::both_databases;

both_databases!(
    chain_verifies,
    edited_row_is_detected,
    deleted_row_is_detected,
    reordered_rows_are_detected,
    concurrent_appends_keep_one_chain,
    entry_commits_and_rolls_back_with_its_transaction,
    query_filters,
    invalid_entries_are_rejected,
);

const T0: i64 = 1_767_225_600_000;

fn entry(i: i64) -> AuditEntry {
    AuditEntry::new(
        format!("user-{}", i % 3),
        ActorKind::User,
        if i % 2 == 0 {
            "thing.create"
        } else {
            "thing.update"
        },
        "thing",
        format!("thing-{i}"),
    )
    .at(T0 + i * 1000)
    .detail(json!({"i": i, "note": format!("工单 第{i}号"), "nested": {"b": 2, "a": [1, null]}}))
}

async fn append(audit: &Audit, n: i64) {
    for i in 1..=n {
        let seq = audit.record(&entry(i)).await.unwrap();
        assert_eq!(seq, i);
    }
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

async fn chain_verifies(store: Store) {
    let audit = Audit::new(store.clone());
    let empty = audit.verify().await.unwrap();
    assert!(empty.ok);
    assert_eq!(empty.rows, 0);
    assert_eq!(empty.head_seq, None);

    append(&audit, 5).await;
    let report = audit.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.rows, 5);
    assert_eq!(report.first_bad_seq, None);
    assert_eq!(report.head_seq, Some(5));

    let rows = audit
        .query(&AuditQuery {
            limit: Some(10),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].seq, 5, "newest first");
    assert_eq!(rows[4].prev_hash, GENESIS_HASH);
    for pair in rows.windows(2) {
        assert_eq!(
            pair[0].prev_hash, pair[1].hash,
            "each row links to the one before"
        );
    }
    assert_eq!(report.head_hash.as_deref(), Some(rows[0].hash.as_str()));
    assert_eq!(rows[0].detail["nested"]["a"], json!([1, null]));
    // The detail is stored as canonical JSON text.
    let stored: String = sqlx::query("SELECT detail FROM audit_log WHERE seq = 1")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("detail");
    assert_eq!(
        stored,
        r#"{"i":1,"nested":{"a":[1,null],"b":2},"note":"工单 第1号"}"#
    );
}

async fn edited_row_is_detected(store: Store) {
    let audit = Audit::new(store.clone());
    append(&audit, 4).await;
    assert!(audit.verify().await.unwrap().ok);

    exec(
        &store,
        r#"UPDATE audit_log SET detail = '{"i":2,"note":"nothing to see"}' WHERE seq = 2"#,
    )
    .await;
    let report = audit.verify().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(2));
    assert!(
        report.reason.as_deref().unwrap().contains("altered"),
        "{report:?}"
    );

    // Re-hashing the edited row alone does not help: the next row no longer links to it.
    exec(
        &store,
        &format!(
            "UPDATE audit_log SET hash = '{}' WHERE seq = 2",
            "ab".repeat(32)
        ),
    )
    .await;
    let report = audit.verify().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(2));

    // Other fields are covered too.
    exec(&store, "DELETE FROM audit_log").await;
    append(&audit, 3).await;
    exec(
        &store,
        "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3",
    )
    .await;
    assert_eq!(audit.verify().await.unwrap().first_bad_seq, Some(3));
    exec(
        &store,
        "UPDATE audit_log SET actor = 'user-0' WHERE seq = 3",
    )
    .await;
    assert!(
        audit.verify().await.unwrap().ok,
        "restoring the value restores the chain"
    );
    exec(&store, "UPDATE audit_log SET hall = 'bailou' WHERE seq = 1").await;
    assert_eq!(audit.verify().await.unwrap().first_bad_seq, Some(1));
}

async fn deleted_row_is_detected(store: Store) {
    let audit = Audit::new(store.clone());
    append(&audit, 5).await;
    exec(&store, "DELETE FROM audit_log WHERE seq = 3").await;
    let report = audit.verify().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(3));
    assert_eq!(report.rows, 3, "rows 1, 2 and 4 were read");
    assert!(
        report.reason.as_deref().unwrap().contains("missing"),
        "{report:?}"
    );

    // Deleting the first row breaks the chain at 1.
    exec(&store, "DELETE FROM audit_log WHERE seq = 1").await;
    assert_eq!(audit.verify().await.unwrap().first_bad_seq, Some(1));
}

async fn reordered_rows_are_detected(store: Store) {
    let audit = Audit::new(store.clone());
    append(&audit, 4).await;
    exec(&store, "UPDATE audit_log SET seq = 1000 WHERE seq = 2").await;
    exec(&store, "UPDATE audit_log SET seq = 2 WHERE seq = 3").await;
    exec(&store, "UPDATE audit_log SET seq = 3 WHERE seq = 1000").await;
    let report = audit.verify().await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_bad_seq, Some(2));

    // Moving a row's content to another seq (with its own prev_hash fixed up) still fails
    // on the hash, because the seq is hashed.
    exec(&store, "DELETE FROM audit_log").await;
    append(&audit, 2).await;
    exec(&store, "UPDATE audit_log SET seq = 3 WHERE seq = 2").await;
    let report = audit.verify().await.unwrap();
    assert_eq!(report.first_bad_seq, Some(2));
}

async fn concurrent_appends_keep_one_chain(store: Store) {
    const TASKS: i64 = 8;
    const PER_TASK: i64 = 25;
    let audit = Audit::new(store.clone());
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let audit = audit.clone();
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..PER_TASK {
                let e = entry(t * 100 + i).detail(json!({"task": t, "i": i}));
                // Half of the appends run inside a transaction the caller opened with a plain
                // BEGIN (deferred on SQLite), the rest through `record`.
                let seq = if i % 2 == 0 {
                    audit.record(&e).await.unwrap()
                } else {
                    let mut tx = store.pool().begin().await.unwrap();
                    let seq = audit.record_in(&mut tx, &e).await.unwrap();
                    tx.commit().await.unwrap();
                    seq
                };
                seqs.push(seq);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    all.sort_unstable();
    let expected: Vec<i64> = (1..=TASKS * PER_TASK).collect();
    assert_eq!(all, expected, "every append got its own seq, with no gap");
    let report = audit.verify().await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.rows, (TASKS * PER_TASK) as u64);
}

async fn entry_commits_and_rolls_back_with_its_transaction(store: Store) {
    let audit = Audit::new(store.clone());
    let count = |store: Store| async move {
        sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    };

    // A change and its audit row roll back together.
    let mut tx = audit.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO halls (id, code, name_zh, name_en, grade, created_at, updated_at) \
         VALUES ('bailou', '001', '百楼镇', 'Bailou', 'demonstration', 0, 0)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    audit.record_in(&mut tx, &entry(1)).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(count(store.clone()).await, 0);
    let halls = sqlx::query("SELECT id FROM halls")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(halls.is_empty());

    // ... and commit together, also in a transaction the caller opened with a plain BEGIN.
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query(
        "INSERT INTO halls (id, code, name_zh, name_en, grade, created_at, updated_at) \
         VALUES ('wuyao', '002', '五尧乡', 'Wuyao', 'standard', 0, 0)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    assert_eq!(audit.record_in(&mut tx, &entry(1)).await.unwrap(), 1);
    assert_eq!(audit.record_in(&mut tx, &entry(2)).await.unwrap(), 2);
    tx.commit().await.unwrap();
    assert_eq!(count(store.clone()).await, 2);
    assert!(audit.verify().await.unwrap().ok);
}

async fn query_filters(store: Store) {
    let audit = Audit::new(store.clone());
    append(&audit, 9).await;
    audit.record(&entry(10).hall("bailou")).await.unwrap();
    audit
        .record(
            &AuditEntry::new(
                "system:cli",
                ActorKind::System,
                "hall.create",
                "hall",
                "wuyao",
            )
            .hall("wuyao")
            .at(T0 + 20_000),
        )
        .await
        .unwrap();

    let q = |q: AuditQuery| {
        let audit = audit.clone();
        async move {
            audit
                .query(&q)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.seq)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        q(AuditQuery {
            actor: Some("user-1".into()),
            ..Default::default()
        })
        .await,
        vec![10, 7, 4, 1]
    );
    assert_eq!(
        q(AuditQuery {
            action: Some("thing.update".into()),
            ..Default::default()
        })
        .await,
        vec![9, 7, 5, 3, 1]
    );
    assert_eq!(
        q(AuditQuery {
            target_kind: Some("thing".into()),
            target_id: Some("thing-4".into()),
            ..Default::default()
        })
        .await,
        vec![4]
    );
    assert_eq!(
        q(AuditQuery {
            hall: Some("bailou".into()),
            ..Default::default()
        })
        .await,
        vec![10]
    );
    assert_eq!(
        q(AuditQuery {
            from: Some(T0 + 3000),
            to: Some(T0 + 6000),
            ..Default::default()
        })
        .await,
        vec![5, 4, 3]
    );
    assert_eq!(
        q(AuditQuery {
            limit: Some(3),
            offset: Some(2),
            ..Default::default()
        })
        .await,
        vec![9, 8, 7]
    );
    assert_eq!(
        q(AuditQuery {
            actor: Some("user-1".into()),
            action: Some("thing.create".into()),
            ..Default::default()
        })
        .await,
        vec![10, 4]
    );
    let system = audit
        .query(&AuditQuery {
            actor: Some("system:cli".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(system.len(), 1);
    assert_eq!(system[0].actor_kind, "system");
    assert_eq!(system[0].hall.as_deref(), Some("wuyao"));
    assert_eq!(system[0].detail, json!({}));
}

async fn invalid_entries_are_rejected(store: Store) {
    let audit = Audit::new(store.clone());
    let empty_action = AuditEntry::new("u", ActorKind::User, "", "thing", "1");
    assert!(matches!(
        audit.record(&empty_action).await,
        Err(AuditError::Invalid(_))
    ));
    let long_actor = AuditEntry::new("x".repeat(300), ActorKind::User, "a.b", "thing", "1");
    assert!(matches!(
        audit.record(&long_actor).await,
        Err(AuditError::Invalid(_))
    ));
    assert!(
        audit.verify().await.unwrap().rows == 0,
        "nothing was written"
    );
}
