//! The catalogue as a spreadsheet: what the district administrator
//! exports, edits in Excel or WPS, and imports again.
//!
//! Two sheets: [`ITEMS_SHEET`] (事项) with one item per row under the
//! headings of [`ITEM_COLUMNS`], and [`CATEGORIES_SHEET`] (X类窗口) with
//! the "X" categories under 类别代码 / 类别名称 (optional). Columns are found
//! by their heading, in any order; a row with every cell empty is skipped.
//! Cells:
//!
//! - 窗口类别: the category's code or its Chinese name (`卫生健康`, `health`);
//! - time limits: whole numbers of working days (`20`, `20.0`, `" 20 "`);
//! - 申请材料: one material per line (or separated by `；`/`;`);
//! - flags: 是 / 否 (also `Y`/`N`, `TRUE`/`FALSE`, `1`/`0`, `√`); empty is 否.
//!
//! [`parse`] refuses the whole file when any row is wrong, naming every
//! wrong row (as Excel numbers it, the heading row being 1) and column.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Catalogue, Category, FIVE, Field, Item, MAX_ITEMS, Place};
use crate::document::{Block, Cell, Document, VERSION};

/// The items sheet's name.
pub const ITEMS_SHEET: &str = "事项";
/// The "X" categories sheet's name.
pub const CATEGORIES_SHEET: &str = "X类窗口";

/// The items sheet's columns, in export order.
pub const ITEM_COLUMNS: [Field; 11] = [
    Field::Code,
    Field::Name,
    Field::Category,
    Field::Department,
    Field::StatutoryDays,
    Field::PromisedDays,
    Field::Materials,
    Field::NotifyCommit,
    Field::AcceptWithGaps,
    Field::DoorService,
    Field::SelfService,
];

/// The categories sheet's columns.
pub const CATEGORY_COLUMNS: [Field; 2] = [Field::CategoryId, Field::CategoryName];

/// A cell as read from a workbook.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Value {
    fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, trimmed; numbers without a needless `.0`.
    fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(t) => t.trim().to_owned(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        }
    }
}

/// One wrong place in an imported workbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetProblem {
    /// The sheet's name.
    pub sheet: String,
    /// The row as Excel numbers it (the heading row is 1); 0 for the
    /// workbook as a whole.
    pub row: u32,
    /// The column's heading, when one column is wrong.
    pub column: Option<String>,
    /// The field's JSON name, when one field is wrong.
    pub field: Option<String>,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl fmt::Display for SheetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.sheet)?;
        if self.row > 0 {
            write!(f, " 第{}行", self.row)?;
        }
        if let Some(c) = &self.column {
            write!(f, "「{c}」")?;
        }
        write!(f, "：{}", self.message)
    }
}

fn problem(
    sheet: &str,
    row: u32,
    field: Option<Field>,
    message: impl Into<String>,
) -> SheetProblem {
    SheetProblem {
        sheet: sheet.to_owned(),
        row,
        column: field.map(|f| f.column_zh().to_owned()),
        field: field.map(|f| f.key().to_owned()),
        message: message.into(),
    }
}

/// The position of each wanted column, from the heading row; problems for
/// missing, repeated or unknown headings.
fn columns(
    sheet: &str,
    heading: &[Value],
    wanted: &[Field],
    out: &mut Vec<SheetProblem>,
) -> Vec<Option<usize>> {
    let mut at = vec![None; wanted.len()];
    for (c, cell) in heading.iter().enumerate() {
        let title = cell.text();
        if title.is_empty() {
            continue;
        }
        match wanted.iter().position(|f| f.column_zh() == title) {
            Some(k) if at[k].is_some() => {
                out.push(problem(sheet, 1, Some(wanted[k]), "这一列出现了两次"))
            }
            Some(k) => at[k] = Some(c),
            None => out.push(SheetProblem {
                sheet: sheet.to_owned(),
                row: 1,
                column: Some(title.clone()),
                field: None,
                message: format!(
                    "未知的列“{title}”；应为：{}",
                    wanted
                        .iter()
                        .map(|f| f.column_zh())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            }),
        }
    }
    for (k, f) in wanted.iter().enumerate() {
        if at[k].is_none() {
            out.push(problem(sheet, 1, Some(*f), "缺少这一列"));
        }
    }
    at
}

fn cell(row: &[Value], at: Option<usize>) -> &Value {
    at.and_then(|c| row.get(c)).unwrap_or(&Value::Empty)
}

fn days(v: &Value) -> Result<u32, String> {
    let n = match v {
        Value::Number(n) => *n,
        Value::Text(t) => t
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("“{}”不是工作日数：应为 0 或正整数", t.trim()))?,
        Value::Empty => return Err("不能为空：填工作日数（即办填 0）".into()),
        Value::Bool(_) => return Err("应为工作日数".into()),
    };
    if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
        return Err(format!("“{}”不是工作日数：应为 0 或正整数", v.text()));
    }
    Ok(n as u32)
}

fn flag(v: &Value) -> Result<bool, String> {
    match v {
        Value::Empty => Ok(false),
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if *n == 1.0 => Ok(true),
        Value::Number(n) if *n == 0.0 => Ok(false),
        _ => match v.text().to_lowercase().as_str() {
            "" | "否" | "n" | "no" | "false" | "0" | "×" => Ok(false),
            "是" | "y" | "yes" | "true" | "1" | "√" | "✓" => Ok(true),
            other => Err(format!("“{other}”应为“是”或“否”")),
        },
    }
}

fn materials(v: &Value) -> Vec<String> {
    v.text()
        .split(['\n', '；', ';'])
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

/// Reads a catalogue from the two sheets' rows (heading row first);
/// `categories` is `None` when the workbook has no [`CATEGORIES_SHEET`].
/// Every problem is reported, or none and the catalogue.
pub fn parse(
    items: &[Vec<Value>],
    categories: Option<&[Vec<Value>]>,
) -> Result<Catalogue, Vec<SheetProblem>> {
    let mut out = Vec::new();
    let mut catalogue = Catalogue::default();
    let mut category_rows = Vec::new();
    if let Some(rows) = categories
        && let Some((heading, body)) = rows.split_first()
    {
        let at = columns(CATEGORIES_SHEET, heading, &CATEGORY_COLUMNS, &mut out);
        for (i, row) in body.iter().enumerate() {
            if row.iter().all(Value::is_empty) {
                continue;
            }
            category_rows.push(i as u32 + 2);
            catalogue.categories.push(Category {
                id: cell(row, at[0]).text(),
                name: cell(row, at[1]).text(),
            });
        }
    }
    let Some((heading, body)) = items.split_first() else {
        out.push(problem(
            ITEMS_SHEET,
            0,
            None,
            "工作表是空的：第 1 行应为列标题",
        ));
        return Err(out);
    };
    let at = columns(ITEMS_SHEET, heading, &ITEM_COLUMNS, &mut out);
    if !out.is_empty() {
        return Err(out);
    }
    // Names of categories to their ids, for cells that give the name.
    let names: Vec<(String, String)> = FIVE
        .iter()
        .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
        .chain(
            catalogue
                .categories
                .iter()
                .map(|c| (c.id.clone(), c.name.clone())),
        )
        .collect();
    let mut item_rows = Vec::new();
    for (i, row) in body.iter().enumerate() {
        if row.iter().all(Value::is_empty) {
            continue;
        }
        let number = i as u32 + 2;
        if item_rows.len() == MAX_ITEMS {
            out.push(problem(
                ITEMS_SHEET,
                number,
                None,
                format!("事项不能超过 {MAX_ITEMS} 项"),
            ));
            break;
        }
        let get = |f: Field| {
            let k = ITEM_COLUMNS.iter().position(|c| *c == f);
            cell(row, k.and_then(|k| at[k]))
        };
        let mut wrong = Vec::new();
        let category = get(Field::Category).text();
        let category = names
            .iter()
            .find(|(id, name)| *id == category || *name == category)
            .map_or(category, |(id, _)| id.clone());
        let read = |f: Field, wrong: &mut Vec<(Field, String)>| -> u32 {
            days(get(f)).unwrap_or_else(|m| {
                wrong.push((f, m));
                0
            })
        };
        let statutory_days = read(Field::StatutoryDays, &mut wrong);
        let promised_days = read(Field::PromisedDays, &mut wrong);
        let mut yes = |f: Field| -> bool {
            flag(get(f)).unwrap_or_else(|m| {
                wrong.push((f, m));
                false
            })
        };
        let item = Item {
            code: get(Field::Code).text(),
            name: get(Field::Name).text(),
            category,
            department: get(Field::Department).text(),
            statutory_days,
            promised_days,
            materials: materials(get(Field::Materials)),
            notify_commit: yes(Field::NotifyCommit),
            accept_with_gaps: yes(Field::AcceptWithGaps),
            door_service: yes(Field::DoorService),
            self_service: yes(Field::SelfService),
        };
        out.extend(
            wrong
                .into_iter()
                .map(|(f, m)| problem(ITEMS_SHEET, number, Some(f), m)),
        );
        item_rows.push(number);
        catalogue.items.push(item);
    }
    let already: Vec<(u32, Option<String>)> =
        out.iter().map(|p| (p.row, p.field.clone())).collect();
    for p in catalogue.problems() {
        let (sheet, row) = match p.place {
            Place::Item(i) => (ITEMS_SHEET, item_rows.get(i).copied().unwrap_or(0)),
            Place::Category(i) => (CATEGORIES_SHEET, category_rows.get(i).copied().unwrap_or(0)),
            Place::Whole => (ITEMS_SHEET, 0),
        };
        // A cell that could not be read is reported once, as unreadable.
        let key = (row, p.field.map(|f| f.key().to_owned()));
        if sheet == ITEMS_SHEET && already.contains(&key) {
            continue;
        }
        out.push(problem(sheet, row, p.field, p.message));
    }
    if out.is_empty() {
        Ok(catalogue)
    } else {
        out.sort_by_key(|p| (p.sheet != ITEMS_SHEET, p.row));
        Err(out)
    }
}

fn yes_no(b: bool) -> Cell {
    Cell::Text(if b { "是" } else { "否" }.to_owned())
}

/// The catalogue as a document whose XLSX form is the importable workbook
/// (one table per sheet, titled with the sheet's name) and whose DOCX and
/// PDF forms are a printable list. `version` and `date` go in the subtitle.
pub fn document(catalogue: &Catalogue, subtitle: &str) -> Document {
    let items = catalogue
        .items
        .iter()
        .map(|i| {
            vec![
                Cell::Text(i.code.clone()),
                Cell::Text(i.name.clone()),
                Cell::Text(
                    catalogue
                        .category_name(&i.category)
                        .unwrap_or(&i.category)
                        .to_owned(),
                ),
                Cell::Text(i.department.clone()),
                Cell::Number(f64::from(i.statutory_days)),
                Cell::Number(f64::from(i.promised_days)),
                Cell::Text(i.materials.join("\n")),
                yes_no(i.notify_commit),
                yes_no(i.accept_with_gaps),
                yes_no(i.door_service),
                yes_no(i.self_service),
            ]
        })
        .collect();
    let columns = |fields: &[Field]| fields.iter().map(|f| f.column_zh().to_owned()).collect();
    let mut blocks = vec![Block::Table {
        title: Some(ITEMS_SHEET.to_owned()),
        columns: columns(&ITEM_COLUMNS),
        rows: items,
    }];
    blocks.push(Block::Table {
        title: Some(CATEGORIES_SHEET.to_owned()),
        columns: columns(&CATEGORY_COLUMNS),
        rows: catalogue
            .categories
            .iter()
            .map(|c| vec![Cell::Text(c.id.clone()), Cell::Text(c.name.clone())])
            .collect(),
    });
    Document {
        v: VERSION,
        title: "政务服务事项库".to_owned(),
        subtitle: Some(subtitle.to_owned()),
        issuer: None,
        date: None,
        cover: false,
        blocks,
    }
}
