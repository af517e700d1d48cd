//! `bantong demo`: a ready-to-try installation on SQLite with the four pilot
//! halls, a demo administrator whose password is printed once, and the
//! example plugins signed with a demo key and installed.

use std::path::PathBuf;

use anyhow::{Context, Result};
use bantong_hall_kit::district::{self, DISTRICT_CODE};
use bantong_manifest::{SigningKey, keygen};

use crate::config::HostConfig;
use crate::identity::{HallGrade, NewHall, Principal};
use crate::state::AppState;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder with first-party plugin crates (each with a manifest.toml).
    #[arg(long)]
    pub plugins: Option<PathBuf>,
    /// Folder with example plugin crates (each with a manifest.toml).
    #[arg(long)]
    pub examples: Option<PathBuf>,
    /// Folder holding the built `.wasm` components.
    #[arg(long)]
    pub wasm_dir: Option<PathBuf>,
    /// Prepare the installation and exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
    /// Do not run the simulated hall (an edge agent with five simulated
    /// cameras and the camera-watch plugin).
    #[arg(long)]
    pub no_hall: bool,
}

/// (crate folder, wasm file stem) of the plugins the demo installs.
const DEMO_PLUGINS: &[(&str, &str)] = &[
    ("vendor-visitor-log", "vendor_visitor_log"),
    ("hotline", "bantong_hotline"),
    ("supervision", "bantong_supervision"),
    ("reporting", "bantong_reporting"),
    ("training", "bantong_training"),
];

pub async fn run(mut config: HostConfig, args: DemoArgs) -> Result<()> {
    if config.data_dir.as_os_str() == "data" {
        config.data_dir = PathBuf::from("data/demo");
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let key_path = config.data_dir.join("demo-vendor.key");
    let pub_path = config.data_dir.join("demo-vendor.pub");
    let key = if key_path.exists() {
        SigningKey::from_text(std::fs::read_to_string(&key_path)?.trim())?
    } else {
        let (secret, public) = keygen();
        crate::cli::write_secret(&key_path, &secret.to_text())?;
        std::fs::write(&pub_path, format!("{}\n", public.to_text()))?;
        secret
    };
    if !config.trusted_keys.contains(&pub_path) {
        config.trusted_keys.push(pub_path);
    }
    if config.policy_file.is_none() {
        let policy = config.data_dir.join("policy.toml");
        std::fs::write(&policy, DEMO_POLICY)?;
        config.policy_file = Some(policy);
    }
    // The demo's embedded MQTT broker: the standard port when it is free,
    // otherwise any free port (a machine may already run Mosquitto on 1883).
    if config.mqtt.mode == crate::config::MqttMode::Embedded
        && std::net::TcpListener::bind(config.mqtt.listen).is_err()
    {
        let free = std::net::TcpListener::bind((config.mqtt.listen.ip(), 0))
            .and_then(|l| l.local_addr())
            .context("finding a free port for the MQTT broker")?;
        config.mqtt.listen = free;
    }
    println!("  MQTT broker for hall agents: {}", config.mqtt.listen);
    let listen = config.listen;
    let state = AppState::build(config).await?;
    let system = Principal::system("demo");
    let existing = state.identity.list_halls().await?;
    // The district's 17 street and township halls, the four pilots first.
    for h in &district::HALLS {
        if existing.iter().any(|e| e.id == h.id) {
            continue;
        }
        let hall = NewHall {
            id: h.id.into(),
            code: h.code.into(),
            name_zh: h.name_zh(),
            name_en: h.name_en(),
            grade: match h.grade {
                district::Grade::Demonstration => HallGrade::Demonstration,
                district::Grade::Standard => HallGrade::Standard,
                district::Grade::Basic => HallGrade::Basic,
            },
        };
        state.identity.create_hall(&system, hall).await?;
    }
    if state.store.catalogue().current_version().await?.is_none() {
        let published = crate::catalogue::publish(
            &state.store,
            &state.identity,
            &system,
            crate::catalogue::Publish {
                catalogue: demo_catalogue(),
                note: "演示事项库",
                source: "demo".to_owned(),
                base: 0,
            },
        )
        .await?;
        tracing::info!(
            version = published.version,
            items = published.items,
            "demo service catalogue published"
        );
    }
    match state.identity.bootstrap_admin("admin", "演示管理员").await {
        Ok(password) => {
            println!("\n  办通 Bantong demo");
            println!("  administrator: admin");
            println!("  password (shown once, change it at first login): {password}\n");
        }
        Err(_) => println!(
            "\n  办通 Bantong demo: the administrator already exists (password was printed at first start)\n"
        ),
    }
    let roots: Vec<PathBuf> = [args.plugins.clone(), args.examples.clone()]
        .into_iter()
        .flatten()
        .collect();
    if let Some(wasm_dir) = &args.wasm_dir {
        for (folder, stem) in DEMO_PLUGINS {
            let Some(manifest) = roots
                .iter()
                .map(|r| r.join(folder).join("manifest.toml"))
                .find(|p| p.exists())
            else {
                continue;
            };
            let wasm = wasm_dir.join(format!("{stem}.wasm"));
            let package = crate::cli::pack(&manifest, &wasm, Some(&key))
                .with_context(|| format!("packing {folder}"))?;
            let installed = state.plugins.index().get(&package.manifest().id);
            if installed.is_some_and(|e| e.current().meta().digest == package.digest().to_string())
            {
                continue;
            }
            let report = state.plugins.install(&package.encode(), &system).await?;
            println!(
                "  installed plugin {} {} ({})",
                report.id, report.version, report.digest
            );
        }
    }
    if args.no_serve {
        return Ok(());
    }
    if !args.no_hall {
        let hall = SimulatedHall {
            state: state.clone(),
            key: key.clone(),
            wasm_dir: args.wasm_dir.clone(),
            plugins: args.plugins.clone(),
            listen,
        };
        tokio::spawn(async move {
            if let Err(e) = hall.run().await {
                tracing::error!("the simulated hall stopped: {e:#}");
            }
        });
        println!(
            "  simulated hall: agent {DEMO_AGENT} in 百楼镇 with five cameras, a ticket machine, call display, rating keypads and a kiosk, visited by simulated citizens; alerts at http://{listen}/api/edge/alerts"
        );
    }
    if state.plugins.index().get("hotline").is_some() {
        match telephony_token(&state, &system).await {
            Ok(token) => {
                tokio::spawn(hotline_calls(state.clone(), token));
                println!(
                    "  hotline: simulated calls on seats 1-3 through the telephony webhook; orders at http://{listen}/api/plugins/hotline/orders"
                );
            }
            Err(e) => tracing::warn!("demo hotline calls not started: {e:#}"),
        }
    }
    println!("  open http://{listen}/api/openapi.json — Ctrl-C stops\n");
    crate::cli::serve_state(state, listen, true).await
}

/// The account the demo's simulated telephony posts with, and a new token.
async fn telephony_token(state: &AppState, system: &Principal) -> Result<String> {
    use crate::identity::{NewUser, Role};
    let user = match state.identity.get_user_by_username("demo-telephony").await {
        Ok(user) => user,
        Err(_) => {
            state
                .identity
                .create_user(
                    system,
                    NewUser {
                        username: "demo-telephony".into(),
                        display_name: "演示话务系统".into(),
                        password: crate::identity::generate_password(),
                        roles: vec![Role::HotlineAgent],
                        halls: Vec::new(),
                        district_wide: true,
                        must_change_password: false,
                    },
                )
                .await?
        }
    };
    let (_, token) = state
        .identity
        .create_token(system, &user.id, "demo telephony", None)
        .await?;
    Ok(token)
}

/// Simulated hotline traffic: every 20 s a call on one of three seats,
/// answered after a few seconds (or abandoned), and every third answered
/// call becomes a dispatched work order — all through the plugin's HTTP
/// routes, as a real telephony adapter and agent would.
async fn hotline_calls(state: AppState, token: String) {
    use serde_json::json;
    use tower::ServiceExt;
    const CATEGORIES: [(&str, &str); 4] = [
        ("town.streetlight", "村口路灯不亮"),
        ("town.sanitation", "垃圾清运不及时"),
        ("social.pension", "咨询养老保险缴费"),
        ("housing.property", "小区物业不作为"),
    ];
    let router = crate::app(state);
    let post = |path: String, body: serde_json::Value| {
        let (router, token) = (router.clone(), token.clone());
        async move {
            let req = http::Request::post(format!("/api/plugins/hotline{path}"))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()));
            match req {
                Ok(req) => match router.oneshot(req).await {
                    Ok(resp) if resp.status().is_success() => true,
                    Ok(resp) => {
                        tracing::debug!(status = %resp.status(), path, "demo hotline call refused");
                        false
                    }
                    Err(_) => false,
                },
                Err(_) => false,
            }
        }
    };
    let now = crate::identity::now_ms;
    let seats = ["seat-1", "seat-2", "seat-3"];
    let logins: Vec<_> = seats
        .iter()
        .map(|s| json!({ "event": "login", "seat": s, "at_ms": now() }))
        .collect();
    post("/telephony/events".into(), json!({ "events": logins })).await;
    let mut dice = Dice(now() as u64 ^ 0x5eed);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(20));
    let mut answered_calls = 0u64;
    loop {
        tick.tick().await;
        let seat = seats[dice.below(seats.len() as u64) as usize];
        let call_id = format!("demo-{}", now());
        let caller = format!("139{:08}", dice.below(100_000_000));
        let offered = now();
        let wait = 2_000 + 1_000 * dice.below(25) as i64;
        let abandoned = dice.below(10) == 0;
        let mut events = vec![
            json!({ "event": "offered", "call_id": call_id, "caller_number": caller,
                                      "seat": seat, "at_ms": offered }),
        ];
        if abandoned {
            events.push(json!({ "event": "ended", "call_id": call_id, "at_ms": offered + wait }));
        } else {
            events.push(json!({ "event": "answered", "call_id": call_id, "seat": seat, "at_ms": offered + wait }));
        }
        if !post("/telephony/events".into(), json!({ "events": events })).await {
            continue;
        }
        if abandoned {
            continue;
        }
        tokio::time::sleep(std::time::Duration::from_secs(8)).await;
        answered_calls += 1;
        if answered_calls.is_multiple_of(3) {
            let (category, title) = CATEGORIES[dice.below(CATEGORIES.len() as u64) as usize];
            let hall = district::HALLS[dice.below(district::HALLS.len() as u64) as usize].id;
            post(
                "/orders".into(),
                json!({ "category": category, "title": title, "caller_number": caller,
                        "hall": hall, "call_id": call_id, "dispatch": true, "separate": true }),
            )
            .await;
        }
        let ended = now();
        post(
            "/telephony/events".into(),
            json!({ "events": [
                { "event": "ended", "call_id": call_id, "at_ms": ended },
                { "event": "wrap_up_done", "seat": seat, "at_ms": ended + 1 },
            ] }),
        )
        .await;
    }
}

/// The demo's edge agent.
const DEMO_AGENT: &str = "bailou-edge-1";

/// An edge agent in the first demo hall, running in the demo process:
/// enrolled once, five simulated cameras and the hall's simulated devices,
/// with camera-watch, queue, rating and kiosk deployed to it, and citizens
/// coming by ([`visitors`]).
struct SimulatedHall {
    state: AppState,
    key: SigningKey,
    wasm_dir: Option<PathBuf>,
    plugins: Option<PathBuf>,
    listen: std::net::SocketAddr,
}

impl SimulatedHall {
    async fn run(self) -> Result<()> {
        let edge = &self.state.edge;
        let system = Principal::system("demo");
        // Wait for `serve` to start the broker.
        let broker = self.state.config.mqtt.listen;
        while tokio::net::TcpStream::connect(broker).await.is_err() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let data_dir = self.state.config.data_dir.join("edge").join(DEMO_AGENT);
        let identity = match bantong_edge::identity::load(&data_dir) {
            Ok(identity) => identity,
            Err(_) => {
                let id = bantong_fabric::AgentId::parse(DEMO_AGENT).map_err(anyhow::Error::msg)?;
                let token = edge
                    .registry
                    .issue_token(&system, "bailou", &id, std::time::Duration::from_secs(600))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let identity = edge
                    .enrol(bantong_fabric::msg::EnrolRequest {
                        token: token.token,
                        version: env!("CARGO_PKG_VERSION").into(),
                        hostname: "demo".into(),
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                bantong_edge::identity::save(&data_dir, &identity)?;
                identity
            }
        };
        for (plugin, config) in demo_plugins() {
            if let Err(e) = self.deploy(plugin, config).await {
                tracing::warn!("demo plugin {plugin} not deployed: {e:#}");
            }
        }
        let scenes = [
            "growing-queue",
            "clerk-seated",
            "lights",
            "empty-window",
            "clerk-seated",
        ];
        let config = bantong_edge::EdgeConfig {
            data_dir,
            host_url: format!("http://{}", self.listen),
            heartbeat_s: 10,
            cameras: scenes
                .iter()
                .enumerate()
                .map(|(i, scene)| {
                    bantong_edge::config::CameraSpec::simulated(&format!("cam-{}", i + 1), scene)
                })
                .collect(),
            camera_fps: 2.0,
            devices: demo_devices(),
            ..bantong_edge::EdgeConfig::default()
        };
        let agent = bantong_edge::Agent::open(config, identity)?;
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        tokio::spawn(visitors(self.state.clone()));
        agent.run(shutdown).await;
        Ok(())
    }

    /// Packs, signs, uploads and deploys a first-party edge plugin.
    async fn deploy(&self, plugin: &str, config: serde_json::Value) -> Result<()> {
        let (Some(wasm_dir), Some(plugins)) = (&self.wasm_dir, &self.plugins) else {
            return Ok(());
        };
        let wasm = wasm_dir.join(format!("bantong_{}.wasm", plugin.replace('-', "_")));
        let manifest = plugins.join(plugin).join("manifest.toml");
        if !wasm.exists() || !manifest.exists() {
            anyhow::bail!("{} or {} is missing", wasm.display(), manifest.display());
        }
        let system = Principal::system("demo");
        let edge = &self.state.edge;
        let package = crate::cli::pack(&manifest, &wasm, Some(&self.key))?;
        let uploaded = edge
            .upload_artefact(&system, &package.encode())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        edge.deploy(
            &system,
            crate::edge::deploy::DeployRequest {
                digest: uploaded["digest"].as_str().unwrap_or_default().to_owned(),
                agents: vec![DEMO_AGENT.to_owned()],
                config: Some(config),
                health_window_s: Some(10),
                force: true,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}

/// The "5+X" windows of the demo hall: the five mandatory ones and a
/// comprehensive window (一窗通办).
const DEMO_WINDOWS: [(u16, &str, &str); 6] = [
    (1, "市场准入", "market-access"),
    (2, "城乡建设", "urban-rural-construction"),
    (3, "卫生健康", "health"),
    (4, "民生保障", "livelihood"),
    (5, "涉军事务", "military-affairs"),
    (6, "综合窗口", "comprehensive"),
];

/// The demo's service catalogue: items a township hall of 莲池区 handles,
/// with the district departments that decide them. Columns: code, name,
/// category, department, statutory and promised working days, materials,
/// and the flags 告知承诺 / 容缺受理 / 可上门办 / 可自助办.
type DemoItem = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u32,
    u32,
    &'static [&'static str],
    [bool; 4],
);

const DEMO_ITEMS: [DemoItem; 10] = [
    (
        "130606-SC-0001",
        "个体工商户设立登记",
        "market-access",
        "区行政审批局",
        15,
        1,
        &["经营者身份证件", "经营场所使用证明"],
        [true, true, false, false],
    ),
    (
        "130606-SC-0002",
        "个体工商户营业执照补领",
        "market-access",
        "区行政审批局",
        5,
        1,
        &["经营者身份证件", "补领申请书"],
        [false, false, false, true],
    ),
    (
        "130606-CJ-0001",
        "农村宅基地和建房（规划许可）审批",
        "urban-rural-construction",
        "区自然资源和规划局",
        20,
        10,
        &[
            "农村宅基地和建房（规划许可）申请表",
            "户口簿",
            "宅基地使用承诺书",
        ],
        [false, true, true, false],
    ),
    (
        "130606-WS-0001",
        "公共场所卫生许可",
        "health",
        "区卫生健康局",
        20,
        5,
        &["卫生许可申请书", "营业执照", "从业人员健康合格证明"],
        [true, false, false, false],
    ),
    (
        "130606-WS-0002",
        "城乡居民医保参保登记",
        "health",
        "区医疗保障局",
        1,
        0,
        &["居民身份证或户口簿"],
        [false, false, true, true],
    ),
    (
        "130606-MS-0001",
        "社会保障卡补领",
        "livelihood",
        "区人力资源和社会保障局",
        20,
        5,
        &["居民身份证原件"],
        [false, false, false, true],
    ),
    (
        "130606-MS-0002",
        "城乡居民最低生活保障申请",
        "livelihood",
        "区民政局",
        30,
        20,
        &["低保申请书", "家庭成员身份证件", "家庭收入和财产状况承诺书"],
        [true, true, true, false],
    ),
    (
        "130606-MS-0003",
        "户籍证明开具",
        "livelihood",
        "保定市公安局莲池区分局",
        0,
        0,
        &["居民身份证或户口簿"],
        [false, false, false, true],
    ),
    (
        "130606-SJ-0001",
        "退役军人优待证申领",
        "military-affairs",
        "区退役军人事务局",
        15,
        5,
        &["退役证件", "居民身份证", "近期免冠彩色照片"],
        [false, true, true, false],
    ),
    (
        "130606-ZX-0001",
        "政务服务综合咨询",
        "comprehensive",
        "区行政审批局",
        0,
        0,
        &[],
        [false, false, false, false],
    ),
];

/// The demo catalogue: [`DEMO_ITEMS`] and the comprehensive window.
pub fn demo_catalogue() -> bantong_hall_kit::catalogue::Catalogue {
    use bantong_hall_kit::catalogue::{Catalogue, Category, Item};
    Catalogue {
        categories: vec![Category {
            id: "comprehensive".into(),
            name: "综合受理".into(),
        }],
        items: DEMO_ITEMS
            .iter()
            .map(
                |&(code, name, category, department, statutory, promised, materials, flags)| Item {
                    code: code.into(),
                    name: name.into(),
                    category: category.into(),
                    department: department.into(),
                    statutory_days: statutory,
                    promised_days: promised,
                    materials: materials.iter().map(|m| (*m).to_owned()).collect(),
                    notify_commit: flags[0],
                    accept_with_gaps: flags[1],
                    door_service: flags[2],
                    self_service: flags[3],
                },
            )
            .collect(),
    }
}

/// The demo hall's edge plugins and their hall config.
fn demo_plugins() -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let region = |seat: bool| {
        if seat {
            json!({ "id": "window-1", "kind": "seat", "rect": bantong_edge::camera::SEAT, "unattended_after_s": 60 })
        } else {
            json!({ "id": "queue", "kind": "zone", "rect": bantong_edge::camera::QUEUE_ZONE,
                    "person_share": 0.047, "crowd_threshold": 8, "crowd_after_s": 30 })
        }
    };
    let cameras: serde_json::Map<String, serde_json::Value> = (1..=5)
        .map(|i| {
            (
                format!("cam-{i}"),
                json!({ "regions": [region(true), region(false)] }),
            )
        })
        .collect();
    let windows: Vec<_> = DEMO_WINDOWS
        .iter()
        .map(|(no, name, category)| json!({ "no": no, "name": name, "category": category }))
        .collect();
    let keypads: serde_json::Map<String, serde_json::Value> = DEMO_WINDOWS
        .iter()
        .map(|(no, _, _)| (no.to_string(), json!(format!("keypad-{no}"))))
        .collect();
    vec![
        ("camera-watch", json!({ "cameras": cameras })),
        (
            "queue",
            json!({
                "layout": { "windows": windows,
                            "extra_categories": [{ "id": "comprehensive" }] },
                "devices": { "reader": "ticket-reader", "printer": "ticket-printer",
                             "display": "call-display", "keypads": keypads },
                "summary_every_s": 30
            }),
        ),
        ("rating", json!({ "hall": "百楼镇行政综合服务中心" })),
        (
            "kiosk",
            json!({ "kiosk": "百楼镇自助终端1", "hall": "百楼镇行政综合服务中心",
                    "devices": { "reader": "kiosk-reader", "printer": "kiosk-printer" } }),
        ),
    ]
}

/// The demo hall's devices, all simulated.
fn demo_devices() -> Vec<bantong_edge::devices::DeviceSpec> {
    use bantong_edge::devices::DeviceSpec;
    let mut devices = vec![
        DeviceSpec::simulated("ticket-reader", "id-reader"),
        DeviceSpec::simulated("ticket-printer", "ticket-printer"),
        DeviceSpec::simulated("call-display", "queue-display"),
        DeviceSpec::simulated("kiosk-reader", "id-reader"),
        DeviceSpec::simulated("kiosk-printer", "receipt-printer"),
        DeviceSpec::simulated("kiosk-finger", "fingerprint"),
        DeviceSpec::simulated("kiosk-pin", "pin-pad"),
        DeviceSpec::simulated("kiosk-scanner", "scanner"),
    ];
    for (no, _, _) in DEMO_WINDOWS {
        devices.push(DeviceSpec::simulated(
            &format!("keypad-{no}"),
            "rating-keypad",
        ));
    }
    devices
}

/// A small deterministic random source for the simulated citizens.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// A valid ID number (GB 11643) for a made-up citizen born in `year`.
fn citizen_id(dice: &mut Dice, year: u64) -> String {
    let stem = format!(
        "{DISTRICT_CODE}{year:04}{:02}{:02}{:03}",
        1 + dice.below(12),
        1 + dice.below(28),
        dice.below(1000)
    );
    "0123456789X"
        .chars()
        .map(|c| format!("{stem}{c}"))
        .find(|id| bantong_hall_kit::IdNumber::parse(id).is_ok())
        .unwrap_or(stem)
}

/// Citizens visiting the demo hall: every few seconds someone takes a
/// ticket (by ID card, appointment or as a walk-in), a window calls, serves
/// and gets rated, and now and then someone uses the kiosk. Everything goes
/// through the host's command path to the agent, as staff terminals would.
async fn visitors(state: AppState) {
    use serde_json::json;
    const NAMES: [&str; 8] = [
        "王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "黄勇",
    ];
    let Ok(agent) = bantong_fabric::AgentId::parse(DEMO_AGENT) else {
        return;
    };
    let edge = state.edge.clone();
    let wait = std::time::Duration::from_secs(10);
    let run = |plugin: Option<&'static str>, name: &'static str, args: serde_json::Value| {
        let (edge, agent) = (edge.clone(), agent.clone());
        async move {
            match edge.command(&agent, plugin, name, args, wait).await {
                Ok(reply) if reply.ok => Some(reply.result),
                Ok(reply) => {
                    tracing::debug!(name, "demo visitor: {:?}", reply.error);
                    None
                }
                Err(e) => {
                    tracing::debug!(name, "demo visitor: {e}");
                    None
                }
            }
        }
    };
    let mut dice = Dice(crate::identity::now_ms() as u64);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(6));
    let mut round = 0u64;
    loop {
        tick.tick().await;
        round += 1;
        let name = NAMES[dice.below(NAMES.len() as u64) as usize];
        let card = |dice: &mut Dice| {
            let year = 1940 + dice.below(65);
            json!({ "card": { "name": name, "sex": "女", "nation": "汉",
                              "address": "河北省保定市莲池区百楼镇", "issuer": "保定市公安局莲池分局",
                              "id_number": citizen_id(dice, year),
                              "valid_from": "2020-01-01", "valid_to": "2040-01-01" } })
        };
        // Someone takes a ticket.
        let (_, _, category) = DEMO_WINDOWS[dice.below(DEMO_WINDOWS.len() as u64) as usize];
        match dice.below(3) {
            0 => {
                if run(
                    Some("queue"),
                    "ticket",
                    json!({ "category": category, "by_card": true }),
                )
                .await
                .is_some()
                {
                    let input = card(&mut dice);
                    run(
                        None,
                        "device.simulate",
                        json!({ "device": "ticket-reader", "input": input }),
                    )
                    .await;
                    run(
                        None,
                        "device.simulate",
                        json!({ "device": "ticket-reader", "input": { "remove": true } }),
                    )
                    .await;
                }
            }
            1 => {
                let code = format!("YY-{:06}", dice.below(1_000_000));
                run(
                    Some("queue"),
                    "ticket",
                    json!({ "category": category, "appointment": code }),
                )
                .await;
            }
            _ => {
                run(Some("queue"), "ticket", json!({ "category": category })).await;
            }
        }
        // A window serves the next citizen, who rates the service.
        let (no, _, _) = DEMO_WINDOWS[dice.below(DEMO_WINDOWS.len() as u64) as usize];
        let called = run(Some("queue"), "call", json!({ "window": no })).await;
        if called.is_some_and(|c| !c["number"].is_null()) {
            if dice.below(8) == 0 {
                run(Some("queue"), "missed", json!({ "window": no })).await;
            } else {
                run(Some("queue"), "start", json!({ "window": no })).await;
                run(Some("queue"), "finish", json!({ "window": no })).await;
                let key = [5, 5, 5, 4, 4, 3, 2, 1][dice.below(8) as usize];
                run(
                    None,
                    "device.simulate",
                    json!({ "device": format!("keypad-{no}"), "input": { "key": key } }),
                )
                .await;
            }
        }
        // Every fifth round, someone uses the kiosk.
        if round.is_multiple_of(5) && run(Some("kiosk"), "start", json!({})).await.is_some() {
            let input = card(&mut dice);
            run(
                None,
                "device.simulate",
                json!({ "device": "kiosk-reader", "input": input }),
            )
            .await;
            let kiosk_items: Vec<&str> =
                DEMO_ITEMS.iter().filter(|i| i.7[3]).map(|i| i.0).collect();
            let item = kiosk_items[dice.below(kiosk_items.len() as u64) as usize];
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            run(Some("kiosk"), "choose", json!({ "item": item })).await;
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            run(Some("kiosk"), "rate", json!({ "score": 3 + dice.below(3) })).await;
            run(
                None,
                "device.simulate",
                json!({ "device": "kiosk-reader", "input": { "remove": true } }),
            )
            .await;
        }
    }
}

/// The demo's operator policy: the example plugins get what they ask for.
const DEMO_POLICY: &str = r#"# Demo operator policy: capabilities granted per plugin.
[plugins."*"]
allow = ["storage", "config", "log", "clock"]

[plugins.visitor-log]
allow = ["storage", "config", "log", "clock"]
events-publish = ["visitor.*"]

[plugins.fixture]
allow = ["storage", "config", "log", "clock", "blobs"]
events-publish = ["fixture.note.*"]

[plugins.hotline]
allow = ["storage", "config", "log", "clock"]
events-publish = ["hotline.*.*"]

[plugins.supervision]
allow = ["storage", "config", "log", "clock", "blobs", "notices", "directory", "public-writes"]
events-subscribe = ["hall.alert.*", "hall.haocha.rating"]

[plugins.training]
allow = ["storage", "config", "log", "clock", "blobs", "notices", "directory", "documents"]

[plugins.reporting]
allow = ["storage", "config", "log", "clock", "documents", "notices", "directory", "blobs"]
events-publish = ["reporting.generate"]
# A year's figures over a million hotline orders take several seconds to
# read (docs/benchmarks.md): more than the default deadline.
limits = { timeout-ms = 30000 }

# Phone surveys draw their numbers from the hotline's work orders.
[[storage-read]]
reader = "supervision"
target = "hotline/orders"

# The monthly report reads the figures the modules publish.
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
"#;
