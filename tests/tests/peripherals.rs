//! The firmware image in QEMU with its link UART on a pseudo-terminal that
//! a real edge agent process opens as a serial port: a key press on the
//! keypad reaches the host as a 好差评 rating event; a call from the host
//! reaches the display; when the controller goes away the host gets an
//! alert, and when it is back the agent reconnects by itself.

use std::io::Write;
use std::time::Duration;

use bantong_tests::edge::{
    BrokerKind, Installation, deploy_edge_plugin, events_of_kind, eventually,
};
use bantong_tests::firmware::{
    LinkPort, Qemu, agent_with_controller, connect, expect_text, firmware_image, link_port,
};
use serde_json::{Value, json};

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");

async fn events(app: &bantong_tests::app::TestApp, kind: &str) -> Vec<Value> {
    events_of_kind(app, "kiosk-edge", kind).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_calls_and_a_lost_controller_through_the_agent() {
    let Some(image) = firmware_image() else {
        return;
    };
    let Installation {
        app, host, admin, ..
    } = Installation::start(
        bantong_tests::db::Backend::Sqlite,
        BrokerKind::Embedded,
        &["hall-a"],
    )
    .await;
    let dir = app.db.dir.path().to_path_buf();
    let (stable, local_path) = (dir.join("tty-hub"), dir.join("local.sock"));
    let qemu = Qemu::start(&image, &LinkPort::Pty, &local_path);
    link_port(&stable, &qemu);
    let mut local = connect(&local_path);

    let mut agent = agent_with_controller(
        AGENT,
        &admin,
        &host.url(),
        dir.join("agent"),
        "hall-a",
        "kiosk-edge",
        &stable,
    )
    .await;
    eventually(Duration::from_secs(30), "the controller online", || async {
        (!events(&app, "peripheral.online").await.is_empty()).then_some(())
    })
    .await;

    // A citizen presses 5 (非常满意): a rating event at the host.
    local.write_all(b"5").unwrap();
    let rating = eventually(
        Duration::from_secs(30),
        "the rating at the host",
        || async { events(&app, "peripheral.rating").await.pop() },
    )
    .await;
    assert_eq!(rating["data"]["score"], 5, "{rating}");
    assert_eq!(rating["data"]["level"], "非常满意");
    assert_eq!(rating["subject"], "hub-1");
    // Key presses themselves never leave the box.
    assert!(events(&app, "peripheral.key").await.is_empty());

    // The host calls ticket 12 to window 3: the display shows it.
    let reply = admin
        .post(
            "/api/edge/agents/kiosk-edge/commands",
            json!({ "name": "peripheral.call",
                    "args": { "controller": "hub-1", "number": 12, "window": 3 } }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.json());
    assert_eq!(reply.json()["ok"], true, "{}", reply.json());
    expect_text(&mut local, "请 0012 号到 3 号窗口");
    let unknown = admin
        .post(
            "/api/edge/agents/kiosk-edge/commands",
            json!({ "name": "peripheral.call",
                    "args": { "controller": "hub-9", "number": 1, "window": 1 } }),
        )
        .await
        .json();
    assert_eq!(unknown["ok"], false, "{unknown}");

    // The same keypad and display as devices: the rating plugin, deployed
    // from the host, turns the firmware's key into a 好差评 record about the
    // service the keypad was armed with; the display shows a queue call.
    deploy_edge_plugin(
        &app,
        &admin,
        "kiosk-edge",
        "rating",
        json!({ "hall": "hall-a" }),
    )
    .await;
    let device = |name: &str, args: Value| {
        admin.post(
            "/api/edge/agents/kiosk-edge/commands",
            json!({ "name": name, "args": args, "timeout_ms": 10_000 }),
        )
    };
    let shown = device(
        "device.execute",
        json!({ "device": "display-1", "op": "call", "args": { "number": "A012", "window": 3 } }),
    )
    .await
    .json();
    assert_eq!(shown["ok"], true, "{shown}");
    expect_text(&mut local, "请A012号到3号窗口");
    let armed = device(
        "device.execute",
        json!({ "device": "keypad-1", "op": "prompt",
                "args": { "context": { "window": 3, "ticket": "A012", "item": "market-access" } } }),
    )
    .await
    .json();
    assert_eq!(armed["ok"], true, "{armed}");
    expect_text(&mut local, "请您对本次服务进行评价");
    local.write_all(b"4").unwrap();
    let record = eventually(Duration::from_secs(30), "the 好差评 record", || async {
        events(&app, "haocha.rating").await.pop()
    })
    .await;
    assert_eq!(
        (
            record["data"]["ticket"].as_str(),
            record["data"]["window"].as_u64()
        ),
        (Some("A012"), Some(3)),
        "{record}"
    );
    assert_eq!(record["data"]["level"], "满意");
    assert_eq!(record["data"]["prompted"], true);

    // The controller goes away: an alert at the host.
    drop(local);
    drop(qemu);
    let alert = eventually(Duration::from_secs(40), "the offline alert", || async {
        let items = admin.get("/api/edge/alerts?hall=hall-a").await.json()["items"].clone();
        items.as_array().and_then(|a| {
            a.iter()
                .find(|x| x["kind"] == "alert.peripheral-offline")
                .cloned()
        })
    })
    .await;
    assert_eq!(alert["subject"], "hub-1", "{alert}");

    // It comes back on a new pseudo-terminal behind the same name: the agent
    // reconnects and ratings flow again.
    let qemu = Qemu::start(&image, &LinkPort::Pty, &local_path);
    link_port(&stable, &qemu);
    let mut local = connect(&local_path);
    eventually(
        Duration::from_secs(30),
        "the controller online again",
        || async { (events(&app, "peripheral.online").await.len() >= 2).then_some(()) },
    )
    .await;
    local.write_all(b"2").unwrap();
    eventually(
        Duration::from_secs(30),
        "a rating after reconnecting",
        || async {
            events(&app, "peripheral.rating")
                .await
                .iter()
                .any(|e| e["data"]["score"] == 2)
                .then_some(())
        },
    )
    .await;
    agent.kill9();
    host.stop().await;
}
