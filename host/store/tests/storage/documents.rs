//! Documents: versions, hall isolation, units of work and field validation.

use bantong_store::{CollectionSpec, Error, FieldType, NewEvent, Query, Scope, Selection, Write};
use serde_json::json;
use std::time::Duration;

use crate::both;
use crate::common::{Backend, TestDb};

both!(
    versions_and_conflicts,
    hall_isolation,
    rollback_discards_writes_and_events,
    invalid_names_change_nothing,
    ensure_collection_is_idempotent,
    reads_see_own_writes,
    concurrent_writers_all_commit_and_wait_their_turn
);

fn write(
    id: Option<&str>,
    hall: Option<&str>,
    body: serde_json::Value,
    expected: Option<u64>,
) -> Write {
    Write {
        id: id.map(str::to_owned),
        hall: hall.map(str::to_owned),
        body,
        expected_version: expected,
    }
}

async fn versions_and_conflicts(backend: Backend) {
    let db = TestDb::new(backend).await;
    let scope = Scope::all("acme.shop");
    let mut uow = db.store.begin();

    let doc = uow
        .put(
            &scope,
            "orders",
            write(None, Some("h1"), json!({"n": 1}), None),
        )
        .await
        .unwrap();
    assert_eq!(doc.version, 1);
    assert_eq!(
        uuid::Uuid::parse_str(&doc.id).unwrap().get_version_num(),
        7,
        "ids are UUIDv7"
    );
    let id = doc.id.clone();

    let again = uow
        .put(
            &scope,
            "orders",
            write(Some(&id), Some("h1"), json!({"n": 2}), Some(1)),
        )
        .await
        .unwrap();
    assert_eq!((again.version, again.created_at), (2, doc.created_at));
    assert!(again.updated_at >= doc.updated_at);

    for (expected, what) in [
        (Some(0), "must not exist"),
        (Some(1), "stale"),
        (Some(7), "future"),
    ] {
        let err = uow
            .put(
                &scope,
                "orders",
                write(Some(&id), Some("h1"), json!({"n": 9}), expected),
            )
            .await;
        assert!(matches!(err, Err(Error::Conflict(_))), "{what}: {err:?}");
    }
    let err = uow
        .put(
            &scope,
            "orders",
            write(Some("missing"), None, json!({}), Some(3)),
        )
        .await;
    assert!(matches!(err, Err(Error::Conflict(_))), "{err:?}");
    let created = uow
        .put(
            &scope,
            "orders",
            write(Some("fresh"), None, json!({}), Some(0)),
        )
        .await
        .unwrap();
    assert_eq!(created.version, 1);

    let err = uow
        .put(&scope, "orders", write(None, None, json!([1, 2]), None))
        .await;
    assert!(matches!(err, Err(Error::Invalid(_))), "{err:?}");

    let unconditional = uow
        .put(
            &scope,
            "orders",
            write(Some(&id), Some("h1"), json!({"n": 3}), None),
        )
        .await
        .unwrap();
    assert_eq!(unconditional.version, 3);

    assert!(matches!(
        uow.delete(&scope, "orders", &id, Some(2)).await,
        Err(Error::Conflict(_))
    ));
    assert!(uow.delete(&scope, "orders", &id, Some(3)).await.unwrap());
    assert!(!uow.delete(&scope, "orders", &id, None).await.unwrap());
    uow.commit().await.unwrap();

    let mut uow = db.store.begin();
    assert!(uow.get(&scope, "orders", &id).await.unwrap().is_none());
    let fresh = uow.get(&scope, "orders", "fresh").await.unwrap().unwrap();
    assert_eq!(fresh.body, json!({}));
    assert_eq!(fresh.hall, None);
}

async fn hall_isolation(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = Scope::halls("p", ["hall-a"]);
    let b = Scope::halls("p", ["hall-b"]);
    let district = Scope::all("p");

    let mut uow = db.store.begin();
    let doc_a = uow
        .put(
            &a,
            "c",
            write(Some("doc-a"), Some("hall-a"), json!({"v": "a"}), None),
        )
        .await
        .unwrap();
    uow.put(
        &district,
        "c",
        write(Some("doc-d"), None, json!({"v": "d"}), None),
    )
    .await
    .unwrap();
    uow.commit().await.unwrap();

    let mut uow = db.store.begin();
    // B cannot see A's document.
    assert!(uow.get(&b, "c", "doc-a").await.unwrap().is_none());
    // Everyone sees district-level data.
    assert!(uow.get(&b, "c", "doc-d").await.unwrap().is_some());
    assert!(uow.get(&a, "c", "doc-d").await.unwrap().is_some());
    // B cannot write into hall A, overwrite A's document or delete it.
    let denied = [
        uow.put(&b, "c", write(None, Some("hall-a"), json!({}), None))
            .await
            .err(),
        uow.put(
            &b,
            "c",
            write(Some("doc-a"), Some("hall-b"), json!({"v": "b"}), None),
        )
        .await
        .err(),
        uow.put(&a, "c", write(Some("doc-x"), None, json!({}), None))
            .await
            .err(),
        uow.put(
            &a,
            "c",
            write(Some("doc-d"), Some("hall-a"), json!({}), None),
        )
        .await
        .err(),
    ];
    for (i, err) in denied.into_iter().enumerate() {
        assert!(matches!(err, Some(Error::Denied(_))), "case {i}: {err:?}");
    }
    assert!(matches!(
        uow.delete(&b, "c", "doc-a", None).await,
        Err(Error::Denied(_))
    ));
    uow.commit().await.unwrap();

    let mut uow = db.store.begin();
    let still = uow.get(&district, "c", "doc-a").await.unwrap().unwrap();
    assert_eq!(still, doc_a, "denied writes changed nothing");
    assert!(uow.get(&district, "c", "doc-x").await.unwrap().is_none());

    let spec = CollectionSpec {
        name: "c".into(),
        ..CollectionSpec::default()
    };
    let q = Query {
        selection: Selection {
            collection: "c".into(),
            ..Selection::default()
        },
        ..Query::default()
    };
    let ids = |page: bantong_store::Page| page.items.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(uow.query(&b, "p", &spec, q.clone()).await.unwrap()),
        vec!["doc-d"]
    );
    assert_eq!(
        ids(uow.query(&a, "p", &spec, q.clone()).await.unwrap()),
        vec!["doc-a", "doc-d"]
    );
    // Another plugin's data is separate.
    let other = Scope::all("q");
    assert!(uow.get(&other, "c", "doc-a").await.unwrap().is_none());
    assert_eq!(uow.query(&other, "q", &spec, q).await.unwrap().total, 0);
}

async fn rollback_discards_writes_and_events(backend: Backend) {
    let db = TestDb::new(backend).await;
    let scope = Scope::all("p");
    let event = || NewEvent {
        topic: "p.thing".into(),
        source: "p".into(),
        hall: None,
        payload: json!({"x": 1}),
    };
    let subs = vec!["sub".to_owned()];

    {
        let mut uow = db.store.begin();
        uow.put(&scope, "c", write(Some("dropped"), None, json!({}), None))
            .await
            .unwrap();
        uow.publish(event(), &subs).await.unwrap();
        assert!(uow.has_writes());
        // dropped without commit
    }
    let mut uow = db.store.begin();
    uow.put(
        &scope,
        "c",
        write(Some("rolled-back"), None, json!({}), None),
    )
    .await
    .unwrap();
    uow.publish(event(), &subs).await.unwrap();
    uow.rollback().await.unwrap();

    let mut uow = db.store.begin();
    assert!(uow.get(&scope, "c", "dropped").await.unwrap().is_none());
    assert!(uow.get(&scope, "c", "rolled-back").await.unwrap().is_none());
    assert!(!uow.has_writes(), "reads do not open a transaction");
    drop(uow);
    let claimed = db
        .store
        .claim_deliveries("w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(claimed.is_empty(), "{claimed:?}");

    let mut uow = db.store.begin();
    uow.put(&scope, "c", write(Some("kept"), None, json!({}), None))
        .await
        .unwrap();
    let id = uow.publish(event(), &subs).await.unwrap();
    uow.commit().await.unwrap();
    let claimed = db
        .store
        .claim_deliveries("w", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].event.id, id);
    assert!(
        db.store
            .begin()
            .get(&scope, "c", "kept")
            .await
            .unwrap()
            .is_some()
    );
}

async fn index_count(db: &TestDb) -> i64 {
    let sql = match db.backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'"
        }
        Backend::Postgres => "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'documents'",
    };
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db.store.pool())
        .await
        .unwrap()
}

fn spec() -> CollectionSpec {
    CollectionSpec {
        name: "orders".into(),
        fields: [
            ("status".to_owned(), FieldType::String),
            ("total".to_owned(), FieldType::Number),
        ]
        .into_iter()
        .collect(),
        indexes: vec![
            vec!["status".into()],
            vec!["total".into(), "_updated".into()],
        ],
    }
}

async fn invalid_names_change_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let scope = Scope::all("p");
    let mut uow = db.store.begin();
    uow.put(
        &scope,
        "orders",
        write(Some("o1"), None, json!({"status": "new"}), None),
    )
    .await
    .unwrap();
    uow.commit().await.unwrap();
    let before = index_count(&db).await;

    for bad in ["Status", "a b", "x') OR 1=1 --", "_id", "a..b"] {
        let mut s = spec();
        s.fields.insert(bad.to_owned(), FieldType::String);
        let err = db.store.ensure_collection("p", &s).await.unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{bad}: {err:?}");
    }
    let mut s = spec();
    s.indexes.push(vec!["undeclared".into()]);
    let err = db.store.ensure_collection("p", &s).await.unwrap_err();
    assert!(err.to_string().contains("undeclared"), "{err}");
    assert!(matches!(
        db.store.ensure_collection("bad'plugin", &spec()).await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(index_count(&db).await, before, "no index was created");

    let mut uow = db.store.begin();
    let q = Query {
        selection: Selection {
            collection: "orders".into(),
            filters: vec![bantong_store::Filter {
                field: "secret".into(),
                op: bantong_store::Op::Eq,
                value: json!(1),
            }],
            halls: None,
        },
        ..Query::default()
    };
    let err = uow.query(&scope, "p", &spec(), q).await.unwrap_err();
    assert!(
        matches!(&err, Error::Invalid(m) if m.contains("secret")),
        "{err:?}"
    );
    assert!(matches!(
        uow.put(&scope, "Bad-Collection", write(None, None, json!({}), None))
            .await,
        Err(Error::Invalid(_))
    ));
    assert!(!uow.has_writes());
    let doc = uow.get(&scope, "orders", "o1").await.unwrap().unwrap();
    assert_eq!(doc.version, 1);
}

async fn ensure_collection_is_idempotent(backend: Backend) {
    let db = TestDb::new(backend).await;
    let before = index_count(&db).await;
    db.store
        .ensure_collection("acme.shop", &spec())
        .await
        .unwrap();
    db.store
        .ensure_collection("acme.shop", &spec())
        .await
        .unwrap();
    assert_eq!(index_count(&db).await, before + 2);
    // Two processes declaring the same collection at once both succeed.
    let second = db.open_again().await;
    let spec = spec();
    let (x, y) = tokio::join!(
        db.store.ensure_collection("other", &spec),
        second.ensure_collection("other", &spec)
    );
    x.unwrap();
    y.unwrap();
    assert_eq!(index_count(&db).await, before + 4, "indexes are per plugin");

    if backend == Backend::Sqlite {
        // The planner uses the partial expression index for a declared field.
        let scope = Scope::all("acme.shop");
        let mut uow = db.store.begin();
        for i in 0..50 {
            let body = json!({"status": if i % 10 == 0 { "new" } else { "done" }, "total": i});
            uow.put(&scope, "orders", write(None, None, body, None))
                .await
                .unwrap();
        }
        uow.commit().await.unwrap();
        sqlx::query("ANALYZE")
            .execute(db.store.pool())
            .await
            .unwrap();
        let rows = sqlx::query(
            "EXPLAIN QUERY PLAN SELECT id FROM documents WHERE plugin = 'acme.shop' AND collection = 'orders' \
             AND (CASE WHEN json_type(body, '$.status') = 'text' THEN body ->> '$.status' END) = 'new'",
        )
        .fetch_all(db.store.pool())
        .await
        .unwrap();
        let detail: Vec<String> = rows
            .iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
            .collect();
        assert!(
            detail
                .iter()
                .any(|d| d.contains("bt_doc_acme_shop_orders_")),
            "{detail:?}"
        );
    }
}

async fn reads_see_own_writes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let scope = Scope::all("p");
    let mut writer = db.store.begin();
    assert!(writer.get(&scope, "c", "x").await.unwrap().is_none());
    writer
        .put(&scope, "c", write(Some("x"), None, json!({"a": 1}), None))
        .await
        .unwrap();
    assert_eq!(
        writer.get(&scope, "c", "x").await.unwrap().unwrap().body,
        json!({"a": 1})
    );
    // Another unit of work does not see uncommitted data.
    let mut reader = db.store.begin();
    assert!(reader.get(&scope, "c", "x").await.unwrap().is_none());
    writer.commit().await.unwrap();
    assert!(reader.get(&scope, "c", "x").await.unwrap().is_some());
}

/// Many units of work writing at once all commit, none refused as busy;
/// on SQLite a second writer waits (it does not fail) while the first
/// holds its transaction open, and goes on the moment it commits.
async fn concurrent_writers_all_commit_and_wait_their_turn(backend: Backend) {
    let db = TestDb::new(backend).await;
    let scope = Scope::all("acme.shop");
    let mut first = db.store.begin();
    first
        .put(
            &scope,
            "orders",
            write(Some("first"), None, json!({"n": 0}), None),
        )
        .await
        .unwrap();
    let store = db.store.clone();
    let second = tokio::spawn(async move {
        let scope = Scope::all("acme.shop");
        let mut uow = store.begin();
        uow.put(
            &scope,
            "orders",
            write(Some("second"), None, json!({"n": 1}), None),
        )
        .await?;
        uow.commit().await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    if backend == Backend::Sqlite {
        assert!(
            !second.is_finished(),
            "the second writer waits for the first"
        );
    }
    first.commit().await.unwrap();
    second.await.unwrap().unwrap();
    let writers: Vec<_> = (0..64)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let scope = Scope::all("acme.shop");
                let mut uow = store.begin();
                let id = format!("w{i}");
                uow.put(
                    &scope,
                    "orders",
                    write(Some(&id), None, json!({"n": i}), None),
                )
                .await?;
                uow.commit().await
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap().unwrap();
    }
    let mut uow = db.store.begin();
    for id in ["first", "second", "w0", "w63"] {
        assert!(
            uow.get(&scope, "orders", id).await.unwrap().is_some(),
            "{id}"
        );
    }
}
