//! Pixel helpers the edge world offers natively: grayscale conversion with
//! area-averaging downscale. Plugins ask for small gray images instead of
//! copying full frames into wasm.

/// How a frame's bytes are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// Packed 4:2:2, `Y0 U Y1 V`, 2 bytes per pixel.
    Yuyv,
    /// 8-bit luminance.
    Gray,
}

/// One captured frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub camera: String,
    pub seq: u64,
    pub ts_ms: i64,
    pub width: u32,
    pub height: u32,
    pub format: PixelFormat,
    pub data: Vec<u8>,
}

impl Frame {
    /// Whether `data` has exactly the size the format and dimensions need.
    pub fn is_consistent(&self) -> bool {
        let px = self.width as usize * self.height as usize;
        match self.format {
            PixelFormat::Yuyv => self.data.len() == px * 2 && self.width.is_multiple_of(2),
            PixelFormat::Gray => self.data.len() == px,
        }
    }

    /// Luminance of pixel (x, y).
    #[inline]
    fn luma(&self, x: usize, y: usize) -> u8 {
        let w = self.width as usize;
        match self.format {
            PixelFormat::Yuyv => self.data[(y * w + x) * 2],
            PixelFormat::Gray => self.data[y * w + x],
        }
    }
}

/// The frame as `dw`×`dh` gray, each output pixel the mean of the source
/// block it covers. `dw`/`dh` are clamped to 1..=source size. An
/// inconsistent frame gives an empty vector.
pub fn gray_downscale(frame: &Frame, dw: u32, dh: u32) -> Vec<u8> {
    if !frame.is_consistent() || frame.width == 0 || frame.height == 0 {
        return Vec::new();
    }
    let (sw, sh) = (frame.width as usize, frame.height as usize);
    let dw = (dw as usize).clamp(1, sw);
    let dh = (dh as usize).clamp(1, sh);
    let mut out = Vec::with_capacity(dw * dh);
    // Column ranges are the same for every row: compute them once.
    let cols: Vec<(usize, usize)> = (0..dw)
        .map(|i| (i * sw / dw, ((i + 1) * sw / dw).max(i * sw / dw + 1)))
        .collect();
    let mut sums = vec![0u32; dw];
    for j in 0..dh {
        let (y0, y1) = (j * sh / dh, ((j + 1) * sh / dh).max(j * sh / dh + 1));
        sums.iter_mut().for_each(|s| *s = 0);
        for y in y0..y1 {
            match frame.format {
                PixelFormat::Yuyv => {
                    let row = &frame.data[y * sw * 2..(y + 1) * sw * 2];
                    for (i, &(x0, x1)) in cols.iter().enumerate() {
                        let mut s = 0u32;
                        for x in x0..x1 {
                            s += u32::from(row[x * 2]);
                        }
                        sums[i] += s;
                    }
                }
                PixelFormat::Gray => {
                    for (i, &(x0, x1)) in cols.iter().enumerate() {
                        let mut s = 0u32;
                        for x in x0..x1 {
                            s += u32::from(frame.luma(x, y));
                        }
                        sums[i] += s;
                    }
                }
            }
        }
        let rows = (y1 - y0) as u32;
        for (i, &(x0, x1)) in cols.iter().enumerate() {
            let n = rows * (x1 - x0) as u32;
            out.push((sums[i] / n) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_blocks_of_yuyv_luma() {
        // 4×2 YUYV: luma 0, 100, 200, 40 / 10, 110, 210, 50.
        let luma = [[0u8, 100, 200, 40], [10, 110, 210, 50]];
        let mut data = Vec::new();
        for row in luma {
            for (i, y) in row.iter().enumerate() {
                data.push(*y);
                data.push(if i % 2 == 0 { 110 } else { 140 });
            }
        }
        let f = Frame {
            camera: "c".into(),
            seq: 0,
            ts_ms: 0,
            width: 4,
            height: 2,
            format: PixelFormat::Yuyv,
            data,
        };
        assert_eq!(gray_downscale(&f, 2, 1), vec![55, 125]);
        assert_eq!(
            gray_downscale(&f, 4, 2),
            vec![0, 100, 200, 40, 10, 110, 210, 50]
        );
        assert_eq!(gray_downscale(&f, 100, 100).len(), 8, "never upscales");
        let bad = Frame {
            data: vec![0; 3],
            ..f
        };
        assert!(gray_downscale(&bad, 2, 1).is_empty());
    }
}
