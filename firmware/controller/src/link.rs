//! The serial link to the hall's edge agent, over any port with the
//! `embedded-io` traits: what arrived is read without waiting (for the
//! controller's wire [`Decoder`](bantong_wire::Decoder)), and frames go out
//! with [`write_bounded`], so a link nobody drains drops frames instead of
//! stalling the keypad and the display.

use crate::Wire;
use crate::bounded_write::{Sent, TX_SPINS, write_bounded};
use embedded_io::{Read, ReadReady, Write, WriteReady};

/// What happened on a link since start, for health reporting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Frames written whole.
    pub frames_sent: u32,
    /// Frames cut short or not written because the port stayed full.
    pub frames_dropped: u32,
    /// Reads that failed.
    pub read_errors: u32,
}

/// The link port.
pub struct LinkPort<P> {
    port: P,
    spins: u32,
    stats: LinkStats,
}

impl<P: Read + ReadReady + Write + WriteReady> LinkPort<P> {
    /// A link on `port` that waits at most [`TX_SPINS`] polls for room.
    pub fn new(port: P) -> LinkPort<P> {
        LinkPort {
            port,
            spins: TX_SPINS,
            stats: LinkStats::default(),
        }
    }

    /// Waits at most `spins` polls of a full port before dropping.
    pub fn with_spins(mut self, spins: u32) -> LinkPort<P> {
        self.spins = spins;
        self
    }

    /// Reads what has arrived into `buf`, without waiting; 0 when nothing
    /// has (or the port failed).
    pub fn receive(&mut self, buf: &mut [u8]) -> usize {
        let read = match self.port.read_ready() {
            Ok(true) => self.port.read(buf),
            Ok(false) => return 0,
            Err(e) => Err(e),
        };
        match read {
            Ok(n) => n.min(buf.len()),
            Err(_) => {
                self.stats.read_errors = self.stats.read_errors.wrapping_add(1);
                0
            }
        }
    }

    /// Sends one frame, or as much of it as the port takes in time.
    pub fn send(&mut self, frame: &Wire) -> Sent {
        let sent = write_bounded(&mut self.port, frame.as_bytes(), self.spins);
        let counter = match sent {
            Sent::All => &mut self.stats.frames_sent,
            Sent::Dropped { .. } => &mut self.stats.frames_dropped,
        };
        *counter = counter.wrapping_add(1);
        sent
    }

    /// Counters since start.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::FakeSerial;
    use bantong_wire::{Decoder, Frame, Message};

    fn heartbeat(uptime_s: u32) -> Wire {
        Wire::encode(1, Message::Heartbeat { uptime_s })
    }

    fn decoded(bytes: &[u8]) -> Vec<Message<'static>> {
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        for &b in bytes {
            if let Some(Ok(body)) = decoder.push(b)
                && let Ok(Frame {
                    message: Message::Heartbeat { uptime_s },
                    ..
                }) = Frame::decode(body)
            {
                out.push(Message::Heartbeat { uptime_s });
            }
        }
        out
    }

    #[test]
    fn frames_written_decode_with_the_wire_crate() {
        let port = FakeSerial::new();
        let mut link = LinkPort::new(port.clone());
        assert_eq!(link.send(&heartbeat(7)), Sent::All);
        assert_eq!(link.send(&heartbeat(8)), Sent::All);
        assert_eq!(
            decoded(&port.sent()),
            vec![
                Message::Heartbeat { uptime_s: 7 },
                Message::Heartbeat { uptime_s: 8 }
            ]
        );
        assert_eq!(link.stats().frames_sent, 2);
    }

    #[test]
    fn a_full_link_drops_and_the_next_frame_still_decodes() {
        let port = FakeSerial::new().room(5);
        let mut link = LinkPort::new(port.clone()).with_spins(100);
        assert_eq!(link.send(&heartbeat(1)), Sent::Dropped { written: 5 });
        assert_eq!(link.send(&heartbeat(2)), Sent::Dropped { written: 0 });
        port.drain();
        assert_eq!(link.send(&heartbeat(3)), Sent::All);
        // The cut frame is lost at the receiver, the next one is not.
        assert_eq!(
            decoded(&port.sent()),
            vec![Message::Heartbeat { uptime_s: 3 }]
        );
        let stats = link.stats();
        assert_eq!((stats.frames_sent, stats.frames_dropped), (1, 2));
    }

    #[test]
    fn receiving_never_waits() {
        let port = FakeSerial::new();
        let mut link = LinkPort::new(port.clone());
        let mut buf = [0u8; 4];
        // The fake panics on a read that would block.
        assert_eq!(link.receive(&mut buf), 0);
        port.feed(b"abcdef");
        assert_eq!(link.receive(&mut buf), 4);
        assert_eq!(&buf, b"abcd");
        assert_eq!(link.receive(&mut buf), 2);
        assert_eq!(link.receive(&mut buf), 0);

        let mut broken = LinkPort::new(FakeSerial::new().failing());
        assert_eq!(broken.receive(&mut buf), 0);
        assert_eq!(broken.stats().read_errors, 1);
    }
}
