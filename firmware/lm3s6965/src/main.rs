//! Peripheral-controller firmware for the LM3S6965 evaluation board, as
//! QEMU's `lm3s6965evb` machine emulates it. UART0 is the link to the hall's
//! edge agent (the `bantong-wire` protocol); UART1 is the local device line:
//! key presses of the rating keypad come in on it, and what the call display
//! shows (and the ticket printer prints) goes out on it. With the
//! `gpio-keypad` feature the board's five navigation buttons rate too.
//!
//! All behaviour lives in `bantong-controller`, tested on the host: its
//! drivers and event loop run here on the `embedded-io`/`embedded-hal`
//! implementations in [`hal`]. This file only wires them up and keeps time
//! with SysTick.
#![no_std]
#![no_main]

mod hal;

use bantong_controller::{
    ActiveLevel, Controller, EventLoop, KeySource, Keypad, LinkPort, LocalPort, SerialKeys,
};
use bantong_wire::DeviceClass;
use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use panic_halt as _;

/// The serial number this controller reports.
const SERIAL: u32 = 0x6965_0001;

/// The core clock QEMU gives the board (12 MHz), ticks per millisecond.
const TICKS_PER_MS: u32 = 12_000;

/// Milliseconds since boot, counted by the SysTick exception (so no tick is
/// lost while the main loop is busy).
static MILLIS: AtomicU32 = AtomicU32::new(0);

#[exception]
fn SysTick() {
    MILLIS.fetch_add(1, Ordering::Relaxed);
}

fn millis() -> u64 {
    u64::from(MILLIS.load(Ordering::Relaxed))
}

/// Starts the millisecond clock.
fn start_clock(syst: &mut SYST) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(TICKS_PER_MS - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// Boots the controller and turns its event loop forever.
fn run<K: KeySource>(mut event_loop: EventLoop<hal::Uart, hal::UartTx, K>) -> ! {
    event_loop.boot(millis());
    loop {
        event_loop.poll(millis());
    }
}

#[entry]
fn main() -> ! {
    if let (Some(mut cp), Some(board)) = (cortex_m::Peripherals::take(), hal::Board::take()) {
        start_clock(&mut cp.SYST);
        let controller = Controller::new(DeviceClass::Hub, SERIAL);
        let link = LinkPort::new(board.uart0);
        let (keys_in, display_out) = board.uart1.split();
        let local = LocalPort::new(display_out);
        let line_keys = SerialKeys::new(keys_in);
        // Both branches are compiled (and linted); the feature picks one.
        if cfg!(feature = "gpio-keypad") {
            let buttons = Keypad::new(board.buttons.enable(), ActiveLevel::Low);
            run(EventLoop::new(
                controller,
                link,
                local,
                (buttons, line_keys),
            ))
        } else {
            run(EventLoop::new(controller, link, local, line_keys))
        }
    }
    loop {
        cortex_m::asm::wfi();
    }
}
