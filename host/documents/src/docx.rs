//! DOCX in the manner of a 公文 (GB/T 9704): A4 with its margins, the title
//! in a large serif, level-1 headings in 黑体, level-2 in 楷体, body text in
//! 宋体 at 16 pt (三号) with the first line indented two characters,
//! headings numbered 一、（一）1., tables in 10.5 pt (五号) whose header row
//! repeats on every page and whose rows never split, charts as pictures,
//! and the page number as "— n —" in the footer. Word, WPS and LibreOffice
//! substitute their own fonts for the names given.

use std::io::{Cursor, Read, Write};

use bantong_hall_kit::document::{Block, Cell, Document, Numbering};
use docx_rs::{
    AlignmentType, BreakType, Docx, FieldCharType, Footer, InstrPAGE, InstrText, LineSpacing,
    LineSpacingType, PageMargin, Paragraph, Pic, Run, RunFonts, SpecialIndentType, Table,
    TableCell, TableRow, WidthType,
};

use crate::{DocError, Fonts, chart};

/// Half-points: 三号 16 pt, 四号 14 pt, 五号 10.5 pt, 二号 22 pt.
const BODY: usize = 32;
const FOOTER: usize = 28;
const TABLE: usize = 21;
const TITLE: usize = 44;
/// Twips of the text width: A4 (11906) less 28 mm and 26 mm.
const TEXT_WIDTH: usize = 11906 - 1588 - 1474;

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(east_asia)
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn run(text: &str, face: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(face)).size(size)
}

fn exact(twips: i32) -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(twips)
}

fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, "宋体", BODY))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .line_spacing(exact(580))
        .align(AlignmentType::Both)
}

fn centred(text: &str, face: &str, size: usize, bold: bool) -> Paragraph {
    let mut r = run(text, face, size);
    if bold {
        r = r.bold();
    }
    Paragraph::new().add_run(r).align(AlignmentType::Center)
}

fn page_break() -> Paragraph {
    Paragraph::new().add_run(Run::new().add_break(BreakType::Page))
}

fn cell(text: &str, header: bool, right: bool) -> TableCell {
    let mut r = run(text, if header { "黑体" } else { "宋体" }, TABLE);
    if header {
        r = r.bold();
    }
    let align = if header {
        AlignmentType::Center
    } else if right {
        AlignmentType::Right
    } else {
        AlignmentType::Left
    };
    TableCell::new().add_paragraph(Paragraph::new().add_run(r).align(align))
}

fn table(columns: &[String], rows: &[Vec<Cell>]) -> Table {
    let head = TableRow::new(columns.iter().map(|c| cell(c, true, false)).collect()).cant_split();
    let mut all = vec![head];
    for row in rows {
        let tr = TableRow::new(
            row.iter()
                .map(|c| cell(&c.text(), false, matches!(c, Cell::Number(_))))
                .collect(),
        );
        // A short row never splits across pages; a long one (more than a
        // page could hold in a narrow column) must, or Word clips it.
        let long = row.iter().any(|c| c.text().chars().count() > 400);
        all.push(if long { tr } else { tr.cant_split() });
    }
    Table::new(all).width(TEXT_WIDTH, WidthType::Dxa)
}

fn footer() -> Footer {
    Footer::new().add_paragraph(
        Paragraph::new()
            .add_run(run("— ", "宋体", FOOTER))
            .add_run(Run::new().add_field_char(FieldCharType::Begin, false))
            .add_run(
                Run::new()
                    .add_instr_text(InstrText::PAGE(InstrPAGE::new()))
                    .size(FOOTER),
            )
            .add_run(Run::new().add_field_char(FieldCharType::Separate, false))
            .add_run(run("1", "宋体", FOOTER))
            .add_run(Run::new().add_field_char(FieldCharType::End, false))
            .add_run(run(" —", "宋体", FOOTER))
            .align(AlignmentType::Center),
    )
}

pub fn render(
    doc: &Document,
    fonts_in: &Fonts,
    pictures: &crate::Pictures,
) -> Result<Vec<u8>, DocError> {
    let glyphs = fonts_in.sans.glyphs()?;
    let mut d = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(2098)
                .bottom(1984)
                .left(1588)
                .right(1474)
                .footer(1000),
        )
        .default_fonts(fonts("宋体"))
        .default_size(BODY)
        .footer(footer());
    if doc.cover {
        for _ in 0..6 {
            d = d.add_paragraph(Paragraph::new());
        }
        d = d.add_paragraph(centred(&doc.title, "宋体", TITLE, true));
        if let Some(s) = &doc.subtitle {
            d = d.add_paragraph(centred(s, "楷体", BODY, false));
        }
        for _ in 0..10 {
            d = d.add_paragraph(Paragraph::new());
        }
        if let Some(i) = &doc.issuer {
            d = d.add_paragraph(centred(i, "黑体", BODY, false));
        }
        if let Some(date) = &doc.date {
            d = d.add_paragraph(centred(date, "宋体", BODY, false));
        }
        d = d.add_paragraph(page_break());
    }
    d = d.add_paragraph(centred(&doc.title, "宋体", TITLE, true).line_spacing(exact(900)));
    if !doc.cover
        && let Some(s) = &doc.subtitle
    {
        d = d.add_paragraph(centred(s, "楷体", BODY, false));
    }
    let mut numbering = Numbering::default();
    for block in &doc.blocks {
        match block {
            Block::Heading { level, text } => {
                let face = match level {
                    1 => "黑体",
                    2 => "楷体",
                    _ => "仿宋",
                };
                let label = format!("{}{text}", numbering.next(*level));
                let mut r = run(&label, face, BODY);
                if *level == 3 {
                    r = r.bold();
                }
                d = d.add_paragraph(
                    Paragraph::new()
                        .add_run(r)
                        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
                        .line_spacing(exact(580)),
                );
            }
            Block::Paragraph { text } => {
                for line in text.split('\n') {
                    d = d.add_paragraph(body(line));
                }
            }
            Block::Table {
                title,
                columns,
                rows,
            } => {
                if let Some(t) = title {
                    d = d.add_paragraph(centred(t, "黑体", TABLE + 3, false));
                }
                d = d.add_table(table(columns, rows));
                d = d.add_paragraph(Paragraph::new());
            }
            Block::Figures { title, items } => {
                if let Some(t) = title {
                    d = d.add_paragraph(centred(t, "黑体", TABLE + 3, false));
                }
                let (columns, rows) = bantong_hall_kit::document::NamedFigure::table(items);
                d = d.add_table(table(&columns, &rows));
                d = d.add_paragraph(Paragraph::new());
            }
            Block::Chart(c) => {
                let png = chart::png(c, &glyphs)?;
                // 15 cm wide at 16:9.
                let pic = Pic::new(&png).size(5_400_000, 3_037_500);
                d = d.add_paragraph(
                    Paragraph::new()
                        .add_run(Run::new().add_image(pic))
                        .align(AlignmentType::Center),
                );
            }
            Block::Image { sha256, caption } => {
                let prepared = pictures
                    .get(sha256)
                    .ok_or_else(|| "图片不存在或无权读取".to_owned())
                    .and_then(|b| crate::picture::prepare(b, 1000, crate::picture::Encoding::Png));
                match prepared {
                    Ok(p) => {
                        // At most 15 cm wide and 10 cm high, keeping its shape.
                        let (max_w, max_h) = (5_400_000.0_f64, 3_600_000.0_f64);
                        let ratio = f64::from(p.height) / f64::from(p.width.max(1));
                        let (mut w, mut h) = (max_w, max_w * ratio);
                        if h > max_h {
                            h = max_h;
                            w = h / ratio;
                        }
                        let pic = Pic::new_with_dimensions(p.bytes, p.width, p.height)
                            .size(w as u32, h as u32);
                        d = d.add_paragraph(
                            Paragraph::new()
                                .add_run(Run::new().add_image(pic))
                                .align(AlignmentType::Center),
                        );
                    }
                    Err(why) => d = d.add_paragraph(body(&crate::missing_picture(&why))),
                }
                if let Some(c) = caption {
                    d = d.add_paragraph(centred(c, "楷体", TABLE + 1, false));
                }
            }
            Block::PageBreak => d = d.add_paragraph(page_break()),
        }
    }
    if let Some(i) = &doc.issuer {
        d = d.add_paragraph(Paragraph::new());
        d = d.add_paragraph(
            Paragraph::new()
                .add_run(run(i, "宋体", BODY))
                .align(AlignmentType::Right),
        );
        if let Some(date) = &doc.date {
            d = d.add_paragraph(
                Paragraph::new()
                    .add_run(run(date, "宋体", BODY))
                    .align(AlignmentType::Right),
            );
        }
    }
    let mut out = Cursor::new(Vec::new());
    d.build()
        .pack(&mut out)
        .map_err(|e| DocError::Render(format!("docx: {e}")))?;
    repeat_header_rows(&out.into_inner())
}

/// Marks the first row of every table as a header row (`w:tblHeader`),
/// which the DOCX writer has no call for: Word then repeats it at the top
/// of each page the table spans.
fn repeat_header_rows(docx: &[u8]) -> Result<Vec<u8>, DocError> {
    let fail = |e: &dyn std::fmt::Display| DocError::Render(format!("docx: {e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(docx)).map_err(|e| fail(&e))?;
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options: zip::write::SimpleFileOptions = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).map_err(|e| fail(&e))?;
        let name = file.name().to_owned();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| fail(&e))?;
        if name == "word/document.xml" {
            let xml = String::from_utf8(bytes).map_err(|e| fail(&e))?;
            bytes = mark_header_rows(&xml).into_bytes();
        }
        out.start_file(name, options).map_err(|e| fail(&e))?;
        out.write_all(&bytes).map_err(|e| fail(&e))?;
    }
    Ok(out.finish().map_err(|e| fail(&e))?.into_inner())
}

/// Inserts `<w:tblHeader />` into the row properties of each table's
/// first row (tables are not nested here).
fn mark_header_rows(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + 64);
    let mut rest = xml;
    while let Some(t) = rest.find("<w:tbl>") {
        let (before, after) = rest.split_at(t);
        out.push_str(before);
        match after.find("<w:trPr>") {
            Some(p) => {
                let cut = p + "<w:trPr>".len();
                out.push_str(&after[..cut]);
                out.push_str("<w:tblHeader />");
                rest = &after[cut..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_row_of_each_table_is_a_header() {
        let xml = "<w:body><w:tbl><w:tr><w:trPr><w:cantSplit /></w:trPr></w:tr><w:tr><w:trPr><w:cantSplit /></w:trPr></w:tr></w:tbl><w:tbl><w:tr><w:trPr></w:trPr></w:tr></w:tbl></w:body>";
        let marked = mark_header_rows(xml);
        assert_eq!(marked.matches("<w:tblHeader />").count(), 2);
        assert!(marked.starts_with("<w:body><w:tbl><w:tr><w:trPr><w:tblHeader /><w:cantSplit />"));
    }
}
