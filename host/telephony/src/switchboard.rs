//! The hotline's switchboard as a pure state machine: calls, agent seats
//! and the waiting queue. It takes datagrams and the passing of time and
//! answers with datagrams to send and telephony events to deliver
//! ([`Output`]); the adapter ([`crate::adapter`]) owns the socket, the
//! clock and the delivery queue.
//!
//! ```text
//! call:  INVITE ──► Queued ──seat frees──► Ringing(seat) ──ring time──► Answered(seat) ──BYE──► Ended
//!          │          │                      │                            └─no ACK for 32 s: BYE sent─► Ended
//!          │          └─CANCEL────────────────┴─CANCEL (or BYE) ───────────────────────────────────────► Ended (abandoned)
//!          └─queue full: 486 ─────────────────────────────────────────────────────────────────────────► Ended (abandoned)
//! seat:  Free ──ring──► Ringing ──answer──► Talking ──BYE──► WrapUp ──wrap-up time──► Free
//!                         └──CANCEL──► Free (no wrap-up for a call never answered)
//! ```
//!
//! Events per call: `offered` (without a seat while it queues), `offered`
//! with the seat when it rings, `answered`, `ended`; per seat: `login` at
//! start, `wrap_up_done` after each answered call, `logout` at shutdown.
//! Event times never go backwards, even if the wall clock does.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::event::{TelephonyEvent, valid_id};
use crate::sip::{self, Message, Method, StartLine};

/// RFC 3261 T1: round-trip estimate, first retransmission interval.
pub const T1: Duration = Duration::from_millis(500);
/// RFC 3261 T2: longest retransmission interval.
pub const T2: Duration = Duration::from_secs(4);
/// 64·T1: how long the 200 OK is retransmitted without an ACK, and how long
/// an ended call is remembered to absorb retransmissions.
pub const LINGER: Duration = Duration::from_secs(32);
/// Most calls remembered at once (live and lingering); INVITEs beyond get
/// 503.
pub const MAX_CALLS: usize = 10_000;

const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS";
const SERVER: &str = concat!("bantong-sip-bridge/", env!("CARGO_PKG_VERSION"));

/// What the switchboard is set up with.
#[derive(Debug, Clone)]
pub struct SwitchboardConfig {
    /// Seat names, in round-robin order.
    pub seats: Vec<String>,
    /// How long a call rings before the seat answers.
    pub ring: Duration,
    /// After-call work after each answered call.
    pub wrap_up: Duration,
    /// Most calls waiting for a seat.
    pub max_queue: usize,
    /// The address put in Contact, Via and SDP; `None`: the host the
    /// caller dialled (its Request-URI).
    pub advertise: Option<IpAddr>,
    /// The adapter's UDP port.
    pub port: u16,
}

/// The time of a step: monotonic for timers, wall clock for events.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// Monotonic time.
    pub mono: Instant,
    /// Milliseconds since the Unix epoch.
    pub wall_ms: i64,
}

/// Something the adapter must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send a datagram.
    Send {
        /// Where.
        to: SocketAddr,
        /// What.
        datagram: Vec<u8>,
    },
    /// Deliver an event to the webhook.
    Event(TelephonyEvent),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SeatState {
    Free,
    Ringing(String),
    Talking(String),
    WrapUp,
}

#[derive(Debug)]
struct Seat {
    name: String,
    state: SeatState,
    /// Bumped at each change, so a stale wrap-up timer is ignored.
    epoch: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    Queued,
    Ringing {
        seat: usize,
    },
    Answered {
        seat: usize,
        at: Instant,
        acked: bool,
    },
    Ended,
}

#[derive(Debug)]
struct Call {
    /// The call id reported to the webhook.
    id: String,
    caller: String,
    /// Where the INVITE came from; its responses go there.
    peer: SocketAddr,
    invite: Message,
    to_tag: String,
    state: CallState,
    /// The last response to the INVITE, re-sent on a retransmission.
    last_response: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    /// The ring time is over: the seat answers.
    Answer { call: String },
    /// Timer G: re-send the 200 OK unless ACKed.
    Resend200 { call: String, interval: Duration },
    /// The seat's after-call work is over.
    WrapUpDone { seat: usize, epoch: u64 },
    /// Forget an ended call.
    Forget { call: String },
}

/// Calls, seats, queue and timers. Calls are keyed by SIP Call-ID.
#[derive(Debug)]
pub struct Switchboard {
    config: SwitchboardConfig,
    seats: Vec<Seat>,
    next_seat: usize,
    calls: HashMap<String, Call>,
    queue: VecDeque<String>,
    timers: BTreeMap<(Instant, u64), Timer>,
    timer_seq: u64,
    last_at_ms: i64,
    out: Vec<Output>,
}

impl Switchboard {
    /// A switchboard whose seats are all logged in: the `login` events
    /// are the first outputs.
    pub fn new(config: SwitchboardConfig, now: Now) -> Switchboard {
        let seats = config
            .seats
            .iter()
            .map(|name| Seat {
                name: name.clone(),
                state: SeatState::Free,
                epoch: 0,
            })
            .collect();
        let mut board = Switchboard {
            config,
            seats,
            next_seat: 0,
            calls: HashMap::new(),
            queue: VecDeque::new(),
            timers: BTreeMap::new(),
            timer_seq: 0,
            last_at_ms: i64::MIN,
            out: Vec::new(),
        };
        let at_ms = board.at_ms(now);
        for i in 0..board.seats.len() {
            let seat = board.seat_name(i);
            board.event(TelephonyEvent::Login { seat, at_ms });
        }
        board
    }

    /// Takes the outputs produced so far, in order.
    pub fn drain(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// When [`Switchboard::on_timers`] should next run.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.timers.keys().next().map(|(at, _)| *at)
    }

    /// Handles one datagram from `from`. Anything that is not a SIP message
    /// is dropped with a debug log; responses are ignored.
    pub fn on_datagram(&mut self, datagram: &[u8], from: SocketAddr, now: Now) {
        let msg = match sip::parse(datagram) {
            Ok(msg) => msg,
            Err(e) => {
                tracing::debug!(%from, bytes = datagram.len(), "dropped a datagram: {e}");
                return;
            }
        };
        let Some(method) = msg.method().cloned() else {
            tracing::debug!(%from, call_id = msg.call_id(), "ignored a response");
            return;
        };
        match method {
            Method::Invite => self.on_invite(msg, from, now),
            Method::Ack => self.on_ack(&msg),
            Method::Bye => self.on_bye(&msg, from, now),
            Method::Cancel => self.on_cancel(&msg, from, now),
            Method::Options | Method::Register => {
                let tag = new_tag();
                self.reply(&msg, from, 200, "OK", Some(&tag), &[("Allow", ALLOW)]);
            }
            Method::Other(_) => {
                let tag = new_tag();
                self.reply(
                    &msg,
                    from,
                    501,
                    "Not Implemented",
                    Some(&tag),
                    &[("Allow", ALLOW)],
                );
            }
        }
    }

    /// Runs every timer due at `now`.
    pub fn on_timers(&mut self, now: Now) {
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now.mono {
                break;
            }
            let timer = entry.remove();
            match timer {
                Timer::Answer { call } => self.answer(&call, now),
                Timer::Resend200 { call, interval } => self.resend_200(&call, interval, now),
                Timer::WrapUpDone { seat, epoch } => self.wrap_up_done(seat, epoch, now),
                Timer::Forget { call } => {
                    if self
                        .calls
                        .get(&call)
                        .is_some_and(|c| c.state == CallState::Ended)
                    {
                        self.calls.remove(&call);
                    }
                }
            }
        }
    }

    /// Ends everything for a shutdown: calls not yet answered get 480, the
    /// answered ones a BYE, each an `ended`; then every seat logs out.
    pub fn shutdown(&mut self, now: Now) {
        let mut live: Vec<String> = self
            .calls
            .iter()
            .filter(|(_, c)| c.state != CallState::Ended)
            .map(|(k, _)| k.clone())
            .collect();
        live.sort();
        for key in live {
            let state = self.calls.get(&key).map(|c| c.state);
            match state {
                Some(CallState::Answered { seat, .. }) => {
                    self.send_bye(&key);
                    self.end_answered(&key, seat, now, false);
                }
                Some(CallState::Queued | CallState::Ringing { .. }) => {
                    self.abandon(&key, 480, "Temporarily Unavailable", now, false);
                }
                Some(CallState::Ended) | None => {}
            }
        }
        self.timers.clear();
        let at_ms = self.at_ms(now);
        for i in 0..self.seats.len() {
            let seat = self.seat_name(i);
            self.event(TelephonyEvent::Logout { seat, at_ms });
        }
    }

    // -- requests ---------------------------------------------------------

    fn on_invite(&mut self, req: Message, from: SocketAddr, now: Now) {
        let key = req.call_id().to_owned();
        if let Some(call) = self.calls.get(&key) {
            if call.invite.cseq().seq == req.cseq().seq {
                // A retransmission: the same answer again.
                let datagram = call.last_response.clone();
                self.send(from, datagram);
            } else {
                let tag = call.to_tag.clone();
                // A re-INVITE (or a new INVITE reusing a Call-ID): not
                // supported; the call itself goes on.
                self.reply(&req, from, 488, "Not Acceptable Here", Some(&tag), &[]);
            }
            return;
        }
        if sip::tag(req.to()).is_some() {
            self.reply(
                &req,
                from,
                481,
                "Call/Transaction Does Not Exist",
                None,
                &[],
            );
            return;
        }
        let tag = new_tag();
        if self.calls.len() >= MAX_CALLS {
            self.reply(
                &req,
                from,
                503,
                "Service Unavailable",
                Some(&tag),
                &[("Retry-After", "5")],
            );
            return;
        }
        let Some(caller) = sip::caller_number(req.from()).map(national) else {
            tracing::info!(call_id = %key, "refused a call without a caller number");
            self.reply(&req, from, 403, "Caller Number Required", Some(&tag), &[]);
            return;
        };
        self.reply(&req, from, 100, "Trying", None, &[]);
        let id = webhook_call_id(&key);
        // Caller numbers are personal data: logged masked (138****5678).
        tracing::info!(call_id = %id, caller = %masked(&caller), "incoming call");
        self.calls.insert(
            key.clone(),
            Call {
                id: id.clone(),
                caller: caller.clone(),
                peer: from,
                invite: req,
                to_tag: tag,
                state: CallState::Queued,
                last_response: Vec::new(),
            },
        );
        if self.queue.is_empty()
            && let Some(seat) = self.pick_seat()
        {
            self.ring(&key, seat, now);
            return;
        }
        let at_ms = self.at_ms(now);
        self.event(TelephonyEvent::Offered {
            call_id: id.clone(),
            caller_number: caller,
            at_ms,
            seat: None,
        });
        if self.queue.len() < self.config.max_queue {
            self.queue.push_back(key.clone());
            self.respond_invite(&key, 182, "Queued", false);
            tracing::info!(call_id = %id, waiting = self.queue.len(), "no seat free: call queued");
        } else {
            tracing::warn!(call_id = %id, "no seat free and the queue is full: busy");
            self.abandon(&key, 486, "Busy Here", now, true);
        }
    }

    fn on_ack(&mut self, req: &Message) {
        if let Some(call) = self.calls.get_mut(req.call_id())
            && let CallState::Answered { acked, .. } = &mut call.state
        {
            *acked = true;
        }
    }

    fn on_bye(&mut self, req: &Message, from: SocketAddr, now: Now) {
        let key = req.call_id().to_owned();
        let Some(call) = self.calls.get(&key) else {
            self.reply(req, from, 481, "Call/Transaction Does Not Exist", None, &[]);
            return;
        };
        let tag = call.to_tag.clone();
        let state = call.state;
        self.reply(req, from, 200, "OK", Some(&tag), &[]);
        match state {
            CallState::Answered { seat, .. } => self.end_answered(&key, seat, now, true),
            // A BYE before the answer (instead of a CANCEL): the caller
            // gave up.
            CallState::Queued | CallState::Ringing { .. } => {
                self.abandon(&key, 487, "Request Terminated", now, true);
            }
            // A retransmitted BYE: answered again above, nothing else.
            CallState::Ended => {}
        }
    }

    fn on_cancel(&mut self, req: &Message, from: SocketAddr, now: Now) {
        let key = req.call_id().to_owned();
        let Some(call) = self
            .calls
            .get(&key)
            .filter(|c| c.invite.cseq().seq == req.cseq().seq)
        else {
            self.reply(req, from, 481, "Call/Transaction Does Not Exist", None, &[]);
            return;
        };
        let tag = call.to_tag.clone();
        let state = call.state;
        self.reply(req, from, 200, "OK", Some(&tag), &[]);
        if matches!(state, CallState::Queued | CallState::Ringing { .. }) {
            self.abandon(&key, 487, "Request Terminated", now, true);
        }
        // Already answered or ended: the CANCEL changes nothing.
    }

    // -- call and seat steps ------------------------------------------------

    /// Rings `key` at `seat`: `offered` with the seat and 180 Ringing; the
    /// seat answers after the ring time.
    fn ring(&mut self, key: &str, seat: usize, now: Now) {
        let Some(call) = self.calls.get_mut(key) else {
            return;
        };
        call.state = CallState::Ringing { seat };
        let (id, caller) = (call.id.clone(), call.caller.clone());
        if let Some(s) = self.seats.get_mut(seat) {
            s.state = SeatState::Ringing(key.to_owned());
            s.epoch += 1;
        }
        let at_ms = self.at_ms(now);
        let seat_name = self.seat_name(seat);
        tracing::info!(call_id = %id, seat = %seat_name, "ringing");
        self.event(TelephonyEvent::Offered {
            call_id: id,
            caller_number: caller,
            at_ms,
            seat: Some(seat_name),
        });
        self.respond_invite(key, 180, "Ringing", true);
        self.schedule(
            now,
            self.config.ring,
            Timer::Answer {
                call: key.to_owned(),
            },
        );
    }

    /// The seat picks up: 200 OK with an SDP answer and `answered`.
    fn answer(&mut self, key: &str, now: Now) {
        let Some(call) = self.calls.get_mut(key) else {
            return;
        };
        let CallState::Ringing { seat } = call.state else {
            return;
        };
        call.state = CallState::Answered {
            seat,
            at: now.mono,
            acked: false,
        };
        let id = call.id.clone();
        if let Some(s) = self.seats.get_mut(seat) {
            s.state = SeatState::Talking(key.to_owned());
            s.epoch += 1;
        }
        self.respond_invite(key, 200, "OK", true);
        let at_ms = self.at_ms(now);
        let seat = self.seat_name(seat);
        tracing::info!(call_id = %id, %seat, "answered");
        self.event(TelephonyEvent::Answered {
            call_id: id,
            seat,
            at_ms,
        });
        self.schedule(
            now,
            T1,
            Timer::Resend200 {
                call: key.to_owned(),
                interval: T1,
            },
        );
    }

    /// Timer G for the 200 OK: re-send until the ACK, give up after
    /// [`LINGER`] with a BYE.
    fn resend_200(&mut self, key: &str, interval: Duration, now: Now) {
        let Some(call) = self.calls.get(key) else {
            return;
        };
        let CallState::Answered {
            seat,
            at,
            acked: false,
        } = call.state
        else {
            return;
        };
        if now.mono.saturating_duration_since(at) >= LINGER {
            tracing::warn!(call_id = %call.id, "no ACK for the 200 OK: hanging up");
            self.send_bye(key);
            self.end_answered(key, seat, now, true);
            return;
        }
        let (peer, datagram) = (call.peer, call.last_response.clone());
        self.send(peer, datagram);
        let interval = interval.saturating_mul(2).min(T2);
        self.schedule(
            now,
            interval,
            Timer::Resend200 {
                call: key.to_owned(),
                interval,
            },
        );
    }

    /// An answered call ends: `ended`, and the seat goes to wrap-up (timed
    /// when `wrap_up`, else left for the shutdown's logout).
    fn end_answered(&mut self, key: &str, seat: usize, now: Now, wrap_up: bool) {
        let Some(call) = self.calls.get_mut(key) else {
            return;
        };
        call.state = CallState::Ended;
        let id = call.id.clone();
        let at_ms = self.at_ms(now);
        tracing::info!(call_id = %id, "call ended");
        self.event(TelephonyEvent::Ended {
            call_id: id,
            at_ms,
            recording: None,
        });
        self.forget_later(key, now);
        let Some(s) = self.seats.get_mut(seat) else {
            return;
        };
        s.state = SeatState::WrapUp;
        s.epoch += 1;
        let epoch = s.epoch;
        if wrap_up {
            self.schedule(now, self.config.wrap_up, Timer::WrapUpDone { seat, epoch });
        }
    }

    /// A call not answered ends: the final response `code` to its INVITE,
    /// `ended`; its seat (if it rang) is free at once and, when `dispatch`,
    /// takes the next waiting call.
    fn abandon(&mut self, key: &str, code: u16, reason: &str, now: Now, dispatch: bool) {
        let Some(call) = self.calls.get_mut(key) else {
            return;
        };
        let before = call.state;
        call.state = CallState::Ended;
        let id = call.id.clone();
        self.respond_invite(key, code, reason, false);
        let at_ms = self.at_ms(now);
        tracing::info!(call_id = %id, code, "call abandoned");
        self.event(TelephonyEvent::Ended {
            call_id: id,
            at_ms,
            recording: None,
        });
        self.forget_later(key, now);
        match before {
            CallState::Queued => self.queue.retain(|k| k != key),
            CallState::Ringing { seat } => {
                if let Some(s) = self.seats.get_mut(seat) {
                    s.state = SeatState::Free;
                    s.epoch += 1;
                }
                if dispatch {
                    self.dispatch(now);
                }
            }
            CallState::Answered { .. } | CallState::Ended => {}
        }
    }

    fn wrap_up_done(&mut self, seat: usize, epoch: u64, now: Now) {
        let Some(s) = self.seats.get_mut(seat) else {
            return;
        };
        if s.epoch != epoch || s.state != SeatState::WrapUp {
            return;
        }
        s.state = SeatState::Free;
        s.epoch += 1;
        let at_ms = self.at_ms(now);
        let seat = self.seat_name(seat);
        self.event(TelephonyEvent::WrapUpDone { seat, at_ms });
        self.dispatch(now);
    }

    /// Rings waiting calls, first come first served, while seats are free.
    fn dispatch(&mut self, now: Now) {
        while !self.queue.is_empty() {
            let Some(seat) = self.pick_seat() else {
                return;
            };
            let Some(key) = self.queue.pop_front() else {
                return;
            };
            self.ring(&key, seat, now);
        }
    }

    /// The next free seat in round-robin order after the last one picked.
    fn pick_seat(&mut self) -> Option<usize> {
        let n = self.seats.len();
        let found = (0..n).map(|i| (self.next_seat + i) % n).find(|&i| {
            self.seats
                .get(i)
                .is_some_and(|s| s.state == SeatState::Free)
        })?;
        self.next_seat = (found + 1) % n;
        Some(found)
    }

    // -- output helpers -----------------------------------------------------

    /// Sends a response to the call's INVITE (with its To tag; 180 and 200
    /// with Contact, 200 with an SDP answer) and remembers it for
    /// retransmissions.
    fn respond_invite(&mut self, key: &str, code: u16, reason: &str, contact: bool) {
        let Some(call) = self.calls.get(key) else {
            return;
        };
        let host = self.local_host(&call.invite);
        let contact_value = format!("<sip:hotline@{}:{}>", host, self.config.port);
        let mut extra: Vec<(&str, &str)> = vec![("Server", SERVER)];
        if contact {
            extra.push(("Contact", &contact_value));
        }
        let sdp = (code == 200).then(|| sdp_answer(&host, call.invite.body()));
        if code == 200 {
            extra.push(("Allow", ALLOW));
        }
        let datagram = sip::response(
            &call.invite,
            code,
            reason,
            Some(&call.to_tag),
            &extra,
            sdp.as_deref().map(|s| ("application/sdp", s.as_bytes())),
        );
        let peer = call.peer;
        if let Some(call) = self.calls.get_mut(key) {
            call.last_response = datagram.clone();
        }
        self.send(peer, datagram);
    }

    fn reply(
        &mut self,
        req: &Message,
        to: SocketAddr,
        code: u16,
        reason: &str,
        tag: Option<&str>,
        extra: &[(&str, &str)],
    ) {
        let mut headers = vec![("Server", SERVER)];
        headers.extend_from_slice(extra);
        let datagram = sip::response(req, code, reason, tag, &headers, None);
        self.send(to, datagram);
    }

    /// A BYE to the caller (best effort: sent once, its answer ignored).
    fn send_bye(&mut self, key: &str) {
        let Some(call) = self.calls.get(key) else {
            return;
        };
        let inv = &call.invite;
        let target = inv
            .get("contact")
            .map(sip::addr_uri)
            .filter(|u| !u.is_empty() && *u != "*")
            .unwrap_or_else(|| sip::addr_uri(inv.from()))
            .to_owned();
        let host = self.local_host(inv);
        let via = format!(
            "SIP/2.0/UDP {}:{};branch=z9hG4bK{};rport",
            host,
            self.config.port,
            new_tag()
        );
        let from = format!("{};tag={}", inv.to(), call.to_tag);
        let cseq = format!("{} BYE", inv.cseq().seq.wrapping_add(1));
        let datagram = sip::request(
            &Method::Bye,
            &target,
            &[
                ("Via", &via),
                ("Max-Forwards", "70"),
                ("From", &from),
                ("To", inv.from()),
                ("Call-ID", inv.call_id()),
                ("CSeq", &cseq),
                ("Server", SERVER),
            ],
            None,
        );
        let peer = call.peer;
        self.send(peer, datagram);
    }

    /// The host for Contact, Via and SDP: the advertised address, else the
    /// host the caller dialled.
    fn local_host(&self, invite: &Message) -> String {
        let host = match self.config.advertise {
            Some(ip) => ip.to_string(),
            None => match invite.start() {
                StartLine::Request { uri, .. } => {
                    sip::uri_host(uri).unwrap_or("127.0.0.1").to_owned()
                }
                StartLine::Response { .. } => "127.0.0.1".to_owned(),
            },
        };
        if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]")
        } else {
            host
        }
    }

    fn send(&mut self, to: SocketAddr, datagram: Vec<u8>) {
        self.out.push(Output::Send { to, datagram });
    }

    fn event(&mut self, event: TelephonyEvent) {
        self.out.push(Output::Event(event));
    }

    fn schedule(&mut self, now: Now, delay: Duration, timer: Timer) {
        let at = now.mono.checked_add(delay).unwrap_or(now.mono);
        self.timer_seq += 1;
        self.timers.insert((at, self.timer_seq), timer);
    }

    fn forget_later(&mut self, key: &str, now: Now) {
        self.schedule(
            now,
            LINGER,
            Timer::Forget {
                call: key.to_owned(),
            },
        );
    }

    fn seat_name(&self, seat: usize) -> String {
        self.seats
            .get(seat)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    }

    /// The wall-clock time of an event, never before the previous one.
    fn at_ms(&mut self, now: Now) -> i64 {
        self.last_at_ms = self.last_at_ms.max(now.wall_ms);
        self.last_at_ms
    }
}

/// A caller number in the form the hotline expects: `+86` numbers become
/// national (a mobile number, 11 digits from 1, as is: `+8613812345678` →
/// `13812345678`; others with the trunk prefix 0: `+861065123456` →
/// `01065123456`); other numbers stay as presented.
pub fn national(number: String) -> String {
    match number.strip_prefix("+86") {
        Some(rest) if rest.len() == 11 && rest.starts_with('1') => rest.to_owned(),
        Some(rest) if !rest.is_empty() => format!("0{rest}"),
        _ => number,
    }
}

/// The call id reported to the webhook: the SIP Call-ID when it is a valid
/// id (1-64 characters without whitespace), else `sip-` and 32 hex digits
/// of its SHA-256 (stable, so logs can be matched).
pub fn webhook_call_id(sip_call_id: &str) -> String {
    if valid_id(sip_call_id) {
        return sip_call_id.to_owned();
    }
    let digest = Sha256::digest(sip_call_id.as_bytes());
    format!("sip-{}", hex::encode(digest.get(..16).unwrap_or_default()))
}

/// A phone number for the logs: the first 3 and last 4 characters kept,
/// the rest masked (`13812345678` → `138****5678`).
fn masked(number: &str) -> String {
    let n = number.chars().count();
    number
        .chars()
        .enumerate()
        .map(|(i, c)| if i < 3 || i + 4 >= n { c } else { '*' })
        .collect()
}

/// A random tag or branch suffix: 16 hex digits.
fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A minimal SDP answer: one audio stream, the first format the offer
/// lists (PCMU if none), marked inactive (the adapter carries no media).
fn sdp_answer(host: &str, offer: &[u8]) -> String {
    let format = std::str::from_utf8(offer)
        .ok()
        .and_then(|sdp| {
            sdp.lines()
                .find_map(|l| l.trim().strip_prefix("m=audio "))
                .and_then(|m| m.split_whitespace().nth(2))
                .filter(|f| f.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "0".to_owned());
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let family = if bare.contains(':') { "IP6" } else { "IP4" };
    let session = rand::random::<u32>();
    format!(
        "v=0\r\no=bantong {session} {session} IN {family} {bare}\r\ns=bantong\r\nc=IN {family} {bare}\r\nt=0 0\r\nm=audio 9 RTP/AVP {format}\r\na=inactive\r\n"
    )
}

#[cfg(test)]
mod tests;
