//! The host's own API over HTTP: login with a session cookie and CSRF
//! token, lockout, roles and hall scope on the admin API, JSON errors, the
//! OpenAPI document and the operations endpoints. SQLite and PostgreSQL.

use axum::body::Body;
use bantong_host::identity::Role;
use bantong_tests::app::{Client, TestApp, user_with_token};
use bantong_tests::db::{TestDb, backends};
use http::{Request, StatusCode};
use serde_json::{Value, json};

async fn login(
    client: &Client,
    username: &str,
    password: &str,
) -> (StatusCode, Option<String>, Value) {
    let req = Request::post("/api/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({ "username": username, "password": password }).to_string(),
        ))
        .unwrap();
    let r = client.raw(req).await;
    let cookie = r
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    (r.status, cookie, r.json())
}

fn with_cookie(
    method: &str,
    path: &str,
    cookie: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> Request<Body> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("cookie", cookie);
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    match body {
        Some(b) => req
            .header("content-type", "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_login_csrf_lockout_and_logout() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        let state = &app.host.state;
        user_with_token(
            state,
            "manager1",
            vec![Role::HallManager],
            &["bailou"],
            false,
        )
        .await;
        let client = app.host.client(None);

        let (status, cookie, body) = login(&client, "manager1", "Correct-Horse-Battery-9").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let cookie = cookie.expect("session cookie");
        assert!(cookie.starts_with("bt_session="));
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        assert!(body.to_string().find("password_hash").is_none());

        let me = client
            .raw(with_cookie("GET", "/api/auth/me", &cookie, None, None))
            .await;
        assert_eq!(me.json()["user"]["username"], "manager1");
        // A state-changing request without the CSRF token is refused.
        let r = client
            .raw(with_cookie(
                "POST",
                "/api/tokens",
                &cookie,
                None,
                Some(json!({ "name": "x" })),
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.json()["error"]["code"], "csrf_failed");
        let r = client
            .raw(with_cookie(
                "POST",
                "/api/tokens",
                &cookie,
                Some(&csrf),
                Some(json!({ "name": "x" })),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        assert!(r.json()["secret"].as_str().unwrap().starts_with("bt_"));

        let r = client
            .raw(with_cookie(
                "POST",
                "/api/auth/logout",
                &cookie,
                Some(&csrf),
                None,
            ))
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let r = client
            .raw(with_cookie("GET", "/api/auth/me", &cookie, None, None))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        // Five wrong passwords lock the account, with a Chinese message.
        for _ in 0..4 {
            let (s, _, b) = login(&client, "manager1", "wrong-password-1A").await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
            assert_eq!(b["error"]["code"], "invalid_credentials");
        }
        let (s, _, b) = login(&client, "manager1", "wrong-password-1A").await;
        assert_eq!(s, StatusCode::LOCKED, "{b}");
        let (s, _, b) = login(&client, "manager1", "Correct-Horse-Battery-9").await;
        assert_eq!(s, StatusCode::LOCKED);
        assert!(
            b["error"]["message"]
                .as_str()
                .unwrap()
                .contains("账号已锁定"),
            "{b}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_hall_scope_on_the_host_api() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        let state = &app.host.state;
        let admin = app
            .host
            .client_as(
                "admin1",
                vec![Role::DistrictAdmin],
                &["bailou", "wuyao"],
                true,
            )
            .await;
        let staff = app
            .host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;

        let halls = staff.get("/api/halls").await.json();
        assert_eq!(halls["items"].as_array().unwrap().len(), 1, "{halls}");
        assert_eq!(
            staff.get("/api/halls/wuyao").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            admin.get("/api/halls").await.json()["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        let r = staff.post("/api/halls", json!({ "id": "x1", "code": "X1", "name_zh": "某乡", "name_en": "X", "grade": "basic" })).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.json()["error"]["code"], "forbidden");
        assert_eq!(staff.get("/api/users").await.status, StatusCode::FORBIDDEN);
        assert_eq!(staff.get("/api/audit").await.status, StatusCode::FORBIDDEN);

        // Bad input: a clear error, nothing changed.
        let r = admin.post("/api/users", json!({ "username": "weak", "display_name": "弱", "password": "123", "roles": ["window-staff"] })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json());
        let r = admin.post("/api/users", json!({ "username": "x", "display_name": "x", "password": "Long-enough-Pass-1", "roles": ["emperor"] })).await;
        assert!(r.status.is_client_error(), "{:?}", r.json());
        assert!(state.identity.get_user_by_username("weak").await.is_err());
        let audit = admin.get("/api/audit?action=user.create").await.json();
        assert_eq!(
            audit["items"].as_array().unwrap().len(),
            2,
            "two users created through the service: {audit}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ops_endpoints_and_openapi() {
    let app = TestApp::new(TestDb::new(bantong_tests::db::Backend::Sqlite).await).await;
    let client = app.host.client(None);
    assert_eq!(client.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(client.get("/readyz").await.status, StatusCode::OK);
    let doc = client.get("/api/openapi.json").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path, _, _) in bantong_host::http::ops::API {
        assert!(
            doc["paths"][*path][*method].is_object(),
            "{method} {path} documented"
        );
    }
    let r = client.get("/no/such/thing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
    let r = client
        .raw(
            Request::post("/api/auth/login")
                .header("content-type", "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json()["error"]["code"],
        "bad_request",
        "even extractor rejections are JSON"
    );
    let metrics = String::from_utf8(client.get("/metrics").await.body).unwrap();
    assert!(metrics.contains("bantong_runtime_pooling 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_are_checked_on_upload_and_scoped_by_hall_on_download() {
    for backend in backends() {
        let app = TestApp::with_config(TestDb::new(backend).await, |c| c.blobs.max_kib = 64).await;
        let a = app
            .host
            .client_as("staff-a", vec![Role::WindowStaff], &["hall-a"], false)
            .await;
        let b = app
            .host
            .client_as("staff-b", vec![Role::WindowStaff], &["hall-b"], false)
            .await;
        let admin = app
            .host
            .client_as("admin1", vec![Role::DistrictAdmin], &[], true)
            .await;
        let upload = |client: &Client, ty: &str, bytes: Vec<u8>| {
            let mut req = Request::post("/api/blobs").header("content-type", ty);
            if let Some(t) = &client.token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let client = client.clone();
            let req = req.body(Body::from(bytes)).unwrap();
            async move { client.raw(req).await }
        };
        let jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], &[1u8; 2000][..]].concat();
        let r = upload(&a, "image/jpeg", jpeg.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        let sha = r.json()["sha256"].as_str().unwrap().to_owned();

        let mine = a.get(&format!("/api/blobs/{sha}")).await;
        assert_eq!(mine.status, StatusCode::OK);
        assert_eq!(mine.body, jpeg);
        assert_eq!(mine.headers["content-type"], "image/jpeg");
        assert_eq!(
            b.get(&format!("/api/blobs/{sha}")).await.status,
            StatusCode::NOT_FOUND,
            "{backend:?}: other hall"
        );
        assert_eq!(
            admin.get(&format!("/api/blobs/{sha}")).await.status,
            StatusCode::OK
        );

        // Declared type must match the content; size is capped; nothing stored.
        let r = upload(&a, "image/png", jpeg.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json());
        let r = upload(
            &a,
            "image/jpeg",
            [&[0xFF, 0xD8, 0xFF][..], &vec![0u8; 70 * 1024][..]].concat(),
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{:?}", r.json());
        assert_eq!(r.json()["error"]["code"], "payload_too_large");
        let r = upload(&a, "text/html", b"<script>x</script>".to_vec()).await;
        assert!(r.status.is_client_error());
    }
}

/// One HTTP/1.1 request over a real socket; returns the status code.
async fn raw_post(addr: std::net::SocketAddr, path: &str, body: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_from_one_address_are_throttled() {
    let app = TestApp::new(TestDb::new(bantong_tests::db::Backend::Sqlite).await).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app
        .host
        .router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });
    let body = json!({ "username": "nobody", "password": "Wrong-password-1" }).to_string();
    for _ in 0..bantong_host::http::throttle::MAX_ATTEMPTS {
        assert_eq!(raw_post(addr, "/api/auth/login", &body).await, 401);
    }
    assert_eq!(raw_post(addr, "/api/auth/login", &body).await, 429);
    server.abort();
}
