//! The local device line: what the call display shows and the ticket
//! printer prints (the controller's [`Output::Local`](crate::Output::Local)
//! lines), over any port with the `embedded-io` write traits. A display
//! that stops taking bytes loses lines; the controller keeps answering the
//! agent.

use crate::Line;
use crate::bounded_write::{Sent, TX_SPINS, write_bounded};
use embedded_io::{Write, WriteReady};

/// The display and printer port.
pub struct LocalPort<W> {
    port: W,
    spins: u32,
    dropped: u32,
}

impl<W: Write + WriteReady> LocalPort<W> {
    /// A line on `port` that waits at most [`TX_SPINS`] polls for room.
    pub fn new(port: W) -> LocalPort<W> {
        LocalPort {
            port,
            spins: TX_SPINS,
            dropped: 0,
        }
    }

    /// Waits at most `spins` polls of a full port before dropping.
    pub fn with_spins(mut self, spins: u32) -> LocalPort<W> {
        self.spins = spins;
        self
    }

    /// Shows (or prints) one line, or as much of it as the port takes in
    /// time.
    pub fn show(&mut self, line: &Line) -> Sent {
        let sent = write_bounded(&mut self.port, line.as_bytes(), self.spins);
        if sent != Sent::All {
            self.dropped = self.dropped.wrapping_add(1);
        }
        sent
    }

    /// Lines cut short or lost because the port stayed full.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::FakeSerial;

    #[test]
    fn lines_reach_the_display() {
        let port = FakeSerial::new().busy_for(3);
        let mut local = LocalPort::new(port.clone()).with_spins(10);
        assert_eq!(
            local.show(&Line::new(&[b"display: ", "暂停服务".as_bytes()])),
            Sent::All
        );
        assert_eq!(String::from_utf8(port.sent()).unwrap(), "display: 暂停服务");
        assert_eq!(local.dropped(), 0);
    }

    #[test]
    fn a_hung_display_loses_lines_not_time() {
        let port = FakeSerial::new().room(0);
        let mut local = LocalPort::new(port.clone()).with_spins(10);
        assert_eq!(
            local.show(&Line::new(&[b"print: A001"])),
            Sent::Dropped { written: 0 }
        );
        assert_eq!(port.ready_polls(), 11);
        assert_eq!(local.dropped(), 1);
    }
}
