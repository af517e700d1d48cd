//! Notes in the district's audit log (since WIT 0.1.4). The host records
//! every successful write a person makes through a plugin; a note adds what
//! only the plugin knows — the SHA-256 of the files a report was issued
//! with, the version a decision applied to — to that record, committed with
//! the call's writes or not at all. A call that fails or writes nothing
//! records nothing. No capability is needed.
//!
//! ```ignore
//! use bantong_sdk::audit;
//! audit::note("report.issued", &json!({ "report": id, "pdf": pdf.sha256 }))?;
//! ```

use serde::Serialize;

use crate::bindings::bantong::platform::audit as wit;
use crate::error::Error;

/// Adds a note to this call's audit record: `action` is a dotted verb
/// (`report.issued`; 1-64 bytes of `a-z 0-9 . _ -`), `detail` serialises
/// to a JSON object of at most 4 KiB. At most 16 notes per call. Never put
/// secrets or personal data in a note: the audit log keeps it for good.
pub fn note<T: Serialize>(action: &str, detail: &T) -> Result<(), Error> {
    let text = serde_json::to_string(detail).map_err(|e| Error::json("audit note", e))?;
    Ok(wit::note(action, &text)?)
}
