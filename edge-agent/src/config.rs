//! Agent configuration: built-in defaults, then a TOML file, then
//! `BANTONG_EDGE_<KEY>` environment variables (one per field, e.g.
//! `BANTONG_EDGE_HEARTBEAT_S=10`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdgeConfig {
    /// Identity, outbox, desired state and plugin artefacts live here.
    pub data_dir: PathBuf,
    /// The district host's HTTP base, for enrolment and artefact downloads.
    pub host_url: String,
    /// Overrides the MQTT host given at enrolment (e.g. behind NAT).
    pub mqtt_host: Option<String>,
    /// Overrides the MQTT port given at enrolment.
    pub mqtt_port: Option<u16>,
    /// Seconds between heartbeats.
    pub heartbeat_s: u64,
    /// MQTT keep-alive in seconds; the broker declares the agent dead
    /// (publishing its Last Will) after 1.5 times this without traffic.
    pub keep_alive_s: u64,
    /// Disk the outbox may use, in MiB; beyond it new events are refused.
    pub outbox_limit_mib: u64,
    /// Size of one outbox segment file, in MiB.
    pub outbox_segment_mib: u64,
    /// Most events in one upstream batch.
    pub batch_events: usize,
    /// Most bytes of events in one upstream batch, in KiB.
    pub batch_kib: usize,
    /// Unacknowledged batches in flight.
    pub window: usize,
    /// Seconds without an acknowledgement before resending.
    pub resend_after_s: u64,
    /// Log filter (`info`, `bantong_edge=debug`, …).
    pub log: String,
    /// The hall's cameras. `scene` selects a simulated source
    /// (`clerk-seated`, `empty-window`, `growing-queue`, `lights`).
    pub cameras: Vec<CameraSpec>,
    /// Frames per second each camera delivers.
    pub camera_fps: f32,
    /// Simulated time per real second (2.0 plays scenes twice as fast).
    pub camera_speed: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    pub id: String,
    pub scene: String,
}

impl Default for EdgeConfig {
    fn default() -> Self {
        EdgeConfig {
            data_dir: PathBuf::from("edge-data"),
            host_url: "http://127.0.0.1:8080".into(),
            mqtt_host: None,
            mqtt_port: None,
            heartbeat_s: 30,
            keep_alive_s: 30,
            outbox_limit_mib: 256,
            outbox_segment_mib: 8,
            batch_events: 500,
            batch_kib: 512,
            window: 4,
            resend_after_s: 10,
            log: "info".into(),
            cameras: Vec::new(),
            camera_fps: 5.0,
            camera_speed: 1.0,
        }
    }
}

const ENV_PREFIX: &str = "BANTONG_EDGE_";

impl EdgeConfig {
    /// Defaults, then `file` (if any), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<EdgeConfig> {
        let mut table = match toml::Value::try_from(EdgeConfig::default())? {
            toml::Value::Table(t) => t,
            _ => anyhow::bail!("default config is not a table"),
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let from_file: toml::Table =
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            table.extend(from_file);
        }
        for (key, value) in std::env::vars() {
            if key == "BANTONG_EDGE_CONFIG" {
                continue;
            }
            if let Some(field) = key.strip_prefix(ENV_PREFIX) {
                let field = field.to_ascii_lowercase();
                // A number or boolean where it parses as one, text otherwise.
                let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
                    .ok()
                    .and_then(|mut t| t.remove("v"))
                    .unwrap_or(toml::Value::String(value));
                table.insert(field, parsed);
            }
        }
        toml::Value::Table(table)
            .try_into()
            .context("invalid edge agent configuration")
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_values_override_defaults_and_unknown_keys_are_refused() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("edge.toml");
        std::fs::write(&path, "heartbeat_s = 5\nhost_url = \"http://host:1\"\n")?;
        let c = EdgeConfig::load(Some(&path))?;
        assert_eq!(c.heartbeat_s, 5);
        assert_eq!(c.host_url, "http://host:1");
        assert_eq!(c.window, 4);
        std::fs::write(&path, "heartbeat = 5\n")?;
        assert!(EdgeConfig::load(Some(&path)).is_err());
        Ok(())
    }
}
