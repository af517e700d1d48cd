//! The portal's pages.

pub mod admin;
pub mod board;
pub mod chart;
pub mod dashboard;
pub mod exam;
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

/// Calls `tick` every `ms` milliseconds while the calling component lives
/// (the interval is cleared when it goes).
#[cfg(feature = "hydrate")]
pub fn every(ms: i32, tick: impl FnMut() + 'static) {
    use leptos::wasm_bindgen::JsCast;
    use leptos::wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let tick = Closure::<dyn FnMut()>::new(tick);
    let Ok(id) = window
        .set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), ms)
    else {
        return;
    };
    let handle = send_wrapper::SendWrapper::new(tick);
    on_cleanup(move || {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(id);
        }
        drop(handle.take());
    });
}

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
