//! `bantong demo`: a ready-to-try installation on SQLite with the four pilot
//! halls, a demo administrator whose password is printed once, and the
//! example plugins signed with a demo key and installed.

use std::path::PathBuf;

use anyhow::{Context, Result};
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

/// The four pilot ("demonstration") halls of the source plan, plus two others.
const DEMO_HALLS: &[(&str, &str, &str, &str, HallGrade)] = &[
    (
        "bailou",
        "BL01",
        "百楼镇行政综合服务中心",
        "Bailou Town Service Hall",
        HallGrade::Demonstration,
    ),
    (
        "dongjinzhuang",
        "DJZ01",
        "东金庄乡行政综合服务中心",
        "Dongjinzhuang Township Service Hall",
        HallGrade::Demonstration,
    ),
    (
        "wusilu",
        "WSL01",
        "五四路街道行政综合服务中心",
        "Wusilu Street Service Hall",
        HallGrade::Demonstration,
    ),
    (
        "wuyao",
        "WY01",
        "五尧乡行政综合服务中心",
        "Wuyao Township Service Hall",
        HallGrade::Demonstration,
    ),
    (
        "guofu",
        "GF01",
        "郭福乡行政综合服务中心",
        "Guofu Township Service Hall",
        HallGrade::Standard,
    ),
    (
        "xinzhuang",
        "XZ01",
        "辛庄镇行政综合服务中心",
        "Xinzhuang Town Service Hall",
        HallGrade::Basic,
    ),
];

/// (crate folder, wasm file stem) of the plugins the demo installs.
const DEMO_PLUGINS: &[(&str, &str)] = &[("vendor-visitor-log", "vendor_visitor_log")];

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
    for (id, code, zh, en, grade) in DEMO_HALLS {
        if existing.iter().any(|h| h.id == *id) {
            continue;
        }
        let hall = NewHall {
            id: (*id).into(),
            code: (*code).into(),
            name_zh: (*zh).into(),
            name_en: (*en).into(),
            grade: *grade,
        };
        state.identity.create_hall(&system, hall).await?;
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
            wasm: args
                .wasm_dir
                .as_ref()
                .map(|d| d.join("bantong_camera_watch.wasm")),
            manifest: args
                .plugins
                .as_ref()
                .map(|d| d.join("camera-watch/manifest.toml")),
            listen,
        };
        tokio::spawn(async move {
            if let Err(e) = hall.run().await {
                tracing::error!("the simulated hall stopped: {e:#}");
            }
        });
        println!(
            "  simulated hall: agent {DEMO_AGENT} in 百楼镇 with five cameras; alerts at http://{listen}/api/edge/alerts"
        );
    }
    println!("  open http://{listen}/api/openapi.json — Ctrl-C stops\n");
    crate::cli::serve_state(state, listen, true).await
}

/// The demo's edge agent.
const DEMO_AGENT: &str = "bailou-edge-1";

/// An edge agent in the first demo hall, running in the demo process:
/// enrolled once, five simulated cameras, camera-watch deployed to it.
struct SimulatedHall {
    state: AppState,
    key: SigningKey,
    wasm: Option<PathBuf>,
    manifest: Option<PathBuf>,
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
        if let (Some(wasm), Some(manifest)) = (&self.wasm, &self.manifest)
            && wasm.exists()
            && manifest.exists()
        {
            let package = crate::cli::pack(manifest, wasm, Some(&self.key))?;
            let uploaded = edge
                .upload_artefact(&system, &package.encode())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let region = |seat: bool| {
                if seat {
                    serde_json::json!({ "id": "window-1", "kind": "seat", "rect": bantong_edge::camera::SEAT, "unattended_after_s": 60 })
                } else {
                    serde_json::json!({ "id": "queue", "kind": "zone", "rect": bantong_edge::camera::QUEUE_ZONE,
                                        "person_share": 0.047, "crowd_threshold": 8, "crowd_after_s": 30 })
                }
            };
            let cameras: serde_json::Map<String, serde_json::Value> = (1..=5)
                .map(|i| {
                    (
                        format!("cam-{i}"),
                        serde_json::json!({ "regions": [region(true), region(false)] }),
                    )
                })
                .collect();
            edge.deploy(
                &system,
                crate::edge::deploy::DeployRequest {
                    digest: uploaded["digest"].as_str().unwrap_or_default().to_owned(),
                    agents: vec![DEMO_AGENT.to_owned()],
                    config: Some(serde_json::json!({ "cameras": cameras })),
                    health_window_s: Some(10),
                    force: true,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
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
            ..bantong_edge::EdgeConfig::default()
        };
        let agent = bantong_edge::Agent::open(config, identity)?;
        let (_stop, shutdown) = tokio::sync::watch::channel(false);
        agent.run(shutdown).await;
        Ok(())
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
"#;
