//! Fuzzes the telephony adapter's SIP parser and switchboard: arbitrary
//! datagrams never panic them; every message the parser accepts re-parses
//! to itself from `to_bytes`, and a response written for it parses; the
//! header helpers take any accepted value. The input, split at NUL bytes,
//! is also played to a switchboard as a sequence of datagrams, with time
//! passing between them.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bantong_telephony::sip;
use bantong_telephony::switchboard::{Now, Switchboard, SwitchboardConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = sip::parse(data) {
        let again = sip::parse(&msg.to_bytes()).expect("a parsed message re-parses");
        assert_eq!(again, msg);
        let _ = sip::caller_number(msg.from());
        let _ = sip::tag(msg.to());
        let _ = sip::addr_uri(msg.from());
        if let Some(uri) = msg.uri() {
            let _ = sip::uri_host(uri);
        }
        let response = sip::response(&msg, 200, "OK", Some("t1"), &[("Server", "fuzz")], None);
        sip::parse(&response).expect("a response to a parsed message parses");
    }

    let t0 = Instant::now();
    let mut now = Now {
        mono: t0,
        wall_ms: 1_700_000_000_000,
    };
    let config = SwitchboardConfig {
        seats: vec!["seat-1".into(), "seat-2".into()],
        ring: Duration::from_millis(100),
        wrap_up: Duration::from_millis(100),
        max_queue: 1,
        advertise: None,
        port: 5060,
    };
    let mut board = Switchboard::new(config, now);
    let peer: SocketAddr = ([10, 0, 0, 2], 5061).into();
    for datagram in data.split(|&b| b == 0).take(64) {
        board.on_datagram(datagram, peer, now);
        now.mono += Duration::from_millis(70);
        now.wall_ms += 70;
        board.on_timers(now);
        let _ = board.drain();
    }
    now.mono += Duration::from_secs(40);
    board.on_timers(now);
    board.shutdown(now);
    let _ = board.drain();
});
