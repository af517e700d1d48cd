//! The agent's MQTT link: birth and Last Will, heartbeats, sending the
//! outbox in acknowledged batches, and receiving desired state and commands.
//!
//! Sending is go-back-N over the outbox: at most `window` batches are
//! unacknowledged at a time; the host acknowledges the highest contiguous
//! sequence number it applied; if no acknowledgement arrives within
//! `resend_after`, or the connection drops, sending restarts from the first
//! unacknowledged event. The host ignores what it already applied, so a
//! resend is always safe.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bantong_fabric::msg::{
    self, Ack, CatalogueUpdate, Command, Desired, Heartbeat, LinkState, Reply, Report, Status,
};
use bantong_fabric::topic::{self, Down, Topic, Up};
use bantong_fabric::{AgentId, decode, encode};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::{Notify, mpsc, watch};

use crate::outbox::Outbox;

/// Everything the link needs to know.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub agent: AgentId,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub version: String,
    pub keep_alive: Duration,
    pub heartbeat: Duration,
    pub batch_events: usize,
    pub batch_bytes: usize,
    pub window: usize,
    pub resend_after: Duration,
}

impl LinkSettings {
    /// The settings of `identity`'s link under `config`, with every knob
    /// clamped to what the fabric accepts.
    pub fn new(
        config: &crate::config::EdgeConfig,
        identity: &crate::identity::Identity,
    ) -> LinkSettings {
        let c = config;
        LinkSettings {
            agent: identity.agent_id.clone(),
            host: c
                .mqtt_host
                .clone()
                .unwrap_or_else(|| identity.mqtt_host.clone()),
            port: c.mqtt_port.unwrap_or(identity.mqtt_port),
            username: identity.username.clone(),
            password: identity.password.clone(),
            version: env!("CARGO_PKG_VERSION").into(),
            keep_alive: Duration::from_secs(c.keep_alive_s.max(5)),
            heartbeat: Duration::from_secs(c.heartbeat_s.max(1)),
            batch_events: c.batch_events.clamp(1, msg::MAX_BATCH_EVENTS),
            batch_bytes: (c.batch_kib * 1024).clamp(1024, msg::MAX_MESSAGE_BYTES / 2),
            window: c.window.clamp(1, 64),
            resend_after: Duration::from_secs(c.resend_after_s.max(1)),
        }
    }
}

/// What the link hands to the agent.
#[derive(Debug)]
pub enum Inbound {
    Desired(Desired),
    Command(Command),
    Catalogue(CatalogueUpdate),
}

/// What the agent asks the link to publish.
#[derive(Debug)]
pub enum Outgoing {
    Reply(Reply),
    Report(Report),
}

enum LinkEvent {
    Up,
    Down(String),
    Message(String, bytes::Bytes),
}

/// Heartbeat contents, gathered by the agent.
pub type HeartbeatFn = Arc<dyn Fn() -> Heartbeat + Send + Sync>;

/// A process-unique id for births and deaths.
fn boot_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn status(state: LinkState, boot: &str, conn: u64, version: &str) -> Vec<u8> {
    encode(&Status {
        state,
        boot: boot.to_owned(),
        conn,
        version: version.to_owned(),
        ts_ms: crate::outbox::now_ms(),
    })
}

fn options(s: &LinkSettings, boot: &str, conn: u64) -> MqttOptions {
    let mut o = MqttOptions::new(s.agent.as_str(), s.host.clone(), s.port);
    o.set_keep_alive(s.keep_alive)
        .set_credentials(s.username.clone(), s.password.clone())
        .set_clean_session(true)
        .set_max_packet_size(msg::MAX_MESSAGE_BYTES + 1024, msg::MAX_MESSAGE_BYTES + 1024)
        .set_inflight(64)
        .set_last_will(LastWill::new(
            topic::up(&s.agent, Up::Status),
            status(LinkState::Offline, boot, conn, &s.version),
            QoS::AtLeastOnce,
            true,
        ));
    o
}

/// Drives the event loop, reconnecting with backoff; the Last Will of each
/// new connection carries its own connection number.
async fn poll(
    mut eventloop: EventLoop,
    settings: LinkSettings,
    boot: String,
    tx: mpsc::Sender<LinkEvent>,
) {
    let mut conn = 1u64;
    let mut backoff = Duration::from_millis(250);
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff = Duration::from_millis(250);
                if tx.send(LinkEvent::Up).await.is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if tx
                    .send(LinkEvent::Message(p.topic, p.payload))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                // Flush the DISCONNECT, then stop.
                let _ = eventloop.poll().await;
                return;
            }
            Ok(_) => {}
            Err(e) => {
                if tx.send(LinkEvent::Down(e.to_string())).await.is_err() {
                    return;
                }
                conn += 1;
                eventloop.mqtt_options = options(&settings, &boot, conn);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Runs the link until `shutdown` turns true; then publishes the offline
/// status and disconnects cleanly.
pub async fn run(
    settings: LinkSettings,
    outbox: Arc<Mutex<Outbox>>,
    written: Arc<Notify>,
    inbound: mpsc::Sender<Inbound>,
    mut outgoing: mpsc::Receiver<Outgoing>,
    heartbeat: HeartbeatFn,
    mut shutdown: watch::Receiver<bool>,
) {
    let boot = boot_id();
    let (client, eventloop) = AsyncClient::new(options(&settings, &boot, 1), 256);
    let (tx, mut events) = mpsc::channel(1024);
    let poller = tokio::spawn(poll(eventloop, settings.clone(), boot.clone(), tx));
    let mut link = Link {
        settings,
        client,
        outbox,
        connected: false,
        conn: 0,
        boot,
        cursor: 1,
        inflight: VecDeque::new(),
    };
    let mut beat = tokio::time::interval(link.settings.heartbeat);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut check = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(LinkEvent::Up) => link.up().await,
                Some(LinkEvent::Down(why)) => link.down(&why),
                Some(LinkEvent::Message(t, payload)) => link.message(&t, &payload, &inbound).await,
                None => break,
            },
            _ = written.notified() => {}
            Some(out) = outgoing.recv() => link.publish_outgoing(out).await,
            _ = beat.tick() => link.heartbeat(&heartbeat).await,
            _ = check.tick() => link.check_resend(),
            _ = shutdown.changed() => {
                if link.connected {
                    let _ = link.client.publish(
                        topic::up(&link.settings.agent, Up::Status),
                        QoS::AtLeastOnce,
                        true,
                        status(LinkState::Offline, &link.boot, link.conn, &link.settings.version),
                    ).await;
                    let _ = link.client.disconnect().await;
                }
                break;
            }
        }
        link.send().await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), poller).await;
}

struct Link {
    settings: LinkSettings,
    client: AsyncClient,
    outbox: Arc<Mutex<Outbox>>,
    connected: bool,
    conn: u64,
    boot: String,
    /// Next sequence number to send.
    cursor: u64,
    /// Last sequence number of each unacknowledged batch, with its send time.
    inflight: VecDeque<(u64, Instant)>,
}

impl Link {
    fn outbox(&self) -> std::sync::MutexGuard<'_, Outbox> {
        self.outbox.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn up(&mut self) {
        self.connected = true;
        self.conn += 1;
        let agent = &self.settings.agent;
        tracing::info!(%agent, conn = self.conn, "MQTT link up");
        let _ = self
            .client
            .publish(
                topic::up(agent, Up::Status),
                QoS::AtLeastOnce,
                true,
                status(
                    LinkState::Online,
                    &self.boot,
                    self.conn,
                    &self.settings.version,
                ),
            )
            .await;
        let (_, own_down) = topic::agent_rights(agent);
        let _ = self.client.subscribe(own_down, QoS::AtLeastOnce).await;
        self.inflight.clear();
        let acked = self.outbox().acked();
        self.cursor = acked + 1;
    }

    fn down(&mut self, why: &str) {
        if self.connected {
            tracing::warn!(agent = %self.settings.agent, "MQTT link down: {why}");
        } else {
            tracing::debug!(agent = %self.settings.agent, "MQTT connect failed: {why}");
        }
        self.connected = false;
        self.inflight.clear();
    }

    async fn message(&mut self, t: &str, payload: &[u8], inbound: &mpsc::Sender<Inbound>) {
        let Some(Topic::Down(agent, channel)) = topic::parse(t) else {
            tracing::warn!(topic = t, "message on an unexpected topic ignored");
            return;
        };
        if agent != self.settings.agent {
            tracing::warn!(topic = t, "message for another agent ignored");
            return;
        }
        match channel {
            Down::Ack => match decode::<Ack>(payload) {
                Ok(ack) => {
                    self.ack(ack.upto).await;
                    if ack.resend {
                        // The host saw a gap (it missed a batch): go back now.
                        self.inflight.clear();
                        self.cursor = ack.upto + 1;
                    }
                }
                Err(e) => tracing::warn!("bad ack from the host: {e}"),
            },
            Down::Desired => match decode::<Desired>(payload) {
                Ok(d) => {
                    let _ = inbound.send(Inbound::Desired(d)).await;
                }
                Err(e) => tracing::warn!("bad desired state from the host: {e}"),
            },
            Down::Command => match decode::<Command>(payload) {
                Ok(c) => {
                    let _ = inbound.send(Inbound::Command(c)).await;
                }
                Err(e) => tracing::warn!("bad command from the host: {e}"),
            },
            Down::Catalogue => match decode::<CatalogueUpdate>(payload) {
                Ok(c) => {
                    let _ = inbound.send(Inbound::Catalogue(c)).await;
                }
                Err(e) => tracing::warn!("bad catalogue from the host: {e}"),
            },
        }
    }

    async fn ack(&mut self, upto: u64) {
        let outbox = self.outbox.clone();
        let acked = tokio::task::spawn_blocking(move || {
            let mut ob = outbox.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = ob.ack(upto) {
                tracing::error!("outbox: recording ack {upto} failed: {e}");
            }
            ob.acked()
        })
        .await
        .unwrap_or(0);
        while self
            .inflight
            .front()
            .is_some_and(|(last, _)| *last <= acked)
        {
            self.inflight.pop_front();
        }
        if self.cursor <= acked {
            self.cursor = acked + 1;
        }
    }

    fn check_resend(&mut self) {
        if let Some((_, sent)) = self.inflight.front()
            && sent.elapsed() > self.settings.resend_after
        {
            let acked = self.outbox().acked();
            tracing::info!(
                agent = %self.settings.agent,
                "no acknowledgement for {:?}; resending from {}",
                self.settings.resend_after,
                acked + 1
            );
            self.inflight.clear();
            self.cursor = acked + 1;
        }
    }

    /// Publishes batches while the window has room.
    async fn send(&mut self) {
        while self.connected && self.inflight.len() < self.settings.window {
            let batch = {
                let ob = self.outbox();
                if self.cursor >= ob.next_seq() {
                    return;
                }
                ob.read_from(
                    self.cursor,
                    self.settings.batch_events,
                    self.settings.batch_bytes,
                )
            };
            let records = match batch {
                Ok(r) if !r.is_empty() => r,
                Ok(_) => return,
                Err(e) => {
                    tracing::error!("outbox read failed: {e}");
                    return;
                }
            };
            let last = records.last().map_or(self.cursor, |(s, _)| *s);
            let mut payload =
                Vec::with_capacity(records.iter().map(|(_, p)| p.len() + 1).sum::<usize>() + 16);
            payload.extend_from_slice(b"{\"events\":[");
            for (i, (_, json)) in records.iter().enumerate() {
                if i > 0 {
                    payload.push(b',');
                }
                payload.extend_from_slice(json);
            }
            payload.extend_from_slice(b"]}");
            if self
                .client
                .publish(
                    topic::up(&self.settings.agent, Up::Events),
                    QoS::AtLeastOnce,
                    false,
                    payload,
                )
                .await
                .is_err()
            {
                return;
            }
            self.inflight.push_back((last, Instant::now()));
            self.cursor = last + 1;
        }
    }

    async fn heartbeat(&mut self, heartbeat: &HeartbeatFn) {
        if !self.connected {
            return;
        }
        let beat = heartbeat();
        let _ = self
            .client
            .publish(
                topic::up(&self.settings.agent, Up::Heartbeat),
                QoS::AtMostOnce,
                false,
                encode(&beat),
            )
            .await;
    }

    async fn publish_outgoing(&mut self, out: Outgoing) {
        let (channel, payload) = match out {
            // Replies leave the box too: no ID number in them either.
            Outgoing::Reply(mut r) => {
                bantong_hall_kit::scrub::scrub_json(&mut r.result);
                if let Some(e) = &r.error {
                    r.error = Some(bantong_hall_kit::scrub::scrub_text(e).into_owned());
                }
                (Up::Reply, encode(&r))
            }
            Outgoing::Report(r) => (Up::Report, encode(&r)),
        };
        if self.connected {
            let _ = self
                .client
                .publish(
                    topic::up(&self.settings.agent, channel),
                    QoS::AtLeastOnce,
                    false,
                    payload,
                )
                .await;
        }
    }
}
