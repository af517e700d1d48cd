//! Properties of the wire protocol: every message survives the round trip;
//! arbitrary bytes never panic the decoder; garbage and torn frames before
//! valid frames never cost a valid frame.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bantong_wire::{
    Decoder, DeviceClass, ErrorCode, Frame, MAX_FRAME, MAX_TEXT, Message, Rating, encode_frame,
};
use proptest::prelude::*;

/// An owned message, so strategies can make text.
#[derive(Debug, Clone)]
enum Owned {
    Info(u8, [u8; 3], u32),
    Heartbeat(u32),
    Key(u8, u8),
    Rating(u8, u8),
    Show(u8, u8, String),
    Call(u8, u16, u8),
    Print(u16, String),
    Query,
    Ack,
    Error(u16),
}

impl Owned {
    fn message(&self) -> Message<'_> {
        match self {
            Owned::Info(class, fw, serial) => Message::DeviceInfo {
                class: [
                    DeviceClass::RatingKeypad,
                    DeviceClass::QueueDisplay,
                    DeviceClass::TicketPrinter,
                    DeviceClass::Hub,
                ][usize::from(*class % 4)],
                firmware: *fw,
                serial: *serial,
            },
            Owned::Heartbeat(s) => Message::Heartbeat { uptime_s: *s },
            Owned::Key(device, key) => Message::KeyPressed {
                device: *device,
                key: *key,
            },
            Owned::Rating(device, score) => Message::Rating {
                device: *device,
                rating: Rating::from_score(score % 5 + 1).unwrap(),
            },
            Owned::Show(device, line, text) => Message::ShowText {
                device: *device,
                line: *line,
                text,
            },
            Owned::Call(device, number, window) => Message::CallNumber {
                device: *device,
                number: *number,
                window: *window,
            },
            Owned::Print(number, text) => Message::PrintTicket {
                number: *number,
                text,
            },
            Owned::Query => Message::Query,
            Owned::Ack => Message::Ack,
            Owned::Error(c) => Message::Error {
                code: match c % 8 {
                    1 => ErrorCode::UnknownKind,
                    2 => ErrorCode::PaperOut,
                    _ => ErrorCode::Other(1000 + *c % 1000),
                },
            },
        }
    }
}

/// Text of at most MAX_TEXT bytes, Chinese included.
fn text() -> impl Strategy<Value = String> {
    "[a-z0-9 请到号窗口办理取号满意]{0,30}".prop_map(|s| {
        let mut end = s.len().min(MAX_TEXT);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_owned()
    })
}

fn message() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (any::<u8>(), any::<[u8; 3]>(), any::<u32>()).prop_map(|(c, f, s)| Owned::Info(c, f, s)),
        any::<u32>().prop_map(Owned::Heartbeat),
        (any::<u8>(), any::<u8>()).prop_map(|(d, k)| Owned::Key(d, k)),
        (any::<u8>(), any::<u8>()).prop_map(|(d, s)| Owned::Rating(d, s)),
        (any::<u8>(), any::<u8>(), text()).prop_map(|(d, l, t)| Owned::Show(d, l, t)),
        (any::<u8>(), any::<u16>(), any::<u8>()).prop_map(|(d, n, w)| Owned::Call(d, n, w)),
        (any::<u16>(), text()).prop_map(|(n, t)| Owned::Print(n, t)),
        Just(Owned::Query),
        Just(Owned::Ack),
        any::<u16>().prop_map(Owned::Error),
    ]
}

fn wire(seq: u8, m: &Owned) -> Vec<u8> {
    let mut out = [0u8; MAX_FRAME];
    let n = encode_frame(
        &Frame {
            seq,
            message: m.message(),
        },
        &mut out,
    )
    .unwrap();
    out[..n].to_vec()
}

/// Every frame the decoder accepts from `bytes`, re-encoded for comparison.
fn decoded(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut d = Decoder::new();
    let mut out = Vec::new();
    for &b in bytes {
        if let Some(Ok(body)) = d.push(b)
            && let Ok(frame) = Frame::decode(body)
        {
            let mut buf = [0u8; MAX_FRAME];
            let n = encode_frame(&frame, &mut buf).unwrap();
            out.push(buf[..n].to_vec());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_message_round_trips(seq in any::<u8>(), m in message()) {
        let bytes = wire(seq, &m);
        prop_assert!(bytes.len() <= MAX_FRAME);
        prop_assert_eq!(bytes[0], 0);
        prop_assert_eq!(*bytes.last().unwrap(), 0);
        prop_assert!(!bytes[1..bytes.len() - 1].contains(&0));
        let mut d = Decoder::new();
        let mut got = None;
        for &b in &bytes {
            if let Some(r) = d.push(b) {
                let body = r.unwrap();
                got = Some(Frame::decode(body).unwrap() == Frame { seq, message: m.message() });
            }
        }
        prop_assert_eq!(got, Some(true));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut d = Decoder::new();
        for &b in &bytes {
            if let Some(Ok(body)) = d.push(b) {
                let _ = Frame::decode(body);
            }
        }
        let _ = Frame::decode(&bytes);
    }

    #[test]
    fn garbage_before_frames_loses_none(
        garbage in proptest::collection::vec(any::<u8>(), 0..400),
        frames in proptest::collection::vec((any::<u8>(), message()), 1..6),
    ) {
        let expected: Vec<Vec<u8>> = frames.iter().map(|(s, m)| wire(*s, m)).collect();
        let mut stream = garbage.clone();
        for f in &expected {
            stream.extend_from_slice(f);
        }
        let got = decoded(&stream);
        // Garbage may, very rarely, hold something that passes as a frame;
        // the valid frames are all there, in order, at the end.
        prop_assert!(got.len() >= expected.len());
        prop_assert_eq!(&got[got.len() - expected.len()..], &expected[..]);
    }

    #[test]
    fn a_torn_frame_costs_only_itself(
        (first, cut) in (message(), any::<prop::sample::Index>()),
        second in message(),
    ) {
        let torn = wire(1, &first);
        let cut = cut.index(torn.len());
        let mut stream = torn[..cut].to_vec();
        stream.extend_from_slice(&wire(2, &second));
        let got = decoded(&stream);
        prop_assert_eq!(got.last(), Some(&wire(2, &second)));
    }

    #[test]
    fn flipped_bits_are_caught_or_harmless(m in message(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut bytes = wire(7, &m);
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        // Either refused or, if the flip hit only a delimiter, decoded intact.
        for f in decoded(&bytes) {
            prop_assert_eq!(f, wire(7, &m));
        }
    }
}

#[test]
fn long_runs_without_delimiter_are_dropped_and_the_decoder_recovers() {
    let mut d = Decoder::new();
    for _ in 0..10_000 {
        assert!(d.push(0x55).is_none());
    }
    assert_eq!(d.push(0), Some(Err(bantong_wire::FrameError::TooLong)));
    let ok = wire(3, &Owned::Heartbeat(42));
    let got = decoded(&ok);
    assert_eq!(got, vec![ok]);
    assert_eq!(d.errors, 1);
}

#[test]
fn strict_decoding() {
    use bantong_wire::DecodeError;
    let body = |bytes: &[u8]| {
        let mut v = bytes.to_vec();
        let sum = bantong_wire::crc16(&v);
        v.extend_from_slice(&sum.to_le_bytes());
        v
    };
    assert_eq!(
        Frame::decode(&body(&[2, 0x02, 0, 1, 0, 0, 0])),
        Err(DecodeError::Version(2))
    );
    assert_eq!(
        Frame::decode(&body(&[1, 0x55, 0])),
        Err(DecodeError::UnknownKind(0x55))
    );
    assert_eq!(
        Frame::decode(&body(&[1, 0x02, 0, 1, 0, 0])),
        Err(DecodeError::Length),
        "short heartbeat"
    );
    assert_eq!(
        Frame::decode(&body(&[1, 0x7E, 0, 9])),
        Err(DecodeError::Length),
        "trailing byte"
    );
    assert_eq!(
        Frame::decode(&body(&[1, 0x04, 0, 0, 6])),
        Err(DecodeError::Value),
        "rating 6"
    );
    assert_eq!(
        Frame::decode(&body(&[1, 0x12, 0, 1, 0, 2, 0xff, 0xfe])),
        Err(DecodeError::Value),
        "text not UTF-8"
    );
    let long = "号".repeat(40);
    let mut out = [0u8; MAX_FRAME];
    assert_eq!(
        encode_frame(
            &Frame {
                seq: 0,
                message: Message::PrintTicket {
                    number: 1,
                    text: &long
                }
            },
            &mut out
        ),
        Err(bantong_wire::EncodeError::TextTooLong)
    );
}
