//! `queue`, an edge plugin: the hall queue (排队叫号) for the "5+X" window
//! layout: ticket issue by ID card, appointment code or walk-in, the green
//! channel (绿色通道) for elderly visitors, calling, recall (重呼), missed
//! numbers (过号) that go back into the line, transfer to another window's
//! category (转窗), pausing a window, and a snapshot for the hall screen and
//! dashboards.
//!
//! [`queue`] is the whole state machine and has no bindings: time comes in
//! as the agent clock (`now_ms`), so the same code runs natively in tests.

pub mod hall;
pub mod queue;

#[cfg(target_arch = "wasm32")]
mod plugin;
