//! Frames decoded per second by `bantong_wire::Decoder` + `Frame::decode`,
//! against the same bytes' CRC-16 alone (the floor of any checked decoder)
//! measured in the same run. `cargo bench -p bantong-wire`; without
//! `--bench` (as `cargo test --all-targets` runs it) a small smoke size.

use std::hint::black_box;
use std::time::Instant;

use bantong_wire::{Decoder, Frame, MAX_FRAME, Message, Rating, crc16, encode_frame};

fn stream(frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; MAX_FRAME];
    for i in 0..frames {
        let message = match i % 4 {
            0 => Message::Rating {
                device: 1,
                rating: Rating::Satisfied,
            },
            1 => Message::Heartbeat { uptime_s: i as u32 },
            2 => Message::CallNumber {
                device: 0,
                number: i as u16,
                window: 3,
            },
            _ => Message::ShowText {
                device: 0,
                line: 1,
                text: "请 0012 号到 3 号窗口办理",
            },
        };
        let n = encode_frame(
            &Frame {
                seq: i as u8,
                message,
            },
            &mut buf,
        )
        .unwrap_or(0);
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let frames = if full { 1_000_000 } else { 10_000 };
    let bytes = stream(frames);
    let rounds = if full { 5 } else { 1 };
    let mut best_decode = f64::MAX;
    let mut best_crc = f64::MAX;
    for _ in 0..rounds {
        let start = Instant::now();
        let mut decoder = Decoder::new();
        let mut ok = 0usize;
        for &b in &bytes {
            if let Some(Ok(body)) = decoder.push(b)
                && Frame::decode(body).is_ok()
            {
                ok += 1;
            }
        }
        best_decode = best_decode.min(start.elapsed().as_secs_f64());
        assert_eq!(ok, frames, "every frame decodes");
        let start = Instant::now();
        black_box(crc16(black_box(&bytes)));
        best_crc = best_crc.min(start.elapsed().as_secs_f64());
    }
    let fps = frames as f64 / best_decode;
    let crc_fps = frames as f64 / best_crc;
    println!("| benchmark | measured | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| wire frames decoded/s ({} frames, {:.1} MB, one core) | {fps:.0}/s ({:.0} MB/s) | {crc_fps:.0}/s CRC-16 alone over the same bytes | {:.2} |",
        frames,
        bytes.len() as f64 / 1e6,
        bytes.len() as f64 / best_decode / 1e6,
        fps / crc_fps
    );
}
