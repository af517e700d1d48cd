//! Identity: halls, users and roles, password login with lockout, browser sessions with CSRF
//! tokens, and API tokens; every change is written to the audit log in the same transaction.
//!
//! Design notes:
//! - Secrets are never stored: sessions are keyed by SHA-256 of the cookie secret, API tokens
//!   keep SHA-256 of their secret, passwords are argon2id PHC strings.
//! - Times are milliseconds since the Unix epoch. Methods whose outcome depends on the clock
//!   (login, session and token authentication) take `now`, so tests can move time.
//! - Writes run in one transaction that first takes the audit append lock
//!   ([`Audit::lock_in`]): identity writes are serialised, which makes check-then-write
//!   sequences (bootstrap, last-administrator guard, lockout) atomic on both databases.
//!   Password hashing happens before the transaction, never under the lock.
//! - Write methods take the acting [`Principal`] and enforce who may do what (mostly: holds
//!   `district-admin`). Reads do not; the HTTP layer decides who may read what.

mod halls;
mod password;
mod roles;
mod sessions;
mod tokens;
mod users;

use std::sync::Arc;
use std::time::Duration;

use bantong_store::Store;
use serde_json::Value;
use sqlx::{Any, Transaction};

use crate::audit::{ActorKind, Audit, AuditEntry, AuditError};

pub use halls::{Hall, HallGrade, HallUpdate, NewHall};
pub use password::{
    MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, PasswordParams, check_password_policy,
    generate_password,
};
pub use roles::{Principal, PrincipalKind, Role, UnknownRole};
pub use sessions::Session;
pub use tokens::{ApiToken, constant_time_eq};
pub use users::{NewUser, User, UserUpdate};

/// Identity settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// A session unused for this long expires.
    pub idle_timeout: Duration,
    /// A session expires this long after login, however active.
    pub absolute_timeout: Duration,
    /// Consecutive wrong passwords that lock an account.
    pub max_failed_logins: u32,
    /// How long a lock lasts.
    pub lockout: Duration,
    /// `last_seen_at` of a session (and `last_used_at` of a token) is written at most this
    /// often, to limit writes; idle expiry is accurate to this much.
    pub touch_interval: Duration,
    /// argon2id cost of new password hashes.
    pub password: PasswordParams,
}

impl Default for IdentityConfig {
    fn default() -> IdentityConfig {
        IdentityConfig {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            touch_interval: Duration::from_secs(30),
            password: PasswordParams::default(),
        }
    }
}

/// Errors of identity operations; the HTTP layer maps each variant to a status code
/// (401, 423, 401, 403, 422, 422, 404, 409, 403, 500, 500).
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Unknown user, wrong password, unknown or revoked session or token: deliberately one error.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account locked until {until} (ms since epoch)")]
    Locked { until: i64 },
    #[error("session or token expired")]
    Expired,
    #[error("account disabled")]
    Disabled,
    #[error("weak password: {0}")]
    WeakPassword(String),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("storage error: {0}")]
    Storage(#[source] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The authentication side of [`IdentityError`].
pub type AuthError = IdentityError;

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> IdentityError {
        IdentityError::Storage(e)
    }
}

impl From<AuditError> for IdentityError {
    fn from(e: AuditError) -> IdentityError {
        match e {
            AuditError::Storage(e) => IdentityError::Storage(e),
            AuditError::Invalid(m) => IdentityError::Invalid(m),
        }
    }
}

impl From<serde_json::Error> for IdentityError {
    fn from(e: serde_json::Error) -> IdentityError {
        IdentityError::Internal(format!("stored JSON: {e}"))
    }
}

/// Turns a unique-constraint violation into [`IdentityError::Conflict`].
fn conflict_on_unique(e: sqlx::Error, what: &str) -> IdentityError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            IdentityError::Conflict(what.to_owned())
        }
        _ => IdentityError::Storage(e),
    }
}

/// The identity service. Cheap to clone.
#[derive(Clone)]
pub struct Identity {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    audit: Audit,
    cfg: IdentityConfig,
    hasher: password::Hasher,
    /// A hash of a random password, verified against for unknown usernames so that they
    /// take as long as wrong passwords.
    dummy_hash: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("store", &self.inner.store)
            .field("cfg", &self.inner.cfg)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Builds the service over a migrated store. Fails on invalid argon2 parameters.
    pub fn new(store: Store, cfg: IdentityConfig) -> Result<Identity> {
        let hasher = password::Hasher::new(&cfg.password)?;
        let dummy_hash = hasher.hash(&password::generate_password())?;
        Ok(Identity {
            inner: Arc::new(Inner {
                audit: Audit::new(store.clone()),
                store,
                cfg,
                hasher,
                dummy_hash,
            }),
        })
    }

    /// The audit log this service writes to.
    pub fn audit(&self) -> &Audit {
        &self.inner.audit
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.inner.cfg
    }

    /// Compares a CSRF token presented with a request to the session's, in constant time.
    pub fn verify_csrf(expected: &str, presented: &str) -> bool {
        !expected.is_empty() && constant_time_eq(expected.as_bytes(), presented.as_bytes())
    }

    /// Opens a write transaction holding the audit append lock.
    async fn write_tx(&self) -> Result<Transaction<'static, Any>> {
        let mut tx = self.inner.audit.begin().await?;
        self.inner.audit.lock_in(&mut tx).await?;
        Ok(tx)
    }

    /// Hashes a password on the blocking pool.
    async fn hash_password(&self, password: &str) -> Result<String> {
        let inner = self.inner.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || inner.hasher.hash(&password))
            .await
            .map_err(|e| IdentityError::Internal(format!("hashing task: {e}")))?
    }

    /// Verifies a password on the blocking pool; `None` verifies against the dummy hash
    /// (and returns false) to spend the same time for unknown users.
    async fn verify_password(&self, password: &str, phc: Option<&str>) -> Result<bool> {
        let inner = self.inner.clone();
        let password = password.to_owned();
        let phc = phc.map(str::to_owned);
        tokio::task::spawn_blocking(move || match phc {
            Some(phc) => inner.hasher.verify(&password, &phc),
            None => inner
                .hasher
                .verify(&password, &inner.dummy_hash)
                .map(|_| false),
        })
        .await
        .map_err(|e| IdentityError::Internal(format!("hashing task: {e}")))?
    }
}

/// The current time in ms since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A duration in ms, saturating.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Fails unless the actor holds `district-admin`.
fn require_admin(actor: &Principal) -> Result<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(IdentityError::Forbidden(
            "this needs the district-admin role".to_owned(),
        ))
    }
}

/// An audit entry attributed to `actor`. For a token, the token id is added to the detail
/// object so an incident can be traced to the token to revoke.
pub(crate) fn attributed(
    actor: &Principal,
    action: &str,
    target_kind: &str,
    target_id: &str,
    mut detail: Value,
    at: i64,
) -> AuditEntry {
    if let (PrincipalKind::Token { token_id }, Value::Object(map)) = (&actor.kind, &mut detail) {
        map.insert("via_token".to_owned(), Value::String(token_id.clone()));
    }
    AuditEntry::new(
        actor.user_id.clone(),
        actor.actor_kind(),
        action,
        target_kind,
        target_id,
    )
    .detail(detail)
    .at(at)
}

/// An audit entry by nobody authenticated (failed logins).
fn anonymous(
    action: &str,
    target_kind: &str,
    target_id: &str,
    detail: Value,
    at: i64,
) -> AuditEntry {
    AuditEntry::new(
        "anonymous",
        ActorKind::Anonymous,
        action,
        target_kind,
        target_id,
    )
    .detail(detail)
    .at(at)
}

/// Trims and checks a display name or other short label.
fn clean_label(what: &str, value: &str, max_chars: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(IdentityError::Invalid(format!("{what} is empty")));
    }
    if value.chars().count() > max_chars {
        return Err(IdentityError::Invalid(format!(
            "{what} is longer than {max_chars} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(format!(
            "{what} contains control characters"
        )));
    }
    Ok(value.to_owned())
}

/// 0/1 for the integer boolean columns.
fn flag(b: bool) -> i64 {
    i64::from(b)
}
