//! The camera-watch edge plugin on simulated cameras: a signed package
//! verified and run by the agent's plugin runner, alerts with JPEG
//! snapshots in the outbox, recalibration instead of alerts when the
//! lights switch, and altered or unsigned packages refused.

use std::sync::{Arc, Mutex};

use bantong_edge::camera::{CameraSource, QUEUE_ZONE, SEAT, Scene, SimulatedCamera};
use bantong_edge::outbox::{Outbox, OutboxConfig};
use bantong_edge::plugins::{Loader, RunningPlugin};
use bantong_edge::sink::EventSink;
use bantong_fabric::msg::Event;
use bantong_manifest::{Manifest, Package, TrustedKeys, keygen};
use bantong_runtime::edge::EdgeRuntime;
use bantong_tests::app::{repo_root, wasm_dir};
use serde_json::json;
use tokio::sync::Notify;

fn package(sign: bool) -> (Vec<u8>, TrustedKeys) {
    let text =
        std::fs::read_to_string(repo_root().join("plugins/camera-watch/manifest.toml")).unwrap();
    let manifest = Manifest::parse(&text).unwrap();
    let wasm = std::fs::read(wasm_dir().join("bantong_camera_watch.wasm"))
        .expect("run `cargo xtask wasm` first");
    let (key, public) = keygen();
    let mut p = Package::new(manifest, wasm).unwrap();
    if sign {
        p.sign(&key);
    }
    (
        p.encode(),
        TrustedKeys::from_text(&public.to_text()).unwrap(),
    )
}

fn config() -> String {
    json!({
        "cameras": {
            "cam-1": { "regions": [
                { "id": "window-3", "kind": "seat", "rect": SEAT, "unattended_after_s": 5 },
                { "id": "queue", "kind": "zone", "rect": QUEUE_ZONE, "person_share": 0.047,
                  "crowd_threshold": 6, "crowd_after_s": 3 }
            ]}
        }
    })
    .to_string()
}

fn events(outbox: &Mutex<Outbox>) -> Vec<Event> {
    outbox
        .lock()
        .unwrap()
        .read_from(1, 100_000, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, json)| serde_json::from_slice(&json).unwrap())
        .collect()
}

async fn run_scene(scene: Scene, seconds: u32) -> Vec<Event> {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Arc::new(Mutex::new(
        Outbox::open(dir.path(), OutboxConfig::default()).unwrap(),
    ));
    let sink = EventSink::start(outbox.clone(), Arc::new(Notify::new()));
    let runtime = EdgeRuntime::new().unwrap();
    let (bytes, trusted) = package(true);
    let mut plugin =
        RunningPlugin::start(&runtime, &Loader::InProcess, &bytes, &trusted, &config())
            .await
            .unwrap();
    assert_eq!(plugin.id, "camera-watch");
    plugin.health().await.unwrap();
    let fps = 5.0;
    let mut cam = SimulatedCamera::new("cam-1", scene, fps, 1_700_000_000_000);
    for _ in 0..(seconds as f32 * fps) as usize {
        let frame = Arc::new(cam.next_frame().unwrap());
        plugin.frame(frame, &sink).await.unwrap();
    }
    // The periodic tick: the first one sends the region summary.
    plugin.timer(1_800_000_000_000, &sink).await.unwrap();
    plugin.timer(1_800_000_001_000, &sink).await.unwrap();
    assert_eq!(plugin.failures, 0);
    events(&outbox)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_window_and_a_crowded_queue_raise_alerts_with_snapshots() {
    let events = run_scene(Scene::GrowingQueue, 60).await;
    let alerts: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind.starts_with("alert."))
        .collect();
    let kinds: Vec<&str> = alerts.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["alert.window-unattended", "alert.crowding"],
        "{kinds:?}"
    );
    let unattended = alerts[0];
    assert_eq!(unattended.subject.as_deref(), Some("cam-1/window-3"));
    assert_eq!(unattended.source, "camera-watch");
    // The clerk leaves at 20 s; the alert comes after 5 s of empty seat.
    assert!(unattended.data["empty_s"].as_i64().unwrap() >= 5);
    assert!(alerts[1].data["people"].as_i64().unwrap() >= 6);
    let snapshot = unattended
        .attachment
        .as_ref()
        .expect("a snapshot")
        .bytes()
        .unwrap();
    assert_eq!(&snapshot[..3], &[0xff, 0xd8, 0xff], "JPEG");
    // The queue count rises to the 12 people the scene shows.
    let counts: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == "zone.count")
        .map(|e| e.data["people"].as_i64().unwrap())
        .collect();
    assert_eq!(counts.first(), Some(&0));
    assert_eq!(counts.last(), Some(&12), "{counts:?}");
    assert!(counts.windows(2).all(|w| w[1] >= w[0]), "{counts:?}");
    // The summary after the scene: the window left unattended, twelve
    // people in a crowded queue. One summary per interval, not per tick.
    let summaries: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == "watch.summary")
        .collect();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    let regions = &summaries[0].data["cameras"]["cam-1"]["regions"];
    assert_eq!(
        regions[0],
        serde_json::json!({ "id": "window-3", "kind": "seat", "occupied": false, "staffed": true, "unattended": true })
    );
    assert_eq!(
        regions[1],
        serde_json::json!({ "id": "queue", "kind": "zone", "people": 12, "crowded": true })
    );
    // Only the alerts carry pixels.
    assert_eq!(
        events.iter().filter(|e| e.attachment.is_some()).count(),
        alerts.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seated_clerk_raises_nothing_and_lights_recalibrate() {
    let seated = run_scene(Scene::ClerkSeated, 30).await;
    let summary = seated
        .iter()
        .find(|e| e.kind == "watch.summary")
        .expect("a summary");
    assert_eq!(
        summary.data["cameras"]["cam-1"]["regions"][0]["occupied"], true,
        "{summary:?}"
    );
    assert!(
        seated.iter().all(|e| !e.kind.starts_with("alert.")),
        "{seated:?}"
    );
    let lights = run_scene(Scene::Lights, 45).await;
    assert!(
        lights.iter().all(|e| !e.kind.starts_with("alert.")),
        "no alert when the lights switch"
    );
    let recalibrations = lights
        .iter()
        .filter(|e| e.kind == "camera.recalibrated")
        .count();
    assert_eq!(recalibrations, 4, "lights switched at 10, 20, 30 and 40 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_or_unsigned_packages_never_run() {
    let runtime = EdgeRuntime::new().unwrap();
    let (mut bytes, trusted) = package(true);
    let last = bytes.len() - 100;
    bytes[last] ^= 0x55;
    let altered =
        RunningPlugin::start(&runtime, &Loader::InProcess, &bytes, &trusted, &config()).await;
    assert!(altered.is_err(), "altered artefact refused");
    let (unsigned, trusted) = package(false);
    let unsigned =
        RunningPlugin::start(&runtime, &Loader::InProcess, &unsigned, &trusted, &config()).await;
    assert!(unsigned.is_err(), "unsigned artefact refused");
    let (other, _) = package(true);
    let (_, someone_else) = package(true);
    assert!(
        RunningPlugin::start(
            &runtime,
            &Loader::InProcess,
            &other,
            &someone_else,
            &config()
        )
        .await
        .is_err()
    );
    let (ok, trusted) = package(true);
    let bad_config = RunningPlugin::start(
        &runtime,
        &Loader::InProcess,
        &ok,
        &trusted,
        "{\"width\": 0}",
    )
    .await;
    assert!(
        bad_config.is_err(),
        "a config the plugin refuses fails the start"
    );
}
