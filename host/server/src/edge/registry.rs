//! Enrolled agents and enrolment tokens, in the database.

use std::time::Duration;

use bantong_fabric::AgentId;
use bantong_fabric::msg::Status;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{ActorKind, AuditEntry};
use crate::error::AppError;
use crate::identity::{Identity, Principal, now_ms};

/// An agent as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgentRecord {
    pub id: String,
    pub hall: String,
    pub hostname: String,
    pub version: String,
    pub enrolled_at: i64,
    pub enrolled_by: String,
    pub revoked_at: Option<i64>,
    /// Connected now: its last status was a birth and it was heard from
    /// within the stale window.
    pub online: bool,
    pub last_seen: Option<i64>,
    pub heartbeat: Option<Value>,
    pub report: Option<Value>,
    /// Highest event sequence number applied.
    pub applied_seq: i64,
}

/// A freshly issued enrolment token (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub agent_id: String,
    pub hall: String,
    pub expires_at: i64,
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// `bytes` random bytes from the OS, hex-encoded (tokens, secrets, ids).
pub(crate) fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

const AGENT_COLUMNS: &str = "id, hall, hostname, version, enrolled_at, enrolled_by, revoked_at, \
     online, last_seen, heartbeat, report, applied_seq";

fn json_col(row: &AnyRow, i: usize) -> Result<Option<Value>, sqlx::Error> {
    let text: Option<String> = row.try_get(i)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

impl AgentRecord {
    fn from_row(row: &AnyRow, stale_before: i64) -> Result<AgentRecord, sqlx::Error> {
        let online: i64 = row.try_get(7)?;
        let last_seen: Option<i64> = row.try_get(8)?;
        let revoked_at: Option<i64> = row.try_get(6)?;
        Ok(AgentRecord {
            id: row.try_get(0)?,
            hall: row.try_get(1)?,
            hostname: row.try_get(2)?,
            version: row.try_get(3)?,
            enrolled_at: row.try_get(4)?,
            enrolled_by: row.try_get(5)?,
            revoked_at,
            online: online != 0
                && revoked_at.is_none()
                && last_seen.is_some_and(|t| t >= stale_before),
            last_seen,
            heartbeat: json_col(row, 9)?,
            report: json_col(row, 10)?,
            applied_seq: row.try_get(11)?,
        })
    }
}

/// The agent registry.
#[derive(Clone, Debug)]
pub struct Registry {
    identity: Identity,
    stale_after: Duration,
}

impl Registry {
    pub fn new(identity: Identity, stale_after: Duration) -> Registry {
        Registry {
            identity,
            stale_after,
        }
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.identity.store().pool()
    }

    fn stale_before(&self) -> i64 {
        now_ms() - self.stale_after.as_millis() as i64
    }

    /// Issues a one-time token that enrols `agent` in `hall`. Needs
    /// `district-admin`. Agent ids are never reused.
    pub async fn issue_token(
        &self,
        actor: &Principal,
        hall: &str,
        agent: &AgentId,
        ttl: Duration,
    ) -> Result<IssuedToken, AppError> {
        super::require_admin(actor, "enrolling edge agents")?;
        self.identity
            .get_hall(hall)
            .await
            .map_err(|_| AppError::validation(format!("unknown hall {hall:?}")))?;
        let token = format!("bte_{}", random_hex(24));
        let now = now_ms();
        let expires_at = now + ttl.as_millis() as i64;
        let mut tx = self.identity.audit().begin().await?;
        let taken = sqlx::query(
            "SELECT 1 FROM edge_agents WHERE id = $1 \
             UNION ALL SELECT 1 FROM edge_enrolments WHERE agent_id = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(agent.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Err(AppError::conflict(format!(
                "agent id {agent} is already enrolled or has an open token; agent ids are never reused"
            )));
        }
        sqlx::query(
            "INSERT INTO edge_enrolments (token_sha256, agent_id, hall, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sha256_hex(&token))
        .bind(agent.as_str())
        .bind(hall)
        .bind(actor.user_id.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let entry = crate::identity::attributed(
            actor,
            "edge.token.issue",
            "edge-agent",
            agent.as_str(),
            json!({ "hall": hall, "expires_at": expires_at }),
            now,
        )
        .hall(hall);
        self.identity.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(IssuedToken {
            token,
            agent_id: agent.to_string(),
            hall: hall.to_owned(),
            expires_at,
        })
    }

    /// Redeems a token: creates the agent with a fresh secret, calls
    /// `provision` (which makes the broker accept the credentials) before
    /// committing, and returns the agent, its hall and its secret.
    pub async fn redeem<F, Fut>(
        &self,
        token: &str,
        hostname: &str,
        version: &str,
        provision: F,
    ) -> Result<(AgentId, String, String), AppError>
    where
        F: FnOnce(AgentId, String) -> Fut,
        Fut: std::future::Future<Output = Result<(), AppError>>,
    {
        let now = now_ms();
        let mut tx = self.identity.audit().begin().await?;
        let row = sqlx::query(
            "SELECT agent_id, hall, created_by FROM edge_enrolments \
             WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(sha256_hex(token))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(AppError::new(
                http::StatusCode::UNAUTHORIZED,
                "bad_token",
                "the enrolment token is unknown, used or expired",
            ));
        };
        let agent: String = row.try_get(0)?;
        let hall: String = row.try_get(1)?;
        let created_by: String = row.try_get(2)?;
        let agent = AgentId::parse(&agent).map_err(|e| AppError::internal("stored agent id", e))?;
        sqlx::query("UPDATE edge_enrolments SET used_at = $1 WHERE token_sha256 = $2")
            .bind(now)
            .bind(sha256_hex(token))
            .execute(&mut *tx)
            .await?;
        let secret = random_hex(32);
        sqlx::query(
            "INSERT INTO edge_agents (id, hall, secret_sha256, enrolled_at, enrolled_by, hostname, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(agent.as_str())
        .bind(hall.as_str())
        .bind(sha256_hex(&secret))
        .bind(now)
        .bind(created_by.as_str())
        .bind(truncate(hostname, 128))
        .bind(truncate(version, 64))
        .execute(&mut *tx)
        .await
        .map_err(|e| AppError::conflict(format!("agent {agent} cannot be enrolled: {e}")))?;
        let entry = AuditEntry::new(
            format!("edge:{agent}"),
            ActorKind::System,
            "edge.enrol",
            "edge-agent",
            agent.as_str(),
        )
        .hall(hall.as_str())
        .detail(json!({ "hostname": truncate(hostname, 128), "version": truncate(version, 64), "token_by": created_by }));
        self.identity.audit().record_in(&mut tx, &entry).await?;
        provision(agent.clone(), secret.clone()).await?;
        tx.commit().await?;
        Ok((agent, hall, secret))
    }

    /// `(agent id, secret sha256)` of every agent that may connect.
    pub async fn credentials(&self) -> Result<Vec<(String, String)>, AppError> {
        let rows =
            sqlx::query("SELECT id, secret_sha256 FROM edge_agents WHERE revoked_at IS NULL")
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    pub async fn list(&self, viewer: &Principal) -> Result<Vec<AgentRecord>, AppError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM edge_agents ORDER BY hall, id");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        let stale = self.stale_before();
        let mut out = Vec::new();
        for row in &rows {
            let a = AgentRecord::from_row(row, stale)?;
            if viewer.can_access_hall(&a.hall) {
                out.push(a);
            }
        }
        Ok(out)
    }

    pub async fn get(&self, id: &str) -> Result<Option<AgentRecord>, AppError> {
        let sql = format!("SELECT {AGENT_COLUMNS} FROM edge_agents WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(AgentRecord::from_row(&r, self.stale_before())?),
            None => None,
        })
    }

    /// Revokes an agent: it can no longer connect, and its id is retired.
    pub async fn revoke(&self, actor: &Principal, id: &str) -> Result<(), AppError> {
        super::require_admin(actor, "revoking edge agents")?;
        let now = now_ms();
        let mut tx = self.identity.audit().begin().await?;
        let row = sqlx::query("SELECT hall FROM edge_agents WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| AppError::not_found(format!("edge agent {id}")))?;
        let hall: String = row.try_get(0)?;
        sqlx::query("UPDATE edge_agents SET revoked_at = $1, online = 0 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let entry =
            crate::identity::attributed(actor, "edge.revoke", "edge-agent", id, json!({}), now)
                .hall(hall.as_str());
        self.identity.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies a birth or death. A death counts only if it belongs to the
    /// connection of the latest birth (an old connection's Last Will can
    /// arrive after the new connection's birth).
    pub async fn record_status(&self, id: &str, status: &Status) -> Result<(), AppError> {
        let now = now_ms();
        let conn = i64::try_from(status.conn).unwrap_or(i64::MAX);
        match status.state {
            bantong_fabric::msg::LinkState::Online => {
                sqlx::query(
                    "UPDATE edge_agents SET online = 1, boot = $2, conn = $3, version = $4, last_seen = $5 \
                     WHERE id = $1 AND revoked_at IS NULL AND (boot IS NULL OR boot <> $2 OR conn <= $3)",
                )
                .bind(id)
                .bind(status.boot.as_str())
                .bind(conn)
                .bind(status.version.as_str())
                .bind(now)
                .execute(self.pool())
                .await?;
            }
            bantong_fabric::msg::LinkState::Offline => {
                sqlx::query(
                    "UPDATE edge_agents SET online = 0, last_seen = $4 \
                     WHERE id = $1 AND boot = $2 AND conn = $3",
                )
                .bind(id)
                .bind(status.boot.as_str())
                .bind(conn)
                .bind(now)
                .execute(self.pool())
                .await?;
            }
        }
        Ok(())
    }

    /// Stores the latest heartbeat (as JSON text) of many agents at once.
    pub async fn record_heartbeats(
        &self,
        beats: Vec<(String, String, i64)>,
    ) -> Result<(), AppError> {
        if beats.is_empty() {
            return Ok(());
        }
        let mut tx = self.identity.audit().begin().await?;
        for (id, json, at) in beats {
            sqlx::query("UPDATE edge_agents SET heartbeat = $2, last_seen = $3 WHERE id = $1")
                .bind(id)
                .bind(json)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn record_report(&self, id: &str, json: &str) -> Result<(), AppError> {
        sqlx::query("UPDATE edge_agents SET report = $2, last_seen = $3 WHERE id = $1")
            .bind(id)
            .bind(json)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Alerts in the viewer's halls, newest first.
    pub async fn alerts(&self, viewer: &Principal, q: &AlertQuery) -> Result<Vec<Value>, AppError> {
        let limit = q.limit.unwrap_or(50).clamp(1, 500);
        let rows = sqlx::query(
            "SELECT agent_id, seq, hall, ts_ms, kind, subject, data, snapshot, received_at, \
             acknowledged_at, acknowledged_by FROM edge_alerts \
             WHERE ($1 = '' OR hall = $1) AND ($2 = '' OR kind = $2) AND ($3 = 0 OR acknowledged_at IS NULL) \
             AND received_at < $4 ORDER BY received_at DESC, agent_id, seq LIMIT $5",
        )
        .bind(q.hall.clone().unwrap_or_default())
        .bind(q.kind.clone().unwrap_or_default())
        .bind(i64::from(q.open.unwrap_or(false)))
        .bind(q.before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let hall: String = r.try_get(2)?;
            if !viewer.can_access_hall(&hall) {
                continue;
            }
            let data: String = r.try_get(6)?;
            out.push(json!({
                "agent": r.try_get::<String, _>(0)?,
                "seq": r.try_get::<i64, _>(1)?,
                "hall": hall,
                "ts_ms": r.try_get::<i64, _>(3)?,
                "kind": r.try_get::<String, _>(4)?,
                "subject": r.try_get::<Option<String>, _>(5)?,
                "data": serde_json::from_str::<Value>(&data).unwrap_or(Value::Null),
                "snapshot": r.try_get::<Option<String>, _>(7)?,
                "received_at": r.try_get::<i64, _>(8)?,
                "acknowledged_at": r.try_get::<Option<i64>, _>(9)?,
                "acknowledged_by": r.try_get::<Option<String>, _>(10)?,
            }));
        }
        Ok(out)
    }

    /// Marks an alert as seen by a person (attributed in the audit log).
    pub async fn acknowledge_alert(
        &self,
        actor: &Principal,
        agent: &str,
        seq: i64,
    ) -> Result<(), AppError> {
        let now = now_ms();
        let mut tx = self.identity.audit().begin().await?;
        let row = sqlx::query("SELECT hall FROM edge_alerts WHERE agent_id = $1 AND seq = $2")
            .bind(agent)
            .bind(seq)
            .fetch_optional(&mut *tx)
            .await?;
        let hall: String = match row {
            Some(r) => r.try_get(0)?,
            None => return Err(AppError::not_found(format!("alert {agent}/{seq}"))),
        };
        if !actor.can_access_hall(&hall) {
            return Err(AppError::not_found(format!("alert {agent}/{seq}")));
        }
        sqlx::query(
            "UPDATE edge_alerts SET acknowledged_at = $1, acknowledged_by = $2 \
             WHERE agent_id = $3 AND seq = $4 AND acknowledged_at IS NULL",
        )
        .bind(now)
        .bind(actor.user_id.as_str())
        .bind(agent)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        let entry = crate::identity::attributed(
            actor,
            "edge.alert.acknowledge",
            "edge-alert",
            &format!("{agent}/{seq}"),
            json!({}),
            now,
        )
        .hall(hall.as_str());
        self.identity.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Filters of `GET /api/edge/alerts`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    pub hall: Option<String>,
    pub kind: Option<String>,
    /// Only alerts nobody acknowledged.
    pub open: Option<bool>,
    /// Received before this time (ms), for paging.
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
