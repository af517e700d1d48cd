//! Collection specs: declared field types, field-name validation, the SQL
//! expression for each field in each dialect, and the partial expression
//! indexes created by [`Store::ensure_collection`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::{Dialect, Store};
use crate::error::{Error, Result};
use crate::sql::{self, Sql};

/// The type of a declared field; filters, sorting and grouping compare values
/// as this type. `timestamp` is milliseconds since the Unix epoch stored as a
/// JSON number (filters also accept RFC 3339 strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    String,
    Number,
    #[serde(alias = "boolean")]
    Bool,
    Timestamp,
}

/// A collection as a plugin manifest declares it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionSpec {
    pub name: String,
    /// Declared fields: dotted paths into the body and their types.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldType>,
    /// Each entry is one (possibly compound) index over declared or metadata fields.
    #[serde(default)]
    pub indexes: Vec<Vec<String>>,
}

/// Metadata fields every collection has.
const META: [(&str, &str, FieldType); 5] = [
    ("_id", "id", FieldType::String),
    ("_hall", "hall", FieldType::String),
    ("_version", "version", FieldType::Number),
    ("_created", "created_at", FieldType::Timestamp),
    ("_updated", "updated_at", FieldType::Timestamp),
];

/// Most fields one index may cover.
const MAX_INDEX_FIELDS: usize = 8;

/// Checks a field path: `^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$`, at most 128 bytes.
pub fn valid_field_path(path: &str) -> bool {
    path.len() <= 128
        && path.split('.').all(|seg| {
            seg.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && seg
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// A field that may be used in a filter, sort, group or index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldRef {
    pub name: String,
    pub ty: FieldType,
    /// `Some(column)` for metadata, `None` for a body path.
    column: Option<&'static str>,
}

impl CollectionSpec {
    /// Validates names, field paths and index definitions.
    pub fn validate(&self) -> Result<()> {
        sql::check_collection(&self.name)?;
        for name in self.fields.keys() {
            if !valid_field_path(name) {
                return Err(Error::invalid(format!("invalid field name {name:?}")));
            }
            if META.iter().any(|(m, _, _)| m == name) {
                return Err(Error::invalid(format!(
                    "field {name:?} clashes with a metadata field"
                )));
            }
        }
        for index in &self.indexes {
            if index.is_empty() || index.len() > MAX_INDEX_FIELDS {
                return Err(Error::invalid(format!(
                    "an index of {:?} needs 1 to {MAX_INDEX_FIELDS} fields",
                    self.name
                )));
            }
            for field in index {
                self.field(field)?;
            }
        }
        Ok(())
    }

    /// Resolves a metadata or declared field, or fails naming it.
    pub(crate) fn field(&self, name: &str) -> Result<FieldRef> {
        if let Some((_, column, ty)) = META.iter().find(|(m, _, _)| *m == name) {
            return Ok(FieldRef {
                name: name.to_owned(),
                ty: *ty,
                column: Some(column),
            });
        }
        match self.fields.get(name) {
            Some(ty) if valid_field_path(name) => Ok(FieldRef {
                name: name.to_owned(),
                ty: *ty,
                column: None,
            }),
            _ => Err(Error::invalid(format!(
                "field {name:?} is neither a metadata field nor declared in collection {:?}",
                self.name
            ))),
        }
    }
}

impl FieldRef {
    pub fn is_column(&self) -> bool {
        self.column.is_some()
    }

    /// The value as its declared type, or NULL when absent or of another
    /// JSON type. Used for comparisons, sorting, grouping and indexes.
    pub fn typed_expr(&self, dialect: Dialect) -> String {
        if let Some(col) = self.column {
            return col.to_owned();
        }
        match dialect {
            Dialect::Sqlite => {
                let path = sql::literal(&format!("$.{}", self.name));
                let types = match self.ty {
                    FieldType::String => "= 'text'",
                    FieldType::Number | FieldType::Timestamp => "IN ('integer', 'real')",
                    FieldType::Bool => "IN ('true', 'false')",
                };
                // `->>` rather than `json_extract`: the same SQL value for a
                // scalar, but no JSON subtype, so SQLite may read it from an
                // index on the expression instead of re-parsing the body
                // (SQLite does not substitute subtype-returning functions).
                format!("(CASE WHEN json_type(body, {path}) {types} THEN body ->> {path} END)")
            }
            Dialect::Postgres => {
                let json = pg_path(&self.name, false);
                let text = pg_path(&self.name, true);
                match self.ty {
                    FieldType::String => format!(
                        "((CASE WHEN jsonb_typeof({json}) = 'string' THEN {text} END) COLLATE \"C\")"
                    ),
                    FieldType::Number | FieldType::Timestamp => format!(
                        "(CASE WHEN jsonb_typeof({json}) = 'number' THEN ({text})::double precision END)"
                    ),
                    FieldType::Bool => format!(
                        "(CASE WHEN jsonb_typeof({json}) = 'boolean' THEN ({text})::boolean END)"
                    ),
                }
            }
        }
    }

    /// True when the field is absent or JSON null (whatever its type).
    pub fn is_null_expr(&self, dialect: Dialect) -> String {
        if let Some(col) = self.column {
            return format!("{col} IS NULL");
        }
        match dialect {
            Dialect::Sqlite => {
                format!(
                    "(body ->> {}) IS NULL",
                    sql::literal(&format!("$.{}", self.name))
                )
            }
            Dialect::Postgres => format!("({}) IS NULL", pg_path(&self.name, true)),
        }
    }
}

/// `body->'a'->'b'` (JSON) or `body->'a'->>'b'` (text) for path `a.b`.
fn pg_path(path: &str, as_text: bool) -> String {
    let segments: Vec<&str> = path.split('.').collect();
    let mut out = String::from("body");
    for (i, seg) in segments.iter().enumerate() {
        let arrow = if as_text && i + 1 == segments.len() {
            "->>"
        } else {
            "->"
        };
        out.push_str(arrow);
        out.push_str(&sql::literal(seg));
    }
    out
}

/// A stable, safe name for the index on `fields`, derived from the indexed
/// expressions: when they change (a field's declared type, or how the store
/// reads JSON) the index gets a new name and is rebuilt, instead of being
/// kept under the old name and no longer matching any query.
pub(crate) fn index_name(
    dialect: Dialect,
    plugin: &str,
    spec: &CollectionSpec,
    fields: &[String],
) -> Result<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for f in fields {
        parts.push(spec.field(f)?.typed_expr(dialect));
    }
    Ok(name_from_hash(plugin, &spec.name, &parts))
}

/// The name the store gave the index on `fields` before names were derived
/// from the expressions (they hashed the field names); dropped on upgrade.
fn legacy_index_name(plugin: &str, collection: &str, fields: &[String]) -> String {
    name_from_hash(plugin, collection, fields)
}

fn name_from_hash(plugin: &str, collection: &str, parts: &[String]) -> String {
    let mut h = Sha256::new();
    h.update(plugin.as_bytes());
    h.update([0]);
    h.update(collection.as_bytes());
    for p in parts {
        h.update([0]);
        h.update(p.as_bytes());
    }
    let digest = hex::encode(h.finalize());
    format!(
        "bt_doc_{}_{}_{}",
        sanitize(plugin),
        sanitize(collection),
        &digest[..12]
    )
}

/// Keeps `[a-z0-9]`, maps everything else to `_`, at most 16 characters.
fn sanitize(s: &str) -> String {
    s.chars()
        .take(16)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The `CREATE INDEX` statement for one declared index.
pub(crate) fn index_ddl(
    dialect: Dialect,
    plugin: &str,
    spec: &CollectionSpec,
    fields: &[String],
) -> Result<String> {
    sql::check_plugin_id(plugin)?;
    let mut exprs = Vec::with_capacity(fields.len());
    for f in fields {
        let e = spec.field(f)?.typed_expr(dialect);
        exprs.push(match dialect {
            Dialect::Sqlite => e,
            Dialect::Postgres => format!("({e})"),
        });
    }
    Ok(format!(
        "CREATE INDEX IF NOT EXISTS {} ON documents ({}) WHERE plugin = {} AND collection = {}",
        sql::ident(&index_name(dialect, plugin, spec, fields)?)?,
        exprs.join(", "),
        sql::literal(plugin),
        sql::literal(&spec.name),
    ))
}

impl Store {
    /// Validates a collection spec and creates its declared indexes (partial
    /// expression indexes limited to this plugin and collection). Idempotent.
    pub async fn ensure_collection(&self, plugin: &str, spec: &CollectionSpec) -> Result<()> {
        sql::check_plugin_id(plugin)?;
        spec.validate()?;
        for fields in &spec.indexes {
            let ddl = Sql::new(index_ddl(self.dialect(), plugin, spec, fields)?);
            if let Err(first) = sql::execute(self.pool(), &ddl).await {
                // Another process may have created the same index at the same
                // moment (PostgreSQL then reports a duplicate); try once more.
                tracing::debug!(error = %first, "retrying CREATE INDEX");
                sql::execute(self.pool(), &ddl).await?;
            }
            let legacy = legacy_index_name(plugin, &spec.name, fields);
            if legacy != index_name(self.dialect(), plugin, spec, fields)? {
                let drop = Sql::new(format!("DROP INDEX IF EXISTS {}", sql::ident(&legacy)?));
                sql::execute(self.pool(), &drop).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CollectionSpec {
        CollectionSpec {
            name: "orders".into(),
            fields: [
                ("status".to_owned(), FieldType::String),
                ("cost.total".to_owned(), FieldType::Number),
            ]
            .into_iter()
            .collect(),
            indexes: vec![vec!["status".into(), "_updated".into()]],
        }
    }

    #[test]
    fn field_paths() {
        assert!(valid_field_path("status"));
        assert!(valid_field_path("applicant.name_2"));
        assert!(valid_field_path("_private"));
        assert!(!valid_field_path("Status"));
        assert!(!valid_field_path("a..b"));
        assert!(!valid_field_path("a.b."));
        assert!(!valid_field_path("x') OR 1=1 --"));
        assert!(!valid_field_path(""));
        assert!(!valid_field_path("9lives"));
    }

    #[test]
    fn field_types_deserialize_from_lowercase_names() {
        let spec: CollectionSpec = serde_json::from_str(
            r#"{"name":"c","fields":{"a":"string","b":"number","c":"bool","d":"timestamp","e":"boolean"}}"#,
        )
        .unwrap();
        assert_eq!(spec.fields["c"], FieldType::Bool);
        assert_eq!(spec.fields["e"], FieldType::Bool);
        assert!(serde_json::from_str::<FieldType>("\"String\"").is_err());
    }

    #[test]
    fn unknown_and_malformed_fields_are_rejected() {
        let mut s = spec();
        assert!(s.field("nope").is_err());
        assert!(s.field("_id").is_ok());
        s.fields.insert("Bad".into(), FieldType::String);
        assert!(matches!(s.validate(), Err(Error::Invalid(_))));
        let mut s = spec();
        s.indexes.push(vec!["missing".into()]);
        assert!(matches!(s.validate(), Err(Error::Invalid(m)) if m.contains("missing")));
    }

    #[test]
    fn index_ddl_per_dialect() {
        let s = spec();
        let fields = vec!["status".to_owned(), "cost.total".to_owned()];
        let lite = index_ddl(Dialect::Sqlite, "acme.shop", &s, &fields).unwrap();
        assert!(
            lite.starts_with("CREATE INDEX IF NOT EXISTS \"bt_doc_acme_shop_orders_"),
            "{lite}"
        );
        assert!(lite.contains("body ->> '$.cost.total'"), "{lite}");
        assert!(
            lite.ends_with("WHERE plugin = 'acme.shop' AND collection = 'orders'"),
            "{lite}"
        );
        let pg = index_ddl(Dialect::Postgres, "acme.shop", &s, &fields).unwrap();
        assert!(pg.contains("body->'cost'->>'total'"), "{pg}");
        assert!(pg.contains("double precision"), "{pg}");
        assert!(index_ddl(Dialect::Sqlite, "bad'id", &s, &fields).is_err());
        assert_eq!(
            index_name(Dialect::Sqlite, "p", &s, &fields).unwrap(),
            index_name(Dialect::Sqlite, "p", &s, &fields).unwrap(),
            "names are deterministic"
        );
        let mut retyped = spec();
        retyped
            .fields
            .insert("cost.total".to_owned(), FieldType::String);
        assert_ne!(
            index_name(Dialect::Sqlite, "p", &s, &fields).unwrap(),
            index_name(Dialect::Sqlite, "p", &retyped, &fields).unwrap(),
            "another expression is another index"
        );
        assert_ne!(
            index_name(Dialect::Sqlite, "p", &s, &fields).unwrap(),
            legacy_index_name("p", &s.name, &fields)
        );
        assert!(
            index_name(
                Dialect::Postgres,
                "a-very-long-plugin-identifier",
                &CollectionSpec {
                    name: "and-a-long-collection".into(),
                    ..spec()
                },
                &fields
            )
            .unwrap()
            .len()
                <= 63
        );
    }

    /// An index named the old way (by field names) is replaced by the one
    /// named after its expressions when the collection is ensured again.
    #[tokio::test]
    async fn legacy_index_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/a.db", dir.path().display());
        let store = Store::open(crate::StoreConfig::new(url, dir.path().join("blobs")))
            .await
            .unwrap();
        let s = spec();
        let fields = &s.indexes[0];
        let legacy = legacy_index_name("p", &s.name, fields);
        sqlx::query(&format!(
            "CREATE INDEX \"{legacy}\" ON documents (json_extract(body, '$.status')) \
             WHERE plugin = 'p' AND collection = 'orders'"
        ))
        .execute(store.pool())
        .await
        .unwrap();
        store.ensure_collection("p", &s).await.unwrap();
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'bt_doc_p_%'",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let current = index_name(Dialect::Sqlite, "p", &s, fields).unwrap();
        assert_eq!(names, vec![current]);
    }
}
