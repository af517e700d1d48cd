//! Many agents in one process, for load tests of a host: each gets its own
//! outbox and MQTT link (birth, Last Will, heartbeats, acknowledged event
//! batches), but no cameras or plugins, so thousands fit on one machine.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use bantong_fabric::msg::Heartbeat;
use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};

use crate::config::EdgeConfig;
use crate::link::{self, LinkSettings};
use crate::outbox::{Draft, Outbox, OutboxConfig, now_ms};
use crate::sink::EventSink;

/// Runs every agent found under `dir` until Ctrl-C.
pub async fn run(config: &EdgeConfig, dir: &Path, events_per_minute: u32) -> anyhow::Result<()> {
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
        let beat_outbox = outbox.clone();
        let heartbeat: link::HeartbeatFn = Arc::new(move || Heartbeat {
            ts_ms: now_ms(),
            uptime_s: 0,
            outbox: beat_outbox
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .state(),
            plugins: Vec::new(),
            cameras: Vec::new(),
        });
        let (inbound_tx, mut inbound) = mpsc::channel(8);
        let (_outgoing_tx, outgoing) = mpsc::channel(8);
        tasks.push(tokio::spawn(link::run(
            settings,
            outbox.clone(),
            written.clone(),
            inbound_tx,
            outgoing,
            heartbeat,
            shutdown.clone(),
        )));
        // Desired state and commands are accepted and ignored.
        tasks.push(tokio::spawn(async move {
            while inbound.recv().await.is_some() {}
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
