//! Bytes → frame bodies. A pure state machine: feed it bytes as they come
//! off the UART, one at a time; it never blocks, allocates or panics.

use crate::cobs;
use crate::{MAX_BODY, MAX_FRAME, crc16};

/// Why bytes between two delimiters were not a frame. The decoder is back
/// in step after reporting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// More bytes than any frame has: dropped up to the next delimiter.
    TooLong,
    /// Not valid COBS (line noise, or a frame cut short).
    Malformed,
    /// Too short to hold version, kind, sequence number and checksum.
    TooShort,
    /// The checksum does not match.
    Checksum,
}

/// The receiving side of a serial link.
#[derive(Debug, Clone)]
pub struct Decoder {
    raw: [u8; MAX_FRAME],
    len: usize,
    overflow: bool,
    body: [u8; MAX_BODY],
    /// Frames refused since start (for health reporting).
    pub errors: u32,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    pub const fn new() -> Decoder {
        Decoder {
            raw: [0; MAX_FRAME],
            len: 0,
            overflow: false,
            body: [0; MAX_BODY],
            errors: 0,
        }
    }

    /// Forgets a partial frame (after the link was reopened).
    pub fn reset(&mut self) {
        self.len = 0;
        self.overflow = false;
    }

    /// Takes one byte. At a delimiter that ends a frame, returns its body
    /// (checksum verified, checksum bytes included) or why it was refused.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], FrameError>> {
        if byte != 0 {
            if self.len < self.raw.len() {
                self.raw[self.len] = byte;
                self.len += 1;
            } else {
                self.overflow = true;
            }
            return None;
        }
        let (len, overflow) = (self.len, self.overflow);
        self.reset();
        if len == 0 && !overflow {
            return None; // an empty frame: the leading delimiter, or idle line
        }
        let result = if overflow {
            Err(FrameError::TooLong)
        } else {
            match cobs::decode(&self.raw[..len], &mut self.body) {
                Err(cobs::CobsError::Overflow) => Err(FrameError::TooLong),
                Err(cobs::CobsError::Malformed) => Err(FrameError::Malformed),
                Ok(n) if n < 5 => Err(FrameError::TooShort),
                Ok(n) => {
                    let (data, sum) = self.body[..n].split_at(n - 2);
                    if crc16(data) == u16::from_le_bytes([sum[0], sum[1]]) {
                        Ok(n)
                    } else {
                        Err(FrameError::Checksum)
                    }
                }
            }
        };
        match result {
            Ok(n) => Some(Ok(&self.body[..n])),
            Err(e) => {
                self.errors = self.errors.wrapping_add(1);
                Some(Err(e))
            }
        }
    }
}
