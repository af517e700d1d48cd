//! Documents the host renders for plugins (WIT `documents`): the fonts,
//! loaded once per process at the first document, and rendering off the
//! async threads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bantong_documents::{DocError, Fonts, Format};
use bantong_hall_kit::document::Document;

/// Fonts by directory, loaded at first use (the collections are large:
/// reading them at start would slow every host start, most of which never
/// render a document).
static FONTS: Mutex<Vec<(PathBuf, Arc<Fonts>)>> = Mutex::new(Vec::new());

/// Documents rendered at once (the host has few cores).
static RENDERING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The description is malformed or over its limits: the plugin's fault.
    #[error("{0}")]
    Invalid(String),
    /// The host cannot render (fonts missing, …): the operator's to fix.
    #[error("{0}")]
    Unavailable(String),
}

fn fonts(dir: &Path) -> Result<Arc<Fonts>, RenderError> {
    let mut cache = FONTS
        .lock()
        .map_err(|_| RenderError::Unavailable("the font cache is poisoned".into()))?;
    if let Some((_, f)) = cache.iter().find(|(d, _)| d == dir) {
        return Ok(f.clone());
    }
    let loaded = Arc::new(Fonts::load(dir).map_err(|e| {
        RenderError::Unavailable(format!(
            "文档字体缺失 / the document fonts are missing ({e}); install Debian's fonts-noto-cjk or set [documents] font_dir"
        ))
    })?);
    cache.push((dir.to_owned(), loaded.clone()));
    Ok(loaded)
}

/// Parses and checks a description.
pub fn parse(spec: &str) -> Result<Document, RenderError> {
    Document::from_json(spec).map_err(|e| RenderError::Invalid(e.0))
}

/// Renders a checked document on a blocking thread, with the bytes of the
/// pictures the caller may read; answers the file and its media type.
pub async fn render(
    font_dir: &Path,
    format: Format,
    doc: Document,
    pictures: bantong_documents::Pictures,
) -> Result<(Vec<u8>, &'static str), RenderError> {
    // Rendering is CPU work: at most two documents at a time, off the async
    // threads (fonts are read there too, at the first document).
    let _permit = RENDERING
        .acquire()
        .await
        .map_err(|_| RenderError::Unavailable("rendering is shutting down".into()))?;
    let dir = font_dir.to_owned();
    let bytes = tokio::task::spawn_blocking(move || {
        let rendered = match format {
            // XLSX needs no fonts.
            Format::Xlsx => bantong_documents::xlsx::render(&doc),
            _ => bantong_documents::render(&doc, format, fonts(&dir)?.as_ref(), &pictures),
        };
        rendered.map_err(|e| match e {
            DocError::Invalid(m) => RenderError::Invalid(m),
            other => RenderError::Unavailable(other.to_string()),
        })
    })
    .await
    .map_err(|e| RenderError::Unavailable(format!("rendering stopped: {e}")))??;
    Ok((bytes, format.content_type()))
}

/// Draws a checked document's PDF pages as PNG images on a blocking
/// thread (like [`render`]).
pub async fn render_pages(
    font_dir: &Path,
    doc: Document,
    pictures: bantong_documents::Pictures,
    first: usize,
) -> Result<(Vec<Vec<u8>>, usize), RenderError> {
    let _permit = RENDERING
        .acquire()
        .await
        .map_err(|_| RenderError::Unavailable("rendering is shutting down".into()))?;
    let dir = font_dir.to_owned();
    tokio::task::spawn_blocking(move || {
        bantong_documents::pages::render(&doc, fonts(&dir)?.as_ref(), &pictures, first).map_err(
            |e| match e {
                DocError::Invalid(m) => RenderError::Invalid(m),
                other => RenderError::Unavailable(other.to_string()),
            },
        )
    })
    .await
    .map_err(|e| RenderError::Unavailable(format!("rendering stopped: {e}")))?
}
