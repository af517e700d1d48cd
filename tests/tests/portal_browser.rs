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
use bantong_tests::edge::eventually;
use bantong_tests::{TestApp, TestDb};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use http::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "Correct-Horse-Battery-9";
/// WebDriver's codes for the Tab and Enter keys.
const TAB: char = '\u{E004}';
const ENTER: char = '\u{E007}';
/// The accessibility audit run in the page (see the file).
const AUDIT: &str = include_str!("a11y.js");

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

/// Serves the host's router on an ephemeral port; answers its base URL.
async fn serve(host: &bantong_tests::TestHost) -> String {
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
    format!("http://{addr}")
}

/// Opens `url` and waits until it has hydrated.
async fn open(client: &Client, url: &str) {
    client
        .goto(url)
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    wait_hydrated(client).await;
}

/// Waits until the page has hydrated: the wasm bundle loaded, took over
/// the server's HTML and ran its effects.
async fn wait_hydrated(client: &Client) {
    wait_for(
        client,
        "body[data-hydrated]",
        20,
        "the page hydrates (is target/portal/pkg built and served?)",
    )
    .await;
}

/// The text of the element `css` selects, once it appears. A page that
/// reloads between finding the element and reading it (a button's
/// `location.reload()`) is read again.
async fn text_of(client: &Client, css: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found = client.find(Locator::Css(css)).await;
        if let Ok(element) = found
            && let Ok(text) = element.text().await
        {
            return text;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("{css}: not found in 10 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    wait_for(
        client,
        "header.topbar .user-name",
        10,
        "the start page after login",
    )
    .await;
    wait_hydrated(client).await;
}

/// Presses and releases `key` on whatever has the focus.
async fn press(client: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.expect("key press");
}

/// The focused element's id and classes.
async fn focused(client: &Client) -> String {
    let v = client
        .execute(
            "const e = document.activeElement; return (e.id || '') + ' ' + (e.className || '');",
            vec![],
        )
        .await
        .expect("focused element");
    v.as_str().unwrap_or_default().trim().to_owned()
}

/// The audit of `a11y.js` on the current page finds nothing.
async fn audit(client: &Client, page: &str) {
    let found = client.execute(AUDIT, vec![]).await.expect("audit");
    assert_eq!(found, json!([]), "accessibility problems on {page}");
}

/// The focused element shows a focus ring with 3:1 contrast.
async fn focus_visible(client: &Client) {
    let found = client
        .execute(AUDIT, vec![json!("focus")])
        .await
        .expect("focus audit");
    assert_eq!(found, json!([]), "focus indicator");
}

/// Logs in with the keyboard only: Tab to the user name, type, Tab to
/// the password, type, Enter.
async fn log_in_by_keyboard(client: &Client, base: &str, username: &str) {
    client
        .goto(&format!("{base}/login"))
        .await
        .expect("login page");
    wait_hydrated(client).await;
    let mut reached = false;
    for _ in 0..8 {
        press(client, TAB).await;
        if focused(client).await.starts_with("username") {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab reaches the user name field");
    focus_visible(client).await;
    client
        .active_element()
        .await
        .expect("focused")
        .send_keys(username)
        .await
        .expect("type");
    press(client, TAB).await;
    assert!(focused(client).await.starts_with("password"));
    focus_visible(client).await;
    client
        .active_element()
        .await
        .expect("focused")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    press(client, ENTER).await;
    wait_for(
        client,
        "header.topbar .user-name",
        10,
        "the start page after a keyboard login",
    )
    .await;
    wait_hydrated(client).await;
}

/// The element `css` selects, once it appears within `secs` seconds.
async fn wait_for(
    client: &Client,
    css: &str,
    secs: u64,
    what: &str,
) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Accepts the next confirmation dialogues.
async fn accept_confirmations(client: &Client) {
    client
        .execute("window.confirm = () => true;", vec![])
        .await
        .expect("accept the confirmation");
}

/// Opens the list at `url` and clicks the row action of the row that
/// mentions `row_text`, accepting its confirmation. The wide table scrolls
/// inside its box, so the button is brought into view first.
async fn click_row_action(client: &Client, url: &str, row_text: &str) {
    client.goto(url).await.expect("open the list");
    wait_hydrated(client).await;
    accept_confirmations(client).await;
    let button = client
        .find(Locator::XPath(&format!(
            "//table[contains(@class,'list')]//tr[td[contains(., '{row_text}')]]//button[contains(@class,'row-action')]"
        )))
        .await
        .unwrap_or_else(|e| panic!("the row action of {row_text}: {e}"));
    client
        .execute(
            "arguments[0].scrollIntoView({inline: 'end'});",
            vec![serde_json::to_value(&button).expect("element")],
        )
        .await
        .expect("scroll");
    button.click().await.expect("click");
}

/// Fills `#field-{name}` with `text`, once the form shows it (a form that
/// starts from a record's values appears when the record has loaded).
async fn fill_field(client: &Client, name: &str, text: &str) {
    let css = format!("#field-{name}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let input = loop {
        match client.find(Locator::Css(&css)).await {
            Ok(input) => break input,
            Err(e) if tokio::time::Instant::now() >= deadline => panic!("field {name}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("type");
}

/// Submits the page's schema form and returns its outcome line.
async fn submit_form(client: &Client) -> String {
    client
        .find(Locator::Css("form.schema-form button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    text_of(client, "form.schema-form .notice, form.schema-form .alert").await
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

    let base = serve(host).await;

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
    audit(&client, "login").await;

    // Before the vendor plugin is installed, the menu has nothing of it.
    // (Logged in with the keyboard alone.)
    log_in_by_keyboard(&client, &base, "staff1").await;
    // The first Tab on a page reaches the skip link, visibly.
    client.refresh().await.expect("reload");
    wait_hydrated(&client).await;
    press(&client, TAB).await;
    assert_eq!(focused(&client).await, "skip", "the skip link comes first");
    focus_visible(&client).await;
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
    audit(&client, "home").await;

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
    audit(&client, "visitor-list").await;

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
    open(&client, &format!("{base}/v/visitor-log/visits")).await;
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
    // (A full page load: read the new page, not the one it replaces.)
    eventually(Duration::from_secs(10), "the English page", || async {
        (text_of(&client, "main h1").await == "Visitor log").then_some(())
    })
    .await;
    wait_hydrated(&client).await;
    screenshot(&client, "visitor-list-en").await;
    audit(&client, "visitor-list-en").await;

    // An administrator: a per-hall config value the schema refuses comes
    // back as a Chinese message under its field, and nothing is stored.
    let admin = host
        .client_as("admin1", vec![Role::DistrictAdmin], &["bailou"], true)
        .await;
    let hall_code = admin.get("/api/halls/bailou").await.json()["code"].clone();
    client.delete_all_cookies().await.expect("log out");
    log_in(&client, &base, "admin1").await;
    open(&client, &format!("{base}/admin/plugins")).await;
    let plugins = text_of(&client, "table.list tbody").await;
    assert!(
        plugins.contains("visitor-log") && plugins.contains("已启用"),
        "{plugins}"
    );
    screenshot(&client, "admin-plugins").await;
    audit(&client, "admin-plugins").await;
    open(
        &client,
        &format!("{base}/admin/plugins/visitor-log/config?hall=bailou"),
    )
    .await;
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
    audit(&client, "admin-config-error").await;
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

    // A nested config (the hotline's KPI rules and calendar): each value
    // its own field; an edit is stored at its path, next to nothing else.
    app.install_hotline().await;
    open(
        &client,
        &format!("{base}/admin/plugins/hotline/config?hall=bailou"),
    )
    .await;
    assert_eq!(text_of(&client, "#label-kpi").await, "考核口径");
    fill_field(&client, "kpi-answer_within_s", "20").await;
    fill_field(&client, "calendar-weekend", "6\n7").await;
    assert_eq!(submit_form(&client).await, "已提交。");
    screenshot(&client, "admin-config-nested").await;
    audit(&client, "admin-config-nested").await;
    let stored = host
        .state
        .store
        .registry()
        .get_config("hotline", Some("bailou"))
        .await
        .expect("read config")
        .expect("the hall's config");
    assert_eq!(
        stored.config,
        json!({ "kpi": { "answer_within_s": 20 }, "calendar": { "weekend": [6, 7] } }),
        "only what was edited, at its path"
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
    open(&client, &format!("{base}/admin/plugins/visitor-log")).await;
    text_of(&client, r#"tr[data-version="0.2.0"] .badge-1"#).await;
    accept_confirmations(&client).await;
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
    open(&client, &format!("{base}/admin/new-token")).await;
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
    // Our token's row (the test users have tokens too).
    click_row_action(&client, &format!("{base}/admin/tokens"), "政务网站表单").await;
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

    // Editing a hall: the form starts from its values; what is changed is
    // saved.
    open(&client, &format!("{base}/admin/edit-hall/bailou")).await;
    fill_field(&client, "name_zh", "白楼镇便民服务中心").await;
    assert_eq!(submit_form(&client).await, "已提交。");
    let hall = admin.get("/api/halls/bailou").await.json();
    assert_eq!(hall["name_zh"], "白楼镇便民服务中心", "{hall}");
    assert_eq!(
        hall["code"],
        json!(hall_code),
        "untouched fields keep their values"
    );

    // A user: found in the list, renamed, given a second hall, and a
    // one-time password made for them.
    open(&client, &format!("{base}/admin/users")).await;
    audit(&client, "admin-users").await;
    client
        .find(Locator::XPath(
            "//table[contains(@class,'list')]//a[normalize-space(.)='staff2']",
        ))
        .await
        .expect("staff2 in the list")
        .click()
        .await
        .expect("open");
    let name = wait_for(&client, "#field-display_name", 10, "the edit form").await;
    assert_eq!(
        name.prop("value").await.expect("value").as_deref(),
        Some("staff2")
    );
    wait_hydrated(&client).await;
    audit(&client, "admin-edit-user").await;
    fill_field(&client, "display_name", "李四").await;
    client
        .find(Locator::Css(r#"#field-halls input[value="bailou"]"#))
        .await
        .expect("the halls' checkboxes")
        .click()
        .await
        .expect("tick");
    assert_eq!(submit_form(&client).await, "已提交。");
    let users = admin.get("/api/users").await.json();
    let user = users["items"]
        .as_array()
        .and_then(|users| users.iter().find(|u| u["username"] == "staff2").cloned())
        .expect("staff2");
    assert_eq!(user["display_name"], "李四", "{user}");
    let mut halls: Vec<&str> = user["halls"]
        .as_array()
        .map(|h| h.iter().filter_map(|h| h.as_str()).collect())
        .unwrap_or_default();
    halls.sort_unstable();
    assert_eq!(halls, ["bailou", "wuyao"], "{user}");
    assert_eq!(
        user["roles"],
        json!(["window-staff"]),
        "roles untouched: {user}"
    );

    accept_confirmations(&client).await;
    client
        .find(Locator::Css(r#"[data-action="reset-password"] button"#))
        .await
        .expect("the reset-password button")
        .click()
        .await
        .expect("click");
    let one_time = text_of(&client, r#"[data-action="reset-password"] .secret"#).await;
    screenshot(&client, "admin-edit-user").await;
    let login = host
        .client(None)
        .post(
            "/api/auth/login",
            json!({ "username": "staff2", "password": one_time }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{:?}", login.json());
    assert_eq!(
        login.json()["user"]["must_change_password"],
        json!(true),
        "a reset password must be changed at the next login"
    );
    let old = host
        .client(None)
        .post(
            "/api/auth/login",
            json!({ "username": "staff2", "password": PASSWORD }),
        )
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
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
    use bantong_tests::edge::{AgentProcess, BrokerKind, Installation, camera_watch_package};
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
    open(&client, &format!("{base}/dashboard")).await;
    wait_for(&client, ".live .dot.on", 10, "the live feed connects").await;
    assert!(text_of(&client, ".alert-list").await.contains("暂无告警"));
    client
        .execute("window.__stillHere = true;", vec![])
        .await
        .expect("mark the page");

    // The hall: an agent with a simulated camera, camera-watch dispatched.
    let _agent = AgentProcess::with_growing_queue(
        env!("CARGO_BIN_EXE_edge-under-test"),
        &admin,
        "bailou",
        "bailou-edge-1",
        app.db.dir.path().join("agent"),
        &base,
    )
    .await;
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
    ]}}, "stale_camera_s": 2, "summary_every_s": 2 });
    let d = admin
        .post(
            "/api/edge/deployments",
            json!({ "digest": digest, "agents": ["bailou-edge-1"], "config": config, "health_window_s": 2 }),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.json());

    // The alert reaches the open page by itself.
    let alert = wait_for(
        &client,
        r#".alert-list li[data-kind="alert.window-unattended"]"#,
        90,
        "the simulated hall's alert appears live",
    )
    .await;
    let text = alert.text().await.expect("text");
    assert!(
        text.contains("窗口无人值守") && text.contains("window-3") && text.contains("bailou大厅"),
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
    // Window occupancy from camera-watch's periodic summary (every 2 s).
    let windows = eventually(Duration::from_secs(30), "window occupancy", || async {
        let text = client
            .find(Locator::Css(
                r#".hall-card[data-hall="bailou"] .hall-windows"#,
            ))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains("窗口在岗").then_some(text)
    })
    .await;
    assert!(windows.contains("/1"), "one seat watched: {windows}");
    screenshot(&client, "dashboard").await;
    audit(&client, "dashboard").await;

    // A new version rolled out from the portal: the package uploaded on
    // the rollouts page, the link it offers opens the rollout form with
    // the digest filled in, the hall ticked, started; the rollout
    // completes on the running agent, which keeps its camera config.
    let v1 = digest;
    let package = app.db.dir.path().join("camera-watch-0.2.0.btpkg");
    std::fs::write(&package, camera_watch_package(&app.key, "0.2.0", None)).expect("package");
    open(&client, &format!("{base}/admin/rollouts")).await;
    client
        .find(Locator::Css("#upload-api-edge-artefacts"))
        .await
        .expect("the upload field")
        .send_keys(&package.display().to_string())
        .await
        .expect("choose the file");
    wait_for(&client, "a.roll-out", 20, "a link to roll the upload out")
        .await
        .click()
        .await
        .expect("click");
    let field = wait_for(&client, "#field-digest", 10, "the rollout form").await;
    let v2 = field
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(
        v2.starts_with("sha256:") && v2 != v1,
        "the new digest: {v2}"
    );
    wait_hydrated(&client).await;
    audit(&client, "admin-new-rollout").await;
    client
        .find(Locator::Css(r#"#field-halls input[value="bailou"]"#))
        .await
        .expect("the hall's checkbox")
        .click()
        .await
        .expect("tick");
    fill_field(&client, "health_window_s", "5").await;
    assert_eq!(submit_form(&client).await, "已提交。");
    let desired = |agent: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .get(&format!("/api/edge/agents/{agent}/desired"))
                .await
                .json()["plugins"][0]
                .clone()
        }
    };
    client
        .goto(&format!("{base}/admin/rollouts"))
        .await
        .expect("rollouts");
    let row = eventually(Duration::from_secs(60), "the rollout completes", || async {
        client.refresh().await.ok()?;
        let text = client
            .find(Locator::Css("table.list tbody tr"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains("已完成").then_some(text)
    })
    .await;
    assert!(row.contains("0.2.0") && row.contains("成功 1"), "{row}");
    screenshot(&client, "admin-rollouts").await;
    audit(&client, "admin-rollouts").await;
    let now = desired("bailou-edge-1").await;
    assert_eq!(now["digest"], json!(v2), "{now}");
    assert_eq!(
        now["config"]["cameras"]["cam-1"]["regions"][0]["id"], "window-3",
        "the agent kept its camera config: {now}"
    );

    // Rolled back from the agent's page: back to 0.1.0, pinned (rollouts
    // skip it), then unpinned from the same page.
    open(&client, &format!("{base}/admin/agents/bailou-edge-1")).await;
    let running = text_of(&client, r#"tr[data-plugin="camera-watch"]"#).await;
    assert!(running.contains("0.2.0"), "{running}");
    audit(&client, "admin-agent").await;
    accept_confirmations(&client).await;
    client
        .find(Locator::Css(r#"tr[data-plugin="camera-watch"] button"#))
        .await
        .expect("the rollback button")
        .click()
        .await
        .expect("click");
    eventually(Duration::from_secs(30), "the rollback", || async {
        let d = desired("bailou-edge-1").await;
        (d["digest"] == json!(v1)).then_some(())
    })
    .await;
    eventually(
        Duration::from_secs(60),
        "the agent runs 0.1.0 again",
        || async {
            client.refresh().await.ok()?;
            // The second cell is the version the agent reports running.
            let text = client
                .find(Locator::Css(
                    r#"tr[data-plugin="camera-watch"] td:nth-child(2)"#,
                ))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (text == "0.1.0").then_some(())
        },
    )
    .await;
    let row = text_of(
        &client,
        r#"tr[data-plugin="camera-watch"][data-pinned="true"]"#,
    )
    .await;
    assert!(row.contains("已锁定"), "{row}");
    client
        .find(Locator::XPath(
            "//tr[@data-plugin='camera-watch']//button[normalize-space(.)='解除锁定']",
        ))
        .await
        .expect("the unpin button")
        .click()
        .await
        .expect("click");
    wait_for(
        &client,
        r#"tr[data-plugin="camera-watch"][data-pinned="false"]"#,
        10,
        "unpinned after the reload",
    )
    .await;
    let agent = admin.get("/api/edge/agents/bailou-edge-1").await.json();
    assert_eq!(agent["desired"][0]["pinned"], json!(false), "{agent}");

    // A rollout (no force needed now) aborted from the list: the agent
    // goes back to 0.1.0.
    let up = admin
        .send_bytes(
            "POST",
            "/api/edge/artefacts",
            camera_watch_package(&app.key, "0.3.0", None),
        )
        .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.json());
    let v3 = up.json()["digest"].as_str().expect("digest").to_owned();
    let started = admin
        .post(
            "/api/edge/rollouts",
            json!({ "digest": v3, "halls": ["bailou"], "health_window_s": 600 }),
        )
        .await;
    assert_eq!(started.status, StatusCode::CREATED, "{}", started.json());
    assert_eq!(desired("bailou-edge-1").await["digest"], json!(v3));
    click_row_action(&client, &format!("{base}/admin/rollouts"), "0.3.0").await;
    eventually(Duration::from_secs(30), "the abort", || async {
        let d = desired("bailou-edge-1").await;
        (d["digest"] == json!(v1)).then_some(())
    })
    .await;
    // The page reloads itself after the call; read it once it has.
    let row = eventually(Duration::from_secs(10), "the aborted row", || async {
        let row = text_of(&client, "table.list tbody tr").await;
        row.contains("已中止").then_some(row)
    })
    .await;
    assert!(row.contains("已回退 1"), "{row}");
    client.close().await.expect("close the browser");
}

/// A district administrator enters next year's holiday arrangement in the
/// browser (工作日历): the list shows the built-in years, the form takes one
/// line per range, and the hotline's deadlines follow at once. The
/// dashboard's warning about a missing year is there exactly when the
/// host says a year is missing (it depends on today's date), and names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_admin_enters_a_years_calendar_in_the_browser() {
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        c.portal_pkg_dir = pkg.clone();
    })
    .await;
    app.install_hotline().await;
    let host = &app.host;
    host.client_as("admin1", vec![Role::DistrictAdmin], &[], true)
        .await;
    let agent = host
        .client_as("agent1", vec![Role::HotlineAgent], &[], true)
        .await;
    let base = serve(host).await;
    let order_due = || async {
        let local = |y: i64, mo: u8, d: u8, h: i64| {
            use bantong_hall_kit::calendar::{day_of, start_of_day};
            start_of_day(day_of(y, mo, d).expect("date")) + h * 3_600_000
        };
        host.state
            .plugins
            .index()
            .set_plugin_clock(Some(local(2026, 12, 28, 9)));
        let r = agent
            .post(
                "/api/plugins/hotline/orders",
                json!({ "category": "town.service", "title": "咨询", "separate": true,
                        "caller_number": "13800000009", "dispatch": true }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
        (
            r.json()["due_ms"].as_i64().expect("due"),
            local(2027, 1, 4, 17) + 30 * 60_000,
            local(2027, 1, 5, 17) + 30 * 60_000,
        )
    };
    let (due, jan4, _) = order_due().await;
    assert_eq!(
        due, jan4,
        "2027-01-01 counts as a working day before 2027 is entered"
    );

    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    log_in(&client, &base, "admin1").await;

    // The dashboard warns when the host says a year is missing.
    let now = bantong_host::identity::now_ms();
    let expected = bantong_host::calendar::warning(&host.state.store, now)
        .await
        .expect("warning");
    open(&client, &format!("{base}/dashboard")).await;
    if let Some(w) = &expected {
        let shown = text_of(&client, "p.notice.warn").await;
        assert!(shown.contains(&format!("{}年", w.missing[0])), "{shown}");
        screenshot(&client, "dashboard-calendar-warning").await;
    }

    // The calendar page: the built-in years, from the menu.
    client
        .find(Locator::Css(r#"nav.menu a[href="/admin/calendar"]"#))
        .await
        .expect("工作日历 in the administration menu")
        .click()
        .await
        .expect("click");
    let table = text_of(&client, "table.list tbody").await;
    assert!(table.contains("2026") && table.contains("2025"), "{table}");
    assert!(
        table.contains("国务院办公厅关于2026年部分节假日安排的通知"),
        "{table}"
    );
    assert_eq!(text_of(&client, "main h1").await, "工作日历");
    screenshot(&client, "calendar").await;
    audit(&client, "calendar").await;

    // Enter 2027 through the form.
    client
        .find(Locator::Css(r#"main a.button[href="/admin/new-calendar"]"#))
        .await
        .expect("the new-year button")
        .click()
        .await
        .expect("click");
    wait_for(&client, "form.schema-form", 10, "the arrangement form").await;
    wait_hydrated(&client).await;
    fill_field(&client, "year", "2027").await;
    fill_field(&client, "notice", "测试用2027年安排").await;
    fill_field(
        &client,
        "holidays",
        "2027-01-01..2027-01-03 元旦\n2027-10-01..2027-10-07 国庆节",
    )
    .await;
    fill_field(&client, "workdays", "2027-09-26 国庆节调休").await;
    screenshot(&client, "calendar-new-year").await;
    audit(&client, "calendar-new-year").await;
    let outcome = submit_form(&client).await;
    assert!(outcome.contains("已提交"), "{outcome}");
    let stored = agent.get("/api/calendar/2027").await.json();
    assert_eq!(
        stored["holidays"],
        json!([
            "2027-01-01..2027-01-03 元旦",
            "2027-10-01..2027-10-07 国庆节"
        ]),
        "{stored}"
    );
    assert_eq!(stored["workdays"], json!(["2027-09-26 国庆节调休"]));

    // The hotline follows: 2027-01-01 is now a day off.
    let (due, _, jan5) = order_due().await;
    assert_eq!(due, jan5);

    // A bad line is refused with the entry named, and nothing changes.
    open(&client, &format!("{base}/admin/edit-calendar/2027")).await;
    fill_field(&client, "holidays", "2027-02-30 春节").await;
    let outcome = submit_form(&client).await;
    assert!(outcome.contains("holidays[0]"), "{outcome}");
    screenshot(&client, "calendar-refused").await;
    let again = agent.get("/api/calendar/2027").await.json();
    assert_eq!(again["holidays"], stored["holidays"]);

    // With 2027 entered, the dashboard's warning is gone unless today
    // expects a later year still.
    let after = bantong_host::calendar::warning(&host.state.store, now)
        .await
        .expect("warning");
    open(&client, &format!("{base}/dashboard")).await;
    wait_for(&client, "ul.hall-grid", 10, "the dashboard").await;
    // The live feed may first replay the screen's last state; it follows
    // the database within its poll interval.
    eventually(Duration::from_secs(10), "the dashboard follows", || async {
        let warned = client.find(Locator::Css("p.notice.warn")).await.is_ok();
        (warned == after.is_some()).then_some(())
    })
    .await;
    screenshot(&client, "dashboard-after-calendar").await;
}

/// A district administrator keeps the service catalogue in Excel: a
/// workbook with wrong rows is refused with every sheet, row and column
/// listed and nothing stored; the corrected one is published and listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_district_admin_imports_the_catalogue_in_the_browser() {
    use bantong_tests::office;
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        c.portal_pkg_dir = pkg.clone();
    })
    .await;
    let host = &app.host;
    let admin = host
        .client_as("admin1", vec![Role::DistrictAdmin], &[], true)
        .await;
    let base = serve(host).await;
    let files = tempfile::tempdir().expect("files");
    let mut bad = office::catalogue_rows();
    bad[2][5] = json!(30);
    bad[4][2] = json!("不存在的窗口");
    office::catalogue_workbook(
        files.path(),
        "事项库-有误.xlsx",
        &bad,
        Some(&office::catalogue_categories()),
    );
    office::catalogue_workbook(
        files.path(),
        "事项库.xlsx",
        &office::catalogue_rows(),
        Some(&office::catalogue_categories()),
    );

    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    log_in(&client, &base, "admin1").await;
    open(&client, &format!("{base}/admin/catalogue")).await;
    wait_for(&client, "#catalogue-file", 10, "the import field").await;
    let menu = text_of(&client, "nav").await;
    assert!(menu.contains("事项库"), "{menu}");
    audit(&client, "catalogue").await;

    client
        .find(Locator::Css("#catalogue-file"))
        .await
        .expect("the import field")
        .send_keys(&files.path().join("事项库-有误.xlsx").display().to_string())
        .await
        .expect("choose the file");
    let problems = text_of(&client, "ul.problems").await;
    for expected in ["事项 第3行「承诺时限(工作日)」", "事项 第5行「窗口类别」"]
    {
        assert!(problems.contains(expected), "{expected} in {problems}");
    }
    screenshot(&client, "catalogue-refused").await;
    assert_eq!(
        admin.get("/api/catalogue").await.json()["version"],
        Value::Null,
        "nothing stored"
    );

    client
        .find(Locator::Css("#catalogue-file"))
        .await
        .expect("the import field")
        .send_keys(&files.path().join("事项库.xlsx").display().to_string())
        .await
        .expect("choose the file");
    eventually(Duration::from_secs(10), "version 1 published", || async {
        (admin.get("/api/catalogue").await.json()["version"] == 1).then_some(())
    })
    .await;
    // The page reloads with the items.
    eventually(Duration::from_secs(10), "the items listed", || async {
        let table = client.find(Locator::Css("table")).await.ok()?;
        let text = table.text().await.ok()?;
        (text.contains("个体工商户设立登记") && text.contains("综合受理")).then_some(())
    })
    .await;
    let page = text_of(&client, "main").await;
    for raw in ["market-access", "comprehensive", "true", "false"] {
        assert!(!page.contains(raw), "raw value {raw:?} on the page: {page}");
    }
    screenshot(&client, "catalogue").await;
    open(&client, &format!("{base}/admin/catalogue-versions")).await;
    let versions = text_of(&client, "table").await;
    assert!(versions.contains("import:事项库.xlsx"), "{versions}");
    screenshot(&client, "catalogue-versions").await;
}

/// Values the plugins store that must never reach a Chinese page as they
/// are: the hotline's states, call statuses and channels, and what an
/// untranslated or missing value looks like.
const RAW_VALUES: &[&str] = &[
    "received",
    "dispatched",
    "signed",
    "in_progress",
    "returned",
    "replied",
    "closed",
    "merged",
    "queued",
    "ringing",
    "talking",
    "ended",
    "phone",
    "message",
    "department",
    "(none)",
    "null",
    "undefined",
    "NaN",
    "[object Object]",
    "{{",
    "}}",
];

/// Text on the page that looks like a raw value: one of [`RAW_VALUES`] as
/// a word, or a snake_case identifier.
fn raw_values(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "_(){}[]".contains(c))) {
        if word.is_empty() {
            continue;
        }
        let snake = word.contains('_')
            && word
                .split('_')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()));
        if snake || RAW_VALUES.contains(&word) {
            found.push(word.to_owned());
        }
    }
    for marker in ["(none)", "[object Object]", "{{"] {
        if text.contains(marker) {
            found.push(marker.to_owned());
        }
    }
    found
}

/// Now, ms since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// This month in hall time, `YYYY-MM`.
fn this_month() -> String {
    bantong_supervision::month::Month::of_ms(now_ms()).to_string()
}

/// Each role's home page and menu with every installed module, in
/// Chromium, screenshotted: window staff and the hall manager see the
/// orders their hall must sign; the district administrator sees the
/// month's figures with numerator, denominator and trend. Then every view
/// the administrator can open is rendered in Chinese, with data in it,
/// and no page shows a raw value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_has_a_home_page_and_every_view_speaks_chinese() {
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        c.portal_pkg_dir = pkg.clone();
        bantong_tests::app::with_visitor_log(c);
    })
    .await;
    app.install_hotline().await;
    app.install_fixture("fixture").await;
    app.install_visitor_log().await;
    app.install_supervision().await;
    app.install_reporting().await;
    app.install_training().await;
    let host = &app.host;
    let admin = host
        .client_as("admin1", vec![Role::DistrictAdmin], &[], true)
        .await;
    // Supervision: an inspector plans the month and finds one problem at
    // 五尧乡 (not at bailou, whose tiles below count the hotline's orders).
    let inspector = host
        .client_as("inspector1", vec![Role::Inspector], &["wuyao"], true)
        .await;
    let plan = inspector
        .post(
            "/api/plugins/supervision/plans",
            json!({ "month": this_month() }),
        )
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{}", plan.json());
    let mut answers = serde_json::Map::new();
    for (_, item) in bantong_supervision::template::default_template().items() {
        answers.insert(item.code.clone(), json!({ "verdict": "pass" }));
    }
    let photo = {
        use bantong_edge::camera::{CameraSource, Scene, SimulatedCamera, jpeg};
        let frame = SimulatedCamera::new("phone", Scene::ClerkSeated, 5.0, 0)
            .next_frame()
            .expect("frame");
        let req = http::Request::builder()
            .method("POST")
            .uri("/api/blobs?hall=wuyao")
            .header("content-type", "image/jpeg")
            .header(
                "authorization",
                format!("Bearer {}", inspector.token.clone().unwrap_or_default()),
            )
            .body(axum::body::Body::from(jpeg(&frame).expect("jpeg")))
            .expect("request");
        inspector.raw(req).await.json()["sha256"].clone()
    };
    answers.insert(
        "4.2".into(),
        json!({ "verdict": "fail", "occurrences": 1, "note": "政策解读有偏差",
                "evidence": [{ "sha256": photo, "place": "综合受理窗口" }] }),
    );
    let visit = "visit-wuyao-home-test";
    let r = inspector
        .put(
            &format!("/api/plugins/supervision/inspections/{visit}"),
            json!({ "hall": "wuyao", "answers": answers }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let r = inspector
        .post(
            &format!("/api/plugins/supervision/inspections/{visit}/sign"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    let problem_id = r.json()["problems"][0]
        .as_str()
        .expect("a problem")
        .to_owned();
    let wuyao_manager = host
        .client_as("manager2", vec![Role::HallManager], &["wuyao"], false)
        .await;
    host.client_as("staff1", vec![Role::WindowStaff], &["bailou"], false)
        .await;
    host.client_as("manager1", vec![Role::HallManager], &["bailou"], false)
        .await;
    let agent = host
        .client_as("agent1", vec![Role::HotlineAgent], &[], true)
        .await;
    // Work for bailou: two orders dispatched to it, one taken further.
    for (title, number) in [("路灯不亮", "13800000001"), ("证明开具咨询", "13800000002")]
    {
        let r = agent
            .post(
                "/api/plugins/hotline/orders",
                json!({ "category": "town.service", "title": title, "separate": true,
                        "caller_number": number, "dispatch": true }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    }
    let r = agent
        .put(
            "/api/catalogue",
            json!({ "catalogue": { "items": [
            { "code": "130606-MS-0001", "name": "社会保障卡补领", "category": "livelihood",
              "department": "区人力资源和社会保障局", "statutory_days": 20, "promised_days": 5,
              "materials": ["居民身份证原件"], "self_service": true } ] } }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "agents do not publish the catalogue"
    );
    let r = admin
        .put(
            "/api/catalogue",
            json!({ "catalogue": { "items": [
            { "code": "130606-MS-0001", "name": "社会保障卡补领", "category": "livelihood",
              "department": "区人力资源和社会保障局", "statutory_days": 20, "promised_days": 5,
              "materials": ["居民身份证原件"], "self_service": true } ] } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());

    // Last month's report, drafted by hand (the schedule does it on the 1st).
    let last_month = bantong_reporting::month::Month::of_ms(now_ms()).previous();
    let r = admin
        .post(
            "/api/plugins/reporting/reports",
            json!({ "month": last_month.to_string() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let report_id = r.json()["id"].as_str().expect("id").to_owned();

    let base = serve(host).await;
    let driver = start_driver().await;

    for (username, shot, expected) in [
        (
            "staff1",
            "home-window-staff",
            &["今日待办", "待签收工单", "督办中的工单"][..],
        ),
        (
            "manager1",
            "home-hall-manager",
            &["今日待办", "待签收工单"][..],
        ),
        (
            "admin1",
            "home-district-admin",
            &[
                "今日待办",
                "本月按时办结率",
                "本月满意率",
                "系统管理",
                "事项库",
                "本月月覆盖率",
                "待复查整改报告",
            ][..],
        ),
    ] {
        let profile = tempfile::tempdir().expect("profile dir");
        let client = browser(&driver, profile.path()).await;
        log_in(&client, &base, username).await;
        open(&client, &format!("{base}/")).await;
        wait_for(&client, "section.today li.tile", 10, "today's tiles").await;
        let page = text_of(&client, "body").await;
        for e in expected {
            assert!(page.contains(e), "{username}: {e} in {page}");
        }
        if username != "admin1" {
            // The two orders dispatched to bailou wait to be signed.
            let to_sign = text_of(&client, "li.count-tile.warn .tile-value").await;
            assert_eq!(to_sign, "2", "{username}");
        } else {
            let basis = text_of(&client, "li.figure-tile .tile-basis").await;
            assert!(basis.contains(" / "), "{basis}");
        }
        let raw = raw_values(&page);
        assert!(
            raw.is_empty(),
            "{username}: raw values {raw:?} on the home page"
        );
        // The menu holds pages only, grouped by module.
        let menu = text_of(&client, "nav").await;
        for absent in [
            "立即督办检查",
            "导出工单",
            "热线待办",
            "监督待办",
            "立即检查逾期问题",
        ] {
            assert!(
                !menu.contains(absent),
                "{username}: {absent} in the menu {menu}"
            );
        }
        screenshot(&client, shot).await;
        audit(&client, shot).await;
        client.close().await.expect("close");
    }

    // Every view the administrator can open, in Chinese.
    let views = admin.get("/api/portal/views").await.json();
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    log_in(&client, &base, "admin1").await;
    let mut opened = Vec::new();
    for v in views["items"].as_array().expect("views") {
        let plugin = v["plugin"].as_str().unwrap_or_default();
        let id = v["id"].as_str().unwrap_or_default();
        let kind = v["kind"].as_str().unwrap_or_default();
        if plugin.is_empty() || kind == "action" || v["spec"]["tiles"] == true {
            continue;
        }
        let href = match v["spec"]["page"]["id"].as_str() {
            Some(page) => format!("/p/{plugin}/{page}"),
            None if kind == "detail" => continue,
            None => format!("/v/{plugin}/{id}"),
        };
        if opened.contains(&href) {
            continue;
        }
        open(&client, &format!("{base}{href}")).await;
        // Data loaded (or an honest empty state), not a spinner.
        eventually(Duration::from_secs(10), "the view loads", || async {
            let text = client
                .find(Locator::Css("main"))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            (!text.contains("加载中")).then_some(())
        })
        .await;
        let text = text_of(&client, "main").await;
        let raw = raw_values(&text);
        assert!(raw.is_empty(), "{href}: raw values {raw:?} in {text}");
        opened.push(href);
    }
    assert!(opened.len() >= 10, "views opened: {opened:?}");

    // The report's page: its state, its files, its steps as buttons. Its
    // files are still being made (no worker runs in this test until now):
    // the page says so, then fills in by itself as the stages run.
    open(&client, &format!("{base}/v/reporting/report/{report_id}")).await;
    wait_for(&client, "p.record-actions a", 10, "the report's actions").await;
    let page = text_of(&client, "main").await;
    for e in [
        format!("{}政务服务监督检查月报", last_month.zh()),
        "草稿".to_owned(),
        "PDF（印发稿）".to_owned(),
        "编辑文字部分".to_owned(),
        "审核、审批与印发".to_owned(),
        "正在读取各模块数据（第1步，共5步）".to_owned(),
    ] {
        assert!(page.contains(&e), "{e} in {page}");
    }
    let raw = raw_values(&page);
    assert!(raw.is_empty(), "raw values {raw:?} in {page}");
    screenshot(&client, "reporting-report-generating").await;
    while bantong_host::workers::deliver_once(&host.state).await > 0 {}
    let preview = wait_for(
        &client,
        ".pages-preview img",
        20,
        "the preview's pages, without a reload",
    )
    .await;
    let alt = preview.attr("alt").await.expect("alt").unwrap_or_default();
    assert!(alt.starts_with("第 1 页，共 "), "{alt}");
    let page = text_of(&client, "main").await;
    assert!(page.contains("已生成"), "{page}");
    eventually(Duration::from_secs(10), "the first page drawn", || async {
        let loaded = client
            .execute(
                "const i = document.querySelector('.pages-preview img'); return i && i.complete && i.naturalWidth;",
                vec![],
            )
            .await
            .ok()?;
        (loaded.as_u64() == Some(1000)).then_some(())
    })
    .await;
    client
        .execute(
            "document.querySelector('.pages-preview').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll to the preview");
    screenshot(&client, "reporting-report-draft").await;
    client.close().await.expect("close");

    // The administrator revises the checklist in the portal: version 1's
    // page, 修订检查表, the JSON with 1.6 weighing 3, published as version 2.
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    log_in(&client, &base, "admin1").await;
    open(&client, &format!("{base}/v/supervision/template/1")).await;
    wait_for(&client, "p.record-actions a", 10, "the checklist's actions")
        .await
        .click()
        .await
        .expect("open the edit form");
    wait_hydrated(&client).await;
    let textarea = wait_for(&client, "#field-template", 10, "the checklist JSON").await;
    let mut template: Value = serde_json::from_str(
        &textarea
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default(),
    )
    .expect("the form starts from version 1");
    assert_eq!(template["categories"][0]["items"][5]["title"], "按时在岗");
    template["categories"][0]["items"][5]["weight"] = json!(3);
    client
        .execute(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
            vec![serde_json::to_value(&textarea).expect("element"), json!(template.to_string())],
        )
        .await
        .expect("edit the JSON");
    fill_field(&client, "note", "在岗权重加大").await;
    let outcome = submit_form(&client).await;
    let v2 = admin
        .get("/api/plugins/supervision/templates/current")
        .await
        .json();
    assert_eq!(v2["version"], 2, "{outcome}: {v2}");
    assert_eq!(v2["template"]["categories"][0]["items"][5]["weight"], 3);
    screenshot(&client, "supervision-template-revised").await;
    client.close().await.expect("close");

    // 五尧乡's manager signs for the problem from its page, on a phone.
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    client.set_window_size(360, 740).await.expect("resize");
    log_in(&client, &base, "manager2").await;
    open(
        &client,
        &format!("{base}/v/supervision/problem/{problem_id}"),
    )
    .await;
    assert!(text_of(&client, "main").await.contains("政策掌握"));
    wait_for(&client, "main a.photo img", 10, "the evidence photo").await;
    screenshot(&client, "supervision-problem-phone").await;
    wait_for(&client, "p.record-actions a", 10, "the problem's actions")
        .await
        .click()
        .await
        .expect("open the action form");
    wait_hydrated(&client).await;
    wait_for(&client, "#field-action", 10, "the action field")
        .await
        .select_by_value("sign")
        .await
        .expect("choose 签收");
    let outcome = submit_form(&client).await;
    let state = wuyao_manager
        .get(&format!("/api/plugins/supervision/problems/{problem_id}"))
        .await
        .json();
    assert_eq!(state["state"], "rectifying", "{outcome}: {state}");
    let (w, window) = fits_width(&client).await;
    assert!(w <= window, "the action form fits 360 px: {w} > {window}");
    screenshot(&client, "supervision-problem-signed-phone").await;
}

/// A TCP proxy in front of the host whose link can be cut: cutting closes
/// every open connection and refuses new ones, as a phone losing its
/// network would see it; restoring lets connections through again.
struct Link {
    base: String,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Link {
    async fn to(backend: &str) -> Link {
        use std::sync::atomic::Ordering;
        let backend: SocketAddr = backend
            .trim_start_matches("http://")
            .parse()
            .expect("backend address");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, o) = (cut.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if c.load(Ordering::SeqCst) {
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                o.lock().expect("lock").push(task);
            }
        });
        Link { base, cut, open }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for task in self.open.lock().expect("lock").drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Clicks `css` after scrolling it to the middle of the screen (the
/// phone layout has a fixed footer).
async fn click_centred(client: &Client, css: &str) {
    let el = wait_for(client, css, 10, css).await;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&el).expect("element")],
        )
        .await
        .expect("scroll");
    el.click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// How many inspections the plugin holds, and the first one.
async fn inspections(inspector: &bantong_tests::app::Client) -> (u64, Value) {
    let list = inspector
        .get("/api/plugins/supervision/inspections?limit=10")
        .await
        .json();
    (
        list["total"].as_u64().unwrap_or(0),
        list["items"][0].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_fills_a_visit_offline_on_a_phone_and_it_arrives_once() {
    use bantong_edge::camera::{CameraSource, Scene, SimulatedCamera, jpeg};
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        c.portal_pkg_dir = pkg.clone();
    })
    .await;
    let host = &app.host;
    let inspector = host
        .client_as("inspector1", vec![Role::Inspector], &["bailou"], true)
        .await;
    app.install_supervision().await;
    let link = Link::to(&serve(host).await).await;
    let base = link.base.clone();

    // A photo as a phone camera would give it.
    let dir = tempfile::tempdir().expect("dir");
    let photo = dir.path().join("window-3.jpg");
    let frame = SimulatedCamera::new("phone", Scene::ClerkSeated, 5.0, 0)
        .next_frame()
        .expect("frame");
    std::fs::write(&photo, jpeg(&frame).expect("jpeg")).expect("photo");

    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    client.set_window_size(360, 740).await.expect("resize");
    log_in(&client, &base, "inspector1").await;

    // The portal's menu leads to the field app, which installs itself.
    client
        .goto(&format!("{base}/v/supervision/inspect"))
        .await
        .expect("open");
    wait_hydrated(&client).await;
    wait_for(
        &client,
        "a[href='/field/#supervision/inspect']",
        10,
        "the link to the field app",
    )
    .await;
    client
        .goto(&format!("{base}/field/#supervision/inspect"))
        .await
        .expect("open the field app");
    wait_for(
        &client,
        "select#hall option[value=bailou]",
        20,
        "the new-visit form",
    )
    .await;
    wait_for(
        &client,
        "body[data-offline-ready]",
        20,
        "the page kept for offline use",
    )
    .await;
    assert_eq!(text_of(&client, "header.bar h1").await, "现场检查");
    click_centred(&client, "form button[type=submit]").await;
    wait_for(&client, ".item[data-item='9.1']", 10, "the checklist").await;

    // The network goes; the inspector carries on.
    link.cut();
    let codes = [
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1",
        "5.2", "5.3", "6.1", "6.2", "7.1", "7.2", "8.1", "8.2", "9.1",
    ];
    for code in codes {
        let verdict = if code == "1.6" { "fail" } else { "pass" };
        click_centred(
            &client,
            &format!(".item[data-item='{code}'] button[data-verdict={verdict}]"),
        )
        .await;
    }
    wait_for(&client, "#note-1\\.6", 10, "the failure's note")
        .await
        .send_keys("3号窗口空岗，无替岗")
        .await
        .expect("type");
    wait_for(&client, "#place-1\\.6", 10, "the place")
        .await
        .send_keys("3号窗口")
        .await
        .expect("type");
    wait_for(&client, "input[data-photo='1.6']", 10, "the photo input")
        .await
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose the photo");
    wait_for(
        &client,
        ".item[data-item='1.6'] .photos img",
        10,
        "the photo thumbnail",
    )
    .await;
    let (w, window) = fits_width(&client).await;
    assert!(w <= window, "the checklist fits 360 px: {w} > {window}");
    screenshot(&client, "field-offline-phone").await;

    // Offline, the page reloads from the device and the visit is still there.
    client.refresh().await.expect("reload offline");
    wait_for(
        &client,
        "li[data-visit] button",
        20,
        "the visit kept on the device",
    )
    .await;
    assert!(
        text_of(&client, "li[data-visit]")
            .await
            .contains("仅保存在本机")
    );
    click_centred(&client, "li[data-visit] button").await;
    wait_for(
        &client,
        ".item[data-item='1.6'] button[data-verdict=fail][aria-pressed=true]",
        10,
        "the answers kept",
    )
    .await;
    wait_for(
        &client,
        ".item[data-item='1.6'] .photos img",
        10,
        "the photo kept",
    )
    .await;
    accept_confirmations(&client).await;
    click_centred(&client, "#sign").await;
    wait_for(&client, "li[data-visit]", 10, "back on the list").await;
    assert!(
        text_of(&client, "li[data-visit]").await.contains("已签字"),
        "signed on the device"
    );
    assert!(
        text_of(&client, "#net").await.contains("离线"),
        "the link is shown as down"
    );
    screenshot(&client, "field-signed-offline-phone").await;
    assert_eq!(
        inspections(&inspector).await.0,
        0,
        "nothing reached the host yet"
    );

    // The network returns: the visit arrives, once, with its stamped photo.
    link.restore();
    let (n, visit) = eventually(Duration::from_secs(60), "the visit arrives", || async {
        let (n, v) = inspections(&inspector).await;
        (n > 0 && v["status"] == "signed").then_some((n, v))
    })
    .await;
    assert_eq!(n, 1);
    assert_eq!(visit["hall"], "bailou");
    assert_eq!(
        visit["score_text"], "95.45 分",
        "21 of 22 items passed: {visit}"
    );
    let problems = inspector
        .get("/api/plugins/supervision/problems")
        .await
        .json();
    assert_eq!(problems["total"], 1, "{problems}");
    let problem = inspector
        .get(&format!(
            "/api/plugins/supervision/problems/{}",
            problems["items"][0]["id"].as_str().unwrap_or("")
        ))
        .await
        .json();
    let evidence = &problem["evidence"][0];
    assert_eq!(evidence["place"], "3号窗口", "{problem}");
    assert!(evidence["taken_ms"].as_i64().is_some(), "{problem}");
    let stamped = inspector
        .get(&format!(
            "/api/blobs/{}",
            evidence["sha256"].as_str().unwrap_or("")
        ))
        .await;
    assert_eq!(stamped.status, StatusCode::OK);
    assert_eq!(&stamped.body[..3], &[0xff, 0xd8, 0xff], "a JPEG");
    assert_ne!(
        stamped.body,
        std::fs::read(&photo).expect("photo"),
        "stamped, not the raw file"
    );
    std::fs::write(
        screenshots_dir().join("field-stamped-photo.jpg"),
        &stamped.body,
    )
    .expect("save");

    // Another reload sends nothing twice.
    client
        .goto(&format!("{base}/field/"))
        .await
        .expect("reload");
    wait_for(
        &client,
        "li[data-visit] .tag.done",
        30,
        "the visit marked sent",
    )
    .await;
    screenshot(&client, "field-synced-phone").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(inspections(&inspector).await.0, 1, "no duplicate");
}

/// A citizen scans the hall's QR code with a phone: the public answer page
/// at 360 px, no login, a bad rating with its reason, the thanks, and a
/// second answer the same day recognised; the inspector's page of QR codes
/// draws them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_answers_the_halls_survey_on_a_phone() {
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        c.portal_pkg_dir = pkg.clone();
    })
    .await;
    let host = &app.host;
    let inspector = host
        .client_as("inspector1", vec![Role::Inspector], &["bailou"], true)
        .await;
    app.install_supervision().await;
    let base = serve(host).await;
    let issued = inspector
        .post(
            "/api/plugins/supervision/surveys/links",
            json!({ "hall": "bailou", "channel": "on_site" }),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.json());
    let url = issued.json()["items"][0]["url"]
        .as_str()
        .expect("url")
        .to_owned();

    let driver = start_driver().await;
    // The inspector's page of posters draws each link's QR code.
    let staff_profile = tempfile::tempdir().expect("profile dir");
    let staff = browser(&driver, staff_profile.path()).await;
    log_in(&staff, &base, "inspector1").await;
    open(&staff, &format!("{base}/v/supervision/survey-links")).await;
    wait_for(&staff, "a.qr img", 10, "the QR code").await;
    eventually(Duration::from_secs(5), "the QR code image loads", || async {
        staff
            .execute(
                "const i = document.querySelector('a.qr img'); return i.complete && i.naturalWidth > 0;",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .filter(|loaded| *loaded)
    })
    .await;
    screenshot(&staff, "survey-qr-codes").await;
    staff.close().await.expect("close");

    // A phone that never logged in.
    let profile = tempfile::tempdir().expect("profile dir");
    let phone = browser(&driver, profile.path()).await;
    phone.set_window_size(360, 740).await.expect("resize");
    phone
        .goto(&format!("{base}{url}"))
        .await
        .expect("open the QR link");
    wait_for(
        &phone,
        "fieldset[data-id=overall] button",
        10,
        "the questionnaire",
    )
    .await;
    assert_eq!(text_of(&phone, "header.bar h1").await, "政务服务满意度调查");
    assert!(
        !text_of(&phone, "p.hall").await.is_empty(),
        "the hall is named"
    );
    screenshot(&phone, "survey-form-phone").await;
    // Sending with questions unanswered says how many.
    click_centred(&phone, "button.submit").await;
    assert!(
        text_of(&phone, "p.alert")
            .await
            .contains("4 个必答题未回答"),
        "the required questions are counted"
    );
    click_centred(&phone, "fieldset[data-id=overall] button[data-value='2']").await;
    wait_for(
        &phone,
        "fieldset[data-id=overall] .reasons:not([hidden])",
        5,
        "the reasons",
    )
    .await;
    click_centred(
        &phone,
        "fieldset[data-id=overall] .reasons button[data-value='等候时间长']",
    )
    .await;
    for (q, v) in [("efficiency", "2"), ("competence", "4"), ("attitude", "4")] {
        click_centred(
            &phone,
            &format!("fieldset[data-id={q}] button[data-value='{v}']"),
        )
        .await;
    }
    click_centred(&phone, "fieldset[data-id=once] button[data-value='否']").await;
    wait_for(
        &phone,
        "fieldset[data-id=suggestion] textarea",
        5,
        "the suggestion",
    )
    .await
    .send_keys("取号后等了四十分钟，希望高峰时多开窗口。")
    .await
    .expect("type");
    let (width, viewport) = fits_width(&phone).await;
    assert!(
        width <= viewport,
        "the form fits a 360 px screen ({width} > {viewport})"
    );
    screenshot(&phone, "survey-form-answered").await;
    click_centred(&phone, "button.submit").await;
    let thanks = text_of(&phone, "p.ok").await;
    assert!(thanks.contains("感谢您的评价"), "{thanks}");
    screenshot(&phone, "survey-thanks").await;
    let answers = inspector
        .get("/api/plugins/supervision/surveys/answers")
        .await
        .json();
    assert_eq!(answers["total"], 1, "{answers}");
    assert_eq!(answers["items"][0]["overall_zh"], "不满意");
    assert_eq!(answers["items"][0]["reasons"][0], "等候时间长");
    assert_eq!(answers["items"][0]["channel_zh"], "现场扫码");

    // The same phone again today: recognised, not counted twice.
    phone
        .goto(&format!("{base}{url}"))
        .await
        .expect("open again");
    wait_for(
        &phone,
        "fieldset[data-id=overall] button",
        10,
        "the questionnaire",
    )
    .await;
    for q in ["overall", "efficiency", "competence", "attitude"] {
        click_centred(
            &phone,
            &format!("fieldset[data-id={q}] button[data-value='5']"),
        )
        .await;
    }
    click_centred(&phone, "button.submit").await;
    assert!(text_of(&phone, "p.ok").await.contains("今天已经评价过"));
    let answers = inspector
        .get("/api/plugins/supervision/surveys/answers")
        .await
        .json();
    assert_eq!(answers["total"], 1, "one answer per phone and day");
    phone.close().await.expect("close");
}

/// The command screen on a 1920×1080 wall screen: the district's 17 halls,
/// each with a live agent (one simulator process runs all of them over
/// MQTT), inspections scored this month, 好差评 from the keypads and today's
/// queue summaries (applied through the host's ingest). Every hall's card
/// is online with its figures, the ranking is drawn, nothing overflows the
/// screen; the screenshot is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_screen_fills_a_wall_with_17_live_halls() {
    use bantong_hall_kit::district::HALLS;
    use bantong_store::{EdgeBatch, EdgeEventIn};
    use bantong_tests::edge::{BrokerKind, Installation, Simulator, enrol_in_process, wait_online};
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let Installation {
        app,
        host,
        admin: _,
        mosquitto: _mosquitto,
    } = Installation::start_with(Backend::Sqlite, BrokerKind::Embedded, &[], |c| {
        c.portal_pkg_dir = pkg.clone();
    })
    .await;
    app.create_district_halls().await;
    app.install_supervision().await;
    app.install_hotline().await;
    app.install_reporting().await;
    let state = &app.host.state;

    // One live agent per hall.
    let agents: Vec<(String, String)> = HALLS
        .iter()
        .map(|h| (h.id.to_owned(), format!("{}-edge", h.id)))
        .collect();
    let _sim = Simulator::start_in_halls(
        env!("CARGO_BIN_EXE_edge-under-test"),
        state,
        &host.url(),
        &app.db.dir.path().join("sim"),
        &agents,
    )
    .await;
    wait_online(state, HALLS.len(), Duration::from_secs(90)).await;

    // This month's visits: 0-3 failed items by hall.
    let inspector = app
        .host
        .client_as("inspector-1", vec![Role::Inspector], &[], true)
        .await;
    let s = "/api/plugins/supervision";
    for (i, h) in HALLS.iter().enumerate() {
        let id = format!("visit-{}", h.id);
        let r = inspector
            .put(
                &format!("{s}/inspections/{id}"),
                json!({ "hall": h.id, "answers": bantong_tests::supervision::answers(i % 4) }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
        let r = inspector
            .post(&format!("{s}/inspections/{id}/sign"), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json());
    }

    // Each hall's keypads and queue: ratings and today's summary, from a
    // second (kiosk) agent per hall, through the host's batch apply.
    let now = bantong_host::identity::now_ms();
    let day = bantong_hall_kit::time::date_of_day(bantong_hall_kit::time::local_day(now));
    let index = state.plugins.index();
    let subscribers = move |topic: &str| index.subscribers(topic);
    let mut batches = Vec::new();
    for (i, h) in HALLS.iter().enumerate() {
        let agent = format!("{}-kiosk", h.id);
        enrol_in_process(state, h.id, &agent).await;
        let n = i as i64;
        let mut events: Vec<EdgeEventIn> = (0..(6 + n % 5))
            .map(|k| {
                let score = if k == 0 && i % 3 == 0 { 2 } else { 5 - (k % 2) };
                EdgeEventIn {
                    seq: k + 1,
                    ts_ms: now,
                    kind: "haocha.rating".into(),
                    source: "rating".into(),
                    subject: None,
                    data: json!({ "id": format!("{agent}:{k}"), "score": score, "rated_at": now - k * 60_000 })
                        .to_string(),
                    attachment: None,
                }
            })
            .collect();
        let served = 40 + 7 * n;
        events.push(EdgeEventIn {
            seq: events.len() as i64 + 1,
            ts_ms: now,
            kind: "queue.summary".into(),
            source: "queue".into(),
            subject: None,
            data: json!({ "day": day, "at_ms": now, "categories": [], "windows": [],
                "totals": { "issued": served + 3 + n % 6, "served": served, "missed": 1,
                    "cancelled": 0, "waiting": n % 6, "active": 2, "miss_events": 1,
                    "avg_wait_s": 180 + 20 * n } })
            .to_string(),
            attachment: None,
        });
        batches.push(EdgeBatch { agent, events });
    }
    state
        .store
        .apply_edge_batches(batches, &subscribers)
        .await
        .expect("applied");
    while bantong_host::workers::deliver_once(state).await > 0 {}

    let base = host.url();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    client.set_window_size(1920, 1080).await.expect("resize");
    log_in(&client, &base, "admin").await;
    open(&client, &format!("{base}/dashboard")).await;
    wait_for(&client, ".live .dot.on", 15, "the live feed connects").await;
    let online = eventually(Duration::from_secs(20), "17 halls online", || async {
        let n = client
            .find_all(Locator::Css(".hall-card.online"))
            .await
            .ok()?
            .len();
        (n == HALLS.len()).then_some(n)
    })
    .await;
    assert_eq!(online, 17);
    let ranks = client
        .find_all(Locator::Css(".hall-card .hall-rank"))
        .await
        .expect("ranks")
        .len();
    assert_eq!(ranks, HALLS.len(), "every hall was scored this month");
    let totals = text_of(&client, ".command-totals").await;
    assert!(
        totals.contains("今日办结")
            && totals.contains("热线今日来电")
            && totals.contains("在改问题"),
        "{totals}"
    );
    let first = text_of(&client, ".hall-grid li:first-child").await;
    assert!(
        first.contains("第1名") && first.contains("今日办结") && first.contains("本月好评率"),
        "{first}"
    );
    assert!(
        text_of(&client, ".command-side")
            .await
            .contains("本月得分排名"),
        "the ranking chart"
    );
    let overflow = client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .expect("measure");
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "no sideways scroll: {overflow}"
    );
    screenshot(&client, "command-screen-1920x1080").await;
    audit(&client, "command screen").await;
    client.close().await.expect("close the browser");
}

/// Clicks the option of the question on screen whose text is `text`.
async fn choose_option(client: &Client, text: &str) {
    let xpath = format!(
        "//section[contains(@class,'exam-question')]//label[contains(@class,'exam-option')][span[normalize-space(.)='{text}']]"
    );
    let el = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("option {text}: {e}"));
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&el).expect("element")],
        )
        .await
        .expect("scroll");
    el.click()
        .await
        .unwrap_or_else(|e| panic!("click {text}: {e}"));
}

/// Waits until the exam page's network line reads `text`.
async fn net_status(client: &Client, text: &str) {
    eventually(Duration::from_secs(20), text, || async {
        let t = client
            .find(Locator::Css(".exam-net"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        t.contains(text).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_sits_an_exam_on_a_phone_through_a_network_cut() {
    let app = training_app().await;
    let host = &app.host;
    let author = host
        .client_as("trainer-a", vec![Role::HrOfficer], &[], true)
        .await;
    let reviewer = host
        .client_as("trainer-b", vec![Role::HrOfficer], &[], true)
        .await;
    let staff = host
        .client_as("zhangli", vec![Role::WindowStaff], &["bailou"], false)
        .await;
    const T: &str = "/api/plugins/training";
    // Four questions written in the portal's terms, approved by a second
    // trainer.
    let questions = [
        json!({ "kind": "single", "stem": "群众到窗口咨询非本窗口业务时，工作人员应当？",
                "options": ["告知“不归我管”", "按首问负责制引导或代为联系", "请群众自行查询"],
                "answer": "B", "marks": 25, "knowledge": "首问负责", "difficulty": "easy" }),
        json!({ "kind": "multiple", "stem": "一次性告知应当告知哪些内容？",
                "options": ["办理依据", "工作人员家庭住址", "申请材料", "办理时限"],
                "answer": "ACD", "marks": 25, "knowledge": "一次性告知", "difficulty": "medium" }),
        json!({ "kind": "true_false", "stem": "政务服务事项可以要求群众提供本部门已有的材料。",
                "answer": "错", "marks": 25, "knowledge": "减证便民", "difficulty": "easy" }),
        json!({ "kind": "fill_in", "stem": "综合窗口实行“____受理、后台分类审批、统一窗口出件”。",
                "answer": "前台综合", "marks": 25, "knowledge": "综窗国家标准", "difficulty": "medium" }),
    ];
    let mut ids = Vec::new();
    for q in questions {
        let r = author.post(&format!("{T}/questions"), q).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
        let id = r.json()["id"].as_str().unwrap_or_default().to_owned();
        let r = reviewer
            .post(
                &format!("{T}/questions/{id}/review"),
                json!({ "action": "approve" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json());
        ids.push(id);
    }
    // The exam opens now (the real clock: the browser counts down).
    let fmt = bantong_hall_kit::time::local_time;
    let now = now_ms();
    let r = author
        .post(
            &format!("{T}/exams"),
            json!({ "title": "窗口业务周考", "kind": "weekly", "opens": fmt(now - 120_000),
                    "closes": fmt(now + 3 * 3_600_000), "minutes": 30, "questions": ids,
                    "notice": "请独立作答，不得翻阅资料。" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let exam = r.json()["id"].as_str().unwrap_or_default().to_owned();

    let link = Link::to(&serve(host).await).await;
    let base = link.base.clone();
    let driver = start_driver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;
    client.set_window_size(360, 740).await.expect("resize");
    log_in(&client, &base, "zhangli").await;

    // My exams → the exam's page → start.
    open(&client, &format!("{base}/v/training/my-exams")).await;
    let page = text_of(&client, "main").await;
    assert!(
        page.contains("窗口业务周考") && page.contains("可参加"),
        "{page}"
    );
    open(&client, &format!("{base}/v/training/my-exam/{exam}")).await;
    let start = wait_for(&client, "p.record-actions a", 10, "the start button").await;
    assert_eq!(start.text().await.expect("text"), "参加考试");
    start.click().await.expect("click");
    wait_hydrated(&client).await;
    let page = text_of(&client, "main").await;
    assert!(
        page.contains("请独立作答") && page.contains("少选且所选均正确得一半分"),
        "{page}"
    );
    screenshot(&client, "training-exam-rules").await;
    click_centred(&client, "button.exam-start").await;
    wait_for(&client, ".exam-question", 10, "the first question").await;
    let first = text_of(&client, ".exam-stem").await;

    // Answer what is on screen, question by question; the network goes
    // after the first answer.
    let right = |stem: &str| -> Vec<&'static str> {
        if stem.contains("咨询") {
            vec!["按首问负责制引导或代为联系"]
        } else if stem.contains("一次性告知") {
            vec!["办理依据", "申请材料"] // two of three: half marks
        } else {
            vec![]
        }
    };
    let mut stem = first;
    for n in 0..4 {
        if n == 1 {
            link.cut();
        }
        if stem.contains("减证便民") || stem.contains("已有的材料") {
            choose_option(&client, "错误").await;
        } else if stem.contains("____") {
            let input = wait_for(&client, ".exam-blank input", 10, "the blank").await;
            input.send_keys("前台综合").await.expect("type");
            // The answer is given when the field is left.
            client
                .execute("document.activeElement.blur();", vec![])
                .await
                .expect("blur");
        } else {
            for text in right(&stem) {
                choose_option(&client, text).await;
            }
        }
        if n == 0 {
            net_status(&client, "答案已保存").await;
        }
        if n == 1 {
            net_status(&client, "网络已断开").await;
            screenshot(&client, "training-exam-offline").await;
        }
        if n < 3 {
            click_centred(&client, ".exam-nav button:last-child").await;
            eventually(Duration::from_secs(5), "the next question", || async {
                let s = client
                    .find(Locator::Css(".exam-stem"))
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                (s != stem).then_some(s)
            })
            .await;
            stem = text_of(&client, ".exam-stem").await;
        }
    }
    let (w, window) = fits_width(&client).await;
    assert!(w <= window, "the exam fits 360 px: {w} > {window}");

    // The network comes back: the waiting answers go by themselves.
    link.restore();
    net_status(&client, "答案已保存").await;
    // The page is reloaded (a phone that dropped the tab): the sitting
    // resumes with its four answers.
    open(&client, &format!("{base}/v/training/take-exam/{exam}")).await;
    let again = wait_for(&client, "button.exam-start", 10, "continue").await;
    assert_eq!(again.text().await.expect("text"), "继续答题");
    click_centred(&client, "button.exam-start").await;
    wait_for(&client, ".exam-question", 10, "the question").await;
    eventually(
        Duration::from_secs(10),
        "four answers on the card",
        || async {
            let n = client
                .find_all(Locator::Css(".card-cell.done"))
                .await
                .ok()?
                .len();
            (n == 4).then_some(())
        },
    )
    .await;
    screenshot(&client, "training-exam-resumed").await;
    accept_confirmations(&client).await;
    click_centred(&client, "button.exam-submit").await;
    wait_for(&client, ".exam-result", 10, "the result").await;
    let result = text_of(&client, ".exam-result").await;
    // 25 + 12.5 + 25 + 25 = 87.5 of 100.
    assert!(
        result.contains("87.5") && result.contains("合格"),
        "{result}"
    );
    screenshot(&client, "training-exam-result").await;
    let (w, window) = fits_width(&client).await;
    assert!(w <= window, "the result fits 360 px: {w} > {window}");

    let mine = staff.get(&format!("{T}/my/results")).await.json();
    assert_eq!(mine["items"][0]["score"], 87.5, "{mine}");
    let sittings = author
        .get(&format!("{T}/exams/{exam}/sittings"))
        .await
        .json();
    let zhang = sittings["items"]
        .as_array()
        .and_then(|i| i.iter().find(|s| s["name"] == "zhangli"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(zhang["state"], "submitted", "{sittings}");
    client.close().await.expect("close");
}

/// The host on SQLite with the training plugin and the portal's bundle.
async fn training_app() -> TestApp {
    let pkg = std::env::var_os("BANTONG_PORTAL_PKG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bantong_tests::app::repo_root().join("target/portal/pkg"));
    let app = TestApp::with_config(TestDb::new(Backend::Sqlite).await, |c| {
        c.portal_pkg_dir = pkg.clone();
    })
    .await;
    app.install_training().await;
    app
}

/// A trainer shows a class's QR code on the class page; a member of staff
/// opens what it carries on a 360 px phone, finds the code filled in,
/// signs in and is told so; the class page then counts them, and their
/// trainings say they came. Screenshots: training-class-qr,
/// training-sign-in, training-my-trainings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_member_signs_in_to_a_class_by_its_qr_code() {
    let app = training_app().await;
    let host = &app.host;
    let trainer = host
        .client_as("trainer-a", vec![Role::HrOfficer], &[], true)
        .await;
    host.client_as("wangfang", vec![Role::WindowStaff], &["bailou"], false)
        .await;
    host.client_as("liuyang", vec![Role::WindowStaff], &["bailou"], false)
        .await;
    // The class starts in five minutes (the real clock: signing in is
    // open from 30 minutes before).
    let fmt = bantong_hall_kit::time::local_time;
    let now = now_ms();
    let r = trainer
        .post(
            "/api/plugins/training/classes",
            json!({ "title": "窗口服务礼仪与沟通技巧", "kind": "routine",
                    "topics": ["etiquette", "communication"], "lecturer": "区政务服务中心 赵老师",
                    "place": "白楼便民服务中心会议室", "starts": fmt(now + 300_000),
                    "ends": fmt(now + 2 * 3_600_000), "hours": 2, "halls": ["bailou"] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json());
    let class = r.json()["id"].as_str().unwrap_or_default().to_owned();
    let sign_in = r.json()["sign_in"].as_str().unwrap_or_default().to_owned();
    let code = sign_in
        .rsplit("code=")
        .next()
        .unwrap_or_default()
        .to_owned();

    let base = serve(host).await;
    let driver = start_driver().await;
    // The trainer's class page, with the QR code to put on the screen.
    let profile = tempfile::tempdir().expect("profile dir");
    let desk = browser(&driver, profile.path()).await;
    log_in(&desk, &base, "trainer-a").await;
    open(&desk, &format!("{base}/v/training/class/{class}")).await;
    let qr = wait_for(&desk, "a.qr img", 10, "the sign-in QR code").await;
    let loaded = desk
        .execute(
            "return arguments[0].complete && arguments[0].naturalWidth > 0;",
            vec![serde_json::to_value(&qr).expect("element")],
        )
        .await
        .expect("script");
    assert_eq!(loaded, json!(true), "the QR code image loads");
    let page = text_of(&desk, "main").await;
    assert!(
        page.contains("签到二维码") && page.contains(&code) && page.contains("应到"),
        "{page}"
    );
    screenshot(&desk, "training-class-qr").await;

    // The phone opens what the code carries.
    let phone_profile = tempfile::tempdir().expect("profile dir");
    let phone = browser(&driver, phone_profile.path()).await;
    phone.set_window_size(360, 740).await.expect("resize");
    log_in(&phone, &base, "wangfang").await;
    open(&phone, &format!("{base}{sign_in}")).await;
    let field = wait_for(&phone, "#field-code", 10, "the code field").await;
    assert_eq!(
        field.prop("value").await.expect("value").as_deref(),
        Some(code.as_str())
    );
    let outcome = submit_form(&phone).await;
    assert_eq!(outcome, "签到成功");
    let (page, window) = fits_width(&phone).await;
    assert!(
        page <= window,
        "the sign-in page fits 360 px ({page} > {window})"
    );
    screenshot(&phone, "training-sign-in").await;
    open(&phone, &format!("{base}/v/training/my-trainings")).await;
    let mine = text_of(&phone, "main").await;
    assert!(
        mine.contains("窗口服务礼仪与沟通技巧") && mine.contains("已签到"),
        "{mine}"
    );
    screenshot(&phone, "training-my-trainings").await;

    // The class page counts the sign-in.
    open(&desk, &format!("{base}/v/training/class/{class}")).await;
    let page = text_of(&desk, "main").await;
    assert!(
        page.contains("wangfang") && page.contains("扫码签到"),
        "{page}"
    );
    desk.close().await.expect("close");
    phone.close().await.expect("close");
}
