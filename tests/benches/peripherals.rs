//! Latency from a key press on the rating keypad to the stored rating at
//! the host, in the simulated setup: the firmware image in QEMU, its link
//! UART on a pseudo-terminal opened by a real agent process, the host with
//! its embedded broker and SQLite. Baseline, same run: the same key press to
//! the rating frame read straight off the link UART (firmware and QEMU
//! alone), so the difference is what the agent, MQTT and the database add.
//!
//! The same presses also go through the device layer and the wasm `rating`
//! plugin to a 好差评 record, measured against the agent's own event.
//!
//! `cargo xtask firmware && cargo bench -p bantong-tests --bench
//! peripherals`; without `--bench`, five presses as a smoke test.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use bantong_tests::db::Backend;
use bantong_tests::edge::{
    BrokerKind, Installation, deploy_edge_plugin, events_of_kind, eventually,
};
use bantong_tests::firmware::{
    LinkPort, Qemu, agent_with_controller, connect, firmware_image, link_port,
};
use bantong_wire::{Decoder, Frame, Message};

const AGENT: &str = env!("CARGO_BIN_EXE_edge-under-test");

/// Reads and drops what the firmware writes to its local line: QEMU holds
/// the emulated UART when nobody reads its socket, which would stall the
/// firmware.
fn drain(local: &std::os::unix::net::UnixStream) {
    let mut reader = local.try_clone().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return,
            }
        }
    });
}

fn median_p95(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

/// Key → rating frame on the link socket, firmware and QEMU only.
fn firmware_only(image: &std::path::Path, presses: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let (link_path, local_path) = (dir.path().join("link.sock"), dir.path().join("local.sock"));
    let _qemu = Qemu::start(image, &LinkPort::Socket(link_path.clone()), &local_path);
    let mut link = connect(&link_path);
    let mut local = connect(&local_path);
    drain(&local);
    link.set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    // Wait until the firmware runs: ask until it answers.
    let booted = Instant::now();
    let mut answered = false;
    while !answered {
        assert!(
            booted.elapsed() < Duration::from_secs(20),
            "firmware silent"
        );
        let mut query = [0u8; bantong_wire::MAX_FRAME];
        let n = bantong_wire::encode_frame(
            &Frame {
                seq: 1,
                message: Message::Query,
            },
            &mut query,
        )
        .unwrap();
        link.write_all(&query[..n]).unwrap();
        let until = Instant::now() + Duration::from_millis(200);
        while Instant::now() < until && !answered {
            let Ok(n) = link.read(&mut buf) else { continue };
            answered = buf[..n].iter().any(|&b| {
                matches!(decoder.push(b), Some(Ok(body)) if matches!(Frame::decode(body), Ok(Frame { message: Message::DeviceInfo { .. }, .. })))
            });
        }
    }
    for i in 0..presses {
        std::thread::sleep(Duration::from_millis(50));
        let key = if i % 2 == 0 { b'4' } else { b'5' };
        let start = Instant::now();
        local.write_all(&[key]).unwrap();
        'wait: loop {
            assert!(start.elapsed() < Duration::from_secs(10), "no rating frame");
            let Ok(n) = link.read(&mut buf) else { continue };
            for &b in &buf[..n] {
                if let Some(Ok(body)) = decoder.push(b)
                    && let Ok(Frame {
                        message: Message::Rating { .. },
                        ..
                    }) = Frame::decode(body)
                {
                    out.push(start.elapsed().as_secs_f64() * 1000.0);
                    break 'wait;
                }
            }
        }
    }
    out
}

async fn count(app: &bantong_tests::app::TestApp, kind: &str) -> usize {
    events_of_kind(app, "lat-edge", kind).await.len()
}

/// Key → `peripheral.rating` row at the host, through the agent (the
/// agent's own event), and key → `haocha.rating` row (the same press
/// through the device layer and the wasm `rating` plugin), per press.
async fn through_the_agent(image: &std::path::Path, presses: usize) -> (Vec<f64>, Vec<f64>) {
    let Installation {
        app, host, admin, ..
    } = Installation::start(Backend::Sqlite, BrokerKind::Embedded, &["hall-a"]).await;
    let dir = app.db.dir.path().to_path_buf();
    let (stable, local_path) = (dir.join("tty-hub"), dir.join("local.sock"));
    let qemu = Qemu::start(image, &LinkPort::Pty, &local_path);
    link_port(&stable, &qemu);
    let mut local = connect(&local_path);
    drain(&local);
    let mut agent = agent_with_controller(
        AGENT,
        &admin,
        &host.url(),
        dir.join("agent"),
        "hall-a",
        "lat-edge",
        &stable,
    )
    .await;
    eventually(Duration::from_secs(30), "the controller online", || async {
        (!events_of_kind(&app, "lat-edge", "peripheral.online")
            .await
            .is_empty())
        .then_some(())
    })
    .await;
    deploy_edge_plugin(&app, &admin, "lat-edge", "rating", serde_json::json!({})).await;
    let (mut native, mut plugin) = (Vec::new(), Vec::new());
    for i in 0..presses {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let before = (
            count(&app, "peripheral.rating").await,
            count(&app, "haocha.rating").await,
        );
        let key = if i % 2 == 0 { b'4' } else { b'5' };
        let start = Instant::now();
        local.write_all(&[key]).unwrap();
        let (mut at_native, mut at_plugin) = (None, None);
        while at_native.is_none() || at_plugin.is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "rating not stored"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            if at_native.is_none() && count(&app, "peripheral.rating").await > before.0 {
                at_native = Some(ms);
            }
            if at_plugin.is_none() && count(&app, "haocha.rating").await > before.1 {
                at_plugin = Some(ms);
            }
        }
        native.extend(at_native);
        plugin.extend(at_plugin);
    }
    agent.kill9();
    drop(qemu);
    host.stop().await;
    (native, plugin)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let Some(image) = firmware_image() else {
        return;
    };
    let presses = if full { 60 } else { 5 };
    let floor = firmware_only(&image, presses);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (end_to_end, plugin) = rt.block_on(through_the_agent(&image, presses));
    let (m, p) = median_p95(end_to_end);
    let (fm, fp) = median_p95(floor);
    let (pm, pp) = median_p95(plugin);
    println!("| benchmark | measured | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| key press → stored rating at the host, {presses} presses (QEMU firmware → pty → agent → embedded MQTT → SQLite) | median {m:.1} ms, p95 {p:.1} ms | key → rating frame on the link UART: median {fm:.1} ms, p95 {fp:.1} ms | {:.1} |",
        m / fm.max(0.001)
    );
    println!(
        "| key press → stored 好差评 record through the device layer and the wasm `rating` plugin, same presses | median {pm:.1} ms, p95 {pp:.1} ms | the agent's own `peripheral.rating` of the same press: median {m:.1} ms, p95 {p:.1} ms | {:.2} |",
        pm / m.max(0.001)
    );
}
