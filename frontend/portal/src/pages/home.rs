//! The start page: who you are, what you must do today, and what you can
//! open. "Today" gathers every module's tiles (list views with
//! `tiles: true`, role-filtered like every view): counts of work waiting,
//! each linking to its page, and key figures with their numerator,
//! denominator and trend. Below, each module's pages, grouped by module.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde_json::Value;

use super::notice_from_query;
use super::view::when_loaded;
use crate::api;
use crate::i18n::{Locale, Msg};
use crate::layout::{Session, scope_label, signed_in};
use crate::model::ViewDef;

/// A figure's value as a tile shows it: `85.3%`, `12.5 秒`, `4.52 分`, `37`;
/// `—` when it has no value (nothing to count yet).
pub(crate) fn figure_value(f: &Value, l: Locale) -> String {
    let Some(v) = f.get("value").and_then(Value::as_f64) else {
        return "—".to_owned();
    };
    match f.get("unit").and_then(Value::as_str).unwrap_or("count") {
        "ratio" => format!("{:.1}%", v * 100.0),
        "seconds" => format!("{v:.1}{}", l.pick(" 秒", " s")),
        "points" => format!("{v:.2}{}", l.pick(" 分", " points")),
        _ => format!("{v:.0}"),
    }
}

/// The change from the previous period: `较上月 ↑2.1个百分点`.
fn trend(now: &Value, before: Option<&Value>, l: Locale) -> Option<String> {
    let a = now.get("value").and_then(Value::as_f64)?;
    let b = before?.get("value").and_then(Value::as_f64)?;
    let ratio = now.get("unit").and_then(Value::as_str) == Some("ratio");
    let d = if ratio { (a - b) * 100.0 } else { a - b };
    let arrow = if d > 0.05 {
        "↑"
    } else if d < -0.05 {
        "↓"
    } else {
        "→"
    };
    let unit = if ratio {
        l.pick("个百分点", " points")
    } else {
        ""
    };
    Some(format!(
        "{}{arrow}{:.1}{unit}",
        l.pick("较上月 ", "vs last month "),
        d.abs()
    ))
}

/// A figure's definition in the page's language. Definitions are written
/// Chinese first, then English (`按时办结率 = … on-time completion = …`):
/// the English starts at the first Latin letter after Chinese text.
fn definition_in(definition: &str, l: Locale) -> String {
    let mut seen_cjk = false;
    let split = definition.char_indices().find_map(|(i, c)| {
        if !c.is_ascii() {
            seen_cjk = true;
            None
        } else if seen_cjk && c.is_ascii_alphabetic() {
            Some(i)
        } else {
            None
        }
    });
    match split {
        Some(i) => l
            .pick(definition[..i].trim(), definition[i..].trim())
            .to_owned(),
        None => definition.to_owned(),
    }
}

fn tile(t: &Value, l: Locale) -> AnyView {
    let label = l.pick_json(t, "label");
    let href = t
        .get("href")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    match t.get("figure") {
        Some(f) => {
            let value = figure_value(f, l);
            let n = f.get("numerator").and_then(Value::as_u64).unwrap_or(0);
            let d = f.get("denominator").and_then(Value::as_u64).unwrap_or(0);
            let definition = definition_in(
                f.get("definition")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                l,
            );
            let change = trend(f, t.get("previous"), l);
            let tooltip = definition.clone();
            view! {
                <li class="tile figure-tile">
                    <a href=href title=tooltip>
                        <span class="tile-label">{label}</span>
                        <span class="tile-value">{value}</span>
                        <span class="tile-basis">{format!("{n} / {d}")}</span>
                        {change.map(|c| view! { <span class="tile-trend">{c}</span> })}
                        <span class="tile-definition">{definition}</span>
                    </a>
                </li>
            }
            .into_any()
        }
        None => {
            let value = t.get("value").and_then(Value::as_u64).unwrap_or(0);
            let tone = match t.get("tone").and_then(Value::as_str) {
                Some("warn") => "tile count-tile warn",
                _ => "tile count-tile",
            };
            view! {
                <li class=tone>
                    <a href=href>
                        <span class="tile-label">{label}</span>
                        <span class="tile-value">{value}</span>
                    </a>
                </li>
            }
            .into_any()
        }
    }
}

/// One module's tiles, loaded from its route.
#[component]
fn Tiles(view: ViewDef) -> impl IntoView {
    let l = crate::i18n::locale();
    let path = view.api_path(None);
    let data = Resource::new(move || path.clone(), api::get::<Value>);
    let module = view.plugin_label(l);
    view! {
        <section class="today-module" data-plugin=view.plugin.clone()>
            <h3>{module}</h3>
            {when_loaded(data, l, move |v: Value| {
                let tiles: Vec<AnyView> = v
                    .get("items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|t| tile(t, l))
                    .collect();
                if tiles.is_empty() {
                    view! { <p class="empty">{l.t(Msg::NothingToday)}</p> }.into_any()
                } else {
                    view! { <ul class="tile-grid">{tiles}</ul> }.into_any()
                }
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_is_shown_in_the_pages_language() {
        let d =
            "按时办结率 = 时限内答复工单数 / 到期工单数 on-time completion = replied by due / due";
        assert_eq!(
            definition_in(d, Locale::Zh),
            "按时办结率 = 时限内答复工单数 / 到期工单数"
        );
        assert_eq!(
            definition_in(d, Locale::En),
            "on-time completion = replied by due / due"
        );
        assert_eq!(definition_in("15秒接通率 = a / b", Locale::En), "a / b");
        assert_eq!(definition_in("plain", Locale::Zh), "plain");
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let notice = use_query_map().with_untracked(|q| q.get("notice"));
    signed_in(move |s: Session| {
        let l = s.locale;
        let user = &s.me.user;
        let roles: Vec<String> = user
            .roles
            .iter()
            .map(|r| Msg::role(r).map_or_else(|| r.clone(), |m| l.t(m).to_owned()))
            .collect();
        let tiles: Vec<AnyView> = s
            .views
            .iter()
            .filter(|v| v.is_tiles())
            .map(|v| view! { <Tiles view=v.clone() /> }.into_any())
            .collect();
        let today = (!tiles.is_empty()).then(|| {
            view! {
                <section class="today" aria-labelledby="today-title">
                    <h2 id="today-title">{l.t(Msg::Today)}</h2>
                    {tiles}
                </section>
            }
        });
        // Each module's pages, in menu order: actions and exports are on
        // their pages, details are reached from their lists.
        let mut seen: Vec<String> = Vec::new();
        let mut modules: Vec<(String, Vec<AnyView>)> = Vec::new();
        for v in &s.views {
            let href = v.menu_href();
            let keep = (v.kind != "detail" || v.page().is_some())
                && v.kind != "action"
                && !v.is_tiles()
                && !seen.contains(&href);
            seen.push(href.clone());
            if !keep {
                continue;
            }
            let title = match v.page() {
                Some((_, page)) => l.pick_json(&page, "title"),
                None => l.pick_json(&v.title, ""),
            };
            let card = view! {
                <li class="card view-card">
                    <a href=href>
                        <span class="view-title">{title}</span>
                    </a>
                </li>
            }
            .into_any();
            let module = v.plugin_label(l);
            match modules.iter_mut().find(|(m, _)| *m == module) {
                Some((_, cards)) => cards.push(card),
                None => modules.push((module, vec![card])),
            }
        }
        // In the menu's order: by module name.
        modules.sort_by(|a, b| a.0.cmp(&b.0));
        let empty = modules
            .is_empty()
            .then(|| view! { <p class="empty">{l.t(Msg::NoViews)}</p> });
        let modules: Vec<AnyView> = modules
            .into_iter()
            .map(|(module, cards)| {
                view! {
                    <section class="module-pages">
                        <h3>{module}</h3>
                        <ul class="view-cards">{cards}</ul>
                    </section>
                }
                .into_any()
            })
            .collect();
        view! {
            <Title text=l.t(Msg::Home) />
            {notice_from_query(notice.clone(), false)}
            <h1>{format!("{}{}{}", l.t(Msg::Welcome), l.pick("，", ", "), user.display_name)}</h1>
            <dl class="facts">
                <dt>{l.t(Msg::YourRoles)}</dt>
                <dd>{roles.join("、")}</dd>
                <dt>{l.t(Msg::YourHalls)}</dt>
                <dd>{scope_label(&s.hall_labels(), user, l)}</dd>
            </dl>
            {today}
            <h2>{l.t(Msg::YourModules)}</h2>
            {modules}
            {empty}
        }
        .into_any()
    })
}
