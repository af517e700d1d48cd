//! The append-only, hash-chained audit log: every change a person makes, attributed and tamper-evident.
//!
//! # Chain
//!
//! Each row carries `prev_hash` (the previous row's `hash`, or [`GENESIS_HASH`] for
//! seq 1) and
//!
//! ```text
//! hash = hex(SHA-256("bantong-audit-v1\0" || prev_hash || enc(seq) || enc(at) || enc(actor)
//!                    || enc(actor_kind) || enc(action) || enc(target_kind) || enc(target_id)
//!                    || enc(hall) || enc(detail)))
//! ```
//!
//! where `enc` of a value is `0x01 || u64-BE length || bytes` (integers as 8 bytes big-endian),
//! and `enc` of SQL NULL is the single byte `0x00`, so no two different rows encode alike.
//! `detail` is hashed exactly as stored: canonical JSON text (object keys sorted, no spaces).
//! `seq` is part of the hash, so a row that is edited, deleted (a gap) or moved (re-ordered)
//! breaks [`Audit::verify`] at that row. Truncating the newest rows leaves a valid shorter
//! chain; [`VerifyReport::head_hash`] is the anchor to record elsewhere (e.g. in the monthly
//! report) to detect that.
//!
//! # Concurrency
//!
//! Appends are serialised so two writers can never both extend the same row (fork the chain):
//! the writer takes the append lock, reads the last row, computes `seq = last + 1` and the hash,
//! inserts, and holds the lock until its transaction commits.
//! - PostgreSQL: `LOCK TABLE audit_log IN EXCLUSIVE MODE`. A table lock rather than
//!   `SELECT … FOR UPDATE` on the last row, because the row lock has nothing to lock on an empty
//!   table, and under READ COMMITTED a waiter would re-read the *old* last row after the lock
//!   holder commits and collide on `seq`. EXCLUSIVE mode still lets plain reads (verify, query)
//!   run concurrently.
//! - SQLite: one writer at a time is the database's own rule. [`Audit::begin`] opens
//!   `BEGIN IMMEDIATE` transactions, and the lock step executes a no-op write so that even a
//!   deferred transaction holds the write lock before it reads the last row.
//!
//! A change and its audit row commit together: open the transaction with [`Audit::begin`]
//! (or your own), make the change and call [`Audit::record_in`] on the same connection.
//! Take the lock ([`Audit::lock_in`]) first in transactions that read-then-write, so that all
//! auditable writers acquire locks in the same order.

use bantong_store::{Dialect, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

/// `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Domain separation prefix of the row hash; bump the version if the encoding changes.
const HASH_DOMAIN: &[u8] = b"bantong-audit-v1\0";

/// Rows read per round trip by [`Audit::verify`].
const VERIFY_BATCH: i64 = 1000;

/// Default and largest page size of [`Audit::query`].
const DEFAULT_QUERY_LIMIT: i64 = 100;
const MAX_QUERY_LIMIT: i64 = 1000;

/// Longest accepted value of the short text fields (actor, action, target, hall).
const MAX_FIELD_CHARS: usize = 256;

const COLUMNS: &str =
    "seq, at, actor, actor_kind, action, target_kind, target_id, hall, detail, prev_hash, hash";

/// Errors of the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit storage error: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("invalid audit entry: {0}")]
    Invalid(String),
}

pub type Result<T, E = AuditError> = std::result::Result<T, E>;

/// Who performed an audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActorKind {
    /// A person signed in with a browser session.
    User,
    /// A person's identity used through an API token.
    Token,
    /// The host itself or an operator's CLI command.
    System,
    /// Nobody authenticated (e.g. a failed login).
    Anonymous,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

impl std::fmt::Display for ActorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One action to append to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// When it happened, ms since the Unix epoch.
    pub at: i64,
    /// The actor's stable id (a user id, `system:<name>` or `anonymous`).
    pub actor: String,
    pub actor_kind: ActorKind,
    /// Dotted verb, e.g. `user.create`, `session.login_failed`.
    pub action: String,
    /// What was acted on, e.g. `user`, `hall`, `api-token`.
    pub target_kind: String,
    pub target_id: String,
    /// The hall the action concerns, when there is one (for hall-scoped audit views).
    pub hall: Option<String>,
    /// Structured details (before/after values, reasons). Never secrets.
    pub detail: Value,
}

impl AuditEntry {
    /// An entry stamped with the current time, no hall and an empty detail object.
    pub fn new(
        actor: impl Into<String>,
        actor_kind: ActorKind,
        action: impl Into<String>,
        target_kind: impl Into<String>,
        target_id: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            at: chrono::Utc::now().timestamp_millis(),
            actor: actor.into(),
            actor_kind,
            action: action.into(),
            target_kind: target_kind.into(),
            target_id: target_id.into(),
            hall: None,
            detail: Value::Object(serde_json::Map::new()),
        }
    }

    pub fn at(mut self, at: i64) -> AuditEntry {
        self.at = at;
        self
    }

    pub fn hall(mut self, hall: impl Into<String>) -> AuditEntry {
        self.hall = Some(hall.into());
        self
    }

    pub fn detail(mut self, detail: Value) -> AuditEntry {
        self.detail = detail;
        self
    }

    fn validate(&self) -> Result<()> {
        let fields = [
            ("actor", Some(self.actor.as_str())),
            ("action", Some(self.action.as_str())),
            ("target_kind", Some(self.target_kind.as_str())),
            ("target_id", Some(self.target_id.as_str())),
            ("hall", self.hall.as_deref()),
        ];
        for (name, value) in fields {
            let Some(value) = value else { continue };
            if value.is_empty() && name != "target_id" {
                return Err(AuditError::Invalid(format!("{name} is empty")));
            }
            if value.chars().count() > MAX_FIELD_CHARS {
                return Err(AuditError::Invalid(format!(
                    "{name} is longer than {MAX_FIELD_CHARS} characters"
                )));
            }
        }
        Ok(())
    }
}

/// A row of the log as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub actor_kind: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub hall: Option<String>,
    /// The parsed detail; a row whose stored text is not JSON (tampering) shows it as a string.
    pub detail: Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters of [`Audit::query`]; `None` means "any". Results are newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub hall: Option<String>,
    /// Inclusive lower bound of `at`.
    pub from: Option<i64>,
    /// Exclusive upper bound of `at`.
    pub to: Option<i64>,
    /// Page size, default 100, at most 1000.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The outcome of [`Audit::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Rows checked (up to and including the first bad one).
    pub rows: u64,
    pub ok: bool,
    /// The first seq at which the chain breaks (for a gap: the first missing seq).
    pub first_bad_seq: Option<i64>,
    pub reason: Option<String>,
    /// The last row of a valid chain: an anchor to keep outside the database.
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
}

/// The audit log over the store's pool. Cheap to clone.
#[derive(Clone)]
pub struct Audit {
    store: Store,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit")
            .field("dialect", &self.store.dialect())
            .finish()
    }
}

impl Audit {
    pub fn new(store: Store) -> Audit {
        Audit { store }
    }

    /// Opens a write transaction suited to a change plus its audit row
    /// (`BEGIN IMMEDIATE` on SQLite, so the write lock is taken up front).
    pub async fn begin(&self) -> Result<Transaction<'static, Any>> {
        let tx = match self.store.dialect() {
            Dialect::Sqlite => self.store.pool().begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.store.pool().begin().await?,
        };
        Ok(tx)
    }

    /// Takes the append lock inside the caller's transaction; it is held until the
    /// transaction ends. Idempotent. Must be called inside a transaction.
    pub async fn lock_in(&self, conn: &mut AnyConnection) -> Result<()> {
        let sql = match self.store.dialect() {
            Dialect::Postgres => "LOCK TABLE audit_log IN EXCLUSIVE MODE",
            // A write statement takes SQLite's write lock even when it matches no row.
            Dialect::Sqlite => "UPDATE audit_log SET seq = seq WHERE seq < 0",
        };
        sqlx::query(sql).execute(&mut *conn).await?;
        Ok(())
    }

    /// Appends `entry` inside the caller's transaction and returns its seq. The row
    /// becomes visible, and the append lock is released, when that transaction commits.
    pub async fn record_in(&self, conn: &mut AnyConnection, entry: &AuditEntry) -> Result<i64> {
        entry.validate()?;
        let detail = canonical_json(&entry.detail)?;
        self.lock_in(conn).await?;
        let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
        let (seq, prev_hash) = match last {
            Some(row) => (
                row.try_get::<i64, _>("seq")? + 1,
                row.try_get::<String, _>("hash")?,
            ),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let fields = RowFields {
            seq,
            at: entry.at,
            actor: &entry.actor,
            actor_kind: entry.actor_kind.as_str(),
            action: &entry.action,
            target_kind: &entry.target_kind,
            target_id: &entry.target_id,
            hall: entry.hall.as_deref(),
            detail: &detail,
        };
        let hash = chain_hash(&prev_hash, &fields);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor, actor_kind, action, target_kind, target_id, \
             hall, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(seq)
        .bind(entry.at)
        .bind(entry.actor.as_str())
        .bind(entry.actor_kind.as_str())
        .bind(entry.action.as_str())
        .bind(entry.target_kind.as_str())
        .bind(entry.target_id.as_str())
        .bind(entry.hall.as_deref())
        .bind(detail.as_str())
        .bind(prev_hash.as_str())
        .bind(hash.as_str())
        .execute(&mut *conn)
        .await?;
        Ok(seq)
    }

    /// Appends `entry` in a transaction of its own and returns its seq.
    pub async fn record(&self, entry: &AuditEntry) -> Result<i64> {
        let mut tx = self.begin().await?;
        let seq = self.record_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Recomputes the whole chain from seq 1 and reports the first row that does not fit.
    pub async fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport {
            rows: 0,
            ok: true,
            first_bad_seq: None,
            reason: None,
            head_seq: None,
            head_hash: None,
        };
        let mut expected_seq: i64 = 1;
        let mut prev_hash = GENESIS_HASH.to_owned();
        // The first batch starts below 1 so stray rows with seq <= 0 are caught too.
        let mut cursor = i64::MIN;
        loop {
            let sql =
                format!("SELECT {COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2");
            let batch = sqlx::query(&sql)
                .bind(cursor)
                .bind(VERIFY_BATCH)
                .fetch_all(self.store.pool())
                .await?;
            if batch.is_empty() {
                return Ok(report);
            }
            for row in &batch {
                let seq: i64 = row.try_get("seq")?;
                report.rows += 1;
                if let Some(reason) = check_row(row, expected_seq, &prev_hash)? {
                    report.ok = false;
                    report.first_bad_seq = Some(seq.min(expected_seq));
                    report.reason = Some(reason);
                    return Ok(report);
                }
                prev_hash = row.try_get("hash")?;
                report.head_seq = Some(seq);
                report.head_hash = Some(prev_hash.clone());
                expected_seq = seq + 1;
                cursor = expected_seq;
            }
        }
    }

    /// Searches the log, newest first.
    pub async fn query(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>> {
        enum Arg<'a> {
            Text(&'a str),
            Int(i64),
        }
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<Arg<'_>> = Vec::new();
        let text_filters = [
            ("actor", q.actor.as_deref()),
            ("action", q.action.as_deref()),
            ("target_kind", q.target_kind.as_deref()),
            ("target_id", q.target_id.as_deref()),
            ("hall", q.hall.as_deref()),
        ];
        for (column, value) in text_filters {
            if let Some(value) = value {
                args.push(Arg::Text(value));
                clauses.push(format!("{column} = ${}", args.len()));
            }
        }
        if let Some(from) = q.from {
            args.push(Arg::Int(from));
            clauses.push(format!("at >= ${}", args.len()));
        }
        if let Some(to) = q.to {
            args.push(Arg::Int(to));
            clauses.push(format!("at < ${}", args.len()));
        }
        let limit = q
            .limit
            .unwrap_or(DEFAULT_QUERY_LIMIT)
            .clamp(1, MAX_QUERY_LIMIT);
        let offset = q.offset.unwrap_or(0).max(0);
        args.push(Arg::Int(limit));
        let limit_pos = args.len();
        args.push(Arg::Int(offset));
        let offset_pos = args.len();
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log {filter} ORDER BY seq DESC LIMIT ${limit_pos} OFFSET ${offset_pos}"
        );
        let mut query = sqlx::query(&sql);
        for arg in args {
            query = match arg {
                Arg::Text(v) => query.bind(v),
                Arg::Int(v) => query.bind(v),
            };
        }
        let rows = query.fetch_all(self.store.pool()).await?;
        rows.iter().map(record_from_row).collect()
    }
}

/// The hashed fields of one row.
struct RowFields<'a> {
    seq: i64,
    at: i64,
    actor: &'a str,
    actor_kind: &'a str,
    action: &'a str,
    target_kind: &'a str,
    target_id: &'a str,
    hall: Option<&'a str>,
    detail: &'a str,
}

fn chain_hash(prev_hash: &str, f: &RowFields<'_>) -> String {
    fn put(h: &mut Sha256, value: Option<&[u8]>) {
        match value {
            None => h.update([0u8]),
            Some(bytes) => {
                h.update([1u8]);
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
        }
    }
    let mut h = Sha256::new();
    h.update(HASH_DOMAIN);
    h.update(prev_hash.as_bytes());
    put(&mut h, Some(&f.seq.to_be_bytes()));
    put(&mut h, Some(&f.at.to_be_bytes()));
    put(&mut h, Some(f.actor.as_bytes()));
    put(&mut h, Some(f.actor_kind.as_bytes()));
    put(&mut h, Some(f.action.as_bytes()));
    put(&mut h, Some(f.target_kind.as_bytes()));
    put(&mut h, Some(f.target_id.as_bytes()));
    put(&mut h, f.hall.map(str::as_bytes));
    put(&mut h, Some(f.detail.as_bytes()));
    hex::encode(h.finalize())
}

/// Checks one stored row against the expected seq and the previous hash;
/// returns why it does not fit, if it does not.
fn check_row(row: &AnyRow, expected_seq: i64, prev_hash: &str) -> Result<Option<String>> {
    let seq: i64 = row.try_get("seq")?;
    if seq > expected_seq {
        return Ok(Some(format!(
            "sequence gap: row {expected_seq} is missing (next row is {seq})"
        )));
    }
    if seq < expected_seq {
        return Ok(Some(format!(
            "unexpected row {seq}: the chain starts at 1 and must be contiguous"
        )));
    }
    let stored_prev: String = row.try_get("prev_hash")?;
    if stored_prev != prev_hash {
        return Ok(Some(format!(
            "row {seq} does not link to the previous row (prev_hash mismatch): \
             rows were removed or re-ordered"
        )));
    }
    let actor: String = row.try_get("actor")?;
    let actor_kind: String = row.try_get("actor_kind")?;
    let action: String = row.try_get("action")?;
    let target_kind: String = row.try_get("target_kind")?;
    let target_id: String = row.try_get("target_id")?;
    let hall: Option<String> = row.try_get("hall")?;
    let detail: String = row.try_get("detail")?;
    let fields = RowFields {
        seq,
        at: row.try_get("at")?,
        actor: &actor,
        actor_kind: &actor_kind,
        action: &action,
        target_kind: &target_kind,
        target_id: &target_id,
        hall: hall.as_deref(),
        detail: &detail,
    };
    let stored_hash: String = row.try_get("hash")?;
    if chain_hash(prev_hash, &fields) != stored_hash {
        return Ok(Some(format!(
            "row {seq} was altered: its content does not match its hash"
        )));
    }
    Ok(None)
}

fn record_from_row(row: &AnyRow) -> Result<AuditRecord> {
    let detail_text: String = row.try_get("detail")?;
    let detail = serde_json::from_str(&detail_text).unwrap_or(Value::String(detail_text));
    Ok(AuditRecord {
        seq: row.try_get("seq")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        actor_kind: row.try_get("actor_kind")?,
        action: row.try_get("action")?,
        target_kind: row.try_get("target_kind")?,
        target_id: row.try_get("target_id")?,
        hall: row.try_get("hall")?,
        detail,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Canonical JSON text: object keys sorted by their UTF-8 bytes, no insignificant
/// whitespace, serde_json's number and string formatting.
pub fn canonical_json(value: &Value) -> Result<String> {
    fn write(value: &Value, out: &mut String) -> Result<()> {
        match value {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(item, out)?;
                }
                out.push(']');
            }
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                out.push('{');
                for (i, (key, item)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&scalar(&Value::String(key.clone()))?);
                    out.push(':');
                    write(item, out)?;
                }
                out.push('}');
            }
            scalar_value => out.push_str(&scalar(scalar_value)?),
        }
        Ok(())
    }
    fn scalar(value: &Value) -> Result<String> {
        serde_json::to_string(value).map_err(|e| AuditError::Invalid(format!("detail: {e}")))
    }
    let mut out = String::new();
    write(value, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_recursively() {
        let v = json!({"b": 1, "a": {"z": [true, null, "x"], "c": 2.5}, "é": "中文"});
        assert_eq!(
            canonical_json(&v).unwrap(),
            r#"{"a":{"c":2.5,"z":[true,null,"x"]},"b":1,"é":"中文"}"#
        );
    }

    #[test]
    fn hash_distinguishes_null_from_empty_and_field_boundaries() {
        let base = RowFields {
            seq: 1,
            at: 0,
            actor: "ab",
            actor_kind: "user",
            action: "c",
            target_kind: "t",
            target_id: "",
            hall: None,
            detail: "{}",
        };
        let empty_hall = RowFields {
            hall: Some(""),
            ..base
        };
        let shifted = RowFields {
            actor: "a",
            action: "bc",
            ..base
        };
        let h = chain_hash(GENESIS_HASH, &base);
        assert_ne!(h, chain_hash(GENESIS_HASH, &empty_hall));
        assert_ne!(h, chain_hash(GENESIS_HASH, &shifted));
        assert_eq!(h.len(), 64);
    }
}
