//! The host keeps running plugins built against an older, released version
//! of the WIT contract: `plugins/compat-010` is built with raw bindings of
//! the frozen `wit/released/0.1.0`, and the host (which binds the newest
//! version) installs it, routes requests to it, and serves its imports
//! (clock, storage) — on SQLite and PostgreSQL.

use bantong_host::identity::Role;
use bantong_tests::{TestApp, TestDb, db::backends};
use http::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_built_against_0_1_0_still_runs() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_from_repo(
            "plugins/compat-010/manifest.toml",
            "bantong_compat_010.wasm",
        )
        .await;
        let staff = app
            .host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        app.host
            .state
            .plugins
            .index()
            .set_plugin_clock(Some(1_790_000_000_000));
        let ping = staff.get("/api/plugins/compat-010/ping").await;
        assert_eq!(ping.status, StatusCode::OK, "{}", ping.json());
        assert_eq!(
            ping.json(),
            json!({ "pong": true, "wit": "0.1.0", "now": 1_790_000_000_000_i64 })
        );
        let note = staff
            .post(
                "/api/plugins/compat-010/notes",
                json!({ "text": "旧版插件" }),
            )
            .await;
        assert_eq!(note.status, StatusCode::CREATED, "{}", note.json());
        assert_eq!(note.json()["version"], 1);
        // The manifest says which contract it was built for.
        let plugins = app
            .host
            .state
            .plugins
            .index()
            .get("compat-010")
            .expect("installed");
        assert_eq!(plugins.current().meta().manifest.wit.to_string(), "0.1.0");
    }
}
