//! The wasm glue: edge-world exports over [`crate::detect::Watcher`].

use std::cell::RefCell;

use crate::detect::{Action, Config, Watcher};

// Generated glue: the canonical ABI needs `unsafe`, confined to this module.
#[allow(unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/platform",
        world: "edge",
    });
}

use bindings::bantong::platform::camera::{self, FrameInfo};
use bindings::bantong::platform::clock;
use bindings::bantong::platform::uplink;
use bindings::exports::bantong::platform::edge_handler::Guest;

thread_local! {
    static WATCHER: RefCell<Option<Watcher>> = const { RefCell::new(None) };
    /// Wall-clock time of init and of each camera's last frame, for health.
    static SEEN: RefCell<(i64, std::collections::BTreeMap<String, i64>)> =
        const { RefCell::new((0, std::collections::BTreeMap::new())) };
    /// Cameras to recalibrate at their next frame.
    static RECALIBRATE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Agent clock of the last `watch.summary`.
    static LAST_SUMMARY: RefCell<i64> = const { RefCell::new(0) };
}

struct CameraWatch;

impl Guest for CameraWatch {
    fn init(config: String) -> Result<(), String> {
        let config: Config = if config.trim().is_empty() || config.trim() == "null" {
            Config::default()
        } else {
            serde_json::from_str(&config).map_err(|e| format!("camera-watch config: {e}"))?
        };
        if config.width == 0 || config.height == 0 || config.width > 640 || config.height > 480 {
            return Err("camera-watch config: width/height must be 1-640 × 1-480".into());
        }
        WATCHER.with(|w| *w.borrow_mut() = Some(Watcher::new(config)));
        SEEN.with(|s| *s.borrow_mut() = (clock::now(), Default::default()));
        Ok(())
    }

    fn on_frame(frame: FrameInfo) -> Result<(), String> {
        WATCHER.with(|w| {
            let mut w = w.borrow_mut();
            let watcher = w.as_mut().ok_or("not initialised")?;
            if !watcher.config.cameras.contains_key(&frame.camera) {
                return Ok(());
            }
            SEEN.with(|s| s.borrow_mut().1.insert(frame.camera.clone(), clock::now()));
            let gray = camera::gray(watcher.config.width, watcher.config.height)
                .map_err(|e| format!("gray frame: {e:?}"))?;
            let recalibrate = RECALIBRATE.with(|r| {
                let mut r = r.borrow_mut();
                let found = r.iter().position(|c| *c == frame.camera);
                found.map(|i| r.remove(i)).is_some()
            });
            if recalibrate {
                watcher.calibrate(&frame.camera, &gray);
                return Ok(());
            }
            for action in watcher.process(&frame.camera, frame.ts, &gray) {
                let result = match action {
                    Action::Send {
                        kind,
                        subject,
                        data,
                    } => uplink::send(&kind, Some(&subject), &data.to_string()),
                    Action::Alert {
                        kind,
                        subject,
                        data,
                        snapshot,
                    } => uplink::alert(&kind, Some(&subject), &data.to_string(), snapshot),
                };
                result.map_err(|e| format!("uplink: {e:?}"))?;
            }
            Ok(())
        })
    }

    fn on_command(name: String, args: String) -> Result<String, String> {
        match name.as_str() {
            // The scene is empty now: take it as the reference.
            "calibrate" => {
                let args: serde_json::Value = serde_json::from_str(&args).unwrap_or_default();
                let cameras: Vec<String> = match args.get("camera").and_then(|c| c.as_str()) {
                    Some(c) => vec![c.to_owned()],
                    None => WATCHER.with(|w| {
                        w.borrow()
                            .as_ref()
                            .map(|w| w.config.cameras.keys().cloned().collect())
                            .unwrap_or_default()
                    }),
                };
                RECALIBRATE.with(|r| r.borrow_mut().extend(cameras.iter().cloned()));
                Ok(serde_json::json!({ "calibrating": cameras }).to_string())
            }
            other => Err(format!("unknown command {other:?}")),
        }
    }

    /// Camera-watch drives no devices.
    fn on_device(
        _event: bindings::bantong::platform::peripherals::DeviceEvent,
    ) -> Result<(), String> {
        Ok(())
    }

    /// Every `summary_every_s`: a `watch.summary` event with each
    /// region's state, for dashboards (window occupancy, queue counts).
    fn on_timer(now: i64) -> Result<(), String> {
        WATCHER.with(|w| {
            let w = w.borrow();
            let watcher = w.as_ref().ok_or("not initialised")?;
            let every_ms = i64::from(watcher.config.summary_every_s) * 1000;
            if every_ms == 0 {
                return Ok(());
            }
            let due = LAST_SUMMARY.with(|l| {
                let mut l = l.borrow_mut();
                let due = now - *l >= every_ms;
                if due {
                    *l = now;
                }
                due
            });
            if due {
                uplink::send("watch.summary", None, &watcher.summary().to_string())
                    .map_err(|e| format!("uplink: {e:?}"))?;
            }
            Ok(())
        })
    }

    /// Healthy when initialised and every configured camera delivered a
    /// frame within `stale_camera_s`.
    fn health() -> Result<(), String> {
        WATCHER.with(|w| {
            let w = w.borrow();
            let watcher = w.as_ref().ok_or("not initialised")?;
            let now = clock::now();
            let stale_ms = i64::from(watcher.config.stale_camera_s) * 1000;
            SEEN.with(|s| {
                let (since, seen) = &*s.borrow();
                for camera in watcher.config.cameras.keys() {
                    let last = seen.get(camera).copied().unwrap_or(*since);
                    if now - last > stale_ms {
                        return Err(format!(
                            "camera {camera}: no frame for {} s",
                            (now - last) / 1000
                        ));
                    }
                }
                Ok(())
            })
        })
    }
}

#[allow(unsafe_code)]
mod export {
    use super::CameraWatch;
    super::bindings::export!(CameraWatch with_types_in super::bindings);
}
