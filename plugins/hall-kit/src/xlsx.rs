//! Excel workbooks (Office Open XML `.xlsx`) built from rows of cells, in
//! pure `std`, so that plugins running as WebAssembly components can hand
//! out spreadsheets (queue statistics, 好差评 lists, hotline KPIs) without a
//! native library.
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
//! let bytes = book.to_bytes();
//! assert!(bytes.starts_with(b"PK\x03\x04"));
//! # Ok::<(), bantong_hall_kit::xlsx::XlsxError>(())
//! ```
//!
//! # What a cell becomes
//!
//! - [`Cell::Text`] goes to the workbook's **shared strings** table
//!   (`xl/sharedStrings.xml`), each distinct text once, numbered in order of
//!   first appearance. Exports repeat the same values a lot (hall, window,
//!   category names), so the table keeps files small, and it is the form
//!   every reader supports (some mishandle inline strings). Text is never a
//!   formula, even when it starts with `=`. Characters XML 1.0 forbids
//!   (control characters other than tab, LF and CR; U+FFFE; U+FFFF) are
//!   removed, and text is cut to Excel's [`MAX_CELL_CHARS`] characters
//!   (counted, as Excel does, in UTF-16 units), when the row is pushed.
//!   Excel reads `_xHHHH_` in text as an escaped character, so an
//!   underscore that starts such a sequence is written as `_x005F_` and
//!   the text reads back as it was given. An empty text is an empty cell.
//! - [`Cell::Number`] is written in the shortest form that reads back as
//!   the same `f64`; Excel keeps 15 significant digits, so identifiers
//!   (ID numbers, phone numbers, anything with leading zeros) belong in
//!   text. NaN and infinities are written as empty cells.
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
//! and not added, so an export never loses rows silently. [`Sheet::header`]
//! adds a bold row, freezes the rows up to it and puts an autofilter over
//! the used range below it. Columns are as wide as
//! [`Sheet::set_column_width`] says, or else estimated from their content
//! (CJK characters count as two), between Excel's default and 60
//! characters.
//!
//! # The container
//!
//! An `.xlsx` file is a ZIP archive, written here by hand: each part
//! compressed with DEFLATE (LZ77 over a 32 KiB window, fixed Huffman
//! codes; sheet XML shrinks about five to six times); a CRC-32 per part;
//! and ZIP64 records only when a part or the archive passes 4 GiB, which
//! plain ZIP cannot describe (and some readers, LibreOffice 7.4 among
//! them, cannot read). The small parts are stored as they are when
//! compressing does not make them smaller. Sheets and the shared strings
//! are compressed while they are written, so their XML is never held
//! whole: writing takes the workbook's cells, the shared strings index
//! and the finished file, plus well under a megabyte — which matters in a
//! plugin's memory cap.
//!
//! Every entry carries the same timestamp (1980-01-01 00:00) and nothing
//! else varies, so the same workbook always gives the same bytes. The
//! parts are `[Content_Types].xml`, `_rels/.rels`, `docProps/app.xml`,
//! `docProps/core.xml`, `xl/workbook.xml`, `xl/_rels/workbook.xml.rels`,
//! `xl/styles.xml`, `xl/worksheets/sheet1.xml` …, and, when there is any
//! text, `xl/sharedStrings.xml` after the sheets (as Excel writes it).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};

use crate::time::OFFSET_MS;

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
/// Excel's default column width, in characters; narrower estimates are
/// not written.
const DEFAULT_COLUMN_WIDTH: f64 = 8.43;
/// The widest an estimated column width gets, in characters.
const MAX_AUTO_WIDTH: f64 = 60.0;
/// What the autofilter's drop-down button takes in a header cell.
const FILTER_BUTTON_WIDTH: f64 = 2.0;
/// How much XML is gathered before it is handed to the compressor.
const CHUNK: usize = 64 * 1024;

const DAY_MS: i64 = 86_400_000;
/// The Excel serial of 1970-01-01 (1900 date system).
const UNIX_EPOCH_SERIAL: i64 = 25_569;
/// The serial of 1900-03-01, the first day Excel counts correctly.
const FIRST_DATE_SERIAL: i64 = 61;
/// The serial of 9999-12-31, the last day Excel shows.
const LAST_DATE_SERIAL: i64 = 2_958_465;
/// The width of a date shown as `yyyy-mm-dd hh:mm`.
const DATE_WIDTH: f64 = 16.0;

/// Index of the bold style in `styles.xml`'s `cellXfs`.
const STYLE_BOLD: u8 = 1;
/// Index of the `yyyy-mm-dd hh:mm` style.
const STYLE_DATE: u8 = 2;
/// Index of the `0.0%` style.
const STYLE_PERCENT: u8 = 3;

const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

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

/// Why a workbook refused a sheet name, a row or a column width.
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
    /// The same workbook always gives the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(false)
    }

    /// Writes the archive; `force_zip64` writes ZIP64 records even for
    /// small parts (so that tests can check them).
    fn write(&self, force_zip64: bool) -> Vec<u8> {
        let fallback;
        let sheets: &[Sheet] = if self.sheets.is_empty() {
            fallback = [Sheet::new(DEFAULT_SHEET_NAME.to_owned())];
            &fallback
        } else {
            &self.sheets
        };
        let has_text = sheets.iter().any(|sheet| sheet.has_text);
        let mut zip = Zip::new(force_zip64);
        zip.add(
            "[Content_Types].xml",
            content_types(sheets.len(), has_text).as_bytes(),
        );
        zip.add("_rels/.rels", ROOT_RELS.as_bytes());
        zip.add("docProps/app.xml", APP_XML.as_bytes());
        zip.add("docProps/core.xml", CORE_XML.as_bytes());
        zip.add("xl/workbook.xml", workbook_xml(sheets).as_bytes());
        zip.add(
            "xl/_rels/workbook.xml.rels",
            workbook_rels(sheets.len(), has_text).as_bytes(),
        );
        zip.add("xl/styles.xml", STYLES_XML.as_bytes());
        // Sheets and shared strings are compressed as they are written, so
        // that their XML is never held whole.
        let mut strings = SharedStrings::default();
        for (index, sheet) in sheets.iter().enumerate() {
            let mut part = Deflater::new();
            sheet.write_xml(index == 0, &mut strings, &mut part);
            zip.add_deflated(&format!("xl/worksheets/sheet{}.xml", index + 1), part);
        }
        if has_text {
            let mut part = Deflater::new();
            strings.write_xml(&mut part);
            zip.add_deflated("xl/sharedStrings.xml", part);
        }
        zip.finish()
    }
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
    /// Whether any cell goes to the shared strings.
    has_text: bool,
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
            has_text: false,
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
            self.has_text |= match cell {
                Cell::Text(_) => true,
                Cell::Date(ms) => date_serial(*ms).is_none(),
                _ => false,
            };
        }
        self.columns = self.columns.max(row.len());
        self.rows.push(Row {
            cells: row,
            bold: header,
        });
        Ok(())
    }

    /// Writes the worksheet part to `out`. `selected` marks the sheet
    /// shown on opening; text goes to `strings`.
    fn write_xml<'a>(
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
    fn filter_range(&self) -> Option<((usize, usize), (usize, usize))> {
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
fn cell_width(cell: &Cell) -> f64 {
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
fn date_serial(ms: i64) -> Option<f64> {
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
fn reaches(serial: f64, day: i64, time: i64) -> bool {
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
fn push_number(out: &mut impl fmt::Write, number: f64) {
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
fn push_column_name(out: &mut String, column: usize) {
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
fn push_cell_ref(out: &mut String, row: usize, column: usize, absolute: bool) {
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
fn push_range(out: &mut String, (first, last): ((usize, usize), (usize, usize)), absolute: bool) {
    push_cell_ref(out, first.0, first.1, absolute);
    if first != last {
        out.push(':');
        push_cell_ref(out, last.0, last.1, absolute);
    }
}

/// Whether XML 1.0 allows `c` (surrogates cannot occur in a `char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Removes the characters XML 1.0 forbids and cuts the text to
/// [`MAX_CELL_CHARS`] UTF-16 units.
fn clean_text(text: String) -> String {
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

/// Appends `text` escaped for XML content or a double-quoted attribute.
/// With `xstring`, an underscore that begins `_xHHHH_` is written as
/// `_x005F_`, since Excel decodes such sequences in cell text.
fn push_escaped(out: &mut String, text: &str, xstring: bool) {
    let bytes = text.as_bytes();
    for (at, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Parsers turn a literal CR into LF; a reference keeps it.
            '\r' => out.push_str("&#13;"),
            '_' if xstring && starts_escape(bytes.get(at..).unwrap_or_default()) => {
                out.push_str("_x005F_");
            }
            c => out.push(c),
        }
    }
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
fn text_width(text: &str) -> f64 {
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

/// The shared strings table being built: each distinct text once, in
/// order of first use.
#[derive(Default)]
struct SharedStrings<'a> {
    index: HashMap<Cow<'a, str>, usize>,
    texts: Vec<Cow<'a, str>>,
    /// Cells that refer to the table.
    uses: usize,
}

impl<'a> SharedStrings<'a> {
    /// The index of `text`, added if new.
    fn index(&mut self, text: Cow<'a, str>) -> usize {
        self.uses += 1;
        if let Some(&index) = self.index.get(text.as_ref()) {
            return index;
        }
        let index = self.texts.len();
        self.texts.push(text.clone());
        self.index.insert(text, index);
        index
    }

    /// Writes `xl/sharedStrings.xml` to `out`.
    fn write_xml(&self, out: &mut Deflater) {
        let mut xml = String::with_capacity(CHUNK + 4 * MAX_CELL_CHARS);
        xml.push_str(XML_DECLARATION);
        let _ = write!(
            xml,
            "<sst xmlns=\"{NS_MAIN}\" count=\"{}\" uniqueCount=\"{}\">",
            self.uses,
            self.texts.len()
        );
        for text in &self.texts {
            let padded =
                text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
            xml.push_str(if padded {
                "<si><t xml:space=\"preserve\">"
            } else {
                "<si><t>"
            });
            push_escaped(&mut xml, text, true);
            xml.push_str("</t></si>");
            if xml.len() >= CHUNK {
                out.write(xml.as_bytes());
                xml.clear();
            }
        }
        xml.push_str("</sst>");
        out.write(xml.as_bytes());
    }
}

/// `[Content_Types].xml`.
fn content_types(sheets: usize, has_text: bool) -> String {
    let mut xml = String::with_capacity(1024 + sheets * 160);
    xml.push_str(XML_DECLARATION);
    xml.push_str(
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" \
         ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
    );
    for number in 1..=sheets {
        let _ = write!(
            xml,
            "<Override PartName=\"/xl/worksheets/sheet{number}.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        );
    }
    xml.push_str(
        "<Override PartName=\"/xl/styles.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
    );
    if has_text {
        xml.push_str(
            "<Override PartName=\"/xl/sharedStrings.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>",
        );
    }
    xml.push_str(
        "<Override PartName=\"/docProps/core.xml\" \
         ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>\
         <Override PartName=\"/docProps/app.xml\" \
         ContentType=\"application/vnd.openxmlformats-officedocument.extended-properties+xml\"/>\
         </Types>",
    );
    xml
}

/// `_rels/.rels`: the package's parts.
const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" ",
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" ",
    "Target=\"xl/workbook.xml\"/>",
    "<Relationship Id=\"rId2\" ",
    "Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" ",
    "Target=\"docProps/core.xml\"/>",
    "<Relationship Id=\"rId3\" ",
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" ",
    "Target=\"docProps/app.xml\"/>",
    "</Relationships>",
);

/// `docProps/app.xml`: the application that wrote the file.
const APP_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" ",
    "xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\">",
    "<Application>Bantong</Application></Properties>",
);

/// `docProps/core.xml`: the author, and no dates (they would make the
/// output differ from one run to the next).
const CORE_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<cp:coreProperties ",
    "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" ",
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" ",
    "xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" ",
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">",
    "<dc:creator>Bantong</dc:creator></cp:coreProperties>",
);

/// `xl/styles.xml`. The `cellXfs` are, by index: 0 default, 1 bold
/// ([`STYLE_BOLD`]), 2 `yyyy-mm-dd hh:mm` ([`STYLE_DATE`]), 3 `0.0%`
/// ([`STYLE_PERCENT`]).
const STYLES_XML: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    "<numFmts count=\"2\">",
    "<numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd hh:mm\"/>",
    "<numFmt numFmtId=\"165\" formatCode=\"0.0%\"/>",
    "</numFmts>",
    "<fonts count=\"2\">",
    "<font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>",
    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>",
    "</fonts>",
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>",
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>",
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>",
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>",
    "<cellXfs count=\"4\">",
    "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>",
    "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>",
    "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>",
    "<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>",
    "</cellXfs>",
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>",
    "</styleSheet>",
);

/// `xl/workbook.xml`: the sheets, and the hidden name Excel keeps for each
/// autofilter.
fn workbook_xml(sheets: &[Sheet]) -> String {
    let mut xml = String::with_capacity(512 + sheets.len() * 128);
    xml.push_str(XML_DECLARATION);
    let _ = write!(
        xml,
        "<workbook xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\">\
         <bookViews><workbookView activeTab=\"0\"/></bookViews><sheets>"
    );
    for (index, sheet) in sheets.iter().enumerate() {
        xml.push_str("<sheet name=\"");
        push_escaped(&mut xml, &sheet.name, false);
        let _ = write!(
            xml,
            "\" sheetId=\"{number}\" r:id=\"rId{number}\"/>",
            number = index + 1
        );
    }
    xml.push_str("</sheets>");
    let mut names = String::new();
    for (index, sheet) in sheets.iter().enumerate() {
        if let Some(range) = sheet.filter_range() {
            let _ = write!(
                names,
                "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"{index}\" hidden=\"1\">'"
            );
            push_escaped(&mut names, &sheet.name.replace('\'', "''"), false);
            names.push_str("'!");
            push_range(&mut names, range, true);
            names.push_str("</definedName>");
        }
    }
    if !names.is_empty() {
        xml.push_str("<definedNames>");
        xml.push_str(&names);
        xml.push_str("</definedNames>");
    }
    xml.push_str("</workbook>");
    xml
}

/// `xl/_rels/workbook.xml.rels`: `rId1` … for the sheets, then styles and
/// shared strings.
fn workbook_rels(sheets: usize, has_text: bool) -> String {
    const REL_TYPE: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut xml = String::with_capacity(512 + sheets * 160);
    xml.push_str(XML_DECLARATION);
    xml.push_str(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for number in 1..=sheets {
        let _ = write!(
            xml,
            "<Relationship Id=\"rId{number}\" Type=\"{REL_TYPE}/worksheet\" \
             Target=\"worksheets/sheet{number}.xml\"/>"
        );
    }
    let _ = write!(
        xml,
        "<Relationship Id=\"rId{}\" Type=\"{REL_TYPE}/styles\" Target=\"styles.xml\"/>",
        sheets + 1
    );
    if has_text {
        let _ = write!(
            xml,
            "<Relationship Id=\"rId{}\" Type=\"{REL_TYPE}/sharedStrings\" \
             Target=\"sharedStrings.xml\"/>",
            sheets + 2
        );
    }
    xml.push_str("</Relationships>");
    xml
}

// ---------------------------------------------------------------------------
// The ZIP container.

const LOCAL_HEADER_SIGNATURE: u32 = 0x0403_4B50;
const CENTRAL_HEADER_SIGNATURE: u32 = 0x0201_4B50;
const END_SIGNATURE: u32 = 0x0605_4B50;
const ZIP64_END_SIGNATURE: u32 = 0x0606_4B50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4B50;
/// The ZIP64 extended information extra field.
const ZIP64_EXTRA_ID: u16 = 0x0001;
/// Version 2.0: DEFLATE.
const VERSION_DEFLATE: u16 = 20;
/// Version 4.5: ZIP64.
const VERSION_ZIP64: u16 = 45;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATED: u16 = 8;
/// 00:00:00 in MS-DOS time.
const DOS_TIME: u16 = 0;
/// 1980-01-01 in MS-DOS date: (year − 1980) << 9 | month << 5 | day.
const DOS_DATE: u16 = (1 << 5) | 1;
/// What does not fit a 32-bit field (and marks it as kept in ZIP64).
const U32_FULL: u64 = 0xFFFF_FFFF;
/// What does not fit a 16-bit entry count.
const U16_FULL: u64 = 0xFFFF;

/// A ZIP archive being written: entries one after the other, the central
/// directory kept aside until [`Zip::finish`].
struct Zip {
    out: Vec<u8>,
    directory: Vec<u8>,
    entries: u64,
    force_zip64: bool,
}

impl Zip {
    fn new(force_zip64: bool) -> Self {
        Self {
            out: Vec::new(),
            directory: Vec::new(),
            entries: 0,
            force_zip64,
        }
    }

    /// Adds an entry, deflated when that makes it smaller.
    fn add(&mut self, name: &str, data: &[u8]) {
        let mut deflater = Deflater::new();
        deflater.write(data);
        let packed = deflater.finish();
        if packed.bytes.len() < data.len() {
            self.put(name, METHOD_DEFLATED, &packed);
        } else {
            let stored = Packed {
                bytes: data.to_vec(),
                ..packed
            };
            self.put(name, METHOD_STORED, &stored);
        }
    }

    /// Adds an entry compressed by `deflater` (always deflated: it is XML,
    /// and the input is gone).
    fn add_deflated(&mut self, name: &str, deflater: Deflater) {
        self.put(name, METHOD_DEFLATED, &deflater.finish());
    }

    /// Writes an entry's local header and body, and keeps its central
    /// directory header for [`Zip::finish`].
    fn put(&mut self, name: &str, method: u16, packed: &Packed) {
        let (body, crc, size) = (&packed.bytes, packed.crc, packed.size);
        let compressed = body.len() as u64;
        let offset = self.out.len() as u64;
        let big_sizes = self.force_zip64 || size >= U32_FULL || compressed >= U32_FULL;
        let big_offset = self.force_zip64 || offset >= U32_FULL;
        let version = if big_sizes || big_offset {
            VERSION_ZIP64
        } else {
            VERSION_DEFLATE
        };
        // Our part names are short ASCII.
        let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
        let name = name
            .as_bytes()
            .get(..usize::from(name_len))
            .unwrap_or_default();
        let field32 = |value: u64, big: bool| if big { U32_FULL as u32 } else { value as u32 };

        let out = &mut self.out;
        put32(out, LOCAL_HEADER_SIGNATURE);
        put16(out, version);
        put16(out, 0); // flags
        put16(out, method);
        put16(out, DOS_TIME);
        put16(out, DOS_DATE);
        put32(out, crc);
        put32(out, field32(compressed, big_sizes));
        put32(out, field32(size, big_sizes));
        put16(out, name_len);
        put16(out, if big_sizes { 20 } else { 0 });
        out.extend_from_slice(name);
        if big_sizes {
            put16(out, ZIP64_EXTRA_ID);
            put16(out, 16);
            put64(out, size);
            put64(out, compressed);
        }
        out.extend_from_slice(body);

        let mut extra = Vec::new();
        if big_sizes {
            put64(&mut extra, size);
            put64(&mut extra, compressed);
        }
        if big_offset {
            put64(&mut extra, offset);
        }
        let dir = &mut self.directory;
        put32(dir, CENTRAL_HEADER_SIGNATURE);
        put16(dir, version); // made by: MS-DOS (0) in the high byte
        put16(dir, version); // needed
        put16(dir, 0); // flags
        put16(dir, method);
        put16(dir, DOS_TIME);
        put16(dir, DOS_DATE);
        put32(dir, crc);
        put32(dir, field32(compressed, big_sizes));
        put32(dir, field32(size, big_sizes));
        put16(dir, name_len);
        put16(
            dir,
            if extra.is_empty() {
                0
            } else {
                extra.len() as u16 + 4
            },
        );
        put16(dir, 0); // comment length
        put16(dir, 0); // disk number start
        put16(dir, 0); // internal attributes
        put32(dir, 0); // external attributes
        put32(dir, field32(offset, big_offset));
        dir.extend_from_slice(name);
        if !extra.is_empty() {
            put16(dir, ZIP64_EXTRA_ID);
            put16(dir, extra.len() as u16);
            dir.extend_from_slice(&extra);
        }
        self.entries += 1;
    }

    /// The archive: entries, central directory, (ZIP64 end record and
    /// locator,) end of central directory.
    fn finish(self) -> Vec<u8> {
        let Zip {
            mut out,
            directory,
            entries,
            force_zip64,
        } = self;
        let directory_offset = out.len() as u64;
        let directory_size = directory.len() as u64;
        out.extend_from_slice(&directory);
        let zip64 = force_zip64
            || entries >= U16_FULL
            || directory_size >= U32_FULL
            || directory_offset >= U32_FULL;
        if zip64 {
            let record_offset = out.len() as u64;
            put32(&mut out, ZIP64_END_SIGNATURE);
            put64(&mut out, 44); // size of the rest of the record
            put16(&mut out, VERSION_ZIP64); // made by
            put16(&mut out, VERSION_ZIP64); // needed
            put32(&mut out, 0); // this disk
            put32(&mut out, 0); // disk with the directory
            put64(&mut out, entries); // on this disk
            put64(&mut out, entries); // in all
            put64(&mut out, directory_size);
            put64(&mut out, directory_offset);
            put32(&mut out, ZIP64_LOCATOR_SIGNATURE);
            put32(&mut out, 0); // disk with the ZIP64 end record
            put64(&mut out, record_offset);
            put32(&mut out, 1); // disks in all
        }
        let (count, size, offset) = if zip64 {
            (U16_FULL as u16, U32_FULL as u32, U32_FULL as u32)
        } else {
            (
                entries as u16,
                directory_size as u32,
                directory_offset as u32,
            )
        };
        put32(&mut out, END_SIGNATURE);
        put16(&mut out, 0); // this disk
        put16(&mut out, 0); // disk with the directory
        put16(&mut out, count); // on this disk
        put16(&mut out, count); // in all
        put32(&mut out, size);
        put32(&mut out, offset);
        put16(&mut out, 0); // comment length
        out
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) of `data`.
#[cfg(test)]
fn crc32(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}

/// Runs the CRC-32 register over `data`, one byte at a time from a table
/// computed at compile time (start from `!0`, and invert the result).
fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0_u32; 256];
        let mut index = 0;
        while index < 256 {
            let mut crc = index as u32;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 1 == 1 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
                bit += 1;
            }
            table[index] = crc;
            index += 1;
        }
        table
    };
    data.iter().fold(crc, |crc, &byte| {
        // The index is masked to 0..=255.
        TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8)
    })
}

// ---------------------------------------------------------------------------
// DEFLATE (RFC 1951): one block with the fixed Huffman codes, matches found
// through hash chains over a 32 KiB window.

/// The farthest back a match may start.
const WINDOW: usize = 32_768;
const HASH_BITS: u32 = 15;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
/// How many earlier positions with the same hash are tried, at most.
const MAX_CHAIN: usize = 16;
/// No position.
const NONE: usize = usize::MAX;
/// Base length and extra bits of length symbols 257 to 285.
const LENGTH_CODES: [(u16, u8); 29] = [
    (3, 0),
    (4, 0),
    (5, 0),
    (6, 0),
    (7, 0),
    (8, 0),
    (9, 0),
    (10, 0),
    (11, 1),
    (13, 1),
    (15, 1),
    (17, 1),
    (19, 2),
    (23, 2),
    (27, 2),
    (31, 2),
    (35, 3),
    (43, 3),
    (51, 3),
    (59, 3),
    (67, 4),
    (83, 4),
    (99, 4),
    (115, 4),
    (131, 5),
    (163, 5),
    (195, 5),
    (227, 5),
    (258, 0),
];
/// Base distance and extra bits of distance codes 0 to 29.
const DISTANCE_CODES: [(u16, u8); 30] = [
    (1, 0),
    (2, 0),
    (3, 0),
    (4, 0),
    (5, 1),
    (7, 1),
    (9, 2),
    (13, 2),
    (17, 3),
    (25, 3),
    (33, 4),
    (49, 4),
    (65, 5),
    (97, 5),
    (129, 6),
    (193, 6),
    (257, 7),
    (385, 7),
    (513, 8),
    (769, 8),
    (1025, 9),
    (1537, 9),
    (2049, 10),
    (3073, 10),
    (4097, 11),
    (6145, 11),
    (8193, 12),
    (12289, 12),
    (16385, 13),
    (24577, 13),
];

/// Bytes a position needs after it before it is encoded: the longest
/// match, and three more for the hashes of the positions inside it.
const LOOKAHEAD: usize = MAX_MATCH + MIN_MATCH;

/// A DEFLATE compressor fed in pieces; the output, a raw stream (no zlib
/// header), is the same however the input was cut.
///
/// Besides its output it holds at most two windows of input history, the
/// last piece written, and its hash chains (256 KiB on 32-bit targets,
/// 512 KiB on 64-bit ones).
struct Deflater {
    bits: BitWriter,
    /// Input from position `base` on: history, then bytes not encoded yet.
    buffer: Vec<u8>,
    base: usize,
    /// The position of the next byte to encode.
    next: usize,
    chains: Chains,
    /// The CRC-32 register over all input.
    crc: u32,
    size: u64,
}

/// A finished entry: the compressed bytes, and the CRC-32 and size of
/// the input.
struct Packed {
    bytes: Vec<u8>,
    crc: u32,
    size: u64,
}

impl Deflater {
    fn new() -> Self {
        let mut bits = BitWriter {
            out: Vec::new(),
            pending: 0,
            count: 0,
        };
        bits.put(1, 1); // BFINAL: the last block
        bits.put(1, 2); // BTYPE 01: fixed Huffman codes
        Self {
            bits,
            buffer: Vec::new(),
            base: 0,
            next: 0,
            chains: Chains {
                head: vec![NONE; 1 << HASH_BITS],
                previous: vec![NONE; WINDOW],
            },
            crc: !0,
            size: 0,
        }
    }

    /// Compresses the next piece of input.
    fn write(&mut self, data: &[u8]) {
        self.crc = crc32_update(self.crc, data);
        self.size += data.len() as u64;
        self.buffer.extend_from_slice(data);
        self.encode(false);
    }

    /// The compressed stream.
    fn finish(mut self) -> Packed {
        self.encode(true);
        self.bits.symbol(256); // end of block
        Packed {
            bytes: self.bits.finish(),
            crc: !self.crc,
            size: self.size,
        }
    }

    /// Encodes the buffered input, all of it at the end, else up to
    /// [`LOOKAHEAD`] before its end; then drops history older than the
    /// window once there is a window of it.
    fn encode(&mut self, to_end: bool) {
        let end = self.base + self.buffer.len();
        let stop = if to_end {
            end
        } else {
            end.saturating_sub(LOOKAHEAD)
        };
        while self.next < stop {
            let Some(&byte) = self.buffer.get(self.next - self.base) else {
                break;
            };
            let (length, distance) = self
                .chains
                .longest_match(&self.buffer, self.base, self.next);
            if length >= MIN_MATCH {
                self.bits.length(length);
                self.bits.distance(distance);
                for inside in self.next..self.next + length {
                    self.chains.insert(&self.buffer, self.base, inside);
                }
                self.next += length;
            } else {
                self.chains.insert(&self.buffer, self.base, self.next);
                self.bits.symbol(u16::from(byte));
                self.next += 1;
            }
        }
        let keep = self.next.saturating_sub(WINDOW);
        if keep - self.base.min(keep) >= WINDOW {
            self.buffer.drain(..keep - self.base);
            self.base = keep;
        }
    }
}

/// Compresses `data` in one piece.
#[cfg(test)]
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut deflater = Deflater::new();
    deflater.write(data);
    deflater.finish().bytes
}

/// For each hash of three bytes, the last position it was seen at, and
/// for each position (modulo the window) the one before it with the same
/// hash.
struct Chains {
    head: Vec<usize>,
    previous: Vec<usize>,
}

impl Chains {
    /// The hash of the three bytes at `index` in `buffer`, if there are
    /// three.
    fn hash(buffer: &[u8], index: usize) -> Option<usize> {
        match buffer.get(index..index.checked_add(3)?)? {
            &[a, b, c] => {
                let key = u32::from_le_bytes([a, b, c, 0]);
                Some((key.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize)
            }
            _ => None,
        }
    }

    /// Records that the three bytes at `position` were seen there
    /// (`buffer` starts at position `base`).
    fn insert(&mut self, buffer: &[u8], base: usize, position: usize) {
        let Some(hash) = Self::hash(buffer, position - base) else {
            return;
        };
        if let (Some(head), Some(previous)) = (
            self.head.get_mut(hash),
            self.previous.get_mut(position % WINDOW),
        ) {
            *previous = *head;
            *head = position;
        }
    }

    /// The longest earlier copy of the bytes at `position` within the
    /// window, as (length, distance); a length below [`MIN_MATCH`] means
    /// none (`buffer` starts at position `base`).
    fn longest_match(&self, buffer: &[u8], base: usize, position: usize) -> (usize, usize) {
        let index = position - base;
        let (Some(hash), Some(target)) = (Self::hash(buffer, index), buffer.get(index..)) else {
            return (0, 0);
        };
        let limit = target.len().min(MAX_MATCH);
        let mut best = (0, 0);
        let mut candidate = self.head.get(hash).copied().unwrap_or(NONE);
        let mut tries = MAX_CHAIN;
        // Every position in a chain is before `position`, and the links
        // of those within the window are still intact: a link is only
        // overwritten by the position a whole window later.
        while candidate < position && tries > 0 {
            let distance = position - candidate;
            if distance > WINDOW {
                break;
            }
            let Some(earlier) = candidate
                .checked_sub(base)
                .and_then(|start| buffer.get(start..))
            else {
                break;
            };
            // Only a longer match is worth comparing in full.
            if earlier.get(best.0) == target.get(best.0) {
                let length = earlier
                    .iter()
                    .zip(target)
                    .take(limit)
                    .take_while(|(a, b)| a == b)
                    .count();
                if length > best.0 {
                    best = (length, distance);
                    if length == limit {
                        break;
                    }
                }
            }
            let next = self
                .previous
                .get(candidate % WINDOW)
                .copied()
                .unwrap_or(NONE);
            if next >= candidate {
                break;
            }
            candidate = next;
            tries -= 1;
        }
        best
    }
}

/// Bits packed into bytes least significant first, as DEFLATE wants.
struct BitWriter {
    out: Vec<u8>,
    pending: u64,
    count: u32,
}

impl BitWriter {
    /// The low `bits` bits of `value`, least significant first.
    fn put(&mut self, value: u32, bits: u32) {
        self.pending |= u64::from(value) << self.count;
        self.count += bits;
        while self.count >= 8 {
            self.out.push(self.pending as u8);
            self.pending >>= 8;
            self.count -= 8;
        }
    }

    /// A Huffman code of `bits` bits, most significant first.
    fn code(&mut self, code: u32, bits: u32) {
        self.put(code.reverse_bits() >> (32 - bits), bits);
    }

    /// A literal/length symbol (0 to 287) in the fixed code.
    fn symbol(&mut self, symbol: u16) {
        let symbol = u32::from(symbol);
        match symbol {
            0..=143 => self.code(0x30 + symbol, 8),
            144..=255 => self.code(0x190 + symbol - 144, 9),
            256..=279 => self.code(symbol - 256, 7),
            _ => self.code(0xC0 + symbol - 280, 8),
        }
    }

    /// A match length, 3 to 258: its symbol and extra bits.
    fn length(&mut self, length: usize) {
        let index = LENGTH_CODES
            .partition_point(|&(base, _)| usize::from(base) <= length)
            .saturating_sub(1);
        if let Some(&(base, extra)) = LENGTH_CODES.get(index) {
            self.symbol(257 + index as u16);
            self.put((length - usize::from(base)) as u32, u32::from(extra));
        }
    }

    /// A match distance, 1 to 32,768: its code and extra bits.
    fn distance(&mut self, distance: usize) {
        let index = DISTANCE_CODES
            .partition_point(|&(base, _)| usize::from(base) <= distance)
            .saturating_sub(1);
        if let Some(&(base, extra)) = DISTANCE_CODES.get(index) {
            self.code(index as u32, 5);
            self.put((distance - usize::from(base)) as u32, u32::from(extra));
        }
    }

    /// The bytes, the last one padded with zero bits.
    fn finish(mut self) -> Vec<u8> {
        if self.count > 0 {
            self.out.push(self.pending as u8);
        }
        self.out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    // -- A small ZIP reader and inflater, to check what was written. -----

    fn u16_at(bytes: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap())
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    fn u64_at(bytes: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
    }

    /// Values of the ZIP64 extra field in `extra`, if any.
    fn zip64_values(extra: &[u8]) -> Vec<u64> {
        let mut at = 0;
        while at + 4 <= extra.len() {
            let id = u16_at(extra, at);
            let len = usize::from(u16_at(extra, at + 2));
            if id == ZIP64_EXTRA_ID {
                return (0..len / 8)
                    .map(|i| u64_at(extra, at + 4 + 8 * i))
                    .collect();
            }
            at += 4 + len;
        }
        Vec::new()
    }

    /// Reads every entry through the central directory, checking the local
    /// headers, sizes and CRCs; returns (name, method, contents).
    fn unzip_entries(bytes: &[u8]) -> Vec<(String, u16, Vec<u8>)> {
        let end = bytes.len() - 22;
        assert_eq!(
            u32_at(bytes, end),
            END_SIGNATURE,
            "no comment, so EOCD is last"
        );
        assert_eq!(u16_at(bytes, end + 20), 0);
        let mut count = u64::from(u16_at(bytes, end + 10));
        let mut dir_size = u64::from(u32_at(bytes, end + 12));
        let mut dir_offset = u64::from(u32_at(bytes, end + 16));
        if end >= 20 && u32_at(bytes, end - 20) == ZIP64_LOCATOR_SIGNATURE {
            let record = u64_at(bytes, end - 20 + 8) as usize;
            assert_eq!(u32_at(bytes, record), ZIP64_END_SIGNATURE);
            assert_eq!(u64_at(bytes, record + 4), 44);
            assert_eq!(u64_at(bytes, record + 24), u64_at(bytes, record + 32));
            count = u64_at(bytes, record + 32);
            dir_size = u64_at(bytes, record + 40);
            dir_offset = u64_at(bytes, record + 48);
            assert_eq!(record as u64, dir_offset + dir_size);
        } else {
            assert_eq!(end as u64, dir_offset + dir_size);
        }
        let mut entries = Vec::new();
        let mut at = dir_offset as usize;
        for _ in 0..count {
            assert_eq!(u32_at(bytes, at), CENTRAL_HEADER_SIGNATURE);
            let method = u16_at(bytes, at + 10);
            assert_eq!(u16_at(bytes, at + 12), DOS_TIME);
            assert_eq!(u16_at(bytes, at + 14), DOS_DATE);
            let crc = u32_at(bytes, at + 16);
            let mut compressed = u64::from(u32_at(bytes, at + 20));
            let mut size = u64::from(u32_at(bytes, at + 24));
            let name_len = usize::from(u16_at(bytes, at + 28));
            let extra_len = usize::from(u16_at(bytes, at + 30));
            let comment_len = usize::from(u16_at(bytes, at + 32));
            let mut offset = u64::from(u32_at(bytes, at + 42));
            let name = &bytes[at + 46..at + 46 + name_len];
            let mut values =
                zip64_values(&bytes[at + 46 + name_len..at + 46 + name_len + extra_len])
                    .into_iter();
            if size == U32_FULL {
                size = values.next().unwrap();
            }
            if compressed == U32_FULL {
                compressed = values.next().unwrap();
            }
            if offset == U32_FULL {
                offset = values.next().unwrap();
            }
            at += 46 + name_len + extra_len + comment_len;

            let local = offset as usize;
            assert_eq!(u32_at(bytes, local), LOCAL_HEADER_SIGNATURE);
            assert_eq!(u16_at(bytes, local + 8), method);
            assert_eq!(u32_at(bytes, local + 14), crc);
            let local_name_len = usize::from(u16_at(bytes, local + 26));
            let local_extra_len = usize::from(u16_at(bytes, local + 28));
            assert_eq!(&bytes[local + 30..local + 30 + local_name_len], name);
            let data_start = local + 30 + local_name_len + local_extra_len;
            if u64::from(u32_at(bytes, local + 18)) == U32_FULL {
                let values = zip64_values(&bytes[local + 30 + local_name_len..data_start]);
                assert_eq!(values, vec![size, compressed]);
            } else {
                assert_eq!(u64::from(u32_at(bytes, local + 18)), compressed);
                assert_eq!(u64::from(u32_at(bytes, local + 22)), size);
            }
            let body = &bytes[data_start..data_start + compressed as usize];
            let data = match method {
                METHOD_STORED => body.to_vec(),
                METHOD_DEFLATED => inflate(body),
                other => panic!("unexpected method {other}"),
            };
            assert_eq!(data.len() as u64, size);
            assert_eq!(
                crc32(&data),
                crc,
                "CRC of {}",
                String::from_utf8_lossy(name)
            );
            entries.push((String::from_utf8(name.to_vec()).unwrap(), method, data));
        }
        assert_eq!(at as u64, dir_offset + dir_size);
        entries
    }

    fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        unzip_entries(bytes)
            .into_iter()
            .map(|(name, _, data)| (name, data))
            .collect()
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let (_, data) = unzip(bytes)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no part {name}"));
        String::from_utf8(data).unwrap()
    }

    struct BitReader<'a> {
        bytes: &'a [u8],
        bit: usize,
    }

    impl BitReader<'_> {
        fn bits(&mut self, count: u32) -> u32 {
            let mut value = 0;
            for i in 0..count {
                let byte = self.bytes[self.bit / 8];
                value |= u32::from((byte >> (self.bit % 8)) & 1) << i;
                self.bit += 1;
            }
            value
        }

        /// A Huffman code, most significant bit first.
        fn code_bit(&mut self, code: u32) -> u32 {
            (code << 1) | self.bits(1)
        }
    }

    /// Inflates stored and fixed-Huffman blocks (all the writer makes).
    fn inflate(bytes: &[u8]) -> Vec<u8> {
        let mut input = BitReader { bytes, bit: 0 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let last = input.bits(1) == 1;
            match input.bits(2) {
                0 => {
                    input.bit = input.bit.div_ceil(8) * 8;
                    let at = input.bit / 8;
                    let len = usize::from(u16_at(bytes, at));
                    assert_eq!(!u16_at(bytes, at + 2), len as u16);
                    out.extend_from_slice(&bytes[at + 4..at + 4 + len]);
                    input.bit = (at + 4 + len) * 8;
                }
                1 => loop {
                    let mut code = input.bits(7).reverse_bits() >> 25;
                    let symbol = if code <= 0b001_0111 {
                        256 + code
                    } else {
                        code = input.code_bit(code);
                        match code {
                            0x30..=0xBF => code - 0x30,
                            0xC0..=0xC7 => 280 + code - 0xC0,
                            _ => 144 + input.code_bit(code) - 0x190,
                        }
                    };
                    match symbol {
                        0..=255 => out.push(symbol as u8),
                        256 => break,
                        _ => {
                            let (base, extra) = LENGTH_CODES[symbol as usize - 257];
                            let length = usize::from(base) + input.bits(u32::from(extra)) as usize;
                            let code = input.bits(5).reverse_bits() >> 27;
                            let (base, extra) = DISTANCE_CODES[code as usize];
                            let distance =
                                usize::from(base) + input.bits(u32::from(extra)) as usize;
                            assert!(distance <= out.len() && distance <= WINDOW);
                            for _ in 0..length {
                                out.push(out[out.len() - distance]);
                            }
                        }
                    }
                },
                other => panic!("block type {other} is never written"),
            }
            if last {
                // Nothing may follow the last block but its padding.
                assert_eq!(input.bit.div_ceil(8), bytes.len());
                return out;
            }
        }
    }

    fn sheet_xml(book: &Workbook, number: usize) -> String {
        part(
            &book.to_bytes(),
            &format!("xl/worksheets/sheet{number}.xml"),
        )
    }

    // -- The container. ------------------------------------------------

    #[test]
    fn crc32_matches_the_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn deflate_round_trips() {
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut noise = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        };
        let random: Vec<u8> = (0..100_000).map(|_| noise()).collect();
        let few_letters: Vec<u8> = (0..100_000).map(|_| b'a' + noise() % 3).collect();
        // A 40 KiB block repeated: its copy is farther back than the window.
        let far: Vec<u8> = random[..40_000].repeat(3);
        let samples: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"a".to_vec(),
            b"ab".to_vec(),
            b"abcabcabcabcabcabc".to_vec(),
            vec![0; 100_000],
            vec![0xFF; 259],
            random,
            few_letters,
            far,
            "办件统计 好差评 ".repeat(5_000).into_bytes(),
        ];
        for sample in samples {
            let packed = deflate(&sample);
            assert_eq!(inflate(&packed), sample, "length {}", sample.len());
        }
        let zeros = deflate(&[0; 100_000]);
        assert_eq!(zeros, deflate(&[0; 100_000]));
        assert!(zeros.len() < 1_000, "runs compress: {} bytes", zeros.len());
    }

    #[test]
    fn deflate_in_pieces_gives_the_same_stream() {
        let text: Vec<u8> = (0..5_000_u32)
            .flat_map(|i| {
                format!(
                    "<row r=\"{i}\"><c r=\"A{i}\" t=\"s\"><v>{}</v></c></row>",
                    i % 97
                )
                .into_bytes()
            })
            .collect();
        let whole = deflate(&text);
        assert_eq!(inflate(&whole), text);
        for piece in [1, 7, 258, 261, 4_096, 65_536, 100_000] {
            let mut deflater = Deflater::new();
            for chunk in text.chunks(piece) {
                deflater.write(chunk);
                assert!(deflater.buffer.len() <= 2 * WINDOW + LOOKAHEAD + piece);
            }
            let packed = deflater.finish();
            assert!(packed.bytes == whole, "pieces of {piece}");
            assert_eq!(packed.crc, crc32(&text));
            assert_eq!(packed.size, text.len() as u64);
        }
    }

    #[test]
    fn zip64_records_read_back() {
        let mut book = Workbook::new();
        book.add_sheet("数据")
            .unwrap()
            .push_row(["a", "b"])
            .unwrap();
        let plain = unzip(&book.to_bytes());
        let bytes = book.write(true);
        assert_eq!(unzip(&bytes), plain);
        assert_eq!(u16_at(&bytes, 4), VERSION_ZIP64);
    }

    #[test]
    fn parts_and_relationships() {
        let mut book = Workbook::new();
        book.add_sheet("一").unwrap().push_row(["x"]).unwrap();
        book.add_sheet("二").unwrap().push_row([1.0]).unwrap();
        let bytes = book.to_bytes();
        let names: Vec<String> = unzip(&bytes).into_iter().map(|(name, _)| name).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "docProps/app.xml",
                "docProps/core.xml",
                "xl/workbook.xml",
                "xl/_rels/workbook.xml.rels",
                "xl/styles.xml",
                "xl/worksheets/sheet1.xml",
                "xl/worksheets/sheet2.xml",
                "xl/sharedStrings.xml",
            ]
        );
        let types = part(&bytes, "[Content_Types].xml");
        assert!(types.contains("PartName=\"/xl/worksheets/sheet2.xml\""));
        assert!(types.contains("PartName=\"/xl/sharedStrings.xml\""));
        let rels = part(&bytes, "xl/_rels/workbook.xml.rels");
        assert!(rels.contains("Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet2.xml\""));
        assert!(rels.contains("Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\""));
        assert!(rels.contains("Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\""));
        let workbook = part(&bytes, "xl/workbook.xml");
        assert!(workbook.contains(
            "<sheets><sheet name=\"一\" sheetId=\"1\" r:id=\"rId1\"/><sheet name=\"二\" sheetId=\"2\" r:id=\"rId2\"/></sheets>"
        ));
        // Only the first sheet is selected.
        assert!(
            sheet_xml(&book, 1).contains("<sheetView tabSelected=\"1\" workbookViewId=\"0\"/>")
        );
        assert!(sheet_xml(&book, 2).contains("<sheetView workbookViewId=\"0\"/>"));
    }

    #[test]
    fn an_empty_workbook_has_one_empty_sheet() {
        let bytes = Workbook::new().to_bytes();
        let names: Vec<String> = unzip(&bytes).into_iter().map(|(name, _)| name).collect();
        assert!(names.contains(&"xl/worksheets/sheet1.xml".to_owned()));
        assert!(!names.contains(&"xl/sharedStrings.xml".to_owned()));
        assert!(part(&bytes, "xl/workbook.xml").contains("<sheet name=\"Sheet1\""));
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<dimension ref=\"A1\"/>"));
        assert!(sheet.contains("<sheetData></sheetData>"));
        assert!(!part(&bytes, "xl/_rels/workbook.xml.rels").contains("sharedStrings"));
    }

    #[test]
    fn same_workbook_same_bytes() {
        let build = || {
            let mut book = Workbook::new();
            let sheet = book.add_sheet("统计").unwrap();
            sheet.header(&["名称", "数量"]).unwrap();
            for i in 0..500_i64 {
                sheet
                    .push_row([Cell::from(format!("窗口{}", i % 7)), Cell::from(i)])
                    .unwrap();
            }
            book.add_sheet("其他").unwrap().push_row(["x"]).unwrap();
            book.to_bytes()
        };
        let first = build();
        assert_eq!(first, build());
        assert_eq!(first, build());
    }

    #[test]
    fn ten_thousand_rows_round_trip() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("明细").unwrap();
        sheet
            .header(&["编号", "窗口", "时长", "满意率", "取号", "办结"])
            .unwrap();
        for i in 0..10_000_i64 {
            sheet
                .push_row([
                    Cell::from(format!("Q{i:05}")),
                    Cell::from(format!("{}号窗口", i % 12 + 1)),
                    Cell::from(i as f64 / 4.0),
                    Cell::Percent((i % 100) as f64 / 100.0),
                    Cell::Date(1_795_795_199_000 - i * 60_000),
                    Cell::Bool(i % 2 == 0),
                ])
                .unwrap();
        }
        let bytes = book.to_bytes();
        let entries = unzip_entries(&bytes);
        let (_, method, xml) = entries
            .iter()
            .find(|(name, _, _)| name == "xl/worksheets/sheet1.xml")
            .unwrap();
        assert_eq!(*method, METHOD_DEFLATED);
        assert!(
            bytes.len() * 4 < xml.len(),
            "{} vs {}",
            bytes.len(),
            xml.len()
        );
        let xml = std::str::from_utf8(xml).unwrap();
        assert_eq!(xml.matches("<row ").count(), 10_001);
        assert!(xml.contains("<dimension ref=\"A1:F10001\"/>"));
        assert!(xml.contains("<autoFilter ref=\"A1:F10001\"/>"));
        assert!(xml.contains(
            "<row r=\"10001\"><c r=\"A10001\" t=\"s\"><v>10017</v></c><c r=\"B10001\" t=\"s\"><v>13</v></c>\
             <c r=\"C10001\"><v>2499.75</v></c><c r=\"D10001\" s=\"3\"><v>0.99</v></c>"
        ));
        let strings = part(&bytes, "xl/sharedStrings.xml");
        // 6 titles, 10,000 numbers, 12 windows.
        assert!(strings.contains("count=\"20006\" uniqueCount=\"10018\""));
        assert!(strings.contains("<si><t>Q09999</t></si>"));
    }

    // -- Cells. --------------------------------------------------------

    #[test]
    fn column_names() {
        let name = |column| {
            let mut out = String::new();
            push_column_name(&mut out, column);
            out
        };
        for (column, expected) in [
            (0, "A"),
            (1, "B"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (51, "AZ"),
            (52, "BA"),
            (701, "ZZ"),
            (702, "AAA"),
            (MAX_COLUMNS - 1, "XFD"),
        ] {
            assert_eq!(name(column), expected, "column {column}");
        }
        assert_eq!(name(usize::MAX).len(), 14);
        let mut reference = String::new();
        push_cell_ref(&mut reference, 10, 26, true);
        assert_eq!(reference, "$AA$10");
    }

    #[test]
    fn cell_references_in_rows() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("S").unwrap();
        sheet.push_row(["a"]).unwrap();
        let mut wide = vec![Cell::Empty; 27];
        wide[26] = Cell::Number(7.0);
        wide[1] = Cell::Bool(true);
        wide[3] = Cell::Bool(false);
        sheet.push_row(wide).unwrap();
        sheet.push_row(Vec::<Cell>::new()).unwrap();
        sheet
            .push_row([Cell::Empty, Cell::from("c"), Cell::Empty])
            .unwrap();
        let xml = sheet_xml(&book, 1);
        assert!(xml.contains("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>"));
        assert!(xml.contains(
            "<row r=\"2\"><c r=\"B2\" t=\"b\"><v>1</v></c><c r=\"D2\" t=\"b\"><v>0</v></c>\
             <c r=\"AA2\"><v>7</v></c></row>"
        ));
        // Empty rows are left out; trailing empty cells do not widen the range.
        assert!(!xml.contains("<row r=\"3\""));
        assert!(xml.contains("<row r=\"4\"><c r=\"B4\" t=\"s\"><v>1</v></c></row>"));
        assert!(xml.contains("<dimension ref=\"A1:AA4\"/>"));
    }

    #[test]
    fn text_is_escaped_and_cleaned() {
        let mut book = Workbook::new();
        book.add_sheet("T")
            .unwrap()
            .push_row([
                "<&>\"'",
                "中文：办件 ✓",
                "a\u{1}b\u{FFFE}c\u{0}",
                "_x0041_ and x_x00_",
                " padded ",
                "line\r\nnext\tcol",
                "\u{7}",
                "",
            ])
            .unwrap();
        let bytes = book.to_bytes();
        let strings = part(&bytes, "xl/sharedStrings.xml");
        assert!(strings.contains("<si><t>&lt;&amp;&gt;&quot;'</t></si>"));
        assert!(strings.contains("<si><t>中文：办件 ✓</t></si>"));
        assert!(strings.contains("<si><t>abc</t></si>"));
        assert!(strings.contains("<si><t>_x005F_x0041_ and x_x00_</t></si>"));
        assert!(strings.contains("<si><t xml:space=\"preserve\"> padded </t></si>"));
        assert!(strings.contains("<si><t>line&#13;\nnext\tcol</t></si>"));
        assert!(strings.contains("count=\"6\" uniqueCount=\"6\""));
        // Text left empty by cleaning is an empty cell.
        assert!(!sheet_xml(&book, 1).contains("r=\"G1\""));
    }

    #[test]
    fn text_is_cut_at_excel_limit() {
        assert_eq!(clean_text("a".repeat(40_000)).len(), MAX_CELL_CHARS);
        let chinese = clean_text("中".repeat(40_000));
        assert_eq!(chinese.chars().count(), MAX_CELL_CHARS);
        // Characters beyond the BMP count two, and are never split.
        let astral = clean_text("😀".repeat(20_000));
        assert_eq!(astral.chars().count(), MAX_CELL_CHARS / 2);
        let exact = "x".repeat(MAX_CELL_CHARS);
        assert_eq!(clean_text(exact.clone()), exact);
    }

    #[test]
    fn shared_strings_are_shared() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("S").unwrap();
        sheet.push_row(["甲", "乙", "甲"]).unwrap();
        book.add_sheet("T").unwrap().push_row(["乙"]).unwrap();
        let bytes = book.to_bytes();
        assert!(
            part(&bytes, "xl/sharedStrings.xml").contains(
                "count=\"4\" uniqueCount=\"2\"><si><t>甲</t></si><si><t>乙</t></si></sst>"
            )
        );
        assert!(part(&bytes, "xl/worksheets/sheet1.xml").contains(
            "<c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>0</v></c>"
        ));
        assert!(
            part(&bytes, "xl/worksheets/sheet2.xml").contains("<c r=\"A1\" t=\"s\"><v>1</v></c>")
        );
    }

    #[test]
    fn numbers() {
        let write = |number| {
            let mut out = String::new();
            push_number(&mut out, number);
            out
        };
        assert_eq!(write(0.0), "0");
        assert_eq!(write(-0.0), "0");
        assert_eq!(write(42.0), "42");
        assert_eq!(write(-1.25), "-1.25");
        assert_eq!(write(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(write(123_456_789_012_345.0), "123456789012345");
        assert_eq!(write(1.5e20), "1.5E+20");
        assert_eq!(write(-2e-7), "-2E-7");
        assert_eq!(write(f64::MAX).parse::<f64>().unwrap(), f64::MAX);

        let mut book = Workbook::new();
        book.add_sheet("N")
            .unwrap()
            .push_row([
                Cell::Number(f64::NAN),
                Cell::Number(f64::INFINITY),
                Cell::Percent(f64::NEG_INFINITY),
                Cell::Number(3.5),
            ])
            .unwrap();
        let xml = sheet_xml(&book, 1);
        assert!(xml.contains("<row r=\"1\"><c r=\"D1\"><v>3.5</v></c></row>"));
    }

    #[test]
    fn percent_cells_use_the_percent_style() {
        let mut book = Workbook::new();
        book.add_sheet("P")
            .unwrap()
            .push_row([Cell::Percent(0.975)])
            .unwrap();
        let bytes = book.to_bytes();
        assert!(
            part(&bytes, "xl/worksheets/sheet1.xml")
                .contains("<c r=\"A1\" s=\"3\"><v>0.975</v></c>")
        );
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("<numFmt numFmtId=\"165\" formatCode=\"0.0%\"/>"));
        let xfs = cell_xfs(&styles);
        assert!(xfs[usize::from(STYLE_PERCENT)].contains("numFmtId=\"165\""));
    }

    /// The `<xf>` elements of `cellXfs`, by index.
    fn cell_xfs(styles: &str) -> Vec<String> {
        let start = styles.find("<cellXfs").unwrap();
        let end = styles.find("</cellXfs>").unwrap();
        styles[start..end]
            .split("<xf ")
            .skip(1)
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn dates_are_serials_in_hall_time() {
        // 2026-11-27T15:59:59Z is 23:59:59 in the hall: serial 46353 (Excel
        // shows 46023 for 2026-01-01, and the 27th of November is 330 days
        // later) plus 86,399/86,400 of a day.
        let serial = date_serial(1_795_795_199_000).unwrap();
        assert_eq!(serial.floor(), 46_353.0);
        assert!(((serial - 46_353.0) * 86_400.0 - 86_399.0).abs() < 1e-6);
        // The Unix epoch is 08:00 in the hall. The nearest f64 to a third of
        // a day is a little less, and would read as 07:59:59.99999.
        assert!(!reaches(25_569.0 + 1.0 / 3.0, 25_569, 8 * 3_600_000));
        assert_eq!(date_serial(0), Some((25_569.0_f64 + 1.0 / 3.0).next_up()));
        // Midnight and noon are exact and stay so.
        assert_eq!(date_serial(-OFFSET_MS), Some(25_569.0));
        assert_eq!(date_serial(4 * 3_600_000), Some(25_569.5));
        // 1900-03-01 00:00 in the hall, and a minute before it.
        let march_1900 = (FIRST_DATE_SERIAL - UNIX_EPOCH_SERIAL) * DAY_MS - OFFSET_MS;
        assert_eq!(date_serial(march_1900), Some(61.0));
        assert_eq!(date_serial(march_1900 - 60_000), None);
        assert_eq!(date_serial(i64::MAX), None);
        assert_eq!(date_serial(i64::MIN), None);

        let mut book = Workbook::new();
        book.add_sheet("D")
            .unwrap()
            .push_row([Cell::Date(1_795_795_200_000), Cell::Date(i64::MIN)])
            .unwrap();
        let bytes = book.to_bytes();
        let xml = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(xml.contains("<c r=\"A1\" s=\"2\"><v>46354</v></c>"));
        // Out of Excel's range: the same format, as text.
        assert!(xml.contains("<c r=\"B1\" t=\"s\"><v>0</v></c>"));
        let text = crate::time::local_time(i64::MIN);
        assert!(part(&bytes, "xl/sharedStrings.xml").contains(&format!("<t>{text}</t>")));
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("<numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd hh:mm\"/>"));
        assert!(cell_xfs(&styles)[usize::from(STYLE_DATE)].contains("numFmtId=\"164\""));
    }

    #[test]
    fn date_serials_never_fall_before_the_instant() {
        // Every second of a day, and some odd milliseconds: the serial is the
        // first f64 at or after the instant, so cutting it to whole seconds
        // gives the second it was.
        // 2026-11-27 00:00 in the hall (a day before 2026-11-28 00:00).
        let midnight = 1_795_795_200_000 - DAY_MS;
        let instants =
            (0..86_400)
                .map(|second| second * 1_000)
                .chain([1, 999, 43_200_001, DAY_MS - 1]);
        for time in instants {
            let serial = date_serial(midnight + time).unwrap();
            assert!(reaches(serial, 46_353, time), "{time}");
            assert!(!reaches(serial.next_down(), 46_353, time), "{time}");
            let seconds = ((serial - 46_353.0) * 86_400.0).floor() as i64;
            assert_eq!(seconds, time / 1_000, "{time}");
        }
        // And at both ends of Excel's calendar.
        for (day, time) in [(FIRST_DATE_SERIAL, 1), (LAST_DATE_SERIAL, DAY_MS - 1)] {
            let instant = (day - UNIX_EPOCH_SERIAL) * DAY_MS + time - OFFSET_MS;
            let serial = date_serial(instant).unwrap();
            assert!(reaches(serial, day, time) && !reaches(serial.next_down(), day, time));
        }
    }

    #[test]
    fn conversions() {
        assert_eq!(Cell::from("a"), Cell::Text("a".into()));
        assert_eq!(Cell::from(String::from("b")), Cell::Text("b".into()));
        assert_eq!(Cell::from(&String::from("c")), Cell::Text("c".into()));
        assert_eq!(Cell::from(1.5), Cell::Number(1.5));
        assert_eq!(Cell::from(-3_i64), Cell::Number(-3.0));
        assert_eq!(Cell::from(7_u64), Cell::Number(7.0));
        assert_eq!(Cell::from(8_i32), Cell::Number(8.0));
        assert_eq!(Cell::from(9_u32), Cell::Number(9.0));
        assert_eq!(Cell::from(10_usize), Cell::Number(10.0));
        assert_eq!(Cell::from(true), Cell::Bool(true));
        assert_eq!(Cell::from(None::<i64>), Cell::Empty);
        assert_eq!(Cell::from(Some("d")), Cell::Text("d".into()));
        assert_eq!(Cell::default(), Cell::Empty);
    }

    // -- Sheets. -------------------------------------------------------

    #[test]
    fn header_is_bold_frozen_and_filtered() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("It's 表").unwrap();
        sheet.header(&["窗口", "办件量", "备注"]).unwrap();
        sheet
            .push_row([Cell::from("A01"), Cell::from(3_i64)])
            .unwrap();
        sheet.push_row([Cell::from("A02")]).unwrap();
        let bytes = book.to_bytes();
        let xml = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(xml.contains("<c r=\"A1\" s=\"1\" t=\"s\"><v>0</v></c>"));
        assert!(xml.contains("<c r=\"C1\" s=\"1\" t=\"s\"><v>2</v></c>"));
        assert!(xml.contains("<c r=\"A2\" t=\"s\">"));
        assert!(xml.contains(
            "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
        ));
        assert!(xml.contains("<autoFilter ref=\"A1:C3\"/>"));
        // Order the schema requires.
        let order = [
            "<dimension",
            "<sheetViews",
            "<sheetFormatPr",
            "<sheetData",
            "<autoFilter",
            "<pageMargins",
        ];
        let positions: Vec<usize> = order.iter().map(|tag| xml.find(tag).unwrap()).collect();
        assert!(
            positions.windows(2).all(|pair| pair[0] < pair[1]),
            "{positions:?}"
        );
        let styles = part(&bytes, "xl/styles.xml");
        let bold = &cell_xfs(&styles)[usize::from(STYLE_BOLD)];
        assert!(bold.contains("fontId=\"1\""));
        let fonts: Vec<&str> = styles.split("<font>").skip(1).collect();
        assert!(fonts[1].starts_with("<b/>"));
        assert!(part(&bytes, "xl/workbook.xml").contains(
            "<definedNames><definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" \
             hidden=\"1\">'It''s 表'!$A$1:$C$3</definedName></definedNames>"
        ));
    }

    #[test]
    fn a_later_header_moves_the_freeze() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("S").unwrap();
        sheet.push_row(["报表标题"]).unwrap();
        sheet.push_row(Vec::<Cell>::new()).unwrap();
        sheet.header(&["a", "b"]).unwrap();
        assert_eq!(sheet.row_count(), 3);
        let xml = sheet_xml(&book, 1);
        assert!(xml.contains("<pane ySplit=\"3\" topLeftCell=\"A4\""));
        assert!(xml.contains("<autoFilter ref=\"A3:B3\"/>"));
        assert!(xml.contains("<c r=\"A1\" t=\"s\">"));
    }

    #[test]
    fn no_header_no_freeze_no_filter() {
        let mut book = Workbook::new();
        book.add_sheet("S").unwrap().push_row(["a"]).unwrap();
        let xml = sheet_xml(&book, 1);
        assert!(!xml.contains("<pane"));
        assert!(!xml.contains("<autoFilter"));
        assert!(!part(&book.to_bytes(), "xl/workbook.xml").contains("definedName"));
    }

    #[test]
    fn column_widths() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("W").unwrap();
        sheet
            .push_row([
                Cell::from("短"),
                Cell::from("0123456789"),
                Cell::from("一二三四五六七八九十"),
                Cell::from("x"),
                Cell::from("x".repeat(500)),
                Cell::Date(0),
                Cell::from("0123456789"),
            ])
            .unwrap();
        sheet.set_column_width(3, 30.0).unwrap();
        sheet.set_column_width(9, 1000.0).unwrap();
        let xml = sheet_xml(&book, 1);
        let cols = &xml[xml.find("<cols>").unwrap()..xml.find("</cols>").unwrap()];
        assert_eq!(
            cols,
            "<cols>\
             <col min=\"2\" max=\"2\" width=\"11\" customWidth=\"1\"/>\
             <col min=\"3\" max=\"3\" width=\"21\" customWidth=\"1\"/>\
             <col min=\"4\" max=\"4\" width=\"30\" customWidth=\"1\"/>\
             <col min=\"5\" max=\"5\" width=\"60\" customWidth=\"1\"/>\
             <col min=\"6\" max=\"6\" width=\"17\" customWidth=\"1\"/>\
             <col min=\"7\" max=\"7\" width=\"11\" customWidth=\"1\"/>\
             <col min=\"10\" max=\"10\" width=\"255\" customWidth=\"1\"/>"
        );
        assert!(xml.find("</cols>").unwrap() < xml.find("<sheetData>").unwrap());

        // Equal neighbours share a <col>; a bold header with a filter button is wider.
        let mut book = Workbook::new();
        let sheet = book.add_sheet("W").unwrap();
        sheet.header(&["办件编号"]).unwrap();
        sheet.push_row(["x"]).unwrap();
        sheet.set_column_width(1, 12.5).unwrap();
        sheet.set_column_width(2, 12.5).unwrap();
        let xml = sheet_xml(&book, 1);
        assert!(xml.contains(
            "<cols><col min=\"1\" max=\"1\" width=\"11.8\" customWidth=\"1\"/>\
             <col min=\"2\" max=\"3\" width=\"12.5\" customWidth=\"1\"/></cols>"
        ));

        // Nothing wider than the default: no <cols>.
        let mut book = Workbook::new();
        book.add_sheet("W").unwrap().push_row(["abc"]).unwrap();
        assert!(!sheet_xml(&book, 1).contains("<cols>"));
    }

    #[test]
    fn column_width_errors() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("W").unwrap();
        assert_eq!(
            sheet.set_column_width(MAX_COLUMNS, 10.0),
            Err(XlsxError::ColumnOutOfRange {
                column: MAX_COLUMNS
            })
        );
        assert_eq!(
            sheet.set_column_width(2, f64::NAN),
            Err(XlsxError::InvalidWidth { column: 2 })
        );
        sheet.set_column_width(MAX_COLUMNS - 1, -4.0).unwrap();
        assert!(sheet_xml(&book, 1).contains("<col min=\"16384\" max=\"16384\" width=\"0\""));
    }

    #[test]
    fn sheet_names_follow_excel_rules() {
        let mut book = Workbook::new();
        let thirty_one = "表".repeat(31);
        book.add_sheet(&thirty_one).unwrap();
        book.add_sheet("Sheet1").unwrap();
        book.add_sheet("It's").unwrap();
        book.add_sheet("Straße").unwrap();
        let name = |name: &str| name.to_owned();
        assert_eq!(
            book.add_sheet("").unwrap_err(),
            XlsxError::SheetNameLength { name: name("") }
        );
        assert_eq!(
            book.add_sheet(&"表".repeat(32)).unwrap_err(),
            XlsxError::SheetNameLength {
                name: "表".repeat(32)
            }
        );
        // 16 emoji are 32 UTF-16 units.
        assert!(matches!(
            book.add_sheet(&"😀".repeat(16)),
            Err(XlsxError::SheetNameLength { .. })
        ));
        for (bad, character) in [
            ("a[b", '['),
            ("a]b", ']'),
            ("a:b", ':'),
            ("a*b", '*'),
            ("a?b", '?'),
            ("a/b", '/'),
            ("a\\b", '\\'),
            ("a\tb", '\t'),
            ("a\u{FFFF}", '\u{FFFF}'),
        ] {
            assert_eq!(
                book.add_sheet(bad).unwrap_err(),
                XlsxError::SheetNameCharacter {
                    name: name(bad),
                    character
                }
            );
        }
        for bad in ["'a", "a'", "'"] {
            assert_eq!(
                book.add_sheet(bad).unwrap_err(),
                XlsxError::SheetNameApostrophe { name: name(bad) }
            );
        }
        assert_eq!(
            book.add_sheet("history").unwrap_err(),
            XlsxError::SheetNameReserved {
                name: name("history")
            }
        );
        for duplicate in ["SHEET1", "sheet1", "straße", "STRAßE"] {
            assert_eq!(
                book.add_sheet(duplicate).unwrap_err(),
                XlsxError::DuplicateSheetName {
                    name: name(duplicate)
                }
            );
        }
        assert_eq!(book.sheets().len(), 4);
        assert_eq!(book.sheet_mut("SHEET1").unwrap().name(), "Sheet1");
        assert!(book.sheet_mut("Sheet2").is_none());
        // Names are escaped in the workbook part.
        let mut book = Workbook::new();
        book.add_sheet("R&D <1>").unwrap();
        assert!(
            part(&book.to_bytes(), "xl/workbook.xml").contains("<sheet name=\"R&amp;D &lt;1&gt;\"")
        );
    }

    #[test]
    fn excel_limits_on_rows_and_columns() {
        let mut book = Workbook::new();
        let sheet = book.add_sheet("L").unwrap();
        assert_eq!(
            sheet.push_row(vec![Cell::Empty; MAX_COLUMNS + 1]),
            Err(XlsxError::TooManyColumns {
                sheet: "L".into(),
                row: 1
            })
        );
        assert_eq!(sheet.row_count(), 0);
        // An endless row is refused too, without being collected.
        assert!(sheet.push_row(std::iter::repeat(Cell::Bool(true))).is_err());
        let mut full = vec![Cell::Empty; MAX_COLUMNS];
        full[MAX_COLUMNS - 1] = Cell::from("last");
        sheet.push_row(full).unwrap();
        assert!(sheet_xml(&book, 1).contains("<c r=\"XFD1\" t=\"s\">"));

        let sheet = book.sheet_mut("L").unwrap();
        for _ in 1..MAX_ROWS {
            sheet.push_row(Vec::<Cell>::new()).unwrap();
        }
        assert_eq!(sheet.row_count(), MAX_ROWS);
        assert_eq!(
            sheet.push_row(["one too many"]),
            Err(XlsxError::TooManyRows { sheet: "L".into() })
        );
        assert!(sheet.header(&["x"]).is_err());
        assert_eq!(sheet.row_count(), MAX_ROWS);
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            XlsxError::SheetNameLength {
                name: String::new()
            }
            .to_string(),
            "sheet name \"\" must have 1 to 31 characters"
        );
        assert_eq!(
            XlsxError::SheetNameCharacter {
                name: "a/b".into(),
                character: '/'
            }
            .to_string(),
            "sheet name \"a/b\" holds '/', which Excel does not allow"
        );
        assert_eq!(
            XlsxError::DuplicateSheetName {
                name: "统计".into()
            }
            .to_string(),
            "the workbook already has a sheet named \"统计\""
        );
        assert_eq!(
            XlsxError::TooManyRows { sheet: "S".into() }.to_string(),
            "sheet \"S\" already has 1048576 rows"
        );
        assert_eq!(
            XlsxError::TooManyColumns {
                sheet: "S".into(),
                row: 4
            }
            .to_string(),
            "row 4 of sheet \"S\" has more than 16384 cells"
        );
        assert_eq!(
            XlsxError::ColumnOutOfRange { column: 20_000 }.to_string(),
            "column index 20000 is beyond the last column (16383)"
        );
    }
}
