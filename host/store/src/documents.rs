//! Plugin documents: get, put and delete inside a unit of work, with hall
//! scope and optimistic concurrency.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;

use crate::db::Dialect;
use crate::error::{Error, Result};
use crate::scope::Scope;
use crate::sql::{self, Sql};
use crate::uow::UnitOfWork;
use crate::values;

/// Largest accepted document body, as JSON text.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A stored document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub collection: String,
    pub id: String,
    /// `None` for district-level data.
    pub hall: Option<String>,
    /// Starts at 1 and grows by one on every update.
    pub version: u64,
    pub body: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A document to insert or replace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Write {
    /// `None` assigns a new UUIDv7.
    pub id: Option<String>,
    /// Must be writable in the caller's scope.
    pub hall: Option<String>,
    /// A JSON object.
    pub body: Value,
    /// `Some(0)`: must not exist yet; `Some(n)`: must be at version n.
    pub expected_version: Option<u64>,
}

/// The columns every document read selects, in [`document_from_row`] order.
pub(crate) fn select_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "collection, id, hall, version, body, created_at, updated_at",
        Dialect::Postgres => {
            "collection, id, hall, version, body::text AS body, created_at, updated_at"
        }
    }
}

/// The placeholder for a JSON body parameter.
fn body_param(dialect: Dialect, placeholder: &str) -> String {
    match dialect {
        Dialect::Sqlite => placeholder.to_owned(),
        Dialect::Postgres => format!("CAST({placeholder} AS jsonb)"),
    }
}

pub(crate) fn document_from_row(row: &AnyRow) -> Result<Document> {
    Ok(Document {
        collection: values::text(row, "collection")?,
        id: values::text(row, "id")?,
        hall: values::opt_text(row, "hall")?,
        version: values::unsigned(values::int(row, "version")?, "version")?,
        body: values::json(row, "body")?,
        created_at: values::int(row, "created_at")?,
        updated_at: values::int(row, "updated_at")?,
    })
}

/// Document ids: 1 to 200 characters, no control characters.
fn check_id(id: &str) -> Result<()> {
    if id.is_empty() || id.chars().count() > 200 || id.chars().any(char::is_control) {
        Err(Error::invalid(format!("invalid document id {id:?}")))
    } else {
        Ok(())
    }
}

fn version_i64(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::invalid(format!("version {v} is out of range")))
}

/// The stored hall and version of a document, read for update.
struct Current {
    hall: Option<String>,
    version: i64,
    created_at: i64,
}

impl UnitOfWork {
    /// Reads one document; `None` when absent or outside the hall scope.
    pub async fn get(
        &mut self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<Option<Document>> {
        sql::check_plugin_id(&scope.plugin)?;
        sql::check_collection(collection)?;
        let mut q = Sql::new(format!(
            "SELECT {} FROM documents WHERE plugin = ",
            select_columns(self.dialect())
        ));
        q.bind(scope.plugin.as_str())
            .push(" AND collection = ")
            .bind(collection);
        q.push(" AND id = ").bind(id);
        scope.halls.push_read_filter(&mut q, None);
        self.read_optional(&q)
            .await?
            .as_ref()
            .map(document_from_row)
            .transpose()
    }

    /// Inserts or replaces one document and returns it as stored.
    pub async fn put(&mut self, scope: &Scope, collection: &str, write: Write) -> Result<Document> {
        sql::check_plugin_id(&scope.plugin)?;
        sql::check_collection(collection)?;
        if !write.body.is_object() {
            return Err(Error::invalid("a document body must be a JSON object"));
        }
        let body = serde_json::to_string(&write.body)?;
        if body.len() > MAX_BODY_BYTES {
            return Err(Error::TooLarge(format!(
                "document body of {} bytes (limit {MAX_BODY_BYTES})",
                body.len()
            )));
        }
        let id = match write.id {
            Some(id) => {
                check_id(&id)?;
                id
            }
            None => sql::new_id(),
        };
        scope.halls.check_write(write.hall.as_deref())?;
        let expected = write.expected_version.map(version_i64).transpose()?;

        let current = self.current(scope, collection, &id).await?;
        let now = sql::now_ms();
        let dialect = self.dialect();
        let (version, created_at, updated_at) = match current {
            None => {
                if let Some(n) = expected.filter(|n| *n > 0) {
                    return Err(Error::Conflict(format!(
                        "document {id:?} does not exist (expected version {n})"
                    )));
                }
                let mut q = Sql::new(
                    "INSERT INTO documents (plugin, collection, id, hall, version, body, created_at, updated_at) VALUES (",
                );
                q.bind(scope.plugin.as_str())
                    .push(", ")
                    .bind(collection)
                    .push(", ")
                    .bind(id.as_str());
                q.push(", ").bind(write.hall.clone()).push(", 1, ");
                let p = q.param(body);
                q.push(&body_param(dialect, &p))
                    .push(", ")
                    .bind(now)
                    .push(", ")
                    .bind(now);
                q.push(") ON CONFLICT DO NOTHING");
                if sql::execute(self.writer().await?, &q).await? == 0 {
                    return Err(Error::Conflict(format!(
                        "document {id:?} was created concurrently"
                    )));
                }
                (1, now, now)
            }
            Some(cur) => {
                scope.halls.check_write(cur.hall.as_deref())?;
                match expected {
                    Some(0) => {
                        return Err(Error::Conflict(format!("document {id:?} already exists")));
                    }
                    Some(n) if n != cur.version => {
                        return Err(Error::Conflict(format!(
                            "document {id:?} is at version {}, not {n}",
                            cur.version
                        )));
                    }
                    _ => {}
                }
                let updated = now.max(cur.created_at);
                let mut q = Sql::new("UPDATE documents SET hall = ");
                q.bind(write.hall.clone())
                    .push(", version = version + 1, body = ");
                let p = q.param(body);
                q.push(&body_param(dialect, &p))
                    .push(", updated_at = ")
                    .bind(updated);
                q.push(" WHERE plugin = ").bind(scope.plugin.as_str());
                q.push(" AND collection = ")
                    .bind(collection)
                    .push(" AND id = ")
                    .bind(id.as_str());
                q.push(" AND version = ").bind(cur.version);
                if sql::execute(self.writer().await?, &q).await? == 0 {
                    return Err(Error::Conflict(format!(
                        "document {id:?} changed concurrently"
                    )));
                }
                (cur.version + 1, cur.created_at, updated)
            }
        };
        Ok(Document {
            collection: collection.to_owned(),
            id,
            hall: write.hall,
            version: values::unsigned(version, "version")?,
            body: write.body,
            created_at,
            updated_at,
        })
    }

    /// Deletes one document; returns whether it existed.
    pub async fn delete(
        &mut self,
        scope: &Scope,
        collection: &str,
        id: &str,
        expected_version: Option<u64>,
    ) -> Result<bool> {
        sql::check_plugin_id(&scope.plugin)?;
        sql::check_collection(collection)?;
        let expected = expected_version.map(version_i64).transpose()?;
        let Some(cur) = self.current(scope, collection, id).await? else {
            return match expected.filter(|n| *n > 0) {
                Some(n) => Err(Error::Conflict(format!(
                    "document {id:?} does not exist (expected version {n})"
                ))),
                None => Ok(false),
            };
        };
        scope.halls.check_write(cur.hall.as_deref())?;
        if let Some(n) = expected
            && n != cur.version
        {
            return Err(Error::Conflict(format!(
                "document {id:?} is at version {}, not {n}",
                cur.version
            )));
        }
        let mut q = Sql::new("DELETE FROM documents WHERE plugin = ");
        q.bind(scope.plugin.as_str())
            .push(" AND collection = ")
            .bind(collection);
        q.push(" AND id = ")
            .bind(id)
            .push(" AND version = ")
            .bind(cur.version);
        if sql::execute(self.writer().await?, &q).await? == 0 {
            return Err(Error::Conflict(format!(
                "document {id:?} changed concurrently"
            )));
        }
        Ok(true)
    }

    /// Reads the stored hall and version inside the write transaction,
    /// locking the row on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already
    /// serialises writers).
    async fn current(
        &mut self,
        scope: &Scope,
        collection: &str,
        id: &str,
    ) -> Result<Option<Current>> {
        let mut q = Sql::new("SELECT hall, version, created_at FROM documents WHERE plugin = ");
        q.bind(scope.plugin.as_str())
            .push(" AND collection = ")
            .bind(collection);
        q.push(" AND id = ").bind(id);
        if self.dialect() == Dialect::Postgres {
            q.push(" FOR UPDATE");
        }
        let row = sql::fetch_optional(self.writer().await?, &q).await?;
        row.map(|r| {
            Ok(Current {
                hall: values::opt_text(&r, "hall")?,
                version: values::int(&r, "version")?,
                created_at: values::int(&r, "created_at")?,
            })
        })
        .transpose()
    }
}
