//! Frame bodies ↔ typed messages.

use crate::{MAX_BODY, MAX_TEXT, VERSION, cobs, crc16};

/// What kind of controller a firmware image drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceClass {
    RatingKeypad,
    QueueDisplay,
    TicketPrinter,
    /// A controller with several of the above behind one UART.
    Hub,
}

impl DeviceClass {
    const fn code(self) -> u8 {
        match self {
            DeviceClass::RatingKeypad => 1,
            DeviceClass::QueueDisplay => 2,
            DeviceClass::TicketPrinter => 3,
            DeviceClass::Hub => 4,
        }
    }

    const fn from_code(code: u8) -> Option<DeviceClass> {
        Some(match code {
            1 => DeviceClass::RatingKeypad,
            2 => DeviceClass::QueueDisplay,
            3 => DeviceClass::TicketPrinter,
            4 => DeviceClass::Hub,
            _ => return None,
        })
    }
}

/// The five levels of a 好差评 rating, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    /// 非常满意
    VerySatisfied,
    /// 满意
    Satisfied,
    /// 基本满意
    Basic,
    /// 不满意
    Dissatisfied,
    /// 非常不满意
    VeryDissatisfied,
}

impl Rating {
    /// 5 (非常满意) down to 1 (非常不满意).
    pub const fn score(self) -> u8 {
        match self {
            Rating::VerySatisfied => 5,
            Rating::Satisfied => 4,
            Rating::Basic => 3,
            Rating::Dissatisfied => 2,
            Rating::VeryDissatisfied => 1,
        }
    }

    pub const fn from_score(score: u8) -> Option<Rating> {
        Some(match score {
            5 => Rating::VerySatisfied,
            4 => Rating::Satisfied,
            3 => Rating::Basic,
            2 => Rating::Dissatisfied,
            1 => Rating::VeryDissatisfied,
            _ => return None,
        })
    }
}

/// Why a request failed, as the other side reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A message kind this side does not know.
    UnknownKind,
    /// A protocol version this side does not speak.
    Version,
    /// The message did not decode.
    Malformed,
    /// The device is busy with an earlier request.
    Busy,
    /// The printer is out of paper.
    PaperOut,
    /// The addressed device does not exist or failed.
    Device,
    Other(u16),
}

impl ErrorCode {
    const fn code(self) -> u16 {
        match self {
            ErrorCode::UnknownKind => 1,
            ErrorCode::Version => 2,
            ErrorCode::Malformed => 3,
            ErrorCode::Busy => 4,
            ErrorCode::PaperOut => 5,
            ErrorCode::Device => 6,
            ErrorCode::Other(c) => c,
        }
    }

    const fn from_code(code: u16) -> ErrorCode {
        match code {
            1 => ErrorCode::UnknownKind,
            2 => ErrorCode::Version,
            3 => ErrorCode::Malformed,
            4 => ErrorCode::Busy,
            5 => ErrorCode::PaperOut,
            6 => ErrorCode::Device,
            c => ErrorCode::Other(c),
        }
    }
}

/// One message. Text borrows from the decoded body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// Firmware → agent, after reset and when asked ([`Message::Query`]).
    DeviceInfo {
        class: DeviceClass,
        firmware: [u8; 3],
        serial: u32,
    },
    /// Firmware → agent, periodically.
    Heartbeat { uptime_s: u32 },
    /// Firmware → agent: a key went down on keypad `device`.
    KeyPressed { device: u8, key: u8 },
    /// Firmware → agent: a citizen rated the service on keypad `device`.
    Rating { device: u8, rating: Rating },
    /// Agent → firmware: show `text` on `line` of display `device`.
    ShowText { device: u8, line: u8, text: &'a str },
    /// Agent → firmware: call ticket `number` to `window` on display `device`.
    CallNumber { device: u8, number: u16, window: u8 },
    /// Agent → firmware: print a queue ticket.
    PrintTicket { number: u16, text: &'a str },
    /// Agent → firmware: answer with [`Message::DeviceInfo`].
    Query,
    /// The request with this frame's `seq` was carried out.
    Ack,
    /// The request with this frame's `seq` failed.
    Error { code: ErrorCode },
}

impl Message<'_> {
    const fn kind(&self) -> u8 {
        match self {
            Message::DeviceInfo { .. } => 0x01,
            Message::Heartbeat { .. } => 0x02,
            Message::KeyPressed { .. } => 0x03,
            Message::Rating { .. } => 0x04,
            Message::ShowText { .. } => 0x10,
            Message::CallNumber { .. } => 0x11,
            Message::PrintTicket { .. } => 0x12,
            Message::Query => 0x13,
            Message::Ack => 0x7E,
            Message::Error { .. } => 0x7F,
        }
    }
}

/// A message with its sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub seq: u8,
    pub message: Message<'a>,
}

/// Why a frame body is not a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Another protocol version (the byte is the one received).
    Version(u8),
    /// A message kind this version does not define.
    UnknownKind(u8),
    /// The payload is shorter or longer than the kind needs.
    Length,
    /// A field holds a value outside its range (rating, device class, text).
    Value,
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// Text longer than [`MAX_TEXT`] bytes.
    TextTooLong,
    /// The output buffer is too small.
    Overflow,
}

/// Reads fields off a payload.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&first, rest) = self.data.split_first().ok_or(DecodeError::Length)?;
        self.data = rest;
        Ok(first)
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes([self.u8()?, self.u8()?]))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }

    fn text(&mut self) -> Result<&'a str, DecodeError> {
        let len = usize::from(self.u8()?);
        if len > MAX_TEXT {
            return Err(DecodeError::Value);
        }
        if self.data.len() < len {
            return Err(DecodeError::Length);
        }
        let (text, rest) = self.data.split_at(len);
        self.data = rest;
        core::str::from_utf8(text).map_err(|_| DecodeError::Value)
    }

    fn end(&self) -> Result<(), DecodeError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Length)
        }
    }
}

/// Writes fields into a buffer.
struct Writer<'b> {
    out: &'b mut [u8],
    len: usize,
}

impl Writer<'_> {
    fn u8(&mut self, v: u8) -> Result<(), EncodeError> {
        let slot = self.out.get_mut(self.len).ok_or(EncodeError::Overflow)?;
        *slot = v;
        self.len += 1;
        Ok(())
    }

    fn bytes(&mut self, v: &[u8]) -> Result<(), EncodeError> {
        for &b in v {
            self.u8(b)?;
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), EncodeError> {
        let len = u8::try_from(text.len())
            .ok()
            .filter(|&l| usize::from(l) <= MAX_TEXT)
            .ok_or(EncodeError::TextTooLong)?;
        self.u8(len)?;
        self.bytes(text.as_bytes())
    }
}

impl<'a> Frame<'a> {
    /// Decodes a body as [`crate::Decoder`] returns it (checksum verified).
    pub fn decode(body: &'a [u8]) -> Result<Frame<'a>, DecodeError> {
        if body.len() < 5 {
            return Err(DecodeError::Length);
        }
        let payload_end = body.len() - 2;
        let (version, kind, seq) = (body[0], body[1], body[2]);
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let mut r = Reader {
            data: &body[3..payload_end],
        };
        let message = match kind {
            0x01 => Message::DeviceInfo {
                class: DeviceClass::from_code(r.u8()?).ok_or(DecodeError::Value)?,
                firmware: [r.u8()?, r.u8()?, r.u8()?],
                serial: r.u32()?,
            },
            0x02 => Message::Heartbeat { uptime_s: r.u32()? },
            0x03 => Message::KeyPressed {
                device: r.u8()?,
                key: r.u8()?,
            },
            0x04 => Message::Rating {
                device: r.u8()?,
                rating: Rating::from_score(r.u8()?).ok_or(DecodeError::Value)?,
            },
            0x10 => Message::ShowText {
                device: r.u8()?,
                line: r.u8()?,
                text: r.text()?,
            },
            0x11 => Message::CallNumber {
                device: r.u8()?,
                number: r.u16()?,
                window: r.u8()?,
            },
            0x12 => Message::PrintTicket {
                number: r.u16()?,
                text: r.text()?,
            },
            0x13 => Message::Query,
            0x7E => Message::Ack,
            0x7F => Message::Error {
                code: ErrorCode::from_code(r.u16()?),
            },
            other => return Err(DecodeError::UnknownKind(other)),
        };
        r.end()?;
        Ok(Frame { seq, message })
    }

    /// Writes the body (version, kind, seq, payload, checksum) into `out`;
    /// returns its length.
    pub fn encode_body(&self, out: &mut [u8]) -> Result<usize, EncodeError> {
        let mut w = Writer { out, len: 0 };
        w.u8(VERSION)?;
        w.u8(self.message.kind())?;
        w.u8(self.seq)?;
        match self.message {
            Message::DeviceInfo {
                class,
                firmware,
                serial,
            } => {
                w.u8(class.code())?;
                w.bytes(&firmware)?;
                w.bytes(&serial.to_le_bytes())?;
            }
            Message::Heartbeat { uptime_s } => w.bytes(&uptime_s.to_le_bytes())?,
            Message::KeyPressed { device, key } => w.bytes(&[device, key])?,
            Message::Rating { device, rating } => w.bytes(&[device, rating.score()])?,
            Message::ShowText { device, line, text } => {
                w.bytes(&[device, line])?;
                w.text(text)?;
            }
            Message::CallNumber {
                device,
                number,
                window,
            } => {
                w.u8(device)?;
                w.bytes(&number.to_le_bytes())?;
                w.u8(window)?;
            }
            Message::PrintTicket { number, text } => {
                w.bytes(&number.to_le_bytes())?;
                w.text(text)?;
            }
            Message::Query | Message::Ack => {}
            Message::Error { code } => w.bytes(&code.code().to_le_bytes())?,
        }
        let sum = crc16(&w.out[..w.len]);
        w.bytes(&sum.to_le_bytes())?;
        Ok(w.len)
    }
}

/// Encodes `frame` as it goes on the wire (`0x00, COBS(body), 0x00`) into
/// `out`; returns the number of bytes. [`crate::MAX_FRAME`] bytes always
/// suffice.
pub fn encode_frame(frame: &Frame<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
    let mut body = [0u8; MAX_BODY];
    let n = frame.encode_body(&mut body)?;
    if out.len() < cobs::max_encoded_len(n) + 2 {
        return Err(EncodeError::Overflow);
    }
    out[0] = 0;
    let m = cobs::encode(&body[..n], &mut out[1..]).map_err(|_| EncodeError::Overflow)?;
    out[1 + m] = 0;
    Ok(m + 2)
}
