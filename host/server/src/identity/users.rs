//! User accounts: creation, roles and hall scope, disabling, password changes and resets, and
//! the one-time bootstrap of the first administrator.

use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::password::{check_password_policy, generate_password};
use super::{
    Identity, IdentityError, Principal, PrincipalKind, Result, Role, attributed, clean_label,
    conflict_on_unique, flag, now_ms, require_admin,
};

const USER_COLUMNS: &str = "id, username, display_name, password_hash, roles, halls, \
     district_wide, disabled, failed_logins, locked_until, must_change_password, created_at, \
     updated_at, password_changed_at";

/// A user account as the API shows it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    /// Lower-case, unique, immutable.
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub halls: Vec<String>,
    pub district_wide: bool,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    pub must_change_password: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub password_changed_at: i64,
}

/// A new account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub roles: Vec<Role>,
    pub halls: Vec<String>,
    pub district_wide: bool,
    /// Ask the person to replace the password at first login (set when an administrator
    /// chose it for them).
    pub must_change_password: bool,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub halls: Option<Vec<String>>,
    pub district_wide: Option<bool>,
}

/// A full row, including the password hash; never leaves this module tree.
#[derive(Clone)]
pub(super) struct UserRow {
    pub(super) user: User,
    pub(super) password_hash: String,
}

impl UserRow {
    pub(super) fn from_row(row: &AnyRow) -> Result<UserRow> {
        let roles: String = row.try_get("roles")?;
        let halls: String = row.try_get("halls")?;
        Ok(UserRow {
            user: User {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
                roles: serde_json::from_str(&roles)?,
                halls: serde_json::from_str(&halls)?,
                district_wide: row.try_get::<i64, _>("district_wide")? != 0,
                disabled: row.try_get::<i64, _>("disabled")? != 0,
                failed_logins: row.try_get("failed_logins")?,
                locked_until: row.try_get("locked_until")?,
                must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                password_changed_at: row.try_get("password_changed_at")?,
            },
            password_hash: row.try_get("password_hash")?,
        })
    }

    pub(super) fn principal(&self, kind: PrincipalKind) -> Principal {
        let u = &self.user;
        Principal {
            user_id: u.id.clone(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            halls: u.halls.clone(),
            district_wide: u.district_wide,
            must_change_password: u.must_change_password,
            kind,
        }
    }
}

impl std::ops::Deref for UserRow {
    type Target = User;

    fn deref(&self) -> &User {
        &self.user
    }
}

/// Lower-cases and checks a username: 3–32 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub(super) fn normalize_username(username: &str) -> Result<String> {
    let u = username.trim().to_ascii_lowercase();
    let len_ok = (3..=32).contains(&u.len());
    let chars_ok = u
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    let first_ok = u.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if len_ok && chars_ok && first_ok {
        Ok(u)
    } else {
        Err(IdentityError::Invalid(
            "a username has 3 to 32 characters among a-z, 0-9, '.', '_' and '-', and starts \
             with a letter or digit"
                .to_owned(),
        ))
    }
}

fn sorted_roles(roles: &[Role]) -> Vec<Role> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}

fn sorted_halls(halls: &[String]) -> Vec<String> {
    let mut halls: Vec<String> = halls.iter().map(|h| h.trim().to_owned()).collect();
    halls.sort();
    halls.dedup();
    halls
}

fn weak(reason: String) -> IdentityError {
    IdentityError::WeakPassword(reason)
}

impl Identity {
    /// Creates an account. Needs `district-admin`.
    pub async fn create_user(&self, actor: &Principal, new: NewUser) -> Result<User> {
        require_admin(actor)?;
        let username = normalize_username(&new.username)?;
        let display_name = clean_label("display name", &new.display_name, 100)?;
        check_password_policy(&username, &new.password).map_err(weak)?;
        let hash = self.hash_password(&new.password).await?;
        let mut tx = self.write_tx().await?;
        let user = self
            .insert_user(
                &mut tx,
                NewUser {
                    username,
                    display_name,
                    password: String::new(),
                    ..new
                },
                &hash,
            )
            .await?;
        let entry = attributed(
            actor,
            "user.create",
            "user",
            &user.id,
            json!({
                "username": user.username,
                "display_name": user.display_name,
                "roles": user.roles,
                "halls": user.halls,
                "district_wide": user.district_wide,
                "must_change_password": user.must_change_password,
            }),
            user.created_at,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Creates the first administrator (district-wide, `district-admin`) with a generated
    /// password, which is returned once and must be changed at first login. Works only while
    /// there are no users at all; otherwise [`IdentityError::Conflict`].
    pub async fn bootstrap_admin(&self, username: &str, display_name: &str) -> Result<String> {
        let username = normalize_username(username)?;
        let display_name = clean_label("display name", display_name, 100)?;
        let password = generate_password();
        let hash = self.hash_password(&password).await?;
        // The append lock taken by write_tx serialises concurrent bootstraps: the second one
        // counts the first one's user.
        let mut tx = self.write_tx().await?;
        let users: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if users > 0 {
            return Err(IdentityError::Conflict(
                "users already exist; bootstrap only works on an empty database".to_owned(),
            ));
        }
        let new = NewUser {
            username,
            display_name,
            password: String::new(),
            roles: vec![Role::DistrictAdmin],
            halls: Vec::new(),
            district_wide: true,
            must_change_password: true,
        };
        let user = self.insert_user(&mut tx, new, &hash).await?;
        let system = Principal::system("bootstrap");
        let entry = attributed(
            &system,
            "user.bootstrap_admin",
            "user",
            &user.id,
            json!({"username": user.username, "display_name": user.display_name}),
            user.created_at,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(password)
    }

    /// All accounts, by username.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
        let rows = sqlx::query(&sql).fetch_all(self.store().pool()).await?;
        rows.iter()
            .map(|r| UserRow::from_row(r).map(|u| u.user))
            .collect()
    }

    pub async fn get_user(&self, user_id: &str) -> Result<User> {
        Ok(self.user_row(user_id).await?.user)
    }

    pub async fn get_user_by_username(&self, username: &str) -> Result<User> {
        let username = username.trim().to_ascii_lowercase();
        self.user_row_by_username(&username)
            .await?
            .map(|u| u.user)
            .ok_or_else(|| IdentityError::NotFound(format!("user {username}")))
    }

    /// Changes display name, roles, halls or district scope. Needs `district-admin`; the last
    /// enabled administrator keeps the role.
    pub async fn update_user(
        &self,
        actor: &Principal,
        user_id: &str,
        update: UserUpdate,
    ) -> Result<User> {
        require_admin(actor)?;
        let display_name = update
            .display_name
            .as_deref()
            .map(|d| clean_label("display name", d, 100))
            .transpose()?;
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let before = self.user_row_in(&mut tx, user_id).await?.user;
        let mut after = before.clone();
        let mut changes = serde_json::Map::new();
        if let Some(d) = display_name.filter(|d| *d != before.display_name) {
            changes.insert(
                "display_name".into(),
                json!({"from": before.display_name, "to": d}),
            );
            after.display_name = d;
        }
        if let Some(roles) = update.roles.map(|r| sorted_roles(&r))
            && roles != before.roles
        {
            changes.insert("roles".into(), json!({"from": before.roles, "to": roles}));
            after.roles = roles;
        }
        if let Some(halls) = update.halls.map(|h| sorted_halls(&h))
            && halls != before.halls
        {
            check_halls_exist(&mut tx, &halls).await?;
            changes.insert("halls".into(), json!({"from": before.halls, "to": halls}));
            after.halls = halls;
        }
        if let Some(dw) = update
            .district_wide
            .filter(|dw| *dw != before.district_wide)
        {
            changes.insert(
                "district_wide".into(),
                json!({"from": before.district_wide, "to": dw}),
            );
            after.district_wide = dw;
        }
        if changes.is_empty() {
            return Ok(before);
        }
        if before.roles.contains(&Role::DistrictAdmin)
            && !after.roles.contains(&Role::DistrictAdmin)
        {
            ensure_other_admin(&mut tx, user_id).await?;
        }
        after.updated_at = now;
        sqlx::query(
            "UPDATE users SET display_name = $2, roles = $3, halls = $4, district_wide = $5, \
             updated_at = $6 WHERE id = $1",
        )
        .bind(user_id)
        .bind(after.display_name.as_str())
        .bind(serde_json::to_string(&after.roles)?)
        .bind(serde_json::to_string(&after.halls)?)
        .bind(flag(after.district_wide))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let entry = attributed(actor, "user.update", "user", user_id, changes.into(), now);
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Disables (ending all sessions) or re-enables an account. Needs `district-admin`; nobody
    /// disables themself or the last enabled administrator.
    pub async fn set_disabled(
        &self,
        actor: &Principal,
        user_id: &str,
        disabled: bool,
    ) -> Result<User> {
        require_admin(actor)?;
        if disabled && actor.user_id == user_id {
            return Err(IdentityError::Forbidden(
                "you cannot disable your own account".to_owned(),
            ));
        }
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let mut user = self.user_row_in(&mut tx, user_id).await?.user;
        if user.disabled == disabled {
            return Ok(user);
        }
        if disabled && user.roles.contains(&Role::DistrictAdmin) {
            ensure_other_admin(&mut tx, user_id).await?;
        }
        sqlx::query("UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(flag(disabled))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let sessions_ended = if disabled {
            end_sessions(&mut tx, user_id).await?
        } else {
            0
        };
        user.disabled = disabled;
        user.updated_at = now;
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        let entry = attributed(
            actor,
            action,
            "user",
            user_id,
            json!({"username": user.username, "sessions_ended": sessions_ended}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// A person changes their own password, proving the old one. All their sessions end (log
    /// in again with the new password). A wrong old password counts towards the lockout.
    pub async fn change_password(
        &self,
        actor: &Principal,
        old_password: &str,
        new_password: &str,
    ) -> Result<()> {
        if actor.kind != PrincipalKind::User {
            return Err(IdentityError::Forbidden(
                "a password is changed from a signed-in session".to_owned(),
            ));
        }
        let now = now_ms();
        let user = self.user_row(&actor.user_id).await?;
        if user.disabled {
            return Err(IdentityError::Disabled);
        }
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            return Err(IdentityError::Locked { until });
        }
        if !self
            .verify_password(old_password, Some(&user.password_hash))
            .await?
        {
            return Err(self.record_failed_password(&user, Some(actor), now).await?);
        }
        check_password_policy(&user.username, new_password).map_err(weak)?;
        if old_password == new_password {
            return Err(weak(
                "the new password must differ from the old one".to_owned(),
            ));
        }
        let hash = self.hash_password(new_password).await?;
        let mut tx = self.write_tx().await?;
        set_password(&mut tx, &user.id, &hash, false, now).await?;
        let sessions_ended = end_sessions(&mut tx, &user.id).await?;
        let entry = attributed(
            actor,
            "user.password_change",
            "user",
            &user.id,
            json!({"sessions_ended": sessions_ended}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An administrator resets someone's password: returns a generated temporary password
    /// (shown once), clears any lockout, ends the person's sessions and requires a change at
    /// next login. Needs `district-admin`.
    pub async fn admin_reset_password(&self, actor: &Principal, user_id: &str) -> Result<String> {
        require_admin(actor)?;
        let password = generate_password();
        let hash = self.hash_password(&password).await?;
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let user = self.user_row_in(&mut tx, user_id).await?;
        set_password(&mut tx, user_id, &hash, true, now).await?;
        let sessions_ended = end_sessions(&mut tx, user_id).await?;
        let entry = attributed(
            actor,
            "user.password_reset",
            "user",
            user_id,
            json!({"username": user.username, "sessions_ended": sessions_ended}),
            now,
        );
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(password)
    }

    pub(super) async fn user_row(&self, user_id: &str) -> Result<UserRow> {
        let mut conn = self.store().pool().acquire().await?;
        self.user_row_in(&mut conn, user_id).await
    }

    pub(super) async fn user_row_in(
        &self,
        conn: &mut AnyConnection,
        user_id: &str,
    ) -> Result<UserRow> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(user_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("user {user_id}")))?;
        UserRow::from_row(&row)
    }

    pub(super) async fn user_row_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row = sqlx::query(&sql)
            .bind(username)
            .fetch_optional(self.store().pool())
            .await?;
        row.as_ref().map(UserRow::from_row).transpose()
    }

    /// Counts a wrong password for `user`, given at login (`actor` None) or by a signed-in
    /// `actor` changing their password; locks the account at the configured maximum. Returns
    /// the error to give the caller: `Locked` if this failure locked the account (or it
    /// already was), `InvalidCredentials` otherwise.
    pub(super) async fn record_failed_password(
        &self,
        user: &UserRow,
        actor: Option<&Principal>,
        now: i64,
    ) -> Result<IdentityError> {
        let max = i64::from(self.config().max_failed_logins.max(1));
        let until = now.saturating_add(super::millis(self.config().lockout));
        let mut tx = self.write_tx().await?;
        // One statement, so concurrent failures all count. A locked account is not counted.
        let row = sqlx::query(
            "UPDATE users SET \
               failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END, \
               locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $4) \
             RETURNING failed_logins, locked_until",
        )
        .bind(user.id.as_str())
        .bind(max)
        .bind(until)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            // Locked meanwhile by a concurrent failure.
            let current = self.user_row_in(&mut tx, &user.id).await?;
            tx.commit().await?;
            return Ok(IdentityError::Locked {
                until: current.locked_until.unwrap_or(until),
            });
        };
        let failed: i64 = row.try_get("failed_logins")?;
        let locked_until: Option<i64> = row.try_get("locked_until")?;
        let locked = failed == 0;
        let detail = json!({
            "username": user.username,
            "reason": "bad_password",
            "failed_logins": if locked { max } else { failed },
        });
        let failure = match actor {
            None => super::anonymous("session.login_failed", "user", &user.id, detail, now),
            Some(actor) => attributed(
                actor,
                "user.password_change_failed",
                "user",
                &user.id,
                detail,
                now,
            ),
        };
        self.audit().record_in(&mut tx, &failure).await?;
        if locked {
            let lockout = attributed(
                &Principal::system("lockout"),
                "user.lockout",
                "user",
                &user.id,
                json!({"username": user.username, "until": locked_until, "failed_logins": max}),
                now,
            );
            self.audit().record_in(&mut tx, &lockout).await?;
        }
        tx.commit().await?;
        Ok(match locked_until.filter(|_| locked) {
            Some(until) => IdentityError::Locked { until },
            None => IdentityError::InvalidCredentials,
        })
    }

    /// Inserts a checked account (username and display name already cleaned).
    async fn insert_user(&self, tx: &mut AnyConnection, new: NewUser, hash: &str) -> Result<User> {
        let roles = sorted_roles(&new.roles);
        let halls = sorted_halls(&new.halls);
        check_halls_exist(tx, &halls).await?;
        let now = now_ms();
        let user = User {
            id: uuid::Uuid::now_v7().to_string(),
            username: new.username,
            display_name: new.display_name,
            roles,
            halls,
            district_wide: new.district_wide,
            disabled: false,
            failed_logins: 0,
            locked_until: None,
            must_change_password: new.must_change_password,
            created_at: now,
            updated_at: now,
            password_changed_at: now,
        };
        sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, roles, halls, \
             district_wide, disabled, failed_logins, locked_until, must_change_password, \
             created_at, updated_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, NULL, $8, $9, $9, $9)",
        )
        .bind(user.id.as_str())
        .bind(user.username.as_str())
        .bind(user.display_name.as_str())
        .bind(hash)
        .bind(serde_json::to_string(&user.roles)?)
        .bind(serde_json::to_string(&user.halls)?)
        .bind(flag(user.district_wide))
        .bind(flag(user.must_change_password))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "a user with this username already exists"))?;
        Ok(user)
    }
}

/// Fails with `Invalid` naming the first hall id that does not exist.
async fn check_halls_exist(conn: &mut AnyConnection, halls: &[String]) -> Result<()> {
    for hall in halls {
        let found = sqlx::query("SELECT id FROM halls WHERE id = $1")
            .bind(hall.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Err(IdentityError::Invalid(format!("unknown hall {hall:?}")));
        }
    }
    Ok(())
}

/// Fails unless an enabled administrator other than `user_id` exists.
async fn ensure_other_admin(conn: &mut AnyConnection, user_id: &str) -> Result<()> {
    let rows = sqlx::query("SELECT roles FROM users WHERE disabled = 0 AND id <> $1")
        .bind(user_id)
        .fetch_all(&mut *conn)
        .await?;
    for row in rows {
        let roles: Vec<Role> = serde_json::from_str(&row.try_get::<String, _>("roles")?)?;
        if roles.contains(&Role::DistrictAdmin) {
            return Ok(());
        }
    }
    Err(IdentityError::Conflict(
        "this is the last enabled district administrator".to_owned(),
    ))
}

async fn set_password(
    conn: &mut AnyConnection,
    user_id: &str,
    hash: &str,
    must_change: bool,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = $3, failed_logins = 0, \
         locked_until = NULL, password_changed_at = $4, updated_at = $4 WHERE id = $1",
    )
    .bind(user_id)
    .bind(hash)
    .bind(flag(must_change))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes every session of a user; returns how many.
pub(super) async fn end_sessions(conn: &mut AnyConnection, user_id: &str) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(normalize_username(" Zhang.Wei ").unwrap(), "zhang.wei");
        assert!(normalize_username("ab").is_err());
        assert!(normalize_username("_admin").is_err());
        assert!(normalize_username("张伟").is_err());
        assert!(normalize_username("a b c").is_err());
    }
}
