//! The host API's answers, as the portal reads them. Unknown fields are
//! ignored so the host can add to its answers without breaking the portal.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /api/auth/me`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub user: User,
    /// Present for a browser session; sent back as `x-csrf-token`.
    #[serde(default)]
    pub csrf_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub halls: Vec<String>,
    #[serde(default)]
    pub district_wide: bool,
    #[serde(default)]
    pub must_change_password: bool,
}

impl User {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn is_admin(&self) -> bool {
        self.has_role("district-admin")
    }
}

/// `GET /api/portal/views`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Views {
    pub items: Vec<ViewDef>,
    /// The halls the caller may see, for their names.
    #[serde(default)]
    pub halls: Vec<HallName>,
}

/// A hall's id and names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HallName {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

/// One view a plugin contributes (see the SDK's README, "Portal views").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewDef {
    pub plugin: String,
    /// The plugin's name, `{"zh": …, "en": …}`.
    #[serde(default)]
    pub plugin_name: Value,
    pub id: String,
    pub kind: String,
    pub title: Value,
    /// Relative to `/api/plugins/{plugin}`.
    pub route: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub menu: Option<String>,
    #[serde(default)]
    pub spec: Value,
}

impl ViewDef {
    /// The plugin's name in `locale`, else its id.
    pub fn plugin_label(&self, locale: crate::i18n::Locale) -> String {
        let name = locale.pick_json(&self.plugin_name, "");
        if name.is_empty() {
            self.plugin.clone()
        } else {
            name
        }
    }

    /// A view of the portal's own (administration), whose route is a host
    /// API path rather than a plugin route.
    pub fn is_builtin(&self) -> bool {
        self.plugin.is_empty()
    }

    /// The workspace this view is part of (`spec.page`: `id`, `title_zh`,
    /// `title_en`), shown together on one page.
    pub fn page(&self) -> Option<(String, Value)> {
        let p = self.spec.get("page")?;
        let id = p.get("id")?.as_str()?.to_owned();
        Some((id, p.clone()))
    }

    /// Where the menu sends you for this view: its workspace or its own page.
    /// A list shown as tiles on the home page (spec `tiles: true`): what
    /// to do today and key figures, not a page of the menu.
    pub fn is_tiles(&self) -> bool {
        self.kind == "list" && self.spec.get("tiles").and_then(Value::as_bool) == Some(true)
    }

    pub fn menu_href(&self) -> String {
        match self.page() {
            Some((id, _)) => format!("/p/{}/{id}", self.plugin),
            None => self.href(),
        }
    }

    /// A checklist for the field app (spec `field`: the routes of its
    /// template, save and sign-off), which works offline on a phone.
    pub fn is_field(&self) -> bool {
        self.spec.get("field").is_some_and(Value::is_object)
    }

    /// A plugin's form on one record (its route names `{id}`): an action
    /// (a POST, like `/problems/{id}/actions`, which starts empty) or an
    /// edit (PUT/PATCH on the record's own route, which starts from the
    /// record). Reached from the record's page, not from the menu.
    pub fn is_record_form(&self) -> bool {
        self.kind == "form" && !self.is_builtin() && self.route.contains("{id}") && !self.is_field()
    }

    /// Whether this form acts on a record rather than editing it (a POST).
    pub fn is_record_action(&self) -> bool {
        self.is_record_form() && self.method() == "POST"
    }

    /// The forms on the records this detail view shows: the same plugin's
    /// record forms on this view's route or on routes extending it.
    pub fn record_forms<'a>(&self, views: &'a [ViewDef]) -> Vec<&'a ViewDef> {
        let prefix = format!("{}/", self.route);
        views
            .iter()
            .filter(|v| {
                v.plugin == self.plugin
                    && v.is_record_form()
                    && (v.route == self.route || v.route.starts_with(&prefix))
            })
            .collect()
    }

    /// The portal page that shows this view.
    pub fn href(&self) -> String {
        if self.is_field() {
            format!("/field/#{}/{}", self.plugin, self.id)
        } else if self.is_builtin() {
            format!("/admin/{}", self.id)
        } else {
            format!("/v/{}/{}", self.plugin, self.id)
        }
    }

    /// The buttons shown under a record's form (`spec.actions`: `id`,
    /// `title`, `route`, `method`, `confirm_zh`/`confirm_en`, `show_once`),
    /// each as an action view of the same plugin.
    pub fn form_actions(&self) -> Vec<ViewDef> {
        self.spec
            .get("actions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some(ViewDef {
                    plugin: self.plugin.clone(),
                    plugin_name: self.plugin_name.clone(),
                    id: a.get("id")?.as_str()?.to_owned(),
                    kind: "action".to_owned(),
                    title: a.get("title").cloned().unwrap_or(Value::Null),
                    route: a.get("route")?.as_str()?.to_owned(),
                    roles: self.roles.clone(),
                    menu: None,
                    spec: a.clone(),
                })
            })
            .collect()
    }

    /// The route behind the view, with `{id}` replaced when given.
    pub fn api_path(&self, id: Option<&str>) -> String {
        self.path_of(&self.route, id)
    }

    /// The API path of `route`, one of this view's plugin's routes (or,
    /// for the portal's own views, a host API path), with `{id}` replaced
    /// when given.
    pub fn path_of(&self, route: &str, id: Option<&str>) -> String {
        let route = match id {
            Some(id) => route.replace("{id}", &crate::api::encode_component(id)),
            None => route.to_owned(),
        };
        if self.is_builtin() {
            route
        } else {
            format!("/api/plugins/{}{}", self.plugin, route)
        }
    }

    /// The method its route is called with (`spec.method`, default POST).
    pub fn method(&self) -> String {
        self.spec
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("POST")
            .to_owned()
    }

    /// The field of the answer to show once (`spec.show_once`).
    pub fn show_once(&self) -> Option<String> {
        self.spec
            .get("show_once")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

/// A list route's answer: `{"items": [...], "total": n}` (`total` may be
/// missing: then paging goes on while pages are full), or a bare array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ListAnswer")]
pub struct ListPage {
    pub items: Vec<Value>,
    pub total: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ListAnswer {
    Page {
        #[serde(default)]
        items: Vec<Value>,
        #[serde(default)]
        total: Option<u64>,
    },
    Bare(Vec<Value>),
}

impl From<ListAnswer> for ListPage {
    fn from(a: ListAnswer) -> ListPage {
        match a {
            ListAnswer::Page { items, total } => ListPage { items, total },
            ListAnswer::Bare(items) => ListPage {
                total: Some(items.len() as u64),
                items,
            },
        }
    }
}

/// Reads a field of a document: metadata (`_id`, `_created`, …) or a dotted
/// body path. Documents arrive either flat (body fields beside `_id`) or as
/// `{"id", "body": {…}, …}`; both are tried.
pub fn field<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(meta) = path.strip_prefix('_') {
        let alt = match meta {
            "created" => "created_at",
            "updated" => "updated_at",
            other => other,
        };
        return doc
            .get(path)
            .or_else(|| doc.get(meta))
            .or_else(|| doc.get(alt));
    }
    let walk = |root: &'a Value| {
        path.split('.')
            .try_fold(root, |v, seg| v.get(seg))
            .filter(|v| !v.is_null())
    };
    walk(doc).or_else(|| doc.get("body").and_then(walk))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_from_flat_and_wrapped_documents() {
        let flat = json!({"_id": "a1", "name": "张三", "applicant": {"phone": "138"}});
        assert_eq!(field(&flat, "_id"), Some(&json!("a1")));
        assert_eq!(field(&flat, "applicant.phone"), Some(&json!("138")));
        assert_eq!(field(&flat, "missing"), None);
        let wrapped = json!({"id": "b2", "created_at": 5, "body": {"name": "李四"}});
        assert_eq!(field(&wrapped, "_id"), Some(&json!("b2")));
        assert_eq!(field(&wrapped, "_created"), Some(&json!(5)));
        assert_eq!(field(&wrapped, "name"), Some(&json!("李四")));
    }

    #[test]
    fn list_answers_with_or_without_total() {
        let page: ListPage = serde_json::from_value(json!({"items": [1], "total": 9})).unwrap();
        assert_eq!(page.total, Some(9));
        let page: ListPage = serde_json::from_value(json!({"items": [1, 2]})).unwrap();
        assert_eq!(page.total, None);
        let page: ListPage = serde_json::from_value(json!([1, 2, 3])).unwrap();
        assert_eq!((page.items.len(), page.total), (3, Some(3)));
        // What the portal serialises for hydration reads back the same.
        let again: ListPage = serde_json::from_value(serde_json::to_value(&page).unwrap()).unwrap();
        assert_eq!(again, page);
    }

    #[test]
    fn view_paths() {
        let v: ViewDef = serde_json::from_value(json!({
            "plugin": "visitor-log", "id": "note", "kind": "detail",
            "title": {"zh": "详情", "en": "Detail"}, "route": "/notes/{id}"
        }))
        .unwrap();
        assert_eq!(v.href(), "/v/visitor-log/note");
        assert_eq!(
            v.api_path(Some("a b/c")),
            "/api/plugins/visitor-log/notes/a%20b%2Fc"
        );
    }
}
