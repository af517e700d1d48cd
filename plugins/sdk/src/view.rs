//! Declarative portal views: a builder per view kind that produces the
//! kind-specific JSON spec the portal renders (format in the SDK README).

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::bindings::exports::bantong::platform::portal as wit;
use crate::storage::{AggregateFn, Direction};
use crate::types::Method;

pub use crate::bindings::exports::bantong::platform::portal::ViewKind;

impl ViewKind {
    /// The lowercase name the manifest's `[[views]] kind` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ViewKind::List => "list",
            ViewKind::Form => "form",
            ViewKind::Detail => "detail",
            ViewKind::Board => "board",
            ViewKind::Chart => "chart",
            ViewKind::Action => "action",
        }
    }
}

impl core::fmt::Display for ViewKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One screen the plugin contributes to the portal.
///
/// ```
/// use bantong_sdk::View;
///
/// let list = View::list("notes", "笔记", "Notes", "/notes")
///     .column("title", "标题", "Title")
///     .column_typed("amount", "金额", "Amount", "number")
///     .filter_select("status", "状态", "Status", &[("open", "待处理", "Open")])
///     .default_sort("_created", bantong_sdk::storage::Direction::Desc);
/// assert_eq!(list.spec()["columns"][0]["field"], "title");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    id: String,
    kind: ViewKind,
    title_zh: String,
    title_en: String,
    route: String,
    spec: Map<String, Value>,
}

impl View {
    /// A view of any kind with an empty spec.
    pub fn new(kind: ViewKind, id: &str, title_zh: &str, title_en: &str, route: &str) -> Self {
        View {
            id: id.to_owned(),
            kind,
            title_zh: title_zh.to_owned(),
            title_en: title_en.to_owned(),
            route: route.to_owned(),
            spec: Map::new(),
        }
    }

    /// A table; `route` answers `GET` with `{"items":[document…],"total":n}`
    /// and accepts `offset`, `limit` and the filter parameters.
    pub fn list(id: &str, title_zh: &str, title_en: &str, route: &str) -> Self {
        View::new(ViewKind::List, id, title_zh, title_en, route)
    }

    /// A form generated from a JSON Schema; submitting sends the JSON object
    /// to `route` (`POST` unless [`method`](Self::method) says otherwise).
    pub fn form(id: &str, title_zh: &str, title_en: &str, route: &str) -> Self {
        View::new(ViewKind::Form, id, title_zh, title_en, route)
    }

    /// One record; `route` contains `{id}` and answers `GET` with a document.
    pub fn detail(id: &str, title_zh: &str, title_en: &str, route: &str) -> Self {
        View::new(ViewKind::Detail, id, title_zh, title_en, route)
    }

    /// Cards grouped into columns by a status field; `route` answers like a list.
    pub fn board(id: &str, title_zh: &str, title_en: &str, route: &str) -> Self {
        View::new(ViewKind::Board, id, title_zh, title_en, route)
    }

    /// A chart; `route` answers `GET` with `{"groups":[{"keys":[…],"values":[…]}]}`.
    pub fn chart(id: &str, title_zh: &str, title_en: &str, route: &str) -> Self {
        View::new(ViewKind::Chart, id, title_zh, title_en, route)
    }

    /// A button that calls `route` (`POST` unless [`method`](Self::method) says otherwise).
    pub fn action(id: &str, title_zh: &str, title_en: &str, route: &str) -> Self {
        View::new(ViewKind::Action, id, title_zh, title_en, route)
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn kind(&self) -> ViewKind {
        self.kind
    }

    pub fn route(&self) -> &str {
        &self.route
    }

    /// The kind-specific spec built so far.
    pub fn spec(&self) -> &Map<String, Value> {
        &self.spec
    }

    /// Sets any spec key (escape hatch for options the builder lacks).
    pub fn set(mut self, key: &str, value: impl Serialize) -> Self {
        self.spec.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    fn push(mut self, key: &str, item: Value) -> Self {
        match self.spec.get_mut(key) {
            Some(Value::Array(items)) => items.push(item),
            _ => {
                self.spec.insert(key.to_owned(), Value::Array(vec![item]));
            }
        }
        self
    }

    /// A text column of a list, a field of a detail, or a field shown on a
    /// board card. `field` is a body path or a metadata field (`_created`).
    pub fn column(self, field: &str, title_zh: &str, title_en: &str) -> Self {
        self.column_typed(field, title_zh, title_en, "text")
    }

    /// Like [`column`](Self::column) with a display type: `text`, `number`,
    /// `datetime` (milliseconds since the epoch), `bool`, `tag`; a stored
    /// blob by its SHA-256 as `image` (shown), `file` (linked) or `pdf`
    /// (a detail shows the document in the page, with a link); a path on
    /// the host as `link` or `qr`.
    pub fn column_typed(self, field: &str, title_zh: &str, title_en: &str, kind: &str) -> Self {
        let key = if self.kind == ViewKind::Board {
            "card_fields"
        } else {
            "columns"
        };
        self.push(
            key,
            json!({ "field": field, "title_zh": title_zh, "title_en": title_en, "type": kind }),
        )
    }

    /// A `tag` column whose values are shown by label, never raw: each
    /// `(value, label_zh, label_en)`. A Chinese page must not show
    /// `talking` where it means 通话中.
    pub fn column_labelled(
        self,
        field: &str,
        title_zh: &str,
        title_en: &str,
        labels: &[(&str, &str, &str)],
    ) -> Self {
        let key = if self.kind == ViewKind::Board {
            "card_fields"
        } else {
            "columns"
        };
        let options: Vec<Value> = labels
            .iter()
            .map(|(value, zh, en)| json!({ "value": value, "label_zh": zh, "label_en": en }))
            .collect();
        self.push(
            key,
            json!({ "field": field, "title_zh": title_zh, "title_en": title_en,
                    "type": "tag", "options": options }),
        )
    }

    /// A free-text filter of a list, sent as `?{param}=…` to the route.
    pub fn filter_text(self, param: &str, title_zh: &str, title_en: &str) -> Self {
        self.push(
            "filters",
            json!({ "param": param, "title_zh": title_zh, "title_en": title_en, "type": "text" }),
        )
    }

    /// A drop-down filter of a list; `options` are `(value, label_zh, label_en)`.
    pub fn filter_select(
        self,
        param: &str,
        title_zh: &str,
        title_en: &str,
        options: &[(&str, &str, &str)],
    ) -> Self {
        let options: Vec<Value> = options
            .iter()
            .map(|(v, zh, en)| json!({ "value": v, "label_zh": zh, "label_en": en }))
            .collect();
        self.push(
            "filters",
            json!({ "param": param, "title_zh": title_zh, "title_en": title_en, "type": "select", "options": options }),
        )
    }

    /// The initial sort of a list, sent as `?sort=field` or `?sort=-field`.
    pub fn default_sort(self, field: &str, direction: Direction) -> Self {
        let dir = match direction {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        };
        self.set("default_sort", json!({ "field": field, "direction": dir }))
    }

    /// Rows per page of a list (sent as `limit`).
    pub fn page_size(self, rows: u32) -> Self {
        self.set("page_size", rows)
    }

    /// The route of a row's detail, with `{id}` for the document id.
    pub fn detail_route(self, route: &str) -> Self {
        self.set("detail_route", route)
    }

    /// The JSON Schema (draft 2020-12) of a form.
    pub fn schema(self, schema: Value) -> Self {
        self.set("schema", schema)
    }

    /// A form field whose choices come from a plugin route answering `GET`
    /// with a JSON array of strings.
    pub fn options_from(mut self, field: &str, route: &str) -> Self {
        match self.spec.get_mut("options") {
            Some(Value::Object(map)) => {
                map.insert(field.to_owned(), Value::String(route.to_owned()));
            }
            _ => {
                let mut map = Map::new();
                map.insert(field.to_owned(), Value::String(route.to_owned()));
                self.spec
                    .insert(String::from("options"), Value::Object(map));
            }
        }
        self
    }

    /// The method a form submits or an action calls with.
    pub fn method(self, method: Method) -> Self {
        self.set("method", method.as_str())
    }

    /// A confirmation question an action asks first.
    pub fn confirm(self, question_zh: &str, question_en: &str) -> Self {
        self.set("confirm_zh", question_zh)
            .set("confirm_en", question_en)
    }

    /// The body field that holds a board card's status.
    pub fn status_field(self, field: &str) -> Self {
        self.set("status_field", field)
    }

    /// One column of a board: the cards whose status is `value`.
    pub fn status_column(self, value: &str, title_zh: &str, title_en: &str) -> Self {
        self.push(
            "columns",
            json!({ "value": value, "title_zh": title_zh, "title_en": title_en }),
        )
    }

    /// The chart type: `bar`, `line` or `pie`.
    pub fn chart_type(self, chart: &str) -> Self {
        self.set("chart", chart)
    }

    /// A group-by field of the chart's aggregate (the x axis / slices).
    pub fn group_by(self, field: &str, title_zh: &str, title_en: &str) -> Self {
        self.push_aggregate(
            "group_by",
            json!({ "field": field, "title_zh": title_zh, "title_en": title_en }),
        )
    }

    /// A metric of the chart's aggregate (one series), in the order the
    /// route's `values` come.
    pub fn metric(
        self,
        func: AggregateFn,
        field: Option<&str>,
        title_zh: &str,
        title_en: &str,
    ) -> Self {
        let func = match func {
            AggregateFn::Count => "count",
            AggregateFn::Sum => "sum",
            AggregateFn::Avg => "avg",
            AggregateFn::Min => "min",
            AggregateFn::Max => "max",
        };
        self.push_aggregate(
            "metrics",
            json!({ "fn": func, "field": field, "title_zh": title_zh, "title_en": title_en }),
        )
    }

    fn push_aggregate(mut self, key: &str, item: Value) -> Self {
        let agg = self
            .spec
            .entry("aggregate")
            .or_insert_with(|| json!({ "group_by": [], "metrics": [] }));
        if let Some(Value::Array(items)) = agg.get_mut(key) {
            items.push(item);
        }
        self
    }

    pub(crate) fn into_wit(self) -> wit::View {
        wit::View {
            id: self.id,
            kind: self.kind,
            title_zh: self.title_zh,
            title_en: self.title_en,
            route: self.route,
            spec: Value::Object(self.spec).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_spec_has_columns_filters_and_sort() {
        let v = View::list("notes", "笔记", "Notes", "/notes")
            .column("title", "标题", "Title")
            .column_typed("amount", "金额", "Amount", "number")
            .filter_select("status", "状态", "Status", &[("open", "待处理", "Open")])
            .default_sort("_created", Direction::Desc)
            .page_size(20);
        let spec = Value::Object(v.spec().clone());
        assert_eq!(spec["columns"][1]["type"], "number");
        assert_eq!(spec["filters"][0]["options"][0]["label_zh"], "待处理");
        assert_eq!(spec["default_sort"]["direction"], "desc");
        let w = v.into_wit();
        assert_eq!(w.kind, ViewKind::List);
        let round: Value = serde_json::from_str(&w.spec).unwrap();
        assert_eq!(round, spec);
    }

    #[test]
    fn board_columns_are_statuses_and_card_fields() {
        let v = View::board("b", "看板", "Board", "/notes")
            .status_field("status")
            .status_column("open", "待处理", "Open")
            .column("title", "标题", "Title");
        assert_eq!(v.spec()["columns"][0]["value"], "open");
        assert_eq!(v.spec()["card_fields"][0]["field"], "title");
    }

    #[test]
    fn chart_spec_describes_its_aggregate() {
        let v = View::chart("c", "统计", "Stats", "/stats")
            .chart_type("bar")
            .group_by("purpose", "事由", "Purpose")
            .metric(AggregateFn::Count, None, "人次", "Visits");
        assert_eq!(v.spec()["aggregate"]["group_by"][0]["field"], "purpose");
        assert_eq!(v.spec()["aggregate"]["metrics"][0]["fn"], "count");
        assert_eq!(v.spec()["aggregate"]["metrics"][0]["field"], Value::Null);
    }

    #[test]
    fn form_spec_has_schema_options_and_method() {
        let v = View::form("f", "登记", "Register", "/visits")
            .schema(json!({ "type": "object" }))
            .options_from("purpose", "/purposes")
            .options_from("hall", "/halls")
            .method(Method::Post);
        assert_eq!(v.spec()["options"]["hall"], "/halls");
        assert_eq!(v.spec()["method"], "POST");
    }
}
