//! Content-addressed blobs: photos, scans and attachments, addressed by the
//! SHA-256 of their content. Needs the `blobs` capability.

use crate::bindings::bantong::platform::blobs as wit;
use crate::error::Error;

/// A stored blob's address and metadata.
pub use wit::BlobRef;

/// Stores `content` as `content_type` (for example `image/jpeg`) and returns
/// its address; storing the same bytes twice gives the same address. The
/// host refuses media types it does not accept and content that does not
/// match its declared type.
pub fn put(content_type: &str, content: &[u8]) -> Result<BlobRef, Error> {
    Ok(wit::put(content_type, content)?)
}

/// Reads a blob by address; `None` when there is none.
pub fn get(sha256: &str) -> Result<Option<(BlobRef, Vec<u8>)>, Error> {
    Ok(wit::get(sha256)?)
}
