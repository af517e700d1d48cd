//! Small helpers shared by every module that builds SQL: bound values,
//! running a statement on a pool or a transaction, names and clocks.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Executor};

use crate::error::{Error, Result};

/// A value bound to a `$n` placeholder. Values never appear in SQL text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    /// A NULL typed as text. PostgreSQL needs typed NULLs for other columns.
    Null,
    NullInt,
    NullFloat,
    NullBool,
    NullBytes,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<&str> for Bind {
    fn from(v: &str) -> Bind {
        Bind::Text(v.to_owned())
    }
}

impl From<String> for Bind {
    fn from(v: String) -> Bind {
        Bind::Text(v)
    }
}

impl From<i64> for Bind {
    fn from(v: i64) -> Bind {
        Bind::Int(v)
    }
}

impl From<Option<String>> for Bind {
    fn from(v: Option<String>) -> Bind {
        v.map_or(Bind::Null, Bind::Text)
    }
}

impl From<Option<&str>> for Bind {
    fn from(v: Option<&str>) -> Bind {
        v.map_or(Bind::Null, Bind::from)
    }
}

impl From<Option<i64>> for Bind {
    fn from(v: Option<i64>) -> Bind {
        v.map_or(Bind::NullInt, Bind::Int)
    }
}

/// SQL text plus the values for its placeholders, numbered as they are pushed.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            binds: Vec::new(),
        }
    }

    /// Appends raw SQL text (identifiers must already be validated).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Adds a bound value and returns its placeholder (`$n`) without
    /// appending it.
    pub fn param(&mut self, value: impl Into<Bind>) -> String {
        self.binds.push(value.into());
        format!("${}", self.binds.len())
    }

    /// Adds a bound value and appends its placeholder.
    pub fn bind(&mut self, value: impl Into<Bind>) -> &mut Sql {
        let p = self.param(value);
        self.text.push_str(&p);
        self
    }
}

/// Builds a sqlx query with the binds applied in order.
pub(crate) fn build<'q>(text: &'q str, binds: &[Bind]) -> Query<'q, Any, AnyArguments<'q>> {
    let mut q = sqlx::query(text);
    for b in binds {
        q = match b {
            Bind::Null => q.bind(None::<String>),
            Bind::NullInt => q.bind(None::<i64>),
            Bind::NullFloat => q.bind(None::<f64>),
            Bind::NullBool => q.bind(None::<bool>),
            Bind::NullBytes => q.bind(None::<Vec<u8>>),
            Bind::Bool(v) => q.bind(*v),
            Bind::Int(v) => q.bind(*v),
            Bind::Float(v) => q.bind(*v),
            Bind::Text(v) => q.bind(v.clone()),
            Bind::Bytes(v) => q.bind(v.clone()),
        };
    }
    q
}

pub(crate) async fn fetch_all<'e, E>(exec: E, sql: &Sql) -> Result<Vec<AnyRow>>
where
    E: Executor<'e, Database = Any>,
{
    Ok(build(&sql.text, &sql.binds).fetch_all(exec).await?)
}

pub(crate) async fn fetch_optional<'e, E>(exec: E, sql: &Sql) -> Result<Option<AnyRow>>
where
    E: Executor<'e, Database = Any>,
{
    Ok(build(&sql.text, &sql.binds).fetch_optional(exec).await?)
}

/// Runs a statement and returns the number of rows it changed.
pub(crate) async fn execute<'e, E>(exec: E, sql: &Sql) -> Result<u64>
where
    E: Executor<'e, Database = Any>,
{
    Ok(build(&sql.text, &sql.binds)
        .execute(exec)
        .await?
        .rows_affected())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A new time-ordered id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Converts a duration to whole milliseconds, saturating.
pub(crate) fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Plugin ids: ASCII letters, digits, `.`, `_`, `-`; starting with a letter or
/// digit; at most 128 characters. They are safe inside SQL string literals.
pub(crate) fn check_plugin_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!("invalid plugin id {id:?}")))
    }
}

/// Collection names: lowercase letters, digits, `_`, `-`, `.`; starting with a
/// letter or `_`; at most 64 characters.
pub(crate) fn check_collection(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!("invalid collection name {name:?}")))
    }
}

/// A validated name as an SQL string literal. Callers validate first; quotes
/// are doubled anyway.
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Quotes an identifier read from the catalog (`"name"`), rejecting odd ones.
pub(crate) fn ident(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(format!("\"{name}\""))
    } else {
        Err(Error::invalid(format!("unsupported identifier {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind("x").push(" AND b = ").bind(3_i64);
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b = $2");
        assert_eq!(sql.binds, vec![Bind::Text("x".into()), Bind::Int(3)]);
    }

    #[test]
    fn plugin_ids_and_collections() {
        assert!(check_plugin_id("acme.visitor-log").is_ok());
        assert!(check_plugin_id("x'; drop table documents; --").is_err());
        assert!(check_plugin_id("").is_err());
        assert!(check_collection("entries").is_ok());
        assert!(check_collection("Entries").is_err());
        assert!(check_collection("a'b").is_err());
    }

    #[test]
    fn identifiers_are_quoted_or_refused() {
        assert_eq!(ident("documents").ok().as_deref(), Some("\"documents\""));
        assert!(ident("bad\"name").is_err());
        assert_eq!(literal("o'k"), "'o''k'");
    }
}
