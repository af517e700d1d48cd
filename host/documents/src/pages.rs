//! The PDF's pages as PNG images: the same layout ([`crate::pdf`]) drawn
//! with the same fonts into pixels, so a browser shows a report's pages
//! exactly as issued without a PDF viewer (which headless and locked-down
//! browsers often lack).

use ab_glyph::{Font as _, FontRef, PxScale, point};
use bantong_hall_kit::document::Document;
use tiny_skia::{
    Color, FilterQuality, IntSize, Paint, PathBuilder, Pixmap, PixmapPaint, Rect, Stroke, Transform,
};

use crate::pdf::{self, Op, PAGE_H, PAGE_NUMBER, PAGE_NUMBER_Y, PAGE_W, Style};
use crate::{DocError, Fonts};

/// The images' width in pixels (a page 1000 × 1414): sharp on a laptop
/// at the page's width, small enough to send page by page.
pub const WIDTH_PX: u32 = 1000;

/// Most pages drawn for one document (a preview, not an archive).
pub const MAX_PAGES: usize = 200;

/// Draws the first `first` pages of `doc` (at most [`MAX_PAGES`]) as PNGs,
/// `WIDTH_PX` wide; answers them and the document's page count.
pub fn render(
    doc: &Document,
    fonts: &Fonts,
    pictures: &crate::Pictures,
    first: usize,
) -> Result<(Vec<Vec<u8>>, usize), DocError> {
    doc.check().map_err(|e| DocError::Invalid(e.0))?;
    let layout = pdf::layout(doc, fonts, pictures)?;
    let total = layout.pages.len();
    let scale = WIDTH_PX as f32 / PAGE_W;
    let height = (PAGE_H * scale).round() as u32;
    let pages = layout
        .pages
        .iter()
        .take(first.min(MAX_PAGES))
        .enumerate()
        .map(|(n, ops)| {
            let mut page = Canvas::new(WIDTH_PX, height, scale)?;
            for op in ops {
                page.op(op, &layout.fonts)?;
            }
            if let Some(label) = pdf::page_label(doc, n) {
                let w = layout.width_of(Style::Serif, PAGE_NUMBER, &label);
                page.text(
                    &layout.fonts[pdf::style_index(Style::Serif)],
                    ((PAGE_W - w) / 2.0, PAGE_NUMBER_Y),
                    PAGE_NUMBER,
                    &label,
                );
            }
            encode(&page.pixmap)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((pages, total))
}

/// The page as a PNG: 8-bit grey when it has no colour (most pages, a
/// quarter of the bytes of RGBA), RGB otherwise; the encoder's default
/// compression (its best took 166 ms a page, most of a long report's time).
fn encode(pixmap: &Pixmap) -> Result<Vec<u8>, DocError> {
    use image::ImageEncoder as _;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let rgba = pixmap.data();
    let grey = rgba.chunks_exact(4).all(|p| p[0] == p[1] && p[1] == p[2]);
    let (pixels, colour): (Vec<u8>, _) = if grey {
        (
            rgba.chunks_exact(4).map(|p| p[0]).collect(),
            image::ExtendedColorType::L8,
        )
    } else {
        (
            rgba.chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
            image::ExtendedColorType::Rgb8,
        )
    };
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(&pixels, pixmap.width(), pixmap.height(), colour)
        .map_err(|e| DocError::Render(format!("page image: {e}")))?;
    Ok(out)
}

/// One page being drawn: points (the layout's unit) scaled to pixels.
struct Canvas {
    pixmap: Pixmap,
    scale: f32,
}

impl Canvas {
    fn new(width: u32, height: u32, scale: f32) -> Result<Canvas, DocError> {
        let mut pixmap =
            Pixmap::new(width, height).ok_or_else(|| DocError::Render("page canvas".into()))?;
        pixmap.fill(Color::WHITE);
        Ok(Canvas { pixmap, scale })
    }

    fn op(&mut self, op: &Op, fonts: &[FontRef<'_>; 4]) -> Result<(), DocError> {
        match op {
            Op::Text {
                x,
                y,
                style,
                size,
                text,
            } => self.text(&fonts[pdf::style_index(*style)], (*x, *y), *size, text),
            Op::Line { from, to } => {
                let mut pb = PathBuilder::new();
                pb.move_to(from.0 * self.scale, from.1 * self.scale);
                pb.line_to(to.0 * self.scale, to.1 * self.scale);
                if let Some(path) = pb.finish() {
                    let stroke = Stroke {
                        width: (0.6 * self.scale).max(1.0),
                        ..Stroke::default()
                    };
                    self.pixmap.stroke_path(
                        &path,
                        &paint(Color::from_rgba8(60, 60, 60, 255)),
                        &stroke,
                        Transform::identity(),
                        None,
                    );
                }
            }
            Op::Shade(r) => {
                if let Some(rect) = Rect::from_xywh(
                    r.left() * self.scale,
                    r.top() * self.scale,
                    r.width() * self.scale,
                    r.height() * self.scale,
                ) {
                    self.pixmap.fill_rect(
                        rect,
                        &paint(Color::from_rgba8(232, 236, 241, 255)),
                        Transform::identity(),
                        None,
                    );
                }
            }
            Op::Image { x, y, w, h, png } => {
                let image = Pixmap::decode_png(png)
                    .map_err(|e| DocError::Render(format!("chart image: {e}")))?;
                self.picture(&image, (*x, *y, *w, *h));
            }
            Op::Jpeg { x, y, w, h, jpeg } => {
                let image = decode_jpeg(jpeg)?;
                self.picture(&image, (*x, *y, *w, *h));
            }
        }
        Ok(())
    }

    /// Draws `image` into the box (x, y, w, h), in points.
    fn picture(&mut self, image: &Pixmap, (x, y, w, h): (f32, f32, f32, f32)) {
        let sx = w * self.scale / image.width().max(1) as f32;
        let sy = h * self.scale / image.height().max(1) as f32;
        let paint = PixmapPaint {
            quality: FilterQuality::Bicubic,
            ..PixmapPaint::default()
        };
        self.pixmap.draw_pixmap(
            0,
            0,
            image.as_ref(),
            &paint,
            Transform::from_row(sx, 0.0, 0.0, sy, x * self.scale, y * self.scale),
            None,
        );
    }

    /// Draws `text` with its baseline at (x, y), in points, at `size`
    /// points to the em — the same advances the layout measured with.
    fn text(&mut self, font: &FontRef<'_>, (x, y): (f32, f32), size: f32, text: &str) {
        let upem = font.units_per_em().unwrap_or(1000.0);
        let em_px = size * self.scale;
        // ab_glyph scales by the font's height (ascent − descent).
        let scale = PxScale::from(em_px * font.height_unscaled() / upem);
        let (w, h) = (
            i64::from(self.pixmap.width()),
            i64::from(self.pixmap.height()),
        );
        let data = self.pixmap.data_mut();
        let mut pen = x * self.scale;
        let baseline = y * self.scale;
        for c in text.chars() {
            let id = font.glyph_id(c);
            let advance = font.h_advance_unscaled(id) / upem * em_px;
            let glyph = id.with_scale_and_position(scale, point(pen, baseline));
            pen += advance;
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if px < 0 || py < 0 || px >= w || py >= h {
                    return;
                }
                // Black ink over the opaque page: each channel darkens.
                let keep = 1.0 - coverage.clamp(0.0, 1.0);
                let i = ((py * w + px) * 4) as usize;
                if let Some(pixel) = data.get_mut(i..i + 3) {
                    for channel in pixel {
                        *channel = (f32::from(*channel) * keep).round() as u8;
                    }
                }
            });
        }
    }
}

fn paint(c: Color) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(c);
    p.anti_alias = true;
    p
}

/// A photo (already re-encoded by [`crate::picture::prepare`]) as a pixmap.
fn decode_jpeg(jpeg: &[u8]) -> Result<Pixmap, DocError> {
    let picture = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .map_err(|e| DocError::Render(format!("picture: {e}")))?
        .to_rgba8();
    let size = IntSize::from_wh(picture.width(), picture.height())
        .ok_or_else(|| DocError::Render("picture: empty".into()))?;
    // Opaque pixels are their own premultiplied form.
    Pixmap::from_vec(picture.into_raw(), size)
        .ok_or_else(|| DocError::Render("picture: size".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_follows_the_cover() {
        let mut doc = Document::new("标题");
        assert_eq!(pdf::page_label(&doc, 0).as_deref(), Some("— 1 —"));
        doc.cover = true;
        assert_eq!(pdf::page_label(&doc, 0), None);
        assert_eq!(pdf::page_label(&doc, 1).as_deref(), Some("— 1 —"));
    }
}
