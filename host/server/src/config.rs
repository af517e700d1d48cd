//! Host configuration, layered: embedded defaults, then a TOML file, then
//! `BANTONG_*` environment variables (`BANTONG_SECTION__KEY`, with `__`
//! separating nesting levels; `DATABASE_URL` is honoured too).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use bantong_runtime::RuntimeConfig;

/// Everything the host reads at start-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostConfig {
    /// Address of the HTTP server.
    pub listen: SocketAddr,
    /// Directory for the SQLite database, blobs and keys.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; empty means `<data_dir>/bantong.db`.
    pub database_url: String,
    /// Database pool size.
    pub max_connections: u32,
    /// Development mode: unsigned plugins are accepted. Never in production.
    pub dev_mode: bool,
    /// Files with trusted ed25519 public keys for plugin signatures.
    pub trusted_keys: Vec<PathBuf>,
    /// Operator policy file (capabilities granted per plugin); empty = built-in default.
    pub policy_file: Option<PathBuf>,
    pub runtime: RuntimeConfig,
    pub blobs: BlobConfig,
    pub auth: AuthConfig,
    pub workers: WorkerConfig,
    pub mqtt: MqttConfig,
    pub notices: NoticesConfig,
    pub documents: DocumentsConfig,
    /// The portal's browser bundle (`bantong_portal.js` and
    /// `bantong_portal_bg.wasm`, built by `cargo xtask portal`), served at
    /// `/pkg/`. Without it the pages still work, rendered on the server.
    pub portal_pkg_dir: PathBuf,
    /// The address citizens' phones reach the host at (e.g.
    /// `https://bantong.lianchi.gov.cn`), printed in survey QR codes. Empty:
    /// the address the portal was opened with.
    pub public_url: String,
}

/// Documents the host renders for plugins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentsConfig {
    /// Where the Noto Serif CJK and Noto Sans CJK collections are (Debian's
    /// `fonts-noto-cjk`). Read once, at the first document.
    pub font_dir: PathBuf,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        DocumentsConfig {
            font_dir: PathBuf::from(bantong_documents::DEFAULT_FONT_DIR),
        }
    }
}

/// Messages plugins send to people: the SMS gateway (政务短信) and limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoticesConfig {
    /// The SMS gateway's endpoint (`POST`, JSON; see docs/sms-gateway.md).
    /// Empty: no gateway, and text messages fail with that reason (portal
    /// notices still work).
    pub sms_gateway_url: String,
    /// Bearer token for the gateway (masked by `config show`).
    pub sms_gateway_token: String,
    /// The signature the gateway requires at the start of every message.
    pub sms_signature: String,
    /// Notices one plugin may queue per minute (SMS and portal together).
    pub per_plugin_per_minute: u32,
    /// Attempts at the gateway before a message fails for good.
    pub max_attempts: u32,
    /// The first retry's delay; each further retry doubles it.
    pub retry_base_ms: u64,
    /// How long one gateway request may take.
    pub gateway_timeout_ms: u64,
    /// How often the notice worker looks for due messages.
    pub poll_ms: u64,
}

impl Default for NoticesConfig {
    fn default() -> Self {
        NoticesConfig {
            sms_gateway_url: String::new(),
            sms_gateway_token: String::new(),
            sms_signature: "【莲池区政务服务】".into(),
            per_plugin_per_minute: 60,
            max_attempts: 6,
            retry_base_ms: 10_000,
            gateway_timeout_ms: 10_000,
            poll_ms: 1_000,
        }
    }
}

/// The edge fabric's MQTT side.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttConfig {
    /// Run the edge fabric (broker link, ingest) in `serve`.
    pub enabled: bool,
    /// `embedded`: this process runs the broker on `listen`. `external`: use
    /// the broker at `host`:`port` (Mosquitto with its dynamic-security
    /// plugin, which the host drives to create each agent's credentials).
    pub mode: MqttMode,
    /// Address of the embedded broker.
    pub listen: SocketAddr,
    /// The external broker.
    pub host: String,
    pub port: u16,
    /// The host's own login at an external broker (needs dynamic-security
    /// admin rights). Ignored for the embedded broker, which makes a fresh
    /// one per process.
    pub username: String,
    pub password: String,
    /// What enrolling agents are told to connect to; empty: `listen` or
    /// `host`:`port`.
    pub public_host: String,
    pub public_port: u16,
    /// An agent silent for this long counts as offline even without a Last
    /// Will (broker restart, host restart).
    pub stale_after_s: u64,
    /// Lifetime of an enrolment token.
    pub enrol_token_hours: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MqttMode {
    Embedded,
    External,
}

impl Default for MqttConfig {
    fn default() -> Self {
        MqttConfig {
            enabled: true,
            mode: MqttMode::Embedded,
            listen: SocketAddr::from(([127, 0, 0, 1], 1883)),
            host: "127.0.0.1".into(),
            port: 1883,
            username: String::new(),
            password: String::new(),
            public_host: String::new(),
            public_port: 0,
            stale_after_s: 90,
            enrol_token_hours: 72,
        }
    }
}

impl MqttConfig {
    /// Where agents connect.
    pub fn public_endpoint(&self) -> (String, u16) {
        let (host, port) = match self.mode {
            MqttMode::Embedded => (self.listen.ip().to_string(), self.listen.port()),
            MqttMode::External => (self.host.clone(), self.port),
        };
        (
            if self.public_host.is_empty() {
                host
            } else {
                self.public_host.clone()
            },
            if self.public_port == 0 {
                port
            } else {
                self.public_port
            },
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlobConfig {
    /// Largest blob, in KiB.
    pub max_kib: u64,
    /// Accepted media types.
    pub types: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// A session ends after this many minutes without a request.
    pub idle_timeout_minutes: u64,
    /// A session ends this many hours after login, active or not.
    pub absolute_timeout_hours: u64,
    /// Failed logins before the account locks.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked.
    pub lockout_minutes: u64,
    /// Set the `Secure` flag on the session cookie (behind TLS).
    pub secure_cookie: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Run the outbox dispatcher and the scheduler in this process.
    pub enabled: bool,
    /// How often the outbox is polled, in milliseconds.
    pub outbox_poll_ms: u64,
    /// How often schedules are evaluated, in milliseconds.
    pub scheduler_poll_ms: u64,
    /// How often the plugin registry is re-read for changes made by other
    /// host processes or the CLI, in milliseconds.
    pub registry_poll_ms: u64,
    /// Name of this host process in leases (default: `host-<pid>-<random>`).
    pub worker_id: Option<String>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: String::new(),
            max_connections: 8,
            dev_mode: false,
            trusted_keys: Vec::new(),
            policy_file: None,
            runtime: RuntimeConfig::default(),
            blobs: BlobConfig::default(),
            auth: AuthConfig::default(),
            workers: WorkerConfig::default(),
            mqtt: MqttConfig::default(),
            notices: NoticesConfig::default(),
            documents: DocumentsConfig::default(),
            portal_pkg_dir: PathBuf::from("target/portal/pkg"),
            public_url: String::new(),
        }
    }
}

impl Default for BlobConfig {
    fn default() -> Self {
        BlobConfig {
            max_kib: 10 * 1024,
            types: bantong_store::DEFAULT_BLOB_TYPES.map(String::from).to_vec(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            idle_timeout_minutes: 30,
            absolute_timeout_hours: 12,
            max_failed_logins: 5,
            lockout_minutes: 15,
            secure_cookie: false,
        }
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            enabled: true,
            outbox_poll_ms: 200,
            scheduler_poll_ms: 1000,
            registry_poll_ms: 5000,
            worker_id: None,
        }
    }
}

/// A configuration problem, naming the source and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("config: {0}")]
    Invalid(String),
}

impl HostConfig {
    /// The default configuration as commented TOML (`bantong config default`).
    pub fn default_toml() -> String {
        let body = toml::to_string_pretty(&HostConfig::default()).unwrap_or_default();
        format!(
            "# Bantong host configuration. Every key is optional; environment variables\n\
             # BANTONG_<KEY> (and BANTONG_<SECTION>__<KEY>) override this file.\n\n{body}"
        )
    }

    /// Loads defaults, then `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<HostConfig, ConfigError> {
        // Variables that are not UTF-8 cannot be ours; skip them rather than panic.
        Self::load_from(
            file,
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// As [`HostConfig::load`] with an explicit environment (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<HostConfig, ConfigError> {
        let mut value = toml::Value::try_from(HostConfig::default())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            let overlay: toml::Value = toml::from_str(&text).map_err(|e| ConfigError::File {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
            merge(&mut value, overlay);
            // Check the file alone so its errors name the file.
            value
                .clone()
                .try_into::<HostConfig>()
                .map_err(|e| ConfigError::File {
                    path: path.to_owned(),
                    message: e.to_string(),
                })?;
        }
        for (var, raw) in env {
            let key = if var == "DATABASE_URL" {
                "database_url".to_owned()
            } else if let Some(rest) = var.strip_prefix("BANTONG_") {
                if is_reserved_env(rest) {
                    continue;
                }
                rest.to_ascii_lowercase()
            } else {
                continue;
            };
            let path: Vec<&str> = key.split("__").collect();
            set_path(&mut value, &path, &raw).map_err(|message| ConfigError::Env {
                var: var.clone(),
                message,
            })?;
            value
                .clone()
                .try_into::<HostConfig>()
                .map_err(|e| ConfigError::Env {
                    var: var.clone(),
                    message: e.to_string(),
                })?;
        }
        value
            .try_into::<HostConfig>()
            .map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("bantong.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// The configuration as TOML with the database password masked.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = redact_url(&shown.database_url);
        if !shown.notices.sms_gateway_token.is_empty() {
            shown.notices.sms_gateway_token = "***".into();
        }
        if !shown.mqtt.password.is_empty() {
            shown.mqtt.password = "***".into();
        }
        toml::to_string_pretty(&shown).unwrap_or_default()
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }
}

/// `BANTONG_*` variables that are not config keys: the config file path, the
/// log filter, and the test suite's switches.
fn is_reserved_env(rest: &str) -> bool {
    matches!(rest, "CONFIG" | "LOG" | "WASM_DIR")
        || rest.starts_with("TEST_")
        || rest.starts_with("SKIP_")
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

fn merge(base: &mut toml::Value, overlay: toml::Value) {
    match (base, overlay) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Sets `path` in `value` from an environment string, parsed according to
/// the type already there (so `8080` stays a number and `true` a boolean).
fn set_path(value: &mut toml::Value, path: &[&str], raw: &str) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".into());
    };
    let mut cur = value;
    for p in parents {
        cur = cur
            .as_table_mut()
            .and_then(|t| t.get_mut(*p))
            .ok_or_else(|| format!("unknown config section {p:?}"))?;
    }
    let table = cur.as_table_mut().ok_or("not a section")?;
    let parsed = match table.get(*last) {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .map_err(|_| format!("expected an integer, got {raw:?}"))?,
        ),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(
            raw.trim()
                .parse()
                .map_err(|_| format!("expected true or false, got {raw:?}"))?,
        ),
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| toml::Value::String(s.trim().to_owned()))
                .collect(),
        ),
        Some(toml::Value::Table(_)) => return Err("is a section; set its keys with __".into()),
        Some(_) => toml::Value::String(raw.to_owned()),
        // Optional keys absent from the defaults (for example `policy_file`).
        None => toml::Value::String(raw.to_owned()),
    };
    table.insert((*last).to_owned(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn default_round_trips_through_toml() {
        let text = HostConfig::default_toml();
        let parsed: HostConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed.listen, HostConfig::default().listen);
    }

    #[test]
    fn file_then_env_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bantong.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\n[runtime]\nmax_timeout_ms = 500\n",
        )
        .unwrap();
        let cfg = HostConfig::load_from(
            Some(&file),
            env(&[
                ("BANTONG_RUNTIME__MAX_TIMEOUT_MS", "750"),
                ("BANTONG_DEV_MODE", "true"),
                ("OTHER", "x"),
                ("BANTONG_SKIP_PG", "1"),
                ("BANTONG_TEST_PG_URL", "postgres://elsewhere"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.listen.port(), 9000);
        assert_eq!(cfg.runtime.max_timeout_ms, 750);
        assert!(cfg.dev_mode);
    }

    #[test]
    fn errors_name_the_variable_and_the_file() {
        let err = HostConfig::load_from(None, env(&[("BANTONG_RUNTIME__MAX_TIMEOUT_MS", "soon")]))
            .unwrap_err();
        assert!(
            err.to_string().contains("BANTONG_RUNTIME__MAX_TIMEOUT_MS"),
            "{err}"
        );
        let err = HostConfig::load_from(None, env(&[("BANTONG_LISTNE", "x")])).unwrap_err();
        assert!(
            err.to_string().contains("BANTONG_LISTNE"),
            "a typo is an error, not ignored: {err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "listne = \"x\"\n").unwrap();
        let err = HostConfig::load_from(Some(&file), env(&[])).unwrap_err();
        assert!(
            err.to_string().contains("bad.toml") && err.to_string().contains("listne"),
            "{err}"
        );
    }

    #[test]
    fn shown_config_masks_the_database_password() {
        let cfg = HostConfig {
            database_url: "postgres://bt:s3cret@db/bantong".into(),
            ..HostConfig::default()
        };
        let shown = cfg.to_redacted_toml();
        assert!(
            shown.contains("postgres://bt:***@db/bantong") && !shown.contains("s3cret"),
            "{shown}"
        );
    }

    #[test]
    fn database_url_defaults_to_sqlite_in_data_dir() {
        let cfg =
            HostConfig::load_from(None, env(&[("DATABASE_URL", "postgres://x@y/z")])).unwrap();
        assert_eq!(cfg.database_url(), "postgres://x@y/z");
        assert!(
            HostConfig::default()
                .database_url()
                .starts_with("sqlite://")
        );
    }
}
