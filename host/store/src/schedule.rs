//! Scheduled jobs fire once per slot across every host process: the first
//! process to insert `(plugin, schedule, slot)` owns the firing.

use serde::{Deserialize, Serialize};

use crate::db::Store;
use crate::error::{Error, Result};
use crate::sql::{self, Sql};
use crate::values;

/// A recorded firing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fire {
    pub fire_id: String,
    pub plugin: String,
    pub schedule: String,
    pub slot_ms: i64,
    pub worker: String,
    pub claimed_at: i64,
    pub finished_at: Option<i64>,
    /// `None` while running.
    pub ok: Option<bool>,
    pub error: Option<String>,
}

impl Store {
    /// Claims the firing of `schedule` at `slot_ms`. Exactly one caller, in
    /// any process sharing the database, gets `Some(fire_id)`.
    pub async fn claim_fire(
        &self,
        plugin: &str,
        schedule: &str,
        slot_ms: i64,
        worker: &str,
    ) -> Result<Option<String>> {
        sql::check_plugin_id(plugin)?;
        if schedule.is_empty() || schedule.len() > 200 {
            return Err(Error::invalid("a schedule name must be 1 to 200 bytes"));
        }
        let fire_id = sql::new_id();
        let mut q = Sql::new(
            "INSERT INTO schedule_fires (plugin, schedule, slot_ms, fire_id, worker, claimed_at) VALUES (",
        );
        q.bind(plugin)
            .push(", ")
            .bind(schedule)
            .push(", ")
            .bind(slot_ms)
            .push(", ")
            .bind(fire_id.as_str());
        q.push(", ")
            .bind(worker)
            .push(", ")
            .bind(sql::now_ms())
            .push(") ON CONFLICT DO NOTHING");
        let inserted = sql::execute(self.pool(), &q).await?;
        Ok((inserted == 1).then_some(fire_id))
    }

    /// Records how a firing ended.
    pub async fn finish_fire(&self, fire_id: &str, ok: bool, error: Option<&str>) -> Result<()> {
        let mut q = Sql::new("UPDATE schedule_fires SET finished_at = ");
        q.bind(sql::now_ms())
            .push(", ok = ")
            .bind(i64::from(ok))
            .push(", error = ");
        q.bind(error.map(|e| e.chars().take(4096).collect::<String>()));
        q.push(" WHERE fire_id = ").bind(fire_id);
        if sql::execute(self.pool(), &q).await? == 0 {
            return Err(Error::NotFound(format!("fire {fire_id:?}")));
        }
        Ok(())
    }

    /// Reads one firing.
    pub async fn fire(&self, fire_id: &str) -> Result<Option<Fire>> {
        let mut q = Sql::new(
            "SELECT fire_id, plugin, schedule, slot_ms, worker, claimed_at, finished_at, ok, error \
             FROM schedule_fires WHERE fire_id = ",
        );
        q.bind(fire_id);
        let Some(row) = sql::fetch_optional(self.pool(), &q).await? else {
            return Ok(None);
        };
        Ok(Some(Fire {
            fire_id: values::text(&row, "fire_id")?,
            plugin: values::text(&row, "plugin")?,
            schedule: values::text(&row, "schedule")?,
            slot_ms: values::int(&row, "slot_ms")?,
            worker: values::text(&row, "worker")?,
            claimed_at: values::int(&row, "claimed_at")?,
            finished_at: values::opt_int(&row, "finished_at")?,
            ok: values::opt_int(&row, "ok")?.map(|v| v != 0),
            error: values::opt_text(&row, "error")?,
        }))
    }
}
