//! Photos and scans placed in documents (model version 2): decoded within
//! bounds, scaled down to what a page shows, and encoded again for the
//! format — JPEG in PDF, PNG in DOCX (which `docx-rs` embeds as PNG only).
//! Bytes that are not a JPEG or PNG, or that do not decode, give an error
//! the renderer prints in place of the picture; nothing panics.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Largest source file read, in bytes.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// Largest width or height of a source picture, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// Most memory one decode may take.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// How a picture is encoded for the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Jpeg,
    Png,
}

/// A picture ready to place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// Decodes `bytes` (a JPEG or a PNG), scales it to at most `max_side`
/// pixels on its longer side, and encodes it as `encoding`.
pub fn prepare(bytes: &[u8], max_side: u32, encoding: Encoding) -> Result<Picture, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!("图片超过 {} MB", MAX_BYTES >> 20));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("无法读取图片（{e}）"))?;
    if !matches!(reader.format(), Some(ImageFormat::Jpeg | ImageFormat::Png)) {
        return Err("不是 JPEG 或 PNG 图片".to_owned());
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| format!("图片无法解码（{e}）"))?;
    let scaled = if decoded.width().max(decoded.height()) > max_side {
        decoded.thumbnail(max_side, max_side)
    } else {
        decoded
    };
    let rgb = DynamicImage::ImageRgb8(scaled.to_rgb8());
    let mut out = Cursor::new(Vec::new());
    let format = match encoding {
        Encoding::Jpeg => ImageFormat::Jpeg,
        Encoding::Png => ImageFormat::Png,
    };
    rgb.write_to(&mut out, format)
        .map_err(|e| format!("图片无法编码（{e}）"))?;
    Ok(Picture {
        width: rgb.width(),
        height: rgb.height(),
        bytes: out.into_inner(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img =
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([200, 30, 30])));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn pictures_are_scaled_and_encoded_for_the_format() {
        let p = prepare(&png(2400, 1200), 1200, Encoding::Jpeg).unwrap();
        assert_eq!((p.width, p.height), (1200, 600));
        assert!(p.bytes.starts_with(&[0xFF, 0xD8]));
        let p = prepare(&png(300, 200), 1200, Encoding::Png).unwrap();
        assert_eq!((p.width, p.height), (300, 200));
        assert!(p.bytes.starts_with(&[0x89, b'P', b'N', b'G']));
    }

    #[test]
    fn what_is_not_a_picture_is_an_error_not_a_panic() {
        // A JPEG header and nothing else; a GIF; text; a truncated PNG.
        let truncated = png(40, 40)[..60].to_vec();
        for bad in [
            &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1][..],
            b"GIF89a\x01\x00\x01\x00",
            b"hello",
            &truncated[..],
        ] {
            assert!(prepare(bad, 1200, Encoding::Png).is_err(), "{bad:?}");
        }
    }
}
