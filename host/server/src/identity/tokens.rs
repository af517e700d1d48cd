//! API tokens (`bt_<id>_<secret>`) for scripts and integrations, and the random secrets and
//! constant-time comparison shared with sessions.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Identity, IdentityError, Principal, PrincipalKind, Result, attributed, clean_label, millis,
    now_ms,
};

/// Prefix of every API token; lets secret scanners recognise leaked tokens.
const TOKEN_PREFIX: &str = "bt";
const TOKEN_ID_BYTES: usize = 12;
const TOKEN_SECRET_BYTES: usize = 32;

const TOKEN_COLUMNS: &str =
    "id, name, token_hash, user_id, created_at, last_used_at, expires_at, revoked_at";

/// An API token's record; the secret is never part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    /// The user the token acts as.
    pub user_id: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl ApiToken {
    fn from_row(row: &AnyRow) -> Result<ApiToken> {
        Ok(ApiToken {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            user_id: row.try_get("user_id")?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
            expires_at: row.try_get("expires_at")?,
            revoked_at: row.try_get("revoked_at")?,
        })
    }
}

/// `n` random bytes from the OS.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    OsRng.fill_bytes(&mut buf);
    buf
}

/// A URL-safe random secret of `n` bytes.
pub(crate) fn random_secret(n: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n))
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Equality whose running time depends only on the lengths, not on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Splits `bt_<id>_<secret>` into id and secret, checking the shape.
fn parse_token(plaintext: &str) -> Option<(&str, &str)> {
    let mut parts = plaintext.trim().splitn(3, '_');
    let (prefix, id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let hex_of =
        |s: &str, bytes: usize| s.len() == bytes * 2 && s.bytes().all(|b| b.is_ascii_hexdigit());
    (prefix == TOKEN_PREFIX && hex_of(id, TOKEN_ID_BYTES) && hex_of(secret, TOKEN_SECRET_BYTES))
        .then_some((id, secret))
}

impl Identity {
    /// Creates an API token acting as `user_id` and returns it with the plaintext
    /// `bt_<id>_<secret>`, which is shown once and never stored. An administrator may create
    /// tokens for anyone (service accounts), a person for themself; a token cannot mint tokens.
    pub async fn create_token(
        &self,
        actor: &Principal,
        user_id: &str,
        name: &str,
        expires_at: Option<i64>,
    ) -> Result<(ApiToken, String)> {
        if matches!(actor.kind, PrincipalKind::Token { .. }) {
            return Err(IdentityError::Forbidden(
                "API tokens cannot create API tokens".to_owned(),
            ));
        }
        if !actor.is_admin() && actor.user_id != user_id {
            return Err(IdentityError::Forbidden(
                "only an administrator may create tokens for another user".to_owned(),
            ));
        }
        let name = clean_label("token name", name, 100)?;
        let now = now_ms();
        if expires_at.is_some_and(|e| e <= now) {
            return Err(IdentityError::Invalid(
                "expires_at is in the past".to_owned(),
            ));
        }
        let id = hex::encode(random_bytes(TOKEN_ID_BYTES));
        let secret = hex::encode(random_bytes(TOKEN_SECRET_BYTES));
        let plaintext = format!("{TOKEN_PREFIX}_{id}_{secret}");
        let token = ApiToken {
            id: id.clone(),
            name,
            user_id: user_id.to_owned(),
            created_at: now,
            last_used_at: None,
            expires_at,
            revoked_at: None,
        };

        let mut tx = self.write_tx().await?;
        let owner = self.user_row_in(&mut tx, user_id).await?;
        if owner.disabled {
            return Err(IdentityError::Disabled);
        }
        sqlx::query(
            "INSERT INTO api_tokens (id, name, token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.id.as_str())
        .bind(token.name.as_str())
        .bind(sha256_hex(secret.as_bytes()))
        .bind(token.user_id.as_str())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        let entry = attributed(
            actor,
            "token.create",
            "api-token",
            &token.id,
            json!({"name": token.name, "user_id": token.user_id, "expires_at": expires_at}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok((token, plaintext))
    }

    /// Authenticates a request presenting an API token; the principal acts as the token's user
    /// with that user's current roles and halls.
    pub async fn authenticate_token(&self, plaintext: &str, now: i64) -> Result<Principal> {
        let (id, secret) = parse_token(plaintext).ok_or(IdentityError::InvalidCredentials)?;
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.store().pool())
            .await?
            .ok_or(IdentityError::InvalidCredentials)?;
        let stored_hash: String = row.try_get("token_hash")?;
        if !constant_time_eq(
            sha256_hex(secret.as_bytes()).as_bytes(),
            stored_hash.as_bytes(),
        ) {
            return Err(IdentityError::InvalidCredentials);
        }
        let token = ApiToken::from_row(&row)?;
        if token.revoked_at.is_some() {
            return Err(IdentityError::InvalidCredentials);
        }
        if token.expires_at.is_some_and(|e| e <= now) {
            return Err(IdentityError::Expired);
        }
        let user = self.user_row(&token.user_id).await?;
        if user.disabled {
            return Err(IdentityError::Disabled);
        }
        let touch = millis(self.config().touch_interval);
        if token.last_used_at.is_none_or(|t| now - t >= touch) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(token.id.as_str())
                .bind(now)
                .execute(self.store().pool())
                .await?;
        }
        Ok(user.principal(PrincipalKind::Token { token_id: token.id }))
    }

    /// Revokes a token (idempotent). An administrator may revoke any token, a person their own.
    pub async fn revoke_token(&self, actor: &Principal, token_id: &str) -> Result<ApiToken> {
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(token_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("api token {token_id}")))?;
        let mut token = ApiToken::from_row(&row)?;
        if !actor.is_admin() && actor.user_id != token.user_id {
            return Err(IdentityError::Forbidden(
                "only an administrator may revoke another user's token".to_owned(),
            ));
        }
        if token.revoked_at.is_some() {
            return Ok(token);
        }
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1")
            .bind(token_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        token.revoked_at = Some(now);
        let entry = attributed(
            actor,
            "token.revoke",
            "api-token",
            token_id,
            json!({"name": token.name, "user_id": token.user_id}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Tokens, oldest first; of one user, or of everyone.
    pub async fn list_tokens(&self, user_id: Option<&str>) -> Result<Vec<ApiToken>> {
        let rows = match user_id {
            Some(user_id) => {
                let sql = format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id"
                );
                sqlx::query(&sql)
                    .bind(user_id)
                    .fetch_all(self.store().pool())
                    .await?
            }
            None => {
                let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id");
                sqlx::query(&sql).fetch_all(self.store().pool()).await?
            }
        };
        rows.iter().map(ApiToken::from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        let id = "a".repeat(TOKEN_ID_BYTES * 2);
        let secret = "0".repeat(TOKEN_SECRET_BYTES * 2);
        let t = format!("bt_{id}_{secret}");
        assert_eq!(parse_token(&t), Some((id.as_str(), secret.as_str())));
        assert_eq!(parse_token(&format!("xx_{id}_{secret}")), None);
        assert_eq!(parse_token(&format!("bt_{id}_{secret}0")), None);
        assert_eq!(parse_token(&format!("bt_{id}")), None);
        assert_eq!(parse_token(""), None);
    }

    #[test]
    fn ct_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn secrets_are_random() {
        assert_ne!(random_secret(32), random_secret(32));
        assert_eq!(random_secret(32).len(), 43);
    }
}
