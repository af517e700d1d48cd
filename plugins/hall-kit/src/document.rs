//! A document as modules describe it — cover, headings, paragraphs,
//! tables, KPI figures and charts — for the host to render as DOCX (what
//! offices edit), PDF (what is issued) or XLSX (the figures). A module
//! builds one with [`Document::new`] and the `push_*` methods and hands its
//! JSON to the WIT `documents.render`; the host lays it out with Chinese
//! fonts (a serif for the text like 宋体, a sans like 黑体 for headings),
//! numbered 公文-style headings, page numbers, tables that repeat their
//! header row on each page, and charts drawn into the document.
//!
//! The JSON is versioned (`v`, now 1) and bounded ([`Document::check`]):
//! the host refuses what exceeds the limits, never truncates.

use serde::{Deserialize, Serialize};

use crate::figure::{Figure, Lang};

/// The model's version: 2 added [`Block::Image`]. A host reads every
/// version from [`MIN_VERSION`] up to this one.
pub const VERSION: u32 = 2;
/// The oldest version still read.
pub const MIN_VERSION: u32 = 1;
/// Most pictures in one document.
pub const MAX_IMAGES: usize = 50;
/// Most blocks in one document.
pub const MAX_BLOCKS: usize = 20_000;
/// Most rows in one table.
pub const MAX_ROWS: usize = 200_000;
/// Most columns in one table.
pub const MAX_COLUMNS: usize = 64;
/// Longest text of one paragraph or cell, in characters.
pub const MAX_TEXT: usize = 20_000;
/// Most points in one chart series, and series in one chart.
pub const MAX_POINTS: usize = 400;
/// Most series in one chart.
pub const MAX_SERIES: usize = 12;
/// Most charts in one document (each is drawn as a picture).
pub const MAX_CHARTS: usize = 50;
/// Most tables (and so sheets) in one document.
pub const MAX_TABLES: usize = 200;
/// Most cells in all tables of one document.
pub const MAX_CELLS: usize = 2_000_000;
/// Largest absolute value a chart plots.
pub const MAX_CHART_VALUE: f64 = 1e15;

/// A whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The model's version ([`VERSION`]).
    pub v: u32,
    /// The title (on the cover and in the file's properties).
    pub title: String,
    /// A subtitle under the title, e.g. `2026年11月`.
    #[serde(default)]
    pub subtitle: Option<String>,
    /// The issuing unit (发文单位), on the cover and at the end.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The date on the cover, e.g. `2026年12月6日`.
    #[serde(default)]
    pub date: Option<String>,
    /// Whether to start with a cover page.
    #[serde(default)]
    pub cover: bool,
    /// The body, in order.
    pub blocks: Vec<Block>,
}

/// One block of the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// A heading, level 1-3, numbered 一、 / （一） / 1. in order.
    Heading { level: u8, text: String },
    /// A paragraph of body text (first line indented two characters).
    Paragraph { text: String },
    /// A table; its header row repeats on every page it spans.
    Table {
        #[serde(default)]
        title: Option<String>,
        columns: Vec<String>,
        rows: Vec<Vec<Cell>>,
    },
    /// KPI figures, each printed with its numerator, denominator and
    /// definition.
    Figures {
        #[serde(default)]
        title: Option<String>,
        items: Vec<NamedFigure>,
    },
    /// A chart, drawn into the document (in XLSX, a native chart).
    Chart(Chart),
    /// A photo or a scan stored as a blob (JPEG or PNG), by its SHA-256,
    /// with a caption under it; the host places it at most the text's
    /// width (XLSX leaves it out). Since version 2. The host reads it with
    /// the rendering call's own access to blobs; one it cannot show is
    /// printed as a note saying so.
    Image {
        sha256: String,
        #[serde(default)]
        caption: Option<String>,
    },
    /// Starts a new page.
    PageBreak,
}

/// A table cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// A number (right-aligned; a number in XLSX).
    Number(f64),
    /// Text.
    Text(String),
    /// Nothing.
    Empty,
}

impl Cell {
    /// The cell as it is printed.
    pub fn text(&self) -> String {
        match self {
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Cell::Number(n) => format!("{n:.2}"),
            Cell::Text(t) => t.clone(),
            Cell::Empty => String::new(),
        }
    }
}

/// A figure with the name it is shown under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedFigure {
    pub name: String,
    pub figure: Figure,
}

impl NamedFigure {
    /// `满意率：85.3%（128/150）`.
    pub fn line(&self) -> String {
        format!("{}：{}", self.name, self.figure.text(Lang::Zh))
    }

    /// Figures as a table: name, value with numerator and denominator, and
    /// the definition (its Chinese half: DOCX and PDF are Chinese
    /// documents) — how DOCX and PDF print a `figures` block.
    pub fn table(items: &[NamedFigure]) -> (Vec<String>, Vec<Vec<Cell>>) {
        let columns = ["指标", "数值（分子/分母）", "口径"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let rows = items
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.name.clone()),
                    Cell::Text(f.figure.text(Lang::Zh)),
                    Cell::Text(f.figure.definition_in(Lang::Zh).to_owned()),
                ]
            })
            .collect();
        (columns, rows)
    }
}

/// What a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    /// Bars per label, one colour per series.
    Bar,
    /// Lines over the labels (a trend).
    Line,
    /// Shares of a whole (the first series), as a pie.
    Share,
}

/// A chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    /// The categories (x axis, or the slices).
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    /// The unit of the values, e.g. `%` or `件`.
    #[serde(default)]
    pub unit: Option<String>,
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError(pub String);

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DocumentError {}

fn text_ok(what: &str, text: &str) -> Result<(), DocumentError> {
    if text.chars().count() > MAX_TEXT {
        return Err(DocumentError(format!(
            "{what}: longer than {MAX_TEXT} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DocumentError(format!("{what}: holds control characters")));
    }
    // Characters XML (and so DOCX and XLSX) cannot carry.
    if text.chars().any(|c| matches!(c, '\u{FFFE}' | '\u{FFFF}')) {
        return Err(DocumentError(format!("{what}: holds a non-character")));
    }
    Ok(())
}

impl Document {
    /// An empty document with a title.
    pub fn new(title: impl Into<String>) -> Document {
        Document {
            v: VERSION,
            title: title.into(),
            subtitle: None,
            issuer: None,
            date: None,
            cover: false,
            blocks: Vec::new(),
        }
    }

    /// Adds a heading.
    pub fn heading(&mut self, level: u8, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Heading {
            level,
            text: text.into(),
        });
        self
    }

    /// Adds a paragraph.
    pub fn paragraph(&mut self, text: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Paragraph { text: text.into() });
        self
    }

    /// Adds a table.
    pub fn table(
        &mut self,
        title: Option<&str>,
        columns: &[&str],
        rows: Vec<Vec<Cell>>,
    ) -> &mut Self {
        self.blocks.push(Block::Table {
            title: title.map(str::to_owned),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows,
        });
        self
    }

    /// Adds KPI figures.
    pub fn figures(&mut self, title: Option<&str>, items: Vec<NamedFigure>) -> &mut Self {
        self.blocks.push(Block::Figures {
            title: title.map(str::to_owned),
            items,
        });
        self
    }

    /// Adds a chart.
    pub fn chart(&mut self, chart: Chart) -> &mut Self {
        self.blocks.push(Block::Chart(chart));
        self
    }

    /// Adds a picture (a stored blob) with a caption.
    pub fn image(&mut self, sha256: impl Into<String>, caption: Option<&str>) -> &mut Self {
        self.blocks.push(Block::Image {
            sha256: sha256.into(),
            caption: caption.map(str::to_owned),
        });
        self
    }

    /// The distinct blobs the document's pictures show, in order.
    pub fn image_refs(&self) -> Vec<&str> {
        let mut refs: Vec<&str> = Vec::new();
        for b in &self.blocks {
            if let Block::Image { sha256, .. } = b
                && !refs.contains(&sha256.as_str())
            {
                refs.push(sha256);
            }
        }
        refs
    }

    /// Parses a document from JSON and checks it.
    pub fn from_json(json: &str) -> Result<Document, DocumentError> {
        let doc: Document =
            serde_json::from_str(json).map_err(|e| DocumentError(format!("document: {e}")))?;
        doc.check()?;
        Ok(doc)
    }

    /// Checks the version, the limits and the shapes (every row as wide as
    /// the columns, every series as long as the labels, levels 1-3).
    pub fn check(&self) -> Result<(), DocumentError> {
        if !(MIN_VERSION..=VERSION).contains(&self.v) {
            return Err(DocumentError(format!(
                "v: document model version {} is not {MIN_VERSION}-{VERSION}",
                self.v
            )));
        }
        text_ok("title", &self.title)?;
        if self.title.trim().is_empty() {
            return Err(DocumentError("title: empty".into()));
        }
        for (what, t) in [
            ("subtitle", &self.subtitle),
            ("issuer", &self.issuer),
            ("date", &self.date),
        ] {
            if let Some(t) = t {
                text_ok(what, t)?;
            }
        }
        if self.blocks.len() > MAX_BLOCKS {
            return Err(DocumentError(format!("blocks: more than {MAX_BLOCKS}")));
        }
        let mut rows_total = 0usize;
        let mut cells_total = 0usize;
        let (mut tables, mut charts, mut images) = (0usize, 0usize, 0usize);
        for (i, block) in self.blocks.iter().enumerate() {
            let at = |what: &str| format!("blocks[{i}].{what}");
            match block {
                Block::Heading { level, text } => {
                    if !(1..=3).contains(level) {
                        return Err(DocumentError(format!("{}: 1-3", at("level"))));
                    }
                    text_ok(&at("text"), text)?;
                }
                Block::Paragraph { text } => text_ok(&at("text"), text)?,
                Block::Table {
                    title,
                    columns,
                    rows,
                } => {
                    if let Some(t) = title {
                        text_ok(&at("title"), t)?;
                    }
                    if columns.is_empty() || columns.len() > MAX_COLUMNS {
                        return Err(DocumentError(format!(
                            "{}: 1-{MAX_COLUMNS} columns",
                            at("columns")
                        )));
                    }
                    for c in columns {
                        text_ok(&at("columns"), c)?;
                    }
                    rows_total += rows.len();
                    cells_total += rows.len().saturating_mul(columns.len());
                    tables += 1;
                    if tables > MAX_TABLES || cells_total > MAX_CELLS {
                        return Err(DocumentError(format!(
                            "{}: more than {MAX_TABLES} tables or {MAX_CELLS} cells in the document",
                            at("rows")
                        )));
                    }
                    if rows_total > MAX_ROWS {
                        return Err(DocumentError(format!(
                            "{}: more than {MAX_ROWS} rows in the document",
                            at("rows")
                        )));
                    }
                    for (r, row) in rows.iter().enumerate() {
                        if row.len() != columns.len() {
                            return Err(DocumentError(format!(
                                "blocks[{i}].rows[{r}]: {} cells for {} columns",
                                row.len(),
                                columns.len()
                            )));
                        }
                        for cell in row {
                            match cell {
                                Cell::Text(t) => text_ok(&format!("blocks[{i}].rows[{r}]"), t)?,
                                Cell::Number(n) if !n.is_finite() => {
                                    return Err(DocumentError(format!(
                                        "blocks[{i}].rows[{r}]: a number that is not finite"
                                    )));
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Block::Figures { title, items } => {
                    if let Some(t) = title {
                        text_ok(&at("title"), t)?;
                    }
                    if items.len() > MAX_ROWS {
                        return Err(DocumentError(format!("{}: too many", at("items"))));
                    }
                    for f in items {
                        text_ok(&at("items"), &f.name)?;
                        text_ok(&at("items"), &f.figure.definition)?;
                    }
                }
                Block::Chart(c) => {
                    charts += 1;
                    if charts > MAX_CHARTS {
                        return Err(DocumentError(format!(
                            "{}: more than {MAX_CHARTS} charts in the document",
                            at("title")
                        )));
                    }
                    text_ok(&at("title"), &c.title)?;
                    if let Some(u) = &c.unit {
                        text_ok(&at("unit"), u)?;
                        if u.chars().count() > 20 {
                            return Err(DocumentError(format!(
                                "{}: at most 20 characters",
                                at("unit")
                            )));
                        }
                    }
                    if c.labels.is_empty() || c.labels.len() > MAX_POINTS {
                        return Err(DocumentError(format!(
                            "{}: 1-{MAX_POINTS} labels",
                            at("labels")
                        )));
                    }
                    if c.series.is_empty() || c.series.len() > MAX_SERIES {
                        return Err(DocumentError(format!(
                            "{}: 1-{MAX_SERIES} series",
                            at("series")
                        )));
                    }
                    for s in &c.series {
                        text_ok(&at("series"), &s.name)?;
                        if s.values.len() != c.labels.len() {
                            return Err(DocumentError(format!(
                                "{}: series {:?} has {} values for {} labels",
                                at("series"),
                                s.name,
                                s.values.len(),
                                c.labels.len()
                            )));
                        }
                        if s.values
                            .iter()
                            .any(|v| !v.is_finite() || v.abs() > MAX_CHART_VALUE)
                        {
                            return Err(DocumentError(format!(
                                "{}: a value that is not finite or beyond ±1e15",
                                at("series")
                            )));
                        }
                    }
                    for l in &c.labels {
                        text_ok(&at("labels"), l)?;
                    }
                }
                Block::Image { sha256, caption } => {
                    if self.v < 2 {
                        return Err(DocumentError(format!(
                            "{}: pictures need document model version 2",
                            at("sha256")
                        )));
                    }
                    images += 1;
                    if images > MAX_IMAGES {
                        return Err(DocumentError(format!(
                            "{}: more than {MAX_IMAGES} pictures in the document",
                            at("sha256")
                        )));
                    }
                    if sha256.len() != 64
                        || !sha256
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                    {
                        return Err(DocumentError(format!(
                            "{}: 64 lowercase hex digits",
                            at("sha256")
                        )));
                    }
                    if let Some(c) = caption {
                        text_ok(&at("caption"), c)?;
                    }
                }
                Block::PageBreak => {}
            }
        }
        Ok(())
    }
}

/// 公文-style heading numbers: 一、二、 for level 1, （一）（二） for level
/// 2, 1. 2. for level 3; each level restarts under its parent.
#[derive(Debug, Default, Clone)]
pub struct Numbering {
    counters: [u32; 3],
}

impl Numbering {
    /// The number of the next heading of `level` (1-3).
    pub fn next(&mut self, level: u8) -> String {
        let i = usize::from(level.clamp(1, 3) - 1);
        if let Some(c) = self.counters.get_mut(i) {
            *c += 1;
        }
        for deeper in self.counters.iter_mut().skip(i + 1) {
            *deeper = 0;
        }
        let n = self.counters.get(i).copied().unwrap_or(1);
        match i {
            0 => format!("{}、", chinese_number(n)),
            1 => format!("（{}）", chinese_number(n)),
            _ => format!("{n}. "),
        }
    }
}

/// 1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (up to 99).
pub fn chinese_number(n: u32) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let d = |i: u32| DIGITS.get(i as usize).copied().unwrap_or("");
    match n {
        0..=9 => d(n).to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", d(n % 10)),
        20..=99 if n.is_multiple_of(10) => format!("{}十", d(n / 10)),
        20..=99 => format!("{}十{}", d(n / 10), d(n % 10)),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_numbered_like_official_documents() {
        let mut n = Numbering::default();
        assert_eq!(n.next(1), "一、");
        assert_eq!(n.next(2), "（一）");
        assert_eq!(n.next(2), "（二）");
        assert_eq!(n.next(3), "1. ");
        assert_eq!(n.next(1), "二、");
        assert_eq!(n.next(2), "（一）");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(21), "二十一");
    }

    #[test]
    fn documents_are_checked() {
        let mut d = Document::new("监督检查月报");
        d.heading(1, "基本情况").paragraph("本月共检查17个大厅。");
        d.table(
            Some("得分"),
            &["大厅", "得分"],
            vec![vec![Cell::Text("百楼镇".into()), Cell::Number(95.5)]],
        );
        d.check().unwrap();
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(Document::from_json(&json).unwrap(), d);

        let mut bad = d.clone();
        bad.blocks.push(Block::Table {
            title: None,
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec![Cell::Empty]],
        });
        assert_eq!(
            bad.check().unwrap_err().0,
            "blocks[3].rows[0]: 1 cells for 2 columns"
        );
        let mut bad = d.clone();
        bad.heading(4, "x");
        assert!(bad.check().unwrap_err().0.contains("level"));
        let mut bad = d.clone();
        bad.v = 3;
        assert!(bad.check().is_err());
        // Pictures: version 2, a SHA-256, at most MAX_IMAGES.
        let mut pictured = d.clone();
        pictured.image("0f".repeat(32), Some("图1"));
        pictured.image("0f".repeat(32), None);
        assert!(pictured.check().is_ok());
        assert_eq!(pictured.image_refs(), ["0f".repeat(32)]);
        let mut old = pictured.clone();
        old.v = 1;
        assert!(old.check().unwrap_err().0.contains("version 2"));
        let mut bad = d.clone();
        bad.image("0F".repeat(32), None);
        assert!(bad.check().unwrap_err().0.contains("hex"));
        let mut many = Document::new("t");
        for _ in 0..=MAX_IMAGES {
            many.image("ab".repeat(32), None);
        }
        assert!(many.check().unwrap_err().0.contains("pictures"));
        // Version 1 documents still read.
        let mut v1 = d.clone();
        v1.v = 1;
        assert!(v1.check().is_ok());
        assert!(Document::from_json(r#"{"v":1,"title":"t","blocks":[],"x":1}"#).is_err());
        let mut bad = d;
        bad.chart(Chart {
            kind: ChartKind::Bar,
            title: "t".into(),
            labels: vec!["a".into()],
            series: vec![Series {
                name: "s".into(),
                values: vec![1.0, 2.0],
            }],
            unit: None,
        });
        assert!(bad.check().unwrap_err().0.contains("2 values for 1 labels"));
        // A value that would overflow a chart's axis is refused.
        let mut huge = Document::new("t");
        huge.chart(Chart {
            kind: ChartKind::Bar,
            title: "t".into(),
            labels: vec!["a".into()],
            series: vec![Series {
                name: "s".into(),
                values: vec![1.797_693_134_862_315_7e308],
            }],
            unit: None,
        });
        assert!(huge.check().unwrap_err().0.contains("beyond"));
        let mut many = Document::new("t");
        for _ in 0..=MAX_CHARTS {
            many.chart(Chart {
                kind: ChartKind::Line,
                title: "t".into(),
                labels: vec!["a".into()],
                series: vec![Series {
                    name: "s".into(),
                    values: vec![1.0],
                }],
                unit: None,
            });
        }
        assert!(many.check().unwrap_err().0.contains("charts"));
    }
}
