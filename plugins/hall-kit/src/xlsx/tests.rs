//! Tests of the writer, reading its output back with [`super::unzip`].

use super::deflate::{Deflater, LOOKAHEAD, WINDOW, deflate};
use super::sheet::{
    DAY_MS, FIRST_DATE_SERIAL, LAST_DATE_SERIAL, UNIX_EPOCH_SERIAL, date_serial, push_cell_ref,
    push_column_name, push_number, reaches,
};
use super::text::clean_text;
use super::unzip::{inflate, part, u16_at, unzip, unzip_entries};
use super::zip::{METHOD_DEFLATED, VERSION_ZIP64, crc32};
use super::*;
use crate::time::OFFSET_MS;

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
    assert!(sheet_xml(&book, 1).contains("<sheetView tabSelected=\"1\" workbookViewId=\"0\"/>"));
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
        part(&bytes, "xl/sharedStrings.xml")
            .contains("count=\"4\" uniqueCount=\"2\"><si><t>甲</t></si><si><t>乙</t></si></sst>")
    );
    assert!(part(&bytes, "xl/worksheets/sheet1.xml").contains(
        "<c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c><c r=\"C1\" t=\"s\"><v>0</v></c>"
    ));
    assert!(part(&bytes, "xl/worksheets/sheet2.xml").contains("<c r=\"A1\" t=\"s\"><v>1</v></c>"));
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
        part(&bytes, "xl/worksheets/sheet1.xml").contains("<c r=\"A1\" s=\"3\"><v>0.975</v></c>")
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
