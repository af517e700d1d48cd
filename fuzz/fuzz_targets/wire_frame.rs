//! Fuzzes the peripheral wire protocol's receiver: arbitrary bytes off a
//! UART never panic the decoder, and every frame it accepts survives an
//! encode/decode round trip unchanged.

#![no_main]

use bantong_wire::{Decoder, Frame, MAX_FRAME, encode_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut decoder = Decoder::new();
    for &byte in data {
        let Some(Ok(body)) = decoder.push(byte) else {
            continue;
        };
        let Ok(frame) = Frame::decode(body) else {
            continue;
        };
        let mut wire = [0u8; MAX_FRAME];
        let n = encode_frame(&frame, &mut wire).expect("a decoded frame re-encodes");
        let mut again = Decoder::new();
        let mut seen = None;
        for &b in &wire[..n] {
            if let Some(r) = again.push(b) {
                let body = r.expect("a re-encoded frame decodes");
                seen = Some(Frame::decode(body).expect("and parses") == frame);
            }
        }
        assert_eq!(seen, Some(true));
    }
    let _ = Frame::decode(data);
});
