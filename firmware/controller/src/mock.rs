//! Hand-written fakes of the hardware the drivers are generic over: an
//! input pin and a serial port. Clones share their state, so a test keeps
//! one handle while a driver owns the other. Both refuse what real
//! hardware would block on: reading an empty port or writing a full one
//! panics, so a driver that would stall fails its test instead.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

/// A key's input pin; `None` reads as a failing pin.
#[derive(Clone)]
pub struct FakePin {
    level: Rc<Cell<Option<bool>>>,
}

impl FakePin {
    /// A pin reading `high`.
    pub fn new(high: bool) -> FakePin {
        FakePin {
            level: Rc::new(Cell::new(Some(high))),
        }
    }

    pub fn set(&self, high: bool) {
        self.level.set(Some(high));
    }

    /// Every read fails from now on (until [`FakePin::set`]).
    pub fn fail(&self) {
        self.level.set(None);
    }
}

impl embedded_hal::digital::ErrorType for FakePin {
    type Error = embedded_hal::digital::ErrorKind;
}

impl embedded_hal::digital::InputPin for FakePin {
    fn is_high(&mut self) -> Result<bool, Self::Error> {
        self.level
            .get()
            .ok_or(embedded_hal::digital::ErrorKind::Other)
    }

    fn is_low(&mut self) -> Result<bool, Self::Error> {
        self.is_high().map(|high| !high)
    }
}

#[derive(Default)]
struct Port {
    rx: VecDeque<u8>,
    tx: Vec<u8>,
    /// Bytes it still takes before it is full for good; `None`: no limit.
    room: Option<usize>,
    /// Polls answered "not ready" before each write.
    busy: u32,
    busy_left: u32,
    failing: bool,
    ready_polls: usize,
}

/// A serial port: bytes queued for the driver to read, bytes the driver
/// wrote, and a transmitter that can be slow, full or failing.
#[derive(Clone, Default)]
pub struct FakeSerial {
    port: Rc<RefCell<Port>>,
}

impl FakeSerial {
    /// A port that is always ready and has nothing to read.
    pub fn new() -> FakeSerial {
        FakeSerial::default()
    }

    /// Takes only `bytes` more bytes, then stays full.
    pub fn room(self, bytes: usize) -> FakeSerial {
        self.port.borrow_mut().room = Some(bytes);
        self
    }

    /// Answers "not ready" `polls` times before each write.
    pub fn busy_for(self, polls: u32) -> FakeSerial {
        {
            let mut port = self.port.borrow_mut();
            port.busy = polls;
            port.busy_left = polls;
        }
        self
    }

    /// Every call fails.
    pub fn failing(self) -> FakeSerial {
        self.port.borrow_mut().failing = true;
        self
    }

    /// Makes the port take bytes again.
    pub fn drain(&self) {
        self.port.borrow_mut().room = None;
    }

    /// Queues bytes for the driver to read.
    pub fn feed(&self, bytes: &[u8]) {
        self.port.borrow_mut().rx.extend(bytes);
    }

    /// Everything written so far.
    pub fn sent(&self) -> Vec<u8> {
        self.port.borrow().tx.clone()
    }

    /// Bytes not read yet.
    pub fn unread(&self) -> usize {
        self.port.borrow().rx.len()
    }

    /// Times the driver asked whether it may write.
    pub fn ready_polls(&self) -> usize {
        self.port.borrow().ready_polls
    }
}

impl embedded_io::ErrorType for FakeSerial {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io::ReadReady for FakeSerial {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        let port = self.port.borrow();
        if port.failing {
            return Err(embedded_io::ErrorKind::Other);
        }
        Ok(!port.rx.is_empty())
    }
}

impl embedded_io::Read for FakeSerial {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let mut port = self.port.borrow_mut();
        assert!(!port.failing, "read after a failed read_ready");
        assert!(
            buf.is_empty() || !port.rx.is_empty(),
            "read of an empty port would block"
        );
        let n = buf.len().min(port.rx.len());
        for (slot, byte) in buf.iter_mut().zip(port.rx.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

impl embedded_io::WriteReady for FakeSerial {
    fn write_ready(&mut self) -> Result<bool, Self::Error> {
        let mut port = self.port.borrow_mut();
        port.ready_polls += 1;
        if port.failing {
            return Err(embedded_io::ErrorKind::Other);
        }
        if port.busy_left > 0 {
            port.busy_left -= 1;
            return Ok(false);
        }
        Ok(port.room != Some(0))
    }
}

impl embedded_io::Write for FakeSerial {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        let mut port = self.port.borrow_mut();
        assert!(!port.failing, "write after a failed write_ready");
        assert!(
            port.busy_left == 0 && port.room != Some(0),
            "write to a full port would block"
        );
        let n = buf.len().min(port.room.unwrap_or(usize::MAX));
        port.tx.extend_from_slice(&buf[..n]);
        if let Some(room) = port.room.as_mut() {
            *room -= n;
        }
        port.busy_left = port.busy;
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
