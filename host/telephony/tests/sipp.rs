//! The adapter against a real SIP peer: `sipp` (Debian package
//! `sip-tester`) places calls on 127.0.0.1 with the scenarios in
//! `tests/scenarios/`, and the events that reach a [`ChannelSink`] are
//! checked call by call and seat by seat, against the rules the hotline
//! plugin's seat state machine enforces.
//!
//! Without `sipp` these tests fail (they do not skip): install it with
//! `apt-get install sip-tester` (`cargo xtask services` does).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use bantong_telephony::{AdapterConfig, ChannelSink, SipAdapter, TelephonyEvent};
use tokio::sync::mpsc::Receiver;

/// Fails with the install hint when `sipp` is not on the PATH.
fn require_sipp() {
    match std::process::Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "sipp is not installed: these tests need a real SIP peer. \
             Install it with `apt-get install sip-tester` (CI does, through `cargo xtask services`)"
        ),
        Err(e) => panic!("cannot run sipp: {e}"),
    }
}

/// A UDP port free a moment ago (bound and released).
fn free_udp_port() -> u16 {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// Starts the adapter on an ephemeral port of 127.0.0.1.
async fn adapter(
    seats: &[&str],
    ring_ms: u64,
    wrap_up_ms: u64,
) -> (SipAdapter, Receiver<TelephonyEvent>) {
    let (sink, rx) = ChannelSink::new(1000);
    let mut config = AdapterConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        seats.iter().map(|s| s.to_string()).collect(),
    );
    config.ring_ms = ring_ms;
    config.wrap_up_ms = wrap_up_ms;
    config.max_queue = 5;
    let adapter = SipAdapter::start(config, sink).await.unwrap();
    (adapter, rx)
}

/// Runs sipp in the foreground against `target` with a scenario of
/// `tests/scenarios/` and extra arguments; fails the test unless it exits
/// with status 0 within 60 s.
async fn run_sipp(target: SocketAddr, scenario: &str, args: &[&str]) -> Duration {
    require_sipp();
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(scenario);
    let errors = dir.path().join("errors.log");
    let started = Instant::now();
    let run = tokio::process::Command::new("sipp")
        .arg(target.to_string())
        .arg("-sf")
        .arg(&scenario)
        .args(["-i", "127.0.0.1", "-s", "12345", "-nostdin"])
        // Local SIP port: sipp picks a free one. Media and control ports
        // are given, so tests running side by side do not collide.
        .args(["-mp", &free_udp_port().to_string()])
        .args(["-cp", &free_udp_port().to_string()])
        .args(["-timeout", "30", "-timeout_error"])
        .arg("-trace_err")
        .arg("-error_file")
        .arg(&errors)
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("sipp did not finish within 60 s")
        .expect("running sipp");
    let took = started.elapsed();
    if !out.status.success() {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let tail: String = stdout
            .chars()
            .rev()
            .take(3000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        panic!(
            "sipp {} exited with {}\n--- errors ---\n{}\n--- stderr ---\n{}\n--- stdout (end) ---\n{tail}",
            scenario.display(),
            out.status,
            std::fs::read_to_string(&errors).unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr),
        );
    }
    took
}

/// Receives events until `done` says so (or fails after `within`).
async fn collect(
    rx: &mut Receiver<TelephonyEvent>,
    events: &mut Vec<TelephonyEvent>,
    within: Duration,
    done: impl Fn(&[TelephonyEvent]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    while !done(events) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(e)) => events.push(e),
            Ok(None) => panic!("the event channel closed; got {events:#?}"),
            Err(_) => panic!("events incomplete after {within:?}; got {events:#?}"),
        }
    }
}

/// Shuts the adapter down and returns the remaining events (the channel
/// closes once the delivery task has handed over the last one).
async fn shutdown(adapter: SipAdapter, rx: &mut Receiver<TelephonyEvent>) -> Vec<TelephonyEvent> {
    tokio::time::timeout(Duration::from_secs(10), adapter.shutdown())
        .await
        .expect("shutdown within 10 s");
    let mut rest = Vec::new();
    while let Some(e) = rx.recv().await {
        rest.push(e);
    }
    rest
}

fn count(events: &[TelephonyEvent], name: &str) -> usize {
    events.iter().filter(|e| e.name() == name).count()
}

/// `offered c1 seat-1` / `offered c1 -` / `answered c1 seat-1` / `ended c1`.
fn short(e: &TelephonyEvent) -> String {
    match e {
        TelephonyEvent::Offered { seat: None, .. } => "offered -".into(),
        TelephonyEvent::Ended { .. } => "ended".into(),
        _ => format!("{} {}", e.name(), e.seat().unwrap_or("")),
    }
}

/// Each call's events in order, by call id.
fn by_call(events: &[TelephonyEvent]) -> BTreeMap<String, Vec<&TelephonyEvent>> {
    let mut calls: BTreeMap<String, Vec<&TelephonyEvent>> = BTreeMap::new();
    for e in events {
        if let Some(id) = e.call_id() {
            calls.entry(id.to_owned()).or_default().push(e);
        }
    }
    calls
}

/// sipp's call number, the start of its Call-ID (`3-4242@127.0.0.1`).
fn call_number(call_id: &str) -> u32 {
    call_id.split('-').next().unwrap().parse().unwrap()
}

/// Checks the stream against the seat rules of the hotline plugin:
/// Offline -login-> Available -offered(c)-> Ringing c -answered(c)->
/// Talking c -ended(c)-> WrapUp -wrap_up_done-> Available; Ringing c
/// -ended(c)-> Available; Available | WrapUp -logout-> Offline. Also: times
/// never go back, and a call's events are offered (-), offered seat,
/// answered, ended in that order.
fn check_rules(events: &[TelephonyEvent]) {
    #[derive(Debug, Clone, PartialEq)]
    enum S {
        Offline,
        Available,
        Ringing(String),
        Talking(String),
        WrapUp,
    }
    let mut seats: BTreeMap<String, S> = BTreeMap::new();
    let mut call_seat: BTreeMap<String, String> = BTreeMap::new();
    let mut last_ms = i64::MIN;
    for (i, e) in events.iter().enumerate() {
        assert!(
            e.at_ms() >= last_ms,
            "event {i} goes back in time: {events:#?}"
        );
        last_ms = e.at_ms();
        let seat_of = |c: &str| call_seat.get(c).cloned();
        let (seat, next) = match e {
            TelephonyEvent::Login { seat, .. } => {
                let s = seats.get(seat).cloned().unwrap_or(S::Offline);
                assert_eq!(s, S::Offline, "event {i}");
                (seat.clone(), S::Available)
            }
            TelephonyEvent::Logout { seat, .. } => {
                let s = seats.get(seat).cloned();
                assert!(
                    matches!(s, Some(S::Available | S::WrapUp)),
                    "event {i}: logout from {s:?}"
                );
                (seat.clone(), S::Offline)
            }
            TelephonyEvent::WrapUpDone { seat, .. } => {
                assert_eq!(seats.get(seat), Some(&S::WrapUp), "event {i}");
                (seat.clone(), S::Available)
            }
            TelephonyEvent::Offered { seat: None, .. } => continue,
            TelephonyEvent::Offered {
                seat: Some(seat),
                call_id,
                ..
            } => {
                assert_eq!(seats.get(seat), Some(&S::Available), "event {i}");
                call_seat.insert(call_id.clone(), seat.clone());
                (seat.clone(), S::Ringing(call_id.clone()))
            }
            TelephonyEvent::Answered { seat, call_id, .. } => {
                assert_eq!(
                    seats.get(seat),
                    Some(&S::Ringing(call_id.clone())),
                    "event {i}"
                );
                (seat.clone(), S::Talking(call_id.clone()))
            }
            TelephonyEvent::Ended { call_id, .. } => {
                let Some(seat) = seat_of(call_id) else {
                    continue; // abandoned while queued
                };
                let next = match seats.get(&seat) {
                    Some(S::Ringing(c)) if c == call_id => S::Available,
                    Some(S::Talking(c)) if c == call_id => S::WrapUp,
                    other => panic!("event {i}: {call_id} ended at {seat} in {other:?}"),
                };
                (seat, next)
            }
        };
        seats.insert(seat, next);
    }
    for (id, calls) in by_call(events) {
        let names: Vec<_> = calls.iter().map(|e| short(e)).collect();
        let order = |s: &String| match s.split(' ').next().unwrap() {
            "offered" if s == "offered -" => 0,
            "offered" => 1,
            "answered" => 2,
            _ => 3,
        };
        assert!(
            names.windows(2).all(|w| order(&w[0]) < order(&w[1])),
            "{id}: {names:?}"
        );
        assert_eq!(
            count(
                &calls.iter().map(|e| (*e).clone()).collect::<Vec<_>>(),
                "ended"
            ),
            1,
            "{id}"
        );
    }
}

fn print(title: &str, events: &[TelephonyEvent], took: Duration) {
    eprintln!("--- {title}: sipp ran {took:?} ---");
    let t0 = events.first().map_or(0, |e| e.at_ms());
    for e in events {
        eprintln!(
            "{:>6} ms  {:<12} {:<24} {}",
            e.at_ms() - t0,
            e.name(),
            e.call_id().unwrap_or(""),
            e.seat().unwrap_or("")
        );
    }
}

/// (a) Three answered calls, one a second, 500 ms each, two seats: each
/// call is offered at a seat (round robin), answered, ended, and the seat
/// wraps up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_calls_are_answered_round_robin() {
    let (adapter, mut rx) = adapter(&["seat-1", "seat-2"], 200, 300).await;
    let target = adapter.local_addr();
    let took = run_sipp(
        target,
        "uac_phone.xml",
        &["-m", "3", "-r", "1", "-d", "500", "-l", "3"],
    )
    .await;
    let mut events = Vec::new();
    collect(&mut rx, &mut events, Duration::from_secs(10), |e| {
        count(e, "wrap_up_done") == 3
    })
    .await;
    events.extend(shutdown(adapter, &mut rx).await);
    print("three calls", &events, took);
    check_rules(&events);

    assert_eq!(
        events[..2].iter().map(short).collect::<Vec<_>>(),
        ["login seat-1", "login seat-2"]
    );
    let calls = by_call(&events);
    assert_eq!(calls.len(), 3, "{calls:#?}");
    let mut seen_seats = BTreeMap::new();
    for (id, call) in &calls {
        let n = call_number(id);
        let TelephonyEvent::Offered {
            caller_number,
            seat: Some(seat),
            ..
        } = call[0]
        else {
            panic!("{id}: {call:?}")
        };
        assert_eq!(caller_number, &format!("1381234567{n}"), "{id}");
        assert_eq!(
            call.iter().map(|e| short(e)).collect::<Vec<_>>(),
            [
                format!("offered {seat}"),
                format!("answered {seat}"),
                "ended".to_string()
            ],
            "{id}"
        );
        seen_seats.insert(n, seat.clone());
    }
    assert_eq!(
        seen_seats.into_values().collect::<Vec<_>>(),
        ["seat-1", "seat-2", "seat-1"],
        "round robin"
    );
    // The call of 500 ms (from the ACK to the BYE) is the time between
    // answered and ended, give or take the scheduling.
    for call in calls.values() {
        let talk = call[2].at_ms() - call[1].at_ms();
        assert!((450..3000).contains(&talk), "talked {talk} ms");
    }
    let tail: Vec<_> = events[events.len() - 2..].iter().map(short).collect();
    assert_eq!(tail, ["logout seat-1", "logout seat-2"]);
}

/// (b) The caller hangs up while it rings (CANCEL after the 180, the ring
/// time is 10 s): offered, ended, no answered, no wrap-up; the seat is free
/// at once, so the second call rings at the same single seat (a 182 Queued
/// would fail sipp's scenario).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_cancelled_while_ringing_is_abandoned() {
    let (adapter, mut rx) = adapter(&["seat-1"], 10_000, 3000).await;
    let target = adapter.local_addr();
    let took = run_sipp(
        target,
        "cancel_after_ringing.xml",
        &["-m", "2", "-r", "1", "-l", "2"],
    )
    .await;
    let mut events = Vec::new();
    collect(&mut rx, &mut events, Duration::from_secs(10), |e| {
        count(e, "ended") == 2
    })
    .await;
    events.extend(shutdown(adapter, &mut rx).await);
    print("cancelled while ringing", &events, took);
    check_rules(&events);

    let calls = by_call(&events);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    for (id, call) in &calls {
        assert_eq!(
            call.iter().map(|e| short(e)).collect::<Vec<_>>(),
            ["offered seat-1", "ended"],
            "{id}"
        );
        let TelephonyEvent::Offered { caller_number, .. } = call[0] else {
            unreachable!()
        };
        assert_eq!(caller_number, &format!("1391234567{}", call_number(id)));
    }
    assert_eq!(count(&events, "answered"), 0);
    assert_eq!(count(&events, "wrap_up_done"), 0);
    assert_eq!(
        events.iter().map(short).collect::<Vec<_>>(),
        [
            "login seat-1",
            "offered seat-1",
            "ended",
            "offered seat-1",
            "ended",
            "logout seat-1"
        ]
    );
}

/// A second caller while the only seat is busy waits in the queue (182
/// Queued, `offered` without a seat), then rings and is answered when the
/// seat has wrapped up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_call_queues_for_the_only_seat() {
    let (adapter, mut rx) = adapter(&["seat-1"], 200, 300).await;
    let target = adapter.local_addr();
    let took = run_sipp(
        target,
        "uac_phone.xml",
        &["-m", "2", "-r", "10", "-d", "500", "-l", "2"],
    )
    .await;
    let mut events = Vec::new();
    collect(&mut rx, &mut events, Duration::from_secs(10), |e| {
        count(e, "wrap_up_done") == 2
    })
    .await;
    events.extend(shutdown(adapter, &mut rx).await);
    print("queued call", &events, took);
    check_rules(&events);

    let calls = by_call(&events);
    let first = calls.iter().find(|(id, _)| call_number(id) == 1).unwrap().1;
    let second = calls.iter().find(|(id, _)| call_number(id) == 2).unwrap().1;
    assert_eq!(
        first.iter().map(|e| short(e)).collect::<Vec<_>>(),
        ["offered seat-1", "answered seat-1", "ended"]
    );
    assert_eq!(
        second.iter().map(|e| short(e)).collect::<Vec<_>>(),
        ["offered -", "offered seat-1", "answered seat-1", "ended"]
    );
    // It rang only after the first call's wrap-up.
    let wrap_up = events
        .iter()
        .find(|e| e.name() == "wrap_up_done")
        .unwrap()
        .at_ms();
    assert!(second[1].at_ms() >= wrap_up);
}
