//! The command dashboard's data and live feed, in-process, on SQLite and
//! PostgreSQL: each viewer sees only their halls; screens that see the same
//! halls share one poller, which publishes a change to all of them and
//! stops when the last screen closes.

use std::time::Duration;

use axum::body::Body;
use bantong_host::identity::Role;
use bantong_tests::db::backends;
use bantong_tests::edge::eventually;
use bantong_tests::{TestApp, TestDb};
use http::Request;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// An open `/api/portal/dashboard/stream` and what it has sent so far.
struct Screen {
    body: Body,
    buffer: String,
}

impl Screen {
    async fn open(client: &bantong_tests::app::Client) -> Screen {
        let token = client.token.clone().expect("a token");
        let req = Request::get("/api/portal/dashboard/stream")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let resp = client.router.clone().oneshot(req).await.expect("router");
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Screen {
            body: resp.into_body(),
            buffer: String::new(),
        }
    }

    /// The next `update` event's data, within `within`.
    async fn next_update(&mut self, within: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data: String = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                if event.lines().any(|l| l == "event: update") {
                    return serde_json::from_str(&data).expect("the update is JSON");
                }
                continue;
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .expect("an update in time")
                .expect("the stream is open")
                .expect("a frame");
            if let Ok(bytes) = frame.into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
}

fn hall_ids(update: &Value) -> Vec<String> {
    let mut ids: Vec<String> = update["halls"]
        .as_array()
        .expect("halls")
        .iter()
        .filter_map(|h| h["id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screens_see_their_halls_and_share_one_poller() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        let host = &app.host;
        let admin = host
            .client_as("admin1", vec![Role::DistrictAdmin], &["bailou"], true)
            .await;
        let staff = host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        host.client_as("staff2", vec![Role::WindowStaff], &["wuyao"], false)
            .await;

        // The snapshot, scoped.
        let all = admin.get("/api/portal/dashboard").await;
        assert_eq!(all.status, 200, "{:?}", all.json());
        assert_eq!(hall_ids(&all.json()), ["bailou", "wuyao"], "{backend:?}");
        let own = staff.get("/api/portal/dashboard").await.json();
        assert_eq!(hall_ids(&own), ["bailou"], "{backend:?}");
        assert_eq!(own["halls"][0]["name"]["zh"], "bailou大厅");
        assert_eq!(own["halls"][0]["agents"], 0);
        assert_eq!(own["alerts"], json!([]));

        // Two district screens and a hall screen: two scopes, two pollers.
        let mut wall_1 = Screen::open(&admin).await;
        let mut wall_2 = Screen::open(&admin).await;
        let mut hall = Screen::open(&staff).await;
        for screen in [&mut wall_1, &mut wall_2] {
            let first = screen.next_update(Duration::from_secs(10)).await;
            assert_eq!(hall_ids(&first), ["bailou", "wuyao"]);
        }
        let first = hall.next_update(Duration::from_secs(10)).await;
        assert_eq!(hall_ids(&first), ["bailou"]);
        assert_eq!(host.state.dashboards.running(), 2, "one poller per scope");

        // A change reaches both district screens; the hall's screen does
        // not see the new hall.
        let created = admin
            .post(
                "/api/halls",
                json!({ "id": "xinqiao", "code": "XQ", "name_zh": "新桥镇便民服务中心",
                        "name_en": "Xinqiao", "grade": "basic" }),
            )
            .await;
        assert_eq!(created.status, 201, "{:?}", created.json());
        for screen in [&mut wall_1, &mut wall_2] {
            let next = screen.next_update(Duration::from_secs(10)).await;
            assert_eq!(hall_ids(&next), ["bailou", "wuyao", "xinqiao"]);
        }
        assert!(
            tokio::time::timeout(
                Duration::from_secs(3),
                hall.next_update(Duration::from_secs(10))
            )
            .await
            .is_err(),
            "nothing changed for the hall's screen"
        );

        // Screens closed: the pollers stop.
        drop((wall_1, wall_2, hall));
        eventually(Duration::from_secs(10), "the pollers stop", || async {
            (host.state.dashboards.running() == 0).then_some(())
        })
        .await;
    }
}
