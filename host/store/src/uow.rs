//! The unit of work: everything one plugin call writes commits together.
//!
//! The transaction is opened lazily on the first write, so read-only calls
//! never hold a write lock. Reads before the first write go to the pool;
//! reads after it go through the transaction and see its writes. Dropping a
//! unit of work without [`UnitOfWork::commit`] rolls it back.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::db::{Dialect, Store};
use crate::error::Result;
use crate::sql::{self, Sql};

/// One atomic batch of document writes and event publications.
pub struct UnitOfWork {
    pub(crate) store: Store,
    tx: Option<Transaction<'static, Any>>,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("open", &self.tx.is_some())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Starts a unit of work. No transaction is opened until the first write.
    pub fn begin(&self) -> UnitOfWork {
        UnitOfWork {
            store: self.clone(),
            tx: None,
        }
    }

    /// Opens a write transaction: `BEGIN IMMEDIATE` on SQLite so the write
    /// lock is taken up front (no lock-upgrade failures), a plain `BEGIN` on
    /// PostgreSQL.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        Ok(match self.dialect() {
            Dialect::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool().begin().await?,
        })
    }
}

impl UnitOfWork {
    /// Whether a write has happened (and so a transaction is open).
    pub fn has_writes(&self) -> bool {
        self.tx.is_some()
    }

    pub(crate) fn dialect(&self) -> Dialect {
        self.store.dialect()
    }

    /// The transaction's connection, opening the transaction if needed.
    pub(crate) async fn writer(&mut self) -> Result<&mut AnyConnection> {
        let tx = match self.tx.take() {
            Some(tx) => tx,
            None => self.store.begin_write().await?,
        };
        let tx = self.tx.insert(tx);
        Ok(&mut **tx)
    }

    pub(crate) async fn read_all(&mut self, sql: &Sql) -> Result<Vec<AnyRow>> {
        match self.tx.as_mut() {
            Some(tx) => sql::fetch_all(&mut **tx, sql).await,
            None => sql::fetch_all(self.store.pool(), sql).await,
        }
    }

    pub(crate) async fn read_optional(&mut self, sql: &Sql) -> Result<Option<AnyRow>> {
        match self.tx.as_mut() {
            Some(tx) => sql::fetch_optional(&mut **tx, sql).await,
            None => sql::fetch_optional(self.store.pool(), sql).await,
        }
    }

    /// The open transaction's connection, for writes that must commit with
    /// this unit (for example its audit row); `None` when nothing was written.
    pub fn open_transaction(&mut self) -> Option<&mut AnyConnection> {
        self.tx.as_deref_mut()
    }

    /// Makes every write of this unit durable and visible.
    pub async fn commit(self) -> Result<()> {
        if let Some(tx) = self.tx {
            tx.commit().await?;
        }
        Ok(())
    }

    /// Discards every write of this unit.
    pub async fn rollback(self) -> Result<()> {
        if let Some(tx) = self.tx {
            tx.rollback().await?;
        }
        Ok(())
    }
}
