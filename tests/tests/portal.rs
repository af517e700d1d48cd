//! The portal's pages rendered by the host, driven in-process like a browser
//! without JavaScript would: form posts, redirects and cookies. On SQLite
//! and PostgreSQL. (The same pages in a real browser: `portal_browser.rs`.)

use axum::body::Body;
use bantong_host::identity::Role;
use bantong_tests::app::{Client, Reply, with_visitor_log};
use bantong_tests::db::backends;
use bantong_tests::{TestApp, TestDb};
use http::{Request, StatusCode, header};
use serde_json::json;

const PASSWORD: &str = "Correct-Horse-Battery-9";

async fn request(
    client: &Client,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
    extra: &[(&str, &str)],
) -> Reply {
    // As a browser navigating: leptos answers a redirect with 302 only to
    // requests that accept HTML.
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::ACCEPT, "text/html,application/xhtml+xml");
    if !cookies.is_empty() {
        req = req.header(header::COOKIE, cookies);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let body = match form {
        Some(f) => {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(f.to_owned())
        }
        None => Body::empty(),
    };
    client.raw(req.body(body).expect("request")).await
}

fn location(r: &Reply) -> String {
    r.headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// `name=value` of the first `Set-Cookie` named `name`.
fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}

fn html(r: &Reply) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

async fn log_in(client: &Client, username: &str) -> String {
    let r = request(
        client,
        "POST",
        "/auth/login",
        "",
        Some(&format!("username={username}&password={PASSWORD}&next=%2F")),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", html(&r));
    assert_eq!(location(&r), "/");
    set_cookie(&r, "bt_session").expect("session cookie")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_log_in_show_own_hall_and_log_out() {
    for backend in backends() {
        let app = TestApp::with_config(TestDb::new(backend).await, with_visitor_log).await;
        app.install_visitor_log().await;
        let host = &app.host;
        let bailou = host
            .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        let wuyao = host
            .client_as("staff2", vec![Role::WindowStaff], &["wuyao"], false)
            .await;
        for (client, name) in [(&bailou, "张三"), (&wuyao, "李四")] {
            let r = client
                .post(
                    "/api/plugins/visitor-log/visits",
                    json!({ "name": name, "purpose": "咨询", "phone": "13800138000" }),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        }
        let browser = host.client(None);

        // Anonymous: every page sends you to the login page, in Chinese.
        let r = request(&browser, "GET", "/", "", None, &[]).await;
        assert!(r.status.is_redirection(), "{backend:?}: {}", r.status);
        assert_eq!(location(&r), "/login?next=%2F");
        let r = request(&browser, "GET", "/login", "", None, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        let page = html(&r);
        assert!(page.contains(r#"<html lang="zh-CN""#), "{page}");
        assert!(page.contains("登录办通"), "{page}");
        assert!(page.contains("/pkg/bantong_portal.js"), "hydration script");

        // A wrong password comes back with the reason, changing nothing.
        let r = request(
            &browser,
            "POST",
            "/auth/login",
            "",
            Some("username=staff1&password=wrong&next=%2F"),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(set_cookie(&r, "bt_session").is_none());
        let back = location(&r);
        assert_eq!(back, "/login?error=invalid_credentials&next=%2F");
        let page = html(&request(&browser, "GET", &back, "", None, &[]).await);
        assert!(page.contains("用户名或密码错误"), "{page}");

        // A cross-site post is refused outright.
        let r = request(
            &browser,
            "POST",
            "/auth/login",
            "",
            Some(&format!("username=staff1&password={PASSWORD}")),
            &[
                ("origin", "https://evil.example"),
                ("host", "bantong.local"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Logged in: the start page, the menu, and only one's own hall.
        let session = log_in(&browser, "staff1").await;
        let page = html(&request(&browser, "GET", "/", &session, None, &[]).await);
        assert!(page.contains("欢迎，staff1"), "{page}");
        assert!(page.contains("综合窗口人员"), "role name: {page}");
        assert!(
            page.contains(r#"<span class="user-scope">bailou大厅</span>"#),
            "the hall by its name: {page}"
        );
        assert!(page.contains(r#"href="/v/visitor-log/visits""#), "{page}");
        let r = request(
            &browser,
            "GET",
            "/v/visitor-log/visits",
            &session,
            None,
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let page = html(&r);
        assert!(page.contains("访客登记"), "{page}");
        assert!(
            page.contains("张三"),
            "{backend:?}: own hall's visit: {page}"
        );
        assert!(
            !page.contains("李四"),
            "{backend:?}: another hall's visit: {page}"
        );
        assert!(page.contains("共 1 条"), "{page}");
        let other = log_in(&browser, "staff2").await;
        let page =
            html(&request(&browser, "GET", "/v/visitor-log/visits", &other, None, &[]).await);
        assert!(page.contains("李四") && !page.contains("张三"), "{page}");

        // English on request, remembered by a cookie.
        let r = request(
            &browser,
            "GET",
            "/auth/lang?to=en&back=%2F",
            &session,
            None,
            &[],
        )
        .await;
        assert_eq!(location(&r), "/");
        let lang = set_cookie(&r, "bantong_lang").expect("language cookie");
        let both = format!("{session}; {lang}");
        let page = html(&request(&browser, "GET", "/", &both, None, &[]).await);
        assert!(page.contains(r#"<html lang="en""#), "{page}");
        assert!(page.contains("Welcome, staff1"), "{page}");

        // Log out needs the session's CSRF token; then the cookie is dead.
        let r = request(
            &browser,
            "POST",
            "/auth/logout",
            &session,
            Some("csrf=forged"),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let me = request(&browser, "GET", "/api/auth/me", &session, None, &[]).await;
        let csrf = me.json()["csrf_token"].as_str().expect("csrf").to_owned();
        let r = request(
            &browser,
            "POST",
            "/auth/logout",
            &session,
            Some(&format!("csrf={csrf}")),
            &[],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/login?error=logged_out");
        let r = request(&browser, "GET", "/", &session, None, &[]).await;
        assert!(r.status.is_redirection());
        assert!(location(&r).starts_with("/login"), "{}", location(&r));
    }
}

/// A first-party plugin's views through the portal's renderers: the
/// agent's workspace (sections of several views on one page, a detail
/// asking for its id), a list, a detail with the order's history, a board,
/// a chart, download actions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hotline_views_render() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        app.install_hotline().await;
        let host = &app.host;
        let agent = host
            .client_as(
                "agent1",
                vec![Role::HotlineAgent, Role::Inspector],
                &[],
                true,
            )
            .await;
        let r = agent
            .post(
                "/api/plugins/hotline/orders",
                json!({ "category": "housing.property", "title": "小区电梯长期停运",
                        "caller_number": "13812345678", "caller_name": "王女士",
                        "description": "三号楼电梯停运两周，物业不处理。", "dispatch": true }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
        let id = r.json()["id"].as_str().expect("id").to_owned();
        let browser = host.client(None);
        let session = log_in(&browser, "agent1").await;
        let get = |path: String| {
            let browser = browser.clone();
            let session = session.clone();
            async move {
                let r = request(&browser, "GET", &path, &session, None, &[]).await;
                assert_eq!(r.status, StatusCode::OK, "{path}: {}", html(&r));
                html(&r)
            }
        };

        // The menu offers the workspace once, not its four views.
        let home = get("/".into()).await;
        assert!(
            home.contains(r#"href="/p/hotline/agent-workspace""#),
            "{home}"
        );
        let page = get("/p/hotline/agent-workspace".into()).await;
        for section in ["live-calls", "caller-history", "knowledge", "new-order"] {
            assert!(
                page.contains(&format!(r#"data-view="{section}""#)),
                "{backend:?}: section {section}: {page}"
            );
        }
        assert!(
            page.contains(r#"name="id""#),
            "the caller history asks for a number"
        );
        assert!(page.contains("话务工作台"), "{page}");

        let list = get("/v/hotline/orders".into()).await;
        assert!(
            list.contains(&id) && list.contains("小区电梯长期停运"),
            "{list}"
        );
        // Actions and exports are buttons on the module's pages, not menu
        // entries or home-page cards.
        assert!(
            !home.contains(r#"href="/v/hotline/export-orders""#),
            "the menu lists pages only: {home}"
        );
        assert!(
            list.contains(r#"class="page-actions""#)
                && list.contains(r#"href="/v/hotline/export-orders""#),
            "the orders page offers the export: {list}"
        );
        let detail = get(format!("/v/hotline/order/{id}")).await;
        assert!(detail.contains("历史记录"), "history: {detail}");
        assert!(detail.contains(r#"class="timeline""#), "{detail}");
        let board = get("/v/hotline/supervision".into()).await;
        assert!(board.contains(r#"class="board""#), "{board}");
        let chart = get("/v/hotline/kpi".into()).await;
        assert!(chart.contains("<svg"), "{chart}");
        let export = get("/v/hotline/export-orders".into()).await;
        assert!(
            export.contains(r#"href="/api/plugins/hotline/export/orders.xlsx""#),
            "{export}"
        );
        // Ids in paths are encoded; an unknown view is a clear 404 page.
        let r = request(
            &browser,
            "GET",
            "/v/hotline/no-such-view",
            &session,
            None,
            &[],
        )
        .await;
        assert!(html(&r).contains("页面不存在"), "{}", html(&r));
    }
}

/// The administration pages over the host API, on both databases, and a
/// non-administrator kept out of them by the API itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_pages_render() {
    for backend in backends() {
        let app = TestApp::new(TestDb::new(backend).await).await;
        let host = &app.host;
        host.client_as("admin1", vec![Role::DistrictAdmin], &["bailou"], true)
            .await;
        host.client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
            .await;
        bantong_tests::edge::enrol_in_process(&host.state, "bailou", "bailou-edge-1").await;
        let browser = host.client(None);
        let admin = log_in(&browser, "admin1").await;
        let page = |path: String, cookie: String| {
            let browser = browser.clone();
            async move {
                let r = request(&browser, "GET", &path, &cookie, None, &[]).await;
                assert_eq!(r.status, StatusCode::OK, "{path}");
                html(&r)
            }
        };
        let agents = page("/admin/agents".into(), admin.clone()).await;
        assert!(
            agents.contains(r#"href="/admin/agents/bailou-edge-1""#),
            "{backend:?}: {agents}"
        );
        let agent = page("/admin/agents/bailou-edge-1".into(), admin.clone()).await;
        assert!(
            agent.contains("离线") && agent.contains("运行中的插件"),
            "{agent}"
        );
        let users = page("/admin/users".into(), admin.clone()).await;
        assert!(
            users.contains("区级管理员") && users.contains("staff1"),
            "{users}"
        );
        let new_user = page("/admin/new-user".into(), admin.clone()).await;
        assert!(
            new_user.contains("热线坐席") && new_user.contains(r#"type="checkbox""#),
            "{new_user}"
        );
        assert!(
            new_user.contains(r#"value="bailou""#) && new_user.contains("bailou大厅"),
            "halls to tick by their names: {new_user}"
        );
        let halls = page("/admin/halls".into(), admin.clone()).await;
        assert!(
            halls.contains(r#"href="/admin/edit-hall/bailou""#) && halls.contains("标准型"),
            "{halls}"
        );
        // In English: the form's titles and choices too.
        let english = format!("{admin}; bantong_lang=en");
        let new_hall = page("/admin/new-hall".into(), english).await;
        assert!(
            new_hall.contains("Name in Chinese") && new_hall.contains(">Demonstration<"),
            "{new_hall}"
        );
        // Editing a user: the form starts from the user's current values.
        let staff_id = host
            .state
            .identity
            .list_users()
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.username == "staff1")
            .expect("staff1")
            .id;
        let href = format!(r#"href="/admin/edit-user/{staff_id}""#);
        assert!(users.contains(&href), "{users}");
        let edit = page(format!("/admin/edit-user/{staff_id}"), admin.clone()).await;
        assert!(
            edit.contains(r#"value="staff1""#),
            "display name prefilled: {edit}"
        );
        assert!(
            edit.contains(r#"value="window-staff" checked"#),
            "the user's role is ticked: {edit}"
        );
        assert!(
            edit.contains(r#"data-action="reset-password""#) && edit.contains("重置密码"),
            "a password reset under the form: {edit}"
        );
        // A form for a new record starts from the query's text fields.
        let prefilled = page(
            "/admin/new-rollout?digest=sha256%3Aabc&all=true".into(),
            admin.clone(),
        )
        .await;
        assert!(
            prefilled.contains(r#"value="sha256:abc""#),
            "digest prefilled: {prefilled}"
        );
        let rollouts = page("/admin/rollouts".into(), admin.clone()).await;
        assert!(rollouts.contains("上传边缘插件包"), "{rollouts}");
        let audit = page("/admin/audit".into(), admin.clone()).await;
        assert!(audit.contains("user.create"), "{audit}");
        let plugins = page("/admin/plugins".into(), admin.clone()).await;
        assert!(plugins.contains("安装插件"), "{plugins}");
        // The menu offers administration to administrators only; the API
        // refuses the rest, and the page says so.
        assert!(page("/".into(), admin.clone()).await.contains("系统管理"));
        let staff = log_in(&browser, "staff1").await;
        assert!(!page("/".into(), staff.clone()).await.contains("系统管理"));
        let refused = page("/admin/users".into(), staff).await;
        assert!(refused.contains("您没有权限查看此页面"), "{refused}");
        assert!(!refused.contains("admin1"), "{refused}");
    }
}
