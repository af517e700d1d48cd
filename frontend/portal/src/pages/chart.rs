//! The `chart` renderer: the route's aggregate groups as an SVG chart drawn
//! on the server (bar, line or pie), with the same figures as a table for
//! screen readers and for copying.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::view::text_of;
use crate::i18n::{Locale, format_number};
use crate::model::ViewDef;

#[derive(Debug, Clone, Default, Deserialize)]
struct Titled {
    #[serde(default)]
    title_zh: String,
    #[serde(default)]
    title_en: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct AggregateSpec {
    #[serde(default)]
    group_by: Vec<Titled>,
    #[serde(default)]
    metrics: Vec<Titled>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct ChartSpec {
    #[serde(default)]
    chart: String,
    #[serde(default)]
    aggregate: AggregateSpec,
}

/// One group of the route's answer.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, Deserialize)]
pub struct Group {
    #[serde(default)]
    pub keys: Vec<Value>,
    #[serde(default)]
    pub values: Vec<Option<f64>>,
}

/// `{"groups": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, Deserialize)]
pub struct Groups {
    #[serde(default)]
    pub groups: Vec<Group>,
}

const PALETTE: [&str; 6] = [
    "#0b5cad", "#1e6b3a", "#8a4b00", "#6b2fa0", "#a4161a", "#334e68",
];

fn label(g: &Group) -> String {
    let parts: Vec<String> = g.keys.iter().map(text_of).collect();
    let s = parts.join(" / ");
    if s.is_empty() { "—".to_owned() } else { s }
}

pub fn render(view: &ViewDef, data: &Groups, l: Locale) -> AnyView {
    let spec: ChartSpec = serde_json::from_value(view.spec.clone()).unwrap_or_default();
    let metric_title = spec
        .aggregate
        .metrics
        .first()
        .map(|m| l.pick(&m.title_zh, &m.title_en).to_owned())
        .unwrap_or_default();
    let points: Vec<(String, f64)> = data
        .groups
        .iter()
        .map(|g| (label(g), g.values.first().copied().flatten().unwrap_or(0.0)))
        .collect();
    let svg = match spec.chart.as_str() {
        "line" => line(&points, &metric_title),
        "pie" => pie(&points, &metric_title),
        _ => bars(&points, &metric_title),
    };
    // The figures as a table.
    let head: Vec<AnyView> = spec
        .aggregate
        .group_by
        .iter()
        .chain(spec.aggregate.metrics.iter())
        .map(|t| {
            view! { <th scope="col">{l.pick(&t.title_zh, &t.title_en).to_owned()}</th> }.into_any()
        })
        .collect();
    let rows: Vec<AnyView> = data
        .groups
        .iter()
        .map(|g| {
            let keys: Vec<AnyView> = g
                .keys
                .iter()
                .map(|k| view! { <td>{text_of(k)}</td> }.into_any())
                .collect();
            let values: Vec<AnyView> = g
                .values
                .iter()
                .map(|v| {
                    let text = v.map_or_else(|| "—".to_owned(), format_number);
                    view! { <td class="num">{text}</td> }.into_any()
                })
                .collect();
            view! { <tr>{keys}{values}</tr> }.into_any()
        })
        .collect();
    view! {
        <figure class="card chart">
            {svg}
            <figcaption>{metric_title.clone()}</figcaption>
        </figure>
        <div class="table-wrap">
            <table class="list">
                <thead>
                    <tr>{head}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn max_of(points: &[(String, f64)]) -> f64 {
    points
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE)
}

/// Horizontal bars: one row per group, labels on the left.
fn bars(points: &[(String, f64)], title: &str) -> AnyView {
    let row = 28.0;
    let height = (points.len() as f64 * row).max(row);
    let max = max_of(points);
    let items: Vec<AnyView> = points
        .iter()
        .enumerate()
        .map(|(i, (name, v))| {
            let y = i as f64 * row;
            let w = (v / max * 440.0).max(0.0);
            view! {
                <g>
                    <text x="150" y=y + 18.0 text-anchor="end" class="chart-label">{name.clone()}</text>
                    <rect x="160" y=y + 6.0 width=w height="16" fill=PALETTE[0] rx="2" />
                    <text x=165.0 + w y=y + 18.0 class="chart-value">{format_number(*v)}</text>
                </g>
            }
            .into_any()
        })
        .collect();
    view! {
        <svg viewBox=format!("0 0 680 {height}") role="img" aria-label=title.to_owned() class="chart-svg">
            {items}
        </svg>
    }
    .into_any()
}

/// A line through the groups in order.
fn line(points: &[(String, f64)], title: &str) -> AnyView {
    let max = max_of(points);
    let n = points.len().max(2) as f64 - 1.0;
    let coords: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| (40.0 + i as f64 / n * 600.0, 200.0 - v / max * 170.0))
        .collect();
    let path = coords
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let labels: Vec<AnyView> = points
        .iter()
        .zip(&coords)
        .map(|((name, v), (x, y))| {
            view! {
                <circle cx=*x cy=*y r="3" fill=PALETTE[0] />
                <text x=*x y=*y - 8.0 text-anchor="middle" class="chart-value">{format_number(*v)}</text>
                <text x=*x y="225" text-anchor="middle" class="chart-label">{name.clone()}</text>
            }
            .into_any()
        })
        .collect();
    view! {
        <svg viewBox="0 0 680 240" role="img" aria-label=title.to_owned() class="chart-svg">
            <polyline points=path fill="none" stroke=PALETTE[0] stroke-width="2" />
            {labels}
        </svg>
    }
    .into_any()
}

/// Shares of the whole as one stacked bar with a legend (readable at any
/// width, unlike a small pie).
fn pie(points: &[(String, f64)], title: &str) -> AnyView {
    let total: f64 = points.iter().map(|(_, v)| v.max(0.0)).sum();
    let total = total.max(f64::MIN_POSITIVE);
    let mut x = 0.0;
    let mut segments = Vec::new();
    let mut legend = Vec::new();
    for (i, (name, v)) in points.iter().enumerate() {
        let w = v.max(0.0) / total * 660.0;
        let colour = PALETTE[i % PALETTE.len()];
        segments
            .push(view! { <rect x=10.0 + x y="10" width=w height="28" fill=colour /> }.into_any());
        let share = format!("{}%", format_number(v.max(0.0) / total * 100.0));
        let y = 60.0 + i as f64 * 22.0;
        legend.push(
            view! {
                <rect x="10" y=y - 11.0 width="12" height="12" fill=colour />
                <text x="28" y=y class="chart-label-left">{format!("{name}：{} （{share}）", format_number(*v))}</text>
            }
            .into_any(),
        );
        x += w;
    }
    let height = 60.0 + points.len() as f64 * 22.0;
    view! {
        <svg viewBox=format!("0 0 680 {height}") role="img" aria-label=title.to_owned() class="chart-svg">
            {segments}
            {legend}
        </svg>
    }
    .into_any()
}
