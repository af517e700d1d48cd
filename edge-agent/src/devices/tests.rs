//! The device layer with simulated devices: requests, waiting, timeouts,
//! cancellation, routing of events, and what stays secret.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::classes::{hmac_sha256, score};
use super::*;
use crate::outbox::{Outbox, OutboxConfig};

/// A valid ID number (checksum per GB 11643): born 1949-12-31.
const ID: &str = "11010519491231002X";

struct Rig {
    devices: Devices,
    events: mpsc::UnboundedReceiver<DeviceEvent>,
    outbox: Arc<Mutex<Outbox>>,
    dir: tempfile::TempDir,
    _shutdown: watch::Sender<bool>,
}

impl Rig {
    fn new(specs: &[DeviceSpec]) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Arc::new(Mutex::new(
            Outbox::open(dir.path().join("outbox"), OutboxConfig::default()).unwrap(),
        ));
        let sink = EventSink::start(outbox.clone(), Arc::default());
        let (events_tx, events) = mpsc::unbounded_channel();
        let (_inputs_tx, inputs) = mpsc::unbounded_channel();
        let (shutdown_tx, shutdown) = watch::channel(false);
        let env = Env {
            data_dir: dir.path().to_owned(),
            sink,
            controllers: Controllers::default(),
            events: events_tx,
            secret: Arc::new([7; 32]),
        };
        let devices = Devices::start(specs, env, inputs, shutdown);
        Rig {
            devices,
            events,
            outbox,
            dir,
            _shutdown: shutdown_tx,
        }
    }

    async fn next(&mut self) -> DeviceEvent {
        tokio::time::timeout(Duration::from_secs(5), self.events.recv())
            .await
            .expect("a device event")
            .expect("the channel is open")
    }

    fn plugin(&self, device: &str, op: &str, args: Value) -> Result<u64, String> {
        self.devices
            .submit(device, op, args, Owner::Plugin("kiosk".into()))
    }

    /// Upstream events as (kind, data).
    fn upstream(&self) -> Vec<(String, Value)> {
        let ob = self.outbox.lock().unwrap();
        ob.read_from(1, 1000, 1 << 20)
            .unwrap()
            .into_iter()
            .map(|(_, bytes)| {
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                (v["kind"].as_str().unwrap().to_owned(), v["data"].clone())
            })
            .collect()
    }
}

fn card() -> Value {
    json!({ "card": { "name": "张三", "sex": "男", "nation": "汉", "address": "北京市西城区",
                      "id_number": ID, "issuer": "北京市公安局西城分局",
                      "valid_from": "2016-01-01", "valid_to": "长期" } })
}

#[tokio::test]
async fn a_read_waits_for_the_card_and_answers_only_its_owner() {
    let mut rig = Rig::new(&[DeviceSpec::simulated("reader-1", "id-reader")]);
    let id = rig.plugin("reader-1", "read", json!({})).unwrap();
    rig.devices.simulate("reader-1", card()).await.unwrap();
    let e = rig.next().await;
    assert_eq!(
        (e.kind.as_str(), e.request, e.owner.as_deref()),
        ("result", Some(id), Some("kiosk"))
    );
    assert_eq!(e.data["name"], "张三");
    assert_eq!(e.data["masked_id"], "110105********002X");
    assert!(e.data["age"].as_u64().unwrap() >= 76);
    // The card is still there: the next read answers at once.
    let again = rig.plugin("reader-1", "read", json!({})).unwrap();
    let e = rig.next().await;
    assert_eq!((e.kind.as_str(), e.request), ("result", Some(again)));
    // Removed, then placed with no read pending: everyone hears of it.
    rig.devices
        .simulate("reader-1", json!({ "remove": true }))
        .await
        .unwrap();
    assert_eq!(rig.next().await.kind, "card-removed");
    rig.devices.simulate("reader-1", card()).await.unwrap();
    let e = rig.next().await;
    assert_eq!((e.kind.as_str(), e.owner), ("card", None));
    // The status an operator sees has no identity in it.
    let (_, status) = rig.devices.status("reader-1").unwrap();
    assert!(!status.state.to_string().contains("张三"));
}

#[tokio::test]
async fn bad_requests_and_bad_cards_change_nothing() {
    let mut rig = Rig::new(&[
        DeviceSpec::simulated("reader-1", "id-reader"),
        DeviceSpec::simulated("display-1", "queue-display"),
    ]);
    for (device, op, args, why) in [
        ("reader-9", "read", json!({}), "no device"),
        ("reader-1", "print", json!({}), "has no op"),
        (
            "reader-1",
            "read",
            json!({ "colour": 1 }),
            "unknown argument",
        ),
        ("reader-1", "read", json!({ "timeout_s": 0 }), "timeout_s"),
        (
            "display-1",
            "call",
            json!({ "number": "a-1", "window": 3 }),
            "A-Z",
        ),
        (
            "display-1",
            "call",
            json!({ "number": "A001", "window": 0 }),
            "window",
        ),
        (
            "display-1",
            "show",
            json!({ "text": "号".repeat(40) }),
            "at most",
        ),
        ("display-1", "show", json!("text"), "object"),
    ] {
        let e = rig.plugin(device, op, args.clone()).unwrap_err();
        assert!(e.contains(why), "{device} {op} {args}: {e}");
    }
    let mut bad = card();
    bad["card"]["id_number"] = json!("110105194912310021");
    let e = rig.devices.simulate("reader-1", bad).await.unwrap_err();
    assert!(e.contains("unreadable card"), "{e}");
    let (_, status) = rig.devices.status("reader-1").unwrap();
    assert_eq!(status.state["card_present"], false);
    assert!(rig.events.try_recv().is_err(), "no event for refused input");
    // Hardware cannot be "simulated".
    let e = rig
        .devices
        .simulate("reader-9", json!({}))
        .await
        .unwrap_err();
    assert!(e.contains("no device"));
}

#[tokio::test]
async fn requests_time_out_and_can_be_cancelled_by_their_owner_only() {
    let mut rig = Rig::new(&[DeviceSpec::simulated("pin-1", "pin-pad")]);
    let id = rig
        .plugin("pin-1", "read-pin", json!({ "timeout_s": 1 }))
        .unwrap();
    let e = rig.next().await;
    assert_eq!((e.kind.as_str(), e.request), ("failed", Some(id)));
    assert!(e.data["error"].as_str().unwrap().contains("timed out"));

    let id = rig.plugin("pin-1", "read-pin", json!({})).unwrap();
    assert!(!rig.devices.cancel(id, Some("queue")), "not its request");
    assert!(!rig.devices.cancel(id, None), "nor the host's");
    assert!(rig.devices.cancel(id, Some("kiosk")));
    let e = rig.next().await;
    assert_eq!((e.kind.as_str(), e.request), ("cancelled", Some(id)));
    assert!(!rig.devices.cancel(id, Some("kiosk")), "already finished");
}

#[tokio::test]
async fn a_pin_becomes_a_keyed_digest_and_never_leaves_the_driver() {
    let mut rig = Rig::new(&[DeviceSpec::simulated("pin-1", "pin-pad")]);
    let id = rig
        .plugin("pin-1", "read-pin", json!({ "min": 6 }))
        .unwrap();
    rig.devices
        .simulate("pin-1", json!({ "keys": "135790#" }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!((e.kind.as_str(), e.request), ("result", Some(id)));
    assert_eq!(e.data["length"], 6);
    let digest = e.data["digest"].as_str().unwrap().to_owned();
    assert_eq!(digest.len(), 64);
    assert!(!e.data.to_string().contains("135790"));
    // The same PIN gives the same digest; a short one is refused.
    rig.plugin("pin-1", "read-pin", json!({})).unwrap();
    rig.devices
        .simulate("pin-1", json!({ "keys": "135790#" }))
        .await
        .unwrap();
    assert_eq!(rig.next().await.data["digest"], digest.as_str());
    rig.plugin("pin-1", "read-pin", json!({})).unwrap();
    rig.devices
        .simulate("pin-1", json!({ "keys": "12#" }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!(e.kind, "failed");
    assert!(e.data["error"].as_str().unwrap().contains("at least 6"));
    // The customer presses cancel.
    rig.plugin("pin-1", "read-pin", json!({})).unwrap();
    rig.devices
        .simulate("pin-1", json!({ "keys": "12*" }))
        .await
        .unwrap();
    assert_eq!(rig.next().await.kind, "failed");
}

#[tokio::test]
async fn fingerprints_match_by_handle_and_templates_stay_on_disk() {
    let mut rig = Rig::new(&[DeviceSpec::simulated("finger-1", "fingerprint")]);
    rig.plugin("finger-1", "enroll", json!({})).unwrap();
    rig.devices
        .simulate("finger-1", json!({ "finger": "alice-right-index" }))
        .await
        .unwrap();
    let e = rig.next().await;
    let handle = e.data["handle"].as_str().unwrap().to_owned();
    assert_eq!(
        e.data.as_object().unwrap().len(),
        2,
        "handle and quality only: {}",
        e.data
    );
    let template = std::fs::read(
        rig.dir
            .path()
            .join("devices/finger-1/templates")
            .join(&handle),
    )
    .unwrap();
    assert_eq!(template.len(), 64);

    rig.plugin("finger-1", "verify", json!({ "handle": handle }))
        .unwrap();
    rig.devices
        .simulate("finger-1", json!({ "finger": "alice-right-index" }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!(e.data["matched"], true, "{}", e.data);
    rig.plugin("finger-1", "verify", json!({ "handle": handle }))
        .unwrap();
    rig.devices
        .simulate("finger-1", json!({ "finger": "mallory" }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!(e.data["matched"], false, "{}", e.data);
    // A path is not a handle.
    assert!(
        rig.plugin(
            "finger-1",
            "verify",
            json!({ "handle": "../../identity.json" })
        )
        .is_err()
    );
    assert!(score(&[0; 8], &[0xff; 8]) == 0 && score(&[1; 8], &[1; 8]) == 100);
}

#[tokio::test]
async fn receipts_are_gb18030_esc_pos_and_paper_out_is_a_fault_upstream() {
    let printer = rig_file_printer();
    let mut rig = Rig::new(&[
        DeviceSpec::simulated("receipt-sim", "receipt-printer"),
        printer.0.clone(),
    ]);
    let args = json!({ "title": "办通政务服务中心",
                       "lines": ["事项：社保卡补办", { "text": "A012", "align": "center", "bold": true }],
                       "qr": "https://example.invalid/r/1" });
    let outcome = rig
        .devices
        .execute("receipt-sim", "print", args.clone())
        .await
        .unwrap();
    assert_eq!(outcome.kind, "result");
    let (_, status) = rig.devices.status("receipt-sim").unwrap();
    let receipt = status.state["receipts"][0].to_string();
    assert!(
        receipt.contains("办通政务服务中心") && receipt.contains("社保卡补办"),
        "{receipt}"
    );

    // The real transport: bytes to a device file, GB18030 inside.
    let outcome = rig
        .devices
        .execute("receipt-1", "print", args)
        .await
        .unwrap();
    assert_eq!(outcome.kind, "result", "{outcome:?}");
    let bytes = std::fs::read(&printer.1).unwrap();
    assert_eq!(&bytes[..2], &[0x1b, b'@']);
    let (gb, _, _) = encoding_rs::GB18030.encode("社保卡补办");
    assert!(bytes.windows(gb.len()).any(|w| w == &gb[..]));
    let decoded = bantong_hall_kit::escpos::decode(&bytes).unwrap();
    assert!(decoded.lines.iter().any(|l| l.text.contains("社保卡补办")));

    rig.devices
        .simulate("receipt-sim", json!({ "paper": "out" }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!(
        (e.kind.as_str(), &e.data["healthy"]),
        ("health", &json!(false))
    );
    let failed = rig
        .devices
        .execute("receipt-sim", "print", json!({ "lines": ["x"] }))
        .await
        .unwrap();
    assert_eq!(failed.kind, "failed");
    rig.devices
        .simulate("receipt-sim", json!({ "paper": "ok" }))
        .await
        .unwrap();
    assert_eq!(rig.next().await.data["healthy"], true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kinds: Vec<String> = rig.upstream().into_iter().map(|(k, _)| k).collect();
    assert!(
        kinds.contains(&"alert.device-fault".to_owned()),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"device.recovered".to_owned()), "{kinds:?}");
}

/// A receipt printer writing to a file standing in for `/dev/usb/lp0`.
fn rig_file_printer() -> (DeviceSpec, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("bantong-lp-{}", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, b"").unwrap();
    let spec = DeviceSpec {
        id: "receipt-1".into(),
        class: "receipt-printer".into(),
        path: Some(path.to_string_lossy().into_owned()),
        ..DeviceSpec::default()
    };
    (spec, path)
}

#[tokio::test]
async fn an_armed_keypad_rates_that_service_then_disarms() {
    let mut rig = Rig::new(&[DeviceSpec::simulated("keypad-3", "rating-keypad")]);
    let context = json!({ "window": 3, "ticket": "A012", "item": "market-access" });
    rig.plugin("keypad-3", "prompt", json!({ "context": context }))
        .unwrap();
    assert_eq!(rig.next().await.kind, "result");
    rig.devices
        .simulate("keypad-3", json!({ "key": 2 }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!((e.kind.as_str(), e.owner.as_deref()), ("rating", None));
    assert_eq!(e.data["score"], 2);
    assert_eq!(e.data["level"], "不满意");
    assert_eq!(e.data["context"], context);
    rig.devices
        .simulate("keypad-3", json!({ "key": 5 }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!(
        (e.data["prompted"].clone(), e.data["context"].clone()),
        (json!(false), Value::Null)
    );
    assert!(
        rig.devices
            .simulate("keypad-3", json!({ "key": 6 }))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn ids_are_masked_in_everything_sent_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(Mutex::new(
        Outbox::open(dir.path().join("ob"), OutboxConfig::default()).unwrap(),
    ));
    let sink = EventSink::start(outbox.clone(), Arc::default());
    sink.emit(vec![Draft {
        ts_ms: 1,
        kind: "kiosk.session".into(),
        source: "kiosk".into(),
        subject: Some(format!("card {ID}")),
        data: json!({ "note": format!("身份证号{ID}已核验"), "nested": [{ "id": ID }] }),
        attachment: None,
    }])
    .await
    .unwrap();
    let raw = outbox.lock().unwrap().read_from(1, 10, 1 << 20).unwrap();
    let text = String::from_utf8(raw[0].1.clone()).unwrap();
    assert!(!text.contains(ID), "{text}");
    assert_eq!(text.matches("110105********002X").count(), 3, "{text}");
}

#[test]
fn config_entries_are_checked() {
    let spec = |t: &str| -> DeviceSpec { toml::from_str(t).unwrap() };
    assert_eq!(
        spec("id = \"k\"\nclass = \"rating-keypad\"\ncontroller = \"hub-1\"\nunit = 2").transport(),
        Ok(Transport::Controller {
            controller: "hub-1".into(),
            unit: 2
        })
    );
    for (text, why) in [
        (
            "id = \"k\"\nclass = \"toaster\"\nsimulated = true",
            "unknown class",
        ),
        (
            "id = \"K\"\nclass = \"pin-pad\"\nsimulated = true",
            "ids are",
        ),
        ("id = \"k\"\nclass = \"pin-pad\"", "exactly one"),
        (
            "id = \"k\"\nclass = \"id-reader\"\npath = \"/dev/x\"",
            "cannot be reached",
        ),
        (
            "id = \"k\"\nclass = \"receipt-printer\"\ncontroller = \"hub-1\"",
            "cannot be reached",
        ),
    ] {
        let e = spec(text).transport().unwrap_err();
        assert!(e.contains(why), "{text}: {e}");
    }
    let keypad = spec("id = \"k\"\nclass = \"rating-keypad\"\ncontroller = \"hub-9\"");
    assert!(
        check_specs(&[keypad], &["hub-1".into()])
            .unwrap_err()
            .contains("hub-9")
    );
    let twice = [
        DeviceSpec::simulated("a", "pin-pad"),
        DeviceSpec::simulated("a", "scanner"),
    ];
    assert!(check_specs(&twice, &[]).unwrap_err().contains("twice"));
}

#[test]
fn helpers_agree_with_known_values() {
    // RFC 4231 test case 2.
    assert_eq!(
        hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[tokio::test]
async fn scans_stay_on_disk_and_a_scan_waits_for_a_page() {
    let mut rig = Rig::new(&[DeviceSpec::simulated("scan-1", "scanner")]);
    let id = rig.plugin("scan-1", "scan", json!({})).unwrap();
    rig.devices
        .simulate("scan-1", json!({ "document": "户口簿首页" }))
        .await
        .unwrap();
    let e = rig.next().await;
    assert_eq!((e.kind.as_str(), e.request), ("result", Some(id)));
    let file = rig
        .dir
        .path()
        .join("devices/scan-1/scans")
        .join(e.data["scan"].as_str().unwrap());
    let jpeg = std::fs::read(file).unwrap();
    assert_eq!(&jpeg[..2], &[0xff, 0xd8]);
    assert_eq!(e.data["bytes"], jpeg.len());
}
