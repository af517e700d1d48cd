//! The portal's pages.

pub mod admin;
pub mod board;
pub mod chart;
pub mod dashboard;
pub mod form;
pub mod home;
pub mod list;
pub mod login;
pub mod password;
pub mod view;
pub mod workspace;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::{Msg, locale};

/// Any path the portal does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    let l = locale();
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text=l.t(Msg::ErrNotFound) />
        <main id="main" class="error-page">
            <h1>{l.t(Msg::ErrNotFound)}</h1>
            <p>
                <a href="/">{l.t(Msg::Home)}</a>
            </p>
        </main>
    }
}

/// A notice or error named by the `error` / `notice` query parameter.
pub fn notice_from_query(code: Option<String>, alert: bool) -> Option<impl IntoView> {
    let l = locale();
    code.filter(|c| !c.is_empty()).map(|c| {
        let text = l.t(Msg::for_error(&c));
        if alert {
            view! { <p class="alert" role="alert">{text}</p> }.into_any()
        } else {
            view! { <p class="notice" role="status">{text}</p> }.into_any()
        }
    })
}
