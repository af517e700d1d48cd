//! The wasm glue: edge-world exports over [`crate::hall::Hall`].

use std::cell::RefCell;

use crate::hall::{Action, Hall};

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
use bindings::bantong::platform::{catalogue, clock, log, uplink};
use bindings::exports::bantong::platform::edge_handler::Guest;

thread_local! {
    static HALL: RefCell<Option<Hall>> = const { RefCell::new(None) };
}

fn with_hall<T>(f: impl FnOnce(&mut Hall) -> Result<T, String>) -> Result<T, String> {
    HALL.with(|h| match h.borrow_mut().as_mut() {
        Some(hall) => f(hall),
        None => Err("not initialised".into()),
    })
}

/// Carries out what the queue decided. A device that refuses is logged
/// and reported; the queue's own state has already changed and stays.
fn run(actions: Vec<Action>) -> Result<Vec<u64>, String> {
    let mut requests = Vec::new();
    for action in actions {
        match action {
            Action::Submit {
                device,
                op,
                args,
                purpose,
            } => match peripherals::submit(&device, op, &args.to_string()) {
                Ok(request) => {
                    with_hall(|h| {
                        h.submitted(request, purpose);
                        Ok(())
                    })?;
                    requests.push(request);
                }
                Err(e) => {
                    let message = format!("{device} {op}: {e:?}");
                    log::write(log::Level::Warn, &message, &[]);
                    uplink::send(
                        "queue.device-failed",
                        Some(&device),
                        &serde_json::json!({ "op": op, "error": message }).to_string(),
                    )
                    .map_err(|e| format!("uplink: {e:?}"))?;
                }
            },
            Action::Send {
                kind,
                subject,
                data,
            } => uplink::send(kind, subject.as_deref(), &data.to_string())
                .map_err(|e| format!("uplink: {e:?}"))?,
        }
    }
    Ok(requests)
}

/// Takes the district's catalogue when a newer version has reached the
/// hall: category names and which category each item is queued in.
fn refresh_catalogue(hall: &mut Hall) {
    // The number first: the body crosses only when it changed.
    if catalogue::version().is_none_or(|v| v == hall.catalogue_version()) {
        return;
    }
    let Some(published) = catalogue::current() else {
        return;
    };
    match serde_json::from_str(&published.body) {
        Ok(c) => hall.use_catalogue(published.version, &c),
        Err(e) => log::write(
            log::Level::Error,
            &format!("catalogue version {} unreadable: {e}", published.version),
            &[],
        ),
    }
}

struct QueuePlugin;

impl Guest for QueuePlugin {
    fn init(config: String) -> Result<(), String> {
        let mut hall = Hall::new(&config)?;
        refresh_catalogue(&mut hall);
        HALL.with(|h| *h.borrow_mut() = Some(hall));
        Ok(())
    }

    fn on_frame(_frame: FrameInfo) -> Result<(), String> {
        Ok(())
    }

    fn on_device(event: DeviceEvent) -> Result<(), String> {
        let data: serde_json::Value =
            serde_json::from_str(&event.data).map_err(|e| format!("event data: {e}"))?;
        let actions =
            with_hall(|h| h.device(&event.device, &event.kind, event.request, &data, event.ts))?;
        run(actions).map(|_| ())
    }

    fn on_command(name: String, args: String) -> Result<String, String> {
        let args: serde_json::Value = if args.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&args).map_err(|e| format!("args: {e}"))?
        };
        let now = clock::now();
        let (mut reply, actions) = with_hall(|h| {
            refresh_catalogue(h);
            h.command(&name, &args, now)
        })?;
        let requests = run(actions)?;
        if reply.get("pending").is_some()
            && let Some(request) = requests.first()
        {
            reply["request"] = serde_json::json!(request);
        }
        Ok(reply.to_string())
    }

    fn on_timer(now: i64) -> Result<(), String> {
        let actions = with_hall(|h| Ok(h.timer(now)))?;
        run(actions).map(|_| ())
    }

    fn health() -> Result<(), String> {
        with_hall(|_| Ok(()))
    }
}

#[allow(unsafe_code)]
mod export {
    use super::QueuePlugin;
    super::bindings::export!(QueuePlugin with_types_in super::bindings);
}
