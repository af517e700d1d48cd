//! Reads ESC/POS bytes back into printed lines, QR codes and cuts: exactly
//! the command subset [`Receipt`](super::Receipt) writes, with every
//! parameter form ESC/POS defines for those commands. Bounded and
//! panic-free on any input.

use encoding_rs::GB18030;
use serde::{Deserialize, Serialize};

use super::{
    Align, CR, ESC, EscPosError, FS, GS, HT, LF, QR_CN, QR_LEVEL, QR_MODEL, QR_PRINT, QR_SIZE,
    QR_STORE,
};

/// One printed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The text, decoded from GB18030; empty for a fed blank line.
    pub text: String,
    /// The alignment in force when the line started.
    pub align: Align,
    /// Bold, as in force at the line's first character.
    pub bold: bool,
    /// Width multiplier 1-8, as in force at the line's first character.
    pub width: u8,
    /// Height multiplier 1-8, as in force at the line's first character.
    pub height: u8,
}

/// What a byte string prints.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Decoded {
    /// Printed lines in order, blank lines from feeds included.
    pub lines: Vec<Line>,
    /// The data of each printed QR code, in order.
    pub qr: Vec<String>,
    /// How many cuts.
    pub cuts: usize,
}

impl Decoded {
    /// The text of every line, joined by `\n`.
    pub fn text(&self) -> String {
        let texts: Vec<&str> = self.lines.iter().map(|line| line.text.as_str()).collect();
        texts.join("\n")
    }
}

#[derive(Debug, Clone, Copy)]
struct Style {
    align: Align,
    bold: bool,
    width: u8,
    height: u8,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            align: Align::Left,
            bold: false,
            width: 1,
            height: 1,
        }
    }
}

/// The decoder's state between commands.
#[derive(Default)]
struct Printer {
    style: Style,
    /// The style at the first byte of the line being collected.
    line_style: Option<Style>,
    /// GB18030 bytes of the line being collected.
    pending: Vec<u8>,
    /// The data stored by the last QR store command.
    qr_data: Option<Vec<u8>>,
    printed: Decoded,
}

impl Printer {
    fn text_byte(&mut self, byte: u8) {
        if self.pending.is_empty() {
            self.line_style = Some(self.style);
        }
        self.pending.push(byte);
    }

    /// Prints the pending text as a line (an empty one if there is none).
    fn print_line(&mut self) {
        let style = self.line_style.take().unwrap_or(self.style);
        let (text, _) = GB18030.decode_without_bom_handling(&self.pending);
        let text = text.into_owned();
        self.pending.clear();
        self.push_line(text, style);
    }

    fn print_pending(&mut self) {
        if !self.pending.is_empty() {
            self.print_line();
        }
    }

    fn push_line(&mut self, text: String, style: Style) {
        self.printed.lines.push(Line {
            text,
            align: style.align,
            bold: style.bold,
            width: style.width,
            height: style.height,
        });
    }

    /// ESC d n: print the pending line (which takes the first of the n
    /// line feeds), then blank lines.
    fn feed(&mut self, lines: u8) {
        let mut blanks = lines;
        if !self.pending.is_empty() && blanks > 0 {
            self.print_line();
            blanks -= 1;
        }
        for _ in 0..blanks {
            self.push_line(String::new(), self.style);
        }
    }
}

/// Decodes what `bytes` print.
///
/// Supported: ESC @, FS &, ESC a, ESC E, ESC d, GS !, GS V (function A and
/// B), GS ( k for QR codes (cn 49: model, module size, error level, store,
/// print), LF; CR and HT are ignored. Any other control byte or command,
/// or a command cut short by the end of the input, is an error. Text not
/// ended by LF at the end is returned as a last line.
pub fn decode(bytes: &[u8]) -> Result<Decoded, EscPosError> {
    let mut printer = Printer::default();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        at = match byte {
            LF => {
                printer.print_line();
                at + 1
            }
            CR | HT => at + 1,
            ESC => esc(&mut printer, bytes, at)?,
            FS => match bytes.get(at + 1) {
                Some(&b'&') => at + 2,
                Some(_) => return Err(unknown(bytes, at, 2)),
                None => return Err(truncated(at, "FS")),
            },
            GS => gs(&mut printer, bytes, at)?,
            0x00..=0x1F | 0x7F => return Err(unknown(bytes, at, 1)),
            _ => {
                printer.text_byte(byte);
                at + 1
            }
        };
    }
    printer.print_pending();
    Ok(printer.printed)
}

/// An ESC command at `at`; returns where the next command starts.
fn esc(printer: &mut Printer, bytes: &[u8], at: usize) -> Result<usize, EscPosError> {
    let Some(&command) = bytes.get(at + 1) else {
        return Err(truncated(at, "ESC"));
    };
    let name = match command {
        b'@' => {
            // Initialise: pending text is discarded, modes reset.
            printer.pending.clear();
            printer.line_style = None;
            printer.style = Style::default();
            return Ok(at + 2);
        }
        b'a' => "ESC a",
        b'E' => "ESC E",
        b'd' => "ESC d",
        _ => return Err(unknown(bytes, at, 2)),
    };
    let Some(&n) = bytes.get(at + 2) else {
        return Err(truncated(at, name));
    };
    match command {
        b'a' => {
            printer.style.align = match n {
                0 | 48 => Align::Left,
                1 | 49 => Align::Center,
                2 | 50 => Align::Right,
                _ => return Err(invalid(at, name, n)),
            }
        }
        b'E' => printer.style.bold = n & 1 == 1,
        _ => printer.feed(n),
    }
    Ok(at + 3)
}

/// A GS command at `at`; returns where the next command starts.
fn gs(printer: &mut Printer, bytes: &[u8], at: usize) -> Result<usize, EscPosError> {
    let Some(&command) = bytes.get(at + 1) else {
        return Err(truncated(at, "GS"));
    };
    match command {
        b'!' => {
            let n = *bytes.get(at + 2).ok_or(truncated(at, "GS !"))?;
            let (width, height) = ((n >> 4) + 1, (n & 0x0F) + 1);
            if width > 8 || height > 8 {
                return Err(invalid(at, "GS !", n));
            }
            printer.style.width = width;
            printer.style.height = height;
            Ok(at + 3)
        }
        b'V' => {
            let m = *bytes.get(at + 2).ok_or(truncated(at, "GS V"))?;
            let next = match m {
                0 | 1 | 48 | 49 => at + 3,
                65 | 66 if at + 3 < bytes.len() => at + 4,
                65 | 66 => return Err(truncated(at, "GS V")),
                _ => return Err(invalid(at, "GS V", m)),
            };
            printer.print_pending();
            printer.printed.cuts += 1;
            Ok(next)
        }
        b'(' => match bytes.get(at + 2) {
            Some(&b'k') => qr(printer, bytes, at),
            Some(_) => Err(unknown(bytes, at, 3)),
            None => Err(truncated(at, "GS (")),
        },
        _ => Err(unknown(bytes, at, 2)),
    }
}

/// A `GS ( k pL pH cn fn …` command at `at`.
fn qr(printer: &mut Printer, bytes: &[u8], at: usize) -> Result<usize, EscPosError> {
    const NAME: &str = "GS ( k";
    let (Some(&low), Some(&high)) = (bytes.get(at + 3), bytes.get(at + 4)) else {
        return Err(truncated(at, NAME));
    };
    let len = usize::from(u16::from_le_bytes([low, high]));
    let start = at + 5;
    let body = bytes.get(start..start + len).ok_or(truncated(at, NAME))?;
    let next = start + len;
    let (&cn, &function, params) = match body {
        [cn, function, params @ ..] => (cn, function, params),
        _ => return Err(invalid(at, NAME, low)),
    };
    if cn != QR_CN {
        return Err(invalid(at, NAME, cn));
    }
    match (function, params) {
        (QR_MODEL, [49 | 50, 0]) | (QR_SIZE, [1..=16]) | (QR_LEVEL, [48..=51]) => {}
        (QR_STORE, [48, data @ ..]) => printer.qr_data = Some(data.to_vec()),
        (QR_PRINT, [48]) => {
            printer.print_pending();
            if let Some(data) = &printer.qr_data {
                let text = String::from_utf8(data.clone())
                    .map_err(|_| EscPosError::QrNotUtf8 { offset: at })?;
                printer.printed.qr.push(text);
            }
        }
        (QR_MODEL | QR_SIZE | QR_LEVEL | QR_STORE | QR_PRINT, [first, ..]) => {
            return Err(invalid(at, NAME, *first));
        }
        (QR_MODEL | QR_SIZE | QR_LEVEL | QR_STORE | QR_PRINT, []) => {
            return Err(invalid(at, NAME, low));
        }
        _ => {
            return Err(EscPosError::UnknownCommand {
                offset: at,
                prefix: vec![GS, b'(', b'k'],
            });
        }
    }
    Ok(next)
}

fn unknown(bytes: &[u8], at: usize, len: usize) -> EscPosError {
    EscPosError::UnknownCommand {
        offset: at,
        prefix: bytes.iter().skip(at).take(len).copied().collect(),
    }
}

fn truncated(at: usize, command: &'static str) -> EscPosError {
    EscPosError::Truncated {
        offset: at,
        command,
    }
}

fn invalid(at: usize, command: &'static str, value: u8) -> EscPosError {
    EscPosError::InvalidParameter {
        offset: at,
        command,
        value,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::escpos::{Receipt, text_columns};

    const TICKET: &str = "办通政务服务中心 取号凭条 A012 请到3号窗口";

    fn texts(decoded: &Decoded) -> Vec<&str> {
        decoded
            .lines
            .iter()
            .map(|line| line.text.as_str())
            .collect()
    }

    #[test]
    fn round_trip_a_hall_ticket() {
        let bytes = Receipt::new()
            .align(Align::Center)
            .bold(true)
            .size(2, 2)
            .line("A012")
            .bold(false)
            .size(1, 1)
            .line(TICKET)
            .align(Align::Left)
            .line("Rare 𠀀 and ASCII mixed: 1+1=2")
            .qr("https://example.invalid/ticket?no=A012&hall=办通")
            .feed(3)
            .cut()
            .to_bytes();
        let decoded = decode(&bytes).unwrap();
        assert_eq!(
            texts(&decoded),
            [
                "A012",
                "办通政务服务中心 取号凭条 A012",
                "请到3号窗口",
                "Rare 𠀀 and ASCII mixed: 1+1=2",
                "",
                "",
                "",
            ]
        );
        let first = &decoded.lines[0];
        assert_eq!(
            (first.align, first.bold, first.width, first.height),
            (Align::Center, true, 2, 2)
        );
        let second = &decoded.lines[1];
        assert_eq!(
            (second.align, second.bold, second.width, second.height),
            (Align::Center, false, 1, 1)
        );
        assert_eq!(decoded.lines[3].align, Align::Left);
        assert_eq!(
            decoded.qr,
            ["https://example.invalid/ticket?no=A012&hall=办通"]
        );
        assert_eq!(decoded.cuts, 1);
    }

    #[test]
    fn rare_characters_survive() {
        let text = "𠀀𪚥䶮㐀 ﹏ €";
        let decoded = decode(&Receipt::new().columns(64).line(text).to_bytes()).unwrap();
        assert_eq!(decoded.text(), text);
    }

    #[test]
    fn style_is_taken_at_the_first_character() {
        let bytes = Receipt::new()
            .text("办")
            .bold(true)
            .text("通")
            .line("")
            .line("next")
            .to_bytes();
        let decoded = decode(&bytes).unwrap();
        assert_eq!(texts(&decoded), ["办通", "next"]);
        assert!(!decoded.lines[0].bold);
        assert!(decoded.lines[1].bold);
    }

    #[test]
    fn feeds_print_the_pending_line_first() {
        let decoded = decode(b"\x1b@\x1c&abc\x1bd\x03\x1bd\x02").unwrap();
        assert_eq!(texts(&decoded), ["abc", "", "", "", ""]);
    }

    #[test]
    fn other_parameter_forms_and_ignored_bytes() {
        let decoded = decode(b"\x1ba\x31x\r\tx\n\x1dV\x00\x1dV\x41\x05y").unwrap();
        assert_eq!(texts(&decoded), ["xx", "y"]);
        assert_eq!(decoded.lines[0].align, Align::Center);
        assert_eq!(decoded.cuts, 2);
    }

    #[test]
    fn init_discards_pending_text_and_resets_modes() {
        let decoded = decode(b"\x1bE\x01lost\x1b@kept\n").unwrap();
        assert_eq!(texts(&decoded), ["kept"]);
        assert!(!decoded.lines[0].bold);
    }

    #[test]
    fn unknown_commands_are_errors() {
        assert_eq!(
            decode(b"ab\x1bZ"),
            Err(EscPosError::UnknownCommand {
                offset: 2,
                prefix: vec![ESC, b'Z']
            })
        );
        assert_eq!(
            decode(b"\x07"),
            Err(EscPosError::UnknownCommand {
                offset: 0,
                prefix: vec![0x07]
            })
        );
        assert!(matches!(
            decode(b"\x1c."),
            Err(EscPosError::UnknownCommand { .. })
        ));
        assert!(matches!(
            decode(b"\x1d(k\x03\x001\x52\x30"),
            Err(EscPosError::UnknownCommand { .. })
        ));
    }

    #[test]
    fn truncated_commands_are_errors() {
        for (bytes, command) in [
            (&b"\x1b"[..], "ESC"),
            (b"x\x1ba", "ESC a"),
            (b"\x1bd", "ESC d"),
            (b"\x1d!", "GS !"),
            (b"\x1dV\x42", "GS V"),
            (b"\x1d(k\x05", "GS ( k"),
            (b"\x1d(k\x07\x001P0ab", "GS ( k"),
            (b"\x1c", "FS"),
        ] {
            match decode(bytes) {
                Err(EscPosError::Truncated { command: c, .. }) => assert_eq!(c, command),
                other => panic!("{bytes:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert_eq!(
            decode(b"\x1d!\x88"),
            Err(EscPosError::InvalidParameter {
                offset: 0,
                command: "GS !",
                value: 0x88
            })
        );
        assert!(decode(b"\x1ba\x03").is_err());
        assert!(decode(b"\x1dV\x07").is_err());
        assert!(decode(b"\x1d(k\x03\x001C\x00").is_err()); // module size 0
        assert!(decode(b"\x1d(k\x00\x00").is_err()); // no cn/fn
    }

    #[test]
    fn qr_data_must_be_utf8() {
        let bytes = b"\x1d(k\x05\x001P0\xff\xfe\x1d(k\x03\x001Q0";
        assert_eq!(decode(bytes), Err(EscPosError::QrNotUtf8 { offset: 10 }));
    }

    #[test]
    fn error_offsets_point_at_the_command() {
        let mut bytes = Receipt::new().line("好").to_bytes();
        let offset = bytes.len();
        bytes.extend([ESC, b'!', 0]);
        assert_eq!(
            decode(&bytes).unwrap_err().to_string(),
            format!("unknown command ESC 0x21 at byte {offset}")
        );
    }

    /// A deterministic pseudo-random generator (Knuth's MMIX LCG).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Bytes that steer into the commands, plus anything at all.
        const HOT: &[u8] = &[
            0x1B, 0x1C, 0x1D, 0x0A, 0x0D, 0x09, b'@', b'&', b'a', b'E', b'd', b'!', b'V', b'(',
            b'k', 0, 1, 2, 3, 48, 49, 50, 65, 66, 67, 69, 80, 81, 0x81, 0xFE, 0x30, 0xFF,
        ];
        let mut rng = Lcg(0x0BA7_7019);
        let mut ok = 0;
        for _ in 0..20_000 {
            let len = rng.below(64);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(2) == 0 {
                        HOT[rng.below(HOT.len())]
                    } else {
                        rng.next() as u8
                    }
                })
                .collect();
            if decode(&bytes).is_ok() {
                ok += 1;
            }
        }
        // Both outcomes are exercised.
        assert!(ok > 100 && ok < 20_000, "{ok}");
    }

    #[test]
    fn every_built_receipt_decodes_and_fits() {
        const WORDS: &[&str] = &[
            "a", "bc", " ", "中", "办通", "𠀀", "1", "X", "\t", "\u{1b}", "é", "window", "，",
            "\n", "\u{1d}V",
        ];
        let mut rng = Lcg(7);
        for _ in 0..500 {
            let columns = 1 + rng.below(48);
            let mut receipt = Receipt::new().columns(columns);
            let mut expected_chars = String::new();
            let mut expected_qr = Vec::new();
            let mut cuts = 0;
            for _ in 0..rng.below(20) {
                match rng.below(7) {
                    0 => {
                        let w = 1 + rng.below(3) as u8;
                        receipt = receipt.size(w, 1 + rng.below(8) as u8);
                    }
                    1 => receipt = receipt.bold(rng.below(2) == 0),
                    2 => receipt = receipt.feed(rng.below(4) as u8),
                    3 => {
                        let data: String = (0..rng.below(5))
                            .map(|_| WORDS[rng.below(WORDS.len())])
                            .collect();
                        expected_qr.push(data.clone());
                        receipt = receipt.qr(&data);
                    }
                    4 => {
                        cuts += 1;
                        receipt = receipt.cut();
                    }
                    _ => {
                        let text: String = (0..rng.below(12))
                            .map(|_| WORDS[rng.below(WORDS.len())])
                            .collect();
                        expected_chars.extend(text.chars().filter(|c| c.is_alphanumeric()));
                        receipt = receipt.line(&text);
                    }
                }
            }
            let decoded = decode(&receipt.to_bytes()).unwrap();
            let printed: String = decoded
                .lines
                .iter()
                .flat_map(|line| line.text.chars())
                .filter(|c| c.is_alphanumeric())
                .collect();
            assert_eq!(printed, expected_chars);
            assert_eq!(decoded.qr, expected_qr);
            assert_eq!(decoded.cuts, cuts);
            for line in &decoded.lines {
                let fits = text_columns(&line.text) * usize::from(line.width) <= columns;
                // A single character wider than the paper has a line of its own.
                assert!(
                    fits || line.text.chars().count() == 1,
                    "{line:?} in {columns}"
                );
            }
        }
    }
}
