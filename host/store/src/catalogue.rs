//! The district's service catalogue (事项库), table `service_catalogue`:
//! every published version kept whole, the highest being current. The store
//! keeps the JSON as given; the host validates it
//! (`bantong_hall_kit::catalogue::Catalogue`) before it publishes.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::values;

/// One published version, without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueVersion {
    /// 1, 2, 3 … in publication order.
    pub version: i64,
    /// How many items it holds.
    pub items: i64,
    /// What the publisher wrote about the change.
    pub note: String,
    /// Where it came from, e.g. `import:事项库.xlsx` or `api`.
    pub source: String,
    pub published_at: i64,
    pub published_by: String,
}

/// A version to publish.
#[derive(Debug, Clone)]
pub struct NewCatalogueVersion<'a> {
    /// The catalogue as JSON.
    pub body: &'a str,
    pub items: i64,
    pub note: &'a str,
    pub source: &'a str,
    pub published_at: i64,
    pub published_by: &'a str,
    /// The version the publisher started from (`None`: none yet); when
    /// another version was published since, publishing is refused.
    pub base: Option<i64>,
}

const INFO: &str = "version, items, note, source, published_at, published_by";

fn info(r: &AnyRow) -> Result<CatalogueVersion> {
    Ok(CatalogueVersion {
        version: values::int(r, "version")?,
        items: values::int(r, "items")?,
        note: values::text(r, "note")?,
        source: values::text(r, "source")?,
        published_at: values::int(r, "published_at")?,
        published_by: values::text(r, "published_by")?,
    })
}

/// Typed access to the catalogue table; see [`Store::catalogue`].
#[derive(Debug, Clone, Copy)]
pub struct ServiceCatalogue<'a> {
    store: &'a Store,
}

impl Store {
    /// The district's service catalogue.
    pub fn catalogue(&self) -> ServiceCatalogue<'_> {
        ServiceCatalogue { store: self }
    }
}

impl ServiceCatalogue<'_> {
    /// Every published version, newest first.
    pub async fn versions(&self) -> Result<Vec<CatalogueVersion>> {
        let q = Sql::new(format!(
            "SELECT {INFO} FROM service_catalogue ORDER BY version DESC"
        ));
        sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(info)
            .collect()
    }

    /// A version and its JSON body; the current one when `version` is
    /// `None`. `None` when there is no such version (or none at all).
    pub async fn get(&self, version: Option<i64>) -> Result<Option<(CatalogueVersion, String)>> {
        let mut q = Sql::new(format!("SELECT {INFO}, body FROM service_catalogue"));
        match version {
            Some(v) => {
                q.push(" WHERE version = ").bind(v);
            }
            None => {
                q.push(" ORDER BY version DESC LIMIT 1");
            }
        }
        match sql::fetch_optional(self.store.pool(), &q).await? {
            Some(r) => Ok(Some((info(&r)?, values::text(&r, "body")?))),
            None => Ok(None),
        }
    }

    /// The current version's number, if any.
    pub async fn current_version(&self) -> Result<Option<i64>> {
        let q = Sql::new("SELECT MAX(version) AS v FROM service_catalogue");
        match sql::fetch_optional(self.store.pool(), &q).await? {
            Some(r) => values::opt_int(&r, "v"),
            None => Ok(None),
        }
    }

    /// Publishes a new version (the current one + 1) and returns it.
    /// [`Error::Conflict`] when `base` is not the current version.
    pub async fn publish(&self, new: &NewCatalogueVersion<'_>) -> Result<CatalogueVersion> {
        // BEGIN IMMEDIATE on SQLite: this reads, then writes; on PostgreSQL
        // a concurrent publisher of the same version hits the primary key.
        let mut tx = self.store.begin_write().await?;
        let q = Sql::new("SELECT MAX(version) AS v FROM service_catalogue");
        let current = match sql::fetch_optional(&mut *tx, &q).await? {
            Some(r) => values::opt_int(&r, "v")?,
            None => None,
        };
        if current != new.base {
            return Err(Error::Conflict(format!(
                "the catalogue is at version {} now, not {}: reload it and publish again",
                current.unwrap_or(0),
                new.base.unwrap_or(0)
            )));
        }
        let version = CatalogueVersion {
            version: current.unwrap_or(0) + 1,
            items: new.items,
            note: new.note.to_owned(),
            source: new.source.to_owned(),
            published_at: new.published_at,
            published_by: new.published_by.to_owned(),
        };
        let mut q = Sql::new(format!(
            "INSERT INTO service_catalogue ({INFO}, body) VALUES ("
        ));
        q.bind(version.version)
            .push(", ")
            .bind(version.items)
            .push(", ")
            .bind(version.note.as_str())
            .push(", ")
            .bind(version.source.as_str())
            .push(", ")
            .bind(version.published_at)
            .push(", ")
            .bind(version.published_by.as_str())
            .push(", ")
            .bind(new.body)
            .push(")");
        match sql::execute(&mut *tx, &q).await {
            Ok(_) => {}
            Err(Error::Database(e))
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                return Err(Error::Conflict(format!(
                    "version {} was published meanwhile: reload and publish again",
                    version.version
                )));
            }
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(version)
    }
}
