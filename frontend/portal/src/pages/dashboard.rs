//! The district command dashboard (指挥大屏): every hall the viewer may see
//! with its edge agent's state and window occupancy, and the latest camera
//! alerts with snapshots. Rendered on the server from
//! `/api/portal/dashboard`; in the browser an `EventSource` on
//! `/api/portal/dashboard/stream` replaces the data whenever the host sends
//! an `update`, so the screen stays current without reloading.

use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

use super::view::when_loaded;
use crate::api;
use crate::i18n::{Locale, Msg, fill, format_datetime, locale};
use crate::layout::{Session, signed_in};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| api::get::<Value>("/api/portal/dashboard".into()));
    let l = locale();
    signed_in(move |_s: Session| {
        view! {
            <Title text=l.t(Msg::Dashboard) />
            <h1>{l.t(Msg::Dashboard)}</h1>
            {when_loaded(data, l, |initial| view! { <Live initial /> }.into_any())}
        }
        .into_any()
    })
}

#[component]
fn Live(initial: Value) -> impl IntoView {
    let l = locale();
    let state = RwSignal::new(initial);
    let connected = RwSignal::new(false);
    // In the browser only: follow the host's feed.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        follow(state, connected);
    });
    view! {
        <p class="live" aria-live="polite">
            {move || {
                if connected.get() {
                    view! { <span class="dot on"></span>{l.t(Msg::LiveOn)} }.into_any()
                } else {
                    view! { <span class="dot"></span>{l.t(Msg::LiveOff)} }.into_any()
                }
            }}
        </p>
        {move || state.with(|s| calendar_warning(s, l))}
        <section aria-label=l.t(Msg::Halls)>
            <ul class="hall-grid">{move || state.with(|s| halls(s, l))}</ul>
        </section>
        <section class="alerts" aria-label=l.t(Msg::LatestAlerts)>
            <h2>{l.t(Msg::LatestAlerts)}</h2>
            <ul class="alert-list" aria-live="polite">{move || state.with(|s| alerts(s, l))}</ul>
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn follow(state: RwSignal<Value>, connected: RwSignal<bool>) {
    use leptos::wasm_bindgen::JsCast;
    use leptos::wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new("/api/portal/dashboard/stream") else {
        return;
    };
    let on_update =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            connected.set(true);
            if let Some(v) = ev
                .data()
                .as_string()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            {
                state.set(v);
            }
        });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| connected.set(false));
    let _ = source.add_event_listener_with_callback("update", on_update.as_ref().unchecked_ref());
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let handle = send_wrapper::SendWrapper::new((source, on_update, on_error));
    on_cleanup(move || {
        let (source, _update, _error) = handle.take();
        source.close();
    });
}

/// The warning that a year's holiday arrangement is missing, linking to
/// the calendar page.
fn calendar_warning(s: &Value, l: Locale) -> Option<AnyView> {
    let w = s.get("calendar_warning").filter(|w| !w.is_null())?;
    let text = match l {
        Locale::Zh => text(w, "zh"),
        Locale::En => text(w, "en"),
    };
    Some(
        view! {
            <p class="notice warn" role="alert">
                {text}" "<a href="/admin/calendar">{l.t(Msg::CalendarLink)}</a>
            </p>
        }
        .into_any(),
    )
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn number(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn halls(s: &Value, l: Locale) -> Vec<AnyView> {
    s.get("halls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|h| {
            let name = l.pick_json(h.get("name").unwrap_or(&Value::Null), "");
            let agents = number(h, "agents");
            let online = number(h, "online");
            let (class, status) = match (agents, online) {
                (0, _) => ("hall-card none", l.t(Msg::NoAgent)),
                (_, 0) => ("hall-card offline", l.t(Msg::Offline)),
                _ => ("hall-card online", l.t(Msg::Online)),
            };
            let open = number(h, "open_alerts");
            let windows = h.get("windows").filter(|w| !w.is_null()).map(|w| {
                fill(
                    l.t(Msg::WindowsBusy),
                    &[
                        ("occupied", number(w, "occupied").to_string()),
                        ("seats", number(w, "seats").to_string()),
                        ("waiting", number(w, "waiting").to_string()),
                    ],
                )
            });
            let alerts_text = fill(l.t(Msg::OpenAlerts), &[("n", open.to_string())]);
            let alert_class = if open > 0 {
                "hall-alerts hot"
            } else {
                "hall-alerts"
            };
            view! {
                <li class=class data-hall=text(h, "id")>
                    <h3>{name}</h3>
                    <p class="hall-status">{status}</p>
                    <p class="hall-windows">{windows}</p>
                    <p class=alert_class>{alerts_text}</p>
                </li>
            }
            .into_any()
        })
        .collect()
}

/// The hall's name from the dashboard's halls, else its id.
fn hall_name(s: &Value, id: &str, l: Locale) -> String {
    s.get("halls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|h| h.get("id").and_then(Value::as_str) == Some(id))
        .map(|h| l.pick_json(h.get("name").unwrap_or(&Value::Null), ""))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| id.to_owned())
}

fn alert_kind(kind: &str, l: Locale) -> String {
    let bare = kind.strip_prefix("alert.").unwrap_or(kind);
    match bare {
        "window-unattended" => l.t(Msg::AlertUnattended).to_owned(),
        "crowding" => l.t(Msg::AlertCrowding).to_owned(),
        other => other.to_owned(),
    }
}

fn alerts(s: &Value, l: Locale) -> Vec<AnyView> {
    let items: Vec<AnyView> = s
        .get("alerts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| {
            let when = a
                .get("ts_ms")
                .and_then(Value::as_i64)
                .map(|ms| format_datetime(ms, l))
                .unwrap_or_default();
            let kind = alert_kind(&text(a, "kind"), l);
            let subject = text(a, "subject");
            let hall = hall_name(s, &text(a, "hall"), l);
            let image = a
                .get("snapshot")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|sha| {
                    let alt = format!("{kind} {subject}");
                    view! { <img src=format!("/api/blobs/{sha}") alt=alt loading="lazy" width="160" height="120" /> }
                });
            view! {
                <li class="card alert-item" data-kind=text(a, "kind")>
                    {image}
                    <div>
                        <strong>{kind}</strong>
                        <span class="alert-where">{format!("{hall} {subject}")}</span>
                        <time>{when}</time>
                    </div>
                </li>
            }
            .into_any()
        })
        .collect();
    if items.is_empty() {
        vec![view! { <li class="empty">{l.t(Msg::NoAlerts)}</li> }.into_any()]
    } else {
        items
    }
}
