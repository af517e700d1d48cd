//! The LM3S6965's peripherals as `bantong-controller`'s drivers take
//! them: its UARTs as `embedded-io` ports, the evaluation board's five
//! navigation buttons as `embedded-hal` input pins. Only what the firmware
//! uses and QEMU's `lm3s6965evb` emulates: the UARTs run as reset leaves
//! them (no baud rate, no interrupts), and receive errors are not checked
//! (the wire protocol's checksums catch a corrupted frame).

use core::convert::Infallible;
use core::sync::atomic::{AtomicBool, Ordering};
use embedded_io::{ErrorType, Read, ReadReady, Write, WriteReady};

/// A memory-mapped register. Only this module makes them, from the
/// addresses in the LM3S6965 data sheet below.
#[derive(Clone, Copy)]
struct Reg(usize);

impl Reg {
    fn read(self) -> u32 {
        // SAFETY: a `Reg` is one of the chip's always-mapped, 32-bit
        // registers listed in this module.
        unsafe { core::ptr::read_volatile(self.0 as *const u32) }
    }

    fn write(self, value: u32) {
        // SAFETY: as in `read`; the writers below only set bits the data
        // sheet defines.
        unsafe { core::ptr::write_volatile(self.0 as *mut u32, value) }
    }

    fn set_bits(self, mask: u32) {
        self.write(self.read() | mask);
    }

    fn clear_bits(self, mask: u32) {
        self.write(self.read() & !mask);
    }
}

const UART0: usize = 0x4000_C000;
const UART1: usize = 0x4000_D000;
/// Data register: reading pops the receive FIFO, writing queues a byte.
const UART_DR: usize = 0x000;
/// Flag register.
const UART_FR: usize = 0x018;
const FR_BUSY: u32 = 1 << 3;
const FR_RXFE: u32 = 1 << 4;
const FR_TXFF: u32 = 1 << 5;

/// Run-mode clock gating for the GPIO ports.
const SYSCTL_RCGC2: Reg = Reg(0x400F_E108);
const RCGC2_GPIOE: u32 = 1 << 4;
const RCGC2_GPIOF: u32 = 1 << 5;
const GPIOE: usize = 0x4002_4000;
const GPIOF: usize = 0x4002_5000;
const GPIO_DIR: usize = 0x400;
const GPIO_PUR: usize = 0x510;
const GPIO_DEN: usize = 0x51C;

/// The board's peripherals this firmware drives, handed out once.
pub struct Board {
    /// UART0: the link to the edge agent.
    pub uart0: Uart,
    /// UART1: the local keypad and display line.
    pub uart1: Uart,
    /// The navigation buttons, not yet clocked.
    pub buttons: Buttons,
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Board {
    /// The peripherals, the first time only (so no two drivers share a
    /// UART's registers).
    pub fn take() -> Option<Board> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(Board {
            uart0: Uart { base: UART0 },
            uart1: Uart { base: UART1 },
            buttons: Buttons { _private: () },
        })
    }
}

/// A Stellaris UART (PL011-like), polled through its data and flag
/// registers.
pub struct Uart {
    base: usize,
}

impl Uart {
    fn flags(&self) -> u32 {
        Reg(self.base + UART_FR).read()
    }

    fn rx_ready(&self) -> bool {
        self.flags() & FR_RXFE == 0
    }

    fn tx_ready(&self) -> bool {
        self.flags() & FR_TXFF == 0
    }

    /// Splits the UART into its receiving and sending halves, for a line
    /// that carries keys in and display text out.
    pub fn split(self) -> (UartRx, UartTx) {
        let base = self.base;
        (UartRx(Uart { base }), UartTx(Uart { base }))
    }
}

impl ErrorType for Uart {
    type Error = Infallible;
}

impl ReadReady for Uart {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.rx_ready())
    }
}

impl Read for Uart {
    /// Waits for the first byte (the trait's contract; ask
    /// [`ReadReady::read_ready`] first not to), then takes what the FIFO
    /// holds, up to `buf`'s length.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.rx_ready() {}
        let mut n = 0;
        for slot in buf.iter_mut() {
            if !self.rx_ready() {
                break;
            }
            // The low byte is the data; the error flags above it are dropped.
            *slot = Reg(self.base + UART_DR).read() as u8;
            n += 1;
        }
        Ok(n)
    }
}

impl WriteReady for Uart {
    fn write_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.tx_ready())
    }
}

impl Write for Uart {
    /// Waits for room for the first byte (the trait's contract; ask
    /// [`WriteReady::write_ready`] first not to), then queues what the
    /// FIFO takes.
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        while !self.tx_ready() {}
        let mut n = 0;
        for &byte in buf {
            if !self.tx_ready() {
                break;
            }
            Reg(self.base + UART_DR).write(u32::from(byte));
            n += 1;
        }
        Ok(n)
    }

    /// Waits until the last byte has left the shift register.
    fn flush(&mut self) -> Result<(), Infallible> {
        while self.flags() & FR_BUSY != 0 {}
        Ok(())
    }
}

/// A UART's receiving half.
pub struct UartRx(Uart);

impl ErrorType for UartRx {
    type Error = Infallible;
}

impl ReadReady for UartRx {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        self.0.read_ready()
    }
}

impl Read for UartRx {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        self.0.read(buf)
    }
}

/// A UART's sending half.
pub struct UartTx(Uart);

impl ErrorType for UartTx {
    type Error = Infallible;
}

impl WriteReady for UartTx {
    fn write_ready(&mut self) -> Result<bool, Infallible> {
        self.0.write_ready()
    }
}

impl Write for UartTx {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        self.0.flush()
    }
}

/// The evaluation board's navigation buttons: up, down, left and right on
/// PE0–PE3, select on PF1, each pulling its pin low while pressed.
pub struct Buttons {
    _private: (),
}

impl Buttons {
    /// Clocks GPIO ports E and F and makes the button pins pulled-up
    /// digital inputs. Returned in the order of a rating keypad, best
    /// first: up (5), right (4), select (3), left (2), down (1).
    pub fn enable(self) -> [Button; 5] {
        SYSCTL_RCGC2.set_bits(RCGC2_GPIOE | RCGC2_GPIOF);
        // The ports answer a few clock cycles after being clocked.
        cortex_m::asm::delay(16);
        for (port, mask) in [(GPIOE, 0x0F), (GPIOF, 0x02)] {
            Reg(port + GPIO_DIR).clear_bits(mask);
            Reg(port + GPIO_PUR).set_bits(mask);
            Reg(port + GPIO_DEN).set_bits(mask);
        }
        let pin = |port, bit| Button { port, bit };
        [
            pin(GPIOE, 0),
            pin(GPIOE, 3),
            pin(GPIOF, 1),
            pin(GPIOE, 2),
            pin(GPIOE, 1),
        ]
    }
}

/// One button's input pin.
pub struct Button {
    port: usize,
    bit: u8,
}

impl Button {
    fn is_set(&self) -> bool {
        // The data register is masked by address: bits 2–9 of the offset
        // select which pins a read sees.
        let mask = 1usize << self.bit;
        Reg(self.port + (mask << 2)).read() != 0
    }
}

impl embedded_hal::digital::ErrorType for Button {
    type Error = Infallible;
}

impl embedded_hal::digital::InputPin for Button {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.is_set())
    }

    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.is_set())
    }
}
