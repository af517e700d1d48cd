//! Edge plugin `rating`: turns the windows' rating-keypad presses into
//! 好差评 records (现场服务 "一次一评") sent upstream as `haocha.rating`,
//! and raises `alert.haocha-bad` for a 不满意 or 非常不满意 rating, which
//! needs a callback and rectification (国办发〔2019〕51号).
//!
//! The keypad is armed by whoever finished the service — the `queue`
//! plugin prompts the window's keypad with the ticket, service item and
//! masked ID — so the record names what was rated. The logic is plain Rust
//! in [`record`]; the wasm glue is in `plugin.rs`.

pub mod record;

#[cfg(target_arch = "wasm32")]
mod plugin;
