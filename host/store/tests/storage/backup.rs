//! Backup and restore: round trips between every pair of dialects give the
//! same rows and blobs; restores refuse non-empty targets and bad archives.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

use bantong_store::{Error, NewEvent, PluginRecord, PluginVersion, Scope, Store, Write};
use serde_json::{Value, json};

use crate::blobs::{PDF, PNG};
use crate::both;
use crate::common::{Backend, TestDb, skip_pg};

both!(
    round_trip_to_both_dialects,
    restore_refuses_non_empty,
    restore_rejects_tampered_archive
);

/// Tables like the ones a later migration adds, to prove discovery is generic.
async fn create_extra_tables(db: &TestDb) {
    let bytes = match db.backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    for ddl in [
        "CREATE TABLE zz_extra_parent (id TEXT PRIMARY KEY, active BOOLEAN NOT NULL, score DOUBLE PRECISION, note TEXT)"
            .to_owned(),
        format!(
            "CREATE TABLE zz_extra_child (id BIGINT PRIMARY KEY, parent_id TEXT NOT NULL REFERENCES zz_extra_parent (id), raw {bytes})"
        ),
    ] {
        sqlx::query(&ddl).execute(db.store.pool()).await.unwrap();
    }
}

async fn populate(db: &TestDb) {
    let s = &db.store;
    create_extra_tables(db).await;
    let scope = Scope::all("acme.shop");
    let mut uow = s.begin();
    for i in 0..25 {
        let body = json!({
            "n": i, "price": f64::from(i) * 0.5, "name": format!("名前 {i} \"quoted\" \\ back"),
            "nested": {"list": [1, 2.5, null, true], "empty": {}}, "flag": i % 2 == 0,
        });
        let hall = (i % 3 != 0).then(|| format!("hall-{}", i % 3));
        uow.put(
            &scope,
            "orders",
            Write {
                id: Some(format!("o{i:02}")),
                hall,
                body,
                expected_version: None,
            },
        )
        .await
        .unwrap();
    }
    uow.put(
        &scope,
        "orders",
        Write {
            id: Some("o01".into()),
            hall: Some("hall-1".into()),
            body: json!({"n": 1, "v": 2}),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    let subs = vec!["s1".to_owned(), "s2".to_owned()];
    for i in 0..4 {
        let e = NewEvent {
            topic: format!("shop.t{i}"),
            source: "acme.shop".into(),
            hall: None,
            payload: json!({"i": i, "x": [1, {"y": null}]}),
        };
        uow.publish(e, &subs).await.unwrap();
    }
    uow.commit().await.unwrap();
    let claimed = s
        .claim_deliveries("w", 3, Duration::from_secs(600))
        .await
        .unwrap();
    s.ack(&claimed[0].event.id, &claimed[0].subscriber)
        .await
        .unwrap();
    s.nack(
        &claimed[1].event.id,
        &claimed[1].subscriber,
        "it's broken: \"quote\"",
        Duration::from_secs(5),
    )
    .await
    .unwrap();

    let fire = s
        .claim_fire("acme.shop", "nightly", 1_700_000_000_000, "w")
        .await
        .unwrap()
        .unwrap();
    s.finish_fire(&fire, false, Some("trap")).await.unwrap();
    s.claim_fire("acme.shop", "nightly", 1_700_000_060_000, "w")
        .await
        .unwrap()
        .unwrap();

    let png = s.put_blob(PNG, "image/png").await.unwrap();
    s.put_blob(PDF, "application/pdf").await.unwrap();
    let reg = s.registry();
    reg.upsert_plugin(&PluginRecord {
        id: "acme.shop".into(),
        active_version: None,
        enabled: true,
        quarantined_at: None,
        updated_at: 5,
    })
    .await
    .unwrap();
    reg.add_version(&PluginVersion {
        plugin_id: "acme.shop".into(),
        version: "1.0.0".into(),
        digest: "d".into(),
        manifest_toml: "id = \"acme.shop\"\n".into(),
        signature: None,
        key_id: Some("k1".into()),
        artefact_sha256: png.sha256,
        installed_at: 7,
        installed_by: "admin".into(),
    })
    .await
    .unwrap();
    reg.set_active_version("acme.shop", "1.0.0").await.unwrap();
    reg.set_config("acme.shop", Some("hall-1"), &json!({"a": [1, 2]}), "ops")
        .await
        .unwrap();

    for (id, active, score, note) in [
        ("p1", true, Some(2.5), Some("x")),
        ("p2", false, None, None),
    ] {
        sqlx::query(
            "INSERT INTO zz_extra_parent (id, active, score, note) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(active)
        .bind(score)
        .bind(note)
        .execute(s.pool())
        .await
        .unwrap();
    }
    for (id, parent, raw) in [
        (1_i64, "p1", Some(vec![0_u8, 1, 255])),
        (2, "p1", None),
        (3, "p2", Some(vec![])),
    ] {
        sqlx::query("INSERT INTO zz_extra_child (id, parent_id, raw) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(parent)
            .bind(raw)
            .execute(s.pool())
            .await
            .unwrap();
    }
}

/// Table name → rows, read back from an archive.
/// An archive's manifest, rows per table and blobs by hash.
type Archive = (
    Value,
    BTreeMap<String, Vec<Value>>,
    BTreeMap<String, Vec<u8>>,
);

fn read_archive(path: &Path) -> Archive {
    let mut ar = tar::Archive::new(std::fs::File::open(path).unwrap());
    let mut manifest = Value::Null;
    let mut tables = BTreeMap::new();
    let mut blobs = BTreeMap::new();
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "manifest.json" {
            manifest = serde_json::from_slice(&bytes).unwrap();
        } else if let Some(t) = name
            .strip_prefix("tables/")
            .and_then(|n| n.strip_suffix(".jsonl"))
        {
            let rows = String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            tables.insert(t.to_owned(), rows);
        } else if let Some(b) = name.strip_prefix("blobs/") {
            blobs.insert(b.replace('/', ""), bytes);
        } else {
            panic!("unexpected entry {name}");
        }
    }
    (manifest, tables, blobs)
}

async fn dump(store: &Store, dir: &Path, name: &str) -> Archive {
    let path = dir.join(name);
    store.backup(&path).await.unwrap();
    read_archive(&path)
}

/// Dialect-neutral form: JSON held as text is parsed, booleans become 0/1.
fn neutral(v: &Value) -> Value {
    match v {
        Value::Bool(b) => json!(i64::from(*b)),
        Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), neutral(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(neutral).collect()),
        other => other.clone(),
    }
}

fn neutral_tables(t: &BTreeMap<String, Vec<Value>>) -> BTreeMap<String, Vec<Value>> {
    t.iter()
        .map(|(k, rows)| {
            let mut rows: Vec<Value> = rows.iter().map(neutral).collect();
            rows.sort_by_key(|r| r.to_string());
            (k.clone(), rows)
        })
        .collect()
}

async fn round_trip_to_both_dialects(backend: Backend) {
    let source = TestDb::new(backend).await;
    populate(&source).await;
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("backup.tar");
    let manifest = source.store.backup(&archive).await.unwrap();
    assert!(
        matches!(source.store.backup(&archive).await, Err(Error::Conflict(_))),
        "never overwrites"
    );

    let order: Vec<&str> = manifest.tables.iter().map(|t| t.name.as_str()).collect();
    let pos = |n: &str| {
        order
            .iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("{n} missing from {order:?}"))
    };
    assert!(pos("events") < pos("deliveries"));
    assert!(pos("plugins") < pos("plugin_versions"));
    assert!(
        pos("zz_extra_parent") < pos("zz_extra_child"),
        "discovered tables are included in order"
    );
    assert!(!order.contains(&"_sqlx_migrations"));
    if order.contains(&"sessions") {
        // Identity tables from migration 0002 are picked up the same way.
        assert!(pos("users") < pos("sessions") && pos("users") < pos("api_tokens"));
        assert!(order.contains(&"halls") && order.contains(&"audit_log"));
    }
    assert!(manifest.migrations.contains(&1));
    assert_eq!(manifest.blobs, 2);

    let (_, src_tables, src_blobs) = read_archive(&archive);
    assert_eq!(src_tables["documents"].len(), 25);
    assert_eq!(src_tables["deliveries"].len(), 8);
    assert_eq!(
        src_tables["zz_extra_child"][0]["raw"],
        json!({"$hex": "0001ff"})
    );
    assert!(
        src_tables["events"][0]["seq"].is_i64(),
        "integers stay integers"
    );

    let mut targets = vec![Backend::Sqlite];
    if !skip_pg() {
        targets.push(Backend::Postgres);
    }
    for target_backend in targets {
        let target = TestDb::new(target_backend).await;
        create_extra_tables(&target).await;
        let restored = target.store.restore(&archive).await.unwrap();
        assert_eq!(restored.tables, manifest.tables);

        let (_, tables, blobs) = dump(
            &target.store,
            work.path(),
            &format!("again-{target_backend:?}.tar"),
        )
        .await;
        assert_eq!(blobs, src_blobs, "{backend:?} -> {target_backend:?}: blobs");
        if target_backend == backend {
            assert_eq!(
                tables, src_tables,
                "{backend:?} -> {target_backend:?}: identical rows"
            );
        } else {
            assert_eq!(
                neutral_tables(&tables),
                neutral_tables(&src_tables),
                "{backend:?} -> {target_backend:?}"
            );
        }
        for sha in src_blobs.keys() {
            assert!(target.store.get_blob(sha).await.unwrap().is_some());
        }

        // The restored installation works: documents, outbox, sequences.
        let scope = Scope::all("acme.shop");
        let mut uow = target.store.begin();
        let doc = uow.get(&scope, "orders", "o01").await.unwrap().unwrap();
        assert_eq!(
            (doc.version, doc.body.clone()),
            (2, json!({"n": 1, "v": 2}))
        );
        let e = NewEvent {
            topic: "after".into(),
            source: "host".into(),
            hall: None,
            payload: json!({}),
        };
        let id = uow.publish(e, &["s1".to_owned()]).await.unwrap();
        uow.commit().await.unwrap();
        let event = target.store.event(&id).await.unwrap().unwrap();
        let max_seq = src_tables["events"]
            .iter()
            .filter_map(|r| r["seq"].as_i64())
            .max()
            .unwrap();
        assert!(
            event.seq > max_seq,
            "sequence continues after restored rows"
        );
        let claimable = target
            .store
            .claim_deliveries("w2", 100, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(claimable.iter().any(|d| d.event.id == id));
        assert!(
            target
                .store
                .claim_fire("acme.shop", "nightly", 1_700_000_000_000, "w")
                .await
                .unwrap()
                .is_none()
        );
        let p = target
            .store
            .registry()
            .get_plugin("acme.shop")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.enabled, p.active_version.as_deref()),
            (true, Some("1.0.0"))
        );
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

async fn restore_refuses_non_empty(backend: Backend) {
    let source = TestDb::new(Backend::Sqlite).await;
    source.store.put_blob(PNG, "image/png").await.unwrap();
    let mut uow = source.store.begin();
    uow.put(
        &Scope::all("p"),
        "c",
        Write {
            id: Some("x".into()),
            hall: None,
            body: json!({}),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    uow.commit().await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("b.tar");
    source.store.backup(&archive).await.unwrap();

    let target = TestDb::new(backend).await;
    let mut uow = target.store.begin();
    uow.put(
        &Scope::all("p"),
        "c",
        Write {
            id: Some("mine".into()),
            hall: None,
            body: json!({}),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    uow.commit().await.unwrap();
    let err = target.store.restore(&archive).await.unwrap_err();
    assert!(
        matches!(&err, Error::Conflict(m) if m.contains("documents")),
        "{err:?}"
    );
    assert_eq!(count(&target.store, "documents").await, 1);
    assert_eq!(count(&target.store, "blobs").await, 0);
    let blob_files = walk(&target.blob_dir());
    assert!(blob_files.is_empty(), "no blob was copied: {blob_files:?}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// Copies an archive, changing the bytes of every blob entry.
fn tamper(src: &Path, dest: &Path) {
    let mut ar = tar::Archive::new(std::fs::File::open(src).unwrap());
    let mut out = tar::Builder::new(std::fs::File::create(dest).unwrap());
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name.starts_with("blobs/") {
            bytes[0] ^= 0xFF;
        }
        let mut header = entry.header().clone();
        header.set_size(bytes.len() as u64);
        header.set_cksum();
        out.append_data(&mut header, &name, bytes.as_slice())
            .unwrap();
    }
    out.finish().unwrap();
}

async fn restore_rejects_tampered_archive(backend: Backend) {
    let source = TestDb::new(Backend::Sqlite).await;
    source.store.put_blob(PNG, "image/png").await.unwrap();
    let mut uow = source.store.begin();
    uow.put(
        &Scope::all("p"),
        "c",
        Write {
            id: Some("x".into()),
            hall: None,
            body: json!({}),
            expected_version: None,
        },
    )
    .await
    .unwrap();
    uow.commit().await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("b.tar");
    source.store.backup(&archive).await.unwrap();
    let bad = work.path().join("bad.tar");
    tamper(&archive, &bad);

    let target = TestDb::new(backend).await;
    let err = target.store.restore(&bad).await.unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err:?}");
    assert_eq!(count(&target.store, "documents").await, 0);
    assert!(matches!(
        target.store.restore(&work.path().join("missing.tar")).await,
        Err(Error::Io(_))
    ));
    // The untouched archive still restores.
    target.store.restore(&archive).await.unwrap();
    assert_eq!(count(&target.store, "documents").await, 1);
}
