//! WIT 0.1.4 on SQLite and PostgreSQL.
//!
//! `modules`: one module reads another
//! module's `GET` routes marked `module-read`, when it declares the read and
//! the operator's policy grants the pair. The other module sees the caller
//! `module:<reader>` (role `module`, district-wide, no hall); its writes
//! during the read are refused; a read cannot read further modules; a module
//! that is not installed says so.
//!
//! `audit`: a plugin's notes join the call's audit record, committed with
//! its writes; a failed call records nothing; bad notes are refused.

use bantong_host::identity::{Principal, Role};
use bantong_tests::{TestApp, TestDb, db::backends};
use http::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_reads_another_modules_published_routes() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        app.install_fixture("fixture-b").await;
        let manager = app
            .host
            .client_as("wang-mgr", vec![Role::HallManager], &["bailou"], false)
            .await;
        let read = |plugin: &'static str, target: &'static str| {
            let manager = &manager;
            async move {
                let encoded: String = target
                    .bytes()
                    .map(|b| match b {
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect();
                manager
                    .get(&format!(
                        "/api/plugins/fixture/modules/{plugin}?target={encoded}"
                    ))
                    .await
            }
        };

        // fixture-b keeps a note in the hall bailou.
        let admin = app
            .host
            .client_as("admin", vec![Role::DistrictAdmin], &[], true)
            .await;
        let r = admin
            .post(
                "/api/plugins/fixture-b/notes?hall=bailou",
                json!({ "id": "n1", "title": "来自 B 的笔记" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{backend:?}: {}", r.json());

        // The other module sees the module, district-wide, with no hall.
        let r = read("fixture-b", "/shared/whoami").await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.json());
        assert_eq!(r.json()["installed"], json!("0.1.0"));
        assert_eq!(
            r.json()["body"],
            json!({
                "caller": {
                    "user_id": "module:fixture",
                    "username": "module:fixture",
                    "roles": ["module"],
                    "halls": [],
                    "district_wide": true,
                },
                "hall": null,
                "module": "fixture",
            }),
            "{backend:?}"
        );

        // It reads its own data, whichever hall it belongs to.
        let r = read("fixture-b", "/shared/notes/n1").await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.json());
        assert_eq!(r.json()["body"]["body"]["title"], json!("来自 B 的笔记"));
        assert_eq!(r.json()["body"]["hall"], json!("bailou"));
        // Its 404 reaches the reader as not found.
        let r = read("fixture-b", "/shared/notes/none").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend:?}: {}", r.json());

        // A write during a read is refused, and nothing is left behind.
        let r = read("fixture-b", "/shared/write").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend:?}: {}", r.json());
        assert!(message(&r.json()).contains("cannot write"), "{}", r.json());
        let r = admin.get("/api/plugins/fixture-b/notes/from-read").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend:?}: {}", r.json());

        // A read cannot read further, even where the pair is granted.
        let r = read("fixture-b", "/shared/nested").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend:?}: {}", r.json());
        assert!(
            message(&r.json()).contains("cannot itself read other modules"),
            "{}",
            r.json()
        );
        // ... while at the top level fixture-b reads fixture (granted).
        let r = manager
            .get("/api/plugins/fixture-b/modules/fixture?target=%2Fshared%2Fwhoami")
            .await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.json());
        assert_eq!(r.json()["body"]["module"], json!("fixture-b"));

        // Routes not marked module-read are closed, even to a granted reader.
        let r = read("fixture-b", "/notes").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend:?}: {}", r.json());
        assert!(
            message(&r.json()).contains("no module-read"),
            "{}",
            r.json()
        );
        // No such route; a malformed target.
        let r = read("fixture-b", "/nothing-here").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend:?}: {}", r.json());
        let r = read("fixture-b", "/shared/notes/%zz").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json());

        // Granted but not installed: none, and a read is not found.
        let r = manager.get("/api/plugins/fixture/modules/fixture-c").await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.json());
        assert_eq!(r.json(), json!({ "installed": null }));
        let r = read("fixture-c", "/shared/whoami").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend:?}: {}", r.json());
        assert!(message(&r.json()).contains("not installed"), "{}", r.json());

        // Declared but not granted (fixture-b → fixture-c), and not declared
        // (fixture → hotline): refused, the version not even told.
        let r = manager
            .get("/api/plugins/fixture-b/modules/fixture-c")
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend:?}: {}", r.json());
        let r = manager.get("/api/plugins/fixture/modules/hotline").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{backend:?}: {}", r.json());
        assert!(message(&r.json()).contains("module-reads"), "{}", r.json());

        // A disabled module is not installed as far as readers go.
        app.host
            .state
            .plugins
            .set_enabled("fixture-b", false, &Principal::system("test"))
            .await
            .expect("disable fixture-b");
        let r = manager.get("/api/plugins/fixture/modules/fixture-b").await;
        assert_eq!(r.json(), json!({ "installed": null }), "{backend:?}");
        let r = read("fixture-b", "/shared/whoami").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend:?}: {}", r.json());
    }
}

fn message(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugins_notes_join_the_calls_audit_record() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_fixture("fixture").await;
        let state = &app.host.state;
        let staff = app
            .host
            .client_as("li-staff", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        let noted = |action: &str| bantong_host::audit::AuditQuery {
            action: Some(action.into()),
            ..Default::default()
        };
        let detail = json!({ "report": "2026-11", "pdf": "ab".repeat(32) });
        let r = staff
            .post(
                "/api/plugins/fixture/audited?hall=bailou",
                json!({ "action": "report.issued", "detail": detail }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{backend:?}: {}", r.json());
        let rows = state
            .identity
            .audit()
            .query(&noted("plugin.post"))
            .await
            .expect("audit");
        assert_eq!(rows.len(), 1, "{backend:?}");
        assert_eq!(rows[0].target_id, "fixture/audited");
        assert_eq!(rows[0].hall.as_deref(), Some("bailou"));
        assert_eq!(
            rows[0].detail["notes"],
            json!([{ "action": "report.issued", "detail": detail }]),
            "{backend:?}"
        );

        // A call that fails after noting records nothing and stores nothing.
        let before = staff
            .get("/api/plugins/fixture/notes?hall=bailou")
            .await
            .json()["total"]
            .clone();
        let r = staff
            .post(
                "/api/plugins/fixture/audited?hall=bailou",
                json!({ "action": "report.issued", "detail": {}, "then_fail": true }),
            )
            .await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.json());
        // Bad notes: an action with capitals, a detail that is no object,
        // a detail over 4 KiB.
        for body in [
            json!({ "action": "Report.Issued", "detail": {} }),
            json!({ "action": "report.issued", "detail": [1, 2] }),
            json!({ "action": "report.issued", "detail": { "x": "x".repeat(5000) } }),
        ] {
            let r = staff
                .post("/api/plugins/fixture/audited?hall=bailou", body)
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.json());
        }
        let rows = state
            .identity
            .audit()
            .query(&noted("plugin.post"))
            .await
            .expect("audit");
        assert_eq!(
            rows.len(),
            1,
            "{backend:?}: only the first call is recorded"
        );
        let after = staff
            .get("/api/plugins/fixture/notes?hall=bailou")
            .await
            .json()["total"]
            .clone();
        assert_eq!(
            before, after,
            "{backend:?}: the refused calls stored nothing"
        );
        assert!(state.identity.audit().verify().await.expect("verify").ok);
    }
}
