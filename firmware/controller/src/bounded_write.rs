//! Writes that never stall the controller. A port that stops taking bytes
//! (a display that hangs, a link whose far end stopped reading) costs the
//! bytes, not the main loop: after a bounded wait the rest is dropped. On
//! the link the receiver's decoder drops the cut frame at the next
//! delimiter; the agent retries what went unanswered.

use embedded_io::{Write, WriteReady};

/// Polls of a port that is not ready before a write gives up: about 10 ms
/// of polling a UART's flag register on a 12 MHz Cortex-M3.
pub const TX_SPINS: u32 = 20_000;

/// How a write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Every byte went out.
    All,
    /// The port stayed full (or failed) after `written` bytes; the rest
    /// was dropped.
    Dropped { written: usize },
}

/// Writes `bytes` to `port` without ever blocking in it: a write is only
/// started when the port says it is ready, and a port that stays not
/// ready for `spins` polls in a row (or fails) ends the write. The wait
/// starts again after every byte that goes out, so a slow port is waited
/// for and only a stuck one loses bytes.
pub fn write_bounded<W: Write + WriteReady>(port: &mut W, bytes: &[u8], spins: u32) -> Sent {
    let mut written = 0;
    let mut waited = 0u32;
    while let Some(rest) = bytes.get(written..).filter(|rest| !rest.is_empty()) {
        match port.write_ready() {
            Ok(true) => match port.write(rest) {
                // Zero bytes for a non-empty buffer: the port takes no more.
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    written += n.min(rest.len());
                    waited = 0;
                }
            },
            Ok(false) if waited < spins => waited += 1,
            Ok(false) | Err(_) => break,
        }
    }
    if written == bytes.len() {
        Sent::All
    } else {
        Sent::Dropped { written }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::FakeSerial;

    #[test]
    fn a_ready_port_takes_everything() {
        let mut port = FakeSerial::new();
        assert_eq!(write_bounded(&mut port, b"hello", 3), Sent::All);
        assert_eq!(port.sent(), b"hello");
    }

    #[test]
    fn a_slow_port_is_waited_for() {
        let mut port = FakeSerial::new().busy_for(5);
        assert_eq!(write_bounded(&mut port, b"abc", 10), Sent::All);
        assert_eq!(port.sent(), b"abc");
    }

    #[test]
    fn a_full_port_drops_instead_of_blocking() {
        // FakeSerial panics if written to while not ready (that would block).
        let mut port = FakeSerial::new().room(2);
        assert_eq!(
            write_bounded(&mut port, b"abcdef", 50),
            Sent::Dropped { written: 2 }
        );
        assert_eq!(port.sent(), b"ab");
        assert_eq!(port.ready_polls(), 1 + 51, "gave up after the budget");
    }

    #[test]
    fn a_failing_port_drops() {
        let mut port = FakeSerial::new().failing();
        assert_eq!(
            write_bounded(&mut port, b"abc", 10),
            Sent::Dropped { written: 0 }
        );
        assert_eq!(write_bounded(&mut port, b"", 10), Sent::All);
    }
}
