//! The district's directory as plugins read it (WIT `directory`): the halls
//! (table `halls`) and the enabled people holding a role (table `users`),
//! read-only. The identity module of the host owns and writes both tables;
//! this is the typed read plugins get, without password hashes, lockout or
//! session data.
//!
//! Both lists are ordered here, in Rust, by code point (halls by code,
//! people by username): `halls.code` and `users.username` have the
//! database's collation on PostgreSQL, which need not order text the way
//! SQLite does.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::values;

/// One hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryHall {
    /// Slug, e.g. `bailou`.
    pub id: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// `demonstration`, `standard` or `basic`.
    pub grade: String,
}

/// One enabled person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryPerson {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// Role names as stored (kebab-case).
    pub roles: Vec<String>,
    /// Hall ids.
    pub halls: Vec<String>,
    pub district_wide: bool,
}

fn hall(r: &AnyRow) -> Result<DirectoryHall> {
    Ok(DirectoryHall {
        id: values::text(r, "id")?,
        code: values::text(r, "code")?,
        name_zh: values::text(r, "name_zh")?,
        name_en: values::text(r, "name_en")?,
        grade: values::text(r, "grade")?,
    })
}

fn person(r: &AnyRow) -> Result<DirectoryPerson> {
    let list = |col: &str| -> Result<Vec<String>> {
        serde_json::from_str(&values::text(r, col)?)
            .map_err(|e| Error::Corrupt(format!("users.{col} holds bad JSON: {e}")))
    };
    Ok(DirectoryPerson {
        user_id: values::text(r, "id")?,
        username: values::text(r, "username")?,
        display_name: values::text(r, "display_name")?,
        roles: list("roles")?,
        halls: list("halls")?,
        district_wide: values::int(r, "district_wide")? != 0,
    })
}

/// Whether `role` can go into a `LIKE` pattern as it is: no wildcard
/// (`%`, `_`), no escape character, no quote.
fn plain_role(role: &str) -> bool {
    !role.is_empty()
        && role
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Typed read access to halls and people; see [`Store::directory`].
#[derive(Debug, Clone, Copy)]
pub struct Directory<'a> {
    store: &'a Store,
}

impl Store {
    /// The district's halls and people, as plugins read them.
    pub fn directory(&self) -> Directory<'_> {
        Directory { store: self }
    }
}

impl Directory<'_> {
    /// Every hall, ordered by code (then id).
    pub async fn halls(&self) -> Result<Vec<DirectoryHall>> {
        let q = Sql::new("SELECT id, code, name_zh, name_en, grade FROM halls");
        let mut halls = sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(hall)
            .collect::<Result<Vec<_>>>()?;
        halls.sort_by(|a, b| a.code.cmp(&b.code).then_with(|| a.id.cmp(&b.id)));
        Ok(halls)
    }

    /// The enabled (not disabled) users holding `role`, ordered by
    /// username. An unknown role answers none.
    pub async fn people(&self, role: &str) -> Result<Vec<DirectoryPerson>> {
        let mut q = Sql::new(
            "SELECT id, username, display_name, roles, halls, district_wide FROM users \
             WHERE disabled = 0",
        );
        // Narrows the rows read; the exact test on the parsed list below
        // decides (SQLite's LIKE ignores ASCII case, PostgreSQL's does not).
        if plain_role(role) {
            q.push(" AND roles LIKE ").bind(format!("%\"{role}\"%"));
        }
        let mut people = Vec::new();
        for row in sql::fetch_all(self.store.pool(), &q).await? {
            let p = person(&row)?;
            if p.roles.iter().any(|r| r == role) {
                people.push(p);
            }
        }
        people.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(people)
    }
}
