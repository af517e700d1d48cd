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
    /// Peripheral controllers on serial lines:
    /// `[{ id = "hub-1", port = "/dev/ttyUSB0" }]`.
    pub controllers: Vec<crate::serial::ControllerSpec>,
    /// The hall's devices (see [`crate::devices::DeviceSpec`]).
    pub devices: Vec<crate::devices::DeviceSpec>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    pub id: String,
    /// A simulated scene (`clerk-seated`, `empty-window`, `growing-queue`,
    /// `lights`)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    /// …or a V4L2 device such as `/dev/video0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `yuyv` (default) or `mjpeg`: what to ask the device for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Requested frame size (default 640×480); the device may choose another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// Where a camera's frames come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraKind {
    Simulated(crate::camera::Scene),
    V4l2(crate::v4l2::V4l2Request),
}

impl CameraSpec {
    /// A simulated camera playing `scene`.
    pub fn simulated(id: &str, scene: &str) -> CameraSpec {
        CameraSpec {
            id: id.to_owned(),
            scene: Some(scene.to_owned()),
            ..CameraSpec::default()
        }
    }

    /// What this entry describes, or why it is unusable.
    pub fn kind(&self, fps: f32) -> Result<CameraKind, String> {
        match (&self.scene, &self.device) {
            (Some(scene), None) => crate::camera::Scene::parse(scene)
                .map(CameraKind::Simulated)
                .ok_or_else(|| format!("camera {}: unknown scene {scene:?}", self.id)),
            (None, Some(device)) => {
                let pixelformat = match self.format.as_deref().unwrap_or("yuyv") {
                    "yuyv" => crate::v4l2::YUYV,
                    "mjpeg" => crate::v4l2::MJPG,
                    other => {
                        return Err(format!(
                            "camera {}: format {other:?} (use yuyv or mjpeg)",
                            self.id
                        ));
                    }
                };
                Ok(CameraKind::V4l2(crate::v4l2::V4l2Request {
                    device: device.clone(),
                    width: self.width.unwrap_or(640).clamp(16, 8192),
                    height: self.height.unwrap_or(480).clamp(16, 8192),
                    pixelformat,
                    fps,
                }))
            }
            _ => Err(format!(
                "camera {}: give exactly one of scene and device",
                self.id
            )),
        }
    }
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
            controllers: Vec::new(),
            devices: Vec::new(),
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
        let config: EdgeConfig = toml::Value::Table(table)
            .try_into()
            .context("invalid edge agent configuration")?;
        config.check()?;
        Ok(config)
    }

    /// Checks what the types cannot: devices name known controllers.
    pub fn check(&self) -> anyhow::Result<()> {
        let controllers: Vec<String> = self.controllers.iter().map(|c| c.id.clone()).collect();
        crate::devices::check_specs(&self.devices, &controllers)
            .map_err(|e| anyhow::anyhow!("invalid edge agent configuration: {e}"))
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cameras_are_simulated_or_devices() {
        use crate::camera::Scene;
        let spec = |text: &str| -> CameraSpec { toml::from_str(text).unwrap() };
        assert_eq!(
            spec(
                r#"id = "c1"
scene = "lights""#
            )
            .kind(5.0),
            Ok(CameraKind::Simulated(Scene::Lights))
        );
        let CameraKind::V4l2(req) = spec(
            r#"id = "c1"
device = "/dev/video2"
format = "mjpeg"
width = 1280
height = 720"#,
        )
        .kind(5.0)
        .unwrap() else {
            panic!("a device camera")
        };
        assert_eq!(
            (req.device.as_str(), req.pixelformat, req.width, req.height),
            ("/dev/video2", crate::v4l2::MJPG, 1280, 720)
        );
        for bad in [
            "id = \"c1\"",
            "id = \"c1\"\nscene = \"lights\"\ndevice = \"/dev/video0\"",
            "id = \"c1\"\nscene = \"disco\"",
            "id = \"c1\"\ndevice = \"/dev/video0\"\nformat = \"h264\"",
        ] {
            assert!(spec(bad).kind(5.0).is_err(), "{bad}");
        }
    }

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
