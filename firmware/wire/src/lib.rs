//! The serial wire protocol between the hall edge agent and the firmware
//! of its peripheral controllers (rating keypad, queue display, ticket
//! printer bridge). `no_std`, no allocation: the same crate builds for the
//! Cortex-M firmware and for the agent.
//!
//! # Framing
//! A frame on the wire is `0x00, COBS(body), 0x00`. COBS removes every zero
//! byte from the body, so a zero always means "frame boundary" and a
//! receiver that starts mid-stream, or meets line noise, loses at most the
//! frame it is in: the next zero puts it back in step. The leading zero ends
//! whatever garbage came before, so a valid frame after garbage is never
//! lost.
//!
//! The body is `version, kind, seq, payload…, crc16` (CRC-16/CCITT-FALSE
//! over everything before it, little-endian). `seq` lets the agent match an
//! [`Message::Ack`] or [`Message::Error`] to its request.
//!
//! # Layers
//! [`cobs`] (byte stuffing), [`crc16`], [`Decoder`] (bytes → frame bodies,
//! a pure state machine fed one byte at a time), [`Message`] (body ↔
//! typed message) and [`encode_frame`] (message → bytes on the wire).
#![cfg_attr(not(test), no_std)]

pub mod cobs;
mod crc;
mod decoder;
mod message;

pub use crc::crc16;
pub use decoder::{Decoder, FrameError};
pub use message::{
    DecodeError, DeviceClass, EncodeError, ErrorCode, Frame, Message, Rating, encode_frame,
};

/// Protocol version this crate speaks. A receiver refuses other versions
/// with [`DecodeError::Version`] (and answers [`ErrorCode::Version`]).
pub const VERSION: u8 = 1;

/// Largest body (version, kind, seq, payload, CRC) in bytes.
pub const MAX_BODY: usize = 128;

/// Largest frame on the wire: two delimiters plus COBS overhead.
pub const MAX_FRAME: usize = MAX_BODY + MAX_BODY / 254 + 1 + 2;

/// Longest text in [`Message::ShowText`] and [`Message::PrintTicket`], in bytes of UTF-8.
pub const MAX_TEXT: usize = 96;
