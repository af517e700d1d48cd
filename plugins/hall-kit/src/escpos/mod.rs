//! Receipts for ESC/POS thermal printers, with Chinese text in GB18030:
//! a [`Receipt`] builder that produces the bytes, and a [`decode`]r that
//! reads them back (the receipt-printer simulator and the tests use it to
//! see what was printed).
//!
//! The command subset, shared by both sides:
//!
//! | bytes                         | command                                   |
//! |-------------------------------|-------------------------------------------|
//! | `1B 40`                       | ESC @ — initialise                        |
//! | `1C 26`                       | FS & — enter Chinese (double-byte) mode   |
//! | `1B 61 n`                     | ESC a — align: 0 left, 1 centre, 2 right  |
//! | `1B 45 n`                     | ESC E — bold on when bit 0 of n is set    |
//! | `1D 21 n`                     | GS ! — size: (width−1)·16 + (height−1)    |
//! | `1B 64 n`                     | ESC d — print and feed n lines            |
//! | `1D 56 42 n`                  | GS V 66 — feed to the cutter (+n), partial cut |
//! | `1D 28 6B pL pH 31 fn …`      | GS ( k — QR code: model (fn 65), module size (67), error level (69), store (80), print (81) |
//! | `0A`                          | LF — print the line                       |
//!
//! Text between commands is GB18030. In Chinese mode the printer prints
//! every multi-byte character full width, so layout counts 1 column for
//! an ASCII character and 2 for any other ([`char_columns`]).

mod decode;
mod receipt;
mod width;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use decode::{Decoded, Line, decode};
pub use receipt::{DEFAULT_COLUMNS, QR_MAX_BYTES, Receipt};
pub use width::{char_columns, text_columns, wrap};

pub(crate) const LF: u8 = 0x0A;
pub(crate) const HT: u8 = 0x09;
pub(crate) const CR: u8 = 0x0D;
pub(crate) const ESC: u8 = 0x1B;
pub(crate) const FS: u8 = 0x1C;
pub(crate) const GS: u8 = 0x1D;

/// `cn` of every QR code function of `GS ( k`.
pub(crate) const QR_CN: u8 = 49;
/// `fn` of `GS ( k`: select the model.
pub(crate) const QR_MODEL: u8 = 65;
/// `fn` of `GS ( k`: set the module size in dots.
pub(crate) const QR_SIZE: u8 = 67;
/// `fn` of `GS ( k`: set the error correction level.
pub(crate) const QR_LEVEL: u8 = 69;
/// `fn` of `GS ( k`: store the data.
pub(crate) const QR_STORE: u8 = 80;
/// `fn` of `GS ( k`: print the stored symbol.
pub(crate) const QR_PRINT: u8 = 81;

/// Horizontal alignment of a printed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Flush left (the printer's default).
    #[default]
    Left,
    /// Centred.
    Center,
    /// Flush right.
    Right,
}

impl Align {
    /// The `n` of `ESC a n`.
    pub(crate) fn code(self) -> u8 {
        match self {
            Align::Left => 0,
            Align::Center => 1,
            Align::Right => 2,
        }
    }
}

/// Why [`decode`] could not read a byte string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscPosError {
    /// A control byte or command outside the supported subset.
    UnknownCommand {
        /// Where the command starts.
        offset: usize,
        /// Its first bytes (up to 3).
        prefix: Vec<u8>,
    },
    /// The input ends inside a command.
    Truncated {
        /// Where the command starts.
        offset: usize,
        /// The command, e.g. `"ESC a"`.
        command: &'static str,
    },
    /// A supported command with a parameter it does not allow.
    InvalidParameter {
        /// Where the command starts.
        offset: usize,
        /// The command, e.g. `"GS !"`.
        command: &'static str,
        /// The offending parameter byte.
        value: u8,
    },
    /// The data of a printed QR code is not UTF-8.
    QrNotUtf8 {
        /// Where the print command starts.
        offset: usize,
    },
}

impl fmt::Display for EscPosError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCommand { offset, prefix } => {
                f.write_str("unknown command")?;
                for (index, byte) in prefix.iter().enumerate() {
                    match (index, *byte) {
                        (0, ESC) => f.write_str(" ESC")?,
                        (0, FS) => f.write_str(" FS")?,
                        (0, GS) => f.write_str(" GS")?,
                        (_, byte) => write!(f, " 0x{byte:02X}")?,
                    }
                }
                write!(f, " at byte {offset}")
            }
            Self::Truncated { offset, command } => write!(
                f,
                "truncated {command} at byte {offset}: the input ends inside the command"
            ),
            Self::InvalidParameter {
                offset,
                command,
                value,
            } => write!(
                f,
                "invalid parameter {value} for {command} at byte {offset}"
            ),
            Self::QrNotUtf8 { offset } => {
                write!(
                    f,
                    "the QR code printed at byte {offset} holds data that is not UTF-8"
                )
            }
        }
    }
}

impl std::error::Error for EscPosError {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_name_the_command_and_offset() {
        let unknown = EscPosError::UnknownCommand {
            offset: 12,
            prefix: vec![ESC, b'Z'],
        };
        assert_eq!(unknown.to_string(), "unknown command ESC 0x5A at byte 12");
        let control = EscPosError::UnknownCommand {
            offset: 3,
            prefix: vec![0x07],
        };
        assert_eq!(control.to_string(), "unknown command 0x07 at byte 3");
        let truncated = EscPosError::Truncated {
            offset: 5,
            command: "ESC a",
        };
        assert_eq!(
            truncated.to_string(),
            "truncated ESC a at byte 5: the input ends inside the command"
        );
        let invalid = EscPosError::InvalidParameter {
            offset: 0,
            command: "GS !",
            value: 0x88,
        };
        assert_eq!(
            invalid.to_string(),
            "invalid parameter 136 for GS ! at byte 0"
        );
    }
}
