//! Runs what the host wants: fetches each desired plugin by digest, checks
//! digest and signature, starts it, feeds it the cameras' frames, and
//! promotes it after a healthy trial window or rolls back to the version it
//! replaced. Known-good versions and their packages are kept on disk, so a
//! restart without the host runs the same plugins.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bantong_fabric::msg::{DeployState, Desired, DesiredPlugin, PluginReport, PluginState, Report};
use bantong_manifest::{Package, TrustedKeys};
use bantong_runtime::edge::EdgeRuntime;
use bantong_runtime::vision::Frame;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use crate::devices::{DeviceEvent, Devices};
use crate::link::Outgoing;
use crate::plugins::{AgentEdgeHost, Loader, RunningPlugin};
use crate::sink::EventSink;

/// A host command for one plugin, with where its reply goes.
#[derive(Debug)]
pub struct PluginCommand {
    pub command: bantong_fabric::msg::Command,
    pub reply: tokio::sync::oneshot::Sender<bantong_fabric::msg::Reply>,
}

/// How often each running plugin gets its `on-timer` tick.
const TIMER_EVERY: Duration = Duration::from_secs(10);

/// How often freed heap is handed back to the system while running.
const TRIM_EVERY: Duration = Duration::from_secs(5);

/// Where the runner finds packages and keeps state.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    pub data_dir: PathBuf,
    pub host_url: String,
    pub username: String,
    pub password: String,
    pub trusted: TrustedKeys,
    /// How packages are compiled and loaded.
    pub loader: Loader,
    /// District data the plugins read (the service catalogue).
    pub district: Arc<crate::district::District>,
}

struct Slot {
    current: RunningPlugin,
    desired: DesiredPlugin,
    /// The version this one replaced, kept until the trial passes.
    previous: Option<(RunningPlugin, DesiredPlugin)>,
    trial_until: Option<Instant>,
}

/// Versions that ran healthily, by plugin id (`known-good.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct KnownGood {
    plugins: BTreeMap<String, DesiredPlugin>,
    /// Digests that failed here; not retried until the host asks for another.
    rejected: BTreeSet<String>,
}

pub struct Runner {
    settings: RunnerSettings,
    runtime: Arc<EdgeRuntime<AgentEdgeHost>>,
    slots: BTreeMap<String, Slot>,
    known: KnownGood,
    revision: u64,
    reports: BTreeMap<String, PluginReport>,
    sink: EventSink,
    outgoing: mpsc::Sender<Outgoing>,
    /// What the heartbeat shows.
    pub states: Arc<Mutex<Vec<PluginState>>>,
    devices: Devices,
    device_events: Option<mpsc::UnboundedReceiver<DeviceEvent>>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("plugins", &self.slots.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

impl Runner {
    /// A runner on `runtime` (one engine can serve many runners).
    pub fn new(
        settings: RunnerSettings,
        runtime: Arc<EdgeRuntime<AgentEdgeHost>>,
        sink: EventSink,
        outgoing: mpsc::Sender<Outgoing>,
    ) -> Runner {
        let known = std::fs::read(settings.data_dir.join("known-good.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Runner {
            runtime,
            settings,
            slots: BTreeMap::new(),
            known,
            revision: 0,
            reports: BTreeMap::new(),
            sink,
            outgoing,
            states: Arc::new(Mutex::new(Vec::new())),
            devices: Devices::default(),
            device_events: None,
        }
    }

    /// Gives plugins the hall's devices; their events arrive on `events`.
    pub fn with_devices(
        mut self,
        devices: Devices,
        events: mpsc::UnboundedReceiver<DeviceEvent>,
    ) -> Runner {
        self.devices = devices;
        self.device_events = Some(events);
        self
    }

    fn save_known(&self) {
        let path = self.settings.data_dir.join("known-good.json");
        let tmp = path.with_extension("json.tmp");
        if let Ok(bytes) = serde_json::to_vec_pretty(&self.known)
            && std::fs::write(&tmp, bytes).is_ok()
        {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
}

/// The next frame, or never once the cameras are gone.
async fn next_frame(frames: &mut Option<mpsc::Receiver<Arc<Frame>>>) -> Option<Arc<Frame>> {
    match frames {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The next device event, or never when there are no devices.
async fn next_event(
    events: &mut Option<mpsc::UnboundedReceiver<DeviceEvent>>,
) -> Option<DeviceEvent> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The package for `digest`: from the local cache, else downloaded.
/// (Free functions: a `&Runner` is not `Send`, its plugin stores are not `Sync`.)
async fn package(settings: &RunnerSettings, digest: &str) -> Result<Vec<u8>, String> {
    let dir = settings.data_dir.join("artefacts");
    let path = dir.join(format!("{}.btpkg", hex_of(digest)));
    if let Ok(bytes) = std::fs::read(&path) {
        return Ok(bytes);
    }
    let bytes = download(settings, digest).await?;
    // Check before caching: the cache only ever holds what verified.
    let package = Package::decode(&bytes).map_err(|e| format!("artefact is not a package: {e}"))?;
    if package.digest().to_string() != digest {
        return Err(format!(
            "artefact digest {} does not match the desired {digest}; refused",
            package.digest()
        ));
    }
    package
        .verify(&settings.trusted)
        .map_err(|e| format!("artefact signature refused: {e}"))?;
    let _ = std::fs::create_dir_all(&dir);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, &bytes)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("caching the artefact: {e}"))?;
    Ok(bytes)
}

async fn download(settings: &RunnerSettings, digest: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let url = format!(
        "{}/api/edge/v1/artefacts/{digest}",
        settings.host_url.trim_end_matches('/')
    );
    let credentials = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", settings.username, settings.password));
    let request = http::Request::get(&url)
        .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(Duration::from_secs(60), client.request(request))
        .await
        .map_err(|_| format!("GET {url} timed out"))?
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if !status.is_success() {
        return Err(format!("GET {url}: {status}"));
    }
    Ok(body.to_vec())
}

impl Runner {
    fn report(
        &mut self,
        p: &DesiredPlugin,
        state: DeployState,
        error: Option<String>,
        running: Option<String>,
    ) {
        if let Some(e) = &error {
            tracing::warn!(plugin = %p.id, version = %p.version, ?state, "{e}");
        } else {
            tracing::info!(plugin = %p.id, version = %p.version, ?state, "deployment");
        }
        self.reports.insert(
            p.id.clone(),
            PluginReport {
                id: p.id.clone(),
                version: p.version.clone(),
                digest: p.digest.clone(),
                state,
                error: error.map(|e| e.chars().take(4000).collect()),
                running_version: running,
            },
        );
    }

    async fn send_report(&mut self) {
        let report = Report {
            revision: self.revision,
            plugins: self.reports.values().cloned().collect(),
        };
        let _ = self.outgoing.send(Outgoing::Report(report)).await;
        let states = self
            .slots
            .values()
            .map(|s| PluginState {
                id: s.current.id.clone(),
                version: s.current.version.clone(),
                digest: s.current.digest.clone(),
                state: if s.trial_until.is_some() {
                    "trial"
                } else {
                    "running"
                }
                .into(),
            })
            .collect();
        *self.states.lock().unwrap_or_else(|p| p.into_inner()) = states;
    }

    async fn start_plugin(&mut self, p: &DesiredPlugin) -> Result<RunningPlugin, String> {
        let settings = self.settings.clone();
        let bytes = package(&settings, &p.digest).await?;
        let starting = RunningPlugin::start_with(
            &self.runtime,
            &self.settings.loader,
            &bytes,
            &self.settings.trusted,
            &p.config.to_string(),
            self.devices.clone(),
            self.settings.district.clone(),
        );
        let started = starting.await.map_err(|e| e.to_string());
        // Compilation's scratch memory is free now: give it back.
        crate::memory::trim();
        started
    }

    /// Brings the running plugins in line with `desired`.
    pub async fn apply(&mut self, desired: Desired) {
        self.revision = desired.revision;
        let wanted: BTreeSet<String> = desired.plugins.iter().map(|p| p.id.clone()).collect();
        self.slots.retain(|id, _| wanted.contains(id));
        self.reports.retain(|id, _| wanted.contains(id));
        for p in desired.plugins {
            let same = self
                .slots
                .get(&p.id)
                .is_some_and(|s| s.desired.digest == p.digest && s.desired.config == p.config);
            if same {
                continue;
            }
            if self.known.rejected.contains(&p.digest) && !self.slots.contains_key(&p.id) {
                // Failed here before: run the last good version instead.
                if let Some(good) = self.known.plugins.get(&p.id).cloned() {
                    if let Ok(plugin) = self.start_plugin(&good).await {
                        self.slots.insert(
                            p.id.clone(),
                            Slot {
                                current: plugin,
                                desired: good.clone(),
                                previous: None,
                                trial_until: None,
                            },
                        );
                    }
                    self.report(
                        &p,
                        DeployState::RolledBack,
                        Some("failed its health check earlier".into()),
                        Some(good.version),
                    );
                }
                continue;
            }
            self.report(&p, DeployState::Pending, None, None);
            match self.start_plugin(&p).await {
                Ok(plugin) => {
                    let previous = self.slots.remove(&p.id).map(|s| (s.current, s.desired));
                    let window = Duration::from_secs(u64::from(p.health_window_s.max(1)));
                    self.slots.insert(
                        p.id.clone(),
                        Slot {
                            current: plugin,
                            desired: p.clone(),
                            previous,
                            trial_until: Some(Instant::now() + window),
                        },
                    );
                    self.report(&p, DeployState::Trial, None, None);
                }
                Err(e) => {
                    let running = self.slots.get(&p.id).map(|s| s.current.version.clone());
                    self.report(&p, DeployState::Failed, Some(e), running);
                }
            }
        }
        self.send_report().await;
    }

    /// Runs a host command in the plugin it names.
    pub async fn command(
        &mut self,
        command: &bantong_fabric::msg::Command,
    ) -> bantong_fabric::msg::Reply {
        use bantong_fabric::msg::Reply;
        let plugin = command.plugin.as_deref().unwrap_or_default();
        let outcome = match self.slots.get_mut(plugin) {
            Some(slot) => {
                slot.current
                    .command(&command.name, &command.args.to_string(), &self.sink)
                    .await
            }
            None => Err(format!("plugin {plugin:?} is not running on this agent")),
        };
        match outcome {
            Ok(text) => Reply {
                id: command.id.clone(),
                ok: true,
                result: serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
                error: None,
            },
            Err(e) => Reply {
                id: command.id.clone(),
                ok: false,
                result: serde_json::Value::Null,
                error: Some(e.chars().take(4000).collect()),
            },
        }
    }

    /// The periodic tick for every plugin.
    pub async fn timer(&mut self) {
        let now = crate::outbox::now_ms();
        for slot in self.slots.values_mut() {
            if let Err(e) = slot.current.timer(now, &self.sink).await {
                tracing::debug!(plugin = %slot.current.id, "timer failed: {e}");
            }
        }
    }

    /// Hands a device event to the plugins that hear it.
    pub async fn device(&mut self, event: DeviceEvent) {
        for slot in self.slots.values_mut() {
            if !slot.current.hears(&event) {
                continue;
            }
            if let Err(e) = slot.current.device(&event, &self.sink).await {
                tracing::debug!(plugin = %slot.current.id, "device event failed: {e}");
            }
        }
    }

    /// Shows a frame to every plugin.
    pub async fn frame(&mut self, frame: Arc<Frame>) {
        for slot in self.slots.values_mut() {
            if let Err(e) = slot.current.frame(frame.clone(), &self.sink).await {
                tracing::debug!(plugin = %slot.current.id, "frame failed: {e}");
            }
        }
    }

    /// Health checks of plugins on trial: promote or roll back.
    pub async fn check(&mut self) {
        let ids: Vec<String> = self.slots.keys().cloned().collect();
        let mut changed = false;
        for id in ids {
            let Some(slot) = self.slots.get_mut(&id) else {
                continue;
            };
            let Some(until) = slot.trial_until else {
                continue;
            };
            let health = slot.current.health().await;
            // A plugin on trial is a fresh instance: every failure counted is its own.
            let failed_calls = slot.current.failures;
            let verdict = match health {
                Err(e) => Some(e),
                Ok(()) if failed_calls > 0 => {
                    Some(format!("{failed_calls} failed calls during the trial"))
                }
                Ok(()) => None,
            };
            let Some(slot) = self.slots.remove(&id) else {
                continue;
            };
            changed = true;
            if let Some(why) = verdict {
                self.known.rejected.insert(slot.desired.digest.clone());
                self.save_known();
                let desired = slot.desired.clone();
                match slot.previous {
                    Some((plugin, prev)) => {
                        let version = prev.version.clone();
                        self.slots.insert(
                            id.clone(),
                            Slot {
                                current: plugin,
                                desired: prev,
                                previous: None,
                                trial_until: None,
                            },
                        );
                        self.report(&desired, DeployState::RolledBack, Some(why), Some(version));
                    }
                    None => self.report(&desired, DeployState::RolledBack, Some(why), None),
                }
            } else if Instant::now() >= until {
                self.known.plugins.insert(id.clone(), slot.desired.clone());
                self.save_known();
                let desired = slot.desired.clone();
                self.slots.insert(
                    id.clone(),
                    Slot {
                        previous: None,
                        trial_until: None,
                        ..slot
                    },
                );
                self.report(&desired, DeployState::Running, None, None);
            } else {
                self.slots.insert(id.clone(), slot);
                changed = false;
            }
        }
        if changed {
            self.send_report().await;
        }
    }

    /// Runs until the desired-state sender goes away: desired-state
    /// changes, frames, commands, device events, and a health check every
    /// second.
    pub async fn run(
        mut self,
        mut desired: watch::Receiver<Option<Desired>>,
        frames: mpsc::Receiver<Arc<Frame>>,
        mut commands: mpsc::Receiver<PluginCommand>,
    ) {
        // Boot with what the host last wanted, if it is unreachable now.
        let initial = desired.borrow_and_update().clone();
        if let Some(d) = initial {
            self.apply(d).await;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let mut trim = tokio::time::interval(TRIM_EVERY);
        let mut timer = tokio::time::interval(TIMER_EVERY);
        timer.tick().await;
        let mut device_events = self.device_events.take();
        let mut frames = Some(frames);
        loop {
            tokio::select! {
                changed = desired.changed() => {
                    if changed.is_err() { return; }
                    let d = desired.borrow_and_update().clone();
                    if let Some(d) = d { self.apply(d).await; }
                }
                // No cameras (or they all stopped): keep serving the rest.
                frame = next_frame(&mut frames) => match frame {
                    Some(f) => self.frame(f).await,
                    None => frames = None,
                },
                _ = tick.tick() => self.check().await,
                _ = trim.tick() => crate::memory::trim(),
                _ = timer.tick() => self.timer().await,
                Some(c) = commands.recv() => {
                    let reply = self.command(&c.command).await;
                    let _ = c.reply.send(reply);
                }
                Some(e) = next_event(&mut device_events) => self.device(e).await,
            }
        }
    }
}
