//! Connecting, choosing the dialect and running migrations.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};

use crate::error::{Error, Result};

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite:///path/to/bantong.db` or `postgres://user@host/db`.
    pub database_url: String,
    /// Directory for content-addressed blobs.
    pub blob_dir: PathBuf,
    /// Largest accepted blob in bytes.
    pub max_blob_bytes: u64,
    /// Accepted blob media types (checked against the content's magic bytes).
    pub blob_types: Vec<String>,
    /// Pool size.
    pub max_connections: u32,
}

impl StoreConfig {
    /// A config with the default limits: 25 MiB blobs of the common
    /// document and image types, 10 connections.
    pub fn new(database_url: impl Into<String>, blob_dir: impl Into<PathBuf>) -> StoreConfig {
        StoreConfig {
            database_url: database_url.into(),
            blob_dir: blob_dir.into(),
            max_blob_bytes: 25 * 1024 * 1024,
            blob_types: DEFAULT_BLOB_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            max_connections: 10,
        }
    }
}

/// Media types accepted by [`StoreConfig::new`].
pub const DEFAULT_BLOB_TYPES: [&str; 9] = [
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/json",
    "application/wasm",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// The storage handle shared by the whole host. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    config: StoreConfig,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Store {
    /// Opens (creating if needed) the database, runs migrations and prepares
    /// the blob directory.
    pub async fn open(config: StoreConfig) -> Result<Store> {
        install_default_drivers();
        let dialect = Dialect::from_url(&config.database_url)?;
        let url = match dialect {
            Dialect::Sqlite => sqlite_url(&config.database_url),
            Dialect::Postgres => config.database_url.clone(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        use sqlx::Executor;
                        // 32 MiB of page cache per connection (the default
                        // is 2 MiB) and reads through a memory map: a year
                        // of hotline orders is gigabytes, and reports read
                        // a month of it through the indexes.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; PRAGMA mmap_size = 1073741824;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        match dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        std::fs::create_dir_all(&config.blob_dir)?;
        Ok(Store {
            pool,
            dialect,
            config,
        })
    }

    /// Closes every pooled connection; clones of this store stop working.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Refreshes the query planner's statistics of the documents table, so
    /// that range filters on declared indexes use them instead of scanning
    /// a plugin's whole collection. Without statistics SQLite prefers the
    /// `(plugin, collection, …)` indexes for any query, whatever its
    /// filters; PostgreSQL's autovacuum analyses on its own, but only after
    /// enough rows changed. SQLite reads every index in full (about 60 ms
    /// per 50,000 documents here): sampled statistics (`analysis_limit`)
    /// made it misjudge how many rows a collection holds and scan it
    /// anyway. The host runs it at start, after installing a plugin and
    /// every hour.
    pub async fn refresh_statistics(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => {
                let mut conn = self.pool.acquire().await?;
                sqlx::query("PRAGMA analysis_limit = 0")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("ANALYZE documents").execute(&mut *conn).await?;
            }
            Dialect::Postgres => {
                sqlx::query("ANALYZE documents").execute(&self.pool).await?;
            }
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }
}

impl Dialect {
    /// Picks the dialect from a database URL.
    pub fn from_url(url: &str) -> Result<Dialect> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Dialect::Postgres)
        } else {
            Err(Error::Invalid(format!(
                "unsupported database URL scheme in {:?}; use sqlite: or postgres:",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

/// SQLite: create the file if missing (WAL is set per connection).
fn sqlite_url(url: &str) -> String {
    let mut url = url.to_owned();
    let sep = if url.contains('?') { '&' } else { '?' };
    if !url.contains("mode=") {
        url.push(sep);
        url.push_str("mode=rwc");
    }
    url
}
