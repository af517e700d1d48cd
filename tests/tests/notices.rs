//! Notices to people through the WIT `notices` capability, on SQLite and
//! PostgreSQL, against a local SMS gateway this test runs (the documented
//! HTTP interface): a text message is sent after the call commits, retried
//! when the gateway is down (same idempotency key), failed when it refuses;
//! a portal notice reaches its recipient, who alone marks it read; a call
//! that fails sends nothing; bad recipients, a plugin over its per-minute
//! limit and a plugin without the grant are refused and queue nothing;
//! every message is audited with the number masked.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use bantong_host::identity::Role;
use bantong_host::notices::{Gateway, send_once};
use bantong_tests::{TestApp, TestDb, db::backends};
use serde_json::{Value, json};

/// What the gateway received: (idempotency key, authorization, body).
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// The local SMS gateway: the first request for 13812345678 finds it
/// down (503); 13900000000 is refused (400); anything else is accepted.
async fn gateway(
    State(seen): State<Seen>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut seen = seen.lock().unwrap();
    seen.push((
        header("idempotency-key"),
        header("authorization"),
        body.clone(),
    ));
    let to = body["to"].as_str().unwrap_or_default();
    let earlier = seen.iter().filter(|(_, _, b)| b["to"] == to).count();
    match to {
        "13812345678" if earlier == 1 => (StatusCode::SERVICE_UNAVAILABLE, "busy".into()),
        "13900000000" => (StatusCode::BAD_REQUEST, r#"{"error":"号码已停机"}"#.into()),
        _ => (
            StatusCode::OK,
            json!({ "msgid": format!("m-{}", seen.len()) }).to_string(),
        ),
    }
}

async fn start_gateway() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/sms", post(gateway))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/sms"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_notify_people_by_sms_and_in_the_portal() {
    for backend in backends() {
        let (url, seen) = start_gateway().await;
        let app = TestApp::with_config(TestDb::new(backend).await, |c| {
            c.notices.sms_gateway_url = url.clone();
            c.notices.sms_gateway_token = "test-token".into();
            c.notices.retry_base_ms = 50;
            c.notices.max_attempts = 3;
            c.notices.per_plugin_per_minute = 5;
        })
        .await;
        app.install_fixture("fixture").await;
        app.install_fixture("fixture-b").await;
        let host = &app.host;
        let staff = host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        let admin = host
            .client_as("admin1", vec![Role::DistrictAdmin], &[], true)
            .await;
        let other = host
            .client_as("staff2", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        let users = host.state.identity.list_users().await.expect("users");
        let admin_id = users
            .iter()
            .find(|u| u.username == "admin1")
            .expect("admin1")
            .id
            .clone();
        let notify = |body: Value| {
            let staff = staff.clone();
            async move { staff.post("/api/plugins/fixture/notify", body).await }
        };
        let queued = || async {
            admin.get("/api/admin/notices").await.json()["items"]
                .as_array()
                .expect("items")
                .clone()
        };

        // A text message and a portal notice, queued by the plugin.
        let sms = notify(json!({ "channel": "sms", "to": "13812345678",
                                 "text": "您反映的路灯问题已办结，请评价。", "topic": "hotline.callback" }))
        .await;
        assert_eq!(sms.status, StatusCode::ACCEPTED, "{}", sms.json());
        let sms_id = sms.json()["notice_id"].as_str().expect("id").to_owned();
        let portal = notify(json!({ "channel": "portal", "to": admin_id,
                                    "text": "百楼镇有2项整改即将到期。", "topic": "supervision.deadline" }))
        .await;
        assert_eq!(portal.status, StatusCode::ACCEPTED, "{}", portal.json());
        let refused = notify(json!({ "channel": "sms", "to": "13900000000",
                                     "text": "测试", "topic": "hotline.callback" }))
        .await;
        assert_eq!(refused.status, StatusCode::ACCEPTED);

        // Refused before anything is queued: a failing call, a bad number,
        // a bad topic, a plugin without the grant.
        let failed = notify(
            json!({ "channel": "sms", "to": "13812345678", "text": "不应发出",
                                    "topic": "hotline.callback", "then_fail": true }),
        )
        .await;
        assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
        for (body, status, why) in [
            (
                json!({ "channel": "sms", "to": "1381234567", "text": "x", "topic": "a.b" }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "手机号",
            ),
            (
                json!({ "channel": "sms", "to": "13812345678", "text": "x", "topic": "Bad Topic" }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "topic",
            ),
            (
                json!({ "channel": "sms", "to": "13812345678", "text": "长".repeat(501), "topic": "a.b" }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "500",
            ),
        ] {
            let r = notify(body).await;
            assert_eq!(r.status, status, "{}", r.json());
            assert!(r.json().to_string().contains(why), "{why}: {}", r.json());
        }
        let denied = staff
            .post(
                "/api/plugins/fixture-b/notify",
                json!({ "channel": "portal", "to": admin_id, "text": "x", "topic": "a.b" }),
            )
            .await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.json());
        assert_eq!(queued().await.len(), 3);

        // The per-minute limit: five per plugin; the sixth waits.
        for _ in 0..2 {
            let r = notify(json!({ "channel": "portal", "to": admin_id, "text": "提醒",
                                   "topic": "supervision.reminder" }))
            .await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.json());
        }
        let over = notify(json!({ "channel": "portal", "to": admin_id, "text": "提醒",
                                  "topic": "supervision.reminder" }))
        .await;
        assert_eq!(
            over.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            over.json()
        );
        assert_eq!(queued().await.len(), 5);

        // Nothing is sent by the call itself; the worker sends after commit.
        assert!(seen.lock().unwrap().is_empty());
        let gw = Gateway::new(app.config.notices.clone());
        bantong_tests::edge::eventually(
            std::time::Duration::from_secs(20),
            "every notice sent or failed",
            || async {
                send_once(&host.state, &gw).await;
                let items = queued().await;
                items
                    .iter()
                    .all(|n| n["state"] != "queued")
                    .then_some(items)
            },
        )
        .await;
        let items = queued().await;
        let state_of = |id: &str| {
            items
                .iter()
                .find(|n| n["id"] == id)
                .map(|n| (n["state"].clone(), n["attempts"].clone(), n["to"].clone()))
        };
        assert_eq!(
            state_of(&sms_id),
            Some((json!("sent"), json!(2), json!("138****5678"))),
            "{items:?}"
        );
        let refused_row = items
            .iter()
            .find(|n| n["to"] == "139****0000")
            .expect("the refused one");
        assert_eq!(refused_row["state"], "failed");
        assert!(
            refused_row["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("400")),
            "{refused_row}"
        );
        // The gateway saw the message twice (down, then up) under one key,
        // with the token and the district's signature; never the failed call's.
        {
            let seen = seen.lock().unwrap();
            let tries: Vec<&(String, String, Value)> = seen
                .iter()
                .filter(|(_, _, b)| b["to"] == "13812345678")
                .collect();
            assert_eq!(tries.len(), 2, "{seen:?}");
            assert_eq!(tries[0].0, sms_id);
            assert_eq!(tries[1].0, sms_id);
            assert_eq!(tries[0].1, "Bearer test-token");
            assert_eq!(
                tries[1].2["text"],
                "【莲池区政务服务】您反映的路灯问题已办结，请评价。"
            );
            assert!(
                seen.iter()
                    .all(|(_, _, b)| b["text"].as_str().is_some_and(|t| !t.contains("不应发出")))
            );
        }

        // The portal notices reach their recipient, who alone marks them read.
        let mine = admin.get("/api/notices").await.json();
        assert_eq!(mine["items"].as_array().expect("items").len(), 3, "{mine}");
        assert_eq!(mine["unread"], 3);
        let first = mine["items"][2]["id"].as_str().expect("id").to_owned();
        assert_eq!(mine["items"][2]["text"], "百楼镇有2项整改即将到期。");
        assert_eq!(
            other
                .post(&format!("/api/notices/{first}/read"), json!({}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            admin
                .post(&format!("/api/notices/{first}/read"), json!({}))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(admin.get("/api/notices").await.json()["unread"], 2);
        assert!(
            other.get("/api/notices").await.json()["items"]
                .as_array()
                .expect("items")
                .is_empty()
        );
        assert_eq!(
            staff.get("/api/admin/notices").await.status,
            StatusCode::FORBIDDEN
        );

        // Every message audited, the number masked.
        let audit = admin.get("/api/audit?target_kind=notice").await.json();
        let entries = audit
            .as_array()
            .or_else(|| audit["items"].as_array())
            .expect("entries")
            .clone();
        let sent = entries
            .iter()
            .filter(|e| e["action"] == "notice.sent")
            .count();
        let failed = entries
            .iter()
            .filter(|e| e["action"] == "notice.failed")
            .count();
        assert_eq!((sent, failed), (4, 1), "{audit}");
        let text = audit.to_string();
        assert!(
            text.contains("138****5678") && !text.contains("13812345678"),
            "{text}"
        );
        assert!(text.contains("plugin:fixture"), "{text}");
    }
}
