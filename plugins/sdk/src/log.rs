//! Structured logging into the host's log stream; the host tags each record
//! with the plugin id and the request id.
//!
//! Never log personal data (ID numbers, phone numbers) unmasked.

use crate::bindings::bantong::platform::log as wit;

pub use crate::bindings::bantong::platform::log::Level;

/// Writes one record with key/value fields. Messages beyond 4 KiB are truncated.
pub fn write(level: Level, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    wit::write(level, message, &fields);
}

/// Logs at `trace`.
pub fn trace(message: &str) {
    write(Level::Trace, message, &[]);
}

/// Logs at `debug`.
pub fn debug(message: &str) {
    write(Level::Debug, message, &[]);
}

/// Logs at `info`.
pub fn info(message: &str) {
    write(Level::Info, message, &[]);
}

/// Logs at `warn`.
pub fn warn(message: &str) {
    write(Level::Warn, message, &[]);
}

/// Logs at `error`.
pub fn error(message: &str) {
    write(Level::Error, message, &[]);
}
