//! The start page: who you are, where you work, and what you can open.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::notice_from_query;
use crate::i18n::Msg;
use crate::layout::{Session, scope_label, signed_in};

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
        let mut seen: Vec<String> = Vec::new();
        let cards: Vec<AnyView> = s
            .views
            .iter()
            .filter(|v| {
                let href = v.menu_href();
                // Pages only: actions and exports are on their pages.
                let keep = (v.kind != "detail" || v.page().is_some())
                    && v.kind != "action"
                    && !seen.contains(&href);
                seen.push(href);
                keep
            })
            .map(|v| {
                let title = match v.page() {
                    Some((_, page)) => l.pick_json(&page, "title"),
                    None => l.pick_json(&v.title, ""),
                };
                let plugin = v.plugin_label(l);
                view! {
                    <li class="card view-card">
                        <a href=v.menu_href()>
                            <span class="view-title">{title}</span>
                            <span class="view-plugin">{plugin}</span>
                        </a>
                    </li>
                }
                .into_any()
            })
            .collect();
        let empty = cards
            .is_empty()
            .then(|| view! { <p class="empty">{l.t(Msg::NoViews)}</p> });
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
            <ul class="view-cards">{cards}</ul>
            {empty}
        }
        .into_any()
    })
}
