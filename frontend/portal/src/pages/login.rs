//! The login page: a plain form the host answers with a redirect, so it
//! works before (or without) the browser's WebAssembly.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::notice_from_query;
use crate::i18n::{Msg, locale};

/// Only a local path may be the target after login (no open redirect).
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".to_owned())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let l = locale();
    let query = use_query_map();
    let (error, next) = query.with_untracked(|q| (q.get("error"), q.get("next")));
    let is_notice = error.as_deref() == Some("logged_out");
    let message = notice_from_query(error, !is_notice);
    let next = safe_next(next);
    let lang_href = format!("/auth/lang?to={}&back=/login", l.other().tag());
    view! {
        <Title text=l.t(Msg::LogIn) />
        <main id="main" class="login">
            <form class="card login-card" method="post" action="/auth/login">
                <h1>{l.t(Msg::LoginTitle)}</h1>
                <p class="hint">{l.t(Msg::LoginHint)}</p>
                {message}
                <input type="hidden" name="next" value=next />
                <label for="username">{l.t(Msg::Username)}</label>
                <input
                    id="username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    required
                    maxlength="64"
                    autofocus
                />
                <label for="password">{l.t(Msg::Password)}</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    maxlength="256"
                />
                <button type="submit" class="primary">
                    {l.t(Msg::LogIn)}
                </button>
                <a class="lang" href=lang_href rel="external" hreflang=l.other().tag()>
                    {l.t(Msg::SwitchLanguage)}
                </a>
            </form>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_targets() {
        assert_eq!(
            safe_next(Some("/v/hotline/orders?x=1".into())),
            "/v/hotline/orders?x=1"
        );
        assert_eq!(safe_next(Some("https://evil.example/".into())), "/");
        assert_eq!(safe_next(Some("//evil.example/".into())), "/");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/");
        assert_eq!(safe_next(None), "/");
    }
}
