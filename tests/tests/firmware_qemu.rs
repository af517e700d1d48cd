//! The peripheral-controller firmware image running in QEMU's
//! `lm3s6965evb`, its two UARTs on Unix sockets: the link (wire protocol)
//! answers a query with its device info, even after line noise; a key
//! pressed on the keypad line arrives as a key press and a 好差评 rating;
//! a call reaches the display line and is acknowledged; heartbeats come
//! from the SysTick clock.
//!
//! Needs `qemu-system-arm` and the image (`cargo xtask firmware`); `cargo
//! xtask ci` provides both and sets `BANTONG_FIRMWARE_IMAGE`. Without them
//! the test says so and passes only outside CI.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bantong_wire::{Decoder, DeviceClass, Frame, MAX_FRAME, Message, Rating, encode_frame};

struct Qemu(Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn image() -> Option<PathBuf> {
    let path = std::env::var_os("BANTONG_FIRMWARE_IMAGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            bantong_tests::app::repo_root()
                .join("firmware/lm3s6965/target/thumbv7m-none-eabi/release/bantong-firmware")
        });
    let qemu = Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if path.exists() && qemu {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the firmware test: image {} present: {}, qemu-system-arm: {qemu}",
        path.display(),
        path.exists()
    );
    eprintln!("skipped: run `cargo xtask firmware` and install qemu-system-arm");
    None
}

fn connect(path: &std::path::Path) -> UnixStream {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match UnixStream::connect(path) {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                return s;
            }
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "QEMU socket {}: {e}",
                    path.display()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Reads frames from the link until `want` matches one (or 15 s pass).
fn expect_frame(
    link: &mut UnixStream,
    decoder: &mut Decoder,
    what: &str,
    want: impl Fn(&Frame<'_>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        let n = match link.read(&mut buf) {
            Ok(0) => panic!("the link closed"),
            Ok(n) => n,
            Err(_) => continue,
        };
        for &b in &buf[..n] {
            if let Some(Ok(body)) = decoder.push(b) {
                let frame = Frame::decode(body).unwrap();
                if want(&frame) {
                    return;
                }
                seen.push(format!("{frame:?}"));
            }
        }
    }
    panic!("no {what} within 15 s; saw {seen:?}");
}

/// Reads the local line until it contains `text`.
fn expect_text(local: &mut UnixStream, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        if let Ok(n) = local.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
            if String::from_utf8_lossy(&got).contains(text) {
                return;
            }
        }
    }
    panic!(
        "{text:?} not shown; got {:?}",
        String::from_utf8_lossy(&got)
    );
}

fn send(link: &mut UnixStream, seq: u8, message: Message<'_>) {
    let mut buf = [0u8; MAX_FRAME];
    let n = encode_frame(&Frame { seq, message }, &mut buf).unwrap();
    link.write_all(&buf[..n]).unwrap();
}

#[test]
fn firmware_talks_the_wire_protocol_in_qemu() {
    let Some(image) = image() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (link_path, local_path) = (dir.path().join("link.sock"), dir.path().join("local.sock"));
    let serial = |p: &PathBuf| format!("unix:{},server=on,wait=off", p.display());
    let _qemu = Qemu(
        Command::new("qemu-system-arm")
            .args(["-cpu", "cortex-m3", "-machine", "lm3s6965evb"])
            .args(["-nographic", "-monitor", "none"])
            .arg("-kernel")
            .arg(&image)
            .arg("-serial")
            .arg(serial(&link_path))
            .arg("-serial")
            .arg(serial(&local_path))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("qemu-system-arm starts"),
    );
    let mut link = connect(&link_path);
    let mut local = connect(&local_path);
    let mut decoder = Decoder::new();

    // Line noise first, then a query: answered with the device info.
    link.write_all(&[0x13, 0x37, 0xff, 0x42, 0x00, 0x99])
        .unwrap();
    send(&mut link, 21, Message::Query);
    expect_frame(&mut link, &mut decoder, "device info", |f| {
        f.seq == 21
            && matches!(
                f.message,
                Message::DeviceInfo {
                    class: DeviceClass::Hub,
                    firmware: [0, 1, 0],
                    ..
                }
            )
    });

    // A citizen presses 4 (满意) on the keypad.
    local.write_all(b"4").unwrap();
    expect_frame(&mut link, &mut decoder, "the rating", |f| {
        matches!(
            f.message,
            Message::Rating {
                rating: Rating::Satisfied,
                ..
            }
        )
    });

    // A call reaches the display and is acknowledged.
    send(
        &mut link,
        22,
        Message::CallNumber {
            device: 0,
            number: 12,
            window: 3,
        },
    );
    expect_text(&mut local, "请 0012 号到 3 号窗口");
    expect_frame(&mut link, &mut decoder, "the ack", |f| {
        f.seq == 22 && f.message == Message::Ack
    });

    // The SysTick clock drives heartbeats.
    expect_frame(&mut link, &mut decoder, "a heartbeat", |f| {
        matches!(f.message, Message::Heartbeat { .. })
    });
}
