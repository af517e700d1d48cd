//! The `list` renderer: a table with the spec's columns, its filters as a
//! GET form, sorting by column headers and paging, all as links, so the
//! page works and can be bookmarked without JavaScript.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::form::CallButton;
use super::view::cell;
use crate::api::query_string;
use crate::i18n::{Locale, Msg, fill};
use crate::layout::Session;
use crate::model::{ListPage, ViewDef, field};

/// Rows per page when the spec does not say.
const DEFAULT_PAGE_SIZE: u32 = 20;
/// Most rows per page a spec may ask for.
const MAX_PAGE_SIZE: u32 = 200;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Column {
    pub field: String,
    #[serde(default)]
    pub title_zh: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    /// Labels for the column's values (`tag` and `counts` columns).
    #[serde(default)]
    pub options: Vec<OptionSpec>,
}

impl Column {
    /// The column's value labels in `l`: (value, label); a `hall` column's
    /// are the names of `halls` (from [`Session::hall_labels`]).
    pub fn labels(&self, halls: &[(String, String)], l: Locale) -> Vec<(String, String)> {
        let mut labels: Vec<(String, String)> = self
            .options
            .iter()
            .map(|o| (o.value.clone(), l.pick(&o.label_zh, &o.label_en).to_owned()))
            .collect();
        if self.kind == "hall" {
            labels.extend_from_slice(halls);
        }
        labels
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterSpec {
    pub param: String,
    #[serde(default)]
    pub title_zh: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub options: Vec<OptionSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct OptionSpec {
    pub value: String,
    #[serde(default)]
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct SortSpec {
    field: String,
    #[serde(default)]
    direction: String,
}

fn parse<T: for<'de> Deserialize<'de> + Default>(spec: &Value, key: &str) -> T {
    spec.get(key)
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The spec's columns (also used by `detail` and `board`).
pub fn columns(spec: &Value) -> Vec<Column> {
    parse(spec, "columns")
}

fn filters(spec: &Value) -> Vec<FilterSpec> {
    parse(spec, "filters")
}

fn page_size(spec: &Value) -> u32 {
    spec.get("page_size")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_PAGE_SIZE, |n| {
            n.clamp(1, u64::from(MAX_PAGE_SIZE)) as u32
        })
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn offset(params: &[(String, String)]) -> u64 {
    param(params, "offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0)
}

/// The sort the page asks for (`field` or `-field`), else the spec's default.
fn sort(spec: &Value, params: &[(String, String)]) -> String {
    if let Some(s) = param(params, "sort").filter(|s| !s.is_empty()) {
        return s.to_owned();
    }
    let d: SortSpec = parse(spec, "default_sort");
    if d.field.is_empty() {
        String::new()
    } else if d.direction == "desc" {
        format!("-{}", d.field)
    } else {
        d.field
    }
}

/// The query string for the plugin's list route: paging, sort and the
/// declared filters (other page parameters are not passed on).
pub fn api_query(spec: &Value, params: &[(String, String)]) -> String {
    let mut pairs = vec![
        ("offset".to_owned(), offset(params).to_string()),
        ("limit".to_owned(), page_size(spec).to_string()),
        ("sort".to_owned(), sort(spec, params)),
    ];
    for f in filters(spec) {
        if let Some(v) = param(params, &f.param) {
            pairs.push((f.param.clone(), v.to_owned()));
        }
    }
    query_string(&pairs)
}

/// This page's link with some parameters replaced.
fn link(view: &ViewDef, params: &[(String, String)], set: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| !set.iter().any(|(s, _)| s == k))
        .cloned()
        .collect();
    for (k, v) in set {
        pairs.push(((*k).to_owned(), v.clone()));
    }
    format!("{}{}", view.href(), query_string(&pairs))
}

pub fn render(
    s: &Session,
    view: &ViewDef,
    page: &ListPage,
    params: &[(String, String)],
) -> AnyView {
    let l = s.locale;
    let spec = &view.spec;
    let cols = columns(spec);
    let filters = filters(spec);
    let size = u64::from(page_size(spec));
    let current_sort = sort(spec, params);
    let from = offset(params);
    let detail = detail_view(s, view);
    // The portal's own views link rows to a page of the portal.
    let detail_href = spec
        .get("detail_href")
        .and_then(Value::as_str)
        .filter(|_| view.is_builtin())
        .map(str::to_owned);

    let sortable = spec.get("sortable").and_then(Value::as_bool) != Some(false);
    let head: Vec<AnyView> = cols
        .iter()
        .map(|c| {
            let title = l.pick(&c.title_zh, &c.title_en).to_owned();
            if !sortable {
                return view! { <th scope="col">{title}</th> }.into_any();
            }
            let (aria, next, mark) = if current_sort == c.field {
                ("ascending", format!("-{}", c.field), " ▲")
            } else if current_sort == format!("-{}", c.field) {
                ("descending", c.field.clone(), " ▼")
            } else {
                ("none", c.field.clone(), "")
            };
            let href = link(view, params, &[("sort", next), ("offset", String::new())]);
            view! {
                <th scope="col" aria-sort=aria>
                    <a href=href>{title}{mark}</a>
                </th>
            }
            .into_any()
        })
        .collect();

    let row_action: Option<RowActionSpec> = spec
        .get("row_action")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok());
    let csrf = s.me.csrf_token.clone().unwrap_or_default();
    let halls = s.hall_labels();
    let rows: Vec<AnyView> = page
        .items
        .iter()
        .map(|doc| {
            let id = field(doc, "_id").map(super::view::text_of);
            let action = row_action.as_ref().and_then(|a| {
                let id = id.as_ref()?;
                // Hidden where the row says it no longer applies.
                if let Some(flag) = &a.unless
                    && field(doc, flag).is_some_and(|v| !v.is_null() && *v != Value::Bool(false))
                {
                    return Some(view! { <td></td> }.into_any());
                }
                let path = view.path_of(&a.route, Some(id));
                Some(
                    view! {
                        <td>
                            <CallButton
                                path
                                method=a.method.clone()
                                label=l.pick(&a.label_zh, &a.label_en).to_owned()
                                confirm=l.pick(&a.confirm_zh, &a.confirm_en).to_owned()
                                csrf=csrf.clone()
                            />
                        </td>
                    }
                    .into_any(),
                )
            });
            let cells: Vec<AnyView> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let mut labels = c.labels(&halls, l);
                    labels.extend(option_labels(&filters, &c.field, l));
                    let content = cell(field(doc, &c.field), &c.kind, &labels, l);
                    let href = match (&detail, &detail_href, &id, i) {
                        (Some(d), _, Some(id), 0) => {
                            Some(format!("{}/{}", d.href(), crate::api::encode_component(id)))
                        }
                        (None, Some(pattern), Some(id), 0) => {
                            Some(pattern.replace("{id}", &crate::api::encode_component(id)))
                        }
                        _ => None,
                    };
                    match href {
                        Some(href) => view! { <td><a href=href>{content}</a></td> }.into_any(),
                        None => view! { <td>{content}</td> }.into_any(),
                    }
                })
                .collect();
            view! { <tr>{cells}{action}</tr> }.into_any()
        })
        .collect();

    let empty = page
        .items
        .is_empty()
        .then(|| view! { <p class="empty">{l.t(Msg::NoRecords)}</p> });
    let current = from / size + 1;
    let summary = match page.total {
        Some(total) => fill(
            l.t(Msg::PageOf),
            &[
                ("page", current.to_string()),
                ("pages", total.div_ceil(size).max(1).to_string()),
                ("total", total.to_string()),
            ],
        ),
        None => fill(l.t(Msg::PageN), &[("page", current.to_string())]),
    };
    let more = match page.total {
        Some(total) => from + size < total,
        None => page.items.len() as u64 >= size,
    };
    let prev = (from > 0).then(|| {
        let href = link(
            view,
            params,
            &[("offset", from.saturating_sub(size).to_string())],
        );
        view! { <a class="button" rel="prev" href=href>{l.t(Msg::Previous)}</a> }
    });
    let next = more.then(|| {
        let href = link(view, params, &[("offset", (from + size).to_string())]);
        view! { <a class="button" rel="next" href=href>{l.t(Msg::Next)}</a> }
    });

    let action_head = row_action
        .as_ref()
        .map(|_| view! { <th scope="col">{l.t(Msg::Actions)}</th> });
    view! {
        {filter_form(view, &filters, params, l)}
        <div class="table-wrap">
            <table class="list">
                <thead>
                    <tr>{head}{action_head}</tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {empty}
        <nav class="pager" aria-label=summary.clone()>
            {prev}
            <span class="pager-summary">{summary.clone()}</span>
            {next}
        </nav>
    }
    .into_any()
}

/// A per-row button (`row_action` in a list spec): calls `route` with the
/// row's id for `{id}`, after a confirmation, then reloads the page; hidden
/// on rows where the field `unless` is set.
#[derive(Debug, Clone, Default, Deserialize)]
struct RowActionSpec {
    route: String,
    #[serde(default = "post")]
    method: String,
    #[serde(default)]
    label_zh: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    confirm_zh: String,
    #[serde(default)]
    confirm_en: String,
    #[serde(default)]
    unless: Option<String>,
}

fn post() -> String {
    "POST".to_owned()
}

/// The detail view a row click opens: the plugin's `detail` view whose
/// route is the spec's `detail_route`.
fn detail_view<'a>(s: &'a Session, view: &ViewDef) -> Option<&'a ViewDef> {
    let route = view.spec.get("detail_route")?.as_str()?;
    s.views
        .iter()
        .find(|v| v.plugin == view.plugin && v.kind == "detail" && v.route == route)
}

fn option_labels(filters: &[FilterSpec], field: &str, l: Locale) -> Vec<(String, String)> {
    filters
        .iter()
        .filter(|f| f.param == field)
        .flat_map(|f| f.options.iter())
        .map(|o| (o.value.clone(), l.pick(&o.label_zh, &o.label_en).to_owned()))
        .collect()
}

fn filter_form(
    view: &ViewDef,
    filters: &[FilterSpec],
    params: &[(String, String)],
    l: Locale,
) -> Option<AnyView> {
    if filters.is_empty() {
        return None;
    }
    let sort = param(params, "sort").unwrap_or_default().to_owned();
    let inputs: Vec<AnyView> = filters
        .iter()
        .map(|f| {
            let id = format!("filter-{}", f.param);
            let label = l.pick(&f.title_zh, &f.title_en).to_owned();
            let current = param(params, &f.param).unwrap_or_default().to_owned();
            let control = if f.kind == "select" {
                let options: Vec<AnyView> = f
                    .options
                    .iter()
                    .map(|o| {
                        let selected = o.value == current;
                        let text = l.pick(&o.label_zh, &o.label_en).to_owned();
                        view! { <option value=o.value.clone() selected=selected>{text}</option> }
                            .into_any()
                    })
                    .collect();
                view! {
                    <select id=id.clone() name=f.param.clone()>
                        <option value="">{l.t(Msg::All)}</option>
                        {options}
                    </select>
                }
                .into_any()
            } else {
                view! {
                    <input id=id.clone() name=f.param.clone() type="search" value=current maxlength="100" />
                }
                .into_any()
            };
            view! {
                <div class="field">
                    <label for=id>{label}</label>
                    {control}
                </div>
            }
            .into_any()
        })
        .collect();
    let sort_input =
        (!sort.is_empty()).then(|| view! { <input type="hidden" name="sort" value=sort /> });
    Some(
        view! {
            <form class="filters" method="get" action=view.href() role="search">
                {inputs}
                {sort_input}
                <div class="actions">
                    <button type="submit" class="primary">{l.t(Msg::Filter)}</button>
                    <a class="button" href=view.href()>{l.t(Msg::Reset)}</a>
                </div>
            </form>
        }
        .into_any(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "columns": [{"field": "name", "title_zh": "姓名", "title_en": "Name"}],
            "filters": [{"param": "status", "type": "select", "options": [{"value": "in"}]}],
            "default_sort": {"field": "_created", "direction": "desc"},
            "page_size": 10
        })
    }

    #[test]
    fn api_query_carries_paging_sort_and_declared_filters() {
        let params = vec![
            ("offset".to_owned(), "20".to_owned()),
            ("status".to_owned(), "in".to_owned()),
            ("other".to_owned(), "x".to_owned()),
        ];
        assert_eq!(
            api_query(&spec(), &params),
            "?offset=20&limit=10&sort=-_created&status=in"
        );
        let sorted = vec![("sort".to_owned(), "name".to_owned())];
        assert_eq!(api_query(&spec(), &sorted), "?offset=0&limit=10&sort=name");
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(page_size(&json!({"page_size": 100000})), MAX_PAGE_SIZE);
        assert_eq!(page_size(&json!({})), DEFAULT_PAGE_SIZE);
    }
}
