//! Outbox delivery across a restart, schedules firing once across two host
//! processes, the audit chain, config validation, and backup/restore of a
//! whole installation. Every test runs on SQLite and on PostgreSQL.

use bantong_host::cli::{Cli, run};
use bantong_host::identity::Role;
use bantong_host::workers::{deliver_once, fire_due};
use bantong_store::Scope;
use bantong_tests::app::{TestApp, user_with_token};
use bantong_tests::db::{Backend, TestDb, backends};
use clap::Parser;
use http::StatusCode;
use serde_json::json;

fn cli(config: &std::path::Path, args: &[&str]) -> Cli {
    let mut argv = vec!["bantong", "--config", config.to_str().unwrap()];
    argv.extend_from_slice(args);
    Cli::parse_from(argv)
}

fn write_config(app: &TestApp) -> std::path::PathBuf {
    let path = app.db.dir.path().join("bantong.toml");
    std::fs::write(&path, toml::to_string(&app.config).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_event_is_delivered_after_a_host_restart() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        let token = user_with_token(
            &app.host.state,
            "admin1",
            vec![Role::DistrictAdmin],
            &[],
            true,
        )
        .await;
        let r = app
            .host
            .client(Some(&token))
            .post("/api/plugins/fixture/publish", json!({ "n": 1 }))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json());
        let event_id = r.json()["event_id"].as_str().unwrap().to_owned();

        // The first process stops before delivering; a new one starts.
        drop(app.host.state.clone());
        let host2 = TestApp::start(&app.config).await;
        assert!(deliver_once(&host2.state).await >= 1);
        let mut uow = host2.state.store.begin();
        let got = uow
            .get(&Scope::all("fixture"), "received", &event_id)
            .await
            .unwrap();
        assert!(
            got.is_some(),
            "{backend:?}: the event reached its subscriber"
        );
        // Delivered once: nothing left to deliver.
        assert_eq!(deliver_once(&host2.state).await, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_fires_once_with_two_hosts_sharing_the_database() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        let other = TestApp::start(&app.config).await;
        let now = bantong_host::identity::now_ms();
        let since = now - 3 * 60_000 - 1;
        let (a, b) = tokio::join!(
            fire_due(&app.host.state, since, now),
            fire_due(&other.state, since, now)
        );
        assert_eq!(
            a + b,
            3,
            "{backend:?}: three minute instants fired once in total ({a} + {b})"
        );
        let q = bantong_store::Query {
            selection: bantong_store::Selection {
                collection: "ticks".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let spec = bantong_store::CollectionSpec {
            name: "ticks".into(),
            ..Default::default()
        };
        let page = app
            .host
            .state
            .store
            .begin()
            .query(&Scope::all("fixture"), "fixture", &spec, q)
            .await
            .unwrap();
        assert_eq!(page.total, 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_fails_after_a_row_is_edited() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        let token = user_with_token(
            &app.host.state,
            "admin1",
            vec![Role::DistrictAdmin],
            &["bailou"],
            true,
        )
        .await;
        let client = app.host.client(Some(&token));
        let r = client.post("/api/halls", json!({ "id": "wuyao", "code": "WY", "name_zh": "五尧乡", "name_en": "Wuyao", "grade": "demonstration" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        let config = write_config(&app);
        run(cli(&config, &["audit", "verify"]))
            .await
            .expect("the untouched chain verifies");
        let report = client.get("/api/audit/verify").await.json();
        assert_eq!(report["ok"], true, "{report}");

        sqlx::query("UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = 2")
            .execute(app.host.state.store.pool())
            .await
            .unwrap();
        let err = run(cli(&config, &["audit", "verify"])).await.unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");
        let report = client.get("/api/audit/verify").await.json();
        assert_eq!(report["ok"], false);
        assert_eq!(report["first_bad_seq"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_hall_config_is_refused_with_the_field_named_in_chinese() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        let admin = app
            .host
            .client_as("admin1", vec![Role::DistrictAdmin], &["bailou"], true)
            .await;
        let r = admin
            .send(
                "PUT",
                "/api/admin/plugins/fixture/config?hall=bailou",
                Some(json!({ "max_notes": 5000 })),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json());
        let body = r.json();
        assert_eq!(body["error"]["code"], "config_invalid");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("max_notes"),
            "{body}"
        );
        assert_eq!(body["error"]["details"][0]["path"], "/max_notes");
        // Nothing changed.
        assert!(
            app.host
                .state
                .store
                .registry()
                .get_config("fixture", Some("bailou"))
                .await
                .unwrap()
                .is_none()
        );

        let r = admin
            .send(
                "PUT",
                "/api/admin/plugins/fixture/config?hall=bailou",
                Some(json!({ "greeting": "欢迎光临" })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
        let staff = app
            .host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        let cfg = staff.get("/api/plugins/fixture/config").await.json();
        assert_eq!(cfg, json!({ "greeting": "欢迎光临", "max_notes": 100 }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_restore_into_an_empty_installation_gives_back_data_and_blobs() {
    for target in backends() {
        let app = TestApp::new(TestDb::new(Backend::Sqlite).await).await;
        app.install_fixture("fixture").await;
        let state = &app.host.state;
        let staff = app
            .host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        for i in 0..5 {
            let r = staff.post("/api/plugins/fixture/notes", json!({ "id": format!("n{i}"), "title": format!("第{i}条"), "status": "open", "amount": i })).await;
            assert_eq!(r.status, StatusCode::CREATED);
        }
        let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[7u8; 1000][..]].concat();
        let blob = state.store.put_blob(&jpeg, "image/jpeg").await.unwrap();
        let archive = app.db.dir.path().join("backup.tar");
        run(cli(
            &write_config(&app),
            &["backup", archive.to_str().unwrap()],
        ))
        .await
        .expect("backup");

        // An empty installation, on SQLite or PostgreSQL.
        let fresh = TestApp::new(TestDb::new(target).await).await;
        run(cli(
            &write_config(&fresh),
            &["restore", archive.to_str().unwrap()],
        ))
        .await
        .expect("restore");
        // The new installation trusts the same signing keys as the old one.
        let mut config = fresh.config.clone();
        config.trusted_keys = app.config.trusted_keys.clone();
        let restored = TestApp::start(&config).await;
        let notes = restored
            .client(Some(
                &user_with_token(
                    &restored.state,
                    "staff2",
                    vec![Role::WindowStaff],
                    &["bailou"],
                    false,
                )
                .await,
            ))
            .get("/api/plugins/fixture/notes")
            .await
            .json();
        assert_eq!(notes["total"], 5, "{target:?}: {notes}");
        let (back, bytes) = restored
            .state
            .store
            .get_blob(&blob.sha256)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, blob);
        assert_eq!(bytes, jpeg);
        let report = restored.state.identity.audit().verify().await.unwrap();
        assert!(
            report.ok,
            "the audit chain survives the round trip: {report:?}"
        );
        assert!(
            restored
                .state
                .identity
                .get_user_by_username("staff1")
                .await
                .is_ok()
        );
    }
}
