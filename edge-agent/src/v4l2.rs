//! V4L2 capture (Linux): the few ioctls a camera needs, written against
//! the kernel's stable ABI (`linux/videodev2.h`, 64-bit layouts) rather
//! than generated bindings, so building the agent needs no libclang (see
//! ADR 0007). Memory-mapped streaming with four buffers. YUYV frames pass
//! through (row padding removed); MJPEG frames are decoded to YUYV, with
//! the standard Huffman tables supplied when the camera leaves them out
//! (most do). The format the driver actually chose is read back and used.
//!
//! The `unsafe` here is `ioctl`, `mmap`, `munmap` and `poll` on a
//! descriptor this struct owns, on `#[repr(C)]`
//! structs whose sizes are checked against the kernel's in the tests.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use bantong_runtime::vision::{Frame, PixelFormat};

use crate::camera::CameraSource;

/// A pixel format code as V4L2 spells it.
pub const fn fourcc(code: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*code)
}

pub const YUYV: u32 = fourcc(b"YUYV");
pub const MJPG: u32 = fourcc(b"MJPG");

/// The four characters of a pixel format code, for messages.
pub fn fourcc_text(code: u32) -> String {
    code.to_le_bytes()
        .iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

const BUF_TYPE_VIDEO_CAPTURE: u32 = 1;
const MEMORY_MMAP: u32 = 1;
const FIELD_NONE: u32 = 1;
const CAP_VIDEO_CAPTURE: u32 = 0x0000_0001;
const CAP_STREAMING: u32 = 0x0400_0000;
const CAP_DEVICE_CAPS: u32 = 0x8000_0000;
const BUFFERS: u32 = 4;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct Capability {
    driver: [u8; 16],
    card: [u8; 32],
    bus_info: [u8; 32],
    version: u32,
    capabilities: u32,
    device_caps: u32,
    reserved: [u32; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct PixFormat {
    width: u32,
    height: u32,
    pixelformat: u32,
    field: u32,
    bytesperline: u32,
    sizeimage: u32,
    colorspace: u32,
    private: u32,
    flags: u32,
    ycbcr_enc: u32,
    quantization: u32,
    xfer_func: u32,
}

/// `struct v4l2_format`: the union holds pointers in some members, so it
/// is 8-aligned and starts at offset 8.
#[repr(C, align(8))]
#[derive(Clone, Copy)]
struct Format {
    kind: u32,
    _pad: u32,
    pix: PixFormat,
    _rest: [u8; 200 - std::mem::size_of::<PixFormat>()],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct RequestBuffers {
    count: u32,
    kind: u32,
    memory: u32,
    capabilities: u32,
    flags: u8,
    reserved: [u8; 3],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct Timecode {
    kind: u32,
    flags: u32,
    frames: u8,
    seconds: u8,
    minutes: u8,
    hours: u8,
    userbits: [u8; 4],
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct Buffer {
    index: u32,
    kind: u32,
    bytesused: u32,
    flags: u32,
    field: u32,
    timestamp: libc::timeval,
    timecode: Timecode,
    sequence: u32,
    memory: u32,
    /// The `m` union; for MMAP buffers its low 32 bits are `offset`.
    m: u64,
    length: u32,
    reserved2: u32,
    request_fd: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct Fract {
    numerator: u32,
    denominator: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct CaptureParm {
    capability: u32,
    capturemode: u32,
    timeperframe: Fract,
    extendedmode: u32,
    readbuffers: u32,
    reserved: [u32; 4],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct StreamParm {
    kind: u32,
    capture: CaptureParm,
    _rest: [u8; 200 - std::mem::size_of::<CaptureParm>()],
}

const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// `_IOC(dir, 'V', nr, size)`.
const fn ioc(dir: u32, nr: u32, size: usize) -> u64 {
    ((dir as u64) << 30) | ((size as u64) << 16) | ((b'V' as u64) << 8) | nr as u64
}

const VIDIOC_QUERYCAP: u64 = ioc(IOC_READ, 0, std::mem::size_of::<Capability>());
const VIDIOC_G_FMT: u64 = ioc(IOC_READ | IOC_WRITE, 4, std::mem::size_of::<Format>());
const VIDIOC_S_FMT: u64 = ioc(IOC_READ | IOC_WRITE, 5, std::mem::size_of::<Format>());
const VIDIOC_REQBUFS: u64 = ioc(
    IOC_READ | IOC_WRITE,
    8,
    std::mem::size_of::<RequestBuffers>(),
);
const VIDIOC_QUERYBUF: u64 = ioc(IOC_READ | IOC_WRITE, 9, std::mem::size_of::<Buffer>());
const VIDIOC_QBUF: u64 = ioc(IOC_READ | IOC_WRITE, 15, std::mem::size_of::<Buffer>());
const VIDIOC_DQBUF: u64 = ioc(IOC_READ | IOC_WRITE, 17, std::mem::size_of::<Buffer>());
const VIDIOC_STREAMON: u64 = ioc(IOC_WRITE, 18, std::mem::size_of::<libc::c_int>());
const VIDIOC_STREAMOFF: u64 = ioc(IOC_WRITE, 19, std::mem::size_of::<libc::c_int>());
const VIDIOC_S_PARM: u64 = ioc(IOC_READ | IOC_WRITE, 22, std::mem::size_of::<StreamParm>());

/// `ioctl(fd, request, arg)`, retried on EINTR.
fn xioctl<T>(file: &File, request: u64, arg: &mut T, what: &str) -> Result<(), String> {
    loop {
        // SAFETY: `arg` is a live, exclusively borrowed `#[repr(C)]` value
        // of the size encoded in `request`; the kernel reads and writes
        // only within it. The descriptor is owned by `file`.
        let rc = unsafe {
            libc::ioctl(
                file.as_raw_fd(),
                request as _,
                std::ptr::from_mut(arg).cast::<c_void>(),
            )
        };
        if rc != -1 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("{what}: {err}"));
        }
    }
}

/// What to ask a device for.
#[derive(Debug, Clone, PartialEq)]
pub struct V4l2Request {
    pub device: String,
    pub width: u32,
    pub height: u32,
    /// `YUYV` or `MJPG`.
    pub pixelformat: u32,
    pub fps: f32,
}

/// One memory-mapped driver buffer.
struct Mapping {
    ptr: *mut c_void,
    len: usize,
}

/// A V4L2 capture device, streaming.
pub struct V4l2Camera {
    id: String,
    file: File,
    buffers: Vec<Mapping>,
    /// The format the driver chose.
    pub width: u32,
    pub height: u32,
    pub pixelformat: u32,
    bytesperline: u32,
    pub card: String,
    seq: u64,
}

// SAFETY: the mappings are private to this value (never aliased outside
// it) and only touched through `&mut self`; moving the value to another
// thread moves the exclusive ownership with it.
unsafe impl Send for V4l2Camera {}

impl std::fmt::Debug for V4l2Camera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V4l2Camera")
            .field("id", &self.id)
            .field("card", &self.card)
            .field("format", &fourcc_text(self.pixelformat))
            .field("size", &(self.width, self.height))
            .finish_non_exhaustive()
    }
}

fn c_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

impl V4l2Camera {
    /// Opens `request.device`, negotiates the format (reading back what the
    /// driver chose), maps the buffers and starts streaming.
    pub fn open(id: &str, request: &V4l2Request) -> Result<V4l2Camera, String> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&request.device)
            .map_err(|e| format!("opening {}: {e}", request.device))?;
        let mut cap = Capability::default();
        xioctl(&file, VIDIOC_QUERYCAP, &mut cap, "VIDIOC_QUERYCAP")
            .map_err(|e| format!("{} is not a V4L2 device ({e})", request.device))?;
        let caps = if cap.capabilities & CAP_DEVICE_CAPS != 0 {
            cap.device_caps
        } else {
            cap.capabilities
        };
        if caps & CAP_VIDEO_CAPTURE == 0 || caps & CAP_STREAMING == 0 {
            return Err(format!(
                "{} ({}) cannot stream video capture",
                request.device,
                c_text(&cap.card)
            ));
        }
        let mut fmt = Format {
            kind: BUF_TYPE_VIDEO_CAPTURE,
            _pad: 0,
            pix: PixFormat {
                width: request.width,
                height: request.height,
                pixelformat: request.pixelformat,
                field: FIELD_NONE,
                ..PixFormat::default()
            },
            _rest: [0; 200 - std::mem::size_of::<PixFormat>()],
        };
        xioctl(&file, VIDIOC_S_FMT, &mut fmt, "VIDIOC_S_FMT")?;
        // Read back what the driver settled on; it may differ from the ask.
        xioctl(&file, VIDIOC_G_FMT, &mut fmt, "VIDIOC_G_FMT")?;
        let pix = fmt.pix;
        check_negotiated(&pix)?;
        if request.fps > 0.0 {
            let mut parm = StreamParm {
                kind: BUF_TYPE_VIDEO_CAPTURE,
                capture: CaptureParm {
                    timeperframe: Fract {
                        numerator: 1000,
                        denominator: (request.fps * 1000.0).round().max(1.0) as u32,
                    },
                    ..CaptureParm::default()
                },
                _rest: [0; 200 - std::mem::size_of::<CaptureParm>()],
            };
            // Not every driver lets the rate be set; the frames still come.
            if let Err(e) = xioctl(&file, VIDIOC_S_PARM, &mut parm, "VIDIOC_S_PARM") {
                tracing::debug!(camera = id, "frame rate not set: {e}");
            }
        }
        let mut req = RequestBuffers {
            count: BUFFERS,
            kind: BUF_TYPE_VIDEO_CAPTURE,
            memory: MEMORY_MMAP,
            ..RequestBuffers::default()
        };
        xioctl(&file, VIDIOC_REQBUFS, &mut req, "VIDIOC_REQBUFS")?;
        if req.count < 2 {
            return Err(format!("{}: only {} buffer(s)", request.device, req.count));
        }
        let mut camera = V4l2Camera {
            id: id.to_owned(),
            file,
            buffers: Vec::new(),
            width: pix.width,
            height: pix.height,
            pixelformat: pix.pixelformat,
            bytesperline: pix.bytesperline,
            card: c_text(&cap.card),
            seq: 0,
        };
        for index in 0..req.count {
            let mut buf = Buffer {
                index,
                kind: BUF_TYPE_VIDEO_CAPTURE,
                memory: MEMORY_MMAP,
                ..Buffer::default()
            };
            xioctl(&camera.file, VIDIOC_QUERYBUF, &mut buf, "VIDIOC_QUERYBUF")?;
            let len = buf.length as usize;
            // SAFETY: maps `len` bytes of the driver's buffer `index` at the
            // offset the driver gave; the result is checked before use and
            // unmapped in `Drop`.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    camera.file.as_raw_fd(),
                    (buf.m & 0xffff_ffff) as libc::off_t,
                )
            };
            if ptr == libc::MAP_FAILED {
                return Err(format!(
                    "mapping buffer {index}: {}",
                    std::io::Error::last_os_error()
                ));
            }
            camera.buffers.push(Mapping { ptr, len });
            xioctl(&camera.file, VIDIOC_QBUF, &mut buf, "VIDIOC_QBUF")?;
        }
        let mut kind = BUF_TYPE_VIDEO_CAPTURE as libc::c_int;
        xioctl(&camera.file, VIDIOC_STREAMON, &mut kind, "VIDIOC_STREAMON")?;
        tracing::info!(
            camera = id,
            device = %request.device,
            card = %camera.card,
            format = %fourcc_text(camera.pixelformat),
            width = camera.width,
            height = camera.height,
            "camera streaming"
        );
        Ok(camera)
    }

    /// Waits up to `timeout_ms` for the next filled buffer.
    fn wait(&self, timeout_ms: i32) -> Result<(), String> {
        let mut fds = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd for a descriptor this value owns.
            let rc = unsafe { libc::poll(&mut fds, 1, timeout_ms) };
            match rc {
                0 => return Err(format!("no frame within {timeout_ms} ms")),
                n if n > 0 => return Ok(()),
                _ => {
                    let err = std::io::Error::last_os_error();
                    if err.kind() != std::io::ErrorKind::Interrupted {
                        return Err(format!("poll: {err}"));
                    }
                }
            }
        }
    }
}

/// Refuses a negotiated format the agent cannot use.
fn check_negotiated(pix: &PixFormat) -> Result<(), String> {
    if pix.pixelformat != YUYV && pix.pixelformat != MJPG {
        return Err(format!(
            "the device chose {}; the agent reads YUYV or MJPG",
            fourcc_text(pix.pixelformat)
        ));
    }
    if pix.width == 0 || pix.height == 0 || pix.width > 8192 || pix.height > 8192 {
        return Err(format!("unusable frame size {}×{}", pix.width, pix.height));
    }
    if pix.pixelformat == YUYV && !pix.width.is_multiple_of(2) {
        return Err(format!("YUYV frame width {} is odd", pix.width));
    }
    Ok(())
}

impl CameraSource for V4l2Camera {
    fn id(&self) -> &str {
        &self.id
    }

    fn next_frame(&mut self) -> Result<Frame, String> {
        self.wait(2000)?;
        let mut buf = Buffer {
            kind: BUF_TYPE_VIDEO_CAPTURE,
            memory: MEMORY_MMAP,
            ..Buffer::default()
        };
        xioctl(&self.file, VIDIOC_DQBUF, &mut buf, "VIDIOC_DQBUF")?;
        let converted = match self.buffers.get(buf.index as usize) {
            Some(map) => {
                let used = (buf.bytesused as usize).min(map.len);
                // SAFETY: the driver filled `used` bytes of this mapping and
                // does not touch it until the buffer is queued again below.
                let bytes = unsafe { std::slice::from_raw_parts(map.ptr.cast::<u8>(), used) };
                match self.pixelformat {
                    YUYV => yuyv_rows(bytes, self.width, self.height, self.bytesperline)
                        .map(|data| (self.width, self.height, PixelFormat::Yuyv, data)),
                    _ => mjpeg_to_frame(bytes),
                }
            }
            None => Err(format!("driver returned unknown buffer {}", buf.index)),
        };
        // Give the buffer back whatever happened to its contents.
        xioctl(&self.file, VIDIOC_QBUF, &mut buf, "VIDIOC_QBUF")?;
        let (width, height, format, data) = converted?;
        self.seq += 1;
        Ok(Frame {
            camera: self.id.clone(),
            seq: self.seq,
            ts_ms: crate::outbox::now_ms(),
            width,
            height,
            format,
            data,
        })
    }
}

impl Drop for V4l2Camera {
    fn drop(&mut self) {
        let mut kind = BUF_TYPE_VIDEO_CAPTURE as libc::c_int;
        let _ = xioctl(&self.file, VIDIOC_STREAMOFF, &mut kind, "VIDIOC_STREAMOFF");
        for map in self.buffers.drain(..) {
            // SAFETY: each mapping was returned by a successful mmap of
            // exactly `len` bytes and is unmapped once.
            unsafe {
                libc::munmap(map.ptr, map.len);
            }
        }
    }
}

/// YUYV bytes without row padding (`bytesperline` may exceed `width * 2`).
pub fn yuyv_rows(
    bytes: &[u8],
    width: u32,
    height: u32,
    bytesperline: u32,
) -> Result<Vec<u8>, String> {
    let row = width as usize * 2;
    let stride = (bytesperline as usize).max(row);
    let rows = height as usize;
    let needed = stride * (rows.saturating_sub(1)) + row;
    if bytes.len() < needed {
        return Err(format!(
            "short YUYV frame: {} bytes, {needed} needed",
            bytes.len()
        ));
    }
    if stride == row {
        return Ok(bytes[..row * rows].to_vec());
    }
    let mut out = Vec::with_capacity(row * rows);
    for r in 0..rows {
        out.extend_from_slice(&bytes[r * stride..r * stride + row]);
    }
    Ok(out)
}

/// Decodes one MJPEG frame: colour frames become YUYV (chroma of each
/// pixel pair taken from its first pixel), gray ones stay gray.
pub fn mjpeg_to_frame(bytes: &[u8]) -> Result<(u32, u32, PixelFormat, Vec<u8>), String> {
    // A camera's bytes are not trusted to be well formed, and a decoder
    // panic must cost one frame, not the camera thread.
    std::panic::catch_unwind(|| decode_mjpeg(bytes))
        .unwrap_or_else(|_| Err("MJPEG frame: the decoder failed".into()))
}

fn decode_mjpeg(bytes: &[u8]) -> Result<(u32, u32, PixelFormat, Vec<u8>), String> {
    let jpeg = with_huffman_tables(bytes)?;
    let mut decoder = jpeg_decoder::Decoder::new(&jpeg[..]);
    // A 8192×8192 frame at 3 bytes per pixel is the most we accept.
    decoder.set_max_decoding_buffer_size(8192 * 8192 * 3);
    let pixels = decoder.decode().map_err(|e| format!("MJPEG frame: {e}"))?;
    let info = decoder
        .info()
        .ok_or_else(|| "MJPEG frame without a header".to_string())?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => Ok((w, h, PixelFormat::Gray, pixels)),
        jpeg_decoder::PixelFormat::RGB24 => {
            if !w.is_multiple_of(2) {
                return Err(format!("MJPEG frame width {w} is odd"));
            }
            // The decoder gives RGB (its untransformed output is broken for
            // three channels in 0.3); back to YCbCr with BT.601, chroma of
            // each pixel pair averaged.
            let mut out = Vec::with_capacity(pixels.len() / 3 * 2);
            for pair in pixels.chunks_exact(6) {
                let (y0, cb0, cr0) = ycbcr(pair[0], pair[1], pair[2]);
                let (y1, cb1, cr1) = ycbcr(pair[3], pair[4], pair[5]);
                out.extend_from_slice(&[
                    y0,
                    ((u16::from(cb0) + u16::from(cb1)) / 2) as u8,
                    y1,
                    ((u16::from(cr0) + u16::from(cr1)) / 2) as u8,
                ]);
            }
            Ok((w, h, PixelFormat::Yuyv, out))
        }
        other => Err(format!("MJPEG frame in unsupported format {other:?}")),
    }
}

/// Full-range BT.601 (JFIF) RGB → YCbCr, in 16.16 fixed point.
fn ycbcr(r: u8, g: u8, b: u8) -> (u8, u8, u8) {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let y = (19595 * r + 38470 * g + 7471 * b + 32768) >> 16;
    let cb = ((-11059 * r - 21709 * g + 32768 * b + 32768) >> 16) + 128;
    let cr = ((32768 * r - 27439 * g - 5329 * b + 32768) >> 16) + 128;
    (
        y.clamp(0, 255) as u8,
        cb.clamp(0, 255) as u8,
        cr.clamp(0, 255) as u8,
    )
}

/// Most webcams send MJPEG frames without Huffman tables (the tables are
/// the fixed ones of the AVI MJPEG format). When the frame defines none
/// before its scan, an `AVI1` APP0 segment is inserted after SOI, which
/// tells the decoder to use those standard tables.
fn with_huffman_tables(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8 {
        return Err("MJPEG frame does not start with SOI".into());
    }
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return Err(format!("MJPEG frame: no marker at byte {i}"));
        }
        let marker = bytes[i + 1];
        match marker {
            0xC4 => return Ok(std::borrow::Cow::Borrowed(bytes)), // DHT
            0xDA => break,                                        // SOS
            0xFF => {
                i += 1; // fill byte
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if len < 2 {
            return Err(format!("MJPEG frame: bad segment length at byte {i}"));
        }
        i += 2 + len;
    }
    let mut out = Vec::with_capacity(bytes.len() + 9);
    out.extend_from_slice(&bytes[..2]);
    out.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x07, b'A', b'V', b'I', b'1', 0x00]);
    out.extend_from_slice(&bytes[2..]);
    Ok(std::borrow::Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_match_the_kernel_abi() {
        use std::mem::size_of;
        assert_eq!(size_of::<Capability>(), 104);
        assert_eq!(size_of::<PixFormat>(), 48);
        assert_eq!(size_of::<Format>(), 208);
        assert_eq!(std::mem::offset_of!(Format, pix), 8);
        assert_eq!(size_of::<RequestBuffers>(), 20);
        assert_eq!(size_of::<Buffer>(), 88);
        assert_eq!(std::mem::offset_of!(Buffer, timestamp), 24);
        assert_eq!(std::mem::offset_of!(Buffer, sequence), 56);
        assert_eq!(std::mem::offset_of!(Buffer, m), 64);
        assert_eq!(std::mem::offset_of!(Buffer, length), 72);
        assert_eq!(size_of::<StreamParm>(), 204);
    }

    #[test]
    fn ioctl_numbers_match_videodev2_h() {
        // Values as the kernel headers define them on 64-bit Linux.
        assert_eq!(VIDIOC_QUERYCAP, 0x8068_5600);
        assert_eq!(VIDIOC_G_FMT, 0xc0d0_5604);
        assert_eq!(VIDIOC_S_FMT, 0xc0d0_5605);
        assert_eq!(VIDIOC_REQBUFS, 0xc014_5608);
        assert_eq!(VIDIOC_QUERYBUF, 0xc058_5609);
        assert_eq!(VIDIOC_QBUF, 0xc058_560f);
        assert_eq!(VIDIOC_DQBUF, 0xc058_5611);
        assert_eq!(VIDIOC_STREAMON, 0x4004_5612);
        assert_eq!(VIDIOC_STREAMOFF, 0x4004_5613);
        assert_eq!(VIDIOC_S_PARM, 0xc0cc_5616);
        assert_eq!(fourcc_text(YUYV), "YUYV");
        assert_eq!(YUYV, 0x5659_5559);
        assert_eq!(MJPG, 0x4750_4a4d);
    }

    #[test]
    fn devices_that_are_not_cameras_get_clear_errors() {
        let missing = V4l2Camera::open(
            "cam-1",
            &V4l2Request {
                device: "/dev/video-does-not-exist".into(),
                width: 640,
                height: 480,
                pixelformat: YUYV,
                fps: 5.0,
            },
        );
        let e = missing.err().unwrap_or_default();
        assert!(e.contains("opening /dev/video-does-not-exist"), "{e}");
        let null = V4l2Camera::open(
            "cam-1",
            &V4l2Request {
                device: "/dev/null".into(),
                width: 640,
                height: 480,
                pixelformat: YUYV,
                fps: 5.0,
            },
        );
        let e = null.err().unwrap_or_default();
        assert!(e.contains("/dev/null is not a V4L2 device"), "{e}");
    }

    #[test]
    fn negotiated_formats_are_checked() {
        let mut pix = PixFormat {
            width: 640,
            height: 480,
            pixelformat: YUYV,
            ..PixFormat::default()
        };
        assert!(check_negotiated(&pix).is_ok());
        pix.pixelformat = fourcc(b"NV12");
        let e = check_negotiated(&pix).unwrap_err();
        assert!(e.contains("NV12"), "{e}");
        pix.pixelformat = YUYV;
        pix.width = 641;
        assert!(check_negotiated(&pix).is_err());
    }

    #[test]
    fn padded_yuyv_rows_are_packed() {
        // 2×2 pixels, rows padded to 8 bytes.
        let bytes = [1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0];
        assert_eq!(
            yuyv_rows(&bytes, 2, 2, 8).unwrap(),
            vec![1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(
            yuyv_rows(&bytes[..8], 2, 2, 4).unwrap(),
            bytes[..8].to_vec()
        );
        assert!(yuyv_rows(&bytes[..10], 2, 2, 8).is_err());
    }

    /// A simulated frame encoded as JPEG, optionally with its Huffman
    /// tables cut out the way webcams send MJPEG.
    fn jpeg_of_scene(strip_dht: bool) -> (Frame, Vec<u8>) {
        use crate::camera::{Scene, SimulatedCamera};
        let frame = SimulatedCamera::new("cam-1", Scene::ClerkSeated, 5.0, 0).render(20);
        let jpeg = crate::camera::jpeg(&frame).unwrap();
        if !strip_dht {
            return (frame, jpeg);
        }
        let mut out = jpeg[..2].to_vec();
        let mut i = 2;
        loop {
            let marker = jpeg[i + 1];
            let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
            if marker == 0xDA {
                out.extend_from_slice(&jpeg[i..]);
                break;
            }
            if marker != 0xC4 {
                out.extend_from_slice(&jpeg[i..i + 2 + len]);
            }
            i += 2 + len;
        }
        (frame, out)
    }

    #[test]
    fn mjpeg_frames_decode_to_yuyv_close_to_the_source() {
        for strip in [false, true] {
            let (frame, jpeg) = jpeg_of_scene(strip);
            if strip {
                assert!(
                    !jpeg.windows(2).any(|w| w == [0xFF, 0xC4]),
                    "tables removed"
                );
            }
            let (w, h, format, data) = mjpeg_to_frame(&jpeg).unwrap();
            assert_eq!((w, h, format), (640, 480, PixelFormat::Yuyv));
            assert_eq!(data.len(), frame.data.len());
            // Luma within JPEG quality-70 error on average.
            let diff: u64 = data
                .iter()
                .zip(&frame.data)
                .step_by(2)
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            let mean = diff as f64 / (data.len() / 2) as f64;
            assert!(
                mean < 4.0,
                "mean luma error {mean} (stripped tables: {strip})"
            );
        }
    }

    #[test]
    fn broken_mjpeg_is_an_error_not_a_panic() {
        let (_, jpeg) = jpeg_of_scene(true);
        for bad in [
            &b""[..],
            &b"\xff\xd8"[..],
            &b"not a jpeg at all"[..],
            &jpeg[..jpeg.len() / 3],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00][..],
        ] {
            assert!(mjpeg_to_frame(bad).is_err());
        }
        // Damaged frames decode to something or fail; never panic or hang.
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..200 {
            let mut damaged = jpeg.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let at = state as usize % damaged.len();
                damaged[at] ^= (state >> 24) as u8 | 1;
            }
            let _ = mjpeg_to_frame(&damaged);
        }
    }
}
