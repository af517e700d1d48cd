//! The plugin's configuration, resolved for the hall the call acts for:
//! schema defaults, overridden by district config, overridden by hall config.

use serde::de::DeserializeOwned;

use crate::bindings::bantong::platform::config as wit;
use crate::error::Error;

/// The resolved configuration, deserialised into `T` (use
/// `serde_json::Value` for the raw object).
///
/// The host validated it against the manifest's JSON Schema, so a mismatch
/// here means `T` disagrees with the schema; it is reported as [`Error::Json`].
pub fn get<T: DeserializeOwned>() -> Result<T, Error> {
    serde_json::from_str(&wit::get())
        .map_err(|e| Error::json("plugin config does not fit the requested type", e))
}
