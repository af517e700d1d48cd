//! A sheet written with `rust_xlsxwriter`: its cells with their formats,
//! the frozen header and its autofilter, and column widths; dates as Excel
//! serials in hall time, and how wide a cell shows.

use rust_xlsxwriter::{ColNum, Format, RowNum, Worksheet, XlsxError};

use super::text::{escape_escapes, looks_rich, text_width};
use super::{Cell, MAX_ROWS, Sheet};
use crate::time::OFFSET_MS;

/// Excel's default column width, in characters; narrower estimates are
/// not written.
const DEFAULT_COLUMN_WIDTH: f64 = 8.43;
/// The widest an estimated column width gets, in characters.
const MAX_AUTO_WIDTH: f64 = 60.0;
/// The most characters Excel's General format shows of a number.
const NUMBER_WIDTH: usize = 11;

pub(super) const DAY_MS: i64 = 86_400_000;
/// The Excel serial of 1970-01-01 (1900 date system).
pub(super) const UNIX_EPOCH_SERIAL: i64 = 25_569;
/// The serial of 1900-03-01, the first day Excel counts correctly.
pub(super) const FIRST_DATE_SERIAL: i64 = 61;
/// The serial of 9999-12-31, the last day Excel shows.
pub(super) const LAST_DATE_SERIAL: i64 = 2_958_465;
/// The width of a date shown as `yyyy-mm-dd hh:mm`.
const DATE_WIDTH: f64 = 16.0;

/// The formats cells are written with, made once per workbook.
pub(super) struct Formats {
    /// Header cells.
    bold: Format,
    /// [`Cell::Date`] as a serial: `yyyy-mm-dd hh:mm`.
    date: Format,
    /// [`Cell::Percent`]: `0.0%`.
    percent: Format,
}

impl Formats {
    pub(super) fn new() -> Self {
        Self {
            bold: Format::new().set_bold(),
            date: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            percent: Format::new().set_num_format("0.0%"),
        }
    }
}

impl Sheet {
    /// Writes the sheet's rows, header and column widths to `worksheet`.
    pub(super) fn write_to(
        &self,
        worksheet: &mut Worksheet,
        formats: &Formats,
    ) -> Result<(), XlsxError> {
        for (index, row) in self.rows.iter().enumerate() {
            let plain = row.bold.then_some(&formats.bold);
            for (column, cell) in row.cells.iter().enumerate() {
                let (row, column) = (row_num(index), col_num(column));
                write_cell(worksheet, row, column, cell, plain, formats)?;
            }
        }
        if let Some(header) = self.header {
            // A header on Excel's last row leaves nothing below to scroll.
            if header + 1 < MAX_ROWS {
                worksheet.set_freeze_panes(row_num(header + 1), 0)?;
            }
            if self.columns > 0 {
                worksheet.autofilter(
                    row_num(header),
                    0,
                    row_num(self.rows.len() - 1),
                    col_num(self.columns - 1),
                )?;
            }
        }
        for (column, width) in self.column_widths() {
            worksheet.set_column_width(col_num(column), width)?;
        }
        Ok(())
    }

    /// The widths to write, by column: those set, else estimates wider
    /// than the default (the content and a character of margin, at most
    /// [`MAX_AUTO_WIDTH`]).
    fn column_widths(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        let last = self
            .widths
            .keys()
            .next_back()
            .map_or(self.columns, |&column| self.columns.max(column + 1));
        (0..last).filter_map(|column| {
            if let Some(&width) = self.widths.get(&column) {
                return Some((column, width));
            }
            let estimate = self.estimates.get(column).copied().unwrap_or(0.0);
            let width = ((estimate + 1.0).min(MAX_AUTO_WIDTH) * 100.0).round() / 100.0;
            (width > DEFAULT_COLUMN_WIDTH).then_some((column, width))
        })
    }
}

/// A row index as `rust_xlsxwriter` counts it; a sheet has at most
/// [`MAX_ROWS`] rows, so it fits.
fn row_num(index: usize) -> RowNum {
    index as RowNum
}

/// A column index as `rust_xlsxwriter` counts it; a row has at most
/// [`MAX_COLUMNS`](super::MAX_COLUMNS) cells, so it fits.
fn col_num(index: usize) -> ColNum {
    index as ColNum
}

/// Writes one cell (nothing for [`Cell::Empty`]); `plain` is the format
/// of cells that have none of their own (bold in a header row).
fn write_cell(
    worksheet: &mut Worksheet,
    row: RowNum,
    column: ColNum,
    cell: &Cell,
    plain: Option<&Format>,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(text) => write_text(worksheet, row, column, text, plain)?,
        Cell::Number(number) => {
            let number = positive_zero(*number);
            match plain {
                Some(format) => worksheet.write_number_with_format(row, column, number, format),
                None => worksheet.write_number(row, column, number),
            }?;
        }
        Cell::Percent(fraction) => {
            let fraction = positive_zero(*fraction);
            worksheet.write_number_with_format(row, column, fraction, &formats.percent)?;
        }
        Cell::Date(ms) => match date_serial(*ms) {
            Some(serial) => {
                worksheet.write_number_with_format(row, column, serial, &formats.date)?;
            }
            None => {
                let text = crate::time::local_time(*ms);
                write_text(worksheet, row, column, &text, plain)?;
            }
        },
        Cell::Bool(value) => {
            match plain {
                Some(format) => worksheet.write_boolean_with_format(row, column, *value, format),
                None => worksheet.write_boolean(row, column, *value),
            }?;
        }
    }
    Ok(())
}

/// `0` for `-0` (which reads as 0 everywhere, and Excel would show as
/// `-0`), else the number.
fn positive_zero(number: f64) -> f64 {
    if number == 0.0 { 0.0 } else { number }
}

/// Writes a text cell (cleaned and not empty).
///
/// `rust_xlsxwriter` 0.102 keeps rich strings in the shared strings as
/// their markup, and writes every string that begins with `<r>` and ends
/// with `</r>` unescaped, taking it for such markup: text of that form
/// would break the file. It goes in as a rich string of one plain run
/// instead, which `rust_xlsxwriter` escapes (all but Excel's `_xHHHH_`
/// sequences, escaped here). Its length check counts the markup, so such
/// text near Excel's limit may not fit; it is then written as plain text
/// without its final `>` (and so no longer of that form).
fn write_text(
    worksheet: &mut Worksheet,
    row: RowNum,
    column: ColNum,
    text: &str,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    let text = if looks_rich(text) {
        let run = Format::new();
        let escaped = escape_escapes(text);
        let segments = [(&run, escaped.as_ref())];
        let written = match format {
            Some(format) => worksheet.write_rich_string_with_format(row, column, &segments, format),
            None => worksheet.write_rich_string(row, column, &segments),
        };
        match written {
            Err(XlsxError::MaxStringLengthExceeded) => text.strip_suffix('>').unwrap_or(text),
            written => return written.map(|_| ()),
        }
    } else {
        text
    };
    match format {
        Some(format) => worksheet.write_string_with_format(row, column, text, format),
        None => worksheet.write_string(row, column, text),
    }?;
    Ok(())
}

/// The characters a cell takes as Excel shows it (0 for an empty cell).
pub(super) fn cell_width(cell: &Cell) -> f64 {
    let shown = match cell {
        Cell::Empty => return 0.0,
        Cell::Text(text) => return text_width(text),
        Cell::Number(number) => number_text(*number).len().min(NUMBER_WIDTH),
        Cell::Percent(fraction) => format!("{:.1}%", fraction * 100.0).len(),
        Cell::Date(ms) => {
            return match date_serial(*ms) {
                Some(_) => DATE_WIDTH,
                None => text_width(&crate::time::local_time(*ms)),
            };
        }
        Cell::Bool(value) => {
            if *value {
                4
            } else {
                5
            }
        }
    };
    shown as f64
}

/// A finite number about as Excel's General format shows it: the shortest
/// form that reads back the same, with an exponent (`1.5E20`) for very
/// large and very small magnitudes.
fn number_text(number: f64) -> String {
    let number = positive_zero(number);
    let magnitude = number.abs();
    if magnitude != 0.0 && !(1e-6..1e16).contains(&magnitude) {
        format!("{number:E}")
    } else {
        format!("{number}")
    }
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
