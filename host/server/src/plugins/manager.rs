//! Installing, loading, enabling and removing plugins, and resolving their
//! per-hall config. Verification happens here, on install and again on every
//! load: an unsigned or altered artefact never reaches the runtime.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use bantong_manifest::{
    ConfigError as SchemaError, Manifest, Package, Policy, TrustedKeys, World, grant,
};
use bantong_manifest::{RequestError, to_plugin_request};
use bantong_runtime::wit::{self, HostError};
use bantong_runtime::{PluginLimits, Runtime, RuntimeConfig};
use bantong_store::{PluginRecord, PluginVersion, Scope, Store};
use serde_json::{Value, json};

use super::callhost::ServerCallHost;
use super::registry::{
    InstalledVersion, LoadedPlugin, PluginEntry, PluginIndex, Slot, collection_spec,
};
use crate::audit::{ActorKind, AuditEntry};
use crate::identity::{Identity, Principal, now_ms};

/// Why a plugin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("the package is malformed: {0}")]
    Package(String),
    #[error("the artefact is not trusted: {0}")]
    Untrusted(String),
    #[error("the manifest is not acceptable: {0}")]
    Manifest(String),
    #[error("the component could not be loaded: {0}")]
    Load(String),
    #[error("plugin {0} is not installed")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid config")]
    Config(Vec<SchemaError>),
    #[error("storage: {0}")]
    Store(#[from] bantong_store::Error),
    #[error("audit: {0}")]
    Audit(String),
}

/// How long a resolved config stays cached (other host processes may change it).
const CONFIG_TTL: Duration = Duration::from_secs(5);

/// Owns the runtime and the index of installed plugins.
pub struct PluginManager {
    runtime: Runtime<ServerCallHost>,
    store: Store,
    identity: Identity,
    index: Arc<PluginIndex>,
    policy: Policy,
    trusted: TrustedKeys,
    dev_mode: bool,
    config_cache: Mutex<HashMap<ConfigKey, (Instant, Arc<String>)>>,
    /// Itself, for the call hosts of top-level calls to read other modules.
    me: Weak<PluginManager>,
}

/// A module read in flight (boxed: a read runs a plugin whose call host may
/// start another, so its future cannot name its own type).
pub type ModuleRead<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, HostError>> + Send + 'a>>;

/// (`plugin@digest`, hall or "") of a cached resolved config.
type ConfigKey = (String, String);

impl std::fmt::Debug for PluginManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginManager")
            .field("dev_mode", &self.dev_mode)
            .finish_non_exhaustive()
    }
}

/// What `install` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstallReport {
    pub id: String,
    pub version: String,
    pub digest: String,
    pub key_id: Option<String>,
    pub replaced: Option<String>,
    pub granted: Vec<String>,
}

impl PluginManager {
    pub fn new(
        runtime_config: RuntimeConfig,
        store: Store,
        identity: Identity,
        policy: Policy,
        trusted: TrustedKeys,
        dev_mode: bool,
    ) -> Result<Arc<Self>, PluginError> {
        let runtime = Runtime::new(runtime_config).map_err(|e| PluginError::Load(e.to_string()))?;
        Ok(Arc::new_cyclic(|me| PluginManager {
            runtime,
            store,
            identity,
            index: Arc::new(PluginIndex::default()),
            policy,
            trusted,
            dev_mode,
            config_cache: Mutex::new(HashMap::new()),
            me: me.clone(),
        }))
    }

    pub fn runtime(&self) -> &Runtime<ServerCallHost> {
        &self.runtime
    }

    pub fn index(&self) -> &Arc<PluginIndex> {
        &self.index
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn dev_mode(&self) -> bool {
        self.dev_mode
    }

    /// Decodes and verifies a package; in development mode an unsigned one
    /// passes, but a signature that does not verify never does.
    fn verify(&self, package: &Package) -> Result<Option<String>, PluginError> {
        if package.signature().is_none() && self.dev_mode {
            tracing::warn!(plugin = %package.manifest().id, "accepting an unsigned plugin (development mode)");
            return Ok(None);
        }
        let verified = package
            .verify(&self.trusted)
            .map_err(|e| PluginError::Untrusted(e.to_string()))?;
        Ok(Some(verified.key_id.to_string()))
    }

    /// Effective limits: the grant's (manifest ∩ policy), capped by the runtime.
    fn limits(&self, grant: &bantong_manifest::Grant) -> PluginLimits {
        let l = grant.limits();
        self.runtime.config().cap(PluginLimits {
            memory_bytes: l.memory_mib as usize * 1024 * 1024,
            timeout: Duration::from_millis(u64::from(l.timeout_ms)),
            boundary_bytes: l.max_body_kib as usize * 1024,
        })
    }

    /// Compiles a verified package into a loaded version, asks it for its
    /// views and checks them against the manifest.
    async fn load(
        &self,
        package: &Package,
        digest: String,
    ) -> Result<Arc<LoadedPlugin>, PluginError> {
        let manifest = package.manifest().clone();
        if manifest.world != World::Module {
            return Err(PluginError::Manifest(format!(
                "plugin {} targets the edge world; install it for halls through the edge fabric",
                manifest.id
            )));
        }
        let grant = grant(&manifest, &self.policy);
        let collections: BTreeMap<_, _> = manifest
            .collections
            .iter()
            .map(|c| (c.name.clone(), collection_spec(c)))
            .collect();
        let config_schema = manifest
            .config_schema()
            .map_err(|e| PluginError::Manifest(e.to_string()))?;
        let meta = Arc::new(InstalledVersion {
            routes: manifest.route_table(),
            grant,
            digest,
            collections,
            config_schema,
            views: OnceLock::new(),
            manifest,
        });
        let limits = self.limits(&meta.grant);
        let version = meta.manifest.version.to_string();
        let id = meta.manifest.id.clone();
        let wasm = package.wasm().to_vec();
        let loaded = {
            let runtime_ref = &self.runtime;
            let meta = meta.clone();
            tokio::task::block_in_place(|| runtime_ref.load(&id, &version, &wasm, limits, meta))
        }
        .map_err(|e| PluginError::Load(e.to_string()))?;
        // Ask the new version for its views on a throwaway slot.
        let loaded = Arc::new(loaded);
        let probe = Slot::new(loaded.clone(), 1, 1);
        let host = self
            .call_host(&loaded, Scope::all(id.clone()), None, "install".into())
            .await;
        let outcome = self
            .runtime
            .views(&probe, &loaded, host)
            .await
            .map_err(|e| PluginError::Load(format!("the views export failed: {e}")))?;
        let views = check_views(&meta.manifest, &outcome.value)?;
        let _ = meta.views.set(views);
        // Idempotent; also recreates indexes after a restore.
        for spec in meta.collections.values() {
            self.store.ensure_collection(&id, spec).await?;
        }
        if !meta.collections.is_empty()
            && let Err(e) = self.store.refresh_statistics().await
        {
            tracing::warn!(error = %e, "could not refresh the planner statistics");
        }
        Ok(loaded)
    }

    /// Installs (or upgrades to) the package, verified, and makes it the
    /// active version; calls in flight finish on the old version.
    pub async fn install(
        &self,
        bytes: &[u8],
        actor: &Principal,
    ) -> Result<InstallReport, PluginError> {
        let package = Package::decode(bytes).map_err(|e| PluginError::Package(e.to_string()))?;
        let key_id = self.verify(&package)?;
        let digest = package.digest().to_string();
        let manifest = package.manifest().clone();
        let id = manifest.id.clone();
        let version = manifest.version.to_string();
        let loaded = self.load(&package, digest.clone()).await?;
        let granted = loaded
            .meta()
            .grant
            .capabilities()
            .iter()
            .map(ToString::to_string)
            .collect();
        let blob = self.store.put_artefact(bytes).await?;
        let registry = self.store.registry();
        let previous = registry.get_plugin(&id).await?;
        let enabled = previous.as_ref().is_none_or(|p| p.enabled);
        if previous.is_none() {
            registry
                .upsert_plugin(&PluginRecord {
                    id: id.clone(),
                    active_version: None,
                    enabled,
                    quarantined_at: None,
                    updated_at: now_ms(),
                })
                .await?;
        }
        match registry.get_version(&id, &version).await? {
            Some(existing) if existing.digest != digest => {
                return Err(PluginError::Conflict(format!(
                    "version {version} of {id} is already installed with a different digest; bump the version"
                )));
            }
            Some(_) => {}
            None => {
                registry
                    .add_version(&PluginVersion {
                        plugin_id: id.clone(),
                        version: version.clone(),
                        digest: digest.clone(),
                        manifest_toml: manifest
                            .to_toml()
                            .map_err(|e| PluginError::Manifest(e.to_string()))?,
                        signature: package.signature().map(|s| s.to_string()),
                        key_id: key_id.clone(),
                        artefact_sha256: blob.sha256,
                        installed_at: now_ms(),
                        installed_by: actor.user_id.clone(),
                    })
                    .await?;
            }
        }
        registry.set_active_version(&id, &version).await?;
        registry.set_quarantined(&id, false).await?;
        let replaced = self.activate(&id, loaded, enabled);
        self.audit(
            actor,
            "plugin.install",
            &id,
            json!({ "version": version, "digest": digest, "replaced": replaced }),
        )
        .await?;
        Ok(InstallReport {
            id,
            version,
            digest,
            key_id,
            replaced,
            granted,
        })
    }

    /// Puts a loaded version live: swaps it into an existing slot or creates one.
    fn activate(&self, id: &str, loaded: Arc<LoadedPlugin>, enabled: bool) -> Option<String> {
        let rc = self.runtime.config();
        match self.index.get(id) {
            Some(entry) => {
                let old = entry.slot.swap(loaded);
                entry.set_enabled(enabled);
                self.invalidate_config(id);
                Some(old.version().to_owned())
            }
            None => {
                let slot = Slot::new(loaded, rc.quarantine_after, rc.max_concurrency_per_plugin);
                self.index
                    .insert(id.to_owned(), Arc::new(PluginEntry::new(slot, enabled)));
                None
            }
        }
    }

    /// Loads every installed plugin's active version at start-up, verifying
    /// each artefact again. A plugin that fails to load is logged and skipped.
    pub async fn load_installed(&self) -> Result<Vec<String>, PluginError> {
        let mut problems = Vec::new();
        for record in self.store.registry().list_plugins().await? {
            if let Err(e) = self.load_record(&record).await {
                tracing::error!(plugin = %record.id, error = %e, "could not load plugin");
                problems.push(format!("{}: {e}", record.id));
            }
        }
        Ok(problems)
    }

    async fn load_record(&self, record: &PluginRecord) -> Result<(), PluginError> {
        let Some(version) = &record.active_version else {
            return Ok(());
        };
        let row = self
            .store
            .registry()
            .get_version(&record.id, version)
            .await?
            .ok_or_else(|| PluginError::NotFound(format!("{}@{version}", record.id)))?;
        let (_, bytes) = self
            .store
            .get_blob(&row.artefact_sha256)
            .await?
            .ok_or_else(|| {
                PluginError::Untrusted(format!("artefact {} is missing", row.artefact_sha256))
            })?;
        let package = Package::decode(&bytes).map_err(|e| PluginError::Package(e.to_string()))?;
        self.verify(&package)?;
        let digest = package.digest().to_string();
        if digest != row.digest {
            return Err(PluginError::Untrusted(format!(
                "digest {digest} differs from the recorded {}",
                row.digest
            )));
        }
        let loaded = self.load(&package, digest).await?;
        self.activate(&record.id, loaded, record.enabled);
        if let (Some(_), Some(entry)) = (record.quarantined_at, self.index.get(&record.id)) {
            entry.slot.quarantine();
        }
        Ok(())
    }

    /// Brings this process's index in line with the registry, which other
    /// host processes (or the CLI) may have changed: installs, version
    /// switches, enable/disable, quarantine and removals. Returns how many
    /// plugins changed here.
    pub async fn sync_from_registry(&self) -> Result<usize, PluginError> {
        let records = self.store.registry().list_plugins().await?;
        let mut changed = 0;
        for record in &records {
            let entry = self.index.get(&record.id);
            let stale = match (&entry, &record.active_version) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(e), Some(v)) => e.current().version() != v,
            };
            if stale {
                match self.load_record(record).await {
                    Ok(()) => changed += 1,
                    Err(e) => {
                        tracing::error!(plugin = %record.id, error = %e, "could not load a plugin changed elsewhere")
                    }
                }
                continue;
            }
            let Some(entry) = entry else { continue };
            if entry.is_enabled() != record.enabled {
                entry.set_enabled(record.enabled);
                changed += 1;
            }
            match (record.quarantined_at.is_some(), entry.slot.is_quarantined()) {
                (true, false) => {
                    entry.slot.quarantine();
                    changed += 1;
                }
                (false, true) => {
                    entry.slot.lift_quarantine();
                    changed += 1;
                }
                _ => {}
            }
        }
        for (id, _) in self.index.all() {
            if !records.iter().any(|r| r.id == id) {
                self.index.remove(&id);
                self.invalidate_config(&id);
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Switches the active version to an installed one (rollback or roll-forward).
    pub async fn activate_version(
        &self,
        id: &str,
        version: &str,
        actor: &Principal,
    ) -> Result<(), PluginError> {
        let mut record = self
            .store
            .registry()
            .get_plugin(id)
            .await?
            .ok_or_else(|| PluginError::NotFound(id.to_owned()))?;
        if self
            .store
            .registry()
            .get_version(id, version)
            .await?
            .is_none()
        {
            return Err(PluginError::NotFound(format!("{id}@{version}")));
        }
        record.active_version = Some(version.to_owned());
        record.quarantined_at = None;
        self.load_record(&record).await?;
        self.store
            .registry()
            .set_active_version(id, version)
            .await?;
        self.store.registry().set_quarantined(id, false).await?;
        self.audit(actor, "plugin.activate", id, json!({ "version": version }))
            .await
    }

    pub async fn set_enabled(
        &self,
        id: &str,
        enabled: bool,
        actor: &Principal,
    ) -> Result<(), PluginError> {
        let entry = self
            .index
            .get(id)
            .ok_or_else(|| PluginError::NotFound(id.to_owned()))?;
        self.store.registry().set_enabled(id, enabled).await?;
        entry.set_enabled(enabled);
        if enabled {
            entry.slot.lift_quarantine();
            self.store.registry().set_quarantined(id, false).await?;
        }
        let action = if enabled {
            "plugin.enable"
        } else {
            "plugin.disable"
        };
        self.audit(actor, action, id, json!({})).await
    }

    /// Removes a plugin and its versions; its documents stay (an operator
    /// may reinstall), its config goes.
    pub async fn remove(&self, id: &str, actor: &Principal) -> Result<(), PluginError> {
        if !self.store.registry().remove_plugin(id).await? {
            return Err(PluginError::NotFound(id.to_owned()));
        }
        self.index.remove(id);
        self.invalidate_config(id);
        self.audit(actor, "plugin.remove", id, json!({})).await
    }

    /// Records that the runtime quarantined a plugin.
    pub async fn persist_quarantine(&self, id: &str) {
        if let Err(e) = self.store.registry().set_quarantined(id, true).await {
            tracing::error!(plugin = id, error = %e, "could not persist quarantine");
        }
        let entry = AuditEntry::new(
            "system:runtime",
            ActorKind::System,
            "plugin.quarantine",
            "plugin",
            id,
        );
        if let Err(e) = self.identity.audit().record(&entry).await {
            tracing::error!(plugin = id, error = %e, "could not audit quarantine");
        }
    }

    async fn audit(
        &self,
        actor: &Principal,
        action: &str,
        id: &str,
        detail: Value,
    ) -> Result<(), PluginError> {
        let entry = AuditEntry::new(
            actor.user_id.clone(),
            actor.actor_kind(),
            action,
            "plugin",
            id,
        )
        .detail(detail);
        self.identity
            .audit()
            .record(&entry)
            .await
            .map(|_| ())
            .map_err(|e| PluginError::Audit(e.to_string()))
    }

    /// The plugin's config resolved for `hall` (defaults ← district ← hall), as JSON text.
    pub async fn resolved_config(
        &self,
        version: &InstalledVersion,
        hall: Option<&str>,
    ) -> Result<Arc<String>, PluginError> {
        let id = &version.manifest.id;
        // Keyed by digest too: a call still running on the old version must
        // not refill the cache with that version's defaults.
        let key = (
            format!("{id}@{}", version.digest),
            hall.unwrap_or_default().to_owned(),
        );
        if let Ok(cache) = self.config_cache.lock()
            && let Some((at, text)) = cache.get(&key)
            && at.elapsed() < CONFIG_TTL
        {
            return Ok(text.clone());
        }
        let registry = self.store.registry();
        let district = registry.get_config(id, None).await?.map(|c| c.config);
        let hall_cfg = match hall {
            Some(h) => registry.get_config(id, Some(h)).await?.map(|c| c.config),
            None => None,
        };
        let resolved = bantong_manifest::resolve(
            &version.manifest.config_defaults(),
            district.as_ref(),
            hall_cfg.as_ref(),
        );
        let text = Arc::new(resolved.to_string());
        if let Ok(mut cache) = self.config_cache.lock() {
            cache.insert(key, (Instant::now(), text.clone()));
        }
        Ok(text)
    }

    fn invalidate_config(&self, id: &str) {
        if let Ok(mut cache) = self.config_cache.lock() {
            let prefix = format!("{id}@");
            cache.retain(|(p, _), _| !p.starts_with(&prefix));
        }
    }

    /// Validates and stores a district (`hall: None`) or hall config. The
    /// merged result must satisfy the schema; errors name the field.
    pub async fn set_config(
        &self,
        id: &str,
        hall: Option<&str>,
        config: Value,
        actor: &Principal,
    ) -> Result<Value, PluginError> {
        let entry = self
            .index
            .get(id)
            .ok_or_else(|| PluginError::NotFound(id.to_owned()))?;
        let current = entry.current();
        let version = current.meta();
        if !config.is_object() {
            return Err(PluginError::Config(vec![SchemaError {
                path: String::new(),
                message_zh: "配置必须是一个对象".into(),
                message_en: "config must be a JSON object".into(),
            }]));
        }
        let registry = self.store.registry();
        let district = match hall {
            Some(_) => registry.get_config(id, None).await?.map(|c| c.config),
            None => Some(config.clone()),
        };
        let hall_cfg = hall.map(|_| config.clone());
        let merged = bantong_manifest::resolve(
            &version.manifest.config_defaults(),
            district.as_ref(),
            hall_cfg.as_ref(),
        );
        if let Some(schema) = &version.config_schema {
            schema.validate(&merged).map_err(PluginError::Config)?;
        }
        registry
            .set_config(id, hall, &config, &actor.user_id)
            .await?;
        self.invalidate_config(id);
        let detail = json!({ "hall": hall, "config": config });
        self.audit(actor, "plugin.config", id, detail).await?;
        Ok(merged)
    }

    /// A call host for one call of `plugin`.
    pub async fn call_host(
        &self,
        plugin: &LoadedPlugin,
        scope: Scope,
        hall: Option<&str>,
        request_id: String,
    ) -> ServerCallHost {
        let meta = plugin.meta().clone();
        let config = match self.resolved_config(&meta, hall).await {
            Ok(text) => text.as_str().to_owned(),
            Err(e) => {
                tracing::warn!(plugin = %meta.manifest.id, error = %e, "using config defaults");
                meta.manifest.config_defaults().to_string()
            }
        };
        ServerCallHost::new(
            &self.store,
            meta,
            self.index.clone(),
            scope,
            config,
            request_id,
        )
        .reading_modules(self.me.clone())
    }

    /// The installed and enabled version of module `plugin`, if any.
    pub fn module_version(&self, plugin: &str) -> Option<String> {
        let entry = self.index.get(plugin).filter(|e| e.is_enabled())?;
        let version = entry.current().meta().manifest.version.to_string();
        Some(version)
    }

    /// `GET target` of module `plugin` on behalf of module `reader` (whose
    /// grant the caller has checked): only a route marked `module-read`,
    /// as the caller `module:<reader>` (role `module`, district-wide, no
    /// hall; the route's `roles` are for people and do not apply). The
    /// read's call host refuses every write and cannot read further modules.
    pub fn read_module<'a>(
        &'a self,
        reader: &'a str,
        plugin: &'a str,
        target: &'a str,
        request_id: &'a str,
    ) -> ModuleRead<'a> {
        Box::pin(async move {
            let entry = self
                .index
                .get(plugin)
                .filter(|e| e.is_enabled())
                .ok_or_else(|| {
                    HostError::NotFound(format!("module {plugin} is not installed or not enabled"))
                })?;
            let loaded = entry.current();
            let meta = loaded.meta().clone();
            let preq = to_plugin_request(
                &meta.routes,
                "GET",
                target,
                &[],
                0,
                loaded.limits().boundary_bytes,
            )
            .map_err(|e| match e {
                RequestError::NoRoute(_) | RequestError::MethodNotAllowed { .. } => {
                    HostError::NotFound(format!("module {plugin}: {e}"))
                }
                other => HostError::Invalid(format!("module {plugin}: {other}")),
            })?;
            if !preq.route.module_read {
                return Err(HostError::Denied(format!(
                    "GET {} of module {plugin} is not open to other modules (no module-read)",
                    preq.route.path
                )));
            }
            let who = format!("module:{reader}");
            let req = wit::Request {
                request_id: request_id.to_owned(),
                method: wit::Method::Get,
                path: preq.path,
                query: preq.query,
                headers: Vec::new(),
                body: Vec::new(),
                caller: Some(wit::Caller {
                    user_id: who.clone(),
                    username: who,
                    roles: vec![MODULE_ROLE.to_owned()],
                    halls: Vec::new(),
                    district_wide: true,
                }),
                hall: None,
            };
            let host = self
                .call_host(&loaded, Scope::all(plugin), None, request_id.to_owned())
                .await
                .reading_modules(Weak::new())
                .read_only();
            let outcome = match self.runtime.handle(&entry.slot, &loaded, host, req).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    tracing::warn!(reader, plugin, request_id, error = %e, "a module read failed");
                    if entry.slot.take_newly_quarantined() {
                        self.persist_quarantine(plugin).await;
                    }
                    return Err(HostError::Unavailable(format!(
                        "module {plugin} failed: {e}"
                    )));
                }
            };
            // A read: nothing was written (the call host refused it).
            drop(outcome.host);
            module_reply(plugin, outcome.value)
        })
    }
}

/// The role a module reading another module holds (and no person does).
pub const MODULE_ROLE: &str = "module";

/// A 2xx reply's body, or the other module's refusal as the reader's error.
fn module_reply(plugin: &str, resp: wit::Response) -> Result<Vec<u8>, HostError> {
    if (200..300).contains(&resp.status) {
        return Ok(resp.body);
    }
    let said = serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .and_then(|v| {
            // The SDK's `{"error": {"message"}}`, or a bare `{"message"}`.
            let m = v.get("error").unwrap_or(&v).get("message")?;
            m.as_str().map(str::to_owned)
        })
        .unwrap_or_default();
    let text = format!("module {plugin} answered {}: {said}", resp.status);
    Err(match resp.status {
        401 | 403 => HostError::Denied(text),
        404 | 410 => HostError::NotFound(text),
        409 => HostError::Conflict(text),
        400..=499 => HostError::Invalid(text),
        _ => HostError::Unavailable(text),
    })
}

/// Checks the exported views against the manifest's `[[views]]` and returns
/// them as JSON for the portal.
fn check_views(
    manifest: &Manifest,
    exported: &[bantong_runtime::wit::View],
) -> Result<Value, PluginError> {
    use bantong_runtime::wit::ViewKind as K;
    let mut out = Vec::new();
    for view in exported {
        let kind = match view.kind {
            K::List => "list",
            K::Form => "form",
            K::Detail => "detail",
            K::Board => "board",
            K::Chart => "chart",
            K::Action => "action",
        };
        let Some(declared) = manifest.views.iter().find(|v| v.id == view.id) else {
            return Err(PluginError::Manifest(format!(
                "view {:?} is exported but not declared in [[views]]",
                view.id
            )));
        };
        if declared.kind.to_string() != kind {
            return Err(PluginError::Manifest(format!(
                "view {:?} is declared as {} but exported as {kind}",
                view.id, declared.kind
            )));
        }
        let spec: Value = serde_json::from_str(&view.spec).map_err(|e| {
            PluginError::Manifest(format!("view {:?} has an invalid spec: {e}", view.id))
        })?;
        out.push(json!({
            "id": view.id,
            "kind": kind,
            "title": { "zh": view.title_zh, "en": view.title_en },
            "route": view.route,
            "roles": declared.roles,
            "menu": declared.menu,
            "spec": spec,
        }));
    }
    if let Some(missing) = manifest
        .views
        .iter()
        .find(|v| !exported.iter().any(|e| e.id == v.id))
    {
        return Err(PluginError::Manifest(format!(
            "view {:?} is declared but not exported",
            missing.id
        )));
    }
    Ok(Value::Array(out))
}
