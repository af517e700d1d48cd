//! The durable outbox: events are rows written in the publisher's unit of
//! work, with one delivery row per subscriber. Workers claim due deliveries
//! under a lease, then ack or nack them; a crashed worker's lease expires and
//! another worker claims the delivery again (at-least-once).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::any::AnyRow;

use crate::db::{Dialect, Store};
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::uow::UnitOfWork;
use crate::values;

/// Largest accepted event payload, as JSON text.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// Most deliveries claimed in one call.
pub const MAX_CLAIM: u32 = 1000;

/// An event to publish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub topic: String,
    /// Plugin id or `host`.
    pub source: String,
    pub hall: Option<String>,
    pub payload: Value,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// UUIDv7.
    pub id: String,
    /// Publication order.
    pub seq: i64,
    pub topic: String,
    pub source: String,
    pub hall: Option<String>,
    pub payload: Value,
    pub occurred_at: i64,
}

/// One event for one subscriber, claimed by a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub event: Event,
    pub subscriber: String,
    /// Times this delivery has been claimed, including this one.
    pub attempts: u32,
}

impl UnitOfWork {
    /// Stores an event and one pending delivery per subscriber in this unit
    /// of work; nothing is delivered unless it commits. Returns the event id.
    pub async fn publish(&mut self, event: NewEvent, subscribers: &[String]) -> Result<String> {
        if event.topic.is_empty() || event.topic.len() > 200 || event.source.is_empty() {
            return Err(Error::invalid(
                "an event needs a topic (at most 200 bytes) and a source",
            ));
        }
        let payload = serde_json::to_string(&event.payload)?;
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(Error::TooLarge(format!(
                "event payload of {} bytes (limit {MAX_PAYLOAD_BYTES})",
                payload.len()
            )));
        }
        let id = sql::new_id();
        let now = sql::now_ms();
        let mut q =
            Sql::new("INSERT INTO events (id, topic, source, hall, payload, occurred_at) VALUES (");
        q.bind(id.as_str())
            .push(", ")
            .bind(event.topic)
            .push(", ")
            .bind(event.source);
        q.push(", ").bind(event.hall).push(", ");
        let p = q.param(payload);
        match self.dialect() {
            Dialect::Sqlite => q.push(&p),
            Dialect::Postgres => q.push(&format!("CAST({p} AS jsonb)")),
        };
        q.push(", ").bind(now).push(")");
        let conn = self.writer().await?;
        sql::execute(&mut *conn, &q).await?;
        let mut seen = std::collections::BTreeSet::new();
        for sub in subscribers.iter().filter(|s| seen.insert(s.as_str())) {
            let mut d = Sql::new(
                "INSERT INTO deliveries (event_id, subscriber, attempts, next_attempt_at) VALUES (",
            );
            d.bind(id.as_str())
                .push(", ")
                .bind(sub.as_str())
                .push(", 0, ")
                .bind(now)
                .push(")");
            sql::execute(&mut *conn, &d).await?;
        }
        Ok(id)
    }
}

fn event_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "e.id, e.seq, e.topic, e.source, e.hall, e.payload, e.occurred_at",
        Dialect::Postgres => {
            "e.id, e.seq, e.topic, e.source, e.hall, e.payload::text AS payload, e.occurred_at"
        }
    }
}

fn event_from_row(row: &AnyRow) -> Result<Event> {
    Ok(Event {
        id: values::text(row, "id")?,
        seq: values::int(row, "seq")?,
        topic: values::text(row, "topic")?,
        source: values::text(row, "source")?,
        hall: values::opt_text(row, "hall")?,
        payload: values::json(row, "payload")?,
        occurred_at: values::int(row, "occurred_at")?,
    })
}

impl Store {
    /// Claims up to `limit` due deliveries for `worker`, leasing them for
    /// `lease`. A delivery is due when undelivered, its retry time has come
    /// and it is unleased or its lease has expired. Ordered by event seq.
    pub async fn claim_deliveries(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Delivery>> {
        if worker.is_empty() {
            return Err(Error::invalid("a worker needs a name"));
        }
        let limit = limit.clamp(1, MAX_CLAIM);
        let now = sql::now_ms();
        let until = now.saturating_add(sql::duration_ms(lease));
        let dialect = self.dialect();
        let mut q = Sql::new(format!(
            "SELECT d.subscriber, d.attempts, {} FROM deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.delivered_at IS NULL AND d.next_attempt_at <= ",
            event_columns(dialect)
        ));
        q.bind(now)
            .push(" AND (d.lease_until IS NULL OR d.lease_until <= ")
            .bind(now)
            .push(")");
        q.push(" ORDER BY e.seq, d.subscriber LIMIT ")
            .bind(i64::from(limit));
        if dialect == Dialect::Postgres {
            q.push(" FOR UPDATE OF d SKIP LOCKED");
        }
        let mut tx = self.begin_write().await?;
        let rows = sql::fetch_all(&mut *tx, &q).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let event = event_from_row(row)?;
            let subscriber = values::text(row, "subscriber")?;
            let attempts = values::int(row, "attempts")?.saturating_add(1);
            let mut u = Sql::new("UPDATE deliveries SET lease_owner = ");
            u.bind(worker)
                .push(", lease_until = ")
                .bind(until)
                .push(", attempts = ")
                .bind(attempts);
            u.push(" WHERE event_id = ")
                .bind(event.id.as_str())
                .push(" AND subscriber = ")
                .bind(subscriber.as_str());
            sql::execute(&mut *tx, &u).await?;
            out.push(Delivery {
                event,
                subscriber,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Marks a delivery done. Acking twice is harmless; returns whether a
    /// pending delivery was marked.
    pub async fn ack(&self, event_id: &str, subscriber: &str) -> Result<bool> {
        let mut q = Sql::new("UPDATE deliveries SET delivered_at = ");
        q.bind(sql::now_ms())
            .push(", lease_owner = NULL, lease_until = NULL, last_error = NULL WHERE event_id = ");
        q.bind(event_id)
            .push(" AND subscriber = ")
            .bind(subscriber)
            .push(" AND delivered_at IS NULL");
        Ok(sql::execute(self.pool(), &q).await? > 0)
    }

    /// Gives a delivery back after a failure: it becomes due again after
    /// `retry_after`. Returns whether a pending delivery was found.
    pub async fn nack(
        &self,
        event_id: &str,
        subscriber: &str,
        error: &str,
        retry_after: Duration,
    ) -> Result<bool> {
        let now = sql::now_ms();
        let error: String = error.chars().take(4096).collect();
        let mut q = Sql::new(
            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ",
        );
        q.bind(now.saturating_add(sql::duration_ms(retry_after)))
            .push(", last_error = ")
            .bind(error);
        q.push(" WHERE event_id = ")
            .bind(event_id)
            .push(" AND subscriber = ")
            .bind(subscriber);
        q.push(" AND delivered_at IS NULL");
        Ok(sql::execute(self.pool(), &q).await? > 0)
    }

    /// Drops every lease held by `worker` (clean shutdown), so other workers
    /// may claim those deliveries at once. Returns how many were released.
    pub async fn release_leases(&self, worker: &str) -> Result<u64> {
        let mut q = Sql::new(
            "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ",
        );
        q.bind(worker).push(" AND delivered_at IS NULL");
        sql::execute(self.pool(), &q).await
    }

    /// Reads one event by id.
    pub async fn event(&self, id: &str) -> Result<Option<Event>> {
        let mut q = Sql::new(format!(
            "SELECT {} FROM events e WHERE e.id = ",
            event_columns(self.dialect())
        ));
        q.bind(id);
        sql::fetch_optional(self.pool(), &q)
            .await?
            .as_ref()
            .map(event_from_row)
            .transpose()
    }

    /// Deletes events whose deliveries are all done and that occurred before
    /// `before_ms`. Returns how many events were removed.
    pub async fn prune_events(&self, before_ms: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut cond = Sql::new(" FROM events WHERE occurred_at < ");
        cond.bind(before_ms).push(
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.delivered_at IS NULL)",
        );
        let del_deliveries = Sql {
            text: format!(
                "DELETE FROM deliveries WHERE event_id IN (SELECT id{})",
                cond.text
            ),
            binds: cond.binds.clone(),
        };
        sql::execute(&mut *tx, &del_deliveries).await?;
        let del_events = Sql {
            text: format!("DELETE{}", cond.text),
            binds: cond.binds,
        };
        let n = sql::execute(&mut *tx, &del_events).await?;
        tx.commit().await?;
        Ok(n)
    }
}
