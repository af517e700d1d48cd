//! `/v/{plugin}/{view}[/{id}]`: one view a plugin declared, rendered by the
//! renderer for its kind. The portal knows nothing of the plugin: the view
//! definition (route, spec) comes from `/api/portal/views`, the data from
//! the plugin's own route, both as the logged-in user.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::board::{self, BOARD_LIMIT};
use super::chart::{self, Groups};
use super::form::{ActionButton, SchemaForm};
use super::list;
use crate::api::{ApiError, Client, encode_component, parse_query};
use crate::i18n::{Locale, Msg, format_datetime, format_number, locale};
use crate::layout::{Session, signed_in};
use crate::model::{ListPage, ViewDef, Views, field};

/// A view and the data it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Loaded {
    List {
        view: ViewDef,
        page: ListPage,
        params: Vec<(String, String)>,
    },
    Detail {
        view: ViewDef,
        doc: Value,
    },
    Board {
        view: ViewDef,
        page: ListPage,
    },
    Chart {
        view: ViewDef,
        data: Groups,
    },
    Form {
        view: ViewDef,
        /// Drop-down choices per field, from the spec's `options` routes.
        options: Vec<(String, Vec<String>)>,
        /// The record being edited (`{id}` in the route), else none.
        id: Option<String>,
        /// Its current values, shown in the form.
        initial: serde_json::Map<String, Value>,
    },
    Action {
        view: ViewDef,
    },
    /// A detail shown on a workspace before anything is chosen: a form
    /// asking for the record's id.
    AskId {
        view: ViewDef,
    },
    /// A checklist for the field app (`spec.field`): a link to it.
    Field {
        view: ViewDef,
    },
    /// An exam to sit (a form whose spec names `exam` routes), with what
    /// its `info` route says of it.
    Exam {
        view: ViewDef,
        id: String,
        info: Value,
    },
    /// A kind this portal version does not render yet.
    Other {
        view: ViewDef,
    },
}

impl Loaded {
    pub fn view(&self) -> &ViewDef {
        match self {
            Loaded::List { view, .. }
            | Loaded::Detail { view, .. }
            | Loaded::Board { view, .. }
            | Loaded::Chart { view, .. }
            | Loaded::Form { view, .. }
            | Loaded::Action { view }
            | Loaded::AskId { view }
            | Loaded::Field { view }
            | Loaded::Exam { view, .. }
            | Loaded::Other { view } => view,
        }
    }
}

async fn load(
    client: Client,
    plugin: String,
    view_id: String,
    id: Option<String>,
    search: String,
) -> Result<Loaded, ApiError> {
    let views: Views = client.get("/api/portal/views".into()).await?;
    let view = views
        .items
        .into_iter()
        .find(|v| v.plugin == plugin && v.id == view_id)
        .ok_or_else(|| ApiError {
            status: 404,
            code: "not_found".into(),
            message: String::new(),
            details: Vec::new(),
        })?;
    load_view(client, view, id, search).await
}

/// Fetches what `view` shows, by its kind.
pub async fn load_view(
    client: Client,
    view: ViewDef,
    id: Option<String>,
    search: String,
) -> Result<Loaded, ApiError> {
    let params = parse_query(&search);
    if view.is_field() {
        return Ok(Loaded::Field { view });
    }
    if let Some(id) = &id
        && let Some(info) = super::exam::Routes::info(&view, id)
    {
        let info: Value = client.get(info).await?;
        return Ok(Loaded::Exam {
            id: id.clone(),
            view,
            info,
        });
    }
    match view.kind.as_str() {
        "list" => {
            let query = list::api_query(&view.spec, &params);
            let page = client
                .get(format!("{}{query}", view.api_path(None)))
                .await?;
            Ok(Loaded::List { view, page, params })
        }
        "detail" => {
            let doc = client.get(view.api_path(id.as_deref())).await?;
            Ok(Loaded::Detail { view, doc })
        }
        "board" => {
            let path = format!("{}?offset=0&limit={BOARD_LIMIT}", view.api_path(None));
            let page = client.get(path).await?;
            Ok(Loaded::Board { view, page })
        }
        "chart" => {
            let data = client.get(view.api_path(None)).await?;
            Ok(Loaded::Chart { view, data })
        }
        "form" => {
            let mut view = view;
            let mut options = Vec::new();
            let mut labelled = Vec::new();
            if let Some(map) = view.spec.get("options").and_then(Value::as_object) {
                for (field, route) in map {
                    let Some(route) = route.as_str() else {
                        continue;
                    };
                    let path = if view.is_builtin() {
                        route.to_owned()
                    } else {
                        format!("/api/plugins/{}{route}", view.plugin)
                    };
                    // A list of strings; or of objects with a `value` (or
                    // an `id`) and a label (`label_zh`/`label_en`,
                    // `name_zh`/`name_en` as halls have, or one `label`),
                    // bare or as a list answer's `items`.
                    let answer: Value = client.get(path).await?;
                    let entries: Vec<&Value> = match &answer {
                        Value::Array(a) => a.iter().collect(),
                        other => other
                            .get("items")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().collect())
                            .unwrap_or_default(),
                    };
                    let mut choices: Vec<String> = Vec::new();
                    let mut labels = serde_json::Map::new();
                    for e in entries {
                        let value = match e {
                            Value::Object(_) => match e.get("value").or_else(|| e.get("id")) {
                                Some(v) => text_of(v),
                                None => continue,
                            },
                            other => text_of(other),
                        };
                        let pick = |keys: &[&str]| {
                            keys.iter()
                                .find_map(|k| e.get(*k).and_then(Value::as_str))
                                .map(str::to_owned)
                        };
                        if let Some(zh) = pick(&["label_zh", "name_zh", "label"]) {
                            let en = pick(&["label_en", "name_en", "label"])
                                .unwrap_or_else(|| zh.clone());
                            labels.insert(value.clone(), serde_json::json!({ "zh": zh, "en": en }));
                        }
                        choices.push(value);
                    }
                    options.push((field.clone(), choices));
                    if !labels.is_empty() {
                        labelled.push((field.clone(), labels));
                    }
                }
            }
            for (field, labels) in labelled {
                if let Some(p) = view
                    .spec
                    .get_mut("schema")
                    .and_then(|s| s.get_mut("properties"))
                    .and_then(|p| p.get_mut(&field))
                    .and_then(Value::as_object_mut)
                {
                    p.insert("x-enum-labels".into(), Value::Object(labels));
                }
            }
            // Editing: the route names the record; its current values fill
            // the form.
            // An action on a record (a POST) starts empty.
            let initial = match (&id, view.route.contains("{id}")) {
                (Some(id), true) if !view.is_record_action() => {
                    let doc: Value = client.get(view.api_path(Some(id))).await?;
                    doc.as_object().cloned().unwrap_or_default()
                }
                // A new record: text fields named in the query start filled
                // (`/admin/new-rollout?digest=…` after an upload).
                _ => prefill(&view.spec, &params),
            };
            Ok(Loaded::Form {
                view,
                options,
                id,
                initial,
            })
        }
        "action" => Ok(Loaded::Action { view }),
        _ => Ok(Loaded::Other { view }),
    }
}

/// The query's values for the schema's text properties.
fn prefill(spec: &Value, params: &[(String, String)]) -> serde_json::Map<String, Value> {
    let properties = spec.pointer("/schema/properties");
    params
        .iter()
        .filter(|(k, _)| {
            properties
                .and_then(|p| p.get(k))
                .and_then(|p| p.get("type"))
                .and_then(Value::as_str)
                == Some("string")
        })
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

#[component]
pub fn PluginViewPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let key = move || {
        params.with(|p| {
            (
                p.get("plugin").unwrap_or_default(),
                p.get("view").unwrap_or_default(),
                p.get("id"),
                location.search.get(),
            )
        })
    };
    let client = Client::current();
    let data = Resource::new(key, move |(plugin, view, id, search)| {
        load(client.clone(), plugin, view, id, search)
    });
    let l = locale();
    signed_in(move |s: Session| when_loaded(data, l, move |loaded| render(&s, &loaded)).into_any())
}

/// `data` rendered by `render` once it has arrived; a failure shows its
/// message.
pub fn when_loaded<T, F>(data: Resource<Result<T, ApiError>>, l: Locale, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + for<'de> Deserialize<'de> + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    view! {
        <Suspense fallback=move || view! { <p class="loading">{l.t(Msg::Loading)}</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(v) => render(v),
                        Err(e) => failure(&e, l),
                    }
                })
            }}
        </Suspense>
    }
}

pub fn failure(e: &ApiError, l: Locale) -> AnyView {
    let detail = (!e.message.is_empty()).then(|| e.message.clone());
    view! {
        <p class="alert" role="alert">
            {l.t(Msg::for_error(&e.code))}
        </p>
        {detail.map(|d| view! { <p class="alert-detail">{d}</p> })}
    }
    .into_any()
}

pub fn render(s: &Session, loaded: &Loaded) -> AnyView {
    let l = s.locale;
    let title = l.pick_json(&loaded.view().title, "");
    let body = render_body(s, loaded);
    let actions = (loaded.view().kind != "action")
        .then(|| crate::layout::actions_of(&s.views, loaded.view(), l))
        .flatten();
    view! {
        <Title text=title.clone() />
        <h1>{title}</h1>
        {actions}
        {body}
    }
    .into_any()
}

/// The view's content without its page title (a workspace section).
pub fn render_body(s: &Session, loaded: &Loaded) -> AnyView {
    let l = s.locale;
    match loaded {
        Loaded::List { view, page, params } => list::render(s, view, page, params),
        Loaded::Detail { view, doc } => view! {
            <LiveDetail
                view=view.clone()
                doc=doc.clone()
                halls=s.hall_labels()
                views=s.views.clone()
                l
            />
        }
        .into_any(),
        Loaded::Board { view, page } => board::render(view, page, &s.hall_labels(), l),
        Loaded::Chart { view, data } => chart::render(view, data, l),
        Loaded::Form {
            view,
            options,
            id,
            initial,
        } => {
            let csrf = s.me.csrf_token.clone().unwrap_or_default();
            // A record's own buttons (reset a user's password) under its form.
            let actions: Vec<AnyView> = id
                .iter()
                .flat_map(|id| {
                    let csrf = csrf.clone();
                    view.form_actions().into_iter().map(move |a| {
                        view! { <ActionButton view=a csrf=csrf.clone() id=Some(id.clone()) /> }
                            .into_any()
                    })
                })
                .collect();
            view! {
                <SchemaForm
                    view=view.clone()
                    csrf
                    options=options.clone()
                    id=id.clone()
                    initial=initial.clone()
                />
                {actions}
            }
            .into_any()
        }
        Loaded::Action { view } => {
            let csrf = s.me.csrf_token.clone().unwrap_or_default();
            view! { <ActionButton view=view.clone() csrf id=None /> }.into_any()
        }
        Loaded::AskId { view } => {
            let label = l.pick_json(&view.title, "");
            let input_id = format!("ask-{}", view.id);
            view! {
                <form class="filters" method="get" role="search">
                    <div class="field">
                        <label for=input_id.clone()>{label}</label>
                        <input id=input_id name="id" type="search" required maxlength="64" />
                    </div>
                    <div class="actions">
                        <button type="submit" class="primary">{l.t(Msg::Show)}</button>
                    </div>
                </form>
            }
            .into_any()
        }
        Loaded::Field { view } => {
            let href = view.href();
            view! {
                <div class="card">
                    <p>{l.t(Msg::FieldAppExplained)}</p>
                    <p><a class="button primary" href=href>{l.t(Msg::FieldAppOpen)}</a></p>
                </div>
            }
            .into_any()
        }
        Loaded::Exam { view, id, info } => view! {
            <super::exam::ExamSitting
                view=view.clone()
                id=id.clone()
                info=info.clone()
                csrf=s.me.csrf_token.clone().unwrap_or_default()
                l
            />
        }
        .into_any(),
        Loaded::Other { .. } => {
            view! { <p class="notice" role="status">{l.t(Msg::Unsupported)}</p> }.into_any()
        }
    }
}

/// A record and its buttons. While the field the spec names in
/// `refresh_while` is true (a report whose files are being made), the
/// record is read again every two seconds, so progress shows without a
/// reload.
#[component]
fn LiveDetail(
    view: ViewDef,
    doc: Value,
    halls: Vec<(String, String)>,
    views: Vec<ViewDef>,
    l: Locale,
) -> impl IntoView {
    let current = RwSignal::new(doc);
    #[cfg(feature = "hydrate")]
    if let Some(flag) = view.spec.get("refresh_while").and_then(Value::as_str) {
        poll_while(view.clone(), flag.to_owned(), current);
    }
    move || {
        let doc = current.get();
        view! {
            {detail(&view, &doc, &halls, l)}
            {record_actions(&views, &view, &doc, l)}
        }
    }
}

/// Reads the record again every two seconds while `doc[flag]` is true.
#[cfg(feature = "hydrate")]
fn poll_while(view: ViewDef, flag: String, current: RwSignal<Value>) {
    super::every(2_000, move || {
        let doc = current.get_untracked();
        if field(&doc, &flag) != Some(&Value::Bool(true)) {
            return;
        }
        let Some(id) = doc.get("id").and_then(Value::as_str) else {
            return;
        };
        let path = view.api_path(Some(id));
        leptos::task::spawn_local(async move {
            if let Ok(v) = crate::api::get::<Value>(path).await {
                current.set(v);
            }
        });
    });
}

/// One record: the spec's fields in order.
fn detail(view: &ViewDef, doc: &Value, halls: &[(String, String)], l: Locale) -> AnyView {
    let columns = list::columns(&view.spec);
    let rows: Vec<AnyView> = columns
        .iter()
        .map(|c| {
            let value = cell(field(doc, &c.field), &c.kind, &c.labels(halls, l), l);
            view! {
                <dt>{l.pick(&c.title_zh, &c.title_en).to_owned()}</dt>
                <dd>{value}</dd>
            }
            .into_any()
        })
        .collect();
    view! {
        <dl class="card detail">{rows}</dl>
        {tables(view, doc, halls, l)}
        {history(view, doc, l)}
    }
    .into_any()
}

/// The record's tables: each of the spec's `tables` (`field`, `title_zh`,
/// `title_en`, `columns` as a list's) shows the array the record holds at
/// `field`, one row per element.
fn tables(view: &ViewDef, doc: &Value, halls: &[(String, String)], l: Locale) -> Option<AnyView> {
    let specs = view.spec.get("tables")?.as_array()?;
    let sections: Vec<AnyView> = specs
        .iter()
        .filter_map(|t| {
            let rows = field(doc, t.get("field")?.as_str()?)?.as_array()?;
            if rows.is_empty() {
                return None;
            }
            let columns = list::columns(t);
            let title = l
                .pick(
                    t.get("title_zh")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    t.get("title_en")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                )
                .to_owned();
            let head: Vec<AnyView> = columns
                .iter()
                .map(|c| {
                    view! { <th scope="col">{l.pick(&c.title_zh, &c.title_en).to_owned()}</th> }
                        .into_any()
                })
                .collect();
            let body: Vec<AnyView> = rows
                .iter()
                .map(|r| {
                    let cells: Vec<AnyView> = columns
                        .iter()
                        .map(|c| {
                            let v = cell(field(r, &c.field), &c.kind, &c.labels(halls, l), l);
                            view! { <td>{v}</td> }.into_any()
                        })
                        .collect();
                    view! { <tr>{cells}</tr> }.into_any()
                })
                .collect();
            Some(
                view! {
                    <section class="detail-table">
                        <h2>{title}</h2>
                        <div class="table-scroll">
                            <table>
                                <thead><tr>{head}</tr></thead>
                                <tbody>{body}</tbody>
                            </table>
                        </div>
                    </section>
                }
                .into_any(),
            )
        })
        .collect();
    (!sections.is_empty()).then(|| sections.into_any())
}

/// Buttons to the forms that act on this record (its record forms).
fn record_actions(views: &[ViewDef], view: &ViewDef, doc: &Value, l: Locale) -> Option<AnyView> {
    let id = doc.get("id").and_then(Value::as_str)?;
    let links: Vec<AnyView> = view
        .record_forms(views)
        .into_iter()
        .map(|f| {
            let href = format!(
                "/v/{}/{}/{}",
                f.plugin,
                f.id,
                crate::api::encode_component(id)
            );
            view! { <a class="button" href=href>{l.pick_json(&f.title, "")}</a> }.into_any()
        })
        .collect();
    (!links.is_empty()).then(|| {
        view! { <p class="page-actions record-actions" role="group" aria-label=l.t(Msg::Actions)>{links}</p> }
            .into_any()
    })
}

/// The record's history: the array named by the spec's `history_field`
/// (default `history`), oldest first, each entry's time, actor, action and
/// note read from the usual keys.
fn history(view: &ViewDef, doc: &Value, l: Locale) -> Option<AnyView> {
    let name = view
        .spec
        .get("history_field")
        .and_then(Value::as_str)
        .unwrap_or("history");
    let entries = field(doc, name)?.as_array()?;
    if entries.is_empty() {
        return None;
    }
    let first = |e: &Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| field(e, k).filter(|v| !v.is_null()).cloned())
    };
    let items: Vec<AnyView> = entries
        .iter()
        .map(|e| {
            let when = first(e, &["at_ms", "ts_ms", "at", "time"])
                .and_then(|v| v.as_i64())
                .map(|ms| format_datetime(ms, l))
                .unwrap_or_default();
            let who = first(
                e,
                &["by_name", "actor_name", "actor.id", "actor", "by", "user"],
            )
            .map(|v| text_of(&v))
            .unwrap_or_default();
            let what = first(e, &["summary", "action", "event", "to", "state"])
                .map(|v| text_of(&v))
                .unwrap_or_default();
            let note = first(e, &["note", "comment", "reason"]).map(|v| text_of(&v));
            view! {
                <li>
                    <time>{when}</time>
                    <span class="who">{who}</span>
                    <span class="what">{what}</span>
                    {note.map(|n| view! { <span class="note">{n}</span> })}
                </li>
            }
            .into_any()
        })
        .collect();
    Some(
        view! {
            <section class="history">
                <h2>{l.t(Msg::History)}</h2>
                <ol class="timeline">{items}</ol>
            </section>
        }
        .into_any(),
    )
}

/// A value shown as its column type says; `labels` name the values of a
/// tag column (from the select filter on the same field).
pub fn cell(value: Option<&Value>, kind: &str, labels: &[(String, String)], l: Locale) -> AnyView {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return view! { <span class="none">"—"</span> }.into_any();
    };
    if kind == "pages" {
        return pages(value, l);
    }
    if let Value::Array(items) = value {
        let parts: Vec<AnyView> = items
            .iter()
            .map(|v| cell(Some(v), kind, labels, l))
            .collect();
        return view! { <span class="many">{parts}</span> }.into_any();
    }
    match kind {
        // A stored blob by its SHA-256: a photo shown, any file linked.
        "image" | "file" => {
            let Some(href) = blob_href(value) else {
                return view! { <span class="none">"—"</span> }.into_any();
            };
            if kind == "image" {
                let src = href.clone();
                view! {
                    <a class="photo" href=href target="_blank" rel="noopener">
                        <img src=src alt=l.t(Msg::Photo) loading="lazy" />
                    </a>
                }
                .into_any()
            } else {
                view! { <a href=href target="_blank" rel="noopener">{l.t(Msg::OpenFile)}</a> }
                    .into_any()
            }
        }
        // A path on this host: a link, or its QR code (drawn by the host
        // with the host's public address) above the link.
        "link" | "qr" => {
            let path = text_of(value);
            if !path.starts_with('/') || path.starts_with("//") || path.contains('\\') {
                return plain(value);
            }
            if kind == "link" {
                return view! { <a href=path target="_blank" rel="noopener">{l.t(Msg::OpenLink)}</a> }
                    .into_any();
            }
            let src = format!("/q/qr.svg?path={}", encode_component(&path));
            let href = path.clone();
            view! {
                <a class="qr" href=href target="_blank" rel="noopener">
                    <img src=src alt=l.t(Msg::QrCode) loading="lazy" width="160" height="160" />
                    <span class="qr-path">{path}</span>
                </a>
            }
            .into_any()
        }
        "role" => {
            let raw = text_of(value);
            let label = Msg::role(&raw).map_or(raw, |m| l.t(m).to_owned());
            view! { <span class="badge badge-5">{label}</span> }.into_any()
        }
        "datetime" => match value.as_i64() {
            Some(ms) => {
                let text = format_datetime(ms, l);
                view! { <time>{text}</time> }.into_any()
            }
            None => plain(value),
        },
        // A zero-based position (a rollout's wave), counted from one.
        "index" => match value.as_u64() {
            Some(n) => {
                view! { <span class="num">{format_number((n + 1) as f64)}</span> }.into_any()
            }
            None => plain(value),
        },
        "number" => match value.as_f64() {
            Some(n) => view! { <span class="num">{format_number(n)}</span> }.into_any(),
            None => plain(value),
        },
        // A share from 0 to 1, as a percentage with one decimal.
        "percent" => match value.as_f64() {
            Some(r) if r.is_finite() => {
                view! { <span class="num">{format!("{:.1}%", r * 100.0)}</span> }.into_any()
            }
            _ => plain(value),
        },
        // `{"done", "total", "state", "label_zh", "label_en"}`: how far a
        // background job got.
        "progress" => {
            let n = |k: &str| value.get(k).and_then(Value::as_u64).unwrap_or(0);
            let state = value.get("state").and_then(Value::as_str).unwrap_or("");
            let label = value
                .get(if l == Locale::Zh {
                    "label_zh"
                } else {
                    "label_en"
                })
                .map(text_of)
                .unwrap_or_default();
            let class = format!("progress progress-{state}");
            let bar = (state == "running").then(|| {
                view! { <progress max=n("total").to_string() value=n("done").to_string()></progress> }
            });
            view! { <span class=class role="status">{bar}<span>{label}</span></span> }.into_any()
        }
        "bool" => {
            let yes = value.as_bool().unwrap_or(false);
            view! { <span>{l.t(if yes { Msg::Yes } else { Msg::No })}</span> }.into_any()
        }
        // `{"succeeded": 3, "failed": 1}`: a labelled badge per count.
        "counts" => {
            let parts: Vec<AnyView> = value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(key, n)| {
                    let label = label_in(labels, key).unwrap_or(key);
                    let text = format!("{label} {}", text_of(n));
                    let class = format!("badge badge-{}", badge_colour(key));
                    view! { <span class=class>{text}</span> }.into_any()
                })
                .collect();
            view! { <span class="many">{parts}</span> }.into_any()
        }
        // A hall id, shown by its name.
        "hall" => {
            let raw = text_of(value);
            let name = label_in(labels, &raw).unwrap_or(&raw).to_owned();
            view! { <span title=raw>{name}</span> }.into_any()
        }
        "tag" => {
            let raw = text_of(value);
            let label = label_in(labels, &raw).unwrap_or(&raw).to_owned();
            let class = format!("badge badge-{}", badge_colour(&raw));
            view! { <span class=class>{label}</span> }.into_any()
        }
        _ => plain(value),
    }
}

/// The download address of a blob named by its SHA-256, if it is one.
fn blob_href(value: &Value) -> Option<String> {
    let sha = text_of(value);
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("/api/blobs/{sha}"))
}

/// A document's pages as images (blob addresses in page order), one under
/// the other in a scrolling frame like a PDF viewer's; each opens full
/// size.
fn pages(value: &Value, l: Locale) -> AnyView {
    let pages: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(blob_href)
        .collect();
    if pages.is_empty() {
        return view! { <span class="none">"—"</span> }.into_any();
    }
    let count = pages.len();
    let items: Vec<AnyView> = pages
        .into_iter()
        .enumerate()
        .map(|(i, href)| {
            let alt = match l {
                Locale::Zh => format!("第 {} 页，共 {count} 页", i + 1),
                Locale::En => format!("Page {} of {count}", i + 1),
            };
            let src = href.clone();
            view! {
                <a class="page" href=href target="_blank" rel="noopener">
                    <img src=src alt=alt loading="lazy" width="1000" height="1414" />
                </a>
            }
            .into_any()
        })
        .collect();
    view! {
        <div class="pages-preview" role="region" aria-label=l.t(Msg::PdfPreview) tabindex="0">
            {items}
        </div>
    }
    .into_any()
}

/// The label of `value` among (value, label) pairs.
pub fn label_in<'a>(labels: &'a [(String, String)], value: &str) -> Option<&'a str> {
    labels
        .iter()
        .find(|(v, _)| v == value)
        .map(|(_, label)| label.as_str())
}

fn plain(value: &Value) -> AnyView {
    view! { <span>{text_of(value)}</span> }.into_any()
}

pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One of six badge colours, stable for a value.
fn badge_colour(value: &str) -> u32 {
    value
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 6
}
