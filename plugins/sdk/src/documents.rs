//! Documents rendered by the host (since WIT 0.1.1): describe a report —
//! cover, numbered headings, paragraphs, tables, KPI figures, charts — with
//! the document model of `bantong-hall-kit` (`document::Document`), and the
//! host makes it a DOCX, PDF (Chinese fonts embedded) or XLSX file, stored
//! as a blob of the plugin for the hall named. Needs the `documents`
//! capability.
//!
//! ```ignore
//! let mut doc = bantong_hall_kit::document::Document::new("监督检查月报");
//! doc.heading(1, "基本情况").paragraph("本月共检查17个服务中心。");
//! let file = documents::render(Format::Pdf, &doc, None)?;
//! // Link to it: /api/blobs/{file.sha256}
//! ```

use serde::Serialize;

use crate::bindings::bantong::platform::documents as wit;
use crate::blobs::BlobRef;
use crate::error::Error;

/// The file format.
pub use wit::Format;

/// Renders `doc` (any value that serialises to the document model's JSON)
/// as a file of `format` for `hall` (`None`: district level) and answers
/// the stored file's address.
pub fn render<T: Serialize>(format: Format, doc: &T, hall: Option<&str>) -> Result<BlobRef, Error> {
    let spec = serde_json::to_string(doc).map_err(|e| Error::Json(e.to_string()))?;
    Ok(wit::render(format, &spec, hall)?)
}

/// The first pages of a document as images, and its page count.
pub use wit::PageImages;

/// Renders the first `first` pages (at most 200) of `doc`'s PDF as PNG
/// images (1000 pixels wide, since WIT 0.1.5), each stored for `hall`, in
/// page order, with the document's page count: a preview any browser
/// shows.
pub fn render_pages<T: Serialize>(
    doc: &T,
    hall: Option<&str>,
    first: u32,
) -> Result<PageImages, Error> {
    let spec = serde_json::to_string(doc).map_err(|e| Error::Json(e.to_string()))?;
    Ok(wit::render_pages(&spec, hall, first)?)
}
