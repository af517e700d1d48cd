//! One hall agent: its outbox, its link to the host, and what it does with
//! desired state and commands.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use bantong_fabric::AgentId;
use bantong_fabric::msg::{Command, Desired, Heartbeat, Reply};
use serde_json::json;
use tokio::sync::{Notify, mpsc, watch};

use crate::config::EdgeConfig;
use crate::identity::Identity;
use crate::link::{self, Inbound, LinkSettings, Outgoing};
use crate::outbox::{Draft, Outbox, OutboxConfig};
use crate::sink::EventSink;

/// A running agent's handles.
pub struct Agent {
    pub config: EdgeConfig,
    pub identity: Identity,
    outbox: Arc<Mutex<Outbox>>,
    written: Arc<Notify>,
    sink: EventSink,
    started: Instant,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("agent", &self.identity.agent_id)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Opens (and recovers) the outbox; starts nothing yet.
    pub fn open(config: EdgeConfig, identity: Identity) -> anyhow::Result<Agent> {
        let outbox = Outbox::open(
            config.data_dir.join("outbox"),
            OutboxConfig {
                limit_bytes: config.outbox_limit_mib * 1024 * 1024,
                segment_bytes: config.outbox_segment_mib * 1024 * 1024,
            },
        )
        .context("opening the outbox")?;
        if outbox.recovered_lost > 0 {
            tracing::error!(
                "outbox: {} events were unreadable after a crash and are reported as lost",
                outbox.recovered_lost
            );
        }
        let outbox = Arc::new(Mutex::new(outbox));
        let written = Arc::new(Notify::new());
        let sink = EventSink::start(outbox.clone(), written.clone());
        Ok(Agent {
            config,
            identity,
            outbox,
            written,
            sink,
            started: Instant::now(),
        })
    }

    pub fn id(&self) -> &AgentId {
        &self.identity.agent_id
    }

    /// Where this agent's upstream events go.
    pub fn sink(&self) -> EventSink {
        self.sink.clone()
    }

    /// Next sequence number the outbox will assign.
    pub fn next_seq(&self) -> u64 {
        self.outbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_seq()
    }

    pub fn outbox_state(&self) -> bantong_fabric::msg::OutboxState {
        self.outbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .state()
    }

    fn saved_desired(&self) -> Option<Desired> {
        std::fs::read(self.config.data_dir.join("desired.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// Starts the cameras: each sends frames into `frames` at its rate (a
    /// frame is dropped, not queued, when the plugins fall behind). The
    /// returned states are kept current for the heartbeat.
    fn start_cameras(
        &self,
        frames: mpsc::Sender<Arc<bantong_runtime::vision::Frame>>,
        shutdown: watch::Receiver<bool>,
    ) -> CameraStates {
        use crate::config::CameraKind;
        let fps = self.config.camera_fps.clamp(0.1, 60.0);
        let speed = self.config.camera_speed.clamp(0.1, 100.0);
        let states: CameraStates = Arc::new(Mutex::new(Vec::new()));
        for spec in &self.config.cameras {
            let kind = match spec.kind(fps) {
                Ok(kind) => kind,
                Err(e) => {
                    tracing::error!("{e}; camera not started");
                    continue;
                }
            };
            let slot = {
                let mut s = states.lock().unwrap_or_else(|p| p.into_inner());
                s.push(bantong_fabric::msg::CameraState {
                    id: spec.id.clone(),
                    ok: matches!(kind, CameraKind::Simulated(_)),
                    fps,
                });
                s.len() - 1
            };
            match kind {
                CameraKind::Simulated(scene) => {
                    let camera = crate::camera::SimulatedCamera::new(
                        &spec.id,
                        scene,
                        fps,
                        crate::outbox::now_ms(),
                    );
                    tokio::spawn(simulated_camera(
                        camera,
                        Duration::from_secs_f32(1.0 / (fps * speed)),
                        frames.clone(),
                        shutdown.clone(),
                    ));
                }
                CameraKind::V4l2(request) => {
                    let (id, frames, shutdown, states) = (
                        spec.id.clone(),
                        frames.clone(),
                        shutdown.clone(),
                        states.clone(),
                    );
                    let spawned = std::thread::Builder::new()
                        .name(format!("camera-{id}"))
                        .spawn(move || {
                            device_camera(&id, &request, &frames, &shutdown, &states, slot)
                        });
                    if let Err(e) = spawned {
                        tracing::error!(camera = %spec.id, "camera thread not started: {e}");
                    }
                }
            }
        }
        states
    }

    /// Runs the link, the cameras, the plugin runner and the
    /// command/desired-state handler until `shutdown`.
    pub async fn run(&self, shutdown: watch::Receiver<bool>) {
        let (inbound_tx, mut inbound) = mpsc::channel(64);
        let (outgoing_tx, outgoing) = mpsc::channel(64);
        // Two frames of slack: a frame is 600 KB, and a late frame is
        // better dropped than queued.
        let (frames_tx, frames_rx) = mpsc::channel(2);
        let (desired_tx, desired_rx) = watch::channel(self.saved_desired());
        let cameras = self.start_cameras(frames_tx, shutdown.clone());
        let (commands_tx, commands_rx) = mpsc::channel(16);
        let (inputs_tx, inputs_rx) = mpsc::unbounded_channel();
        let controllers = crate::serial::Controllers::start(
            &self.config.controllers,
            self.sink(),
            inputs_tx,
            shutdown.clone(),
        );
        let (device_events_tx, device_events_rx) = mpsc::unbounded_channel();
        let devices = crate::devices::Devices::start(
            &self.config.devices,
            crate::devices::Env {
                data_dir: self.config.data_dir.clone(),
                sink: self.sink(),
                controllers: controllers.clone(),
                events: device_events_tx,
                secret: Arc::new(crate::devices::load_secret(&self.config.data_dir)),
            },
            inputs_rx,
            shutdown.clone(),
        );
        let trusted = bantong_manifest::TrustedKeys::from_text(&self.identity.trusted_keys)
            .unwrap_or_default();
        let district = Arc::new(crate::district::District::load(&self.config.data_dir));
        let runner = bantong_runtime::edge::EdgeRuntime::new().map(|runtime| {
            crate::runner::Runner::new(
                crate::runner::RunnerSettings {
                    data_dir: self.config.data_dir.clone(),
                    host_url: self.config.host_url.clone(),
                    username: self.identity.username.clone(),
                    password: self.identity.password.clone(),
                    trusted,
                    loader: crate::plugins::Loader::Child {
                        dir: self.config.data_dir.join("compiled"),
                    },
                    district: district.clone(),
                },
                Arc::new(runtime),
                self.sink(),
                outgoing_tx.clone(),
            )
            .with_devices(devices.clone(), device_events_rx)
        });
        let plugin_states = match runner {
            Ok(runner) => {
                let states = runner.states.clone();
                tokio::spawn(runner.run(desired_rx, frames_rx, commands_rx));
                states
            }
            Err(e) => {
                tracing::error!("the plugin runtime did not start: {e}");
                Arc::new(Mutex::new(Vec::new()))
            }
        };
        let outbox = self.outbox.clone();
        let started = self.started;
        let beat_devices = devices.clone();
        let heartbeat: link::HeartbeatFn = Arc::new(move || Heartbeat {
            ts_ms: crate::outbox::now_ms(),
            uptime_s: started.elapsed().as_secs(),
            outbox: outbox.lock().unwrap_or_else(|p| p.into_inner()).state(),
            plugins: plugin_states
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            cameras: cameras.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            devices: beat_devices.list(None),
        });
        let link = link::run(
            LinkSettings::new(&self.config, &self.identity),
            self.outbox.clone(),
            self.written.clone(),
            inbound_tx,
            outgoing,
            heartbeat,
            shutdown.clone(),
        );
        let handler = async {
            while let Some(message) = inbound.recv().await {
                match message {
                    Inbound::Catalogue(update) => {
                        district.offer(&update);
                    }
                    Inbound::Desired(desired) => {
                        if self.desired(&desired) {
                            let _ = desired_tx.send(Some(desired));
                        }
                    }
                    Inbound::Command(command)
                        if command.plugin.is_none() && command.name.starts_with("peripheral.") =>
                    {
                        // Carried to the controller's line; answered when it acks.
                        if let Some(reply) = expired(&command) {
                            let _ = outgoing_tx.send(Outgoing::Reply(reply)).await;
                            continue;
                        }
                        let (controllers, outgoing) = (controllers.clone(), outgoing_tx.clone());
                        tokio::spawn(async move {
                            let outcome = match crate::serial::Request::from_command(
                                &command.name,
                                &command.args,
                            ) {
                                Ok((controller, request)) => {
                                    controllers.request(&controller, request).await
                                }
                                Err(e) => Err(e),
                            };
                            let reply = Reply {
                                id: command.id,
                                ok: outcome.is_ok(),
                                result: serde_json::Value::Null,
                                error: outcome.err(),
                            };
                            let _ = outgoing.send(Outgoing::Reply(reply)).await;
                        });
                    }
                    Inbound::Command(command)
                        if command.plugin.is_none() && command.name.starts_with("device.") =>
                    {
                        if let Some(reply) = expired(&command) {
                            let _ = outgoing_tx.send(Outgoing::Reply(reply)).await;
                            continue;
                        }
                        let (devices, outgoing) = (devices.clone(), outgoing_tx.clone());
                        tokio::spawn(async move {
                            let reply = device_command(&devices, command).await;
                            let _ = outgoing.send(Outgoing::Reply(reply)).await;
                        });
                    }
                    Inbound::Command(command) if command.plugin.is_some() => {
                        // The plugin answers through the runner; the reply
                        // is sent when it comes, without holding this loop.
                        if let Some(reply) = expired(&command) {
                            let _ = outgoing_tx.send(Outgoing::Reply(reply)).await;
                            continue;
                        }
                        let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
                        let id = command.id.clone();
                        let routed = commands_tx
                            .send(crate::runner::PluginCommand {
                                command,
                                reply: reply_tx,
                            })
                            .await;
                        let outgoing = outgoing_tx.clone();
                        tokio::spawn(async move {
                            let reply = match (routed, reply_rx.await) {
                                (Ok(()), Ok(reply)) => reply,
                                _ => Reply {
                                    id,
                                    ok: false,
                                    result: serde_json::Value::Null,
                                    error: Some("the plugin runtime is not running".into()),
                                },
                            };
                            let _ = outgoing.send(Outgoing::Reply(reply)).await;
                        });
                    }
                    Inbound::Command(command) => {
                        let reply = self.command(command);
                        let _ = outgoing_tx.send(Outgoing::Reply(reply)).await;
                    }
                }
            }
        };
        tokio::select! {
            _ = link => {}
            _ = handler => {}
        }
    }

    /// Keeps the latest desired state on disk, so a restart without the host
    /// runs the same plugins.
    /// Returns whether `desired` is new (and so should be applied).
    fn desired(&self, desired: &Desired) -> bool {
        let path = self.config.data_dir.join("desired.json");
        let current = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Desired>(&b).ok());
        if current
            .as_ref()
            .is_some_and(|c| c.revision > desired.revision)
        {
            tracing::warn!(
                "ignoring desired revision {} older than {}",
                desired.revision,
                current.map_or(0, |c| c.revision)
            );
            return false;
        }
        let tmp = path.with_extension("json.tmp");
        let result = std::fs::write(&tmp, bantong_fabric::encode(desired))
            .and_then(|_| std::fs::rename(&tmp, &path));
        match result {
            Ok(()) => tracing::info!(revision = desired.revision, "desired state stored"),
            Err(e) => tracing::error!("storing desired state: {e}"),
        }
        true
    }

    fn command(&self, command: Command) -> Reply {
        if let Some(reply) = expired(&command) {
            return reply;
        }
        match command.name.as_str() {
            "ping" => Reply {
                id: command.id,
                ok: true,
                result: json!({
                    "agent": self.identity.agent_id,
                    "uptime_s": self.started.elapsed().as_secs(),
                    "outbox": self.outbox_state(),
                }),
                error: None,
            },
            other => Reply {
                id: command.id,
                ok: false,
                result: serde_json::Value::Null,
                error: Some(format!("unknown command {other:?}")),
            },
        }
    }
}

/// `device.list`, `device.status`, `device.execute` and `device.simulate`
/// from the host.
async fn device_command(devices: &crate::devices::Devices, command: Command) -> Reply {
    let args = &command.args;
    let device = args.get("device").and_then(|d| d.as_str());
    let outcome: Result<serde_json::Value, String> = match (command.name.as_str(), device) {
        ("device.list", _) => Ok(json!(devices.list(None))),
        ("device.status", Some(d)) => devices
            .status(d)
            .map(|(class, status)| json!({ "device": d, "class": class, "status": status }))
            .ok_or_else(|| format!("no device {d:?} on this agent")),
        ("device.execute", Some(d)) => {
            let op = args.get("op").and_then(|o| o.as_str()).unwrap_or_default();
            let op_args = args.get("args").cloned().unwrap_or(serde_json::Value::Null);
            devices
                .execute(d, op, op_args)
                .await
                .and_then(|o| match o.kind.as_str() {
                    "result" => Ok(o.data),
                    _ => Err(o
                        .data
                        .get("error")
                        .and_then(|e| e.as_str())
                        .unwrap_or(&o.kind)
                        .to_owned()),
                })
        }
        ("device.simulate", Some(d)) => {
            let input = args
                .get("input")
                .cloned()
                .unwrap_or(serde_json::Value::Null);
            devices.simulate(d, input).await
        }
        ("device.status" | "device.execute" | "device.simulate", None) => {
            Err("args.device is required".into())
        }
        (other, _) => Err(format!("unknown command {other:?}")),
    };
    match outcome {
        Ok(result) => Reply {
            id: command.id,
            ok: true,
            result,
            error: None,
        },
        Err(e) => Reply {
            id: command.id,
            ok: false,
            result: serde_json::Value::Null,
            error: Some(e),
        },
    }
}

/// The refusal of a command that arrived after its deadline.
fn expired(command: &Command) -> Option<Reply> {
    (command.expires_ms < crate::outbox::now_ms()).then(|| Reply {
        id: command.id.clone(),
        ok: false,
        result: serde_json::Value::Null,
        error: Some("command expired before it arrived".into()),
    })
}

/// Cameras as the heartbeat reports them.
type CameraStates = Arc<Mutex<Vec<bantong_fabric::msg::CameraState>>>;

/// A simulated camera: a frame per tick.
async fn simulated_camera(
    mut camera: crate::camera::SimulatedCamera,
    period: Duration,
    frames: mpsc::Sender<Arc<bantong_runtime::vision::Frame>>,
    mut shutdown: watch::Receiver<bool>,
) {
    use crate::camera::CameraSource;
    let mut tick = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        match camera.next_frame() {
            Ok(frame) => {
                let _ = frames.try_send(Arc::new(frame));
            }
            Err(e) => tracing::warn!(camera = camera.id(), "frame failed: {e}"),
        }
    }
}

/// A V4L2 camera on its own thread (capture blocks): frames as the device
/// delivers them; on failure the camera is reported down and reopened
/// every five seconds.
fn device_camera(
    id: &str,
    request: &crate::v4l2::V4l2Request,
    frames: &mpsc::Sender<Arc<bantong_runtime::vision::Frame>>,
    shutdown: &watch::Receiver<bool>,
    states: &CameraStates,
    slot: usize,
) {
    use crate::camera::CameraSource;
    let set_ok = |ok: bool| {
        if let Some(s) = states
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(slot)
        {
            s.ok = ok;
        }
    };
    while !*shutdown.borrow() {
        let mut camera = match crate::v4l2::V4l2Camera::open(id, request) {
            Ok(camera) => camera,
            Err(e) => {
                tracing::warn!(camera = id, "{e}; retrying in 5 s");
                set_ok(false);
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
        };
        set_ok(true);
        while !*shutdown.borrow() {
            match camera.next_frame() {
                Ok(frame) => {
                    if frames.is_closed() {
                        return;
                    }
                    let _ = frames.try_send(Arc::new(frame));
                }
                Err(e) => {
                    tracing::warn!(camera = id, "capture failed: {e}; reopening");
                    set_ok(false);
                    break;
                }
            }
        }
    }
}

/// Emits synthetic `test.tick` events until the outbox has assigned
/// `count` sequence numbers in all (so a restarted agent continues where the
/// killed one stopped), `batch` per append, at most `rate` per second
/// (0: unlimited). For load and recovery tests.
pub async fn emit_synthetic(
    agent: &Agent,
    count: u64,
    batch: usize,
    rate: u64,
) -> anyhow::Result<()> {
    let sink = agent.sink();
    let start = Instant::now();
    let first = agent.next_seq();
    loop {
        let next = agent.next_seq();
        if next > count {
            return Ok(());
        }
        let n = (count + 1 - next).min(batch.max(1) as u64);
        let drafts = (next..next + n)
            .map(|seq| Draft {
                ts_ms: crate::outbox::now_ms(),
                kind: "test.tick".into(),
                source: "agent".into(),
                subject: None,
                data: json!({ "n": seq }),
                attachment: None,
            })
            .collect();
        sink.emit(drafts).await.map_err(anyhow::Error::msg)?;
        if rate > 0 {
            let done = agent.next_seq() - first;
            let due = Duration::from_secs_f64(done as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
}
