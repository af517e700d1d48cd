//! The edge fabric, host side: the embedded MQTT broker (or the link to an
//! external one), enrolment of hall agents, their link state, and the
//! exactly-once ingest of their events.
//!
//! Data flow of an upstream event: agent outbox → `up/events` (QoS 1) →
//! broker → this host's MQTT client → [`dispatch`] (decode, store the
//! attachment as a blob) → the ingest task, which applies batches from many
//! agents in one transaction ([`bantong_store::Store::apply_edge_batches`])
//! and then publishes `down/ack` with each agent's applied prefix.
//!
//! Invariant: an ack is published only after the transaction that applied
//! the events it covers has committed.

pub mod auth;
pub mod deploy;
pub mod registry;
pub mod rollout;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bantong_broker::{BrokerConfig, BrokerHandle};
use bantong_fabric::msg::{
    self, Ack, Command, EnrolRequest, EnrolResponse, Heartbeat, Reply, Report, Status,
};
use bantong_fabric::topic::{self, Down, Topic, Up};
use bantong_fabric::{AgentId, decode, encode};
use bantong_store::{EdgeBatch, EdgeEventIn, Store};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use crate::config::{MqttConfig, MqttMode};
use crate::error::AppError;
use crate::identity::Identity;
use crate::plugins::registry::PluginIndex;
use auth::AgentAuth;
use registry::{Registry, random_hex};

/// Topic of the Mosquitto dynamic-security plugin's commands.
const DYNSEC: &str = "$CONTROL/dynamic-security/v1";

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct EdgeStats {
    pub batches: AtomicU64,
    pub events_applied: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected_events: AtomicU64,
    pub bad_messages: AtomicU64,
    pub ingest_errors: AtomicU64,
}

/// The host's edge fabric. Cheap to clone.
#[derive(Clone)]
pub struct Edge(Arc<Inner>);

pub struct Inner {
    pub registry: Registry,
    store: Store,
    index: Arc<PluginIndex>,
    pub config: MqttConfig,
    /// Keys plugin signatures must verify against (also given to agents).
    trusted: bantong_manifest::TrustedKeys,
    trusted_text: String,
    pub auth: Arc<AgentAuth>,
    client: Mutex<Option<AsyncClient>>,
    /// Closes agents' live connections on the embedded broker.
    disconnector: Mutex<Option<bantong_broker::Disconnector>>,
    replies: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    control: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    pub stats: EdgeStats,
    /// Serialises rollout steps in this process.
    rollout_lock: tokio::sync::Mutex<()>,
    /// Wakes the rollout driver when a report changed an outcome.
    rollout_wake: tokio::sync::Notify,
}

impl std::ops::Deref for Edge {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("mode", &self.config.mode)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Refuses `actor` unless it is a district administrator; `what` completes
/// "… needs the district-admin role".
pub(crate) fn require_admin(
    actor: &crate::identity::Principal,
    what: &str,
) -> Result<(), AppError> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(AppError::forbidden(format!(
            "{what} needs the district-admin role"
        )))
    }
}

/// The running parts of the fabric; stop them with [`EdgeRuntime::stop`].
#[derive(Debug)]
pub struct EdgeRuntime {
    broker: Option<BrokerHandle>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl EdgeRuntime {
    /// The embedded broker's address, if this process runs one.
    pub fn broker_addr(&self) -> Option<SocketAddr> {
        self.broker.as_ref().map(|b| b.local_addr())
    }

    pub fn broker_stats(&self) -> Option<Arc<bantong_broker::Stats>> {
        self.broker.as_ref().map(|b| b.stats())
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
        if let Some(b) = self.broker {
            b.shutdown().await;
        }
    }
}

impl Edge {
    pub fn new(
        identity: Identity,
        store: Store,
        index: Arc<PluginIndex>,
        config: MqttConfig,
        trusted_text: String,
    ) -> Edge {
        let trusted = bantong_manifest::TrustedKeys::from_text(&trusted_text).unwrap_or_default();
        Edge(Arc::new(Inner {
            trusted,
            trusted_text,
            registry: Registry::new(identity, Duration::from_secs(config.stale_after_s.max(1))),
            store,
            index,
            config,
            auth: Arc::new(AgentAuth::default()),
            client: Mutex::new(None),
            disconnector: Mutex::new(None),
            replies: Mutex::new(HashMap::new()),
            control: Mutex::new(HashMap::new()),
            stats: EdgeStats::default(),
            rollout_lock: tokio::sync::Mutex::new(()),
            rollout_wake: tokio::sync::Notify::new(),
        }))
    }

    pub(crate) fn client(&self) -> Option<AsyncClient> {
        lock(&self.client).clone()
    }

    /// Redeems an enrolment token (the agent's first call).
    pub async fn enrol(&self, request: EnrolRequest) -> Result<EnrolResponse, AppError> {
        let (agent, hall, secret) = self
            .registry
            .redeem(
                &request.token,
                &request.hostname,
                &request.version,
                |agent, secret| self.provision(agent, secret),
            )
            .await?;
        let (mqtt_host, mqtt_port) = self.config.public_endpoint();
        tracing::info!(%agent, %hall, "edge agent enrolled");
        // Retained: waiting for the agent when it first connects.
        self.publish_catalogue_to(agent.as_str()).await;
        Ok(EnrolResponse {
            username: agent.to_string(),
            agent_id: agent,
            hall_id: hall,
            mqtt_host,
            mqtt_port,
            password: secret,
            trusted_keys: self.trusted_text.clone(),
        })
    }

    /// Makes the broker accept an agent's credentials.
    async fn provision(&self, agent: AgentId, secret: String) -> Result<(), AppError> {
        match self.config.mode {
            MqttMode::Embedded => {
                self.auth
                    .insert(agent.as_str(), registry::sha256_hex(&secret));
                Ok(())
            }
            MqttMode::External => {
                let role = format!("bantong-agent-{agent}");
                let (publish, subscribe) = topic::agent_rights(&agent);
                self.dynsec(json!([
                    {"command": "createRole", "rolename": role},
                    {"command": "addRoleACL", "rolename": role, "acltype": "publishClientSend",
                     "topic": publish, "allow": true},
                    {"command": "addRoleACL", "rolename": role, "acltype": "subscribePattern",
                     "topic": subscribe, "allow": true},
                    {"command": "createClient", "username": agent.as_str(), "password": secret,
                     "clientid": agent.as_str(), "roles": [{"rolename": role}]},
                ]))
                .await
            }
        }
    }

    /// Revokes an agent and withdraws its credentials from the broker.
    pub async fn revoke(
        &self,
        actor: &crate::identity::Principal,
        id: &str,
    ) -> Result<(), AppError> {
        self.registry.revoke(actor, id).await?;
        match self.config.mode {
            // Refuse new connections, then close the live one (its Will
            // marks the agent offline). Mosquitto's `disableClient` does both.
            MqttMode::Embedded => {
                self.auth.remove(id);
                if let Some(d) = lock(&self.disconnector).as_ref() {
                    d.disconnect(id);
                }
            }
            MqttMode::External => {
                self.dynsec(json!([
                    {"command": "disableClient", "username": id},
                    {"command": "deleteClient", "username": id},
                ]))
                .await?
            }
        }
        Ok(())
    }

    /// Sends dynamic-security commands to Mosquitto and waits for answers;
    /// an error in any answer (other than "already exists") fails the call.
    async fn dynsec(&self, commands: Value) -> Result<(), AppError> {
        let client = self.client().ok_or_else(|| {
            AppError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "broker_unavailable",
                "the MQTT broker is not connected",
            )
        })?;
        let Value::Array(mut list) = commands else {
            return Ok(());
        };
        let mut waits = Vec::new();
        for c in &mut list {
            let id = random_hex(8);
            let (tx, rx) = oneshot::channel();
            lock(&self.control).insert(id.clone(), tx);
            if let Value::Object(map) = c {
                map.insert("correlationData".into(), Value::String(id));
            }
            waits.push(rx);
        }
        client
            .publish(
                DYNSEC,
                QoS::AtLeastOnce,
                false,
                encode(&json!({ "commands": list })),
            )
            .await
            .map_err(|e| AppError::internal("publishing to the broker", e))?;
        for rx in waits {
            let answer = tokio::time::timeout(Duration::from_secs(10), rx)
                .await
                .map_err(|_| {
                    AppError::new(
                        http::StatusCode::SERVICE_UNAVAILABLE,
                        "broker_timeout",
                        "the broker did not answer the credential change",
                    )
                })?
                .map_err(|_| AppError::internal("broker answer", "dropped"))?;
            if let Some(error) = answer.get("error").and_then(Value::as_str)
                && !error.contains("already exists")
            {
                return Err(AppError::internal(
                    "broker refused a credential change",
                    error,
                ));
            }
        }
        Ok(())
    }

    /// Sends a command to an agent (or to one of its plugins) and waits for
    /// its reply.
    pub async fn command(
        &self,
        agent: &AgentId,
        plugin: Option<&str>,
        name: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Reply, AppError> {
        let client = self.client().ok_or_else(|| {
            AppError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "broker_unavailable",
                "the MQTT broker is not connected",
            )
        })?;
        let command = Command {
            id: random_hex(8),
            name: name.to_owned(),
            args,
            expires_ms: crate::identity::now_ms() + timeout.as_millis() as i64,
            plugin: plugin.map(str::to_owned),
        };
        msg::Validate::validate(&command).map_err(AppError::validation)?;
        let (tx, rx) = oneshot::channel();
        lock(&self.replies).insert(command.id.clone(), tx);
        client
            .publish(
                topic::down(agent, Down::Command),
                QoS::AtLeastOnce,
                false,
                encode(&command),
            )
            .await
            .map_err(|e| AppError::internal("publishing to the broker", e))?;
        let reply = tokio::time::timeout(timeout, rx).await;
        lock(&self.replies).remove(&command.id);
        match reply {
            Ok(Ok(reply)) => Ok(reply),
            _ => Err(AppError::new(
                http::StatusCode::GATEWAY_TIMEOUT,
                "agent_timeout",
                format!("agent {agent} did not answer within {timeout:?}"),
            )),
        }
    }

    /// Starts the broker (embedded mode), the host's MQTT client, the
    /// dispatcher and the ingest task.
    pub async fn start(&self) -> anyhow::Result<EdgeRuntime> {
        let (stop, shutdown) = watch::channel(false);
        let (broker, host, port, username, password) = match self.config.mode {
            MqttMode::Embedded => {
                self.auth.replace_all(
                    self.registry
                        .credentials()
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                );
                let username = format!("bantong-host-{}", random_hex(4));
                let password = random_hex(32);
                self.auth.set_host(&username, &password);
                let broker = bantong_broker::start(
                    BrokerConfig {
                        listen: self.config.listen,
                        ..BrokerConfig::default()
                    },
                    self.auth.clone(),
                )
                .await
                .map_err(|e| {
                    anyhow::anyhow!("starting the MQTT broker on {}: {e}", self.config.listen)
                })?;
                let addr = broker.local_addr();
                *lock(&self.disconnector) = Some(broker.disconnector());
                (
                    Some(broker),
                    addr.ip().to_string(),
                    addr.port(),
                    username,
                    password,
                )
            }
            MqttMode::External => (
                None,
                self.config.host.clone(),
                self.config.port,
                self.config.username.clone(),
                self.config.password.clone(),
            ),
        };
        let mut options = MqttOptions::new(format!("bantong-host-{}", random_hex(4)), host, port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true)
            .set_credentials(username, password)
            .set_max_packet_size(msg::MAX_MESSAGE_BYTES + 4096, msg::MAX_MESSAGE_BYTES + 4096)
            .set_inflight(200);
        let (client, eventloop) = AsyncClient::new(options, 1024);
        *lock(&self.client) = Some(client);

        let (messages_tx, messages) = mpsc::channel(1024);
        let (ingest_tx, ingest_rx) = mpsc::channel(256);
        let (beats_tx, beats_rx) = mpsc::channel(4096);
        let tasks = vec![
            tokio::spawn(self.clone().watch_revisions()),
            tokio::spawn(self.clone().rollout_driver()),
            tokio::spawn(self.clone().poll(eventloop, messages_tx, shutdown.clone())),
            tokio::spawn(self.clone().dispatch(messages, ingest_tx, beats_tx)),
            tokio::spawn(self.clone().ingest(ingest_rx)),
            tokio::spawn(self.clone().heartbeats(beats_rx)),
        ];
        Ok(EdgeRuntime {
            broker,
            tasks,
            stop,
        })
    }

    async fn poll(
        self,
        mut eventloop: rumqttc::EventLoop,
        tx: mpsc::Sender<(String, bytes::Bytes)>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let event = tokio::select! {
                e = eventloop.poll() => e,
                _ = shutdown.changed() => return,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff = Duration::from_millis(100);
                    tracing::info!("edge fabric: connected to the MQTT broker");
                    let edge = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = edge.publish_all_desired().await {
                            tracing::warn!("re-publishing desired state failed: {e}");
                        }
                        edge.publish_catalogue().await;
                    });
                    if let Some(client) = self.client() {
                        let _ = client
                            .subscribe(topic::host_filter(), QoS::AtLeastOnce)
                            .await;
                        if self.config.mode == MqttMode::External {
                            let _ = client
                                .subscribe(format!("{DYNSEC}/response"), QoS::AtLeastOnce)
                                .await;
                        }
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if tx.send((p.topic, p.payload)).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("edge fabric: MQTT connection lost: {e}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn dispatch(
        self,
        mut messages: mpsc::Receiver<(String, bytes::Bytes)>,
        ingest: mpsc::Sender<EdgeBatch>,
        beats: mpsc::Sender<(String, String, i64)>,
    ) {
        while let Some((t, payload)) = messages.recv().await {
            if t == format!("{DYNSEC}/response") {
                self.control_response(&payload);
                continue;
            }
            let Some(Topic::Up(agent, channel)) = topic::parse(&t) else {
                continue;
            };
            let result = match channel {
                Up::Events => match self.decode_events(&agent, &payload).await {
                    Ok(batch) => {
                        let _ = ingest.send(batch).await;
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                Up::Status => match decode::<Status>(&payload) {
                    Ok(status) => self
                        .registry
                        .record_status(agent.as_str(), &status)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                },
                // Heartbeats and reports are stored as received: the
                // decoder has just proved them valid UTF-8 JSON of the
                // right shape, so there is no need to encode them again.
                Up::Heartbeat => match decode::<Heartbeat>(&payload) {
                    Ok(_) => {
                        let _ = beats.try_send((
                            agent.to_string(),
                            String::from_utf8_lossy(&payload).into_owned(),
                            crate::identity::now_ms(),
                        ));
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                },
                Up::Report => match decode::<Report>(&payload) {
                    Ok(report) => {
                        let stored = self
                            .registry
                            .record_report(agent.as_str(), &String::from_utf8_lossy(&payload))
                            .await;
                        match stored {
                            Ok(()) => self
                                .rollout_report(agent.as_str(), &report)
                                .await
                                .map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                },
                Up::Reply => match decode::<Reply>(&payload) {
                    Ok(reply) => {
                        if let Some(tx) = lock(&self.replies).remove(&reply.id) {
                            let _ = tx.send(reply);
                        }
                        Ok(())
                    }
                    Err(e) => Err(e.to_string()),
                },
            };
            if let Err(e) = result {
                self.stats.bad_messages.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%agent, channel = channel.name(), "edge message refused: {e}");
            }
        }
    }

    fn control_response(&self, payload: &[u8]) {
        let Ok(value) = serde_json::from_slice::<Value>(payload) else {
            return;
        };
        let responses = value
            .get("responses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for r in responses {
            if let Some(id) = r.get("correlationData").and_then(Value::as_str)
                && let Some(tx) = lock(&self.control).remove(id)
            {
                let _ = tx.send(r);
            }
        }
    }

    /// Decodes a batch; an event that is invalid is applied as a
    /// `host.rejected` event in its place so the agent's sequence moves on
    /// and the problem is on record.
    async fn decode_events(&self, agent: &AgentId, payload: &[u8]) -> Result<EdgeBatch, String> {
        let decoded = msg::decode_batch_lenient(payload).map_err(|e| e.to_string())?;
        let mut events = Vec::with_capacity(decoded.len());
        for entry in decoded {
            let event = match entry {
                Ok(e) => e,
                Err((seq, why)) => {
                    self.stats.rejected_events.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%agent, seq, "edge event rejected: {why}");
                    events.push(EdgeEventIn {
                        seq: i64::try_from(seq).unwrap_or(i64::MAX),
                        ts_ms: crate::identity::now_ms(),
                        kind: "host.rejected".into(),
                        source: "host".into(),
                        subject: None,
                        data: json!({ "reason": why }).to_string(),
                        attachment: None,
                    });
                    continue;
                }
            };
            let mut data = event.data;
            let attachment = match &event.attachment {
                Some(a) => match self.store_attachment(agent, a).await {
                    Ok(sha) => Some(sha),
                    Err(why) => {
                        if let Value::Object(map) = &mut data {
                            map.insert("attachment_error".into(), Value::String(why));
                        }
                        None
                    }
                },
                None => None,
            };
            events.push(EdgeEventIn {
                seq: i64::try_from(event.seq).unwrap_or(i64::MAX),
                ts_ms: event.ts_ms,
                kind: event.kind,
                source: event.source,
                subject: event.subject,
                data: data.to_string(),
                attachment,
            });
        }
        Ok(EdgeBatch {
            agent: agent.to_string(),
            events,
        })
    }

    async fn store_attachment(
        &self,
        agent: &AgentId,
        a: &msg::Attachment,
    ) -> Result<String, String> {
        let bytes = a.bytes()?;
        let hall = self
            .registry
            .get(agent.as_str())
            .await
            .map_err(|e| e.to_string())?
            .map(|r| r.hall)
            .ok_or("unknown agent")?;
        self.store
            .put_blob_for(
                &bytes,
                &a.media_type,
                "edge",
                Some(&hall),
                &format!("edge:{agent}"),
            )
            .await
            .map(|b| b.sha256)
            .map_err(|e| e.to_string())
    }

    /// Applies queued batches together, then acknowledges.
    async fn ingest(self, mut rx: mpsc::Receiver<EdgeBatch>) {
        while let Some(first) = rx.recv().await {
            let mut batches = vec![first];
            let mut events: usize = batches[0].events.len();
            while events < 20_000 && batches.len() < 128 {
                match rx.try_recv() {
                    Ok(b) => {
                        events += b.events.len();
                        batches.push(b);
                    }
                    Err(_) => break,
                }
            }
            let index = self.index.clone();
            let subscribers = move |topic: &str| index.subscribers(topic);
            match self.store.apply_edge_batches(batches, &subscribers).await {
                Ok(results) => {
                    self.stats.batches.fetch_add(1, Ordering::Relaxed);
                    let client = self.client();
                    for r in results {
                        self.stats
                            .events_applied
                            .fetch_add(r.applied as u64, Ordering::Relaxed);
                        self.stats
                            .duplicates
                            .fetch_add(r.duplicates as u64, Ordering::Relaxed);
                        if r.refused {
                            tracing::warn!(agent = %r.agent, "events from an unknown or revoked agent dropped");
                            continue;
                        }
                        let (Some(client), Ok(agent)) = (&client, AgentId::parse(&r.agent)) else {
                            continue;
                        };
                        let ack = Ack {
                            upto: u64::try_from(r.upto).unwrap_or(0),
                            resend: r.gap > 0,
                        };
                        let _ = client
                            .publish(
                                topic::down(&agent, Down::Ack),
                                QoS::AtLeastOnce,
                                false,
                                encode(&ack),
                            )
                            .await;
                    }
                }
                Err(e) => {
                    // Nothing was applied and nothing is acknowledged: the
                    // agents resend after their timeout.
                    self.stats.ingest_errors.fetch_add(1, Ordering::Relaxed);
                    tracing::error!("edge ingest failed: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    /// Re-publishes an agent's desired state when its revision changes in
    /// the database without this process publishing it (the CLI, another
    /// host process). Polls every two seconds.
    async fn watch_revisions(self) {
        let mut seen: HashMap<String, i64> = HashMap::new();
        let mut first = true;
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            let rows = match sqlx::query("SELECT agent_id, revision FROM edge_revisions")
                .fetch_all(self.store.pool())
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!("reading edge revisions failed: {e}");
                    continue;
                }
            };
            for row in rows {
                use sqlx::Row;
                let (Ok(agent), Ok(revision)) =
                    (row.try_get::<String, _>(0), row.try_get::<i64, _>(1))
                else {
                    continue;
                };
                let previous = seen.insert(agent.clone(), revision);
                if !first
                    && previous != Some(revision)
                    && let Err(e) = self.publish_desired(&agent).await
                {
                    tracing::warn!(%agent, "publishing desired state failed: {e}");
                }
            }
            first = false;
        }
    }

    /// Writes the latest heartbeat per agent about once a second.
    async fn heartbeats(self, mut rx: mpsc::Receiver<(String, String, i64)>) {
        let mut latest: HashMap<String, (String, i64)> = HashMap::new();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                beat = rx.recv() => match beat {
                    Some((agent, json, at)) => { latest.insert(agent, (json, at)); }
                    None => return,
                },
                _ = tick.tick() => {
                    if latest.is_empty() {
                        continue;
                    }
                    let beats = latest.drain().map(|(a, (j, t))| (a, j, t)).collect();
                    if let Err(e) = self.registry.record_heartbeats(beats).await {
                        tracing::warn!("storing heartbeats failed: {e}");
                    }
                }
            }
        }
    }
}
