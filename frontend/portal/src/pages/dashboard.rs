//! The district command dashboard (指挥大屏): the district's live picture,
//! laid out for a 1920×1080 wall screen (read from across a room) and for a
//! laptop.
//!
//! Two sources meet here. The host's `/api/portal/dashboard` gives each
//! hall's edge state: agents, window occupancy, today's tickets from the
//! queue's latest summary, open alerts; in the browser an `EventSource` on
//! `/api/portal/dashboard/stream` replaces it whenever the host sends an
//! `update`. The reporting module's `/command` gives the modules' figures
//! per hall: this month's score and rank, 好差评 today and this month, the
//! hotline's calls and orders, open and overdue problems; the browser reads
//! it again every minute. Without the reporting module the screen shows the
//! edge figures alone.

use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

use super::home::figure_value;
use super::view::when_loaded;
use crate::api;
use crate::i18n::{Locale, Msg, fill, format_datetime, locale};
use crate::layout::{Session, signed_in};

/// The module figures' route (the reporting module).
const COMMAND: &str = "/api/plugins/reporting/command";

/// Both sources: the host's edge snapshot and the modules' board (`None`
/// when the reporting module is not installed or cannot answer).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Loaded {
    edge: Value,
    modules: Option<Value>,
}

async fn load() -> Result<Loaded, api::ApiError> {
    let edge = api::get::<Value>("/api/portal/dashboard".into()).await?;
    let modules = api::get::<Value>(COMMAND.into()).await.ok();
    Ok(Loaded { edge, modules })
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load());
    let l = locale();
    signed_in(move |_s: Session| {
        view! {
            <Title text=l.t(Msg::Dashboard) />
            <div class="command">
                <h1>{l.t(Msg::Dashboard)}</h1>
                {when_loaded(data, l, |initial| view! { <Live initial /> }.into_any())}
            </div>
        }
        .into_any()
    })
}

#[component]
fn Live(initial: Loaded) -> impl IntoView {
    let l = locale();
    let state = RwSignal::new(initial.edge);
    let modules = RwSignal::new(initial.modules);
    let connected = RwSignal::new(false);
    // In the browser only: follow the host's feed, re-read the modules.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            follow(state, connected);
            refresh(modules);
        }
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
        {move || modules.with(|m| sources_note(m.as_ref(), l))}
        <section class="command-totals" aria-label=l.t(Msg::DistrictToday)>
            {move || state.with(|s| modules.with(|m| totals(s, m.as_ref(), l)))}
        </section>
        <div class="command-main">
            <section class="command-halls" aria-label=l.t(Msg::Halls)>
                <ul class="hall-grid">
                    {move || state.with(|s| modules.with(|m| halls(s, m.as_ref(), l)))}
                </ul>
            </section>
            <aside class="command-side">
                {move || modules.with(|m| ranking(m.as_ref(), l))}
                {move || state.with(|s| served_chart(s, l))}
            </aside>
        </div>
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

/// Reads the modules' board again every minute while the page is open; a
/// failed read keeps the last one.
#[cfg(feature = "hydrate")]
fn refresh(modules: RwSignal<Option<Value>>) {
    super::every(60_000, move || {
        leptos::task::spawn_local(async move {
            if let Ok(v) = api::get::<Value>(COMMAND.into()).await {
                modules.set(Some(v));
            }
        });
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

/// Which module figures are missing, and why.
fn sources_note(m: Option<&Value>, l: Locale) -> Option<AnyView> {
    let Some(m) = m else {
        return Some(view! { <p class="notice">{l.t(Msg::NoModuleFigures)}</p> }.into_any());
    };
    let missing: Vec<String> = m
        .get("sources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let name = text(s, "name_zh");
            match s.get("state").and_then(Value::as_str) {
                Some("absent") => Some(fill(l.t(Msg::ModuleAbsent), &[("name", name)])),
                Some("failed") => Some(fill(l.t(Msg::ModuleFailed), &[("name", name)])),
                _ => None,
            }
        })
        .collect();
    (!missing.is_empty()).then(|| view! { <p class="notice">{missing.join("；")}</p> }.into_any())
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

/// A count that may be absent (its module is not installed): `—`.
fn maybe(v: Option<&Value>, key: &str) -> String {
    v.and_then(|v| v.get(key))
        .and_then(Value::as_u64)
        .map_or_else(|| "—".to_owned(), |n| n.to_string())
}

/// Seconds as `4分10秒` / `4 min 10 s`.
fn duration(s: u64, l: Locale) -> String {
    match (s / 60, s % 60) {
        (0, s) => format!("{s}{}", l.pick("秒", " s")),
        (m, 0) => format!("{m}{}", l.pick("分钟", " min")),
        (m, s) => format!("{m}{}{s}{}", l.pick("分", " min "), l.pick("秒", " s")),
    }
}

/// Today's tickets over every hall shown: issued, served, waiting, and the
/// mean wait weighted by the tickets each hall served.
fn tickets_total(s: &Value) -> (u64, u64, u64, Option<u64>) {
    let (mut issued, mut served, mut waiting, mut wait_s, mut waited) = (0, 0, 0, 0u64, 0u64);
    for q in s
        .get("halls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| h.get("queue").filter(|q| !q.is_null()))
    {
        issued += number(q, "issued");
        served += number(q, "served");
        waiting += number(q, "waiting");
        if let Some(avg) = q.get("avg_wait_s").and_then(Value::as_u64) {
            wait_s += avg * number(q, "served");
            waited += number(q, "served");
        }
    }
    (
        issued,
        served,
        waiting,
        (waited > 0).then(|| wait_s / waited),
    )
}

/// One big figure.
fn tile(label: &'static str, value: String, sub: Option<String>, tone: &'static str) -> AnyView {
    view! {
        <div class=format!("command-tile {tone}")>
            <span class="command-label">{label}</span>
            <strong class="command-value">{value}</strong>
            {sub.map(|s| view! { <span class="command-sub">{s}</span> })}
        </div>
    }
    .into_any()
}

fn totals(s: &Value, m: Option<&Value>, l: Locale) -> Vec<AnyView> {
    let (issued, served, waiting, avg) = tickets_total(s);
    let d = m.and_then(|m| m.get("district")).filter(|d| !d.is_null());
    let figure = |key: &str| {
        d.and_then(|d| d.get(key))
            .filter(|f| !f.is_null())
            .map_or_else(|| "—".to_owned(), |f| figure_value(f, l))
    };
    let overdue = d
        .and_then(|d| d.get("overdue_problems"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    vec![
        tile(
            l.t(Msg::TicketsServedToday),
            served.to_string(),
            Some(fill(l.t(Msg::TicketsIssued), &[("n", issued.to_string())])),
            "",
        ),
        tile(
            l.t(Msg::TicketsWaiting),
            waiting.to_string(),
            Some(fill(
                l.t(Msg::AverageWait),
                &[("t", avg.map_or_else(|| "—".to_owned(), |s| duration(s, l)))],
            )),
            if waiting > 30 { "warn" } else { "" },
        ),
        tile(
            l.t(Msg::RatingsToday),
            maybe(d, "ratings_today"),
            Some(format!(
                "{} {}",
                l.t(Msg::GoodRateMonth),
                figure("good_rate_month")
            )),
            "",
        ),
        tile(
            l.t(Msg::HotlineCallsToday),
            maybe(d, "calls_today"),
            Some(fill(
                l.t(Msg::OpenOrders),
                &[("n", maybe(d, "open_orders"))],
            )),
            "",
        ),
        tile(
            l.t(Msg::OpenProblems),
            maybe(d, "open_problems"),
            Some(fill(
                l.t(Msg::OverdueRectification),
                &[("n", overdue.to_string())],
            )),
            if overdue > 0 { "hot" } else { "" },
        ),
        tile(l.t(Msg::MonthScore), figure("score"), None, ""),
    ]
}

/// The modules' line for hall `id`.
fn module_line<'a>(m: Option<&'a Value>, id: &str) -> Option<&'a Value> {
    m?.get("halls")?
        .as_array()?
        .iter()
        .find(|h| h.get("id").and_then(Value::as_str) == Some(id))
}

/// Halls in the modules' order (ranked first), then any the modules did
/// not list in the host's order.
fn ordered<'a>(s: &'a Value, m: Option<&Value>) -> Vec<&'a Value> {
    let mut halls: Vec<&Value> = s
        .get("halls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let position = |id: &str| {
        m.and_then(|m| m.get("halls"))
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .position(|h| h.get("id").and_then(Value::as_str) == Some(id))
            })
            .unwrap_or(usize::MAX)
    };
    halls.sort_by_key(|h| position(&text(h, "id")));
    halls
}

fn halls(s: &Value, m: Option<&Value>, l: Locale) -> Vec<AnyView> {
    ordered(s, m)
        .into_iter()
        .map(|h| {
            let id = text(h, "id");
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
            let tickets = h.get("queue").filter(|q| !q.is_null()).map(|q| {
                fill(
                    l.t(Msg::HallTickets),
                    &[
                        ("served", number(q, "served").to_string()),
                        ("waiting", number(q, "waiting").to_string()),
                        (
                            "wait",
                            q.get("avg_wait_s")
                                .and_then(Value::as_u64)
                                .map_or_else(|| "—".to_owned(), |s| duration(s, l)),
                        ),
                    ],
                )
            });
            let alerts_text = fill(l.t(Msg::OpenAlerts), &[("n", open.to_string())]);
            let alert_class = if open > 0 {
                "hall-alerts hot"
            } else {
                "hall-alerts"
            };
            let line = module_line(m, &id);
            let rank = line
                .and_then(|x| x.get("rank"))
                .and_then(Value::as_u64)
                .map(|r| {
                    let moved = line
                        .and_then(|x| x.get("rank_change"))
                        .and_then(Value::as_i64)
                        .map(|c| match c {
                            c if c > 0 => format!(" ↑{c}"),
                            c if c < 0 => format!(" ↓{}", -c),
                            _ => String::new(),
                        })
                        .unwrap_or_default();
                    let score = line
                        .and_then(|x| x.get("score"))
                        .filter(|f| !f.is_null())
                        .map(|f| figure_value(f, l))
                        .unwrap_or_default();
                    view! {
                        <span class="hall-rank" title=l.t(Msg::MonthRank)>
                            {fill(l.t(Msg::RankN), &[("n", r.to_string())])}{moved}
                            <small>{score}</small>
                        </span>
                    }
                });
            let figures = line.map(|x| {
                let overdue = x.get("overdue_problems").and_then(Value::as_u64).unwrap_or(0);
                let problems_class = if overdue > 0 { "hot" } else { "" };
                let good = x
                    .get("good_rate_month")
                    .filter(|f| !f.is_null())
                    .map_or_else(|| "—".to_owned(), |f| figure_value(f, l));
                view! {
                    <dl class="hall-figures">
                        <dt>{l.t(Msg::RatingsTodayShort)}</dt>
                        <dd>{maybe(Some(x), "ratings_today")}
                            <small>{fill(l.t(Msg::BadN), &[("n", maybe(Some(x), "bad_today"))])}</small></dd>
                        <dt>{l.t(Msg::GoodRateMonth)}</dt>
                        <dd>{good}</dd>
                        <dt>{l.t(Msg::HotlineShort)}</dt>
                        <dd>{fill(l.t(Msg::CallsAndOrders), &[
                            ("calls", maybe(Some(x), "calls_today")),
                            ("orders", maybe(Some(x), "open_orders")),
                        ])}</dd>
                        <dt>{l.t(Msg::ProblemsShort)}</dt>
                        <dd class=problems_class>
                            {fill(l.t(Msg::OpenAndOverdue), &[
                                ("open", maybe(Some(x), "open_problems")),
                                ("overdue", overdue.to_string()),
                            ])}
                        </dd>
                    </dl>
                }
            });
            let href = format!("/v/supervision/problems?hall={}", api::encode_component(&id));
            let label = short(&name);
            view! {
                <li class=class data-hall=id.clone()>
                    <h3><a href=href title=name>{label}</a>{rank}</h3>
                    <p class="hall-status">{status}</p>
                    <p class="hall-windows">{windows}</p>
                    <p class="hall-tickets">{tickets}</p>
                    {figures}
                    <p class=alert_class>{alerts_text}</p>
                </li>
            }
            .into_any()
        })
        .collect()
}

/// Horizontal bars, drawn on the server as SVG with the numbers as text.
fn bars(title: &'static str, rows: Vec<(String, f64, String)>, max: f64) -> AnyView {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 120.0;
    const WIDTH: f64 = 440.0;
    let height = ROW * rows.len() as f64 + 4.0;
    let span = (WIDTH - LABEL - 70.0).max(1.0);
    let items: Vec<AnyView> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, v, shown))| {
            let y = ROW * i as f64 + 2.0;
            let w = if max > 0.0 { (v / max * span).max(1.0) } else { 1.0 };
            view! {
                <g>
                    <text x=LABEL - 6.0 y=y + 17.0 text-anchor="end" class="bar-label">{label}</text>
                    <rect x=LABEL y=y + 4.0 width=w height=ROW - 8.0 rx="3" class="bar" />
                    <text x=LABEL + w + 6.0 y=y + 17.0 class="bar-value">{shown}</text>
                </g>
            }
            .into_any()
        })
        .collect();
    view! {
        <figure class="command-chart">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=title>{items}</svg>
        </figure>
    }
    .into_any()
}

/// Short hall names for the wall and the charts (百楼镇行政综合服务中心 →
/// 百楼镇); the full name stays in the card's title.
fn short(name: &str) -> String {
    for suffix in [
        "行政综合服务中心",
        "便民服务中心",
        "政务服务中心",
        "服务中心",
    ] {
        if let Some(s) = name.strip_suffix(suffix).filter(|s| !s.is_empty()) {
            return s.to_owned();
        }
    }
    name.to_owned()
}

/// This month's ranking by score.
fn ranking(m: Option<&Value>, l: Locale) -> Option<AnyView> {
    let rows: Vec<(String, f64, String)> = m?
        .get("halls")?
        .as_array()?
        .iter()
        .filter_map(|h| {
            let f = h.get("score")?;
            let v = f.get("value")?.as_f64()?;
            Some((short(&text(h, "name_zh")), v, figure_value(f, l)))
        })
        .collect();
    if rows.is_empty() {
        return Some(view! { <p class="empty">{l.t(Msg::NoScoresYet)}</p> }.into_any());
    }
    Some(bars(l.t(Msg::MonthRanking), rows, 100.0))
}

/// Today's tickets served per hall, most first.
fn served_chart(s: &Value, l: Locale) -> Option<AnyView> {
    let mut rows: Vec<(String, f64, String)> = s
        .get("halls")?
        .as_array()?
        .iter()
        .filter_map(|h| {
            let q = h.get("queue").filter(|q| !q.is_null())?;
            let served = number(q, "served");
            let name = l.pick_json(h.get("name").unwrap_or(&Value::Null), "");
            Some((short(&name), served as f64, served.to_string()))
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    Some(bars(l.t(Msg::ServedByHall), rows, max))
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
        "haocha-bad" => l.t(Msg::AlertBadRating).to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_district_wait_is_weighted_by_tickets_served() {
        let s = json!({"halls": [
            {"queue": {"issued": 10, "served": 8, "waiting": 2, "avg_wait_s": 300}},
            {"queue": {"issued": 3, "served": 2, "waiting": 1, "avg_wait_s": 600}},
            {"queue": null},
        ]});
        // (8 × 300 + 2 × 600) / 10 = 360 s.
        assert_eq!(tickets_total(&s), (13, 10, 3, Some(360)));
        assert_eq!(tickets_total(&json!({"halls": []})), (0, 0, 0, None));
    }

    #[test]
    fn halls_follow_the_modules_ranking() {
        let s = json!({"halls": [{"id": "a"}, {"id": "b"}, {"id": "c"}]});
        let m = json!({"halls": [{"id": "c"}, {"id": "a"}]});
        let ids: Vec<String> = ordered(&s, Some(&m))
            .iter()
            .map(|h| text(h, "id"))
            .collect();
        assert_eq!(ids, ["c", "a", "b"]);
        let plain: Vec<String> = ordered(&s, None).iter().map(|h| text(h, "id")).collect();
        assert_eq!(plain, ["a", "b", "c"]);
    }

    #[test]
    fn names_and_durations_read_well() {
        assert_eq!(short("百楼镇便民服务中心"), "百楼镇");
        assert_eq!(short("和平里街道行政综合服务中心"), "和平里街道");
        assert_eq!(short("莲池区政务服务中心"), "莲池区");
        assert_eq!(short("服务中心"), "服务中心");
        assert_eq!(duration(250, Locale::Zh), "4分10秒");
        assert_eq!(duration(45, Locale::Zh), "45秒");
        assert_eq!(duration(120, Locale::En), "2 min");
    }
}
