//! A test installation: config in a temp dir, a trusted test key, a policy,
//! the fixture plugins, and requests through the router without a socket.

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use bantong_host::{AppState, HostConfig};
use bantong_manifest::{Manifest, Package, SigningKey, keygen};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::db::TestDb;

/// Where `cargo xtask wasm` puts the components.
pub fn wasm_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("BANTONG_WASM_DIR") {
        return PathBuf::from(dir);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.join("target/wasm32-wasip2/plugin")
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The fixture component's bytes.
pub fn fixture_wasm() -> Vec<u8> {
    let path = wasm_dir().join("bantong_fixture.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}); run `cargo xtask wasm` first",
            path.display()
        )
    })
}

/// The fixture manifest, optionally with another id (a second plugin from the same code).
pub fn fixture_manifest(id: &str) -> Manifest {
    let text = std::fs::read_to_string(repo_root().join("plugins/fixture/manifest.toml"))
        .expect("fixture manifest");
    let mut text = text.replacen("id = \"fixture\"", &format!("id = \"{id}\""), 1);
    if id != "fixture" {
        // A second plugin from the same code reads the first one instead
        // of itself.
        text = text.replacen(
            &format!("module-reads = [\"{id}\""),
            "module-reads = [\"fixture\"",
            1,
        );
    }
    Manifest::parse(&text).expect("fixture manifest parses")
}

pub const POLICY: &str = r#"
[limits]
timeout-ms = 1000

[plugins."*"]
allow = ["storage", "config", "log", "clock"]

[plugins.fixture]
allow = ["storage", "config", "log", "clock", "notices", "documents", "directory"]
events-publish = ["fixture.note.*"]
events-subscribe = ["hall.*.*"]

[plugins.fixture-b]
allow = ["storage", "config", "log", "clock"]
events-publish = ["fixture.note.*"]

[plugins.hotline]
allow = ["storage", "config", "log", "clock"]
events-publish = ["hotline.*.*"]

[plugins.supervision]
allow = ["storage", "config", "log", "clock", "blobs", "notices", "directory", "public-writes"]
events-subscribe = ["hall.alert.*", "hall.haocha.rating"]

[[storage-read]]
reader = "supervision"
target = "hotline/orders"

# Setting an exam for fifty people tells each of them; closing one
# analyses every sitting (in this debug-built host).
[plugins.training]
allow = ["storage", "config", "log", "clock", "blobs", "notices", "directory", "documents"]
limits = { timeout-ms = 10000 }

# Drafting reads two months from the modules and renders three files (in
# this debug-built host): more than the suites' one second.
[plugins.reporting]
allow = ["storage", "config", "log", "clock", "documents", "notices", "directory", "blobs"]
events-publish = ["reporting.generate"]
limits = { timeout-ms = 10000 }

[[module-read]]
reader = "reporting"
target = "supervision"

[[module-read]]
reader = "reporting"
target = "hotline"

# The operation report's staffing, training and door-service sections,
# from those modules once they are installed.
[[module-read]]
reader = "reporting"
target = "hr"

[[module-read]]
reader = "reporting"
target = "training"

[[module-read]]
reader = "reporting"
target = "door-service"

[[module-read]]
reader = "fixture"
target = "fixture-b"

[[module-read]]
reader = "fixture"
target = "fixture-c"

[[module-read]]
reader = "fixture-b"
target = "fixture"
"#;

/// A config tweak for [`TestApp::with_config`]: [`POLICY`] plus the grants
/// the vendor example `visitor-log` asks for.
pub fn with_visitor_log(c: &mut HostConfig) {
    let policy = c.data_dir.join("policy-visitor-log.toml");
    let text = format!(
        "{POLICY}\n[plugins.visitor-log]\nallow = [\"storage\", \"config\", \"log\", \"clock\"]\n"
    );
    std::fs::write(&policy, text).expect("write policy");
    c.policy_file = Some(policy);
}

/// One host process of a test installation.
#[derive(Clone)]
pub struct TestHost {
    pub state: AppState,
    pub router: Router,
}

/// A test installation with its signing key and database.
pub struct TestApp {
    pub db: TestDb,
    pub key: SigningKey,
    pub config: HostConfig,
    pub host: TestHost,
}

impl TestApp {
    /// A fresh installation with no users and no plugins.
    pub async fn new(db: TestDb) -> TestApp {
        Self::with_config(db, |_| {}).await
    }

    pub async fn with_config(db: TestDb, tweak: impl FnOnce(&mut HostConfig)) -> TestApp {
        let (key, public) = keygen();
        let data = db.data_dir();
        std::fs::create_dir_all(&data).expect("data dir");
        let pub_path = data.join("test.pub");
        std::fs::write(&pub_path, public.to_text()).expect("write key");
        let policy = data.join("policy.toml");
        std::fs::write(&policy, POLICY).expect("write policy");
        let mut config = HostConfig {
            data_dir: data,
            database_url: db.url.clone(),
            ..HostConfig::default()
        };
        config.trusted_keys = vec![pub_path];
        config.policy_file = Some(policy);
        config.max_connections = 4;
        config.runtime.max_instances = 64;
        tweak(&mut config);
        let host = Self::start(&config).await;
        TestApp {
            db,
            key,
            config,
            host,
        }
    }

    /// Starts another host process over the same database and data dir.
    pub async fn start(config: &HostConfig) -> TestHost {
        let state = AppState::build(config.clone()).await.expect("host starts");
        TestHost {
            router: bantong_host::app(state.clone()),
            state,
        }
    }

    /// Signs and encodes a package.
    pub fn package(&self, manifest: Manifest, wasm: Vec<u8>) -> Vec<u8> {
        let mut p = Package::new(manifest, wasm).expect("package");
        p.sign(&self.key);
        p.encode()
    }

    /// Installs a plugin of this repository as the system: the manifest at
    /// `manifest` (relative to the repository root) with the component
    /// `wasm` from [`wasm_dir`], signed with the test key.
    pub async fn install_from_repo(&self, manifest: &str, wasm: &str) {
        let text = std::fs::read_to_string(repo_root().join(manifest))
            .unwrap_or_else(|e| panic!("{manifest}: {e}"));
        let component = std::fs::read(wasm_dir().join(wasm))
            .unwrap_or_else(|e| panic!("{wasm} ({e}): run `cargo xtask wasm` first"));
        let bytes = self.package(
            Manifest::parse(&text).unwrap_or_else(|e| panic!("{manifest}: {e}")),
            component,
        );
        self.host
            .state
            .plugins
            .install(&bytes, &bantong_host::identity::Principal::system("test"))
            .await
            .unwrap_or_else(|e| panic!("installing {manifest}: {e}"));
    }

    /// Installs the vendor example `visitor-log` (needs [`with_visitor_log`]).
    pub async fn install_visitor_log(&self) {
        self.install_from_repo(
            "examples/vendor-visitor-log/manifest.toml",
            "vendor_visitor_log.wasm",
        )
        .await;
    }

    /// Installs the hotline.
    pub async fn install_hotline(&self) {
        self.install_from_repo("plugins/hotline/manifest.toml", "bantong_hotline.wasm")
            .await;
    }

    /// Installs the supervision plugin (监督促效).
    pub async fn install_supervision(&self) {
        self.install_from_repo(
            "plugins/supervision/manifest.toml",
            "bantong_supervision.wasm",
        )
        .await;
    }

    /// Creates the district's 17 halls (`bantong_hall_kit::district::HALLS`).
    pub async fn create_district_halls(&self) {
        use bantong_hall_kit::district::{Grade, HALLS};
        use bantong_host::identity::{HallGrade, NewHall, Principal};
        let system = Principal::system("test");
        for h in &HALLS {
            let grade = match h.grade {
                Grade::Demonstration => HallGrade::Demonstration,
                Grade::Standard => HallGrade::Standard,
                Grade::Basic => HallGrade::Basic,
            };
            self.host
                .state
                .identity
                .create_hall(
                    &system,
                    NewHall {
                        id: h.id.into(),
                        code: h.code.into(),
                        name_zh: h.name_zh(),
                        name_en: h.name_en(),
                        grade,
                    },
                )
                .await
                .expect("hall");
        }
    }

    /// Installs training and the cloud exam (培训 / 云考试).
    pub async fn install_training(&self) {
        self.install_from_repo("plugins/training/manifest.toml", "bantong_training.wasm")
            .await;
    }

    pub async fn install_reporting(&self) {
        self.install_from_repo("plugins/reporting/manifest.toml", "bantong_reporting.wasm")
            .await;
    }

    /// Installs the fixture under `id` as the system and returns its digest.
    pub async fn install_fixture(&self, id: &str) -> String {
        let bytes = self.package(fixture_manifest(id), fixture_wasm());
        let report = self
            .host
            .state
            .plugins
            .install(&bytes, &bantong_host::identity::Principal::system("test"))
            .await
            .expect("install fixture");
        report.digest
    }
}

/// A response, decoded.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into()))
    }
}

/// A client with an optional bearer token.
#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub token: Option<String>,
}

impl TestHost {
    pub fn client(&self, token: Option<&str>) -> Client {
        Client {
            router: self.router.clone(),
            token: token.map(str::to_owned),
        }
    }

    /// A client acting as a new user with `roles` over `halls` (see [`user_with_token`]).
    pub async fn client_as(
        &self,
        username: &str,
        roles: Vec<bantong_host::identity::Role>,
        halls: &[&str],
        district_wide: bool,
    ) -> Client {
        let token = user_with_token(&self.state, username, roles, halls, district_wide).await;
        self.client(Some(&token))
    }
}

impl Client {
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.raw(req.body(body).expect("request")).await
    }

    pub async fn raw(&self, req: Request<Body>) -> Reply {
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router never fails");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Sends raw bytes (e.g. a package) as the body.
    pub async fn send_bytes(&self, method: &str, path: &str, body: Vec<u8>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = &self.token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        req = req.header("content-type", "application/octet-stream");
        self.raw(req.body(Body::from(body)).expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send("PUT", path, Some(body)).await
    }
}

/// Creates halls and a user with a token; returns the token.
pub async fn user_with_token(
    state: &AppState,
    username: &str,
    roles: Vec<bantong_host::identity::Role>,
    halls: &[&str],
    district_wide: bool,
) -> String {
    use bantong_host::identity::{HallGrade, NewHall, NewUser, Principal};
    let system = Principal::system("test");
    for h in halls {
        if state.identity.get_hall(h).await.is_err() {
            let hall = NewHall {
                id: (*h).into(),
                code: h.to_uppercase(),
                name_zh: format!("{h}大厅"),
                name_en: format!("{h} hall"),
                grade: HallGrade::Standard,
            };
            state
                .identity
                .create_hall(&system, hall)
                .await
                .expect("create hall");
        }
    }
    let user = state
        .identity
        .create_user(
            &system,
            NewUser {
                username: username.into(),
                display_name: username.into(),
                password: "Correct-Horse-Battery-9".into(),
                roles,
                halls: halls.iter().map(|h| (*h).to_owned()).collect(),
                district_wide,
                must_change_password: false,
            },
        )
        .await
        .expect("create user");
    let (_, token) = state
        .identity
        .create_token(&system, &user.id, "test", None)
        .await
        .expect("token");
    token
}
