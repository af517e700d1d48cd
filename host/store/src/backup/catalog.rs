//! Discovering tables at run time from the database catalog (sqlite_master /
//! pg_catalog and information_schema), so backup and restore cover every
//! table a migration adds without a hand-kept list. `_sqlx_migrations` is
//! metadata, not data, and is left out.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{Dialect, Store};
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::values;

/// Tables that are never backed up as data.
const SKIPPED: &str = "_sqlx_migrations";

/// How a column's values are read and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Float,
    Bool,
    Text,
    /// JSON text on SQLite, `json`/`jsonb` on PostgreSQL (carried as text).
    Json,
    Bytes,
    /// Another PostgreSQL type, carried as text and cast on the way in.
    Other(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    /// Tables this one references through foreign keys.
    pub references: BTreeSet<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `ORDER BY` keeping backups deterministic: the primary key, else every column.
    pub fn order_by(&self) -> Result<String> {
        let cols: Vec<&String> = if self.primary_key.is_empty() {
            self.columns.iter().map(|c| &c.name).collect()
        } else {
            self.primary_key.iter().collect()
        };
        let quoted = cols
            .iter()
            .map(|c| sql::ident(c))
            .collect::<Result<Vec<_>>>()?;
        Ok(quoted.join(", "))
    }
}

fn sqlite_kind(declared: &str) -> Kind {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") || t.contains("BOOL") {
        Kind::Int
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Kind::Text
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Kind::Float
    } else if t.contains("JSON") {
        Kind::Json
    } else if t.contains("BLOB") || t.is_empty() {
        Kind::Bytes
    } else {
        Kind::Text
    }
}

fn pg_kind(data_type: &str, udt: &str) -> Result<Kind> {
    Ok(match data_type {
        "smallint" | "integer" | "bigint" => Kind::Int,
        "real" | "double precision" => Kind::Float,
        "boolean" => Kind::Bool,
        "text" | "character varying" | "character" => Kind::Text,
        "json" | "jsonb" => Kind::Json,
        "bytea" => Kind::Bytes,
        "USER-DEFINED" | "ARRAY" => Kind::Other(checked_type(udt)?),
        other => Kind::Other(checked_type(other)?),
    })
}

/// Type names end up in `CAST(... AS <type>)`; allow only plain names.
fn checked_type(t: &str) -> Result<String> {
    if !t.is_empty()
        && t.len() <= 64
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_')
    {
        Ok(t.to_owned())
    } else {
        Err(Error::invalid(format!("unsupported column type {t:?}")))
    }
}

async fn names(store: &Store, q: &Sql) -> Result<Vec<String>> {
    sql::fetch_all(store.pool(), q)
        .await?
        .iter()
        .map(|r| values::text(r, "name"))
        .collect()
}

async fn table_names(store: &Store) -> Result<Vec<String>> {
    let text = match store.dialect() {
        Dialect::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name"
        }
        Dialect::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        }
    };
    let mut out = names(store, &Sql::new(text)).await?;
    out.retain(|n| n != SKIPPED);
    Ok(out)
}

async fn describe(store: &Store, name: &str) -> Result<Table> {
    sql::ident(name)?;
    let mut columns = Vec::new();
    let primary_key;
    let references;
    match store.dialect() {
        Dialect::Sqlite => {
            let mut q = Sql::new("SELECT name, type, pk FROM pragma_table_info(");
            q.bind(name).push(") ORDER BY cid");
            let mut pk = BTreeMap::new();
            for r in sql::fetch_all(store.pool(), &q).await? {
                let col = values::text(&r, "name")?;
                let order = values::int(&r, "pk")?;
                if order > 0 {
                    pk.insert(order, col.clone());
                }
                columns.push(Column {
                    name: col,
                    kind: sqlite_kind(&values::text(&r, "type")?),
                });
            }
            primary_key = pk.into_values().collect();
            let mut q = Sql::new("SELECT DISTINCT \"table\" AS name FROM pragma_foreign_key_list(");
            q.bind(name).push(")");
            references = names(store, &q).await?;
        }
        Dialect::Postgres => {
            let mut q = Sql::new(
                "SELECT column_name::text AS name, data_type::text AS data_type, udt_name::text AS udt \
                 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ",
            );
            q.bind(name).push(" ORDER BY ordinal_position");
            for r in sql::fetch_all(store.pool(), &q).await? {
                let kind = pg_kind(&values::text(&r, "data_type")?, &values::text(&r, "udt")?)?;
                columns.push(Column {
                    name: values::text(&r, "name")?,
                    kind,
                });
            }
            let mut q = Sql::new(
                "SELECT a.attname::text AS name FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                 WHERE i.indisprimary AND n.nspname = current_schema() AND c.relname = ",
            );
            q.bind(name)
                .push(" ORDER BY array_position(i.indkey::int2[], a.attnum)");
            primary_key = names(store, &q).await?;
            let mut q = Sql::new(
                "SELECT DISTINCT r.relname::text AS name FROM pg_constraint k \
                 JOIN pg_class c ON c.oid = k.conrelid \
                 JOIN pg_class r ON r.oid = k.confrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE k.contype = 'f' AND n.nspname = current_schema() AND c.relname = ",
            );
            q.bind(name);
            references = names(store, &q).await?;
        }
    }
    for c in &columns {
        sql::ident(&c.name)?;
    }
    Ok(Table {
        name: name.to_owned(),
        columns,
        primary_key,
        references: references.into_iter().filter(|r| r != name).collect(),
    })
}

/// Every data table, referenced tables before the tables that reference them
/// (ties and cycles broken by name).
pub(crate) async fn tables(store: &Store) -> Result<Vec<Table>> {
    let mut all = Vec::new();
    for name in table_names(store).await? {
        all.push(describe(store, &name).await?);
    }
    Ok(dependency_order(all))
}

pub(crate) fn dependency_order(mut pending: Vec<Table>) -> Vec<Table> {
    pending.sort_by(|a, b| a.name.cmp(&b.name));
    let known: BTreeSet<String> = pending.iter().map(|t| t.name.clone()).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|t| {
                t.references
                    .iter()
                    .all(|r| done.contains(r) || !known.contains(r))
            })
            .unwrap_or(0);
        let t = pending.remove(ready);
        done.insert(t.name.clone());
        out.push(t);
    }
    out
}

/// Applied migration versions, ascending.
pub(crate) async fn migrations(store: &Store) -> Result<Vec<i64>> {
    let q = Sql::new("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version");
    sql::fetch_all(store.pool(), &q)
        .await?
        .iter()
        .map(|r| values::int(r, "version"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, refs: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: vec![],
            primary_key: vec![],
            references: refs.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn referenced_tables_come_first() {
        let order = dependency_order(vec![
            t("deliveries", &["events"]),
            t("sessions", &["users"]),
            t("users", &["halls"]),
            t("events", &[]),
            t("halls", &[]),
            t("a", &["b"]),
            t("b", &["a"]),
        ]);
        let names: Vec<&str> = order.iter().map(|t| t.name.as_str()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("events") < pos("deliveries"));
        assert!(pos("halls") < pos("users") && pos("users") < pos("sessions"));
        assert_eq!(names.len(), 7, "cycles still come out");
    }

    #[test]
    fn kinds() {
        assert_eq!(sqlite_kind("INTEGER"), Kind::Int);
        assert_eq!(sqlite_kind("TEXT"), Kind::Text);
        assert_eq!(sqlite_kind("REAL"), Kind::Float);
        assert_eq!(pg_kind("jsonb", "jsonb").unwrap(), Kind::Json);
        assert_eq!(
            pg_kind("timestamp with time zone", "timestamptz").unwrap(),
            Kind::Other("timestamp with time zone".into())
        );
        assert!(pg_kind("x;drop", "x").is_err());
    }
}
