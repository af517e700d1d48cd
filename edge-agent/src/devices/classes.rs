//! The device classes: what each accepts (`check`), how it runs on its
//! transport, and how its simulator behaves. A simulator keeps the same
//! rules as the hardware path (the same checks, the same waiting for a
//! person, the same answers), so a plugin cannot tell them apart.

use std::collections::VecDeque;
use std::path::PathBuf;

use bantong_hall_kit::escpos::{Align, Receipt};
use bantong_hall_kit::id_number::IdNumber;
use bantong_hall_kit::rating::Level;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{DeviceSpec, Driver, DynDriver, Effect, Env, Job, Status, Step, Transport};
use crate::serial::{Controllers, Request};

/// A device class.
pub struct Class {
    pub name: &'static str,
    /// Can hang off a firmware controller.
    pub on_controller: bool,
    /// Can be a device file.
    pub on_file: bool,
    /// How it can be reached, for error messages.
    pub reached_by: &'static str,
    /// Checks a request's op and args before it is accepted.
    pub check: fn(&str, &Value) -> Result<(), String>,
    /// Opens a driver.
    pub open: fn(&DeviceSpec, &Transport, &Env) -> Box<dyn DynDriver>,
}

/// Every class the agent drives.
pub static CLASSES: [Class; 8] = [
    Class {
        name: "rating-keypad",
        on_controller: true,
        on_file: false,
        reached_by: "controller or simulated",
        check: Keypad::check,
        open: Keypad::open,
    },
    Class {
        name: "queue-display",
        on_controller: true,
        on_file: false,
        reached_by: "controller or simulated",
        check: Display::check,
        open: Display::open,
    },
    Class {
        name: "ticket-printer",
        on_controller: true,
        on_file: false,
        reached_by: "controller or simulated",
        check: TicketPrinter::check,
        open: TicketPrinter::open,
    },
    Class {
        name: "receipt-printer",
        on_controller: false,
        on_file: true,
        reached_by: "path or simulated",
        check: ReceiptPrinter::check,
        open: ReceiptPrinter::open,
    },
    Class {
        name: "id-reader",
        on_controller: false,
        on_file: false,
        reached_by: "simulated only in this version",
        check: IdReader::check,
        open: IdReader::open,
    },
    Class {
        name: "fingerprint",
        on_controller: false,
        on_file: false,
        reached_by: "simulated only in this version",
        check: Fingerprint::check,
        open: Fingerprint::open,
    },
    Class {
        name: "scanner",
        on_controller: false,
        on_file: false,
        reached_by: "simulated only in this version",
        check: Scanner::check,
        open: Scanner::open,
    },
    Class {
        name: "pin-pad",
        on_controller: false,
        on_file: false,
        reached_by: "simulated only in this version",
        check: PinPad::check,
        open: PinPad::open,
    },
];

/// The class called `name`.
pub fn find(name: &str) -> Option<&'static Class> {
    CLASSES.iter().find(|c| c.name == name)
}

// ---- argument checks ------------------------------------------------------

fn unknown_op(class: &str, op: &str, known: &[&str]) -> String {
    format!("a {class} has no op {op:?}; it has {}", known.join(", "))
}

/// `args.key` as text of 1..=max bytes.
fn text<'a>(args: &'a Value, key: &str, max: usize) -> Result<&'a str, String> {
    match args.get(key) {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= max => Ok(s),
        Some(Value::String(s)) if s.is_empty() => Err(format!("{key}: must not be empty")),
        Some(Value::String(_)) => Err(format!("{key}: at most {max} bytes of UTF-8")),
        Some(_) => Err(format!("{key}: must be text")),
        None => Err(format!("{key} is required")),
    }
}

fn opt_text<'a>(args: &'a Value, key: &str, max: usize) -> Result<Option<&'a str>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => text(args, key, max).map(Some),
    }
}

fn number(args: &Value, key: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    args.get(key)
        .and_then(Value::as_u64)
        .filter(|n| range.contains(n))
        .ok_or_else(|| format!("{key}: a whole number {}-{}", range.start(), range.end()))
}

fn opt_number(
    args: &Value,
    key: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(_) => number(args, key, range),
    }
}

/// Args must be an object (or absent) with only these keys.
fn only(args: &Value, keys: &[&str]) -> Result<(), String> {
    match args {
        Value::Null => Ok(()),
        Value::Object(map) => match map
            .keys()
            .find(|k| !keys.contains(&k.as_str()) && k.as_str() != "timeout_s")
        {
            Some(k) => Err(format!("unknown argument {k:?}")),
            None => Ok(()),
        },
        _ => Err("args must be a JSON object".into()),
    }
}

/// A ticket number as halls print it: `A012`.
fn ticket_number(args: &Value) -> Result<&str, String> {
    let n = text(args, "number", 8)?;
    if n.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        Ok(n)
    } else {
        Err("number: 1-8 of A-Z 0-9".into())
    }
}

// ---- the controller line ---------------------------------------------------

/// How a keypad, display or ticket printer is reached.
#[derive(Clone)]
enum Line {
    Simulated,
    Controller {
        controllers: Controllers,
        controller: String,
        unit: u8,
    },
}

impl Line {
    fn open(transport: &Transport, env: &Env) -> Line {
        match transport {
            Transport::Controller { controller, unit } => Line::Controller {
                controllers: env.controllers.clone(),
                controller: controller.clone(),
                unit: *unit,
            },
            _ => Line::Simulated,
        }
    }

    async fn show(&self, line: u8, text: &str) -> Result<(), String> {
        match self {
            Line::Simulated => Ok(()),
            Line::Controller {
                controllers,
                controller,
                unit,
            } => {
                controllers
                    .request(
                        controller,
                        Request::Show {
                            device: *unit,
                            line,
                            text: text.to_owned(),
                        },
                    )
                    .await
            }
        }
    }

    fn health(&self) -> (bool, Option<String>) {
        match self {
            Line::Simulated => (true, None),
            Line::Controller {
                controllers,
                controller,
                ..
            } => match controllers.link(controller) {
                Ok(()) => (true, None),
                Err(e) => (false, Some(e)),
            },
        }
    }
}

fn status(line: &Line, state: Value) -> Status {
    let (healthy, detail) = line.health();
    Status {
        healthy,
        detail,
        state,
    }
}

// ---- rating keypad (评价器) --------------------------------------------------

/// A 好差评 keypad: armed with the service it rates (`prompt`), it turns
/// the next key into a `rating` event carrying that context.
struct Keypad {
    line: Line,
    display: String,
    /// What the next rating is about (window, ticket, service item), and
    /// when the keypad was armed.
    armed: Option<(Value, std::time::Instant)>,
}

/// A prompt nobody answered is forgotten after this long, so a later,
/// unrelated rating is not filed against that service.
const ARMED_FOR: std::time::Duration = std::time::Duration::from_secs(300);

const RATE_PROMPT: &str = "请您对本次服务进行评价";
const RATE_THANKS: &str = "感谢您的评价";

impl Keypad {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "prompt" => {
                only(args, &["context", "text"])?;
                if let Some(c) = args.get("context")
                    && !c.is_object()
                {
                    return Err("context: must be a JSON object".into());
                }
                opt_text(args, "text", bantong_wire::MAX_TEXT).map(|_| ())
            }
            "show" => {
                only(args, &["text"])?;
                text(args, "text", bantong_wire::MAX_TEXT).map(|_| ())
            }
            "clear" => only(args, &[]),
            other => Err(unknown_op(
                "rating-keypad",
                other,
                &["prompt", "show", "clear"],
            )),
        }
    }

    fn open(_: &DeviceSpec, transport: &Transport, env: &Env) -> Box<dyn DynDriver> {
        Box::new(Keypad {
            line: Line::open(transport, env),
            display: String::new(),
            armed: None,
        })
    }
}

impl Driver for Keypad {
    async fn start(&mut self, job: &Job, _: &[Job]) -> Step {
        let shown = match job.op.as_str() {
            "prompt" => opt_text(&job.args, "text", bantong_wire::MAX_TEXT)
                .ok()
                .flatten()
                .unwrap_or(RATE_PROMPT),
            "show" => text(&job.args, "text", bantong_wire::MAX_TEXT).unwrap_or_default(),
            _ => "",
        }
        .to_owned();
        if let Err(e) = self.line.show(0, &shown).await {
            return Step::Done(Err(e));
        }
        self.display = shown;
        match job.op.as_str() {
            "prompt" => {
                let context = job.args.get("context").cloned().unwrap_or(json!({}));
                self.armed = Some((context, std::time::Instant::now()));
                Step::Done(Ok(json!({ "armed": true })))
            }
            "clear" => {
                self.armed = None;
                Step::Done(Ok(json!({})))
            }
            _ => Step::Done(Ok(json!({}))),
        }
    }

    fn input(&mut self, input: &Value, _: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        let Some(level) = input
            .get("key")
            .and_then(Value::as_u64)
            .and_then(|k| u8::try_from(k).ok())
            .and_then(Level::from_score)
        else {
            return (Err("input: {\"key\": 1-5}".into()), Vec::new());
        };
        let context = self
            .armed
            .take()
            .filter(|(_, at)| at.elapsed() < ARMED_FOR)
            .map(|(context, _)| context);
        let rating = json!({
            "score": level.score(),
            "level": level.zh(),
            "prompted": context.is_some(),
            "context": context.unwrap_or(Value::Null),
        });
        self.display = RATE_THANKS.into();
        // The thank-you is best effort (the line may be down) and not waited
        // for: input handling stays synchronous.
        let line = self.line.clone();
        tokio::spawn(async move {
            let _ = line.show(0, RATE_THANKS).await;
        });
        (
            Ok(rating.clone()),
            vec![Effect::Emit("rating".into(), rating)],
        )
    }

    fn status(&self) -> Status {
        status(
            &self.line,
            json!({ "display": self.display,
                    "armed": self.armed.as_ref().is_some_and(|(_, at)| at.elapsed() < ARMED_FOR) }),
        )
    }
}

// ---- queue display (叫号屏) --------------------------------------------------

/// Lines a display shows.
const DISPLAY_LINES: usize = 4;

struct Display {
    line: Line,
    lines: Vec<String>,
    /// The latest announcements, newest first.
    calls: VecDeque<String>,
}

impl Display {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "call" => {
                only(args, &["number", "window", "text"])?;
                ticket_number(args)?;
                number(args, "window", 1..=999)?;
                opt_text(args, "text", bantong_wire::MAX_TEXT).map(|_| ())
            }
            "show" => {
                only(args, &["line", "text"])?;
                opt_number(args, "line", 0..=(DISPLAY_LINES as u64 - 1), 0)?;
                text(args, "text", bantong_wire::MAX_TEXT).map(|_| ())
            }
            "clear" => only(args, &[]),
            other => Err(unknown_op(
                "queue-display",
                other,
                &["call", "show", "clear"],
            )),
        }
    }

    fn open(_: &DeviceSpec, transport: &Transport, env: &Env) -> Box<dyn DynDriver> {
        Box::new(Display {
            line: Line::open(transport, env),
            lines: vec![String::new(); DISPLAY_LINES],
            calls: VecDeque::new(),
        })
    }
}

impl Driver for Display {
    async fn start(&mut self, job: &Job, _: &[Job]) -> Step {
        let args = &job.args;
        let (line, shown) = match job.op.as_str() {
            "call" => {
                let number = ticket_number(args).unwrap_or_default();
                let window = number_or_zero(args, "window");
                let text = opt_text(args, "text", bantong_wire::MAX_TEXT)
                    .ok()
                    .flatten()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("请{number}号到{window}号窗口"));
                (0, text)
            }
            "show" => (
                number_or_zero(args, "line") as usize,
                text(args, "text", bantong_wire::MAX_TEXT)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            _ => (0, String::new()),
        };
        if job.op == "clear" {
            for l in 0..DISPLAY_LINES {
                if let Err(e) = self.line.show(l as u8, "").await {
                    return Step::Done(Err(e));
                }
            }
            self.lines.iter_mut().for_each(String::clear);
            return Step::Done(Ok(json!({})));
        }
        if let Err(e) = self.line.show(line as u8, &shown).await {
            return Step::Done(Err(e));
        }
        if let Some(slot) = self.lines.get_mut(line) {
            slot.clone_from(&shown);
        }
        if job.op == "call" {
            self.calls.push_front(shown.clone());
            self.calls.truncate(10);
        }
        Step::Done(Ok(json!({ "shown": shown })))
    }

    fn input(&mut self, _: &Value, _: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        (Err("a display takes no input".into()), Vec::new())
    }

    fn status(&self) -> Status {
        status(
            &self.line,
            json!({ "lines": self.lines, "calls": self.calls }),
        )
    }
}

fn number_or_zero(args: &Value, key: &str) -> u64 {
    args.get(key).and_then(Value::as_u64).unwrap_or(0)
}

// ---- ticket printer (取号机) -------------------------------------------------

struct TicketPrinter {
    line: Line,
    printed: VecDeque<Value>,
    paper: bool,
}

impl TicketPrinter {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "print" => {
                only(args, &["number", "text"])?;
                let number = ticket_number(args)?;
                let text = text(args, "text", bantong_wire::MAX_TEXT)?;
                if number.len() + 1 + text.len() > bantong_wire::MAX_TEXT {
                    return Err(format!(
                        "number and text together: at most {} bytes",
                        bantong_wire::MAX_TEXT - 1
                    ));
                }
                Ok(())
            }
            other => Err(unknown_op("ticket-printer", other, &["print"])),
        }
    }

    fn open(_: &DeviceSpec, transport: &Transport, env: &Env) -> Box<dyn DynDriver> {
        Box::new(TicketPrinter {
            line: Line::open(transport, env),
            printed: VecDeque::new(),
            paper: true,
        })
    }
}

impl Driver for TicketPrinter {
    async fn start(&mut self, job: &Job, _: &[Job]) -> Step {
        if !self.paper {
            return Step::Done(Err("缺纸 (out of paper)".into()));
        }
        let number = ticket_number(&job.args).unwrap_or_default().to_owned();
        let text = text(&job.args, "text", bantong_wire::MAX_TEXT).unwrap_or_default();
        // The wire carries the numeric part; the full number leads the text.
        let numeric = number
            .trim_start_matches(|c: char| c.is_ascii_uppercase())
            .parse::<u16>()
            .unwrap_or(0);
        let outcome = match &self.line {
            Line::Simulated => Ok(()),
            Line::Controller {
                controllers,
                controller,
                ..
            } => {
                controllers
                    .request(
                        controller,
                        Request::Print {
                            number: numeric,
                            text: format!("{number} {text}"),
                        },
                    )
                    .await
            }
        };
        if let Err(e) = outcome {
            return Step::Done(Err(e));
        }
        self.printed
            .push_front(json!({ "number": number, "text": text }));
        self.printed.truncate(10);
        Step::Done(Ok(json!({ "printed": number })))
    }

    fn input(&mut self, input: &Value, _: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        paper_input(input, &mut self.paper)
    }

    fn status(&self) -> Status {
        let mut s = status(
            &self.line,
            json!({ "printed": self.printed, "paper": self.paper }),
        );
        if !self.paper {
            s.healthy = false;
            s.detail = Some("缺纸 (out of paper)".into());
        }
        s
    }
}

/// `{"paper": "out" | "ok"}`: a simulated printer runs out of paper or is refilled.
fn paper_input(input: &Value, paper: &mut bool) -> (Result<Value, String>, Vec<Effect>) {
    match input.get("paper").and_then(Value::as_str) {
        Some("out") => *paper = false,
        Some("ok") => *paper = true,
        _ => {
            return (
                Err("input: {\"paper\": \"out\" | \"ok\"}".into()),
                Vec::new(),
            );
        }
    }
    (Ok(json!({ "paper": *paper })), Vec::new())
}

// ---- receipt printer (凭条打印机, ESC/POS) ----------------------------------

enum ReceiptOut {
    /// Decodes what it would print and keeps the latest receipts.
    Simulated { receipts: VecDeque<Vec<String>> },
    /// Raw ESC/POS to a device file (`/dev/usb/lp0`).
    File(PathBuf),
}

struct ReceiptPrinter {
    out: ReceiptOut,
    columns: usize,
    paper: bool,
    last_error: Option<String>,
    printed: u64,
}

const RECEIPT_LINES: usize = 60;

impl ReceiptPrinter {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "print" => {
                only(args, &["title", "lines", "qr", "cut"])?;
                opt_text(args, "title", 64)?;
                opt_text(args, "qr", 256)?;
                let lines = args
                    .get("lines")
                    .and_then(Value::as_array)
                    .ok_or("lines: a list of text lines is required")?;
                if lines.is_empty() || lines.len() > RECEIPT_LINES {
                    return Err(format!("lines: 1-{RECEIPT_LINES} lines"));
                }
                for (i, line) in lines.iter().enumerate() {
                    let ok = match line {
                        Value::String(s) => s.len() <= 512,
                        Value::Object(_) => {
                            only(line, &["text", "align", "bold"])
                                .map_err(|e| format!("lines[{i}]: {e}"))?;
                            text(line, "text", 512).map_err(|e| format!("lines[{i}].{e}"))?;
                            matches!(
                                line.get("align").and_then(Value::as_str),
                                None | Some("left" | "center" | "right")
                            )
                        }
                        _ => false,
                    };
                    if !ok {
                        return Err(format!(
                            "lines[{i}]: text of at most 512 bytes, or {{text, align: left|center|right, bold}}"
                        ));
                    }
                }
                Ok(())
            }
            other => Err(unknown_op("receipt-printer", other, &["print"])),
        }
    }

    fn open(spec: &DeviceSpec, transport: &Transport, _: &Env) -> Box<dyn DynDriver> {
        let columns = spec
            .options
            .get("columns")
            .and_then(Value::as_u64)
            .map_or(32, |c| c.clamp(16, 64) as usize);
        Box::new(ReceiptPrinter {
            out: match transport {
                Transport::File(path) => ReceiptOut::File(path.clone()),
                _ => ReceiptOut::Simulated {
                    receipts: VecDeque::new(),
                },
            },
            columns,
            paper: true,
            last_error: None,
            printed: 0,
        })
    }

    /// The ESC/POS bytes of a checked `print` request.
    fn render(&self, args: &Value) -> Vec<u8> {
        let mut r = Receipt::new().columns(self.columns);
        if let Ok(Some(title)) = opt_text(args, "title", 64) {
            r = r
                .align(Align::Center)
                .bold(true)
                // Double height only: a hall's name still fits one line.
                .size(1, 2)
                .line(title)
                .size(1, 1)
                .bold(false)
                .align(Align::Left);
        }
        for line in args
            .get("lines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match line {
                Value::String(s) => r = r.line(s),
                other => {
                    let align = match other.get("align").and_then(Value::as_str) {
                        Some("center") => Align::Center,
                        Some("right") => Align::Right,
                        _ => Align::Left,
                    };
                    let bold = other.get("bold").and_then(Value::as_bool).unwrap_or(false);
                    let text = other
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    r = r
                        .align(align)
                        .bold(bold)
                        .line(text)
                        .bold(false)
                        .align(Align::Left);
                }
            }
        }
        if let Ok(Some(qr)) = opt_text(args, "qr", 256) {
            r = r.align(Align::Center).qr(qr).align(Align::Left);
        }
        r = r.feed(3);
        if args.get("cut").and_then(Value::as_bool).unwrap_or(true) {
            r = r.cut();
        }
        r.to_bytes()
    }
}

impl Driver for ReceiptPrinter {
    async fn start(&mut self, job: &Job, _: &[Job]) -> Step {
        if !self.paper {
            return Step::Done(Err("缺纸 (out of paper)".into()));
        }
        let bytes = self.render(&job.args);
        let outcome = match &mut self.out {
            ReceiptOut::Simulated { receipts } => match bantong_hall_kit::escpos::decode(&bytes) {
                Ok(decoded) => {
                    receipts.push_front(decoded.lines.into_iter().map(|l| l.text).collect());
                    receipts.truncate(5);
                    Ok(())
                }
                Err(e) => Err(format!("the receipt did not decode: {e}")),
            },
            ReceiptOut::File(path) => write_device(path, &bytes),
        };
        self.last_error = outcome.as_ref().err().cloned();
        match outcome {
            Ok(()) => {
                self.printed += 1;
                Step::Done(Ok(json!({ "bytes": bytes.len() })))
            }
            Err(e) => Step::Done(Err(e)),
        }
    }

    fn input(&mut self, input: &Value, _: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        paper_input(input, &mut self.paper)
    }

    fn status(&self) -> Status {
        let mut state = json!({ "paper": self.paper, "printed": self.printed });
        if let ReceiptOut::Simulated { receipts } = &self.out {
            state["receipts"] = json!(receipts);
        }
        let detail = if !self.paper {
            Some("缺纸 (out of paper)".to_owned())
        } else if let ReceiptOut::File(path) = &self.out
            && !path.exists()
        {
            Some(format!("{} is missing", path.display()))
        } else {
            self.last_error.clone()
        };
        Status {
            healthy: detail.is_none(),
            detail,
            state,
        }
    }
}

/// Writes a print job to a printer device file in one go.
fn write_device(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| format!("opening {}: {e}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

// ---- ID-card reader (身份证阅读器) -------------------------------------------

/// The text fields of a second-generation ID card (the photo is never read).
#[derive(Clone)]
struct Card {
    fields: Value,
}

struct IdReader {
    card: Option<Card>,
    reads: u64,
}

impl IdReader {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "read" => only(args, &[]),
            other => Err(unknown_op("id-reader", other, &["read"])),
        }
    }

    fn open(_: &DeviceSpec, _: &Transport, _: &Env) -> Box<dyn DynDriver> {
        Box::new(IdReader {
            card: None,
            reads: 0,
        })
    }

    /// A card as the reader hands it over: checked, with age and a masked
    /// number added for convenience.
    fn card(input: &Value) -> Result<Card, String> {
        only(
            input,
            &[
                "name",
                "sex",
                "nation",
                "address",
                "id_number",
                "issuer",
                "valid_from",
                "valid_to",
            ],
        )?;
        let name = text(input, "name", 90)?;
        let id = IdNumber::parse(text(input, "id_number", 18)?)
            .map_err(|e| format!("id_number: {e}"))?;
        let (y, m, d) = bantong_hall_kit::time::local_date(crate::outbox::now_ms());
        let y = u16::try_from(y).unwrap_or(u16::MAX);
        let mut fields = input.clone();
        fields["name"] = json!(name);
        fields["id_number"] = json!(id.as_str());
        fields["masked_id"] = json!(id.masked());
        fields["age"] = json!(id.age_on(y, m, d));
        let (by, bm, bd) = id.birth_date();
        fields["birth"] = json!(format!("{by:04}-{bm:02}-{bd:02}"));
        Ok(Card { fields })
    }
}

impl Driver for IdReader {
    async fn start(&mut self, _: &Job, _: &[Job]) -> Step {
        match &self.card {
            Some(card) => {
                self.reads += 1;
                Step::Done(Ok(card.fields.clone()))
            }
            None => Step::Wait,
        }
    }

    fn input(&mut self, input: &Value, waiting: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        if input.get("remove").is_some() {
            let had = self.card.take().is_some();
            let effects = if had {
                vec![Effect::Emit("card-removed".into(), json!({}))]
            } else {
                Vec::new()
            };
            return (Ok(json!({ "removed": had })), effects);
        }
        let Some(placed) = input.get("card") else {
            return (
                Err("input: {\"card\": {name, id_number, …}} or {\"remove\": true}".into()),
                Vec::new(),
            );
        };
        let card = match IdReader::card(placed) {
            Ok(c) => c,
            // The reader could not read it: nothing changes.
            Err(e) => return (Err(format!("unreadable card: {e}")), Vec::new()),
        };
        let fields = card.fields.clone();
        self.card = Some(card);
        self.reads += 1;
        // A pending read gets the card; otherwise every plugin hears of it.
        let effect = match waiting.first() {
            Some(job) => Effect::Finish(job.id, Ok(fields)),
            None => Effect::Emit("card".into(), fields),
        };
        (Ok(json!({ "placed": true })), vec![effect])
    }

    fn status(&self) -> Status {
        Status {
            healthy: true,
            detail: None,
            state: json!({ "card_present": self.card.is_some(), "reads": self.reads }),
        }
    }
}

// ---- fingerprint reader (指纹仪) ---------------------------------------------

/// Templates are kept in the agent's data directory, named by a random
/// handle; plugins and the host only ever see handles and scores.
struct Fingerprint {
    dir: PathBuf,
    captures: u64,
}

/// Template bytes of the simulator.
const TEMPLATE: usize = 64;
/// Least score that counts as the same finger.
const MATCH_SCORE: u64 = 80;

impl Fingerprint {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "enroll" => only(args, &[]),
            "verify" | "delete" => {
                only(args, &["handle"])?;
                handle(args).map(|_| ())
            }
            other => Err(unknown_op(
                "fingerprint",
                other,
                &["enroll", "verify", "delete"],
            )),
        }
    }

    fn open(spec: &DeviceSpec, _: &Transport, env: &Env) -> Box<dyn DynDriver> {
        Box::new(Fingerprint {
            dir: env
                .data_dir
                .join("devices")
                .join(&spec.id)
                .join("templates"),
            captures: 0,
        })
    }

    /// What the simulated sensor reads for `finger`: the finger's own
    /// pattern with a few bits of capture noise.
    fn capture(&mut self, finger: &str) -> [u8; TEMPLATE] {
        self.captures += 1;
        let a = Sha256::digest(finger.as_bytes());
        let b = Sha256::digest(a);
        let noise = Sha256::digest(format!("{finger}/{}", self.captures));
        let mut t = [0u8; TEMPLATE];
        t[..32].copy_from_slice(&a);
        t[32..].copy_from_slice(&b);
        for (i, n) in noise.iter().enumerate() {
            if *n < 40 {
                t[i * 2] ^= 1 << (n % 8);
            }
        }
        t
    }

    fn path(&self, handle: &str) -> PathBuf {
        self.dir.join(handle)
    }
}

/// A template handle: 32 lowercase hex digits (never a path).
fn handle(args: &Value) -> Result<&str, String> {
    let h = text(args, "handle", 32)?;
    if h.len() == 32
        && h.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(h)
    } else {
        Err("handle: 32 hex digits, as enroll returned it".into())
    }
}

/// Similarity of two templates, 0-100.
pub(super) fn score(a: &[u8], b: &[u8]) -> u64 {
    if a.len() != b.len() || a.is_empty() {
        return 0;
    }
    let differing: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from((x ^ y).count_ones()))
        .sum();
    let bits = a.len() as u64 * 8;
    // Unrelated templates differ in about half their bits: score 0.
    (100 * bits.saturating_sub(2 * differing)) / bits
}

impl Driver for Fingerprint {
    async fn start(&mut self, job: &Job, _: &[Job]) -> Step {
        match job.op.as_str() {
            "delete" => {
                let Ok(h) = handle(&job.args) else {
                    return Step::Done(Err("handle".into()));
                };
                let removed = std::fs::remove_file(self.path(h)).is_ok();
                Step::Done(Ok(json!({ "deleted": removed })))
            }
            "verify" => {
                let exists = handle(&job.args).is_ok_and(|h| self.path(h).exists());
                if exists {
                    Step::Wait
                } else {
                    Step::Done(Err("no template with that handle".into()))
                }
            }
            _ => Step::Wait,
        }
    }

    fn input(&mut self, input: &Value, waiting: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        let Some(finger) = input.get("finger").and_then(Value::as_str) else {
            return (
                Err("input: {\"finger\": \"<which finger>\"}".into()),
                Vec::new(),
            );
        };
        let Some(job) = waiting.first() else {
            return (Ok(json!({ "captured": false })), Vec::new());
        };
        let template = self.capture(finger);
        let result = match job.op.as_str() {
            "enroll" => {
                let h = uuid::Uuid::new_v4().simple().to_string();
                std::fs::create_dir_all(&self.dir)
                    .and_then(|()| std::fs::write(self.path(&h), template))
                    .map(|()| json!({ "handle": h, "quality": 90 }))
                    .map_err(|e| format!("keeping the template: {e}"))
            }
            _ => {
                let stored = handle(&job.args)
                    .ok()
                    .and_then(|h| std::fs::read(self.path(h)).ok())
                    .unwrap_or_default();
                let s = score(&stored, &template);
                Ok(json!({ "matched": s >= MATCH_SCORE, "score": s }))
            }
        };
        (
            Ok(json!({ "captured": true })),
            vec![Effect::Finish(job.id, result)],
        )
    }

    fn status(&self) -> Status {
        let templates = std::fs::read_dir(&self.dir).map_or(0, |d| d.count());
        Status {
            healthy: true,
            detail: None,
            state: json!({ "templates": templates }),
        }
    }
}

// ---- document scanner (高拍仪) -----------------------------------------------

/// Scans stay on the agent's disk; a plugin gets a reference and a digest.
struct Scanner {
    dir: PathBuf,
    document: Option<String>,
    scans: u64,
}

impl Scanner {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "scan" => only(args, &[]),
            other => Err(unknown_op("scanner", other, &["scan"])),
        }
    }

    fn open(spec: &DeviceSpec, _: &Transport, env: &Env) -> Box<dyn DynDriver> {
        Box::new(Scanner {
            dir: env.data_dir.join("devices").join(&spec.id).join("scans"),
            document: None,
            scans: 0,
        })
    }

    /// Renders the page on the glass (A4 at 50 dpi) and keeps it as JPEG.
    fn scan(&mut self, document: &str) -> Result<Value, String> {
        let (w, h) = (413u32, 584u32);
        let seed = Sha256::digest(document.as_bytes());
        let mut data = vec![235u8; (w * h) as usize];
        // Dark "text lines" whose lengths depend on the document.
        for (row, s) in seed.iter().enumerate() {
            let top = 60 + row as u32 * 15;
            if top + 6 >= h - 40 {
                break;
            }
            let len = 120 + u32::from(*s);
            for y in top..top + 6 {
                for x in 40..(40 + len).min(w - 40) {
                    data[(y * w + x) as usize] = 40;
                }
            }
        }
        let frame = bantong_runtime::vision::Frame {
            camera: "scanner".into(),
            seq: self.scans,
            ts_ms: crate::outbox::now_ms(),
            width: w,
            height: h,
            format: bantong_runtime::vision::PixelFormat::Gray,
            data,
        };
        let jpeg = crate::camera::jpeg(&frame)?;
        self.scans += 1;
        let name = format!("{}.jpg", self.scans);
        std::fs::create_dir_all(&self.dir)
            .and_then(|()| std::fs::write(self.dir.join(&name), &jpeg))
            .map_err(|e| format!("keeping the scan: {e}"))?;
        Ok(json!({
            "scan": name,
            "width": w,
            "height": h,
            "bytes": jpeg.len(),
            "sha256": hex::encode(Sha256::digest(&jpeg)),
        }))
    }
}

impl Driver for Scanner {
    async fn start(&mut self, _: &Job, _: &[Job]) -> Step {
        match self.document.clone() {
            Some(doc) => Step::Done(self.scan(&doc)),
            None => Step::Wait,
        }
    }

    fn input(&mut self, input: &Value, waiting: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        if input.get("remove").is_some() {
            self.document = None;
            return (Ok(json!({ "removed": true })), Vec::new());
        }
        let Some(doc) = input.get("document").and_then(Value::as_str) else {
            return (
                Err("input: {\"document\": \"<label>\"} or {\"remove\": true}".into()),
                Vec::new(),
            );
        };
        self.document = Some(doc.to_owned());
        let effects = waiting
            .first()
            .map(|job| Effect::Finish(job.id, self.scan(doc)))
            .into_iter()
            .collect();
        (Ok(json!({ "placed": true })), effects)
    }

    fn status(&self) -> Status {
        Status {
            healthy: true,
            detail: None,
            state: json!({ "document": self.document.is_some(), "scans": self.scans }),
        }
    }
}

// ---- PIN pad (密码键盘) -------------------------------------------------------

/// The digits never leave this driver: a request answers with their count
/// and an HMAC-SHA-256 under the agent's secret, enough to compare with a
/// digest enrolled the same way.
struct PinPad {
    device: String,
    secret: std::sync::Arc<[u8; 32]>,
    entered: u64,
}

impl PinPad {
    fn check(op: &str, args: &Value) -> Result<(), String> {
        match op {
            "read-pin" => {
                only(args, &["min", "max"])?;
                let min = opt_number(args, "min", 4..=12, 6)?;
                let max = opt_number(args, "max", 4..=12, min)?;
                if max < min {
                    return Err("max: at least min".into());
                }
                Ok(())
            }
            other => Err(unknown_op("pin-pad", other, &["read-pin"])),
        }
    }

    fn open(spec: &DeviceSpec, _: &Transport, env: &Env) -> Box<dyn DynDriver> {
        Box::new(PinPad {
            device: spec.id.clone(),
            secret: env.secret.clone(),
            entered: 0,
        })
    }

    fn digest(&self, pin: &str) -> String {
        hex::encode(hmac_sha256(
            self.secret.as_slice(),
            format!("{}\0{pin}", self.device).as_bytes(),
        ))
    }
}

/// HMAC-SHA-256 (RFC 2104).
pub(super) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    // Any key length is valid for HMAC, so this cannot fail.
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

impl Driver for PinPad {
    async fn start(&mut self, _: &Job, _: &[Job]) -> Step {
        Step::Wait
    }

    fn input(&mut self, input: &Value, waiting: &[Job]) -> (Result<Value, String>, Vec<Effect>) {
        let Some(keys) = input.get("keys").and_then(Value::as_str) else {
            return (Err("input: {\"keys\": \"123456#\"}".into()), Vec::new());
        };
        let Some(job) = waiting.first() else {
            return (Err("no PIN is being asked for".into()), Vec::new());
        };
        let min = opt_number(&job.args, "min", 4..=12, 6).unwrap_or(6) as usize;
        let max = opt_number(&job.args, "max", 4..=12, min as u64).unwrap_or(min as u64) as usize;
        let mut pin = String::new();
        let mut outcome = None;
        for key in keys.chars() {
            match key {
                '0'..='9' if pin.len() < max => pin.push(key),
                '0'..='9' => {}
                '#' => {
                    outcome = Some(if pin.len() >= min {
                        Ok(json!({ "length": pin.len(), "digest": self.digest(&pin) }))
                    } else {
                        Err(format!(
                            "the PIN has {} digits; at least {min} are needed",
                            pin.len()
                        ))
                    });
                    break;
                }
                '*' => {
                    outcome = Some(Err("cancelled on the keypad".into()));
                    break;
                }
                _ => {}
            }
        }
        pin.clear();
        match outcome {
            Some(result) => {
                self.entered += 1;
                (
                    Ok(json!({ "entered": true })),
                    vec![Effect::Finish(job.id, result)],
                )
            }
            None => (Err("the keys did not end with # or *".into()), Vec::new()),
        }
    }

    fn status(&self) -> Status {
        Status {
            healthy: true,
            detail: None,
            state: json!({ "entered": self.entered }),
        }
    }
}
