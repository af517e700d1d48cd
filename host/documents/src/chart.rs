//! Charts drawn as PNG (tiny-skia for shapes, the CJK sans font through
//! ab_glyph for labels), so DOCX and PDF show the same picture.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use bantong_hall_kit::document::{Chart, ChartKind};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Stroke, Transform};

use crate::DocError;

/// Pixels per chart: 1600 × 900 (shown 16 cm wide, sharp when printed).
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 900;

/// Series colours: distinguishable in print and for colour-blind readers
/// (Okabe–Ito).
const PALETTE: [(u8, u8, u8); 8] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (0, 0, 0),
];

fn colour(i: usize) -> Color {
    let (r, g, b) = PALETTE.get(i % PALETTE.len()).copied().unwrap_or((0, 0, 0));
    Color::from_rgba8(r, g, b, 255)
}

fn paint(c: Color) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color(c);
    p.anti_alias = true;
    p
}

/// Draws text with its baseline at (x, y); `anchor` 0 = left, 0.5 =
/// centred, 1 = right. Returns the width drawn.
fn text(
    pixmap: &mut Pixmap,
    font: &FontRef<'_>,
    size: f32,
    (x, y, anchor): (f32, f32, f32),
    s: &str,
    c: Color,
) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let width: f32 = s
        .chars()
        .map(|ch| scaled.h_advance(font.glyph_id(ch)))
        .sum();
    let mut pen = x - width * anchor;
    let (w, h) = (pixmap.width() as i64, pixmap.height() as i64);
    let data = pixmap.data_mut();
    for ch in s.chars() {
        let id = font.glyph_id(ch);
        let glyph = id.with_scale_and_position(PxScale::from(size), point(pen, y));
        pen += scaled.h_advance(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if px < 0 || py < 0 || px >= w || py >= h {
                return;
            }
            let i = ((py * w + px) * 4) as usize;
            let a = coverage.clamp(0.0, 1.0);
            let rgba = [c.red(), c.green(), c.blue()];
            for (k, channel) in rgba.iter().enumerate() {
                if let Some(d) = data.get_mut(i + k) {
                    let dst = f32::from(*d) / 255.0;
                    *d = ((channel * a + dst * (1.0 - a)) * 255.0).round() as u8;
                }
            }
            if let Some(d) = data.get_mut(i + 3) {
                *d = 255;
            }
        });
    }
    width
}

/// A round, readable step for an axis up to `max` with about five ticks.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The chart as PNG bytes.
pub fn png(chart: &Chart, font: &FontRef<'_>) -> Result<Vec<u8>, DocError> {
    let mut pixmap =
        Pixmap::new(WIDTH, HEIGHT).ok_or_else(|| DocError::Render("chart canvas".into()))?;
    pixmap.fill(Color::WHITE);
    let ink = Color::from_rgba8(33, 33, 33, 255);
    let grey = Color::from_rgba8(190, 190, 190, 255);
    text(
        &mut pixmap,
        font,
        44.0,
        (WIDTH as f32 / 2.0, 70.0, 0.5),
        &chart.title,
        ink,
    );
    // Legend along the bottom.
    let legend: Vec<(String, Color)> = match chart.kind {
        ChartKind::Share => chart
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), colour(i)))
            .collect(),
        _ => chart
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), colour(i)))
            .collect(),
    };
    let mut lx = 80.0;
    for (name, c) in &legend {
        if let Some(r) = Rect::from_xywh(lx, HEIGHT as f32 - 52.0, 28.0, 28.0) {
            pixmap.fill_rect(r, &paint(*c), Transform::identity(), None);
        }
        lx +=
            40.0 + text(
                &mut pixmap,
                font,
                30.0,
                (lx + 38.0, HEIGHT as f32 - 28.0, 0.0),
                name,
                ink,
            ) + 40.0;
    }
    match chart.kind {
        ChartKind::Share => share(&mut pixmap, chart, font, ink),
        ChartKind::Bar | ChartKind::Line => axes(&mut pixmap, chart, font, ink, grey),
    }
    pixmap
        .encode_png()
        .map_err(|e| DocError::Render(format!("chart png: {e}")))
}

fn axes(pixmap: &mut Pixmap, chart: &Chart, font: &FontRef<'_>, ink: Color, grey: Color) {
    let (left, right, top, bottom) = (
        150.0f32,
        WIDTH as f32 - 60.0,
        120.0f32,
        HEIGHT as f32 - 150.0,
    );
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::max);
    let step = nice_step(max);
    let top_value = (max / step).ceil().max(1.0) * step;
    if !top_value.is_finite() || !step.is_finite() || step <= 0.0 {
        return;
    }
    let y_of = |v: f64| bottom - ((v / top_value) as f32) * (bottom - top);
    let thin = Stroke {
        width: 2.0,
        ..Stroke::default()
    };
    let mut tick = 0.0;
    // A round step gives about five ticks; never more than a dozen.
    for _ in 0..12 {
        if tick > top_value + 1e-9 {
            break;
        }
        let y = y_of(tick);
        let mut pb = PathBuilder::new();
        pb.move_to(left, y);
        pb.line_to(right, y);
        if let Some(p) = pb.finish() {
            pixmap.stroke_path(&p, &paint(grey), &thin, Transform::identity(), None);
        }
        text(
            pixmap,
            font,
            28.0,
            (left - 14.0, y + 10.0, 1.0),
            &label(tick),
            ink,
        );
        tick += step;
    }
    if let Some(unit) = &chart.unit {
        text(
            pixmap,
            font,
            28.0,
            (left - 14.0, top - 30.0, 1.0),
            unit,
            ink,
        );
    }
    let n = chart.labels.len().max(1);
    let slot = (right - left) / n as f32;
    // Category labels: as large as fits the slot (down to 16 px), on two
    // staggered rows when crowded, and every k-th only when even that is
    // too tight.
    let longest = chart
        .labels
        .iter()
        .map(|l| l.chars().take(8).count())
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let fit = slot * 0.95 / longest;
    let (size, rows) = if fit >= 22.0 {
        (fit.min(28.0), 1)
    } else {
        ((slot * 1.9 / longest).clamp(16.0, 28.0), 2)
    };
    let every = ((longest * size) / (slot * rows as f32)).ceil().max(1.0) as usize;
    for (i, l) in chart.labels.iter().enumerate() {
        if i % every == 0 {
            let x = left + slot * (i as f32 + 0.5);
            let shown: String = l.chars().take(8).collect();
            let y = bottom
                + 36.0
                + if rows == 2 && (i / every) % 2 == 1 {
                    size + 8.0
                } else {
                    0.0
                };
            text(pixmap, font, size, (x, y, 0.5), &shown, ink);
        }
    }
    let series = chart.series.len().max(1);
    for (si, s) in chart.series.iter().enumerate() {
        let c = paint(colour(si));
        match chart.kind {
            ChartKind::Bar => {
                let bar = slot * 0.8 / series as f32;
                for (i, v) in s.values.iter().enumerate() {
                    let x = left + slot * i as f32 + slot * 0.1 + bar * si as f32;
                    let y = y_of(*v);
                    if let Some(r) = Rect::from_ltrb(x, y, x + bar * 0.9, bottom) {
                        pixmap.fill_rect(r, &c, Transform::identity(), None);
                    }
                }
            }
            _ => {
                let mut pb = PathBuilder::new();
                for (i, v) in s.values.iter().enumerate() {
                    let (x, y) = (left + slot * (i as f32 + 0.5), y_of(*v));
                    if i == 0 {
                        pb.move_to(x, y);
                    } else {
                        pb.line_to(x, y);
                    }
                }
                if let Some(p) = pb.finish() {
                    let line = Stroke {
                        width: 6.0,
                        ..Stroke::default()
                    };
                    pixmap.stroke_path(&p, &c, &line, Transform::identity(), None);
                }
                for (i, v) in s.values.iter().enumerate() {
                    let (x, y) = (left + slot * (i as f32 + 0.5), y_of(*v));
                    if let Some(dot) = PathBuilder::from_circle(x, y, 9.0) {
                        pixmap.fill_path(&dot, &c, FillRule::Winding, Transform::identity(), None);
                    }
                }
            }
        }
    }
    let mut pb = PathBuilder::new();
    pb.move_to(left, top);
    pb.line_to(left, bottom);
    pb.line_to(right, bottom);
    if let Some(p) = pb.finish() {
        pixmap.stroke_path(&p, &paint(ink), &thin, Transform::identity(), None);
    }
}

fn share(pixmap: &mut Pixmap, chart: &Chart, font: &FontRef<'_>, ink: Color) {
    let Some(values) = chart.series.first().map(|s| &s.values) else {
        return;
    };
    let total: f64 = values.iter().filter(|v| **v > 0.0).sum();
    if total <= 0.0 {
        text(
            pixmap,
            font,
            36.0,
            (WIDTH as f32 / 2.0, HEIGHT as f32 / 2.0, 0.5),
            "无数据",
            ink,
        );
        return;
    }
    let (cx, cy, r) = (WIDTH as f32 / 2.0, HEIGHT as f32 / 2.0 + 10.0, 300.0f32);
    let mut start = -std::f64::consts::FRAC_PI_2;
    for (i, v) in values.iter().enumerate() {
        if *v <= 0.0 {
            continue;
        }
        let sweep = v / total * std::f64::consts::TAU;
        let mut pb = PathBuilder::new();
        pb.move_to(cx, cy);
        let steps = ((sweep / 0.02).ceil() as usize).max(2);
        for k in 0..=steps {
            let a = start + sweep * k as f64 / steps as f64;
            pb.line_to(cx + r * a.cos() as f32, cy + r * a.sin() as f32);
        }
        pb.close();
        if let Some(p) = pb.finish() {
            pixmap.fill_path(
                &p,
                &paint(colour(i)),
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
        let mid = start + sweep / 2.0;
        let (lx, ly) = (
            cx + (r + 60.0) * mid.cos() as f32,
            cy + (r + 60.0) * mid.sin() as f32,
        );
        let anchor = if mid.cos() >= 0.0 { 0.0 } else { 1.0 };
        let name = chart.labels.get(i).cloned().unwrap_or_default();
        text(
            pixmap,
            font,
            28.0,
            (lx, ly + 10.0, anchor),
            &format!("{name} {:.1}%", v / total * 100.0),
            ink,
        );
        start += sweep;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(100.0), 20.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(0.93), 0.2);
    }
}
