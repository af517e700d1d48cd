//! Portal views a plugin contributes, and the bilingual (zh/en) text they carry.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::Problems;
use crate::names;

/// A text in Simplified Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// Simplified Chinese, the portal's default locale.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Localized {
    /// The text for `locale` (`zh…` gives Chinese, anything else English).
    pub fn get(&self, locale: &str) -> &str {
        if locale.starts_with("zh") {
            &self.zh
        } else {
            &self.en
        }
    }

    /// Reports empty or overlong texts under `at.zh` / `at.en`.
    pub(crate) fn validate(&self, at: &str, max_chars: usize, problems: &mut Problems) {
        for (lang, text) in [("zh", &self.zh), ("en", &self.en)] {
            if text.trim().is_empty() {
                problems.push(format!("{at}.{lang}"), "must not be empty");
            } else if text.chars().count() > max_chars {
                problems.push(
                    format!("{at}.{lang}"),
                    format!("must be at most {max_chars} characters"),
                );
            }
        }
    }
}

/// The kind of a portal screen (the WIT `view-kind` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewKind {
    /// A table with columns, filters, sorting and paging.
    List,
    /// A form generated from a JSON Schema.
    Form,
    /// One record with its history.
    Detail,
    /// Cards grouped by a status field.
    Board,
    /// A chart from an aggregate query.
    Chart,
    /// A button that calls a plugin route.
    Action,
}

impl fmt::Display for ViewKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::List => "list",
            Self::Form => "form",
            Self::Detail => "detail",
            Self::Board => "board",
            Self::Chart => "chart",
            Self::Action => "action",
        })
    }
}

/// One `[[views]]` entry; the plugin's `portal.views()` supplies the details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct View {
    /// Unique within the plugin.
    pub id: String,
    /// Which renderer shows it.
    pub kind: ViewKind,
    /// Title in both locales.
    pub title: Localized,
    /// Roles that see it; empty means every authenticated user.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The portal menu group it appears under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub menu: Option<String>,
}

/// Checks ids, titles, roles and menu names.
pub(crate) fn validate(views: &[View], problems: &mut Problems) {
    for (i, view) in views.iter().enumerate() {
        let at = format!("views[{i}]");
        if !names::is_kebab_name(&view.id) {
            problems.push(format!("{at}.id"), format!("must be {}", names::KEBAB_RULE));
        } else if views[..i].iter().any(|v| v.id == view.id) {
            problems.push(
                format!("{at}.id"),
                format!("duplicate view id {:?}", view.id),
            );
        }
        view.title.validate(&format!("{at}.title"), 64, problems);
        for (j, message) in names::role_problems(&view.roles) {
            problems.push(format!("{at}.roles[{j}]"), message);
        }
        if let Some(menu) = &view.menu
            && (menu.trim().is_empty() || menu.chars().count() > 64)
        {
            problems.push(format!("{at}.menu"), "must be 1 to 64 characters");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(id: &str) -> View {
        View {
            id: id.into(),
            kind: ViewKind::List,
            title: Localized {
                zh: "工单".into(),
                en: "Work orders".into(),
            },
            roles: vec!["hotline-agent".into()],
            menu: Some("hotline".into()),
        }
    }

    #[test]
    fn views_are_validated() {
        let mut bad = view("orders");
        bad.title.zh = " ".into();
        bad.title.en = "x".repeat(65);
        bad.roles.push("Admin".into());
        bad.menu = Some(String::new());
        let mut problems = Problems::default();
        validate(&[view("orders"), bad, view("Board")], &mut problems);
        let text: Vec<String> = match problems.into_result() {
            Ok(()) => Vec::new(),
            Err(e) => e.field_errors().iter().map(ToString::to_string).collect(),
        };
        assert_eq!(
            text,
            vec![
                "views[1].id: duplicate view id \"orders\"",
                "views[1].title.zh: must not be empty",
                "views[1].title.en: must be at most 64 characters",
                "views[1].roles[1]: \"Admin\" is not a role name (lowercase letters, digits and '-', starting with a letter, at most 64 characters)",
                "views[1].menu: must be 1 to 64 characters",
                "views[2].id: must be lowercase letters, digits and '-', starting with a letter, at most 64 characters",
            ]
        );
    }

    #[test]
    fn localized_picks_a_locale() {
        let title = view("a").title;
        assert_eq!(title.get("zh-CN"), "工单");
        assert_eq!(title.get("en"), "Work orders");
        assert_eq!(ViewKind::Chart.to_string(), "chart");
    }
}
