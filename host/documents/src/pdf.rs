//! PDF with the same layout as the DOCX (A4, 公文 margins, 16 pt text at
//! 29 pt lines, numbered headings, "— n —" page numbers), drawn with the
//! Noto CJK faces embedded as subsets. Layout runs first into pages of
//! drawing operations (line breaking on the fonts' advances; tables break
//! between rows and repeat their header row on each page); then the pages
//! are drawn.

use std::sync::Arc;

use ab_glyph::Font as _;
use bantong_hall_kit::document::{Block, Cell, Document, Numbering};
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use crate::{DocError, Face, Fonts, chart};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
const TOP: f32 = 104.9;
const BOTTOM: f32 = 99.2;
const LEFT: f32 = 79.4;
const RIGHT: f32 = 73.7;
const WIDTH: f32 = PAGE_W - LEFT - RIGHT;
const BODY: f32 = 16.0;
const LINE: f32 = 29.0;
const TABLE: f32 = 10.5;
const TABLE_LINE: f32 = 15.0;
const PAD: f32 = 4.0;
/// The page number's size and baseline.
pub(crate) const PAGE_NUMBER: f32 = 14.0;
pub(crate) const PAGE_NUMBER_Y: f32 = PAGE_H - BOTTOM + 50.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Serif,
    SerifBold,
    Sans,
    SansBold,
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        size: f32,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
    },
    Shade(Rect),
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        png: Arc<Vec<u8>>,
    },
    Jpeg {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        jpeg: Arc<Vec<u8>>,
    },
}

pub(crate) struct Layout<'a> {
    pub(crate) fonts: [ab_glyph::FontRef<'a>; 4],
    pub(crate) pages: Vec<Vec<Op>>,
    y: f32,
}

pub(crate) fn style_index(s: Style) -> usize {
    match s {
        Style::Serif => 0,
        Style::SerifBold => 1,
        Style::Sans => 2,
        Style::SansBold => 3,
    }
}

impl<'a> Layout<'a> {
    pub(crate) fn width_of(&self, style: Style, size: f32, text: &str) -> f32 {
        let Some(font) = self.fonts.get(style_index(style)) else {
            return 0.0;
        };
        let upem = font.units_per_em().unwrap_or(1000.0);
        text.chars()
            .map(|c| font.h_advance_unscaled(font.glyph_id(c)) / upem * size)
            .sum()
    }

    /// Breaks `text` into lines no wider than `width`: see [`wrap`].
    fn wrap(
        &self,
        style: Style,
        size: f32,
        text: &str,
        width: f32,
        first_indent: f32,
    ) -> Vec<String> {
        wrap(text, |s| self.width_of(style, size, s), width, first_indent)
    }

    fn page(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits.
    fn room(&mut self, height: f32) {
        if self.y + height > PAGE_H - BOTTOM && self.y > TOP {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, style: Style, size: f32, text: &str) {
        let y = self.y;
        self.page().push(Op::Text {
            x,
            y,
            style,
            size,
            text: text.to_owned(),
        });
    }

    fn centred(&mut self, style: Style, size: f32, line_height: f32, text: &str) {
        // A title over several lines is balanced: lines of even length
        // rather than a full line and a stub.
        let mut lines = self.wrap(style, size, text, WIDTH, 0.0);
        if lines.len() > 1 {
            let even = self.width_of(style, size, text) / lines.len() as f32 + size;
            let balanced = self.wrap(style, size, text, even.min(WIDTH), 0.0);
            if balanced.len() == lines.len() {
                lines = balanced;
            }
        }
        for line in lines {
            self.room(line_height);
            self.y += line_height;
            let w = self.width_of(style, size, &line);
            self.text(LEFT + (WIDTH - w) / 2.0, style, size, &line);
        }
    }

    fn paragraph(&mut self, style: Style, text: &str) {
        let indent = 2.0 * BODY;
        for (i, line) in self
            .wrap(style, BODY, text, WIDTH, indent)
            .iter()
            .enumerate()
        {
            self.room(LINE);
            self.y += LINE;
            let x = if i == 0 { LEFT + indent } else { LEFT };
            self.text(x, style, BODY, line);
        }
    }

    fn table(&mut self, columns: &[String], rows: &[Vec<Cell>]) {
        // Column widths from the content, shared out over the text width.
        let mut want: Vec<f32> = columns
            .iter()
            .map(|c| self.width_of(Style::SansBold, TABLE, c))
            .collect();
        for row in rows.iter().take(200) {
            for (i, cell) in row.iter().enumerate() {
                let w = self.width_of(Style::Serif, TABLE, &cell.text());
                if let Some(slot) = want.get_mut(i) {
                    *slot = slot.max(w);
                }
            }
        }
        let want: Vec<f32> = want.iter().map(|w| w.max(30.0) + 2.0 * PAD).collect();
        let widths = fit_columns(&want, WIDTH);
        let header: Vec<(String, bool)> = columns.iter().map(|c| (c.clone(), false)).collect();
        self.row(&widths, &header, true);
        // The most lines one row may hold on a page under the header.
        let header_h = self.row_height(&widths, &header, Style::SansBold);
        let per_page = ((PAGE_H - BOTTOM - TOP - header_h - 2.0 * PAD) / TABLE_LINE)
            .floor()
            .max(1.0) as usize;
        for row in rows {
            let cells: Vec<(String, bool)> = row
                .iter()
                .map(|c| (c.text(), matches!(c, Cell::Number(_))))
                .collect();
            // A row taller than a page continues on the next one, in
            // pieces of whole lines, rather than running off the page.
            for piece in self.split_row(&widths, &cells, per_page) {
                let height = self.row_height(&widths, &piece, Style::Serif);
                if self.y + height > PAGE_H - BOTTOM {
                    self.new_page();
                    self.row(&widths, &header, true);
                }
                self.row(&widths, &piece, false);
            }
        }
        self.y += LINE / 2.0;
    }

    /// The row as pieces of at most `per_page` lines each (the row itself
    /// when it fits).
    fn split_row(
        &self,
        widths: &[f32],
        cells: &[(String, bool)],
        per_page: usize,
    ) -> Vec<Vec<(String, bool)>> {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .map(|((t, _), w)| self.wrap(Style::Serif, TABLE, t, w - 2.0 * PAD, 0.0))
            .collect();
        let tallest = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        if tallest <= per_page {
            return vec![cells.to_vec()];
        }
        (0..tallest.div_ceil(per_page))
            .map(|p| {
                wrapped
                    .iter()
                    .zip(cells)
                    .map(|(lines, (_, right))| {
                        let piece: String = lines
                            .iter()
                            .skip(p * per_page)
                            .take(per_page)
                            .map(String::as_str)
                            .collect();
                        (piece, *right)
                    })
                    .collect()
            })
            .collect()
    }

    fn row_height(&self, widths: &[f32], cells: &[(String, bool)], style: Style) -> f32 {
        cells
            .iter()
            .zip(widths)
            .map(|((t, _), w)| self.wrap(style, TABLE, t, w - 2.0 * PAD, 0.0).len())
            .max()
            .unwrap_or(1) as f32
            * TABLE_LINE
            + 2.0 * PAD
    }

    fn row(&mut self, widths: &[f32], cells: &[(String, bool)], header: bool) {
        let style = if header {
            Style::SansBold
        } else {
            Style::Serif
        };
        let height = self.row_height(widths, cells, style);
        self.room(height);
        let top = self.y;
        if header && let Some(r) = Rect::from_xywh(LEFT, top, WIDTH, height) {
            self.page().push(Op::Shade(r));
        }
        let mut x = LEFT;
        for ((text, right), w) in cells.iter().zip(widths) {
            let lines = self.wrap(style, TABLE, text, w - 2.0 * PAD, 0.0);
            for (i, line) in lines.iter().enumerate() {
                let lw = self.width_of(style, TABLE, line);
                let lx = if header {
                    x + (w - lw) / 2.0
                } else if *right {
                    x + w - PAD - lw
                } else {
                    x + PAD
                };
                let y = top + PAD + TABLE_LINE * (i as f32 + 1.0) - 3.5;
                self.page().push(Op::Text {
                    x: lx,
                    y,
                    style,
                    size: TABLE,
                    text: line.clone(),
                });
            }
            self.page().push(Op::Line {
                from: (x, top),
                to: (x, top + height),
            });
            x += w;
        }
        let page = self.page();
        page.push(Op::Line {
            from: (x, top),
            to: (x, top + height),
        });
        page.push(Op::Line {
            from: (LEFT, top),
            to: (LEFT + WIDTH, top),
        });
        page.push(Op::Line {
            from: (LEFT, top + height),
            to: (LEFT + WIDTH, top + height),
        });
        self.y = top + height;
    }
}

fn krilla_font(face: &Face) -> Result<Font, DocError> {
    Font::new(krilla::Data::from(face.data.clone()), face.index)
        .ok_or_else(|| DocError::Render("the PDF writer cannot read a font".into()))
}

pub fn render(
    doc: &Document,
    fonts: &Fonts,
    pictures: &crate::Pictures,
) -> Result<Vec<u8>, DocError> {
    let l = layout(doc, fonts, pictures)?;
    draw(doc, fonts, &l)
}

/// Lays `doc` out into pages of drawing operations (what the PDF and the
/// page images draw alike).
pub(crate) fn layout<'f>(
    doc: &Document,
    fonts: &'f Fonts,
    pictures: &crate::Pictures,
) -> Result<Layout<'f>, DocError> {
    let mut l = Layout {
        fonts: [
            fonts.serif.glyphs()?,
            fonts.serif_bold.glyphs()?,
            fonts.sans.glyphs()?,
            fonts.sans_bold.glyphs()?,
        ],
        pages: vec![Vec::new()],
        y: TOP,
    };
    if doc.cover {
        l.y = TOP + 160.0;
        l.centred(Style::SerifBold, 26.0, 44.0, &doc.title);
        if let Some(s) = &doc.subtitle {
            l.y += 12.0;
            l.centred(Style::Serif, BODY, LINE, s);
        }
        l.y = PAGE_H - BOTTOM - 120.0;
        if let Some(i) = &doc.issuer {
            l.centred(Style::Sans, BODY, LINE, i);
        }
        if let Some(d) = &doc.date {
            l.centred(Style::Serif, BODY, LINE, d);
        }
        l.new_page();
    }
    l.centred(Style::SerifBold, 22.0, 40.0, &doc.title);
    if !doc.cover
        && let Some(s) = &doc.subtitle
    {
        l.centred(Style::Serif, BODY, LINE, s);
    }
    l.y += 8.0;
    let mut numbering = Numbering::default();
    let sans = &fonts.sans;
    let chart_h = WIDTH * chart::HEIGHT as f32 / chart::WIDTH as f32;
    for (i, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Heading { level, text } => {
                let style = if *level == 1 {
                    Style::SansBold
                } else {
                    Style::SerifBold
                };
                // A heading stays with what follows it: a chart whole, a
                // few lines of anything else.
                // (through any headings directly below it).
                let mut need = LINE;
                for next in doc.blocks.iter().skip(i + 1) {
                    match next {
                        Block::Heading { .. } => need += LINE,
                        Block::Chart(_) => {
                            need += chart_h + 12.0;
                            break;
                        }
                        _ => {
                            need += LINE * 2.0;
                            break;
                        }
                    }
                }
                l.room(need);
                let label = format!("{}{text}", numbering.next(*level));
                l.paragraph(style, &label);
            }
            Block::Paragraph { text } => {
                for line in text.split('\n') {
                    l.paragraph(Style::Serif, line);
                }
            }
            Block::Table {
                title,
                columns,
                rows,
            } => {
                if let Some(t) = title {
                    l.room(LINE * 2.0);
                    l.centred(Style::SansBold, 12.0, 24.0, t);
                }
                l.y += 4.0;
                l.table(columns, rows);
            }
            Block::Figures { title, items } => {
                if let Some(t) = title {
                    l.room(LINE * 2.0);
                    l.centred(Style::SansBold, 12.0, 24.0, t);
                }
                l.y += 4.0;
                let (columns, rows) = bantong_hall_kit::document::NamedFigure::table(items);
                l.table(&columns, &rows);
            }
            Block::Chart(c) => {
                let png = Arc::new(chart::png(c, &sans.glyphs()?)?);
                let h = WIDTH * chart::HEIGHT as f32 / chart::WIDTH as f32;
                l.room(h + 12.0);
                let y = l.y + 6.0;
                l.page().push(Op::Image {
                    x: LEFT,
                    y,
                    w: WIDTH,
                    h,
                    png,
                });
                l.y = y + h + 12.0;
            }
            Block::Image { sha256, caption } => {
                let prepared = pictures
                    .get(sha256)
                    .ok_or_else(|| "图片不存在或无权读取".to_owned())
                    .and_then(|b| crate::picture::prepare(b, 1200, crate::picture::Encoding::Jpeg));
                match prepared {
                    Ok(p) => {
                        // Four fifths of the text width at most, and at most
                        // 340 pt high, keeping its shape; centred.
                        let ratio = p.height as f32 / p.width.max(1) as f32;
                        let (mut w, mut h) = (WIDTH * 0.8, WIDTH * 0.8 * ratio);
                        if h > 340.0 {
                            h = 340.0;
                            w = h / ratio;
                        }
                        l.room(h + 40.0);
                        let y = l.y + 6.0;
                        l.page().push(Op::Jpeg {
                            x: LEFT + (WIDTH - w) / 2.0,
                            y,
                            w,
                            h,
                            jpeg: Arc::new(p.bytes),
                        });
                        l.y = y + h + 4.0;
                    }
                    Err(why) => l.paragraph(Style::Serif, &crate::missing_picture(&why)),
                }
                if let Some(c) = caption {
                    l.centred(Style::Sans, 12.0, 22.0, c);
                }
                l.y += 6.0;
            }
            Block::PageBreak => l.new_page(),
        }
    }
    if let Some(i) = &doc.issuer {
        l.room(LINE * 3.0);
        l.y += LINE;
        for text in std::iter::once(i).chain(doc.date.as_ref()) {
            l.y += LINE;
            let w = l.width_of(Style::Serif, BODY, text);
            l.text(LEFT + WIDTH - w - 2.0 * BODY, Style::Serif, BODY, text);
        }
    }
    Ok(l)
}

/// The page number printed at the foot of page `n` (from 0), none on the
/// cover: "— 1 —" from the first page after it.
pub(crate) fn page_label(doc: &Document, n: usize) -> Option<String> {
    if doc.cover && n == 0 {
        return None;
    }
    let shown = if doc.cover { n } else { n + 1 };
    Some(format!("— {shown} —"))
}

fn draw(doc: &Document, fonts: &Fonts, l: &Layout<'_>) -> Result<Vec<u8>, DocError> {
    let faces = [
        krilla_font(&fonts.serif)?,
        krilla_font(&fonts.serif_bold)?,
        krilla_font(&fonts.sans)?,
        krilla_font(&fonts.sans_bold)?,
    ];
    let face = |s: Style| faces[style_index(s)].clone();
    let size = Size::from_wh(PAGE_W, PAGE_H).ok_or_else(|| DocError::Render("page size".into()))?;
    let mut document = krilla::Document::new();
    document.set_metadata(Metadata::new().title(doc.title.clone()));
    for (n, ops) in l.pages.iter().enumerate() {
        let mut page = document.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    style,
                    size,
                    text,
                } => surface.draw_text(
                    Point::from_xy(*x, *y),
                    face(*style),
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                ),
                Op::Line { from, to } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(from.0, from.1);
                    pb.line_to(to.0, to.1);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(60, 60, 60).into(),
                            width: 0.6,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill::default()));
                    }
                }
                Op::Shade(rect) => {
                    let mut pb = PathBuilder::new();
                    pb.push_rect(*rect);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(Some(Fill {
                            paint: rgb::Color::new(232, 236, 241).into(),
                            ..Fill::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_fill(Some(Fill::default()));
                    }
                }
                Op::Jpeg { x, y, w, h, jpeg } => {
                    let image = Image::from_jpeg(krilla::Data::from(jpeg.clone()), true)
                        .map_err(|e| DocError::Render(format!("picture: {e}")))?;
                    if let Some(sz) = Size::from_wh(*w, *h) {
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_image(image, sz);
                        surface.pop();
                    }
                }
                Op::Image { x, y, w, h, png } => {
                    let image = Image::from_png(krilla::Data::from(png.clone()), true)
                        .map_err(|e| DocError::Render(format!("chart image: {e}")))?;
                    if let Some(sz) = Size::from_wh(*w, *h) {
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_image(image, sz);
                        surface.pop();
                    }
                }
            }
        }
        if let Some(label) = page_label(doc, n) {
            let w = l.width_of(Style::Serif, PAGE_NUMBER, &label);
            surface.draw_text(
                Point::from_xy((PAGE_W - w) / 2.0, PAGE_NUMBER_Y),
                face(Style::Serif),
                PAGE_NUMBER,
                &label,
                false,
                TextDirection::Auto,
            );
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| DocError::Render(format!("pdf: {e:?}")))
}

/// Column widths for the wanted (natural) widths within `total`: short
/// columns keep their width and only the widest give way, down to a common
/// cap (so a state or a date is not wrapped one character a line because a
/// description is long); when even equal shares do not fit, each column
/// gets its share of the total in proportion.
pub(crate) fn fit_columns(want: &[f32], total: f32) -> Vec<f32> {
    let sum: f32 = want.iter().sum();
    if sum <= total || want.is_empty() {
        // Room to spare goes to every column in proportion.
        return want.iter().map(|w| w / sum.max(1.0) * total).collect();
    }
    // The cap c where Σ min(w, c) = total, by walking the sorted widths.
    let mut sorted = want.to_vec();
    sorted.sort_by(f32::total_cmp);
    let mut below = 0.0;
    for (i, w) in sorted.iter().enumerate() {
        let rest = (sorted.len() - i) as f32;
        let cap = (total - below) / rest;
        if cap <= *w {
            return want.iter().map(|x| x.min(cap)).collect();
        }
        below += w;
    }
    want.iter().map(|w| w / sum * total).collect()
}

/// Closing punctuation that never starts a line (避头): it stays at the end
/// of the line before, even a little past the margin.
const NO_LINE_START: &str = "，。、；：！？）》」』”’%％";

/// Ends a line, without the spaces it ended on.
fn end_line(lines: &mut Vec<String>, line: &mut String) {
    let mut done = std::mem::take(line);
    done.truncate(done.trim_end_matches(' ').len());
    lines.push(done);
}

/// Breaks `text` into lines no wider than `width` (the first line
/// `first_indent` narrower), measuring with `width_of`. Chinese breaks
/// between any two characters; a run of Latin letters, digits and their
/// punctuation (`86.1`, `61.0%`, `Cronbach's`, `2026-12`) is one word, kept
/// whole and moved to the next line when it does not fit, and broken only
/// when it is wider than a line by itself; a space where a line breaks is
/// dropped; closing punctuation stays with the line before it.
fn wrap(text: &str, width_of: impl Fn(&str) -> f32, width: f32, first_indent: f32) -> Vec<String> {
    // Units: each Chinese character or space alone, each Latin run whole.
    let mut units: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_graphic() {
            word.push(c);
        } else {
            if !word.is_empty() {
                units.push(std::mem::take(&mut word));
            }
            units.push(c.to_string());
        }
    }
    if !word.is_empty() {
        units.push(word);
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = first_indent;
    let mut limit = width;
    for unit in units {
        let w = width_of(&unit);
        if used + w > limit && !line.is_empty() {
            if unit.chars().all(|c| NO_LINE_START.contains(c)) {
                line.push_str(&unit);
                end_line(&mut lines, &mut line);
                used = 0.0;
                limit = width;
                continue;
            }
            end_line(&mut lines, &mut line);
            used = 0.0;
            limit = width;
            if unit == " " {
                continue;
            }
        }
        if used + w > limit {
            // A word wider than a whole line: break it where it must.
            for c in unit.chars() {
                let cw = width_of(c.encode_utf8(&mut [0; 4]));
                if used + cw > limit && !line.is_empty() {
                    end_line(&mut lines, &mut line);
                    used = 0.0;
                    limit = width;
                }
                line.push(c);
                used += cw;
            }
            continue;
        }
        line.push_str(&unit);
        used += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::{fit_columns, wrap};

    /// Every character one unit wide.
    fn chars(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn numbers_and_latin_words_are_not_broken() {
        // The old way broke “61.0” from its “%” at the margin.
        let lines = wrap("参考率61.0%；合格率91.8%", chars, 8.0, 0.0);
        assert_eq!(lines, ["参考率61.0%；", "合格率91.8%"]);
        // A number that does not fit moves to the next line whole.
        let lines = wrap("系数为0.75以上", chars, 6.0, 0.0);
        assert_eq!(lines, ["系数为", "0.75以上"]);
        // Closing punctuation stays on its line, past the margin.
        assert_eq!(wrap("一二三四，五", chars, 4.0, 0.0), ["一二三四，", "五"]);
        // A space at the break is dropped.
        assert_eq!(
            wrap("Cronbach's alpha", chars, 11.0, 0.0),
            ["Cronbach's", "alpha"]
        );
        // A word longer than a line is broken where it must be.
        assert_eq!(wrap("abcdefgh", chars, 3.0, 0.0), ["abc", "def", "gh"]);
        // The first line's indent counts.
        assert_eq!(wrap("一二三四五六", chars, 4.0, 2.0), ["一二", "三四五六"]);
        assert_eq!(wrap("", chars, 4.0, 0.0), [""]);
    }

    #[test]
    fn only_the_widest_columns_give_way() {
        // Fits: spread in proportion.
        assert_eq!(fit_columns(&[10.0, 30.0], 80.0), vec![20.0, 60.0]);
        // Too wide: the short columns keep their width, the two long ones
        // share what is left equally.
        let w = fit_columns(&[20.0, 30.0, 200.0, 300.0], 250.0);
        assert_eq!(w, vec![20.0, 30.0, 100.0, 100.0]);
        assert!((w.iter().sum::<f32>() - 250.0).abs() < 1e-3);
        // Nothing to share: equal caps.
        assert_eq!(fit_columns(&[100.0, 100.0], 50.0), vec![25.0, 25.0]);
        assert!(fit_columns(&[], 50.0).is_empty());
    }
}
