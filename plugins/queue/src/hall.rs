//! The queue plugin's behaviour in a hall: commands from window staff and
//! the ticket screen, device events (an ID card read), and what follows
//! (print the ticket, show the call, arm the window's rating keypad, tell
//! the host). Pure: it returns [`Action`]s that the wasm glue carries out,
//! so the same code is tested natively.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::queue::{Config as Layout, MissOutcome, Queue, QueueError, Source, Ticket};

/// The plugin's config: the window layout and the hall's devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Windows, categories and calling rules ([`crate::queue::Config`]).
    pub layout: Layout,
    #[serde(default)]
    pub devices: Devices,
    /// A card placed on the reader with no ticket screen open takes a
    /// ticket in this category (e.g. the comprehensive window's).
    #[serde(default)]
    pub card_category: Option<String>,
    /// Seconds between `queue.summary` events (0: none).
    #[serde(default = "sixty")]
    pub summary_every_s: u32,
}

fn sixty() -> u32 {
    60
}

/// The devices the queue drives, by device id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Devices {
    pub reader: Option<String>,
    pub printer: Option<String>,
    pub display: Option<String>,
    /// Window number → its rating keypad.
    pub keypads: BTreeMap<u16, String>,
}

/// Why a device request was made, to know what its answer means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// An ID-card read for a ticket in this category.
    CardFor(String),
    /// Printing, display, keypad prompt: only failures matter.
    Output,
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Submit {
        device: String,
        op: &'static str,
        args: Value,
        purpose: Purpose,
    },
    Send {
        kind: &'static str,
        subject: Option<String>,
        data: Value,
    },
}

/// The hall's queue with its devices.
#[derive(Debug)]
pub struct Hall {
    queue: Queue,
    /// The catalogue version the queue's names come from (0: none yet).
    catalogue: u64,
    config: Config,
    /// Outstanding requests by id.
    pending: BTreeMap<u64, Purpose>,
    last_summary: i64,
}

type Reply = Result<(Value, Vec<Action>), String>;

fn window(args: &Value) -> Result<u16, String> {
    args.get("window")
        .and_then(Value::as_u64)
        .and_then(|w| u16::try_from(w).ok())
        .ok_or_else(|| "args.window: a window number is required".to_owned())
}

fn text<'a>(args: &'a Value, key: &str) -> Result<&'a str, String> {
    args.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("args.{key} is required"))
}

fn err(e: QueueError) -> String {
    e.to_string()
}

impl Hall {
    /// Parses and checks the config.
    pub fn new(config: &str) -> Result<Hall, String> {
        let config: Config =
            serde_json::from_str(config).map_err(|e| format!("queue config: {e}"))?;
        config
            .layout
            .validate()
            .map_err(|e| format!("queue config: layout: {e}"))?;
        if let Some(c) = &config.card_category
            && !config.layout.categories().iter().any(|k| &k.id == c)
        {
            return Err(format!(
                "queue config: card_category {c:?} is not a category"
            ));
        }
        for no in config.devices.keypads.keys() {
            if !config.layout.windows.iter().any(|w| w.no == *no) {
                return Err(format!("queue config: devices.keypads: no window {no}"));
            }
        }
        Ok(Hall {
            queue: Queue::new(config.layout.clone()),
            catalogue: 0,
            config,
            pending: BTreeMap::new(),
            last_summary: 0,
        })
    }

    /// The queue itself (read-only).
    /// Takes category names and item placement from a catalogue version
    /// (see [`Queue::use_catalogue`]).
    pub fn use_catalogue(
        &mut self,
        version: u64,
        catalogue: &bantong_hall_kit::catalogue::Catalogue,
    ) {
        self.queue.use_catalogue(catalogue);
        self.catalogue = version;
    }

    /// The catalogue version in use (0: none yet).
    pub fn catalogue_version(&self) -> u64 {
        self.catalogue
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// Records the id of a request the glue submitted.
    pub fn submitted(&mut self, request: u64, purpose: Purpose) {
        self.pending.insert(request, purpose);
    }

    /// A command from the ticket screen or a window's terminal.
    pub fn command(&mut self, name: &str, args: &Value, now: i64) -> Reply {
        match name {
            "ticket" => self.ticket(args, now),
            "call" => {
                let w = window(args)?;
                match self.queue.call_next(w, now).map_err(err)? {
                    Some(call) => {
                        let actions = self.announce(&call.number, w, &call.announcement, &call);
                        Ok((json!(call), actions))
                    }
                    None => Ok((json!({ "called": null, "window": w }), Vec::new())),
                }
            }
            "recall" => {
                let w = window(args)?;
                let call = self.queue.recall(w, now).map_err(err)?;
                let actions = self.announce(&call.number, w, &call.announcement, &call);
                Ok((json!(call), actions))
            }
            "start" => {
                let t = self.queue.start(window(args)?, now).map_err(err)?;
                let event = send("queue.start", Some(&t.number), ticket_event(&t));
                Ok((json!(t), vec![event]))
            }
            "missed" => {
                let outcome = self.queue.missed(window(args)?, now).map_err(err)?;
                let number = match &outcome {
                    MissOutcome::Requeued { number, .. } | MissOutcome::Dropped { number, .. } => {
                        number.clone()
                    }
                };
                let event = send("queue.missed", Some(&number), json!(outcome));
                Ok((json!(outcome), vec![event]))
            }
            "finish" => {
                let case_no = args.get("case_no").and_then(Value::as_str);
                self.finish(window(args)?, case_no, now)
            }
            // 窗口签到 / 签退: who serves at a window, carried by its calls,
            // finished services and the ratings of them.
            "sign_in" => {
                let w = window(args)?;
                let staff = text(args, "staff")?;
                let left = self.queue.sign_in(w, staff).map_err(err)?;
                let event = send(
                    "queue.sign-in",
                    Some(&format!("window-{w}")),
                    json!({ "window": w, "staff": staff, "left_window": left }),
                );
                Ok((
                    json!({ "window": w, "staff": staff, "left_window": left }),
                    vec![event],
                ))
            }
            "sign_out" => {
                let w = window(args)?;
                let staff = self.queue.sign_out(w).map_err(err)?;
                let event = send(
                    "queue.sign-out",
                    Some(&format!("window-{w}")),
                    json!({ "window": w, "staff": staff }),
                );
                Ok((json!({ "window": w, "staff": staff }), vec![event]))
            }
            "transfer" => {
                let t = self
                    .queue
                    .transfer(window(args)?, text(args, "category")?, now)
                    .map_err(err)?;
                let event = send("queue.transfer", Some(&t.number), ticket_event(&t));
                Ok((json!(t), vec![event]))
            }
            "cancel" => {
                let t = self.queue.cancel(text(args, "number")?, now).map_err(err)?;
                let event = send("queue.cancel", Some(&t.number), ticket_event(&t));
                Ok((json!(t), vec![event]))
            }
            "pause" => {
                let w = window(args)?;
                self.queue.pause(w).map_err(err)?;
                Ok((json!({ "window": w, "paused": true }), Vec::new()))
            }
            "resume" => {
                let w = window(args)?;
                self.queue.resume(w).map_err(err)?;
                Ok((json!({ "window": w, "paused": false }), Vec::new()))
            }
            "snapshot" => Ok((json!(self.queue.snapshot(now)), Vec::new())),
            other => Err(format!("unknown command {other:?}")),
        }
    }

    /// `ticket {category | item, appointment? | by_card?}`: an appointment
    /// or walk-in ticket at once; `by_card` waits for the ID card. `item`
    /// (a 事项编码) queues the ticket in the item's category from the
    /// district catalogue.
    fn ticket(&mut self, args: &Value, now: i64) -> Reply {
        let category = match args.get("item").and_then(Value::as_str) {
            Some(code) => self
                .queue
                .category_of_item(code)
                .ok_or_else(|| {
                    format!("事项 {code:?} 不在本厅的事项库中 / item {code:?} is not queued in this hall")
                })?
                .to_owned(),
            None => text(args, "category")?.to_owned(),
        };
        if !self.queue.categories().iter().any(|c| c.id == category) {
            return Err(err(QueueError::UnknownCategory { category }));
        }
        if args.get("by_card").and_then(Value::as_bool) == Some(true) {
            let reader = self
                .config
                .devices
                .reader
                .clone()
                .ok_or("no ID-card reader is configured (devices.reader)")?;
            let action = Action::Submit {
                device: reader,
                op: "read",
                args: json!({ "timeout_s": 60 }),
                purpose: Purpose::CardFor(category.clone()),
            };
            let reply =
                json!({ "pending": true, "category": category, "prompt": "请将身份证放在读卡区" });
            return Ok((reply, vec![action]));
        }
        let source = match args.get("appointment").and_then(Value::as_str) {
            Some(code) => Source::Appointment {
                code: code.to_owned(),
            },
            None => Source::WalkIn,
        };
        self.issue(&category, source, now)
    }

    fn issue(&mut self, category: &str, source: Source, now: i64) -> Reply {
        let ticket = self.queue.issue(category, source, now).map_err(err)?;
        let ahead = self
            .queue
            .waiting(&ticket.category)
            .iter()
            .take_while(|t| t.number != ticket.number)
            .count();
        let name = self
            .queue
            .categories()
            .into_iter()
            .find(|c| c.id == ticket.category)
            .map(|c| c.name_zh.clone())
            .unwrap_or_default();
        let mut actions = Vec::new();
        if let Some(printer) = &self.config.devices.printer {
            actions.push(Action::Submit {
                device: printer.clone(),
                op: "print",
                args: json!({ "number": ticket.number, "text": format!("{name} 前面还有{ahead}人") }),
                purpose: Purpose::Output,
            });
        }
        let mut data = ticket_event(&ticket);
        data["ahead"] = json!(ahead);
        actions.push(send("queue.ticket", Some(&ticket.number), data));
        let mut reply = json!(ticket);
        reply["ahead"] = json!(ahead);
        Ok((reply, actions))
    }

    /// Shows a call on the display and tells the host.
    fn announce(
        &self,
        number: &str,
        window: u16,
        announcement: &str,
        call: &crate::queue::Call,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Some(display) = &self.config.devices.display {
            actions.push(Action::Submit {
                device: display.clone(),
                op: "call",
                args: json!({ "number": number, "window": window, "text": announcement }),
                purpose: Purpose::Output,
            });
        }
        actions.push(send("queue.call", Some(number), json!(call)));
        actions
    }

    /// Service done: arm the window's keypad with what was served (一次一评:
    /// the rating is tied to this ticket, case and staff member).
    fn finish(&mut self, window: u16, case_no: Option<&str>, now: i64) -> Reply {
        let done = self.queue.finish_case(window, case_no, now).map_err(err)?;
        let mut actions = Vec::new();
        if let Some(keypad) = self.config.devices.keypads.get(&window) {
            actions.push(Action::Submit {
                device: keypad.clone(),
                op: "prompt",
                args: json!({ "context": {
                    "window": window,
                    "ticket": done.number,
                    "case_no": done.case_no,
                    "staff": done.staff,
                    "item": done.service_item,
                    "masked_id": done.masked_id,
                    "wait_s": done.wait_ms / 1000,
                    "service_s": done.service_ms / 1000,
                } }),
                purpose: Purpose::Output,
            });
        }
        actions.push(send("queue.finished", Some(&done.number), json!(done)));
        Ok((json!(done), actions))
    }

    /// A device event: a card for a waiting ticket screen, or a card placed
    /// on the queue's own reader with nothing waiting (`card_category`).
    pub fn device(
        &mut self,
        device: &str,
        kind: &str,
        request: Option<u64>,
        data: &Value,
        now: i64,
    ) -> Result<Vec<Action>, String> {
        let purpose = request.and_then(|r| {
            if matches!(kind, "result" | "failed" | "cancelled") {
                self.pending.remove(&r)
            } else {
                None
            }
        });
        match (kind, purpose) {
            ("result", Some(Purpose::CardFor(category))) => self.card(&category, data, now),
            ("failed", Some(purpose)) => Ok(vec![send(
                "queue.device-failed",
                None,
                json!({ "purpose": match purpose { Purpose::CardFor(_) => "card", Purpose::Output => "output" },
                        "error": data.get("error") }),
            )]),
            // Cards on other readers (the kiosk's) are not the queue's.
            ("card", None) if self.config.devices.reader.as_deref() == Some(device) => {
                match self.config.card_category.clone() {
                    Some(category) => self.card(&category, data, now),
                    None => Ok(Vec::new()),
                }
            }
            _ => Ok(Vec::new()),
        }
    }

    /// A ticket for the person whose card was read. Only the masked
    /// number and the age are kept.
    fn card(&mut self, category: &str, card: &Value, now: i64) -> Result<Vec<Action>, String> {
        let masked_id = card
            .get("masked_id")
            .and_then(Value::as_str)
            .map(bantong_hall_kit::mask)
            .ok_or("the card read has no masked_id")?;
        let age = card
            .get("age")
            .and_then(Value::as_u64)
            .and_then(|a| u16::try_from(a).ok())
            .unwrap_or(0);
        match self.issue(category, Source::IdCard { masked_id, age }, now) {
            Ok((_, actions)) => Ok(actions),
            // Already holding a ticket, day full: tell the screen, change nothing.
            Err(e) => Ok(vec![send(
                "queue.refused",
                None,
                json!({ "category": category, "reason": e }),
            )]),
        }
    }

    /// The periodic tick: a `queue.summary` every `summary_every_s`.
    pub fn timer(&mut self, now: i64) -> Vec<Action> {
        let every = i64::from(self.config.summary_every_s) * 1000;
        if every == 0 || now - self.last_summary < every {
            return Vec::new();
        }
        self.last_summary = now;
        vec![send("queue.summary", None, json!(self.queue.snapshot(now)))]
    }
}

fn send(kind: &'static str, subject: Option<&str>, data: Value) -> Action {
    Action::Send {
        kind,
        subject: subject.map(str::to_owned),
        data,
    }
}

/// A ticket as events carry it (no appointment code; the ID masked).
fn ticket_event(t: &Ticket) -> Value {
    json!({
        "number": t.number,
        "category": t.category,
        "source": t.source,
        "green_channel": t.green_channel,
        "masked_id": t.masked_id,
        "window": t.window,
        "issued_ms": t.issued_ms,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_216_000_000; // 2025-11-27T04:00:00Z, noon in the hall

    fn hall() -> Hall {
        Hall::new(&config().to_string()).unwrap()
    }

    fn config() -> Value {
        json!({
            "layout": { "windows": [
                { "no": 1, "name": "市场准入", "category": "market-access" },
                { "no": 2, "name": "城乡建设", "category": "urban-rural-construction" },
                { "no": 3, "name": "卫生健康", "category": "health" },
                { "no": 4, "name": "民生保障", "category": "livelihood" },
                { "no": 5, "name": "涉军事务", "category": "military-affairs" }
            ] },
            "devices": { "reader": "reader-1", "printer": "ticket-1", "display": "display-1",
                         "keypads": { "3": "keypad-3" } },
            "card_category": "livelihood"
        })
    }

    fn sends(actions: &[Action]) -> Vec<&'static str> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send { kind, .. } => Some(*kind),
                Action::Submit { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_card_ticket_is_read_printed_called_and_rated() {
        let mut h = hall();
        let (reply, actions) = h
            .command(
                "ticket",
                &json!({ "category": "health", "by_card": true }),
                NOW,
            )
            .unwrap();
        assert_eq!(reply["pending"], true);
        let Action::Submit {
            device,
            op,
            purpose,
            ..
        } = &actions[0]
        else {
            panic!("a read")
        };
        assert_eq!((device.as_str(), *op), ("reader-1", "read"));
        h.submitted(7, purpose.clone());
        let card = json!({ "masked_id": "110105********002X", "age": 76, "name": "张三" });
        let actions = h.device("reader-1", "result", Some(7), &card, NOW).unwrap();
        assert!(
            matches!(&actions[0], Action::Submit { device, op: "print", args, .. }
            if device == "ticket-1" && args["number"] == "C001" && args["text"] == "卫生健康 前面还有0人")
        );
        let Action::Send { data, .. } = &actions[1] else {
            panic!("an event")
        };
        assert_eq!(
            (data["green_channel"].as_bool(), data["masked_id"].as_str()),
            (Some(true), Some("110105********002X"))
        );
        assert!(!data.to_string().contains("张三"), "the name is not kept");

        let (call, actions) = h
            .command("call", &json!({ "window": 3 }), NOW + 60_000)
            .unwrap();
        assert_eq!(call["number"], "C001");
        assert!(
            matches!(&actions[0], Action::Submit { device, op: "call", .. } if device == "display-1")
        );
        h.command("start", &json!({ "window": 3 }), NOW + 90_000)
            .unwrap();
        let (done, actions) = h
            .command("finish", &json!({ "window": 3 }), NOW + 390_000)
            .unwrap();
        assert_eq!(
            (done["wait_ms"].as_i64(), done["service_ms"].as_i64()),
            (Some(60_000), Some(300_000))
        );
        let Action::Submit {
            device, op, args, ..
        } = &actions[0]
        else {
            panic!("a prompt")
        };
        assert_eq!((device.as_str(), *op), ("keypad-3", "prompt"));
        assert_eq!(args["context"]["ticket"], "C001");
        assert_eq!(args["context"]["masked_id"], "110105********002X");
        assert_eq!(sends(&actions), ["queue.finished"]);
    }

    #[test]
    fn a_card_placed_unasked_takes_a_ticket_once() {
        let mut h = hall();
        let card = json!({ "masked_id": "110105********002X", "age": 30 });
        let actions = h.device("reader-1", "card", None, &card, NOW).unwrap();
        assert_eq!(sends(&actions), ["queue.ticket"]);
        let again = h.device("reader-1", "card", None, &card, NOW).unwrap();
        assert_eq!(sends(&again), ["queue.refused"], "already waiting");
        assert_eq!(h.queue().waiting("livelihood").len(), 1);
        // A card on another reader (the kiosk's) is not a ticket.
        let other = json!({ "masked_id": "110105********003X", "age": 30 });
        assert!(
            h.device("kiosk-reader", "card", None, &other, NOW)
                .unwrap()
                .is_empty()
        );
        // A whole ID number never becomes the ticket's holder.
        let whole = json!({ "masked_id": "11010519491231002X", "age": 30 });
        h.device("reader-1", "card", None, &whole, NOW).unwrap();
        assert!(
            h.queue()
                .tickets()
                .iter()
                .all(|t| t.masked_id.as_deref() != Some("11010519491231002X"))
        );
    }

    #[test]
    fn missed_calls_and_bad_commands_are_explained() {
        let mut h = hall();
        h.command("ticket", &json!({ "category": "market-access" }), NOW)
            .unwrap();
        h.command(
            "ticket",
            &json!({ "category": "market-access", "appointment": "YY-2025-001" }),
            NOW,
        )
        .unwrap();
        let (call, _) = h.command("call", &json!({ "window": 1 }), NOW).unwrap();
        assert_eq!(call["number"], "A002", "appointments first");
        let (missed, actions) = h.command("missed", &json!({ "window": 1 }), NOW).unwrap();
        assert_eq!(missed["outcome"], "requeued");
        assert_eq!(sends(&actions), ["queue.missed"]);
        for (name, args) in [
            ("call", json!({})),
            ("call", json!({ "window": 9 })),
            ("ticket", json!({ "category": "bakery" })),
            ("finish", json!({ "window": 2 })),
            ("dance", json!({})),
        ] {
            assert!(h.command(name, &args, NOW).is_err(), "{name} {args}");
        }
        assert!(Hall::new(&json!({ "layout": { "windows": [] } }).to_string()).is_err());
        let mut bad = config();
        bad["devices"]["keypads"] = json!({ "9": "keypad-9" });
        assert!(
            Hall::new(&bad.to_string())
                .unwrap_err()
                .contains("no window 9")
        );
    }

    #[test]
    fn summaries_come_at_their_interval() {
        let mut h = hall();
        assert_eq!(sends(&h.timer(NOW)), ["queue.summary"]);
        assert!(h.timer(NOW + 30_000).is_empty());
        assert_eq!(sends(&h.timer(NOW + 60_000)), ["queue.summary"]);
    }
}
