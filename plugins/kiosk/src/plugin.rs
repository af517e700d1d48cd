//! The wasm glue: edge-world exports over [`crate::session::Kiosk`].

use std::cell::RefCell;

use crate::session::{Action, Config, Kiosk};

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
use bindings::bantong::platform::{catalogue, clock, uplink};
use bindings::exports::bantong::platform::edge_handler::Guest;

thread_local! {
    static KIOSK: RefCell<Option<Kiosk>> = const { RefCell::new(None) };
}

fn with_kiosk<T>(f: impl FnOnce(&mut Kiosk) -> Result<T, String>) -> Result<T, String> {
    KIOSK.with(|k| match k.borrow_mut().as_mut() {
        Some(kiosk) => f(kiosk),
        None => Err("not initialised".into()),
    })
}

/// Carries out what the session decided; a device that refuses a request
/// fails the command (the screen shows why).
fn run(actions: Vec<Action>) -> Result<(), String> {
    for action in actions {
        match action {
            Action::Submit { device, op, args } => {
                let request = peripherals::submit(&device, op, &args.to_string())
                    .map_err(|e| format!("{device} {op}: {e:?}"))?;
                with_kiosk(|k| {
                    k.submitted(request);
                    Ok(())
                })?;
            }
            Action::Cancel(request) => {
                peripherals::cancel(request);
            }
            Action::Send { kind, data } => {
                uplink::send(kind, None, &data.to_string()).map_err(|e| format!("uplink: {e:?}"))?
            }
            Action::Alert { kind, data } => uplink::alert(kind, None, &data.to_string(), false)
                .map_err(|e| format!("uplink: {e:?}"))?,
        }
    }
    Ok(())
}

/// Takes the district's catalogue when a newer version has reached the
/// hall (it arrives from the host at any time, and is kept by the agent).
fn refresh_items(kiosk: &mut Kiosk) {
    // The number first: the body crosses only when it changed.
    if catalogue::version().is_none_or(|v| v == kiosk.catalogue_version()) {
        return;
    }
    let Some(published) = catalogue::current() else {
        return;
    };
    match serde_json::from_str(&published.body) {
        Ok(c) => kiosk.offer(published.version, &c),
        Err(e) => bindings::bantong::platform::log::write(
            bindings::bantong::platform::log::Level::Error,
            &format!("catalogue version {} unreadable: {e}", published.version),
            &[],
        ),
    }
}

struct KioskPlugin;

impl Guest for KioskPlugin {
    fn init(config: String) -> Result<(), String> {
        let mut kiosk = Kiosk::new(Config::from_json(&config)?);
        refresh_items(&mut kiosk);
        KIOSK.with(|k| *k.borrow_mut() = Some(kiosk));
        Ok(())
    }

    fn on_frame(_frame: FrameInfo) -> Result<(), String> {
        Ok(())
    }

    fn on_device(event: DeviceEvent) -> Result<(), String> {
        let data: serde_json::Value =
            serde_json::from_str(&event.data).map_err(|e| format!("event data: {e}"))?;
        let actions = with_kiosk(|k| Ok(k.device(&event.kind, event.request, &data, event.ts)))?;
        run(actions)
    }

    fn on_command(name: String, args: String) -> Result<String, String> {
        let args: serde_json::Value = if args.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&args).map_err(|e| format!("args: {e}"))?
        };
        let now = clock::now();
        let (reply, actions) = with_kiosk(|k| {
            refresh_items(k);
            k.command(&name, &args, now)
        })?;
        run(actions)?;
        Ok(reply.to_string())
    }

    fn on_timer(now: i64) -> Result<(), String> {
        let actions = with_kiosk(|k| Ok(k.timer(now)))?;
        run(actions)
    }

    fn health() -> Result<(), String> {
        with_kiosk(|_| Ok(()))
    }
}

#[allow(unsafe_code)]
mod export {
    use super::KioskPlugin;
    super::bindings::export!(KioskPlugin with_types_in super::bindings);
}
