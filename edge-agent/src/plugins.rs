//! Edge plugins on the agent: verified packages, one long-lived instance
//! each, fed with frames; what they send goes through the outbox.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bantong_fabric::msg::Attachment;
use bantong_manifest::{Package, TrustedKeys, World};
use bantong_runtime::PluginLimits;
use bantong_runtime::edge::{EdgeHost, EdgeInstance, EdgeModule, EdgeRuntime};
use bantong_runtime::edge_wit::{Device, DeviceEvent, HostError, Level};
use bantong_runtime::vision::Frame;

use crate::devices::{Devices, Owner};
use crate::district::District;
use crate::outbox::{Draft, now_ms};
use crate::sink::EventSink;

/// Most events one plugin call may queue.
const MAX_EVENTS_PER_CALL: usize = 64;
/// Most device requests one plugin call may start.
const MAX_SUBMITS_PER_CALL: usize = 16;

/// What one edge plugin sees of the agent.
pub struct AgentEdgeHost {
    identity: Arc<Identity>,
    drafts: Vec<Draft>,
    devices: Devices,
    /// Device requests started in the current call.
    submits: usize,
    district: Arc<District>,
}

impl AgentEdgeHost {
    fn new(identity: Arc<Identity>, devices: Devices, district: Arc<District>) -> AgentEdgeHost {
        AgentEdgeHost {
            identity,
            drafts: Vec::new(),
            devices,
            submits: 0,
            district,
        }
    }
}

/// Who a plugin is and what it is allowed, from its verified manifest.
#[derive(Debug, Clone)]
struct Identity {
    id: String,
    /// Its effective config as JSON.
    config: String,
    /// Topic patterns it may send under (`events-publish`).
    publish: Vec<String>,
    /// Device classes it asks for (`peripherals`).
    classes: Vec<String>,
}

impl EdgeHost for AgentEdgeHost {
    fn config(&mut self) -> String {
        self.identity.config.clone()
    }

    fn catalogue(&mut self) -> Option<crate::district::Published> {
        self.district.catalogue()
    }

    fn log(&mut self, level: Level, message: &str, _fields: &[(String, String)]) {
        let plugin = &self.identity.id;
        match level {
            Level::Error => tracing::error!(plugin, "{message}"),
            Level::Warn => tracing::warn!(plugin, "{message}"),
            Level::Info => tracing::info!(plugin, "{message}"),
            _ => tracing::debug!(plugin, "{message}"),
        }
    }

    fn now_ms(&mut self) -> i64 {
        now_ms()
    }

    fn send(
        &mut self,
        kind: &str,
        subject: Option<&str>,
        payload: &str,
        snapshot: Option<&Frame>,
    ) -> Result<(), HostError> {
        // Alerts are always allowed; other kinds must be declared.
        let allowed = kind.starts_with("alert.")
            || self
                .identity
                .publish
                .iter()
                .any(|p| bantong_manifest::topic_matches(p, kind));
        if !allowed {
            return Err(HostError::Denied(format!(
                "{kind:?} is not under the manifest's events-publish"
            )));
        }
        if self.drafts.len() >= MAX_EVENTS_PER_CALL {
            return Err(HostError::Unavailable(format!(
                "at most {MAX_EVENTS_PER_CALL} events per call"
            )));
        }
        let data: serde_json::Value = serde_json::from_str(payload)
            .map_err(|e| HostError::Invalid(format!("payload is not JSON: {e}")))?;
        let attachment = match snapshot {
            Some(frame) => Some(Attachment::new(
                "image/jpeg",
                &crate::camera::jpeg(frame).map_err(HostError::Unavailable)?,
            )),
            None => None,
        };
        let draft = Draft {
            ts_ms: now_ms(),
            kind: kind.to_owned(),
            source: self.identity.id.clone(),
            subject: subject.map(str::to_owned),
            data,
            attachment,
        };
        // Check it the way the host will, so a bad event fails here, in the
        // plugin's call, rather than as a rejected event upstream.
        let probe = bantong_fabric::msg::Event {
            seq: 1,
            ts_ms: draft.ts_ms,
            kind: draft.kind.clone(),
            source: draft.source.clone(),
            subject: draft.subject.clone(),
            data: draft.data.clone(),
            attachment: draft.attachment.clone(),
        };
        bantong_fabric::msg::Validate::validate(&probe).map_err(HostError::Invalid)?;
        self.drafts.push(draft);
        Ok(())
    }

    fn devices(&mut self) -> Vec<Device> {
        self.devices
            .list(Some(&self.identity.classes))
            .into_iter()
            .map(|d| Device {
                id: d.id,
                class: d.class,
                healthy: d.healthy,
                detail: d.detail,
            })
            .collect()
    }

    fn submit(&mut self, device: &str, op: &str, args: &str) -> Result<u64, HostError> {
        let granted = self
            .devices
            .class_of(device)
            .is_some_and(|c| self.identity.classes.iter().any(|g| g == c));
        if !granted {
            return Err(HostError::NotFound(format!(
                "no device {device:?} among this plugin's peripherals"
            )));
        }
        if self.submits >= MAX_SUBMITS_PER_CALL {
            return Err(HostError::Unavailable(format!(
                "at most {MAX_SUBMITS_PER_CALL} device requests per call"
            )));
        }
        let args: serde_json::Value = if args.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(args)
                .map_err(|e| HostError::Invalid(format!("args are not JSON: {e}")))?
        };
        let id = self
            .devices
            .submit(device, op, args, Owner::Plugin(self.identity.id.clone()))
            .map_err(HostError::Invalid)?;
        self.submits += 1;
        Ok(id)
    }

    fn cancel(&mut self, request: u64) -> bool {
        self.devices.cancel(request, Some(&self.identity.id))
    }
}

/// How a verified package becomes a loaded module.
#[derive(Debug, Clone, Default)]
pub enum Loader {
    /// Compile in this process.
    #[default]
    InProcess,
    /// Compile once per digest and share the result (the simulator).
    Shared(ModuleCache),
    /// Compile in a short-lived child process (`bantong-edge compile`)
    /// into `dir` and map the result: the long-running agent never holds
    /// the compiler's code or memory, and a compiler crash on a hostile
    /// module takes down only the child. Compiled files are kept, so a
    /// restart loads them without compiling.
    Child { dir: PathBuf },
}

/// Compiled modules by package digest, shared by the runners of one
/// process (the simulator's agents). Only verified packages are loaded
/// into it: the digest and signature check comes first, every time.
#[derive(Clone, Default)]
pub struct ModuleCache(Arc<std::sync::Mutex<HashMap<String, EdgeModule<AgentEdgeHost>>>>);

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache").finish_non_exhaustive()
    }
}

impl ModuleCache {
    fn get_or_load(
        &self,
        digest: &str,
        load: impl FnOnce() -> bantong_runtime::Result<EdgeModule<AgentEdgeHost>>,
    ) -> bantong_runtime::Result<EdgeModule<AgentEdgeHost>> {
        // Held while compiling, so concurrent agents compile a version once.
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = map.get(digest) {
            return Ok(m.clone());
        }
        let module = load()?;
        map.insert(digest.to_owned(), module.clone());
        Ok(module)
    }
}

/// Loads the compiled form of `wasm` (package `digest`) from `dir`,
/// compiling it in a child process first when it is not there. A file is
/// used only if its SHA-256 matches the one recorded when the child
/// finished, so a damaged file is recompiled rather than mapped.
fn compile_in_child(
    runtime: &EdgeRuntime<AgentEdgeHost>,
    dir: &Path,
    digest: &str,
    wasm: &[u8],
) -> anyhow::Result<EdgeModule<AgentEdgeHost>> {
    use anyhow::Context;
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let compiled = dir.join(format!("{hex}.cwasm"));
    let sum_file = dir.join(format!("{hex}.cwasm.sha256"));
    let intact = std::fs::read(&compiled)
        .ok()
        .zip(std::fs::read_to_string(&sum_file).ok())
        .is_some_and(|(bytes, sum)| sha256_hex(&bytes) == sum.trim());
    if !intact {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let input = dir.join(format!("{hex}.wasm.tmp"));
        let output = dir.join(format!("{hex}.cwasm.tmp"));
        std::fs::write(&input, wasm).with_context(|| format!("writing {}", input.display()))?;
        let exe = std::env::current_exe().context("locating the agent binary")?;
        let status = std::process::Command::new(exe)
            .arg("compile")
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&output)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .context("starting the compiler process");
        let _ = std::fs::remove_file(&input);
        let status = status?;
        if !status.success() {
            let _ = std::fs::remove_file(&output);
            anyhow::bail!("compiling {digest} failed ({status})");
        }
        let bytes = std::fs::read(&output)?;
        std::fs::write(&sum_file, sha256_hex(&bytes))?;
        std::fs::rename(&output, &compiled)?;
    }
    // SAFETY: `compiled` was written by this binary's own `compile`
    // command (`EdgeRuntime::precompile` with the same engine settings)
    // into the agent's private data directory, and its bytes still hash to
    // what was recorded when that command succeeded.
    #[allow(unsafe_code)]
    let module = unsafe { runtime.load_compiled(&compiled, default_limits()) }?;
    Ok(module)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `bantong-edge compile`: what the child process does.
pub fn compile_file(input: &Path, output: &Path) -> anyhow::Result<()> {
    let wasm = std::fs::read(input)?;
    let runtime: EdgeRuntime<AgentEdgeHost> = EdgeRuntime::new()?;
    let compiled = runtime.precompile(&wasm)?;
    std::fs::write(output, compiled)?;
    Ok(())
}

/// One verified, running edge plugin.
pub struct RunningPlugin {
    pub id: String,
    pub version: String,
    pub digest: String,
    module: EdgeModule<AgentEdgeHost>,
    instance: EdgeInstance<AgentEdgeHost>,
    identity: Arc<Identity>,
    devices: Devices,
    district: Arc<District>,
    /// Calls that trapped, timed out or returned an error.
    pub failures: u64,
}

impl std::fmt::Debug for RunningPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningPlugin")
            .field("id", &self.id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Default limits of an edge plugin call.
pub fn default_limits() -> PluginLimits {
    PluginLimits {
        memory_bytes: 64 * 1024 * 1024,
        timeout: Duration::from_millis(500),
        boundary_bytes: 1024 * 1024,
    }
}

impl RunningPlugin {
    /// Verifies the package (digest and signature against `trusted`),
    /// compiles it, instantiates it and calls `init` with `config`.
    /// Unsigned or altered packages never get this far. Compilation happens
    /// before the returned future is polled, so it does not borrow `runtime`.
    pub fn start(
        runtime: &EdgeRuntime<AgentEdgeHost>,
        loader: &Loader,
        package: &[u8],
        trusted: &TrustedKeys,
        config: &str,
    ) -> impl std::future::Future<Output = anyhow::Result<RunningPlugin>> + Send + 'static {
        Self::start_with(
            runtime,
            loader,
            package,
            trusted,
            config,
            Devices::default(),
            Arc::default(),
        )
    }

    /// [`RunningPlugin::start`] with the hall's devices, of which the
    /// plugin sees the classes its manifest asks for, and the district
    /// data the agent holds.
    pub fn start_with(
        runtime: &EdgeRuntime<AgentEdgeHost>,
        loader: &Loader,
        package: &[u8],
        trusted: &TrustedKeys,
        config: &str,
        devices: Devices,
        district: Arc<District>,
    ) -> impl std::future::Future<Output = anyhow::Result<RunningPlugin>> + Send + 'static {
        let prepared = Self::prepare(runtime, loader, package, trusted);
        let config = config.to_owned();
        async move {
            let (module, mut identity, version, digest) = prepared?;
            identity.config = config.clone();
            let id = identity.id.clone();
            let identity = Arc::new(identity);
            let host = AgentEdgeHost::new(identity.clone(), devices.clone(), district.clone());
            let mut instance = module.instantiate(host).await?;
            match instance.init(&config).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => anyhow::bail!("{id} refused its config: {e}"),
                Err(e) => anyhow::bail!("{id} failed to start: {e}"),
            }
            Ok(RunningPlugin {
                id,
                version,
                digest,
                module,
                instance,
                identity,
                devices,
                district,
                failures: 0,
            })
        }
    }

    fn prepare(
        runtime: &EdgeRuntime<AgentEdgeHost>,
        loader: &Loader,
        package: &[u8],
        trusted: &TrustedKeys,
    ) -> anyhow::Result<(EdgeModule<AgentEdgeHost>, Identity, String, String)> {
        let package = Package::decode(package)?;
        package.verify(trusted)?;
        let manifest = package.manifest();
        if manifest.world != World::Edge {
            anyhow::bail!("{} is not an edge plugin", manifest.id);
        }
        let digest = package.digest().to_string();
        let module = match loader {
            Loader::InProcess => runtime.load(package.wasm(), default_limits())?,
            Loader::Shared(cache) => {
                cache.get_or_load(&digest, || runtime.load(package.wasm(), default_limits()))?
            }
            Loader::Child { dir } => compile_in_child(runtime, dir, &digest, package.wasm())?,
        };
        let identity = Identity {
            id: manifest.id.clone(),
            config: String::new(),
            publish: manifest.capabilities.events_publish.clone(),
            classes: manifest.capabilities.peripherals.clone(),
        };
        Ok((
            module,
            identity,
            manifest.version.to_string(),
            package.digest().to_string(),
        ))
    }

    /// Replaces a poisoned instance (after a trap or timeout).
    async fn revive(&mut self) -> anyhow::Result<()> {
        let host = AgentEdgeHost::new(
            self.identity.clone(),
            self.devices.clone(),
            self.district.clone(),
        );
        let mut instance = self.module.instantiate(host).await?;
        if let Ok(Ok(())) = instance.init(&self.identity.config).await {
            self.instance = instance;
            Ok(())
        } else {
            anyhow::bail!("{} could not be restarted", self.id)
        }
    }

    /// Replaces the instance first if the last call poisoned it.
    async fn ready(&mut self) -> Result<(), String> {
        if self.instance.is_poisoned() {
            self.revive().await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Ends a call that returns nothing: any failure (trap, timeout, or an
    /// error from the plugin) counts against it, and the events it queued
    /// before failing still go upstream.
    async fn settle(
        &mut self,
        outcome: Result<Result<(), String>, bantong_runtime::CallError>,
        sink: &EventSink,
    ) -> Result<(), String> {
        let outcome = outcome.unwrap_or_else(|e| Err(e.to_string()));
        if outcome.is_err() {
            self.failures += 1;
        }
        self.forward(sink).await?;
        outcome
    }

    /// Shows a frame to the plugin and forwards what it sent.
    pub async fn frame(&mut self, frame: Arc<Frame>, sink: &EventSink) -> Result<(), String> {
        self.ready().await?;
        let outcome = self.instance.on_frame(frame).await;
        self.settle(outcome, sink).await
    }

    /// Runs a host command in the plugin; events it sends go upstream.
    pub async fn command(
        &mut self,
        name: &str,
        args: &str,
        sink: &EventSink,
    ) -> Result<String, String> {
        self.ready().await?;
        let outcome = match self.instance.on_command(name, args).await {
            Ok(r) => r,
            // A trap or timeout counts against the plugin; a refusal
            // (`Err` from the plugin) is an answer.
            Err(e) => {
                self.failures += 1;
                Err(e.to_string())
            }
        };
        self.forward(sink).await?;
        outcome
    }

    /// Whether this plugin hears `event`: an answer to its own request, or
    /// input from a class its manifest asks for.
    pub fn hears(&self, event: &crate::devices::DeviceEvent) -> bool {
        match &event.owner {
            Some(owner) => *owner == self.id,
            None => self.identity.classes.iter().any(|c| c == event.class),
        }
    }

    /// Hands a device event to the plugin; events it sends go upstream.
    pub async fn device(
        &mut self,
        event: &crate::devices::DeviceEvent,
        sink: &EventSink,
    ) -> Result<(), String> {
        self.ready().await?;
        let event = DeviceEvent {
            device: event.device.clone(),
            class: event.class.to_owned(),
            kind: event.kind.clone(),
            request: event.request,
            data: event.data.to_string(),
            ts: event.ts_ms,
        };
        let outcome = self.instance.on_device(event).await;
        self.settle(outcome, sink).await
    }

    /// The periodic tick; events it sends go upstream.
    pub async fn timer(&mut self, now_ms: i64, sink: &EventSink) -> Result<(), String> {
        self.ready().await?;
        let outcome = self.instance.on_timer(now_ms).await;
        self.settle(outcome, sink).await
    }

    /// Sends what the last call queued.
    async fn forward(&mut self, sink: &EventSink) -> Result<(), String> {
        self.instance.host_mut().submits = 0;
        let drafts = std::mem::take(&mut self.instance.host_mut().drafts);
        if drafts.is_empty() {
            Ok(())
        } else {
            sink.emit(drafts).await.map(|_| ())
        }
    }

    pub async fn health(&mut self) -> Result<(), String> {
        match self.instance.health().await {
            Ok(r) => r,
            Err(e) => Err(e.to_string()),
        }
    }
}
