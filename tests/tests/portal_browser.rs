//! The portal in a real browser: Debian's Chromium, headless, driven
//! through chromedriver (WebDriver) by fantoccini, against a host serving
//! on an ephemeral port with the browser bundle `cargo xtask portal`
//! built. Proves the pages hydrate (the wasm loads and takes over without
//! errors), client-side navigation reads the API from the browser, hall
//! scoping holds, a vendor plugin's views appear with no portal change,
//! and nothing breaks at a phone's 360 px. Screenshots of the pages go to
//! `target/screenshots/` (see the README).
//!
//! Needs `chromium` and `chromium-driver` (Debian packages; `cargo xtask
//! services` installs them). Without them this test fails; it does not skip.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bantong_host::identity::Role;
use bantong_tests::db::Backend;
use bantong_tests::{TestApp, TestDb};
use fantoccini::{Client, ClientBuilder, Locator};
use http::StatusCode;
use serde_json::json;

const PASSWORD: &str = "Correct-Horse-Battery-9";

/// chromedriver on an ephemeral port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "chromedriver is not installed ({e}): install Debian's chromium and \
                 chromium-driver, e.g. with `cargo xtask services`"
            )
        });
    let driver = Driver { child, port };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on {port}");
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--lang=zh-CN",
                "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with Chromium")
}

fn screenshots_dir() -> PathBuf {
    let dir = bantong_tests::app::repo_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots_dir().join(format!("{name}.png")), png).expect("save screenshot");
}

/// Waits until the page has hydrated: the wasm bundle loaded, took over
/// the server's HTML and ran its effects.
async fn wait_hydrated(client: &Client) {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("body[data-hydrated]"))
        .await
        .expect("the page hydrates (is target/portal/pkg built and served?)");
}

async fn text_of(client: &Client, css: &str) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

async fn log_in(client: &Client, base: &str, username: &str) {
    client
        .goto(&format!("{base}/login"))
        .await
        .expect("login page");
    wait_hydrated(client).await;
    client
        .find(Locator::Css("#username"))
        .await
        .expect("username field")
        .send_keys(username)
        .await
        .expect("type");
    client
        .find(Locator::Css("#password"))
        .await
        .expect("password field")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    client
        .find(Locator::Css("form.login-card button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("header.topbar .user-name"))
        .await
        .expect("the start page after login");
    wait_hydrated(client).await;
}

/// The page is no wider than the window (nothing sticks out at 360 px).
async fn fits_width(client: &Client) -> (u64, u64) {
    let v = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("measure");
    (
        v[0].as_u64().unwrap_or(u64::MAX),
        v[1].as_u64().unwrap_or(0),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_in_chromium() {
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    assert!(
        pkg.join("bantong_portal_bg.wasm").exists(),
        "{} has no browser bundle: run `cargo xtask portal`",
        pkg.display()
    );
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        c.portal_pkg_dir = pkg.clone();
        bantong_tests::app::with_visitor_log(c);
    })
    .await;
    let host = &app.host;
    let bailou = host
        .client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
        .await;
    let wuyao = host
        .client_as("staff2", vec![Role::WindowStaff], &["wuyao"], false)
        .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = host.router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let base = format!("http://{addr}");

    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;

    // The login page, in Chinese, hydrated.
    client.goto(&format!("{base}/")).await.expect("open");
    wait_hydrated(&client).await;
    assert!(
        client.current_url().await.expect("url").path() == "/login",
        "anonymous visitors go to the login page"
    );
    assert_eq!(text_of(&client, "form.login-card h1").await, "登录办通");
    screenshot(&client, "login").await;

    // Before the vendor plugin is installed, the menu has nothing of it.
    log_in(&client, &base, "staff1").await;
    let menu = text_of(&client, "nav.menu").await;
    assert!(!menu.contains("访客登记"), "{menu}");

    // Install the vendor example: its views appear with no portal change.
    app.install_visitor_log().await;
    for (c, name) in [(&bailou, "张三"), (&wuyao, "李四")] {
        let r = c
            .post(
                "/api/plugins/visitor-log/visits",
                json!({ "name": name, "purpose": "咨询", "phone": "13800138000" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json());
    }
    client.refresh().await.expect("reload");
    wait_hydrated(&client).await;
    screenshot(&client, "home").await;

    // Client-side navigation (the hydrated router fetches from the browser).
    client
        .find(Locator::Css(r#"nav.menu a[href="/v/visitor-log/visits"]"#))
        .await
        .expect("the vendor's list view in the menu")
        .click()
        .await
        .expect("click");
    let table = text_of(&client, "table.list tbody").await;
    assert!(table.contains("张三"), "own hall's visit: {table}");
    assert!(!table.contains("李四"), "another hall's visit: {table}");
    assert_eq!(text_of(&client, "main h1").await, "访客登记");
    screenshot(&client, "visitor-list").await;

    // A phone: nothing sticks out at 360 px.
    client.set_window_size(360, 740).await.expect("resize");
    let (scroll, inner) = fits_width(&client).await;
    assert!(
        scroll <= inner,
        "page {scroll} px wide in a {inner} px window"
    );
    screenshot(&client, "visitor-list-phone").await;
    client.set_window_size(1280, 900).await.expect("resize");

    // Another hall's staff sees only theirs.
    client.delete_all_cookies().await.expect("log out");
    log_in(&client, &base, "staff2").await;
    client
        .goto(&format!("{base}/v/visitor-log/visits"))
        .await
        .expect("list");
    wait_hydrated(&client).await;
    let table = text_of(&client, "table.list tbody").await;
    assert!(table.contains("李四") && !table.contains("张三"), "{table}");

    // English through the switch, remembered across pages.
    client
        .find(Locator::Css("header a.lang"))
        .await
        .expect("language switch")
        .click()
        .await
        .expect("click");
    let h1 = text_of(&client, "main h1").await;
    assert_eq!(h1, "Visitor log");
    screenshot(&client, "visitor-list-en").await;

    // An administrator: a per-hall config value the schema refuses comes
    // back as a Chinese message under its field, and nothing is stored.
    host.client_as("admin1", vec![Role::DistrictAdmin], &["bailou"], true)
        .await;
    client.delete_all_cookies().await.expect("log out");
    log_in(&client, &base, "admin1").await;
    client
        .goto(&format!("{base}/admin/plugins"))
        .await
        .expect("plugins page");
    wait_hydrated(&client).await;
    let plugins = text_of(&client, "table.list tbody").await;
    assert!(
        plugins.contains("visitor-log") && plugins.contains("已启用"),
        "{plugins}"
    );
    screenshot(&client, "admin-plugins").await;
    client
        .goto(&format!(
            "{base}/admin/plugins/visitor-log/config?hall=bailou"
        ))
        .await
        .expect("config page");
    wait_hydrated(&client).await;
    let purposes = client
        .find(Locator::Css("#field-purposes"))
        .await
        .expect("the purposes field, generated from the schema");
    purposes.clear().await.expect("clear");
    purposes
        .send_keys("这是一个远远超过二十个字符限制的来访事由名称用于测试")
        .await
        .expect("type");
    client
        .find(Locator::Css("form.schema-form button[type=submit]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    let error = text_of(&client, "#error-purposes").await;
    assert!(
        error
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "a Chinese message: {error}"
    );
    screenshot(&client, "admin-config-error").await;
    assert!(
        host.state
            .store
            .registry()
            .get_config("visitor-log", Some("bailou"))
            .await
            .expect("read config")
            .is_none(),
        "the refused value was not stored"
    );

    // Versions: install 0.2.0 of the vendor plugin, then roll back to
    // 0.1.0 from its page.
    let manifest = std::fs::read_to_string(
        bantong_tests::app::repo_root().join("examples/vendor-visitor-log/manifest.toml"),
    )
    .expect("manifest")
    .replacen("version = \"0.1.0\"", "version = \"0.2.0\"", 1);
    let wasm = std::fs::read(bantong_tests::app::wasm_dir().join("vendor_visitor_log.wasm"))
        .expect("wasm");
    let bytes = app.package(
        bantong_manifest::Manifest::parse(&manifest).expect("parse"),
        wasm,
    );
    host.state
        .plugins
        .install(&bytes, &bantong_host::identity::Principal::system("test"))
        .await
        .expect("install 0.2.0");
    client
        .goto(&format!("{base}/admin/plugins/visitor-log"))
        .await
        .expect("plugin page");
    wait_hydrated(&client).await;
    text_of(&client, r#"tr[data-version="0.2.0"] .badge-1"#).await;
    client
        .find(Locator::Css(r#"tr[data-version="0.1.0"] button"#))
        .await
        .expect("activate 0.1.0")
        .click()
        .await
        .expect("click");
    let current = text_of(&client, r#"tr[data-version="0.1.0"] .badge-1"#).await;
    assert_eq!(current, "当前版本");
    screenshot(&client, "admin-plugin-versions").await;
    let entry = host
        .state
        .plugins
        .index()
        .get("visitor-log")
        .expect("plugin");
    assert_eq!(entry.current().version(), "0.1.0", "rolled back");

    // An API token: created from a form that shows its secret once, then
    // revoked from the list (after the confirmation).
    client
        .goto(&format!("{base}/admin/new-token"))
        .await
        .expect("new token");
    wait_hydrated(&client).await;
    client
        .find(Locator::Css("#field-name"))
        .await
        .expect("name")
        .send_keys("政务网站表单")
        .await
        .expect("type");
    client
        .find(Locator::Css("form.schema-form button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    let secret = text_of(&client, ".reveal .secret").await;
    let me = host.client(Some(&secret)).get("/api/auth/me").await;
    assert_eq!(me.status, StatusCode::OK, "the shown secret works");
    client
        .goto(&format!("{base}/admin/tokens"))
        .await
        .expect("tokens");
    wait_hydrated(&client).await;
    client
        .execute("window.confirm = () => true;", vec![])
        .await
        .expect("accept the confirmation");
    // Our token's row (the test users have tokens too); the wide table
    // scrolls inside its box, so bring the button into view first.
    let revoke = client
        .find(Locator::XPath(
            "//table[contains(@class,'list')]//tr[td[contains(., '政务网站表单')]]//button[contains(@class,'row-action')]",
        ))
        .await
        .expect("the revoke button of our token");
    client
        .execute(
            "arguments[0].scrollIntoView({inline: 'end'});",
            vec![serde_json::to_value(&revoke).expect("element")],
        )
        .await
        .expect("scroll");
    revoke.click().await.expect("click");
    for _ in 0..50 {
        if host.client(Some(&secret)).get("/api/auth/me").await.status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        host.client(Some(&secret)).get("/api/auth/me").await.status,
        StatusCode::UNAUTHORIZED,
        "the revoked token no longer works"
    );

    client.close().await.expect("close the browser");
}

/// The command dashboard with a simulated hall: a real edge agent process
/// (`bantong-edge`, simulated camera whose clerk leaves the window) runs
/// camera-watch dispatched by the host over MQTT; its unattended-window
/// alert, with the camera's snapshot, appears on the open dashboard
/// without a reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_a_simulated_halls_alert_live() {
    use bantong_edge::camera::{QUEUE_ZONE, SEAT};
    use bantong_tests::edge::{
        AgentProcess, BrokerKind, Installation, camera_watch_package, eventually, issue_token,
    };
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let Installation {
        app,
        host,
        admin,
        mosquitto: _mosquitto,
    } = Installation::start_with(Backend::Sqlite, BrokerKind::Embedded, &["bailou"], |c| {
        c.portal_pkg_dir = pkg.clone();
    })
    .await;
    let base = host.url();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    log_in(&client, &base, "admin").await;
    client
        .goto(&format!("{base}/dashboard"))
        .await
        .expect("dashboard");
    wait_hydrated(&client).await;
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".live .dot.on"))
        .await
        .expect("the live feed connects");
    assert!(text_of(&client, ".alert-list").await.contains("暂无告警"));
    client
        .execute("window.__stillHere = true;", vec![])
        .await
        .expect("mark the page");

    // The hall: an agent with a simulated camera, camera-watch dispatched.
    let token = issue_token(&admin, "bailou", "bailou-edge-1").await;
    let mut agent = AgentProcess::new(
        env!("CARGO_BIN_EXE_edge-under-test"),
        app.db.dir.path().join("agent"),
        &base,
    );
    agent.enrol(&token);
    agent.env(
        "BANTONG_EDGE_CAMERAS",
        r#"[{id = "cam-1", scene = "growing-queue"}]"#,
    );
    agent.env("BANTONG_EDGE_CAMERA_FPS", "5");
    agent.env("BANTONG_EDGE_CAMERA_SPEED", "4");
    agent.run(0, 0);
    let up = admin
        .send_bytes(
            "POST",
            "/api/edge/artefacts",
            camera_watch_package(&app.key, "0.1.0", None),
        )
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.json());
    let digest = up.json()["digest"].as_str().expect("digest").to_owned();
    let config = json!({ "cameras": { "cam-1": { "regions": [
        { "id": "window-3", "kind": "seat", "rect": SEAT, "unattended_after_s": 5 },
        { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047,
          "crowd_threshold": 6, "crowd_after_s": 3 }
    ]}}, "stale_camera_s": 2 });
    let d = admin
        .post(
            "/api/edge/deployments",
            json!({ "digest": digest, "agents": ["bailou-edge-1"], "config": config, "health_window_s": 2 }),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.json());

    // The alert reaches the open page by itself.
    let alert = client
        .wait()
        .at_most(Duration::from_secs(90))
        .for_element(Locator::Css(
            r#".alert-list li[data-kind="alert.window-unattended"]"#,
        ))
        .await
        .expect("the simulated hall's alert appears live");
    let text = alert.text().await.expect("text");
    assert!(
        text.contains("窗口无人值守") && text.contains("window-3"),
        "{text}"
    );
    let still_here = client
        .execute("return window.__stillHere === true;", vec![])
        .await
        .expect("check");
    assert_eq!(still_here, json!(true), "the page was not reloaded");
    let loaded = eventually(Duration::from_secs(10), "the snapshot image", || async {
        let v = client
            .execute(
                "const i = document.querySelector('.alert-list img'); return i ? (i.complete && i.naturalWidth) : 0;",
                vec![],
            )
            .await
            .ok()?;
        v.as_u64().filter(|w| *w > 0)
    })
    .await;
    assert!(loaded > 0);
    let hall = text_of(&client, r#".hall-card[data-hall="bailou"]"#).await;
    assert!(hall.contains("在线"), "the agent is online: {hall}");
    screenshot(&client, "dashboard").await;
    client.close().await.expect("close the browser");
}
