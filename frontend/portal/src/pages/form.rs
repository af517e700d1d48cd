//! The `form` renderer (a form generated from the spec's JSON Schema) and
//! the `action` renderer (a button that calls a plugin route). Both post
//! JSON from the browser with the session's CSRF token; the page itself is
//! rendered on the server like every other.
//!
//! Schema support: `type` string (with `format` date, date-time, or
//! `maxLength` over 200 for a text area), number, integer, boolean; `enum`
//! and the spec's `options` routes as drop-downs; `contentMediaType` on a
//! string makes it an upload (the field receives the blob's SHA-256; images
//! open the phone's camera); `required`, `minLength`, `maxLength`,
//! `pattern`, `minimum`, `maximum` become the inputs' own constraints, so
//! the browser checks them before sending, in the browser's language; the
//! plugin's own 422 message is shown beside the form. Fields appear in
//! `x-order` if given, else required fields first in their listed order,
//! then the rest by name.

use leptos::prelude::*;
use serde_json::{Map, Value};

use crate::i18n::{Locale, Msg, locale};
use crate::model::ViewDef;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    TextArea,
    Number,
    Integer,
    Bool,
    Date,
    DateTime,
    Choice(Vec<String>),
    /// An array of strings from a fixed set: one checkbox each.
    Multi(Vec<String>),
    /// An array of free strings (or, with `integers`, whole numbers): a
    /// text area, one per line.
    Lines {
        integers: bool,
    },
    /// A nested object with properties: a heading; its properties follow
    /// as fields of their own.
    Group,
    /// Anything else (an object of free keys, an array of objects): its
    /// JSON in a text area.
    Json,
    Upload {
        accept: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Field {
    /// The property's path from the top (`["kpi", "answer_within_s"]`).
    path: Vec<String>,
    /// `path` joined with `-`: the field's HTML ids.
    name: String,
    title: String,
    description: String,
    kind: Kind,
    required: bool,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    /// (value, label) of the choices that have a label.
    labels: Vec<(String, String)>,
}

impl Field {
    /// What a choice shows: its label, a role's name, else the value.
    fn label_of(&self, value: &str, l: Locale) -> String {
        super::view::label_in(&self.labels, value)
            .map(str::to_owned)
            .or_else(|| Msg::role(value).map(|m| l.t(m).to_owned()))
            .unwrap_or_else(|| value.to_owned())
    }
}

/// A property's choice labels (`x-enum-labels`: value → `{"zh", "en"}`,
/// on the property or on its `items`) in `l`.
fn enum_labels(p: &Value, l: Locale) -> Vec<(String, String)> {
    let labels = p
        .get("x-enum-labels")
        .or_else(|| p.get("items").and_then(|i| i.get("x-enum-labels")))
        .and_then(Value::as_object);
    labels
        .into_iter()
        .flatten()
        .map(|(value, names)| (value.clone(), l.pick_json(names, "")))
        .filter(|(_, label)| !label.is_empty())
        .collect()
}

/// The strings of a JSON array (others skipped); nothing for a non-array.
fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Long texts get a text area.
const TEXTAREA_FROM: u64 = 200;

/// The form's fields; titles and choice labels in `l` (a property's
/// `x-title-en` is its English title). A nested object's properties follow
/// its heading, with paths below it.
fn fields(schema: &Value, options: &[(String, Vec<String>)], l: Locale) -> Vec<Field> {
    let mut out = Vec::new();
    object_fields(schema, &[], options, l, &mut out);
    out
}

/// Deepest nesting of objects a form shows as fields (deeper: JSON).
const MAX_DEPTH: usize = 4;

fn object_fields(
    schema: &Value,
    prefix: &[String],
    options: &[(String, Vec<String>)],
    l: Locale,
    out: &mut Vec<Field>,
) {
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<String> = schema.get("required").map(strings).unwrap_or_default();
    let mut order: Vec<String> = schema
        .get("x-order")
        .filter(|o| o.is_array())
        .map(strings)
        .unwrap_or_else(|| required.clone());
    order.retain(|n| props.contains_key(n));
    for name in props.keys() {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    for name in order {
        let Some(p) = props.get(&name) else {
            continue;
        };
        let mut path = prefix.to_vec();
        path.push(name.clone());
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
        let num = |k: &str| p.get(k).and_then(Value::as_f64);
        let ty = text("type").unwrap_or_else(|| "string".into());
        let max_length = p.get("maxLength").and_then(Value::as_u64);
        // Options routes name top-level fields.
        let choices = options
            .iter()
            .find(|(f, _)| prefix.is_empty() && *f == name)
            .map(|(_, o)| o.clone())
            .or_else(|| p.get("enum").filter(|e| e.is_array()).map(strings));
        let items = p.get("items");
        let item_enum: Option<Vec<String>> = items
            .and_then(|i| i.get("enum"))
            .filter(|e| e.is_array())
            .map(strings);
        let item_type = items
            .and_then(|i| i.get("type"))
            .and_then(Value::as_str)
            .unwrap_or(if items.is_some() { "string" } else { "" });
        let nested = ty == "object"
            && p.get("properties").and_then(Value::as_object).is_some()
            && path.len() < MAX_DEPTH;
        let kind = match (ty.as_str(), choices) {
            ("object", _) if nested => Kind::Group,
            ("object", _) => Kind::Json,
            ("array", Some(c)) => Kind::Multi(c),
            ("array", None) => match (item_enum, item_type) {
                (Some(e), _) => Kind::Multi(e),
                (None, "string") => Kind::Lines { integers: false },
                (None, "integer") => Kind::Lines { integers: true },
                _ => Kind::Json,
            },
            (_, Some(c)) => Kind::Choice(c),
            ("number", _) => Kind::Number,
            ("integer", _) => Kind::Integer,
            ("boolean", _) => Kind::Bool,
            _ => match (
                text("format").as_deref(),
                text("contentMediaType"),
                max_length,
            ) {
                (_, Some(media), _) => Kind::Upload { accept: media },
                (Some("date"), _, _) => Kind::Date,
                (Some("date-time"), _, _) => Kind::DateTime,
                (_, _, Some(n)) if n > TEXTAREA_FROM => Kind::TextArea,
                _ => Kind::Text,
            },
        };
        let title = text("title").unwrap_or_else(|| name.clone());
        let title = match text("x-title-en") {
            Some(en) => l.pick(&title, &en).to_owned(),
            None => title,
        };
        out.push(Field {
            title,
            labels: enum_labels(p, l),
            description: text("description").unwrap_or_default(),
            required: required.contains(&name),
            min_length: p.get("minLength").and_then(Value::as_u64),
            max_length,
            pattern: text("pattern"),
            minimum: num("minimum"),
            maximum: num("maximum"),
            kind: kind.clone(),
            name: path.join("-"),
            path: path.clone(),
        });
        if kind == Kind::Group {
            object_fields(p, &path, options, l, out);
        }
    }
}

/// The value at `path` in `map`.
fn get_path<'a>(map: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut v = map.get(first)?;
    for key in rest {
        v = v.get(key)?;
    }
    Some(v)
}

/// Sets (or, with `None`, removes) the value at `path`, making the objects
/// on the way.
fn set_path(map: &mut Map<String, Value>, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = map;
    for key in parents {
        let slot = at
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Some(next) = slot.as_object_mut() else {
            return;
        };
        at = next;
    }
    match value {
        Some(v) => {
            at.insert(last.clone(), v);
        }
        None => {
            at.remove(last);
        }
    }
}

/// The values of `record` the form's fields edit.
fn editable(record: &Map<String, Value>, fields: &[Field]) -> Map<String, Value> {
    record
        .iter()
        .filter(|(k, _)| fields.iter().any(|f| f.path.first() == Some(*k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The JSON value of an input's text for the field's kind; `None` removes
/// the field (an empty optional input).
fn typed(kind: &Kind, raw: &str) -> Option<Value> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    Some(match kind {
        Kind::Number => raw
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(raw.to_owned()), Value::Number),
        Kind::Integer => raw
            .parse::<i64>()
            .map_or_else(|_| Value::String(raw.to_owned()), Value::from),
        // `datetime-local` has no zone: the halls are in China Standard Time.
        Kind::DateTime => Value::String(format!(
            "{raw}{}+08:00",
            if raw.len() == 16 { ":00" } else { "" }
        )),
        _ => Value::String(raw.to_owned()),
    })
}

/// Sets or clears one field of the form's value.
fn set(values: RwSignal<Map<String, Value>>, path: &[String], value: Option<Value>) {
    values.update(|m| set_path(m, path, value));
}

fn input_for(
    f: &Field,
    values: RwSignal<Map<String, Value>>,
    initial: Option<&Value>,
    csrf: String,
) -> AnyView {
    let id = format!("field-{}", f.name);
    let initial_text = initial
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    let name = f.path.clone();
    let kind = f.kind.clone();
    let on_text = {
        let name = name.clone();
        let kind = kind.clone();
        move |ev: leptos::ev::Event| set(values, &name, typed(&kind, &event_target_value(&ev)))
    };
    let min_len = f.min_length.map(|n| n.to_string());
    let max_len = f.max_length.map(|n| n.to_string());
    let min = f.minimum.map(|n| n.to_string());
    let max = f.maximum.map(|n| n.to_string());
    match &f.kind {
        Kind::Bool => {
            let name = name.clone();
            let checked = initial.and_then(Value::as_bool).unwrap_or(false);
            view! {
                <input
                    id=id
                    type="checkbox"
                    checked=checked
                    on:change=move |ev| set(values, &name, Some(Value::Bool(event_target_checked(&ev))))
                />
            }
            .into_any()
        }
        Kind::Lines { integers } => {
            let integers = *integers;
            let lines = initial
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(crate::pages::view::text_of)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            let name = name.clone();
            let on_lines = move |ev: leptos::ev::Event| {
                let items: Vec<Value> = event_target_value(&ev)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| match l.parse::<i64>() {
                        Ok(n) if integers => Value::from(n),
                        _ => Value::String(l.to_owned()),
                    })
                    .collect();
                set(values, &name, Some(Value::Array(items)));
            };
            view! {
                <textarea id=id rows="4" on:input=on_lines prop:value=lines></textarea>
            }
            .into_any()
        }
        Kind::Multi(options) => {
            let l = locale();
            let chosen: Vec<String> = initial.map(strings).unwrap_or_default();
            let boxes: Vec<AnyView> = options
                .iter()
                .map(|o| {
                    let name = name.clone();
                    let value = o.clone();
                    let label = f.label_of(o, l);
                    let checked = chosen.contains(o);
                    let on_change = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        values.update(|m| {
                            let mut list: Vec<Value> = get_path(m, &name)
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default();
                            list.retain(|v| v.as_str() != Some(value.as_str()));
                            if on {
                                list.push(Value::String(value.clone()));
                            }
                            set_path(m, &name, Some(Value::Array(list)));
                        });
                    };
                    view! {
                        <label class="check">
                            <input type="checkbox" value=o.clone() checked=checked on:change=on_change />
                            {label}
                        </label>
                    }
                    .into_any()
                })
                .collect();
            // Named by the field's label (a `label for` cannot name a group).
            let label_id = format!("label-{}", f.name);
            view! {
                <div id=id class="checks" role="group" aria-labelledby=label_id>
                    {boxes}
                </div>
            }
            .into_any()
        }
        Kind::Choice(options) => {
            let l = locale();
            let opts: Vec<AnyView> = options
                .iter()
                .map(|o| {
                    let selected = *o == initial_text;
                    view! { <option value=o.clone() selected=selected>{f.label_of(o, l)}</option> }
                        .into_any()
                })
                .collect();
            view! {
                <select id=id required=f.required on:change=on_text>
                    <option value="">{l.t(Msg::Choose)}</option>
                    {opts}
                </select>
            }
            .into_any()
        }
        // The heading is the field's label; its properties follow.
        Kind::Group => ().into_any(),
        Kind::Json => {
            let l = locale();
            let text = initial
                .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
                .unwrap_or_default();
            let invalid = RwSignal::new(false);
            let on_json = move |ev: leptos::ev::Event| {
                let raw = event_target_value(&ev);
                if raw.trim().is_empty() {
                    invalid.set(false);
                    set(values, &name, None);
                    return;
                }
                match serde_json::from_str::<Value>(&raw) {
                    Ok(v) => {
                        invalid.set(false);
                        set(values, &name, Some(v));
                    }
                    // Not sent until it parses; the old value stays.
                    Err(_) => invalid.set(true),
                }
            };
            view! {
                <textarea id=id class="json" rows="8" spellcheck="false" on:input=on_json prop:value=text></textarea>
                {move || invalid.get().then(|| view! { <p class="field-error" role="alert">{l.t(Msg::InvalidJson)}</p> })}
            }
            .into_any()
        }
        Kind::TextArea => view! {
            <textarea
                id=id
                rows="5"
                required=f.required
                minlength=min_len
                maxlength=max_len
                on:input=on_text
                prop:value=initial_text
            ></textarea>
        }
        .into_any(),
        Kind::Upload { accept } => {
            let capture = accept.starts_with("image/").then_some("environment");
            let on_file = move |ev: leptos::ev::Event| {
                #[cfg(feature = "hydrate")]
                {
                    let file = crate::api::chosen_file(&ev);
                    let name = name.clone();
                    let csrf = csrf.clone();
                    if let Some(file) = file {
                        leptos::task::spawn_local(async move {
                            match crate::api::upload(file, &csrf).await {
                                Ok(blob) => set(values, &name, blob.get("sha256").cloned()),
                                Err(_) => set(values, &name, None),
                            }
                        });
                    }
                }
                #[cfg(not(feature = "hydrate"))]
                let _ = (&ev, &name, &csrf);
            };
            view! {
                <input
                    id=id
                    type="file"
                    accept=accept.clone()
                    capture=capture
                    required=f.required
                    on:change=on_file
                />
            }
            .into_any()
        }
        other => {
            let ty = match other {
                Kind::Number | Kind::Integer => "number",
                Kind::Date => "date",
                Kind::DateTime => "datetime-local",
                _ => "text",
            };
            let step = match other {
                Kind::Number => Some("any"),
                _ => None,
            };
            view! {
                <input
                    id=id
                    type=ty
                    step=step
                    required=f.required
                    minlength=min_len
                    maxlength=max_len
                    min=min
                    max=max
                    pattern=f.pattern.clone()
                    value=initial_text
                    on:input=on_text
                />
            }
            .into_any()
        }
    }
}

/// What a failed call shows: the host's message, else the catalogue's
/// text for its error code.
#[cfg(feature = "hydrate")]
pub fn error_text(e: crate::api::ApiError, l: Locale) -> String {
    if e.message.is_empty() {
        l.t(Msg::for_error(&e.code)).to_owned()
    } else {
        e.message
    }
}

/// Asks `question` (when there is one) and answers whether to go on.
#[cfg(feature = "hydrate")]
pub(crate) fn confirmed(question: &str) -> bool {
    question.is_empty()
        || web_sys::window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
}

/// A button calling `path` (after `confirm`, when not empty) that reloads
/// the page when the call succeeds and shows the host's message when not:
/// list rows' actions, enabling a plugin, a rollback.
#[component]
pub fn CallButton(
    path: String,
    #[prop(default = "POST".to_owned())] method: String,
    label: String,
    #[prop(optional)] confirm: String,
    csrf: String,
    #[prop(optional)] body: Option<Value>,
) -> impl IntoView {
    let l = locale();
    let error = RwSignal::new(None::<String>);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if !confirmed(&confirm) {
                return;
            }
            let (path, method, csrf, body) =
                (path.clone(), method.clone(), csrf.clone(), body.clone());
            leptos::task::spawn_local(async move {
                match crate::api::send_json(&method, &path, body.as_ref(), &csrf).await {
                    Ok(_) => {
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().reload();
                        }
                    }
                    Err(e) => error.set(Some(error_text(e, l))),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&path, &method, &csrf, &confirm, &body, l);
    };
    view! {
        <button type="button" class="row-action" on:click=on_click>{label}</button>
        {move || error.get().map(|e| view! { <span class="field-error" role="alert">{e}</span> })}
    }
}

/// What an answer showed once (a new token's secret, a reset password),
/// with the warning to copy it now.
fn revealed_box(revealed: RwSignal<Option<String>>) -> impl IntoView {
    let l = locale();
    move || {
        revealed.get().map(|secret| {
            view! {
                <div class="reveal" role="status">
                    <p>{l.t(Msg::ShownOnce)}</p>
                    <code class="secret">{secret}</code>
                </div>
            }
        })
    }
}

/// What a plugin says about a call that succeeded, when it says something
/// (`"message"` in its answer: 签到成功（迟到5分钟）, say), instead of
/// the catalogue's "saved".
#[cfg(feature = "hydrate")]
fn success_text(answer: &Value) -> Option<String> {
    answer
        .get("message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty() && m.chars().count() <= 200)
        .map(str::to_owned)
}

/// The answer's field `key` as text, for [`revealed_box`].
#[cfg(feature = "hydrate")]
fn reveal_field(answer: &Value, key: Option<&String>) -> Option<String> {
    answer.get(key?).and_then(Value::as_str).map(str::to_owned)
}

/// The last outcome of a form or a button: a notice, or an alert.
pub fn outcome_line(outcome: RwSignal<Option<(bool, String)>>) -> impl IntoView {
    move || {
        outcome.get().map(|(ok, text)| {
            if ok {
                view! { <p class="notice" role="status">{text}</p> }.into_any()
            } else {
                view! { <p class="alert" role="alert">{text}</p> }.into_any()
            }
        })
    }
}

/// A form generated from the view's schema, posting to its route.
#[component]
pub fn SchemaForm(
    view: ViewDef,
    csrf: String,
    options: Vec<(String, Vec<String>)>,
    /// The record being edited, for a route with `{id}`.
    #[prop(optional_no_strip)]
    id: Option<String>,
    /// The values the form starts from.
    #[prop(optional)]
    initial: Map<String, Value>,
) -> impl IntoView {
    let schema = view.spec.get("schema").cloned().unwrap_or(Value::Null);
    let method = view.method();
    let reveal = view.show_once();
    view! {
        <JsonSchemaForm
            schema
            path=view.api_path(id.as_deref())
            method
            initial
            csrf
            options
            submit=Msg::Submit
            reveal
        />
    }
}

/// A form for `schema`, prefilled from `initial`, sending the object to
/// `path`; the host's per-field problems (`error.details`, JSON pointers)
/// appear under their fields, in the page's language.
///
/// `initial` is what the inputs show; `base` is what is sent for fields
/// the user leaves alone (a hall's config shows the effective values but
/// sends only its own overrides and what was edited, so the rest keeps
/// inheriting).
#[component]
pub fn JsonSchemaForm(
    schema: Value,
    path: String,
    method: String,
    initial: Map<String, Value>,
    #[prop(optional)] base: Option<Map<String, Value>>,
    csrf: String,
    options: Vec<(String, Vec<String>)>,
    submit: Msg,
    /// A field of the answer to show once (a new API token's secret).
    #[prop(optional_no_strip)]
    reveal: Option<String>,
) -> impl IntoView {
    let l = locale();
    let fields = fields(&schema, &options, l);
    let revealed = RwSignal::new(None::<String>);
    // What is sent: the schema's properties only (a record's other fields,
    // such as its timestamps, are not the form's to send back).
    let values = RwSignal::new(base.unwrap_or_else(|| editable(&initial, &fields)));
    let outcome = RwSignal::new(None::<(bool, String)>);
    let problems = RwSignal::new(Vec::<crate::api::FieldProblem>::new());
    let busy = RwSignal::new(false);
    let rows: Vec<AnyView> = fields
        .iter()
        .map(|f| {
            let id = format!("field-{}", f.name);
            let error_id = format!("error-{}", f.name);
            let pointer = format!("/{}", f.path.join("/"));
            let group = f.kind == Kind::Group;
            // Nested fields are indented under their heading.
            let depth = f.path.len().saturating_sub(1).min(MAX_DEPTH);
            let class = if group {
                format!("field group depth-{depth}")
            } else {
                format!("field depth-{depth}")
            };
            let mark = f
                .required
                .then(|| view! { <span class="required" aria-hidden="true">" *"</span> });
            let hint = (!f.description.is_empty())
                .then(|| view! { <small class="hint">{f.description.clone()}</small> });
            let input = input_for(f, values, get_path(&initial, &f.path), csrf.clone());
            // A group of checkboxes is named through `aria-labelledby`.
            let label_for = (!matches!(f.kind, Kind::Multi(_))).then(|| id.clone());
            let error = move || {
                problems.with(|ps| {
                    // The field's own problems and its items' (`/purposes/0`);
                    // a group's own only (its fields show theirs).
                    let texts: Vec<String> = ps
                        .iter()
                        .filter(|p| {
                            p.path == pointer
                                || (!group && p.path.starts_with(&format!("{pointer}/")))
                        })
                        .map(|p| l.pick(&p.zh, &p.en).to_owned())
                        .collect();
                    (!texts.is_empty()).then(|| {
                        view! { <p class="field-error" id=error_id.clone() role="alert">{texts.join("；")}</p> }
                    })
                })
            };
            if group {
                return view! {
                    <div class=class>
                        <h3 id=format!("label-{}", f.name)>{f.title.clone()}</h3>
                        {hint}
                        {error}
                    </div>
                }
                .into_any();
            }
            view! {
                <div class=class>
                    <label for=label_for id=format!("label-{}", f.name)>{f.title.clone()}{mark}</label>
                    {input}
                    {hint}
                    {error}
                </div>
            }
            .into_any()
        })
        .collect();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let (method, path, csrf) = (method.clone(), path.clone(), csrf.clone());
            let reveal = reveal.clone();
            let body = Value::Object(values.get_untracked());
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = crate::api::send_json(&method, &path, Some(&body), &csrf).await;
                match result {
                    Ok(answer) => {
                        if reveal.is_some() {
                            revealed.set(reveal_field(&answer, reveal.as_ref()));
                        }
                        problems.set(Vec::new());
                        let text =
                            success_text(&answer).unwrap_or_else(|| l.t(Msg::Saved).to_owned());
                        outcome.set(Some((true, text)));
                    }
                    Err(e) => {
                        let text = if e.details.is_empty() && !e.message.is_empty() {
                            e.message.clone()
                        } else {
                            l.t(Msg::for_error(&e.code)).to_owned()
                        };
                        problems.set(e.details);
                        outcome.set(Some((false, text)));
                    }
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&method, &path, &csrf, &reveal);
    };
    view! {
        <form class="card form schema-form" on:submit=on_submit>
            {rows}
            <p class="required-note">{l.t(Msg::RequiredNote)}</p>
            {outcome_line(outcome)}
            {revealed_box(revealed)}
            <button type="submit" class="primary" disabled=move || busy.get()>
                {l.t(submit)}
            </button>
        </form>
    }
}

/// A button that calls the view's route (with `id` for `{id}`), after a
/// confirmation if the spec asks for one; a spec's `show_once` names a
/// field of the answer to show (a reset password).
#[component]
pub fn ActionButton(
    view: ViewDef,
    csrf: String,
    #[prop(optional_no_strip)] id: Option<String>,
) -> AnyView {
    let l = locale();
    let reveal = view.show_once();
    let method = view.method();
    let confirm = l.pick_json(&view.spec, "confirm");
    let title = l.pick_json(&view.title, "");
    let path = view.api_path(id.as_deref());
    // A GET action (an export) is a download link.
    if method.eq_ignore_ascii_case("GET") {
        return view! {
            <div class="card action">
                <a class="button primary" href=path download="">{title}</a>
            </div>
        }
        .into_any();
    }
    let outcome = RwSignal::new(None::<(bool, String)>);
    let revealed = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if !confirmed(&confirm) {
                return;
            }
            let (method, path, csrf) = (method.clone(), path.clone(), csrf.clone());
            let reveal = reveal.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result = crate::api::send_json(&method, &path, None, &csrf).await;
                if let Ok(answer) = &result {
                    revealed.set(reveal_field(answer, reveal.as_ref()));
                }
                outcome.set(Some(match result {
                    Ok(answer) => (
                        true,
                        success_text(&answer).unwrap_or_else(|| l.t(Msg::Done).to_owned()),
                    ),
                    Err(e) => (false, error_text(e, l)),
                }));
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&method, &path, &csrf, &confirm, &reveal);
    };
    view! {
        <div class="card action" data-action=view.id.clone()>
            <button type="button" class="primary" on:click=on_click disabled=move || busy.get()>
                {title}
            </button>
            {outcome_line(outcome)}
            {revealed_box(revealed)}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_follow_the_schema() {
        let schema = json!({
            "type": "object",
            "required": ["name", "purpose"],
            "properties": {
                "name": { "type": "string", "title": "姓名", "minLength": 1, "maxLength": 50 },
                "purpose": { "type": "string", "title": "来访事由" },
                "phone": { "type": "string", "pattern": "^1[3-9][0-9]{9}$" },
                "note": { "type": "string", "maxLength": 2000 },
                "photo": { "type": "string", "contentMediaType": "image/jpeg" },
                "count": { "type": "integer", "minimum": 1 },
                "visit_on": { "type": "string", "format": "date" }
            }
        });
        let options = vec![(
            "purpose".to_owned(),
            vec!["咨询".to_owned(), "办事".to_owned()],
        )];
        let f = fields(&schema, &options, Locale::Zh);
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "name", "purpose", "count", "note", "phone", "photo", "visit_on"
            ]
        );
        assert_eq!(f[0].title, "姓名");
        assert!(f[0].required && f[1].required && !f[4].required);
        assert_eq!(f[1].kind, Kind::Choice(vec!["咨询".into(), "办事".into()]));
        assert_eq!(f[2].kind, Kind::Integer);
        assert_eq!(f[3].kind, Kind::TextArea);
        assert_eq!(f[4].pattern.as_deref(), Some("^1[3-9][0-9]{9}$"));
        assert_eq!(
            f[5].kind,
            Kind::Upload {
                accept: "image/jpeg".into()
            }
        );
        assert_eq!(f[6].kind, Kind::Date);
        let lines =
            json!({"properties": {"purposes": {"type": "array", "items": {"type": "string"}}}});
        assert_eq!(
            fields(&lines, &[], Locale::Zh)[0].kind,
            Kind::Lines { integers: false }
        );
    }

    #[test]
    fn nested_objects_become_fields_with_paths() {
        // The hotline's config, in short.
        let schema = json!({ "type": "object", "properties": {
            "kpi": { "type": "object", "title": "考核口径", "properties": {
                "answer_within_s": { "type": "integer", "title": "及时接通秒数" }
            }},
            "calendar": { "type": "object", "properties": {
                "weekend": { "type": "array", "items": { "type": "integer" } },
                "holidays": { "type": "array", "items": { "type": "string" } }
            }},
            "catalogue": { "type": "object", "properties": {
                "units": { "type": "array", "items": { "type": "object" } },
                "entries": { "type": "object" }
            }}
        }});
        let f = fields(&schema, &[], Locale::Zh);
        let shape: Vec<(String, Kind)> =
            f.iter().map(|f| (f.name.clone(), f.kind.clone())).collect();
        assert_eq!(
            shape,
            // Without `x-order`, properties come in key order.
            vec![
                ("calendar".into(), Kind::Group),
                ("calendar-holidays".into(), Kind::Lines { integers: false }),
                ("calendar-weekend".into(), Kind::Lines { integers: true }),
                ("catalogue".into(), Kind::Group),
                ("catalogue-entries".into(), Kind::Json),
                ("catalogue-units".into(), Kind::Json),
                ("kpi".into(), Kind::Group),
                ("kpi-answer_within_s".into(), Kind::Integer),
            ]
        );
        let (answer, weekend) = (&f[7], &f[2]);
        assert_eq!(answer.path, ["kpi", "answer_within_s"]);

        // Edits land at their path, next to what is there.
        let mut own = json!({ "kpi": { "short_abandon_s": 5 } })
            .as_object()
            .cloned()
            .expect("object");
        set_path(&mut own, &answer.path, Some(json!(20)));
        set_path(&mut own, &weekend.path, Some(json!([6, 7])));
        assert_eq!(
            Value::Object(own.clone()),
            json!({ "kpi": { "short_abandon_s": 5, "answer_within_s": 20 },
                    "calendar": { "weekend": [6, 7] } })
        );
        assert_eq!(get_path(&own, &answer.path), Some(&json!(20)));
        set_path(&mut own, &answer.path, None);
        assert_eq!(get_path(&own, &answer.path), None);
        assert_eq!(
            get_path(&own, &["kpi".into(), "short_abandon_s".into()]),
            Some(&json!(5))
        );
    }

    #[test]
    fn titles_and_choices_speak_the_page_language() {
        let schema = json!({ "type": "object", "properties": {
            "grade": { "type": "string", "title": "等级", "x-title-en": "Grade",
                       "enum": ["basic", "standard"],
                       "x-enum-labels": { "basic": { "zh": "基础", "en": "Basic" } } },
            "roles": { "type": "array", "title": "角色",
                       "items": { "enum": ["leader", "custom"] } }
        }});
        let zh = fields(&schema, &[], Locale::Zh);
        let en = fields(&schema, &[], Locale::En);
        let grade = |f: &[Field]| {
            f.iter()
                .find(|f| f.name == "grade")
                .cloned()
                .expect("grade")
        };
        assert_eq!(grade(&zh).title, "等级");
        assert_eq!(grade(&en).title, "Grade");
        assert_eq!(grade(&zh).label_of("basic", Locale::Zh), "基础");
        assert_eq!(grade(&en).label_of("basic", Locale::En), "Basic");
        assert_eq!(grade(&zh).label_of("standard", Locale::Zh), "standard");
        let roles = zh.iter().find(|f| f.name == "roles").expect("roles");
        assert_eq!(roles.title, "角色", "no English title: the Chinese one");
        assert_eq!(roles.label_of("leader", Locale::Zh), "领导");
        assert_eq!(roles.label_of("custom", Locale::Zh), "custom");
    }

    #[test]
    fn an_edited_record_sends_only_its_fields() {
        let schema = json!({ "type": "object", "properties": {
            "display_name": { "type": "string" }, "disabled": { "type": "boolean" }
        }});
        let record = json!({ "id": "u1", "display_name": "李四", "disabled": false,
                             "created_at": 1 });
        let sent = editable(
            record.as_object().expect("object"),
            &fields(&schema, &[], Locale::Zh),
        );
        assert_eq!(
            Value::Object(sent),
            json!({ "display_name": "李四", "disabled": false })
        );
    }

    #[test]
    fn inputs_become_typed_json() {
        assert_eq!(typed(&Kind::Integer, " 42 "), Some(json!(42)));
        assert_eq!(typed(&Kind::Number, "2.5"), Some(json!(2.5)));
        assert_eq!(typed(&Kind::Text, "   "), None);
        assert_eq!(
            typed(&Kind::DateTime, "2025-10-10T17:30"),
            Some(json!("2025-10-10T17:30:00+08:00"))
        );
        // Not a number: sent as typed so the plugin's 422 names the field.
        assert_eq!(typed(&Kind::Integer, "x"), Some(json!("x")));
    }
}
