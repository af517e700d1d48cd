//! `camera-watch`, an edge plugin: per-camera regions from the hall config,
//! unattended windows, crowding and queue length, recalibration on sudden
//! scene changes. Alerts go upstream with a JPEG snapshot encoded by the
//! agent; no other pixels leave the hall.
//!
//! [`detect`] is the whole analysis and has no bindings, so the benchmark
//! runs the same code natively as its baseline.

pub mod detect;

#[cfg(target_arch = "wasm32")]
mod plugin;
