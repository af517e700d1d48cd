//! Text for cells: the characters XML 1.0 allows, Excel's length limit,
//! Excel's `_xHHHH_` escapes, and how wide text shows in a column.

use std::borrow::Cow;

use super::MAX_CELL_CHARS;

/// Whether XML 1.0 allows `c` (surrogates cannot occur in a `char`).
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Removes the characters XML 1.0 forbids and cuts the text to
/// [`MAX_CELL_CHARS`] UTF-16 units.
pub(super) fn clean_text(text: String) -> String {
    let mut units = 0;
    let fine = text.chars().all(|c| {
        units += c.len_utf16();
        is_xml_char(c) && units <= MAX_CELL_CHARS
    });
    if fine {
        return text;
    }
    let mut clean = String::with_capacity(text.len().min(4 * MAX_CELL_CHARS));
    let mut units = 0;
    for c in text.chars().filter(|&c| is_xml_char(c)) {
        units += c.len_utf16();
        if units > MAX_CELL_CHARS {
            break;
        }
        clean.push(c);
    }
    clean
}

/// Whether `rust_xlsxwriter` would take `text` for rich-text markup: it
/// begins with `<r>` and ends with `</r>`.
pub(super) fn looks_rich(text: &str) -> bool {
    text.starts_with("<r>") && text.ends_with("</r>")
}

/// `text` with every underscore that begins `_xHHHH_` written as
/// `_x005F_`, since Excel decodes such sequences in cell text.
pub(super) fn escape_escapes(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let starts = |at: usize| starts_escape(bytes.get(at..).unwrap_or_default());
    if !text.char_indices().any(|(at, _)| starts(at)) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for (at, c) in text.char_indices() {
        if starts(at) {
            escaped.push_str("_x005F");
        }
        escaped.push(c);
    }
    Cow::Owned(escaped)
}

/// Whether `bytes` begins with `_xHHHH_` (H a hexadecimal digit).
fn starts_escape(bytes: &[u8]) -> bool {
    match bytes.get(..7) {
        Some([b'_', b'x', digits @ .., b'_']) => digits.iter().all(u8::is_ascii_hexdigit),
        _ => false,
    }
}

/// The columns a text takes in the default font: 2 for a CJK (wide)
/// character, 0 for a control character, 1 for anything else.
pub(super) fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| {
            if c.is_control() {
                0
            } else if is_wide(c) {
                2
            } else {
                1
            }
        })
        .sum::<usize>() as f64
}

/// Whether `c` is shown double width: CJK ideographs, kana, Hangul,
/// full-width forms, CJK punctuation and the common emoji blocks.
fn is_wide(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD
    )
}
