//! Reading workbooks people upload (`.xlsx` from Excel or WPS; feature
//! `workbook`): every
//! sheet's cells as [`Value`]s, row 0 being the sheet's first row, so a
//! caller can name a wrong cell by the row number Excel shows (index + 1).
//!
//! The bytes are untrusted: the caller bounds their size; a sheet wider
//! than [`MAX_COLUMNS`] or longer than [`MAX_ROWS`] is refused, and a file
//! that is not a workbook is a clear error, never a panic.

use std::io::Cursor;

use super::sheet::Value;
use calamine::{Data, Reader, Xlsx};

/// The most rows a sheet may have.
pub const MAX_ROWS: u32 = 20_000;
/// The most columns a sheet may have.
pub const MAX_COLUMNS: u32 = 100;

/// Why a workbook could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    NotWorkbook(String),
    TooLarge {
        sheet: String,
        limit: u32,
        what: &'static str,
    },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotWorkbook(why) => {
                write!(
                    f,
                    "不是有效的 Excel 工作簿（.xlsx） / not an .xlsx workbook: {why}"
                )
            }
            ReadError::TooLarge { sheet, limit, what } => write!(
                f,
                "工作表“{sheet}”超过 {limit} {what} / sheet {sheet:?} has more than {limit} {what}"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// One sheet: its name and rows.
pub type Sheet = (String, Vec<Vec<Value>>);

fn value(d: &Data) -> Value {
    match d {
        Data::Empty => Value::Empty,
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Text(s.clone()),
        Data::DateTime(t) => Value::Number(t.as_f64()),
        Data::Error(e) => Value::Text(format!("#{e:?}")),
    }
}

/// Every sheet of an `.xlsx` workbook, in workbook order.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<Sheet>, ReadError> {
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| ReadError::NotWorkbook(e.to_string()))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| ReadError::NotWorkbook(e.to_string()))?;
        let (Some((first_row, first_col)), Some((last_row, last_col))) =
            (range.start(), range.end())
        else {
            sheets.push((name, Vec::new()));
            continue;
        };
        if last_row >= MAX_ROWS {
            return Err(ReadError::TooLarge {
                sheet: name,
                limit: MAX_ROWS,
                what: "行 / rows",
            });
        }
        if last_col >= MAX_COLUMNS {
            return Err(ReadError::TooLarge {
                sheet: name,
                limit: MAX_COLUMNS,
                what: "列 / columns",
            });
        }
        // Rows and columns before the used range are empty: pad them so
        // that indices are the sheet's own.
        let width = last_col as usize + 1;
        let mut rows = vec![vec![Value::Empty; width]; first_row as usize];
        for r in range.rows() {
            let mut row = vec![Value::Empty; first_col as usize];
            row.extend(r.iter().map(value));
            rows.push(row);
        }
        sheets.push((name, rows));
    }
    Ok(sheets)
}

/// Reads an uploaded catalogue workbook: its 事项 sheet and, when present,
/// its X类窗口 sheet, parsed by [`super::sheet::parse`]. An unreadable
/// file or a missing 事项 sheet is one problem for the whole workbook.
pub fn catalogue(bytes: &[u8]) -> Result<super::Catalogue, Vec<super::sheet::SheetProblem>> {
    use super::sheet::{self, SheetProblem};
    let whole = |message: String| {
        vec![SheetProblem {
            sheet: String::new(),
            row: 0,
            column: None,
            field: None,
            message,
        }]
    };
    let sheets = read_xlsx(bytes).map_err(|e| whole(e.to_string()))?;
    let find = |name: &str| sheets.iter().find(|(n, _)| n.trim() == name);
    let Some((_, items)) = find(sheet::ITEMS_SHEET) else {
        return Err(whole(format!(
            "工作簿中没有名为“{}”的工作表（可先导出一份作为模板） / the workbook has no sheet named {:?}",
            sheet::ITEMS_SHEET,
            sheet::ITEMS_SHEET
        )));
    };
    let categories = find(sheet::CATEGORIES_SHEET).map(|(_, rows)| rows.as_slice());
    sheet::parse(items, categories)
}
