//! What a Bantong peripheral controller does, apart from its hardware: the
//! wire protocol towards the edge agent, the rating keypad, the queue call
//! display and the ticket-printer bridge. [`Controller`] is a pure state
//! machine (STYLE 7): it takes bytes, key presses and the time, and returns
//! what to send. Around it, drivers generic over the `embedded-hal` and
//! `embedded-io` traits (STYLE 8): a debounced [`Keypad`] on input pins
//! (or [`SerialKeys`] on a line), the agent's [`LinkPort`], the display's
//! [`LocalPort`], and the [`EventLoop`] that owns them. A board crate only
//! implements the traits for its registers; nothing here touches one, so
//! every rule is tested on the host against small fakes.
#![cfg_attr(not(test), no_std)]

mod bounded_write;
mod event_loop;
pub mod keypad;
pub mod link;
pub mod local;
#[cfg(test)]
mod mock;

pub use bounded_write::{Sent, TX_SPINS, write_bounded};
pub use event_loop::{EventLoop, KEYS_PER_POLL, LINK_BYTES_PER_POLL};
pub use keypad::{ActiveLevel, KeySource, Keypad, SerialKeys};
pub use link::{LinkPort, LinkStats};
pub use local::LocalPort;

use bantong_wire::{
    Decoder, DeviceClass, ErrorCode, Frame, MAX_BODY, MAX_FRAME, Message, Rating, encode_frame,
};

/// Firmware version reported in `DeviceInfo`.
pub const FIRMWARE: [u8; 3] = [0, 1, 0];

/// Milliseconds between heartbeats.
pub const HEARTBEAT_MS: u64 = 5_000;

/// A key must stay quiet this long before it counts again (contact bounce
/// and double presses).
pub const DEBOUNCE_MS: u64 = 300;

/// Bytes of one wire frame, ready for the link UART.
#[derive(Clone, Copy)]
pub struct Wire {
    bytes: [u8; MAX_FRAME],
    len: usize,
}

impl Wire {
    /// Encodes `message` with sequence number `seq`.
    fn encode(seq: u8, message: Message<'_>) -> Wire {
        let mut wire = Wire {
            bytes: [0; MAX_FRAME],
            len: 0,
        };
        // Every message this controller sends fits a frame.
        wire.len = encode_frame(&Frame { seq, message }, &mut wire.bytes).unwrap_or(0);
        wire
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Text for the local display or printer, ready for its UART.
#[derive(Clone, Copy)]
pub struct Line {
    bytes: [u8; 128],
    len: usize,
}

impl Line {
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn new(parts: &[&[u8]]) -> Line {
        let mut line = Line {
            bytes: [0; 128],
            len: 0,
        };
        for part in parts {
            for &b in *part {
                if line.len < line.bytes.len() {
                    line.bytes[line.len] = b;
                    line.len += 1;
                }
            }
        }
        line
    }
}

/// What the board should do after a step.
#[derive(Clone, Copy)]
pub enum Output {
    /// Send this frame to the edge agent.
    Link(Wire),
    /// Show (or print) this on the local device line.
    Local(Line),
}

/// At most this many outputs per step.
pub const MAX_OUTPUTS: usize = 4;

/// Outputs of one step.
pub struct Outputs {
    items: [Option<Output>; MAX_OUTPUTS],
}

impl Outputs {
    fn new() -> Outputs {
        Outputs {
            items: [None; MAX_OUTPUTS],
        }
    }

    fn push(&mut self, output: Output) {
        if let Some(slot) = self.items.iter_mut().find(|s| s.is_none()) {
            *slot = Some(output);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Output> {
        self.items.iter().flatten()
    }
}

/// The controller's state.
pub struct Controller {
    class: DeviceClass,
    serial: u32,
    decoder: Decoder,
    seq: u8,
    last_heartbeat: u64,
    last_key: Option<(u8, u64)>,
    /// The number the display shows.
    pub calling: Option<(u16, u8)>,
}

impl Controller {
    pub fn new(class: DeviceClass, serial: u32) -> Controller {
        Controller {
            class,
            serial,
            decoder: Decoder::new(),
            seq: 0,
            last_heartbeat: 0,
            last_key: None,
            calling: None,
        }
    }

    fn next_seq(&mut self) -> u8 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn frame(seq: u8, message: Message<'_>) -> Output {
        Output::Link(Wire::encode(seq, message))
    }

    fn info(&self, seq: u8) -> Output {
        Self::frame(
            seq,
            Message::DeviceInfo {
                class: self.class,
                firmware: FIRMWARE,
                serial: self.serial,
            },
        )
    }

    /// After reset: introduce ourselves.
    pub fn boot(&mut self, now_ms: u64) -> Outputs {
        self.last_heartbeat = now_ms;
        let mut out = Outputs::new();
        let seq = self.next_seq();
        out.push(self.info(seq));
        out.push(Output::Local(Line::new(&[
            "bantong controller ready\r\n".as_bytes()
        ])));
        out
    }

    /// The clock moved: heartbeat when due.
    pub fn tick(&mut self, now_ms: u64) -> Outputs {
        let mut out = Outputs::new();
        if now_ms.saturating_sub(self.last_heartbeat) >= HEARTBEAT_MS {
            self.last_heartbeat = now_ms;
            let seq = self.next_seq();
            out.push(Self::frame(
                seq,
                Message::Heartbeat {
                    uptime_s: u32::try_from(now_ms / 1000).unwrap_or(u32::MAX),
                },
            ));
        }
        out
    }

    /// A byte from the keypad: keys `1`–`5` rate the service (5 best).
    /// Other keys are reported as key presses only.
    pub fn key(&mut self, key: u8, now_ms: u64) -> Outputs {
        let mut out = Outputs::new();
        if key == b'\r' || key == b'\n' {
            return out;
        }
        if let Some((last, at)) = self.last_key
            && last == key
            && now_ms.saturating_sub(at) < DEBOUNCE_MS
        {
            return out;
        }
        self.last_key = Some((key, now_ms));
        let seq = self.next_seq();
        out.push(Self::frame(seq, Message::KeyPressed { device: 0, key }));
        if let Some(rating) = key.checked_sub(b'0').and_then(Rating::from_score) {
            let seq = self.next_seq();
            out.push(Self::frame(seq, Message::Rating { device: 0, rating }));
            out.push(Output::Local(Line::new(&[
                "rated ".as_bytes(),
                &[key],
                "\r\n".as_bytes(),
            ])));
        }
        out
    }

    /// A byte from the agent's link; at the end of a frame, its answer.
    pub fn link(&mut self, byte: u8) -> Outputs {
        let mut out = Outputs::new();
        let Some(result) = self.decoder.push(byte) else {
            return out;
        };
        let Ok(received) = result else {
            return out; // noise: nothing to answer, the sender will retry
        };
        // Copied out of the decoder, so answering may use `self`.
        let mut copy = [0u8; MAX_BODY];
        let len = received.len().min(MAX_BODY);
        copy[..len].copy_from_slice(&received[..len]);
        let body = &copy[..len];
        let seq = body.get(2).copied().unwrap_or(0);
        let frame = match Frame::decode(body) {
            Ok(frame) => frame,
            Err(e) => {
                let code = match e {
                    bantong_wire::DecodeError::Version(_) => ErrorCode::Version,
                    bantong_wire::DecodeError::UnknownKind(_) => ErrorCode::UnknownKind,
                    _ => ErrorCode::Malformed,
                };
                out.push(Self::frame(seq, Message::Error { code }));
                return out;
            }
        };
        match frame.message {
            Message::Query => out.push(self.info(frame.seq)),
            Message::ShowText { text, .. } => {
                out.push(Output::Local(Line::new(&[
                    "display: ".as_bytes(),
                    text.as_bytes(),
                    "\r\n".as_bytes(),
                ])));
                out.push(Self::frame(frame.seq, Message::Ack));
            }
            Message::CallNumber { number, window, .. } => {
                self.calling = Some((number, window));
                let mut digits = [b'0'; 4];
                let mut n = number;
                for d in digits.iter_mut().rev() {
                    *d = b'0' + (n % 10) as u8;
                    n /= 10;
                }
                let w = [b'0' + (window / 10) % 10, b'0' + window % 10];
                out.push(Output::Local(Line::new(&[
                    "请 ".as_bytes(),
                    &digits,
                    " 号到 ".as_bytes(),
                    if w[0] == b'0' { &w[1..] } else { &w[..] },
                    " 号窗口\r\n".as_bytes(),
                ])));
                out.push(Self::frame(frame.seq, Message::Ack));
            }
            Message::PrintTicket { text, .. } => {
                if self.class == DeviceClass::Hub || self.class == DeviceClass::TicketPrinter {
                    out.push(Output::Local(Line::new(&[
                        "print: ".as_bytes(),
                        text.as_bytes(),
                        "\r\n".as_bytes(),
                    ])));
                    out.push(Self::frame(frame.seq, Message::Ack));
                } else {
                    out.push(Self::frame(
                        frame.seq,
                        Message::Error {
                            code: ErrorCode::Device,
                        },
                    ));
                }
            }
            // Acks, errors and device-side messages from the agent: nothing to do.
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(out: &Outputs) -> Vec<Vec<u8>> {
        out.iter()
            .filter_map(|o| match o {
                Output::Link(w) => Some(w.as_bytes().to_vec()),
                Output::Local(_) => None,
            })
            .collect()
    }

    fn lines(out: &Outputs) -> Vec<String> {
        out.iter()
            .filter_map(|o| match o {
                Output::Local(l) => Some(String::from_utf8_lossy(l.as_bytes()).into_owned()),
                Output::Link(_) => None,
            })
            .collect()
    }

    fn messages(bytes: &[Vec<u8>]) -> Vec<(u8, String)> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for b in bytes.iter().flatten() {
            if let Some(Ok(body)) = d.push(*b) {
                let f = Frame::decode(body).unwrap();
                out.push((f.seq, format!("{:?}", f.message)));
            }
        }
        out
    }

    fn send(c: &mut Controller, seq: u8, message: Message<'_>) -> Outputs {
        let mut buf = [0u8; MAX_FRAME];
        let n = encode_frame(&Frame { seq, message }, &mut buf).unwrap();
        let mut last = Outputs::new();
        for &b in &buf[..n] {
            let out = c.link(b);
            if out.iter().next().is_some() {
                last = out;
            }
        }
        last
    }

    #[test]
    fn boots_with_device_info_and_answers_queries() {
        let mut c = Controller::new(DeviceClass::Hub, 0xB0A7);
        let boot = messages(&frames(&c.boot(0)));
        assert_eq!(boot.len(), 1);
        assert!(boot[0].1.contains("DeviceInfo"), "{boot:?}");
        let answer = messages(&frames(&send(&mut c, 42, Message::Query)));
        assert_eq!(answer[0].0, 42, "answers with the request's seq");
        assert!(answer[0].1.contains("serial: 45223"), "{answer:?}");
    }

    #[test]
    fn rating_keys_become_ratings_once_per_press() {
        let mut c = Controller::new(DeviceClass::RatingKeypad, 1);
        c.boot(0);
        let out = c.key(b'5', 1_000);
        let msgs = messages(&frames(&out));
        assert_eq!(msgs.len(), 2);
        assert!(msgs[1].1.contains("VerySatisfied"), "{msgs:?}");
        assert_eq!(lines(&out), vec!["rated 5\r\n"]);
        assert!(frames(&c.key(b'5', 1_100)).is_empty(), "bounce ignored");
        assert_eq!(
            messages(&frames(&c.key(b'5', 1_500))).len(),
            2,
            "a new press"
        );
        let other = messages(&frames(&c.key(b'x', 2_000)));
        assert_eq!(other.len(), 1, "not a rating: {other:?}");
        assert!(frames(&c.key(b'\n', 2_100)).is_empty());
    }

    #[test]
    fn calls_reach_the_display_and_are_acknowledged() {
        let mut c = Controller::new(DeviceClass::Hub, 1);
        let out = send(
            &mut c,
            7,
            Message::CallNumber {
                device: 0,
                number: 12,
                window: 3,
            },
        );
        assert_eq!(lines(&out), vec!["请 0012 号到 3 号窗口\r\n"]);
        assert_eq!(messages(&frames(&out)), vec![(7, "Ack".to_string())]);
        assert_eq!(c.calling, Some((12, 3)));
        let out = send(
            &mut c,
            8,
            Message::ShowText {
                device: 0,
                line: 0,
                text: "暂停服务",
            },
        );
        assert_eq!(lines(&out), vec!["display: 暂停服务\r\n"]);
    }

    #[test]
    fn a_keypad_refuses_to_print_and_bad_frames_get_errors() {
        let mut c = Controller::new(DeviceClass::RatingKeypad, 1);
        let out = send(
            &mut c,
            9,
            Message::PrintTicket {
                number: 1,
                text: "A001",
            },
        );
        assert!(messages(&frames(&out))[0].1.contains("Device"));
        // A frame of an unknown kind, correctly framed: answered with an error.
        let mut body = vec![1u8, 0x55, 10];
        let sum = bantong_wire::crc16(&body);
        body.extend_from_slice(&sum.to_le_bytes());
        let mut cobs = [0u8; 64];
        let n = bantong_wire::cobs::encode(&body, &mut cobs).unwrap();
        let mut answer = Outputs::new();
        for &b in [&[0u8][..], &cobs[..n], &[0u8][..]].concat().iter() {
            let o = c.link(b);
            if o.iter().next().is_some() {
                answer = o;
            }
        }
        let msgs = messages(&frames(&answer));
        assert_eq!(msgs[0].0, 10);
        assert!(msgs[0].1.contains("UnknownKind"), "{msgs:?}");
    }

    #[test]
    fn heartbeats_every_five_seconds() {
        let mut c = Controller::new(DeviceClass::Hub, 1);
        c.boot(0);
        assert!(frames(&c.tick(4_999)).is_empty());
        let beat = messages(&frames(&c.tick(5_000)));
        assert!(beat[0].1.contains("uptime_s: 5"), "{beat:?}");
        assert!(frames(&c.tick(6_000)).is_empty());
    }
}
