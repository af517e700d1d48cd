//! The peripheral-controller firmware image running in QEMU's
//! `lm3s6965evb`, its two UARTs on Unix sockets: the link (wire protocol)
//! answers a query with its device info, even after line noise; a key
//! pressed on the keypad line arrives as a key press and a 好差评 rating;
//! a call reaches the display line and is acknowledged; heartbeats come
//! from the SysTick clock.
//!
//! Needs `qemu-system-arm` and the image (`cargo xtask firmware`); `cargo
//! xtask ci` provides both and sets `BANTONG_TEST_FIRMWARE_IMAGE`. Without them
//! the test says so and passes only outside CI.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use bantong_tests::firmware::{LinkPort, Qemu, connect, expect_text, firmware_image};
use bantong_wire::{Decoder, DeviceClass, Frame, MAX_FRAME, Message, Rating, encode_frame};

/// Reads frames from the link until `want` matches one (or 40 s pass).
fn expect_frame(
    link: &mut UnixStream,
    decoder: &mut Decoder,
    what: &str,
    want: impl Fn(&Frame<'_>) -> bool,
) {
    // Generous: an emulated clock on a loaded machine runs slow.
    let deadline = Instant::now() + Duration::from_secs(40);
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
    panic!("no {what} within 40 s; saw {seen:?}");
}

fn send(link: &mut UnixStream, seq: u8, message: Message<'_>) {
    let mut buf = [0u8; MAX_FRAME];
    let n = encode_frame(&Frame { seq, message }, &mut buf).unwrap();
    link.write_all(&buf[..n]).unwrap();
}

#[test]
fn firmware_talks_the_wire_protocol_in_qemu() {
    let Some(image) = firmware_image() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (link_path, local_path) = (dir.path().join("link.sock"), dir.path().join("local.sock"));
    let _qemu = Qemu::start(&image, &LinkPort::Socket(link_path.clone()), &local_path);
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
