//! The [`Receipt`] builder: what to print, turned into ESC/POS bytes.

use encoding_rs::GB18030;

use super::width::{char_columns, wrap_after};
use super::{Align, ESC, FS, GS, LF, QR_CN, QR_LEVEL, QR_MODEL, QR_PRINT, QR_SIZE, QR_STORE};

/// Half-width columns of a 58 mm printer (384 dots, 12-dot font A).
pub const DEFAULT_COLUMNS: usize = 32;

/// The most bytes a QR code can hold at error level M (version 40).
pub const QR_MAX_BYTES: usize = 2331;

/// Bytes a model 2 QR code of version 1, 2, … holds at error level M.
const QR_CAPACITY_M: [usize; 40] = [
    14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
    711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911,
    1989, 2099, 2213, 2331,
];

/// Printer dots per half-width column.
const DOTS_PER_COLUMN: usize = 12;

/// The largest QR module, in dots.
const QR_MAX_MODULE: usize = 8;

/// One step of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Text(String),
    Line(String),
    Align(Align),
    Bold(bool),
    Size(u8, u8),
    Feed(u8),
    Qr(String),
    Cut,
}

/// A receipt under construction; [`Receipt::to_bytes`] gives what to send
/// to the printer.
///
/// ```
/// use bantong_hall_kit::escpos::{Align, Receipt, decode};
///
/// let bytes = Receipt::new()
///     .align(Align::Center)
///     .size(2, 2)
///     .line("A012")
///     .size(1, 1)
///     .line("请到3号窗口办理")
///     .qr("https://example.invalid/t/A012")
///     .feed(3)
///     .cut()
///     .to_bytes();
/// let printed = decode(&bytes).unwrap();
/// assert_eq!(printed.lines[0].text, "A012");
/// assert_eq!(printed.cuts, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    ops: Vec<Op>,
    columns: usize,
}

impl Default for Receipt {
    fn default() -> Self {
        Self::new()
    }
}

impl Receipt {
    /// An empty receipt for a paper of [`DEFAULT_COLUMNS`] columns.
    pub fn new() -> Self {
        Self {
            ops: Vec::new(),
            columns: DEFAULT_COLUMNS,
        }
    }

    /// Sets the paper width in half-width columns (32 for 58 mm paper, 48
    /// for 80 mm), at least 1. Applies to the whole receipt.
    #[must_use]
    pub fn columns(mut self, columns: usize) -> Self {
        self.columns = columns.max(1);
        self
    }

    /// Text that continues the current line; the printer wraps it where it
    /// reaches the edge. `\n` ends a line; tabs become spaces and other
    /// control characters are dropped, so text can never smuggle in a
    /// command.
    #[must_use]
    pub fn text(mut self, text: &str) -> Self {
        self.ops.push(Op::Text(text.to_owned()));
        self
    }

    /// Text that ends the current line, wrapped at word and character
    /// boundaries to the paper width (see [`wrap`](super::wrap)) and
    /// sanitised like [`Receipt::text`]. An empty text prints an empty line
    /// (or ends a line started with [`Receipt::text`]).
    #[must_use]
    pub fn line(mut self, text: &str) -> Self {
        self.ops.push(Op::Line(text.to_owned()));
        self
    }

    /// Alignment from the next line on (ESC/POS applies it at the start of
    /// a line).
    #[must_use]
    pub fn align(mut self, align: Align) -> Self {
        self.ops.push(Op::Align(align));
        self
    }

    /// Bold on or off.
    #[must_use]
    pub fn bold(mut self, bold: bool) -> Self {
        self.ops.push(Op::Bold(bold));
        self
    }

    /// Character size as width and height multipliers, each clamped to 1-8.
    /// A wider font leaves fewer columns for [`Receipt::line`] to fill.
    #[must_use]
    pub fn size(mut self, width: u8, height: u8) -> Self {
        self.ops
            .push(Op::Size(width.clamp(1, 8), height.clamp(1, 8)));
        self
    }

    /// Prints what is pending and feeds `lines` lines (0 does nothing).
    #[must_use]
    pub fn feed(mut self, lines: u8) -> Self {
        if lines > 0 {
            self.ops.push(Op::Feed(lines));
        }
        self
    }

    /// A QR code (model 2, error level M) of `data` as UTF-8 on a line of its
    /// own, its module size chosen to fit the paper. Data longer than
    /// [`QR_MAX_BYTES`] prints the line `[QR code too long]` instead.
    #[must_use]
    pub fn qr(mut self, data: &str) -> Self {
        self.ops.push(Op::Qr(data.to_owned()));
        self
    }

    /// Feeds to the cutter and cuts, leaving one point uncut (partial cut).
    #[must_use]
    pub fn cut(mut self) -> Self {
        self.ops.push(Op::Cut);
        self
    }

    /// The ESC/POS bytes: initialise, enter Chinese mode, then every step;
    /// text in GB18030. A line left open at the end is ended.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![ESC, b'@', FS, b'&'];
        let columns = self.columns;
        // Columns used on the line being printed, in half-width columns
        // of the normal font.
        let mut used = 0usize;
        let mut width = 1usize;
        for op in &self.ops {
            match op {
                Op::Text(text) => {
                    for (index, part) in text.split('\n').enumerate() {
                        if index > 0 {
                            out.push(LF);
                            used = 0;
                        }
                        let part = sanitize(part);
                        for c in part.chars() {
                            let w = char_columns(c) * width;
                            if used > 0 && used + w > columns {
                                used = 0; // the printer wraps here
                            }
                            used += w;
                        }
                        encode(&mut out, &part);
                    }
                }
                Op::Line(text) => {
                    let cells = (columns / width).max(1);
                    for part in text.split('\n') {
                        let first = columns.saturating_sub(used) / width;
                        for piece in wrap_after(&sanitize(part), first, cells) {
                            encode(&mut out, &piece);
                            out.push(LF);
                        }
                        used = 0;
                    }
                }
                Op::Align(align) => out.extend([ESC, b'a', align.code()]),
                Op::Bold(bold) => out.extend([ESC, b'E', u8::from(*bold)]),
                Op::Size(w, h) => {
                    out.extend([GS, b'!', ((w - 1) << 4) | (h - 1)]);
                    width = usize::from(*w);
                }
                Op::Feed(lines) => {
                    out.extend([ESC, b'd', *lines]);
                    used = 0;
                }
                Op::Qr(data) => {
                    end_line(&mut out, &mut used);
                    qr(&mut out, data, columns);
                }
                Op::Cut => {
                    end_line(&mut out, &mut used);
                    out.extend([GS, b'V', 66, 0]);
                }
            }
        }
        end_line(&mut out, &mut used);
        out
    }
}

/// Ends a line that holds text, so the next command starts a fresh one.
fn end_line(out: &mut Vec<u8>, used: &mut usize) {
    if *used > 0 {
        out.push(LF);
        *used = 0;
    }
}

/// Tabs to spaces; other control characters (C0, DEL, C1) dropped.
fn sanitize(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Appends `text` as GB18030, which encodes every Unicode scalar value
/// (encoding_rs follows the WHATWG encoder, which writes only U+E5E5 as
/// `&#58853;`).
fn encode(out: &mut Vec<u8>, text: &str) {
    let (bytes, _, _) = GB18030.encode(text);
    out.extend_from_slice(&bytes);
}

/// The five `GS ( k` commands that print one QR code.
fn qr(out: &mut Vec<u8>, data: &str, columns: usize) {
    let bytes = data.as_bytes();
    let Some(version) = QR_CAPACITY_M
        .iter()
        .position(|capacity| bytes.len() <= *capacity)
    else {
        encode(out, "[QR code too long]");
        out.push(LF);
        return;
    };
    // Version v is 17 + 4v modules wide; leave a 4-module quiet zone.
    let modules = 17 + 4 * (version + 1) + 8;
    let module = (columns * DOTS_PER_COLUMN / modules).clamp(1, QR_MAX_MODULE);
    let module = u8::try_from(module).unwrap_or(1);
    out.extend([GS, b'(', b'k', 4, 0, QR_CN, QR_MODEL, 50, 0]);
    out.extend([GS, b'(', b'k', 3, 0, QR_CN, QR_SIZE, module]);
    out.extend([GS, b'(', b'k', 3, 0, QR_CN, QR_LEVEL, 49]);
    // pL pH count cn, fn and m too; at most 2331 + 3, so it fits.
    let [low, high] = u16::try_from(bytes.len() + 3)
        .unwrap_or(u16::MAX)
        .to_le_bytes();
    out.extend([GS, b'(', b'k', low, high, QR_CN, QR_STORE, 48]);
    out.extend_from_slice(bytes);
    out.extend([GS, b'(', b'k', 3, 0, QR_CN, QR_PRINT, 48]);
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const INIT: [u8; 4] = [0x1B, 0x40, 0x1C, 0x26];

    #[test]
    fn starts_with_init_and_chinese_mode() {
        assert_eq!(Receipt::new().to_bytes(), INIT);
    }

    #[test]
    fn command_bytes() {
        let bytes = Receipt::new()
            .align(Align::Center)
            .bold(true)
            .size(2, 3)
            .line("A")
            .align(Align::Right)
            .bold(false)
            .size(1, 1)
            .feed(4)
            .cut()
            .to_bytes();
        let mut expected = INIT.to_vec();
        expected.extend([0x1B, 0x61, 0x01]); // ESC a 1
        expected.extend([0x1B, 0x45, 0x01]); // ESC E 1
        expected.extend([0x1D, 0x21, 0x12]); // GS ! (2-1)<<4 | (3-1)
        expected.extend([b'A', 0x0A]);
        expected.extend([0x1B, 0x61, 0x02]);
        expected.extend([0x1B, 0x45, 0x00]);
        expected.extend([0x1D, 0x21, 0x00]);
        expected.extend([0x1B, 0x64, 0x04]); // ESC d 4
        expected.extend([0x1D, 0x56, 0x42, 0x00]); // GS V 66 0
        assert_eq!(bytes, expected);
    }

    #[test]
    fn text_is_gb18030() {
        let bytes = Receipt::new().line("中a𠀀").to_bytes();
        // 中 = D6 D0; U+20000 takes four bytes.
        assert_eq!(bytes[4..], [0xD6, 0xD0, b'a', 0x95, 0x32, 0x82, 0x36, 0x0A]);
    }

    #[test]
    fn size_is_clamped() {
        let bytes = Receipt::new().size(0, 9).to_bytes();
        assert_eq!(bytes[4..], [0x1D, 0x21, 0x07]);
        let bytes = Receipt::new().size(8, 8).to_bytes();
        assert_eq!(bytes[4..], [0x1D, 0x21, 0x77]);
    }

    #[test]
    fn qr_command_bytes() {
        let bytes = Receipt::new().qr("A012").to_bytes();
        let mut expected = INIT.to_vec();
        expected.extend([0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]); // model 2
        expected.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x08]); // module 8 dots
        expected.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]); // level M
        expected.extend([0x1D, 0x28, 0x6B, 0x07, 0x00, 0x31, 0x50, 0x30]); // store 4 bytes
        expected.extend(*b"A012");
        expected.extend([0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]); // print
        assert_eq!(bytes, expected);
    }

    #[test]
    fn qr_module_shrinks_to_fit_the_paper() {
        let module = |data: &str, columns: usize| {
            let bytes = Receipt::new().columns(columns).qr(data).to_bytes();
            bytes[INIT.len() + 9 + 7]
        };
        let long = "x".repeat(400); // version 15, 77 modules
        assert_eq!(module(&long, 32), 4); // 384 dots / 85
        assert_eq!(module(&long, 48), 6); // 576 dots / 85
        assert_eq!(module(&"x".repeat(QR_MAX_BYTES), 32), 2); // 384 / 185
    }

    #[test]
    fn too_long_qr_prints_a_note() {
        let bytes = Receipt::new().qr(&"x".repeat(QR_MAX_BYTES + 1)).to_bytes();
        assert_eq!(bytes[4..], *b"[QR code too long]\n");
    }

    #[test]
    fn control_characters_cannot_inject_commands() {
        let bytes = Receipt::new()
            .line("name\u{1d}V\u{42}\u{0}\u{1b}@\tend\r\u{7f}\u{85}")
            .to_bytes();
        assert_eq!(bytes[4..], *b"nameVB@ end\n");
    }

    #[test]
    fn open_lines_are_ended_before_qr_cut_and_at_the_end() {
        let bytes = Receipt::new()
            .text("a")
            .qr("q")
            .text("b")
            .cut()
            .text("c")
            .to_bytes();
        assert_eq!(bytes[4..6], [b'a', LF]);
        let cut = bytes
            .windows(4)
            .position(|w| w == [GS, b'V', 66, 0])
            .unwrap();
        assert_eq!(bytes[cut - 2..cut], [b'b', LF]);
        assert_eq!(bytes[bytes.len() - 2..], [b'c', LF]);
    }

    #[test]
    fn line_continues_text_and_wraps_with_the_rest() {
        // 6 of 10 columns used: "Zhang" (5) does not fit in the 4 left.
        let bytes = Receipt::new()
            .columns(10)
            .text("Name: ")
            .line("Zhang San")
            .to_bytes();
        assert_eq!(bytes[4..], *b"Name: \nZhang San\n");
    }

    #[test]
    fn double_width_halves_the_columns() {
        let bytes = Receipt::new()
            .columns(8)
            .size(2, 1)
            .line("一二三")
            .to_bytes();
        let text: Vec<u8> = bytes[7..].to_vec();
        assert_eq!(text, [0xD2, 0xBB, 0xB6, 0xFE, LF, 0xC8, 0xFD, LF]);
    }
}
