//! Reads from other module plugins (since WIT 0.1.4): ask the module that
//! owns some data for what it publishes — a month's scorecard, the
//! hotline's KPIs — instead of reading its collections and repeating its
//! rules.
//!
//! The reader lists the modules it reads under `module-reads` in its
//! manifest, the operator grants each pair (`[[module-read]]` in the
//! policy), and only `GET` routes the other module marks `module-read =
//! true` answer. There the other module sees the caller `module:<reader>`
//! (see [`crate::Caller::module`]): district-wide, with no hall and no
//! person. Its writes during a read are refused ([`crate::Error::Denied`]),
//! and a read cannot read further modules.
//!
//! ```ignore
//! use bantong_sdk::modules;
//!
//! // A report section that says so when its source is not installed.
//! match modules::installed("supervision")? {
//!     None => doc.paragraph("监督促效模块未安装。"),
//!     Some(_) => {
//!         let card: Scorecard = modules::get("supervision", "/scorecard?month=2026-11")?;
//!         // …
//!     }
//! }
//! ```

use serde::de::DeserializeOwned;

use crate::bindings::bantong::platform::modules as wit;
use crate::error::Error;

/// The installed and enabled version of module `plugin`, or `None` when it
/// is not installed or is disabled. [`Error::Denied`] unless the read of
/// `plugin` is declared and granted.
pub fn installed(plugin: &str) -> Result<Option<String>, Error> {
    Ok(wit::installed(plugin)?)
}

/// `GET target` (a path with an optional query, e.g.
/// `/scorecard?month=2026-11`) of module `plugin`, its JSON body parsed as
/// `T`. Errors: [`Error::Denied`] (no granted read, or the route is not
/// open to modules), [`Error::NotFound`] (not installed, no such route, or
/// it answered 404), [`Error::Invalid`] (a malformed target, or another
/// 4xx with its message), [`Error::Conflict`], [`Error::Unavailable`] (it
/// failed or is quarantined), [`Error::Json`] (the body is not a `T`).
pub fn get<T: DeserializeOwned>(plugin: &str, target: &str) -> Result<T, Error> {
    let body = get_bytes(plugin, target)?;
    serde_json::from_slice(&body).map_err(|e| Error::json(&format!("{plugin} {target}"), e))
}

/// Like [`get`], but the body as the other module sent it.
pub fn get_bytes(plugin: &str, target: &str) -> Result<Vec<u8>, Error> {
    Ok(wit::get(plugin, target)?)
}
