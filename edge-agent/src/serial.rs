//! Peripheral controllers on serial lines (the `bantong-wire` protocol).
//! One thread per controller owns its port: it opens the tty in raw mode,
//! asks the controller who it is, turns ratings into upstream events,
//! carries the host's requests (call a number, show text, print) and waits
//! for their `Ack`, and watches the link: no frame for
//! [`SILENCE`] or a dead port raises `alert.peripheral-offline`, and the
//! port is reopened every [`REOPEN`] until the controller answers again
//! (`peripheral.online`).
//!
//! Key presses stay in the box: only completed ratings go upstream, so a PIN
//! typed on a keypad can never leave the hall.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bantong_wire::{Decoder, Frame, MAX_FRAME, Message, Rating, encode_frame};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::{oneshot, watch};

use crate::outbox::Draft;
use crate::sink::EventSink;

/// Without a frame for this long (heartbeats come every 5 s) the link is down.
pub const SILENCE: Duration = Duration::from_secs(15);
/// How often a dead port is reopened.
pub const REOPEN: Duration = Duration::from_secs(2);
/// How long a request waits for its `Ack`.
pub const ANSWER: Duration = Duration::from_secs(3);

/// A controller in the agent's config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControllerSpec {
    pub id: String,
    /// The serial device (`/dev/ttyUSB0`, or a pseudo-terminal).
    pub port: String,
}

/// What the host can ask of a controller.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Call { device: u8, number: u16, window: u8 },
    Show { device: u8, line: u8, text: String },
    Print { number: u16, text: String },
}

impl Request {
    /// Parses a host command (`peripheral.call`, `peripheral.show`,
    /// `peripheral.print`) into the controller it names and the request.
    pub fn from_command(name: &str, args: &serde_json::Value) -> Result<(String, Request), String> {
        let text = |k: &str| args.get(k).and_then(|v| v.as_str());
        let num = |k: &str| args.get(k).and_then(|v| v.as_u64());
        let controller = text("controller")
            .ok_or("args.controller is required")?
            .to_owned();
        let device = u8::try_from(num("device").unwrap_or(0)).map_err(|_| "device: 0-255")?;
        let request = match name {
            "peripheral.call" => Request::Call {
                device,
                number: num("number")
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or("args.number: 0-65535 is required")?,
                window: num("window")
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or("args.window: 0-255 is required")?,
            },
            "peripheral.show" => Request::Show {
                device,
                line: u8::try_from(num("line").unwrap_or(0)).map_err(|_| "line: 0-255")?,
                text: text("text").ok_or("args.text is required")?.to_owned(),
            },
            "peripheral.print" => Request::Print {
                number: num("number")
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or("args.number: 0-65535 is required")?,
                text: text("text").ok_or("args.text is required")?.to_owned(),
            },
            other => return Err(format!("unknown peripheral command {other:?}")),
        };
        if let Request::Show { text, .. } | Request::Print { text, .. } = &request
            && text.len() > bantong_wire::MAX_TEXT
        {
            return Err(format!(
                "text: at most {} bytes of UTF-8",
                bantong_wire::MAX_TEXT
            ));
        }
        Ok((controller, request))
    }

    fn message(&self) -> Message<'_> {
        match self {
            Request::Call {
                device,
                number,
                window,
            } => Message::CallNumber {
                device: *device,
                number: *number,
                window: *window,
            },
            Request::Show { device, line, text } => Message::ShowText {
                device: *device,
                line: *line,
                text,
            },
            Request::Print { number, text } => Message::PrintTicket {
                number: *number,
                text,
            },
        }
    }
}

/// Input from a device on a controller (a rating key), for the device layer.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerInput {
    pub controller: String,
    /// The device number on the controller.
    pub unit: u8,
    pub data: serde_json::Value,
}

/// Each controller's link: `Ok` while frames arrive, else why not.
type LinkStates = Arc<Mutex<BTreeMap<String, Result<(), String>>>>;

/// Where a request's outcome goes.
type Answer = oneshot::Sender<Result<(), String>>;

/// A request with where its outcome goes.
#[derive(Debug)]
pub struct Pending {
    pub request: Request,
    pub reply: Answer,
}

/// The running controllers: requests go to them by id.
#[derive(Debug, Clone, Default)]
pub struct Controllers {
    lines: Vec<(String, std_mpsc::Sender<Pending>)>,
    links: LinkStates,
}

impl Controllers {
    /// Starts a thread per controller.
    /// Input from the controllers' devices goes to `inputs`.
    pub fn start(
        specs: &[ControllerSpec],
        sink: EventSink,
        inputs: tokio::sync::mpsc::UnboundedSender<ControllerInput>,
        shutdown: watch::Receiver<bool>,
    ) -> Controllers {
        let runtime = tokio::runtime::Handle::current();
        let links: LinkStates = Arc::default();
        let mut lines = Vec::new();
        for spec in specs {
            let (tx, rx) = std_mpsc::channel();
            lock(&links).insert(spec.id.clone(), Err("not connected yet".into()));
            let (spec2, sink, shutdown, runtime) = (
                spec.clone(),
                sink.clone(),
                shutdown.clone(),
                runtime.clone(),
            );
            let (inputs, links2) = (inputs.clone(), links.clone());
            let started = std::thread::Builder::new()
                .name(format!("controller-{}", spec.id))
                .spawn(move || {
                    Line::new(spec2, sink, runtime, inputs, links2).run(&rx, &shutdown);
                });
            match started {
                Ok(_) => lines.push((spec.id.clone(), tx)),
                Err(e) => tracing::error!(controller = %spec.id, "thread not started: {e}"),
            }
        }
        Controllers { lines, links }
    }

    /// Whether `controller`'s link works, or why not.
    pub fn link(&self, controller: &str) -> Result<(), String> {
        lock(&self.links)
            .get(controller)
            .cloned()
            .unwrap_or_else(|| Err(format!("no controller {controller:?} on this agent")))
    }

    /// Sends `request` to `controller` and waits for its answer.
    pub async fn request(&self, controller: &str, request: Request) -> Result<(), String> {
        let line = self
            .lines
            .iter()
            .find(|(id, _)| id == controller)
            .ok_or_else(|| format!("no controller {controller:?} on this agent"))?;
        let (reply, answer) = oneshot::channel();
        line.1
            .send(Pending { request, reply })
            .map_err(|_| format!("controller {controller} is not running"))?;
        match tokio::time::timeout(ANSWER + Duration::from_secs(1), answer).await {
            Ok(Ok(outcome)) => outcome,
            _ => Err(format!("controller {controller} did not answer")),
        }
    }
}

/// Puts a tty into raw mode with reads that return after 100 ms of quiet.
fn raw_mode(file: &File) -> Result<(), String> {
    let fd = file.as_raw_fd();
    // SAFETY: `termios` is plain data that tcgetattr fills in completely;
    // `fd` is an open descriptor owned by `file` for the whole call.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut t) != 0 {
            return Err(format!(
                "not a terminal: {}",
                std::io::Error::last_os_error()
            ));
        }
        libc::cfmakeraw(&mut t);
        t.c_cc[libc::VMIN] = 0;
        t.c_cc[libc::VTIME] = 1;
        if libc::tcsetattr(fd, libc::TCSANOW, &t) != 0 {
            return Err(format!("raw mode: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// Whether the link works, as last reported upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reported {
    Nothing,
    Online,
    Offline,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One controller's line.
struct Line {
    spec: ControllerSpec,
    sink: EventSink,
    runtime: tokio::runtime::Handle,
    inputs: tokio::sync::mpsc::UnboundedSender<ControllerInput>,
    links: LinkStates,
    seq: u8,
    reported: Reported,
    /// Requests sent and not yet answered.
    waiting: Vec<(u8, Instant, Answer)>,
}

fn level_zh(rating: Rating) -> &'static str {
    match rating {
        Rating::VerySatisfied => "非常满意",
        Rating::Satisfied => "满意",
        Rating::Basic => "基本满意",
        Rating::Dissatisfied => "不满意",
        Rating::VeryDissatisfied => "非常不满意",
    }
}

impl Line {
    fn new(
        spec: ControllerSpec,
        sink: EventSink,
        runtime: tokio::runtime::Handle,
        inputs: tokio::sync::mpsc::UnboundedSender<ControllerInput>,
        links: LinkStates,
    ) -> Line {
        Line {
            spec,
            sink,
            runtime,
            inputs,
            links,
            seq: 0,
            reported: Reported::Nothing,
            waiting: Vec::new(),
        }
    }

    fn emit(&self, kind: &str, data: serde_json::Value) {
        let draft = Draft {
            ts_ms: crate::outbox::now_ms(),
            kind: kind.into(),
            source: "agent".into(),
            subject: Some(self.spec.id.clone()),
            data,
            attachment: None,
        };
        if let Err(e) = self.runtime.block_on(self.sink.emit(vec![draft])) {
            tracing::warn!(controller = %self.spec.id, "event refused: {e}");
        }
    }

    fn offline(&mut self, reason: &str) {
        for (_, _, reply) in self.waiting.drain(..) {
            let _ = reply.send(Err(format!("link down: {reason}")));
        }
        lock(&self.links).insert(self.spec.id.clone(), Err(format!("link down: {reason}")));
        if self.reported != Reported::Offline {
            tracing::warn!(controller = %self.spec.id, "controller offline: {reason}");
            self.reported = Reported::Offline;
            self.emit(
                "alert.peripheral-offline",
                json!({ "controller": self.spec.id, "port": self.spec.port, "reason": reason }),
            );
        }
    }

    fn send(&mut self, file: &mut File, message: Message<'_>) -> Result<u8, String> {
        self.seq = self.seq.wrapping_add(1);
        let mut buf = [0u8; MAX_FRAME];
        let n = encode_frame(
            &Frame {
                seq: self.seq,
                message,
            },
            &mut buf,
        )
        .map_err(|e| format!("{e:?}"))?;
        file.write_all(&buf[..n]).map_err(|e| e.to_string())?;
        Ok(self.seq)
    }

    fn run(mut self, requests: &std_mpsc::Receiver<Pending>, shutdown: &watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            match self.open() {
                Ok(mut file) => {
                    let reason = self.serve(&mut file, requests, shutdown);
                    self.offline(&reason);
                }
                Err(e) => self.offline(&e),
            }
            // Refuse what arrives while the link is down.
            while let Ok(p) = requests.try_recv() {
                let _ = p
                    .reply
                    .send(Err(format!("controller {} is offline", self.spec.id)));
            }
            std::thread::sleep(REOPEN);
        }
    }

    fn open(&mut self) -> Result<File, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
            .open(&self.spec.port)
            .map_err(|e| format!("opening {}: {e}", self.spec.port))?;
        raw_mode(&file)?;
        Ok(file)
    }

    /// Runs the open link until it fails; returns why.
    fn serve(
        &mut self,
        file: &mut File,
        requests: &std_mpsc::Receiver<Pending>,
        shutdown: &watch::Receiver<bool>,
    ) -> String {
        if let Err(e) = self.send(file, Message::Query) {
            return e;
        }
        let mut decoder = Decoder::new();
        let mut last_frame = Instant::now();
        let mut buf = [0u8; 256];
        loop {
            if *shutdown.borrow() {
                return "agent stopping".into();
            }
            while let Ok(p) = requests.try_recv() {
                match self.send(file, p.request.message()) {
                    Ok(seq) => self.waiting.push((seq, Instant::now() + ANSWER, p.reply)),
                    Err(e) => {
                        let _ = p.reply.send(Err(e.clone()));
                        return e;
                    }
                }
            }
            let now = Instant::now();
            let (expired, waiting): (Vec<_>, Vec<_>) =
                self.waiting.drain(..).partition(|(_, at, _)| *at <= now);
            self.waiting = waiting;
            for (_, _, reply) in expired {
                let _ = reply.send(Err("no answer from the controller".into()));
            }
            if last_frame.elapsed() > SILENCE {
                return format!("no frame for {} s", SILENCE.as_secs());
            }
            let n = match file.read(&mut buf) {
                Ok(0) => continue, // quiet for 100 ms (raw mode, VTIME)
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return format!("reading {}: {e}", self.spec.port),
            };
            for &byte in &buf[..n] {
                let Some(Ok(body)) = decoder.push(byte) else {
                    continue;
                };
                let Ok(frame) = Frame::decode(body) else {
                    continue;
                };
                last_frame = Instant::now();
                self.handle(frame.seq, frame.message);
            }
        }
    }

    fn handle(&mut self, seq: u8, message: Message<'_>) {
        if self.reported != Reported::Online {
            self.reported = Reported::Online;
            lock(&self.links).insert(self.spec.id.clone(), Ok(()));
            tracing::info!(controller = %self.spec.id, "controller online");
            self.emit(
                "peripheral.online",
                json!({ "controller": self.spec.id, "port": self.spec.port }),
            );
        }
        match message {
            Message::Rating { device, rating } => {
                self.emit(
                    "peripheral.rating",
                    json!({ "controller": self.spec.id, "device": device,
                            "score": rating.score(), "level": level_zh(rating) }),
                );
                let _ = self.inputs.send(ControllerInput {
                    controller: self.spec.id.clone(),
                    unit: device,
                    data: json!({ "key": rating.score() }),
                });
            }
            Message::DeviceInfo {
                class,
                firmware,
                serial,
            } => tracing::info!(
                controller = %self.spec.id,
                "device {class:?}, firmware {}.{}.{}, serial {serial:08x}",
                firmware[0],
                firmware[1],
                firmware[2]
            ),
            Message::Ack | Message::Error { .. } => {
                if let Some(i) = self.waiting.iter().position(|(s, _, _)| *s == seq) {
                    let (_, _, reply) = self.waiting.swap_remove(i);
                    let outcome = match message {
                        Message::Error { code } => Err(format!("controller refused: {code:?}")),
                        _ => Ok(()),
                    };
                    let _ = reply.send(outcome);
                }
            }
            // Key presses stay here; heartbeats only prove the link.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_commands_parse_into_requests() {
        let (c, r) = Request::from_command(
            "peripheral.call",
            &json!({ "controller": "hub-1", "number": 12, "window": 3 }),
        )
        .unwrap();
        assert_eq!(c, "hub-1");
        assert_eq!(
            r,
            Request::Call {
                device: 0,
                number: 12,
                window: 3
            }
        );
        for (name, args) in [
            ("peripheral.call", json!({ "number": 1, "window": 1 })),
            (
                "peripheral.call",
                json!({ "controller": "h", "number": 70000, "window": 1 }),
            ),
            ("peripheral.show", json!({ "controller": "h" })),
            (
                "peripheral.show",
                json!({ "controller": "h", "text": "号".repeat(40) }),
            ),
            ("peripheral.dance", json!({ "controller": "h" })),
        ] {
            assert!(Request::from_command(name, &args).is_err(), "{name} {args}");
        }
    }

    #[test]
    fn a_regular_file_is_not_a_serial_port() {
        let f = tempfile::tempfile().unwrap();
        assert!(raw_mode(&f).unwrap_err().contains("not a terminal"));
    }
}
