//! The shared state of a host process and how it is built from config.

use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bantong_manifest::{Policy, TrustedKeys};
use bantong_store::{Store, StoreConfig};

use crate::config::HostConfig;
use crate::identity::{Identity, IdentityConfig};
use crate::plugins::PluginManager;

/// Everything a request handler or worker needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: HostConfig,
    pub store: Store,
    pub identity: Identity,
    pub plugins: Arc<PluginManager>,
    pub edge: crate::edge::Edge,
    pub started: Instant,
    /// Name of this process in leases and schedule claims.
    pub worker_id: String,
    /// Login attempts per client address.
    pub login_throttle: crate::http::throttle::LoginThrottle,
    /// Anonymous calls to plugins' public routes per route and address.
    pub public_throttle: crate::http::throttle::PublicThrottle,
    /// The command dashboards' live feeds, one poller per viewer scope.
    pub dashboards: crate::http::dashboard::Feeds,
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

/// Opens the store with the host's settings.
pub async fn open_store(config: &HostConfig) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let mut sc = StoreConfig::new(config.database_url(), config.blob_dir());
    sc.max_blob_bytes = config.blobs.max_kib * 1024;
    sc.blob_types = config.blobs.types.clone();
    sc.max_connections = config.max_connections;
    Store::open(sc).await.context("opening the database")
}

fn identity_config(config: &HostConfig) -> IdentityConfig {
    IdentityConfig {
        idle_timeout: Duration::from_secs(config.auth.idle_timeout_minutes * 60),
        absolute_timeout: Duration::from_secs(config.auth.absolute_timeout_hours * 3600),
        max_failed_logins: config.auth.max_failed_logins,
        lockout: Duration::from_secs(config.auth.lockout_minutes * 60),
        ..IdentityConfig::default()
    }
}

/// Reads the trusted signing keys named in the config.
pub fn trusted_keys(config: &HostConfig) -> anyhow::Result<TrustedKeys> {
    read_key_files(&config.trusted_keys)
}

/// Reads public key files into one trusted set.
pub fn read_key_files(paths: &[std::path::PathBuf]) -> anyhow::Result<TrustedKeys> {
    Ok(TrustedKeys::from_text(&read_key_text(paths)?)?)
}

/// The text of public key files, each checked on its own so an error names
/// the file (the edge fabric hands this text to enrolling agents).
pub fn read_key_text(paths: &[std::path::PathBuf]) -> anyhow::Result<String> {
    let mut text = String::new();
    for path in paths {
        let one = std::fs::read_to_string(path)
            .with_context(|| format!("reading trusted key {}", path.display()))?;
        // Parse each file alone first so an error names the file.
        TrustedKeys::from_text(&one)
            .with_context(|| format!("parsing trusted key {}", path.display()))?;
        text.push_str(&one);
        text.push('\n');
    }
    Ok(text)
}

fn policy(config: &HostConfig) -> anyhow::Result<Policy> {
    match &config.policy_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading policy {}", path.display()))?;
            Policy::parse(&text).with_context(|| format!("parsing policy {}", path.display()))
        }
        None => Ok(default_policy()),
    }
}

/// Without a policy file every plugin may use its own storage, config, log
/// and clock; publishing events and reading other plugins' data need an
/// explicit policy.
pub fn default_policy() -> Policy {
    let mut policy = Policy::default();
    policy.plugins.insert(
        "*".into(),
        bantong_manifest::PluginPolicy {
            allow: ["storage", "config", "log", "clock"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        },
    );
    policy
}

impl AppState {
    /// Opens storage, identity and the plugin runtime, and loads the
    /// installed plugins (verifying each artefact again).
    pub async fn build(config: HostConfig) -> anyhow::Result<AppState> {
        let store = open_store(&config).await?;
        Self::build_with_store(config, store).await
    }

    pub async fn build_with_store(config: HostConfig, store: Store) -> anyhow::Result<AppState> {
        let identity =
            Identity::new(store.clone(), identity_config(&config)).context("identity")?;
        let seeded = crate::calendar::seed_builtin(&store)
            .await
            .context("seeding the built-in holiday arrangements")?;
        if !seeded.is_empty() {
            tracing::info!(years = ?seeded, "built-in holiday arrangements added to the district calendar");
        }
        let trusted_text = read_key_text(&config.trusted_keys)?;
        let plugins = PluginManager::new(
            config.runtime.clone(),
            store.clone(),
            identity.clone(),
            policy(&config)?,
            TrustedKeys::from_text(&trusted_text)?,
            config.dev_mode,
        )?;
        plugins
            .index()
            .set_notice_limit(config.notices.per_plugin_per_minute);
        plugins
            .index()
            .set_font_dir(config.documents.font_dir.clone());
        let problems = plugins.load_installed().await?;
        for p in problems {
            tracing::error!("plugin not loaded: {p}");
        }
        let worker_id = config.workers.worker_id.clone().unwrap_or_else(|| {
            format!(
                "host-{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            )
        });
        let edge = crate::edge::Edge::new(
            identity.clone(),
            store.clone(),
            plugins.index().clone(),
            config.mqtt.clone(),
            trusted_text,
        );
        Ok(AppState(Arc::new(Inner {
            config,
            store,
            identity,
            plugins,
            edge,
            started: Instant::now(),
            login_throttle: Default::default(),
            public_throttle: Default::default(),
            dashboards: Default::default(),
            worker_id,
        })))
    }
}
