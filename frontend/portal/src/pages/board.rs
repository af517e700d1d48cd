//! The `board` renderer: cards in columns, one column per value of the
//! spec's status field, in the spec's order; a card shows `card_fields`.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::list::Column;
use super::view::{cell, text_of};
use crate::i18n::{Locale, Msg};
use crate::model::{ListPage, ViewDef, field};

/// Cards a board asks for at once (the plugin's own page limit applies).
pub const BOARD_LIMIT: u32 = 200;

#[derive(Debug, Clone, Default, Deserialize)]
struct StatusColumn {
    value: String,
    #[serde(default)]
    title_zh: String,
    #[serde(default)]
    title_en: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct BoardSpec {
    #[serde(default)]
    status_field: String,
    #[serde(default)]
    columns: Vec<StatusColumn>,
    #[serde(default)]
    card_fields: Vec<Column>,
}

pub fn render(view: &ViewDef, page: &ListPage, halls: &[(String, String)], l: Locale) -> AnyView {
    let spec: BoardSpec = serde_json::from_value(view.spec.clone()).unwrap_or_default();
    let status_of = |doc: &Value| {
        field(doc, &spec.status_field)
            .map(text_of)
            .unwrap_or_default()
    };
    let columns: Vec<AnyView> = spec
        .columns
        .iter()
        .map(|col| {
            let cards: Vec<AnyView> = page
                .items
                .iter()
                .filter(|doc| status_of(doc) == col.value)
                .map(|doc| {
                    let fields: Vec<AnyView> = spec
                        .card_fields
                        .iter()
                        .map(|f| {
                            let label = l.pick(&f.title_zh, &f.title_en).to_owned();
                            let value = cell(field(doc, &f.field), &f.kind, &f.labels(halls, l), l);
                            view! {
                                <dt>{label}</dt>
                                <dd>{value}</dd>
                            }
                            .into_any()
                        })
                        .collect();
                    view! {
                        <li class="card board-card">
                            <dl>{fields}</dl>
                        </li>
                    }
                    .into_any()
                })
                .collect();
            let count = cards.len();
            let title = l.pick(&col.title_zh, &col.title_en).to_owned();
            let empty =
                (count == 0).then(|| view! { <li class="empty">{l.t(Msg::NoRecords)}</li> });
            let label = title.clone();
            view! {
                <section class="board-column" aria-label=label>
                    <h2>
                        {title}
                        <span class="count">{count}</span>
                    </h2>
                    <ul>{cards}{empty}</ul>
                </section>
            }
            .into_any()
        })
        .collect();
    let more = page
        .total
        .filter(|t| *t > page.items.len() as u64)
        .map(|total| {
            let shown = page.items.len().to_string();
            let total = total.to_string();
            let text = crate::i18n::fill(
                l.t(Msg::BoardTruncated),
                &[("shown", shown), ("total", total)],
            );
            view! { <p class="notice" role="status">{text}</p> }
        });
    view! {
        {more}
        <div class="board">{columns}</div>
    }
    .into_any()
}
