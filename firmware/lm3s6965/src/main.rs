//! Peripheral-controller firmware for the LM3S6965 evaluation board, as
//! QEMU's `lm3s6965evb` machine emulates it. UART0 is the link to the hall's
//! edge agent (the `bantong-wire` protocol); UART1 is the local device line:
//! key presses of the rating keypad come in on it, and what the call display
//! shows (and the ticket printer prints) goes out on it. All behaviour lives
//! in `bantong-controller`, tested on the host; this file only moves bytes
//! between registers and that state machine, and keeps time with SysTick.
#![no_std]
#![no_main]

use bantong_controller::{Controller, Output, Outputs};
use bantong_wire::DeviceClass;
use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use panic_halt as _;

/// A Stellaris UART (PL011-like): data and flag registers only.
struct Uart {
    base: usize,
}

const UART0: usize = 0x4000_C000;
const UART1: usize = 0x4000_D000;
const DR: usize = 0x000;
const FR: usize = 0x018;
const FR_RXFE: u32 = 1 << 4;
const FR_TXFF: u32 = 1 << 5;
/// Polls of a full TX FIFO before a write gives up (about 10 ms at 12 MHz).
const TX_SPINS: u32 = 20_000;

impl Uart {
    fn flags(&self) -> u32 {
        // SAFETY: FR is a read-only, always-mapped register of this UART.
        unsafe { core::ptr::read_volatile((self.base + FR) as *const u32) }
    }

    /// The next received byte, if any.
    fn read(&self) -> Option<u8> {
        if self.flags() & FR_RXFE != 0 {
            return None;
        }
        // SAFETY: DR is this UART's data register; reading pops the FIFO.
        let word = unsafe { core::ptr::read_volatile((self.base + DR) as *const u32) };
        Some(word as u8)
    }

    /// Queues `bytes`. A FIFO that stays full (a display that stopped
    /// taking bytes) costs the bytes, not the controller: after a bounded
    /// wait they are dropped, and the link's checksums catch what is lost.
    fn write(&self, bytes: &[u8]) {
        for &b in bytes {
            let mut spins = 0u32;
            while self.flags() & FR_TXFF != 0 {
                spins += 1;
                if spins > TX_SPINS {
                    return;
                }
            }
            // SAFETY: DR is this UART's data register; writing queues a byte.
            unsafe { core::ptr::write_volatile((self.base + DR) as *mut u32, u32::from(b)) };
        }
    }
}

/// The core clock QEMU gives the board (12 MHz), ticks per millisecond.
const TICKS_PER_MS: u32 = 12_000;

/// Milliseconds since boot, counted by the SysTick exception (so no tick is
/// lost while the main loop is busy).
static MILLIS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}

fn emit(outputs: Outputs, link: &Uart, local: &Uart) {
    for output in outputs.iter() {
        match output {
            Output::Link(wire) => link.write(wire.as_bytes()),
            Output::Local(line) => local.write(line.as_bytes()),
        }
    }
}

#[entry]
fn main() -> ! {
    let link = Uart { base: UART0 };
    let local = Uart { base: UART1 };
    if let Some(mut cp) = cortex_m::Peripherals::take() {
        cp.SYST.set_clock_source(SystClkSource::Core);
        cp.SYST.set_reload(TICKS_PER_MS - 1);
        cp.SYST.clear_current();
        cp.SYST.enable_interrupt();
        cp.SYST.enable_counter();
        let mut controller = Controller::new(DeviceClass::Hub, 0x6965_0001);
        let mut now: u64 = 0;
        emit(controller.boot(now), &link, &local);
        loop {
            let millis = u64::from(MILLIS.load(Ordering::Relaxed));
            if millis != now {
                now = millis;
                emit(controller.tick(now), &link, &local);
            }
            while let Some(byte) = link.read() {
                emit(controller.link(byte), &link, &local);
            }
            while let Some(byte) = local.read() {
                emit(controller.key(byte, now), &link, &local);
            }
        }
    }
    loop {
        cortex_m::asm::wfi();
    }
}
