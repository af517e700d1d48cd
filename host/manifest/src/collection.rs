//! Storage collections: declared fields (what filters, sorts and groups may use) and indexes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::error::Problems;
use crate::names;

/// The type of a declared field, used by the store to index and compare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// UTF-8 text.
    String,
    /// A JSON number (compared as f64).
    Number,
    /// `true` / `false`.
    Bool,
    /// Milliseconds since the Unix epoch.
    Timestamp,
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Bool => "bool",
            Self::Timestamp => "timestamp",
        })
    }
}

/// One `[[collections]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Collection {
    /// `^[a-z][a-z0-9_]{0,63}$`, unique within the plugin.
    pub name: String,
    /// Declared fields by (dotted) path into the document body.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldType>,
    /// Indexes, each a list of declared or metadata field names.
    #[serde(default)]
    pub indexes: Vec<Vec<String>>,
}

impl Collection {
    /// Whether `field` may be used in filters, sorts and groups: a declared
    /// field or a metadata field (`_id`, `_hall`, ...).
    pub fn knows_field(&self, field: &str) -> bool {
        self.fields.contains_key(field) || names::METADATA_FIELDS.contains(&field)
    }
}

/// Most declared fields per collection.
pub const MAX_FIELDS: usize = 256;
/// Most indexes per collection.
pub const MAX_INDEXES: usize = 32;
/// Most fields in one index.
pub const MAX_INDEX_FIELDS: usize = 16;

/// Checks names, field paths and index references.
pub(crate) fn validate(collections: &[Collection], problems: &mut Problems) {
    for (i, collection) in collections.iter().enumerate() {
        let at = format!("collections[{i}]");
        let fields = collection.fields.len();
        let indexes = collection.indexes.len();
        let longest = collection.indexes.iter().map(Vec::len).max().unwrap_or(0);
        if fields > MAX_FIELDS || indexes > MAX_INDEXES || longest > MAX_INDEX_FIELDS {
            problems.push(
                at,
                format!(
                    "at most {MAX_FIELDS} fields, {MAX_INDEXES} indexes and \
                     {MAX_INDEX_FIELDS} fields per index are allowed"
                ),
            );
            continue;
        }
        if !names::is_collection_name(&collection.name) {
            problems.push(
                format!("{at}.name"),
                "must be lowercase letters, digits and '_', starting with a letter, at most 64 characters",
            );
        } else if collections[..i].iter().any(|c| c.name == collection.name) {
            problems.push(
                format!("{at}.name"),
                format!("duplicate collection name {:?}", collection.name),
            );
        }
        for field in collection.fields.keys() {
            let path = format!("{at}.fields.{}", names::toml_key(field));
            if names::METADATA_FIELDS.contains(&field.as_str()) {
                problems.push(path, "is a metadata field and cannot be declared");
            } else if !names::is_field_path(field) {
                problems.push(
                    path,
                    "field names must match ^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*$",
                );
            } else if let Some(parent) = declared_prefix(&collection.fields, field) {
                problems.push(
                    path,
                    format!("is inside {parent:?}, which is declared as a scalar"),
                );
            }
        }
        for (j, index) in collection.indexes.iter().enumerate() {
            let at = format!("{at}.indexes[{j}]");
            if index.is_empty() {
                problems.push(at.clone(), "must name at least one field");
            }
            for (k, field) in index.iter().enumerate() {
                if !collection.knows_field(field) {
                    problems.push(
                        format!("{at}[{k}]"),
                        format!(
                            "{field:?} is not a declared field of collection {:?}",
                            collection.name
                        ),
                    );
                } else if index[..k].contains(field) {
                    problems.push(format!("{at}[{k}]"), format!("{field:?} appears twice"));
                }
            }
            if collection.indexes[..j].contains(index) && !index.is_empty() {
                problems.push(at, "duplicate index");
            }
        }
    }
}

/// A declared field that is a strict dotted prefix of `field`, if any.
fn declared_prefix<'a>(fields: &'a BTreeMap<String, FieldType>, field: &str) -> Option<&'a str> {
    fields.keys().map(String::as_str).find(|other| {
        field.len() > other.len()
            && field.starts_with(*other)
            && field.as_bytes().get(other.len()) == Some(&b'.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(fields: &[(&str, FieldType)], indexes: &[&[&str]]) -> Collection {
        Collection {
            name: "orders".into(),
            fields: fields.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect(),
            indexes: indexes
                .iter()
                .map(|ix| ix.iter().map(|f| (*f).to_owned()).collect())
                .collect(),
        }
    }

    fn problems_of(collections: &[Collection]) -> Vec<String> {
        let mut problems = Problems::default();
        validate(collections, &mut problems);
        match problems.into_result() {
            Ok(()) => Vec::new(),
            Err(e) => e.field_errors().iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn valid_collection() {
        let c = collection(
            &[
                ("status", FieldType::String),
                ("applicant.name", FieldType::String),
            ],
            &[&["status", "_created"], &["applicant.name"]],
        );
        assert!(problems_of(std::slice::from_ref(&c)).is_empty());
        assert!(c.knows_field("_hall"));
        assert!(!c.knows_field("applicant"));
    }

    #[test]
    fn invalid_collections() {
        let mut second = collection(
            &[
                ("_id", FieldType::String),
                ("Bad", FieldType::Number),
                ("a", FieldType::Number),
                ("a.b", FieldType::Number),
            ],
            &[&[], &["a", "a"], &["missing"], &["a"], &["a"]],
        );
        second.name = "orders".into();
        let problems = problems_of(&[collection(&[], &[]), second]);
        assert_eq!(
            problems,
            vec![
                "collections[1].name: duplicate collection name \"orders\"",
                "collections[1].fields.Bad: field names must match ^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*$",
                "collections[1].fields._id: is a metadata field and cannot be declared",
                "collections[1].fields.\"a.b\": is inside \"a\", which is declared as a scalar",
                "collections[1].indexes[0]: must name at least one field",
                "collections[1].indexes[1][1]: \"a\" appears twice",
                "collections[1].indexes[2][0]: \"missing\" is not a declared field of collection \"orders\"",
                "collections[1].indexes[4]: duplicate index",
            ]
        );
    }

    #[test]
    fn field_types_display() {
        assert_eq!(FieldType::Timestamp.to_string(), "timestamp");
    }
}
