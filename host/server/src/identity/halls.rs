//! Township and street service halls: the tenant unit that users are scoped to.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{
    Identity, IdentityError, Principal, Result, attributed, clean_label, conflict_on_unique,
    now_ms, require_admin,
};

const HALL_COLUMNS: &str = "id, code, name_zh, name_en, grade, created_at, updated_at";

/// A hall's grade (by floor area), from the plan's 示范型 / 标准型 / 简朴型.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HallGrade {
    /// 示范型, at least 200 m².
    Demonstration,
    /// 标准型, at least 100 m².
    Standard,
    /// 简朴型, at least 50 m².
    Basic,
}

impl HallGrade {
    pub fn as_str(self) -> &'static str {
        match self {
            HallGrade::Demonstration => "demonstration",
            HallGrade::Standard => "standard",
            HallGrade::Basic => "basic",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            HallGrade::Demonstration => "示范型",
            HallGrade::Standard => "标准型",
            HallGrade::Basic => "简朴型",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            HallGrade::Demonstration => "Demonstration",
            HallGrade::Standard => "Standard",
            HallGrade::Basic => "Basic",
        }
    }

    /// The smallest floor area of the grade, in m².
    pub fn min_area_m2(self) -> u32 {
        match self {
            HallGrade::Demonstration => 200,
            HallGrade::Standard => 100,
            HallGrade::Basic => 50,
        }
    }

    fn parse(s: &str) -> Result<HallGrade> {
        [
            HallGrade::Demonstration,
            HallGrade::Standard,
            HallGrade::Basic,
        ]
        .into_iter()
        .find(|g| g.as_str() == s)
        .ok_or_else(|| IdentityError::Internal(format!("stored hall grade {s:?}")))
    }
}

/// A hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hall {
    /// Slug, e.g. `bailou`; immutable.
    pub id: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub grade: HallGrade,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Hall {
    fn from_row(row: &AnyRow) -> Result<Hall> {
        Ok(Hall {
            id: row.try_get("id")?,
            code: row.try_get("code")?,
            name_zh: row.try_get("name_zh")?,
            name_en: row.try_get("name_en")?,
            grade: HallGrade::parse(&row.try_get::<String, _>("grade")?)?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A hall to create.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewHall {
    pub id: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub grade: HallGrade,
}

/// Changes to a hall; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HallUpdate {
    pub code: Option<String>,
    pub name_zh: Option<String>,
    pub name_en: Option<String>,
    pub grade: Option<HallGrade>,
}

/// Checks a hall id: 2–32 of `a-z 0-9 -`, starting with a letter.
fn check_hall_id(id: &str) -> Result<()> {
    let ok = (2..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && id.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(IdentityError::Invalid(
            "a hall id has 2 to 32 characters among a-z, 0-9 and '-', and starts with a letter"
                .to_owned(),
        ))
    }
}

impl Identity {
    /// Creates a hall. Needs `district-admin`.
    pub async fn create_hall(&self, actor: &Principal, new: NewHall) -> Result<Hall> {
        require_admin(actor)?;
        check_hall_id(&new.id)?;
        let now = now_ms();
        let hall = Hall {
            id: new.id,
            code: clean_label("hall code", &new.code, 32)?,
            name_zh: clean_label("Chinese name", &new.name_zh, 100)?,
            name_en: clean_label("English name", &new.name_en, 100)?,
            grade: new.grade,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO halls (id, code, name_zh, name_en, grade, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(hall.id.as_str())
        .bind(hall.code.as_str())
        .bind(hall.name_zh.as_str())
        .bind(hall.name_en.as_str())
        .bind(hall.grade.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "a hall with this id or code already exists"))?;
        let entry = attributed(
            actor,
            "hall.create",
            "hall",
            &hall.id,
            json!({"code": hall.code, "name_zh": hall.name_zh, "name_en": hall.name_en,
                   "grade": hall.grade}),
            now,
        )
        .hall(hall.id.as_str());
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(hall)
    }

    /// All halls, by code.
    pub async fn list_halls(&self) -> Result<Vec<Hall>> {
        let sql = format!("SELECT {HALL_COLUMNS} FROM halls ORDER BY code, id");
        let rows = sqlx::query(&sql).fetch_all(self.store().pool()).await?;
        rows.iter().map(Hall::from_row).collect()
    }

    pub async fn get_hall(&self, id: &str) -> Result<Hall> {
        let sql = format!("SELECT {HALL_COLUMNS} FROM halls WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.store().pool())
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("hall {id}")))?;
        Hall::from_row(&row)
    }

    /// Changes a hall's code, names or grade. Needs `district-admin`.
    pub async fn update_hall(
        &self,
        actor: &Principal,
        id: &str,
        update: HallUpdate,
    ) -> Result<Hall> {
        require_admin(actor)?;
        let code = update
            .code
            .map(|c| clean_label("hall code", &c, 32))
            .transpose()?;
        let name_zh = update
            .name_zh
            .map(|n| clean_label("Chinese name", &n, 100))
            .transpose()?;
        let name_en = update
            .name_en
            .map(|n| clean_label("English name", &n, 100))
            .transpose()?;
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT {HALL_COLUMNS} FROM halls WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("hall {id}")))?;
        let before = Hall::from_row(&row)?;
        let mut after = before.clone();
        let mut changes = serde_json::Map::new();
        let mut change = |field: &str, from: &str, to: Option<String>, slot: &mut String| {
            if let Some(to) = to.filter(|t| t != from) {
                changes.insert(field.to_owned(), json!({"from": from, "to": to}));
                *slot = to;
            }
        };
        change("code", &before.code, code, &mut after.code);
        change("name_zh", &before.name_zh, name_zh, &mut after.name_zh);
        change("name_en", &before.name_en, name_en, &mut after.name_en);
        if let Some(grade) = update.grade.filter(|g| *g != before.grade) {
            changes.insert(
                "grade".to_owned(),
                json!({"from": before.grade, "to": grade}),
            );
            after.grade = grade;
        }
        if changes.is_empty() {
            return Ok(before);
        }
        after.updated_at = now;
        sqlx::query(
            "UPDATE halls SET code = $2, name_zh = $3, name_en = $4, grade = $5, updated_at = $6 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(after.code.as_str())
        .bind(after.name_zh.as_str())
        .bind(after.name_en.as_str())
        .bind(after.grade.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_on_unique(e, "another hall has this code"))?;
        let entry = attributed(actor, "hall.update", "hall", id, changes.into(), now).hall(id);
        self.audit().record_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(after)
    }
}
