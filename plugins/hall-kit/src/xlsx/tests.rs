//! Tests of the workbook model and of the files `rust_xlsxwriter` writes
//! for it, read back with independent readers: values, sheet names and
//! styles with calamine, the worksheet XML (frozen pane, autofilter,
//! column widths) straight from the ZIP with the `zip` crate.

use std::io::{Cursor, Read};

use calamine::{Data, Range, Reader, Xlsx};

use super::sheet::{
    DAY_MS, FIRST_DATE_SERIAL, LAST_DATE_SERIAL, UNIX_EPOCH_SERIAL, date_serial, reaches,
};
use super::text::clean_text;
use super::*;
use crate::time::OFFSET_MS;

/// The workbook opened with calamine.
fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(bytes.to_vec())).unwrap()
}

/// The values of a sheet, as calamine reads them.
fn values(book: &Workbook, sheet: &str) -> Range<Data> {
    open(&book.to_bytes().unwrap())
        .worksheet_range(sheet)
        .unwrap()
}

/// The value at a row and column (both from 0), `Data::Empty` when none.
fn at(range: &Range<Data>, row: u32, column: u32) -> Data {
    range
        .get_value((row, column))
        .cloned()
        .unwrap_or(Data::Empty)
}

/// The text of a value read as a string.
fn text(value: Data) -> String {
    match value {
        Data::String(text) => text,
        other => panic!("not text: {other:?}"),
    }
}

/// A part of the file, read with the `zip` crate.
fn part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

/// The XML of the `number`th sheet (from 1).
fn sheet_xml(book: &Workbook, number: usize) -> String {
    part(
        &book.to_bytes().unwrap(),
        &format!("xl/worksheets/sheet{number}.xml"),
    )
}

/// Whether the cell at a row and column of a sheet is bold.
fn is_bold(bytes: &[u8], sheet: &str, row: u32, column: u32) -> bool {
    open(bytes)
        .worksheet_style(sheet)
        .unwrap()
        .get((row, column))
        .and_then(|style| style.font.as_ref())
        .is_some_and(|font| font.is_bold())
}

/// The number format of the cell at a row and column of a sheet.
fn number_format(bytes: &[u8], sheet: &str, row: u32, column: u32) -> Option<String> {
    open(bytes)
        .worksheet_style(sheet)
        .unwrap()
        .get((row, column))
        .and_then(|style| style.number_format.as_ref())
        .map(|format| format.format_code.clone())
}

/// The value of `attribute="…"` in an XML element.
fn attribute<'a>(element: &'a str, attribute: &str) -> Option<&'a str> {
    let start = element.find(&format!(" {attribute}=\""))? + attribute.len() + 3;
    let length = element[start..].find('"')?;
    Some(&element[start..start + length])
}

/// The `<col>` elements of a sheet: first and last column (from 1), the
/// width in pixels, and whether the columns are hidden.
fn cols(xml: &str) -> Vec<(u32, u32, f64, bool)> {
    xml.split("<col ")
        .skip(1)
        .map(|element| {
            let element = format!(" {}", &element[..element.find("/>").unwrap()]);
            let number = |name| attribute(&element, name).unwrap().parse::<f64>().unwrap();
            (
                number("min") as u32,
                number("max") as u32,
                // The XML holds the width with the cell padding, in
                // characters of 7 pixels.
                (number("width") * 7.0).round(),
                attribute(&element, "hidden") == Some("1"),
            )
        })
        .collect()
}

/// The pixels Excel gives a column `width` characters wide in the default
/// font (Calibri 11: 7 pixels a digit, and 5 of padding).
fn pixels(width: f64) -> f64 {
    (width * 7.0).round() + 5.0
}

// -- The file. -----------------------------------------------------

#[test]
fn sheets_read_back_in_order() {
    let mut book = Workbook::new();
    book.add_sheet("一").unwrap().push_row(["x", "甲"]).unwrap();
    book.add_sheet("二")
        .unwrap()
        .push_row([Cell::Number(1.0), Cell::from("甲")])
        .unwrap();
    let bytes = book.to_bytes().unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let mut file = open(&bytes);
    assert_eq!(file.sheet_names(), ["一", "二"]);
    let first = file.worksheet_range("一").unwrap();
    assert_eq!(at(&first, 0, 0), Data::String("x".into()));
    assert_eq!(at(&first, 0, 1), Data::String("甲".into()));
    let second = file.worksheet_range("二").unwrap();
    assert_eq!(at(&second, 0, 0), Data::Float(1.0));
    assert_eq!(at(&second, 0, 1), Data::String("甲".into()));
    // The first sheet is the one shown on opening.
    assert!(part(&bytes, "xl/worksheets/sheet1.xml").contains("tabSelected=\"1\""));
    assert!(!part(&bytes, "xl/worksheets/sheet2.xml").contains("tabSelected"));
}

#[test]
fn an_empty_workbook_has_one_empty_sheet() {
    let bytes = Workbook::new().to_bytes().unwrap();
    let mut file = open(&bytes);
    assert_eq!(file.sheet_names(), ["Sheet1"]);
    assert!(file.worksheet_range("Sheet1").unwrap().is_empty());
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
    let bytes = book.to_bytes().unwrap();
    let range = open(&bytes).worksheet_range("明细").unwrap();
    assert_eq!(range.get_size(), (10_001, 6));
    assert_eq!(at(&range, 0, 5), Data::String("办结".into()));
    for i in [0_u32, 1, 4_999, 9_999] {
        let row = i + 1;
        let n = i64::from(i);
        assert_eq!(text(at(&range, row, 0)), format!("Q{i:05}"));
        assert_eq!(text(at(&range, row, 1)), format!("{}号窗口", n % 12 + 1));
        assert_eq!(at(&range, row, 2), Data::Float(f64::from(i) / 4.0));
        assert_eq!(at(&range, row, 3), Data::Float((n % 100) as f64 / 100.0));
        let Data::DateTime(date) = at(&range, row, 4) else {
            panic!("row {row} has no date");
        };
        assert_eq!(
            Some(date.as_f64()),
            date_serial(1_795_795_199_000 - n * 60_000)
        );
        assert_eq!(at(&range, row, 5), Data::Bool(i % 2 == 0));
    }
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert_eq!(xml.matches("<row ").count(), 10_001);
    assert!(xml.contains("<autoFilter ref=\"A1:F10001\"/>"));
}

// -- Cells. --------------------------------------------------------

#[test]
fn cells_land_where_they_were_pushed() {
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
    let range = values(&book, "S");
    assert_eq!(at(&range, 0, 0), Data::String("a".into()));
    assert_eq!(at(&range, 1, 0), Data::Empty);
    assert_eq!(at(&range, 1, 1), Data::Bool(true));
    assert_eq!(at(&range, 1, 3), Data::Bool(false));
    // Column AA.
    assert_eq!(at(&range, 1, 26), Data::Float(7.0));
    assert!((0..27).all(|column| at(&range, 2, column) == Data::Empty));
    assert_eq!(at(&range, 3, 1), Data::String("c".into()));
    // Trailing empty cells do not widen the range: A1:AA4.
    assert_eq!((range.start(), range.end()), (Some((0, 0)), Some((3, 26))));
    let xml = sheet_xml(&book, 1);
    // Empty rows are left out.
    assert!(!xml.contains("<row r=\"3\""));
    assert!(xml.contains("<c r=\"AA2\""));
}

#[test]
fn text_reads_back_cleaned() {
    let given = [
        "<&>\"'",
        "中文：办件 ✓",
        "a\u{1}b\u{FFFE}c\u{0}",
        "_x0041_ and x_x00_",
        " padded ",
        "line\r\nnext\tcol",
        "=SUM(A1:A2)",
        "\u{7}",
        "",
        "end",
    ];
    let mut book = Workbook::new();
    book.add_sheet("T").unwrap().push_row(given).unwrap();
    let bytes = book.to_bytes().unwrap();
    let mut file = open(&bytes);
    let range = file.worksheet_range("T").unwrap();
    let read: Vec<Data> = (0..10).map(|column| at(&range, 0, column)).collect();
    let text = |value: &str| Data::String(value.into());
    assert_eq!(
        read,
        [
            text("<&>\"'"),
            text("中文：办件 ✓"),
            // What XML cannot hold is removed.
            text("abc"),
            // Excel's escapes are escaped in turn.
            text("_x0041_ and x_x00_"),
            text(" padded "),
            text("line\r\nnext\tcol"),
            // Text, not a formula.
            text("=SUM(A1:A2)"),
            // Text left empty by cleaning is an empty cell.
            Data::Empty,
            Data::Empty,
            text("end"),
        ]
    );
    assert_eq!(file.worksheet_formula("T").unwrap().used_cells().count(), 0);
    assert!(!part(&bytes, "xl/worksheets/sheet1.xml").contains("<f>"));
}

#[test]
fn text_that_looks_like_rich_text_stays_text() {
    // rust_xlsxwriter takes `<r>…</r>` for the markup of a rich string.
    let given = [
        "<r>plain</r>",
        "<r><t>run</t></r>",
        "<r>& _x0041_ <b>\r</r>",
        "<r></si></sst></r>",
    ];
    let mut book = Workbook::new();
    let sheet = book.add_sheet("R").unwrap();
    sheet.header(&given).unwrap();
    sheet.push_row(given).unwrap();
    let bytes = book.to_bytes().unwrap();
    let range = open(&bytes).worksheet_range("R").unwrap();
    for row in 0..2 {
        for (column, expected) in (0..).zip(given) {
            assert_eq!(text(at(&range, row, column)), expected, "{row}, {column}");
        }
    }
    // The header stays bold.
    assert!(is_bold(&bytes, "R", 0, 0));
    assert!(!is_bold(&bytes, "R", 1, 0));
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

    // As written: the longest text, and the same length looking like rich
    // text, whose markup would pass the limit (it loses its final `>`).
    let rich = format!("<r>{}</r>", "&".repeat(MAX_CELL_CHARS - 7));
    let mut book = Workbook::new();
    book.add_sheet("L")
        .unwrap()
        .push_row([Cell::from("中".repeat(40_000)), Cell::from(rich.as_str())])
        .unwrap();
    let range = values(&book, "L");
    assert_eq!(text(at(&range, 0, 0)), "中".repeat(MAX_CELL_CHARS));
    assert_eq!(text(at(&range, 0, 1)), rich[..rich.len() - 1]);
}

#[test]
fn numbers() {
    let given = [
        0.0,
        -0.0,
        42.0,
        -1.25,
        0.1 + 0.2,
        123_456_789_012_345.0,
        1.5e20,
        -2e-7,
        f64::MAX,
        f64::MIN_POSITIVE,
    ];
    let mut book = Workbook::new();
    let sheet = book.add_sheet("N").unwrap();
    sheet.push_row(given).unwrap();
    sheet
        .push_row([
            Cell::Number(f64::NAN),
            Cell::Number(f64::INFINITY),
            Cell::Percent(f64::NEG_INFINITY),
            Cell::Number(3.5),
        ])
        .unwrap();
    let range = values(&book, "N");
    for (column, number) in (0..).zip(given) {
        let Data::Float(read) = at(&range, 0, column) else {
            panic!("column {column} has no number");
        };
        assert_eq!(read.to_bits(), (number + 0.0).to_bits(), "{number}");
    }
    // -0 is written as 0.
    assert!(matches!(at(&range, 0, 1), Data::Float(zero) if zero.is_sign_positive()));
    // NaN and infinities are empty cells.
    assert_eq!(
        (0..4)
            .map(|column| at(&range, 1, column))
            .collect::<Vec<_>>(),
        [Data::Empty, Data::Empty, Data::Empty, Data::Float(3.5)]
    );
}

#[test]
fn percent_cells_use_the_percent_format() {
    let mut book = Workbook::new();
    book.add_sheet("P")
        .unwrap()
        .push_row([Cell::Percent(0.975), Cell::Percent(-0.0), Cell::Number(0.5)])
        .unwrap();
    let bytes = book.to_bytes().unwrap();
    let range = open(&bytes).worksheet_range("P").unwrap();
    assert_eq!(at(&range, 0, 0), Data::Float(0.975));
    assert!(matches!(at(&range, 0, 1), Data::Float(zero) if zero.is_sign_positive()));
    assert_eq!(number_format(&bytes, "P", 0, 0).as_deref(), Some("0.0%"));
    assert_eq!(number_format(&bytes, "P", 0, 1).as_deref(), Some("0.0%"));
    assert_ne!(number_format(&bytes, "P", 0, 2).as_deref(), Some("0.0%"));
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
        .push_row([
            Cell::Date(1_795_795_200_000),
            Cell::Date(i64::MIN),
            Cell::Date(0),
        ])
        .unwrap();
    let bytes = book.to_bytes().unwrap();
    let range = open(&bytes).worksheet_range("D").unwrap();
    let serial_at = |column| match at(&range, 0, column) {
        Data::DateTime(date) => date.as_f64(),
        other => panic!("not a date: {other:?}"),
    };
    assert_eq!(serial_at(0), 46_354.0);
    // The serial reads back exactly, so it stays at or after the instant.
    assert_eq!(
        serial_at(2).to_bits(),
        (25_569.0_f64 + 1.0 / 3.0).next_up().to_bits()
    );
    let format = number_format(&bytes, "D", 0, 0);
    assert_eq!(format.as_deref(), Some("yyyy-mm-dd hh:mm"));
    // Out of Excel's range: the same format, as text.
    assert_eq!(
        at(&range, 0, 1),
        Data::String(crate::time::local_time(i64::MIN))
    );
}

#[test]
fn date_serials_never_fall_before_the_instant() {
    // Every second of a day, and some odd milliseconds: the serial is the
    // first f64 at or after the instant, so cutting it to whole seconds
    // gives the second it was.
    // 2026-11-27 00:00 in the hall (a day before 2026-11-28 00:00).
    let midnight = 1_795_795_200_000 - DAY_MS;
    let instants = (0..86_400)
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
    let bytes = book.to_bytes().unwrap();
    let range = open(&bytes).worksheet_range("It's 表").unwrap();
    assert_eq!(at(&range, 0, 2), Data::String("备注".into()));
    assert_eq!(at(&range, 1, 1), Data::Float(3.0));
    for column in 0..3 {
        assert!(is_bold(&bytes, "It's 表", 0, column), "column {column}");
    }
    assert!(!is_bold(&bytes, "It's 表", 1, 0));
    assert!(!is_bold(&bytes, "It's 表", 1, 1));
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<pane ySplit=\"1\" topLeftCell=\"A2\""));
    assert!(xml.contains("state=\"frozen\""));
    assert!(xml.contains("<autoFilter ref=\"A1:C3\"/>"));
    // Excel keeps a hidden name for each autofilter.
    assert!(part(&bytes, "xl/workbook.xml").contains(
        "<definedName name=\"_xlnm._FilterDatabase\" localSheetId=\"0\" \
         hidden=\"1\">'It''s 表'!$A$1:$C$3</definedName>"
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
    let bytes = book.to_bytes().unwrap();
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<pane ySplit=\"3\" topLeftCell=\"A4\""));
    assert!(xml.contains("<autoFilter ref=\"A3:B3\"/>"));
    assert!(!is_bold(&bytes, "S", 0, 0));
    assert!(is_bold(&bytes, "S", 2, 0));
}

#[test]
fn a_header_on_the_last_row_is_filtered_not_frozen() {
    let mut book = Workbook::new();
    let sheet = book.add_sheet("S").unwrap();
    for _ in 1..MAX_ROWS {
        sheet.push_row(Vec::<Cell>::new()).unwrap();
    }
    sheet.header(&["a"]).unwrap();
    let xml = sheet_xml(&book, 1);
    assert!(!xml.contains("<pane"));
    assert!(xml.contains("<autoFilter ref=\"A1048576\"/>"));
}

#[test]
fn no_header_no_freeze_no_filter() {
    let mut book = Workbook::new();
    book.add_sheet("S").unwrap().push_row(["a"]).unwrap();
    let bytes = book.to_bytes().unwrap();
    let xml = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(!xml.contains("<pane"));
    assert!(!xml.contains("<autoFilter"));
    assert!(!part(&bytes, "xl/workbook.xml").contains("_FilterDatabase"));
    assert!(!is_bold(&bytes, "S", 0, 0));
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
    // The content and a character of margin (CJK counts two), at most 60;
    // nothing for columns no wider than the default.
    assert_eq!(
        cols(&sheet_xml(&book, 1)),
        [
            (2, 2, pixels(11.0), false),
            (3, 3, pixels(21.0), false),
            (4, 4, pixels(30.0), false),
            (5, 5, pixels(60.0), false),
            (6, 6, pixels(17.0), false),
            (7, 7, pixels(11.0), false),
            (10, 10, pixels(MAX_COLUMN_WIDTH), false),
        ]
    );

    // A bold header with a filter button is wider; equal neighbours may
    // share a <col>.
    let mut book = Workbook::new();
    let sheet = book.add_sheet("W").unwrap();
    sheet.header(&["办件编号"]).unwrap();
    sheet.push_row(["x"]).unwrap();
    sheet.set_column_width(1, 12.5).unwrap();
    sheet.set_column_width(2, 12.5).unwrap();
    assert_eq!(
        cols(&sheet_xml(&book, 1)),
        [(1, 1, pixels(11.8), false), (2, 3, pixels(12.5), false)]
    );

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
    assert_eq!(
        sheet.set_column_width(2, f64::INFINITY),
        Err(XlsxError::InvalidWidth { column: 2 })
    );
    // Clamped to 0, which hides the column.
    sheet.set_column_width(MAX_COLUMNS - 1, -4.0).unwrap();
    assert_eq!(cols(&sheet_xml(&book, 1)), [(16_384, 16_384, 0.0, true)]);
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
    // Every name the rules let through is one the writer takes, and reads
    // back as it was given.
    book.add_sheet("R&D <1>").unwrap();
    assert_eq!(
        open(&book.to_bytes().unwrap()).sheet_names(),
        [thirty_one.as_str(), "Sheet1", "It's", "Straße", "R&D <1>"]
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
    // Column XFD, the last.
    let range = values(&book, "L");
    assert_eq!(at(&range, 0, 16_383), Data::String("last".into()));

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
    assert_eq!(
        XlsxError::Write("disk full".into()).to_string(),
        "the workbook could not be written: disk full"
    );
}
