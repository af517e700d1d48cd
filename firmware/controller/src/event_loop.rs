//! The controller's main loop, apart from any board (STYLE 7): it owns
//! the link, the local line and a key source, moves what arrives into the
//! [`Controller`] and writes out what it answers. A board crate builds one
//! from its ports and calls [`EventLoop::poll`] with the time, forever.

use crate::keypad::KeySource;
use crate::link::LinkPort;
use crate::local::LocalPort;
use crate::{Controller, Output, Outputs};
use bantong_wire::MAX_FRAME;
use embedded_io::{Read, ReadReady, Write, WriteReady};

/// Link bytes taken per turn, so that a flood on the link cannot starve the
/// keypad or the heartbeat: one largest frame.
pub const LINK_BYTES_PER_POLL: usize = MAX_FRAME;

/// Key presses taken per turn.
pub const KEYS_PER_POLL: usize = 16;

/// A controller with its ports.
pub struct EventLoop<L, D, K> {
    controller: Controller,
    link: LinkPort<L>,
    local: LocalPort<D>,
    keys: K,
    now: u64,
}

impl<L, D, K> EventLoop<L, D, K>
where
    L: Read + ReadReady + Write + WriteReady,
    D: Write + WriteReady,
    K: KeySource,
{
    /// Runs `controller` on these ports; [`EventLoop::boot`] starts it.
    pub fn new(
        controller: Controller,
        link: LinkPort<L>,
        local: LocalPort<D>,
        keys: K,
    ) -> EventLoop<L, D, K> {
        EventLoop {
            controller,
            link,
            local,
            keys,
            now: 0,
        }
    }

    /// After reset: introduces the controller on the link and the display.
    pub fn boot(&mut self, now_ms: u64) {
        self.now = now_ms;
        let outputs = self.controller.boot(now_ms);
        self.emit(&outputs);
    }

    /// One turn: a heartbeat when the clock moved and one is due, then what
    /// arrived on the link, then key presses. Never blocks.
    pub fn poll(&mut self, now_ms: u64) {
        if now_ms != self.now {
            self.now = now_ms;
            let outputs = self.controller.tick(now_ms);
            self.emit(&outputs);
        }
        self.poll_link();
        self.poll_keys();
    }

    fn poll_link(&mut self) {
        let mut buf = [0u8; 32];
        let mut budget = LINK_BYTES_PER_POLL;
        while budget > 0 {
            let take = budget.min(buf.len());
            let n = self.link.receive(&mut buf[..take]);
            if n == 0 {
                break;
            }
            budget = budget.saturating_sub(n);
            for &byte in &buf[..n] {
                let outputs = self.controller.link(byte);
                self.emit(&outputs);
            }
        }
    }

    fn poll_keys(&mut self) {
        for _ in 0..KEYS_PER_POLL {
            let Some(key) = self.keys.next_key(self.now) else {
                break;
            };
            let outputs = self.controller.key(key, self.now);
            self.emit(&outputs);
        }
    }

    fn emit(&mut self, outputs: &Outputs) {
        for output in outputs.iter() {
            match output {
                Output::Link(wire) => {
                    self.link.send(wire);
                }
                Output::Local(line) => {
                    self.local.show(line);
                }
            }
        }
    }

    /// The controller's state (what the display shows).
    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// The link, for its counters.
    pub fn link(&self) -> &LinkPort<L> {
        &self.link
    }

    /// The local line, for its counters.
    pub fn local(&self) -> &LocalPort<D> {
        &self.local
    }

    /// The key source, for its counters.
    pub fn keys(&self) -> &K {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypad::{ActiveLevel, Keypad, SerialKeys};
    use crate::mock::{FakePin, FakeSerial};
    use bantong_wire::{Decoder, DeviceClass, Frame, Message, encode_frame};

    /// The messages in `bytes`, as the agent's decoder sees them.
    fn messages(bytes: &[u8]) -> Vec<(u8, String)> {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        for &b in bytes {
            if let Some(Ok(body)) = decoder.push(b) {
                let frame = Frame::decode(body).unwrap();
                out.push((frame.seq, format!("{:?}", frame.message)));
            }
        }
        out
    }

    fn ratings(bytes: &[u8]) -> Vec<String> {
        messages(bytes)
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| m.starts_with("Rating"))
            .collect()
    }

    fn frame(seq: u8, message: Message<'_>) -> Vec<u8> {
        let mut buf = [0u8; MAX_FRAME];
        let n = encode_frame(&Frame { seq, message }, &mut buf).unwrap();
        buf[..n].to_vec()
    }

    /// A hub on fake ports with keys on its local line, booted at 0 ms.
    fn hub() -> (
        EventLoop<FakeSerial, FakeSerial, SerialKeys<FakeSerial>>,
        FakeSerial,
        FakeSerial,
    ) {
        let (link, local) = (FakeSerial::new(), FakeSerial::new());
        let mut event_loop = EventLoop::new(
            Controller::new(DeviceClass::Hub, 0x6965_0001),
            LinkPort::new(link.clone()),
            LocalPort::new(local.clone()),
            SerialKeys::new(local.clone()),
        );
        event_loop.boot(0);
        (event_loop, link, local)
    }

    #[test]
    fn boots_on_both_lines() {
        let (_, link, local) = hub();
        let boot = messages(&link.sent());
        assert_eq!(boot.len(), 1);
        assert!(boot[0].1.contains("DeviceInfo"), "{boot:?}");
        assert_eq!(local.sent(), b"bantong controller ready\r\n");
    }

    #[test]
    fn garbage_on_the_link_is_skipped_and_the_query_answered() {
        let (mut event_loop, link, _) = hub();
        link.feed(&[0x13, 0x37, 0xff, 0x42, 0x00, 0x99]);
        link.feed(&frame(21, Message::Query));
        event_loop.poll(1);
        let answers = messages(&link.sent());
        assert_eq!(answers.len(), 2, "{answers:?}");
        assert_eq!(answers[1].0, 21);
        assert!(answers[1].1.contains("DeviceInfo"), "{answers:?}");
    }

    #[test]
    fn a_flood_on_the_link_is_taken_a_frame_per_turn() {
        let (mut event_loop, link, _) = hub();
        link.feed(&[0x55; 3 * LINK_BYTES_PER_POLL]);
        event_loop.poll(1);
        assert_eq!(link.unread(), 2 * LINK_BYTES_PER_POLL);
        event_loop.poll(2);
        event_loop.poll(3);
        assert_eq!(link.unread(), 0);
    }

    #[test]
    fn a_key_on_the_local_line_becomes_a_rating() {
        let (mut event_loop, link, local) = hub();
        local.feed(b"4\r\n");
        event_loop.poll(1_000);
        assert_eq!(
            ratings(&link.sent()),
            vec!["Rating { device: 0, rating: Satisfied }"]
        );
        assert!(String::from_utf8_lossy(&local.sent()).ends_with("rated 4\r\n"));
    }

    #[test]
    fn a_call_reaches_the_display_and_is_acknowledged() {
        let (mut event_loop, link, local) = hub();
        link.feed(&frame(
            22,
            Message::CallNumber {
                device: 0,
                number: 12,
                window: 3,
            },
        ));
        event_loop.poll(1);
        assert!(String::from_utf8_lossy(&local.sent()).ends_with("请 0012 号到 3 号窗口\r\n"));
        assert_eq!(messages(&link.sent())[1], (22, "Ack".to_string()));
        assert_eq!(event_loop.controller().calling, Some((12, 3)));
    }

    #[test]
    fn heartbeats_come_from_the_clock() {
        let (mut event_loop, link, _) = hub();
        for t in (0..=10_000).step_by(7) {
            event_loop.poll(t);
        }
        let beats = messages(&link.sent())
            .into_iter()
            .filter(|(_, m)| m.starts_with("Heartbeat"))
            .count();
        assert_eq!(beats, 1, "at 5 s (10 s not reached in steps of 7 ms)");
    }

    #[test]
    fn a_held_keypad_key_gives_one_rating() {
        let link = FakeSerial::new();
        let pins: [FakePin; 5] = core::array::from_fn(|_| FakePin::new(true));
        let mut event_loop = EventLoop::new(
            Controller::new(DeviceClass::RatingKeypad, 1),
            LinkPort::new(link.clone()),
            LocalPort::new(FakeSerial::new()),
            Keypad::new(pins.clone(), ActiveLevel::Low),
        );
        event_loop.boot(0);
        // 非常满意 held for three seconds, bouncing as it goes down and up.
        for t in 1..4_000 {
            let bouncing = (100..110).contains(&t) || (3_100..3_110).contains(&t);
            pins[0].set(!((100..3_100).contains(&t) ^ (bouncing && t % 2 == 0)));
            event_loop.poll(t);
        }
        let got = ratings(&link.sent());
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("VerySatisfied"), "{got:?}");
    }

    #[test]
    fn a_stuck_link_costs_frames_not_the_keypad() {
        let link = FakeSerial::new().room(0);
        let local = FakeSerial::new();
        let mut event_loop = EventLoop::new(
            Controller::new(DeviceClass::Hub, 1),
            LinkPort::new(link.clone()).with_spins(10),
            LocalPort::new(local.clone()),
            SerialKeys::new(local.clone()),
        );
        event_loop.boot(0);
        local.feed(b"5");
        event_loop.poll(1);
        assert!(String::from_utf8_lossy(&local.sent()).ends_with("rated 5\r\n"));
        let stats = event_loop.link().stats();
        assert_eq!((stats.frames_sent, stats.frames_dropped), (0, 3));
    }
}
