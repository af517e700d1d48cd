//! A plugin compiled to wasm answers over HTTP; deadlines, memory caps,
//! traps and quarantine fail only the calls concerned; grants and hall scope
//! hold. Every test runs on SQLite and on PostgreSQL.

use bantong_host::identity::Role;
use bantong_tests::app::{TestApp, fixture_manifest, fixture_wasm, user_with_token};
use bantong_tests::db::{TestDb, backends};
use http::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_answers_over_http() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        let anon = app.host.client(None);
        let r = anon.get("/api/plugins/fixture/ping").await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {:?}", r.json());
        assert_eq!(r.json(), json!({ "pong": true }));
        assert!(r.headers.contains_key("x-request-id"));

        // Non-public routes need a caller.
        assert_eq!(
            anon.get("/api/plugins/fixture/whoami").await.status,
            StatusCode::UNAUTHORIZED
        );
        let token = user_with_token(
            &app.host.state,
            "staff1",
            vec![Role::WindowStaff],
            &["bailou"],
            false,
        )
        .await;
        let client = app.host.client(Some(&token));
        let who = client.get("/api/plugins/fixture/whoami").await.json();
        assert_eq!(who["username"], "staff1", "{who}");
        assert_eq!(who["halls"], json!(["bailou"]));
        assert!(
            who.get("password").is_none() && !who.to_string().contains("bt_"),
            "no credentials reach plugins"
        );

        // Unknown routes and plugins are JSON errors.
        let r = client.get("/api/plugins/fixture/nope").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.json()["error"]["code"], "not_found");
        assert_eq!(
            client.get("/api/plugins/ghost/ping").await.status,
            StatusCode::NOT_FOUND
        );
        let r = client
            .send("DELETE", "/api/plugins/fixture/ping", None)
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_loop_hits_deadline_while_other_plugin_keeps_answering() {
    for backend in backends() {
        let app = TestApp::with_config(TestDb::new(backend).await, |c| {
            c.runtime.quarantine_after = 100
        })
        .await;
        app.install_fixture("fixture").await;
        app.install_fixture("fixture-b").await;
        let client = app.host.client(None);
        let token = user_with_token(
            &app.host.state,
            "admin1",
            vec![Role::DistrictAdmin],
            &[],
            true,
        )
        .await;
        let authed = app.host.client(Some(&token));
        let looping = tokio::spawn({
            let authed = authed.clone();
            async move { authed.get("/api/plugins/fixture/loop").await }
        });
        // While the loop spins, the other plugin answers promptly.
        let mut answered = 0;
        for _ in 0..20 {
            let r = client.get("/api/plugins/fixture-b/ping").await;
            assert_eq!(r.status, StatusCode::OK);
            answered += 1;
        }
        let r = looping.await.unwrap();
        assert_eq!(r.status, StatusCode::GATEWAY_TIMEOUT, "{:?}", r.json());
        assert_eq!(r.json()["error"]["code"], "plugin_timeout");
        assert!(r.json()["error"]["request_id"].is_string());
        assert_eq!(answered, 20);
        // The looping plugin itself still serves other calls.
        assert_eq!(
            client.get("/api/plugins/fixture/ping").await.status,
            StatusCode::OK
        );
        let stats = app
            .host
            .state
            .plugins
            .index()
            .get("fixture")
            .unwrap()
            .slot
            .stats()
            .snapshot();
        assert_eq!(stats.timeouts, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runaway_allocation_is_stopped_at_the_cap_and_repeated_failure_quarantines() {
    for backend in backends() {
        let app = TestApp::with_config(TestDb::new(backend).await, |c| {
            c.runtime.quarantine_after = 3
        })
        .await;
        app.install_fixture("fixture").await;
        let token = user_with_token(
            &app.host.state,
            "admin1",
            vec![Role::DistrictAdmin],
            &[],
            true,
        )
        .await;
        let client = app.host.client(Some(&token));
        let r = client.get("/api/plugins/fixture/alloc").await;
        assert_eq!(
            r.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{:?}",
            r.json()
        );
        assert_eq!(r.json()["error"]["code"], "plugin_memory_limit");
        // A good call in between resets the failure streak.
        assert_eq!(
            client.get("/api/plugins/fixture/ping").await.status,
            StatusCode::OK
        );
        let r = client.get("/api/plugins/fixture/trap").await;
        assert_eq!(r.json()["error"]["code"], "plugin_trap");
        assert_eq!(
            client.get("/api/plugins/fixture/trap").await.json()["error"]["code"],
            "plugin_trap"
        );
        assert_eq!(
            client.get("/api/plugins/fixture/alloc").await.json()["error"]["code"],
            "plugin_memory_limit"
        );
        // Three consecutive faults: quarantined, shown as such, persisted.
        let r = client.get("/api/plugins/fixture/ping").await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.json()["error"]["code"], "plugin_quarantined");
        let listed = client.get("/api/admin/plugins").await.json();
        assert_eq!(listed["items"][0]["quarantined"], true, "{listed}");
        let record = app
            .host
            .state
            .store
            .registry()
            .get_plugin("fixture")
            .await
            .unwrap()
            .unwrap();
        assert!(record.quarantined_at.is_some());
        let metrics = String::from_utf8(client.get("/metrics").await.body).unwrap();
        assert!(
            metrics.contains("bantong_plugin_quarantined{plugin=\"fixture\"} 1"),
            "{metrics}"
        );
        // An operator lifts it by enabling the plugin again.
        let r = client
            .send("POST", "/api/admin/plugins/fixture/enable", None)
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.json());
        assert_eq!(
            client.get("/api/plugins/fixture/ping").await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_scoped_by_hall_and_foreign_reads_need_a_grant() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        let a = app
            .host
            .client_as("staff-a", vec![Role::WindowStaff], &["hall-a"], false)
            .await;
        let b = app
            .host
            .client_as("staff-b", vec![Role::WindowStaff], &["hall-b"], false)
            .await;
        let r = a
            .post(
                "/api/plugins/fixture/notes",
                json!({ "id": "n1", "title": "A 的记录", "status": "open", "amount": 5 }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        assert_eq!(r.json()["hall"], "hall-a");
        let r = b
            .post(
                "/api/plugins/fixture/notes",
                json!({ "id": "n2", "title": "B", "status": "open", "amount": 7 }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());

        let list_a = a.get("/api/plugins/fixture/notes").await.json();
        assert_eq!(list_a["total"], 1, "{list_a}");
        assert_eq!(list_a["items"][0]["id"], "n1");
        assert_eq!(
            b.get("/api/plugins/fixture/notes/n1").await.status,
            StatusCode::NOT_FOUND
        );
        // Asking for the other hall explicitly is refused before the plugin runs.
        assert_eq!(
            b.get("/api/plugins/fixture/notes?hall=hall-a").await.status,
            StatusCode::FORBIDDEN
        );

        // fixture declares storage-read of visitor-log/visits, but the policy does not grant it.
        let r = a
            .get("/api/plugins/fixture/foreign/visitor-log/visits")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json());
        assert!(
            r.json().to_string().contains("may not read"),
            "{}",
            r.json()
        );
        // Nor can it read what it never declared.
        let r = a.get("/api/plugins/fixture/foreign/fixture-b/notes").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_or_unsigned_artefacts_are_refused() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        let system = bantong_host::identity::Principal::system("test");
        let mut bytes = app.package(fixture_manifest("fixture"), fixture_wasm());
        // Flip one byte inside the component section.
        let at = bytes.len() - 100;
        bytes[at] ^= 0x01;
        let err = app
            .host
            .state
            .plugins
            .install(&bytes, &system)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("not trusted") || err.to_string().contains("malformed"),
            "{err}"
        );

        let unsigned = bantong_manifest::Package::new(fixture_manifest("fixture"), fixture_wasm())
            .unwrap()
            .encode();
        let err = app
            .host
            .state
            .plugins
            .install(&unsigned, &system)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not trusted"), "{err}");
        assert!(app.host.state.plugins.index().get("fixture").is_none());
        assert!(
            app.host
                .state
                .store
                .registry()
                .list_plugins()
                .await
                .unwrap()
                .is_empty(),
            "nothing changed"
        );

        // Signed by a key the host does not trust.
        let (other, _) = bantong_manifest::keygen();
        let mut p =
            bantong_manifest::Package::new(fixture_manifest("fixture"), fixture_wasm()).unwrap();
        p.sign(&other);
        assert!(
            app.host
                .state
                .plugins
                .install(&p.encode(), &system)
                .await
                .is_err()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_swaps_in_without_failing_calls_in_flight() {
    let app = TestApp::new(TestDb::new(bantong_tests::db::Backend::Sqlite).await).await;
    app.install_fixture("fixture").await;
    let client = app.host.client(None);
    let mut calls = Vec::new();
    for _ in 0..40 {
        let c = client.clone();
        calls.push(tokio::spawn(async move {
            c.get("/api/plugins/fixture/ping").await.status
        }));
    }
    let mut manifest = fixture_manifest("fixture");
    manifest.version = "0.2.0".parse().unwrap();
    let bytes = app.package(manifest, fixture_wasm());
    let report = app
        .host
        .state
        .plugins
        .install(&bytes, &bantong_host::identity::Principal::system("test"))
        .await
        .unwrap();
    assert_eq!(report.replaced.as_deref(), Some("0.1.0"));
    for c in calls {
        assert_eq!(c.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(
        app.host
            .state
            .plugins
            .index()
            .get("fixture")
            .unwrap()
            .current()
            .version(),
        "0.2.0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_granted_read_of_another_plugins_collection_works() {
    for backend in backends() {
        let app = TestApp::with_config(TestDb::new(backend).await, |c| {
            let policy = c.data_dir.join("policy-read.toml");
            let text = format!(
                "{}\n[plugins.visitor-log]\nallow = [\"storage\", \"config\", \"log\", \"clock\"]\n\n[[storage-read]]\nreader = \"fixture\"\ntarget = \"visitor-log/visits\"\n",
                bantong_tests::app::POLICY
            );
            std::fs::write(&policy, text).unwrap();
            c.policy_file = Some(policy);
        })
        .await;
        app.install_fixture("fixture").await;
        let manifest = std::fs::read_to_string(
            bantong_tests::app::repo_root().join("examples/vendor-visitor-log/manifest.toml"),
        )
        .unwrap();
        let wasm =
            std::fs::read(bantong_tests::app::wasm_dir().join("vendor_visitor_log.wasm")).unwrap();
        let bytes = app.package(bantong_manifest::Manifest::parse(&manifest).unwrap(), wasm);
        app.host
            .state
            .plugins
            .install(&bytes, &bantong_host::identity::Principal::system("test"))
            .await
            .unwrap();

        let staff = app
            .host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        let r = staff
            .post(
                "/api/plugins/visitor-log/visits",
                json!({ "name": "张三", "purpose": "咨询", "phone": "13800138000" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        let r = staff
            .get("/api/plugins/fixture/foreign/visitor-log/visits")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {:?}", r.json());
        assert_eq!(r.json()["total"], 1, "{}", r.json());
        // Still scoped by hall: another hall's staff sees nothing.
        let other = app
            .host
            .client_as("staff2", vec![Role::WindowStaff], &["wuyao"], false)
            .await;
        assert_eq!(
            other
                .get("/api/plugins/fixture/foreign/visitor-log/visits")
                .await
                .json()["total"],
            0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_host_picks_up_installs_disables_and_removals() {
    let app = TestApp::new(TestDb::new(bantong_tests::db::Backend::Sqlite).await).await;
    let other = TestApp::start(&app.config).await;
    app.install_fixture("fixture").await;
    assert!(other.state.plugins.index().get("fixture").is_none());
    assert_eq!(other.state.plugins.sync_from_registry().await.unwrap(), 1);
    assert_eq!(
        other
            .client(None)
            .get("/api/plugins/fixture/ping")
            .await
            .status,
        StatusCode::OK
    );

    let system = bantong_host::identity::Principal::system("test");
    app.host
        .state
        .plugins
        .set_enabled("fixture", false, &system)
        .await
        .unwrap();
    other.state.plugins.sync_from_registry().await.unwrap();
    assert_eq!(
        other
            .client(None)
            .get("/api/plugins/fixture/ping")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    app.host
        .state
        .plugins
        .remove("fixture", &system)
        .await
        .unwrap();
    other.state.plugins.sync_from_registry().await.unwrap();
    assert!(other.state.plugins.index().get("fixture").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_plugin_write_commits_with_its_audit_row() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        let state = &app.host.state;
        user_with_token(state, "staff1", vec![Role::WindowStaff], &["bailou"], false).await;
        let (session, _) = state
            .identity
            .login(
                "staff1",
                "Correct-Horse-Battery-9",
                bantong_host::identity::now_ms(),
            )
            .await
            .unwrap();
        let client = app.host.client(None);
        let req = http::Request::post("/api/plugins/fixture/notes")
            .header("cookie", format!("bt_session={}", session.cookie_secret))
            .header("x-csrf-token", &session.csrf_token)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({ "title": "审计", "status": "open", "amount": 1 }).to_string(),
            ))
            .unwrap();
        let r = client.raw(req).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        let q = bantong_host::audit::AuditQuery {
            action: Some("plugin.post".into()),
            ..Default::default()
        };
        let rows = state.identity.audit().query(&q).await.unwrap();
        assert_eq!(rows.len(), 1, "{backend:?}");
        assert_eq!(rows[0].target_id, "fixture/notes");
        assert_eq!(rows[0].hall.as_deref(), Some("bailou"));
        assert!(state.identity.audit().verify().await.unwrap().ok);
    }
}
