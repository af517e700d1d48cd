//! A hall's peripherals end to end: a real agent process with simulated
//! devices (and a receipt printer on a device file), the `queue`, `rating`
//! and `kiosk` edge plugins uploaded, signed and deployed from the host, and
//! everything driven the way staff and citizens would — on SQLite with the
//! embedded broker and on PostgreSQL with Mosquitto:
//!
//! - a citizen aged 76 swipes an ID card at the ticket machine: a green
//!   channel ticket is printed; window 3 calls it on the display, serves it,
//!   and the window's keypad, armed with that ticket, turns a 不满意 key into
//!   a 好差评 record and a bad-rating alert at the host;
//! - at the kiosk: card, service item, a GB18030 ESC/POS receipt on the
//!   printer's device file, a rating;
//! - fingerprint enrolment answers with a handle, never a template;
//! - the printer's device file vanishes: a device-fault alert;
//! - nowhere at the host — events, alerts, replies — is the whole ID number.

use std::time::Duration;

use bantong_tests::app::{Client, TestApp};
use bantong_tests::db::backends;
use bantong_tests::edge::{
    AgentProcess, BrokerKind, Installation, deploy_edge_plugin, events_of_kind, eventually,
    issue_token,
};
use serde_json::{Value, json};

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");
const EDGE: &str = "bailou-hall";
/// A valid ID number (GB 11643 checksum): born 1949-12-31.
const ID: &str = "11010519491231002X";
const MASKED: &str = "110105********002X";

fn card(name: &str) -> Value {
    json!({ "card": { "name": name, "sex": "男", "nation": "汉", "address": "北京市西城区二龙路1号",
                      "id_number": ID, "issuer": "北京市公安局西城分局",
                      "valid_from": "2016-01-01", "valid_to": "长期" } })
}

fn devices(printer: &std::path::Path) -> String {
    let sim =
        |id: &str, class: &str| format!(r#"{{id = "{id}", class = "{class}", simulated = true}}"#);
    let list = [
        sim("reader-1", "id-reader"),
        sim("ticket-1", "ticket-printer"),
        sim("display-1", "queue-display"),
        sim("keypad-3", "rating-keypad"),
        sim("kiosk-reader", "id-reader"),
        sim("finger-1", "fingerprint"),
        format!(
            r#"{{id = "receipt-1", class = "receipt-printer", path = "{}"}}"#,
            printer.display()
        ),
    ];
    format!("[{}]", list.join(", "))
}

fn queue_config() -> Value {
    json!({
        "layout": { "windows": [
            { "no": 1, "name": "市场准入", "category": "market-access" },
            { "no": 2, "name": "城乡建设", "category": "urban-rural-construction" },
            { "no": 3, "name": "卫生健康", "category": "health" },
            { "no": 4, "name": "民生保障", "category": "livelihood" },
            { "no": 5, "name": "涉军事务", "category": "military-affairs" },
            { "no": 6, "name": "综合窗口", "category": "comprehensive" }
        ], "extra_categories": [{ "id": "comprehensive", "name_zh": "综合受理" }] },
        "devices": { "reader": "reader-1", "printer": "ticket-1", "display": "display-1",
                     "keypads": { "3": "keypad-3" } },
        "summary_every_s": 5
    })
}

fn kiosk_config() -> Value {
    json!({ "kiosk": "自助终端1", "hall": "百楼镇便民服务中心",
            "devices": { "reader": "kiosk-reader", "printer": "receipt-1" } })
}

/// The district's catalogue: the kiosk offers its self-service items.
fn catalogue() -> Value {
    json!({ "items": [
        { "code": "SB-001", "name": "社保卡补办", "category": "livelihood", "department": "区人社局",
          "statutory_days": 20, "promised_days": 5, "materials": ["居民身份证原件"], "self_service": true },
        { "code": "HJ-002", "name": "户籍证明", "category": "livelihood", "department": "区公安分局",
          "statutory_days": 0, "promised_days": 0, "self_service": true }
    ] })
}

/// A command to the agent (`plugin`: to that plugin) and its reply.
async fn command(admin: &Client, plugin: Option<&str>, name: &str, args: Value) -> Value {
    bantong_tests::edge::agent_command(admin, EDGE, plugin, name, args).await
}

async fn ok(admin: &Client, plugin: Option<&str>, name: &str, args: Value) -> Value {
    let reply = command(admin, plugin, name, args.clone()).await;
    assert_eq!(reply["ok"], true, "{name} {args}: {reply}");
    reply["result"].clone()
}

async fn status(admin: &Client, device: &str) -> Value {
    ok(admin, None, "device.status", json!({ "device": device })).await["status"]["state"].clone()
}

async fn one_event(app: &TestApp, kind: &str, what: &str) -> Value {
    eventually(Duration::from_secs(30), what, || async {
        events_of_kind(app, EDGE, kind).await.pop()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_kiosk_and_ratings_through_real_plugins_and_simulated_devices() {
    for backend in backends() {
        let Installation {
            app,
            host,
            admin,
            mosquitto: _mosquitto,
        } = Installation::start(backend, BrokerKind::paired_with(backend), &["bailou"]).await;
        let dir = app.db.dir.path().to_path_buf();
        let printer = dir.join("lp0");
        std::fs::write(&printer, b"").unwrap();
        let token = issue_token(&admin, "bailou", EDGE).await;
        let mut agent = AgentProcess::new(AGENT, dir.join("agent"), &host.url());
        agent.enrol(&token);
        agent.env("BANTONG_EDGE_DEVICES", &devices(&printer));
        agent.run(0, 0);

        deploy_edge_plugin(&app, &admin, EDGE, "queue", queue_config()).await;
        deploy_edge_plugin(
            &app,
            &admin,
            EDGE,
            "rating",
            json!({ "hall": "百楼镇便民服务中心" }),
        )
        .await;
        // Published before the kiosk starts; the agent keeps it retained.
        let published = admin
            .put(
                "/api/catalogue",
                json!({ "note": "测试", "catalogue": catalogue() }),
            )
            .await;
        assert_eq!(published.status, 201, "{:?}", published.json());
        deploy_edge_plugin(&app, &admin, EDGE, "kiosk", kiosk_config()).await;
        eventually(Duration::from_secs(90), "three plugins running", || async {
            let report = admin.get(&format!("/api/edge/agents/{EDGE}")).await.json();
            let plugins = report["report"]["plugins"].as_array()?.clone();
            (plugins.len() == 3 && plugins.iter().all(|p| p["state"] == "running")).then_some(())
        })
        .await;
        let listed = ok(&admin, None, "device.list", json!({})).await;
        assert_eq!(listed.as_array().unwrap().len(), 7, "{listed}");

        // The ticket machine: choose 卫生健康, swipe the card.
        let pending = ok(
            &admin,
            Some("queue"),
            "ticket",
            json!({ "category": "health", "by_card": true }),
        )
        .await;
        assert_eq!(pending["prompt"], "请将身份证放在读卡区");
        ok(
            &admin,
            None,
            "device.simulate",
            json!({ "device": "reader-1", "input": card("张三") }),
        )
        .await;
        let ticket = one_event(&app, "queue.ticket", "the ticket at the host").await;
        assert_eq!(ticket["subject"], "C001");
        assert_eq!(ticket["data"]["green_channel"], true, "aged 76: {ticket}");
        assert_eq!(ticket["data"]["masked_id"], MASKED);
        let printed = status(&admin, "ticket-1").await;
        assert_eq!(printed["printed"][0]["number"], "C001", "{printed}");

        // Window 3's clerk signs in (窗口签到), calls, serves and finishes;
        // the display shows the call.
        ok(
            &admin,
            Some("queue"),
            "sign_in",
            json!({ "window": 3, "staff": "wang01" }),
        )
        .await;
        let call = ok(&admin, Some("queue"), "call", json!({ "window": 3 })).await;
        assert_eq!(call["number"], "C001");
        assert_eq!(call["staff"], "wang01");
        let shown = status(&admin, "display-1").await;
        assert!(
            shown["lines"][0].as_str().unwrap().contains("C001"),
            "{shown}"
        );
        assert!(shown["lines"][0].as_str().unwrap().contains('3'), "{shown}");
        ok(&admin, Some("queue"), "start", json!({ "window": 3 })).await;
        ok(&admin, Some("queue"), "finish", json!({ "window": 3 })).await;
        eventually(Duration::from_secs(10), "keypad-3 armed", || async {
            (status(&admin, "keypad-3").await["armed"] == true).then_some(())
        })
        .await;

        // The citizen presses 2 (不满意): a 好差评 record about C001 at window 3,
        // and a bad-rating alert for callback and rectification.
        ok(
            &admin,
            None,
            "device.simulate",
            json!({ "device": "keypad-3", "input": { "key": 2 } }),
        )
        .await;
        let record = one_event(&app, "haocha.rating", "the 好差评 record").await["data"].clone();
        assert_eq!(
            (record["ticket"].as_str(), record["window"].as_u64()),
            (Some("C001"), Some(3))
        );
        assert_eq!(
            (record["level"].as_str(), record["bad"].as_bool()),
            (Some("不满意"), Some(true))
        );
        assert_eq!(record["item"], "health");
        assert_eq!(record["masked_id"], MASKED);
        // 一次一评: tied to the service, its case number and who served.
        assert_eq!(record["staff"], "wang01");
        assert!(
            record["case_no"]
                .as_str()
                .is_some_and(|c| c.starts_with("BJ") && c.contains("C001-")),
            "{record}"
        );
        assert_eq!(record["counted"], true);
        let alerts = admin.get("/api/edge/alerts?hall=bailou").await.json()["items"].clone();
        assert!(
            alerts
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["kind"] == "alert.haocha-bad"),
            "{alerts}"
        );
        eventually(Duration::from_secs(30), "a queue summary", || async {
            let s = events_of_kind(&app, EDGE, "queue.summary").await.pop()?;
            (s["data"]["totals"]["served"] == 1).then_some(())
        })
        .await;

        // The kiosk: card, item, receipt, rating.
        ok(&admin, Some("kiosk"), "start", json!({})).await;
        ok(
            &admin,
            None,
            "device.simulate",
            json!({ "device": "kiosk-reader", "input": card("李四光") }),
        )
        .await;
        eventually(
            Duration::from_secs(10),
            "the kiosk asks for an item",
            || async {
                let s = ok(&admin, Some("kiosk"), "status", json!({})).await;
                (s["session"]["stage"] == "choosing").then_some(s)
            },
        )
        .await;
        ok(&admin, Some("kiosk"), "choose", json!({ "item": "SB-001" })).await;
        let receipt = eventually(Duration::from_secs(10), "the receipt printed", || async {
            let bytes = std::fs::read(&printer).ok()?;
            (!bytes.is_empty()).then_some(bytes)
        })
        .await;
        let decoded = bantong_hall_kit::decode(&receipt).expect("ESC/POS that decodes");
        let text = decoded.text();
        // The promised time limit comes from the district catalogue.
        for expected in [
            "百楼镇便民服务中心",
            "社保卡补办",
            "承诺时限：5个工作日",
            "李**",
            MASKED,
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert!(!text.contains(ID) && !text.contains("李四光"), "{text}");
        let (gb, _, _) = encoding_rs::GB18030.encode("社保卡补办");
        assert!(
            receipt.windows(gb.len()).any(|w| w == &gb[..]),
            "GB18030 on the wire"
        );
        eventually(
            Duration::from_secs(10),
            "the kiosk asks for a rating",
            || async {
                let s = ok(&admin, Some("kiosk"), "status", json!({})).await;
                (s["session"]["stage"] == "rating").then_some(())
            },
        )
        .await;
        let done = ok(&admin, Some("kiosk"), "rate", json!({ "score": 5 })).await;
        assert_eq!(done["outcome"], "completed");
        let session = one_event(&app, "kiosk.session", "the kiosk session").await["data"].clone();
        assert_eq!(
            (session["item"].as_str(), session["masked_id"].as_str()),
            (Some("SB-001"), Some(MASKED))
        );
        eventually(
            Duration::from_secs(30),
            "the kiosk's 好差评 record",
            || async {
                events_of_kind(&app, EDGE, "haocha.rating")
                    .await
                    .into_iter()
                    .find(|r| r["data"]["channel"] == "自助终端" && r["data"]["score"] == 5)
            },
        )
        .await;

        // A session given up while the reader waits: the plugin cancels its
        // read (WIT `cancel`), and the reader stops waiting.
        ok(
            &admin,
            None,
            "device.simulate",
            json!({ "device": "kiosk-reader", "input": { "remove": true } }),
        )
        .await;
        ok(&admin, Some("kiosk"), "start", json!({})).await;
        assert_eq!(status(&admin, "kiosk-reader").await["waiting"], 1);
        let cancelled = ok(&admin, Some("kiosk"), "cancel", json!({})).await;
        assert_eq!(cancelled["outcome"], "cancelled");
        eventually(Duration::from_secs(10), "the read cancelled", || async {
            (status(&admin, "kiosk-reader").await["waiting"] == 0).then_some(())
        })
        .await;

        // Bad input gets a clear error and changes nothing.
        for (plugin, name, args, why) in [
            (
                None,
                "device.execute",
                json!({ "device": "receipt-1", "op": "burn" }),
                "has no op",
            ),
            (
                None,
                "device.execute",
                json!({ "device": "nope", "op": "read" }),
                "no device",
            ),
            (
                None,
                "device.simulate",
                json!({ "device": "receipt-1", "input": {} }),
                "hardware",
            ),
            (Some("queue"), "call", json!({ "window": 42 }), "42"),
            (
                Some("kiosk"),
                "choose",
                json!({ "item": "SB-001" }),
                "no session",
            ),
        ] {
            let reply = command(&admin, plugin, name, args.clone()).await;
            assert_eq!(reply["ok"], false, "{name} {args}: {reply}");
            let error = reply["error"].as_str().unwrap_or_default();
            assert!(error.contains(why), "{name} {args}: {error}");
        }
        let mut bad = card("王五");
        bad["card"]["id_number"] = json!("110105194912310021");
        let refused = command(
            &admin,
            None,
            "device.simulate",
            json!({ "device": "kiosk-reader", "input": bad }),
        )
        .await;
        assert!(
            refused["error"].as_str().unwrap().contains("check"),
            "{refused}"
        );

        // The host reads a card itself: the reply leaves the box masked.
        ok(
            &admin,
            None,
            "device.simulate",
            json!({ "device": "kiosk-reader", "input": card("王五") }),
        )
        .await;
        let read = ok(
            &admin,
            None,
            "device.execute",
            json!({ "device": "kiosk-reader", "op": "read" }),
        )
        .await;
        assert_eq!(read["id_number"], MASKED, "{read}");

        // Fingerprint enrolment: a handle comes back, the template stays.
        let (enrolled, placed) = tokio::join!(
            ok(
                &admin,
                None,
                "device.execute",
                json!({ "device": "finger-1", "op": "enroll" })
            ),
            async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                ok(
                    &admin,
                    None,
                    "device.simulate",
                    json!({ "device": "finger-1", "input": { "finger": "right-index" } }),
                )
                .await
            }
        );
        assert_eq!(placed["captured"], true);
        let handle = enrolled["handle"].as_str().unwrap();
        assert_eq!(handle.len(), 32, "{enrolled}");
        assert_eq!(
            enrolled.as_object().unwrap().len(),
            2,
            "only handle and quality: {enrolled}"
        );

        // The printer's device file goes away: a fault alert at the host.
        std::fs::remove_file(&printer).unwrap();
        eventually(Duration::from_secs(30), "a device-fault alert", || async {
            let alerts = admin.get("/api/edge/alerts?hall=bailou").await.json()["items"].clone();
            alerts
                .as_array()?
                .iter()
                .find(|a| a["kind"] == "alert.device-fault" && a["subject"] == "receipt-1")
                .cloned()
        })
        .await;

        eventually(
            Duration::from_secs(10),
            "the fault in the heartbeat",
            || async {
                let agent = admin.get(&format!("/api/edge/agents/{EDGE}")).await.json();
                let devices = agent["heartbeat"]["devices"].as_array()?.clone();
                devices
                    .iter()
                    .find(|d| d["id"] == "receipt-1" && d["healthy"] == false)
                    .cloned()
            },
        )
        .await;

        // Nothing stored at the host holds the whole ID number.
        let pool = app.host.state.store.pool().clone();
        let rows: Vec<(Option<String>, String)> =
            sqlx::query_as("SELECT subject, data FROM edge_events WHERE agent_id = $1")
                .bind(EDGE)
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(rows.len() >= 8, "{} events", rows.len());
        for (subject, data) in &rows {
            assert!(
                !data.contains(ID) && !subject.as_deref().unwrap_or("").contains(ID),
                "{data}"
            );
            assert!(
                !data.contains("张三") && !data.contains("李四光"),
                "no names upstream: {data}"
            );
        }
        drop(agent);
        host.stop().await;
    }
}
