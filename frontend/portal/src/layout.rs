//! The frame of every signed-in page: the header (who, where, language,
//! logout), the menu built from the caller's roles and the views of the
//! enabled plugins, and the main area.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::api::{self, encode_component};
use crate::i18n::{Locale, Msg, locale};
use crate::model::{HallName, Me, User, ViewDef, Views};

/// What a signed-in page knows about its caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub me: Me,
    pub views: Vec<ViewDef>,
    /// The halls the caller may see.
    pub halls: Vec<HallName>,
    pub locale: Locale,
}

impl Session {
    /// (id, name in the page's language) of the visible halls: the labels
    /// of `hall` columns.
    pub fn hall_labels(&self) -> Vec<(String, String)> {
        self.halls
            .iter()
            .map(|h| {
                let name = self.locale.pick(&h.name_zh, &h.name_en);
                let name = if name.is_empty() { &h.id } else { name };
                (h.id.clone(), name.to_owned())
            })
            .collect()
    }
}

/// Loads the caller and their views, then renders `body` inside the frame;
/// an anonymous or expired session goes to the login page, which says why.
pub fn signed_in<F>(body: F) -> impl IntoView
where
    F: Fn(Session) -> AnyView + Send + Sync + Clone + 'static,
{
    let l = locale();
    let location = use_location();
    let here = move || {
        let search = location.search.get_untracked();
        let search = search.trim_start_matches('?');
        let path = location.pathname.get_untracked();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    let me = Resource::new(|| (), |_| api::get::<Me>("/api/auth/me".into()));
    let views = Resource::new(|| (), |_| api::get::<Views>("/api/portal/views".into()));
    view! {
        <Suspense fallback=move || view! { <p class="loading">{l.t(Msg::Loading)}</p> }>
            {move || {
                let body = body.clone();
                let back = here();
                Suspend::new(async move {
                    match me.await {
                        Err(e) if e.is_unauthenticated() => {
                            let mut target = format!("/login?next={}", encode_component(&back));
                            if e.code == "session_expired" {
                                target.push_str("&error=session_expired");
                            }
                            view! { <Redirect path=target /> }.into_any()
                        }
                        Err(e) => {
                            view! {
                                <main id="main" class="error-page">
                                    <p class="alert" role="alert">
                                        {l.t(Msg::for_error(&e.code))}
                                    </p>
                                </main>
                            }
                                .into_any()
                        }
                        Ok(me) => {
                            let (views, halls) = views
                                .await
                                .map(|v| (v.items, v.halls))
                                .unwrap_or_default();
                            let session = Session {
                                me,
                                views,
                                halls,
                                locale: l,
                            };
                            frame(session, back, body).into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

fn frame<F>(session: Session, back: String, body: F) -> impl IntoView
where
    F: Fn(Session) -> AnyView,
{
    let l = session.locale;
    let user = session.me.user.clone();
    let csrf = session.me.csrf_token.clone().unwrap_or_default();
    let lang_href = format!(
        "/auth/lang?to={}&back={}",
        l.other().tag(),
        encode_component(&back)
    );
    let nav = menu(&user, &session.views, l);
    let session_halls = session.hall_labels();
    let main = body(session);
    view! {
        <a class="skip" href="#main">
            {l.t(Msg::SkipToContent)}
        </a>
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-name">{l.t(Msg::AppName)}</span>
                <span class="brand-sub">{l.t(Msg::AppSubtitle)}</span>
            </a>
            <div class="who">
                <span class="user-name">{user.display_name.clone()}</span>
                <span class="user-scope">{scope_label(&session_halls, &user, l)}</span>
                <a class="lang" href=lang_href rel="external" hreflang=l.other().tag()>
                    {l.t(Msg::SwitchLanguage)}
                </a>
                <a class="password-link" href="/password">
                    {l.t(Msg::ChangePassword)}
                </a>
                <form class="logout" method="post" action="/auth/logout">
                    <input type="hidden" name="csrf" value=csrf />
                    <button type="submit">{l.t(Msg::LogOut)}</button>
                </form>
            </div>
        </header>
        <div class="layout">
            <nav class="menu" aria-label=l.t(Msg::Menu)>
                {nav}
            </nav>
            <main id="main" tabindex="-1">
                {main}
            </main>
        </div>
    }
}

/// "Whole district" or the names of the caller's halls (`halls`: id →
/// name, from [`Session::hall_labels`]).
pub fn scope_label(halls: &[(String, String)], user: &User, l: Locale) -> String {
    if user.district_wide {
        return l.t(Msg::AllHalls).to_owned();
    }
    let names: Vec<&str> = user
        .halls
        .iter()
        .map(|id| {
            halls
                .iter()
                .find(|(h, _)| h == id)
                .map_or(id.as_str(), |(_, name)| name.as_str())
        })
        .collect();
    names.join("、")
}

/// Home and the dashboard, the plugins' pages grouped by their menu (or
/// plugin) in collapsible groups, then administration for those allowed.
/// Only pages are listed: a plugin's actions and exports are buttons on its
/// pages ([`actions_of`]), not menu entries.
fn menu(user: &User, views: &[ViewDef], l: Locale) -> AnyView {
    let mut groups: BTreeMap<String, Vec<&ViewDef>> = BTreeMap::new();
    let mut pages_seen: Vec<String> = Vec::new();
    for v in views {
        // A workspace appears once, under its first view; details are
        // reached from their list, actions from the pages.
        if let Some(href) = v.page().map(|_| v.menu_href()) {
            if pages_seen.contains(&href) {
                continue;
            }
            pages_seen.push(href);
        } else if v.kind == "detail" || v.kind == "action" || v.is_tiles() || v.is_record_form() {
            continue;
        }
        let group = v.menu.clone().unwrap_or_else(|| v.plugin_label(l));
        groups.entry(group).or_default().push(v);
    }
    let groups: Vec<AnyView> = groups
        .into_iter()
        .map(|(name, items)| {
            let links: Vec<AnyView> = items
                .into_iter()
                .map(|v| {
                    let title = match v.page() {
                        Some((_, page)) => l.pick_json(&page, "title"),
                        None => l.pick_json(&v.title, ""),
                    };
                    view! {
                        <li>
                            <a href=v.menu_href()>{title}</a>
                        </li>
                    }
                    .into_any()
                })
                .collect();
            view! {
                <li class="menu-group">
                    <details open>
                        <summary class="menu-title">{name}</summary>
                        <ul>{links}</ul>
                    </details>
                </li>
            }
            .into_any()
        })
        .collect();
    let may_audit = ["leader", "hall-manager", "inspector"]
        .iter()
        .any(|r| user.has_role(r));
    let admin_links = crate::pages::admin::menu(l, user.is_admin(), may_audit);
    let admin = (!admin_links.is_empty()).then(|| {
        let links: Vec<AnyView> = admin_links
            .into_iter()
            .map(|(href, label)| view! { <li><a href=href>{label}</a></li> }.into_any())
            .collect();
        view! {
            <li class="menu-group">
                <details open>
                    <summary class="menu-title">{l.t(Msg::Administration)}</summary>
                    <ul>{links}</ul>
                </details>
            </li>
        }
    });
    view! {
        <ul>
            <li>
                <a href="/">{l.t(Msg::Home)}</a>
            </li>
            <li>
                <a href="/dashboard">{l.t(Msg::Dashboard)}</a>
            </li>
            {groups}
            {admin}
        </ul>
    }
    .into_any()
}

/// The action views (actions and exports) of the plugin that owns `view`,
/// in its menu group, as a row of links under a page's title.
pub fn actions_of(views: &[ViewDef], view: &ViewDef, l: Locale) -> Option<AnyView> {
    if view.plugin.is_empty() {
        return None;
    }
    let links: Vec<AnyView> = views
        .iter()
        .filter(|v| v.kind == "action" && v.plugin == view.plugin && v.menu == view.menu)
        .map(|v| {
            let title = l.pick_json(&v.title, "");
            view! { <a class="button" href=v.menu_href()>{title}</a> }.into_any()
        })
        .collect();
    (!links.is_empty()).then(|| {
        view! { <p class="page-actions" role="group" aria-label=l.t(Msg::Actions)>{links}</p> }
            .into_any()
    })
}
