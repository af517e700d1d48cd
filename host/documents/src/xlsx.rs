//! XLSX: the figures. Every table becomes a sheet (bold frozen header,
//! autofilter, widths from the content), the KPI figures one sheet with
//! value, numerator, denominator and definition, and every chart a sheet
//! holding its data with a native Excel chart over it.

use std::collections::HashSet;

use bantong_hall_kit::document::{Block, Cell, ChartKind, Document};
use bantong_hall_kit::figure::Unit;
use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use crate::DocError;

fn err(e: XlsxError) -> DocError {
    DocError::Render(format!("xlsx: {e}"))
}

/// A sheet name Excel accepts: at most 31 UTF-16 units (suffix included),
/// none of the characters Excel forbids, unique in the workbook ignoring
/// case. `taken` holds the lower-cased names given so far.
fn sheet_name(wanted: &str, taken: &mut HashSet<String>) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\' | '\''))
        .collect();
    let base = if clean.trim().is_empty() {
        "表".to_owned()
    } else {
        clean
    };
    let fit = |s: &str, room: usize| -> String {
        let mut out = String::new();
        let mut units = 0;
        for c in s.chars() {
            units += c.len_utf16();
            if units > room {
                break;
            }
            out.push(c);
        }
        out
    };
    let mut name = fit(&base, 31);
    let mut n = 2u32;
    while taken.contains(&name.to_lowercase()) {
        let suffix = n.to_string();
        name = format!("{}{suffix}", fit(&base, 31 - suffix.len()));
        n += 1;
    }
    taken.insert(name.to_lowercase());
    name
}

/// Display width of text in Excel's units (a CJK character counts two).
fn width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum::<f64>()
        + 2.0
}

fn header(sheet: &mut Worksheet, columns: &[String], bold: &Format) -> Result<Vec<f64>, DocError> {
    let mut widths = Vec::with_capacity(columns.len());
    for (c, title) in columns.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, title, bold)
            .map_err(err)?;
        widths.push(width(title));
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    Ok(widths)
}

fn finish(sheet: &mut Worksheet, rows: u32, widths: &[f64]) -> Result<(), DocError> {
    for (c, w) in widths.iter().enumerate() {
        sheet
            .set_column_width(c as u16, w.clamp(6.0, 60.0))
            .map_err(err)?;
    }
    if !widths.is_empty() {
        sheet
            .autofilter(0, 0, rows, (widths.len() - 1) as u16)
            .map_err(err)?;
    }
    Ok(())
}

pub fn render(doc: &Document) -> Result<Vec<u8>, DocError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let mut taken = HashSet::new();
    let mut figures = Vec::new();
    let mut table_no = 0;
    for block in &doc.blocks {
        match block {
            Block::Table {
                title,
                columns,
                rows,
            } => {
                table_no += 1;
                let name = sheet_name(
                    title.as_deref().unwrap_or(&format!("表{table_no}")),
                    &mut taken,
                );
                let sheet = book.add_worksheet();
                sheet.set_name(&name).map_err(err)?;
                let mut widths = header(sheet, columns, &bold)?;
                for (r, row) in rows.iter().enumerate() {
                    let r = r as u32 + 1;
                    for (c, cell) in row.iter().enumerate() {
                        match cell {
                            Cell::Number(n) => {
                                sheet.write_number(r, c as u16, *n).map_err(err)?;
                            }
                            Cell::Text(t) => {
                                sheet.write_string(r, c as u16, t).map_err(err)?;
                            }
                            Cell::Empty => {}
                        }
                        if let Some(w) = widths.get_mut(c) {
                            *w = w.max(width(&cell.text()));
                        }
                    }
                }
                finish(sheet, rows.len() as u32, &widths)?;
            }
            Block::Figures { items, .. } => figures.extend(items.iter()),
            Block::Chart(chart) => {
                let name = sheet_name(&chart.title, &mut taken);
                let sheet = book.add_worksheet();
                sheet.set_name(&name).map_err(err)?;
                let mut columns = vec!["类别".to_owned()];
                columns.extend(chart.series.iter().map(|s| s.name.clone()));
                let mut widths = header(sheet, &columns, &bold)?;
                for (r, label) in chart.labels.iter().enumerate() {
                    let r = r as u32 + 1;
                    sheet.write_string(r, 0, label).map_err(err)?;
                    if let Some(w) = widths.first_mut() {
                        *w = w.max(width(label));
                    }
                    for (s, series) in chart.series.iter().enumerate() {
                        let v = series.values.get(r as usize - 1).copied().unwrap_or(0.0);
                        sheet.write_number(r, s as u16 + 1, v).map_err(err)?;
                    }
                }
                let last = chart.labels.len() as u32;
                finish(sheet, last, &widths)?;
                let mut native = Chart::new(match chart.kind {
                    ChartKind::Bar => ChartType::Column,
                    ChartKind::Line => ChartType::Line,
                    ChartKind::Share => ChartType::Pie,
                });
                native.title().set_name(&chart.title);
                let shown = if chart.kind == ChartKind::Share {
                    1
                } else {
                    chart.series.len()
                };
                for s in 0..shown {
                    let col = s as u16 + 1;
                    native
                        .add_series()
                        .set_name((name.as_str(), 0, col))
                        .set_categories((name.as_str(), 1, 0, last, 0))
                        .set_values((name.as_str(), 1, col, last, col));
                }
                sheet
                    .insert_chart(1, chart.series.len() as u16 + 2, &native)
                    .map_err(err)?;
            }
            Block::Heading { .. }
            | Block::Paragraph { .. }
            | Block::Image { .. }
            | Block::PageBreak => {}
        }
    }
    if !figures.is_empty() {
        let name = sheet_name("指标", &mut taken);
        let sheet = book.add_worksheet();
        sheet.set_name(&name).map_err(err)?;
        let columns: Vec<String> = ["指标", "数值", "分子", "分母", "口径"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut widths = header(sheet, &columns, &bold)?;
        for (r, f) in figures.iter().enumerate() {
            let r = r as u32 + 1;
            sheet.write_string(r, 0, &f.name).map_err(err)?;
            if let Some(v) = f.figure.value {
                match f.figure.unit {
                    Unit::Ratio => sheet.write_number_with_format(r, 1, v, &percent),
                    _ => sheet.write_number(r, 1, v),
                }
                .map_err(err)?;
            }
            sheet
                .write_number(r, 2, f.figure.numerator as f64)
                .map_err(err)?;
            sheet
                .write_number(r, 3, f.figure.denominator as f64)
                .map_err(err)?;
            sheet
                .write_string(r, 4, f.figure.definition.as_ref())
                .map_err(err)?;
            if let (Some(w0), Some(w4)) = (widths.first().copied(), widths.get(4).copied()) {
                widths[0] = w0.max(width(&f.name));
                widths[4] = w4.max(width(&f.figure.definition));
            }
        }
        finish(sheet, figures.len() as u32, &widths)?;
    }
    if taken.is_empty() {
        // A workbook needs a sheet: the title alone.
        let sheet = book.add_worksheet();
        sheet
            .write_string_with_format(0, 0, &doc.title, &bold)
            .map_err(err)?;
    }
    let props = rust_xlsxwriter::DocProperties::new()
        .set_title(&doc.title)
        .set_author(doc.issuer.as_deref().unwrap_or("办通"));
    book.set_properties(&props);
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(sheet_name("问题清单/百楼镇", &mut taken), "问题清单百楼镇");
        assert_eq!(sheet_name("问题清单/百楼镇", &mut taken), "问题清单百楼镇2");
        assert_eq!(sheet_name("[]", &mut taken), "表");
        assert!(sheet_name(&"长".repeat(40), &mut taken).chars().count() <= 31);
    }
}
