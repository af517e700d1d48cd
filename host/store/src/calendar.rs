//! The district's working-day calendar: one holiday arrangement per year
//! (table `district_calendar`). The store keeps the lines as given; the
//! host validates them (`bantong_hall_kit::calendar::Arrangement`) before
//! it writes.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::db::Store;
use crate::error::Result;
use crate::sql::{self, Sql};
use crate::values;

/// Who the years the host seeds on its own (the built-in arrangements) are
/// attributed to. Such rows do not make an installation "hold data": a
/// restore replaces them with the archive's.
pub const SEEDED_BY: &str = "system:builtin";

/// One year's arrangement as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarYear {
    pub year: i64,
    pub notice: String,
    pub holidays: Vec<String>,
    pub workdays: Vec<String>,
    pub updated_at: i64,
    pub updated_by: String,
}

const COLS: &str = "year, notice, holidays, workdays, updated_at, updated_by";

fn from_row(r: &AnyRow) -> Result<CalendarYear> {
    let list =
        |col: &str| -> Result<Vec<String>> { Ok(serde_json::from_str(&values::text(r, col)?)?) };
    Ok(CalendarYear {
        year: values::int(r, "year")?,
        notice: values::text(r, "notice")?,
        holidays: list("holidays")?,
        workdays: list("workdays")?,
        updated_at: values::int(r, "updated_at")?,
        updated_by: values::text(r, "updated_by")?,
    })
}

/// `INSERT` of one year, then `on_conflict`.
fn insert(year: &CalendarYear, on_conflict: &str) -> Result<Sql> {
    let mut q = Sql::new(format!("INSERT INTO district_calendar ({COLS}) VALUES ("));
    q.bind(year.year)
        .push(", ")
        .bind(year.notice.as_str())
        .push(", ")
        .bind(serde_json::to_string(&year.holidays)?)
        .push(", ")
        .bind(serde_json::to_string(&year.workdays)?)
        .push(", ")
        .bind(year.updated_at)
        .push(", ")
        .bind(year.updated_by.as_str())
        .push(") ")
        .push(on_conflict);
    Ok(q)
}

/// Typed access to the calendar table; see [`Store::calendar`].
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    store: &'a Store,
}

impl Store {
    /// The district's working-day calendar.
    pub fn calendar(&self) -> Calendar<'_> {
        Calendar { store: self }
    }
}

impl Calendar<'_> {
    /// The configured years from `first` to `last`, ascending.
    pub async fn years(&self, first: i64, last: i64) -> Result<Vec<CalendarYear>> {
        let mut q = Sql::new(format!(
            "SELECT {COLS} FROM district_calendar WHERE year >= "
        ));
        q.bind(first)
            .push(" AND year <= ")
            .bind(last)
            .push(" ORDER BY year");
        sql::fetch_all(self.store.pool(), &q)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// One year, if configured.
    pub async fn year(&self, year: i64) -> Result<Option<CalendarYear>> {
        Ok(self.years(year, year).await?.into_iter().next())
    }

    /// Writes a year's arrangement (replacing what was there) and returns
    /// the previous one.
    pub async fn put(&self, year: &CalendarYear) -> Result<Option<CalendarYear>> {
        // BEGIN IMMEDIATE on SQLite: this reads, then writes.
        let mut tx = self.store.begin_write().await?;
        let mut q = Sql::new(format!(
            "SELECT {COLS} FROM district_calendar WHERE year = "
        ));
        q.bind(year.year);
        let previous = match sql::fetch_optional(&mut *tx, &q).await? {
            Some(row) => Some(from_row(&row)?),
            None => None,
        };
        let q = insert(
            year,
            "ON CONFLICT (year) DO UPDATE SET notice = excluded.notice, \
             holidays = excluded.holidays, workdays = excluded.workdays, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )?;
        sql::execute(&mut *tx, &q).await?;
        tx.commit().await?;
        Ok(previous)
    }

    /// Writes a year only when it is not configured yet (the built-in
    /// arrangements at start); true when it was written.
    pub async fn seed(&self, year: &CalendarYear) -> Result<bool> {
        let q = insert(year, "ON CONFLICT (year) DO NOTHING")?;
        Ok(sql::execute(self.store.pool(), &q).await? > 0)
    }
}
