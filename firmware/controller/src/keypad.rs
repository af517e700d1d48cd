//! Where key presses come from: five buttons on input pins, debounced
//! here, or bytes on a serial keypad line. Either way a press becomes the
//! byte [`Controller::key`](crate::Controller::key) takes (`1`–`5` for a
//! rating), and the controller's own rules apply from there: a score
//! becomes a [`Rating`], and the same key again within
//! [`DEBOUNCE_MS`](crate::DEBOUNCE_MS) is a double press, not a second
//! rating. This module only turns bouncing contacts into clean presses.

use bantong_wire::Rating;
use embedded_hal::digital::InputPin;
use embedded_io::{Read, ReadReady};

/// A source of key presses for the main loop.
pub trait KeySource {
    /// The next key press, as the byte [`Controller::key`](crate::Controller::key)
    /// takes, or `None` when there is none now. Never blocks.
    fn next_key(&mut self, now_ms: u64) -> Option<u8>;
}

/// Two sources at once (the board's own buttons and a keypad line); the
/// first one's presses come first.
impl<A: KeySource, B: KeySource> KeySource for (A, B) {
    fn next_key(&mut self, now_ms: u64) -> Option<u8> {
        self.0.next_key(now_ms).or_else(|| self.1.next_key(now_ms))
    }
}

/// The level an input pin reads while its key is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveLevel {
    /// Key to ground, pin pulled up: the usual wiring.
    Low,
    /// Key to the supply, pin pulled down.
    High,
}

/// A key's contacts must read the same this long before a change counts
/// (contact bounce lasts a few milliseconds).
pub const SETTLE_MS: u64 = 20;

/// What the five keys of a rating keypad mean, in the order their pins are
/// given: best first, like the labels 非常满意 … 非常不满意.
pub const RATING_KEYS: [Rating; 5] = [
    Rating::VerySatisfied,
    Rating::Satisfied,
    Rating::Basic,
    Rating::Dissatisfied,
    Rating::VeryDissatisfied,
];

/// One key's debounced state.
#[derive(Debug, Clone, Copy, Default)]
struct Contact {
    /// Settled: the key counts as down.
    down: bool,
    /// The last raw reading, and since when it has not changed.
    reading: bool,
    since: u64,
}

impl Contact {
    /// Takes a raw reading; true when the key has just settled down.
    fn sample(&mut self, reading: bool, now_ms: u64) -> bool {
        if reading != self.reading {
            self.reading = reading;
            self.since = now_ms;
            return false;
        }
        if reading == self.down || now_ms.saturating_sub(self.since) < SETTLE_MS {
            return false;
        }
        self.down = reading;
        reading
    }
}

/// A five-key rating keypad on input pins. A press counts once its
/// contacts have read "down" for [`SETTLE_MS`]; holding the key gives no
/// more presses, and it counts again only after it settled up. A key
/// already down at the first scan (stuck, or leaned on at power-up) counts
/// only after it was released.
pub struct Keypad<P> {
    pins: [P; 5],
    active: ActiveLevel,
    contacts: [Contact; 5],
    started: bool,
    /// Keys that settled down in the last scan and were not handed out yet.
    pending: u8,
    errors: u32,
}

impl<P: InputPin> Keypad<P> {
    /// Keys on `pins`, in the order of [`RATING_KEYS`], reading `active`
    /// while pressed.
    pub fn new(pins: [P; 5], active: ActiveLevel) -> Keypad<P> {
        Keypad {
            pins,
            active,
            contacts: [Contact::default(); 5],
            started: false,
            pending: 0,
            errors: 0,
        }
    }

    /// Pin reads that failed (such a reading is skipped, never a press).
    pub fn errors(&self) -> u32 {
        self.errors
    }

    /// Whether key `i` reads down now; `None` when its pin failed.
    fn reads_down(&mut self, i: usize) -> Option<bool> {
        let high = self.pins.get_mut(i)?.is_high();
        match high {
            Ok(high) => Some(high == (self.active == ActiveLevel::High)),
            Err(_) => {
                self.errors = self.errors.wrapping_add(1);
                None
            }
        }
    }

    /// Reads every key once; returns the keys that just settled down, one
    /// bit per key.
    fn scan(&mut self, now_ms: u64) -> u8 {
        let mut pressed = 0;
        for i in 0..self.pins.len() {
            let Some(down) = self.reads_down(i) else {
                continue;
            };
            let contact = &mut self.contacts[i];
            if !self.started {
                *contact = Contact {
                    down,
                    reading: down,
                    since: now_ms,
                };
            } else if contact.sample(down, now_ms) {
                pressed |= 1 << i;
            }
        }
        self.started = true;
        pressed
    }
}

impl<P: InputPin> KeySource for Keypad<P> {
    fn next_key(&mut self, now_ms: u64) -> Option<u8> {
        if self.pending == 0 {
            self.pending = self.scan(now_ms);
        }
        let i = self.pending.trailing_zeros() as usize;
        let rating = RATING_KEYS.get(i)?;
        self.pending &= !(1 << i);
        Some(b'0' + rating.score())
    }
}

/// A keypad that sends its keys as bytes on a serial line (the local
/// line of the QEMU board, or a keypad with its own microcontroller).
pub struct SerialKeys<R> {
    port: R,
    errors: u32,
}

impl<R: Read + ReadReady> SerialKeys<R> {
    /// Keys that arrive on `port`, one byte each.
    pub fn new(port: R) -> SerialKeys<R> {
        SerialKeys { port, errors: 0 }
    }

    /// Reads that failed.
    pub fn errors(&self) -> u32 {
        self.errors
    }
}

impl<R: Read + ReadReady> KeySource for SerialKeys<R> {
    fn next_key(&mut self, _now_ms: u64) -> Option<u8> {
        let mut byte = [0u8; 1];
        let read = match self.port.read_ready() {
            Ok(true) => self.port.read(&mut byte),
            Ok(false) => return None,
            Err(e) => Err(e),
        };
        match read {
            Ok(1) => Some(byte[0]),
            Ok(_) => None,
            Err(_) => {
                self.errors = self.errors.wrapping_add(1);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{FakePin, FakeSerial};

    /// A keypad wired active low, all keys up, and handles on its pins.
    fn keypad() -> (Keypad<FakePin>, [FakePin; 5]) {
        let pins: [FakePin; 5] = core::array::from_fn(|_| FakePin::new(true));
        (Keypad::new(pins.clone(), ActiveLevel::Low), pins)
    }

    /// Polls once a millisecond over `ms`, after `script` set the pins for
    /// that millisecond; returns the presses with their times.
    fn run(
        keypad: &mut Keypad<FakePin>,
        ms: core::ops::Range<u64>,
        mut script: impl FnMut(u64),
    ) -> Vec<(u64, u8)> {
        let mut presses = Vec::new();
        for t in ms {
            script(t);
            while let Some(key) = keypad.next_key(t) {
                presses.push((t, key));
            }
        }
        presses
    }

    #[test]
    fn contact_bounce_is_debounced() {
        let (mut keypad, pins) = keypad();
        // Key 3 (基本满意) chatters from 10 ms to 24 ms, then stays down.
        let presses = run(&mut keypad, 0..100, |t| {
            pins[2].set(!(t >= 10 && (t >= 25 || t % 3 == 1)));
        });
        assert_eq!(presses, vec![(25 + SETTLE_MS, b'3')]);
    }

    #[test]
    fn a_held_key_gives_one_press_and_a_bouncing_release_none() {
        let (mut keypad, pins) = keypad();
        let presses = run(&mut keypad, 0..5_000, |t| {
            let releasing = (4_000..4_012).contains(&t) && t % 2 == 0;
            pins[0].set(!(10..4_000).contains(&t) && !releasing);
        });
        assert_eq!(presses, vec![(10 + SETTLE_MS, b'5')]);
        // Pressed again after it settled up: a new press.
        let again = run(&mut keypad, 5_000..5_100, |_| pins[0].set(false));
        assert_eq!(again, vec![(5_000 + SETTLE_MS, b'5')]);
    }

    #[test]
    fn a_glitch_shorter_than_the_settle_time_is_no_press() {
        let (mut keypad, pins) = keypad();
        let presses = run(&mut keypad, 0..200, |t| {
            pins[4].set(!(50..50 + SETTLE_MS - 1).contains(&t));
        });
        assert!(presses.is_empty(), "{presses:?}");
    }

    #[test]
    fn two_keys_together_are_two_presses() {
        let (mut keypad, pins) = keypad();
        let presses = run(&mut keypad, 0..100, |t| {
            pins[1].set(t < 10);
            pins[3].set(t < 10);
        });
        assert_eq!(presses, vec![(30, b'4'), (30, b'2')]);
    }

    #[test]
    fn a_key_down_at_power_up_counts_only_after_release() {
        let (mut keypad, pins) = keypad();
        pins[0].set(false);
        assert!(run(&mut keypad, 0..1_000, |_| {}).is_empty());
        let presses = run(&mut keypad, 1_000..1_200, |t| pins[0].set(t >= 1_100));
        assert!(presses.is_empty(), "released: {presses:?}");
        let presses = run(&mut keypad, 1_200..1_300, |_| pins[0].set(false));
        assert_eq!(presses, vec![(1_200 + SETTLE_MS, b'5')]);
    }

    #[test]
    fn keys_wired_active_high() {
        let pins: [FakePin; 5] = core::array::from_fn(|_| FakePin::new(false));
        let mut keypad = Keypad::new(pins.clone(), ActiveLevel::High);
        let presses = run(&mut keypad, 0..100, |t| pins[4].set(t >= 10));
        assert_eq!(presses, vec![(10 + SETTLE_MS, b'1')]);
    }

    #[test]
    fn a_failing_pin_is_counted_never_pressed() {
        let (mut keypad, pins) = keypad();
        let presses = run(&mut keypad, 0..100, |t| {
            if t >= 10 {
                pins[2].fail();
            }
        });
        assert!(presses.is_empty(), "{presses:?}");
        assert_eq!(keypad.errors(), 90);
        let presses = run(&mut keypad, 100..200, |_| pins[2].set(true));
        assert!(presses.is_empty(), "back up: {presses:?}");
    }

    #[test]
    fn serial_keys_are_bytes_as_they_come() {
        let port = FakeSerial::new();
        let mut keys = SerialKeys::new(port.clone());
        // The fake panics on a read that would block.
        assert_eq!(keys.next_key(0), None);
        port.feed(b"4\r\n");
        let got: Vec<u8> = core::iter::from_fn(|| keys.next_key(1)).collect();
        assert_eq!(got, b"4\r\n");

        let mut broken = SerialKeys::new(FakeSerial::new().failing());
        assert_eq!(broken.next_key(0), None);
        assert_eq!(broken.errors(), 1);
    }

    #[test]
    fn two_sources_take_turns() {
        let (keypad, pins) = keypad();
        let line = FakeSerial::new();
        let mut both = (keypad, SerialKeys::new(line.clone()));
        line.feed(b"2");
        let mut got = Vec::new();
        for t in 0..50 {
            pins[0].set(t < 5);
            while let Some(key) = both.next_key(t) {
                got.push((t, key));
            }
        }
        assert_eq!(got, vec![(0, b'2'), (5 + SETTLE_MS, b'5')]);
    }
}
