//! The hall's devices: one task per device, each behind the same small
//! interface: **open** (from the config), **health**, **events** and
//! **execute** — requests with ids that answer later and can be cancelled.
//!
//! A request comes from a plugin (`peripherals.submit`) or from the host
//! (`device.execute`). It is checked before it is accepted, so bad args
//! change nothing; then the device either answers at once (print, show,
//! call) or keeps the request waiting for a person (place a card, press a
//! finger, type a PIN) until input arrives, the request times out, or its
//! owner cancels it. Input comes from a transport — the firmware's serial
//! line for keypads, displays and ticket printers, a printer device file
//! for receipts — or, for a simulated device, from `device.simulate`.
//!
//! Answers and unsolicited input reach plugins as device events
//! ([`DeviceEvent`]): an answer only to the plugin that asked, input to
//! every plugin whose grant covers the device's class. What is secret stays
//! here: fingerprint templates are kept on the agent's disk and named by a
//! handle, a PIN becomes a keyed digest, and every event that leaves the box
//! is scrubbed of ID numbers by the outbox ([`crate::sink`]).

mod classes;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use crate::outbox::Draft;
use crate::serial::Controllers;
use crate::sink::EventSink;

pub use classes::CLASSES;

/// The longest a request may wait for a person.
pub const MAX_WAIT: Duration = Duration::from_secs(300);
/// How long a request waits when it does not say.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);
/// Requests waiting on one device at most.
const MAX_WAITING: usize = 16;

/// A device in the agent's config:
///
/// ```toml
/// [[devices]]
/// id = "keypad-3"
/// class = "rating-keypad"
/// controller = "hub-1"   # on a firmware controller's serial line…
/// unit = 3               # …as its device number 3
///
/// [[devices]]
/// id = "receipt-1"
/// class = "receipt-printer"
/// path = "/dev/usb/lp0"  # raw ESC/POS to a printer device file
///
/// [[devices]]
/// id = "reader-1"
/// class = "id-reader"
/// simulated = true       # driven by `device.simulate`
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    pub id: String,
    pub class: String,
    /// The firmware controller (from `controllers`) the device hangs off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<String>,
    /// The device number on that controller.
    #[serde(default)]
    pub unit: u8,
    /// A device file to write to (receipt printers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A simulator instead of hardware.
    #[serde(default)]
    pub simulated: bool,
    /// Class options (`columns` of a receipt printer, `window` of a keypad).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub options: Value,
}

/// How a device is reached.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    Simulated,
    Controller { controller: String, unit: u8 },
    File(PathBuf),
}

impl DeviceSpec {
    /// A simulated device.
    pub fn simulated(id: &str, class: &str) -> DeviceSpec {
        DeviceSpec {
            id: id.to_owned(),
            class: class.to_owned(),
            simulated: true,
            ..DeviceSpec::default()
        }
    }

    /// The transport this entry names, or why it is unusable.
    pub fn transport(&self) -> Result<Transport, String> {
        let at = format!("device {}", self.id);
        if !valid_id(&self.id) {
            return Err(format!("device {:?}: ids are 1-64 of a-z 0-9 - _", self.id));
        }
        let Some(class) = classes::find(&self.class) else {
            return Err(format!(
                "{at}: unknown class {:?}; expected one of {}",
                self.class,
                CLASSES
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let transport = match (self.simulated, &self.controller, &self.path) {
            (true, None, None) => Transport::Simulated,
            (false, Some(c), None) => Transport::Controller {
                controller: c.clone(),
                unit: self.unit,
            },
            (false, None, Some(p)) => Transport::File(PathBuf::from(p)),
            _ => {
                return Err(format!(
                    "{at}: give exactly one of simulated = true, controller and path"
                ));
            }
        };
        let allowed = match transport {
            Transport::Simulated => true,
            Transport::Controller { .. } => class.on_controller,
            Transport::File(_) => class.on_file,
        };
        if !allowed {
            return Err(format!(
                "{at}: a {} cannot be reached that way ({})",
                self.class, class.reached_by
            ));
        }
        Ok(transport)
    }
}

fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Checks a whole `devices` list (ids unique, controllers known).
pub fn check_specs(specs: &[DeviceSpec], controllers: &[String]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for spec in specs {
        if let Transport::Controller { controller, .. } = spec.transport()?
            && !controllers.contains(&controller)
        {
            return Err(format!(
                "device {}: no controller {controller:?} in `controllers`",
                spec.id
            ));
        }
        if !seen.insert(spec.id.as_str()) {
            return Err(format!("device {}: the id is used twice", spec.id));
        }
    }
    Ok(())
}

/// A device as plugins, the host and the heartbeat see it.
pub use bantong_fabric::msg::DeviceState as DeviceInfo;

/// What a device reports to plugins.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEvent {
    pub device: String,
    pub class: &'static str,
    /// `result`, `failed`, `cancelled`, or unsolicited input.
    pub kind: String,
    pub request: Option<u64>,
    /// The plugin this is for; `None`: every plugin granted the class.
    pub owner: Option<String>,
    pub data: Value,
    pub ts_ms: i64,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// `result`, `failed` or `cancelled`.
    pub kind: String,
    pub data: Value,
}

impl Outcome {
    fn of(result: Result<Value, String>) -> Outcome {
        match result {
            Ok(data) => Outcome {
                kind: "result".into(),
                data,
            },
            Err(error) => Outcome {
                kind: "failed".into(),
                data: json!({ "error": error }),
            },
        }
    }
}

/// Pending requests: id → (device, the plugin that owns it; `None`: the host).
type Owners = Arc<Mutex<HashMap<u64, (String, Option<String>)>>>;

/// Who asked.
#[derive(Debug)]
pub enum Owner {
    Plugin(String),
    /// The host, through `device.execute`, waiting for the outcome.
    Host(oneshot::Sender<Outcome>),
}

/// A request on a device.
#[derive(Debug)]
pub struct Job {
    pub id: u64,
    pub owner: Owner,
    pub op: String,
    pub args: Value,
    /// When a waiting request gives up.
    pub deadline: Instant,
}

/// Health and state as a device last reported them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Status {
    pub healthy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What an operator (or a test) can see: the display's lines, paper,
    /// whether a card is on the reader — never a secret.
    pub state: Value,
}

enum Msg {
    Job(Job),
    Cancel(u64),
    Input(Value, oneshot::Sender<Result<Value, String>>),
}

struct Handle {
    class: &'static classes::Class,
    tx: mpsc::UnboundedSender<Msg>,
    status: Arc<Mutex<Status>>,
    simulated: bool,
}

/// Everything a device task needs from the agent.
#[derive(Clone)]
pub struct Env {
    pub data_dir: PathBuf,
    pub sink: EventSink,
    pub controllers: Controllers,
    pub events: mpsc::UnboundedSender<DeviceEvent>,
    /// Secret for PIN digests, per agent.
    pub secret: Arc<[u8; 32]>,
}

/// The hall's devices. Cheap to clone.
#[derive(Clone, Default)]
pub struct Devices {
    handles: Arc<BTreeMap<String, Handle>>,
    next: Arc<AtomicU64>,
    owners: Owners,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("devices", &self.handles.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Devices {
    /// Opens every device of `specs` (already checked), each on its own
    /// task. Inputs from firmware controllers arrive on `inputs`.
    pub fn start(
        specs: &[DeviceSpec],
        env: Env,
        inputs: mpsc::UnboundedReceiver<crate::serial::ControllerInput>,
        shutdown: watch::Receiver<bool>,
    ) -> Devices {
        let devices = Devices::default();
        let owners = devices.owners.clone();
        let mut handles = BTreeMap::new();
        let mut by_unit: HashMap<(String, u8), Vec<mpsc::UnboundedSender<Msg>>> = HashMap::new();
        for spec in specs {
            let transport = match spec.transport() {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!("{e}");
                    continue;
                }
            };
            let Some(class) = classes::find(&spec.class) else {
                continue;
            };
            let (tx, rx) = mpsc::unbounded_channel();
            let status = Arc::new(Mutex::new(Status::default()));
            if let Transport::Controller { controller, unit } = &transport {
                by_unit
                    .entry((controller.clone(), *unit))
                    .or_default()
                    .push(tx.clone());
            }
            let driver = (class.open)(spec, &transport, &env);
            let task = Task {
                id: spec.id.clone(),
                class,
                driver,
                env: env.clone(),
                status: status.clone(),
                owners: owners.clone(),
                waiting: Vec::new(),
                reported_healthy: None,
                started: Instant::now(),
            };
            tokio::spawn(task.run(rx, shutdown.clone()));
            handles.insert(
                spec.id.clone(),
                Handle {
                    class,
                    tx,
                    status,
                    simulated: transport == Transport::Simulated,
                },
            );
        }
        tokio::spawn(route_inputs(inputs, by_unit));
        Devices {
            handles: Arc::new(handles),
            ..devices
        }
    }

    /// Every device, or those of the given classes.
    pub fn list(&self, classes: Option<&[String]>) -> Vec<DeviceInfo> {
        self.handles
            .iter()
            .filter(|(_, h)| classes.is_none_or(|c| c.iter().any(|c| c == h.class.name)))
            .map(|(id, h)| {
                let s = lock(&h.status);
                DeviceInfo {
                    id: id.clone(),
                    class: h.class.name.to_owned(),
                    healthy: s.healthy,
                    detail: s.detail.clone(),
                }
            })
            .collect()
    }

    /// A device's health and visible state.
    pub fn status(&self, device: &str) -> Option<(String, Status)> {
        self.handles
            .get(device)
            .map(|h| (h.class.name.to_owned(), lock(&h.status).clone()))
    }

    /// The class of `device`.
    pub fn class_of(&self, device: &str) -> Option<&'static str> {
        self.handles.get(device).map(|h| h.class.name)
    }

    /// Checks and queues a request; returns its id. Nothing happens when
    /// this fails.
    pub fn submit(&self, device: &str, op: &str, args: Value, owner: Owner) -> Result<u64, String> {
        let handle = self
            .handles
            .get(device)
            .ok_or_else(|| format!("no device {device:?} on this agent"))?;
        (handle.class.check)(op, &args)?;
        let wait = match args.get("timeout_s") {
            None => DEFAULT_WAIT,
            Some(v) => v
                .as_u64()
                .filter(|s| (1..=MAX_WAIT.as_secs()).contains(s))
                .map(Duration::from_secs)
                .ok_or_else(|| format!("timeout_s: 1-{}", MAX_WAIT.as_secs()))?,
        };
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let plugin = match &owner {
            Owner::Plugin(p) => Some(p.clone()),
            Owner::Host(_) => None,
        };
        lock(&self.owners).insert(id, (device.to_owned(), plugin));
        let job = Job {
            id,
            owner,
            op: op.to_owned(),
            args,
            deadline: Instant::now() + wait,
        };
        if handle.tx.send(Msg::Job(job)).is_err() {
            lock(&self.owners).remove(&id);
            return Err(format!("device {device} is not running"));
        }
        Ok(id)
    }

    /// Runs a request for the host and waits for its outcome.
    pub async fn execute(&self, device: &str, op: &str, args: Value) -> Result<Outcome, String> {
        let (tx, rx) = oneshot::channel();
        self.submit(device, op, args, Owner::Host(tx))?;
        rx.await
            .map_err(|_| format!("device {device} stopped before answering"))
    }

    /// Cancels request `id` if `owner` (a plugin, or `None` for the host)
    /// owns it and it has not finished; returns whether it was pending. A
    /// request waiting for a person ends with a `cancelled` answer; one the
    /// device is already carrying out (a print under way) finishes and
    /// answers as usual.
    pub fn cancel(&self, id: u64, owner: Option<&str>) -> bool {
        let device = match lock(&self.owners).get(&id) {
            Some((device, o)) if o.as_deref() == owner => device.clone(),
            _ => return false,
        };
        self.handles
            .get(&device)
            .is_some_and(|h| h.tx.send(Msg::Cancel(id)).is_ok())
    }

    /// Feeds a simulated device input as a person would (place a card,
    /// press a key, run out of paper). Hardware refuses.
    pub async fn simulate(&self, device: &str, input: Value) -> Result<Value, String> {
        let handle = self
            .handles
            .get(device)
            .ok_or_else(|| format!("no device {device:?} on this agent"))?;
        if !handle.simulated {
            return Err(format!("device {device} is hardware, not a simulator"));
        }
        let (tx, rx) = oneshot::channel();
        handle
            .tx
            .send(Msg::Input(input, tx))
            .map_err(|_| format!("device {device} is not running"))?;
        rx.await.map_err(|_| format!("device {device} stopped"))?
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Hands controller input (a rating key) to the devices on that unit.
async fn route_inputs(
    mut inputs: mpsc::UnboundedReceiver<crate::serial::ControllerInput>,
    by_unit: HashMap<(String, u8), Vec<mpsc::UnboundedSender<Msg>>>,
) {
    while let Some(input) = inputs.recv().await {
        let key = (input.controller.clone(), input.unit);
        for tx in by_unit.get(&key).into_iter().flatten() {
            let (reply, _) = oneshot::channel();
            let _ = tx.send(Msg::Input(input.data.clone(), reply));
        }
    }
}

/// What a driver does with a request.
pub enum Step {
    /// Answered.
    Done(Result<Value, String>),
    /// Waits for input (or its deadline, or a cancel).
    Wait,
}

/// What a driver asks the task to do after input.
#[derive(Debug)]
pub enum Effect {
    /// Answers a waiting request.
    Finish(u64, Result<Value, String>),
    /// Tells the plugins granted this class.
    Emit(String, Value),
    /// Sends an event upstream (from the agent, about this device).
    Upstream(String, Value),
}

/// One device class's behaviour on one transport.
pub trait Driver: Send + 'static {
    /// Starts a checked request. May look at (not change) the waiting ones.
    fn start(
        &mut self,
        job: &Job,
        waiting: &[Job],
    ) -> impl std::future::Future<Output = Step> + Send;

    /// Input from the transport or the simulator; the reply goes back to
    /// whoever fed it (the `device.simulate` caller).
    fn input(&mut self, input: &Value, waiting: &[Job]) -> (Result<Value, String>, Vec<Effect>);

    /// A waiting request was cancelled or timed out (undo any prompt).
    fn abandoned(&mut self, _job: &Job) {}

    /// Current health and visible state (called after every change and
    /// every second).
    fn status(&self) -> Status;
}

/// The object-safe face of [`Driver`], for the task.
pub trait DynDriver: Send {
    fn start<'a>(
        &'a mut self,
        job: &'a Job,
        waiting: &'a [Job],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Step> + Send + 'a>>;
    fn input(&mut self, input: &Value, waiting: &[Job]) -> (Result<Value, String>, Vec<Effect>);
    fn abandoned(&mut self, job: &Job);
    fn status(&self) -> Status;
}

impl<D: Driver> DynDriver for D {
    fn start<'a>(
        &'a mut self,
        job: &'a Job,
        waiting: &'a [Job],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Step> + Send + 'a>> {
        Box::pin(Driver::start(self, job, waiting))
    }
    fn input(&mut self, input: &Value, waiting: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        Driver::input(self, input, waiting)
    }
    fn abandoned(&mut self, job: &Job) {
        Driver::abandoned(self, job);
    }
    fn status(&self) -> Status {
        Driver::status(self)
    }
}

/// One device's task.
struct Task {
    id: String,
    class: &'static classes::Class,
    driver: Box<dyn DynDriver>,
    env: Env,
    status: Arc<Mutex<Status>>,
    owners: Owners,
    waiting: Vec<Job>,
    reported_healthy: Option<bool>,
    started: Instant,
}

/// A device may take this long after the agent starts to come up (a
/// controller must answer its first query) before it counts as faulty.
const GRACE: Duration = Duration::from_secs(10);

impl Task {
    async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Msg>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        self.refresh();
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(Msg::Job(job)) => self.job(job).await,
                    Some(Msg::Cancel(id)) => self.cancel(id),
                    Some(Msg::Input(input, reply)) => {
                        let (answer, effects) = self.driver.input(&input, &self.waiting);
                        let _ = reply.send(answer);
                        for effect in effects {
                            self.apply(effect);
                        }
                    }
                    None => return,
                },
                _ = tick.tick() => self.expire(),
                _ = shutdown.changed() => if *shutdown.borrow() { return },
            }
            self.refresh();
        }
    }

    async fn job(&mut self, job: Job) {
        if self.waiting.len() >= MAX_WAITING {
            self.finish(
                job,
                Outcome::of(Err(format!(
                    "{} requests are already waiting on {}",
                    MAX_WAITING, self.id
                ))),
            );
            return;
        }
        match self.driver.start(&job, &self.waiting).await {
            Step::Done(result) => self.finish(job, Outcome::of(result)),
            Step::Wait => self.waiting.push(job),
        }
    }

    fn cancel(&mut self, id: u64) {
        let Some(i) = self.waiting.iter().position(|j| j.id == id) else {
            return;
        };
        let job = self.waiting.remove(i);
        self.driver.abandoned(&job);
        self.finish(
            job,
            Outcome {
                kind: "cancelled".into(),
                data: Value::Null,
            },
        );
    }

    fn expire(&mut self) {
        let now = Instant::now();
        let (expired, waiting): (Vec<Job>, Vec<Job>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|j| j.deadline <= now);
        self.waiting = waiting;
        for job in expired {
            self.driver.abandoned(&job);
            self.finish(job, Outcome::of(Err("timed out waiting for input".into())));
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Finish(id, result) => {
                if let Some(i) = self.waiting.iter().position(|j| j.id == id) {
                    let job = self.waiting.remove(i);
                    self.finish(job, Outcome::of(result));
                }
            }
            Effect::Emit(kind, data) => self.emit(kind, None, None, data),
            Effect::Upstream(kind, data) => self.upstream(&kind, data),
        }
    }

    /// Delivers an outcome to whoever asked.
    fn finish(&mut self, job: Job, outcome: Outcome) {
        lock(&self.owners).remove(&job.id);
        match job.owner {
            Owner::Host(reply) => {
                let _ = reply.send(outcome);
            }
            Owner::Plugin(plugin) => {
                self.emit(outcome.kind, Some(job.id), Some(plugin), outcome.data);
            }
        }
    }

    fn emit(&self, kind: String, request: Option<u64>, owner: Option<String>, data: Value) {
        let _ = self.env.events.send(DeviceEvent {
            device: self.id.clone(),
            class: self.class.name,
            kind,
            request,
            owner,
            data,
            ts_ms: crate::outbox::now_ms(),
        });
    }

    fn upstream(&self, kind: &str, data: Value) {
        let draft = Draft {
            ts_ms: crate::outbox::now_ms(),
            kind: kind.to_owned(),
            source: "agent".into(),
            subject: Some(self.id.clone()),
            data,
            attachment: None,
        };
        let sink = self.env.sink.clone();
        let device = self.id.clone();
        tokio::spawn(async move {
            if let Err(e) = sink.emit(vec![draft]).await {
                tracing::warn!(%device, "device event refused: {e}");
            }
        });
    }

    /// Publishes the driver's status; a change of health goes upstream
    /// (`alert.device-fault`, `device.recovered`) and to plugins (`health`).
    fn refresh(&mut self) {
        let mut status = self.driver.status();
        if let Value::Object(state) = &mut status.state {
            state.insert("waiting".into(), json!(self.waiting.len()));
        }
        let healthy = status.healthy;
        let detail = status.detail.clone();
        *lock(&self.status) = status;
        if self.reported_healthy == Some(healthy) {
            return;
        }
        if self.reported_healthy.is_none() && !healthy && self.started.elapsed() < GRACE {
            return;
        }
        let first = self.reported_healthy.is_none();
        self.reported_healthy = Some(healthy);
        let data = json!({ "device": self.id, "class": self.class.name,
                           "healthy": healthy, "detail": detail });
        if !healthy {
            tracing::warn!(device = %self.id, "device unhealthy: {detail:?}");
            self.upstream("alert.device-fault", data.clone());
        } else if !first {
            tracing::info!(device = %self.id, "device recovered");
            self.upstream("device.recovered", data.clone());
        }
        if !first {
            self.emit("health".into(), None, None, data);
        }
    }
}

/// The agent's PIN-digest secret: made once, kept in the data directory.
pub fn load_secret(data_dir: &std::path::Path) -> [u8; 32] {
    let path = data_dir.join("device-secret");
    if let Ok(bytes) = std::fs::read(&path)
        && let Ok(secret) = <[u8; 32]>::try_from(bytes.as_slice())
    {
        return secret;
    }
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    let _ = std::fs::create_dir_all(data_dir);
    if let Err(e) = std::fs::write(&path, secret) {
        tracing::warn!("cannot keep the device secret: {e}");
    }
    secret
}

#[cfg(test)]
mod tests;
