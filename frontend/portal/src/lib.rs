//! The Bantong portal (办通门户): leptos pages that the host renders on the
//! server (feature `ssr`) and the browser hydrates (feature `hydrate`, built
//! for `wasm32-unknown-unknown` by `cargo xtask portal`).
//!
//! The portal holds no data of its own: every page reads the host's JSON
//! API as the logged-in user ([`api`]), so hall scoping, roles and audit
//! are the host's, enforced once. Pages are complete without JavaScript
//! (lists page, sort and filter through links and GET forms; login and
//! logout are plain form posts the host answers with a redirect);
//! hydration adds client-side navigation and the live parts.
//!
//! Chinese (zh-CN) is the default language, English the second ([`i18n`]).

#![recursion_limit = "256"]

pub mod api;
pub mod i18n;
mod layout;
pub mod model;
mod pages;

pub use pages::login::safe_next;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::i18n::{Locale, Msg};

/// The stylesheet, served by the host at [`STYLESHEET_PATH`].
pub const STYLESHEET: &str = include_str!("../style/portal.css");
pub const STYLESHEET_PATH: &str = "/assets/portal.css";
/// The wasm-bindgen output name: `/pkg/bantong_portal.js` and
/// `/pkg/bantong_portal_bg.wasm`.
pub const OUTPUT_NAME: &str = "bantong_portal";

/// The whole HTML document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let locale = request_locale();
    view! {
        <!DOCTYPE html>
        <html lang=locale.tag()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="stylesheet" href=STYLESHEET_PATH />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The language of this request: the cookie on the server, the page's
/// `lang` attribute (which the server wrote) in the browser.
fn request_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(Locale::from_cookie_header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
            .and_then(|e| e.get_attribute("lang"))
            .map(|l| Locale::from_tag(&l))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Locale::default()
    }
}

/// The application: routes and the locale.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = request_locale();
    provide_context(locale);
    // Effects run only in the browser: mark the page as hydrated (the
    // browser tests wait for it; a style could use it too).
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=move |page: String| {
            if page.is_empty() {
                locale.t(Msg::AppName).to_owned()
            } else {
                format!("{page} · {}", locale.t(Msg::AppName))
            }
        } />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async />
                <Route path=path!("/") view=pages::home::HomePage ssr=SsrMode::Async />
                <Route
                    path=path!("/dashboard")
                    view=pages::dashboard::DashboardPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/plugins")
                    view=pages::admin::PluginsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/plugins/:id")
                    view=pages::admin::PluginPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/plugins/:id/config")
                    view=pages::admin::ConfigPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/agents/:id")
                    view=pages::admin::AgentPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/:view/:id")
                    view=pages::admin::AdminPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/admin/:view")
                    view=pages::admin::AdminPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/password")
                    view=pages::password::PasswordPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/p/:plugin/:page")
                    view=pages::workspace::WorkspacePage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/v/:plugin/:view")
                    view=pages::view::PluginViewPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("/v/:plugin/:view/:id")
                    view=pages::view::PluginViewPage
                    ssr=SsrMode::Async
                />
            </Routes>
        </Router>
    }
}

/// The browser entry point, called by the hydration script.
#[cfg(feature = "hydrate")]
#[allow(unsafe_code)] // generated by #[wasm_bindgen]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
