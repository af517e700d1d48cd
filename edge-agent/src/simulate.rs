//! Many agents in one process, for load tests of a host: each gets its own
//! outbox and MQTT link (birth, Last Will, heartbeats, acknowledged event
//! batches), but no cameras, so thousands fit on one machine.
//!
//! With `plugins`, each agent also runs what the host dispatches to it
//! through its own [`Runner`]: it downloads the package, checks digest and
//! signature, starts its own instance, health-checks it through the trial
//! window and reports. The agents share one engine and compile each
//! version once (a real hall box compiles for itself, in parallel with the
//! others), so rollout timings measure the host and the fabric rather than
//! one process compiling the same module a thousand times.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use bantong_fabric::msg::Heartbeat;
use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};

use crate::config::EdgeConfig;
use bantong_manifest::TrustedKeys;

use crate::link::{self, Inbound, LinkSettings};
use crate::outbox::{Draft, Outbox, OutboxConfig, now_ms};
use crate::plugins::{Loader, ModuleCache};
use crate::runner::{Runner, RunnerSettings};
use crate::sink::EventSink;

/// What the simulated agents do besides holding their link.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimOptions {
    /// Synthetic `test.tick` events per agent per minute.
    pub events_per_minute: u32,
    /// Run dispatched plugins.
    pub plugins: bool,
}

/// Runs every agent found under `dir` until Ctrl-C.
pub async fn run(config: &EdgeConfig, dir: &Path, options: SimOptions) -> anyhow::Result<()> {
    let events_per_minute = options.events_per_minute;
    let runtime = if options.plugins {
        Some(Arc::new(bantong_runtime::edge::EdgeRuntime::new()?))
    } else {
        None
    };
    let modules = ModuleCache::default();
    let mut identities = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.join("identity.json").exists() {
            identities.push((path.clone(), crate::identity::load(&path)?));
        }
    }
    identities.sort_by(|a, b| a.1.agent_id.cmp(&b.1.agent_id));
    tracing::info!("simulating {} agents", identities.len());
    let (stop, shutdown) = watch::channel(false);
    let mut tasks = Vec::new();
    for (path, identity) in identities {
        let outbox = Arc::new(Mutex::new(Outbox::open(
            path.join("outbox"),
            OutboxConfig {
                limit_bytes: 16 * 1024 * 1024,
                segment_bytes: 1024 * 1024,
            },
        )?));
        let written = Arc::new(Notify::new());
        let settings = LinkSettings::new(config, &identity);
        let (outgoing_tx, outgoing) = mpsc::channel(8);
        let (desired_tx, desired_rx) = watch::channel(None);
        let district = Arc::new(crate::district::District::load(&path));
        let plugin_states = match &runtime {
            Some(runtime) => {
                let runner = Runner::new(
                    RunnerSettings {
                        data_dir: path.clone(),
                        host_url: config.host_url.clone(),
                        username: identity.username.clone(),
                        password: identity.password.clone(),
                        trusted: TrustedKeys::from_text(&identity.trusted_keys).unwrap_or_default(),
                        loader: Loader::Shared(modules.clone()),
                        district: district.clone(),
                    },
                    runtime.clone(),
                    EventSink::start(outbox.clone(), written.clone()),
                    outgoing_tx.clone(),
                );
                let states = runner.states.clone();
                // No cameras: the frame sender lives as long as the runner.
                // Commands are not routed to simulated agents' plugins.
                let (frames_tx, frames_rx) = mpsc::channel(1);
                let (commands_tx, commands_rx) = mpsc::channel(1);
                tasks.push(tokio::spawn(async move {
                    runner.run(desired_rx, frames_rx, commands_rx).await;
                    drop((frames_tx, commands_tx));
                }));
                states
            }
            None => Arc::new(Mutex::new(Vec::new())),
        };
        let beat_outbox = outbox.clone();
        let heartbeat: link::HeartbeatFn = Arc::new(move || Heartbeat {
            ts_ms: now_ms(),
            uptime_s: 0,
            outbox: beat_outbox
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .state(),
            plugins: plugin_states
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            cameras: Vec::new(),
            devices: Vec::new(),
        });
        let (inbound_tx, mut inbound) = mpsc::channel(8);
        tasks.push(tokio::spawn(link::run(
            settings,
            outbox.clone(),
            written.clone(),
            inbound_tx,
            outgoing,
            heartbeat,
            shutdown.clone(),
        )));
        // Desired state goes to the runner (when plugins run); commands
        // are accepted and ignored.
        tasks.push(tokio::spawn(async move {
            while let Some(message) = inbound.recv().await {
                if let Inbound::Catalogue(update) = &message {
                    district.offer(update);
                }
                if let Inbound::Desired(desired) = message {
                    let _ = desired_tx.send(Some(desired));
                }
            }
        }));
        if events_per_minute > 0 {
            let sink = EventSink::start(outbox, written);
            let mut shutdown = shutdown.clone();
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs_f64(
                    60.0 / f64::from(events_per_minute),
                ));
                loop {
                    tokio::select! {
                        _ = tick.tick() => {}
                        _ = shutdown.changed() => return,
                    }
                    let draft = Draft {
                        ts_ms: now_ms(),
                        kind: "test.tick".into(),
                        source: "agent".into(),
                        subject: None,
                        data: json!({}),
                        attachment: None,
                    };
                    if let Err(e) = sink.emit(vec![draft]).await {
                        tracing::warn!("simulated event refused: {e}");
                    }
                }
            }));
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
    }
    Ok(())
}
