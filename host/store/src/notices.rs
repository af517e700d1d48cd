//! Messages to people queued by plugins (table `notices`): an SMS or a
//! portal notice is written in the call's unit of work
//! ([`UnitOfWork::queue_notice`]), then claimed and sent by one host
//! process ([`Notices::claim`]) with a lease, retried with a delay, and
//! marked sent or failed. Portal notices are read by their recipient.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::uow::UnitOfWork;
use crate::values;

/// Where a notice goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Portal,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Portal => "portal",
        }
    }

    fn parse(text: &str) -> Result<Channel> {
        match text {
            "sms" => Ok(Channel::Sms),
            "portal" => Ok(Channel::Portal),
            other => Err(Error::invalid(format!("unknown notice channel {other:?}"))),
        }
    }
}

/// A notice to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub plugin: String,
    pub channel: Channel,
    pub recipient: String,
    pub text: String,
    pub topic: String,
    pub hall: Option<String>,
    /// The person the plugin call acted for, if any.
    pub acting_for: Option<String>,
}

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub plugin: String,
    pub channel: Channel,
    pub recipient: String,
    pub text: String,
    pub topic: String,
    pub hall: Option<String>,
    pub acting_for: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub read_at: Option<i64>,
    pub external_id: Option<String>,
    pub last_error: Option<String>,
}

const COLS: &str = "id, plugin, channel, recipient, text, topic, hall, acting_for, state, \
     attempts, created_at, sent_at, read_at, external_id, last_error";

fn from_row(r: &AnyRow) -> Result<Notice> {
    Ok(Notice {
        id: values::text(r, "id")?,
        plugin: values::text(r, "plugin")?,
        channel: Channel::parse(&values::text(r, "channel")?)?,
        recipient: values::text(r, "recipient")?,
        text: values::text(r, "text")?,
        topic: values::text(r, "topic")?,
        hall: values::opt_text(r, "hall")?,
        acting_for: values::opt_text(r, "acting_for")?,
        state: values::text(r, "state")?,
        attempts: values::int(r, "attempts")?,
        created_at: values::int(r, "created_at")?,
        sent_at: values::opt_int(r, "sent_at")?,
        read_at: values::opt_int(r, "read_at")?,
        external_id: values::opt_text(r, "external_id")?,
        last_error: values::opt_text(r, "last_error")?,
    })
}

impl UnitOfWork {
    /// Queues a notice with this unit's writes; it is sent only if the
    /// unit commits. Returns its id.
    pub async fn queue_notice(&mut self, n: NewNotice) -> Result<String> {
        let id = sql::new_id();
        let now = sql::now_ms();
        let mut q = Sql::new(
            "INSERT INTO notices (id, plugin, channel, recipient, text, topic, hall, acting_for, \
             state, attempts, next_attempt_at, created_at) VALUES (",
        );
        q.bind(id.as_str())
            .push(", ")
            .bind(n.plugin)
            .push(", ")
            .bind(n.channel.as_str())
            .push(", ")
            .bind(n.recipient)
            .push(", ")
            .bind(n.text)
            .push(", ")
            .bind(n.topic)
            .push(", ")
            .bind(n.hall)
            .push(", ")
            .bind(n.acting_for)
            .push(", 'queued', 0, ")
            .bind(now)
            .push(", ")
            .bind(now)
            .push(")");
        let conn = self.writer().await?;
        sql::execute(&mut *conn, &q).await?;
        Ok(id)
    }

    /// Notices `plugin` queued since `since_ms`, this unit's own included.
    pub async fn notices_queued_since(&mut self, plugin: &str, since_ms: i64) -> Result<i64> {
        let mut q = Sql::new("SELECT COUNT(*) AS n FROM notices WHERE plugin = ");
        q.bind(plugin).push(" AND created_at >= ").bind(since_ms);
        match self.read_optional(&q).await? {
            Some(row) => values::int(&row, "n"),
            None => Ok(0),
        }
    }
}

/// Typed access to the notices; see [`Store::notices`].
#[derive(Debug, Clone, Copy)]
pub struct Notices<'a> {
    store: &'a Store,
}

impl Store {
    /// Notices queued by plugins.
    pub fn notices(&self) -> Notices<'_> {
        Notices { store: self }
    }
}

impl Notices<'_> {
    /// Claims up to `limit` due notices for `owner` for `lease_ms`: each is
    /// taken by one process only (a conditional update per row).
    pub async fn claim(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Notice>> {
        let mut q = Sql::new(format!(
            "SELECT {COLS} FROM notices WHERE state = 'queued' AND next_attempt_at <= "
        ));
        q.bind(now)
            .push(" AND (lease_until IS NULL OR lease_until < ")
            .bind(now)
            .push(") ORDER BY next_attempt_at LIMIT ")
            .bind(limit);
        let candidates: Vec<Notice> = sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(from_row)
            .collect::<Result<_>>()?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for n in candidates {
            let mut q = Sql::new("UPDATE notices SET lease_owner = ");
            q.bind(owner)
                .push(", lease_until = ")
                .bind(now + lease_ms)
                .push(" WHERE id = ")
                .bind(n.id.as_str())
                .push(" AND state = 'queued' AND (lease_until IS NULL OR lease_until < ")
                .bind(now)
                .push(")");
            if sql::execute(self.store.pool(), &q).await? == 1 {
                claimed.push(n);
            }
        }
        Ok(claimed)
    }

    /// The notice was handed over (to the gateway, or to the portal) by
    /// `owner`, which still holds its lease; false when it no longer does
    /// (another process took it over), and nothing changed.
    pub async fn mark_sent(
        &self,
        id: &str,
        owner: &str,
        external_id: Option<&str>,
        now: i64,
    ) -> Result<bool> {
        let mut q = Sql::new("UPDATE notices SET state = 'sent', sent_at = ");
        q.bind(now)
            .push(", attempts = attempts + 1, external_id = ")
            .bind(external_id)
            .push(", lease_owner = NULL, lease_until = NULL WHERE id = ")
            .bind(id)
            .push(" AND state = 'queued' AND lease_owner = ")
            .bind(owner);
        Ok(sql::execute(self.store.pool(), &q).await? == 1)
    }

    /// A failed attempt by `owner`: tried again at `retry_at`, or failed
    /// for good when `retry_at` is `None`; false (nothing changed) when
    /// `owner` no longer holds the lease.
    pub async fn mark_attempt_failed(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<bool> {
        let mut q = Sql::new("UPDATE notices SET attempts = attempts + 1, last_error = ");
        q.bind(error);
        match retry_at {
            Some(at) => {
                q.push(", next_attempt_at = ").bind(at);
            }
            None => {
                q.push(", state = 'failed'");
            }
        }
        q.push(", lease_owner = NULL, lease_until = NULL WHERE id = ")
            .bind(id)
            .push(" AND state = 'queued' AND lease_owner = ")
            .bind(owner);
        Ok(sql::execute(self.store.pool(), &q).await? == 1)
    }

    /// A user's portal notices, newest first.
    pub async fn for_user(&self, user_id: &str, limit: i64) -> Result<Vec<Notice>> {
        let mut q = Sql::new(format!(
            "SELECT {COLS} FROM notices WHERE channel = 'portal' AND state = 'sent' AND recipient = "
        ));
        q.bind(user_id)
            .push(" ORDER BY created_at DESC LIMIT ")
            .bind(limit.clamp(1, 500));
        sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Every notice, newest first, optionally of one plugin or state.
    pub async fn list(
        &self,
        plugin: Option<&str>,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Notice>> {
        let mut q = Sql::new(format!("SELECT {COLS} FROM notices WHERE 1 = 1"));
        if let Some(p) = plugin {
            q.push(" AND plugin = ").bind(p);
        }
        if let Some(s) = state {
            q.push(" AND state = ").bind(s);
        }
        q.push(" ORDER BY created_at DESC LIMIT ")
            .bind(limit.clamp(1, 1000));
        sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Marks a portal notice of `user_id` read; false when there is none.
    pub async fn mark_read(&self, id: &str, user_id: &str, now: i64) -> Result<bool> {
        let mut q = Sql::new("UPDATE notices SET read_at = ");
        q.bind(now)
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND channel = 'portal' AND recipient = ")
            .bind(user_id)
            .push(" AND read_at IS NULL");
        Ok(sql::execute(self.store.pool(), &q).await? == 1)
    }
}
