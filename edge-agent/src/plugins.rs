//! Edge plugins on the agent: verified packages, one long-lived instance
//! each, fed with frames; what they send goes through the outbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bantong_fabric::msg::Attachment;
use bantong_manifest::{Package, TrustedKeys, World};
use bantong_runtime::PluginLimits;
use bantong_runtime::edge::{EdgeHost, EdgeInstance, EdgeModule, EdgeRuntime};
use bantong_runtime::edge_wit::{HostError, Level};
use bantong_runtime::vision::Frame;

use crate::outbox::{Draft, now_ms};
use crate::sink::EventSink;

/// Most events one plugin call may queue.
const MAX_EVENTS_PER_CALL: usize = 64;

/// What one edge plugin sees of the agent.
pub struct AgentEdgeHost {
    plugin: String,
    config: String,
    drafts: Vec<Draft>,
}

impl EdgeHost for AgentEdgeHost {
    fn config(&mut self) -> String {
        self.config.clone()
    }

    fn log(&mut self, level: Level, message: &str, _fields: &[(String, String)]) {
        let plugin = &self.plugin;
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
            source: self.plugin.clone(),
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

/// One verified, running edge plugin.
pub struct RunningPlugin {
    pub id: String,
    pub version: String,
    pub digest: String,
    module: EdgeModule<AgentEdgeHost>,
    instance: EdgeInstance<AgentEdgeHost>,
    config: String,
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
        modules: Option<&ModuleCache>,
        package: &[u8],
        trusted: &TrustedKeys,
        config: &str,
    ) -> impl std::future::Future<Output = anyhow::Result<RunningPlugin>> + Send + 'static {
        let prepared = Self::prepare(runtime, modules, package, trusted);
        let config = config.to_owned();
        async move {
            let (module, id, version, digest) = prepared?;
            let host = AgentEdgeHost {
                plugin: id.clone(),
                config: config.clone(),
                drafts: Vec::new(),
            };
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
                config,
                failures: 0,
            })
        }
    }

    fn prepare(
        runtime: &EdgeRuntime<AgentEdgeHost>,
        modules: Option<&ModuleCache>,
        package: &[u8],
        trusted: &TrustedKeys,
    ) -> anyhow::Result<(EdgeModule<AgentEdgeHost>, String, String, String)> {
        let package = Package::decode(package)?;
        package.verify(trusted)?;
        let manifest = package.manifest();
        if manifest.world != World::Edge {
            anyhow::bail!("{} is not an edge plugin", manifest.id);
        }
        let digest = package.digest().to_string();
        let module = match modules {
            Some(cache) => {
                cache.get_or_load(&digest, || runtime.load(package.wasm(), default_limits()))?
            }
            None => runtime.load(package.wasm(), default_limits())?,
        };
        Ok((
            module,
            manifest.id.clone(),
            manifest.version.to_string(),
            package.digest().to_string(),
        ))
    }

    /// Replaces a poisoned instance (after a trap or timeout).
    async fn revive(&mut self) -> anyhow::Result<()> {
        let host = AgentEdgeHost {
            plugin: self.id.clone(),
            config: self.config.clone(),
            drafts: Vec::new(),
        };
        let mut instance = self.module.instantiate(host).await?;
        if let Ok(Ok(())) = instance.init(&self.config).await {
            self.instance = instance;
            Ok(())
        } else {
            anyhow::bail!("{} could not be restarted", self.id)
        }
    }

    /// Shows a frame to the plugin and forwards what it sent.
    pub async fn frame(&mut self, frame: Arc<Frame>, sink: &EventSink) -> Result<(), String> {
        if self.instance.is_poisoned() {
            self.revive().await.map_err(|e| e.to_string())?;
        }
        let result = self.instance.on_frame(frame).await;
        let drafts = std::mem::take(&mut self.instance.host_mut().drafts);
        let outcome = match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(e.to_string()),
        };
        if outcome.is_err() {
            self.failures += 1;
        }
        // Events queued before a failure still happened.
        if !drafts.is_empty() {
            sink.emit(drafts).await?;
        }
        outcome
    }

    pub async fn command(&mut self, name: &str, args: &str) -> Result<String, String> {
        match self.instance.on_command(name, args).await {
            Ok(r) => r,
            Err(e) => Err(e.to_string()),
        }
    }

    pub async fn health(&mut self) -> Result<(), String> {
        match self.instance.health().await {
            Ok(r) => r,
            Err(e) => Err(e.to_string()),
        }
    }
}
