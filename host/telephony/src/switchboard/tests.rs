//! The switchboard against scripted SIP requests and a hand-driven clock.

use std::net::Ipv4Addr;

use super::*;
use crate::sip::parse;

const PEER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 5061);
const RING: Duration = Duration::from_secs(2);
const WRAP_UP: Duration = Duration::from_secs(3);

/// A switchboard, a clock and what came out.
struct Bench {
    board: Switchboard,
    t0: Instant,
    elapsed: Duration,
    /// Subtracted from the wall clock (to make it jump back).
    wall_back_ms: i64,
}

impl Bench {
    fn new(seats: &[&str], max_queue: usize) -> Bench {
        let t0 = Instant::now();
        let config = SwitchboardConfig {
            seats: seats.iter().map(|s| s.to_string()).collect(),
            ring: RING,
            wrap_up: WRAP_UP,
            max_queue,
            advertise: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            port: 5060,
        };
        let now = Now {
            mono: t0,
            wall_ms: 1_000_000,
        };
        Bench {
            board: Switchboard::new(config, now),
            t0,
            elapsed: Duration::ZERO,
            wall_back_ms: 0,
        }
    }

    fn now(&self) -> Now {
        Now {
            mono: self.t0 + self.elapsed,
            wall_ms: 1_000_000 + self.elapsed.as_millis() as i64 - self.wall_back_ms,
        }
    }

    fn advance(&mut self, d: Duration) {
        self.elapsed += d;
        let now = self.now();
        self.board.on_timers(now);
    }

    fn recv(&mut self, text: &str) {
        let now = self.now();
        self.board.on_datagram(text.as_bytes(), PEER, now);
    }

    /// The datagrams sent (parsed) and the events, since the last call.
    fn take(&mut self) -> (Vec<Message>, Vec<TelephonyEvent>) {
        let mut sent = Vec::new();
        let mut events = Vec::new();
        for out in self.board.drain() {
            match out {
                Output::Send { to, datagram } => {
                    assert_eq!(to, PEER);
                    sent.push(parse(&datagram).unwrap());
                }
                Output::Event(e) => events.push(e),
            }
        }
        (sent, events)
    }

    /// Short forms of what came out: `["100 INVITE", "180 INVITE"]` and
    /// `["offered c1 seat-1"]`.
    fn take_short(&mut self) -> (Vec<String>, Vec<String>) {
        let (sent, events) = self.take();
        (
            sent.iter().map(short_msg).collect(),
            events.iter().map(short_event).collect(),
        )
    }
}

fn short_msg(m: &Message) -> String {
    match m.start() {
        StartLine::Response { code, .. } => format!("{code} {}", m.cseq().method),
        StartLine::Request { method, .. } => method.to_string(),
    }
}

fn short_event(e: &TelephonyEvent) -> String {
    let mut s = e.name().to_owned();
    if let Some(call) = e.call_id() {
        s.push(' ');
        s.push_str(call);
    }
    if let TelephonyEvent::Offered { seat: None, .. } = e {
        s.push_str(" -");
    }
    if let Some(seat) = e.seat() {
        s.push(' ');
        s.push_str(seat);
    }
    s
}

fn invite_from(call: &str, from_uri: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0\r\n";
    format!(
        "INVITE sip:12345@10.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.2:5061;branch=z9hG4bK-{call}-1\r\n\
         From: <{from_uri}>;tag=f-{call}\r\n\
         To: <sip:12345@10.0.0.1>\r\n\
         Call-ID: {call}\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:caller@10.0.0.2:5061>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

fn invite(call: &str) -> String {
    invite_from(call, "sip:13812345678@10.0.0.2")
}

fn in_dialog(method: &str, call: &str, cseq: u32) -> String {
    format!(
        "{method} sip:hotline@10.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.2:5061;branch=z9hG4bK-{call}-{cseq}{method}\r\n\
         From: <sip:13812345678@10.0.0.2>;tag=f-{call}\r\n\
         To: <sip:12345@10.0.0.1>;tag=any\r\n\
         Call-ID: {call}\r\n\
         CSeq: {cseq} {method}\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

fn cancel(call: &str) -> String {
    format!(
        "CANCEL sip:12345@10.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.2:5061;branch=z9hG4bK-{call}-1\r\n\
         From: <sip:13812345678@10.0.0.2>;tag=f-{call}\r\n\
         To: <sip:12345@10.0.0.1>\r\n\
         Call-ID: {call}\r\n\
         CSeq: 1 CANCEL\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Two seats logged in, login events taken.
fn two_seats() -> Bench {
    let mut b = Bench::new(&["seat-1", "seat-2"], 5);
    let (sent, events) = b.take_short();
    assert!(sent.is_empty());
    assert_eq!(events, strings(&["login seat-1", "login seat-2"]));
    b
}

#[test]
fn answers_a_call_and_wraps_up() {
    let mut b = two_seats();
    b.recv(&invite("c1"));
    let (sent, events) = b.take();
    assert_eq!(
        sent.iter().map(short_msg).collect::<Vec<_>>(),
        strings(&["100 INVITE", "180 INVITE"])
    );
    let ringing = &sent[1];
    let to_tag = sip::tag(ringing.to()).unwrap().to_owned();
    assert_eq!(ringing.get("contact"), Some("<sip:hotline@10.0.0.1:5060>"));
    assert_eq!(
        events,
        vec![TelephonyEvent::Offered {
            call_id: "c1".into(),
            caller_number: "13812345678".into(),
            at_ms: 1_000_000,
            seat: Some("seat-1".into()),
        }]
    );

    b.advance(RING - Duration::from_millis(1));
    assert_eq!(b.take_short(), (vec![], vec![]));
    b.advance(Duration::from_millis(1));
    let (sent, events) = b.take();
    assert_eq!(sent.len(), 1);
    let ok = &sent[0];
    assert_eq!(short_msg(ok), "200 INVITE");
    assert_eq!(
        sip::tag(ok.to()),
        Some(to_tag.as_str()),
        "one To tag per call"
    );
    assert_eq!(ok.get("content-type"), Some("application/sdp"));
    let sdp = String::from_utf8(ok.body().to_vec()).unwrap();
    assert!(sdp.contains("c=IN IP4 10.0.0.1\r\n"), "{sdp}");
    assert!(sdp.contains("m=audio 9 RTP/AVP 8\r\n"), "{sdp}");
    assert_eq!(
        events,
        vec![TelephonyEvent::Answered {
            call_id: "c1".into(),
            seat: "seat-1".into(),
            at_ms: 1_002_000,
        }]
    );

    b.recv(&in_dialog("ACK", "c1", 1));
    b.advance(Duration::from_secs(10));
    assert_eq!(b.take_short(), (vec![], vec![]), "no 200 OK after the ACK");
    b.recv(&in_dialog("BYE", "c1", 2));
    assert_eq!(
        b.take_short(),
        (strings(&["200 BYE"]), strings(&["ended c1"]))
    );
    // A retransmitted BYE is answered again, nothing else.
    b.recv(&in_dialog("BYE", "c1", 2));
    assert_eq!(b.take_short(), (strings(&["200 BYE"]), vec![]));
    b.advance(WRAP_UP);
    assert_eq!(b.take_short(), (vec![], strings(&["wrap_up_done seat-1"])));
    // The call is forgotten after a while: a late BYE is unknown.
    b.advance(LINGER);
    b.recv(&in_dialog("BYE", "c1", 2));
    assert_eq!(b.take_short(), (strings(&["481 BYE"]), vec![]));
}

#[test]
fn assigns_seats_round_robin() {
    let mut b = two_seats();
    let mut seats = Vec::new();
    for call in ["c1", "c2", "c3", "c4"] {
        b.recv(&invite(call));
        b.advance(RING);
        b.recv(&in_dialog("ACK", call, 1));
        b.recv(&in_dialog("BYE", call, 2));
        b.advance(WRAP_UP);
        let (_, events) = b.take();
        seats.push(events[0].seat().unwrap().to_owned());
    }
    assert_eq!(seats, strings(&["seat-1", "seat-2", "seat-1", "seat-2"]));
}

#[test]
fn queues_when_every_seat_is_busy() {
    let mut b = Bench::new(&["seat-1"], 2);
    b.take();
    b.recv(&invite("c1"));
    b.recv(&invite("c2"));
    b.recv(&invite("c3"));
    assert_eq!(
        b.take_short(),
        (
            strings(&[
                "100 INVITE",
                "180 INVITE",
                "100 INVITE",
                "182 INVITE",
                "100 INVITE",
                "182 INVITE"
            ]),
            strings(&["offered c1 seat-1", "offered c2 -", "offered c3 -"])
        )
    );
    b.advance(RING);
    b.recv(&in_dialog("ACK", "c1", 1));
    b.recv(&in_dialog("BYE", "c1", 2));
    b.take();
    // c2 waits for the wrap-up, then rings at the seat; c3 still waits.
    b.advance(WRAP_UP);
    assert_eq!(
        b.take_short(),
        (
            strings(&["180 INVITE"]),
            strings(&["wrap_up_done seat-1", "offered c2 seat-1"])
        )
    );
    b.advance(RING);
    assert_eq!(
        b.take_short(),
        (strings(&["200 INVITE"]), strings(&["answered c2 seat-1"]))
    );
}

#[test]
fn busy_when_the_queue_is_full() {
    let mut b = Bench::new(&["seat-1"], 0);
    b.take();
    b.recv(&invite("c1"));
    b.recv(&invite("c2"));
    assert_eq!(
        b.take_short(),
        (
            strings(&["100 INVITE", "180 INVITE", "100 INVITE", "486 INVITE"]),
            strings(&["offered c1 seat-1", "offered c2 -", "ended c2"])
        )
    );
    // The caller's ACK for the 486 changes nothing.
    b.recv(&in_dialog("ACK", "c2", 1));
    assert_eq!(b.take_short(), (vec![], vec![]));
}

#[test]
fn cancel_while_ringing_frees_the_seat_at_once() {
    let mut b = Bench::new(&["seat-1"], 5);
    b.take();
    b.recv(&invite("c1"));
    b.recv(&invite("c2"));
    b.take();
    b.advance(Duration::from_secs(1));
    b.recv(&cancel("c1"));
    assert_eq!(
        b.take_short(),
        (
            strings(&["200 CANCEL", "487 INVITE", "180 INVITE"]),
            strings(&["ended c1", "offered c2 seat-1"])
        )
    );
    // c1's ring timer is stale: c2 is answered a full ring after it rang.
    b.advance(Duration::from_secs(1));
    assert_eq!(b.take_short(), (vec![], vec![]));
    b.advance(Duration::from_secs(1));
    assert_eq!(
        b.take_short(),
        (strings(&["200 INVITE"]), strings(&["answered c2 seat-1"]))
    );
    // A CANCEL after the answer is acknowledged and changes nothing.
    b.recv(&cancel("c2"));
    assert_eq!(b.take_short(), (strings(&["200 CANCEL"]), vec![]));
    // A CANCEL for an unknown call.
    b.recv(&cancel("c9"));
    assert_eq!(b.take_short(), (strings(&["481 CANCEL"]), vec![]));
}

#[test]
fn cancel_while_queued_leaves_the_queue() {
    let mut b = Bench::new(&["seat-1"], 5);
    b.take();
    b.recv(&invite("c1"));
    b.recv(&invite("c2"));
    b.recv(&invite("c3"));
    b.take();
    b.recv(&cancel("c2"));
    assert_eq!(
        b.take_short(),
        (
            strings(&["200 CANCEL", "487 INVITE"]),
            strings(&["ended c2"])
        )
    );
    b.recv(&cancel("c1"));
    assert_eq!(
        b.take_short(),
        (
            strings(&["200 CANCEL", "487 INVITE", "180 INVITE"]),
            strings(&["ended c1", "offered c3 seat-1"])
        )
    );
}

#[test]
fn bye_before_the_answer_abandons_the_call() {
    let mut b = two_seats();
    b.recv(&invite("c1"));
    b.take();
    b.recv(&in_dialog("BYE", "c1", 2));
    assert_eq!(
        b.take_short(),
        (strings(&["200 BYE", "487 INVITE"]), strings(&["ended c1"]))
    );
    b.advance(RING + WRAP_UP);
    assert_eq!(b.take_short(), (vec![], vec![]), "no answer, no wrap-up");
}

#[test]
fn a_retransmitted_invite_gets_the_last_response_again() {
    let mut b = two_seats();
    b.recv(&invite("c1"));
    let (first, _) = b.take();
    b.recv(&invite("c1"));
    let (again, events) = b.take();
    assert!(events.is_empty());
    assert_eq!(again, vec![first[1].clone()], "the 180 again");
    b.advance(RING);
    let (ok, _) = b.take();
    b.recv(&invite("c1"));
    assert_eq!(b.take(), (ok, vec![]), "the 200 again");
    // A re-INVITE is refused, the call goes on.
    b.recv(&invite("c1").replace("CSeq: 1 INVITE", "CSeq: 2 INVITE"));
    assert_eq!(b.take_short(), (strings(&["488 INVITE"]), vec![]));
}

#[test]
fn resends_the_200_until_the_ack_and_hangs_up_without_one() {
    let mut b = two_seats();
    b.recv(&invite("c1"));
    b.advance(RING);
    b.take();
    // Timer G: 0.5, 1, 2, 4, 4, 4 … s after the answer.
    let mut resent_at = Vec::new();
    let mut waited = Duration::ZERO;
    while waited < LINGER {
        b.advance(Duration::from_millis(250));
        waited += Duration::from_millis(250);
        let (sent, events) = b.take_short();
        if sent == strings(&["200 INVITE"]) {
            resent_at.push(waited.as_millis());
        } else {
            assert!(sent.is_empty(), "{sent:?}");
        }
        assert!(events.is_empty());
    }
    assert_eq!(
        resent_at[..6],
        [500, 1500, 3500, 7500, 11500, 15500],
        "{resent_at:?}"
    );
    // The next resend would be at 35.5 s: past 64·T1, so a BYE instead.
    b.advance(Duration::from_secs(4));
    let (sent, events) = b.take();
    assert_eq!(
        sent.iter().map(short_msg).collect::<Vec<_>>(),
        strings(&["BYE"])
    );
    let bye = &sent[0];
    assert_eq!(bye.uri(), Some("sip:caller@10.0.0.2:5061"));
    assert_eq!(sip::tag(bye.to()), Some("f-c1"));
    assert!(sip::tag(bye.from()).is_some());
    assert_eq!(bye.cseq().seq, 2);
    assert_eq!(
        events.iter().map(short_event).collect::<Vec<_>>(),
        strings(&["ended c1"])
    );
    b.advance(WRAP_UP);
    assert_eq!(b.take_short(), (vec![], strings(&["wrap_up_done seat-1"])));
}

#[test]
fn answers_other_methods_and_drops_garbage() {
    let mut b = two_seats();
    b.recv(&in_dialog("OPTIONS", "o1", 1));
    let (sent, _) = b.take();
    assert_eq!(short_msg(&sent[0]), "200 OPTIONS");
    assert_eq!(sent[0].get("allow"), Some(ALLOW));
    b.recv(&in_dialog("REGISTER", "r1", 1));
    b.recv(&in_dialog("INFO", "i1", 1));
    b.recv(&in_dialog("BYE", "nope", 1));
    b.recv(&in_dialog("ACK", "nope", 1));
    b.recv("SIP/2.0 200 OK\r\nVia: x\r\nFrom: a\r\nTo: b\r\nCall-ID: c\r\nCSeq: 1 BYE\r\n\r\n");
    b.recv("\r\n\r\n");
    b.recv("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    b.recv(&invite("c1")[..40]);
    assert_eq!(
        b.take_short(),
        (strings(&["200 REGISTER", "501 INFO", "481 BYE"]), vec![])
    );
}

#[test]
fn refuses_a_call_without_a_caller_number() {
    let mut b = two_seats();
    b.recv(&invite_from("c1", "sip:sipp@10.0.0.2:5061"));
    assert_eq!(b.take_short(), (strings(&["403 INVITE"]), vec![]));
    b.recv(&invite_from("c2", "tel:+86-10-6512-3456"));
    let (_, events) = b.take();
    assert!(
        matches!(&events[0], TelephonyEvent::Offered { caller_number, .. } if caller_number == "01065123456"),
        "{events:?}"
    );
}

#[test]
fn event_times_never_go_back() {
    let mut b = two_seats();
    b.recv(&invite("c1"));
    b.wall_back_ms = 60_000;
    b.advance(RING);
    let (_, events) = b.take();
    assert_eq!(events[0].at_ms(), 1_000_000);
}

#[test]
fn shutdown_ends_calls_and_logs_out() {
    let mut b = Bench::new(&["seat-1", "seat-2"], 5);
    b.take();
    b.recv(&invite("c1"));
    b.advance(RING);
    b.recv(&in_dialog("ACK", "c1", 1));
    b.recv(&invite("c2"));
    b.recv(&invite("c3"));
    b.take();
    let now = b.now();
    b.board.shutdown(now);
    assert_eq!(
        b.take_short(),
        (
            strings(&["BYE", "480 INVITE", "480 INVITE"]),
            strings(&[
                "ended c1",
                "ended c2",
                "ended c3",
                "logout seat-1",
                "logout seat-2"
            ])
        )
    );
    assert_eq!(b.board.next_deadline(), None);
}

#[test]
fn long_call_ids_are_hashed() {
    let long = format!("{}@gw", "x".repeat(80));
    let id = webhook_call_id(&long);
    assert_eq!(id.len(), 36);
    assert!(id.starts_with("sip-"));
    assert_eq!(id, webhook_call_id(&long));
    assert_eq!(webhook_call_id("1-42@10.0.0.2"), "1-42@10.0.0.2");
    let mut b = two_seats();
    b.recv(&invite(&long));
    let (_, events) = b.take();
    assert_eq!(events[0].call_id(), Some(id.as_str()));
}

#[test]
fn national_numbers() {
    assert_eq!(national("+8613812345678".into()), "13812345678");
    assert_eq!(national("+861065123456".into()), "01065123456");
    assert_eq!(national("+4930123456".into()), "+4930123456");
    assert_eq!(national("12345".into()), "12345");
    assert_eq!(national("+86".into()), "+86");
}

#[test]
fn masks_numbers_for_the_logs() {
    assert_eq!(masked("13812345678"), "138****5678");
    assert_eq!(masked("+861065123456"), "+86******3456");
    assert_eq!(masked("12345"), "12345");
}
