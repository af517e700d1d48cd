//! Edge fabric test harness: the host with its HTTP API on a real socket,
//! the embedded broker or a Mosquitto process of the test's own (with the
//! dynamic-security plugin, on an ephemeral port), and edge agents as real
//! processes that can be killed with SIGKILL.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bantong_host::HostConfig;
use bantong_host::config::MqttMode;
use bantong_host::edge::EdgeRuntime;
use serde_json::{Value, json};

use bantong_fabric::AgentId;
use bantong_fabric::msg::{EnrolRequest, EnrolResponse};
use bantong_host::AppState;
use bantong_host::identity::{Principal, Role};

use crate::app::{Client, TestApp, TestHost};
use crate::db::{Backend, TestDb};

/// Which broker a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerKind {
    Embedded,
    Mosquitto,
}

pub fn brokers() -> Vec<BrokerKind> {
    vec![BrokerKind::Embedded, BrokerKind::Mosquitto]
}

/// A free TCP port on loopback (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A Mosquitto broker of this test's own, with dynamic security.
pub struct Mosquitto {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

pub const MOSQUITTO_ADMIN: &str = "bantong-admin";
pub const MOSQUITTO_PASSWORD: &str = "admin-Secret-42";

impl Mosquitto {
    pub fn start(dir: &Path) -> Mosquitto {
        std::fs::create_dir_all(dir).expect("mosquitto dir");
        let port = free_port();
        let dynsec = dir.join("dynamic-security.json");
        let status = Command::new("mosquitto_ctrl")
            .args(["dynsec", "init"])
            .arg(&dynsec)
            .args([MOSQUITTO_ADMIN, MOSQUITTO_PASSWORD])
            .stdout(Stdio::null())
            .status()
            .expect("mosquitto_ctrl (Debian package mosquitto-clients) is installed");
        assert!(status.success(), "mosquitto_ctrl dynsec init failed");
        let plugin = [
            "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
            "/usr/lib/mosquitto_dynamic_security.so",
        ]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("the Mosquitto dynamic-security plugin");
        std::fs::write(
            dir.join("mosquitto.conf"),
            format!(
                "per_listener_settings false\nlistener {port} 127.0.0.1\nallow_anonymous false\n\
                 plugin {plugin}\nplugin_opt_config_file {}\nlog_dest file {}\nuser root\n",
                dynsec.display(),
                dir.join("mosquitto.log").display()
            ),
        )
        .expect("mosquitto.conf");
        let mut m = Mosquitto {
            port,
            dir: dir.to_owned(),
            child: None,
        };
        m.resume();
        // The operator's one-time setup: the host's login may also use the
        // fabric's topics (dynamic security's admin role covers only $CONTROL).
        for args in [
            vec!["createRole", "bantong-host"],
            vec![
                "addRoleACL",
                "bantong-host",
                "publishClientSend",
                "bantong/#",
                "allow",
            ],
            vec![
                "addRoleACL",
                "bantong-host",
                "subscribePattern",
                "bantong/#",
                "allow",
            ],
            vec!["addClientRole", MOSQUITTO_ADMIN, "bantong-host"],
        ] {
            let status = Command::new("mosquitto_ctrl")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-u",
                    MOSQUITTO_ADMIN,
                    "-P",
                    MOSQUITTO_PASSWORD,
                    "dynsec",
                ])
                .args(&args)
                .stdout(Stdio::null())
                .status()
                .expect("mosquitto_ctrl runs");
            assert!(status.success(), "mosquitto_ctrl dynsec {args:?} failed");
        }
        m
    }

    /// Starts the process (again) on the same port and config.
    pub fn resume(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(self.dir.join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed");
        self.child = Some(child);
        wait_for_port(self.port);
    }

    /// Kills the broker (SIGKILL: no goodbye to anyone).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port}");
}

/// Points a host config at the broker.
pub fn configure(
    config: &mut HostConfig,
    broker: BrokerKind,
    mosquitto: Option<&Mosquitto>,
    embedded_port: u16,
) {
    match (broker, mosquitto) {
        (BrokerKind::Mosquitto, Some(m)) => {
            config.mqtt.mode = MqttMode::External;
            config.mqtt.host = "127.0.0.1".into();
            config.mqtt.port = m.port;
            config.mqtt.username = MOSQUITTO_ADMIN.into();
            config.mqtt.password = MOSQUITTO_PASSWORD.into();
        }
        _ => {
            config.mqtt.mode = MqttMode::Embedded;
            config.mqtt.listen = SocketAddr::from(([127, 0, 0, 1], embedded_port));
        }
    }
}

/// A host process with its fabric started and its API on a socket.
pub struct RunningHost {
    pub host: TestHost,
    pub runtime: Option<EdgeRuntime>,
    pub http: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl RunningHost {
    pub async fn start(host: TestHost) -> RunningHost {
        let runtime = host.state.edge.start().await.expect("edge fabric starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let http = listener.local_addr().expect("addr");
        let app = bantong_host::app(host.state.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RunningHost {
            host,
            runtime: Some(runtime),
            http,
            server,
        }
    }

    /// Stops the fabric (and the embedded broker) and the HTTP server.
    pub async fn stop(mut self) {
        if let Some(r) = self.runtime.take() {
            r.stop().await;
        }
        self.server.abort();
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }
}

/// Issues an enrolment token through the API as an administrator.
pub async fn issue_token(admin: &Client, hall: &str, agent: &str) -> String {
    let r = admin
        .post(
            "/api/edge/enrolments",
            json!({ "hall": hall, "agent_id": agent }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json());
    r.json()["token"].as_str().expect("token").to_owned()
}

/// An edge agent process.
pub struct AgentProcess {
    binary: PathBuf,
    env: Vec<(String, String)>,
    pub data_dir: PathBuf,
    host_url: String,
    child: Option<Child>,
}

impl AgentProcess {
    /// `binary`: `env!("CARGO_BIN_EXE_edge-under-test")` in an integration test.
    pub fn new(binary: &str, data_dir: PathBuf, host_url: &str) -> AgentProcess {
        AgentProcess {
            binary: PathBuf::from(binary),
            env: Vec::new(),
            data_dir,
            host_url: host_url.to_owned(),
            child: None,
        }
    }

    /// An agent `agent_id` of `hall`, enrolled by `admin`, with one
    /// simulated camera `cam-1` whose scene is a growing queue at a window
    /// (the clerk leaves), at 5 frames/s and four times real speed; started.
    pub async fn with_growing_queue(
        binary: &str,
        admin: &Client,
        hall: &str,
        agent_id: &str,
        data_dir: PathBuf,
        host_url: &str,
    ) -> AgentProcess {
        let token = issue_token(admin, hall, agent_id).await;
        let mut agent = AgentProcess::new(binary, data_dir, host_url);
        agent.enrol(&token);
        agent.env(
            "BANTONG_EDGE_CAMERAS",
            r#"[{id = "cam-1", scene = "growing-queue"}]"#,
        );
        agent.env("BANTONG_EDGE_CAMERA_FPS", "5");
        agent.env("BANTONG_EDGE_CAMERA_SPEED", "4");
        agent.run(0, 0);
        agent
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.binary);
        c.env("BANTONG_EDGE_DATA_DIR", &self.data_dir)
            .env("BANTONG_EDGE_HOST_URL", &self.host_url)
            .env("BANTONG_EDGE_HEARTBEAT_S", "1")
            .env("BANTONG_EDGE_KEEP_ALIVE_S", "5")
            .env("BANTONG_EDGE_RESEND_AFTER_S", "3")
            .env("BANTONG_EDGE_LOG", "warn")
            .stdout(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Sets an environment variable for later runs.
    pub fn env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_owned(), value.to_owned()));
    }

    pub fn enrol(&self, token: &str) {
        let out = self
            .command()
            .args(["enrol", "--token", token])
            .output()
            .expect("agent runs");
        assert!(
            out.status.success(),
            "enrolment failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts `run`, emitting synthetic events up to sequence `emit` at `rate`/s.
    pub fn run(&mut self, emit: u64, rate: u64) {
        let child = self
            .command()
            .args([
                "run",
                "--emit",
                &emit.to_string(),
                "--emit-rate",
                &rate.to_string(),
                "--emit-batch",
                "50",
            ])
            .stderr(Stdio::inherit())
            .spawn()
            .expect("agent starts");
        self.child = Some(child);
    }

    /// The running process's id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// SIGKILL: the process gets no chance to flush or say goodbye.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `f` until it returns `Some`, or panics with `what` after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The agent's applied prefix as the API reports it.
pub async fn applied_seq(admin: &Client, agent: &str) -> i64 {
    let r = admin.get(&format!("/api/edge/agents/{agent}")).await;
    r.json()["applied_seq"].as_i64().unwrap_or(-1)
}

/// Every stored event of `agent` as (seq, data.n).
pub async fn stored_events(app: &TestApp, agent: &str) -> Vec<(i64, Value)> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT seq, data FROM edge_events WHERE agent_id = $1 ORDER BY seq")
        .bind(agent)
        .fetch_all(app.host.state.store.pool())
        .await
        .expect("query events");
    rows.iter()
        .map(|r| {
            let data: String = r.try_get(1).expect("data");
            (
                r.try_get(0).expect("seq"),
                serde_json::from_str(&data).expect("json"),
            )
        })
        .collect()
}

/// A test installation with the edge fabric running: database, broker
/// (embedded or a Mosquitto of its own), host with its API on a socket, and
/// a district administrator over `halls`.
pub struct Installation {
    pub app: TestApp,
    pub host: RunningHost,
    pub admin: Client,
    /// Kept alive for the installation's lifetime.
    pub mosquitto: Option<Mosquitto>,
}

impl Installation {
    pub async fn start(backend: Backend, broker: BrokerKind, halls: &[&str]) -> Installation {
        Self::start_with(backend, broker, halls, |_| {}).await
    }

    pub async fn start_with(
        backend: Backend,
        broker: BrokerKind,
        halls: &[&str],
        tweak: impl FnOnce(&mut HostConfig),
    ) -> Installation {
        let db = TestDb::new(backend).await;
        let mosquitto = (broker == BrokerKind::Mosquitto)
            .then(|| Mosquitto::start(&db.dir.path().join("mosquitto")));
        let port = free_port();
        let app = TestApp::with_config(db, |c| {
            configure(c, broker, mosquitto.as_ref(), port);
            tweak(c);
        })
        .await;
        let host = RunningHost::start(app.host.clone()).await;
        let admin = app
            .host
            .client_as("admin", vec![Role::DistrictAdmin], halls, true)
            .await;
        Installation {
            app,
            host,
            admin,
            mosquitto,
        }
    }
}

/// Enrols `agent` in `hall` in-process (token issued by the system, redeemed
/// directly) and returns its identity.
pub async fn enrol_in_process(state: &AppState, hall: &str, agent: &str) -> EnrolResponse {
    let system = Principal::system("test");
    let id = AgentId::parse(agent).expect("agent id");
    let token = state
        .edge
        .registry
        .issue_token(&system, hall, &id, Duration::from_secs(3600))
        .await
        .expect("token");
    state
        .edge
        .enrol(EnrolRequest {
            token: token.token,
            version: "test".into(),
            hostname: String::new(),
        })
        .await
        .expect("enrol")
}

/// camera-watch packaged as `version` and signed with `key`. With `pad_to`,
/// a custom section (ignored by the engine) makes the component that many
/// bytes, for transfer-bound benchmarks of a plugin of a given size.
pub fn camera_watch_package(
    key: &bantong_manifest::SigningKey,
    version: &str,
    pad_to: Option<usize>,
) -> Vec<u8> {
    edge_package(key, "camera-watch", version, pad_to)
}

/// The first-party edge plugin in `plugins/<dir>` (built by `cargo xtask
/// wasm`) packaged as `version` and signed with `key`.
pub fn edge_package(
    key: &bantong_manifest::SigningKey,
    dir: &str,
    version: &str,
    pad_to: Option<usize>,
) -> Vec<u8> {
    edge_package_edited(key, dir, version, pad_to, |m| m)
}

/// [`edge_package`] with its manifest text changed by `edit` (a new
/// version whose config schema differs).
pub fn edge_package_edited(
    key: &bantong_manifest::SigningKey,
    dir: &str,
    version: &str,
    pad_to: Option<usize>,
    edit: impl FnOnce(String) -> String,
) -> Vec<u8> {
    use bantong_manifest::{Manifest, Package};
    let root = crate::app::repo_root();
    let text = std::fs::read_to_string(root.join("plugins").join(dir).join("manifest.toml"))
        .expect("plugin manifest");
    let text = edit(text).replacen(
        "version = \"0.1.0\"",
        &format!("version = \"{version}\""),
        1,
    );
    let wasm_name = format!("bantong_{}.wasm", dir.replace('-', "_"));
    let mut wasm = std::fs::read(crate::app::wasm_dir().join(&wasm_name))
        .unwrap_or_else(|e| panic!("{wasm_name} (cargo xtask wasm): {e}"));
    if let Some(size) = pad_to {
        pad_component(&mut wasm, size);
    }
    let mut p = Package::new(Manifest::parse(&text).expect("manifest"), wasm).expect("package");
    p.sign(key);
    p.encode()
}

/// Uploads the first-party edge plugin in `plugins/<dir>` signed with the
/// installation's key, deploys it to `agent` with `config` and a 1 s
/// health window, and waits until the agent reports it running.
pub async fn deploy_edge_plugin(
    app: &TestApp,
    admin: &crate::app::Client,
    agent: &str,
    dir: &str,
    config: Value,
) {
    let up = admin
        .send_bytes(
            "POST",
            "/api/edge/artefacts",
            edge_package(&app.key, dir, "0.1.0", None),
        )
        .await;
    assert_eq!(up.status, 201, "{dir}: {}", up.json());
    let deployed = admin
        .post(
            "/api/edge/deployments",
            json!({ "digest": up.json()["digest"], "agents": [agent],
                    "config": config, "health_window_s": 1 }),
        )
        .await;
    assert_eq!(deployed.status, 200, "{dir}: {}", deployed.json());
    let id = dir.to_owned();
    eventually(
        Duration::from_secs(90),
        &format!("{dir} running on {agent}"),
        || async {
            let report = admin.get(&format!("/api/edge/agents/{agent}")).await.json();
            report["report"]["plugins"]
                .as_array()?
                .iter()
                .any(|p| p["id"] == id.as_str() && p["state"] == "running")
                .then_some(())
        },
    )
    .await;
}

/// Appends a custom section named `padding` so `wasm` reaches `size` bytes.
fn pad_component(wasm: &mut Vec<u8>, size: usize) {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let name = b"padding";
    // id + 5-byte size bound + name length + name.
    let overhead = 1 + 5 + 1 + name.len();
    let Some(fill) = size.checked_sub(wasm.len() + overhead) else {
        return;
    };
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend(std::iter::repeat_n(0xA5u8, fill));
    wasm.push(0);
    leb(body.len(), wasm);
    wasm.extend_from_slice(&body);
}

/// Many simulated agents in one `bantong-edge simulate --plugins` process:
/// each downloads, verifies, runs and health-checks what it is dispatched.
pub struct Simulator {
    child: Child,
}

impl Simulator {
    /// Enrols `agents` (`prefix-0` …) in `hall` in-process and starts them.
    pub async fn start(
        binary: &str,
        state: &AppState,
        host_url: &str,
        dir: &Path,
        hall: &str,
        prefix: &str,
        agents: usize,
    ) -> Simulator {
        let ids: Vec<(String, String)> = (0..agents)
            .map(|i| (hall.to_owned(), format!("{prefix}-{i}")))
            .collect();
        Simulator::start_in_halls(binary, state, host_url, dir, &ids).await
    }

    /// Enrols each `(hall, agent)` in-process and starts them all in one
    /// process.
    pub async fn start_in_halls(
        binary: &str,
        state: &AppState,
        host_url: &str,
        dir: &Path,
        agents: &[(String, String)],
    ) -> Simulator {
        for (hall, agent) in agents {
            let identity = enrol_in_process(state, hall, agent).await;
            bantong_edge::identity::save(&dir.join(agent), &identity).expect("identity saved");
        }
        let child = Command::new(binary)
            .args(["simulate", "--plugins", "--dir"])
            .arg(dir)
            .env("BANTONG_EDGE_HOST_URL", host_url)
            .env("BANTONG_EDGE_HEARTBEAT_S", "30")
            .env("BANTONG_EDGE_LOG", "warn")
            .env("BANTONG_EDGE_DATA_DIR", dir.join("unused"))
            .stdout(Stdio::null())
            .spawn()
            .expect("simulator starts");
        Simulator { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `n` agents are online.
pub async fn wait_online(state: &AppState, n: usize, limit: Duration) {
    eventually(limit, &format!("{n} agents online"), || async {
        let online: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM edge_agents WHERE online = 1")
            .fetch_one(state.store.pool())
            .await
            .ok()?;
        (online as usize >= n).then_some(())
    })
    .await
}

impl BrokerKind {
    /// The broker a suite pairs with `backend` to cover each database and
    /// each broker once: the embedded broker with SQLite, Mosquitto with
    /// PostgreSQL.
    pub fn paired_with(backend: Backend) -> BrokerKind {
        match backend {
            Backend::Sqlite => BrokerKind::Embedded,
            Backend::Postgres => BrokerKind::Mosquitto,
        }
    }
}

/// `agent`'s stored events of `kind`, in order, as `{subject, data}`.
pub async fn events_of_kind(app: &TestApp, agent: &str, kind: &str) -> Vec<Value> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT subject, data FROM edge_events WHERE agent_id = $1 AND kind = $2 ORDER BY seq",
    )
    .bind(agent)
    .bind(kind)
    .fetch_all(app.host.state.store.pool())
    .await
    .expect("query events");
    rows.iter()
        .map(|r| {
            let data: String = r.try_get(1).expect("data");
            json!({ "subject": r.try_get::<Option<String>, _>(0).expect("subject"),
                    "data": serde_json::from_str::<Value>(&data).expect("json") })
        })
        .collect()
}

/// Sends a command through the host's API to `agent` (to its `plugin`,
/// or to the agent itself) and answers the reply as it came
/// (`{ok, result, error}`), after checking the HTTP status.
pub async fn agent_command(
    admin: &crate::app::Client,
    agent: &str,
    plugin: Option<&str>,
    name: &str,
    args: Value,
) -> Value {
    let mut body = json!({ "name": name, "args": args, "timeout_ms": 20_000 });
    if let Some(p) = plugin {
        body["plugin"] = json!(p);
    }
    let r = admin
        .post(&format!("/api/edge/agents/{agent}/commands"), body)
        .await;
    assert_eq!(r.status, 200, "{name}: {}", r.json());
    r.json()
}
