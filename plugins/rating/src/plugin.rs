//! The wasm glue: edge-world exports over [`crate::record`].

use std::cell::RefCell;

use crate::record::{Config, Tally, rate};

// Generated glue: the canonical ABI needs `unsafe`, confined to this module.
#[allow(unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/platform",
        world: "edge",
    });
}

use bindings::bantong::platform::camera::FrameInfo;
use bindings::bantong::platform::peripherals::{self, DeviceEvent};
use bindings::bantong::platform::uplink;
use bindings::exports::bantong::platform::edge_handler::Guest;

thread_local! {
    static CONFIG: RefCell<Option<Config>> = const { RefCell::new(None) };
    static TALLY: RefCell<Tally> = RefCell::new(Tally::default());
}

struct Rating;

fn config() -> Result<Config, String> {
    CONFIG.with(|c| {
        c.borrow()
            .clone()
            .ok_or_else(|| "not initialised".to_owned())
    })
}

impl Guest for Rating {
    fn init(config: String) -> Result<(), String> {
        let config = Config::from_json(&config)?;
        CONFIG.with(|c| *c.borrow_mut() = Some(config));
        Ok(())
    }

    fn on_frame(_frame: FrameInfo) -> Result<(), String> {
        Ok(())
    }

    fn on_device(event: DeviceEvent) -> Result<(), String> {
        if event.kind != "rating" {
            return Ok(());
        }
        let data: serde_json::Value =
            serde_json::from_str(&event.data).map_err(|e| format!("event data: {e}"))?;
        let Some(record) = rate(&config()?, &event.device, &data, event.ts)? else {
            return Ok(());
        };
        TALLY.with(|t| t.borrow_mut().add(&record));
        let payload = serde_json::to_string(&record).map_err(|e| e.to_string())?;
        let subject = record.window.map(|w| format!("window-{w}"));
        uplink::send("haocha.rating", subject.as_deref(), &payload)
            .map_err(|e| format!("uplink: {e:?}"))?;
        if record.bad {
            uplink::alert("haocha-bad", subject.as_deref(), &payload, false)
                .map_err(|e| format!("uplink: {e:?}"))?;
        }
        Ok(())
    }

    fn on_command(name: String, args: String) -> Result<String, String> {
        match name.as_str() {
            // Today's counts.
            "stats" => {
                let rule = config()?.satisfaction;
                Ok(TALLY.with(|t| t.borrow().to_json(rule)).to_string())
            }
            // Arms a keypad by window (for windows without the queue plugin).
            "prompt" => {
                let args: serde_json::Value =
                    serde_json::from_str(&args).map_err(|e| format!("args: {e}"))?;
                let window = args
                    .get("window")
                    .and_then(serde_json::Value::as_u64)
                    .ok_or("args.window is required")?;
                let config = config()?;
                let keypad = config
                    .keypads
                    .iter()
                    .find(|(_, k)| u64::from(k.window) == window)
                    .map(|(id, _)| id.clone())
                    .ok_or_else(|| format!("no keypad at window {window}"))?;
                let mut context = args
                    .get("context")
                    .cloned()
                    .unwrap_or(serde_json::json!({}));
                context["window"] = serde_json::json!(window);
                let request = peripherals::submit(
                    &keypad,
                    "prompt",
                    &serde_json::json!({ "context": context }).to_string(),
                )
                .map_err(|e| format!("{e:?}"))?;
                Ok(serde_json::json!({ "keypad": keypad, "request": request }).to_string())
            }
            other => Err(format!("unknown command {other:?}")),
        }
    }

    fn on_timer(_now: i64) -> Result<(), String> {
        Ok(())
    }

    /// Healthy once configured. A keypad that is offline is the device's
    /// fault (the agent reports it as `alert.device-fault`), not a reason
    /// to roll this plugin back.
    fn health() -> Result<(), String> {
        config().map(|_| ())
    }
}

#[allow(unsafe_code)]
mod export {
    use super::Rating;
    super::bindings::export!(Rating with_types_in super::bindings);
}
