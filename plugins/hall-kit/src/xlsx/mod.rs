//! Excel workbooks (Office Open XML `.xlsx`) built from rows of cells, so
//! that plugins running as WebAssembly components can hand out
//! spreadsheets (queue statistics, 好差评 lists, hotline KPIs) without a
//! native library. With the `xlsx` feature only.
//!
//! ```
//! use bantong_hall_kit::xlsx::{Cell, Workbook};
//!
//! let mut book = Workbook::new();
//! let sheet = book.add_sheet("办件统计")?;
//! sheet.header(&["窗口", "办件量", "好评率", "最后办结"])?;
//! sheet.push_row([
//!     Cell::from("A01 综合受理"),
//!     Cell::from(128_i64),
//!     Cell::Percent(0.975),
//!     Cell::Date(1_795_795_199_000), // shown as 2026-11-27 23:59
//! ])?;
//! let bytes = book.to_bytes()?;
//! assert!(bytes.starts_with(b"PK\x03\x04"));
//! # Ok::<(), bantong_hall_kit::xlsx::XlsxError>(())
//! ```
//!
//! A [`Workbook`] is a model: sheets of rows, checked against Excel's
//! limits as they are added (an export never loses a row silently). The
//! file itself — the ZIP container, the XML parts, the shared strings and
//! the styles — is written by [`rust_xlsxwriter`], a maintained crate
//! that builds for `wasm32-wasip2`, when [`Workbook::to_bytes`] is
//! called.
//!
//! # What a cell becomes
//!
//! - [`Cell::Text`] is a string cell, never a formula, even when it
//!   starts with `=`. Characters XML 1.0 forbids (control characters
//!   other than tab, LF and CR; U+FFFE; U+FFFF) are removed, and text is
//!   cut to Excel's [`MAX_CELL_CHARS`] characters (counted, as Excel does,
//!   in UTF-16 units), when the row is pushed. An empty text is an empty
//!   cell. Everything else reads back as it was given: a CR is written as
//!   Excel's `_x000D_`, and text that already holds `_xHHHH_` has its
//!   underscore escaped. Text of the form `<r>…</r>` is written as a
//!   rich string of one plain run, since `rust_xlsxwriter` (0.102) takes
//!   such strings for rich-text markup and would write them unescaped;
//!   should its markup pass Excel's limit, the final `>` is dropped and
//!   the text written as a plain string.
//! - [`Cell::Number`] is a number (`-0` is written as `0`). Excel keeps 15
//!   significant digits, so identifiers (ID numbers, phone numbers,
//!   anything with leading zeros) belong in text. NaN and infinities are
//!   written as empty cells.
//! - [`Cell::Percent`] is a number shown as `0.0%` (the value is the
//!   fraction: `0.975` shows `97.5%`).
//! - [`Cell::Date`] is an instant in milliseconds since the Unix epoch,
//!   written as an Excel serial date in hall time (UTC+8, see
//!   [`crate::time`]) and shown as `yyyy-mm-dd hh:mm`. Excel's dates start
//!   at 1900 and its serials before 1900-03-01 count a day that never was
//!   (1900-02-29), so instants outside 1900-03-01 … 9999-12-31 are written
//!   as text in the same format instead. The serial is the first `f64` at
//!   or after the instant (at most a microsecond later), so that readers
//!   which cut times to the second or minute, as LibreOffice does, show
//!   08:00 and not 07:59.
//! - [`Cell::Bool`] is `TRUE`/`FALSE`; [`Cell::Empty`] writes nothing.
//!
//! # Sheets
//!
//! A sheet holds at most [`MAX_ROWS`] rows of at most [`MAX_COLUMNS`]
//! cells, Excel's own limits; a row beyond either is refused with an error
//! and not added. [`Sheet::header`] adds a bold row, freezes the rows up
//! to it and puts an autofilter over the used range below it. Columns are
//! as wide as [`Sheet::set_column_width`] says, or else estimated from
//! their content (CJK characters count as two), between Excel's default
//! and 60 characters. A workbook without sheets is written with one empty
//! sheet, `Sheet1`, since Excel will not open a workbook that has none.
//!
//! # The file
//!
//! `rust_xlsxwriter` keeps every cell of the workbook in memory until the
//! file is written, beside this model, and builds each sheet's XML whole
//! before compressing it. Writing takes several times what the model
//! holds: measured natively, a sheet of 50,000 rows of 16 cells (text,
//! dates, numbers) held 32 MB as a model and peaked at 197 MB while being
//! written, about 250 bytes a cell — which counts against a plugin's
//! memory cap (128 MiB by default).
//!
//! The file records when it was written (`docProps/core.xml`, from the
//! wall clock), so the same workbook written twice gives different bytes.

use std::collections::BTreeMap;
use std::fmt;

use rust_xlsxwriter::DocProperties;

use self::sheet::{Formats, cell_width};
use self::text::{clean_text, is_xml_char};

mod sheet;
mod text;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

/// Rows in a sheet, at most (Excel's limit).
pub const MAX_ROWS: usize = 1_048_576;
/// Cells in a row, at most (Excel's limit: columns `A` to `XFD`).
pub const MAX_COLUMNS: usize = 16_384;
/// Characters in a text cell, at most, in UTF-16 units (Excel's limit);
/// longer text is cut.
pub const MAX_CELL_CHARS: usize = 32_767;
/// Characters in a sheet name, at most, in UTF-16 units (Excel's limit).
pub const MAX_SHEET_NAME_CHARS: usize = 31;
/// The widest a column can be, in characters (Excel's limit).
pub const MAX_COLUMN_WIDTH: f64 = 255.0;

/// The name of the one sheet written for a workbook without sheets (Excel
/// refuses a workbook that has none).
const DEFAULT_SHEET_NAME: &str = "Sheet1";
/// What the autofilter's drop-down button takes in a header cell.
const FILTER_BUTTON_WIDTH: f64 = 2.0;
/// The author recorded in the file's document properties.
const AUTHOR: &str = "Bantong";

/// One cell of a row.
///
/// Build cells with the variants or with `From`: text from `&str` and
/// `String`, numbers from `f64` and the integer types, `bool`, and
/// `Option<T>` (where `None` is [`Cell::Empty`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    /// Text (see the [module documentation](self) for what is changed).
    Text(String),
    /// A number; NaN and infinities are written as empty cells.
    Number(f64),
    /// A fraction shown as a percentage with one decimal (`0.975` →
    /// `97.5%`); NaN and infinities are written as empty cells.
    Percent(f64),
    /// An instant, in milliseconds since the Unix epoch, shown in hall
    /// time (UTC+8) as `yyyy-mm-dd hh:mm`.
    Date(i64),
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// Nothing.
    #[default]
    Empty,
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Self {
        Cell::Text(text.clone())
    }
}

impl From<f64> for Cell {
    fn from(number: f64) -> Self {
        Cell::Number(number)
    }
}

impl From<bool> for Cell {
    fn from(value: bool) -> Self {
        Cell::Bool(value)
    }
}

/// Integers become numbers. Beyond ±2^53 an `f64` cannot hold every
/// integer, and Excel shows 15 significant digits: pass identifiers as
/// text.
macro_rules! integer_cells {
    ($($integer:ty),*) => {$(
        impl From<$integer> for Cell {
            fn from(number: $integer) -> Self {
                Cell::Number(number as f64)
            }
        }
    )*};
}

integer_cells!(i32, u32, i64, u64, usize);

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

impl Cell {
    /// The cell as it is stored: text cleaned and cut, blanks made
    /// [`Cell::Empty`].
    fn normalized(self) -> Cell {
        match self {
            Cell::Text(text) => {
                let text = clean_text(text);
                if text.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(text)
                }
            }
            Cell::Number(number) | Cell::Percent(number) if !number.is_finite() => Cell::Empty,
            cell => cell,
        }
    }
}

/// Why a workbook refused a sheet name, a row or a column width, or could
/// not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XlsxError {
    /// The sheet name is empty or longer than [`MAX_SHEET_NAME_CHARS`].
    SheetNameLength {
        /// The refused name.
        name: String,
    },
    /// The sheet name holds one of `[ ] : * ? / \` or a control character.
    SheetNameCharacter {
        /// The refused name.
        name: String,
        /// The first character Excel does not allow.
        character: char,
    },
    /// The sheet name begins or ends with an apostrophe.
    SheetNameApostrophe {
        /// The refused name.
        name: String,
    },
    /// The sheet name is `History`, which Excel reserves (in any case).
    SheetNameReserved {
        /// The refused name.
        name: String,
    },
    /// Another sheet has the same name, compared case-insensitively as
    /// Excel does.
    DuplicateSheetName {
        /// The refused name.
        name: String,
    },
    /// The sheet already has [`MAX_ROWS`] rows.
    TooManyRows {
        /// The sheet's name.
        sheet: String,
    },
    /// The row has more than [`MAX_COLUMNS`] cells.
    TooManyColumns {
        /// The sheet's name.
        sheet: String,
        /// The row it would have been, counted from 1.
        row: usize,
    },
    /// A column index is [`MAX_COLUMNS`] or more (columns count from 0).
    ColumnOutOfRange {
        /// The column index.
        column: usize,
    },
    /// A column width is NaN or infinite.
    InvalidWidth {
        /// The column index.
        column: usize,
    },
    /// `rust_xlsxwriter` refused the workbook while writing it (its
    /// message). The model keeps to Excel's limits, so this is not expected.
    Write(String),
}

impl fmt::Display for XlsxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SheetNameLength { name } => write!(
                f,
                "sheet name {name:?} must have 1 to {MAX_SHEET_NAME_CHARS} characters"
            ),
            Self::SheetNameCharacter { name, character } => write!(
                f,
                "sheet name {name:?} holds {character:?}, which Excel does not allow"
            ),
            Self::SheetNameApostrophe { name } => write!(
                f,
                "sheet name {name:?} must not begin or end with an apostrophe"
            ),
            Self::SheetNameReserved { name } => {
                write!(f, "sheet name {name:?} is reserved by Excel")
            }
            Self::DuplicateSheetName { name } => {
                write!(f, "the workbook already has a sheet named {name:?}")
            }
            Self::TooManyRows { sheet } => {
                write!(f, "sheet {sheet:?} already has {MAX_ROWS} rows")
            }
            Self::TooManyColumns { sheet, row } => write!(
                f,
                "row {row} of sheet {sheet:?} has more than {MAX_COLUMNS} cells"
            ),
            Self::ColumnOutOfRange { column } => write!(
                f,
                "column index {column} is beyond the last column ({})",
                MAX_COLUMNS - 1
            ),
            Self::InvalidWidth { column } => {
                write!(f, "the width of column {column} is not a finite number")
            }
            Self::Write(message) => write!(f, "the workbook could not be written: {message}"),
        }
    }
}

impl std::error::Error for XlsxError {}

/// A workbook: sheets in order, written with [`Workbook::to_bytes`].
#[derive(Debug, Clone, Default)]
pub struct Workbook {
    sheets: Vec<Sheet>,
}

impl Workbook {
    /// A workbook without sheets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sheet named `name` after the others and returns it to be
    /// filled.
    ///
    /// The name must follow Excel's rules: 1 to 31 characters, none of
    /// `[ ] : * ? / \` nor a control character, no apostrophe at either
    /// end, not `History`, and unlike every other sheet's name when case
    /// is ignored.
    pub fn add_sheet(&mut self, name: &str) -> Result<&mut Sheet, XlsxError> {
        check_sheet_name(name)?;
        let folded = name.to_lowercase();
        if self.sheets.iter().any(|s| s.name.to_lowercase() == folded) {
            return Err(XlsxError::DuplicateSheetName {
                name: name.to_owned(),
            });
        }
        Ok(self.sheets.push_mut(Sheet::new(name.to_owned())))
    }

    /// The sheet named `name` (case-insensitively), to add more rows to.
    pub fn sheet_mut(&mut self, name: &str) -> Option<&mut Sheet> {
        let folded = name.to_lowercase();
        self.sheets
            .iter_mut()
            .find(|s| s.name.to_lowercase() == folded)
    }

    /// The sheets, in order.
    pub fn sheets(&self) -> &[Sheet] {
        &self.sheets
    }

    /// The `.xlsx` file. A workbook without sheets gets one empty sheet
    /// named `Sheet1`, since Excel will not open a workbook that has none.
    ///
    /// # Errors
    ///
    /// [`XlsxError::Write`] when `rust_xlsxwriter` refuses a cell or the
    /// workbook; with the model keeping to Excel's limits, it does not.
    pub fn to_bytes(&self) -> Result<Vec<u8>, XlsxError> {
        let fallback;
        let sheets: &[Sheet] = if self.sheets.is_empty() {
            fallback = [Sheet::new(DEFAULT_SHEET_NAME.to_owned())];
            &fallback
        } else {
            &self.sheets
        };
        let mut book = rust_xlsxwriter::Workbook::new();
        book.set_properties(&DocProperties::new().set_author(AUTHOR));
        let formats = Formats::new();
        for sheet in sheets {
            let worksheet = book.add_worksheet();
            worksheet.set_name(&sheet.name).map_err(write_error)?;
            sheet.write_to(worksheet, &formats).map_err(write_error)?;
        }
        book.save_to_buffer().map_err(write_error)
    }
}

/// An error of `rust_xlsxwriter`, as [`XlsxError::Write`].
fn write_error(error: rust_xlsxwriter::XlsxError) -> XlsxError {
    XlsxError::Write(error.to_string())
}

/// Checks a sheet name against Excel's rules (all but uniqueness).
fn check_sheet_name(name: &str) -> Result<(), XlsxError> {
    let owned = || name.to_owned();
    let length = name.encode_utf16().count();
    if length == 0 || length > MAX_SHEET_NAME_CHARS {
        return Err(XlsxError::SheetNameLength { name: owned() });
    }
    if let Some(character) = name
        .chars()
        .find(|&c| matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || !is_name_char(c))
    {
        return Err(XlsxError::SheetNameCharacter {
            name: owned(),
            character,
        });
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return Err(XlsxError::SheetNameApostrophe { name: owned() });
    }
    if name.eq_ignore_ascii_case("History") {
        return Err(XlsxError::SheetNameReserved { name: owned() });
    }
    Ok(())
}

/// Whether `c` may appear in a sheet name: legal in XML and not a control
/// character.
fn is_name_char(c: char) -> bool {
    is_xml_char(c) && !c.is_control()
}

/// One sheet of a [`Workbook`]: rows in order from row 1, column widths
/// and an optional header.
#[derive(Debug, Clone)]
pub struct Sheet {
    name: String,
    rows: Vec<Row>,
    /// The length of the longest row.
    columns: usize,
    /// Widths set by [`Sheet::set_column_width`], by column index.
    widths: BTreeMap<usize, f64>,
    /// The widest content of each column so far, in characters.
    estimates: Vec<f64>,
    /// The index in `rows` of the last header row.
    header: Option<usize>,
}

/// One row: its cells (normalized, with no blank cells at the end) and
/// whether it is bold.
#[derive(Debug, Clone)]
struct Row {
    cells: Vec<Cell>,
    bold: bool,
}

impl Sheet {
    fn new(name: String) -> Self {
        Self {
            name,
            rows: Vec::new(),
            columns: 0,
            widths: BTreeMap::new(),
            estimates: Vec::new(),
            header: None,
        }
    }

    /// The sheet's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many rows the sheet has, the header included.
    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// Adds a row below the others, its cells from column `A` on.
    ///
    /// Anything that converts into a [`Cell`] will do:
    /// `sheet.push_row(["A01", "张三"])`, or
    /// `sheet.push_row([Cell::from("A01"), Cell::Number(3.0)])` for mixed
    /// rows. Text is cleaned and cut as the
    /// [module documentation](self) says.
    ///
    /// # Errors
    ///
    /// [`XlsxError::TooManyRows`] when the sheet already has [`MAX_ROWS`]
    /// rows, [`XlsxError::TooManyColumns`] when the row has more than
    /// [`MAX_COLUMNS`] cells; the row is not added.
    pub fn push_row(
        &mut self,
        cells: impl IntoIterator<Item = impl Into<Cell>>,
    ) -> Result<(), XlsxError> {
        self.push(cells.into_iter().map(Into::into), false)
    }

    /// Adds a bold header row with these titles, freezes the sheet below
    /// it (the rows up to it stay in view while scrolling) and puts an
    /// autofilter over the used range from it down. Usually the first
    /// row; when called again, the freeze and the filter move to the new
    /// header row (the earlier one stays bold).
    ///
    /// # Errors
    ///
    /// As [`Sheet::push_row`].
    pub fn header(&mut self, titles: &[&str]) -> Result<(), XlsxError> {
        self.push(titles.iter().map(|&title| Cell::from(title)), true)?;
        self.header = Some(self.rows.len() - 1);
        Ok(())
    }

    /// Sets the width of a column (counted from 0: `A` is 0) in
    /// characters of the default font; it is clamped to 0 …
    /// [`MAX_COLUMN_WIDTH`], and 0 hides the column. Columns without a
    /// width get one estimated from their content.
    ///
    /// # Errors
    ///
    /// [`XlsxError::ColumnOutOfRange`] for a column of [`MAX_COLUMNS`] or
    /// more, [`XlsxError::InvalidWidth`] for NaN or an infinity.
    pub fn set_column_width(&mut self, column: usize, width: f64) -> Result<(), XlsxError> {
        if column >= MAX_COLUMNS {
            return Err(XlsxError::ColumnOutOfRange { column });
        }
        if !width.is_finite() {
            return Err(XlsxError::InvalidWidth { column });
        }
        self.widths
            .insert(column, width.clamp(0.0, MAX_COLUMN_WIDTH));
        Ok(())
    }

    /// Adds a row, bold with room for a filter button when `header`.
    fn push(&mut self, cells: impl Iterator<Item = Cell>, header: bool) -> Result<(), XlsxError> {
        if self.rows.len() >= MAX_ROWS {
            return Err(XlsxError::TooManyRows {
                sheet: self.name.clone(),
            });
        }
        let mut row = Vec::new();
        for cell in cells {
            if row.len() == MAX_COLUMNS {
                return Err(XlsxError::TooManyColumns {
                    sheet: self.name.clone(),
                    row: self.rows.len() + 1,
                });
            }
            row.push(cell.normalized());
        }
        while row.last() == Some(&Cell::Empty) {
            row.pop();
        }
        if self.estimates.len() < row.len() {
            self.estimates.resize(row.len(), 0.0);
        }
        for (cell, widest) in row.iter().zip(&mut self.estimates) {
            let mut width = cell_width(cell);
            if header && width > 0.0 {
                width = width * 1.1 + FILTER_BUTTON_WIDTH;
            }
            *widest = widest.max(width);
        }
        self.columns = self.columns.max(row.len());
        self.rows.push(Row {
            cells: row,
            bold: header,
        });
        Ok(())
    }
}
