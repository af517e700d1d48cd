//! Staged rollouts: one edge plugin version to many agents, in waves.
//!
//! A rollout resolves its targets (listed agents, every agent of listed
//! halls, or every agent the operator manages), splits them into waves by
//! cumulative size (default: one canary, then 10 %, then everyone) and
//! dispatches the first wave. Agents' reports move each target to
//! `succeeded` (healthy through its window) or `failed` (refused, failed to
//! start, or rolled back by the agent); a target without an outcome when
//! the wave timeout passes counts as failed. When every target of a wave
//! has an outcome, the next wave goes out. When more targets have failed
//! than the abort threshold allows, the rollout stops: no further waves,
//! and every agent that received the version goes back to the version and
//! config it had before.
//!
//! Invariants: at most one running rollout per plugin; a revert only
//! touches an agent whose desired state still names the rollout's digest
//! (a later operator decision wins); state changes are serialised by one
//! lock per host process, and each step commits before anything is
//! published.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

use super::Edge;
use super::deploy::{Assigned, Target, agent_hall, assign, bump_revision, health_window};
use super::registry::random_hex;
use crate::error::AppError;
use crate::identity::{Principal, attributed, now_ms};

/// Most targets one rollout may have.
const MAX_TARGETS: usize = 100_000;
/// Most waves one rollout may have.
const MAX_WAVES: usize = 20;

/// A number of targets: a count (`5`, `"5"`) or a share (`"10%"`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Amount {
    Count(u64),
    Percent(f64),
}

impl Amount {
    pub fn parse(text: &str) -> Result<Amount, String> {
        let text = text.trim();
        if let Some(p) = text.strip_suffix('%') {
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("{text:?} is not a percentage"))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("{text:?} is not between 0% and 100%"));
            }
            Ok(Amount::Percent(p))
        } else {
            text.parse()
                .map(Amount::Count)
                .map_err(|_| format!("{text:?} is neither a count nor a percentage"))
        }
    }

    /// At least this share of `total` (waves round up).
    fn at_least(self, total: u64) -> u64 {
        match self {
            Amount::Count(n) => n.min(total),
            Amount::Percent(p) => ((total as f64 * p / 100.0).ceil() as u64).min(total),
        }
    }

    /// At most this share of `total` (thresholds round down).
    fn at_most(self, total: u64) -> u64 {
        match self {
            Amount::Count(n) => n,
            Amount::Percent(p) => (total as f64 * p / 100.0).floor() as u64,
        }
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Amount::Count(n) => write!(f, "{n}"),
            Amount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Count(n) => Ok(Amount::Count(n)),
            Raw::Text(t) => Amount::parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

impl Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// `POST /api/edge/rollouts` body. Exactly one of `agents`, `halls` and
/// `all` chooses the targets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutRequest {
    /// Package digest (`sha256:<hex>`) of an uploaded artefact.
    pub digest: String,
    #[serde(default)]
    pub agents: Vec<String>,
    #[serde(default)]
    pub halls: Vec<String>,
    /// Every agent in the caller's halls.
    #[serde(default)]
    pub all: bool,
    /// The plugin's config (validated against its schema). Without one,
    /// each agent keeps its current config for the plugin, checked against
    /// the new version's schema when dispatched (defaults where it has none).
    #[serde(default)]
    pub config: Option<Value>,
    /// Seconds each agent must stay healthy (default 30).
    pub health_window_s: Option<u32>,
    /// Also replace pinned versions (otherwise pinned agents are skipped).
    #[serde(default)]
    pub force: bool,
    /// Cumulative size of each wave (default `[1, "10%", "100%"]`); a last
    /// wave with everyone is added when the list stops short.
    pub waves: Option<Vec<Amount>>,
    /// Failed targets tolerated before the rollout aborts (default 0).
    pub abort_threshold: Option<Amount>,
    /// Seconds a wave may take before targets without an outcome count as
    /// failed (default: the health window plus five minutes).
    pub wave_timeout_s: Option<u32>,
}

/// Default wave plan: a canary, then a tenth, then everyone.
fn default_waves() -> Vec<Amount> {
    vec![
        Amount::Count(1),
        Amount::Percent(10.0),
        Amount::Percent(100.0),
    ]
}

/// Cumulative wave ends for `total` targets: strictly increasing, the last
/// equal to `total`. Refuses plans that shrink.
pub fn wave_bounds(plan: &[Amount], total: u64) -> Result<Vec<u64>, String> {
    if plan.is_empty() || plan.len() > MAX_WAVES {
        return Err(format!("between 1 and {MAX_WAVES} waves"));
    }
    let mut bounds: Vec<u64> = Vec::new();
    let mut last_asked = 0;
    for amount in plan {
        let asked = amount.at_least(total);
        if asked < last_asked {
            return Err(format!(
                "waves are cumulative and must not shrink ({amount} after a larger wave)"
            ));
        }
        last_asked = asked;
        if asked > 0 && bounds.last() != Some(&asked) {
            bounds.push(asked);
        }
    }
    if bounds.last() != Some(&total) {
        bounds.push(total);
    }
    Ok(bounds)
}

/// An agent's current config for the plugin, if the new version's schema
/// accepts it (its new defaults filled in); else why not.
fn kept_config(schema: &bantong_manifest::ConfigSchema, current: &str) -> Result<String, String> {
    let current: Value = serde_json::from_str(current)
        .map_err(|e| format!("the agent's current config is not JSON: {e}"))?;
    schema
        .resolve(Some(&current), None)
        .map(|c| c.to_string())
        .map_err(|errors| {
            let problems: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.path, e.message_en))
                .collect();
            format!(
                "the agent's current config does not fit this version: {}",
                problems.join("; ")
            )
        })
}

/// A rollout as stored.
#[derive(Debug, Clone)]
struct Rollout {
    id: String,
    plugin: String,
    version: String,
    digest: String,
    /// The config sent; with `keep_config`, only to agents that had none.
    config: String,
    keep_config: bool,
    health_window_s: i64,
    force: bool,
    waves: Vec<u64>,
    max_failures: i64,
    wave_timeout_s: i64,
    current_wave: i64,
    wave_started_at: i64,
}

const ROLLOUT_COLUMNS: &str = "id, plugin, version, digest, config, health_window_s, force_pinned, \
     waves, max_failures, wave_timeout_s, current_wave, wave_started_at, keep_config";

impl Rollout {
    fn from_row(r: &sqlx::any::AnyRow) -> Result<Rollout, AppError> {
        let waves: String = r.try_get(7)?;
        Ok(Rollout {
            id: r.try_get(0)?,
            plugin: r.try_get(1)?,
            version: r.try_get(2)?,
            digest: r.try_get(3)?,
            config: r.try_get(4)?,
            health_window_s: r.try_get(5)?,
            force: r.try_get::<i64, _>(6)? != 0,
            waves: serde_json::from_str(&waves)
                .map_err(|e| AppError::internal("stored rollout waves", e))?,
            max_failures: r.try_get(8)?,
            wave_timeout_s: r.try_get(9)?,
            current_wave: r.try_get(10)?,
            wave_started_at: r.try_get(11)?,
            keep_config: r.try_get::<i64, _>(12)? != 0,
        })
    }

    fn target<'a>(&'a self, config: &'a str) -> Target<'a> {
        Target {
            plugin: &self.plugin,
            digest: &self.digest,
            config,
            health_window_s: self.health_window_s,
            force: self.force,
        }
    }
}

/// What one step of a rollout changed: agents whose desired state must be
/// published after commit.
type Touched = Vec<String>;

impl Edge {
    /// Starts a staged rollout and dispatches its first wave.
    pub async fn start_rollout(
        &self,
        actor: &Principal,
        req: RolloutRequest,
    ) -> Result<Value, AppError> {
        super::require_admin(actor, "rolling out edge plugins")?;
        let chosen = usize::from(!req.agents.is_empty())
            + usize::from(!req.halls.is_empty())
            + usize::from(req.all);
        if chosen != 1 {
            return Err(AppError::validation(
                "choose the targets with exactly one of agents, halls or all",
            ));
        }
        let (plugin, version, config) = self.deployable(&req.digest, req.config.as_ref()).await?;
        let keep_config = req.config.is_none();
        let plan = req.waves.clone().unwrap_or_else(default_waves);
        let threshold = req.abort_threshold.unwrap_or(Amount::Count(0));
        let window = health_window(req.health_window_s);
        let wave_timeout = i64::from(
            req.wave_timeout_s
                .unwrap_or(u32::try_from(window + 300).unwrap_or(3900))
                .clamp(5, 86_400),
        );

        let _serial = self.rollout_lock.lock().await;
        let mut tx = self.registry.identity().audit().begin().await?;
        let running: Option<String> = sqlx::query_scalar(
            "SELECT id FROM edge_rollouts WHERE state = 'running' AND plugin = $1",
        )
        .bind(plugin.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = running {
            return Err(AppError::conflict(format!(
                "rollout {id} of {plugin} is still running; abort it first"
            )));
        }
        let agents = self.rollout_targets(&mut tx, actor, &req).await?;
        if agents.is_empty() {
            return Err(AppError::validation("no edge agents to roll out to"));
        }
        if agents.len() > MAX_TARGETS {
            return Err(AppError::validation(format!(
                "at most {MAX_TARGETS} agents per rollout"
            )));
        }
        let total = agents.len() as u64;
        let waves = wave_bounds(&plan, total).map_err(AppError::validation)?;
        let max_failures = i64::try_from(threshold.at_most(total)).unwrap_or(i64::MAX);
        let now = now_ms();
        let id = format!("ro-{}", random_hex(6));
        let plan_json = json!({ "waves": plan, "abort_threshold": threshold });
        sqlx::query(
            "INSERT INTO edge_rollouts (id, plugin, version, digest, config, health_window_s, force_pinned, \
             waves, plan, max_failures, wave_timeout_s, state, current_wave, wave_started_at, created_by, created_at, \
             keep_config) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'running', 0, $12, $13, $12, $14)",
        )
        .bind(id.as_str())
        .bind(plugin.as_str())
        .bind(version.as_str())
        .bind(req.digest.as_str())
        .bind(config.to_string())
        .bind(window)
        .bind(i64::from(req.force))
        .bind(json!(waves).to_string())
        .bind(plan_json.to_string())
        .bind(max_failures)
        .bind(wave_timeout)
        .bind(now)
        .bind(actor.user_id.as_str())
        .bind(i64::from(keep_config))
        .execute(&mut *tx)
        .await?;
        let mut wave = 0usize;
        for (i, agent) in agents.iter().enumerate() {
            while i as u64 >= waves[wave] {
                wave += 1;
            }
            sqlx::query(
                "INSERT INTO edge_rollout_targets (rollout_id, agent_id, wave, state, updated_at) \
                 VALUES ($1, $2, $3, 'waiting', $4)",
            )
            .bind(id.as_str())
            .bind(agent.as_str())
            .bind(wave as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let entry = attributed(
            actor,
            "edge.rollout.start",
            "edge-rollout",
            &id,
            json!({ "plugin": plugin, "version": version, "digest": req.digest,
                    "targets": total, "waves": waves, "max_failures": max_failures,
                    "keep_config": keep_config }),
            now,
        );
        self.audit_in(&mut tx, &entry).await?;
        let rollout = Rollout {
            id: id.clone(),
            plugin,
            version,
            digest: req.digest.clone(),
            config: config.to_string(),
            keep_config,
            health_window_s: window,
            force: req.force,
            waves,
            max_failures,
            wave_timeout_s: wave_timeout,
            current_wave: 0,
            wave_started_at: now,
        };
        let touched = self.open_wave(&mut tx, &rollout, 0, now).await?;
        tx.commit().await?;
        drop(_serial);
        self.publish_touched(&touched).await;
        self.rollout(actor, &id).await
    }

    /// The agents a request names, sorted and without duplicates.
    async fn rollout_targets(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Principal,
        req: &RolloutRequest,
    ) -> Result<Vec<String>, AppError> {
        let mut agents = Vec::new();
        for agent in &req.agents {
            agent_hall(conn, actor, agent).await?;
            agents.push(agent.clone());
        }
        for hall in &req.halls {
            if !actor.can_access_hall(hall) {
                return Err(AppError::validation(format!("unknown hall {hall}")));
            }
            let rows =
                sqlx::query("SELECT id FROM edge_agents WHERE hall = $1 AND revoked_at IS NULL")
                    .bind(hall.as_str())
                    .fetch_all(&mut *conn)
                    .await?;
            for r in rows {
                agents.push(r.try_get(0)?);
            }
        }
        if req.all {
            let rows = sqlx::query("SELECT id, hall FROM edge_agents WHERE revoked_at IS NULL")
                .fetch_all(&mut *conn)
                .await?;
            for r in rows {
                let hall: String = r.try_get(1)?;
                if actor.can_access_hall(&hall) {
                    agents.push(r.try_get(0)?);
                }
            }
        }
        agents.sort();
        agents.dedup();
        Ok(agents)
    }

    /// Dispatches wave `wave` and, when every target of it is skipped
    /// (pinned or revoked), the waves after it; completes the rollout when
    /// no wave is left.
    async fn open_wave(
        &self,
        conn: &mut sqlx::AnyConnection,
        rollout: &Rollout,
        mut wave: usize,
        now: i64,
    ) -> Result<Touched, AppError> {
        let mut touched = Vec::new();
        // Keeping each agent's config: the new version's schema checks it.
        let schema = if rollout.keep_config {
            self.artefact_schema(&rollout.digest).await?
        } else {
            None
        };
        loop {
            if wave >= rollout.waves.len() {
                self.finish(conn, rollout, "completed", None, now).await?;
                return Ok(touched);
            }
            let rows = sqlx::query(
                "SELECT agent_id FROM edge_rollout_targets \
                 WHERE rollout_id = $1 AND wave = $2 AND state = 'waiting' ORDER BY agent_id",
            )
            .bind(rollout.id.as_str())
            .bind(wave as i64)
            .fetch_all(&mut *conn)
            .await?;
            let mut dispatched = 0usize;
            let mut refused = 0usize;
            for r in rows {
                let agent: String = r.try_get(0)?;
                let live: Option<i64> = sqlx::query_scalar(
                    "SELECT 1 FROM edge_agents WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(agent.as_str())
                .fetch_optional(&mut *conn)
                .await?;
                let prior = sqlx::query(
                    "SELECT digest, config, health_window_s FROM edge_desired WHERE agent_id = $1 AND plugin = $2",
                )
                .bind(agent.as_str())
                .bind(rollout.plugin.as_str())
                .fetch_optional(&mut *conn)
                .await?;
                let (state, error, prior) = if live.is_none() {
                    ("skipped", Some("agent revoked".to_owned()), None)
                } else {
                    let prior = match prior {
                        Some(p) => Some((
                            p.try_get::<String, _>(0)?,
                            p.try_get::<String, _>(1)?,
                            p.try_get::<i64, _>(2)?,
                        )),
                        None => None,
                    };
                    let config = match (&schema, &prior) {
                        (Some(schema), Some((_, kept, _))) => kept_config(schema, kept),
                        _ => Ok(rollout.config.clone()),
                    };
                    match config {
                        Err(error) => {
                            refused += 1;
                            ("failed", Some(error), None)
                        }
                        Ok(config) => {
                            match assign(conn, &agent, &rollout.target(&config), now).await? {
                                Assigned::Pinned => {
                                    ("skipped", Some("version pinned".to_owned()), None)
                                }
                                Assigned::Changed { .. } => {
                                    dispatched += 1;
                                    touched.push(agent.clone());
                                    ("dispatched", None, prior)
                                }
                            }
                        }
                    }
                };
                let (prev_digest, prev_config, prev_window) = match prior {
                    Some((d, c, w)) => (Some(d), Some(c), Some(w)),
                    None => (None, None, None),
                };
                sqlx::query(
                    "UPDATE edge_rollout_targets SET state = $1, error = $2, previous_digest = $3, \
                     previous_config = $4, previous_health_window_s = $5, updated_at = $6 \
                     WHERE rollout_id = $7 AND agent_id = $8",
                )
                .bind(state)
                .bind(error)
                .bind(prev_digest)
                .bind(prev_config)
                .bind(prev_window)
                .bind(now)
                .bind(rollout.id.as_str())
                .bind(agent.as_str())
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query(
                "UPDATE edge_rollouts SET current_wave = $1, wave_started_at = $2 WHERE id = $3",
            )
            .bind(wave as i64)
            .bind(now)
            .bind(rollout.id.as_str())
            .execute(&mut *conn)
            .await?;
            // Refusals count against the threshold before the next wave.
            if dispatched > 0 || refused > 0 {
                return Ok(touched);
            }
            wave += 1;
        }
    }

    /// Marks the rollout finished and audits it.
    async fn finish(
        &self,
        conn: &mut sqlx::AnyConnection,
        rollout: &Rollout,
        state: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<(), AppError> {
        sqlx::query(
            "UPDATE edge_rollouts SET state = $1, reason = $2, finished_at = $3 WHERE id = $4",
        )
        .bind(state)
        .bind(reason)
        .bind(now)
        .bind(rollout.id.as_str())
        .execute(&mut *conn)
        .await?;
        let counts = target_counts(conn, &rollout.id).await?;
        let entry = attributed(
            &Principal::system("edge-rollouts"),
            if state == "completed" {
                "edge.rollout.complete"
            } else {
                "edge.rollout.abort"
            },
            "edge-rollout",
            &rollout.id,
            json!({ "plugin": rollout.plugin, "version": rollout.version, "reason": reason,
                    "targets": counts_by_state(&counts) }),
            now,
        );
        self.audit_in(conn, &entry).await?;
        Ok(())
    }

    /// Stops a rollout: no further waves, and every agent that received its
    /// version goes back to what it had before.
    async fn abort_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        rollout: &Rollout,
        reason: &str,
        now: i64,
    ) -> Result<Touched, AppError> {
        let rows = sqlx::query(
            "SELECT agent_id, state, previous_digest, previous_config, previous_health_window_s \
             FROM edge_rollout_targets WHERE rollout_id = $1 \
             AND state IN ('dispatched', 'succeeded', 'failed') ORDER BY agent_id",
        )
        .bind(rollout.id.as_str())
        .fetch_all(&mut *conn)
        .await?;
        let mut touched = Vec::new();
        for r in rows {
            let agent: String = r.try_get(0)?;
            let state: String = r.try_get(1)?;
            let previous: Option<String> = r.try_get(2)?;
            let previous_config: Option<String> = r.try_get(3)?;
            let previous_window: Option<i64> = r.try_get(4)?;
            let current: Option<String> = sqlx::query_scalar(
                "SELECT digest FROM edge_desired WHERE agent_id = $1 AND plugin = $2",
            )
            .bind(agent.as_str())
            .bind(rollout.plugin.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            if current.as_deref() != Some(rollout.digest.as_str()) {
                continue; // someone decided otherwise since
            }
            match previous {
                Some(previous) => {
                    sqlx::query(
                        "UPDATE edge_desired SET digest = $1, config = $2, health_window_s = $3, \
                         previous_digest = NULL, updated_at = $4 WHERE agent_id = $5 AND plugin = $6",
                    )
                    .bind(previous.as_str())
                    .bind(previous_config.unwrap_or_else(|| "{}".into()))
                    .bind(previous_window.unwrap_or(30))
                    .bind(now)
                    .bind(agent.as_str())
                    .bind(rollout.plugin.as_str())
                    .execute(&mut *conn)
                    .await?;
                }
                None => {
                    sqlx::query("DELETE FROM edge_desired WHERE agent_id = $1 AND plugin = $2")
                        .bind(agent.as_str())
                        .bind(rollout.plugin.as_str())
                        .execute(&mut *conn)
                        .await?;
                }
            }
            bump_revision(conn, &agent).await?;
            if state != "failed" {
                sqlx::query(
                    "UPDATE edge_rollout_targets SET state = 'reverted', updated_at = $1 \
                     WHERE rollout_id = $2 AND agent_id = $3",
                )
                .bind(now)
                .bind(rollout.id.as_str())
                .bind(agent.as_str())
                .execute(&mut *conn)
                .await?;
            }
            touched.push(agent);
        }
        self.finish(conn, rollout, "aborted", Some(reason), now)
            .await?;
        Ok(touched)
    }

    /// Aborts a running rollout on an operator's request.
    pub async fn abort_rollout(
        &self,
        actor: &Principal,
        id: &str,
        reason: Option<&str>,
    ) -> Result<Value, AppError> {
        super::require_admin(actor, "aborting rollouts")?;
        let serial = self.rollout_lock.lock().await;
        let mut tx = self.registry.identity().audit().begin().await?;
        let row = sqlx::query(&format!(
            "SELECT {ROLLOUT_COLUMNS}, state FROM edge_rollouts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::not_found(format!("rollout {id}")))?;
        let state: String = row.try_get("state")?;
        if state != "running" {
            return Err(AppError::conflict(format!("rollout {id} is {state}")));
        }
        let rollout = Rollout::from_row(&row)?;
        let reason = format!(
            "aborted by {}{}",
            actor.user_id,
            reason.map(|r| format!(": {r}")).unwrap_or_default()
        );
        let now = now_ms();
        let touched = self.abort_in(&mut tx, &rollout, &reason, now).await?;
        let entry = attributed(
            actor,
            "edge.rollout.abort.request",
            "edge-rollout",
            id,
            json!({ "reason": reason }),
            now,
        );
        self.audit_in(&mut tx, &entry).await?;
        tx.commit().await?;
        drop(serial);
        self.publish_touched(&touched).await;
        self.rollout(actor, id).await
    }

    /// Records an agent's report against running rollouts of the plugins
    /// it names, and wakes the rollout driver when an outcome changed.
    pub(crate) async fn rollout_report(
        &self,
        agent: &str,
        report: &bantong_fabric::msg::Report,
    ) -> Result<(), AppError> {
        use bantong_fabric::msg::DeployState;
        let mut changed = false;
        for p in &report.plugins {
            let (state, error) = match p.state {
                DeployState::Running => ("succeeded", None),
                DeployState::Failed | DeployState::RolledBack => {
                    ("failed", Some(p.error.as_deref().unwrap_or("failed")))
                }
                DeployState::Pending | DeployState::Trial => continue,
            };
            let updated = sqlx::query(
                "UPDATE edge_rollout_targets SET state = $1, error = $2, updated_at = $3 \
                 WHERE agent_id = $4 AND state = 'dispatched' AND rollout_id IN \
                 (SELECT id FROM edge_rollouts WHERE state = 'running' AND plugin = $5 AND digest = $6)",
            )
            .bind(state)
            .bind(error)
            .bind(now_ms())
            .bind(agent)
            .bind(p.id.as_str())
            .bind(p.digest.as_str())
            .execute(self.store.pool())
            .await?
            .rows_affected();
            changed |= updated > 0;
        }
        if changed {
            self.rollout_wake.notify_one();
        }
        Ok(())
    }

    /// One step of every running rollout: time out the current wave's
    /// silent targets, abort past the threshold, open the next wave when
    /// the current one is done.
    pub async fn advance_rollouts(&self) -> Result<(), AppError> {
        let serial = self.rollout_lock.lock().await;
        let rows = sqlx::query(&format!(
            "SELECT {ROLLOUT_COLUMNS} FROM edge_rollouts WHERE state = 'running' ORDER BY created_at"
        ))
        .fetch_all(self.store.pool())
        .await?;
        let mut touched = Vec::new();
        for row in rows {
            let rollout = Rollout::from_row(&row)?;
            let now = now_ms();
            let mut tx = self.registry.identity().audit().begin().await?;
            let wave = rollout.current_wave;
            if now >= rollout.wave_started_at + rollout.wave_timeout_s * 1000 {
                sqlx::query(
                    "UPDATE edge_rollout_targets SET state = 'failed', error = $1, updated_at = $2 \
                     WHERE rollout_id = $3 AND wave = $4 AND state = 'dispatched'",
                )
                .bind(format!(
                    "no outcome within the wave timeout of {} s",
                    rollout.wave_timeout_s
                ))
                .bind(now)
                .bind(rollout.id.as_str())
                .bind(wave)
                .execute(&mut *tx)
                .await?;
            }
            let counts = target_counts(&mut tx, &rollout.id).await?;
            let failed: i64 = counts
                .iter()
                .filter(|((_, s), _)| s == "failed")
                .map(|(_, n)| n)
                .sum();
            let pending: i64 = counts
                .iter()
                .filter(|((w, s), _)| *w == wave && s == "dispatched")
                .map(|(_, n)| n)
                .sum();
            if failed > rollout.max_failures {
                let reason = format!(
                    "{failed} target(s) failed; the abort threshold allows {}",
                    rollout.max_failures
                );
                touched.extend(self.abort_in(&mut tx, &rollout, &reason, now).await?);
            } else if pending == 0 {
                let next = usize::try_from(wave)
                    .unwrap_or(usize::MAX)
                    .saturating_add(1);
                touched.extend(self.open_wave(&mut tx, &rollout, next, now).await?);
            }
            tx.commit().await?;
        }
        drop(serial);
        self.publish_touched(&touched).await;
        Ok(())
    }

    /// Publishes desired state after a committed step. A failed publish is
    /// repaired by the revision watch and by re-publishing on reconnect.
    async fn publish_touched(&self, agents: &[String]) {
        for agent in agents {
            if let Err(e) = self.publish_desired(agent).await {
                tracing::warn!(%agent, "publishing desired state failed: {e}");
            }
        }
    }

    /// Runs [`Edge::advance_rollouts`] when a report changed an outcome, and
    /// every second for timeouts and rollouts started elsewhere (the CLI).
    pub(crate) async fn rollout_driver(self) {
        loop {
            tokio::select! {
                _ = self.rollout_wake.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            }
            if let Err(e) = self.advance_rollouts().await {
                tracing::warn!("advancing rollouts failed: {e}");
            }
        }
    }

    /// Rollouts with a target in the viewer's halls, newest first.
    pub async fn rollouts(&self, viewer: &Principal) -> Result<Vec<Value>, AppError> {
        let rows =
            sqlx::query("SELECT id FROM edge_rollouts ORDER BY created_at DESC, id LIMIT 200")
                .fetch_all(self.store.pool())
                .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: String = r.try_get(0)?;
            let mut detail = self.rollout(viewer, &id).await;
            if let Ok(Value::Object(map)) = &mut detail {
                map.remove("targets");
            }
            if let Ok(v) = detail {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// One rollout with per-wave counts and the targets the viewer may see.
    pub async fn rollout(&self, viewer: &Principal, id: &str) -> Result<Value, AppError> {
        let pool = self.store.pool();
        let row = sqlx::query(
            "SELECT id, plugin, version, digest, state, current_wave, waves, plan, max_failures, \
             health_window_s, wave_timeout_s, reason, created_by, created_at, finished_at \
             FROM edge_rollouts WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| AppError::not_found(format!("rollout {id}")))?;
        let targets = sqlx::query(
            "SELECT t.agent_id, a.hall, t.wave, t.state, t.error, t.updated_at \
             FROM edge_rollout_targets t JOIN edge_agents a ON a.id = t.agent_id \
             WHERE t.rollout_id = $1 ORDER BY t.wave, t.agent_id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let mut visible = Vec::new();
        let mut per_wave: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
        for t in &targets {
            let hall: String = t.try_get(1)?;
            let wave: i64 = t.try_get(2)?;
            let state: String = t.try_get(3)?;
            *per_wave
                .entry(wave)
                .or_default()
                .entry(state.clone())
                .or_default() += 1;
            if viewer.can_access_hall(&hall) {
                visible.push(json!({
                    "agent": t.try_get::<String, _>(0)?,
                    "hall": hall,
                    "wave": wave,
                    "state": state,
                    "error": t.try_get::<Option<String>, _>(4)?,
                    "updated_at": t.try_get::<i64, _>(5)?,
                }));
            }
        }
        if visible.is_empty() && !viewer.is_admin() {
            return Err(AppError::not_found(format!("rollout {id}")));
        }
        let bounds: Vec<u64> =
            serde_json::from_str(&row.try_get::<String, _>(6)?).unwrap_or_default();
        let waves: Vec<Value> = bounds
            .iter()
            .enumerate()
            .map(|(i, end)| {
                let start = if i == 0 { 0 } else { bounds[i - 1] };
                json!({ "wave": i, "size": end - start,
                        "states": per_wave.get(&(i as i64)).cloned().unwrap_or_default() })
            })
            .collect();
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for states in per_wave.values() {
            for (s, n) in states {
                *totals.entry(s.clone()).or_default() += n;
            }
        }
        Ok(json!({
            "id": row.try_get::<String, _>(0)?,
            "plugin": row.try_get::<String, _>(1)?,
            "version": row.try_get::<String, _>(2)?,
            "digest": row.try_get::<String, _>(3)?,
            "state": row.try_get::<String, _>(4)?,
            "current_wave": row.try_get::<i64, _>(5)?,
            "plan": serde_json::from_str::<Value>(&row.try_get::<String, _>(7)?).unwrap_or(Value::Null),
            "max_failures": row.try_get::<i64, _>(8)?,
            "health_window_s": row.try_get::<i64, _>(9)?,
            "wave_timeout_s": row.try_get::<i64, _>(10)?,
            "reason": row.try_get::<Option<String>, _>(11)?,
            "created_by": row.try_get::<String, _>(12)?,
            "created_at": row.try_get::<i64, _>(13)?,
            "finished_at": row.try_get::<Option<i64>, _>(14)?,
            "targets_total": targets.len(),
            "totals": totals,
            "waves": waves,
            "targets": visible,
        }))
    }
}

/// Target counts of a rollout by (wave, state).
async fn target_counts(
    conn: &mut sqlx::AnyConnection,
    rollout: &str,
) -> Result<BTreeMap<(i64, String), i64>, AppError> {
    let rows = sqlx::query(
        "SELECT wave, state, COUNT(*) FROM edge_rollout_targets WHERE rollout_id = $1 GROUP BY wave, state",
    )
    .bind(rollout)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        out.insert((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?);
    }
    Ok(out)
}

fn counts_by_state(counts: &BTreeMap<(i64, String), i64>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for ((_, state), n) in counts {
        *out.entry(state.clone()).or_default() += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_config_gets_new_defaults_or_a_reason() {
        let schema = bantong_manifest::ConfigSchema::new(&json!({
            "type": "object",
            "properties": {
                "stale_camera_s": { "type": "integer", "minimum": 5, "default": 10 },
                "summary_every_s": { "type": "integer", "default": 60 }
            }
        }))
        .expect("schema");
        let kept = kept_config(&schema, r#"{"stale_camera_s": 7}"#).expect("fits");
        let kept: Value = serde_json::from_str(&kept).expect("json");
        assert_eq!(kept, json!({ "stale_camera_s": 7, "summary_every_s": 60 }));
        let refused = kept_config(&schema, r#"{"stale_camera_s": 2}"#).expect_err("too small");
        assert!(refused.contains("stale_camera_s"), "{refused}");
        assert!(kept_config(&schema, "not json").is_err());
    }

    #[test]
    fn amounts_parse_counts_and_shares() {
        assert_eq!(Amount::parse("5"), Ok(Amount::Count(5)));
        assert_eq!(Amount::parse(" 10% "), Ok(Amount::Percent(10.0)));
        assert!(Amount::parse("101%").is_err());
        assert!(Amount::parse("-1").is_err());
        assert!(Amount::parse("ten").is_err());
        let v: Vec<Amount> = serde_json::from_str(r#"[1, "25%", "3"]"#).unwrap();
        assert_eq!(
            v,
            vec![Amount::Count(1), Amount::Percent(25.0), Amount::Count(3)]
        );
    }

    #[test]
    fn default_plan_is_canary_tenth_everyone() {
        assert_eq!(wave_bounds(&default_waves(), 1000), Ok(vec![1, 100, 1000]));
        assert_eq!(wave_bounds(&default_waves(), 100), Ok(vec![1, 10, 100]));
        // Small fleets collapse equal waves.
        assert_eq!(wave_bounds(&default_waves(), 5), Ok(vec![1, 5]));
        assert_eq!(wave_bounds(&default_waves(), 1), Ok(vec![1]));
    }

    #[test]
    fn plans_that_stop_short_get_a_last_wave() {
        assert_eq!(
            wave_bounds(&[Amount::Count(2), Amount::Count(4)], 10),
            Ok(vec![2, 4, 10])
        );
        assert_eq!(wave_bounds(&[Amount::Count(50)], 10), Ok(vec![10]));
        assert!(wave_bounds(&[Amount::Count(5), Amount::Count(2)], 10).is_err());
        assert!(wave_bounds(&[], 10).is_err());
    }

    #[test]
    fn thresholds_round_down_and_waves_round_up() {
        assert_eq!(Amount::Percent(10.0).at_most(15), 1);
        assert_eq!(Amount::Percent(10.0).at_least(15), 2);
        assert_eq!(Amount::Count(3).at_most(2), 3);
    }
}
