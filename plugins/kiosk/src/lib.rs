//! Edge plugin `kiosk` (数字政务终端): a self-service session — read the
//! ID card, choose a service item, print a receipt (GB18030 ESC/POS),
//! rate (好差评 channel 自助终端). ID numbers are masked in everything it
//! sends, prints or shows; the identity is forgotten when the session ends.
//! The logic is plain Rust in [`session`]; the wasm glue is in `plugin.rs`.

pub mod session;

#[cfg(target_arch = "wasm32")]
mod plugin;
