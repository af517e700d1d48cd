//! Renders the document model of `bantong_hall_kit::document` as the files
//! a district office uses: DOCX (what offices edit), PDF (what is issued)
//! and XLSX (the figures).
//!
//! - [`xlsx`]: every table a sheet with a bold frozen header and an
//!   autofilter, the KPI figures with numerator, denominator and
//!   definition, every chart a native Excel chart over its data;
//! - [`docx`]: 公文-like headings (黑体) and body (宋体) with numbered
//!   headings, tables whose header row repeats on each page, charts as
//!   pictures, page numbers in the footer, a cover;
//! - [`pdf`]: the same layout drawn with the Noto CJK fonts embedded
//!   (subset), so the PDF reads the same on any machine;
//! - [`pages`]: the PDF's pages drawn as PNG images (a preview any
//!   browser shows);
//! - [`picture`]: photos and scans (model version 2) decoded within
//!   bounds, scaled and encoded again for the format.
//!
//! Pure apart from reading the fonts once ([`Fonts::load`]); no I/O per
//! document. Invariant: a document that passed
//! [`bantong_hall_kit::document::Document::check`] always renders (errors
//! are the host's — a missing font — never the document's).

pub mod chart;
pub mod docx;
pub mod pages;
pub mod pdf;
pub mod picture;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bantong_hall_kit::document::Document;

/// Why rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("font {path}: {why}")]
    Font { path: PathBuf, why: String },
    #[error("document: {0}")]
    Invalid(String),
    #[error("rendering: {0}")]
    Render(String),
}

/// The file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Docx,
    Pdf,
    Xlsx,
}

impl Format {
    /// The MIME type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
        }
    }
}

/// One face of a font collection.
#[derive(Debug, Clone)]
pub struct Face {
    pub data: Arc<Vec<u8>>,
    pub index: u32,
}

impl Face {
    fn load(path: &Path, index: u32) -> Result<Face, DocError> {
        let data = std::fs::read(path).map_err(|e| DocError::Font {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        // Checked once here, so rendering can rely on it.
        ab_glyph::FontRef::try_from_slice_and_index(&data, index).map_err(|e| DocError::Font {
            path: path.to_owned(),
            why: e.to_string(),
        })?;
        Ok(Face {
            data: Arc::new(data),
            index,
        })
    }

    /// The face for measuring and rasterising.
    pub fn glyphs(&self) -> Result<ab_glyph::FontRef<'_>, DocError> {
        ab_glyph::FontRef::try_from_slice_and_index(&self.data, self.index)
            .map_err(|e| DocError::Render(format!("font: {e}")))
    }
}

/// The four faces documents use: a serif (宋体-like) for text, its bold
/// for titles, a sans (黑体-like) for headings, its regular for tables and
/// charts.
#[derive(Debug, Clone)]
pub struct Fonts {
    pub serif: Face,
    pub serif_bold: Face,
    pub sans: Face,
    pub sans_bold: Face,
}

/// Where Debian's `fonts-noto-cjk` puts its collections.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts/opentype/noto";

/// The face index of Simplified Chinese in the Noto CJK collections (JP,
/// KR, SC, TC, HK).
const SC: u32 = 2;

impl Fonts {
    /// Loads the Noto Serif CJK and Noto Sans CJK collections from `dir`.
    pub fn load(dir: &Path) -> Result<Fonts, DocError> {
        let face = |file: &str| Face::load(&dir.join(file), SC);
        Ok(Fonts {
            serif: face("NotoSerifCJK-Regular.ttc")?,
            serif_bold: face("NotoSerifCJK-Bold.ttc")?,
            sans: face("NotoSansCJK-Regular.ttc")?,
            sans_bold: face("NotoSansCJK-Bold.ttc")?,
        })
    }
}

/// The bytes of the blobs a document's pictures show, by SHA-256, as the
/// caller may read them (a picture missing here is printed as a note).
pub type Pictures = std::collections::BTreeMap<String, Vec<u8>>;

/// Renders a checked document.
pub fn render(
    doc: &Document,
    format: Format,
    fonts: &Fonts,
    pictures: &Pictures,
) -> Result<Vec<u8>, DocError> {
    doc.check().map_err(|e| DocError::Invalid(e.0))?;
    match format {
        Format::Xlsx => xlsx::render(doc),
        Format::Docx => docx::render(doc, fonts, pictures),
        Format::Pdf => pdf::render(doc, fonts, pictures),
    }
}

/// The note printed where a picture cannot be shown.
pub fn missing_picture(why: &str) -> String {
    format!("［图片无法显示：{why}］")
}
