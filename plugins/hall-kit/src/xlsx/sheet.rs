//! The worksheet part (`xl/worksheets/sheetN.xml`): rows of cells, cell
//! references, column widths, dates as Excel serials and numbers in their
//! shortest form.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use super::deflate::Deflater;
use super::parts::SharedStrings;
use super::text::text_width;
use super::{
    CHUNK, Cell, MAX_ROWS, NS_MAIN, NS_REL, STYLE_BOLD, STYLE_DATE, STYLE_PERCENT, Sheet,
    XML_DECLARATION,
};
use crate::time::OFFSET_MS;

/// Excel's default column width, in characters; narrower estimates are
/// not written.
const DEFAULT_COLUMN_WIDTH: f64 = 8.43;
/// The widest an estimated column width gets, in characters.
const MAX_AUTO_WIDTH: f64 = 60.0;

pub(super) const DAY_MS: i64 = 86_400_000;
/// The Excel serial of 1970-01-01 (1900 date system).
pub(super) const UNIX_EPOCH_SERIAL: i64 = 25_569;
/// The serial of 1900-03-01, the first day Excel counts correctly.
pub(super) const FIRST_DATE_SERIAL: i64 = 61;
/// The serial of 9999-12-31, the last day Excel shows.
pub(super) const LAST_DATE_SERIAL: i64 = 2_958_465;
/// The width of a date shown as `yyyy-mm-dd hh:mm`.
const DATE_WIDTH: f64 = 16.0;

impl Sheet {
    /// Writes the worksheet part to `out`. `selected` marks the sheet
    /// shown on opening; text goes to `strings`.
    pub(super) fn write_xml<'a>(
        &'a self,
        selected: bool,
        strings: &mut SharedStrings<'a>,
        out: &mut Deflater,
    ) {
        let mut xml = String::with_capacity(CHUNK + 1024);
        xml.push_str(XML_DECLARATION);
        let _ = write!(
            xml,
            "<worksheet xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\"><dimension ref=\""
        );
        push_range(&mut xml, self.used_range(), false);
        xml.push_str("\"/><sheetViews><sheetView");
        if selected {
            xml.push_str(" tabSelected=\"1\"");
        }
        xml.push_str(" workbookViewId=\"0\"");
        match self.header {
            Some(index) if index + 1 < MAX_ROWS => {
                let below = index + 2;
                let _ = write!(
                    xml,
                    "><pane ySplit=\"{}\" topLeftCell=\"A{below}\" activePane=\"bottomLeft\" \
                     state=\"frozen\"/><selection pane=\"bottomLeft\" activeCell=\"A{below}\" \
                     sqref=\"A{below}\"/></sheetView>",
                    index + 1
                );
            }
            _ => xml.push_str("/>"),
        }
        xml.push_str("</sheetViews><sheetFormatPr defaultRowHeight=\"15\"/>");
        self.push_cols(&mut xml);
        xml.push_str("<sheetData>");
        for (index, row) in self.rows.iter().enumerate() {
            if row.cells.is_empty() {
                continue;
            }
            let number = index + 1;
            let _ = write!(xml, "<row r=\"{number}\">");
            for (column, cell) in row.cells.iter().enumerate() {
                push_cell(&mut xml, strings, cell, number, column, row.bold);
            }
            xml.push_str("</row>");
            if xml.len() >= CHUNK {
                out.write(xml.as_bytes());
                xml.clear();
            }
        }
        xml.push_str("</sheetData>");
        if let Some(range) = self.filter_range() {
            xml.push_str("<autoFilter ref=\"");
            push_range(&mut xml, range, false);
            xml.push_str("\"/>");
        }
        xml.push_str(
            "<pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" bottom=\"0.75\" \
             header=\"0.3\" footer=\"0.3\"/></worksheet>",
        );
        out.write(xml.as_bytes());
    }

    /// The `<cols>` element: set widths, else estimates wider than the
    /// default; runs of equal widths share one `<col>`.
    fn push_cols(&self, xml: &mut String) {
        let last = self
            .widths
            .keys()
            .next_back()
            .map_or(self.columns, |&column| self.columns.max(column + 1));
        let width_of = |column: usize| -> Option<f64> {
            if let Some(&width) = self.widths.get(&column) {
                return Some(width);
            }
            let estimate = self.estimates.get(column).copied().unwrap_or(0.0);
            let width = ((estimate + 1.0).min(MAX_AUTO_WIDTH) * 100.0).round() / 100.0;
            (width > DEFAULT_COLUMN_WIDTH).then_some(width)
        };
        let mut open = false;
        let mut run: Option<(usize, usize, f64)> = None;
        let mut flush = |xml: &mut String, run: Option<(usize, usize, f64)>| {
            if let Some((first, last, width)) = run {
                if !open {
                    xml.push_str("<cols>");
                    open = true;
                }
                let _ = write!(
                    xml,
                    "<col min=\"{}\" max=\"{}\" width=\"{width}\" customWidth=\"1\"/>",
                    first + 1,
                    last + 1
                );
            }
        };
        for column in 0..last {
            let width = width_of(column);
            run = match (run, width) {
                (Some((first, end, current)), Some(width))
                    if end + 1 == column && current.to_bits() == width.to_bits() =>
                {
                    Some((first, column, current))
                }
                (previous, width) => {
                    flush(xml, previous);
                    width.map(|width| (column, column, width))
                }
            };
        }
        flush(xml, run);
        if open {
            xml.push_str("</cols>");
        }
    }

    /// First and last (row, column) of the used range, counted from 1 and
    /// 0; `A1` alone for an empty sheet.
    fn used_range(&self) -> ((usize, usize), (usize, usize)) {
        (
            (1, 0),
            (self.rows.len().max(1), self.columns.saturating_sub(1)),
        )
    }

    /// The autofilter's range: from the header row to the last row, over
    /// every used column.
    pub(super) fn filter_range(&self) -> Option<((usize, usize), (usize, usize))> {
        let header = self.header?;
        (self.columns > 0).then(|| {
            (
                (header + 1, 0),
                (self.rows.len().max(header + 1), self.columns - 1),
            )
        })
    }
}

/// Writes one cell (nothing for [`Cell::Empty`]).
fn push_cell<'a>(
    out: &mut String,
    strings: &mut SharedStrings<'a>,
    cell: &'a Cell,
    row: usize,
    column: usize,
    bold: bool,
) {
    let plain = if bold { STYLE_BOLD } else { 0 };
    match cell {
        Cell::Empty => return,
        Cell::Text(text) => {
            push_cell_open(out, row, column, plain, Some("s"));
            let _ = write!(out, "{}", strings.index(Cow::Borrowed(text)));
        }
        Cell::Number(number) => {
            push_cell_open(out, row, column, plain, None);
            push_number(out, *number);
        }
        Cell::Percent(fraction) => {
            push_cell_open(out, row, column, STYLE_PERCENT, None);
            push_number(out, *fraction);
        }
        Cell::Date(ms) => match date_serial(*ms) {
            Some(serial) => {
                push_cell_open(out, row, column, STYLE_DATE, None);
                push_number(out, serial);
            }
            None => {
                let text = crate::time::local_time(*ms);
                push_cell_open(out, row, column, plain, Some("s"));
                let _ = write!(out, "{}", strings.index(Cow::Owned(text)));
            }
        },
        Cell::Bool(value) => {
            push_cell_open(out, row, column, plain, Some("b"));
            out.push_str(if *value { "1" } else { "0" });
        }
    }
    out.push_str("</v></c>");
}

/// The characters a cell takes as Excel shows it (0 for an empty cell).
pub(super) fn cell_width(cell: &Cell) -> f64 {
    let mut count = Counter(0);
    match cell {
        Cell::Empty => return 0.0,
        Cell::Text(text) => return text_width(text),
        // Excel's General format shows at most 11 characters.
        Cell::Number(number) => {
            push_number(&mut count, *number);
            count.0 = count.0.min(11);
        }
        Cell::Percent(fraction) => {
            let _ = write!(count, "{:.1}%", fraction * 100.0);
        }
        Cell::Date(ms) => {
            return match date_serial(*ms) {
                Some(_) => DATE_WIDTH,
                None => text_width(&crate::time::local_time(*ms)),
            };
        }
        Cell::Bool(value) => count.0 = if *value { 4 } else { 5 },
    }
    count.0 as f64
}

/// Counts the bytes written to it (all ASCII here, so characters).
struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0 += text.len();
        Ok(())
    }
}

/// `<c r="B3" s="1" t="s"><v>` (style 0 and no type are left out).
fn push_cell_open(out: &mut String, row: usize, column: usize, style: u8, kind: Option<&str>) {
    out.push_str("<c r=\"");
    push_cell_ref(out, row, column, false);
    out.push('"');
    if style != 0 {
        let _ = write!(out, " s=\"{style}\"");
    }
    if let Some(kind) = kind {
        let _ = write!(out, " t=\"{kind}\"");
    }
    out.push_str("><v>");
}

/// The Excel serial date of an instant in hall time, or `None` outside
/// 1900-03-01 … 9999-12-31.
///
/// Most instants have no exact `f64` serial (08:00 is a third of a day).
/// The nearest one may fall just before the instant, and readers that cut
/// the time to whole seconds or minutes (LibreOffice does) would then show
/// 07:59; so this is the first `f64` at or after the instant, never more
/// than a microsecond later.
pub(super) fn date_serial(ms: i64) -> Option<f64> {
    let local = ms.checked_add(OFFSET_MS)?;
    let day = local.div_euclid(DAY_MS) + UNIX_EPOCH_SERIAL;
    if !(FIRST_DATE_SERIAL..=LAST_DATE_SERIAL).contains(&day) {
        return None;
    }
    let time = local.rem_euclid(DAY_MS);
    let serial = day as f64 + time as f64 / DAY_MS as f64;
    // The two roundings above are off by less than one step of `serial`.
    Some(if reaches(serial, day, time) {
        serial
    } else {
        serial.next_up()
    })
}

/// Whether `serial` is at least `day + time / DAY_MS`, compared exactly.
/// `serial` is a date serial (61 … 2,958,466), so its exponent is 5 to 21
/// and both sides fit in 128 bits.
pub(super) fn reaches(serial: f64, day: i64, time: i64) -> bool {
    const FRACTION_BITS: u64 = (1 << 52) - 1;
    let bits = serial.to_bits();
    // serial = mantissa × 2^−shift.
    let mantissa = u128::from((bits & FRACTION_BITS) | (FRACTION_BITS + 1));
    let shift = 1075_u64.saturating_sub((bits >> 52) & 0x7FF);
    let (Ok(instant), true) = (
        u128::try_from(day * DAY_MS + time),
        (1..=64).contains(&shift),
    ) else {
        return true;
    };
    mantissa * DAY_MS as u128 >= instant << shift
}

/// A finite number in the shortest form that reads back the same, with an
/// exponent (`1.5E+20`) for very large and very small magnitudes.
pub(super) fn push_number(out: &mut impl fmt::Write, number: f64) {
    // -0 reads as 0 everywhere, and Excel shows it as "-0" otherwise.
    let number = if number == 0.0 { 0.0 } else { number };
    let magnitude = number.abs();
    if magnitude != 0.0 && !(1e-6..1e16).contains(&magnitude) {
        let text = format!("{number:E}");
        match text.split_once('E') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                let _ = write!(out, "{mantissa}E+{exponent}");
            }
            _ => {
                let _ = out.write_str(&text);
            }
        }
    } else {
        let _ = write!(out, "{number}");
    }
}

/// Appends the letters of a column counted from 0 (`A`, …, `Z`, `AA`, …,
/// `XFD`).
pub(super) fn push_column_name(out: &mut String, column: usize) {
    // 14 letters hold any usize (26^14 > 2^64).
    let mut letters = [b'A'; 14];
    let mut len = 0;
    let mut rest = column;
    for slot in letters.iter_mut().rev() {
        *slot = b'A' + (rest % 26) as u8;
        len += 1;
        if rest < 26 {
            break;
        }
        rest = rest / 26 - 1;
    }
    let start = letters.len() - len;
    for &letter in letters.iter().skip(start) {
        out.push(char::from(letter));
    }
}

/// Appends `B3`, or `$B$3` when `absolute`: row counted from 1, column
/// from 0.
pub(super) fn push_cell_ref(out: &mut String, row: usize, column: usize, absolute: bool) {
    if absolute {
        out.push('$');
    }
    push_column_name(out, column);
    if absolute {
        out.push('$');
    }
    let _ = write!(out, "{row}");
}

/// Appends `A1:C10` (or `$A$1:$C$10`), or a single reference when both
/// ends are the same cell.
pub(super) fn push_range(
    out: &mut String,
    (first, last): ((usize, usize), (usize, usize)),
    absolute: bool,
) {
    push_cell_ref(out, first.0, first.1, absolute);
    if first != last {
        out.push(':');
        push_cell_ref(out, last.0, last.1, absolute);
    }
}
