//! Camera sources. [`SimulatedCamera`] renders deterministic synthetic
//! scenes (640×480 YUYV) for tests, benchmarks and the demo: a hall window
//! with a desk and a seat, a queue zone, a clerk who comes and goes, a
//! queue that grows, and lights that switch. Frame `n` of a scene is always
//! the same bytes.
//!
//! [`crate::v4l2::V4l2Camera`] implements the same trait for real devices
//! (YUYV and MJPEG, reading back the negotiated format).

use bantong_runtime::vision::{Frame, PixelFormat};

/// Anything that produces frames.
pub trait CameraSource: Send {
    fn id(&self) -> &str;
    /// The next frame, or an error when the device failed.
    fn next_frame(&mut self) -> Result<Frame, String>;
}

/// What a simulated scene shows over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// The clerk sits at the window all the time; a short queue.
    ClerkSeated,
    /// Nobody at the window.
    EmptyWindow,
    /// The clerk leaves after a while; the queue grows by one person every
    /// few seconds.
    GrowingQueue,
    /// Clerk seated; the hall lights switch between bright and dim.
    Lights,
}

impl Scene {
    pub fn parse(s: &str) -> Option<Scene> {
        Some(match s {
            "clerk-seated" => Scene::ClerkSeated,
            "empty-window" => Scene::EmptyWindow,
            "growing-queue" => Scene::GrowingQueue,
            "lights" => Scene::Lights,
            _ => return None,
        })
    }

    /// (clerk present, people in the queue, brightness) at `t` seconds.
    /// Every scene opens with two seconds of the empty hall before opening,
    /// which is what a watcher takes as its reference.
    fn state(self, t: f32) -> (bool, u32, f32) {
        if t < 2.0 {
            return (false, 0, 1.0);
        }
        match self {
            Scene::ClerkSeated => (true, 2, 1.0),
            Scene::EmptyWindow => (false, 0, 1.0),
            Scene::GrowingQueue => (t < 20.0, ((t / 4.0) as u32).min(12), 1.0),
            Scene::Lights => (
                true,
                1,
                if ((t / 10.0) as u32).is_multiple_of(2) {
                    1.0
                } else {
                    0.45
                },
            ),
        }
    }
}

/// Where things are in a simulated frame, as fractions (x, y, w, h); the
/// demo's camera-watch config uses the same rectangles.
pub const SEAT: [f32; 4] = [0.40, 0.20, 0.20, 0.35];
pub const QUEUE_ZONE: [f32; 4] = [0.05, 0.55, 0.90, 0.40];

pub struct SimulatedCamera {
    id: String,
    scene: Scene,
    fps: f32,
    seq: u64,
    start_ms: i64,
    width: u32,
    height: u32,
    background: Vec<u8>,
}

impl std::fmt::Debug for SimulatedCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedCamera")
            .field("id", &self.id)
            .field("scene", &self.scene)
            .finish_non_exhaustive()
    }
}

/// A cheap deterministic hash for texture.
fn noise(x: u32, y: u32) -> u8 {
    let mut h = x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77);
    h ^= h >> 15;
    h = h.wrapping_mul(0xC2B2_AE3D);
    (h >> 28) as u8
}

impl SimulatedCamera {
    pub fn new(id: &str, scene: Scene, fps: f32, start_ms: i64) -> SimulatedCamera {
        let (width, height) = (640u32, 480u32);
        // Wall gradient, a desk across the middle, floor tiles, texture.
        let mut background = vec![0u8; (width * height) as usize];
        for y in 0..height {
            for x in 0..width {
                let base = if y < height * 55 / 100 {
                    150 + (y * 40 / height) as u8
                } else if y < height * 60 / 100 {
                    70
                } else {
                    110 + if (x / 40 + y / 40) % 2 == 0 { 12 } else { 0 }
                };
                background[(y * width + x) as usize] = base.saturating_add(noise(x, y));
            }
        }
        SimulatedCamera {
            id: id.to_owned(),
            scene,
            fps,
            seq: 0,
            start_ms,
            width,
            height,
            background,
        }
    }

    fn fill(luma: &mut [u8], w: u32, h: u32, rect: [f32; 4], value: u8) {
        let x0 = (rect[0] * w as f32) as u32;
        let y0 = (rect[1] * h as f32) as u32;
        let x1 = ((rect[0] + rect[2]) * w as f32).min(w as f32) as u32;
        let y1 = ((rect[1] + rect[3]) * h as f32).min(h as f32) as u32;
        for y in y0..y1 {
            for x in x0..x1 {
                luma[(y * w + x) as usize] = value.saturating_add(noise(x + 7, y + 3) / 2);
            }
        }
    }

    /// Renders frame `seq` (the same bytes every time).
    pub fn render(&self, seq: u64) -> Frame {
        let t = seq as f32 / self.fps;
        let (clerk, queue, brightness) = self.scene.state(t);
        let (w, h) = (self.width, self.height);
        let mut luma = self.background.clone();
        if clerk {
            // Head and torso in the seat.
            Self::fill(&mut luma, w, h, [SEAT[0] + 0.06, SEAT[1], 0.08, 0.10], 40);
            Self::fill(
                &mut luma,
                w,
                h,
                [SEAT[0] + 0.03, SEAT[1] + 0.10, 0.14, 0.25],
                30,
            );
        }
        for i in 0..queue {
            // People in two rows across the queue zone.
            let col = (i % 6) as f32;
            let row = (i / 6) as f32;
            let x = QUEUE_ZONE[0] + 0.02 + col * 0.145;
            let y = QUEUE_ZONE[1] + 0.02 + row * 0.19;
            Self::fill(&mut luma, w, h, [x, y, 0.10, 0.17], 25 + (i as u8 % 4) * 10);
        }
        let mut data = Vec::with_capacity((w * h * 2) as usize);
        for (i, l) in luma.iter().enumerate() {
            data.push((f32::from(*l) * brightness) as u8);
            // Neutral chroma with a faint tint: U on even, V on odd pixels.
            data.push(if i % 2 == 0 { 126 } else { 130 });
        }
        Frame {
            camera: self.id.clone(),
            seq,
            ts_ms: self.start_ms + (t * 1000.0) as i64,
            width: w,
            height: h,
            format: PixelFormat::Yuyv,
            data,
        }
    }
}

impl CameraSource for SimulatedCamera {
    fn id(&self) -> &str {
        &self.id
    }

    fn next_frame(&mut self) -> Result<Frame, String> {
        let f = self.render(self.seq);
        self.seq += 1;
        Ok(f)
    }
}

/// Encodes a frame as a JPEG snapshot (quality 70), colour from YUYV.
pub fn jpeg(frame: &Frame) -> Result<Vec<u8>, String> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err("frame too large for JPEG".into());
    };
    if !frame.is_consistent() {
        return Err("frame size does not match its format".into());
    }
    let mut out = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut out, 70);
    let result = match frame.format {
        PixelFormat::Gray => encoder.encode(&frame.data, w16, h16, jpeg_encoder::ColorType::Luma),
        PixelFormat::Yuyv => {
            let mut ycc = Vec::with_capacity(w * h * 3);
            for px in frame.data.chunks_exact(4) {
                let (y0, u, y1, v) = (px[0], px[1], px[2], px[3]);
                ycc.extend_from_slice(&[y0, u, v, y1, u, v]);
            }
            encoder.encode(&ycc, w16, h16, jpeg_encoder::ColorType::Ycbcr)
        }
    };
    result.map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_are_deterministic_and_differ() {
        let a = SimulatedCamera::new("cam-1", Scene::GrowingQueue, 10.0, 0);
        let b = SimulatedCamera::new("cam-1", Scene::GrowingQueue, 10.0, 0);
        assert_eq!(a.render(123).data, b.render(123).data);
        assert_ne!(
            a.render(0).data,
            a.render(300).data,
            "the queue grew and the clerk left"
        );
        let f = a.render(5);
        assert!(f.is_consistent());
        assert_eq!((f.width, f.height, f.data.len()), (640, 480, 640 * 480 * 2));
    }

    #[test]
    fn snapshots_are_jpeg() -> Result<(), String> {
        let cam = SimulatedCamera::new("cam-1", Scene::ClerkSeated, 10.0, 0);
        let jpg = jpeg(&cam.render(0))?;
        assert_eq!(&jpg[..3], &[0xff, 0xd8, 0xff]);
        assert!(jpg.len() < 200_000, "{} bytes", jpg.len());
        Ok(())
    }
}
