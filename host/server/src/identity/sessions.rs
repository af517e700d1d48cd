//! Password login with lockout, browser sessions (idle and absolute expiry) and logout.

use serde_json::json;
use sqlx::Row;

use super::tokens::{random_secret, sha256_hex};
use super::users::{end_sessions, normalize_username};
use super::{
    Identity, IdentityError, Principal, PrincipalKind, Result, anonymous, attributed, millis,
};

/// Random bytes in a cookie secret and in a CSRF token.
const SECRET_BYTES: usize = 32;
/// Longest cookie value accepted before hashing (a real one is 43 characters).
const MAX_COOKIE_CHARS: usize = 128;

/// A new browser session. `cookie_secret` goes into the session cookie (HttpOnly, Secure,
/// SameSite=Lax) and is stored nowhere else; `csrf_token` must come back with every
/// state-changing request.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The stored id: hex SHA-256 of the cookie secret. Safe to log.
    pub id: String,
    pub cookie_secret: String,
    pub csrf_token: String,
    pub user_id: String,
    pub created_at: i64,
    /// Absolute expiry (the idle timeout may end it sooner).
    pub expires_at: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("cookie_secret", &"<redacted>")
            .field("csrf_token", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Session {
    /// Checks a presented CSRF token against this session's, in constant time.
    pub fn verify_csrf(&self, presented: &str) -> bool {
        Identity::verify_csrf(&self.csrf_token, presented)
    }
}

impl Identity {
    /// Logs in with username and password at time `now`.
    ///
    /// Unknown user and wrong password give the same [`IdentityError::InvalidCredentials`] and
    /// take the same hashing time. Each wrong password counts; the configured maximum locks the
    /// account for the lockout period, during which even the right password gives
    /// [`IdentityError::Locked`]. A disabled account gives [`IdentityError::Disabled`], but only
    /// with the right password. Every outcome is audited.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        now: i64,
    ) -> Result<(Session, Principal)> {
        let user = match normalize_username(username) {
            Ok(name) => self.user_row_by_username(&name).await?,
            Err(_) => None,
        };
        let Some(user) = user else {
            self.verify_password(password, None).await?;
            // Record the attempted name only when it could be a username, so that a password
            // typed into the username field does not end up in the audit log.
            let attempted = normalize_username(username).unwrap_or_else(|_| "<invalid>".to_owned());
            let entry = anonymous(
                "session.login_failed",
                "user",
                "",
                json!({"username": attempted, "reason": "unknown_user"}),
                now,
            );
            self.audit().record(&entry).await?;
            return Err(IdentityError::InvalidCredentials);
        };
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            let entry = anonymous(
                "session.login_refused",
                "user",
                &user.id,
                json!({"username": user.username, "reason": "locked", "until": until}),
                now,
            );
            self.audit().record(&entry).await?;
            return Err(IdentityError::Locked { until });
        }
        if !self
            .verify_password(password, Some(&user.password_hash))
            .await?
        {
            return Err(self.record_failed_password(&user, None, now).await?);
        }

        // Hashes made with older cost parameters are upgraded at login, when the password
        // is at hand.
        let rehash = if self.inner.hasher.needs_rehash(&user.password_hash) {
            Some(self.hash_password(password).await?)
        } else {
            None
        };

        let mut tx = self.write_tx().await?;
        // Re-read under the lock: a concurrent failure may have locked the account, or an
        // administrator disabled it, since the password was checked.
        let current = self.user_row_in(&mut tx, &user.id).await?;
        if let Some(until) = current.locked_until.filter(|u| *u > now) {
            return Err(IdentityError::Locked { until });
        }
        if current.disabled {
            let entry = anonymous(
                "session.login_refused",
                "user",
                &user.id,
                json!({"username": user.username, "reason": "disabled"}),
                now,
            );
            self.audit().record_in(&mut tx, &entry).await?;
            tx.commit().await?;
            return Err(IdentityError::Disabled);
        }
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
            .bind(user.id.as_str())
            .execute(&mut *tx)
            .await?;
        if let Some(hash) = rehash {
            // Only if the hash is still the one just verified (no concurrent change).
            sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3")
                .bind(user.id.as_str())
                .bind(hash)
                .bind(user.password_hash.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let cookie_secret = random_secret(SECRET_BYTES);
        let session = Session {
            id: sha256_hex(cookie_secret.as_bytes()),
            cookie_secret,
            csrf_token: random_secret(SECRET_BYTES),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now.saturating_add(millis(self.config().absolute_timeout)),
        };
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(session.id.as_str())
        .bind(session.user_id.as_str())
        .bind(session.csrf_token.as_str())
        .bind(now)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        let principal = current.principal(PrincipalKind::User);
        let entry = attributed(
            &principal,
            "session.login",
            "session",
            &session.id,
            json!({"username": user.username}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok((session, principal))
    }

    /// Authenticates a request by its session cookie at time `now`; returns the principal and
    /// the session's CSRF token. Enforces the idle and absolute timeouts (an expired session is
    /// deleted) and refreshes `last_seen_at` at most once per touch interval.
    pub async fn authenticate_session(
        &self,
        cookie_secret: &str,
        now: i64,
    ) -> Result<(Principal, String)> {
        if cookie_secret.is_empty() || cookie_secret.len() > MAX_COOKIE_CHARS {
            return Err(IdentityError::InvalidCredentials);
        }
        let id = sha256_hex(cookie_secret.as_bytes());
        let row = sqlx::query(
            "SELECT user_id, csrf_token, last_seen_at, expires_at FROM sessions WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(self.store().pool())
        .await?
        .ok_or(IdentityError::InvalidCredentials)?;
        let user_id: String = row.try_get("user_id")?;
        let csrf_token: String = row.try_get("csrf_token")?;
        let last_seen_at: i64 = row.try_get("last_seen_at")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let idle = millis(self.config().idle_timeout);
        if now >= expires_at || now.saturating_sub(last_seen_at) >= idle {
            self.delete_session(&id).await?;
            return Err(IdentityError::Expired);
        }
        let user = self.user_row(&user_id).await?;
        if user.disabled {
            self.delete_session(&id).await?;
            return Err(IdentityError::Disabled);
        }
        if now.saturating_sub(last_seen_at) >= millis(self.config().touch_interval) {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2",
            )
            .bind(id.as_str())
            .bind(now)
            .execute(self.store().pool())
            .await?;
        }
        Ok((user.principal(PrincipalKind::User), csrf_token))
    }

    /// Ends the session of this cookie, if it exists (idempotent), and audits it.
    pub async fn logout(&self, cookie_secret: &str, now: i64) -> Result<()> {
        if cookie_secret.is_empty() || cookie_secret.len() > MAX_COOKIE_CHARS {
            return Ok(());
        }
        let id = sha256_hex(cookie_secret.as_bytes());
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT user_id FROM sessions WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(());
        };
        let user_id: String = row.try_get("user_id")?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let user = self.user_row_in(&mut tx, &user_id).await?;
        let entry = attributed(
            &user.principal(PrincipalKind::User),
            "session.logout",
            "session",
            &id,
            json!({"username": user.username}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of a user (e.g. "sign out everywhere"). The actor must be that user
    /// or hold `district-admin`. Returns how many sessions ended.
    pub async fn end_all_sessions(&self, actor: &Principal, user_id: &str) -> Result<u64> {
        if !actor.is_admin() && actor.user_id != user_id {
            return Err(IdentityError::Forbidden(
                "only an administrator may end another user's sessions".to_owned(),
            ));
        }
        let now = super::now_ms();
        let mut tx = self.write_tx().await?;
        self.user_row_in(&mut tx, user_id).await?;
        let ended = end_sessions(&mut tx, user_id).await?;
        let entry = attributed(
            actor,
            "session.end_all",
            "user",
            user_id,
            json!({"sessions_ended": ended}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Deletes sessions past their absolute or idle expiry at `now`; for a periodic job.
    /// Returns how many were deleted.
    pub async fn purge_expired_sessions(&self, now: i64) -> Result<u64> {
        let idle = millis(self.config().idle_timeout);
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(now.saturating_sub(idle))
            .execute(self.store().pool())
            .await?;
        Ok(done.rows_affected())
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(self.store().pool())
            .await?;
        Ok(())
    }
}
