//! The analysis, free of any binding: the wasm plugin and the native
//! benchmark baseline run exactly this code.
//!
//! Every frame arrives as a small grayscale image (the agent downscales
//! natively). Per camera the watcher keeps a reference image of the empty
//! scene and a brightness gain:
//!
//! - **seat** regions: the mean absolute difference against the reference
//!   says whether someone sits there; once the window has been staffed
//!   (someone sat there since calibration), empty for `unattended_after_s` raises
//!   `window-unattended` (with a snapshot), occupied again sends
//!   `window-attended`;
//! - **zone** regions: the share of pixels differing from the reference,
//!   divided by one person's share, estimates how many people stand there;
//!   the count goes up as `zone.count` when it changes, and at
//!   `crowd_threshold` people for `crowd_after_s` raises `crowding`;
//! - a **sudden whole-frame change** (lights switched, camera bumped)
//!   recalibrates the gain and holds alerts for a few frames instead of
//!   alerting.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Analysis image size.
    pub width: u32,
    pub height: u32,
    /// Mean difference (0-255) above which a seat counts as occupied.
    pub occupancy_threshold: f32,
    /// Pixel difference above which a pixel is foreground.
    pub foreground_threshold: u8,
    /// Share of pixels changed between frames that means "the scene changed".
    pub scene_change_share: f32,
    /// Frames without alerts after a recalibration.
    pub settle_frames: u32,
    /// Health fails when a configured camera delivered no frame for this
    /// many seconds (agent wall clock).
    pub stale_camera_s: u32,
    /// Seconds between `watch.summary` events (window occupancy and queue
    /// counts for dashboards); 0 sends none.
    pub summary_every_s: u32,
    pub cameras: BTreeMap<String, CameraConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            width: 160,
            height: 120,
            occupancy_threshold: 18.0,
            foreground_threshold: 30,
            scene_change_share: 0.6,
            settle_frames: 5,
            stale_camera_s: 10,
            summary_every_s: 60,
            cameras: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraConfig {
    pub regions: Vec<Region>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    pub kind: RegionKind,
    /// `[x, y, w, h]` as fractions of the frame (0.0-1.0).
    pub rect: [f32; 4],
    /// Seat: seconds empty before the alert.
    #[serde(default = "default_unattended")]
    pub unattended_after_s: u32,
    /// Zone: one person's share of the zone's area.
    #[serde(default = "default_person_share")]
    pub person_share: f32,
    /// Zone: people at which the zone is crowded.
    #[serde(default = "default_crowd")]
    pub crowd_threshold: u32,
    /// Zone: seconds crowded before the alert.
    #[serde(default = "default_crowd_after")]
    pub crowd_after_s: u32,
}

fn default_unattended() -> u32 {
    300
}
fn default_person_share() -> f32 {
    0.08
}
fn default_crowd() -> u32 {
    8
}
fn default_crowd_after() -> u32 {
    60
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionKind {
    Seat,
    Zone,
}

/// What the watcher wants sent upstream.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Send {
        kind: String,
        subject: String,
        data: Value,
    },
    Alert {
        kind: String,
        subject: String,
        data: Value,
        snapshot: bool,
    },
}

#[derive(Debug, Default)]
struct RegionState {
    /// Someone has sat here since calibration: the window is staffed, and
    /// an empty seat from now on means it was left unattended.
    staffed: bool,
    /// The seat looked occupied in the last frame.
    occupied: bool,
    empty_since: Option<i64>,
    unattended: bool,
    count: Option<u32>,
    crowded_since: Option<i64>,
    crowded: bool,
}

#[derive(Debug)]
struct CameraState {
    reference: Vec<u8>,
    reference_mean: f32,
    gain: f32,
    previous: Vec<u8>,
    settle: u32,
    regions: Vec<RegionState>,
}

/// Pixel index ranges of a region in the analysis image.
fn bounds(rect: [f32; 4], w: u32, h: u32) -> (usize, usize, usize, usize) {
    let clamp = |v: f32| v.clamp(0.0, 1.0);
    let x0 = (clamp(rect[0]) * w as f32) as usize;
    let y0 = (clamp(rect[1]) * h as f32) as usize;
    let x1 = ((clamp(rect[0] + rect[2]) * w as f32) as usize)
        .max(x0 + 1)
        .min(w as usize);
    let y1 = ((clamp(rect[1] + rect[3]) * h as f32) as usize)
        .max(y0 + 1)
        .min(h as usize);
    (x0, y0, x1, y1)
}

fn mean(img: &[u8]) -> f32 {
    if img.is_empty() {
        return 0.0;
    }
    img.iter().map(|&p| u32::from(p)).sum::<u32>() as f32 / img.len() as f32
}

/// The watcher over all cameras of a hall.
#[derive(Debug)]
pub struct Watcher {
    pub config: Config,
    cameras: BTreeMap<String, CameraState>,
}

impl Watcher {
    pub fn new(config: Config) -> Watcher {
        Watcher {
            config,
            cameras: BTreeMap::new(),
        }
    }

    /// Takes `gray` as the empty-scene reference of `camera`.
    pub fn calibrate(&mut self, camera: &str, gray: &[u8]) {
        let regions = self
            .config
            .cameras
            .get(camera)
            .map_or(0, |c| c.regions.len());
        self.cameras.insert(
            camera.to_owned(),
            CameraState {
                reference: gray.to_vec(),
                reference_mean: mean(gray).max(1.0),
                gain: 1.0,
                previous: gray.to_vec(),
                settle: 0,
                regions: (0..regions).map(|_| RegionState::default()).collect(),
            },
        );
    }

    /// The state of every watched region: seats (occupied now, staffed
    /// since calibration, unattended) and zones (people, crowded). Cameras
    /// not calibrated yet are left out.
    pub fn summary(&self) -> Value {
        let mut cameras = serde_json::Map::new();
        for (camera, state) in &self.cameras {
            let Some(cfg) = self.config.cameras.get(camera) else {
                continue;
            };
            let regions: Vec<Value> = cfg
                .regions
                .iter()
                .zip(&state.regions)
                .map(|(region, rs)| match region.kind {
                    RegionKind::Seat => json!({
                        "id": region.id, "kind": "seat", "occupied": rs.occupied,
                        "staffed": rs.staffed, "unattended": rs.unattended,
                    }),
                    RegionKind::Zone => json!({
                        "id": region.id, "kind": "zone",
                        "people": rs.count.unwrap_or(0), "crowded": rs.crowded,
                    }),
                })
                .collect();
            cameras.insert(camera.clone(), json!({ "regions": regions }));
        }
        json!({ "cameras": cameras })
    }

    /// Analyses one frame (`gray` at the configured size) taken at `ts_ms`.
    pub fn process(&mut self, camera: &str, ts_ms: i64, gray: &[u8]) -> Vec<Action> {
        let (w, h) = (self.config.width, self.config.height);
        if gray.len() != (w * h) as usize {
            return Vec::new();
        }
        let Some(cam_cfg) = self.config.cameras.get(camera) else {
            return Vec::new();
        };
        let Some(state) = self.cameras.get_mut(camera) else {
            self.calibrate(camera, gray);
            return Vec::new();
        };
        let mut out = Vec::new();

        // Sudden whole-frame change: recalibrate the gain, hold alerts.
        let threshold = i16::from(self.config.foreground_threshold);
        let changed = gray
            .iter()
            .zip(&state.previous)
            .filter(|(a, b)| (i16::from(**a) - i16::from(**b)).abs() > threshold)
            .count();
        state.previous.copy_from_slice(gray);
        if changed as f32 > self.config.scene_change_share * gray.len() as f32 {
            let before = state.gain;
            state.gain = mean(gray) / state.reference_mean;
            state.settle = self.config.settle_frames;
            out.push(Action::Send {
                kind: "camera.recalibrated".into(),
                subject: camera.to_owned(),
                data: json!({ "gain_before": before, "gain": state.gain, "changed_share": changed as f32 / gray.len() as f32 }),
            });
            return out;
        }
        let settling = state.settle > 0;
        state.settle = state.settle.saturating_sub(1);
        let inv_gain = 1.0 / state.gain.max(0.05);
        let fg = f32::from(self.config.foreground_threshold);

        for (region, rs) in cam_cfg.regions.iter().zip(state.regions.iter_mut()) {
            let (x0, y0, x1, y1) = bounds(region.rect, w, h);
            let mut diff_sum = 0f32;
            let mut foreground = 0u32;
            for y in y0..y1 {
                let row = y * w as usize;
                let cur = &gray[row + x0..row + x1];
                let reference = &state.reference[row + x0..row + x1];
                for (c, r) in cur.iter().zip(reference) {
                    let d = (f32::from(*c) * inv_gain - f32::from(*r)).abs();
                    diff_sum += d;
                    foreground += u32::from(d > fg);
                }
            }
            let area = ((x1 - x0) * (y1 - y0)) as f32;
            let subject = format!("{camera}/{}", region.id);
            match region.kind {
                RegionKind::Seat => {
                    let occupied = diff_sum / area > self.config.occupancy_threshold;
                    rs.occupied = occupied;
                    if occupied {
                        rs.staffed = true;
                        rs.empty_since = None;
                        if rs.unattended {
                            rs.unattended = false;
                            out.push(Action::Send {
                                kind: "window.attended".into(),
                                subject,
                                data: json!({ "camera": camera, "region": region.id }),
                            });
                        }
                    } else if rs.staffed {
                        let since = *rs.empty_since.get_or_insert(ts_ms);
                        let empty_s = (ts_ms - since) / 1000;
                        if !rs.unattended
                            && !settling
                            && empty_s >= i64::from(region.unattended_after_s)
                        {
                            rs.unattended = true;
                            out.push(Action::Alert {
                                kind: "window-unattended".into(),
                                subject,
                                data: json!({ "camera": camera, "region": region.id, "empty_s": empty_s }),
                                snapshot: true,
                            });
                        }
                    }
                }
                RegionKind::Zone => {
                    let share = foreground as f32 / area;
                    let people = (share / region.person_share.max(0.001)).round() as u32;
                    if rs.count != Some(people) {
                        rs.count = Some(people);
                        out.push(Action::Send {
                            kind: "zone.count".into(),
                            subject: subject.clone(),
                            data: json!({ "camera": camera, "region": region.id, "people": people }),
                        });
                    }
                    if people >= region.crowd_threshold {
                        let since = *rs.crowded_since.get_or_insert(ts_ms);
                        if !rs.crowded
                            && !settling
                            && (ts_ms - since) / 1000 >= i64::from(region.crowd_after_s)
                        {
                            rs.crowded = true;
                            out.push(Action::Alert {
                                kind: "crowding".into(),
                                subject,
                                data: json!({ "camera": camera, "region": region.id, "people": people }),
                                snapshot: true,
                            });
                        }
                    } else {
                        rs.crowded_since = None;
                        rs.crowded = false;
                    }
                }
            }
        }
        out
    }
}
