//! One self-service session at a kiosk: read the ID card, choose a service
//! item, print the receipt, rate. Pure: it returns [`Action`]s the wasm
//! glue carries out. The person's identity lives only in the session, as a
//! masked ID and a masked name, and is dropped when the session ends
//! (finished, cancelled, or idle too long).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use bantong_hall_kit::Level;
use bantong_hall_kit::catalogue::Catalogue;
use bantong_hall_kit::time::{local_date, local_day, local_time};

/// The kiosk's config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This kiosk's name, printed on receipts (`百楼镇自助终端1`).
    pub kiosk: String,
    /// The hall, printed as the receipt's title.
    #[serde(default)]
    pub hall: String,
    /// Which of the district catalogue's self-service items (可自助办) this
    /// kiosk offers, by code; empty offers them all. The items themselves
    /// (names, materials, time limits) come from the catalogue.
    #[serde(default)]
    pub only: Vec<String>,
    pub devices: Devices,
    /// Seconds without a step before a session is abandoned.
    #[serde(default = "two_minutes")]
    pub idle_s: u32,
}

fn two_minutes() -> u32 {
    120
}

/// A service item (事项) as the kiosk shows it, from the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// 事项编码.
    pub code: String,
    pub name: String,
    /// 实施部门.
    pub department: String,
    /// 承诺办结时限, working days (0: on the spot).
    pub promised_days: u32,
    /// 申请材料 (一次性告知).
    pub materials: Vec<String>,
}

/// The most codes `only` may list.
pub const MAX_ONLY: usize = 200;

/// The items a kiosk offers: the catalogue's self-service items, in
/// catalogue order, restricted to `only` when it lists any.
pub fn offered(catalogue: &Catalogue, only: &[String]) -> Vec<Item> {
    catalogue
        .items
        .iter()
        .filter(|i| i.self_service && (only.is_empty() || only.contains(&i.code)))
        .map(|i| Item {
            code: i.code.clone(),
            name: i.name.clone(),
            department: i.department.clone(),
            promised_days: i.promised_days,
            materials: i.materials.clone(),
        })
        .collect()
}

/// The devices of this kiosk, by device id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Devices {
    pub reader: String,
    pub printer: String,
}

impl Config {
    pub fn from_json(text: &str) -> Result<Config, String> {
        let c: Config = serde_json::from_str(text).map_err(|e| format!("kiosk config: {e}"))?;
        if c.kiosk.is_empty() || c.kiosk.chars().count() > 32 {
            return Err("kiosk config: kiosk: a name of 1-32 characters".into());
        }
        if c.only.len() > MAX_ONLY {
            return Err(format!("kiosk config: only: at most {MAX_ONLY} item codes"));
        }
        for (i, code) in c.only.iter().enumerate() {
            if code.is_empty() || code.len() > 64 {
                return Err(format!("kiosk config: only[{i}]: an item code of 1-64"));
            }
            if c.only[..i].contains(code) {
                return Err(format!("kiosk config: only[{i}]: code {code} twice"));
            }
        }
        if !(10..=3600).contains(&c.idle_s) {
            return Err("kiosk config: idle_s: 10-3600".into());
        }
        Ok(c)
    }
}

/// Where a session is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "stage")]
pub enum Stage {
    /// Waiting for the card (request id).
    ReadingCard { request: Option<u64> },
    /// Card read; the person picks a service item.
    Choosing,
    /// The receipt is printing (request id).
    Printing { request: Option<u64> },
    /// Printed; asking for a rating.
    Rating,
}

/// Who is at the kiosk, as much as the kiosk keeps.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    /// `张*`: the family name only.
    pub name: String,
    pub masked_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    pub id: String,
    pub started: i64,
    pub last: i64,
    #[serde(flatten)]
    pub stage: Stage,
    pub person: Option<Person>,
    pub item: Option<Item>,
    pub receipt: Option<String>,
    /// The last device failure, for the screen.
    pub error: Option<String>,
}

/// What the glue must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A device request; its id goes back through [`Kiosk::submitted`].
    Submit {
        device: String,
        op: &'static str,
        args: Value,
    },
    Cancel(u64),
    Send {
        kind: &'static str,
        data: Value,
    },
    Alert {
        kind: &'static str,
        data: Value,
    },
}

/// The kiosk: at most one session at a time.
#[derive(Debug)]
pub struct Kiosk {
    config: Config,
    session: Option<Session>,
    /// Sessions started today (for receipt numbers) and their day.
    count: (i64, u32),
    /// The items offered, from catalogue version `catalogue` (0: none yet).
    items: Vec<Item>,
    catalogue: u64,
}

type Reply = Result<(Value, Vec<Action>), String>;

/// `张三` → `张*`: what a receipt or an event may show of a name.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            format!("{first}{}", "*".repeat(rest.max(1)))
        }
        None => String::new(),
    }
}

/// The receipt's line on the promised time limit.
fn promise(days: u32) -> String {
    match days {
        0 => "承诺时限：即办".to_owned(),
        n => format!("承诺时限：{n}个工作日"),
    }
}

impl Kiosk {
    pub fn new(config: Config) -> Kiosk {
        Kiosk {
            config,
            session: None,
            count: (0, 0),
            items: Vec::new(),
            catalogue: 0,
        }
    }

    /// The catalogue version the items come from (0: none yet).
    pub fn catalogue_version(&self) -> u64 {
        self.catalogue
    }

    /// Takes the items from a catalogue version. A session in progress
    /// keeps the item it chose.
    pub fn offer(&mut self, version: u64, catalogue: &Catalogue) {
        self.items = offered(catalogue, &self.config.only);
        self.catalogue = version;
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Records the id of the request the last `Submit` made.
    pub fn submitted(&mut self, request: u64) {
        if let Some(s) = &mut self.session {
            match &mut s.stage {
                Stage::ReadingCard { request: r } | Stage::Printing { request: r } => {
                    *r = Some(request);
                }
                _ => {}
            }
        }
    }

    /// A command from the kiosk's screen.
    pub fn command(&mut self, name: &str, args: &Value, now: i64) -> Reply {
        match name {
            "start" => self.start(now),
            "choose" => {
                let code = args
                    .get("item")
                    .and_then(Value::as_str)
                    .ok_or("args.item (a service item code) is required")?;
                self.choose(code, now)
            }
            "rate" => {
                let score = args
                    .get("score")
                    .and_then(Value::as_u64)
                    .and_then(|s| u8::try_from(s).ok())
                    .and_then(Level::from_score)
                    .ok_or("args.score: 1-5")?;
                self.rate(score, now)
            }
            "cancel" => Ok(self.end("cancelled", None, now)),
            "status" => Ok((self.status(), Vec::new())),
            "items" => Ok((
                json!({ "catalogue": self.catalogue, "items": self.items }),
                Vec::new(),
            )),
            other => Err(format!("unknown command {other:?}")),
        }
    }

    fn status(&self) -> Value {
        json!({ "kiosk": self.config.kiosk, "session": self.session })
    }

    fn start(&mut self, now: i64) -> Reply {
        if self.session.is_some() {
            return Err("a session is in progress; cancel it first".into());
        }
        let day = local_day(now);
        if self.count.0 != day {
            self.count = (day, 0);
        }
        self.count.1 += 1;
        let id = format!("{}-{}", now, self.count.1);
        self.session = Some(Session {
            id,
            started: now,
            last: now,
            stage: Stage::ReadingCard { request: None },
            person: None,
            item: None,
            receipt: None,
            error: None,
        });
        let read = Action::Submit {
            device: self.config.devices.reader.clone(),
            op: "read",
            args: json!({ "timeout_s": i64::from(self.config.idle_s) }),
        };
        Ok((
            json!({ "prompt": "请将身份证放在读卡区", "session": self.session }),
            vec![read],
        ))
    }

    fn choose(&mut self, code: &str, now: i64) -> Reply {
        let item = self
            .items
            .iter()
            .find(|i| i.code == code)
            .cloned()
            .ok_or_else(|| format!("no service item {code:?} at this kiosk"))?;
        let count = self.count.1;
        let kiosk = self.config.kiosk.clone();
        let hall = self.config.hall.clone();
        let printer = self.config.devices.printer.clone();
        let s = self.session.as_mut().ok_or("no session; start one")?;
        if s.stage != Stage::Choosing {
            return Err("read the ID card first".into());
        }
        let person = s.person.clone().ok_or("no card was read")?;
        let (y, m, d) = local_date(now);
        let receipt = format!("{y:04}{m:02}{d:02}-{count:04}");
        let title = if hall.is_empty() { kiosk.clone() } else { hall };
        let print = Action::Submit {
            device: printer,
            op: "print",
            args: json!({
                "title": title,
                "lines": [
                    format!("事项：{}", item.name),
                    format!("事项编码：{}", item.code),
                    promise(item.promised_days),
                    format!("申请人：{}", person.name),
                    format!("证件号码：{}", person.masked_id),
                    format!("受理时间：{}", local_time(now)),
                    format!("凭条编号：{receipt}"),
                    format!("终端：{kiosk}"),
                    { "text": "请妥善保管本凭条", "align": "center" },
                ],
                "qr": format!("BT:{receipt}"),
            }),
        };
        s.item = Some(item);
        s.receipt = Some(receipt);
        s.stage = Stage::Printing { request: None };
        s.last = now;
        s.error = None;
        Ok((json!({ "printing": true, "session": s }), vec![print]))
    }

    fn rate(&mut self, level: Level, now: i64) -> Reply {
        let s = self.session.as_ref().ok_or("no session")?;
        if s.stage != Stage::Rating {
            return Err("there is nothing to rate yet".into());
        }
        let item = s.item.clone();
        let masked_id = s.person.as_ref().map(|p| p.masked_id.clone());
        let record = json!({
            "id": format!("{}:{}", self.config.kiosk, s.id),
            "hall": self.config.hall,
            "channel": "自助终端",
            "device": self.config.kiosk,
            "window": null,
            "ticket": s.receipt,
            "item": item.as_ref().map(|i| i.code.clone()),
            "score": level.score(),
            "level": level.zh(),
            "bad": level.is_bad(),
            "prompted": true,
            // 一次一评: one rating per kiosk session, the session its case.
            "case_no": format!("KIOSK-{}", s.id),
            "staff": null,
            "counted": true,
            "masked_id": masked_id,
            "rated_at": now,
        });
        let mut actions = vec![Action::Send {
            kind: "haocha.rating",
            data: record.clone(),
        }];
        if level.is_bad() {
            actions.push(Action::Alert {
                kind: "haocha-bad",
                data: record,
            });
        }
        let (reply, end) = self.end("completed", Some(level), now);
        actions.extend(end);
        Ok((reply, actions))
    }

    /// Ends the session: a `kiosk.session` event, pending requests
    /// cancelled, the identity forgotten.
    fn end(&mut self, outcome: &str, rating: Option<Level>, now: i64) -> (Value, Vec<Action>) {
        let Some(s) = self.session.take() else {
            return (json!({ "session": null }), Vec::new());
        };
        let mut actions = Vec::new();
        if let Stage::ReadingCard { request: Some(r) } | Stage::Printing { request: Some(r) } =
            s.stage
        {
            actions.push(Action::Cancel(r));
        }
        let summary = json!({
            "session": s.id,
            "kiosk": self.config.kiosk,
            "outcome": outcome,
            "item": s.item.as_ref().map(|i| i.code.clone()),
            "receipt": s.receipt,
            "masked_id": s.person.as_ref().map(|p| p.masked_id.clone()),
            "rating": rating.map(Level::score),
            "duration_s": (now - s.started) / 1000,
        });
        actions.push(Action::Send {
            kind: "kiosk.session",
            data: summary.clone(),
        });
        (summary, actions)
    }

    /// A device event: the card read, the receipt printed, or a failure.
    pub fn device(
        &mut self,
        kind: &str,
        request: Option<u64>,
        data: &Value,
        now: i64,
    ) -> Vec<Action> {
        let Some(s) = &mut self.session else {
            return Vec::new();
        };
        let mine = match s.stage {
            Stage::ReadingCard { request: r } | Stage::Printing { request: r } => {
                request.is_some() && r == request
            }
            _ => false,
        };
        if !mine {
            return Vec::new();
        }
        s.last = now;
        // The request is over: nothing left to cancel.
        if let Stage::ReadingCard { request } | Stage::Printing { request } = &mut s.stage {
            *request = None;
        }
        match (&s.stage, kind) {
            (Stage::ReadingCard { .. }, "result") => {
                let masked_id = data
                    .get("masked_id")
                    .and_then(Value::as_str)
                    .map(bantong_hall_kit::mask);
                let name = data.get("name").and_then(Value::as_str).map(mask_name);
                match (masked_id, name) {
                    (Some(masked_id), Some(name)) => {
                        s.person = Some(Person { name, masked_id });
                        s.stage = Stage::Choosing;
                        Vec::new()
                    }
                    _ => self.end("card-unreadable", None, now).1,
                }
            }
            (Stage::ReadingCard { .. }, _) => self.end("no-card", None, now).1,
            (Stage::Printing { .. }, "result") => {
                s.stage = Stage::Rating;
                Vec::new()
            }
            (Stage::Printing { .. }, _) => {
                // Back to choosing: the person may try again or cancel.
                s.error = Some(
                    data.get("error")
                        .and_then(Value::as_str)
                        .unwrap_or("打印失败")
                        .to_owned(),
                );
                s.stage = Stage::Choosing;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Abandons a session idle for longer than `idle_s`.
    pub fn timer(&mut self, now: i64) -> Vec<Action> {
        let idle_ms = i64::from(self.config.idle_s) * 1000;
        match &self.session {
            Some(s) if now - s.last > idle_ms => self.end("abandoned", None, now).1,
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_216_000_000; // 2025-11-27 12:00 in the hall

    fn kiosk() -> Kiosk {
        let mut k = Kiosk::new(
            Config::from_json(
                r#"{"kiosk": "自助终端1", "hall": "百楼镇便民服务中心",
                    "devices": {"reader": "reader-1", "printer": "receipt-1"}}"#,
            )
            .unwrap(),
        );
        k.offer(3, &catalogue());
        k
    }

    fn catalogue() -> Catalogue {
        Catalogue::from_json(
            r#"{"items": [
                {"code": "SB-001", "name": "社保卡补办", "category": "livelihood", "department": "区人社局",
                 "statutory_days": 20, "promised_days": 5, "materials": ["身份证原件"], "self_service": true},
                {"code": "GS-009", "name": "企业设立登记", "category": "market-access", "department": "区行政审批局",
                 "statutory_days": 15, "promised_days": 3},
                {"code": "HJ-002", "name": "户籍证明", "category": "livelihood", "department": "区公安分局",
                 "statutory_days": 0, "promised_days": 0, "self_service": true}
            ]}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_kiosk_offers_the_catalogues_self_service_items() {
        let mut k = kiosk();
        let (items, _) = k.command("items", &Value::Null, NOW).unwrap();
        assert_eq!(items["catalogue"], 3);
        let codes: Vec<&str> = items["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["SB-001", "HJ-002"], "GS-009 is not self-service");
        assert_eq!(items["items"][0]["materials"][0], "身份证原件");
        k.config.only = vec!["HJ-002".into()];
        k.offer(4, &catalogue());
        let (items, _) = k.command("items", &Value::Null, NOW).unwrap();
        assert_eq!(items["items"].as_array().unwrap().len(), 1);
        assert_eq!(k.catalogue_version(), 4);
    }

    fn card() -> Value {
        json!({ "name": "张三丰", "masked_id": "110105********002X", "id_number": "11010519491231002X", "age": 76 })
    }

    #[test]
    fn a_whole_session_keeps_only_masked_identity() {
        let mut k = kiosk();
        let (_, actions) = k.command("start", &Value::Null, NOW).unwrap();
        assert!(
            matches!(&actions[0], Action::Submit { device, op: "read", .. } if device == "reader-1")
        );
        k.submitted(11);
        assert!(
            k.command("choose", &json!({ "item": "SB-001" }), NOW)
                .is_err(),
            "no card yet"
        );
        assert!(
            k.device("result", Some(12), &card(), NOW).is_empty(),
            "not its request"
        );
        k.device("result", Some(11), &card(), NOW + 5_000);
        let status = k
            .command("status", &Value::Null, NOW)
            .unwrap()
            .0
            .to_string();
        assert!(
            status.contains("张**") && !status.contains("张三丰"),
            "{status}"
        );
        assert!(!status.contains("11010519491231002X"), "{status}");

        let (_, actions) = k
            .command("choose", &json!({ "item": "SB-001" }), NOW + 10_000)
            .unwrap();
        let Action::Submit {
            op: "print", args, ..
        } = &actions[0]
        else {
            panic!("a print")
        };
        let lines = args["lines"].to_string();
        assert!(
            lines.contains("社保卡补办") && lines.contains("110105********002X"),
            "{lines}"
        );
        assert!(lines.contains("2025-11-27 12:00"), "{lines}");
        assert!(!lines.contains("11010519491231002X"));
        k.submitted(12);
        k.device("result", Some(12), &json!({ "bytes": 300 }), NOW + 12_000);

        let (summary, actions) = k
            .command("rate", &json!({ "score": 1 }), NOW + 20_000)
            .unwrap();
        assert_eq!(summary["outcome"], "completed");
        assert_eq!(summary["duration_s"], 20);
        let kinds: Vec<&str> = actions
            .iter()
            .map(|a| match a {
                Action::Send { kind, .. } | Action::Alert { kind, .. } => *kind,
                _ => "",
            })
            .collect();
        assert_eq!(kinds, ["haocha.rating", "haocha-bad", "kiosk.session"]);
        assert!(k.session().is_none(), "identity forgotten");
    }

    #[test]
    fn failures_idle_and_cancel_end_or_rewind_the_session() {
        let mut k = kiosk();
        k.command("start", &Value::Null, NOW).unwrap();
        assert!(
            k.command("start", &Value::Null, NOW).is_err(),
            "one at a time"
        );
        k.submitted(1);
        let actions = k.device("failed", Some(1), &json!({ "error": "timed out" }), NOW);
        assert!(
            matches!(&actions[0], Action::Send { kind: "kiosk.session", data } if data["outcome"] == "no-card")
        );

        k.command("start", &Value::Null, NOW).unwrap();
        k.submitted(2);
        k.device("result", Some(2), &card(), NOW);
        k.command("choose", &json!({ "item": "HJ-002" }), NOW)
            .unwrap();
        k.submitted(3);
        k.device(
            "failed",
            Some(3),
            &json!({ "error": "缺纸 (out of paper)" }),
            NOW,
        );
        let s = k.session().unwrap();
        assert_eq!(
            (&s.stage, s.error.as_deref()),
            (&Stage::Choosing, Some("缺纸 (out of paper)"))
        );
        assert!(
            k.command("rate", &json!({ "score": 5 }), NOW).is_err(),
            "nothing printed"
        );
        assert!(k.command("choose", &json!({ "item": "XX" }), NOW).is_err());

        assert!(k.timer(NOW + 60_000).is_empty());
        let actions = k.timer(NOW + 121_000);
        assert!(matches!(&actions[0], Action::Send { data, .. } if data["outcome"] == "abandoned"));

        k.command("start", &Value::Null, NOW).unwrap();
        k.submitted(4);
        let (_, actions) = k.command("cancel", &Value::Null, NOW).unwrap();
        assert_eq!(
            actions[0],
            Action::Cancel(4),
            "the pending read is cancelled"
        );
    }

    #[test]
    fn config_is_checked_and_time_is_local() {
        assert!(
            Config::from_json(r#"{"kiosk": "", "devices": {"reader": "r", "printer": "p"}}"#)
                .is_err()
        );
        assert!(
            Config::from_json(
                r#"{"kiosk": "k", "only": ["a", "a"], "devices": {"reader": "r", "printer": "p"}}"#
            )
            .unwrap_err()
            .contains("twice")
        );
        assert_eq!(mask_name("李"), "李*");
    }
}
