//! Changing one's own password (required after a bootstrap or reset).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::notice_from_query;
use crate::i18n::Msg;
use crate::layout::{Session, signed_in};

#[component]
pub fn PasswordPage() -> impl IntoView {
    let query = use_query_map();
    let (error, message) = query.with_untracked(|q| (q.get("error"), q.get("message")));
    signed_in(move |s: Session| {
        let l = s.locale;
        let csrf = s.me.csrf_token.clone().unwrap_or_default();
        let must =
            s.me.user.must_change_password.then(
                || view! { <p class="notice" role="status">{l.t(Msg::MustChangePassword)}</p> },
            );
        // The host's own message (e.g. which rule a weak password broke).
        let detail = message
            .clone()
            .filter(|m| !m.is_empty())
            .map(|m| view! { <p class="alert-detail">{m}</p> });
        view! {
            <Title text=l.t(Msg::ChangePassword) />
            <h1>{l.t(Msg::ChangePassword)}</h1>
            {must}
            {notice_from_query(error.clone(), true)}
            {detail}
            <form class="card form" method="post" action="/auth/password">
                <input type="hidden" name="csrf" value=csrf />
                <label for="old_password">{l.t(Msg::OldPassword)}</label>
                <input
                    id="old_password"
                    name="old_password"
                    type="password"
                    autocomplete="current-password"
                    required
                />
                <label for="new_password">{l.t(Msg::NewPassword)}</label>
                <input
                    id="new_password"
                    name="new_password"
                    type="password"
                    autocomplete="new-password"
                    required
                    minlength="10"
                />
                <button type="submit" class="primary">
                    {l.t(Msg::Save)}
                </button>
            </form>
        }
        .into_any()
    })
}
